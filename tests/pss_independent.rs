//! The RSASSA-PSS check is exactly the card's parameters (card facts §7): SHA-256, MGF1-SHA-256,
//! a 32-byte salt. Signatures are made by an independent implementation, the OpenSSL command
//! line, with those parameters (accepted) and with others (refused). A missing `openssl` is a
//! loud skip locally and a failure when `CI=true`.

use std::path::{Path, PathBuf};
use std::process::Command;

use mynacard::crypto::{HashAlgorithm, PublicKey, RsaKey};
use mynacard::sign::{verify_signature, SignatureScheme, ToSign};

fn openssl() -> Option<PathBuf> {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        return Some(PathBuf::from("openssl"));
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("openssl is required in CI (CI=true) but is not installed");
    }
    eprintln!("\n!!!!!!!! SKIPPED: openssl is not installed; the PSS check against OpenSSL did NOT run !!!!!!!!\n");
    None
}

fn run(cmd: &mut Command) -> Vec<u8> {
    let o = cmd.output().unwrap();
    assert!(
        o.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

/// A fresh RSA-2048 key made by OpenSSL, and its public half as the library sees it.
fn key(openssl: &Path, dir: &Path) -> (PathBuf, PublicKey) {
    let pem = dir.join("key.pem");
    run(Command::new(openssl)
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&pem));
    let out = run(Command::new(openssl)
        .args(["rsa", "-noout", "-modulus", "-in"])
        .arg(&pem));
    let text = String::from_utf8(out).unwrap();
    let hex_n = text.trim().strip_prefix("Modulus=").unwrap();
    let n = hex::decode(hex_n).unwrap();
    (pem, PublicKey::Rsa(RsaKey::new(&n, &[0x01, 0x00, 0x01])))
}

/// OpenSSL's RSASSA-PSS signature over the SHA-256 hash `hash` with MGF1 over `mgf1` and a salt
/// of `salt` bytes.
fn pss_sign(
    openssl: &Path,
    dir: &Path,
    key: &Path,
    hash: &[u8],
    mgf1: &str,
    salt: &str,
) -> Vec<u8> {
    let input = dir.join("hash.bin");
    std::fs::write(&input, hash).unwrap();
    let sig = dir.join("sig.bin");
    run(Command::new(openssl)
        .args(["pkeyutl", "-sign", "-inkey"])
        .arg(key)
        .args([
            "-pkeyopt",
            "rsa_padding_mode:pss",
            "-pkeyopt",
            &format!("rsa_pss_saltlen:{salt}"),
            "-pkeyopt",
            "digest:sha256",
            "-pkeyopt",
            &format!("rsa_mgf1_md:{mgf1}"),
            "-in",
        ])
        .arg(&input)
        .arg("-out")
        .arg(&sig));
    std::fs::read(&sig).unwrap()
}

fn check(key: &PublicKey, scheme: SignatureScheme, input: ToSign<'_>, sig: &[u8]) -> bool {
    verify_signature(key, scheme, input, sig).is_ok()
}

#[test]
fn pss_accepts_openssl_salt_32_and_refuses_other_parameters() {
    let Some(openssl) = openssl() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (pem, public) = key(&openssl, d);
    let message = b"TLS 1.3, client CertificateVerify";
    let hash = HashAlgorithm::Sha256.digest(message);

    // The card's parameters: accepted through both PSS schemes (P1=04 digest, P1=05 message).
    let good = pss_sign(&openssl, d, &pem, &hash, "sha256", "32");
    assert_eq!(good.len(), 256);
    assert!(check(
        &public,
        SignatureScheme::PssSha256Digest,
        ToSign::Digest(&hash),
        &good
    ));
    assert!(check(
        &public,
        SignatureScheme::PssSha256,
        ToSign::Message(message),
        &good
    ));
    // The same signature over another hash is refused (the check is a real one).
    let other = HashAlgorithm::Sha256.digest(b"another message");
    assert!(!check(
        &public,
        SignatureScheme::PssSha256Digest,
        ToSign::Digest(&other),
        &good
    ));

    // Other salt lengths are valid PSS signatures, but not with the card's parameters: refused.
    // (The check before this fix took the salt length from the signature and accepted them.)
    for salt in ["20", "0", "64", "max"] {
        let sig = pss_sign(&openssl, d, &pem, &hash, "sha256", salt);
        assert!(
            !check(
                &public,
                SignatureScheme::PssSha256Digest,
                ToSign::Digest(&hash),
                &sig
            ),
            "a PSS signature with salt length {salt} was accepted"
        );
        assert!(!check(
            &public,
            SignatureScheme::PssSha256,
            ToSign::Message(message),
            &sig
        ));
    }
    // MGF1 over SHA-1 instead of SHA-256, salt 32: refused.
    let sig = pss_sign(&openssl, d, &pem, &hash, "sha1", "32");
    assert!(!check(
        &public,
        SignatureScheme::PssSha256Digest,
        ToSign::Digest(&hash),
        &sig
    ));
}
