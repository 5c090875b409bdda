//! The Japanese messages of every error and advice.

use super::*;
use crate::credential::{CredentialKind, Rule};
use crate::crypto::TrustError;
use crate::lang::Lang;
use crate::pin::PinKind;
use crate::transport::TransportError;

/// The Japanese name of a PIN: the library's one wording ([`PinKind::name`]).
pub(crate) fn pin_ja(kind: PinKind) -> &'static str {
    kind.name(Lang::Ja)
}

fn where_to_reset_ja(kind: PinKind) -> &'static str {
    kind.where_to_reset_in(Lang::Ja)
}

pub(super) fn credential_ja(kind: CredentialKind) -> &'static str {
    match kind {
        CredentialKind::Pin(k) => pin_ja(k),
        CredentialKind::MatchingNumberA => "照合番号A（マイナンバー）",
        CredentialKind::MatchingNumberB => "照合番号B",
        CredentialKind::BirthDateKey => "生年月日キー",
    }
}

impl Rule {
    /// The rule in `lang` (never the refused value). `Display` is the English.
    pub fn message(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match *self {
            Rule::Length { expected, got } => {
                let n = match expected.strip_prefix("exactly ") {
                    Some(n) => n.to_owned(),
                    None => expected.replace(" to ", "〜"),
                };
                format!("{n}文字で入力してください（{got}文字でした）")
            }
            Rule::NotDigit { position } => {
                format!("数字0〜9だけが使えます（{position}文字目が数字ではありません）")
            }
            Rule::LowerCase { position } => {
                format!(
                    "英小文字は使えません。カードは文字をそのまま比較します（{position}文字目）"
                )
            }
            Rule::NotAlphanumeric { position } => {
                format!("英大文字A〜Zと数字0〜9だけが使えます（{position}文字目）")
            }
            Rule::NoLetter => "英大文字A〜Zを1文字以上含めてください".into(),
            Rule::NoDigit => "数字0〜9を1文字以上含めてください".into(),
            Rule::CheckDigit => "チェックデジット（12桁目）が最初の11桁と合いません".into(),
            Rule::Date(part) => format!("日付の{part}が正しくありません"),
            Rule::Unchanged => "新しい値が今の値と同じです".into(),
            Rule::Mismatch => "新しい値の2回の入力が一致しません".into(),
        }
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
        ResetError::WrongCommand {
            terminal,
            step,
            expected,
            ins,
        } => format!(
            "{terminal}が{step}として命令 {ins:02X} を渡しました。ここは {expected} でなければならないため、送っていません"
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
        TrustError::Malformed { subject, reason } => {
            format!("「{subject}」の署名または鍵の形式が正しくないため検証できません（{reason}）")
        }
        TrustError::TooLong(n) => format!("証明書のパスが{n}より長いです"),
        TrustError::UnrecognisedCriticalExtension { subject, oid } => {
            format!("「{subject}」には認識できない重要(critical)拡張 {oid} があります")
        }
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
                format!(
                    "{}が正しくありません: {}。カードには何も送っていないので、試行回数は減っていません",
                    credential_ja(e.kind),
                    e.rule.message(Lang::Ja)
                )
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
                "{}が違います。ロックまで残り{tries_left}回です",
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
                "{}が違います。ロックまで残り{tries_left}回です",
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
mod name_tests {
    use super::*;

    #[test]
    fn every_pin_has_a_japanese_and_an_english_name() {
        for kind in PinKind::ALL {
            assert!(kind.name(Lang::Ja).ends_with("暗証番号"), "{kind:?}");
            assert_eq!(kind.name(Lang::En), kind.description());
            assert_ne!(kind.name(Lang::Ja), kind.name(Lang::En));
        }
    }
}
