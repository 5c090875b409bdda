//! Who may reset which PIN where: the rules a cardholder meets, as types
//! ([card facts §11](crate::card_facts#s11), summarising a Japanese city's page on PIN reset,
//! [card facts §11](crate::card_facts#s11)).
//!
//! | route | which PINs | what is needed |
//! |---|---|---|
//! | self-service kiosk (convenience store, supermarket) | signature password and user-authentication PIN; some store chains only the signature password | the card with both certificates, the *other* JPKI PIN known (and usable), an NFC smartphone with the JPKI reset app |
//! | the smartphone reset app | the same two | the same |
//! | the counter (city office, community centre) | all four | the cardholder in person, with the card |
//! | the counter, by proxy (not a legal representative) | all four | the inquiry form with power of attorney filled in by the cardholder, the cardholder's card, and the proxy's ID ([`ProxyChecklist`]) |
//!
//! [`assess`] answers for one person and one place: possible, and what is needed; or not
//! possible, why, and where to go instead.
//!
//! ```
//! use mynacard::pin::PinKind;
//! use mynacard::policy::{assess, KioskSupport, Place, Refusal, Situation};
//!
//! // Forgot the signature password, knows the user-authentication PIN.
//! let s = Situation::new(PinKind::Signature).knowing([PinKind::UserAuth]);
//! assert!(assess(&s, &Place::Kiosk(KioskSupport::SignatureOnly)).is_possible());
//!
//! // The user-authentication PIN at a store that resets only the signature password.
//! let s = Situation::new(PinKind::UserAuth).knowing([PinKind::Signature]);
//! let a = assess(&s, &Place::Kiosk(KioskSupport::SignatureOnly));
//! assert_eq!(a.refusals(), &[Refusal::KioskSignatureOnly]);
//! assert!(a.go_instead().contains(&Place::Kiosk(KioskSupport::BothJpkiPins)));
//! ```

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;

use crate::lang::Lang;
use crate::pin::PinKind;

/// What a self-service kiosk can reset (the municipal page lists store chains of both kinds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KioskSupport {
    /// Only the signature password (署名用電子証明書のみ対応店舗).
    SignatureOnly,
    /// The signature password and the user-authentication PIN (共通対応店舗).
    BothJpkiPins,
}

impl KioskSupport {
    /// Whether the kiosk resets `kind`.
    pub const fn supports(self, kind: PinKind) -> bool {
        matches!(
            (self, kind),
            (_, PinKind::Signature) | (KioskSupport::BothJpkiPins, PinKind::UserAuth)
        )
    }

    /// The PIN kinds it resets.
    pub fn kinds(self) -> Vec<PinKind> {
        PinKind::ALL
            .into_iter()
            .filter(|k| self.supports(*k))
            .collect()
    }

    /// Store chains listed on the municipal page for this kind of kiosk. The page's lists are a
    /// snapshot and end with 等 ("and others"); Seven-Eleven appears in both lists there.
    pub const fn example_stores(self) -> &'static [&'static str] {
        match self {
            KioskSupport::BothJpkiPins => &[
                "セブン-イレブン (Seven-Eleven, nationwide)",
                "イオンリテール (Aeon Retail: イオン, イオンスタイル in Honshu and Shikoku)",
                "イオン北海道 (Aeon Hokkaido: some マックスバリュ, ザ・ビッグ, フードセンター)",
                "イオン東北 (Aeon Tohoku: some イオン, イオンスタイル)",
                "フジ (Fuji)",
            ],
            KioskSupport::SignatureOnly => &[
                "ローソン (Lawson, nationwide)",
                "ファミリーマート (FamilyMart, nationwide)",
                "ミニストップ (Ministop, nationwide)",
                "マックスバリュ西日本 (Maxvalu Nishinihon: some stores)",
                "ダイエー (Daiei: some stores)",
            ],
        }
    }
}

/// Where the person wants to reset the PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "place", content = "supports", rename_all = "snake_case")]
pub enum Place {
    /// A self-service kiosk in a convenience store or supermarket, with what it supports.
    Kiosk(KioskSupport),
    /// The JPKI reset app (JPKI暗証番号リセットアプリ) on an NFC smartphone.
    SmartphoneApp,
    /// The municipal counter (市区町村窓口: the city office or a community centre), in person.
    Counter,
    /// The municipal counter, by a proxy who is not the cardholder's legal representative.
    CounterByProxy,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Place::Kiosk(KioskSupport::SignatureOnly) => {
                "a convenience-store kiosk that resets only the signature password"
            }
            Place::Kiosk(KioskSupport::BothJpkiPins) => {
                "a convenience-store kiosk that resets both JPKI PINs"
            }
            Place::SmartphoneApp => "the JPKI reset app on an NFC smartphone",
            Place::Counter => "the municipal counter (city office or community centre), in person",
            Place::CounterByProxy => "the municipal counter, by proxy",
        })
    }
}

impl Place {
    /// The place as a person reads it in `lang` (`Display` is the English).
    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Ja => match self {
                Place::Kiosk(KioskSupport::SignatureOnly) => {
                    "署名用電子証明書の暗証番号だけを再設定できるコンビニ等のキオスク端末"
                }
                Place::Kiosk(KioskSupport::BothJpkiPins) => {
                    "署名用電子証明書と利用者証明用電子証明書の暗証番号を両方とも再設定できるコンビニ等のキオスク端末"
                }
                Place::SmartphoneApp => "NFC対応スマートフォンのJPKI暗証番号リセットアプリ",
                Place::Counter => "市区町村窓口（市役所・コミュニティセンター等）、本人が来庁",
                Place::CounterByProxy => "市区町村窓口、代理人による手続",
            }
            .into(),
        }
    }
}

/// The person and their card: what the rules depend on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Situation {
    /// The PIN to reset.
    pub target: PinKind,
    /// The PINs the person knows (the target may be among them, for example when it is blocked
    /// but remembered).
    pub known: BTreeSet<PinKind>,
    /// Whether both JPKI certificates (signature and user authentication) are on the card
    /// (EF `0008` of the JPKI AP reads `8F 8F …`, [card facts §2](crate::card_facts#s2); cards of
    /// under-15s have no signature certificate).
    pub both_certificates: bool,
    /// The PINs known to be blocked (from a status query on the card); a blocked PIN cannot
    /// serve as the other PIN of a self-service reset.
    pub blocked: BTreeSet<PinKind>,
}

impl Situation {
    /// Someone who wants to reset `target`, knows no PIN, and whose card has both certificates.
    pub fn new(target: PinKind) -> Self {
        Situation {
            target,
            known: BTreeSet::new(),
            both_certificates: true,
            blocked: BTreeSet::new(),
        }
    }

    /// Adds PINs the person knows.
    pub fn knowing(mut self, kinds: impl IntoIterator<Item = PinKind>) -> Self {
        self.known.extend(kinds);
        self
    }

    /// Sets whether both certificates are on the card.
    pub fn with_both_certificates(mut self, both: bool) -> Self {
        self.both_certificates = both;
        self
    }

    /// Adds PINs known to be blocked.
    pub fn with_blocked(mut self, kinds: impl IntoIterator<Item = PinKind>) -> Self {
        self.blocked.extend(kinds);
        self
    }
}

/// The JPKI PIN whose knowledge opens the self-service reset of `target`: the
/// user-authentication PIN for the signature password and the reverse; `None` for the two PINs
/// only the counter resets.
pub const fn other_jpki_pin(target: PinKind) -> Option<PinKind> {
    match target {
        PinKind::Signature => Some(PinKind::UserAuth),
        PinKind::UserAuth => Some(PinKind::Signature),
        PinKind::Residence | PinKind::TextAssist => None,
    }
}

/// One thing needed for a possible reset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "need", content = "detail", rename_all = "snake_case")]
pub enum Need {
    /// The cardholder's My Number Card.
    Card,
    /// Both JPKI certificates set on the card.
    BothCertificates,
    /// Knowing (and entering) this other PIN; a wrong value costs one of *its* tries.
    OtherPin(PinKind),
    /// An NFC smartphone that reads the card, with the JPKI reset app (face match against the
    /// card's photo).
    SmartphoneWithResetApp,
    /// After the app, finishing at a supporting kiosk within 24 hours
    /// ([card facts §5](crate::card_facts#s5)).
    KioskWithin24Hours,
    /// The cardholder in person, during opening hours (no appointment needed).
    InPerson,
    /// The proxy's documents: see the checklist.
    ProxyDocuments(ProxyChecklist),
}

impl fmt::Display for Need {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Need::Card => f.write_str("the My Number Card"),
            Need::BothCertificates => {
                f.write_str("both certificates (signature and user authentication) set on the card")
            }
            Need::OtherPin(k) => write!(
                f,
                "the {k}, known and not blocked (a wrong value costs one of its tries)"
            ),
            Need::SmartphoneWithResetApp => f.write_str(
                "an NFC smartphone that reads the card, with the JPKI reset app \
                 (JPKI暗証番号リセットアプリ; face match against the card's photo)",
            ),
            Need::KioskWithin24Hours => f.write_str(
                "then finishing the reset at a supporting convenience-store kiosk within 24 hours",
            ),
            Need::InPerson => {
                f.write_str("the cardholder in person during opening hours (no appointment needed)")
            }
            Need::ProxyDocuments(c) => write!(f, "the proxy's documents: {}", c.requirements()),
        }
    }
}

impl Need {
    /// The need as a person reads it in `lang` (`Display` is the English).
    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Ja => match self {
                Need::Card => "マイナンバーカード".into(),
                Need::BothCertificates => {
                    "カードに署名用と利用者証明用の電子証明書が両方とも設定されていること".into()
                }
                Need::OtherPin(k) => format!(
                    "{}（ロックされていないこと。間違えると、その暗証番号の残り回数が1回減ります）",
                    k.name(lang)
                ),
                Need::SmartphoneWithResetApp => {
                    "カードを読み取れるNFC対応スマートフォンとJPKI暗証番号リセットアプリ（カードの顔写真との顔照合）".into()
                }
                Need::KioskWithin24Hours => {
                    "その後24時間以内に、対応するコンビニ等のキオスク端末で再設定を完了すること"
                        .into()
                }
                Need::InPerson => "開庁時間内の本人の来庁（予約不要）".into(),
                Need::ProxyDocuments(c) => format!("代理人の書類: {}", c.requirements_in(lang)),
            },
        }
    }
}

/// Why a reset is not possible at a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "refusal", content = "pin", rename_all = "snake_case")]
pub enum Refusal {
    /// Self-service resets only the two JPKI PINs; this one is reset at the counter.
    NotSelfService(PinKind),
    /// The kiosk resets only the signature password.
    KioskSignatureOnly,
    /// Self-service needs the other JPKI PIN, which the person does not know.
    OtherPinUnknown(PinKind),
    /// Self-service needs the other JPKI PIN, which is blocked.
    OtherPinBlocked(PinKind),
    /// Self-service needs both certificates on the card.
    CertificatesMissing,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotSelfService(k) => write!(
                f,
                "the {k} cannot be reset by self-service: only the municipal counter resets it"
            ),
            Refusal::KioskSignatureOnly => f.write_str(
                "this kiosk resets only the signature password, not the user-authentication PIN",
            ),
            Refusal::OtherPinUnknown(k) => write!(
                f,
                "self-service needs the {k}; without it (if neither JPKI PIN is known) only the \
                 counter can reset"
            ),
            Refusal::OtherPinBlocked(k) => {
                write!(f, "self-service needs the {k}, and it is blocked too")
            }
            Refusal::CertificatesMissing => f.write_str(
                "self-service needs both certificates (signature and user authentication) on \
                 the card",
            ),
        }
    }
}

impl Refusal {
    /// The reason as a person reads it in `lang` (`Display` is the English).
    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Ja => match self {
                Refusal::NotSelfService(k) => format!(
                    "{}はセルフサービスでは再設定できません。市区町村窓口でだけ再設定できます",
                    k.name(lang)
                ),
                Refusal::KioskSignatureOnly => format!(
                    "この端末で再設定できるのは{}だけで、{}は再設定できません",
                    PinKind::Signature.name(lang),
                    PinKind::UserAuth.name(lang)
                ),
                Refusal::OtherPinUnknown(k) => format!(
                    "セルフサービスには{}が必要です。JPKIの暗証番号がどちらも分からない場合は、窓口でしか再設定できません",
                    k.name(lang)
                ),
                Refusal::OtherPinBlocked(k) => format!(
                    "セルフサービスには{}が必要ですが、それもロックされています",
                    k.name(lang)
                ),
                Refusal::CertificatesMissing => {
                    "セルフサービスには、カードに署名用と利用者証明用の電子証明書が両方とも必要です"
                        .into()
                }
            },
        }
    }
}

/// The answer of [`assess`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
pub enum Assessment {
    /// The reset is possible here, with these.
    Possible {
        /// The place.
        place: Place,
        /// What is needed, in the order the person meets it.
        needs: Vec<Need>,
    },
    /// The reset is not possible here.
    NotPossible {
        /// The place.
        place: Place,
        /// Every reason, not only the first.
        reasons: Vec<Refusal>,
        /// Where it is possible instead, best first.
        go_instead: Vec<Place>,
    },
}

impl Assessment {
    /// Whether the reset is possible.
    pub fn is_possible(&self) -> bool {
        matches!(self, Assessment::Possible { .. })
    }
    /// What is needed (empty if not possible).
    pub fn needs(&self) -> &[Need] {
        match self {
            Assessment::Possible { needs, .. } => needs,
            Assessment::NotPossible { .. } => &[],
        }
    }
    /// Why not (empty if possible).
    pub fn refusals(&self) -> &[Refusal] {
        match self {
            Assessment::Possible { .. } => &[],
            Assessment::NotPossible { reasons, .. } => reasons,
        }
    }
    /// Where to go instead (empty if possible).
    pub fn go_instead(&self) -> &[Place] {
        match self {
            Assessment::Possible { .. } => &[],
            Assessment::NotPossible { go_instead, .. } => go_instead,
        }
    }
    /// The other JPKI PIN to enter, for a possible self-service reset.
    pub fn other_pin(&self) -> Option<PinKind> {
        self.needs().iter().find_map(|n| match n {
            Need::OtherPin(k) => Some(*k),
            _ => None,
        })
    }
}

impl fmt::Display for Assessment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Assessment::Possible { place, needs } => {
                writeln!(f, "Possible at {place}. You need:")?;
                for n in needs {
                    writeln!(f, "  - {n}")?;
                }
            }
            Assessment::NotPossible {
                place,
                reasons,
                go_instead,
            } => {
                writeln!(f, "Not possible at {place}:")?;
                for r in reasons {
                    writeln!(f, "  - {r}")?;
                }
                writeln!(f, "Go instead to:")?;
                for p in go_instead {
                    writeln!(f, "  - {p}")?;
                }
            }
        }
        Ok(())
    }
}

impl Assessment {
    /// The assessment as a person reads it in `lang`, one line per entry (a heading, then each
    /// need, or each reason and where to go instead, indented with `  - `). The English lines
    /// are those of `Display`.
    pub fn lines(&self, lang: Lang) -> Vec<String> {
        let mut v = Vec::new();
        match self {
            Assessment::Possible { place, needs } => {
                v.push(match lang {
                    Lang::Ja => format!("{}で再設定できます。必要なもの:", place.message(lang)),
                    Lang::En => format!("Possible at {place}. You need:"),
                });
                v.extend(needs.iter().map(|n| format!("  - {}", n.message(lang))));
            }
            Assessment::NotPossible {
                place,
                reasons,
                go_instead,
            } => {
                v.push(match lang {
                    Lang::Ja => format!("{}では再設定できません:", place.message(lang)),
                    Lang::En => format!("Not possible at {place}:"),
                });
                v.extend(reasons.iter().map(|r| format!("  - {}", r.message(lang))));
                v.push(
                    match lang {
                        Lang::Ja => "代わりに次の場所で再設定できます:",
                        Lang::En => "Go instead to:",
                    }
                    .into(),
                );
                v.extend(
                    go_instead
                        .iter()
                        .map(|p| format!("  - {}", p.message(lang))),
                );
            }
        }
        v
    }

    /// [`Assessment::lines`] joined with line ends (no line end after the last).
    pub fn message(&self, lang: Lang) -> String {
        self.lines(lang).join("\n")
    }
}

/// Whether `situation.target` can be reset at `place`, and what is needed or why not.
pub fn assess(situation: &Situation, place: &Place) -> Assessment {
    let target = situation.target;
    match place {
        Place::Counter => Assessment::Possible {
            place: *place,
            needs: vec![Need::InPerson, Need::Card],
        },
        Place::CounterByProxy => Assessment::Possible {
            place: *place,
            needs: vec![Need::ProxyDocuments(ProxyChecklist::default())],
        },
        Place::Kiosk(_) | Place::SmartphoneApp => {
            let mut reasons = Vec::new();
            let other = other_jpki_pin(target);
            match other {
                None => reasons.push(Refusal::NotSelfService(target)),
                Some(_) => {
                    if let Place::Kiosk(support) = place {
                        if !support.supports(target) {
                            reasons.push(Refusal::KioskSignatureOnly);
                        }
                    }
                }
            }
            if let Some(o) = other {
                if !situation.known.contains(&o) {
                    reasons.push(Refusal::OtherPinUnknown(o));
                } else if situation.blocked.contains(&o) {
                    reasons.push(Refusal::OtherPinBlocked(o));
                }
            }
            if !situation.both_certificates {
                reasons.push(Refusal::CertificatesMissing);
            }
            match (reasons.is_empty(), other) {
                (true, Some(o)) => {
                    let mut needs = vec![
                        Need::Card,
                        Need::BothCertificates,
                        Need::OtherPin(o),
                        Need::SmartphoneWithResetApp,
                    ];
                    if *place == Place::SmartphoneApp {
                        needs.push(Need::KioskWithin24Hours);
                    }
                    Assessment::Possible {
                        place: *place,
                        needs,
                    }
                }
                _ => {
                    // Only the kiosk's limits stand in the way: another kiosk will do.
                    let mut go_instead = Vec::new();
                    if reasons == [Refusal::KioskSignatureOnly] {
                        go_instead.push(Place::Kiosk(KioskSupport::BothJpkiPins));
                    }
                    go_instead.extend([Place::Counter, Place::CounterByProxy]);
                    Assessment::NotPossible {
                        place: *place,
                        reasons,
                        go_instead,
                    }
                }
            }
        }
    }
}

/// The class of an identity document on the municipal page's table (マイナンバーカード本人確認書類表).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum DocumentClass {
    /// 【A】: photo ID only (顔写真付きのものに限る).
    A,
    /// 【B】: without a photo.
    B,
}

/// An identity document a proxy may bring. The page's lists end with 等 ("and others"): use
/// [`IdDocument::Other`] for a document the office accepts in a class.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdDocument {
    /// The proxy's own My Number Card: enough on its own.
    ProxyMyNumberCard,
    /// 運転免許証 (class A).
    DrivingLicence,
    /// 運転経歴証明書 (class A only if issued on or after 2012-04-01).
    DrivingHistoryCertificate {
        /// Issued on or after 2012-04-01 (平成24年4月1日).
        issued_from_2012_04_01: bool,
    },
    /// 旅券 (class A).
    Passport,
    /// 身体障害者手帳 (class A).
    DisabilityCertificate,
    /// 在留カード (class A).
    ResidenceCard,
    /// 健康保険資格確認書 (class B).
    HealthInsuranceEligibilityCertificate,
    /// 介護保険証 (class B).
    LongTermCareInsuranceCard,
    /// 年金証書 (class B).
    PensionCertificate,
    /// 生活保護受給者証 (class B).
    WelfareRecipientCertificate,
    /// 児童扶養手当証書 (class B).
    ChildSupportAllowanceCertificate,
    /// 社員証 (class B).
    EmployeeId,
    /// 学生証 (class B).
    StudentId,
    /// Another document the office accepts in a class.
    Other {
        /// Its name.
        name: String,
        /// Its class.
        class: DocumentClass,
    },
}

impl IdDocument {
    /// The page's examples of class A, in its order.
    pub const CLASS_A_EXAMPLES: [IdDocument; 5] = [
        IdDocument::DrivingLicence,
        IdDocument::DrivingHistoryCertificate {
            issued_from_2012_04_01: true,
        },
        IdDocument::Passport,
        IdDocument::DisabilityCertificate,
        IdDocument::ResidenceCard,
    ];
    /// The page's examples of class B, in its order.
    pub const CLASS_B_EXAMPLES: [IdDocument; 7] = [
        IdDocument::HealthInsuranceEligibilityCertificate,
        IdDocument::LongTermCareInsuranceCard,
        IdDocument::PensionCertificate,
        IdDocument::WelfareRecipientCertificate,
        IdDocument::ChildSupportAllowanceCertificate,
        IdDocument::EmployeeId,
        IdDocument::StudentId,
    ];

    /// Its class, or `None` for the proxy's My Number Card (a rule of its own) and for a driving
    /// history certificate issued before 2012-04-01 (not accepted).
    pub fn class(&self) -> Option<DocumentClass> {
        use IdDocument::*;
        match self {
            ProxyMyNumberCard => None,
            DrivingLicence | Passport | DisabilityCertificate | ResidenceCard => {
                Some(DocumentClass::A)
            }
            DrivingHistoryCertificate {
                issued_from_2012_04_01,
            } => issued_from_2012_04_01.then_some(DocumentClass::A),
            HealthInsuranceEligibilityCertificate
            | LongTermCareInsuranceCard
            | PensionCertificate
            | WelfareRecipientCertificate
            | ChildSupportAllowanceCertificate
            | EmployeeId
            | StudentId => Some(DocumentClass::B),
            Other { class, .. } => Some(*class),
        }
    }

    /// Its name, Japanese first.
    pub fn name(&self) -> String {
        use IdDocument::*;
        match self {
            ProxyMyNumberCard => "マイナンバーカード (the proxy's own My Number Card)".into(),
            DrivingLicence => "運転免許証 (driving licence)".into(),
            DrivingHistoryCertificate {
                issued_from_2012_04_01: true,
            } => "運転経歴証明書 (driving history certificate, issued on or after 2012-04-01)".into(),
            DrivingHistoryCertificate {
                issued_from_2012_04_01: false,
            } => "運転経歴証明書 (driving history certificate, issued before 2012-04-01: not accepted)"
                .into(),
            Passport => "旅券 (passport)".into(),
            DisabilityCertificate => "身体障害者手帳 (physical disability certificate)".into(),
            ResidenceCard => "在留カード (residence card)".into(),
            HealthInsuranceEligibilityCertificate => {
                "健康保険資格確認書 (health-insurance eligibility certificate)".into()
            }
            LongTermCareInsuranceCard => "介護保険証 (long-term care insurance card)".into(),
            PensionCertificate => "年金証書 (pension certificate)".into(),
            WelfareRecipientCertificate => "生活保護受給者証 (welfare recipient certificate)".into(),
            ChildSupportAllowanceCertificate => {
                "児童扶養手当証書 (child-support allowance certificate)".into()
            }
            EmployeeId => "社員証 (employee ID)".into(),
            StudentId => "学生証 (student ID)".into(),
            Other { name, .. } => name.clone(),
        }
    }
}

/// Whether documents prove a proxy's identity: the proxy's own My Number Card, or two different
/// class-A documents, or one class-A and one class-B document.
pub fn proxy_id_sufficient(documents: &[IdDocument]) -> bool {
    if documents.contains(&IdDocument::ProxyMyNumberCard) {
        return true;
    }
    let mut seen = Vec::new();
    for d in documents {
        if !seen.contains(&d) {
            seen.push(d);
        }
    }
    let a = seen
        .iter()
        .filter(|d| d.class() == Some(DocumentClass::A))
        .count();
    let b = seen
        .iter()
        .filter(|d| d.class() == Some(DocumentClass::B))
        .count();
    a >= 2 || (a >= 1 && b >= 1)
}

/// Something a proxy still lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Missing {
    /// The inquiry form with power of attorney (照会書兼回答書(兼委任状)).
    InquiryForm,
    /// The cardholder's My Number Card.
    CardholdersCard,
    /// Proof of the proxy's identity.
    ProxyIdentity,
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Missing::InquiryForm => {
                "the inquiry form with power of attorney (照会書兼回答書(兼委任状)), filled in \
                 entirely by the cardholder: ask the office by phone or at the counter to mail it \
                 to the cardholder"
            }
            Missing::CardholdersCard => "the cardholder's My Number Card",
            Missing::ProxyIdentity => {
                "the proxy's ID: their own My Number Card, or two class-A documents, or one \
                 class-A and one class-B document"
            }
        })
    }
}

impl Missing {
    /// What is missing as a person reads it in `lang` (`Display` is the English).
    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Ja => match self {
                Missing::InquiryForm => "本人がすべて記入した照会書兼回答書(兼委任状)（電話または窓口で、本人あてに郵送するよう依頼してください）",
                Missing::CardholdersCard => "本人のマイナンバーカード",
                Missing::ProxyIdentity => "代理人の本人確認書類（代理人のマイナンバーカード、またはA書類2点、またはA書類1点とB書類1点）",
            }
            .into(),
        }
    }
}

/// What a proxy (other than a legal representative) brings to the counter. Start empty, tick
/// what is there, and ask what is [`missing`](ProxyChecklist::missing).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProxyChecklist {
    /// The inquiry form with power of attorney, mailed by the office to the cardholder and
    /// filled in entirely by them.
    pub inquiry_form: bool,
    /// The cardholder's My Number Card.
    pub cardholders_card: bool,
    /// The proxy's identity documents.
    pub proxy_documents: Vec<IdDocument>,
}

impl ProxyChecklist {
    /// What is still missing, in the order the counter asks for it.
    pub fn missing(&self) -> Vec<Missing> {
        let mut m = Vec::new();
        if !self.inquiry_form {
            m.push(Missing::InquiryForm);
        }
        if !self.cardholders_card {
            m.push(Missing::CardholdersCard);
        }
        if !proxy_id_sufficient(&self.proxy_documents) {
            m.push(Missing::ProxyIdentity);
        }
        m
    }

    /// Whether nothing is missing.
    pub fn is_complete(&self) -> bool {
        self.missing().is_empty()
    }

    /// [`ProxyChecklist::requirements`] in `lang`.
    pub fn requirements_in(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.requirements(),
            Lang::Ja => "本人がすべて記入した照会書兼回答書(兼委任状)、本人のマイナンバーカード、代理人の本人確認書類（代理人のマイナンバーカード、またはA書類2点、またはA書類1点とB書類1点）",
        }
    }

    /// The requirements in one line.
    pub fn requirements(&self) -> &'static str {
        "the inquiry form with power of attorney filled in by the cardholder; the cardholder's \
         card; the proxy's ID (their own My Number Card, or two class-A documents, or one \
         class-A and one class-B)"
    }
}
