//! Printing results as text or JSON, without ever panicking on a standard stream that cannot be
//! written (a full disk, `/dev/full`, a closed pipe): a failed write of a result is a
//! [`Failure`] with exit code [`exit::OUTPUT`], and messages on standard error are best effort.

use std::fmt::Display;
use std::io::Write;

use crate::exit::{self, Failure};
use crate::i18n::{t, Msg};

fn stdout_failure(e: std::io::Error) -> Failure {
    Failure::new(exit::OUTPUT, t(Msg::CannotWriteStdout(&e)))
}

/// Writes `bytes` to standard output and flushes them.
pub fn bytes(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(stdout_failure)
}

/// Writes one line to standard output.
pub fn line(s: impl Display) -> Result<(), Failure> {
    bytes(format!("{s}\n").as_bytes())
}

/// Writes a JSON value (one line) to standard output.
pub fn json(v: &serde_json::Value) -> Result<(), Failure> {
    line(v)
}

/// Writes one line to standard error, prefixed `myna: `. Best effort: when standard error
/// cannot be written either, there is nowhere left to say so.
pub fn note(s: impl Display) {
    let _ = writeln!(std::io::stderr().lock(), "myna: {s}");
}

/// Prints a failure: to standard error as text, or to standard output as JSON with `--json`.
/// When standard output cannot be written (the failure itself, or the JSON write fails), the
/// message goes to standard error.
pub fn error(json: bool, f: &Failure) {
    if json && f.code != exit::OUTPUT {
        let v = serde_json::json!({
            "ok": false,
            "error": f.message,
            "exit_code": f.code,
            "tries_left": f.tries_left,
        });
        if let Err(e) = self::json(&v) {
            note(&f.message);
            note(&e.message);
        }
    } else {
        note(&f.message);
    }
}

/// Terminal display width: East Asian wide and full-width characters take two columns.
pub fn width(s: &str) -> usize {
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
pub fn pad(s: &str, cols: usize) -> String {
    format!("{s}{}", " ".repeat(cols.saturating_sub(width(s))))
}
