//! `myna sign --in` keeps memory flat whatever the size of the file: the binary signs a
//! 256 MiB file (sparse: it costs no disk) in raw, CMS and attached CMS form under an address-space
//! limit of 150 MiB (`ulimit -v`, so its resident set is smaller still). Before the fix it read
//! the whole file and could not (`cannot read ...: out of memory`). Its own test binary, so that
//! nothing else runs beside it. Needs `sh` (skipped loudly without it, a failure with
//! `CI=true`).

use std::process::{Command, Stdio};

mod common;

const SIZE: u64 = 256 * 1024 * 1024;
const LIMIT_KIB: u64 = 150 * 1024;

#[test]
fn signing_a_file_larger_than_the_memory_limit_succeeds() {
    if Command::new("sh")
        .arg("-c")
        .arg("ulimit -v")
        .output()
        .is_err()
    {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "sh is required in CI (CI=true)"
        );
        eprintln!("\n!!!!!!!! SKIPPED: no sh; the memory check did NOT run !!!!!!!!\n");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.bin");
    std::fs::File::create(&big).unwrap().set_len(SIZE).unwrap();
    let state = dir.path().join("card.json");
    for (format, out) in [
        ("raw", "big.sig"),
        ("cms", "big.p7s"),
        ("cms-attached", "big.p7m"),
    ] {
        let out = dir.path().join(out);
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -v {LIMIT_KIB} && exec \"$0\" \"$@\""))
            .arg(common::myna_path())
            .args([
                "--sim-state",
                state.to_str().unwrap(),
                "--pin-stdin",
                "sign",
            ])
            .args([
                "--key",
                "sign",
                "--format",
                format,
                "--in",
                big.to_str().unwrap(),
            ])
            .args(["--out", out.to_str().unwrap()])
            .env_remove("LC_ALL")
            .env_remove("LANG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(b"ABC123\n").unwrap();
        let o = child.wait_with_output().unwrap();
        assert!(
            o.status.success(),
            "{format} under a {LIMIT_KIB} KiB limit: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        let written = std::fs::metadata(&out).unwrap().len();
        match format {
            "raw" => assert_eq!(written, 256),
            "cms" => assert!(written < 16 * 1024, "{written}"),
            _ => assert!(written > SIZE && written < SIZE + 16 * 1024, "{written}"),
        }
        if format == "cms-attached" {
            std::fs::remove_file(&out).unwrap();
        }
    }
    // The streamed detached CMS is over the right digest: it verifies against the file.
    let o = common::run_myna(
        &state,
        &[
            "verify",
            dir.path().join("big.p7s").to_str().unwrap(),
            "--content",
            big.to_str().unwrap(),
            "--accept-virtual-hierarchy",
        ],
        "",
    );
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}
