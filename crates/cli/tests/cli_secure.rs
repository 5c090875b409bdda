//! `myna info --secure-messaging` and `myna mf` on a persistent virtual card.

use std::process::Output;

mod common;
use common::run_myna as run;

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

#[test]
fn info_through_secure_messaging_says_so_and_matches_the_plain_read() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("state.json");
    let plain = run(
        &st,
        &["--pin-stdin", "--json", "info", "--my-number"],
        "1234\n",
    );
    assert!(
        plain.status.success(),
        "{}",
        String::from_utf8_lossy(&plain.stderr)
    );
    let sm = run(
        &st,
        &[
            "--pin-stdin",
            "--json",
            "--trace",
            "info",
            "--my-number",
            "--secure-messaging",
        ],
        "1234\n",
    );
    assert!(
        sm.status.success(),
        "{}",
        String::from_utf8_lossy(&sm.stderr)
    );
    let (p, s) = (json(&plain), json(&sm));
    assert_eq!(s["secure_messaging"], true);
    for k in ["name", "address", "birth_date", "sex", "my_number"] {
        assert_eq!(p[k], s[k], "{k}");
    }
    // The trace shows SET SESSION KEY and the CLA 08 commands, and no My Number in the clear.
    let err = String::from_utf8_lossy(&sm.stderr);
    assert!(err.contains("> 80AE0000"), "{err}");
    assert!(err.contains("> 08A4020C"), "{err}");
    assert!(err.contains("> 08B00000"), "{err}");
    let digits = p["my_number"].as_str().unwrap();
    assert!(!err.contains(&hex::encode_upper(digits)), "{err}");
}

#[test]
fn info_through_secure_messaging_in_japanese_and_english() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("state.json");
    let en = run(
        &st,
        &["--pin-stdin", "info", "--secure-messaging"],
        "1234\n",
    );
    assert!(en.status.success());
    assert!(String::from_utf8_lossy(&en.stdout).contains("read encrypted through secure messaging"));
    let ja = std::process::Command::new(common::myna_path())
        .env("LANG", "ja_JP.UTF-8")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .arg("--sim-state")
        .arg(&st)
        .args(["info", "--secure-messaging", "--open-with", "matching-b"])
        .output()
        .unwrap();
    assert_eq!(ja.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&ja.stderr).contains("セキュアメッセージングは暗証番号で開きます"),
        "{}",
        String::from_utf8_lossy(&ja.stderr)
    );
}

#[test]
fn mf_shows_the_chain_and_its_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("state.json");
    let o = run(&st, &["--json", "mf"], "");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    assert_eq!(v["verdict"]["verdict"], "verified");
    assert_eq!(v["verdict"]["root"]["hierarchy"], "virtual");
    assert_eq!(v["chain"].as_array().unwrap().len(), 2);
    assert_eq!(v["objects"]["municipality_code"], "13999");
    let o = run(&st, &["mf"], "");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("verified (the virtual card's issuer key, never production)"),
        "{out}"
    );
}

/// The secure-messaging and `mf` texts follow `--lang` like every other message, not only the
/// locale (they used to read the environment on their own).
#[test]
fn the_lang_flag_chooses_the_language_of_secure_texts_too() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("state.json");
    let env = [("LC_ALL", "C"), ("LC_MESSAGES", ""), ("LANG", "C")];
    let o = common::myna_in(&env, &st, &["--lang", "ja", "mf"], "");
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("カード識別番号:"), "{out}");
    assert!(!out.contains("Card id:"), "{out}");
    let o = common::myna_in(
        &[("LANG", "ja_JP.UTF-8"), ("LC_ALL", ""), ("LC_MESSAGES", "")],
        &st,
        &["--lang", "en", "mf"],
        "",
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("Card id:"), "{out}");
    assert!(!out.contains("カード識別番号"), "{out}");
}
