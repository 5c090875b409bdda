//! Fixed RSA keys for the virtual card. **Test keys, never production**: their private halves
//! are public, in this repository.
//!
//! Each is exactly the key [`super::pki`] would generate for its label and seed (the same
//! ChaCha20 stream), generated once and committed as PKCS#1 DER under `src/sim/keys/`, so
//! that tests, fuzzing and the CLI start without spending a second (sixteen under a fuzzing
//! sanitizer) on RSA key generation, and every certificate built from them is the same as
//! before. They cover the shared virtual hierarchy (seed 0) and the card keys of seeds 0 (the
//! default card), 1, 7 and 42 (the seeds the crate's tests use); other seeds generate theirs.
//!
//! To regenerate them (only if the generation itself changes), run
//!
//! ```text
//! MYNACARD_WRITE_TEST_KEYS=1 cargo test -p mynacard --features sim --lib -- --ignored fixed_test_keys
//! ```
//!
//! and without the variable the same test checks that every committed key is the generated one.

use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::PrivateKey;

/// One committed key: label, seed, PKCS#1 DER.
type Fixed = (&'static str, u64, &'static [u8]);

macro_rules! fixed {
    ($label:literal, $seed:literal) => {
        (
            $label,
            $seed,
            include_bytes!(concat!("keys/", $label, "-", $seed, ".der")),
        )
    };
}

/// The committed keys.
const FIXED: &[Fixed] = &[
    fixed!("virtual-auth-ca", 0),
    fixed!("virtual-sign-ca", 0),
    fixed!("virtual-text-issuer", 0),
    fixed!("virtual-cv-root", 0),
    fixed!("virtual-surface-issuer", 0),
    fixed!("virtual-cv-root-surface", 0),
    fixed!("card-auth", 0),
    fixed!("card-sign", 0),
    fixed!("card-text-ap", 0),
    fixed!("card-surface-ap", 0),
    fixed!("card-auth", 1),
    fixed!("card-sign", 1),
    fixed!("card-text-ap", 1),
    fixed!("card-surface-ap", 1),
    fixed!("card-auth", 7),
    fixed!("card-sign", 7),
    fixed!("card-text-ap", 7),
    fixed!("card-surface-ap", 7),
    fixed!("card-auth", 42),
    fixed!("card-sign", 42),
    fixed!("card-text-ap", 42),
    fixed!("card-surface-ap", 42),
];

/// The committed key for `label` and `seed`, if there is one.
pub(super) fn fixed(label: &str, seed: u64) -> Option<PrivateKey> {
    FIXED
        .iter()
        .find(|(l, s, _)| *l == label && *s == seed)
        .and_then(|(_, _, der)| PrivateKey::from_pkcs1_der(der).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::pki::{
        AUTH_CA, CARD_AUTH, CARD_SIGN, CARD_SURFACE_AP, CARD_TEXT_AP, CV_ROOT, CV_ROOT_SURFACE,
        SIGN_CA, SURFACE_ISSUER, TEXT_ISSUER,
    };
    use rsa::pkcs1::EncodeRsaPrivateKey;
    use rsa::traits::PublicKeyParts;

    /// Which keys are committed: the shared hierarchy (seed 0), and each card key for these seeds.
    fn wanted() -> Vec<(&'static str, u64)> {
        let mut v: Vec<(&str, u64)> = [
            AUTH_CA,
            SIGN_CA,
            TEXT_ISSUER,
            CV_ROOT,
            SURFACE_ISSUER,
            CV_ROOT_SURFACE,
        ]
        .into_iter()
        .map(|l| (l, crate::sim::pki::SHARED))
        .collect();
        for seed in [0, 1, 7, 42] {
            for l in [CARD_AUTH, CARD_SIGN, CARD_TEXT_AP, CARD_SURFACE_AP] {
                v.push((l, seed));
            }
        }
        v
    }

    #[test]
    fn every_wanted_key_is_committed_and_loads_as_a_2048_bit_key() {
        for (label, seed) in wanted() {
            let k = fixed(label, seed).unwrap_or_else(|| panic!("{label}-{seed} missing"));
            assert_eq!(k.n().bit_width(), 2048, "{label}-{seed}");
        }
        assert_eq!(
            FIXED.len(),
            wanted().len(),
            "no key committed that is not wanted"
        );
    }

    /// Regenerates (`MYNACARD_WRITE_TEST_KEYS=1`) or checks the committed keys. Ignored: it
    /// generates every key, which is what the committed keys are there to avoid.
    #[test]
    #[ignore]
    fn fixed_test_keys() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/sim/keys");
        let write = std::env::var_os("MYNACARD_WRITE_TEST_KEYS").is_some();
        for (label, seed) in wanted() {
            let der = super::super::pki::generate(label, seed)
                .to_pkcs1_der()
                .expect("a generated key encodes");
            let file = dir.join(format!("{label}-{seed}.der"));
            if write {
                std::fs::write(&file, der.as_bytes()).expect("writes the key file");
            } else {
                assert_eq!(
                    std::fs::read(&file).ok().as_deref(),
                    Some(der.as_bytes()),
                    "{}",
                    file.display()
                );
            }
        }
    }
}
