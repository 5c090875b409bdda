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

/// A fixed text of the kiosk's own, in both languages ([`Words::text`] makes it a [`Text`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Words {
    ja: &'static str,
    en: &'static str,
}

impl Words {
    /// The two versions.
    pub(crate) const fn new(ja: &'static str, en: &'static str) -> Words {
        Words { ja, en }
    }

    /// The version in `lang`.
    pub(crate) const fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Ja => self.ja,
            Lang::En => self.en,
        }
    }

    /// Both versions as a [`Text`].
    pub(crate) fn text(self) -> Text {
        Text::new(self.ja, self.en)
    }
}

pub(crate) const COUNTER_IN_PERSON_OR_PROXY: Words = Words {
    ja: "窓口では、本人が来庁した場合、または書類を持参した代理人の場合に暗証番号を再設定します（代理人の場合は --place proxy で実行してください）。",
    en: "The counter resets a PIN for the cardholder in person, or for a proxy with the documents (run with --place proxy).",
};
pub(crate) const STAFF_IS_CARDHOLDERS_CARD: Words = Words {
    ja: "職員: 挿入されたカードは本人のマイナンバーカードですか？",
    en: "Staff: is the inserted card the cardholder's own My Number Card?",
};
pub(crate) const PROXY_DOCUMENTS: Words = Words {
    ja: "代理人の本人確認書類:",
    en: "The proxy's identity documents:",
};
pub(crate) const STAFF_ENTER_DOCUMENTS: Words = Words {
    ja: "職員: 提示された書類の番号をカンマ区切りで入力してください（なければ空欄）:",
    en: "Staff: enter the numbers of the documents shown, separated by commas (empty: none):",
};
pub(crate) const PROXY_MISSING: Words = Words {
    ja: "代理人の手続はまだ進められません。不足しているもの:",
    en: "The proxy cannot go on yet. Missing:",
};
pub(crate) const PROXY_COMPLETE: Words = Words {
    ja: "代理人の確認事項はすべてそろっています。",
    en: "Proxy checklist complete.",
};
pub(crate) const ENTRIES_DIFFER: Words = Words {
    ja: "2回の入力が一致しません。もう一度:",
    en: "The two entries differ. Again:",
};
pub(crate) const CARD_FOUND: Words = Words {
    ja: "カードを確認しました。",
    en: "Card found.",
};
pub(crate) const PIN_STATUS_HEADING: Words = Words {
    ja: "暗証番号の状態（読み取りでは回数は減りません）:",
    en: "Your PINs (reading them spends no try):",
};
pub(crate) const WHICH_PIN: Words = Words {
    ja: "どの暗証番号を再設定しますか？",
    en: "Which PIN do you want to reset?",
};
pub(crate) const ENTER_1_TO_4: Words = Words {
    ja: "1〜4を入力してください（q で終了）:",
    en: "Enter 1-4 (q to quit):",
};
pub(crate) const NO_CARD: Words = Words {
    ja: "カードがありません: ",
    en: "No card: ",
};
pub(crate) const TITLE: Words = Words {
    ja: "=== マイナンバーカード 暗証番号の再設定 ===",
    en: "=== My Number Card PIN reset (マイナンバーカード 暗証番号の再設定) ===",
};
pub(crate) const NOT_A_SMARTPHONE_APP: Words = Words {
    ja: "この手続はキオスク端末または窓口の端末で行うもので、スマートフォンアプリとしては動作しません。",
    en: "This flow runs on a kiosk or counter terminal, not as the smartphone app.",
};
pub(crate) const INSERT_CARD: Words = Words {
    ja: "カードを挿入してください。",
    en: "Insert your My Number Card.",
};
pub(crate) const INSERT_CARD_THEN_ENTER: Words = Words {
    ja: "マイナンバーカードを挿入して Enter を押してください（q で終了）:",
    en: "Insert your My Number Card, then press Enter (q to quit):",
};
pub(crate) const STAFF_CARDHOLDER_IN_PERSON: Words = Words {
    ja: "職員: 本人がこのカードを持って来庁し、本人確認は済んでいますか？",
    en: "Staff: is the cardholder here in person, with this card, and identified?",
};
pub(crate) const STAFF_PROXY_FORM: Words = Words {
    ja: "職員: 代理人は、本人がすべて記入した照会書兼回答書(兼委任状)を持参していますか？",
    en: "Staff: has the proxy brought the inquiry form with power of attorney \
                     (照会書兼回答書(兼委任状)), filled in entirely by the cardholder?",
};
pub(crate) const ENTER_PINS: Words = Words {
    ja: "暗証番号を入力してください。入力した文字は表示されません。",
    en: "Enter your PINs. Nothing you type is shown.",
};
pub(crate) const PINS_NOW: Words = Words {
    ja: "現在の暗証番号の状態:",
    en: "Your PINs now:",
};
pub(crate) const TRY_AGAIN: Words = Words {
    ja: "もう一度入力しますか？",
    en: "Try again?",
};
pub(crate) const TYPE_YES_FOR_LAST_TRY: Words = Words {
    ja: "最後の1回を使う場合は YES と入力してください。それ以外の入力で中止します:",
    en: "Type YES to use the last try, anything else to stop:",
};
pub(crate) const RESET_INCOMPLETE: Words = Words {
    ja: "再設定を完了できませんでした: ",
    en: "The reset did not complete: ",
};
pub(crate) const CARD_UNREADABLE: Words = Words {
    ja: "カードを読み取れませんでした: ",
    en: "The card could not be read: ",
};
pub(crate) const ANSWER_Y_OR_N: Words = Words {
    ja: "y か n で答えてください。",
    en: "Please answer y or n.",
};
pub(crate) const DONE_TAKE_CARD: Words = Words {
    ja: "完了しました。カードをお取りください。",
    en: "Done. Please take your card.",
};
pub(crate) const CARD_REMOVED: Words = Words {
    ja: "カードが取り出されました。入力した内容は保持していません。",
    en: "The card was removed. Nothing you entered was kept.",
};
pub(crate) const IDLE_TIMEOUT: Words = Words {
    ja: "一定時間操作がなかったため、手続を終了しました。入力した内容は保持していません。",
    en: "Nothing was entered for a while, so the flow was ended. Nothing you entered was kept.",
};
pub(crate) const NOT_MY_NUMBER_CARD: Words = Words {
    ja: "このカードはマイナンバーカードではありません。マイナンバーカードを挿入してください。",
    en: "This is not a My Number Card. Please insert your My Number Card.",
};
pub(crate) const CARD_NOT_OPENED: Words = Words {
    ja: "カードに接続できませんでした。カードを挿入し直してください: ",
    en: "The card could not be opened. Please insert it again: ",
};
pub(crate) const TOUCH_CHOOSE_ONE: Words = Words {
    ja: "選んでください。",
    en: "Touch your choice.",
};
pub(crate) const TOUCH_CHOOSE_SEVERAL: Words = Words {
    ja: "職員: 提示された書類をすべて選び、最後に決定を押してください（なければそのまま決定）。",
    en: "Staff: touch every document shown, then OK (none: OK at once).",
};
pub(crate) const TOUCH_YES_FOR_LAST_TRY: Words = Words {
    ja: "「はい」を押すと最後の1回を使って入力した暗証番号を確認します。「いいえ」で中止します。",
    en: "Yes uses the last try to check the PIN you entered. No stops here.",
};
pub(crate) const NOTHING_MORE_TAKE_CARD: Words = Words {
    ja: "ここでの手続は以上です。カードをお取りください。",
    en: "Nothing more to do here. Please take your card.",
};

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
    ja.into_iter()
        .zip(en)
        .map(|(j, e)| Text::new(j, e))
        .collect()
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

/// The names of the kinds of answer, for messages.
pub(crate) mod answer {
    use super::Words;

    /// A menu choice.
    pub(crate) const CHOICE: Words = Words::new("選択肢の番号", "a menu choice");
    /// A list of menu choices.
    pub(crate) const CHOICES: Words = Words::new("選択肢の番号の一覧", "a list of menu choices");
    /// Yes or no.
    pub(crate) const YES_NO: Words = Words::new("はい・いいえ", "yes or no");
    /// Quit.
    pub(crate) const QUIT: Words = Words::new("終了", "quit");
    /// An answer that was not understood.
    pub(crate) const UNRECOGNISED: Words = Words::new("読み取れない回答", "an unrecognised answer");
    /// A secret.
    pub(crate) const SECRET: Words = Words::new("暗証番号", "a secret");
    /// The card.
    pub(crate) const CARD: Words = Words::new("カード", "a card");
    /// No answer.
    pub(crate) const NONE: Words = Words::new("なし", "no answer");
}

/// An answer given when no question is open.
pub(crate) const NOT_ASKED: Words = Words::new(
    "開いている質問がありません。先に次のステップを表示してください",
    "no question is open: show the next step first",
);
/// An answer given after the end.
pub(crate) const FINISHED: Words = Words::new("手続は終了しています", "the flow is over");

/// An answer of the wrong kind (`expected` and `got` named in `lang`).
pub(crate) fn wrong_kind(lang: Lang, expected: &str, got: &str) -> String {
    match lang {
        Lang::Ja => {
            format!("この質問への回答は{expected}で、{got}ではありません。何も送信していません")
        }
        Lang::En => format!("the question takes {expected}, not {got}; nothing was sent"),
    }
}

/// A choice outside the menu.
pub(crate) fn out_of_range(lang: Lang, choice: usize, choices: usize) -> String {
    match lang {
        Lang::Ja => format!("選択肢{choice}はありません（選択肢は{choices}個です）"),
        Lang::En => format!("choice {choice} is not among the {choices} choices"),
    }
}

// ---- The flow's sentences with values in them ----

/// A badly formed other PIN: nothing was sent.
pub(crate) fn invalid_value_nothing_sent(broken: &Rule) -> Text {
    tr(|l| match l {
        Lang::Ja => format!(
            "正しい形式ではありません（{}）。何も送信していないため、回数は減っていません。",
            rule(l, broken)
        ),
        Lang::En => format!(
            "That is not a valid value ({}); nothing was sent, no try was spent.",
            rule(l, broken)
        ),
    })
}

/// The prompt for the new PIN a second time.
pub(crate) fn new_pin_again(kind: PinKind) -> Text {
    tr(|l| match l {
        Lang::Ja => {
            format!("新しい{}（確認のためもう一度）:", pin_name(l, kind))
        }
        Lang::En => format!("New {}, again:", pin_name(l, kind)),
    })
}

/// A badly formed new PIN: asked again.
pub(crate) fn invalid_value_again(broken: &Rule) -> Text {
    tr(|l| match l {
        Lang::Ja => format!("正しい形式ではありません（{}）。もう一度:", rule(l, broken)),
        Lang::En => format!("That is not a valid value ({}). Again:", rule(l, broken)),
    })
}

/// The heading of the reset itself.
pub(crate) fn resetting(kind: PinKind) -> Text {
    tr(|l| match l {
        Lang::Ja => format!("{}を再設定しています…", pin_name(l, kind)),
        Lang::En => format!("Resetting the {}…", pin_name(l, kind)),
    })
}

/// An answer line that could not be read (at `line` of a script, when known).
pub(crate) fn unreadable_answer(line: Option<usize>, too_long: bool) -> Text {
    tr(|l| {
        let at = match (line, l) {
            (Some(n), Lang::Ja) => format!("{n}行目の"),
            (Some(n), Lang::En) => format!(" (line {n})"),
            (None, _) => String::new(),
        };
        match (l, too_long) {
                        (Lang::Ja, false) => format!("{at}回答はUTF-8の文字列ではないため読み取れません。使わずに終了します。"),
                        (Lang::Ja, true) => format!("{at}回答が長すぎるため（1 KiB超）読み取れません。使わずに終了します。"),
                        (Lang::En, false) => format!("The answer{at} is not UTF-8 text and cannot be read; it was not used. Stopping."),
                        (Lang::En, true) => format!("The answer{at} is too long (over 1 KiB) and cannot be read; it was not used. Stopping."),
                    }
    })
}

/// The terminal, at the start.
pub(crate) fn terminal_line(terminal: &str) -> Text {
    tr(|l| format!("{}{terminal}", pick(l, "端末: ", "Terminal: ")))
}

/// The place, at the start.
pub(crate) fn place_line(p: &Place) -> Text {
    tr(|l| format!("{}{}", pick(l, "場所: ", "Place: "), place(l, p)))
}

/// The card (or reader), at the start.
pub(crate) fn card_line(label: &str) -> Text {
    tr(|l| format!("{}{label}", pick(l, "カード: ", "Card: ")))
}

/// The heading of the rules' check for the chosen PIN.
pub(crate) fn checking_rules(kind: PinKind) -> Text {
    tr(|l| match l {
        Lang::Ja => format!("ここで{}を再設定できるか確認します。", pin_name(l, kind)),
        Lang::En => format!("Checking the rules for the {} here.", pin_name(l, kind)),
    })
}

/// Whether the person knows the other JPKI PIN.
pub(crate) fn do_you_know(o: PinKind) -> Text {
    tr(|l| match l {
        Lang::Ja => format!("{}が分かりますか？", pin_name(l, o)),
        Lang::En => format!("Do you know your {}?", pin_name(l, o)),
    })
}

/// A warning that the other PIN has one try left.
pub(crate) fn careful_last_try(k: PinKind) -> Text {
    tr(|l| match l {
        Lang::Ja => format!(
            "ご注意ください: {}は残り1回です。誤るとロックされます。",
            pin_name(l, k)
        ),
        Lang::En => format!(
            "Careful: your {} has 1 try left; a wrong value will lock it.",
            pin_name(l, k)
        ),
    })
}

/// What the new PIN must be.
pub(crate) fn choose_new(kind: PinKind) -> Text {
    tr(|l| match l {
        Lang::Ja => format!(
            "新しい{}を決めてください: {}。",
            pin_name(l, kind),
            format_hint(l, kind)
        ),
        Lang::En => format!(
            "Choose the new {}: {}.",
            pin_name(l, kind),
            format_hint(l, kind)
        ),
    })
}

/// The prompt for the new PIN.
pub(crate) fn new_pin(kind: PinKind) -> Text {
    tr(|l| match l {
        Lang::Ja => format!("新しい{}:", pin_name(l, kind)),
        Lang::En => format!("New {}:", pin_name(l, kind)),
    })
}

/// The PIN was reset, with its counters now.
pub(crate) fn was_reset(kind: PinKind, status: &PinStatus) -> Text {
    tr(|l| match l {
        Lang::Ja => format!(
            "{}を再設定しました: {}。",
            pin_name(l, kind),
            status_line(l, status)
        ),
        Lang::En => format!(
            "The {} was reset: {}.",
            pin_name(l, kind),
            status_line(l, status)
        ),
    })
}

/// The other PIN was wrong: `n` tries left, the target not reset.
pub(crate) fn wrong_other(k: PinKind, n: u8, kind: PinKind) -> Text {
    tr(|l| match l {
        Lang::Ja => format!(
            "{}が違います。ロックまで残り{n}回です。{}は再設定されていません。",
            pin_name(l, k),
            pin_name(l, kind)
        ),
        Lang::En => format!(
            "That {} was wrong: {n} {} left before it locks. The {} was not reset.",
            pin_name(l, k),
            if n == 1 { "try" } else { "tries" },
            pin_name(l, kind)
        ),
    })
}

/// The other PIN has one try left: the card refused to spend it unasked.
pub(crate) fn other_last_try(k: PinKind) -> Text {
    tr(|l| {
        match l {
                            Lang::Ja => format!(
                                "{}は残り1回です。この値が違うとロックされ、どちらの暗証番号も市区町村の窓口でしか再設定できなくなります。",
                                pin_name(l, k)
                            ),
                            Lang::En => format!(
                                "Your {} has 1 try left: if this value is wrong it will be locked, \
                                 and then only the municipal counter can reset either PIN.",
                                pin_name(l, k)
                            ),
                        }
    })
}

/// A single-choice menu's answer was not understood.
pub(crate) fn enter_number(n: usize) -> Text {
    tr(|l| match l {
        Lang::Ja => format!("1〜{n}の数字を入力してください。"),
        Lang::En => format!("Please enter a number from 1 to {n}."),
    })
}

/// A multiple-choice menu's answer was not understood.
pub(crate) fn enter_numbers(n: usize) -> Text {
    tr(|l| match l {
        Lang::Ja => format!("1〜{n}の数字をカンマ区切りで入力してください。"),
        Lang::En => format!("Please enter numbers from 1 to {n}, separated by commas."),
    })
}

/// A step's heading: its number among `stages`, and its text.
pub(crate) fn step_heading(number: u8, stages: u8, text: &Text) -> Text {
    tr(|l| match l {
        Lang::Ja => format!("ステップ {number}/{stages} · {}", text.get(l)),
        Lang::En => format!("Step {number} of {stages} · {}", text.get(l)),
    })
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
