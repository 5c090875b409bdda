//! Real readers through PC/SC (feature `pcsc`): pcsc-lite on Linux and the BSDs, the PCSC
//! framework on macOS, WinSCard on Windows.
//!
//! * [`list_readers`] names the readers; [`open`] waits (with a timeout, telling the caller what
//!   it waits for through a [`Notice`]) for a reader holding a My Number Card and connects to it.
//! * The card is recognised by selecting the JPKI application
//!   ([card facts §1](crate::card_facts#s1)), never by its ATR: several ATRs exist and contactless
//!   readers synthesise their own.
//! * [`Share::Exclusive`] is for PIN operations (no other program can reach the card while a
//!   PIN is verified); [`Share::Shared`] for reads. Either way each multi-APDU operation of
//!   [`crate::Card`] runs inside one PC/SC transaction ([`Transport::begin_transaction`](crate::transport::Transport::begin_transaction)).
//! * On a shared connection, the discovery SELECT is sent inside a PC/SC transaction, and the
//!   transaction is kept open for [`Options::linger`] after the discovery and after each
//!   operation. An operation that begins within it continues the same transaction: nothing from
//!   another program can have reached the card in between, so the session keeps what it knows
//!   is selected ([`Transport::selection_kept`](crate::transport::Transport::selection_kept)) and does not select again. Otherwise it selects
//!   again, because another program may have selected another application (and a PIN sent to
//!   the wrong application would spend the wrong try). A connection keeps the card at most 2 s
//!   in a row this way, then leaves it free for as long.
//! * A card reset by another program is reported as [`TransportError::CardReset`](crate::transport::TransportError::CardReset) (the session
//!   turns it into [`crate::Error::CardReset`]: earlier PIN verification is lost) and the
//!   connection is re-established, so the next operation selects its application again. Nothing
//!   is re-sent silently. A card pulled out gives [`TransportError::CardRemoved`](crate::transport::TransportError::CardRemoved).
//! * [`Transport::unpower`](crate::transport::Transport::unpower) disconnects with "unpower", so no verified PIN outlives the program.
//!   Dropping the transport after a PIN was sent does the same.
//! * Extended-length APDUs are sent only when the reader allows them: the reader is asked
//!   through PC/SC part 10 (`FEATURE_GET_TLV_PROPERTIES`, `dwMaxAPDUDataSize`); when it cannot
//!   tell, an extended APDU is tried once and a reader failure becomes
//!   [`TransportError::Unsupported`](crate::transport::TransportError::Unsupported), on which the session falls back to short reads.
//!
//! * [`Monitor`] reports readers connected and disconnected and cards inserted (with their ATR
//!   and whether they hold the My Number Card applications) and pulled out: see
//!   [`crate::events`].
//!
//! The `pcsc` crate's transactions borrow the connection, so the connection lives on a worker
//! thread that owns it; the transport talks to that thread over channels.

mod errors;
mod monitor;
mod open;
mod options;
mod part10;
#[cfg(test)]
mod tests;
mod transport;
mod worker;

pub(crate) use errors::map_error;
pub use monitor::Monitor;
#[cfg(test)]
use open::match_reader;
pub use open::{list_readers, open, Notice, OpenError};
pub use options::{Extended, Options, ReaderChoice, Share, DEFAULT_LINGER};
pub use part10::extended_from_max_apdu_data_size;
#[cfg(test)]
use part10::{feature_control_code, tlv_property};
pub use transport::PcscTransport;

use errors::{is_extended, sends_secret};
#[cfg(test)]
use open::select_jpki;
use part10::reader_extended;
#[cfg(test)]
use part10::{FEATURE_GET_TLV_PROPERTIES, PROPERTY_MAX_APDU_DATA_SIZE};
use transport::{connect_retrying, Reply, Request};
use worker::Worker;
