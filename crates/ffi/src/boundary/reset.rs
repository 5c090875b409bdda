//! The reset calls (through the vendor's callbacks or the stand-in authority) and the policy
//! check.

use mynacard::LastTry;

use crate::authority::CallbackAuthority;
use crate::error::FfiError;
use crate::handles::CARDS;
use crate::ops;
use crate::types::mynacard_status::*;
use crate::types::*;

use super::callbacks::read_authority;
use super::marshal::{arg, entry, handle_id, last_try, optional_secret, secret, Out, ALLOW_LAST};

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
        // SAFETY: forwarded to the caller's promise above.
        let (table, description) = unsafe { read_authority(authority) }?;
        // SAFETY: forwarded to the caller's promise above.
        let a = unsafe {
            reset_args(
                pin_kind, new_pin, new_len, other_pin, other_len, flags, status,
            )
        }?;
        let mut auth = CallbackAuthority::new(table, description);
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
