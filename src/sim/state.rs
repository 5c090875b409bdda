//! The virtual card's persistent state: retry counters and salted SHA-256 digests of the key
//! values (no value in the clear; what that protects and what not is in the [`super`] module
//! documentation).
//!
//! Saved as JSON with an atomic replace (write to a temporary file `0600`, fsync, rename, fsync
//! the directory) beside the file the path names (symbolic links resolved), under an exclusive
//! lock held for as long as the card is open, so that two processes, or two paths to one file,
//! cannot split or corrupt the card. A file that does not match the format exactly gives an
//! error and is left as it is.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The current format version.
pub const VERSION: u32 = 1;

/// A failure to load or save the state file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Another process has the state file open.
    #[error("the virtual-card state {0} is in use by another process (it holds the lock beside the file this path names)")]
    Locked(PathBuf),
    /// The file exists but does not parse; it was not modified.
    #[error("the virtual-card state {path} is corrupted and was left untouched ({reason}); move it away to start afresh")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The path names something that is not a regular file (a directory, a device such as
    /// `/dev/null`, a FIFO): refused before anything is created beside it.
    #[error(
        "the virtual-card state {0} is not a regular file (a directory or a device?); name a file"
    )]
    NotAFile(PathBuf),
    /// The state file was opened by another process: this one is a `fork()` of it, and holds
    /// only a copy of the card's counters, so it may neither compare nor save anything. Open the
    /// card again in this process (after the parent has let go of it).
    #[error("the virtual-card state {path} was opened by process {opened_by}; this process ({current}, a fork of it) cannot use that card: open it again")]
    OtherProcess {
        /// The file.
        path: PathBuf,
        /// The process that opened it.
        opened_by: u32,
        /// This process.
        current: u32,
    },
    /// An I/O failure.
    #[error("virtual-card state {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
}

impl StateError {
    /// The error in `lang` (`Display` is the English).
    pub fn message(&self, lang: crate::lang::Lang) -> String {
        use crate::lang::Lang;
        match lang {
            Lang::En => self.to_string(),
            Lang::Ja => match self {
                StateError::Locked(path) => format!(
                    "仮想カードの状態 {} は別のプロセスが使用中です（このパスの隣のロックを持っています）",
                    path.display()
                ),
                StateError::Corrupt { path, reason } => format!(
                    "仮想カードの状態 {} は壊れているため、変更していません（{reason}）。やり直すには別の場所へ移してください",
                    path.display()
                ),
                StateError::NotAFile(path) => format!(
                    "仮想カードの状態 {} は通常のファイルではありません（ディレクトリかデバイス？）。ファイルを指定してください",
                    path.display()
                ),
                StateError::OtherProcess {
                    path,
                    opened_by,
                    current,
                } => format!(
                    "仮想カードの状態 {} はプロセス {opened_by} が開いたものです。このプロセス（{current}、その fork）はそのカードを使えません。開き直してください",
                    path.display()
                ),
                StateError::Io { path, source } => {
                    format!("仮想カードの状態 {}: {source}", path.display())
                }
            },
        }
    }
}

/// One key reference's stored state.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyState {
    /// Random salt, hex.
    pub salt: String,
    /// SHA-256(salt || value), hex.
    pub digest: String,
    /// Tries left.
    pub tries_left: u8,
    /// The retry limit.
    pub limit: u8,
}

impl std::fmt::Debug for KeyState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyState")
            .field("tries_left", &self.tries_left)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl KeyState {
    /// A new key with a fresh random salt.
    pub fn new(value: &[u8], limit: u8) -> Self {
        let mut salt = [0u8; 16];
        // An unavailable OS RNG would only weaken the salt of a test card's digest.
        if getrandom::getrandom(&mut salt).is_err() {
            salt = *b"mynacard-vcard-s";
        }
        let salt = hex::encode(salt);
        KeyState {
            digest: digest(&salt, value),
            salt,
            tries_left: limit,
            limit,
        }
    }

    /// Whether `value` matches.
    pub fn matches(&self, value: &[u8]) -> bool {
        let d = digest(&self.salt, value);
        // Constant-time enough for a test card: compare all bytes.
        d.len() == self.digest.len()
            && d.bytes()
                .zip(self.digest.bytes())
                .fold(0u8, |a, (x, y)| a | (x ^ y))
                == 0
    }

    /// Sets a new value, with a new salt, and a full counter.
    pub fn set(&mut self, value: &[u8]) {
        let fresh = KeyState::new(value, self.limit);
        *self = fresh;
    }
}

fn digest(salt: &str, value: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(value);
    hex::encode(h.finalize())
}

/// Everything the virtual card persists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersistentState {
    /// Format version.
    pub version: u32,
    /// The seed from which the card's contents (holder data, keys) are generated.
    pub seed: u64,
    /// Key states by `"<application>/<key EF>"`, for example `"jpki/0018"`.
    pub keys: BTreeMap<String, KeyState>,
}

/// An open state file: holds the lock until dropped, and remembers the process that opened it.
///
/// A child made by `fork()` inherits the lock's descriptor and a copy of the card in memory;
/// if it saved its copy, the parent's and the child's counters would overwrite each other and
/// a wrong PIN could be tried more often than the card allows. So [`StateFile::save`] refuses
/// in any process but the one that opened the file ([`StateError::OtherProcess`]), and the
/// virtual card refuses every command there (see [`super::VirtualCard::open`]).
///
/// The lock and the saves follow the file the path names, not the path's text: a symbolic
/// link is resolved first, so `link.json -> real.json` and `real.json` are one card (the second
/// open is refused), and saving writes through to the target, never replacing the link.
#[derive(Debug)]
pub struct StateFile {
    /// The path as given (for messages).
    path: PathBuf,
    /// The file it names, every symbolic link resolved: what is read, locked and replaced.
    target: PathBuf,
    /// The process that opened the file (and holds the lock).
    opened_by: u32,
    _lock: File,
}

/// How long a lock held by someone else is waited for before the open is refused.
const LOCK_GRACE: std::time::Duration = std::time::Duration::from_millis(200);
/// How often the lock is tried again within [`LOCK_GRACE`].
const LOCK_POLL: std::time::Duration = std::time::Duration::from_millis(10);

/// How many symbolic links are followed to a state file that does not exist yet.
const MAX_LINKS: usize = 40;

impl StateFile {
    /// Opens (and locks) the state at `path`. Returns the stored state, or `None` if the file
    /// does not exist yet. The parent directory is created if needed (readable by its owner
    /// only, `0700`, on Unix). A file that does not match the format exactly is refused and
    /// left untouched. A path that names something other than a regular file (a directory,
    /// `/dev/null`) is refused ([`StateError::NotAFile`]) before anything is created, the lock
    /// file beside it included.
    pub fn open(path: &Path) -> Result<(StateFile, Option<PersistentState>), StateError> {
        let io = |source| StateError::Io {
            path: path.to_owned(),
            source,
        };
        let target = resolve(path).map_err(io)?;
        match fs::metadata(&target) {
            Ok(m) if !m.is_file() => return Err(StateError::NotAFile(path.to_owned())),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        let lock = open_private(&lock_path(&target), false).map_err(io)?;
        // A lock just released can still look held for an instant: a process started by
        // another thread of the holder's program carries a copy of the lock's descriptor until
        // it executes its own program. A short grace period tells that apart from a real holder.
        let mut waited = std::time::Duration::ZERO;
        loop {
            match lock.try_lock() {
                Ok(()) => break,
                Err(fs::TryLockError::WouldBlock) if waited < LOCK_GRACE => {
                    std::thread::sleep(LOCK_POLL);
                    waited += LOCK_POLL;
                }
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(StateError::Locked(path.to_owned()))
                }
                Err(fs::TryLockError::Error(e)) => return Err(io(e)),
            }
        }
        let existing = match fs::read(&target) {
            Ok(bytes) => Some(parse(path, &bytes)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(e)),
        };
        Ok((
            StateFile {
                path: path.to_owned(),
                target,
                opened_by: std::process::id(),
                _lock: lock,
            },
            existing,
        ))
    }

    /// The file's path, as given to [`StateFile::open`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file the path names, every symbolic link resolved.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The id of the process that opened the file.
    pub fn opened_by(&self) -> u32 {
        self.opened_by
    }

    /// `Ok` in the process that opened the file; [`StateError::OtherProcess`] in a child made
    /// by `fork()`, which must not use the parent's card.
    pub fn check_process(&self) -> Result<(), StateError> {
        let current = std::process::id();
        if current == self.opened_by {
            Ok(())
        } else {
            Err(StateError::OtherProcess {
                path: self.path.clone(),
                opened_by: self.opened_by,
                current,
            })
        }
    }

    /// Makes an existing state file readable and writable by its owner only (`0600` on Unix),
    /// without changing its contents.
    pub fn restrict_permissions(&self) -> Result<(), StateError> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let io = |source| StateError::Io {
                path: self.path.clone(),
                source,
            };
            let mode = fs::metadata(&self.target).map_err(io)?.permissions().mode();
            if mode & 0o077 != 0 {
                fs::set_permissions(&self.target, fs::Permissions::from_mode(mode & 0o700))
                    .map_err(io)?;
            }
        }
        Ok(())
    }

    /// Saves atomically: a temporary file (`0600` on Unix) beside the target, fsync, rename over
    /// the target, fsync the directory. A symbolic link to the state stays a link. Refused,
    /// with nothing written, in a process other than the one that opened the file.
    pub fn save(&self, state: &PersistentState) -> Result<(), StateError> {
        self.check_process()?;
        let io = |source| StateError::Io {
            path: self.path.clone(),
            source,
        };
        let json = serde_json::to_vec_pretty(state).map_err(|e| io(std::io::Error::other(e)))?;
        let tmp = self
            .target
            .with_extension(format!("tmp.{}", std::process::id()));
        let write = || -> std::io::Result<()> {
            // A temporary file left by a crash of this process id is ours to replace.
            match fs::remove_file(&tmp) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
            let mut f = open_private(&tmp, true)?;
            f.write_all(&json)?;
            f.sync_all()?;
            fs::rename(&tmp, &self.target)?;
            if let Some(dir) = self.target.parent() {
                // Make the rename durable; not every platform can open a directory.
                if let Ok(d) = File::open(dir) {
                    let _ = d.sync_all();
                }
            }
            Ok(())
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            io(e)
        })
    }
}

/// The file `path` names: symbolic links followed (also to a target that does not exist yet),
/// the directory made absolute and canonical. Creates the missing directories, `0700`.
fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let mut p = path.to_owned();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let link = fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            Ok(_) => return fs::canonicalize(&p),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let name = p.file_name().ok_or_else(|| {
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a file name")
                })?;
                let dir = match p.parent().filter(|d| !d.as_os_str().is_empty()) {
                    Some(d) => d.to_owned(),
                    None => PathBuf::from("."),
                };
                create_private_dirs(&dir)?;
                return Ok(fs::canonicalize(&dir)?.join(name));
            }
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

fn create_private_dirs(dir: &Path) -> std::io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Opens a file for writing, created readable and writable by its owner only (`0600`) on Unix.
/// `new`: it must not exist yet (and is truncated by nature); otherwise it is kept as it is.
fn open_private(path: &Path, new: bool) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true);
    if new {
        o.create_new(true);
    } else {
        o.create(true).truncate(false);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

fn lock_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

/// The key map as written in the file, every entry kept (so that a name given twice is seen).
struct KeyEntries(Vec<(String, KeyState)>);

impl<'de> Deserialize<'de> for KeyEntries {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = KeyEntries;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a map of key states")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<KeyEntries, A::Error> {
                let mut v = Vec::new();
                while let Some(e) = m.next_entry()? {
                    v.push(e);
                }
                Ok(KeyEntries(v))
            }
        }
        d.deserialize_map(V)
    }
}

/// The file's shape, nothing more and nothing less.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    version: u32,
    seed: u64,
    keys: KeyEntries,
}

/// Whether `s` is exactly `n` lower-case hexadecimal digits (as the card writes them).
fn lower_hex(s: &str, n: usize) -> bool {
    s.len() == n
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn parse(path: &Path, bytes: &[u8]) -> Result<PersistentState, StateError> {
    let corrupt = |reason: String| StateError::Corrupt {
        path: path.to_owned(),
        reason,
    };
    let raw: RawState = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
    if raw.version != VERSION {
        return Err(corrupt(format!(
            "format version {} is not {VERSION}",
            raw.version
        )));
    }
    let mut keys = BTreeMap::new();
    for (name, k) in raw.keys.0 {
        if k.tries_left > k.limit || k.limit == 0 {
            return Err(corrupt(format!("key {name}: impossible counter")));
        }
        if !lower_hex(&k.digest, 64) || !lower_hex(&k.salt, 32) {
            return Err(corrupt(format!("key {name}: malformed digest or salt")));
        }
        if keys.insert(name.clone(), k).is_some() {
            return Err(corrupt(format!("key {name} is given twice")));
        }
    }
    Ok(PersistentState {
        version: raw.version,
        seed: raw.seed,
        keys,
    })
}

/// Checks a parsed state against the card's own keys (`expected`, a fresh card's state): the
/// same key names, each with the card's limit, and a key the card keeps blocked still blocked.
pub(super) fn check_against(
    path: &Path,
    st: &PersistentState,
    expected: &PersistentState,
) -> Result<(), StateError> {
    let corrupt = |reason: String| StateError::Corrupt {
        path: path.to_owned(),
        reason,
    };
    for name in st.keys.keys() {
        if !expected.keys.contains_key(name) {
            return Err(corrupt(format!("key {name} is not one of the card's")));
        }
    }
    for (name, want) in &expected.keys {
        let Some(k) = st.keys.get(name) else {
            return Err(corrupt(format!("key {name} is missing")));
        };
        if k.limit != want.limit {
            return Err(corrupt(format!(
                "key {name}: a limit of {} where the card has {}",
                k.limit, want.limit
            )));
        }
        if want.tries_left == 0 && k.tries_left != 0 {
            return Err(corrupt(format!("key {name}: the card keeps it blocked")));
        }
    }
    Ok(())
}
