//! The application in a real browser: headless Chromium, driven by ChromeDriver, loads a small
//! test extension of this crate's own (tests/browser/) that does what the Web eID extension
//! does (takes the page's request, adds the page's origin, and calls the native host
//! `eu.webeid`), with the host manifest written by `myna-webeid install --user-data-dir`, on a
//! page served over https on 127.0.0.1. The token that comes back to the page must validate for
//! that origin.
//!
//! Beyond the successful login: a wrong PIN then the right one, a cancel in the dialog, a blocked
//! PIN, and a token from the page replayed for another origin or nonce. One browser per test,
//! the tests one at a time (a loaded 2-core machine runs one Chromium well, not five).
//!
//! Needs chromium, chromedriver, openssl and python3 (the https server): without them, a loud
//! skip; with `CI=true`, a failure.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64ct::{Base64, Encoding};
use common::*;
use mynacard_webeid::token::AuthToken;
use mynacard_webeid::validator::{Refusal, Validator};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const EXTENSION_BG: &str = include_str!("browser/bg.js");
const EXTENSION_CS: &str = include_str!("browser/cs.js");
const PAGE: &str = include_str!("browser/index.html");
const SERVE: &str = include_str!("browser/serve.py");

/// Kills a child process on drop.
struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The extension id Chromium derives from the manifest's `key`: the first 16 bytes of the
/// SHA-256 of the public key, each hex digit written as a letter from `a` to `p`.
fn extension_id(spki: &[u8]) -> String {
    Sha256::digest(spki)[..16]
        .iter()
        .flat_map(|b| [b >> 4, b & 15])
        .map(|n| (b'a' + n) as char)
        .collect()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One WebDriver request (plain HTTP/1.1 to ChromeDriver on the loopback).
fn webdriver(port: u16, method: &str, path: &str, body: Option<&Value>) -> Value {
    try_webdriver(port, method, path, body).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

fn try_webdriver(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<Value> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(120)))?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    // ChromeDriver may keep the connection open: read the headers, then Content-Length bytes.
    let mut r = BufReader::new(s);
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        assert!(
            r.read_line(&mut h).unwrap() > 0,
            "chromedriver closed the connection"
        );
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((name, value)) = h.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().map_err(std::io::Error::other)?;
            }
        }
    }
    let mut body = vec![0u8; length];
    r.read_exact(&mut body)?;
    Ok(serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// Ends the WebDriver session (and so the browser) on drop.
struct Session {
    port: u16,
    id: String,
}

impl Drop for Session {
    fn drop(&mut self) {
        // Never panic here (a panic while unwinding aborts the test binary).
        let _ = try_webdriver(self.port, "DELETE", &format!("/session/{}", self.id), None);
    }
}

fn write(p: &Path, s: &str) {
    std::fs::write(p, s).unwrap();
}

/// One browser at a time: each test starts its own ChromeDriver and Chromium.
static ONE_BROWSER: Mutex<()> = Mutex::new(());

/// How long the page may wait for the host's answer (generous: a loaded machine).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(120);

/// A headless Chromium with the test extension and the host manifest in its profile, a page
/// served over https on 127.0.0.1, and the native host's environment pointing at `w`'s card and
/// dialog. Fields drop in order: the session (the browser), then ChromeDriver, then the server.
struct Browser {
    session: Session,
    _driver: Kill,
    _server: Kill,
    /// The page's origin, `https://127.0.0.1:PORT`.
    origin: String,
}

impl Browser {
    /// Starts everything for `w`; `None` (a loud skip, or a failure under CI) when a tool is
    /// missing.
    fn start(w: &World) -> Option<Browser> {
        let tools = [
            tool("chromium", &["--version"]),
            tool("chromedriver", &["--version"]),
            tool("openssl", &["version"]),
            tool("python3", &["--version"]),
        ];
        if tools.iter().any(Option::is_none) {
            return None;
        }
        let dir = w.dir.path();
        // The extension, with a fixed id from its key.
        let ext = dir.join("ext");
        std::fs::create_dir(&ext).unwrap();
        let spki = mynacard::sim::pki::card_public_key_spki(7, false);
        let id = extension_id(&spki);
        let manifest = json!({
            "manifest_version": 3, "name": "mynacard Web eID test", "version": "1.0",
            "key": Base64::encode_string(&spki),
            "permissions": ["nativeMessaging"],
            "background": {"service_worker": "bg.js"},
            "content_scripts": [{"matches": ["https://127.0.0.1/*"], "js": ["cs.js"], "run_at": "document_start"}]
        });
        write(&ext.join("manifest.json"), &manifest.to_string());
        write(&ext.join("bg.js"), EXTENSION_BG);
        write(&ext.join("cs.js"), EXTENSION_CS);
        // The host manifest in the profile, allowing the test extension.
        let profile = dir.join("profile");
        let out = Command::new(env!("CARGO_BIN_EXE_myna-webeid"))
            .args(["install", "--browser", "chromium", "--user-data-dir"])
            .arg(&profile)
            .args(["--extension-id", &id])
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        // The page over https on 127.0.0.1.
        let site = dir.join("site");
        std::fs::create_dir(&site).unwrap();
        write(&site.join("index.html"), PAGE);
        write(&dir.join("serve.py"), SERVE);
        let status = Command::new("openssl")
            .current_dir(dir)
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "key.pem",
                "-out",
                "cert.pem",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
            ])
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success());
        let mut server = Kill(
            Command::new("python3")
                .current_dir(dir)
                .args(["serve.py", "site", "cert.pem", "key.pem"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let mut line = String::new();
        BufReader::new(server.0.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let origin = format!("https://127.0.0.1:{}", line.trim());
        // ChromeDriver, with the environment the browser passes on to the native host.
        let port = free_port();
        let driver = Kill(
            Command::new("chromedriver")
                .arg(format!("--port={port}"))
                .env("MYNACARD_SIM_STATE", &w.state)
                .env("MYNACARD_SIM_LOG", &w.log)
                .env("MYNACARD_PINENTRY", &w.pinentry)
                .env("FAKE_PINENTRY_PINS", &w.pins)
                .env("FAKE_PINENTRY_LOG", &w.dialog_log)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "acceptInsecureCerts": true,
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--window-size=1000,700",
                         format!("--user-data-dir={}", profile.display()),
                         format!("--load-extension={}", ext.display())],
                "excludeSwitches": ["disable-extensions"]}}}});
        let created = webdriver(port, "POST", "/session", Some(&caps));
        let sid = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {created}"))
            .to_owned();
        Some(Browser {
            session: Session { port, id: sid },
            _driver: driver,
            _server: server,
            origin,
        })
    }

    fn path(&self, p: &str) -> String {
        format!("/session/{}/{p}", self.session.id)
    }

    /// Runs `script` in the page; its return value.
    fn exec(&self, script: &str, args: Value) -> Value {
        let r = webdriver(
            self.session.port,
            "POST",
            &self.path("execute/sync"),
            Some(&json!({ "script": script, "args": args })),
        );
        r["value"].clone()
    }

    /// Opens the test page and has it ask for authentication with `nonce`, as a relying
    /// party's page does; the reply the page got from the extension, once it is there.
    fn authenticate(&self, nonce: &str) -> Value {
        let r = webdriver(
            self.session.port,
            "POST",
            &self.path("url"),
            Some(&json!({ "url": format!("{}/index.html", self.origin) })),
        );
        assert!(r["value"].is_null(), "{r}");
        // The content script is injected at document start; give the page's request to it.
        let r = self.exec("start(arguments[0], 'ja'); return 1", json!([nonce]));
        assert_eq!(r, 1, "{r}");
        let start = Instant::now();
        loop {
            let r = self.exec(
                "return document.getElementById('out').textContent",
                json!([]),
            );
            let text = r.as_str().unwrap_or_default();
            if !text.is_empty() {
                return serde_json::from_str(text).unwrap();
            }
            assert!(
                start.elapsed() < ANSWER_TIMEOUT,
                "no answer reached the page"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// What the page shows as the outcome.
    fn status(&self) -> String {
        let r = self.exec(
            "return document.getElementById('status').textContent",
            json!([]),
        );
        r.as_str().unwrap_or_default().to_owned()
    }

    /// A PNG of the page (WebDriver's screenshot).
    fn screenshot(&self) -> Vec<u8> {
        let r = webdriver(self.session.port, "GET", &self.path("screenshot"), None);
        let b64 = r["value"]
            .as_str()
            .unwrap_or_else(|| panic!("no screenshot: {r}"));
        Base64::decode_vec(b64).unwrap()
    }
}

/// The page's reply: the handshake first, then the answer to the command.
fn answer(reply: &Value) -> &Value {
    let replies = reply["replies"]
        .as_array()
        .unwrap_or_else(|| panic!("{reply}"));
    assert_eq!(replies.len(), 2, "{reply}");
    assert_eq!(replies[0], json!({"version": "2.0.0"}), "{reply}");
    &replies[1]
}

fn token(reply: &Value) -> AuthToken {
    serde_json::from_value(answer(reply).clone())
        .unwrap_or_else(|e| panic!("not a token ({e}): {reply}"))
}

/// The answers (status words) to the VERIFY commands that carried a PIN, in order.
fn pin_verify_answers(w: &World) -> Vec<String> {
    w.exchanges()
        .iter()
        .filter(|l| l.starts_with("002000") && l.split(' ').next().unwrap().len() > 8)
        .map(|l| {
            let answer = l.split(" -> ").nth(1).unwrap_or_default();
            answer.get(..4).unwrap_or(answer).to_owned()
        })
        .collect()
}

#[test]
fn authenticate_from_a_page_in_headless_chromium() {
    let _one = ONE_BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let w = World::new(&[AUTH_PIN]);
    let Some(b) = Browser::start(&w) else { return };
    let reply = b.authenticate(NONCE);
    let token = token(&reply);
    // Signed for the page's own origin, which the browser supplied.
    let identity = Validator::production()
        .with_virtual_card_root()
        .validate(&token, &b.origin, NONCE)
        .unwrap();
    let status = b.status();
    assert!(status.contains("token received"), "{status}");
    assert!(
        status.contains("web-eid:1.0") && status.contains("RS256"),
        "{status}"
    );
    // Show what the relying party's server concluded, as a login page would, and keep a
    // picture of it.
    b.exec(
        "verdict(arguments[0])",
        json!([format!(
            "サーバーの検証: 受理 (the validator accepted the token for {}) — {} / serial {}",
            b.origin, identity.subject, identity.serial_hex
        )]),
    );
    let shown = b.exec(
        "return document.getElementById('verdict').textContent",
        json!([]),
    );
    assert!(
        shown.as_str().unwrap_or_default().contains("accepted"),
        "{shown}"
    );
    let png = b.screenshot();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // IHDR: width and height, big-endian, at bytes 16..24.
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert!(width >= 800 && height >= 500, "{width}x{height}");
    if let Some(path) = std::env::var_os("MYNACARD_WEBEID_SCREENSHOT") {
        std::fs::write(path, &png).unwrap();
    }
    let origin = b.origin.clone();
    drop(b);
    let d = w.descriptions();
    assert!(
        d.iter().any(|d| d.contains(&format!(
            "{origin} がマイナンバーカードでの認証を求めています"
        ))),
        "{d:?}"
    );
    assert_eq!((w.signs(), w.unpowers()), (1, 1));
}

#[test]
fn a_wrong_pin_then_the_right_one_from_the_page_spends_exactly_one_try() {
    let _one = ONE_BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let w = World::new(&["9999", AUTH_PIN]);
    let Some(b) = Browser::start(&w) else { return };
    let reply = b.authenticate(NONCE);
    Validator::production()
        .with_virtual_card_root()
        .validate(&token(&reply), &b.origin, NONCE)
        .unwrap();
    drop(b);
    // The card's own answers: the wrong PIN left 2 of 3 tries (63C2), the right one was
    // accepted (9000), and nothing else carried a PIN.
    assert_eq!(
        pin_verify_answers(&w),
        ["63C2", "9000"],
        "{:#?}",
        w.exchanges()
    );
    // The dialog showed the card's count before, and the new count after the wrong PIN.
    let d = w.descriptions();
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(
        d[0].contains("残り3回") && d[1].contains("残り2回"),
        "{d:?}"
    );
    let dialog = w.dialog();
    let err = dialog
        .iter()
        .find(|l| l.starts_with("SETERROR "))
        .expect("the wrong PIN is reported in the dialog");
    assert!(err.contains("残り2回"), "{err}");
    // The right PIN restored the counter on the card.
    assert_eq!(w.auth_tries(), 3);
    assert_eq!((w.signs(), w.unpowers()), (1, 1));
}

#[test]
fn cancel_in_the_dialog_reaches_the_page_as_user_cancelled_and_sends_no_pin() {
    let _one = ONE_BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let w = World::new(&["CANCEL"]);
    let Some(b) = Browser::start(&w) else { return };
    let reply = b.authenticate(NONCE);
    assert_eq!(
        error_code(answer(&reply)),
        Some("ERR_WEBEID_USER_CANCELLED"),
        "{reply}"
    );
    let status = b.status();
    assert!(status.contains("ERR_WEBEID_USER_CANCELLED"), "{status}");
    drop(b);
    // The dialog was opened and asked once; no PIN went to the card, nothing was signed.
    assert_eq!(w.descriptions().len(), 1, "{:?}", w.dialog());
    assert_eq!(
        pin_verify_answers(&w),
        Vec::<String>::new(),
        "{:#?}",
        w.exchanges()
    );
    assert_eq!((w.verifies_with_data(), w.signs()), (0, 0));
    assert_eq!(w.unpowers(), 1);
    assert_eq!(w.auth_tries(), 3);
}

#[test]
fn a_blocked_pin_reaches_the_page_as_an_error_with_no_dialog_and_no_pin_sent() {
    let _one = ONE_BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let w = World::new(&[AUTH_PIN]);
    w.set_auth_tries(0);
    let Some(b) = Browser::start(&w) else { return };
    let reply = b.authenticate(NONCE);
    let answer = answer(&reply);
    assert_eq!(
        error_code(answer),
        Some("ERR_WEBEID_NATIVE_FATAL"),
        "{reply}"
    );
    let msg = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(msg.contains("ロック"), "{msg}");
    let status = b.status();
    assert!(status.contains("ERR_WEBEID_NATIVE_FATAL"), "{status}");
    drop(b);
    // No dialog was started at all (it would have logged its first command).
    assert!(!w.dialog_log.exists(), "{:?}", w.dialog());
    // SELECT, the certificate, the counter read (a VERIFY without data): no PIN, no SIGN.
    let ex = w.exchanges();
    assert_eq!(ex.len(), 3, "{ex:#?}");
    // The counter read of a blocked PIN: a case-1 VERIFY (4 bytes), answered 6984 (card facts:
    // a blocked PIN answers 6984).
    let (cmd, sw) = ex[2].split_once(" -> ").unwrap();
    assert!(cmd.starts_with("002000") && cmd.len() == 8, "{ex:#?}");
    assert!(sw.starts_with("6984"), "{ex:#?}");
    assert_eq!((w.verifies_with_data(), w.signs()), (0, 0));
    assert_eq!(w.auth_tries(), 0);
}

#[test]
fn a_token_from_the_page_replayed_for_another_origin_or_nonce_is_refused() {
    let _one = ONE_BROWSER.lock().unwrap_or_else(|e| e.into_inner());
    let w = World::new(&[AUTH_PIN]);
    let Some(b) = Browser::start(&w) else { return };
    let reply = b.authenticate(NONCE);
    let t = token(&reply);
    let origin = b.origin.clone();
    drop(b);
    let v = Validator::production().with_virtual_card_root();
    assert!(v.validate(&t, &origin, NONCE).is_ok());
    // The same host by another name, another port, another site: the origin the browser put
    // in the signed digest differs.
    let port = origin.rsplit(':').next().unwrap();
    let other_port: u16 = port.parse::<u16>().unwrap().wrapping_add(1).max(1);
    for other in [
        format!("https://localhost:{port}"),
        format!("https://127.0.0.1:{other_port}"),
        "https://example.jp".to_owned(),
    ] {
        assert_eq!(
            v.validate(&t, &other, NONCE),
            Err(Refusal::SignatureMismatch),
            "{other}"
        );
    }
    // Another nonce (this login's nonce kept, one character changed; and a fresh one).
    let changed = format!("r{}", &NONCE[1..]);
    for other in [
        changed.as_str(),
        "zzKd3mQ0tPzR7sV1wXyZ2aBcDeFgHiJkLmNoPqRsTuA=",
    ] {
        assert_ne!(other, NONCE);
        assert_eq!(
            v.validate(&t, &origin, other),
            Err(Refusal::SignatureMismatch),
            "{other}"
        );
    }
}
