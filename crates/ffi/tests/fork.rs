//! fork() after opening: the child's copy of a handle (and of the virtual card's counters
//! behind it) is refused with `MYNACARD_WRONG_PROCESS`, so a child cannot guess PINs on a copy
//! whose spent tries the parent never sees. One test in this file: the process forks while the
//! test harness runs no other test thread.

#![allow(unsafe_code)]

mod common;

use common::*;
use mynacard_ffi::mynacard_pin_kind::*;
use mynacard_ffi::mynacard_place::*;
use mynacard_ffi::mynacard_role::*;
use mynacard_ffi::*;

/// What the child saw, one byte per call, as its exit status bits.
fn child(card: *mut mynacard_card, kiosk: *mut mynacard_kiosk) -> i32 {
    let mut bad = 0;
    // A wrong PIN would spend a try on the child's copy of the card if it were sent.
    if verify(card, MYNACARD_PIN_USER_AUTH, "9999", 0) != MYNACARD_WRONG_PROCESS {
        bad |= 1;
    }
    if !message().contains("fork") {
        bad |= 2;
    }
    let mut n = 0u64;
    // SAFETY: writable `n`.
    if unsafe { mynacard_exchanges(card, &mut n) } != MYNACARD_WRONG_PROCESS {
        bad |= 4;
    }
    if mynacard_close(card) != MYNACARD_WRONG_PROCESS {
        bad |= 8;
    }
    let mut step = mynacard_kiosk_step::default();
    // SAFETY: writable step.
    if unsafe { mynacard_kiosk_next(kiosk, &mut step) } != MYNACARD_WRONG_PROCESS {
        bad |= 16;
    }
    if mynacard_kiosk_free(kiosk) != MYNACARD_WRONG_PROCESS {
        bad |= 32;
    }
    bad
}

#[test]
fn a_forked_child_cannot_use_the_parents_handles() {
    let f = fresh();
    let card = open(&f.path);
    let mut kiosk: *mut mynacard_kiosk = std::ptr::null_mut();
    // SAFETY: no authority (the stand-in), no label, a writable handle pointer.
    let s = unsafe {
        mynacard_kiosk_new(
            MYNACARD_PLACE_COUNTER as u32,
            std::ptr::null(),
            MYNACARD_ROLE_MUNICIPAL_COUNTER as u32,
            std::ptr::null(),
            &mut kiosk,
        )
    };
    assert_eq!(s, MYNACARD_OK, "{}", message());
    let before = exchanges(card);

    // SAFETY: fork() in a process whose other threads hold no lock of this library (this file's
    // only test runs alone); the child makes its calls and leaves with _exit, running no
    // destructor and no atexit handler of the parent's.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let code = child(card, kiosk);
        // SAFETY: ends the child at once.
        unsafe { libc::_exit(code) };
    }
    let mut status = 0;
    // SAFETY: waits for our own child, with a writable status.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(r, pid);
    assert!(libc::WIFEXITED(status), "the child did not exit normally");
    let bad = libc::WEXITSTATUS(status);
    assert_eq!(
        bad, 0,
        "the child could use the parent's handles (bits: 1 verify, 2 message, 4 exchanges, \
         8 close, 16 kiosk_next, 32 kiosk_free)"
    );

    // The parent's handles still work, and nothing reached the card from the child.
    assert_eq!(exchanges(card), before);
    assert_eq!(status_of_auth(card), 3);
    let mut step = mynacard_kiosk_step::default();
    // SAFETY: writable step.
    assert_eq!(
        unsafe { mynacard_kiosk_next(kiosk, &mut step) },
        MYNACARD_OK
    );
    assert_eq!(mynacard_kiosk_free(kiosk), MYNACARD_OK);
    close(card);
    assert_eq!(counters(&f.path), FULL);
}

fn status_of_auth(card: *mut mynacard_card) -> i32 {
    status(card, MYNACARD_PIN_USER_AUTH).tries_left
}
