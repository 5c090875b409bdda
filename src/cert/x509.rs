//! A parsed X.509 certificate and the fields a report shows.

use std::fmt;
use std::time::SystemTime;

use der::asn1::Utf8StringRef;
use der::{Decode, Encode};
use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage as X509KeyUsage, KeyUsages, SubjectAltName};

use crate::applets::Fid;
use crate::crypto::{CertTime, HashAlgorithm, PublicKey, RsaKey};
use crate::error::{Error, Result};

/// A bit of the key-usage extension (RFC 5280 §4.2.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyUsageBit {
    /// digitalSignature
    DigitalSignature,
    /// nonRepudiation (contentCommitment)
    NonRepudiation,
    /// keyEncipherment
    KeyEncipherment,
    /// dataEncipherment
    DataEncipherment,
    /// keyAgreement
    KeyAgreement,
    /// keyCertSign
    KeyCertSign,
    /// cRLSign
    CrlSign,
    /// encipherOnly
    EncipherOnly,
    /// decipherOnly
    DecipherOnly,
}

impl fmt::Display for KeyUsageBit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyUsageBit::DigitalSignature => "digitalSignature",
            KeyUsageBit::NonRepudiation => "nonRepudiation",
            KeyUsageBit::KeyEncipherment => "keyEncipherment",
            KeyUsageBit::DataEncipherment => "dataEncipherment",
            KeyUsageBit::KeyAgreement => "keyAgreement",
            KeyUsageBit::KeyCertSign => "keyCertSign",
            KeyUsageBit::CrlSign => "cRLSign",
            KeyUsageBit::EncipherOnly => "encipherOnly",
            KeyUsageBit::DecipherOnly => "decipherOnly",
        })
    }
}

/// One `otherName` of the subject alternative name. On the signature certificate these carry
/// the holder's name, birth date, sex and address as UTF-8 strings under JPKI's OID arc
/// `1.2.392.200149.8.5.5` (seen on the test card).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OtherName {
    /// The type OID, dotted.
    pub oid: String,
    /// What JPKI uses the OID for, where known.
    pub meaning: Option<&'static str>,
    /// The value, if it is a UTF-8 string.
    pub value: Option<String>,
}

/// Meanings of the JPKI `otherName` OIDs, as the test card's signature certificate uses them.
fn jpki_other_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "1.2.392.200149.8.5.5.1" => "name",
        "1.2.392.200149.8.5.5.2" => "name (alternative characters)",
        "1.2.392.200149.8.5.5.3" => "sex",
        "1.2.392.200149.8.5.5.4" => "date of birth",
        "1.2.392.200149.8.5.5.5" => "address",
        "1.2.392.200149.8.5.5.6" => "address (alternative characters)",
        _ => return None,
    })
}

/// A parsed X.509 certificate, with its DER.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    x509: x509_cert::Certificate,
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}
impl Eq for Certificate {}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject())
            .field("serial", &self.serial_hex())
            .finish_non_exhaustive()
    }
}

impl Certificate {
    /// Parses one DER certificate. Bytes after the certificate are refused (a card file's
    /// filler is trimmed by the reader before this). The error says why it did not parse.
    pub fn from_der(der: &[u8]) -> Result<Self, String> {
        if der.is_empty() {
            return Err("empty".into());
        }
        if der.iter().all(|&b| b == 0xFF || b == 0x00) {
            return Err("only filler bytes, no certificate".into());
        }
        let x509 =
            x509_cert::Certificate::from_der(der).map_err(|e| format!("not DER X.509: {e}"))?;
        let cert = Certificate {
            der: der.to_vec(),
            x509,
        };
        // The raw TBS and the signature must be reachable for chain checks.
        tbs_bytes(&cert.der).ok_or("no TBSCertificate inside")?;
        Ok(cert)
    }

    /// Parses a certificate read from EF `fid`, reporting a failure as [`Error::Parse`] with
    /// the EF.
    pub fn from_card(fid: Fid, der: &[u8]) -> Result<Self> {
        Self::from_der(der).map_err(|reason| Error::Parse {
            fid,
            what: "certificate",
            reason,
        })
    }

    /// The DER bytes.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// PEM text (`-----BEGIN CERTIFICATE-----`, LF line endings).
    pub fn to_pem(&self) -> String {
        // Encoding a byte string as PEM cannot fail for a certificate-sized input; fall back to
        // an empty string rather than panic.
        der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, &self.der)
            .unwrap_or_default()
    }

    /// The parsed certificate, for anything this type does not expose.
    pub fn x509(&self) -> &x509_cert::Certificate {
        &self.x509
    }

    /// The subject as an RFC 4514 string.
    pub fn subject(&self) -> String {
        self.x509.tbs_certificate().subject().to_string()
    }

    /// The issuer as an RFC 4514 string.
    pub fn issuer(&self) -> String {
        self.x509.tbs_certificate().issuer().to_string()
    }

    /// Whether subject and issuer are the same name (a root, or a self-issued certificate).
    pub fn is_self_issued(&self) -> bool {
        self.subject_der() == self.issuer_der()
    }

    pub(super) fn subject_der(&self) -> Vec<u8> {
        self.x509
            .tbs_certificate()
            .subject()
            .to_der()
            .unwrap_or_default()
    }

    pub(super) fn issuer_der(&self) -> Vec<u8> {
        self.x509
            .tbs_certificate()
            .issuer()
            .to_der()
            .unwrap_or_default()
    }

    /// The serial number as upper-case hex.
    pub fn serial_hex(&self) -> String {
        hex::encode_upper(self.x509.tbs_certificate().serial_number().as_bytes())
    }

    /// Start of validity.
    pub fn not_before(&self) -> CertTime {
        CertTime(
            self.x509
                .tbs_certificate()
                .validity()
                .not_before
                .to_unix_duration()
                .as_secs(),
        )
    }

    /// End of validity.
    pub fn not_after(&self) -> CertTime {
        CertTime(
            self.x509
                .tbs_certificate()
                .validity()
                .not_after
                .to_unix_duration()
                .as_secs(),
        )
    }

    /// Whether `at` lies within the validity period (both ends included).
    pub fn is_valid_at(&self, at: SystemTime) -> bool {
        let t = CertTime::from_system_time(at);
        self.not_before() <= t && t <= self.not_after()
    }

    /// The key-usage bits, or `None` if the certificate has no key-usage extension.
    pub fn key_usage(&self) -> Result<Option<Vec<KeyUsageBit>>, String> {
        let Some((_, ku)) = self
            .x509
            .tbs_certificate()
            .get_extension::<X509KeyUsage>()
            .map_err(|e| format!("key usage: {e}"))?
        else {
            return Ok(None);
        };
        let map = [
            (KeyUsages::DigitalSignature, KeyUsageBit::DigitalSignature),
            (KeyUsages::NonRepudiation, KeyUsageBit::NonRepudiation),
            (KeyUsages::KeyEncipherment, KeyUsageBit::KeyEncipherment),
            (KeyUsages::DataEncipherment, KeyUsageBit::DataEncipherment),
            (KeyUsages::KeyAgreement, KeyUsageBit::KeyAgreement),
            (KeyUsages::KeyCertSign, KeyUsageBit::KeyCertSign),
            (KeyUsages::CRLSign, KeyUsageBit::CrlSign),
            (KeyUsages::EncipherOnly, KeyUsageBit::EncipherOnly),
            (KeyUsages::DecipherOnly, KeyUsageBit::DecipherOnly),
        ];
        Ok(Some(
            map.iter()
                .filter(|(f, _)| ku.0.contains(*f))
                .map(|(_, b)| *b)
                .collect(),
        ))
    }

    /// Whether the basic-constraints extension marks this as a CA.
    pub fn is_ca(&self) -> bool {
        matches!(
            self.x509.tbs_certificate().get_extension::<BasicConstraints>(),
            Ok(Some((_, bc))) if bc.ca
        )
    }

    /// The subject public key.
    pub fn public_key(&self) -> Result<PublicKey, String> {
        let spki = self.x509.tbs_certificate().subject_public_key_info();
        let oid = spki.algorithm.oid.to_string();
        let bits = spki.subject_public_key.raw_bytes();
        match oid.as_str() {
            "1.2.840.113549.1.1.1" => {
                let k = rsa::pkcs1::RsaPublicKey::<der::asn1::UintRef<'_>>::from_der(bits)
                    .map_err(|e| format!("RSA public key: {e}"))?;
                Ok(PublicKey::Rsa(RsaKey::new(
                    k.modulus.as_bytes(),
                    k.public_exponent.as_bytes(),
                )))
            }
            "1.2.840.10045.2.1" => {
                let curve = spki
                    .algorithm
                    .parameters
                    .as_ref()
                    .and_then(|p| p.decode_as::<der::asn1::ObjectIdentifier>().ok())
                    .map(|o| o.to_string())
                    .ok_or("EC public key without a named curve")?;
                Ok(PublicKey::Ec {
                    curve,
                    point: bits.to_vec(),
                })
            }
            _ => Ok(PublicKey::Other { algorithm: oid }),
        }
    }

    /// The `otherName` entries of the subject alternative name (empty if there is none).
    pub fn other_names(&self) -> Vec<OtherName> {
        let Ok(Some((_, san))) = self
            .x509
            .tbs_certificate()
            .get_extension::<SubjectAltName>()
        else {
            return Vec::new();
        };
        san.0
            .iter()
            .filter_map(|g| match g {
                GeneralName::OtherName(o) => {
                    let oid = o.type_id.to_string();
                    Some(OtherName {
                        meaning: jpki_other_name(&oid),
                        value: Utf8StringRef::try_from(&o.value)
                            .ok()
                            .map(|s| s.as_str().to_owned()),
                        oid,
                    })
                }
                _ => None,
            })
            .collect()
    }

    /// The SHA-256 fingerprint of the DER, upper-case hex.
    pub fn sha256_fingerprint(&self) -> String {
        hex::encode_upper(Sha256::digest(&self.der))
    }

    /// The signature algorithm, as a dotted OID.
    pub fn signature_algorithm(&self) -> String {
        self.x509.signature_algorithm().oid.to_string()
    }

    /// A serialisable summary of the fields above.
    pub fn summary(&self) -> CertSummary {
        CertSummary {
            subject: self.subject(),
            issuer: self.issuer(),
            serial: self.serial_hex(),
            not_before: self.not_before(),
            not_after: self.not_after(),
            key_usage: self
                .key_usage()
                .ok()
                .flatten()
                .unwrap_or_default()
                .iter()
                .map(|b| b.to_string())
                .collect(),
            public_key: self
                .public_key()
                .map(|k| k.to_string())
                .unwrap_or_else(|e| format!("unparsed ({e})")),
            is_ca: self.is_ca(),
            other_names: self.other_names(),
            sha256_fingerprint: self.sha256_fingerprint(),
        }
    }

    /// Whether `issuer`'s key verifies this certificate's signature. `Err` says why it cannot
    /// be checked: the algorithm, the issuer's key type or curve is not supported (see
    /// [`TrustStore::verify`](super::TrustStore::verify) for what is), or the signature or the
    /// issuer's key cannot be decoded. A key of another type than the signature algorithm's
    /// (an RSA issuer for an ECDSA signature) is `Ok(false)`: that key did not make it.
    pub fn is_signed_by(&self, issuer: &Certificate) -> Result<bool, String> {
        match self.check_signed_by(issuer) {
            SignatureCheck::Valid => Ok(true),
            SignatureCheck::Invalid => Ok(false),
            SignatureCheck::Unsupported(r)
            | SignatureCheck::MalformedSignature(r)
            | SignatureCheck::MalformedKey(r) => Err(r),
        }
    }

    /// The signature check behind [`Certificate::is_signed_by`], with the reason kept apart
    /// for the chain walk's errors.
    pub(super) fn check_signed_by(&self, issuer: &Certificate) -> SignatureCheck {
        let Some(tbs) = tbs_bytes(&self.der) else {
            return SignatureCheck::MalformedSignature("no TBSCertificate".into());
        };
        let alg = self.signature_algorithm();
        let (ecdsa, hash) = match alg.as_str() {
            "1.2.840.113549.1.1.11" => (false, HashAlgorithm::Sha256),
            "1.2.840.113549.1.1.12" => (false, HashAlgorithm::Sha384),
            "1.2.840.113549.1.1.13" => (false, HashAlgorithm::Sha512),
            // ecdsa-with-SHA256/384/512 (RFC 5758 §3.2).
            "1.2.840.10045.4.3.2" => (true, HashAlgorithm::Sha256),
            "1.2.840.10045.4.3.3" => (true, HashAlgorithm::Sha384),
            "1.2.840.10045.4.3.4" => (true, HashAlgorithm::Sha512),
            other => {
                return SignatureCheck::Unsupported(format!(
                    "signature algorithm {other} is not supported"
                ))
            }
        };
        let key = match issuer.public_key() {
            Ok(k) => k,
            Err(e) => return SignatureCheck::MalformedKey(format!("issuer key: {e}")),
        };
        match (ecdsa, key) {
            (false, PublicKey::Rsa(k)) => {
                let sig = self.x509.signature().raw_bytes();
                match k.verify_pkcs1v15(Some(hash), &hash.digest(tbs), sig) {
                    Ok(()) => SignatureCheck::Valid,
                    Err(_) => SignatureCheck::Invalid,
                }
            }
            (true, PublicKey::Ec { curve, point }) => {
                let Some(sig) = self.x509.signature().as_bytes() else {
                    return SignatureCheck::MalformedSignature(
                        "the signature BIT STRING has unused bits".into(),
                    );
                };
                check_ecdsa(&curve, &point, hash, tbs, sig)
            }
            // A key of the other type cannot have made this signature.
            (_, PublicKey::Rsa(_) | PublicKey::Ec { .. }) => SignatureCheck::Invalid,
            (_, other) => {
                SignatureCheck::Unsupported(format!("issuer key {other} is not supported"))
            }
        }
    }
}

/// The outcome of checking one certificate's signature under one candidate issuer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SignatureCheck {
    /// The issuer's key made the signature.
    Valid,
    /// It did not (or its key is of another type than the signature algorithm).
    Invalid,
    /// The algorithm, key type or curve is not supported here (why).
    Unsupported(String),
    /// The certificate's own signature cannot be decoded (why).
    MalformedSignature(String),
    /// The issuer's key cannot be decoded (why).
    MalformedKey(String),
}

/// An ECDSA certificate signature (feature `ecdsa`).
#[cfg(feature = "ecdsa")]
fn check_ecdsa(
    curve: &str,
    point: &[u8],
    hash: HashAlgorithm,
    tbs: &[u8],
    signature: &[u8],
) -> SignatureCheck {
    use crate::crypto::{verify_ecdsa, EcdsaFailure};
    match verify_ecdsa(curve, point, &hash.digest(tbs), signature) {
        Ok(()) => SignatureCheck::Valid,
        Err(EcdsaFailure::Invalid) => SignatureCheck::Invalid,
        Err(EcdsaFailure::Malformed(r)) => SignatureCheck::MalformedSignature(r),
        Err(EcdsaFailure::BadKey(r)) => SignatureCheck::MalformedKey(r),
        Err(EcdsaFailure::UnknownCurve(oid)) => SignatureCheck::Unsupported(format!(
            "elliptic curve {oid} is not supported (P-256 and P-384 are)"
        )),
    }
}

/// Without the `ecdsa` feature, every ECDSA certificate signature is unsupported.
#[cfg(not(feature = "ecdsa"))]
fn check_ecdsa(
    curve: &str,
    _point: &[u8],
    hash: HashAlgorithm,
    _tbs: &[u8],
    _signature: &[u8],
) -> SignatureCheck {
    SignatureCheck::Unsupported(format!(
        "ECDSA with {hash} on curve {curve}: checking ECDSA certificate signatures needs \
         mynacard's `ecdsa` feature, which this build does not have"
    ))
}

/// The fields of a certificate that a report shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertSummary {
    /// Subject (RFC 4514).
    pub subject: String,
    /// Issuer (RFC 4514).
    pub issuer: String,
    /// Serial number, hex.
    pub serial: String,
    /// Start of validity.
    pub not_before: CertTime,
    /// End of validity.
    pub not_after: CertTime,
    /// Key-usage bits.
    pub key_usage: Vec<String>,
    /// The public key, described.
    pub public_key: String,
    /// Whether it is a CA certificate.
    pub is_ca: bool,
    /// Subject alternative `otherName`s (holder data on the signature certificate).
    pub other_names: Vec<OtherName>,
    /// SHA-256 of the DER.
    pub sha256_fingerprint: String,
}

impl fmt::Display for CertSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Subject:      {}", self.subject)?;
        writeln!(f, "Issuer:       {}", self.issuer)?;
        writeln!(f, "Serial:       {}", self.serial)?;
        writeln!(f, "Not before:   {}", self.not_before)?;
        writeln!(f, "Not after:    {}", self.not_after)?;
        writeln!(f, "Key usage:    {}", self.key_usage.join(", "))?;
        writeln!(f, "Public key:   {}", self.public_key)?;
        writeln!(f, "CA:           {}", if self.is_ca { "yes" } else { "no" })?;
        for o in &self.other_names {
            writeln!(
                f,
                "Alt name:     {} = {}",
                o.meaning.unwrap_or(&o.oid),
                o.value.as_deref().unwrap_or("(not a UTF-8 string)")
            )?;
        }
        write!(f, "SHA-256:      {}", self.sha256_fingerprint)
    }
}

/// The raw `TBSCertificate` bytes (header included) inside a DER certificate, as signed.
fn tbs_bytes(der: &[u8]) -> Option<&[u8]> {
    let (tag, h, len) = crate::tlv::header(der).ok()?;
    if tag != 0x30 {
        return None;
    }
    let inner = der.get(h..h + len)?;
    let (tag, h2, l2) = crate::tlv::header(inner).ok()?;
    if tag != 0x30 {
        return None;
    }
    inner.get(..h2 + l2)
}

// ---------------------------------------------------------------------------------------------
// Trust.
