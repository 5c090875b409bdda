//! The example relying party (examples/relying_party.rs) with tokens from the application:
//! a challenge, a login, a replay refused, a token for another origin refused.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

use common::*;
use serde_json::{json, Value};

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Builds the example (a no-op when it is fresh) and starts it on a free port.
fn start(origin: &str) -> Server {
    let status = Command::new(env!("CARGO"))
        .args([
            "build",
            "-q",
            "-p",
            "mynacard-webeid",
            "--example",
            "relying_party",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success());
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(|d| d.parent())
        .unwrap()
        .join("examples/relying_party");
    let mut child = Command::new(bin)
        .args([
            "--origin",
            origin,
            "--listen",
            "127.0.0.1:0",
            "--trust",
            "virtual",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    Server { child, addr }
}

/// One HTTP request; returns the status code, the session cookie if set, and the JSON body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: &str,
) -> (u16, Option<String>, Value) {
    let mut s = TcpStream::connect(addr).unwrap();
    let cookie = cookie
        .map(|c| format!("Cookie: session={c}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\n{cookie}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    let (head, body) = resp.split_once("\r\n\r\n").unwrap();
    let code = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let session = head
        .lines()
        .find_map(|l| l.strip_prefix("Set-Cookie: session="))
        .map(|v| v.split(';').next().unwrap().to_owned());
    (
        code,
        session,
        serde_json::from_str(body).unwrap_or(Value::Null),
    )
}

fn token_for(origin: &str, nonce: &str) -> Value {
    let w = World::new(&[AUTH_PIN]);
    let (t, ok) = w.cli(
        "authenticate",
        &json!({"origin": origin, "challengeNonce": nonce}),
    );
    assert!(ok, "{t}");
    t
}

#[test]
fn login_with_a_fresh_challenge_then_the_replay_and_a_foreign_token_are_refused() {
    let server = start(ORIGIN);
    let (code, session, v) = http(&server.addr, "GET", "/auth/challenge", None, "");
    assert_eq!(code, 200);
    let session = session.unwrap();
    let nonce = v["nonce"].as_str().unwrap().to_owned();
    assert_eq!(nonce.len(), 44);
    let token = token_for(ORIGIN, &nonce);
    let body = json!({ "authToken": token }).to_string();
    let (code, _, v) = http(&server.addr, "POST", "/auth/login", Some(&session), &body);
    assert_eq!(code, 200, "{v}");
    assert!(v["subject"].as_str().unwrap().contains("VIRTUAL"), "{v}");
    // The same token again: the nonce was used up.
    let (code, _, v) = http(&server.addr, "POST", "/auth/login", Some(&session), &body);
    assert_eq!(code, 401, "{v}");
    // A token made for another site with this session's nonce.
    let (_, session, v) = http(&server.addr, "GET", "/auth/challenge", None, "");
    let nonce = v["nonce"].as_str().unwrap();
    let foreign = token_for("https://evil.example", nonce);
    let (code, _, v) = http(
        &server.addr,
        "POST",
        "/auth/login",
        session.as_deref(),
        &json!({ "authToken": foreign }).to_string(),
    );
    assert_eq!(code, 401);
    assert!(v["refusal"].as_str().unwrap().contains("signature"), "{v}");
    // The login page is served.
    let mut s = TcpStream::connect(&server.addr).unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut page = String::new();
    s.read_to_string(&mut page).unwrap();
    assert!(page.contains("webeid.authenticate(nonce"));
}
