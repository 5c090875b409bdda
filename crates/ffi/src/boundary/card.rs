//! Opening and closing a card, powering it off, its exchange count.

use std::ffi::c_char;

use crate::handles::CARDS;
use crate::ops;
use crate::types::*;

use super::marshal::{c_str, entry, handle_id, Out};

/// Opens the virtual card whose state is saved at `state_path` (UTF-8; the file is created with
/// the default PINs if it does not exist) and sets `*card` to its handle. The state file is
/// locked until `mynacard_close()`: another open of it, in another process or in this one,
/// gives `MYNACARD_STATE_FILE` (the message says which). `MYNACARD_UNSUPPORTED` in a build
/// without the `sim` feature.
///
/// The handle is used only in this process: a child after `fork()` gets
/// `MYNACARD_WRONG_PROCESS` from every call with it.
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
