//! The C boundary: the only module with `unsafe`. Each exported function checks its pointers,
//! turns them into Rust values, calls the safe [`crate::module::Module`] under the module's
//! mutex, and writes the result back. Panics are caught here and answered with
//! `CKR_GENERAL_ERROR`; they never unwind into the caller.

#![allow(non_snake_case)]
#![allow(unsafe_code)]

use std::os::raw::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::Mutex;

use cryptoki_sys::*;

use crate::module::{padded, Attr, Module, R};

/// The module between `C_Initialize` and `C_Finalize`.
static MODULE: Mutex<Option<Module>> = Mutex::new(None);

/// Runs `f` on the initialized module under its mutex, catching panics. In a child made by
/// `fork()`, the module the parent initialized is not this process's: every call answers
/// `CKR_CRYPTOKI_NOT_INITIALIZED` until the child calls `C_Initialize` (PKCS#11 v2.40 §6.7.1),
/// so the child never uses the parent's card connection, sessions or logins (nor the virtual
/// card's counters, of which it holds only a copy).
fn with(f: impl FnOnce(&mut Module) -> R<()>) -> CK_RV {
    catch_unwind(AssertUnwindSafe(|| {
        let mut g = MODULE.lock().unwrap_or_else(|p| p.into_inner());
        match g.as_mut() {
            None => CKR_CRYPTOKI_NOT_INITIALIZED,
            Some(m) if !m.in_its_process() => CKR_CRYPTOKI_NOT_INITIALIZED,
            Some(m) => match f(m) {
                Ok(()) => CKR_OK,
                Err(rv) => rv,
            },
        }
    }))
    .unwrap_or(CKR_GENERAL_ERROR)
}

/// Reads `len` bytes at `p` (an empty slice for a null pointer with length 0).
///
/// The caller guarantees, as PKCS#11 requires of the application, that a non-null `p` points
/// to `len` readable bytes for the duration of the call.
fn input<'a>(p: *const CK_BYTE, len: CK_ULONG) -> R<&'a [u8]> {
    if p.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(CKR_ARGUMENTS_BAD)
        };
    }
    // SAFETY: non-null, and the application passes a buffer of `len` bytes (PKCS#11 §5); the
    // slice does not outlive the call it was passed to.
    Ok(unsafe { std::slice::from_raw_parts(p, len as usize) })
}

/// Writes `value` through an out-pointer.
fn out<T>(p: *mut T, value: T) -> R<()> {
    if p.is_null() {
        return Err(CKR_ARGUMENTS_BAD);
    }
    // SAFETY: non-null, and the application passes a pointer to a writable `T` (PKCS#11 §5).
    unsafe { ptr::write(p, value) };
    Ok(())
}

/// The PKCS#11 "returning output" convention (§5.2) for a list: with a null buffer, the length
/// only; with a buffer too small, the length and `CKR_BUFFER_TOO_SMALL`; otherwise the items.
fn out_list<T: Copy>(buf: *mut T, count: *mut CK_ULONG, items: &[T]) -> R<()> {
    if count.is_null() {
        return Err(CKR_ARGUMENTS_BAD);
    }
    // SAFETY: `count` is non-null and points to the caller's CK_ULONG (PKCS#11 §5).
    let capacity = unsafe { *count } as usize;
    out(count, items.len() as CK_ULONG)?;
    if buf.is_null() {
        return Ok(());
    }
    if capacity < items.len() {
        return Err(CKR_BUFFER_TOO_SMALL);
    }
    // SAFETY: `buf` is non-null and holds `capacity >= items.len()` elements, as the caller
    // said in `*count`; the regions cannot overlap (ours is a Rust slice).
    unsafe { ptr::copy_nonoverlapping(items.as_ptr(), buf, items.len()) };
    Ok(())
}

/// Reads a PIN argument: `None` for a null pointer (a protected authentication path, which this
/// module does not have).
fn pin_arg<'a>(p: *const CK_UTF8CHAR, len: CK_ULONG) -> R<Option<&'a [u8]>> {
    if p.is_null() {
        return Ok(None);
    }
    input(p, len).map(Some)
}

/// Lets go of a module inherited from the parent process without using the parent's cards
/// (see [`Module::abandon`]).
fn abandon(inherited: Option<Module>) {
    if let Some(m) = inherited {
        m.abandon();
    }
}

/// Run when the process exits (or when the module is unloaded, see [`register_exit_hook`]) while
/// the module is still initialized: the application never called `C_Finalize`. Unpowers every
/// card this process holds, as `C_Finalize` does, so that a PIN verified for it does not stay
/// verified on the card after the process is gone. Through pcscd, a connection that dies with
/// its process is reset warm, which keeps the PIN verified (docs/card.md §3) until pcscd
/// powers the idle card off, about a second later: another program could use it meanwhile.
///
/// It never waits: if another thread holds the module (an `exit()` in the middle of a call),
/// the module is left alone. A child made by `fork()` leaves the parent's cards alone.
extern "C" fn finalize_at_exit() {
    let _ = catch_unwind(|| {
        if let Ok(mut g) = MODULE.try_lock() {
            if let Some(mut m) = g.take() {
                if m.in_its_process() {
                    m.finalize();
                } else {
                    m.abandon();
                }
            }
        }
    });
}

/// Registers [`finalize_at_exit`] once per process, at the first `C_Initialize`.
///
/// With glibc, `atexit` from a shared object is `__cxa_atexit` with that object's handle (it is
/// linked from `libc_nonshared.a`), so the handler also runs, and is removed, when the module is
/// unloaded with `dlclose`: it never runs from unmapped code.
fn register_exit_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: `finalize_at_exit` is a plain `extern "C" fn()` that takes no argument,
        // catches every panic and only try-locks the module's mutex, so it is sound to call
        // at any point of `exit()` or `dlclose()`. A failure to register (no memory) is
        // ignored: the module then behaves as before, and `C_Finalize` still unpowers.
        unsafe {
            libc::atexit(finalize_at_exit);
        }
    });
}

#[no_mangle]
pub extern "C" fn C_Initialize(args: *mut c_void) -> CK_RV {
    if !args.is_null() {
        // SAFETY: non-null `pInitArgs` points to a CK_C_INITIALIZE_ARGS (PKCS#11 §5.4).
        let a = unsafe { &*(args as *const CK_C_INITIALIZE_ARGS) };
        if !a.pReserved.is_null() {
            return CKR_ARGUMENTS_BAD;
        }
        let given = [
            a.CreateMutex.is_some(),
            a.DestroyMutex.is_some(),
            a.LockMutex.is_some(),
            a.UnlockMutex.is_some(),
        ];
        if given.iter().any(|g| *g) && !given.iter().all(|g| *g) {
            return CKR_ARGUMENTS_BAD;
        }
        // The module locks with the OS's primitives; it cannot use the application's.
        if given[0] && a.flags & CKF_OS_LOCKING_OK == 0 {
            return CKR_CANT_LOCK;
        }
    }
    catch_unwind(|| {
        let mut g = MODULE.lock().unwrap_or_else(|p| p.into_inner());
        match g.as_ref() {
            Some(m) if m.in_its_process() => return CKR_CRYPTOKI_ALREADY_INITIALIZED,
            Some(_) => abandon(g.take()),
            None => {}
        }
        *g = Some(Module::from_env());
        register_exit_hook();
        CKR_OK
    })
    .unwrap_or(CKR_GENERAL_ERROR)
}

#[no_mangle]
pub extern "C" fn C_Finalize(reserved: *mut c_void) -> CK_RV {
    if !reserved.is_null() {
        return CKR_ARGUMENTS_BAD;
    }
    let rv = catch_unwind(|| {
        let mut g = MODULE.lock().unwrap_or_else(|p| p.into_inner());
        match g.take() {
            None => CKR_CRYPTOKI_NOT_INITIALIZED,
            Some(m) if !m.in_its_process() => {
                abandon(Some(m));
                CKR_CRYPTOKI_NOT_INITIALIZED
            }
            Some(mut m) => {
                m.finalize();
                CKR_OK
            }
        }
    });
    // A thread blocked in C_WaitForSlotEvent returns CKR_CRYPTOKI_NOT_INITIALIZED.
    #[cfg(feature = "pcsc")]
    if matches!(rv, Ok(CKR_OK)) {
        let _ = catch_unwind(crate::watch::finalize);
    }
    rv.unwrap_or(CKR_GENERAL_ERROR)
}

#[no_mangle]
pub extern "C" fn C_GetInfo(info: *mut CK_INFO) -> CK_RV {
    with(|_| {
        out(
            info,
            CK_INFO {
                cryptokiVersion: CK_VERSION {
                    major: 2,
                    minor: 40,
                },
                manufacturerID: padded::<32>("mynacard"),
                flags: 0,
                libraryDescription: padded::<32>("mynacard JPKI マイナ"),
                libraryVersion: CK_VERSION { major: 0, minor: 1 },
            },
        )
    })
}

#[no_mangle]
pub extern "C" fn C_GetSlotList(
    present: CK_BBOOL,
    list: *mut CK_SLOT_ID,
    count: *mut CK_ULONG,
) -> CK_RV {
    with(|m| out_list(list, count, &m.slot_list(present != CK_FALSE)))
}

#[no_mangle]
pub extern "C" fn C_GetSlotInfo(slot: CK_SLOT_ID, info: *mut CK_SLOT_INFO) -> CK_RV {
    with(|m| {
        if info.is_null() {
            return Err(CKR_ARGUMENTS_BAD);
        }
        out(info, m.slot_info(slot)?)
    })
}

#[no_mangle]
pub extern "C" fn C_GetTokenInfo(slot: CK_SLOT_ID, info: *mut CK_TOKEN_INFO) -> CK_RV {
    with(|m| {
        if info.is_null() {
            return Err(CKR_ARGUMENTS_BAD);
        }
        out(info, m.token_info(slot)?)
    })
}

#[no_mangle]
pub extern "C" fn C_GetMechanismList(
    slot: CK_SLOT_ID,
    list: *mut CK_MECHANISM_TYPE,
    count: *mut CK_ULONG,
) -> CK_RV {
    with(|m| out_list(list, count, &m.mechanism_list(slot)?))
}

#[no_mangle]
pub extern "C" fn C_GetMechanismInfo(
    slot: CK_SLOT_ID,
    mech: CK_MECHANISM_TYPE,
    info: *mut CK_MECHANISM_INFO,
) -> CK_RV {
    with(|m| {
        if info.is_null() {
            return Err(CKR_ARGUMENTS_BAD);
        }
        out(info, m.mechanism_info(slot, mech)?)
    })
}

#[no_mangle]
pub extern "C" fn C_OpenSession(
    slot: CK_SLOT_ID,
    flags: CK_FLAGS,
    _app: *mut c_void,
    _notify: CK_NOTIFY,
    session: *mut CK_SESSION_HANDLE,
) -> CK_RV {
    with(|m| {
        if session.is_null() {
            return Err(CKR_ARGUMENTS_BAD);
        }
        out(session, m.open_session(slot, flags)?)
    })
}

#[no_mangle]
pub extern "C" fn C_CloseSession(session: CK_SESSION_HANDLE) -> CK_RV {
    with(|m| m.close_session(session))
}

#[no_mangle]
pub extern "C" fn C_CloseAllSessions(slot: CK_SLOT_ID) -> CK_RV {
    with(|m| m.close_all_sessions(slot))
}

#[no_mangle]
pub extern "C" fn C_GetSessionInfo(
    session: CK_SESSION_HANDLE,
    info: *mut CK_SESSION_INFO,
) -> CK_RV {
    with(|m| {
        if info.is_null() {
            return Err(CKR_ARGUMENTS_BAD);
        }
        out(info, m.session_info(session)?)
    })
}

#[no_mangle]
pub extern "C" fn C_Login(
    session: CK_SESSION_HANDLE,
    user: CK_USER_TYPE,
    pin: *mut CK_UTF8CHAR,
    len: CK_ULONG,
) -> CK_RV {
    with(|m| m.login(session, user, pin_arg(pin, len)?))
}

#[no_mangle]
pub extern "C" fn C_Logout(session: CK_SESSION_HANDLE) -> CK_RV {
    with(|m| m.logout(session))
}

#[no_mangle]
pub extern "C" fn C_SetPIN(
    session: CK_SESSION_HANDLE,
    old: *mut CK_UTF8CHAR,
    old_len: CK_ULONG,
    new: *mut CK_UTF8CHAR,
    new_len: CK_ULONG,
) -> CK_RV {
    with(|m| m.set_pin(session, pin_arg(old, old_len)?, pin_arg(new, new_len)?))
}

/// Reads a template's (type, pointer, length) triples.
fn template<'a>(p: *const CK_ATTRIBUTE, count: CK_ULONG) -> R<&'a [CK_ATTRIBUTE]> {
    if p.is_null() {
        return if count == 0 {
            Ok(&[])
        } else {
            Err(CKR_ARGUMENTS_BAD)
        };
    }
    // SAFETY: non-null, and the application passes an array of `count` CK_ATTRIBUTE (§5).
    Ok(unsafe { std::slice::from_raw_parts(p, count as usize) })
}

#[no_mangle]
pub extern "C" fn C_GetAttributeValue(
    session: CK_SESSION_HANDLE,
    object: CK_OBJECT_HANDLE,
    attrs: *mut CK_ATTRIBUTE,
    count: CK_ULONG,
) -> CK_RV {
    with(|m| {
        if attrs.is_null() || count == 0 {
            return Err(CKR_ARGUMENTS_BAD);
        }
        let types: Vec<CK_ATTRIBUTE_TYPE> =
            template(attrs, count)?.iter().map(|a| a.type_).collect();
        let values = m.attributes(session, object, &types)?;
        let mut rv = CKR_OK;
        for (i, v) in values.into_iter().enumerate() {
            // SAFETY: `attrs` holds `count` elements (checked above) and `i < count`; the
            // application gave us the array to write the lengths into (§5.7).
            let a = unsafe { &mut *attrs.add(i) };
            match v {
                Attr::Invalid => {
                    a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
                    rv = CKR_ATTRIBUTE_TYPE_INVALID;
                }
                Attr::Sensitive => {
                    a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
                    rv = CKR_ATTRIBUTE_SENSITIVE;
                }
                Attr::Value(bytes) => {
                    if a.pValue.is_null() {
                        a.ulValueLen = bytes.len() as CK_ULONG;
                    } else if (a.ulValueLen as usize) < bytes.len() {
                        a.ulValueLen = CK_UNAVAILABLE_INFORMATION;
                        rv = CKR_BUFFER_TOO_SMALL;
                    } else {
                        // SAFETY: `pValue` is non-null and holds `ulValueLen >= bytes.len()`
                        // bytes, as the application declared.
                        unsafe {
                            ptr::copy_nonoverlapping(
                                bytes.as_ptr(),
                                a.pValue as *mut u8,
                                bytes.len(),
                            )
                        };
                        a.ulValueLen = bytes.len() as CK_ULONG;
                    }
                }
            }
        }
        if rv == CKR_OK {
            Ok(())
        } else {
            Err(rv)
        }
    })
}

#[no_mangle]
pub extern "C" fn C_GetObjectSize(
    session: CK_SESSION_HANDLE,
    object: CK_OBJECT_HANDLE,
    size: *mut CK_ULONG,
) -> CK_RV {
    with(|m| {
        if size.is_null() {
            return Err(CKR_ARGUMENTS_BAD);
        }
        out(size, m.object_size(session, object)?)
    })
}

#[no_mangle]
pub extern "C" fn C_FindObjectsInit(
    session: CK_SESSION_HANDLE,
    attrs: *mut CK_ATTRIBUTE,
    count: CK_ULONG,
) -> CK_RV {
    with(|m| {
        let mut wanted = Vec::new();
        for a in template(attrs, count)? {
            wanted.push((
                a.type_,
                input(a.pValue as *const u8, a.ulValueLen)?.to_vec(),
            ));
        }
        m.find_init(session, &wanted)
    })
}

#[no_mangle]
pub extern "C" fn C_FindObjects(
    session: CK_SESSION_HANDLE,
    objects: *mut CK_OBJECT_HANDLE,
    max: CK_ULONG,
    count: *mut CK_ULONG,
) -> CK_RV {
    with(|m| {
        if objects.is_null() || count.is_null() {
            return Err(CKR_ARGUMENTS_BAD);
        }
        let found = m.find(session, max as usize)?;
        // SAFETY: `objects` is non-null and holds `max` handles; `found.len() <= max`.
        unsafe { ptr::copy_nonoverlapping(found.as_ptr(), objects, found.len()) };
        out(count, found.len() as CK_ULONG)
    })
}

#[no_mangle]
pub extern "C" fn C_FindObjectsFinal(session: CK_SESSION_HANDLE) -> CK_RV {
    with(|m| m.find_final(session))
}

#[no_mangle]
pub extern "C" fn C_SignInit(
    session: CK_SESSION_HANDLE,
    mech: *mut CK_MECHANISM,
    key: CK_OBJECT_HANDLE,
) -> CK_RV {
    with(|m| {
        if mech.is_null() {
            return Err(CKR_ARGUMENTS_BAD);
        }
        // SAFETY: non-null, and the application passes a CK_MECHANISM (§5.12).
        let mech = unsafe { &*mech };
        if crate::module::is_pss(mech.mechanism) {
            let params = pss_params(mech);
            return m.sign_init_pss(session, mech.mechanism, params, key);
        }
        let has_parameter = !mech.pParameter.is_null() || mech.ulParameterLen != 0;
        m.sign_init(session, mech.mechanism, has_parameter, key)
    })
}

/// The `CK_RSA_PKCS_PSS_PARAMS` of a PSS mechanism: `None` when the parameter is missing or not
/// of that structure's size.
fn pss_params(mech: &CK_MECHANISM) -> Option<crate::module::PssParams> {
    if mech.pParameter.is_null()
        || mech.ulParameterLen as usize != std::mem::size_of::<CK_RSA_PKCS_PSS_PARAMS>()
    {
        return None;
    }
    // SAFETY: non-null, and the application says it points to `ulParameterLen` bytes, which is
    // the size of a CK_RSA_PKCS_PSS_PARAMS (checked above); read unaligned, since nothing
    // promises the buffer's alignment.
    let p = unsafe { std::ptr::read_unaligned(mech.pParameter as *const CK_RSA_PKCS_PSS_PARAMS) };
    Some(crate::module::PssParams {
        hash: p.hashAlg,
        mgf: p.mgf,
        salt_len: p.sLen,
    })
}

/// The output convention for a signature: length first, then the card is used only when the
/// caller's buffer is big enough.
fn sign_out(
    m: &mut Module,
    session: CK_SESSION_HANDLE,
    data: Option<&[u8]>,
    sig: *mut CK_BYTE,
    sig_len: *mut CK_ULONG,
) -> R<()> {
    if sig_len.is_null() {
        return Err(CKR_ARGUMENTS_BAD);
    }
    let needed = m.sign_len(session)?;
    // SAFETY: `sig_len` is non-null and points to the caller's CK_ULONG.
    let capacity = unsafe { *sig_len } as usize;
    out(sig_len, needed as CK_ULONG)?;
    if sig.is_null() {
        return Ok(());
    }
    if capacity < needed {
        return Err(CKR_BUFFER_TOO_SMALL);
    }
    let s = m.sign(session, data)?;
    if s.len() > capacity {
        return Err(CKR_DEVICE_ERROR);
    }
    // SAFETY: `sig` is non-null and holds `capacity >= s.len()` bytes.
    unsafe { ptr::copy_nonoverlapping(s.as_ptr(), sig, s.len()) };
    out(sig_len, s.len() as CK_ULONG)
}

#[no_mangle]
pub extern "C" fn C_Sign(
    session: CK_SESSION_HANDLE,
    data: *mut CK_BYTE,
    data_len: CK_ULONG,
    sig: *mut CK_BYTE,
    sig_len: *mut CK_ULONG,
) -> CK_RV {
    with(|m| {
        let data = input(data, data_len)?;
        sign_out(m, session, Some(data), sig, sig_len)
    })
}

#[no_mangle]
pub extern "C" fn C_SignUpdate(
    session: CK_SESSION_HANDLE,
    part: *mut CK_BYTE,
    len: CK_ULONG,
) -> CK_RV {
    with(|m| m.sign_update(session, input(part, len)?))
}

#[no_mangle]
pub extern "C" fn C_SignFinal(
    session: CK_SESSION_HANDLE,
    sig: *mut CK_BYTE,
    sig_len: *mut CK_ULONG,
) -> CK_RV {
    with(|m| sign_out(m, session, None, sig, sig_len))
}

/// `C_GenerateRandom`: the card's own random bytes (GET CHALLENGE through the library, at most
/// 256 bytes an exchange).
#[no_mangle]
pub extern "C" fn C_GenerateRandom(
    session: CK_SESSION_HANDLE,
    data: *mut CK_BYTE,
    len: CK_ULONG,
) -> CK_RV {
    with(|m| {
        if data.is_null() {
            return if len == 0 {
                m.generate_random(session, &mut [])
            } else {
                Err(CKR_ARGUMENTS_BAD)
            };
        }
        // SAFETY: `data` is non-null and the application passes a buffer of `len` writable
        // bytes (PKCS#11 §5.15) that it does not touch during the call; the slice does not
        // outlive the call. Written in place: nothing the size of the caller's request is
        // allocated, and on failure the library leaves it zeroed.
        let out = unsafe { std::slice::from_raw_parts_mut(data, len as usize) };
        m.generate_random(session, out)
    })
}

/// Functions the module does not implement: each answers `CKR_FUNCTION_NOT_SUPPORTED` (after
/// `CKR_CRYPTOKI_NOT_INITIALIZED` when the module is not initialized).
macro_rules! not_supported {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {$(
        #[no_mangle]
        pub extern "C" fn $name($($arg: $ty),*) -> CK_RV {
            with(|_| Err(CKR_FUNCTION_NOT_SUPPORTED))
        }
    )*};
}

not_supported! {
    C_InitToken(_a1: CK_SLOT_ID, _a2: *mut CK_UTF8CHAR, _a3: CK_ULONG, _a4: *mut CK_UTF8CHAR);
    C_InitPIN(_a1: CK_SESSION_HANDLE, _a2: *mut CK_UTF8CHAR, _a3: CK_ULONG);
    C_GetOperationState(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: *mut CK_ULONG);
    C_SetOperationState(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG, _a4: CK_OBJECT_HANDLE, _a5: CK_OBJECT_HANDLE);
    C_CreateObject(_a1: CK_SESSION_HANDLE, _a2: *mut CK_ATTRIBUTE, _a3: CK_ULONG, _a4: *mut CK_OBJECT_HANDLE);
    C_CopyObject(_a1: CK_SESSION_HANDLE, _a2: CK_OBJECT_HANDLE, _a3: *mut CK_ATTRIBUTE, _a4: CK_ULONG, _a5: *mut CK_OBJECT_HANDLE);
    C_DestroyObject(_a1: CK_SESSION_HANDLE, _a2: CK_OBJECT_HANDLE);
    C_SetAttributeValue(_a1: CK_SESSION_HANDLE, _a2: CK_OBJECT_HANDLE, _a3: *mut CK_ATTRIBUTE, _a4: CK_ULONG);
    C_EncryptInit(_a1: CK_SESSION_HANDLE, _a2: *mut CK_MECHANISM, _a3: CK_OBJECT_HANDLE);
    C_Encrypt(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: *mut CK_ULONG);
    C_EncryptUpdate(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: *mut CK_ULONG);
    C_EncryptFinal(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: *mut CK_ULONG);
    C_DecryptInit(_a1: CK_SESSION_HANDLE, _a2: *mut CK_MECHANISM, _a3: CK_OBJECT_HANDLE);
    C_Decrypt(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: *mut CK_ULONG);
    C_DecryptUpdate(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: *mut CK_ULONG);
    C_DecryptFinal(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: *mut CK_ULONG);
    C_DigestInit(_a1: CK_SESSION_HANDLE, _a2: *mut CK_MECHANISM);
    C_Digest(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: *mut CK_ULONG);
    C_DigestUpdate(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG);
    C_DigestKey(_a1: CK_SESSION_HANDLE, _a2: CK_OBJECT_HANDLE);
    C_DigestFinal(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: *mut CK_ULONG);
    C_SignRecoverInit(_a1: CK_SESSION_HANDLE, _a2: *mut CK_MECHANISM, _a3: CK_OBJECT_HANDLE);
    C_SignRecover(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: *mut CK_ULONG);
    C_VerifyInit(_a1: CK_SESSION_HANDLE, _a2: *mut CK_MECHANISM, _a3: CK_OBJECT_HANDLE);
    C_Verify(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: CK_ULONG);
    C_VerifyUpdate(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG);
    C_VerifyFinal(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG);
    C_VerifyRecoverInit(_a1: CK_SESSION_HANDLE, _a2: *mut CK_MECHANISM, _a3: CK_OBJECT_HANDLE);
    C_VerifyRecover(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: *mut CK_ULONG);
    C_DigestEncryptUpdate(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: *mut CK_ULONG);
    C_DecryptDigestUpdate(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: *mut CK_ULONG);
    C_SignEncryptUpdate(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: *mut CK_ULONG);
    C_DecryptVerifyUpdate(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG, _a4: *mut CK_BYTE, _a5: *mut CK_ULONG);
    C_GenerateKey(_a1: CK_SESSION_HANDLE, _a2: *mut CK_MECHANISM, _a3: *mut CK_ATTRIBUTE, _a4: CK_ULONG, _a5: *mut CK_OBJECT_HANDLE);
    C_GenerateKeyPair(_a1: CK_SESSION_HANDLE, _a2: *mut CK_MECHANISM, _a3: *mut CK_ATTRIBUTE, _a4: CK_ULONG, _a5: *mut CK_ATTRIBUTE, _a6: CK_ULONG, _a7: *mut CK_OBJECT_HANDLE, _a8: *mut CK_OBJECT_HANDLE);
    C_WrapKey(_a1: CK_SESSION_HANDLE, _a2: *mut CK_MECHANISM, _a3: CK_OBJECT_HANDLE, _a4: CK_OBJECT_HANDLE, _a5: *mut CK_BYTE, _a6: *mut CK_ULONG);
    C_UnwrapKey(_a1: CK_SESSION_HANDLE, _a2: *mut CK_MECHANISM, _a3: CK_OBJECT_HANDLE, _a4: *mut CK_BYTE, _a5: CK_ULONG, _a6: *mut CK_ATTRIBUTE, _a7: CK_ULONG, _a8: *mut CK_OBJECT_HANDLE);
    C_DeriveKey(_a1: CK_SESSION_HANDLE, _a2: *mut CK_MECHANISM, _a3: CK_OBJECT_HANDLE, _a4: *mut CK_ATTRIBUTE, _a5: CK_ULONG, _a6: *mut CK_OBJECT_HANDLE);
    C_SeedRandom(_a1: CK_SESSION_HANDLE, _a2: *mut CK_BYTE, _a3: CK_ULONG);
    C_GetFunctionStatus(_a1: CK_SESSION_HANDLE);
    C_CancelFunction(_a1: CK_SESSION_HANDLE);
}

/// `C_WaitForSlotEvent`. Slot events queued by an earlier call come first. With feature
/// `pcsc` the library's monitor of the readers is asked (module `watch`): a My Number
/// Card inserted gives two new slots (or the token back in its old ones), a card pulled out
/// leaves its slots without a token; each change is reported for both of the card's slots, one
/// per call. `CKF_DONT_BLOCK` answers `CKR_NO_EVENT` when nothing changed; the blocking form
/// waits until something does (`CKR_DEVICE_ERROR` when the PC/SC service is not running), and
/// `C_Finalize` from another thread ends it with `CKR_CRYPTOKI_NOT_INITIALIZED`. Without `pcsc` nothing changes after `C_Initialize` (the
/// virtual card's slot stays as it is), so the blocking form, which could only hang, answers
/// `CKR_FUNCTION_NOT_SUPPORTED`.
#[no_mangle]
pub extern "C" fn C_WaitForSlotEvent(
    flags: CK_FLAGS,
    slot: *mut CK_SLOT_ID,
    reserved: *mut c_void,
) -> CK_RV {
    let queued = with(|m| {
        if slot.is_null() || !reserved.is_null() {
            return Err(CKR_ARGUMENTS_BAD);
        }
        match m.next_slot_event() {
            Some(s) => out(slot, s),
            None => Err(CKR_NO_EVENT),
        }
    });
    if queued != CKR_NO_EVENT {
        return queued;
    }
    let block = flags & CKF_DONT_BLOCK == 0;
    #[cfg(not(feature = "pcsc"))]
    {
        if block {
            CKR_FUNCTION_NOT_SUPPORTED
        } else {
            CKR_NO_EVENT
        }
    }
    #[cfg(feature = "pcsc")]
    loop {
        use crate::watch::{next, Outcome};
        let outcome = catch_unwind(|| next(block)).unwrap_or(Outcome::Failed);
        match outcome {
            Outcome::Event(e) => {
                let rv = with(|m| {
                    m.card_event(&e);
                    match m.next_slot_event() {
                        Some(s) => out(slot, s),
                        None => Err(CKR_NO_EVENT),
                    }
                });
                if rv != CKR_NO_EVENT {
                    return rv;
                }
            }
            Outcome::Nothing if !block => return CKR_NO_EVENT,
            Outcome::Nothing => {
                // Still initialized? Then wait on.
                let rv = with(|_| Ok(()));
                if rv != CKR_OK {
                    return rv;
                }
            }
            Outcome::Cancelled => return CKR_CRYPTOKI_NOT_INITIALIZED,
            // No PC/SC service: a poll finds nothing new; a wait cannot be kept.
            Outcome::Failed if !block => return CKR_NO_EVENT,
            Outcome::Failed => return CKR_DEVICE_ERROR,
        }
    }
}

/// The function list handed out by `C_GetFunctionList`.
static FUNCTIONS: CK_FUNCTION_LIST = CK_FUNCTION_LIST {
    version: CK_VERSION {
        major: 2,
        minor: 40,
    },
    C_Initialize: Some(C_Initialize),
    C_Finalize: Some(C_Finalize),
    C_GetInfo: Some(C_GetInfo),
    C_GetFunctionList: Some(C_GetFunctionList),
    C_GetSlotList: Some(C_GetSlotList),
    C_GetSlotInfo: Some(C_GetSlotInfo),
    C_GetTokenInfo: Some(C_GetTokenInfo),
    C_GetMechanismList: Some(C_GetMechanismList),
    C_GetMechanismInfo: Some(C_GetMechanismInfo),
    C_InitToken: Some(C_InitToken),
    C_InitPIN: Some(C_InitPIN),
    C_SetPIN: Some(C_SetPIN),
    C_OpenSession: Some(C_OpenSession),
    C_CloseSession: Some(C_CloseSession),
    C_CloseAllSessions: Some(C_CloseAllSessions),
    C_GetSessionInfo: Some(C_GetSessionInfo),
    C_GetOperationState: Some(C_GetOperationState),
    C_SetOperationState: Some(C_SetOperationState),
    C_Login: Some(C_Login),
    C_Logout: Some(C_Logout),
    C_CreateObject: Some(C_CreateObject),
    C_CopyObject: Some(C_CopyObject),
    C_DestroyObject: Some(C_DestroyObject),
    C_GetObjectSize: Some(C_GetObjectSize),
    C_GetAttributeValue: Some(C_GetAttributeValue),
    C_SetAttributeValue: Some(C_SetAttributeValue),
    C_FindObjectsInit: Some(C_FindObjectsInit),
    C_FindObjects: Some(C_FindObjects),
    C_FindObjectsFinal: Some(C_FindObjectsFinal),
    C_EncryptInit: Some(C_EncryptInit),
    C_Encrypt: Some(C_Encrypt),
    C_EncryptUpdate: Some(C_EncryptUpdate),
    C_EncryptFinal: Some(C_EncryptFinal),
    C_DecryptInit: Some(C_DecryptInit),
    C_Decrypt: Some(C_Decrypt),
    C_DecryptUpdate: Some(C_DecryptUpdate),
    C_DecryptFinal: Some(C_DecryptFinal),
    C_DigestInit: Some(C_DigestInit),
    C_Digest: Some(C_Digest),
    C_DigestUpdate: Some(C_DigestUpdate),
    C_DigestKey: Some(C_DigestKey),
    C_DigestFinal: Some(C_DigestFinal),
    C_SignInit: Some(C_SignInit),
    C_Sign: Some(C_Sign),
    C_SignUpdate: Some(C_SignUpdate),
    C_SignFinal: Some(C_SignFinal),
    C_SignRecoverInit: Some(C_SignRecoverInit),
    C_SignRecover: Some(C_SignRecover),
    C_VerifyInit: Some(C_VerifyInit),
    C_Verify: Some(C_Verify),
    C_VerifyUpdate: Some(C_VerifyUpdate),
    C_VerifyFinal: Some(C_VerifyFinal),
    C_VerifyRecoverInit: Some(C_VerifyRecoverInit),
    C_VerifyRecover: Some(C_VerifyRecover),
    C_DigestEncryptUpdate: Some(C_DigestEncryptUpdate),
    C_DecryptDigestUpdate: Some(C_DecryptDigestUpdate),
    C_SignEncryptUpdate: Some(C_SignEncryptUpdate),
    C_DecryptVerifyUpdate: Some(C_DecryptVerifyUpdate),
    C_GenerateKey: Some(C_GenerateKey),
    C_GenerateKeyPair: Some(C_GenerateKeyPair),
    C_WrapKey: Some(C_WrapKey),
    C_UnwrapKey: Some(C_UnwrapKey),
    C_DeriveKey: Some(C_DeriveKey),
    C_SeedRandom: Some(C_SeedRandom),
    C_GenerateRandom: Some(C_GenerateRandom),
    C_GetFunctionStatus: Some(C_GetFunctionStatus),
    C_CancelFunction: Some(C_CancelFunction),
    C_WaitForSlotEvent: Some(C_WaitForSlotEvent),
};

/// The module's entry point: the one symbol a PKCS#11 application looks up.
///
/// # Safety
///
/// `list` must be null or point to writable storage for one pointer (PKCS#11 §5.4).
#[no_mangle]
pub unsafe extern "C" fn C_GetFunctionList(list: *mut *mut CK_FUNCTION_LIST) -> CK_RV {
    if list.is_null() {
        return CKR_ARGUMENTS_BAD;
    }
    // The list is never written through: PKCS#11 declares the pointer mutable, but applications
    // treat the table as read-only.
    let table = &FUNCTIONS as *const CK_FUNCTION_LIST as *mut CK_FUNCTION_LIST;
    // SAFETY: `list` is non-null and points to storage for one pointer, as the caller promises.
    unsafe { ptr::write(list, table) };
    CKR_OK
}

/// The name of the standard interface of PKCS#11 3.0 ("PKCS 11"), NUL-terminated.
static INTERFACE_NAME: &[u8; 8] = b"PKCS 11\0";

/// The one interface the module offers through the PKCS#11 3.0 discovery functions: "PKCS 11"
/// with the v2.40 function list. No flags are claimed (in particular not
/// `CKF_INTERFACE_FORK_SAFE`).
struct Interface(CK_INTERFACE);

// SAFETY: the two pointers inside point to immutable statics (`INTERFACE_NAME`, `FUNCTIONS`)
// that live for the whole program; neither the module nor the application (which PKCS#11 3.0
// gives the interface to read) writes through them, so sharing it between threads is sound.
unsafe impl Sync for Interface {}

static INTERFACE: Interface = Interface(CK_INTERFACE {
    pInterfaceName: INTERFACE_NAME as *const [u8; 8] as *mut CK_UTF8CHAR,
    pFunctionList: &FUNCTIONS as *const CK_FUNCTION_LIST as *mut c_void,
    flags: 0,
});

/// Reads a NUL-terminated interface name, up to its NUL or its 65th byte, whichever comes
/// first (enough to tell it from "PKCS 11").
fn c_name<'a>(p: *const CK_UTF8CHAR) -> &'a [u8] {
    let mut len = 0;
    // SAFETY: `p` is non-null (the caller checks) and points to a NUL-terminated string
    // (PKCS#11 3.0, `C_GetInterface`); no byte after the NUL is read.
    unsafe {
        while len <= 64 && *p.add(len) != 0 {
            len += 1;
        }
        std::slice::from_raw_parts(p, len)
    }
}

/// `C_GetInterfaceList` (PKCS#11 3.0): one interface, "PKCS 11" version 2.40. Like
/// `C_GetFunctionList`, it works before `C_Initialize`.
///
/// # Safety
///
/// `list` must be null or hold `*count` writable `CK_INTERFACE`s; `count` must be null or
/// point to a writable `CK_ULONG` (PKCS#11 3.0, `C_GetInterfaceList`).
#[no_mangle]
pub unsafe extern "C" fn C_GetInterfaceList(
    list: *mut CK_INTERFACE,
    count: *mut CK_ULONG,
) -> CK_RV {
    catch_unwind(|| match out_list(list, count, &[INTERFACE.0]) {
        Ok(()) => CKR_OK,
        Err(rv) => rv,
    })
    .unwrap_or(CKR_GENERAL_ERROR)
}

/// `C_GetInterface` (PKCS#11 3.0): the "PKCS 11" interface, version 2.40, when the name is null
/// or "PKCS 11", the version null or 2.40, and `flags` asks for nothing (the interface has no
/// flags). Anything else is `CKR_ARGUMENTS_BAD`: PKCS#11 3.0 has no return value of its own
/// for an interface the module does not have, and this is the one of the function's listed
/// values that fits. Works before `C_Initialize`.
///
/// # Safety
///
/// `name` must be null or a NUL-terminated string; `version` null or a readable `CK_VERSION`;
/// `interface` null or writable storage for one pointer (PKCS#11 3.0, `C_GetInterface`).
#[no_mangle]
pub unsafe extern "C" fn C_GetInterface(
    name: *mut CK_UTF8CHAR,
    version: *mut CK_VERSION,
    interface: *mut *mut CK_INTERFACE,
    flags: CK_FLAGS,
) -> CK_RV {
    catch_unwind(|| {
        if interface.is_null() {
            return CKR_ARGUMENTS_BAD;
        }
        if !name.is_null() && c_name(name) != &INTERFACE_NAME[..7] {
            return CKR_ARGUMENTS_BAD;
        }
        if !version.is_null() {
            // SAFETY: non-null, and the application passes a CK_VERSION (PKCS#11 3.0).
            let v = unsafe { &*version };
            if (v.major, v.minor) != (FUNCTIONS.version.major, FUNCTIONS.version.minor) {
                return CKR_ARGUMENTS_BAD;
            }
        }
        if flags & !INTERFACE.0.flags != 0 {
            return CKR_ARGUMENTS_BAD;
        }
        // The interface is never written through (see `Interface`).
        let p = &INTERFACE.0 as *const CK_INTERFACE as *mut CK_INTERFACE;
        match out(interface, p) {
            Ok(()) => CKR_OK,
            Err(rv) => rv,
        }
    })
    .unwrap_or(CKR_GENERAL_ERROR)
}
