//! Signed documents with the My Number Card: CMS SignedData with the CAdES-B-B attributes,
//! attached or detached, and PDF signatures (PAdES B-B), made on the card and verified up to
//! the J-LIS roots with a typed [`Verdict`].
//!
//! * [`sign_cms`] signs bytes; [`sign_pdf`] signs a PDF by an incremental update.
//! * [`verify_cms`] and [`verify_pdf`] check signatures, from anyone (RSA PKCS#1 v1.5 and PSS,
//!   ECDSA P-256 and P-384).
//!
//! Every signature made here is checked twice before it is returned: the card's signature
//! under the certificate's key (by the card API), and the whole CMS by [`verify_cms`]'s
//! checks (content, attributes, signature; the chain is the caller's business).

#![forbid(unsafe_code)]
// `missing_docs` is denied by the workspace lints (root Cargo.toml).

mod card;
pub mod cms;
pub mod pdf;
pub mod verify;

use std::time::SystemTime;

use mynacard::cert::Certificate;
use mynacard::sign::JpkiPin;
use mynacard::transport::Transport;
use mynacard::{Card, LastTry};
use sha2::{Digest, Sha256};

pub use card::embedded_cas;
pub use cms::Form;
pub use pdf::{sign_pdf, verify_pdf, PdfSignatureReport};
pub use verify::{verify_cms, Report, Trust, Verdict};

/// Errors of signing, and of verification input that is not a signature at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The card refused or failed (wrong PIN, blocked, no card...).
    #[error(transparent)]
    Card(#[from] mynacard::Error),
    /// A CMS structure could not be built or parsed.
    #[error("CMS: {0}")]
    Cms(String),
    /// The PDF could not be read or signed.
    #[error("PDF: {0}")]
    Pdf(String),
    /// Something this crate does not do.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The signature just made did not pass its own check (nothing is returned).
    #[error("the signature just made does not verify: {0}")]
    SelfCheck(String),
}

/// Options for signing.
#[derive(Debug, Clone)]
pub struct SignOptions {
    /// Attached or detached (CMS only; a PDF signature is always detached).
    pub form: Form,
    /// Whether the VERIFY may spend the PIN's last try.
    pub last_try: LastTry,
    /// CA certificates that may be included without reading the card's CA EF (default: the
    /// embedded J-LIS roots). The one that issued the signer's certificate is found by name
    /// and signature.
    pub known_cas: Vec<Certificate>,
    /// The signing time put in the signing-time attribute (CMS) or `/M` (PDF); default now.
    pub signing_time: SystemTime,
}

impl Default for SignOptions {
    fn default() -> Self {
        SignOptions {
            form: Form::Detached,
            last_try: LastTry::Refuse,
            known_cas: embedded_cas(),
            signing_time: SystemTime::now(),
        }
    }
}

/// A CMS signature made on the card.
#[derive(Debug, Clone)]
pub struct SignedCms {
    /// The DER of the ContentInfo.
    pub der: Vec<u8>,
    /// The signer's certificate.
    pub certificate: Certificate,
    /// Whether the CA certificate was read off the card (one exchange) rather than known.
    pub ca_read_from_card: bool,
}

/// Signs `content` as a CMS SignedData with the key `pin` opens (a
/// [`mynacard::credential::SignaturePassword`] for the signature key, the usual choice for
/// documents, or an [`mynacard::credential::AuthPin`]).
pub fn sign_cms<T: Transport, P: JpkiPin>(
    card: &mut Card<T>,
    pin: &P,
    content: &[u8],
    options: &SignOptions,
) -> Result<SignedCms, Error> {
    let digest = Sha256::digest(content).to_vec();
    let attached = (options.form == Form::Attached).then_some(content);
    let (der, certificate, ca_read) = sign_digest_cms(card, pin, &digest, options, true, attached)?;
    let check = verify::check_signed_data(&cms::parse(&der)?, Some(content));
    if let Err(r) = check {
        return Err(Error::SelfCheck(r.detail));
    }
    Ok(SignedCms {
        der,
        certificate,
        ca_read_from_card: ca_read,
    })
}

/// The card signature of a CMS over a content of SHA-256 `digest`; `attached` is the content
/// to put inside, if any.
pub(crate) fn sign_digest_cms<T: Transport, P: JpkiPin>(
    card: &mut Card<T>,
    pin: &P,
    digest: &[u8],
    options: &SignOptions,
    with_signing_time: bool,
    attached: Option<&[u8]>,
) -> Result<(Vec<u8>, Certificate, bool), Error> {
    let mut attrs_slot = None;
    let time = with_signing_time.then_some(options.signing_time);
    let signed = card::sign_digest(
        card,
        pin,
        options.last_try,
        &options.known_cas,
        |cert, _ca| {
            let attrs = cms::signed_attributes(digest, cert.x509(), time)?;
            let der = cms::signed_attributes_der(&attrs)?;
            attrs_slot = Some(attrs);
            Ok(Sha256::digest(&der).to_vec())
        },
    )?;
    let attrs = attrs_slot.ok_or_else(|| Error::Cms("no signed attributes".into()))?;
    let der = cms::assemble(
        attached,
        attrs,
        signed.cert.x509(),
        Some(signed.ca.x509()),
        &signed.signature,
    )?;
    Ok((der, signed.cert, signed.ca_read))
}
