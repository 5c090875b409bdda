//! JPKI certificates: reading them off the card, parsing them, and checking their chain to the
//! J-LIS roots ([card facts §2](crate::card_facts#s2), [§6](crate::card_facts#s6),
//! [§9](crate::card_facts#s9)).
//!
//! * [`CertKind`] names the four certificates of the JPKI AP and their EFs. The signature
//!   certificate (`0001`) is readable only after the signature password (`6982` before,
//!   [card facts §2](crate::card_facts#s2)); [`Jpki::read_certificate`] says so with
//!   [`Error::NeedsVerification`](crate::Error::NeedsVerification) instead of a bare status word.
//! * [`Certificate`] wraps the DER with the fields a caller needs: subject, issuer, serial,
//!   validity, key usage and the public key ([`PublicKey`](crate::crypto::PublicKey), an enum so that the next-generation
//!   card's ECDSA P-384 keys fit without a breaking change,
//!   [card facts §10](crate::card_facts#s10)).
//! * [`TrustStore`] holds trust anchors. [`TrustStore::production`] holds the six J-LIS roots,
//!   embedded at compile time from `data/jlis-roots/`. The roots of one kind share a
//!   distinguished name across generations, so an issuer is resolved by name and then by
//!   signature ([card facts §9](crate::card_facts#s9)). The `O=JPKI-TEST` roots of test cards are
//!   accepted only by [`TrustStore::production_and_test`], which a caller must ask for; anchors
//!   added with [`TrustStore::with_custom_anchor`] (for example the virtual card's own hierarchy)
//!   are reported as [`Hierarchy::Custom`] and never as production.
//! * [`TrustStore::verify`] walks the chain. Accepted certificate signatures: RSA PKCS#1 v1.5
//!   with SHA-256/384/512 under an RSA issuer key (today's card, and the J-LIS roots) in every
//!   build; and, with the library's `ecdsa` feature, ecdsa-with-SHA256/384/512 under an
//!   `id-ecPublicKey` issuer key on P-256 or P-384 (the next-generation card,
//!   [card facts §10](crate::card_facts#s10)), any hash with either curve, as X.509 allows.
//!   RSA and ECDSA mix freely along a path. Without the feature an ECDSA signature is
//!   [`TrustError::Unsupported`](crate::crypto::TrustError::Unsupported) naming the feature;
//!   another curve is `Unsupported` naming its OID; a signature that is not one DER
//!   `Ecdsa-Sig-Value`, or an issuer point not on its curve, is
//!   [`TrustError::Malformed`](crate::crypto::TrustError::Malformed). The feature is optional
//!   because p256/p384 cost compile time and size that builds for today's RSA-only cards
//!   (kiosks, embedded) need not pay; mynacard-docsig, and so the CLI, turn it on.
//!   Every certificate of the path, the anchor included, is refused when it carries a
//!   critical extension outside [`RECOGNISED_EXTENSIONS`] (RFC 5280 §4.2), as
//!   [`TrustError::UnrecognisedCriticalExtension`](crate::crypto::TrustError::UnrecognisedCriticalExtension).
//!   What a certificate may be used for at the end of the path (key usage for a signature,
//!   say) is the caller's business: the walk does not know the purpose.
//! * [`TokenInfo`] (EF `0006`) says whether the token is a physical card or a phone;
//!   [`CertAvailability`] (EF `0008`) says which certificates exist.

mod read;
#[cfg(test)]
mod tests;
mod token;
mod trust;
mod x509;

use std::fmt;

use serde::Serialize;

use crate::applets::{jpki, Fid};

pub use read::Jpki;
pub use token::{CertAvailability, Presence, TokenInfo, TokenKind};
pub use trust::{ChainReport, Hierarchy, TrustStore, MAX_PATH, RECOGNISED_EXTENSIONS};
pub use x509::{CertSummary, Certificate, KeyUsageBit, OtherName};

/// One of the four certificates in the JPKI AP ([card facts §2](crate::card_facts#s2)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertKind {
    /// 利用者証明用電子証明書: the user-authentication certificate, EF `000A`, free to read.
    Auth,
    /// The user-authentication certificate's CA, EF `000B`, free to read.
    AuthCa,
    /// 署名用電子証明書: the signature certificate, EF `0001`; needs the signature password.
    Sign,
    /// The signature certificate's CA, EF `0002`, free to read.
    SignCa,
}

impl CertKind {
    /// All four, in the order the CLI lists them.
    pub const ALL: [CertKind; 4] = [
        CertKind::Auth,
        CertKind::AuthCa,
        CertKind::Sign,
        CertKind::SignCa,
    ];

    /// The EF that holds it.
    pub const fn fid(self) -> Fid {
        match self {
            CertKind::Auth => jpki::AUTH_CERT,
            CertKind::AuthCa => jpki::AUTH_CA_CERT,
            CertKind::Sign => jpki::SIGN_CERT,
            CertKind::SignCa => jpki::SIGN_CA_CERT,
        }
    }

    /// Its name as a person reads it: in Japanese the card's own words (署名用電子証明書…), in
    /// English [`CertKind::description`].
    pub const fn name(self, lang: crate::lang::Lang) -> &'static str {
        match lang {
            crate::lang::Lang::En => self.description(),
            crate::lang::Lang::Ja => match self {
                CertKind::Auth => "利用者証明用電子証明書",
                CertKind::AuthCa => "利用者証明用電子証明書の発行者(CA)証明書",
                CertKind::Sign => "署名用電子証明書",
                CertKind::SignCa => "署名用電子証明書の発行者(CA)証明書",
            },
        }
    }

    /// An English description.
    pub const fn description(self) -> &'static str {
        match self {
            CertKind::Auth => "user-authentication certificate",
            CertKind::AuthCa => "user-authentication CA certificate",
            CertKind::Sign => "signature certificate",
            CertKind::SignCa => "signature CA certificate",
        }
    }

    /// Whether reading it needs the signature password (only the signature certificate).
    pub const fn needs_signature_password(self) -> bool {
        matches!(self, CertKind::Sign)
    }

    /// The CA certificate that issued this kind's end-entity certificate (itself for a CA).
    pub const fn ca(self) -> CertKind {
        match self {
            CertKind::Auth | CertKind::AuthCa => CertKind::AuthCa,
            CertKind::Sign | CertKind::SignCa => CertKind::SignCa,
        }
    }
}

impl fmt::Display for CertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}
