//! Certificate chains whose CA keys are ECDSA (P-256, P-384), as the next-generation card's are
//! announced to be (docs/card.md §10), mixed with RSA, on certificates issued here.
//!
//! With the `ecdsa` feature every chain below must verify or fail with the precise error; without
//! it, every ECDSA certificate signature must be `TrustError::Unsupported` naming the feature,
//! while RSA signatures (an RSA root over an ECDSA leaf) still verify.

use mynacard::cert::{Certificate, Hierarchy, TrustStore};
use mynacard::crypto::{HashAlgorithm, TrustError};

#[path = "common/x509_issue.rs"]
mod x509_issue;
use x509_issue::*;

const P521: &str = "1.3.132.0.35";

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
