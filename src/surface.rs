//! 券面事項確認AP (card surface): the card face as images, the My Number image, the
//! age-verification record and the AP info, each signed by the key of the AP's CV certificate
//! ([card facts §1](crate::card_facts#s1), [§2](crate::card_facts#s2)).
//!
//! The [card facts](crate::card_facts) page gives the files and keys, not their contents. The
//! layouts below are those of two public implementations that read real cards, which agree tag for
//! tag: myna-card (`src/ap/surface.rs`, `src/data.rs`) and jsapdu
//! (`packages/mynacard/src/schema.ts`, `schemaKenkaku*`). No surface file of a real card is among
//! this crate's fixtures, so these parsers are checked against the virtual card (which follows the
//! same layouts) and fuzzed, not against real bytes.
//!
//! | EF | content | opened by |
//! |---|---|---|
//! | `0001` | `FF10 { DF11 birth date YYYYMMDD, DF12 AP key, DF13 signature }` | the birth-date key `0011` |
//! | `0002` | `FF20 { DF21 offsets, DF22 birth date, DF23 sex, DF24 AP key, DF25 name PNG, DF26 address PNG, DF27 photo JPEG 2000, DF28 signature, DF29 expiry YYYYMMDD, DF2A security-code PNG }` | 照合番号A `0013` or B `0012` |
//! | `0003` | `FF30 { DF31 layout, DF32 key id, DF33 version, DF34 municipality code, DF35 key id + 256 opaque bytes }` | free |
//! | `0004` | CV certificate ([`crate::cvc`]) | free |
//! | `0005` | `FF40 { DF41 My Number PNG, DF42 AP key, DF43 signature }` | 照合番号A only |
//!
//! Signatures (myna-card, measured; the virtual card follows them): `DF13` and `DF43` are RSA
//! PKCS#1 v1.5 SHA-256 over every object before them as stored. `DF28` is PKCS#1 v1.5 over a
//! DigestInfo whose digest is three SHA-256 digests concatenated (96 bytes): of `DF22 DF23 DF24`,
//! of `DF25 DF26`, and of `DF27` (objects as stored). `DF29` (expiry) and `DF2A` (security-code
//! image) come after `DF28` and are **not** covered by it.
//!
//! Tolerance: tags this crate does not know are kept aside, not refused; `0003`'s fields are all
//! optional, since only one source describes them and `DF35`'s meaning is unknown. `DF21`, when
//! present, must give the file offset of each object after it (myna-card checks the same).

use std::fmt;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::applets::{self, surface, Fid};
use crate::credential::{BirthDateKey, MatchingNumberB, MyNumber};
use crate::crypto::RsaKey;
use crate::cvc::{self, CvCertificate, KeyId};
use crate::error::{Error, Result};
use crate::holder::{BirthDate, Sex};
use crate::presence::PresenceProof;
use crate::session::FileSize;
use crate::tlv;
use crate::transport::Transport;
use crate::{Card, LastTry};

/// A calendar date (`YYYYMMDD` on the card); the same type as [`BirthDate`].
pub type CardDate = BirthDate;

/// An image format, told by its first bytes (the card says nothing else).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageFormat {
    /// PNG (`89 50 4E 47 0D 0A 1A 0A`): the name, address, security-code and My Number images.
    Png,
    /// JPEG 2000 in the JP2 container (signature box `00 00 00 0C 6A 50 20 20 0D 0A 87 0A`):
    /// the photo.
    Jp2,
    /// A bare JPEG 2000 codestream (`FF 4F FF 51`).
    J2k,
    /// Not recognised.
    Unknown,
}

impl ImageFormat {
    /// Detects the format of `data`.
    pub fn detect(data: &[u8]) -> Self {
        if data.starts_with(b"\x89PNG\r\n\x1a\n") {
            ImageFormat::Png
        } else if data.starts_with(b"\x00\x00\x00\x0CjP  \r\n\x87\n") {
            ImageFormat::Jp2
        } else if data.starts_with(&[0xFF, 0x4F, 0xFF, 0x51]) {
            ImageFormat::J2k
        } else {
            ImageFormat::Unknown
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Jp2 => "jp2",
            ImageFormat::J2k => "j2k",
            ImageFormat::Unknown => "bin",
        }
    }
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImageFormat::Png => "PNG",
            ImageFormat::Jp2 => "JPEG 2000 (JP2)",
            ImageFormat::J2k => "JPEG 2000 codestream",
            ImageFormat::Unknown => "unknown format",
        })
    }
}

/// An image as the card stores it.
#[derive(Clone, PartialEq, Eq)]
pub struct Image {
    /// The encoded bytes, exactly as read.
    pub data: Vec<u8>,
    /// The format, from the first bytes.
    pub format: ImageFormat,
}

impl fmt::Debug for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Image({}, {} bytes", self.format, self.data.len())?;
        if let Some((w, h)) = self.dimensions() {
            write!(f, ", {w}×{h}")?;
        }
        f.write_str(")")
    }
}

impl Image {
    /// Wraps image bytes, detecting the format.
    pub fn new(data: Vec<u8>) -> Self {
        Image {
            format: ImageFormat::detect(&data),
            data,
        }
    }

    /// Width and height from the header (PNG `IHDR`; JP2 `ihdr` inside `jp2h`; codestream
    /// `SIZ`), if present and readable.
    pub fn dimensions(&self) -> Option<(u32, u32)> {
        let be32 = |d: &[u8], at: usize| -> Option<u32> {
            Some(u32::from_be_bytes(d.get(at..at + 4)?.try_into().ok()?))
        };
        match self.format {
            ImageFormat::Png => {
                // Signature (8), IHDR length (4) and type (4), then width and height.
                if self.data.get(12..16)? != b"IHDR" {
                    return None;
                }
                Some((be32(&self.data, 16)?, be32(&self.data, 20)?))
            }
            ImageFormat::Jp2 => {
                let jp2h = jp2_box(&self.data, b"jp2h")?;
                let ihdr = jp2_box(jp2h, b"ihdr")?;
                // ihdr: HEIGHT, WIDTH.
                Some((be32(ihdr, 4)?, be32(ihdr, 0)?))
            }
            ImageFormat::J2k => {
                // SIZ: FF51 Lsiz Rsiz Xsiz Ysiz XOsiz YOsiz ...
                let d = &self.data;
                let (x, y) = (be32(d, 8)?, be32(d, 12)?);
                let (xo, yo) = (be32(d, 16)?, be32(d, 20)?);
                Some((x.checked_sub(xo)?, y.checked_sub(yo)?))
            }
            ImageFormat::Unknown => None,
        }
    }
}

/// The contents of the first JP2 box of type `kind` among the boxes of `data` (ISO/IEC 15444-1
/// Annex I: 4-byte length, 4-byte type; length 1 means an 8-byte length follows, 0 means "to
/// the end").
fn jp2_box<'a>(data: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    let mut pos = 0usize;
    while pos + 8 <= data.len() {
        let len = u32::from_be_bytes(data[pos..pos + 4].try_into().ok()?) as u64;
        let ty = &data[pos + 4..pos + 8];
        let (header, len) = match len {
            0 => (8usize, (data.len() - pos) as u64),
            1 => (
                16usize,
                u64::from_be_bytes(data.get(pos + 8..pos + 16)?.try_into().ok()?),
            ),
            n => (8usize, n),
        };
        let end = pos.checked_add(usize::try_from(len).ok()?)?;
        if len < header as u64 || end > data.len() {
            return None;
        }
        if ty == kind {
            return data.get(pos + header..end);
        }
        pos = end;
    }
    None
}

/// One object inside a surface file, with where it stands.
struct Field<'a> {
    tag: u32,
    value: &'a [u8],
    /// Tag, length and value as stored.
    raw: &'a [u8],
    /// Offset of the tag from the start of the file.
    offset: usize,
}

/// The objects inside the outer object of `data`, which must have tag `outer`.
fn fields(data: &[u8], outer: u32) -> Result<Vec<Field<'_>>, String> {
    let o = tlv::parse_one(data).map_err(|e| e.to_string())?;
    if o.tag != outer {
        return Err(format!("expected tag {outer:04X}, found {:X}", o.tag));
    }
    let mut pos = o.total_len - o.value.len();
    let mut out = Vec::new();
    for c in o.children() {
        let c = c.map_err(|e| e.to_string())?;
        out.push(Field {
            tag: c.tag,
            value: c.value,
            raw: &data[pos..pos + c.total_len],
            offset: pos,
        });
        pos += c.total_len;
    }
    Ok(out)
}

fn one<'a, 'b>(fs: &'b [Field<'a>], tag: u32) -> Result<&'b Field<'a>, String> {
    let mut it = fs.iter().filter(|f| f.tag == tag);
    let f = it
        .next()
        .ok_or_else(|| format!("tag {tag:04X} is missing"))?;
    if it.next().is_some() {
        return Err(format!("tag {tag:04X} appears twice"));
    }
    Ok(f)
}

/// The objects before `tag`, concatenated as stored (what `DF13` and `DF43` sign).
fn raw_before(fs: &[Field<'_>], tag: u32) -> Vec<u8> {
    fs.iter()
        .take_while(|f| f.tag != tag)
        .flat_map(|f| f.raw.iter().copied())
        .collect()
}

fn others(fs: &[Field<'_>], known: &[u32]) -> Vec<(u32, Vec<u8>)> {
    fs.iter()
        .filter(|f| !known.contains(&f.tag))
        .map(|f| (f.tag, f.value.to_vec()))
        .collect()
}

fn date(f: &Field<'_>, what: &str) -> Result<CardDate, String> {
    BirthDate::parse_yyyymmdd(f.value).map_err(|e| format!("{what}: {e}"))
}

fn ap_key(f: &Field<'_>) -> Result<RsaKey, String> {
    cvc::parse_rsa_key(f.value).map_err(|e| format!("{:04X}: {e}", f.tag))
}

/// Card-surface `0001`, the age-verification record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgeRecord {
    /// `DF11`: the date of birth.
    pub birth_date: BirthDate,
    /// `DF12`: the AP's card key (it answers the presence challenge).
    pub ap_key: RsaKey,
    /// `DF13`: the signature by the CV certificate's key.
    pub signature: Vec<u8>,
    /// Objects of tags this crate does not know, kept as read.
    pub other: Vec<(u32, Vec<u8>)>,
    signed: Vec<u8>,
}

impl AgeRecord {
    /// Parses the file (filler after the object is ignored).
    pub fn parse(data: &[u8]) -> Result<Self, String> {
        let fs = fields(data, 0xFF10)?;
        Ok(AgeRecord {
            birth_date: date(one(&fs, 0xDF11)?, "birth date")?,
            ap_key: ap_key(one(&fs, 0xDF12)?)?,
            signature: one(&fs, 0xDF13)?.value.to_vec(),
            other: others(&fs, &[0xDF11, 0xDF12, 0xDF13]),
            signed: raw_before(&fs, 0xDF13),
        })
    }

    /// The bytes `DF13` signs: the objects before it as stored.
    pub fn signed_data(&self) -> &[u8] {
        &self.signed
    }

    /// Checks `DF13` under the CV certificate's key.
    pub fn check_signature(&self, cv: &CvCertificate) -> Result<(), String> {
        cvc::verify_sha256(&cv.rsa_key(), &self.signed, &self.signature)
    }
}

/// Card-surface `0002`, the card face.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardFace {
    /// `DF22`: the date of birth.
    pub birth_date: BirthDate,
    /// `DF23`: sex (ISO 5218).
    pub sex: Sex,
    /// `DF24`: the AP's card key.
    pub ap_key: RsaKey,
    /// `DF25`: the name as printed (PNG).
    pub name_image: Image,
    /// `DF26`: the address as printed (PNG).
    pub address_image: Image,
    /// `DF27`: the face photo (JPEG 2000).
    pub photo: Image,
    /// `DF28`: the signature by the CV certificate's key over `DF22`-`DF27`.
    pub signature: Vec<u8>,
    /// `DF29`: the expiry date. Not covered by the signature.
    pub expiry: CardDate,
    /// `DF2A`: the security code as printed (PNG). Not covered by the signature.
    pub security_code_image: Image,
    /// `DF21`: the offset table as stored (empty if absent).
    pub offsets: Vec<u16>,
    /// Objects of tags this crate does not know, kept as read.
    pub other: Vec<(u32, Vec<u8>)>,
    groups: [Vec<u8>; 3],
}

impl CardFace {
    /// The tags after the offset table, in order.
    pub const TAGS: [u32; 9] = [
        0xDF22, 0xDF23, 0xDF24, 0xDF25, 0xDF26, 0xDF27, 0xDF28, 0xDF29, 0xDF2A,
    ];

    /// Parses the file (filler after the object is ignored).
    pub fn parse(data: &[u8]) -> Result<Self, String> {
        let fs = fields(data, 0xFF20)?;
        let mut offsets = Vec::new();
        if let Some(t) = fs.iter().find(|f| f.tag == 0xDF21) {
            if t.value.len() % 2 != 0 {
                return Err(format!(
                    "DF21 is {} bytes, not a list of u16",
                    t.value.len()
                ));
            }
            offsets = t
                .value
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            let starts: Vec<usize> = fs
                .iter()
                .filter(|f| f.tag != 0xDF21)
                .map(|f| f.offset)
                .collect();
            if offsets.len() != starts.len()
                || offsets.iter().zip(&starts).any(|(o, s)| *o as usize != *s)
            {
                return Err(format!(
                    "the offset table DF21 ({} entries) does not match the {} objects after it",
                    offsets.len(),
                    starts.len()
                ));
            }
        }
        let sex = match one(&fs, 0xDF23)?.value {
            [b] => Sex::from_code(*b).ok_or_else(|| format!("sex code {b:02X} is not ISO 5218"))?,
            v => return Err(format!("sex is {} bytes, not 1", v.len())),
        };
        let img = |tag| one(&fs, tag).map(|f| Image::new(f.value.to_vec()));
        let group = |tags: &[u32]| -> Result<Vec<u8>, String> {
            let mut g = Vec::new();
            for t in tags {
                g.extend_from_slice(one(&fs, *t)?.raw);
            }
            Ok(g)
        };
        Ok(CardFace {
            birth_date: date(one(&fs, 0xDF22)?, "birth date")?,
            sex,
            ap_key: ap_key(one(&fs, 0xDF24)?)?,
            name_image: img(0xDF25)?,
            address_image: img(0xDF26)?,
            photo: img(0xDF27)?,
            signature: one(&fs, 0xDF28)?.value.to_vec(),
            expiry: date(one(&fs, 0xDF29)?, "expiry")?,
            security_code_image: img(0xDF2A)?,
            offsets,
            other: others(
                &fs,
                &[
                    0xDF21, 0xDF22, 0xDF23, 0xDF24, 0xDF25, 0xDF26, 0xDF27, 0xDF28, 0xDF29, 0xDF2A,
                ],
            ),
            groups: [
                group(&[0xDF22, 0xDF23, 0xDF24])?,
                group(&[0xDF25, 0xDF26])?,
                group(&[0xDF27])?,
            ],
        })
    }

    /// What `DF28` signs: a SHA-256 DigestInfo around the three group digests (96 bytes).
    pub fn signed_digest_info(&self) -> Vec<u8> {
        let mut digests = Vec::with_capacity(96);
        for g in &self.groups {
            digests.extend_from_slice(&Sha256::digest(g));
        }
        cvc::sha256_digest_info(&digests)
    }

    /// Checks `DF28` under the CV certificate's key.
    pub fn check_signature(&self, cv: &CvCertificate) -> Result<(), String> {
        cv.rsa_key()
            .verify_pkcs1v15(None, &self.signed_digest_info(), &self.signature)
    }

    /// The expiry year (the part of 照合番号B after the birth date).
    pub fn expiry_year(&self) -> u16 {
        self.expiry.year
    }
}

/// Card-surface `0005`, the My Number as an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyNumberImage {
    /// `DF41`: the My Number as printed (PNG).
    pub image: Image,
    /// `DF42`: the AP's card key.
    pub ap_key: RsaKey,
    /// `DF43`: the signature by the CV certificate's key.
    pub signature: Vec<u8>,
    /// Objects of tags this crate does not know, kept as read.
    pub other: Vec<(u32, Vec<u8>)>,
    signed: Vec<u8>,
}

impl MyNumberImage {
    /// Parses the file (filler after the object is ignored).
    pub fn parse(data: &[u8]) -> Result<Self, String> {
        let fs = fields(data, 0xFF40)?;
        Ok(MyNumberImage {
            image: Image::new(one(&fs, 0xDF41)?.value.to_vec()),
            ap_key: ap_key(one(&fs, 0xDF42)?)?,
            signature: one(&fs, 0xDF43)?.value.to_vec(),
            other: others(&fs, &[0xDF41, 0xDF42, 0xDF43]),
            signed: raw_before(&fs, 0xDF43),
        })
    }

    /// The bytes `DF43` signs: the objects before it as stored.
    pub fn signed_data(&self) -> &[u8] {
        &self.signed
    }

    /// Checks `DF43` under the CV certificate's key.
    pub fn check_signature(&self, cv: &CvCertificate) -> Result<(), String> {
        cvc::verify_sha256(&cv.rsa_key(), &self.signed, &self.signature)
    }
}

/// Card-surface `0003`, the AP info. Only myna-card describes it (`ApBasicData`), and says
/// `DF35`'s meaning is not established; every field is optional here and unknown tags are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurfaceApInfo {
    /// `DF31`, 4 bytes that identify the layout (`06 03 0E 01` on the cards myna-card saw).
    pub layout: Option<Vec<u8>>,
    /// `DF32`, a key id (not the one `0004` certifies, per myna-card).
    pub key_id: Option<KeyId>,
    /// `DF33`, a version byte.
    pub version: Option<u8>,
    /// `DF34`, the issuing municipality's code (5 digits), as text.
    pub municipality_code: Option<String>,
    /// `DF35`: a 16-byte key id and opaque bytes (meaning unknown).
    pub opaque: Option<(KeyId, Vec<u8>)>,
    /// Objects of other tags, and known tags of an unexpected shape, as read.
    pub other: Vec<(u32, Vec<u8>)>,
}

impl SurfaceApInfo {
    /// Parses the file (filler after the object is ignored). Only the outer `FF30` object is
    /// required; a known tag whose value does not have the expected shape (`DF31` not 4 bytes,
    /// `DF32` not 16, `DF33` not 1, `DF34` not digits, `DF35` under 16 bytes) is kept in
    /// [`SurfaceApInfo::other`] instead of failing the parse.
    pub fn parse(data: &[u8]) -> Result<Self, String> {
        let fs = fields(data, 0xFF30)?;
        let mut info = SurfaceApInfo {
            layout: None,
            key_id: None,
            version: None,
            municipality_code: None,
            opaque: None,
            other: Vec::new(),
        };
        for f in &fs {
            let v = f.value;
            let kept = match f.tag {
                0xDF31 if v.len() == 4 && info.layout.is_none() => {
                    info.layout = Some(v.to_vec());
                    true
                }
                0xDF32 if info.key_id.is_none() => match <[u8; 16]>::try_from(v) {
                    Ok(id) => {
                        info.key_id = Some(KeyId(id));
                        true
                    }
                    Err(_) => false,
                },
                0xDF33 if v.len() == 1 && info.version.is_none() => {
                    info.version = Some(v[0]);
                    true
                }
                0xDF34
                    if !v.is_empty()
                        && v.iter().all(u8::is_ascii_digit)
                        && info.municipality_code.is_none() =>
                {
                    info.municipality_code = Some(String::from_utf8_lossy(v).into_owned());
                    true
                }
                0xDF35 if v.len() >= 16 && info.opaque.is_none() => {
                    let mut id = [0u8; 16];
                    id.copy_from_slice(&v[..16]);
                    info.opaque = Some((KeyId(id), v[16..].to_vec()));
                    true
                }
                _ => false,
            };
            if !kept {
                info.other.push((f.tag, v.to_vec()));
            }
        }
        Ok(info)
    }
}

/// What opens the card-surface AP.
#[derive(Debug, Clone, Copy)]
pub enum SurfaceKey<'a> {
    /// Nothing: only the free files (`0003`, `0004`) and the presence challenge.
    Nothing,
    /// 照合番号A (the My Number): the card face and the My Number image.
    MatchingA(&'a MyNumber),
    /// 照合番号B: the card face.
    MatchingB(&'a MatchingNumberB),
    /// The birth-date key: the age record only.
    BirthDate(&'a BirthDateKey),
}

/// Which key opened a [`Surface`] session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SurfaceOpenedBy {
    /// No key.
    Nothing,
    /// 照合番号A.
    MatchingA,
    /// 照合番号B.
    MatchingB,
    /// The birth-date key.
    BirthDate,
}

impl SurfaceOpenedBy {
    /// Whether this key opens the card face (`0002`).
    pub fn opens_card_face(self) -> bool {
        matches!(
            self,
            SurfaceOpenedBy::MatchingA | SurfaceOpenedBy::MatchingB
        )
    }
    /// Whether this key opens the My Number image (`0005`).
    pub fn opens_my_number_image(self) -> bool {
        self == SurfaceOpenedBy::MatchingA
    }
    /// Whether this key opens the age record (`0001`).
    pub fn opens_age_record(self) -> bool {
        self == SurfaceOpenedBy::BirthDate
    }
}

/// Options for [`Card::surface`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SurfaceOptions {
    /// Check each record's signature under the key of the CV certificate `0004` (default on;
    /// `0004` is read once per session).
    pub check_signatures: bool,
    /// Whether the VERIFY may spend the last try.
    pub last_try: LastTry,
}

impl Default for SurfaceOptions {
    fn default() -> Self {
        SurfaceOptions {
            check_signatures: true,
            last_try: LastTry::Refuse,
        }
    }
}

/// The card-surface AP, opened with a 照合番号, the birth-date key, or nothing. Reads keep the
/// AP selected: one READ BINARY each where the card takes SFI and extended length.
pub struct Surface<'c, T: Transport> {
    card: &'c mut Card<T>,
    opened_by: SurfaceOpenedBy,
    options: SurfaceOptions,
    cv: Option<CvCertificate>,
}

impl<T: Transport> fmt::Debug for Surface<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Surface")
            .field("opened_by", &self.opened_by)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<T: Transport> Card<T> {
    /// Selects the card-surface AP and verifies `key` (with the lockout guard when it is on:
    /// SELECT, a case-1 VERIFY that spends nothing, and the VERIFY; three exchanges). With
    /// [`SurfaceKey::Nothing`], only the SELECT.
    pub fn surface(
        &mut self,
        key: SurfaceKey<'_>,
        options: SurfaceOptions,
    ) -> Result<Surface<'_, T>> {
        let aid = &applets::SURFACE;
        let last = options.last_try;
        let opened_by = match key {
            SurfaceKey::Nothing => {
                self.in_transaction(|card| card.session_mut().select_df(aid))?;
                SurfaceOpenedBy::Nothing
            }
            SurfaceKey::MatchingA(a) => {
                self.verify_matching(aid, a, surface::MATCHING_A, last)?;
                SurfaceOpenedBy::MatchingA
            }
            SurfaceKey::MatchingB(b) => {
                self.verify_matching(aid, b, surface::MATCHING_B, last)?;
                SurfaceOpenedBy::MatchingB
            }
            SurfaceKey::BirthDate(d) => {
                self.verify_matching(aid, d, surface::BIRTH_DATE_KEY, last)?;
                SurfaceOpenedBy::BirthDate
            }
        };
        Ok(Surface {
            card: self,
            opened_by,
            options,
            cv: None,
        })
    }
}

impl<T: Transport> Surface<'_, T> {
    /// Which key opened this session.
    pub fn opened_by(&self) -> SurfaceOpenedBy {
        self.opened_by
    }

    /// Exchanges sent so far on the card (as [`Card::exchanges`]).
    pub fn exchanges(&self) -> u64 {
        self.card.exchanges()
    }

    fn read(&mut self, fid: Fid, what: &'static str, needs: &'static str) -> Result<Vec<u8>> {
        self.card
            .in_transaction(|card| {
                let s = card.session_mut();
                s.select_df(&applets::SURFACE)?;
                s.read_file(fid, FileSize::Tlv { likely_large: true })
            })
            .map_err(|e| crate::session::read_error(e, what, needs))
    }

    fn check(
        &mut self,
        what: &'static str,
        check: impl Fn(&CvCertificate) -> Result<(), String>,
    ) -> Result<()> {
        if !self.options.check_signatures {
            return Ok(());
        }
        let cv = self.cv_certificate()?;
        check(&cv).map_err(|reason| Error::Integrity { what, reason })
    }

    /// The CV certificate (`0004`, free), read once per session.
    pub fn cv_certificate(&mut self) -> Result<CvCertificate> {
        if let Some(cv) = &self.cv {
            return Ok(cv.clone());
        }
        let data = self.read(
            surface::CV_CERT,
            "the card-surface CV certificate (EF 0004)",
            "nothing (it is free)",
        )?;
        let cv = CvCertificate::parse(&data).map_err(|reason| Error::Parse {
            fid: surface::CV_CERT,
            what: "CV certificate",
            reason,
        })?;
        self.cv = Some(cv.clone());
        Ok(cv)
    }

    /// The card face (`0002`), its signature checked unless turned off. Needs 照合番号A or B;
    /// otherwise refused without sending anything.
    pub fn card_face(&mut self) -> Result<CardFace> {
        const WHAT: &str = "the card face (card-surface EF 0002)";
        const NEEDS: &str = "照合番号A or 照合番号B";
        if !self.opened_by.opens_card_face() {
            return Err(Error::NeedsVerification {
                what: WHAT,
                needs: NEEDS,
            });
        }
        let data = self.read(surface::CARD_FACE, WHAT, NEEDS)?;
        let face = CardFace::parse(&data).map_err(|reason| Error::Parse {
            fid: surface::CARD_FACE,
            what: "card face",
            reason,
        })?;
        self.check(WHAT, |cv| face.check_signature(cv))?;
        Ok(face)
    }

    /// The My Number image (`0005`), its signature checked unless turned off. Needs
    /// 照合番号A; otherwise refused without sending anything.
    pub fn my_number_image(&mut self) -> Result<MyNumberImage> {
        const WHAT: &str = "the My Number image (card-surface EF 0005)";
        const NEEDS: &str = "照合番号A (照合番号B does not open it)";
        if !self.opened_by.opens_my_number_image() {
            return Err(Error::NeedsVerification {
                what: WHAT,
                needs: NEEDS,
            });
        }
        let data = zeroize::Zeroizing::new(self.read(surface::MY_NUMBER_IMAGE, WHAT, NEEDS)?);
        let img = MyNumberImage::parse(&data).map_err(|reason| Error::Parse {
            fid: surface::MY_NUMBER_IMAGE,
            what: "My Number image",
            reason,
        })?;
        self.check(WHAT, |cv| img.check_signature(cv))?;
        Ok(img)
    }

    /// The age-verification record (`0001`), its signature checked unless turned off. Needs
    /// the birth-date key; otherwise refused without sending anything.
    pub fn age_record(&mut self) -> Result<AgeRecord> {
        const WHAT: &str = "the age record (card-surface EF 0001)";
        const NEEDS: &str = "the birth-date key (生年月日, era year YYMMDD)";
        if !self.opened_by.opens_age_record() {
            return Err(Error::NeedsVerification {
                what: WHAT,
                needs: NEEDS,
            });
        }
        let data = self.read(surface::AGE_RECORD, WHAT, NEEDS)?;
        let rec = AgeRecord::parse(&data).map_err(|reason| Error::Parse {
            fid: surface::AGE_RECORD,
            what: "age record",
            reason,
        })?;
        self.check(WHAT, |cv| rec.check_signature(cv))?;
        Ok(rec)
    }

    /// The AP info (`0003`, free).
    pub fn ap_info(&mut self) -> Result<SurfaceApInfo> {
        let data = self.read(
            surface::AP_INFO,
            "the card-surface AP info (EF 0003)",
            "nothing (it is free)",
        )?;
        SurfaceApInfo::parse(&data).map_err(|reason| Error::Parse {
            fid: surface::AP_INFO,
            what: "AP info",
            reason,
        })
    }

    /// Proves the card is present: the card signs `nonce` with the AP's card key (`80 2A 00 00`,
    /// no PIN; one exchange), checked under `ap_key`: the key from a record read in this
    /// session ([`CardFace::ap_key`], [`AgeRecord::ap_key`], [`MyNumberImage::ap_key`]), whose
    /// signature ties it to the CV certificate. See [`crate::presence`].
    pub fn prove_presence(&mut self, ap_key: &RsaKey, nonce: &[u8]) -> Result<PresenceProof> {
        crate::presence::challenge(self.card, &applets::SURFACE, ap_key, nonce)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tlv::push as push_tlv;

    #[test]
    fn formats_and_dimensions() {
        assert_eq!(ImageFormat::detect(b"\x89PNG\r\n\x1a\n"), ImageFormat::Png);
        assert_eq!(
            ImageFormat::detect(b"\x00\x00\x00\x0CjP  \r\n\x87\n"),
            ImageFormat::Jp2
        );
        assert_eq!(
            ImageFormat::detect(&[0xFF, 0x4F, 0xFF, 0x51]),
            ImageFormat::J2k
        );
        assert_eq!(ImageFormat::detect(b"GIF89a"), ImageFormat::Unknown);
        assert_eq!(ImageFormat::Jp2.extension(), "jp2");
        // A PNG signature without a complete IHDR has no dimensions.
        assert_eq!(
            Image::new(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0".to_vec()).dimensions(),
            None
        );
        // A bare codestream: SIZ gives 40×30 with offsets 0.
        let mut j2k = vec![0xFF, 0x4F, 0xFF, 0x51, 0x00, 0x29, 0x00, 0x00];
        for v in [40u32, 30, 0, 0] {
            j2k.extend_from_slice(&v.to_be_bytes());
        }
        assert_eq!(Image::new(j2k).dimensions(), Some((40, 30)));
        // JP2 boxes with lengths past the end, zero ("to the end") and one (64-bit).
        assert_eq!(
            jp2_box(&[0, 0, 0, 0x40, b'j', b'p', b'2', b'h'], b"jp2h"),
            None
        );
        assert_eq!(
            jp2_box(&[0, 0, 0, 0, b'j', b'p', b'2', b'h', 7], b"jp2h"),
            Some(&[7u8][..])
        );
        let long = [
            0, 0, 0, 1, b'a', b'b', b'c', b'd', 0, 0, 0, 0, 0, 0, 0, 17, 9,
        ];
        assert_eq!(jp2_box(&long, b"abcd"), Some(&[9u8][..]));
        assert_eq!(
            jp2_box(&[0, 0, 0, 3, b'a', b'b', b'c', b'd'], b"abcd"),
            None
        );
    }

    #[test]
    fn ap_info_is_tolerant() {
        let mut body = Vec::new();
        push_tlv(&mut body, 0xDF31, &[6, 3, 0x0E, 1]);
        push_tlv(&mut body, 0xDF32, &[1, 2, 3]); // not 16 bytes
        push_tlv(&mut body, 0xDF34, b"13X21"); // not digits
        push_tlv(&mut body, 0xDF36, b"new");
        let mut file = Vec::new();
        push_tlv(&mut file, 0xFF30, &body);
        file.extend_from_slice(&[0xFF; 8]);
        let info = SurfaceApInfo::parse(&file).unwrap();
        assert_eq!(info.layout.as_deref(), Some(&[6, 3, 0x0E, 1][..]));
        assert_eq!(info.key_id, None);
        assert_eq!(info.municipality_code, None);
        let tags: Vec<u32> = info.other.iter().map(|(t, _)| *t).collect();
        assert_eq!(tags, [0xDF32, 0xDF34, 0xDF36]);
        assert!(SurfaceApInfo::parse(&[0xFF, 0x31, 0x00]).is_err());
    }

    #[test]
    fn opened_by_rules() {
        use SurfaceOpenedBy::*;
        assert!(MatchingA.opens_card_face() && MatchingA.opens_my_number_image());
        assert!(MatchingB.opens_card_face() && !MatchingB.opens_my_number_image());
        assert!(BirthDate.opens_age_record() && !BirthDate.opens_card_face());
        assert!(!Nothing.opens_card_face() && !Nothing.opens_age_record());
        assert!(!MatchingA.opens_age_record());
    }
}
