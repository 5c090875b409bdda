//! `myna-webeid`: the Web eID native application for the My Number Card.
//!
//! * started by the browser (any arguments other than those below, as browsers pass the
//!   caller's origin or manifest path): native messaging on stdin/stdout;
//! * `myna-webeid -c COMMAND 'ARGUMENTS-JSON'`: one command, the reply printed as JSON;
//! * `myna-webeid install|uninstall [--browser chrome|chromium|firefox|all]
//!   [--user-data-dir DIR] [--extension-id ID]...`: the browsers' host manifests.

#![forbid(unsafe_code)]

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use mynacard_webeid::host::{self, Conn};
use mynacard_webeid::install::{self, Browser};
use mynacard_webeid::pinentry::{Dialog, Pinentry};
use mynacard_webeid::protocol::{self, FrameError, Request, WebEidError};
use serde_json::Value;

const USAGE: &str = "usage:
  myna-webeid                                  native messaging (started by the browser)
  myna-webeid -c COMMAND 'ARGUMENTS-JSON'      one command; the reply on stdout
      COMMAND: authenticate | get-signing-certificate | sign
  myna-webeid install   [--browser chrome|chromium|firefox|all] [--user-data-dir DIR] [--extension-id ID]...
  myna-webeid uninstall [--browser chrome|chromium|firefox|all] [--user-data-dir DIR]
environment: MYNACARD_PINENTRY (the PIN dialog program, default pinentry),
  MYNACARD_SIM_STATE (use the virtual card with this state file), MYNACARD_SIM_LOG";

fn open_dialog() -> io::Result<Box<dyn Dialog>> {
    Ok(Box::new(Pinentry::start(&Pinentry::program_from_env())?))
}

/// Runs a checked request on the card, then removes power from it.
fn run(req: &Request) -> Result<Value, WebEidError> {
    let mut card: Conn = host::open_card()?;
    let r = host::execute(req, &mut card, &mut open_dialog);
    host::finish(&mut card);
    r
}

fn reply_json(r: Result<Value, WebEidError>) -> (Value, bool) {
    match r {
        Ok(v) => (v, true),
        Err(e) => (e.to_json(), false),
    }
}

fn native() -> ExitCode {
    let stdout = io::stdout();
    let mut out = stdout.lock();
    let write = |out: &mut io::StdoutLock<'_>, v: &Value| {
        protocol::write_frame(out, v.to_string().as_bytes())
    };
    if write(&mut out, &protocol::handshake()).is_err() {
        return ExitCode::FAILURE;
    }
    let message = match protocol::read_frame(&mut io::stdin().lock()) {
        Ok(m) => m,
        // The browser closed the port without a command: nothing to answer.
        Err(FrameError::Eof) => return ExitCode::SUCCESS,
        Err(e) => {
            let _ = write(&mut out, &WebEidError::invalid(e.to_string()).to_json());
            return ExitCode::FAILURE;
        }
    };
    // One command per run: anything after it is not read.
    let (reply, ok) = reply_json(protocol::parse_message(&message).and_then(|req| run(&req)));
    if write(&mut out, &reply).is_err() || !ok {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn command_line(args: &[String]) -> ExitCode {
    let [command, arguments] = args else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let (reply, ok) =
        reply_json(protocol::parse_command_line(command, arguments).and_then(|req| run(&req)));
    let mut out = io::stdout().lock();
    if writeln!(out, "{reply}").is_err() || !ok {
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn manifests(install: bool, args: &[String]) -> ExitCode {
    let mut browsers = Browser::ALL.to_vec();
    let mut user_data_dir: Option<PathBuf> = None;
    let mut extra_ids = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let value = it.next();
        match (a.as_str(), value) {
            ("--browser", Some(v)) => match Browser::parse_list(v) {
                Some(b) => browsers = b,
                None => {
                    eprintln!("unknown browser \"{v}\" (chrome, chromium, firefox or all)");
                    return ExitCode::from(2);
                }
            },
            ("--user-data-dir", Some(v)) => user_data_dir = Some(PathBuf::from(v)),
            ("--extension-id", Some(v)) if install => extra_ids.push(v.clone()),
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    if user_data_dir.is_some() && browsers == Browser::ALL {
        // `all` with a profile directory means the Chromium family.
        browsers.retain(|b| *b != Browser::Firefox);
    }
    let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) else {
        eprintln!("HOME is not set");
        return ExitCode::FAILURE;
    };
    let home = PathBuf::from(home);
    let result = if install {
        std::env::current_exe()
            .and_then(|p| p.canonicalize())
            .map_err(|e| format!("the program's own path: {e}"))
            .and_then(|program| {
                install::install(
                    &browsers,
                    &home,
                    user_data_dir.as_deref(),
                    &program,
                    &extra_ids,
                )
            })
    } else {
        install::uninstall(&browsers, &home, user_data_dir.as_deref())
    };
    match result {
        Ok(files) => {
            for f in files {
                println!(
                    "{} {}",
                    if install { "wrote" } else { "removed" },
                    f.display()
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("myna-webeid: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("-c") => command_line(&args[1..]),
        Some("install") => manifests(true, &args[1..]),
        Some("uninstall") => manifests(false, &args[1..]),
        Some("-h" | "--help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        // Browsers pass the caller's origin (Chrome) or the manifest path and extension id
        // (Firefox): native messaging.
        _ => native(),
    }
}
