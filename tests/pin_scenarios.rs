//! PIN scenarios on the virtual card, for each of the four kinds.

use mynacard::apdu::{ins, StatusWord};
use mynacard::credential::AnyPin;
use mynacard::credential::{
    AuthPin, MatchingNumberB, MyNumber, Pin, ResidencePin, SignaturePassword, TextAssistPin,
};
use mynacard::pin::{PinKind, RetryState};
use mynacard::sim::{App, Fault, Trigger, VirtualCard};
use mynacard::transport::ExchangeLog;
use mynacard::{Card, Error, LastTry};

mod common;

fn card() -> (Card<VirtualCard>, ExchangeLog) {
    let vc = VirtualCard::new();
    let log = vc.log();
    (Card::new(vc), log)
}

/// VERIFY commands with data (which can spend a try) in the log.
fn verifies_with_data(log: &ExchangeLog) -> usize {
    log.entries()
        .iter()
        .filter(|e| e.ins() == Some(ins::VERIFY) && e.command.len() > 4)
        .count()
}

struct Values {
    right: &'static str,
    wrong: &'static str,
    new: &'static str,
}

fn values(kind: PinKind) -> Values {
    match kind {
        PinKind::Signature => Values {
            right: "ABC123",
            wrong: "ZZZ999",
            new: "NEW2026PASS",
        },
        _ => Values {
            right: "1234",
            wrong: "9999",
            new: "4821",
        },
    }
}

fn wrong_wrong_right<P: Pin>() {
    let v = values(P::KIND);
    let (mut card, _) = card();
    let limit = P::KIND.retry_limit();
    let wrong = P::new(v.wrong).unwrap();
    for i in 1..=2u8 {
        match card.verify(&wrong) {
            Err(Error::WrongPin { kind, tries_left }) => {
                assert_eq!(kind, P::KIND);
                assert_eq!(tries_left, limit - i);
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        card.pin_status(P::KIND).unwrap().tries_left(),
        Some(limit - 2)
    );
    let right = P::new(v.right).unwrap();
    if limit - 2 == 1 {
        // One try left: even the right value needs the caller's explicit consent.
        assert_eq!(card.verify(&right), Err(Error::LastTry { kind: P::KIND }));
        card.verify_with(&right, LastTry::Allow).unwrap();
    } else {
        card.verify(&right).unwrap();
    }
    let st = card.pin_status(P::KIND).unwrap();
    assert_eq!(st.tries_left(), Some(limit), "{st:?}");
    // Unpowered, the card reports the full count again rather than "verified".
    card.unpower().unwrap();
    let st = card.pin_status(P::KIND).unwrap();
    assert_eq!(st.refs[0].state, RetryState::TriesLeft(limit));
}

fn locks_at_limit_and_guard<P: Pin>() {
    let v = values(P::KIND);
    let (mut card, log) = card();
    let limit = P::KIND.retry_limit();
    let wrong = P::new(v.wrong).unwrap();
    for _ in 1..limit {
        assert!(matches!(card.verify(&wrong), Err(Error::WrongPin { .. })));
    }
    // The guard refuses the last try, and sends no VERIFY with data.
    let before = verifies_with_data(&log);
    assert_eq!(card.verify(&wrong), Err(Error::LastTry { kind: P::KIND }));
    assert_eq!(verifies_with_data(&log), before);
    // Allowed explicitly, the last wrong try locks it: 63C0.
    assert_eq!(
        card.verify_with(&wrong, LastTry::Allow),
        Err(Error::WrongPin {
            kind: P::KIND,
            tries_left: 0
        })
    );
    let st = card.pin_status(P::KIND).unwrap();
    assert!(st.is_blocked());
    // A blocked PIN is never sent, even the right value, guard on or off.
    let before = verifies_with_data(&log);
    let right = P::new(v.right).unwrap();
    assert_eq!(
        card.verify_with(&right, LastTry::Allow),
        Err(Error::Blocked { kind: P::KIND })
    );
    let mut card = card.with_lockout_guard(false);
    assert_eq!(card.verify(&right), Err(Error::Blocked { kind: P::KIND }));
    assert_eq!(verifies_with_data(&log), before);
    // The card itself answers 6984 to anything after the counter is exhausted.
    let vc = card.session_mut().transport_mut();
    let key = P::KIND.key_refs()[0];
    let mut raw = VirtualCard::new();
    std::mem::swap(vc, &mut raw);
    raw.process(&[0x00, 0xA4, 0x04, 0x0C, 0x0A]); // malformed select: ignored
    let mut sel = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
    sel.extend_from_slice(key.aid.as_bytes());
    assert_eq!(raw.process(&sel).sw, StatusWord::OK);
    let mut verify = vec![
        0x00,
        0x20,
        0x00,
        0x80 | key.fid.0 as u8,
        v.right.len() as u8,
    ];
    verify.extend_from_slice(v.right.as_bytes());
    assert_eq!(raw.process(&verify).sw, StatusWord(0x6984));
    assert_eq!(raw.process(&verify[..4]).sw, StatusWord(0x6984));
}

fn change_old_fails_new_passes<P: Pin>() {
    let v = values(P::KIND);
    let (mut card, _) = card();
    let old = P::new(v.right).unwrap();
    let new = P::new(v.new).unwrap();
    card.change(&old, &new).unwrap();
    card.unpower().unwrap();
    assert!(matches!(card.verify(&old), Err(Error::WrongPin { .. })));
    card.verify(&new).unwrap();
    // Every key reference took the new value.
    let vc = card.into_transport();
    for key in P::KIND.key_refs() {
        let app = App::ALL.into_iter().find(|a| a.aid() == key.aid).unwrap();
        assert!(vc.key_matches(app, key.fid.0, v.new.as_bytes()));
    }
}

macro_rules! per_kind {
    ($($m:ident: $t:ty),*) => {$(
        mod $m {
            use super::*;
            #[test]
            fn wrong_wrong_right_restores_the_count() {
                wrong_wrong_right::<$t>();
            }
            #[test]
            fn locks_at_its_limit_guard_refuses_last_try_blocked_never_sent() {
                locks_at_limit_and_guard::<$t>();
            }
            #[test]
            fn after_change_old_fails_and_new_passes() {
                change_old_fails_new_passes::<$t>();
            }
        }
    )*};
}

per_kind!(signature: SignaturePassword, user_auth: AuthPin, residence: ResidencePin, text_assist: TextAssistPin);

#[test]
fn any_pin_verify_and_change_act_on_the_kind_chosen_at_run_time() {
    for kind in PinKind::ALL {
        let v = values(kind);
        let (mut card, _) = card();
        let any = |value| AnyPin::parse(kind, value).unwrap();
        match card.verify_any(&any(v.wrong), LastTry::Refuse) {
            Err(Error::WrongPin {
                kind: k,
                tries_left,
            }) => {
                assert_eq!(k, kind);
                assert_eq!(tries_left, kind.retry_limit() - 1);
            }
            other => panic!("{kind:?}: {other:?}"),
        }
        card.verify_any(&any(v.right), LastTry::Refuse).unwrap();
        card.change_any(&any(v.right), &any(v.new), LastTry::Refuse)
            .unwrap();
        card.unpower().unwrap();
        assert!(matches!(
            card.verify_any(&any(v.right), LastTry::Refuse),
            Err(Error::WrongPin { .. })
        ));
        card.verify_any(&any(v.new), LastTry::Refuse).unwrap();
        let vc = card.into_transport();
        for key in kind.key_refs() {
            let app = App::ALL.into_iter().find(|a| a.aid() == key.aid).unwrap();
            assert!(vc.key_matches(app, key.fid.0, v.new.as_bytes()), "{kind:?}");
        }
    }
    // PINs of two kinds are refused before any exchange.
    let (mut card, log) = card();
    let auth = AnyPin::parse(PinKind::UserAuth, "1234").unwrap();
    let res = AnyPin::parse(PinKind::Residence, "4821").unwrap();
    let e = card.change_any(&auth, &res, LastTry::Allow).unwrap_err();
    assert!(matches!(e, Error::Unsupported(_)), "{e:?}");
    assert!(log.is_empty(), "{:?}", log.entries());
}

#[test]
fn status_of_all_four_takes_nine_exchanges_and_spends_nothing() {
    let (mut card, log) = card();
    let all = card.status_all().unwrap();
    assert_eq!(card.exchanges(), 9);
    assert_eq!(log.len(), 9);
    assert_eq!(verifies_with_data(&log), 0);
    let limits: Vec<_> = all.iter().map(|s| s.tries_left()).collect();
    assert_eq!(limits, vec![Some(5), Some(3), Some(3), Some(3)]);
    // The residence PIN reports both key references.
    assert_eq!(all[2].refs.len(), 2);
    assert!(all[2].refs[0].application.contains("住基AP"));
    assert!(all[2].refs[1].application.contains("共通カードAP"));
    // Asking again spends nothing either.
    card.status_all().unwrap();
    assert_eq!(all, card.status_all().unwrap());
}

#[test]
fn empty_verify_answers_9000_once_verified() {
    let (mut card, _) = card();
    card.verify(&AuthPin::parse("1234").unwrap()).unwrap();
    let st = card.pin_status(PinKind::UserAuth).unwrap();
    assert_eq!(st.refs[0].state, RetryState::Verified);
    // Selecting another application clears it.
    card.pin_status(PinKind::TextAssist).unwrap();
    let st = card.pin_status(PinKind::UserAuth).unwrap();
    assert_eq!(st.refs[0].state, RetryState::TriesLeft(3));
}

#[test]
fn residence_change_rolls_back_when_the_second_reference_fails() {
    let mut vc = VirtualCard::new();
    // The CHANGE KEY on 共通カードAP fails with a memory error, without executing.
    vc.inject(
        Trigger::ins(ins::CHANGE_KEY).in_app(App::Common),
        Fault::Refuse(StatusWord(0x6581)),
    );
    let mut card = Card::new(vc);
    let old = ResidencePin::parse("1234").unwrap();
    let new = ResidencePin::parse("4821").unwrap();
    let err = card.change(&old, &new).unwrap_err();
    match &err {
        Error::ChangeRolledBack { cause } => {
            assert!(matches!(
                **cause,
                Error::Card {
                    sw: StatusWord(0x6581),
                    ..
                }
            ))
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("old PIN still works"));
    let vc = card.into_transport();
    assert!(vc.key_matches(App::Juki, 0x1C, b"1234"));
    assert!(vc.key_matches(App::Common, 0x1C, b"1234"));
    assert_eq!(vc.tries_left(App::Juki, 0x1C), Some(3));
}

#[test]
fn residence_change_reports_unknown_when_the_card_is_pulled_on_the_second_reference() {
    let mut vc = VirtualCard::new();
    vc.inject(
        Trigger::ins(ins::CHANGE_KEY).in_app(App::Common),
        Fault::RemoveCard,
    );
    let mut card = Card::new(vc);
    let err = card
        .change(
            &ResidencePin::parse("1234").unwrap(),
            &ResidencePin::parse("4821").unwrap(),
        )
        .unwrap_err();
    assert!(matches!(err, Error::UnknownOutcome { .. }), "{err:?}");
    assert!(err.to_string().contains("住基AP has the new PIN"));
}

#[test]
fn residence_change_checks_both_references_before_touching_either() {
    let mut vc = VirtualCard::new();
    vc.set_tries_left(App::Common, 0x1C, 0).unwrap();
    let log = vc.log();
    let mut card = Card::new(vc);
    let err = card
        .change(
            &ResidencePin::parse("1234").unwrap(),
            &ResidencePin::parse("4821").unwrap(),
        )
        .unwrap_err();
    assert_eq!(
        err,
        Error::Blocked {
            kind: PinKind::Residence
        }
    );
    assert_eq!(verifies_with_data(&log), 0);
    assert!(card.into_transport().key_matches(App::Juki, 0x1C, b"1234"));
}

/// Parses a value as the kind's type and verifies it: what an application does with user input.
fn verify_str(card: &mut Card<VirtualCard>, kind: PinKind, value: &str) -> Result<(), Error> {
    match kind {
        PinKind::Signature => card.verify(&SignaturePassword::parse(value)?),
        PinKind::UserAuth => card.verify(&AuthPin::parse(value)?),
        PinKind::Residence => card.verify(&ResidencePin::parse(value)?),
        PinKind::TextAssist => card.verify(&TextAssistPin::parse(value)?),
    }
}

#[test]
fn malformed_pins_cost_zero_exchanges() {
    let table: &[(PinKind, &str, &str)] = &[
        (PinKind::UserAuth, "123", "exactly 4"),
        (PinKind::UserAuth, "12345", "exactly 4"),
        (PinKind::UserAuth, "12a4", "only the digits"),
        (PinKind::UserAuth, "", "exactly 4"),
        (PinKind::UserAuth, "１２３４", "only the digits"),
        (PinKind::Residence, "12 4", "only the digits"),
        (PinKind::TextAssist, "-123", "only the digits"),
        (
            PinKind::Signature,
            "abc123",
            "lower-case letters are not accepted",
        ),
        (PinKind::Signature, "ABC12", "6 to 16"),
        (PinKind::Signature, "ABCDEFGHIJ1234567", "6 to 16"),
        (PinKind::Signature, "ABCDEF", "at least one digit"),
        (PinKind::Signature, "123456", "at least one letter"),
        (PinKind::Signature, "ABC-123", "only upper-case letters"),
        (
            PinKind::Signature,
            "ＡＢＣ１２３",
            "only upper-case letters",
        ),
    ];
    for (kind, value, rule) in table {
        let (mut card, log) = card();
        let err = verify_str(&mut card, *kind, value).unwrap_err();
        assert!(matches!(err, Error::Credential(_)), "{value}: {err:?}");
        assert!(err.to_string().contains(rule), "{value}: {err}");
        assert!(log.is_empty(), "{value}: {:?}", log.entries());
    }
    // Changing to the same value is refused before any exchange too.
    let (mut card, log) = card();
    let p = AuthPin::parse("1234").unwrap();
    assert!(matches!(card.change(&p, &p), Err(Error::Credential(_))));
    assert!(log.is_empty());
    // 照合番号 formats.
    assert!(MyNumber::parse("123456789019").is_err());
    assert!(MatchingNumberB::parse("55131720352285").is_err());
}

#[test]
fn no_pin_bytes_in_debug_errors_trace_or_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let secrets = ["4821", "QZ7381", "7305", "ABC123", "1234", "9999"];
    let vc = VirtualCard::open(&path).unwrap();
    let log = vc.log();
    let mut card = Card::new(vc);
    let mut texts = Vec::new();
    let old = SignaturePassword::parse("ABC123").unwrap();
    let new = SignaturePassword::parse("QZ7381").unwrap();
    texts.push(format!("{old:?} {new:?}"));
    card.change(&old, &new).unwrap();
    let wrong = AuthPin::parse("9999").unwrap();
    let e = card.verify(&wrong).unwrap_err();
    texts.push(format!("{e} {e:?}"));
    card.change(
        &AuthPin::parse("1234").unwrap(),
        &AuthPin::parse("4821").unwrap(),
    )
    .unwrap();
    card.change(
        &ResidencePin::parse("1234").unwrap(),
        &ResidencePin::parse("7305").unwrap(),
    )
    .unwrap();
    let e = card
        .verify_with(&AuthPin::parse("9999").unwrap(), LastTry::Allow)
        .unwrap_err();
    texts.push(format!("{e} {e:?}"));
    for x in log.entries() {
        texts.push(format!("{x} {x:?}"));
    }
    let vc = card.into_transport();
    texts.push(format!("{vc:?}"));
    drop(vc);
    let file = std::fs::read_to_string(&path).unwrap();
    let secrets: Vec<String> = secrets.iter().map(|s| s.to_string()).collect();
    common::assert_clean("Debug, errors and the trace", &texts.join("\n"), &secrets);
    common::assert_clean("the state file", &file, &secrets);
    assert!(log.len() > 10);
}

#[test]
fn guard_off_skips_the_status_query() {
    let (card, log) = card();
    let mut card = card.with_lockout_guard(false);
    card.verify(&AuthPin::parse("1234").unwrap()).unwrap();
    // SELECT AP + VERIFY.
    assert_eq!(log.len(), 2);
    let (mut card, log) = self::card();
    card.verify(&AuthPin::parse("1234").unwrap()).unwrap();
    // SELECT AP + status + VERIFY.
    assert_eq!(log.len(), 3);
}

#[test]
fn change_exchange_counts() {
    let (mut card, log) = card();
    card.change(
        &AuthPin::parse("1234").unwrap(),
        &AuthPin::parse("4821").unwrap(),
    )
    .unwrap();
    // SELECT AP, status, SELECT EF, VERIFY, CHANGE REFERENCE DATA.
    assert_eq!(log.len(), 5, "{:?}", log.entries());
    let (mut card, log) = self::card();
    card.change(
        &ResidencePin::parse("1234").unwrap(),
        &ResidencePin::parse("4821").unwrap(),
    )
    .unwrap();
    // 共通 SELECT + status, 住基 SELECT + status, SELECT EF + VERIFY + CHANGE KEY,
    // 共通 SELECT + SELECT EF + VERIFY + CHANGE KEY.
    assert_eq!(log.len(), 11, "{:?}", log.entries());
    let changes = log
        .entries()
        .iter()
        .filter(|e| e.ins() == Some(ins::CHANGE_KEY))
        .count();
    assert_eq!(changes, 2);
}

#[test]
fn status_and_verify_work_on_a_card_that_refuses_sfi() {
    use mynacard::sim::SimOptions;
    let vc = VirtualCard::new().with_options(SimOptions {
        sfi: false,
        ..SimOptions::default()
    });
    let log = vc.log();
    let mut card = Card::new(vc);
    let all = card.status_all().unwrap();
    let tries: Vec<_> = all.iter().map(|s| s.tries_left()).collect();
    assert_eq!(tries, vec![Some(5), Some(3), Some(3), Some(3)]);
    // Four SELECT AP, one refused SFI attempt, then SELECT EF + query per key reference (5).
    assert_eq!(log.len(), 4 + 1 + 2 * 5, "{:?}", log.entries());
    let refused = log
        .entries()
        .iter()
        .filter(|e| e.sw() == Some(StatusWord(0x6A86)))
        .count();
    assert_eq!(refused, 1);
    card.verify(&AuthPin::parse("1234").unwrap()).unwrap();
    card.verify(&SignaturePassword::parse("ABC123").unwrap())
        .unwrap();
    assert_eq!(verifies_with_data(&log), 2);
}
