//! The appliance as a person uses it: `myna-kiosk --web` on vpcd's readers behind pcscd, the
//! virtual card served into vpcd in process (and pulled out and put back), and headless Chromium
//! at 1280×800 driven through ChromeDriver by the fantoccini WebDriver client, touching only the
//! page's buttons (the PIN pad's keys, never a text input).
//!
//! Every test checks that no PIN value appears in the page source (after every step), in the
//! server's stdout and stderr, or in the audit trail's export; the audit chain must verify.
//!
//! Needs pcscd with vsmartcard-vpcd, chromium and chromedriver (`.ci/e2e.sh`). Without them the
//! tests say so loudly and pass, unless `CI=true`, where they fail. They share vpcd's slots with
//! the other PC/SC tests: run them one at a time (`flock /tmp/vpcd.lock cargo test ...` when
//! another process may use vpcd).

#![cfg(feature = "pcsc")]

use std::io::{BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use mynacard::applets::jpki;
use mynacard::credential::{AuthPin, SignaturePassword};
use mynacard::pcsc::{Options, PcscTransport};
use mynacard::sim::{App, VirtualCard};
use mynacard::{Card, Error, LastTry};
use serde_json::{json, Value};

#[path = "../../cli/tests/e2e_support/mod.rs"]
mod e2e_support;
use e2e_support::VCard;

const SIGN: u16 = jpki::SIGN_PIN.0;
const AUTH: u16 = jpki::AUTH_PIN.0;

/// The virtual card's user-authentication PIN and signature password as issued.
const AUTH_PIN: &str = "1234";
const SIGN_PASS: &str = "ABC123";
/// The new signature password every reset here sets.
const NEW_PASS: &str = "NEWPASS1";
/// A wrong user-authentication PIN.
const WRONG_AUTH: &str = "8642";
/// A wrong signature password (used to block it through the library).
const WRONG_PASS: &str = "WRONG99";
/// Every value above: none may appear in a page, a log or the audit trail.
const SECRETS: &[&str] = &[AUTH_PIN, SIGN_PASS, NEW_PASS, WRONG_AUTH, WRONG_PASS];

/// How long one screen may take to come (generous: a loaded 2-core machine, pcscd's polling).
const SCREEN_TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------------------------
// What the tests need from the machine.

/// Whether `name` runs.
fn runs(name: &str, probe: &[&str]) -> bool {
    Command::new(name)
        .args(probe)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// One test at a time (they share vpcd's two slots and one browser is enough for two cores),
/// or `None` after a loud line when chromium, chromedriver, pcscd or vpcd is missing and CI is
/// not set. With `CI=true` a missing tool fails the test.
fn stack() -> Option<MutexGuard<'static, ()>> {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let mut missing = Vec::new();
    if !runs("chromium", &["--version"]) {
        missing.push("chromium".to_owned());
    }
    if !runs("chromedriver", &["--version"]) {
        missing.push("chromedriver (Debian: chromium-driver)".to_owned());
    }
    match mynacard::pcsc::list_readers() {
        Ok(r) if r.iter().filter(|n| n.starts_with("Virtual PCD")).count() >= 2 => {}
        other => missing.push(format!(
            "pcscd with vsmartcard-vpcd's two readers (found {other:?}; run .ci/e2e.sh)"
        )),
    }
    if missing.is_empty() {
        return Some(guard);
    }
    let why = format!("the kiosk's browser tests need {}", missing.join(", "));
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{why} (CI=true)");
    }
    eprintln!("\n!!!!!!!! SKIPPED (CI is not set): {why}; these tests did NOT run !!!!!!!!\n");
    None
}

// ---------------------------------------------------------------------------------------------
// Secrets.

/// Whether `secret` occurs in `hay` as a value of its own: an all-digit PIN inside a longer run of
/// hex digits (a hash, the launch token) is not the PIN.
fn leaks(hay: &str, secret: &str) -> bool {
    let digits = secret.bytes().all(|b| b.is_ascii_digit());
    hay.match_indices(secret).any(|(i, _)| {
        if !digits {
            return true;
        }
        let before = hay[..i].bytes().next_back();
        let after = hay[i + secret.len()..].bytes().next();
        let hex = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_hexdigit());
        !(hex(before) || hex(after))
    })
}

fn assert_no_secret(what: &str, hay: &str) {
    for s in SECRETS {
        assert!(!leaks(hay, s), "a secret ({s}) appears in {what}:\n{hay}");
    }
}

// ---------------------------------------------------------------------------------------------
// The card, set up through the library over PC/SC before the kiosk starts.

/// Spends `n` wrong tries of `which` ("sign" or "auth") on the card in `vc`'s reader.
fn spend_tries(vc: &VCard, which: &str, n: usize) {
    let mut card = Card::new(PcscTransport::connect(&vc.reader, &Options::default()).unwrap());
    for _ in 0..n {
        let e = match which {
            "sign" => card
                .verify_with(
                    &SignaturePassword::parse(WRONG_PASS).unwrap(),
                    LastTry::Allow,
                )
                .unwrap_err(),
            _ => card
                .verify_with(&AuthPin::parse(WRONG_AUTH).unwrap(), LastTry::Allow)
                .unwrap_err(),
        };
        assert!(
            matches!(e, Error::WrongPin { .. } | Error::Blocked { .. }),
            "{e}"
        );
    }
    card.unpower().unwrap();
}

/// The card's counters and keys, from its state file once its server has stopped.
fn card_after(vc: VCard) -> (tempfile::TempDir, VirtualCard) {
    let dir = vc.stop();
    let card = VirtualCard::open(&dir.path().join("state.json")).expect("the card's state");
    (dir, card)
}

/// The PIN-bearing commands the card received after `mark` (of its log's tokens): VERIFY with
/// data, and RESET RETRY COUNTER / CHANGE REFERENCE DATA.
fn pins_sent(vc: &VCard, mark: usize) -> Vec<String> {
    vc.tokens()
        .into_iter()
        .skip(mark)
        .filter(|t| {
            (t.starts_with("0020") && t.len() > 10)
                || t.starts_with("002C")
                || t.starts_with("0024")
        })
        .collect()
}

/// The commands the card received after `mark` (power-offs left out): what the audit row's
/// exchange count must equal.
fn commands_since(vc: &VCard, mark: usize) -> usize {
    vc.tokens()
        .iter()
        .skip(mark)
        .filter(|t| *t != "OFF")
        .count()
}

// ---------------------------------------------------------------------------------------------
// The server.

/// `myna-kiosk --web` on a free loopback port, its output collected by two threads.
struct Server {
    child: Child,
    /// The first line: the index URL with the launch token.
    url: String,
    token: String,
    /// `http://127.0.0.1:PORT`
    origin: String,
    /// (reader, station URL with token) from the station lines.
    stations: Vec<(String, String)>,
    out: Arc<Mutex<String>>,
    err: Arc<Mutex<String>>,
    audit: PathBuf,
    _dir: tempfile::TempDir,
}

fn collect(r: impl Read + Send + 'static, into: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        let mut r = BufReader::new(r);
        let mut line = String::new();
        while r.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
            into.lock().unwrap().push_str(&line);
            line.clear();
        }
    });
}

impl Server {
    /// Starts the kiosk on `reader` (a name, or `all`) with `stations` stations expected.
    fn start(reader: &str, stations: usize, extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let audit = dir.path().join("audit").join("kiosk-audit.sqlite3");
        let mut child = Command::new(env!("CARGO_BIN_EXE_myna-kiosk"))
            .args(["--web", "--listen", "127.0.0.1:0", "--reader", reader])
            .arg("--audit")
            .arg(&audit)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start myna-kiosk --web");
        let err = Arc::new(Mutex::new(String::new()));
        collect(child.stderr.take().unwrap(), err.clone());
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut out = String::new();
        let mut first = String::new();
        stdout.read_line(&mut first).unwrap();
        out.push_str(&first);
        let url = first.trim().to_owned();
        let Some((origin, token)) = url
            .split_once("/?token=")
            .map(|(o, t)| (o.to_owned(), t.to_owned()))
        else {
            let _ = child.kill();
            let _ = child.wait();
            std::thread::sleep(Duration::from_millis(200));
            panic!(
                "the first line is not the URL: {first:?}; stderr: {}",
                err.lock().unwrap()
            );
        };
        assert!(origin.starts_with("http://127.0.0.1:"), "{url}");
        assert!(
            token.len() == 64
                && token
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
            "{url}"
        );
        let mut list = Vec::new();
        for _ in 0..stations {
            let mut line = String::new();
            stdout.read_line(&mut line).unwrap();
            out.push_str(&line);
            // station N: READER-NAME URL
            let rest = line
                .trim()
                .split_once(": ")
                .unwrap_or_else(|| panic!("not a station line: {line:?}"))
                .1;
            let (reader, url) = rest.rsplit_once(' ').unwrap();
            assert!(url.starts_with(&origin) && url.ends_with(&token), "{line}");
            list.push((reader.to_owned(), url.to_owned()));
        }
        let out = Arc::new(Mutex::new(out));
        collect(stdout, out.clone());
        Server {
            child,
            url,
            token,
            origin,
            stations: list,
            out,
            err,
            audit,
            _dir: dir,
        }
    }

    /// The station URL (with the token) of `reader`.
    fn station(&self, reader: &str) -> String {
        self.stations
            .iter()
            .find(|(r, _)| r == reader)
            .unwrap_or_else(|| panic!("no station for {reader}: {:?}", self.stations))
            .1
            .clone()
    }

    /// `myna-kiosk audit export --json`: the rows, after checking the export and the chain.
    fn audit_rows(&self) -> Vec<Value> {
        let bin = env!("CARGO_BIN_EXE_myna-kiosk");
        let v = Command::new(bin)
            .args(["audit", "verify", "--db"])
            .arg(&self.audit)
            .output()
            .unwrap();
        assert!(v.status.success(), "audit verify: {v:?}");
        let o = Command::new(bin)
            .args(["audit", "export", "--json", "--db"])
            .arg(&self.audit)
            .output()
            .unwrap();
        assert!(o.status.success(), "audit export: {o:?}");
        let text = String::from_utf8(o.stdout).unwrap();
        assert_no_secret("the audit export", &text);
        let csv = Command::new(bin)
            .args(["audit", "export", "--db"])
            .arg(&self.audit)
            .output()
            .unwrap();
        assert_no_secret("the audit CSV", &String::from_utf8_lossy(&csv.stdout));
        match serde_json::from_str(&text) {
            Ok(Value::Array(rows)) => rows,
            other => panic!("audit export is not a JSON array ({other:?}): {text}"),
        }
    }

    /// The audit rows' outcomes, in order.
    fn outcomes(&self) -> Vec<String> {
        self.audit_rows()
            .iter()
            .map(|r| r["outcome"].as_str().unwrap_or("?").to_owned())
            .collect()
    }

    /// Everything the server wrote so far (the token masked: it is hex, not a secret of the
    /// person's), checked for secrets.
    fn check_output(&self) {
        let out = self.out.lock().unwrap().replace(&self.token, "<token>");
        let err = self.err.lock().unwrap().replace(&self.token, "<token>");
        assert_no_secret("the server's stdout", &out);
        assert_no_secret("the server's stderr", &err);
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// The browser.

/// ChromeDriver, and the browsers it starts (each with a profile in `profiles`); all killed on
/// drop, the browsers too (ChromeDriver killed leaves them running otherwise).
struct Driver {
    child: Child,
    url: String,
    profiles: tempfile::TempDir,
    sessions: std::cell::Cell<usize>,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The browsers: the processes whose command line names one of our profiles, by id.
        let dir = self.profiles.path().to_string_lossy().into_owned();
        let Ok(procs) = std::fs::read_dir("/proc") else {
            return;
        };
        for p in procs.flatten() {
            let Ok(pid) = p.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let cmdline = std::fs::read(p.path().join("cmdline")).unwrap_or_default();
            if String::from_utf8_lossy(&cmdline).contains(&dir) {
                let _ = Command::new("kill")
                    .arg(pid.to_string())
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Driver {
    fn start() -> Driver {
        let port = free_port();
        let child = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profiles: tempfile::tempdir().unwrap(),
            sessions: std::cell::Cell::new(0),
        }
    }

    /// A new headless Chromium (a WebDriver session) at 1280×800.
    async fn browser(&self) -> Client {
        let n = self.sessions.get();
        self.sessions.set(n + 1);
        let profile = self.profiles.path().join(format!("profile-{n}"));
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,800",
                         format!("--user-data-dir={}", profile.display())]
            }
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a WebDriver session");
        // The page itself 1280×800 (the window's size counts the browser's frame too).
        for _ in 0..3 {
            let v = c
                .execute("return [window.innerWidth, window.innerHeight];", vec![])
                .await
                .unwrap();
            let (iw, ih) = (v[0].as_u64().unwrap(), v[1].as_u64().unwrap());
            if (iw, ih) == (1280, 800) {
                return c;
            }
            let (w, h) = c.get_window_size().await.unwrap();
            c.set_window_size((w + 1280 - iw) as u32, (h + 800 - ih) as u32)
                .await
                .unwrap();
        }
        panic!("the page could not be sized to 1280×800");
    }
}

/// Runs one async test body on a current-thread runtime.
fn run<F: std::future::Future<Output = ()>>(f: F) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// The page's current screen.
#[derive(Debug, Clone, PartialEq)]
struct Screen {
    kind: String,
    id: String,
    question: String,
    lines: String,
    notice: String,
    heading: String,
    stage: String,
    of: String,
    lang_button: String,
    /// The pad display's text (never the characters: it must hold none).
    pin_display: Option<String>,
    /// The pad display's filled dots.
    marks: usize,
    /// The done screen's outcome (`data-outcome`).
    outcome: String,
    /// The "opened in another tab" overlay's text, when it shows.
    other_tab: String,
    error: String,
}

impl Screen {
    /// Everything the screen says: heading, lines, question.
    fn says(&self) -> String {
        format!("{}\n{}\n{}", self.heading, self.lines, self.question)
    }

    /// The pad's display shows marks, never what was typed, and its count agrees.
    fn checked(self, v: &Value) -> Screen {
        if let Some(d) = &self.pin_display {
            assert!(
                !d.chars().any(|c| c.is_ascii_alphanumeric()),
                "the pad display shows characters: {d:?}"
            );
            if let Some(n) = v["count"].as_str().filter(|n| !n.is_empty()) {
                assert_eq!(n, self.marks.to_string(), "data-count and the dots differ");
            }
        }
        self
    }
}

async fn screen(c: &Client) -> Screen {
    let v = c
        .execute(
            r#"
            const t = (id) => { const e = document.getElementById(id); return e ? e.innerText : ''; };
            const m = document.getElementById('screen');
            const p = document.getElementById('progress');
            const d = document.getElementById('pin-display');
            const err = document.getElementById('error');
            return {
              kind: m ? (m.dataset.kind || '') : '',
              id: m ? (m.dataset.screen || '') : '',
              question: t('question'), lines: t('lines'), notice: t('notice'), heading: t('heading'),
              stage: p ? (p.dataset.stage || '') : '', of: p ? (p.dataset.of || '') : '',
              lang: t('lang'),
              pin: d ? d.textContent : null,
              marks: d ? d.querySelectorAll('.filled').length : 0,
              count: d ? (d.dataset.count || '') : '',
              outcome: m ? (m.dataset.outcome || '') : '',
              other_tab: (() => { const o = document.getElementById('other-tab');
                                  return o && !o.hidden ? o.innerText : ''; })(),
              error: err && !err.hidden && err.offsetParent !== null ? err.innerText : '',
            };"#,
            vec![],
        )
        .await
        .expect("read the screen");
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
    Screen {
        kind: s("kind"),
        id: s("id"),
        question: s("question"),
        lines: s("lines"),
        notice: s("notice"),
        heading: s("heading"),
        stage: s("stage"),
        of: s("of"),
        lang_button: s("lang"),
        pin_display: v["pin"].as_str().map(str::to_owned),
        marks: v["marks"].as_u64().unwrap_or(0) as usize,
        outcome: s("outcome"),
        other_tab: s("other_tab"),
        error: s("error"),
    }
    .checked(&v)
}

/// The page source, checked for secrets.
async fn check_source(c: &Client) {
    let src = c.source().await.expect("page source");
    assert_no_secret("the page source", &src);
}

/// Waits for a screen of `kind` other than the one with id `after`; checks the page for
/// secrets on the way.
async fn wait_kind(c: &Client, kind: &str, after: Option<&str>) -> Screen {
    let start = Instant::now();
    loop {
        let s = screen(c).await;
        if s.kind == kind && after != Some(s.id.as_str()) {
            check_source(c).await;
            return s;
        }
        assert!(
            start.elapsed() < SCREEN_TIMEOUT,
            "no {kind} screen came (after {after:?}); the page shows {s:#?}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Waits until `f` holds for the screen.
async fn wait_until(c: &Client, what: &str, f: impl Fn(&Screen) -> bool) -> Screen {
    let start = Instant::now();
    loop {
        let s = screen(c).await;
        if f(&s) {
            check_source(c).await;
            return s;
        }
        assert!(
            start.elapsed() < SCREEN_TIMEOUT,
            "{what} never happened; the page shows {s:#?}"
        );
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Touches the element `css`, once it shows and is enabled (found again if the page redraws it
/// meanwhile).
async fn touch(c: &Client, css: &str) {
    let start = Instant::now();
    loop {
        if let Ok(e) = c.find(Locator::Css(css)).await {
            if e.is_displayed().await.unwrap_or(false) && e.is_enabled().await.unwrap_or(false) {
                match e.click().await {
                    Ok(()) => return,
                    Err(err) if err.to_string().contains("stale element") => {}
                    Err(err) => panic!("touch {css}: {err}"),
                }
            }
        }
        assert!(
            start.elapsed() < SCREEN_TIMEOUT,
            "no {css} to touch; the page shows {:#?}",
            screen(c).await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether the pad's OK key is enabled.
async fn ok_enabled(c: &Client) -> bool {
    let ok = c
        .find(Locator::Css("button[data-key=\"ok\"]"))
        .await
        .expect("the OK key");
    ok.is_enabled().await.unwrap()
}

/// Opens `url` (a station URL with the token: the server sets its cookie and redirects).
async fn open(c: &Client, url: &str) {
    c.goto(url).await.expect("open the station");
    let here = c.current_url().await.unwrap();
    assert!(
        here.query().is_none(),
        "the token stays in the address bar: {here}"
    );
}

/// Touches a menu choice, yes, no or quit on the current screen `s`; waits for the next
/// question-or-done screen of `next`.
async fn answer(c: &Client, s: &Screen, css: &str, next: &str) -> Screen {
    touch(c, css).await;
    wait_kind(c, next, Some(&s.id)).await
}

/// Enters `value` on the PIN pad of secret screen `s`, key by key, checking the display shows
/// one dot per key and never the characters; then OK; waits for `next`.
async fn pad(c: &Client, s: &Screen, value: &str, next: &str) -> Screen {
    assert_eq!(marks(c).await, 0, "the pad starts empty");
    assert!(!ok_enabled(c).await, "OK is enabled with nothing entered");
    enter(c, value).await;
    assert!(
        ok_enabled(c).await,
        "OK is disabled after {} keys",
        value.len()
    );
    touch(c, "button[data-key=\"ok\"]").await;
    wait_kind(c, next, Some(&s.id)).await
}

/// Types `value` on the pad without OK.
async fn enter(c: &Client, value: &str) {
    let before = screen(c).await.marks;
    for (i, ch) in value.chars().enumerate() {
        touch(c, &format!("button[data-key=\"{ch}\"]")).await;
        let shown = screen(c).await;
        assert_eq!(shown.marks, before + i + 1, "one dot per key: {shown:#?}");
        check_source(c).await;
    }
}

/// The count of marks on the pad's display.
async fn marks(c: &Client) -> usize {
    screen(c).await.marks
}

/// Waits until the "opened in another tab" overlay shows, with its take-over button.
async fn wait_other_tab(c: &Client) -> Screen {
    let s = wait_until(c, "the other-tab notice", |s| !s.other_tab.is_empty()).await;
    let b = c.find(Locator::Css("button#take-over")).await.unwrap();
    assert!(b.is_displayed().await.unwrap(), "take-over is hidden");
    s
}

/// Takes the start screen, inserts the card, and waits for the PIN status and menu.
async fn insert(c: &Client, vc: &VCard) -> Screen {
    let s = wait_kind(c, "start", None).await;
    vc.insert();
    wait_kind(c, "menu", Some(&s.id)).await
}

/// The reset of the signature password through the user-authentication PIN, from the menu:
/// choice 1, yes (I know the other PIN), the PIN, the new password twice.
async fn reset_signature(c: &Client, menu: &Screen) -> Screen {
    let s = answer(c, menu, "button[data-choice=\"1\"]", "yesno").await;
    let s = answer(c, &s, "button[data-answer=\"yes\"]", "secret").await;
    assert!(
        c.find(Locator::Css("button[data-key=\"A\"]"))
            .await
            .is_err(),
        "the user-authentication PIN is digits only: no letter keys"
    );
    let s = pad(c, &s, AUTH_PIN, "secret").await;
    // The new signature password: upper-case letters and digits.
    c.find(Locator::Css("button[data-key=\"Z\"]"))
        .await
        .expect("the A–Z pad for the signature password");
    let s = pad(c, &s, NEW_PASS, "secret").await;
    pad(c, &s, NEW_PASS, "done").await
}

// ---------------------------------------------------------------------------------------------
// The tests.

/// a. A blocked signature password reset through the user-authentication PIN, in Japanese (the
/// default), ending on the done screen with the new status; the exchanges counted on the card.
#[test]
fn web_reset_of_a_blocked_signature_password_in_the_browser() {
    let Some(_g) = stack() else { return };
    let vc = VCard::start(0, &[]);
    spend_tries(&vc, "sign", 5);
    vc.remove();
    let server = Server::start(&vc.reader, 1, &["--lang", "ja"]);
    let driver = Driver::start();
    let mark = vc.log_len();
    let mut sent = (0, Vec::new());
    run(async {
        let c = driver.browser().await;
        // The index redirects to the only station.
        open(&c, &server.url).await;
        assert!(c
            .current_url()
            .await
            .unwrap()
            .path()
            .starts_with("/station/0/"));
        let s = wait_kind(&c, "start", None).await;
        assert!(s.notice.trim().is_empty(), "{s:#?}");
        let menu = insert(&c, &vc).await;
        assert!(menu.lines.contains("ロック中"), "{menu:#?}");
        assert!(
            menu.says().contains("どの暗証番号を再設定しますか"),
            "{menu:#?}"
        );
        assert_eq!(menu.lang_button.trim(), "English");
        let done = reset_signature(&c, &menu).await;
        assert!(
            done.lines.contains("を再設定しました: 残り5回（上限5回）"),
            "{done:#?}"
        );
        assert_eq!(
            (done.stage.as_str(), done.of.as_str()),
            ("7", "7"),
            "{done:#?}"
        );
        assert_eq!(done.outcome, "done", "{done:#?}");
        sent = (commands_since(&vc, mark), vc.tokens().split_off(mark));
        // Pulling the card after done returns to start.
        vc.remove();
        wait_kind(&c, "start", Some(&done.id)).await;
        check_source(&c).await;
        c.close().await.unwrap();
    });
    let rows = server.audit_rows();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["outcome"], "done", "{rows:?}");
    // The terminal kiosk's figure for this reset, and what the card itself received.
    // What the card received: the monitor's probe (SELECT JPKI, on its own connection, to tell a
    // My Number Card), then on the station's connection the discovery SELECT JPKI that opening
    // the card over PC/SC sends, then the flow's own exchanges: the status of the PINs, the
    // rules, the reset and the final status. The two SELECTs and the flow's 24 make the
    // terminal kiosk's 25 on the station's connection (on the in-process virtual card, where
    // no discovery SELECT is made, the flow's first SELECT is its own: 25, tests/web_api.rs).
    // The audit row counts every exchange of the station's connection, the discovery SELECT
    // included (as the terminal kiosk's log does): 25.
    let select_jpki = "00A4040C0AD392F000260100000001";
    assert_eq!(&sent.1[..2], [select_jpki, select_jpki], "{:?}", sent.1);
    assert_eq!(
        sent.0,
        1 + 1 + 24,
        "the commands in the card's log: {:?}",
        sent.1
    );
    assert_eq!(
        rows[0]["exchanges"], 25,
        "the audit row's exchanges (the card got {} commands): {rows:?}",
        sent.0
    );
    assert_eq!(rows[0]["pin"], "signature", "{rows:?}");
    assert_eq!(rows[0]["station"], vc.reader.as_str(), "{rows:?}");
    server.check_output();
    let (_d, card) = card_after(vc);
    assert_eq!(card.tries_left(App::Jpki, SIGN), Some(5));
    assert!(card.key_matches(App::Jpki, SIGN, NEW_PASS.as_bytes()));
    assert_eq!(card.tries_left(App::Jpki, AUTH), Some(3));
}

/// b. A wrong user-authentication PIN spends one try, the page shows 2 left; trying again with
/// the right one resets. On the next visit a wrong PIN and then quit leaves 2 tries.
#[test]
fn web_wrong_other_pin_shows_the_count_then_retry_or_quit() {
    let Some(_g) = stack() else { return };
    let vc = VCard::start(0, &[]);
    vc.remove();
    let server = Server::start(&vc.reader, 1, &["--lang", "en"]);
    let driver = Driver::start();
    run(async {
        let c = driver.browser().await;
        open(&c, &server.station(&vc.reader)).await;
        let menu = insert(&c, &vc).await;
        let s = answer(&c, &menu, "button[data-choice=\"1\"]", "yesno").await;
        let s = answer(&c, &s, "button[data-answer=\"yes\"]", "secret").await;
        let s = pad(&c, &s, WRONG_AUTH, "secret").await;
        let s = pad(&c, &s, NEW_PASS, "secret").await;
        let again = pad(&c, &s, NEW_PASS, "yesno").await;
        assert!(
            again
                .lines
                .contains("was wrong: 2 tries left before it locks"),
            "{again:#?}"
        );
        assert!(again.says().contains("Try again?"), "{again:#?}");
        // Retry: the PIN again, the new password is kept by the flow.
        let s = answer(&c, &again, "button[data-answer=\"yes\"]", "secret").await;
        assert_eq!(marks(&c).await, 0, "the pad starts empty");
        let done = pad(&c, &s, AUTH_PIN, "done").await;
        assert!(
            done.lines.contains("was reset: 5 of 5 tries left"),
            "{done:#?}"
        );
        // Next person: wrong again, then quit at "Try again?".
        vc.remove();
        let start = wait_kind(&c, "start", Some(&done.id)).await;
        vc.insert();
        let menu = wait_kind(&c, "menu", Some(&start.id)).await;
        let s = answer(&c, &menu, "button[data-choice=\"1\"]", "yesno").await;
        let s = answer(&c, &s, "button[data-answer=\"yes\"]", "secret").await;
        let s = pad(&c, &s, WRONG_AUTH, "secret").await;
        let s = pad(&c, &s, "NEWPASS2", "secret").await;
        let again = pad(&c, &s, "NEWPASS2", "yesno").await;
        assert!(again.lines.contains("2 tries left"), "{again:#?}");
        let done = answer(&c, &again, "button[data-answer=\"quit\"]", "done").await;
        assert_eq!(done.outcome, "cancelled", "{done:#?}");
        c.close().await.unwrap();
    });
    assert_eq!(server.outcomes(), ["done", "cancelled"]);
    server.check_output();
    let (_d, card) = card_after(vc);
    assert_eq!(card.tries_left(App::Jpki, AUTH), Some(2));
    assert!(card.key_matches(App::Jpki, SIGN, NEW_PASS.as_bytes()));
}

/// c. The user-authentication PIN at 1 try left: the confirm screen comes before anything is
/// sent, and "no" sends nothing.
#[test]
fn web_last_try_is_asked_before_anything_is_sent() {
    let Some(_g) = stack() else { return };
    let vc = VCard::start(0, &[]);
    spend_tries(&vc, "auth", 2);
    vc.remove();
    let server = Server::start(&vc.reader, 1, &["--lang", "en"]);
    let driver = Driver::start();
    run(async {
        let c = driver.browser().await;
        open(&c, &server.station(&vc.reader)).await;
        let menu = insert(&c, &vc).await;
        assert!(menu.lines.contains("1 of 3 tries left"), "{menu:#?}");
        let mark = vc.log_len();
        let s = answer(&c, &menu, "button[data-choice=\"1\"]", "yesno").await;
        let s = answer(&c, &s, "button[data-answer=\"yes\"]", "secret").await;
        assert!(s.lines.contains("has 1 try left"), "{s:#?}");
        let s = pad(&c, &s, AUTH_PIN, "secret").await;
        let s = pad(&c, &s, NEW_PASS, "secret").await;
        let confirm = pad(&c, &s, NEW_PASS, "confirm").await;
        assert!(
            confirm
                .lines
                .contains("has 1 try left: if this value is wrong"),
            "{confirm:#?}"
        );
        assert!(!confirm.question.trim().is_empty(), "{confirm:#?}");
        c.find(Locator::Css("button[data-answer=\"yes\"]"))
            .await
            .expect("a yes button");
        assert_eq!(
            pins_sent(&vc, mark),
            Vec::<String>::new(),
            "sent before the question"
        );
        let done = answer(&c, &confirm, "button[data-answer=\"no\"]", "done").await;
        assert_eq!(pins_sent(&vc, mark), Vec::<String>::new(), "sent after no");
        assert_eq!(done.outcome, "last_try_refused", "{done:#?}");
        c.close().await.unwrap();
    });
    assert_eq!(server.outcomes(), ["last_try_refused"]);
    server.check_output();
    let (_d, card) = card_after(vc);
    assert_eq!(card.tries_left(App::Jpki, AUTH), Some(1));
    assert!(card.key_matches(App::Jpki, SIGN, SIGN_PASS.as_bytes()));
}

/// d. The card pulled out while the new password is half entered: the start screen with the
/// notice, the pad forgotten, the flow from the top when the card comes back; audit
/// `card_pulled`.
#[test]
fn web_card_pulled_mid_flow_forgets_everything() {
    let Some(_g) = stack() else { return };
    let vc = VCard::start(0, &[]);
    vc.remove();
    let server = Server::start(&vc.reader, 1, &["--lang", "en"]);
    let driver = Driver::start();
    run(async {
        let c = driver.browser().await;
        open(&c, &server.station(&vc.reader)).await;
        let menu = insert(&c, &vc).await;
        let s = answer(&c, &menu, "button[data-choice=\"1\"]", "yesno").await;
        let s = answer(&c, &s, "button[data-answer=\"yes\"]", "secret").await;
        let s = pad(&c, &s, AUTH_PIN, "secret").await;
        assert!(s.question.starts_with("New "), "{s:#?}");
        enter(&c, &NEW_PASS[..4]).await;
        assert_eq!(marks(&c).await, 4);
        let mark = vc.log_len();
        vc.remove();
        let start = wait_kind(&c, "start", Some(&s.id)).await;
        assert!(
            start
                .notice
                .contains("The card was removed. Nothing you entered was kept."),
            "{start:#?}"
        );
        assert_eq!(marks(&c).await, 0, "the pad is gone or empty");
        assert_eq!(pins_sent(&vc, mark), Vec::<String>::new());
        // Back in: the flow starts from the top, asking for the user-authentication PIN again.
        vc.insert();
        let menu = wait_kind(&c, "menu", Some(&start.id)).await;
        assert!(menu.notice.trim().is_empty(), "{menu:#?}");
        let s = answer(&c, &menu, "button[data-choice=\"1\"]", "yesno").await;
        let s = answer(&c, &s, "button[data-answer=\"yes\"]", "secret").await;
        assert!(s.question.starts_with("Your "), "{s:#?}");
        assert_eq!(marks(&c).await, 0, "the pad starts empty");
        answer(&c, &s, "button[data-answer=\"quit\"]", "done").await;
        c.close().await.unwrap();
    });
    assert_eq!(server.outcomes(), ["card_pulled", "cancelled"]);
    server.check_output();
    let (_d, card) = card_after(vc);
    assert_eq!(card.tries_left(App::Jpki, AUTH), Some(3));
    assert!(card.key_matches(App::Jpki, SIGN, SIGN_PASS.as_bytes()));
}

/// e. No answer for `--idle 3` seconds on a question screen: the start screen with the timeout
/// notice; audit `timed_out`.
#[test]
fn web_idle_timeout_returns_to_start() {
    let Some(_g) = stack() else { return };
    let vc = VCard::start(0, &[]);
    vc.remove();
    let server = Server::start(&vc.reader, 1, &["--lang", "en", "--idle", "3"]);
    let driver = Driver::start();
    run(async {
        let c = driver.browser().await;
        open(&c, &server.station(&vc.reader)).await;
        let menu = insert(&c, &vc).await;
        let s = answer(&c, &menu, "button[data-choice=\"1\"]", "yesno").await;
        let s = answer(&c, &s, "button[data-answer=\"yes\"]", "secret").await;
        enter(&c, "12").await;
        let start = wait_kind(&c, "start", Some(&s.id)).await;
        assert!(!start.notice.trim().is_empty(), "{start:#?}");
        assert!(!start.notice.contains("The card was removed"), "{start:#?}");
        assert_eq!(marks(&c).await, 0);
        c.close().await.unwrap();
    });
    assert_eq!(server.outcomes(), ["timed_out"]);
    server.check_output();
    let (_d, card) = card_after(vc);
    assert_eq!(card.tries_left(App::Jpki, AUTH), Some(3));
}

/// f. Japanese by default; English one tap away on a question screen, and back.
#[test]
fn web_both_languages_on_a_question_screen() {
    let Some(_g) = stack() else { return };
    let vc = VCard::start(0, &[]);
    vc.remove();
    let server = Server::start(&vc.reader, 1, &["--lang", "ja"]);
    let driver = Driver::start();
    run(async {
        let c = driver.browser().await;
        open(&c, &server.station(&vc.reader)).await;
        let menu = insert(&c, &vc).await;
        assert!(
            menu.says().contains("どの暗証番号を再設定しますか"),
            "{menu:#?}"
        );
        assert_eq!(menu.lang_button.trim(), "English");
        touch(&c, "button#lang").await;
        let en = wait_until(&c, "English", |s| {
            s.says().contains("Which PIN do you want to reset?")
        })
        .await;
        assert_eq!(en.kind, "menu");
        assert_eq!(en.lang_button.trim(), "日本語");
        let html_lang = c
            .execute("return document.documentElement.lang", vec![])
            .await
            .unwrap();
        assert_eq!(html_lang, "en");
        let yn = answer(&c, &en, "button[data-choice=\"1\"]", "yesno").await;
        assert!(yn.says().contains("Do you know your "), "{yn:#?}");
        touch(&c, "button#lang").await;
        let ja = wait_until(&c, "日本語", |s| s.says().contains("が分かりますか")).await;
        assert_eq!(ja.kind, "yesno");
        assert_eq!(ja.lang_button.trim(), "English");
        answer(&c, &ja, "button[data-answer=\"quit\"]", "done").await;
        c.close().await.unwrap();
    });
    assert_eq!(server.outcomes(), ["cancelled"]);
    server.check_output();
}

/// g. Two stations (`--reader all`, a card in each of vpcd's slots), two browsers, progressing
/// step by step in turn: both end done, each on its own card.
#[test]
fn web_two_stations_at_once() {
    let Some(_g) = stack() else { return };
    let vc0 = VCard::start(0, &[]);
    let vc1 = VCard::start(1, &[]);
    vc0.remove();
    vc1.remove();
    let server = Server::start("all", 2, &["--lang", "en"]);
    let driver = Driver::start();
    let marks = (vc0.log_len(), vc1.log_len());
    run(async {
        let a = driver.browser().await;
        let b = driver.browser().await;
        open(&a, &server.station(&vc0.reader)).await;
        open(&b, &server.station(&vc1.reader)).await;
        let sa = wait_kind(&a, "start", None).await;
        let sb = wait_kind(&b, "start", None).await;
        vc0.insert();
        let ma = wait_kind(&a, "menu", Some(&sa.id)).await;
        // Station 1 is still waiting for its card.
        assert_eq!(screen(&b).await.kind, "start");
        vc1.insert();
        let mb = wait_kind(&b, "menu", Some(&sb.id)).await;
        let sa = answer(&a, &ma, "button[data-choice=\"1\"]", "yesno").await;
        let sb = answer(&b, &mb, "button[data-choice=\"1\"]", "yesno").await;
        let sa = answer(&a, &sa, "button[data-answer=\"yes\"]", "secret").await;
        let sb = answer(&b, &sb, "button[data-answer=\"yes\"]", "secret").await;
        let sa = pad(&a, &sa, AUTH_PIN, "secret").await;
        let sb = pad(&b, &sb, AUTH_PIN, "secret").await;
        let sa = pad(&a, &sa, NEW_PASS, "secret").await;
        let sb = pad(&b, &sb, "NEWPASS2", "secret").await;
        let da = pad(&a, &sa, NEW_PASS, "done").await;
        let db = pad(&b, &sb, "NEWPASS2", "done").await;
        assert!(da.lines.contains("was reset: 5 of 5 tries left"), "{da:#?}");
        assert!(db.lines.contains("was reset: 5 of 5 tries left"), "{db:#?}");
        a.close().await.unwrap();
        b.close().await.unwrap();
    });
    let rows = server.audit_rows();
    assert_eq!(rows.len(), 2, "{rows:?}");
    let mut stations: Vec<&str> = rows
        .iter()
        .map(|r| r["station"].as_str().unwrap())
        .collect();
    stations.sort();
    assert_eq!(stations, [vc0.reader.as_str(), vc1.reader.as_str()]);
    for (vc, mark) in [(&vc0, marks.0), (&vc1, marks.1)] {
        let row = rows
            .iter()
            .find(|r| r["station"] == vc.reader.as_str())
            .unwrap();
        assert_eq!(row["outcome"], "done", "{rows:?}");
        // Each station counted its own card's exchanges, and only those: the commands its card
        // received, less the monitor's probe (see above).
        assert_eq!(row["exchanges"], commands_since(vc, mark) - 1, "{rows:?}");
    }
    server.check_output();
    let (_d0, c0) = card_after(vc0);
    let (_d1, c1) = card_after(vc1);
    assert!(c0.key_matches(App::Jpki, SIGN, NEW_PASS.as_bytes()));
    assert!(c1.key_matches(App::Jpki, SIGN, b"NEWPASS2"));
}

/// h. A second tab on the same station takes it; the first tab's answer is refused with "opened
/// in another tab" (nothing done), and its take-over button takes it back without restarting
/// the flow.
#[test]
fn web_second_tab_and_take_over() {
    let Some(_g) = stack() else { return };
    let vc = VCard::start(0, &[]);
    vc.remove();
    let server = Server::start(&vc.reader, 1, &["--lang", "en"]);
    let driver = Driver::start();
    run(async {
        let c = driver.browser().await;
        open(&c, &server.station(&vc.reader)).await;
        let first = c.window().await.unwrap();
        let menu = insert(&c, &vc).await;
        // A second tab on the same station (the cookie is already set).
        let second = c.new_window(true).await.unwrap().handle;
        c.switch_to_window(second.clone()).await.unwrap();
        c.goto(&format!("{}/station/0/", server.origin))
            .await
            .unwrap();
        let m2 = wait_kind(&c, "menu", None).await;
        assert_eq!(m2.id, menu.id, "a claim does not restart the flow");
        // The first tab is no longer the station's.
        c.switch_to_window(first.clone()).await.unwrap();
        touch(&c, "button[data-choice=\"1\"]").await;
        let s = wait_other_tab(&c).await;
        assert!(s.other_tab.contains("opened in another tab"), "{s:#?}");
        // Nothing was done: the second tab still shows the same menu.
        c.switch_to_window(second.clone()).await.unwrap();
        let still = screen(&c).await;
        assert_eq!(
            (still.kind.as_str(), still.id.as_str()),
            ("menu", menu.id.as_str())
        );
        // Take it back in the first tab: the same menu, and answers work again.
        c.switch_to_window(first.clone()).await.unwrap();
        touch(&c, "button#take-over").await;
        let back = wait_kind(&c, "menu", None).await;
        assert_eq!(back.id, menu.id, "taking over does not restart the flow");
        let yn = answer(&c, &back, "button[data-choice=\"1\"]", "yesno").await;
        // Now the second tab is the stale one.
        c.switch_to_window(second.clone()).await.unwrap();
        wait_kind(&c, "yesno", None).await;
        touch(&c, "button[data-answer=\"yes\"]").await;
        wait_other_tab(&c).await;
        c.switch_to_window(first).await.unwrap();
        let s = screen(&c).await;
        assert_eq!((s.kind.as_str(), s.id.as_str()), ("yesno", yn.id.as_str()));
        answer(&c, &yn, "button[data-answer=\"quit\"]", "done").await;
        c.close().await.unwrap();
    });
    assert_eq!(server.outcomes(), ["cancelled"]);
    server.check_output();
}

#[test]
fn secrets_inside_hex_runs_are_not_leaks() {
    assert!(leaks("pin 1234.", "1234"));
    assert!(leaks("\"1234\"", "1234"));
    assert!(!leaks("a91234ff", "1234"));
    assert!(leaks("xNEWPASS1y", "NEWPASS1"));
}
