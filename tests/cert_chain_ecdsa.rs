//! Certificate chains whose CA keys are ECDSA (P-256, P-384), as the next-generation card's are
//! announced to be (docs/card.md §10), mixed with RSA, on certificates issued here.
//!
//! With the `ecdsa` feature every chain below must verify or fail with the precise error; without
//! it, every ECDSA certificate signature must be `TrustError::Unsupported` naming the feature,
//! while RSA signatures (an RSA root over an ECDSA leaf) still verify.

use std::str::FromStr;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use der::asn1::{BitString, Null, ObjectIdentifier, Uint};
use der::{Any, Decode, Encode, Sequence};
use mynacard::cert::{Certificate, Hierarchy, TrustStore};
use mynacard::crypto::{HashAlgorithm, TrustError};
use p256::ecdsa::signature::hazmat::PrehashSigner;
use rand_chacha::rand_core::SeedableRng;
use rsa::pkcs8::EncodePublicKey;
use x509_cert::certificate::Rfc5280;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};

const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";
const P521: &str = "1.3.132.0.35";

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

/// The outer Certificate: the TBS exactly as signed, the algorithm and the signature.
#[derive(Sequence)]
struct Cert {
    tbs: Any,
    algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

/// A test signing key.
enum Key {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    Rsa(&'static rsa::PrivateKey),
}

fn p256(n: u8) -> Key {
    Key::P256(p256::ecdsa::SigningKey::from_slice(&[n; 32]).unwrap())
}

fn p384(n: u8) -> Key {
    Key::P384(p384::ecdsa::SigningKey::from_slice(&[n; 48]).unwrap())
}

/// One RSA-2048 test key, from a fixed seed, generated once per run.
fn rsa() -> Key {
    static K: OnceLock<rsa::PrivateKey> = OnceLock::new();
    Key::Rsa(K.get_or_init(|| {
        let mut rng = rand_chacha::ChaCha20Rng::from_seed([7; 32]);
        rsa::PrivateKey::new(&mut rng, 2048).unwrap()
    }))
}

fn oid(s: &str) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(s)
}

/// An `id-ecPublicKey` SPKI naming `curve`, holding `point` as it is.
fn ec_spki(curve: &str, point: &[u8]) -> SubjectPublicKeyInfoOwned {
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
    fn point(&self) -> Vec<u8> {
        match self {
            Key::P256(k) => k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            Key::P384(k) => k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            Key::Rsa(_) => panic!("not an EC key"),
        }
    }

    fn spki(&self) -> SubjectPublicKeyInfoOwned {
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
    fn algorithm(&self, hash: HashAlgorithm) -> AlgorithmIdentifierOwned {
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
    fn sign(&self, hash: HashAlgorithm, tbs: &[u8]) -> Vec<u8> {
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
enum Tamper {
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

fn name(cn: &str) -> Name {
    Name::from_str(&format!("CN={cn},O=mynacard-ECDSA-TEST,C=JP")).unwrap()
}

fn time(y: u16) -> Time {
    Time::from(der::DateTime::new(y, 1, 1, 0, 0, 0).unwrap())
}

/// When the chains are checked: inside every validity period below.
fn at() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_795_000_000) // 2026-11
}

fn ext<T: Encode>(id: &str, value: &T) -> Extension {
    Extension {
        extn_id: oid(id),
        critical: true,
        extn_value: der::asn1::OctetString::new(value.to_der().unwrap()).unwrap(),
    }
}

/// Issues a certificate for `subject` with public key `spki`, signed by `issuer_key` with
/// `hash` in the name of `issuer`; a CA (keyCertSign) when `ca`.
#[allow(clippy::too_many_arguments)]
fn issue(
    subject: &str,
    spki: SubjectPublicKeyInfoOwned,
    issuer: &str,
    issuer_key: &Key,
    hash: HashAlgorithm,
    ca: bool,
    tamper: &Tamper,
) -> Certificate {
    let usage = if ca {
        KeyUsages::KeyCertSign | KeyUsages::CRLSign
    } else {
        KeyUsages::DigitalSignature | KeyUsages::NonRepudiation
    };
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
fn root(cn: &str, key: &Key, hash: HashAlgorithm) -> Certificate {
    issue(cn, key.spki(), cn, key, hash, true, &Tamper::None)
}

fn anchors(roots: &[&Certificate]) -> TrustStore {
    roots.iter().fold(TrustStore::empty(), |s, r| {
        s.with_custom_anchor((*r).clone())
    })
}

/// Whether this build checks ECDSA signatures.
const ECDSA: bool = cfg!(feature = "ecdsa");

/// Without the feature, the error for an ECDSA-signed `subject`.
fn assert_needs_feature(r: &Result<impl std::fmt::Debug, TrustError>, subject: &str) {
    match r {
        Err(TrustError::Unsupported { subject: s, reason }) => {
            assert!(s.contains(subject), "{s}");
            assert!(reason.contains("`ecdsa` feature"), "{reason}");
        }
        other => panic!("expected Unsupported naming the feature, got {other:?}"),
    }
}

/// `r` verified to a path of `len` ending in a custom anchor (with the feature), or is
/// Unsupported for `ecdsa_subject` (without it).
fn assert_chain(
    r: Result<mynacard::cert::ChainReport, TrustError>,
    len: usize,
    ecdsa_subject: &str,
) {
    if ECDSA {
        let ch = r.unwrap();
        assert_eq!(ch.path.len(), len);
        assert_eq!(ch.hierarchy, Hierarchy::Custom);
    } else {
        assert_needs_feature(&r, ecdsa_subject);
    }
}

#[test]
fn all_ecdsa_p384_chain_verifies() {
    use HashAlgorithm::Sha384;
    let (rk, ik, lk) = (p384(1), p384(2), p384(3));
    let root = root("P-384 root", &rk, Sha384);
    let inter = issue(
        "P-384 CA",
        ik.spki(),
        "P-384 root",
        &rk,
        Sha384,
        true,
        &Tamper::None,
    );
    let leaf = issue(
        "P-384 leaf",
        lk.spki(),
        "P-384 CA",
        &ik,
        Sha384,
        false,
        &Tamper::None,
    );
    let r = anchors(&[&root]).verify(&leaf, std::slice::from_ref(&inter), at());
    assert_chain(r.clone(), 3, "P-384 leaf");
    if ECDSA {
        let ch = r.unwrap();
        assert_eq!(ch.path, vec![leaf.clone(), inter.clone(), root.clone()]);
        assert_eq!(root.is_signed_by(&root), Ok(true));
        assert_eq!(leaf.is_signed_by(&inter), Ok(true));
        // The leaf's key did not sign the intermediate.
        assert_eq!(inter.is_signed_by(&leaf), Ok(false));
    }
    // Without the intermediate the leaf has no issuer.
    assert!(matches!(
        anchors(&[&root]).verify(&leaf, &[], at()),
        Err(TrustError::UnknownIssuer { .. })
    ));
}

/// A P-256 root over a P-384 intermediate over a P-256 leaf, with every hash that does not
/// match its curve: SHA-384 and SHA-512 under P-256 (truncated), SHA-256 under P-384 (shorter
/// than the order). X.509 allows each.
#[test]
fn p256_root_over_p384_intermediate_with_mismatched_hashes() {
    use HashAlgorithm::*;
    for (root_hash, inter_hash) in [(Sha384, Sha256), (Sha512, Sha256), (Sha256, Sha512)] {
        let (rk, ik, lk) = (p256(4), p384(5), p256(6));
        let root = root("P-256 root", &rk, root_hash);
        let inter = issue(
            "P-384 CA",
            ik.spki(),
            "P-256 root",
            &rk,
            root_hash,
            true,
            &Tamper::None,
        );
        let leaf = issue(
            "leaf",
            lk.spki(),
            "P-384 CA",
            &ik,
            inter_hash,
            false,
            &Tamper::None,
        );
        let r = anchors(&[&root]).verify(&leaf, std::slice::from_ref(&inter), at());
        assert_chain(r, 3, "leaf");
        // Signed with one hash, labelled with another: the labelled hash is the one checked.
        let other = if inter_hash == Sha256 { Sha384 } else { Sha256 };
        let lying = issue(
            "leaf",
            lk.spki(),
            "P-384 CA",
            &ik,
            inter_hash,
            false,
            &Tamper::HashName(other),
        );
        let r = anchors(&[&root]).verify(&lying, std::slice::from_ref(&inter), at());
        if ECDSA {
            bad_signature_on(r, "leaf");
        } else {
            assert_needs_feature(&r, "leaf");
        }
    }
}

#[test]
fn ecdsa_root_over_rsa_leaf() {
    let rk = p384(7);
    let root = root("P-384 root", &rk, HashAlgorithm::Sha384);
    let leaf = issue(
        "RSA leaf",
        rsa().spki(),
        "P-384 root",
        &rk,
        HashAlgorithm::Sha384,
        false,
        &Tamper::None,
    );
    assert_chain(anchors(&[&root]).verify(&leaf, &[], at()), 2, "RSA leaf");
}

/// An RSA signature needs no feature: this chain verifies in every build.
#[test]
fn rsa_root_over_ecdsa_intermediate_and_back() {
    use HashAlgorithm::*;
    let (rk, ik) = (rsa(), p384(8));
    let root = root("RSA root", &rk, Sha256);
    let inter = issue(
        "P-384 CA",
        ik.spki(),
        "RSA root",
        &rk,
        Sha256,
        true,
        &Tamper::None,
    );
    // RSA root over an ECDSA CA: no ECDSA signature to check.
    let ch = anchors(&[&root]).verify(&inter, &[], at()).unwrap();
    assert_eq!(ch.path, vec![inter.clone(), root.clone()]);
    // ...and that ECDSA CA over an RSA leaf.
    let leaf = issue(
        "RSA leaf",
        rk.spki(),
        "P-384 CA",
        &ik,
        Sha384,
        false,
        &Tamper::None,
    );
    let r = anchors(&[&root]).verify(&leaf, std::slice::from_ref(&inter), at());
    assert_chain(r, 3, "RSA leaf");
}

/// J-LIS roots of one kind share a name across generations: an RSA root and a P-384 root of
/// the same name are both tried, and each verifies what it signed.
#[test]
fn rsa_and_ecdsa_roots_of_one_name() {
    use HashAlgorithm::*;
    let (old, new) = (rsa(), p384(9));
    let old_root = root("Sign CA", &old, Sha256);
    let new_root = root("Sign CA", &new, Sha384);
    let store = anchors(&[&old_root, &new_root]);
    let lk = p256(10);
    let by_old = issue(
        "old leaf",
        lk.spki(),
        "Sign CA",
        &old,
        Sha256,
        false,
        &Tamper::None,
    );
    let by_new = issue(
        "new leaf",
        lk.spki(),
        "Sign CA",
        &new,
        Sha384,
        false,
        &Tamper::None,
    );
    assert_eq!(store.verify(&by_old, &[], at()).unwrap().path[1], old_root);
    let r = store.verify(&by_new, &[], at());
    if ECDSA {
        assert_eq!(r.unwrap().path[1], new_root);
    } else {
        assert_needs_feature(&r, "new leaf");
    }
    // An ECDSA signature under an RSA key (or the reverse) is simply not that key's.
    assert_eq!(by_new.is_signed_by(&old_root), Ok(false));
    if ECDSA {
        assert_eq!(by_old.is_signed_by(&new_root), Ok(false));
    }
    // A bad RSA signature with an ECDSA root of the same name is a bad signature, not
    // "unsupported".
    let bad = issue(
        "old leaf",
        lk.spki(),
        "Sign CA",
        &old,
        Sha256,
        false,
        &Tamper::SignatureBit,
    );
    assert!(
        matches!(
            store.verify(&bad, &[], at()),
            Err(TrustError::BadSignature { .. })
        ),
        "{:?}",
        store.verify(&bad, &[], at())
    );
}

fn bad_signature_on(r: Result<mynacard::cert::ChainReport, TrustError>, who: &str) {
    match r {
        Err(TrustError::BadSignature { subject, .. }) => {
            assert!(subject.contains(who), "{subject}")
        }
        other => panic!("expected BadSignature on {who}, got {other:?}"),
    }
}

#[test]
fn flipped_bits_fail_as_bad_signatures() {
    use HashAlgorithm::*;
    let (rk, ik, lk) = (p384(11), p256(12), p384(13));
    let root = root("root", &rk, Sha384);
    let good_inter = issue("CA", ik.spki(), "root", &rk, Sha384, true, &Tamper::None);
    for tamper in [Tamper::TbsBit, Tamper::SignatureBit] {
        // In the intermediate's signature by the root...
        let inter = issue("CA", ik.spki(), "root", &rk, Sha384, true, &tamper);
        let leaf = issue("leaf", lk.spki(), "CA", &ik, Sha256, false, &Tamper::None);
        let r = anchors(&[&root]).verify(&leaf, std::slice::from_ref(&inter), at());
        if ECDSA {
            bad_signature_on(r, "CA");
        } else {
            assert_needs_feature(&r, "leaf");
        }
        // ...and in the leaf's, by the intermediate.
        let leaf = issue("leaf", lk.spki(), "CA", &ik, Sha256, false, &tamper);
        let r = anchors(&[&root]).verify(&leaf, std::slice::from_ref(&good_inter), at());
        if ECDSA {
            bad_signature_on(r, "leaf");
        } else {
            assert_needs_feature(&r, "leaf");
        }
    }
}

fn malformed_on(r: Result<mynacard::cert::ChainReport, TrustError>, who: &str, why: &str) {
    match r {
        Err(TrustError::Malformed { subject, reason }) => {
            assert!(subject.contains(who), "{subject}");
            assert!(reason.contains(why), "{reason}");
        }
        other => panic!("expected Malformed on {who}, got {other:?}"),
    }
}

#[test]
fn signatures_that_are_not_one_der_ecdsa_sig_value_are_malformed() {
    use HashAlgorithm::*;
    for rk in [p256(14), p384(15)] {
        let root = root("root", &rk, Sha384);
        let lk = p256(16);
        for tamper in [Tamper::TrailingByte, Tamper::BareScalars] {
            let leaf = issue("leaf", lk.spki(), "root", &rk, Sha384, false, &tamper);
            let r = anchors(&[&root]).verify(&leaf, &[], at());
            if ECDSA {
                malformed_on(r, "leaf", "not a DER Ecdsa-Sig-Value");
                assert!(leaf.is_signed_by(&root).is_err());
            } else {
                assert_needs_feature(&r, "leaf");
            }
        }
        // The untouched one verifies, so the refusal above is the tampering's doing.
        let leaf = issue("leaf", lk.spki(), "root", &rk, Sha384, false, &Tamper::None);
        assert_chain(anchors(&[&root]).verify(&leaf, &[], at()), 2, "leaf");
    }
}

#[test]
fn wrong_curve_or_point_fails() {
    use HashAlgorithm::*;
    let rk = p384(17);
    let real = root("root", &rk, Sha384);
    let leaf = issue(
        "leaf",
        p256(18).spki(),
        "root",
        &rk,
        Sha384,
        false,
        &Tamper::None,
    );
    assert_chain(anchors(&[&real]).verify(&leaf, &[], at()), 2, "leaf");
    // The P-384 point under the P-256 OID: not a P-256 point.
    let wrong_curve = issue(
        "root",
        ec_spki(P256, &rk.point()),
        "root",
        &rk,
        Sha384,
        true,
        &Tamper::None,
    );
    // A P-384 point moved off the curve.
    let mut off = rk.point();
    *off.last_mut().unwrap() ^= 0x01;
    let off_curve = issue(
        "root",
        ec_spki(P384, &off),
        "root",
        &rk,
        Sha384,
        true,
        &Tamper::None,
    );
    for (anchor, why) in [(&wrong_curve, "P-256 point"), (&off_curve, "P-384 point")] {
        let r = anchors(&[anchor]).verify(&leaf, &[], at());
        if ECDSA {
            malformed_on(r, "root", why);
        } else {
            assert_needs_feature(&r, "leaf");
        }
    }
    // A valid point on the right curve, of another key: a bad signature.
    let other = root("root", &p384(19), Sha384);
    let r = anchors(&[&other]).verify(&leaf, &[], at());
    if ECDSA {
        bad_signature_on(r, "leaf");
    } else {
        assert_needs_feature(&r, "leaf");
    }
    // With the real root beside the broken ones, the chain still verifies.
    let r = anchors(&[&wrong_curve, &off_curve, &other, &real]).verify(&leaf, &[], at());
    assert_chain(r, 2, "leaf");
}

#[test]
fn unknown_curve_is_unsupported_with_its_oid() {
    use HashAlgorithm::*;
    let rk = p384(20);
    // A root that claims P-521 (or secp256k1) for its key.
    for curve in [P521, "1.3.132.0.10"] {
        let anchor = issue(
            "root",
            ec_spki(curve, &rk.point()),
            "root",
            &rk,
            Sha384,
            true,
            &Tamper::None,
        );
        let leaf = issue(
            "leaf",
            p256(21).spki(),
            "root",
            &rk,
            Sha384,
            false,
            &Tamper::None,
        );
        match anchors(&[&anchor]).verify(&leaf, &[], at()) {
            Err(TrustError::Unsupported { subject, reason }) => {
                assert!(subject.contains("leaf"), "{subject}");
                if ECDSA {
                    assert!(reason.contains(curve), "{reason}");
                } else {
                    assert!(reason.contains("`ecdsa` feature"), "{reason}");
                }
            }
            other => panic!("expected Unsupported, got {other:?}"),
        }
    }
}

/// An intermediate signed correctly but not allowed to sign certificates is refused whatever
/// its key type.
#[test]
fn an_ecdsa_non_ca_cannot_issue() {
    use HashAlgorithm::*;
    let (rk, ik) = (p384(22), p384(23));
    let root = root("root", &rk, Sha384);
    let not_ca = issue("CA", ik.spki(), "root", &rk, Sha384, false, &Tamper::None);
    let leaf = issue(
        "leaf",
        p256(24).spki(),
        "CA",
        &ik,
        Sha384,
        false,
        &Tamper::None,
    );
    let r = anchors(&[&root]).verify(&leaf, std::slice::from_ref(&not_ca), at());
    if ECDSA {
        assert!(matches!(r, Err(TrustError::NotCa { .. })), "{r:?}");
    } else {
        assert_needs_feature(&r, "leaf");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Arbitrary bytes as a P-384 issuer's ECDSA signature: an error (malformed or bad), never
    /// a panic and never a verified chain. Short DER-looking sequences are weighted in.
    #[test]
    fn arbitrary_signature_bytes_never_verify(
        body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..110),
        as_sequence in proptest::prelude::any::<bool>(),
    ) {
        let rk = p384(25);
        let root = root("root", &rk, HashAlgorithm::Sha384);
        let bytes = if as_sequence && body.len() < 128 {
            [&[0x30, body.len() as u8][..], &body].concat()
        } else {
            body
        };
        let leaf = issue(
            "leaf",
            p256(26).spki(),
            "root",
            &rk,
            HashAlgorithm::Sha384,
            false,
            &Tamper::Replace(bytes),
        );
        let r = anchors(&[&root]).verify(&leaf, &[], at());
        if ECDSA {
            proptest::prop_assert!(
                matches!(r, Err(TrustError::Malformed { .. } | TrustError::BadSignature { .. })),
                "{:?}",
                r
            );
        } else {
            assert_needs_feature(&r, "leaf");
        }
    }
}
