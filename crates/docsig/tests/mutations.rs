//! A small deterministic stand-in for the fuzz targets (which need cargo-fuzz): every truncation
//! and many byte flips of real signatures give a verdict or an error, never a panic, and never
//! `Valid`.

mod common;

use mynacard_docsig::pdf::verify_pdf;
use mynacard_docsig::{sign_cms, verify_cms, Form, Verdict};

use common::*;

/// Truncations (position `None`) and single-bit flips (at a position).
fn mutations(bytes: &[u8]) -> Vec<(Option<usize>, Vec<u8>)> {
    let mut out = Vec::new();
    let step = (bytes.len() / 150).max(1);
    for cut in (0..bytes.len()).step_by(step) {
        out.push((None, bytes[..cut].to_vec()));
    }
    for (i, pos) in (0..bytes.len()).step_by(step).enumerate() {
        let mut m = bytes.to_vec();
        m[pos] ^= 1 << (i % 8);
        out.push((Some(pos), m));
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> std::ops::Range<usize> {
    let at = hay.windows(needle.len()).position(|w| w == needle).unwrap();
    at..at + needle.len()
}

#[test]
fn mutated_cms_is_never_valid_and_never_panics() {
    let (mut card, _) = card();
    let mut o = options_known_virtual();
    o.form = Form::Attached;
    let s = sign_cms(&mut card, &sign_pw(), b"content", &o).unwrap();
    let t = trust_virtual();
    assert_eq!(verify_cms(&s.der, None, &t).verdict, Verdict::Valid);
    // The CA certificate inside the CMS is informational (the anchor is the verifier's own
    // copy), so a flip inside it may leave the signature valid; nothing else may.
    let ca = find(&s.der, virtual_cas()[0].der());
    for (pos, m) in mutations(&s.der) {
        if verify_cms(&m, None, &t).verdict == Verdict::Valid {
            assert!(
                pos.is_some_and(|p| ca.contains(&p)),
                "mutation at {pos:?} accepted"
            );
        }
    }
}

#[test]
fn mutated_pdfs_never_panic() {
    let (mut card, _) = card();
    let pdf = mynacard_docsig::sign_pdf(
        &mut card,
        &sign_pw(),
        &minimal_pdf(),
        &options_known_virtual(),
    )
    .unwrap();
    let t = trust_virtual();
    // Only a flip inside the /Contents string (its zero padding after the DER, or the
    // informational CA certificate) may leave the signature valid.
    let start = find(&pdf, b"/Contents <").end - 1;
    let end = start + pdf[start..].iter().position(|&b| b == b'>').unwrap();
    for (pos, m) in mutations(&pdf) {
        if let Ok(r) = verify_pdf(&m, &t) {
            if r.iter().any(|s| s.report.verdict == Verdict::Valid) {
                assert!(
                    pos.is_some_and(|p| (start..end).contains(&p)),
                    "mutation at {pos:?} accepted"
                );
            }
        }
    }
}
