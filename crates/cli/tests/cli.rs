//! The `myna` CLI, run as a program against the persistent virtual card.

use std::process::Output;

mod common;
use common::run_myna as myna;

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn three_wrong_verifies_lock_across_invocations() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("card.json");
    let codes: Vec<_> = (0..3)
        .map(|_| {
            myna(&st, &["--pin-stdin", "verify", "auth"], "9999\n")
                .status
                .code()
        })
        .collect();
    // Two wrong tries, then the guard refuses the last one (exit 5).
    assert_eq!(codes, vec![Some(3), Some(3), Some(5)]);
    let o = myna(
        &st,
        &["--pin-stdin", "verify", "auth", "--allow-last-try"],
        "9999\n",
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(text(&o).contains("now blocked"));
    let o = myna(&st, &["status"], "");
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o).contains("0/3 BLOCKED"), "{}", text(&o));
    let o = myna(&st, &["--json", "status"], "");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["pins"][1]["refs"][0]["state"], "blocked");
    assert_eq!(v["pins"][0]["refs"][0]["tries_left"], 5);
    // Blocked: refused without sending, exit 4.
    let o = myna(&st, &["--pin-stdin", "verify", "auth"], "1234\n");
    assert_eq!(o.status.code(), Some(4));
    assert!(text(&o).contains("municipal counter"));
}

#[test]
fn change_then_verify_with_the_new_pin() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("card.json");
    let o = myna(
        &st,
        &["--pin-stdin", "--json", "change", "sign"],
        "ABC123\nNEWPASS1\n",
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["changed"], true);
    let o = myna(&st, &["--pin-stdin", "verify", "sign"], "ABC123\n");
    assert_eq!(o.status.code(), Some(3));
    let o = myna(&st, &["--pin-stdin", "verify", "sign"], "NEWPASS1\n");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let file = std::fs::read_to_string(&st).unwrap();
    assert!(!file.contains("NEWPASS1") && !file.contains("ABC123"));
}

#[test]
fn bad_input_gets_clear_errors_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("card.json");
    // A PIN on the command line is not accepted at all.
    let o = myna(&st, &["verify", "auth", "1234"], "");
    assert_eq!(o.status.code(), Some(2));
    let o = myna(&st, &["verify", "bogus"], "");
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("sign, auth, residence or text"));
    let o = myna(&st, &["--pin-stdin", "verify", "sign"], "abc123\n");
    assert_eq!(o.status.code(), Some(6));
    assert!(text(&o).contains("lower-case"));
    let o = myna(&st, &["--pin-stdin", "--json", "verify", "auth"], "12\n");
    assert_eq!(o.status.code(), Some(6));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["exit_code"], 6);
    // Standard input ends early.
    let o = myna(&st, &["--pin-stdin", "change", "auth"], "1234\n");
    assert_eq!(o.status.code(), Some(6));
    // No terminal and no --pin-stdin: a clear message, no hang.
    let o = myna(&st, &["verify", "auth"], "");
    assert_eq!(o.status.code(), Some(6));
    assert!(text(&o).contains("--pin-stdin"));
    // Nothing above spent a try.
    let o = myna(&st, &["--json", "status"], "");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["pins"][1]["refs"][0]["tries_left"], 3);
    assert_eq!(v["pins"][0]["refs"][0]["tries_left"], 5);
}

#[test]
fn corrupted_state_is_reported_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("card.json");
    std::fs::write(&st, b"{ not json").unwrap();
    let o = myna(&st, &["status"], "");
    assert_eq!(o.status.code(), Some(7));
    assert!(text(&o).contains("corrupted"), "{}", text(&o));
    assert_eq!(std::fs::read(&st).unwrap(), b"{ not json");
}
