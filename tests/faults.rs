//! Fault injection: every PIN operation, every failure point, every kind of fault.
//!
//! For each, the library must either complete, or report what may have happened; and the virtual
//! card must be left in a state the real card could be in: every counter within its limit, every
//! key holding either its old or its new value, and the residence PIN's two references differing
//! only when the error says the outcome is unknown.

use mynacard::credential::AnyPin;
use mynacard::credential::{AuthPin, Pin, ResidencePin, SignaturePassword, TextAssistPin};
use mynacard::error::ResetError;
use mynacard::pin::PinKind;
use mynacard::reset::{OtherPin, StandInAuthority, TerminalRole};
use mynacard::sim::{App, Fault, Trigger, VirtualCard};
use mynacard::transport::TransportError;
use mynacard::{Advice, Card, Error, Held};

/// An operation's failure: the library's error, or a reset's.
#[derive(Debug)]
enum Failure {
    Lib(Error),
    Reset(ResetError),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        match e {
            Error::Reset(e) => Failure::Reset(e),
            e => Failure::Lib(e),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Lib(e) => write!(f, "{e}"),
            Failure::Reset(e) => write!(f, "{e}"),
        }
    }
}

type Op = fn(&mut Card<VirtualCard>) -> Result<(), Failure>;

fn counter_reset(card: &mut Card<VirtualCard>, kind: PinKind, new: &str) -> Result<(), Failure> {
    let mut a = StandInAuthority::new(TerminalRole::MunicipalCounter);
    let new = AnyPin::parse(kind, new).unwrap();
    card.reset_any(&mut a, &new, None, mynacard::LastTry::Refuse)?;
    Ok(())
}

fn change<P: Pin>(card: &mut Card<VirtualCard>, old: &str, new: &str) -> Result<(), Failure> {
    Ok(card.change(&P::new(old).unwrap(), &P::new(new).unwrap())?)
}

fn verify<P: Pin>(card: &mut Card<VirtualCard>, v: &str) -> Result<(), Failure> {
    Ok(card.verify(&P::new(v).unwrap())?)
}

fn ops() -> Vec<(&'static str, PinKind, Op)> {
    vec![
        ("status all", PinKind::Residence, |c| {
            Ok(c.status_all().map(|_| ())?)
        }),
        ("verify sign", PinKind::Signature, |c| {
            verify::<SignaturePassword>(c, "ABC123")
        }),
        ("verify auth", PinKind::UserAuth, |c| {
            verify::<AuthPin>(c, "1234")
        }),
        ("verify residence", PinKind::Residence, |c| {
            verify::<ResidencePin>(c, "1234")
        }),
        ("verify text", PinKind::TextAssist, |c| {
            verify::<TextAssistPin>(c, "1234")
        }),
        ("change sign", PinKind::Signature, |c| {
            change::<SignaturePassword>(c, "ABC123", "NEW2026")
        }),
        ("change auth", PinKind::UserAuth, |c| {
            change::<AuthPin>(c, "1234", "4821")
        }),
        ("change residence", PinKind::Residence, |c| {
            change::<ResidencePin>(c, "1234", "4821")
        }),
        ("change text", PinKind::TextAssist, |c| {
            change::<TextAssistPin>(c, "1234", "4821")
        }),
        ("reset sign at the counter", PinKind::Signature, |c| {
            counter_reset(c, PinKind::Signature, "NEW2026")
        }),
        ("reset auth at the counter", PinKind::UserAuth, |c| {
            counter_reset(c, PinKind::UserAuth, "4821")
        }),
        ("reset residence at the counter", PinKind::Residence, |c| {
            counter_reset(c, PinKind::Residence, "4821")
        }),
        ("reset text at the counter", PinKind::TextAssist, |c| {
            counter_reset(c, PinKind::TextAssist, "4821")
        }),
        ("reset sign at a kiosk", PinKind::Signature, |c| {
            let mut a = StandInAuthority::new(TerminalRole::SelfServiceKiosk);
            let other = AuthPin::parse("1234").unwrap();
            let new = SignaturePassword::parse("NEW2026").unwrap();
            c.reset(
                &mut a,
                &new,
                Some(OtherPin::Auth(&other)),
                mynacard::LastTry::Refuse,
            )?;
            Ok(())
        }),
    ]
}

fn faults() -> Vec<Fault> {
    vec![
        Fault::DropResponse,
        Fault::Truncate(1),
        Fault::CorruptStatus,
        Fault::RemoveCard,
        Fault::PowerLossBefore,
        Fault::PowerLossAfter,
    ]
}

fn app_of(aid: mynacard::applets::Aid) -> App {
    App::ALL.into_iter().find(|a| a.aid() == aid).unwrap()
}

fn old_new(kind: PinKind) -> (&'static [u8], &'static [u8]) {
    if kind == PinKind::Signature {
        (b"ABC123", b"NEW2026")
    } else {
        (b"1234", b"4821")
    }
}

#[test]
fn every_failure_point_of_every_operation() {
    let mut points = 0;
    for (name, kind, op) in ops() {
        // How many exchanges the operation takes without faults.
        let mut clean = Card::new(VirtualCard::new());
        op(&mut clean).unwrap();
        let n = clean.exchanges() as usize;
        assert!(n >= 2, "{name}");
        for i in 0..n {
            for fault in faults() {
                points += 1;
                let mut vc = VirtualCard::new();
                vc.inject(Trigger::nth(i), fault);
                let mut card = Card::new(vc);
                let r = op(&mut card);
                let ctx = format!("{name}, exchange {i}, {fault:?}: {r:?}");
                // Every error says something precise; none is a panic or a silent success.
                if let Err(e) = &r {
                    let msg = e.to_string();
                    assert!(!msg.is_empty(), "{ctx}");
                    let e = match e {
                        Failure::Lib(e) => e,
                        Failure::Reset(ResetError::Partial { advice, .. }) => {
                            assert!(
                                advice.to_string().contains("again")
                                    || advice.to_string().contains("status"),
                                "{ctx}"
                            );
                            &Error::Protocol("partial")
                        }
                        Failure::Reset(
                            ResetError::TerminalRefused { .. }
                            | ResetError::Refused { .. }
                            | ResetError::NotConfirmed { .. },
                        ) => &Error::Protocol("refused"),
                        other => panic!("unexpected reset error: {other:?} ({ctx})"),
                    };
                    match e {
                        Error::Protocol(_) => {}
                        Error::UnknownOutcome { advice, .. } => {
                            assert!(advice.to_string().contains("status"), "{ctx}")
                        }
                        Error::Transport(
                            TransportError::NoResponse
                            | TransportError::Malformed(_)
                            | TransportError::CardRemoved,
                        )
                        | Error::CardReset
                        | Error::Card { .. }
                        | Error::ChangeRolledBack { .. } => {}
                        other => panic!("unexpected error kind: {other:?} ({ctx})"),
                    }
                }
                let mut vc = card.into_transport();
                // The state is one a real card could be in.
                let (old, new) = old_new(kind);
                let mut values = Vec::new();
                for key in kind.key_refs() {
                    let app = app_of(key.aid);
                    let tries = vc.tries_left(app, key.fid.0).unwrap();
                    assert!(tries <= kind.retry_limit(), "{ctx}");
                    let is_old = vc.key_matches(app, key.fid.0, old);
                    let is_new = vc.key_matches(app, key.fid.0, new);
                    assert!(is_old || is_new, "{ctx}");
                    values.push(is_new);
                    if name.starts_with("verify") || name.starts_with("status") {
                        assert!(is_old, "{ctx}");
                    }
                    if r.is_ok() && (name.starts_with("change") || name.starts_with("reset")) {
                        assert!(is_new, "{ctx}");
                    }
                    if matches!(r, Err(Failure::Lib(Error::ChangeRolledBack { .. }))) {
                        assert!(is_old, "{ctx}");
                    }
                    // A refusal the library reports as definite left the key unchanged.
                    if matches!(
                        r,
                        Err(Failure::Reset(
                            ResetError::Refused { .. } | ResetError::TerminalRefused { .. }
                        ))
                    ) && kind != PinKind::Residence
                    {
                        assert!(is_old, "reported refused, but the reset happened: {ctx}");
                    }
                }
                if values.windows(2).any(|w| w[0] != w[1]) {
                    assert!(
                        matches!(
                            r,
                            Err(Failure::Lib(Error::UnknownOutcome { .. })
                                | Failure::Reset(ResetError::Partial { .. }))
                        ),
                        "references diverged without saying so: {ctx}"
                    );
                }
                // No try was spent: every value sent was right, so every counter is full.
                for key in kind.key_refs() {
                    let tries = vc.tries_left(app_of(key.aid), key.fid.0).unwrap();
                    assert_eq!(tries, kind.retry_limit(), "{ctx}");
                }
                // The card recovers: put it back and ask for the status.
                vc.clear_faults();
                if !vc.is_present() {
                    vc.insert();
                }
                let mut card = Card::new(vc);
                card.status_all().unwrap();
            }
        }
    }
    eprintln!("failure points tested: {points}");
    eprintln!("failure points tested: {points}");
    assert!(points >= 6 * (9 + 4 * 3 + 3 * 5 + 11), "{points}");
}

#[test]
fn every_failure_point_of_the_residence_rollback() {
    let mut points = 0;
    // The rollback after 共通カードAP refuses the change: SELECT 住基, SELECT EF, VERIFY, CHANGE KEY.
    for j in 0..4 {
        for fault in faults() {
            points += 1;
            let mut vc = VirtualCard::new();
            vc.inject(
                Trigger::ins(mynacard::apdu::ins::CHANGE_KEY).in_app(App::Common),
                Fault::Refuse(mynacard::apdu::StatusWord(0x6581)),
            );
            // Exchange 11 of the change is the refused one; the rollback starts after it.
            vc.inject(Trigger::nth(11 + j), fault);
            let mut card = Card::new(vc);
            let r = card.change(
                &ResidencePin::parse("1234").unwrap(),
                &ResidencePin::parse("4821").unwrap(),
            );
            let ctx = format!("rollback exchange {j}, {fault:?}: {r:?}");
            let vc = card.into_transport();
            let juki_new = vc.key_matches(App::Juki, 0x1C, b"4821");
            let common_old = vc.key_matches(App::Common, 0x1C, b"1234");
            assert!(common_old, "{ctx}");
            match &r {
                Err(Error::ChangeRolledBack { .. }) => assert!(!juki_new, "{ctx}"),
                Err(Error::UnknownOutcome { advice, .. }) => {
                    assert!(advice.to_string().contains("住基AP"), "{ctx}");
                    assert!(
                        matches!(
                            advice,
                            Advice::FinishTornChange { .. } | Advice::RollbackFailed { .. }
                        ),
                        "{ctx}"
                    );
                }
                other => panic!("{ctx}: {other:?}"),
            }
            if juki_new {
                assert!(matches!(r, Err(Error::UnknownOutcome { .. })), "{ctx}");
            }
            // The fault really hit the rollback: a pulled card leaves it unfinished.
            if fault == Fault::RemoveCard {
                assert!(matches!(r, Err(Error::UnknownOutcome { .. })), "{ctx}");
            }
        }
    }
    assert_eq!(points, 24);
}

#[test]
fn a_lost_verify_answer_is_reported_as_unknown_with_advice() {
    let mut vc = VirtualCard::new();
    // SELECT, status, then the VERIFY with the value: its answer is lost.
    vc.inject(Trigger::nth(2), Fault::DropResponse);
    let mut card = Card::new(vc);
    let e = card.verify(&AuthPin::parse("1234").unwrap()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::UnknownOutcome {
                operation: "VERIFY",
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("spends no try"));
}

#[test]
fn a_lost_change_answer_says_the_new_pin_may_or_may_not_be_in_effect() {
    let mut vc = VirtualCard::new();
    vc.inject(
        Trigger::ins(mynacard::apdu::ins::CHANGE_REFERENCE_DATA),
        Fault::PowerLossAfter,
    );
    let mut card = Card::new(vc);
    let e = card
        .change(
            &AuthPin::parse("1234").unwrap(),
            &AuthPin::parse("4821").unwrap(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("may or may not be in effect"), "{e}");
    // It was in fact changed before the power went.
    assert!(card.into_transport().key_matches(App::Jpki, 0x18, b"4821"));
}

/// Opens an application with one of its keys (照合番号A/B, the birth-date key): the application,
/// the key EF, and the opening.
type KeyOp = (
    &'static str,
    App,
    u16,
    fn(&mut Card<VirtualCard>) -> Result<(), Error>,
);

fn key_ops() -> Vec<KeyOp> {
    use mynacard::credential::{BirthDateKey, MatchingNumberB, MyNumber};
    use mynacard::surface::{SurfaceKey, SurfaceOptions};
    use mynacard::text_assist::{TextAssistKey, TextAssistOptions};
    fn a() -> MyNumber {
        MyNumber::parse("123456789018").unwrap()
    }
    fn b() -> MatchingNumberB {
        MatchingNumberB::from_parts((1985, 4, 1), 2035, "1234").unwrap()
    }
    vec![
        ("text-assist 照合番号A", App::TextAssist, 0x0014, |c| {
            c.text_assist(TextAssistKey::MatchingA(&a()), TextAssistOptions::default())
                .map(|_| ())
        }),
        ("text-assist 照合番号B", App::TextAssist, 0x0015, |c| {
            c.text_assist(TextAssistKey::MatchingB(&b()), TextAssistOptions::default())
                .map(|_| ())
        }),
        ("surface 照合番号A", App::Surface, 0x0013, |c| {
            c.surface(SurfaceKey::MatchingA(&a()), SurfaceOptions::default())
                .map(|_| ())
        }),
        ("surface 照合番号B", App::Surface, 0x0012, |c| {
            c.surface(SurfaceKey::MatchingB(&b()), SurfaceOptions::default())
                .map(|_| ())
        }),
        ("surface birth-date key", App::Surface, 0x0011, |c| {
            let d = BirthDateKey::from_birth_date((1985, 4, 1)).unwrap();
            c.surface(SurfaceKey::BirthDate(&d), SurfaceOptions::default())
                .map(|_| ())
        }),
    ]
}

#[test]
fn every_failure_point_of_the_key_verifies_is_reported_as_for_the_pins() {
    let mut points = 0;
    for (name, app, fid, op) in key_ops() {
        for guard in [true, false] {
            let fresh = VirtualCard::new();
            let limit = fresh.tries_left(app, fid).unwrap();
            let mut clean = Card::new(fresh).with_lockout_guard(guard);
            op(&mut clean).unwrap();
            let n = clean.exchanges() as usize;
            // SELECT, (the guard's status query,) the VERIFY with the value.
            assert_eq!(n, if guard { 3 } else { 2 }, "{name}");
            for i in 0..n {
                for fault in faults() {
                    points += 1;
                    let mut vc = VirtualCard::new();
                    vc.inject(Trigger::nth(i), fault);
                    let mut card = Card::new(vc).with_lockout_guard(guard);
                    let r = op(&mut card);
                    let ctx = format!("{name}, guard {guard}, exchange {i}, {fault:?}: {r:?}");
                    if i == n - 1 {
                        // The VERIFY itself: whatever the fault, the try may or may not have
                        // been counted, exactly as for a PIN.
                        match &r {
                            Err(
                                e @ Error::UnknownOutcome {
                                    operation, advice, ..
                                },
                            ) => {
                                assert_eq!(*operation, "VERIFY", "{ctx}");
                                assert!(advice.to_string().contains("status"), "{ctx}");
                                assert!(
                                    matches!(advice, Advice::CheckStatusBeforeRetry { .. }),
                                    "{ctx}"
                                );
                                assert!(e.to_string().contains("spends no try"), "{ctx}");
                            }
                            other => panic!("not reported as unknown: {other:?} ({ctx})"),
                        }
                    } else if let Err(e) = &r {
                        assert!(
                            matches!(
                                e,
                                Error::Transport(
                                    TransportError::NoResponse
                                        | TransportError::Malformed(_)
                                        | TransportError::CardRemoved
                                ) | Error::CardReset
                                    | Error::Card { .. }
                            ),
                            "{ctx}"
                        );
                    }
                    let mut vc = card.into_transport();
                    // Every value sent was right: no try was spent.
                    assert_eq!(vc.tries_left(app, fid), Some(limit), "{ctx}");
                    vc.clear_faults();
                    if !vc.is_present() {
                        vc.insert();
                    }
                    let mut card = Card::new(vc).with_lockout_guard(guard);
                    op(&mut card).unwrap_or_else(|e| panic!("no recovery: {e:?} ({ctx})"));
                }
            }
        }
    }
    assert_eq!(points, 5 * (3 + 2) * 6);
}

#[test]
fn with_the_guard_off_a_key_seen_blocked_is_never_sent_again() {
    use mynacard::credential::{BirthDateKey, CredentialKind, MatchingNumberB};
    use mynacard::surface::{SurfaceKey, SurfaceOptions};
    use mynacard::text_assist::{TextAssistKey, TextAssistOptions};
    let mut vc = VirtualCard::new();
    vc.set_tries_left(App::TextAssist, 0x0015, 1).unwrap();
    vc.set_tries_left(App::Surface, 0x0011, 1).unwrap();
    let mut card = Card::new(vc).with_lockout_guard(false);
    let wrong_b = MatchingNumberB::from_parts((1985, 4, 2), 2035, "1234").unwrap();
    let wrong_d = BirthDateKey::from_birth_date((1985, 4, 2)).unwrap();
    let text = |c: &mut Card<VirtualCard>| {
        c.text_assist(
            TextAssistKey::MatchingB(&wrong_b),
            TextAssistOptions::default(),
        )
        .map(|_| ())
    };
    let surface = |c: &mut Card<VirtualCard>| {
        c.surface(SurfaceKey::BirthDate(&wrong_d), SurfaceOptions::default())
            .map(|_| ())
    };
    // The last try is spent (the guard is off) and the key is seen blocked.
    assert!(matches!(
        text(&mut card),
        Err(Error::WrongMatchingNumber {
            kind: CredentialKind::MatchingNumberB,
            tries_left: 0
        })
    ));
    assert!(matches!(
        surface(&mut card),
        Err(Error::WrongMatchingNumber {
            kind: CredentialKind::BirthDateKey,
            tries_left: 0
        })
    ));
    // Any VERIFY sent now would pull the card: the refusal must come before it.
    card.session_mut()
        .transport_mut()
        .inject(Trigger::ins(mynacard::apdu::ins::VERIFY), Fault::RemoveCard);
    assert!(matches!(
        text(&mut card),
        Err(Error::MatchingNumberBlocked {
            kind: CredentialKind::MatchingNumberB
        })
    ),);
    assert!(matches!(
        surface(&mut card),
        Err(Error::MatchingNumberBlocked {
            kind: CredentialKind::BirthDateKey
        })
    ),);
    assert!(card.session().transport().is_present());
}

/// Whether a key reference's value is what a [`TornChange`] says it is.
fn holds(vc: &VirtualCard, key: mynacard::pin::KeyRef, held: Held, old: &[u8], new: &[u8]) -> bool {
    let app = app_of(key.aid);
    match held {
        Held::Old => vc.key_matches(app, key.fid.0, old),
        Held::New => vc.key_matches(app, key.fid.0, new),
        Held::OldOrNew => {
            vc.key_matches(app, key.fid.0, old) || vc.key_matches(app, key.fid.0, new)
        }
    }
}

/// Issue 12, item 5: a residence-PIN change that stops anywhere (its own exchanges and the
/// rollback's) says exactly what each key reference holds, and following the advice leaves the
/// card consistent, with full counters, without sending a value known to be wrong.
#[test]
fn a_torn_residence_change_says_what_each_reference_holds_and_following_the_advice_converges() {
    let (old, new) = (b"1234".as_slice(), b"4821".as_slice());
    let change = |card: &mut Card<VirtualCard>| {
        card.change(
            &ResidencePin::parse("1234").unwrap(),
            &ResidencePin::parse("4821").unwrap(),
        )
    };
    let clean_n = {
        let mut c = Card::new(VirtualCard::new());
        change(&mut c).unwrap();
        c.exchanges() as usize
    };
    let mut torn_seen = 0;
    // The change's own exchanges, then the rollback's after 共通カードAP refuses the CHANGE.
    let mut cases: Vec<(bool, usize)> = (0..clean_n).map(|i| (false, i)).collect();
    cases.extend((11..15).map(|i| (true, i)));
    for (refuse_common, i) in cases {
        for fault in faults() {
            let mut vc = VirtualCard::new();
            if refuse_common {
                vc.inject(
                    Trigger::ins(mynacard::apdu::ins::CHANGE_KEY).in_app(App::Common),
                    Fault::Refuse(mynacard::apdu::StatusWord(0x6581)),
                );
            }
            vc.inject(Trigger::nth(i), fault);
            let mut card = Card::new(vc);
            let r = change(&mut card);
            let ctx = format!("common refused {refuse_common}, exchange {i}, {fault:?}: {r:?}");
            let state = match &r {
                Err(Error::UnknownOutcome {
                    advice:
                        Advice::FinishTornChange { state } | Advice::RollbackFailed { state, .. },
                    ..
                }) => Some(*state),
                _ => None,
            };
            let mut vc = card.into_transport();
            let refs = PinKind::Residence.key_refs();
            if let Some(state) = state {
                torn_seen += 1;
                // The error says exactly what each reference holds.
                assert_eq!(state.first.0, refs[0], "{ctx}");
                assert_eq!(state.second.0, refs[1], "{ctx}");
                assert!(holds(&vc, state.first.0, state.first.1, old, new), "{ctx}");
                assert!(
                    holds(&vc, state.second.0, state.second.1, old, new),
                    "{ctx}"
                );
                // Follow the advice: put the card back, check the status, finish the change.
                vc.clear_faults();
                if !vc.is_present() {
                    vc.insert();
                }
                let mut card = Card::new(vc);
                card.status_all().unwrap();
                card.finish_change(
                    &state,
                    &ResidencePin::parse("1234").unwrap(),
                    &ResidencePin::parse("4821").unwrap(),
                )
                .unwrap_or_else(|e| panic!("following the advice failed: {e:?} ({ctx})"));
                vc = card.into_transport();
                for key in refs {
                    assert!(vc.key_matches(app_of(key.aid), key.fid.0, new), "{ctx}");
                }
            } else {
                // Not torn: both references agree.
                let a = vc.key_matches(app_of(refs[0].aid), refs[0].fid.0, new);
                let b = vc.key_matches(app_of(refs[1].aid), refs[1].fid.0, new);
                assert_eq!(a, b, "references differ without a TornChange: {ctx}");
            }
            // Every counter ends full: no try was lost for good.
            for key in refs {
                assert_eq!(
                    vc.tries_left(app_of(key.aid), key.fid.0),
                    Some(PinKind::Residence.retry_limit()),
                    "{ctx}"
                );
            }
        }
    }
    assert!(torn_seen >= 6, "{torn_seen}");
}

#[test]
fn finishing_never_sends_the_new_value_where_the_old_one_is_known() {
    let refs = PinKind::Residence.key_refs();
    let mut vc = VirtualCard::new();
    // 住基AP was changed; 共通カードAP is known to hold the old value. Any VERIFY of 共通カードAP
    // with a wrong value would spend a try: there must be none.
    vc.inject(
        Trigger::ins(mynacard::apdu::ins::CHANGE_KEY).in_app(App::Common),
        Fault::Refuse(mynacard::apdu::StatusWord(0x6581)),
    );
    // The rollback's VERIFY on 住基AP (exchange 13) loses the card.
    vc.inject(Trigger::nth(13), Fault::RemoveCard);
    let mut card = Card::new(vc);
    let e = card
        .change(
            &ResidencePin::parse("1234").unwrap(),
            &ResidencePin::parse("4821").unwrap(),
        )
        .unwrap_err();
    let Error::UnknownOutcome {
        advice: Advice::RollbackFailed { state, .. },
        ..
    } = e
    else {
        panic!("{e:?}")
    };
    assert_eq!(state.first, (refs[0], Held::New));
    assert_eq!(state.second, (refs[1], Held::Old));
    let mut vc = card.into_transport();
    vc.clear_faults();
    vc.insert();
    let mut card = Card::new(vc);
    card.finish_change(
        &state,
        &ResidencePin::parse("1234").unwrap(),
        &ResidencePin::parse("4821").unwrap(),
    )
    .unwrap();
    // 住基AP untouched (already new), 共通カードAP changed from the old value: no wrong VERIFY, so
    // the counters never dropped.
    let vc = card.into_transport();
    for key in refs {
        assert!(vc.key_matches(app_of(key.aid), key.fid.0, b"4821"));
        assert_eq!(vc.tries_left(app_of(key.aid), key.fid.0), Some(3));
    }
}
