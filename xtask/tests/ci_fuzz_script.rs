//! `.ci/fuzz.sh` fails CI on every kind of fuzzer finding, not only on `crash-*` artifacts: run
//! against a stand-in `cargo` whose `fuzz run` behaves as libFuzzer does on a timeout, an
//! out-of-memory, a leak, or a crash.

use std::path::Path;
use std::process::Command;

/// A copy of the repository's `.ci/fuzz.sh` beside a `fuzz/` folder, with a stand-in `cargo` on
/// the PATH (and `cargo-fuzz`, so the script does not install it). `run` is the shell body of
/// `cargo fuzz run TARGET ...` for the one target `t`.
fn run_script(run: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join(".ci")).unwrap();
    std::fs::create_dir_all(root.join("fuzz/seeds/t")).unwrap();
    std::fs::create_dir_all(root.join("bin")).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.ci/fuzz.sh");
    std::fs::copy(&script, root.join(".ci/fuzz.sh")).unwrap();
    let cargo = format!(
        "#!/usr/bin/env bash\n\
         case \"$1 $2\" in\n\
         'fuzz build') exit 0 ;;\n\
         'fuzz list') echo t ;;\n\
         'fuzz run') mkdir -p artifacts/t; {run} ;;\n\
         *) echo \"unexpected: $*\" >&2; exit 99 ;;\n\
         esac\n"
    );
    for (name, body) in [("cargo", cargo.as_str()), ("cargo-fuzz", "#!/bin/sh\n")] {
        let p = root.join("bin").join(name);
        std::fs::write(&p, body).unwrap();
        Command::new("chmod").arg("+x").arg(&p).status().unwrap();
    }
    let path = format!(
        "{}:{}",
        root.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg(root.join(".ci/fuzz.sh"))
        .env("PATH", path)
        .env("FUZZ_SECONDS", "1")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn a_clean_run_passes() {
    let (code, out) = run_script("echo 'Done 1000 runs in 1 second(s)'; exit 0");
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_timeout_artifact_fails_even_with_exit_zero() {
    let (code, out) = run_script("touch artifacts/t/timeout-abc; exit 0");
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("timeout-abc"), "{out}");
}

#[test]
fn an_out_of_memory_exit_fails_without_an_artifact() {
    let (code, out) = run_script("echo '==1== ERROR: libFuzzer: out-of-memory'; exit 71");
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("exit 71"), "{out}");
}

#[test]
fn a_leak_or_a_crash_fails() {
    for run in [
        "touch artifacts/t/leak-1; exit 1",
        "touch artifacts/t/crash-1; exit 1",
        "touch artifacts/t/oom-1; exit 0",
    ] {
        let (code, out) = run_script(run);
        assert_ne!(code, 0, "{run}: {out}");
    }
}
