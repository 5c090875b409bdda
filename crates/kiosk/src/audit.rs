//! The kiosk's audit trail: one row for every flow that ended, hash-chained in a SQLite file.
//!
//! `myna-kiosk --web` appends a row ([`Trail::append`]) when a flow ends: the PIN was reset,
//! refused, cancelled, the card was pulled, or nobody answered in time. `myna-kiosk audit verify`
//! ([`verify`]) recomputes the chain and names the first row that was changed, deleted,
//! inserted or moved; `myna-kiosk audit export [--json]` ([`export`]) writes every row, hashes
//! included, as CSV or JSON.
//!
//! # What a row holds
//!
//! | column | type | what |
//! |---|---|---|
//! | `id` | integer | 1, 2, 3, … with no gap: the row's place in the chain |
//! | `time` | text | when the flow ended, RFC 3339 in UTC to the second (`2026-12-06T17:20:03Z`) |
//! | `station` | text | the station's reader name, or `virtual` |
//! | `place` | text | the place rules: `kiosk`, `kiosk-sign-only`, `counter` or `proxy` |
//! | `pin` | text or null | the PIN the flow was about: `signature`, `user_auth`, `residence`, `text_assist` |
//! | `route` | text or null | `self-service`, `self-service+<other PIN>` (`self-service+user_auth`), `counter`, `proxy` |
//! | `outcome` | text | the flow's outcome in snake case (`done`, `wrong_pin`, `cancelled`, …), or `card_pulled`, `timed_out` |
//! | `exchanges` | integer | the APDU exchanges of the flow |
//! | `prev_hash` | 32 bytes | the previous row's `hash` (32 zero bytes for row 1) |
//! | `hash` | 32 bytes | SHA-256 over the row, see below |
//!
//! **Never stored**: a PIN (the other PIN, the new PIN, a wrong one), a My Number, a name, an
//! address, a date of birth, a certificate, or anything else read from the card. [`Entry`] has
//! no field for any of them, and [`Trail::append`] refuses an entry whose code fields
//! (`place`, `route`, `outcome`) are not short codes of the letters `a`–`z`, `_`, `-` and `+`:
//! with no digit allowed, no PIN (every one holds a digit) and no My Number can be put there by
//! mistake. The station (a reader's name) is the only free text: 1 to 256 characters, no
//! control characters.
//!
//! # The chain
//!
//! A row's `hash` is SHA-256 over an encoding in which every field has a fixed size or a length
//! prefix, so that no two different rows encode alike:
//!
//! ```text
//! "mynacard-kiosk audit v1" 0x00
//! id             8 bytes, big endian (signed)
//! time           8-byte big-endian length, then the UTF-8 bytes
//! station        the same
//! place          the same
//! pin            0x00 if null, else 0x01 and the length-prefixed code
//! route          the same
//! outcome        8-byte length, then the bytes
//! exchanges      8 bytes, big endian (signed)
//! prev_hash      32 bytes
//! ```
//!
//! The hash covers the stored text (the time as written, the PIN kind as its code). A second
//! table, `head`, holds the number of rows and the last row's hash; it is updated in the same
//! transaction as the row, so deleting the last rows is detected too. Appends run in an
//! `IMMEDIATE` transaction (SQLite's write lock taken first, waiting up to 10 s for another
//! writer), so two stations, or two processes, appending at once never fork the chain.
//! Triggers refuse `UPDATE` and `DELETE` on the rows, so that an honest mistake cannot change
//! them either, and the tables are `STRICT` (SQLite refuses a value of the wrong type).
//!
//! [`verify`] walks the rows in id order and stops at the first that cannot be trusted
//! ([`AuditError::Broken`] with a [`Break`]): ids must run 1, 2, 3, … (a gap is a deleted row),
//! each row's fields must give its hash (an edited row), each `prev_hash` must be the previous
//! row's hash (a row deleted, replaced, inserted or moved before it), and the last row must be
//! the end the `head` recorded (a deleted end, or rows added outside the trail).
//!
//! What the chain does and does not prove: it finds any row changed, deleted, inserted or
//! moved, and a deleted end, by anyone who did not recompute the hashes. It has no key: someone
//! who can write the file and knows this format can recompute every hash from a changed row on
//! and rewrite history. To detect that too, copy the last hash that `audit verify` prints (it
//! commits to the whole history up to then) somewhere the kiosk cannot write; later, the
//! export's `hash` of that row must still be the one copied.
//!
//! # The file
//!
//! [`default_path`]: `mynacard/kiosk-audit.sqlite3` in the user's state directory (or local
//! data directory). [`Trail::open`] creates the directories (0700 on Unix) and the file (0600
//! on Unix; SQLite gives its journal the same mode). The database is marked as the kiosk's
//! (SQLite `application_id`) and versioned (`user_version` 1); any other file is refused with
//! [`AuditError::NotAudit`] and never changed. [`verify`] and [`export`] open it read-only and
//! never create it.
//!
//! SQLite's rollback journal (its default) keeps the trail in one file, which can be copied
//! and verified elsewhere as it is; WAL mode would let a long `verify` run alongside appends,
//! but leaves recent rows in a second file. While `verify` or `export` reads (one consistent
//! snapshot), appends wait for it, up to the same 10 s.
//!
//! # The command
//!
//! `myna-kiosk audit verify [--db PATH]` prints `N rows, chain intact` and the last hash, exit
//! 0, or the first bad row and why, exit 1; `myna-kiosk audit export [--db PATH] [--json]`
//! writes CSV (RFC 4180, a header line) or a JSON array on standard output. A missing file or
//! one that is not a trail: a message, exit 1; a usage error: exit 2. Messages and help are in
//! Japanese or English (`--lang ja|en`, else from the locale). See [`cli`].

use std::ffi::OsString;
use std::fmt;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use mynacard::pin::PinKind;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};
use sha2::{Digest, Sha256};

use crate::text::Lang;

/// The kiosk's audit trail in SQLite's `application_id` header field ("MyKa").
const APPLICATION_ID: i32 = 0x4D79_4B61;
/// The schema's version (`user_version`).
const SCHEMA_VERSION: i32 = 1;
/// The first bytes hashed for every row: the format and its version.
const DOMAIN: &[u8] = b"mynacard-kiosk audit v1\0";
/// The `prev_hash` of row 1.
const GENESIS: [u8; 32] = [0; 32];
/// How long an append waits for another writer (another station's process) to finish.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest code (`place`, `route`, `outcome`).
const MAX_CODE: usize = 40;
/// The longest station name, in characters.
const MAX_STATION: usize = 256;

const SCHEMA: &str = "
CREATE TABLE audit (
    id        INTEGER PRIMARY KEY,
    time      TEXT    NOT NULL,
    station   TEXT    NOT NULL,
    place     TEXT    NOT NULL,
    pin       TEXT,
    route     TEXT,
    outcome   TEXT    NOT NULL,
    exchanges INTEGER NOT NULL,
    prev_hash BLOB    NOT NULL,
    hash      BLOB    NOT NULL
) STRICT;
CREATE TABLE head (
    one  INTEGER PRIMARY KEY CHECK (one = 1),
    rows INTEGER NOT NULL,
    hash BLOB    NOT NULL
) STRICT;
INSERT INTO head (one, rows, hash) VALUES (1, 0, zeroblob(32));
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
";

/// One flow that ended, as the trail records it. Plain data: there is no field for a PIN, a
/// My Number, a name or a certificate, and [`Trail::append`] refuses code fields that are not
/// codes (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// When the flow ended (stored as RFC 3339 UTC, in seconds: `2026-12-06T17:20:03Z`).
    pub time: SystemTime,
    /// The station: its reader's name, or `virtual`.
    pub station: String,
    /// The place rules: `kiosk`, `kiosk-sign-only`, `counter` or `proxy`.
    pub place: String,
    /// The PIN the flow was about, once chosen (stored as `signature`, `user_auth`,
    /// `residence` or `text_assist`).
    pub pin: Option<PinKind>,
    /// The route, once assessed: `self-service`, `self-service+<other PIN's code>`, `counter`
    /// or `proxy`.
    pub route: Option<String>,
    /// The outcome: [`crate::flow::Outcome`] in snake case, or `card_pulled`, `timed_out`.
    pub outcome: String,
    /// The flow's APDU exchanges.
    pub exchanges: u32,
}

/// Why the chain does not verify at a row ([`AuditError::Broken`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The row's fields do not match its hash: it was changed after it was written.
    Altered,
    /// The row is missing: the rows after it are there, it was deleted.
    Missing,
    /// The row's `prev_hash` is not the previous row's hash: a row before it was deleted,
    /// replaced, inserted or moved.
    Unlinked,
    /// The row's id is not in the chain's sequence 1, 2, 3, …: an inserted row.
    OutOfSequence,
    /// The trail recorded `recorded` rows, and this one and any after it are missing: the end
    /// of the trail was deleted.
    Truncated {
        /// The number of rows the trail recorded.
        recorded: u64,
    },
    /// The trail recorded `recorded` rows; this row and any after it were added outside it.
    Unrecorded {
        /// The number of rows the trail recorded.
        recorded: u64,
    },
    /// The last row's hash is not the one the trail recorded: the last row was replaced, or
    /// the record of the chain's end was changed.
    HeadMismatch,
    /// The record of the chain's end is missing, so a deleted end cannot be ruled out (the row
    /// named is the one after the last).
    NoHead,
    /// A column holds a value of the wrong type or size.
    BadValue {
        /// The column.
        column: &'static str,
    },
}

impl Break {
    /// What happened, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Break::Altered, Lang::Ja) => {
                "行の内容がハッシュと一致しません（書き込まれた後に変更されています）".into()
            }
            (Break::Altered, Lang::En) => {
                "the row does not match its hash (it was changed after it was written)".into()
            }
            (Break::Missing, Lang::Ja) => {
                "この行がありません（後の行はあるので、削除されています）".into()
            }
            (Break::Missing, Lang::En) => {
                "the row is missing (the rows after it are there: it was deleted)".into()
            }
            (Break::Unlinked, Lang::Ja) => "前の行のハッシュにつながっていません（前の行が削除、置換、挿入、または移動されています）".into(),
            (Break::Unlinked, Lang::En) => "the row does not follow the previous row's hash (a row before it was deleted, replaced, inserted or moved)".into(),
            (Break::OutOfSequence, Lang::Ja) => {
                "行の番号が 1, 2, 3, … の並びにありません（挿入された行です）".into()
            }
            (Break::OutOfSequence, Lang::En) => {
                "the row's id is not in the sequence 1, 2, 3, … (an inserted row)".into()
            }
            (Break::Truncated { recorded }, Lang::Ja) => format!(
                "記録では {recorded} 行あるはずですが、この行から後がありません（末尾が削除されています）"
            ),
            (Break::Truncated { recorded }, Lang::En) => format!(
                "the trail recorded {recorded} rows, and this row and any after it are missing (the end was deleted)"
            ),
            (Break::Unrecorded { recorded }, Lang::Ja) => format!(
                "記録では {recorded} 行のはずですが、この行から後は記録の外で追加されています"
            ),
            (Break::Unrecorded { recorded }, Lang::En) => format!(
                "the trail recorded {recorded} rows; this row and any after it were added outside the trail"
            ),
            (Break::HeadMismatch, Lang::Ja) => "最後の行のハッシュが記録されたものと一致しません（最後の行が置き換えられたか、チェーンの末尾の記録が変更されています）".into(),
            (Break::HeadMismatch, Lang::En) => "the last row's hash is not the one the trail recorded (the last row was replaced, or the record of the chain's end was changed)".into(),
            (Break::NoHead, Lang::Ja) => "チェーンの末尾の記録がありません（末尾の削除を否定できません）".into(),
            (Break::NoHead, Lang::En) => "the record of the chain's end is missing (a deleted end cannot be ruled out)".into(),
            (Break::BadValue { column }, Lang::Ja) => {
                format!("列 {column} の値の型または大きさが正しくありません")
            }
            (Break::BadValue { column }, Lang::En) => {
                format!("the column {column} holds a value of the wrong type or size")
            }
        }
    }
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

/// An error of the audit trail.
#[derive(Debug)]
#[non_exhaustive]
pub enum AuditError {
    /// The chain is broken: `row` is the id of the first row that cannot be trusted.
    Broken {
        /// The id of the first bad row.
        row: i64,
        /// Why.
        why: Break,
    },
    /// There is no file at `path` (verify and export never create one).
    NotFound {
        /// The path.
        path: PathBuf,
    },
    /// The file at `path` is not the kiosk's audit trail: not a SQLite database, or another
    /// program's. It was not changed.
    NotAudit {
        /// The path.
        path: PathBuf,
    },
    /// The file at `path` is an audit trail of a later schema version than this program's.
    Version {
        /// The path.
        path: PathBuf,
        /// Its schema version.
        version: i64,
    },
    /// The directories or the file could not be created or opened.
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// An entry was refused before anything was written: `field` is not a code (or not a
    /// station name), see the [module docs](self).
    Invalid {
        /// The field: `station`, `place`, `route`, `outcome` or `time`.
        field: &'static str,
    },
    /// The export could not be written.
    Output(io::Error),
    /// SQLite refused (a locked or damaged file, a full disk, …).
    Database(String),
}

impl AuditError {
    /// What went wrong, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (AuditError::Broken { row, why }, Lang::Ja) => {
                format!("チェーンが {row} 行目で壊れています: {}", why.message(lang))
            }
            (AuditError::Broken { row, why }, Lang::En) => {
                format!("the chain is broken at row {row}: {}", why.message(lang))
            }
            (AuditError::NotFound { path }, Lang::Ja) => {
                format!("監査記録 {} がありません", path.display())
            }
            (AuditError::NotFound { path }, Lang::En) => {
                format!("there is no audit trail at {}", path.display())
            }
            (AuditError::NotAudit { path }, Lang::Ja) => format!(
                "{} は myna-kiosk の監査記録ではありません（SQLite のファイルでないか、別のプログラムのデータベースです）。ファイルは変更していません",
                path.display()
            ),
            (AuditError::NotAudit { path }, Lang::En) => format!(
                "{} is not a myna-kiosk audit trail (not a SQLite file, or another program's database); it was not changed",
                path.display()
            ),
            (AuditError::Version { path, version }, Lang::Ja) => format!(
                "{} は新しい版（{version}）の監査記録で、このプログラム（版 {SCHEMA_VERSION}）では読めません",
                path.display()
            ),
            (AuditError::Version { path, version }, Lang::En) => format!(
                "{} is an audit trail of a later version ({version}) than this program reads ({SCHEMA_VERSION})",
                path.display()
            ),
            (AuditError::Io { path, source }, Lang::Ja) => {
                format!("監査記録 {} を作成または開けません: {source}", path.display())
            }
            (AuditError::Io { path, source }, Lang::En) => {
                format!("cannot create or open the audit trail {}: {source}", path.display())
            }
            (AuditError::Invalid { field }, Lang::Ja) => format!(
                "監査記録の項目 {field} を拒否しました（コードは a–z、_、-、+ の {MAX_CODE} 文字以内で数字を含まず、端末名は制御文字を含まない {MAX_STATION} 文字以内）。何も書き込んでいません"
            ),
            (AuditError::Invalid { field }, Lang::En) => format!(
                "the audit entry's {field} was refused (a code is at most {MAX_CODE} of a-z, '_', '-', '+', never a digit; a station name at most {MAX_STATION} characters, no control characters); nothing was written"
            ),
            (AuditError::Output(e), Lang::Ja) => format!("書き出せません: {e}"),
            (AuditError::Output(e), Lang::En) => format!("cannot write the export: {e}"),
            (AuditError::Database(m), Lang::Ja) => format!("監査記録のデータベースのエラー: {m}"),
            (AuditError::Database(m), Lang::En) => format!("audit database error: {m}"),
        }
    }
}

impl fmt::Display for AuditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for AuditError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            AuditError::Io { source, .. } => Some(source),
            AuditError::Output(e) => Some(e),
            _ => None,
        }
    }
}

/// A SQLite error, with what the trail was doing.
fn db(doing: &str) -> impl Fn(rusqlite::Error) -> AuditError + '_ {
    move |e| AuditError::Database(format!("{doing}: {e}"))
}

/// An open audit trail. `Send + Sync`: the stations of one server share it (behind an `Arc`);
/// appends from several threads, or several processes on the same file, are serialized.
pub struct Trail {
    conn: Mutex<Connection>,
    path: PathBuf,
}

// A trail is shared by the stations' threads.
const _: fn() = || {
    fn shared<T: Send + Sync>() {}
    shared::<Trail>();
};

impl fmt::Debug for Trail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trail").field("path", &self.path).finish()
    }
}

impl Trail {
    /// Opens the trail at `path`: creates its directories (0700 on Unix) and the file (0600 on
    /// Unix) and the schema if there is none yet. A file that is not an audit trail is refused
    /// ([`AuditError::NotAudit`]) and left as it is.
    pub fn open(path: &Path) -> Result<Trail, AuditError> {
        let io = |source| AuditError::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_dirs(dir).map_err(io)?;
        }
        create_file(path).map_err(io)?;
        let mut conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| not_audit_or(path, e, "opening"))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(db("setting the busy timeout"))?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| not_audit_or(path, e, "locking"))?;
        if check_schema(&tx, path)? == Schema::Empty {
            tx.execute_batch(SCHEMA)
                .map_err(db("creating the schema"))?;
            tx.pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(db("marking the file"))?;
            tx.pragma_update(None, "user_version", SCHEMA_VERSION)
                .map_err(db("marking the file"))?;
        }
        tx.commit().map_err(db("creating the schema"))?;
        Ok(Trail {
            conn: Mutex::new(conn),
            path: path.to_owned(),
        })
    }

    /// Appends `entry`, chained to the last row, and returns its row id (1 for the first
    /// row). The row and the record of the chain's end are written in one `IMMEDIATE`
    /// transaction. An entry whose fields are not codes is refused ([`AuditError::Invalid`])
    /// and nothing is written.
    pub fn append(&self, entry: &Entry) -> Result<i64, AuditError> {
        let row = Row::from_entry(entry)?;
        // A thread that panicked while holding the lock left no transaction open (a dropped
        // transaction rolls back), so the connection is still good.
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("locking the trail"))?;
        let head: Option<(i64, Vec<u8>)> = tx
            .query_row("SELECT rows, hash FROM head WHERE one = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(db("reading the chain's end"))?;
        let (rows, prev) = match head {
            Some((rows, hash)) => match <[u8; 32]>::try_from(hash.as_slice()) {
                Ok(prev) if rows >= 0 => (rows, prev),
                _ => {
                    return Err(AuditError::Broken {
                        row: rows.max(0) + 1,
                        why: Break::BadValue { column: "head" },
                    })
                }
            },
            // No record of the end: appending would hide a deleted end, so refuse (as
            // `verify` does, naming the row after the last).
            None => {
                let last: i64 = tx
                    .query_row("SELECT coalesce(max(id), 0) FROM audit", [], |r| r.get(0))
                    .map_err(db("reading the chain's end"))?;
                return Err(AuditError::Broken {
                    row: last + 1,
                    why: Break::NoHead,
                });
            }
        };
        let id = rows + 1;
        let hash = row.hash(id, &prev);
        tx.execute(
            "INSERT INTO audit (id, time, station, place, pin, route, outcome, exchanges, \
             prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            rusqlite::params![
                id,
                row.time,
                row.station,
                row.place,
                row.pin,
                row.route,
                row.outcome,
                row.exchanges,
                &prev[..],
                &hash[..],
            ],
        )
        .map_err(db("writing the row"))?;
        tx.execute(
            "UPDATE head SET rows = ?1, hash = ?2 WHERE one = 1",
            rusqlite::params![id, &hash[..]],
        )
        .map_err(db("writing the chain's end"))?;
        tx.commit().map_err(db("committing the row"))?;
        Ok(id)
    }

    /// The trail's file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(unix)]
fn create_dirs(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_dirs(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Creates the file (0600 on Unix) unless it exists; an existing file is left as it is.
fn create_file(path: &Path) -> io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// [`AuditError::NotAudit`] for "not a database", else a database error.
fn not_audit_or(path: &Path, e: rusqlite::Error, doing: &str) -> AuditError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => AuditError::NotAudit {
            path: path.to_owned(),
        },
        Some(ErrorCode::CannotOpen) => AuditError::Io {
            path: path.to_owned(),
            source: io::Error::other(e.to_string()),
        },
        _ => AuditError::Database(format!("{doing} {}: {e}", path.display())),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Schema {
    /// A new, empty database.
    Empty,
    /// The kiosk's audit trail.
    Audit,
}

/// What the database is: empty, the kiosk's trail, or an error (another file).
fn check_schema(conn: &Connection, path: &Path) -> Result<Schema, AuditError> {
    let not_audit = || AuditError::NotAudit {
        path: path.to_owned(),
    };
    let app: i64 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(|e| not_audit_or(path, e, "reading"))?;
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(|e| not_audit_or(path, e, "reading"))?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .map_err(|e| not_audit_or(path, e, "reading"))?;
    if app == 0 && version == 0 && tables == 0 {
        return Ok(Schema::Empty);
    }
    if app != i64::from(APPLICATION_ID) {
        return Err(not_audit());
    }
    if version > i64::from(SCHEMA_VERSION) {
        return Err(AuditError::Version {
            path: path.to_owned(),
            version,
        });
    }
    let audit: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'audit'",
            [],
            |r| r.get(0),
        )
        .map_err(|e| not_audit_or(path, e, "reading"))?;
    if version != i64::from(SCHEMA_VERSION) || audit != 1 {
        return Err(not_audit());
    }
    Ok(Schema::Audit)
}

/// A row's stored fields, as text and integers.
struct Row {
    time: String,
    station: String,
    place: String,
    pin: Option<String>,
    route: Option<String>,
    outcome: String,
    exchanges: i64,
}

impl Row {
    fn from_entry(e: &Entry) -> Result<Row, AuditError> {
        let invalid = |field| AuditError::Invalid { field };
        let station_ok = !e.station.is_empty()
            && e.station.chars().count() <= MAX_STATION
            && !e.station.chars().any(char::is_control);
        if !station_ok {
            return Err(invalid("station"));
        }
        if !is_code(&e.place) {
            return Err(invalid("place"));
        }
        if e.route.as_deref().is_some_and(|r| !is_code(r)) {
            return Err(invalid("route"));
        }
        if !is_code(&e.outcome) {
            return Err(invalid("outcome"));
        }
        Ok(Row {
            time: rfc3339(e.time).ok_or(invalid("time"))?,
            station: e.station.clone(),
            place: e.place.clone(),
            pin: e.pin.map(|k| pin_code(k).to_owned()),
            route: e.route.clone(),
            outcome: e.outcome.clone(),
            exchanges: i64::from(e.exchanges),
        })
    }

    /// The row's hash: SHA-256 over the canonical encoding of the module docs.
    fn hash(&self, id: i64, prev: &[u8; 32]) -> [u8; 32] {
        fn field(h: &mut Sha256, bytes: &[u8]) {
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(bytes);
        }
        fn optional(h: &mut Sha256, bytes: Option<&[u8]>) {
            match bytes {
                None => h.update([0]),
                Some(b) => {
                    h.update([1]);
                    field(h, b);
                }
            }
        }
        let mut h = Sha256::new();
        h.update(DOMAIN);
        h.update(id.to_be_bytes());
        field(&mut h, self.time.as_bytes());
        field(&mut h, self.station.as_bytes());
        field(&mut h, self.place.as_bytes());
        optional(&mut h, self.pin.as_deref().map(str::as_bytes));
        optional(&mut h, self.route.as_deref().map(str::as_bytes));
        field(&mut h, self.outcome.as_bytes());
        h.update(self.exchanges.to_be_bytes());
        h.update(prev);
        h.finalize().into()
    }
}

/// A code of the trail: 1 to [`MAX_CODE`] of `a`–`z`, `_`, `-`, `+`. No digit, so no PIN.
fn is_code(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_CODE
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || matches!(b, b'_' | b'-' | b'+'))
}

/// The stored code of a PIN kind.
fn pin_code(kind: PinKind) -> &'static str {
    match kind {
        PinKind::Signature => "signature",
        PinKind::UserAuth => "user_auth",
        PinKind::Residence => "residence",
        PinKind::TextAssist => "text_assist",
    }
}

/// `t` as RFC 3339 in UTC, to the second (`2026-12-06T17:20:03Z`); `None` outside the years
/// 0000–9999, which RFC 3339 cannot write.
fn rfc3339(t: SystemTime) -> Option<String> {
    let secs: i64 = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).ok()?,
        // Before 1970: round down to the second.
        Err(e) => {
            let d = e.duration();
            let whole = i64::try_from(d.as_secs()).ok()?;
            if d.subsec_nanos() > 0 {
                whole.checked_add(1)?.checked_neg()?
            } else {
                whole.checked_neg()?
            }
        }
    };
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    if !(0..=9999).contains(&y) {
        return None;
    }
    Some(format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    ))
}

/// The proleptic Gregorian date (year, month, day) of the day `days` after 1970-01-01.
///
/// The algorithm is Howard Hinnant's `civil_from_days` ("chrono-Compatible Low-Level Date
/// Algorithms", <https://howardhinnant.github.io/date_algorithms.html>): it counts in 400-year
/// eras of 146,097 days from 0000-03-01, so that the leap day is the last day of each
/// March-based year.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Days from 0000-03-01 (719,468 days before 1970-01-01).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097); // 0..=146_096
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153; // 0 = March … 11 = February
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Both are in range by construction (1..=12, 1..=31).
    (year, month as u32, day as u32)
}

/// The default path of the trail: `mynacard/kiosk-audit.sqlite3` in the user's state directory
/// (`$XDG_STATE_HOME`, `~/.local/state` on Linux), else the local data directory, else the
/// temporary directory.
pub fn default_path() -> PathBuf {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("mynacard")
        .join("kiosk-audit.sqlite3")
}

/// Opens an existing trail read-only, for [`verify`] and [`export`].
fn open_read(path: &Path) -> Result<Connection, AuditError> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {}
        Ok(_) => {
            return Err(AuditError::NotAudit {
                path: path.to_owned(),
            })
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Err(AuditError::NotFound {
                path: path.to_owned(),
            })
        }
        Err(source) => {
            return Err(AuditError::Io {
                path: path.to_owned(),
                source,
            })
        }
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| not_audit_or(path, e, "opening"))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(db("setting the busy timeout"))?;
    match check_schema(&conn, path)? {
        Schema::Audit => Ok(conn),
        // An empty file (or an empty SQLite database) is not a trail either.
        Schema::Empty => Err(AuditError::NotAudit {
            path: path.to_owned(),
        }),
    }
}

/// A stored row, read back.
struct Stored {
    id: i64,
    row: Row,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
}

/// Reads the row at the cursor; a value of the wrong type is [`Break::BadValue`] at its row.
fn read_row(r: &rusqlite::Row<'_>) -> Result<Stored, AuditError> {
    let id: i64 = r.get(0).map_err(|_| AuditError::Broken {
        row: 0,
        why: Break::BadValue { column: "id" },
    })?;
    let bad = |column| AuditError::Broken {
        row: id,
        why: Break::BadValue { column },
    };
    Ok(Stored {
        id,
        row: Row {
            time: r.get(1).map_err(|_| bad("time"))?,
            station: r.get(2).map_err(|_| bad("station"))?,
            place: r.get(3).map_err(|_| bad("place"))?,
            pin: r.get(4).map_err(|_| bad("pin"))?,
            route: r.get(5).map_err(|_| bad("route"))?,
            outcome: r.get(6).map_err(|_| bad("outcome"))?,
            exchanges: r.get(7).map_err(|_| bad("exchanges"))?,
        },
        prev_hash: r.get(8).map_err(|_| bad("prev_hash"))?,
        hash: r.get(9).map_err(|_| bad("hash"))?,
    })
}

const SELECT_ROWS: &str = "SELECT id, time, station, place, pin, route, outcome, exchanges, \
                           prev_hash, hash FROM audit ORDER BY id";

/// Calls `each` on every row in id order, in one read transaction (a consistent snapshot while
/// stations append), then returns the record of the chain's end.
fn scan(
    conn: &mut Connection,
    mut each: impl FnMut(Stored) -> Result<(), AuditError>,
) -> Result<Head, AuditError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Deferred)
        .map_err(db("reading the trail"))?;
    {
        let mut stmt = tx.prepare(SELECT_ROWS).map_err(db("reading the trail"))?;
        let mut rows = stmt.query([]).map_err(db("reading the trail"))?;
        while let Some(r) = rows.next().map_err(db("reading the trail"))? {
            each(read_row(r)?)?;
        }
    }
    let has_head: i64 = tx
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'head'",
            [],
            |r| r.get(0),
        )
        .map_err(db("reading the chain's end"))?;
    let head = if has_head == 0 {
        Head::Missing
    } else {
        let read = tx
            .query_row("SELECT rows, hash FROM head WHERE one = 1", [], |r| {
                Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .optional();
        match read {
            Ok(None) => Head::Missing,
            Ok(Some((rows, hash))) => match <[u8; 32]>::try_from(hash.as_slice()) {
                Ok(hash) if rows >= 0 => Head::Recorded { rows, hash },
                _ => Head::Bad,
            },
            // A head table replaced by one of other columns or types.
            Err(
                rusqlite::Error::InvalidColumnType(..)
                | rusqlite::Error::InvalidColumnIndex(_)
                | rusqlite::Error::FromSqlConversionFailure(..),
            ) => Head::Bad,
            Err(e) if e.sqlite_error_code() == Some(ErrorCode::Unknown) => Head::Bad,
            Err(e) => return Err(db("reading the chain's end")(e)),
        }
    };
    tx.finish().map_err(db("reading the trail"))?;
    Ok(head)
}

/// The record of the chain's end, as [`scan`] found it.
enum Head {
    /// No head table, or no row in it.
    Missing,
    /// A head of the wrong shape.
    Bad,
    /// The number of rows and the last row's hash.
    Recorded { rows: i64, hash: [u8; 32] },
}

/// Verifies the trail at `path`: recomputes every row's hash in id order, checks that each
/// row follows the previous one and that the ids run 1, 2, 3, … without a gap, and that the
/// last row is the one the trail recorded as its end. `Ok(rows)` when intact; else
/// [`AuditError::Broken`] naming the first bad row, or an error if the file is missing or not
/// an audit trail (it is opened read-only and never changed).
pub fn verify(path: &Path) -> Result<usize, AuditError> {
    verify_head(path).map(|(rows, _)| rows)
}

/// [`verify`], with the last row's hash (32 zero bytes when there is no row).
fn verify_head(path: &Path) -> Result<(usize, [u8; 32]), AuditError> {
    let mut expected: i64 = 1;
    let mut prev = GENESIS;
    let mut conn = open_read(path)?;
    let head = scan(&mut conn, |s| {
        let broken = |row, why| Err(AuditError::Broken { row, why });
        if s.id > expected {
            return broken(expected, Break::Missing);
        }
        if s.id < expected {
            return broken(s.id, Break::OutOfSequence);
        }
        let Ok(stored_prev) = <[u8; 32]>::try_from(s.prev_hash.as_slice()) else {
            return broken(
                s.id,
                Break::BadValue {
                    column: "prev_hash",
                },
            );
        };
        let Ok(stored_hash) = <[u8; 32]>::try_from(s.hash.as_slice()) else {
            return broken(s.id, Break::BadValue { column: "hash" });
        };
        if s.row.hash(s.id, &stored_prev) != stored_hash {
            return broken(s.id, Break::Altered);
        }
        if stored_prev != prev {
            return broken(s.id, Break::Unlinked);
        }
        prev = stored_hash;
        expected += 1;
        Ok(())
    })?;
    let found = expected - 1;
    let broken = |row, why| Err(AuditError::Broken { row, why });
    let (recorded, head_hash) = match head {
        Head::Recorded { rows, hash } => (rows, hash),
        Head::Missing => return broken(found + 1, Break::NoHead),
        Head::Bad => return broken(found + 1, Break::BadValue { column: "head" }),
    };
    let recorded_u = u64::try_from(recorded).unwrap_or(0);
    if recorded > found {
        return broken(
            found + 1,
            Break::Truncated {
                recorded: recorded_u,
            },
        );
    }
    if recorded < found {
        return broken(
            recorded + 1,
            Break::Unrecorded {
                recorded: recorded_u,
            },
        );
    }
    if head_hash != prev {
        return broken(found.max(1), Break::HeadMismatch);
    }
    let rows = usize::try_from(found).unwrap_or(usize::MAX);
    Ok((rows, prev))
}

/// One exported row.
#[derive(serde::Serialize)]
struct Exported<'a> {
    id: i64,
    time: &'a str,
    station: &'a str,
    place: &'a str,
    pin: Option<&'a str>,
    route: Option<&'a str>,
    outcome: &'a str,
    exchanges: i64,
    prev_hash: String,
    hash: String,
}

/// The CSV header line's fields (the JSON objects' keys, in the same order).
const COLUMNS: [&str; 10] = [
    "id",
    "time",
    "station",
    "place",
    "pin",
    "route",
    "outcome",
    "exchanges",
    "prev_hash",
    "hash",
];

/// One CSV field, quoted as RFC 4180 asks when it holds a comma, a quote or a line break.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// Writes every row of the trail at `path` to `out`, in id order, hashes included (as
/// lowercase hex): CSV by default (RFC 4180: a header line, CRLF line ends, fields with a
/// comma, quote or line break quoted; a null PIN or route is an empty field), or with `json` a
/// JSON array of objects with the same keys (`null` for a null PIN or route). Returns the
/// number of rows. It does not verify the chain ([`verify`] does); the file is opened
/// read-only.
pub fn export(path: &Path, json: bool, out: &mut dyn Write) -> Result<usize, AuditError> {
    // Opened first: nothing is written for a file that is not a trail.
    let mut conn = open_read(path)?;
    let mut n = 0usize;
    let w = |r: io::Result<()>| r.map_err(AuditError::Output);
    if json {
        w(out.write_all(b"["))?;
    } else {
        w(out.write_all(COLUMNS.join(",").as_bytes()))?;
        w(out.write_all(b"\r\n"))?;
    }
    scan(&mut conn, |s| {
        let e = Exported {
            id: s.id,
            time: &s.row.time,
            station: &s.row.station,
            place: &s.row.place,
            pin: s.row.pin.as_deref(),
            route: s.row.route.as_deref(),
            outcome: &s.row.outcome,
            exchanges: s.row.exchanges,
            prev_hash: hex::encode(&s.prev_hash),
            hash: hex::encode(&s.hash),
        };
        if json {
            w(out.write_all(if n == 0 { b"\n" } else { b",\n" }))?;
            serde_json::to_writer(&mut *out, &e).map_err(|e| AuditError::Output(e.into()))?;
        } else {
            let fields = [
                e.id.to_string(),
                csv_field(e.time),
                csv_field(e.station),
                csv_field(e.place),
                csv_field(e.pin.unwrap_or("")),
                csv_field(e.route.unwrap_or("")),
                csv_field(e.outcome),
                e.exchanges.to_string(),
                e.prev_hash,
                e.hash,
            ];
            w(out.write_all(fields.join(",").as_bytes()))?;
            w(out.write_all(b"\r\n"))?;
        }
        n += 1;
        Ok(())
    })?;
    if json {
        w(out.write_all(if n == 0 { b"]\n" } else { b"\n]\n" }))?;
    }
    w(out.flush())?;
    Ok(n)
}

/// `myna-kiosk audit`: the audit trail's subcommand.
#[derive(Debug, Parser)]
#[command(
    name = "myna-kiosk audit",
    about = "The kiosk's audit trail: verify its hash chain, or export it",
    disable_help_subcommand = true
)]
struct AuditOpts {
    #[command(subcommand)]
    command: AuditCommand,
    /// The language: ja or en (default: from LC_ALL, LC_MESSAGES or LANG; Japanese when it
    /// starts with `ja`).
    #[arg(long, global = true, value_name = "ja|en", value_parser = parse_lang)]
    lang: Option<Lang>,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Verify the hash chain: exit 0 if intact, 1 with the first bad row.
    Verify {
        /// The audit trail (default: the kiosk's, in the user's state directory).
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
    },
    /// Export every row, hashes included: CSV (with a header line), or a JSON array.
    Export {
        /// The audit trail (default: the kiosk's, in the user's state directory).
        #[arg(long, value_name = "PATH")]
        db: Option<PathBuf>,
        /// A JSON array instead of CSV.
        #[arg(long)]
        json: bool,
    },
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| "expected ja or en / ja か en を指定してください".to_owned())
}

/// The language asked for in `args` (`--lang ja`, `--lang=en`), before parsing, so that the
/// help and the usage errors are in it too.
fn lang_in(args: &[OsString]) -> Option<Lang> {
    args.iter()
        .enumerate()
        .find_map(|(i, a)| match a.to_str()?.strip_prefix("--lang") {
            Some("") => args.get(i + 1)?.to_str().and_then(Lang::parse),
            Some(v) => v.strip_prefix('=').and_then(Lang::parse),
            None => None,
        })
}

/// The command, with its help in `lang`.
fn command(lang: Lang) -> clap::Command {
    let cmd = AuditOpts::command();
    if lang == Lang::En {
        return cmd;
    }
    const OPTIONS: &str = "オプション";
    const DB: &str = "監査記録のファイル（既定: 利用者の状態ディレクトリにあるキオスクのもの）";
    const LANG: &str =
        "表示の言語: ja または en（既定: LC_ALL、LC_MESSAGES、LANG が ja で始まれば日本語）";
    fn help_flag() -> clap::Arg {
        clap::Arg::new("help")
            .short('h')
            .long("help")
            .action(clap::ArgAction::Help)
            .help("ヘルプを表示する")
            .help_heading(OPTIONS)
            // Last, after the global --lang, as in the English help.
            .display_order(usize::MAX)
    }
    let template = "{about-with-newline}\n使い方: {usage}\n\n{all-args}{after-help}";
    cmd.about("キオスクの監査記録: ハッシュチェーンを検証する、または書き出す")
        .disable_help_flag(true)
        .arg(help_flag())
        .subcommand_help_heading("コマンド")
        .mut_arg("lang", |a| a.help(LANG).help_heading(OPTIONS))
        .help_template(template)
        .mut_subcommand("verify", |s| {
            s.about("ハッシュチェーンを検証する: 正常なら終了コード 0、壊れていれば最初の不正な行を示して 1")
                .mut_arg("db", |a| a.help(DB).help_heading(OPTIONS))
                .disable_help_flag(true)
                .arg(help_flag())
                .help_template(template)
        })
        .mut_subcommand("export", |s| {
            s.about("すべての行をハッシュとともに書き出す: CSV（見出し行つき）または JSON の配列")
                .mut_arg("db", |a| a.help(DB).help_heading(OPTIONS))
                .mut_arg("json", |a| {
                    a.help("CSV ではなく JSON の配列で書き出す")
                        .help_heading(OPTIONS)
                })
                .disable_help_flag(true)
                .arg(help_flag())
                .help_template(template)
        })
}

/// The `myna-kiosk audit …` subcommand. `args` are the arguments after `audit`; `lang` is the
/// language unless `--lang` says otherwise.
///
/// - `verify [--db PATH]`: prints `N rows, chain intact` (in `lang`) and the last hash, exit
///   0; or the first bad row and why, exit 1.
/// - `export [--db PATH] [--json]`: the rows on standard output ([`export`]), exit 0.
///
/// A file that is missing or not an audit trail, or any other error: a message on standard
/// error, exit 1. A usage error: exit 2 (`--help`: exit 0).
pub fn cli(args: &[OsString], lang: Lang) -> ExitCode {
    let lang = lang_in(args).unwrap_or(lang);
    let argv = std::iter::once(OsString::from("myna-kiosk audit")).chain(args.iter().cloned());
    let parsed = command(lang)
        .try_get_matches_from(argv)
        .and_then(|m| AuditOpts::from_arg_matches(&m));
    let opts = match parsed {
        Ok(o) => o,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let lang = opts.lang.unwrap_or(lang);
    let fail = |e: AuditError| {
        eprintln!("myna-kiosk audit: {}", e.message(lang));
        ExitCode::from(1)
    };
    match opts.command {
        AuditCommand::Verify { db } => {
            let path = db.unwrap_or_else(default_path);
            match verify_head(&path) {
                Ok((rows, last)) => {
                    println!("{}", intact(rows, lang));
                    match lang {
                        Lang::Ja => println!("最後のハッシュ: {}", hex::encode(last)),
                        Lang::En => println!("last hash: {}", hex::encode(last)),
                    }
                    ExitCode::SUCCESS
                }
                Err(e @ AuditError::Broken { .. }) => {
                    println!("{}", e.message(lang));
                    ExitCode::from(1)
                }
                Err(e) => fail(e),
            }
        }
        AuditCommand::Export { db, json } => {
            let path = db.unwrap_or_else(default_path);
            let stdout = io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            match export(&path, json, &mut out) {
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => fail(e),
            }
        }
    }
}

/// `N rows, chain intact`, in `lang`.
fn intact(rows: usize, lang: Lang) -> String {
    match (lang, rows) {
        (Lang::Ja, n) => format!("{n} 行、チェーンは正常です"),
        (Lang::En, 1) => "1 row, chain intact".to_owned(),
        (Lang::En, n) => format!("{n} rows, chain intact"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> SystemTime {
        if secs >= 0 {
            UNIX_EPOCH + Duration::from_secs(secs as u64)
        } else {
            UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
        }
    }

    /// Dates whose epoch seconds were computed independently (Python's `calendar.timegm`).
    #[test]
    fn rfc3339_of_known_instants() {
        let known = [
            (0, "1970-01-01T00:00:00Z"),
            (1_796_577_603, "2026-12-06T17:20:03Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (4_107_628_799, "2100-03-01T23:59:59Z"),
            (1_735_646_400, "2024-12-31T12:00:00Z"),
            (-1, "1969-12-31T23:59:59Z"),
            (-2_203_891_200, "1900-03-01T00:00:00Z"),
            (253_402_300_799, "9999-12-31T23:59:59Z"),
        ];
        for (secs, text) in known {
            assert_eq!(rfc3339(at(secs)).as_deref(), Some(text), "{secs}");
        }
        // Fractions of a second are cut, towards the past.
        assert_eq!(
            rfc3339(at(1_796_577_603) + Duration::from_millis(999)).as_deref(),
            Some("2026-12-06T17:20:03Z")
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH - Duration::from_millis(1)).as_deref(),
            Some("1969-12-31T23:59:59Z")
        );
        // Year 10000 cannot be written in RFC 3339.
        assert_eq!(rfc3339(at(253_402_300_800)), None);
    }

    /// Every day from 1600 to 2400 follows the one before: the day of the month goes up by
    /// one, or starts again at 1 after the last day of the month (leap years by the Gregorian
    /// rule).
    #[test]
    fn civil_from_days_walks_the_calendar() {
        fn month_len(y: i64, m: u32) -> u32 {
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            [
                31,
                if leap { 29 } else { 28 },
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ][m as usize - 1]
        }
        let start = -135_140; // 1600-01-01
        assert_eq!(civil_from_days(start), (1600, 1, 1));
        let mut prev = civil_from_days(start);
        for day in start + 1..=157_054 {
            let (y, m, d) = civil_from_days(day);
            let (py, pm, pd) = prev;
            let next = if pd < month_len(py, pm) {
                (py, pm, pd + 1)
            } else if pm < 12 {
                (py, pm + 1, 1)
            } else {
                (py + 1, 1, 1)
            };
            assert_eq!((y, m, d), next, "day {day}");
            prev = (y, m, d);
        }
        assert_eq!(prev, (2400, 1, 1));
    }

    #[test]
    fn codes_never_hold_a_digit() {
        for ok in [
            "kiosk",
            "kiosk-sign-only",
            "self-service+user_auth",
            "timed_out",
        ] {
            assert!(is_code(ok), "{ok}");
        }
        for bad in [
            "",
            "1234",
            "ABC123",
            "abc1",
            "Done",
            "名前",
            "a b",
            "x".repeat(41).as_str(),
        ] {
            assert!(!is_code(bad), "{bad}");
        }
    }

    /// Two rows that differ only in where a boundary between fields falls hash differently.
    #[test]
    fn the_encoding_is_unambiguous() {
        let row = |station: &str, place: &str, pin: Option<&str>, route: Option<&str>| Row {
            time: "2026-12-06T17:20:03Z".into(),
            station: station.into(),
            place: place.into(),
            pin: pin.map(Into::into),
            route: route.map(Into::into),
            outcome: "done".into(),
            exchanges: 25,
        };
        let h = |r: Row| r.hash(1, &GENESIS);
        assert_ne!(h(row("ab", "c", None, None)), h(row("a", "bc", None, None)));
        assert_ne!(
            h(row("a", "b", Some("x"), None)),
            h(row("a", "b", None, Some("x")))
        );
        assert_ne!(
            h(row("a", "b", Some(""), None)),
            h(row("a", "b", None, None))
        );
        let r = row("a", "b", None, None);
        assert_ne!(r.hash(1, &GENESIS), r.hash(2, &GENESIS));
        assert_ne!(r.hash(1, &GENESIS), r.hash(1, &[1; 32]));
    }
}
