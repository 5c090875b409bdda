//! Fault injection: what can go wrong in one exchange, and when it fires.

use super::{App, VirtualCard};
use crate::apdu::{CommandView, StatusWord};

/// A fault to inject into one exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer this status word without executing the command.
    Refuse(StatusWord),
    /// Execute the command, then lose the response
    /// ([`TransportError::NoResponse`](crate::transport::TransportError::NoResponse)).
    DropResponse,
    /// Execute the command, then deliver only the first `n` bytes of the response.
    Truncate(usize),
    /// Execute the command, then deliver a corrupted status word (`6F00`).
    CorruptStatus,
    /// The card is pulled before the command reaches it; it stays out until
    /// [`VirtualCard::insert`].
    RemoveCard,
    /// Power is lost before the command executes: the card is reset, the command is not run.
    PowerLossBefore,
    /// Power is lost after the command executed (and its effect was persisted), before the
    /// response: the card is reset and the response lost.
    PowerLossAfter,
}

/// When a fault fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trigger {
    /// Only in this application (the one selected when the command arrives).
    pub app: Option<App>,
    /// Only for this instruction.
    pub ins: Option<u8>,
    /// Only for commands with data (or only without), if set.
    pub with_data: Option<bool>,
    /// Let this many matching commands pass first.
    pub skip: usize,
}

impl Trigger {
    /// The next exchange, whatever it is.
    pub fn next() -> Self {
        Trigger {
            app: None,
            ins: None,
            with_data: None,
            skip: 0,
        }
    }
    /// The `n`-th exchange from now (0 = the next).
    pub fn nth(n: usize) -> Self {
        Trigger {
            skip: n,
            ..Self::next()
        }
    }
    /// The next command with this instruction.
    pub fn ins(ins: u8) -> Self {
        Trigger {
            ins: Some(ins),
            ..Self::next()
        }
    }
    /// Restricts to an application.
    pub fn in_app(mut self, app: App) -> Self {
        self.app = Some(app);
        self
    }
}

impl VirtualCard {
    /// Arms a fault: the first exchange matching `trigger` suffers `fault`.
    pub fn inject(&mut self, trigger: Trigger, fault: Fault) {
        self.faults.push((trigger, fault));
    }

    /// Breaks the state store, as a full disk or a read-only directory would: the next `skip`
    /// saves succeed, then every save fails (the file is left as it was) until
    /// [`VirtualCard::repair_store`]. Works on an in-memory card too. A command whose change
    /// cannot be saved answers `6581` and changes nothing.
    pub fn break_store(&mut self, skip: usize) {
        self.store_fault = Some(skip);
    }

    /// Undoes [`VirtualCard::break_store`]: saves work again.
    pub fn repair_store(&mut self) {
        self.store_fault = None;
    }

    /// Disarms all faults.
    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    pub(super) fn take_fault(
        &mut self,
        app: Option<App>,
        cmd: Option<&CommandView<'_>>,
    ) -> Option<Fault> {
        // Every armed trigger counts every exchange it matches; the first one due fires.
        let mut fire = None;
        for (i, (t, _)) in self.faults.iter_mut().enumerate() {
            let matches = t.app.is_none_or(|a| Some(a) == app)
                && t.ins.is_none_or(|i| cmd.is_some_and(|c| c.ins == i))
                && t.with_data
                    .is_none_or(|d| cmd.is_some_and(|c| c.data.is_empty() != d));
            if !matches {
                continue;
            }
            if t.skip > 0 {
                t.skip -= 1;
            } else if fire.is_none() {
                fire = Some(i);
            }
        }
        fire.map(|i| self.faults.remove(i).1)
    }
}
