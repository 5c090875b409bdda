//! Issuing X.509 test certificates with ECDSA (P-256, P-384) and RSA keys, signed as asked
//! and spoiled on request: shared by the library's chain tests (tests/cert_chain_ecdsa.rs) and
//! crates/docsig's tests (included there by path). TEST KEYS ONLY (fixed scalars and seed).
#![allow(dead_code)]

use std::str::FromStr;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use der::asn1::{BitString, Null, ObjectIdentifier, Uint};
use der::{Any, Decode, Encode, Sequence};
use mynacard::cert::Certificate;
use mynacard::crypto::HashAlgorithm;
use p256::ecdsa::signature::hazmat::PrehashSigner;
use rand_chacha::rand_core::SeedableRng;
use rsa::pkcs8::EncodePublicKey;
use x509_cert::certificate::Rfc5280;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};

pub const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
pub const P256: &str = "1.2.840.10045.3.1.7";
pub const P384: &str = "1.3.132.0.34";

/// The TBSCertificate of RFC 5280 §4.1, encoded by `der`.
#[derive(Sequence)]
pub struct Tbs {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    version: u8,
    serial: Uint,
    signature: AlgorithmIdentifierOwned,
    issuer: Name,
    validity: Validity<Rfc5280>,
    subject: Name,
    spki: SubjectPublicKeyInfoOwned,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT")]
    extensions: Vec<Extension>,
}

/// The outer Certificate: the TBS exactly as signed, the algorithm and the signature.
#[derive(Sequence)]
pub struct Cert {
    tbs: Any,
    algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

/// A test signing key.
pub enum Key {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    Rsa(&'static rsa::PrivateKey),
}

pub fn p256(n: u8) -> Key {
    Key::P256(p256::ecdsa::SigningKey::from_slice(&[n; 32]).unwrap())
}

pub fn p384(n: u8) -> Key {
    Key::P384(p384::ecdsa::SigningKey::from_slice(&[n; 48]).unwrap())
}

/// One RSA-2048 test key, from a fixed seed, generated once per run.
pub fn rsa() -> Key {
    static K: OnceLock<rsa::PrivateKey> = OnceLock::new();
    Key::Rsa(K.get_or_init(|| {
        let mut rng = rand_chacha::ChaCha20Rng::from_seed([7; 32]);
        rsa::PrivateKey::new(&mut rng, 2048).unwrap()
    }))
}

pub fn oid(s: &str) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(s)
}

/// An `id-ecPublicKey` SPKI naming `curve`, holding `point` as it is.
pub fn ec_spki(curve: &str, point: &[u8]) -> SubjectPublicKeyInfoOwned {
    SubjectPublicKeyInfoOwned {
        algorithm: AlgorithmIdentifierOwned {
            oid: oid(EC_PUBLIC_KEY),
            parameters: Some(Any::encode_from(&oid(curve)).unwrap()),
        },
        subject_public_key: BitString::from_bytes(point).unwrap(),
    }
}

impl Key {
    /// The uncompressed SEC 1 point of an EC key.
    pub fn point(&self) -> Vec<u8> {
        match self {
            Key::P256(k) => k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            Key::P384(k) => k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            Key::Rsa(_) => panic!("not an EC key"),
        }
    }

    pub fn spki(&self) -> SubjectPublicKeyInfoOwned {
        match self {
            Key::P256(_) => ec_spki(P256, &self.point()),
            Key::P384(_) => ec_spki(P384, &self.point()),
            Key::Rsa(k) => {
                let der = k.to_public_key().to_public_key_der().unwrap();
                SubjectPublicKeyInfoOwned::from_der(der.as_bytes()).unwrap()
            }
        }
    }

    /// The signature algorithm for `hash` with this key.
    pub fn algorithm(&self, hash: HashAlgorithm) -> AlgorithmIdentifierOwned {
        use HashAlgorithm as H;
        match (self, hash) {
            (Key::Rsa(_), h) => AlgorithmIdentifierOwned {
                oid: oid(match h {
                    H::Sha256 => "1.2.840.113549.1.1.11",
                    H::Sha384 => "1.2.840.113549.1.1.12",
                    H::Sha512 => "1.2.840.113549.1.1.13",
                }),
                parameters: Some(Any::from(Null)),
            },
            (_, h) => AlgorithmIdentifierOwned {
                oid: oid(match h {
                    H::Sha256 => "1.2.840.10045.4.3.2",
                    H::Sha384 => "1.2.840.10045.4.3.3",
                    H::Sha512 => "1.2.840.10045.4.3.4",
                }),
                parameters: None,
            },
        }
    }

    /// The signature over `tbs` with `hash`: a DER `Ecdsa-Sig-Value`, or PKCS#1 v1.5.
    pub fn sign(&self, hash: HashAlgorithm, tbs: &[u8]) -> Vec<u8> {
        let digest = hash.digest(tbs);
        match self {
            Key::P256(k) => {
                let s: p256::ecdsa::Signature = k.sign_prehash(&digest).unwrap();
                s.to_der().as_bytes().to_vec()
            }
            Key::P384(k) => {
                let s: p384::ecdsa::Signature = k.sign_prehash(&digest).unwrap();
                s.to_der().as_bytes().to_vec()
            }
            Key::Rsa(k) => {
                let scheme = match hash {
                    HashAlgorithm::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                    HashAlgorithm::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                    HashAlgorithm::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
                };
                k.sign(scheme, &digest).unwrap()
            }
        }
    }
}

/// What to spoil after signing.
#[derive(Clone)]
pub enum Tamper {
    None,
    /// One bit of the serial number, after the TBS was signed.
    TbsBit,
    /// The last bit of the signature (the low bit of `s` for ECDSA: still well-formed DER).
    SignatureBit,
    /// A byte after the DER `Ecdsa-Sig-Value`.
    TrailingByte,
    /// The bare `r || s` (IEEE P1363) instead of the DER `Ecdsa-Sig-Value`.
    BareScalars,
    /// Signed with the given hash, but the algorithm names this one.
    HashName(HashAlgorithm),
    /// These bytes instead of the signature.
    Replace(Vec<u8>),
}

pub fn name(cn: &str) -> Name {
    Name::from_str(&format!("CN={cn},O=mynacard-ECDSA-TEST,C=JP")).unwrap()
}

pub fn time(y: u16) -> Time {
    Time::from(der::DateTime::new(y, 1, 1, 0, 0, 0).unwrap())
}

/// When the chains are checked: inside every validity period below.
pub fn at() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_000_000) // 2026-11
}

pub fn ext<T: Encode>(id: &str, value: &T) -> Extension {
    Extension {
        extn_id: oid(id),
        critical: true,
        extn_value: der::asn1::OctetString::new(value.to_der().unwrap()).unwrap(),
    }
}

/// The extensions [`issue`] gives: keyUsage (keyCertSign and cRLSign for a CA, else
/// digitalSignature and nonRepudiation) and basicConstraints, both critical.
pub fn default_extensions(ca: bool) -> Vec<Extension> {
    let usage = if ca {
        KeyUsages::KeyCertSign | KeyUsages::CRLSign
    } else {
        KeyUsages::DigitalSignature | KeyUsages::NonRepudiation
    };
    vec![
        ext("2.5.29.15", &KeyUsage(usage)),
        ext(
            "2.5.29.19",
            &BasicConstraints {
                ca,
                path_len_constraint: None,
            },
        ),
    ]
}

/// Issues a certificate for `subject` with public key `spki`, signed by `issuer_key` with
/// `hash` in the name of `issuer`; a CA (keyCertSign) when `ca`.
#[allow(clippy::too_many_arguments)]
pub fn issue(
    subject: &str,
    spki: SubjectPublicKeyInfoOwned,
    issuer: &str,
    issuer_key: &Key,
    hash: HashAlgorithm,
    ca: bool,
    tamper: &Tamper,
) -> Certificate {
    issue_with(
        subject,
        spki,
        issuer,
        issuer_key,
        hash,
        default_extensions(ca),
        tamper,
    )
}

/// As [`issue`], with these `extensions` instead of the default ones.
#[allow(clippy::too_many_arguments)]
pub fn issue_with(
    subject: &str,
    spki: SubjectPublicKeyInfoOwned,
    issuer: &str,
    issuer_key: &Key,
    hash: HashAlgorithm,
    extensions: Vec<Extension>,
    tamper: &Tamper,
) -> Certificate {
    let named = match tamper {
        Tamper::HashName(h) => *h,
        _ => hash,
    };
    let tbs = |serial: u8| Tbs {
        version: 2,
        serial: Uint::new(&[0x10, serial]).unwrap(),
        signature: issuer_key.algorithm(named),
        issuer: name(issuer),
        validity: Validity::new(time(2020), time(2049)),
        subject: name(subject),
        spki: spki.clone(),
        extensions: extensions.clone(),
    };
    let signed = tbs(0x42).to_der().unwrap();
    let mut signature = issuer_key.sign(hash, &signed);
    let put = match tamper {
        // 0x42 ^ 0x01: a one-bit change of the signed bytes.
        Tamper::TbsBit => tbs(0x43).to_der().unwrap(),
        _ => signed,
    };
    match tamper {
        Tamper::SignatureBit => *signature.last_mut().unwrap() ^= 0x01,
        Tamper::TrailingByte => signature.push(0x00),
        Tamper::BareScalars => {
            signature = match issuer_key {
                Key::P256(_) => p256::ecdsa::Signature::from_der(&signature)
                    .unwrap()
                    .to_bytes()
                    .to_vec(),
                Key::P384(_) => p384::ecdsa::Signature::from_der(&signature)
                    .unwrap()
                    .to_bytes()
                    .to_vec(),
                Key::Rsa(_) => panic!("not ECDSA"),
            }
        }
        Tamper::Replace(bytes) => signature = bytes.clone(),
        Tamper::None | Tamper::TbsBit | Tamper::HashName(_) => {}
    }
    let der = Cert {
        tbs: Any::from_der(&put).unwrap(),
        algorithm: issuer_key.algorithm(named),
        signature: BitString::from_bytes(&signature).unwrap(),
    }
    .to_der()
    .unwrap();
    Certificate::from_der(&der).unwrap()
}

/// A self-signed root.
pub fn root(cn: &str, key: &Key, hash: HashAlgorithm) -> Certificate {
    issue(cn, key.spki(), cn, key, hash, true, &Tamper::None)
}
