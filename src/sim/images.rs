//! Synthetic images for the virtual card's card-surface AP: small valid PNGs (1-bit greyscale,
//! as myna-card describes the card's rendered fields) and a **synthetic** JPEG 2000 file for the
//! photo (a JP2 container with a real header and a codestream of main-header markers only: it
//! names its size but carries no picture). Nothing here is a real person's image.
//!
//! The PNGs are built by hand (ISO/IEC 15948: signature, `IHDR`, one `IDAT` holding a zlib
//! stream of stored deflate blocks, `IEND`; CRC-32 and Adler-32 computed here), so the virtual
//! card needs no image crate. Digits are drawn with a 3×5 font scaled by two, so the
//! security-code image (4 digits, 24×12, the size myna-card reports) and the My Number image
//! (12 digits, 72×12) show their digits; the name and address images are patterns derived from
//! the text, since drawing Japanese text would need a font.

use sha2::{Digest, Sha256};

/// A 1-bit image, row-major, `true` = black.
struct Bitmap {
    width: u32,
    height: u32,
    black: Vec<bool>,
}

impl Bitmap {
    fn new(width: u32, height: u32) -> Self {
        Bitmap {
            width,
            height,
            black: vec![false; (width * height) as usize],
        }
    }

    fn set(&mut self, x: u32, y: u32) {
        if x < self.width && y < self.height {
            self.black[(y * self.width + x) as usize] = true;
        }
    }
}

/// 3×5 glyphs of the digits, one row per 3 bits (most significant bit = left column).
const DIGITS: [[u8; 5]; 10] = [
    [0b111, 0b101, 0b101, 0b101, 0b111],
    [0b010, 0b110, 0b010, 0b010, 0b111],
    [0b111, 0b001, 0b111, 0b100, 0b111],
    [0b111, 0b001, 0b111, 0b001, 0b111],
    [0b101, 0b101, 0b111, 0b001, 0b001],
    [0b111, 0b100, 0b111, 0b001, 0b111],
    [0b111, 0b100, 0b111, 0b101, 0b111],
    [0b111, 0b001, 0b010, 0b010, 0b010],
    [0b111, 0b101, 0b111, 0b101, 0b111],
    [0b111, 0b101, 0b111, 0b001, 0b111],
];

/// Digits drawn 5×10 in 6×12 cells (6 pixels wide per digit, 12 high): the 3×5 font with
/// rows doubled and columns 2, 1 and 2 pixels wide, a blank column and blank top and bottom
/// rows between digits. Non-digits are left blank.
fn digits_bitmap(text: &str) -> Bitmap {
    // Left edge and width of each font column inside a cell.
    const COLUMNS: [(u32, u32); 3] = [(0, 2), (2, 1), (3, 2)];
    let n = text.chars().count().max(1) as u32;
    let mut b = Bitmap::new(6 * n, 12);
    for (i, c) in text.chars().enumerate() {
        let Some(d) = c.to_digit(10) else { continue };
        for (row, bits) in DIGITS[d as usize].iter().enumerate() {
            for (col, (left, width)) in COLUMNS.iter().enumerate() {
                if bits & (0b100 >> col) == 0 {
                    continue;
                }
                for dx in 0..*width {
                    for dy in 0..2 {
                        b.set(i as u32 * 6 + left + dx, 1 + row as u32 * 2 + dy);
                    }
                }
            }
        }
    }
    b
}

/// A pattern derived from `text` (vertical bars from its SHA-256), framed: stands in for
/// rendered Japanese text.
fn pattern_bitmap(text: &str, width: u32, height: u32) -> Bitmap {
    let mut b = Bitmap::new(width, height);
    let mut h: [u8; 32] = Sha256::digest(text.as_bytes()).into();
    let mut x = 2;
    while x + 2 < width {
        for byte in h {
            let bar = 1 + (byte & 3) as u32;
            let gap = 1 + ((byte >> 2) & 3) as u32;
            let top = 2 + ((byte >> 4) as u32 % (height / 4).max(1));
            for dx in 0..bar {
                for y in top..height.saturating_sub(2) {
                    if x + dx + 2 < width {
                        b.set(x + dx, y);
                    }
                }
            }
            x += bar + gap;
            if x + 2 >= width {
                break;
            }
        }
        h = Sha256::digest(h).into();
    }
    for x in 0..width {
        b.set(x, 0);
        b.set(x, height - 1);
    }
    for y in 0..height {
        b.set(0, y);
        b.set(width - 1, y);
    }
    b
}

/// CRC-32 (ISO 3309, the one PNG uses), bitwise.
fn crc32(parts: &[&[u8]]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for part in parts {
        for &byte in *part {
            c ^= byte as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
        }
    }
    !c
}

/// Adler-32 (RFC 1950).
fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &d in data {
        a = (a + d as u32) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

/// A zlib stream (RFC 1950) of stored deflate blocks (RFC 1951 §3.2.4).
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let mut chunks = data.chunks(0xFFFF).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[0x01, 0x00, 0x00, 0xFF, 0xFF]);
    }
    while let Some(chunk) = chunks.next() {
        out.push(if chunks.peek().is_none() { 0x01 } else { 0x00 });
        let len = chunk.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(chunk);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    out.extend_from_slice(&crc32(&[kind, data]).to_be_bytes());
}

/// A 1-bit greyscale PNG of `b` (0 = black, 1 = white), with a `tEXt` chunk saying it is
/// synthetic.
fn png(b: &Bitmap) -> Vec<u8> {
    let mut raw = Vec::new();
    let row_bytes = b.width.div_ceil(8) as usize;
    for y in 0..b.height {
        raw.push(0); // filter: none
        let mut row = vec![0xFFu8; row_bytes];
        for x in 0..b.width {
            if b.black[(y * b.width + x) as usize] {
                row[(x / 8) as usize] &= !(0x80 >> (x % 8));
            }
        }
        raw.extend_from_slice(&row);
    }
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&b.width.to_be_bytes());
    ihdr.extend_from_slice(&b.height.to_be_bytes());
    // Bit depth 1, colour type 0 (greyscale), compression 0, filter 0, no interlace.
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(
        &mut out,
        b"tEXt",
        b"Comment\0mynacard virtual card: synthetic image",
    );
    png_chunk(&mut out, b"IDAT", &zlib_stored(&raw));
    png_chunk(&mut out, b"IEND", &[]);
    out
}

/// A PNG of `digits` (the security code, the My Number).
pub fn digits_png(digits: &str) -> Vec<u8> {
    png(&digits_bitmap(digits))
}

/// A PNG standing in for rendered text (`width` × `height`).
pub fn text_png(text: &str, width: u32, height: u32) -> Vec<u8> {
    png(&pattern_bitmap(text, width.max(8), height.max(8)))
}

fn jp2_box(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32 + 8).to_be_bytes());
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
}

/// A **synthetic** JPEG 2000 photo (JP2, ISO/IEC 15444-1 Annex I): signature box, `ftyp`,
/// `jp2h` (`ihdr` greyscale 8-bit `width`×`height`, `colr` greyscale) and a `jp2c` codestream
/// holding only main-header markers (`SOC`, `SIZ`, `COD`, `QCD`, a `COM` saying it is synthetic,
/// `EOC`): a valid header with no picture data.
pub fn synthetic_jp2(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    jp2_box(&mut out, b"jP  ", &[0x0D, 0x0A, 0x87, 0x0A]);
    jp2_box(&mut out, b"ftyp", b"jp2 \0\0\0\0jp2 ");
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&width.to_be_bytes());
    // One component, 8 bits unsigned (7 = bits - 1), compression 7, colourspace known, no IPR.
    ihdr.extend_from_slice(&[0x00, 0x01, 0x07, 0x07, 0x00, 0x00]);
    let mut header = Vec::new();
    jp2_box(&mut header, b"ihdr", &ihdr);
    // Enumerated colourspace 17: greyscale.
    jp2_box(
        &mut header,
        b"colr",
        &[0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11],
    );
    jp2_box(&mut out, b"jp2h", &header);

    let mut cs = vec![0xFF, 0x4F]; // SOC
                                   // SIZ: Lsiz 41 (one component), Rsiz 0, size, offsets, one tile the whole image.
    cs.extend_from_slice(&[0xFF, 0x51, 0x00, 0x29, 0x00, 0x00]);
    for v in [width, height, 0, 0, width, height, 0, 0] {
        cs.extend_from_slice(&v.to_be_bytes());
    }
    cs.extend_from_slice(&[0x00, 0x01, 0x07, 0x01, 0x01]);
    // COD: LRCP, 1 layer, no MCT, 5 decompositions, 64×64 code-blocks, 5-3 reversible.
    cs.extend_from_slice(&[
        0xFF, 0x52, 0x00, 0x0C, 0x00, 0x00, 0x00, 0x01, 0x00, 0x05, 0x04, 0x04, 0x00, 0x01,
    ]);
    // QCD: no quantisation, 2 guard bits, one exponent per sub-band (16).
    cs.extend_from_slice(&[0xFF, 0x5C, 0x00, 0x13, 0x40]);
    cs.extend_from_slice(&[0x48; 16]);
    let comment = b"mynacard virtual card: synthetic photo header, no picture";
    cs.extend_from_slice(&[0xFF, 0x64]);
    cs.extend_from_slice(&(comment.len() as u16 + 4).to_be_bytes());
    cs.extend_from_slice(&[0x00, 0x01]); // Latin-1 text
    cs.extend_from_slice(comment);
    cs.extend_from_slice(&[0xFF, 0xD9]); // EOC
    jp2_box(&mut out, b"jp2c", &cs);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_values() {
        // CRC-32 and Adler-32 of "123456789" (their standard check values).
        assert_eq!(crc32(&[b"123456789"]), 0xCBF4_3926);
        assert_eq!(adler32(b"123456789"), 0x091E_01DE);
        // The IEND chunk's CRC, as every PNG has it.
        assert_eq!(crc32(&[b"IEND"]), 0xAE42_6082);
    }

    #[test]
    fn digits_are_drawn() {
        let b = digits_bitmap("18");
        assert_eq!((b.width, b.height), (12, 12));
        // "1": the middle column (x = 2) is black all the way down; x = 5 is the gap.
        for y in 1..11 {
            assert!(b.black[(y * 12 + 2) as usize], "row {y}");
            assert!(!b.black[(y * 12 + 5) as usize], "row {y}");
        }
        assert!(!b.black[0]);
    }
}
