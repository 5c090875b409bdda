//! The kiosk appliance, `myna-kiosk --web`: the guided flow ([`crate::flow::Kiosk`], the same
//! state machine as the terminal front end) served as a touch page to a browser on the same
//! machine (`chromium --kiosk <URL>`), one station per card reader.
//!
//! # Threat model
//!
//! The browser and the server run on the kiosk itself; the person at the screen is not trusted
//! with anything but their own card, and other programs and web pages the browser might reach
//! must not be able to drive the flow (spend a try, read a screen).
//!
//! * **Loopback only.** The server listens on a loopback address ([`Options::listen`]); any
//!   other address is refused before anything is bound ([`WebError::NotLoopback`]).
//! * **A per-launch token.** 32 random bytes from the operating system, printed (in the URL) on
//!   the first line of standard output and nowhere else. The page's first request carries it
//!   in its query; the server answers with an `HttpOnly; SameSite=Strict` cookie and a 303 to the
//!   same path without the query, so the token does not stay in the address bar or the history.
//!   Every other request needs the cookie (or the `X-Kiosk-Token` header, for non-browser
//!   clients); the comparison takes the same time wherever the first difference is. So another
//!   local user or program cannot use the API without reading the kiosk's own output.
//! * **Host.** The `Host` header must name the listen address (`127.0.0.1:PORT`, `localhost:PORT`,
//!   or `[::1]:PORT` for an IPv6 listen), else 421: a foreign web page that rebinds its own DNS
//!   name to 127.0.0.1 gets nothing (DNS rebinding).
//! * **Origin.** Every POST must carry `Origin: http://<Host>`, else 403; and a JSON content type
//!   (a cross-site form cannot send one without a CORS preflight, which the server never
//!   grants). Bodies are at most 4096 bytes.
//! * **CSP and friends on every response**, errors included: a strict Content-Security-Policy
//!   (scripts, styles and images from the server itself only; no inline script or style; no
//!   frames; no form actions), `nosniff`, `no-referrer`, `X-Frame-Options: DENY` and
//!   `Cache-Control: no-store` (no screen, and so no PIN status, lands in a cache). Every asset is
//!   embedded in the binary; nothing comes from a third party.
//! * **Bounded input.** A request head is at most 16 KiB and 64 headers (431), a body at most
//!   [`MAX_BODY`] bytes (413, judged from `Content-Length` before reading; chunked bodies are
//!   refused); a client has 10 s to send its request. Nothing malformed panics the server.
//! * **Secrets.** A PIN travels only in the body of an `answer` request: everything read from the
//!   connection lands in one zeroizing buffer, allocated once; the PIN is moved out of the parsed
//!   JSON into a zeroizing string at once; it is never logged, never in a
//!   response (screens only say which PIN is asked, never what was typed), never in the audit
//!   trail ([`crate::audit`] rows hold codes and counts only).
//! * **Out-of-order and replayed requests.** Each screen has an id; an answer names the screen it
//!   answers, and one for any other screen is refused (409 `stale`) before anything is done. So a
//!   double tap, a replayed request or a request from an old page never reaches the card and
//!   never spends a try. The newest tab that claimed a station owns it (409 `other_tab` for the
//!   others); while the station talks to the card, answers get 409 `busy`.
//!
//! # Threads
//!
//! * **One thread per station** owns the station's [`crate::flow::Kiosk`], its card and its terminal
//!   authority (none of which need be `Send`). It takes commands from one channel: card events,
//!   answers (each with a reply channel), the virtual card's demo control. It publishes each new
//!   screen into the station's shared view (a mutex and a condition variable) and times out an
//!   idle question with `recv_timeout`.
//! * **One monitor thread** waits for card events (`mynacard::pcsc::Monitor` for real readers,
//!   the in-process `mynacard::sim::VirtualSlot`'s monitor for the virtual card) and hands each
//!   to the station of its reader.
//! * **The accepting thread** takes connections and starts **one thread per connection** (at
//!   most [`MAX_REQUESTS`] at once; more get 503). Each connection carries one request (every
//!   response closes it), read with bounded sizes and a read timeout (the `http` layer, on
//!   `httparse`). A request thread checks the request, reads the view (a long poll waits on the
//!   condition variable) or sends a command to the station thread and waits for its reply. So
//!   two stations never wait for each other: each has its own thread and its own card.
//!
//! The flow's rules live only in [`crate::flow`]: a station shows the kiosk's steps (its
//! headings, lines, questions and outcomes, in both languages) and passes the answers back.

mod http;
mod station;

use std::fmt;
use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use http::{BodyError, Reply, Request};
use mynacard::events::{CardMonitor, MonitorError};
use mynacard::policy::Place;
use mynacard::reset::ResetAuthority;
use mynacard::transport::Transport;
use serde_json::{json, Value};
use zeroize::Zeroizing;

use crate::text::Lang;
use station::{Cmd, Shared, Station, WebAnswer};

use crate::audit;

/// The largest request body accepted, in bytes.
pub const MAX_BODY: usize = 4096;
/// The most requests handled at once; more are answered 503 at once.
pub const MAX_REQUESTS: usize = 64;
/// The longest long poll of `state`, in seconds.
pub const MAX_WAIT: u64 = 30;
/// The long poll of `state` when the request does not say, in seconds.
pub const DEFAULT_WAIT: u64 = 25;
/// The cookie that carries the token.
pub const COOKIE: &str = "myna_kiosk";
/// The header that carries the token for clients without cookies.
pub const TOKEN_HEADER: &str = "X-Kiosk-Token";
/// The Content-Security-Policy of every response.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const APP_CSS: &str = include_str!("assets/app.css");

/// Where the audit trail is kept unless told otherwise.
pub fn default_audit_path() -> PathBuf {
    audit::default_path()
}

/// Makes the terminal side of a reset, once per flow.
pub type AuthorityFactory = Arc<dyn Fn() -> Box<dyn ResetAuthority> + Send + Sync>;

/// Which readers get a station.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readers {
    /// One station, `virtual`: an in-process virtual reader holding the virtual card whose state
    /// is saved at this path (the card starts inserted; the page can pull it out and put it
    /// back).
    Virtual(PathBuf),
    /// One station per reader present at start (feature `pcsc`). Readers connected later get
    /// no station.
    All,
    /// One station per reader named, each of which must be present at start (feature `pcsc`).
    Named(Vec<String>),
}

/// How the appliance runs.
pub struct Options {
    /// The address to listen on: a loopback IP and a port (0: any free port).
    pub listen: SocketAddr,
    /// How long a question (or an outcome) stays without an answer before the station returns
    /// to its start screen.
    pub idle: Duration,
    /// The audit trail's database.
    pub audit: PathBuf,
    /// Where the kiosk stands.
    pub place: Place,
    /// The terminal side of each reset.
    pub authority: AuthorityFactory,
    /// The readers.
    pub readers: Readers,
    /// The stations' language at start.
    pub lang: Lang,
}

/// Why the appliance could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum WebError {
    /// The listen address is not a loopback address.
    NotLoopback(SocketAddr),
    /// The idle time is zero.
    NoIdle,
    /// Real readers need feature `pcsc`.
    NeedsPcsc,
    /// No reader is connected (`--reader all`).
    NoReaders,
    /// A reader named is not connected.
    NoSuchReader(String),
    /// The readers could not be listed, or the card not opened.
    Card(String),
    /// The audit trail could not be opened.
    Audit(String),
    /// The address could not be bound.
    Bind(String),
    /// Standard output could not be written.
    Output(std::io::Error),
}

impl WebError {
    /// The message, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let ja = lang == Lang::Ja;
        match self {
            WebError::NotLoopback(a) if ja => format!(
                "--listen {a}: ループバック以外のアドレスでは待ち受けません（127.0.0.1:PORT か [::1]:PORT を指定してください）"
            ),
            WebError::NotLoopback(a) => format!(
                "--listen {a}: the appliance listens on a loopback address only (give 127.0.0.1:PORT or [::1]:PORT)"
            ),
            WebError::NoIdle if ja => "--idle は1秒以上にしてください".into(),
            WebError::NoIdle => "--idle must be at least 1 second".into(),
            WebError::NeedsPcsc if ja => "実際のカードリーダーには機能 pcsc が必要です: `cargo run -p mynacard-kiosk --features pcsc -- --web --reader all`".into(),
            WebError::NeedsPcsc => "real readers need feature `pcsc`: `cargo run -p mynacard-kiosk --features pcsc -- --web --reader all`".into(),
            WebError::NoReaders if ja => "カードリーダーが接続されていません".into(),
            WebError::NoReaders => "no card reader is connected".into(),
            WebError::NoSuchReader(r) if ja => format!("カードリーダー \"{r}\" が接続されていません"),
            WebError::NoSuchReader(r) => format!("no reader named \"{r}\" is connected"),
            WebError::Card(e) => e.clone(),
            WebError::Audit(e) if ja => format!("監査記録を開けません: {e}"),
            WebError::Audit(e) => format!("cannot open the audit trail: {e}"),
            WebError::Bind(e) if ja => format!("待ち受けできません: {e}"),
            WebError::Bind(e) => format!("cannot listen: {e}"),
            WebError::Output(e) => format!("stdout: {e}"),
        }
    }

    /// The process exit code: 2 for a usage error, 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            WebError::NotLoopback(_)
            | WebError::NoIdle
            | WebError::NeedsPcsc
            | WebError::NoReaders
            | WebError::NoSuchReader(_) => 2,
            _ => 1,
        }
    }
}

impl fmt::Display for WebError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for WebError {}

/// Opens a real reader for a station's flow.
type OpenReader = Box<dyn Fn(&str, Lang) -> Result<Box<dyn Transport>, String> + Send + Sync>;

/// What every station thread shares.
pub(crate) struct Setup {
    pub(crate) place: Place,
    pub(crate) authority: AuthorityFactory,
    pub(crate) lang: Lang,
    pub(crate) idle: Duration,
    pub(crate) trail: audit::Trail,
    pub(crate) open_reader: OpenReader,
}

/// The error codes of the API ([`ApiError`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Code {
    Forbidden,
    BadHost,
    BadOrigin,
    UnsupportedMediaType,
    TooLarge,
    BadRequest,
    NotFound,
    MethodNotAllowed,
    Stale,
    OtherTab,
    Busy,
    NotVirtual,
    Unavailable,
}

impl Code {
    fn name(self) -> &'static str {
        match self {
            Code::Forbidden => "forbidden",
            Code::BadHost => "bad_host",
            Code::BadOrigin => "bad_origin",
            Code::UnsupportedMediaType => "unsupported_media_type",
            Code::TooLarge => "too_large",
            Code::BadRequest => "bad_request",
            Code::NotFound => "not_found",
            Code::MethodNotAllowed => "method_not_allowed",
            Code::Stale => "stale",
            Code::OtherTab => "other_tab",
            Code::Busy => "busy",
            Code::NotVirtual => "not_virtual",
            Code::Unavailable => "unavailable",
        }
    }

    fn status(self) -> u16 {
        match self {
            Code::Forbidden | Code::BadOrigin => 403,
            Code::BadHost => 421,
            Code::UnsupportedMediaType => 415,
            Code::TooLarge => 413,
            Code::BadRequest => 400,
            Code::NotFound | Code::NotVirtual => 404,
            Code::MethodNotAllowed => 405,
            Code::Stale | Code::OtherTab | Code::Busy => 409,
            Code::Unavailable => 503,
        }
    }

    fn message(self, lang: Lang) -> &'static str {
        let (ja, en) = match self {
            Code::Forbidden => (
                "アクセスできません。起動時に表示されたURLから開いてください。",
                "Not allowed: open the page from the URL the kiosk printed at start.",
            ),
            Code::BadHost => (
                "このアドレスでは応答しません。",
                "This server does not answer for that host name.",
            ),
            Code::BadOrigin => (
                "このページ以外からの操作は受け付けません。",
                "Requests from other pages are refused.",
            ),
            Code::UnsupportedMediaType => (
                "JSON で送信してください。",
                "Send JSON (Content-Type: application/json).",
            ),
            Code::TooLarge => ("送信内容が大きすぎます。", "The request is too large."),
            Code::BadRequest => (
                "この画面では受け付けない入力です。何も送信していません。",
                "That answer does not fit this screen. Nothing was sent to the card.",
            ),
            Code::NotFound => ("見つかりません。", "Not found."),
            Code::MethodNotAllowed => (
                "この操作はできません。",
                "That method is not allowed here.",
            ),
            Code::Stale => (
                "画面が古くなっています。最新の画面を表示します。何も送信していません。",
                "The screen changed meanwhile: here is the current one. Nothing was sent to the card.",
            ),
            Code::OtherTab => (
                "この端末は別のタブで開かれています。",
                "This station was opened in another tab.",
            ),
            Code::Busy => (
                "カードと通信中です。しばらくお待ちください。",
                "Talking to the card: please wait.",
            ),
            Code::NotVirtual => (
                "この端末は実際のカードリーダーです。",
                "This station has a real card reader.",
            ),
            Code::Unavailable => (
                "混み合っています。もう一度お試しください。",
                "Too many requests at once: try again.",
            ),
        };
        match lang {
            Lang::Ja => ja,
            Lang::En => en,
        }
    }
}

/// An error of the API, as `{"error": CODE, "message": TEXT}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    code: Code,
}

impl ApiError {
    pub(crate) fn new(code: Code) -> ApiError {
        ApiError { code }
    }
}

/// The running server's shared parts.
struct App {
    token: Zeroizing<String>,
    hosts: Vec<String>,
    stations: Vec<Arc<Shared>>,
    lang: Lang,
    active: AtomicUsize,
}

/// A random value as lowercase hex, `bytes` long before encoding.
fn random_hex(bytes: usize) -> Zeroizing<String> {
    let mut b = Zeroizing::new(vec![0u8; bytes]);
    // The OS random source failing is not something to serve around.
    getrandom::getrandom(&mut b).expect("the operating system's random source");
    let mut s = Zeroizing::new(String::with_capacity(bytes * 2));
    for x in b.iter() {
        s.push(char::from(b"0123456789abcdef"[usize::from(x >> 4)]));
        s.push(char::from(b"0123456789abcdef"[usize::from(x & 15)]));
    }
    s
}

/// Compares in a time that does not depend on where the first difference is.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Runs the appliance: opens the audit trail and the readers, binds `options.listen`, writes the
/// URLs to `out` (first line: the index with the token; then one line per station), and serves
/// until the process ends.
pub fn serve(options: Options, out: &mut dyn Write) -> Result<(), WebError> {
    if !options.listen.ip().is_loopback() {
        return Err(WebError::NotLoopback(options.listen));
    }
    if options.idle.is_zero() {
        return Err(WebError::NoIdle);
    }
    let lang = options.lang;
    // The stations' readers, and what watches them.
    type MonitorFactory =
        Box<dyn FnOnce() -> Result<Box<dyn CardMonitor>, MonitorError> + Send + 'static>;
    let (names, slot, monitor, open_reader): (Vec<String>, _, MonitorFactory, OpenReader) =
        match &options.readers {
            Readers::Virtual(path) => {
                let card = mynacard::sim::VirtualCard::open(path)
                    .map_err(|e| WebError::Card(e.message(lang)))?;
                let slot = mynacard::sim::VirtualSlot::new("virtual", card);
                let m = slot.monitor();
                (
                    vec!["virtual".to_owned()],
                    Some(slot),
                    Box::new(move || Ok(Box::new(m) as Box<dyn CardMonitor>)),
                    Box::new(|_: &str, _| Err("no reader".to_owned())),
                )
            }
            readers => real_readers(readers, lang)?,
        };
    let trail = audit::Trail::open(&options.audit).map_err(|e| WebError::Audit(e.to_string()))?;
    let listener = TcpListener::bind(options.listen).map_err(|e| WebError::Bind(e.to_string()))?;
    let addr = listener
        .local_addr()
        .map_err(|e| WebError::Bind(e.to_string()))?;
    let hosts = match addr {
        SocketAddr::V4(a) => vec![
            format!("{}:{}", a.ip(), a.port()),
            format!("localhost:{}", a.port()),
        ],
        SocketAddr::V6(a) => vec![
            format!("[{}]:{}", a.ip(), a.port()),
            format!("localhost:{}", a.port()),
        ],
    };
    let token = random_hex(32);
    let setup = Arc::new(Setup {
        place: options.place,
        authority: options.authority,
        lang,
        idle: options.idle,
        trail,
        open_reader,
    });
    let mut stations = Vec::new();
    let mut senders = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let (tx, rx) = mpsc::channel();
        let shared = Arc::new(Shared::new(i, name.clone(), slot.clone(), lang, tx.clone()));
        let s2 = Arc::clone(&shared);
        let setup2 = Arc::clone(&setup);
        std::thread::Builder::new()
            .name(format!("station {i}"))
            .spawn(move || loop {
                // A bug must not take a station down for good: it starts again from its start
                // screen (the flow in progress is lost, and its card unpowered as it is
                // dropped).
                let run = std::panic::AssertUnwindSafe(|| {
                    Station::new(Arc::clone(&s2), Arc::clone(&setup2)).run(&rx)
                });
                match std::panic::catch_unwind(run) {
                    Ok(()) => return,
                    Err(_) => {
                        eprintln!("myna-kiosk: station {i} failed and starts again");
                        std::thread::sleep(Duration::from_secs(1));
                    }
                }
            })
            .map_err(|e| WebError::Bind(e.to_string()))?;
        senders.push((name.clone(), tx));
        stations.push(shared);
    }
    std::thread::Builder::new()
        .name("card monitor".into())
        .spawn(move || watch(monitor, senders))
        .map_err(|e| WebError::Bind(e.to_string()))?;
    let base = format!("http://{}", hosts[0]);
    let line = |out: &mut dyn Write, s: String| -> Result<(), WebError> {
        writeln!(out, "{s}")
            .and_then(|_| out.flush())
            .map_err(WebError::Output)
    };
    line(out, format!("{base}/?token={}", token.as_str()))?;
    for s in &stations {
        // Only the first line is needed: a reader that stops after it (`| head -1`) does not
        // stop the server.
        let _ = line(
            out,
            format!(
                "station {}: {} {base}/station/{}/?token={}",
                s.index,
                s.reader,
                s.index,
                token.as_str()
            ),
        );
    }
    let app = Arc::new(App {
        token,
        hosts,
        stations,
        lang,
        active: AtomicUsize::new(0),
    });
    for stream in listener.incoming() {
        let Ok(stream) = stream else {
            continue;
        };
        if app.active.fetch_add(1, Ordering::SeqCst) >= MAX_REQUESTS {
            app.active.fetch_sub(1, Ordering::SeqCst);
            http::unavailable(stream, error(Code::Unavailable, app.lang, true));
            continue;
        }
        let app2 = Arc::clone(&app);
        let spawned = std::thread::Builder::new().spawn(move || {
            // Counted out however the thread ends (a panic included).
            let _slot = Active(&app2.active);
            if let Some(req) = http::read_request(stream, MAX_BODY) {
                route(&app2, req);
            }
        });
        if spawned.is_err() {
            app.active.fetch_sub(1, Ordering::SeqCst);
        }
    }
    Ok(())
}

/// One request thread, counted in [`App::active`] until dropped.
struct Active<'a>(&'a AtomicUsize);

impl Drop for Active<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The stations of real readers.
#[cfg(feature = "pcsc")]
#[allow(clippy::type_complexity)]
fn real_readers(
    readers: &Readers,
    lang: Lang,
) -> Result<
    (
        Vec<String>,
        Option<mynacard::sim::VirtualSlot>,
        Box<dyn FnOnce() -> Result<Box<dyn CardMonitor>, MonitorError> + Send + 'static>,
        OpenReader,
    ),
    WebError,
> {
    use mynacard::pcsc::{self, Options as PcscOptions, ReaderChoice, Share};
    let present = pcsc::list_readers().map_err(|e| WebError::Card(e.message(lang)))?;
    let names = match readers {
        Readers::Named(list) => {
            for r in list {
                if !present.contains(r) {
                    return Err(WebError::NoSuchReader(r.clone()));
                }
            }
            list.clone()
        }
        _ => present,
    };
    if names.is_empty() {
        return Err(WebError::NoReaders);
    }
    let open: OpenReader = Box::new(|reader: &str, lang: Lang| {
        let options = PcscOptions {
            share: Share::Exclusive,
            timeout: Duration::from_secs(5),
            ..PcscOptions::default()
        };
        pcsc::open(
            &ReaderChoice::Name(reader.to_owned()),
            &options,
            &mut |_| {},
        )
        .map(|t| Box::new(t) as Box<dyn Transport>)
        .map_err(|e| e.message(lang))
    });
    Ok((
        names,
        None,
        Box::new(|| pcsc::Monitor::new().map(|m| Box::new(m) as Box<dyn CardMonitor>)),
        open,
    ))
}

/// Without feature `pcsc`, real readers are refused.
#[cfg(not(feature = "pcsc"))]
#[allow(clippy::type_complexity)]
fn real_readers(
    _readers: &Readers,
    _lang: Lang,
) -> Result<
    (
        Vec<String>,
        Option<mynacard::sim::VirtualSlot>,
        Box<dyn FnOnce() -> Result<Box<dyn CardMonitor>, MonitorError> + Send + 'static>,
        OpenReader,
    ),
    WebError,
> {
    Err(WebError::NeedsPcsc)
}

/// The monitor thread: hands every card event to the station of its reader.
fn watch(
    monitor: Box<dyn FnOnce() -> Result<Box<dyn CardMonitor>, MonitorError> + Send>,
    stations: Vec<(String, mpsc::Sender<Cmd>)>,
) {
    let mut monitor = match monitor() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("myna-kiosk: card events: {e}");
            return;
        }
    };
    let mut told = false;
    loop {
        match monitor.wait(Duration::from_secs(3600)) {
            Ok(Some(e)) => {
                told = false;
                if let Some((_, tx)) = stations.iter().find(|(n, _)| n == e.reader()) {
                    let _ = tx.send(Cmd::Event(e));
                }
            }
            Ok(None) => {}
            Err(MonitorError::Cancelled) => return,
            Err(e) => {
                if !told {
                    eprintln!("myna-kiosk: card events: {e}");
                    told = true;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}

// ---- HTTP ----

/// A response with the headers every response carries.
fn respond(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
    Reply::new(status, content_type, body)
}

fn json_reply(status: u16, v: &Value) -> Reply {
    respond(status, "application/json", v.to_string().into_bytes())
}

fn error(code: Code, lang: Lang, api: bool) -> Reply {
    if api {
        json_reply(
            code.status(),
            &json!({"error": code.name(), "message": code.message(lang)}),
        )
    } else {
        respond(
            code.status(),
            "text/plain; charset=utf-8",
            format!("{}\n", code.message(lang)).into_bytes(),
        )
    }
}

/// Where a path leads.
enum Route {
    Index,
    Page(usize),
    Asset(&'static str, &'static str),
    Stations,
    Api(usize, &'static str),
    /// Nothing here: whether it is an API path, and the station it names.
    NotFound(bool, Option<usize>),
}

fn parse_route(app: &App, path: &str) -> Route {
    match path {
        "/" => return Route::Index,
        "/assets/app.js" => return Route::Asset(APP_JS, "text/javascript; charset=utf-8"),
        "/assets/app.css" => return Route::Asset(APP_CSS, "text/css; charset=utf-8"),
        "/api/stations" => return Route::Stations,
        _ => {}
    }
    let api_path = path.starts_with("/api/") || path.contains("/api/");
    let Some(rest) = path.strip_prefix("/station/") else {
        return Route::NotFound(api_path, None);
    };
    let (n, rest) = rest.split_once('/').unwrap_or((rest, ""));
    let index = n
        .parse::<usize>()
        .ok()
        .filter(|i| *i < app.stations.len() && i.to_string() == n);
    let Some(i) = index else {
        return Route::NotFound(api_path, None);
    };
    match rest {
        "" => Route::Page(i),
        "api/state" => Route::Api(i, "state"),
        "api/claim" => Route::Api(i, "claim"),
        "api/answer" => Route::Api(i, "answer"),
        "api/lang" => Route::Api(i, "lang"),
        "api/virtual" => Route::Api(i, "virtual"),
        _ => Route::NotFound(api_path, Some(i)),
    }
}

fn query_value<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// Handles one request and sends the response.
fn route(app: &App, mut req: Request) {
    let resp = handle(app, &mut req);
    req.respond(resp);
}

fn handle(app: &App, req: &mut Request) -> Reply {
    let url = req.url.clone();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let target = parse_route(app, path);
    let (api, lang) = match &target {
        Route::Api(i, _) => (true, app.stations[*i].view().lang),
        Route::Stations => (true, app.lang),
        Route::NotFound(api, Some(i)) => (*api, app.stations[*i].view().lang),
        Route::NotFound(api, None) => (*api, app.lang),
        Route::Page(i) => (false, app.stations[*i].view().lang),
        _ => (false, app.lang),
    };
    // DNS rebinding: only the listen address.
    let host = req.single_header("Host").map(str::to_owned);
    let Some(host) = host.filter(|h| app.hosts.iter().any(|a| a.eq_ignore_ascii_case(h))) else {
        return error(Code::BadHost, lang, api);
    };
    // The token: from the query of a page (then into a cookie), else the cookie or header.
    let page = matches!(target, Route::Index | Route::Page(_));
    if let (true, Some(t)) = (page && req.method == "GET", query_value(query, "token")) {
        if !same_secret(t.as_bytes(), app.token.as_bytes()) {
            return error(Code::Forbidden, lang, api);
        }
        let mut r = respond(303, "text/plain; charset=utf-8", Vec::new());
        r.add_header("Location", path);
        r.add_header(
            "Set-Cookie",
            &format!(
                "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/",
                app.token.as_str()
            ),
        );
        return r;
    }
    if !authorised(app, req) {
        return error(Code::Forbidden, lang, api);
    }
    let get = req.method == "GET";
    let post = req.method == "POST";
    match target {
        Route::NotFound(..) => error(Code::NotFound, lang, api),
        Route::Index | Route::Page(_) | Route::Asset(..) | Route::Stations if !get => {
            not_allowed(lang, api, "GET")
        }
        Route::Index if app.stations.len() == 1 => {
            let mut r = respond(303, "text/plain; charset=utf-8", Vec::new());
            r.add_header("Location", "/station/0/");
            r
        }
        Route::Index => respond(
            200,
            "text/html; charset=utf-8",
            index_page(app).into_bytes(),
        ),
        Route::Page(_) => respond(
            200,
            "text/html; charset=utf-8",
            INDEX_HTML.as_bytes().to_vec(),
        ),
        Route::Asset(body, ct) => respond(200, ct, body.as_bytes().to_vec()),
        Route::Stations => json_reply(
            200,
            &Value::Array(
                app.stations
                    .iter()
                    .map(|s| {
                        json!({"station": s.index, "reader": s.reader,
                               "url": format!("/station/{}/", s.index)})
                    })
                    .collect(),
            ),
        ),
        Route::Api(i, "state") => {
            if !get {
                return not_allowed(lang, true, "GET");
            }
            let after = query_value(query, "after").and_then(|v| v.parse::<u64>().ok());
            let wait = query_value(query, "wait")
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(DEFAULT_WAIT)
                .min(MAX_WAIT);
            json_reply(
                200,
                &app.stations[i].wait_state(after, Duration::from_secs(wait)),
            )
        }
        Route::Api(i, what) => {
            if !post {
                return not_allowed(lang, true, "POST");
            }
            let body = match post_body(req, &host) {
                Ok(b) => b,
                Err(code) => return error(code, lang, true),
            };
            let station = &app.stations[i];
            match api_post(station, what, body) {
                Ok(v) => json_reply(200, &v),
                Err(e) => {
                    let lang = station.view().lang;
                    error(e.code, lang, true)
                }
            }
        }
    }
}

fn not_allowed(lang: Lang, api: bool, allow: &str) -> Reply {
    let mut r = error(Code::MethodNotAllowed, lang, api);
    r.add_header("Allow", allow);
    r
}

fn authorised(app: &App, req: &Request) -> bool {
    let token = app.token.as_bytes();
    let by_header = req
        .headers(TOKEN_HEADER)
        .any(|v| same_secret(v.trim().as_bytes(), token));
    let by_cookie = req.headers("Cookie").any(|v| {
        v.split(';')
            .filter_map(|c| c.trim().split_once('='))
            .any(|(k, v)| k == COOKIE && same_secret(v.as_bytes(), token))
    });
    by_header || by_cookie
}

/// Checks a POST (Origin, Content-Type, size) and reads its JSON body.
fn post_body(req: &mut Request, host: &str) -> Result<Value, Code> {
    let origin_ok = req.single_header("Origin").is_some_and(|o| {
        o.strip_prefix("http://")
            .is_some_and(|h| h.eq_ignore_ascii_case(host))
    });
    if !origin_ok {
        return Err(Code::BadOrigin);
    }
    let json_type = req.single_header("Content-Type").is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    });
    if !json_type {
        return Err(Code::UnsupportedMediaType);
    }
    let body = req.read_body(MAX_BODY).map_err(|e| match e {
        BodyError::TooLarge => Code::TooLarge,
        BodyError::Bad => Code::BadRequest,
    })?;
    serde_json::from_slice::<Value>(&body).map_err(|_| Code::BadRequest)
}

fn bad() -> ApiError {
    ApiError::new(Code::BadRequest)
}

/// The POST endpoints of a station.
fn api_post(station: &Shared, what: &str, mut body: Value) -> Result<Value, ApiError> {
    if !body.is_object() {
        return Err(bad());
    }
    match what {
        "claim" => {
            let tab = random_hex(16);
            let t = tab.as_str().to_owned();
            station.update(|v| v.tab = Some(t.clone()));
            Ok(json!({"tab": t}))
        }
        "lang" => {
            let lang = body
                .get("lang")
                .and_then(Value::as_str)
                .and_then(|l| match l {
                    "ja" => Some(Lang::Ja),
                    "en" => Some(Lang::En),
                    _ => None,
                })
                .ok_or_else(bad)?;
            station.update(|v| v.lang = lang);
            station.send(Cmd::Touch);
            Ok(station.state())
        }
        "virtual" => {
            let remove = match body.get("action").and_then(Value::as_str) {
                Some("remove") => true,
                Some("insert") => false,
                _ => return Err(bad()),
            };
            if station.slot.is_none() {
                return Err(ApiError::new(Code::NotVirtual));
            }
            let (reply, rx) = mpsc::sync_channel(1);
            if !station.send(Cmd::Virtual { remove, reply }) {
                return Err(ApiError::new(Code::Unavailable));
            }
            rx.recv().map_err(|_| ApiError::new(Code::Unavailable))??;
            Ok(station.state())
        }
        "answer" => {
            let answer = parse_answer(&mut body)?;
            let tab = body.get("tab").and_then(Value::as_str).ok_or_else(bad)?;
            let screen = body.get("screen").and_then(Value::as_u64).ok_or_else(bad)?;
            {
                let v = station.view();
                if v.tab.as_deref() != Some(tab) {
                    return Err(ApiError::new(Code::OtherTab));
                }
                if v.screen.kind() == "busy" {
                    return Err(ApiError::new(Code::Busy));
                }
                if v.screen.id() != screen {
                    return Err(ApiError::new(Code::Stale));
                }
            }
            let (reply, rx) = mpsc::sync_channel(1);
            let cmd = Cmd::Answer {
                tab: tab.to_owned(),
                screen,
                answer,
                reply,
            };
            if !station.send(cmd) {
                return Err(ApiError::new(Code::Unavailable));
            }
            rx.recv().map_err(|_| ApiError::new(Code::Unavailable))??;
            Ok(station.state())
        }
        _ => Err(ApiError::new(Code::NotFound)),
    }
}

/// Reads the `answer` of an answer body; a secret is moved out of the body into zeroizing
/// memory.
fn parse_answer(body: &mut Value) -> Result<WebAnswer, ApiError> {
    let a = body.get_mut("answer").ok_or_else(bad)?;
    let kind = a.get("type").and_then(Value::as_str).ok_or_else(bad)?;
    let number = |v: &Value| {
        v.as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(bad)
    };
    Ok(match kind {
        "choice" => WebAnswer::Choice(number(a.get("value").ok_or_else(bad)?)?),
        "choices" => {
            let v = a.get("value").and_then(Value::as_array).ok_or_else(bad)?;
            WebAnswer::Choices(v.iter().map(number).collect::<Result<_, _>>()?)
        }
        "yes" => WebAnswer::Yes,
        "no" => WebAnswer::No,
        "quit" => WebAnswer::Quit,
        "secret" => match a.get_mut("value") {
            Some(Value::String(s)) => WebAnswer::Secret(Zeroizing::new(std::mem::take(s))),
            _ => return Err(bad()),
        },
        _ => return Err(bad()),
    })
}

/// The index of several stations: links to each (no script, no style).
fn index_page(app: &App) -> String {
    let mut s = String::from(
        "<!DOCTYPE html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><title>myna-kiosk</title>\
         <link rel=\"stylesheet\" href=\"/assets/app.css\"></head><body><main><h1>myna-kiosk</h1><ul>\n",
    );
    for st in &app.stations {
        s.push_str(&format!(
            "<li><a href=\"/station/{0}/\">station {0}: {1}</a></li>\n",
            st.index,
            html_escape(&st.reader)
        ));
    }
    s.push_str("</ul></main></body></html>\n");
    s
}

fn html_escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '<' => "&lt;".into(),
            '>' => "&gt;".into(),
            '&' => "&amp;".into(),
            '"' => "&quot;".into(),
            '\'' => "&#39;".into(),
            c => c.to_string(),
        })
        .collect()
}
