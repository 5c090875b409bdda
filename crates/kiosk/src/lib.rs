//! The guided PIN-reset flow of a self-service kiosk or a counter terminal, as a library that a
//! vendor's own UI can drive.
//!
//! [`flow`] holds the steps, the prompts and the outcomes; [`console`] is how the flow talks to a
//! person. The `myna-kiosk` binary is one front end of it: a terminal console, or a script of
//! answers with a transcript.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod console;
pub mod flow;
