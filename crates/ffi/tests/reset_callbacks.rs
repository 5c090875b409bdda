//! Reset through a terminal authority given as C callbacks: one that works (the stand-in
//! protocol written as a vendor would), and every way one can fail or return garbage: a typed
//! error, nothing more sent, the card left as a real card would be, and no try spent by it.

#![allow(unsafe_code)]

mod common;

use std::ffi::{c_void, CString};

use common::*;
use mynacard::reset::stand_in::{COUNTER_TEST_KEY, KIOSK_TEST_KEY, MAC_LEN};

/// The stand-in MAC, computed here as a vendor would (the first MAC_LEN bytes of
/// HMAC-SHA256(key, challenge)), independently of the library's own code.
fn mac(key: &[u8], challenge: &[u8]) -> Vec<u8> {
    use hmac::{Hmac, KeyInit, Mac};
    let mut m = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).unwrap();
    m.update(challenge);
    m.finalize().into_bytes()[..MAC_LEN].to_vec()
}
use mynacard::sim::App;
use mynacard_ffi::mynacard_pin_kind::*;
use mynacard_ffi::mynacard_route::*;
use mynacard_ffi::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Good,
    RouteRefuses,
    RouteGarbage,
    ChallengeFails,
    ChallengeNotGetChallenge,
    CryptogramFails,
    CryptogramNotAnApdu,
    CryptogramIsAVerify,
    CryptogramWrongKey,
    CryptogramTooLong,
    WrapFails,
    WrapGarbage,
    WrapIsAVerify,
    WrapIdentity,
    UnwrapGarbage,
    Reenters,
}

struct Vendor {
    mode: Mode,
    card: *mut mynacard_card,
    wraps: Vec<Vec<u8>>,
    reentry: Option<mynacard_status>,
    challenges: usize,
}

fn vendor(ud: *mut c_void) -> &'static mut Vendor {
    // SAFETY: `user_data` is the `Vendor` the test passed, alive for the whole reset.
    unsafe { &mut *(ud as *mut Vendor) }
}

/// # Safety
/// `out` has `cap` writable bytes; `len` is writable.
unsafe fn put(bytes: &[u8], out: *mut u8, cap: usize, len: *mut usize) -> i32 {
    if bytes.len() > cap {
        return 1;
    }
    // SAFETY: the library's buffer holds `cap` >= `bytes.len()` bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), out, bytes.len());
        *len = bytes.len();
    }
    0
}

unsafe extern "C" fn route(ud: *mut c_void, kind: u32) -> u32 {
    match vendor(ud).mode {
        Mode::RouteRefuses => MYNACARD_ROUTE_REFUSED as u32,
        Mode::RouteGarbage => 77,
        _ if kind <= 1 => MYNACARD_ROUTE_AFTER_OTHER_JPKI_PIN as u32,
        _ => MYNACARD_ROUTE_REFUSED as u32,
    }
}

unsafe extern "C" fn get_challenge(
    ud: *mut c_void,
    aid: *const u8,
    aid_len: usize,
    out: *mut u8,
    cap: usize,
    len: *mut usize,
) -> i32 {
    assert!(!aid.is_null() && aid_len == 10);
    let v = vendor(ud);
    v.challenges += 1;
    if v.mode == Mode::Reenters {
        // SAFETY: a writable status; the handle is the one running this reset.
        v.reentry = Some(unsafe {
            let mut s = mynacard_pin_status::default();
            mynacard_read_pin_status(v.card, 0, &mut s)
        });
    }
    match v.mode {
        Mode::ChallengeFails => 5,
        // A READ BINARY instead of GET CHALLENGE.
        Mode::ChallengeNotGetChallenge => unsafe {
            put(&[0x00, 0xB0, 0x00, 0x00, 0x00], out, cap, len)
        },
        // SAFETY: forwarded from the library's promise.
        _ => unsafe { put(&[0x00, 0x84, 0x00, 0x00, 0x08], out, cap, len) },
    }
}

unsafe extern "C" fn compute_cryptogram(
    ud: *mut c_void,
    _aid: *const u8,
    _aid_len: usize,
    challenge: *const u8,
    challenge_len: usize,
    out: *mut u8,
    cap: usize,
    len: *mut usize,
) -> i32 {
    // SAFETY: the library passes the card's challenge, valid for its length.
    let challenge = unsafe { std::slice::from_raw_parts(challenge, challenge_len) };
    let key = match vendor(ud).mode {
        Mode::CryptogramWrongKey => COUNTER_TEST_KEY,
        _ => KIOSK_TEST_KEY,
    };
    let mut apdu = vec![0x00, 0x82, 0x00, 0x81, 0x10];
    apdu.extend_from_slice(&mac(key, challenge));
    // SAFETY: forwarded from the library's promise.
    unsafe {
        match vendor(ud).mode {
            Mode::CryptogramFails => -3,
            Mode::CryptogramNotAnApdu => put(&[0x00, 0x82], out, cap, len),
            // A VERIFY of the user-authentication PIN with a wrong value: it would spend a try.
            Mode::CryptogramIsAVerify => put(
                &[0x00, 0x20, 0x00, 0x98, 0x04, b'9', b'9', b'9', b'9'],
                out,
                cap,
                len,
            ),
            Mode::CryptogramTooLong => {
                *len = cap + 1;
                0
            }
            _ => put(&apdu, out, cap, len),
        }
    }
}

unsafe extern "C" fn wrap(
    ud: *mut c_void,
    cmd: *const u8,
    cmd_len: usize,
    out: *mut u8,
    cap: usize,
    len: *mut usize,
) -> i32 {
    // SAFETY: the library passes the command, valid for its length.
    let cmd = unsafe { std::slice::from_raw_parts(cmd, cmd_len) }.to_vec();
    let v = vendor(ud);
    v.wraps.push(cmd.clone());
    // SAFETY: forwarded from the library's promise.
    unsafe {
        match v.mode {
            Mode::WrapFails => 9,
            Mode::WrapGarbage => put(&[0xFF; 3], out, cap, len),
            // A well-formed VERIFY of the user-authentication PIN with a wrong value: it would
            // spend a try if it were sent in place of RESET RETRY COUNTER.
            Mode::WrapIsAVerify => put(
                &[0x00, 0x20, 0x00, 0x98, 0x04, b'9', b'9', b'9', b'9'],
                out,
                cap,
                len,
            ),
            _ => put(&cmd, out, cap, len),
        }
    }
}

unsafe extern "C" fn unwrap(
    ud: *mut c_void,
    resp: *const u8,
    resp_len: usize,
    out: *mut u8,
    cap: usize,
    len: *mut usize,
) -> i32 {
    // SAFETY: the library passes the response, valid for its length.
    let resp = unsafe { std::slice::from_raw_parts(resp, resp_len) }.to_vec();
    // SAFETY: forwarded from the library's promise.
    unsafe {
        match vendor(ud).mode {
            Mode::UnwrapGarbage => put(&[0x90], out, cap, len),
            _ => put(&resp, out, cap, len),
        }
    }
}

fn authority(v: &mut Vendor, desc: &CString) -> mynacard_authority {
    mynacard_authority {
        user_data: v as *mut Vendor as *mut c_void,
        description: desc.as_ptr(),
        route: Some(route),
        get_challenge: Some(get_challenge),
        compute_cryptogram: Some(compute_cryptogram),
        wrap: if v.mode == Mode::Good {
            None
        } else {
            Some(wrap)
        },
        unwrap: if v.mode == Mode::Good {
            None
        } else {
            Some(unwrap)
        },
    }
}

/// Runs one reset of the blocked signature password on a fresh card, with `other` as the
/// user-authentication PIN; returns the status, the vendor, and the counters afterwards.
fn run(mode: Mode, other: Option<&str>) -> (mynacard_status, Vendor, [Option<u8>; 5], String) {
    let f = fresh();
    set_tries(&f.path, App::Jpki, 0x001B, 0);
    let card = open(&f.path);
    let mut v = Vendor {
        mode,
        card,
        wraps: Vec::new(),
        reentry: None,
        challenges: 0,
    };
    let desc = CString::new("test vendor terminal").unwrap();
    let auth = authority(&mut v, &desc);
    let (op, ol) = other
        .map(|o| (o.as_ptr(), o.len()))
        .unwrap_or((std::ptr::null(), 0));
    let mut st = mynacard_pin_status::default();
    // SAFETY: a valid authority whose user_data outlives the call; valid buffers.
    let s = unsafe {
        mynacard_reset(
            card,
            &auth,
            MYNACARD_PIN_SIGNATURE as u32,
            b"NEWPASS1".as_ptr(),
            8,
            op,
            ol,
            0,
            &mut st,
        )
    };
    let msg = message();
    if s == MYNACARD_OK {
        assert_eq!((st.tries_left, st.blocked), (5, 0));
    }
    close(card);
    (s, v, counters(&f.path), msg)
}

/// The signature password still blocked, everything else untouched.
const UNTOUCHED: [Option<u8>; 5] = [Some(0), Some(3), Some(3), Some(3), Some(3)];

#[test]
fn a_working_vendor_authority_resets() {
    let (s, v, c, m) = run(Mode::Good, Some("1234"));
    assert_eq!(s, MYNACARD_OK, "{m}");
    assert_eq!(c, FULL);
    assert_eq!(v.challenges, 1);
    let (s, v, c, m) = run(Mode::WrapIdentity, Some("1234"));
    assert_eq!(s, MYNACARD_OK, "{m}");
    assert_eq!(c, FULL);
    assert_eq!(v.wraps.len(), 1);
    assert_eq!(v.wraps[0][1], 0x2C, "wrap sees RESET RETRY COUNTER");
    assert_eq!(&v.wraps[0][5..], b"NEWPASS1");
}

#[test]
fn route_refusals_send_nothing() {
    for (mode, status) in [
        (Mode::RouteRefuses, MYNACARD_NOT_PERMITTED),
        (Mode::RouteGarbage, MYNACARD_CALLBACK_GARBAGE),
    ] {
        let (s, v, c, m) = run(mode, Some("1234"));
        assert_eq!(s, status, "{mode:?}: {m}");
        assert_eq!(v.challenges, 0);
        assert_eq!(c, UNTOUCHED);
    }
    let (s, _, c, _) = run(Mode::Good, None);
    assert_eq!(s, MYNACARD_OTHER_PIN_NEEDED);
    assert_eq!(c, UNTOUCHED);
}

#[test]
fn failing_or_garbled_callbacks_leave_the_card_as_it_was() {
    for (mode, status) in [
        (Mode::ChallengeFails, MYNACARD_CALLBACK_FAILED),
        (Mode::ChallengeNotGetChallenge, MYNACARD_CALLBACK_GARBAGE),
        (Mode::CryptogramFails, MYNACARD_CALLBACK_FAILED),
        (Mode::CryptogramNotAnApdu, MYNACARD_CALLBACK_GARBAGE),
        (Mode::CryptogramIsAVerify, MYNACARD_CALLBACK_GARBAGE),
        (Mode::CryptogramTooLong, MYNACARD_CALLBACK_GARBAGE),
        (Mode::CryptogramWrongKey, MYNACARD_TERMINAL_REFUSED),
        (Mode::WrapFails, MYNACARD_CALLBACK_FAILED),
        (Mode::WrapGarbage, MYNACARD_CALLBACK_GARBAGE),
        (Mode::WrapIsAVerify, MYNACARD_CALLBACK_GARBAGE),
    ] {
        let (s, _, c, m) = run(mode, Some("1234"));
        assert_eq!(s, status, "{mode:?}: {m}");
        assert!(!m.is_empty());
        assert_eq!(
            c, UNTOUCHED,
            "{mode:?}: no try spent, the PIN still blocked"
        );
    }
}

#[test]
fn an_answer_that_cannot_be_unwrapped_is_an_unknown_outcome() {
    // The card executed the reset; the library cannot tell from the answer, and says so. The
    // card is as a real one would be: reset.
    let (s, _, c, m) = run(Mode::UnwrapGarbage, Some("1234"));
    assert_eq!(s, MYNACARD_UNKNOWN_OUTCOME, "{m}");
    assert_eq!(c, FULL);
}

#[test]
fn a_wrong_other_pin_costs_one_try_once() {
    let (s, v, c, _) = run(Mode::Good, Some("9999"));
    assert_eq!(s, MYNACARD_WRONG_PIN);
    assert_eq!(v.challenges, 1);
    assert_eq!(c, [Some(0), Some(2), Some(3), Some(3), Some(3)]);
}

#[test]
fn a_callback_cannot_reenter_with_the_same_handle() {
    let (s, v, c, m) = run(Mode::Reenters, Some("1234"));
    assert_eq!(v.reentry, Some(MYNACARD_BUSY));
    assert_eq!(s, MYNACARD_OK, "{m}");
    assert_eq!(c, FULL);
}

#[test]
fn missing_callbacks_are_refused_before_anything_is_sent() {
    let f = fresh();
    let card = open(&f.path);
    let mut v = Vendor {
        mode: Mode::Good,
        card,
        wraps: vec![],
        reentry: None,
        challenges: 0,
    };
    let desc = CString::new("x").unwrap();
    let mut a = authority(&mut v, &desc);
    a.compute_cryptogram = None;
    // SAFETY: valid authority and buffers.
    unsafe {
        let s = mynacard_reset(
            card,
            &a,
            0,
            b"NEWPASS1".as_ptr(),
            8,
            b"1234".as_ptr(),
            4,
            0,
            std::ptr::null_mut(),
        );
        assert_eq!(s, MYNACARD_NULL_POINTER);
        let s = mynacard_reset(
            card,
            std::ptr::null(),
            0,
            b"NEWPASS1".as_ptr(),
            8,
            b"1234".as_ptr(),
            4,
            0,
            std::ptr::null_mut(),
        );
        assert_eq!(s, MYNACARD_NULL_POINTER);
        let mut a = authority(&mut v, &desc);
        let bad = [0xC3u8, 0x28, 0];
        a.description = bad.as_ptr().cast();
        let s = mynacard_reset(
            card,
            &a,
            0,
            b"NEWPASS1".as_ptr(),
            8,
            b"1234".as_ptr(),
            4,
            0,
            std::ptr::null_mut(),
        );
        assert_eq!(s, MYNACARD_INVALID_UTF8);
    }
    assert_eq!(exchanges(card), 0);
    close(card);
}
