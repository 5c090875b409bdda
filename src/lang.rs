//! The language of the messages a person reads: Japanese or English. Every [`crate::Error`]
//! and [`crate::error::Advice`] gives its message in either (`message(Lang::Ja)`); `Display`
//! stays English. So do the card's words that the front ends show, in one wording for all of
//! them: the names of the PINs, certificates and keys (`PinKind::name`, `CertKind::name`,
//! `KeyKind::name`) and where each PIN is reset (`PinKind::where_to_reset_in`), the reset rules
//! (`policy::Place`, `Need`, `Refusal`, `Missing`, `Assessment`: `message`), secure messaging
//! errors (`sm::SmError::message`), and the reader's and the virtual card's notices and errors
//! (`pcsc::Notice`, `pcsc::OpenError`, `sim::StateError`: `message`).

/// A language for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// Japanese.
    Ja,
    /// English.
    #[default]
    En,
}

impl Lang {
    /// The language of the environment, as POSIX chooses the message locale: the first of
    /// `LC_ALL`, `LC_MESSAGES` and `LANG` that is set and not empty decides; Japanese when it
    /// starts with `ja`, English otherwise.
    pub fn from_env() -> Lang {
        Lang::from_vars(|name| std::env::var(name).ok())
    }

    /// [`Lang::from_env`] over any source of variables (for tests and embedders).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Lang {
        for name in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            if let Some(v) = var(name).filter(|v| !v.is_empty()) {
                return if v.starts_with("ja") {
                    Lang::Ja
                } else {
                    Lang::En
                };
            }
        }
        Lang::En
    }

    /// Parses `ja` or `en` (as given to a `--lang` option), ignoring case and surrounding
    /// spaces; `jp`, `japanese`, `日本語` and `english` are accepted too.
    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ja" | "jp" | "japanese" | "日本語" => Some(Lang::Ja),
            "en" | "english" => Some(Lang::En),
            _ => None,
        }
    }

    /// Its code: `ja` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_set_variable_decides() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |n: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(Lang::from_vars(env(&[("LANG", "ja_JP.UTF-8")])), Lang::Ja);
        assert_eq!(Lang::from_vars(env(&[("LANG", "en_US.UTF-8")])), Lang::En);
        assert_eq!(Lang::from_vars(env(&[])), Lang::En);
        assert_eq!(
            Lang::from_vars(env(&[("LC_ALL", "C"), ("LANG", "ja_JP.UTF-8")])),
            Lang::En
        );
        assert_eq!(
            Lang::from_vars(env(&[("LC_MESSAGES", "ja_JP"), ("LANG", "C")])),
            Lang::Ja
        );
        assert_eq!(
            Lang::from_vars(env(&[("LC_ALL", ""), ("LANG", "ja_JP.UTF-8")])),
            Lang::Ja
        );
        assert_eq!(Lang::parse("ja"), Some(Lang::Ja));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::parse(" JA "), Some(Lang::Ja));
        assert_eq!(Lang::parse("English"), Some(Lang::En));
        assert_eq!(Lang::Ja.to_string(), "ja");
    }
}
