//! The virtual card's keys, certificates and signed records.
//!
//! Everything is generated deterministically, so tests are reproducible:
//!
//! * the card's two RSA-2048 key pairs (user authentication and signature) from the card's seed;
//! * a **virtual test hierarchy**, the same for every virtual card: two self-signed roots,
//!   `O=mynacard-VIRTUAL-TEST`, that issue the auth and sign certificates with the JPKI profile
//!   (key usage, extended key usage, certificate policies, key identifiers, and on the signature
//!   certificate the holder's name, birth date, sex and address as `otherName`s, as on the
//!   test card). These roots are in no [`crate::cert::TrustStore`] unless a caller adds them,
//!   and then only as [`crate::cert::Hierarchy::Custom`]: never production.
//! * the text-assist integrity record `0003` with its `DF33` signature by a virtual issuer key,
//!   the CV certificate `0004` carrying that key, an AP info `0005` of the real shape, and the
//!   AP's card key `0007` signed by the issuer key;
//! * the card-surface AP's files in the layouts of [`crate::surface`] (age record, card face
//!   with synthetic images from the `images` module, AP info, CV certificate, My Number
//!   image), signed by a second virtual issuer key;
//! * the two CV certificates in the real format, signed by virtual CV roots whose public keys
//!   [`virtual_issuer_keys`] gives (ids `9000033/001` and `9000023/001`);
//! * the text-assist and card-surface AP card keys (one per AP and seed), which sign a
//!   challenge with `80 2A 00 00` and no PIN (see [`crate::presence`]).
//!
//! Keys come from ChaCha20 streams seeded with SHA-256 of a label and the seed. The ones every
//! test, fuzz run and CLI start needs were generated once and are committed as fixed test keys
//! (the `keys` module: never production), so no process spends time generating them; any
//! other seed's keys are generated on first use. Either way they are kept in a process-wide
//! cache.
//!
//! The card signs with the six schemes of [card facts §7](crate::card_facts#s7) (see
//! [`crate::sign`]); PSS salts come from a stream seeded by the key and the data, so signatures are
//! reproducible too.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};

use der::asn1::{BitString, ObjectIdentifier, OctetString, Utf8StringRef};
use der::{Any, Encode};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rsa::pkcs8::EncodePublicKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, PrivateKey};
use sha2::{Digest, Sha256};
use x509_cert::ext::pkix::certpolicy::PolicyInformation;
use x509_cert::ext::pkix::name::{GeneralName, OtherName};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies, ExtendedKeyUsage, KeyUsage,
    KeyUsages, SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use super::content::{push_tlv, sha256, Holder};
use super::{images, Access, App, Ef};
use crate::apdu::{Status, StatusWord};
use crate::applets::{jpki, surface, text};
use crate::crypto::RsaKey;
use crate::cvc::{self, CvHierarchy, IssuerKeys, KeyId};

/// The organisation of the virtual test hierarchy. Never a production name.
pub const VIRTUAL_ORGANIZATION: &str = "mynacard-VIRTUAL-TEST";

/// RSA key size of every virtual key (as on today's card, [card facts §1](crate::card_facts#s1)).
pub const KEY_BITS: usize = 2048;

type KeyCache = Mutex<HashMap<(String, u64), Arc<PrivateKey>>>;

fn cache() -> &'static KeyCache {
    static CACHE: OnceLock<KeyCache> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

fn stream(label: &str, seed: u64, extra: &[u8]) -> ChaCha20Rng {
    let mut h = Sha256::new();
    h.update(b"mynacard virtual card v1\0");
    h.update(label.as_bytes());
    h.update([0]);
    h.update(seed.to_le_bytes());
    h.update(extra);
    ChaCha20Rng::from_seed(h.finalize().into())
}

/// Generates the RSA key for `label` and `seed` from its ChaCha20 stream (about a second in
/// a debug build, far more under a fuzzing sanitizer). The fixed keys of [`super::keys`] are
/// exactly these, generated once.
pub(super) fn generate(label: &str, seed: u64) -> PrivateKey {
    let mut rng = stream(label, seed, b"");
    PrivateKey::new(&mut rng, KEY_BITS)
        .expect("RSA key generation with a 2048-bit size and an infallible RNG")
}

/// The RSA key for `label` and `seed`: a committed fixed test key when there is one (the
/// shared hierarchy, and the card keys of the seeds the crate's tests use), else generated;
/// once per process either way.
pub(super) fn key(label: &str, seed: u64) -> Arc<PrivateKey> {
    let id = (label.to_owned(), seed);
    if let Some(k) = cache().lock().unwrap_or_else(|p| p.into_inner()).get(&id) {
        return k.clone();
    }
    // Load or generate outside the lock; two threads racing get the same key.
    let k = Arc::new(super::keys::fixed(label, seed).unwrap_or_else(|| generate(label, seed)));
    cache()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(id)
        .or_insert(k)
        .clone()
}

pub(super) const AUTH_CA: &str = "virtual-auth-ca";
pub(super) const SIGN_CA: &str = "virtual-sign-ca";
pub(super) const TEXT_ISSUER: &str = "virtual-text-issuer";
pub(super) const CV_ROOT: &str = "virtual-cv-root";
pub(super) const SURFACE_ISSUER: &str = "virtual-surface-issuer";
pub(super) const CV_ROOT_SURFACE: &str = "virtual-cv-root-surface";
pub(super) const CARD_TEXT_AP: &str = "card-text-ap";
pub(super) const CARD_SURFACE_AP: &str = "card-surface-ap";
pub(super) const CARD_AUTH: &str = "card-auth";
pub(super) const CARD_SIGN: &str = "card-sign";
/// The seed of the keys every virtual card shares (the hierarchy and the issuers).
pub(super) const SHARED: u64 = 0;

fn oid(s: &str) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(s)
}

fn ext<T: Encode>(id: &str, critical: bool, value: &T) -> der::Result<Extension> {
    Ok(Extension {
        extn_id: oid(id),
        critical,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

fn time(y: u16, m: u8, d: u8, hh: u8, mm: u8, ss: u8) -> der::Result<Time> {
    Ok(Time::from(der::DateTime::new(y, m, d, hh, mm, ss)?))
}

fn spki_der(k: &PrivateKey) -> der::Result<Vec<u8>> {
    k.to_public_key()
        .to_public_key_der()
        .map(|d| d.as_bytes().to_vec())
        .map_err(|_| der::Error::from(der::ErrorKind::Failed))
}

/// A key identifier: the first 20 bytes of SHA-256 of the SPKI.
fn key_id(k: &PrivateKey) -> der::Result<Vec<u8>> {
    Ok(sha256(&spki_der(k)?)[..20].to_vec())
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    let body: Vec<u8> = parts.concat();
    let mut out = Vec::new();
    push_tlv(&mut out, 0x30, &body);
    out
}

/// What a certificate to issue looks like.
struct Profile<'a> {
    serial: &'a [u8],
    issuer: &'a Name,
    subject: &'a Name,
    not_before: Time,
    not_after: Time,
    subject_key: &'a PrivateKey,
    issuer_key: &'a PrivateKey,
    extensions: Vec<Extension>,
}

/// sha256WithRSAEncryption with NULL parameters.
const SHA256_WITH_RSA: [u8; 15] = [
    0x30, 0x0D, 0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B, 0x05, 0x00,
];

fn issue(p: Profile<'_>) -> der::Result<Vec<u8>> {
    let version = [0xA0, 0x03, 0x02, 0x01, 0x02];
    let serial = SerialNumber::<x509_cert::certificate::Rfc5280>::new(p.serial)?.to_der()?;
    let validity =
        Validity::<x509_cert::certificate::Rfc5280>::new(p.not_before, p.not_after).to_der()?;
    let mut exts = Vec::new();
    for e in &p.extensions {
        exts.extend_from_slice(&e.to_der()?);
    }
    let exts = seq(&[&exts]);
    let mut exts_explicit = Vec::new();
    push_tlv(&mut exts_explicit, 0xA3, &exts);
    let tbs = seq(&[
        &version,
        &serial,
        &SHA256_WITH_RSA,
        &p.issuer.to_der()?,
        &validity,
        &p.subject.to_der()?,
        &spki_der(p.subject_key)?,
        &exts_explicit,
    ]);
    let sig = p
        .issuer_key
        .sign(Pkcs1v15Sign::new::<Sha256>(), &sha256(&tbs))
        .map_err(|_| der::Error::from(der::ErrorKind::Failed))?;
    let sig = BitString::from_bytes(&sig)?.to_der()?;
    Ok(seq(&[&tbs, &SHA256_WITH_RSA, &sig]))
}

/// JPKI certificate policies as seen on the test card (user authentication `…0.30`, signature
/// `…0.20`).
const POLICY_AUTH: &str = "1.2.392.200149.8.5.1.0.30";
const POLICY_SIGN: &str = "1.2.392.200149.8.5.1.0.20";

fn ca_name(purpose: &str) -> der::Result<Name> {
    Name::from_str(&format!(
        "OU=mynacard virtual card - TEST ONLY - never production,OU={purpose},O={VIRTUAL_ORGANIZATION},C=JP"
    ))
}

fn ca_cert(label: &str, purpose: &str) -> der::Result<Vec<u8>> {
    let k = key(label, SHARED);
    let name = ca_name(purpose)?;
    let ski = key_id(&k)?;
    issue(Profile {
        serial: &[0x01],
        issuer: &name,
        subject: &name,
        not_before: time(2020, 1, 1, 0, 0, 0)?,
        not_after: time(2049, 12, 31, 23, 59, 59)?,
        subject_key: &k,
        issuer_key: &k,
        extensions: vec![
            ext(
                "2.5.29.15",
                true,
                &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign),
            )?,
            ext(
                "2.5.29.19",
                true,
                &BasicConstraints {
                    ca: true,
                    path_len_constraint: None,
                },
            )?,
            ext(
                "2.5.29.14",
                false,
                &SubjectKeyIdentifier(OctetString::new(ski)?),
            )?,
        ],
    })
}

/// The virtual hierarchy's root for user-authentication certificates (DER). Callers that want
/// to check the virtual card's chain add it with [`crate::cert::TrustStore::with_custom_anchor`].
pub fn virtual_auth_ca() -> Vec<u8> {
    static C: OnceLock<Vec<u8>> = OnceLock::new();
    C.get_or_init(|| ca_cert(AUTH_CA, "JPKI for user authentication").unwrap_or_default())
        .clone()
}

/// The virtual hierarchy's root for signature certificates (DER).
pub fn virtual_sign_ca() -> Vec<u8> {
    static C: OnceLock<Vec<u8>> = OnceLock::new();
    C.get_or_init(|| ca_cert(SIGN_CA, "JPKI for digital signature").unwrap_or_default())
        .clone()
}

/// The SPKI (DER) of the public key of the card with `seed`: the signature key if `sign_key`,
/// else the user-authentication key (for checking signatures independently of the card).
pub fn card_public_key_spki(seed: u64, sign_key: bool) -> Vec<u8> {
    let k = key(if sign_key { CARD_SIGN } else { CARD_AUTH }, seed);
    spki_der(&k).unwrap_or_default()
}

/// A 12-hex-digit id per card, for certificate subjects and serials.
fn card_id(seed: u64) -> String {
    hex::encode_upper(&sha256(&seed.to_be_bytes())[..6])
}

/// The Japanese era code used before a Gregorian birth date in the signature certificate's
/// birth-date `otherName` (the test card shows `3` for a 1980 birth: 昭和). Inferred from that one
/// sample: 1 明治, 2 大正, 3 昭和, 4 平成, 5 令和.
fn era_code(y: u16, m: u8, d: u8) -> u8 {
    let date = (y, m, d);
    if date >= (2019, 5, 1) {
        5
    } else if date >= (1989, 1, 8) {
        4
    } else if date >= (1926, 12, 25) {
        3
    } else if date >= (1912, 7, 30) {
        2
    } else {
        1
    }
}

fn other_name(suffix: u8, value: &str) -> der::Result<GeneralName> {
    Ok(GeneralName::OtherName(OtherName {
        type_id: oid(&format!("1.2.392.200149.8.5.5.{suffix}")),
        value: Any::encode_from(&Utf8StringRef::new(value)?)?,
    }))
}

fn leaf_cert(h: &Holder, seed: u64, sign: bool) -> der::Result<Vec<u8>> {
    let (ca_label, card_label, purpose) = if sign {
        (SIGN_CA, CARD_SIGN, "JPKI for digital signature")
    } else {
        (AUTH_CA, CARD_AUTH, "JPKI for user authentication")
    };
    let ca = key(ca_label, SHARED);
    let k = key(card_label, seed);
    let issuer = ca_name(purpose)?;
    let id = card_id(seed);
    let subject = if sign {
        Name::from_str(&format!(
            "CN=VIRTUAL{id}{:04}A,L=Mihon-shi,L=Tokyo-to,C=JP",
            h.expiry_year
        ))?
    } else {
        Name::from_str(&format!("CN=VIRTUAL{id}A,C=JP"))?
    };
    let mut extensions = vec![
        ext(
            "2.5.29.15",
            true,
            &KeyUsage(if sign {
                KeyUsages::DigitalSignature | KeyUsages::NonRepudiation
            } else {
                KeyUsages::DigitalSignature.into()
            }),
        )?,
        ext(
            "2.5.29.32",
            true,
            &CertificatePolicies(vec![PolicyInformation {
                policy_identifier: oid(if sign { POLICY_SIGN } else { POLICY_AUTH }),
                policy_qualifiers: None,
            }]),
        )?,
        ext(
            "2.5.29.35",
            false,
            &AuthorityKeyIdentifier {
                key_identifier: Some(OctetString::new(key_id(&ca)?)?),
                authority_cert_issuer: None,
                authority_cert_serial_number: None,
            },
        )?,
        ext(
            "2.5.29.14",
            false,
            &SubjectKeyIdentifier(OctetString::new(key_id(&k)?)?),
        )?,
    ];
    if sign {
        let (y, m, d) = h.birth;
        let names = vec![
            other_name(1, &format!("{}\u{3000}{}", h.family_name, h.given_name))?,
            other_name(4, &format!("{}{}", era_code(y, m, d), h.birth_yyyymmdd()))?,
            other_name(3, &h.sex.to_string())?,
            other_name(5, &h.address)?,
        ];
        extensions.push(ext("2.5.29.17", false, &SubjectAltName(names))?);
    } else {
        // TLS client authentication, as on the test card.
        extensions.push(ext(
            "2.5.29.37",
            false,
            &ExtendedKeyUsage(vec![oid("1.3.6.1.5.5.7.3.2")]),
        )?);
    }
    let mut serial = vec![if sign { 0x5A } else { 0xA5 }];
    serial.extend_from_slice(&seed.to_be_bytes());
    issue(Profile {
        serial: &serial,
        issuer: &issuer,
        subject: &subject,
        not_before: time(2020, 1, 1, 0, 0, 0)?,
        not_after: time(h.expiry_year.clamp(2021, 2049), 12, 31, 14, 59, 59)?,
        subject_key: &k,
        issuer_key: &ca,
        extensions,
    })
}

/// The virtual CV root (issuer) key ids: `9000033/001` for the text-assist AP, `9000023/001`
/// for the card-surface AP, shaped like the real ids (`5…` production, `6…` test;
/// [card facts §8](crate::card_facts#s8), myna-card `KeyId`) with a `9` that no real hierarchy
/// uses.
pub fn virtual_cv_root_id(app: App) -> KeyId {
    match app {
        App::Surface => cvc::key_id("9000023", "001"),
        _ => cvc::key_id("9000033", "001"),
    }
}

/// The ids of the keys the virtual CV certificates certify (the municipality's data-signing
/// keys, whose real ids start with the municipality code; 13999 is the virtual card's).
fn virtual_subject_id(app: App) -> KeyId {
    match app {
        App::Surface => cvc::key_id("1399923", "000"),
        _ => cvc::key_id("1399931", "000"),
    }
}

fn cv_labels(app: App) -> (&'static str, &'static str) {
    match app {
        App::Surface => (CV_ROOT_SURFACE, SURFACE_ISSUER),
        _ => (CV_ROOT, TEXT_ISSUER),
    }
}

/// The issuer keys of the virtual card's two CV certificates (text-assist and card-surface),
/// as [`CvHierarchy::Virtual`]: pass them to [`crate::cvc::CvCertificate::verify`] to check the
/// virtual card's certificates end to end. The same for every virtual card.
pub fn virtual_issuer_keys() -> IssuerKeys {
    let mut keys = IssuerKeys::empty();
    for app in [App::TextAssist, App::Surface] {
        let root = key(cv_labels(app).0, SHARED);
        keys = keys.with(
            virtual_cv_root_id(app),
            RsaKey::new(
                &root.n().to_be_bytes_trimmed_vartime(),
                &root.e().to_be_bytes_trimmed_vartime(),
            ),
            CvHierarchy::Virtual,
        );
    }
    keys
}

/// `0004` of the text-assist or card-surface AP: a CV certificate of the AP's virtual issuer
/// (data-signing) key, signed by the virtual CV root in the real format: PKCS#1 v1.5 SHA-256
/// over the value of `5F4E` ([card facts §8](crate::card_facts#s8); checked on the test-card
/// fixture, see [`crate::cvc`]).
fn cv_certificate(app: App) -> Vec<u8> {
    let (root_label, issuer_label) = cv_labels(app);
    let issuer = key(issuer_label, SHARED);
    let root = key(root_label, SHARED);
    let mut body = Vec::new();
    body.extend_from_slice(&virtual_cv_root_id(app).0);
    body.extend_from_slice(&virtual_subject_id(app).0);
    push_key(&mut body, &issuer);
    let sig = root
        .sign(Pkcs1v15Sign::new::<Sha256>(), &sha256(&body))
        .unwrap_or_default();
    let mut inner = Vec::new();
    push_tlv(&mut inner, 0x5F4E, &body);
    push_tlv(&mut inner, 0x5F37, &sig);
    let mut out = Vec::new();
    push_tlv(&mut out, 0x7F21, &inner);
    out
}

/// Appends `90 <exponent> 91 <modulus>`.
fn push_key(out: &mut Vec<u8>, k: &PrivateKey) {
    push_tlv(out, 0x90, &k.e().to_be_bytes_trimmed_vartime());
    push_tlv(out, 0x91, &k.n().to_be_bytes_trimmed_vartime());
}

/// The AP's own card key (text-assist or card-surface) of the card with `seed`: it signs
/// challenges without a PIN (see [`crate::presence`]).
fn ap_card_key(app: App, seed: u64) -> Arc<PrivateKey> {
    key(
        if app == App::Surface {
            CARD_SURFACE_AP
        } else {
            CARD_TEXT_AP
        },
        seed,
    )
}

/// `DF12`/`DF24`/`DF42`/`DF51`: the AP's card key as `90`/`91` objects.
fn ap_key_objects(app: App, seed: u64) -> Vec<u8> {
    let mut v = Vec::new();
    push_key(&mut v, &ap_card_key(app, seed));
    v
}

fn issuer_sign_sha256(app: App, data: &[u8]) -> Vec<u8> {
    key(cv_labels(app).1, SHARED)
        .sign(Pkcs1v15Sign::new::<Sha256>(), &sha256(data))
        .unwrap_or_default()
}

/// Text-assist `0007`: `FF50 { DF51 <AP card key> DF52 <signature> }`, `DF52` signing the `DF51`
/// object with the issuer key, as the test-card fixture shows.
fn signed_public_key(seed: u64) -> Vec<u8> {
    let mut body = Vec::new();
    push_tlv(&mut body, 0xDF51, &ap_key_objects(App::TextAssist, seed));
    let sig = issuer_sign_sha256(App::TextAssist, &body);
    push_tlv(&mut body, 0xDF52, &sig);
    let mut out = Vec::new();
    push_tlv(&mut out, 0xFF50, &body);
    out
}

/// Pads a file with `FF` filler to a multiple of 64 bytes, as real files carry filler after
/// their object ([card facts §6](crate::card_facts#s6)).
fn with_filler(mut v: Vec<u8>) -> Vec<u8> {
    v.resize(v.len().div_ceil(64) * 64, 0xFF);
    v
}

/// Card-surface `0001`: `FF10 { DF11 birth date, DF12 AP key, DF13 signature }`.
fn age_record(h: &Holder, seed: u64) -> Vec<u8> {
    let mut body = Vec::new();
    push_tlv(&mut body, 0xDF11, h.birth_yyyymmdd().as_bytes());
    push_tlv(&mut body, 0xDF12, &ap_key_objects(App::Surface, seed));
    let sig = issuer_sign_sha256(App::Surface, &body);
    push_tlv(&mut body, 0xDF13, &sig);
    let mut out = Vec::new();
    push_tlv(&mut out, 0xFF10, &body);
    with_filler(out)
}

/// Card-surface `0002`: `FF20 { DF21 offsets, DF22..DF2A }` with synthetic images; `DF28` signs
/// a DigestInfo of three SHA-256 digests (of `DF22-DF24`, `DF25-DF26`, `DF27`); `DF29` and
/// `DF2A` follow it, unsigned (the layout of [`crate::surface`]).
fn card_face(h: &Holder, seed: u64) -> Vec<u8> {
    let obj = |tag: u16, value: &[u8]| {
        let mut v = Vec::new();
        push_tlv(&mut v, tag, value);
        v
    };
    let name = format!("{}\u{3000}{}", h.family_name, h.given_name);
    let signed: [Vec<u8>; 6] = [
        obj(0xDF22, h.birth_yyyymmdd().as_bytes()),
        obj(0xDF23, &[b'0' + h.sex]),
        obj(0xDF24, &ap_key_objects(App::Surface, seed)),
        obj(0xDF25, &images::text_png(&name, 96, 16)),
        obj(0xDF26, &images::text_png(&h.address, 192, 32)),
        obj(0xDF27, &images::synthetic_jp2(96, 120)),
    ];
    let mut digests = Vec::with_capacity(96);
    for group in [&signed[0..3], &signed[3..5], &signed[5..6]] {
        digests.extend_from_slice(&sha256(&group.concat()));
    }
    let sig = key(SURFACE_ISSUER, SHARED)
        .sign(
            Pkcs1v15Sign::new_unprefixed(),
            &cvc::sha256_digest_info(&digests),
        )
        .unwrap_or_default();
    let mut objects: Vec<Vec<u8>> = signed.to_vec();
    objects.push(obj(0xDF28, &sig));
    objects.push(obj(0xDF29, h.expiry_yyyymmdd().as_bytes()));
    objects.push(obj(0xDF2A, &images::digits_png(&h.security_code)));
    // DF21: the file offset of each object's tag, after the outer header and DF21 itself.
    let table_len = 3 + 2 * objects.len();
    let inner_len = table_len + objects.iter().map(Vec::len).sum::<usize>();
    let header_len = 2 + match inner_len {
        0..=0x7F => 1,
        0x80..=0xFF => 2,
        _ => 3,
    };
    let mut offsets = Vec::with_capacity(2 * objects.len());
    let mut pos = header_len + table_len;
    for o in &objects {
        offsets.extend_from_slice(&(pos as u16).to_be_bytes());
        pos += o.len();
    }
    let mut inner = obj(0xDF21, &offsets);
    inner.extend_from_slice(&objects.concat());
    let mut out = Vec::new();
    push_tlv(&mut out, 0xFF20, &inner);
    with_filler(out)
}

/// Card-surface `0003`: `FF30 { DF31 layout, DF32 key id, DF33 version, DF34 municipality,
/// DF35 key id + 256 bytes }`, the shape myna-card describes; the values are placeholders
/// (what `DF35` means is not public).
fn surface_ap_info(seed: u64) -> Vec<u8> {
    let mut body = Vec::new();
    push_tlv(&mut body, 0xDF31, &[0x06, 0x03, 0x0E, 0x01]);
    push_tlv(&mut body, 0xDF32, &cvc::key_id("9000024", "001").0);
    push_tlv(&mut body, 0xDF33, &[0x01]);
    push_tlv(&mut body, 0xDF34, MUNICIPALITY.as_bytes());
    let mut df35 = cvc::key_id("9000024", "001").0.to_vec();
    let mut h = sha256(&[b"surface-df35".as_slice(), &seed.to_be_bytes()].concat());
    while df35.len() < 16 + 256 {
        df35.extend_from_slice(&h);
        h = sha256(&h);
    }
    df35.truncate(16 + 256);
    push_tlv(&mut body, 0xDF35, &df35);
    let mut out = Vec::new();
    push_tlv(&mut out, 0xFF30, &body);
    with_filler(out)
}

/// Card-surface `0005`: `FF40 { DF41 My Number PNG, DF42 AP key, DF43 signature }`.
fn my_number_image(h: &Holder, seed: u64) -> Vec<u8> {
    let mut body = Vec::new();
    push_tlv(&mut body, 0xDF41, &images::digits_png(&h.my_number));
    push_tlv(&mut body, 0xDF42, &ap_key_objects(App::Surface, seed));
    let sig = issuer_sign_sha256(App::Surface, &body);
    push_tlv(&mut body, 0xDF43, &sig);
    let mut out = Vec::new();
    push_tlv(&mut out, 0xFF40, &body);
    with_filler(out)
}

/// The virtual card's municipality code (in 共通カードAP record 1 and card-surface `0003`).
pub const MUNICIPALITY: &str = "13999";

/// Signs for `SIGN` with P2 = `00` in the text-assist or card-surface AP: the AP's card key,
/// no PIN, PKCS#1 v1.5 over the data as given (a DigestInfo), as myna-card describes. Other P1
/// values are refused with `6A86` (no source says what they do there).
pub(super) fn sign_with_ap_key(
    app: App,
    seed: u64,
    p1: u8,
    data: &[u8],
) -> Result<Vec<u8>, StatusWord> {
    if p1 != 0x00 {
        return Err(Status::IncorrectP1P2.status_word());
    }
    let k = ap_card_key(app, seed);
    if data.is_empty() || data.len() > k.size() - 11 {
        return Err(Status::WrongLength.status_word());
    }
    k.sign(Pkcs1v15Sign::new_unprefixed(), data)
        .map_err(|_| Status::IncorrectData.status_word())
}

/// Text-assist `0003`: `FF30 { DF31 DF32 DF33 }`, `DF33` signing the `DF31` and `DF32` objects
/// with the virtual issuer key (the layout the test-card fixture shows).
fn integrity_record(my_number_file: &[u8], basic_four_file: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    push_tlv(&mut body, 0xDF31, &sha256(my_number_file));
    let input = super::content::basic_four_digest_input(basic_four_file).unwrap_or(&[]);
    push_tlv(&mut body, 0xDF32, &sha256(input));
    let sig = issuer_sign_sha256(App::TextAssist, &body);
    push_tlv(&mut body, 0xDF33, &sig);
    let mut out = Vec::new();
    push_tlv(&mut out, 0xFF30, &body);
    out
}

/// Text-assist `0005`: `FF40 { DF41 DF42 DF43 }` and `FF` filler to 164 bytes, the shape of the
/// test card's file. What the fields mean is not public; these values are placeholders.
fn ap_info(seed: u64) -> Vec<u8> {
    let mut body = Vec::new();
    push_tlv(&mut body, 0xDF41, &[0x01, 0x03, 0x0E, 0x01]);
    push_tlv(&mut body, 0xDF42, &cvc::key_id("9000034", "001").0);
    let mut filler = Vec::new();
    let mut h = sha256(&seed.to_be_bytes());
    while filler.len() < 128 {
        filler.extend_from_slice(&h);
        h = sha256(&h);
    }
    push_tlv(&mut body, 0xDF43, &filler[..128]);
    let mut out = Vec::new();
    push_tlv(&mut out, 0xFF40, &body);
    out.resize(out.len().max(164), 0xFF);
    out
}

/// The files this module adds to the virtual card, by `(application, EF)`. They are a pure
/// function of their inputs, and issuing them takes several RSA signatures, so they are built
/// once per process for each set of inputs (fuzzing builds a card per run).
pub(super) fn files(
    h: &Holder,
    seed: u64,
    my_number_file: &[u8],
    basic_four_file: &[u8],
) -> Vec<((App, u16), Ef)> {
    type FileCache = Mutex<HashMap<[u8; 32], Vec<((App, u16), Ef)>>>;
    static FILES: OnceLock<FileCache> = OnceLock::new();
    let mut id = sha2::Sha256::new();
    for part in [
        h.family_name.as_bytes(),
        h.given_name.as_bytes(),
        h.address.as_bytes(),
        h.my_number.as_bytes(),
        h.security_code.as_bytes(),
        my_number_file,
        basic_four_file,
    ] {
        sha2::Digest::update(&mut id, (part.len() as u64).to_be_bytes());
        sha2::Digest::update(&mut id, part);
    }
    let (y, m, d) = h.birth;
    sha2::Digest::update(
        &mut id,
        format!("{y}-{m}-{d}/{}/{}/{seed}", h.sex, h.expiry_year).as_bytes(),
    );
    let id: [u8; 32] = sha2::Digest::finalize(id).into();
    let cache = FILES.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(f) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(&id) {
        return f.clone();
    }
    let f = build(h, seed, my_number_file, basic_four_file);
    cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id, f.clone());
    f
}

fn build(
    h: &Holder,
    seed: u64,
    my_number_file: &[u8],
    basic_four_file: &[u8],
) -> Vec<((App, u16), Ef)> {
    let free = |data: Vec<u8>| Ef::Binary {
        data,
        access: Access::Free,
    };
    let text_rec = |data: Vec<u8>| Ef::Binary {
        data,
        access: Access::AnyOf(vec![text::PIN.0, text::MATCHING_A.0, text::MATCHING_B.0]),
    };
    vec![
        (
            (App::Jpki, jpki::AUTH_CERT.0),
            free(leaf_cert(h, seed, false).unwrap_or_default()),
        ),
        ((App::Jpki, jpki::AUTH_CA_CERT.0), free(virtual_auth_ca())),
        (
            (App::Jpki, jpki::SIGN_CERT.0),
            Ef::Binary {
                data: leaf_cert(h, seed, true).unwrap_or_default(),
                access: Access::AnyOf(vec![jpki::SIGN_PIN.0]),
            },
        ),
        ((App::Jpki, jpki::SIGN_CA_CERT.0), free(virtual_sign_ca())),
        (
            (App::TextAssist, text::INTEGRITY.0),
            text_rec(integrity_record(my_number_file, basic_four_file)),
        ),
        (
            (App::TextAssist, text::CV_CERT.0),
            free(cv_certificate(App::TextAssist)),
        ),
        ((App::TextAssist, text::AP_INFO.0), free(ap_info(seed))),
        (
            (App::TextAssist, text::SIGNED_KEY.0),
            text_rec(signed_public_key(seed)),
        ),
        (
            (App::Surface, surface::AGE_RECORD.0),
            Ef::Binary {
                data: age_record(h, seed),
                access: Access::AnyOf(vec![surface::BIRTH_DATE_KEY.0]),
            },
        ),
        (
            (App::Surface, surface::CARD_FACE.0),
            Ef::Binary {
                data: card_face(h, seed),
                access: Access::AnyOf(vec![surface::MATCHING_A.0, surface::MATCHING_B.0]),
            },
        ),
        (
            (App::Surface, surface::AP_INFO.0),
            free(surface_ap_info(seed)),
        ),
        (
            (App::Surface, surface::CV_CERT.0),
            free(cv_certificate(App::Surface)),
        ),
        (
            (App::Surface, surface::MY_NUMBER_IMAGE.0),
            Ef::Binary {
                data: my_number_image(h, seed),
                access: Access::AnyOf(vec![surface::MATCHING_A.0]),
            },
        ),
    ]
}

/// Signs as the card does for `SIGN` with P1 = `p1` ([card facts §7](crate::card_facts#s7)), with
/// the key in EF `fid` (`0017` auth, `001A` sign) of the card with `seed`.
pub(super) fn sign(seed: u64, fid: u16, p1: u8, data: &[u8]) -> Result<Vec<u8>, StatusWord> {
    let label = match fid {
        0x0017 => CARD_AUTH,
        0x001A => CARD_SIGN,
        _ => return Err(Status::ConditionsNotSatisfied.status_word()),
    };
    let k = key(label, seed);
    let wrong_length = || Status::WrongLength.status_word();
    let max = k.size() - 11;
    let pss = |hash: &[u8]| {
        let mut rng = stream(label, seed, hash);
        // MGF1-SHA-256 with a 32-byte salt, the parameters the real card's PSS signatures verify
        // with (card facts §7); spelled out rather than left to the `rsa` crate's default.
        let scheme = rsa::pss::Pss::<Sha256>::new_with_salt(crate::crypto::PSS_SALT_LEN);
        k.sign_with_rng(&mut rng, scheme, hash)
    };
    let r = match p1 {
        // The data is signed as given (a DigestInfo, 1-245 bytes for RSA-2048).
        0x00 if !data.is_empty() && data.len() <= max => {
            k.sign(Pkcs1v15Sign::new_unprefixed(), data)
        }
        0x00 => return Err(wrong_length()),
        0x01 => k.sign(Pkcs1v15Sign::new_unprefixed(), &sha256(data)),
        0x02 if data.len() == 32 => k.sign(Pkcs1v15Sign::new::<Sha256>(), data),
        0x03 => k.sign(Pkcs1v15Sign::new::<Sha256>(), &sha256(data)),
        0x04 if data.len() == 32 => pss(data),
        0x05 => pss(&sha256(data)),
        0x02 | 0x04 => return Err(wrong_length()),
        _ => return Err(Status::IncorrectP1P2.status_word()),
    };
    r.map_err(|_| Status::IncorrectData.status_word())
}
