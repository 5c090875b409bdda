//! The C ABI: every exported function, and all of this crate's `unsafe`.
//!
//! Each function checks its pointer arguments before anything else (so a NULL never reaches
//! the card), runs inside `catch_unwind` (so no panic crosses into C), records its error for
//! `mynacard_last_error_message()`, and returns a `mynacard_status`.

#![allow(unsafe_code)]

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr::NonNull;

use mynacard::LastTry;
use zeroize::Zeroizing;

use crate::authority::CallbackAuthority;
use crate::error::{self, FfiError, Lang};
use crate::handles::{self, Registry};
use crate::ops::{self, CardHandle, TextKey};
use crate::types::mynacard_status::*;
use crate::types::*;

pub(crate) static CARDS: Registry<CardHandle> = Registry::new("mynacard_card");

fn panic_error() -> FfiError {
    FfiError::new(
        MYNACARD_PANIC,
        "ライブラリ内部でパニックが起きました（不具合です）。ハンドルを閉じてください。",
        "a panic inside the library was caught (a bug); close the handle",
    )
}

/// Runs one call: catches panics, records the error, returns the status.
fn entry(f: impl FnOnce() -> Result<(), FfiError>) -> mynacard_status {
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
fn entry_keep_last(f: impl FnOnce() -> Result<(), FfiError>) -> mynacard_status {
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
struct Out<T>(NonNull<T>);

impl<T> Out<T> {
    fn new(p: *mut T, name: &str) -> Result<Self, FfiError> {
        NonNull::new(p).map(Out).ok_or_else(|| FfiError::null(name))
    }

    fn optional(p: *mut T) -> Option<Self> {
        NonNull::new(p).map(Out)
    }

    fn set(self, value: T) {
        // SAFETY: the pointer is not NULL (checked in `new`), and the caller promised, as every
        // function's documentation says, that it points to a writable `T`. `write` does not read
        // or drop the old, possibly uninitialised, value.
        unsafe { self.0.as_ptr().write(value) }
    }
}

fn handle_id(p: *mut mynacard_card) -> Result<usize, FfiError> {
    if p.is_null() {
        return Err(FfiError::null("card"));
    }
    Ok(p as usize)
}

/// `len` bytes at `p`; NULL is refused (with any length).
///
/// # Safety
/// `p` must be NULL or point to `len` readable bytes that stay valid during the call.
unsafe fn bytes<'a>(p: *const u8, len: usize, name: &str) -> Result<&'a [u8], FfiError> {
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
unsafe fn secret<'a>(p: *const u8, len: usize, name: &str) -> Result<&'a str, FfiError> {
    // SAFETY: forwarded to the caller's promise.
    let b = unsafe { bytes(p, len, name) }?;
    std::str::from_utf8(b).map_err(|_| FfiError::invalid_utf8(name))
}

/// An optional secret: NULL means none.
///
/// # Safety
/// As [`bytes`].
unsafe fn optional_secret<'a>(
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
unsafe fn c_str<'a>(p: *const c_char, name: &str) -> Result<&'a str, FfiError> {
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
unsafe fn write_text(
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

fn last_try(flags: u32, allowed: u32) -> Result<LastTry, FfiError> {
    if flags & !allowed != 0 {
        return Err(FfiError::invalid_argument("flags", flags));
    }
    Ok(LastTry::allow_if(
        flags & mynacard_flags::MYNACARD_FLAG_ALLOW_LAST_TRY as u32 != 0,
    ))
}

const ALLOW_LAST: u32 = mynacard_flags::MYNACARD_FLAG_ALLOW_LAST_TRY as u32;

fn arg<T>(v: Option<T>, name: &str, raw: u32) -> Result<T, FfiError> {
    v.ok_or_else(|| FfiError::invalid_argument(name, raw))
}

fn buffer_out(out: Out<mynacard_buffer>, bytes: &[u8]) -> Result<(), FfiError> {
    let (data, len) = handles::alloc_buffer(bytes)?;
    out.set(mynacard_buffer { data, len });
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Library-wide calls.

/// Sets the language of `mynacard_last_error_message()` and of the kiosk's texts for every
/// thread: `MYNACARD_LANG_JA` (the default) or `MYNACARD_LANG_EN`.
///
/// Returns `MYNACARD_INVALID_ARGUMENT` for another value. A success leaves the last error as
/// it was, so that its message can be read again in the new language.
#[no_mangle]
pub extern "C" fn mynacard_set_language(language: u32) -> mynacard_status {
    entry_keep_last(|| {
        let lang = match language {
            0 => Lang::Ja,
            1 => Lang::En,
            v => return Err(FfiError::invalid_argument("language", v)),
        };
        error::set_language(lang);
        Ok(())
    })
}

/// The current language: `MYNACARD_LANG_JA` or `MYNACARD_LANG_EN`.
#[no_mangle]
pub extern "C" fn mynacard_get_language() -> u32 {
    match error::language() {
        Lang::Ja => mynacard_language::MYNACARD_LANG_JA as u32,
        Lang::En => mynacard_language::MYNACARD_LANG_EN as u32,
    }
}

/// The message of this thread's last failed call, in the current language, as UTF-8 with a
/// NUL, copied into `buf` (the caller's, `capacity` bytes). An empty string if the last call
/// succeeded. `*needed` (if `needed` is not NULL) is set to the size needed, NUL included.
///
/// Length query: call with `buf` NULL and `capacity` 0 to learn the size; the call then
/// returns `MYNACARD_BUFFER_TOO_SMALL`. This function never changes the last error itself.
/// Messages never contain a PIN.
///
/// # Safety
/// `buf` is NULL or points to `capacity` writable bytes; `needed` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mynacard_last_error_message(
    buf: *mut c_char,
    capacity: usize,
    needed: *mut usize,
) -> mynacard_status {
    let r = catch_unwind(AssertUnwindSafe(|| {
        let msg = error::last()
            .map(|e| e.message(error::language()).to_string())
            .unwrap_or_default();
        // SAFETY: forwarded to the caller's promise above.
        unsafe { write_text(buf, capacity, needed, msg.as_bytes(), "buf") }
    }));
    match r {
        Ok(Ok(())) => MYNACARD_OK,
        Ok(Err(e)) => e.status,
        Err(_) => MYNACARD_PANIC,
    }
}

/// The status of this thread's last call (`MYNACARD_OK` if it succeeded).
#[no_mangle]
pub extern "C" fn mynacard_last_error_status() -> mynacard_status {
    error::last().map(|e| e.status).unwrap_or(MYNACARD_OK)
}

/// The tries left of the PIN involved in this thread's last failed call, where known (after
/// `MYNACARD_WRONG_PIN`, `MYNACARD_BLOCKED`: 0, `MYNACARD_LAST_TRY_REFUSED`: 1); -1 otherwise.
#[no_mangle]
pub extern "C" fn mynacard_last_error_tries_left() -> i32 {
    error::last()
        .and_then(|e| e.tries_left)
        .map(i32::from)
        .unwrap_or(-1)
}

/// The name of a status code (for example `"MYNACARD_WRONG_PIN"`), a static string the caller
/// must not free; `"MYNACARD_UNKNOWN_STATUS"` for a value that is not a status.
#[no_mangle]
pub extern "C" fn mynacard_status_name(status: u32) -> *const c_char {
    let s: &'static CStr = match status {
        0 => c"MYNACARD_OK",
        1 => c"MYNACARD_NULL_POINTER",
        2 => c"MYNACARD_INVALID_HANDLE",
        3 => c"MYNACARD_INVALID_ARGUMENT",
        4 => c"MYNACARD_INVALID_UTF8",
        5 => c"MYNACARD_BUFFER_TOO_SMALL",
        6 => c"MYNACARD_INVALID_SECRET",
        7 => c"MYNACARD_WRONG_PIN",
        8 => c"MYNACARD_BLOCKED",
        9 => c"MYNACARD_LAST_TRY_REFUSED",
        10 => c"MYNACARD_NEEDS_VERIFICATION",
        11 => c"MYNACARD_NOT_PERMITTED",
        12 => c"MYNACARD_OTHER_PIN_NEEDED",
        13 => c"MYNACARD_TERMINAL_REFUSED",
        14 => c"MYNACARD_CALLBACK_FAILED",
        15 => c"MYNACARD_CALLBACK_GARBAGE",
        16 => c"MYNACARD_RESET_REFUSED",
        17 => c"MYNACARD_RESET_NOT_CONFIRMED",
        18 => c"MYNACARD_RESET_PARTIAL",
        19 => c"MYNACARD_UNKNOWN_OUTCOME",
        20 => c"MYNACARD_CARD_RESET",
        21 => c"MYNACARD_TRANSPORT",
        22 => c"MYNACARD_CARD_ERROR",
        23 => c"MYNACARD_NOT_FOUND",
        24 => c"MYNACARD_PARSE",
        25 => c"MYNACARD_INTEGRITY",
        26 => c"MYNACARD_UNSUPPORTED",
        27 => c"MYNACARD_STATE_FILE",
        28 => c"MYNACARD_BUSY",
        29 => c"MYNACARD_CHANGE_ROLLED_BACK",
        30 => c"MYNACARD_KIOSK_FINISHED",
        31 => c"MYNACARD_KIOSK_WRONG_ANSWER_KIND",
        98 => c"MYNACARD_INTERNAL",
        99 => c"MYNACARD_PANIC",
        _ => c"MYNACARD_UNKNOWN_STATUS",
    };
    s.as_ptr()
}

/// Frees a buffer the library allocated (certificates, signatures, the basic four's texts):
/// zeroizes it, frees it, and sets `buffer->data` to NULL and `buffer->len` to 0. A buffer whose
/// `data` is already NULL is left alone (`MYNACARD_OK`), so freeing twice through the same
/// struct is harmless; a `data` pointer the library did not allocate (or already freed through
/// a copy of the struct) gives `MYNACARD_INVALID_ARGUMENT` and is not touched.
///
/// # Safety
/// `buffer` is NULL or points to a readable and writable `mynacard_buffer`.
#[no_mangle]
pub unsafe extern "C" fn mynacard_buffer_free(buffer: *mut mynacard_buffer) -> mynacard_status {
    entry(|| {
        let out = Out::new(buffer, "buffer")?;
        // SAFETY: not NULL (checked by `Out::new`); the caller promises a readable struct.
        let b = unsafe { out.0.as_ptr().read() };
        if b.data.is_null() {
            return Ok(());
        }
        if !handles::free_buffer(b.data as usize)? {
            return Err(FfiError::invalid_argument(
                "buffer->data",
                "(not allocated by this library, or already freed)",
            ));
        }
        out.set(mynacard_buffer {
            data: std::ptr::null_mut(),
            len: 0,
        });
        Ok(())
    })
}

/// The library's version, a static NUL-terminated string the caller must not free.
#[no_mangle]
pub extern "C" fn mynacard_version() -> *const c_char {
    const V: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => c"unknown",
        };
    V.as_ptr()
}

// ---------------------------------------------------------------------------------------------
// Opening and closing.

/// Opens the virtual card whose state is saved at `state_path` (UTF-8; the file is created with
/// the default PINs if it does not exist) and sets `*card` to its handle. The state file is
/// locked against other processes until `mynacard_close()`. `MYNACARD_UNSUPPORTED` in a build
/// without the `sim` feature.
///
/// The caller owns the handle and closes it with `mynacard_close()`.
///
/// # Safety
/// `state_path` is NULL or a NUL-terminated string; `card` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mynacard_open_virtual(
    state_path: *const c_char,
    card: *mut *mut mynacard_card,
) -> mynacard_status {
    entry(|| {
        let out = Out::new(card, "card")?;
        // SAFETY: forwarded to the caller's promise above.
        let path = unsafe { c_str(state_path, "state_path") }?;
        let h = ops::open_virtual(std::path::Path::new(path))?;
        let id = CARDS.insert(h)?;
        out.set(id as *mut mynacard_card);
        Ok(())
    })
}

/// Opens a PC/SC reader: `"auto"` (the one reader with a card) or (part of) a reader's name,
/// and sets `*card` to its handle. `MYNACARD_UNSUPPORTED` in a build without the `pcsc`
/// feature.
///
/// The caller owns the handle and closes it with `mynacard_close()`.
///
/// # Safety
/// `reader` is NULL or a NUL-terminated string; `card` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mynacard_open_pcsc(
    reader: *const c_char,
    card: *mut *mut mynacard_card,
) -> mynacard_status {
    entry(|| {
        let out = Out::new(card, "card")?;
        // SAFETY: forwarded to the caller's promise above.
        let reader = unsafe { c_str(reader, "reader") }?;
        let h = ops::open_pcsc(reader)?;
        let id = CARDS.insert(h)?;
        out.set(id as *mut mynacard_card);
        Ok(())
    })
}

/// Closes a card: removes power (ending every verified PIN and terminal authentication) and
/// frees the handle. Using the handle afterwards gives `MYNACARD_INVALID_HANDLE`. Waits for a
/// call running on the handle in another thread.
#[no_mangle]
pub extern "C" fn mynacard_close(card: *mut mynacard_card) -> mynacard_status {
    entry(|| {
        let id = handle_id(card)?;
        CARDS.remove(id, |h| {
            let _ = ops::unpower(h);
        })
    })
}

/// Removes power from the card, so that no verified PIN outlives the task. The handle stays
/// open; the next call powers the card again.
#[no_mangle]
pub extern "C" fn mynacard_unpower(card: *mut mynacard_card) -> mynacard_status {
    entry(|| CARDS.with(handle_id(card)?, ops::unpower))
}

/// Sets `*count` to the number of command-response exchanges with the card since it was
/// opened (the virtual card's own log for a virtual card).
///
/// # Safety
/// `count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mynacard_exchanges(
    card: *mut mynacard_card,
    count: *mut u64,
) -> mynacard_status {
    entry(|| {
        let out = Out::new(count, "count")?;
        let n = CARDS.with(handle_id(card)?, |h| Ok(ops::exchanges(h)))?;
        out.set(n);
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// PINs.

/// Reads the status of one PIN (`pin_kind`, a `mynacard_pin_kind`) into `*status`, spending no
/// try (a VERIFY with no data).
///
/// # Safety
/// `status` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mynacard_read_pin_status(
    card: *mut mynacard_card,
    pin_kind: u32,
    status: *mut mynacard_pin_status,
) -> mynacard_status {
    entry(|| {
        let out = Out::new(status, "status")?;
        let kind = arg(ops::pin_kind(pin_kind), "pin_kind", pin_kind)?;
        let s = CARDS.with(handle_id(card)?, |h| ops::pin_status(h, kind))?;
        out.set(ops::status_c(&s));
        Ok(())
    })
}

/// Reads the status of all four PINs into `statuses[0..4]` (in `mynacard_pin_kind` order),
/// spending no try, and sets `*count` to 4. `capacity` is the number of structs at
/// `statuses`; if it is less than 4 nothing is read, `*count` is set to 4 and the call returns
/// `MYNACARD_BUFFER_TOO_SMALL`.
///
/// # Safety
/// `statuses` is NULL or points to `capacity` writable structs; `count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mynacard_read_pin_status_all(
    card: *mut mynacard_card,
    statuses: *mut mynacard_pin_status,
    capacity: usize,
    count: *mut usize,
) -> mynacard_status {
    entry(|| {
        let count = Out::new(count, "count")?;
        let first = Out::new(statuses, "statuses")?;
        let id = handle_id(card)?;
        if capacity < 4 {
            count.set(4);
            return Err(FfiError::too_small("statuses", 4));
        }
        let all = CARDS.with(id, ops::status_all)?;
        for (i, s) in all.iter().enumerate().take(4) {
            // SAFETY: `statuses` is not NULL and the caller promises `capacity` (>= 4, checked
            // above) writable structs, so element `i` < 4 is in bounds.
            let p = unsafe { first.0.as_ptr().add(i) };
            Out(NonNull::new(p).ok_or_else(|| FfiError::null("statuses"))?).set(ops::status_c(s));
        }
        count.set(all.len().min(4));
        Ok(())
    })
}

/// Verifies a PIN: `pin` is `pin_len` bytes (ASCII, no NUL needed). The format is checked
/// before anything is sent (`MYNACARD_INVALID_SECRET`, no try spent). With the lockout guard,
/// the counter is read first (spending nothing): a blocked PIN is never sent
/// (`MYNACARD_BLOCKED`), and a PIN with one try left is sent only if `flags` has
/// `MYNACARD_FLAG_ALLOW_LAST_TRY` (else `MYNACARD_LAST_TRY_REFUSED`). A wrong PIN spends one
/// try: `MYNACARD_WRONG_PIN`, and `mynacard_last_error_tries_left()` says how many remain.
///
/// The library does not keep `pin` after the call, and zeroizes its own copy. Zeroize yours.
///
/// # Safety
/// `pin` is NULL or points to `pin_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn mynacard_verify(
    card: *mut mynacard_card,
    pin_kind: u32,
    pin: *const u8,
    pin_len: usize,
    flags: u32,
) -> mynacard_status {
    entry(|| {
        // SAFETY: forwarded to the caller's promise above.
        let pin = unsafe { secret(pin, pin_len, "pin") }?;
        let kind = arg(ops::pin_kind(pin_kind), "pin_kind", pin_kind)?;
        let last = last_try(flags, ALLOW_LAST)?;
        CARDS.with(handle_id(card)?, |h| ops::verify(h, kind, pin, last))
    })
}

/// Changes a PIN from `current` to `new_pin` (both checked before anything is sent, and must
/// differ): VERIFY of the current value with the lockout guard (as `mynacard_verify`), then
/// the change. The residence PIN is changed in both its applications; if the second fails the
/// first is changed back (`MYNACARD_CHANGE_ROLLED_BACK`).
///
/// The library zeroizes its copies of both values. Zeroize yours.
///
/// # Safety
/// `current` and `new_pin` are NULL or point to their lengths of readable bytes.
#[no_mangle]
pub unsafe extern "C" fn mynacard_change(
    card: *mut mynacard_card,
    pin_kind: u32,
    current: *const u8,
    current_len: usize,
    new_pin: *const u8,
    new_len: usize,
    flags: u32,
) -> mynacard_status {
    entry(|| {
        // SAFETY: forwarded to the caller's promise above.
        let current = unsafe { secret(current, current_len, "current") }?;
        // SAFETY: forwarded to the caller's promise above.
        let new = unsafe { secret(new_pin, new_len, "new_pin") }?;
        let kind = arg(ops::pin_kind(pin_kind), "pin_kind", pin_kind)?;
        let last = last_try(flags, ALLOW_LAST)?;
        CARDS.with(handle_id(card)?, |h| {
            ops::change(h, kind, current, new, last)
        })
    })
}

/// The callbacks of a `mynacard_authority`, copied at the start of a reset.
#[derive(Clone, Copy)]
pub(crate) struct CallbackTable(mynacard_authority);

/// Why a callback gave nothing usable.
pub(crate) enum CallbackFailure {
    /// It returned this non-zero code.
    Returned(i32),
    /// It said it wrote more than the buffer holds.
    TooLong(usize),
}

type OutFn<'a> = dyn FnOnce(*mut u8, usize, *mut usize) -> i32 + 'a;

fn call_out(f: Box<OutFn<'_>>) -> Result<Zeroizing<Vec<u8>>, CallbackFailure> {
    let mut buf = Zeroizing::new(vec![0u8; MYNACARD_CALLBACK_CAPACITY]);
    let mut len: usize = 0;
    let rc = f(buf.as_mut_ptr(), MYNACARD_CALLBACK_CAPACITY, &mut len);
    if rc != 0 {
        return Err(CallbackFailure::Returned(rc));
    }
    if len > MYNACARD_CALLBACK_CAPACITY {
        return Err(CallbackFailure::TooLong(len));
    }
    buf.truncate(len);
    Ok(buf)
}

/// The route callback's answer.
pub(crate) fn call_route(t: &CallbackTable, pin_kind: u32) -> u32 {
    match t.0.route {
        // SAFETY: the vendor supplied this function for this signature with `user_data` (the
        // contract of `mynacard_authority`); it receives only plain values.
        Some(f) => unsafe { f(t.0.user_data, pin_kind) },
        None => mynacard_route::MYNACARD_ROUTE_REFUSED as u32,
    }
}

/// The command the get_challenge callback writes.
pub(crate) fn call_get_challenge(
    t: &CallbackTable,
    aid: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CallbackFailure> {
    let Some(f) = t.0.get_challenge else {
        return Err(CallbackFailure::Returned(-1));
    };
    let ud = t.0.user_data;
    call_out(Box::new(|out, cap, len| {
        // SAFETY: the vendor's function for this signature (the `mynacard_authority`
        // contract); `aid` is valid for `aid.len()` bytes, `out` for `cap` writable bytes and
        // `len` is writable, all for the duration of the call.
        unsafe { f(ud, aid.as_ptr(), aid.len(), out, cap, len) }
    }))
}

/// The command the compute_cryptogram callback writes.
pub(crate) fn call_cryptogram(
    t: &CallbackTable,
    aid: &[u8],
    challenge: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CallbackFailure> {
    let Some(f) = t.0.compute_cryptogram else {
        return Err(CallbackFailure::Returned(-1));
    };
    let ud = t.0.user_data;
    call_out(Box::new(|out, cap, len| {
        // SAFETY: as in `call_get_challenge`; `challenge` is valid for its length.
        unsafe {
            f(
                ud,
                aid.as_ptr(),
                aid.len(),
                challenge.as_ptr(),
                challenge.len(),
                out,
                cap,
                len,
            )
        }
    }))
}

/// The wrapped command (`None` if there is no wrap callback).
pub(crate) fn call_wrap(
    t: &CallbackTable,
    command: &[u8],
) -> Option<Result<Zeroizing<Vec<u8>>, CallbackFailure>> {
    let f = t.0.wrap?;
    let ud = t.0.user_data;
    Some(call_out(Box::new(|out, cap, len| {
        // SAFETY: as in `call_get_challenge`; `command` is valid for its length.
        unsafe { f(ud, command.as_ptr(), command.len(), out, cap, len) }
    })))
}

/// The unwrapped response (`None` if there is no unwrap callback).
pub(crate) fn call_unwrap(
    t: &CallbackTable,
    response: &[u8],
) -> Option<Result<Zeroizing<Vec<u8>>, CallbackFailure>> {
    let f = t.0.unwrap?;
    let ud = t.0.user_data;
    Some(call_out(Box::new(|out, cap, len| {
        // SAFETY: as in `call_get_challenge`; `response` is valid for its length.
        unsafe { f(ud, response.as_ptr(), response.len(), out, cap, len) }
    })))
}

/// The arguments shared by both reset calls, checked.
struct ResetArgs<'a> {
    kind: mynacard::pin::PinKind,
    new: &'a str,
    other: Option<&'a str>,
    last: LastTry,
    out: Option<Out<mynacard_pin_status>>,
}

/// # Safety
/// As `mynacard_reset`.
unsafe fn reset_args<'a>(
    pin_kind: u32,
    new_pin: *const u8,
    new_len: usize,
    other_pin: *const u8,
    other_len: usize,
    flags: u32,
    status: *mut mynacard_pin_status,
) -> Result<ResetArgs<'a>, FfiError> {
    Ok(ResetArgs {
        // SAFETY: forwarded to the caller's promise.
        new: unsafe { secret(new_pin, new_len, "new_pin") }?,
        // SAFETY: forwarded to the caller's promise.
        other: unsafe { optional_secret(other_pin, other_len, "other_pin") }?,
        kind: arg(ops::pin_kind(pin_kind), "pin_kind", pin_kind)?,
        last: last_try(flags, ALLOW_LAST)?,
        out: Out::optional(status),
    })
}

/// Resets a PIN to `new_pin` through a terminal authority given as C callbacks (see
/// `mynacard_authority`). `other_pin` (NULL if not given) is the other JPKI PIN, needed where
/// the authority's route is `MYNACARD_ROUTE_AFTER_OTHER_JPKI_PIN`: it is verified with the
/// lockout guard (a wrong value costs one of *its* tries; its last try only with
/// `MYNACARD_FLAG_ALLOW_LAST_TRY`). Every value and the route are checked before anything is
/// sent. On success, `*status` (if not NULL) is the PIN's status afterwards (a full counter).
///
/// A callback that fails gives `MYNACARD_CALLBACK_FAILED`, unusable output
/// `MYNACARD_CALLBACK_GARBAGE`; in both cases RESET RETRY COUNTER was not sent and the PIN and
/// its counter are unchanged. The terminal authentication stays in effect until another
/// application is selected or the card is unpowered: call `mynacard_unpower()` when done.
///
/// The library zeroizes its copies of both values. Zeroize yours.
///
/// # Safety
/// `authority` is NULL or points to a valid `mynacard_authority` whose callbacks honour its
/// contract; `new_pin` and `other_pin` are NULL or point to their lengths of readable bytes;
/// `status` is NULL or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn mynacard_reset(
    card: *mut mynacard_card,
    authority: *const mynacard_authority,
    pin_kind: u32,
    new_pin: *const u8,
    new_len: usize,
    other_pin: *const u8,
    other_len: usize,
    flags: u32,
    status: *mut mynacard_pin_status,
) -> mynacard_status {
    entry(|| {
        if authority.is_null() {
            return Err(FfiError::null("authority"));
        }
        // SAFETY: not NULL; the caller promises a valid struct; it is copied (plain data).
        let table = unsafe { authority.read() };
        if table.route.is_none() {
            return Err(FfiError::null("authority->route"));
        }
        if table.get_challenge.is_none() {
            return Err(FfiError::null("authority->get_challenge"));
        }
        if table.compute_cryptogram.is_none() {
            return Err(FfiError::null("authority->compute_cryptogram"));
        }
        let description = if table.description.is_null() {
            "vendor terminal".to_string()
        } else {
            // SAFETY: the caller promises a NUL-terminated string when not NULL.
            unsafe { c_str(table.description, "authority->description") }?.to_string()
        };
        // SAFETY: forwarded to the caller's promise above.
        let a = unsafe {
            reset_args(
                pin_kind, new_pin, new_len, other_pin, other_len, flags, status,
            )
        }?;
        let mut auth = CallbackAuthority::new(CallbackTable(table), description);
        let r = CARDS.with(handle_id(card)?, |h| {
            ops::reset(h, &mut auth, a.kind, a.new, a.other, a.last)
        });
        match r {
            Ok(s) => {
                if let Some(o) = a.out {
                    o.set(ops::status_c(&s));
                }
                Ok(())
            }
            Err(e) if e.status == MYNACARD_RESET_PARTIAL => Err(e),
            Err(e) => Err(auth.take_failure().unwrap_or(e)),
        }
    })
}

/// Resets a PIN through the library's **stand-in** terminal authority of `role` (a
/// `mynacard_role`). The stand-in is not the real issuer protocol: only the virtual card
/// accepts it; a real card refuses it (`MYNACARD_TERMINAL_REFUSED`). Arguments and outcomes as
/// `mynacard_reset()`.
///
/// # Safety
/// As `mynacard_reset()`.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn mynacard_reset_stand_in(
    card: *mut mynacard_card,
    role: u32,
    pin_kind: u32,
    new_pin: *const u8,
    new_len: usize,
    other_pin: *const u8,
    other_len: usize,
    flags: u32,
    status: *mut mynacard_pin_status,
) -> mynacard_status {
    entry(|| {
        // SAFETY: forwarded to the caller's promise above.
        let a = unsafe {
            reset_args(
                pin_kind, new_pin, new_len, other_pin, other_len, flags, status,
            )
        }?;
        let role = arg(ops::role(role), "role", role)?;
        let mut auth = ops::stand_in(role);
        let s = CARDS.with(handle_id(card)?, |h| {
            ops::reset(h, &mut auth, a.kind, a.new, a.other, a.last)
        })?;
        if let Some(o) = a.out {
            o.set(ops::status_c(&s));
        }
        Ok(())
    })
}

/// The rules of who may reset which PIN where, with no card: whether `target` (a
/// `mynacard_pin_kind`) can be reset at `place` (a `mynacard_place`) by a person who knows the
/// PINs in `known_mask` and whose PINs in `blocked_mask` are blocked (bits `1 << pin_kind`),
/// with both JPKI certificates on the card if `both_certificates` is not 0. A kiosk calls this
/// before touching the card, and refuses when `result->possible` is 0.
///
/// # Safety
/// `result` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mynacard_policy_check(
    target: u32,
    place: u32,
    known_mask: u32,
    blocked_mask: u32,
    both_certificates: u8,
    result: *mut mynacard_policy_result,
) -> mynacard_status {
    entry(|| {
        let out = Out::new(result, "result")?;
        let target = arg(ops::pin_kind(target), "target", target)?;
        let p = arg(ops::place(place), "place", place)?;
        if (known_mask | blocked_mask) & !0xF != 0 {
            return Err(FfiError::invalid_argument(
                "known_mask/blocked_mask",
                known_mask | blocked_mask,
            ));
        }
        let a = ops::policy(
            target,
            p,
            &ops::kinds_in(known_mask),
            &ops::kinds_in(blocked_mask),
            both_certificates != 0,
        );
        out.set(ops::policy_c(&a));
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Certificates, signatures, text-input assist.

/// Reads a JPKI certificate (`cert_kind`, a `mynacard_cert_kind`) as DER into a new buffer
/// `*der`. The signature certificate needs the signature password verified first in this card
/// session (`mynacard_verify`), else `MYNACARD_NEEDS_VERIFICATION`.
///
/// The caller owns `*der` and frees it with `mynacard_buffer_free()`.
///
/// # Safety
/// `der` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mynacard_read_certificate(
    card: *mut mynacard_card,
    cert_kind: u32,
    der: *mut mynacard_buffer,
) -> mynacard_status {
    entry(|| {
        let out = Out::new(der, "der")?;
        let kind = arg(ops::cert_kind(cert_kind), "cert_kind", cert_kind)?;
        let bytes = CARDS.with(handle_id(card)?, |h| ops::read_certificate(h, kind))?;
        buffer_out(out, &bytes)
    })
}

/// Verifies the PIN of `key` (a `mynacard_key_kind`: the user-authentication PIN for
/// `MYNACARD_KEY_AUTH`, the signature password for `MYNACARD_KEY_SIGN`) with the lockout guard,
/// signs `data` (`data_len` bytes: the message, or with `MYNACARD_FLAG_INPUT_IS_DIGEST` a
/// digest of the scheme's hash) with `scheme` (a `mynacard_scheme`), and checks the signature
/// against the key's certificate before returning it in a new buffer `*signature`
/// (`MYNACARD_INTEGRITY` if it does not verify).
///
/// The caller owns `*signature` and frees it with `mynacard_buffer_free()`. The library
/// zeroizes its copy of `pin`. Zeroize yours.
///
/// # Safety
/// `pin` and `data` are NULL or point to their lengths of readable bytes; `signature` is NULL
/// or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn mynacard_sign(
    card: *mut mynacard_card,
    key: u32,
    pin: *const u8,
    pin_len: usize,
    scheme: u32,
    data: *const u8,
    data_len: usize,
    flags: u32,
    signature: *mut mynacard_buffer,
) -> mynacard_status {
    entry(|| {
        let out = Out::new(signature, "signature")?;
        // SAFETY: forwarded to the caller's promise above.
        let pin = unsafe { secret(pin, pin_len, "pin") }?;
        // SAFETY: forwarded to the caller's promise above.
        let data = unsafe { bytes(data, data_len, "data") }?;
        let key = arg(ops::key_kind(key), "key", key)?;
        let s = arg(ops::scheme(scheme), "scheme", scheme)?;
        let digest_flag = mynacard_flags::MYNACARD_FLAG_INPUT_IS_DIGEST as u32;
        let last = last_try(flags, ALLOW_LAST | digest_flag)?;
        let sig = CARDS.with(handle_id(card)?, |h| {
            ops::sign(h, key, pin, s, data, flags & digest_flag != 0, last)
        })?;
        buffer_out(out, &sig)
    })
}

/// # Safety
/// `secret_ptr` is NULL or points to `secret_len` readable bytes.
unsafe fn text_key<'a>(
    key: u32,
    secret_ptr: *const u8,
    secret_len: usize,
) -> Result<TextKey<'a>, FfiError> {
    // SAFETY: forwarded to the caller's promise.
    let v = unsafe { secret(secret_ptr, secret_len, "secret") }?;
    Ok(match key {
        0 => TextKey::Pin(v),
        1 => TextKey::MatchingA(v),
        2 => TextKey::MatchingB(v),
        k => return Err(FfiError::invalid_argument("key", k)),
    })
}

/// Opens the text-input-assist application with `key` (a `mynacard_text_key`: the PIN or
/// 照合番号B; 照合番号A does not open it and is refused before anything is sent) and its value
/// `secret` (verified with the lockout guard), and reads the basic four attributes into
/// `*basic_four`, checked against the card's digest.
///
/// The caller owns `basic_four->name` and `basic_four->address` and frees each with
/// `mynacard_buffer_free()`. The library zeroizes its copy of `secret`. Zeroize yours.
///
/// # Safety
/// `secret` is NULL or points to `secret_len` readable bytes; `basic_four` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mynacard_read_basic_four(
    card: *mut mynacard_card,
    key: u32,
    secret: *const u8,
    secret_len: usize,
    flags: u32,
    basic_four: *mut mynacard_basic_four,
) -> mynacard_status {
    entry(|| {
        let out = Out::new(basic_four, "basic_four")?;
        // SAFETY: forwarded to the caller's promise above.
        let k = unsafe { text_key(key, secret, secret_len) }?;
        if matches!(k, TextKey::MatchingA(_)) {
            return Err(FfiError::invalid_argument(
                "key",
                "MYNACARD_TEXT_KEY_MATCHING_A (照合番号A opens only the My Number)",
            ));
        }
        let last = last_try(flags, ALLOW_LAST)?;
        let b = CARDS.with(handle_id(card)?, |h| ops::basic_four(h, k, last))?;
        let mut birth = [0 as c_char; 9];
        let date = format!(
            "{:04}{:02}{:02}",
            b.birth_date.year, b.birth_date.month, b.birth_date.day
        );
        for (d, s) in birth.iter_mut().zip(date.bytes().take(8)) {
            *d = s as c_char;
        }
        let (name, name_len) = handles::alloc_buffer(b.name.as_bytes())?;
        let (address, address_len) = match handles::alloc_buffer(b.address.as_bytes()) {
            Ok(x) => x,
            Err(e) => {
                let _ = handles::free_buffer(name as usize);
                return Err(e);
            }
        };
        out.set(mynacard_basic_four {
            name: mynacard_buffer {
                data: name,
                len: name_len,
            },
            address: mynacard_buffer {
                data: address,
                len: address_len,
            },
            birth_date: birth,
            sex: b.sex.code().to_digit(10).unwrap_or(0),
        });
        Ok(())
    })
}

/// Opens the text-input-assist application with `key` (a `mynacard_text_key`: the PIN or
/// 照合番号A; 照合番号B does not open it and is refused before anything is sent) and reads the
/// My Number, checked against the card's digest, into `buf` as 12 ASCII digits and a NUL.
/// `capacity` must be at least 13: that is checked before anything is sent (else
/// `MYNACARD_BUFFER_TOO_SMALL`, `*needed` = 13 if `needed` is not NULL).
///
/// The My Number is a secret: zeroize `buf` when done. The library zeroizes its own copies,
/// and of `secret`. Zeroize yours.
///
/// # Safety
/// `secret` is NULL or points to `secret_len` readable bytes; `buf` is NULL or points to
/// `capacity` writable bytes; `needed` is NULL or writable.
#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn mynacard_read_my_number(
    card: *mut mynacard_card,
    key: u32,
    secret: *const u8,
    secret_len: usize,
    flags: u32,
    buf: *mut c_char,
    capacity: usize,
    needed: *mut usize,
) -> mynacard_status {
    entry(|| {
        const N: usize = 13;
        if let Some(o) = Out::optional(needed) {
            o.set(N);
        }
        if buf.is_null() || capacity < N {
            return Err(FfiError::too_small("buf", N));
        }
        // SAFETY: forwarded to the caller's promise above.
        let k = unsafe { text_key(key, secret, secret_len) }?;
        if matches!(k, TextKey::MatchingB(_)) {
            return Err(FfiError::invalid_argument(
                "key",
                "MYNACARD_TEXT_KEY_MATCHING_B (照合番号B opens only the basic four)",
            ));
        }
        let last = last_try(flags, ALLOW_LAST)?;
        let n = CARDS.with(handle_id(card)?, |h| ops::my_number(h, k, last))?;
        // SAFETY: forwarded to the caller's promise above (capacity checked >= 13 = 12 + NUL).
        unsafe { write_text(buf, capacity, std::ptr::null_mut(), n.as_bytes(), "buf") }
    })
}

// ---------------------------------------------------------------------------------------------
// The kiosk flow.

fn kiosk_id(p: *mut mynacard_kiosk) -> Result<usize, FfiError> {
    if p.is_null() {
        return Err(FfiError::null("kiosk"));
    }
    Ok(p as usize)
}

/// Creates the guided PIN-reset flow of a kiosk or counter terminal at `place` (a
/// `mynacard_place`; not the smartphone app), the same steps and texts as the `myna-kiosk`
/// terminal kiosk, and sets `*kiosk` to its handle. The reset goes through `authority` (the
/// vendor's callbacks, copied; its `user_data` must stay valid until `mynacard_kiosk_free()`),
/// or, if `authority` is NULL, through the stand-in authority of `role` (a `mynacard_role`;
/// the virtual card only). `card_label` (UTF-8, may be NULL) is shown in the header.
///
/// Drive it with `mynacard_kiosk_next()` and the answer calls. Texts come in the language set
/// by `mynacard_set_language()` when each step is returned. The handle may be used only from
/// the thread that created it (another thread gets `MYNACARD_INVALID_HANDLE`). The caller owns
/// it and frees it with `mynacard_kiosk_free()`.
///
/// # Safety
/// `authority` is NULL or a valid `mynacard_authority`; `card_label` is NULL or a
/// NUL-terminated string; `kiosk` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mynacard_kiosk_new(
    place: u32,
    authority: *const mynacard_authority,
    role: u32,
    card_label: *const c_char,
    kiosk: *mut *mut mynacard_kiosk,
) -> mynacard_status {
    entry(|| {
        let out = Out::new(kiosk, "kiosk")?;
        let p = arg(ops::place(place), "place", place)?;
        let label = if card_label.is_null() {
            String::new()
        } else {
            // SAFETY: forwarded to the caller's promise above.
            unsafe { c_str(card_label, "card_label") }?.to_string()
        };
        let auth: Box<dyn mynacard::reset::ResetAuthority> = if authority.is_null() {
            Box::new(ops::stand_in(arg(ops::role(role), "role", role)?))
        } else {
            // SAFETY: not NULL; the caller promises a valid struct; it is copied (plain data).
            let table = unsafe { authority.read() };
            if table.route.is_none() || table.get_challenge.is_none() {
                return Err(FfiError::null("authority->route/get_challenge"));
            }
            if table.compute_cryptogram.is_none() {
                return Err(FfiError::null("authority->compute_cryptogram"));
            }
            let description = if table.description.is_null() {
                "vendor terminal".to_string()
            } else {
                // SAFETY: the caller promises a NUL-terminated string when not NULL.
                unsafe { c_str(table.description, "authority->description") }?.to_string()
            };
            Box::new(CallbackAuthority::new(CallbackTable(table), description))
        };
        let id = crate::kiosk::new(p, auth, label)?;
        out.set(id as *mut mynacard_kiosk);
        Ok(())
    })
}

/// Frees a kiosk; its card, if one was inserted, is unpowered and closed.
#[no_mangle]
pub extern "C" fn mynacard_kiosk_free(kiosk: *mut mynacard_kiosk) -> mynacard_status {
    entry(|| crate::kiosk::free(kiosk_id(kiosk)?))
}

/// What to show or ask next, into `*step`; its text is then read with `mynacard_kiosk_text()`.
/// Steps without an answer (headings, lines) are returned once each; a question is returned
/// again until it is answered; after the end, the `MYNACARD_STEP_DONE` step every time.
///
/// # Safety
/// `step` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mynacard_kiosk_next(
    kiosk: *mut mynacard_kiosk,
    step: *mut mynacard_kiosk_step,
) -> mynacard_status {
    entry(|| {
        let out = Out::new(step, "step")?;
        out.set(crate::kiosk::next(kiosk_id(kiosk)?)?);
        Ok(())
    })
}

/// The text of the step last returned by `mynacard_kiosk_next()` (`choice` 0), or of its menu
/// choice `choice` (from 1), or for a confirmation (`choice` 1) the word the person must type;
/// in the current language, as UTF-8 with a NUL, into the caller's `buf` of `capacity` bytes.
/// Length query as `mynacard_last_error_message()`.
///
/// # Safety
/// `buf` is NULL or points to `capacity` writable bytes; `needed` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mynacard_kiosk_text(
    kiosk: *mut mynacard_kiosk,
    choice: u32,
    buf: *mut c_char,
    capacity: usize,
    needed: *mut usize,
) -> mynacard_status {
    entry(|| {
        let t = crate::kiosk::text(kiosk_id(kiosk)?, choice)?;
        // SAFETY: forwarded to the caller's promise above.
        unsafe { write_text(buf, capacity, needed, t.as_bytes(), "buf") }
    })
}

/// Answers the open question with `answer` (a `mynacard_answer`; `choice` is the menu number
/// for `MYNACARD_ANSWER_CHOICE`, ignored otherwise). An answer of the wrong kind is refused
/// (`MYNACARD_KIOSK_WRONG_ANSWER_KIND`, nothing sent); after the end, `MYNACARD_KIOSK_FINISHED`.
#[no_mangle]
pub extern "C" fn mynacard_kiosk_answer(
    kiosk: *mut mynacard_kiosk,
    answer: u32,
    choice: u32,
) -> mynacard_status {
    use ::mynacard_kiosk::flow::Answer;
    entry(|| {
        let id = kiosk_id(kiosk)?;
        let a = match answer {
            0 => Answer::Choice(choice as usize),
            1 => Answer::Yes,
            2 => Answer::No,
            3 => Answer::Quit,
            4 => Answer::Unrecognised,
            v => return Err(FfiError::invalid_argument("answer", v)),
        };
        crate::kiosk::answer(id, a)
    })
}

/// Answers a menu that takes several choices with `count` numbers at `choices` (none: `count`
/// 0, and `choices` may then be NULL).
///
/// # Safety
/// `choices` is NULL or points to `count` readable `uint32_t`.
#[no_mangle]
pub unsafe extern "C" fn mynacard_kiosk_answer_choices(
    kiosk: *mut mynacard_kiosk,
    choices: *const u32,
    count: usize,
) -> mynacard_status {
    entry(|| {
        let id = kiosk_id(kiosk)?;
        let v: Vec<usize> = if count == 0 {
            Vec::new()
        } else {
            if choices.is_null() {
                return Err(FfiError::null("choices"));
            }
            // SAFETY: not NULL; the caller promises `count` readable, aligned `uint32_t`.
            unsafe { std::slice::from_raw_parts(choices, count) }
                .iter()
                .map(|c| *c as usize)
                .collect()
        };
        crate::kiosk::answer(id, ::mynacard_kiosk::flow::Answer::Choices(v))
    })
}

/// Answers a secret question with `secret_len` bytes at `secret` (ASCII; empty: the person gave
/// up). The format is checked before anything is sent; a value that breaks it is refused by the
/// kiosk with the rule (shown as the next step) and asked again. The library zeroizes its copy.
/// Zeroize yours.
///
/// # Safety
/// `secret` is NULL or points to `secret_len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn mynacard_kiosk_answer_secret(
    kiosk: *mut mynacard_kiosk,
    secret: *const u8,
    secret_len: usize,
) -> mynacard_status {
    entry(|| {
        let id = kiosk_id(kiosk)?;
        // SAFETY: forwarded to the caller's promise above.
        let v = unsafe { self::secret(secret, secret_len, "secret") }?;
        crate::kiosk::answer_secret(id, v)
    })
}

/// Inserts the virtual card saved at `state_path` at `MYNACARD_STEP_INSERT_CARD`. The kiosk
/// reads the PIN status (no try spent) and goes on. If the card cannot be opened, the kiosk is
/// told (it shows why and asks again, a limited number of times) and the error is returned.
/// The kiosk owns the card from now on and closes it in `mynacard_kiosk_free()`.
///
/// # Safety
/// `state_path` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn mynacard_kiosk_insert_virtual(
    kiosk: *mut mynacard_kiosk,
    state_path: *const c_char,
) -> mynacard_status {
    entry(|| {
        let id = kiosk_id(kiosk)?;
        // SAFETY: forwarded to the caller's promise above.
        let path = unsafe { c_str(state_path, "state_path") }?;
        crate::kiosk::insert(id, || ops::open_virtual(std::path::Path::new(path)))
    })
}

/// As `mynacard_kiosk_insert_virtual()`, with a PC/SC reader (`"auto"` or a name);
/// `MYNACARD_UNSUPPORTED` without the `pcsc` feature.
///
/// # Safety
/// `reader` is NULL or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn mynacard_kiosk_insert_pcsc(
    kiosk: *mut mynacard_kiosk,
    reader: *const c_char,
) -> mynacard_status {
    entry(|| {
        let id = kiosk_id(kiosk)?;
        // SAFETY: forwarded to the caller's promise above.
        let reader = unsafe { c_str(reader, "reader") }?;
        crate::kiosk::insert(id, || ops::open_pcsc(reader))
    })
}

/// Sets `*count` to the exchanges with the kiosk's virtual card since it was inserted (0 for a
/// reader).
///
/// # Safety
/// `count` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mynacard_kiosk_exchanges(
    kiosk: *mut mynacard_kiosk,
    count: *mut u64,
) -> mynacard_status {
    entry(|| {
        let out = Out::new(count, "count")?;
        out.set(crate::kiosk::exchanges(kiosk_id(kiosk)?)?);
        Ok(())
    })
}

/// Closes nothing, allocates nothing: the number of card handles open and of buffers not yet
/// freed, for leak checks in tests and examples.
///
/// # Safety
/// `cards` and `buffers` are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mynacard_live_objects(
    cards: *mut usize,
    buffers: *mut usize,
) -> mynacard_status {
    entry(|| {
        let c = Out::new(cards, "cards")?;
        let b = Out::new(buffers, "buffers")?;
        c.set(CARDS.len() + crate::kiosk_len());
        b.set(handles::live_buffers());
        Ok(())
    })
}
