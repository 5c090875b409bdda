//! The bad-input table: every public entry point and every CLI argument, given bad input, gives
//! a clear error, sends nothing to the card, and does not panic.

use mynacard::apdu::{ApduError, Command as Apdu, CommandView, Response};
use mynacard::cert::{CertAvailability, Certificate, TokenInfo};
use mynacard::credential::{
    AuthPin, MatchingNumberB, MyNumber, ResidencePin, SignaturePassword, TextAssistPin,
};
use mynacard::crypto::HashAlgorithm;
use mynacard::error::ResetError;
use mynacard::reset::{OtherPin, StandInAuthority, TerminalRole};
use mynacard::sign::{SignOptions, SignatureScheme, ToSign};
use mynacard::sim::VirtualCard;
use mynacard::text_assist::{TextAssistKey, TextAssistOptions};
use mynacard::transport::ExchangeLog;
use mynacard::{Card, Error, LastTry};

mod common;

fn card() -> (Card<VirtualCard>, ExchangeLog) {
    let vc = VirtualCard::new();
    let log = vc.log();
    (Card::new(vc), log)
}

#[test]
fn codecs_refuse_bad_input_with_an_error() {
    assert_eq!(
        Apdu::new(0, 0xD6, 0, 0).with_data(&vec![0; 70_000]),
        Err(ApduError::DataTooLong(70_000))
    );
    assert_eq!(
        Apdu::new(0, 0xB0, 0, 0).with_ne(0),
        Err(ApduError::InvalidNe(0))
    );
    assert_eq!(
        Apdu::new(0, 0xB0, 0, 0).with_ne(65_537),
        Err(ApduError::InvalidNe(65_537))
    );
    for bad in [
        &[][..],
        &[0, 0xA4],
        &[0, 0xA4, 4, 0, 5, 1],
        &[0, 0xB0, 0, 0, 0, 1],
    ] {
        let e = CommandView::parse(bad).unwrap_err();
        assert!(!e.to_string().is_empty());
    }
    assert!(Response::parse(&[0x90]).is_err());
    assert!(mynacard::tlv::parse_one(&[]).is_err());
    assert!(mynacard::tlv::parse_one(&[0xDF, 0x22, 0x85, 0, 0, 0, 0, 1]).is_err());
    assert!(mynacard::tlv::simple_tlv(&[1, 0xFF, 0]).is_err());
    assert!(mynacard::sim::vpcd::encode_frame(&vec![0; 70_000]).is_err());
    assert!(Certificate::from_der(b"not a certificate").is_err());
    assert!(Certificate::from_der(&[0x30, 0x82, 0xFF, 0xFF, 0x30]).is_err());
    assert!(TokenInfo::parse(b"short").is_err());
    assert!(CertAvailability::parse(&[]).is_err());
    assert!(mynacard::text_assist::parse_my_number(&[0xFF; 17]).is_err());
    assert!(mynacard::text_assist::BasicFour::parse(&[0xFF, 0x20, 0x05, 0xDF]).is_err());
    assert!(mynacard::text_assist::CvCertificate::parse(&[0x7F, 0x21, 0x00]).is_err());
}

#[test]
fn credentials_refuse_bad_values_and_never_echo_them() {
    let cases: Vec<(&str, String)> = vec![
        ("auth", AuthPin::parse("12a4").unwrap_err().to_string()),
        (
            "residence",
            ResidencePin::parse("").unwrap_err().to_string(),
        ),
        (
            "text",
            TextAssistPin::parse("98765").unwrap_err().to_string(),
        ),
        (
            "sign",
            SignaturePassword::parse("pass12").unwrap_err().to_string(),
        ),
        (
            "A",
            MyNumber::parse("12345678901X").unwrap_err().to_string(),
        ),
        (
            "A",
            MyNumber::parse("123456789019").unwrap_err().to_string(),
        ),
        (
            "B",
            MatchingNumberB::parse("5513172035228")
                .unwrap_err()
                .to_string(),
        ),
        (
            "B",
            MatchingNumberB::from_parts((1980, 2, 30), 2035, "2285")
                .unwrap_err()
                .to_string(),
        ),
        (
            "B",
            MatchingNumberB::from_parts((1850, 1, 1), 2035, "2285")
                .unwrap_err()
                .to_string(),
        ),
        (
            "B",
            MatchingNumberB::from_parts((1980, 2, 17), 2035, "22a5")
                .unwrap_err()
                .to_string(),
        ),
    ];
    for (what, msg) in cases {
        assert!(msg.starts_with("invalid"), "{what}: {msg}");
        for secret in [
            "12a4",
            "98765",
            "pass12",
            "12345678901X",
            "123456789019",
            "22a5",
        ] {
            assert!(!msg.contains(secret), "{what}: {msg}");
        }
    }
}

#[test]
fn impossible_requests_cost_zero_exchanges() {
    // Changing to the same value.
    let (mut c, log) = card();
    let p = AuthPin::parse("1234").unwrap();
    assert!(matches!(c.change(&p, &p), Err(Error::Credential(_))));
    assert!(log.is_empty());
    // A digest of the wrong length for the scheme.
    let (mut c, log) = card();
    let e = c
        .jpki()
        .sign(
            &p,
            SignatureScheme::Pkcs1v15(HashAlgorithm::Sha256),
            ToSign::Digest(&[0; 31]),
            &SignOptions::default(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("32"), "{e}");
    assert!(log.is_empty(), "{:?}", log.entries());
    // A kiosk asked for a PIN it cannot reset, or without the other PIN.
    let (mut c, log) = card();
    let mut kiosk = StandInAuthority::new(TerminalRole::SelfServiceKiosk);
    let e = c
        .reset(
            &mut kiosk,
            &ResidencePin::parse("4821").unwrap(),
            None,
            LastTry::Refuse,
        )
        .unwrap_err();
    assert!(
        matches!(e, Error::Reset(ResetError::NotPermitted { .. })),
        "{e:?}"
    );
    let e = c
        .reset(
            &mut kiosk,
            &SignaturePassword::parse("NEW2026").unwrap(),
            None,
            LastTry::Refuse,
        )
        .unwrap_err();
    assert!(
        matches!(e, Error::Reset(ResetError::OtherPinNeeded { .. })),
        "{e:?}"
    );
    // The wrong other PIN kind: the signature password offered to reset the signature password.
    let sign = SignaturePassword::parse("ABC123").unwrap();
    let e = c
        .reset(
            &mut kiosk,
            &SignaturePassword::parse("NEW2026").unwrap(),
            Some(OtherPin::Signature(&sign)),
            LastTry::Refuse,
        )
        .unwrap_err();
    assert!(e.nothing_sent(), "{e:?}");
    assert!(log.is_empty(), "{:?}", log.entries());
    // Text assist opened with 照合番号B: the My Number is refused without an exchange.
    let (mut c, log) = card();
    let b = MatchingNumberB::parse(&VirtualCard::new().holder().matching_b()).unwrap();
    let mut ta = c
        .text_assist(TextAssistKey::MatchingB(&b), TextAssistOptions::default())
        .unwrap();
    let before = log.len();
    assert!(matches!(
        ta.my_number(),
        Err(Error::NeedsVerification { .. })
    ));
    assert_eq!(log.len(), before);
}

#[test]
fn unusable_state_paths_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let e = VirtualCard::open(dir.path()).unwrap_err();
    assert!(
        e.to_string().contains(&dir.path().display().to_string()),
        "{e}"
    );
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    let e = VirtualCard::open(&file.join("below")).unwrap_err();
    assert!(!e.to_string().is_empty());
}
