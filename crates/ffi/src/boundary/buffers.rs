//! The buffers the library hands to the caller (`mynacard_buffer`), and their freeing.

use crate::error::FfiError;
use crate::handles::{self, NewBuffer};
use crate::types::*;

use super::marshal::{entry, Out};

/// A new buffer as the C struct.
pub(super) fn buffer_c(b: NewBuffer) -> mynacard_buffer {
    mynacard_buffer {
        data: b.data,
        len: b.len,
        id: b.id,
    }
}

/// Frees a buffer allocated here that was never handed to the caller.
pub(super) fn free_new_buffer(b: &mynacard_buffer) {
    let _ = handles::free_buffer(b.id, b.data as usize);
}

/// Copies `bytes` into a new buffer and writes it to `out`.
pub(super) fn buffer_out(out: Out<mynacard_buffer>, bytes: &[u8]) -> Result<(), FfiError> {
    out.set(buffer_c(handles::alloc_buffer(bytes)?));
    Ok(())
}

/// Frees a buffer the library allocated (certificates, signatures, the basic four's texts):
/// zeroizes it, frees it, and sets `buffer->data` to NULL and `buffer->len` and `buffer->id` to
/// 0. A buffer whose `data` is already NULL is left alone (`MYNACARD_OK`), so freeing twice
/// through the same struct is harmless. A struct the library did not fill in, or a copy of one
/// already freed, gives `MYNACARD_INVALID_ARGUMENT` and nothing is touched: the library frees
/// only the buffer whose `id` and `data` both match one it handed out and has not freed, so a
/// stale copy is refused even when a newer buffer was given the same address.
///
/// # Safety
/// `buffer` is NULL or points to a readable and writable `mynacard_buffer`.
#[no_mangle]
pub unsafe extern "C" fn mynacard_buffer_free(buffer: *mut mynacard_buffer) -> mynacard_status {
    entry(|| {
        let out = Out::new(buffer, "buffer")?;
        // SAFETY: not NULL (checked by `Out::new`); the caller promises a readable struct.
        let b = unsafe { out.as_ptr().read() };
        if b.data.is_null() {
            return Ok(());
        }
        if !handles::free_buffer(b.id, b.data as usize)? {
            return Err(FfiError::invalid_argument(
                "buffer",
                "(not allocated by this library, or already freed: a stale copy of the struct)",
            ));
        }
        out.set(mynacard_buffer {
            data: std::ptr::null_mut(),
            len: 0,
            id: 0,
        });
        Ok(())
    })
}
