//! A virtual reader in process: the virtual card can be pulled out and put back, a transport
//! talks to it while it is in, and a monitor reports the events ([`crate::events`]).

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::VirtualCard;
use crate::events::{probe, Canceller, CardEvent, CardMonitor, MonitorError};
use crate::transport::{Exchange, Transport, TransportCaps, TransportError};

struct Slot {
    card: VirtualCard,
    /// Counts insertions and removals, as PC/SC's event counter does, so that a monitor notices a
    /// card pulled out and put back between two of its waits.
    changes: u64,
}

struct Shared {
    slot: Mutex<Slot>,
    changed: Condvar,
}

/// A virtual reader holding the virtual card, shared between threads: [`VirtualSlot::remove`]
/// and [`VirtualSlot::insert`] pull the card out and put it back; [`VirtualSlot::transport`]
/// talks to it ([`TransportError::CardRemoved`] while it is out); [`VirtualSlot::monitor`]
/// reports the same [`CardEvent`]s as the PC/SC monitor does for a real reader.
///
/// ```
/// use std::time::Duration;
/// use mynacard::events::{CardEvent, CardMonitor};
/// use mynacard::sim::{VirtualCard, VirtualSlot};
///
/// let slot = VirtualSlot::new("Virtual reader", VirtualCard::new());
/// let mut monitor = slot.monitor();
/// let t = Duration::from_secs(5);
/// assert!(matches!(monitor.wait(t)?, Some(CardEvent::ReaderAdded { .. })));
/// assert!(matches!(monitor.wait(t)?, Some(CardEvent::CardInserted { .. })));
/// slot.remove();
/// assert!(matches!(monitor.wait(t)?, Some(CardEvent::CardRemoved { .. })));
/// # Ok::<(), mynacard::events::MonitorError>(())
/// ```
#[derive(Clone)]
pub struct VirtualSlot {
    name: String,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for VirtualSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VirtualSlot")
            .field("name", &self.name)
            .field("present", &self.is_present())
            .finish_non_exhaustive()
    }
}

impl VirtualSlot {
    /// A reader named `name` holding `card` (in the reader unless `card` was removed).
    pub fn new(name: &str, card: VirtualCard) -> Self {
        VirtualSlot {
            name: name.to_owned(),
            shared: Arc::new(Shared {
                slot: Mutex::new(Slot { card, changes: 0 }),
                changed: Condvar::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.shared.slot.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The reader's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Pulls the card out: its security status is lost, every exchange fails with
    /// [`TransportError::CardRemoved`], and monitors report [`CardEvent::CardRemoved`]. Nothing
    /// happens if it is already out.
    pub fn remove(&self) {
        let mut s = self.lock();
        if s.card.is_present() {
            s.card.remove();
            s.changes += 1;
            self.shared.changed.notify_all();
        }
    }

    /// Puts the card back (freshly powered); monitors report [`CardEvent::CardInserted`].
    /// Nothing happens if it is already in.
    pub fn insert(&self) {
        let mut s = self.lock();
        if !s.card.is_present() {
            s.card.insert();
            s.changes += 1;
            self.shared.changed.notify_all();
        }
    }

    /// Whether the card is in the reader.
    pub fn is_present(&self) -> bool {
        self.lock().card.is_present()
    }

    /// Runs `f` on the card (to inspect it, or arm a fault).
    pub fn with_card<R>(&self, f: impl FnOnce(&mut VirtualCard) -> R) -> R {
        f(&mut self.lock().card)
    }

    /// A transport to the card in this reader.
    pub fn transport(&self) -> SlotTransport {
        SlotTransport(self.clone())
    }

    /// A monitor of this reader. Its first waits report the reader, then the card if it is in.
    pub fn monitor(&self) -> VirtualMonitor {
        VirtualMonitor {
            slot: self.clone(),
            announced: false,
            seen: None,
            pending: VecDeque::new(),
            cancelled: Arc::new(Mutex::new(false)),
        }
    }
}

/// The [`Transport`] of a [`VirtualSlot`]: the card's own transport, shared.
#[derive(Debug, Clone)]
pub struct SlotTransport(VirtualSlot);

impl Transport for SlotTransport {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.0.lock().card.transmit(command)
    }
    fn caps(&self) -> TransportCaps {
        self.0.lock().card.caps()
    }
    fn unpower(&mut self) -> Result<(), TransportError> {
        self.0.lock().card.unpower()
    }
    fn prior_exchanges(&self) -> Vec<Exchange> {
        Vec::new()
    }
}

/// The [`CardMonitor`] of a [`VirtualSlot`].
pub struct VirtualMonitor {
    slot: VirtualSlot,
    announced: bool,
    /// The slot's change count and presence at the last event reported.
    seen: Option<(u64, bool)>,
    pending: VecDeque<CardEvent>,
    cancelled: Arc<Mutex<bool>>,
}

impl std::fmt::Debug for VirtualMonitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VirtualMonitor")
            .field("slot", &self.slot)
            .finish_non_exhaustive()
    }
}

impl VirtualMonitor {
    fn take_cancel(&self) -> bool {
        std::mem::take(&mut *self.cancelled.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Compares the slot with what was last reported and queues the difference.
    fn look(&mut self, slot: &mut Slot) {
        let reader = self.slot.name.clone();
        let now = (slot.changes, slot.card.is_present());
        let Some((changes, present)) = self.seen else {
            self.seen = Some(now);
            if now.1 {
                self.pending.push_back(inserted(reader, &mut slot.card));
            }
            return;
        };
        if changes == now.0 {
            return;
        }
        self.seen = Some(now);
        // Pulled out and put back since the last look: both are reported.
        if present {
            self.pending.push_back(CardEvent::CardRemoved {
                reader: reader.clone(),
            });
        }
        if now.1 {
            self.pending.push_back(inserted(reader, &mut slot.card));
        }
    }
}

fn inserted(reader: String, card: &mut VirtualCard) -> CardEvent {
    let atr = card.atr().to_vec();
    CardEvent::CardInserted {
        reader,
        atr,
        kind: probe(card),
    }
}

impl CardMonitor for VirtualMonitor {
    fn wait(&mut self, timeout: Duration) -> Result<Option<CardEvent>, MonitorError> {
        let deadline = Instant::now().checked_add(timeout);
        if !self.announced {
            self.announced = true;
            return Ok(Some(CardEvent::ReaderAdded {
                reader: self.slot.name.clone(),
            }));
        }
        let shared = Arc::clone(&self.slot.shared);
        let mut guard = shared.slot.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if self.take_cancel() {
                return Err(MonitorError::Cancelled);
            }
            if let Some(e) = self.pending.pop_front() {
                return Ok(Some(e));
            }
            self.look(&mut guard);
            if let Some(e) = self.pending.pop_front() {
                return Ok(Some(e));
            }
            let left = match deadline {
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => left,
                    _ => return Ok(None),
                },
                None => Duration::from_secs(3600),
            };
            guard = shared
                .changed
                .wait_timeout(guard, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    fn canceller(&self) -> Canceller {
        let flag = Arc::clone(&self.cancelled);
        let shared = Arc::clone(&self.slot.shared);
        Canceller::new(move || {
            *flag.lock().unwrap_or_else(|p| p.into_inner()) = true;
            // Taking the slot's lock orders the flag before the waiter's next look, so the
            // notification cannot fall between its check and its sleep.
            let _s = shared.slot.lock().unwrap_or_else(|p| p.into_inner());
            shared.changed.notify_all();
        })
    }
}
