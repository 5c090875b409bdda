//! Helpers for the tests that call the C ABI from Rust. Every `unsafe` block calls an exported
//! function with pointers to live Rust values, as its documentation requires.

#![allow(dead_code, unsafe_code)]

use std::ffi::CString;
use std::path::{Path, PathBuf};

use mynacard::sim::{App, VirtualCard};
use mynacard_ffi::*;

pub use mynacard_ffi::mynacard_status::*;

/// A fresh virtual card's state file in a temporary directory.
pub struct Fresh {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

pub fn fresh() -> Fresh {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("card.json");
    Fresh { dir, path }
}

/// Opens the virtual card at `path` through the C ABI.
pub fn open(path: &Path) -> *mut mynacard_card {
    let c = CString::new(path.to_str().expect("utf-8 path")).expect("no NUL");
    let mut card: *mut mynacard_card = std::ptr::null_mut();
    // SAFETY: a NUL-terminated string and a writable pointer.
    let s = unsafe { mynacard_open_virtual(c.as_ptr(), &mut card) };
    assert_eq!(s, MYNACARD_OK, "{}", message());
    assert!(!card.is_null());
    card
}

pub fn close(card: *mut mynacard_card) {
    assert_eq!(mynacard_close(card), MYNACARD_OK, "{}", message());
}

/// This thread's last error message.
pub fn message() -> String {
    let mut needed = 0usize;
    // SAFETY: length query: NULL buffer, capacity 0, writable `needed`.
    unsafe { mynacard_last_error_message(std::ptr::null_mut(), 0, &mut needed) };
    let mut buf = vec![0u8; needed.max(1)];
    // SAFETY: `buf` has `buf.len()` writable bytes.
    let s = unsafe {
        mynacard_last_error_message(buf.as_mut_ptr().cast(), buf.len(), std::ptr::null_mut())
    };
    assert_eq!(s, MYNACARD_OK);
    let end = buf.iter().position(|b| *b == 0).expect("NUL");
    String::from_utf8(buf[..end].to_vec()).expect("UTF-8 message")
}

pub fn exchanges(card: *mut mynacard_card) -> u64 {
    let mut n = 0u64;
    // SAFETY: writable `n`.
    assert_eq!(unsafe { mynacard_exchanges(card, &mut n) }, MYNACARD_OK);
    n
}

pub fn verify(
    card: *mut mynacard_card,
    kind: mynacard_pin_kind,
    pin: &str,
    flags: u32,
) -> mynacard_status {
    // SAFETY: `pin` is valid for its length.
    unsafe { mynacard_verify(card, kind as u32, pin.as_ptr(), pin.len(), flags) }
}

pub fn status(card: *mut mynacard_card, kind: mynacard_pin_kind) -> mynacard_pin_status {
    let mut s = mynacard_pin_status::default();
    // SAFETY: writable struct.
    let r = unsafe { mynacard_read_pin_status(card, kind as u32, &mut s) };
    assert_eq!(r, MYNACARD_OK, "{}", message());
    s
}

/// The retry counters straight from the virtual card's state file (the handle must be closed):
/// signature, auth, 住基, 共通, text assist.
pub fn counters(path: &Path) -> [Option<u8>; 5] {
    let vc = VirtualCard::open(path).expect("state file");
    [
        vc.tries_left(App::Jpki, 0x001B),
        vc.tries_left(App::Jpki, 0x0018),
        vc.tries_left(App::Juki, 0x001C),
        vc.tries_left(App::Common, 0x001C),
        vc.tries_left(App::TextAssist, 0x0011),
    ]
}

pub const FULL: [Option<u8>; 5] = [Some(5), Some(3), Some(3), Some(3), Some(3)];

/// Sets a counter in the state file (the handle must be closed).
pub fn set_tries(path: &Path, app: App, fid: u16, n: u8) {
    let mut vc = VirtualCard::open(path).expect("state file");
    vc.set_tries_left(app, fid, n).expect("set");
}

pub fn free(b: &mut mynacard_buffer) {
    // SAFETY: a buffer struct filled in by the library.
    assert_eq!(unsafe { mynacard_buffer_free(b) }, MYNACARD_OK);
}

pub fn empty_buffer() -> mynacard_buffer {
    mynacard_buffer {
        data: std::ptr::null_mut(),
        len: 0,
        id: 0,
    }
}

/// The bytes of a library buffer.
pub fn bytes_of(b: &mynacard_buffer) -> Vec<u8> {
    assert!(!b.data.is_null());
    // SAFETY: the library allocated `len` (+1 NUL) bytes at `data`, not yet freed.
    unsafe { std::slice::from_raw_parts(b.data, b.len) }.to_vec()
}
