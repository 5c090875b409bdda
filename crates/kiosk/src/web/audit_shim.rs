//! A stand-in for `crate::audit` until the audit trail lands: the same `Entry`, `Trail::open`
//! and `Trail::append`, writing one JSON line per row.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::SystemTime;

use mynacard::pin::PinKind;

/// One row.
pub struct Entry {
    /// When the flow ended.
    pub time: SystemTime,
    /// The reader's name, or `virtual`.
    pub station: String,
    /// The place's code.
    pub place: String,
    /// The PIN chosen.
    pub pin: Option<PinKind>,
    /// The route.
    pub route: Option<String>,
    /// The outcome's code.
    pub outcome: String,
    /// The flow's exchanges.
    pub exchanges: u32,
}

/// The trail.
pub struct Trail(Mutex<File>);

impl Trail {
    /// Opens (creates) the trail.
    pub fn open(path: &Path) -> Result<Trail, std::io::Error> {
        if let Some(d) = path.parent() {
            std::fs::create_dir_all(d)?;
        }
        let f = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(Trail(Mutex::new(f)))
    }

    /// Appends a row.
    pub fn append(&self, e: &Entry) -> Result<i64, std::io::Error> {
        let line = serde_json::json!({
            "station": e.station, "place": e.place,
            "pin": e.pin.map(crate::flow::pin_code), "route": e.route,
            "outcome": e.outcome, "exchanges": e.exchanges,
        });
        let mut f = self.0.lock().unwrap_or_else(|p| p.into_inner());
        writeln!(f, "{line}")?;
        Ok(0)
    }
}

/// The default path.
pub fn default_path() -> std::path::PathBuf {
    let state = mynacard::sim::default_state_path();
    state
        .parent()
        .map(|d| d.join("kiosk-audit.sqlite3"))
        .unwrap_or_else(|| "kiosk-audit.sqlite3".into())
}
