//! Reader and card events: a reader connected or disconnected, a card inserted or pulled out.
//!
//! A front end that waits for the user (a kiosk, the PKCS#11 module's `C_WaitForSlotEvent`, the
//! C ABI) watches a [`CardMonitor`]: [`CardMonitor::wait`] blocks until the next
//! [`CardEvent`], at most for a timeout, and a [`Canceller`] taken from the monitor ends the wait
//! from another thread. Two monitors produce the same events:
//!
//! * `pcsc::Monitor` (feature `pcsc`) watches every reader of the system PC/SC service with
//!   `SCardGetStatusChange`, including the special `\\?PnP?\Notification` reader that reports
//!   readers being connected and disconnected;
//! * `sim::VirtualSlot::monitor` (feature `sim`) watches an in-process virtual reader whose
//!   virtual card a test pulls out and puts back.
//!
//! The first waits of a new monitor report what is already there: a [`CardEvent::ReaderAdded`]
//! for each reader, then a [`CardEvent::CardInserted`] for each card in one. So a front end
//! builds its whole picture from the events alone.
//!
//! A card that is inserted is probed with the library's own discovery, the JPKI SELECT
//! ([card facts §1](crate::card_facts#s1)), never recognised by its ATR alone: several ATRs
//! exist and contactless readers synthesise their own. The probe sends no PIN and spends no
//! try; it selects the JPKI application, which, as any SELECT of another application does, ends
//! the security status of the one selected before.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// What a card in a reader turned out to be when it was inserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CardKind {
    /// It answered the JPKI SELECT with `9000`: a My Number Card (or the virtual one).
    MyNumberCard,
    /// It answered the JPKI SELECT with an error: another card.
    OtherCard,
    /// It could not be asked: another program holds it exclusively, it does not answer (a mute
    /// card), or it was pulled out during the probe.
    Unknown,
}

impl CardKind {
    /// Whether the card holds the My Number Card applications.
    pub fn is_my_number_card(self) -> bool {
        self == CardKind::MyNumberCard
    }
}

/// One change in the readers or their cards.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CardEvent {
    /// A reader appeared (or was there when the monitor started).
    ReaderAdded {
        /// The reader's name.
        reader: String,
    },
    /// A reader disappeared. A card it held is reported removed first.
    ReaderRemoved {
        /// The reader's name.
        reader: String,
    },
    /// A card was inserted (or was in the reader when the monitor started).
    CardInserted {
        /// The reader's name.
        reader: String,
        /// The card's ATR as the reader reports it.
        atr: Vec<u8>,
        /// What the JPKI SELECT found.
        kind: CardKind,
    },
    /// The card was pulled out of the reader.
    CardRemoved {
        /// The reader's name.
        reader: String,
    },
}

impl CardEvent {
    /// The reader the event is about.
    pub fn reader(&self) -> &str {
        match self {
            CardEvent::ReaderAdded { reader }
            | CardEvent::ReaderRemoved { reader }
            | CardEvent::CardInserted { reader, .. }
            | CardEvent::CardRemoved { reader } => reader,
        }
    }
}

impl fmt::Display for CardEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CardEvent::ReaderAdded { reader } => write!(f, "reader \"{reader}\" connected"),
            CardEvent::ReaderRemoved { reader } => write!(f, "reader \"{reader}\" disconnected"),
            CardEvent::CardInserted { reader, atr, kind } => write!(
                f,
                "card inserted into \"{reader}\" (ATR {}): {}",
                hex::encode_upper(atr),
                match kind {
                    CardKind::MyNumberCard => "a My Number Card",
                    CardKind::OtherCard => "not a My Number Card",
                    CardKind::Unknown => "it could not be asked what it is",
                }
            ),
            CardEvent::CardRemoved { reader } => write!(f, "card removed from \"{reader}\""),
        }
    }
}

/// Why a wait for an event ended without one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MonitorError {
    /// [`Canceller::cancel`] was called.
    #[error("the wait for a card event was cancelled")]
    Cancelled,
    /// The PC/SC service is not running (or stopped while waiting).
    #[error("the PC/SC service is not running (on Linux, start pcscd: `sudo systemctl start pcscd.socket`, or run `pcscd`)")]
    NoService,
    /// Another PC/SC failure.
    #[error("PC/SC: {0}")]
    Pcsc(String),
}

/// Ends a [`CardMonitor::wait`] from another thread: that wait (or, if none is in progress, the
/// next one) returns [`MonitorError::Cancelled`]. Cheap to clone; `Send` and `Sync`.
#[derive(Clone)]
pub struct Canceller(Arc<dyn Fn() + Send + Sync>);

impl Canceller {
    /// A canceller that runs `cancel`; for monitors outside this crate.
    pub fn new(cancel: impl Fn() + Send + Sync + 'static) -> Self {
        Canceller(Arc::new(cancel))
    }

    /// Cancels the wait in progress, or the next one.
    pub fn cancel(&self) {
        (self.0)()
    }
}

impl fmt::Debug for Canceller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Canceller")
    }
}

/// A source of [`CardEvent`]s: real readers (`pcsc::Monitor`) or a virtual one
/// (`sim::VirtualMonitor`).
pub trait CardMonitor {
    /// Waits for the next event, at most `timeout`. `Ok(None)` when the time ran out.
    fn wait(&mut self, timeout: Duration) -> Result<Option<CardEvent>, MonitorError>;

    /// A handle that cancels this monitor's waits from another thread.
    fn canceller(&self) -> Canceller;
}

impl<M: CardMonitor + ?Sized> CardMonitor for Box<M> {
    fn wait(&mut self, timeout: Duration) -> Result<Option<CardEvent>, MonitorError> {
        (**self).wait(timeout)
    }
    fn canceller(&self) -> Canceller {
        (**self).canceller()
    }
}

/// Probes a freshly inserted card with the library's discovery: a session over `transport`
/// selects the JPKI application, inside one transaction.
#[cfg(any(feature = "pcsc", feature = "sim"))]
pub(crate) fn probe<T: crate::transport::Transport>(mut transport: T) -> CardKind {
    use crate::{applets, session::Session};

    if transport.begin_transaction().is_err() {
        return CardKind::Unknown;
    }
    let kind = match Session::new(&mut transport).select_df(&applets::JPKI) {
        Ok(()) => CardKind::MyNumberCard,
        Err(crate::Error::Transport(_) | crate::Error::CardReset) => CardKind::Unknown,
        Err(_) => CardKind::OtherCard,
    };
    transport.end_transaction();
    kind
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_name_their_reader_and_read_as_sentences() {
        let e = CardEvent::CardInserted {
            reader: "R 00".into(),
            atr: vec![0x3B, 0xE0],
            kind: CardKind::MyNumberCard,
        };
        assert_eq!(e.reader(), "R 00");
        assert_eq!(
            e.to_string(),
            "card inserted into \"R 00\" (ATR 3BE0): a My Number Card"
        );
        assert_eq!(
            CardEvent::CardRemoved {
                reader: "R 01".into()
            }
            .reader(),
            "R 01"
        );
        assert!(CardKind::MyNumberCard.is_my_number_card());
        assert!(!CardKind::OtherCard.is_my_number_card());
        assert!(!CardKind::Unknown.is_my_number_card());
    }
}
