//! Trust anchors and the chain from a certificate to them ([card facts §9](crate::card_facts#s9)).

use std::fmt;
use std::time::SystemTime;

use serde::Serialize;

use super::x509::SignatureCheck;
use super::*;
use crate::crypto::{CertTime, TrustError};
use crate::error::Result;

/// Which hierarchy a chain ends in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Hierarchy {
    /// A J-LIS production root (`O=JPKI`).
    Production,
    /// The `O=JPKI-TEST` hierarchy of test cards; never production.
    JpkiTest,
    /// An anchor the caller added (for example the virtual card's `O=mynacard-VIRTUAL-TEST`
    /// hierarchy); never production.
    Custom,
}

impl fmt::Display for Hierarchy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Hierarchy::Production => "J-LIS production",
            Hierarchy::JpkiTest => "JPKI-TEST (test cards; not production)",
            Hierarchy::Custom => "custom anchor (not production)",
        })
    }
}

/// The production J-LIS roots ([card facts §9](crate::card_facts#s9)), embedded at compile time.
const PRODUCTION_ROOTS: [&[u8]; 6] = [
    include_bytes!("../../data/jlis-roots/authca01.cer"),
    include_bytes!("../../data/jlis-roots/authca02.cer"),
    include_bytes!("../../data/jlis-roots/authca03.cer"),
    include_bytes!("../../data/jlis-roots/signca01.cer"),
    include_bytes!("../../data/jlis-roots/signca02.cer"),
    include_bytes!("../../data/jlis-roots/signca03.cer"),
];

/// The `O=JPKI-TEST` roots read off test cards, embedded at compile time.
const TEST_ROOTS: [&[u8]; 4] = [
    include_bytes!("../../data/jlis-roots/test-hierarchy/authca-test-2019.cer"),
    include_bytes!("../../data/jlis-roots/test-hierarchy/authca-test-2023.cer"),
    include_bytes!("../../data/jlis-roots/test-hierarchy/signca-test-2019.cer"),
    include_bytes!("../../data/jlis-roots/test-hierarchy/signca-test-2024.cer"),
];

/// The longest path accepted (leaf, intermediates, root).
pub const MAX_PATH: usize = 5;

/// The extensions [`TrustStore::verify`] recognises when marked critical (RFC 5280 §4.2: a
/// certificate with any other critical extension is rejected, as
/// [`TrustError::UnrecognisedCriticalExtension`]). They are the ones JPKI certificates carry
/// (real production and test roots, CA and end-entity certificates mark keyUsage,
/// basicConstraints and certificatePolicies critical), with their dotted OIDs:
/// keyUsage `2.5.29.15` and basicConstraints `2.5.29.19` (checked on every CA of the path);
/// certificatePolicies `2.5.29.32` (any policy is accepted: no policy is required of a path);
/// subjectKeyIdentifier `2.5.29.14`, authorityKeyIdentifier `2.5.29.35`, subjectAltName
/// `2.5.29.17`, issuerAltName `2.5.29.18`, extKeyUsage `2.5.29.37`, cRLDistributionPoints
/// `2.5.29.31` and authorityInfoAccess `1.3.6.1.5.5.7.1.1` (informational here; revocation is
/// not checked). Constraints the walk does not enforce (nameConstraints, policyConstraints,
/// inhibitAnyPolicy) are deliberately absent, so a critical one is rejected.
pub const RECOGNISED_EXTENSIONS: [&str; 10] = [
    "2.5.29.15",
    "2.5.29.19",
    "2.5.29.32",
    "2.5.29.14",
    "2.5.29.35",
    "2.5.29.17",
    "2.5.29.18",
    "2.5.29.37",
    "2.5.29.31",
    "1.3.6.1.5.5.7.1.1",
];

/// The first critical extension of `c` that is not in [`RECOGNISED_EXTENSIONS`], as an error.
fn critical_extensions(c: &Certificate) -> Result<(), TrustError> {
    let exts = c
        .x509()
        .tbs_certificate()
        .extensions()
        .into_iter()
        .flatten();
    for e in exts.filter(|e| e.critical) {
        let oid = e.extn_id.to_string();
        if !RECOGNISED_EXTENSIONS.contains(&oid.as_str()) {
            return Err(TrustError::UnrecognisedCriticalExtension {
                subject: c.subject(),
                oid,
            });
        }
    }
    Ok(())
}

/// A verified path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// The hierarchy of the anchor the path ends in.
    pub hierarchy: Hierarchy,
    /// The path, from the certificate checked to the trust anchor.
    pub path: Vec<Certificate>,
}

impl ChainReport {
    /// Whether the path ends in a J-LIS production root.
    pub fn is_production(&self) -> bool {
        self.hierarchy == Hierarchy::Production
    }

    /// The trust anchor.
    pub fn anchor(&self) -> Option<&Certificate> {
        self.path.last()
    }
}

/// Trust anchors, each tagged with its hierarchy.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    anchors: Vec<(Certificate, Hierarchy)>,
}

impl TrustStore {
    /// No anchors at all.
    pub fn empty() -> Self {
        TrustStore::default()
    }

    /// The six J-LIS production roots (three generations each for authentication and signature).
    pub fn production() -> Self {
        let mut s = TrustStore::empty();
        for der in PRODUCTION_ROOTS {
            // The embedded roots are known-good; a failure would be a build defect, and is
            // caught by the crate's tests. Skip rather than panic.
            if let Ok(c) = Certificate::from_der(der) {
                s.anchors.push((c, Hierarchy::Production));
            }
        }
        s
    }

    /// The production roots **and** the `O=JPKI-TEST` roots of test cards. Only for testing
    /// against JPKI test cards: a chain ending in a test root is reported as
    /// [`Hierarchy::JpkiTest`], never as production.
    pub fn production_and_test() -> Self {
        let mut s = TrustStore::production();
        for der in TEST_ROOTS {
            if let Ok(c) = Certificate::from_der(der) {
                s.anchors.push((c, Hierarchy::JpkiTest));
            }
        }
        s
    }

    /// Adds a caller-chosen anchor, reported as [`Hierarchy::Custom`] (never production),
    /// whatever its name says.
    pub fn with_custom_anchor(mut self, anchor: Certificate) -> Self {
        self.anchors.push((anchor, Hierarchy::Custom));
        self
    }

    /// The anchors.
    pub fn anchors(&self) -> impl Iterator<Item = (&Certificate, Hierarchy)> {
        self.anchors.iter().map(|(c, h)| (c, *h))
    }

    /// Verifies `cert` up to an anchor, using `intermediates` (for example the CA certificate
    /// read off the card) where no anchor issued it directly. At each step the issuer is found
    /// by name and then by signature, since J-LIS root generations share one name. Every
    /// certificate in the path must be valid at `at`, and none may carry a critical extension
    /// outside [`RECOGNISED_EXTENSIONS`] (the anchor included).
    ///
    /// Signatures accepted: RSA PKCS#1 v1.5 with SHA-256/384/512 always; ECDSA with
    /// SHA-256/384/512 by a P-256 or P-384 key with the `ecdsa` feature (see the
    /// [module docs](super) for the errors without it). When no candidate issuer verifies the
    /// signature, the error is the most specific reason found: [`TrustError::Malformed`] for
    /// the certificate's own undecodable signature, then [`TrustError::Unsupported`], then
    /// `Malformed` for an undecodable issuer key, then [`TrustError::UnknownIssuer`] or
    /// [`TrustError::BadSignature`].
    pub fn verify(
        &self,
        cert: &Certificate,
        intermediates: &[Certificate],
        at: SystemTime,
    ) -> Result<ChainReport, TrustError> {
        let at_t = CertTime::from_system_time(at);
        let valid = |c: &Certificate| {
            if c.is_valid_at(at) {
                Ok(())
            } else {
                Err(TrustError::NotValidAt {
                    subject: c.subject(),
                    not_before: c.not_before(),
                    not_after: c.not_after(),
                    at: at_t,
                })
            }
        };
        critical_extensions(cert)?;
        valid(cert)?;
        let mut path = vec![cert.clone()];
        let mut current = cert.clone();
        while path.len() <= MAX_PATH {
            let issuer_name = current.issuer_der();
            let mut misses = Misses::default();
            // Anchors first: generations share a name, so try each one's key.
            for (anchor, hierarchy) in &self.anchors {
                if anchor.subject_der() != issuer_name {
                    continue;
                }
                if misses.check(&current, anchor) {
                    critical_extensions(anchor)?;
                    valid(anchor)?;
                    if *anchor != current {
                        path.push(anchor.clone());
                    }
                    return Ok(ChainReport {
                        hierarchy: *hierarchy,
                        path,
                    });
                }
            }
            // Then a supplied CA certificate that is not self-issued (a self-issued one would be
            // a root that is not an anchor).
            let mut next = None;
            for inter in intermediates {
                if inter.subject_der() != issuer_name
                    || inter.is_self_issued()
                    || path.contains(inter)
                {
                    continue;
                }
                if misses.check(&current, inter) {
                    next = Some(inter.clone());
                    break;
                }
            }
            match next {
                Some(inter) => {
                    let can_sign = inter
                        .key_usage()
                        .ok()
                        .flatten()
                        .is_none_or(|ku| ku.contains(&KeyUsageBit::KeyCertSign));
                    if !inter.is_ca() || !can_sign {
                        return Err(TrustError::NotCa {
                            subject: inter.subject(),
                        });
                    }
                    critical_extensions(&inter)?;
                    valid(&inter)?;
                    path.push(inter.clone());
                    current = inter;
                }
                None => return Err(misses.into_error(&current)),
            }
        }
        Err(TrustError::TooLong(MAX_PATH))
    }
}

/// Why no certificate with the issuer's name verified a certificate's signature.
#[derive(Default)]
struct Misses {
    /// How many certificates had the issuer's name.
    named: usize,
    /// The certificate's own signature cannot be decoded.
    malformed_signature: Option<String>,
    /// An algorithm, key type or curve that is not supported.
    unsupported: Option<String>,
    /// A candidate issuer whose key cannot be decoded: its subject and why.
    malformed_key: Option<(String, String)>,
}

impl Misses {
    /// Whether `issuer` signed `cert`; if not, remembers why.
    fn check(&mut self, cert: &Certificate, issuer: &Certificate) -> bool {
        self.named += 1;
        match cert.check_signed_by(issuer) {
            SignatureCheck::Valid => return true,
            SignatureCheck::Invalid => {}
            SignatureCheck::Unsupported(r) => self.unsupported = Some(r),
            SignatureCheck::MalformedSignature(r) => self.malformed_signature = Some(r),
            SignatureCheck::MalformedKey(r) => self.malformed_key = Some((issuer.subject(), r)),
        }
        false
    }

    /// The error for `cert`, most specific first: its own signature cannot be decoded; an
    /// algorithm is not supported; an issuer's key cannot be decoded; no issuer of that name;
    /// and otherwise the signature does not verify.
    fn into_error(self, cert: &Certificate) -> TrustError {
        if let Some(reason) = self.malformed_signature {
            return TrustError::Malformed {
                subject: cert.subject(),
                reason,
            };
        }
        if let Some(reason) = self.unsupported {
            return TrustError::Unsupported {
                subject: cert.subject(),
                reason,
            };
        }
        if let Some((subject, reason)) = self.malformed_key {
            return TrustError::Malformed { subject, reason };
        }
        if self.named == 0 {
            return TrustError::UnknownIssuer {
                subject: cert.subject(),
                issuer: cert.issuer(),
            };
        }
        TrustError::BadSignature {
            subject: cert.subject(),
            issuer: cert.issuer(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Token info and certificate availability.
