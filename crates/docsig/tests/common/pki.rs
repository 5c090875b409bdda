//! ECDSA test certificates and a CMS signed by an ECDSA key, issued in the tests (P-256/P-384
//! keys from fixed scalars: TEST KEYS ONLY, never production).
#![allow(dead_code)]

use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cms::content_info::ContentInfo;
use der::asn1::{BitString, ObjectIdentifier, OctetString, Uint};
use der::{Any, Decode, Encode, Sequence};
use mynacard::cert::Certificate;
use mynacard::crypto::HashAlgorithm;
use mynacard_docsig::cms as c;
use p256::ecdsa::signature::hazmat::PrehashSigner;
use x509_cert::certificate::Rfc5280;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};

/// The TBSCertificate of RFC 5280 §4.1, encoded by `der`.
#[derive(Sequence)]
struct Tbs {
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

/// The outer Certificate: the TBS as signed, the algorithm and the signature.
#[derive(Sequence)]
struct Cert {
    tbs: Any,
    algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

/// An ECDSA test key.
pub enum EcKey {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
}

pub fn p256(n: u8) -> EcKey {
    EcKey::P256(p256::ecdsa::SigningKey::from_slice(&[n; 32]).unwrap())
}

pub fn p384(n: u8) -> EcKey {
    EcKey::P384(p384::ecdsa::SigningKey::from_slice(&[n; 48]).unwrap())
}

fn oid(s: &str) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(s)
}

/// ecdsa-with-SHA256/384/512 (RFC 5758 §3.2), without parameters.
pub fn ecdsa_with(hash: HashAlgorithm) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: oid(match hash {
            HashAlgorithm::Sha256 => "1.2.840.10045.4.3.2",
            HashAlgorithm::Sha384 => "1.2.840.10045.4.3.3",
            HashAlgorithm::Sha512 => "1.2.840.10045.4.3.4",
        }),
        parameters: None,
    }
}

impl EcKey {
    pub fn spki(&self) -> SubjectPublicKeyInfoOwned {
        let (curve, point) = match self {
            EcKey::P256(k) => (
                "1.2.840.10045.3.1.7",
                k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            ),
            EcKey::P384(k) => (
                "1.3.132.0.34",
                k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            ),
        };
        SubjectPublicKeyInfoOwned {
            algorithm: AlgorithmIdentifierOwned {
                oid: oid("1.2.840.10045.2.1"),
                parameters: Some(Any::encode_from(&oid(curve)).unwrap()),
            },
            subject_public_key: BitString::from_bytes(&point).unwrap(),
        }
    }

    /// A DER `Ecdsa-Sig-Value` over `hash` of `data`.
    pub fn sign(&self, hash: HashAlgorithm, data: &[u8]) -> Vec<u8> {
        let digest = hash.digest(data);
        match self {
            EcKey::P256(k) => {
                let s: p256::ecdsa::Signature = k.sign_prehash(&digest).unwrap();
                s.to_der().as_bytes().to_vec()
            }
            EcKey::P384(k) => {
                let s: p384::ecdsa::Signature = k.sign_prehash(&digest).unwrap();
                s.to_der().as_bytes().to_vec()
            }
        }
    }
}

pub fn name(cn: &str) -> Name {
    Name::from_str(&format!(
        "CN={cn} (TEST only),O=mynacard-docsig-ECDSA-TEST,C=JP"
    ))
    .unwrap()
}

fn time(y: u16) -> Time {
    Time::from(der::DateTime::new(y, 1, 1, 0, 0, 0).unwrap())
}

/// A time inside every validity period issued here (2020 to 2049).
pub fn at() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_000_000) // 2026-11
}

fn ext<T: Encode>(id: &str, value: &T) -> Extension {
    Extension {
        extn_id: oid(id),
        critical: true,
        extn_value: OctetString::new(value.to_der().unwrap()).unwrap(),
    }
}

/// Issues a certificate for `subject` (public key `spki`) signed by `issuer_key` with `hash` in
/// the name of `issuer`; a CA when `ca`. `spoil` may change the signature after signing.
pub fn issue(
    subject: &str,
    spki: SubjectPublicKeyInfoOwned,
    issuer: &str,
    issuer_key: &EcKey,
    hash: HashAlgorithm,
    ca: bool,
    spoil: impl FnOnce(&mut Vec<u8>),
) -> Certificate {
    let usage = if ca {
        KeyUsages::KeyCertSign | KeyUsages::CRLSign
    } else {
        KeyUsages::DigitalSignature | KeyUsages::NonRepudiation
    };
    let tbs = Tbs {
        version: 2,
        serial: Uint::new(&[0x10, 0x42]).unwrap(),
        signature: ecdsa_with(hash),
        issuer: name(issuer),
        validity: Validity::new(time(2020), time(2049)),
        subject: name(subject),
        spki,
        extensions: vec![
            ext("2.5.29.15", &KeyUsage(usage)),
            ext(
                "2.5.29.19",
                &BasicConstraints {
                    ca,
                    path_len_constraint: None,
                },
            ),
        ],
    }
    .to_der()
    .unwrap();
    let mut signature = issuer_key.sign(hash, &tbs);
    spoil(&mut signature);
    let der = Cert {
        tbs: Any::from_der(&tbs).unwrap(),
        algorithm: ecdsa_with(hash),
        signature: BitString::from_bytes(&signature).unwrap(),
    }
    .to_der()
    .unwrap();
    Certificate::from_der(&der).unwrap()
}

/// A self-signed root.
pub fn root(cn: &str, key: &EcKey, hash: HashAlgorithm) -> Certificate {
    issue(cn, key.spki(), cn, key, hash, true, |_| {})
}

/// A P-384 root, a P-384 CA under it (its signature passed through `spoil_ca`) and a P-256
/// signer under that CA, with the signer's key: the next card's announced curve for the CAs,
/// and another curve for the signer.
pub struct EcChain {
    pub root: Certificate,
    pub ca: Certificate,
    pub signer: Certificate,
    pub signer_key: EcKey,
}

pub fn ec_chain(spoil_ca: impl FnOnce(&mut Vec<u8>)) -> EcChain {
    use HashAlgorithm::*;
    let (rk, ck, sk) = (p384(0x31), p384(0x32), p256(0x33));
    let root = root("docsig P-384 root", &rk, Sha384);
    let ca = issue(
        "docsig P-384 CA",
        ck.spki(),
        "docsig P-384 root",
        &rk,
        Sha384,
        true,
        spoil_ca,
    );
    // The P-384 CA signs the P-256 signer with SHA-256: a hash shorter than its curve, which
    // X.509 allows.
    let signer = issue(
        "docsig P-256 signer",
        sk.spki(),
        "docsig P-384 CA",
        &ck,
        Sha256,
        false,
        |_| {},
    );
    EcChain {
        root,
        ca,
        signer,
        signer_key: sk,
    }
}

/// A detached CMS (CAdES-B-B attributes) over `content`, signed by `chain`'s signer with
/// ECDSA-with-SHA256 and carrying the signer and CA certificates.
pub fn ecdsa_cms(chain: &EcChain, content: &[u8]) -> Vec<u8> {
    let digest = HashAlgorithm::Sha256.digest(content);
    let attrs = c::signed_attributes(&digest, chain.signer.x509(), Some(at())).unwrap();
    let signed = c::signed_attributes_der(&attrs).unwrap();
    let signature = chain.signer_key.sign(HashAlgorithm::Sha256, &signed);
    let der = c::assemble(
        None,
        attrs,
        chain.signer.x509(),
        Some(chain.ca.x509()),
        &signature,
    )
    .unwrap();
    // `assemble` names RSA; this signer is ECDSA.
    let mut sd = c::parse(&der).unwrap();
    let mut si = sd.signer_infos.0.iter().next().unwrap().clone();
    si.signature_algorithm = ecdsa_with(HashAlgorithm::Sha256);
    sd.signer_infos = cms::signed_data::SignerInfos::try_from(vec![si]).unwrap();
    ContentInfo {
        content_type: c::ID_SIGNED_DATA,
        content: Any::encode_from(&sd).unwrap(),
    }
    .to_der()
    .unwrap()
}
