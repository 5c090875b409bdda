//! CV certificates and the text-assist signed public key: never panic; what parses is
//! consistent (the signed data lies inside the body, the key ids are the first 32 bytes of it),
//! and checking a signature under any key never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mynacard::cvc::{CvCertificate, IssuerKeys, SignedPublicKey};

fuzz_target!(|data: &[u8]| {
    if let Ok(cv) = CvCertificate::parse(data) {
        let signed = cv.signed_data();
        assert!(cv.body.ends_with(signed));
        assert_eq!(&signed[..16], &cv.issuer_id);
        assert_eq!(&signed[16..32], &cv.subject_id);
        assert!(!cv.modulus.is_empty() && !cv.exponent.is_empty());
        let _ = cv.verify(&IssuerKeys::production_and_test());
        let _ = cv.verify_with(&cv.rsa_key());
        let _ = cv.issuer_key_id().to_string();
        if let Ok(k) = SignedPublicKey::parse(data) {
            let _ = k.check_signature(&cv);
        }
    }
    if let Ok(k) = SignedPublicKey::parse(data) {
        assert!(k.signed_data().starts_with(&[0xDF, 0x51]));
        assert!(!k.key.modulus.is_empty());
    }
});
