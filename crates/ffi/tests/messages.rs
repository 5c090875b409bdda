//! The last error's message, in Japanese or English as the language setting says; the length
//! query; the message is per thread. (One test: the language is global.)

#![allow(unsafe_code)]

mod common;

use common::*;
use mynacard_ffi::mynacard_language::*;
use mynacard_ffi::mynacard_pin_kind::*;
use mynacard_ffi::*;

#[test]
fn messages_in_both_languages() {
    let f = fresh();
    let card = open(&f.path);
    assert_eq!(
        mynacard_get_language(),
        MYNACARD_LANG_JA as u32,
        "Japanese by default"
    );
    assert_eq!(
        verify(card, MYNACARD_PIN_USER_AUTH, "9999", 0),
        MYNACARD_WRONG_PIN
    );
    let ja = message();
    assert!(
        ja.contains("利用者証明用電子証明書の暗証番号が違います"),
        "{ja}"
    );
    assert!(ja.contains('2'));
    assert!(!ja.contains("9999"), "no PIN in a message");
    assert_eq!(mynacard_set_language(MYNACARD_LANG_EN as u32), MYNACARD_OK);
    // The same error, now in English: the language is read when the message is asked for.
    let en = message();
    assert!(
        en.contains("wrong user-authentication PIN") && en.contains("2 tries left"),
        "{en}"
    );

    // The length query.
    let mut needed = 0usize;
    // SAFETY: NULL buffer with capacity 0; writable `needed`.
    let s = unsafe { mynacard_last_error_message(std::ptr::null_mut(), 0, &mut needed) };
    assert_eq!(s, MYNACARD_BUFFER_TOO_SMALL);
    assert_eq!(needed, en.len() + 1);
    let mut small = vec![0u8; needed - 1];
    // SAFETY: `small` has its length in writable bytes.
    let s =
        unsafe { mynacard_last_error_message(small.as_mut_ptr().cast(), small.len(), &mut needed) };
    assert_eq!(s, MYNACARD_BUFFER_TOO_SMALL);
    assert!(
        small.iter().all(|b| *b == 0),
        "nothing written to a small buffer"
    );
    assert_eq!(
        mynacard_last_error_status(),
        MYNACARD_WRONG_PIN,
        "asking does not change it"
    );

    // Bad input gets a message in each language too.
    assert_eq!(
        verify(card, MYNACARD_PIN_SIGNATURE, "abc123", 0),
        MYNACARD_INVALID_SECRET
    );
    let en = message();
    assert!(en.contains("lower-case"), "{en}");
    assert_eq!(mynacard_set_language(MYNACARD_LANG_JA as u32), MYNACARD_OK);
    let ja = message();
    assert!(
        ja.contains("英小文字") && ja.contains("試行回数は減っていません"),
        "{ja}"
    );
    assert_eq!(mynacard_set_language(7), MYNACARD_INVALID_ARGUMENT);
    assert_eq!(mynacard_get_language(), MYNACARD_LANG_JA as u32);

    // Per thread: another thread's last call is its own.
    std::thread::spawn(|| assert_eq!(message(), ""))
        .join()
        .unwrap();
    // Success clears it.
    assert_eq!(verify(card, MYNACARD_PIN_USER_AUTH, "1234", 0), MYNACARD_OK);
    assert_eq!(message(), "");
    assert_eq!(mynacard_last_error_tries_left(), -1);

    // A too-small array of statuses counts entries, not bytes.
    assert_eq!(mynacard_set_language(MYNACARD_LANG_EN as u32), MYNACARD_OK);
    let mut three = [mynacard_pin_status::default(); 3];
    let mut count = 0usize;
    // SAFETY: `three` holds 3 writable structs; writable `count`.
    let s = unsafe { mynacard_read_pin_status_all(card, three.as_mut_ptr(), 3, &mut count) };
    assert_eq!((s, count), (MYNACARD_BUFFER_TOO_SMALL, 4));
    let en = message();
    assert!(en.contains("4 entries are needed"), "{en}");
    assert!(!en.contains("bytes"), "{en}");

    // The same state file opened twice in this process: it says so, not "another process".
    let path = std::ffi::CString::new(f.path.to_str().unwrap()).unwrap();
    let mut second: *mut mynacard_card = std::ptr::null_mut();
    // SAFETY: a NUL-terminated path and a writable handle pointer.
    let s = unsafe { mynacard_open_virtual(path.as_ptr(), &mut second) };
    assert_eq!(s, MYNACARD_STATE_FILE);
    assert!(second.is_null());
    let en = message();
    assert!(en.contains("already open in this process"), "{en}");
    assert!(!en.contains("another process"), "{en}");
    assert_eq!(mynacard_set_language(MYNACARD_LANG_JA as u32), MYNACARD_OK);
    let ja = message();
    assert!(ja.contains("このプロセスで既に開かれています"), "{ja}");
    close(card);
    // Closed: it opens again.
    let card = open(&f.path);
    close(card);
}
