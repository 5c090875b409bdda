//! Helpers shared by the integration tests.

#![allow(dead_code, unused_imports)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The `myna` binary that cargo built for these tests.
pub fn myna_path() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_myna"))
}

/// A `myna` command with no locale variables, so that its messages are English whatever the
/// environment of the tests (see [`myna_in`] for a chosen locale).
pub fn myna_command() -> Command {
    let mut c = Command::new(myna_path());
    c.env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANG");
    c
}

/// Runs `myna --sim-state STATE ARGS...` with the locale variables `env` (name, value) and
/// `stdin` as its standard input.
pub fn myna_in(env: &[(&str, &str)], state: &Path, args: &[&str], stdin: &str) -> Output {
    let mut c = myna_command();
    c.envs(env.iter().copied());
    run_with(c, state, args, stdin)
}

/// Runs `myna --sim-state STATE ARGS...` with `stdin` as its standard input.
pub fn run_myna(state: &Path, args: &[&str], stdin: &str) -> Output {
    run_with(myna_command(), state, args, stdin)
}

fn run_with(mut c: Command, state: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = c
        .arg("--sim-state")
        .arg(state)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start myna");
    // The program may exit before reading its input (a refusal): a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().expect("myna output")
}

#[path = "../../../../tests/common/leaks.rs"]
mod leaks;
pub use leaks::{assert_clean, without_hex_runs};
