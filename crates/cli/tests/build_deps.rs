//! Build cost: the CLI compiles none of the library's dev-dependencies (issue 11). A first
//! `cargo run -p mynacard-cli` must not build criterion, proptest or iso7816.

use std::process::Command;

#[test]
fn the_cli_builds_no_dev_dependency_of_the_library() {
    // The workspace's own cargo (the one running this test), offline: the lock file and the
    // local registry cache are enough to resolve the graph.
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let o = Command::new(env!("CARGO"))
        .args(["tree", "--offline", "--locked", "-e", "normal,build"])
        .args(["--prefix", "none", "--manifest-path", manifest])
        .args(["-p", "mynacard-cli"])
        .output()
        .expect("run cargo tree");
    let tree = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The graph is really there: the CLI and its normal dependencies.
    for present in ["mynacard-cli ", "mynacard ", "clap ", "rsa "] {
        assert!(
            tree.lines().any(|l| l.starts_with(present)),
            "{present} missing:\n{tree}"
        );
    }
    for absent in ["criterion ", "proptest ", "iso7816 "] {
        assert!(
            !tree.lines().any(|l| l.starts_with(absent)),
            "the CLI builds {absent}:\n{tree}"
        );
    }
    // The same query sees a dev-dependency when asked for one: the check can fail.
    let o = Command::new(env!("CARGO"))
        .args(["tree", "--offline", "--locked", "-e", "dev", "--depth", "1"])
        .args(["--prefix", "none", "--manifest-path", manifest])
        .args(["-p", "mynacard"])
        .output()
        .expect("run cargo tree");
    let dev = String::from_utf8_lossy(&o.stdout);
    assert!(
        dev.lines().any(|l| l.starts_with("criterion ")),
        "{dev}{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
