//! Calls into the vendor's authority callbacks (`mynacard_authority`): the table, read from the
//! caller's struct, as the safe [`VendorCallbacks`] that `authority` drives.

use zeroize::Zeroizing;

use crate::authority::{CallbackFailure, CallbackOutput, VendorCallbacks};
use crate::error::FfiError;
use crate::types::*;

use super::marshal::c_str;

/// The callbacks of a `mynacard_authority`, copied at the start of a reset.
#[derive(Clone, Copy)]
pub(super) struct CallbackTable(mynacard_authority);

/// Reads the caller's `mynacard_authority` (not NULL: checked by the caller), checks that its
/// required callbacks are there, and returns the table and its description.
///
/// # Safety
/// `authority` points to a valid `mynacard_authority` whose `description` is NULL or a
/// NUL-terminated string.
pub(super) unsafe fn read_authority(
    authority: *const mynacard_authority,
) -> Result<(CallbackTable, String), FfiError> {
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
    Ok((CallbackTable(table), description))
}

type OutFn<'a> = dyn FnOnce(*mut u8, usize, *mut usize) -> i32 + 'a;

/// Runs one callback that writes into a zeroizing buffer of `MYNACARD_CALLBACK_CAPACITY` bytes.
fn call_out(f: Box<OutFn<'_>>) -> CallbackOutput {
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

impl VendorCallbacks for CallbackTable {
    fn route(&self, pin_kind: u32) -> u32 {
        match self.0.route {
            // SAFETY: the vendor supplied this function for this signature with `user_data`
            // (the contract of `mynacard_authority`); it receives only plain values.
            Some(f) => unsafe { f(self.0.user_data, pin_kind) },
            None => mynacard_route::MYNACARD_ROUTE_REFUSED as u32,
        }
    }

    fn get_challenge(&self, aid: &[u8]) -> CallbackOutput {
        let Some(f) = self.0.get_challenge else {
            return Err(CallbackFailure::Returned(-1));
        };
        let ud = self.0.user_data;
        call_out(Box::new(|out, cap, len| {
            // SAFETY: the vendor's function for this signature (the `mynacard_authority`
            // contract); `aid` is valid for `aid.len()` bytes, `out` for `cap` writable bytes
            // and `len` is writable, all for the duration of the call.
            unsafe { f(ud, aid.as_ptr(), aid.len(), out, cap, len) }
        }))
    }

    fn cryptogram(&self, aid: &[u8], challenge: &[u8]) -> CallbackOutput {
        let Some(f) = self.0.compute_cryptogram else {
            return Err(CallbackFailure::Returned(-1));
        };
        let ud = self.0.user_data;
        call_out(Box::new(|out, cap, len| {
            // SAFETY: as in `get_challenge`; `challenge` is valid for its length.
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

    fn wrap(&self, command: &[u8]) -> Option<CallbackOutput> {
        let f = self.0.wrap?;
        let ud = self.0.user_data;
        Some(call_out(Box::new(|out, cap, len| {
            // SAFETY: as in `get_challenge`; `command` is valid for its length.
            unsafe { f(ud, command.as_ptr(), command.len(), out, cap, len) }
        })))
    }

    fn unwrap(&self, response: &[u8]) -> Option<CallbackOutput> {
        let f = self.0.unwrap?;
        let ud = self.0.user_data;
        Some(call_out(Box::new(|out, cap, len| {
            // SAFETY: as in `get_challenge`; `response` is valid for its length.
            unsafe { f(ud, response.as_ptr(), response.len(), out, cap, len) }
        })))
    }
}
