//! Signed documents with the My Number Card: CMS SignedData with the CAdES-B-B attributes,
//! attached or detached, and PDF signatures (PAdES B-B), made on the card and verified up to
//! the J-LIS roots with a typed [`Verdict`].
//!
//! * [`sign_cms`] signs bytes; [`sign_cms_stream`] signs a content of any size read from a
//!   file or any seekable reader, hashing it as it arrives and streaming it into the output
//!   when attached (memory stays flat: [`CHUNK`] bytes of content at a time); [`sign_pdf`]
//!   signs a PDF by an incremental update (the PDF is parsed whole, but the two byte ranges
//!   are hashed in place, without a copy).
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

use std::io::{Read, Seek, SeekFrom, Write};
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

/// How many bytes of content [`sign_cms_stream`] reads at a time (and so at most holds).
pub const CHUNK: usize = 64 * 1024;

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
    /// Reading the content or writing the output failed.
    #[error("I/O: {0}")]
    Io(String),
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
    let check =
        verify::check_signed_data(&cms::parse(&der)?, Some(verify::Content::Bytes(content)));
    if let Err(r) = check {
        return Err(Error::SelfCheck(r.detail));
    }
    Ok(SignedCms {
        der,
        certificate,
        ca_read_from_card: ca_read,
    })
}

/// What [`sign_cms_stream`] wrote.
#[derive(Debug, Clone)]
pub struct StreamedCms {
    /// The signer's certificate.
    pub certificate: Certificate,
    /// Whether the CA certificate was read off the card (one exchange) rather than known.
    pub ca_read_from_card: bool,
    /// How many bytes of content were signed.
    pub content_len: u64,
    /// The content's SHA-256 (the message-digest attribute).
    pub content_sha256: Vec<u8>,
    /// How many bytes were written to the output (the whole CMS, content included when
    /// attached).
    pub written: u64,
}

/// The SHA-256 of everything `r` holds from where it is, read [`CHUNK`] bytes at a time (so
/// memory stays flat whatever the size), and how many bytes that was.
pub fn sha256_reader<R: Read>(r: &mut R) -> std::io::Result<(u64, Vec<u8>)> {
    hash_chunks(r, |_| Ok(()))
}

/// Reads `r` to its end in [`CHUNK`]-byte pieces, hashing with SHA-256 and passing each piece
/// to `each`; returns the length and the digest.
fn hash_chunks<R: Read>(
    r: &mut R,
    mut each: impl FnMut(&[u8]) -> std::io::Result<()>,
) -> std::io::Result<(u64, Vec<u8>)> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut len = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        h.update(&buf[..n]);
        each(&buf[..n])?;
        len += n as u64;
    }
    Ok((len, h.finalize().to_vec()))
}

fn io_err(what: &str) -> impl Fn(std::io::Error) -> Error + '_ {
    move |e| Error::Io(format!("{what}: {e}"))
}

/// Signs the content `content` holds from its current position to its end, as
/// [`sign_cms`] does, writing the CMS (DER) to `out`, and never holding more than [`CHUNK`]
/// bytes of content: the content is hashed as it is read (before the PIN is verified: a read
/// error costs no try), the card signs the signed attributes over that digest, and, when
/// `options.form` is attached, the content is read a second time and streamed into the
/// output between the DER around it ([`cms::attached_parts`]). A content that changed
/// between the two reads is an error ([`Error::SelfCheck`]) and what was written must be
/// discarded: write to a temporary file and rename it only on success.
pub fn sign_cms_stream<T: Transport, P: JpkiPin, R: Read + Seek, W: Write>(
    card: &mut Card<T>,
    pin: &P,
    content: &mut R,
    out: &mut W,
    options: &SignOptions,
) -> Result<StreamedCms, Error> {
    let start = content.stream_position().map_err(io_err("the content"))?;
    let (len, digest) = hash_chunks(content, |_| Ok(())).map_err(io_err("the content"))?;
    let (der, certificate, ca_read) = sign_digest_cms(card, pin, &digest, options, true, None)?;
    let check = verify::check_signed_data(
        &cms::parse(&der)?,
        Some(verify::Content::Digest(
            mynacard::crypto::HashAlgorithm::Sha256,
            &digest,
        )),
    );
    if let Err(r) = check {
        return Err(Error::SelfCheck(r.detail));
    }
    let written = match options.form {
        Form::Detached => {
            out.write_all(&der).map_err(io_err("the output"))?;
            der.len() as u64
        }
        Form::Attached => {
            let (prefix, suffix) = cms::attached_parts(&der, len)?;
            out.write_all(&prefix).map_err(io_err("the output"))?;
            content
                .seek(SeekFrom::Start(start))
                .map_err(io_err("the content"))?;
            let (again, digest_again) = hash_chunks(&mut content.take(len), |b| out.write_all(b))
                .map_err(io_err("the content or the output"))?;
            if again != len || digest_again != digest {
                return Err(Error::SelfCheck(
                    "the content changed while it was being signed".into(),
                ));
            }
            out.write_all(&suffix).map_err(io_err("the output"))?;
            prefix.len() as u64 + len + suffix.len() as u64
        }
    };
    out.flush().map_err(io_err("the output"))?;
    Ok(StreamedCms {
        certificate,
        ca_read_from_card: ca_read,
        content_len: len,
        content_sha256: digest,
        written,
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
