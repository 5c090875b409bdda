//! No secret leaves: a full session of every operation, through the library and the CLI, with
//! everything it shows captured — exchange logs, errors and their Debug, Debug of every value
//! handled, CLI output, the vpcd log lines, and the virtual card's state file — and none of it may
//! hold a PIN, the signature password, the My Number or 照合番号B, as text or as hex.

use mynacard::cert::CertKind;
use mynacard::credential::AnyPin;
use mynacard::credential::{
    AuthPin, MatchingNumberB, MyNumber, ResidencePin, SignaturePassword, TextAssistPin,
};
use mynacard::crypto::HashAlgorithm;
use mynacard::reset::{StandInAuthority, TerminalRole};
use mynacard::sign::{SignOptions, SignatureScheme, ToSign};
use mynacard::sim::VirtualCard;
use mynacard::text_assist::{TextAssistKey, TextAssistOptions};
use mynacard::{Card, LastTry};

mod common;
use common::assert_clean;
#[path = "common/leak_fixture.rs"]
mod leak_fixture;
use leak_fixture::{secrets, set_pins, AUTH, AUTH2, RES, RES2, SIGN, SIGN2, TEXT, TEXT_NEW, WRONG};

#[test]
fn a_full_library_session_leaks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let mut vc = VirtualCard::open(&path).unwrap();
    set_pins(&mut vc);
    let secrets = secrets(&vc);
    let log = vc.log();
    let my_number = MyNumber::parse(&vc.holder().my_number).unwrap();
    let matching_b = MatchingNumberB::parse(&vc.holder().matching_b()).unwrap();
    let mut card = Card::new(vc);
    let mut shown: Vec<String> = Vec::new();
    let mut show = |s: String| shown.push(s);

    show(format!("{:?}", card.status_all().unwrap()));
    // Wrong values, then right ones.
    let e = card.verify(&AuthPin::parse(WRONG).unwrap()).unwrap_err();
    show(format!("{e} {e:?}"));
    let auth = AuthPin::parse(AUTH).unwrap();
    let sign = SignaturePassword::parse(SIGN).unwrap();
    show(format!("{auth:?} {sign:?} {my_number:?} {matching_b:?}"));
    card.verify(&auth).unwrap();
    card.verify(&sign).unwrap();
    card.verify(&ResidencePin::parse(RES).unwrap()).unwrap();
    // Certificates, signing with both keys.
    for kind in [CertKind::Auth, CertKind::AuthCa, CertKind::SignCa] {
        show(format!(
            "{:?}",
            card.jpki().read_certificate(kind).unwrap().summary()
        ));
    }
    for scheme in [
        SignatureScheme::Pkcs1v15(HashAlgorithm::Sha256),
        SignatureScheme::Pkcs1v15(HashAlgorithm::Sha512),
    ] {
        let s = card
            .jpki()
            .sign(
                &auth,
                scheme,
                ToSign::Message(b"doc"),
                &SignOptions::default(),
            )
            .unwrap();
        show(format!("{s:?}"));
        let s = card
            .jpki()
            .sign(
                &sign,
                scheme,
                ToSign::Message(b"doc"),
                &SignOptions::default(),
            )
            .unwrap();
        show(format!("{s:?}"));
    }
    // Text assist, opened each way.
    let text = TextAssistPin::parse(TEXT).unwrap();
    {
        let mut ta = card
            .text_assist(TextAssistKey::Pin(&text), TextAssistOptions::default())
            .unwrap();
        let basic = ta.basic_four().unwrap();
        let n = ta.my_number().unwrap();
        show(format!("{ta:?} {basic:?} {n:?}"));
    }
    {
        let mut ta = card
            .text_assist(
                TextAssistKey::MatchingA(&my_number),
                TextAssistOptions::default(),
            )
            .unwrap();
        let n = ta.my_number().unwrap();
        show(format!("{n:?}"));
        let e = ta.basic_four().unwrap_err();
        show(format!("{e} {e:?}"));
    }
    {
        let mut ta = card
            .text_assist(
                TextAssistKey::MatchingB(&matching_b),
                TextAssistOptions::default(),
            )
            .unwrap();
        show(format!("{:?}", ta.basic_four().unwrap()));
    }
    // Changes of all four.
    card.change(&auth, &AuthPin::parse(AUTH2).unwrap()).unwrap();
    card.change(&sign, &SignaturePassword::parse(SIGN2).unwrap())
        .unwrap();
    card.change(
        &ResidencePin::parse(RES).unwrap(),
        &ResidencePin::parse(RES2).unwrap(),
    )
    .unwrap();
    // Resets at the counter and the kiosk.
    let mut counter = StandInAuthority::new(TerminalRole::MunicipalCounter);
    let st = card
        .reset_any(
            &mut counter,
            &AnyPin::parse(mynacard::pin::PinKind::TextAssist, TEXT_NEW).unwrap(),
            None,
            LastTry::Refuse,
        )
        .unwrap();
    show(format!("{st:?}"));
    let mut kiosk = StandInAuthority::new(TerminalRole::SelfServiceKiosk);
    let e = card
        .reset_any(
            &mut kiosk,
            &AnyPin::parse(mynacard::pin::PinKind::UserAuth, AUTH).unwrap(),
            Some(&AnyPin::parse(mynacard::pin::PinKind::Signature, "WRONG1").unwrap()),
            LastTry::Refuse,
        )
        .unwrap_err();
    show(format!("{e} {e:?}"));
    let st = card
        .reset_any(
            &mut kiosk,
            &AnyPin::parse(mynacard::pin::PinKind::UserAuth, AUTH).unwrap(),
            Some(&AnyPin::parse(mynacard::pin::PinKind::Signature, SIGN2).unwrap()),
            LastTry::Refuse,
        )
        .unwrap();
    show(format!("{st:?}"));
    card.unpower().unwrap();
    let vc = card.into_transport();
    show(format!("{vc:?}"));

    assert!(log.len() > 60, "a full session: {}", log.len());
    let mut all = shown.join("\n");
    for e in log.entries() {
        all.push_str(&format!(
            "\n{e}\n{e:?}\n{}",
            mynacard::sim::vpcd::log_line(&e)
        ));
    }
    assert_clean("the session's output and logs", &all, &secrets);
    drop(vc);
    let file = std::fs::read_to_string(&path).unwrap();
    assert_clean("the state file", &file, &secrets);
}
