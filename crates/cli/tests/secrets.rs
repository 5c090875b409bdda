//! No secret leaves the CLI: every command's output, with `--trace`, holds no PIN, password,
//! My Number or 照合番号B, as text or as hex.

use std::path::Path;

mod common;
use common::assert_clean;
#[path = "../../../tests/common/leak_fixture.rs"]
mod leak_fixture;
use leak_fixture::{secrets, set_pins, AUTH, MY_NUMBER, RES, RES2, SIGN, TEXT, TEXT_NEW, WRONG};
use mynacard::sim::VirtualCard;

fn myna(state: &Path, args: &[&str], stdin: &str) -> String {
    let o = common::run_myna(state, args, stdin);
    format!(
        "$ myna {}\n[exit {:?}]\n{}{}",
        args.join(" "),
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn the_cli_leaks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("state.json");
    let secrets = {
        let mut vc = VirtualCard::open(&st).unwrap();
        set_pins(&mut vc);
        secrets(&vc)
    };
    let input = dir.path().join("doc.txt");
    std::fs::write(&input, b"a document").unwrap();
    let sig = dir.path().join("doc.sig");
    let (i, s) = (input.to_str().unwrap(), sig.to_str().unwrap());
    let mut out = String::new();
    for json in [false, true] {
        let j: &[&str] = if json { &["--json"] } else { &[] };
        let run = |args: &[&str], stdin: &str| myna(&st, &[j, args].concat(), stdin);
        out += &run(&["status"], "");
        out += &run(&["--pin-stdin", "verify", "auth"], &format!("{WRONG}\n"));
        out += &run(&["--pin-stdin", "verify", "auth"], &format!("{AUTH}\n"));
        out += &run(&["--pin-stdin", "verify", "sign"], &format!("{SIGN}\n"));
        out += &run(&["--pin-stdin", "verify", "residence"], &format!("{RES}\n"));
        out += &run(&["--pin-stdin", "verify", "text"], &format!("{TEXT}\n"));
        out += &run(&["--pin-stdin", "cert", "sign"], &format!("{SIGN}\n"));
        out += &run(&["cert", "auth"], "");
        out += &run(
            &[
                "--pin-stdin",
                "sign",
                "--key",
                "auth",
                "--in",
                i,
                "--out",
                s,
            ],
            &format!("{AUTH}\n"),
        );
        out += &run(&["--pin-stdin", "info"], &format!("{TEXT}\n"));
        out += &run(
            &["--pin-stdin", "change", "residence"],
            &format!("{RES}\n{RES2}\n"),
        );
        out += &run(
            &["--pin-stdin", "change", "residence"],
            &format!("{RES2}\n{RES}\n"),
        );
        out += &run(
            &["--pin-stdin", "reset", "text", "--terminal", "counter"],
            &format!("{TEXT_NEW}\n"),
        );
        out += &run(
            &["--pin-stdin", "reset", "text", "--terminal", "counter"],
            &format!("{TEXT}\n"),
        );
    }
    // Every command ran as intended: one wrong verify per pass (exit 3), all the rest succeeded.
    assert_eq!(out.matches("[exit Some(3)]").count(), 2, "{out}");
    assert_eq!(out.matches("[exit Some(0)]").count(), 26, "{out}");
    assert_clean("the CLI's output", &out, &secrets);
    assert_clean(
        "the state file",
        &std::fs::read_to_string(&st).unwrap(),
        &secrets,
    );
    // The My Number is shown only when asked for.
    let asked = myna(
        &st,
        &["--pin-stdin", "info", "--my-number"],
        &format!("{TEXT}\n"),
    );
    assert!(asked.contains(&secrets[MY_NUMBER]), "{asked}");
}
