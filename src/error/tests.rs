use super::*;
use crate::apdu::StatusWord;
use crate::credential::Rule;
use crate::crypto::CertTime;
use crate::crypto::TrustError;
use crate::lang::Lang;

/// One sample of every variant. The exhaustive matches in `every_variant_is_sampled` make a
/// new variant fail to compile until it is sampled here.
fn samples() -> Vec<Error> {
    let transport = [
        TransportError::CardRemoved,
        TransportError::CardReset,
        TransportError::NoResponse,
        TransportError::Malformed(1),
        TransportError::Unsupported("extended length".into()),
        TransportError::Backend("gone".into()),
        TransportError::Reader {
            context: "the reader was disconnected".into(),
            source: crate::transport::Cause::new(std::io::Error::other("gone")),
        },
    ];
    let rules = [
        Rule::Length {
            expected: "exactly 4",
            got: 3,
        },
        Rule::NotDigit { position: 2 },
        Rule::LowerCase { position: 1 },
        Rule::NotAlphanumeric { position: 1 },
        Rule::NoLetter,
        Rule::NoDigit,
        Rule::CheckDigit,
        Rule::Date("month"),
        Rule::Unchanged,
        Rule::Mismatch,
    ];
    let trust = [
        TrustError::UnknownIssuer {
            subject: "s".into(),
            issuer: "i".into(),
        },
        TrustError::BadSignature {
            subject: "s".into(),
            issuer: "i".into(),
        },
        TrustError::NotValidAt {
            subject: "s".into(),
            not_before: CertTime(0),
            not_after: CertTime(1),
            at: CertTime(2),
        },
        TrustError::NotCa {
            subject: "s".into(),
        },
        TrustError::Unsupported {
            subject: "s".into(),
            reason: "ECDSA".into(),
        },
        TrustError::Malformed {
            subject: "s".into(),
            reason: "not a DER Ecdsa-Sig-Value".into(),
        },
        TrustError::TooLong(5),
        TrustError::UnrecognisedCriticalExtension {
            subject: "s".into(),
            oid: "1.2.3.4".into(),
        },
    ];
    let mut out = Vec::new();
    for t in &transport {
        out.push(Error::Transport(t.clone()));
    }
    for (i, r) in rules.iter().enumerate() {
        let kind = [
            CredentialKind::Pin(PinKind::UserAuth),
            CredentialKind::MatchingNumberA,
            CredentialKind::MatchingNumberB,
            CredentialKind::BirthDateKey,
        ][i % 4];
        out.push(Error::Credential(CredentialError { kind, rule: *r }));
    }
    for t in trust {
        out.push(Error::Trust(t));
    }
    for kind in PinKind::ALL {
        for n in [0, 1, 2] {
            out.push(Error::WrongPin {
                kind,
                tries_left: n,
            });
        }
        out.push(Error::Blocked { kind });
        out.push(Error::LastTry { kind });
    }
    for kind in [
        CredentialKind::MatchingNumberA,
        CredentialKind::MatchingNumberB,
        CredentialKind::BirthDateKey,
    ] {
        out.push(Error::WrongMatchingNumber {
            kind,
            tries_left: 2,
        });
        out.push(Error::MatchingNumberBlocked { kind });
        out.push(Error::MatchingNumberLastTry { kind });
    }
    out.extend([
        Error::CardReset,
        Error::Apdu(ApduError::DataTooLong(70000)),
        Error::Card {
            operation: "VERIFY",
            sw: StatusWord(0x6A82),
            meaning: "file not found",
        },
        Error::NeedsVerification {
            what: "the signature certificate",
            needs: "the password",
        },
        Error::NotFound { what: "EF 0008" },
        Error::Parse {
            fid: Fid(0x0006),
            what: "token info",
            reason: "short".into(),
        },
        Error::ChangeRolledBack {
            cause: Box::new(Error::CardReset),
        },
        Error::Protocol("GET RESPONSE never ended"),
        Error::Integrity {
            what: "the basic four",
            reason: "digest differs".into(),
        },
        Error::Unsupported("ECDSA".into()),
        Error::Reset(ResetError::NotPermitted {
            kind: PinKind::Residence,
            terminal: "kiosk".into(),
        }),
        Error::Reset(ResetError::OtherPinNeeded {
            kind: PinKind::Signature,
            needs: PinKind::UserAuth,
            terminal: "kiosk".into(),
        }),
        Error::Reset(ResetError::TerminalRefused {
            application: "JPKI-AP",
            operation: "EXTERNAL AUTHENTICATE",
            sw: StatusWord(0x6982),
        }),
        Error::Reset(ResetError::WrongCommand {
            terminal: "vendor terminal".into(),
            step: "the wrapped RESET RETRY COUNTER",
            expected: "RESET RETRY COUNTER (2C)",
            ins: 0x20,
        }),
        Error::Reset(ResetError::Refused {
            kind: PinKind::UserAuth,
            application: "JPKI-AP",
            sw: StatusWord(0x6985),
        }),
        Error::Reset(ResetError::NotConfirmed {
            kind: PinKind::UserAuth,
            application: "JPKI-AP",
            state: RetryState::TriesLeft(2),
        }),
        Error::Reset(ResetError::Partial {
            kind: PinKind::Residence,
            reset: "住基AP",
            not_reset: "共通カードAP",
            cause: Box::new(Error::CardReset),
            status: None,
            advice: Box::new(Advice::RerunReset {
                reset: "住基AP",
                not_reset: "共通カードAP",
                unsure: true,
            }),
        }),
    ]);
    for advice in advices() {
        out.push(Error::UnknownOutcome {
            operation: "VERIFY",
            cause: TransportError::NoResponse,
            advice,
        });
    }
    out
}

fn torn(first: Held) -> TornChange {
    let refs = PinKind::Residence.key_refs();
    TornChange {
        kind: PinKind::Residence,
        first: (refs[0], first),
        second: (refs[1], Held::Old),
    }
}

fn advices() -> Vec<Advice> {
    vec![
        Advice::CheckStatusBeforeRetry {
            secret: CredentialKind::MatchingNumberB,
        },
        Advice::CheckWhichValueHolds {
            kind: PinKind::UserAuth,
            application: "JPKI-AP",
        },
        Advice::FinishTornChange {
            state: torn(Held::OldOrNew),
        },
        Advice::RollbackFailed {
            state: torn(Held::New),
            cause: Box::new(Error::CardReset),
        },
        Advice::RetryReset {
            kind: PinKind::Residence,
            application: "住基AP",
        },
        Advice::ConfirmReset {
            kind: PinKind::Residence,
            application: "住基AP",
            other_may_be_old: true,
        },
        Advice::ConfirmReset {
            kind: PinKind::UserAuth,
            application: "JPKI-AP",
            other_may_be_old: false,
        },
        Advice::RerunReset {
            reset: "住基AP",
            not_reset: "共通カードAP",
            unsure: true,
        },
        Advice::RerunReset {
            reset: "住基AP",
            not_reset: "共通カードAP",
            unsure: false,
        },
    ]
}

fn variant(e: &Error) -> &'static str {
    match e {
        Error::Credential(_) => "Credential",
        Error::Transport(_) => "Transport",
        Error::CardReset => "CardReset",
        Error::Apdu(_) => "Apdu",
        Error::Card { .. } => "Card",
        Error::WrongPin { .. } => "WrongPin",
        Error::Blocked { .. } => "Blocked",
        Error::LastTry { .. } => "LastTry",
        Error::NeedsVerification { .. } => "NeedsVerification",
        Error::NotFound { .. } => "NotFound",
        Error::Parse { .. } => "Parse",
        Error::ChangeRolledBack { .. } => "ChangeRolledBack",
        Error::UnknownOutcome { .. } => "UnknownOutcome",
        Error::Protocol(_) => "Protocol",
        Error::Integrity { .. } => "Integrity",
        Error::Trust(_) => "Trust",
        Error::Unsupported(_) => "Unsupported",
        Error::Reset(ResetError::NotPermitted { .. }) => "Reset::NotPermitted",
        Error::Reset(ResetError::OtherPinNeeded { .. }) => "Reset::OtherPinNeeded",
        Error::Reset(ResetError::TerminalRefused { .. }) => "Reset::TerminalRefused",
        Error::Reset(ResetError::WrongCommand { .. }) => "Reset::WrongCommand",
        Error::Reset(ResetError::Refused { .. }) => "Reset::Refused",
        Error::Reset(ResetError::NotConfirmed { .. }) => "Reset::NotConfirmed",
        Error::Reset(ResetError::Partial { .. }) => "Reset::Partial",
        Error::WrongMatchingNumber { .. } => "WrongMatchingNumber",
        Error::MatchingNumberBlocked { .. } => "MatchingNumberBlocked",
        Error::MatchingNumberLastTry { .. } => "MatchingNumberLastTry",
    }
}

fn advice_variant(a: &Advice) -> &'static str {
    match a {
        Advice::CheckStatusBeforeRetry { .. } => "CheckStatusBeforeRetry",
        Advice::CheckWhichValueHolds { .. } => "CheckWhichValueHolds",
        Advice::FinishTornChange { .. } => "FinishTornChange",
        Advice::RollbackFailed { .. } => "RollbackFailed",
        Advice::RetryReset { .. } => "RetryReset",
        Advice::ConfirmReset { .. } => "ConfirmReset",
        Advice::RerunReset { .. } => "RerunReset",
    }
}

#[test]
fn every_variant_is_sampled() {
    let seen: std::collections::BTreeSet<_> = samples().iter().map(variant).collect();
    assert_eq!(seen.len(), 27, "{seen:?}");
    let seen: std::collections::BTreeSet<_> = advices().iter().map(advice_variant).collect();
    assert_eq!(seen.len(), 7, "{seen:?}");
}

fn has_japanese(s: &str) -> bool {
    s.chars()
        .any(|c| matches!(c, '\u{3040}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}'))
}

#[test]
fn every_message_exists_in_japanese_and_english() {
    for e in samples() {
        let en = e.message(Lang::En);
        let ja = e.message(Lang::Ja);
        assert_eq!(en, e.to_string(), "Display stays English");
        assert!(!en.is_empty() && !ja.is_empty(), "{e:?}");
        assert_ne!(en, ja, "{e:?}");
        assert!(has_japanese(&ja), "{ja}");
        assert!(!ja.contains(" tries left"), "English left in {ja}");
    }
    for a in advices() {
        let en = a.message(Lang::En);
        let ja = a.message(Lang::Ja);
        assert_eq!(en, a.to_string());
        assert!(!en.is_empty() && !ja.is_empty(), "{a:?}");
        assert_ne!(en, ja, "{a:?}");
        assert!(has_japanese(&ja), "{ja}");
        assert!(!ja.contains("Check the status"), "English left in {ja}");
    }
}

#[test]
fn japanese_messages_carry_the_data() {
    let e = Error::WrongPin {
        kind: PinKind::UserAuth,
        tries_left: 2,
    };
    assert!(e.message(Lang::Ja).contains("残り2回"));
    assert!(e.message(Lang::Ja).contains("利用者証明用"));
    let a = Advice::FinishTornChange {
        state: torn(Held::New),
    };
    assert!(a
        .message(Lang::Ja)
        .starts_with("住基APは新しい暗証番号です。共通カードAPは古い"));
    assert!(a
        .message(Lang::En)
        .starts_with("住基AP has the new PIN; 共通カードAP has the old PIN."));
}
