//! Every text of the kiosk's own, in Japanese and in English: prompts, menus, headings and
//! layout. The card's words (the PINs' names, the reset rules and where to go, the library's
//! errors) are the library's ([`PinKind::name`], [`Assessment::lines`], [`Error::message`]), in
//! the one wording every front end shows.
//!
//! A [`Text`] holds both; a [`Lang`] chooses which one a front end shows. Sentences are in the
//! chosen language; in English, the Japanese names of the PINs and documents stay beside the
//! English ones, because they are what the card, the forms and the counter staff call them.
//!
//! Errors from the `mynacard` library are rendered by the library itself ([`Error::message`]),
//! through [`library_error`].

use mynacard::credential::Rule;
use mynacard::pin::{PinKind, PinStatus, RetryState};
use mynacard::policy::{Assessment, IdDocument, Missing, Place};
use mynacard::Error;

/// The language of the kiosk's texts: the library's own, so that a front end chooses one
/// language for the kiosk's texts and the library's errors alike.
pub use mynacard::Lang;

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

/// A PIN's name: the library's one wording ([`PinKind::name`]).
pub(crate) fn pin_name(lang: Lang, kind: PinKind) -> String {
    kind.name(lang).to_owned()
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

/// A place where a PIN is reset: the library's words ([`Place::message`]).
pub(crate) fn place(lang: Lang, p: &Place) -> String {
    p.message(lang)
}

/// The answer of the rules, one line per entry: the library's words ([`Assessment::lines`]).
pub(crate) fn assessment(a: &Assessment) -> Vec<Text> {
    let ja = a.lines(Lang::Ja);
    let en = a.lines(Lang::En);
    ja.into_iter().zip(en).map(|(j, e)| Text::new(j, e)).collect()
}

/// What a proxy still lacks: the library's words ([`Missing::message`]).
pub(crate) fn missing(lang: Lang, m: Missing) -> String {
    m.message(lang)
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

/// The rule a refused PIN value broke (never the value): the library's text.
pub(crate) fn rule(lang: Lang, r: &Rule) -> String {
    r.message(lang)
}

/// A `mynacard` error, as a person reads it: the library's own message in each language
/// ([`Error::message`]), resets included.
pub fn library_error(e: &Error) -> Text {
    tr(|lang| e.message(lang))
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
    fn library_errors_read_as_the_library_writes_them() {
        let errors = [
            Error::WrongPin {
                kind: PinKind::UserAuth,
                tries_left: 2,
            },
            Error::Blocked {
                kind: PinKind::Signature,
            },
            mynacard::reset::AnyPin::parse(PinKind::UserAuth, "12a4")
                .unwrap_err()
                .into(),
            Error::Reset(mynacard::error::ResetError::NotPermitted {
                kind: PinKind::Residence,
                terminal: "kiosk".into(),
            }),
        ];
        for e in &errors {
            let t = library_error(e);
            assert_eq!(t.get(Lang::Ja), e.message(Lang::Ja));
            assert_eq!(t.get(Lang::En), e.to_string());
            assert_ne!(t.ja, t.en);
        }
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
