//! The chain walk and critical extensions (RFC 5280 §4.2): a certificate of the path with a
//! critical extension the walk does not recognise is refused, whichever place it holds (leaf,
//! intermediate, anchor); the same extension marked non-critical is ignored; and every real JPKI
//! certificate we have (production and test roots, the test card's certificates, whose
//! certificatePolicies and keyUsage are critical) still verifies.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mynacard::cert::{Certificate, Hierarchy, TrustStore, RECOGNISED_EXTENSIONS};
use mynacard::crypto::{HashAlgorithm, TrustError};
use x509_cert::ext::Extension;

#[path = "common/x509_issue.rs"]
mod x509_issue;
use x509_issue::*;

/// An extension under an OID no one recognises (a private arc), holding a NULL.
fn unknown(critical: bool) -> Extension {
    let mut e = ext("1.3.6.1.4.1.55555.1.1", &der::asn1::Null);
    e.critical = critical;
    e
}

/// An RSA root, an RSA CA under it and a leaf under the CA, each with its default extensions
/// plus `extra` where `place` says (0 leaf, 1 CA, 2 root).
fn chain(place: usize, extra: Extension) -> (Certificate, Certificate, Certificate) {
    use HashAlgorithm::Sha256;
    let k = rsa();
    let with = |i: usize, ca: bool| {
        let mut v = default_extensions(ca);
        if i == place {
            v.push(extra.clone());
        }
        v
    };
    let root = issue_with(
        "ext root",
        k.spki(),
        "ext root",
        &k,
        Sha256,
        with(2, true),
        &Tamper::None,
    );
    let ca = issue_with(
        "ext CA",
        k.spki(),
        "ext root",
        &k,
        Sha256,
        with(1, true),
        &Tamper::None,
    );
    let leaf = issue_with(
        "ext leaf",
        p256(9).spki(),
        "ext CA",
        &k,
        Sha256,
        with(0, false),
        &Tamper::None,
    );
    (root, ca, leaf)
}

fn walk(place: usize, extra: Extension) -> Result<mynacard::cert::ChainReport, TrustError> {
    let (root, ca, leaf) = chain(place, extra);
    TrustStore::empty()
        .with_custom_anchor(root)
        .verify(&leaf, &[ca], at())
}

#[test]
fn an_unrecognised_critical_extension_anywhere_in_the_path_is_refused() {
    for (place, who) in [(0, "ext leaf"), (1, "ext CA"), (2, "ext root")] {
        match walk(place, unknown(true)) {
            Err(TrustError::UnrecognisedCriticalExtension { subject, oid }) => {
                assert!(subject.contains(who), "{place}: {subject}");
                assert_eq!(oid, "1.3.6.1.4.1.55555.1.1");
            }
            other => panic!("{who}: expected UnrecognisedCriticalExtension, got {other:?}"),
        }
    }
}

#[test]
fn the_same_extension_not_critical_is_ignored() {
    for place in 0..3 {
        let r = walk(place, unknown(false)).unwrap();
        assert_eq!(r.path.len(), 3);
        assert_eq!(r.hierarchy, Hierarchy::Custom);
    }
}

#[test]
fn recognised_extensions_marked_critical_pass() {
    // certificatePolicies (anyPolicy) critical on the leaf, as JPKI marks it; and every other
    // recognised OID, critical, with a value the walk does not need to read.
    let any_policy = x509_cert::ext::pkix::CertificatePolicies(vec![
        x509_cert::ext::pkix::certpolicy::PolicyInformation {
            policy_identifier: oid("2.5.29.32.0"),
            policy_qualifiers: None,
        },
    ]);
    assert!(walk(0, ext("2.5.29.32", &any_policy)).is_ok());
    for id in RECOGNISED_EXTENSIONS {
        if ["2.5.29.15", "2.5.29.19"].contains(&id) {
            continue; // already there, and read by the walk
        }
        assert!(walk(0, ext(id, &der::asn1::Null)).is_ok(), "{id}");
    }
    // Constraints the walk does not enforce are not recognised: nameConstraints critical on the
    // CA is refused rather than silently ignored.
    assert!(matches!(
        walk(1, ext("2.5.29.30", &der::asn1::Null)),
        Err(TrustError::UnrecognisedCriticalExtension { .. })
    ));
}

#[test]
fn real_jpki_certificates_still_verify() {
    // Each production and test root as its own anchor, at a time inside its validity.
    let roots: [(&[u8], u64); 10] = [
        (include_bytes!("../data/jlis-roots/authca01.cer"), 2020),
        (include_bytes!("../data/jlis-roots/authca02.cer"), 2026),
        (include_bytes!("../data/jlis-roots/authca03.cer"), 2030),
        (include_bytes!("../data/jlis-roots/signca01.cer"), 2020),
        (include_bytes!("../data/jlis-roots/signca02.cer"), 2026),
        (include_bytes!("../data/jlis-roots/signca03.cer"), 2030),
        (
            include_bytes!("../data/jlis-roots/test-hierarchy/authca-test-2019.cer"),
            2024,
        ),
        (
            include_bytes!("../data/jlis-roots/test-hierarchy/authca-test-2023.cer"),
            2027,
        ),
        (
            include_bytes!("../data/jlis-roots/test-hierarchy/signca-test-2019.cer"),
            2024,
        ),
        (
            include_bytes!("../data/jlis-roots/test-hierarchy/signca-test-2024.cer"),
            2027,
        ),
    ];
    for (der, year) in roots {
        let root = Certificate::from_der(der).unwrap();
        let at = year_start(year);
        let critical: Vec<String> = root
            .x509()
            .tbs_certificate()
            .extensions()
            .into_iter()
            .flatten()
            .filter(|e| e.critical)
            .map(|e| e.extn_id.to_string())
            .collect();
        assert!(critical.contains(&"2.5.29.15".to_owned()), "{critical:?}");
        let r = TrustStore::empty()
            .with_custom_anchor(root.clone())
            .verify(&root, &[], at);
        assert!(r.is_ok(), "{}: {r:?}", root.subject());
    }
    // The test card's end-entity certificates mark certificatePolicies critical.
    let trust = TrustStore::production_and_test();
    for (leaf, ca) in [
        (
            &include_bytes!("data/jpki-auth-cert.der")[..],
            &include_bytes!("data/jpki-auth-ca-cert.der")[..],
        ),
        (
            include_bytes!("data/jpki-sign-cert.der"),
            include_bytes!("data/jpki-sign-ca-cert.der"),
        ),
    ] {
        let leaf = Certificate::from_der(leaf).unwrap();
        let ca = Certificate::from_der(ca).unwrap();
        assert!(leaf
            .x509()
            .tbs_certificate()
            .extensions()
            .into_iter()
            .flatten()
            .any(|e| e.critical && e.extn_id.to_string() == "2.5.29.32"));
        let r = trust.verify(&leaf, &[ca], year_start(2027)).unwrap();
        assert_eq!(r.hierarchy, Hierarchy::JpkiTest);
    }
}

/// 1 January of `year`, 00:00 UTC (close enough: years of 365.2425 days).
fn year_start(year: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs((year - 1970) * 31_556_952)
}
