//! The bad-input table for the CLI: every argument, given bad input, gives a clear error, sends
//! nothing to the card, and does not panic.

use std::path::Path;

mod common;

fn myna(state: &Path, args: &[&str], stdin: &str) -> (Option<i32>, String) {
    let o = common::run_myna(state, &[&["--trace"], args].concat(), stdin);
    (
        o.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

#[test]
fn every_cli_argument_refuses_bad_input_before_the_card() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("card.json");
    let doc = dir.path().join("doc.txt");
    std::fs::write(&doc, b"data").unwrap();
    let d = doc.to_str().unwrap();
    let nowhere = "/nonexistent/dir/out.bin";
    let dirpath = dir.path().to_str().unwrap();
    // (arguments, standard input, exit code, part of the message)
    let table: &[(&[&str], &str, i32, &str)] = &[
        (&["bogus"], "", 2, "unrecognized subcommand"),
        (&["status", "extra"], "", 2, "unexpected argument"),
        (&["verify"], "", 2, "required"),
        (&["verify", "bogus"], "", 2, "sign, auth, residence or text"),
        (&["verify", "auth", "1234"], "", 2, "unexpected argument"),
        (
            &["--pin-stdin", "verify", "auth"],
            "",
            6,
            "standard input ended",
        ),
        (
            &["--pin-stdin", "verify", "auth"],
            "12345\n",
            6,
            "exactly 4",
        ),
        (
            &["--pin-stdin", "verify", "sign"],
            "abc123\n",
            6,
            "lower-case",
        ),
        (&["verify", "auth"], "", 6, "--pin-stdin"),
        (&["change", "bogus"], "", 2, "sign, auth, residence or text"),
        (
            &["--pin-stdin", "change", "auth"],
            "1234\n1234\n",
            6,
            "same as the current",
        ),
        (
            &["--pin-stdin", "change", "text"],
            "1234\n12\n",
            6,
            "exactly 4",
        ),
        (
            &["--pin-stdin", "change", "residence"],
            "1234\n",
            6,
            "standard input ended",
        ),
        (&["cert"], "", 2, "required"),
        (&["cert", "bogus"], "", 2, "auth, auth-ca, sign or sign-ca"),
        (
            &["cert", "auth", "--format", "xml"],
            "",
            2,
            "possible values",
        ),
        (&["cert", "auth", "--out", nowhere], "", 1, "cannot write"),
        (&["cert", "auth", "--out", dirpath], "", 2, "is a directory"),
        (
            &["--pin-stdin", "cert", "sign", "--out", nowhere],
            "ABC123\n",
            1,
            "cannot write",
        ),
        (
            &["cert", "auth", "--accept-test-hierarchy"],
            "",
            2,
            "--check-chain",
        ),
        (
            &["sign", "--key", "bogus", "--in", d, "--out", "x"],
            "",
            2,
            "use auth or sign",
        ),
        (&["sign", "--key", "auth", "--out", "x"], "", 2, "required"),
        (
            &[
                "--pin-stdin",
                "sign",
                "--key",
                "auth",
                "--in",
                "/nonexistent",
                "--out",
                "x",
            ],
            "1234\n",
            1,
            "cannot read",
        ),
        (
            &[
                "--pin-stdin",
                "sign",
                "--key",
                "auth",
                "--in",
                d,
                "--out",
                nowhere,
            ],
            "1234\n",
            1,
            "cannot write",
        ),
        (
            &[
                "--pin-stdin",
                "sign",
                "--key",
                "auth",
                "--in",
                d,
                "--out",
                d,
            ],
            "1234\n",
            2,
            "same file",
        ),
        (
            &[
                "--pin-stdin",
                "sign",
                "--key",
                "sign",
                "--in",
                d,
                "--out",
                "x",
            ],
            "abc\n",
            6,
            "lower-case",
        ),
        (&["info", "--open-with", "bogus"], "", 2, "possible values"),
        (&["--pin-stdin", "info"], "12\n", 6, "exactly 4"),
        (
            &[
                "--pin-stdin",
                "info",
                "--open-with",
                "matching-a",
                "--my-number",
            ],
            "123456789019\n",
            6,
            "check digit",
        ),
        (
            &["--pin-stdin", "info", "--open-with", "matching-b"],
            "55133120352285\n",
            6,
            "birth month",
        ),
        (&["reset"], "", 2, "required"),
        (
            &["reset", "text", "--terminal", "bogus"],
            "",
            2,
            "possible values",
        ),
        (
            &["--pin-stdin", "reset", "residence", "--terminal", "kiosk"],
            "1234\n",
            10,
            "municipal counter",
        ),
        (
            &["--pin-stdin", "reset", "text", "--terminal", "kiosk"],
            "1234\n",
            10,
            "municipal counter",
        ),
        (
            &["--pin-stdin", "reset", "text", "--terminal", "counter"],
            "12\n",
            6,
            "exactly 4",
        ),
        (&["--wait", "abc", "status"], "", 2, "invalid digit"),
        (&["--reader", "auto", "status"], "", 7, ""),
    ];
    for (args, stdin, code, msg) in table {
        let (got, out) = myna(&st, args, stdin);
        let ctx = format!("myna {}: {out}", args.join(" "));
        assert_eq!(got, Some(*code), "{ctx}");
        assert!(out.contains(msg), "{ctx}");
        assert!(!out.contains("panicked"), "{ctx}");
        // Nothing was sent: either the card was never opened, or the trace shows no exchange.
        assert!(
            !out.contains("myna: >")
                && (out.contains("myna: 0 exchanges") || !out.contains(" exchanges")),
            "{ctx}"
        );
    }
    // No try was spent by any of it: every PIN, and every key reference of each (the residence
    // PIN has two), still has its full count.
    let (code, out) = myna(&st, &["--json", "status"], "");
    assert_eq!(code, Some(0), "{out}");
    assert_no_try_spent(out.lines().next().unwrap());
}

/// Asserts that `status --json` shows all four PINs, each key reference at its full count.
fn assert_no_try_spent(status_json: &str) {
    let v: serde_json::Value = serde_json::from_str(status_json).unwrap();
    let pins = v["pins"].as_array().expect("pins");
    let kinds: Vec<_> = pins.iter().map(|p| p["kind"].clone()).collect();
    assert_eq!(pins.len(), 4, "{status_json}");
    for p in pins {
        let refs = p["refs"].as_array().expect("refs");
        let expected_refs = if p["kind"] == "residence" { 2 } else { 1 };
        assert_eq!(refs.len(), expected_refs, "{status_json}");
        let limit = p["limit"].as_u64().expect("limit");
        for r in refs {
            assert_eq!(r["tries_left"], limit, "{:?}: {status_json}", kinds);
        }
    }
}

#[test]
fn every_pin_is_checked_for_spent_tries() {
    // The check above must see a try spent on any PIN, the residence PIN included.
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("card.json");
    for (kind, wrong) in [
        ("sign", "WRONG999"),
        ("auth", "9999"),
        ("residence", "9999"),
        ("text", "9999"),
    ] {
        let (code, out) = myna(&st, &["--pin-stdin", "verify", kind], &format!("{wrong}\n"));
        assert_eq!(code, Some(3), "{out}");
        let (_, out) = myna(&st, &["--json", "status"], "");
        let line = out.lines().next().unwrap().to_owned();
        let caught = std::panic::catch_unwind(|| assert_no_try_spent(&line)).is_err();
        assert!(caught, "a try spent on the {kind} PIN went unseen: {line}");
        // Back to full counts for the next kind.
        std::fs::remove_file(&st).unwrap();
    }
}
