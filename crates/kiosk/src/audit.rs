//! The kiosk's audit trail: one row per flow that ended, hash-chained in a SQLite file.
//!
//! (Skeleton: the API of the contract; the bodies follow.)

use std::ffi::OsString;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::SystemTime;

use mynacard::pin::PinKind;
use rusqlite::Connection;

use crate::text::Lang;

/// One flow that ended, as the trail records it. Plain data: no field is meant for, or can
/// hold without being refused by [`Trail::append`], a PIN, a My Number, a name or a
/// certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// When the flow ended (stored as RFC 3339 UTC, in seconds: `2026-12-06T17:20:03Z`).
    pub time: SystemTime,
    /// The station: its reader's name, or `virtual`.
    pub station: String,
    /// The place rules: `kiosk`, `kiosk-sign-only`, `counter` or `proxy`.
    pub place: String,
    /// The PIN the flow was about, if it got that far.
    pub pin: Option<PinKind>,
    /// The route: `self-service`, `self-service+<other PIN's code>`, `counter` or `proxy`.
    pub route: Option<String>,
    /// The outcome: [`crate::flow::Outcome`] in snake_case, or `card_pulled`, `timed_out`.
    pub outcome: String,
    /// The flow's APDU exchanges.
    pub exchanges: u32,
}

/// Why the chain does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// A field of the row differs from what was hashed (an edited row).
    Altered,
}

/// An error of the audit trail.
#[derive(Debug)]
pub enum AuditError {
    /// The chain is broken at `row` (the first bad row).
    Broken {
        /// The id of the first bad row.
        row: i64,
        /// Why.
        why: Break,
    },
}

impl fmt::Display for AuditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self:?}")
    }
}

impl std::error::Error for AuditError {}

/// An open audit trail. `Send + Sync`: stations share one behind an `Arc`.
pub struct Trail {
    conn: Mutex<Connection>,
}

impl Trail {
    /// Opens the trail at `path`, creating its directories and the file (0600 on Unix) and
    /// the schema if needed.
    pub fn open(path: &Path) -> Result<Trail, AuditError> {
        let _ = path;
        unimplemented!()
    }

    /// Appends `entry`, chained to the last row, and returns its row id.
    pub fn append(&self, entry: &Entry) -> Result<i64, AuditError> {
        let _ = (entry, &self.conn);
        unimplemented!()
    }
}

/// The default path of the trail: `mynacard/kiosk-audit.sqlite3` in the user's state directory.
pub fn default_path() -> PathBuf {
    unimplemented!()
}

/// Verifies the chain; `Ok(rows)` when intact.
pub fn verify(path: &Path) -> Result<usize, AuditError> {
    let _ = path;
    unimplemented!()
}

/// Writes every row to `out` as CSV (with a header line) or, with `json`, a JSON array; returns
/// the number of rows.
pub fn export(path: &Path, json: bool, out: &mut dyn Write) -> Result<usize, AuditError> {
    let _ = (path, json, out);
    unimplemented!()
}

/// The `myna-kiosk audit …` subcommand; `args` are the arguments after `audit`.
pub fn cli(args: &[OsString], lang: Lang) -> ExitCode {
    let _ = (args, lang);
    unimplemented!()
}
