//! 券面事項入力補助AP (text-input assist): the basic four attributes, the My Number, and their
//! integrity record ([card facts §2](crate::card_facts#s2), [§6](crate::card_facts#s6),
//! [§8](crate::card_facts#s8)).
//!
//! Access rules (myna-card, measured; the virtual card enforces the same): the 4-digit
//! text-assist PIN opens `0001` (My Number) and `0002` (basic four); 照合番号A (the My Number
//! itself) opens `0001` only; 照合番号B opens `0002` only; the integrity record `0003` opens
//! with any of them; `0004` (CV certificate) and `0005` (AP info) are free. [`TextAssist`] knows
//! these rules and refuses a read the key it was opened with cannot satisfy, without sending it.
//!
//! Integrity: `0003` holds `DF31` = SHA-256 of the **physical** 17 bytes of `0001` (filler
//! included), `DF32` = SHA-256 of `0002` from the `DF22` tag to the end of its object, and
//! `DF33`, a signature. By default every read of `0001` or `0002` is checked against its digest.
//! `DF33` is an RSA PKCS#1 v1.5 SHA-256 signature that verifies under the public key of the CV
//! certificate in `0004`; it covers the `DF31` and `DF32` objects as they stand in `0003` (tags,
//! lengths and digests: found by checking the test-card fixture, since no public source says;
//! see [`IntegrityRecord::signed_data`]). The CV certificate itself is signed by an issuer key
//! that is not public, so the `DF33` check shows that the record is as the card's issuer made
//! it only as far as `0004` can be trusted.

use std::fmt;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::applets::{self, text, Fid};
use crate::credential::{CredentialKind, MatchingNumberB, MyNumber, TextAssistPin};
use crate::crypto::HashAlgorithm;
use crate::error::{Error, Result};
use crate::holder::{BirthDate, Sex};
use crate::session::FileSize;
use crate::tlv::{self, Tlv};
use crate::transport::Transport;
use crate::{Card, LastTry};

/// The physical size of text-assist `0001`: `FF 10 0C <12 digits> FF FF`
/// ([card facts §8](crate::card_facts#s8)).
pub const MY_NUMBER_FILE_LEN: usize = 17;

fn parse_err(fid: Fid, what: &'static str) -> impl Fn(String) -> Error {
    move |reason| Error::Parse { fid, what, reason }
}

fn tlv_reason(e: tlv::TlvError) -> String {
    e.to_string()
}

/// Parses the one object at the start of a file, requiring `tag`.
fn outer(data: &[u8], tag: u32) -> Result<Tlv<'_>, String> {
    let t = tlv::parse_one(data).map_err(tlv_reason)?;
    if t.tag != tag {
        return Err(format!("expected tag {tag:04X}, found {:X}", t.tag));
    }
    Ok(t)
}

/// Finds exactly one child with `tag`.
fn child<'a>(parent: &Tlv<'a>, tag: u32) -> Result<Tlv<'a>, String> {
    let mut found = None;
    for c in parent.children() {
        let c = c.map_err(tlv_reason)?;
        if c.tag == tag {
            if found.is_some() {
                return Err(format!("tag {tag:04X} appears twice"));
            }
            found = Some(c);
        }
    }
    found.ok_or_else(|| format!("tag {tag:04X} is missing"))
}

/// Parses text-assist `0001`: `FF 10 0C <12 ASCII digits>` followed by filler. The digits must
/// pass the My Number check digit. Errors never contain the digits.
pub fn parse_my_number(data: &[u8]) -> Result<MyNumber, String> {
    let t = outer(data, 0xFF10)?;
    if t.value.len() != 12 {
        return Err(format!("the number is {} bytes, not 12", t.value.len()));
    }
    let s = std::str::from_utf8(t.value).map_err(|_| "the number is not ASCII".to_string())?;
    MyNumber::parse(s).map_err(|e| e.rule.to_string())
}

/// The basic four attributes (基本4情報) from text-assist `0002`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BasicFour {
    /// The name as stored: family and given name separated by U+3000 (ideographic space).
    pub name: String,
    /// The address; digits are full-width as on the card.
    pub address: String,
    /// Date of birth.
    pub birth_date: BirthDate,
    /// Sex.
    pub sex: Sex,
    /// The four offsets of `DF21`, as stored (on the test card, the file offsets of the
    /// `DF22`..`DF25` tags).
    #[serde(skip)]
    pub offsets: [u16; 4],
}

impl BasicFour {
    /// Parses text-assist `0002`:
    /// `FF 20 L { DF21 (4 × u16) DF22 name DF23 address DF24 YYYYMMDD DF25 sex }`, then filler.
    pub fn parse(data: &[u8]) -> Result<Self, String> {
        let o = outer(data, 0xFF20)?;
        let df21 = child(&o, 0xDF21)?;
        let offsets: [u16; 4] = match df21.value {
            [a, b, c, d, e, f, g, h] => [
                u16::from_be_bytes([*a, *b]),
                u16::from_be_bytes([*c, *d]),
                u16::from_be_bytes([*e, *f]),
                u16::from_be_bytes([*g, *h]),
            ],
            v => return Err(format!("DF21 is {} bytes, not 8", v.len())),
        };
        let text = |tag: u32, what: &str| -> Result<String, String> {
            let v = child(&o, tag)?.value;
            String::from_utf8(v.to_vec()).map_err(|_| format!("{what} is not UTF-8"))
        };
        let name = text(0xDF22, "the name")?;
        let address = text(0xDF23, "the address")?;
        let birth_date = BirthDate::parse_yyyymmdd(child(&o, 0xDF24)?.value)?;
        let sex = match child(&o, 0xDF25)?.value {
            [b] => Sex::from_code(*b).ok_or_else(|| format!("sex code {b:02X} is not ISO 5218"))?,
            v => return Err(format!("sex is {} bytes, not 1", v.len())),
        };
        Ok(BasicFour {
            name,
            address,
            birth_date,
            sex,
            offsets,
        })
    }

    /// The family name (before the first U+3000), or the whole name if there is no separator.
    pub fn family_name(&self) -> &str {
        self.name.split('\u{3000}').next().unwrap_or(&self.name)
    }

    /// The given name (after the first U+3000), if there is a separator.
    pub fn given_name(&self) -> Option<&str> {
        self.name.split_once('\u{3000}').map(|(_, g)| g)
    }
}

/// The part of text-assist `0002` that `DF32` covers: from the `DF22` tag to the end of the
/// `FF20` object ([card facts §8](crate::card_facts#s8)). `None` if the file does not parse that
/// far.
pub fn basic_four_digest_input(data: &[u8]) -> Option<&[u8]> {
    let o = tlv::parse_one(data).ok()?;
    let header = o.total_len - o.value.len();
    let mut pos = header;
    for c in o.children() {
        let c = c.ok()?;
        if c.tag == 0xDF22 {
            return data.get(pos..o.total_len);
        }
        pos += c.total_len;
    }
    None
}

/// The integrity record, text-assist `0003`: `FF 30 { DF31 DF32 DF33 }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntegrityRecord {
    /// `DF31`: SHA-256 of the physical 17 bytes of `0001`.
    pub my_number_digest: [u8; 32],
    /// `DF32`: SHA-256 of `0002` from `DF22` to the end of its object.
    pub basic_four_digest: [u8; 32],
    /// `DF33`: the issuer's signature, if present.
    pub signature: Option<Vec<u8>>,
    signed: Vec<u8>,
}

impl IntegrityRecord {
    /// Parses the file.
    pub fn parse(data: &[u8]) -> Result<Self, String> {
        let o = outer(data, 0xFF30)?;
        let digest = |tag: u32| -> Result<[u8; 32], String> {
            let v = child(&o, tag)?.value;
            v.try_into()
                .map_err(|_| format!("{tag:04X} is {} bytes, not 32", v.len()))
        };
        let my_number_digest = digest(0xDF31)?;
        let basic_four_digest = digest(0xDF32)?;
        let header = o.total_len - o.value.len();
        let mut signature = None;
        let mut signed = Vec::new();
        let mut pos = header;
        for c in o.children() {
            let c = c.map_err(tlv_reason)?;
            if c.tag == 0xDF33 {
                if signature.is_some() {
                    return Err("tag DF33 appears twice".into());
                }
                signature = Some(c.value.to_vec());
                // Every object before DF33 (DF31 and DF32), as stored.
                signed = data[header..pos].to_vec();
            }
            pos += c.total_len;
        }
        Ok(IntegrityRecord {
            my_number_digest,
            basic_four_digest,
            signature,
            signed,
        })
    }

    /// The bytes `DF33` signs: the objects before it (`DF31` and `DF32`, tags and lengths
    /// included), as the test-card fixture shows. Empty when there is no `DF33`.
    pub fn signed_data(&self) -> &[u8] {
        &self.signed
    }

    /// Checks the physical `0001` against `DF31`.
    pub fn check_my_number(&self, physical_0001: &[u8]) -> Result<(), String> {
        if Sha256::digest(physical_0001).as_slice() == self.my_number_digest {
            Ok(())
        } else {
            Err(format!(
                "SHA-256 of the {} bytes of EF 0001 does not match DF31 of EF 0003",
                physical_0001.len()
            ))
        }
    }

    /// Checks `0002` against `DF32`.
    pub fn check_basic_four(&self, file_0002: &[u8]) -> Result<(), String> {
        let input =
            basic_four_digest_input(file_0002).ok_or("EF 0002 has no DF22..DF25 part to digest")?;
        if Sha256::digest(input).as_slice() == self.basic_four_digest {
            Ok(())
        } else {
            Err("SHA-256 of EF 0002 from DF22 on does not match DF32 of EF 0003".into())
        }
    }

    /// Checks `DF33` under the CV certificate's key (RSA PKCS#1 v1.5, SHA-256).
    pub fn check_signature(&self, cv: &CvCertificate) -> Result<(), String> {
        let sig = self
            .signature
            .as_ref()
            .ok_or("EF 0003 has no DF33 signature")?;
        let key = cv.rsa_key();
        key.verify_pkcs1v15(
            Some(HashAlgorithm::Sha256),
            &HashAlgorithm::Sha256.digest(&self.signed),
            sig,
        )
        .map_err(|e| format!("DF33 of EF 0003 does not verify under the key of EF 0004: {e}"))
    }
}

/// The card-verifiable certificate of `0004` ([card facts §8](crate::card_facts#s8)): see
/// [`crate::cvc`].
pub use crate::cvc::CvCertificate;

/// The AP info, text-assist `0005`: `FF 40 { DF41 .. DF42 .. DF43 .. }` then filler. No public
/// source describes its fields, so they are given as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApInfo {
    /// The objects inside `FF40`, by tag.
    pub entries: Vec<(u32, Vec<u8>)>,
}

impl ApInfo {
    /// Parses the file.
    pub fn parse(data: &[u8]) -> Result<Self, String> {
        let o = outer(data, 0xFF40)?;
        let mut entries = Vec::new();
        for c in o.children() {
            let c = c.map_err(tlv_reason)?;
            entries.push((c.tag, c.value.to_vec()));
        }
        Ok(ApInfo { entries })
    }
}

/// What opens the text-assist files.
#[derive(Debug, Clone, Copy)]
pub enum TextAssistKey<'a> {
    /// The 4-digit text-assist PIN: opens `0001` and `0002`.
    Pin(&'a TextAssistPin),
    /// 照合番号A (the My Number): opens `0001` only.
    MatchingA(&'a MyNumber),
    /// 照合番号B: opens `0002` only.
    MatchingB(&'a MatchingNumberB),
}

/// Which key opened a [`TextAssist`] session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenedBy {
    /// The text-assist PIN.
    Pin,
    /// 照合番号A.
    MatchingA,
    /// 照合番号B.
    MatchingB,
}

impl OpenedBy {
    /// Whether this key opens `0001` (My Number).
    pub fn opens_my_number(self) -> bool {
        matches!(self, OpenedBy::Pin | OpenedBy::MatchingA)
    }
    /// Whether this key opens `0002` (basic four).
    pub fn opens_basic_four(self) -> bool {
        matches!(self, OpenedBy::Pin | OpenedBy::MatchingB)
    }
}

/// Options for [`Card::text_assist`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextAssistOptions {
    /// Check `0001` and `0002` against the digests in `0003` (default on; one READ BINARY of
    /// `0003` per session).
    pub check_digests: bool,
    /// Also check the `DF33` signature of `0003` under the key of the CV certificate `0004`
    /// (default off; one more READ BINARY).
    pub check_signature: bool,
    /// Whether the VERIFY may spend the last try.
    pub last_try: LastTry,
}

impl Default for TextAssistOptions {
    fn default() -> Self {
        TextAssistOptions {
            check_digests: true,
            check_signature: false,
            last_try: LastTry::Refuse,
        }
    }
}

/// The text-assist AP, opened with a PIN or 照合番号. Reads keep the AP selected, so each costs
/// one READ BINARY where the card accepts SFI and extended length.
pub struct TextAssist<'c, T: Transport> {
    card: &'c mut Card<T>,
    opened_by: OpenedBy,
    options: TextAssistOptions,
    integrity: Option<IntegrityRecord>,
    signature_checked: bool,
    cv: Option<CvCertificate>,
}

impl<T: Transport> fmt::Debug for TextAssist<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextAssist")
            .field("opened_by", &self.opened_by)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<T: Transport> Card<T> {
    /// Selects the text-assist AP and verifies `key` (with the lockout guard if it is on).
    /// The returned handle reads what that key opens.
    pub fn text_assist(
        &mut self,
        key: TextAssistKey<'_>,
        options: TextAssistOptions,
    ) -> Result<TextAssist<'_, T>> {
        let opened_by = match key {
            TextAssistKey::Pin(pin) => {
                self.verify_with(pin, options.last_try)?;
                OpenedBy::Pin
            }
            TextAssistKey::MatchingA(a) => {
                self.verify_matching(&applets::TEXT_ASSIST, a, text::MATCHING_A, options.last_try)?;
                OpenedBy::MatchingA
            }
            TextAssistKey::MatchingB(b) => {
                self.verify_matching(&applets::TEXT_ASSIST, b, text::MATCHING_B, options.last_try)?;
                OpenedBy::MatchingB
            }
        };
        Ok(TextAssist {
            card: self,
            opened_by,
            options,
            integrity: None,
            signature_checked: false,
            cv: None,
        })
    }
}

impl<T: Transport> TextAssist<'_, T> {
    /// Which key opened this session.
    pub fn opened_by(&self) -> OpenedBy {
        self.opened_by
    }

    /// Exchanges sent so far on the card (as [`Card::exchanges`]).
    pub fn exchanges(&self) -> u64 {
        self.card.exchanges()
    }

    fn read(&mut self, fid: Fid, size: FileSize, what: &'static str) -> Result<Vec<u8>> {
        self.card
            .in_transaction(|card| {
                let s = card.session_mut();
                s.select_df(&applets::TEXT_ASSIST)?;
                s.read_file(fid, size)
            })
            .map_err(|e| {
                crate::session::read_error(
                    e,
                    what,
                    "the text-assist PIN or the 照合番号 that opens it",
                )
            })
    }

    /// The integrity record (`0003`), read once per session.
    pub fn integrity_record(&mut self) -> Result<IntegrityRecord> {
        if let Some(r) = &self.integrity {
            return Ok(r.clone());
        }
        let data = self.read(
            text::INTEGRITY,
            FileSize::Tlv { likely_large: true },
            "the text-assist integrity record (EF 0003)",
        )?;
        let rec = IntegrityRecord::parse(&data)
            .map_err(parse_err(text::INTEGRITY, "integrity record"))?;
        if self.options.check_signature && !self.signature_checked {
            let cv = self.cv_certificate()?;
            rec.check_signature(&cv)
                .map_err(|reason| Error::Integrity {
                    what: "text-assist integrity record (EF 0003)",
                    reason,
                })?;
            self.signature_checked = true;
        }
        self.integrity = Some(rec.clone());
        Ok(rec)
    }

    /// The basic four attributes (`0002`), checked against `DF32` unless turned off. Needs the
    /// PIN or 照合番号B; with 照合番号A this is refused without sending anything.
    pub fn basic_four(&mut self) -> Result<BasicFour> {
        const WHAT: &str = "the basic four attributes (EF 0002)";
        if !self.opened_by.opens_basic_four() {
            return Err(Error::NeedsVerification {
                what: WHAT,
                needs: "the text-assist PIN or 照合番号B (照合番号A opens only the My Number)",
            });
        }
        let data = self.read(
            text::BASIC_FOUR,
            FileSize::Tlv {
                likely_large: false,
            },
            WHAT,
        )?;
        let b = BasicFour::parse(&data).map_err(parse_err(text::BASIC_FOUR, "basic four"))?;
        if self.options.check_digests {
            let rec = self.integrity_record()?;
            rec.check_basic_four(&data)
                .map_err(|reason| Error::Integrity { what: WHAT, reason })?;
        }
        Ok(b)
    }

    /// The My Number (`0001`), checked against `DF31` unless turned off. Needs the PIN or
    /// 照合番号A; with 照合番号B this is refused without sending anything.
    pub fn my_number(&mut self) -> Result<MyNumber> {
        const WHAT: &str = "the My Number (EF 0001)";
        if !self.opened_by.opens_my_number() {
            return Err(Error::NeedsVerification {
                what: WHAT,
                needs: "the text-assist PIN or 照合番号A (照合番号B opens only the basic four)",
            });
        }
        let data = zeroize::Zeroizing::new(self.read(
            text::MY_NUMBER,
            FileSize::Fixed(MY_NUMBER_FILE_LEN),
            WHAT,
        )?);
        let n = parse_my_number(&data).map_err(parse_err(text::MY_NUMBER, "My Number"))?;
        if self.options.check_digests {
            let rec = self.integrity_record()?;
            rec.check_my_number(&data)
                .map_err(|reason| Error::Integrity { what: WHAT, reason })?;
        }
        Ok(n)
    }

    /// The CV certificate (`0004`, free), read once per session.
    pub fn cv_certificate(&mut self) -> Result<CvCertificate> {
        if let Some(cv) = &self.cv {
            return Ok(cv.clone());
        }
        let data = self.read(
            text::CV_CERT,
            FileSize::Tlv { likely_large: true },
            "the text-assist CV certificate (EF 0004)",
        )?;
        let cv = CvCertificate::parse(&data).map_err(parse_err(text::CV_CERT, "CV certificate"))?;
        self.cv = Some(cv.clone());
        Ok(cv)
    }

    /// The AP's card key with the issuer's signature over it (`0007`; opened by the PIN or
    /// either 照合番号). With `check_signature` on, `DF52` is checked under the key of `0004`.
    pub fn signed_public_key(&mut self) -> Result<crate::cvc::SignedPublicKey> {
        const WHAT: &str = "the text-assist signed public key (EF 0007)";
        let data = self.read(text::SIGNED_KEY, FileSize::Tlv { likely_large: true }, WHAT)?;
        let k = crate::cvc::SignedPublicKey::parse(&data)
            .map_err(parse_err(text::SIGNED_KEY, "signed public key"))?;
        if self.options.check_signature {
            let cv = self.cv_certificate()?;
            k.check_signature(&cv)
                .map_err(|reason| Error::Integrity { what: WHAT, reason })?;
        }
        Ok(k)
    }

    /// Proves the card is present: the card signs a fresh challenge with the AP's card key
    /// (`80 2A 00 00`, no PIN), checked under the key of `0007`, whose signature is checked under
    /// the CV certificate `0004` (see [`crate::presence`]). Reads `0007` and `0004` unless this
    /// session already did.
    pub fn prove_presence(&mut self, nonce: &[u8]) -> Result<crate::presence::PresenceProof> {
        let cv = self.cv_certificate()?;
        let signed = self.signed_public_key()?;
        signed
            .check_signature(&cv)
            .map_err(|reason| Error::Integrity {
                what: "the text-assist signed public key (EF 0007)",
                reason,
            })?;
        crate::presence::challenge(self.card, &applets::TEXT_ASSIST, &signed.key, nonce)
    }

    /// The AP info (`0005`, free).
    pub fn ap_info(&mut self) -> Result<ApInfo> {
        let data = self.read(
            text::AP_INFO,
            FileSize::Tlv {
                likely_large: false,
            },
            "the text-assist AP info (EF 0005)",
        )?;
        ApInfo::parse(&data).map_err(parse_err(text::AP_INFO, "AP info"))
    }
}

/// Whether a credential kind is a 照合番号 or the card-surface birth-date key: the keys that
/// open data rather than PINs (for error handling in callers).
pub fn is_matching_number(kind: CredentialKind) -> bool {
    matches!(
        kind,
        CredentialKind::MatchingNumberA
            | CredentialKind::MatchingNumberB
            | CredentialKind::BirthDateKey
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birth_dates() {
        assert_eq!(
            BirthDate::parse_yyyymmdd(b"19800217").unwrap().to_string(),
            "1980-02-17"
        );
        assert!(BirthDate::parse_yyyymmdd(b"19800230").is_err());
        assert!(BirthDate::parse_yyyymmdd(b"19801301").is_err());
        assert!(BirthDate::parse_yyyymmdd(b"2000022").is_err());
        assert!(BirthDate::parse_yyyymmdd(b"20000229").is_ok());
        assert!(BirthDate::parse_yyyymmdd(b"19000229").is_err());
    }

    #[test]
    fn my_number_errors_never_show_digits() {
        let mut f = vec![0xFF, 0x10, 0x0C];
        f.extend_from_slice(b"537686677189");
        f.extend_from_slice(&[0xFF, 0xFF]);
        let e = parse_my_number(&f).unwrap_err();
        assert!(!e.contains("53768667718"), "{e}");
        assert!(parse_my_number(&[0xFF; 17]).is_err());
    }
}
