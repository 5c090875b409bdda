//! PDF signatures: PAdES B-B (ETSI EN 319 142-1) by an incremental update, and verification of
//! every signature in a file.
//!
//! Reading uses `lopdf`. The incremental update is written by hand: lopdf's writers serialise
//! a whole document (and its incremental mode cannot leave a fixed-size `/Contents` hole whose
//! offsets are known before the digest), while a signature needs the original bytes untouched
//! and the exact offsets of the hole for `/ByteRange` (ISO 32000-1 §12.8.1). The update holds:
//! the signature dictionary (`/Type /Sig`, `/Filter /Adobe.PPKLite`, `/SubFilter
//! /ETSI.CAdES.detached`, `/M`, `/ByteRange`, `/Contents`), an invisible signature field that
//! is its own widget on the first page, the page (or its `/Annots` array) with the widget
//! added, the AcroForm (new, or the old one with the field added, `/SigFlags 3`), the catalog
//! when it changes, a classic cross-reference section and a trailer with `/Prev`.
//!
//! PAdES B-B puts the signing time in `/M` and not in the CMS (ETSI EN 319 142-1 §5.1: the
//! signing-time attribute shall not be used).

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use lopdf::{Dictionary, Document, Object, ObjectId};
use mynacard::crypto::CertTime;
use mynacard::sign::JpkiPin;
use mynacard::transport::Transport;
use mynacard::Card;
use serde::Serialize;

use crate::verify::{digest_parts, verify_cms_at, Content, Report, Trust, Verdict};
use crate::{Error, SignOptions};
use mynacard::crypto::HashAlgorithm;

/// Bytes reserved for the CMS in `/Contents` (written as twice as many hex digits). A JPKI
/// signature with both certificates is about 4.5 KiB.
pub const CONTENTS_RESERVED: usize = 16 * 1024;

const BYTE_RANGE_PLACEHOLDER: &str = "[0 0000000000 0000000000 0000000000]";

/// An incremental update with an empty `/Contents`, ready for the digest.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The original file followed by the update.
    pub bytes: Vec<u8>,
    /// Offset of the `<` of `/Contents`.
    pub contents_start: usize,
    /// Offset just after its `>`.
    pub contents_end: usize,
}

impl Prepared {
    /// The bytes the signature covers: everything but the `/Contents` string.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut v = self.bytes[..self.contents_start].to_vec();
        v.extend_from_slice(&self.bytes[self.contents_end..]);
        v
    }

    /// The two byte ranges the signature covers, in place (no copy): before and after the
    /// `/Contents` string.
    pub fn signed_ranges(&self) -> [&[u8]; 2] {
        [
            &self.bytes[..self.contents_start],
            &self.bytes[self.contents_end..],
        ]
    }

    /// Puts the DER of the CMS into `/Contents`.
    pub fn fill(mut self, cms: &[u8]) -> Result<Vec<u8>, Error> {
        let hex = hex::encode_upper(cms);
        let room = self.contents_end - self.contents_start - 2;
        if hex.len() > room {
            return Err(Error::Pdf(format!(
                "the signature ({} bytes) does not fit the {} bytes reserved",
                cms.len(),
                room / 2
            )));
        }
        self.bytes[self.contents_start + 1..self.contents_start + 1 + hex.len()]
            .copy_from_slice(hex.as_bytes());
        Ok(self.bytes)
    }
}

fn pdf_err(e: impl std::fmt::Display) -> Error {
    Error::Pdf(e.to_string())
}

/// The value of the last `startxref` in the file.
fn last_startxref(pdf: &[u8]) -> Option<usize> {
    let pos = pdf.windows(9).rposition(|w| w == b"startxref")?;
    let rest = &pdf[pos + 9..];
    let s: String = rest
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .map(|&b| b as char)
        .collect();
    s.parse().ok()
}

/// Writes a PDF object (no streams: only dictionaries and arrays are rewritten).
fn write_object(o: &Object, out: &mut Vec<u8>) -> Result<(), Error> {
    match o {
        Object::Null => out.extend_from_slice(b"null"),
        Object::Boolean(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Object::Integer(i) => out.extend_from_slice(i.to_string().as_bytes()),
        Object::Real(r) => out.extend_from_slice(format!("{r:.6}").as_bytes()),
        Object::Name(n) => write_name(n, out),
        Object::String(s, _) => {
            out.push(b'<');
            out.extend_from_slice(hex::encode_upper(s).as_bytes());
            out.push(b'>');
        }
        Object::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write_object(x, out)?;
            }
            out.push(b']');
        }
        Object::Dictionary(d) => write_dict(d, out)?,
        Object::Reference((id, gen)) => out.extend_from_slice(format!("{id} {gen} R").as_bytes()),
        Object::Stream(_) => return Err(Error::Pdf("cannot rewrite a stream object".into())),
    }
    Ok(())
}

fn write_name(n: &[u8], out: &mut Vec<u8>) {
    out.push(b'/');
    for &b in n {
        if b.is_ascii_alphanumeric() || b"-_.+".contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(format!("#{b:02X}").as_bytes());
        }
    }
}

fn write_dict(d: &Dictionary, out: &mut Vec<u8>) -> Result<(), Error> {
    out.extend_from_slice(b"<<");
    for (k, v) in d.iter() {
        write_name(k, out);
        out.push(b' ');
        write_object(v, out)?;
    }
    out.extend_from_slice(b">>");
    Ok(())
}

/// `D:YYYYMMDDHHmmSSZ` for `/M`.
fn pdf_date(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let s = CertTime(secs).to_string(); // "YYYY-MM-DD HH:MM:SS UTC"
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    format!("D:{}Z", &digits[..14.min(digits.len())])
}

/// Parses `D:YYYYMMDDHHmmSS[Z|+hh'mm'|-hh'mm']` (missing fields default as ISO 32000 §7.9.4).
pub fn parse_pdf_date(s: &[u8]) -> Option<SystemTime> {
    let s = std::str::from_utf8(s).ok()?;
    let s = s.strip_prefix("D:").unwrap_or(s);
    let num = |a: usize, b: usize, d: u64| -> Option<u64> {
        match s.get(a..b) {
            Some(x) if x.bytes().all(|c| c.is_ascii_digit()) => x.parse().ok(),
            Some(_) => None,
            None => Some(d),
        }
    };
    let (y, mo, d) = (num(0, 4, 0)?, num(4, 6, 1)?, num(6, 8, 1)?);
    let (h, mi, se) = (num(8, 10, 0)?, num(10, 12, 0)?, num(12, 14, 0)?);
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let (yy, m) = if mo <= 2 {
        (y - 1, mo + 9)
    } else {
        (y, mo - 3)
    };
    let era = yy / 400;
    let yoe = yy - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    let mut secs = (days * 86400 + h * 3600 + mi * 60 + se) as i64;
    if let Some(tz) = s.get(14..) {
        let sign = match tz.as_bytes().first() {
            Some(b'+') => -1,
            Some(b'-') => 1,
            _ => 0,
        };
        if sign != 0 {
            let digits: String = tz.chars().filter(|c| c.is_ascii_digit()).collect();
            let oh: i64 = digits.get(0..2).and_then(|x| x.parse().ok()).unwrap_or(0);
            let om: i64 = digits.get(2..4).and_then(|x| x.parse().ok()).unwrap_or(0);
            secs += sign * (oh * 3600 + om * 60);
        }
    }
    Some(UNIX_EPOCH + std::time::Duration::from_secs(u64::try_from(secs).ok()?))
}

/// Builds the incremental update of a signature over `pdf`, with `/Contents` reserved.
pub fn prepare(pdf: &[u8], signing_time: SystemTime) -> Result<Prepared, Error> {
    let doc = Document::load_mem(pdf).map_err(pdf_err)?;
    if doc.trailer.has(b"Encrypt") {
        return Err(Error::Unsupported("encrypted PDFs".into()));
    }
    let prev = last_startxref(pdf).ok_or_else(|| Error::Pdf("no startxref".into()))?;
    let root_id = doc
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .map_err(|_| Error::Pdf("the trailer has no /Root".into()))?;
    let mut catalog = doc
        .get_object(root_id)
        .and_then(Object::as_dict)
        .map_err(|_| Error::Pdf("the catalog is not a dictionary".into()))?
        .clone();
    let page_id = *doc
        .get_pages()
        .get(&1)
        .ok_or_else(|| Error::Pdf("the document has no page".into()))?;
    let size = doc
        .trailer
        .get(b"Size")
        .and_then(Object::as_i64)
        .unwrap_or(0)
        .max(doc.max_id as i64 + 1) as u32;
    let sig_id: ObjectId = (size, 0);
    let widget_id: ObjectId = (size + 1, 0);
    let mut next = size + 2;
    // Changed and new objects other than the signature dictionary.
    let mut objects: BTreeMap<ObjectId, Object> = BTreeMap::new();

    // The field's name: one more than the signatures already there.
    let existing = signature_dicts(&doc).len();
    let name = format!("Signature{}", existing + 1);

    // The widget goes on the first page.
    let mut page = doc
        .get_object(page_id)
        .and_then(Object::as_dict)
        .map_err(|_| Error::Pdf("the first page is not a dictionary".into()))?
        .clone();
    match page.get(b"Annots") {
        Ok(Object::Reference(aid)) => {
            let aid = *aid;
            let mut arr = doc
                .get_object(aid)
                .and_then(Object::as_array)
                .map_err(|_| Error::Pdf("/Annots is not an array".into()))?
                .clone();
            arr.push(Object::Reference(widget_id));
            objects.insert(aid, Object::Array(arr));
        }
        Ok(Object::Array(a)) => {
            let mut a = a.clone();
            a.push(Object::Reference(widget_id));
            page.set("Annots", Object::Array(a));
            objects.insert(page_id, Object::Dictionary(page));
        }
        _ => {
            page.set("Annots", Object::Array(vec![Object::Reference(widget_id)]));
            objects.insert(page_id, Object::Dictionary(page));
        }
    }

    // The AcroForm.
    let add_field = |acro: &mut Dictionary| -> Result<(), Error> {
        let mut fields = match acro.get(b"Fields") {
            Ok(Object::Array(a)) => a.clone(),
            Ok(Object::Reference(r)) => doc
                .get_object(*r)
                .and_then(Object::as_array)
                .map_err(|_| Error::Pdf("/Fields is not an array".into()))?
                .clone(),
            _ => Vec::new(),
        };
        fields.push(Object::Reference(widget_id));
        acro.set("Fields", Object::Array(fields));
        acro.set("SigFlags", Object::Integer(3));
        Ok(())
    };
    match catalog.get(b"AcroForm") {
        Ok(Object::Reference(aid)) => {
            let aid = *aid;
            let mut acro = doc
                .get_object(aid)
                .and_then(Object::as_dict)
                .map_err(|_| Error::Pdf("/AcroForm is not a dictionary".into()))?
                .clone();
            add_field(&mut acro)?;
            objects.insert(aid, Object::Dictionary(acro));
        }
        Ok(Object::Dictionary(d)) => {
            let mut acro = d.clone();
            add_field(&mut acro)?;
            catalog.set("AcroForm", Object::Dictionary(acro));
            objects.insert(root_id, Object::Dictionary(catalog));
        }
        _ => {
            let acro_id: ObjectId = (next, 0);
            next += 1;
            let mut acro = Dictionary::new();
            add_field(&mut acro)?;
            objects.insert(acro_id, Object::Dictionary(acro));
            catalog.set("AcroForm", Object::Reference(acro_id));
            objects.insert(root_id, Object::Dictionary(catalog));
        }
    }

    let mut widget = Dictionary::new();
    widget.set("Type", Object::Name(b"Annot".to_vec()));
    widget.set("Subtype", Object::Name(b"Widget".to_vec()));
    widget.set("FT", Object::Name(b"Sig".to_vec()));
    widget.set("T", Object::string_literal(name));
    widget.set("V", Object::Reference(sig_id));
    widget.set("F", Object::Integer(132)); // Print + Locked
    widget.set(
        "Rect",
        Object::Array(vec![0.into(), 0.into(), 0.into(), 0.into()]),
    );
    widget.set("P", Object::Reference(page_id));
    objects.insert(widget_id, Object::Dictionary(widget));

    // Write the update.
    let mut out = pdf.to_vec();
    if !out.ends_with(b"\n") && !out.ends_with(b"\r") {
        out.push(b'\n');
    }
    let mut offsets: BTreeMap<u32, (u16, usize)> = BTreeMap::new();
    // The signature dictionary first, with its hole.
    offsets.insert(sig_id.0, (0, out.len()));
    out.extend_from_slice(format!("{} 0 obj\n", sig_id.0).as_bytes());
    out.extend_from_slice(b"<</Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached");
    out.extend_from_slice(format!(" /M ({})", pdf_date(signing_time)).as_bytes());
    out.extend_from_slice(b" /ByteRange ");
    let br_at = out.len();
    out.extend_from_slice(BYTE_RANGE_PLACEHOLDER.as_bytes());
    out.extend_from_slice(b" /Contents ");
    let contents_start = out.len();
    out.push(b'<');
    out.extend(std::iter::repeat_n(b'0', CONTENTS_RESERVED * 2));
    out.push(b'>');
    let contents_end = out.len();
    out.extend_from_slice(b">>\nendobj\n");
    for (id, o) in &objects {
        offsets.insert(id.0, (id.1, out.len()));
        out.extend_from_slice(format!("{} {} obj\n", id.0, id.1).as_bytes());
        write_object(o, &mut out)?;
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref_at = out.len();
    out.extend_from_slice(b"xref\n");
    let ids: Vec<u32> = offsets.keys().copied().collect();
    let mut i = 0;
    while i < ids.len() {
        let mut j = i;
        while j + 1 < ids.len() && ids[j + 1] == ids[j] + 1 {
            j += 1;
        }
        out.extend_from_slice(format!("{} {}\n", ids[i], j - i + 1).as_bytes());
        for id in &ids[i..=j] {
            let (gen, off) = offsets[id];
            out.extend_from_slice(format!("{off:010} {gen:05} n\r\n").as_bytes());
        }
        i = j + 1;
    }
    let mut trailer = Dictionary::new();
    trailer.set("Size", Object::Integer(next.into()));
    trailer.set("Root", Object::Reference(root_id));
    if let Ok(info) = doc.trailer.get(b"Info") {
        trailer.set("Info", info.clone());
    }
    if let Ok(id) = doc.trailer.get(b"ID") {
        trailer.set("ID", id.clone());
    }
    trailer.set("Prev", Object::Integer(prev as i64));
    out.extend_from_slice(b"trailer\n");
    write_dict(&trailer, &mut out)?;
    out.extend_from_slice(format!("\nstartxref\n{xref_at}\n%%EOF\n").as_bytes());

    // The byte range: everything but the /Contents string.
    let br = format!(
        "[0 {} {} {}]",
        contents_start,
        contents_end,
        out.len() - contents_end
    );
    if br.len() > BYTE_RANGE_PLACEHOLDER.len() {
        return Err(Error::Pdf("the file is too large".into()));
    }
    let padded = format!("{br:<width$}", width = BYTE_RANGE_PLACEHOLDER.len());
    out[br_at..br_at + padded.len()].copy_from_slice(padded.as_bytes());
    Ok(Prepared {
        bytes: out,
        contents_start,
        contents_end,
    })
}

/// Signs `pdf` as PAdES B-B with the key `pin` opens: the original bytes, then an incremental
/// update holding the signature. A PDF signed before keeps its signatures, which stay valid.
pub fn sign_pdf<T: Transport, P: JpkiPin>(
    card: &mut Card<T>,
    pin: &P,
    pdf: &[u8],
    options: &SignOptions,
) -> Result<Vec<u8>, Error> {
    let prepared = prepare(pdf, options.signing_time)?;
    // The two byte ranges are hashed where they lie: no copy of the document.
    let ranges = prepared.signed_ranges();
    let digest = digest_parts(HashAlgorithm::Sha256, &ranges);
    let (cms, _cert, _) = crate::sign_digest_cms(card, pin, &digest, options, false, None)?;
    // The self-check: the new signature as a verifier sees it (content, attributes, signature
    // under the certificate); the chain is not this function's business.
    let sd = crate::cms::parse(&cms)?;
    if let Err(r) = crate::verify::check_signed_data(&sd, Some(Content::Parts(&ranges))) {
        return Err(Error::SelfCheck(r.detail));
    }
    prepared.fill(&cms)
}

/// One signature of a PDF.
#[derive(Debug, Clone, Serialize)]
pub struct PdfSignatureReport {
    /// The `/ByteRange`.
    pub byte_range: Vec<i64>,
    /// The `/SubFilter`.
    pub sub_filter: String,
    /// Whether it covers the whole file (the last signature must); otherwise it covers an
    /// earlier revision, which later signed revisions extend.
    pub covers_whole_file: bool,
    /// The verdict on the signature.
    #[serde(flatten)]
    pub report: Report,
}

/// Every signature dictionary of the document, in file order of their signed ranges: every
/// dictionary with a `/ByteRange`, or of `/Type /Sig` or `/DocTimeStamp`, and the value (`/V`)
/// of every signature field (`/FT /Sig`), inline or referenced. A dictionary that lacks its
/// `/ByteRange` or `/Contents` is still one (and is reported as not valid), so that a
/// stripped or emptied signature (universal signature forgery) cannot pass unseen beside a
/// valid one.
fn signature_dicts(doc: &Document) -> Vec<Dictionary> {
    let is_sig = |d: &Dictionary| {
        d.has(b"ByteRange")
            || matches!(
                d.get(b"Type").and_then(Object::as_name),
                Ok(b"Sig") | Ok(b"DocTimeStamp")
            )
    };
    let mut ids: Vec<ObjectId> = Vec::new();
    let mut inline: Vec<Dictionary> = Vec::new();
    for (id, o) in &doc.objects {
        let Ok(d) = o.as_dict() else { continue };
        if is_sig(d) && !ids.contains(id) {
            ids.push(*id);
        }
        if matches!(d.get(b"FT").and_then(Object::as_name), Ok(b"Sig")) {
            match d.get(b"V") {
                Ok(Object::Reference(r))
                    if doc.get_object(*r).and_then(Object::as_dict).is_ok() && !ids.contains(r) =>
                {
                    ids.push(*r);
                }
                Ok(Object::Dictionary(v)) => inline.push(v.clone()),
                _ => {}
            }
        }
    }
    let mut v: Vec<Dictionary> = ids
        .iter()
        .filter_map(|id| doc.get_object(*id).and_then(Object::as_dict).ok())
        .cloned()
        .chain(inline)
        .collect();
    let key = |d: &Dictionary| -> i64 {
        d.get(b"ByteRange")
            .and_then(Object::as_array)
            .ok()
            .and_then(|a| a.get(2).and_then(|x| x.as_i64().ok()))
            .unwrap_or(0)
    };
    v.sort_by_key(key);
    v
}

/// Verifies every signature of `pdf`. `Err` when the file is not a readable PDF; an empty list
/// when it has no signature.
pub fn verify_pdf(pdf: &[u8], trust: &Trust) -> Result<Vec<PdfSignatureReport>, Error> {
    let doc = Document::load_mem(pdf).map_err(pdf_err)?;
    let dicts = signature_dicts(&doc);
    let n = dicts.len();
    let mut out = Vec::with_capacity(n);
    for (i, d) in dicts.iter().enumerate() {
        out.push(verify_one(pdf, d, i + 1 == n, trust));
    }
    Ok(out)
}

fn verify_one(pdf: &[u8], d: &Dictionary, last: bool, trust: &Trust) -> PdfSignatureReport {
    let byte_range: Vec<i64> = d
        .get(b"ByteRange")
        .and_then(Object::as_array)
        .map(|a| a.iter().map(|x| x.as_i64().unwrap_or(-1)).collect())
        .unwrap_or_default();
    let sub_filter = d
        .get(b"SubFilter")
        .and_then(Object::as_name)
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_default();
    let mut r = PdfSignatureReport {
        byte_range: byte_range.clone(),
        sub_filter: sub_filter.clone(),
        covers_whole_file: false,
        report: Report::fail(Verdict::Malformed, String::new()),
    };
    let fail = |mut r: PdfSignatureReport, v: Verdict, detail: String| {
        r.report = Report::fail(v, detail);
        r
    };
    let Ok(contents) = d.get(b"Contents").and_then(Object::as_str) else {
        return fail(
            r,
            Verdict::Malformed,
            "the signature dictionary has no /Contents string".into(),
        );
    };
    let [o1, l1, o2, l2] = match byte_range.as_slice() {
        [a, b, c, d] if *a >= 0 && *b >= 0 && *c >= 0 && *d >= 0 => {
            [*a as usize, *b as usize, *c as usize, *d as usize]
        }
        _ => {
            return fail(
                r,
                Verdict::Malformed,
                "/ByteRange is not four non-negative integers".into(),
            )
        }
    };
    let end = o2.saturating_add(l2);
    if o1 != 0 || l1 >= o2 || end > pdf.len() {
        return fail(
            r,
            Verdict::IncompleteCoverage,
            format!(
                "/ByteRange {byte_range:?} does not lie within the {}-byte file from its start \
                 (truncated or altered)",
                pdf.len()
            ),
        );
    }
    // The gap must be exactly this signature's /Contents hex string.
    let gap = &pdf[l1..o2];
    let hex_ok = gap.len() >= 2
        && gap[0] == b'<'
        && gap[gap.len() - 1] == b'>'
        && gap[1..gap.len() - 1].iter().all(u8::is_ascii_hexdigit);
    let decoded = if hex_ok {
        hex::decode(&gap[1..gap.len() - 1]).ok()
    } else {
        None
    };
    if decoded.as_deref() != Some(contents) {
        return fail(
            r,
            Verdict::IncompleteCoverage,
            "the bytes left out of /ByteRange are not just the signature's /Contents".into(),
        );
    }
    r.covers_whole_file = end == pdf.len();
    if !r.covers_whole_file {
        let revision_end = {
            let head = pdf[..end].trim_ascii_end();
            head.ends_with(b"%%EOF")
        };
        if last || !revision_end {
            return fail(
                r,
                Verdict::IncompleteCoverage,
                format!(
                    "/ByteRange covers {end} of {} bytes: the rest of the file is not signed",
                    pdf.len()
                ),
            );
        }
    }
    if sub_filter != "ETSI.CAdES.detached" && sub_filter != "adbe.pkcs7.detached" {
        return fail(
            r,
            Verdict::UnsupportedAlgorithm,
            format!("/SubFilter /{sub_filter}"),
        );
    }
    let Some(cms) = crate::cms::der_prefix(contents) else {
        return fail(r, Verdict::Malformed, "/Contents holds no DER".into());
    };
    let signed = [&pdf[..l1], &pdf[o2..end]];
    let m = d
        .get(b"M")
        .and_then(Object::as_str)
        .ok()
        .and_then(parse_pdf_date);
    r.report = verify_cms_at(cms, Some(Content::Parts(&signed)), trust, m);
    if r.report.verdict.is_valid() && !r.covers_whole_file {
        r.report.detail.push_str(&format!(
            "; covers the revision ending at byte {end}, which later revisions extend"
        ));
    }
    r
}
