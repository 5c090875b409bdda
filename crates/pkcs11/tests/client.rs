//! The module through the `cryptoki` crate, as an application uses it, against the virtual
//! card named by `MYNACARD_SIM_STATE`.

// Calls into the module through its raw C interface (`common::raw`); the workspace lints deny
// `unsafe_code` elsewhere.
#![allow(unsafe_code)]

mod common;

use common::Card;
use cryptoki::context::Pkcs11;
use cryptoki::error::{Error, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use der::Decode;
use sha2::{Digest, Sha256};

fn slots(p: &Pkcs11) -> (Slot, Slot) {
    let s = p.get_slots_with_token().unwrap();
    assert_eq!(s.len(), 2, "one card: two tokens");
    (s[0], s[1])
}

fn pin(s: &str) -> AuthPin {
    AuthPin::new(s.into())
}

fn rv(e: Error) -> RvError {
    match e {
        Error::Pkcs11(rv, _) => rv,
        other => panic!("not a PKCS#11 error: {other:?}"),
    }
}

fn objects(s: &Session, class: ObjectClass) -> Vec<ObjectHandle> {
    s.find_objects(&[Attribute::Class(class)]).unwrap()
}

/// The value of the one certificate with this `CKA_ID` (`01`/`02` the keys' certificates,
/// `03`/`04` their CA certificates).
fn cert_with_id(s: &Session, id: u8) -> Vec<u8> {
    let c = s
        .find_objects(&[
            Attribute::Class(ObjectClass::CERTIFICATE),
            Attribute::Id(vec![id]),
        ])
        .unwrap();
    assert_eq!(c.len(), 1, "one certificate with ID {id:02X}");
    match &s.get_attributes(c[0], &[AttributeType::Value]).unwrap()[..] {
        [Attribute::Value(v)] => v.clone(),
        other => panic!("{other:?}"),
    }
}

/// The value of the session's token's own certificate (the key's, not the CA's).
fn cert_der(s: &Session) -> Vec<u8> {
    let slot = s.get_session_info().unwrap().slot_id();
    let id = if slot.id().is_multiple_of(2) { 1 } else { 2 };
    cert_with_id(s, id)
}

/// Checks a PKCS#1 v1.5 signature over `digest_info` against the certificate's key.
fn verify(cert: &[u8], digest_info: &[u8], sig: &[u8]) {
    let cert = x509_cert::Certificate::from_der(cert).unwrap();
    let spki = cert.tbs_certificate().subject_public_key_info();
    let key = rsa::pkcs1::RsaPublicKey::<der::asn1::UintRef<'_>>::from_der(
        spki.subject_public_key.raw_bytes(),
    )
    .unwrap();
    let key = rsa::PublicKey::try_from(key).unwrap();
    key.verify(rsa::Pkcs1v15Sign::new_unprefixed(), digest_info, sig)
        .expect("signature verifies under the certificate");
}

fn sha256_digest_info(msg: &[u8]) -> Vec<u8> {
    mynacard::crypto::HashAlgorithm::Sha256.digest_info(&Sha256::digest(msg))
}

#[test]
fn listing_shows_tokens_counters_and_public_objects_in_at_most_4_exchanges() {
    let card = Card::new();
    let p = card.load();
    let info = p.get_library_info().unwrap();
    assert_eq!(info.cryptoki_version().major(), 2);
    assert_eq!(info.cryptoki_version().minor(), 40);
    let (auth, sign) = slots(&p);
    let ta = p.get_token_info(auth).unwrap();
    let ts = p.get_token_info(sign).unwrap();
    assert_eq!(ta.label(), "利用者証明用 User Auth");
    assert_eq!(ts.label(), "署名用 Digital Signature");
    assert_eq!((ta.min_pin_length(), ta.max_pin_length()), (4, 4));
    assert_eq!((ts.min_pin_length(), ts.max_pin_length()), (6, 16));
    for t in [&ta, &ts] {
        assert!(t.login_required() && t.user_pin_initialized() && t.token_initialized());
        assert!(!t.user_pin_count_low() && !t.user_pin_final_try() && !t.user_pin_locked());
    }
    let mechs = p.get_mechanism_list(auth).unwrap();
    // Five PKCS#1 v1.5 mechanisms and the two PSS ones.
    assert_eq!(mechs.len(), 7);
    let s = p.open_ro_session(auth).unwrap();
    let all = s.find_objects(&[]).unwrap();
    assert_eq!(
        all.len(),
        3,
        "certificate, public key and CA certificate before login"
    );
    let pubkey = objects(&s, ObjectClass::PUBLIC_KEY)[0];
    let attrs = s
        .get_attributes(
            pubkey,
            &[
                AttributeType::ModulusBits,
                AttributeType::Modulus,
                AttributeType::PublicExponent,
                AttributeType::Label,
            ],
        )
        .unwrap();
    let der = cert_der(&s);
    let cert = x509_cert::Certificate::from_der(&der).unwrap();
    let spki = cert.tbs_certificate().subject_public_key_info();
    let key = rsa::pkcs1::RsaPublicKey::<der::asn1::UintRef<'_>>::from_der(
        spki.subject_public_key.raw_bytes(),
    )
    .unwrap();
    match &attrs[..] {
        [Attribute::ModulusBits(bits), Attribute::Modulus(n), Attribute::PublicExponent(e), Attribute::Label(l)] =>
        {
            assert_eq!(u64::from(*bits), 2048);
            assert_eq!(n.as_slice(), key.modulus.as_bytes());
            assert_eq!(e.as_slice(), key.public_exponent.as_bytes());
            assert!(String::from_utf8_lossy(l).contains("利用者証明用"));
        }
        other => panic!("{other:?}"),
    }
    // The signature token shows only its CA certificate before login: the card gives its own
    // certificate (and so its public key) only after the password.
    let s2 = p.open_ro_session(sign).unwrap();
    let before = s2.find_objects(&[]).unwrap();
    assert_eq!(before.len(), 1, "the CA certificate only");
    assert_eq!(
        s2.get_attributes(before[0], &[AttributeType::Class, AttributeType::Id])
            .unwrap(),
        vec![
            Attribute::Class(ObjectClass::CERTIFICATE),
            Attribute::Id(vec![4])
        ]
    );
    drop(s);
    drop(s2);
    p.finalize().unwrap();
    let ex = card.exchanges();
    assert!(
        ex.len() <= 4,
        "a listing costs {} exchanges: {ex:#?}",
        ex.len()
    );
    assert_eq!(card.verifies_with_value(), 0);
}

#[test]
fn sign_with_the_auth_key_costs_at_most_6_exchanges_and_verifies() {
    let card = Card::new();
    let p = card.load();
    let (auth, _) = slots(&p);
    let t = p.get_token_info(auth).unwrap();
    assert!(!t.user_pin_count_low());
    let s = p.open_ro_session(auth).unwrap();
    s.login(UserType::User, Some(&pin("1234"))).unwrap();
    let key = objects(&s, ObjectClass::PRIVATE_KEY);
    assert_eq!(key.len(), 1, "the private key after login");
    let sig = s.sign(&Mechanism::Sha256RsaPkcs, key[0], b"hello").unwrap();
    assert_eq!(sig.len(), 256);
    let der = cert_der(&s);
    s.logout().unwrap();
    drop(s);
    p.finalize().unwrap();
    let ex = card.exchanges();
    assert!(ex.len() <= 6, "sign costs {} exchanges: {ex:#?}", ex.len());
    verify(&der, &sha256_digest_info(b"hello"), &sig);
    assert_eq!(card.tries(), (3, 5));
}

#[test]
fn every_mechanism_signs_with_both_keys() {
    let card = Card::new();
    let p = card.load();
    let (auth, sign) = slots(&p);
    for (slot, value) in [(auth, "1234"), (sign, "ABC123")] {
        let s = p.open_ro_session(slot).unwrap();
        s.login(UserType::User, Some(&pin(value))).unwrap();
        let key = objects(&s, ObjectClass::PRIVATE_KEY)[0];
        let der = cert_der(&s);
        let msg = b"mynacard pkcs11";
        let di = sha256_digest_info(msg);
        let cases: Vec<(Mechanism, Vec<u8>, Vec<u8>)> = vec![
            (Mechanism::RsaPkcs, di.clone(), di.clone()),
            (Mechanism::Sha256RsaPkcs, msg.to_vec(), di.clone()),
            (
                Mechanism::Sha1RsaPkcs,
                msg.to_vec(),
                [
                    &[
                        0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A, 0x05,
                        0x00, 0x04, 0x14,
                    ][..],
                    &sha1::Sha1::digest(msg),
                ]
                .concat(),
            ),
            (
                Mechanism::Sha384RsaPkcs,
                msg.to_vec(),
                mynacard::crypto::HashAlgorithm::Sha384.digest_info(&sha2::Sha384::digest(msg)),
            ),
            (
                Mechanism::Sha512RsaPkcs,
                msg.to_vec(),
                mynacard::crypto::HashAlgorithm::Sha512.digest_info(&sha2::Sha512::digest(msg)),
            ),
        ];
        for (m, input, signed) in cases {
            let sig = s.sign(&m, key, &input).unwrap();
            verify(&der, &signed, &sig);
        }
        // Multi-part gives the same (deterministic) PKCS#1 v1.5 signature.
        let one = s.sign(&Mechanism::Sha256RsaPkcs, key, msg).unwrap();
        s.sign_init(&Mechanism::Sha256RsaPkcs, key).unwrap();
        s.sign_update(&msg[..5]).unwrap();
        s.sign_update(&msg[5..]).unwrap();
        assert_eq!(s.sign_final().unwrap(), one);
        // Data too long for CKM_RSA_PKCS is refused before the card.
        let e = s.sign(&Mechanism::RsaPkcs, key, &[0u8; 246]).unwrap_err();
        assert_eq!(rv(e), RvError::DataLenRange);
        // The signature token's certificate is only there after login.
        if slot == sign {
            assert_eq!(s.find_objects(&[]).unwrap().len(), 4);
        }
        s.logout().unwrap();
    }
    p.finalize().unwrap();
    assert_eq!(card.tries(), (3, 5));
}

#[test]
fn a_wrong_pin_costs_exactly_one_try_and_the_flags_follow_the_counter() {
    let card = Card::new();
    let p = card.load();
    let (auth, sign) = slots(&p);
    let s = p.open_ro_session(auth).unwrap();
    let e = s.login(UserType::User, Some(&pin("9999"))).unwrap_err();
    assert_eq!(rv(e), RvError::PinIncorrect);
    assert_eq!(card.verifies_with_value(), 1);
    // The token info is re-read after a PIN operation.
    let t = p.get_token_info(auth).unwrap();
    assert!(t.user_pin_count_low() && !t.user_pin_final_try() && !t.user_pin_locked());
    let e = s.login(UserType::User, Some(&pin("9998"))).unwrap_err();
    assert_eq!(rv(e), RvError::PinIncorrect);
    let t = p.get_token_info(auth).unwrap();
    assert!(t.user_pin_count_low() && t.user_pin_final_try() && !t.user_pin_locked());
    // One try left: refused without sending, even with the right PIN.
    card.clear_log();
    let e = s.login(UserType::User, Some(&pin("1234"))).unwrap_err();
    assert_eq!(rv(e), RvError::FunctionRejected);
    assert_eq!(
        card.verifies_with_value(),
        0,
        "nothing sent: {:#?}",
        card.exchanges()
    );
    // The signature token is untouched.
    let ts = p.get_token_info(sign).unwrap();
    assert!(!ts.user_pin_count_low());
    drop(s);
    p.finalize().unwrap();
    assert_eq!(card.tries(), (1, 5), "two wrong PINs, two tries");
}

#[test]
fn the_last_try_is_spent_only_when_allowed() {
    let card = Card::new();
    card.set_tries(0x1B, 1);
    let p = card.load();
    let (_, sign) = slots(&p);
    assert!(p.get_token_info(sign).unwrap().user_pin_final_try());
    let s = p.open_ro_session(sign).unwrap();
    let e = s.login(UserType::User, Some(&pin("ABC123"))).unwrap_err();
    assert_eq!(rv(e), RvError::FunctionRejected);
    drop(s);
    p.finalize().unwrap();
    assert_eq!(card.tries(), (3, 1));
    // The environment allows it: the right password restores the counter.
    std::env::set_var("MYNACARD_ALLOW_LAST_TRY", "1");
    let p = card.load();
    let s = p.open_ro_session(sign).unwrap();
    s.login(UserType::User, Some(&pin("ABC123"))).unwrap();
    drop(s);
    p.finalize().unwrap();
    std::env::remove_var("MYNACARD_ALLOW_LAST_TRY");
    assert_eq!(card.tries(), (3, 5));
}

#[test]
fn a_blocked_pin_is_never_sent() {
    let card = Card::new();
    card.set_tries(0x18, 0);
    let p = card.load();
    let (auth, _) = slots(&p);
    let t = p.get_token_info(auth).unwrap();
    assert!(t.user_pin_locked());
    let s = p.open_ro_session(auth).unwrap();
    card.clear_log();
    let e = s.login(UserType::User, Some(&pin("1234"))).unwrap_err();
    assert_eq!(rv(e), RvError::PinLocked);
    assert_eq!(card.verifies_with_value(), 0);
    drop(s);
    p.finalize().unwrap();
    assert_eq!(card.tries(), (0, 5));
}

#[test]
fn a_pin_of_the_wrong_format_is_refused_before_any_io() {
    let card = Card::new();
    let p = card.load();
    let (auth, sign) = slots(&p);
    let s = p.open_rw_session(auth).unwrap();
    let s2 = p.open_rw_session(sign).unwrap();
    card.clear_log();
    let cases = [
        (&s, "12", RvError::PinLenRange),
        (&s, "12345", RvError::PinLenRange),
        (&s, "12a4", RvError::PinInvalid),
        (&s2, "ABC", RvError::PinLenRange),
        (&s2, "abc123", RvError::PinInvalid),
        (&s2, "ABCDEFGHIJKLMNOPQ", RvError::PinLenRange),
    ];
    for (sess, value, want) in cases {
        let e = sess.login(UserType::User, Some(&pin(value))).unwrap_err();
        assert_eq!(rv(e), want, "{value}");
    }
    let e = s.set_pin(&pin("1234"), &pin("12")).unwrap_err();
    assert_eq!(rv(e), RvError::PinLenRange);
    assert!(card.exchanges().is_empty(), "{:#?}", card.exchanges());
    drop((s, s2));
    p.finalize().unwrap();
    assert_eq!(card.tries(), (3, 5));
}

#[test]
fn set_pin_changes_the_pin() {
    let card = Card::new();
    let p = card.load();
    let (auth, sign) = slots(&p);
    let ro = p.open_ro_session(auth).unwrap();
    let e = ro.set_pin(&pin("1234"), &pin("5678")).unwrap_err();
    assert_eq!(rv(e), RvError::SessionReadOnly);
    drop(ro);
    let s = p.open_rw_session(auth).unwrap();
    s.set_pin(&pin("1234"), &pin("5678")).unwrap();
    let s2 = p.open_rw_session(sign).unwrap();
    s2.set_pin(&pin("ABC123"), &pin("XYZ789")).unwrap();
    // A wrong current value is one try.
    let e = s2.set_pin(&pin("ABC123"), &pin("QQQ111")).unwrap_err();
    assert_eq!(rv(e), RvError::PinIncorrect);
    s.login(UserType::User, Some(&pin("5678"))).unwrap();
    drop((s, s2));
    p.finalize().unwrap();
    let c = card.open();
    assert!(c.key_matches(mynacard::sim::App::Jpki, 0x18, b"5678"));
    assert!(c.key_matches(mynacard::sim::App::Jpki, 0x1B, b"XYZ789"));
    drop(c);
    assert_eq!(card.tries(), (3, 4));
}

#[test]
fn logout_and_closing_the_last_session_unpower_the_card() {
    let card = Card::new();
    let p = card.load();
    let (auth, _) = slots(&p);
    let s = p.open_ro_session(auth).unwrap();
    s.login(UserType::User, Some(&pin("1234"))).unwrap();
    let key = objects(&s, ObjectClass::PRIVATE_KEY)[0];
    card.clear_log();
    s.logout().unwrap();
    assert_eq!(card.unpowers(), 1, "C_Logout unpowers the card");
    // Logged out: the key is gone from view and cannot sign.
    assert!(objects(&s, ObjectClass::PRIVATE_KEY).is_empty());
    let e = s.sign(&Mechanism::Sha256RsaPkcs, key, b"x").unwrap_err();
    assert_eq!(rv(e), RvError::KeyHandleInvalid);
    let e = s.logout().unwrap_err();
    assert_eq!(rv(e), RvError::UserNotLoggedIn);
    // The card was unpowered: its verified state is gone, so the next login starts with a new
    // SELECT (the selection did not survive), and SIGN was never sent after the logout.
    card.clear_log();
    s.login(UserType::User, Some(&pin("1234"))).unwrap();
    assert!(
        card.exchanges()[0].starts_with("00A4040C"),
        "{:#?}",
        card.exchanges()
    );
    card.clear_log();
    drop(s);
    assert_eq!(
        card.unpowers(),
        1,
        "closing the last session unpowers the card"
    );
    // Closing the last session let go of the card: the library can open its state file, which
    // is locked while the module holds the card.
    mynacard::sim::VirtualCard::open(&card.state).expect("the module let go of the card");
    p.finalize().unwrap();
}

#[test]
fn sessions_on_several_threads_share_the_login() {
    let card = Card::new();
    let p = card.load();
    let (auth, _) = slots(&p);
    let main = p.open_ro_session(auth).unwrap();
    main.login(UserType::User, Some(&pin("1234"))).unwrap();
    let der = cert_der(&main);
    std::thread::scope(|scope| {
        for t in 0..4u8 {
            let p = &p;
            let der = &der;
            scope.spawn(move || {
                let s = p.open_ro_session(auth).unwrap();
                let key = objects(&s, ObjectClass::PRIVATE_KEY)[0];
                for i in 0..3u8 {
                    let msg = [t, i];
                    let sig = s.sign(&Mechanism::Sha256RsaPkcs, key, &msg).unwrap();
                    verify(der, &sha256_digest_info(&msg), &sig);
                }
            });
        }
    });
    let t = p.get_token_info(auth).unwrap();
    assert_eq!(t.session_count(), Some(1));
    drop(main);
    p.finalize().unwrap();
    assert_eq!(card.tries(), (3, 5));
}

/// READ BINARY by short EF identifier (`00 B0 80|SFI`), as the exchange log shows it.
fn reads_of(card: &Card, sfi: u8) -> usize {
    let prefix = format!("00B0{:02X}", 0x80 | sfi);
    card.exchanges()
        .iter()
        .filter(|l| l.starts_with(&prefix))
        .count()
}

/// `CKA_CERTIFICATE_CATEGORY` is not in the `cryptoki` crate's attribute list: the raw C
/// interface finds the certificates of one category on a slot and gives their `CKA_ID`s.
fn ids_of_category(slot: Slot, category: cryptoki_sys::CK_ULONG) -> Vec<Vec<u8>> {
    use common::raw::*;
    let r = Raw::load();
    let mut h: CK_SESSION_HANDLE = 0;
    let flags = CKF_SERIAL_SESSION;
    assert_eq!(
        call!(
            r,
            C_OpenSession(
                slot.id() as CK_SLOT_ID,
                flags,
                std::ptr::null_mut(),
                None,
                &mut h
            )
        ),
        CKR_OK
    );
    let mut value = category.to_ne_bytes();
    let mut t = [CK_ATTRIBUTE {
        type_: CKA_CERTIFICATE_CATEGORY,
        pValue: value.as_mut_ptr() as *mut _,
        ulValueLen: value.len() as CK_ULONG,
    }];
    assert_eq!(call!(r, C_FindObjectsInit(h, t.as_mut_ptr(), 1)), CKR_OK);
    let mut objs = [0 as CK_OBJECT_HANDLE; 8];
    let mut n: CK_ULONG = 0;
    assert_eq!(
        call!(r, C_FindObjects(h, objs.as_mut_ptr(), 8, &mut n)),
        CKR_OK
    );
    assert_eq!(call!(r, C_FindObjectsFinal(h)), CKR_OK);
    let mut ids = Vec::new();
    for o in &objs[..n as usize] {
        let mut id = [0u8; 8];
        let mut a = [CK_ATTRIBUTE {
            type_: CKA_ID,
            pValue: id.as_mut_ptr() as *mut _,
            ulValueLen: id.len() as CK_ULONG,
        }];
        assert_eq!(
            call!(r, C_GetAttributeValue(h, *o, a.as_mut_ptr(), 1)),
            CKR_OK
        );
        ids.push(id[..a[0].ulValueLen as usize].to_vec());
    }
    assert_eq!(call!(r, C_CloseSession(h)), CKR_OK);
    ids
}

/// The CA certificates as the library reads them from the card (after `C_Finalize`).
fn library_ca_certs(card: &Card) -> (Vec<u8>, Vec<u8>) {
    use mynacard::cert::CertKind;
    let mut c = mynacard::Card::new(card.open());
    let auth = c.jpki().read_certificate(CertKind::AuthCa).unwrap();
    let sign = c.jpki().read_certificate(CertKind::SignCa).unwrap();
    (auth.der().to_vec(), sign.der().to_vec())
}

#[test]
fn the_ca_certificates_are_public_authority_objects_on_their_own_tokens() {
    let card = Card::new();
    let p = card.load();
    let (auth, sign) = slots(&p);
    let mut seen = Vec::new();
    for (slot, ca_id, own_id) in [(auth, 3u8, 1u8), (sign, 4, 2)] {
        let s = p.open_ro_session(slot).unwrap();
        if slot == sign {
            // The signature certificate, and so the issuer check below, needs the password.
            s.login(UserType::User, Some(&pin("ABC123"))).unwrap();
        }
        let certs = objects(&s, ObjectClass::CERTIFICATE);
        assert_eq!(certs.len(), 2, "the key's certificate and its CA's");
        let ca = s
            .find_objects(&[
                Attribute::Class(ObjectClass::CERTIFICATE),
                Attribute::Id(vec![ca_id]),
            ])
            .unwrap();
        assert_eq!(ca.len(), 1);
        let attrs = s
            .get_attributes(
                ca[0],
                &[
                    AttributeType::CertificateType,
                    AttributeType::Token,
                    AttributeType::Private,
                    AttributeType::Trusted,
                    AttributeType::Label,
                    AttributeType::Value,
                    AttributeType::Subject,
                    AttributeType::Issuer,
                    AttributeType::SerialNumber,
                ],
            )
            .unwrap();
        let [Attribute::CertificateType(ct), Attribute::Token(token), Attribute::Private(private), Attribute::Trusted(trusted), Attribute::Label(label), Attribute::Value(der), Attribute::Subject(subject), Attribute::Issuer(issuer), Attribute::SerialNumber(serial)] =
            &attrs[..]
        else {
            panic!("{attrs:?}")
        };
        assert_eq!(*ct, cryptoki::object::CertificateType::X_509);
        assert!(*token && !*private && !*trusted);
        let label = String::from_utf8(label.clone()).unwrap();
        let (ja, en) = if slot == auth {
            (
                "利用者証明用電子証明書の発行者(CA)証明書",
                "User authentication CA certificate",
            )
        } else {
            (
                "署名用電子証明書の発行者(CA)証明書",
                "Digital signature CA certificate",
            )
        };
        assert!(label.contains(ja) && label.contains(en), "{label}");
        use der::Encode;
        let x = x509_cert::Certificate::from_der(der).unwrap();
        let tbs = x.tbs_certificate();
        assert_eq!(subject, &tbs.subject().to_der().unwrap());
        assert_eq!(issuer, &tbs.issuer().to_der().unwrap());
        assert_eq!(serial, &tbs.serial_number().to_der().unwrap());
        // It is the CA of this token's certificate.
        let own = x509_cert::Certificate::from_der(&cert_with_id(&s, own_id)).unwrap();
        assert_eq!(own.tbs_certificate().issuer(), tbs.subject());
        // The category, through the C interface: one authority, one token user certificate.
        assert_eq!(ids_of_category(slot, 2), vec![vec![ca_id]]);
        assert_eq!(ids_of_category(slot, 1), vec![vec![own_id]]);
        seen.push(der.clone());
        drop(s);
    }
    p.finalize().unwrap();
    // The very bytes the library reads from EF 000B and EF 0002.
    let (auth_ca, sign_ca) = library_ca_certs(&card);
    assert_eq!(seen, vec![auth_ca, sign_ca]);
    assert_eq!(card.tries(), (3, 5));
}

#[test]
fn a_ca_certificate_is_read_only_when_its_contents_are_asked_for() {
    let card = Card::new();
    let p = card.load();
    let (auth, sign) = slots(&p);
    let s = p.open_ro_session(auth).unwrap();
    s.login(UserType::User, Some(&pin("1234"))).unwrap();
    // Finding keys, finding every object, and the attributes known without the card: no read
    // of EF 000B.
    assert_eq!(objects(&s, ObjectClass::PRIVATE_KEY).len(), 1);
    assert_eq!(objects(&s, ObjectClass::PUBLIC_KEY).len(), 1);
    let all = s.find_objects(&[]).unwrap();
    assert_eq!(all.len(), 4);
    for o in &all {
        s.get_attributes(
            *o,
            &[
                AttributeType::Class,
                AttributeType::Id,
                AttributeType::Label,
                AttributeType::Token,
                AttributeType::Private,
            ],
        )
        .unwrap();
    }
    let key = objects(&s, ObjectClass::PRIVATE_KEY)[0];
    s.sign(&Mechanism::Sha256RsaPkcs, key, b"x").unwrap();
    assert_eq!(reads_of(&card, 0x0B), 0, "{:#?}", card.exchanges());
    // The value: one read, then kept.
    let ca = cert_with_id(&s, 3);
    assert_eq!(reads_of(&card, 0x0B), 1, "{:#?}", card.exchanges());
    assert_eq!(cert_with_id(&s, 3), ca);
    assert_eq!(reads_of(&card, 0x0B), 1, "read once");
    // The signature token's CA is its own file, untouched by all of this, and readable
    // before login.
    assert_eq!(reads_of(&card, 0x02), 0);
    let s2 = p.open_ro_session(sign).unwrap();
    let sign_ca = cert_with_id(&s2, 4);
    assert_eq!(reads_of(&card, 0x02), 1);
    assert_ne!(sign_ca, ca);
    drop((s, s2));
    p.finalize().unwrap();
    assert_eq!(card.tries(), (3, 5));
}

/// What `pkcs11-tool -O` does on the user-authentication token, with the `cryptoki` crate:
/// every object, and for each the attributes it prints.
#[test]
fn an_object_listing_with_the_ca_certificate_costs_3_exchanges() {
    let card = Card::new();
    let p = card.load();
    let (auth, _) = slots(&p);
    let s = p.open_ro_session(auth).unwrap();
    let all = s.find_objects(&[]).unwrap();
    assert_eq!(all.len(), 3);
    for o in all {
        let class = match &s.get_attributes(o, &[AttributeType::Class]).unwrap()[..] {
            [Attribute::Class(c)] => *c,
            other => panic!("{other:?}"),
        };
        let wanted = if class == ObjectClass::CERTIFICATE {
            vec![
                AttributeType::Label,
                AttributeType::Id,
                AttributeType::Subject,
                AttributeType::Value,
            ]
        } else {
            vec![
                AttributeType::Label,
                AttributeType::Id,
                AttributeType::ModulusBits,
                AttributeType::Modulus,
            ]
        };
        s.get_attributes(o, &wanted).unwrap();
    }
    drop(s);
    p.finalize().unwrap();
    let ex = card.exchanges();
    // SELECT JPKI; READ BINARY of the certificate (EF 000A by SFI, the whole file in one
    // extended-length read), which also gives the public key; READ BINARY of the CA
    // certificate (EF 000B by SFI), the selection kept. One more than without the CA object.
    assert_eq!(ex.len(), 3, "{ex:#?}");
    assert!(ex[0].starts_with("00A4040C"), "{ex:#?}");
    assert!(
        ex[1].starts_with("00B08A") && ex[2].starts_with("00B08B"),
        "{ex:#?}"
    );
}

#[test]
fn cryptoki_loads_the_module_through_c_get_interface() {
    // cryptoki 0.11 asks C_GetInterface for the default interface first and fails to load a
    // module whose C_GetInterface answers an error; it uses a 3.x list only when the interface's
    // version says 3, and otherwise falls back to C_GetFunctionList.
    let card = Card::new();
    let p = card.load();
    let info = p.get_library_info().unwrap();
    assert_eq!(
        (
            info.cryptoki_version().major(),
            info.cryptoki_version().minor()
        ),
        (2, 40)
    );
    // A 2.40 table: it has no slot for the 3.0 functions.
    assert!(!p.is_fn_supported(cryptoki::context::Function::GetInterface));
    assert!(!p.is_fn_supported(cryptoki::context::Function::LoginUser));
    assert!(p.is_fn_supported(cryptoki::context::Function::Sign));
    let (auth, _) = slots(&p);
    assert!(p.get_token_info(auth).is_ok());
    p.finalize().unwrap();
}

/// Checks an RSASSA-PSS signature over the SHA-256 hash `hash` against the certificate's key,
/// with MGF1-SHA-256 and exactly `salt` bytes of salt.
fn pss_ok(cert: &[u8], hash: &[u8], sig: &[u8], salt: usize) -> bool {
    let cert = x509_cert::Certificate::from_der(cert).unwrap();
    let spki = cert.tbs_certificate().subject_public_key_info();
    let key = rsa::pkcs1::RsaPublicKey::<der::asn1::UintRef<'_>>::from_der(
        spki.subject_public_key.raw_bytes(),
    )
    .unwrap();
    let key = rsa::PublicKey::try_from(key).unwrap();
    key.verify(rsa::pss::Pss::<Sha256>::new_with_salt(salt), hash, sig)
        .is_ok()
}

fn card_pss() -> cryptoki::mechanism::rsa::PkcsPssParams {
    cryptoki::mechanism::rsa::PkcsPssParams {
        hash_alg: cryptoki::mechanism::MechanismType::SHA256,
        mgf: cryptoki::mechanism::rsa::PkcsMgfType::MGF1_SHA256,
        s_len: 32.into(),
    }
}

#[test]
fn pss_signs_with_both_keys_salt_32_single_and_multi_part() {
    let card = Card::new();
    let p = card.load();
    let (auth, sign) = slots(&p);
    for slot in [auth, sign] {
        let mechs = p.get_mechanism_list(slot).unwrap();
        for m in [
            Mechanism::RsaPkcsPss(card_pss()),
            Mechanism::Sha256RsaPkcsPss(card_pss()),
        ] {
            assert!(mechs.contains(&m.mechanism_type()), "{m:?} not listed");
            let info = p.get_mechanism_info(slot, m.mechanism_type()).unwrap();
            assert!(info.sign() && info.hardware());
        }
    }
    for (slot, value) in [(auth, "1234"), (sign, "ABC123")] {
        let s = p.open_ro_session(slot).unwrap();
        s.login(UserType::User, Some(&pin(value))).unwrap();
        let key = objects(&s, ObjectClass::PRIVATE_KEY)[0];
        let der = cert_der(&s);
        let msg = b"TLS 1.3, client CertificateVerify, mynacard";
        let hash = Sha256::digest(msg);

        // CKM_RSA_PKCS_PSS over a hash: one SIGN exchange (P1=04), salt 32 and nothing else.
        card.clear_log();
        let raw = s
            .sign(&Mechanism::RsaPkcsPss(card_pss()), key, &hash)
            .unwrap();
        let ex = card.exchanges();
        assert_eq!(ex.len(), 1, "{ex:#?}");
        assert!(ex[0].starts_with("802A04"), "{ex:#?}");
        assert_eq!(raw.len(), 256);
        assert!(pss_ok(&der, &hash, &raw, 32));
        assert!(
            !pss_ok(&der, &hash, &raw, 20),
            "the salt is 32 bytes, not 20"
        );
        assert!(!pss_ok(&der, &Sha256::digest(b"other"), &raw, 32));

        // CKM_SHA256_RSA_PKCS_PSS hashes here: single-part, and multi-part in three pieces.
        let one = s
            .sign(&Mechanism::Sha256RsaPkcsPss(card_pss()), key, msg)
            .unwrap();
        assert!(pss_ok(&der, &hash, &one, 32));
        s.sign_init(&Mechanism::Sha256RsaPkcsPss(card_pss()), key)
            .unwrap();
        s.sign_update(&msg[..3]).unwrap();
        s.sign_update(&msg[3..20]).unwrap();
        s.sign_update(&msg[20..]).unwrap();
        let multi = s.sign_final().unwrap();
        assert!(pss_ok(&der, &hash, &multi, 32));
        // The raw mechanism in parts: the hash gathered, and more than 32 bytes refused.
        s.sign_init(&Mechanism::RsaPkcsPss(card_pss()), key)
            .unwrap();
        s.sign_update(&hash[..10]).unwrap();
        s.sign_update(&hash[10..]).unwrap();
        assert!(pss_ok(&der, &hash, &s.sign_final().unwrap(), 32));
        card.clear_log();
        s.sign_init(&Mechanism::RsaPkcsPss(card_pss()), key)
            .unwrap();
        s.sign_update(&hash).unwrap();
        let e = s.sign_update(&[0]).unwrap_err();
        assert_eq!(rv(e), RvError::DataLenRange);
        for wrong in [&hash[..31], &[0u8; 33][..], &[][..]] {
            let e = s
                .sign(&Mechanism::RsaPkcsPss(card_pss()), key, wrong)
                .unwrap_err();
            assert_eq!(rv(e), RvError::DataLenRange, "{} bytes", wrong.len());
        }
        assert!(card.exchanges().is_empty(), "{:#?}", card.exchanges());
        s.logout().unwrap();
    }
    p.finalize().unwrap();
    assert_eq!(card.tries(), (3, 5));
}

#[test]
fn pss_with_other_parameters_and_raw_rsa_are_refused_before_the_card() {
    use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
    use cryptoki::mechanism::MechanismType;
    let card = Card::new();
    let p = card.load();
    let (auth, _) = slots(&p);
    let mechs = p.get_mechanism_list(auth).unwrap();
    assert!(!mechs.contains(&Mechanism::RsaX509.mechanism_type()));
    assert!(p
        .get_mechanism_info(auth, Mechanism::RsaX509.mechanism_type())
        .is_err());
    let s = p.open_ro_session(auth).unwrap();
    s.login(UserType::User, Some(&pin("1234"))).unwrap();
    let key = objects(&s, ObjectClass::PRIVATE_KEY)[0];
    card.clear_log();
    let e = s.sign(&Mechanism::RsaX509, key, &[0u8; 32]).unwrap_err();
    assert_eq!(rv(e), RvError::MechanismInvalid);
    let with = |hash_alg, mgf, s_len: u64| PkcsPssParams {
        hash_alg,
        mgf,
        s_len: s_len.into(),
    };
    let wrong = [
        with(MechanismType::SHA256, PkcsMgfType::MGF1_SHA256, 20),
        with(MechanismType::SHA256, PkcsMgfType::MGF1_SHA256, 0),
        with(MechanismType::SHA256, PkcsMgfType::MGF1_SHA256, 222),
        with(MechanismType::SHA256, PkcsMgfType::MGF1_SHA1, 32),
        with(MechanismType::SHA1, PkcsMgfType::MGF1_SHA1, 20),
        with(MechanismType::SHA384, PkcsMgfType::MGF1_SHA384, 48),
    ];
    for params in wrong {
        for m in [
            Mechanism::RsaPkcsPss(params),
            Mechanism::Sha256RsaPkcsPss(params),
        ] {
            let e = s.sign(&m, key, &[0u8; 32]).unwrap_err();
            assert_eq!(rv(e), RvError::MechanismParamInvalid, "{m:?}");
        }
    }
    // Other PSS hashes are not mechanisms of this module.
    let e = s
        .sign(
            &Mechanism::Sha384RsaPkcsPss(with(MechanismType::SHA384, PkcsMgfType::MGF1_SHA384, 48)),
            key,
            b"x",
        )
        .unwrap_err();
    assert_eq!(rv(e), RvError::MechanismInvalid);
    assert!(card.exchanges().is_empty(), "{:#?}", card.exchanges());
    // Nothing was left in progress: the card's parameters sign at once.
    let sig = s
        .sign(
            &Mechanism::RsaPkcsPss(card_pss()),
            key,
            &Sha256::digest(b"x"),
        )
        .unwrap();
    assert!(pss_ok(&cert_der(&s), &Sha256::digest(b"x"), &sig, 32));
    drop(s);
    p.finalize().unwrap();
    assert_eq!(card.tries(), (3, 5));
}

/// The answer the card gave to the last counter read (case-1 VERIFY with no data) of key
/// reference `p2`, as logged: `00 20 00 <80|SFI>`, or `00 20 00 80` after SELECT EF when the
/// library addresses the key that way. `9000` means the PIN is verified on the card.
fn last_counter_answer(card: &Card, p2: u8) -> String {
    let heads = [format!("002000{p2:02X} "), "00200080 ".to_owned()];
    let line = card
        .exchanges()
        .into_iter()
        .rev()
        .find(|l| heads.iter().any(|h| l.starts_with(h)))
        .unwrap_or_else(|| panic!("no counter read of {p2:02X}: {:#?}", card.exchanges()));
    line.split(" -> ").nth(1).unwrap().to_owned()
}

#[test]
fn set_pin_leaves_verified_only_what_the_module_logged_in() {
    let card = Card::new();
    let p = card.load();
    let (auth, sign) = slots(&p);
    let a = p.open_ro_session(auth).unwrap();
    a.login(UserType::User, Some(&pin("1234"))).unwrap();
    let s = p.open_rw_session(sign).unwrap();
    s.set_pin(&pin("ABC123"), &pin("NEW123")).unwrap();
    // The sign session is not logged in: the signature password must not be verified on the
    // card. A counter read of it (9B) answers 9000 when it is.
    card.clear_log();
    let t = p.get_token_info(sign).unwrap();
    assert_eq!(
        last_counter_answer(&card, 0x9B),
        "63C5 (0 bytes)",
        "the signature password is no longer verified"
    );
    assert!(!t.user_pin_count_low());
    assert_eq!(
        s.get_session_info().unwrap().session_state(),
        cryptoki::session::SessionState::RwPublic
    );
    // The card was unpowered, which logs out the authentication token too (as C_Logout does):
    // its sessions say so, and its private key is out of view.
    assert!(objects(&a, ObjectClass::PRIVATE_KEY).is_empty());
    // The new password works, and a session that logs in has it verified.
    s.login(UserType::User, Some(&pin("NEW123"))).unwrap();
    a.login(UserType::User, Some(&pin("1234"))).unwrap();
    // C_SetPIN on a logged-in token keeps both logged in (the module logged both in).
    let arw = p.open_rw_session(auth).unwrap();
    arw.set_pin(&pin("1234"), &pin("4321")).unwrap();
    assert_eq!(objects(&a, ObjectClass::PRIVATE_KEY).len(), 1);
    assert_eq!(objects(&s, ObjectClass::PRIVATE_KEY).len(), 1);
    drop((a, arw, s));
    p.finalize().unwrap();
    let c = card.open();
    assert!(c.key_matches(mynacard::sim::App::Jpki, 0x1B, b"NEW123"));
    assert!(c.key_matches(mynacard::sim::App::Jpki, 0x18, b"4321"));
    drop(c);
    assert_eq!(card.tries(), (3, 5));
}

#[test]
fn set_pin_with_a_wrong_value_leaves_the_other_token_logged_in() {
    let card = Card::new();
    let p = card.load();
    let (auth, sign) = slots(&p);
    let a = p.open_ro_session(auth).unwrap();
    a.login(UserType::User, Some(&pin("1234"))).unwrap();
    let key = objects(&a, ObjectClass::PRIVATE_KEY)[0];
    let s = p.open_rw_session(sign).unwrap();
    let e = s.set_pin(&pin("WRONG1"), &pin("NEW123")).unwrap_err();
    assert_eq!(rv(e), RvError::PinIncorrect);
    // Nothing was verified: no unpower, and the authentication key still signs.
    let der = cert_der(&a);
    let sig = a.sign(&Mechanism::Sha256RsaPkcs, key, b"still").unwrap();
    verify(&der, &sha256_digest_info(b"still"), &sig);
    drop((a, s));
    p.finalize().unwrap();
    assert_eq!(card.tries(), (3, 4));
}

#[test]
fn token_info_without_a_session_lets_go_of_the_card() {
    let card = Card::new();
    let p = card.load();
    let (auth, sign) = slots(&p);
    let t = p.get_token_info(auth).unwrap();
    assert!(!t.user_pin_count_low());
    // No session: the module does not hold the card, so another program can open it.
    let other = mynacard::sim::VirtualCard::open(&card.state)
        .expect("the module let go of the card after C_GetTokenInfo");
    drop(other);
    assert!(!p.get_token_info(sign).unwrap().user_pin_locked());
    mynacard::sim::VirtualCard::open(&card.state).expect("and after the second token");
    // With a session open, the module keeps the card (and its login) as before.
    let s = p.open_ro_session(auth).unwrap();
    s.login(UserType::User, Some(&pin("1234"))).unwrap();
    p.get_token_info(auth).unwrap();
    assert!(matches!(
        mynacard::sim::VirtualCard::open(&card.state),
        Err(mynacard::sim::StateError::Locked(_))
    ));
    assert_eq!(objects(&s, ObjectClass::PRIVATE_KEY).len(), 1);
    drop(s);
    p.finalize().unwrap();
}

#[test]
fn generate_random_gives_the_cards_get_challenge_bytes() {
    let card = Card::new();
    let p = card.load();
    let (auth, _) = slots(&p);
    assert!(p.get_token_info(auth).unwrap().rng());
    let s = p.open_ro_session(auth).unwrap();
    card.clear_log();
    let a = s.generate_random_vec(600).unwrap();
    let b = s.generate_random_vec(600).unwrap();
    assert_eq!(a.len(), 600);
    assert_ne!(a, b, "fresh bytes each time");
    let challenges: Vec<String> = card
        .exchanges()
        .iter()
        .filter(|l| l.starts_with("0084"))
        .map(|l| l.split(' ').next().unwrap().to_owned())
        .collect();
    // Each 600 bytes: 256 + 256 + 88 (Le 00 is 256).
    let one = ["0084000000", "0084000000", "0084000058"];
    assert_eq!(challenges, [one, one].concat());
    drop(s);
    p.finalize().unwrap();
}

#[cfg(unix)]
#[test]
fn the_exchange_log_is_created_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let card = Card::new();
    card.clear_log();
    let p = card.load();
    let (auth, _) = slots(&p);
    p.get_token_info(auth).unwrap();
    p.finalize().unwrap();
    let mode = std::fs::metadata(&card.log).unwrap().permissions().mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "MYNACARD_SIM_LOG is {:o}",
        mode & 0o777
    );
}
