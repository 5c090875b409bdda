//! Text-input assist on the virtual card: the real access rules, the integrity record and its
//! signature, and the lockout guard for 照合番号A/B.

#![cfg(feature = "sim")]

use mynacard::credential::{CredentialKind, MatchingNumberB, MyNumber, TextAssistPin};
use mynacard::holder::Sex;
use mynacard::sim::{App, VirtualCard};
use mynacard::text_assist::{OpenedBy, TextAssistKey, TextAssistOptions};
use mynacard::{Card, Error, LastTry};

fn pin() -> TextAssistPin {
    TextAssistPin::parse("1234").unwrap()
}

fn checks_all() -> TextAssistOptions {
    TextAssistOptions {
        check_signature: true,
        ..Default::default()
    }
}

#[test]
fn pin_opens_both_and_every_check_passes() {
    let vc = VirtualCard::new();
    let holder = vc.holder().clone();
    let mut card = Card::new(vc);
    let mut t = card
        .text_assist(TextAssistKey::Pin(&pin()), checks_all())
        .unwrap();
    assert_eq!(t.opened_by(), OpenedBy::Pin);
    let b = t.basic_four().unwrap();
    assert_eq!(b.family_name(), holder.family_name);
    assert_eq!(b.given_name(), Some(holder.given_name.as_str()));
    assert_eq!(b.address, holder.address);
    assert_eq!(b.birth_date.to_string(), "1985-04-01");
    assert_eq!(b.sex, Sex::Female);
    assert_eq!(t.my_number().unwrap().expose_str(), holder.my_number);
    let rec = t.integrity_record().unwrap();
    assert_eq!(rec.signature.as_ref().map(Vec::len), Some(256));
    let cv = t.cv_certificate().unwrap();
    rec.check_signature(&cv).unwrap();
    let info = t.ap_info().unwrap();
    assert_eq!(info.entries.len(), 3);
}

#[test]
fn matching_numbers_open_only_their_file() {
    let mut card = Card::new(VirtualCard::new());
    let a = MyNumber::parse("123456789018").unwrap();
    let mut t = card
        .text_assist(TextAssistKey::MatchingA(&a), checks_all())
        .unwrap();
    assert_eq!(t.my_number().unwrap().expose_str(), "123456789018");
    let n = t.exchanges();
    assert!(matches!(
        t.basic_four(),
        Err(Error::NeedsVerification { .. })
    ));
    assert_eq!(t.exchanges(), n, "refused without an exchange");
    card.unpower().unwrap();

    // Born 1985-04-01 = 昭和60, expiry 2035, code 1234.
    let b = MatchingNumberB::from_parts((1985, 4, 1), 2035, "1234").unwrap();
    let mut t = card
        .text_assist(TextAssistKey::MatchingB(&b), checks_all())
        .unwrap();
    assert_eq!(t.basic_four().unwrap().birth_date.to_string(), "1985-04-01");
    assert!(matches!(
        t.my_number(),
        Err(Error::NeedsVerification { .. })
    ));
}

#[test]
fn wrong_matching_number_spends_a_try_and_says_so() {
    let mut vc = VirtualCard::new();
    let limit = vc.tries_left(App::TextAssist, 0x0014).unwrap();
    let wrong = MyNumber::parse("537686677188").unwrap();
    let mut card = Card::new(&mut vc);
    let e = card
        .text_assist(TextAssistKey::MatchingA(&wrong), Default::default())
        .unwrap_err();
    match e {
        Error::WrongMatchingNumber { kind, tries_left } => {
            assert_eq!(kind, CredentialKind::MatchingNumberA);
            assert_eq!(tries_left, limit - 1);
        }
        other => panic!("{other:?}"),
    }
    drop(card);
    assert_eq!(vc.tries_left(App::TextAssist, 0x0014), Some(limit - 1));
}

#[test]
fn lockout_guard_protects_matching_numbers() {
    let mut vc = VirtualCard::new();
    vc.set_tries_left(App::TextAssist, 0x0015, 1).unwrap();
    // Not this holder's value.
    let b = MatchingNumberB::from_parts((1990, 1, 1), 2030, "0000").unwrap();
    let log = vc.log();
    let mut card = Card::new(&mut vc);
    let e = card
        .text_assist(TextAssistKey::MatchingB(&b), Default::default())
        .unwrap_err();
    assert!(matches!(e, Error::MatchingNumberLastTry { .. }), "{e:?}");
    assert_eq!(e.tries_left(), Some(1));
    // No VERIFY with data was sent.
    assert!(log
        .entries()
        .iter()
        .all(|x| !(x.ins() == Some(0x20) && x.command.len() > 4)));
    // Explicitly allowed: it is sent, and the wrong value blocks it.
    let opts = TextAssistOptions {
        last_try: LastTry::Allow,
        ..Default::default()
    };
    let e = card
        .text_assist(TextAssistKey::MatchingB(&b), opts)
        .unwrap_err();
    assert!(
        matches!(e, Error::WrongMatchingNumber { tries_left: 0, .. }),
        "{e:?}"
    );
    // Blocked: never sent again.
    let before = log.len();
    let e = card
        .text_assist(TextAssistKey::MatchingB(&b), opts)
        .unwrap_err();
    assert!(matches!(e, Error::MatchingNumberBlocked { .. }), "{e:?}");
    assert!(log.entries()[before..]
        .iter()
        .all(|x| !(x.ins() == Some(0x20) && x.command.len() > 4)));
}

#[test]
fn wrong_text_pin_is_a_wrong_pin() {
    let mut card = Card::new(VirtualCard::new());
    let e = card
        .text_assist(
            TextAssistKey::Pin(&TextAssistPin::parse("9999").unwrap()),
            Default::default(),
        )
        .unwrap_err();
    assert!(matches!(e, Error::WrongPin { tries_left: 2, .. }), "{e:?}");
}

#[test]
fn the_integrity_record_matches_an_independent_digest() {
    // The sim builds 0003 with its own digest code; the library's checks agree with it, and a
    // record built for another holder does not.
    let mut card = Card::new(VirtualCard::new());
    let mut t = card
        .text_assist(TextAssistKey::Pin(&pin()), TextAssistOptions::default())
        .unwrap();
    t.basic_four().unwrap();
    t.my_number().unwrap();
    let other = VirtualCard::with_holder(
        mynacard::sim::Holder {
            family_name: "別人".into(),
            ..Default::default()
        },
        0,
    );
    let rec_other = match other.file(App::TextAssist, 0x0003) {
        Some(mynacard::sim::Ef::Binary { data, .. }) => {
            mynacard::text_assist::IntegrityRecord::parse(data).unwrap()
        }
        _ => unreachable!(),
    };
    let mine = match VirtualCard::new().file(App::TextAssist, 0x0002) {
        Some(mynacard::sim::Ef::Binary { data, .. }) => data.clone(),
        _ => unreachable!(),
    };
    assert!(rec_other.check_basic_four(&mine).is_err());
}

#[test]
fn the_my_number_never_reaches_the_exchange_log() {
    let digits_hex = hex::encode_upper(b"123456789018");
    for (sfi, ext, chunk) in [
        (true, true, None),
        (false, false, None),
        (true, false, Some(8)),
        (false, true, Some(16)),
    ] {
        let vc = VirtualCard::new().with_options(mynacard::sim::SimOptions {
            sfi,
            extended: ext,
            reader_extended: true,
            chunk_responses: chunk,
        });
        let log = vc.log();
        let mut card = Card::new(vc);
        let mut t = card
            .text_assist(TextAssistKey::Pin(&pin()), TextAssistOptions::default())
            .unwrap();
        assert_eq!(t.my_number().unwrap().expose_str(), "123456789018");
        let shown: String = log
            .entries()
            .iter()
            .map(|e| format!("{e:?} {:?}\n", e.response))
            .collect();
        assert!(!shown.contains(&digits_hex), "sfi {sfi} ext {ext}: {shown}");
        // Nor the PIN.
        assert!(!shown.contains("31323334"), "{shown}");
    }
}
