//! The crate's error type. Errors carry the PIN kind and the tries left where a PIN is involved,
//! and never a PIN, password or My Number.

use std::fmt;

use crate::apdu::{ApduError, StatusWord};
use crate::applets::Fid;
use crate::credential::{CredentialError, CredentialKind, Rule};
use crate::crypto::TrustError;
use crate::lang::Lang;
use crate::pin::{KeyRef, PinKind, PinStatus, RetryState};
use crate::transport::TransportError;

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

/// What a key reference holds after a PIN change that stopped part-way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    /// The value before the change.
    Old,
    /// The new value.
    New,
    /// Either: the CHANGE was sent and its answer was lost.
    OldOrNew,
}

/// Where a change of a PIN with two key references (the residence PIN: 住基AP, then
/// 共通カードAP) stopped: what each reference holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TornChange {
    /// The PIN.
    pub kind: PinKind,
    /// The first key reference (changed first) and what it holds.
    pub first: (KeyRef, Held),
    /// The second key reference and what it holds.
    pub second: (KeyRef, Held),
}

impl TornChange {
    fn describe(&self, lang: Lang) -> String {
        let one = |(key, held): (KeyRef, Held)| {
            // The short name (住基AP, 共通カードAP), as a person at a counter says it.
            let app = key.app_name().split(" (").next().unwrap_or_default();
            match (lang, held) {
                (Lang::En, Held::Old) => format!("{app} has the old PIN"),
                (Lang::En, Held::New) => format!("{app} has the new PIN"),
                (Lang::En, Held::OldOrNew) => format!("{app} has the old or the new PIN"),
                (Lang::Ja, Held::Old) => format!("{app}は古い暗証番号です"),
                (Lang::Ja, Held::New) => format!("{app}は新しい暗証番号です"),
                (Lang::Ja, Held::OldOrNew) => {
                    format!("{app}は古い暗証番号か新しい暗証番号のどちらかです")
                }
            }
        };
        match lang {
            Lang::En => format!("{}; {}", one(self.first), one(self.second)),
            Lang::Ja => format!("{}。{}", one(self.first), one(self.second)),
        }
    }
}

/// What to do after an operation whose outcome is unknown or only partly done: data that a
/// front end renders ([`Advice::message`]), not prose to be searched.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Advice {
    /// A VERIFY may or may not have counted a try: check the status of `secret` (it spends no
    /// try) before trying again.
    CheckStatusBeforeRetry {
        /// The PIN or key that was sent.
        secret: CredentialKind,
    },
    /// A change may or may not be in effect in `application`: check the status, then verify with
    /// the new value; if that is refused, the old value is still in effect.
    CheckWhichValueHolds {
        /// The PIN.
        kind: PinKind,
        /// The application.
        application: &'static str,
    },
    /// A residence-PIN change stopped between its two key references: `state` says exactly what
    /// each holds. [`crate::Card::finish_change`] completes it from there.
    FinishTornChange {
        /// What each key reference holds.
        state: TornChange,
    },
    /// A residence-PIN change failed on the second key reference and changing the first back
    /// failed too: `state` says what each holds. [`crate::Card::finish_change`] completes the
    /// change from there.
    RollbackFailed {
        /// What each key reference holds.
        state: TornChange,
        /// Why the change failed on the second key reference.
        cause: Box<Error>,
    },
    /// A RESET RETRY COUNTER may or may not have been executed in `application`: check the
    /// status; if its counter is not full, run the reset again with the same new value.
    RetryReset {
        /// The PIN.
        kind: PinKind,
        /// The application.
        application: &'static str,
    },
    /// The card accepted a reset (9000) in `application` but the query confirming it failed.
    /// `other_may_be_old`: the PIN has another key reference that may still hold the old value.
    ConfirmReset {
        /// The PIN.
        kind: PinKind,
        /// The application.
        application: &'static str,
        /// Whether the other key reference may still hold the old value.
        other_may_be_old: bool,
    },
    /// A reset reached `reset` but not `not_reset` (`unsure`: whether `not_reset` has it is
    /// unknown): run the reset again with the same new PIN; it resets both references.
    RerunReset {
        /// The application that has the new PIN with a full counter.
        reset: &'static str,
        /// The application that does not (or may not) have it.
        not_reset: &'static str,
        /// Whether `not_reset` may have it after all.
        unsure: bool,
    },
}

impl fmt::Display for Advice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl Advice {
    /// The advice in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Advice::CheckStatusBeforeRetry { secret }, Lang::En) => format!(
                "The card may or may not have counted the try. Check the {secret} status (it \
                 spends no try) before trying again."
            ),
            (Advice::CheckStatusBeforeRetry { secret }, Lang::Ja) => format!(
                "カードが試行を数えたかどうかは分かりません。もう一度試す前に、{}の状態を確認してください（確認では試行回数は減りません）。",
                credential_ja(*secret)
            ),
            (Advice::CheckWhichValueHolds { kind, application }, Lang::En) => format!(
                "The new {kind} may or may not be in effect on {application}. Check the status \
                 (it spends no try), then verify with the new value; if that is refused, the old \
                 value is still in effect."
            ),
            (Advice::CheckWhichValueHolds { kind, application }, Lang::Ja) => format!(
                "{application}で新しい{}が有効になったかどうかは分かりません。状態を確認し（試行回数は減りません）、新しい値で照合してください。拒否された場合は古い値がまだ有効です。",
                pin_ja(*kind)
            ),
            (Advice::FinishTornChange { state }, Lang::En) => format!(
                "{}. Check the status (it spends no try), then finish the change with the old and \
                 the new PIN: only a reference that may hold the new PIN is tried with it, and a \
                 reference with the old PIN is changed from it. Or ask the municipal counter.",
                state.describe(Lang::En)
            ),
            (Advice::FinishTornChange { state }, Lang::Ja) => format!(
                "{}。状態を確認し（試行回数は減りません）、古い暗証番号と新しい暗証番号で変更を完了してください。新しい暗証番号かもしれない所だけを新しい値で確かめ、古い暗証番号の所は古い値から変更します。または市区町村窓口に相談してください。",
                state.describe(Lang::Ja)
            ),
            (Advice::RollbackFailed { state, cause }, Lang::En) => format!(
                "The change failed on the second reference ({cause}) and changing the first back \
                 failed too: {}. Check the status (it spends no try), then finish the change with \
                 the old and the new PIN, or ask the municipal counter.",
                state.describe(Lang::En)
            ),
            (Advice::RollbackFailed { state, cause }, Lang::Ja) => format!(
                "2つ目の参照での変更に失敗し（{}）、1つ目を元に戻すこともできませんでした。{}。状態を確認し（試行回数は減りません）、古い暗証番号と新しい暗証番号で変更を完了するか、市区町村窓口に相談してください。",
                cause.message(Lang::Ja),
                state.describe(Lang::Ja)
            ),
            (Advice::RetryReset { kind, application }, Lang::En) => format!(
                "The {kind} may or may not have been reset in {application}. Check the status \
                 (it spends no try); if its counter is not full, run the reset again with the \
                 same new value."
            ),
            (Advice::RetryReset { kind, application }, Lang::Ja) => format!(
                "{application}で{}が再設定されたかどうかは分かりません。状態を確認し（試行回数は減りません）、残り回数が満たんでなければ、同じ新しい値でもう一度再設定してください。",
                pin_ja(*kind)
            ),
            (Advice::ConfirmReset { kind, application, other_may_be_old }, Lang::En) => format!(
                "The card accepted the reset of the {kind} in {application} (9000), but the \
                 status query that confirms it failed. Check the status (it spends no try){}.",
                if *other_may_be_old {
                    "; the other application may still hold the old value: run the reset again \
                     with the same new value"
                } else {
                    ""
                }
            ),
            (Advice::ConfirmReset { kind, application, other_may_be_old }, Lang::Ja) => format!(
                "カードは{application}での{}の再設定を受け付けました（9000）が、確認のための状態照会に失敗しました。状態を確認してください（試行回数は減りません）{}。",
                pin_ja(*kind),
                if *other_may_be_old {
                    "。もう一方のアプリケーションは古い値のままかもしれません。同じ新しい値でもう一度再設定してください"
                } else {
                    ""
                }
            ),
            (Advice::RerunReset { reset, not_reset, unsure: true }, Lang::En) => format!(
                "{reset} has the new PIN with a full counter; {not_reset} may or may not have \
                 it. Check the status (it spends no try), then run the reset again with the same \
                 new PIN: it resets both references."
            ),
            (Advice::RerunReset { reset, not_reset, unsure: false }, Lang::En) => format!(
                "{reset} has the new PIN with a full counter; {not_reset} still has the old value \
                 and counter. Run the reset again with the same new PIN: it resets both \
                 references."
            ),
            (Advice::RerunReset { reset, not_reset, unsure: true }, Lang::Ja) => format!(
                "{reset}は新しい暗証番号になり、残り回数も満たんです。{not_reset}が新しい暗証番号になったかどうかは分かりません。状態を確認し（試行回数は減りません）、同じ新しい暗証番号でもう一度再設定してください。両方が再設定されます。"
            ),
            (Advice::RerunReset { reset, not_reset, unsure: false }, Lang::Ja) => format!(
                "{reset}は新しい暗証番号になり、残り回数も満たんです。{not_reset}は古い値と残り回数のままです。同じ新しい暗証番号でもう一度再設定してください。両方が再設定されます。"
            ),
        }
    }
}

/// The Japanese name of a PIN.
pub(crate) fn pin_ja(kind: PinKind) -> &'static str {
    match kind {
        PinKind::Signature => "署名用電子証明書の暗証番号",
        PinKind::UserAuth => "利用者証明用電子証明書の暗証番号",
        PinKind::Residence => "住民基本台帳用の暗証番号",
        PinKind::TextAssist => "券面事項入力補助用の暗証番号",
    }
}

fn where_to_reset_ja(kind: PinKind) -> &'static str {
    match kind {
        PinKind::Signature => {
            "カードを持って市区町村窓口で再設定するか、利用者証明用電子証明書の暗証番号が分かれば、JPKI暗証番号リセットアプリとコンビニのキオスク端末で再設定してください"
        }
        PinKind::UserAuth => {
            "カードを持って市区町村窓口で再設定するか、署名用電子証明書の暗証番号が分かれば、JPKI暗証番号リセットアプリとコンビニのキオスク端末で再設定してください"
        }
        PinKind::Residence | PinKind::TextAssist => {
            "カードを持って市区町村窓口で再設定してください"
        }
    }
}

fn credential_ja(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::Pin(k) => pin_ja(k),
        CredentialKind::MatchingNumberA => "照合番号A（マイナンバー）",
        CredentialKind::MatchingNumberB => "照合番号B",
        CredentialKind::BirthDateKey => "生年月日キー",
    }
}

fn rule_ja(rule: Rule) -> String {
    match rule {
        Rule::Length { expected, got } => {
            format!("{expected}文字でなければなりません（{got}文字が入力されました）")
        }
        Rule::NotDigit { position } => {
            format!("数字0〜9だけが使えます（{position}文字目が数字ではありません）")
        }
        Rule::LowerCase { position } => {
            format!("小文字は使えません。カードはバイト単位で比べます（{position}文字目）")
        }
        Rule::NotAlphanumeric { position } => {
            format!("英大文字A〜Zと数字0〜9だけが使えます（{position}文字目）")
        }
        Rule::NoLetter => "英字A〜Zを1文字以上含めてください".into(),
        Rule::NoDigit => "数字0〜9を1文字以上含めてください".into(),
        Rule::CheckDigit => "チェックデジット（12桁目）が最初の11桁と合いません".into(),
        Rule::Date(part) => format!("日付の{part}が正しくありません"),
        Rule::Unchanged => "新しい値が今の値と同じです".into(),
        Rule::Mismatch => "新しい値の2回の入力が一致しません".into(),
    }
}

fn transport_ja(e: &TransportError) -> String {
    match e {
        TransportError::CardRemoved => {
            "カードがリーダーにありません（抜かれたか、挿されていません）".into()
        }
        TransportError::CardReset => {
            "カードがリセットされました。暗証番号の照合と選択は失われました".into()
        }
        TransportError::NoResponse => {
            "カードから応答がありません。コマンドが実行されたかどうかは分かりません".into()
        }
        TransportError::Malformed(n) => format!("カードから不正な応答（{n}バイト）がありました"),
        TransportError::Unsupported(why) => {
            format!("リーダーはこのコマンドを送れません（{why}）")
        }
        TransportError::Backend(why) => format!("リーダーのエラー（{why}）"),
        TransportError::Reader { context, source } => {
            format!("リーダーのエラー（{context}: {source}）")
        }
    }
}

fn reset_ja(e: &ResetError) -> String {
    match e {
        ResetError::NotPermitted { kind, terminal } => format!(
            "{terminal}では{}を再設定できないため、何も送りませんでした。{}",
            pin_ja(*kind),
            where_to_reset_ja(*kind)
        ),
        ResetError::OtherPinNeeded {
            kind,
            needs,
            terminal,
        } => format!(
            "{terminal}で{}を再設定するには{}が必要なため、何も送りませんでした",
            pin_ja(*kind),
            pin_ja(*needs)
        ),
        ResetError::TerminalRefused {
            application,
            operation,
            sw,
        } => format!(
            "{application}: カードが端末の認証を拒否しました（{operation}: {sw}、{}）",
            sw_meaning(*sw)
        ),
        ResetError::Refused {
            kind,
            application,
            sw,
        } => format!(
            "{application}: カードが{}の再設定を拒否しました（{sw}、{}）。そこでは変わっていません",
            pin_ja(*kind),
            sw_meaning(*sw)
        ),
        ResetError::NotConfirmed {
            kind,
            application,
            state,
        } => format!(
            "{application}: カードは{}の再設定を受け付けましたが、残り回数が{state:?}と読めます",
            pin_ja(*kind)
        ),
        ResetError::Partial {
            kind,
            reset,
            not_reset,
            cause,
            advice,
            ..
        } => format!(
            "{}は{reset}では再設定されましたが、{not_reset}では再設定されていません（{}）。{}",
            pin_ja(*kind),
            cause.message(Lang::Ja),
            advice.message(Lang::Ja)
        ),
    }
}

fn trust_ja(e: &TrustError) -> String {
    match e {
        TrustError::UnknownIssuer { subject, issuer } => {
            format!("「{subject}」の発行者「{issuer}」は信頼されていません")
        }
        TrustError::BadSignature { subject, issuer } => {
            format!("「{subject}」の署名は「{issuer}」という名前のどの証明書でも検証できません")
        }
        TrustError::NotValidAt {
            subject,
            not_before,
            not_after,
            at,
        } => format!(
            "「{subject}」は{at}の時点で有効ではありません（有効期間 {not_before} 〜 {not_after}）"
        ),
        TrustError::NotCa { subject } => {
            format!("「{subject}」は証明書に署名できるCA証明書ではありません")
        }
        TrustError::Unsupported { subject, reason } => {
            format!("「{subject}」を検証できません（{reason}）")
        }
        TrustError::TooLong(n) => format!("証明書のパスが{n}より長いです"),
    }
}

impl Error {
    /// The message in `lang`: the same facts as `Display` (which is English), for a person at
    /// a Japanese or English screen.
    pub fn message(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            Error::Credential(e) => {
                format!("{}が正しくありません: {}", credential_ja(e.kind), rule_ja(e.rule))
            }
            Error::Transport(e) => transport_ja(e),
            Error::CardReset => {
                "カードがリセットされました。それまでの暗証番号の照合は失われたので、必要ならもう一度照合してください".into()
            }
            Error::Apdu(e) => format!("コマンドを組み立てられません（{e}）"),
            Error::Card { operation, sw, meaning } => {
                format!("{operation}: カードが {sw} を返しました（{meaning}）")
            }
            Error::WrongPin { kind, tries_left: 0 } => format!(
                "{}が違います。最後の試行だったため、ロックされました。{}",
                pin_ja(*kind),
                where_to_reset_ja(*kind)
            ),
            Error::WrongPin { kind, tries_left } => format!(
                "{}が違います。ロックされるまであと{tries_left}回です",
                pin_ja(*kind)
            ),
            Error::Blocked { kind } => format!(
                "{}はロックされているため送りませんでした。{}",
                pin_ja(*kind),
                where_to_reset_ja(*kind)
            ),
            Error::LastTry { kind } => format!(
                "{}は残り1回で、間違えるとロックされるため、送りませんでした（続けるには最後の1回を使うことを明示してください）",
                pin_ja(*kind)
            ),
            Error::NeedsVerification { what, needs } => {
                format!("{what}を読むには、先に{needs}の照合が必要です")
            }
            Error::NotFound { what } => format!("{what}はこのカードにありません"),
            Error::Parse { fid, what, reason } => {
                format!("EF {fid}（{what}）を解釈できません: {reason}")
            }
            Error::ChangeRolledBack { cause } => format!(
                "住民基本台帳用の暗証番号の変更は共通カードAPで失敗しました（{}）。住基APは元に戻したので、古い暗証番号がどちらでも有効です",
                cause.message(Lang::Ja)
            ),
            Error::UnknownOutcome { operation, cause, advice } => format!(
                "{operation}: 結果が分かりません（{}）。{}",
                transport_ja(cause),
                advice.message(Lang::Ja)
            ),
            Error::Protocol(what) => format!("カードとの手順の誤り（{what}）"),
            Error::Integrity { what, reason } => {
                format!("{what}の検査に失敗しました: {reason}")
            }
            Error::Trust(e) => format!("証明書チェーン: {}", trust_ja(e)),
            Error::Unsupported(what) => format!("対応していません: {what}"),
            Error::Reset(e) => reset_ja(e),
            Error::WrongMatchingNumber { kind, tries_left } => format!(
                "{}が違います。ロックされるまであと{tries_left}回です",
                credential_ja(*kind)
            ),
            Error::MatchingNumberBlocked { kind } => format!(
                "{}はロックされているため送りませんでした。暗証番号を使うか、市区町村窓口に相談してください",
                credential_ja(*kind)
            ),
            Error::MatchingNumberLastTry { kind } => format!(
                "{}は残り1回で、間違えるとロックされるため、送りませんでした（続けるには最後の1回を使うことを明示してください）",
                credential_ja(*kind)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apdu::StatusWord;
    use crate::crypto::CertTime;

    /// One sample of every variant. The exhaustive matches in `every_variant_is_sampled` make a
    /// new variant fail to compile until it is sampled here.
    fn samples() -> Vec<Error> {
        let transport = [
            TransportError::CardRemoved,
            TransportError::CardReset,
            TransportError::NoResponse,
            TransportError::Malformed(1),
            TransportError::Unsupported("extended length".into()),
            TransportError::Backend("gone".into()),
            TransportError::Reader {
                context: "the reader was disconnected".into(),
                source: crate::transport::Cause::new(std::io::Error::other("gone")),
            },
        ];
        let rules = [
            Rule::Length {
                expected: "exactly 4",
                got: 3,
            },
            Rule::NotDigit { position: 2 },
            Rule::LowerCase { position: 1 },
            Rule::NotAlphanumeric { position: 1 },
            Rule::NoLetter,
            Rule::NoDigit,
            Rule::CheckDigit,
            Rule::Date("month"),
            Rule::Unchanged,
            Rule::Mismatch,
        ];
        let trust = [
            TrustError::UnknownIssuer {
                subject: "s".into(),
                issuer: "i".into(),
            },
            TrustError::BadSignature {
                subject: "s".into(),
                issuer: "i".into(),
            },
            TrustError::NotValidAt {
                subject: "s".into(),
                not_before: CertTime(0),
                not_after: CertTime(1),
                at: CertTime(2),
            },
            TrustError::NotCa {
                subject: "s".into(),
            },
            TrustError::Unsupported {
                subject: "s".into(),
                reason: "ECDSA".into(),
            },
            TrustError::TooLong(5),
        ];
        let mut out = Vec::new();
        for t in &transport {
            out.push(Error::Transport(t.clone()));
        }
        for (i, r) in rules.iter().enumerate() {
            let kind = [
                CredentialKind::Pin(PinKind::UserAuth),
                CredentialKind::MatchingNumberA,
                CredentialKind::MatchingNumberB,
                CredentialKind::BirthDateKey,
            ][i % 4];
            out.push(Error::Credential(CredentialError { kind, rule: *r }));
        }
        for t in trust {
            out.push(Error::Trust(t));
        }
        for kind in PinKind::ALL {
            for n in [0, 1, 2] {
                out.push(Error::WrongPin {
                    kind,
                    tries_left: n,
                });
            }
            out.push(Error::Blocked { kind });
            out.push(Error::LastTry { kind });
        }
        for kind in [
            CredentialKind::MatchingNumberA,
            CredentialKind::MatchingNumberB,
            CredentialKind::BirthDateKey,
        ] {
            out.push(Error::WrongMatchingNumber {
                kind,
                tries_left: 2,
            });
            out.push(Error::MatchingNumberBlocked { kind });
            out.push(Error::MatchingNumberLastTry { kind });
        }
        out.extend([
            Error::CardReset,
            Error::Apdu(ApduError::DataTooLong(70000)),
            Error::Card {
                operation: "VERIFY",
                sw: StatusWord(0x6A82),
                meaning: "file not found",
            },
            Error::NeedsVerification {
                what: "the signature certificate",
                needs: "the password",
            },
            Error::NotFound { what: "EF 0008" },
            Error::Parse {
                fid: Fid(0x0006),
                what: "token info",
                reason: "short".into(),
            },
            Error::ChangeRolledBack {
                cause: Box::new(Error::CardReset),
            },
            Error::Protocol("GET RESPONSE never ended"),
            Error::Integrity {
                what: "the basic four",
                reason: "digest differs".into(),
            },
            Error::Unsupported("ECDSA".into()),
            Error::Reset(ResetError::NotPermitted {
                kind: PinKind::Residence,
                terminal: "kiosk".into(),
            }),
            Error::Reset(ResetError::OtherPinNeeded {
                kind: PinKind::Signature,
                needs: PinKind::UserAuth,
                terminal: "kiosk".into(),
            }),
            Error::Reset(ResetError::TerminalRefused {
                application: "JPKI-AP",
                operation: "EXTERNAL AUTHENTICATE",
                sw: StatusWord(0x6982),
            }),
            Error::Reset(ResetError::Refused {
                kind: PinKind::UserAuth,
                application: "JPKI-AP",
                sw: StatusWord(0x6985),
            }),
            Error::Reset(ResetError::NotConfirmed {
                kind: PinKind::UserAuth,
                application: "JPKI-AP",
                state: RetryState::TriesLeft(2),
            }),
            Error::Reset(ResetError::Partial {
                kind: PinKind::Residence,
                reset: "住基AP",
                not_reset: "共通カードAP",
                cause: Box::new(Error::CardReset),
                status: None,
                advice: Box::new(Advice::RerunReset {
                    reset: "住基AP",
                    not_reset: "共通カードAP",
                    unsure: true,
                }),
            }),
        ]);
        for advice in advices() {
            out.push(Error::UnknownOutcome {
                operation: "VERIFY",
                cause: TransportError::NoResponse,
                advice,
            });
        }
        out
    }

    fn torn(first: Held) -> TornChange {
        let refs = PinKind::Residence.key_refs();
        TornChange {
            kind: PinKind::Residence,
            first: (refs[0], first),
            second: (refs[1], Held::Old),
        }
    }

    fn advices() -> Vec<Advice> {
        vec![
            Advice::CheckStatusBeforeRetry {
                secret: CredentialKind::MatchingNumberB,
            },
            Advice::CheckWhichValueHolds {
                kind: PinKind::UserAuth,
                application: "JPKI-AP",
            },
            Advice::FinishTornChange {
                state: torn(Held::OldOrNew),
            },
            Advice::RollbackFailed {
                state: torn(Held::New),
                cause: Box::new(Error::CardReset),
            },
            Advice::RetryReset {
                kind: PinKind::Residence,
                application: "住基AP",
            },
            Advice::ConfirmReset {
                kind: PinKind::Residence,
                application: "住基AP",
                other_may_be_old: true,
            },
            Advice::ConfirmReset {
                kind: PinKind::UserAuth,
                application: "JPKI-AP",
                other_may_be_old: false,
            },
            Advice::RerunReset {
                reset: "住基AP",
                not_reset: "共通カードAP",
                unsure: true,
            },
            Advice::RerunReset {
                reset: "住基AP",
                not_reset: "共通カードAP",
                unsure: false,
            },
        ]
    }

    fn variant(e: &Error) -> &'static str {
        match e {
            Error::Credential(_) => "Credential",
            Error::Transport(_) => "Transport",
            Error::CardReset => "CardReset",
            Error::Apdu(_) => "Apdu",
            Error::Card { .. } => "Card",
            Error::WrongPin { .. } => "WrongPin",
            Error::Blocked { .. } => "Blocked",
            Error::LastTry { .. } => "LastTry",
            Error::NeedsVerification { .. } => "NeedsVerification",
            Error::NotFound { .. } => "NotFound",
            Error::Parse { .. } => "Parse",
            Error::ChangeRolledBack { .. } => "ChangeRolledBack",
            Error::UnknownOutcome { .. } => "UnknownOutcome",
            Error::Protocol(_) => "Protocol",
            Error::Integrity { .. } => "Integrity",
            Error::Trust(_) => "Trust",
            Error::Unsupported(_) => "Unsupported",
            Error::Reset(ResetError::NotPermitted { .. }) => "Reset::NotPermitted",
            Error::Reset(ResetError::OtherPinNeeded { .. }) => "Reset::OtherPinNeeded",
            Error::Reset(ResetError::TerminalRefused { .. }) => "Reset::TerminalRefused",
            Error::Reset(ResetError::Refused { .. }) => "Reset::Refused",
            Error::Reset(ResetError::NotConfirmed { .. }) => "Reset::NotConfirmed",
            Error::Reset(ResetError::Partial { .. }) => "Reset::Partial",
            Error::WrongMatchingNumber { .. } => "WrongMatchingNumber",
            Error::MatchingNumberBlocked { .. } => "MatchingNumberBlocked",
            Error::MatchingNumberLastTry { .. } => "MatchingNumberLastTry",
        }
    }

    fn advice_variant(a: &Advice) -> &'static str {
        match a {
            Advice::CheckStatusBeforeRetry { .. } => "CheckStatusBeforeRetry",
            Advice::CheckWhichValueHolds { .. } => "CheckWhichValueHolds",
            Advice::FinishTornChange { .. } => "FinishTornChange",
            Advice::RollbackFailed { .. } => "RollbackFailed",
            Advice::RetryReset { .. } => "RetryReset",
            Advice::ConfirmReset { .. } => "ConfirmReset",
            Advice::RerunReset { .. } => "RerunReset",
        }
    }

    #[test]
    fn every_variant_is_sampled() {
        let seen: std::collections::BTreeSet<_> = samples().iter().map(variant).collect();
        assert_eq!(seen.len(), 26, "{seen:?}");
        let seen: std::collections::BTreeSet<_> = advices().iter().map(advice_variant).collect();
        assert_eq!(seen.len(), 7, "{seen:?}");
    }

    fn has_japanese(s: &str) -> bool {
        s.chars()
            .any(|c| matches!(c, '\u{3040}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}'))
    }

    #[test]
    fn every_message_exists_in_japanese_and_english() {
        for e in samples() {
            let en = e.message(Lang::En);
            let ja = e.message(Lang::Ja);
            assert_eq!(en, e.to_string(), "Display stays English");
            assert!(!en.is_empty() && !ja.is_empty(), "{e:?}");
            assert_ne!(en, ja, "{e:?}");
            assert!(has_japanese(&ja), "{ja}");
            assert!(!ja.contains(" tries left"), "English left in {ja}");
        }
        for a in advices() {
            let en = a.message(Lang::En);
            let ja = a.message(Lang::Ja);
            assert_eq!(en, a.to_string());
            assert!(!en.is_empty() && !ja.is_empty(), "{a:?}");
            assert_ne!(en, ja, "{a:?}");
            assert!(has_japanese(&ja), "{ja}");
            assert!(!ja.contains("Check the status"), "English left in {ja}");
        }
    }

    #[test]
    fn japanese_messages_carry_the_data() {
        let e = Error::WrongPin {
            kind: PinKind::UserAuth,
            tries_left: 2,
        };
        assert!(e.message(Lang::Ja).contains("あと2回"));
        assert!(e.message(Lang::Ja).contains("利用者証明用"));
        let a = Advice::FinishTornChange {
            state: torn(Held::New),
        };
        assert!(a
            .message(Lang::Ja)
            .starts_with("住基APは新しい暗証番号です。共通カードAPは古い"));
        assert!(a
            .message(Lang::En)
            .starts_with("住基AP has the new PIN; 共通カードAP has the old PIN."));
    }
}
