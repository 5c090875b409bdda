//! The master file (MF) level of the card: the GET DATA objects, the files JICSAP puts under the
//! MF, the card-verifiable certificate chain reachable there, and the GlobalPlatform issuer
//! security domain that brings the card back to that level
//! ([card facts §12](crate::card_facts#s12); facts from myna-card 3.3.4 `src/mf.rs`, `src/card.rs`,
//! `src/ca.rs`).
//!
//! * The MF itself cannot be selected again once an application is current (`00 A4 00 00` and
//!   `3F00` do not work on this card), but selecting the issuer security domain
//!   (`00 A4 04 0C 07 A0 00 00 01 51 00 00`) restores the power-on state: no application
//!   current, and the security status (verified PINs) cleared. [`MasterFile::select`].
//! * GET DATA (`00 CA P1 P2 Le`, the tag in P1-P2) answers at that level for the objects of
//!   [`tag`]. The large ones (the certificates) refuse a short `Le` with `6700`; this crate asks
//!   for them with an extended `Le` straight away when the reader can send one.
//! * The CV chain: `F8` (always present) then `7F21` (missing on older cards), each in the
//!   GET DATA form `4D <header list> 5F4E <body> 5F37 <signature>`. The first is signed by an
//!   issuer key that is not on the card ([`MF_TEST_ROOT`] / [`MF_PRODUCTION_ROOT`]), each later
//!   one by the key the one above certifies.
//! * The EFs `001E` (card identifier), `2F10` (application folder list) and `2F11` (IC
//!   manufacturer) are JICSAP's; myna-card found that the My Number Card answers `6A82` for the
//!   last two and `6981` to reading the first. They are parsed here for cards that carry them,
//!   and reading them reports that absence as `Ok(None)`.

use std::fmt;

use serde::Serialize;

use crate::apdu::{Command, Status, StatusWord};
use crate::cvc::{CvCertificate, CvHierarchy, CvTrust, CvTrustError, IssuerKeys, KeyId};
use crate::error::{Error, Result};
use crate::session::card_error;
use crate::transport::Transport;
use crate::Card;

/// The GlobalPlatform issuer security domain's default AID, `A0 00 00 01 51 00 00`.
pub const ISSUER_SECURITY_DOMAIN: [u8; 7] = [0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00];

/// INS of GET DATA.
pub const INS_GET_DATA: u8 = 0xCA;

/// Tags of the GET DATA objects at the MF level (myna-card `mf::tag`, found there by sweeping
/// P1-P2 on real cards; which ones are present varies between cards).
pub mod tag {
    /// Issuer identification number: a 16-byte key reference.
    pub const ISSUER_IDENTIFICATION: u16 = 0x0042;
    /// Card identification number, ASCII.
    pub const CARD_IDENTIFICATION: u16 = 0x0045;
    /// GlobalPlatform card recognition data.
    pub const CARD_RECOGNITION: u16 = 0x0066;
    /// 全国地方公共団体コード of the issuing municipality: five ASCII digits.
    pub const MUNICIPALITY_CODE: u16 = 0x00F0;
    /// Expiry date: eight ASCII digits, `YYYYMMDD`.
    pub const EXPIRY: u16 = 0x00F2;
    /// The id of the key that signs the lower certificate ([`CHAIN_LOWER`]).
    pub const INTERMEDIATE_KEY_ID: u16 = 0x00F7;
    /// The upper CV certificate (signed by the MF issuer key).
    pub const CHAIN_UPPER: u16 = 0x00F8;
    /// The lower CV certificate (absent on some cards).
    pub const CHAIN_LOWER: u16 = 0x7F21;
    /// The contact ATR without its `TS`; answers with an application selected too.
    pub const CONTACT_ATR: u16 = 0x5F51;
}

/// EF ids under the MF (JICSAP annexes B, D, F).
pub mod ef {
    /// Card identifier.
    pub const CARD_IDENTIFIER: u16 = 0x001E;
    /// Application folder list.
    pub const APPLICATION_FOLDERS: u16 = 0x2F10;
    /// IC manufacturer id.
    pub const IC_MANUFACTURER: u16 = 0x2F11;
}

/// The 7-digit number of the MF issuer key of the JPKI test hierarchy (`6000020/001`).
pub const MF_TEST_ROOT: &str = "6000020";
/// The 7-digit number of the production MF issuer key (`5000020/001`).
pub const MF_PRODUCTION_ROOT: &str = "5000020";

/// Why an MF object did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("MF data object {tag:04X}: {reason}")]
pub struct MfParseError {
    /// The tag (or EF id).
    pub tag: u16,
    /// Why.
    pub reason: String,
}

fn bad(tag: u16, reason: impl Into<String>) -> MfParseError {
    MfParseError {
        tag,
        reason: reason.into(),
    }
}

/// A decimal ASCII field of a fixed length.
fn digits(tag: u16, raw: &[u8], len: usize) -> std::result::Result<String, MfParseError> {
    if raw.len() != len || !raw.iter().all(u8::is_ascii_digit) {
        return Err(bad(
            tag,
            format!(
                "expected {len} ASCII digits, got {}",
                hex::encode_upper(raw)
            ),
        ));
    }
    Ok(String::from_utf8_lossy(raw).into_owned())
}

/// A date `YYYYMMDD` from the expiry object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct MfDate {
    /// Year.
    pub year: u16,
    /// Month, 1..=12.
    pub month: u8,
    /// Day, 1..=31.
    pub day: u8,
}

impl MfDate {
    /// Parses eight ASCII digits `YYYYMMDD` (month and day range-checked).
    pub fn parse(raw: &[u8]) -> std::result::Result<Self, MfParseError> {
        let s = digits(tag::EXPIRY, raw, 8)?;
        let n = |r: std::ops::Range<usize>| s[r].parse::<u16>().unwrap_or(0);
        let (year, month, day) = (n(0..4), n(4..6) as u8, n(6..8) as u8);
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return Err(bad(tag::EXPIRY, format!("{s} is not a date")));
        }
        Ok(MfDate { year, month, day })
    }
}

impl fmt::Display for MfDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// One MF-level GET DATA object, typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "object", content = "value")]
pub enum MfObject {
    /// `0042`: the issuer identification number (a 16-byte key reference).
    IssuerIdentification(KeyId),
    /// `0045`: the card identification number.
    CardIdentification(String),
    /// `0066`: GlobalPlatform card recognition data, as stored.
    CardRecognition(#[serde(serialize_with = "ser_hex")] Vec<u8>),
    /// `00F0`: the issuing municipality's code (five digits).
    MunicipalityCode(String),
    /// `00F2`: the expiry date.
    Expiry(MfDate),
    /// `00F7`: the id of the key that signs the lower certificate.
    IntermediateKeyId(KeyId),
    /// `00F8` or `7F21`: a CV certificate.
    #[serde(serialize_with = "ser_cert")]
    Certificate(Box<CvCertificate>),
    /// `5F51`: the contact ATR, with its `TS` (`3B`) put back and its check byte verified.
    ContactAtr(#[serde(serialize_with = "ser_hex")] Vec<u8>),
    /// A tag this crate has no type for, as stored.
    Other {
        /// The tag.
        tag: u16,
        /// The value.
        #[serde(serialize_with = "ser_hex")]
        value: Vec<u8>,
    },
}

fn ser_hex<S: serde::Serializer>(v: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode_upper(v))
}

fn ser_cert<S: serde::Serializer>(c: &CvCertificate, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{} -> {}", c.issuer_key_id(), c.subject_key_id()))
}

fn key_id_of(tag: u16, raw: &[u8]) -> std::result::Result<KeyId, MfParseError> {
    <[u8; 16]>::try_from(raw)
        .map(KeyId)
        .map_err(|_| bad(tag, format!("a key id is 16 bytes, got {}", raw.len())))
}

impl MfObject {
    /// Types the value GET DATA returned for `tag`.
    pub fn parse(tag: u16, raw: &[u8]) -> std::result::Result<Self, MfParseError> {
        Ok(match tag {
            tag::ISSUER_IDENTIFICATION => MfObject::IssuerIdentification(key_id_of(tag, raw)?),
            tag::CARD_IDENTIFICATION => {
                if raw.is_empty() || !raw.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
                    return Err(bad(tag, "the card identification number is not ASCII"));
                }
                MfObject::CardIdentification(String::from_utf8_lossy(raw).into_owned())
            }
            tag::CARD_RECOGNITION => MfObject::CardRecognition(raw.to_vec()),
            tag::MUNICIPALITY_CODE => MfObject::MunicipalityCode(digits(tag, raw, 5)?),
            tag::EXPIRY => MfObject::Expiry(MfDate::parse(raw)?),
            tag::INTERMEDIATE_KEY_ID => MfObject::IntermediateKeyId(key_id_of(tag, raw)?),
            tag::CHAIN_UPPER | tag::CHAIN_LOWER => MfObject::Certificate(Box::new(
                parse_get_data_certificate(raw).map_err(|r| bad(tag, r))?,
            )),
            tag::CONTACT_ATR => MfObject::ContactAtr(contact_atr(raw)?),
            _ => MfObject::Other {
                tag,
                value: raw.to_vec(),
            },
        })
    }
}

/// `5F51` holds the contact ATR without `TS`; its last byte is `TCK`, the XOR of the bytes from
/// `T0` on (myna-card `Card::contact_atr`). Returns the ATR with `3B` in front.
fn contact_atr(raw: &[u8]) -> std::result::Result<Vec<u8>, MfParseError> {
    let Some((tck, body)) = raw.split_last() else {
        return Err(bad(tag::CONTACT_ATR, "empty"));
    };
    let x = body.iter().fold(0u8, |a, b| a ^ b);
    if x != *tck {
        return Err(bad(
            tag::CONTACT_ATR,
            format!("check byte is {tck:02X}, the bytes XOR to {x:02X}"),
        ));
    }
    let mut atr = vec![0x3B];
    atr.extend_from_slice(raw);
    Ok(atr)
}

/// The header list of a certificate in the GET DATA form: `4D` then, without values, the tags
/// and lengths of the certification authority reference (`42`), the holder reference (`5F20`) and
/// the public key (`5F49`): `4D 0A 42 10 5F20 10 5F49 82 0109` on the real card (fixtures
/// `mf-do-F8.bin`, `mf-do-7F21.bin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderList {
    /// Length of the issuer key id (CAR, tag `42`).
    pub car_len: usize,
    /// Length of the subject key id (CHR, tag `5F20`).
    pub chr_len: usize,
    /// Length of the key objects (tag `5F49`).
    pub key_len: usize,
}

impl HeaderList {
    /// Parses the value of `4D`.
    pub fn parse(v: &[u8]) -> std::result::Result<Self, String> {
        let mut pos = 0;
        let (mut car, mut chr, mut key) = (None, None, None);
        while pos < v.len() {
            let (tag, tl) = if v[pos] & 0x1F == 0x1F {
                let t = v
                    .get(pos..pos + 2)
                    .ok_or("truncated tag in the header list")?;
                (u16::from_be_bytes([t[0], t[1]]), 2)
            } else {
                (v[pos] as u16, 1)
            };
            pos += tl;
            let first = *v.get(pos).ok_or("truncated length in the header list")?;
            let (len, ll) = match first {
                0..=0x7F => (first as usize, 1),
                0x81 => (*v.get(pos + 1).ok_or("truncated length")? as usize, 2),
                0x82 => {
                    let b = v.get(pos + 1..pos + 3).ok_or("truncated length")?;
                    (u16::from_be_bytes([b[0], b[1]]) as usize, 3)
                }
                _ => return Err(format!("length byte {first:02X} in the header list")),
            };
            pos += ll;
            let slot = match tag {
                0x42 => &mut car,
                0x5F20 => &mut chr,
                0x5F49 => &mut key,
                t => return Err(format!("unexpected tag {t:X} in the header list")),
            };
            if slot.replace(len).is_some() {
                return Err(format!("tag {tag:X} twice in the header list"));
            }
        }
        Ok(HeaderList {
            car_len: car.ok_or("the header list has no CAR (42)")?,
            chr_len: chr.ok_or("the header list has no CHR (5F20)")?,
            key_len: key.ok_or("the header list has no public key (5F49)")?,
        })
    }
}

/// Parses a CV certificate in the GET DATA form `4D … 5F4E … 5F37 …` and checks that the header
/// list describes the body (16-byte ids, key objects filling the rest). The template form
/// (`7F21 { 5F4E 5F37 }`) is accepted as well.
pub fn parse_get_data_certificate(raw: &[u8]) -> std::result::Result<CvCertificate, String> {
    let first = crate::tlv::parse_one(raw).map_err(|e| e.to_string())?;
    let cert = CvCertificate::parse(raw)?;
    if first.tag == 0x4D {
        let h = HeaderList::parse(first.value)?;
        let body = cert.signed_data().len();
        if h.car_len != 16 || h.chr_len != 16 || h.car_len + h.chr_len + h.key_len != body {
            return Err(format!(
                "the header list (CAR {}, CHR {}, key {}) does not describe the {body}-byte body",
                h.car_len, h.chr_len, h.key_len
            ));
        }
    }
    Ok(cert)
}

/// The MF issuer keys this crate knows (myna-card `src/ca.rs`: ids `5000020/001` and
/// `6000020/001`, padding `00 00 00 A8`), as [`IssuerKeys`]: production only, or production and
/// the JPKI test hierarchy, kept apart as for the AP certificates.
pub fn mf_issuer_keys(with_test: bool) -> IssuerKeys {
    if with_test {
        IssuerKeys::production_and_test()
    } else {
        IssuerKeys::production()
    }
}

/// The verdict on the MF chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "verdict")]
pub enum ChainVerdict {
    /// Every certificate verified, the first under a built-in issuer key.
    Verified {
        /// The root's trust (issuer key id and its hierarchy).
        root: CvTrust,
        /// How many certificates.
        length: usize,
    },
    /// The first certificate names an issuer key this crate does not hold: nothing was checked.
    UnknownIssuer {
        /// The issuer id named.
        issuer: KeyId,
    },
    /// A signature or a link failed.
    Invalid {
        /// Which certificate (0 = the upper).
        index: usize,
        /// Why.
        reason: String,
    },
    /// The card holds no certificate at the MF level.
    Empty,
}

impl ChainVerdict {
    /// Whether the chain verified.
    pub fn is_verified(&self) -> bool {
        matches!(self, ChainVerdict::Verified { .. })
    }
    /// Whether it verified under a production key.
    pub fn is_production(&self) -> bool {
        matches!(self, ChainVerdict::Verified { root, .. } if root.hierarchy == CvHierarchy::Production)
    }
}

/// Checks a chain, upper certificate first: the first under `keys`, each later one under the key
/// the one before certifies (its issuer id must be that certificate's subject id).
pub fn verify_chain(chain: &[CvCertificate], keys: &IssuerKeys) -> ChainVerdict {
    let Some((first, rest)) = chain.split_first() else {
        return ChainVerdict::Empty;
    };
    let root = match first.verify(keys) {
        Ok(t) => t,
        Err(CvTrustError::UnknownIssuer { issuer }) => {
            return ChainVerdict::UnknownIssuer { issuer }
        }
        Err(e) => {
            return ChainVerdict::Invalid {
                index: 0,
                reason: e.to_string(),
            }
        }
    };
    let mut above = first;
    for (i, c) in rest.iter().enumerate() {
        if c.issuer_key_id() != above.subject_key_id() {
            return ChainVerdict::Invalid {
                index: i + 1,
                reason: format!(
                    "names issuer {} but the certificate above certifies {}",
                    c.issuer_key_id(),
                    above.subject_key_id()
                ),
            };
        }
        if let Err(reason) = c.verify_with(&above.rsa_key()) {
            return ChainVerdict::Invalid {
                index: i + 1,
                reason,
            };
        }
        above = c;
    }
    ChainVerdict::Verified {
        root,
        length: chain.len(),
    }
}

/// The MF chain as read from a card, with its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfChain {
    /// The certificates, `F8` first.
    pub certificates: Vec<CvCertificate>,
    /// The verdict under the keys given.
    pub verdict: ChainVerdict,
}

/// The typed MF objects a card answered for (absent ones are `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MfData {
    /// `0042`.
    pub issuer_identification: Option<KeyId>,
    /// `0045`.
    pub card_identification: Option<String>,
    /// `00F0`.
    pub municipality_code: Option<String>,
    /// `00F2`.
    pub expiry: Option<MfDate>,
    /// `00F7`.
    pub intermediate_key_id: Option<KeyId>,
    /// `5F51`, with `TS`.
    #[serde(serialize_with = "ser_opt_hex")]
    pub contact_atr: Option<Vec<u8>>,
}

fn ser_opt_hex<S: serde::Serializer>(
    v: &Option<Vec<u8>>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match v {
        Some(v) => s.serialize_str(&hex::encode_upper(v)),
        None => s.serialize_none(),
    }
}

/// Whether a status word says "no such object here" (not a failure of the card).
fn absent(sw: StatusWord) -> bool {
    matches!(
        sw.status(),
        Status::ReferencedDataNotFound | Status::FileNotFound
    )
}

fn parse_err(e: MfParseError) -> Error {
    Error::Parse {
        fid: crate::applets::Fid(e.tag),
        what: "MF-level object",
        reason: e.reason,
    }
}

/// The master file level of a card (the GlobalPlatform issuer security domain): its GET DATA
/// objects, its CV chain and the JICSAP files under the MF. Get one with [`Card::master_file`];
/// it borrows the card while it lives. Every read here selects the issuer security domain
/// first, which **clears the security status** of the card.
pub struct MasterFile<'c, T: Transport> {
    card: &'c mut Card<T>,
}

impl<T: Transport> fmt::Debug for MasterFile<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterFile").finish_non_exhaustive()
    }
}

impl<T: Transport> Card<T> {
    /// The master file level of this card. Sends nothing by itself.
    pub fn master_file(&mut self) -> MasterFile<'_, T> {
        MasterFile { card: self }
    }
}

impl<T: Transport> MasterFile<'_, T> {
    /// Selects the GlobalPlatform issuer security domain (`00 A4 04 0C 07 A0 00 00 01 51 00
    /// 00`): the card returns to the MF level, with no application current and its security
    /// status cleared (every PIN verified earlier is no longer in effect). One exchange.
    pub fn select(&mut self) -> Result<()> {
        let s = self.card.session_mut();
        s.forget();
        let cmd = Command::new(0x00, crate::apdu::ins::SELECT, 0x04, 0x0C)
            .with_data(&ISSUER_SECURITY_DOMAIN)?;
        let r = s.transmit(&cmd)?;
        // The selection cache must not believe any application is still current.
        s.forget();
        if r.sw.is_success() {
            Ok(())
        } else {
            Err(card_error("SELECT issuer security domain", r.sw))
        }
    }

    /// GET DATA for `tag` (`00 CA <tag> 00`, or with an extended `Le` for the certificates when
    /// the reader supports it). `Ok(None)` when the card has no such object here (`6A88`,
    /// `6A82`). A `6700` to the short form is retried once with an extended `Le`, as the card
    /// asks for it (myna-card `Card::get_data`).
    pub fn get_data(&mut self, tag: u16) -> Result<Option<Vec<u8>>> {
        let [p1, p2] = tag.to_be_bytes();
        let large = matches!(tag, tag::CHAIN_UPPER | tag::CHAIN_LOWER);
        let s = self.card.session_mut();
        let df = s.selected().0;
        let ext = s.use_extended();
        let short = Command::new(0x00, INS_GET_DATA, p1, p2).with_ne(256)?;
        let long = Command::new(0x00, INS_GET_DATA, p1, p2).with_ne(65_536)?;
        let first_long = large && ext;
        let mut r = s.transmit(if first_long { &long } else { &short })?;
        if r.sw.status() == Status::WrongLength && !first_long && ext {
            r = s.transmit(&long)?;
        }
        // GET DATA changes no selection on the card.
        s.keep_application(df);
        if r.sw.is_success() {
            Ok(Some(r.data))
        } else if absent(r.sw) {
            Ok(None)
        } else {
            Err(card_error("GET DATA", r.sw))
        }
    }

    /// GET DATA for `tag`, typed ([`MfObject::parse`]).
    pub fn get_data_object(&mut self, tag: u16) -> Result<Option<MfObject>> {
        match self.get_data(tag)? {
            Some(raw) => MfObject::parse(tag, &raw).map(Some).map_err(parse_err),
            None => Ok(None),
        }
    }

    /// Selects the issuer security domain and reads the MF objects of [`MfData`] (one SELECT and
    /// six GET DATA). **Clears the security status** (see [`MasterFile::select`]).
    pub fn data(&mut self) -> Result<MfData> {
        self.select()?;
        let mut d = MfData::default();
        for t in [
            tag::ISSUER_IDENTIFICATION,
            tag::CARD_IDENTIFICATION,
            tag::MUNICIPALITY_CODE,
            tag::EXPIRY,
            tag::INTERMEDIATE_KEY_ID,
            tag::CONTACT_ATR,
        ] {
            match self.get_data_object(t)? {
                Some(MfObject::IssuerIdentification(k)) => d.issuer_identification = Some(k),
                Some(MfObject::CardIdentification(s)) => d.card_identification = Some(s),
                Some(MfObject::MunicipalityCode(s)) => d.municipality_code = Some(s),
                Some(MfObject::Expiry(e)) => d.expiry = Some(e),
                Some(MfObject::IntermediateKeyId(k)) => d.intermediate_key_id = Some(k),
                Some(MfObject::ContactAtr(a)) => d.contact_atr = Some(a),
                _ => {}
            }
        }
        Ok(d)
    }

    /// Selects the issuer security domain, reads the CV chain (`F8`, then `7F21` when present)
    /// and verifies it under `keys` (see [`mf_issuer_keys`]). Three exchanges when the reader
    /// sends extended lengths. **Clears the security status.**
    pub fn chain(&mut self, keys: &IssuerKeys) -> Result<MfChain> {
        self.select()?;
        let mut certificates = Vec::new();
        for t in [tag::CHAIN_UPPER, tag::CHAIN_LOWER] {
            match self.get_data(t)? {
                Some(raw) => certificates
                    .push(parse_get_data_certificate(&raw).map_err(|r| parse_err(bad(t, r)))?),
                None => break,
            }
        }
        let verdict = verify_chain(&certificates, keys);
        Ok(MfChain {
            certificates,
            verdict,
        })
    }

    /// Reads the JICSAP card identifier EF `001E` under the MF, if the card lets it be read
    /// (`None` on the My Number Card: myna-card measured `6981` there). Selects the issuer
    /// security domain first, so **clears the security status**.
    pub fn card_identifier(&mut self) -> Result<Option<CardIdentifier>> {
        match self.mf_records(ef::CARD_IDENTIFIER)? {
            Some(r) => CardIdentifier::parse(&r).map(Some).map_err(parse_err),
            None => Ok(None),
        }
    }

    /// Reads the application folder list EF `2F10` under the MF (`None` when absent, as on the My
    /// Number Card). **Clears the security status.**
    pub fn application_folders(&mut self) -> Result<Option<ApplicationFolders>> {
        match self.mf_records(ef::APPLICATION_FOLDERS)? {
            Some(r) => ApplicationFolders::parse(&r).map(Some).map_err(parse_err),
            None => Ok(None),
        }
    }

    /// Reads the IC manufacturer EF `2F11` under the MF (`None` when absent, as on the My Number
    /// Card). **Clears the security status.**
    pub fn ic_manufacturer(&mut self) -> Result<Option<IcManufacturer>> {
        match self.mf_records(ef::IC_MANUFACTURER)? {
            Some(r) => IcManufacturer::parse(&r).map(Some).map_err(parse_err),
            None => Ok(None),
        }
    }

    /// Selects the EF under the MF and reads its records (1, 2, … until `6A83`), concatenated.
    fn mf_records(&mut self, fid: u16) -> Result<Option<Vec<u8>>> {
        self.select()?;
        let s = self.card.session_mut();
        let sel = Command::new(0x00, crate::apdu::ins::SELECT, 0x02, 0x0C)
            .with_data(&fid.to_be_bytes())?;
        let r = s.transmit(&sel)?;
        if absent(r.sw) {
            return Ok(None);
        }
        if !r.sw.is_success() {
            return Err(card_error("SELECT file", r.sw));
        }
        let mut out = Vec::new();
        for n in 1..=254u8 {
            let cmd = Command::new(0x00, crate::apdu::ins::READ_RECORD, n, 0x04).with_ne(256)?;
            let r = s.transmit(&cmd)?;
            match r.sw.status() {
                Status::Success => out.extend_from_slice(&r.data),
                Status::RecordNotFound => break,
                // 6981: not a record file (the My Number Card's 001E).
                _ if r.sw.0 == 0x6981 && n == 1 => return Ok(None),
                _ => return Err(card_error("READ RECORD", r.sw)),
            }
        }
        s.forget();
        Ok(Some(out))
    }
}

/// Iterates simple-TLV records `<tag> <len> <value>` (one-byte tag and length; JICSAP 4.4.1).
fn simple_tlv(data: &[u8], tag_of: u16) -> std::result::Result<Vec<(u8, &[u8])>, MfParseError> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let t = data[pos];
        let len = *data
            .get(pos + 1)
            .ok_or_else(|| bad(tag_of, "truncated record"))? as usize;
        let v = data
            .get(pos + 2..pos + 2 + len)
            .ok_or_else(|| bad(tag_of, "record longer than the file"))?;
        out.push((t, v));
        pos += 2 + len;
    }
    Ok(out)
}

/// The JICSAP card identifier (EF `001E`, annex B).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CardIdentifier {
    /// The manufacturer (issuance library) code.
    pub manufacturer: u8,
    /// Algorithm bits: b1 DES, b2 RSA, b3 FEAL, b4 triple DES.
    pub algorithms: u8,
    /// The specification version (`01` = 1.0, `02` = 1.1).
    pub version: u8,
    /// Optional function bits (record `01`), if present.
    pub optional_functions: Option<u8>,
}

impl CardIdentifier {
    /// Parses the concatenated records (`00 03 <manufacturer> <algorithms> <version>`, optional
    /// `01 01 <functions>`).
    pub fn parse(data: &[u8]) -> std::result::Result<Self, MfParseError> {
        let recs = simple_tlv(data, ef::CARD_IDENTIFIER)?;
        let main = recs
            .iter()
            .find(|(t, _)| *t == 0x00)
            .ok_or_else(|| bad(ef::CARD_IDENTIFIER, "no manufacturer record (tag 00)"))?;
        let [manufacturer, algorithms, version] = <[u8; 3]>::try_from(main.1).map_err(|_| {
            bad(
                ef::CARD_IDENTIFIER,
                "the manufacturer record is not 3 bytes",
            )
        })?;
        Ok(CardIdentifier {
            manufacturer,
            algorithms,
            version,
            optional_functions: recs
                .iter()
                .find(|(t, _)| *t == 0x01)
                .and_then(|(_, v)| v.first().copied()),
        })
    }
}

/// The JICSAP application folder list (EF `2F10`, annex D).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApplicationFolders {
    /// The DF names below (records tagged `02`); `FE` (invalidated) and `00` records are skipped.
    pub children: Vec<String>,
}

impl ApplicationFolders {
    /// Parses the concatenated records.
    pub fn parse(data: &[u8]) -> std::result::Result<Self, MfParseError> {
        let mut f = ApplicationFolders::default();
        for (t, v) in simple_tlv(data, ef::APPLICATION_FOLDERS)? {
            match t {
                0x02 => f.children.push(hex::encode_upper(v)),
                0x01 | 0xFE | 0x00 => {}
                t => {
                    return Err(bad(
                        ef::APPLICATION_FOLDERS,
                        format!("unexpected record tag {t:02X}"),
                    ))
                }
            }
        }
        Ok(f)
    }
}

/// The JICSAP IC manufacturer id (EF `2F11`, annex F).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IcManufacturer {
    /// The embedder id, five ASCII characters (`CCEEA`).
    pub embedder: String,
    /// The IC manufacturer.
    pub ic_manufacturer: u8,
    /// The IC type.
    pub ic_type: u16,
}

impl IcManufacturer {
    /// Parses the records `45 05 <embedder>` and `46 03 <manufacturer> <type>`.
    pub fn parse(data: &[u8]) -> std::result::Result<Self, MfParseError> {
        let recs = simple_tlv(data, ef::IC_MANUFACTURER)?;
        let find = |t: u8| recs.iter().find(|(x, _)| *x == t).map(|(_, v)| *v);
        let e = find(0x45).ok_or_else(|| bad(ef::IC_MANUFACTURER, "no embedder record (45)"))?;
        if e.len() != 5 || !e.is_ascii() {
            return Err(bad(
                ef::IC_MANUFACTURER,
                "the embedder id is not 5 ASCII bytes",
            ));
        }
        let m =
            find(0x46).ok_or_else(|| bad(ef::IC_MANUFACTURER, "no manufacturer record (46)"))?;
        let [ic_manufacturer, hi, lo] = <[u8; 3]>::try_from(m).map_err(|_| {
            bad(
                ef::IC_MANUFACTURER,
                "the manufacturer record is not 3 bytes",
            )
        })?;
        Ok(IcManufacturer {
            embedder: String::from_utf8_lossy(e).into_owned(),
            ic_manufacturer,
            ic_type: u16::from_be_bytes([hi, lo]),
        })
    }
}
