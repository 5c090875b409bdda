//! BER-TLV (ISO/IEC 7816-4 §5.2, as in the text-assist and surface files) and simple-TLV (as in
//! the 共通カードAP record). Parsing borrows, never allocates and never panics.

/// A TLV error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlvError {
    /// The input ends inside a tag or length.
    #[error("truncated TLV header at offset {0}")]
    TruncatedHeader(usize),
    /// A length longer than the input.
    #[error("TLV at offset {offset} declares {len} bytes, only {available} remain")]
    LengthPastEnd {
        /// Where the object starts.
        offset: usize,
        /// The declared length.
        len: usize,
        /// Bytes left after its header.
        available: usize,
    },
    /// A length form this parser does not accept (indefinite, or more than 3 length bytes).
    #[error("unsupported TLV length form {0:#04X}")]
    LengthForm(u8),
    /// A tag of more than 3 bytes.
    #[error("TLV tag at offset {0} is longer than 3 bytes")]
    TagTooLong(usize),
    /// Only filler (`00` or `FF`) where an object was expected.
    #[error("only filler bytes where a TLV object was expected")]
    FillerOnly,
}

/// One BER-TLV object, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag, as its bytes big-endian in a `u32` (`0xDF22`, `0x7F21`, `0x30`).
    pub tag: u32,
    /// The value.
    pub value: &'a [u8],
    /// Header plus value length.
    pub total_len: usize,
}

impl<'a> Tlv<'a> {
    /// Whether the tag is constructed (bit 6 of the first tag byte).
    pub fn is_constructed(&self) -> bool {
        let first = if self.tag > 0xFFFF {
            self.tag >> 16
        } else if self.tag > 0xFF {
            self.tag >> 8
        } else {
            self.tag
        };
        first & 0x20 != 0
    }

    /// The objects inside this one's value.
    pub fn children(&self) -> Iter<'a> {
        Iter::new(self.value)
    }
}

/// Parses the header at the start of `data`: `(tag, header length, value length)`.
pub fn header(data: &[u8]) -> Result<(u32, usize, usize), TlvError> {
    let first = *data.first().ok_or(TlvError::TruncatedHeader(0))?;
    let mut tag = first as u32;
    let mut i = 1;
    if first & 0x1F == 0x1F {
        loop {
            let b = *data.get(i).ok_or(TlvError::TruncatedHeader(i))?;
            tag = (tag << 8) | b as u32;
            i += 1;
            if b & 0x80 == 0 {
                break;
            }
            if i >= 3 {
                return Err(TlvError::TagTooLong(0));
            }
        }
    }
    let l0 = *data.get(i).ok_or(TlvError::TruncatedHeader(i))?;
    i += 1;
    let len = match l0 {
        0x00..=0x7F => l0 as usize,
        0x81..=0x83 => {
            let n = (l0 & 0x7F) as usize;
            let bytes = data.get(i..i + n).ok_or(TlvError::TruncatedHeader(i))?;
            i += n;
            bytes.iter().fold(0usize, |a, b| (a << 8) | *b as usize)
        }
        other => return Err(TlvError::LengthForm(other)),
    };
    Ok((tag, i, len))
}

/// The total length (header and value) of the object at the start of `data`, from its header
/// alone; `None` if the header is incomplete or malformed. Used to size reads of files that hold
/// one object followed by filler.
pub fn object_len(data: &[u8]) -> Option<usize> {
    header(data).ok().map(|(_, h, l)| h + l)
}

/// Parses the one object at the start of `data`; what follows it (filler) is ignored.
pub fn parse_one(data: &[u8]) -> Result<Tlv<'_>, TlvError> {
    if !data.is_empty() && data.iter().all(|&b| b == 0xFF || b == 0x00) {
        return Err(TlvError::FillerOnly);
    }
    let (tag, h, len) = header(data)?;
    check_fits(data, h, len)?;
    Ok(Tlv {
        tag,
        value: &data[h..h + len],
        total_len: h + len,
    })
}

/// Iterates over consecutive BER-TLV objects. Stops at the end or at filler (`00`/`FF` after
/// the last object); yields one error and stops on malformed input.
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    data: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> Iter<'a> {
    /// Iterates over `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Iter {
            data,
            pos: 0,
            done: false,
        }
    }
}

impl<'a> Iterator for Iter<'a> {
    type Item = Result<Tlv<'a>, TlvError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos >= self.data.len() {
            return None;
        }
        let rest = &self.data[self.pos..];
        if rest.iter().all(|&b| b == 0xFF || b == 0x00) {
            self.done = true;
            return None;
        }
        match parse_one(rest) {
            Ok(t) => {
                self.pos += t.total_len;
                Some(Ok(t))
            }
            Err(e) => {
                self.done = true;
                Some(Err(match e {
                    TlvError::LengthPastEnd { len, available, .. } => TlvError::LengthPastEnd {
                        offset: self.pos,
                        len,
                        available,
                    },
                    TlvError::TruncatedHeader(o) => TlvError::TruncatedHeader(self.pos + o),
                    TlvError::TagTooLong(o) => TlvError::TagTooLong(self.pos + o),
                    other => other,
                }))
            }
        }
    }
}

/// Finds the first object with `tag` among the objects in `data` (not recursive).
pub fn find(data: &[u8], tag: u32) -> Result<Option<Tlv<'_>>, TlvError> {
    for t in Iter::new(data) {
        let t = t?;
        if t.tag == tag {
            return Ok(Some(t));
        }
    }
    Ok(None)
}

/// Parses one simple-TLV object (ISO/IEC 7816-4 §5.2: one tag byte, a length of one byte or
/// `FF` and two bytes) at the start of `data`: `(tag, value, total length)`.
pub fn simple_tlv(data: &[u8]) -> Result<(u8, &[u8], usize), TlvError> {
    let tag = *data.first().ok_or(TlvError::TruncatedHeader(0))?;
    let l0 = *data.get(1).ok_or(TlvError::TruncatedHeader(1))?;
    let (h, len) = if l0 == 0xFF {
        let b = data.get(2..4).ok_or(TlvError::TruncatedHeader(2))?;
        (4, u16::from_be_bytes([b[0], b[1]]) as usize)
    } else {
        (2, l0 as usize)
    };
    check_fits(data, h, len)?;
    Ok((tag, &data[h..h + len], h + len))
}

/// Whether a value of `len` bytes after a header of `h` bytes fits in `data`.
fn check_fits(data: &[u8], h: usize, len: usize) -> Result<(), TlvError> {
    let available = data.len().saturating_sub(h);
    if len > available {
        return Err(TlvError::LengthPastEnd {
            offset: 0,
            len,
            available,
        });
    }
    Ok(())
}

/// Appends a BER-TLV object with a one- or two-byte tag and a definite length (up to 65,535
/// value bytes; the length field saturates beyond). The one TLV encoder of the crate.
pub fn push(out: &mut Vec<u8>, tag: u16, value: &[u8]) {
    if tag > 0xFF {
        out.extend_from_slice(&tag.to_be_bytes());
    } else {
        out.push(tag as u8);
    }
    match value.len() {
        n @ 0..=0x7F => out.push(n as u8),
        n @ 0x80..=0xFF => out.extend_from_slice(&[0x81, n as u8]),
        n => {
            out.push(0x82);
            out.extend_from_slice(&(n.min(0xFFFF) as u16).to_be_bytes());
        }
    }
    out.extend_from_slice(value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_byte_tags_and_long_lengths() {
        let d = [0xFF, 0x30, 0x82, 0x00, 0x02, 0xDF, 0x31, 0xFF, 0xFF];
        assert_eq!(object_len(&d), Some(7));
        let t = parse_one(&d).unwrap();
        assert_eq!(t.tag, 0xFF30);
        assert_eq!(t.value, &[0xDF, 0x31]);
        assert!(matches!(
            parse_one(&[0xDF, 0x22, 0x05, 1]),
            Err(TlvError::LengthPastEnd { len: 5, .. })
        ));
        assert_eq!(parse_one(&[0xFF; 8]), Err(TlvError::FillerOnly));
        assert_eq!(
            simple_tlv(&[0x01, 0x02, 9, 9, 0]).unwrap(),
            (1, &[9u8, 9][..], 4)
        );
    }
}
