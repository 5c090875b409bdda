//! Signing with the JPKI keys ([card facts §7](crate::card_facts#s7)).
//!
//! The card signs with `80 2A <P1> (80|SFI)`; P1 chooses what it does with the data:
//!
//! | [`SignatureScheme`] | P1 | data sent | signature |
//! |---|---|---|---|
//! | [`Pkcs1v15`](SignatureScheme::Pkcs1v15) (SHA-256/384/512) | `00` | a DigestInfo | PKCS#1 v1.5 |
//! | [`Pkcs1v15BareSha256`](SignatureScheme::Pkcs1v15BareSha256) | `01` | the message; the card hashes | PKCS#1 v1.5 over the bare hash (no DigestInfo) |
//! | [`Pkcs1v15Sha256Digest`](SignatureScheme::Pkcs1v15Sha256Digest) | `02` | a SHA-256 digest; the card wraps it | PKCS#1 v1.5 |
//! | [`Pkcs1v15Sha256`](SignatureScheme::Pkcs1v15Sha256) | `03` | the message; the card hashes and wraps | PKCS#1 v1.5 |
//! | [`PssSha256Digest`](SignatureScheme::PssSha256Digest) | `04` | a SHA-256 digest | RSASSA-PSS |
//! | [`PssSha256`](SignatureScheme::PssSha256) | `05` | the message; the card hashes | RSASSA-PSS |
//!
//! P1=00 is what jpki/myna and OpenSC send; P1=01..05 were found and checked against the
//! certificate's key by myna-card ([card facts §7](crate::card_facts#s7)).
//!
//! A caller that builds its own DigestInfo (a PKCS#11 module's `CKM_RSA_PKCS`, or a hash this
//! library has no [`HashAlgorithm`] for, such as SHA-1 through [`digest_info_for`]) signs it
//! as given with P1=00 through
//! [`Jpki::sign_digest_info_verified`](crate::cert::Jpki::sign_digest_info_verified), checked
//! the same way: PKCS#1 v1.5 over exactly those bytes.
//!
//! By default every signature is checked against the public key of the key's certificate
//! (read once per card session and kept) with the `rsa` crate, so a card that signs with the
//! wrong key, or a corrupted response, is an error and not a bad signature handed on. Callers
//! that already hold the key can pass it ([`Verification::Key`]), and callers that do not want
//! the check can opt out ([`Verification::Off`]). Nothing here assumes RSA-2048: the signature
//! is a `Vec<u8>` of whatever length the card returns, since the next-generation card is
//! announced to move to ECDSA P-384 ([card facts §10](crate::card_facts#s10)).

use std::fmt;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::apdu::{ins, Command, Status};
use crate::applets::{self, jpki, Fid};
use crate::cert::CertKind;
use crate::credential::{AuthPin, Pin, SignaturePassword};
use crate::crypto::HashAlgorithm;
use crate::crypto::PublicKey;
use crate::error::{Error, Result};
use crate::pin::PinKind;
use crate::session::card_error;
use crate::transport::Transport;
use crate::{Card, LastTry};

/// How the card signs: the six P1 values of [card facts §7](crate::card_facts#s7) (see the module
/// table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case", tag = "scheme", content = "hash")]
pub enum SignatureScheme {
    /// P1=`00`: PKCS#1 v1.5 over a DigestInfo built by this library for the given hash.
    Pkcs1v15(HashAlgorithm),
    /// P1=`01`: the card hashes the message with SHA-256 and signs the bare hash with PKCS#1
    /// v1.5 padding (no DigestInfo).
    Pkcs1v15BareSha256,
    /// P1=`02`: a SHA-256 digest is sent; the card wraps it in a DigestInfo (PKCS#1 v1.5).
    Pkcs1v15Sha256Digest,
    /// P1=`03`: the card hashes the message with SHA-256 and wraps it (PKCS#1 v1.5).
    Pkcs1v15Sha256,
    /// P1=`04`: RSASSA-PSS over a SHA-256 digest that is sent.
    PssSha256Digest,
    /// P1=`05`: the card hashes the message with SHA-256; RSASSA-PSS.
    PssSha256,
}

/// What a scheme sends to the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemeInput {
    /// A digest of this hash, computed off the card.
    Digest(HashAlgorithm),
    /// The message itself; the card hashes it.
    Message,
}

impl SignatureScheme {
    /// All schemes the card knows (the three DigestInfo hashes and P1=01..05).
    pub const ALL: [SignatureScheme; 8] = [
        SignatureScheme::Pkcs1v15(HashAlgorithm::Sha256),
        SignatureScheme::Pkcs1v15(HashAlgorithm::Sha384),
        SignatureScheme::Pkcs1v15(HashAlgorithm::Sha512),
        SignatureScheme::Pkcs1v15BareSha256,
        SignatureScheme::Pkcs1v15Sha256Digest,
        SignatureScheme::Pkcs1v15Sha256,
        SignatureScheme::PssSha256Digest,
        SignatureScheme::PssSha256,
    ];

    /// The P1 byte of the SIGN command.
    pub const fn p1(self) -> u8 {
        match self {
            SignatureScheme::Pkcs1v15(_) => 0x00,
            SignatureScheme::Pkcs1v15BareSha256 => 0x01,
            SignatureScheme::Pkcs1v15Sha256Digest => 0x02,
            SignatureScheme::Pkcs1v15Sha256 => 0x03,
            SignatureScheme::PssSha256Digest => 0x04,
            SignatureScheme::PssSha256 => 0x05,
        }
    }

    /// The scheme for a P1 byte; P1=00 is taken as SHA-256.
    pub const fn from_p1(p1: u8) -> Option<Self> {
        Some(match p1 {
            0x00 => SignatureScheme::Pkcs1v15(HashAlgorithm::Sha256),
            0x01 => SignatureScheme::Pkcs1v15BareSha256,
            0x02 => SignatureScheme::Pkcs1v15Sha256Digest,
            0x03 => SignatureScheme::Pkcs1v15Sha256,
            0x04 => SignatureScheme::PssSha256Digest,
            0x05 => SignatureScheme::PssSha256,
            _ => return None,
        })
    }

    /// What the card expects as data.
    pub const fn input(self) -> SchemeInput {
        match self {
            SignatureScheme::Pkcs1v15(h) => SchemeInput::Digest(h),
            SignatureScheme::Pkcs1v15Sha256Digest | SignatureScheme::PssSha256Digest => {
                SchemeInput::Digest(HashAlgorithm::Sha256)
            }
            SignatureScheme::Pkcs1v15BareSha256
            | SignatureScheme::Pkcs1v15Sha256
            | SignatureScheme::PssSha256 => SchemeInput::Message,
        }
    }

    /// The hash the signature is computed over.
    pub const fn hash(self) -> HashAlgorithm {
        match self {
            SignatureScheme::Pkcs1v15(h) => h,
            _ => HashAlgorithm::Sha256,
        }
    }

    /// Whether the padding is RSASSA-PSS (otherwise PKCS#1 v1.5).
    pub const fn is_pss(self) -> bool {
        matches!(
            self,
            SignatureScheme::PssSha256Digest | SignatureScheme::PssSha256
        )
    }

    /// Prepares what to send and how to check the result, before any I/O. Refuses a digest of
    /// the wrong length, a digest for a card-hashing scheme, and an empty message.
    fn prepare(self, input: ToSign<'_>) -> Result<Prepared> {
        let bad = |reason: String| Err(Error::Unsupported(reason));
        let (data, hashed) = match (self.input(), input) {
            (SchemeInput::Digest(h), ToSign::Digest(d)) => {
                if d.len() != h.digest_len() {
                    return bad(format!(
                        "a {h} digest is {} bytes; {} were given",
                        h.digest_len(),
                        d.len()
                    ));
                }
                (d.to_vec(), d.to_vec())
            }
            (SchemeInput::Digest(h), ToSign::Message(m)) => {
                let d = h.digest(m);
                (d.clone(), d)
            }
            (SchemeInput::Message, ToSign::Message(m)) => {
                if m.is_empty() {
                    return bad("the card cannot hash an empty message (no data to send)".into());
                }
                (m.to_vec(), Sha256::digest(m).to_vec())
            }
            (SchemeInput::Message, ToSign::Digest(_)) => {
                return bad(format!(
                    "scheme {self} hashes on the card: pass the message, not a digest"
                ))
            }
        };
        let data = match self {
            SignatureScheme::Pkcs1v15(h) => h.digest_info(&data),
            _ => data,
        };
        Ok(Prepared { data, hashed })
    }

    /// Checks `signature` under `key` for the prepared hash.
    fn check(self, key: &PublicKey, hashed: &[u8], signature: &[u8]) -> Result<()> {
        let rsa = match key {
            PublicKey::Rsa(k) => k,
            other => {
                return Err(Error::Unsupported(format!(
                    "checking a signature under a {other} key is not implemented; pass \
                     Verification::Off to accept it unchecked"
                )))
            }
        };
        let r = match self {
            SignatureScheme::Pkcs1v15(h) => rsa.verify_pkcs1v15(Some(h), hashed, signature),
            SignatureScheme::Pkcs1v15BareSha256 => rsa.verify_pkcs1v15(None, hashed, signature),
            SignatureScheme::Pkcs1v15Sha256Digest | SignatureScheme::Pkcs1v15Sha256 => {
                rsa.verify_pkcs1v15(Some(HashAlgorithm::Sha256), hashed, signature)
            }
            SignatureScheme::PssSha256Digest | SignatureScheme::PssSha256 => {
                rsa.verify_pss_sha256(hashed, signature)
            }
        };
        r.map_err(|reason| Error::Integrity {
            what: "the card's signature",
            reason,
        })
    }
}

impl fmt::Display for SignatureScheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureScheme::Pkcs1v15(h) => write!(f, "PKCS#1 v1.5 over a {h} DigestInfo (P1=00)"),
            SignatureScheme::Pkcs1v15BareSha256 => {
                f.write_str("PKCS#1 v1.5 over a bare SHA-256 hashed by the card (P1=01)")
            }
            SignatureScheme::Pkcs1v15Sha256Digest => {
                f.write_str("PKCS#1 v1.5, SHA-256 digest wrapped by the card (P1=02)")
            }
            SignatureScheme::Pkcs1v15Sha256 => {
                f.write_str("PKCS#1 v1.5, SHA-256 hashed and wrapped by the card (P1=03)")
            }
            SignatureScheme::PssSha256Digest => {
                f.write_str("RSASSA-PSS over a SHA-256 digest (P1=04)")
            }
            SignatureScheme::PssSha256 => {
                f.write_str("RSASSA-PSS, SHA-256 hashed by the card (P1=05)")
            }
        }
    }
}

struct Prepared {
    /// The SIGN command's data.
    data: Vec<u8>,
    /// The hash the signature covers (for the check).
    hashed: Vec<u8>,
}

/// What to sign: a message, or a digest computed elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToSign<'a> {
    /// The message. For digest schemes it is hashed here; for card-hashing schemes it is sent.
    Message(&'a [u8]),
    /// A digest of the scheme's hash (only for P1=00, 02 and 04).
    Digest(&'a [u8]),
}

/// The two JPKI private keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// The user-authentication key (EF `0017`), opened by the 4-digit auth PIN.
    Auth,
    /// The signature key (EF `001A`), opened by the signature password.
    Sign,
}

impl KeyKind {
    /// The private-key EF.
    pub const fn fid(self) -> Fid {
        match self {
            KeyKind::Auth => jpki::AUTH_KEY,
            KeyKind::Sign => jpki::SIGN_KEY,
        }
    }

    /// The certificate of this key.
    pub const fn cert(self) -> CertKind {
        match self {
            KeyKind::Auth => CertKind::Auth,
            KeyKind::Sign => CertKind::Sign,
        }
    }

    /// The PIN that opens it.
    pub const fn pin(self) -> PinKind {
        match self {
            KeyKind::Auth => PinKind::UserAuth,
            KeyKind::Sign => PinKind::Signature,
        }
    }

    /// Its name as a person reads it in `lang` (the English is `Display`).
    pub fn name(self, lang: crate::lang::Lang) -> String {
        match (lang, self) {
            (crate::lang::Lang::Ja, KeyKind::Auth) => "利用者証明用の秘密鍵".into(),
            (crate::lang::Lang::Ja, KeyKind::Sign) => "署名用の秘密鍵".into(),
            (crate::lang::Lang::En, k) => k.to_string(),
        }
    }
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            KeyKind::Auth => "user-authentication key",
            KeyKind::Sign => "signature key",
        })
    }
}

/// A PIN that opens a JPKI private key: [`AuthPin`] opens the authentication key,
/// [`SignaturePassword`] the signature key.
pub trait JpkiPin: Pin {
    /// The key it opens.
    const KEY: KeyKind;
}

impl JpkiPin for AuthPin {
    const KEY: KeyKind = KeyKind::Auth;
}

impl JpkiPin for SignaturePassword {
    const KEY: KeyKind = KeyKind::Sign;
}

/// How a signature is checked after the card returns it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Verification {
    /// Against the public key of the key's certificate on the card (read once per card session;
    /// the first signature in a session costs one READ BINARY more). The default.
    #[default]
    Certificate,
    /// Against this public key (no read).
    Key(PublicKey),
    /// Not checked.
    Off,
}

/// Options for signing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignOptions {
    /// How the signature is checked.
    pub verification: Verification,
    /// Whether the VERIFY before signing may spend the PIN's last try.
    pub last_try: LastTry,
}

impl SignOptions {
    /// Default options with the check turned off.
    pub fn unchecked() -> Self {
        SignOptions {
            verification: Verification::Off,
            ..Default::default()
        }
    }
}

/// A signature made by the card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signature {
    /// The key that made it.
    pub key: KeyKind,
    /// The scheme.
    pub scheme: SignatureScheme,
    /// The signature bytes (as long as the key makes them; 256 for RSA-2048).
    #[serde(serialize_with = "ser_hex")]
    pub bytes: Vec<u8>,
    /// Whether it was checked against a public key.
    pub checked: bool,
}

fn ser_hex<S: serde::Serializer>(b: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode_upper(b))
}

impl<T: Transport> crate::cert::Jpki<'_, T> {
    /// Verifies `pin` and signs with the key it opens: VERIFY (with the lockout guard if it is
    /// on), the certificate read once per session for the default check (the signature
    /// certificate is readable only after the signature password), then SIGN, and the check of
    /// [`SignOptions::verification`] off the card.
    ///
    /// On a card that accepts SFI addressing, from a fresh session: SELECT JPKI, VERIFY, SIGN
    /// (3 exchanges; one more for the lockout guard's status query, one more for reading the
    /// certificate the first time the default check runs). The input is validated before any
    /// exchange.
    pub fn sign<P: JpkiPin>(
        &mut self,
        pin: &P,
        scheme: SignatureScheme,
        input: ToSign<'_>,
        options: &SignOptions,
    ) -> Result<Signature> {
        let prepared = scheme.prepare(input)?;
        self.card.in_transaction(|card| {
            card.verify_with(pin, options.last_try)?;
            card.sign_prepared(P::KEY, scheme, &prepared, &options.verification)
        })
    }

    /// Signs with a key whose PIN was already verified in this card session (for several
    /// signatures after one VERIFY). Without that, the card refuses and
    /// [`Error::NeedsVerification`] says which PIN is needed.
    pub fn sign_verified(
        &mut self,
        key: KeyKind,
        scheme: SignatureScheme,
        input: ToSign<'_>,
        options: &SignOptions,
    ) -> Result<Signature> {
        let prepared = scheme.prepare(input)?;
        self.card.in_transaction(|card| {
            card.sign_prepared(key, scheme, &prepared, &options.verification)
        })
    }
}

impl<T: Transport> Card<T> {
    fn sign_prepared(
        &mut self,
        key: KeyKind,
        scheme: SignatureScheme,
        prepared: &Prepared,
        verification: &Verification,
    ) -> Result<Signature> {
        let (bytes, checked) =
            self.sign_p1(key, scheme.p1(), &prepared.data, verification, |k, sig| {
                scheme.check(k, &prepared.hashed, sig)
            })?;
        Ok(Signature {
            key,
            scheme,
            bytes,
            checked,
        })
    }

    /// SIGN with `p1` over `data` (the key's PIN verified), the key addressed by SFI with the
    /// SELECT EF fallback, and the result checked with `check` under the key `verification`
    /// names. Returns the signature and whether it was checked.
    fn sign_p1(
        &mut self,
        key: KeyKind,
        p1: u8,
        data: &[u8],
        verification: &Verification,
        check: impl FnOnce(&PublicKey, &[u8]) -> Result<()>,
    ) -> Result<(Vec<u8>, bool)> {
        // The key to check against comes first, so that SIGN is the last command sent while the
        // PIN is verified and the caller can unpower right after it.
        let public = match verification {
            Verification::Off => None,
            Verification::Key(k) => Some(k.clone()),
            Verification::Certificate => {
                let cert = self.cached_certificate(key.cert())?;
                Some(cert.public_key().map_err(|reason| Error::Parse {
                    fid: key.cert().fid(),
                    what: "certificate",
                    reason,
                })?)
            }
        };
        let session = self.session_mut();
        session.select_df(&applets::JPKI)?;
        let long = data.len() > 255;
        if long && !session.use_extended() {
            return Err(Error::Unsupported(format!(
                "a message of {} bytes needs an extended-length SIGN, which this card or reader \
                 refused; sign a digest instead (P1=00, 02 or 04)",
                data.len()
            )));
        }
        let r = session.transmit_addressed(key.fid(), &|p2| {
            let c = Command::new(0x80, ins::SIGN, p1, p2)
                .with_data(data)?
                .with_ne(256)?;
            Ok(if long { c.extended() } else { c })
        })?;
        let bytes = match r.sw.status() {
            Status::Success if !r.data.is_empty() => r.data,
            Status::Success => {
                return Err(Error::Protocol("the card answered SIGN with no signature"))
            }
            Status::SecurityStatusNotSatisfied => {
                return Err(Error::NeedsVerification {
                    what: match key {
                        KeyKind::Auth => "signing with the user-authentication key",
                        KeyKind::Sign => "signing with the signature key",
                    },
                    needs: key.pin().description(),
                })
            }
            _ => return Err(card_error("SIGN", r.sw)),
        };
        if let Some(k) = &public {
            check(k, &bytes)?;
        }
        Ok((bytes, public.is_some()))
    }
}

impl<T: Transport> crate::cert::Jpki<'_, T> {
    /// Signs a DigestInfo the caller built, as given, with the card's P1=`00` scheme (PKCS#1
    /// v1.5), with a key whose PIN was already verified in this card session: for callers that
    /// hash elsewhere or with a hash this library has no [`HashAlgorithm`] for (a PKCS#11
    /// module's `CKM_RSA_PKCS` and `CKM_SHA1_RSA_PKCS`; [`digest_info_for`] builds one for any
    /// hash with an OID). The key is addressed by SFI, with SELECT EF and `P2=80` for a card
    /// that refuses SFI (learnt once per card session, as for every command). The signature is
    /// checked as [`SignOptions::verification`] says: PKCS#1 v1.5 over exactly these bytes under
    /// the certificate's (or the given) public key, so a signature made with another key or a
    /// corrupted answer is [`Error::Integrity`], never handed on.
    ///
    /// Refused before any exchange: an empty DigestInfo, and one too long for the key's
    /// PKCS#1 v1.5 padding (more than the key's length less 11 bytes) when the key is given
    /// ([`Verification::Key`]). [`SignOptions::last_try`] is not used: nothing is verified here.
    ///
    /// One SIGN exchange (and one SELECT when the JPKI application is not selected); one
    /// READ BINARY more the first time the default check reads the certificate.
    pub fn sign_digest_info_verified(
        &mut self,
        key: KeyKind,
        digest_info: &[u8],
        options: &SignOptions,
    ) -> Result<Vec<u8>> {
        if digest_info.is_empty() {
            return Err(Error::Unsupported(
                "an empty DigestInfo: there is nothing to sign".into(),
            ));
        }
        if let Verification::Key(PublicKey::Rsa(k)) = &options.verification {
            if digest_info.len() + 11 > k.signature_len() {
                return Err(Error::Unsupported(format!(
                    "a DigestInfo of {} bytes does not fit a {}-bit key's PKCS#1 v1.5 padding \
                     (at most {} bytes)",
                    digest_info.len(),
                    k.bits(),
                    k.signature_len().saturating_sub(11)
                )));
            }
        }
        self.card.in_transaction(|card| {
            card.sign_p1(
                key,
                SignatureScheme::Pkcs1v15(HashAlgorithm::Sha256).p1(),
                digest_info,
                &options.verification,
                |public, sig| check_digest_info(public, digest_info, sig),
            )
            .map(|(bytes, _)| bytes)
        })
    }
}

/// Checks a PKCS#1 v1.5 signature over `digest_info` exactly as given (no prefix added).
fn check_digest_info(key: &PublicKey, digest_info: &[u8], signature: &[u8]) -> Result<()> {
    let rsa = match key {
        PublicKey::Rsa(k) => k,
        other => {
            return Err(Error::Unsupported(format!(
                "checking a signature under a {other} key is not implemented; pass \
                 Verification::Off to accept it unchecked"
            )))
        }
    };
    rsa.verify_pkcs1v15(None, digest_info, signature)
        .map_err(|reason| Error::Integrity {
            what: "the card's signature",
            reason,
        })
}

/// A DigestInfo (RFC 8017 §9.2) for `digest`, made with hash `D`: the DER prefix for `D`'s
/// object identifier (as the `rsa` crate builds it) followed by the digest. For hashes outside
/// [`HashAlgorithm`], such as SHA-1 (`sha1::Sha1` with its `oid` feature), to sign with
/// [`Jpki::sign_digest_info_verified`](crate::cert::Jpki::sign_digest_info_verified). `None`
/// when `digest` is not `D`'s length.
pub fn digest_info_for<D>(digest: &[u8]) -> Option<Vec<u8>>
where
    D: Digest + sha2::digest::const_oid::AssociatedOid,
{
    if digest.len() != <D as Digest>::output_size() {
        return None;
    }
    let scheme = rsa::Pkcs1v15Sign::new::<D>();
    let mut v = scheme.prefix.into_vec();
    v.extend_from_slice(digest);
    Some(v)
}

/// Checks a signature made with `scheme` over `input` against `key`, off the card (for example
/// a detached signature written earlier).
pub fn verify_signature(
    key: &PublicKey,
    scheme: SignatureScheme,
    input: ToSign<'_>,
    signature: &[u8],
) -> Result<()> {
    let p = scheme.prepare(input)?;
    scheme.check(key, &p.hashed, signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn p1_round_trip_and_inputs() {
        for s in SignatureScheme::ALL {
            let back = SignatureScheme::from_p1(s.p1()).unwrap();
            assert_eq!(back.p1(), s.p1());
        }
        assert_eq!(SignatureScheme::from_p1(6), None);
        let sha = HashAlgorithm::Sha256.digest(b"abc");
        let p = SignatureScheme::Pkcs1v15(HashAlgorithm::Sha256)
            .prepare(ToSign::Message(b"abc"))
            .unwrap();
        assert_eq!(&p.data[..19], HashAlgorithm::Sha256.digest_info_prefix());
        assert_eq!(&p.data[19..], &sha[..]);
        assert!(SignatureScheme::PssSha256
            .prepare(ToSign::Digest(&sha))
            .is_err());
        assert!(SignatureScheme::Pkcs1v15Sha256
            .prepare(ToSign::Message(b""))
            .is_err());
        assert!(SignatureScheme::Pkcs1v15(HashAlgorithm::Sha384)
            .prepare(ToSign::Digest(&sha))
            .is_err());
        let p = SignatureScheme::PssSha256
            .prepare(ToSign::Message(b"abc"))
            .unwrap();
        assert_eq!(p.data, b"abc");
        assert_eq!(p.hashed, sha);
    }

    #[test]
    fn digest_info_for_matches_the_known_prefixes() {
        for h in [
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
        ] {
            let d = h.digest(b"x");
            let built = match h {
                HashAlgorithm::Sha256 => digest_info_for::<Sha256>(&d),
                HashAlgorithm::Sha384 => digest_info_for::<sha2::Sha384>(&d),
                HashAlgorithm::Sha512 => digest_info_for::<sha2::Sha512>(&d),
            };
            assert_eq!(built.unwrap(), h.digest_info(&d));
        }
        assert_eq!(digest_info_for::<Sha256>(&[0u8; 31]), None);
    }

    #[test]
    fn digest_info_prefixes_are_der() {
        for h in [
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
        ] {
            let di = h.digest_info(&h.digest(b"x"));
            // The outer SEQUENCE's length covers the rest exactly.
            assert_eq!(di[1] as usize, di.len() - 2);
            assert_eq!(di[di.len() - h.digest_len() - 1] as usize, h.digest_len());
        }
    }
}
