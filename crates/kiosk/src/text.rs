//! Every text the kiosk shows, in Japanese and in English.
//!
//! A [`Text`] holds both; a [`Lang`] chooses which one a front end shows. Sentences are in the
//! chosen language; in English, the Japanese names of the PINs and documents stay beside the
//! English ones, because they are what the card, the forms and the counter staff call them.
//!
//! Errors from the `mynacard` library are rendered through [`library_error`] alone, so that the
//! library's own bilingual messages can replace the kiosk's rendering in one place.

use std::fmt;

use mynacard::credential::Rule;
use mynacard::pin::{PinKind, PinStatus, RetryState};
use mynacard::policy::{Assessment, IdDocument, KioskSupport, Missing, Need, Place, Refusal};
use mynacard::reset::ResetError;
use mynacard::transport::TransportError;
use mynacard::Error;

/// A language of the kiosk's texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// 日本語.
    Ja,
    /// English.
    En,
}

impl Lang {
    /// Parses `ja` or `en` (case-insensitive; `jp`, `japanese`, `english` too).
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ja" | "jp" | "japanese" | "日本語" => Some(Lang::Ja),
            "en" | "english" => Some(Lang::En),
            _ => None,
        }
    }

    /// The language of a POSIX locale value such as `ja_JP.UTF-8` or `en_US.UTF-8`: Japanese when
    /// it starts with `ja`, English otherwise.
    pub fn from_locale(value: &str) -> Lang {
        if value.starts_with("ja") {
            Lang::Ja
        } else {
            Lang::En
        }
    }

    /// The language of the environment: the first of `LC_ALL`, `LC_MESSAGES` and `LANG` that is
    /// set and not empty (the POSIX order), read by [`Lang::from_locale`]; English when none is.
    pub fn from_env() -> Lang {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`Lang::from_env`] with the variables looked up through `var` (for tests).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .into_iter()
            .filter_map(var)
            .find(|v| !v.is_empty())
            .map_or(Lang::En, |v| Lang::from_locale(&v))
    }

    /// Its code: `ja` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A text in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text {
    /// In Japanese.
    pub ja: String,
    /// In English.
    pub en: String,
}

impl Text {
    /// A text from its two versions.
    pub fn new(ja: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            ja: ja.into(),
            en: en.into(),
        }
    }

    /// The same text in both languages (a name, a path, a number).
    pub fn same(s: impl Into<String>) -> Text {
        let s = s.into();
        Text {
            ja: s.clone(),
            en: s,
        }
    }

    /// The version in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Ja => &self.ja,
            Lang::En => &self.en,
        }
    }

    /// Applies `f` to both versions, with the language.
    fn map(&self, f: impl Fn(Lang, &str) -> String) -> Text {
        Text {
            ja: f(Lang::Ja, &self.ja),
            en: f(Lang::En, &self.en),
        }
    }
}

/// Builds a [`Text`] whose two versions are formatted with the language in hand: `tr(|l| ...)`.
pub(crate) fn tr(f: impl Fn(Lang) -> String) -> Text {
    Text {
        ja: f(Lang::Ja),
        en: f(Lang::En),
    }
}

/// `ja` or `en` by language.
pub(crate) fn pick<'a>(lang: Lang, ja: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

/// A PIN's name: in English the library's description (with the Japanese name beside it).
pub(crate) fn pin_name(lang: Lang, kind: PinKind) -> String {
    match lang {
        Lang::En => kind.description().to_owned(),
        Lang::Ja => match kind {
            PinKind::Signature => "署名用電子証明書の暗証番号（署名用パスワード）",
            PinKind::UserAuth => "利用者証明用電子証明書の暗証番号",
            PinKind::Residence => "住民基本台帳用の暗証番号",
            PinKind::TextAssist => "券面事項入力補助用の暗証番号",
        }
        .to_owned(),
    }
}

/// The format of a new PIN.
pub(crate) fn format_hint(lang: Lang, kind: PinKind) -> &'static str {
    match kind {
        PinKind::Signature => pick(
            lang,
            "英大文字A-Zと数字0-9を各1文字以上含む6〜16文字",
            "6 to 16 characters, upper-case letters A-Z and digits 0-9, at least one of each",
        ),
        _ => pick(lang, "数字4桁", "exactly 4 digits"),
    }
}

fn state_text(lang: Lang, s: RetryState, limit: u8) -> String {
    match s {
        RetryState::Verified | RetryState::TriesLeft(_) => {
            let n = s.tries_left(limit).unwrap_or(limit);
            match lang {
                Lang::Ja => format!("残り{n}回（上限{limit}回）"),
                Lang::En => format!("{n} of {limit} tries left"),
            }
        }
        RetryState::Blocked => pick(lang, "ロック中", "BLOCKED").into(),
        RetryState::NoLimit => pick(lang, "回数制限なし", "no limit").into(),
    }
}

/// A PIN's counters, on one line (each key reference for the residence PIN).
pub(crate) fn status_line(lang: Lang, s: &PinStatus) -> String {
    if s.refs.len() == 1 {
        state_text(lang, s.refs[0].state, s.limit)
    } else {
        s.refs
            .iter()
            .map(|r| {
                let app = r.application.split(' ').next().unwrap_or(r.application);
                match lang {
                    Lang::Ja => format!("{app}: {}", state_text(lang, r.state, s.limit)),
                    Lang::En => format!("{} ({app})", state_text(lang, r.state, s.limit)),
                }
            })
            .collect::<Vec<_>>()
            .join(pick(lang, "、", ", "))
    }
}

/// Where a PIN is reset.
pub(crate) fn where_to_reset(lang: Lang, kind: PinKind) -> String {
    match lang {
        Lang::En => kind.where_to_reset().to_owned(),
        Lang::Ja => match kind {
            PinKind::Signature => "市区町村の窓口でカードを持参して初期化するか、利用者証明用電子証明書の暗証番号が分かれば、JPKI暗証番号リセットアプリとコンビニのキオスク端末で初期化してください",
            PinKind::UserAuth => "市区町村の窓口でカードを持参して初期化するか、署名用パスワードが分かれば、JPKI暗証番号リセットアプリとコンビニのキオスク端末で初期化してください",
            PinKind::Residence | PinKind::TextAssist => {
                "市区町村の窓口でカードを持参して初期化してください"
            }
        }
        .to_owned(),
    }
}

/// A place where a PIN is reset.
pub(crate) fn place(lang: Lang, p: &Place) -> String {
    match lang {
        Lang::En => p.to_string(),
        Lang::Ja => match p {
            Place::Kiosk(KioskSupport::SignatureOnly) => {
                "署名用パスワードのみ初期化できるコンビニ等のキオスク端末"
            }
            Place::Kiosk(KioskSupport::BothJpkiPins) => {
                "署名用・利用者証明用の両方を初期化できるコンビニ等のキオスク端末"
            }
            Place::SmartphoneApp => "NFC対応スマートフォンのJPKI暗証番号リセットアプリ",
            Place::Counter => "市区町村の窓口（市役所・出張所等）、本人来庁",
            Place::CounterByProxy => "市区町村の窓口、代理人による手続",
        }
        .to_owned(),
    }
}

fn need(lang: Lang, n: &Need) -> String {
    match lang {
        Lang::En => n.to_string(),
        Lang::Ja => match n {
            Need::Card => "マイナンバーカード".into(),
            Need::BothCertificates => {
                "カードに署名用・利用者証明用の両方の電子証明書が搭載されていること".into()
            }
            Need::OtherPin(k) => format!(
                "{}（ロックされていないこと。誤ると、その暗証番号の残り回数が1回減ります）",
                pin_name(lang, *k)
            ),
            Need::SmartphoneWithResetApp => {
                "カードを読み取れるNFC対応スマートフォンとJPKI暗証番号リセットアプリ（カードの顔写真との顔照合）".into()
            }
            Need::KioskWithin24Hours => {
                "その後24時間以内に、対応するコンビニのキオスク端末で初期化を完了すること".into()
            }
            Need::InPerson => "開庁時間内の本人の来庁（予約不要）".into(),
            Need::ProxyDocuments(_) => format!("代理人の書類: {}", proxy_requirements(lang)),
        },
    }
}

fn proxy_requirements(lang: Lang) -> &'static str {
    pick(
        lang,
        "本人がすべて記入した照会書兼回答書(兼委任状)、本人のマイナンバーカード、代理人の本人確認書類（代理人のマイナンバーカード、またはA書類2点、またはA書類1点とB書類1点）",
        "the inquiry form with power of attorney filled in by the cardholder; the cardholder's \
         card; the proxy's ID (their own My Number Card, or two class-A documents, or one \
         class-A and one class-B)",
    )
}

fn refusal(lang: Lang, r: &Refusal) -> String {
    match lang {
        Lang::En => r.to_string(),
        Lang::Ja => match r {
            Refusal::NotSelfService(k) => format!(
                "{}はセルフサービスでは初期化できません。市区町村の窓口でのみ初期化できます",
                pin_name(lang, *k)
            ),
            Refusal::KioskSignatureOnly => {
                "この端末は署名用パスワードのみ初期化でき、利用者証明用電子証明書の暗証番号は初期化できません".into()
            }
            Refusal::OtherPinUnknown(k) => format!(
                "セルフサービスには{}が必要です。分からない場合（どちらも分からない場合）は窓口でのみ初期化できます",
                pin_name(lang, *k)
            ),
            Refusal::OtherPinBlocked(k) => format!(
                "セルフサービスには{}が必要ですが、それもロックされています",
                pin_name(lang, *k)
            ),
            Refusal::CertificatesMissing => {
                "セルフサービスには、カードに署名用・利用者証明用の両方の電子証明書が必要です"
                    .into()
            }
        },
    }
}

/// The answer of the rules, one line per entry.
pub(crate) fn assessment(a: &Assessment) -> Vec<Text> {
    let mut lines = Vec::new();
    match a {
        Assessment::Possible { place: p, needs } => {
            lines.push(tr(|l| match l {
                Lang::Ja => format!("{}で初期化できます。必要なもの:", place(l, p)),
                Lang::En => format!("Possible at {}. You need:", place(l, p)),
            }));
            for n in needs {
                lines.push(tr(|l| format!("  - {}", need(l, n))));
            }
        }
        Assessment::NotPossible {
            place: p,
            reasons,
            go_instead,
        } => {
            lines.push(tr(|l| match l {
                Lang::Ja => format!("{}では初期化できません:", place(l, p)),
                Lang::En => format!("Not possible at {}:", place(l, p)),
            }));
            for r in reasons {
                lines.push(tr(|l| format!("  - {}", refusal(l, r))));
            }
            lines.push(Text::new("代わりに次の場所へ:", "Go instead to:"));
            for g in go_instead {
                lines.push(tr(|l| format!("  - {}", place(l, g))));
            }
        }
    }
    lines
}

/// What a proxy still lacks.
pub(crate) fn missing(lang: Lang, m: Missing) -> String {
    match lang {
        Lang::En => m.to_string(),
        Lang::Ja => match m {
            Missing::InquiryForm => "本人がすべて記入した照会書兼回答書(兼委任状)（電話または窓口で、本人あてに郵送するよう依頼してください）",
            Missing::CardholdersCard => "本人のマイナンバーカード",
            Missing::ProxyIdentity => "代理人の本人確認書類（代理人のマイナンバーカード、またはA書類2点、またはA書類1点とB書類1点）",
        }
        .into(),
    }
}

/// A document of the proxy menu, with its class.
pub(crate) fn document(lang: Lang, d: &IdDocument) -> String {
    let class = match (d.class(), lang) {
        (Some(k), Lang::En) => format!("class {k:?}"),
        (Some(k), Lang::Ja) => format!("{k:?}書類"),
        (None, _) if *d == IdDocument::ProxyMyNumberCard => {
            pick(lang, "これ1点で可", "enough on its own").into()
        }
        (None, _) => pick(lang, "不可", "not accepted").into(),
    };
    format!("{} [{class}]", d.name())
}

/// The rule a refused PIN value broke (never the value).
pub(crate) fn rule(lang: Lang, r: &Rule) -> String {
    if lang == Lang::En {
        return r.to_string();
    }
    match r {
        Rule::Length { expected, got } => {
            let expected = match expected.strip_prefix("exactly ") {
                Some(n) => n.to_owned(),
                None => expected.replace(" to ", "〜"),
            };
            format!("{expected}文字で入力してください（{got}文字でした）")
        }
        Rule::NotDigit { position } => {
            format!("数字0-9のみ使えます（{position}文字目が数字ではありません）")
        }
        Rule::LowerCase { position } => {
            format!("英小文字は使えません。カードは文字をそのまま比較します（{position}文字目）")
        }
        Rule::NotAlphanumeric { position } => {
            format!("英大文字A-Zと数字0-9のみ使えます（{position}文字目）")
        }
        Rule::NoLetter => "英大文字A-Zを1文字以上含めてください".into(),
        Rule::NoDigit => "数字0-9を1文字以上含めてください".into(),
        Rule::Unchanged => "新しい値が現在の値と同じです".into(),
        Rule::Mismatch => "2回の入力が一致しません".into(),
        other => format!("入力の規則に合いません（{other}）"),
    }
}

fn transport_error(lang: Lang, e: &TransportError) -> String {
    match (lang, e) {
        (Lang::En, e) => e.to_string(),
        (Lang::Ja, TransportError::CardRemoved) => {
            "リーダーにカードがありません（取り出されたか、挿入されていません）".into()
        }
        (Lang::Ja, TransportError::CardReset) => {
            "カードがリセットされました。暗証番号の照合と選択は失われました".into()
        }
        (Lang::Ja, TransportError::NoResponse) => {
            "カードから応答がありません。コマンドが実行されたかどうかは分かりません".into()
        }
        (Lang::Ja, e) => format!("リーダーのエラー（{e}）"),
    }
}

/// A `mynacard` error, as a person reads it. The one place that renders library errors: when
/// the library renders its errors in both languages, this becomes a call to it.
pub fn library_error(e: &Error) -> Text {
    tr(|lang| {
        match (lang, e) {
        (Lang::En, e) => e.to_string(),
        (Lang::Ja, Error::Credential(c)) => format!("入力が正しくありません: {}", rule(lang, &c.rule)),
        (Lang::Ja, Error::Transport(t)) => transport_error(lang, t),
        (Lang::Ja, Error::CardReset) => {
            "カードがリセットされました。それまでの暗証番号の照合は失われています".into()
        }
        (Lang::Ja, Error::WrongPin { kind, tries_left }) => match tries_left {
            0 => format!(
                "{}が違います。最後の1回だったためロックされました。{}",
                pin_name(lang, *kind),
                where_to_reset(lang, *kind)
            ),
            n => format!(
                "{}が違います。ロックまで残り{n}回です",
                pin_name(lang, *kind)
            ),
        },
        (Lang::Ja, Error::Blocked { kind, .. }) => format!(
            "{}はロックされているため送信していません。{}",
            pin_name(lang, *kind),
            where_to_reset(lang, *kind)
        ),
        (Lang::Ja, Error::LastTry { kind, .. }) => format!(
            "{}は残り1回です。誤るとロックされるため、何も送信していません",
            pin_name(lang, *kind)
        ),
        (Lang::Ja, Error::NotFound { .. }) => {
            "このカードには必要なデータがありません（マイナンバーカードではない可能性があります）"
                .into()
        }
        (Lang::Ja, Error::UnknownOutcome { operation, .. }) => format!(
            "{operation}の結果が分かりません。状態を確認してください（確認では回数は減りません）（詳細: {e}）"
        ),
        (Lang::Ja, e) => format!("カードの処理でエラーが発生しました（詳細: {e}）"),
    }
    })
}

/// A reset failure, as a person reads it (the card's part through [`library_error`]).
pub(crate) fn reset_error(e: &ResetError) -> Text {
    match e {
        ResetError::Card(c) => library_error(c),
        ResetError::NotPermitted { kind, .. } => tr(|l| match l {
            Lang::En => e.to_string(),
            Lang::Ja => format!(
                "この端末では{}を初期化できません。何も送信していません。{}",
                pin_name(l, *kind),
                where_to_reset(l, *kind)
            ),
        }),
        ResetError::OtherPinNeeded { kind, needs, .. } => tr(|l| match l {
            Lang::En => e.to_string(),
            Lang::Ja => format!(
                "この端末で{}を初期化するには{}が必要です。何も送信していません",
                pin_name(l, *kind),
                pin_name(l, *needs)
            ),
        }),
        ResetError::Partial {
            kind,
            reset,
            not_reset,
            ..
        } => tr(|l| {
            match l {
            Lang::En => e.to_string(),
            Lang::Ja => format!(
                "{}は{reset}では初期化されましたが、{not_reset}では初期化されていない可能性があります。同じ新しい暗証番号でもう一度初期化してください（両方が初期化されます）。（詳細: {e}）",
                pin_name(l, *kind)
            ),
        }
        }),
        _ => tr(|l| match l {
            Lang::En => e.to_string(),
            Lang::Ja => format!("初期化を完了できませんでした（詳細: {e}）"),
        }),
    }
}

impl Text {
    /// This text with `prefix` (a text too) in front of both versions.
    pub(crate) fn prefixed(&self, prefix: &Text) -> Text {
        self.map(|l, s| format!("{}{s}", prefix.get(l)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_locale_chooses_japanese_only_when_it_starts_with_ja() {
        let env = |all: Option<&str>, msg: Option<&str>, lang: Option<&str>| {
            Lang::from_vars(|name| {
                match name {
                    "LC_ALL" => all,
                    "LC_MESSAGES" => msg,
                    "LANG" => lang,
                    _ => None,
                }
                .map(str::to_owned)
            })
        };
        assert_eq!(env(None, None, Some("ja_JP.UTF-8")), Lang::Ja);
        assert_eq!(env(None, None, Some("en_US.UTF-8")), Lang::En);
        assert_eq!(env(Some("C"), None, Some("ja_JP.UTF-8")), Lang::En);
        assert_eq!(env(Some(""), Some("ja_JP"), Some("en_US")), Lang::Ja);
        assert_eq!(env(None, None, None), Lang::En);
    }

    #[test]
    fn a_broken_rule_reads_in_japanese_without_the_value() {
        let e = mynacard::reset::AnyPin::parse(PinKind::UserAuth, "123").unwrap_err();
        assert_eq!(
            rule(Lang::Ja, &e.rule),
            "4文字で入力してください（3文字でした）"
        );
        let e = mynacard::reset::AnyPin::parse(PinKind::Signature, "AB1").unwrap_err();
        assert!(rule(Lang::Ja, &e.rule).starts_with("6〜16文字"));
        let e = mynacard::reset::AnyPin::parse(PinKind::Signature, "abc123").unwrap_err();
        let ja = rule(Lang::Ja, &e.rule);
        assert!(ja.contains("英小文字") && !ja.contains("abc"), "{ja}");
    }

    #[test]
    fn every_pin_has_a_japanese_name_that_is_not_the_english_one() {
        for k in PinKind::ALL {
            let ja = pin_name(Lang::Ja, k);
            assert!(!ja.is_ascii());
            assert!(!ja.contains(' '), "{ja}");
            assert_ne!(ja, pin_name(Lang::En, k));
        }
    }
}
