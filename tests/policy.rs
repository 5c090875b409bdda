//! The reset rules of [card facts §11](mynacard::card_facts#s11): every route and every refusal.

use mynacard::pin::PinKind;
use mynacard::policy::{
    assess, other_jpki_pin, proxy_id_sufficient, DocumentClass, IdDocument, KioskSupport, Missing,
    Need, Place, ProxyChecklist, Refusal, Situation,
};

use PinKind::*;

const KIOSK_BOTH: Place = Place::Kiosk(KioskSupport::BothJpkiPins);
const KIOSK_SIGN: Place = Place::Kiosk(KioskSupport::SignatureOnly);
const ALL_PLACES: [Place; 5] = [
    KIOSK_BOTH,
    KIOSK_SIGN,
    Place::SmartphoneApp,
    Place::Counter,
    Place::CounterByProxy,
];

// --- routes -------------------------------------------------------------------------------

#[test]
fn route_signature_by_self_service_through_the_auth_pin() {
    let s = Situation::new(Signature).knowing([UserAuth]);
    for place in [KIOSK_BOTH, KIOSK_SIGN] {
        let a = assess(&s, &place);
        assert!(a.is_possible(), "{place}: {a}");
        assert_eq!(
            a.needs(),
            &[
                Need::Card,
                Need::BothCertificates,
                Need::OtherPin(UserAuth),
                Need::SmartphoneWithResetApp
            ]
        );
        assert_eq!(a.other_pin(), Some(UserAuth));
    }
}

#[test]
fn route_auth_by_self_service_through_the_signature_password() {
    let s = Situation::new(UserAuth).knowing([Signature]);
    let a = assess(&s, &KIOSK_BOTH);
    assert!(a.is_possible());
    assert_eq!(a.other_pin(), Some(Signature));
}

#[test]
fn route_smartphone_app_then_a_kiosk_within_24_hours() {
    for (target, other) in [(Signature, UserAuth), (UserAuth, Signature)] {
        let a = assess(
            &Situation::new(target).knowing([other]),
            &Place::SmartphoneApp,
        );
        assert!(a.is_possible());
        assert!(a.needs().contains(&Need::SmartphoneWithResetApp));
        assert!(a.needs().contains(&Need::KioskWithin24Hours));
        assert_eq!(a.other_pin(), Some(other));
    }
}

#[test]
fn route_counter_resets_any_pin_in_person_whatever_is_known() {
    for target in PinKind::ALL {
        for both in [true, false] {
            let s = Situation::new(target)
                .with_both_certificates(both)
                .with_blocked(PinKind::ALL);
            let a = assess(&s, &Place::Counter);
            assert!(a.is_possible());
            assert_eq!(a.needs(), &[Need::InPerson, Need::Card]);
            assert_eq!(a.other_pin(), None);
        }
    }
}

#[test]
fn route_counter_by_proxy_resets_any_pin_with_the_checklist() {
    for target in PinKind::ALL {
        let a = assess(&Situation::new(target), &Place::CounterByProxy);
        assert!(a.is_possible());
        assert!(matches!(a.needs(), [Need::ProxyDocuments(c)] if !c.is_complete()));
    }
}

// --- refusals -----------------------------------------------------------------------------

#[test]
fn refusal_residence_and_text_are_counter_only() {
    for target in [Residence, TextAssist] {
        assert_eq!(other_jpki_pin(target), None);
        for place in [KIOSK_BOTH, KIOSK_SIGN, Place::SmartphoneApp] {
            let s = Situation::new(target).knowing(PinKind::ALL);
            let a = assess(&s, &place);
            assert_eq!(a.refusals(), &[Refusal::NotSelfService(target)], "{place}");
            assert_eq!(a.go_instead(), &[Place::Counter, Place::CounterByProxy]);
        }
    }
}

#[test]
fn refusal_signature_only_kiosk_sends_the_auth_pin_elsewhere() {
    let s = Situation::new(UserAuth).knowing([Signature]);
    let a = assess(&s, &KIOSK_SIGN);
    assert_eq!(a.refusals(), &[Refusal::KioskSignatureOnly]);
    assert_eq!(
        a.go_instead(),
        &[KIOSK_BOTH, Place::Counter, Place::CounterByProxy]
    );
    // The app has no such limit.
    assert!(assess(&s, &Place::SmartphoneApp).is_possible());
}

#[test]
fn refusal_other_pin_unknown() {
    for (target, other) in [(Signature, UserAuth), (UserAuth, Signature)] {
        // Knowing the target itself does not help.
        let s = Situation::new(target).knowing([target, Residence, TextAssist]);
        for place in [KIOSK_BOTH, Place::SmartphoneApp] {
            let a = assess(&s, &place);
            assert_eq!(a.refusals(), &[Refusal::OtherPinUnknown(other)]);
            assert_eq!(a.go_instead(), &[Place::Counter, Place::CounterByProxy]);
        }
    }
}

#[test]
fn refusal_neither_jpki_pin_known_means_no_self_service_at_all() {
    for target in [Signature, UserAuth] {
        for place in [KIOSK_BOTH, KIOSK_SIGN, Place::SmartphoneApp] {
            assert!(!assess(&Situation::new(target), &place).is_possible());
        }
    }
}

#[test]
fn refusal_other_pin_blocked() {
    let s = Situation::new(Signature)
        .knowing([UserAuth])
        .with_blocked([Signature, UserAuth]);
    let a = assess(&s, &KIOSK_BOTH);
    assert_eq!(a.refusals(), &[Refusal::OtherPinBlocked(UserAuth)]);
    assert_eq!(a.go_instead(), &[Place::Counter, Place::CounterByProxy]);
    // The target being blocked is the usual reason to reset, not a refusal.
    let s = Situation::new(Signature)
        .knowing([UserAuth])
        .with_blocked([Signature]);
    assert!(assess(&s, &KIOSK_BOTH).is_possible());
}

#[test]
fn refusal_certificates_missing() {
    let s = Situation::new(Signature)
        .knowing([UserAuth])
        .with_both_certificates(false);
    for place in [KIOSK_BOTH, KIOSK_SIGN, Place::SmartphoneApp] {
        let a = assess(&s, &place);
        assert_eq!(a.refusals(), &[Refusal::CertificatesMissing]);
    }
    assert!(assess(&s, &Place::Counter).is_possible());
}

#[test]
fn every_reason_is_given_and_another_kiosk_is_offered_only_when_it_would_help() {
    let s = Situation::new(UserAuth).with_both_certificates(false);
    let a = assess(&s, &KIOSK_SIGN);
    assert_eq!(
        a.refusals(),
        &[
            Refusal::KioskSignatureOnly,
            Refusal::OtherPinUnknown(Signature),
            Refusal::CertificatesMissing
        ]
    );
    assert_eq!(a.go_instead(), &[Place::Counter, Place::CounterByProxy]);
    let text = a.to_string();
    assert!(text.starts_with("Not possible at a convenience-store kiosk that resets only"));
    assert!(text.contains("Go instead to:"));
}

/// The rules stated once more, independently, and checked over every input.
#[test]
fn every_combination_follows_the_table() {
    let subsets = |v: &[PinKind]| -> Vec<Vec<PinKind>> {
        (0..1u32 << v.len())
            .map(|m| {
                v.iter()
                    .enumerate()
                    .filter(|(i, _)| m & (1 << i) != 0)
                    .map(|(_, k)| *k)
                    .collect()
            })
            .collect()
    };
    let mut cases = 0;
    for target in PinKind::ALL {
        for known in subsets(&PinKind::ALL) {
            for blocked in subsets(&PinKind::ALL) {
                for both in [true, false] {
                    let s = Situation::new(target)
                        .knowing(known.clone())
                        .with_blocked(blocked.clone())
                        .with_both_certificates(both);
                    for place in ALL_PLACES {
                        cases += 1;
                        let a = assess(&s, &place);
                        let other = match target {
                            Signature => Some(UserAuth),
                            UserAuth => Some(Signature),
                            _ => None,
                        };
                        let expected = match place {
                            Place::Counter | Place::CounterByProxy => true,
                            Place::Kiosk(sup) => {
                                other.is_some_and(|o| known.contains(&o) && !blocked.contains(&o))
                                    && both
                                    && (target == Signature || sup == KioskSupport::BothJpkiPins)
                            }
                            Place::SmartphoneApp => {
                                other.is_some_and(|o| known.contains(&o) && !blocked.contains(&o))
                                    && both
                            }
                        };
                        assert_eq!(a.is_possible(), expected, "{s:?} at {place}");
                        // A refusal always has a reason and somewhere to go, and the counter is
                        // always among the places.
                        if !expected {
                            assert!(!a.refusals().is_empty());
                            assert!(a.go_instead().contains(&Place::Counter));
                        }
                    }
                }
            }
        }
    }
    assert_eq!(cases, 4 * 16 * 16 * 2 * 5);
}

// --- the proxy's checklist ----------------------------------------------------------------

#[test]
fn the_page_lists_five_class_a_and_seven_class_b_examples() {
    assert_eq!(IdDocument::CLASS_A_EXAMPLES.len(), 5);
    assert_eq!(IdDocument::CLASS_B_EXAMPLES.len(), 7);
    for d in IdDocument::CLASS_A_EXAMPLES {
        assert_eq!(d.class(), Some(DocumentClass::A), "{}", d.name());
    }
    for d in IdDocument::CLASS_B_EXAMPLES {
        assert_eq!(d.class(), Some(DocumentClass::B), "{}", d.name());
    }
    assert!(IdDocument::Passport.name().contains("旅券"));
    assert!(IdDocument::StudentId.name().contains("学生証"));
}

#[test]
fn proxy_identity_rules() {
    use IdDocument::*;
    let old_history = DrivingHistoryCertificate {
        issued_from_2012_04_01: false,
    };
    let new_history = DrivingHistoryCertificate {
        issued_from_2012_04_01: true,
    };
    assert_eq!(old_history.class(), None);
    // Two class A.
    assert!(proxy_id_sufficient(&[DrivingLicence, Passport]));
    assert!(proxy_id_sufficient(&[new_history.clone(), ResidenceCard]));
    // One A and one B.
    assert!(proxy_id_sufficient(&[Passport, EmployeeId]));
    // The proxy's own My Number Card alone.
    assert!(proxy_id_sufficient(&[ProxyMyNumberCard]));
    // Not enough.
    assert!(!proxy_id_sufficient(&[]));
    assert!(!proxy_id_sufficient(&[Passport]));
    assert!(!proxy_id_sufficient(&[
        EmployeeId,
        StudentId,
        PensionCertificate
    ]));
    assert!(!proxy_id_sufficient(&[Passport, Passport]));
    assert!(!proxy_id_sufficient(&[old_history, DrivingLicence]));
    // "等": other documents the office accepts.
    let other_a = Other {
        name: "マイナ免許証".into(),
        class: DocumentClass::A,
    };
    assert!(proxy_id_sufficient(&[other_a, StudentId]));
}

#[test]
fn proxy_checklist_reports_what_is_missing_in_order() {
    let mut c = ProxyChecklist::default();
    assert_eq!(
        c.missing(),
        vec![
            Missing::InquiryForm,
            Missing::CardholdersCard,
            Missing::ProxyIdentity
        ]
    );
    c.inquiry_form = true;
    c.proxy_documents = vec![IdDocument::DrivingLicence];
    assert_eq!(
        c.missing(),
        vec![Missing::CardholdersCard, Missing::ProxyIdentity]
    );
    c.cardholders_card = true;
    c.proxy_documents
        .push(IdDocument::HealthInsuranceEligibilityCertificate);
    assert!(c.is_complete());
    assert!(Missing::InquiryForm.to_string().contains("照会書兼回答書"));
}

#[test]
fn kiosk_support_and_store_lists() {
    assert_eq!(KioskSupport::SignatureOnly.kinds(), vec![Signature]);
    assert_eq!(
        KioskSupport::BothJpkiPins.kinds(),
        vec![Signature, UserAuth]
    );
    assert!(KioskSupport::BothJpkiPins
        .example_stores()
        .iter()
        .any(|s| s.contains("セブン-イレブン")));
    assert!(KioskSupport::SignatureOnly
        .example_stores()
        .iter()
        .any(|s| s.contains("ローソン")));
}

#[test]
fn assessments_serialise_for_the_cli() {
    let a = assess(&Situation::new(UserAuth).knowing([Signature]), &KIOSK_SIGN);
    let v = serde_json::to_value(&a).unwrap();
    assert_eq!(v["answer"], "not_possible");
    assert_eq!(v["reasons"][0]["refusal"], "kiosk_signature_only");
    assert_eq!(v["go_instead"][0]["place"], "kiosk");
    assert_eq!(v["go_instead"][0]["supports"], "both_jpki_pins");
    let a = assess(&Situation::new(Residence), &Place::CounterByProxy);
    let v = serde_json::to_value(&a).unwrap();
    assert_eq!(v["answer"], "possible");
    assert_eq!(v["needs"][0]["need"], "proxy_documents");
    assert_eq!(v["needs"][0]["detail"]["inquiry_form"], false);
}
