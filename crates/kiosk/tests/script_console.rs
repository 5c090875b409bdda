//! The script console (issue 12, items 8 and 9): the transcript echoes only answers valid for the
//! question asked; an unreadable line (not UTF-8, or over the limit) is a clear error, not the end
//! of the script; no line is stored beyond the limit.

use std::io::{BufRead, Read};
use std::path::Path;

use mynacard::apdu::ins;
use mynacard::applets::jpki;
use mynacard::policy::{KioskSupport, Place};
use mynacard::reset::{StandInAuthority, TerminalRole};
use mynacard::sim::{App, VirtualCard};
use mynacard::transport::{ExchangeLog, Recorder};
use mynacard::Card;
use mynacard_kiosk::console::{self, read_line_bounded, Input, ScriptConsole, MASK, MAX_LINE};
use mynacard_kiosk::flow::{Config, Outcome};
use mynacard_kiosk::text::Lang;

const KIOSK: Place = Place::Kiosk(KioskSupport::BothJpkiPins);
const AUTH: u16 = jpki::AUTH_PIN.0;

struct Run {
    outcome: Outcome,
    transcript: String,
    log: ExchangeLog,
}

fn run_with<R: BufRead>(state: &Path, lang: Lang, answers: R) -> Run {
    let config = Config {
        place: KIOSK,
        authority: Box::new(StandInAuthority::new(TerminalRole::SelfServiceKiosk)),
        card_label: "virtual card (test)".into(),
        lang,
    };
    let mut out = Vec::new();
    let mut console = ScriptConsole::new(answers, &mut out);
    let mut log = None;
    let mut open = || -> Result<Card<Recorder<VirtualCard>>, String> {
        let rec = Recorder::new(VirtualCard::open(state).map_err(|e| e.to_string())?);
        log = Some(rec.log());
        Ok(Card::new(rec))
    };
    let outcome = console::run(config, &mut console, &mut open);
    Run {
        outcome,
        transcript: String::from_utf8(out).unwrap(),
        log: log.unwrap_or_default(),
    }
}

fn run(state: &Path, answers: &[u8]) -> Run {
    run_with(state, Lang::En, answers)
}

fn state() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.json");
    (dir, path)
}

fn verifies(log: &ExchangeLog) -> usize {
    log.entries()
        .iter()
        .filter(|e| e.ins() == Some(ins::VERIFY) && e.command.len() > 4)
        .count()
}

#[test]
fn a_pin_typed_where_a_menu_choice_is_asked_is_never_shown() {
    let (_d, path) = state();
    // Answers out of order: the auth PIN at the PIN menu, the new password at the yes/no
    // question, the card insertion answered with a PIN too.
    let r = run(
        &path,
        b"7391\n7392\n1\nNEWPASS7\ny\n7393\nNEWPASS8\nNEWPASS8\n",
    );
    for secret in ["7391", "7392", "NEWPASS7", "7393", "NEWPASS8"] {
        assert!(
            !r.transcript.contains(secret),
            "{secret} shown:\n{}",
            r.transcript
        );
    }
    // The valid answers are echoed, the others masked (and asked again).
    assert!(
        r.transcript.contains("Enter 1-4 (q to quit): [hidden]"),
        "{}",
        r.transcript
    );
    assert!(r.transcript.contains("Enter 1-4 (q to quit): 1"));
    assert!(r.transcript.contains("(y/n) [hidden]"));
    assert!(r.transcript.contains("(y/n) y"));
    assert!(r.transcript.contains("Please enter a number from 1 to 4."));
    // 7393 reached the card as the auth PIN (wrong), and only it.
    assert_eq!(verifies(&r.log), 1);
    assert_eq!(r.outcome, Outcome::Cancelled, "{}", r.transcript);
}

#[test]
fn a_pin_typed_at_the_last_try_question_is_not_shown_and_refuses() {
    let (_d, path) = state();
    {
        let mut vc = VirtualCard::open(&path).unwrap();
        vc.set_tries_left(App::Jpki, AUTH, 1).unwrap();
    }
    let r = run(&path, b"\n1\ny\n1234\nNEWPASS1\nNEWPASS1\n1234\n");
    assert_eq!(r.outcome, Outcome::LastTryRefused, "{}", r.transcript);
    assert!(r
        .transcript
        .contains("Type YES to use the last try, anything else to stop: [hidden]"));
    assert_eq!(r.transcript.matches(MASK).count(), 4);
    assert_eq!(verifies(&r.log), 0);
}

#[test]
fn valid_visible_answers_are_echoed_as_typed() {
    let (_d, path) = state();
    let r = run(&path, b"\n2\nn\n");
    assert_eq!(r.outcome, Outcome::NotPossible);
    assert!(r.transcript.contains("Enter 1-4 (q to quit): 2"));
    assert!(r.transcript.contains("(y/n) n"));
    assert!(!r.transcript.contains(MASK));
}

#[test]
fn a_pin_shaped_menu_answer_is_neither_taken_nor_shown() {
    // Issue 20 item 4: "0002" parses as the number 2, but it is not how a choice is written; it
    // may be a PIN typed at the wrong question. Only the canonical spelling is a choice.
    for odd in ["0002", "02", "+2", "2 ", "0002,1"] {
        let (_d, path) = state();
        let r = run(&path, format!("\n{odd}\nq\n").as_bytes());
        assert_eq!(r.outcome, Outcome::Cancelled, "{odd}: {}", r.transcript);
        let shown = odd.trim();
        if shown == "2" {
            // Surrounding spaces are not part of the answer: "2" is a valid choice, shown as such.
            assert!(r.transcript.contains("Enter 1-4 (q to quit): 2\n"));
            continue;
        }
        assert!(
            !r.transcript.contains(shown),
            "{odd} echoed:\n{}",
            r.transcript
        );
        assert!(
            r.transcript.contains("Enter 1-4 (q to quit): [hidden]"),
            "{}",
            r.transcript
        );
        assert!(
            r.transcript.contains("Please enter a number from 1 to 4."),
            "{odd} was taken as a choice:\n{}",
            r.transcript
        );
        assert_eq!(verifies(&r.log), 0);
    }
}

#[test]
fn a_line_that_is_not_utf8_is_a_clear_error_not_the_end_of_the_script() {
    let (_d, path) = state();
    let r = run(&path, b"\n1\ny\n\xff\xfe1234\nNEWPASS1\nNEWPASS1\n");
    assert_eq!(r.outcome, Outcome::InvalidInput, "{}", r.transcript);
    assert!(
        !r.transcript.contains("<end of script>"),
        "{}",
        r.transcript
    );
    assert!(
        r.transcript
            .contains("The answer (line 4) is not UTF-8 text and cannot be read"),
        "{}",
        r.transcript
    );
    assert_eq!(verifies(&r.log), 0);
    assert_eq!(Outcome::InvalidInput.exit_code(), 6);
    // In Japanese too.
    let r = run_with(&path, Lang::Ja, &b"\xc3\n"[..]);
    assert_eq!(r.outcome, Outcome::InvalidInput);
    assert!(
        r.transcript.contains("1行目の回答はUTF-8の文字列ではない"),
        "{}",
        r.transcript
    );
}

#[test]
fn an_over_long_line_is_refused_without_being_stored() {
    let (_d, path) = state();
    let mut script = b"\n1\ny\n".to_vec();
    script.extend(std::iter::repeat_n(b'7', 5 * MAX_LINE));
    script.extend(b"\nNEWPASS1\nNEWPASS1\n");
    let r = run(&path, &script);
    assert_eq!(r.outcome, Outcome::InvalidInput, "{}", r.transcript);
    assert!(r.transcript.contains("too long"));
    assert!(!r.transcript.contains("7777"));
    assert_eq!(verifies(&r.log), 0);
}

/// A reader that yields `n` bytes of 'A' and no newline, and counts what was taken from it.
struct Endless {
    left: usize,
    buf: [u8; 4096],
}

impl Read for Endless {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = out.len().min(self.left);
        out[..n].fill(b'A');
        self.left -= n;
        Ok(n)
    }
}

impl BufRead for Endless {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        let n = self.buf.len().min(self.left);
        Ok(&self.buf[..n])
    }
    fn consume(&mut self, n: usize) {
        self.left -= n;
    }
}

#[test]
fn reading_a_huge_line_keeps_at_most_the_limit() {
    let mut r = Endless {
        left: 50 << 20,
        buf: [b'A'; 4096],
    };
    match read_line_bounded(&mut r) {
        Input::Unreadable { too_long: true, .. } => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(r.left, 0, "the line is consumed to its end");
    // A line of exactly the limit is read, with or without a CR before the newline.
    let line = vec![b'5'; MAX_LINE];
    for end in [&b"\n"[..], b"\r\n", b""] {
        let mut input = line.clone();
        input.extend(end);
        match read_line_bounded(&mut &input[..]) {
            Input::Line(s) => assert_eq!(s.len(), MAX_LINE),
            other => panic!("{other:?}"),
        }
    }
    let mut input = vec![b'5'; MAX_LINE + 1];
    input.push(b'\n');
    assert!(matches!(
        read_line_bounded(&mut &input[..]),
        Input::Unreadable { too_long: true, .. }
    ));
    assert!(matches!(read_line_bounded(&mut &b""[..]), Input::End));
    // The next line after an over-long one is read normally.
    let mut input = vec![b'9'; 3 * MAX_LINE];
    input.extend(b"\nq\n");
    let mut r = &input[..];
    assert!(matches!(
        read_line_bounded(&mut r),
        Input::Unreadable { .. }
    ));
    match read_line_bounded(&mut r) {
        Input::Line(s) => assert_eq!(s.as_str(), "q"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_transcript_is_the_same_flow_in_japanese() {
    let (_d, path) = state();
    let r = run_with(&path, Lang::Ja, &b"\n1\ny\n1234\nNEWPASS1\nNEWPASS1\n"[..]);
    assert_eq!(r.outcome, Outcome::Done, "{}", r.transcript);
    for expected in [
        "ステップ 1/7",
        "ステップ 7/7",
        "1. 署名用電子証明書の暗証番号: 残り5回（上限5回）",
        "利用者証明用電子証明書の暗証番号が分かりますか？ (y/n) y",
        "完了しました。カードをお取りください。",
    ] {
        assert!(
            r.transcript.contains(expected),
            "{expected}:\n{}",
            r.transcript
        );
    }
    assert_eq!(r.transcript.matches(console::MASK).count(), 3);
    assert!(!r.transcript.contains("Step "));
    assert!(!r.transcript.contains("Please"));
}
