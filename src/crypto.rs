//! Cryptographic types that do not depend on the card: hash algorithms, public keys, the times
//! in a certificate, and why a chain of signatures did not verify. Every layer that checks a
//! signature (certificates, signing, card-verifiable certificates, presence) uses these.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use sha2::{Digest, Sha256, Sha384, Sha512};

/// A hash function for a DigestInfo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HashAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    /// The digest length in bytes.
    pub const fn digest_len(self) -> usize {
        match self {
            HashAlgorithm::Sha256 => 32,
            HashAlgorithm::Sha384 => 48,
            HashAlgorithm::Sha512 => 64,
        }
    }

    /// Hashes `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            HashAlgorithm::Sha256 => Sha256::digest(data).to_vec(),
            HashAlgorithm::Sha384 => Sha384::digest(data).to_vec(),
            HashAlgorithm::Sha512 => Sha512::digest(data).to_vec(),
        }
    }

    /// The DER prefix of a DigestInfo for this hash (RFC 8017 §9.2, note 1); the digest follows.
    /// For SHA-256 this is the prefix in [card facts §7](crate::card_facts#s7).
    pub const fn digest_info_prefix(self) -> &'static [u8] {
        match self {
            HashAlgorithm::Sha256 => &[
                0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            HashAlgorithm::Sha384 => &[
                0x30, 0x41, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            HashAlgorithm::Sha512 => &[
                0x30, 0x51, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }

    /// A DigestInfo: the prefix followed by `digest`.
    pub fn digest_info(self, digest: &[u8]) -> Vec<u8> {
        let mut v = self.digest_info_prefix().to_vec();
        v.extend_from_slice(digest);
        v
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HashAlgorithm::Sha256 => "SHA-256",
            HashAlgorithm::Sha384 => "SHA-384",
            HashAlgorithm::Sha512 => "SHA-512",
        })
    }
}

/// A public key from a certificate. RSA is what today's card carries; the next-generation card
/// is announced to move to ECDSA P-384 ([card facts §10](crate::card_facts#s10)), which parses as
/// [`PublicKey::Ec`].
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
        hash: Option<HashAlgorithm>,
        hashed: &[u8],
        signature: &[u8],
    ) -> Result<(), String> {
        use HashAlgorithm as H;
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

    /// Checks an RSASSA-PSS signature over a SHA-256 hash with exactly the parameters of the
    /// card's P1=`04`/`05` ([card facts §7](crate::card_facts#s7)): SHA-256, MGF1 with SHA-256
    /// and a salt of [`PSS_SALT_LEN`] (32) bytes, which is also TLS 1.3's `rsa_pss_rsae_sha256`
    /// (RFC 8446 §4.2.3). A signature with any other salt length is refused, so a signature this
    /// accepts is one any verifier of those parameters accepts.
    pub(crate) fn verify_pss_sha256(&self, hashed: &[u8], signature: &[u8]) -> Result<(), String> {
        if hashed.len() != HashAlgorithm::Sha256.digest_len() {
            return Err(format!(
                "RSA PSS verification failed: a SHA-256 hash is 32 bytes, not {}",
                hashed.len()
            ));
        }
        self.verify_pss_sha256_with_salt(hashed, signature, PSS_SALT_LEN)
    }

    /// Checks an RSASSA-PSS signature over a SHA-256 hash with MGF1-SHA-256 and exactly
    /// `salt_len` bytes of salt, as declared by a signer (a CMS `RSASSA-PSS-params`, RFC 4056).
    /// The card's own PSS signatures are always checked with [`PSS_SALT_LEN`]; this is for
    /// verifying signatures made by other software, whose parameters are part of what they
    /// signed.
    pub fn verify_pss_sha256_with_salt(
        &self,
        hashed: &[u8],
        signature: &[u8],
        salt_len: usize,
    ) -> Result<(), String> {
        if hashed.len() != HashAlgorithm::Sha256.digest_len() {
            return Err(format!(
                "RSA PSS verification failed: a SHA-256 hash is 32 bytes, not {}",
                hashed.len()
            ));
        }
        let key = self.to_rsa()?;
        let scheme = rsa::pss::Pss::<Sha256> {
            blinded: false,
            digest: Sha256::new(),
            salt_len: Some(salt_len),
        };
        key.verify(scheme, hashed, signature).map_err(|e| {
            format!("RSA PSS verification failed (SHA-256, MGF1-SHA-256, salt {salt_len}): {e}")
        })
    }
}

/// The RSASSA-PSS salt length of the card's PSS signatures, in bytes: the SHA-256 output size
/// ([card facts §7](crate::card_facts#s7)). Every PSS signature is checked with exactly this.
pub const PSS_SALT_LEN: usize = 32;

/// The named curve `secp256r1` (P-256), as a dotted OID.
pub const CURVE_P256: &str = "1.2.840.10045.3.1.7";
/// The named curve `secp384r1` (P-384), as a dotted OID: the next-generation card's curve
/// ([card facts §10](crate::card_facts#s10)).
pub const CURVE_P384: &str = "1.3.132.0.34";

/// Why an ECDSA signature did not verify (feature `ecdsa`).
#[cfg(feature = "ecdsa")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EcdsaFailure {
    /// The curve is not P-256 or P-384 (its OID).
    UnknownCurve(String),
    /// The key is not a point on its curve.
    BadKey(String),
    /// The signature is not a DER `Ecdsa-Sig-Value` with `r` and `s` in range.
    Malformed(String),
    /// Well-formed, but not made by this key over this digest.
    Invalid,
}

/// Checks a DER `Ecdsa-Sig-Value` over the hash `prehash` under the SEC 1 point `point` on the
/// curve named by `curve` (dotted OID). The hash need not match the curve (X.509 allows a P-384
/// key with SHA-256): it is truncated or taken as a shorter integer as FIPS 186-5 §6.4 says.
#[cfg(feature = "ecdsa")]
pub(crate) fn verify_ecdsa(
    curve: &str,
    point: &[u8],
    prehash: &[u8],
    signature: &[u8],
) -> Result<(), EcdsaFailure> {
    use p256::ecdsa::signature::hazmat::PrehashVerifier;
    macro_rules! check {
        ($c:ident, $name:literal) => {{
            let key = $c::ecdsa::VerifyingKey::from_sec1_bytes(point).map_err(|_| {
                EcdsaFailure::BadKey(format!(
                    concat!("the issuer's key is not a ", $name, " point ({} bytes)"),
                    point.len()
                ))
            })?;
            let sig = $c::ecdsa::Signature::from_der(signature).map_err(|_| {
                EcdsaFailure::Malformed(format!(
                    concat!(
                        "the signature is not a DER Ecdsa-Sig-Value for ",
                        $name,
                        " ({} bytes)"
                    ),
                    signature.len()
                ))
            })?;
            key.verify_prehash(prehash, &sig)
                .map_err(|_| EcdsaFailure::Invalid)
        }};
    }
    match curve {
        CURVE_P256 => check!(p256, "P-256"),
        CURVE_P384 => check!(p384, "P-384"),
        other => Err(EcdsaFailure::UnknownCurve(other.to_owned())),
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
    /// An algorithm in the path is not supported: a signature algorithm other than RSA
    /// PKCS#1 v1.5 or ECDSA with SHA-256/384/512, an elliptic curve other than P-256 or P-384
    /// (the reason names its OID), or any ECDSA signature when the library is built without
    /// its `ecdsa` feature (the reason says so).
    #[error("cannot check \"{subject}\": {reason}")]
    Unsupported {
        /// The certificate.
        subject: String,
        /// What is not supported.
        reason: String,
    },
    /// A signature or key in the path cannot be decoded: an ECDSA signature that is not a DER
    /// `Ecdsa-Sig-Value` (or has bytes after it), or an issuer's EC key that is not a point on
    /// its curve. `subject` is the certificate that carries the undecodable value.
    #[error("\"{subject}\" cannot be checked: {reason}")]
    Malformed {
        /// The certificate.
        subject: String,
        /// What cannot be decoded.
        reason: String,
    },
    /// The path is longer than any JPKI path can be.
    #[error("certificate path longer than {0}")]
    TooLong(usize),
    /// A certificate of the path carries an extension marked critical that the chain walk
    /// does not recognise (RFC 5280 §4.2: such a certificate must be rejected). The recognised
    /// ones are [`RECOGNISED_EXTENSIONS`](crate::cert::RECOGNISED_EXTENSIONS).
    #[error("\"{subject}\" has a critical extension {oid} that is not recognised")]
    UnrecognisedCriticalExtension {
        /// The certificate.
        subject: String,
        /// The extension's OID, dotted.
        oid: String,
    },
}
