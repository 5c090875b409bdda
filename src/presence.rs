//! Proving the card is present: a challenge signed by the card's own key in the text-assist or
//! card-surface AP, with no PIN.
//!
//! What public sources say the card does (myna-card `TextAp::sign` and `SurfaceAp::sign`,
//! measured): in these two applications, `80 2A 00 00 Lc <DigestInfo> 00` (SIGN with P1 = `00`,
//! P2 = `00` naming the application's default key) returns a PKCS#1 v1.5 signature over the
//! DigestInfo as given, without any credential. The public half of that key travels inside the
//! AP's signed records: text-assist `0007` (`DF51`), card-surface `0001`/`0002`/`0005`
//! (`DF12`/`DF24`/`DF42`). Those records are signed by the key of the CV certificate in `0004`,
//! which is signed by an issuer key ([`crate::cvc`]). Checking the whole chain shows that the
//! card holding the data is the one in the reader, not a copy of its files.
//!
//! **The challenge is the terminal's.** The card does not take part in choosing it: a terminal
//! that used the card's own GET CHALLENGE as the thing to sign would let a cloned card choose
//! the value it is asked to sign, and replay a recorded answer. [`fresh_nonce`] draws 32 bytes
//! from the operating system; the card signs SHA-256 of them in a DigestInfo. One exchange.
//! GET CHALLENGE (`00 84`, [`crate::reset::stand_in`]) is left to terminal authentication,
//! where the card is the verifier, and to callers that want the card's random bytes as such
//! ([`Card::card_random`], for a PKCS#11 module's `C_GenerateRandom`).

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::apdu::{ins, Command, Status};
use crate::applets::Aid;
use crate::crypto::HashAlgorithm;
use crate::crypto::RsaKey;
use crate::error::{Error, Result};
use crate::session::card_error;
use crate::transport::Transport;
use crate::Card;

/// The length of a [`fresh_nonce`].
pub const NONCE_LEN: usize = 32;

/// 32 random bytes from the operating system, for one challenge.
pub fn fresh_nonce() -> Result<[u8; NONCE_LEN]> {
    let mut n = [0u8; NONCE_LEN];
    getrandom::getrandom(&mut n).map_err(|e| {
        Error::Unsupported(format!(
            "no random numbers from the operating system for a challenge: {e}"
        ))
    })?;
    Ok(n)
}

/// A challenge the card signed, and the check that passed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PresenceProof {
    /// The terminal's challenge.
    #[serde(with = "hex_bytes")]
    pub nonce: Vec<u8>,
    /// The card's signature over the SHA-256 DigestInfo of the challenge.
    #[serde(with = "hex_bytes")]
    pub signature: Vec<u8>,
    /// The size of the card key that verified it, in bits.
    pub key_bits: usize,
}

mod hex_bytes {
    pub fn serialize<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode_upper(v))
    }
}

/// Has the card sign `nonce` with the default key of application `aid` (selecting it if it is
/// not selected; a security status held there is kept) and checks the signature under `key`.
/// One exchange when `aid` is already selected.
pub(crate) fn challenge<T: Transport>(
    card: &mut Card<T>,
    aid: &Aid,
    key: &RsaKey,
    nonce: &[u8],
) -> Result<PresenceProof> {
    if nonce.is_empty() {
        return Err(Error::Unsupported(
            "an empty challenge proves nothing: use presence::fresh_nonce()".into(),
        ));
    }
    let digest_info = HashAlgorithm::Sha256.digest_info(&Sha256::digest(nonce));
    let signature = card.in_transaction(|card| {
        let s = card.session_mut();
        s.select_df(aid)?;
        let cmd = Command::new(0x80, ins::SIGN, 0x00, 0x00)
            .with_data(&digest_info)?
            .with_ne(256)?;
        let r = s.transmit(&cmd)?;
        match r.sw.status() {
            Status::Success => Ok(r.data),
            _ => Err(card_error("SIGN (challenge)", r.sw)),
        }
    })?;
    key.verify_pkcs1v15(None, &digest_info, &signature)
        .map_err(|reason| Error::Integrity {
            what: "the card's answer to the challenge",
            reason,
        })?;
    Ok(PresenceProof {
        nonce: nonce.to_vec(),
        signature,
        key_bits: key.bits(),
    })
}

/// The most GET CHALLENGE gives in one exchange: a short `Le` of `00` (docs/card.md §12.5; the
/// card refuses the extended form with `6985`).
pub const CHALLENGE_MAX: usize = 256;

impl<T: Transport> Card<T> {
    /// Fills `out` with random bytes from the card's own generator: GET CHALLENGE
    /// (`00 84 00 00 Le`) in chunks of at most [`CHALLENGE_MAX`] bytes (the card honours every
    /// `Le` from 1 to 256, `00` meaning 256, at the MF level and in every application:
    /// docs/card.md §12.5), all in one transaction. No PIN is needed, and neither the current
    /// application nor the security status changes, so a verified PIN stays verified. For a
    /// PKCS#11 module's `C_GenerateRandom`; not for proving the card is present (see the
    /// module documentation: that challenge is the terminal's). An empty `out` sends nothing.
    /// A card that answers with an error, or with fewer or more bytes than asked, is an error
    /// and `out` is then left zeroed.
    pub fn card_random(&mut self, out: &mut [u8]) -> Result<()> {
        if out.is_empty() {
            return Ok(());
        }
        let r = self.in_transaction(|card| {
            let s = card.session_mut();
            for chunk in out.chunks_mut(CHALLENGE_MAX) {
                let cmd =
                    Command::new(0x00, ins::GET_CHALLENGE, 0x00, 0x00).with_ne(chunk.len())?;
                let r = s.transmit(&cmd)?;
                if !r.sw.is_success() {
                    return Err(card_error("GET CHALLENGE", r.sw));
                }
                if r.data.len() != chunk.len() {
                    return Err(Error::Protocol(
                        "GET CHALLENGE: the card gave another number of bytes than asked",
                    ));
                }
                chunk.copy_from_slice(&r.data);
            }
            Ok(())
        });
        if r.is_err() {
            out.fill(0);
        }
        r
    }
}
