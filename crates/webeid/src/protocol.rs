//! The Web eID native-messaging protocol: framing, the three commands and their arguments, and
//! the error replies.
//!
//! Facts (from the `web-eid-app` README and source, summarised in the project's
//! `shared/webeid.md`): each message is a 32-bit length in native byte order followed by that
//! many bytes of UTF-8 JSON; the application first writes `{"version": ...}`, then reads one
//! command `{"command": ..., "arguments": {...}}`, writes one reply and exits. Every argument is
//! checked here, before the card is touched.

use std::io::{self, Read, Write};

use base64ct::{Base64, Encoding};
use mynacard::crypto::HashAlgorithm;
use mynacard::Lang;
use serde_json::{json, Map, Value};

/// The largest message accepted from the browser, in bytes. The Web eID extension itself sends
/// at most 8192 bytes; a length prefix above this cap is refused before anything is read or
/// allocated, so a stray 4 GB prefix costs nothing.
pub const MAX_FRAME: u32 = 64 * 1024;

/// The Web eID protocol generation this application speaks, written in the handshake
/// `{"version": ...}`. The extension compares its major number with its own (2 today), so this
/// is the protocol's version, not the crate's.
pub const PROTOCOL_VERSION: &str = "2.0.0";

/// The `appVersion` of the authentication token: where this application's release is described.
/// The project has no public release page, so the host is the reserved `.invalid` name; the
/// path carries the crate's version.
pub const APP_VERSION: &str = concat!(
    "https://mynacard.invalid/myna-webeid/",
    env!("CARGO_PKG_VERSION")
);

/// The error codes of the Web eID protocol that this application sends (web-eid.js
/// `ErrorCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The person cancelled the PIN dialog.
    UserCancelled,
    /// An argument was missing, malformed or not supported; nothing was sent to the card.
    InvalidArgument,
    /// Anything else: no card, a blocked PIN, a card error.
    NativeFatal,
}

impl ErrorCode {
    /// The code as the extension knows it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::UserCancelled => "ERR_WEBEID_USER_CANCELLED",
            ErrorCode::InvalidArgument => "ERR_WEBEID_NATIVE_INVALID_ARGUMENT",
            ErrorCode::NativeFatal => "ERR_WEBEID_NATIVE_FATAL",
        }
    }
}

/// An error reply: `{"error": {"code": ..., "message": ...}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebEidError {
    /// The code.
    pub code: ErrorCode,
    /// A message for a person (never a PIN).
    pub message: String,
}

impl WebEidError {
    /// An invalid-argument error.
    pub fn invalid(message: impl Into<String>) -> Self {
        WebEidError {
            code: ErrorCode::InvalidArgument,
            message: message.into(),
        }
    }

    /// A fatal error.
    pub fn fatal(message: impl Into<String>) -> Self {
        WebEidError {
            code: ErrorCode::NativeFatal,
            message: message.into(),
        }
    }

    /// The person cancelled.
    pub fn cancelled() -> Self {
        WebEidError {
            code: ErrorCode::UserCancelled,
            message: "the user cancelled the operation".into(),
        }
    }

    /// The reply's JSON.
    pub fn to_json(&self) -> Value {
        json!({"error": {"code": self.code.as_str(), "message": self.message}})
    }
}

impl std::fmt::Display for WebEidError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for WebEidError {}

/// Why a frame could not be read.
#[derive(Debug)]
pub enum FrameError {
    /// The input ended before any byte of a frame.
    Eof,
    /// The input ended inside a frame (in the length or in the message).
    Truncated {
        /// Bytes expected.
        expected: u64,
        /// Bytes received.
        got: u64,
    },
    /// The length prefix is above [`MAX_FRAME`]; nothing of the message was read.
    TooLarge(u32),
    /// An I/O error.
    Io(io::Error),
}

impl std::fmt::Display for FrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FrameError::Eof => f.write_str("no message: the input ended"),
            FrameError::Truncated { expected, got } => write!(
                f,
                "truncated message: {got} of {expected} bytes before the input ended"
            ),
            FrameError::TooLarge(n) => write!(
                f,
                "message of {n} bytes refused: more than the {MAX_FRAME} bytes accepted"
            ),
            FrameError::Io(e) => write!(f, "reading the message: {e}"),
        }
    }
}

impl std::error::Error for FrameError {}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> Result<usize, io::Error> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Reads one frame: the native-endian 32-bit length, then the message. At most [`MAX_FRAME`]
/// bytes are ever allocated.
pub fn read_frame(r: &mut impl Read) -> Result<Vec<u8>, FrameError> {
    let mut len = [0u8; 4];
    match read_full(r, &mut len).map_err(FrameError::Io)? {
        0 => return Err(FrameError::Eof),
        4 => {}
        got => {
            return Err(FrameError::Truncated {
                expected: 4,
                got: got as u64,
            })
        }
    }
    let n = u32::from_ne_bytes(len);
    if n > MAX_FRAME {
        return Err(FrameError::TooLarge(n));
    }
    let mut buf = vec![0u8; n as usize];
    let got = read_full(r, &mut buf).map_err(FrameError::Io)?;
    if got < buf.len() {
        return Err(FrameError::Truncated {
            expected: u64::from(n),
            got: got as u64,
        });
    }
    Ok(buf)
}

/// Writes one frame (length in native byte order, then the bytes) and flushes.
pub fn write_frame(w: &mut impl Write, message: &[u8]) -> io::Result<()> {
    let n = u32::try_from(message.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "message too long"))?;
    w.write_all(&n.to_ne_bytes())?;
    w.write_all(message)?;
    w.flush()
}

/// The handshake message.
pub fn handshake() -> Value {
    json!({ "version": PROTOCOL_VERSION })
}

/// One command with its checked arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `authenticate`: sign the challenge with the user-authentication key.
    Authenticate {
        /// The page's origin (`https://host[:port]`).
        origin: String,
        /// The server's challenge nonce (44 to 128 characters).
        challenge_nonce: String,
        /// The dialog's language, if the page asked for one.
        lang: Option<Lang>,
    },
    /// `get-signing-certificate`: the signature certificate (asks for the signature password).
    GetSigningCertificate {
        /// The page's origin.
        origin: String,
        /// The dialog's language, if the page asked for one.
        lang: Option<Lang>,
    },
    /// `sign`: sign a hash with the signature key.
    Sign {
        /// The page's origin.
        origin: String,
        /// The hash to sign, of the length of `hash_function`.
        hash: Vec<u8>,
        /// The hash function.
        hash_function: HashAlgorithm,
        /// The certificate (DER) the page expects the signature to be made with.
        certificate: Vec<u8>,
        /// The dialog's language, if the page asked for one.
        lang: Option<Lang>,
    },
}

impl Request {
    /// The origin that asks.
    pub fn origin(&self) -> &str {
        match self {
            Request::Authenticate { origin, .. }
            | Request::GetSigningCertificate { origin, .. }
            | Request::Sign { origin, .. } => origin,
        }
    }

    /// The language the page asked for.
    pub fn lang(&self) -> Option<Lang> {
        match self {
            Request::Authenticate { lang, .. }
            | Request::GetSigningCertificate { lang, .. }
            | Request::Sign { lang, .. } => *lang,
        }
    }
}

/// The command names.
pub const COMMANDS: [&str; 3] = ["authenticate", "get-signing-certificate", "sign"];

/// Parses a message `{"command": ..., "arguments": {...}}` and checks every argument.
pub fn parse_message(bytes: &[u8]) -> Result<Request, WebEidError> {
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| WebEidError::invalid(format!("the message is not valid JSON: {e}")))?;
    let Value::Object(mut obj) = v else {
        return Err(WebEidError::invalid("the message is not a JSON object"));
    };
    let command = match obj.remove("command") {
        Some(Value::String(s)) => s,
        Some(_) => return Err(WebEidError::invalid("\"command\" is not a string")),
        None => return Err(WebEidError::invalid("the message has no \"command\"")),
    };
    let arguments = obj
        .remove("arguments")
        .ok_or_else(|| WebEidError::invalid("the message has no \"arguments\""))?;
    if let Some(k) = obj.keys().next() {
        return Err(WebEidError::invalid(format!(
            "unexpected field \"{}\" in the message",
            shorten(k)
        )));
    }
    parse_command(&command, arguments)
}

/// Parses the command-line form: a command name and its arguments as a JSON object.
pub fn parse_command_line(command: &str, arguments: &str) -> Result<Request, WebEidError> {
    let v: Value = serde_json::from_str(arguments)
        .map_err(|e| WebEidError::invalid(format!("the arguments are not valid JSON: {e}")))?;
    parse_command(command, v)
}

fn shorten(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Checks a command's arguments.
pub fn parse_command(command: &str, arguments: Value) -> Result<Request, WebEidError> {
    let Value::Object(args) = arguments else {
        return Err(WebEidError::invalid("\"arguments\" is not a JSON object"));
    };
    match command {
        "authenticate" => {
            let mut a = Args::new(args, &["challengeNonce", "origin", "lang"])?;
            let origin = a.origin()?;
            let challenge_nonce = a.string("challengeNonce")?;
            check_nonce(&challenge_nonce).map_err(WebEidError::invalid)?;
            Ok(Request::Authenticate {
                origin,
                challenge_nonce,
                lang: a.lang()?,
            })
        }
        "get-signing-certificate" => {
            let mut a = Args::new(args, &["origin", "lang"])?;
            Ok(Request::GetSigningCertificate {
                origin: a.origin()?,
                lang: a.lang()?,
            })
        }
        "sign" => {
            let mut a = Args::new(
                args,
                &["hash", "hashFunction", "certificate", "origin", "lang"],
            )?;
            let origin = a.origin()?;
            let hash_function = parse_hash_function(&a.string("hashFunction")?)?;
            let hash = a.base64("hash")?;
            if hash.len() != hash_function.digest_len() {
                return Err(WebEidError::invalid(format!(
                    "\"hash\" is {} bytes, but a {} hash is {} bytes",
                    hash.len(),
                    hash_function_name(hash_function),
                    hash_function.digest_len()
                )));
            }
            let certificate = a.base64("certificate")?;
            mynacard::cert::Certificate::from_der(&certificate).map_err(|e| {
                WebEidError::invalid(format!("\"certificate\" is not an X.509 certificate: {e}"))
            })?;
            Ok(Request::Sign {
                origin,
                hash,
                hash_function,
                certificate,
                lang: a.lang()?,
            })
        }
        other => Err(WebEidError::invalid(format!(
            "unknown command \"{}\" (known: {})",
            shorten(other),
            COMMANDS.join(", ")
        ))),
    }
}

struct Args(Map<String, Value>);

impl Args {
    fn new(args: Map<String, Value>, allowed: &[&str]) -> Result<Self, WebEidError> {
        if let Some(k) = args.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(WebEidError::invalid(format!(
                "unexpected argument \"{}\"",
                shorten(k)
            )));
        }
        Ok(Args(args))
    }

    fn string(&mut self, name: &str) -> Result<String, WebEidError> {
        match self.0.remove(name) {
            Some(Value::String(s)) => Ok(s),
            Some(_) => Err(WebEidError::invalid(format!("\"{name}\" is not a string"))),
            None => Err(WebEidError::invalid(format!(
                "argument \"{name}\" is missing"
            ))),
        }
    }

    fn origin(&mut self) -> Result<String, WebEidError> {
        let o = self.string("origin")?;
        check_origin(&o).map_err(WebEidError::invalid)?;
        Ok(o)
    }

    fn base64(&mut self, name: &str) -> Result<Vec<u8>, WebEidError> {
        let s = self.string(name)?;
        Base64::decode_vec(&s)
            .map_err(|_| WebEidError::invalid(format!("\"{name}\" is not valid base64")))
    }

    fn lang(&mut self) -> Result<Option<Lang>, WebEidError> {
        match self.0.remove("lang") {
            None | Some(Value::Null) => Ok(None),
            // An unknown language is not an error: the dialog falls back to the locale.
            Some(Value::String(s)) => Ok(Lang::parse(&s)),
            Some(_) => Err(WebEidError::invalid("\"lang\" is not a string")),
        }
    }
}

/// Checks an origin: `https://host[:port]`, nothing else (no path, no trailing slash, no user,
/// query or fragment). The host is a DNS name (letters, digits, `-`, `.`), or an IPv6 address
/// in brackets; the port is 1 to 65535.
pub fn check_origin(origin: &str) -> Result<(), String> {
    let bad = |why: &str| {
        Err(format!(
            "origin \"{}\" is not https://host[:port]: {why}",
            shorten(origin)
        ))
    };
    if origin.len() > 255 {
        return bad("too long");
    }
    let Some(rest) = origin.strip_prefix("https://") else {
        return bad("the scheme must be https");
    };
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let Some((addr, after)) = v6.split_once(']') else {
            return bad("unclosed IPv6 bracket");
        };
        if addr.is_empty() || !addr.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
            return bad("not an IPv6 address");
        }
        match after.strip_prefix(':') {
            Some(p) => (addr, Some(p)),
            None if after.is_empty() => (addr, None),
            None => return bad("unexpected characters after the host"),
        }
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if host.is_empty() {
        return bad("no host");
    }
    if !rest.starts_with('[')
        && (!host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            || host.starts_with('.')
            || host.ends_with('.')
            || host.contains(".."))
    {
        return bad(
            "the host may hold only letters, digits, '-' and '.', with no path or trailing slash",
        );
    }
    if let Some(p) = port {
        if p.is_empty() || p.len() > 5 || !p.chars().all(|c| c.is_ascii_digit()) {
            return bad("the port must be a number");
        }
        match p.parse::<u32>() {
            Ok(1..=65535) => {}
            _ => return bad("the port must be 1 to 65535"),
        }
    }
    Ok(())
}

/// The accepted challenge-nonce lengths, in characters.
pub const NONCE_LENGTH: std::ops::RangeInclusive<usize> = 44..=128;

/// Checks a challenge nonce: 44 to 128 characters.
pub fn check_nonce(nonce: &str) -> Result<(), String> {
    let n = nonce.chars().count();
    if !NONCE_LENGTH.contains(&n) {
        return Err(format!(
            "\"challengeNonce\" is {n} characters; it must be {} to {}",
            NONCE_LENGTH.start(),
            NONCE_LENGTH.end()
        ));
    }
    Ok(())
}

/// The hash functions of the protocol that the card signs with (PKCS#1 v1.5 DigestInfo); the
/// protocol's others (SHA-224, SHA3-*) are refused as not supported.
pub fn parse_hash_function(name: &str) -> Result<HashAlgorithm, WebEidError> {
    match name {
        "SHA-256" => Ok(HashAlgorithm::Sha256),
        "SHA-384" => Ok(HashAlgorithm::Sha384),
        "SHA-512" => Ok(HashAlgorithm::Sha512),
        "SHA-224" | "SHA3-224" | "SHA3-256" | "SHA3-384" | "SHA3-512" => {
            Err(WebEidError::invalid(format!(
                "hash function {name} is not supported by the My Number Card (SHA-256, SHA-384 and SHA-512 are)"
            )))
        }
        other => Err(WebEidError::invalid(format!(
            "unknown hash function \"{}\"",
            shorten(other)
        ))),
    }
}

/// The protocol's name of a hash function.
pub fn hash_function_name(h: HashAlgorithm) -> &'static str {
    match h {
        HashAlgorithm::Sha256 => "SHA-256",
        HashAlgorithm::Sha384 => "SHA-384",
        HashAlgorithm::Sha512 => "SHA-512",
    }
}

/// The signature algorithms the signature key supports, as `get-signing-certificate` lists them.
pub fn supported_signature_algorithms() -> Value {
    Value::Array(
        [
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
        ]
        .iter()
        .map(|h| signature_algorithm(*h))
        .collect(),
    )
}

/// One `signatureAlgorithm` object: RSA, the hash, PKCS#1 v1.5 padding.
pub fn signature_algorithm(h: HashAlgorithm) -> Value {
    json!({"cryptoAlgorithm": "RSA", "hashFunction": hash_function_name(h), "paddingScheme": "PKCS1.5"})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins() {
        for ok in [
            "https://example.jp",
            "https://example.jp:8443",
            "https://127.0.0.1:1",
            "https://[::1]:443",
            "https://a-b.c",
        ] {
            assert_eq!(check_origin(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://example.jp",
            "https://example.jp/",
            "https://example.jp/path",
            "https://user@example.jp",
            "https://example.jp:0",
            "https://example.jp:65536",
            "https://example.jp:",
            "https://example.jp?q",
            "https://",
            "https://.example.jp",
            "example.jp",
            "https://exa mple.jp",
            "https://[::1",
            "HTTPS://example.jp",
        ] {
            assert!(check_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn nonce_lengths() {
        assert!(check_nonce(&"a".repeat(43)).is_err());
        assert!(check_nonce(&"a".repeat(44)).is_ok());
        assert!(check_nonce(&"a".repeat(128)).is_ok());
        assert!(check_nonce(&"a".repeat(129)).is_err());
    }

    #[test]
    fn frames_are_bounded() {
        let mut big = (MAX_FRAME + 1).to_ne_bytes().to_vec();
        big.extend_from_slice(b"{}");
        assert!(matches!(
            read_frame(&mut big.as_slice()),
            Err(FrameError::TooLarge(n)) if n == MAX_FRAME + 1
        ));
        let huge = u32::MAX.to_ne_bytes();
        assert!(matches!(
            read_frame(&mut huge.as_slice()),
            Err(FrameError::TooLarge(u32::MAX))
        ));
        let mut short = 10u32.to_ne_bytes().to_vec();
        short.extend_from_slice(b"{}");
        assert!(matches!(
            read_frame(&mut short.as_slice()),
            Err(FrameError::Truncated {
                expected: 10,
                got: 2
            })
        ));
        assert!(matches!(
            read_frame(&mut [1u8, 0].as_slice()),
            Err(FrameError::Truncated {
                expected: 4,
                got: 2
            })
        ));
        assert!(matches!(
            read_frame(&mut [].as_slice()),
            Err(FrameError::Eof)
        ));
        let mut out = Vec::new();
        write_frame(&mut out, b"{\"a\":1}").unwrap();
        assert_eq!(read_frame(&mut out.as_slice()).unwrap(), b"{\"a\":1}");
    }

    #[test]
    fn messages_are_checked_strictly() {
        let nonce = "n".repeat(44);
        let ok = format!(
            r#"{{"command":"authenticate","arguments":{{"challengeNonce":"{nonce}","origin":"https://example.jp","lang":"ja"}}}}"#
        );
        assert_eq!(
            parse_message(ok.as_bytes()).unwrap(),
            Request::Authenticate {
                origin: "https://example.jp".into(),
                challenge_nonce: nonce.clone(),
                lang: Some(Lang::Ja)
            }
        );
        let extra_top = format!(
            r#"{{"command":"authenticate","arguments":{{"challengeNonce":"{nonce}","origin":"https://example.jp"}},"x":1}}"#
        );
        let extra_arg = format!(
            r#"{{"command":"authenticate","arguments":{{"challengeNonce":"{nonce}","origin":"https://example.jp","pin":"1234"}}}}"#
        );
        for bad in [
            extra_top.as_str(),
            extra_arg.as_str(),
            r#"{"command":"fly","arguments":{}}"#,
            r#"{"command":"authenticate"}"#,
            r#"{"command":"authenticate","arguments":[]}"#,
            r#"[1]"#,
            r#"{"command":"#,
            r#"{"command":"get-signing-certificate","arguments":{"origin":"https://a/"}}"#,
        ] {
            let e = parse_message(bad.as_bytes()).unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidArgument, "{bad}");
        }
    }

    #[test]
    #[cfg(feature = "sim")]
    fn sign_hash_length_must_match_the_function() {
        let cert = Base64::encode_string(&mynacard::sim::pki::virtual_auth_ca());
        let args = |h: &[u8], f: &str| {
            json!({"hash": Base64::encode_string(h), "hashFunction": f,
                   "certificate": cert, "origin": "https://example.jp"})
        };
        assert!(parse_command("sign", args(&[0; 32], "SHA-256")).is_ok());
        assert!(parse_command("sign", args(&[0; 48], "SHA-384")).is_ok());
        assert!(parse_command("sign", args(&[0; 64], "SHA-512")).is_ok());
        for (h, f) in [
            (&[0u8; 32][..], "SHA-384"),
            (&[0; 33], "SHA-256"),
            (&[0; 28], "SHA-224"),
            (&[0; 32], "SHA3-256"),
            (&[0; 32], "MD5"),
        ] {
            assert_eq!(
                parse_command("sign", args(h, f)).unwrap_err().code,
                ErrorCode::InvalidArgument,
                "{f}"
            );
        }
        let mut bad_cert = args(&[0; 32], "SHA-256");
        bad_cert["certificate"] = json!(Base64::encode_string(b"not a certificate"));
        assert!(parse_command("sign", bad_cert).is_err());
    }
}
