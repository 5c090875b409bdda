//! Your own reader: implement [`Transport`] and hand it to [`Card`]; or wrap one: implement
//! [`Wrapper`].
//!
//! A transport only moves bytes: one command APDU in, the response (data and status word) out.
//! A transport for real hardware (a USB CCID device, a phone's NFC link, a network relay)
//! implements [`Transport::transmit`]; it must never re-send a command by itself, because a
//! re-sent VERIFY spends a second try.
//!
//! This example wraps another transport (here the virtual card) and logs each exchange, with
//! the data of PIN-carrying commands masked by [`mask_command`] so that no PIN reaches the log.
//! A wrapper implements [`Wrapper`]: it names its inner transport and overrides only what it
//! intercepts (here `transmit`); every other method (transactions, unpower, whether the
//! connection is shared, what the discovery selected) reaches the inner transport by
//! construction, so that no wrapper can hide one from the session.
//!
//! ```sh
//! cargo run --example custom_transport --features sim
//! ```

use mynacard::credential::AuthPin;
use mynacard::pin::PinKind;
use mynacard::sim::VirtualCard;
use mynacard::transport::{mask_command, Transport, TransportError, Wrapper};
use mynacard::Card;

/// Logs every exchange of the transport it wraps to standard error.
struct Logging<T> {
    inner: T,
}

impl<T: Transport> Wrapper for Logging<T> {
    type Inner = T;

    fn inner(&self) -> &T {
        &self.inner
    }

    fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    // The one method it intercepts.
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
