//! CMS SignedData (RFC 5652) with the CAdES-B-B signed attributes (ETSI EN 319 122-1 §5.1,
//! §6.3): content-type, message-digest, signing-time (not for PAdES, ETSI EN 319 142-1 §5.1),
//! and signing-certificate-v2 (RFC 5035).
//!
//! Encoding and parsing go through the `cms`, `der` and `x509-cert` crates; nothing here is
//! hand-written ASN.1 except the two small ESS types, which `cms` does not define.

use std::time::SystemTime;

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Decode, Encode, Sequence};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::attr::{Attribute, Attributes};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;

use crate::Error;

/// `id-data`.
pub const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
/// `id-signedData`.
pub const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// `id-contentType`.
pub const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
/// `id-messageDigest`.
pub const ID_MESSAGE_DIGEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
/// `id-signingTime`.
pub const ID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
/// `id-aa-signingCertificateV2` (RFC 5035).
pub const ID_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
/// `id-sha256`.
pub const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
/// `id-sha384`.
pub const ID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
/// `id-sha512`.
pub const ID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
/// `rsaEncryption`, the signature algorithm OpenSSL and most CMS signers name for PKCS#1 v1.5.
pub const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// RFC 5035 `ESSCertIDv2`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct EssCertIdV2 {
    /// The hash algorithm; absent means SHA-256 (the DEFAULT).
    #[asn1(optional = "true")]
    pub hash_algorithm: Option<AlgorithmIdentifierOwned>,
    /// The hash of the whole certificate.
    pub cert_hash: OctetString,
    /// The issuer and serial number of the certificate.
    #[asn1(optional = "true")]
    pub issuer_serial: Option<IssuerSerial>,
}

/// RFC 5035 `IssuerSerial`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct IssuerSerial {
    /// The issuer, as general names.
    pub issuer: Vec<GeneralName>,
    /// The serial number.
    pub serial_number: SerialNumber,
}

/// RFC 5035 `SigningCertificateV2` (without policies, which CAdES-B-B does not use).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SigningCertificateV2 {
    /// The certificates; the first identifies the signer's.
    pub certs: Vec<EssCertIdV2>,
}

/// Attached (the content inside the CMS) or detached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Form {
    /// The content travels separately (the default, as for PAdES).
    #[default]
    Detached,
    /// The content is inside the SignedData.
    Attached,
}

fn attr<T: Encode>(oid: ObjectIdentifier, value: &T) -> Result<Attribute, Error> {
    let any = Any::from_der(&value.to_der().map_err(cms_err)?).map_err(cms_err)?;
    Ok(Attribute {
        oid,
        values: SetOfVec::try_from(vec![any]).map_err(cms_err)?,
    })
}

pub(crate) fn cms_err(e: der::Error) -> Error {
    Error::Cms(e.to_string())
}

/// The signed attributes for a SHA-256 `content_digest`, signed by `cert`: content-type
/// (`id-data`), message-digest, signing-time when `signing_time` is given, and
/// signing-certificate-v2 naming `cert` by its SHA-256 hash, issuer and serial number.
pub fn signed_attributes(
    content_digest: &[u8],
    cert: &x509_cert::Certificate,
    signing_time: Option<SystemTime>,
) -> Result<Attributes, Error> {
    let mut attrs = vec![
        attr(ID_CONTENT_TYPE, &ID_DATA)?,
        attr(
            ID_MESSAGE_DIGEST,
            &OctetString::new(content_digest.to_vec()).map_err(cms_err)?,
        )?,
    ];
    if let Some(t) = signing_time {
        // RFC 5652 §11.3: UTCTime up to 2049, GeneralizedTime from 2050.
        let time = match der::asn1::UtcTime::from_system_time(t) {
            Ok(u) => Time::UtcTime(u),
            Err(_) => {
                Time::GeneralTime(der::asn1::GeneralizedTime::from_system_time(t).map_err(cms_err)?)
            }
        };
        attrs.push(attr(ID_SIGNING_TIME, &time)?);
    }
    let der = cert.to_der().map_err(cms_err)?;
    let ess = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            hash_algorithm: None,
            cert_hash: OctetString::new(Sha256::digest(&der).to_vec()).map_err(cms_err)?,
            issuer_serial: Some(IssuerSerial {
                issuer: vec![GeneralName::DirectoryName(
                    cert.tbs_certificate().issuer().clone(),
                )],
                serial_number: cert.tbs_certificate().serial_number().clone(),
            }),
        }],
    };
    attrs.push(attr(ID_SIGNING_CERTIFICATE_V2, &ess)?);
    SetOfVec::try_from(attrs).map_err(cms_err)
}

/// The bytes the signature covers: the DER of the signed attributes as a SET (RFC 5652 §5.4).
pub fn signed_attributes_der(attrs: &Attributes) -> Result<Vec<u8>, Error> {
    attrs.to_der().map_err(cms_err)
}

fn alg(oid: ObjectIdentifier, null: bool) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid,
        parameters: null.then(|| Any::from(der::asn1::Null)),
    }
}

/// Assembles a ContentInfo with a SignedData: one signer (`cert`, named by issuer and serial
/// number), SHA-256, an RSA PKCS#1 v1.5 `signature` over the DER of `attrs`, and the
/// certificates `cert` and `ca`. `content` is put inside when given (attached).
pub fn assemble(
    content: Option<&[u8]>,
    attrs: Attributes,
    cert: &x509_cert::Certificate,
    ca: Option<&x509_cert::Certificate>,
    signature: &[u8],
) -> Result<Vec<u8>, Error> {
    let econtent = match content {
        Some(c) => Some(
            Any::encode_from(&OctetString::new(c.to_vec()).map_err(cms_err)?).map_err(cms_err)?,
        ),
        None => None,
    };
    let mut certs = vec![CertificateChoices::Certificate(cert.clone())];
    if let Some(ca) = ca {
        certs.push(CertificateChoices::Certificate(ca.clone()));
    }
    let signer = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: cert.tbs_certificate().issuer().clone(),
            serial_number: cert.tbs_certificate().serial_number().clone(),
        }),
        digest_alg: alg(ID_SHA256, false),
        signed_attrs: Some(attrs),
        signature_algorithm: alg(RSA_ENCRYPTION, true),
        signature: OctetString::new(signature.to_vec()).map_err(cms_err)?,
        unsigned_attrs: None,
    };
    let sd = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![alg(ID_SHA256, false)]).map_err(cms_err)?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: ID_DATA,
            econtent,
        },
        certificates: Some(CertificateSet::try_from(certs).map_err(cms_err)?),
        crls: None,
        signer_infos: SignerInfos::try_from(vec![signer]).map_err(cms_err)?,
    };
    ContentInfo {
        content_type: ID_SIGNED_DATA,
        content: Any::encode_from(&sd).map_err(cms_err)?,
    }
    .to_der()
    .map_err(cms_err)
}

/// Parses a ContentInfo holding a SignedData, from DER or PEM (`CMS` or `PKCS7` labels).
/// Trailing bytes after the DER are refused; see [`der_prefix`] for a padded buffer.
pub fn parse(bytes: &[u8]) -> Result<SignedData, Error> {
    let der = pem_or_der(bytes)?;
    let ci = ContentInfo::from_der(&der).map_err(cms_err)?;
    if ci.content_type != ID_SIGNED_DATA {
        return Err(Error::Cms(format!(
            "content type {} is not signedData",
            ci.content_type
        )));
    }
    ci.content.decode_as::<SignedData>().map_err(cms_err)
}

fn pem_or_der(bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let trimmed = bytes.trim_ascii_start();
    if trimmed.starts_with(b"-----BEGIN") {
        let text =
            std::str::from_utf8(trimmed).map_err(|_| Error::Cms("PEM is not UTF-8".into()))?;
        let mut body = String::new();
        let mut inside = false;
        for line in text.lines() {
            let l = line.trim();
            if l.starts_with("-----BEGIN") {
                inside = true;
            } else if l.starts_with("-----END") {
                break;
            } else if inside {
                body.push_str(l);
            }
        }
        return base64_decode(&body).ok_or_else(|| Error::Cms("bad base64 in PEM".into()));
    }
    Ok(bytes.to_vec())
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    // der's PEM support needs the exact label; CMS files come labelled CMS or PKCS7, so decode
    // the body here (a few lines; no crate needed for it).
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The length of the DER element at the start of `bytes` (header and value), for a buffer
/// padded after it (a PDF's `/Contents` is zero-padded).
pub fn der_prefix(bytes: &[u8]) -> Option<&[u8]> {
    let (_, header, len) = mynacard::tlv::header(bytes).ok()?;
    bytes.get(..header.checked_add(len)?)
}

/// A DER length field for `n`.
fn der_length(n: u64) -> Vec<u8> {
    if n < 0x80 {
        return vec![n as u8];
    }
    let bytes: Vec<u8> = n
        .to_be_bytes()
        .into_iter()
        .skip_while(|&b| b == 0)
        .collect();
    let mut v = vec![0x80 | bytes.len() as u8];
    v.extend_from_slice(&bytes);
    v
}

/// A DER header: `tag` and the length `n`.
fn der_header(tag: u8, n: u64) -> Vec<u8> {
    let mut v = vec![tag];
    v.extend_from_slice(&der_length(n));
    v
}

/// One TLV at the start of `b`: `(tag, header length, value length)`, refusing a value that
/// runs past `b`.
fn tlv_at(b: &[u8]) -> Result<(u32, usize, usize), Error> {
    let bad = || Error::Cms("not the DER of a detached SignedData".into());
    let (tag, h, len) = mynacard::tlv::header(b).map_err(|_| bad())?;
    if h.checked_add(len).is_none_or(|end| end > b.len()) {
        return Err(bad());
    }
    Ok((tag, h, len))
}

/// The bytes around the content of the attached form of a detached ContentInfo `detached`
/// (as [`assemble`] makes it without content) for a content of `content_len` bytes: the
/// attached DER is `prefix`, the content, then `suffix`. This lets a signer stream a content
/// of any size into its output without holding it: the signed attributes cover only the
/// content's digest, so the same signature serves both forms (RFC 5652 §5.2: the
/// `eContent` is an OCTET STRING inside `[0] EXPLICIT`).
pub fn attached_parts(detached: &[u8], content_len: u64) -> Result<(Vec<u8>, Vec<u8>), Error> {
    let bad = |what: &str| Error::Cms(format!("not a detached SignedData: {what}"));
    // ContentInfo ::= SEQUENCE { contentType OID, content [0] EXPLICIT SignedData }
    let (t, h, len) = tlv_at(detached)?;
    if t != 0x30 || h + len != detached.len() {
        return Err(bad("ContentInfo"));
    }
    let ci = &detached[h..];
    let (t, h_oid, l_oid) = tlv_at(ci)?;
    if t != 0x06 {
        return Err(bad("content type"));
    }
    let oid = &ci[..h_oid + l_oid];
    let (t, h0, l0) = tlv_at(&ci[oid.len()..])?;
    if t != 0xA0 {
        return Err(bad("[0]"));
    }
    let sd_tlv = &ci[oid.len() + h0..oid.len() + h0 + l0];
    // SignedData ::= SEQUENCE { version, digestAlgorithms SET, encapContentInfo, ... }
    let (t, hs, ls) = tlv_at(sd_tlv)?;
    if t != 0x30 || hs + ls != sd_tlv.len() {
        return Err(bad("SignedData"));
    }
    let sd = &sd_tlv[hs..];
    let (t, hv, lv) = tlv_at(sd)?;
    if t != 0x02 {
        return Err(bad("version"));
    }
    let after_version = hv + lv;
    let (t, hd, ld) = tlv_at(&sd[after_version..])?;
    if t != 0x31 {
        return Err(bad("digestAlgorithms"));
    }
    let eci_at = after_version + hd + ld;
    let (t, he, le) = tlv_at(&sd[eci_at..])?;
    let eci = &sd[eci_at + he..eci_at + he + le];
    let (t2, ho, lo) = tlv_at(eci)?;
    if t != 0x30 || t2 != 0x06 || ho + lo != eci.len() {
        return Err(bad("the content is already inside"));
    }
    let rest = &sd[eci_at + he + le..];
    // The new encapContentInfo: its OID, then [0] { OCTET STRING content }.
    let octets = der_header(0x04, content_len);
    let explicit_len = octets.len() as u64 + content_len;
    let explicit = der_header(0xA0, explicit_len);
    let eci_len = eci.len() as u64 + explicit.len() as u64 + explicit_len;
    let eci_head = der_header(0x30, eci_len);
    let sd_len = (eci_at as u64) + eci_head.len() as u64 + eci_len + rest.len() as u64;
    let sd_head = der_header(0x30, sd_len);
    let a0_len = sd_head.len() as u64 + sd_len;
    let a0_head = der_header(0xA0, a0_len);
    let ci_len = oid.len() as u64 + a0_head.len() as u64 + a0_len;
    let mut prefix = der_header(0x30, ci_len);
    prefix.extend_from_slice(oid);
    prefix.extend_from_slice(&a0_head);
    prefix.extend_from_slice(&sd_head);
    prefix.extend_from_slice(&sd[..eci_at]);
    prefix.extend_from_slice(&eci_head);
    prefix.extend_from_slice(eci);
    prefix.extend_from_slice(&explicit);
    prefix.extend_from_slice(&octets);
    Ok((prefix, rest.to_vec()))
}
