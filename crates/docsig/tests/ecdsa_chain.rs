//! A CMS whose signer certificate chains to an ECDSA P-384 anchor (the next-generation card's
//! announced algorithm, docs/card.md §10) is trusted; with a CA signature corrupted it is not.

mod common;

use mynacard::cert::Hierarchy;
use mynacard_docsig::{verify_cms, Trust, Verdict};

use common::pki::*;

const CONTENT: &[u8] = b"Next-generation card, ECDSA P-384 CA. 2026-11-27\n";

fn trust(chain: &EcChain) -> Trust {
    Trust {
        extra_anchors: vec![chain.root.clone()],
        ..Trust::default()
    }
}

#[test]
fn cms_chaining_to_an_ecdsa_p384_anchor_is_valid() {
    let chain = ec_chain(Tamper::None);
    let cms = ecdsa_cms(&chain, CONTENT);
    let r = verify_cms(&cms, Some(CONTENT), &trust(&chain));
    assert_eq!(r.verdict, Verdict::Valid, "{}", r.detail);
    assert_eq!(r.hierarchy, Some(Hierarchy::Custom));
    assert!(r.detail.contains("chain of 3"), "{}", r.detail);
    // The same CMS without the anchor is not trusted.
    let r = verify_cms(&cms, Some(CONTENT), &Trust::default());
    assert!(!r.verdict.is_valid(), "{r:?}");
    // Nor other content.
    assert_eq!(
        verify_cms(&cms, Some(b"other"), &trust(&chain)).verdict,
        Verdict::WrongContent
    );
}

#[test]
fn a_corrupted_ca_signature_breaks_the_chain() {
    // A flipped bit in the CA certificate's ECDSA signature (the low bit of `s`: still DER).
    let chain = ec_chain(Tamper::SignatureBit);
    let r = verify_cms(&ecdsa_cms(&chain, CONTENT), Some(CONTENT), &trust(&chain));
    assert_eq!(r.verdict, Verdict::ChainBroken, "{}", r.detail);
    assert!(r.detail.contains("docsig P-384 CA"), "{}", r.detail);
    assert!(r.detail.contains("does not verify"), "{}", r.detail);
    // Bytes after the DER Ecdsa-Sig-Value: malformed, named as such.
    let chain = ec_chain(Tamper::TrailingByte);
    let r = verify_cms(&ecdsa_cms(&chain, CONTENT), Some(CONTENT), &trust(&chain));
    assert_eq!(r.verdict, Verdict::ChainBroken, "{}", r.detail);
    assert!(r.detail.contains("Ecdsa-Sig-Value"), "{}", r.detail);
}
