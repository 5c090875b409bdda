//! PIN status, VERIFY and change.

use crate::error::FfiError;
use crate::handles::CARDS;
use crate::ops;
use crate::types::*;

use super::marshal::{arg, entry, handle_id, last_try, secret, Out, ALLOW_LAST};

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
            return Err(FfiError::too_few_entries("statuses", 4));
        }
        let all = CARDS.with(id, ops::status_all)?;
        for (i, s) in all.iter().enumerate().take(4) {
            // SAFETY: the caller promises `capacity` (>= 4, checked above) writable structs at
            // `statuses`, so element `i` < 4 is in bounds.
            unsafe { first.at(i) }.set(ops::status_c(s));
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
