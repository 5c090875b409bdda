//! What to do after an operation that stopped part-way, and what each key reference holds.

use std::fmt;

use super::ja::{credential_ja, pin_ja};
use super::*;
use crate::credential::CredentialKind;
use crate::lang::Lang;
use crate::pin::{KeyRef, PinKind};

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
