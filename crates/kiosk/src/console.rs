//! Where the kiosk's questions go and its answers come from: the terminal (secrets without
//! echo), or a script of answers, one per line, with a transcript in which secrets are masked.

use std::io::{BufRead, Write};

use zeroize::Zeroizing;

/// What the secret answers are shown as in a transcript.
pub const MASK: &str = "[hidden]";

/// The kiosk's screen and keyboard.
pub trait Console {
    /// Shows a line of text.
    fn say(&mut self, text: &str);
    /// Asks a question with a visible answer. `None`: the input ended.
    fn ask(&mut self, prompt: &str) -> Option<String>;
    /// Asks for a secret, without echo. `None`: the input ended.
    fn ask_secret(&mut self, prompt: &str) -> Option<Zeroizing<String>>;
}

/// The terminal: standard output, standard input for answers, and a no-echo prompt on the
/// controlling terminal for secrets.
pub struct TerminalConsole;

impl Console for TerminalConsole {
    fn say(&mut self, text: &str) {
        println!("{text}");
    }

    fn ask(&mut self, prompt: &str) -> Option<String> {
        print!("{prompt} ");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        match std::io::stdin().lock().read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim_end_matches(['\r', '\n']).to_owned()),
        }
    }

    fn ask_secret(&mut self, prompt: &str) -> Option<Zeroizing<String>> {
        rpassword::prompt_password(format!("{prompt} "))
            .ok()
            .map(Zeroizing::new)
    }
}

/// Answers from a script, one per line; the questions, visible answers and masked secrets go to
/// `out` as a transcript.
pub struct ScriptConsole<R, W> {
    answers: std::io::Lines<R>,
    out: W,
}

impl<R: BufRead, W: Write> ScriptConsole<R, W> {
    /// A console reading answers from `answers` and writing the transcript to `out`.
    pub fn new(answers: R, out: W) -> Self {
        ScriptConsole {
            answers: answers.lines(),
            out,
        }
    }

    fn next(&mut self) -> Option<Zeroizing<String>> {
        match self.answers.next() {
            Some(Ok(l)) => Some(Zeroizing::new(l.trim_end_matches('\r').to_owned())),
            _ => None,
        }
    }
}

impl<R: BufRead, W: Write> Console for ScriptConsole<R, W> {
    fn say(&mut self, text: &str) {
        let _ = writeln!(self.out, "{text}");
    }

    fn ask(&mut self, prompt: &str) -> Option<String> {
        let a = self.next();
        match &a {
            Some(v) => {
                let _ = writeln!(self.out, "{prompt} {}", v.as_str());
            }
            None => {
                let _ = writeln!(self.out, "{prompt} <end of script>");
            }
        }
        a.map(|v| v.to_string())
    }

    fn ask_secret(&mut self, prompt: &str) -> Option<Zeroizing<String>> {
        let a = self.next();
        let shown = if a.is_some() { MASK } else { "<end of script>" };
        let _ = writeln!(self.out, "{prompt} {shown}");
        a
    }
}
