//! `Card::reset` through `ResetAuthority`, on the virtual card with the stand-in terminal
//! authentication: routes, refusals before any I/O, the lockout guard on the other PIN, the
//! residence PIN's two references, unknown outcomes, masking, exchange counts.

use mynacard::apdu::{ins, Command, StatusWord};
use mynacard::applets::{jpki, residence, text};
use mynacard::credential::{AuthPin, ResidencePin, SignaturePassword, TextAssistPin};
use mynacard::error::ResetError;
use mynacard::pin::{PinKind, PinStatus, RetryState};
use mynacard::reset::{
    stand_in::COUNTER_TEST_KEY, AnyPin, OtherPin, ResetAuthority, StandInAuthority,
    TerminalChannel, TerminalRole,
};
use mynacard::sim::{App, Fault, SimOptions, Trigger, VirtualCard};
use mynacard::transport::ExchangeLog;
use mynacard::{Card, Error, LastTry};

fn kiosk() -> StandInAuthority {
    StandInAuthority::new(TerminalRole::SelfServiceKiosk)
}
fn counter() -> StandInAuthority {
    StandInAuthority::new(TerminalRole::MunicipalCounter)
}
fn auth(s: &str) -> AuthPin {
    AuthPin::parse(s).unwrap()
}
fn sign(s: &str) -> SignaturePassword {
    SignaturePassword::parse(s).unwrap()
}
const SIGN: u16 = jpki::SIGN_PIN.0;
const AUTH: u16 = jpki::AUTH_PIN.0;
const RES: u16 = residence::PIN.0;
const TEXT: u16 = text::PIN.0;

fn count(log: &ExchangeLog, instruction: u8, with_data: bool) -> usize {
    log.entries()
        .iter()
        .filter(|e| e.ins() == Some(instruction) && (e.command.len() > 4) == with_data)
        .count()
}

/// At a kiosk: resets the signature password to `NEWPASS1` after verifying the
/// user-authentication PIN `other`.
fn kiosk_reset_sign(
    card: &mut Card<&mut VirtualCard>,
    other: &str,
    last: LastTry,
) -> Result<PinStatus, Error> {
    card.reset(
        &mut kiosk(),
        &sign("NEWPASS1"),
        Some(OtherPin::Auth(&auth(other))),
        last,
    )
}

#[test]
fn kiosk_resets_the_signature_password_through_the_auth_pin_in_seven_exchanges() {
    let mut vc = VirtualCard::new();
    vc.set_tries_left(App::Jpki, SIGN, 0).unwrap();
    let log = vc.log();
    let mut card = Card::new(&mut vc);
    let st = kiosk_reset_sign(&mut card, "1234", LastTry::Refuse).unwrap();
    assert_eq!(st.kind, PinKind::Signature);
    assert_eq!(st.refs.len(), 1);
    assert_eq!(st.refs[0].state, RetryState::TriesLeft(5));
    // SELECT, GET CHALLENGE, EXTERNAL AUTHENTICATE, status of the auth PIN, VERIFY it, RESET
    // RETRY COUNTER, status of the signature password.
    assert_eq!(card.exchanges(), 7, "{:?}", log.entries());
    drop(card);
    assert!(vc.key_matches(App::Jpki, SIGN, b"NEWPASS1"));
    assert!(!vc.key_matches(App::Jpki, SIGN, b"ABC123"));
    assert_eq!(vc.tries_left(App::Jpki, SIGN), Some(5));
    let inss: Vec<u8> = log.entries().iter().filter_map(|e| e.ins()).collect();
    assert_eq!(
        inss,
        [
            ins::SELECT,
            ins::GET_CHALLENGE,
            ins::EXTERNAL_AUTHENTICATE,
            ins::VERIFY,
            ins::VERIFY,
            ins::RESET_RETRY_COUNTER,
            ins::VERIFY
        ]
    );
}

#[test]
fn kiosk_resets_the_auth_pin_through_the_signature_password_even_when_blocked() {
    let mut vc = VirtualCard::new();
    vc.set_tries_left(App::Jpki, AUTH, 0).unwrap();
    let mut card = Card::new(&mut vc);
    let st = card
        .reset(
            &mut kiosk(),
            &auth("9876"),
            Some(OtherPin::Signature(&sign("ABC123"))),
            LastTry::Refuse,
        )
        .unwrap();
    assert_eq!(st.tries_left(), Some(3));
    // The new PIN works and the old one does not.
    card.verify(&auth("9876")).unwrap();
    drop(card);
    assert!(!vc.key_matches(App::Jpki, AUTH, b"1234"));
}

#[test]
fn counter_resets_the_residence_pin_on_both_references() {
    let mut vc = VirtualCard::new();
    vc.set_tries_left(App::Juki, RES, 0).unwrap();
    vc.set_tries_left(App::Common, RES, 1).unwrap();
    let log = vc.log();
    let mut card = Card::new(&mut vc);
    let st = card
        .reset(
            &mut counter(),
            &ResidencePin::parse("4321").unwrap(),
            None,
            LastTry::Refuse,
        )
        .unwrap();
    assert_eq!(st.refs.len(), 2);
    assert!(st.refs.iter().all(|r| r.state == RetryState::TriesLeft(3)));
    assert!(!st.is_divergent());
    // Per reference: SELECT, GET CHALLENGE, EXTERNAL AUTHENTICATE, RESET, status.
    assert_eq!(card.exchanges(), 10);
    assert_eq!(count(&log, ins::RESET_RETRY_COUNTER, true), 2);
    // No PIN was verified on the counter route.
    assert_eq!(count(&log, ins::VERIFY, true), 0);
    drop(card);
    for app in [App::Juki, App::Common] {
        assert!(vc.key_matches(app, RES, b"4321"));
        assert_eq!(vc.tries_left(app, RES), Some(3));
    }
}

#[test]
fn counter_resets_the_text_assist_pin() {
    let mut vc = VirtualCard::new();
    vc.set_tries_left(App::TextAssist, TEXT, 0).unwrap();
    let mut card = Card::new(&mut vc);
    let st = card
        .reset(
            &mut counter(),
            &TextAssistPin::parse("2468").unwrap(),
            None,
            LastTry::Refuse,
        )
        .unwrap();
    assert_eq!(st.tries_left(), Some(3));
    card.verify(&TextAssistPin::parse("2468").unwrap()).unwrap();
}

#[test]
fn counter_also_resets_jpki_pins_without_the_other_and_never_sends_a_given_other() {
    let mut vc = VirtualCard::new();
    let log = vc.log();
    let mut card = Card::new(&mut vc);
    card.reset(
        &mut counter(),
        &sign("COUNTER9"),
        Some(OtherPin::Auth(&auth("1234"))),
        LastTry::Refuse,
    )
    .unwrap();
    drop(card);
    assert_eq!(count(&log, ins::VERIFY, true), 0);
    assert!(vc.key_matches(App::Jpki, SIGN, b"COUNTER9"));
}

#[test]
fn kiosk_refuses_residence_and_text_before_any_exchange() {
    let mut vc = VirtualCard::new();
    let mut card = Card::new(&mut vc);
    let e = card
        .reset(
            &mut kiosk(),
            &ResidencePin::parse("4321").unwrap(),
            Some(OtherPin::Auth(&auth("1234"))),
            LastTry::Refuse,
        )
        .unwrap_err();
    assert!(matches!(
        e,
        Error::Reset(ResetError::NotPermitted {
            kind: PinKind::Residence,
            ..
        })
    ));
    assert!(e.nothing_sent());
    assert!(e.to_string().contains("not the real issuer protocol"));
    let e = card
        .reset(
            &mut kiosk(),
            &TextAssistPin::parse("4321").unwrap(),
            None,
            LastTry::Refuse,
        )
        .unwrap_err();
    assert!(matches!(e, Error::Reset(ResetError::NotPermitted { .. })));
    assert_eq!(card.exchanges(), 0);
}

#[test]
fn kiosk_needs_the_other_jpki_pin_and_checks_its_kind_before_any_exchange() {
    let mut vc = VirtualCard::new();
    let mut card = Card::new(&mut vc);
    let e = card
        .reset(&mut kiosk(), &sign("NEWPASS1"), None, LastTry::Refuse)
        .unwrap_err();
    assert!(matches!(
        e,
        Error::Reset(ResetError::OtherPinNeeded {
            kind: PinKind::Signature,
            needs: PinKind::UserAuth,
            ..
        })
    ));
    // The signature password is not the "other" PIN for itself.
    let e = card
        .reset(
            &mut kiosk(),
            &sign("NEWPASS1"),
            Some(OtherPin::Signature(&sign("ABC123"))),
            LastTry::Refuse,
        )
        .unwrap_err();
    assert!(matches!(e, Error::Reset(ResetError::OtherPinNeeded { .. })));
    // A residence PIN cannot serve as the other PIN through the run-time API either.
    let e = card
        .reset_any(
            &mut kiosk(),
            &AnyPin::parse(PinKind::UserAuth, "5555").unwrap(),
            Some(&AnyPin::parse(PinKind::Residence, "1234").unwrap()),
            LastTry::Refuse,
        )
        .unwrap_err();
    assert!(matches!(e, Error::Reset(ResetError::OtherPinNeeded { .. })));
    assert_eq!(card.exchanges(), 0);
}

#[test]
fn an_invalid_new_pin_cannot_be_built() {
    assert!(AnyPin::parse(PinKind::Residence, "12a4").is_err());
    assert!(AnyPin::parse(PinKind::Signature, "abc123").is_err());
    assert!(AnyPin::parse(PinKind::UserAuth, "12345").is_err());
    assert_eq!(
        AnyPin::parse(PinKind::TextAssist, "0000").unwrap().kind(),
        PinKind::TextAssist
    );
}

#[test]
fn a_wrong_other_pin_costs_its_own_try_and_nothing_is_reset() {
    let mut vc = VirtualCard::new();
    vc.set_tries_left(App::Jpki, SIGN, 0).unwrap();
    let log = vc.log();
    let mut card = Card::new(&mut vc);
    let e = kiosk_reset_sign(&mut card, "9999", LastTry::Refuse).unwrap_err();
    assert_eq!(
        e,
        Error::WrongPin {
            kind: PinKind::UserAuth,
            tries_left: 2
        }
    );
    assert_eq!(
        (e.pin_kind(), e.tries_left()),
        (Some(PinKind::UserAuth), Some(2))
    );
    drop(card);
    assert_eq!(vc.tries_left(App::Jpki, AUTH), Some(2));
    assert_eq!(vc.tries_left(App::Jpki, SIGN), Some(0));
    assert_eq!(count(&log, ins::RESET_RETRY_COUNTER, true), 0);
}

#[test]
fn the_guard_protects_the_other_pins_last_try() {
    let mut vc = VirtualCard::new();
    vc.set_tries_left(App::Jpki, AUTH, 1).unwrap();
    let log = vc.log();
    let mut card = Card::new(&mut vc);
    let e = kiosk_reset_sign(&mut card, "9999", LastTry::Refuse).unwrap_err();
    assert_eq!(
        e,
        Error::LastTry {
            kind: PinKind::UserAuth
        }
    );
    assert_eq!(count(&log, ins::VERIFY, true), 0, "no PIN was sent");
    // Explicitly allowed, with the right value: the reset goes through and the counter fills.
    kiosk_reset_sign(&mut card, "1234", LastTry::Allow).unwrap();
    drop(card);
    assert_eq!(vc.tries_left(App::Jpki, AUTH), Some(3));
    assert!(vc.key_matches(App::Jpki, SIGN, b"NEWPASS1"));
}

#[test]
fn a_blocked_other_pin_is_never_sent() {
    let mut vc = VirtualCard::new();
    vc.set_tries_left(App::Jpki, AUTH, 0).unwrap();
    let log = vc.log();
    let mut card = Card::new(&mut vc);
    let e = kiosk_reset_sign(&mut card, "1234", LastTry::Allow).unwrap_err();
    assert_eq!(
        e,
        Error::Blocked {
            kind: PinKind::UserAuth
        }
    );
    assert_eq!(count(&log, ins::VERIFY, true), 0);
    assert_eq!(count(&log, ins::RESET_RETRY_COUNTER, true), 0);
}

#[test]
fn a_terminal_with_the_wrong_key_is_refused_and_nothing_is_reset() {
    let mut vc = VirtualCard::new();
    let log = vc.log();
    let mut card = Card::new(&mut vc);
    let mut bad = StandInAuthority::with_key(TerminalRole::MunicipalCounter, b"guessed key");
    let e = card
        .reset(&mut bad, &sign("NEWPASS1"), None, LastTry::Refuse)
        .unwrap_err();
    assert_eq!(
        e,
        Error::Reset(ResetError::TerminalRefused {
            application: "公的個人認証AP (JPKI)",
            operation: "EXTERNAL AUTHENTICATE",
            sw: StatusWord(0x6300),
        })
    );
    assert_eq!(count(&log, ins::RESET_RETRY_COUNTER, true), 0);
    // A kiosk key presented as the counter's key reference is wrong too.
    let mut swapped = StandInAuthority::with_key(
        TerminalRole::MunicipalCounter,
        TerminalRole::SelfServiceKiosk.test_key(),
    );
    assert!(matches!(
        card.reset(&mut swapped, &sign("NEWPASS1"), None, LastTry::Refuse),
        Err(Error::Reset(ResetError::TerminalRefused { .. }))
    ));
    // The right key still works.
    let mut good = StandInAuthority::with_key(TerminalRole::MunicipalCounter, COUNTER_TEST_KEY);
    card.reset(&mut good, &sign("NEWPASS1"), None, LastTry::Refuse)
        .unwrap();
}

#[test]
fn residence_reset_failing_on_the_second_reference_is_reported_precisely() {
    let mut vc = VirtualCard::new();
    vc.set_tries_left(App::Juki, RES, 0).unwrap();
    vc.set_tries_left(App::Common, RES, 0).unwrap();
    vc.inject(
        Trigger::ins(ins::RESET_RETRY_COUNTER).in_app(App::Common),
        Fault::Refuse(StatusWord(0x6581)),
    );
    let mut card = Card::new(&mut vc);
    let new = ResidencePin::parse("4321").unwrap();
    let e = card
        .reset(&mut counter(), &new, None, LastTry::Refuse)
        .unwrap_err();
    let Error::Reset(ResetError::Partial {
        kind,
        reset,
        not_reset,
        cause,
        status,
        advice,
    }) = &e
    else {
        panic!("expected a partial reset, got {e:?}");
    };
    assert_eq!(*kind, PinKind::Residence);
    assert!(reset.starts_with("住基AP"));
    assert!(not_reset.starts_with("共通カードAP"));
    assert!(matches!(
        **cause,
        Error::Reset(ResetError::Refused {
            sw: StatusWord(0x6581),
            ..
        })
    ));
    let status = status.as_ref().expect("the card still answers");
    assert_eq!(status.refs[0].state, RetryState::TriesLeft(3));
    assert_eq!(status.refs[1].state, RetryState::Blocked);
    assert!(status.is_divergent());
    assert!(
        advice.to_string().contains("run the reset again")
            || advice.to_string().contains("Run the reset again")
    );
    assert!(e.to_string().contains("still has the old value"));
    drop(card);
    assert!(vc.key_matches(App::Juki, RES, b"4321"));
    assert!(vc.key_matches(App::Common, RES, b"1234"));
    // Running it again brings both in line.
    let mut card = Card::new(&mut vc);
    card.reset(&mut counter(), &new, None, LastTry::Refuse)
        .unwrap();
    drop(card);
    assert!(vc.key_matches(App::Common, RES, b"4321"));
    assert_eq!(vc.tries_left(App::Common, RES), Some(3));
}

#[test]
fn residence_reset_losing_the_second_answer_is_reported_as_unknown_there() {
    let mut vc = VirtualCard::new();
    vc.inject(
        Trigger::ins(ins::RESET_RETRY_COUNTER).in_app(App::Common),
        Fault::DropResponse,
    );
    let mut card = Card::new(&mut vc);
    let e = card
        .reset(
            &mut counter(),
            &ResidencePin::parse("4321").unwrap(),
            None,
            LastTry::Refuse,
        )
        .unwrap_err();
    let Error::Reset(ResetError::Partial {
        cause,
        status,
        advice,
        ..
    }) = &e
    else {
        panic!("expected a partial reset, got {e:?}");
    };
    assert!(matches!(**cause, Error::UnknownOutcome { .. }));
    assert!(status.is_none());
    assert!(advice.to_string().contains("may or may not"));
    drop(card);
    // The virtual card did execute it before the answer was lost.
    assert!(vc.key_matches(App::Common, RES, b"4321"));
}

#[test]
fn a_lost_answer_to_the_first_reset_is_an_unknown_outcome() {
    let mut vc = VirtualCard::new();
    vc.inject(Trigger::ins(ins::RESET_RETRY_COUNTER), Fault::DropResponse);
    let mut card = Card::new(&mut vc);
    let e = card
        .reset(&mut counter(), &sign("NEWPASS1"), None, LastTry::Refuse)
        .unwrap_err();
    match e {
        Error::UnknownOutcome {
            operation, advice, ..
        } => {
            assert_eq!(operation, "RESET RETRY COUNTER");
            assert!(advice.to_string().contains("Check the status"));
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn power_lost_after_the_reset_is_an_unknown_outcome_too() {
    let mut vc = VirtualCard::new();
    vc.inject(
        Trigger::ins(ins::RESET_RETRY_COUNTER),
        Fault::PowerLossAfter,
    );
    let mut card = Card::new(&mut vc);
    let e = card
        .reset(&mut counter(), &sign("NEWPASS1"), None, LastTry::Refuse)
        .unwrap_err();
    assert!(matches!(e, Error::UnknownOutcome { .. }));
}

#[test]
fn without_sfi_the_reset_selects_the_key_ef() {
    let mut vc = VirtualCard::new().with_options(SimOptions {
        sfi: false,
        ..SimOptions::default()
    });
    let log = vc.log();
    let mut card = Card::new(&mut vc);
    card.reset(
        &mut kiosk(),
        &auth("5678"),
        Some(OtherPin::Signature(&sign("ABC123"))),
        LastTry::Refuse,
    )
    .unwrap();
    drop(card);
    let resets: Vec<_> = log
        .entries()
        .into_iter()
        .filter(|e| e.ins() == Some(ins::RESET_RETRY_COUNTER))
        .collect();
    assert_eq!(resets.len(), 1);
    assert_eq!(&resets[0].command[..4], &[0x00, 0x2C, 0x02, 0x80]);
    assert!(vc.key_matches(App::Jpki, AUTH, b"5678"));
}

#[test]
fn no_pin_appears_in_the_log_or_in_errors() {
    let mut vc = VirtualCard::new();
    vc.inject(
        Trigger::ins(ins::RESET_RETRY_COUNTER).in_app(App::Common),
        Fault::Refuse(StatusWord(0x6581)),
    );
    let log = vc.log();
    let mut card = Card::new(&mut vc);
    card.reset(
        &mut kiosk(),
        &sign("SECRET77"),
        Some(OtherPin::Auth(&auth("1234"))),
        LastTry::Refuse,
    )
    .unwrap();
    let e = card
        .reset(
            &mut counter(),
            &ResidencePin::parse("8642").unwrap(),
            None,
            LastTry::Refuse,
        )
        .unwrap_err();
    // Errors: no value, in text or hex.
    let text = format!("{e} {e:?}");
    for secret in ["SECRET77", "8642", "1234"] {
        assert!(!text.contains(secret), "{secret} leaked");
        assert!(!text.contains(&hex::encode_upper(secret.as_bytes())));
    }
    // The log: the data of every PIN-carrying command is masked.
    let entries = log.entries();
    assert!(!format!("{entries:?}").contains(&hex::encode_upper(b"SECRET77")));
    let mut masked = 0;
    for x in &entries {
        if x.ins().is_some_and(ins::carries_secret) && x.command.len() > 5 {
            assert!(x.command[5..].iter().all(|b| *b == b'*'), "{x:?}");
            masked += 1;
        }
    }
    // VERIFY of the auth PIN, the reset of the signature password, two residence resets.
    assert_eq!(masked, 4);
    let rrc = log
        .entries()
        .into_iter()
        .find(|e| e.ins() == Some(ins::RESET_RETRY_COUNTER))
        .unwrap();
    assert_eq!(&rrc.command[5..], b"********");
}

#[test]
fn terminal_authentication_ends_with_the_application_or_the_power() {
    let mut vc = VirtualCard::new();
    let mut card = Card::new(&mut vc);
    card.reset(&mut counter(), &sign("NEWPASS1"), None, LastTry::Refuse)
        .unwrap();
    assert_eq!(
        card.session().transport().terminal_role(),
        Some(TerminalRole::MunicipalCounter)
    );
    card.unpower().unwrap();
    assert_eq!(card.session().transport().terminal_role(), None);
    card.reset(&mut counter(), &sign("NEWPASS2"), None, LastTry::Refuse)
        .unwrap();
    // Reading another application's PIN status selects it, which ends the authentication.
    card.pin_status(PinKind::TextAssist).unwrap();
    assert_eq!(card.session().transport().terminal_role(), None);
}

#[test]
fn the_card_reports_which_certificates_it_has() {
    let mut vc = VirtualCard::new();
    let mut card = Card::new(&mut vc);
    let c = card.jpki().certificate_availability().unwrap();
    assert!(c.both());
    drop(card);
    vc.put_file(
        App::Jpki,
        jpki::CERT_AVAILABILITY.0,
        mynacard::sim::Ef::Binary {
            data: vec![0x00, 0x8F, 0x00],
            access: mynacard::sim::Access::Free,
        },
    );
    let mut card = Card::new(&mut vc);
    let c = card.jpki().certificate_availability().unwrap();
    assert!(
        c.sign != mynacard::cert::Presence::Present
            && c.auth == mynacard::cert::Presence::Present
            && !c.both()
    );
}

/// The stand-in counter, except that its `wrap` turns RESET RETRY COUNTER into a VERIFY of the
/// user-authentication PIN (a wrong value: it would spend a try if it were sent).
struct WrapsIntoVerify(StandInAuthority);

impl ResetAuthority for WrapsIntoVerify {
    fn describe(&self) -> String {
        self.0.describe()
    }
    fn route(&self, kind: PinKind) -> Option<mynacard::reset::Route> {
        self.0.route(kind)
    }
    fn authenticate(
        &mut self,
        application: &mynacard::applets::Aid,
        channel: &mut dyn TerminalChannel,
    ) -> Result<(), Error> {
        self.0.authenticate(application, channel)
    }
    fn wrap(&mut self, _command: Command) -> Result<Command, Error> {
        Ok(Command::new(0x00, ins::VERIFY, 0x00, 0x80 | 0x18).with_data(b"9999")?)
    }
}

#[test]
fn a_rust_authority_that_wraps_another_command_is_refused_before_it_is_sent() {
    let mut vc = VirtualCard::new();
    vc.set_tries_left(App::TextAssist, TEXT, 0).unwrap();
    let log = vc.log();
    let mut card = Card::new(&mut vc);
    let e = card
        .reset(
            &mut WrapsIntoVerify(counter()),
            &TextAssistPin::parse("2468").unwrap(),
            None,
            LastTry::Refuse,
        )
        .unwrap_err();
    assert!(
        matches!(&e, Error::Reset(ResetError::WrongCommand { ins: 0x20, .. })),
        "{e:?}"
    );
    assert!(e.to_string().contains("RESET RETRY COUNTER"), "{e}");
    drop(card);
    // Neither the VERIFY nor any RESET RETRY COUNTER reached the card; nothing changed.
    assert_eq!(count(&log, ins::VERIFY, true), 0);
    assert_eq!(count(&log, ins::RESET_RETRY_COUNTER, true), 0);
    assert_eq!(vc.tries_left(App::Jpki, AUTH), Some(3));
    assert_eq!(vc.tries_left(App::TextAssist, TEXT), Some(0));
}

#[test]
fn authority_steps_parse_only_their_own_commands() {
    use mynacard::reset::AuthorityStep;
    let get_challenge = [0x00, 0x84, 0x00, 0x00, 0x08];
    let verify = [0x00, 0x20, 0x00, 0x98, 0x04, b'9', b'9', b'9', b'9'];
    let c = AuthorityStep::Challenge.parse(&get_challenge, "t").unwrap();
    assert_eq!(c.ins(), 0x84);
    for step in [
        AuthorityStep::Challenge,
        AuthorityStep::Authenticate,
        AuthorityStep::Wrap,
    ] {
        assert!(matches!(
            step.parse(&verify, "t"),
            Err(Error::Reset(ResetError::WrongCommand { ins: 0x20, .. }))
        ));
        assert!(matches!(step.parse(&[0xFF; 3], "t"), Err(Error::Apdu(_))));
    }
    for i in [0x82, 0x86, 0x88] {
        assert!(AuthorityStep::Authenticate.allows(i));
    }
    assert!(AuthorityStep::Wrap.allows(0x2C) && !AuthorityStep::Wrap.allows(0x84));
}
