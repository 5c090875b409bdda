//! # mynacard-webeid
//!
//! A [Web eID](https://web-eid.eu/) native application for the My Number Card, and a validator
//! of its authentication tokens for relying parties.
//!
//! * [`protocol`]: native-messaging framing, the commands and their argument checks, the error
//!   replies;
//! * [`token`]: the authentication token and the value it signs;
//! * [`host`]: one command against the card (PIN dialog, lockout guard, signing through the
//!   `mynacard` library), the card connection;
//! * [`pinentry`]: the PIN dialog through a `pinentry` program (Assuan);
//! * [`install`]: the browsers' host manifests;
//! * [`validator`]: checking a token on the server.
//!
//! The binary `myna-webeid` is the native application; see the crate's README.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod host;
pub mod install;
pub mod pinentry;
pub mod protocol;
pub mod token;
pub mod validator;

/// The README's examples, compiled as doctests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
