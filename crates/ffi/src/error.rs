//! Errors at the boundary: a status code and the message in both languages, kept per thread
//! for `mynacard_last_error_message()`; and the crate's language setting.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU32, Ordering};

use mynacard::credential::{CredentialKind, Rule};
use mynacard::error::ResetError;
use mynacard::pin::PinKind;
use mynacard::Error;

use crate::types::mynacard_status::{self, *};

/// The message language: 0 Japanese, 1 English (`mynacard_language`).
static LANGUAGE: AtomicU32 = AtomicU32::new(0);

/// Messages in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// 日本語.
    Ja,
    /// English.
    En,
}

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

    /// A feature not built in.
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

/// The Japanese name of a PIN.
pub fn pin_ja(kind: PinKind) -> &'static str {
    match kind {
        PinKind::Signature => "署名用電子証明書の暗証番号",
        PinKind::UserAuth => "利用者証明用電子証明書の暗証番号",
        PinKind::Residence => "住民基本台帳用の暗証番号",
        PinKind::TextAssist => "券面事項入力補助用の暗証番号",
    }
}

/// Where a PIN is reset, in Japanese.
pub fn where_to_reset_ja(kind: PinKind) -> &'static str {
    match kind {
        PinKind::Signature => {
            "カードを持って市区町村窓口で初期化してください。利用者証明用の暗証番号がわかれば、\
             JPKI暗証番号リセットアプリとコンビニのキオスク端末でも初期化できます。"
        }
        PinKind::UserAuth => {
            "カードを持って市区町村窓口で初期化してください。署名用の暗証番号がわかれば、\
             JPKI暗証番号リセットアプリとコンビニのキオスク端末でも初期化できます。"
        }
        PinKind::Residence | PinKind::TextAssist => {
            "カードを持って市区町村窓口で初期化してください。"
        }
    }
}

fn credential_ja(kind: CredentialKind) -> String {
    match kind {
        CredentialKind::Pin(k) => pin_ja(k).to_string(),
        CredentialKind::MatchingNumberA => "照合番号A（マイナンバー）".into(),
        CredentialKind::MatchingNumberB => "照合番号B".into(),
        _ => "生年月日".into(),
    }
}

fn rule_ja(rule: &Rule) -> String {
    match rule {
        Rule::Length { expected, got } => {
            let expected = expected.replace("exactly ", "").replace(" to ", "〜");
            format!("{expected} 文字で入力してください（{got} 文字でした）")
        }
        Rule::NotDigit { position } => {
            format!("数字 0-9 だけが使えます（{position} 文字目が数字ではありません）")
        }
        Rule::LowerCase { position } => {
            format!("英小文字は使えません。大文字で入力してください（{position} 文字目）")
        }
        Rule::NotAlphanumeric { position } => {
            format!("英大文字 A-Z と数字 0-9 だけが使えます（{position} 文字目）")
        }
        Rule::NoLetter => "英大文字を1文字以上含めてください".into(),
        Rule::NoDigit => "数字を1文字以上含めてください".into(),
        Rule::CheckDigit => "チェックデジット（12桁目）が合いません".into(),
        Rule::Date(part) => format!("日付が正しくありません（{part}）"),
        Rule::Unchanged => "新しい値が今の値と同じです".into(),
        Rule::Mismatch => "新しい値の1回目と2回目が一致しません".into(),
        _ => "形式が正しくありません".into(),
    }
}

/// A library error as a boundary error.
pub fn from_error(e: &Error) -> FfiError {
    let en = e.to_string();
    let tries = e.tries_left();
    let (status, ja) = match e {
        Error::Credential(c) => (
            MYNACARD_INVALID_SECRET,
            format!(
                "{}の形式が正しくありません: {}。カードには何も送っていないので、試行回数は減っていません。",
                credential_ja(c.kind),
                rule_ja(&c.rule)
            ),
        ),
        Error::WrongPin { kind, tries_left: 0 } => (
            MYNACARD_WRONG_PIN,
            format!(
                "{}が違います。最後の1回だったため、ロックされました。{}",
                pin_ja(*kind),
                where_to_reset_ja(*kind)
            ),
        ),
        Error::WrongPin { kind, tries_left } => (
            MYNACARD_WRONG_PIN,
            format!(
                "{}が違います。あと {tries_left} 回間違えるとロックされます。",
                pin_ja(*kind)
            ),
        ),
        Error::Blocked { kind } => (
            MYNACARD_BLOCKED,
            format!(
                "{}はロックされているため、送信しませんでした。{}",
                pin_ja(*kind),
                where_to_reset_ja(*kind)
            ),
        ),
        Error::LastTry { kind } => (
            MYNACARD_LAST_TRY_REFUSED,
            format!(
                "{}は残り1回です。間違えるとロックされるため、送信しませんでした（最後の1回を使うには明示的に許可してください）。",
                pin_ja(*kind)
            ),
        ),
        Error::WrongMatchingNumber { kind, tries_left } => (
            MYNACARD_WRONG_PIN,
            format!(
                "{}が違います。あと {tries_left} 回間違えるとロックされます。",
                credential_ja(*kind)
            ),
        ),
        Error::MatchingNumberBlocked { kind } => (
            MYNACARD_BLOCKED,
            format!(
                "{}はロックされているため、送信しませんでした。暗証番号を使うか、市区町村窓口にご相談ください。",
                credential_ja(*kind)
            ),
        ),
        Error::MatchingNumberLastTry { kind } => (
            MYNACARD_LAST_TRY_REFUSED,
            format!(
                "{}は残り1回です。間違えるとロックされるため、送信しませんでした（最後の1回を使うには明示的に許可してください）。",
                credential_ja(*kind)
            ),
        ),
        Error::NeedsVerification { what, .. } => (
            MYNACARD_NEEDS_VERIFICATION,
            format!("{what} を読むには、先に暗証番号の照合が必要です。"),
        ),
        Error::NotFound { what } => (
            MYNACARD_NOT_FOUND,
            format!("このカードには {what} がありません。"),
        ),
        Error::Parse { .. } | Error::Protocol(_) | Error::Apdu(_) => (
            MYNACARD_PARSE,
            format!("カードのデータまたは応答が正しくありません（{en}）。"),
        ),
        Error::Integrity { .. } | Error::Trust(_) => (
            MYNACARD_INTEGRITY,
            format!("検証に失敗しました（{en}）。"),
        ),
        Error::Unsupported(_) => (
            MYNACARD_UNSUPPORTED,
            format!("対応していません（{en}）。"),
        ),
        Error::CardReset => (
            MYNACARD_CARD_RESET,
            "カードがリセットされました。照合済みの状態は失われたので、必要なら照合し直してください。"
                .into(),
        ),
        Error::UnknownOutcome { operation, .. } => (
            MYNACARD_UNKNOWN_OUTCOME,
            format!(
                "{operation} の結果が不明です。試行回数を消費しない状態確認をしてから、やり直してください（{en}）。"
            ),
        ),
        Error::ChangeRolledBack { .. } => (
            MYNACARD_CHANGE_ROLLED_BACK,
            "住民基本台帳用の暗証番号の変更が共通カードAPで失敗したため、住基APの変更を元に戻しました。古い暗証番号が両方で使えます。"
                .into(),
        ),
        Error::Card { operation, sw, .. } => (
            MYNACARD_CARD_ERROR,
            format!("{operation}: カードが {sw} を返しました。"),
        ),
        Error::Transport(_) => (
            MYNACARD_TRANSPORT,
            format!("カードまたはリーダーと通信できません（{en}）。"),
        ),
        _ => (MYNACARD_CARD_ERROR, format!("カードの操作に失敗しました（{en}）。")),
    };
    FfiError {
        status,
        ja,
        en,
        tries_left: tries,
    }
}

/// A reset error as a boundary error.
pub fn from_reset_error(e: &Error) -> FfiError {
    let Error::Reset(r) = e else {
        return from_error(e);
    };
    let en = e.to_string();
    let tries = e.tries_left();
    let (status, ja) = match r {
        ResetError::NotPermitted { kind, .. } => (
            MYNACARD_NOT_PERMITTED,
            format!(
                "この端末では{}を初期化できません。カードには何も送っていません。{}",
                pin_ja(*kind),
                where_to_reset_ja(*kind)
            ),
        ),
        ResetError::OtherPinNeeded { kind, needs, .. } => (
            MYNACARD_OTHER_PIN_NEEDED,
            format!(
                "{}の初期化には{}が必要です。カードには何も送っていません。",
                pin_ja(*kind),
                pin_ja(*needs)
            ),
        ),
        ResetError::TerminalRefused { application, .. } => (
            MYNACARD_TERMINAL_REFUSED,
            format!("{application}: カードが端末の認証を拒否しました。暗証番号は変わっていません。"),
        ),
        ResetError::Refused {
            kind, application, ..
        } => (
            MYNACARD_RESET_REFUSED,
            format!("{application}: カードが{}の初期化を拒否しました。変わっていません。", pin_ja(*kind)),
        ),
        ResetError::NotConfirmed {
            kind, application, ..
        } => (
            MYNACARD_RESET_NOT_CONFIRMED,
            format!(
                "{application}: カードは{}の初期化を受け付けましたが、残り回数が満タンになっていません。状態を確認してください。",
                pin_ja(*kind)
            ),
        ),
        ResetError::Partial {
            kind,
            reset,
            not_reset,
            ..
        } => (
            MYNACARD_RESET_PARTIAL,
            format!(
                "{}は {reset} では初期化されましたが、{not_reset} では初期化されていません。同じ新しい暗証番号でもう一度初期化してください（{en}）。",
                pin_ja(*kind)
            ),
        ),
        _ => (MYNACARD_CARD_ERROR, format!("初期化に失敗しました（{en}）。")),
    };
    FfiError {
        status,
        ja,
        en,
        tries_left: tries,
    }
}
