//! # mynacard
//!
//! The Japanese My Number Card (マイナンバーカード) at the APDU level: typed PINs, their retry
//! counters, the APDU sequences to check, verify and change them, and a faithful virtual card to
//! test against.
//!
//! ```
//! use mynacard::{Card, credential::AuthPin, pin::PinKind, sim::VirtualCard};
//!
//! let mut card = Card::new(VirtualCard::new());
//! let status = card.pin_status(PinKind::UserAuth)?;
//! assert_eq!(status.tries_left(), Some(3));
//! card.verify(&AuthPin::parse("1234")?)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Layers, each depending only on those below it (see `design.md` in the project's shared
//! notes): [`apdu`] and [`tlv`] (pure codecs), [`transport`] (bytes in, bytes out),
//! [`session`] (selection cache, `61xx`/`6Cxx`, reads with capability fallback), [`credential`]
//! (typed secrets), [`pin`] (kinds and status), [`Card`] (the operations), [`cert`] (JPKI
//! certificates, token info, the chain to the J-LIS roots), [`sign`] (the six signing schemes,
//! every signature checked), [`text_assist`] (the basic four attributes and the My Number with
//! their integrity record), [`surface`] (the card face, photo and age record of the card-surface
//! AP), [`cvc`] (card-verifiable certificates and their issuer keys), [`presence`] (a challenge
//! the card signs, proving it is present), [`card_identity`] (the 共通カードAP serial, municipality
//! and expiry), [`reset`] (PIN reset through a terminal authority), [`policy`] (who
//! may reset which PIN where), [`pcsc`] (real readers, feature `pcsc`), and [`sim`] (the virtual
//! card, feature `sim`).
//!
//! ```
//! use mynacard::cert::CertKind;
//! use mynacard::credential::AuthPin;
//! use mynacard::sign::{HashAlgorithm, SignOptions, SignatureScheme, ToSign};
//! use mynacard::{sim::VirtualCard, Card};
//!
//! let mut card = Card::new(VirtualCard::new());
//! let cert = card.read_certificate(CertKind::Auth)?;
//! println!("{}", cert.subject());
//! let sig = card.sign(
//!     &AuthPin::parse("1234")?,
//!     SignatureScheme::Pkcs1v15(HashAlgorithm::Sha256),
//!     ToSign::Message(b"hello"),
//!     &SignOptions::default(),
//! )?;
//! assert!(sig.checked);
//! card.unpower()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Facts about the card are cited from `card-facts.md` by section (§).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod apdu;
pub mod applets;
mod card;
/// The card facts the code relies on, with their public sources (`docs/card.md`).
pub mod card_facts;
pub mod card_identity;
pub mod cert;
pub mod credential;
pub mod cvc;
pub mod error;
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
pub use error::{Error, Result};

/// The README's examples, compiled and run as doctests.
#[doc = include_str!("../README.md")]
#[cfg(all(doctest, feature = "sim"))]
pub struct ReadmeDoctests;
