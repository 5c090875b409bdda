//! Errors at the boundary: a status code and the message in both languages, kept per thread
//! for `mynacard_last_error_message()`; and the crate's language setting.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU32, Ordering};

use mynacard::error::ResetError;
use mynacard::Error;

use crate::types::mynacard_status::{self, *};

/// The message language: 0 Japanese, 1 English (`mynacard_language`).
static LANGUAGE: AtomicU32 = AtomicU32::new(0);

/// Messages in one language: the library's own, so that the boundary's texts and the
/// library's error messages (`Error::message`) follow one setting.
pub use mynacard::Lang;

/// Sets the crate's language.
pub fn set_language(lang: Lang) {
    LANGUAGE.store(
        match lang {
            Lang::Ja => 0,
            Lang::En => 1,
        },
        Ordering::Relaxed,
    );
}

/// The crate's language.
pub fn language() -> Lang {
    match LANGUAGE.load(Ordering::Relaxed) {
        1 => Lang::En,
        _ => Lang::Ja,
    }
}

/// An error at the boundary. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FfiError {
    /// The status code returned.
    pub status: mynacard_status,
    /// 日本語のメッセージ.
    pub ja: String,
    /// The English message.
    pub en: String,
    /// Tries left of the PIN involved, where known.
    pub tries_left: Option<u8>,
}

impl FfiError {
    /// An error with both messages.
    pub fn new(status: mynacard_status, ja: impl Into<String>, en: impl Into<String>) -> Self {
        FfiError {
            status,
            ja: ja.into(),
            en: en.into(),
            tries_left: None,
        }
    }

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => &self.ja,
            Lang::En => &self.en,
        }
    }

    /// A NULL argument.
    pub fn null(name: &str) -> Self {
        Self::new(
            MYNACARD_NULL_POINTER,
            format!("引数 {name} が NULL です。カードには何も送っていません。"),
            format!("argument {name} is NULL; nothing was sent to the card"),
        )
    }

    /// A handle that is not open.
    pub fn invalid_handle(what: &str) -> Self {
        Self::new(
            MYNACARD_INVALID_HANDLE,
            format!("{what} のハンドルが無効です（開かれていないか、既に閉じられています）。"),
            format!("the {what} handle is not open (never opened, or already closed)"),
        )
    }

    /// An out-of-range enum value or flag.
    pub fn invalid_argument(name: &str, value: impl std::fmt::Display) -> Self {
        Self::new(
            MYNACARD_INVALID_ARGUMENT,
            format!("引数 {name} の値 {value} は使えません。カードには何も送っていません。"),
            format!("argument {name}: {value} is not a valid value; nothing was sent to the card"),
        )
    }

    /// Text that is not UTF-8.
    pub fn invalid_utf8(name: &str) -> Self {
        Self::new(
            MYNACARD_INVALID_UTF8,
            format!("引数 {name} が正しい UTF-8 ではありません。カードには何も送っていません。"),
            format!("argument {name} is not valid UTF-8; nothing was sent to the card"),
        )
    }

    /// A caller buffer too small.
    pub fn too_small(name: &str, needed: usize) -> Self {
        Self::new(
            MYNACARD_BUFFER_TOO_SMALL,
            format!("{name} が小さすぎます。{needed} バイト必要です。"),
            format!("{name} is too small: {needed} bytes are needed"),
        )
    }

    /// A caller array too small: `needed` entries (structs), not bytes.
    pub fn too_few_entries(name: &str, needed: usize) -> Self {
        Self::new(
            MYNACARD_BUFFER_TOO_SMALL,
            format!("{name} が小さすぎます。{needed} 個の要素が必要です。カードには何も送っていません。"),
            format!("{name} is too small: {needed} entries are needed; nothing was sent to the card"),
        )
    }

    /// A feature not built in.
    #[cfg(not(all(feature = "sim", feature = "pcsc")))]
    pub fn unsupported(ja: &str, en: &str) -> Self {
        Self::new(MYNACARD_UNSUPPORTED, ja, en)
    }
}

thread_local! {
    static LAST: RefCell<Option<FfiError>> = const { RefCell::new(None) };
}

/// Records the outcome of a call for this thread.
pub fn set_last(e: Option<FfiError>) {
    LAST.with(|l| *l.borrow_mut() = e);
}

/// This thread's last error.
pub fn last() -> Option<FfiError> {
    LAST.with(|l| l.borrow().clone())
}

/// The status code of a library error.
fn status_of(e: &Error) -> mynacard_status {
    match e {
        Error::Credential(_) => MYNACARD_INVALID_SECRET,
        Error::WrongPin { .. } | Error::WrongMatchingNumber { .. } => MYNACARD_WRONG_PIN,
        Error::Blocked { .. } | Error::MatchingNumberBlocked { .. } => MYNACARD_BLOCKED,
        Error::LastTry { .. } | Error::MatchingNumberLastTry { .. } => MYNACARD_LAST_TRY_REFUSED,
        Error::NeedsVerification { .. } => MYNACARD_NEEDS_VERIFICATION,
        Error::NotFound { .. } => MYNACARD_NOT_FOUND,
        Error::Parse { .. } | Error::Protocol(_) | Error::Apdu(_) => MYNACARD_PARSE,
        Error::Integrity { .. } | Error::Trust(_) => MYNACARD_INTEGRITY,
        Error::Unsupported(_) => MYNACARD_UNSUPPORTED,
        Error::CardReset => MYNACARD_CARD_RESET,
        Error::UnknownOutcome { .. } => MYNACARD_UNKNOWN_OUTCOME,
        Error::ChangeRolledBack { .. } => MYNACARD_CHANGE_ROLLED_BACK,
        Error::Card { .. } => MYNACARD_CARD_ERROR,
        Error::Transport(_) => MYNACARD_TRANSPORT,
        _ => MYNACARD_CARD_ERROR,
    }
}

/// The status code of a reset error (a reset's own failures have their own codes).
fn reset_status_of(e: &Error) -> mynacard_status {
    match e {
        Error::Reset(r) => match r {
            ResetError::NotPermitted { .. } => MYNACARD_NOT_PERMITTED,
            ResetError::OtherPinNeeded { .. } => MYNACARD_OTHER_PIN_NEEDED,
            ResetError::TerminalRefused { .. } => MYNACARD_TERMINAL_REFUSED,
            // In the C ABI, only a vendor's callbacks supply commands.
            ResetError::WrongCommand { .. } => MYNACARD_CALLBACK_GARBAGE,
            ResetError::Refused { .. } => MYNACARD_RESET_REFUSED,
            ResetError::NotConfirmed { .. } => MYNACARD_RESET_NOT_CONFIRMED,
            ResetError::Partial { .. } => MYNACARD_RESET_PARTIAL,
            _ => MYNACARD_CARD_ERROR,
        },
        other => status_of(other),
    }
}

/// A library error at the boundary with `status`: the library's own messages
/// ([`Error::message`]) in both languages.
fn with_status(e: &Error, status: mynacard_status) -> FfiError {
    FfiError {
        status,
        ja: e.message(Lang::Ja),
        en: e.message(Lang::En),
        tries_left: e.tries_left(),
    }
}

/// A library error as a boundary error.
pub fn from_error(e: &Error) -> FfiError {
    with_status(e, status_of(e))
}

/// A reset error as a boundary error.
pub fn from_reset_error(e: &Error) -> FfiError {
    with_status(e, reset_status_of(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use mynacard::pin::PinKind;

    #[test]
    fn library_errors_read_as_the_library_writes_them() {
        let cases = [
            (
                Error::WrongPin {
                    kind: PinKind::UserAuth,
                    tries_left: 2,
                },
                MYNACARD_WRONG_PIN,
            ),
            (
                mynacard::reset::AnyPin::parse(PinKind::Signature, "abc123")
                    .unwrap_err()
                    .into(),
                MYNACARD_INVALID_SECRET,
            ),
            (
                Error::Reset(ResetError::NotPermitted {
                    kind: PinKind::Residence,
                    terminal: "kiosk".into(),
                }),
                MYNACARD_NOT_PERMITTED,
            ),
        ];
        for (e, status) in cases {
            let f = from_reset_error(&e);
            assert_eq!(f.status, status);
            assert_eq!(f.message(Lang::Ja), e.message(Lang::Ja));
            assert_eq!(f.message(Lang::En), e.to_string());
            assert_ne!(f.ja, f.en);
        }
        // Outside a reset, a reset error keeps the generic code.
        let e = Error::Reset(ResetError::NotPermitted {
            kind: PinKind::Residence,
            terminal: "kiosk".into(),
        });
        assert_eq!(from_error(&e).status, MYNACARD_CARD_ERROR);
    }
}
