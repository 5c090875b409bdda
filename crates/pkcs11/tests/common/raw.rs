//! The module through its raw C interface, for what a safe client cannot send: null pointers,
//! wrong handles and small buffers. The only `unsafe` of the tests is here: in [`call!`] and
//! the readers of what `C_GetInterface` returns.

// The workspace lints deny `unsafe_code`; this module is the tests' one exception.
#![allow(unsafe_code)]

#[allow(unused_imports)]
pub use cryptoki_sys::*;

/// The module loaded by path, its C functions callable as they are.
pub struct Raw(pub cryptoki_sys::Pkcs11);

impl Raw {
    /// Loads the module built by this `cargo test` (see [`super::module_path`]).
    pub fn load() -> Raw {
        // SAFETY: loading runs the library's initializers; the module has none besides Rust's
        // own, and it is this workspace's build of mynacard-pkcs11.
        Raw(unsafe { cryptoki_sys::Pkcs11::new(super::module_path()) }.unwrap())
    }
}

/// The NUL-terminated name of an interface the module returned.
#[allow(dead_code)]
pub fn interface_name(i: &CK_INTERFACE) -> Vec<u8> {
    assert!(!i.pInterfaceName.is_null());
    // SAFETY: the module's interface name points to a NUL-terminated static string.
    unsafe { std::ffi::CStr::from_ptr(i.pInterfaceName as *const std::ffi::c_char) }
        .to_bytes()
        .to_vec()
}

/// The interface behind a pointer the module returned from `C_GetInterface`.
#[allow(dead_code)]
pub fn interface_at(p: *mut CK_INTERFACE) -> CK_INTERFACE {
    assert!(!p.is_null());
    // SAFETY: non-null, and the module returns a pointer to its static CK_INTERFACE.
    unsafe { *p }
}

/// The function list an interface points to, read as the v2.40 `CK_FUNCTION_LIST` (the first
/// fields of every version's list; its `version` says which it is).
#[allow(dead_code)]
pub fn interface_functions(i: &CK_INTERFACE) -> CK_FUNCTION_LIST {
    assert!(!i.pFunctionList.is_null());
    // SAFETY: the module's interface points to its static CK_FUNCTION_LIST.
    unsafe { *(i.pFunctionList as *const CK_FUNCTION_LIST) }
}

/// Calls one C function of the module: `call!(raw, C_GetSlotList(0, ptr, &mut n))`.
#[allow(unused_macros)]
macro_rules! call {
    ($raw:expr, $f:ident($($arg:expr),* $(,)?)) => {{
        // SAFETY: the module checks every pointer it is given (that is what these tests test);
        // every non-null pointer passed here points to live memory of the declared size.
        unsafe { $raw.0.$f($($arg),*) }
    }};
}
#[allow(unused_imports)]
pub(crate) use call;
