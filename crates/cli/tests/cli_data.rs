//! The `myna` CLI's `cert`, `sign` and `info` on a persistent virtual card.

use std::process::Output;

mod common;
use common::run_myna as run;

use mynacard::cert::Certificate;
use mynacard::crypto::HashAlgorithm;
use mynacard::sign::{verify_signature, SignatureScheme, ToSign};

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn cert_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("state.json");

    let o = run(&st, &["cert", "auth"], "");
    assert!(o.status.success(), "{o:?}");
    let t = text(&o);
    assert!(t.contains("EF 000A"), "{t}");
    assert!(t.contains("Key usage:    digitalSignature"), "{t}");

    let o = run(&st, &["cert", "auth-ca", "--format", "pem"], "");
    assert!(text(&o).starts_with("-----BEGIN CERTIFICATE-----"));

    let der = dir.path().join("sign-ca.der");
    let o = run(
        &st,
        &[
            "cert",
            "sign-ca",
            "--format",
            "der",
            "--out",
            der.to_str().unwrap(),
        ],
        "",
    );
    assert!(o.status.success(), "{o:?}");
    let c = Certificate::from_der(&std::fs::read(&der).unwrap()).unwrap();
    assert!(c.is_ca());
    assert_eq!(c.der(), mynacard::sim::pki::virtual_sign_ca());

    let o = run(&st, &["--json", "cert", "auth", "--check-chain"], "");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert!(v["summary"]["subject"]
        .as_str()
        .unwrap()
        .starts_with("CN=VIRTUAL"));
    // The virtual hierarchy is never trusted as production.
    assert_eq!(v["chain"]["trusted"], false);
}

#[test]
fn signature_certificate_asks_for_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("state.json");
    let o = run(&st, &["--pin-stdin", "cert", "sign"], "ABC123\n");
    assert!(o.status.success(), "{o:?}");
    assert!(text(&o).contains("date of birth = 319850401"));
    // No password: refused before anything is sent.
    let o = run(&st, &["--pin-stdin", "cert", "sign"], "");
    assert_eq!(o.status.code(), Some(6), "{o:?}");
    // A wrong password costs a try, and says how many are left.
    let o = run(&st, &["--pin-stdin", "cert", "sign"], "WRONG1\n");
    assert_eq!(o.status.code(), Some(3), "{o:?}");
    assert!(String::from_utf8_lossy(&o.stderr).contains("4 tries left"));
}

#[test]
fn sign_writes_a_checked_detached_signature() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("state.json");
    let input = dir.path().join("doc.txt");
    std::fs::write(&input, b"an agreement").unwrap();
    for (key, secret) in [("auth", "1234\n"), ("sign", "ABC123\n")] {
        let out = dir.path().join(format!("doc.{key}.sig"));
        let o = run(
            &st,
            &[
                "--pin-stdin",
                "--json",
                "sign",
                "--key",
                key,
                "--in",
                input.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            secret,
        );
        assert!(o.status.success(), "{o:?}");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["checked"], true);
        let sig = std::fs::read(&out).unwrap();
        assert_eq!(sig.len(), 256);
        // Check it independently against the virtual card's key.
        let key = card_key(key == "sign");
        verify_signature(
            &key,
            SignatureScheme::Pkcs1v15(HashAlgorithm::Sha256),
            ToSign::Message(b"an agreement"),
            &sig,
        )
        .unwrap();
    }
    // --scheme pss: RSASSA-PSS by the card (P1=04), salt 32, checked independently.
    for (key, secret) in [("auth", "1234\n"), ("sign", "ABC123\n")] {
        let out = dir.path().join(format!("doc.{key}.pss"));
        let o = run(
            &st,
            &[
                "--pin-stdin",
                "--json",
                "sign",
                "--key",
                key,
                "--scheme",
                "pss",
                "--in",
                input.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
            ],
            secret,
        );
        assert!(o.status.success(), "{o:?}");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["checked"], true);
        let sig = std::fs::read(&out).unwrap();
        let public = card_key(key == "sign");
        verify_signature(
            &public,
            SignatureScheme::PssSha256Digest,
            ToSign::Message(b"an agreement"),
            &sig,
        )
        .unwrap();
        assert!(verify_signature(
            &public,
            SignatureScheme::Pkcs1v15(HashAlgorithm::Sha256),
            ToSign::Message(b"an agreement"),
            &sig,
        )
        .is_err());
    }
    // PSS is for raw signatures only: refused before the PIN is asked for.
    let o = run(
        &st,
        &[
            "--pin-stdin",
            "sign",
            "--key",
            "auth",
            "--scheme",
            "pss",
            "--format",
            "cms",
            "--in",
            input.to_str().unwrap(),
            "--out",
            dir.path().join("x.p7s").to_str().unwrap(),
        ],
        "1234\n",
    );
    assert_eq!(o.status.code(), Some(2), "{o:?}");
    // A wrong PIN writes nothing.
    let out = dir.path().join("bad.sig");
    let o = run(
        &st,
        &[
            "--pin-stdin",
            "sign",
            "--key",
            "auth",
            "--in",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        "9999\n",
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(!out.exists());
    // A missing input file fails before the PIN is asked for.
    let o = run(
        &st,
        &[
            "sign",
            "--key",
            "auth",
            "--in",
            "/nonexistent/x",
            "--out",
            out.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(1));
}

/// The public key of the virtual card (seed 0), from its certificate, checked to be the key
/// the simulator generated.
fn card_key(sign: bool) -> mynacard::crypto::PublicKey {
    use der::Encode;
    let mut card = mynacard::Card::new(mynacard::sim::VirtualCard::new());
    let kind = if sign {
        card.verify(&mynacard::credential::SignaturePassword::parse("ABC123").unwrap())
            .unwrap();
        mynacard::cert::CertKind::Sign
    } else {
        mynacard::cert::CertKind::Auth
    };
    let c = card.jpki().read_certificate(kind).unwrap();
    let spki = c
        .x509()
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .unwrap();
    assert_eq!(spki, mynacard::sim::pki::card_public_key_spki(0, sign));
    c.public_key().unwrap()
}

#[test]
fn info_shows_the_my_number_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("state.json");
    let o = run(&st, &["--pin-stdin", "info"], "1234\n");
    assert!(o.status.success(), "{o:?}");
    let t = text(&o);
    assert!(t.contains("見本　花子"), "{t}");
    assert!(t.contains("1985-04-01"));
    assert!(!t.contains("123456789018"));

    let o = run(
        &st,
        &["--pin-stdin", "--json", "info", "--my-number"],
        "1234\n",
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["my_number"], "123456789018");
    assert_eq!(v["sex"], "female");

    // 照合番号B opens the basic four (born 1985-04-01 = 昭和60, expiry 2035, code 1234).
    let o = run(
        &st,
        &["--pin-stdin", "info", "--open-with", "matching-b"],
        "60040120351234\n",
    );
    assert!(o.status.success(), "{o:?}");
    assert!(text(&o).contains("東京都見本市"));
    // 照合番号A without --my-number is a usage error, before anything is asked.
    let o = run(&st, &["info", "--open-with", "matching-a"], "");
    assert_eq!(o.status.code(), Some(2));
    let o = run(
        &st,
        &[
            "--pin-stdin",
            "info",
            "--open-with",
            "matching-a",
            "--my-number",
        ],
        "123456789018\n",
    );
    assert!(o.status.success(), "{o:?}");
    assert!(text(&o).contains("123456789018"));
}
