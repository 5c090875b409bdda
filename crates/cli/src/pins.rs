//! `status`, `verify` and `change`, and where PINs come from.

use std::io::{BufRead, Read};
use std::str::FromStr;

use mynacard::credential::{CredentialError, CredentialKind, Pin, Rule};
use mynacard::pin::{PinKind, PinStatus, RetryState};
use mynacard::reset::AnyPin;
use mynacard::LastTry;
use zeroize::Zeroizing;

use crate::backend::AnyCard;
use crate::exit::{self, Failure};
use crate::i18n::{t, Msg};
use crate::output::{self, pad};

/// A PIN kind as named on the command line.
#[derive(Debug, Clone, Copy)]
pub struct KindArg(pub PinKind);

impl FromStr for KindArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        KindArg::parse(s)
            .map(KindArg)
            .ok_or_else(|| t(Msg::UnknownPinKind(s)))
    }
}

impl KindArg {
    /// The name of a PIN kind on the command line: `sign`, `auth`, `residence`, `text`.
    pub const fn name(kind: PinKind) -> &'static str {
        match kind {
            PinKind::Signature => "sign",
            PinKind::UserAuth => "auth",
            PinKind::Residence => "residence",
            PinKind::TextAssist => "text",
        }
    }

    /// The PIN kind of a command-line name.
    pub fn parse(s: &str) -> Option<PinKind> {
        PinKind::ALL.into_iter().find(|k| KindArg::name(*k) == s)
    }
}

/// The longest secret accepted, in bytes: far above every credential of the card (16
/// characters at most), small enough that a hostile input cannot make the program hold much.
pub const MAX_SECRET_BYTES: usize = 1024;

/// Why a line could not be read as a secret.
#[derive(Debug)]
pub enum LineError {
    /// Longer than [`MAX_SECRET_BYTES`] (the rest is never read).
    TooLong,
    /// Not UTF-8.
    NotUtf8,
    /// The reader failed.
    Io(std::io::Error),
}

/// Reads one line of at most `limit` bytes (not counting the line end, `\n` or `\r\n`) from
/// `r`, holding it in zeroizing memory; `None` at the end of the input. At most `limit + 1`
/// bytes are read, so a longer line costs no more memory than that.
pub fn read_bounded_line<R: BufRead>(
    r: &mut R,
    limit: usize,
) -> Result<Option<Zeroizing<String>>, LineError> {
    // Room for the longest line and its end, allocated once, so that it never moves (a moved
    // buffer would leave an unzeroized copy behind).
    let mut buf = Zeroizing::new(Vec::with_capacity(limit + 2));
    let n = r
        .take(limit as u64 + 2)
        .read_until(b'\n', &mut buf)
        .map_err(LineError::Io)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    if buf.len() > limit {
        return Err(LineError::TooLong);
    }
    let bytes = std::mem::take(&mut *buf);
    match String::from_utf8(bytes) {
        Ok(s) => Ok(Some(Zeroizing::new(s))),
        Err(e) => {
            let _ = Zeroizing::new(e.into_bytes());
            Err(LineError::NotUtf8)
        }
    }
}

/// Where secrets come from: a no-echo prompt, or standard input one per line.
pub struct SecretSource {
    stdin: bool,
    input: Option<std::io::StdinLock<'static>>,
}

impl SecretSource {
    /// Prompts (`stdin == false`) or reads lines from standard input.
    pub fn new(stdin: bool) -> Self {
        SecretSource { stdin, input: None }
    }

    /// The next secret, at most [`MAX_SECRET_BYTES`] long. `prompt` is shown on the terminal
    /// when prompting.
    pub fn next(&mut self, prompt: &str) -> Result<Zeroizing<String>, Failure> {
        if self.stdin {
            let input = self.input.get_or_insert_with(|| std::io::stdin().lock());
            match read_bounded_line(input, MAX_SECRET_BYTES) {
                Ok(Some(l)) => Ok(l),
                Ok(None) => Err(Failure::new(
                    exit::INVALID_INPUT,
                    t(Msg::StdinEnded(prompt)),
                )),
                Err(LineError::TooLong) => Err(Failure::new(
                    exit::INVALID_INPUT,
                    t(Msg::SecretTooLong(MAX_SECRET_BYTES)),
                )),
                Err(LineError::NotUtf8) => {
                    Err(Failure::new(exit::INVALID_INPUT, t(Msg::SecretNotUtf8)))
                }
                Err(LineError::Io(e)) => {
                    Err(Failure::new(exit::INVALID_INPUT, t(Msg::StdinError(&e))))
                }
            }
        } else {
            // The terminal delivers at most one line of its input buffer (4 KiB on Linux), so
            // the prompt's line is bounded before it is stored; then the same limit applies.
            let v = rpassword::prompt_password(format!("{prompt}: "))
                .map(Zeroizing::new)
                .map_err(|e| Failure::new(exit::INVALID_INPUT, t(Msg::CannotPrompt(&e))))?;
            if v.len() > MAX_SECRET_BYTES {
                return Err(Failure::new(
                    exit::INVALID_INPUT,
                    t(Msg::SecretTooLong(MAX_SECRET_BYTES)),
                ));
            }
            Ok(v)
        }
    }

    /// Reads and validates a PIN of type `P`.
    pub fn pin<P: Pin>(&mut self, prompt: &str) -> Result<P, Failure> {
        let v = self.next(prompt)?;
        Ok(P::new(&v)?)
    }

    /// Reads and validates the current PIN of `kind`, prompting for it by its name.
    pub fn current_pin(&mut self, kind: PinKind) -> Result<AnyPin, Failure> {
        let v = self.next(&t(Msg::PromptCurrent(kind)))?;
        Ok(AnyPin::parse(kind, &v)?)
    }

    /// Reads a new PIN of `kind`: twice when prompting, once from standard input.
    pub fn new_pin(&mut self, kind: PinKind) -> Result<AnyPin, Failure> {
        let first = self.next(&t(Msg::PromptNew(kind)))?;
        let p = AnyPin::parse(kind, &first)?;
        if !self.stdin {
            let again = self.next(&t(Msg::PromptNewAgain(kind)))?;
            if *again != *first {
                return Err(CredentialError {
                    kind: CredentialKind::Pin(kind),
                    rule: Rule::Mismatch,
                }
                .into());
            }
        }
        Ok(p)
    }
}

fn state_text(s: RetryState, limit: u8) -> String {
    match s {
        RetryState::Verified => t(Msg::StateVerified(limit)),
        RetryState::TriesLeft(n) => format!("{n}/{limit}"),
        RetryState::Blocked => t(Msg::StateBlocked(limit)),
        RetryState::NoLimit => t(Msg::StateNoLimit),
    }
}

/// Prints a status table.
pub fn print_status(all: &[PinStatus]) -> Result<(), Failure> {
    let lang = crate::i18n::lang();
    let headings = t(Msg::StatusHeadings);
    // The format column fits the longest format text of the language.
    let fw = match lang {
        crate::i18n::Lang::Ja => 22,
        crate::i18n::Lang::En => 14,
    };
    let h: Vec<&str> = headings.split('\t').collect();
    output::line(format!(
        "{} {} {} {} {}",
        pad(h[0], 10),
        pad(h[1], 48),
        pad(h[2], fw),
        pad(h[3], 20),
        h[4]
    ))?;
    for s in all {
        for (i, r) in s.refs.iter().enumerate() {
            let (name, desc, fmt) = if i == 0 {
                (
                    KindArg::name(s.kind),
                    s.kind.name(lang),
                    t(Msg::Format(s.kind.format())),
                )
            } else {
                ("", "", String::new())
            };
            output::line(format!(
                "{} {} {} {} {}",
                pad(name, 10),
                pad(desc, 48),
                pad(&fmt, fw),
                pad(short_app(r.application), 20),
                state_text(r.state, s.limit)
            ))?;
        }
        if s.is_blocked() {
            output::line(format!("{:<10} {}", "", t(Msg::BlockedHint(s.kind))))?;
        }
    }
    Ok(())
}

fn short_app(name: &str) -> &str {
    name.split(' ').next().unwrap_or(name)
}

/// `status`.
pub fn status(card: &mut AnyCard, json: bool) -> Result<(), Failure> {
    let all = card.status_all()?;
    if json {
        output::json(&serde_json::json!({ "ok": true, "pins": all }))?;
    } else {
        print_status(&all)?;
    }
    Ok(())
}

/// What `verify` or `change` did, when it succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    /// The PIN was verified.
    Verified,
    /// The PIN was changed.
    Changed,
}

impl Done {
    /// Its key in the JSON report (`"verified": true`, `"changed": true`).
    const fn key(self) -> &'static str {
        match self {
            Done::Verified => "verified",
            Done::Changed => "changed",
        }
    }
}

/// Ends the card's security status with the command, then reports `done` for `kind`, or the
/// failure.
fn finish(
    card: &mut AnyCard,
    r: Result<(), Failure>,
    kind: PinKind,
    done: Done,
    json: bool,
) -> Result<(), Failure> {
    let _ = card.unpower();
    r?;
    if json {
        output::json(&serde_json::json!({ "ok": true, "kind": kind, done.key(): true }))
    } else {
        output::line(t(match done {
            Done::Verified => Msg::Verified(kind),
            Done::Changed => Msg::Changed(kind),
        }))
    }
}

/// `verify <kind>`.
pub fn verify(
    card: &mut AnyCard,
    src: &mut SecretSource,
    kind: PinKind,
    allow: bool,
    json: bool,
) -> Result<(), Failure> {
    let r = src.current_pin(kind).and_then(|pin| {
        card.verify_any(&pin, LastTry::allow_if(allow))?;
        Ok(())
    });
    finish(card, r, kind, Done::Verified, json)
}

/// `change <kind>`.
pub fn change(
    card: &mut AnyCard,
    src: &mut SecretSource,
    kind: PinKind,
    allow: bool,
    json: bool,
) -> Result<(), Failure> {
    let r = src.current_pin(kind).and_then(|current| {
        let new = src.new_pin(kind)?;
        card.change_any(&current, &new, LastTry::allow_if(allow))?;
        Ok(())
    });
    finish(card, r, kind, Done::Changed, json)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &[u8], limit: usize) -> Vec<Result<String, String>> {
        let mut r = std::io::Cursor::new(input.to_vec());
        let mut out = Vec::new();
        loop {
            match read_bounded_line(&mut r, limit) {
                Ok(Some(l)) => out.push(Ok(l.to_string())),
                Ok(None) => return out,
                Err(e) => {
                    out.push(Err(format!("{e:?}")));
                    return out;
                }
            }
        }
    }

    #[test]
    fn lines_are_bounded_and_line_ends_stripped() {
        assert_eq!(
            read(b"1234\r\nABC123\nlast", 8),
            [Ok("1234".into()), Ok("ABC123".into()), Ok("last".into())]
        );
        // Exactly the limit, with either line end: accepted.
        assert_eq!(read(b"12345678\r\n", 8), [Ok("12345678".to_string())]);
        assert_eq!(read(b"12345678\n", 8), [Ok("12345678".to_string())]);
        // One byte more, with or without a line end: refused.
        assert_eq!(read(b"123456789\n", 8), [Err("TooLong".to_string())]);
        assert_eq!(read(&[b'7'; 100_000], 8), [Err("TooLong".to_string())]);
        assert_eq!(read(b"\xff\xfe\n", 8), [Err("NotUtf8".to_string())]);
    }

    #[test]
    fn a_long_line_is_not_read_past_the_limit() {
        let mut r = std::io::Cursor::new(vec![b'1'; 1 << 20]);
        assert!(matches!(
            read_bounded_line(&mut r, 1024),
            Err(LineError::TooLong)
        ));
        assert!(r.position() <= 1026, "{}", r.position());
    }
}
