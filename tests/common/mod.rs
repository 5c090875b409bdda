//! Helpers shared by the integration tests.

#![allow(dead_code, unused_imports)]

mod leaks;
pub use leaks::{assert_clean, without_hex_runs};

/// The stand-in terminal MAC, computed here as an independent terminal would, without the
/// library's own code: the first `MAC_LEN` bytes of HMAC-SHA256(`key`, `challenge`).
pub fn stand_in_mac(key: &[u8], challenge: &[u8]) -> Vec<u8> {
    use hmac::{Hmac, KeyInit, Mac};
    let mut m = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).unwrap();
    m.update(challenge);
    m.finalize().into_bytes()[..mynacard::reset::stand_in::MAC_LEN].to_vec()
}
