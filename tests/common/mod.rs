//! Helpers shared by the integration tests.

#![allow(dead_code)]

/// `text` with every run of 16 or more hex digits (random challenges, MACs, salts, digests,
/// key material) replaced by `#`, so that a 4-digit PIN cannot match inside random hex by chance.
/// A PIN leaked into an APDU dump still shows, as its hex encoding, which is checked on the full
/// text.
pub fn without_hex_runs(text: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            if run.len() >= 16 {
                out.push('#');
            } else {
                out.push_str(&run);
            }
            run.clear();
            out.push(c);
        }
    }
    out
}

pub fn assert_clean(what: &str, text: &str, secrets: &[String]) {
    let plain = without_hex_runs(text);
    for s in secrets {
        assert!(
            !plain.contains(s.as_str()),
            "{what} holds a secret ({s}):\n{text}"
        );
        for form in [hex::encode_upper(s), hex::encode(s)] {
            assert!(
                !text.contains(&form),
                "{what} holds a secret ({form}):\n{text}"
            );
        }
    }
}

/// The stand-in terminal MAC, computed here as an independent terminal would, without the
/// library's own code: the first `MAC_LEN` bytes of HMAC-SHA256(`key`, `challenge`).
pub fn stand_in_mac(key: &[u8], challenge: &[u8]) -> Vec<u8> {
    use hmac::{Hmac, KeyInit, Mac};
    let mut m = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).unwrap();
    m.update(challenge);
    m.finalize().into_bytes()[..mynacard::reset::stand_in::MAC_LEN].to_vec()
}
