//! The virtual card's state-file lock, seen from another process.
//!
//! These tests spawn a child process, so they live in their own test binary. A child started
//! while another test thread of the same process holds a state file's lock gets a copy of the
//! lock's file descriptor until it executes its program, and for that instant a lock the parent
//! has just dropped is still held. In a binary of their own, no other test drops a lock while
//! a child is being started.

use mynacard::sim::{StateError, VirtualCard};

/// The child side of `another_process_cannot_open_the_card_through_a_symlink`: opens the state
/// named by `MYNACARD_LOCK_CHILD` and reports through its exit status.
#[test]
fn lock_child() {
    let Some(path) = std::env::var_os("MYNACARD_LOCK_CHILD") else {
        return;
    };
    let code = match VirtualCard::open(std::path::Path::new(&path)) {
        Ok(_) => 0,
        Err(StateError::Locked(_)) => 3,
        Err(_) => 4,
    };
    std::process::exit(code);
}

#[cfg(unix)]
#[test]
fn another_process_cannot_open_the_card_through_a_symlink() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.json");
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let child = |p: &std::path::Path| {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "lock_child", "--test-threads=1", "--nocapture"])
            .env("MYNACARD_LOCK_CHILD", p)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap()
            .code()
    };
    let held = VirtualCard::open(&real).unwrap();
    assert_eq!(child(&link), Some(3), "refused: locked");
    assert_eq!(child(&real), Some(3), "refused: locked");
    drop(held);
    assert_eq!(child(&link), Some(0), "free again");
}
