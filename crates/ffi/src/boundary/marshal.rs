//! The conversions every exported function shares: the `entry` wrapper (panics caught, last
//! error recorded), checked output pointers, borrowed input bytes, secrets and strings, text
//! written into the caller's buffers, flags, enum arguments and handle numbers.

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

use mynacard::LastTry;

use crate::error::{self, FfiError};
use crate::types::mynacard_status::*;
use crate::types::*;

fn panic_error() -> FfiError {
    FfiError::new(
        MYNACARD_PANIC,
        "ライブラリ内部でパニックが起きました（不具合です）。ハンドルを閉じてください。",
        "a panic inside the library was caught (a bug); close the handle",
    )
}

/// Runs one call: catches panics, records the error, returns the status.
pub(super) fn entry(f: impl FnOnce() -> Result<(), FfiError>) -> mynacard_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => {
            error::set_last(None);
            MYNACARD_OK
        }
        Ok(Err(e)) => {
            let s = e.status;
            error::set_last(Some(e));
            s
        }
        Err(_) => {
            error::set_last(Some(panic_error()));
            MYNACARD_PANIC
        }
    }
}

/// As [`entry`], but a success leaves this thread's last error as it was (for the calls that
/// set up the library rather than use a card).
pub(super) fn entry_keep_last(f: impl FnOnce() -> Result<(), FfiError>) -> mynacard_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => MYNACARD_OK,
        Ok(Err(e)) => {
            let s = e.status;
            error::set_last(Some(e));
            s
        }
        Err(_) => {
            error::set_last(Some(panic_error()));
            MYNACARD_PANIC
        }
    }
}

/// A checked, non-NULL output pointer, written once the call has succeeded.
pub(super) struct Out<T>(NonNull<T>);

impl<T> Out<T> {
    /// The pointer (not NULL).
    pub(super) fn as_ptr(&self) -> *mut T {
        self.0.as_ptr()
    }

    /// The output at `i` structs past this one.
    ///
    /// # Safety
    /// The caller's array at this pointer has more than `i` writable elements.
    pub(super) unsafe fn at(&self, i: usize) -> Out<T> {
        // SAFETY: in bounds of the caller's array (this function's contract), so the result is
        // not NULL either.
        Out(unsafe { NonNull::new_unchecked(self.0.as_ptr().add(i)) })
    }

    pub(super) fn new(p: *mut T, name: &str) -> Result<Self, FfiError> {
        NonNull::new(p).map(Out).ok_or_else(|| FfiError::null(name))
    }

    pub(super) fn optional(p: *mut T) -> Option<Self> {
        NonNull::new(p).map(Out)
    }

    pub(super) fn set(self, value: T) {
        // SAFETY: the pointer is not NULL (checked in `new`), and the caller promised, as every
        // function's documentation says, that it points to a writable `T`. `write` does not read
        // or drop the old, possibly uninitialised, value.
        unsafe { self.0.as_ptr().write(value) }
    }
}

pub(super) fn handle_id(p: *mut mynacard_card) -> Result<usize, FfiError> {
    if p.is_null() {
        return Err(FfiError::null("card"));
    }
    Ok(p as usize)
}

/// `len` bytes at `p`; NULL is refused (with any length).
///
/// # Safety
/// `p` must be NULL or point to `len` readable bytes that stay valid during the call.
pub(super) unsafe fn bytes<'a>(p: *const u8, len: usize, name: &str) -> Result<&'a [u8], FfiError> {
    if p.is_null() {
        return Err(FfiError::null(name));
    }
    // SAFETY: not NULL (checked above); the caller promises `len` readable bytes at `p` for the
    // duration of the call (documented on every function taking a buffer); u8 has alignment 1.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// A secret given as bytes, as UTF-8 text (never copied here: the typed credential that parses
/// it keeps the only copy, and zeroizes it).
///
/// # Safety
/// As [`bytes`].
pub(super) unsafe fn secret<'a>(p: *const u8, len: usize, name: &str) -> Result<&'a str, FfiError> {
    // SAFETY: forwarded to the caller's promise.
    let b = unsafe { bytes(p, len, name) }?;
    std::str::from_utf8(b).map_err(|_| FfiError::invalid_utf8(name))
}

/// An optional secret: NULL means none.
///
/// # Safety
/// As [`bytes`].
pub(super) unsafe fn optional_secret<'a>(
    p: *const u8,
    len: usize,
    name: &str,
) -> Result<Option<&'a str>, FfiError> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded to the caller's promise.
    unsafe { secret(p, len, name) }.map(Some)
}

/// A NUL-terminated UTF-8 string.
///
/// # Safety
/// `p` must be NULL or point to a NUL-terminated string valid during the call.
pub(super) unsafe fn c_str<'a>(p: *const c_char, name: &str) -> Result<&'a str, FfiError> {
    if p.is_null() {
        return Err(FfiError::null(name));
    }
    // SAFETY: not NULL; the caller promises a NUL-terminated string valid for the call.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str().map_err(|_| FfiError::invalid_utf8(name))
}

/// Writes `text` and a NUL into a caller buffer, or says how long it must be.
///
/// # Safety
/// `buf` must be NULL or point to `capacity` writable bytes.
pub(super) unsafe fn write_text(
    buf: *mut c_char,
    capacity: usize,
    needed: *mut usize,
    text: &[u8],
    name: &str,
) -> Result<(), FfiError> {
    let n = text.len() + 1;
    if let Some(o) = Out::optional(needed) {
        o.set(n);
    }
    if buf.is_null() || capacity < n {
        return Err(FfiError::too_small(name, n));
    }
    // SAFETY: `buf` is not NULL and the caller promises `capacity` >= `n` writable bytes; the
    // source is our own slice, which cannot overlap the caller's buffer.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), buf.cast::<u8>(), text.len());
        buf.add(text.len()).write(0);
    }
    Ok(())
}

pub(super) fn last_try(flags: u32, allowed: u32) -> Result<LastTry, FfiError> {
    if flags & !allowed != 0 {
        return Err(FfiError::invalid_argument("flags", flags));
    }
    Ok(LastTry::allow_if(
        flags & mynacard_flags::MYNACARD_FLAG_ALLOW_LAST_TRY as u32 != 0,
    ))
}

pub(super) fn arg<T>(v: Option<T>, name: &str, raw: u32) -> Result<T, FfiError> {
    v.ok_or_else(|| FfiError::invalid_argument(name, raw))
}

pub(super) fn kiosk_id(p: *mut mynacard_kiosk) -> Result<usize, FfiError> {
    if p.is_null() {
        return Err(FfiError::null("kiosk"));
    }
    Ok(p as usize)
}

/// `MYNACARD_FLAG_ALLOW_LAST_TRY` as the `flags` bit.
pub(super) const ALLOW_LAST: u32 = mynacard_flags::MYNACARD_FLAG_ALLOW_LAST_TRY as u32;
