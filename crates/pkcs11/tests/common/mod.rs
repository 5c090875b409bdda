//! Shared by the client tests: where the module is, a fresh virtual card per test, the
//! exchange log, and the card's counters read through the library.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use mynacard::sim::{App, VirtualCard};

pub mod raw;

/// The module is one set of process-wide state (as any PKCS#11 module) and the environment is
/// process-wide too: the tests of one binary take turns.
static TURN: Mutex<()> = Mutex::new(());

/// The module built by this same `cargo test`. The library target is a dependency of every
/// integration test, and cargo builds all of its crate types in one rustc run: the rlib linked
/// into this test and the cdylib loaded here land side by side in `target/<profile>/deps/`,
/// the directory of the test executable itself. (The copy in `target/<profile>/` is refreshed
/// only by `cargo build`, so it may be stale during `cargo test`: it is not used.)
pub fn module_path() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let deps = exe.parent().expect("target/<profile>/deps/<test>");
    let name = format!(
        "{}mynacard_pkcs11{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    );
    let path = deps.join(name);
    assert!(path.exists(), "the module is not at {}", path.display());
    path
}

/// A test's virtual card: a state file in a temporary directory, and its exchange log.
pub struct Card {
    _turn: MutexGuard<'static, ()>,
    pub dir: tempfile::TempDir,
    pub state: PathBuf,
    pub log: PathBuf,
}

impl Card {
    /// A fresh card; the environment points the module at it.
    pub fn new() -> Card {
        let turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("card.json");
        let log = dir.path().join("exchanges.log");
        // Create the card's state file now, with the default PINs.
        drop(VirtualCard::open(&state).unwrap());
        std::env::set_var("MYNACARD_SIM_STATE", &state);
        std::env::set_var("MYNACARD_SIM_LOG", &log);
        std::env::remove_var("MYNACARD_ALLOW_LAST_TRY");
        Card {
            _turn: turn,
            dir,
            state,
            log,
        }
    }

    /// Loads and initializes the module (OS locking, as a threaded application does).
    pub fn load(&self) -> Pkcs11 {
        let p = Pkcs11::new(module_path()).unwrap();
        p.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK))
            .unwrap();
        p
    }

    /// The exchanges the virtual card logged, one line each.
    pub fn exchanges(&self) -> Vec<String> {
        self.log_lines()
            .into_iter()
            .filter(|l| !l.starts_with('#'))
            .collect()
    }

    /// How many times the module removed power from the card.
    pub fn unpowers(&self) -> usize {
        self.log_lines()
            .iter()
            .filter(|l| *l == "# unpower")
            .count()
    }

    fn log_lines(&self) -> Vec<String> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Empties the exchange log.
    pub fn clear_log(&self) {
        let _ = std::fs::remove_file(&self.log);
    }

    /// VERIFY commands that carried a value (and so could spend a try).
    pub fn verifies_with_value(&self) -> usize {
        self.exchanges()
            .iter()
            .filter(|l| {
                let cmd = l.split(' ').next().unwrap_or("");
                cmd.starts_with("0020") && cmd.len() > 8
            })
            .count()
    }

    /// Opens the card through the library (the module must have let go of it: after
    /// `C_Finalize`, or with no session open).
    pub fn open(&self) -> VirtualCard {
        VirtualCard::open(&self.state).unwrap()
    }

    /// Tries left of the user-authentication PIN (JPKI `0018`) and the signature password
    /// (`001B`), read from the card's state by the library.
    pub fn tries(&self) -> (u8, u8) {
        let c = self.open();
        (
            c.tries_left(App::Jpki, 0x18).unwrap(),
            c.tries_left(App::Jpki, 0x1B).unwrap(),
        )
    }

    /// Sets a counter directly on the card (to reach the last try or a blocked PIN).
    pub fn set_tries(&self, fid: u16, tries: u8) {
        self.open().set_tries_left(App::Jpki, fid, tries).unwrap();
    }
}
