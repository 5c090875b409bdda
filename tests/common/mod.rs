//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// The `myna` example binary. `cargo test` builds the examples before the tests; for a single
/// test target run alone, it is built here once.
pub fn myna_path() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().unwrap();
        // target/<profile>/deps/<test> -> target/<profile>/examples/myna
        let bin = exe
            .parent()
            .and_then(Path::parent)
            .unwrap()
            .join("examples")
            .join(format!("myna{}", std::env::consts::EXE_SUFFIX));
        if !bin.exists() {
            let status = Command::new(env!("CARGO"))
                .args(["build", "--quiet", "--example", "myna"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("cargo runs");
            assert!(status.success(), "building the myna example failed");
        }
        bin
    })
}

/// Runs `myna --sim-state STATE ARGS...` with `stdin` as its standard input.
pub fn run_myna(state: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(myna_path())
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

/// `text` with every run of 16 or more hex digits (random challenges, MACs, salts, digests,
/// key material) replaced by `#`, so that a 4-digit PIN cannot match inside random hex by chance.
/// A PIN leaked into an APDU dump still shows, as its hex encoding, which is checked on the full
/// text.
pub fn without_hex_runs(text: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            if run.len() >= 16 {
                out.push('#');
            } else {
                out.push_str(&run);
            }
            run.clear();
            out.push(c);
        }
    }
    out
}

pub fn assert_clean(what: &str, text: &str, secrets: &[String]) {
    let plain = without_hex_runs(text);
    for s in secrets {
        assert!(
            !plain.contains(s.as_str()),
            "{what} holds a secret ({s}):\n{text}"
        );
        for form in [hex::encode_upper(s), hex::encode(s)] {
            assert!(
                !text.contains(&form),
                "{what} holds a secret ({form}):\n{text}"
            );
        }
    }
}
