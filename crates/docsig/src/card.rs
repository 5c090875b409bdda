//! Every call into the card API, in one place (the card API is being reshaped into
//! per-application handles; only this module changes then).
//!
//! A document signature with the signature key, from a cold card, is: SELECT JPKI, the lockout
//! guard's status query, VERIFY, READ BINARY of the signature certificate (readable only after
//! VERIFY), SIGN = 5 exchanges. The CA certificate costs no exchange when the signer's issuer
//! is a known CA certificate (the embedded J-LIS roots, which are the signature CA certificates
//! of EF `0002`, or ones the caller passes): it is found by name and by checking the signer's
//! certificate signature under its key. Otherwise EF `0002` is read: one READ BINARY more.
//! The certificate must be read before SIGN, since its hash is a signed attribute.

use mynacard::cert::{Certificate, TrustStore};
use mynacard::crypto::HashAlgorithm;
use mynacard::crypto::PublicKey;
use mynacard::sign::{JpkiPin, SignOptions, SignatureScheme, ToSign, Verification};
use mynacard::transport::Transport;
use mynacard::{Card, LastTry};

use crate::Error;

/// What the card produced.
pub(crate) struct CardSignature {
    /// The signer's certificate (read off the card).
    pub cert: Certificate,
    /// Its CA certificate (known, or read off the card).
    pub ca: Certificate,
    /// Whether the CA certificate was read off the card.
    pub ca_read: bool,
    /// The PKCS#1 v1.5 signature over the SHA-256 DigestInfo, checked under `cert`.
    pub signature: Vec<u8>,
}

/// The CA certificates known without reading the card: the embedded J-LIS roots (production
/// and test), which are what EF `0002`/`000B` hold.
pub fn embedded_cas() -> Vec<Certificate> {
    TrustStore::production_and_test()
        .anchors()
        .map(|(c, _)| c.clone())
        .collect()
}

/// Verifies `pin`, reads the certificate, finds its CA certificate, lets `digest_of` compute
/// the SHA-256 to sign from them (for CMS: of the signed attributes), and signs it, checking
/// the signature under the certificate's key.
pub(crate) fn sign_digest<T: Transport, P: JpkiPin>(
    card: &mut Card<T>,
    pin: &P,
    last_try: LastTry,
    known_cas: &[Certificate],
    digest_of: impl FnOnce(&Certificate, &Certificate) -> Result<Vec<u8>, Error>,
) -> Result<CardSignature, Error> {
    let key = P::KEY;
    card.verify_with(pin, last_try)?;
    let cert = card.jpki().read_certificate(key.cert())?;
    let public = cert
        .public_key()
        .map_err(|e| Error::Unsupported(format!("the card's certificate key: {e}")))?;
    if !matches!(public, PublicKey::Rsa(_)) {
        return Err(Error::Unsupported(format!(
            "the card's key is {public}; the card API signs with RSA only"
        )));
    }
    let issuer = cert.x509().tbs_certificate().issuer().clone();
    let known = known_cas.iter().find(|ca| {
        ca.x509().tbs_certificate().subject() == &issuer && cert.is_signed_by(ca) == Ok(true)
    });
    let (ca, ca_read) = match known {
        Some(ca) => (ca.clone(), false),
        None => (card.jpki().read_certificate(key.cert().ca())?, true),
    };
    let digest = digest_of(&cert, &ca)?;
    let options = SignOptions {
        verification: Verification::Key(public),
        last_try,
    };
    let sig = card.jpki().sign_verified(
        key,
        SignatureScheme::Pkcs1v15(HashAlgorithm::Sha256),
        ToSign::Digest(&digest),
        &options,
    )?;
    if !sig.checked {
        return Err(Error::Cms("the card's signature was not checked".into()));
    }
    Ok(CardSignature {
        cert,
        ca,
        ca_read,
        signature: sig.bytes,
    })
}
