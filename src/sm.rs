//! Secure messaging in the text-assist AP (券面事項入力補助AP): the My Number, the basic four and
//! the 照合番号 travel encrypted ([card facts §12](crate::card_facts#s12); measured
//! facts from myna-card 3.3.4 `src/sm.rs` and `src/ap/text.rs`).
//!
//! * **Opening** needs the text-assist PIN, presented in the clear (the card answers `6982` to
//!   SET SESSION KEY before it, and 照合番号A/B do not count). The terminal then reads EF `0006`
//!   (`A1 { 90 <e> 91 <n> }`, RSA-2048), draws 32 random bytes, and sends SET SESSION KEY
//!   `80 AE 00 00` with RSAES-OAEP-SHA256(`A0 22 80 20 <32 bytes>`) (256 bytes, so an extended
//!   Lc). The session key is the first 16 of the 32 bytes (AES-128).
//! * **The counter** `N` starts at 1 for the first secure messaging command and advances with
//!   every one of them, a command the application refuses included (a wrong 照合番号 too); plain
//!   commands do not advance it. Command and response of command `N` are AES-128-CBC under the
//!   IV AES-128(K, `N` as 16 big-endian bytes), with ISO/IEC 7816-4 padding (`80 00…`, always
//!   added).
//! * **Data objects**: VERIFY and SELECT carry exactly `86 <len> 01 <cryptogram>`; READ BINARY
//!   carries `96 03 00 <length>` (`0000`: the whole rest of the file) and answers
//!   `86 <len> 01 <cryptogram>`. CLA is `08` (secure messaging, header not authenticated).
//! * **Errors end the session**: a wrong counter or a malformed object is answered `6988`, and
//!   every later secure messaging command `69FC`, until a new SET SESSION KEY. This type never
//!   retries: once the card reports a secure messaging status ([`SmError::SessionLost`]) or a
//!   response fails to decrypt, every further call fails with [`SmError::SessionEnded`] without
//!   sending anything.
//!
//! What it protects: the values after the PIN (the My Number, the basic four, and 照合番号A/B
//! when presented), against a passive listener. Not the PIN itself, and not against an active
//! attacker (no checksum: this AP accepts no MAC key).

use std::fmt;

use aes::cipher::{
    Array, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit,
};
use aes::Aes128;
use zeroize::Zeroizing;

use crate::apdu::{ins, Command, Status, StatusWord};
use crate::applets::{self, text, Fid};
use crate::card::LastTry;
use crate::credential::{MatchingNumberB, MyNumber, Secret, TextAssistPin};
use crate::error::Error;
use crate::session::{card_error, FileSize};
use crate::text_assist::{parse_my_number, BasicFour};
use crate::transport::Transport;
use crate::Card;

/// Length of the AES-128 session key.
pub const KEY_LEN: usize = 16;
/// Length of the key material SET SESSION KEY delivers (the first [`KEY_LEN`] are the key).
pub const SEED_LEN: usize = 32;
/// CLA of a secure messaging command (no header authentication).
pub const CLA_SM: u8 = 0x08;
/// INS of SET SESSION KEY.
pub const INS_SET_SESSION_KEY: u8 = 0xAE;

const BLOCK: usize = 16;

/// The IV of command `n`: AES-128(K, `n` as 16 big-endian bytes).
fn iv(key: &[u8; KEY_LEN], n: u32) -> [u8; BLOCK] {
    let mut block = Array::from([0u8; BLOCK]);
    block[BLOCK - 4..].copy_from_slice(&n.to_be_bytes());
    Aes128::new(&Array::from(*key)).encrypt_block(&mut block);
    block.into()
}

/// Pads (ISO/IEC 7816-4) and encrypts `plain` for counter `n`.
pub(crate) fn encrypt(key: &[u8; KEY_LEN], n: u32, plain: &[u8]) -> Vec<u8> {
    let mut buf = Zeroizing::new(Vec::with_capacity(plain.len() + BLOCK));
    buf.extend_from_slice(plain);
    buf.push(0x80);
    while !buf.len().is_multiple_of(BLOCK) {
        buf.push(0);
    }
    let mut enc = cbc::Encryptor::<Aes128>::new(&Array::from(*key), &Array::from(iv(key, n)));
    let mut out = Vec::with_capacity(buf.len());
    for chunk in buf.chunks(BLOCK) {
        let mut b = Array::<u8, _>::try_from(chunk).unwrap_or_default();
        enc.encrypt_block(&mut b);
        out.extend_from_slice(&b);
    }
    out
}

/// Decrypts for counter `n` and strips the padding; `None` if the length or the padding is wrong
/// (a counter out of step shows as wrong padding).
pub(crate) fn decrypt(key: &[u8; KEY_LEN], n: u32, ct: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if ct.is_empty() || !ct.len().is_multiple_of(BLOCK) {
        return None;
    }
    let mut dec = cbc::Decryptor::<Aes128>::new(&Array::from(*key), &Array::from(iv(key, n)));
    let mut out = Zeroizing::new(Vec::with_capacity(ct.len()));
    for chunk in ct.chunks(BLOCK) {
        let mut b = Array::<u8, _>::try_from(chunk).unwrap_or_default();
        dec.decrypt_block(&mut b);
        out.extend_from_slice(&b);
    }
    let end = out.iter().rposition(|&b| b != 0)?;
    if out[end] != 0x80 || out.len() - end > BLOCK {
        return None;
    }
    out.truncate(end);
    Some(out)
}

/// `86 <len> 01 <cryptogram>`.
fn cryptogram_object(ct: &[u8]) -> Vec<u8> {
    let mut value = Vec::with_capacity(ct.len() + 1);
    value.push(0x01);
    value.extend_from_slice(ct);
    let mut out = Vec::with_capacity(value.len() + 4);
    crate::tlv::push(&mut out, 0x86, &value);
    out
}

/// Why a secure messaging operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SmError {
    /// Anything the card or the transport reported outside the secure messaging layer (a wrong
    /// 照合番号, a file that needs another key, a removed card…). The session goes on.
    #[error(transparent)]
    Card(#[from] Error),
    /// The card's secure messaging layer refused (`6987`, `6988`, `69FC`, `6882`): the card has
    /// destroyed the session. Nothing is retried; open a new session (the PIN again).
    #[error("secure messaging: the card answered {sw} and ended the session; nothing was retried (open a new session)")]
    SessionLost {
        /// The status word.
        sw: StatusWord,
    },
    /// A response did not decrypt (counter out of step, or a corrupted response): the session
    /// cannot go on. Nothing is retried.
    #[error(
        "secure messaging: a response did not decrypt under the session key; the session is over"
    )]
    BadResponse,
    /// The session ended earlier (see the other variants); nothing was sent.
    #[error("secure messaging: this session has ended; nothing was sent (open a new session)")]
    SessionEnded,
    /// The session key could not be delivered (EF 0006 unusable, or no randomness).
    #[error("secure messaging: the session key could not be delivered: {0}")]
    KeyDelivery(String),
}

impl SmError {
    /// The message in `lang` (`Display` is the English); a card error is the library's own
    /// [`Error::message`].
    pub fn message(&self, lang: crate::lang::Lang) -> String {
        use crate::lang::Lang;
        match (lang, self) {
            (_, SmError::Card(e)) => e.message(lang),
            (Lang::En, other) => other.to_string(),
            (Lang::Ja, SmError::SessionLost { sw }) => format!(
                "セキュアメッセージング: カードが{sw}を返し、セッションを終了しました。再試行はしていません（新しいセッションを開いてください）"
            ),
            (Lang::Ja, SmError::BadResponse) => {
                "セキュアメッセージング: カードの応答をセッション鍵で復号できませんでした。セッションは終了しました".into()
            }
            (Lang::Ja, SmError::SessionEnded) => {
                "セキュアメッセージング: このセッションは終了しています。何も送信していません（新しいセッションを開いてください）".into()
            }
            (Lang::Ja, SmError::KeyDelivery(why)) => {
                format!("セキュアメッセージング: セッション鍵を渡せませんでした: {why}")
            }
        }
    }
}

impl From<crate::apdu::ApduError> for SmError {
    fn from(e: crate::apdu::ApduError) -> Self {
        SmError::Card(e.into())
    }
}

fn is_sm_status(sw: StatusWord) -> bool {
    matches!(sw.0, 0x6987 | 0x6988 | 0x69FC | 0x6882)
}

/// An open secure messaging session with the text-assist AP. Obtained from
/// [`Card::secure_messaging`]; borrows the card until dropped.
pub struct SecureMessaging<'c, T: Transport> {
    card: &'c mut Card<T>,
    key: Zeroizing<[u8; KEY_LEN]>,
    counter: u32,
    ended: bool,
    last: LastTry,
}

impl<T: Transport> fmt::Debug for SecureMessaging<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecureMessaging")
            .field("counter", &self.counter)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl<T: Transport> Card<T> {
    /// Selects the text-assist AP, verifies its PIN in the clear (with the lockout guard if it
    /// is on), reads EF `0006`, and delivers a fresh AES-128 session key with SET SESSION KEY.
    pub fn secure_messaging(
        &mut self,
        pin: &TextAssistPin,
        last: LastTry,
    ) -> std::result::Result<SecureMessaging<'_, T>, SmError> {
        self.verify_with(pin, last)?;
        let file = {
            let s = self.session_mut();
            s.select_df(&applets::TEXT_ASSIST)?;
            s.read_file(text::SM_KEY, FileSize::Tlv { likely_large: true })?
        };
        let outer = crate::tlv::parse_one(&file)
            .map_err(|e| SmError::KeyDelivery(format!("EF 0006: {e}")))?;
        if outer.tag != 0xA1 {
            return Err(SmError::KeyDelivery(format!(
                "EF 0006 holds tag {:X}, not A1",
                outer.tag
            )));
        }
        let key = crate::cvc::parse_rsa_key(outer.value)
            .map_err(|e| SmError::KeyDelivery(format!("EF 0006: {e}")))?;
        let rsa = key.to_rsa().map_err(SmError::KeyDelivery)?;
        let mut seed = Zeroizing::new([0u8; SEED_LEN]);
        getrandom::getrandom(seed.as_mut_slice())
            .map_err(|e| SmError::KeyDelivery(format!("no randomness: {e}")))?;
        let mut message = Zeroizing::new(vec![0xA0, 0x22, 0x80, 0x20]);
        message.extend_from_slice(seed.as_slice());
        let delivered = rsa
            .oaep_encrypt::<sha2::Sha256>(&message)
            .map_err(|e| SmError::KeyDelivery(format!("RSA-OAEP: {e}")))?;
        let cmd = Command::new(0x80, INS_SET_SESSION_KEY, 0x00, 0x00).with_data(&delivered)?;
        let s = self.session_mut();
        let df = s.selected().0;
        let r = s.transmit(&cmd)?;
        if !r.sw.is_success() {
            return Err(card_error("SET SESSION KEY", r.sw).into());
        }
        s.keep_application(df);
        let mut k = Zeroizing::new([0u8; KEY_LEN]);
        k.copy_from_slice(&seed[..KEY_LEN]);
        Ok(SecureMessaging {
            card: self,
            key: k,
            counter: 1,
            ended: false,
            last,
        })
    }
}

impl<T: Transport> SecureMessaging<'_, T> {
    /// The counter the next secure messaging command will carry.
    pub fn counter(&self) -> u32 {
        self.counter
    }

    /// Whether the session has ended (the card reported a secure messaging error, or a response
    /// did not decrypt).
    pub fn has_ended(&self) -> bool {
        self.ended
    }

    /// Exchanges sent so far on the card.
    pub fn exchanges(&self) -> u64 {
        self.card.exchanges()
    }

    /// Sends one secure messaging command; the counter advances unless the card's secure
    /// messaging layer refused it (then the session is over).
    fn send(&mut self, cmd: &Command) -> std::result::Result<(StatusWord, Vec<u8>, u32), SmError> {
        if self.ended {
            return Err(SmError::SessionEnded);
        }
        let n = self.counter;
        let s = self.card.session_mut();
        let df = s.selected().0;
        let r = match s.transmit(cmd) {
            Ok(r) => r,
            Err(e) => {
                // Whether the card counted the command is unknown: the session cannot go on.
                self.ended = true;
                return Err(e.into());
            }
        };
        if is_sm_status(r.sw) {
            self.ended = true;
            return Err(SmError::SessionLost { sw: r.sw });
        }
        // An SM SELECT changes the card's current EF behind the session's cache: forget the EF,
        // keep the application (secure messaging never leaves it).
        s.forget();
        s.keep_application(df);
        self.counter = n.wrapping_add(1);
        Ok((r.sw, r.data, n))
    }

    /// Presents a 照合番号 encrypted (`08 20 00 <80|SFI> 86 …`). With the lockout guard, its
    /// counter is read first with a plain case-1 VERIFY (which spends nothing and does not
    /// advance the secure messaging counter).
    fn verify_secret<S: Secret>(
        &mut self,
        secret: &S,
        fid: Fid,
    ) -> std::result::Result<(), SmError> {
        let kind = secret.credential_kind();
        let sfi = fid.sfi().unwrap_or(0);
        if self.ended {
            return Err(SmError::SessionEnded);
        }
        if self.card.lockout_guard() {
            let s = self.card.session_mut();
            let df = s.selected().0;
            let r = s.transmit(&Command::new(0x00, ins::VERIFY, 0x00, 0x80 | sfi))?;
            s.keep_application(df);
            match r.sw.status() {
                Status::TriesLeft(0)
                | Status::ReferenceDataBlocked
                | Status::AuthenticationBlocked => {
                    return Err(Error::MatchingNumberBlocked { kind }.into())
                }
                Status::TriesLeft(1) if self.last == LastTry::Refuse => {
                    return Err(Error::MatchingNumberLastTry { kind }.into())
                }
                Status::TriesLeft(_) | Status::Success | Status::VerificationFailed => {}
                _ => return Err(card_error("status of a 照合番号", r.sw).into()),
            }
        }
        let ct = encrypt(&self.key, self.counter, secret.expose());
        let cmd = Command::new(CLA_SM, ins::VERIFY, 0x00, 0x80 | sfi)
            .with_data(&cryptogram_object(&ct))?;
        let (sw, _, _) = self.send(&cmd)?;
        match sw.status() {
            Status::Success => Ok(()),
            Status::TriesLeft(n) => Err(Error::WrongMatchingNumber {
                kind,
                tries_left: n,
            }
            .into()),
            Status::ReferenceDataBlocked | Status::AuthenticationBlocked => {
                Err(Error::MatchingNumberBlocked { kind }.into())
            }
            _ => Err(card_error("VERIFY (secure messaging)", sw).into()),
        }
    }

    /// Presents 照合番号A (the My Number) encrypted.
    pub fn verify_matching_a(&mut self, a: &MyNumber) -> std::result::Result<(), SmError> {
        self.verify_secret(a, text::MATCHING_A)
    }

    /// Presents 照合番号B encrypted.
    pub fn verify_matching_b(&mut self, b: &MatchingNumberB) -> std::result::Result<(), SmError> {
        self.verify_secret(b, text::MATCHING_B)
    }

    /// Selects an EF of the text-assist AP under secure messaging (`08 A4 02 0C 86 …`).
    pub fn select(&mut self, fid: Fid) -> std::result::Result<(), SmError> {
        if self.ended {
            return Err(SmError::SessionEnded);
        }
        let ct = encrypt(&self.key, self.counter, &fid.0.to_be_bytes());
        let cmd =
            Command::new(CLA_SM, ins::SELECT, 0x02, 0x0C).with_data(&cryptogram_object(&ct))?;
        let (sw, _, _) = self.send(&cmd)?;
        if sw.is_success() {
            Ok(())
        } else if sw.status() == Status::FileNotFound {
            Err(Error::NotFound { what: "the file" }.into())
        } else {
            Err(card_error("SELECT (secure messaging)", sw).into())
        }
    }

    /// READ BINARY of the current EF under secure messaging: `length` plaintext bytes from
    /// `offset` (`0`: the rest of the file), with an extended `Le` when the reader sends one.
    pub fn read_binary(
        &mut self,
        offset: u16,
        length: u16,
    ) -> std::result::Result<Zeroizing<Vec<u8>>, SmError> {
        if self.ended {
            return Err(SmError::SessionEnded);
        }
        let [hi, lo] = length.to_be_bytes();
        let ext = self.card.session().use_extended();
        let cmd = Command::new(CLA_SM, ins::READ_BINARY, (offset >> 8) as u8, offset as u8)
            .with_data(&[0x96, 0x03, 0x00, hi, lo])?
            .with_ne(if ext { crate::apdu::MAX_NE } else { 256 })?;
        let (sw, data, n) = self.send(&cmd)?;
        if !sw.is_success() {
            return Err(card_error("READ BINARY (secure messaging)", sw).into());
        }
        let ct = match crate::tlv::parse_one(&data) {
            Ok(t) if t.tag == 0x86 => match t.value.split_first() {
                Some((0x01, ct)) => ct.to_vec(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        match decrypt(&self.key, n, &ct) {
            Some(p) => Ok(p),
            None => {
                self.ended = true;
                Err(SmError::BadResponse)
            }
        }
    }

    /// Selects and reads a whole EF under secure messaging (two commands), trimmed to the
    /// BER-TLV object it holds.
    pub fn read_file(&mut self, fid: Fid) -> std::result::Result<Zeroizing<Vec<u8>>, SmError> {
        self.select(fid)?;
        let mut data = self.read_binary(0, 0)?;
        if let Ok(t) = crate::tlv::parse_one(&data) {
            let total = t.total_len;
            data.truncate(total);
        }
        Ok(data)
    }

    /// The My Number (EF `0001`), read encrypted. Needs the PIN (verified when the session was
    /// opened) or 照合番号A.
    pub fn my_number(&mut self) -> std::result::Result<MyNumber, SmError> {
        let data = self.read_file(text::MY_NUMBER)?;
        parse_my_number(&data).map_err(|reason| {
            Error::Parse {
                fid: text::MY_NUMBER,
                what: "My Number",
                reason,
            }
            .into()
        })
    }

    /// The basic four attributes (EF `0002`), read encrypted.
    pub fn basic_four(&mut self) -> std::result::Result<BasicFour, SmError> {
        let data = self.read_file(text::BASIC_FOUR)?;
        BasicFour::parse(&data).map_err(|reason| {
            Error::Parse {
                fid: text::BASIC_FOUR,
                what: "basic four",
                reason,
            }
            .into()
        })
    }
}

/// `Result` alias kept for symmetry with the crate's other modules.
pub type SmResult<V> = std::result::Result<V, SmError>;
