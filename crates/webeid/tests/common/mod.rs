//! Shared by the tests: a fresh virtual card per test, a scripted pinentry, and the binary run
//! in its native-messaging and command-line modes.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use mynacard::applets::jpki;
use mynacard::sim::{App, VirtualCard};
use serde_json::Value;

/// The fake PIN dialog: speaks enough Assuan for the application. It answers the n-th GETPIN
/// with line n of `$FAKE_PINENTRY_PINS` (`CANCEL`, or no such line, cancels), CONFIRM with
/// `$FAKE_PINENTRY_CONFIRM` (`yes` by default, anything else refuses), and appends every
/// command line it receives (escaped, as sent; the PIN is never sent to it) to
/// `$FAKE_PINENTRY_LOG`.
const FAKE_PINENTRY: &str = r#"#!/bin/sh
echo "OK Pleased to meet you"
n=0
while IFS= read -r line; do
  printf '%s\n' "$line" >> "$FAKE_PINENTRY_LOG"
  case "$line" in
    GETPIN)
      n=$((n+1))
      pin=$(sed -n "${n}p" "$FAKE_PINENTRY_PINS")
      if [ -z "$pin" ] || [ "$pin" = CANCEL ]; then
        echo "ERR 83886179 Operation cancelled <Pinentry>"
      else
        echo "D $pin"; echo "OK"
      fi ;;
    CONFIRM*)
      if [ "${FAKE_PINENTRY_CONFIRM:-yes}" = yes ]; then echo OK; else echo "ERR 83886194 Not confirmed <Pinentry>"; fi ;;
    BYE) echo OK; exit 0 ;;
    *) echo OK ;;
  esac
done
"#;

/// The virtual card's default user-authentication PIN and signature password.
pub const AUTH_PIN: &str = "1234";
/// The virtual card's default signature password.
pub const SIGN_PASSWORD: &str = "ABC123";
/// An origin and a nonce of the accepted shapes.
pub const ORIGIN: &str = "https://example.jp";
/// 44 characters, as a 32-byte nonce in base64.
pub const NONCE: &str = "q8Kd3mQ0tPzR7sV1wXyZ2aBcDeFgHiJkLmNoPqRsTuA=";

/// One test's world: a virtual card's state file, its exchange log, the fake dialog.
pub struct World {
    pub dir: tempfile::TempDir,
    pub state: PathBuf,
    pub log: PathBuf,
    pub pins: PathBuf,
    pub dialog_log: PathBuf,
    pub pinentry: PathBuf,
    pub confirm: bool,
}

impl World {
    /// A fresh card with the default PINs; the dialog answers `pins` in turn.
    pub fn new(pins: &[&str]) -> World {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("card.json");
        drop(VirtualCard::open(&state).unwrap());
        let pinentry = dir.path().join("fake-pinentry");
        std::fs::write(&pinentry, FAKE_PINENTRY).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&pinentry, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let pins_file = dir.path().join("pins");
        std::fs::write(&pins_file, pins.join("\n") + "\n").unwrap();
        World {
            log: dir.path().join("exchanges.log"),
            dialog_log: dir.path().join("dialog.log"),
            pins: pins_file,
            state,
            pinentry,
            dir,
            confirm: true,
        }
    }

    /// Sets the tries left of the user-authentication PIN (0 blocks it).
    pub fn set_auth_tries(&self, n: u8) {
        let mut card = VirtualCard::open(&self.state).unwrap();
        card.set_tries_left(App::Jpki, jpki::AUTH_PIN.0, n).unwrap();
    }

    /// The tries left of the user-authentication PIN, read from the state file.
    pub fn auth_tries(&self) -> u8 {
        VirtualCard::open(&self.state)
            .unwrap()
            .tries_left(App::Jpki, jpki::AUTH_PIN.0)
            .unwrap()
    }

    fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_myna-webeid"));
        c.env("MYNACARD_SIM_STATE", &self.state)
            .env("MYNACARD_SIM_LOG", &self.log)
            .env("MYNACARD_PINENTRY", &self.pinentry)
            .env("FAKE_PINENTRY_PINS", &self.pins)
            .env("FAKE_PINENTRY_LOG", &self.dialog_log)
            .env(
                "FAKE_PINENTRY_CONFIRM",
                if self.confirm { "yes" } else { "no" },
            )
            .env("LANG", "C")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES");
        c
    }

    /// Runs the native-messaging mode with `stdin` as the browser's bytes.
    pub fn native_raw(&self, stdin: &[u8]) -> Output {
        let mut child = self
            .command()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        // The application may stop reading early (a refused frame): ignore a broken pipe.
        let _ = input.write_all(stdin);
        drop(input);
        child.wait_with_output().unwrap()
    }

    /// Runs the native-messaging mode with one framed message; returns the frames written and
    /// whether the process succeeded.
    pub fn native(&self, message: &Value) -> (Vec<Value>, bool) {
        let out = self.native_raw(&frame(message.to_string().as_bytes()));
        (frames(&out.stdout), out.status.success())
    }

    /// Runs `myna-webeid -c COMMAND ARGS`; returns the reply and whether the process succeeded.
    pub fn cli(&self, command: &str, args: &Value) -> (Value, bool) {
        let out = self
            .command()
            .args(["-c", command, &args.to_string()])
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {:?} / {:?}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (v, out.status.success())
    }

    /// The exchanges the virtual card logged (power removal excluded).
    pub fn exchanges(&self) -> Vec<String> {
        read_lines(&self.log)
            .into_iter()
            .filter(|l| !l.starts_with('#'))
            .collect()
    }

    /// How often power was removed.
    pub fn unpowers(&self) -> usize {
        read_lines(&self.log)
            .iter()
            .filter(|l| l.as_str() == "# unpower")
            .count()
    }

    /// VERIFY commands that carried a value (the case-1 counter reads excluded).
    pub fn verifies_with_data(&self) -> usize {
        self.exchanges()
            .iter()
            .filter(|l| l.starts_with("002000") && l.split(' ').next().unwrap().len() > 8)
            .count()
    }

    /// SIGN commands sent.
    pub fn signs(&self) -> usize {
        self.exchanges()
            .iter()
            .filter(|l| l.starts_with("802A"))
            .count()
    }

    /// The lines the dialog received, with `%0A` shown as a newline.
    pub fn dialog(&self) -> Vec<String> {
        read_lines(&self.dialog_log)
            .into_iter()
            .map(|l| l.replace("%0A", "\n").replace("%25", "%"))
            .collect()
    }

    /// The descriptions the dialog showed (SETDESC).
    pub fn descriptions(&self) -> Vec<String> {
        self.dialog()
            .into_iter()
            .filter_map(|l| l.strip_prefix("SETDESC ").map(str::to_owned))
            .collect()
    }
}

fn read_lines(p: &Path) -> Vec<String> {
    std::fs::read_to_string(p)
        .map(|s| s.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// A native-messaging frame.
pub fn frame(bytes: &[u8]) -> Vec<u8> {
    let mut f = (bytes.len() as u32).to_ne_bytes().to_vec();
    f.extend_from_slice(bytes);
    f
}

/// Splits the application's output into frames; panics on a malformed one.
pub fn frames(mut out: &[u8]) -> Vec<Value> {
    let mut v = Vec::new();
    while !out.is_empty() {
        assert!(out.len() >= 4, "a truncated length in the output");
        let n = u32::from_ne_bytes(out[..4].try_into().unwrap()) as usize;
        assert!(out.len() >= 4 + n, "a truncated frame in the output");
        v.push(serde_json::from_slice(&out[4..4 + n]).unwrap());
        out = &out[4 + n..];
    }
    v
}

/// The error code of a reply, if it is an error.
pub fn error_code(reply: &Value) -> Option<&str> {
    reply["error"]["code"].as_str()
}

/// An external tool: `Some(path)` when it runs. Missing: a loud skip, or a failure under CI.
pub fn tool(name: &str, probe: &[&str]) -> Option<PathBuf> {
    let ok = Command::new(name)
        .args(probe)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        return Some(PathBuf::from(name));
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{name} is required in CI (CI=true) but is not installed");
    }
    eprintln!("\n!!!!!!!! SKIPPED: {name} is not installed; this independent check did NOT run !!!!!!!!\n");
    None
}
