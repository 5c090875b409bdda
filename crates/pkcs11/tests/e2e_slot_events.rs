//! `C_WaitForSlotEvent` through a real PC/SC stack (feature `pcsc`): pcscd with vsmartcard's
//! vpcd, and the virtual card served into vpcd's first slot in process by
//! `mynacard-virtual-card`, inserted after `C_Initialize`, pulled out and put back.
//!
//! Needs pcscd running with vsmartcard-vpcd (`.ci/e2e.sh` starts them). Without them the tests
//! say so and pass, unless `CI=true`, where they fail.

// Calls into the module through its raw C interface (`common::raw`); the workspace lints deny
// `unsafe_code` elsewhere.
#![allow(unsafe_code)]

mod common;

use std::ptr::null_mut;
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use common::raw::*;
use mynacard_virtual_card::{Args, Server, StopHandle};

const NULL: *mut std::ffi::c_void = null_mut();

/// One test at a time: the module is process-wide, and vpcd's slot is shared.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// vpcd's first reader, or `None` (after a loud line) when the stack is missing and CI is not
/// set; with `CI=true` a missing stack fails the test.
fn vpcd_reader() -> Option<String> {
    let found = mynacard::pcsc::list_readers().map(|r| {
        let mut v: Vec<String> = r
            .into_iter()
            .filter(|n| n.starts_with("Virtual PCD"))
            .collect();
        v.sort();
        v
    });
    match found {
        Ok(v) if !v.is_empty() => Some(v[0].clone()),
        other => {
            let why = format!(
                "pcscd with vsmartcard-vpcd is needed ({other:?}); run .ci/e2e.sh, or install \
                 pcscd and vsmartcard-vpcd and start `pcscd`"
            );
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{why}");
            }
            eprintln!("SKIPPED (CI is not set): {why}");
            None
        }
    }
}

/// Waits until pcscd sees `reader` with a card (or without).
fn wait_presence(reader: &str, present: bool) {
    let ctx = pcsc::Context::establish(pcsc::Scope::User).expect("PC/SC context");
    let name = std::ffi::CString::new(reader).unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let mut st = [pcsc::ReaderState::new(name.clone(), pcsc::State::UNAWARE)];
        ctx.get_status_change(Duration::ZERO, &mut st).unwrap();
        if st[0].event_state().contains(pcsc::State::PRESENT) == present {
            return;
        }
        assert!(Instant::now() < deadline, "pcscd never saw the change");
        thread::sleep(Duration::from_millis(50));
    }
}

struct Served {
    control: StopHandle,
    thread: Option<thread::JoinHandle<Result<(), mynacard_virtual_card::Error>>>,
    _dir: tempfile::TempDir,
}

impl Served {
    fn start() -> Served {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let argv = [
            "myna-virtual-card",
            "--sim-state",
            state.to_str().unwrap(),
            "--vpcd",
            "127.0.0.1:35963",
        ];
        let log = std::fs::File::create(dir.path().join("card.log")).unwrap();
        let server = Server::new(Args::parse_from(argv).unwrap(), Box::new(log)).unwrap();
        let control = server.stop_handle();
        Served {
            control,
            thread: Some(thread::spawn(move || server.run())),
            _dir: dir,
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.control.stop();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn slot_flags(r: &Raw, slot: CK_SLOT_ID) -> CK_FLAGS {
    // SAFETY: an all-zero CK_SLOT_INFO is a valid value of the plain C struct.
    let mut info: CK_SLOT_INFO = unsafe { std::mem::zeroed() };
    assert_eq!(call!(r, C_GetSlotInfo(slot, &mut info)), CKR_OK);
    info.flags
}

fn token(r: &Raw, slot: CK_SLOT_ID) -> CK_RV {
    // SAFETY: as above, for CK_TOKEN_INFO.
    let mut info: CK_TOKEN_INFO = unsafe { std::mem::zeroed() };
    call!(r, C_GetTokenInfo(slot, &mut info))
}

fn present_slots(r: &Raw) -> usize {
    let mut n: CK_ULONG = 0;
    assert_eq!(call!(r, C_GetSlotList(CK_TRUE, null_mut(), &mut n)), CKR_OK);
    n as usize
}

/// The blocking wait's next slot, then the other slot of the same card at once.
fn both_slots(r: &Raw) -> (CK_SLOT_ID, CK_SLOT_ID) {
    let mut a: CK_SLOT_ID = 99;
    assert_eq!(call!(r, C_WaitForSlotEvent(0, &mut a, NULL)), CKR_OK);
    let mut b: CK_SLOT_ID = 99;
    assert_eq!(
        call!(r, C_WaitForSlotEvent(CKF_DONT_BLOCK, &mut b, NULL)),
        CKR_OK
    );
    (a, b)
}

#[test]
fn a_card_inserted_after_initialize_gets_slots_and_removal_and_return_are_events() {
    let _g = serial();
    let Some(reader) = vpcd_reader() else {
        return;
    };
    std::env::remove_var("MYNACARD_SIM_STATE");
    wait_presence(&reader, false);
    let r = Raw::load();
    assert_eq!(call!(r, C_Initialize(NULL)), CKR_OK);
    let before = present_slots(&r);

    let card = Served::start();
    let (a, b) = both_slots(&r);
    assert_eq!(
        a as usize, before,
        "the new card's first slot comes after the others"
    );
    assert_eq!(b, a + 1);
    assert_eq!(present_slots(&r), before + 2);
    assert_ne!(slot_flags(&r, a) & CKF_TOKEN_PRESENT, 0);
    assert_eq!(token(&r, a), CKR_OK);
    let mut h: CK_SESSION_HANDLE = 0;
    assert_eq!(
        call!(r, C_OpenSession(a, CKF_SERIAL_SESSION, NULL, None, &mut h)),
        CKR_OK
    );

    card.control.remove();
    assert_eq!(both_slots(&r), (a, b));
    assert_eq!(slot_flags(&r, a) & CKF_TOKEN_PRESENT, 0);
    assert_eq!(token(&r, a), CKR_TOKEN_NOT_PRESENT);
    assert_eq!(present_slots(&r), before);
    // SAFETY: zeroed plain C struct.
    let mut si: CK_SESSION_INFO = unsafe { std::mem::zeroed() };
    assert_eq!(
        call!(r, C_GetSessionInfo(h, &mut si)),
        CKR_SESSION_HANDLE_INVALID,
        "the session on the card pulled out is closed"
    );

    // Put back, and found by polling (CKF_DONT_BLOCK), as NSS does.
    card.control.insert();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut polled: CK_SLOT_ID = 99;
    while call!(r, C_WaitForSlotEvent(CKF_DONT_BLOCK, &mut polled, NULL)) == CKR_NO_EVENT {
        assert!(Instant::now() < deadline, "no slot event polled in 20 s");
        thread::sleep(Duration::from_millis(50));
    }
    let mut other: CK_SLOT_ID = 99;
    assert_eq!(
        call!(r, C_WaitForSlotEvent(CKF_DONT_BLOCK, &mut other, NULL)),
        CKR_OK
    );
    assert_eq!((polled, other), (a, b), "the same slots, not new ones");
    assert_ne!(slot_flags(&r, b) & CKF_TOKEN_PRESENT, 0);
    assert_eq!(token(&r, b), CKR_OK);
    let mut s: CK_SLOT_ID = 99;
    assert_eq!(
        call!(r, C_WaitForSlotEvent(CKF_DONT_BLOCK, &mut s, NULL)),
        CKR_NO_EVENT
    );
    assert_eq!(call!(r, C_Finalize(NULL)), CKR_OK);
    drop(card);
    wait_presence(&reader, false);
}

#[test]
fn finalize_ends_a_blocked_wait() {
    let _g = serial();
    if vpcd_reader().is_none() {
        return;
    }
    std::env::remove_var("MYNACARD_SIM_STATE");
    let r = Raw::load();
    assert_eq!(call!(r, C_Initialize(NULL)), CKR_OK);
    // Drain what is there already.
    let mut s: CK_SLOT_ID = 0;
    while call!(r, C_WaitForSlotEvent(CKF_DONT_BLOCK, &mut s, NULL)) == CKR_OK {}
    thread::scope(|sc| {
        let waiter = sc.spawn(|| {
            let mut s: CK_SLOT_ID = 0;
            call!(r, C_WaitForSlotEvent(0, &mut s, NULL))
        });
        thread::sleep(Duration::from_millis(200));
        assert_eq!(call!(r, C_Finalize(NULL)), CKR_OK);
        // Were the wait not ended, this join would hang until the test harness gives up.
        assert_eq!(waiter.join().unwrap(), CKR_CRYPTOKI_NOT_INITIALIZED);
    });
}
