//! `myna-kiosk --web` at the HTTP level: the binary on the in-process virtual card (no pcscd),
//! driven through raw TCP so that malformed requests can be sent too. Every response the
//! helpers receive is checked for the headers every response must carry, and kept, so that a
//! test can check that no body ever held a PIN that was sent.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mynacard::applets::jpki;
use mynacard::sim::{App, VirtualCard};
use serde_json::{json, Value};

const SIGN: u16 = jpki::SIGN_PIN.0;
const AUTH: u16 = jpki::AUTH_PIN.0;
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// A response.
#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }
}

/// Sends raw bytes, reads the whole answer (the request asks to close).
fn raw(port: u16, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(40)))?;
    s.write_all(request)?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    Ok(out)
}

/// Sends raw bytes and closes the sending side; reads what comes back (at most 5 s).
fn raw_then_close(port: u16, request: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.write_all(request)?;
    s.shutdown(std::net::Shutdown::Write)?;
    let mut out = Vec::new();
    s.read_to_end(&mut out)?;
    Ok(out)
}

fn parse(bytes: &[u8]) -> Resp {
    let text = String::from_utf8_lossy(bytes);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no header end: {text:?}"));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Resp {
        status,
        headers,
        body: body.to_owned(),
    }
}

/// A running `myna-kiosk --web` on a virtual card in a temporary directory.
struct Kiosk {
    child: Child,
    port: u16,
    token: String,
    first_line: String,
    station_line: String,
    state: PathBuf,
    audit: PathBuf,
    bodies: Mutex<Vec<String>>,
    _dir: tempfile::TempDir,
}

fn launch(args: &[&str], prep: impl FnOnce(&mut VirtualCard)) -> Kiosk {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("card.json");
    let audit = dir.path().join("audit.sqlite3");
    {
        let mut vc = VirtualCard::open(&state).unwrap();
        prep(&mut vc);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_myna-kiosk"))
        .args(["--web", "--listen", "127.0.0.1:0", "--lang", "en"])
        .arg("--sim-state")
        .arg(&state)
        .arg("--audit")
        .arg(&audit)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut first_line = String::new();
    out.read_line(&mut first_line).unwrap();
    let mut station_line = String::new();
    out.read_line(&mut station_line).unwrap();
    let first_line = first_line.trim_end().to_owned();
    let rest = first_line
        .strip_prefix("http://127.0.0.1:")
        .unwrap_or_else(|| panic!("first line: {first_line:?}"));
    let (port, token) = rest.split_once("/?token=").unwrap();
    Kiosk {
        child,
        port: port.parse().unwrap(),
        token: token.to_owned(),
        first_line: first_line.clone(),
        station_line: station_line.trim_end().to_owned(),
        state,
        audit,
        bodies: Mutex::new(Vec::new()),
        _dir: dir,
    }
}

impl Drop for Kiosk {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Kiosk {
    fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// A request with the given headers (plus Host unless given, and Connection: close); the
    /// response is checked for the headers of every response, and kept.
    fn send(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        let mut r = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
        if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
            r.push_str(&format!("Host: {}\r\n", self.host()));
        }
        for (n, v) in headers {
            r.push_str(&format!("{n}: {v}\r\n"));
        }
        if !body.is_empty() || method == "POST" {
            r.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        r.push_str("\r\n");
        let mut bytes = r.into_bytes();
        bytes.extend_from_slice(body);
        let resp = parse(&raw(self.port, &bytes).unwrap());
        assert_every_response_headers(&resp);
        self.bodies.lock().unwrap().push(resp.body.clone());
        resp
    }

    fn get(&self, path: &str) -> Resp {
        let t = self.token.clone();
        self.send("GET", path, &[("X-Kiosk-Token", &t)], b"")
    }

    fn post(&self, path: &str, body: &Value) -> Resp {
        let t = self.token.clone();
        let origin = format!("http://{}", self.host());
        self.send(
            "POST",
            path,
            &[
                ("X-Kiosk-Token", &t),
                ("Origin", &origin),
                ("Content-Type", "application/json"),
            ],
            body.to_string().as_bytes(),
        )
    }

    fn state(&self) -> Value {
        let r = self.get("/station/0/api/state");
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    }

    fn claim(&self) -> String {
        let r = self.post("/station/0/api/claim", &json!({}));
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["tab"].as_str().unwrap().to_owned()
    }

    /// Answers the current screen.
    fn answer(&self, tab: &str, answer: Value) -> Resp {
        let id = self.state()["screen"]["id"].clone();
        self.post(
            "/station/0/api/answer",
            &json!({"tab": tab, "screen": id, "answer": answer}),
        )
    }

    /// Waits (long polls, at most 20 s in all) until the state fits `pred`.
    fn wait_for(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut s = self.state();
        while !pred(&s) {
            assert!(Instant::now() < deadline, "waited for {what}: {s:#}");
            let v = s["version"].as_u64().unwrap();
            s = self
                .get(&format!("/station/0/api/state?after={v}&wait=2"))
                .json();
        }
        s
    }

    /// Stops the server (the card's state file is free again) and opens the card; with every
    /// body received, the audit rows and the audit file's bytes.
    fn card_after(mut self) -> (VirtualCard, Vec<String>, Vec<Value>, String) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let rows = audit_rows(&self.audit);
        let raw_audit = String::from_utf8_lossy(&std::fs::read(&self.audit).unwrap()).into_owned();
        let bodies = std::mem::take(&mut *self.bodies.lock().unwrap());
        (
            VirtualCard::open(&self.state).unwrap(),
            bodies,
            rows,
            raw_audit,
        )
    }
}

/// The audit trail's rows (`myna-kiosk audit export --json`), after checking its chain
/// (`audit verify`).
fn audit_rows(path: &Path) -> Vec<Value> {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_myna-kiosk"))
            .arg("audit")
            .args(args)
            .arg("--db")
            .arg(path)
            .output()
            .unwrap()
    };
    let v = run(&["verify"]);
    assert_eq!(v.status.code(), Some(0), "{v:?}");
    let o = run(&["export", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{o:?}");
    serde_json::from_slice(&o.stdout).unwrap()
}

fn assert_every_response_headers(r: &Resp) {
    assert_eq!(r.header("Cache-Control"), Some("no-store"), "{r:?}");
    assert_eq!(r.header("Content-Security-Policy"), Some(CSP), "{r:?}");
    assert_eq!(r.header("X-Content-Type-Options"), Some("nosniff"), "{r:?}");
    assert_eq!(r.header("Referrer-Policy"), Some("no-referrer"), "{r:?}");
    assert_eq!(r.header("X-Frame-Options"), Some("DENY"), "{r:?}");
}

/// Bodies with every long hexadecimal run (the token, tab ids) taken out, so that a PIN's
/// digits are not found in them by chance.
fn without_hex_ids(body: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    for c in body.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            if run.len() < 32 {
                out.push_str(&run);
            }
            run.clear();
            out.push(c);
        }
    }
    out
}

fn assert_no_secret(bodies: &[String], secrets: &[&str]) {
    assert!(!bodies.is_empty());
    for b in bodies {
        let b = without_hex_ids(b);
        for s in secrets {
            assert!(!b.contains(s), "a response holds {s}: {b}");
        }
    }
}

fn kind(s: &Value) -> &str {
    s["screen"]["kind"].as_str().unwrap()
}

#[test]
fn the_first_lines_are_the_index_and_the_station_with_the_token() {
    let k = launch(&[], |_| {});
    assert_eq!(k.token.len(), 64);
    assert!(k
        .token
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(
        k.first_line,
        format!("http://127.0.0.1:{}/?token={}", k.port, k.token)
    );
    assert_eq!(
        k.station_line,
        format!(
            "station 0: virtual http://127.0.0.1:{}/station/0/?token={}",
            k.port, k.token
        )
    );
    // A new token at each launch.
    let k2 = launch(&[], |_| {});
    assert_ne!(k.token, k2.token);
}

#[test]
fn requests_without_the_token_or_with_a_wrong_one_are_forbidden() {
    let k = launch(&[], |_| {});
    let wrong = "0".repeat(64);
    for r in [
        k.send("GET", "/station/0/api/state", &[], b""),
        k.send(
            "GET",
            "/station/0/api/state",
            &[("X-Kiosk-Token", &wrong)],
            b"",
        ),
        k.send(
            "GET",
            "/station/0/api/state",
            &[("Cookie", &format!("myna_kiosk={wrong}"))],
            b"",
        ),
        k.send("GET", "/api/stations", &[], b""),
    ] {
        assert_eq!(r.status, 403, "{r:?}");
        assert_eq!(r.error(), "forbidden");
        assert!(!r.json()["message"].as_str().unwrap().is_empty());
    }
    for r in [
        k.send("GET", "/station/0/", &[], b""),
        k.send("GET", "/assets/app.js", &[], b""),
        k.send("GET", &format!("/station/0/?token={wrong}"), &[], b""),
    ] {
        assert_eq!(r.status, 403, "{r:?}");
        assert!(r.header("Set-Cookie").is_none());
    }
    // A prefix of the token is not the token.
    let half = &k.token[..32];
    let r = k.send(
        "GET",
        "/station/0/api/state",
        &[("X-Kiosk-Token", half)],
        b"",
    );
    assert_eq!(r.status, 403);
    // The right one works, by header and by cookie.
    assert_eq!(k.get("/station/0/api/state").status, 200);
    let cookie = format!("other=1; myna_kiosk={}", k.token);
    let r = k.send("GET", "/station/0/api/state", &[("Cookie", &cookie)], b"");
    assert_eq!(r.status, 200);
}

#[test]
fn the_token_in_the_query_becomes_a_cookie_and_a_redirect_without_it() {
    let k = launch(&[], |_| {});
    let r = k.send("GET", &format!("/station/0/?token={}", k.token), &[], b"");
    assert_eq!(r.status, 303, "{r:?}");
    assert_eq!(r.header("Location"), Some("/station/0/"));
    assert_eq!(
        r.header("Set-Cookie"),
        Some(format!("myna_kiosk={}; HttpOnly; SameSite=Strict; Path=/", k.token).as_str())
    );
    let cookie = format!("myna_kiosk={}", k.token);
    let page = k.send("GET", "/station/0/", &[("Cookie", &cookie)], b"");
    assert_eq!(page.status, 200);
    assert!(page
        .header("Content-Type")
        .unwrap()
        .starts_with("text/html"));
    assert!(!page.body.contains(&k.token));
    // The index, from the first line: the same, then on to the one station.
    let r = k.send("GET", &format!("/?token={}", k.token), &[], b"");
    assert_eq!((r.status, r.header("Location")), (303, Some("/")));
    let r = k.send("GET", "/", &[("Cookie", &cookie)], b"");
    assert_eq!((r.status, r.header("Location")), (303, Some("/station/0/")));
    for asset in ["/assets/app.js", "/assets/app.css"] {
        let r = k.send("GET", asset, &[("Cookie", &cookie)], b"");
        assert_eq!(r.status, 200, "{asset}");
    }
    let r = k.get("/api/stations");
    assert_eq!(
        r.json(),
        json!([{"station": 0, "reader": "virtual", "url": "/station/0/"}])
    );
}

#[test]
fn a_foreign_host_gets_421() {
    let k = launch(&[], |_| {});
    let t = k.token.clone();
    for host in [
        format!("evil.example:{}", k.port),
        "127.0.0.1".to_owned(),
        format!("127.0.0.1:{}", k.port + 1),
        format!("127.0.0.2:{}", k.port),
    ] {
        let r = k.send(
            "GET",
            "/station/0/api/state",
            &[("Host", &host), ("X-Kiosk-Token", &t)],
            b"",
        );
        assert_eq!(r.status, 421, "{host}");
        assert_eq!(r.error(), "bad_host");
    }
    let local = format!("localhost:{}", k.port);
    let r = k.send(
        "GET",
        "/station/0/api/state",
        &[("Host", &local), ("X-Kiosk-Token", &t)],
        b"",
    );
    assert_eq!(r.status, 200);
}

#[test]
fn posts_need_the_origin_json_and_a_small_well_formed_body() {
    let k = launch(&[], |_| {});
    let t = k.token.clone();
    let origin = format!("http://{}", k.host());
    let before = k.wait_for("the PIN menu", |s| kind(s) == "menu");
    let claim = |headers: &[(&str, &str)], body: &[u8]| {
        k.send("POST", "/station/0/api/claim", headers, body)
    };
    let ct = ("Content-Type", "application/json");
    // No Origin, a foreign one, another scheme.
    for o in [None, Some("http://evil.example"), Some("https://127.0.0.1")] {
        let mut h = vec![("X-Kiosk-Token", t.as_str()), ct];
        if let Some(o) = o {
            h.push(("Origin", o));
        }
        let r = claim(&h, b"{}");
        assert_eq!((r.status, r.error().as_str()), (403, "bad_origin"), "{o:?}");
    }
    let h = [("X-Kiosk-Token", t.as_str()), ("Origin", origin.as_str())];
    let r = claim(&h, b"{}");
    assert_eq!(
        (r.status, r.error().as_str()),
        (415, "unsupported_media_type")
    );
    let h = [
        ("X-Kiosk-Token", t.as_str()),
        ("Origin", origin.as_str()),
        ("Content-Type", "text/plain"),
    ];
    assert_eq!(claim(&h, b"{}").status, 415);
    let h = [
        ("X-Kiosk-Token", t.as_str()),
        ("Origin", origin.as_str()),
        ct,
    ];
    // 5000 bytes: refused, and nothing changed.
    let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(5000 - 11));
    assert_eq!(big.len(), 5000);
    let r = claim(&h, big.as_bytes());
    assert_eq!((r.status, r.error().as_str()), (413, "too_large"));
    let r = k.send(
        "POST",
        "/station/0/api/lang",
        &h,
        format!("{{\"lang\": \"ja\", \"pad\": \"{}\"}}", "x".repeat(5000)).as_bytes(),
    );
    assert_eq!(r.status, 413);
    // Chunked, with no length given: refused (the page never sends one).
    let mut chunked = format!(
        "POST /station/0/api/claim HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nX-Kiosk-Token: {t}\r\n\
         Origin: {origin}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        k.host()
    )
    .into_bytes();
    chunked.extend_from_slice(format!("{:x}\r\n{big}\r\n0\r\n\r\n", big.len()).as_bytes());
    let r = parse(&raw(k.port, &chunked).unwrap());
    assert_every_response_headers(&r);
    assert_eq!((r.status, r.error().as_str()), (400, "bad_request"));
    let after = k.state();
    assert_eq!(after["version"], before["version"], "nothing changed");
    assert_eq!(after["lang"], "en");
    // Malformed JSON, and JSON that is not an object.
    for body in [&b"{"[..], b"{\"tab\": }", b"[1]", b"\xff\xfe"] {
        let r = claim(&h, body);
        assert_eq!((r.status, r.error().as_str()), (400, "bad_request"));
    }
    // Well formed: accepted.
    assert_eq!(claim(&h, b"{}").status, 200);
}

#[test]
fn unknown_paths_and_wrong_methods_are_404_and_405() {
    let k = launch(&[], |_| {});
    for p in [
        "/nope",
        "/station/1/",
        "/station/01/",
        "/station/0/api/nope",
        "/api/nope",
    ] {
        assert_eq!(k.get(p).status, 404, "{p}");
    }
    assert_eq!(k.get("/station/0/api/nope").error(), "not_found");
    let r = k.get("/station/0/api/answer");
    assert_eq!((r.status, r.error().as_str()), (405, "method_not_allowed"));
    assert_eq!(k.post("/station/0/api/state", &json!({})).status, 405);
    assert_eq!(k.post("/station/0/", &json!({})).status, 405);
}

#[test]
fn a_full_reset_through_the_json_api_ends_done_in_25_exchanges() {
    let k = launch(&[], |vc| vc.set_tries_left(App::Jpki, SIGN, 0).unwrap());
    let tab = k.claim();
    let s = k.wait_for("the PIN menu", |s| kind(s) == "menu");
    assert_eq!(s["screen"]["progress"], json!({"stage": 3, "of": 7}));
    assert_eq!(s["screen"]["choices"].as_array().unwrap().len(), 4);
    assert!(
        s["screen"]["lines"].to_string().contains("BLOCKED"),
        "{s:#}"
    );
    let r = k.answer(&tab, json!({"type": "choice", "value": 1}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(kind(&r.json()), "yesno");
    let r = k.answer(&tab, json!({"type": "yes"}));
    let s = r.json();
    assert_eq!(s["screen"]["secret"]["pin"], "user_auth");
    assert_eq!(s["screen"]["secret"]["purpose"], "other_pin");
    assert_eq!(s["screen"]["secret"]["alphabet"], "digits");
    let s = k
        .answer(&tab, json!({"type": "secret", "value": "1234"}))
        .json();
    assert_eq!(s["screen"]["secret"]["purpose"], "new_pin", "{s:#}");
    assert_eq!(s["screen"]["secret"]["min"], 6);
    assert_eq!(s["screen"]["secret"]["max"], 16);
    let s = k
        .answer(&tab, json!({"type": "secret", "value": "NEWPASS1"}))
        .json();
    assert_eq!(s["screen"]["secret"]["purpose"], "new_pin_again");
    let s = k
        .answer(&tab, json!({"type": "secret", "value": "NEWPASS1"}))
        .json();
    assert_eq!(kind(&s), "done", "{s:#}");
    assert_eq!(s["screen"]["outcome"], "done");
    assert_eq!(s["screen"]["progress"], json!({"stage": 7, "of": 7}));
    let (vc, bodies, rows, raw_audit) = k.card_after();
    assert!(vc.key_matches(App::Jpki, SIGN, b"NEWPASS1"));
    assert_eq!(vc.tries_left(App::Jpki, SIGN), Some(5));
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert_eq!(row["outcome"], "done");
    assert_eq!(row["exchanges"], 25);
    assert_eq!(row["pin"], "signature");
    assert_eq!(row["route"], "self-service+user_auth");
    assert_eq!(row["place"], "kiosk");
    assert_eq!(row["station"], "virtual");
    println!(
        "web reset of a blocked signature password: {} exchanges",
        row["exchanges"]
    );
    assert_no_secret(&bodies, &["1234", "NEWPASS1"]);
    assert_no_secret(&[raw_audit], &["1234", "NEWPASS1"]);
}

#[test]
fn a_stale_or_replayed_answer_is_409_and_spends_no_try() {
    let k = launch(&[], |vc| vc.set_tries_left(App::Jpki, SIGN, 0).unwrap());
    let tab = k.claim();
    k.wait_for("the PIN menu", |s| kind(s) == "menu");
    let menu_id = k.state()["screen"]["id"].clone();
    k.answer(&tab, json!({"type": "choice", "value": 1}));
    k.answer(&tab, json!({"type": "yes"}));
    // The other PIN, wrong, at an old screen's id: refused, nothing done.
    let r = k.post(
        "/station/0/api/answer",
        &json!({"tab": tab, "screen": menu_id, "answer": {"type": "secret", "value": "9999"}}),
    );
    assert_eq!((r.status, r.error().as_str()), (409, "stale"));
    let s = k.state();
    assert_eq!(s["screen"]["secret"]["purpose"], "other_pin", "{s:#}");
    // Now for real, wrong: one try spent at the reset.
    k.answer(&tab, json!({"type": "secret", "value": "9999"}));
    k.answer(&tab, json!({"type": "secret", "value": "NEWPASS1"}));
    let id = k.state()["screen"]["id"].clone();
    let last = json!({"tab": tab, "screen": id, "answer": {"type": "secret", "value": "NEWPASS1"}});
    let r = k.post("/station/0/api/answer", &last);
    assert_eq!(r.status, 200);
    let s = r.json();
    assert_eq!(kind(&s), "yesno", "try again? {s:#}");
    assert!(s["screen"]["lines"].to_string().contains("2"), "{s:#}");
    // The same request again (a double tap, a replay): refused, no second try spent.
    let r = k.post("/station/0/api/answer", &last);
    assert_eq!((r.status, r.error().as_str()), (409, "stale"));
    let (vc, bodies, _, _) = k.card_after();
    assert_eq!(vc.tries_left(App::Jpki, AUTH), Some(2));
    assert_eq!(vc.tries_left(App::Jpki, SIGN), Some(0));
    assert_no_secret(&bodies, &["9999", "NEWPASS1"]);
}

#[test]
fn an_answer_of_the_wrong_kind_is_400_and_changes_nothing() {
    let k = launch(&[], |_| {});
    let tab = k.claim();
    let s = k.wait_for("the PIN menu", |s| kind(s) == "menu");
    for a in [
        json!({"type": "secret", "value": "1234"}),
        json!({"type": "yes"}),
        json!({"type": "choice", "value": 5}),
        json!({"type": "choice", "value": 0}),
        json!({"type": "choice", "value": -1}),
        json!({"type": "choice", "value": "1"}),
        json!({"type": "choices", "value": [1]}),
        json!({"type": "dance"}),
        json!("quit"),
    ] {
        let r = k.answer(&tab, a.clone());
        assert_eq!((r.status, r.error().as_str()), (400, "bad_request"), "{a}");
    }
    for body in [
        json!({"tab": tab, "answer": {"type": "quit"}}),
        json!({"screen": s["screen"]["id"], "answer": {"type": "quit"}}),
        json!({"tab": tab, "screen": s["screen"]["id"]}),
    ] {
        assert_eq!(k.post("/station/0/api/answer", &body).status, 400, "{body}");
    }
    let after = k.state();
    assert_eq!(after["screen"]["id"], s["screen"]["id"]);
    assert_eq!(after["version"], s["version"]);
    // An empty secret is not an answer either (quit is its own button).
    k.answer(&tab, json!({"type": "choice", "value": 2}));
    k.wait_for("the other PIN", |s| kind(s) == "yesno");
    k.answer(&tab, json!({"type": "yes"}));
    let r = k.answer(&tab, json!({"type": "secret", "value": ""}));
    assert_eq!(r.status, 400);
    assert_eq!(kind(&k.state()), "secret");
    let r = k.answer(&tab, json!({"type": "quit"}));
    assert_eq!(r.json()["screen"]["outcome"], "cancelled");
}

#[test]
fn a_second_tab_takes_the_station_and_the_first_gets_other_tab() {
    let k = launch(&[], |_| {});
    let first = k.claim();
    k.wait_for("the PIN menu", |s| kind(s) == "menu");
    let second = k.claim();
    assert_ne!(first, second);
    assert_eq!(second.len(), 32);
    let r = k.answer(&first, json!({"type": "choice", "value": 1}));
    assert_eq!((r.status, r.error().as_str()), (409, "other_tab"));
    assert_eq!(kind(&k.state()), "menu", "the flow was not restarted");
    let r = k.answer("not-a-tab", json!({"type": "choice", "value": 1}));
    assert_eq!(r.status, 409);
    let r = k.answer(&second, json!({"type": "choice", "value": 1}));
    assert_eq!(r.status, 200);
    // The first takes it back.
    let again = k.claim();
    assert_eq!(
        k.answer(&second, json!({"type": "yes"})).error(),
        "other_tab"
    );
    assert_eq!(k.answer(&again, json!({"type": "yes"})).status, 200);
}

#[test]
fn the_language_changes_for_the_station() {
    let k = launch(&[], |_| {});
    let tab = k.claim();
    let s = k.wait_for("the PIN menu", |s| kind(s) == "menu");
    assert_eq!(s["lang"], "en");
    assert!(s["screen"]["question"].as_str().unwrap().is_ascii());
    let r = k.post("/station/0/api/lang", &json!({"tab": tab, "lang": "ja"}));
    let s = r.json();
    assert_eq!(s["lang"], "ja");
    assert!(
        !s["screen"]["question"].as_str().unwrap().is_ascii(),
        "{s:#}"
    );
    assert_eq!(
        k.get("/station/0/api/nope").json()["message"],
        "見つかりません。"
    );
    let r = k.post("/station/0/api/lang", &json!({"tab": tab, "lang": "fr"}));
    assert_eq!(r.status, 400);
    assert_eq!(k.state()["lang"], "ja");
}

#[test]
fn pulling_the_virtual_card_mid_flow_returns_to_start_and_is_audited() {
    let k = launch(&[], |_| {});
    let tab = k.claim();
    k.wait_for("the PIN menu", |s| kind(s) == "menu");
    k.answer(&tab, json!({"type": "choice", "value": 1}));
    k.answer(&tab, json!({"type": "yes"}));
    // The other PIN typed, then the card pulled.
    k.answer(&tab, json!({"type": "secret", "value": "1234"}));
    let r = k.post(
        "/station/0/api/virtual",
        &json!({"tab": tab, "action": "remove"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let s = r.json();
    assert_eq!(kind(&s), "start", "{s:#}");
    assert_eq!(
        s["screen"]["notice"],
        "The card was removed. Nothing you entered was kept."
    );
    assert!(s["virtual"].as_bool().unwrap());
    // An answer to the old flow is refused.
    let r = k.answer(&tab, json!({"type": "secret", "value": "NEWPASS1"}));
    assert_eq!(r.status, 400);
    // Put back: a new flow from the start, nothing remembered.
    let r = k.post(
        "/station/0/api/virtual",
        &json!({"tab": tab, "action": "insert"}),
    );
    assert_eq!(r.status, 200);
    let s = k.wait_for("a new flow", |s| kind(s) == "menu");
    assert_eq!(s["screen"]["notice"], Value::Null);
    let r = k.post(
        "/station/0/api/virtual",
        &json!({"tab": tab, "action": "shake"}),
    );
    assert_eq!(r.status, 400);
    let (vc, bodies, rows, _) = k.card_after();
    assert_eq!(vc.tries_left(App::Jpki, AUTH), Some(3));
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["outcome"], "card_pulled");
    assert_eq!(rows[0]["pin"], "signature");
    assert_no_secret(&bodies, &["1234"]);
}

#[test]
fn an_idle_question_returns_to_start_with_the_timeout_notice() {
    let k = launch(&["--idle", "3"], |_| {});
    let tab = k.claim();
    k.wait_for("the PIN menu", |s| kind(s) == "menu");
    // Answering within the time keeps the flow going (the idle time starts again).
    let r = k.answer(&tab, json!({"type": "choice", "value": 2}));
    assert_eq!(r.status, 200);
    assert_eq!(kind(&r.json()), "yesno");
    let s = k.wait_for("the timeout", |s| kind(s) == "start");
    assert_eq!(
        s["screen"]["notice"],
        "Nothing was entered for a while, so the flow was ended. Nothing you entered was kept."
    );
    let (_, _, rows, _) = k.card_after();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["outcome"], "timed_out");
    assert_eq!(rows[0]["pin"], "user_auth");
}

fn exit_of(args: &[&str]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_myna-kiosk"))
        .args(["--lang", "en", "--sim-state"])
        .arg(dir.path().join("card.json"))
        .arg("--audit")
        .arg(dir.path().join("audit"))
        .args(args)
        .output()
        .unwrap();
    assert!(o.stdout.is_empty(), "nothing served");
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn a_non_loopback_listen_and_the_terminal_only_options_are_refused() {
    let (code, err) = exit_of(&["--web", "--listen", "0.0.0.0:0"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("loopback"), "{err}");
    let (code, _) = exit_of(&["--web", "--listen", "[::]:0"]);
    assert_eq!(code, Some(2));
    let (code, _) = exit_of(&["--web", "--listen", "localhost:8787"]);
    assert_eq!(code, Some(2), "host names are not accepted");
    let (code, _) = exit_of(&["--web", "--idle", "0"]);
    assert_eq!(code, Some(2));
    let (code, err) = exit_of(&["--web", "--show-apdus", "--listen", "127.0.0.1:0"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--show-apdus"), "{err}");
    let (code, err) = exit_of(&["--web", "--script", "x", "--listen", "127.0.0.1:0"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--script"), "{err}");
}

#[test]
fn garbage_requests_do_not_bring_the_server_down() {
    let mut k = launch(&[], |_| {});
    let huge_header = format!(
        "GET /station/0/api/state HTTP/1.1\r\nHost: {}\r\nX-Big: {}\r\n\r\n",
        k.host(),
        "a".repeat(200_000)
    );
    let garbage: Vec<Vec<u8>> = vec![
        b"GARBAGE\r\n\r\n".to_vec(),
        b"\r\n\r\n".to_vec(),
        b"GET\r\n\r\n".to_vec(),
        b"GET / HTTP/9.9\r\n\r\n".to_vec(),
        b"\xff\xfe\xfd / HTTP/1.1\r\n\r\n".to_vec(),
        b"GET /\xff HTTP/1.1\r\nHost: \xff\r\n\r\n".to_vec(),
        b"POST /station/0/api/claim HTTP/1.1\r\nContent-Length: -5\r\n\r\n".to_vec(),
        b"POST /station/0/api/claim HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n"
            .to_vec(),
        huge_header.into_bytes(),
        vec![b'A'; 100_000],
    ];
    for g in &garbage {
        // Whatever comes back (an error, or a closed connection), the server lives on.
        if let Ok(bytes) = raw_then_close(k.port, g) {
            if let Some(r) = bytes
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map(|_| parse(&bytes))
            {
                assert!(r.status >= 400, "{r:?}");
            }
        }
    }
    assert!(k.child.try_wait().unwrap().is_none(), "still running");
    assert_eq!(k.get("/station/0/api/state").status, 200);
    // A head over 16 KiB, or with too many headers, is refused before it is stored.
    let t = k.token.clone();
    let big = "b".repeat(20_000);
    let r = k.send(
        "GET",
        "/station/0/api/state",
        &[("X-Kiosk-Token", &t), ("X-Big", &big)],
        b"",
    );
    assert_eq!(r.status, 431);
    let many: Vec<(String, String)> = (0..100).map(|i| (format!("X-H{i}"), "1".into())).collect();
    let mut h: Vec<(&str, &str)> = many.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    h.push(("X-Kiosk-Token", &t));
    assert_eq!(k.send("GET", "/station/0/api/state", &h, b"").status, 431);
}

#[test]
fn an_ipv6_loopback_listen_takes_its_own_host() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("SKIP: no IPv6 loopback on this machine");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_myna-kiosk"))
        .args([
            "--web",
            "--listen",
            "[::1]:0",
            "--lang",
            "en",
            "--sim-state",
        ])
        .arg(dir.path().join("card.json"))
        .arg("--audit")
        .arg(dir.path().join("audit"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Only the first line is read, then the pipe closed (as `| head -1` would): the server
    // goes on (it used to stop at the next line, and reset the connections waiting).
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert!(child.try_wait().unwrap().is_none(), "still serving");
    let rest = line.trim_end().strip_prefix("http://[::1]:").unwrap();
    let (port, token) = rest.split_once("/?token=").unwrap();
    let get = |host: &str| {
        let mut s = TcpStream::connect(format!("[::1]:{port}")).unwrap();
        write!(
            s,
            "GET /api/stations HTTP/1.1\r\nHost: {host}\r\nX-Kiosk-Token: {token}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        parse(&out).status
    };
    let statuses = [
        get(&format!("[::1]:{port}")),
        get(&format!("localhost:{port}")),
        get(&format!("127.0.0.1:{port}")),
    ];
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(statuses, [200, 200, 421]);
}
