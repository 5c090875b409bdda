//! The application in a real browser: headless Chromium, driven by ChromeDriver, loads a small
//! test extension of this crate's own (tests/browser/) that does what the Web eID extension
//! does (takes the page's request, adds the page's origin, and calls the native host
//! `eu.webeid`), with the host manifest written by `myna-webeid install --user-data-dir`, on a
//! page served over https on 127.0.0.1. The token that comes back to the page must validate for
//! that origin.
//!
//! Needs chromium, chromedriver, openssl and python3 (the https server): without them, a loud
//! skip; with `CI=true`, a failure.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64ct::{Base64, Encoding};
use common::*;
use mynacard_webeid::token::AuthToken;
use mynacard_webeid::validator::Validator;
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

#[test]
fn authenticate_from_a_page_in_headless_chromium() {
    let tools = [
        tool("chromium", &["--version"]),
        tool("chromedriver", &["--version"]),
        tool("openssl", &["version"]),
        tool("python3", &["--version"]),
    ];
    if tools.iter().any(Option::is_none) {
        return;
    }
    let w = World::new(&[AUTH_PIN]);
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
    let _driver = Kill(
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
            start.elapsed() < Duration::from_secs(30),
            "chromedriver did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let caps = json!({"capabilities": {"alwaysMatch": {
        "browserName": "chrome", "acceptInsecureCerts": true,
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     format!("--user-data-dir={}", profile.display()),
                     format!("--load-extension={}", ext.display())],
            "excludeSwitches": ["disable-extensions"]}}}});
    let created = webdriver(port, "POST", "/session", Some(&caps));
    let sid = created["value"]["sessionId"]
        .as_str()
        .unwrap_or_else(|| panic!("no session: {created}"))
        .to_owned();
    let session = Session { port, id: sid };
    let path = |p: &str| format!("/session/{}/{p}", session.id);
    let r = webdriver(
        port,
        "POST",
        &path("url"),
        Some(&json!({ "url": format!("{origin}/index.html") })),
    );
    assert!(r["value"].is_null(), "{r}");
    // The content script is injected at document start; give the page's request to it.
    let r = webdriver(
        port,
        "POST",
        &path("execute/sync"),
        Some(&json!({"script": "start(arguments[0], 'ja'); return 1", "args": [NONCE]})),
    );
    assert_eq!(r["value"], 1, "{r}");
    let mut result = String::new();
    let start = Instant::now();
    while result.is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no answer reached the page"
        );
        std::thread::sleep(Duration::from_millis(200));
        let r = webdriver(
            port,
            "POST",
            &path("execute/sync"),
            Some(
                &json!({"script": "return document.getElementById('out').textContent", "args": []}),
            ),
        );
        result = r["value"].as_str().unwrap_or_default().to_owned();
    }
    drop(session);
    let reply: Value = serde_json::from_str(&result).unwrap();
    let replies = reply["replies"]
        .as_array()
        .unwrap_or_else(|| panic!("{reply}"));
    assert_eq!(replies[0], json!({"version": "2.0.0"}), "{reply}");
    let token: AuthToken = serde_json::from_value(replies[1].clone())
        .unwrap_or_else(|e| panic!("not a token ({e}): {reply}"));
    // Signed for the page's own origin, which the browser supplied.
    Validator::production()
        .with_virtual_card_root()
        .validate(&token, &origin, NONCE)
        .unwrap();
    let d = w.descriptions();
    assert!(
        d.iter().any(|d| d.contains(&format!(
            "{origin} がマイナンバーカードでの認証を求めています"
        ))),
        "{d:?}"
    );
    assert_eq!((w.signs(), w.unpowers()), (1, 1));
}
