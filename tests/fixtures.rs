//! The parsers against real bytes read off a JPKI test card (tests/data, see its README), and the
//! chain check against the embedded J-LIS roots.

#![cfg(feature = "sim")]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mynacard::cert::{Certificate, Hierarchy, KeyUsageBit, TrustStore};
use mynacard::credential::{MatchingNumberB, MyNumber, TextAssistPin};
use mynacard::crypto::{PublicKey, TrustError};
use mynacard::holder::Sex;
use mynacard::sim::{Access, App, Ef, Holder, VirtualCard};
use mynacard::text_assist::{
    basic_four_digest_input, parse_my_number, ApInfo, BasicFour, CvCertificate, IntegrityRecord,
    OpenedBy, TextAssistKey, TextAssistOptions,
};
use mynacard::{Card, Error};

const AUTH: &[u8] = include_bytes!("data/jpki-auth-cert.der");
const AUTH_CA: &[u8] = include_bytes!("data/jpki-auth-ca-cert.der");
const SIGN: &[u8] = include_bytes!("data/jpki-sign-cert.der");
const SIGN_CA: &[u8] = include_bytes!("data/jpki-sign-ca-cert.der");
const T1: &[u8] = include_bytes!("data/text-0001-physical.bin");
const T2: &[u8] = include_bytes!("data/text-0002.bin");
const T3: &[u8] = include_bytes!("data/text-0003.bin");
const T4: &[u8] = include_bytes!("data/text-0004.bin");
const T5: &[u8] = include_bytes!("data/text-0005.bin");

fn at_2027() -> SystemTime {
    // 2027-01-01T00:00:00Z
    UNIX_EPOCH + Duration::from_secs(1_798_761_600)
}

#[test]
fn test_card_certificates_parse() {
    let auth = Certificate::from_der(AUTH).unwrap();
    assert_eq!(auth.subject(), "CN=997794E9AGCIEG13221003A,C=JP");
    assert_eq!(
        auth.issuer(),
        "OU=Japan Agency for Local Authority Information Systems,OU=JPKI for user authentication,O=JPKI-TEST,C=JP"
    );
    assert_eq!(auth.serial_hex(), "227B13");
    assert_eq!(auth.not_before().to_string(), "2025-10-27T01:35:42Z");
    assert_eq!(auth.not_after().to_string(), "2030-02-17T14:59:59Z");
    assert_eq!(
        auth.key_usage().unwrap().unwrap(),
        vec![KeyUsageBit::DigitalSignature]
    );
    match auth.public_key().unwrap() {
        PublicKey::Rsa(k) => {
            assert_eq!(k.bits(), 2048);
            assert_eq!(k.exponent_u64(), Some(65537));
            assert_eq!(k.signature_len(), 256);
        }
        other => panic!("{other}"),
    }

    let sign = Certificate::from_der(SIGN).unwrap();
    assert_eq!(sign.serial_hex(), "1EE607");
    assert_eq!(
        sign.subject(),
        "CN=202510161726000013413221003A,L=Kiyose-shi,L=Tokyo-to,C=JP"
    );
    assert_eq!(
        sign.key_usage().unwrap().unwrap(),
        vec![KeyUsageBit::DigitalSignature, KeyUsageBit::NonRepudiation]
    );
    let names = sign.other_names();
    let get = |m: &str| {
        names
            .iter()
            .find(|o| o.meaning == Some(m))
            .and_then(|o| o.value.clone())
            .unwrap()
    };
    assert_eq!(get("name"), "黒桐\u{3000}幹也");
    assert_eq!(get("date of birth"), "319800217");
    assert_eq!(get("sex"), "1");
    assert_eq!(get("address"), "東京都清瀬市観布子南１２－７－２０２");

    for ca in [AUTH_CA, SIGN_CA] {
        let c = Certificate::from_der(ca).unwrap();
        assert!(c.is_ca());
        assert!(c.is_self_issued());
        assert_eq!(
            c.key_usage().unwrap().unwrap(),
            vec![KeyUsageBit::KeyCertSign, KeyUsageBit::CrlSign]
        );
    }
    let summary = sign.summary().to_string();
    assert!(summary.contains("Serial:       1EE607"), "{summary}");
}

#[test]
fn test_card_chains_only_when_the_test_hierarchy_is_asked_for() {
    let auth = Certificate::from_der(AUTH).unwrap();
    let auth_ca = Certificate::from_der(AUTH_CA).unwrap();
    let sign = Certificate::from_der(SIGN).unwrap();
    let sign_ca = Certificate::from_der(SIGN_CA).unwrap();

    // Production only: the O=JPKI-TEST issuer is unknown.
    let e = TrustStore::production()
        .verify(&auth, std::slice::from_ref(&auth_ca), at_2027())
        .unwrap_err();
    assert!(matches!(e, TrustError::UnknownIssuer { .. }), "{e:?}");

    // Asked for explicitly: the 2019 and 2023 test roots share a name; only 2023's key fits.
    let trust = TrustStore::production_and_test();
    let r = trust
        .verify(&auth, std::slice::from_ref(&auth_ca), at_2027())
        .unwrap();
    assert_eq!(r.hierarchy, Hierarchy::JpkiTest);
    assert!(!r.is_production());
    assert_eq!(r.anchor().unwrap().serial_hex(), "218887");
    let r = trust
        .verify(&sign, std::slice::from_ref(&sign_ca), at_2027())
        .unwrap();
    assert_eq!(r.anchor().unwrap().serial_hex(), "1EA8A8");
    // Without the card's CA certificate too, since it is the root itself.
    assert!(trust.verify(&auth, &[], at_2027()).is_ok());
    // An unrelated CA certificate among the intermediates does no harm.
    assert!(trust
        .verify(&auth, std::slice::from_ref(&sign_ca), at_2027())
        .is_ok());

    // Only the older root of the same name: found by name, refused by signature.
    let old = Certificate::from_der(include_bytes!(
        "../data/jlis-roots/test-hierarchy/authca-test-2019.cer"
    ))
    .unwrap();
    let e = TrustStore::empty()
        .with_custom_anchor(old)
        .verify(&auth, &[], at_2027())
        .unwrap_err();
    assert!(matches!(e, TrustError::BadSignature { .. }), "{e:?}");

    // Expired by 2031.
    let late = UNIX_EPOCH + Duration::from_secs(1_924_992_000);
    assert!(matches!(
        trust.verify(&auth, &[], late),
        Err(TrustError::NotValidAt { .. })
    ));
}

#[test]
fn production_roots_resolve_by_name_then_signature() {
    let trust = TrustStore::production();
    for (der, serial) in [
        (
            &include_bytes!("../data/jlis-roots/authca02.cer")[..],
            "0133C349",
        ),
        (
            include_bytes!("../data/jlis-roots/authca03.cer"),
            "06D18006",
        ),
        (
            include_bytes!("../data/jlis-roots/signca02.cer"),
            "0132C4AB",
        ),
        (
            include_bytes!("../data/jlis-roots/signca03.cer"),
            "067C6A21",
        ),
    ] {
        let root = Certificate::from_der(der).unwrap();
        assert_eq!(root.serial_hex(), serial);
        let r = trust.verify(&root, &[], at_2027()).unwrap();
        assert!(r.is_production());
        // The path is the root itself, not one of its namesakes.
        assert_eq!(r.path.len(), 1);
        assert_eq!(r.anchor().unwrap().serial_hex(), serial);
    }
    // The first generation expired on 2025-10-19.
    let g1 = Certificate::from_der(include_bytes!("../data/jlis-roots/authca01.cer")).unwrap();
    assert!(matches!(
        trust.verify(&g1, &[], at_2027()),
        Err(TrustError::NotValidAt { .. })
    ));
}

#[test]
fn text_files_decode_byte_for_byte() {
    let n = parse_my_number(T1).unwrap();
    assert_eq!(n.expose_str(), "537686677188");

    let b = BasicFour::parse(T2).unwrap();
    assert_eq!(b.name, "黒桐\u{3000}幹也");
    assert_eq!(b.family_name(), "黒桐");
    assert_eq!(b.given_name(), Some("幹也"));
    assert_eq!(b.address, "東京都清瀬市観布子南１２－７－２０２");
    assert_eq!(b.birth_date.to_string(), "1980-02-17");
    assert_eq!(b.sex, Sex::Male);
    // DF21 holds the file offsets of the DF22..DF25 tags.
    assert_eq!(b.offsets, [0x000E, 0x0020, 0x0059, 0x0064]);
    for (off, tag) in b.offsets.iter().zip([0x22u8, 0x23, 0x24, 0x25]) {
        assert_eq!(&T2[*off as usize..*off as usize + 2], &[0xDF, tag]);
    }
    assert_eq!(basic_four_digest_input(T2).unwrap(), &T2[0x0E..]);

    let rec = IntegrityRecord::parse(T3).unwrap();
    rec.check_my_number(T1).unwrap();
    // DF31 covers the physical 17 bytes, filler included: the 15-byte object alone fails.
    assert!(rec.check_my_number(&T1[..15]).is_err());
    rec.check_basic_four(T2).unwrap();
    assert_eq!(rec.signature.as_ref().unwrap().len(), 256);
    assert_eq!(rec.signed_data(), &T3[5..75]);

    let cv = CvCertificate::parse(T4).unwrap();
    assert_eq!(&cv.issuer_id[..6], b"600003");
    assert_eq!(&cv.subject_id[..7], b"1322131");
    assert_eq!(cv.exponent, [0x01, 0x00, 0x01]);
    assert_eq!(cv.modulus.len(), 256);
    assert_eq!(cv.signature.len(), 256);
    assert_eq!(cv.body.len(), 5 + 297);
    // DF33 verifies under the CV certificate's key.
    rec.check_signature(&cv).unwrap();

    let info = ApInfo::parse(T5).unwrap();
    let tags: Vec<u32> = info.entries.iter().map(|(t, _)| *t).collect();
    assert_eq!(tags, [0xDF41, 0xDF42, 0xDF43]);
    assert_eq!(info.entries[2].1.len(), 128);
}

#[test]
fn tampering_breaks_the_integrity_checks() {
    let rec = IntegrityRecord::parse(T3).unwrap();
    let cv = CvCertificate::parse(T4).unwrap();
    let mut t2 = T2.to_vec();
    t2[0x12] ^= 1; // inside the name
    assert!(rec.check_basic_four(&t2).is_err());
    let mut t1 = T1.to_vec();
    t1[16] = 0x00; // filler
    assert!(rec.check_my_number(&t1).is_err());
    let mut t3 = T3.to_vec();
    t3[10] ^= 1; // inside DF31
    let rec2 = IntegrityRecord::parse(&t3).unwrap();
    assert!(rec2.check_signature(&cv).is_err());
}

/// The test card's holder, so that the virtual card's 照合番号 match the fixture files.
fn fixture_holder() -> Holder {
    Holder {
        family_name: "黒桐".into(),
        given_name: "幹也".into(),
        address: "東京都清瀬市観布子南１２－７－２０２".into(),
        birth: (1980, 2, 17),
        sex: 1,
        my_number: "537686677188".into(),
        expiry_year: 2035,
        security_code: "2285".into(),
    }
}

/// A virtual card holding the fixture's text-assist files, under the real access rules.
fn fixture_card() -> VirtualCard {
    let mut vc = VirtualCard::with_holder(fixture_holder(), 1);
    let (pin, a, b) = (0x0011, 0x0014, 0x0015);
    for (fid, data, access) in [
        (0x0001, T1, Access::AnyOf(vec![pin, a])),
        (0x0002, T2, Access::AnyOf(vec![pin, b])),
        (0x0003, T3, Access::AnyOf(vec![pin, a, b])),
        (0x0004, T4, Access::Free),
        (0x0005, T5, Access::Free),
    ] {
        vc.put_file(
            App::TextAssist,
            fid,
            Ef::Binary {
                data: data.to_vec(),
                access,
            },
        );
    }
    vc
}

#[test]
fn fixture_through_the_card_with_pin_and_both_matching_numbers() {
    let all_checks = TextAssistOptions {
        check_signature: true,
        ..Default::default()
    };
    let mut card = Card::new(fixture_card());
    let pin = TextAssistPin::parse("1234").unwrap();
    let mut ta = card
        .text_assist(TextAssistKey::Pin(&pin), all_checks)
        .unwrap();
    assert_eq!(ta.opened_by(), OpenedBy::Pin);
    assert_eq!(ta.my_number().unwrap().expose_str(), "537686677188");
    let b = ta.basic_four().unwrap();
    assert_eq!(b.birth_date.to_string(), "1980-02-17");
    card.unpower().unwrap();

    // 照合番号A (the My Number) opens 0001 only.
    let a = MyNumber::parse("537686677188").unwrap();
    let mut ta = card
        .text_assist(TextAssistKey::MatchingA(&a), all_checks)
        .unwrap();
    assert_eq!(ta.my_number().unwrap().expose_str(), "537686677188");
    let before = ta.exchanges();
    assert!(matches!(
        ta.basic_four(),
        Err(Error::NeedsVerification { .. })
    ));
    assert_eq!(ta.exchanges(), before, "refused without sending");
    card.unpower().unwrap();

    // 照合番号B opens 0002 only (docs/card.md §8: 55021720352285).
    let bnum = MatchingNumberB::from_parts((1980, 2, 17), 2035, "2285").unwrap();
    let mut ta = card
        .text_assist(TextAssistKey::MatchingB(&bnum), all_checks)
        .unwrap();
    assert_eq!(ta.basic_four().unwrap().name, "黒桐\u{3000}幹也");
    assert!(matches!(
        ta.my_number(),
        Err(Error::NeedsVerification { .. })
    ));
}

#[test]
fn card_access_rules_are_the_cards_too() {
    // With the library's own check bypassed (reading raw files through the session), the
    // virtual card itself refuses 0002 after 照合番号A.
    let mut card = Card::new(fixture_card());
    let a = MyNumber::parse("537686677188").unwrap();
    drop(
        card.text_assist(TextAssistKey::MatchingA(&a), TextAssistOptions::default())
            .unwrap(),
    );
    let s = card.session_mut();
    let e = s
        .read_file(
            mynacard::applets::text::BASIC_FOUR,
            mynacard::session::FileSize::Tlv {
                likely_large: false,
            },
        )
        .unwrap_err();
    assert!(
        matches!(e, Error::Card { sw, .. } if sw.0 == 0x6982),
        "{e:?}"
    );
}
