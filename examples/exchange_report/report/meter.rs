//! A transport wrapper that keeps every exchange (PIN data masked), so that the library and the
//! naive client are measured by the same code, over the same virtual card.

use mynacard::transport::{mask_command, Transport, TransportCaps, TransportError};

/// One exchange as it crossed the transport.
#[derive(Debug, Clone)]
pub struct Record {
    /// The command, with the data of PIN-carrying commands masked (same length).
    pub command: Vec<u8>,
    /// The response (data and status word), or the transport's error.
    pub response: Result<Vec<u8>, TransportError>,
}

impl Record {
    /// The instruction byte.
    pub fn ins(&self) -> u8 {
        self.command.get(1).copied().unwrap_or(0)
    }

    /// The status word, if a response came.
    pub fn sw(&self) -> Option<u16> {
        match &self.response {
            Ok(r) if r.len() >= 2 => Some(u16::from_be_bytes([r[r.len() - 2], r[r.len() - 1]])),
            _ => None,
        }
    }

    /// Whether the card refused the command for its form (its length or its addressing), before
    /// doing anything: the answer to an optimisation it does not accept.
    pub fn refused(&self) -> bool {
        matches!(self.sw(), Some(sw) if is_form_refusal(sw))
    }

    /// Response bytes, status word included (0 after a transport error).
    pub fn response_len(&self) -> usize {
        self.response.as_ref().map_or(0, Vec::len)
    }
}

/// `6700` wrong length, `6A86` wrong P1-P2, `6A81` function not supported, `6D00` instruction not
/// supported, `6981` command incompatible with the file: what a card answers to an addressing or
/// a length it does not accept (src/session.rs treats the same words as refusals).
pub fn is_form_refusal(sw: u16) -> bool {
    sw == 0x6700 || sw == 0x6A86 || sw == 0x6A81 || sw == 0x6D00 || sw == 0x6981
}

/// Wraps a transport and records every exchange.
pub struct Meter<T> {
    /// The wrapped transport.
    pub inner: T,
    /// Every exchange so far.
    pub records: Vec<Record>,
}

impl<T> Meter<T> {
    /// Wraps `inner`.
    pub fn new(inner: T) -> Self {
        Meter {
            inner,
            records: Vec::new(),
        }
    }
}

impl<T: Transport> Transport for Meter<T> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let response = self.inner.transmit(command);
        self.records.push(Record {
            command: mask_command(command),
            response: response.clone(),
        });
        response
    }
    fn caps(&self) -> TransportCaps {
        self.inner.caps()
    }
    fn begin_transaction(&mut self) -> Result<(), TransportError> {
        self.inner.begin_transaction()
    }
    fn end_transaction(&mut self) {
        self.inner.end_transaction()
    }
    fn unpower(&mut self) -> Result<(), TransportError> {
        self.inner.unpower()
    }
    fn shared(&self) -> bool {
        self.inner.shared()
    }
}
