//! The virtual card in your own crate's tests.
//!
//! Your code talks to the card through `Card<T>` for any `T: Transport`; in production `T` is a
//! PC/SC transport, in tests the in-process virtual card. In your `Cargo.toml`:
//!
//! ```toml
//! [dependencies]
//! mynacard = "0.1"
//!
//! [dev-dependencies]
//! mynacard = { version = "0.1", features = ["sim"] }
//! ```
//!
//! The virtual card keeps real retry counters, so a test can check what your code does on a
//! wrong PIN, on the last try, or with a blocked PIN, without risking a real card. The functions
//! below are the "downstream" code; the `#[test]`s are how its tests look. This file is an
//! example rather than a test file so that it can show both halves in one place; run its tests
//! with:
//!
//! ```sh
//! cargo test --example downstream_tests --features sim
//! ```

use mynacard::credential::AuthPin;
use mynacard::pin::PinKind;
use mynacard::transport::Transport;
use mynacard::{Card, Error};

/// Downstream code: logs in with the user-authentication PIN, refusing to spend the last try
/// (the library's lockout guard does that by default).
pub fn log_in<T: Transport>(card: &mut Card<T>, pin: &str) -> Result<(), Error> {
    let pin = AuthPin::parse(pin)?;
    let result = card.verify(&pin);
    card.unpower()?;
    result
}

/// Downstream code: how many tries the user has left, for the login screen.
pub fn tries_left<T: Transport>(card: &mut Card<T>) -> Result<Option<u8>, Error> {
    Ok(card.pin_status(PinKind::UserAuth)?.tries_left())
}

fn main() {
    println!("run: cargo test --example downstream_tests --features sim");
}

#[cfg(test)]
mod tests {
    use super::*;
    use mynacard::sim::VirtualCard;

    #[test]
    fn the_right_pin_logs_in_and_keeps_every_try() {
        let mut card = Card::new(VirtualCard::new());
        log_in(&mut card, "1234").unwrap();
        assert_eq!(tries_left(&mut card).unwrap(), Some(3));
    }

    #[test]
    fn a_wrong_pin_costs_one_try() {
        let mut card = Card::new(VirtualCard::new());
        assert!(matches!(
            log_in(&mut card, "0000"),
            Err(Error::WrongPin { .. })
        ));
        assert_eq!(tries_left(&mut card).unwrap(), Some(2));
    }

    #[test]
    fn the_last_try_is_refused_without_being_sent() {
        let mut card = Card::new(VirtualCard::new());
        log_in(&mut card, "0000").unwrap_err();
        log_in(&mut card, "0000").unwrap_err();
        // One try left: the guard refuses even the right PIN, and the counter stays at 1.
        assert!(matches!(
            log_in(&mut card, "1234"),
            Err(Error::LastTry { .. })
        ));
        assert_eq!(tries_left(&mut card).unwrap(), Some(1));
    }
}
