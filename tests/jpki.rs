//! JPKI on the virtual card: the four certificates, the chain to the virtual TEST hierarchy
//! (never production), token info, availability, and signing with both keys in every scheme,
//! each signature checked with the `rsa` crate.

#![cfg(feature = "sim")]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mynacard::cert::{
    CertKind, Certificate, Hierarchy, KeyUsageBit, Presence, TokenKind, TrustStore,
};
use mynacard::credential::{AuthPin, SignaturePassword};
use mynacard::crypto::{PublicKey, TrustError};
use mynacard::sign::{
    verify_signature, KeyKind, SignOptions, SignatureScheme, ToSign, Verification,
};
use mynacard::sim::{pki, Access, App, Ef, VirtualCard};
use mynacard::{Card, Error};

fn at_2030() -> SystemTime {
    // 2030-06-01T00:00:00Z
    UNIX_EPOCH + Duration::from_secs(1_906_502_400)
}

fn auth_pin() -> AuthPin {
    AuthPin::parse("1234").unwrap()
}
fn sign_pw() -> SignaturePassword {
    SignaturePassword::parse("ABC123").unwrap()
}

#[test]
fn reads_the_free_certificates_and_parses_the_jpki_profile() {
    let mut card = Card::new(VirtualCard::new());
    let auth = card.jpki().read_certificate(CertKind::Auth).unwrap();
    assert!(
        auth.subject().starts_with("CN=VIRTUAL"),
        "{}",
        auth.subject()
    );
    assert!(auth.issuer().contains("O=mynacard-VIRTUAL-TEST"));
    assert_eq!(
        auth.key_usage().unwrap().unwrap(),
        vec![KeyUsageBit::DigitalSignature]
    );
    assert!(!auth.is_ca());
    match auth.public_key().unwrap() {
        PublicKey::Rsa(k) => assert_eq!(k.bits(), 2048),
        other => panic!("unexpected key {other}"),
    }
    assert!(auth.not_before() < auth.not_after());
    let ca = card.jpki().read_certificate(CertKind::AuthCa).unwrap();
    assert!(ca.is_ca());
    assert!(ca.is_self_issued());
    assert_eq!(auth.is_signed_by(&ca), Ok(true));
    let sign_ca = card.jpki().read_certificate(CertKind::SignCa).unwrap();
    assert_eq!(auth.is_signed_by(&sign_ca), Ok(false));
    // PEM round trip.
    let pem = auth.to_pem();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
}

#[test]
fn signature_certificate_needs_the_password() {
    let mut card = Card::new(VirtualCard::new());
    let e = card.jpki().read_certificate(CertKind::Sign).unwrap_err();
    assert!(
        matches!(e, Error::NeedsVerification { .. }),
        "expected NeedsVerification, got {e:?}"
    );
    card.verify(&sign_pw()).unwrap();
    let sign = card.jpki().read_certificate(CertKind::Sign).unwrap();
    assert_eq!(
        sign.key_usage().unwrap().unwrap(),
        vec![KeyUsageBit::DigitalSignature, KeyUsageBit::NonRepudiation]
    );
    // The holder's data rides in the subject alternative name, as on the test card.
    let names = sign.other_names();
    let name = names.iter().find(|o| o.meaning == Some("name")).unwrap();
    assert_eq!(name.value.as_deref(), Some("見本\u{3000}花子"));
    let birth = names
        .iter()
        .find(|o| o.meaning == Some("date of birth"))
        .unwrap();
    assert_eq!(birth.value.as_deref(), Some("319850401"));
    // Unpowered: the password is gone, and the certificate is not handed out from a cache.
    card.unpower().unwrap();
    assert!(matches!(
        card.jpki().read_certificate(CertKind::Sign),
        Err(Error::NeedsVerification { .. })
    ));
}

#[test]
fn virtual_hierarchy_is_never_production() {
    let mut card = Card::new(VirtualCard::new());
    for trust in [TrustStore::production(), TrustStore::production_and_test()] {
        let e = card
            .jpki()
            .verify_certificate_chain(CertKind::Auth, &trust, at_2030())
            .unwrap_err();
        assert!(
            matches!(e, Error::Trust(TrustError::UnknownIssuer { .. })),
            "{e:?}"
        );
    }
    let custom = TrustStore::production()
        .with_custom_anchor(Certificate::from_der(&pki::virtual_auth_ca()).unwrap())
        .with_custom_anchor(Certificate::from_der(&pki::virtual_sign_ca()).unwrap());
    let report = card
        .jpki()
        .verify_certificate_chain(CertKind::Auth, &custom, at_2030())
        .unwrap();
    assert_eq!(report.hierarchy, Hierarchy::Custom);
    assert!(!report.is_production());
    assert_eq!(report.path.len(), 2);
    card.verify(&sign_pw()).unwrap();
    let report = card
        .jpki()
        .verify_certificate_chain(CertKind::Sign, &custom, at_2030())
        .unwrap();
    assert_eq!(report.hierarchy, Hierarchy::Custom);
    // After expiry the chain is refused.
    let late = UNIX_EPOCH + Duration::from_secs(2_524_608_000); // 2050-01-01
    assert!(matches!(
        card.jpki()
            .verify_certificate_chain(CertKind::Auth, &custom, late),
        Err(Error::Trust(TrustError::NotValidAt { .. }))
    ));
}

#[test]
fn token_info_and_availability() {
    let mut card = Card::new(VirtualCard::new());
    let t = card.jpki().token_info().unwrap();
    assert_eq!(t.label, "JPKIAPICCTOKEN2");
    assert_eq!(t.kind, TokenKind::PhysicalCard);
    let a = card.jpki().certificate_availability().unwrap();
    assert_eq!(a.sign, Presence::Present);
    assert_eq!(a.auth, Presence::Present);
    // A phone token.
    let mut vc = VirtualCard::new();
    let mut label = vec![b' '; 160];
    label[..15].copy_from_slice(b"JPKIAPGPSETOKEN");
    vc.put_file(
        App::Jpki,
        0x0006,
        Ef::Binary {
            data: label,
            access: Access::Free,
        },
    );
    vc.put_file(
        App::Jpki,
        0x0008,
        Ef::Binary {
            data: vec![0x00, 0x8F, 0x00],
            access: Access::Free,
        },
    );
    let mut card = Card::new(vc);
    assert_eq!(
        card.jpki().token_info().unwrap().kind,
        TokenKind::AndroidPhone
    );
    assert_eq!(
        card.jpki().certificate_availability().unwrap().sign,
        Presence::Absent
    );
}

#[test]
fn every_scheme_with_both_keys_verifies_under_the_certificate() {
    let msg = b"mynacard: a message to sign";
    let mut card = Card::new(VirtualCard::new());
    for scheme in SignatureScheme::ALL {
        let sig = card
            .jpki()
            .sign(
                &auth_pin(),
                scheme,
                ToSign::Message(msg),
                &SignOptions::default(),
            )
            .unwrap_or_else(|e| panic!("{scheme}: {e}"));
        assert!(sig.checked);
        assert_eq!(sig.bytes.len(), 256);
        assert_eq!(sig.key, KeyKind::Auth);
        let key = card
            .jpki()
            .read_certificate(CertKind::Auth)
            .unwrap()
            .public_key()
            .unwrap();
        verify_signature(&key, scheme, ToSign::Message(msg), &sig.bytes).unwrap();
        // A different message does not verify.
        assert!(verify_signature(&key, scheme, ToSign::Message(b"other"), &sig.bytes).is_err());

        let sig = card
            .jpki()
            .sign(
                &sign_pw(),
                scheme,
                ToSign::Message(msg),
                &SignOptions::default(),
            )
            .unwrap_or_else(|e| panic!("{scheme}: {e}"));
        assert!(sig.checked);
        assert_eq!(sig.key, KeyKind::Sign);
    }
}

#[test]
fn digest_input_matches_message_input() {
    let msg = b"digest me";
    let mut card = Card::new(VirtualCard::new());
    let a = card
        .jpki()
        .sign(
            &auth_pin(),
            SignatureScheme::Pkcs1v15(mynacard::crypto::HashAlgorithm::Sha256),
            ToSign::Message(msg),
            &SignOptions::default(),
        )
        .unwrap();
    let digest = mynacard::crypto::HashAlgorithm::Sha256.digest(msg);
    for scheme in [
        SignatureScheme::Pkcs1v15(mynacard::crypto::HashAlgorithm::Sha256),
        SignatureScheme::Pkcs1v15Sha256Digest,
        SignatureScheme::Pkcs1v15Sha256,
    ] {
        let input = if scheme == SignatureScheme::Pkcs1v15Sha256 {
            ToSign::Message(msg)
        } else {
            ToSign::Digest(&digest)
        };
        let b = card
            .jpki()
            .sign(&auth_pin(), scheme, input, &SignOptions::default())
            .unwrap();
        // PKCS#1 v1.5 is deterministic: P1=00, 02 and 03 give the same signature.
        assert_eq!(a.bytes, b.bytes, "{scheme}");
    }
    // A card-hashing scheme refuses a digest, before anything is sent.
    let before = card.exchanges();
    assert!(matches!(
        card.jpki().sign(
            &auth_pin(),
            SignatureScheme::PssSha256,
            ToSign::Digest(&digest),
            &SignOptions::default()
        ),
        Err(Error::Unsupported(_))
    ));
    assert_eq!(card.exchanges(), before);
}

#[test]
fn a_signature_under_the_wrong_key_is_an_error() {
    let mut card = Card::new(VirtualCard::new());
    // Check the auth key's signature against the signature certificate's key.
    card.verify(&sign_pw()).unwrap();
    let sign_key = card
        .jpki()
        .read_certificate(CertKind::Sign)
        .unwrap()
        .public_key()
        .unwrap();
    let e = card
        .jpki()
        .sign(
            &auth_pin(),
            SignatureScheme::Pkcs1v15Sha256,
            ToSign::Message(b"x"),
            &SignOptions {
                verification: Verification::Key(sign_key),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(matches!(e, Error::Integrity { .. }), "{e:?}");
    // Opting out returns the signature unchecked.
    let s = card
        .jpki()
        .sign(
            &auth_pin(),
            SignatureScheme::Pkcs1v15Sha256,
            ToSign::Message(b"x"),
            &SignOptions::unchecked(),
        )
        .unwrap();
    assert!(!s.checked);
}

#[test]
fn a_corrupted_signature_from_the_card_is_caught() {
    let mut vc = VirtualCard::new();
    // A faulty card: answers SIGN with bytes that are no signature.
    vc.set_signer(Box::new(|_app, _fid, _p1, _data| Ok(vec![0x42; 256])));
    let mut card = Card::new(vc);
    let e = card
        .jpki()
        .sign(
            &auth_pin(),
            SignatureScheme::Pkcs1v15Sha256,
            ToSign::Message(b"x"),
            &SignOptions::default(),
        )
        .unwrap_err();
    assert!(matches!(e, Error::Integrity { .. }), "{e:?}");
}

#[test]
fn signing_without_the_pin_says_which_pin() {
    let mut card = Card::new(VirtualCard::new());
    let e = card
        .jpki()
        .sign_verified(
            KeyKind::Sign,
            SignatureScheme::PssSha256,
            ToSign::Message(b"x"),
            &SignOptions::default(),
        )
        .unwrap_err();
    match e {
        Error::NeedsVerification { needs, .. } => assert!(needs.contains("signature")),
        other => panic!("{other:?}"),
    }
    // After a VERIFY, several signatures need no further PIN.
    card.verify(&sign_pw()).unwrap();
    for _ in 0..2 {
        card.jpki()
            .sign_verified(
                KeyKind::Sign,
                SignatureScheme::PssSha256,
                ToSign::Message(b"x"),
                &SignOptions::default(),
            )
            .unwrap();
    }
}

#[test]
fn keys_are_deterministic_per_seed() {
    let a = pki::card_public_key_spki(7, false);
    assert_eq!(a, pki::card_public_key_spki(7, false));
    assert_ne!(a, pki::card_public_key_spki(8, false));
    assert_ne!(a, pki::card_public_key_spki(7, true));
    let mut c1 = Card::new(VirtualCard::with_holder(Default::default(), 7));
    let mut c2 = Card::new(VirtualCard::with_holder(Default::default(), 7));
    assert_eq!(
        c1.jpki().read_certificate(CertKind::Auth).unwrap(),
        c2.jpki().read_certificate(CertKind::Auth).unwrap()
    );
}

/// An independent check: PKCS#1 v1.5 over exactly `digest_info` under `key`, with the `rsa`
/// crate (no prefix added).
fn rsa_verifies(key: &PublicKey, digest_info: &[u8], sig: &[u8]) -> bool {
    let k = key.as_rsa().unwrap();
    let n = der::asn1::UintRef::new(&k.modulus).unwrap();
    let e = der::asn1::UintRef::new(&k.exponent).unwrap();
    let key = rsa::PublicKey::try_from(rsa::pkcs1::RsaPublicKey {
        modulus: n,
        public_exponent: e,
    })
    .unwrap();
    key.verify(rsa::Pkcs1v15Sign::new_unprefixed(), digest_info, sig)
        .is_ok()
}

#[test]
fn a_callers_digest_info_is_signed_with_p1_00_and_checked() {
    let msg = b"a DigestInfo built by the caller";
    let mut card = Card::new(VirtualCard::new());
    card.verify(&auth_pin()).unwrap();
    let key = card
        .jpki()
        .read_certificate(CertKind::Auth)
        .unwrap()
        .public_key()
        .unwrap();
    let h = mynacard::crypto::HashAlgorithm::Sha256;
    let di = h.digest_info(&h.digest(msg));
    // Same bytes as the library's own SHA-256 scheme (PKCS#1 v1.5 is deterministic).
    let own = card
        .jpki()
        .sign_verified(
            KeyKind::Auth,
            SignatureScheme::Pkcs1v15(h),
            ToSign::Message(msg),
            &SignOptions::default(),
        )
        .unwrap();
    for verification in [Verification::Certificate, Verification::Key(key.clone())] {
        let before = card.exchanges();
        let sig = card
            .jpki()
            .sign_digest_info_verified(
                KeyKind::Auth,
                &di,
                &SignOptions {
                    verification,
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(sig, own.bytes);
        assert!(rsa_verifies(&key, &di, &sig));
        // The JPKI application is selected and the certificate cached: SIGN only.
        assert_eq!(card.exchanges(), before + 1);
    }
    // Any DigestInfo built from a hash's OID; a digest of the wrong length is refused.
    assert!(mynacard::sign::digest_info_for::<sha2::Sha256>(&[0x5A; 20]).is_none());
    let di512 = mynacard::sign::digest_info_for::<sha2::Sha512>(&[7u8; 64]).unwrap();
    let sig = card
        .jpki()
        .sign_digest_info_verified(KeyKind::Auth, &di512, &SignOptions::default())
        .unwrap();
    assert!(rsa_verifies(&key, &di512, &sig));
}

#[test]
fn a_digest_info_signature_under_another_key_or_corrupted_is_an_error() {
    let mut card = Card::new(VirtualCard::new());
    card.verify(&sign_pw()).unwrap();
    let sign_key = card
        .jpki()
        .read_certificate(CertKind::Sign)
        .unwrap()
        .public_key()
        .unwrap();
    card.verify(&auth_pin()).unwrap();
    let h = mynacard::crypto::HashAlgorithm::Sha256;
    let di = h.digest_info(&h.digest(b"x"));
    // The auth key's signature checked against the signature certificate's key.
    let e = card
        .jpki()
        .sign_digest_info_verified(
            KeyKind::Auth,
            &di,
            &SignOptions {
                verification: Verification::Key(sign_key),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(matches!(e, Error::Integrity { .. }), "{e:?}");
    // A card that answers SIGN with bytes that are no signature.
    let mut vc = VirtualCard::new();
    vc.set_signer(Box::new(|_app, _fid, _p1, _data| Ok(vec![0x42; 256])));
    let mut card = Card::new(vc);
    card.verify(&auth_pin()).unwrap();
    let e = card
        .jpki()
        .sign_digest_info_verified(KeyKind::Auth, &di, &SignOptions::default())
        .unwrap_err();
    assert!(matches!(e, Error::Integrity { .. }), "{e:?}");
    // Unchecked on request.
    let sig = card
        .jpki()
        .sign_digest_info_verified(KeyKind::Auth, &di, &SignOptions::unchecked())
        .unwrap();
    assert_eq!(sig, vec![0x42; 256]);
}

#[test]
fn a_digest_info_is_signed_without_sfi_and_refused_when_it_cannot_be() {
    let mut vc = VirtualCard::new();
    vc.set_options(mynacard::sim::SimOptions {
        sfi: false,
        ..Default::default()
    });
    let mut card = Card::new(vc);
    let h = mynacard::crypto::HashAlgorithm::Sha384;
    let di = h.digest_info(&h.digest(b"no SFI"));
    // Without the PIN: the card refuses, and the error names the PIN.
    let e = card
        .jpki()
        .sign_digest_info_verified(KeyKind::Sign, &di, &SignOptions::unchecked())
        .unwrap_err();
    assert!(matches!(e, Error::NeedsVerification { .. }), "{e:?}");
    card.verify(&sign_pw()).unwrap();
    let key = card
        .jpki()
        .read_certificate(CertKind::Sign)
        .unwrap()
        .public_key()
        .unwrap();
    let sig = card
        .jpki()
        .sign_digest_info_verified(KeyKind::Sign, &di, &SignOptions::default())
        .unwrap();
    assert!(rsa_verifies(&key, &di, &sig));
    // Empty, or too long for the key's padding: refused before any exchange.
    let before = card.exchanges();
    let with_key = SignOptions {
        verification: Verification::Key(key),
        ..Default::default()
    };
    for bad in [&[][..], &[0u8; 246][..]] {
        let e = card
            .jpki()
            .sign_digest_info_verified(KeyKind::Sign, bad, &with_key)
            .unwrap_err();
        assert!(matches!(e, Error::Unsupported(_)), "{e:?}");
    }
    assert_eq!(card.exchanges(), before);
}

#[test]
fn the_cards_random_bytes_come_in_get_challenge_chunks_of_256() {
    let vc = VirtualCard::new();
    let log = vc.log();
    let mut card = Card::new(vc);
    card.verify(&auth_pin()).unwrap();
    let mut out = vec![0u8; 600];
    card.card_random(&mut out).unwrap();
    assert!(out.iter().any(|b| *b != 0));
    let mut again = vec![0u8; 600];
    card.card_random(&mut again).unwrap();
    assert_ne!(out, again, "fresh bytes each time");
    let cmds: Vec<Vec<u8>> = log
        .entries()
        .iter()
        .filter(|e| e.ins() == Some(0x84))
        .map(|e| e.command.clone())
        .collect();
    // 256 + 256 + 88, twice: `Le` 00 means 256.
    let one = [
        vec![0x00, 0x84, 0x00, 0x00, 0x00],
        vec![0x00, 0x84, 0x00, 0x00, 0x00],
        vec![0x00, 0x84, 0x00, 0x00, 88],
    ];
    assert_eq!(cmds, [one.clone(), one].concat());
    // The PIN stays verified: GET CHALLENGE changes neither selection nor security status.
    let h = mynacard::crypto::HashAlgorithm::Sha256;
    let di = h.digest_info(&h.digest(b"after GET CHALLENGE"));
    card.jpki()
        .sign_digest_info_verified(KeyKind::Auth, &di, &SignOptions::default())
        .unwrap();
    // Nothing asked, nothing sent.
    let before = card.exchanges();
    card.card_random(&mut []).unwrap();
    assert_eq!(card.exchanges(), before);
}
