//! The guided PIN-reset flow of a self-service kiosk or a counter terminal, as a library that a
//! vendor's own UI can drive.
//!
//! [`flow`] is the flow as a state machine ([`flow::Kiosk`]): a vendor's UI asks it what to show
//! or ask next ([`flow::Step`]), shows it, and hands the answer back. [`text`] holds every text of
//! the kiosk's own in Japanese and English (the state machine spells none); the card's words (the
//! PINs' names, the reset rules, the library's errors) are the library's, in the one wording
//! every front end shows. [`console`] is one front end of the machine, for text terminals
//! ([`console::run`]): the `myna-kiosk` binary runs it on the terminal, or on a script of answers
//! with a transcript.

#![forbid(unsafe_code)]
// `missing_docs` is denied by the workspace lints (root Cargo.toml).

pub mod audit;
pub mod console;
pub mod flow;
pub mod text;
pub mod web;
