//! The end-to-end harness shared by the PC/SC tests of the CLI and the kiosk: pcscd with
//! vsmartcard's vpcd reader driver, and the virtual card served into it in process.

#![allow(dead_code)]

use std::fs;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use mynacard::pcsc as mpcsc;
use mynacard_virtual_card::{Args, Error as ServerError, Server, StopHandle};

/// One test at a time: they share vpcd's two slots.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    require_stack();
    guard
}

/// Fails clearly when pcscd or vpcd is missing, instead of timing out test by test.
pub fn require_stack() {
    let readers = match mpcsc::list_readers() {
        Ok(r) => r,
        Err(e) => panic!(
            "the PC/SC end-to-end tests need pcscd with vsmartcard-vpcd ({e}); run .ci/e2e.sh, \
             or install pcscd and vsmartcard-vpcd and start `pcscd`"
        ),
    };
    assert!(
        readers
            .iter()
            .filter(|r| r.starts_with("Virtual PCD"))
            .count()
            >= 2,
        "vpcd's readers are missing (found {readers:?}); is vsmartcard-vpcd installed and its \
         /etc/reader.conf.d entry loaded by pcscd?"
    );
}

/// The name pcscd gives vpcd's slot `n`.
pub fn reader_name(slot: u8) -> String {
    let mut v: Vec<String> = mpcsc::list_readers()
        .expect("list readers")
        .into_iter()
        .filter(|r| r.starts_with("Virtual PCD"))
        .collect();
    v.sort();
    v.get(slot as usize)
        .cloned()
        .unwrap_or_else(|| panic!("no vpcd slot {slot} in {v:?}"))
}

/// Waits until pcscd sees a card in `reader` (or sees none, with `present == false`).
pub fn wait_presence(reader: &str, present: bool) {
    let ctx = pcsc::Context::establish(pcsc::Scope::User).expect("PC/SC context");
    let name = std::ffi::CString::new(reader).unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mut st = [pcsc::ReaderState::new(name.clone(), pcsc::State::UNAWARE)];
        ctx.get_status_change(Duration::ZERO, &mut st)
            .expect("reader state");
        if st[0].event_state().contains(pcsc::State::PRESENT) == present {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "pcscd never saw the card {} in {reader}",
            if present { "arrive" } else { "leave" }
        );
        thread::sleep(Duration::from_millis(50));
    }
}

/// A virtual card served into vpcd slot `slot` by the `mynacard-virtual-card` library, in a
/// thread of this test process, logging to a file; pulled out (its connection closed) when
/// stopped or dropped.
pub struct VCard {
    server: Option<(StopHandle, thread::JoinHandle<Result<(), ServerError>>)>,
    pub reader: String,
    pub dir: tempfile::TempDir,
}

impl VCard {
    pub fn start(slot: u8, extra: &[&str]) -> VCard {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start_in(dir, slot, extra)
    }

    pub fn start_in(dir: tempfile::TempDir, slot: u8, extra: &[&str]) -> VCard {
        let reader = reader_name(slot);
        // A card left over from an aborted test would confuse this one.
        wait_presence(&reader, false);
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.path().join("card.log"))
            .unwrap();
        let state = dir.path().join("state.json");
        let vpcd = format!("127.0.0.1:{}", 35963 + slot as u16);
        let mut argv = vec![
            "myna-virtual-card",
            "--sim-state",
            state.to_str().unwrap(),
            "--vpcd",
            &vpcd,
        ];
        argv.extend_from_slice(extra);
        let args = Args::parse_from(argv).expect("virtual card arguments");
        let server = Server::new(args, Box::new(log)).expect("start the virtual card");
        let stop = server.stop_handle();
        let thread = thread::spawn(move || server.run());
        let vc = VCard {
            server: Some((stop, thread)),
            reader,
            dir,
        };
        wait_presence(&vc.reader, true);
        vc
    }

    pub fn state_path(&self) -> PathBuf {
        self.dir.path().join("state.json")
    }

    /// The card's log so far.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("card.log")).unwrap_or_default()
    }

    /// The log as tokens: each command's hex, and `OFF` for a power-off. Power-ons, resets and
    /// connection notes are left out.
    pub fn tokens(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter_map(|l| {
                let text = l.split_once("] ").map(|(_, t)| t)?;
                if let Some(cmd) = text.strip_prefix("> ") {
                    cmd.split_whitespace().next().map(str::to_owned)
                } else if text.starts_with("power off") {
                    Some("OFF".into())
                } else {
                    None
                }
            })
            .collect()
    }

    /// Pulls the card out without stopping its server ([`StopHandle::remove`]) and waits until
    /// pcscd sees the reader empty; [`VCard::insert`] brings the same card back.
    pub fn remove(&self) {
        if let Some((stop, _)) = &self.server {
            stop.remove();
        }
        wait_presence(&self.reader, false);
    }

    /// Puts the card pulled out by [`VCard::remove`] back, and waits until pcscd sees it.
    pub fn insert(&self) {
        if let Some((stop, _)) = &self.server {
            stop.insert();
        }
        wait_presence(&self.reader, true);
    }

    pub fn log_len(&self) -> usize {
        self.tokens().len()
    }

    /// Pulls the card out: stops the server and waits until pcscd sees the reader empty.
    pub fn stop(mut self) -> tempfile::TempDir {
        self.kill();
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }

    pub fn kill(&mut self) {
        if let Some((stop, thread)) = self.server.take() {
            stop.stop();
            let r = thread.join();
            wait_presence(&self.reader, false);
            // A server that failed is a harness fault, not the card's behaviour.
            if !thread::panicking() {
                r.expect("the virtual card's thread")
                    .expect("the virtual card ran");
            }
        }
    }
}

impl Drop for VCard {
    fn drop(&mut self) {
        self.kill();
    }
}
