//! Reading the JPKI certificates and files from the card.

use std::time::SystemTime;

use super::*;
use crate::applets::jpki;
use crate::error::{Error, Result};
use crate::session::{read_error, FileSize};
use crate::transport::Transport;
use crate::Card;

/// The JPKI application (公的個人認証AP) of a card: its certificates, token info and
/// signatures. Get one with [`Card::jpki`]; it borrows the card while it lives, and holds no
/// state of its own (the card session keeps the certificate cache).
pub struct Jpki<'c, T: Transport> {
    pub(crate) card: &'c mut Card<T>,
}

impl<T: Transport> std::fmt::Debug for Jpki<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jpki").finish_non_exhaustive()
    }
}

impl<T: Transport> Card<T> {
    /// The JPKI application of this card: certificates, token info and signatures. Sends
    /// nothing by itself.
    pub fn jpki(&mut self) -> Jpki<'_, T> {
        Jpki { card: self }
    }
}

impl<T: Transport> Jpki<'_, T> {
    /// Reads and parses one JPKI certificate, in the fewest exchanges the card allows (on a card
    /// and reader that accept SFI and extended length, from a fresh session: SELECT JPKI and one
    /// READ BINARY).
    ///
    /// The signature certificate needs the signature password verified first in this card
    /// session ([`Card::verify`]); without it the card answers `6982`, reported as
    /// [`Error::NeedsVerification`]. A certificate that does not parse is
    /// [`Error::Parse`] with its EF. The free certificates are kept for the card session, so
    /// reading one again costs nothing; the signature certificate is read from the card each
    /// time, so that it is never handed out without the password.
    pub fn read_certificate(&mut self, kind: CertKind) -> Result<Certificate> {
        self.card.read_certificate(kind)
    }

    /// Reads the certificate of `kind` and its CA certificate off the card and verifies the
    /// chain to `trust` at time `at`.
    pub fn verify_certificate_chain(
        &mut self,
        kind: CertKind,
        trust: &TrustStore,
        at: SystemTime,
    ) -> Result<ChainReport> {
        let cert = self.read_certificate(kind)?;
        let ca = kind.ca();
        let intermediates = if ca == kind {
            Vec::new()
        } else {
            vec![self.read_certificate(ca)?]
        };
        Ok(trust.verify(&cert, &intermediates, at)?)
    }

    /// Reads the token info (EF `0006`): physical card or phone.
    pub fn token_info(&mut self) -> Result<TokenInfo> {
        let data = self
            .card
            .in_transaction(|card| {
                let s = card.session_mut();
                s.select_df(&crate::applets::JPKI)?;
                s.read_file(jpki::TOKEN_INFO, FileSize::Fixed(160))
            })
            .map_err(|e| read_error(e, "the JPKI token info", "nothing"))?;
        TokenInfo::parse(&data).map_err(|reason| Error::Parse {
            fid: jpki::TOKEN_INFO,
            what: "token info",
            reason,
        })
    }

    /// Reads which certificates exist (EF `0008`).
    pub fn certificate_availability(&mut self) -> Result<CertAvailability> {
        let data = self
            .card
            .in_transaction(|card| {
                let s = card.session_mut();
                s.select_df(&crate::applets::JPKI)?;
                s.read_file(jpki::CERT_AVAILABILITY, FileSize::Fixed(3))
            })
            .map_err(|e| read_error(e, "the JPKI certificate availability", "nothing"))?;
        CertAvailability::parse(&data).map_err(|reason| Error::Parse {
            fid: jpki::CERT_AVAILABILITY,
            what: "certificate availability",
            reason,
        })
    }
}

impl<T: Transport> Card<T> {
    /// Reads and parses one JPKI certificate, from this card session's cache where it may
    /// (see [`Jpki::read_certificate`]).
    pub(crate) fn read_certificate(&mut self, kind: CertKind) -> Result<Certificate> {
        if !kind.needs_signature_password() {
            if let Some(c) = self.cached(kind) {
                return Ok(c);
            }
        }
        self.read_certificate_uncached(kind)
    }

    /// The certificate from this card session's cache, or read now (for checking signatures).
    pub(crate) fn cached_certificate(&mut self, kind: CertKind) -> Result<Certificate> {
        match self.cached(kind) {
            Some(c) => Ok(c),
            None => self.read_certificate_uncached(kind),
        }
    }

    /// The certificate of `kind` if this card session has read it.
    fn cached(&self, kind: CertKind) -> Option<Certificate> {
        self.certs
            .get(&kind.fid())
            .and_then(|c| c.downcast_ref::<Certificate>())
            .cloned()
    }

    fn read_certificate_uncached(&mut self, kind: CertKind) -> Result<Certificate> {
        let der = self
            .in_transaction(|card| {
                let s = card.session_mut();
                s.select_df(&crate::applets::JPKI)?;
                s.read_file(kind.fid(), FileSize::Tlv { likely_large: true })
            })
            .map_err(|e| {
                read_error(
                    e,
                    kind.description(),
                    crate::pin::PinKind::Signature.description(),
                )
            })?;
        let cert = Certificate::from_card(kind.fid(), &der)?;
        self.certs.insert(kind.fid(), Box::new(cert.clone()));
        Ok(cert)
    }
}
