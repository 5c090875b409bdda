//! A text front end of the [`Kiosk`] state machine: the terminal (secrets without echo), or a
//! script of answers, one per line, with a transcript in which secrets are masked.
//!
//! Both show the machine's steps, with the same texts, through [`drive`]. Every line read is
//! bounded ([`MAX_LINE`] bytes) before it is stored, and held in zeroizing memory.

use std::io::{BufRead, Write};

use mynacard::credential::{read_secret_line, LineError, OverLong};
use mynacard::transport::Transport;
use mynacard::Card;
use zeroize::Zeroizing;

use crate::flow::{Answer, Config, Kiosk, Outcome, Step, StepKind, Stop};
use crate::text::Text;

/// What the secret answers, and the visible answers that are not valid for the question asked,
/// are shown as in a transcript.
pub const MASK: &str = "[hidden]";

/// The longest line read as an answer, in bytes (without the line end). A longer line is not
/// stored: it is skipped to its end and reported as unreadable.
pub const MAX_LINE: usize = 1024;

/// What a console read.
#[derive(Debug)]
pub enum Input<S> {
    /// A line, without its line end.
    Line(S),
    /// The input ended.
    End,
    /// A line that could not be read: not UTF-8, or longer than [`MAX_LINE`]. It was not kept.
    Unreadable {
        /// The line number, where the console counts lines (from 1).
        line: Option<usize>,
        /// Whether it was too long (else not UTF-8, or a read error).
        too_long: bool,
    },
}

/// The kiosk's screen and keyboard.
pub trait Console {
    /// Shows a step that takes no answer (a heading, a line, the end).
    fn show(&mut self, step: &Step);
    /// Shows a question (with its choices) and reads a visible answer (zeroizing too: a person
    /// may type a secret at the wrong question).
    fn ask(&mut self, step: &Step) -> Input<Zeroizing<String>>;
    /// Shows a secret question and reads the secret, without echo.
    fn ask_secret(&mut self, step: &Step) -> Input<Zeroizing<String>>;
    /// Shows a line outside the flow (for example the APDU log at the end).
    fn say(&mut self, text: &str);
}

/// The lines a step shows before its answer: a blank line before headings and the end, the
/// choices of a menu.
fn lines_of(step: &Step) -> Vec<String> {
    let mut v = Vec::new();
    match &step.kind {
        StepKind::Heading { .. } | StepKind::Done(_) => {
            v.push(String::new());
            v.push(step.text().to_owned());
        }
        StepKind::Menu { choices, .. } => {
            let width = choices.len().to_string().len();
            for c in choices {
                v.push(format!("  {:>width$}. {}", c.number, c.text.get(step.lang)));
            }
        }
        _ => v.push(step.text().to_owned()),
    }
    v
}

/// A question's lines before the prompt, and the prompt (`(y/n)` added to a yes-or-no
/// question).
fn question_lines(step: &Step) -> (Vec<String>, String) {
    let mut lines = lines_of(step);
    let prompt = match step.kind {
        StepKind::Menu { .. } => step.text().to_owned(),
        StepKind::YesNo => format!("{} (y/n)", lines.pop().unwrap_or_default()),
        _ => lines.pop().unwrap_or_default(),
    };
    (lines, prompt)
}

/// Runs the whole flow on a text console: the machine's steps shown one by one, the answers
/// read from the console. `open` connects to the card once it is inserted. (The state machine,
/// [`crate::flow`], knows nothing of consoles: only this front end drives it.)
pub fn run<T: Transport>(
    config: Config,
    console: &mut dyn Console,
    open: &mut dyn FnMut() -> Result<Card<T>, String>,
) -> Outcome {
    let mut kiosk = Kiosk::new(config);
    drive(&mut kiosk, console, open)
}

/// Runs `kiosk` to its end on `console`: shows every step, reads every answer, and opens the
/// card with `open` when the person says it is inserted. Returns the outcome.
pub fn drive<T: Transport>(
    kiosk: &mut Kiosk<T>,
    console: &mut dyn Console,
    open: &mut dyn FnMut() -> Result<Card<T>, String>,
) -> Outcome {
    loop {
        let step = kiosk.next();
        let answered = match &step.kind {
            StepKind::Heading { .. } | StepKind::Info => {
                console.show(&step);
                Ok(())
            }
            StepKind::Done(outcome) => {
                console.show(&step);
                return *outcome;
            }
            StepKind::InsertCard => match console.ask(&step) {
                Input::Line(l) if step.parse(&l) == Some(Answer::Quit) => {
                    kiosk.answer(Answer::Quit)
                }
                Input::Line(_) => match open() {
                    Ok(card) => kiosk.insert_card(card),
                    Err(e) => kiosk.no_card(&Text::same(e)),
                },
                other => stop(kiosk, other),
            },
            StepKind::Secret { .. } => match console.ask_secret(&step) {
                Input::Line(s) => kiosk.answer_secret(s),
                other => stop(kiosk, other),
            },
            _ => match console.ask(&step) {
                Input::Line(l) => kiosk.answer(step.parse(&l).unwrap_or(Answer::Unrecognised)),
                other => stop(kiosk, other),
            },
        };
        if answered.is_err() {
            // Not reached: the answers above are of the kinds the steps take. Never loop on it.
            kiosk.stop(Stop::InputEnded);
        }
    }
}

fn stop<T: Transport, S>(
    kiosk: &mut Kiosk<T>,
    input: Input<S>,
) -> Result<(), crate::flow::AnswerError> {
    kiosk.stop(match input {
        Input::Unreadable { line, too_long } => Stop::Unreadable { line, too_long },
        _ => Stop::InputEnded,
    });
    Ok(())
}

/// Reads one line of at most [`MAX_LINE`] bytes into zeroizing memory that never grows (so no
/// copy of it is left behind), without its line end (`\n` or `\r\n`): the library's one bounded
/// reader ([`read_secret_line`]). A longer line is consumed to its end and not kept.
pub fn read_line_bounded<R: BufRead + ?Sized>(r: &mut R) -> Input<Zeroizing<String>> {
    match read_secret_line(r, MAX_LINE, OverLong::Skip) {
        Ok(Some(line)) => Input::Line(line),
        Ok(None) => Input::End,
        Err(e) => Input::Unreadable {
            line: None,
            too_long: matches!(e, LineError::TooLong),
        },
    }
}

/// The terminal: standard output, standard input for answers, and a no-echo prompt on the
/// controlling terminal for secrets.
pub struct TerminalConsole;

impl Console for TerminalConsole {
    fn show(&mut self, step: &Step) {
        for l in lines_of(step) {
            println!("{l}");
        }
    }

    fn ask(&mut self, step: &Step) -> Input<Zeroizing<String>> {
        let (lines, prompt) = question_lines(step);
        for l in lines {
            println!("{l}");
        }
        print!("{prompt} ");
        let _ = std::io::stdout().flush();
        read_line_bounded(&mut std::io::stdin().lock())
    }

    fn ask_secret(&mut self, step: &Step) -> Input<Zeroizing<String>> {
        let _ = std::io::stdout().flush();
        read_secret(step.text())
    }

    fn say(&mut self, text: &str) {
        println!("{text}");
    }
}

/// Reads a secret on the controlling terminal with echo off, a key at a time: at most
/// [`MAX_LINE`] bytes are kept, in zeroizing memory that never grows. Backspace and Ctrl-U edit;
/// Ctrl-C cancels at once and Ctrl-D on an empty entry ends the input (the terminal's settings
/// are restored first, whatever happens); no terminal is the end of the input.
#[cfg(unix)]
fn read_secret(prompt: &str) -> Input<Zeroizing<String>> {
    use rustix::termios::{
        tcgetattr, tcsetattr, LocalModes, OptionalActions, SpecialCodeIndex, Termios,
    };
    use std::fs::{File, OpenOptions};
    use std::io::Read;

    /// Puts the terminal's settings back, whatever happens.
    struct Restore<'a>(&'a File, Termios);
    impl Drop for Restore<'_> {
        fn drop(&mut self) {
            let _ = tcsetattr(self.0, OptionalActions::Now, &self.1);
        }
    }

    let Ok(tty) = OpenOptions::new().read(true).write(true).open("/dev/tty") else {
        return Input::End;
    };
    let _ = write!(&tty, "{prompt} ");
    let Ok(saved) = tcgetattr(&tty) else {
        return Input::End;
    };
    let mut quiet = saved.clone();
    // No echo, no line editing by the terminal, and Ctrl-C as a key rather than a signal: the
    // kiosk reads each key, so that it bounds the entry and always restores the settings.
    quiet
        .local_modes
        .remove(LocalModes::ECHO | LocalModes::ICANON | LocalModes::ISIG);
    quiet.special_codes[SpecialCodeIndex::VMIN] = 1;
    quiet.special_codes[SpecialCodeIndex::VTIME] = 0;
    if tcsetattr(&tty, OptionalActions::Now, &quiet).is_err() {
        return Input::End;
    }
    let restore = Restore(&tty, saved);
    let mut buf = Zeroizing::new(Vec::with_capacity(MAX_LINE));
    let mut key = Zeroizing::new([0u8; 1]);
    let mut too_long = false;
    let result = loop {
        match (&tty).read(&mut key[..]) {
            Ok(0) => break Input::End,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break Input::End,
        }
        match key[0] {
            b'\n' | b'\r' => break Input::Line(()),
            0x03 => break Input::End,
            0x04 if buf.is_empty() => break Input::End,
            0x7f | 0x08 => {
                // One character back: its continuation bytes, then its first byte.
                while let Some(b) = buf.pop() {
                    if b & 0xC0 != 0x80 {
                        break;
                    }
                }
            }
            0x15 => {
                buf.iter_mut().for_each(|b| *b = 0);
                buf.clear();
            }
            b if b < 0x20 => {}
            _ if too_long || buf.len() == MAX_LINE => too_long = true,
            b => buf.push(b),
        }
    };
    drop(restore);
    let _ = writeln!(&tty);
    match result {
        Input::Line(()) if too_long => Input::Unreadable {
            line: None,
            too_long: true,
        },
        Input::Line(()) => match String::from_utf8(std::mem::take(&mut *buf)) {
            Ok(s) => Input::Line(Zeroizing::new(s)),
            Err(e) => {
                let _ = Zeroizing::new(e.into_bytes());
                Input::Unreadable {
                    line: None,
                    too_long: false,
                }
            }
        },
        _ => Input::End,
    }
}

#[cfg(not(unix))]
fn read_secret(prompt: &str) -> Input<Zeroizing<String>> {
    match rpassword::prompt_password(format!("{prompt} ")) {
        Ok(s) if s.len() > MAX_LINE => Input::Unreadable {
            line: None,
            too_long: true,
        },
        Ok(s) => Input::Line(Zeroizing::new(s)),
        Err(_) => Input::End,
    }
}

/// Answers from a script, one per line; the steps, the valid visible answers and masks for
/// everything else go to `out` as a transcript.
pub struct ScriptConsole<R, W> {
    answers: R,
    out: W,
    line: usize,
}

impl<R: BufRead, W: Write> ScriptConsole<R, W> {
    /// A console reading answers from `answers` and writing the transcript to `out`.
    pub fn new(answers: R, out: W) -> Self {
        ScriptConsole {
            answers,
            out,
            line: 0,
        }
    }

    fn read(&mut self) -> Input<Zeroizing<String>> {
        self.line += 1;
        match read_line_bounded(&mut self.answers) {
            Input::Unreadable { too_long, .. } => Input::Unreadable {
                line: Some(self.line),
                too_long,
            },
            other => other,
        }
    }

    fn prompt(&mut self, step: &Step, shown: &str) {
        let (lines, prompt) = question_lines(step);
        for l in lines {
            let _ = writeln!(self.out, "{l}");
        }
        let _ = writeln!(self.out, "{prompt} {shown}");
    }
}

const END_OF_SCRIPT: &str = "<end of script>";
const UNREADABLE: &str = "<unreadable>";

impl<R: BufRead, W: Write> Console for ScriptConsole<R, W> {
    fn show(&mut self, step: &Step) {
        for l in lines_of(step) {
            let _ = writeln!(self.out, "{l}");
        }
    }

    fn ask(&mut self, step: &Step) -> Input<Zeroizing<String>> {
        match self.read() {
            Input::Line(v) => {
                // Echo only an answer valid for this question: anything else may be a secret
                // typed at the wrong place.
                let shown = if step.parse(&v).is_some() {
                    v.trim().to_owned()
                } else {
                    MASK.to_owned()
                };
                self.prompt(step, &shown);
                Input::Line(v)
            }
            Input::End => {
                self.prompt(step, END_OF_SCRIPT);
                Input::End
            }
            Input::Unreadable { line, too_long } => {
                self.prompt(step, UNREADABLE);
                Input::Unreadable { line, too_long }
            }
        }
    }

    fn ask_secret(&mut self, step: &Step) -> Input<Zeroizing<String>> {
        let a = self.read();
        let shown = match a {
            Input::Line(_) => MASK,
            Input::End => END_OF_SCRIPT,
            Input::Unreadable { .. } => UNREADABLE,
        };
        self.prompt(step, shown);
        a
    }

    fn say(&mut self, text: &str) {
        let _ = writeln!(self.out, "{text}");
    }
}
