//! PAdES B-B on the virtual card: the incremental update, two signatures, exchange counts, and
//! the refusals of the verifier.

mod common;

use mynacard_docsig::pdf::{prepare, sign_pdf, verify_pdf};
use mynacard_docsig::{Trust, Verdict};

use common::*;

fn signed_once() -> (Vec<u8>, Vec<u8>) {
    let original = minimal_pdf();
    let (mut card, _) = card();
    let signed = sign_pdf(&mut card, &sign_pw(), &original, &options_known_virtual()).unwrap();
    (original, signed)
}

#[test]
fn pades_costs_five_exchanges_and_keeps_the_original_bytes() {
    let original = minimal_pdf();
    let (mut card, log) = card();
    let signed = sign_pdf(&mut card, &sign_pw(), &original, &options_known_virtual()).unwrap();
    assert_eq!(log.len(), 5, "{log:?}");
    assert_eq!(&signed[..original.len()], &original[..]);
    let text = String::from_utf8_lossy(&signed[original.len()..]);
    for needle in [
        "/SubFilter /ETSI.CAdES.detached",
        "/ByteRange [0 ",
        "/FT /Sig",
        "/SigFlags 3",
        "/Prev ",
    ] {
        assert!(text.contains(needle), "{needle} missing");
    }
    let reports = verify_pdf(&signed, &trust_virtual()).unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(
        reports[0].report.verdict,
        Verdict::Valid,
        "{}",
        reports[0].report.detail
    );
    assert!(reports[0].covers_whole_file);
    // PAdES: the time is in /M, not in the CMS; the verifier reports it.
    assert!(reports[0].report.signing_time.is_some());
    // Without the virtual hierarchy accepted.
    let r = verify_pdf(&signed, &Trust::default()).unwrap();
    assert_eq!(r[0].report.verdict, Verdict::HierarchyNotTrusted);
}

#[test]
fn a_second_signature_keeps_the_first_valid() {
    let (_, once) = signed_once();
    let (mut card, _) = card();
    let twice = sign_pdf(&mut card, &auth_pin(), &once, &options_known_virtual()).unwrap();
    assert_eq!(&twice[..once.len()], &once[..]);
    let reports = verify_pdf(&twice, &trust_virtual()).unwrap();
    assert_eq!(reports.len(), 2);
    for r in &reports {
        assert_eq!(r.report.verdict, Verdict::Valid, "{}", r.report.detail);
    }
    assert!(!reports[0].covers_whole_file);
    assert!(reports[1].covers_whole_file);
    assert!(
        String::from_utf8_lossy(&twice[once.len()..]).contains(&hex::encode_upper("Signature2"))
    );
}

#[test]
fn refuses_tampered_truncated_and_uncovered_pdfs() {
    let (original, signed) = signed_once();
    let t = trust_virtual();
    // Tampered: one byte of the original page content changed (same length).
    let pos = signed.windows(7).position(|w| w == b"docsig ").unwrap();
    let mut tampered = signed.clone();
    tampered[pos] = b'D';
    let r = verify_pdf(&tampered, &t).unwrap();
    assert_eq!(
        r[0].report.verdict,
        Verdict::WrongContent,
        "{}",
        r[0].report.detail
    );
    // Truncated: either unreadable or refused.
    for cut in [1, 40, 400] {
        let truncated = &signed[..signed.len() - cut];
        match verify_pdf(truncated, &t) {
            Err(_) => {}
            Ok(r) => assert!(
                r.iter().all(|s| s.report.verdict != Verdict::Valid),
                "truncated by {cut} accepted"
            ),
        }
    }
    // Bytes appended after the signed revision (an unsigned incremental update).
    let mut appended = signed.clone();
    appended.extend_from_slice(b"1 0 obj\n<</Type /Catalog /Pages 2 0 R /Evil true>>\nendobj\n");
    let r = verify_pdf(&appended, &t).unwrap();
    assert_eq!(
        r.last().unwrap().report.verdict,
        Verdict::IncompleteCoverage
    );
    // A /ByteRange that leaves out more than the /Contents string: rewrite it in place to skip
    // 10 more bytes before the hole.
    let at = signed
        .windows(12)
        .position(|w| w == b"/ByteRange [")
        .unwrap()
        + 12;
    let end = at + signed[at..].iter().position(|&b| b == b']').unwrap();
    let nums: Vec<usize> = String::from_utf8_lossy(&signed[at..end])
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    let fake = format!("0 {} {} {}", nums[1] - 10, nums[2], nums[3]);
    let mut gap = signed.clone();
    let padded = format!("{fake:<w$}", w = end - at);
    gap[at..end].copy_from_slice(padded.as_bytes());
    let r = verify_pdf(&gap, &t).unwrap();
    assert_eq!(
        r[0].report.verdict,
        Verdict::IncompleteCoverage,
        "{}",
        r[0].report.detail
    );
    // A /ByteRange that stops short of the end of the file.
    let fake = format!("0 {} {} {}", nums[1], nums[2], nums[3] - 20);
    let mut short = signed.clone();
    let padded = format!("{fake:<w$}", w = end - at);
    short[at..end].copy_from_slice(padded.as_bytes());
    let r = verify_pdf(&short, &t).unwrap();
    assert_eq!(
        r[0].report.verdict,
        Verdict::IncompleteCoverage,
        "{}",
        r[0].report.detail
    );
    // The unsigned original has no signature; garbage is not a PDF.
    assert!(verify_pdf(&original, &t).unwrap().is_empty());
    assert!(
        verify_pdf(b"%PDF-1.7 nothing", &t).is_err()
            || verify_pdf(b"%PDF-1.7 nothing", &t).unwrap().is_empty()
    );
}

#[test]
fn prepare_reserves_a_hole_that_the_byte_range_skips() {
    let original = minimal_pdf();
    let p = prepare(&original, std::time::SystemTime::now()).unwrap();
    assert_eq!(p.bytes[p.contents_start], b'<');
    assert_eq!(p.bytes[p.contents_end - 1], b'>');
    let br = format!(
        "/ByteRange [0 {} {} {}",
        p.contents_start,
        p.contents_end,
        p.bytes.len() - p.contents_end
    );
    assert!(String::from_utf8_lossy(&p.bytes).contains(&br));
    // Not a PDF.
    assert!(prepare(b"not a pdf", std::time::SystemTime::now()).is_err());
}

#[test]
fn signs_a_pdf_with_a_cross_reference_stream() {
    let original = std::fs::read(fixture("xref-stream.pdf")).unwrap();
    let (mut card, _) = card();
    let signed = sign_pdf(&mut card, &sign_pw(), &original, &options_known_virtual()).unwrap();
    assert_eq!(&signed[..original.len()], &original[..]);
    let r = verify_pdf(&signed, &trust_virtual()).unwrap();
    assert_eq!(r.len(), 1);
    assert_eq!(
        r[0].report.verdict,
        Verdict::Valid,
        "{}",
        r[0].report.detail
    );
}
