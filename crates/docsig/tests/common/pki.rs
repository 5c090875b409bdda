//! ECDSA test certificates and a CMS signed by an ECDSA key, issued in the tests (P-256/P-384
//! keys from fixed scalars: TEST KEYS ONLY, never production). The certificates are issued by
//! the library's test issuer, tests/common/x509_issue.rs, included here by path.
#![allow(dead_code)]

use cms::content_info::ContentInfo;
use der::{Any, Encode};
use mynacard::cert::Certificate;
use mynacard::crypto::HashAlgorithm;
use mynacard_docsig::cms as c;

#[path = "../../../../tests/common/x509_issue.rs"]
mod x509_issue;
#[allow(unused_imports)]
pub use x509_issue::{
    at, default_extensions, ext, issue, issue_with, p256, p384, root, Key, Tamper,
};

/// A P-384 root, a P-384 CA under it (its signature spoiled as `spoil_ca` says) and a P-256
/// signer under that CA, with the signer's key: the next card's announced curve for the CAs,
/// and another curve for the signer.
pub struct EcChain {
    pub root: Certificate,
    pub ca: Certificate,
    pub signer: Certificate,
    pub signer_key: Key,
}

pub fn ec_chain(spoil_ca: Tamper) -> EcChain {
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
        &spoil_ca,
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
        &Tamper::None,
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
    si.signature_algorithm = chain.signer_key.algorithm(HashAlgorithm::Sha256);
    sd.signer_infos = cms::signed_data::SignerInfos::try_from(vec![si]).unwrap();
    ContentInfo {
        content_type: c::ID_SIGNED_DATA,
        content: Any::encode_from(&sd).unwrap(),
    }
    .to_der()
    .unwrap()
}
