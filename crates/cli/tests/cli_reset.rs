//! `myna reset`, run as the binary cargo built for the tests (`CARGO_BIN_EXE_myna`).

use std::path::Path;

mod common;

use mynacard::applets::{jpki, text};
use mynacard::sim::{App, VirtualCard};

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(state: &Path, args: &[&str], stdin: &str) -> Out {
    let o = common::run_myna(state, args, stdin);
    Out {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into(),
        stderr: String::from_utf8_lossy(&o.stderr).into(),
    }
}

#[test]
fn counter_reset_of_the_text_pin_then_verify_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("card.json");
    let mut vc = VirtualCard::open(&state).unwrap();
    vc.set_tries_left(App::TextAssist, text::PIN.0, 0).unwrap();
    drop(vc);
    let o = run(
        &state,
        &[
            "--json",
            "reset",
            "text",
            "--terminal",
            "counter",
            "--pin-stdin",
        ],
        "2468\n",
    );
    assert_eq!(o.code, 0, "{}{}", o.stdout, o.stderr);
    let v: serde_json::Value = serde_json::from_str(o.stdout.trim()).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["terminal"], "municipal_counter");
    assert_eq!(v["status"]["refs"][0]["tries_left"], 3);
    assert!(!o.stdout.contains("2468") && !o.stderr.contains("2468"));
    let o = run(&state, &["verify", "text", "--pin-stdin"], "2468\n");
    assert_eq!(o.code, 0, "{}", o.stderr);
}

#[test]
fn kiosk_reset_refusals_and_a_wrong_other_pin() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("card.json");
    // A signature-only kiosk refuses the auth PIN: exit 10, nothing read from stdin.
    let o = run(
        &state,
        &[
            "reset",
            "auth",
            "--terminal",
            "kiosk",
            "--kiosk-supports",
            "sign-only",
            "--pin-stdin",
        ],
        "ABC123\n5678\n",
    );
    assert_eq!(o.code, 10, "{}", o.stderr);
    assert!(o.stderr.contains("resets only the signature password"));
    // The kiosk does not reset the residence PIN.
    let o = run(
        &state,
        &["reset", "residence", "--terminal", "kiosk", "--pin-stdin"],
        "4321\n",
    );
    assert_eq!(o.code, 10);
    assert!(o.stderr.contains("only the municipal counter"));
    // A wrong auth PIN: exit 3, its own counter spent, the signature password untouched.
    let o = run(
        &state,
        &["reset", "sign", "--terminal", "kiosk", "--pin-stdin"],
        "9999\nNEWPASS1\n",
    );
    assert_eq!(o.code, 3, "{}", o.stderr);
    assert!(o.stderr.contains("2 tries left"));
    assert!(!o.stderr.contains("9999") && !o.stderr.contains("NEWPASS1"));
    let vc = VirtualCard::open(&state).unwrap();
    assert_eq!(vc.tries_left(App::Jpki, jpki::AUTH_PIN.0), Some(2));
    assert!(vc.key_matches(App::Jpki, jpki::SIGN_PIN.0, b"ABC123"));
    drop(vc);
    // With the right one: reset.
    let o = run(
        &state,
        &["reset", "sign", "--terminal", "kiosk", "--pin-stdin"],
        "1234\nNEWPASS1\n",
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stdout.contains("5/5"));
    let vc = VirtualCard::open(&state).unwrap();
    assert!(vc.key_matches(App::Jpki, jpki::SIGN_PIN.0, b"NEWPASS1"));
    assert_eq!(vc.tries_left(App::Jpki, jpki::AUTH_PIN.0), Some(3));
}
