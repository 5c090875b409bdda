//! The crate's error type. Errors carry the PIN kind and the tries left where a PIN is involved,
//! and never a PIN, password or My Number.

mod advice;
mod ja;
#[cfg(test)]
mod tests;

use crate::apdu::{ApduError, StatusWord};
use crate::applets::Fid;
use crate::credential::{CredentialError, CredentialKind};
use crate::crypto::TrustError;
use crate::pin::{PinKind, PinStatus, RetryState};
use crate::transport::TransportError;

pub use advice::{Advice, Held, TornChange};

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value was refused before anything was sent to the card.
    #[error(transparent)]
    Credential(#[from] CredentialError),
    /// The transport failed. Where a PIN command was in flight, see [`Error::UnknownOutcome`].
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// The card was reset or repowered by someone else: PIN verification done earlier in this
    /// session is lost and the application must be selected again. Nothing was silently retried.
    #[error("the card was reset: earlier PIN verification is lost; verify again if needed")]
    CardReset,
    /// A command could not be encoded.
    #[error(transparent)]
    Apdu(#[from] ApduError),
    /// The card refused a command with an unexpected status word.
    #[error("{operation}: the card answered {sw} ({meaning})")]
    Card {
        /// What was being done.
        operation: &'static str,
        /// The status word.
        sw: StatusWord,
        /// A short explanation.
        meaning: &'static str,
    },
    /// A PIN was wrong.
    #[error("{}", wrong_pin_message(*.kind, *.tries_left))]
    WrongPin {
        /// Which PIN.
        kind: PinKind,
        /// Tries left.
        tries_left: u8,
    },
    /// The PIN is blocked; nothing was sent.
    #[error("the {kind} is blocked and was not sent; {}", .kind.where_to_reset())]
    Blocked {
        /// Which PIN.
        kind: PinKind,
    },
    /// The lockout guard refused a VERIFY that would be the last try.
    #[error("refused: the {kind} has 1 try left and a wrong value would lock it; nothing was sent (allow the last try explicitly to go on)")]
    LastTry {
        /// Which PIN.
        kind: PinKind,
    },
    /// A file needs a PIN or key that has not been verified in this session.
    #[error("{what} needs {needs} first")]
    NeedsVerification {
        /// What was asked for.
        what: &'static str,
        /// What opens it.
        needs: &'static str,
    },
    /// A file or application is not on the card.
    #[error("{what} is not on this card")]
    NotFound {
        /// What was looked for.
        what: &'static str,
    },
    /// Data read from the card did not parse.
    #[error("EF {fid} ({what}): {reason}")]
    Parse {
        /// The file.
        fid: Fid,
        /// What it holds.
        what: &'static str,
        /// Why it did not parse.
        reason: String,
    },
    /// A residence-PIN change failed on the second key reference, and the first was changed back:
    /// the old PIN is in effect on both.
    #[error("the residence PIN change failed on 共通カードAP ({cause}); 住基AP was changed back, so the old PIN still works in both places")]
    ChangeRolledBack {
        /// Why the second change failed.
        cause: Box<Error>,
    },
    /// The outcome of a command that changes the card is unknown (for example the card was
    /// removed while it ran). The message says what may have happened and what to do.
    #[error("{operation}: the outcome is unknown ({cause}). {advice}")]
    UnknownOutcome {
        /// What was in flight.
        operation: &'static str,
        /// The transport failure.
        cause: TransportError,
        /// What the caller should do next.
        advice: Advice,
    },
    /// The card answered with more data than the protocol allows, or GET RESPONSE never ended.
    #[error("{0}")]
    Protocol(&'static str),
    /// Data read from the card, or a signature the card made, failed its check (a digest that
    /// does not match, a signature that does not verify under the certificate's key).
    #[error("{what}: {reason}")]
    Integrity {
        /// What was checked.
        what: &'static str,
        /// Why it failed.
        reason: String,
    },
    /// A certificate chain did not verify to a trusted root.
    #[error("certificate chain: {0}")]
    Trust(#[from] TrustError),
    /// Something this library, the card or the reader cannot do (the message says what to do
    /// instead).
    #[error("not supported: {0}")]
    Unsupported(String),
    /// A PIN reset failed in a way only a reset can: see [`ResetError`].
    #[error(transparent)]
    Reset(#[from] ResetError),
    /// A 照合番号 (matching number A or B) was wrong.
    #[error("wrong {kind}: {tries_left} tries left before it locks")]
    WrongMatchingNumber {
        /// Which one.
        kind: CredentialKind,
        /// Tries left.
        tries_left: u8,
    },
    /// A 照合番号 is blocked; nothing was sent. Only the municipal counter can reset it.
    #[error("the {kind} is blocked and was not sent; use the PIN, or ask the municipal counter (市区町村窓口)")]
    MatchingNumberBlocked {
        /// Which one.
        kind: CredentialKind,
    },
    /// The lockout guard refused a VERIFY of a 照合番号 that would be the last try.
    #[error("refused: the {kind} has 1 try left and a wrong value would lock it; nothing was sent (allow the last try explicitly to go on)")]
    MatchingNumberLastTry {
        /// Which one.
        kind: CredentialKind,
    },
}

/// Why a PIN reset through a terminal authority failed, where only a reset can fail so (the
/// route, the terminal, the card's refusal, a reset done on one key reference only): carried
/// by [`Error::Reset`]. Never contains a PIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResetError {
    /// The terminal's route cannot reset this PIN. Nothing was sent.
    #[error("the {terminal} cannot reset the {kind}; nothing was sent. {}", .kind.where_to_reset())]
    NotPermitted {
        /// The PIN.
        kind: PinKind,
        /// The terminal, as it describes itself.
        terminal: String,
    },
    /// The route needs the other JPKI PIN, and it was not given. Nothing was sent.
    #[error("resetting the {kind} through the {terminal} needs the {needs}; nothing was sent")]
    OtherPinNeeded {
        /// The PIN to reset.
        kind: PinKind,
        /// The PIN that must be verified first.
        needs: PinKind,
        /// The terminal.
        terminal: String,
    },
    /// The card refused the terminal's authentication.
    #[error("{application}: the card refused the terminal authentication ({operation}: {sw}, {})", sw_meaning(*.sw))]
    TerminalRefused {
        /// The application.
        application: &'static str,
        /// The refused command.
        operation: &'static str,
        /// The card's answer.
        sw: StatusWord,
    },
    /// A command the terminal authority supplied is not the one its step must send (a VERIFY,
    /// say, that would spend a try, where RESET RETRY COUNTER must go): it was not sent.
    #[error("the {terminal} supplied instruction {ins:02X} for {step}, which must be {expected}; it was not sent")]
    WrongCommand {
        /// The terminal, as it describes itself.
        terminal: String,
        /// The step (for example "the wrapped RESET RETRY COUNTER").
        step: &'static str,
        /// The command or commands the step must be.
        expected: &'static str,
        /// The instruction byte supplied.
        ins: u8,
    },
    /// The card refused RESET RETRY COUNTER: the PIN is unchanged in that application.
    #[error("{application}: the card refused to reset the {kind} ({sw}, {}); it is unchanged there", sw_meaning(*.sw))]
    Refused {
        /// The PIN.
        kind: PinKind,
        /// The application.
        application: &'static str,
        /// The card's answer.
        sw: StatusWord,
    },
    /// The card accepted the reset, but the status query afterwards does not show a full counter.
    #[error("{application}: the card accepted the reset of the {kind}, but its counter now reads {state:?}")]
    NotConfirmed {
        /// The PIN.
        kind: PinKind,
        /// The application.
        application: &'static str,
        /// What the status query answered.
        state: RetryState,
    },
    /// The residence PIN was reset on its first key reference (住基AP) but not on the second
    /// (共通カードAP). A reset cannot be rolled back (the old value is not known), so the two
    /// references now differ; `advice` says what to do.
    #[error("the {kind} was reset in {reset} but not in {not_reset} ({cause}). {advice}")]
    Partial {
        /// The PIN (the residence PIN).
        kind: PinKind,
        /// The application where it was reset.
        reset: &'static str,
        /// The application where it was not (or may not have been) reset.
        not_reset: &'static str,
        /// Why the second failed.
        cause: Box<Error>,
        /// The status of both references, read after the failure where the card still answered.
        status: Option<PinStatus>,
        /// What to do next.
        advice: Box<Advice>,
    },
}

impl Error {
    /// Whether nothing was sent to the card: the refusal came from the input or, for a reset,
    /// from the route.
    pub fn nothing_sent(&self) -> bool {
        matches!(
            self,
            Error::Reset(ResetError::NotPermitted { .. } | ResetError::OtherPinNeeded { .. })
                | Error::Credential(_)
        )
    }

    /// The tries left, where the error knows them.
    pub fn tries_left(&self) -> Option<u8> {
        match self {
            Error::WrongPin { tries_left, .. } => Some(*tries_left),
            Error::WrongMatchingNumber { tries_left, .. } => Some(*tries_left),
            Error::Blocked { .. } | Error::MatchingNumberBlocked { .. } => Some(0),
            Error::LastTry { .. } | Error::MatchingNumberLastTry { .. } => Some(1),
            _ => None,
        }
    }

    /// The PIN kind involved, where there is one.
    pub fn pin_kind(&self) -> Option<PinKind> {
        match self {
            Error::WrongPin { kind, .. } | Error::Blocked { kind } | Error::LastTry { kind } => {
                Some(*kind)
            }
            Error::ChangeRolledBack { .. } => Some(PinKind::Residence),
            _ => None,
        }
    }
}

/// A short English meaning for a status word, for error messages.
pub fn sw_meaning(sw: StatusWord) -> &'static str {
    use crate::apdu::Status::*;
    match sw.status() {
        Success => "success",
        MoreData(_) => "more data available",
        EndOfFile => "end of file reached",
        VerificationFailed | TriesLeft(_) => "verification failed",
        WrongLength => "wrong length",
        SecurityStatusNotSatisfied => "security status not satisfied",
        AuthenticationBlocked | ReferenceDataBlocked => "blocked",
        ConditionsNotSatisfied => "conditions of use not satisfied",
        CommandNotAllowed => "command not allowed",
        IncorrectData => "incorrect data",
        FunctionNotSupported => "function not supported",
        FileNotFound => "file or application not found",
        RecordNotFound => "record not found",
        IncorrectP1P2 => "incorrect parameters P1-P2",
        WrongParameters => "wrong parameters (offset past the end)",
        WrongLe(_) => "wrong Le",
        InstructionNotSupported => "instruction not supported",
        ClassNotSupported => "class not supported",
        _ => "unexpected status",
    }
}

/// Shorthand.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn wrong_pin_message(kind: PinKind, tries_left: u8) -> String {
    match tries_left {
        0 => format!(
            "wrong {kind}: that was the last try and it is now blocked; {}",
            kind.where_to_reset()
        ),
        1 => format!("wrong {kind}: 1 try left before it locks"),
        n => format!("wrong {kind}: {n} tries left before it locks"),
    }
}
