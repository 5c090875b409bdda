//! The guided kiosk flow (`mynacard_kiosk_*`).

use std::ffi::c_char;

use crate::authority::CallbackAuthority;
use crate::error::FfiError;
use crate::ops;
use crate::types::*;

use super::callbacks::read_authority;
use super::marshal::{arg, c_str, entry, kiosk_id, secret, write_text, Out};

/// Creates the guided PIN-reset flow of a kiosk or counter terminal at `place` (a
/// `mynacard_place`; not the smartphone app), the same steps and texts as the `myna-kiosk`
/// terminal kiosk, and sets `*kiosk` to its handle. The reset goes through `authority` (the
/// vendor's callbacks, copied; its `user_data` must stay valid until `mynacard_kiosk_free()`),
/// or, if `authority` is NULL, through the stand-in authority of `role` (a `mynacard_role`;
/// the virtual card only). `card_label` (UTF-8, may be NULL) is shown in the header.
///
/// Drive it with `mynacard_kiosk_next()` and the answer calls. Texts come in the language set
/// by `mynacard_set_language()` when each step is returned. The handle may be used only from
/// the thread that created it (another thread gets `MYNACARD_INVALID_HANDLE`), in the process
/// that created it (a child after `fork()` gets `MYNACARD_WRONG_PROCESS`). The caller owns
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
            // SAFETY: forwarded to the caller's promise above.
            let (table, description) = unsafe { read_authority(authority) }?;
            Box::new(CallbackAuthority::new(table, description))
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
