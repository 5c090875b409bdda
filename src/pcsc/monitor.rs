//! Watching the readers and cards of the PC/SC service ([`crate::events`]).

use std::collections::VecDeque;
use std::ffi::CString;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::events::{probe, Canceller, CardEvent, CardKind, CardMonitor, MonitorError};

use super::*;

/// Longest single `SCardGetStatusChange`: a cancel that arrives just before a wait begins (so
/// `SCardCancel` finds nothing to cancel) is still seen within this time, and so is a reader
/// connected on a system without the PnP notification.
const SLICE: Duration = Duration::from_millis(500);

struct Watched {
    name: String,
    /// Whether a card was reported in it, and PC/SC's event count then.
    present: bool,
    count: u32,
}

/// A monitor of every reader of the PC/SC service: readers connected and disconnected (through
/// the `\\?PnP?\Notification` reader, and by listing the readers again), cards inserted (with
/// their ATR and what the JPKI SELECT found) and pulled out. See [`crate::events`].
///
/// ```no_run
/// use std::time::Duration;
/// use mynacard::events::{CardEvent, CardMonitor};
///
/// let mut monitor = mynacard::pcsc::Monitor::new()?;
/// let stop = monitor.canceller(); // monitor.wait returns Cancelled once stop.cancel() is called
/// while let Some(event) = monitor.wait(Duration::from_secs(60))? {
///     println!("{event}");
///     if matches!(event, CardEvent::CardInserted { kind, .. } if kind.is_my_number_card()) {
///         break;
///     }
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Monitor {
    ctx: pcsc::Context,
    /// The readers, in the order of `states`.
    readers: Vec<Watched>,
    /// One state per reader, then the PnP notification's (while the service supports it).
    states: Vec<pcsc::ReaderState>,
    pnp: bool,
    listed: bool,
    pending: VecDeque<CardEvent>,
    cancelled: Arc<AtomicBool>,
    options: Options,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor")
            .field(
                "readers",
                &self.readers.iter().map(|r| &r.name).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

fn pcsc_error(e: pcsc::Error) -> MonitorError {
    match e {
        pcsc::Error::NoService | pcsc::Error::ServiceStopped => MonitorError::NoService,
        pcsc::Error::Cancelled => MonitorError::Cancelled,
        e => MonitorError::Pcsc(e.to_string()),
    }
}

impl Monitor {
    /// Connects to the PC/SC service. Inserted cards are probed on a shared connection.
    pub fn new() -> Result<Monitor, MonitorError> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User).map_err(pcsc_error)?;
        Ok(Monitor {
            ctx,
            readers: Vec::new(),
            states: vec![pcsc::ReaderState::new(
                pcsc::PNP_NOTIFICATION(),
                pcsc::State::UNAWARE,
            )],
            pnp: true,
            listed: false,
            pending: VecDeque::new(),
            cancelled: Arc::new(AtomicBool::new(false)),
            options: Options {
                share: Share::Shared,
                ..Options::default()
            },
        })
    }

    /// The readers known now (as reported by the events so far).
    pub fn readers(&self) -> Vec<String> {
        self.readers.iter().map(|r| r.name.clone()).collect()
    }

    /// Lists the readers again: new ones are reported added, gone ones removed (their card
    /// first).
    fn relist(&mut self) -> Result<(), MonitorError> {
        let names: Vec<String> = match self.ctx.list_readers_owned() {
            Ok(n) => n
                .into_iter()
                .map(|n| n.to_string_lossy().into_owned())
                .collect(),
            Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
            Err(e) => return Err(pcsc_error(e)),
        };
        let pnp = self.pnp.then(|| self.states.pop()).flatten();
        let mut kept = Vec::new();
        let mut kept_states = Vec::new();
        let old_states = std::mem::take(&mut self.states);
        for (w, st) in std::mem::take(&mut self.readers)
            .into_iter()
            .zip(old_states)
        {
            if names.contains(&w.name) {
                kept.push(w);
                kept_states.push(st);
            } else {
                if w.present {
                    self.pending.push_back(CardEvent::CardRemoved {
                        reader: w.name.clone(),
                    });
                }
                self.pending
                    .push_back(CardEvent::ReaderRemoved { reader: w.name });
            }
        }
        for name in names {
            if kept.iter().any(|w| w.name == name) {
                continue;
            }
            let Ok(c) = CString::new(name.as_str()) else {
                continue;
            };
            self.pending.push_back(CardEvent::ReaderAdded {
                reader: name.clone(),
            });
            kept.push(Watched {
                name,
                present: false,
                count: 0,
            });
            kept_states.push(pcsc::ReaderState::new(c, pcsc::State::UNAWARE));
        }
        kept_states.extend(pnp);
        self.readers = kept;
        self.states = kept_states;
        self.listed = true;
        Ok(())
    }

    /// Asks what the card in `reader` is, through the library's discovery.
    fn probe(&self, reader: &str) -> CardKind {
        let Ok(c) = CString::new(reader) else {
            return CardKind::Unknown;
        };
        let card = match self
            .ctx
            .connect(&c, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
        {
            Ok(card) => card,
            Err(_) => return CardKind::Unknown,
        };
        match PcscTransport::from_card(&self.ctx, reader, card, &self.options) {
            Ok(t) => probe(t),
            Err(_) => CardKind::Unknown,
        }
    }

    /// Turns the reader states PC/SC reported into events.
    fn read_states(&mut self) {
        let mut inserted = Vec::new();
        for (w, st) in self.readers.iter_mut().zip(&mut self.states) {
            let ev = st.event_state();
            if !ev.contains(pcsc::State::CHANGED) && st.current_state() != pcsc::State::UNAWARE {
                continue;
            }
            st.sync_current_state();
            if ev.intersects(pcsc::State::UNKNOWN | pcsc::State::UNAVAILABLE) {
                // The reader is going away: the next listing reports it.
                self.listed = false;
                continue;
            }
            let present = ev.contains(pcsc::State::PRESENT);
            let count = st.event_count();
            let replaced = present && w.present && count != w.count;
            if w.present && (!present || replaced) {
                self.pending.push_back(CardEvent::CardRemoved {
                    reader: w.name.clone(),
                });
            }
            if present && (!w.present || replaced) {
                let atr = st.atr().to_vec();
                let mute = ev.contains(pcsc::State::MUTE);
                inserted.push((w.name.clone(), atr, mute, self.pending.len()));
            }
            w.present = present;
            w.count = count;
        }
        // Probed after the loop (the probe needs `self`), each in its place in the queue.
        for (offset, (reader, atr, mute, at)) in inserted.into_iter().enumerate() {
            let kind = if mute {
                CardKind::Unknown
            } else {
                self.probe(&reader)
            };
            self.pending
                .insert(at + offset, CardEvent::CardInserted { reader, atr, kind });
        }
    }
}

impl CardMonitor for Monitor {
    fn wait(&mut self, timeout: Duration) -> Result<Option<CardEvent>, MonitorError> {
        let deadline = Instant::now().checked_add(timeout);
        // Even with no time to wait, PC/SC is asked once (with a zero timeout): a poll must see
        // what changed since the last one.
        let mut asked = false;
        loop {
            if self.cancelled.swap(false, Ordering::SeqCst) {
                return Err(MonitorError::Cancelled);
            }
            if let Some(e) = self.pending.pop_front() {
                return Ok(Some(e));
            }
            if !self.listed {
                self.relist()?;
                if !self.pending.is_empty() {
                    continue;
                }
            }
            let left = match deadline {
                Some(d) => d.saturating_duration_since(Instant::now()),
                None => SLICE,
            };
            if left.is_zero() && asked {
                return Ok(None);
            }
            asked = true;
            let slice = left.min(SLICE);
            let r = if self.states.is_empty() {
                std::thread::sleep(slice);
                Err(pcsc::Error::Timeout)
            } else {
                self.ctx.get_status_change(slice, &mut self.states)
            };
            match r {
                Ok(()) => {
                    if self.pnp {
                        if let Some(p) = self.states.last_mut() {
                            if p.event_state().contains(pcsc::State::CHANGED) {
                                p.sync_current_state();
                                self.listed = false;
                            }
                        }
                    }
                    self.read_states();
                }
                Err(pcsc::Error::Timeout) => {
                    // Without the PnP notification, a new reader is found by listing again.
                    if !self.pnp {
                        self.listed = false;
                    }
                }
                Err(pcsc::Error::Cancelled) => {
                    self.cancelled.store(false, Ordering::SeqCst);
                    return Err(MonitorError::Cancelled);
                }
                // A reader went away between the listing and the wait.
                Err(pcsc::Error::UnknownReader | pcsc::Error::ReaderUnavailable) => {
                    self.listed = false;
                }
                // The service does not know the PnP reader: list the readers in each round.
                Err(pcsc::Error::InvalidValue | pcsc::Error::UnsupportedFeature) if self.pnp => {
                    self.pnp = false;
                    self.states.pop();
                }
                Err(e) => return Err(pcsc_error(e)),
            }
        }
    }

    fn canceller(&self) -> Canceller {
        let flag = Arc::clone(&self.cancelled);
        let ctx = self.ctx.clone();
        Canceller::new(move || {
            flag.store(true, Ordering::SeqCst);
            let _ = ctx.cancel();
        })
    }
}
