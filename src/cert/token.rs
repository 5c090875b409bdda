//! JPKI token info (EF `0006`) and certificate availability (EF `0008`).

use std::fmt;

use serde::Serialize;

use crate::error::Result;

/// What kind of token the JPKI AP is on, from the label in EF `0006`
/// ([card facts §2](crate::card_facts#s2)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TokenKind {
    /// `JPKIAPICCTOKEN2`: a physical My Number Card.
    PhysicalCard,
    /// `JPKIAPGPSETOKEN`: an Android phone (スマホ用電子証明書).
    AndroidPhone,
    /// `JPKIAPIOSTOKEN`: an iPhone.
    IPhone,
    /// `JPKIAPICCTOKEN`: an old 住基 card.
    OldJukiCard,
    /// A label this library does not know.
    Unknown,
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenKind::PhysicalCard => "physical My Number Card",
            TokenKind::AndroidPhone => "Android phone",
            TokenKind::IPhone => "iPhone",
            TokenKind::OldJukiCard => "old 住基 card",
            TokenKind::Unknown => "unknown token",
        })
    }
}

/// JPKI token info (EF `0006`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    /// The label: the first 32 bytes, trailing spaces removed.
    pub label: String,
    /// What the label says the token is.
    pub kind: TokenKind,
}

impl TokenInfo {
    /// Parses the file. The label is the first 32 bytes, space-padded ASCII; the rest of the
    /// 160 bytes is not interpreted.
    pub fn parse(data: &[u8]) -> Result<Self, String> {
        let Some(label) = data.get(..32) else {
            return Err(format!("{} bytes; a label needs 32", data.len()));
        };
        if label.iter().all(|&b| b == 0xFF || b == 0x00) {
            return Err("only filler bytes, no label".into());
        }
        let end = label
            .iter()
            .rposition(|&b| b != b' ' && b != 0)
            .map_or(0, |i| i + 1);
        let label = &label[..end];
        if label.is_empty() || !label.iter().all(|b| b.is_ascii_graphic()) {
            return Err(format!(
                "label is not printable ASCII: {}",
                hex::encode_upper(label)
            ));
        }
        let label = String::from_utf8_lossy(label).into_owned();
        let kind = match label.as_str() {
            "JPKIAPICCTOKEN2" => TokenKind::PhysicalCard,
            "JPKIAPGPSETOKEN" => TokenKind::AndroidPhone,
            "JPKIAPIOSTOKEN" => TokenKind::IPhone,
            "JPKIAPICCTOKEN" => TokenKind::OldJukiCard,
            _ => TokenKind::Unknown,
        };
        Ok(TokenInfo { label, kind })
    }
}

/// Whether a certificate exists, from one byte of EF `0008`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "byte")]
pub enum Presence {
    /// `8F`: the certificate exists.
    Present,
    /// `00`: no certificate (for example no signature certificate on the card of an under-15).
    Absent,
    /// Another value, which no source describes.
    Unknown(u8),
}

impl Presence {
    fn from_byte(b: u8) -> Self {
        match b {
            0x8F => Presence::Present,
            0x00 => Presence::Absent,
            other => Presence::Unknown(other),
        }
    }
}

/// Certificate availability (EF `0008`, 3 bytes: `8F 8F 00` when both exist; byte 0 is the
/// signature certificate, byte 1 the user-authentication certificate;
/// [card facts §2](crate::card_facts#s2)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CertAvailability {
    /// The signature certificate.
    pub sign: Presence,
    /// The user-authentication certificate.
    pub auth: Presence,
}

impl CertAvailability {
    /// Parses the file (at least its first two bytes).
    pub fn parse(data: &[u8]) -> Result<Self, String> {
        match data {
            [s, a, ..] => Ok(CertAvailability {
                sign: Presence::from_byte(*s),
                auth: Presence::from_byte(*a),
            }),
            _ => Err(format!("{} bytes; expected 3", data.len())),
        }
    }

    /// Whether both are present, as self-service reset requires
    /// ([card facts §11](crate::card_facts#s11)).
    pub fn both(&self) -> bool {
        self.sign == Presence::Present && self.auth == Presence::Present
    }
}

// ---------------------------------------------------------------------------------------------
// Reading from the card.
