//! Reader and card events through the C ABI, on the virtual card: a monitor of its reader, the
//! card pulled out and put back (`mynacard_virtual_remove`, `mynacard_virtual_insert`),
//! `mynacard_wait_for_card_event` with its timeout, and `mynacard_monitor_cancel` from another
//! thread.

#![allow(unsafe_code)]

mod common;

use std::ffi::CStr;
use std::thread;
use std::time::Duration;

use common::*;
use mynacard::sim::ATR_CONTACT;
use mynacard_ffi::mynacard_card_kind::*;
use mynacard_ffi::mynacard_event_kind::*;
use mynacard_ffi::mynacard_pin_kind::*;
use mynacard_ffi::*;

fn open_monitor(card: *mut mynacard_card) -> *mut mynacard_monitor {
    let mut m: *mut mynacard_monitor = std::ptr::null_mut();
    // SAFETY: writable `m`.
    assert_eq!(
        unsafe { mynacard_monitor_open_virtual(card, &mut m) },
        MYNACARD_OK,
        "{}",
        message()
    );
    assert!(!m.is_null());
    m
}

fn wait(m: *mut mynacard_monitor, timeout_ms: u32) -> mynacard_card_event {
    let mut e = std::mem::MaybeUninit::<mynacard_card_event>::uninit();
    // SAFETY: writable `e`, filled in on success.
    let s = unsafe { mynacard_wait_for_card_event(m, timeout_ms, e.as_mut_ptr()) };
    assert_eq!(s, MYNACARD_OK, "{}", message());
    // SAFETY: the call succeeded, so it wrote the whole struct.
    unsafe { e.assume_init() }
}

fn reader(e: &mynacard_card_event) -> String {
    // SAFETY: the library NUL-terminates `reader` within the array.
    unsafe { CStr::from_ptr(e.reader.as_ptr()) }
        .to_str()
        .unwrap()
        .to_owned()
}

#[test]
fn a_virtual_card_pulled_out_and_put_back_is_reported_with_its_atr_and_kind() {
    let f = fresh();
    let card = open(&f.path);
    let m = open_monitor(card);

    let e = wait(m, 5_000);
    assert_eq!(e.kind, MYNACARD_EVENT_READER_ADDED as u32);
    let name = reader(&e);
    assert!(!name.is_empty());

    let e = wait(m, 5_000);
    assert_eq!(e.kind, MYNACARD_EVENT_CARD_INSERTED as u32);
    assert_eq!(reader(&e), name);
    assert_eq!(&e.atr[..e.atr_len], &ATR_CONTACT);
    assert_eq!(e.card_kind, MYNACARD_CARD_KIND_MY_NUMBER as u32);

    // Nothing more: the wait times out.
    assert_eq!(wait(m, 0).kind, MYNACARD_EVENT_NONE as u32);

    assert_eq!(mynacard_virtual_remove(card), MYNACARD_OK);
    let e = wait(m, 5_000);
    assert_eq!(e.kind, MYNACARD_EVENT_CARD_REMOVED as u32);
    assert_eq!(e.card_kind, MYNACARD_CARD_KIND_NONE as u32);
    assert_eq!(e.atr_len, 0);
    // The card is out: a call on it fails, and spends nothing.
    assert_eq!(
        verify(card, MYNACARD_PIN_USER_AUTH, "1234", 0),
        MYNACARD_TRANSPORT
    );

    assert_eq!(mynacard_virtual_insert(card), MYNACARD_OK);
    let e = wait(m, 5_000);
    assert_eq!(e.kind, MYNACARD_EVENT_CARD_INSERTED as u32);
    assert_eq!(e.card_kind, MYNACARD_CARD_KIND_MY_NUMBER as u32);
    assert_eq!(verify(card, MYNACARD_PIN_USER_AUTH, "1234", 0), MYNACARD_OK);

    assert_eq!(mynacard_monitor_close(m), MYNACARD_OK);
    assert_eq!(mynacard_monitor_close(m), MYNACARD_INVALID_HANDLE);
    close(card);
    assert_eq!(counters(&f.path), FULL);
}

#[test]
fn cancel_from_another_thread_ends_a_wait() {
    let f = fresh();
    let card = open(&f.path);
    let m = open_monitor(card);
    wait(m, 5_000);
    wait(m, 5_000);
    let id = m as usize;
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        mynacard_monitor_cancel(id as *mut mynacard_monitor)
    });
    // Were the cancel lost, this would time out after a minute with MYNACARD_EVENT_NONE.
    assert_eq!(wait(m, 60_000).kind, MYNACARD_EVENT_CANCELLED as u32);
    assert_eq!(t.join().unwrap(), MYNACARD_OK);
    assert_eq!(mynacard_monitor_close(m), MYNACARD_OK);
    close(card);
}

#[test]
fn bad_arguments_are_refused() {
    let mut e = std::mem::MaybeUninit::<mynacard_card_event>::uninit();
    let mut m: *mut mynacard_monitor = std::ptr::null_mut();
    // SAFETY: NULL or writable pointers, as documented.
    unsafe {
        assert_eq!(
            mynacard_wait_for_card_event(std::ptr::null_mut(), 0, e.as_mut_ptr()),
            MYNACARD_NULL_POINTER
        );
        assert_eq!(
            mynacard_wait_for_card_event(0xDEAD_BEE0usize as *mut _, 0, e.as_mut_ptr()),
            MYNACARD_INVALID_HANDLE
        );
        assert_eq!(
            mynacard_monitor_open_virtual(std::ptr::null_mut(), &mut m),
            MYNACARD_NULL_POINTER
        );
    }
    assert_eq!(
        mynacard_monitor_cancel(0xDEAD_BEE0usize as *mut _),
        MYNACARD_INVALID_HANDLE
    );
    assert_eq!(
        mynacard_virtual_remove(std::ptr::null_mut()),
        MYNACARD_NULL_POINTER
    );
    let f = fresh();
    let card = open(&f.path);
    let mv = open_monitor(card);
    // SAFETY: NULL `event`.
    assert_eq!(
        unsafe { mynacard_wait_for_card_event(mv, 0, std::ptr::null_mut()) },
        MYNACARD_NULL_POINTER
    );
    assert_eq!(mynacard_monitor_close(mv), MYNACARD_OK);
    close(card);
}

/// Without the `pcsc` feature the PC/SC monitor is unsupported, and says so.
#[cfg(not(feature = "pcsc"))]
#[test]
fn the_pcsc_monitor_is_unsupported_without_the_feature() {
    let mut m: *mut mynacard_monitor = std::ptr::null_mut();
    // SAFETY: writable `m`.
    assert_eq!(
        unsafe { mynacard_monitor_open_pcsc(&mut m) },
        MYNACARD_UNSUPPORTED
    );
    assert!(m.is_null());
}
