//! The kiosk's state machine driven directly, as a vendor's own UI (or the C ABI) drives it: no
//! console. Each test checks the steps, their texts in both languages, and the card exchanges.

use std::path::{Path, PathBuf};

use mynacard::apdu::ins;
use mynacard::applets::{jpki, residence};
use mynacard::pin::PinKind;
use mynacard::policy::{KioskSupport, Place};
use mynacard::reset::{StandInAuthority, TerminalRole};
use mynacard::sim::{App, VirtualCard};
use mynacard::transport::{ExchangeLog, Recorder};
use mynacard::Card;
use mynacard_kiosk::flow::{
    Answer, AnswerError, AnswerKind, Config, Kiosk, Outcome, SecretPurpose, Step, StepKind, Stop,
};
use mynacard_kiosk::text::{Lang, Text};
use zeroize::Zeroizing;

const SIGN: u16 = jpki::SIGN_PIN.0;
const AUTH: u16 = jpki::AUTH_PIN.0;
const KIOSK: Place = Place::Kiosk(KioskSupport::BothJpkiPins);
const KIOSK_SIGN_ONLY: Place = Place::Kiosk(KioskSupport::SignatureOnly);

type Machine = Kiosk<Recorder<VirtualCard>>;

struct Fixture {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

fn fixture(f: impl FnOnce(&mut VirtualCard)) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.json");
    let mut vc = VirtualCard::open(&path).unwrap();
    f(&mut vc);
    drop(vc);
    Fixture { _dir: dir, path }
}

fn machine(place: Place, lang: Lang) -> Machine {
    let role = match place {
        Place::Kiosk(_) | Place::SmartphoneApp => TerminalRole::SelfServiceKiosk,
        _ => TerminalRole::MunicipalCounter,
    };
    Kiosk::new(Config {
        place,
        authority: Box::new(StandInAuthority::new(role)),
        card_label: "virtual card (test)".into(),
        lang,
    })
}

fn open(path: &Path) -> (Card<Recorder<VirtualCard>>, ExchangeLog) {
    let rec = Recorder::new(VirtualCard::open(path).unwrap());
    let log = rec.log();
    (Card::new(rec), log)
}

/// The steps up to the next question (or the end): the lines shown, and the question.
fn until_question(k: &mut Machine) -> (Vec<Step>, Step) {
    let mut shown = Vec::new();
    loop {
        let s = k.next();
        if s.kind.is_question() || matches!(s.kind, StepKind::Done(_)) {
            return (shown, s);
        }
        shown.push(s);
    }
}

fn question(k: &mut Machine) -> Step {
    until_question(k).1
}

/// The next question, which must ask for the secret `pin`, for `purpose`.
fn asks_secret(k: &mut Machine, pin: PinKind, purpose: SecretPurpose) {
    assert_eq!(question(k).kind, StepKind::Secret { pin, purpose });
}

fn shown_text(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|s| s.text().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

fn secret(s: &str) -> Zeroizing<String> {
    Zeroizing::new(s.to_owned())
}

fn count(log: &ExchangeLog, instruction: u8, with_data: bool) -> usize {
    log.entries()
        .iter()
        .filter(|e| e.ins() == Some(instruction) && (e.command.len() > 4) == with_data)
        .count()
}

fn count_ins(log: &ExchangeLog, instruction: u8) -> usize {
    log.entries()
        .iter()
        .filter(|e| e.ins() == Some(instruction))
        .count()
}

fn assert_bilingual(t: &Text) {
    assert!(!t.ja.is_empty() && !t.en.is_empty(), "{t:?}");
    assert_ne!(t.ja, t.en, "{t:?}");
}

/// Runs a self-service reset of the signature password through the user-authentication PIN,
/// checking each step, and returns the exchange log and the number of exchanges in each phase.
fn sign_reset(path: &Path) -> (ExchangeLog, [usize; 4]) {
    let mut k = machine(KIOSK, Lang::En);
    let (shown, s) = until_question(&mut k);
    assert!(shown_text(&shown).contains("not the real issuer protocol"));
    assert_eq!(s.kind, StepKind::InsertCard);
    assert_bilingual(&s.text);

    let (card, log) = open(path);
    assert!(log.is_empty());
    k.insert_card(card).unwrap();
    let after_status = log.len();

    let (shown, s) = until_question(&mut k);
    assert!(shown
        .iter()
        .any(|s| s.kind == StepKind::Heading { number: 2, of: 7 }));
    let StepKind::Menu { choices, multiple } = &s.kind else {
        panic!("{s:?}")
    };
    assert!(!multiple);
    assert_eq!(choices.len(), 4);
    assert_eq!(choices[0].number, 1);
    assert!(choices[0].text.en.contains("signature password"));
    assert!(choices[0].text.ja.contains("署名用"));
    k.answer(Answer::Choice(1)).unwrap();
    let after_rules = log.len();

    let s = question(&mut k);
    assert_eq!(s.kind, StepKind::YesNo);
    assert!(s.text().contains("user-authentication PIN"));
    k.answer(Answer::Yes).unwrap();

    asks_secret(&mut k, PinKind::UserAuth, SecretPurpose::OtherPin);
    k.answer_secret(secret("1234")).unwrap();
    asks_secret(&mut k, PinKind::Signature, SecretPurpose::NewPin);
    k.answer_secret(secret("NEWPASS1")).unwrap();
    asks_secret(&mut k, PinKind::Signature, SecretPurpose::NewPinAgain);
    // Nothing secret has reached the card before the last entry.
    assert_eq!(log.len(), after_rules);
    assert_eq!(count(&log, ins::VERIFY, true), 0);
    k.answer_secret(secret("NEWPASS1")).unwrap();
    let after_reset_and_status = log.len();

    let (shown, s) = until_question(&mut k);
    assert_eq!(s.kind, StepKind::Done(Outcome::Done));
    assert_eq!(k.outcome(), Some(Outcome::Done));
    assert!(s.text().contains("Please take your card"));
    let text = shown_text(&shown);
    assert!(
        text.contains("The signature password (署名用電子証明書) was reset: 5 of 5 tries left."),
        "{text}"
    );
    assert!(shown
        .iter()
        .any(|s| s.kind == StepKind::Heading { number: 7, of: 7 }));
    // The end is stable.
    assert_eq!(k.next().kind, StepKind::Done(Outcome::Done));
    assert_eq!(
        k.answer(Answer::Yes),
        Err(AnswerError::Finished),
        "no answer after the end"
    );
    assert_eq!(log.len(), after_reset_and_status);
    (
        log,
        [
            after_status,
            after_rules - after_status,
            after_reset_and_status - after_rules,
            0,
        ],
    )
}

#[test]
fn signature_password_reset_through_the_auth_pin() {
    let f = fixture(|_| {});
    let (log, _) = sign_reset(&f.path);
    assert_eq!(count_ins(&log, ins::GET_CHALLENGE), 1);
    assert_eq!(count(&log, ins::EXTERNAL_AUTHENTICATE, true), 1);
    assert_eq!(count(&log, ins::VERIFY, true), 1);
    assert_eq!(count(&log, ins::RESET_RETRY_COUNTER, true), 1);
    let vc = VirtualCard::open(&f.path).unwrap();
    assert!(vc.key_matches(App::Jpki, SIGN, b"NEWPASS1"));
    assert_eq!(vc.tries_left(App::Jpki, AUTH), Some(3));
    // Unpowered at the end: nothing stays authenticated.
    assert_eq!(vc.terminal_role(), None);
}

/// The figure the C ABI's kiosk reset is compared with: a kiosk reset of a blocked signature
/// password, from card insertion to the final status.
#[test]
fn signature_password_reset_from_blocked_and_its_exchanges() {
    let f = fixture(|vc| vc.set_tries_left(App::Jpki, SIGN, 0).unwrap());
    let (log, [status, rules, reset_and_status, _]) = sign_reset(&f.path);
    let vc = VirtualCard::open(&f.path).unwrap();
    assert_eq!(vc.tries_left(App::Jpki, SIGN), Some(5));
    assert!(vc.key_matches(App::Jpki, SIGN, b"NEWPASS1"));
    // Status of the four PINs (5 references in 4 applications), the certificate check, then
    // one terminal authentication, one VERIFY, one RESET RETRY COUNTER and the statuses.
    assert_eq!(count_ins(&log, ins::GET_CHALLENGE), 1);
    assert_eq!(count(&log, ins::EXTERNAL_AUTHENTICATE, true), 1);
    assert_eq!(count(&log, ins::VERIFY, true), 1);
    assert_eq!(count(&log, ins::RESET_RETRY_COUNTER, true), 1);
    assert_eq!(rules, 2, "SELECT JPKI AP, READ BINARY EF 0008");
    println!(
        "kiosk reset of a blocked signature password: {} exchanges (status {status}, rules \
         {rules}, reset and final status {reset_and_status})",
        log.len()
    );
    // Measured on the virtual card: the status of the four PINs is 9 exchanges (SELECT and a
    // case-1 VERIFY per reference), the rules 2, and the reset 6 (GET CHALLENGE, EXTERNAL
    // AUTHENTICATE, the auth PIN's status query, VERIFY, RESET RETRY COUNTER, the confirming
    // status query) followed by the final status (8: the JPKI AP is still selected).
    assert_eq!((status, reset_and_status), (9, 14), "{:#?}", log.entries());
    assert_eq!(log.len(), 25);
}

#[test]
fn a_signature_only_kiosk_refuses_the_auth_pin_and_sends_nothing_for_it() {
    let f = fixture(|_| {});
    let mut k = machine(KIOSK_SIGN_ONLY, Lang::En);
    assert_eq!(question(&mut k).kind, StepKind::InsertCard);
    let (card, log) = open(&f.path);
    k.insert_card(card).unwrap();
    question(&mut k);
    k.answer(Answer::Choice(2)).unwrap();
    let s = question(&mut k);
    assert_eq!(s.kind, StepKind::YesNo);
    k.answer(Answer::Yes).unwrap();
    let (shown, s) = until_question(&mut k);
    assert_eq!(s.kind, StepKind::Done(Outcome::NotPossible));
    let en = shown_text(&shown);
    assert!(
        en.contains("this kiosk resets only the signature password"),
        "{en}"
    );
    assert!(en.contains("a convenience-store kiosk that resets both JPKI PINs"));
    // The same lines exist in Japanese.
    let ja: Vec<&str> = shown.iter().map(|s| s.text.get(Lang::Ja)).collect();
    assert!(
        ja.iter()
            .any(|l| l.contains("署名用電子証明書の暗証番号だけ")),
        "{ja:?}"
    );
    assert_eq!(count_ins(&log, ins::GET_CHALLENGE), 0);
    assert_eq!(count(&log, ins::VERIFY, true), 0);
    assert_eq!(count(&log, ins::RESET_RETRY_COUNTER, true), 0);
}

#[test]
fn the_counter_resets_the_residence_pin_without_any_other_pin() {
    let f = fixture(|vc| {
        vc.set_tries_left(App::Juki, residence::PIN.0, 0).unwrap();
        vc.set_tries_left(App::Common, residence::PIN.0, 0).unwrap();
    });
    let mut k = machine(Place::Counter, Lang::Ja);
    question(&mut k);
    let (card, log) = open(&f.path);
    k.insert_card(card).unwrap();
    let (shown, _) = until_question(&mut k);
    assert!(
        shown_text(&shown).contains("ロック中"),
        "{}",
        shown_text(&shown)
    );
    k.answer(Answer::Choice(3)).unwrap();
    let s = question(&mut k);
    assert_eq!(s.kind, StepKind::YesNo);
    assert!(s.text().starts_with("職員"), "{}", s.text());
    k.answer(Answer::Yes).unwrap();
    asks_secret(&mut k, PinKind::Residence, SecretPurpose::NewPin);
    k.answer_secret(secret("4321")).unwrap();
    question(&mut k);
    k.answer_secret(secret("4321")).unwrap();
    assert_eq!(question(&mut k).kind, StepKind::Done(Outcome::Done));
    drop(k);
    assert_eq!(count(&log, ins::RESET_RETRY_COUNTER, true), 2);
    assert_eq!(count(&log, ins::VERIFY, true), 0);
    let vc = VirtualCard::open(&f.path).unwrap();
    for app in [App::Juki, App::Common] {
        assert!(vc.key_matches(app, residence::PIN.0, b"4321"));
    }
}

#[test]
fn answers_of_the_wrong_kind_are_refused_and_spend_no_try() {
    let f = fixture(|_| {});
    let mut k = machine(KIOSK, Lang::En);
    // Before anything is shown, nothing can be answered.
    assert_eq!(k.answer(Answer::Yes), Err(AnswerError::NotAsked));
    let s = question(&mut k);
    assert_eq!(
        k.answer(Answer::Choice(1)),
        Err(AnswerError::WrongKind {
            expected: AnswerKind::Card,
            got: AnswerKind::Choice
        })
    );
    assert_eq!(k.next(), s, "the same question is still open");
    let (card, log) = open(&f.path);
    k.insert_card(card).unwrap();
    let menu = question(&mut k);
    // A PIN handed in where a menu choice is asked: refused, dropped, nothing sent.
    let at_menu = log.len();
    assert_eq!(
        k.answer_secret(secret("1234")),
        Err(AnswerError::WrongKind {
            expected: AnswerKind::Choice,
            got: AnswerKind::Secret
        })
    );
    assert_eq!(
        k.answer(Answer::Choice(5)),
        Err(AnswerError::OutOfRange {
            choice: 5,
            choices: 4
        })
    );
    assert_eq!(
        k.answer(Answer::Choices(vec![1])),
        Err(AnswerError::WrongKind {
            expected: AnswerKind::Choice,
            got: AnswerKind::Choices
        })
    );
    assert_eq!(k.next(), menu);
    assert_eq!(log.len(), at_menu, "nothing was sent");
    k.answer(Answer::Choice(1)).unwrap();
    question(&mut k);
    k.answer(Answer::Yes).unwrap();
    let before = log.len();
    let pin_step = question(&mut k);
    assert!(matches!(pin_step.kind, StepKind::Secret { .. }));
    // Visible answers at a secret question.
    for wrong in [Answer::Yes, Answer::Choice(1), Answer::Unrecognised] {
        let got = k.answer(wrong.clone()).unwrap_err();
        assert!(
            matches!(
                got,
                AnswerError::WrongKind {
                    expected: AnswerKind::Secret,
                    ..
                }
            ),
            "{wrong:?}: {got:?}"
        );
        assert!(!got.message(Lang::Ja).is_empty());
    }
    // Answering twice without showing the question again is refused too.
    k.answer_secret(secret("1234")).unwrap();
    assert_eq!(
        k.answer_secret(secret("NEWPASS1")),
        Err(AnswerError::NotAsked)
    );
    assert_eq!(log.len(), before, "nothing was sent");
    assert_eq!(count(&log, ins::VERIFY, true), 0);
    drop(k);
    let vc = VirtualCard::open(&f.path).unwrap();
    assert_eq!(vc.tries_left(App::Jpki, AUTH), Some(3));
    assert_eq!(vc.tries_left(App::Jpki, SIGN), Some(5));
}

#[test]
fn a_badly_formed_pin_is_asked_again_and_costs_nothing() {
    let f = fixture(|_| {});
    let mut k = machine(KIOSK, Lang::Ja);
    question(&mut k);
    let (card, log) = open(&f.path);
    k.insert_card(card).unwrap();
    question(&mut k);
    k.answer(Answer::Choice(1)).unwrap();
    question(&mut k);
    k.answer(Answer::Yes).unwrap();
    let before = log.len();
    for bad in ["12a4", "123"] {
        asks_secret(&mut k, PinKind::UserAuth, SecretPurpose::OtherPin);
        k.answer_secret(secret(bad)).unwrap();
        let (shown, _) = {
            let mut shown = Vec::new();
            let s = loop {
                let s = k.next();
                if s.kind.is_question() {
                    break s;
                }
                shown.push(s);
            };
            (shown, s)
        };
        let t = shown_text(&shown);
        assert!(t.contains("回数は減っていません"), "{t}");
        assert!(!t.contains(bad));
    }
    // The third bad value ends the flow.
    k.answer_secret(secret("abcd")).unwrap();
    assert_eq!(question(&mut k).kind, StepKind::Done(Outcome::InvalidInput));
    assert_eq!(log.len(), before);
}

#[test]
fn the_last_try_needs_an_explicit_confirmation() {
    let f = fixture(|vc| vc.set_tries_left(App::Jpki, AUTH, 1).unwrap());
    let mut k = machine(KIOSK, Lang::En);
    question(&mut k);
    let (card, log) = open(&f.path);
    k.insert_card(card).unwrap();
    question(&mut k);
    k.answer(Answer::Choice(1)).unwrap();
    question(&mut k);
    k.answer(Answer::Yes).unwrap();
    let (shown, _) = until_question(&mut k);
    assert!(shown_text(&shown).contains("Careful: your user-authentication PIN"));
    k.answer_secret(secret("9999")).unwrap();
    question(&mut k);
    k.answer_secret(secret("NEWPASS1")).unwrap();
    question(&mut k);
    k.answer_secret(secret("NEWPASS1")).unwrap();
    let s = question(&mut k);
    assert_eq!(s.kind, StepKind::Confirm { word: "YES" });
    // The guard held the value back.
    assert_eq!(count(&log, ins::VERIFY, true), 0);
    k.answer(Answer::No).unwrap();
    assert_eq!(
        question(&mut k).kind,
        StepKind::Done(Outcome::LastTryRefused)
    );
    assert_eq!(count(&log, ins::VERIFY, true), 0);
    assert_eq!(count(&log, ins::RESET_RETRY_COUNTER, true), 0);
    drop(k);
    assert_eq!(
        VirtualCard::open(&f.path)
            .unwrap()
            .tries_left(App::Jpki, AUTH),
        Some(1)
    );
}

#[test]
fn the_language_can_change_between_steps_and_both_texts_are_always_there() {
    let mut k = machine(KIOSK, Lang::Ja);
    let first = k.next();
    assert_eq!(first.lang, Lang::Ja);
    assert!(first.text().contains("マイナンバーカード"));
    assert_bilingual(&first.text);
    k.set_lang(Lang::En);
    let (shown, s) = until_question(&mut k);
    assert!(shown.iter().all(|s| s.lang == Lang::En));
    assert_eq!(s.lang, Lang::En);
    assert!(s.text().contains("Insert your My Number Card"));
    assert!(s.text.ja.contains("カードを挿入"));
    for step in shown
        .iter()
        .filter(|s| matches!(s.kind, StepKind::Heading { .. }))
    {
        assert_bilingual(&step.text);
    }
}

#[test]
fn no_card_three_times_ends_the_flow() {
    let mut k = machine(KIOSK, Lang::En);
    for i in 1..=3 {
        let s = question(&mut k);
        assert_eq!(s.kind, StepKind::InsertCard, "attempt {i}");
        k.no_card(&Text::same("reader empty")).unwrap();
    }
    let (shown, s) = until_question(&mut k);
    assert_eq!(s.kind, StepKind::Done(Outcome::NoCard));
    assert!(shown_text(&shown).contains("No card: reader empty"));
}

#[test]
fn a_front_end_that_cannot_read_an_answer_stops_the_flow_and_unpowers_the_card() {
    let f = fixture(|_| {});
    let mut k = machine(KIOSK, Lang::En);
    question(&mut k);
    let (card, _log) = open(&f.path);
    k.insert_card(card).unwrap();
    question(&mut k);
    k.answer(Answer::Choice(1)).unwrap();
    question(&mut k);
    k.stop(Stop::Unreadable {
        line: Some(4),
        too_long: false,
    });
    let (shown, s) = until_question(&mut k);
    assert_eq!(s.kind, StepKind::Done(Outcome::InvalidInput));
    assert!(shown_text(&shown).contains("(line 4) is not UTF-8"));
    // The integrator takes the card back (here: to close it).
    assert!(k.take_card().is_some());
    assert_eq!(VirtualCard::open(&f.path).unwrap().terminal_role(), None);
}

/// A place, the answers given there, and how the card is prepared.
type Route = (Place, &'static [&'static str], fn(&mut VirtualCard));

/// A console that records every step it is shown, answering from a list.
struct Recording {
    answers: std::collections::VecDeque<&'static str>,
    steps: Vec<Step>,
}

impl mynacard_kiosk::console::Console for Recording {
    fn show(&mut self, step: &Step) {
        self.steps.push(step.clone());
    }
    fn ask(&mut self, step: &Step) -> mynacard_kiosk::console::Input<Zeroizing<String>> {
        self.ask_secret(step)
    }
    fn ask_secret(&mut self, step: &Step) -> mynacard_kiosk::console::Input<Zeroizing<String>> {
        self.steps.push(step.clone());
        match self.answers.pop_front() {
            Some(a) => mynacard_kiosk::console::Input::Line(secret(a)),
            None => mynacard_kiosk::console::Input::End,
        }
    }
    fn say(&mut self, _: &str) {}
}

#[test]
fn every_step_of_every_route_has_its_own_japanese_and_english_text() {
    let routes: &[Route] = &[
        (
            KIOSK,
            &[
                "", "1", "maybe", "y", "12a4", "1234", "newpass1", "NEWPASS1", "NEWPASS2",
                "NEWPASS1", "NEWPASS1",
            ],
            |_| {},
        ),
        (
            KIOSK,
            &[
                "", "1", "y", "1111", "NEWPASS1", "NEWPASS1", "y", "2222", "y", "3333", "no",
            ],
            |_| {},
        ),
        (
            KIOSK,
            &["", "1", "y", "9999", "NEWPASS1", "NEWPASS1", "YES"],
            |vc| vc.set_tries_left(App::Jpki, AUTH, 1).unwrap(),
        ),
        (KIOSK_SIGN_ONLY, &["", "2", "y"], |_| {}),
        (KIOSK, &["", "1", "n"], |_| {}),
        (KIOSK, &["", "3"], |_| {}),
        (Place::Counter, &["", "3", "y", "4321", "4321"], |vc| {
            vc.set_tries_left(App::Juki, residence::PIN.0, 0).unwrap()
        }),
        (Place::Counter, &["", "4", "n"], |_| {}),
        (Place::CounterByProxy, &["", "4", "n", "n", "7"], |_| {}),
        (
            Place::CounterByProxy,
            &["", "4", "y", "y", "1", "2468", "2468"],
            |_| {},
        ),
        (Place::SmartphoneApp, &[], |_| {}),
    ];
    let mut outcomes = Vec::new();
    for (place, answers, prepare) in routes {
        let f = fixture(prepare);
        let mut console = Recording {
            answers: answers.iter().copied().collect(),
            steps: Vec::new(),
        };
        let path = f.path.clone();
        let mut open = move || -> Result<Card<Recorder<VirtualCard>>, String> { Ok(open(&path).0) };
        let outcome = mynacard_kiosk::console::run(
            Config {
                place: *place,
                authority: Box::new(StandInAuthority::new(match place {
                    Place::Kiosk(_) | Place::SmartphoneApp => TerminalRole::SelfServiceKiosk,
                    _ => TerminalRole::MunicipalCounter,
                })),
                card_label: "virtual card (test)".into(),
                lang: Lang::Ja,
            },
            &mut console,
            &mut open,
        );
        outcomes.push(outcome);
        for step in &console.steps {
            assert_eq!(step.lang, Lang::Ja);
            assert_bilingual(&step.text);
            assert!(!step.text.ja.is_ascii(), "{:?}", step.text);
            if let StepKind::Menu { choices, .. } = &step.kind {
                for c in choices {
                    assert_bilingual(&c.text);
                }
            }
            // No English sentence in the Japanese text: the English words that remain are names
            // (the terminal's description, the card label, the applications).
            for word in [
                "Please",
                "Step ",
                "tries left",
                "You need",
                "Your ",
                "was reset",
            ] {
                assert!(!step.text.ja.contains(word), "{word}: {:?}", step.text);
            }
        }
    }
    assert_eq!(
        outcomes,
        [
            Outcome::Done,
            Outcome::LastTryRefused,
            Outcome::WrongPin,
            Outcome::NotPossible,
            Outcome::NotPossible,
            Outcome::NotPossible,
            Outcome::Done,
            Outcome::NotPossible,
            Outcome::NotPossible,
            Outcome::Done,
            Outcome::Failed,
        ]
    );
}

/// The web front end's stops: the card pulled out, or nobody answering. Everything entered is
/// forgotten, the card is unpowered, the outcome and the summary say what happened.
#[test]
fn a_pulled_card_or_an_idle_timeout_stops_the_flow_and_the_summary_says_so() {
    let f = fixture(|vc| vc.set_tries_left(App::Jpki, SIGN, 0).unwrap());
    let mut k = machine(KIOSK, Lang::En);
    question(&mut k);
    assert_eq!(
        k.summary(),
        mynacard_kiosk::flow::Summary {
            place: "kiosk",
            pin: None,
            route: None,
            outcome: None
        }
    );
    let (card, _log) = open(&f.path);
    k.insert_card(card).unwrap();
    question(&mut k);
    k.answer(Answer::Choice(1)).unwrap();
    question(&mut k);
    k.answer(Answer::Yes).unwrap();
    asks_secret(&mut k, PinKind::UserAuth, SecretPurpose::OtherPin);
    k.answer_secret(secret("1234")).unwrap();
    asks_secret(&mut k, PinKind::Signature, SecretPurpose::NewPin);
    k.stop(Stop::CardRemoved);
    let (shown, s) = until_question(&mut k);
    assert_eq!(s.kind, StepKind::Done(Outcome::NoCard));
    assert!(shown_text(&shown).contains("The card was removed. Nothing you entered was kept."));
    let sum = k.summary();
    assert_eq!(sum.pin, Some(PinKind::Signature));
    assert_eq!(sum.route.as_deref(), Some("self-service+user_auth"));
    assert_eq!(sum.outcome, Some(Outcome::NoCard));
    assert_eq!(Outcome::NoCard.code(), "no_card");
    // Nothing was sent for the PIN typed before the card went: no try spent, no reset.
    drop(k.take_card());
    let vc = VirtualCard::open(&f.path).unwrap();
    assert_eq!(vc.tries_left(App::Jpki, AUTH), Some(3));
    assert_eq!(vc.tries_left(App::Jpki, SIGN), Some(0));
    drop(vc);
    // A stop after the end changes nothing.
    k.stop(Stop::IdleTimeout);
    assert_eq!(k.outcome(), Some(Outcome::NoCard));

    let mut k = machine(Place::Counter, Lang::Ja);
    question(&mut k);
    let (card, _log) = open(&f.path);
    k.insert_card(card).unwrap();
    question(&mut k);
    k.answer(Answer::Choice(2)).unwrap();
    k.stop(Stop::IdleTimeout);
    let (shown, s) = until_question(&mut k);
    assert_eq!(s.kind, StepKind::Done(Outcome::Cancelled));
    assert!(shown_text(&shown).contains("一定時間操作がなかった"));
    let sum = k.summary();
    assert_eq!(
        (sum.place, sum.pin, sum.route),
        ("counter", Some(PinKind::UserAuth), None)
    );
    drop(k.take_card());
    assert_eq!(VirtualCard::open(&f.path).unwrap().terminal_role(), None);
}
