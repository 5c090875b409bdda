//! The module through its raw C interface, for what a safe client cannot send: null pointers,
//! wrong handles and small buffers. The only `unsafe` of the tests is in [`call!`].

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
