//! Watching the PC/SC readers for `C_WaitForSlotEvent` (feature `pcsc`): one library monitor
//! ([`mynacard::pcsc::Monitor`]) for the module, made on the first call and kept until
//! `C_Finalize`, outside the module's mutex so that other calls go on while a thread waits.

use std::sync::Mutex;
use std::time::Duration;

use mynacard::events::{Canceller, CardEvent, CardMonitor, MonitorError};

/// The monitor; one waiter at a time holds it.
static WATCH: Mutex<Option<mynacard::pcsc::Monitor>> = Mutex::new(None);
/// Its canceller, reachable while a waiter holds [`WATCH`].
static CANCEL: Mutex<Option<Canceller>> = Mutex::new(None);

/// What one wait on the monitor gave.
pub(crate) enum Outcome {
    /// A reader or card event.
    Event(CardEvent),
    /// Nothing (at once with `block == false`, or after a long while).
    Nothing,
    /// `C_Finalize` ended the wait.
    Cancelled,
    /// The PC/SC service failed.
    Failed,
}

/// The next event: at once (`block == false`) or waiting up to an hour.
pub(crate) fn next(block: bool) -> Outcome {
    let mut w = WATCH.lock().unwrap_or_else(|p| p.into_inner());
    if w.is_none() {
        match mynacard::pcsc::Monitor::new() {
            Ok(m) => {
                *CANCEL.lock().unwrap_or_else(|p| p.into_inner()) = Some(m.canceller());
                *w = Some(m);
            }
            Err(_) => return Outcome::Failed,
        }
    }
    let Some(m) = w.as_mut() else {
        return Outcome::Failed;
    };
    let timeout = if block {
        Duration::from_secs(3600)
    } else {
        Duration::ZERO
    };
    match m.wait(timeout) {
        Ok(Some(e)) => Outcome::Event(e),
        Ok(None) => Outcome::Nothing,
        Err(MonitorError::Cancelled) => {
            // Cancelled by C_Finalize: the next C_Initialize starts with a fresh monitor, which
            // reports the readers and cards anew.
            *w = None;
            *CANCEL.lock().unwrap_or_else(|p| p.into_inner()) = None;
            Outcome::Cancelled
        }
        Err(_) => Outcome::Failed,
    }
}

/// `C_Finalize`: ends a wait in progress, and forgets the monitor.
pub(crate) fn finalize() {
    match WATCH.try_lock() {
        // No waiter: drop the monitor (and its canceller) at once.
        Ok(mut w) => {
            *w = None;
            *CANCEL.lock().unwrap_or_else(|p| p.into_inner()) = None;
        }
        // A waiter holds it: cancel its wait; it drops the monitor.
        Err(_) => {
            if let Some(c) = CANCEL.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
                c.cancel();
            }
        }
    }
}
