//! # mynacard-rustls
//!
//! The JPKI user-authentication key of the Japanese My Number Card (利用者証明用電子証明書) as
//! a [rustls](https://docs.rs/rustls) client-authentication key: a TLS client logs in to a
//! server that asks for a client certificate with the card, in TLS 1.3 or TLS 1.2.
//!
//! - [`CardKey::new`] reads the authentication certificate and the certificate of the CA that
//!   issued it off the card (both free to read: no PIN) and keeps the PIN for the moment of the
//!   signature.
//! - [`CardKey::resolver`] is the [`ResolvesClientCert`] for
//!   [`rustls::ConfigBuilder::with_client_cert_resolver`]; [`CardKey::certified_key`] the
//!   [`CertifiedKey`] (the card's certificate, then its CA certificate).
//! - Schemes: [`SignatureScheme::RSA_PSS_SHA256`] (TLS 1.3 allows only PSS for an RSA
//!   CertificateVerify, RFC 8446 §4.4.3) is signed by the card's P1=`04` over the SHA-256 of
//!   the message, with MGF1-SHA-256 and a 32-byte salt, TLS 1.3's `rsa_pss_rsae_sha256`
//!   (docs/card.md §7); [`SignatureScheme::RSA_PKCS1_SHA256`] (TLS 1.2) by P1=`00` over a
//!   SHA-256 DigestInfo. PSS is preferred when the peer offers both.
//! - Every signature goes through the library: VERIFY with the lockout guard (by default the
//!   last try is refused, [`LastTry::Refuse`]), then SIGN, in one card transaction, and the
//!   signature is checked under the certificate's key with exactly the scheme's parameters
//!   before it is handed to rustls. A wrong PIN spends one try and the handshake fails with
//!   the card's answer (tries left) in the error; nothing is retried.
//!
//! JPKI certificates and webpki: rustls's `WebPkiClientVerifier` refuses the card's
//! certificate with `UnsupportedCriticalExtension`, because the JPKI certificates carry a
//! *critical* certificatePolicies extension (the real test card's and the virtual card's alike)
//! and webpki does not process certificate policies. A rustls server therefore needs a
//! verifier that checks the chain itself: [`JpkiClientVerifier`] does it with the library's
//! chain check ([`TrustStore`]) and the library's signature check (rustls's own
//! `verify_tls13_signature` parses the certificate with webpki too, and refuses it the same way).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use mynacard::cert::{CertKind, Certificate, TrustStore};
use mynacard::credential::AuthPin;
use mynacard::crypto::{HashAlgorithm, PublicKey};
use mynacard::sign::{SignOptions, ToSign, Verification};
use mynacard::transport::Transport;
use mynacard::{Card, LastTry};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::client::ResolvesClientCert;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::sign::{CertifiedKey, Signer, SigningKey};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureAlgorithm, SignatureScheme};
use sha2::{Digest, Sha256};

/// A card connection: the library's [`Card`] over any transport that can move between threads.
pub type CardConn = Card<Box<dyn Transport + Send>>;

/// What the signer shares: the card, the PIN, and the certificate's key.
struct Shared {
    card: Mutex<CardConn>,
    pin: AuthPin,
    last_try: LastTry,
    public: PublicKey,
}

/// The card's user-authentication key for rustls. Cheap to clone (shared).
#[derive(Clone)]
pub struct CardKey {
    shared: Arc<Shared>,
    certified: Arc<CertifiedKey>,
    certificate: Certificate,
}

impl fmt::Debug for CardKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardKey")
            .field("certificate", &self.certificate.subject())
            .field("key", &self.shared.public)
            .finish_non_exhaustive()
    }
}

impl CardKey {
    /// Reads the authentication certificate and its CA certificate off `card` (no PIN needed,
    /// nothing spent) and keeps `pin` for the signatures. The PIN is only sent when rustls asks
    /// for a signature, in the same card transaction as the SIGN; `last_try` says whether
    /// that VERIFY may spend the PIN's last try.
    pub fn new(mut card: CardConn, pin: AuthPin, last_try: LastTry) -> mynacard::Result<Self> {
        let (certificate, ca) = card.transaction(|card| {
            let mut jpki = card.jpki();
            let cert = jpki.read_certificate(CertKind::Auth)?;
            let ca = jpki.read_certificate(CertKind::Auth.ca())?;
            Ok::<_, mynacard::Error>((cert, ca))
        })?;
        let public = certificate
            .public_key()
            .map_err(|reason| mynacard::Error::Parse {
                fid: CertKind::Auth.fid(),
                what: "certificate",
                reason,
            })?;
        if public.as_rsa().is_none() {
            return Err(mynacard::Error::Unsupported(format!(
                "the authentication certificate's key is {public}; this crate signs with RSA keys"
            )));
        }
        let shared = Arc::new(Shared {
            card: Mutex::new(card),
            pin,
            last_try,
            public,
        });
        let key: Arc<dyn SigningKey> = Arc::new(CardSigningKey {
            shared: shared.clone(),
        });
        let chain = vec![
            CertificateDer::from(certificate.der().to_vec()),
            CertificateDer::from(ca.der().to_vec()),
        ];
        Ok(CardKey {
            shared,
            certified: Arc::new(CertifiedKey::new(chain, key)),
            certificate,
        })
    }

    /// The card's authentication certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The certificate chain (the card's certificate, then its CA's) with the card's key.
    pub fn certified_key(&self) -> Arc<CertifiedKey> {
        self.certified.clone()
    }

    /// A client-certificate resolver that always offers the card (for
    /// `ClientConfig::builder().with_root_certificates(..).with_client_cert_resolver(..)`).
    pub fn resolver(&self) -> Arc<dyn ResolvesClientCert> {
        Arc::new(CardResolver {
            key: self.certified.clone(),
        })
    }

    /// The authentication PIN's counter, read with the VERIFY that spends no try (for
    /// example to tell the user how many tries are left after a failed handshake).
    pub fn pin_status(&self) -> mynacard::Result<mynacard::pin::PinStatus> {
        let mut card = self
            .shared
            .card
            .lock()
            .map_err(|_| mynacard::Error::Protocol("the card's lock is poisoned"))?;
        card.pin_status(mynacard::pin::PinKind::UserAuth)
    }
}

/// Offers the card's certificate to every server that asks for one.
#[derive(Debug)]
struct CardResolver {
    key: Arc<CertifiedKey>,
}

impl ResolvesClientCert for CardResolver {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        // Offer the card only when one of its schemes is acceptable; rustls then sends no
        // certificate rather than one it cannot sign for.
        CardSigningKey::pick(sigschemes).map(|_| self.key.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// The rustls [`SigningKey`]: the card's authentication key.
struct CardSigningKey {
    shared: Arc<Shared>,
}

impl fmt::Debug for CardSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardSigningKey({})", self.shared.public)
    }
}

impl CardSigningKey {
    /// The schemes the card signs, best first.
    const SCHEMES: [SignatureScheme; 2] = [
        SignatureScheme::RSA_PSS_SHA256,
        SignatureScheme::RSA_PKCS1_SHA256,
    ];

    fn pick(offered: &[SignatureScheme]) -> Option<SignatureScheme> {
        Self::SCHEMES.into_iter().find(|s| offered.contains(s))
    }
}

impl SigningKey for CardSigningKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        let scheme = Self::pick(offered)?;
        Some(Box::new(CardSigner {
            shared: self.shared.clone(),
            scheme,
        }))
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RSA
    }
}

/// One signature with the card, in the scheme rustls chose.
struct CardSigner {
    shared: Arc<Shared>,
    scheme: SignatureScheme,
}

impl fmt::Debug for CardSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardSigner({:?})", self.scheme)
    }
}

impl Signer for CardSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        let scheme = card_scheme(self.scheme).ok_or_else(|| {
            rustls::Error::General(format!("the card does not sign {:?}", self.scheme))
        })?;
        let hash = Sha256::digest(message);
        let options = SignOptions {
            // Checked under the certificate's key with exactly the scheme's parameters (for
            // PSS: MGF1-SHA-256, salt 32) before it is returned.
            verification: Verification::Key(self.shared.public.clone()),
            last_try: self.shared.last_try,
        };
        let mut card = self
            .shared
            .card
            .lock()
            .map_err(|_| rustls::Error::General("the card's lock is poisoned".into()))?;
        let signature = card
            .jpki()
            .sign(&self.shared.pin, scheme, ToSign::Digest(&hash), &options)
            .map_err(|e| rustls::Error::General(format!("the My Number Card did not sign: {e}")))?;
        Ok(signature.bytes)
    }

    fn scheme(&self) -> SignatureScheme {
        self.scheme
    }
}

/// The library's scheme for a TLS signature scheme: PSS by P1=04 over the SHA-256 hash,
/// PKCS#1 v1.5 by P1=00 over its SHA-256 DigestInfo.
fn card_scheme(scheme: SignatureScheme) -> Option<mynacard::sign::SignatureScheme> {
    match scheme {
        SignatureScheme::RSA_PSS_SHA256 => Some(mynacard::sign::SignatureScheme::PssSha256Digest),
        SignatureScheme::RSA_PKCS1_SHA256 => Some(mynacard::sign::SignatureScheme::Pkcs1v15(
            HashAlgorithm::Sha256,
        )),
        _ => None,
    }
}

/// A rustls [`ClientCertVerifier`] for JPKI client certificates: the chain is checked by the
/// library ([`TrustStore::verify`], with the CA certificate the client sends as an
/// intermediate), the leaf must allow digital signatures, and the handshake signature is
/// checked by the library too ([`mynacard::sign::verify_signature`]): `rsa_pss_rsae_sha256`
/// with MGF1-SHA-256 and exactly a 32-byte salt (TLS 1.3 and 1.2), `rsa_pkcs1_sha256` (TLS 1.2
/// only). Needed because webpki refuses the JPKI certificates' critical certificatePolicies
/// extension, both in its chain check and when rustls's own signature check parses the
/// certificate (see the crate docs). Client certificates are mandatory.
pub struct JpkiClientVerifier {
    trust: TrustStore,
    hints: Vec<DistinguishedName>,
}

impl fmt::Debug for JpkiClientVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JpkiClientVerifier")
            .field("anchors", &self.trust.anchors().count())
            .finish_non_exhaustive()
    }
}

impl JpkiClientVerifier {
    /// A verifier that accepts client certificates whose chain ends in `trust`.
    pub fn new(trust: TrustStore) -> Self {
        let hints = trust
            .anchors()
            .map(|(c, _)| DistinguishedName::from(subject_der(c)))
            .collect();
        JpkiClientVerifier { trust, hints }
    }

    /// Checks a handshake signature with the library, under the key of `cert`.
    fn check(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
        tls13: bool,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        use mynacard::sign::SignatureScheme as S;
        let scheme = match dss.scheme {
            SignatureScheme::RSA_PSS_SHA256 => S::PssSha256,
            SignatureScheme::RSA_PKCS1_SHA256 if !tls13 => S::Pkcs1v15(HashAlgorithm::Sha256),
            _ => {
                return Err(rustls::Error::PeerMisbehaved(
                    rustls::PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme,
                ))
            }
        };
        let leaf = Certificate::from_der(cert)
            .map_err(|e| rustls::Error::General(format!("JPKI client certificate: {e}")))?;
        let key = leaf
            .public_key()
            .map_err(|e| rustls::Error::General(format!("JPKI client certificate: {e}")))?;
        mynacard::sign::verify_signature(&key, scheme, ToSign::Message(message), dss.signature())
            .map_err(|_| rustls::Error::InvalidCertificate(rustls::CertificateError::BadSignature))?;
        Ok(HandshakeSignatureValid::assertion())
    }
}

/// The DER of the certificate's subject name (a hint to clients of the CAs accepted).
fn subject_der(c: &Certificate) -> Vec<u8> {
    use der::Encode;
    c.x509()
        .tbs_certificate()
        .subject()
        .to_der()
        .unwrap_or_default()
}

impl ClientCertVerifier for JpkiClientVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let bad = |what: String| rustls::Error::General(format!("JPKI client certificate: {what}"));
        let leaf = Certificate::from_der(end_entity).map_err(bad)?;
        let cas = intermediates
            .iter()
            .map(|c| Certificate::from_der(c))
            .collect::<Result<Vec<_>, _>>()
            .map_err(bad)?;
        let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(now.as_secs());
        self.trust
            .verify(&leaf, &cas, at)
            .map_err(|e| bad(e.to_string()))?;
        let usage = leaf.key_usage().map_err(bad)?;
        if let Some(bits) = usage {
            if !bits.contains(&mynacard::cert::KeyUsageBit::DigitalSignature) {
                return Err(bad("the key is not for digital signatures".into()));
            }
        }
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.check(message, cert, dss, false)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.check(message, cert, dss, true)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        vec![
            SignatureScheme::RSA_PSS_SHA256,
            SignatureScheme::RSA_PKCS1_SHA256,
        ]
    }
}
