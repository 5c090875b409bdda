//! `examples/c/run.sh` passes: it builds the library, compiles the C examples, and runs them
//! (under valgrind) and the Python example against a fresh virtual card. Ignored by default
//! (it runs cargo and valgrind, about a minute); CI calls the script itself, and
//! `cargo test -p mynacard-ffi --test run_sh -- --ignored` runs it from here.

use std::path::Path;
use std::process::Command;

#[test]
#[ignore = "slow: builds the library and runs valgrind; CI runs examples/c/run.sh directly"]
fn run_sh_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new("bash")
        .arg(root.join("examples/c/run.sh"))
        .output()
        .expect("bash runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("run.sh: all checks passed"), "{text}");
    assert!(!text.contains("FAIL"), "{text}");
}
