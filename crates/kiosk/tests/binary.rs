//! The `myna-kiosk` binary: its language choice, its options and its exit codes.

use std::path::Path;
use std::process::{Command, Output};

fn kiosk(state: &Path, args: &[&str], script: &[u8], env: &[(&str, &str)]) -> Output {
    let dir = state.parent().unwrap();
    let script_path = dir.join("answers.txt");
    std::fs::write(&script_path, script).unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_myna-kiosk"));
    c.arg("--sim-state")
        .arg(state)
        .arg("--script")
        .arg(&script_path)
        .args(args);
    for v in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        c.env_remove(v);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn state() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.json");
    (dir, path)
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

const RESET_SIGN: &[u8] = b"\n1\ny\n1234\nNEWPASS1\nNEWPASS1\n";

#[test]
fn lang_ja_shows_the_flow_in_japanese_and_exits_0() {
    let (_d, path) = state();
    let o = kiosk(&path, &["--lang", "ja"], RESET_SIGN, &[]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("ステップ 7/7"), "{out}");
    assert!(out.contains("完了しました。カードをお取りください。"));
    assert!(!out.contains("Step "));
    assert!(!out.contains("1234") && !out.contains("NEWPASS1"));
}

#[test]
fn the_language_comes_from_the_locale_unless_given() {
    let (_d, path) = state();
    let q = b"q\n";
    let ja = stdout(&kiosk(&path, &[], q, &[("LANG", "ja_JP.UTF-8")]));
    assert!(ja.contains("ステップ 1/7"), "{ja}");
    let ja = stdout(&kiosk(
        &path,
        &[],
        q,
        &[("LC_MESSAGES", "ja_JP"), ("LANG", "C")],
    ));
    assert!(ja.contains("ステップ 1/7"), "{ja}");
    let en = stdout(&kiosk(
        &path,
        &[],
        q,
        &[("LC_ALL", "C.UTF-8"), ("LANG", "ja_JP.UTF-8")],
    ));
    assert!(en.contains("Step 1 of 7"), "{en}");
    let en = stdout(&kiosk(&path, &[], q, &[]));
    assert!(en.contains("Step 1 of 7"), "{en}");
    let en = stdout(&kiosk(
        &path,
        &["--lang", "en"],
        q,
        &[("LANG", "ja_JP.UTF-8")],
    ));
    assert!(en.contains("Step 1 of 7"), "{en}");
}

#[test]
fn exit_codes() {
    let (_d, path) = state();
    // Quit at the first question: 12.
    assert_eq!(kiosk(&path, &[], b"q\n", &[]).status.code(), Some(12));
    // Not possible here (the residence PIN at a kiosk): 10.
    assert_eq!(kiosk(&path, &[], b"\n3\n", &[]).status.code(), Some(10));
    // A line that is not UTF-8: 6, with a message, not the end of the script.
    let o = kiosk(&path, &[], b"\n\xff\n", &[]);
    assert_eq!(o.status.code(), Some(6));
    assert!(stdout(&o).contains("not UTF-8"));
    // A bad --lang, or a script that cannot be read: 2, before the card is touched.
    let o = kiosk(&path, &["--lang", "fr"], b"q\n", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("ja"));
    let o = Command::new(env!("CARGO_BIN_EXE_myna-kiosk"))
        .arg("--sim-state")
        .arg(&path)
        .args(["--script", "/nonexistent/answers.txt", "--lang", "ja"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("読み取れません"));
    // Done: 0; the APDU log shows the PINs masked.
    let o = kiosk(&path, &["--show-apdus", "--lang", "en"], RESET_SIGN, &[]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains("APDU exchanges (25; PINs masked):"), "{out}");
}

#[test]
fn the_help_follows_the_language() {
    let help = |args: &[&str], lang: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_myna-kiosk"));
        c.args(args).arg("--help");
        for v in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            c.env_remove(v);
        }
        if let Some(l) = lang {
            c.env("LANG", l);
        }
        let o = c.output().unwrap();
        assert_eq!(o.status.code(), Some(0));
        stdout(&o)
    };
    let ja = help(&["--lang", "ja"], None);
    assert!(ja.contains("暗証番号の再設定"), "{ja}");
    assert!(ja.contains("仮想カードの状態ファイル"));
    // The PIN in the place's help is named by the library.
    assert!(
        ja.contains(mynacard::pin::PinKind::Signature.name(mynacard::Lang::Ja)),
        "{ja}"
    );
    assert!(!ja.contains("A self-service kiosk"), "{ja}");
    // clap's own words too.
    assert!(ja.contains("使い方:") && ja.contains("オプション:"), "{ja}");
    assert!(
        ja.contains("ヘルプを表示する") && !ja.contains("Print help"),
        "{ja}"
    );
    assert!(help(&[], Some("ja_JP.UTF-8")).contains("表示の言語"));
    let en = help(&["--lang=en"], Some("ja_JP.UTF-8"));
    assert!(en.contains("Guided My Number Card PIN reset"), "{en}");
    assert!(en.contains("The virtual card's state file"));
}

/// The virtual card's own errors are shown in the kiosk's language (the library's words), not
/// in English under `--lang ja`.
#[test]
fn a_corrupt_virtual_card_is_reported_in_the_kiosks_language() {
    let (_d, path) = state();
    std::fs::write(&path, b"{ not json").unwrap();
    let ja = kiosk(&path, &["--lang", "ja"], b"\n", &[]);
    // No card: the script then ends (cancelled).
    assert_eq!(ja.status.code(), Some(12), "{}", stdout(&ja));
    let out = stdout(&ja);
    assert!(
        out.contains("カードがありません: 仮想カードの状態"),
        "{out}"
    );
    assert!(out.contains("壊れている"), "{out}");
    assert!(!out.contains("is corrupted"), "{out}");
    let en = kiosk(&path, &["--lang", "en"], b"\n", &[]);
    assert!(stdout(&en).contains("is corrupted"), "{}", stdout(&en));
}
