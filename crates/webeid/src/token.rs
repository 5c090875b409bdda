//! The Web eID authentication token (format `web-eid:1.0`) and the value it signs.
//!
//! Facts (Web eID system architecture document, "authentication token format", and
//! `web-eid-app` `authenticate.cpp`, summarised in the project's `shared/webeid.md`): the
//! authentication key signs `H(origin) || H(challengeNonce)` (both UTF-8, `H` = SHA-256 for
//! `RS256`) with the algorithm named in the token; for `RS256` that is an RSASSA-PKCS1-v1_5
//! signature with SHA-256 over those 64 bytes, that is over the digest
//! `SHA-256(SHA-256(origin) || SHA-256(challengeNonce))`.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The token format this application writes.
pub const FORMAT: &str = "web-eid:1.0";

/// The token's algorithm for today's My Number Card (RSA-2048, PKCS#1 v1.5, SHA-256).
pub const ALGORITHM_RS256: &str = "RS256";

/// The authentication token, as the `authenticate` command returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthToken {
    /// The user-authentication certificate, base64 of its DER (not verified by the browser).
    pub unverified_certificate: String,
    /// The signature algorithm (`RS256`).
    pub algorithm: String,
    /// The signature, base64.
    pub signature: String,
    /// The token format (`web-eid:1.0`).
    pub format: String,
    /// A URL describing the application that made the token.
    pub app_version: String,
}

/// The 64 bytes the authentication key signs: `SHA-256(origin) || SHA-256(challengeNonce)`.
pub fn signed_data(origin: &str, challenge_nonce: &str) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&Sha256::digest(origin.as_bytes()));
    out[32..].copy_from_slice(&Sha256::digest(challenge_nonce.as_bytes()));
    out
}

/// The SHA-256 digest that goes into the card's DigestInfo: `SHA-256(signed_data(..))`.
pub fn signed_digest(origin: &str, challenge_nonce: &str) -> [u8; 32] {
    Sha256::digest(signed_data(origin, challenge_nonce)).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_value_is_the_two_hashes_in_order() {
        let d = signed_data("https://example.jp", "n");
        // SHA-256("n") and the origin's hash, each in its place.
        assert_eq!(&d[32..], &Sha256::digest(b"n")[..]);
        assert_eq!(&d[..32], &Sha256::digest(b"https://example.jp")[..]);
        assert_ne!(
            signed_data("https://example.jp", "n"),
            signed_data("n", "https://example.jp")
        );
        assert_eq!(
            signed_digest("https://example.jp", "n"),
            <[u8; 32]>::from(Sha256::digest(d))
        );
    }
}
