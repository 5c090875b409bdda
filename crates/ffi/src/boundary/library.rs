//! Library-wide calls: the language, the last error, status names, the version, and the count
//! of live objects for leak checks.

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{self, FfiError, Lang};
use crate::handles::{self, CARDS};
use crate::types::mynacard_status::*;
use crate::types::*;

use super::marshal::{entry, entry_keep_last, write_text, Out};

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
        32 => c"MYNACARD_WRONG_PROCESS",
        98 => c"MYNACARD_INTERNAL",
        99 => c"MYNACARD_PANIC",
        _ => c"MYNACARD_UNKNOWN_STATUS",
    };
    s.as_ptr()
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
        c.set(CARDS.len() + crate::kiosk::len());
        b.set(handles::live_buffers());
        Ok(())
    })
}
