//! Shared by the soak test (`tests/web_soak.rs`) and the two-station throughput benchmark
//! (`benches/web_throughput.rs`): a virtual card in one of vpcd's slots that the test pulls out
//! and puts back, `myna-kiosk --web` as a child process, and a small client of its JSON API
//! (the contract: KIOSK-SPEC "Paths" and "State JSON"), as a non-browser client: the token in
//! `X-Kiosk-Token`, a matching `Origin`, JSON bodies.

#![allow(dead_code)]

use std::fs;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use mynacard::applets::jpki;
use mynacard::sim::{App, PersistentState, VirtualCard};
use mynacard_virtual_card::{Args, Error as ServerError, Server, StopHandle};
use serde_json::{json, Value};

#[path = "../../../cli/tests/e2e_support/mod.rs"]
pub mod e2e_support;

/// One test at a time in this process: they share vpcd's slots (other processes: run them
/// under `flock /tmp/vpcd.lock`).
pub fn serial() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// Whether pcscd with vpcd's two readers is there. Without it the caller skips loudly, unless
/// `CI=true`, where a missing stack fails.
pub fn stack_or_skip(what: &str) -> bool {
    let found = mynacard::pcsc::list_readers().map(|r| {
        r.into_iter()
            .filter(|n| n.starts_with("Virtual PCD"))
            .count()
    });
    match found {
        Ok(n) if n >= 2 => true,
        other => {
            let why = format!(
                "{what} needs pcscd with vsmartcard-vpcd's two readers ({other:?}); run \
                 .ci/e2e.sh, or install pcscd and vsmartcard-vpcd and start `pcscd`"
            );
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{why}");
            }
            eprintln!("SKIPPED (CI is not set): {why}");
            false
        }
    }
}

/// The key of a JPKI PIN in the virtual card's state file.
fn key(fid: u16) -> String {
    format!("jpki/{fid:04X}")
}

/// The retry counters and PIN values of interest, as the virtual card saved them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counters {
    /// User-authentication PIN: tries left of 3.
    pub auth: u8,
    /// Signature password: tries left of 5 (0 = blocked).
    pub sig: u8,
}

/// A virtual card served into vpcd slot `slot` from a thread of this process, with its state
/// in `dir`; [`SlotCard::remove`] and [`SlotCard::insert`] pull it out and put it back.
pub struct SlotCard {
    pub slot: u8,
    pub reader: String,
    pub state: PathBuf,
    pub log: PathBuf,
    server: Option<(StopHandle, thread::JoinHandle<Result<(), ServerError>>)>,
}

impl SlotCard {
    /// Sets the card's user-authentication PIN and signature password (full counters) before
    /// it is served: distinctive values, so that a leak of either cannot match anything else.
    pub fn prepare(state: &Path, auth_pin: &str, signature: &str) {
        let mut c = VirtualCard::open(state).expect("open the virtual card's state");
        c.set_key(App::Jpki, jpki::AUTH_PIN.0, auth_pin.as_bytes())
            .unwrap();
        c.set_key(App::Jpki, jpki::SIGN_PIN.0, signature.as_bytes())
            .unwrap();
    }

    /// Starts serving the card at `state` into vpcd slot `slot` (logging each exchange to
    /// `log`) and waits until pcscd sees it.
    pub fn start(slot: u8, state: &Path, log: &Path) -> SlotCard {
        let reader = e2e_support::reader_name(slot);
        e2e_support::wait_presence(&reader, false);
        let mut c = SlotCard {
            slot,
            reader,
            state: state.to_owned(),
            log: log.to_owned(),
            server: None,
        };
        c.serve();
        c
    }

    fn serve(&mut self) {
        let out = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let vpcd = format!("127.0.0.1:{}", 35963 + u16::from(self.slot));
        let args = Args::parse_from([
            "myna-virtual-card",
            "--sim-state",
            self.state.to_str().unwrap(),
            "--vpcd",
            &vpcd,
        ])
        .unwrap();
        let server = Server::new(args, Box::new(out)).expect("start the virtual card");
        let stop = server.stop_handle();
        self.server = Some((stop, thread::spawn(move || server.run())));
        e2e_support::wait_presence(&self.reader, true);
    }

    fn handle(&self) -> &StopHandle {
        &self.server.as_ref().expect("the card is served").0
    }

    /// Pulls the card out and waits until pcscd sees the reader empty.
    pub fn remove(&self) {
        self.handle().remove();
        e2e_support::wait_presence(&self.reader, false);
    }

    /// Puts the card back and waits until pcscd sees it.
    pub fn insert(&self) {
        self.handle().insert();
        e2e_support::wait_presence(&self.reader, true);
    }

    /// Stops serving (the card leaves the reader, its state file is let go of).
    pub fn stop(&mut self) {
        if let Some((stop, t)) = self.server.take() {
            stop.stop();
            let r = t.join();
            e2e_support::wait_presence(&self.reader, false);
            if !thread::panicking() {
                r.expect("the virtual card's thread")
                    .expect("the virtual card ran");
            }
        }
    }

    /// With the card out of every reader, sets its signature password's counter (as an issuer's
    /// test tool would: `0` blocks it), then serves it again: pcscd sees it inserted.
    pub fn set_signature_tries(&mut self, tries: u8) {
        self.stop();
        {
            let mut c = VirtualCard::open(&self.state).expect("open the state");
            c.set_tries_left(App::Jpki, jpki::SIGN_PIN.0, tries)
                .unwrap();
        }
        self.serve();
    }

    fn saved(&self) -> PersistentState {
        let text = fs::read_to_string(&self.state).expect("read the card's state");
        serde_json::from_str(&text).expect("the card's state")
    }

    /// The counters as the card saved them (every change is saved before the card answers).
    pub fn counters(&self) -> Counters {
        let s = self.saved();
        Counters {
            auth: s.keys[&key(jpki::AUTH_PIN.0)].tries_left,
            sig: s.keys[&key(jpki::SIGN_PIN.0)].tries_left,
        }
    }

    /// Whether the card's signature password is `value` now.
    pub fn signature_is(&self, value: &str) -> bool {
        self.saved().keys[&key(jpki::SIGN_PIN.0)].matches(value.as_bytes())
    }

    /// Whether the card's user-authentication PIN is `value` now.
    pub fn auth_is(&self, value: &str) -> bool {
        self.saved().keys[&key(jpki::AUTH_PIN.0)].matches(value.as_bytes())
    }

    /// The card's log so far.
    pub fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// How many commands the card has answered so far (from its log).
    pub fn commands(&self) -> usize {
        self.log_text()
            .lines()
            .filter(|l| l.split_once("] ").is_some_and(|(_, t)| t.starts_with("> ")))
            .count()
    }
}

impl Drop for SlotCard {
    fn drop(&mut self) {
        if let Some((stop, t)) = self.server.take() {
            stop.stop();
            let _ = t.join();
        }
    }
}

/// `myna-kiosk --web` running as a child process, its output collected.
pub struct KioskProcess {
    child: Child,
    pub port: u16,
    pub token: String,
    /// The first line of stdout.
    pub first_line: String,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    readers: Vec<thread::JoinHandle<()>>,
}

fn collect(
    mut from: impl Read + Send + 'static,
    into: Arc<Mutex<Vec<u8>>>,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => into.lock().unwrap().extend_from_slice(&buf[..n]),
            }
        }
    })
}

impl KioskProcess {
    /// Starts `myna-kiosk --web --listen 127.0.0.1:0` with `args` and reads its first line.
    pub fn start(args: &[&str]) -> KioskProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_myna-kiosk"))
            .arg("--web")
            .args(["--listen", "127.0.0.1:0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start myna-kiosk --web");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let err_reader = collect(child.stderr.take().unwrap(), stderr.clone());
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).expect("the first line");
        let first = first.trim_end().to_owned();
        let Some(rest) = first.strip_prefix("http://127.0.0.1:") else {
            let _ = child.kill();
            let _ = child.wait();
            let _ = err_reader.join();
            panic!(
                "first line {first:?} is not the URL; stderr: {}",
                String::from_utf8_lossy(&stderr.lock().unwrap())
            );
        };
        let (port, token) = rest.split_once("/?token=").expect("URL with a token");
        let port: u16 = port.parse().expect("port");
        assert!(
            token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()),
            "{first}"
        );
        let token = token.to_owned();
        let stdout = Arc::new(Mutex::new(first.clone().into_bytes()));
        stdout.lock().unwrap().push(b'\n');
        let out_reader = collect(out, stdout.clone());
        KioskProcess {
            child,
            port,
            token,
            first_line: first,
            stdout,
            stderr,
            readers: vec![out_reader, err_reader],
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's resident set (VmRSS, KiB), from /proc.
    pub fn rss_kib(&self) -> u64 {
        let s = fs::read_to_string(format!("/proc/{}/status", self.pid())).expect("/proc status");
        s.lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .expect("VmRSS")
    }

    /// Stops the server and returns everything it wrote (stdout, stderr).
    pub fn finish(mut self) -> (String, String) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        let o = String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned();
        let e = String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned();
        (o, e)
    }

    /// The stations' readers, in station order (`GET /api/stations`).
    pub fn stations(&self) -> Vec<String> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let url = format!("http://127.0.0.1:{}/api/stations", self.port);
        let mut r = agent
            .get(&url)
            .header("X-Kiosk-Token", &self.token)
            .call()
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        let text = r.body_mut().read_to_string().expect("body");
        let v: Vec<Value> = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
        v.iter()
            .map(|s| s["reader"].as_str().expect("reader").to_owned())
            .collect()
    }

    /// A client of station `n`, which claims it.
    pub fn station(&self, n: usize) -> Station {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let mut s = Station {
            agent,
            base: format!("http://127.0.0.1:{}", self.port),
            n,
            token: self.token.clone(),
            tab: String::new(),
            requests: 0,
            body_bytes: 0,
            leak_check: None,
        };
        let (code, v) = s.post("claim", &json!({}));
        assert_eq!(code, 200, "claim: {v}");
        s.tab = v["tab"].as_str().expect("tab").to_owned();
        s
    }
}

impl Drop for KioskProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Looks at one response body.
pub type LeakCheck = Box<dyn FnMut(&str) + Send>;

/// A client of one station's JSON API.
pub struct Station {
    agent: ureq::Agent,
    base: String,
    pub n: usize,
    token: String,
    pub tab: String,
    /// Requests made and response bytes read.
    pub requests: u64,
    pub body_bytes: u64,
    /// Called with every response body (the soak test looks for secrets in it).
    pub leak_check: Option<LeakCheck>,
}

impl Station {
    fn seen(&mut self, body: &str) {
        self.requests += 1;
        self.body_bytes += body.len() as u64;
        if let Some(f) = self.leak_check.as_mut() {
            f(body);
        }
    }

    /// `POST /station/N/api/<what>` with a JSON body: the status and the JSON answer.
    pub fn post(&mut self, what: &str, body: &Value) -> (u16, Value) {
        let url = format!("{}/station/{}/api/{what}", self.base, self.n);
        let mut r = self
            .agent
            .post(&url)
            .header("X-Kiosk-Token", &self.token)
            .header("Origin", &self.base)
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .unwrap_or_else(|e| panic!("POST {url}: {e}"));
        let code = r.status().as_u16();
        let text = r.body_mut().read_to_string().expect("response body");
        self.seen(&text);
        let v = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("POST {url} -> {code}: not JSON ({e}): {text}"));
        (code, v)
    }

    /// `GET /station/N/api/state` (long poll when `after` is given).
    pub fn state(&mut self, after: Option<u64>, wait: u32) -> Value {
        let mut url = format!("{}/station/{}/api/state?wait={wait}", self.base, self.n);
        if let Some(v) = after {
            url.push_str(&format!("&after={v}"));
        }
        let mut r = self
            .agent
            .get(&url)
            .header("X-Kiosk-Token", &self.token)
            .call()
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        let code = r.status().as_u16();
        let text = r.body_mut().read_to_string().expect("response body");
        self.seen(&text);
        assert_eq!(code, 200, "GET {url}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("state is not JSON ({e}): {text}"))
    }

    /// Waits (long polls) until the state satisfies `pred`; fails after `secs` seconds.
    pub fn wait_for(&mut self, what: &str, secs: u64, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let mut st = self.state(None, 0);
        loop {
            if pred(&st) {
                return st;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "station {}: no {what} within {secs} s: {st}",
                self.n
            );
            let wait = left.as_secs().clamp(1, 25) as u32;
            st = self.state(st["version"].as_u64(), wait);
        }
    }

    /// Waits while the station is busy with the card.
    pub fn settle(&mut self, st: Value) -> Value {
        if kind(&st) != "busy" {
            return st;
        }
        self.wait_for("answer from the card", 60, |s| kind(s) != "busy")
    }

    /// Answers the current screen `st`; the status and the state that follows (busy waited
    /// out on success).
    pub fn answer_raw(&mut self, screen: u64, answer: Value) -> (u16, Value) {
        let tab = self.tab.clone();
        self.post(
            "answer",
            &json!({"tab": tab, "screen": screen, "answer": answer}),
        )
    }

    /// Answers the screen `st` and returns the next settled state; any error status fails.
    pub fn answer(&mut self, st: &Value, answer: Value) -> Value {
        let id = screen_id(st);
        let (code, v) = self.answer_raw(id, answer.clone());
        assert_eq!(code, 200, "answer {answer} at {st}: {v}");
        self.settle(v)
    }
}

/// `screen.kind` of a state.
pub fn kind(st: &Value) -> &str {
    st["screen"]["kind"].as_str().unwrap_or("?")
}

/// `screen.id` of a state.
pub fn screen_id(st: &Value) -> u64 {
    st["screen"]["id"].as_u64().expect("screen id")
}

/// The secret's purpose on a secret screen.
pub fn purpose(st: &Value) -> &str {
    st["screen"]["secret"]["purpose"].as_str().unwrap_or("?")
}

/// A secret answer.
pub fn secret(v: &str) -> Value {
    json!({"type": "secret", "value": v})
}

/// One full reset of the signature password through the user-authentication PIN `auth`, to
/// `new`, from an inserted card's first question to the done screen (confirming a last try if
/// asked); returns the outcome.
pub fn full_reset(st: &mut Station, auth: &str, new: &str) -> String {
    let mut s = st.wait_for("the PIN menu", 60, |s| !matches!(kind(s), "start" | "busy"));
    loop {
        s = match kind(&s) {
            "menu" => st.answer(&s, json!({"type": "choice", "value": 1})),
            "yesno" | "confirm" => st.answer(&s, json!({"type": "yes"})),
            "secret" => {
                let v = if purpose(&s) == "other_pin" {
                    auth
                } else {
                    new
                };
                st.answer(&s, secret(v))
            }
            "done" => return s["screen"]["outcome"].as_str().unwrap_or("?").to_owned(),
            other => panic!("unexpected screen {other}: {s}"),
        }
    }
}
