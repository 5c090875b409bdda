//! Exit codes, and the failure type that carries one.

use mynacard::error::ResetError;
use mynacard::Error;

/// Success.
pub const OK: u8 = 0;
/// Any other failure (card error, I/O).
pub const FAILURE: u8 = 1;
/// Bad command-line usage.
pub const USAGE: u8 = 2;
/// A PIN was wrong (a try was spent).
pub const WRONG_PIN: u8 = 3;
/// The PIN is blocked; nothing was sent.
pub const BLOCKED: u8 = 4;
/// The lockout guard refused to spend the last try (`--allow-last-try` overrides).
pub const LAST_TRY: u8 = 5;
/// A PIN or other input broke a format rule; nothing was sent.
pub const INVALID_INPUT: u8 = 6;
/// No card, no reader, the card was removed or reset, or the virtual card's state is unusable.
pub const NO_CARD: u8 = 7;
/// The outcome of a PIN change is unknown (check `status`).
pub const UNKNOWN_OUTCOME: u8 = 8;
/// A residence-PIN change failed half-way and was rolled back: the old PIN still works.
pub const ROLLED_BACK: u8 = 9;
/// The reset is not possible on this route (the rules of
/// [card facts §11](mynacard::card_facts#s11)); nothing was sent.
pub const NOT_POSSIBLE: u8 = 10;
/// A residence-PIN reset reached only one of its two key references.
pub const PARTIAL_RESET: u8 = 11;
/// The result could not be written to standard output (a full disk or `/dev/full`, a closed
/// pipe); the message goes to standard error. The card operation may already be done (a
/// verify spent its try, a change took effect): `status` shows the counters. When only the
/// report of another failure could not be written (`--json` to a closed standard output), the
/// exit code stays that failure's, and the message goes to standard error. (12 is the kiosk's
/// "cancelled".)
pub const OUTPUT: u8 = 13;

/// The exit-code table for `--help`.
pub const HELP: &str = "Exit codes:
  0  success
  1  other failure (card error, I/O)
  2  bad usage
  3  wrong PIN (a try was spent)
  4  PIN blocked (nothing was sent)
  5  refused: the last try needs --allow-last-try (nothing was sent)
  6  invalid input, e.g. a PIN of the wrong format (nothing was sent)
  7  no card or reader, card removed or reset, or virtual-card state unusable
  8  outcome unknown: run `status` (it spends no try)
  9  residence-PIN change rolled back: the old PIN still works
 10  reset not possible on this route; the message says where to go (nothing was sent)
 11  residence-PIN reset reached only one of its two key references: run it again
 12  verify FILE: a signature is not valid, or the file holds none
 13  the result could not be written to standard output (full disk, closed pipe);
     the card operation may be done: run `status`. A failure whose report could not
     be written keeps its own code; the message goes to standard error";

/// A failure with its exit code and message.
#[derive(Debug)]
pub struct Failure {
    /// Exit code.
    pub code: u8,
    /// Message (never a secret).
    pub message: String,
    /// Tries left, where known.
    pub tries_left: Option<u8>,
}

impl Failure {
    /// A failure with a code.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
            tries_left: None,
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        let code = match &e {
            Error::WrongPin { .. } | Error::WrongMatchingNumber { .. } => WRONG_PIN,
            Error::Blocked { .. } | Error::MatchingNumberBlocked { .. } => BLOCKED,
            Error::LastTry { .. } | Error::MatchingNumberLastTry { .. } => LAST_TRY,
            Error::Credential(_) => INVALID_INPUT,
            Error::Transport(_) | Error::CardReset => NO_CARD,
            Error::UnknownOutcome { .. } => UNKNOWN_OUTCOME,
            Error::ChangeRolledBack { .. } => ROLLED_BACK,
            Error::Reset(ResetError::NotPermitted { .. } | ResetError::OtherPinNeeded { .. }) => {
                NOT_POSSIBLE
            }
            Error::Reset(ResetError::Partial { .. }) => PARTIAL_RESET,
            _ => FAILURE,
        };
        Failure {
            code,
            tries_left: e.tries_left(),
            message: e.message(crate::i18n::lang()),
        }
    }
}

impl From<mynacard::credential::CredentialError> for Failure {
    fn from(e: mynacard::credential::CredentialError) -> Self {
        Failure::from(Error::from(e))
    }
}
