//! The virtual card's holder data and files, in the real card's layout
//! ([card facts §2](crate::card_facts#s2), [§8](crate::card_facts#s8)).
//!
//! The default holder is synthetic and obviously fake: 見本 花子 (見本 means "sample"), living
//! at a 見本町 address, My Number `123456789018` (check digit valid, sequence obviously made up).

use sha2::{Digest, Sha256};

/// The data printed on (and stored in) the virtual card.
#[derive(Clone, PartialEq, Eq)]
pub struct Holder {
    /// Family name.
    pub family_name: String,
    /// Given name.
    pub given_name: String,
    /// Address; digits are full-width as on the real card.
    pub address: String,
    /// Birth date `(year, month, day)`.
    pub birth: (u16, u8, u8),
    /// ISO 5218: `1` male, `2` female, `9` not applicable.
    pub sex: u8,
    /// The 12-digit My Number (ASCII digits).
    pub my_number: String,
    /// The expiry year printed on the card.
    pub expiry_year: u16,
    /// The 4-digit security code printed on the card.
    pub security_code: String,
}

impl std::fmt::Debug for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Holder")
            .field("family_name", &self.family_name)
            .field("my_number", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl Default for Holder {
    fn default() -> Self {
        Holder {
            family_name: "見本".into(),
            given_name: "花子".into(),
            address: "東京都見本市見本町１－２－３".into(),
            birth: (1985, 4, 1),
            sex: 2,
            my_number: "123456789018".into(),
            expiry_year: 2035,
            security_code: "1234".into(),
        }
    }
}

impl Holder {
    /// 照合番号B for this holder (era-year birth date, expiry year, security code).
    pub fn matching_b(&self) -> String {
        let (y, m, d) = self.birth;
        let era = crate::holder::era_year(y, m, d).unwrap_or(0);
        format!(
            "{:02}{:02}{:02}{:04}{}",
            era % 100,
            m,
            d,
            self.expiry_year,
            self.security_code
        )
    }

    /// The expiry date as `YYYYMMDD`: the birthday in the expiry year, as on the test card
    /// (born 02-17, expires 2035-02-17; myna-card `CardInfo`). A 29 February birthday expires
    /// on the 28th in a common year.
    pub fn expiry_yyyymmdd(&self) -> String {
        let (_, m, mut d) = self.birth;
        let y = self.expiry_year;
        let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
        if m == 2 && d == 29 && !leap {
            d = 28;
        }
        format!("{y:04}{m:02}{d:02}")
    }

    /// Birth date as `YYYYMMDD`.
    pub fn birth_yyyymmdd(&self) -> String {
        let (y, m, d) = self.birth;
        format!("{y:04}{m:02}{d:02}")
    }
}

/// Appends a BER-TLV object with a one- or two-byte tag.
pub(crate) fn push_tlv(out: &mut Vec<u8>, tag: u16, value: &[u8]) {
    if tag > 0xFF {
        out.extend_from_slice(&tag.to_be_bytes());
    } else {
        out.push(tag as u8);
    }
    let n = value.len();
    match n {
        0..=0x7F => out.push(n as u8),
        0x80..=0xFF => out.extend_from_slice(&[0x81, n as u8]),
        _ => {
            out.push(0x82);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(value);
}

/// Text-assist `0001`: `FF 10 0C <12 digits> FF FF` (17 physical bytes).
pub fn text_my_number(h: &Holder) -> Vec<u8> {
    let mut v = Vec::with_capacity(17);
    push_tlv(&mut v, 0xFF10, h.my_number.as_bytes());
    v.extend_from_slice(&[0xFF, 0xFF]);
    v
}

/// Text-assist `0002`: `FF 20 L { DF21 offsets, DF22 name, DF23 address, DF24 birth, DF25 sex }`.
/// The four offsets in DF21 are, as on the test card, the file offsets of the DF22..DF25 tags.
pub fn text_basic_four(h: &Holder) -> Vec<u8> {
    let name = format!("{}\u{3000}{}", h.family_name, h.given_name);
    let birth = h.birth_yyyymmdd();
    let sex = [b'0' + h.sex];
    let parts: [(u16, &[u8]); 4] = [
        (0xDF22, name.as_bytes()),
        (0xDF23, h.address.as_bytes()),
        (0xDF24, birth.as_bytes()),
        (0xDF25, &sex),
    ];
    let mut body = Vec::new();
    for (tag, value) in parts {
        push_tlv(&mut body, tag, value);
    }
    // Header of the outer object: FF 20 + length; inside it DF21 08 + 8 bytes (11 bytes).
    let inner_len = body.len() + 11;
    let header_len = 2 + if inner_len < 0x80 {
        1
    } else if inner_len < 0x100 {
        2
    } else {
        3
    };
    let mut offsets = Vec::with_capacity(8);
    let mut pos = header_len + 11;
    for t in crate::tlv::Iter::new(&body).flatten() {
        offsets.extend_from_slice(&(pos as u16).to_be_bytes());
        pos += t.total_len;
    }
    let mut inner = Vec::new();
    push_tlv(&mut inner, 0xDF21, &offsets);
    inner.extend_from_slice(&body);
    let mut out = Vec::new();
    push_tlv(&mut out, 0xFF20, &inner);
    out
}

/// The part of text `0002` covered by the DF32 digest: from the DF22 tag to the end of the
/// object ([card facts §8](crate::card_facts#s8)).
pub fn basic_four_digest_input(file: &[u8]) -> Option<&[u8]> {
    let outer = crate::tlv::parse_one(file).ok()?;
    let df21 = crate::tlv::find(outer.value, 0xDF21).ok()??;
    let start = (outer.value.as_ptr() as usize - file.as_ptr() as usize)
        + (df21.value.as_ptr() as usize - outer.value.as_ptr() as usize)
        + df21.value.len();
    file.get(start..outer.total_len)
}

/// SHA-256.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// JPKI token info `0006`: 160 bytes, the label `JPKIAPICCTOKEN2` space-padded to 32 bytes.
pub fn token_info() -> Vec<u8> {
    let mut v = vec![0u8; 160];
    v[..32].fill(b' ');
    v[..15].copy_from_slice(b"JPKIAPICCTOKEN2");
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_four_layout_matches_fixture_shape() {
        // The fixture's DF21 offsets are the file offsets of the tags; check ours the same way.
        let f = text_basic_four(&Holder::default());
        let outer = crate::tlv::parse_one(&f).unwrap();
        assert_eq!(outer.tag, 0xFF20);
        let df21 = crate::tlv::find(outer.value, 0xDF21).unwrap().unwrap();
        let first = u16::from_be_bytes([df21.value[0], df21.value[1]]) as usize;
        assert_eq!(&f[first..first + 2], &[0xDF, 0x22]);
        let input = basic_four_digest_input(&f).unwrap();
        assert_eq!(&input[..2], &[0xDF, 0x22]);
        assert_eq!(text_my_number(&Holder::default()).len(), 17);
    }
}
