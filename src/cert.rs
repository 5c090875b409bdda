//! JPKI certificates: reading them off the card, parsing them, and checking their chain to the
//! J-LIS roots (card-facts.md §2, §6, §9).
//!
//! * [`CertKind`] names the four certificates of the JPKI AP and their EFs. The signature
//!   certificate (`0001`) is readable only after the signature password (`6982` before,
//!   card-facts.md §2); [`crate::Card::read_certificate`] says so with
//!   [`Error::NeedsVerification`] instead of a bare status word.
//! * [`Certificate`] wraps the DER with the fields a caller needs: subject, issuer, serial,
//!   validity, key usage and the public key ([`PublicKey`], an enum so that the next-generation
//!   card's ECDSA P-384 keys fit without a breaking change, card-facts.md §10).
//! * [`TrustStore`] holds trust anchors. [`TrustStore::production`] holds the six J-LIS roots,
//!   embedded at compile time from `data/jlis-roots/`. The roots of one kind share a
//!   distinguished name across generations, so an issuer is resolved by name and then by
//!   signature (card-facts.md §9). The `O=JPKI-TEST` roots of test cards are accepted only by
//!   [`TrustStore::production_and_test`], which a caller must ask for; anchors added with
//!   [`TrustStore::with_custom_anchor`] (for example the virtual card's own hierarchy) are
//!   reported as [`Hierarchy::Custom`] and never as production.
//! * [`TokenInfo`] (EF `0006`) says whether the token is a physical card or a phone;
//!   [`CertAvailability`] (EF `0008`) says which certificates exist.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use der::asn1::Utf8StringRef;
use der::{Decode, Encode};
use serde::Serialize;
use sha2::{Digest, Sha256, Sha384, Sha512};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage as X509KeyUsage, KeyUsages, SubjectAltName};

use crate::applets::{jpki, Fid};
use crate::error::{Error, Result};
use crate::session::FileSize;
use crate::transport::Transport;
use crate::Card;

/// One of the four certificates in the JPKI AP (card-facts.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertKind {
    /// 利用者証明用電子証明書: the user-authentication certificate, EF `000A`, free to read.
    Auth,
    /// The user-authentication certificate's CA, EF `000B`, free to read.
    AuthCa,
    /// 署名用電子証明書: the signature certificate, EF `0001`; needs the signature password.
    Sign,
    /// The signature certificate's CA, EF `0002`, free to read.
    SignCa,
}

impl CertKind {
    /// All four, in the order the CLI lists them.
    pub const ALL: [CertKind; 4] = [
        CertKind::Auth,
        CertKind::AuthCa,
        CertKind::Sign,
        CertKind::SignCa,
    ];

    /// The EF that holds it.
    pub const fn fid(self) -> Fid {
        match self {
            CertKind::Auth => jpki::AUTH_CERT,
            CertKind::AuthCa => jpki::AUTH_CA_CERT,
            CertKind::Sign => jpki::SIGN_CERT,
            CertKind::SignCa => jpki::SIGN_CA_CERT,
        }
    }

    /// The name on the command line: `auth`, `auth-ca`, `sign`, `sign-ca`.
    pub const fn cli_name(self) -> &'static str {
        match self {
            CertKind::Auth => "auth",
            CertKind::AuthCa => "auth-ca",
            CertKind::Sign => "sign",
            CertKind::SignCa => "sign-ca",
        }
    }

    /// Parses a command-line name.
    pub fn from_cli_name(s: &str) -> Option<CertKind> {
        CertKind::ALL.into_iter().find(|k| k.cli_name() == s)
    }

    /// An English description.
    pub const fn description(self) -> &'static str {
        match self {
            CertKind::Auth => "user-authentication certificate",
            CertKind::AuthCa => "user-authentication CA certificate",
            CertKind::Sign => "signature certificate",
            CertKind::SignCa => "signature CA certificate",
        }
    }

    /// Whether reading it needs the signature password (only the signature certificate).
    pub const fn needs_signature_password(self) -> bool {
        matches!(self, CertKind::Sign)
    }

    /// The CA certificate that issued this kind's end-entity certificate (itself for a CA).
    pub const fn ca(self) -> CertKind {
        match self {
            CertKind::Auth | CertKind::AuthCa => CertKind::AuthCa,
            CertKind::Sign | CertKind::SignCa => CertKind::SignCa,
        }
    }
}

impl fmt::Display for CertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// A public key from a certificate. RSA is what today's card carries; the next-generation card
/// is announced to move to ECDSA P-384 (card-facts.md §10), which parses as [`PublicKey::Ec`].
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicKey {
    /// An RSA key.
    Rsa(RsaKey),
    /// An elliptic-curve key (`id-ecPublicKey`): the curve's OID and the encoded point.
    Ec {
        /// The named curve, as a dotted OID (`1.3.132.0.34` is P-384).
        curve: String,
        /// The SEC 1 encoded point.
        point: Vec<u8>,
    },
    /// Any other algorithm, by dotted OID.
    Other {
        /// The algorithm OID.
        algorithm: String,
    },
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublicKey::Rsa(k) => write!(
                f,
                "RSA {} bits, exponent {}",
                k.bits(),
                k.exponent_u64()
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| hex::encode_upper(&k.exponent))
            ),
            PublicKey::Ec { curve, point } => {
                let name = match curve.as_str() {
                    "1.3.132.0.34" => "P-384",
                    "1.2.840.10045.3.1.7" => "P-256",
                    "1.3.132.0.35" => "P-521",
                    other => other,
                };
                write!(f, "EC {name}, {}-byte point", point.len())
            }
            PublicKey::Other { algorithm } => write!(f, "algorithm {algorithm}"),
        }
    }
}

impl PublicKey {
    /// The key size in bits, where it has one (RSA modulus size; EC field size for known curves).
    pub fn bits(&self) -> Option<usize> {
        match self {
            PublicKey::Rsa(k) => Some(k.bits()),
            PublicKey::Ec { curve, .. } => match curve.as_str() {
                "1.2.840.10045.3.1.7" => Some(256),
                "1.3.132.0.34" => Some(384),
                "1.3.132.0.35" => Some(521),
                _ => None,
            },
            PublicKey::Other { .. } => None,
        }
    }

    /// The RSA key, if this is one.
    pub fn as_rsa(&self) -> Option<&RsaKey> {
        match self {
            PublicKey::Rsa(k) => Some(k),
            _ => None,
        }
    }
}

/// An RSA public key: modulus and exponent as unsigned big-endian bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct RsaKey {
    /// The modulus `n`, big-endian, without leading zeros.
    pub modulus: Vec<u8>,
    /// The public exponent `e`, big-endian, without leading zeros.
    pub exponent: Vec<u8>,
}

impl fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RsaKey({} bits)", self.bits())
    }
}

impl RsaKey {
    /// A key from its modulus and exponent (leading zero bytes are dropped).
    pub fn new(modulus: &[u8], exponent: &[u8]) -> Self {
        let strip = |b: &[u8]| {
            let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
            b[i..].to_vec()
        };
        RsaKey {
            modulus: strip(modulus),
            exponent: strip(exponent),
        }
    }

    /// The modulus size in bits.
    pub fn bits(&self) -> usize {
        match self.modulus.first() {
            None => 0,
            Some(&b) => self.modulus.len() * 8 - b.leading_zeros() as usize,
        }
    }

    /// The exponent as a number, if it fits in 64 bits.
    pub fn exponent_u64(&self) -> Option<u64> {
        if self.exponent.len() > 8 {
            return None;
        }
        Some(self.exponent.iter().fold(0u64, |a, &b| (a << 8) | b as u64))
    }

    /// The signature length this key produces, in bytes.
    pub fn signature_len(&self) -> usize {
        self.bits().div_ceil(8)
    }

    /// The key for the `rsa` crate.
    pub(crate) fn to_rsa(&self) -> Result<rsa::PublicKey, String> {
        let n = der::asn1::UintRef::new(&self.modulus).map_err(|e| e.to_string())?;
        let e = der::asn1::UintRef::new(&self.exponent).map_err(|e| e.to_string())?;
        rsa::PublicKey::try_from(rsa::pkcs1::RsaPublicKey {
            modulus: n,
            public_exponent: e,
        })
        .map_err(|e| format!("unusable RSA key: {e}"))
    }

    /// Checks a PKCS#1 v1.5 signature over `hashed`, which is wrapped in a DigestInfo for `hash`,
    /// or used bare when `hash` is `None`.
    pub(crate) fn verify_pkcs1v15(
        &self,
        hash: Option<crate::sign::HashAlgorithm>,
        hashed: &[u8],
        signature: &[u8],
    ) -> Result<(), String> {
        use crate::sign::HashAlgorithm as H;
        let key = self.to_rsa()?;
        let scheme = match hash {
            None => rsa::Pkcs1v15Sign::new_unprefixed(),
            Some(H::Sha256) => rsa::Pkcs1v15Sign::new::<Sha256>(),
            Some(H::Sha384) => rsa::Pkcs1v15Sign::new::<Sha384>(),
            Some(H::Sha512) => rsa::Pkcs1v15Sign::new::<Sha512>(),
        };
        key.verify(scheme, hashed, signature)
            .map_err(|e| format!("RSA PKCS#1 v1.5 verification failed: {e}"))
    }

    /// Checks an RSASSA-PSS signature (SHA-256, MGF1-SHA-256) over a SHA-256 hash. The salt
    /// length is taken from the signature, since the card's is not documented.
    pub(crate) fn verify_pss_sha256(&self, hashed: &[u8], signature: &[u8]) -> Result<(), String> {
        let key = self.to_rsa()?;
        let scheme = rsa::pss::Pss::<Sha256> {
            blinded: false,
            digest: Sha256::new(),
            salt_len: None,
        };
        key.verify(scheme, hashed, signature)
            .map_err(|e| format!("RSA PSS verification failed: {e}"))
    }
}

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

/// A point in time from a certificate, in seconds since the Unix epoch, with its RFC 3339 text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CertTime(pub u64);

impl CertTime {
    /// As a [`SystemTime`].
    pub fn to_system_time(self) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(self.0)
    }

    /// From a [`SystemTime`] (times before 1970 become the epoch).
    pub fn from_system_time(t: SystemTime) -> Self {
        CertTime(
            t.duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        )
    }
}

impl fmt::Display for CertTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match der::DateTime::from_unix_duration(Duration::from_secs(self.0)) {
            Ok(d) => write!(f, "{d}"),
            Err(_) => write!(f, "@{}", self.0),
        }
    }
}

impl Serialize for CertTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
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

    fn subject_der(&self) -> Vec<u8> {
        self.x509
            .tbs_certificate()
            .subject()
            .to_der()
            .unwrap_or_default()
    }

    fn issuer_der(&self) -> Vec<u8> {
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

    /// Whether `issuer`'s key verifies this certificate's signature. `Err` when the algorithm
    /// or the issuer's key type is not supported here.
    pub fn is_signed_by(&self, issuer: &Certificate) -> Result<bool, String> {
        let tbs = tbs_bytes(&self.der).ok_or("no TBSCertificate")?;
        let sig = self.x509.signature().raw_bytes();
        let alg = self.signature_algorithm();
        let hash = match alg.as_str() {
            "1.2.840.113549.1.1.11" => crate::sign::HashAlgorithm::Sha256,
            "1.2.840.113549.1.1.12" => crate::sign::HashAlgorithm::Sha384,
            "1.2.840.113549.1.1.13" => crate::sign::HashAlgorithm::Sha512,
            other => return Err(format!("signature algorithm {other} is not supported")),
        };
        let key = match issuer.public_key()? {
            PublicKey::Rsa(k) => k,
            other => return Err(format!("issuer key {other} is not supported")),
        };
        Ok(key
            .verify_pkcs1v15(Some(hash), &hash.digest(tbs), sig)
            .is_ok())
    }
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

/// Which hierarchy a chain ends in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hierarchy {
    /// A J-LIS production root (`O=JPKI`).
    Production,
    /// The `O=JPKI-TEST` hierarchy of test cards; never production.
    JpkiTest,
    /// An anchor the caller added (for example the virtual card's `O=mynacard-VIRTUAL-TEST`
    /// hierarchy); never production.
    Custom,
}

impl fmt::Display for Hierarchy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Hierarchy::Production => "J-LIS production",
            Hierarchy::JpkiTest => "JPKI-TEST (test cards; not production)",
            Hierarchy::Custom => "custom anchor (not production)",
        })
    }
}

/// The production J-LIS roots (card-facts.md §9), embedded at compile time.
const PRODUCTION_ROOTS: [&[u8]; 6] = [
    include_bytes!("../data/jlis-roots/authca01.cer"),
    include_bytes!("../data/jlis-roots/authca02.cer"),
    include_bytes!("../data/jlis-roots/authca03.cer"),
    include_bytes!("../data/jlis-roots/signca01.cer"),
    include_bytes!("../data/jlis-roots/signca02.cer"),
    include_bytes!("../data/jlis-roots/signca03.cer"),
];

/// The `O=JPKI-TEST` roots read off test cards, embedded at compile time.
const TEST_ROOTS: [&[u8]; 4] = [
    include_bytes!("../data/jlis-roots/test-hierarchy/authca-test-2019.cer"),
    include_bytes!("../data/jlis-roots/test-hierarchy/authca-test-2023.cer"),
    include_bytes!("../data/jlis-roots/test-hierarchy/signca-test-2019.cer"),
    include_bytes!("../data/jlis-roots/test-hierarchy/signca-test-2024.cer"),
];

/// Why a chain did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// No trust anchor or supplied CA certificate has the issuer's name.
    #[error("no trusted issuer named \"{issuer}\" for \"{subject}\"")]
    UnknownIssuer {
        /// The certificate whose issuer was looked for.
        subject: String,
        /// The issuer name.
        issuer: String,
    },
    /// Certificates with the issuer's name exist, but none of their keys verifies the signature.
    #[error(
        "the signature on \"{subject}\" does not verify under any certificate named \"{issuer}\""
    )]
    BadSignature {
        /// The certificate.
        subject: String,
        /// The issuer name.
        issuer: String,
    },
    /// A certificate in the path is outside its validity period at the time checked.
    #[error("\"{subject}\" is not valid at {at} (valid {not_before} to {not_after})")]
    NotValidAt {
        /// The certificate.
        subject: String,
        /// Its start of validity.
        not_before: CertTime,
        /// Its end of validity.
        not_after: CertTime,
        /// The time checked.
        at: CertTime,
    },
    /// An intermediate certificate is not a CA allowed to sign certificates.
    #[error("\"{subject}\" is not a CA certificate allowed to sign certificates")]
    NotCa {
        /// The certificate.
        subject: String,
    },
    /// An algorithm in the path is not supported (for example ECDSA, which the next-generation
    /// card is announced to use).
    #[error("cannot check \"{subject}\": {reason}")]
    Unsupported {
        /// The certificate.
        subject: String,
        /// What is not supported.
        reason: String,
    },
    /// The path is longer than any JPKI path can be.
    #[error("certificate path longer than {0}")]
    TooLong(usize),
}

/// The longest path accepted (leaf, intermediates, root).
pub const MAX_PATH: usize = 5;

/// A verified path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// The hierarchy of the anchor the path ends in.
    pub hierarchy: Hierarchy,
    /// The path, from the certificate checked to the trust anchor.
    pub path: Vec<Certificate>,
}

impl ChainReport {
    /// Whether the path ends in a J-LIS production root.
    pub fn is_production(&self) -> bool {
        self.hierarchy == Hierarchy::Production
    }

    /// The trust anchor.
    pub fn anchor(&self) -> Option<&Certificate> {
        self.path.last()
    }
}

/// Trust anchors, each tagged with its hierarchy.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    anchors: Vec<(Certificate, Hierarchy)>,
}

impl TrustStore {
    /// No anchors at all.
    pub fn empty() -> Self {
        TrustStore::default()
    }

    /// The six J-LIS production roots (three generations each for authentication and signature).
    pub fn production() -> Self {
        let mut s = TrustStore::empty();
        for der in PRODUCTION_ROOTS {
            // The embedded roots are known-good; a failure would be a build defect, and is
            // caught by the crate's tests. Skip rather than panic.
            if let Ok(c) = Certificate::from_der(der) {
                s.anchors.push((c, Hierarchy::Production));
            }
        }
        s
    }

    /// The production roots **and** the `O=JPKI-TEST` roots of test cards. Only for testing
    /// against JPKI test cards: a chain ending in a test root is reported as
    /// [`Hierarchy::JpkiTest`], never as production.
    pub fn production_and_test() -> Self {
        let mut s = TrustStore::production();
        for der in TEST_ROOTS {
            if let Ok(c) = Certificate::from_der(der) {
                s.anchors.push((c, Hierarchy::JpkiTest));
            }
        }
        s
    }

    /// Adds a caller-chosen anchor, reported as [`Hierarchy::Custom`] (never production),
    /// whatever its name says.
    pub fn with_custom_anchor(mut self, anchor: Certificate) -> Self {
        self.anchors.push((anchor, Hierarchy::Custom));
        self
    }

    /// The anchors.
    pub fn anchors(&self) -> impl Iterator<Item = (&Certificate, Hierarchy)> {
        self.anchors.iter().map(|(c, h)| (c, *h))
    }

    /// Verifies `cert` up to an anchor, using `intermediates` (for example the CA certificate
    /// read off the card) where no anchor issued it directly. At each step the issuer is found
    /// by name and then by signature, since J-LIS root generations share one name. Every
    /// certificate in the path must be valid at `at`.
    pub fn verify(
        &self,
        cert: &Certificate,
        intermediates: &[Certificate],
        at: SystemTime,
    ) -> Result<ChainReport, TrustError> {
        let at_t = CertTime::from_system_time(at);
        let valid = |c: &Certificate| {
            if c.is_valid_at(at) {
                Ok(())
            } else {
                Err(TrustError::NotValidAt {
                    subject: c.subject(),
                    not_before: c.not_before(),
                    not_after: c.not_after(),
                    at: at_t,
                })
            }
        };
        valid(cert)?;
        let mut path = vec![cert.clone()];
        let mut current = cert.clone();
        while path.len() <= MAX_PATH {
            let issuer_name = current.issuer_der();
            let mut named = 0usize;
            let mut unsupported = None;
            // Anchors first: generations share a name, so try each one's key.
            for (anchor, hierarchy) in &self.anchors {
                if anchor.subject_der() != issuer_name {
                    continue;
                }
                named += 1;
                match current.is_signed_by(anchor) {
                    Ok(true) => {
                        valid(anchor)?;
                        if *anchor != current {
                            path.push(anchor.clone());
                        }
                        return Ok(ChainReport {
                            hierarchy: *hierarchy,
                            path,
                        });
                    }
                    Ok(false) => {}
                    Err(reason) => unsupported = Some(reason),
                }
            }
            // Then a supplied CA certificate that is not self-issued (a self-issued one would be
            // a root that is not an anchor).
            let mut next = None;
            for inter in intermediates {
                if inter.subject_der() != issuer_name
                    || inter.is_self_issued()
                    || path.contains(inter)
                {
                    continue;
                }
                named += 1;
                match current.is_signed_by(inter) {
                    Ok(true) => {
                        next = Some(inter.clone());
                        break;
                    }
                    Ok(false) => {}
                    Err(reason) => unsupported = Some(reason),
                }
            }
            match next {
                Some(inter) => {
                    let can_sign = inter
                        .key_usage()
                        .ok()
                        .flatten()
                        .is_none_or(|ku| ku.contains(&KeyUsageBit::KeyCertSign));
                    if !inter.is_ca() || !can_sign {
                        return Err(TrustError::NotCa {
                            subject: inter.subject(),
                        });
                    }
                    valid(&inter)?;
                    path.push(inter.clone());
                    current = inter;
                }
                None => {
                    return Err(match (named, unsupported) {
                        (_, Some(reason)) => TrustError::Unsupported {
                            subject: current.subject(),
                            reason,
                        },
                        (0, None) => TrustError::UnknownIssuer {
                            subject: current.subject(),
                            issuer: current.issuer(),
                        },
                        _ => TrustError::BadSignature {
                            subject: current.subject(),
                            issuer: current.issuer(),
                        },
                    })
                }
            }
        }
        Err(TrustError::TooLong(MAX_PATH))
    }
}

// ---------------------------------------------------------------------------------------------
// Token info and certificate availability.

/// What kind of token the JPKI AP is on, from the label in EF `0006` (card-facts.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TokenKind {
    /// `JPKIAPICCTOKEN2`: a physical My Number Card.
    PhysicalCard,
    /// `JPKIAPGPSETOKEN`: an Android phone (スマホ用電子証明書).
    AndroidPhone,
    /// `JPKIAPIOSTOKEN`: an iPhone.
    IPhone,
    /// `JPKIAPICCTOKEN`: an old 住基 card.
    OldJukiCard,
    /// A label this library does not know.
    Unknown,
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenKind::PhysicalCard => "physical My Number Card",
            TokenKind::AndroidPhone => "Android phone",
            TokenKind::IPhone => "iPhone",
            TokenKind::OldJukiCard => "old 住基 card",
            TokenKind::Unknown => "unknown token",
        })
    }
}

/// JPKI token info (EF `0006`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// The label: the first 32 bytes, trailing spaces removed.
    pub label: String,
    /// What the label says the token is.
    pub kind: TokenKind,
}

impl TokenInfo {
    /// Parses the file. The label is the first 32 bytes, space-padded ASCII; the rest of the
    /// 160 bytes is not interpreted.
    pub fn parse(data: &[u8]) -> Result<Self, String> {
        let Some(label) = data.get(..32) else {
            return Err(format!("{} bytes; a label needs 32", data.len()));
        };
        if label.iter().all(|&b| b == 0xFF || b == 0x00) {
            return Err("only filler bytes, no label".into());
        }
        let end = label
            .iter()
            .rposition(|&b| b != b' ' && b != 0)
            .map_or(0, |i| i + 1);
        let label = &label[..end];
        if label.is_empty() || !label.iter().all(|b| b.is_ascii_graphic()) {
            return Err(format!(
                "label is not printable ASCII: {}",
                hex::encode_upper(label)
            ));
        }
        let label = String::from_utf8_lossy(label).into_owned();
        let kind = match label.as_str() {
            "JPKIAPICCTOKEN2" => TokenKind::PhysicalCard,
            "JPKIAPGPSETOKEN" => TokenKind::AndroidPhone,
            "JPKIAPIOSTOKEN" => TokenKind::IPhone,
            "JPKIAPICCTOKEN" => TokenKind::OldJukiCard,
            _ => TokenKind::Unknown,
        };
        Ok(TokenInfo { label, kind })
    }
}

/// Whether a certificate exists, from one byte of EF `0008`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "byte")]
pub enum Presence {
    /// `8F`: the certificate exists.
    Present,
    /// `00`: no certificate (for example no signature certificate on the card of an under-15).
    Absent,
    /// Another value, which no source describes.
    Unknown(u8),
}

impl Presence {
    fn from_byte(b: u8) -> Self {
        match b {
            0x8F => Presence::Present,
            0x00 => Presence::Absent,
            other => Presence::Unknown(other),
        }
    }
}

/// Certificate availability (EF `0008`, 3 bytes: `8F 8F 00` when both exist; byte 0 is the
/// signature certificate, byte 1 the user-authentication certificate; card-facts.md §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CertAvailability {
    /// The signature certificate.
    pub sign: Presence,
    /// The user-authentication certificate.
    pub auth: Presence,
}

impl CertAvailability {
    /// Parses the file (at least its first two bytes).
    pub fn parse(data: &[u8]) -> Result<Self, String> {
        match data {
            [s, a, ..] => Ok(CertAvailability {
                sign: Presence::from_byte(*s),
                auth: Presence::from_byte(*a),
            }),
            _ => Err(format!("{} bytes; expected 3", data.len())),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading from the card.

/// Turns a read failure into the error a caller can act on.
fn read_error(e: Error, what: &'static str, needs: &'static str) -> Error {
    use crate::apdu::Status;
    match e {
        Error::Card { sw, .. } if sw.status() == Status::SecurityStatusNotSatisfied => {
            Error::NeedsVerification { what, needs }
        }
        Error::Card { sw, .. } if sw.status() == Status::FileNotFound => Error::NotFound { what },
        Error::NotFound { .. } => Error::NotFound { what },
        other => other,
    }
}

impl<T: Transport> Card<T> {
    /// Reads and parses one JPKI certificate, in the fewest exchanges the card allows (on a card
    /// and reader that accept SFI and extended length, from a fresh session: SELECT JPKI and one
    /// READ BINARY).
    ///
    /// The signature certificate needs the signature password verified first in this card
    /// session ([`Card::verify`]); without it the card answers `6982`, reported as
    /// [`Error::NeedsVerification`]. A certificate that does not parse is
    /// [`Error::Parse`] with its EF. The free certificates are kept for the card session, so
    /// reading one again costs nothing; the signature certificate is read from the card each
    /// time, so that it is never handed out without the password.
    pub fn read_certificate(&mut self, kind: CertKind) -> Result<Certificate> {
        if !kind.needs_signature_password() {
            if let Some(c) = self.certs.get(&kind) {
                return Ok(c.clone());
            }
        }
        self.read_certificate_uncached(kind)
    }

    /// The certificate from this card session's cache, or read now (for checking signatures).
    pub(crate) fn cached_certificate(&mut self, kind: CertKind) -> Result<Certificate> {
        match self.certs.get(&kind) {
            Some(c) => Ok(c.clone()),
            None => self.read_certificate_uncached(kind),
        }
    }

    fn read_certificate_uncached(&mut self, kind: CertKind) -> Result<Certificate> {
        let der = self
            .in_transaction(|card| {
                let s = card.session_mut();
                s.select_df(&crate::applets::JPKI)?;
                s.read_file(kind.fid(), FileSize::Tlv { likely_large: true })
            })
            .map_err(|e| {
                read_error(
                    e,
                    kind.description(),
                    crate::pin::PinKind::Signature.description(),
                )
            })?;
        let cert = Certificate::from_card(kind.fid(), &der)?;
        self.certs.insert(kind, cert.clone());
        Ok(cert)
    }

    /// Reads the certificate of `kind` and its CA certificate off the card and verifies the
    /// chain to `trust` at time `at`.
    pub fn verify_certificate_chain(
        &mut self,
        kind: CertKind,
        trust: &TrustStore,
        at: SystemTime,
    ) -> Result<ChainReport> {
        let cert = self.read_certificate(kind)?;
        let ca = kind.ca();
        let intermediates = if ca == kind {
            Vec::new()
        } else {
            vec![self.read_certificate(ca)?]
        };
        Ok(trust.verify(&cert, &intermediates, at)?)
    }

    /// Reads the token info (EF `0006`): physical card or phone.
    pub fn token_info(&mut self) -> Result<TokenInfo> {
        let data = self
            .in_transaction(|card| {
                let s = card.session_mut();
                s.select_df(&crate::applets::JPKI)?;
                s.read_file(jpki::TOKEN_INFO, FileSize::Fixed(160))
            })
            .map_err(|e| read_error(e, "the JPKI token info", "nothing"))?;
        TokenInfo::parse(&data).map_err(|reason| Error::Parse {
            fid: jpki::TOKEN_INFO,
            what: "token info",
            reason,
        })
    }

    /// Reads which certificates exist (EF `0008`).
    pub fn certificate_availability(&mut self) -> Result<CertAvailability> {
        let data = self
            .in_transaction(|card| {
                let s = card.session_mut();
                s.select_df(&crate::applets::JPKI)?;
                s.read_file(jpki::CERT_AVAILABILITY, FileSize::Fixed(3))
            })
            .map_err(|e| read_error(e, "the JPKI certificate availability", "nothing"))?;
        CertAvailability::parse(&data).map_err(|reason| Error::Parse {
            fid: jpki::CERT_AVAILABILITY,
            what: "certificate availability",
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_roots_parse_and_are_self_signed() {
        let p = TrustStore::production();
        assert_eq!(p.anchors().count(), 6);
        for (c, h) in p.anchors() {
            assert_eq!(h, Hierarchy::Production);
            assert!(c.is_self_issued());
            assert_eq!(c.is_signed_by(c), Ok(true), "{}", c.subject());
            assert!(c.subject().contains("O=JPKI,"), "{}", c.subject());
        }
        let t = TrustStore::production_and_test();
        assert_eq!(t.anchors().count(), 10);
    }

    #[test]
    fn token_labels() {
        let mut d = vec![b' '; 160];
        d[..15].copy_from_slice(b"JPKIAPICCTOKEN2");
        assert_eq!(TokenInfo::parse(&d).unwrap().kind, TokenKind::PhysicalCard);
        d[..15].copy_from_slice(b"JPKIAPGPSETOKEN");
        assert_eq!(TokenInfo::parse(&d).unwrap().kind, TokenKind::AndroidPhone);
        let mut i = vec![b' '; 160];
        i[..14].copy_from_slice(b"JPKIAPIOSTOKEN");
        assert_eq!(TokenInfo::parse(&i).unwrap().kind, TokenKind::IPhone);
        i[..14].copy_from_slice(b"JPKIAPICCTOKEN");
        assert_eq!(TokenInfo::parse(&i).unwrap().kind, TokenKind::OldJukiCard);
        assert!(TokenInfo::parse(&[0xFF; 160]).is_err());
        assert!(TokenInfo::parse(&[b'A'; 10]).is_err());
        assert!(TokenInfo::parse(&[b' '; 160]).is_err());
    }

    #[test]
    fn availability() {
        let a = CertAvailability::parse(&[0x8F, 0x8F, 0x00]).unwrap();
        assert_eq!((a.sign, a.auth), (Presence::Present, Presence::Present));
        let a = CertAvailability::parse(&[0x00, 0x8F, 0x00]).unwrap();
        assert_eq!(a.sign, Presence::Absent);
        assert_eq!(
            CertAvailability::parse(&[0x12, 0x8F]).unwrap().sign,
            Presence::Unknown(0x12)
        );
        assert!(CertAvailability::parse(&[0x8F]).is_err());
    }
}
