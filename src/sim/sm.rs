//! The virtual card's secure messaging in the text-assist AP
//! ([card facts §12](crate::card_facts#s12); measured facts from myna-card 3.3.4 `src/sm.rs`,
//! `src/ap/text.rs`, `src/ap/jpki.rs`):
//!
//! * EF `0006` holds `A1 { 90 <e> 91 <n> }`, an RSA-2048 key, readable after the PIN or either
//!   照合番号 (the same rule as the real card's).
//! * SET SESSION KEY `80 AE 00 00 Lc <RSAES-OAEP-SHA256 ciphertext>` (extended Lc: 256 bytes):
//!   in the text-assist AP, `6982` until the PIN is verified (照合番号A or B is not enough); a
//!   ciphertext at or above the modulus, `6F00`; one that does not decrypt to exactly
//!   `A0 22 80 20 <32 bytes>`, `6A80`; a data field not the modulus length, `6700`; P1-P2 other
//!   than `0000`, `6A86`. Otherwise `9000`: the session key is the first 16 of the 32 bytes and
//!   the counter is 1. Elsewhere: 共通カードAP and 券面事項確認AP `66F1`, JPKI and 住基AP `6982`
//!   (as measured); at the MF level `66F1` (not measured).
//! * A command with `CLA 08` (secure messaging, no integrity): without a session, `69FC`; after
//!   a secure messaging error, `69FC` for good. `CLA 0C` (header authenticated): `6987`.
//!   VERIFY (`P2` = `80|SFI`) and SELECT (`P1 02 P2 0C`) carry exactly one object
//!   `86 <len> 01 <cryptogram>`; READ BINARY carries exactly one `96 03 00 <length, 2 bytes>`
//!   (`0000`: the rest of the file) and answers `86 <len> 01 <cryptogram>`. Any other data
//!   field, a wrong padding indicator, or a cryptogram that does not decrypt to ISO/IEC 7816-4
//!   padding under the current counter: `6988`, and the session is destroyed.
//! * The counter `N` (first command after SET SESSION KEY: 1) advances with every secure
//!   messaging command the layer accepted, whatever the application then answers (a wrong PIN
//!   under secure messaging still advances it); plain commands do not advance it. The IV for
//!   command and response is AES-128(K, `N` as 16 big-endian bytes); the cipher AES-128-CBC.
//! * The session ends when an application or the issuer security domain is selected, and when
//!   the card is unpowered.

use rsa::traits::PublicKeyParts;
use zeroize::Zeroizing;

use super::{pki, App, VirtualCard};
use crate::apdu::{ins, CommandView, Response, Status, StatusWord};
use crate::applets::text;
use crate::sm::{decrypt, encrypt, KEY_LEN};
use crate::tlv::push as push_tlv;

const SM_KEY_LABEL: &str = "card-text-sm";

/// The per-power-cycle secure messaging state.
#[derive(Clone, Default)]
pub(super) struct SmState {
    key: Option<Zeroizing<[u8; KEY_LEN]>>,
    counter: u32,
    broken: bool,
}

impl std::fmt::Debug for SmState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmState")
            .field("open", &self.key.is_some())
            .field("counter", &self.counter)
            .field("broken", &self.broken)
            .finish()
    }
}

/// EF `0006` of the card with `seed`: `A1 { 90 <e> 91 <n> }`.
pub(super) fn sm_key_file(seed: u64) -> Vec<u8> {
    let k = pki::key(SM_KEY_LABEL, seed);
    let mut v = Vec::new();
    push_tlv(&mut v, 0x90, &k.e().to_be_bytes_trimmed_vartime());
    push_tlv(&mut v, 0x91, &k.n().to_be_bytes_trimmed_vartime());
    let mut out = Vec::new();
    push_tlv(&mut out, 0xA1, &v);
    out
}

/// Splits a data field that must be exactly one BER-TLV object with a one-byte tag.
fn one_object(data: &[u8]) -> Option<(u8, &[u8])> {
    let (&tag, rest) = data.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = match first {
        0..=0x7F => (first as usize, rest),
        0x81 => (*rest.first()? as usize, &rest[1..]),
        0x82 => {
            let b = rest.get(..2)?;
            (u16::from_be_bytes([b[0], b[1]]) as usize, &rest[2..])
        }
        _ => return None,
    };
    (rest.len() == len).then_some((tag, rest))
}

impl VirtualCard {
    /// Whether a secure messaging session is open (and not destroyed).
    pub fn sm_open(&self) -> bool {
        self.vol.sm.key.is_some() && !self.vol.sm.broken
    }

    /// The counter the card expects next (0 without a session).
    pub fn sm_counter(&self) -> u32 {
        if self.vol.sm.key.is_some() {
            self.vol.sm.counter
        } else {
            0
        }
    }

    /// SET SESSION KEY.
    pub(super) fn set_session_key(&mut self, c: &CommandView<'_>) -> Response {
        match self.vol.df {
            Some(App::TextAssist) => {}
            Some(App::Jpki | App::Juki) => {
                return Response::status(Status::SecurityStatusNotSatisfied)
            }
            _ => return Response::status(Status::Other(StatusWord(0x66F1))),
        }
        if c.p1 != 0 || c.p2 != 0 {
            return Response::status(Status::IncorrectP1P2);
        }
        // The access condition comes before any decryption (myna-card `ap::text`).
        if !self.vol.verified.contains(&(App::TextAssist, text::PIN.0)) {
            return Response::status(Status::SecurityStatusNotSatisfied);
        }
        let k = pki::key(SM_KEY_LABEL, self.state.seed);
        let n = k.n().to_be_bytes_trimmed_vartime();
        if c.data.len() != n.len() {
            return Response::status(Status::WrongLength);
        }
        if c.data >= &n[..] {
            return Response::status(Status::NoPreciseDiagnosis);
        }
        let plain = match k.oaep_decrypt::<sha2::Sha256>(c.data) {
            Ok(p) => Zeroizing::new(p),
            Err(_) => return Response::status(Status::IncorrectData),
        };
        match plain.as_slice() {
            [0xA0, 0x22, 0x80, 0x20, seed @ ..] if seed.len() == 32 => {
                let mut key = Zeroizing::new([0u8; KEY_LEN]);
                key.copy_from_slice(&seed[..KEY_LEN]);
                self.vol.sm = SmState {
                    key: Some(key),
                    counter: 1,
                    broken: false,
                };
                Response::status(Status::Success)
            }
            _ => Response::status(Status::IncorrectData),
        }
    }

    /// Destroys the session and answers `6988`.
    fn sm_fail(&mut self) -> Response {
        self.vol.sm.broken = true;
        Response::status(Status::Other(StatusWord(0x6988)))
    }

    /// A command with CLA `08` or `0C`.
    pub(super) fn secure_command(&mut self, c: &CommandView<'_>) -> Response {
        if c.cla == 0x0C {
            return Response::status(Status::Other(StatusWord(0x6987)));
        }
        let key = match (&self.vol.sm.key, self.vol.sm.broken) {
            (Some(k), false) => k.clone(),
            _ => return Response::status(Status::Other(StatusWord(0x69FC))),
        };
        let n = self.vol.sm.counter;
        match c.ins {
            ins::VERIFY | ins::SELECT => {
                let Some((0x86, [0x01, cryptogram @ ..])) = one_object(c.data) else {
                    return self.sm_fail();
                };
                let Some(plain) = decrypt(&key, n, cryptogram) else {
                    return self.sm_fail();
                };
                self.vol.sm.counter = n.wrapping_add(1);
                let inner = CommandView {
                    cla: 0x00,
                    ins: c.ins,
                    p1: c.p1,
                    p2: c.p2,
                    data: &plain,
                    ne: None,
                    case: c.case,
                };
                if c.ins == ins::VERIFY {
                    self.verify(&inner)
                } else if c.p1 == 0x02 && c.p2 == 0x0C {
                    self.select(&inner)
                } else {
                    Response::status(Status::IncorrectP1P2)
                }
            }
            ins::READ_BINARY => {
                let Some((0x96, [0x00, hi, lo])) = one_object(c.data) else {
                    return self.sm_fail();
                };
                self.vol.sm.counter = n.wrapping_add(1);
                let want = u16::from_be_bytes([*hi, *lo]) as usize;
                let inner = CommandView {
                    cla: 0x00,
                    ins: c.ins,
                    p1: c.p1,
                    p2: c.p2,
                    data: &[],
                    ne: Some(if want == 0 { crate::apdu::MAX_NE } else { want }),
                    case: c.case,
                };
                let r = self.read_binary(&inner);
                if !matches!(r.sw.0, 0x9000 | 0x6282) {
                    return Response::new(Vec::new(), r.sw);
                }
                let plain = Zeroizing::new(r.data);
                let ct = encrypt(&key, n, &plain);
                let mut out = Vec::with_capacity(ct.len() + 4);
                let mut value = Vec::with_capacity(ct.len() + 1);
                value.push(0x01);
                value.extend_from_slice(&ct);
                push_tlv(&mut out, 0x86, &value);
                Response::new(out, StatusWord::OK)
            }
            _ => Response::status(Status::InstructionNotSupported),
        }
    }
}
