//! `status`, `verify` and `change`, and where PINs come from.

use std::io::BufRead;
use std::str::FromStr;

use mynacard::credential::{
    AuthPin, CredentialError, CredentialKind, Pin, ResidencePin, Rule, SignaturePassword,
    TextAssistPin,
};
use mynacard::pin::{PinKind, PinStatus, RetryState};
use mynacard::LastTry;
use zeroize::Zeroizing;

use crate::backend::AnyCard;
use crate::exit::{self, Failure};
use crate::output;

/// A PIN kind as named on the command line.
#[derive(Debug, Clone, Copy)]
pub struct KindArg(pub PinKind);

impl FromStr for KindArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        PinKind::from_cli_name(s)
            .map(KindArg)
            .ok_or_else(|| format!("unknown PIN kind `{s}`: use sign, auth, residence or text"))
    }
}

/// Where secrets come from: a no-echo prompt, or standard input one per line.
pub struct SecretSource {
    stdin: bool,
    lines: Option<std::io::Lines<std::io::StdinLock<'static>>>,
}

impl SecretSource {
    /// Prompts (`stdin == false`) or reads lines from standard input.
    pub fn new(stdin: bool) -> Self {
        SecretSource { stdin, lines: None }
    }

    /// The next secret. `prompt` is shown on the terminal when prompting.
    pub fn next(&mut self, prompt: &str) -> Result<Zeroizing<String>, Failure> {
        if self.stdin {
            let lines = self
                .lines
                .get_or_insert_with(|| std::io::stdin().lock().lines());
            match lines.next() {
                Some(Ok(l)) => Ok(Zeroizing::new(l.trim_end_matches('\r').to_owned())),
                Some(Err(e)) => Err(Failure::new(
                    exit::INVALID_INPUT,
                    format!("reading standard input: {e}"),
                )),
                None => Err(Failure::new(
                    exit::INVALID_INPUT,
                    format!("standard input ended before: {prompt}"),
                )),
            }
        } else {
            rpassword::prompt_password(format!("{prompt}: "))
                .map(Zeroizing::new)
                .map_err(|e| {
                    Failure::new(
                        exit::INVALID_INPUT,
                        format!(
                            "cannot prompt for the PIN ({e}); use --pin-stdin to read it from \
                             standard input"
                        ),
                    )
                })
        }
    }

    /// Reads and validates a PIN of type `P`.
    pub fn pin<P: Pin>(&mut self, prompt: &str) -> Result<P, Failure> {
        let v = self.next(prompt)?;
        Ok(P::new(&v)?)
    }

    /// Reads a new PIN of type `P`: twice when prompting, once from standard input.
    pub fn new_pin<P: Pin>(&mut self, what: &str) -> Result<P, Failure> {
        let first = self.next(&format!("New {what}"))?;
        let p = P::new(&first)?;
        if !self.stdin {
            let again = self.next(&format!("New {what}, again"))?;
            if *again != *first {
                return Err(CredentialError {
                    kind: CredentialKind::Pin(P::KIND),
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
        RetryState::Verified => format!("{limit}/{limit} (verified)"),
        RetryState::TriesLeft(n) => format!("{n}/{limit}"),
        RetryState::Blocked => format!("0/{limit} BLOCKED"),
        RetryState::NoLimit => "no limit".into(),
    }
}

/// Terminal display width: East Asian wide and full-width characters take two columns.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

/// Pads `s` with spaces to `cols` display columns.
fn pad(s: &str, cols: usize) -> String {
    format!("{s}{}", " ".repeat(cols.saturating_sub(width(s))))
}

/// Prints a status table.
pub fn print_status(all: &[PinStatus]) {
    println!(
        "{} {} {} {} tries left",
        pad("kind", 10),
        pad("PIN", 48),
        pad("format", 14),
        pad("application", 20)
    );
    for s in all {
        for (i, r) in s.refs.iter().enumerate() {
            let (name, desc, fmt) = if i == 0 {
                (
                    s.kind.cli_name(),
                    s.kind.description(),
                    s.kind.format().to_string(),
                )
            } else {
                ("", "", String::new())
            };
            println!(
                "{} {} {} {} {}",
                pad(name, 10),
                pad(desc, 48),
                pad(&fmt, 14),
                pad(short_app(r.application), 20),
                state_text(r.state, s.limit)
            );
        }
        if s.is_blocked() {
            println!("{:<10} -> blocked: {}", "", s.kind.where_to_reset());
        }
    }
}

fn short_app(name: &str) -> &str {
    name.split(' ').next().unwrap_or(name)
}

/// `status`.
pub fn status(card: &mut AnyCard, json: bool) -> Result<(), Failure> {
    let all = card.status_all()?;
    if json {
        output::json(&serde_json::json!({ "ok": true, "pins": all }));
    } else {
        print_status(&all);
    }
    Ok(())
}

fn last(allow: bool) -> LastTry {
    if allow {
        LastTry::Allow
    } else {
        LastTry::Refuse
    }
}

fn prompt_for(kind: PinKind) -> String {
    format!("Current {}", kind.description())
}

fn verify_typed<P: Pin>(
    card: &mut AnyCard,
    src: &mut SecretSource,
    allow: bool,
) -> Result<(), Failure> {
    let pin: P = src.pin(&prompt_for(P::KIND))?;
    card.verify_with(&pin, last(allow))?;
    Ok(())
}

/// Calls `$f::<P>` with `P` the credential type of a run-time PIN kind.
macro_rules! typed {
    ($kind:expr, $f:ident($($arg:expr),*)) => {
        match $kind {
            PinKind::Signature => $f::<SignaturePassword>($($arg),*),
            PinKind::UserAuth => $f::<AuthPin>($($arg),*),
            PinKind::Residence => $f::<ResidencePin>($($arg),*),
            PinKind::TextAssist => $f::<TextAssistPin>($($arg),*),
        }
    };
}

/// Ends the card's security status with the command, then reports `done` (`"verified"`,
/// `"changed"`) for `kind`, or the failure.
fn finish(
    card: &mut AnyCard,
    r: Result<(), Failure>,
    kind: PinKind,
    done: &str,
    json: bool,
) -> Result<(), Failure> {
    let _ = card.unpower();
    r?;
    if json {
        output::json(&serde_json::json!({ "ok": true, "kind": kind, done: true }));
    } else {
        println!("{}: {done}", kind.description());
    }
    Ok(())
}

/// `verify <kind>`.
pub fn verify(
    card: &mut AnyCard,
    src: &mut SecretSource,
    kind: PinKind,
    allow: bool,
    json: bool,
) -> Result<(), Failure> {
    let r = typed!(kind, verify_typed(card, src, allow));
    finish(card, r, kind, "verified", json)
}

fn change_typed<P: Pin>(
    card: &mut AnyCard,
    src: &mut SecretSource,
    allow: bool,
) -> Result<(), Failure> {
    let current: P = src.pin(&prompt_for(P::KIND))?;
    let new: P = src.new_pin(P::KIND.description())?;
    card.change_with(&current, &new, last(allow))?;
    Ok(())
}

/// `change <kind>`.
pub fn change(
    card: &mut AnyCard,
    src: &mut SecretSource,
    kind: PinKind,
    allow: bool,
    json: bool,
) -> Result<(), Failure> {
    let r = typed!(kind, change_typed(card, src, allow));
    finish(card, r, kind, "changed", json)
}
