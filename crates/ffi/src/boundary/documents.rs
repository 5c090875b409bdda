//! Certificates and signatures.

use crate::handles::CARDS;
use crate::ops;
use crate::types::*;

use super::buffers::buffer_out;
use super::marshal::{arg, bytes, entry, handle_id, last_try, secret, Out, ALLOW_LAST};

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
