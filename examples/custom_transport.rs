//! Your own reader: implement [`Transport`] and hand it to [`Card`].
//!
//! A transport only moves bytes: one command APDU in, the response (data and status word) out.
//! This one wraps another transport (here the virtual card) and logs each exchange, with the
//! data of PIN-carrying commands masked by [`mask_command`] so that no PIN reaches the log.
//! A transport for real hardware (a USB CCID device, a phone's NFC link, a network relay)
//! implements `transmit` the same way; it must never re-send a command by itself, because a
//! re-sent VERIFY spends a second try.
//!
//! ```sh
//! cargo run --example custom_transport --features sim
//! ```

use mynacard::credential::AuthPin;
use mynacard::pin::PinKind;
use mynacard::sim::VirtualCard;
use mynacard::transport::{mask_command, Transport, TransportCaps, TransportError};
use mynacard::Card;

/// Logs every exchange of the transport it wraps to standard error.
struct Logging<T> {
    inner: T,
}

impl<T: Transport> Transport for Logging<T> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        eprintln!("> {}", hex::encode_upper(mask_command(command)));
        let response = self.inner.transmit(command);
        match &response {
            Ok(r) => eprintln!(
                "< {} bytes, SW {}",
                r.len(),
                hex::encode_upper(&r[r.len().saturating_sub(2)..])
            ),
            Err(e) => eprintln!("< error: {e}"),
        }
        response
    }

    // The optional methods have defaults; a wrapper passes every one on, so that transactions
    // and "unpower" still reach the card, and the session knows what the inner transport knows
    // about sharing (a wrapper that hid `shared` from a shared PC/SC connection would let the
    // session trust a selection another program may have changed).
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

    fn selection_kept(&self) -> bool {
        self.inner.selection_kept()
    }

    fn selected_on_open(&self) -> Option<mynacard::applets::Aid> {
        self.inner.selected_on_open()
    }

    fn prior_exchanges(&self) -> Vec<mynacard::transport::Exchange> {
        self.inner.prior_exchanges()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut card = Card::new(Logging {
        inner: VirtualCard::new(),
    });
    let before = card.pin_status(PinKind::UserAuth)?;
    card.verify(&AuthPin::parse("1234")?)?; // logged as 2A2A2A2A, never the digits
    card.unpower()?;
    println!(
        "user-authentication PIN: {:?} tries left, {} exchanges",
        before.tries_left(),
        card.exchanges()
    );
    Ok(())
}
