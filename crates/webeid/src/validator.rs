//! Checking an authentication token on the relying party's server.
//!
//! Given the token the browser posted, the origin of the site and the challenge nonce the
//! server issued for this login, [`Validator::validate`] checks, in this order: the token's
//! shape and format (`web-eid:1`), its algorithm (`RS256`), the certificate's validity now, its
//! key usage (digitalSignature), its chain to the J-LIS user-authentication roots (the
//! library's [`TrustStore::verify`]; the JPKI-TEST and virtual-card hierarchies only when asked
//! for), and the signature over `SHA-256(origin) || SHA-256(nonce)` under the certificate's key.
//!
//! The origin and the nonce are not in the token: they are only in what was signed. So a token
//! made for another site or another challenge, or a forged one, all fail the same way, as
//! [`Refusal::SignatureMismatch`]; no check can tell which of the two values differed. Keeping
//! each nonce for one use and a short time is the server's part (as in every Web eID server
//! library).
//!
//! The JPKI user-authentication certificate carries no name: [`Identity`] returns what it has
//! (subject, serial number, issuer, validity, fingerprint, hierarchy).

use std::time::SystemTime;

use base64ct::{Base64, Encoding};
use mynacard::cert::{Certificate, Hierarchy, KeyUsageBit, TrustStore};
use mynacard::crypto::{CertTime, HashAlgorithm, TrustError};
use mynacard::sign::{verify_signature, SignatureScheme, ToSign};

use crate::protocol::{check_nonce, check_origin};
use crate::token::{signed_data, AuthToken, ALGORITHM_RS256};

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The token is not a Web eID token: not JSON of the right shape, bad base64, or a
    /// certificate that does not parse.
    Malformed(String),
    /// A format other than `web-eid:1.x`.
    UnsupportedFormat(String),
    /// An algorithm other than `RS256`.
    UnsupportedAlgorithm(String),
    /// The expected origin given to the validator is not `https://host[:port]` (a caller bug).
    BadExpectedOrigin(String),
    /// The expected nonce given to the validator is not 44 to 128 characters (a caller bug).
    BadExpectedNonce(String),
    /// The signature does not verify over this origin and nonce: the token was made for another
    /// site or another challenge (a replay), or not with this certificate's key.
    SignatureMismatch,
    /// The certificate's validity ended before now.
    Expired {
        /// Its end of validity.
        not_after: CertTime,
    },
    /// The certificate's validity has not begun.
    NotYetValid {
        /// Its start of validity.
        not_before: CertTime,
    },
    /// The certificate is not for digital signatures (no digitalSignature key usage).
    KeyUsage(String),
    /// The certificate does not chain to a trusted root.
    Untrusted(TrustError),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Malformed(w) => write!(f, "malformed token: {w}"),
            Refusal::UnsupportedFormat(w) => write!(f, "unsupported token format \"{w}\""),
            Refusal::UnsupportedAlgorithm(w) => write!(f, "unsupported algorithm \"{w}\""),
            Refusal::BadExpectedOrigin(w) => write!(f, "bad expected origin: {w}"),
            Refusal::BadExpectedNonce(w) => write!(f, "bad expected nonce: {w}"),
            Refusal::SignatureMismatch => f.write_str(
                "the signature does not verify for this origin and nonce (a token for another \
                 site or challenge, or not made with this certificate's key)",
            ),
            Refusal::Expired { not_after } => write!(f, "the certificate expired at {not_after}"),
            Refusal::NotYetValid { not_before } => {
                write!(f, "the certificate is valid only from {not_before}")
            }
            Refusal::KeyUsage(w) => write!(f, "the certificate's key usage: {w}"),
            Refusal::Untrusted(e) => write!(f, "untrusted certificate: {e}"),
        }
    }
}

impl std::error::Error for Refusal {}

/// What a valid token proves: the card's user-authentication certificate and where it chains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The subject name (the JPKI user-authentication certificate has no personal name).
    pub subject: String,
    /// The serial number, hexadecimal.
    pub serial_hex: String,
    /// The issuer name.
    pub issuer: String,
    /// End of validity.
    pub not_after: CertTime,
    /// SHA-256 of the certificate's DER, hexadecimal: a stable identifier of this certificate.
    pub fingerprint_sha256: String,
    /// The hierarchy the chain ends in ([`Hierarchy::Production`] for a real card).
    pub hierarchy: Hierarchy,
    /// The verified certificate.
    pub certificate: Certificate,
}

/// The token validator of a relying party.
#[derive(Debug, Clone)]
pub struct Validator {
    trust: TrustStore,
}

impl Default for Validator {
    fn default() -> Self {
        Validator::production()
    }
}

impl Validator {
    /// Trusts the J-LIS production roots only.
    pub fn production() -> Self {
        Validator {
            trust: TrustStore::production(),
        }
    }

    /// Also trusts the `O=JPKI-TEST` roots of J-LIS test cards (never for production logins).
    pub fn with_jpki_test_roots(self) -> Self {
        let mut trust = TrustStore::production_and_test();
        for (c, h) in self.trust.anchors() {
            if h == Hierarchy::Custom {
                trust = trust.with_custom_anchor(c.clone());
            }
        }
        Validator { trust }
    }

    /// Also trusts `anchor` (reported as [`Hierarchy::Custom`]).
    pub fn with_anchor(self, anchor: Certificate) -> Self {
        Validator {
            trust: self.trust.with_custom_anchor(anchor),
        }
    }

    /// Also trusts the virtual card's user-authentication root (tests and demonstrations only).
    #[cfg(feature = "sim")]
    pub fn with_virtual_card_root(self) -> Self {
        match Certificate::from_der(&mynacard::sim::pki::virtual_auth_ca()) {
            Ok(c) => self.with_anchor(c),
            Err(_) => self,
        }
    }

    /// Validates the token's JSON (as posted by the page) now.
    pub fn validate_json(
        &self,
        token: &str,
        origin: &str,
        nonce: &str,
    ) -> Result<Identity, Refusal> {
        let t: AuthToken =
            serde_json::from_str(token).map_err(|e| Refusal::Malformed(e.to_string()))?;
        self.validate(&t, origin, nonce)
    }

    /// Validates `token` for `origin` and the `nonce` issued for this login, now.
    pub fn validate(
        &self,
        token: &AuthToken,
        origin: &str,
        nonce: &str,
    ) -> Result<Identity, Refusal> {
        self.validate_at(token, origin, nonce, SystemTime::now())
    }

    /// [`Validator::validate`] at a given time.
    pub fn validate_at(
        &self,
        token: &AuthToken,
        origin: &str,
        nonce: &str,
        at: SystemTime,
    ) -> Result<Identity, Refusal> {
        check_origin(origin).map_err(Refusal::BadExpectedOrigin)?;
        check_nonce(nonce).map_err(Refusal::BadExpectedNonce)?;
        if !(token.format == "web-eid:1" || token.format.starts_with("web-eid:1.")) {
            return Err(Refusal::UnsupportedFormat(
                token.format.chars().take(40).collect(),
            ));
        }
        if token.algorithm != ALGORITHM_RS256 {
            return Err(Refusal::UnsupportedAlgorithm(
                token.algorithm.chars().take(40).collect(),
            ));
        }
        let der = Base64::decode_vec(&token.unverified_certificate)
            .map_err(|_| Refusal::Malformed("the certificate is not valid base64".into()))?;
        let signature = Base64::decode_vec(&token.signature)
            .map_err(|_| Refusal::Malformed("the signature is not valid base64".into()))?;
        let cert = Certificate::from_der(&der)
            .map_err(|e| Refusal::Malformed(format!("the certificate: {e}")))?;
        let now = CertTime::from_system_time(at);
        if now < cert.not_before() {
            return Err(Refusal::NotYetValid {
                not_before: cert.not_before(),
            });
        }
        if now > cert.not_after() {
            return Err(Refusal::Expired {
                not_after: cert.not_after(),
            });
        }
        match cert.key_usage() {
            Ok(Some(bits)) if bits.contains(&KeyUsageBit::DigitalSignature) => {}
            Ok(Some(_)) => return Err(Refusal::KeyUsage("no digitalSignature".into())),
            Ok(None) => return Err(Refusal::KeyUsage("no key-usage extension".into())),
            Err(e) => return Err(Refusal::KeyUsage(e)),
        }
        let report = self
            .trust
            .verify(&cert, &[], at)
            .map_err(Refusal::Untrusted)?;
        let key = cert
            .public_key()
            .map_err(|e| Refusal::Malformed(format!("the certificate's key: {e}")))?;
        verify_signature(
            &key,
            SignatureScheme::Pkcs1v15(HashAlgorithm::Sha256),
            ToSign::Message(&signed_data(origin, nonce)),
            &signature,
        )
        .map_err(|_| Refusal::SignatureMismatch)?;
        Ok(Identity {
            subject: cert.subject(),
            serial_hex: cert.serial_hex(),
            issuer: cert.issuer(),
            not_after: cert.not_after(),
            fingerprint_sha256: cert.sha256_fingerprint(),
            hierarchy: report.hierarchy,
            certificate: cert,
        })
    }
}
