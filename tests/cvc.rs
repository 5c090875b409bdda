//! Card-verifiable certificates against the real test-card fixtures (`tests/data/`, see its
//! README): the CV certificate of text-assist `0004` parsed byte for byte and verified under the
//! JPKI-test issuer key, and the chain below it (`0003` `DF33`, `0007` `DF52`). Then the same
//! chain end to end on the virtual card, including the presence challenge.

use mynacard::cvc::{
    key_id, CvCertificate, CvHierarchy, CvTrustError, IssuerKeys, KeyId, SignedPublicKey,
};
use mynacard::text_assist::IntegrityRecord;

const T3: &[u8] = include_bytes!("data/text-0003.bin");
const T4: &[u8] = include_bytes!("data/text-0004.bin");
const T7: &[u8] = include_bytes!("data/text-0007.bin");

#[test]
fn the_real_cv_certificate_parses_byte_for_byte() {
    assert_eq!(T4.len(), 568);
    let cv = CvCertificate::parse(T4).unwrap();
    // 7F21 82 0233 { 5F4E 82 0129 { ids, 90 03 010001, 91 82 0100 <modulus> } 5F37 82 0100 }.
    assert_eq!(&cv.issuer_id, b"6000033\x08\x05001\0\0\0\0");
    assert_eq!(&cv.subject_id, b"1322131\x08\x05000\0\0\0\0");
    assert_eq!(cv.issuer_key_id().to_string(), "6000033/001");
    assert_eq!(cv.subject_key_id().to_string(), "1322131/000");
    assert_eq!(cv.exponent, [0x01, 0x00, 0x01]);
    assert_eq!(cv.modulus.len(), 256);
    assert_eq!(cv.modulus[..], T4[0x33..0x33 + 256]);
    assert_eq!(cv.signature[..], T4[0x138..0x138 + 256]);
    assert_eq!(cv.body[..], T4[5..307]);
    assert_eq!(cv.signed_data(), &T4[10..307]);
    assert_eq!(cv.signed_data().len(), 297);
    assert_eq!(cv.rsa_key().bits(), 2048);
    // The same certificate without its template, as GET DATA returns it.
    let bare = CvCertificate::parse(&T4[5..]).unwrap();
    assert_eq!(bare, cv);
    // Filler after it changes nothing.
    let mut filled = T4.to_vec();
    filled.extend_from_slice(&[0xFF; 40]);
    assert_eq!(CvCertificate::parse(&filled).unwrap(), cv);
}

#[test]
fn the_real_cv_certificate_verifies_under_the_test_issuer_key() {
    let cv = CvCertificate::parse(T4).unwrap();
    let trust = cv.verify(&IssuerKeys::production_and_test()).unwrap();
    assert_eq!(trust.hierarchy, CvHierarchy::JpkiTest);
    assert_eq!(trust.issuer, key_id("6000033", "001"));
    // Production keys alone do not know this issuer: nothing is checked, and it says so.
    match cv.verify(&IssuerKeys::production()) {
        Err(CvTrustError::UnknownIssuer { issuer }) => {
            assert_eq!(issuer.to_string(), "6000033/001")
        }
        other => panic!("{other:?}"),
    }
    // The signature covers the 5F4E value only: over the whole object it does not verify.
    let issuer = IssuerKeys::production_and_test()
        .find(&cv.issuer_key_id())
        .unwrap()
        .key
        .clone();
    assert!(mynacard::sign::verify_signature(
        &mynacard::crypto::PublicKey::Rsa(issuer),
        mynacard::sign::SignatureScheme::Pkcs1v15(mynacard::crypto::HashAlgorithm::Sha256),
        mynacard::sign::ToSign::Message(&cv.body),
        &cv.signature,
    )
    .is_err());
    // A key with the same number but another padding byte is another key.
    let mut other = cv.issuer_key_id();
    other.0[15] = 1;
    assert!(IssuerKeys::production_and_test().find(&other).is_none());
}

#[test]
fn tampering_anywhere_in_the_body_or_signature_is_caught() {
    let keys = IssuerKeys::production_and_test();
    // A byte in the subject id, in the modulus, and in the signature.
    for at in [30, 0x40, 0x200] {
        let mut t = T4.to_vec();
        t[at] ^= 0x01;
        let cv = CvCertificate::parse(&t).unwrap();
        assert!(
            matches!(cv.verify(&keys), Err(CvTrustError::BadSignature { .. })),
            "byte {at}"
        );
    }
    // A caller-supplied key is a parameter: the subject's own key does not verify it.
    let cv = CvCertificate::parse(T4).unwrap();
    assert!(cv.verify_with(&cv.rsa_key()).is_err());
    let custom = IssuerKeys::empty().with(cv.issuer_key_id(), cv.rsa_key(), CvHierarchy::Custom);
    assert!(matches!(
        cv.verify(&custom),
        Err(CvTrustError::BadSignature { .. })
    ));
}

#[test]
fn the_chain_below_the_real_cv_certificate_verifies() {
    let cv = CvCertificate::parse(T4).unwrap();
    // text-assist 0003: DF33 under the CV certificate's key.
    IntegrityRecord::parse(T3)
        .unwrap()
        .check_signature(&cv)
        .unwrap();
    // text-assist 0007: the AP's card key, DF52 over the DF51 object.
    let k = SignedPublicKey::parse(T7).unwrap();
    assert_eq!(k.signed_data(), &T7[5..275]);
    assert_eq!(k.key.bits(), 2048);
    assert_eq!(k.key.exponent, [0x01, 0x00, 0x01]);
    assert_eq!(k.signature.len(), 256);
    k.check_signature(&cv).unwrap();
    // The card key is not the CV certificate's key.
    assert_ne!(k.key, cv.rsa_key());
    let mut t = T7.to_vec();
    t[100] ^= 1;
    assert!(SignedPublicKey::parse(&t)
        .unwrap()
        .check_signature(&cv)
        .is_err());
}

#[test]
fn malformed_certificates_get_clear_errors() {
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("filler", vec![0xFF; 16]),
        ("wrong tag", [&[0x7F, 0x4E][..], &T4[2..]].concat()),
        ("truncated", T4[..300].to_vec()),
        ("no signature", {
            let mut v = vec![0x7F, 0x21, 0x82, 0x01, 0x2E];
            v.extend_from_slice(&T4[5..307]);
            v
        }),
        ("short body", {
            let mut v = vec![0x7F, 0x21, 0x07, 0x5F, 0x4E, 0x01, 0x00, 0x5F, 0x37, 0x00];
            v.truncate(10);
            v
        }),
    ];
    for (name, data) in cases {
        let e = CvCertificate::parse(&data).unwrap_err();
        assert!(!e.is_empty(), "{name}");
    }
    assert!(KeyId([0x30; 16]).group().is_none());
}

#[cfg(feature = "sim")]
mod virtual_card {
    use super::*;
    use mynacard::credential::TextAssistPin;
    use mynacard::presence::fresh_nonce;
    use mynacard::sim::{pki, App, Ef, VirtualCard};
    use mynacard::text_assist::{TextAssistKey, TextAssistOptions};
    use mynacard::Card;

    #[test]
    fn the_virtual_cv_certificates_are_in_the_real_format() {
        let vc = VirtualCard::new();
        let keys = pki::virtual_issuer_keys();
        for (app, issuer) in [
            (App::TextAssist, "9000033/001"),
            (App::Surface, "9000023/001"),
        ] {
            let data = match vc.file(app, 0x0004) {
                Some(Ef::Binary { data, .. }) => data.clone(),
                _ => unreachable!(),
            };
            // The same shape as the fixture: 7F21 82 0233 / 5F4E 82 0129 / 297-byte body.
            assert_eq!(data.len(), T4.len(), "{app:?}");
            assert_eq!(&data[..10], &T4[..10], "{app:?}");
            let cv = CvCertificate::parse(&data).unwrap();
            assert_eq!(cv.signed_data().len(), 297);
            let t = cv.verify(&keys).unwrap();
            assert_eq!(t.issuer.to_string(), issuer);
            assert_eq!(t.hierarchy, CvHierarchy::Virtual);
            assert!(matches!(
                cv.verify(&IssuerKeys::production_and_test()),
                Err(CvTrustError::UnknownIssuer { .. })
            ));
        }
    }

    #[test]
    fn text_assist_chain_and_presence_end_to_end() {
        let mut card = Card::new(VirtualCard::new());
        let pin = TextAssistPin::parse("1234").unwrap();
        let mut t = card
            .text_assist(
                TextAssistKey::Pin(&pin),
                TextAssistOptions {
                    check_signature: true,
                    ..Default::default()
                },
            )
            .unwrap();
        let cv = t.cv_certificate().unwrap();
        cv.verify(&pki::virtual_issuer_keys()).unwrap();
        t.integrity_record().unwrap();
        let k = t.signed_public_key().unwrap();
        k.check_signature(&cv).unwrap();
        let before = t.exchanges();
        let nonce = fresh_nonce().unwrap();
        let proof = t.prove_presence(&nonce).unwrap();
        // 0004 is cached; 0007 is read again (one READ BINARY), then one SIGN.
        assert_eq!(t.exchanges() - before, 2);
        assert_eq!(proof.nonce, nonce);
        // The signature is the card's: it verifies under the 0007 key as PKCS#1 v1.5 over the
        // SHA-256 DigestInfo of the nonce, checked here with the rsa crate directly.
        use rsa::traits::SignatureScheme as _;
        let digest = <sha2::Sha256 as sha2::Digest>::digest(nonce);
        let pk = rsa::PublicKey::try_from(rsa::pkcs1::RsaPublicKey {
            modulus: der::asn1::UintRef::new(&k.key.modulus).unwrap(),
            public_exponent: der::asn1::UintRef::new(&k.key.exponent).unwrap(),
        })
        .unwrap();
        rsa::Pkcs1v15Sign::new::<sha2::Sha256>()
            .verify(&pk, &digest, &proof.signature)
            .unwrap();
        // Under another nonce the same signature does not verify.
        let other = <sha2::Sha256 as sha2::Digest>::digest(b"another nonce");
        assert!(rsa::Pkcs1v15Sign::new::<sha2::Sha256>()
            .verify(&pk, &other, &proof.signature)
            .is_err());
    }

    #[test]
    fn presence_needs_no_pin_but_reading_0007_does() {
        let mut vc = VirtualCard::new();
        // Raw: SIGN in the text-assist AP with nothing verified.
        let mut select = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
        select.extend_from_slice(mynacard::applets::TEXT_ASSIST.as_bytes());
        assert_eq!(vc.process(&select).sw.0, 0x9000);
        let di = mynacard::crypto::HashAlgorithm::Sha256.digest_info(&[7; 32]);
        let mut sign = vec![0x80, 0x2A, 0x00, 0x00, di.len() as u8];
        sign.extend_from_slice(&di);
        sign.push(0x00);
        let r = vc.process(&sign);
        assert_eq!(r.sw.0, 0x9000);
        assert_eq!(r.data.len(), 256);
        // Other P1 values are refused; the JPKI keys still need their PIN.
        sign[2] = 0x01;
        assert_eq!(vc.process(&sign).sw.0, 0x6A86);
        // 0007 itself is not free.
        assert_eq!(vc.process(&[0x00, 0xB0, 0x87, 0x00, 0x00]).sw.0, 0x6982);
        let mut card = Card::new(&mut vc);
        let e = card
            .text_assist(
                TextAssistKey::MatchingA(
                    &mynacard::credential::MyNumber::parse("123456789018").unwrap(),
                ),
                TextAssistOptions::default(),
            )
            .and_then(|mut t| t.prove_presence(b"x").map(|_| ()));
        assert!(e.is_ok(), "{e:?}");
    }
}
