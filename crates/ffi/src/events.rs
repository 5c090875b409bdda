//! Reader and card events for the C ABI: the open monitors, their cancellers, and the
//! conversion of a library event into a `mynacard_card_event`.
//!
//! The canceller of each monitor is kept outside the monitor's lock, so that
//! `mynacard_monitor_cancel()` reaches a wait that holds it from another thread.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use mynacard::events::{Canceller, CardEvent, CardKind, CardMonitor, MonitorError};

use crate::error::FfiError;
use crate::handles::{check_process, this_process, Registry};
use crate::ops::CardHandle;
use crate::types::mynacard_card_kind::*;
use crate::types::mynacard_event_kind::*;
use crate::types::mynacard_status::*;
use crate::types::*;

/// What a `mynacard_monitor` handle holds.
pub struct MonitorHandle(Box<dyn CardMonitor + Send>);

/// The open monitors.
pub static MONITORS: Registry<MonitorHandle> = Registry::new("mynacard_monitor");

/// Each open monitor's canceller, with the process that opened it.
static CANCELLERS: Mutex<BTreeMap<usize, (u32, Canceller)>> = Mutex::new(BTreeMap::new());

#[cfg_attr(not(any(feature = "sim", feature = "pcsc")), allow(dead_code))]
fn register(m: Box<dyn CardMonitor + Send>) -> Result<usize, FfiError> {
    let cancel = m.canceller();
    let id = MONITORS.insert(MonitorHandle(m))?;
    CANCELLERS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id, (this_process(), cancel));
    Ok(id)
}

fn monitor_error(e: MonitorError) -> FfiError {
    FfiError::new(
        MYNACARD_TRANSPORT,
        format!("カードリーダーを監視できません（{e}）。"),
        e.to_string(),
    )
}

/// A monitor of every PC/SC reader.
#[cfg(feature = "pcsc")]
pub fn open_pcsc() -> Result<usize, FfiError> {
    let m = mynacard::pcsc::Monitor::new().map_err(monitor_error)?;
    register(Box::new(m))
}

/// Without the `pcsc` feature.
#[cfg(not(feature = "pcsc"))]
pub fn open_pcsc() -> Result<usize, FfiError> {
    Err(FfiError::unsupported(
        "このライブラリは PC/SC なし（pcsc 機能なし）でビルドされています。",
        "this library was built without PC/SC readers (feature pcsc)",
    ))
}

fn not_virtual() -> FfiError {
    FfiError::new(
        MYNACARD_UNSUPPORTED,
        "このカードは仮想カードではありません（抜き差しと監視は mynacard_open_virtual() で開いたカードだけです）。",
        "this card is not a virtual card (only a card opened by mynacard_open_virtual() can be pulled out, put back and watched this way)",
    )
}

/// A monitor of the virtual card's reader.
#[cfg(feature = "sim")]
pub fn open_virtual(h: &CardHandle) -> Result<usize, FfiError> {
    let slot = h.slot.as_ref().ok_or_else(not_virtual)?;
    register(Box::new(slot.monitor()))
}

/// Pulls the virtual card out (`present == false`) or puts it back.
#[cfg(feature = "sim")]
pub fn set_present(h: &CardHandle, present: bool) -> Result<(), FfiError> {
    let slot = h.slot.as_ref().ok_or_else(not_virtual)?;
    if present {
        slot.insert();
    } else {
        slot.remove();
    }
    Ok(())
}

/// Without the `sim` feature.
#[cfg(not(feature = "sim"))]
pub fn open_virtual(_h: &CardHandle) -> Result<usize, FfiError> {
    Err(not_virtual())
}

/// Without the `sim` feature.
#[cfg(not(feature = "sim"))]
pub fn set_present(_h: &CardHandle, _present: bool) -> Result<(), FfiError> {
    Err(not_virtual())
}

/// Cancels the wait running on monitor `id` (or its next wait).
pub fn cancel(id: usize) -> Result<(), FfiError> {
    let (pid, c) = CANCELLERS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&id)
        .cloned()
        .ok_or_else(|| FfiError::invalid_handle("mynacard_monitor"))?;
    check_process("mynacard_monitor", pid)?;
    c.cancel();
    Ok(())
}

/// Closes monitor `id`, cancelling a wait running on it first.
pub fn close(id: usize) -> Result<(), FfiError> {
    cancel(id)?;
    MONITORS.remove(id, |_| {})?;
    CANCELLERS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&id);
    Ok(())
}

/// Waits on monitor `id` for at most `timeout_ms` milliseconds.
pub fn wait(id: usize, timeout_ms: u32) -> Result<mynacard_card_event, FfiError> {
    MONITORS.with(id, |m| {
        match m.0.wait(Duration::from_millis(u64::from(timeout_ms))) {
            Ok(Some(e)) => Ok(event_c(&e)),
            Ok(None) => Ok(empty(MYNACARD_EVENT_NONE)),
            Err(MonitorError::Cancelled) => Ok(empty(MYNACARD_EVENT_CANCELLED)),
            Err(e) => Err(monitor_error(e)),
        }
    })
}

fn empty(kind: mynacard_event_kind) -> mynacard_card_event {
    mynacard_card_event {
        kind: kind as u32,
        reader: [0; MYNACARD_READER_NAME_MAX],
        atr: [0; MYNACARD_ATR_MAX],
        atr_len: 0,
        card_kind: MYNACARD_CARD_KIND_NONE as u32,
    }
}

/// The event as C sees it: the reader's name cut at a character boundary to fit with its NUL.
pub fn event_c(e: &CardEvent) -> mynacard_card_event {
    let kind = match e {
        CardEvent::ReaderAdded { .. } => MYNACARD_EVENT_READER_ADDED,
        CardEvent::ReaderRemoved { .. } => MYNACARD_EVENT_READER_REMOVED,
        CardEvent::CardInserted { .. } => MYNACARD_EVENT_CARD_INSERTED,
        CardEvent::CardRemoved { .. } => MYNACARD_EVENT_CARD_REMOVED,
        // A kind added to the library later: reported as nothing rather than misnamed.
        _ => MYNACARD_EVENT_NONE,
    };
    let mut out = empty(kind);
    let name = e.reader();
    let mut end = name.len().min(MYNACARD_READER_NAME_MAX - 1);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    for (d, s) in out.reader.iter_mut().zip(&name.as_bytes()[..end]) {
        *d = *s as std::ffi::c_char;
    }
    if let CardEvent::CardInserted { atr, kind, .. } = e {
        let n = atr.len().min(MYNACARD_ATR_MAX);
        out.atr[..n].copy_from_slice(&atr[..n]);
        out.atr_len = n;
        out.card_kind = match kind {
            CardKind::MyNumberCard => MYNACARD_CARD_KIND_MY_NUMBER,
            CardKind::OtherCard => MYNACARD_CARD_KIND_OTHER,
            _ => MYNACARD_CARD_KIND_UNKNOWN,
        } as u32;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_reader_name_is_cut_at_a_character_boundary_and_stays_terminated() {
        let long = "読".repeat(100); // 300 bytes of three-byte characters
        let c = event_c(&CardEvent::CardRemoved {
            reader: long.clone(),
        });
        let bytes: Vec<u8> = c.reader.iter().map(|b| *b as u8).collect();
        let end = bytes.iter().position(|b| *b == 0).expect("terminated");
        assert_eq!(end, 255, "85 characters of 3 bytes fit before the NUL");
        assert_eq!(std::str::from_utf8(&bytes[..end]).unwrap(), &long[..255]);
        assert_eq!(c.kind, MYNACARD_EVENT_CARD_REMOVED as u32);
        assert_eq!(c.card_kind, MYNACARD_CARD_KIND_NONE as u32);
    }
}
