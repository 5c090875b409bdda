//! A corpus of attacked PDFs, built here from the test PDF builder and the virtual card, each
//! with the verdict it must get: the published attack classes on PDF signatures.
//!
//! * Universal signature forgery (USF), incremental saving attack (ISA) and signature wrapping
//!   (SWA): V. Mladenov, C. Mainka, K. Meyer zu Selhausen, M. Grothe, J. Schwenk, "1 Trillion
//!   Dollar Refund: How To Spoof PDF Signatures", ACM CCS 2019.
//! * Shadow attacks hide, replace and hide-and-replace: C. Mainka, V. Mladenov, S. Rohlmann,
//!   "Shadow Attacks: Hiding and Replacing Content in Signed PDFs", NDSS 2021.
//!
//! Every file is first shown to be an effective attack where that can be seen (a reader that
//! ignores signatures, lopdf here, shows the changed content), then the verifier must refuse
//! it. And every signature dictionary of a file is checked: a stripped one beside a valid one
//! makes the file not valid.

mod common;

use common::*;
use lopdf::Document;
use mynacard_docsig::pdf::{sign_pdf, verify_pdf, PdfSignatureReport};
use mynacard_docsig::Verdict;

/// The value of the last `startxref`.
fn last_startxref(pdf: &[u8]) -> usize {
    let at = pdf.windows(9).rposition(|w| w == b"startxref").unwrap() + 9;
    String::from_utf8_lossy(&pdf[at..])
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Appends an incremental update: `objects` (number, body), a cross-reference section for
/// them, and a trailer with `root` and `/Prev`.
fn append_update(pdf: &[u8], objects: &[(u32, String)], root: u32, size: u32) -> Vec<u8> {
    let prev = last_startxref(pdf);
    let mut out = pdf.to_vec();
    let mut offsets = Vec::new();
    for (n, body) in objects {
        offsets.push((*n, out.len()));
        out.extend_from_slice(format!("{n} 0 obj\n{body}\nendobj\n").as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(b"xref\n0 1\n0000000000 65535 f\r\n");
    for (n, off) in offsets {
        out.extend_from_slice(format!("{n} 1\n{off:010} 00000 n\r\n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<</Size {size} /Root {root} 0 R /Prev {prev}>>\nstartxref\n{xref}\n%%EOF\n"
        )
        .as_bytes(),
    );
    out
}

fn stream(content: &str) -> String {
    format!(
        "<</Length {}>>\nstream\n{content}\nendstream",
        content.len()
    )
}

fn sign(pdf: &[u8]) -> Vec<u8> {
    let (mut card, _) = card();
    sign_pdf(&mut card, &sign_pw(), pdf, &options_known_virtual()).unwrap()
}

fn sign_auth(pdf: &[u8]) -> Vec<u8> {
    let (mut card, _) = card();
    sign_pdf(&mut card, &auth_pin(), pdf, &options_known_virtual()).unwrap()
}

fn verdicts(pdf: &[u8]) -> Vec<PdfSignatureReport> {
    verify_pdf(pdf, &trust_virtual()).expect("the attacked file is still a readable PDF")
}

/// The text a reader that ignores signatures shows on page 1 (its content streams).
fn page_text(pdf: &[u8]) -> String {
    let doc = Document::load_mem(pdf).unwrap();
    let page = *doc.get_pages().get(&1).unwrap();
    String::from_utf8_lossy(&doc.get_page_content(page)).into_owned()
}

/// The signature of `pdf` (exactly one) gets `want`.
fn assert_one(pdf: &[u8], want: Verdict, what: &str) {
    let r = verdicts(pdf);
    assert_eq!(r.len(), 1, "{what}: {r:?}");
    assert_eq!(r[0].report.verdict, want, "{what}: {}", r[0].report.detail);
}

/// Replaces the first `from` after `after` with `to` (same length: offsets stay).
fn replace_same_len(pdf: &[u8], after: usize, from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at = after
        + pdf[after..]
            .windows(from.len())
            .position(|w| w == from)
            .unwrap();
    let mut out = pdf.to_vec();
    out[at..at + to.len()].copy_from_slice(to);
    out
}

/// Offset and text of the last `/ByteRange [...]` array (the inside of the brackets).
fn byte_range(pdf: &[u8]) -> (usize, usize, Vec<usize>) {
    let at = pdf.windows(12).rposition(|w| w == b"/ByteRange [").unwrap() + 12;
    let end = at + pdf[at..].iter().position(|&b| b == b']').unwrap();
    let nums = String::from_utf8_lossy(&pdf[at..end])
        .split_whitespace()
        .map(|x| x.parse().unwrap())
        .collect();
    (at, end, nums)
}

fn with_byte_range(pdf: &[u8], text: &str) -> Vec<u8> {
    let (at, end, _) = byte_range(pdf);
    let mut out = pdf.to_vec();
    let padded = format!("{text:<w$}", w = end - at);
    assert_eq!(padded.len(), end - at, "{text}");
    out[at..end].copy_from_slice(padded.as_bytes());
    out
}

#[test]
fn the_untouched_signed_file_is_valid() {
    assert_one(&sign(&minimal_pdf()), Verdict::Valid, "baseline");
}

// --- Universal signature forgery: a signature whose values are missing, empty or bogus. ----

#[test]
fn usf_stripped_or_emptied_signatures_are_refused() {
    let signed = sign(&minimal_pdf());
    let original_len = minimal_pdf().len();
    // /Contents gone (the key renamed, same length): still a signature, and not valid.
    let no_contents = replace_same_len(&signed, original_len, b"/Contents <", b"/Contentz <");
    assert_one(&no_contents, Verdict::Malformed, "USF no /Contents");
    // /ByteRange gone.
    let no_range = replace_same_len(&signed, original_len, b"/ByteRange", b"/ByteRangX");
    assert_one(&no_range, Verdict::Malformed, "USF no /ByteRange");
    // /ByteRange null.
    let (at, end, _) = byte_range(&signed);
    let mut null = signed.clone();
    let text = format!("{:<w$}", "null", w = end + 1 - (at - 1));
    null[at - 1..=end].copy_from_slice(text.as_bytes());
    assert_one(&null, Verdict::Malformed, "USF /ByteRange null");
    // /ByteRange [0 0 0 0]: covers nothing.
    assert_one(
        &with_byte_range(&signed, "0 0 0 0"),
        Verdict::IncompleteCoverage,
        "USF empty /ByteRange",
    );
    // /Contents all zeros (the signature emptied in place).
    let (_, _, nums) = byte_range(&signed);
    let mut zeroed = signed.clone();
    zeroed[nums[1] + 1..nums[2] - 1].fill(b'0');
    assert_one(&zeroed, Verdict::Malformed, "USF /Contents zeroed");
}

#[test]
fn every_signature_dictionary_is_checked() {
    // A first signature stripped of its /ByteRange, then a valid second signature over that
    // file: the stripped one must be reported (and make the file not valid), not skipped.
    let once = sign(&minimal_pdf());
    let start = minimal_pdf().len();
    let stripped = replace_same_len(&once, start, b"/ByteRange", b"/ByteRangX");
    let twice = sign_auth(&stripped);
    let r = verdicts(&twice);
    assert_eq!(r.len(), 2, "{r:?}");
    assert_eq!(
        r[0].report.verdict,
        Verdict::Malformed,
        "{}",
        r[0].report.detail
    );
    assert_eq!(
        r[1].report.verdict,
        Verdict::Valid,
        "{}",
        r[1].report.detail
    );

    // Found only as the /V of a signature field: neither /Type /Sig nor /ByteRange left.
    let hidden = replace_same_len(&stripped, start, b"/Type /Sig", b"/Type /Xig");
    let twice = sign_auth(&hidden);
    let r = verdicts(&twice);
    assert_eq!(r.len(), 2, "{r:?}");
    assert!(r.iter().filter(|s| s.report.verdict.is_valid()).count() == 1);

    // Two valid signatures: both reported valid.
    let r = verdicts(&sign_auth(&once));
    assert_eq!(r.len(), 2);
    assert!(r.iter().all(|s| s.report.verdict.is_valid()), "{r:?}");
}

// --- Incremental saving attack: content changed by an update after the signature. ---------

#[test]
fn isa_an_update_after_the_signature_is_refused() {
    let signed = sign(&minimal_pdf());
    // ISA with a full update: a new page content stream, a cross-reference section, a trailer.
    let attacked = append_update(
        &signed,
        &[(4, stream("BT /F1 24 Tf 72 720 Td (pay the attacker) Tj ET"))],
        1,
        40,
    );
    assert!(page_text(&attacked).contains("pay the attacker"));
    assert_one(&attacked, Verdict::IncompleteCoverage, "ISA full update");
    // ISA without a cross-reference section: objects appended after %%EOF.
    let mut bare = signed.clone();
    bare.extend_from_slice(
        format!(
            "4 0 obj\n{}\nendobj\n",
            stream("BT (pay the attacker) Tj ET")
        )
        .as_bytes(),
    );
    assert_one(&bare, Verdict::IncompleteCoverage, "ISA objects only");
    // ISA hiding the update in a comment-only tail: still bytes the signature does not cover.
    let mut tail = signed.clone();
    tail.extend_from_slice(b"%not signed\n");
    assert_one(&tail, Verdict::IncompleteCoverage, "ISA tail");
}

// --- Signature wrapping: unsigned bytes smuggled into the excluded gap. ----------------------

#[test]
fn swa_content_in_the_gap_is_refused() {
    let signed = sign(&minimal_pdf());
    let (_, _, nums) = byte_range(&signed);
    let (gap_start, gap_end) = (nums[1], nums[2]);
    // Inside the zero padding of /Contents: close the string, add entries, reopen it. The
    // byte ranges are untouched, so the CMS still matches them.
    let inject = b"> /Injected (unsigned text) /Pad <";
    let mut in_gap = signed.clone();
    let at = gap_end - 1 - inject.len() - 2;
    in_gap[at..at + inject.len()].copy_from_slice(inject);
    assert_one(&in_gap, Verdict::IncompleteCoverage, "SWA inside the gap");
    // The gap widened over an object inserted after the signature dictionary, and the
    // /ByteRange moved to start after it (the /ByteRange is itself signed, so this also changes
    // the first part; the gap is what must be refused first).
    let p = gap_end
        + signed[gap_end..]
            .windows(7)
            .position(|w| w == b"endobj\n")
            .unwrap()
        + 7;
    let object = format!("40 0 obj\n{}\nendobj\n", stream("BT (wrapped) Tj ET"));
    let shift = object.len();
    let mut wrapped = signed[..p].to_vec();
    wrapped.extend_from_slice(object.as_bytes());
    // The rest follows, its cross-reference offsets and startxref moved with it, so that a
    // reader still finds every object.
    let mut rest = String::from_utf8(signed[p..].to_vec()).unwrap();
    let xref = rest.rfind("xref\n").unwrap();
    let fixed: Vec<String> = rest[xref..]
        .split("\r\n")
        .map(|line| match line.split_once(" 00000 n") {
            Some((off, "")) if off.len() == 10 => {
                let off: usize = off.parse().unwrap();
                let off = if off >= p { off + shift } else { off };
                format!("{off:010} 00000 n")
            }
            _ => line.to_owned(),
        })
        .collect();
    rest.replace_range(xref.., &fixed.join("\r\n"));
    let sx = rest.rfind("startxref\n").unwrap() + 10;
    let old: usize = rest[sx..]
        .trim()
        .trim_end_matches("%%EOF")
        .trim()
        .parse()
        .unwrap();
    rest.replace_range(sx.., &format!("{}\n%%EOF\n", old + shift));
    wrapped.extend_from_slice(rest.as_bytes());
    let second = p + shift;
    let len = wrapped.len();
    let wrapped = with_byte_range(
        &wrapped,
        &format!("0 {} {} {}", gap_start, second, len - second),
    );
    let r = verdicts(&wrapped);
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(
        r[0].report.verdict,
        Verdict::IncompleteCoverage,
        "{}",
        r[0].report.detail
    );
}

// --- Shadow attacks: content prepared before signing, switched by an update after it. -------

#[test]
fn shadow_hide_is_refused() {
    // Before signing: an overlay stream (6) covers the text the attacker will reveal.
    let base = minimal_pdf();
    let prepared = append_update(
        &base,
        &[
            (6, stream("1 1 1 rg 0 0 595 842 re f")),
            (3, "<</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents [4 0 R 6 0 R] /Resources <</Font <</F1 5 0 R>>>>>>".into()),
        ],
        1,
        7,
    );
    let signed = sign(&prepared);
    assert_one(&signed, Verdict::Valid, "the prepared file, signed");
    // After: the page without the overlay.
    let attacked = append_update(
        &signed,
        &[(3, "<</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents [4 0 R] /Resources <</Font <</F1 5 0 R>>>>>>".into())],
        1,
        40,
    );
    assert!(page_text(&signed).contains("re f"));
    assert!(!page_text(&attacked).contains("re f"));
    assert_one(&attacked, Verdict::IncompleteCoverage, "shadow hide");
}

#[test]
fn shadow_replace_is_refused() {
    let signed = sign(&minimal_pdf());
    // The font object redefined: the same text shows otherwise (the replace class changes
    // objects the signed content refers to, not the content stream itself).
    let attacked = append_update(
        &signed,
        &[(
            5,
            "<</Type /Font /Subtype /Type1 /BaseFont /ZapfDingbats>>".into(),
        )],
        1,
        40,
    );
    let doc = Document::load_mem(&attacked).unwrap();
    let font = doc.get_object((5, 0)).unwrap().as_dict().unwrap();
    assert_eq!(
        font.get(b"BaseFont").unwrap().as_name().unwrap(),
        b"ZapfDingbats"
    );
    assert_one(&attacked, Verdict::IncompleteCoverage, "shadow replace");
}

#[test]
fn shadow_hide_and_replace_is_refused() {
    // Before signing: a whole second document (catalog 10, pages 9, page 8, content 7), not
    // referenced by anything, so no viewer shows it.
    let base = minimal_pdf();
    let prepared = append_update(
        &base,
        &[
            (7, stream("BT /F1 24 Tf 72 720 Td (the shadow document) Tj ET")),
            (8, "<</Type /Page /Parent 9 0 R /MediaBox [0 0 595 842] /Contents 7 0 R /Resources <</Font <</F1 5 0 R>>>>>>".into()),
            (9, "<</Type /Pages /Kids [8 0 R] /Count 1>>".into()),
            (10, "<</Type /Catalog /Pages 9 0 R>>".into()),
        ],
        1,
        11,
    );
    let signed = sign(&prepared);
    assert_one(&signed, Verdict::Valid, "the prepared file, signed");
    assert!(!page_text(&signed).contains("shadow"));
    // After: only a cross-reference section and a trailer whose /Root is the shadow catalog.
    let attacked = append_update(&signed, &[], 10, 40);
    assert!(page_text(&attacked).contains("the shadow document"));
    assert_one(
        &attacked,
        Verdict::IncompleteCoverage,
        "shadow hide-and-replace",
    );
}
