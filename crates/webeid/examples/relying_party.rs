//! A minimal relying party: a login page, a challenge, and the token check.
//!
//! ```sh
//! cargo run -p mynacard-webeid --example relying_party -- \
//!     --origin https://login.example.jp --listen 127.0.0.1:8080 [--trust production|test|virtual] \
//!     [--web-eid-js path/to/web-eid.js]
//! ```
//!
//! It speaks plain HTTP on the address given and is meant to sit behind a TLS-terminating
//! proxy that serves `--origin` (Web eID works on https pages only). Endpoints:
//!
//! * `GET /`: the login page; its script loads `/web-eid.js` (the official `web-eid.js`
//!   library, served from `--web-eid-js`) and calls `webeid.authenticate(nonce, {lang})`;
//! * `GET /auth/challenge`: a fresh nonce (32 random bytes, base64: 44 characters), kept for
//!   five minutes for the session cookie it sets;
//! * `POST /auth/login` with the token as JSON (or `{"authToken": token}`): the nonce of the
//!   session is taken out (one use only), the token is checked with
//!   `mynacard_webeid::validator::Validator`, and the answer is the certificate's identity (200)
//!   or the refusal (401).
//!
//! One request at a time, bodies at most 16 KiB, at most 1000 pending challenges: a
//! demonstration, not a production server.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use base64ct::{Base64, Encoding};
use mynacard_webeid::validator::Validator;
use serde_json::{json, Value};

const MAX_BODY: usize = 16 * 1024;
const NONCE_LIFETIME: Duration = Duration::from_secs(300);
const MAX_PENDING: usize = 1000;

const PAGE: &str = r##"<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><title>マイナンバーカードでログイン</title></head>
<body>
<h1>マイナンバーカードでログイン / Log in with your My Number Card</h1>
<button id="login">ログイン / Log in</button>
<pre id="result"></pre>
<script type="module">
import * as webeid from "/web-eid.js";
document.querySelector("#login").addEventListener("click", async () => {
  const out = document.querySelector("#result");
  try {
    const { nonce } = await (await fetch("/auth/challenge")).json();
    const authToken = await webeid.authenticate(nonce, { lang: navigator.language.substr(0, 2) });
    const r = await fetch("/auth/login", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ authToken }),
    });
    out.textContent = JSON.stringify(await r.json(), null, 2);
  } catch (e) {
    out.textContent = "error: " + (e.code || "") + " " + e.message;
  }
});
</script>
</body></html>
"##;

struct Server {
    origin: String,
    validator: Validator,
    web_eid_js: Option<Vec<u8>>,
    pending: HashMap<String, (String, Instant)>,
}

struct Request {
    method: String,
    path: String,
    cookie_session: Option<String>,
    body: Vec<u8>,
}

fn random_b64(n: usize) -> String {
    let mut b = vec![0u8; n];
    getrandom::getrandom(&mut b).expect("the system's random source");
    Base64::encode_string(&b)
}

fn read_request(stream: &mut TcpStream) -> Result<Request, String> {
    let mut r = BufReader::new(stream.take(MAX_BODY as u64 + 8192));
    let mut line = String::new();
    r.read_line(&mut line).map_err(|e| e.to_string())?;
    let mut parts = line.split_whitespace();
    let method = parts.next().ok_or("empty request")?.to_owned();
    let path = parts.next().ok_or("no path")?.to_owned();
    let mut length = 0usize;
    let mut cookie_session = None;
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).map_err(|e| e.to_string())? == 0 {
            return Err("the headers did not end".into());
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let Some((name, value)) = h.split_once(':') else {
            return Err("a malformed header".into());
        };
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => {
                length = value.parse().map_err(|_| "a bad Content-Length")?;
                if length > MAX_BODY {
                    return Err("the body is too large".into());
                }
            }
            "cookie" => {
                cookie_session = value
                    .split(';')
                    .filter_map(|c| c.trim().strip_prefix("session="))
                    .map(str::to_owned)
                    .next();
            }
            _ => {}
        }
    }
    let mut body = vec![0u8; length];
    r.read_exact(&mut body).map_err(|e| e.to_string())?;
    Ok(Request {
        method,
        path,
        cookie_session,
        body,
    })
}

fn respond(stream: &mut TcpStream, status: &str, content_type: &str, extra: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}

impl Server {
    fn handle(&mut self, req: Request) -> (&'static str, &'static str, String, Vec<u8>) {
        let json_reply = |status, v: Value| {
            (
                status,
                "application/json",
                String::new(),
                v.to_string().into_bytes(),
            )
        };
        match (req.method.as_str(), req.path.as_str()) {
            ("GET", "/") => (
                "200 OK",
                "text/html; charset=utf-8",
                String::new(),
                PAGE.as_bytes().to_vec(),
            ),
            ("GET", "/web-eid.js") => match &self.web_eid_js {
                Some(js) => ("200 OK", "text/javascript", String::new(), js.clone()),
                None => (
                    "404 Not Found",
                    "text/plain",
                    String::new(),
                    b"start the server with --web-eid-js PATH (the web-eid.js library)".to_vec(),
                ),
            },
            ("GET", "/auth/challenge") => {
                let now = Instant::now();
                self.pending
                    .retain(|_, (_, t)| now.duration_since(*t) < NONCE_LIFETIME);
                if self.pending.len() >= MAX_PENDING {
                    return json_reply(
                        "503 Service Unavailable",
                        json!({"error": "too many pending logins"}),
                    );
                }
                let session = random_b64(18);
                let nonce = random_b64(32);
                self.pending.insert(session.clone(), (nonce.clone(), now));
                let (s, ct, _, body) = json_reply("200 OK", json!({ "nonce": nonce }));
                (
                    s,
                    ct,
                    format!("Set-Cookie: session={session}; HttpOnly; Secure; SameSite=Strict\r\n"),
                    body,
                )
            }
            ("POST", "/auth/login") => {
                // One use: the nonce leaves the store whatever the outcome.
                let Some((nonce, issued)) = req
                    .cookie_session
                    .as_ref()
                    .and_then(|s| self.pending.remove(s))
                else {
                    return json_reply(
                        "401 Unauthorized",
                        json!({"refusal": "no challenge for this session"}),
                    );
                };
                if issued.elapsed() >= NONCE_LIFETIME {
                    return json_reply(
                        "401 Unauthorized",
                        json!({"refusal": "the challenge expired"}),
                    );
                }
                let Ok(mut v) = serde_json::from_slice::<Value>(&req.body) else {
                    return json_reply(
                        "400 Bad Request",
                        json!({"refusal": "the body is not JSON"}),
                    );
                };
                if let Some(t) = v.get_mut("authToken") {
                    v = t.take();
                }
                match self
                    .validator
                    .validate_json(&v.to_string(), &self.origin, &nonce)
                {
                    Ok(id) => json_reply(
                        "200 OK",
                        json!({"subject": id.subject, "serial": id.serial_hex,
                               "issuer": id.issuer, "hierarchy": id.hierarchy.to_string(),
                               "fingerprint": id.fingerprint_sha256}),
                    ),
                    Err(e) => json_reply("401 Unauthorized", json!({"refusal": e.to_string()})),
                }
            }
            _ => (
                "404 Not Found",
                "text/plain",
                String::new(),
                b"not found".to_vec(),
            ),
        }
    }
}

fn main() {
    let mut origin = None;
    let mut listen = "127.0.0.1:8080".to_string();
    let mut trust = "production".to_string();
    let mut web_eid_js = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let Some(v) = args.next() else {
            eprintln!("{a} needs a value");
            std::process::exit(2);
        };
        match a.as_str() {
            "--origin" => origin = Some(v),
            "--listen" => listen = v,
            "--trust" => trust = v,
            "--web-eid-js" => {
                web_eid_js = Some(std::fs::read(&v).unwrap_or_else(|e| {
                    eprintln!("{v}: {e}");
                    std::process::exit(2)
                }))
            }
            _ => {
                eprintln!("unknown option {a}");
                std::process::exit(2);
            }
        }
    }
    let Some(origin) = origin else {
        eprintln!("--origin https://host[:port] is required (the origin the browser sees)");
        std::process::exit(2);
    };
    if let Err(e) = mynacard_webeid::protocol::check_origin(&origin) {
        eprintln!("{e}");
        std::process::exit(2);
    }
    let validator = match trust.as_str() {
        "production" => Validator::production(),
        "test" => Validator::production().with_jpki_test_roots(),
        "virtual" => Validator::production().with_virtual_card_root(),
        other => {
            eprintln!("--trust {other}: production, test or virtual");
            std::process::exit(2);
        }
    };
    let listener = TcpListener::bind(&listen).unwrap_or_else(|e| {
        eprintln!("{listen}: {e}");
        std::process::exit(1)
    });
    let addr = listener.local_addr().expect("the bound address");
    println!("listening on http://{addr} for {origin}");
    let _ = std::io::stdout().flush();
    let mut server = Server {
        origin,
        validator,
        web_eid_js,
        pending: HashMap::new(),
    };
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        match read_request(&mut stream) {
            Ok(req) => {
                let (status, ct, extra, body) = server.handle(req);
                respond(&mut stream, status, ct, &extra, &body);
            }
            Err(e) => respond(
                &mut stream,
                "400 Bad Request",
                "text/plain",
                "",
                e.as_bytes(),
            ),
        }
    }
}
