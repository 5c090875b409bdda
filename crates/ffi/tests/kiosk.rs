//! The kiosk state machine through the C ABI: the full reset of a blocked signature password,
//! its exchanges (the same as the Rust kiosk's: 25), wrong answers, the end, and handles.

#![allow(unsafe_code)]

mod common;

use std::ffi::CString;

use common::*;
use mynacard::sim::App;
use mynacard_ffi::mynacard_answer::*;
use mynacard_ffi::mynacard_step_kind::*;
use mynacard_ffi::*;

fn text(k: *mut mynacard_kiosk, choice: u32) -> String {
    let mut needed = 0usize;
    // SAFETY: length query, then a buffer of that size.
    unsafe {
        assert_eq!(
            mynacard_kiosk_text(k, choice, std::ptr::null_mut(), 0, &mut needed),
            MYNACARD_BUFFER_TOO_SMALL
        );
        let mut buf = vec![0u8; needed];
        assert_eq!(
            mynacard_kiosk_text(
                k,
                choice,
                buf.as_mut_ptr().cast(),
                needed,
                std::ptr::null_mut()
            ),
            MYNACARD_OK
        );
        String::from_utf8(buf[..needed - 1].to_vec()).unwrap()
    }
}

/// Steps until a question; returns it and the texts shown on the way.
fn question(k: *mut mynacard_kiosk) -> (mynacard_kiosk_step, String) {
    let mut shown = String::new();
    loop {
        let mut s = mynacard_kiosk_step::default();
        // SAFETY: a writable step.
        assert_eq!(unsafe { mynacard_kiosk_next(k, &mut s) }, MYNACARD_OK);
        let t = text(k, 0);
        shown.push_str(&t);
        shown.push('\n');
        if s.kind != MYNACARD_STEP_HEADING as u32 && s.kind != MYNACARD_STEP_INFO as u32 {
            return (s, shown);
        }
    }
}

fn secret(k: *mut mynacard_kiosk, v: &str) -> mynacard_status {
    // SAFETY: valid for its length.
    unsafe { mynacard_kiosk_answer_secret(k, v.as_ptr(), v.len()) }
}

#[test]
fn kiosk_reset_of_a_blocked_signature_password_through_c() {
    let f = fresh();
    set_tries(&f.path, App::Jpki, 0x001B, 0);
    assert_eq!(
        mynacard_set_language(mynacard_language::MYNACARD_LANG_EN as u32),
        MYNACARD_OK
    );
    let mut k: *mut mynacard_kiosk = std::ptr::null_mut();
    let label = CString::new("virtual card").unwrap();
    // SAFETY: NULL authority (the stand-in), a C string, a writable handle.
    unsafe {
        assert_eq!(
            mynacard_kiosk_new(2, std::ptr::null(), 0, label.as_ptr(), &mut k),
            MYNACARD_INVALID_ARGUMENT
        );
        assert_eq!(
            mynacard_kiosk_new(1, std::ptr::null(), 0, label.as_ptr(), &mut k),
            MYNACARD_OK
        );
    }
    let (s, shown) = question(k);
    assert!(shown.contains("not the real issuer protocol"), "{shown}");
    assert_eq!(s.kind, MYNACARD_STEP_INSERT_CARD as u32);
    // A wrong kind of answer: refused, nothing sent.
    assert_eq!(
        mynacard_kiosk_answer(k, MYNACARD_ANSWER_YES as u32, 0),
        MYNACARD_KIOSK_WRONG_ANSWER_KIND
    );
    assert!(message().contains("card"), "{}", message());
    assert_eq!(secret(k, "1234"), MYNACARD_KIOSK_WRONG_ANSWER_KIND);
    let path = CString::new(f.path.to_str().unwrap()).unwrap();
    // SAFETY: a C string.
    assert_eq!(
        unsafe { mynacard_kiosk_insert_virtual(k, path.as_ptr()) },
        MYNACARD_OK,
        "{}",
        message()
    );
    let (s, shown) = question(k);
    assert!(shown.contains("BLOCKED"), "{shown}");
    assert_eq!(
        (s.kind, s.choice_count, s.multiple),
        (MYNACARD_STEP_MENU as u32, 4, 0)
    );
    assert!(text(k, 1).contains("signature password"));
    assert_eq!(mynacard_kiosk_answer(k, 9, 0), MYNACARD_INVALID_ARGUMENT);
    assert_eq!(
        mynacard_kiosk_answer(k, MYNACARD_ANSWER_CHOICE as u32, 1),
        MYNACARD_OK
    );
    let (s, _) = question(k);
    assert_eq!(s.kind, MYNACARD_STEP_YES_NO as u32);
    assert_eq!(
        mynacard_kiosk_answer(k, MYNACARD_ANSWER_YES as u32, 0),
        MYNACARD_OK
    );
    let (s, _) = question(k);
    assert_eq!(
        (s.kind, s.pin_kind, s.secret_purpose),
        (MYNACARD_STEP_SECRET as u32, 1, 0)
    );
    // Not UTF-8: refused before the kiosk sees it.
    // SAFETY: valid for its length.
    assert_eq!(
        unsafe { mynacard_kiosk_answer_secret(k, [0xFFu8, 0x31].as_ptr(), 2) },
        MYNACARD_INVALID_UTF8
    );
    assert_eq!(secret(k, "1234"), MYNACARD_OK);
    let (s, _) = question(k);
    assert_eq!((s.pin_kind, s.secret_purpose), (0, 1));
    assert_eq!(secret(k, "NEWPASS1"), MYNACARD_OK);
    let (s, _) = question(k);
    assert_eq!((s.pin_kind, s.secret_purpose), (0, 2));
    assert_eq!(secret(k, "NEWPASS1"), MYNACARD_OK);
    let (s, shown) = question(k);
    assert_eq!((s.kind, s.outcome), (MYNACARD_STEP_DONE as u32, 0));
    assert!(shown.contains("was reset: 5 of 5 tries left"), "{shown}");
    // The same exchanges as the Rust kiosk (crates/kiosk/tests/machine.rs): 25.
    let mut n = 0u64;
    // SAFETY: writable count.
    assert_eq!(unsafe { mynacard_kiosk_exchanges(k, &mut n) }, MYNACARD_OK);
    assert_eq!(n, 25);
    // The end is stable; answers after it are refused.
    assert_eq!(
        mynacard_kiosk_answer(k, MYNACARD_ANSWER_YES as u32, 0),
        MYNACARD_KIOSK_FINISHED
    );
    assert_eq!(question(k).0.kind, MYNACARD_STEP_DONE as u32);
    // Another thread cannot use the handle.
    let kk = k as usize;
    std::thread::spawn(move || {
        assert_eq!(
            mynacard_kiosk_free(kk as *mut mynacard_kiosk),
            MYNACARD_INVALID_HANDLE
        )
    })
    .join()
    .unwrap();
    assert_eq!(mynacard_kiosk_free(k), MYNACARD_OK);
    assert_eq!(mynacard_kiosk_free(k), MYNACARD_INVALID_HANDLE);
    assert_eq!(
        mynacard_kiosk_free(std::ptr::null_mut()),
        MYNACARD_NULL_POINTER
    );
    assert_eq!(counters(&f.path), FULL);
    let vc = mynacard::sim::VirtualCard::open(&f.path).unwrap();
    assert!(vc.key_matches(App::Jpki, 0x001B, b"NEWPASS1"));
}
