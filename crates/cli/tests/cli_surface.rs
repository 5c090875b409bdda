//! The `myna` CLI's `surface` and `card-info` on a persistent virtual card.

use std::process::Output;

mod common;

/// `myna --pin-stdin ARGS...` on the virtual card at `state`.
fn run(state: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    common::run_myna(state, &[&["--pin-stdin"], args].concat(), stdin)
}

fn all_output(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

const A: &str = "123456789018";
/// The default virtual holder: 昭和60-04-01, expiry 2035, code 1234.
const B: &str = "60040120351234";

#[test]
fn surface_with_matching_a_saves_the_images_and_never_echoes_the_number() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("state.json");
    let out = dir.path().join("face");
    let o = run(
        &st,
        &[
            "surface",
            "--open-with",
            "matching-a",
            "--out",
            out.to_str().unwrap(),
        ],
        &format!("{A}\n"),
    );
    assert!(o.status.success(), "{o:?}");
    let text = all_output(&o);
    assert!(!text.contains(A), "{text}");
    assert!(text.contains("Birth date:      1985-04-01"), "{text}");
    assert!(text.contains("Expiry:          2035-04-01"), "{text}");
    assert!(text.contains("virtual card (never production)"), "{text}");
    assert!(text.contains("Card present:    yes"), "{text}");
    for (name, w, h) in [
        ("name.png", 96, 16),
        ("address.png", 192, 32),
        ("security-code.png", 24, 12),
        ("my-number.png", 72, 12),
    ] {
        let path = out.join(name);
        let bytes = std::fs::read(&path).unwrap();
        let info = png::Decoder::new(std::io::Cursor::new(bytes))
            .read_info()
            .unwrap()
            .info()
            .clone();
        assert_eq!((info.width, info.height), (w, h), "{name}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{name} is readable by others: {mode:o}");
        }
    }
    let jp2 = std::fs::read(out.join("photo.jp2")).unwrap();
    assert!(jp2.starts_with(b"\x00\x00\x00\x0CjP  \r\n\x87\n"));
}

#[test]
fn surface_json_with_matching_b() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("state.json");
    let o = run(&st, &["--json", "surface"], &format!("{B}\n"));
    assert!(o.status.success(), "{o:?}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["opened_with"], "matching_b");
    assert_eq!(v["sex"], "female");
    assert_eq!(v["expiry"], "2035-04-01");
    assert_eq!(v["cv_certificate"]["verified"], true);
    assert_eq!(v["cv_certificate"]["hierarchy"], "virtual");
    assert_eq!(v["presence"]["verified"], true);
    let images = v["images"].as_object().unwrap();
    assert_eq!(images.len(), 4, "no My Number image with 照合番号B");
    assert_eq!(images["photo"]["format"], "jp2");
    assert_eq!(images["photo"]["written"], serde_json::Value::Null);
}

#[test]
fn surface_with_the_birth_date_key_shows_the_age_record() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("state.json");
    let o = run(
        &st,
        &["--json", "surface", "--open-with", "birth-date"],
        "600401\n",
    );
    assert!(o.status.success(), "{o:?}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["birth_date"], "1985-04-01");
    assert!(v["age"].as_i64().unwrap() >= 40);
    assert!(v.get("images").is_none());
}

#[test]
fn wrong_and_invalid_keys() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("state.json");
    let out = dir.path().join("face");
    // A 照合番号B of the right shape but not this holder's: a try is spent.
    let o = run(
        &st,
        &["--json", "surface", "--out", out.to_str().unwrap()],
        "55021720352285\n",
    );
    assert_eq!(o.status.code(), Some(3), "{o:?}");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["tries_left"], 9);
    assert!(
        std::fs::read_dir(&out).unwrap().next().is_none(),
        "nothing written"
    );
    // 13 digits: refused before anything is sent; the counter is unchanged.
    let o = run(&st, &["surface"], "6004012035123\n");
    assert_eq!(o.status.code(), Some(6), "{o:?}");
    let o = run(&st, &["--json", "surface"], "55021720352285\n");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["tries_left"], 8);
    // A My Number with a bad check digit is refused before anything is sent.
    let o = run(
        &st,
        &["surface", "--open-with", "matching-a"],
        "123456789019\n",
    );
    assert_eq!(o.status.code(), Some(6), "{o:?}");
    assert!(!all_output(&o).contains("123456789019"));
}

#[test]
fn card_info_text_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("state.json");
    let o = run(&st, &["card-info"], "");
    assert!(o.status.success(), "{o:?}");
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(t.contains("Card serial:       000000000000000"), "{t}");
    assert!(
        t.contains("Municipality code: 13999 (prefecture 13)"),
        "{t}"
    );
    assert!(t.contains("Expiry:            2035-04-01"), "{t}");
    let o = run(&st, &["--json", "card-info"], "");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["municipality_code"], "13999");
    assert_eq!(v["serial"].as_str().unwrap().len(), 15);
}
