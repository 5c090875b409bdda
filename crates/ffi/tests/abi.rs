//! Every exported function, called from Rust through the C ABI against the virtual card; and
//! every kind of bad argument gives its status code, sends nothing and spends no try.

#![allow(unsafe_code)]

mod common;

use std::ffi::{c_char, CStr, CString};

use common::*;
use mynacard::sim::App;
use mynacard_ffi::mynacard_cert_kind::*;
use mynacard_ffi::mynacard_flags::*;
use mynacard_ffi::mynacard_key_kind::*;
use mynacard_ffi::mynacard_pin_kind::*;
use mynacard_ffi::mynacard_role::*;
use mynacard_ffi::mynacard_scheme::*;
use mynacard_ffi::mynacard_text_key::*;
use mynacard_ffi::*;

const ALLOW: u32 = MYNACARD_FLAG_ALLOW_LAST_TRY as u32;

#[test]
fn open_close_and_handles() {
    let f = fresh();
    let card = open(&f.path);
    assert_eq!(exchanges(card), 0);
    assert_eq!(mynacard_unpower(card), MYNACARD_OK);
    close(card);
    // Closed: every call says so, and closing again too.
    assert_eq!(mynacard_close(card), MYNACARD_INVALID_HANDLE);
    assert_eq!(mynacard_unpower(card), MYNACARD_INVALID_HANDLE);
    assert_eq!(
        verify(card, MYNACARD_PIN_USER_AUTH, "1234", 0),
        MYNACARD_INVALID_HANDLE
    );
    let mut n = 0u64;
    // SAFETY: writable `n`.
    assert_eq!(
        unsafe { mynacard_exchanges(card, &mut n) },
        MYNACARD_INVALID_HANDLE
    );
    // A made-up handle is not found either, and never dereferenced.
    let fake = 0xDEAD_BEE0usize as *mut mynacard_card;
    assert_eq!(mynacard_close(fake), MYNACARD_INVALID_HANDLE);
    assert_eq!(
        mynacard_unpower(std::ptr::null_mut()),
        MYNACARD_NULL_POINTER
    );
    assert_eq!(mynacard_close(std::ptr::null_mut()), MYNACARD_NULL_POINTER);
    // The state file was released on close: the card opens again, untouched.
    assert_eq!(counters(&f.path), FULL);
}

#[test]
fn open_refuses_bad_arguments() {
    let f = fresh();
    let path = CString::new(f.path.to_str().unwrap()).unwrap();
    let mut card: *mut mynacard_card = std::ptr::null_mut();
    // SAFETY: each call gets valid pointers or NULL, as documented.
    unsafe {
        assert_eq!(
            mynacard_open_virtual(std::ptr::null(), &mut card),
            MYNACARD_NULL_POINTER
        );
        assert_eq!(
            mynacard_open_virtual(path.as_ptr(), std::ptr::null_mut()),
            MYNACARD_NULL_POINTER
        );
        let bad = [0xFFu8, 0xFE, 0];
        assert_eq!(
            mynacard_open_virtual(bad.as_ptr().cast::<c_char>(), &mut card),
            MYNACARD_INVALID_UTF8
        );
        // A directory is not a state file.
        let dir = CString::new(f.dir.path().to_str().unwrap()).unwrap();
        assert_eq!(
            mynacard_open_virtual(dir.as_ptr(), &mut card),
            MYNACARD_STATE_FILE
        );
        // The state file is locked while open.
        assert_eq!(mynacard_open_virtual(path.as_ptr(), &mut card), MYNACARD_OK);
        let mut second: *mut mynacard_card = std::ptr::null_mut();
        assert_eq!(
            mynacard_open_virtual(path.as_ptr(), &mut second),
            MYNACARD_STATE_FILE
        );
        assert!(second.is_null());
        close(card);
        // This build has no PC/SC.
        let auto = CString::new("auto").unwrap();
        let expected = if cfg!(feature = "pcsc") {
            MYNACARD_TRANSPORT
        } else {
            MYNACARD_UNSUPPORTED
        };
        let got = mynacard_open_pcsc(auto.as_ptr(), &mut second);
        if !cfg!(feature = "pcsc") {
            assert_eq!(got, expected);
        }
        assert_eq!(
            mynacard_open_pcsc(std::ptr::null(), &mut second),
            MYNACARD_NULL_POINTER
        );
    }
}

#[test]
fn pin_status_spends_nothing() {
    let f = fresh();
    let card = open(&f.path);
    let s = status(card, MYNACARD_PIN_SIGNATURE);
    assert_eq!(
        (s.kind, s.limit, s.tries_left, s.blocked, s.ref_count),
        (0, 5, 5, 0, 1)
    );
    assert_eq!(s.refs[0].key_fid, 0x001B);
    let s = status(card, MYNACARD_PIN_RESIDENCE);
    assert_eq!(
        (s.ref_count, s.refs[0].tries_left, s.refs[1].tries_left),
        (2, 3, 3)
    );

    let mut all = [mynacard_pin_status::default(); 4];
    let mut count = 0usize;
    let before = exchanges(card);
    // SAFETY: `all` has 3 (then 4) writable structs; `count` is writable.
    unsafe {
        assert_eq!(
            mynacard_read_pin_status_all(card, all.as_mut_ptr(), 3, &mut count),
            MYNACARD_BUFFER_TOO_SMALL
        );
        assert_eq!(count, 4);
        assert_eq!(exchanges(card), before, "a too-small buffer sends nothing");
        assert_eq!(
            mynacard_read_pin_status_all(card, all.as_mut_ptr(), 4, &mut count),
            MYNACARD_OK
        );
        assert_eq!(
            mynacard_read_pin_status_all(card, std::ptr::null_mut(), 4, &mut count),
            MYNACARD_NULL_POINTER
        );
        assert_eq!(
            mynacard_read_pin_status_all(card, all.as_mut_ptr(), 4, std::ptr::null_mut()),
            MYNACARD_NULL_POINTER
        );
        let mut one = mynacard_pin_status::default();
        assert_eq!(
            mynacard_read_pin_status(card, 4, &mut one),
            MYNACARD_INVALID_ARGUMENT
        );
        assert_eq!(
            mynacard_read_pin_status(card, 0, std::ptr::null_mut()),
            MYNACARD_NULL_POINTER
        );
    }
    assert_eq!(count, 4);
    let limits: Vec<_> = all.iter().map(|s| (s.kind, s.tries_left)).collect();
    assert_eq!(limits, [(0, 5), (1, 3), (2, 3), (3, 3)]);
    close(card);
    assert_eq!(counters(&f.path), FULL);
}

#[test]
fn verify_wrong_pin_spends_exactly_one_try() {
    let f = fresh();
    let card = open(&f.path);
    assert_eq!(verify(card, MYNACARD_PIN_USER_AUTH, "1234", 0), MYNACARD_OK);
    assert_eq!(
        verify(card, MYNACARD_PIN_USER_AUTH, "9999", 0),
        MYNACARD_WRONG_PIN
    );
    assert_eq!(mynacard_last_error_status(), MYNACARD_WRONG_PIN);
    assert_eq!(mynacard_last_error_tries_left(), 2);
    close(card);
    assert_eq!(counters(&f.path)[1], Some(2));
}

#[test]
fn refused_arguments_send_nothing_and_spend_no_try() {
    let f = fresh();
    let card = open(&f.path);
    let sign = MYNACARD_PIN_SIGNATURE as u32;
    // SAFETY: every pointer is valid for its length, or NULL.
    unsafe {
        assert_eq!(
            mynacard_verify(card, sign, std::ptr::null(), 6, 0),
            MYNACARD_NULL_POINTER
        );
        let bad_utf8 = [b'A', 0xFF, b'1', b'2', b'3', b'4'];
        assert_eq!(
            mynacard_verify(card, sign, bad_utf8.as_ptr(), 6, 0),
            MYNACARD_INVALID_UTF8
        );
        for wrong_format in ["abc123", "ABC", "ABCDEFG", "123456", "ABC 123", ""] {
            assert_eq!(
                mynacard_verify(card, sign, wrong_format.as_ptr(), wrong_format.len(), 0),
                MYNACARD_INVALID_SECRET,
                "{wrong_format:?}"
            );
        }
        assert_eq!(
            mynacard_verify(card, 1, b"12a4".as_ptr(), 4, 0),
            MYNACARD_INVALID_SECRET
        );
        assert_eq!(
            mynacard_verify(card, 1, b"12345".as_ptr(), 5, 0),
            MYNACARD_INVALID_SECRET
        );
        assert_eq!(
            mynacard_verify(card, 7, b"1234".as_ptr(), 4, 0),
            MYNACARD_INVALID_ARGUMENT
        );
        assert_eq!(
            mynacard_verify(card, 1, b"1234".as_ptr(), 4, 0x80),
            MYNACARD_INVALID_ARGUMENT
        );
        assert_eq!(
            mynacard_verify(std::ptr::null_mut(), 1, b"1234".as_ptr(), 4, 0),
            MYNACARD_NULL_POINTER
        );
        // change: the same checks, and the new value must differ.
        assert_eq!(
            mynacard_change(card, 1, b"1234".as_ptr(), 4, b"1234".as_ptr(), 4, 0),
            MYNACARD_INVALID_SECRET
        );
        assert_eq!(
            mynacard_change(card, 1, b"1234".as_ptr(), 4, std::ptr::null(), 4, 0),
            MYNACARD_NULL_POINTER
        );
        assert_eq!(
            mynacard_change(card, 1, b"1234".as_ptr(), 4, b"55".as_ptr(), 2, 0),
            MYNACARD_INVALID_SECRET
        );
        // reset: a bad new value, a bad other value, a bad role.
        let mut st = mynacard_pin_status::default();
        assert_eq!(
            mynacard_reset_stand_in(
                card,
                0,
                sign,
                b"short".as_ptr(),
                5,
                b"1234".as_ptr(),
                4,
                0,
                &mut st
            ),
            MYNACARD_INVALID_SECRET
        );
        assert_eq!(
            mynacard_reset_stand_in(
                card,
                0,
                sign,
                b"NEWPASS1".as_ptr(),
                8,
                b"12".as_ptr(),
                2,
                0,
                &mut st
            ),
            MYNACARD_INVALID_SECRET
        );
        assert_eq!(
            mynacard_reset_stand_in(
                card,
                9,
                sign,
                b"NEWPASS1".as_ptr(),
                8,
                b"1234".as_ptr(),
                4,
                0,
                &mut st
            ),
            MYNACARD_INVALID_ARGUMENT
        );
        // sign: NULL output, bad scheme, bad key.
        let mut sig = empty_buffer();
        assert_eq!(
            mynacard_sign(
                card,
                0,
                b"1234".as_ptr(),
                4,
                0,
                b"m".as_ptr(),
                1,
                0,
                std::ptr::null_mut()
            ),
            MYNACARD_NULL_POINTER
        );
        assert_eq!(
            mynacard_sign(
                card,
                0,
                b"1234".as_ptr(),
                4,
                8,
                b"m".as_ptr(),
                1,
                0,
                &mut sig
            ),
            MYNACARD_INVALID_ARGUMENT
        );
        assert_eq!(
            mynacard_sign(
                card,
                2,
                b"1234".as_ptr(),
                4,
                0,
                b"m".as_ptr(),
                1,
                0,
                &mut sig
            ),
            MYNACARD_INVALID_ARGUMENT
        );
        // A digest of the wrong length is refused before the VERIFY.
        assert_ne!(
            mynacard_sign(
                card,
                0,
                b"1234".as_ptr(),
                4,
                0,
                [0u8; 5].as_ptr(),
                5,
                MYNACARD_FLAG_INPUT_IS_DIGEST as u32,
                &mut sig
            ),
            MYNACARD_OK
        );
        // text assist: NULL out, a too-small My Number buffer.
        assert_eq!(
            mynacard_read_basic_four(card, 0, b"1234".as_ptr(), 4, 0, std::ptr::null_mut()),
            MYNACARD_NULL_POINTER
        );
        let mut small = [0 as c_char; 12];
        let mut needed = 0usize;
        assert_eq!(
            mynacard_read_my_number(
                card,
                0,
                b"1234".as_ptr(),
                4,
                0,
                small.as_mut_ptr(),
                small.len(),
                &mut needed
            ),
            MYNACARD_BUFFER_TOO_SMALL
        );
        assert_eq!(needed, 13);
        let mut b4 = std::mem::zeroed::<mynacard_basic_four>();
        assert_eq!(
            mynacard_read_basic_four(
                card,
                MYNACARD_TEXT_KEY_MATCHING_B as u32,
                b"123456789012".as_ptr(),
                12,
                0,
                &mut b4
            ),
            MYNACARD_INVALID_SECRET
        );
    }
    assert_eq!(exchanges(card), 0, "nothing reached the card");
    close(card);
    assert_eq!(counters(&f.path), FULL);
}

#[test]
fn last_try_guard_and_blocked() {
    let f = fresh();
    set_tries(&f.path, App::Jpki, 0x0018, 1);
    let card = open(&f.path);
    assert_eq!(
        verify(card, MYNACARD_PIN_USER_AUTH, "9999", 0),
        MYNACARD_LAST_TRY_REFUSED
    );
    assert_eq!(mynacard_last_error_tries_left(), 1);
    // A right PIN is refused too without the flag: the guard cannot know it is right.
    assert_eq!(
        verify(card, MYNACARD_PIN_USER_AUTH, "1234", 0),
        MYNACARD_LAST_TRY_REFUSED
    );
    close(card);
    assert_eq!(
        counters(&f.path)[1],
        Some(1),
        "a refused call spends nothing"
    );
    let card = open(&f.path);
    assert_eq!(
        verify(card, MYNACARD_PIN_USER_AUTH, "9999", ALLOW),
        MYNACARD_WRONG_PIN
    );
    assert_eq!(mynacard_last_error_tries_left(), 0);
    // Blocked: never sent again, with or without the flag.
    assert_eq!(
        verify(card, MYNACARD_PIN_USER_AUTH, "1234", ALLOW),
        MYNACARD_BLOCKED
    );
    assert_eq!(status(card, MYNACARD_PIN_USER_AUTH).blocked, 1);
    close(card);
    assert_eq!(counters(&f.path)[1], Some(0));
}

#[test]
fn change_then_verify_with_the_new_value() {
    let f = fresh();
    let card = open(&f.path);
    // SAFETY: valid buffers.
    unsafe {
        assert_eq!(
            mynacard_change(card, 2, b"1234".as_ptr(), 4, b"5678".as_ptr(), 4, 0),
            MYNACARD_OK,
            "{}",
            message()
        );
        assert_eq!(
            mynacard_change(card, 0, b"ABC123".as_ptr(), 6, b"XYZ789".as_ptr(), 6, 0),
            MYNACARD_OK
        );
        assert_eq!(
            mynacard_change(card, 1, b"0000".as_ptr(), 4, b"5678".as_ptr(), 4, 0),
            MYNACARD_WRONG_PIN
        );
    }
    assert_eq!(mynacard_unpower(card), MYNACARD_OK);
    assert_eq!(verify(card, MYNACARD_PIN_RESIDENCE, "5678", 0), MYNACARD_OK);
    assert_eq!(
        verify(card, MYNACARD_PIN_SIGNATURE, "XYZ789", 0),
        MYNACARD_OK
    );
    close(card);
    assert_eq!(
        counters(&f.path),
        [Some(5), Some(2), Some(3), Some(3), Some(3)]
    );
}

#[test]
fn stand_in_reset_of_a_blocked_signature_password() {
    let f = fresh();
    set_tries(&f.path, App::Jpki, 0x001B, 0);
    let card = open(&f.path);
    let sign = MYNACARD_PIN_SIGNATURE as u32;
    let kiosk = MYNACARD_ROLE_SELF_SERVICE_KIOSK as u32;
    let mut st = mynacard_pin_status::default();
    // SAFETY: valid buffers and a writable status.
    unsafe {
        // The kiosk route needs the user-authentication PIN: nothing is sent without it.
        assert_eq!(
            mynacard_reset_stand_in(
                card,
                kiosk,
                sign,
                b"NEWPASS1".as_ptr(),
                8,
                std::ptr::null(),
                0,
                0,
                &mut st
            ),
            MYNACARD_OTHER_PIN_NEEDED
        );
        // The kiosk cannot reset the text-assist PIN: nothing is sent.
        assert_eq!(
            mynacard_reset_stand_in(
                card,
                kiosk,
                3,
                b"4321".as_ptr(),
                4,
                std::ptr::null(),
                0,
                0,
                &mut st
            ),
            MYNACARD_NOT_PERMITTED
        );
        assert_eq!(exchanges(card), 0);
        // A wrong other PIN costs one of its tries, once.
        assert_eq!(
            mynacard_reset_stand_in(
                card,
                kiosk,
                sign,
                b"NEWPASS1".as_ptr(),
                8,
                b"9999".as_ptr(),
                4,
                0,
                &mut st
            ),
            MYNACARD_WRONG_PIN
        );
        assert_eq!(mynacard_last_error_tries_left(), 2);
        assert_eq!(
            mynacard_reset_stand_in(
                card,
                kiosk,
                sign,
                b"NEWPASS1".as_ptr(),
                8,
                b"1234".as_ptr(),
                4,
                0,
                &mut st
            ),
            MYNACARD_OK,
            "{}",
            message()
        );
    }
    assert_eq!((st.kind, st.tries_left, st.blocked), (0, 5, 0));
    assert_eq!(mynacard_unpower(card), MYNACARD_OK);
    assert_eq!(
        verify(card, MYNACARD_PIN_SIGNATURE, "NEWPASS1", 0),
        MYNACARD_OK
    );
    close(card);
    // The auth PIN's wrong try stayed spent until its own successful VERIFY restored it.
    assert_eq!(counters(&f.path), FULL);
}

#[test]
fn counter_resets_the_residence_pin_in_both_applications() {
    let f = fresh();
    set_tries(&f.path, App::Juki, 0x001C, 0);
    set_tries(&f.path, App::Common, 0x001C, 0);
    let card = open(&f.path);
    let mut st = mynacard_pin_status::default();
    // SAFETY: valid buffers; the status pointer may be NULL.
    unsafe {
        assert_eq!(
            mynacard_reset_stand_in(
                card,
                MYNACARD_ROLE_MUNICIPAL_COUNTER as u32,
                2,
                b"2468".as_ptr(),
                4,
                std::ptr::null(),
                0,
                0,
                &mut st
            ),
            MYNACARD_OK,
            "{}",
            message()
        );
        // With `other_pin` for a PIN that has no self-service route: refused, nothing sent.
        let before = exchanges(card);
        assert_eq!(
            mynacard_reset_stand_in(
                card,
                1,
                2,
                b"2468".as_ptr(),
                4,
                b"1234".as_ptr(),
                4,
                0,
                std::ptr::null_mut()
            ),
            MYNACARD_INVALID_ARGUMENT
        );
        assert_eq!(exchanges(card), before);
    }
    assert_eq!(
        (st.ref_count, st.refs[0].tries_left, st.refs[1].tries_left),
        (2, 3, 3)
    );
    assert_eq!(verify(card, MYNACARD_PIN_RESIDENCE, "2468", 0), MYNACARD_OK);
    close(card);
}

#[test]
fn policy_check() {
    use mynacard_ffi::mynacard_place::*;
    use mynacard_ffi::mynacard_refusal::*;
    let mut r = mynacard_policy_result::default();
    // SAFETY: writable result.
    unsafe {
        // Signature password at a kiosk, knowing the auth PIN: possible, enter the auth PIN.
        assert_eq!(
            mynacard_policy_check(
                0,
                MYNACARD_PLACE_KIOSK_SIGNATURE_ONLY as u32,
                1 << 1,
                0,
                1,
                &mut r
            ),
            MYNACARD_OK
        );
        assert_eq!(
            (r.possible, r.other_pin, r.refusals, r.go_instead),
            (1, 1, 0, 0)
        );
        // The auth PIN at a signature-only kiosk: refused, go to a kiosk that does both.
        assert_eq!(
            mynacard_policy_check(
                1,
                MYNACARD_PLACE_KIOSK_SIGNATURE_ONLY as u32,
                1 << 0,
                0,
                1,
                &mut r
            ),
            MYNACARD_OK
        );
        assert_eq!(r.possible, 0);
        assert_eq!(r.refusals, MYNACARD_REFUSAL_KIOSK_SIGNATURE_ONLY as u32);
        assert_ne!(
            r.go_instead & (1 << MYNACARD_PLACE_KIOSK_BOTH_JPKI as u32),
            0
        );
        // The text-assist PIN: only the counter; the other PIN blocked; no certificates.
        assert_eq!(
            mynacard_policy_check(3, MYNACARD_PLACE_KIOSK_BOTH_JPKI as u32, 0, 0, 1, &mut r),
            MYNACARD_OK
        );
        assert_eq!(r.refusals, MYNACARD_REFUSAL_NOT_SELF_SERVICE as u32);
        assert_eq!(
            mynacard_policy_check(0, 1, 1 << 1, 1 << 1, 0, &mut r),
            MYNACARD_OK
        );
        assert_eq!(
            r.refusals,
            MYNACARD_REFUSAL_OTHER_PIN_BLOCKED as u32
                | MYNACARD_REFUSAL_CERTIFICATES_MISSING as u32
        );
        assert_eq!(
            mynacard_policy_check(3, MYNACARD_PLACE_COUNTER as u32, 0, 0, 0, &mut r),
            MYNACARD_OK
        );
        assert_eq!((r.possible, r.other_pin), (1, -1));
        assert_eq!(
            mynacard_policy_check(4, 0, 0, 0, 1, &mut r),
            MYNACARD_INVALID_ARGUMENT
        );
        assert_eq!(
            mynacard_policy_check(0, 5, 0, 0, 1, &mut r),
            MYNACARD_INVALID_ARGUMENT
        );
        assert_eq!(
            mynacard_policy_check(0, 0, 1 << 4, 0, 1, &mut r),
            MYNACARD_INVALID_ARGUMENT
        );
        assert_eq!(
            mynacard_policy_check(0, 0, 0, 0, 1, std::ptr::null_mut()),
            MYNACARD_NULL_POINTER
        );
    }
}

#[test]
fn certificates_and_signatures() {
    use mynacard::cert::Certificate;
    use mynacard::crypto::HashAlgorithm;
    use mynacard::sign::{verify_signature, SignatureScheme, ToSign};
    let f = fresh();
    let card = open(&f.path);
    let mut der = empty_buffer();
    // SAFETY: writable buffers; valid inputs.
    unsafe {
        assert_eq!(
            mynacard_read_certificate(card, MYNACARD_CERT_AUTH as u32, &mut der),
            MYNACARD_OK
        );
        let auth = Certificate::from_der(&bytes_of(&der)).expect("DER of an X.509 certificate");
        free(&mut der);
        assert!(der.data.is_null());
        for k in [MYNACARD_CERT_AUTH_CA, MYNACARD_CERT_SIGN_CA] {
            assert_eq!(
                mynacard_read_certificate(card, k as u32, &mut der),
                MYNACARD_OK
            );
            Certificate::from_der(&bytes_of(&der)).expect("CA certificate");
            free(&mut der);
        }
        // The signature certificate needs the password first.
        assert_eq!(
            mynacard_read_certificate(card, MYNACARD_CERT_SIGN as u32, &mut der),
            MYNACARD_NEEDS_VERIFICATION
        );
        assert!(der.data.is_null());
        assert_eq!(
            mynacard_read_certificate(card, 4, &mut der),
            MYNACARD_INVALID_ARGUMENT
        );

        let msg = b"hello from C";
        let mut sig = empty_buffer();
        for scheme in [
            MYNACARD_SCHEME_PKCS1V15_SHA256,
            MYNACARD_SCHEME_PKCS1V15_SHA384,
            MYNACARD_SCHEME_PKCS1V15_SHA512,
            MYNACARD_SCHEME_PKCS1V15_BARE_SHA256,
            MYNACARD_SCHEME_PKCS1V15_SHA256_DIGEST,
            MYNACARD_SCHEME_PKCS1V15_SHA256_CARD_HASH,
            MYNACARD_SCHEME_PSS_SHA256_DIGEST,
            MYNACARD_SCHEME_PSS_SHA256,
        ] {
            assert_eq!(
                mynacard_sign(
                    card,
                    MYNACARD_KEY_AUTH as u32,
                    b"1234".as_ptr(),
                    4,
                    scheme as u32,
                    msg.as_ptr(),
                    msg.len(),
                    0,
                    &mut sig
                ),
                MYNACARD_OK,
                "{scheme:?}: {}",
                message()
            );
            assert_eq!(sig.len, 256);
            free(&mut sig);
        }
        // An independent check of one: PKCS#1 v1.5 SHA-256 under the certificate's key.
        assert_eq!(
            mynacard_sign(
                card,
                0,
                b"1234".as_ptr(),
                4,
                0,
                msg.as_ptr(),
                msg.len(),
                0,
                &mut sig
            ),
            MYNACARD_OK
        );
        let key = auth.public_key().unwrap();
        verify_signature(
            &key,
            SignatureScheme::Pkcs1v15(HashAlgorithm::Sha256),
            ToSign::Message(msg),
            &bytes_of(&sig),
        )
        .expect("the signature verifies");
        assert!(verify_signature(
            &key,
            SignatureScheme::Pkcs1v15(HashAlgorithm::Sha256),
            ToSign::Message(b"other"),
            &bytes_of(&sig)
        )
        .is_err());
        free(&mut sig);
        // A digest input.
        let digest = HashAlgorithm::Sha256.digest(msg);
        assert_eq!(
            mynacard_sign(
                card,
                0,
                b"1234".as_ptr(),
                4,
                0,
                digest.as_ptr(),
                32,
                MYNACARD_FLAG_INPUT_IS_DIGEST as u32,
                &mut sig
            ),
            MYNACARD_OK
        );
        verify_signature(
            &key,
            SignatureScheme::Pkcs1v15(HashAlgorithm::Sha256),
            ToSign::Message(msg),
            &bytes_of(&sig),
        )
        .unwrap();
        free(&mut sig);
        // The signature key, and then its certificate (the password is verified now).
        assert_eq!(
            mynacard_sign(
                card,
                MYNACARD_KEY_SIGN as u32,
                b"ABC123".as_ptr(),
                6,
                0,
                msg.as_ptr(),
                msg.len(),
                0,
                &mut sig
            ),
            MYNACARD_OK
        );
        free(&mut sig);
        assert_eq!(
            mynacard_read_certificate(card, MYNACARD_CERT_SIGN as u32, &mut der),
            MYNACARD_OK
        );
        Certificate::from_der(&bytes_of(&der)).expect("signature certificate");
        free(&mut der);
        // Unpowered: verification is gone.
        assert_eq!(mynacard_unpower(card), MYNACARD_OK);
        assert_eq!(
            mynacard_read_certificate(card, MYNACARD_CERT_SIGN as u32, &mut der),
            MYNACARD_NEEDS_VERIFICATION
        );
        // A wrong PIN when signing spends one try and signs nothing.
        assert_eq!(
            mynacard_sign(
                card,
                0,
                b"9999".as_ptr(),
                4,
                0,
                msg.as_ptr(),
                msg.len(),
                0,
                &mut sig
            ),
            MYNACARD_WRONG_PIN
        );
        assert!(sig.data.is_null());
    }
    close(card);
    assert_eq!(counters(&f.path)[1], Some(2));
}

#[test]
fn text_assist_basic_four_and_my_number() {
    use mynacard::sim::Holder;
    let h = Holder::default();
    let f = fresh();
    let card = open(&f.path);
    // SAFETY: valid buffers and writable outputs.
    unsafe {
        let mut b4 = std::mem::zeroed::<mynacard_basic_four>();
        assert_eq!(
            mynacard_read_basic_four(
                card,
                MYNACARD_TEXT_KEY_PIN as u32,
                b"1234".as_ptr(),
                4,
                0,
                &mut b4
            ),
            MYNACARD_OK,
            "{}",
            message()
        );
        let name = String::from_utf8(bytes_of(&b4.name)).unwrap();
        assert_eq!(name, format!("{}\u{3000}{}", h.family_name, h.given_name));
        assert_eq!(String::from_utf8(bytes_of(&b4.address)).unwrap(), h.address);
        let birth = CStr::from_ptr(b4.birth_date.as_ptr()).to_str().unwrap();
        assert_eq!(
            birth,
            format!("{:04}{:02}{:02}", h.birth.0, h.birth.1, h.birth.2)
        );
        assert_eq!(b4.sex, h.sex as u32);
        // NUL-terminated texts.
        assert_eq!(*b4.name.data.add(b4.name.len), 0);
        free(&mut b4.name);
        free(&mut b4.address);

        let mut buf = [0 as c_char; 13];
        let mut needed = 0usize;
        assert_eq!(
            mynacard_read_my_number(
                card,
                MYNACARD_TEXT_KEY_PIN as u32,
                b"1234".as_ptr(),
                4,
                0,
                buf.as_mut_ptr(),
                13,
                &mut needed
            ),
            MYNACARD_OK
        );
        assert_eq!(CStr::from_ptr(buf.as_ptr()).to_str().unwrap(), h.my_number);
        // 照合番号A opens the My Number; 照合番号B the basic four.
        buf = [0; 13];
        let a = h.my_number.as_bytes();
        assert_eq!(
            mynacard_read_my_number(
                card,
                MYNACARD_TEXT_KEY_MATCHING_A as u32,
                a.as_ptr(),
                a.len(),
                0,
                buf.as_mut_ptr(),
                13,
                &mut needed
            ),
            MYNACARD_OK,
            "{}",
            message()
        );
        assert_eq!(CStr::from_ptr(buf.as_ptr()).to_str().unwrap(), h.my_number);
        let b = h.matching_b();
        assert_eq!(
            mynacard_read_basic_four(
                card,
                MYNACARD_TEXT_KEY_MATCHING_B as u32,
                b.as_ptr(),
                b.len(),
                0,
                &mut b4
            ),
            MYNACARD_OK,
            "{}",
            message()
        );
        free(&mut b4.name);
        free(&mut b4.address);
        // The other way round is refused before anything is sent.
        let before = exchanges(card);
        assert_eq!(
            mynacard_read_my_number(
                card,
                MYNACARD_TEXT_KEY_MATCHING_B as u32,
                b.as_ptr(),
                b.len(),
                0,
                buf.as_mut_ptr(),
                13,
                &mut needed
            ),
            MYNACARD_INVALID_ARGUMENT
        );
        assert_eq!(
            mynacard_read_basic_four(
                card,
                MYNACARD_TEXT_KEY_MATCHING_A as u32,
                a.as_ptr(),
                a.len(),
                0,
                &mut b4
            ),
            MYNACARD_INVALID_ARGUMENT
        );
        assert_eq!(
            mynacard_read_basic_four(card, 3, b"1234".as_ptr(), 4, 0, &mut b4),
            MYNACARD_INVALID_ARGUMENT
        );
        assert_eq!(exchanges(card), before);
    }
    close(card);
    assert_eq!(counters(&f.path), FULL);
}

#[test]
fn buffers_are_freed_once() {
    let f = fresh();
    let card = open(&f.path);
    let mut der = empty_buffer();
    // SAFETY: writable buffer structs.
    unsafe {
        assert_eq!(mynacard_read_certificate(card, 0, &mut der), MYNACARD_OK);
        let mut copy = der;
        free(&mut der);
        // Freed through a copy of the struct: detected, not freed twice.
        assert_eq!(mynacard_buffer_free(&mut copy), MYNACARD_INVALID_ARGUMENT);
        // Through the same struct: NULL data, nothing to do.
        assert_eq!(mynacard_buffer_free(&mut der), MYNACARD_OK);
        assert_eq!(
            mynacard_buffer_free(std::ptr::null_mut()),
            MYNACARD_NULL_POINTER
        );
        let mut own = [1u8; 4];
        let mut foreign = mynacard_buffer {
            data: own.as_mut_ptr(),
            len: 4,
            id: 1,
        };
        assert_eq!(
            mynacard_buffer_free(&mut foreign),
            MYNACARD_INVALID_ARGUMENT
        );
        assert_eq!(
            own, [1; 4],
            "a buffer the library did not allocate is not touched"
        );
    }
    close(card);
}

/// The scenario of issue 20: read certificate A, keep a copy of its struct, free A, read
/// certificate B until the allocator hands B the address A had, then free the stale copy. The
/// copy must be refused, B's bytes left as they are, and B's own free must work.
#[test]
fn a_stale_copy_never_frees_a_newer_buffer_at_the_same_address() {
    let f = fresh();
    let card = open(&f.path);
    let mut a = empty_buffer();
    // SAFETY: writable buffer structs, filled in by the library.
    unsafe {
        assert_eq!(mynacard_read_certificate(card, 0, &mut a), MYNACARD_OK);
        let stale = a;
        free(&mut a);
        // Read until a new buffer lands where A was (the allocator reuses the freed block at
        // once in practice; the loop only makes the test independent of that).
        let mut held = Vec::new();
        let mut b = empty_buffer();
        for _ in 0..64 {
            assert_eq!(mynacard_read_certificate(card, 0, &mut b), MYNACARD_OK);
            if b.data == stale.data {
                break;
            }
            held.push(b);
        }
        assert_eq!(
            b.data, stale.data,
            "the allocator never reused A's address: the scenario did not arise"
        );
        let before = bytes_of(&b);
        let mut copy = stale;
        assert_eq!(
            mynacard_buffer_free(&mut copy),
            MYNACARD_INVALID_ARGUMENT,
            "a stale copy of A is refused although B is at its address"
        );
        assert!(
            message().contains("stale") || message().contains("古い"),
            "{}",
            message()
        );
        assert_eq!(bytes_of(&b), before, "B's bytes are untouched");
        assert_ne!(b.id, stale.id);
        free(&mut b);
        for mut h in held {
            free(&mut h);
        }
    }
    close(card);
}

#[test]
fn static_strings() {
    // SAFETY: static NUL-terminated strings.
    unsafe {
        assert_eq!(
            CStr::from_ptr(mynacard_status_name(7)).to_str().unwrap(),
            "MYNACARD_WRONG_PIN"
        );
        assert_eq!(
            CStr::from_ptr(mynacard_status_name(0)).to_str().unwrap(),
            "MYNACARD_OK"
        );
        assert_eq!(
            CStr::from_ptr(mynacard_status_name(1000)).to_str().unwrap(),
            "MYNACARD_UNKNOWN_STATUS"
        );
        assert_eq!(
            CStr::from_ptr(mynacard_version()).to_str().unwrap(),
            env!("CARGO_PKG_VERSION")
        );
    }
    let mut c = 0usize;
    let mut b = 0usize;
    // SAFETY: writable counts.
    assert_eq!(
        unsafe { mynacard_live_objects(&mut c, &mut b) },
        MYNACARD_OK
    );
    // SAFETY: NULL is refused.
    assert_eq!(
        unsafe { mynacard_live_objects(std::ptr::null_mut(), &mut b) },
        MYNACARD_NULL_POINTER
    );
}

#[test]
fn one_handle_from_two_threads() {
    let f = fresh();
    let card = open(&f.path) as usize;
    let threads: Vec<_> = (0..2)
        .map(|_| {
            std::thread::spawn(move || {
                for _ in 0..5 {
                    let c = card as *mut mynacard_card;
                    assert_eq!(verify(c, MYNACARD_PIN_USER_AUTH, "1234", 0), MYNACARD_OK);
                    assert_eq!(status(c, MYNACARD_PIN_TEXT_ASSIST).tries_left, 3);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    // The last error is per thread: this thread's last call succeeded.
    close(card as *mut mynacard_card);
    assert_eq!(mynacard_last_error_status(), MYNACARD_OK);
    assert_eq!(counters(&f.path), FULL);
}
