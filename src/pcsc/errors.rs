//! PC/SC errors as transport errors, and what a command is.

use crate::apdu::{ins, CommandView};
use crate::transport::{Cause, TransportError};

/// Maps a PC/SC error to a transport error. `extended` says whether the command was an
/// extended-length APDU: a reader failure on one means the reader cannot carry it.
pub(crate) fn map_error(e: pcsc::Error, extended: bool) -> TransportError {
    use pcsc::Error as E;
    match e {
        E::ResetCard | E::UnpoweredCard => TransportError::CardReset,
        E::RemovedCard | E::NoSmartcard => TransportError::CardRemoved,
        E::Timeout => TransportError::NoResponse,
        E::NoService | E::ServiceStopped => reader(
            e,
            "the PC/SC service (pcscd) stopped; start it and try again",
        ),
        E::ReaderUnavailable | E::UnknownReader => reader(e, "the reader was disconnected"),
        E::SharingViolation => reader(e, "the card is in use by another program"),
        e if extended => TransportError::Unsupported(format!(
            "the reader refused an extended-length APDU ({e}); using short APDUs"
        )),
        e => reader(e, &e.to_string()),
    }
}

fn reader(e: pcsc::Error, context: &str) -> TransportError {
    TransportError::Reader {
        context: context.into(),
        source: Cause::new(e),
    }
}

/// Whether a command sends a PIN or other secret to the card: VERIFY, CHANGE REFERENCE DATA,
/// CHANGE KEY or RESET RETRY COUNTER with data. A VERIFY without data only reads the retry
/// counter ([card facts §3](crate::card_facts#s3)) and changes nothing.
pub(super) fn sends_secret(command: &[u8]) -> bool {
    command.len() > 5 && ins::carries_secret(command[1])
}

/// Whether a command is an extended-length APDU.
pub(super) fn is_extended(command: &[u8]) -> bool {
    CommandView::parse(command).is_ok_and(|v| v.case.is_extended())
}
