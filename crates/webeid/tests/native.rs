//! The application through its binary, on the virtual card: the native-messaging protocol, the
//! PIN dialog (a scripted pinentry), the lockout guard, and the tokens and signatures it makes.

mod common;

use base64ct::{Base64, Encoding};
use common::*;
use mynacard::cert::Certificate;
use mynacard::crypto::HashAlgorithm;
use mynacard::sign::{verify_signature, SignatureScheme, ToSign};
use mynacard_webeid::protocol::PROTOCOL_VERSION;
use mynacard_webeid::token::{signed_data, AuthToken};
use mynacard_webeid::validator::{Refusal, Validator};
use serde_json::{json, Value};

fn authenticate(lang: &str) -> Value {
    json!({"command": "authenticate",
           "arguments": {"challengeNonce": NONCE, "origin": ORIGIN, "lang": lang}})
}

fn token(v: &Value) -> AuthToken {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("not a token ({e}): {v}"))
}

#[test]
fn handshake_then_a_token_the_validator_accepts_in_six_exchanges() {
    let w = World::new(&[AUTH_PIN]);
    let (frames, ok) = w.native(&authenticate("ja"));
    assert!(ok);
    assert_eq!(frames.len(), 2, "{frames:?}");
    assert_eq!(frames[0], json!({"version": PROTOCOL_VERSION}));
    let t = token(&frames[1]);
    assert_eq!(t.format, "web-eid:1.0");
    assert_eq!(t.algorithm, "RS256");
    let id = Validator::production()
        .with_virtual_card_root()
        .validate(&t, ORIGIN, NONCE)
        .unwrap();
    assert!(id.subject.contains("VIRTUAL"), "{}", id.subject);
    // SELECT, READ BINARY (the certificate), the counter read for the dialog, the guard's
    // counter read in the VERIFY's transaction, VERIFY, SIGN; then power off.
    let x = w.exchanges();
    assert_eq!(x.len(), 6, "{x:#?}");
    assert_eq!((w.verifies_with_data(), w.signs(), w.unpowers()), (1, 1, 1));
    // The exchange log (the library's `FileLog`) is its owner's only, as the PKCS#11 module's.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&w.log).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "MYNACARD_SIM_LOG is {mode:o}");
    }
    // The dialog named the origin, what is asked, the PIN (the library's name) and the tries.
    let d = w.descriptions();
    assert_eq!(d.len(), 1);
    assert!(
        d[0].contains("https://example.jp がマイナンバーカードでの認証を求めています"),
        "{d:?}"
    );
    assert!(d[0].contains(mynacard::pin::PinKind::UserAuth.name(mynacard::Lang::Ja)));
    assert!(d[0].contains("残り3回"), "{d:?}");
}

#[test]
fn the_dialog_is_english_when_the_page_asks_and_follows_the_locale_otherwise() {
    let w = World::new(&[AUTH_PIN]);
    let (frames, ok) = w.native(&authenticate("en"));
    assert!(ok, "{frames:?}");
    let d = w.descriptions();
    assert!(
        d[0].contains("https://example.jp asks to authenticate you"),
        "{d:?}"
    );
    assert!(d[0].contains("(3 tries left)"), "{d:?}");
    // No lang: LANG=C in the tests' environment gives English.
    let w = World::new(&[AUTH_PIN]);
    let args = json!({"challengeNonce": NONCE, "origin": ORIGIN});
    assert!(w.cli("authenticate", &args).1);
    assert!(w.descriptions()[0].contains("tries left"));
}

#[test]
fn a_wrong_pin_spends_one_try_shows_the_new_count_and_asks_again() {
    let w = World::new(&["9999", AUTH_PIN]);
    let out = w.native_raw(&frame(authenticate("ja").to_string().as_bytes()));
    let frames = frames(&out.stdout);
    assert!(out.status.success(), "{frames:?}");
    // Neither PIN appears in the error output, the exchange log or the dialog's input (the
    // reply's base64 is not searched: four digits can occur in it by chance).
    let log = std::fs::read_to_string(&w.log).unwrap();
    let dialog = std::fs::read_to_string(&w.dialog_log).unwrap();
    for pin in ["9999", AUTH_PIN] {
        let hex: String = pin.bytes().map(|b| format!("{b:02X}")).collect();
        assert!(!String::from_utf8_lossy(&out.stderr).contains(pin));
        assert!(!log.contains(&hex) && !log.contains(pin), "{log}");
        assert!(!dialog.contains(pin), "{dialog}");
    }
    Validator::production()
        .with_virtual_card_root()
        .validate(&token(&frames[1]), ORIGIN, NONCE)
        .unwrap();
    assert_eq!(w.verifies_with_data(), 2, "one wrong, one right");
    let d = w.descriptions();
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(
        d[0].contains("残り3回") && d[1].contains("残り2回"),
        "{d:?}"
    );
    let dialog = w.dialog();
    let err = dialog
        .iter()
        .find(|l| l.starts_with("SETERROR "))
        .expect("the wrong PIN is reported in the dialog");
    assert!(err.contains("残り2回"), "{err}");
    // The right PIN restores the counter.
    assert_eq!(w.auth_tries(), 3);
}

#[test]
fn a_pin_of_the_wrong_format_is_asked_again_and_spends_nothing() {
    let w = World::new(&["12", "abcd", AUTH_PIN]);
    let (frames, ok) = w.native(&authenticate("en"));
    assert!(ok, "{frames:?}");
    assert_eq!(w.verifies_with_data(), 1);
    let errors = w
        .dialog()
        .into_iter()
        .filter(|l| l.starts_with("SETERROR "))
        .count();
    assert_eq!(errors, 2);
}

#[test]
fn cancel_is_user_cancelled_and_sends_no_pin() {
    let w = World::new(&["CANCEL"]);
    let (frames, ok) = w.native(&authenticate("ja"));
    assert!(!ok);
    assert_eq!(error_code(&frames[1]), Some("ERR_WEBEID_USER_CANCELLED"));
    assert_eq!((w.verifies_with_data(), w.signs()), (0, 0));
    assert_eq!(w.unpowers(), 1);
    assert_eq!(w.auth_tries(), 3);
}

#[test]
fn a_blocked_pin_opens_no_dialog_and_sends_nothing_but_the_counter_read() {
    let w = World::new(&[AUTH_PIN]);
    w.set_auth_tries(0);
    let (frames, ok) = w.native(&authenticate("ja"));
    assert!(!ok);
    assert_eq!(error_code(&frames[1]), Some("ERR_WEBEID_NATIVE_FATAL"));
    let msg = frames[1]["error"]["message"].as_str().unwrap();
    assert!(msg.contains("ロック"), "{msg}");
    assert_eq!((w.verifies_with_data(), w.signs()), (0, 0));
    // SELECT, the certificate, the counter read.
    assert_eq!(w.exchanges().len(), 3, "{:#?}", w.exchanges());
    assert!(w.dialog().is_empty(), "no dialog for a blocked PIN");
}

#[test]
fn the_last_try_needs_an_explicit_yes() {
    // Refused: nothing is sent, and the answer is "cancelled".
    let mut w = World::new(&[AUTH_PIN]);
    w.set_auth_tries(1);
    w.confirm = false;
    let (frames, _) = w.native(&authenticate("ja"));
    assert_eq!(error_code(&frames[1]), Some("ERR_WEBEID_USER_CANCELLED"));
    assert_eq!(w.verifies_with_data(), 0);
    assert!(w.dialog().iter().any(|l| l.starts_with("CONFIRM")));
    assert!(w.descriptions().iter().any(|d| d.contains("残りは1回")));
    assert_eq!(w.auth_tries(), 1);
    // Confirmed: the last try is used (rightly here).
    let mut w = World::new(&[AUTH_PIN]);
    w.set_auth_tries(1);
    w.confirm = true;
    let (frames, ok) = w.native(&authenticate("ja"));
    assert!(ok, "{frames:?}");
    assert_eq!(w.verifies_with_data(), 1);
    assert_eq!(w.auth_tries(), 3);
}

#[test]
fn a_wrong_last_try_locks_and_is_reported() {
    let mut w = World::new(&["9999", "9998", "9997"]);
    w.set_auth_tries(2);
    w.confirm = true;
    let (frames, ok) = w.native(&authenticate("en"));
    assert!(!ok);
    assert_eq!(error_code(&frames[1]), Some("ERR_WEBEID_NATIVE_FATAL"));
    assert_eq!(w.verifies_with_data(), 2, "two tries, and never a third");
    assert_eq!(w.auth_tries(), 0);
}

#[test]
fn a_token_replayed_for_another_origin_or_nonce_is_refused() {
    let w = World::new(&[AUTH_PIN]);
    let (frames, _) = w.native(&authenticate("ja"));
    let t = token(&frames[1]);
    let v = Validator::production().with_virtual_card_root();
    assert!(v.validate(&t, ORIGIN, NONCE).is_ok());
    assert_eq!(
        v.validate(&t, "https://evil.example", NONCE),
        Err(Refusal::SignatureMismatch)
    );
    assert_eq!(
        v.validate(&t, "https://example.jp:8443", NONCE),
        Err(Refusal::SignatureMismatch)
    );
    let other_nonce = NONCE.replace('q', "r");
    assert_eq!(
        v.validate(&t, ORIGIN, &other_nonce),
        Err(Refusal::SignatureMismatch)
    );
    // The virtual card's hierarchy is trusted only on request.
    assert!(matches!(
        Validator::production().validate(&t, ORIGIN, NONCE),
        Err(Refusal::Untrusted(_))
    ));
    // A tampered signature, a wrong algorithm or format, garbage: typed refusals.
    let mut bad = t.clone();
    let mut sig = Base64::decode_vec(&bad.signature).unwrap();
    sig[10] ^= 1;
    bad.signature = Base64::encode_string(&sig);
    assert_eq!(
        v.validate(&bad, ORIGIN, NONCE),
        Err(Refusal::SignatureMismatch)
    );
    let mut bad = t.clone();
    bad.algorithm = "ES384".into();
    assert!(matches!(
        v.validate(&bad, ORIGIN, NONCE),
        Err(Refusal::UnsupportedAlgorithm(_))
    ));
    let mut bad = t.clone();
    bad.format = "web-eid:2".into();
    assert!(matches!(
        v.validate(&bad, ORIGIN, NONCE),
        Err(Refusal::UnsupportedFormat(_))
    ));
    let mut bad = t.clone();
    bad.unverified_certificate = "AAAA".into();
    assert!(matches!(
        v.validate(&bad, ORIGIN, NONCE),
        Err(Refusal::Malformed(_))
    ));
    assert!(matches!(
        v.validate_json("{\"format\":1}", ORIGIN, NONCE),
        Err(Refusal::Malformed(_))
    ));
    assert!(matches!(
        v.validate(&t, "https://example.jp/", NONCE),
        Err(Refusal::BadExpectedOrigin(_))
    ));
    assert!(matches!(
        v.validate(&t, ORIGIN, "short"),
        Err(Refusal::BadExpectedNonce(_))
    ));
    // Expired: checked at a time after the certificate's end.
    let cert =
        Certificate::from_der(&Base64::decode_vec(&t.unverified_certificate).unwrap()).unwrap();
    let after = cert.not_after().to_system_time() + std::time::Duration::from_secs(1);
    assert!(matches!(
        v.validate_at(&t, ORIGIN, NONCE, after),
        Err(Refusal::Expired { .. })
    ));
    let before = cert.not_before().to_system_time() - std::time::Duration::from_secs(1);
    assert!(matches!(
        v.validate_at(&t, ORIGIN, NONCE, before),
        Err(Refusal::NotYetValid { .. })
    ));
}

#[test]
fn the_token_verifies_with_openssl_over_the_signed_bytes() {
    let Some(openssl) = tool("openssl", &["version"]) else {
        return;
    };
    let w = World::new(&[AUTH_PIN]);
    let (frames, ok) = w.native(&authenticate("ja"));
    assert!(ok);
    let t = token(&frames[1]);
    let dir = w.dir.path();
    let cert =
        Certificate::from_der(&Base64::decode_vec(&t.unverified_certificate).unwrap()).unwrap();
    std::fs::write(dir.join("cert.pem"), cert.to_pem()).unwrap();
    std::fs::write(dir.join("data.bin"), signed_data(ORIGIN, NONCE)).unwrap();
    std::fs::write(
        dir.join("sig.bin"),
        Base64::decode_vec(&t.signature).unwrap(),
    )
    .unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(&openssl)
            .current_dir(dir)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&[
        "x509", "-in", "cert.pem", "-pubkey", "-noout", "-out", "pub.pem",
    ]);
    assert!(out.status.success(), "{out:?}");
    let verify = |data: &str| {
        run(&[
            "dgst",
            "-sha256",
            "-verify",
            "pub.pem",
            "-signature",
            "sig.bin",
            data,
        ])
    };
    let out = verify("data.bin");
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("Verified OK"));
    // The same signature over another origin's bytes does not verify.
    std::fs::write(
        dir.join("other.bin"),
        signed_data("https://evil.example", NONCE),
    )
    .unwrap();
    assert!(!verify("other.bin").status.success());
}

#[test]
fn get_signing_certificate_then_sign_with_it() {
    let w = World::new(&[SIGN_PASSWORD, SIGN_PASSWORD]);
    let (reply, ok) = w.cli("get-signing-certificate", &json!({"origin": ORIGIN}));
    assert!(ok, "{reply}");
    // SELECT, the counter read for the dialog, the guard's read, VERIFY, READ BINARY.
    assert_eq!(w.exchanges().len(), 5, "{:#?}", w.exchanges());
    let der = Base64::decode_vec(reply["certificate"].as_str().unwrap()).unwrap();
    let cert = Certificate::from_der(&der).unwrap();
    assert_eq!(
        reply["supportedSignatureAlgorithms"][0],
        json!({"cryptoAlgorithm": "RSA", "hashFunction": "SHA-256", "paddingScheme": "PKCS1.5"})
    );
    assert!(w
        .descriptions()
        .iter()
        .any(|d| d.contains("signature certificate") && d.contains("(5 tries left)")));
    for (h, f) in [
        (HashAlgorithm::Sha256, "SHA-256"),
        (HashAlgorithm::Sha384, "SHA-384"),
        (HashAlgorithm::Sha512, "SHA-512"),
    ] {
        let w = World::new(&[SIGN_PASSWORD]);
        let hash = h.digest(b"a document");
        let args = json!({"hash": Base64::encode_string(&hash), "hashFunction": f,
                          "certificate": Base64::encode_string(&der), "origin": ORIGIN});
        let (reply, ok) = w.cli("sign", &args);
        assert!(ok, "{reply}");
        assert_eq!(reply["signatureAlgorithm"]["hashFunction"], f);
        let sig = Base64::decode_vec(reply["signature"].as_str().unwrap()).unwrap();
        verify_signature(
            &cert.public_key().unwrap(),
            SignatureScheme::Pkcs1v15(h),
            ToSign::Digest(&hash),
            &sig,
        )
        .unwrap();
        assert_eq!((w.signs(), w.unpowers()), (1, 1));
        // The same five, then SIGN.
        assert_eq!(w.exchanges().len(), 6, "{:#?}", w.exchanges());
    }
}

#[test]
fn sign_refuses_a_certificate_that_is_not_the_cards_before_signing() {
    let w = World::new(&[SIGN_PASSWORD]);
    let auth_ca = mynacard::sim::pki::virtual_auth_ca();
    let args = json!({"hash": Base64::encode_string(&[7u8; 32]), "hashFunction": "SHA-256",
                      "certificate": Base64::encode_string(&auth_ca), "origin": ORIGIN});
    let (reply, ok) = w.cli("sign", &args);
    assert!(!ok);
    assert_eq!(
        error_code(&reply),
        Some("ERR_WEBEID_NATIVE_INVALID_ARGUMENT")
    );
    assert_eq!(w.signs(), 0);
    assert_eq!(
        w.unpowers(),
        1,
        "the verified password does not outlive the command"
    );
}

/// Bad input never reaches the card (the state file is not even opened, so no exchange is
/// logged) and is answered with a clear error after the handshake.
#[test]
fn bad_input_is_refused_before_the_card() {
    let w = World::new(&[AUTH_PIN]);
    let valid = authenticate("ja").to_string();
    let mut huge = u32::MAX.to_ne_bytes().to_vec();
    huge.extend_from_slice(b"{}");
    let mut over = (64 * 1024 + 1u32).to_ne_bytes().to_vec();
    over.extend_from_slice(&vec![b' '; 64 * 1024 + 1]);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated length", vec![5, 0]),
        ("truncated message", frame(valid.as_bytes())[..20].to_vec()),
        ("4 GB length", huge),
        ("over the cap", over),
        ("invalid JSON", frame(b"{\"command\": authenticate}")),
        ("not UTF-8", frame(&[0xFF, 0xFE, b'{'])),
        ("unknown command", frame(br#"{"command":"format-card","arguments":{"origin":"https://example.jp"}}"#)),
        ("extra field", frame(
            json!({"command": "authenticate", "arguments": {"challengeNonce": NONCE, "origin": ORIGIN}, "pin": "1234"})
                .to_string().as_bytes())),
        ("extra argument", frame(
            json!({"command": "authenticate", "arguments": {"challengeNonce": NONCE, "origin": ORIGIN, "pin": "1234"}})
                .to_string().as_bytes())),
        ("short nonce", frame(
            json!({"command": "authenticate", "arguments": {"challengeNonce": "abc", "origin": ORIGIN}})
                .to_string().as_bytes())),
        ("long nonce", frame(
            json!({"command": "authenticate", "arguments": {"challengeNonce": "a".repeat(129), "origin": ORIGIN}})
                .to_string().as_bytes())),
        ("http origin", frame(
            json!({"command": "authenticate", "arguments": {"challengeNonce": NONCE, "origin": "http://example.jp"}})
                .to_string().as_bytes())),
        ("origin with a path", frame(
            json!({"command": "authenticate", "arguments": {"challengeNonce": NONCE, "origin": "https://example.jp/login"}})
                .to_string().as_bytes())),
        ("hash of the wrong length", frame(
            json!({"command": "sign", "arguments": {"hash": Base64::encode_string(&[0u8; 32]), "hashFunction": "SHA-512",
                   "certificate": Base64::encode_string(&mynacard::sim::pki::virtual_sign_ca()), "origin": ORIGIN}})
                .to_string().as_bytes())),
        ("certificate not DER", frame(
            json!({"command": "sign", "arguments": {"hash": Base64::encode_string(&[0u8; 32]), "hashFunction": "SHA-256",
                   "certificate": "AAAA", "origin": ORIGIN}})
                .to_string().as_bytes())),
    ];
    for (what, input) in cases {
        let out = w.native_raw(&input);
        assert!(!out.status.success(), "{what}");
        let f = frames(&out.stdout);
        assert_eq!(f.len(), 2, "{what}: the handshake and one error: {f:?}");
        assert_eq!(f[0], json!({"version": PROTOCOL_VERSION}), "{what}");
        assert_eq!(
            error_code(&f[1]),
            Some("ERR_WEBEID_NATIVE_INVALID_ARGUMENT"),
            "{what}: {}",
            f[1]
        );
        assert!(!w.log.exists(), "{what}: the card was touched");
        assert!(w.dialog().is_empty(), "{what}: a dialog was opened");
    }
    // No message at all: the handshake, then a quiet exit.
    let out = w.native_raw(&[]);
    assert_eq!(frames(&out.stdout).len(), 1);
    assert!(!w.log.exists());
}

#[test]
fn two_commands_in_one_run_run_only_the_first() {
    let w = World::new(&[AUTH_PIN, AUTH_PIN]);
    let mut input = frame(authenticate("ja").to_string().as_bytes());
    input.extend(frame(authenticate("en").to_string().as_bytes()));
    let out = w.native_raw(&input);
    assert!(out.status.success());
    let f = frames(&out.stdout);
    assert_eq!(f.len(), 2, "{f:?}");
    assert!(f[1].get("signature").is_some());
    assert_eq!((w.signs(), w.verifies_with_data()), (1, 1));
}

#[test]
fn command_line_mode_checks_its_arguments() {
    let w = World::new(&[AUTH_PIN]);
    let (reply, ok) = w.cli("authenticate", &json!({"origin": ORIGIN}));
    assert!(!ok);
    assert_eq!(
        error_code(&reply),
        Some("ERR_WEBEID_NATIVE_INVALID_ARGUMENT")
    );
    let (reply, ok) = w.cli("nonsense", &json!({}));
    assert!(!ok);
    assert!(reply["error"]["message"]
        .as_str()
        .unwrap()
        .contains("unknown command"));
    assert!(!w.log.exists());
}
