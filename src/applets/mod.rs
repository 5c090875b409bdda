//! The card's applications: AIDs, files and key references ([card facts §1](crate::card_facts#s1),
//! [§2](crate::card_facts#s2)).
//!
//! Every file id here is in `0001..=001E`, so it also has a short EF identifier (its low five
//! bits), which READ BINARY, VERIFY and SIGN accept in place of a SELECT
//! ([card facts §2](crate::card_facts#s2)).

pub mod jpki;
pub mod residence;
pub mod surface;
pub mod text;

use std::fmt;

/// An application identifier (DF name), selected with `00 A4 04 0C 0A <AID>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Aid(pub [u8; 10]);

impl Aid {
    /// The bytes.
    pub const fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Aid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Aid({})", hex::encode_upper(self.0))
    }
}

/// 公的個人認証AP (JPKI).
pub const JPKI: Aid = Aid([0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01]);
/// 券面事項入力補助AP (text-input assist).
pub const TEXT_ASSIST: Aid = Aid([0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x08]);
/// 住基AP (residence registry).
pub const JUKI: Aid = Aid([0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x01]);
/// 共通カードAP (common card).
pub const COMMON: Aid = Aid([0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x01, 0x00]);
/// 券面事項確認AP (card surface).
pub const SURFACE: Aid = Aid([0xD3, 0x92, 0x10, 0x00, 0x31, 0x00, 0x01, 0x01, 0x04, 0x02]);

/// The five applications, in the order a status report lists them.
pub const ALL: [(Aid, &str); 5] = [
    (JPKI, "公的個人認証AP (JPKI)"),
    (TEXT_ASSIST, "券面事項入力補助AP (text-input assist)"),
    (JUKI, "住基AP (residence registry)"),
    (COMMON, "共通カードAP (common card)"),
    (SURFACE, "券面事項確認AP (card surface)"),
];

/// A human name for an AID.
pub fn name(aid: &Aid) -> &'static str {
    ALL.iter()
        .find(|(a, _)| a == aid)
        .map(|(_, n)| *n)
        .unwrap_or("unknown application")
}

/// An elementary file id. Ids up to `001E` have a short EF identifier.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fid(pub u16);

impl Fid {
    /// The short EF identifier (the low five bits), if this id has one.
    pub const fn sfi(self) -> Option<u8> {
        if self.0 >= 1 && self.0 <= 0x1E {
            Some(self.0 as u8)
        } else {
            None
        }
    }
}

impl fmt::Debug for Fid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EF {:04X}", self.0)
    }
}

impl fmt::Display for Fid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}
