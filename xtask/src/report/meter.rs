//! A transport wrapper that keeps every exchange (PIN data masked), so that the library and the
//! naive client are measured by the same code, over the same virtual card.

use mynacard::transport::Exchange;

/// The crate's own recording transport (PIN data masked, lengths kept) measures both clients.
pub use mynacard::transport::{Exchange as Record, Recorder as Meter};

/// What the report reads off a recorded exchange.
pub trait Measured {
    /// Whether the card refused the command for its form (its length or its addressing), before
    /// doing anything: the answer to an optimisation it does not accept.
    fn refused(&self) -> bool;
    /// Response bytes, status word included (0 after a transport error).
    fn response_len(&self) -> usize;
}

impl Measured for Exchange {
    fn refused(&self) -> bool {
        matches!(self.sw(), Some(sw) if is_form_refusal(sw.0))
    }
    fn response_len(&self) -> usize {
        self.response.as_ref().map_or(0, Vec::len)
    }
}

/// `6700` wrong length, `6A86` wrong P1-P2, `6A81` function not supported, `6D00` instruction not
/// supported, `6981` command incompatible with the file: what a card answers to an addressing or
/// a length it does not accept (src/session.rs treats the same words as refusals).
pub fn is_form_refusal(sw: u16) -> bool {
    sw == 0x6700 || sw == 0x6A86 || sw == 0x6A81 || sw == 0x6D00 || sw == 0x6981
}
