//! `myna-webeid install` and `uninstall` on a temporary HOME.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn run(home: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_myna-webeid"))
        .env("HOME", home)
        .args(args)
        .output()
        .unwrap()
}

fn manifest(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn install_writes_the_three_manifests_and_uninstall_removes_them() {
    let home = tempfile::tempdir().unwrap();
    let out = run(home.path(), &["install"]);
    assert!(out.status.success(), "{out:?}");
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_myna-webeid")).unwrap();
    let chrome = home
        .path()
        .join(".config/google-chrome/NativeMessagingHosts/eu.webeid.json");
    let chromium = home
        .path()
        .join(".config/chromium/NativeMessagingHosts/eu.webeid.json");
    let firefox = home
        .path()
        .join(".mozilla/native-messaging-hosts/eu.webeid.json");
    for p in [&chrome, &chromium] {
        let m = manifest(p);
        assert_eq!(m["name"], "eu.webeid");
        assert_eq!(m["type"], "stdio");
        assert_eq!(m["path"], exe.to_str().unwrap());
        assert_eq!(
            m["allowed_origins"],
            serde_json::json!([
                "chrome-extension://ncibgoaomkmdpilpocfeponihegamlic/",
                "chrome-extension://gnmckgbandlkacikdndelhfghdejfido/"
            ])
        );
        assert!(m.get("allowed_extensions").is_none());
    }
    let m = manifest(&firefox);
    assert_eq!(m["name"], "eu.webeid");
    assert_eq!(m["path"], exe.to_str().unwrap());
    assert_eq!(
        m["allowed_extensions"],
        serde_json::json!(["{e68418bc-f2b0-4459-a9ea-3e72b6751b07}"])
    );
    let out = run(home.path(), &["uninstall", "--browser", "chromium"]);
    assert!(out.status.success(), "{out:?}");
    assert!(!chromium.exists() && chrome.exists() && firefox.exists());
    let out = run(home.path(), &["uninstall"]);
    assert!(out.status.success(), "{out:?}");
    assert!(!chrome.exists() && !firefox.exists());
    // Uninstalling again is not an error.
    assert!(run(home.path(), &["uninstall"]).status.success());
}

#[test]
fn a_profile_directory_and_an_extra_extension() {
    let home = tempfile::tempdir().unwrap();
    let profile = home.path().join("profile");
    let out = run(
        home.path(),
        &[
            "install",
            "--browser",
            "chromium",
            "--user-data-dir",
            profile.to_str().unwrap(),
            "--extension-id",
            "abcdefghijklmnopabcdefghijklmnop",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let m = manifest(&profile.join("NativeMessagingHosts/eu.webeid.json"));
    let origins = m["allowed_origins"].as_array().unwrap();
    assert_eq!(origins.len(), 3);
    assert_eq!(
        origins[2],
        "chrome-extension://abcdefghijklmnopabcdefghijklmnop/"
    );
    assert!(!home.path().join(".config").exists());
    // Firefox has no profile directory option; an unknown browser is a usage error.
    let out = run(
        home.path(),
        &["install", "--browser", "firefox", "--user-data-dir", "x"],
    );
    assert!(!out.status.success());
    let out = run(home.path(), &["install", "--browser", "opera"]);
    assert_eq!(out.status.code(), Some(2));
}
