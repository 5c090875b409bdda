//! Reader and card events: monitors, the wait with a timeout, its cancellation, and pulling the
//! virtual card out and putting it back.

use crate::events;
use crate::handles::CARDS;
use crate::types::*;

use super::marshal::{entry, handle_id, Out};

fn monitor_id(p: *mut mynacard_monitor) -> Result<usize, crate::error::FfiError> {
    if p.is_null() {
        return Err(crate::error::FfiError::null("monitor"));
    }
    Ok(p as usize)
}

/// Opens a monitor of every PC/SC reader and sets `*monitor` to its handle. Its first waits
/// report the readers there are and the cards in them. `MYNACARD_UNSUPPORTED` in a build without
/// the `pcsc` feature; `MYNACARD_TRANSPORT` when the PC/SC service is not running.
///
/// The caller owns the handle and closes it with `mynacard_monitor_close()`.
///
/// # Safety
/// `monitor` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mynacard_monitor_open_pcsc(
    monitor: *mut *mut mynacard_monitor,
) -> mynacard_status {
    entry(|| {
        let out = Out::new(monitor, "monitor")?;
        let id = events::open_pcsc()?;
        out.set(id as *mut mynacard_monitor);
        Ok(())
    })
}

/// Opens a monitor of a virtual card's reader (a card opened by `mynacard_open_virtual()`) and
/// sets `*monitor` to its handle. Its first waits report the reader, then the card if it is in.
/// `MYNACARD_UNSUPPORTED` for a card in a PC/SC reader. Each card inserted is probed with one
/// JPKI SELECT, which `mynacard_exchanges()` counts. The monitor shares the card: its state file
/// stays locked until both the card and the monitor are closed.
///
/// The caller owns the handle and closes it with `mynacard_monitor_close()`.
///
/// # Safety
/// `monitor` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mynacard_monitor_open_virtual(
    card: *mut mynacard_card,
    monitor: *mut *mut mynacard_monitor,
) -> mynacard_status {
    entry(|| {
        let out = Out::new(monitor, "monitor")?;
        let id = CARDS.with(handle_id(card)?, |h| events::open_virtual(h))?;
        out.set(id as *mut mynacard_monitor);
        Ok(())
    })
}

/// Waits for the next reader or card event, at most `timeout_ms` milliseconds, and fills in
/// `*event`. `MYNACARD_OK` with `event->kind` `MYNACARD_EVENT_NONE` when the time ran out, or
/// `MYNACARD_EVENT_CANCELLED` when `mynacard_monitor_cancel()` ended the wait; an inserted card
/// comes with its ATR and `card_kind` (found by the JPKI SELECT; no PIN is sent).
/// `MYNACARD_TRANSPORT` when the PC/SC service fails. Calls on one monitor from several threads
/// run one after the other.
///
/// # Safety
/// `event` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn mynacard_wait_for_card_event(
    monitor: *mut mynacard_monitor,
    timeout_ms: u32,
    event: *mut mynacard_card_event,
) -> mynacard_status {
    entry(|| {
        let out = Out::new(event, "event")?;
        let e = events::wait(monitor_id(monitor)?, timeout_ms)?;
        out.set(e);
        Ok(())
    })
}

/// Ends the `mynacard_wait_for_card_event()` running on `monitor` in another thread (it returns
/// `MYNACARD_OK` with `MYNACARD_EVENT_CANCELLED`); with no wait running, the next wait is the one
/// ended. Safe to call from any thread of the process that opened the monitor.
#[no_mangle]
pub extern "C" fn mynacard_monitor_cancel(monitor: *mut mynacard_monitor) -> mynacard_status {
    entry(|| events::cancel(monitor_id(monitor)?))
}

/// Closes a monitor, ending a wait running on it in another thread first, and frees the handle.
#[no_mangle]
pub extern "C" fn mynacard_monitor_close(monitor: *mut mynacard_monitor) -> mynacard_status {
    entry(|| events::close(monitor_id(monitor)?))
}

/// Pulls a virtual card out of its reader: every call on it fails with `MYNACARD_TRANSPORT`
/// until `mynacard_virtual_insert()`, its security status is lost, and its monitors report
/// `MYNACARD_EVENT_CARD_REMOVED`. `MYNACARD_UNSUPPORTED` for a card in a PC/SC reader. For
/// testing software that watches the card come and go.
#[no_mangle]
pub extern "C" fn mynacard_virtual_remove(card: *mut mynacard_card) -> mynacard_status {
    entry(|| CARDS.with(handle_id(card)?, |h| events::set_present(h, false)))
}

/// Puts a virtual card back into its reader (freshly powered); its monitors report
/// `MYNACARD_EVENT_CARD_INSERTED`. `MYNACARD_UNSUPPORTED` for a card in a PC/SC reader.
#[no_mangle]
pub extern "C" fn mynacard_virtual_insert(card: *mut mynacard_card) -> mynacard_status {
    entry(|| CARDS.with(handle_id(card)?, |h| events::set_present(h, true)))
}
