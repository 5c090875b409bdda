//! The kiosk library's guided flow, run from scripts against a persistent virtual card: the
//! flow library's own code, in process.

use std::path::Path;

use mynacard::apdu::ins;
use mynacard::applets::{jpki, residence, text};
use mynacard::policy::{KioskSupport, Place};
use mynacard::reset::{StandInAuthority, TerminalRole};
use mynacard::sim::{App, VirtualCard};
use mynacard::transport::{ExchangeLog, Recorder};
use mynacard::Card;
use mynacard_kiosk::flow::{Config, Outcome};
use mynacard_kiosk::text::Lang;
use mynacard_kiosk::{console, flow};

const SIGN: u16 = jpki::SIGN_PIN.0;
const AUTH: u16 = jpki::AUTH_PIN.0;

struct Run {
    outcome: Outcome,
    transcript: String,
    log: ExchangeLog,
}

impl Run {
    fn count(&self, instruction: u8, with_data: bool) -> usize {
        self.log
            .entries()
            .iter()
            .filter(|e| e.ins() == Some(instruction) && (e.command.len() > 4) == with_data)
            .count()
    }
}

fn run(state: &Path, place: Place, answers: &str) -> Run {
    let role = match place {
        Place::Kiosk(_) | Place::SmartphoneApp => TerminalRole::SelfServiceKiosk,
        _ => TerminalRole::MunicipalCounter,
    };
    let config = Config {
        place,
        authority: Box::new(StandInAuthority::new(role)),
        card_label: "virtual card (test)".into(),
        lang: Lang::En,
    };
    let mut out = Vec::new();
    let mut console = console::ScriptConsole::new(answers.as_bytes(), &mut out);
    let mut log = None;
    let mut open = || -> Result<Card<Recorder<VirtualCard>>, String> {
        let vc = VirtualCard::open(state).map_err(|e| e.to_string())?;
        let rec = Recorder::new(vc);
        log = Some(rec.log());
        Ok(Card::new(rec))
    };
    let outcome = mynacard_kiosk::console::run(config, &mut console, &mut open);
    Run {
        outcome,
        transcript: String::from_utf8(out).unwrap(),
        log: log.unwrap_or_default(),
    }
}

fn card(state: &Path) -> VirtualCard {
    VirtualCard::open(state).unwrap()
}

fn setup(f: impl FnOnce(&mut VirtualCard)) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.json");
    let mut vc = card(&path);
    f(&mut vc);
    drop(vc);
    (dir, path)
}

const KIOSK: Place = Place::Kiosk(KioskSupport::BothJpkiPins);
const KIOSK_SIGN_ONLY: Place = Place::Kiosk(KioskSupport::SignatureOnly);

fn assert_no_secret(transcript: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!transcript.contains(s), "{s} appears in the transcript");
    }
}

#[test]
fn signature_password_reset_through_the_auth_pin() {
    let (_d, path) = setup(|_| {});
    let r = run(&path, KIOSK, "\n1\ny\n1234\nNEWPASS1\nNEWPASS1\n");
    assert_eq!(r.outcome, Outcome::Done, "{}", r.transcript);
    let vc = card(&path);
    assert!(vc.key_matches(App::Jpki, SIGN, b"NEWPASS1"));
    assert_eq!(vc.tries_left(App::Jpki, SIGN), Some(5));
    assert_eq!(vc.tries_left(App::Jpki, AUTH), Some(3));
    assert_eq!(r.transcript.matches(console::MASK).count(), 3);
    assert_no_secret(&r.transcript, &["NEWPASS1", ": 1234"]);
    assert!(r.transcript.contains("Step 7 of 7"));
    assert!(r.transcript.contains("not the real issuer protocol"));
    assert_eq!(r.count(ins::RESET_RETRY_COUNTER, true), 1);
    // The card was unpowered at the end: nothing stays authenticated or verified.
    assert_eq!(vc.terminal_role(), None);
}

#[test]
fn auth_pin_reset_through_the_signature_password() {
    let (_d, path) = setup(|_| {});
    let r = run(&path, KIOSK, "\n2\ny\nABC123\n5678\n5678\n");
    assert_eq!(r.outcome, Outcome::Done, "{}", r.transcript);
    let vc = card(&path);
    assert!(vc.key_matches(App::Jpki, AUTH, b"5678"));
    assert_no_secret(&r.transcript, &["ABC123", "5678"]);
}

#[test]
fn signature_password_reset_from_blocked() {
    let (_d, path) = setup(|vc| vc.set_tries_left(App::Jpki, SIGN, 0).unwrap());
    let r = run(&path, KIOSK, "\n1\ny\n1234\nNEWPASS1\nNEWPASS1\n");
    assert_eq!(r.outcome, Outcome::Done, "{}", r.transcript);
    assert!(r
        .transcript
        .contains("1. signature password (署名用電子証明書): BLOCKED"));
    assert!(r
        .transcript
        .contains("The signature password (署名用電子証明書) was reset: 5 of 5 tries left."));
    let vc = card(&path);
    assert_eq!(vc.tries_left(App::Jpki, SIGN), Some(5));
    assert!(vc.key_matches(App::Jpki, SIGN, b"NEWPASS1"));
}

#[test]
fn auth_pin_reset_from_blocked() {
    let (_d, path) = setup(|vc| vc.set_tries_left(App::Jpki, AUTH, 0).unwrap());
    let r = run(&path, KIOSK, "\n2\ny\nABC123\n5678\n5678\n");
    assert_eq!(r.outcome, Outcome::Done, "{}", r.transcript);
    let vc = card(&path);
    assert_eq!(vc.tries_left(App::Jpki, AUTH), Some(3));
    assert!(vc.key_matches(App::Jpki, AUTH, b"5678"));
}

#[test]
fn a_signature_only_kiosk_refuses_the_auth_pin_and_sends_nothing() {
    let (_d, path) = setup(|vc| vc.set_tries_left(App::Jpki, AUTH, 0).unwrap());
    let r = run(&path, KIOSK_SIGN_ONLY, "\n2\ny\n");
    assert_eq!(r.outcome, Outcome::NotPossible, "{}", r.transcript);
    assert!(r
        .transcript
        .contains("this kiosk resets only the signature password"));
    assert!(r
        .transcript
        .contains("a convenience-store kiosk that resets both JPKI PINs"));
    assert_eq!(r.count(ins::GET_CHALLENGE, false), 0);
    assert_eq!(r.count(ins::VERIFY, true), 0);
    assert_eq!(r.count(ins::RESET_RETRY_COUNTER, true), 0);
    // It still resets the signature password.
    let r = run(&path, KIOSK_SIGN_ONLY, "\n1\ny\n");
    // (the auth PIN is blocked, so that route is refused for another reason)
    assert!(
        r.transcript.contains("and it is blocked too"),
        "{}",
        r.transcript
    );
    let (_d2, path2) = setup(|_| {});
    let r = run(
        &path2,
        KIOSK_SIGN_ONLY,
        "\n1\ny\n1234\nNEWPASS1\nNEWPASS1\n",
    );
    assert_eq!(r.outcome, Outcome::Done, "{}", r.transcript);
}

#[test]
fn not_knowing_the_other_pin_sends_the_person_to_the_counter() {
    let (_d, path) = setup(|_| {});
    let r = run(&path, KIOSK, "\n1\nn\n");
    assert_eq!(r.outcome, Outcome::NotPossible);
    assert!(r.transcript.contains("the municipal counter"));
    assert_eq!(r.count(ins::VERIFY, true), 0);
}

#[test]
fn the_kiosk_refuses_the_residence_pin() {
    let (_d, path) = setup(|_| {});
    let r = run(&path, KIOSK, "\n3\n");
    assert_eq!(r.outcome, Outcome::NotPossible);
    assert!(r.transcript.contains("cannot be reset by self-service"));
}

#[test]
fn wrong_other_pins_count_against_that_pin_and_the_guard_keeps_its_last_try() {
    let (_d, path) = setup(|_| {});
    // Two wrong auth PINs, then the flow asks before the last try, and the person declines.
    let r = run(
        &path,
        KIOSK,
        "\n1\ny\n1111\nNEWPASS1\nNEWPASS1\ny\n2222\ny\n3333\nno\n",
    );
    assert_eq!(r.outcome, Outcome::LastTryRefused, "{}", r.transcript);
    assert!(r.transcript.contains("2 tries left before it locks"));
    assert!(r.transcript.contains("1 try left before it locks"));
    assert!(r.transcript.contains("Type YES to use the last try"));
    // Exactly two auth PINs reached the card: the third was held back by the guard.
    assert_eq!(r.count(ins::VERIFY, true), 2);
    assert_eq!(r.count(ins::RESET_RETRY_COUNTER, true), 0);
    let vc = card(&path);
    assert_eq!(vc.tries_left(App::Jpki, AUTH), Some(1));
    assert_eq!(vc.tries_left(App::Jpki, SIGN), Some(5));
    assert!(vc.key_matches(App::Jpki, SIGN, b"ABC123"));
    assert_no_secret(&r.transcript, &["1111", "2222", "3333", "NEWPASS1"]);
    drop(vc);

    // Next visit: the status shows 1 try; the flow warns; YES with the right PIN resets, and
    // the auth PIN's counter is full again.
    let r = run(&path, KIOSK, "\n1\ny\n1234\nNEWPASS1\nNEWPASS1\nYES\n");
    assert_eq!(r.outcome, Outcome::Done, "{}", r.transcript);
    assert!(r
        .transcript
        .contains("Careful: your user-authentication PIN"));
    let vc = card(&path);
    assert_eq!(vc.tries_left(App::Jpki, AUTH), Some(3));
    assert!(vc.key_matches(App::Jpki, SIGN, b"NEWPASS1"));
}

#[test]
fn spending_the_last_try_wrongly_blocks_that_pin_and_ends_the_flow() {
    let (_d, path) = setup(|vc| vc.set_tries_left(App::Jpki, AUTH, 1).unwrap());
    let r = run(&path, KIOSK, "\n1\ny\n9999\nNEWPASS1\nNEWPASS1\nYES\n");
    assert_eq!(r.outcome, Outcome::WrongPin, "{}", r.transcript);
    let vc = card(&path);
    assert_eq!(vc.tries_left(App::Jpki, AUTH), Some(0));
    assert!(vc.key_matches(App::Jpki, SIGN, b"ABC123"));
    drop(vc);
    // Now both paths of self-service are closed for the signature password.
    let r = run(&path, KIOSK, "\n1\ny\n");
    assert_eq!(r.outcome, Outcome::NotPossible);
    assert!(r.transcript.contains("and it is blocked too"));
}

#[test]
fn the_counter_resets_the_residence_pin_on_both_references() {
    let (_d, path) = setup(|vc| {
        vc.set_tries_left(App::Juki, residence::PIN.0, 0).unwrap();
        vc.set_tries_left(App::Common, residence::PIN.0, 0).unwrap();
    });
    let r = run(&path, Place::Counter, "\n3\ny\n4321\n4321\n");
    assert_eq!(r.outcome, Outcome::Done, "{}", r.transcript);
    assert_eq!(r.count(ins::RESET_RETRY_COUNTER, true), 2);
    assert_eq!(r.count(ins::VERIFY, true), 0);
    let vc = card(&path);
    for app in [App::Juki, App::Common] {
        assert!(vc.key_matches(app, residence::PIN.0, b"4321"));
        assert_eq!(vc.tries_left(app, residence::PIN.0), Some(3));
    }
    assert_no_secret(&r.transcript, &["4321"]);
}

#[test]
fn the_counter_resets_the_text_assist_pin() {
    let (_d, path) = setup(|vc| vc.set_tries_left(App::TextAssist, text::PIN.0, 0).unwrap());
    let r = run(&path, Place::Counter, "\n4\ny\n2468\n2468\n");
    assert_eq!(r.outcome, Outcome::Done, "{}", r.transcript);
    let vc = card(&path);
    assert!(vc.key_matches(App::TextAssist, text::PIN.0, b"2468"));
    assert_eq!(vc.tries_left(App::TextAssist, text::PIN.0), Some(3));
}

#[test]
fn the_counter_needs_the_cardholder_in_person() {
    let (_d, path) = setup(|_| {});
    let r = run(&path, Place::Counter, "\n3\nn\n");
    assert_eq!(r.outcome, Outcome::NotPossible);
    assert_eq!(r.count(ins::GET_CHALLENGE, false), 0);
}

#[test]
fn a_proxy_with_an_incomplete_checklist_is_told_what_is_missing() {
    let (_d, path) = setup(|_| {});
    // Form yes, card yes, one passport only (menu item 4).
    let r = run(&path, Place::CounterByProxy, "\n4\ny\ny\n4\n");
    assert_eq!(r.outcome, Outcome::NotPossible, "{}", r.transcript);
    assert!(r.transcript.contains("the proxy's ID"));
    assert!(!r
        .transcript
        .contains("照会書兼回答書(兼委任状)), filled in entirely by the cardholder: ask"));
    assert_eq!(r.count(ins::GET_CHALLENGE, false), 0);
}

#[test]
fn a_proxy_with_a_complete_checklist_resets() {
    let (_d, path) = setup(|_| {});
    let menu = flow::document_menu();
    let passport = menu
        .iter()
        .position(|d| *d == mynacard::policy::IdDocument::Passport)
        .unwrap()
        + 1;
    let student = menu
        .iter()
        .position(|d| *d == mynacard::policy::IdDocument::StudentId)
        .unwrap()
        + 1;
    let script = format!("\n4\ny\ny\n{passport}, {student}\n2468\n2468\n");
    let r = run(&path, Place::CounterByProxy, &script);
    assert_eq!(r.outcome, Outcome::Done, "{}", r.transcript);
    assert!(r.transcript.contains("Proxy checklist complete."));
    assert!(card(&path).key_matches(App::TextAssist, text::PIN.0, b"2468"));
}

#[test]
fn bad_entries_are_asked_again_and_cost_nothing() {
    let (_d, path) = setup(|_| {});
    // A menu answer out of range; an auth PIN with a letter; a new password in lower case; two
    // entries that differ; then right.
    let r = run(
        &path,
        KIOSK,
        "\n7\n1\nmaybe\ny\n12a4\n1234\nnewpass1\nNEWPASS1\nNEWPASS2\nNEWPASS1\nNEWPASS1\n",
    );
    assert_eq!(r.outcome, Outcome::Done, "{}", r.transcript);
    assert!(r.transcript.contains("Please enter a number from 1 to 4."));
    assert!(r.transcript.contains("Please answer y or n."));
    assert!(r.transcript.contains("no try was spent"));
    assert!(r.transcript.contains("lower-case letters are not accepted"));
    assert!(r.transcript.contains("The two entries differ."));
    assert_eq!(r.count(ins::VERIFY, true), 1);
    assert_eq!(card(&path).tries_left(App::Jpki, AUTH), Some(3));
}

#[test]
fn a_script_that_ends_early_cancels_without_touching_the_card() {
    let (_d, path) = setup(|_| {});
    let r = run(&path, KIOSK, "\n1\ny\n1234\n");
    assert_eq!(r.outcome, Outcome::Cancelled);
    assert_eq!(r.count(ins::VERIFY, true), 0);
    let r = run(&path, KIOSK, "q\n");
    assert_eq!(r.outcome, Outcome::Cancelled);
    assert!(r.log.is_empty());
}

#[test]
fn no_card_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the state file should be: the card cannot be opened.
    let path = dir.path().join("card.json");
    std::fs::create_dir(&path).unwrap();
    let r = run(&path, KIOSK, "\n\n\n");
    assert_eq!(r.outcome, Outcome::NoCard);
    assert_eq!(r.transcript.matches("No card:").count(), 3);
    assert_eq!(Outcome::NoCard.exit_code(), 7);
}
