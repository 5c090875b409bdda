//! Hardening of `myna`'s input and output (issue 12): `--out` never replaces or writes through a
//! special file, an unwritable standard output is an exit code and never a panic, a secret line
//! is bounded, and `--json` covers usage errors.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Output, Stdio};

mod common;
use common::{myna_command, run_myna as myna};

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `status --json`: the tries left of every key reference, in order.
fn tries(state: &Path) -> Vec<u64> {
    let o = myna(state, &["--json", "status"], "");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["pins"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["refs"].as_array().unwrap().clone())
        .map(|r| r["tries_left"].as_u64().unwrap())
        .collect()
}

const FULL: [u64; 5] = [5, 3, 3, 3, 3];

/// A special file at `path`, or `None` when this system does not let the test make it.
#[cfg(unix)]
fn make_special(kind: &str, path: &Path, target: &Path) -> Option<()> {
    let ok = match kind {
        "symlink" => std::os::unix::fs::symlink(target, path).is_ok(),
        "dangling symlink" => {
            std::os::unix::fs::symlink(path.with_extension("nowhere"), path).is_ok()
        }
        "directory" => std::fs::create_dir(path).is_ok(),
        "fifo" => std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .is_ok_and(|s| s.success()),
        // A character device like /dev/null (1,3): needs CAP_MKNOD.
        "device" => std::process::Command::new("mknod")
            .arg(path)
            .args(["c", "1", "3"])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success()),
        _ => unreachable!(),
    };
    ok.then_some(())
}

#[cfg(unix)]
fn describe(path: &Path) -> String {
    match std::fs::symlink_metadata(path) {
        Ok(m) => format!("{:?}", m.file_type()),
        Err(e) => format!("gone: {e}"),
    }
}

#[cfg(unix)]
#[test]
fn out_refuses_special_files_before_any_card_io_and_leaves_them() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("card.json");
    let doc = dir.path().join("doc.txt");
    std::fs::write(&doc, b"a document").unwrap();
    let real = dir.path().join("real.sig");
    std::fs::write(&real, b"keep me").unwrap();
    let mut checked = Vec::new();
    for kind in ["symlink", "dangling symlink", "directory", "fifo", "device"] {
        for cmd in ["sign", "cert", "cert-sign", "surface-file", "surface-dir"] {
            let base = dir.path().join(format!("{}-{cmd}", kind.replace(' ', "-")));
            // surface --out DIR: the special file is the directory itself, or one of the image
            // files inside it.
            let (target, out) = match cmd {
                "surface-file" => {
                    std::fs::create_dir(&base).unwrap();
                    (base.join("name.png"), base.clone())
                }
                _ => (base.clone(), base.clone()),
            };
            if kind == "directory" && cmd == "surface-dir" {
                continue; // a directory is what surface --out wants
            }
            if make_special(kind, &target, &real).is_none() {
                eprintln!("skipped: cannot make a {kind} here");
                continue;
            }
            let before = describe(&target);
            let o = out.to_str().unwrap();
            let d = doc.to_str().unwrap();
            let (args, stdin): (Vec<&str>, &str) = match cmd {
                "sign" => (
                    vec!["sign", "--key", "auth", "--in", d, "--out", o],
                    "1234\n",
                ),
                "cert" => (vec!["cert", "auth", "--format", "der", "--out", o], ""),
                "cert-sign" => (vec!["cert", "sign", "--out", o], "ABC123\n"),
                _ => (
                    vec!["surface", "--open-with", "birth-date", "--out", o],
                    "600401\n",
                ),
            };
            let o = myna(
                &st,
                &[&["--trace", "--pin-stdin"], args.as_slice()].concat(),
                stdin,
            );
            let all = text(&o);
            let ctx = format!("{kind} / {cmd}: {all}");
            assert_eq!(o.status.code(), Some(2), "{ctx}");
            assert!(
                all.contains("only a regular file is ever replaced")
                    || all.contains("--out names a directory"),
                "{ctx}"
            );
            assert!(!all.contains("panicked"), "{ctx}");
            // Refused before the card: no exchange at all.
            assert!(
                all.contains("myna: 0 exchanges") && !all.contains("myna: >"),
                "{ctx}"
            );
            // Left exactly as it was, and the file it points to untouched.
            assert_eq!(describe(&target), before, "{ctx}");
            assert_eq!(std::fs::read(&real).unwrap(), b"keep me", "{ctx}");
            checked.push(format!("{kind}/{cmd}"));
        }
    }
    // The symlink, dangling-symlink, directory and FIFO cases run everywhere.
    assert!(checked.len() >= 15, "{checked:?}");
    assert_eq!(tries(&st), FULL);
    // No temporary file was left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn out_replaces_a_regular_file_only_when_complete() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("card.json");
    let doc = dir.path().join("doc.txt");
    std::fs::write(&doc, b"a document").unwrap();
    let sig = dir.path().join("doc.sig");
    std::fs::write(&sig, b"old").unwrap();
    let o = myna(
        &st,
        &[
            "--pin-stdin",
            "sign",
            "--key",
            "auth",
            "--in",
            doc.to_str().unwrap(),
            "--out",
            sig.to_str().unwrap(),
        ],
        "1234\n",
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(std::fs::read(&sig).unwrap().len(), 256);
    assert!(std::fs::symlink_metadata(&sig)
        .unwrap()
        .file_type()
        .is_file());
    // No temporary file is left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(!names.iter().any(|n| n.contains("tmp")), "{names:?}");
}

/// Starts `myna --sim-state STATE ARGS...` with piped standard streams.
fn spawn(state: &Path, args: &[&str], stdout: Stdio) -> Child {
    myna_command()
        .arg("--sim-state")
        .arg(state)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .expect("start myna")
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_standard_output_is_an_exit_code_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("card.json");
    for args in [
        &["--pin-stdin", "--json", "verify", "auth"][..],
        &["--pin-stdin", "verify", "auth"][..],
        &["status"][..],
        &["--json", "card-info"][..],
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let mut child = spawn(&st, args, Stdio::from(full));
        let _ = child.stdin.take().unwrap().write_all(b"1234\n");
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        let ctx = format!("myna {}: {err}", args.join(" "));
        assert_eq!(o.status.code(), Some(13), "{ctx}");
        assert!(err.contains("cannot write to standard output"), "{ctx}");
        assert!(err.contains("myna status"), "{ctx}");
        assert!(!err.contains("panicked"), "{ctx}");
    }
    // A failure whose JSON report cannot be written keeps its own exit code (3: wrong PIN),
    // and says so on standard error.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let mut child = spawn(
        &st,
        &["--pin-stdin", "--json", "verify", "auth"],
        Stdio::from(full),
    );
    let _ = child.stdin.take().unwrap().write_all(b"0000\n");
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("wrong user-authentication PIN"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_closed_pipe_on_standard_output_is_an_exit_code_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("card.json");
    for args in [
        &["--pin-stdin", "--json", "verify", "auth"][..],
        &["--pin-stdin", "verify", "auth"][..],
    ] {
        let mut child = spawn(&st, args, Stdio::piped());
        // Close the read end before myna has anything to write: it is still waiting for the
        // PIN.
        drop(child.stdout.take());
        let _ = child.stdin.take().unwrap().write_all(b"1234\n");
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        let ctx = format!("myna {}: {err}", args.join(" "));
        assert_eq!(o.status.code(), Some(13), "{ctx}");
        assert!(err.contains("cannot write to standard output"), "{ctx}");
        assert!(!err.contains("panicked"), "{ctx}");
    }
}

#[test]
fn a_long_secret_line_is_refused_unread_and_spends_no_try() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("card.json");
    // 8 MiB without a line end: myna must refuse it after at most about 1 KiB, not hold it.
    const TOTAL: usize = 8 << 20;
    for (kind, byte) in [("auth", b'1'), ("sign", b'A'), ("residence", b'7')] {
        let mut child = spawn(&st, &["--pin-stdin", "verify", kind], Stdio::piped());
        let mut stdin = child.stdin.take().unwrap();
        let writer = std::thread::spawn(move || {
            let chunk = vec![byte; 64 << 10];
            let mut written = 0;
            while written < TOTAL {
                match stdin.write(&chunk) {
                    Ok(n) => written += n,
                    Err(_) => break, // myna closed its input: it stopped reading
                }
            }
            written
        });
        let o = child.wait_with_output().unwrap();
        let written = writer.join().unwrap();
        let all = text(&o);
        assert_eq!(o.status.code(), Some(6), "{kind}: {all}");
        assert!(
            all.contains("too long (at most 1024 bytes)"),
            "{kind}: {all}"
        );
        assert!(!all.contains("panicked"), "{kind}: {all}");
        // The rest of the line was never read: the writer was stopped by the closed pipe long
        // before the end (what was written fits in the pipe and the input buffer).
        assert!(
            written < TOTAL / 4,
            "{kind}: myna read {written} bytes of the line"
        );
    }
    // Exactly 1024 bytes is still a line (refused by the PIN's own format rule), one more is not.
    let o = myna(
        &st,
        &["--pin-stdin", "verify", "auth"],
        &format!("{}\n", "1".repeat(1024)),
    );
    assert_eq!(o.status.code(), Some(6));
    assert!(text(&o).contains("exactly 4"), "{}", text(&o));
    let o = myna(
        &st,
        &["--pin-stdin", "verify", "auth"],
        &format!("{}\n", "1".repeat(1025)),
    );
    assert_eq!(o.status.code(), Some(6));
    assert!(text(&o).contains("too long"), "{}", text(&o));
    // A later secret is bounded too (change: the new value).
    let o = myna(
        &st,
        &["--pin-stdin", "change", "auth"],
        &format!("1234\n{}\n", "5".repeat(4096)),
    );
    assert_eq!(o.status.code(), Some(6));
    assert!(text(&o).contains("too long"), "{}", text(&o));
    assert_eq!(tries(&st), FULL);
}

#[test]
fn json_covers_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("card.json");
    for args in [
        &["--json", "bogus"][..],
        &["--json", "verify", "auth", "1234"][..],
        &["verify", "bogus", "--json"][..],
        &["--json", "cert", "auth", "--format", "xml"][..],
        &["--json", "--wait", "abc", "status"][..],
        &["--json", "cert"][..],
    ] {
        let o = myna(&st, args, "");
        let ctx = format!("myna {}: {}", args.join(" "), text(&o));
        assert_eq!(o.status.code(), Some(2), "{ctx}");
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect(&ctx);
        assert_eq!(v["ok"], false, "{ctx}");
        assert_eq!(v["exit_code"], 2, "{ctx}");
        assert!(!v["error"].as_str().unwrap().is_empty(), "{ctx}");
        // Nothing but the JSON object on standard output.
        assert_eq!(
            String::from_utf8_lossy(&o.stdout).lines().count(),
            1,
            "{ctx}"
        );
    }
    // --help with --json is still help.
    let o = myna(&st, &["--json", "--help"], "");
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("Exit codes:"));
    assert!(String::from_utf8_lossy(&o.stdout).contains(" 13  "));
}
