//! The card's layout: its five applications, the EFs in each with their access rules, and the
//! key references with their initial values and retry limits
//! ([card facts §1](crate::card_facts#s1)–[§3](crate::card_facts#s3)). This file changes when the
//! card's contents change.

use std::collections::BTreeMap;

use super::{
    content, pki, Holder, VirtualCard, DEFAULT_PIN, DEFAULT_SIGNATURE_PASSWORD, MATCHING_LIMIT,
};
use crate::apdu::StatusWord;
use crate::applets::{self, jpki, surface, text, Aid};

/// The card's applications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum App {
    /// 公的個人認証AP.
    Jpki,
    /// 券面事項入力補助AP.
    TextAssist,
    /// 住基AP.
    Juki,
    /// 共通カードAP.
    Common,
    /// 券面事項確認AP.
    Surface,
}

impl App {
    /// All five.
    pub const ALL: [App; 5] = [
        App::Jpki,
        App::TextAssist,
        App::Juki,
        App::Common,
        App::Surface,
    ];
    /// Its AID.
    pub fn aid(self) -> Aid {
        match self {
            App::Jpki => applets::JPKI,
            App::TextAssist => applets::TEXT_ASSIST,
            App::Juki => applets::JUKI,
            App::Common => applets::COMMON,
            App::Surface => applets::SURFACE,
        }
    }
    /// The short name used in the state file.
    pub fn key_name(self) -> &'static str {
        match self {
            App::Jpki => "jpki",
            App::TextAssist => "text",
            App::Juki => "juki",
            App::Common => "common",
            App::Surface => "surface",
        }
    }
    pub(super) fn from_aid(aid: &[u8]) -> Option<App> {
        App::ALL.into_iter().find(|a| a.aid().as_bytes() == aid)
    }
}

/// Who may read a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Free,
    /// After any one of these key EFs (in the same application) is verified.
    AnyOf(Vec<u16>),
}

/// An EF of the virtual card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ef {
    /// A transparent file.
    Binary {
        /// Its bytes.
        data: Vec<u8>,
        /// Who may read it.
        access: Access,
    },
    /// A record file.
    Records {
        /// The records, record 1 first.
        records: Vec<Vec<u8>>,
        /// Who may read it.
        access: Access,
    },
    /// A PIN or key reference (its value lives in the persistent state).
    Key {
        /// Allowed value lengths.
        len: (usize, usize),
        /// Whether CHANGE REFERENCE DATA / CHANGE KEY may change it.
        changeable: bool,
    },
    /// A private key used by SIGN (the signing itself is plugged in by [`Signer`]).
    PrivateKey {
        /// The key EF that must be verified.
        pin: u16,
    },
}

/// Signs for the virtual card's private-key EFs: `(app, key EF, P1, data)` to a signature, or
/// a status word. Installed with [`VirtualCard::set_signer`].
pub type Signer = Box<dyn Fn(App, u16, u8, &[u8]) -> Result<Vec<u8>, StatusWord> + Send>;

/// Initial key values for a holder, by `(app, key EF)`, with their limits.
pub(super) fn initial_keys(h: &Holder) -> Vec<(App, u16, String, u8)> {
    let (y, m, d) = h.birth;
    vec![
        (App::Jpki, jpki::AUTH_PIN.0, DEFAULT_PIN.into(), 3),
        (
            App::Jpki,
            jpki::SIGN_PIN.0,
            DEFAULT_SIGNATURE_PASSWORD.into(),
            5,
        ),
        (App::TextAssist, text::PIN.0, DEFAULT_PIN.into(), 3),
        (
            App::TextAssist,
            text::MATCHING_A.0,
            h.my_number.clone(),
            MATCHING_LIMIT,
        ),
        (
            App::TextAssist,
            text::MATCHING_B.0,
            h.matching_b(),
            MATCHING_LIMIT,
        ),
        (App::Juki, applets::residence::PIN.0, DEFAULT_PIN.into(), 3),
        (
            App::Common,
            applets::residence::PIN.0,
            DEFAULT_PIN.into(),
            3,
        ),
        (
            App::Surface,
            surface::MATCHING_A.0,
            h.my_number.clone(),
            MATCHING_LIMIT,
        ),
        (
            App::Surface,
            surface::MATCHING_B.0,
            h.matching_b(),
            MATCHING_LIMIT,
        ),
        // The birth date with the Japanese era year, YYMMDD (myna-card: `550217` for a test
        // card born 1980-02-17).
        (
            App::Surface,
            surface::BIRTH_DATE_KEY.0,
            format!(
                "{:02}{m:02}{d:02}",
                crate::holder::era_year(y, m, d).unwrap_or(0) % 100
            ),
            MATCHING_LIMIT,
        ),
    ]
}

impl VirtualCard {
    pub(super) fn build_files(&mut self) {
        use content::*;
        let h = &self.holder;
        let mut f = BTreeMap::new();
        let free = |data: Vec<u8>| Ef::Binary {
            data,
            access: Access::Free,
        };
        let key4 = Ef::Key {
            len: (4, 4),
            changeable: true,
        };
        // JPKI AP.
        f.insert((App::Jpki, jpki::TOKEN_INFO.0), free(token_info()));
        f.insert(
            (App::Jpki, jpki::CERT_AVAILABILITY.0),
            free(vec![0x8F, 0x8F, 0x00]),
        );
        f.insert((App::Jpki, jpki::AUTH_PIN.0), key4.clone());
        f.insert(
            (App::Jpki, jpki::SIGN_PIN.0),
            Ef::Key {
                len: (6, 16),
                changeable: true,
            },
        );
        f.insert(
            (App::Jpki, jpki::AUTH_KEY.0),
            Ef::PrivateKey {
                pin: jpki::AUTH_PIN.0,
            },
        );
        f.insert(
            (App::Jpki, jpki::SIGN_KEY.0),
            Ef::PrivateKey {
                pin: jpki::SIGN_PIN.0,
            },
        );
        // Text-input assist AP.
        let my_number = text_my_number(h);
        let basic = text_basic_four(h);
        // Certificates, the signed integrity record, the CV certificate and the AP info.
        let pki_files = pki::files(h, self.state.seed, &my_number, &basic);
        let pin_or = |alts: &[u16]| {
            let mut v = vec![text::PIN.0];
            v.extend_from_slice(alts);
            Access::AnyOf(v)
        };
        f.insert(
            (App::TextAssist, text::MY_NUMBER.0),
            Ef::Binary {
                data: my_number,
                access: pin_or(&[text::MATCHING_A.0]),
            },
        );
        f.insert(
            (App::TextAssist, text::BASIC_FOUR.0),
            Ef::Binary {
                data: basic,
                access: pin_or(&[text::MATCHING_B.0]),
            },
        );
        // 0006: the session-key delivery key, PIN or either 照合番号 (myna-card fixtures README).
        f.insert(
            (App::TextAssist, text::SM_KEY.0),
            Ef::Binary {
                data: super::sm::sm_key_file(self.state.seed),
                access: pin_or(&[text::MATCHING_A.0, text::MATCHING_B.0]),
            },
        );
        f.insert((App::TextAssist, text::PIN.0), key4.clone());
        for k in [text::MATCHING_A, text::MATCHING_B] {
            f.insert(
                (App::TextAssist, k.0),
                Ef::Key {
                    len: (1, 16),
                    changeable: false,
                },
            );
        }
        f.insert(
            (App::TextAssist, text::BLOCKED_KEY.0),
            Ef::Key {
                len: (1, 16),
                changeable: false,
            },
        );
        // 住基AP and 共通カードAP.
        f.insert((App::Juki, applets::residence::PIN.0), key4.clone());
        f.insert((App::Common, applets::residence::PIN.0), key4);
        // 共通カードAP record 1: `01 1C` + serial (15) + municipality (5) + expiry YYYYMMDD.
        let record = format!(
            "{:015}{}{}",
            self.state.seed % 1_000_000_000_000_000,
            pki::MUNICIPALITY,
            h.expiry_yyyymmdd()
        );
        let mut rec = Vec::new();
        rec.push(0x01);
        rec.push(record.len() as u8);
        rec.extend_from_slice(record.as_bytes());
        f.insert(
            (App::Common, applets::residence::COMMON_RECORD.0),
            Ef::Records {
                records: vec![rec],
                access: Access::Free,
            },
        );
        // 券面事項確認AP keys (its files come from pki::files).
        for k in [
            surface::BIRTH_DATE_KEY,
            surface::MATCHING_B,
            surface::MATCHING_A,
        ]
        .map(|k| k.0)
        {
            f.insert(
                (App::Surface, k),
                Ef::Key {
                    len: (1, 16),
                    changeable: false,
                },
            );
        }
        f.extend(pki_files);
        self.files = f;
    }
}
