//! Registries of the open handles and of the buffers handed to the caller.
//!
//! A handle is a number, never an address: the C pointer a caller holds is the number cast to a
//! pointer, and every call looks it up here first. A closed or made-up handle is not found
//! (`MYNACARD_INVALID_HANDLE`), so a stale pointer can never reach freed memory, and numbers are
//! never reused.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use zeroize::Zeroize;

use crate::error::FfiError;
use crate::types::mynacard_status::*;

/// The next handle number (shared by every registry, so that a handle of one type is not found
/// in another's).
static NEXT: AtomicUsize = AtomicUsize::new(0x1000);

/// A new handle number, never used before.
pub fn next_id() -> usize {
    NEXT.fetch_add(16, Ordering::Relaxed)
}

thread_local! {
    /// The handles this thread is running a call on (to refuse re-entrant calls from callbacks).
    static HELD: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// A registry of handles to `T`.
pub struct Registry<T> {
    what: &'static str,
    map: Mutex<BTreeMap<usize, Arc<Mutex<T>>>>,
}

fn internal() -> FfiError {
    FfiError::new(
        MYNACARD_INTERNAL,
        "内部エラーのため、このハンドルは使えません。閉じてください。",
        "an internal error left this handle unusable; close it",
    )
}

struct Held(usize);

impl Drop for Held {
    fn drop(&mut self) {
        HELD.with(|h| h.borrow_mut().retain(|x| *x != self.0));
    }
}

impl<T> Registry<T> {
    /// An empty registry of handles called `what` in messages.
    pub const fn new(what: &'static str) -> Self {
        Registry {
            what,
            map: Mutex::new(BTreeMap::new()),
        }
    }

    /// Registers `value` and returns its handle number (never 0).
    pub fn insert(&self, value: T) -> Result<usize, FfiError> {
        let id = next_id();
        self.map
            .lock()
            .map_err(|_| internal())?
            .insert(id, Arc::new(Mutex::new(value)));
        Ok(id)
    }

    fn get(&self, id: usize) -> Result<Arc<Mutex<T>>, FfiError> {
        self.map
            .lock()
            .map_err(|_| internal())?
            .get(&id)
            .cloned()
            .ok_or_else(|| FfiError::invalid_handle(self.what))
    }

    /// Runs `f` on the handle's value, holding its lock: calls on one handle from several
    /// threads run one after the other.
    pub fn with<R>(
        &self,
        id: usize,
        f: impl FnOnce(&mut T) -> Result<R, FfiError>,
    ) -> Result<R, FfiError> {
        let arc = self.get(id)?;
        if HELD.with(|h| h.borrow().contains(&id)) {
            return Err(busy());
        }
        HELD.with(|h| h.borrow_mut().push(id));
        let _held = Held(id);
        let mut guard = arc.lock().map_err(|_| internal())?;
        f(&mut guard)
    }

    /// Removes the handle; waits for a call running on it in another thread, then runs `f` on
    /// the value before it is dropped.
    pub fn remove(&self, id: usize, f: impl FnOnce(&mut T)) -> Result<(), FfiError> {
        if HELD.with(|h| h.borrow().contains(&id)) {
            return Err(busy());
        }
        let arc = self
            .map
            .lock()
            .map_err(|_| internal())?
            .remove(&id)
            .ok_or_else(|| FfiError::invalid_handle(self.what))?;
        // A poisoned lock still holds the value; close it all the same.
        let mut guard = match arc.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        f(&mut guard);
        Ok(())
    }

    /// How many handles are open.
    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }
}

fn busy() -> FfiError {
    FfiError::new(
        MYNACARD_BUSY,
        "このハンドルはこのスレッドで実行中の呼び出しが使っています（コールバックから同じハンドルは使えません）。",
        "this handle is in use by a call running on this thread (a callback cannot use the handle that runs it)",
    )
}

/// The buffers handed to the caller, by the address of their data. Each holds one NUL byte
/// more than its length.
static BUFFERS: Mutex<BTreeMap<usize, Box<[u8]>>> = Mutex::new(BTreeMap::new());

/// Copies `bytes` into a new buffer owned by the caller; returns its data pointer and length.
pub fn alloc_buffer(bytes: &[u8]) -> Result<(*mut u8, usize), FfiError> {
    let mut v = Vec::with_capacity(bytes.len() + 1);
    v.extend_from_slice(bytes);
    v.push(0);
    let mut b = v.into_boxed_slice();
    let ptr = b.as_mut_ptr();
    BUFFERS
        .lock()
        .map_err(|_| internal())?
        .insert(ptr as usize, b);
    Ok((ptr, bytes.len()))
}

/// Zeroizes and frees the buffer whose data is at `addr`. `false` if there is none (never
/// allocated here, or already freed).
pub fn free_buffer(addr: usize) -> Result<bool, FfiError> {
    let b = BUFFERS.lock().map_err(|_| internal())?.remove(&addr);
    Ok(match b {
        Some(mut b) => {
            b.zeroize();
            true
        }
        None => false,
    })
}

/// How many buffers the caller holds.
pub fn live_buffers() -> usize {
    BUFFERS.lock().map(|m| m.len()).unwrap_or(0)
}
