//! 共通カードAP record 1: the card's serial number, issuing municipality and expiry date
//! ([card facts §2](crate::card_facts#s2)).
//!
//! EF `0001` of 共通カードAP is record-structured; READ RECORD 1 gives a simple-TLV object
//! `01 1C` and 28 ASCII digits: a 15-digit card serial, the 5-digit 全国地方公共団体コード of
//! the issuing municipality (its first two digits are the prefecture), and the expiry date
//! `YYYYMMDD` ([card facts §2](crate::card_facts#s2); myna-card `CardInfo`, which quotes the test
//! card's record `01 1C "400000012719843" "13221" "20350217"`). No PIN is needed.

use std::fmt;

use serde::Serialize;

use crate::apdu::{ins, Command, Status};
use crate::applets::{self, residence};
use crate::error::{Error, Result};
use crate::holder::BirthDate;
use crate::session::card_error;
use crate::tlv;
use crate::transport::Transport;
use crate::Card;

/// Record 1 of 共通カードAP EF `0001`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardIdentity {
    /// The card's serial number, 15 digits.
    pub serial: String,
    /// The issuing municipality's 全国地方公共団体コード, 5 digits.
    pub municipality_code: String,
    /// The card's expiry date.
    pub expiry: BirthDate,
}

impl CardIdentity {
    /// The simple-TLV tag of the record.
    pub const TAG: u8 = 0x01;
    /// The length of its value.
    pub const LEN: usize = 28;

    /// Parses the record: `01 1C` + 28 ASCII digits. Bytes after the object are ignored.
    pub fn parse(record: &[u8]) -> Result<Self, String> {
        let (tag, value, _) = tlv::simple_tlv(record).map_err(|e| e.to_string())?;
        if tag != Self::TAG {
            return Err(format!("expected tag 01, found {tag:02X}"));
        }
        if value.len() != Self::LEN {
            return Err(format!(
                "the record holds {} bytes, not {}",
                value.len(),
                Self::LEN
            ));
        }
        if let Some(i) = value.iter().position(|b| !b.is_ascii_digit()) {
            return Err(format!("byte {} of the record is not a digit", i + 1));
        }
        // All ASCII digits, so every slice is valid UTF-8.
        let text = String::from_utf8_lossy(value);
        Ok(CardIdentity {
            serial: text[..15].to_owned(),
            municipality_code: text[15..20].to_owned(),
            expiry: BirthDate::parse_yyyymmdd(&value[20..])
                .map_err(|e| format!("expiry: {}", e.replace("birth ", "")))?,
        })
    }

    /// The prefecture code: the first two digits of the municipality code.
    pub fn prefecture_code(&self) -> &str {
        &self.municipality_code[..2]
    }
}

impl fmt::Display for CardIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "serial {}, municipality {} (prefecture {}), expires {}",
            self.serial,
            self.municipality_code,
            self.prefecture_code(),
            self.expiry
        )
    }
}

/// 共通カードAP, the card's common application: its identity record. Get one with
/// [`Card::common`]; it borrows the card while it lives.
pub struct Common<'c, T: Transport> {
    card: &'c mut Card<T>,
}

impl<T: Transport> fmt::Debug for Common<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Common").finish_non_exhaustive()
    }
}

impl<T: Transport> Card<T> {
    /// 共通カードAP of this card. Sends nothing by itself.
    pub fn common(&mut self) -> Common<'_, T> {
        Common { card: self }
    }
}

impl<T: Transport> Common<'_, T> {
    /// Reads 共通カードAP record 1 (no PIN): SELECT the application, then READ RECORD
    /// `00 B2 01 0C 00` addressed by SFI 1 — two exchanges. A card that refuses the SFI gets
    /// SELECT EF `0001` and `00 B2 01 04 00` instead.
    pub fn identity(&mut self) -> Result<CardIdentity> {
        let fid = residence::COMMON_RECORD;
        let record = self.card.in_transaction(|card| {
            let s = card.session_mut();
            s.select_df(&applets::COMMON)?;
            // transmit_addressed hands `80|SFI` or `80` (after SELECT EF); READ RECORD puts
            // the SFI in P2 bits 8-4 with `100` = "record number in P1".
            let r = s.transmit_addressed(fid, &|p| {
                let p2 = if p == 0x80 {
                    0x04
                } else {
                    ((p & 0x1F) << 3) | 0x04
                };
                Ok(Command::new(0x00, ins::READ_RECORD, 0x01, p2).with_ne(256)?)
            })?;
            match r.sw.status() {
                Status::Success => Ok(r.data),
                Status::RecordNotFound | Status::FileNotFound => Err(Error::NotFound {
                    what: "共通カードAP record 1 (EF 0001)",
                }),
                _ => Err(card_error("READ RECORD", r.sw)),
            }
        })?;
        CardIdentity::parse(&record).map_err(|reason| Error::Parse {
            fid,
            what: "共通カードAP card identity record",
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test card's record as myna-card quotes it (`src/ap/common.rs`).
    const TEST_CARD: &[u8] = b"\x01\x1c4000000127198431322120350217";

    #[test]
    fn parses_the_published_test_card_record() {
        let id = CardIdentity::parse(TEST_CARD).unwrap();
        assert_eq!(id.serial, "400000012719843");
        assert_eq!(id.municipality_code, "13221");
        assert_eq!(id.prefecture_code(), "13");
        assert_eq!(id.expiry.to_string(), "2035-02-17");
    }

    #[test]
    fn refuses_other_shapes() {
        assert!(CardIdentity::parse(b"\x02\x1c4000000127198431322120350217").is_err());
        assert!(CardIdentity::parse(b"\x01\x1b400000012719843132212035021").is_err());
        assert!(CardIdentity::parse(b"\x01\x1c40000001271984313221203502XX").is_err());
        assert!(CardIdentity::parse(b"\x01\x1c4000000127198431322120351317").is_err());
        assert!(CardIdentity::parse(b"\x01").is_err());
        assert!(CardIdentity::parse(b"").is_err());
    }
}
