//! # mynacard
//!
//! The Japanese My Number Card (マイナンバーカード) at the APDU level: typed PINs, their retry
//! counters, the APDU sequences to check, verify and change them, and a faithful virtual card to
//! test against.
//!
//! ```
//! # #[cfg(feature = "sim")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use mynacard::{Card, credential::AuthPin, pin::PinKind, sim::VirtualCard};
//!
//! let mut card = Card::new(VirtualCard::new());
//! let status = card.pin_status(PinKind::UserAuth)?;
//! assert_eq!(status.tries_left(), Some(3));
//! card.verify(&AuthPin::parse("1234")?)?;
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "sim"))]
//! # fn main() {}
//! ```
//!
//! Layers, each depending only on those below it (the order, its invariants and the test that
//! checks them are in `docs/ARCHITECTURE.md`): [`apdu`], [`tlv`], [`crypto`], [`holder`] and
//! [`applets`] (codecs and plain data); [`pin`], [`credential`] (typed secrets), [`policy`] (who
//! may reset which PIN where) and [`cvc`] (card-verifiable certificates); [`transport`] (bytes
//! in, bytes out); [`error`]; [`session`] (selection cache, `61xx`/`6Cxx`, reads with capability
//! fallback); [`Card`] (transactions, PIN status, the guarded VERIFY, CHANGE, unpower); the
//! applications: [`cert`] (JPKI certificates, token info, the chain to the J-LIS roots),
//! [`presence`] (a challenge the card signs, proving it is present), [`card_identity`] (the
//! 共通カードAP serial, municipality and expiry), [`reset`] (PIN reset through a terminal
//! authority), [`sign`] (the six signing schemes, every signature checked), [`text_assist`] (the
//! basic four attributes and the My Number with their integrity record), [`surface`] (the card
//! face, photo and age record of the card-surface AP); and at the top `pcsc` (real readers,
//! feature `pcsc`) and `sim` (the virtual card, feature `sim`). Feature `ecdsa` lets certificate
//! chains have ECDSA (P-256/P-384) CA keys, as the next-generation card's are announced to
//! ([`cert`] says what is accepted without it).
//!
//! ```
//! # #[cfg(feature = "sim")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use mynacard::cert::CertKind;
//! use mynacard::credential::AuthPin;
//! use mynacard::crypto::HashAlgorithm;
//! use mynacard::sign::{SignOptions, SignatureScheme, ToSign};
//! use mynacard::{sim::VirtualCard, Card};
//!
//! let mut card = Card::new(VirtualCard::new());
//! let cert = card.jpki().read_certificate(CertKind::Auth)?;
//! println!("{}", cert.subject());
//! let sig = card.jpki().sign(
//!     &AuthPin::parse("1234")?,
//!     SignatureScheme::Pkcs1v15(HashAlgorithm::Sha256),
//!     ToSign::Message(b"hello"),
//!     &SignOptions::default(),
//! )?;
//! assert!(sig.checked);
//! card.unpower()?;
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "sim"))]
//! # fn main() {}
//! ```
//!
//! Facts about the card are cited from [card facts](crate::card_facts) by section (§).

#![forbid(unsafe_code)]
// `missing_docs` is denied by the workspace lints (root Cargo.toml).

pub mod apdu;
pub mod applets;
mod card;
/// The card facts the code relies on, with their public sources (`docs/card.md`).
pub mod card_facts;
pub mod card_identity;
pub mod cert;
pub mod credential;
pub mod crypto;
pub mod cvc;
pub mod error;
pub mod events;
pub mod holder;
pub mod lang;
pub mod mf;
#[cfg(feature = "pcsc")]
pub mod pcsc;
pub mod pin;
pub mod policy;
pub mod presence;
pub mod reset;
pub mod session;
pub mod sign;
#[cfg(feature = "sim")]
pub mod sim;
pub mod sm;
pub mod surface;
pub mod text_assist;
pub mod tlv;
pub mod transport;

pub use card::{Card, LastTry};
pub use error::{Advice, Error, Held, Result, TornChange};
pub use lang::Lang;

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(all(doctest, feature = "sim"))]
pub struct ReadmeDoctests;
