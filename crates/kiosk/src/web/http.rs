//! The appliance's HTTP/1.1 layer: one request per connection (every response closes it),
//! parsed with `httparse`, with every size bounded before anything is stored: the request head
//! ([`MAX_HEAD`] bytes, [`MAX_HEADERS`] headers), the body (the caller's limit, read only when
//! asked, after the request's checks), and the time to send them ([`READ_TIMEOUT`]).
//!
//! Every byte read from the connection goes into one zeroizing buffer, allocated once at its
//! full size (so never moved, never copied elsewhere by a reallocation): a secret in a body
//! leaves no copy behind in this layer.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use zeroize::Zeroizing;

/// The longest request head (request line and headers), in bytes: longer is 431.
pub(crate) const MAX_HEAD: usize = 16 * 1024;
/// The most headers in a request: more is 431.
pub(crate) const MAX_HEADERS: usize = 64;
/// How long a client may take to send a request (and to take a response).
pub(crate) const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest refused body read and dropped so that the refusal reaches the client.
const DRAIN: usize = 64 * 1024;

/// A response. [`Reply::new`] adds the headers every response carries.
pub(crate) struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    /// A response with a body of `content_type` and the headers of every response.
    pub(crate) fn new(status: u16, content_type: &str, body: Vec<u8>) -> Reply {
        let mut r = Reply {
            status,
            headers: Vec::new(),
            body,
        };
        for (n, v) in [
            ("Content-Type", content_type),
            ("Cache-Control", "no-store"),
            ("Content-Security-Policy", super::CSP),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "no-referrer"),
            ("X-Frame-Options", "DENY"),
        ] {
            r.add_header(n, v);
        }
        r
    }

    /// Adds a header (names and values are the server's own: no line breaks).
    pub(crate) fn add_header(&mut self, name: &str, value: &str) {
        debug_assert!(!value.contains(['\r', '\n']));
        self.headers
            .push((name.to_owned(), value.replace(['\r', '\n'], "")));
    }

    /// Writes the response and closes the connection.
    fn send(&self, stream: &mut TcpStream) {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, reason(self.status));
        for (n, v) in &self.headers {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        head.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            self.body.len()
        ));
        let _ = stream
            .write_all(head.as_bytes())
            .and_then(|_| stream.write_all(&self.body))
            .and_then(|_| stream.flush());
        let _ = stream.shutdown(Shutdown::Write);
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        303 => "See Other",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        421 => "Misdirected Request",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// Why a body could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Over the limit.
    TooLarge,
    /// Not readable: a transfer encoding, a bad length, the connection ended or timed out.
    Bad,
}

/// A request whose head has been read; its body is read on demand ([`Request::read_body`]).
pub(crate) struct Request {
    /// The method (`GET`, `POST`, …).
    pub(crate) method: String,
    /// The target (path and query).
    pub(crate) url: String,
    headers: Vec<(String, String)>,
    stream: TcpStream,
    /// Everything read so far; the body's first bytes follow the head.
    buf: Zeroizing<Vec<u8>>,
    head_len: usize,
}

impl Request {
    /// The values of the header `name` (any case).
    pub(crate) fn headers<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The one value of the header `name` (none if missing or repeated).
    pub(crate) fn single_header<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        let mut it = self.headers(name);
        let first = it.next()?;
        it.next().is_none().then_some(first)
    }

    /// Reads the body, at most `max` bytes (a longer one is refused, and what is left of it up
    /// to 64 KiB read and dropped, so that the refusal reaches the client). The body is in
    /// zeroizing memory.
    pub(crate) fn read_body(&mut self, max: usize) -> Result<Zeroizing<Vec<u8>>, BodyError> {
        if self.headers("Transfer-Encoding").next().is_some() {
            return Err(BodyError::Bad);
        }
        let length = match self.single_header("Content-Length") {
            None if self.headers("Content-Length").next().is_some() => return Err(BodyError::Bad),
            None => 0,
            Some(v) if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => {
                v.parse::<usize>().unwrap_or(usize::MAX)
            }
            Some(_) => return Err(BodyError::Bad),
        };
        let have = self.buf.len() - self.head_len;
        if length > max {
            if length <= DRAIN {
                let mut left = (length.saturating_sub(have)) as u64;
                while left > 0 {
                    let mut sink = [0u8; 1024];
                    match (&self.stream).take(left).read(&mut sink) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => left -= n as u64,
                    }
                }
            }
            return Err(BodyError::TooLarge);
        }
        if have > length {
            return Err(BodyError::Bad);
        }
        if have < length
            && self
                .single_header("Expect")
                .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
        {
            let _ = self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
        }
        // The buffer was allocated with room for the head and the largest body: no move.
        let start = self.buf.len();
        let end = self.head_len + length;
        self.buf.resize(end, 0);
        if self.stream.read_exact(&mut self.buf[start..end]).is_err() {
            return Err(BodyError::Bad);
        }
        let mut body = Zeroizing::new(Vec::with_capacity(length));
        body.extend_from_slice(&self.buf[self.head_len..end]);
        Ok(body)
    }

    /// Sends the response and closes the connection.
    pub(crate) fn respond(mut self, reply: Reply) {
        reply.send(&mut self.stream);
    }
}

/// Reads a request's head from `stream`. `None` when there is nothing to answer (the
/// connection closed or timed out); a plain-text refusal has been sent for a malformed or
/// over-long head.
pub(crate) fn read_request(mut stream: TcpStream, max_body: usize) -> Option<Request> {
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let _ = stream.set_write_timeout(Some(READ_TIMEOUT));
    let mut buf = Zeroizing::new(Vec::with_capacity(MAX_HEAD + max_body + 1));
    let head_len = loop {
        let len = buf.len();
        if len >= MAX_HEAD {
            refuse(&mut stream, 431);
            return None;
        }
        buf.resize(MAX_HEAD, 0);
        let n = match stream.read(&mut buf[len..MAX_HEAD]) {
            Ok(0) | Err(_) => return None,
            Ok(n) => n,
        };
        buf.truncate(len + n);
        let from = len.saturating_sub(3);
        if let Some(p) = buf[from..].windows(4).position(|w| w == b"\r\n\r\n") {
            break from + p + 4;
        }
    };
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    match parsed.parse(&buf[..head_len]) {
        Ok(httparse::Status::Complete(_)) => {}
        Err(httparse::Error::TooManyHeaders) => {
            refuse(&mut stream, 431);
            return None;
        }
        _ => {
            refuse(&mut stream, 400);
            return None;
        }
    }
    let (Some(method), Some(url)) = (parsed.method, parsed.path) else {
        refuse(&mut stream, 400);
        return None;
    };
    let mut hs = Vec::new();
    for h in parsed.headers.iter() {
        let Ok(v) = std::str::from_utf8(h.value) else {
            refuse(&mut stream, 400);
            return None;
        };
        hs.push((h.name.to_owned(), v.trim().to_owned()));
    }
    let (method, url) = (method.to_owned(), url.to_owned());
    Some(Request {
        method,
        url,
        headers: hs,
        stream,
        buf,
        head_len,
    })
}

fn refuse(stream: &mut TcpStream, status: u16) {
    let text = match status {
        431 => "Request head too large.\n",
        _ => "Malformed request.\n",
    };
    Reply::new(
        status,
        "text/plain; charset=utf-8",
        text.as_bytes().to_vec(),
    )
    .send(stream);
}

/// Answers a connection that cannot be served now (too many at once), without reading it.
pub(crate) fn unavailable(mut stream: TcpStream, reply: Reply) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    reply.send(&mut stream);
}
