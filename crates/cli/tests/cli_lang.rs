//! Messages in Japanese or English: `--lang`, else `LC_ALL`, `LC_MESSAGES`, `LANG`.

use std::process::Output;

mod common;
use common::myna_in;

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const JA: &[(&str, &str)] = &[("LANG", "ja_JP.UTF-8")];

#[test]
fn japanese_from_lang_and_english_from_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("card.json");
    // Each case: (extra arguments, stdin, exit code, Japanese text, English text). The same
    // command runs with LANG=ja_JP.UTF-8, then with LANG=ja_JP.UTF-8 and --lang en.
    let cases: &[(&[&str], &str, i32, &str, &str)] = &[
        (&["status"], "", 0, "残り回数", "tries left"),
        (&["status"], "", 0, "数字4桁", "4 digits"),
        (
            &["--pin-stdin", "verify", "auth"],
            "9999\n",
            3,
            "利用者証明用電子証明書の暗証番号が違います。ロックまで残り2回です",
            "wrong user-authentication PIN",
        ),
        (
            &["--pin-stdin", "verify", "auth"],
            "1234\n",
            0,
            "利用者証明用電子証明書の暗証番号: 照合しました",
            "user-authentication PIN (利用者証明用電子証明書): verified",
        ),
        (
            &["bogus"],
            "",
            2,
            "コマンド「bogus」はありません",
            "unrecognized subcommand",
        ),
        (
            &["verify", "bogus"],
            "",
            2,
            "PINの種類「bogus」はありません",
            "unknown PIN kind `bogus`",
        ),
        (
            &["--json", "bogus"],
            "",
            2,
            "\"error\":\"コマンド「bogus」はありません",
            "\"error\":\"unrecognized subcommand",
        ),
        (
            &["--pin-stdin", "reset", "residence", "--terminal", "kiosk"],
            "1234\n",
            10,
            "住民基本台帳用の暗証番号はセルフサービスでは再設定できません",
            "only the municipal counter resets it",
        ),
        (
            &["--pin-stdin", "verify", "auth"],
            "12345\n",
            6,
            "利用者証明用電子証明書の暗証番号が正しくありません: 4文字で入力してください",
            "must be exactly 4 characters long",
        ),
        (
            &["--pin-stdin", "verify", "auth"],
            "",
            6,
            "標準入力が終わりました",
            "standard input ended",
        ),
    ];
    for (args, stdin, code, ja, en) in cases {
        let o = myna_in(JA, &st, args, stdin);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(*code), "ja {args:?}: {out}");
        assert!(out.contains(ja), "ja {args:?}: {out}");
        assert!(!out.contains(en), "ja {args:?}: {out}");
        // A verify that spent a try is not repeated in English: reset the counter first.
        let _ = myna_in(JA, &st, &["--pin-stdin", "verify", "auth"], "1234\n");
        let o = myna_in(JA, &st, &[&["--lang", "en"], *args].concat(), stdin);
        let out = text(&o);
        assert_eq!(o.status.code(), Some(*code), "en {args:?}: {out}");
        assert!(out.contains(en), "en {args:?}: {out}");
        assert!(!out.contains(ja), "en {args:?}: {out}");
        let _ = myna_in(JA, &st, &["--pin-stdin", "verify", "auth"], "1234\n");
    }
}

#[test]
fn library_errors_are_the_librarys_own_japanese() {
    use mynacard::pin::PinKind;
    use mynacard::{Error, Lang};
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("card.json");
    // A wrong PIN (the card's answer) and a refused format (nothing sent).
    let cases: [(&str, i32, Error); 2] = [
        (
            "9999\n",
            3,
            Error::WrongPin {
                kind: PinKind::UserAuth,
                tries_left: 2,
            },
        ),
        (
            "12a4\n",
            6,
            mynacard::reset::AnyPin::parse(PinKind::UserAuth, "12a4")
                .unwrap_err()
                .into(),
        ),
    ];
    for (stdin, code, e) in cases {
        let o = myna_in(JA, &st, &["--pin-stdin", "verify", "auth"], stdin);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(code), "{err}");
        assert!(err.contains(&e.message(Lang::Ja)), "{err}");
        assert!(!err.contains(&e.to_string()), "{err}");
    }
}

#[test]
fn the_environment_decides_in_posix_order_and_the_flag_wins() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("card.json");
    let heading = |env: &[(&str, &str)], args: &[&str]| {
        let o = myna_in(env, &st, &[args, &["status"]].concat(), "");
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let first = String::from_utf8_lossy(&o.stdout)
            .lines()
            .next()
            .unwrap()
            .to_owned();
        if first.contains("残り回数") {
            "ja"
        } else {
            assert!(first.contains("tries left"), "{first}");
            "en"
        }
    };
    assert_eq!(heading(&[], &[]), "en");
    assert_eq!(heading(&[("LANG", "ja_JP.UTF-8")], &[]), "ja");
    assert_eq!(heading(&[("LANG", "en_US.UTF-8")], &[]), "en");
    assert_eq!(
        heading(&[("LANG", "C"), ("LC_MESSAGES", "ja_JP.UTF-8")], &[]),
        "ja"
    );
    assert_eq!(
        heading(&[("LANG", "ja_JP.UTF-8"), ("LC_MESSAGES", "C")], &[]),
        "en"
    );
    assert_eq!(
        heading(&[("LANG", "C"), ("LC_ALL", "ja_JP.UTF-8")], &[]),
        "ja"
    );
    assert_eq!(
        heading(&[("LC_MESSAGES", "ja_JP.UTF-8"), ("LC_ALL", "C")], &[]),
        "en"
    );
    assert_eq!(
        heading(&[("LC_ALL", ""), ("LANG", "ja_JP.UTF-8")], &[]),
        "ja"
    );
    assert_eq!(heading(&[], &["--lang", "ja"]), "ja");
    assert_eq!(heading(&[("LANG", "ja_JP.UTF-8")], &["--lang=en"]), "en");
    // --lang is checked like any argument.
    let o = myna_in(&[], &st, &["--lang", "fr", "status"], "");
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn json_keys_stay_english_in_japanese() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("card.json");
    let o = myna_in(
        JA,
        &st,
        &["--json", "--pin-stdin", "verify", "auth"],
        "9999\n",
    );
    assert_eq!(o.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["exit_code"], 3);
    assert_eq!(v["tries_left"], 2);
    assert!(v["error"].as_str().unwrap().contains("違います"));
}

/// `myna --help` follows the language like every other message (issue 19): Japanese under a
/// Japanese locale or `--lang ja`, English with `--lang en`.
#[test]
fn the_help_follows_the_language() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("card.json");
    let help = |env: &[(&str, &str)], args: &[&str]| {
        let mut all = args.to_vec();
        all.push("--help");
        let env: Vec<(&str, &str)> = [("LC_ALL", ""), ("LC_MESSAGES", "")]
            .into_iter()
            .chain(env.iter().copied())
            .collect();
        let o = myna_in(&env, &st, &all, "");
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    for ja in [help(JA, &[]), help(&[("LANG", "C")], &["--lang", "ja"])] {
        assert!(ja.contains("使い方: myna"), "{ja}");
        assert!(ja.contains("4つの暗証番号の残り回数を表示する"), "{ja}");
        assert!(ja.contains("表示の言語"), "{ja}");
        assert!(ja.contains("終了コード:"), "{ja}");
        assert!(!ja.contains("Show the four PINs' retry counters"), "{ja}");
        assert!(!ja.contains("Exit codes:"), "{ja}");
        assert!(
            ja.contains("オプション:") && ja.contains("ヘルプを表示する"),
            "{ja}"
        );
        assert!(
            !ja.contains("Options:") && !ja.contains("Print help"),
            "{ja}"
        );
    }
    // A subcommand's help works in Japanese too, with its flag in Japanese.
    let sub = help(JA, &["status"]);
    assert!(sub.contains("使い方: myna status"), "{sub}");
    assert!(!sub.contains("Usage: myna status"), "{sub}");
    assert!(sub.contains("ヘルプを表示する"), "{sub}");
    let en = help(JA, &["--lang=en"]);
    assert!(en.contains("Show the four PINs' retry counters"), "{en}");
    assert!(en.contains("Exit codes:"), "{en}");
    assert!(!en.contains("使い方"), "{en}");
}

/// The English help's own sentences (each argument's help, each value's, the summaries, the
/// after-help, clap's headings and notes), computed from the English `--help`: a flag's line
/// gives the text after its flags; a line of flags alone gives nothing; a possible value's
/// line gives the text after its name. Pieces with no English word ("PEM", "<TARGET>") are left
/// out, since they read the same in Japanese.
fn english_pieces(help: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    for line in help.lines() {
        let t = line.trim();
        let piece = if let Some(value) = t.strip_prefix("- ") {
            // "- counter: The municipal counter: any of the four PINs"
            value.split_once(": ").map_or(value, |(_, h)| h).trim()
        } else if let Some((_, text)) = t.split_once("  ") {
            // "--json   Print …", "status   Show …", "0  success"
            text.trim()
        } else if t.starts_with('-') || t.starts_with('<') {
            // A flag or an argument alone on its line (its help on the next).
            continue;
        } else {
            t
        };
        let english = piece
            .split(|c: char| !c.is_ascii_alphabetic())
            .any(|w| w.len() >= 3 && w.chars().any(|c| c.is_ascii_lowercase()));
        if english {
            pieces.push(piece.to_owned());
        }
    }
    pieces
}

/// The flags that a help lists (`-h`, `--help`, `--allow-last-try`, …), from the lines that
/// start with a flag.
fn listed_flags(help: &str) -> std::collections::BTreeSet<String> {
    help.lines()
        .map(str::trim)
        .filter(|t| t.starts_with('-') && !t.starts_with("- "))
        .flat_map(|t| {
            let spec = t.split_once("  ").map_or(t, |(s, _)| s);
            spec.split([' ', ','])
                .filter(|w| w.starts_with('-') && w.len() > 1)
                .map(|w| w.trim_end_matches(['=', ',']).to_owned())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Every subcommand's `--help` in Japanese is Japanese throughout (issue: the arguments, their
/// values and defaults, the after-help of `verify` and clap's own headings stayed English):
/// none of the English help's sentences is left, the headings are 使い方 / 引数 / オプション,
/// and every flag of the English help is still listed. The subcommands and the English
/// sentences come from the English help, so an argument or a subcommand added later without
/// its Japanese fails here.
#[test]
fn every_subcommand_help_is_japanese_throughout() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("card.json");
    let run = |env: &[(&str, &str)], args: &[&str]| {
        let env: Vec<(&str, &str)> = [("LC_ALL", ""), ("LC_MESSAGES", "")]
            .into_iter()
            .chain(env.iter().copied())
            .collect();
        let o = myna_in(&env, &st, args, "");
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let top = run(&[], &["--help"]);
    let subcommands: Vec<String> = top
        .lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|s| *s != "help")
        .map(str::to_owned)
        .collect();
    assert!(
        subcommands.len() >= 10 && subcommands.iter().any(|s| s == "verify"),
        "{subcommands:?} from:\n{top}"
    );
    let cases = std::iter::once(Vec::new()).chain(subcommands.iter().map(|s| vec![s.as_str()]));
    // Every subcommand's sentences and clap's words left in English, reported together.
    let mut untranslated = Vec::new();
    for sub in cases {
        let with = |extra: &[&'static str]| [&sub[..], extra].concat();
        let en = run(&[], &with(&["--help"]));
        let ja = run(JA, &with(&["--help"]));
        // The flag and the environment give the same help.
        assert_eq!(
            run(&[("LANG", "C")], &with(&["--lang", "ja", "--help"])),
            ja,
            "{sub:?}"
        );
        // `myna help SUB` too.
        assert_eq!(run(JA, &[&["help"], &sub[..]].concat()), ja, "{sub:?}");
        let pieces = english_pieces(&en);
        assert!(pieces.len() >= 8, "{sub:?}: {pieces:?}");
        untranslated.extend(
            pieces
                .iter()
                .filter(|p| ja.contains(p.as_str()))
                .map(|p| format!("{sub:?}: {p}")),
        );
        for clap_word in [
            "Usage:",
            "Arguments:",
            "Options:",
            "Commands:",
            "Possible values:",
            "[default:",
            "[possible values:",
            "[OPTIONS]",
            "<COMMAND>",
            "Print help",
        ] {
            if ja.contains(clap_word) {
                untranslated.push(format!("{sub:?}: {clap_word}"));
            }
        }
        let usage = format!(
            "使い方: {}",
            ["myna"]
                .iter()
                .chain(&sub)
                .copied()
                .collect::<Vec<_>>()
                .join(" ")
        );
        let headings = [
            (usage.as_str(), true),
            ("\nオプション:\n", true),
            ("\n引数:\n", en.contains("\nArguments:\n")),
        ];
        for (heading, expected) in headings {
            if ja.contains(heading) != expected {
                untranslated.push(format!("{sub:?}: {heading:?} should be there: {expected}"));
            }
        }
        assert_eq!(listed_flags(&ja), listed_flags(&en), "{sub:?}\n{ja}");
        assert!(listed_flags(&en).contains("--json"), "{sub:?}\n{en}");
        // The English help stays English, whatever the environment says.
        assert_eq!(run(JA, &with(&["--lang", "en", "--help"])), en, "{sub:?}");
        assert!(
            en.contains("Usage: myna") && en.contains("Options:"),
            "{en}"
        );
        for ja_word in ["使い方", "オプション", "引数", "既定"] {
            assert!(!en.contains(ja_word), "{sub:?}: {ja_word}\n{en}");
        }
    }
    assert!(
        untranslated.is_empty(),
        "English left in the Japanese help, or Japanese headings missing:\n{}",
        untranslated.join("\n")
    );
}

/// A usage error's tail (clap's usage line, its tip and its pointer to --help) is in Japanese
/// too.
#[test]
fn usage_errors_show_the_japanese_usage() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("card.json");
    for (args, usage) in [
        (&["verify"][..], "使い方: myna verify [オプション] <"),
        (
            &["verify", "--allow-last-tr", "auth"][..],
            "ヒント: 似た引数があります: '--allow-last-try'",
        ),
        (&["statu"][..], "使い方: myna [オプション] <コマンド>"),
    ] {
        let o = myna_in(JA, &st, args, "");
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(usage), "{args:?}: {err}");
        assert!(
            err.contains("詳しくは '--help' でヘルプを表示してください。"),
            "{err}"
        );
        for en in ["Usage:", "For more information", "tip:", "[OPTIONS]"] {
            assert!(!err.contains(en), "{args:?}: {en}\n{err}");
        }
        // English stays clap's.
        let o = myna_in(&[], &st, args, "");
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(
            err.contains("Usage: myna") && err.contains("For more information"),
            "{err}"
        );
    }
}
