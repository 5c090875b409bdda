//! How a connection is opened: sharing, extended length, which reader.

use std::time::Duration;

/// How the connection shares the card with other programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Share {
    /// Other programs may use the card between this program's transactions. For reads.
    #[default]
    Shared,
    /// No other program may connect while this connection is open. For PIN operations.
    Exclusive,
}

impl Share {
    pub(super) fn mode(self) -> pcsc::ShareMode {
        match self {
            Share::Shared => pcsc::ShareMode::Shared,
            Share::Exclusive => pcsc::ShareMode::Exclusive,
        }
    }
}

/// Whether to send extended-length APDUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Extended {
    /// Ask the reader; if it cannot tell, try once and fall back on failure.
    #[default]
    Auto,
    /// Always allow them (the session still falls back if the card refuses).
    Allow,
    /// Never send them: short APDUs only.
    Never,
}

/// Which reader to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderChoice {
    /// The first reader that holds a My Number Card.
    Auto,
    /// A reader by name: its exact name, or a part of it that matches exactly one reader
    /// (case-insensitive).
    Name(String),
}

impl ReaderChoice {
    /// `auto` (any case) means [`ReaderChoice::Auto`]; anything else is a name.
    pub fn parse(s: &str) -> Self {
        if s.eq_ignore_ascii_case("auto") {
            ReaderChoice::Auto
        } else {
            ReaderChoice::Name(s.to_owned())
        }
    }
}

/// The default of [`Options::linger`]: long enough for the calls of one program that follow one
/// another (a PKCS#11 client's login then sign), short enough that another program waiting for
/// the card hardly notices.
pub const DEFAULT_LINGER: Duration = Duration::from_millis(500);

/// How to open a reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Shared (reads) or exclusive (PIN operations).
    pub share: Share,
    /// How long to wait for a reader, a card, or another program to release the card.
    pub timeout: Duration,
    /// Extended-length policy.
    pub extended: Extended,
    /// On a shared connection, how long the card stays reserved (the PC/SC transaction kept
    /// open) after the discovery and after each operation, waiting for the next one. An
    /// operation that begins within it knows that no other program has selected anything in
    /// between, so it does not select its application again; after it, the next operation
    /// selects again. A command or transaction of another program waits meanwhile (pcsc-lite
    /// holds it until the card is released). So that a program working without pause cannot
    /// keep others out, the card is kept at most 2 s in a row this way; after that it is released
    /// and not kept again for 2 s. `Duration::ZERO` releases the card at once after every
    /// operation. Not used on exclusive connections, which no other program can reach anyway.
    pub linger: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            share: Share::Shared,
            timeout: Duration::from_secs(30),
            extended: Extended::Auto,
            linger: DEFAULT_LINGER,
        }
    }
}
