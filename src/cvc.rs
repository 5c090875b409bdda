//! Card-verifiable certificates (CV certificates): `0004` of the text-assist and card-surface
//! APs ([card facts §8](crate::card_facts#s8)), the keys that issue them, and the signature checks
//! that hang off them.
//!
//! Layout ([card facts §8](crate::card_facts#s8); the same in myna-card `src/data.rs` and jsapdu
//! `packages/mynacard/src/schema.ts`):
//!
//! ```text
//! 7F21 {
//!   5F4E { <16-byte issuer key id> <16-byte subject key id> 90 <exponent> 91 <modulus> }
//!   5F37 <signature>
//! }
//! ```
//!
//! GET DATA returns the same certificate without the `7F21` template (myna-card); [`CvCertificate::parse`]
//! accepts both forms.
//!
//! **The signature** is RSA PKCS#1 v1.5 with SHA-256 over the **value** of `5F4E` (the two key
//! ids and the key objects, without the `5F4E` tag and length). myna-card says so; this crate
//! checked it independently: the test-card fixture `text-0004.bin` verifies byte for byte under
//! the issuer key myna-card publishes for the id `6000033/001` (see [`IssuerKeys`]).
//!
//! **The chain** (facts checked on the test-card fixtures, see `tests/cvc.rs`):
//!
//! 1. an issuer key, named by the certificate's issuer key id and not on the card, signs the CV
//!    certificate;
//! 2. the key the CV certificate certifies signs the AP's records: text-assist `0003` (`DF33`)
//!    and `0007` (`DF52`), card-surface `0001` (`DF13`), `0002` (`DF28`) and `0005` (`DF43`);
//! 3. those records carry the AP's own card key (text-assist `0007` `DF51`, card-surface `DF12`,
//!    `DF24`, `DF42`), whose private half stays in the card and signs a terminal's challenge
//!    without any PIN ([`crate::presence`]).
//!
//! Key ids are 16 bytes: seven digits, `08 05`, three digits, four padding bytes (myna-card
//! `KeyId`). Ids beginning with `5` belong to the production hierarchy, with `6` to the JPKI
//! test hierarchy; the virtual card uses `9`.

use std::fmt;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::crypto::HashAlgorithm;
use crate::crypto::{PublicKey, RsaKey};
use crate::tlv::{self, Tlv};

/// A 16-byte key identifier (証明者鍵ID / 被証明者鍵ID).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; 16]);

impl KeyId {
    /// The seven-digit number, if the id has the usual shape.
    pub fn number(&self) -> Option<&str> {
        let s = std::str::from_utf8(&self.0[..7]).ok()?;
        s.bytes().all(|b| b.is_ascii_digit()).then_some(s)
    }

    /// The three-digit group after `08 05`, if the id has the usual shape.
    pub fn group(&self) -> Option<&str> {
        if self.0[7..9] != [0x08, 0x05] {
            return None;
        }
        let s = std::str::from_utf8(&self.0[9..12]).ok()?;
        s.bytes().all(|b| b.is_ascii_digit()).then_some(s)
    }
}

impl fmt::Display for KeyId {
    /// `6000033/001` for an id of the usual shape, hex otherwise.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.number(), self.group()) {
            (Some(n), Some(g)) => write!(f, "{n}/{g}"),
            _ => f.write_str(&hex::encode_upper(self.0)),
        }
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self}, {})", hex::encode_upper(&self.0[12..]))
    }
}

impl Serialize for KeyId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// Parses the objects of `data` as `90 <exponent> 91 <modulus>` (other tags are ignored).
pub fn parse_rsa_key(data: &[u8]) -> Result<RsaKey, String> {
    let e = tlv::find(data, 0x90)
        .map_err(|e| e.to_string())?
        .ok_or("tag 90 (exponent) is missing")?;
    let n = tlv::find(data, 0x91)
        .map_err(|e| e.to_string())?
        .ok_or("tag 91 (modulus) is missing")?;
    let key = RsaKey::new(n.value, e.value);
    if key.modulus.is_empty() || key.exponent.is_empty() {
        return Err("empty exponent or modulus".into());
    }
    Ok(key)
}

/// A DigestInfo for SHA-256 around `digest`, whatever its length (the card face's signature
/// wraps three concatenated SHA-256 digests in one, myna-card `sha256_digest_info`).
pub fn sha256_digest_info(digest: &[u8]) -> Vec<u8> {
    // AlgorithmIdentifier { id-sha256, NULL }.
    const ALG: [u8; 15] = [
        0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
    ];
    let mut octets = Vec::with_capacity(digest.len() + 3);
    tlv::push(&mut octets, 0x04, digest);
    let mut inner = ALG.to_vec();
    inner.extend_from_slice(&octets);
    let mut out = Vec::with_capacity(inner.len() + 3);
    tlv::push(&mut out, 0x30, &inner);
    out
}

/// Checks an RSA PKCS#1 v1.5 signature over SHA-256 of `data`.
pub(crate) fn verify_sha256(key: &RsaKey, data: &[u8], signature: &[u8]) -> Result<(), String> {
    key.verify_pkcs1v15(
        Some(HashAlgorithm::Sha256),
        &Sha256::digest(data),
        signature,
    )
}

/// A card-verifiable certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CvCertificate {
    /// The issuer key's id (16 bytes).
    pub issuer_id: [u8; 16],
    /// The subject key's id (16 bytes).
    pub subject_id: [u8; 16],
    /// The public exponent.
    pub exponent: Vec<u8>,
    /// The modulus.
    pub modulus: Vec<u8>,
    /// The issuer's signature over the value of `5F4E`.
    pub signature: Vec<u8>,
    /// The `5F4E` object as stored (tag, length and value).
    pub body: Vec<u8>,
    /// Where the value starts inside `body`.
    value_start: usize,
}

impl CvCertificate {
    /// Parses a certificate, with its `7F21` template (as in EF `0004`) or without it (as GET
    /// DATA returns it). Filler after the object is ignored. Other objects inside the template
    /// are ignored; `5F4E` and `5F37` must each appear once.
    pub fn parse(data: &[u8]) -> Result<Self, String> {
        let first = tlv::parse_one(data).map_err(|e| e.to_string())?;
        let contents: &[u8] = match first.tag {
            0x7F21 => first.value,
            // The GET DATA form of the MF-level chain: a header list `4D`, then `5F4E` and
            // `5F37` (see `crate::mf`).
            0x5F4E | 0x4D => data,
            t => return Err(format!("expected tag 7F21, found {t:X}")),
        };
        let mut body: Option<(Tlv<'_>, usize)> = None;
        let mut signature = None;
        let mut pos = 0;
        for c in tlv::Iter::new(contents) {
            let c = match c {
                Ok(c) => c,
                // Filler after the objects (the template-less form read off a file).
                Err(tlv::TlvError::FillerOnly) => break,
                Err(e) => return Err(e.to_string()),
            };
            match c.tag {
                0x5F4E if body.is_some() => return Err("tag 5F4E appears twice".into()),
                0x5F4E => body = Some((c, pos)),
                0x5F37 if signature.is_some() => return Err("tag 5F37 appears twice".into()),
                0x5F37 => signature = Some(c.value.to_vec()),
                0x4D if pos != 0 => return Err("the header list 4D is not first".into()),
                _ => {}
            }
            pos += c.total_len;
        }
        let (body, body_pos) = body.ok_or("tag 5F4E is missing")?;
        let signature = signature.ok_or("tag 5F37 is missing")?;
        let v = body.value;
        if v.len() < 32 {
            return Err(format!(
                "5F4E is {} bytes, too short for two key ids",
                v.len()
            ));
        }
        let mut issuer_id = [0u8; 16];
        issuer_id.copy_from_slice(&v[..16]);
        let mut subject_id = [0u8; 16];
        subject_id.copy_from_slice(&v[16..32]);
        let key = parse_rsa_key(&v[32..])?;
        let value_start = body.total_len - v.len();
        Ok(CvCertificate {
            issuer_id,
            subject_id,
            exponent: key.exponent,
            modulus: key.modulus,
            signature,
            body: contents[body_pos..body_pos + body.total_len].to_vec(),
            value_start,
        })
    }

    /// The issuer key's id.
    pub fn issuer_key_id(&self) -> KeyId {
        KeyId(self.issuer_id)
    }

    /// The subject key's id (the key this certificate certifies).
    pub fn subject_key_id(&self) -> KeyId {
        KeyId(self.subject_id)
    }

    /// The bytes the signature covers: the value of `5F4E`.
    pub fn signed_data(&self) -> &[u8] {
        &self.body[self.value_start..]
    }

    /// The certified public key.
    pub fn rsa_key(&self) -> RsaKey {
        RsaKey::new(&self.modulus, &self.exponent)
    }

    /// The certified public key as a [`PublicKey`].
    pub fn to_public_key(&self) -> PublicKey {
        PublicKey::Rsa(self.rsa_key())
    }

    /// Checks the signature under an issuer key given by the caller (PKCS#1 v1.5, SHA-256 over
    /// [`CvCertificate::signed_data`]).
    pub fn verify_with(&self, issuer: &RsaKey) -> Result<(), String> {
        verify_sha256(issuer, self.signed_data(), &self.signature)
    }

    /// Looks the issuer key up by id in `keys` and checks the signature under it.
    pub fn verify(&self, keys: &IssuerKeys) -> Result<CvTrust, CvTrustError> {
        let id = self.issuer_key_id();
        let k = keys
            .find(&id)
            .ok_or(CvTrustError::UnknownIssuer { issuer: id })?;
        self.verify_with(&k.key)
            .map_err(|reason| CvTrustError::BadSignature { issuer: id, reason })?;
        Ok(CvTrust {
            issuer: id,
            hierarchy: k.hierarchy,
            subject: self.subject_key_id(),
        })
    }
}

/// Where an issuer key comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CvHierarchy {
    /// The production hierarchy (ids beginning with `5`).
    Production,
    /// The JPKI test hierarchy of test cards (ids beginning with `6`): never production.
    JpkiTest,
    /// The virtual card's keys (module `sim`, feature `sim`): never production.
    Virtual,
    /// A key the caller added.
    Custom,
}

impl fmt::Display for CvHierarchy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CvHierarchy::Production => "production",
            CvHierarchy::JpkiTest => "JPKI test hierarchy (never production)",
            CvHierarchy::Virtual => "virtual card (never production)",
            CvHierarchy::Custom => "custom key",
        })
    }
}

/// An issuer key: the id it is named by, the key, and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerKey {
    /// The 16-byte id certificates name it by (compared in full).
    pub id: KeyId,
    /// The RSA key.
    pub key: RsaKey,
    /// Its hierarchy.
    pub hierarchy: CvHierarchy,
}

/// A set of issuer keys for checking CV certificates. The keys are not on the card: a verifier
/// holds them (a certificate checked against a key read off the same card would prove nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IssuerKeys {
    keys: Vec<IssuerKey>,
}

/// Every issuer key this crate knows: `(first 7 digits, padding, hierarchy, modulus hex)`. All
/// have the exponent 65537 and the id `<digits> 08 05 "001" <padding>`.
///
/// Source: the moduli myna-card (soltia48/myna-card 3.3.4 `src/ca.rs`) publishes for these ids.
/// `6000033` (JPKI test hierarchy, text-assist AP) is checked here against the test-card fixture
/// `text-0004.bin`, and `6000020` (the MF-level chain, whose ids end `00 00 00 A8`) against
/// `mf-do-F8.bin` (`tests/cvc.rs`, `tests/mf.rs`); the others could not be checked by this crate
/// (no fixture is signed by them) and are taken as published.
const KNOWN: [(&str, [u8; 4], CvHierarchy, &str); 6] = [
    (
        "5000020",
        MF_PADDING,
        CvHierarchy::Production,
        MODULUS_5000020,
    ),
    ("5000023", [0; 4], CvHierarchy::Production, MODULUS_5000023),
    ("5000033", [0; 4], CvHierarchy::Production, MODULUS_5000033),
    (
        "6000020",
        MF_PADDING,
        CvHierarchy::JpkiTest,
        MODULUS_6000020,
    ),
    ("6000023", [0; 4], CvHierarchy::JpkiTest, MODULUS_6000023),
    ("6000033", [0; 4], CvHierarchy::JpkiTest, MODULUS_6000033),
];

/// The padding of the MF-level issuer key ids (`5000020`, `6000020`): `00 00 00 A8`, not zeros
/// (myna-card `src/ca.rs`; the real card's `F8` names `6000020/001 … A8`).
pub const MF_PADDING: [u8; 4] = [0x00, 0x00, 0x00, 0xA8];

/// The usual id shape for a seven-digit key number and group `001`, zero-padded.
pub fn key_id(number: &str, group: &str) -> KeyId {
    key_id_padded(number, group, [0; 4])
}

/// The id shape with explicit padding bytes (the MF-level ids end [`MF_PADDING`]).
pub fn key_id_padded(number: &str, group: &str, padding: [u8; 4]) -> KeyId {
    let mut id = [0u8; 16];
    let n = number.as_bytes();
    id[..n.len().min(7)].copy_from_slice(&n[..n.len().min(7)]);
    id[7] = 0x08;
    id[8] = 0x05;
    let g = group.as_bytes();
    id[9..9 + g.len().min(3)].copy_from_slice(&g[..g.len().min(3)]);
    id[12..].copy_from_slice(&padding);
    KeyId(id)
}

impl IssuerKeys {
    /// No keys.
    pub fn empty() -> Self {
        IssuerKeys::default()
    }

    fn known(filter: impl Fn(CvHierarchy) -> bool) -> Self {
        let mut keys = IssuerKeys::empty();
        for (number, padding, hierarchy, modulus) in KNOWN {
            if !filter(hierarchy) {
                continue;
            }
            // The constants are checked hex (unit test below); a bad one is skipped, not a panic.
            if let Ok(n) = hex::decode(modulus) {
                keys = keys.with(
                    key_id_padded(number, "001", padding),
                    RsaKey::new(&n, &[0x01, 0x00, 0x01]),
                    hierarchy,
                );
            }
        }
        keys
    }

    /// The production issuer keys of the card-surface (`5000023`) and text-assist (`5000033`)
    /// APs, as myna-card publishes them.
    pub fn production() -> Self {
        Self::known(|h| h == CvHierarchy::Production)
    }

    /// The production keys and those of the JPKI test hierarchy (`6000023`, `6000033`).
    pub fn production_and_test() -> Self {
        Self::known(|_| true)
    }

    /// Adds (or replaces) a key.
    pub fn with(mut self, id: KeyId, key: RsaKey, hierarchy: CvHierarchy) -> Self {
        self.keys.retain(|k| k.id != id);
        self.keys.push(IssuerKey { id, key, hierarchy });
        self
    }

    /// Adds every key of `other`.
    pub fn merged(mut self, other: &IssuerKeys) -> Self {
        for k in &other.keys {
            self = self.with(k.id, k.key.clone(), k.hierarchy);
        }
        self
    }

    /// The key with this id (all 16 bytes compared).
    pub fn find(&self, id: &KeyId) -> Option<&IssuerKey> {
        self.keys.iter().find(|k| k.id == *id)
    }

    /// The keys.
    pub fn iter(&self) -> impl Iterator<Item = &IssuerKey> {
        self.keys.iter()
    }
}

/// A CV certificate that verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CvTrust {
    /// The issuer key that verified it.
    pub issuer: KeyId,
    /// That key's hierarchy.
    pub hierarchy: CvHierarchy,
    /// The certified key's id.
    pub subject: KeyId,
}

/// Why a CV certificate did not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CvTrustError {
    /// No key with the certificate's issuer id is in the set: nothing was checked.
    #[error("the issuer key {issuer} is not known, so the CV certificate was not checked")]
    UnknownIssuer {
        /// The issuer id the certificate names.
        issuer: KeyId,
    },
    /// The signature does not verify under the issuer key.
    #[error("the CV certificate's signature does not verify under issuer key {issuer}: {reason}")]
    BadSignature {
        /// The issuer id.
        issuer: KeyId,
        /// Why.
        reason: String,
    },
}

/// Text-assist `0007`, the AP's card key with the issuer's signature over it:
/// `FF50 { DF51 { 90 <exponent> 91 <modulus> } DF52 <signature> }` (myna-card
/// `SignedPublicKey`, jsapdu `schemaKenhojoAuthKey`). `DF52` is PKCS#1 v1.5 SHA-256 over the
/// `DF51` object as stored (tag and length included), under the CV certificate's key: checked on
/// the test-card fixture `text-0007.bin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedPublicKey {
    /// The AP's card key (`DF51`).
    pub key: RsaKey,
    /// `DF52`.
    pub signature: Vec<u8>,
    signed: Vec<u8>,
}

impl SignedPublicKey {
    /// Parses the file (filler after the object is ignored).
    pub fn parse(data: &[u8]) -> Result<Self, String> {
        let o = tlv::parse_one(data).map_err(|e| e.to_string())?;
        if o.tag != 0xFF50 {
            return Err(format!("expected tag FF50, found {:X}", o.tag));
        }
        let mut key = None;
        let mut signature = None;
        for c in o.children() {
            let c = c.map_err(|e| e.to_string())?;
            match c.tag {
                0xDF51 if key.is_some() => return Err("tag DF51 appears twice".into()),
                0xDF51 => {
                    let header = c.total_len - c.value.len();
                    let start = c.value.as_ptr() as usize - o.value.as_ptr() as usize - header;
                    key = Some((
                        parse_rsa_key(c.value)?,
                        o.value[start..start + c.total_len].to_vec(),
                    ))
                }
                0xDF52 if signature.is_some() => return Err("tag DF52 appears twice".into()),
                0xDF52 => signature = Some(c.value.to_vec()),
                _ => {}
            }
        }
        let (key, signed) = key.ok_or("tag DF51 is missing")?;
        Ok(SignedPublicKey {
            key,
            signature: signature.ok_or("tag DF52 is missing")?,
            signed,
        })
    }

    /// The bytes `DF52` signs: the `DF51` object.
    pub fn signed_data(&self) -> &[u8] {
        &self.signed
    }

    /// Checks `DF52` under the CV certificate's key.
    pub fn check_signature(&self, cv: &CvCertificate) -> Result<(), String> {
        verify_sha256(&cv.rsa_key(), &self.signed, &self.signature)
    }
}

const MODULUS_5000020: &str = concat!(
    "B62D081145D34ACEB022BC2F0A08D8B390E42FFEEEC93472F675EC33507BBCE9",
    "82C22F33B7304CF17639CE75A1D0FD1E75FFAD86B0D72CCCF0D0B05136DDB726",
    "1400C0160C713872E1E83C48A2A00818147FEFBF0B09F643EE4B328419E87637",
    "67ADBEAEBA88D49C3B44A5B8F8AD794FCF64A4161A9FE8B97660FCA469411459",
    "4D4B8498FE1E52502086ABC1B0EDA004D39D95193B4031AB0C516008BBAFFC49",
    "AC6A2EBE544EF49EA3B790CD13F133896DF8DA63E15CE8AC0DC276F76F080B72",
    "3E6648F10A6FB7B08E5C69DCDFADD52F7B5B6D1740CF8E356BC685B31D7C4556",
    "80CD95D3B4B20EA8094F00660AE774EEBAB2875487A1210CA87221A0B63A3E83",
);

const MODULUS_6000020: &str = concat!(
    "D0CB6303399EC86727E3E9E50996580956EE87839F5B674CF34048B470180295",
    "00841B5E6F6C643EAEFE042482037ACD8392E6C6A386FB77DDB3F1D51BCAC76E",
    "469A09CEC823DC78C1EBDB5A7C5AA04AC7094AD74B38637601241F43D3E6C6A4",
    "850E5A4E3244A138FBA5A2E22C31312EF8699B7E8DB982AB7B093C4AC13F0569",
    "BA86B6B886C1072EF174B2181181F6D16FFF904BE652F47AFC5C597366ED2FF3",
    "BE0950080855A88930D312D8BE2BB4AAE2B1C19848064BA7E92CB74E52E19C1C",
    "FAB8676B18706BEBF913B57F92AE7498C08750E41657A1746B26DA2B0DEFC85D",
    "286B1B85ADC9739356403F6B6E18A1938A11E3EC043C1CDC5EF03A8D51402CC5",
);

const MODULUS_5000023: &str = concat!(
    "B2F740F0AD86D17CF3F537D23B4B3C65A3CB58474D857F55D0B9BC0411B1CB08",
    "49068DE332A50D63B3E6921C9CCBE6156496EFB04BE8FFCC74FDE9A228A36AD7",
    "EDCE9793204E35973DC911108365002C40169E0B60018DFB99E1E2310D9A110F",
    "F0FC269F1F220C63B8A1510DE5A6898220C78908FC280D8AA95D5D113B7CF007",
    "00F3FF5AD8B3D6AD2EB53C7D563498B4A938DEFFC9BDA32BF4146C1B07EF870D",
    "99EB35DE5D70AC18715874277A13151D217D04D42E97923923A40FBC7D06FAA8",
    "338CCBE876620F9B8EF4471CD4B9E29D4EA621E0FB8F1DC04B487210097DBAAF",
    "3D8E0550C76A5B97CF202FA47C7A2622F1C084E65C13D13B8E7AB226F5F51F87",
);

const MODULUS_5000033: &str = concat!(
    "D24615F63525E740C87E83ED64787E76D10A1F8652EBE1EA28934D35CE3BF077",
    "16F5B79E2BCB2AE2B91B4F4C9FFB602497F596D659AF9D0A14B45CDD738EF562",
    "49349B8CC7DB32F2D433BD39BCC44F503E881D56C149ECD5155C1CE7461FC3AC",
    "4F55D0A39CCAAADFAE5B8AFA11CCF91BEDC774023D11CA6EBA99004F81C541A7",
    "D67DDED8C724D6E20B10A3DEAAE8C43C137CCD71B263740E8979752DE4D56763",
    "29CABCBD7F3A77FC48A6F8E61D399B4AC66684A9FDFC99ECEF900DD6FF7F0FDD",
    "39E23D163F8A468C62DBEAE00906DFAD5A89B45CA5B7353DC998A80D3803EDA7",
    "94B55F99F535D1C39A243C8352AD602D926C389D2816C941349EE24E4F41597F",
);

const MODULUS_6000023: &str = concat!(
    "E08CA1CAA0E58C5DF24BFD67E45B7CE4B50EFF828C10568055F7E012B7212E7D",
    "2879B9E0B951E7AC5A6DC0D7D3C31C223951A1E2774F398CF46602A8AEC04898",
    "714981F813CB9DBD2EF9068528E9450361C00154738CA4DD79D138098B91FAE2",
    "9A4FD750556367BB854158953AF58C0E8BBF289C3A30E595FEF044519E967EF0",
    "686CBCF6EF6B9ED6FC2A19F800CE07E929AC11556F1073077372279BA130216F",
    "C680B7C39788C8E7534F71EEB4C00C9053FBF6E92A07784F26308AF78F9C1800",
    "3ECBF12965BD303045B8A76391C431787FFC745CC274206616D91E81B39BB9A2",
    "DB4B64C4AD47831AB06CC401F2162F30D9316C38557D4D96ED5E76DB49B9092D",
);

const MODULUS_6000033: &str = concat!(
    "B1FE36BD147BF41B2011B9156867C4118B05AE47D691CDB4A4467F4949AFDD71",
    "E28E12B5C61E68F00B639A6CCBCF44798761C7700A81F666C67831433B742A2C",
    "1126942601E25371B2B93631067D466F201EAF31393B1BD6A47589FB57B31897",
    "35A27A24583FDE2BF26C2A34D8645FE0E6E2FE901612CEF8C740C228289AF6D4",
    "57ACA3B1AA2F9EBB56DA3591C30830B8AFE2A1CA99951E670B9E9C0B40EBDBEC",
    "212F9400E5AAF5C2B5107DE34AB6BC66425A86D731A392E81001DEA1CE565981",
    "BE158256AE05598A2B8BFB04C1B66EE2008E019FB1B2BA3785E0CA78CA31EA5F",
    "09B4D550577DBF12A747ABD5E1C450C0750DF965F53EA08BBF12E40A4057C74D",
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_keys_are_rsa_2048() {
        let keys = IssuerKeys::production_and_test();
        assert_eq!(keys.iter().count(), KNOWN.len());
        for k in keys.iter() {
            assert_eq!(k.key.bits(), 2048, "{}", k.id);
            let first = k.id.number().unwrap().as_bytes()[0];
            let expect = if first == b'5' {
                CvHierarchy::Production
            } else {
                CvHierarchy::JpkiTest
            };
            assert_eq!(k.hierarchy, expect);
        }
        assert_eq!(IssuerKeys::production().iter().count(), 3);
    }

    #[test]
    fn key_ids_print_and_compare_in_full() {
        let a = key_id("6000033", "001");
        assert_eq!(a.to_string(), "6000033/001");
        let mut b = a;
        b.0[15] = 0xA8;
        assert_ne!(a, b);
        assert!(IssuerKeys::production_and_test().find(&b).is_none());
        assert_eq!(KeyId([0xFF; 16]).to_string(), "FF".repeat(16));
    }

    #[test]
    fn digest_info_of_any_length() {
        let one = sha256_digest_info(&[0xAA; 32]);
        assert_eq!(one[..], HashAlgorithm::Sha256.digest_info(&[0xAA; 32])[..]);
        let three = sha256_digest_info(&[0xAA; 96]);
        assert_eq!(&three[..2], &[0x30, 0x71]);
        assert_eq!(&three[17..19], &[0x04, 0x60]);
        assert_eq!(three.len(), 115);
    }
}
