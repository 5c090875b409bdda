//! `status`, `verify` and `change`, and where PINs come from.

use std::str::FromStr;

use mynacard::credential::{
    read_secret_line, CredentialError, CredentialKind, LineError, OverLong, Pin, Rule,
};
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
            // The library's one bounded reader; the rest of an over-long line is left unread (the
            // command stops there).
            match read_secret_line(input, MAX_SECRET_BYTES, OverLong::Leave) {
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
