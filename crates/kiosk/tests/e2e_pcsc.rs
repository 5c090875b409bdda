//! The kiosk through a real PC/SC stack: pcscd with vsmartcard's vpcd reader driver, the virtual
//! card served into it in process, and `myna-kiosk` resetting a blocked signature password.
//!
//! Needs pcscd running with vsmartcard-vpcd; `.ci/e2e.sh` installs and starts them.

#![cfg(feature = "pcsc")]

use std::fs;
use std::process::{Command, Output, Stdio};

use mynacard::credential::SignaturePassword;
use mynacard::pcsc::{Options, PcscTransport};
use mynacard::{Card, Error, LastTry};

#[path = "../../cli/tests/e2e_support/mod.rs"]
mod e2e_support;
use e2e_support::{serial, VCard};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs `myna-kiosk` with a script of answers.
fn kiosk(args: &[&str], answers: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("answers.txt");
    fs::write(&script, answers).unwrap();
    Command::new(env!("CARGO_BIN_EXE_myna-kiosk"))
        .args(args)
        .arg("--script")
        .arg(&script)
        .stdin(Stdio::null())
        .output()
        .expect("start kiosk")
}

#[test]
fn kiosk_resets_the_signature_password_through_pcscd() {
    let _g = serial();
    let vc = VCard::start(0, &[]);
    // Block the signature password first: five wrong tries, the last one explicitly allowed.
    let mut card = Card::new(PcscTransport::connect(&vc.reader, &Options::default()).unwrap());
    let wrong = SignaturePassword::parse("WRONG99").unwrap();
    for _ in 0..5 {
        let e = card.verify_with(&wrong, LastTry::Allow).unwrap_err();
        assert!(matches!(e, Error::WrongPin { .. }), "{e}");
    }
    card.unpower().unwrap();
    drop(card);
    let o = kiosk(
        &[
            "--reader",
            "auto",
            "--place",
            "kiosk",
            "--show-apdus",
            "--lang",
            "en",
        ],
        "\n1\ny\n1234\nNEWPASS1\nNEWPASS1\n",
    );
    let out = text(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}{}", text(&o.stderr));
    assert!(out.contains("BLOCKED"), "{out}");
    assert!(out.contains("5 of 5 tries left"), "{out}");
    assert!(
        !out.contains("NEWPASS1") && !out.contains(": 1234"),
        "{out}"
    );
    // The card took the new password, through PC/SC, and the log holds no secret.
    let mut card = Card::new(PcscTransport::connect(&vc.reader, &Options::default()).unwrap());
    card.verify(&SignaturePassword::parse("NEWPASS1").unwrap())
        .unwrap();
    card.unpower().unwrap();
    let log = vc.log();
    assert!(!log.contains(&hex::encode_upper("NEWPASS1")), "{log}");
    assert!(
        vc.tokens().iter().any(|t| t.starts_with("002C029B")),
        "{log}"
    );
}
