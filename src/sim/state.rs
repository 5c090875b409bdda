//! The virtual card's persistent state: retry counters and salted PIN digests, never a PIN.
//!
//! Saved as JSON with an atomic replace (write to a temporary file, fsync, rename, fsync the
//! directory), under an exclusive lock held for as long as the card is open, so that two
//! processes cannot corrupt the file. A file that does not parse gives an error and is left as
//! it is.

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
    #[error("the virtual-card state {0} is in use by another process (lock held on {0}.lock)")]
    Locked(PathBuf),
    /// The file exists but does not parse; it was not modified.
    #[error("the virtual-card state {path} is corrupted and was left untouched ({reason}); move it away to start afresh")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
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

/// One key reference's stored state.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// An open state file: holds the lock until dropped.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    _lock: File,
}

impl StateFile {
    /// Opens (and locks) the state at `path`. Returns the stored state, or `None` if the file
    /// does not exist yet. The parent directory is created if needed.
    pub fn open(path: &Path) -> Result<(StateFile, Option<PersistentState>), StateError> {
        let io = |source| StateError::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(io)?;
        }
        let lock_path = lock_path(path);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io)?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => return Err(StateError::Locked(path.to_owned())),
            Err(fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        let existing = match fs::read(path) {
            Ok(bytes) => Some(parse(path, &bytes)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io(e)),
        };
        Ok((
            StateFile {
                path: path.to_owned(),
                _lock: lock,
            },
            existing,
        ))
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Saves atomically: temporary file, fsync, rename over the old file, fsync the directory.
    pub fn save(&self, state: &PersistentState) -> Result<(), StateError> {
        let io = |source| StateError::Io {
            path: self.path.clone(),
            source,
        };
        let json = serde_json::to_vec_pretty(state).map_err(|e| io(std::io::Error::other(e)))?;
        let tmp = self
            .path
            .with_extension(format!("tmp.{}", std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut f = File::create(&tmp)?;
            f.write_all(&json)?;
            f.sync_all()?;
            fs::rename(&tmp, &self.path)?;
            if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
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

fn lock_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

fn parse(path: &Path, bytes: &[u8]) -> Result<PersistentState, StateError> {
    let corrupt = |reason: String| StateError::Corrupt {
        path: path.to_owned(),
        reason,
    };
    let st: PersistentState = serde_json::from_slice(bytes).map_err(|e| corrupt(e.to_string()))?;
    if st.version != VERSION {
        return Err(corrupt(format!(
            "format version {} is not {VERSION}",
            st.version
        )));
    }
    for (name, k) in &st.keys {
        let hex_ok = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
        if k.tries_left > k.limit || k.limit == 0 || k.limit > 15 {
            return Err(corrupt(format!("key {name}: impossible counter")));
        }
        if !hex_ok(&k.digest, 64) || !hex_ok(&k.salt, 32) {
            return Err(corrupt(format!("key {name}: malformed digest or salt")));
        }
    }
    Ok(st)
}
