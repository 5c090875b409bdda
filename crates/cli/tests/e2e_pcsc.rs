//! End to end through a real PC/SC stack: pcscd with vsmartcard's vpcd reader driver, the
//! virtual card served into it in process by the `mynacard-virtual-card` library, and three kinds of client: the `myna`
//! CLI (`--reader`), the library's `PcscTransport`, and OpenSC.
//!
//! Needs pcscd running with vsmartcard-vpcd (readers "Virtual PCD 00 00" and "... 00 01" on
//! 127.0.0.1:35963 and :35964) and OpenSC's tools; `.ci/e2e.sh` installs and starts them. The
//! tests share the two reader slots, so they take turns (one lock); each starts its own virtual
//! card with a fresh state file.

#![cfg(feature = "pcsc")]

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use mynacard::applets::{self, jpki};
use mynacard::credential::AuthPin;
use mynacard::pcsc::{self as mpcsc, Extended, Options, PcscTransport, ReaderChoice, Share};
use mynacard::pin::PinKind;
use mynacard::session::{FileSize, Support};
use mynacard::sim::{App, VirtualCard};
use mynacard::transport::{Transport, TransportCaps, TransportError, Wrapper};
use mynacard::{Card, Error};

mod e2e_support;
use e2e_support::{reader_name, serial, wait_presence, VCard};

const AUTH_CERT: &[u8] = include_bytes!("data/jpki-auth-cert.der");
const AUTH_CA_CERT: &[u8] = include_bytes!("data/jpki-auth-ca-cert.der");
const SELECT_JPKI: &str = "00A4040C0AD392F000260100000001";
const SELECT_TEXT: &str = "00A4040C0AD3921000310001010408";

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// Runs the `myna` CLI with PINs on standard input.
fn myna(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_myna"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start myna");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().expect("myna output")
}

/// The card's log once `ready` holds, or after 3 s. vpcd passes a power-off on to the card
/// without waiting for it, so the card may log it a moment after the client's call returns.
fn tokens_once(vc: &VCard, ready: impl Fn(&[String]) -> bool) -> Vec<String> {
    let until = Instant::now() + Duration::from_secs(3);
    loop {
        let t = vc.tokens();
        if ready(&t) || Instant::now() >= until {
            return t;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", text(&o.stdout), text(&o.stderr)))
}

/// The auth PIN's tries left in `myna status --json` output.
fn auth_tries(v: &serde_json::Value) -> u64 {
    v["pins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "user_auth")
        .unwrap()["refs"][0]["tries_left"]
        .as_u64()
        .unwrap()
}

fn shared() -> Options {
    Options {
        share: Share::Shared,
        timeout: Duration::from_secs(10),
        extended: Extended::Auto,
        linger: mynacard::pcsc::DEFAULT_LINGER,
    }
}

/// Reads the auth certificate with the library, in one transaction.
fn read_auth_cert<T: Transport>(card: &mut Card<T>) -> Result<Vec<u8>, Error> {
    card.session_mut().transaction(|s| {
        s.select_df(&applets::JPKI)?;
        s.read_file(jpki::AUTH_CERT, FileSize::Tlv { likely_large: true })
    })
}

fn opensc(tool: &str, args: &[&str]) -> Output {
    Command::new(tool)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{tool} (OpenSC) not runnable: {e}"))
}

/// Decodes the body of a PEM block.
fn pem_to_der(pem: &str) -> Vec<u8> {
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a') as u32 + 26,
            b'0'..=b'9' => (c - b'0') as u32 + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("not base64: {c}"),
        }
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in body.bytes().filter(|&c| c != b'=') {
        acc = (acc << 6) | val(c);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The CLI
// ---------------------------------------------------------------------------------------------

#[test]
fn cli_status_verify_change_through_pcscd() {
    let _g = serial();
    let vc = VCard::start(0, &[]);
    let reader = vc.reader.clone();

    let st = myna(&["--reader", "auto", "--json", "status"], "");
    assert!(st.status.success(), "{}", text(&st.stderr));
    assert_eq!(auth_tries(&json(&st)), 3);

    let ok = myna(
        &["--reader", "auto", "verify", "auth", "--pin-stdin"],
        "1234\n",
    );
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).contains("verified"));

    let wrong = myna(
        &[
            "--reader",
            &reader,
            "--json",
            "verify",
            "auth",
            "--pin-stdin",
        ],
        "9999\n",
    );
    assert_eq!(wrong.status.code(), Some(3), "{}", text(&wrong.stdout));
    assert_eq!(json(&wrong)["tries_left"], 2);

    let st = myna(&["--reader", "auto", "--json", "status"], "");
    assert_eq!(auth_tries(&json(&st)), 2);

    let ch = myna(
        &["--reader", "auto", "change", "auth", "--pin-stdin"],
        "1234\n5678\n",
    );
    assert!(ch.status.success(), "{}", text(&ch.stderr));
    let old = myna(
        &["--reader", "auto", "verify", "auth", "--pin-stdin"],
        "1234\n",
    );
    assert_eq!(
        old.status.code(),
        Some(3),
        "the old PIN must no longer work"
    );
    let new = myna(
        &["--reader", "auto", "verify", "auth", "--pin-stdin"],
        "5678\n",
    );
    assert!(new.status.success(), "{}", text(&new.stderr));

    // The card's log: PINs masked, and every command that sent a PIN is followed by a
    // power-off (the CLI disconnects with "unpower") before any other command.
    let log = vc.log();
    for pin in ["1234", "9999", "5678"] {
        assert!(
            !log.contains(&hex::encode_upper(pin)),
            "PIN {pin} in the card log"
        );
    }
    let t = vc.tokens();
    let secret_at: Vec<usize> = t
        .iter()
        .enumerate()
        .filter(|(_, c)| (c.starts_with("002000") || c.starts_with("00240180")) && c.len() > 8)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(secret_at.len(), 6, "{t:?}"); // 4 verifies + the change's verify and change
    for i in secret_at {
        let next = &t[i + 1];
        assert!(
            next == "OFF" || next.starts_with("00240180"),
            "after {} came {next}, not a power-off",
            t[i]
        );
    }

    // The counters and the new PIN reached the state file through the whole stack.
    let dir = vc.stop();
    let card = VirtualCard::open(&dir.path().join("state.json")).unwrap();
    assert!(card.key_matches(App::Jpki, jpki::AUTH_PIN.0, b"5678"));
    assert_eq!(card.tries_left(App::Jpki, jpki::AUTH_PIN.0), Some(3));
}

#[test]
fn cli_finds_the_card_by_its_application_not_its_atr() {
    let _g = serial();
    // Slot 0: a card with the My Number ATR but no JPKI application. Slot 1: the real thing.
    let decoy = VCard::start(0, &["--decoy"]);
    let vc = VCard::start(1, &[]);

    let out = myna(&["--reader", "auto", "--json", "status"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(auth_tries(&json(&out)), 3);
    assert!(
        text(&out.stderr).contains(&format!(
            "the card in \"{}\" is not a My Number Card",
            decoy.reader
        )),
        "{}",
        text(&out.stderr)
    );
    assert!(vc.tokens().iter().any(|c| c == "0020009B"));
    // The decoy was asked by AID and answered 6A82.
    assert!(decoy.log().contains(&format!("> {SELECT_JPKI}  < 6A82")));

    // Naming the decoy's reader: it is not a My Number Card, and waiting does not change that.
    let out = myna(&["--reader", &decoy.reader, "--wait", "1", "status"], "");
    assert_eq!(out.status.code(), Some(7));
    let err = text(&out.stderr);
    assert!(
        err.contains("no My Number Card found") && err.contains("other cards in"),
        "{err}"
    );

    // An unknown reader name lists the readers there are.
    let out = myna(&["--reader", "no such reader", "status"], "");
    assert_eq!(out.status.code(), Some(7));
    assert!(
        text(&out.stderr).contains(&vc.reader),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn cli_waits_for_the_card_with_a_message_and_a_timeout() {
    let _g = serial();
    for slot in [0, 1] {
        wait_presence(&reader_name(slot), false);
    }
    let t0 = Instant::now();
    let out = myna(&["--reader", "auto", "--wait", "1", "status"], "");
    assert_eq!(out.status.code(), Some(7));
    assert!(t0.elapsed() >= Duration::from_secs(1));
    let err = text(&out.stderr);
    assert!(err.contains("insert a My Number Card into"), "{err}");
    assert!(err.contains("no My Number Card found"), "{err}");

    // Insert the card while the CLI waits.
    let waiting = Command::new(env!("CARGO_BIN_EXE_myna"))
        .args(["--reader", "auto", "--wait", "20", "--json", "status"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    thread::sleep(Duration::from_millis(800));
    let _vc = VCard::start(0, &[]);
    let out = waiting.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("(waiting up to 20 s)"));
    assert_eq!(auth_tries(&json(&out)), 3);
}

// ---------------------------------------------------------------------------------------------
// The library's PcscTransport
// ---------------------------------------------------------------------------------------------

#[test]
fn library_reads_the_auth_certificate_with_and_without_extended_length() {
    let _g = serial();
    let cert = tests_data("jpki-auth-cert.der");
    let vc = VCard::start(0, &["--auth-cert", &cert]);

    // The reader (vpcd) does not tell; extended length is tried and works: SELECT + one READ.
    let t = mpcsc::open(&ReaderChoice::Auto, &shared(), &mut |_| {}).unwrap();
    assert_eq!(t.reader(), vc.reader);
    assert_eq!(t.atr(), mynacard::sim::ATR_CONTACT);
    let before = vc.log_len() - 1;
    let mut card = Card::new(t);
    assert_eq!(read_auth_cert(&mut card).unwrap(), AUTH_CERT);
    assert_eq!(card.session().capabilities().extended, Support::Yes);
    // The discovery's SELECT serves the session (the card was kept in between): one READ.
    assert_eq!(card.exchanges(), 1);
    assert_eq!(vc.tokens()[before], SELECT_JPKI);
    assert_eq!(vc.log_len() - before, 2, "{:?}", &vc.tokens()[before..]);
    drop(card);

    // Short APDUs only (a reader that cannot carry extended ones): the same bytes, in chunks.
    let before = vc.log_len();
    let opts = Options {
        extended: Extended::Never,
        ..shared()
    };
    let t = PcscTransport::connect(&vc.reader, &opts).unwrap();
    assert_eq!(
        t.caps(),
        TransportCaps {
            extended_length: false
        }
    );
    let mut card = Card::new(t);
    assert_eq!(read_auth_cert(&mut card).unwrap(), AUTH_CERT);
    assert!(card.exchanges() >= 8, "{} exchanges", card.exchanges());
    let reads: Vec<String> = vc.tokens()[before..]
        .iter()
        .filter(|c| c.starts_with("00B0"))
        .cloned()
        .collect();
    assert!(!reads.is_empty());
    assert!(
        reads.iter().all(|c| c.len() == 10),
        "an extended APDU was sent: {reads:?}"
    );
    drop(card);
    drop(vc);

    // A card that refuses extended length (6700): the session learns it and falls back.
    let vc = VCard::start(0, &["--auth-cert", &cert, "--no-extended"]);
    let t = PcscTransport::connect(&vc.reader, &shared()).unwrap();
    let mut card = Card::new(t);
    assert_eq!(read_auth_cert(&mut card).unwrap(), AUTH_CERT);
    assert_eq!(card.session().capabilities().extended, Support::No);
    // The card refused the extended READ BINARY; nothing failed because of it.
    assert!(
        vc.log().contains("> 00B08A00000000  < [0 bytes] 6700"),
        "{}",
        vc.log()
    );
}

fn tests_data(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

#[test]
fn a_reset_by_another_program_is_reported_and_the_next_operation_reselects() {
    let _g = serial();
    let vc = VCard::start(0, &[]);
    let mut card = Card::new(PcscTransport::connect(&vc.reader, &shared()).unwrap());
    card.verify(&AuthPin::parse("1234").unwrap()).unwrap();
    assert_eq!(
        card.pin_status(PinKind::UserAuth).unwrap().refs[0].state,
        mynacard::pin::RetryState::Verified
    );

    // Another program resets the card.
    let ctx = pcsc::Context::establish(pcsc::Scope::User).unwrap();
    let other = ctx
        .connect(
            &std::ffi::CString::new(vc.reader.clone()).unwrap(),
            pcsc::ShareMode::Shared,
            pcsc::Protocols::ANY,
        )
        .unwrap();
    other
        .disconnect(pcsc::Disposition::ResetCard)
        .map_err(|(_, e)| e)
        .unwrap();
    assert!(vc.log().contains("reset"));

    // The next operation says so, and sends nothing after the failure.
    let before = vc.log_len();
    let err = card.pin_status(PinKind::UserAuth).unwrap_err();
    assert_eq!(err, Error::CardReset);
    assert!(err.to_string().contains("PIN verification is lost"));
    assert!(card.session().reset_seen());
    assert_eq!(card.session().selected(), (None, None));
    assert!(vc.log_len() - before <= 1, "{:?}", &vc.tokens()[before..]);

    // The connection was re-established: the next operation selects again and works.
    let before = vc.log_len();
    card.pin_status(PinKind::UserAuth).unwrap();
    assert_eq!(vc.tokens()[before], SELECT_JPKI);
}

/// A transport that pulls the card (stops the virtual card) just before its `n`-th command.
struct PullAt<'a> {
    inner: PcscTransport,
    n: usize,
    vc: &'a mut VCard,
}

impl Wrapper for PullAt<'_> {
    type Inner = PcscTransport;
    fn inner(&self) -> &PcscTransport {
        &self.inner
    }
    fn inner_mut(&mut self) -> &mut PcscTransport {
        &mut self.inner
    }
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.n == 0 {
            self.vc.kill();
        }
        self.n = self.n.wrapping_sub(1);
        self.inner.transmit(command)
    }
}

#[test]
fn a_card_pulled_out_mid_operation_gives_a_clear_error() {
    let _g = serial();
    let mut vc = VCard::start(0, &[]);
    let reader = vc.reader.clone();
    let inner = PcscTransport::connect(&reader, &shared()).unwrap();
    // status_all is nine commands in one transaction; pull the card before the fourth.
    let mut card = Card::new(PullAt {
        inner,
        n: 3,
        vc: &mut vc,
    });
    let err = card.status_all().unwrap_err();
    assert_eq!(err, Error::Transport(TransportError::CardRemoved));
    assert!(err.to_string().contains("no card in the reader"), "{err}");
    let inner = card.into_transport().inner;

    // Put a card back: the same transport connects again.
    let dir = vc.stop();
    let vc = VCard::start_in(dir, 0, &[]);
    let mut card = Card::new(inner);
    assert_eq!(card.status_all().unwrap().len(), 4);
    drop(vc);

    // The CLI's message when the card is gone before it starts.
    let out = myna(&["--reader", &reader, "--wait", "1", "status"], "");
    assert_eq!(out.status.code(), Some(7));
}

#[test]
fn pin_use_ends_with_unpower_even_without_an_explicit_call() {
    let _g = serial();
    let vc = VCard::start(0, &[]);
    let excl = Options {
        share: Share::Exclusive,
        ..shared()
    };
    // Exclusive: nobody else can even connect while the PIN is verified.
    let mut card = Card::new(PcscTransport::connect(&vc.reader, &excl).unwrap());
    card.verify(&AuthPin::parse("1234").unwrap()).unwrap();
    let err = PcscTransport::connect(
        &vc.reader,
        &Options {
            timeout: Duration::from_millis(300),
            ..shared()
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("in use"), "{err}");
    // Dropped without unpower(): the transport unpowers because a PIN was sent.
    drop(card);
    let t = tokens_once(&vc, |t| t.last().map(String::as_str) == Some("OFF"));
    assert_eq!(t.last().map(String::as_str), Some("OFF"), "{t:?}");
    // The verification did not outlive the connection.
    let mut card = Card::new(PcscTransport::connect(&vc.reader, &shared()).unwrap());
    assert_eq!(
        card.pin_status(PinKind::UserAuth).unwrap().refs[0].state,
        mynacard::pin::RetryState::TriesLeft(3)
    );
    // A read-only connection leaves the card powered.
    let n = vc.log_len();
    drop(card);
    thread::sleep(Duration::from_millis(200));
    assert_eq!(vc.log_len(), n, "{:?}", &vc.tokens()[n..]);
}

#[test]
fn cli_pin_commands_wait_for_another_program_to_release_the_card() {
    let _g = serial();
    let vc = VCard::start(0, &[]);
    // Another program has the card open (shared): an exclusive connection must wait for it.
    let other = PcscTransport::connect(&vc.reader, &shared()).unwrap();
    let out = myna(
        &[
            "--reader",
            "auto",
            "--wait",
            "1",
            "verify",
            "auth",
            "--pin-stdin",
        ],
        "1234\n",
    );
    assert_eq!(out.status.code(), Some(7));
    let err = text(&out.stderr);
    assert!(
        err.contains("another program is using the card in")
            && err.contains("stayed in use by another program"),
        "{err}"
    );
    // Nothing reached the card but the probe's SELECT.
    assert!(!vc.tokens().iter().any(|c| c.starts_with("0020")));

    let waiting = Command::new(env!("CARGO_BIN_EXE_myna"))
        .args([
            "--reader",
            "auto",
            "--wait",
            "20",
            "verify",
            "auth",
            "--pin-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut waiting = waiting;
    waiting.stdin.take().unwrap().write_all(b"1234\n").unwrap();
    thread::sleep(Duration::from_millis(700));
    drop(other);
    let out = waiting.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("another program is using the card in"));
}

// ---------------------------------------------------------------------------------------------
// Two processes contending for the card
// ---------------------------------------------------------------------------------------------

/// Checks that the card's log is made of whole operations: every PIN VERIFY (`00200098` with
/// data) comes right after the guard's counter read (`00200098`) while JPKI is the selected
/// application, and is followed by `then`; every text-assist query (`00200091`) is sent while
/// text assist is selected. The selected application is followed through the log (a SELECT
/// sets it, a power-off clears it), because a program whose connection kept the card between
/// two operations does not select again. The contender only sends text-assist commands and the
/// PIN process only JPKI ones, so any interleaving breaks one of the two. Returns the PIN
/// VERIFYs and the text-assist queries counted.
fn assert_not_interleaved(t: &[String], then: Option<&str>) -> (usize, usize) {
    let mut pins = 0;
    let mut texts = 0;
    let mut current: Option<&str> = None;
    for (i, c) in t.iter().enumerate() {
        if c.starts_with("00A4040C") {
            current = Some(c.as_str());
        } else if c == "OFF" {
            current = None;
        }
        if c.starts_with("00200098") && c.len() > 8 {
            pins += 1;
            assert!(
                i >= 1 && t[i - 1] == "00200098" && current == Some(SELECT_JPKI),
                "PIN operation interleaved before #{i}: {:?}",
                &t[i.saturating_sub(4)..(i + 2).min(t.len())]
            );
            if let Some(next) = then {
                assert_eq!(
                    t.get(i + 1).map(String::as_str),
                    Some(next),
                    "PIN operation interleaved after #{i}: {:?}",
                    &t[i.saturating_sub(2)..(i + 4).min(t.len())]
                );
            }
        }
        if c == "00200091" {
            texts += 1;
            assert_eq!(
                current,
                Some(SELECT_TEXT),
                "text-assist query without text assist selected at #{i}: {:?}",
                &t[i.saturating_sub(3)..(i + 1).min(t.len())]
            );
        }
    }
    (pins, texts)
}

#[test]
fn the_interleaving_check_catches_interleaving() {
    // Pure: no reader needed. The check must fail on each kind of interleaving.
    let t = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let pin = "00200098042A2A2A2A";
    let whole = t(&[SELECT_JPKI, "00200098", pin, "OFF", SELECT_TEXT, "00200091"]);
    assert_eq!(assert_not_interleaved(&whole, Some("OFF")), (1, 1));
    // A connection that kept the card does not select again: still whole.
    let kept = t(&[
        SELECT_TEXT,
        "00200091",
        "00200091",
        SELECT_JPKI,
        "00200098",
        pin,
        "00200098",
        pin,
    ]);
    assert_eq!(assert_not_interleaved(&kept, None), (2, 2));
    for bad in [
        t(&[SELECT_JPKI, SELECT_TEXT, "00200098", pin, "OFF", "00200091"]),
        t(&[SELECT_JPKI, "00200098", SELECT_TEXT, pin, "OFF", "00200091"]),
        t(&[SELECT_JPKI, "00200098", pin, SELECT_TEXT, "OFF", "00200091"]),
        t(&[SELECT_TEXT, SELECT_JPKI, "00200098", pin, "OFF", "00200091"]),
        t(&[
            SELECT_JPKI,
            "00200098",
            pin,
            SELECT_TEXT,
            "00200091",
            "00200098",
            pin,
        ]),
        t(&[SELECT_TEXT, "00200091", SELECT_JPKI, "00200098", "00200091"]),
    ] {
        let caught = std::panic::catch_unwind(|| assert_not_interleaved(&bad, Some("OFF")));
        assert!(caught.is_err(), "not caught: {bad:?}");
    }
}

/// Child-process half of the contention tests: queries the text-assist PIN's counter in a
/// loop, each query one transaction (SELECT text-assist + case-1 VERIFY). Its connection does
/// not keep the card between queries (`linger` zero), as a program that only uses transactions.
#[test]
#[ignore = "helper: run as a child process by the contention tests"]
fn contender_child() {
    let reader = std::env::var("MYNACARD_E2E_READER")
        .expect("run by the contention tests, with MYNACARD_E2E_READER set");
    let rounds: usize = std::env::var("MYNACARD_E2E_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    let reconnect = std::env::var("MYNACARD_E2E_RECONNECT").is_ok();
    let opts = Options {
        timeout: Duration::from_secs(30),
        linger: Duration::ZERO,
        ..shared()
    };
    let mut card = Card::new(PcscTransport::connect(&reader, &opts).unwrap());
    for _ in 0..rounds {
        if reconnect {
            card = Card::new(PcscTransport::connect(&reader, &opts).unwrap());
        }
        let st = card.pin_status(PinKind::TextAssist).unwrap();
        assert_eq!(st.tries_left(), Some(3));
        // A pause between operations, as a real program has. (A program that begins its next
        // transaction the instant it ends one keeps others waiting: pcsc-lite's waiters poll.)
        thread::sleep(Duration::from_millis(5));
    }
}

fn spawn_contender(reader: &str, rounds: usize, reconnect: bool) -> Child {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["contender_child", "--exact", "--ignored", "--nocapture"])
        .env("MYNACARD_E2E_READER", reader)
        .env("MYNACARD_E2E_ROUNDS", rounds.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if reconnect {
        cmd.env("MYNACARD_E2E_RECONNECT", "1");
    }
    cmd.spawn().expect("start the contender process")
}

fn finish_contender(c: Child) {
    let out = c.wait_with_output().unwrap();
    assert!(
        out.status.success() && text(&out.stdout).contains("1 passed"),
        "contender failed:\n{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn cli_pin_operations_are_not_interleaved_with_another_process() {
    let _g = serial();
    let vc = VCard::start(0, &[]);
    // The other process connects shared for each query, as a well-behaved reader app does.
    let contender = spawn_contender(&vc.reader, 60, true);
    for _ in 0..5 {
        let out = myna(
            &["--reader", &vc.reader, "verify", "auth", "--pin-stdin"],
            "1234\n",
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    finish_contender(contender);
    let (pins, texts) = assert_not_interleaved(&vc.tokens(), Some("OFF"));
    assert_eq!(pins, 5);
    assert_eq!(texts, 60);
}

#[test]
fn shared_connections_keep_each_operation_in_one_transaction() {
    let _g = serial();
    let vc = VCard::start(0, &[]);
    // Both processes hold shared connections for the whole test; only transactions separate
    // their commands.
    let mut contender = spawn_contender(&vc.reader, 80, false);
    // Neither keeps the card between operations here (see the next test for that).
    let no_linger = Options {
        linger: Duration::ZERO,
        ..shared()
    };
    let mut card = Card::new(PcscTransport::connect(&vc.reader, &no_linger).unwrap());
    let pin = AuthPin::parse("1234").unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut rounds = 0;
    // Keep going for as long as the contender runs.
    while contender.try_wait().unwrap().is_none() && Instant::now() < deadline {
        card.verify(&pin).unwrap();
        rounds += 1;
        thread::sleep(Duration::from_millis(5));
    }
    finish_contender(contender);
    // Only now: dropping a connection that sent a PIN unpowers the card, and the contender's
    // connection would see that as a reset.
    drop(card);
    let t = vc.tokens();
    let (pins, texts) = assert_not_interleaved(&t, None);
    assert_eq!(pins, rounds);
    assert_eq!(texts, 80);
    // They did run alongside: some PIN operations came between two of the other's queries.
    let first_text = t.iter().position(|c| c == SELECT_TEXT).unwrap();
    let last_text = t.iter().rposition(|c| c == SELECT_TEXT).unwrap();
    let pins_between = t[first_text..last_text]
        .iter()
        .filter(|c| c.starts_with("00200098") && c.len() > 8)
        .count();
    assert!(
        pins_between > 0,
        "the two processes never overlapped: {}",
        t.iter()
            .map(|c| if c == SELECT_TEXT {
                "T"
            } else if c.len() > 8 && c.starts_with("002000") {
                "P"
            } else {
                ""
            })
            .collect::<String>()
    );
}

#[test]
fn a_connection_that_keeps_the_card_between_operations_still_lets_others_in() {
    let _g = serial();
    let vc = VCard::start(0, &[]);
    // This program works without pause on a connection that keeps the card between
    // operations (the default linger): each operation begins within the linger of the last.
    let mut card = Card::new(PcscTransport::connect(&vc.reader, &shared()).unwrap());
    card.pin_status(PinKind::UserAuth).unwrap();
    let mut contender = spawn_contender(&vc.reader, 3, false);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(20);
    let mut rounds = 0;
    while contender.try_wait().unwrap().is_none() && Instant::now() < deadline {
        card.pin_status(PinKind::UserAuth).unwrap();
        rounds += 1;
        thread::sleep(Duration::from_millis(5));
    }
    // The card is kept at most 2 s in a row, then left free for as long: the other program got
    // its turn while this one was still working, long before the deadline.
    assert!(
        Instant::now() < deadline,
        "the other program never got the card in {:?} ({rounds} operations here)",
        started.elapsed()
    );
    finish_contender(contender);
    drop(card);
    let (_, texts) = assert_not_interleaved(&vc.tokens(), None);
    assert_eq!(texts, 3);
}

// ---------------------------------------------------------------------------------------------
// OpenSC, an independent PC/SC client
// ---------------------------------------------------------------------------------------------

#[test]
fn opensc_identifies_the_card_and_reads_the_same_certificate() {
    let _g = serial();
    let vc = VCard::start(
        0,
        &[
            "--auth-cert",
            &tests_data("jpki-auth-cert.der"),
            "--auth-ca-cert",
            &tests_data("jpki-auth-ca-cert.der"),
        ],
    );

    let name = opensc("opensc-tool", &["--reader", &vc.reader, "--name"]);
    assert!(name.status.success(), "{}", text(&name.stderr));
    assert_eq!(text(&name.stdout).trim(), "jpki", "OpenSC's JPKI driver");

    let list = opensc(
        "pkcs15-tool",
        &["--reader", &vc.reader, "--list-certificates"],
    );
    assert!(list.status.success(), "{}", text(&list.stderr));
    let listing = text(&list.stdout);
    assert!(
        listing.contains("X.509 Certificate [User Authentication Certificate]"),
        "{listing}"
    );
    let auth_block = listing
        .split("X.509 Certificate [")
        .find(|b| b.starts_with("User Authentication Certificate]"))
        .unwrap();
    assert!(auth_block.contains("Path           : 000a"), "{auth_block}");
    let id = auth_block
        .lines()
        .find_map(|l| l.trim().strip_prefix("ID             : "))
        .expect("certificate ID")
        .trim()
        .to_owned();

    let read = opensc(
        "pkcs15-tool",
        &["--reader", &vc.reader, "--read-certificate", &id],
    );
    assert!(read.status.success(), "{}", text(&read.stderr));
    let opensc_der = pem_to_der(&text(&read.stdout));

    let mut card = Card::new(PcscTransport::connect(&vc.reader, &shared()).unwrap());
    let ours = read_auth_cert(&mut card).unwrap();
    assert_eq!(
        opensc_der, ours,
        "OpenSC and the library read different bytes"
    );
    assert_eq!(ours, AUTH_CERT);

    // The CA certificate too, through OpenSC's own path.
    let ca_id = listing
        .split("X.509 Certificate [")
        .find(|b| b.starts_with("User Authentication Certificate CA]"))
        .and_then(|b| {
            b.lines()
                .find_map(|l| l.trim().strip_prefix("ID             : "))
        })
        .unwrap()
        .trim()
        .to_owned();
    let read = opensc(
        "pkcs15-tool",
        &["--reader", &vc.reader, "--read-certificate", &ca_id],
    );
    assert_eq!(pem_to_der(&text(&read.stdout)), AUTH_CA_CERT);
}

// ---------------------------------------------------------------------------------------------
// Certificates and signing through the CLI
// ---------------------------------------------------------------------------------------------

#[test]
fn cli_cert_reads_the_auth_certificate_through_pcscd() {
    let _g = serial();
    let vc = VCard::start(0, &["--auth-cert", &tests_data("jpki-auth-cert.der")]);
    let out_file = vc.dir.path().join("auth.der");
    let out = myna(
        &[
            "--reader",
            "auto",
            "cert",
            "auth",
            "--format",
            "der",
            "--out",
            out_file.to_str().unwrap(),
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(&out_file).unwrap(), AUTH_CERT);
}

#[test]
fn cli_cert_costs_two_exchanges_on_the_card_and_trace_counts_them_all() {
    let _g = serial();
    let vc = VCard::start(0, &["--auth-cert", &tests_data("jpki-auth-cert.der")]);
    let out_file = vc.dir.path().join("auth.der");
    let before = vc.tokens().len();
    let out = myna(
        &[
            "--trace",
            "--reader",
            "auto",
            "cert",
            "auth",
            "--format",
            "der",
            "--out",
            out_file.to_str().unwrap(),
        ],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(&out_file).unwrap(), AUTH_CERT);
    // The card's own log: the discovery SELECT, then one READ; the session does not select
    // JPKI again.
    let commands: Vec<String> = vc.tokens()[before..]
        .iter()
        .filter(|t| *t != "OFF")
        .cloned()
        .collect();
    assert_eq!(commands.len(), 2, "{commands:?}\n{}", vc.log());
    assert_eq!(commands[0], SELECT_JPKI);
    assert!(commands[1].starts_with("00B0"), "{commands:?}");
    // --trace counts every exchange the card saw, the discovery included.
    let err = text(&out.stderr);
    let count = err
        .lines()
        .find_map(|l| l.strip_prefix("myna: ")?.strip_suffix(" exchanges"))
        .unwrap_or_else(|| panic!("no exchange count in {err}"));
    assert_eq!(count.parse::<usize>().unwrap(), commands.len(), "{err}");
}

/// The exchanges `myna --trace <args>` reports on the built-in virtual card (no PC/SC, no
/// discovery).
fn exchanges_on_the_builtin_card(args: &[&str]) -> usize {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let mut all = vec!["--trace", "--sim-state", state.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = myna(&all, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    trace_count(&out)
}

fn trace_count(out: &Output) -> usize {
    let err = text(&out.stderr);
    err.lines()
        .find_map(|l| l.strip_prefix("myna: ")?.strip_suffix(" exchanges"))
        .unwrap_or_else(|| panic!("no exchange count in {err}"))
        .parse()
        .unwrap()
}

#[test]
fn status_through_pcscd_costs_what_it_costs_in_process_and_trace_counts_it_all() {
    let _g = serial();
    let vc = VCard::start(0, &[]);
    let before = vc.tokens().len();
    // `status` connects shared: the discovery SELECT runs inside a PC/SC transaction that the
    // connection keeps for the session's first operation, so the session does not select JPKI
    // again, and the card sees exactly what the in-process virtual card sees.
    let out = myna(&["--trace", "--reader", "auto", "status"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let commands: Vec<String> = vc.tokens()[before..]
        .iter()
        .filter(|t| *t != "OFF")
        .cloned()
        .collect();
    assert_eq!(commands[0], SELECT_JPKI, "{commands:?}");
    assert_eq!(
        commands.iter().filter(|c| *c == SELECT_JPKI).count(),
        1,
        "JPKI selected once: {commands:?}"
    );
    let in_process = exchanges_on_the_builtin_card(&["status"]);
    assert_eq!(commands.len(), in_process, "{commands:?}\n{}", vc.log());
    assert_eq!(commands.len(), 9, "{commands:?}");
    // --trace counts every exchange the card saw, the discovery included.
    assert_eq!(trace_count(&out), commands.len(), "{}", vc.log());
}

#[test]
fn a_shared_connection_selects_again_once_it_has_let_the_card_go() {
    let _g = serial();
    let vc = VCard::start(0, &[]);
    let opts = shared();
    let before = vc.tokens().len();
    let t = mpcsc::open(&ReaderChoice::Name(vc.reader.clone()), &opts, &mut |_| {}).unwrap();
    let mut card = Card::new(t);
    // Operations that follow one another within the linger: the discovery's SELECT serves all.
    for _ in 0..3 {
        let st = card.pin_status(PinKind::UserAuth).unwrap();
        assert_eq!(st.refs[0].state, mynacard::pin::RetryState::TriesLeft(3));
    }
    let sent: Vec<String> = vc.tokens()[before..].to_vec();
    assert_eq!(sent[0], SELECT_JPKI, "{sent:?}");
    assert_eq!(
        sent.iter().filter(|c| *c == SELECT_JPKI).count(),
        1,
        "{sent:?}"
    );
    assert_eq!(sent.len(), 4, "discovery and three counter reads: {sent:?}");

    // While the connection keeps the card, another program's command waits (pcsc-lite holds it
    // until the card is released), then goes through.
    let mut other = PcscTransport::connect(
        &vc.reader,
        &Options {
            linger: Duration::ZERO,
            ..shared()
        },
    )
    .unwrap();
    let mut select_text = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
    select_text.extend_from_slice(applets::TEXT_ASSIST.as_bytes());
    card.pin_status(PinKind::UserAuth).unwrap();
    let asked = Instant::now();
    assert_eq!(other.transmit(&select_text).unwrap(), vec![0x90, 0x00]);
    assert!(
        asked.elapsed() >= opts.linger / 2,
        "another program reached the card after {:?}, while it was kept",
        asked.elapsed()
    );
    drop(other);
    // The other program has selected text assist: our next operation, no longer trusting its
    // selection, selects JPKI again and reads the right counter.
    let mark = vc.tokens().len();
    let st = card.pin_status(PinKind::UserAuth).unwrap();
    assert_eq!(st.refs[0].state, mynacard::pin::RetryState::TriesLeft(3));
    let sent: Vec<String> = vc.tokens()[mark..].to_vec();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(sent[0], SELECT_JPKI, "{sent:?}");
    assert!(sent[1].starts_with("00200098"), "{sent:?}");
}

#[test]
fn without_a_linger_every_transaction_on_a_shared_connection_selects_again() {
    let _g = serial();
    let vc = VCard::start(0, &[]);
    let opts = Options {
        linger: Duration::ZERO,
        ..shared()
    };
    let before = vc.tokens().len();
    let t = mpcsc::open(&ReaderChoice::Name(vc.reader.clone()), &opts, &mut |_| {}).unwrap();
    let mut card = Card::new(t);
    card.pin_status(PinKind::UserAuth).unwrap();
    card.pin_status(PinKind::UserAuth).unwrap();
    let sent: Vec<String> = vc.tokens()[before..].to_vec();
    assert_eq!(
        sent.iter().filter(|c| *c == SELECT_JPKI).count(),
        3,
        "discovery, then one per transaction: {sent:?}"
    );
}

#[test]
fn cli_secure_messaging_and_the_master_file_through_pcscd() {
    let _g = serial();
    let vc = VCard::start(0, &[]);
    let before = vc.tokens().len();
    let out = myna(
        &[
            "--reader",
            "auto",
            "--pin-stdin",
            "--json",
            "info",
            "--secure-messaging",
        ],
        "1234\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v = json(&out);
    assert_eq!(v["secure_messaging"], true);
    assert!(v["name"].as_str().is_some_and(|n| !n.is_empty()));
    let t = vc.tokens()[before..].to_vec();
    // SET SESSION KEY (extended Lc through vpcd), then the SM SELECT and READ.
    assert!(t.iter().any(|c| c.starts_with("80AE0000")), "{t:?}");
    assert!(t.iter().any(|c| c.starts_with("08A4020C")), "{t:?}");
    assert!(t.iter().any(|c| c.starts_with("08B00000")), "{t:?}");

    let out = myna(&["--reader", "auto", "--json", "mf"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v = json(&out);
    // Through a real reader the virtual card's root is not accepted: nothing was checked.
    assert_eq!(v["verdict"]["verdict"], "unknown_issuer");
    assert_eq!(v["chain"].as_array().unwrap().len(), 2);
    assert!(vc.log().contains("> 00A4040C07A0000001510000"));
}

#[test]
fn cli_sign_through_pcscd_unpowers_after_the_pin() {
    let _g = serial();
    let vc = VCard::start(0, &[]);
    let input = vc.dir.path().join("in.txt");
    let sig = vc.dir.path().join("out.sig");
    fs::write(&input, b"hello").unwrap();
    let out = myna(
        &[
            "--reader",
            "auto",
            "sign",
            "--key",
            "auth",
            "--in",
            input.to_str().unwrap(),
            "--out",
            sig.to_str().unwrap(),
            "--pin-stdin",
        ],
        "1234\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(fs::read(&sig).unwrap().len(), 256);
    let after_sign = |t: &[String]| {
        let sign_at = t.iter().rposition(|c| c.starts_with("802A")).unwrap();
        t.get(sign_at + 1).cloned()
    };
    let t = tokens_once(&vc, |t| after_sign(t).is_some());
    assert_eq!(after_sign(&t).as_deref(), Some("OFF"), "{t:?}");
    let _ = vc.state_path();
}
