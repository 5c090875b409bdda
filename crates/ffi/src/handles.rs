//! Registries of the open handles and of the buffers handed to the caller.
//!
//! A handle is a number, never an address: the C pointer a caller holds is the number cast to a
//! pointer, and every call looks it up here first. A closed or made-up handle is not found
//! (`MYNACARD_INVALID_HANDLE`), so a stale pointer can never reach freed memory, and numbers are
//! never reused.
//!
//! Each handle records the process that opened it: after `fork()`, the child's copy of a handle
//! (and of the virtual card's counters behind it) is refused (`MYNACARD_WRONG_PROCESS`), so a
//! child cannot spend tries on a copy of the card and have them forgotten.
//!
//! A buffer is known by a number too (`mynacard_buffer.id`, never reused), and its data address
//! must match: a stale copy of a freed buffer's struct is refused even when the allocator has
//! handed the same address to a newer buffer.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use zeroize::Zeroize;

use crate::error::FfiError;
use crate::ops::CardHandle;
use crate::types::mynacard_status::*;

/// The open card handles (`mynacard_card`).
pub static CARDS: Registry<CardHandle> = Registry::new("mynacard_card");

/// This process's id.
pub fn this_process() -> u32 {
    std::process::id()
}

/// Refuses a handle opened by process `opener` when the caller is another process (a child
/// after `fork()`).
pub fn check_process(what: &str, opener: u32) -> Result<(), FfiError> {
    let now = this_process();
    if now == opener {
        return Ok(());
    }
    Err(FfiError::new(
        MYNACARD_WRONG_PROCESS,
        format!(
            "{what} のハンドルはプロセス {opener} が開いたもので、このプロセス（{now}、fork() の子など）では使えません。カードには何も送っていません。このプロセスで開き直してください。"
        ),
        format!(
            "the {what} handle was opened by process {opener} and cannot be used in this process ({now}, a child after fork(), say); nothing was sent to the card: open it again in this process"
        ),
    ))
}

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

/// An open handle: the id of the process that opened it, and its value.
type Entry<T> = (u32, Arc<Mutex<T>>);

/// A registry of handles to `T`, each with the id of the process that opened it.
pub struct Registry<T> {
    what: &'static str,
    map: Mutex<BTreeMap<usize, Entry<T>>>,
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
            .insert(id, (this_process(), Arc::new(Mutex::new(value))));
        Ok(id)
    }

    /// The handle's value, if it is open and was opened by this process.
    fn get(&self, id: usize) -> Result<Arc<Mutex<T>>, FfiError> {
        let (pid, arc) = self
            .map
            .lock()
            .map_err(|_| internal())?
            .get(&id)
            .cloned()
            .ok_or_else(|| FfiError::invalid_handle(self.what))?;
        check_process(self.what, pid)?;
        Ok(arc)
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
        let arc = {
            let mut map = self.map.lock().map_err(|_| internal())?;
            let (pid, _) = map
                .get(&id)
                .ok_or_else(|| FfiError::invalid_handle(self.what))?;
            // A child's copy is not closed either: closing it would drop the parent's card.
            check_process(self.what, *pid)?;
            match map.remove(&id) {
                Some((_, arc)) => arc,
                None => return Err(FfiError::invalid_handle(self.what)),
            }
        };
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

/// The buffers handed to the caller, by their id: the address of their data and the bytes
/// (one NUL byte more than their length).
static BUFFERS: Mutex<BTreeMap<u64, Buffer>> = Mutex::new(BTreeMap::new());

/// A buffer handed out: the address of its data, and its bytes.
type Buffer = (usize, Box<[u8]>);

/// The next buffer id (never 0, never reused).
static NEXT_BUFFER: AtomicU64 = AtomicU64::new(1);

/// A buffer handed to the caller: its data pointer, length and id.
pub struct NewBuffer {
    /// The data (followed by a NUL).
    pub data: *mut u8,
    /// The length, NUL not counted.
    pub len: usize,
    /// The id the caller's struct carries.
    pub id: u64,
}

/// Copies `bytes` into a new buffer owned by the caller.
pub fn alloc_buffer(bytes: &[u8]) -> Result<NewBuffer, FfiError> {
    let mut v = Vec::with_capacity(bytes.len() + 1);
    v.extend_from_slice(bytes);
    v.push(0);
    let mut b = v.into_boxed_slice();
    let data = b.as_mut_ptr();
    let id = NEXT_BUFFER.fetch_add(1, Ordering::Relaxed);
    BUFFERS
        .lock()
        .map_err(|_| internal())?
        .insert(id, (data as usize, b));
    Ok(NewBuffer {
        data,
        len: bytes.len(),
        id,
    })
}

/// Zeroizes and frees buffer `id` if its data is at `addr`. `false` if there is no such buffer
/// (never allocated here, already freed, or a stale copy whose address now belongs to a newer
/// buffer, which is left untouched).
pub fn free_buffer(id: u64, addr: usize) -> Result<bool, FfiError> {
    let mut map = BUFFERS.lock().map_err(|_| internal())?;
    if map.get(&id).map(|(a, _)| *a) != Some(addr) {
        return Ok(false);
    }
    Ok(match map.remove(&id) {
        Some((_, mut b)) => {
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
