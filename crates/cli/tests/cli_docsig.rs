//! `myna sign --format cms|cms-attached|pdf` and `myna verify FILE`, run as the binary.

use std::path::Path;
use std::process::Output;

mod common;

fn myna(state: &Path, args: &[&str], stdin: &str) -> Output {
    let o = common::run_myna(state, args, stdin);
    eprintln!(
        "myna {args:?}: {:?}\n{}{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn minimal_pdf() -> Vec<u8> {
    let objs = [
        "<</Type /Catalog /Pages 2 0 R>>",
        "<</Type /Pages /Kids [3 0 R] /Count 1>>",
        "<</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]>>",
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offs = Vec::new();
    for (i, o) in objs.iter().enumerate() {
        offs.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let x = out.len();
    out.extend_from_slice(b"xref\n0 4\n0000000000 65535 f\r\n");
    for o in offs {
        out.extend_from_slice(format!("{o:010} 00000 n\r\n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<</Size 4 /Root 1 0 R>>\nstartxref\n{x}\n%%EOF\n").as_bytes(),
    );
    out
}

#[test]
fn sign_cms_and_pdf_then_verify() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("card.json");
    let doc = dir.path().join("doc.txt");
    std::fs::write(&doc, b"the document").unwrap();
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_owned();
    let d = doc.to_str().unwrap();
    for (format, out) in [("cms", "doc.p7s"), ("cms-attached", "doc.p7m")] {
        let o = myna(
            &st,
            &[
                "--pin-stdin",
                "--trace",
                "sign",
                "--key",
                "sign",
                "--format",
                format,
                "--in",
                d,
                "--out",
                &p(out),
            ],
            "ABC123\n",
        );
        assert_eq!(o.status.code(), Some(0));
        // Cold card, signature key, CA certificate known: 5 exchanges.
        assert!(String::from_utf8_lossy(&o.stderr).contains("myna: 5 exchanges"));
    }
    // --json names the format as the command line does.
    let o = myna(
        &st,
        &[
            "--pin-stdin",
            "--json",
            "sign",
            "--key",
            "sign",
            "--format",
            "cms-attached",
            "--in",
            d,
            "--out",
            &p("doc2.p7m"),
        ],
        "ABC123\n",
    );
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["format"], "cms-attached");
    // Detached: needs the content; the virtual hierarchy only on request.
    let o = myna(&st, &["verify", &p("doc.p7s"), "--content", d], "");
    assert_eq!(o.status.code(), Some(12));
    let o = myna(
        &st,
        &[
            "--json",
            "verify",
            &p("doc.p7s"),
            "--content",
            d,
            "--accept-virtual-hierarchy",
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["signatures"][0]["verdict"], "valid");
    assert_eq!(v["signatures"][0]["hierarchy"], "custom");
    // Wrong content.
    std::fs::write(p("other.txt"), b"another document").unwrap();
    let o = myna(
        &st,
        &[
            "--json",
            "verify",
            &p("doc.p7s"),
            "--content",
            &p("other.txt"),
            "--accept-virtual-hierarchy",
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(12));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["signatures"][0]["verdict"], "wrong_content");
    // Attached: no content needed.
    let o = myna(
        &st,
        &["verify", &p("doc.p7m"), "--accept-virtual-hierarchy"],
        "",
    );
    assert_eq!(o.status.code(), Some(0));
    // PDF, signed twice (the second with the auth key).
    std::fs::write(p("doc.pdf"), minimal_pdf()).unwrap();
    let o = myna(
        &st,
        &[
            "--pin-stdin",
            "sign",
            "--key",
            "sign",
            "--format",
            "pdf",
            "--in",
            &p("doc.pdf"),
            "--out",
            &p("signed.pdf"),
        ],
        "ABC123\n",
    );
    assert_eq!(o.status.code(), Some(0));
    let o = myna(
        &st,
        &[
            "--pin-stdin",
            "sign",
            "--key",
            "auth",
            "--format",
            "pdf",
            "--in",
            &p("signed.pdf"),
            "--out",
            &p("signed2.pdf"),
        ],
        "1234\n",
    );
    assert_eq!(o.status.code(), Some(0));
    let o = myna(
        &st,
        &[
            "--json",
            "verify",
            &p("signed2.pdf"),
            "--accept-virtual-hierarchy",
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["signatures"].as_array().unwrap().len(), 2);
    // The unsigned PDF has no signature: exit 12.
    let o = myna(&st, &["verify", &p("doc.pdf")], "");
    assert_eq!(o.status.code(), Some(12));
    // A file that is not a PDF cannot be signed as one, and no PIN is asked for.
    let o = myna(
        &st,
        &[
            "--pin-stdin",
            "--trace",
            "sign",
            "--key",
            "sign",
            "--format",
            "pdf",
            "--in",
            d,
            "--out",
            &p("x.pdf"),
        ],
        "",
    );
    assert_eq!(o.status.code(), Some(6));
    assert!(!dir.path().join("x.pdf").exists());
}

/// `sign --format pdf --out LINK` refuses a symbolic link before the card is used (no PIN
/// asked, 0 exchanges), and leaves the link and its target alone.
#[cfg(unix)]
#[test]
fn a_symlink_out_is_refused_before_any_card_io() {
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("card.json");
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_owned();
    std::fs::write(p("doc.pdf"), minimal_pdf()).unwrap();
    std::fs::write(p("precious"), b"keep").unwrap();
    std::os::unix::fs::symlink(p("precious"), p("link.pdf")).unwrap();
    for format in ["pdf", "cms"] {
        let o = myna(
            &st,
            &[
                "--pin-stdin",
                "--trace",
                "sign",
                "--key",
                "sign",
                "--format",
                format,
                "--in",
                &p("doc.pdf"),
                "--out",
                &p("link.pdf"),
            ],
            "ABC123\n",
        );
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("symbolic link"), "{err}");
        assert!(err.contains("myna: 0 exchanges"), "{err}");
        assert!(std::fs::symlink_metadata(p("link.pdf"))
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(p("precious")).unwrap(), b"keep");
    }
}

/// `verify FILE` with standard output on `/dev/full`: exit 13 and a message, never a panic
/// (text and JSON).
#[cfg(target_os = "linux")]
#[test]
fn verify_file_to_a_full_stdout_is_exit_13_not_a_panic() {
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let st = dir.path().join("card.json");
    let pdf = dir.path().join("doc.pdf");
    std::fs::write(&pdf, minimal_pdf()).unwrap();
    let pdf = pdf.to_str().unwrap();
    for args in [&["--json", "verify", pdf][..], &["verify", pdf][..]] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let o = common::myna_command()
            .arg("--sim-state")
            .arg(&st)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(full))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(13), "{args:?}: {err}");
        assert!(err.contains("cannot write to standard output"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn verify_help_says_what_is_and_is_not_checked() {
    let o = common::myna_command()
        .args(["verify", "--help"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let text = String::from_utf8_lossy(&o.stdout);
    for needle in [
        "key usage",
        "critical extension",
        "every signature dictionary",
        "Not checked: revocation",
        "trusted time",
        "art. 17",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}
