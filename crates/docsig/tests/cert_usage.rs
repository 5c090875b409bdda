//! The signer's certificate must be one for signatures, and no certificate of the chain may
//! carry a critical extension the verifier does not recognise (issue 20, defects 9 and 10):
//! CMS signatures by certificates issued here, under a test root accepted as an extra anchor.

mod common;

use common::pki::*;
use mynacard::cert::Certificate;
use mynacard::crypto::HashAlgorithm;
use mynacard_docsig::{verify_cms, Trust, Verdict};
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use x509_cert::ext::Extension;

const CONTENT: &[u8] = b"a contract";

/// A P-384 root and CA, and a P-256 signer under the CA with `signer_ext`; the CA gets its
/// default extensions plus `ca_extra`.
fn chain_with(signer_ext: Vec<Extension>, ca_extra: Option<Extension>) -> EcChain {
    use HashAlgorithm::*;
    let (rk, ck, sk) = (p384(0x51), p384(0x52), p256(0x53));
    let root = root("usage root", &rk, Sha384);
    let mut ca_ext = default_extensions(true);
    ca_ext.extend(ca_extra);
    let ca = issue_with(
        "usage CA",
        ck.spki(),
        "usage root",
        &rk,
        Sha384,
        ca_ext,
        &Tamper::None,
    );
    let signer = issue_with(
        "usage signer",
        sk.spki(),
        "usage CA",
        &ck,
        Sha256,
        signer_ext,
        &Tamper::None,
    );
    EcChain {
        root,
        ca,
        signer,
        signer_key: sk,
    }
}

fn trust(root: &Certificate) -> Trust {
    Trust {
        extra_anchors: vec![root.clone()],
        at: Some(at()),
        ..Trust::default()
    }
}

fn verdict(chain: &EcChain) -> (Verdict, String) {
    let cms = ecdsa_cms(chain, CONTENT);
    let r = verify_cms(&cms, Some(CONTENT), &trust(&chain.root));
    (r.verdict, r.detail)
}

fn key_usage(u: KeyUsages) -> Extension {
    ext("2.5.29.15", &KeyUsage(u.into()))
}

fn end_entity() -> Extension {
    ext(
        "2.5.29.19",
        &BasicConstraints {
            ca: false,
            path_len_constraint: None,
        },
    )
}

#[test]
fn the_default_signer_is_valid() {
    let (v, d) = verdict(&chain_with(default_extensions(false), None));
    assert_eq!(v, Verdict::Valid, "{d}");
}

#[test]
fn a_signer_whose_key_usage_forbids_signing_is_refused() {
    // keyEncipherment only: RFC 5280 §4.2.1.3 forbids its key to sign.
    let (v, d) = verdict(&chain_with(
        vec![key_usage(KeyUsages::KeyEncipherment), end_entity()],
        None,
    ));
    assert_eq!(v, Verdict::KeyUsageForbidsSigning, "{d}");
    assert!(d.contains("keyEncipherment"), "{d}");
    // keyCertSign only is no better.
    let (v, _) = verdict(&chain_with(
        vec![key_usage(KeyUsages::KeyCertSign), end_entity()],
        None,
    ));
    assert_eq!(v, Verdict::KeyUsageForbidsSigning);
    // Either signing bit alone is enough; no key-usage extension allows any use.
    for ku in [KeyUsages::DigitalSignature, KeyUsages::NonRepudiation] {
        let (v, d) = verdict(&chain_with(vec![key_usage(ku), end_entity()], None));
        assert_eq!(v, Verdict::Valid, "{ku:?}: {d}");
    }
    let (v, d) = verdict(&chain_with(vec![end_entity()], None));
    assert_eq!(v, Verdict::Valid, "{d}");
}

/// An extension under a private OID no verifier knows.
fn unknown(critical: bool) -> Extension {
    let mut e = ext("1.3.6.1.4.1.55555.2.7", &der::asn1::Null);
    e.critical = critical;
    e
}

#[test]
fn an_unrecognised_critical_extension_in_the_chain_is_refused() {
    let mut signer = default_extensions(false);
    signer.push(unknown(true));
    let (v, d) = verdict(&chain_with(signer, None));
    assert_eq!(v, Verdict::UnrecognisedCriticalExtension, "{d}");
    assert!(
        d.contains("1.3.6.1.4.1.55555.2.7") && d.contains("usage signer"),
        "{d}"
    );
    // In the CA certificate carried in the signature.
    let (v, d) = verdict(&chain_with(default_extensions(false), Some(unknown(true))));
    assert_eq!(v, Verdict::UnrecognisedCriticalExtension, "{d}");
    assert!(d.contains("usage CA"), "{d}");
    // Not critical: ignored, as RFC 5280 §4.2 allows.
    let mut signer = default_extensions(false);
    signer.push(unknown(false));
    let (v, d) = verdict(&chain_with(signer, Some(unknown(false))));
    assert_eq!(v, Verdict::Valid, "{d}");
}

#[test]
fn the_virtual_cards_signatures_still_verify() {
    // Its certificates follow the JPKI profile (critical key usage and certificate policies).
    let (mut card, _) = common::card();
    let s = mynacard_docsig::sign_cms(
        &mut card,
        &common::sign_pw(),
        CONTENT,
        &common::options_known_virtual(),
    )
    .unwrap();
    let r = verify_cms(&s.der, Some(CONTENT), &common::trust_virtual());
    assert_eq!(r.verdict, Verdict::Valid, "{}", r.detail);
}
