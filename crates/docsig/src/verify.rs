//! Verifying CMS signatures: the typed [`Verdict`], the trust choices ([`Trust`]), and the
//! checks in the order they can fail.
//!
//! A CMS is accepted when, in this order: it parses as a SignedData with exactly one signer;
//! the signer uses SHA-256/384/512 with RSA PKCS#1 v1.5, RSA-PSS (SHA-256) or ECDSA on P-256 or
//! P-384; there are no unsigned attributes (CAdES-B-B has none, and they are not covered by the
//! signature, so they could carry anything); the content-type and message-digest attributes
//! match the content; the signer's certificate is in the CMS; its key usage, when present,
//! allows signatures (digitalSignature or nonRepudiation, RFC 5280 §4.2.1.3); the signature
//! verifies under its key; the signing-certificate-v2 attribute, when present, names that
//! certificate; and the certificate chains to an accepted anchor through the library's walk
//! ([`TrustStore::verify`]), every certificate valid at the signing time and none with a
//! critical extension the walk does not recognise (RFC 5280 §4.2). Revocation is not checked,
//! and the signing time is the signer's claim. The
//! chain's certificates may be signed with RSA PKCS#1 v1.5 or ECDSA (P-256/P-384, SHA-256/384/512:
//! this crate turns on the library's `ecdsa` feature), mixed.

use std::time::SystemTime;

use cms::cert::CertificateChoices;
use cms::content_info::CmsVersion;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::{ObjectIdentifier, OctetString};
use der::Encode;
use mynacard::cert::{Certificate, Hierarchy, KeyUsageBit, TrustStore};
use mynacard::crypto::HashAlgorithm;
use mynacard::crypto::{CertTime, PublicKey, TrustError};
use mynacard::sign::{verify_signature, SignatureScheme, ToSign};
use serde::Serialize;
use x509_cert::time::Time;

use crate::cms::{self as c, SigningCertificateV2};

/// Why a signature is or is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Verdict {
    /// The signature is valid and chains to an accepted anchor.
    Valid,
    /// The signed content is not this content (message digest or content type differs, or a
    /// PDF's signed byte ranges are not the document).
    WrongContent,
    /// The signature does not verify under the signer's certificate, or the
    /// signing-certificate attribute names another certificate.
    BadSignature,
    /// The signer's certificate is not in the signature.
    UnknownSigner,
    /// The certificate chain does not link up to an anchor (missing or wrong issuer, an issuer
    /// that is not a CA).
    ChainBroken,
    /// A certificate of the chain was not valid (expired or not yet valid) at the signing time.
    CertificateExpired,
    /// The chain ends in a root that was not accepted (the JPKI test hierarchy, the virtual
    /// card's, or any root not embedded).
    HierarchyNotTrusted,
    /// An algorithm that is not supported here.
    UnsupportedAlgorithm,
    /// The signature is not a well-formed CMS SignedData of the expected shape.
    Malformed,
    /// Unsigned attributes are present: data the signature does not cover.
    UnsignedAttributes,
    /// The PDF's `/ByteRange` does not cover the whole file except the signature itself.
    IncompleteCoverage,
    /// The signer's certificate has a key-usage extension without digitalSignature or
    /// nonRepudiation: its key is not for signatures (RFC 5280 §4.2.1.3).
    KeyUsageForbidsSigning,
    /// A certificate of the chain carries a critical extension that is not recognised
    /// (RFC 5280 §4.2; see [`mynacard::cert::RECOGNISED_EXTENSIONS`]).
    UnrecognisedCriticalExtension,
}

impl Verdict {
    /// Whether the signature is accepted.
    pub fn is_valid(self) -> bool {
        self == Verdict::Valid
    }

    /// A stable short name (the JSON name).
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::WrongContent => "wrong_content",
            Verdict::BadSignature => "bad_signature",
            Verdict::UnknownSigner => "unknown_signer",
            Verdict::ChainBroken => "chain_broken",
            Verdict::CertificateExpired => "certificate_expired",
            Verdict::HierarchyNotTrusted => "hierarchy_not_trusted",
            Verdict::UnsupportedAlgorithm => "unsupported_algorithm",
            Verdict::Malformed => "malformed",
            Verdict::UnsignedAttributes => "unsigned_attributes",
            Verdict::IncompleteCoverage => "incomplete_coverage",
            Verdict::KeyUsageForbidsSigning => "key_usage_forbids_signing",
            Verdict::UnrecognisedCriticalExtension => "unrecognised_critical_extension",
        }
    }
}

/// Which anchors are accepted. The J-LIS production roots always are.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// Also accept the `O=JPKI-TEST` hierarchy of test cards.
    pub accept_test_hierarchy: bool,
    /// Further accepted anchors (for example the virtual card's two roots), reported as
    /// [`Hierarchy::Custom`].
    pub extra_anchors: Vec<Certificate>,
    /// Check validity at this time instead of the signing time the signature claims (or now,
    /// when it claims none).
    pub at: Option<SystemTime>,
}

/// The outcome for one signature.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The verdict.
    pub verdict: Verdict,
    /// What exactly failed, or a summary of what was accepted.
    pub detail: String,
    /// The signer's subject, when the certificate was found.
    pub signer: Option<String>,
    /// The signer certificate's serial number (hex), when found.
    pub serial: Option<String>,
    /// The claimed signing time (signing-time attribute, or the PDF's `/M`).
    pub signing_time: Option<CertTime>,
    /// The hierarchy the chain ends in, when it links up to a known anchor.
    pub hierarchy: Option<Hierarchy>,
}

impl Report {
    pub(crate) fn fail(verdict: Verdict, detail: impl Into<String>) -> Self {
        Report {
            verdict,
            detail: detail.into(),
            signer: None,
            serial: None,
            signing_time: None,
            hierarchy: None,
        }
    }
}

/// Verifies a CMS SignedData (DER or PEM). `content` is the detached content; for an attached
/// CMS it may be left out, and when given must equal the content inside.
pub fn verify_cms(cms: &[u8], content: Option<&[u8]>, trust: &Trust) -> Report {
    verify_cms_at(cms, content.map(Content::Bytes), trust, None)
}

/// The signed content as the checks see it: whole, in pieces (a PDF's two byte ranges, hashed
/// in place without a copy), or only its digest (content hashed as it was read).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Content<'a> {
    /// The content.
    Bytes(&'a [u8]),
    /// The content is these slices, one after the other.
    Parts(&'a [&'a [u8]]),
    /// Only the digest, of this algorithm, is known.
    Digest(HashAlgorithm, &'a [u8]),
}

impl Content<'_> {
    /// The digest of the content with `hash`; `None` when only another digest is known.
    fn digest(&self, hash: HashAlgorithm) -> Option<Vec<u8>> {
        match self {
            Content::Bytes(b) => Some(hash.digest(b)),
            Content::Parts(parts) => Some(digest_parts(hash, parts)),
            Content::Digest(h, d) => (*h == hash).then(|| d.to_vec()),
        }
    }
}

/// The digest of `parts` one after the other, fed to the hash piece by piece.
pub(crate) fn digest_parts(hash: HashAlgorithm, parts: &[&[u8]]) -> Vec<u8> {
    fn run<D: sha2::Digest>(parts: &[&[u8]]) -> Vec<u8> {
        let mut d = D::new();
        for p in parts {
            d.update(p);
        }
        d.finalize().to_vec()
    }
    match hash {
        HashAlgorithm::Sha256 => run::<sha2::Sha256>(parts),
        HashAlgorithm::Sha384 => run::<sha2::Sha384>(parts),
        HashAlgorithm::Sha512 => run::<sha2::Sha512>(parts),
    }
}

/// As [`verify_cms`], with a claimed signing time from outside the CMS (a PDF's `/M`), used
/// when the CMS has no signing-time attribute.
pub(crate) fn verify_cms_at(
    cms: &[u8],
    content: Option<Content<'_>>,
    trust: &Trust,
    outside_time: Option<SystemTime>,
) -> Report {
    let sd = match c::parse(cms) {
        Ok(sd) => sd,
        Err(e) => return Report::fail(Verdict::Malformed, e.to_string()),
    };
    let mut checked = match check_signed_data(&sd, content) {
        Ok(x) => x,
        Err(r) => return r,
    };
    let claimed = checked.signing_time.or(outside_time);
    checked.report.signing_time = claimed.map(CertTime::from_system_time);
    let at = trust.at.or(claimed).unwrap_or_else(SystemTime::now);
    chain(&checked.cert, &checked.others, trust, at, checked.report)
}

/// What the cryptographic checks found.
pub(crate) struct Checked {
    pub cert: Certificate,
    pub others: Vec<Certificate>,
    pub signing_time: Option<SystemTime>,
    pub report: Report,
}

/// Every check except the chain: the signature is this content's, by the certificate in it.
pub(crate) fn check_signed_data(
    sd: &SignedData,
    content: Option<Content<'_>>,
) -> Result<Checked, Report> {
    let fail = |v: Verdict, d: String| Err(Report::fail(v, d));
    let signers: Vec<&SignerInfo> = sd.signer_infos.0.iter().collect();
    let si = match signers.as_slice() {
        [one] => *one,
        [] => return fail(Verdict::Malformed, "no signer".into()),
        more => {
            return fail(
                Verdict::Malformed,
                format!("{} signers; exactly one is supported", more.len()),
            )
        }
    };
    if let Some(u) = &si.unsigned_attrs {
        let oids: Vec<String> = u.iter().map(|a| a.oid.to_string()).collect();
        return fail(
            Verdict::UnsignedAttributes,
            format!(
                "unsigned attributes {} are not covered by the signature; a CAdES-B-B \
                 signature has none",
                oids.join(", ")
            ),
        );
    }
    // The unsigned framing must agree with the signer: the versions RFC 5652 §5.1 and §5.3
    // give for its identifier, and its digest algorithm among the SignedData's.
    let (sd_ok, si_ok) = match si.sid {
        SignerIdentifier::IssuerAndSerialNumber(_) => (
            matches!(sd.version, CmsVersion::V1 | CmsVersion::V3),
            si.version == CmsVersion::V1,
        ),
        SignerIdentifier::SubjectKeyIdentifier(_) => {
            (sd.version == CmsVersion::V3, si.version == CmsVersion::V3)
        }
    };
    if !sd_ok || !si_ok {
        return fail(
            Verdict::Malformed,
            "the SignedData or SignerInfo version does not match the signer identifier".into(),
        );
    }
    if !sd
        .digest_algorithms
        .iter()
        .any(|a| a.oid == si.digest_alg.oid)
    {
        return fail(
            Verdict::Malformed,
            "the signer's digest algorithm is not among the SignedData's".into(),
        );
    }
    let hash = match digest_alg(&si.digest_alg.oid) {
        Some(h) => h,
        None => {
            return fail(
                Verdict::UnsupportedAlgorithm,
                format!("digest algorithm {}", si.digest_alg.oid),
            )
        }
    };
    // The content: detached, attached, or both (then they must agree).
    let attached = match &sd.encap_content_info.econtent {
        Some(any) => match any.decode_as::<OctetString>() {
            Ok(o) => Some(o.as_bytes().to_vec()),
            Err(e) => return fail(Verdict::Malformed, format!("attached content: {e}")),
        },
        None => None,
    };
    let unknown_digest = || {
        Report::fail(
            Verdict::UnsupportedAlgorithm,
            format!(
                "the signer's digest algorithm {} is not the one the content was hashed with",
                si.digest_alg.oid
            ),
        )
    };
    let content_digest: Vec<u8> = match (content, attached) {
        (Some(d), Some(a)) => {
            let given = d.digest(hash).ok_or_else(unknown_digest)?;
            if given != hash.digest(&a) {
                return fail(
                    Verdict::WrongContent,
                    "the content given differs from the content inside the signature".into(),
                );
            }
            given
        }
        (Some(d), None) => d.digest(hash).ok_or_else(unknown_digest)?,
        (None, Some(a)) => hash.digest(&a),
        (None, None) => {
            return fail(
                Verdict::WrongContent,
                "the signature is detached: give the signed content".into(),
            )
        }
    };
    let attrs = match &si.signed_attrs {
        Some(a) => a,
        None => {
            return fail(
                Verdict::Malformed,
                "no signed attributes (CAdES requires them)".into(),
            )
        }
    };
    let one = |oid: ObjectIdentifier| -> Result<Option<der::Any>, Report> {
        let found: Vec<_> = attrs.iter().filter(|a| a.oid == oid).collect();
        match found.as_slice() {
            [] => Ok(None),
            [a] if a.values.len() == 1 => Ok(a.values.iter().next().cloned()),
            _ => Err(Report::fail(
                Verdict::Malformed,
                format!("attribute {oid} must appear once with one value"),
            )),
        }
    };
    let ct = match one(c::ID_CONTENT_TYPE)? {
        Some(v) => v.decode_as::<ObjectIdentifier>().ok(),
        None => None,
    };
    if ct != Some(sd.encap_content_info.econtent_type) {
        return fail(
            Verdict::WrongContent,
            "the content-type attribute is missing or differs from the content's type".into(),
        );
    }
    let md = match one(c::ID_MESSAGE_DIGEST)? {
        Some(v) => v
            .decode_as::<OctetString>()
            .map(|o| o.as_bytes().to_vec())
            .ok(),
        None => None,
    };
    let Some(md) = md else {
        return fail(Verdict::Malformed, "no message-digest attribute".into());
    };
    if md != content_digest {
        return fail(
            Verdict::WrongContent,
            "the message digest does not match the content".into(),
        );
    }
    let signing_time = match one(c::ID_SIGNING_TIME)? {
        Some(v) => match v.decode_as::<Time>() {
            Ok(t) => Some(t.to_system_time()),
            Err(e) => return fail(Verdict::Malformed, format!("signing-time: {e}")),
        },
        None => None,
    };
    // The certificates.
    let mut certs = Vec::new();
    if let Some(set) = &sd.certificates {
        for choice in set.0.iter() {
            if let CertificateChoices::Certificate(x) = choice {
                match x
                    .to_der()
                    .map_err(|e| e.to_string())
                    .and_then(|d| Certificate::from_der(&d))
                {
                    Ok(c) => certs.push(c),
                    Err(e) => return fail(Verdict::Malformed, format!("certificate: {e}")),
                }
            }
        }
    }
    let signer_pos = certs.iter().position(|cert| matches_sid(&si.sid, cert));
    let Some(pos) = signer_pos else {
        return fail(
            Verdict::UnknownSigner,
            "the signer's certificate is not in the signature".into(),
        );
    };
    let cert = certs.remove(pos);
    let mut report = Report::fail(Verdict::Valid, String::new());
    report.signer = Some(cert.subject());
    report.serial = Some(cert.serial_hex());
    // RFC 5280 §4.2.1.3: with a key-usage extension, a signature needs digitalSignature or
    // nonRepudiation (contentCommitment). Without the extension any use is allowed.
    match cert.key_usage() {
        Ok(None) => {}
        Ok(Some(bits))
            if bits.contains(&KeyUsageBit::DigitalSignature)
                || bits.contains(&KeyUsageBit::NonRepudiation) => {}
        Ok(Some(bits)) => {
            let names: Vec<String> = bits.iter().map(ToString::to_string).collect();
            return Err(Report {
                verdict: Verdict::KeyUsageForbidsSigning,
                detail: format!(
                    "the signer's key usage is {{{}}}: neither digitalSignature nor \
                     nonRepudiation, so its key may not sign",
                    names.join(", ")
                ),
                ..report
            });
        }
        Err(e) => {
            return Err(Report {
                verdict: Verdict::Malformed,
                detail: format!("the signer's certificate: {e}"),
                ..report
            })
        }
    }
    let signed = match c::signed_attributes_der(attrs) {
        Ok(d) => d,
        Err(e) => return fail(Verdict::Malformed, e.to_string()),
    };
    if let Err((v, d)) = check_signature(
        &cert,
        &si.signature_algorithm,
        hash,
        &signed,
        si.signature.as_bytes(),
    ) {
        return Err(Report {
            verdict: v,
            detail: d,
            ..report
        });
    }
    if let Some(v) = one(c::ID_SIGNING_CERTIFICATE_V2)? {
        let ok = match v.decode_as::<SigningCertificateV2>() {
            Ok(sc) => match sc.certs.first() {
                Some(id) => ess_matches(id, &cert),
                None => false,
            },
            Err(_) => false,
        };
        if !ok {
            return Err(Report {
                verdict: Verdict::BadSignature,
                detail: "the signing-certificate-v2 attribute names another certificate".into(),
                ..report
            });
        }
    }
    Ok(Checked {
        cert,
        others: certs,
        signing_time,
        report,
    })
}

fn ess_matches(id: &c::EssCertIdV2, cert: &Certificate) -> bool {
    let h = match &id.hash_algorithm {
        None => HashAlgorithm::Sha256,
        Some(a) => match digest_alg(&a.oid) {
            Some(h) => h,
            None => return false,
        },
    };
    id.cert_hash.as_bytes() == h.digest(cert.der()).as_slice()
}

fn matches_sid(sid: &SignerIdentifier, cert: &Certificate) -> bool {
    let tbs = cert.x509().tbs_certificate();
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => {
            &isn.issuer == tbs.issuer() && &isn.serial_number == tbs.serial_number()
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            matches!(
                tbs.get_extension::<x509_cert::ext::pkix::SubjectKeyIdentifier>(),
                Ok(Some((_, s))) if &s == ski
            )
        }
    }
}

fn digest_alg(oid: &ObjectIdentifier) -> Option<HashAlgorithm> {
    match *oid {
        c::ID_SHA256 => Some(HashAlgorithm::Sha256),
        c::ID_SHA384 => Some(HashAlgorithm::Sha384),
        c::ID_SHA512 => Some(HashAlgorithm::Sha512),
        _ => None,
    }
}

const SHA256_WITH_RSA: &str = "1.2.840.113549.1.1.11";
const SHA384_WITH_RSA: &str = "1.2.840.113549.1.1.12";
const SHA512_WITH_RSA: &str = "1.2.840.113549.1.1.13";
const RSA_PSS: &str = "1.2.840.113549.1.1.10";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
const ECDSA_SHA384: &str = "1.2.840.10045.4.3.3";
const ECDSA_SHA512: &str = "1.2.840.10045.4.3.4";
const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";

/// Checks `signature` over `signed` (hashed with `hash`) under the certificate's key.
fn check_signature(
    cert: &Certificate,
    sig_alg: &spki::AlgorithmIdentifierOwned,
    hash: HashAlgorithm,
    signed: &[u8],
    signature: &[u8],
) -> Result<(), (Verdict, String)> {
    let key = cert
        .public_key()
        .map_err(|e| (Verdict::UnsupportedAlgorithm, format!("signer key: {e}")))?;
    let alg = sig_alg.oid.to_string();
    let digest = hash.digest(signed);
    let bad = |e: String| (Verdict::BadSignature, e);
    match (&key, alg.as_str()) {
        (PublicKey::Rsa(_), a)
            if a == c::RSA_ENCRYPTION.to_string()
                || (a == SHA256_WITH_RSA && hash == HashAlgorithm::Sha256)
                || (a == SHA384_WITH_RSA && hash == HashAlgorithm::Sha384)
                || (a == SHA512_WITH_RSA && hash == HashAlgorithm::Sha512) =>
        {
            verify_signature(
                &key,
                SignatureScheme::Pkcs1v15(hash),
                ToSign::Digest(&digest),
                signature,
            )
            .map_err(|e| bad(e.to_string()))
        }
        (PublicKey::Rsa(rsa_key), RSA_PSS) if hash == HashAlgorithm::Sha256 => {
            let salt = pss_sha256_salt(sig_alg).map_err(|e| (Verdict::UnsupportedAlgorithm, e))?;
            if salt == mynacard::crypto::PSS_SALT_LEN {
                // The card's own parameters: the library's check.
                verify_signature(
                    &key,
                    SignatureScheme::PssSha256Digest,
                    ToSign::Digest(&digest),
                    signature,
                )
                .map_err(|e| bad(e.to_string()))
            } else {
                // Another signer's declared salt length: checked exactly as declared.
                rsa_key
                    .verify_pss_sha256_with_salt(&digest, signature, salt)
                    .map_err(bad)
            }
        }
        (PublicKey::Ec { curve, point }, a)
            if [EC_PUBLIC_KEY, ECDSA_SHA256, ECDSA_SHA384, ECDSA_SHA512].contains(&a) =>
        {
            verify_ecdsa(curve, point, &digest, signature)
        }
        (k, a) => Err((
            Verdict::UnsupportedAlgorithm,
            format!("signature algorithm {a} with a {k} key"),
        )),
    }
}

/// The salt length of an RSASSA-PSS `AlgorithmIdentifier` (RFC 4055 §3.1, RFC 4056) whose hash
/// and mask generation are SHA-256 and MGF1-SHA-256 with the trailer field 1, the only PSS
/// parameters checked here. Absent parameters mean SHA-1, which is refused.
fn pss_sha256_salt(sig_alg: &spki::AlgorithmIdentifierOwned) -> Result<usize, String> {
    use der::Decode;
    let params = sig_alg
        .parameters
        .as_ref()
        .ok_or("RSASSA-PSS without parameters means SHA-1, which is not supported")?;
    let der = params.to_der().map_err(|e| e.to_string())?;
    let p = rsa::pkcs1::RsaPssParams::<der::Any>::from_der(&der)
        .map_err(|e| format!("malformed RSASSA-PSS parameters: {e}"))?;
    let mgf1 = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.8");
    if p.hash.oid != c::ID_SHA256
        || p.mask_gen.oid != mgf1
        || p.mask_gen.parameters.as_ref().map(|h| h.oid) != Some(c::ID_SHA256)
        || p.trailer_field != rsa::pkcs1::TrailerField::BC
    {
        return Err(format!(
            "RSASSA-PSS with hash {}, mask generation {}: only SHA-256 with MGF1-SHA-256 is supported",
            p.hash.oid, p.mask_gen.oid
        ));
    }
    Ok(usize::from(p.salt_len))
}

/// ECDSA verification of a prehashed `digest` with a DER (`Ecdsa-Sig-Value`) signature.
pub fn verify_ecdsa(
    curve: &str,
    point: &[u8],
    digest: &[u8],
    signature: &[u8],
) -> Result<(), (Verdict, String)> {
    use p256::ecdsa::signature::hazmat::PrehashVerifier;
    let bad = |e: String| (Verdict::BadSignature, e);
    match curve {
        P256 => {
            let k = p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map_err(|e| bad(format!("P-256 key: {e}")))?;
            let s = p256::ecdsa::Signature::from_der(signature)
                .map_err(|e| bad(format!("P-256 signature: {e}")))?;
            k.verify_prehash(digest, &s)
                .map_err(|_| bad("ECDSA P-256 verification failed".into()))
        }
        P384 => {
            let k = p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map_err(|e| bad(format!("P-384 key: {e}")))?;
            let s = p384::ecdsa::Signature::from_der(signature)
                .map_err(|e| bad(format!("P-384 signature: {e}")))?;
            k.verify_prehash(digest, &s)
                .map_err(|_| bad("ECDSA P-384 verification failed".into()))
        }
        other => Err((
            Verdict::UnsupportedAlgorithm,
            format!("elliptic curve {other}"),
        )),
    }
}

/// The chain of `cert` to an anchor at `at`, with the certificates of the signature as
/// intermediates; fills the report's verdict.
fn chain(
    cert: &Certificate,
    others: &[Certificate],
    trust: &Trust,
    at: SystemTime,
    mut report: Report,
) -> Report {
    let mut store = TrustStore::production_and_test();
    for a in &trust.extra_anchors {
        store = store.with_custom_anchor(a.clone());
    }
    let accepted = |h: Hierarchy| match h {
        Hierarchy::Production | Hierarchy::Custom => true,
        Hierarchy::JpkiTest => trust.accept_test_hierarchy,
    };
    let set = |r: &mut Report, v: Verdict, d: String| {
        r.verdict = v;
        r.detail = d;
    };
    match store.verify(cert, others, at) {
        Ok(ch) if accepted(ch.hierarchy) => {
            report.hierarchy = Some(ch.hierarchy);
            let d = format!("valid; chain of {} up to {} ({})", ch.path.len(), ch.anchor().map(|a| a.subject()).unwrap_or_default(), ch.hierarchy);
            set(&mut report, Verdict::Valid, d);
        }
        Ok(ch) => {
            report.hierarchy = Some(ch.hierarchy);
            let d = format!("the chain ends in the {} hierarchy, which was not accepted (--accept-test-hierarchy)", ch.hierarchy);
            set(&mut report, Verdict::HierarchyNotTrusted, d);
        }
        Err(TrustError::NotValidAt { subject, not_before, not_after, at }) => set(
            &mut report,
            Verdict::CertificateExpired,
            format!("\"{subject}\" was not valid at the signing time {at} (valid {not_before} to {not_after})"),
        ),
        Err(TrustError::Unsupported { reason, .. }) => {
            set(&mut report, Verdict::UnsupportedAlgorithm, reason)
        }
        Err(e @ TrustError::UnrecognisedCriticalExtension { .. }) => {
            set(&mut report, Verdict::UnrecognisedCriticalExtension, e.to_string())
        }
        Err(e @ TrustError::UnknownIssuer { .. }) => {
            // Does it chain to a root carried in the signature itself? Then the chain is whole
            // but its root is not one we trust.
            let mut own = TrustStore::empty();
            for o in others.iter().filter(|o| o.is_self_issued()) {
                own = own.with_custom_anchor(o.clone());
            }
            match own.verify(cert, others, at) {
                Ok(ch) => set(
                    &mut report,
                    Verdict::HierarchyNotTrusted,
                    format!(
                        "the chain ends in \"{}\", which is not an accepted root",
                        ch.anchor().map(|a| a.subject()).unwrap_or_default()
                    ),
                ),
                Err(_) => set(&mut report, Verdict::ChainBroken, e.to_string()),
            }
        }
        Err(e) => set(&mut report, Verdict::ChainBroken, e.to_string()),
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Decode;

    const SHA256: &str = "300d06096086480165030402010500";
    const SHA1: &str = "300906052b0e03021a0500";

    /// An `RSASSA-PSS` algorithm identifier whose parameters are `params` (hex of the DER of
    /// the `RSASSA-PSS-params` SEQUENCE), or none.
    fn pss(params: Option<&str>) -> spki::AlgorithmIdentifierOwned {
        spki::AlgorithmIdentifierOwned {
            oid: ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10"),
            parameters: params.map(|h| der::Any::from_der(&hex::decode(h).unwrap()).unwrap()),
        }
    }

    /// DER of a TLV with a one-byte length.
    fn tlv(tag: u8, content: &str) -> String {
        format!("{tag:02x}{:02x}{content}", content.len() / 2)
    }

    /// `RSASSA-PSS-params` with these hash and MGF1 hash identifiers and an optional explicit
    /// salt length (omitted means the default, 20).
    fn params(hash: &str, mgf1_hash: &str, salt: Option<u8>) -> String {
        let mgf1 = tlv(0x30, &format!("06092a864886f70d010108{mgf1_hash}"));
        let mut body = tlv(0xA0, hash) + &tlv(0xA1, &mgf1);
        if let Some(s) = salt {
            body += &tlv(0xA2, &format!("0201{s:02x}"));
        }
        tlv(0x30, &body)
    }

    #[test]
    fn pss_sha256_salt_reads_declared_parameters_and_refuses_others() {
        // Absent parameters: SHA-1 by definition, refused.
        let e = pss_sha256_salt(&pss(None)).unwrap_err();
        assert!(e.contains("SHA-1"), "{e}");
        // An empty SEQUENCE: every field at its default (SHA-1, MGF1-SHA-1), refused.
        assert!(pss_sha256_salt(&pss(Some("3000"))).is_err());
        // SHA-1 declared explicitly, and SHA-256 with MGF1-SHA-1: refused.
        assert!(pss_sha256_salt(&pss(Some(&params(SHA1, SHA1, Some(20))))).is_err());
        let e = pss_sha256_salt(&pss(Some(&params(SHA256, SHA1, Some(32))))).unwrap_err();
        assert!(e.contains("only SHA-256 with MGF1-SHA-256"), "{e}");
        // SHA-256 with MGF1-SHA-256: the salt as declared, 20 when omitted.
        assert_eq!(
            pss_sha256_salt(&pss(Some(&params(SHA256, SHA256, Some(32))))),
            Ok(32)
        );
        assert_eq!(
            pss_sha256_salt(&pss(Some(&params(SHA256, SHA256, None)))),
            Ok(20)
        );
        assert_eq!(
            pss_sha256_salt(&pss(Some(&params(SHA256, SHA256, Some(64))))),
            Ok(64)
        );
        // Not RSASSA-PSS-params at all: a clear error, no panic.
        let e = pss_sha256_salt(&pss(Some("0500"))).unwrap_err();
        assert!(e.contains("malformed"), "{e}");
    }
}
