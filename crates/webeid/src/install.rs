//! Installing the native-messaging host manifest `eu.webeid.json` for the official Web eID
//! extensions, per user (Linux paths).
//!
//! Facts (Chrome and Firefox native-messaging documentation, `web-eid-app` `install/*.json`,
//! summarised in the project's `shared/webeid.md`): the manifest names the host `eu.webeid`,
//! `"type": "stdio"` and the absolute path of the program; Chrome and Chromium list the allowed
//! extensions as `allowed_origins` (`chrome-extension://<id>/`), Firefox as
//! `allowed_extensions`. Per-user directories: `~/.config/google-chrome/NativeMessagingHosts/`,
//! `~/.config/chromium/NativeMessagingHosts/` (or `<user-data-dir>/NativeMessagingHosts/` for a
//! profile directory given with `--user-data-dir`), `~/.mozilla/native-messaging-hosts/`.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

/// The host's name.
pub const HOST_NAME: &str = "eu.webeid";

/// The Chrome Web Store and Edge add-on ids of the Web eID extension.
pub const CHROME_EXTENSION_IDS: [&str; 2] = [
    "ncibgoaomkmdpilpocfeponihegamlic",
    "gnmckgbandlkacikdndelhfghdejfido",
];

/// The Firefox add-on id of the Web eID extension.
pub const FIREFOX_EXTENSION_ID: &str = "{e68418bc-f2b0-4459-a9ea-3e72b6751b07}";

/// A browser family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Browser {
    /// Google Chrome.
    Chrome,
    /// Chromium.
    Chromium,
    /// Firefox.
    Firefox,
}

impl Browser {
    /// All three.
    pub const ALL: [Browser; 3] = [Browser::Chrome, Browser::Chromium, Browser::Firefox];

    /// Parses `chrome`, `chromium`, `firefox` or `all`.
    pub fn parse_list(s: &str) -> Option<Vec<Browser>> {
        Some(match s {
            "chrome" => vec![Browser::Chrome],
            "chromium" => vec![Browser::Chromium],
            "firefox" => vec![Browser::Firefox],
            "all" => Browser::ALL.to_vec(),
            _ => return None,
        })
    }

    /// The manifest for this browser, for the program at `program` (an absolute path), allowing
    /// the official extension and any `extra_ids` (for example a test extension's id).
    pub fn manifest(self, program: &Path, extra_ids: &[String]) -> Value {
        let path = program.to_string_lossy();
        let description = "mynacard: Web eID native application for the My Number Card";
        match self {
            Browser::Chrome | Browser::Chromium => {
                let origins: Vec<String> = CHROME_EXTENSION_IDS
                    .iter()
                    .map(|s| s.to_string())
                    .chain(extra_ids.iter().cloned())
                    .map(|id| format!("chrome-extension://{id}/"))
                    .collect();
                json!({"name": HOST_NAME, "description": description, "path": path,
                       "type": "stdio", "allowed_origins": origins})
            }
            Browser::Firefox => {
                let ids: Vec<String> = std::iter::once(FIREFOX_EXTENSION_ID.to_string())
                    .chain(extra_ids.iter().cloned())
                    .collect();
                json!({"name": HOST_NAME, "description": description, "path": path,
                       "type": "stdio", "allowed_extensions": ids})
            }
        }
    }

    /// The per-user manifest directory under `home`, or under `user_data_dir` (Chrome and
    /// Chromium only).
    pub fn directory(self, home: &Path, user_data_dir: Option<&Path>) -> Result<PathBuf, String> {
        match (self, user_data_dir) {
            (Browser::Firefox, Some(_)) => {
                Err("--user-data-dir applies to Chrome and Chromium only".into())
            }
            (_, Some(dir)) => Ok(dir.join("NativeMessagingHosts")),
            (Browser::Chrome, None) => Ok(home.join(".config/google-chrome/NativeMessagingHosts")),
            (Browser::Chromium, None) => Ok(home.join(".config/chromium/NativeMessagingHosts")),
            (Browser::Firefox, None) => Ok(home.join(".mozilla/native-messaging-hosts")),
        }
    }
}

/// Writes the manifest for each browser; returns the files written.
pub fn install(
    browsers: &[Browser],
    home: &Path,
    user_data_dir: Option<&Path>,
    program: &Path,
    extra_ids: &[String],
) -> Result<Vec<PathBuf>, String> {
    if !program.is_absolute() {
        return Err(format!(
            "the program path must be absolute: {}",
            program.display()
        ));
    }
    let mut written = Vec::new();
    for b in browsers {
        let dir = b.directory(home, user_data_dir)?;
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let file = dir.join(format!("{HOST_NAME}.json"));
        let text = serde_json::to_string_pretty(&b.manifest(program, extra_ids))
            .map_err(|e| e.to_string())?;
        std::fs::write(&file, text + "\n").map_err(|e| format!("{}: {e}", file.display()))?;
        written.push(file);
    }
    Ok(written)
}

/// Removes the manifest for each browser where it exists; returns the files removed.
pub fn uninstall(
    browsers: &[Browser],
    home: &Path,
    user_data_dir: Option<&Path>,
) -> Result<Vec<PathBuf>, String> {
    let mut removed = Vec::new();
    for b in browsers {
        let file = b
            .directory(home, user_data_dir)?
            .join(format!("{HOST_NAME}.json"));
        match std::fs::remove_file(&file) {
            Ok(()) => removed.push(file),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("{}: {e}", file.display())),
        }
    }
    Ok(removed)
}
