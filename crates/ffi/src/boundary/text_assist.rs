//! The text-input-assist application: the basic four and the My Number.

use std::ffi::c_char;

use crate::error::FfiError;
use crate::handles::{self, CARDS};
use crate::ops::{self, TextKey};
use crate::types::*;

use super::buffers::{buffer_c, free_new_buffer};
use super::marshal::{entry, handle_id, last_try, secret, write_text, Out, ALLOW_LAST};

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
        let name = buffer_c(handles::alloc_buffer(b.name.as_bytes())?);
        let address = match handles::alloc_buffer(b.address.as_bytes()) {
            Ok(x) => buffer_c(x),
            Err(e) => {
                free_new_buffer(&name);
                return Err(e);
            }
        };
        out.set(mynacard_basic_four {
            name,
            address,
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
