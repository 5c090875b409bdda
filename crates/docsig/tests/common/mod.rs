//! Shared test helpers: the virtual card behind a recorder, its hierarchy, a small PDF, and the
//! external tools (skipped loudly when missing, a failure when `CI=true`).
#![allow(dead_code)]

pub mod pki;

use std::path::{Path, PathBuf};
use std::process::Command;

use mynacard::cert::Certificate;
use mynacard::credential::{AuthPin, SignaturePassword};
use mynacard::sim::VirtualCard;
use mynacard::transport::{ExchangeLog, Recorder};
use mynacard::Card;
use mynacard_docsig::{SignOptions, Trust};

pub type TestCard = Card<Recorder<VirtualCard>>;

/// A cold virtual card and its exchange log.
pub fn card() -> (TestCard, ExchangeLog) {
    let r = Recorder::new(VirtualCard::new());
    let log = r.log();
    (Card::new(r), log)
}

pub fn sign_pw() -> SignaturePassword {
    SignaturePassword::parse(mynacard::sim::DEFAULT_SIGNATURE_PASSWORD).unwrap()
}

pub fn auth_pin() -> AuthPin {
    AuthPin::parse(mynacard::sim::DEFAULT_PIN).unwrap()
}

/// The virtual hierarchy's two roots.
pub fn virtual_cas() -> Vec<Certificate> {
    vec![
        Certificate::from_der(&mynacard::sim::pki::virtual_sign_ca()).unwrap(),
        Certificate::from_der(&mynacard::sim::pki::virtual_auth_ca()).unwrap(),
    ]
}

/// Signing options that know the virtual card's CA certificates (no read of EF 0002).
pub fn options_known_virtual() -> SignOptions {
    let mut o = SignOptions::default();
    o.known_cas.extend(virtual_cas());
    o
}

/// Trust that accepts the virtual hierarchy.
pub fn trust_virtual() -> Trust {
    Trust {
        extra_anchors: virtual_cas(),
        ..Trust::default()
    }
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// A one-page PDF with a classic cross-reference table.
pub fn minimal_pdf() -> Vec<u8> {
    let content = b"BT /F1 24 Tf 72 720 Td (mynacard docsig test) Tj ET\n";
    let objs: Vec<Vec<u8>> = vec![
        b"<</Type /Catalog /Pages 2 0 R>>".to_vec(),
        b"<</Type /Pages /Kids [3 0 R] /Count 1>>".to_vec(),
        b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources <</Font <</F1 5 0 R>>>>>>".to_vec(),
        [format!("<</Length {}>>\nstream\n", content.len()).as_bytes(), content, b"endstream"].concat(),
        b"<</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>".to_vec(),
    ];
    let mut out = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f\r\n", objs.len() + 1).as_bytes());
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n\r\n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<</Size {} /Root 1 0 R /ID [<00112233445566778899AABBCCDDEEFF> <00112233445566778899AABBCCDDEEFF>]>>\nstartxref\n{xref}\n%%EOF\n",
            objs.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// An external tool: `Some(path)` when it runs. Missing: a loud skip, or a failure under CI.
pub fn tool(name: &str, probe: &[&str]) -> Option<PathBuf> {
    let path = PathBuf::from(name);
    let ok = Command::new(&path)
        .args(probe)
        .output()
        .map(|o| o.status.success() || !o.stdout.is_empty() || !o.stderr.is_empty())
        .unwrap_or(false);
    if ok {
        return Some(path);
    }
    missing(name)
}

/// Reports a missing tool: panics when `CI=true`, otherwise prints a loud skip notice.
pub fn missing(what: &str) -> Option<PathBuf> {
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{what} is required in CI (CI=true) but is not installed");
    }
    eprintln!("\n!!!!!!!! SKIPPED: {what} is not installed; this independent check did NOT run !!!!!!!!\n");
    None
}

/// The Python that has pyHanko: `$PYHANKO_PYTHON`, else `python3`.
pub fn pyhanko_python() -> Option<PathBuf> {
    let py = std::env::var("PYHANKO_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&py)
        .args([
            "-c",
            "import pyhanko.sign.validation, pyhanko_certvalidator",
        ])
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if ok {
        Some(PathBuf::from(py))
    } else {
        missing("pyHanko (pip install pyhanko)")
    }
}

/// Writes `bytes` to a file in `dir`.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}
