//! The PIN dialog: a `pinentry` program (GnuPG's family of PIN dialogs) driven over the Assuan
//! protocol on its standard input and output.
//!
//! Assuan facts used (GnuPG's Assuan and pinentry documentation): the server greets with a line
//! starting `OK`; each command is one line; the answer is any number of `D` (data), `S`
//! (status) and `#` (comment) lines, then `OK` or `ERR <code> <text>`. Arguments and data are
//! percent-escaped (`%`, CR, LF and other control characters as `%XX`); a line is at most 1000
//! bytes. The commands used are SETTITLE, SETDESC, SETPROMPT, SETERROR, GETPIN, CONFIRM and BYE.
//! Cancellation is the GnuPG error code 99 (`GPG_ERR_CANCELED`) and a refused confirmation 114
//! (`GPG_ERR_NOT_CONFIRMED`), in the low 16 bits of the error value.
//!
//! The PIN is read byte by byte, straight from the pipe into a zeroizing buffer (no buffered
//! reader keeps a copy), and never logged.

use std::io::{self, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};

/// The operating system's process builder, under a name of its own: this module starts the
/// pinentry program and sends no APDU (every command APDU is built in the library).
type Process = std::process::Command;

use zeroize::Zeroizing;

/// The longest Assuan line.
const MAX_LINE: usize = 1000;
/// `GPG_ERR_CANCELED`.
const ERR_CANCELED: u32 = 99;
/// `GPG_ERR_NOT_CONFIRMED`.
const ERR_NOT_CONFIRMED: u32 = 114;

/// What a dialog answered.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer<T> {
    /// The person answered.
    Given(T),
    /// The person cancelled (or refused the confirmation).
    Cancelled,
}

/// A PIN dialog. [`Pinentry`] is the real one; tests of the host logic may supply their own.
pub trait Dialog {
    /// Sets the window title.
    fn set_title(&mut self, title: &str) -> io::Result<()>;
    /// Asks for a PIN: `description` says who asks and why, `prompt` labels the field, `error`
    /// (if any) says what was wrong with the previous value.
    fn get_pin(
        &mut self,
        description: &str,
        prompt: &str,
        error: Option<&str>,
    ) -> io::Result<Answer<Zeroizing<String>>>;
    /// Asks a yes/no question; `Given(())` is yes.
    fn confirm(&mut self, description: &str) -> io::Result<Answer<()>>;
}

/// A running `pinentry` program.
pub struct Pinentry {
    child: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
}

impl std::fmt::Debug for Pinentry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pinentry")
            .field("pid", &self.child.id())
            .finish_non_exhaustive()
    }
}

/// Percent-escapes an Assuan argument: `%`, and every byte below 0x20 (CR and LF among them).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '%' || (c as u32) < 0x20 {
            out.push_str(&format!("%{:02X}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Undoes [`escape`] on data bytes (the `D` lines); a `%` not followed by two hex digits is kept
/// as it is.
fn unescape_into(data: &[u8], out: &mut Zeroizing<Vec<u8>>) {
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'%' && i + 2 < data.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(data[i + 1]), hex(data[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(data[i]);
        i += 1;
    }
}

enum Reply {
    Ok,
    Err(u32, String),
}

impl Pinentry {
    /// Starts `program` (a path, or a name looked up on `PATH`) and reads its greeting.
    pub fn start(program: &str) -> io::Result<Self> {
        let mut child = Process::new(program)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("starting {program}: {e}")))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::other("no pipe to the pinentry program"));
        };
        let mut p = Pinentry {
            child,
            stdin,
            stdout,
        };
        match p.reply(None)? {
            Reply::Ok => Ok(p),
            Reply::Err(code, text) => Err(io::Error::other(format!(
                "the pinentry program refused to start: ERR {code} {text}"
            ))),
        }
    }

    /// The program chosen by `MYNACARD_PINENTRY`, else `pinentry` on `PATH`.
    pub fn program_from_env() -> String {
        std::env::var("MYNACARD_PINENTRY")
            .ok()
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "pinentry".into())
    }

    /// Reads one line (without its LF) into `line`, byte by byte.
    fn read_line(&mut self, line: &mut Zeroizing<Vec<u8>>) -> io::Result<()> {
        line.clear();
        let mut b = [0u8; 1];
        loop {
            match self.stdout.read(&mut b) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the pinentry program closed its output",
                    ))
                }
                Ok(_) if b[0] == b'\n' => return Ok(()),
                Ok(_) => {
                    if line.len() >= MAX_LINE {
                        return Err(io::Error::other("a line from pinentry is too long"));
                    }
                    line.push(b[0]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads lines up to `OK` or `ERR`, collecting `D` data into `data` when given.
    fn reply(&mut self, mut data: Option<&mut Zeroizing<Vec<u8>>>) -> io::Result<Reply> {
        let mut line = Zeroizing::new(Vec::with_capacity(MAX_LINE));
        loop {
            self.read_line(&mut line)?;
            let l: &[u8] = &line;
            if l == b"OK" || l.starts_with(b"OK ") {
                return Ok(Reply::Ok);
            }
            if let Some(rest) = l.strip_prefix(b"ERR ") {
                let text = String::from_utf8_lossy(rest);
                let (code, msg) = text.split_once(' ').unwrap_or((&text, ""));
                return Ok(Reply::Err(code.parse().unwrap_or(0), msg.to_owned()));
            }
            if let Some(d) = l.strip_prefix(b"D ") {
                if let Some(out) = data.as_deref_mut() {
                    unescape_into(d, out);
                }
                continue;
            }
            if l.starts_with(b"S ") || l.starts_with(b"#") || l.is_empty() {
                continue;
            }
            if l.starts_with(b"INQUIRE") {
                // No inquiry is expected from these commands: end it.
                self.stdin.write_all(b"CAN\n")?;
                self.stdin.flush()?;
                continue;
            }
            return Err(io::Error::other(
                "unexpected line from the pinentry program",
            ));
        }
    }

    /// Sends one command with an escaped argument and expects `OK`.
    fn command(&mut self, name: &str, arg: &str) -> io::Result<Reply> {
        let mut l = format!("{name} {}", escape(arg));
        if l.len() > MAX_LINE - 1 {
            // Cut at a character boundary, and never inside an escape.
            let mut cut = MAX_LINE - 1;
            while !l.is_char_boundary(cut) {
                cut -= 1;
            }
            if let Some(p) = l[..cut].rfind('%').filter(|p| cut - p < 3) {
                cut = p;
            }
            l.truncate(cut);
        }
        l.push('\n');
        self.stdin.write_all(l.as_bytes())?;
        self.stdin.flush()?;
        self.reply(None)
    }

    fn set(&mut self, name: &str, arg: &str) -> io::Result<()> {
        match self.command(name, arg)? {
            Reply::Ok => Ok(()),
            Reply::Err(code, text) => Err(io::Error::other(format!(
                "pinentry refused {name}: ERR {code} {text}"
            ))),
        }
    }

    /// Ends the dialog (BYE) and waits for the program.
    pub fn close(mut self) {
        let _ = self.stdin.write_all(b"BYE\n");
        let _ = self.stdin.flush();
        let _ = self.reply(None);
        let _ = self.child.wait();
    }
}

impl Drop for Pinentry {
    fn drop(&mut self) {
        // Say goodbye, give the program a moment to end by itself, then make sure it has.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.stdin.write_all(b"BYE\n");
            let _ = self.stdin.flush();
            for _ in 0..50 {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn is(code: u32, which: u32) -> bool {
    code & 0xFFFF == which
}

impl Dialog for Pinentry {
    fn set_title(&mut self, title: &str) -> io::Result<()> {
        self.set("SETTITLE", title)
    }

    fn get_pin(
        &mut self,
        description: &str,
        prompt: &str,
        error: Option<&str>,
    ) -> io::Result<Answer<Zeroizing<String>>> {
        self.set("SETDESC", description)?;
        self.set("SETPROMPT", prompt)?;
        if let Some(e) = error {
            self.set("SETERROR", e)?;
        }
        self.stdin.write_all(b"GETPIN\n")?;
        self.stdin.flush()?;
        let mut data = Zeroizing::new(Vec::new());
        match self.reply(Some(&mut data))? {
            Reply::Ok => {
                let s = std::str::from_utf8(&data)
                    .map_err(|_| io::Error::other("the PIN is not UTF-8"))?;
                Ok(Answer::Given(Zeroizing::new(s.to_owned())))
            }
            Reply::Err(code, _) if is(code, ERR_CANCELED) => Ok(Answer::Cancelled),
            Reply::Err(code, text) => Err(io::Error::other(format!(
                "pinentry GETPIN failed: ERR {code} {text}"
            ))),
        }
    }

    fn confirm(&mut self, description: &str) -> io::Result<Answer<()>> {
        self.set("SETDESC", description)?;
        self.stdin.write_all(b"CONFIRM\n")?;
        self.stdin.flush()?;
        match self.reply(None)? {
            Reply::Ok => Ok(Answer::Given(())),
            Reply::Err(code, _) if is(code, ERR_CANCELED) || is(code, ERR_NOT_CONFIRMED) => {
                Ok(Answer::Cancelled)
            }
            Reply::Err(code, text) => Err(io::Error::other(format!(
                "pinentry CONFIRM failed: ERR {code} {text}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips_and_hides_line_ends() {
        let s = "a%b\nc\rd https://example.jp がマイナンバーカード";
        let e = escape(s);
        assert!(!e.contains('\n') && !e.contains('\r'));
        assert_eq!(e, "a%25b%0Ac%0Dd https://example.jp がマイナンバーカード");
        let mut out = Zeroizing::new(Vec::new());
        unescape_into(e.as_bytes(), &mut out);
        assert_eq!(std::str::from_utf8(&out).unwrap(), s);
        let mut out = Zeroizing::new(Vec::new());
        unescape_into(b"1%2", &mut out);
        assert_eq!(&out[..], b"1%2");
    }
}
