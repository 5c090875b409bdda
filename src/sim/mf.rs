//! The virtual card's master-file level ([card facts §12](crate::card_facts#s12); facts from
//! myna-card 3.3.4 `src/mf.rs`, `src/card.rs`):
//!
//! * GET DATA `00 CA P1 P2 Le` with no application current answers the objects of
//!   [`crate::mf::tag`]; with an application current only `5F51` (the contact ATR) answers, the
//!   rest `6A88`. The two certificates (`F8`, `7F21`, 575 bytes each) refuse a short `Le` with
//!   `6700` and answer an extended one; P1-P2 with no object, `6A88`; a data field, `6700`.
//! * SELECT of the issuer security domain `00 A4 04 0C 07 A0 00 00 01 51 00 00`: `9000`, no
//!   application current, the security status, the terminal authentication and any secure
//!   messaging session cleared. `00 A4 00 00` (select MF): `6A86` at the MF level, and `9000`
//!   changing nothing once an application is current; `00 A4 00 0C 02 3F 00`: `6A82`.
//! * Under the MF: `001E` can be selected but not read (`6981`); `2F10`, `2F11`: `6A82`.
//! * The CV chain: `F8` certifies a virtual intermediate under the virtual MF root
//!   `9000020/001 … A8`, `7F21` certifies the card's key under that intermediate, in the GET DATA
//!   form (`4D` header list, `5F4E`, `5F37`).

use std::sync::Arc;

use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, PrivateKey};
use sha2::{Digest, Sha256};

use super::{pki, VirtualCard, ATR_CONTACT};
use crate::apdu::{CommandView, Response, Status, StatusWord};
use crate::crypto::RsaKey;
use crate::cvc::{self, CvHierarchy, IssuerKeys, KeyId};
use crate::mf::{tag, ISSUER_SECURITY_DOMAIN};
use crate::tlv::push as push_tlv;

const MF_ROOT: &str = "virtual-mf-root";
const MF_INTERMEDIATE: &str = "virtual-mf-intermediate";
const CARD_MF: &str = "card-mf";

/// The virtual MF root id, `9000020/001 00 00 00 A8`: the real ids' shape (`5…` production,
/// `6…` test) with a `9` no real hierarchy uses.
pub fn virtual_mf_root_id() -> KeyId {
    cvc::key_id_padded("9000020", "001", cvc::MF_PADDING)
}

/// The intermediate's id (the real one starts with a municipality code; 13999 is the virtual
/// card's), padded like the real `1322130/002 … 98`.
pub fn virtual_mf_intermediate_id() -> KeyId {
    cvc::key_id_padded("1399930", "002", [0, 0, 0, 0x98])
}

/// The id the lower certificate certifies, as on the real card (`0000050/001 … 40`).
pub fn virtual_mf_card_key_id() -> KeyId {
    cvc::key_id_padded("0000050", "001", [0, 0, 0, 0x40])
}

fn rsa_key(k: &PrivateKey) -> RsaKey {
    RsaKey::new(
        &k.n().to_be_bytes_trimmed_vartime(),
        &k.e().to_be_bytes_trimmed_vartime(),
    )
}

/// The virtual MF root key as [`CvHierarchy::Virtual`], to verify the virtual card's MF chain.
pub fn virtual_mf_issuer_keys() -> IssuerKeys {
    IssuerKeys::empty().with(
        virtual_mf_root_id(),
        rsa_key(&pki::key(MF_ROOT, 0)),
        CvHierarchy::Virtual,
    )
}

/// A CV certificate in the GET DATA form: `4D 0A 42 10 5F20 10 5F49 <len>` then `5F4E`, `5F37`.
fn get_data_certificate(
    car: KeyId,
    chr: KeyId,
    subject: &PrivateKey,
    signer: &PrivateKey,
) -> Vec<u8> {
    let mut key = Vec::new();
    push_tlv(&mut key, 0x90, &subject.e().to_be_bytes_trimmed_vartime());
    push_tlv(&mut key, 0x91, &subject.n().to_be_bytes_trimmed_vartime());
    let mut body = Vec::new();
    body.extend_from_slice(&car.0);
    body.extend_from_slice(&chr.0);
    body.extend_from_slice(&key);
    let sig = signer
        .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(&body))
        .unwrap_or_default();
    let mut headers = vec![0x42, 0x10, 0x5F, 0x20, 0x10, 0x5F, 0x49];
    let kl = key.len() as u16;
    if kl < 0x80 {
        headers.push(kl as u8);
    } else if kl <= 0xFF {
        headers.extend_from_slice(&[0x81, kl as u8]);
    } else {
        headers.push(0x82);
        headers.extend_from_slice(&kl.to_be_bytes());
    }
    let mut out = Vec::new();
    push_tlv(&mut out, 0x4D, &headers);
    push_tlv(&mut out, 0x5F4E, &body);
    push_tlv(&mut out, 0x5F37, &sig);
    out
}

fn keys(seed: u64) -> (Arc<PrivateKey>, Arc<PrivateKey>, Arc<PrivateKey>) {
    (
        pki::key(MF_ROOT, 0),
        pki::key(MF_INTERMEDIATE, 0),
        pki::key(CARD_MF, seed),
    )
}

/// Minimal GlobalPlatform card recognition data: `66 { 73 { 06 07 <1.2.840.114283.1> } }`.
const CARD_RECOGNITION: [u8; 13] = [
    0x66, 0x0B, 0x73, 0x09, 0x06, 0x07, 0x2A, 0x86, 0x48, 0x86, 0xFC, 0x6B, 0x01,
];

impl VirtualCard {
    /// The value of an MF-level object, if the card has it.
    pub(super) fn mf_object(&self, t: u16) -> Option<Vec<u8>> {
        let seed = self.state.seed;
        Some(match t {
            tag::ISSUER_IDENTIFICATION => cvc::key_id("9999999", "001").0.to_vec(),
            tag::CARD_IDENTIFICATION => {
                format!("{:015}", seed % 1_000_000_000_000_000).into_bytes()
            }
            tag::CARD_RECOGNITION => CARD_RECOGNITION.to_vec(),
            tag::MUNICIPALITY_CODE => pki::MUNICIPALITY.as_bytes().to_vec(),
            tag::EXPIRY => self.holder.expiry_yyyymmdd().into_bytes(),
            tag::INTERMEDIATE_KEY_ID => virtual_mf_intermediate_id().0.to_vec(),
            tag::CHAIN_UPPER => {
                let (root, inter, _) = keys(seed);
                get_data_certificate(
                    virtual_mf_root_id(),
                    virtual_mf_intermediate_id(),
                    &inter,
                    &root,
                )
            }
            tag::CHAIN_LOWER => {
                let (_, inter, card) = keys(seed);
                get_data_certificate(
                    virtual_mf_intermediate_id(),
                    virtual_mf_card_key_id(),
                    &card,
                    &inter,
                )
            }
            tag::CONTACT_ATR => ATR_CONTACT[1..].to_vec(),
            _ => return None,
        })
    }

    /// GET DATA.
    pub(super) fn get_data(&mut self, c: &CommandView<'_>) -> Response {
        if !c.data.is_empty() {
            return Response::status(Status::WrongLength);
        }
        let t = u16::from_be_bytes([c.p1, c.p2]);
        let here = self.vol.df.is_none() || t == tag::CONTACT_ATR;
        let Some(v) = self.mf_object(t).filter(|_| here) else {
            return Response::status(Status::ReferencedDataNotFound);
        };
        match c.ne {
            Some(ne) if ne >= v.len() => Response::new(v, StatusWord::OK),
            // The large objects answer a short Le with 6700 rather than 61xx/6Cxx.
            _ => Response::status(Status::WrongLength),
        }
    }

    /// SELECT with P1 = 00 (MF / by file id from the MF) and P1 = 04 of the issuer security
    /// domain; `None` when the command is not one of these (the applications' SELECT handles it).
    pub(super) fn mf_select(&mut self, c: &CommandView<'_>) -> Option<Response> {
        match c.p1 {
            0x00 => Some(match c.data {
                [] if self.vol.df.is_none() => Response::status(Status::IncorrectP1P2),
                [] => Response::status(Status::Success),
                _ => Response::status(Status::FileNotFound),
            }),
            0x04 if c.data == ISSUER_SECURITY_DOMAIN => Some(if c.p2 & !0x0C != 0 {
                Response::status(Status::IncorrectP1P2)
            } else {
                self.vol.df = None;
                self.vol.ef = None;
                self.vol.mf_ef = None;
                self.vol.security_df = None;
                self.vol.verified.clear();
                self.vol.terminal = Default::default();
                self.vol.sm = Default::default();
                Response::status(Status::Success)
            }),
            0x02 if self.vol.df.is_none() => Some(match c.data {
                [0x00, 0x1E] => {
                    self.vol.mf_ef = Some(0x001E);
                    Response::status(Status::Success)
                }
                [_, _] => Response::status(Status::FileNotFound),
                _ => Response::status(Status::WrongLength),
            }),
            _ => None,
        }
    }

    /// READ BINARY / READ RECORD at the MF level: `001E` is an internal EF (`6981`).
    pub(super) fn mf_read(&mut self) -> Option<Response> {
        if self.vol.df.is_some() {
            return None;
        }
        self.vol
            .mf_ef
            .map(|_| Response::status(Status::Other(StatusWord(0x6981))))
    }

    /// GET CHALLENGE `00 84 00 00 Le`: any short `Le` from 1 to 256 (`00` = 256), at the MF level
    /// and in every application; the extended form `6985`; P1-P2 other than `0000`, `6A86`; no
    /// `Le` or a data field, `6700` (myna-card `Card::get_challenge`). An 8-byte challenge issued
    /// in an application is the one the stand-in EXTERNAL AUTHENTICATE checks.
    pub(super) fn get_challenge_any(&mut self, c: &CommandView<'_>) -> Response {
        if c.p1 != 0 || c.p2 != 0 {
            return Response::status(Status::IncorrectP1P2);
        }
        if c.case.is_extended() {
            return Response::status(Status::ConditionsNotSatisfied);
        }
        let ne = match c.ne {
            Some(n) if (1..=256).contains(&n) && c.data.is_empty() => n,
            _ => return Response::status(Status::WrongLength),
        };
        let mut out = vec![0u8; ne];
        if getrandom::getrandom(&mut out).is_err() {
            return Response::status(Status::NoPreciseDiagnosis);
        }
        if let (Some(app), Ok(ch)) = (self.vol.df, <[u8; 8]>::try_from(out.as_slice())) {
            self.vol.terminal.set_challenge(app, ch);
        }
        Response::new(out, StatusWord::OK)
    }
}
