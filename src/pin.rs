//! The four PINs: kinds, formats, retry limits, key references, and their status.

use std::fmt;

use serde::Serialize;

use crate::applets::{self, jpki, residence, text, Aid, Fid};
use crate::lang::Lang;

/// One of the card's four user-facing PINs ([card facts §11](crate::card_facts#s11)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PinKind {
    /// 署名用電子証明書 password (JPKI signature key): 6–16 alphanumeric, 5 tries.
    Signature,
    /// 利用者証明用電子証明書 PIN (JPKI user-authentication key): 4 digits, 3 tries.
    UserAuth,
    /// 住民基本台帳用 PIN: 4 digits, 3 tries, two key references (住基AP and 共通カードAP).
    Residence,
    /// 券面入力補助用 PIN (券面事項入力補助AP): 4 digits, 3 tries.
    TextAssist,
}

/// The format of a PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PinFormat {
    /// Exactly four ASCII digits.
    FourDigits,
    /// 6–16 characters of `A-Z` and `0-9`, at least one letter and one digit.
    Alphanumeric6To16,
}

impl fmt::Display for PinFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PinFormat::FourDigits => "4 digits",
            PinFormat::Alphanumeric6To16 => "6-16 A-Z/0-9",
        })
    }
}

/// How a PIN's value is changed ([card facts §4](crate::card_facts#s4)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeCommand {
    /// CHANGE REFERENCE DATA `00 24 01 80 Lc <new>` (JPKI and text-assist PINs).
    ChangeReferenceData,
    /// JICSAP CHANGE KEY `80 32 00 80 Lc <new>` (住基AP and 共通カードAP).
    ChangeKey,
}

/// A PIN key reference: the application and the EF that holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyRef {
    /// The application.
    pub aid: Aid,
    /// The key EF.
    pub fid: Fid,
}

impl KeyRef {
    /// The application's name.
    pub fn app_name(&self) -> &'static str {
        applets::name(&self.aid)
    }
}

const SIGN_REFS: [KeyRef; 1] = [KeyRef {
    aid: applets::JPKI,
    fid: jpki::SIGN_PIN,
}];
const AUTH_REFS: [KeyRef; 1] = [KeyRef {
    aid: applets::JPKI,
    fid: jpki::AUTH_PIN,
}];
const TEXT_REFS: [KeyRef; 1] = [KeyRef {
    aid: applets::TEXT_ASSIST,
    fid: text::PIN,
}];
const RESIDENCE_REFS: [KeyRef; 2] = [
    KeyRef {
        aid: applets::JUKI,
        fid: residence::PIN,
    },
    KeyRef {
        aid: applets::COMMON,
        fid: residence::PIN,
    },
];

impl PinKind {
    /// All four, in the order the card's users meet them.
    pub const ALL: [PinKind; 4] = [
        PinKind::Signature,
        PinKind::UserAuth,
        PinKind::Residence,
        PinKind::TextAssist,
    ];

    /// The key references behind this PIN: one, or two for the residence PIN (住基AP first).
    pub fn key_refs(self) -> &'static [KeyRef] {
        match self {
            PinKind::Signature => &SIGN_REFS,
            PinKind::UserAuth => &AUTH_REFS,
            PinKind::Residence => &RESIDENCE_REFS,
            PinKind::TextAssist => &TEXT_REFS,
        }
    }

    /// The retry limit: 5 for the signature password, 3 for the others
    /// ([card facts §3](crate::card_facts#s3), [§11](crate::card_facts#s11)).
    pub const fn retry_limit(self) -> u8 {
        match self {
            PinKind::Signature => 5,
            _ => 3,
        }
    }

    /// The format.
    pub const fn format(self) -> PinFormat {
        match self {
            PinKind::Signature => PinFormat::Alphanumeric6To16,
            _ => PinFormat::FourDigits,
        }
    }

    /// How the value is changed.
    pub const fn change_command(self) -> ChangeCommand {
        match self {
            PinKind::Residence => ChangeCommand::ChangeKey,
            _ => ChangeCommand::ChangeReferenceData,
        }
    }

    /// An English description with the Japanese name.
    pub const fn description(self) -> &'static str {
        match self {
            PinKind::Signature => "signature password (署名用電子証明書)",
            PinKind::UserAuth => "user-authentication PIN (利用者証明用電子証明書)",
            PinKind::Residence => "residence-registry PIN (住民基本台帳用)",
            PinKind::TextAssist => "text-input-assist PIN (券面入力補助用)",
        }
    }

    /// Where a blocked or forgotten PIN of this kind can be reset
    /// ([card facts §11](crate::card_facts#s11)).
    pub const fn where_to_reset(self) -> &'static str {
        match self {
            PinKind::Signature => {
                "reset it at the municipal counter with the card, or, if you know the \
                 user-authentication PIN, with the JPKI reset app and a convenience-store kiosk"
            }
            PinKind::UserAuth => {
                "reset it at the municipal counter with the card, or, if you know the signature \
                 password, with the JPKI reset app and a convenience-store kiosk"
            }
            PinKind::Residence | PinKind::TextAssist => {
                "reset it at the municipal counter (市区町村窓口) with the card"
            }
        }
    }
}

impl PinKind {
    /// Its name as a person reads it: in Japanese the wording of the municipal page
    /// (署名用電子証明書の暗証番号 etc., [card facts §11](crate::card_facts#s11)); in English
    /// [`PinKind::description`]. The one name every front end shows.
    pub const fn name(self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.description(),
            Lang::Ja => match self {
                PinKind::Signature => "署名用電子証明書の暗証番号",
                PinKind::UserAuth => "利用者証明用電子証明書の暗証番号",
                PinKind::Residence => "住民基本台帳用の暗証番号",
                PinKind::TextAssist => "券面入力補助用の暗証番号",
            },
        }
    }

    /// [`PinKind::where_to_reset`] in `lang`: where a blocked or forgotten PIN of this kind is
    /// reset (再設定, the municipal page's verb).
    pub const fn where_to_reset_in(self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.where_to_reset(),
            Lang::Ja => match self {
                PinKind::Signature => {
                    "カードを持って市区町村窓口で再設定するか、利用者証明用電子証明書の暗証番号が分かれば、JPKI暗証番号リセットアプリとコンビニ等のキオスク端末で再設定してください"
                }
                PinKind::UserAuth => {
                    "カードを持って市区町村窓口で再設定するか、署名用電子証明書の暗証番号が分かれば、JPKI暗証番号リセットアプリとコンビニ等のキオスク端末で再設定してください"
                }
                PinKind::Residence | PinKind::TextAssist => {
                    "カードを持って市区町村窓口で再設定してください"
                }
            },
        }
    }
}

impl fmt::Display for PinKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// The state of one key reference's retry counter, as the case-1 VERIFY reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "tries_left", rename_all = "snake_case")]
pub enum RetryState {
    /// Already verified in this card session (`9000`): the counter is full.
    Verified,
    /// Not verified; this many tries left (`63Cx`).
    TriesLeft(u8),
    /// Blocked (`6984`, or `63C0`): only a reset opens it again.
    Blocked,
    /// No retry counter (`6300`).
    NoLimit,
}

impl RetryState {
    /// Tries left, where known (`Verified` means the counter is full: `limit`).
    pub fn tries_left(self, limit: u8) -> Option<u8> {
        match self {
            RetryState::Verified => Some(limit),
            RetryState::TriesLeft(n) => Some(n),
            RetryState::Blocked => Some(0),
            RetryState::NoLimit => None,
        }
    }
}

/// The status of one key reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RefStatus {
    /// Application name.
    pub application: &'static str,
    /// Key EF id, as 4 hex digits.
    #[serde(serialize_with = "ser_fid")]
    pub key: Fid,
    /// Its counter.
    #[serde(flatten)]
    pub state: RetryState,
}

fn ser_fid<S: serde::Serializer>(f: &Fid, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&f.to_string())
}

/// The status of a PIN: each of its key references.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PinStatus {
    /// Which PIN.
    pub kind: PinKind,
    /// Its retry limit.
    pub limit: u8,
    /// One entry per key reference (two for the residence PIN).
    pub refs: Vec<RefStatus>,
}

impl PinStatus {
    /// The fewest tries left over its key references (`None` if none has a counter).
    pub fn tries_left(&self) -> Option<u8> {
        self.refs
            .iter()
            .filter_map(|r| r.state.tries_left(self.limit))
            .min()
    }
    /// Whether any key reference is blocked.
    pub fn is_blocked(&self) -> bool {
        self.refs.iter().any(|r| r.state == RetryState::Blocked)
    }
    /// Whether the key references disagree (only possible for the residence PIN).
    pub fn is_divergent(&self) -> bool {
        self.refs
            .windows(2)
            .any(|w| w[0].state.tries_left(self.limit) != w[1].state.tries_left(self.limit))
    }
}
