//! The master-file level: the CV chain in the GET DATA form (real test-card bytes from myna-card's
//! MIT fixtures, see tests/data/README.md), the MF issuer key ids, and the typed GET DATA objects.

use mynacard::cvc::{self, CvCertificate, CvHierarchy, IssuerKeys};
use mynacard::mf::{self, ChainVerdict, HeaderList, MfObject};

fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn mf_issuer_key_ids_end_a8_and_are_built_by_key_id_padded() {
    // "6000020" 08 05 "001" 00 00 00 A8, as in the first 16 bytes of the F8 body.
    let want: [u8; 16] = [
        0x36, 0x30, 0x30, 0x30, 0x30, 0x32, 0x30, 0x08, 0x05, 0x30, 0x30, 0x31, 0x00, 0x00, 0x00,
        0xA8,
    ];
    assert_eq!(
        cvc::key_id_padded("6000020", "001", cvc::MF_PADDING).0,
        want
    );
    assert_eq!(&data("mf-do-F8.bin")[17..33], &want);
    // The zero-padded id is a different key.
    assert_ne!(cvc::key_id("6000020", "001").0, want);
}

#[test]
fn the_get_data_form_parses() {
    let f8 = data("mf-do-F8.bin");
    // The header list, byte by byte: 4D 0A | 42 10 | 5F20 10 | 5F49 82 0109.
    assert_eq!(
        &f8[..12],
        &[0x4D, 0x0A, 0x42, 0x10, 0x5F, 0x20, 0x10, 0x5F, 0x49, 0x82, 0x01, 0x09]
    );
    assert_eq!(
        HeaderList::parse(&f8[2..12]).unwrap(),
        HeaderList {
            car_len: 16,
            chr_len: 16,
            key_len: 0x109
        }
    );
    let c = mf::parse_get_data_certificate(&f8).unwrap();
    assert_eq!(c.issuer_key_id().to_string(), "6000020/001");
    assert_eq!(c.subject_key_id().to_string(), "1322130/002");
    assert_eq!(c.subject_key_id().0[15], 0x98);
    assert_eq!(c.modulus.len(), 256);
    assert_eq!(c.signature.len(), 256);
    assert_eq!(c.signed_data().len(), 297);
    // CvCertificate::parse itself accepts the form now (it refused "expected tag 7F21, found 4D").
    assert_eq!(CvCertificate::parse(&f8).unwrap(), c);

    let lower = mf::parse_get_data_certificate(&data("mf-do-7F21.bin")).unwrap();
    assert_eq!(lower.issuer_key_id(), c.subject_key_id());
    assert_eq!(lower.subject_key_id().to_string(), "0000050/001");
    assert_eq!(lower.subject_key_id().0[15], 0x40);
}

#[test]
fn a_header_list_that_does_not_describe_the_body_is_refused() {
    let mut f8 = data("mf-do-F8.bin");
    f8[11] = 0x08; // key length 0x108 instead of 0x109
    let e = mf::parse_get_data_certificate(&f8).unwrap_err();
    assert!(e.contains("header list"), "{e}");
    let mut f8 = data("mf-do-F8.bin");
    f8[2] = 0x43; // an unknown tag in the header list
    assert!(mf::parse_get_data_certificate(&f8).is_err());
}

#[test]
fn the_real_chain_verifies_under_the_test_root_only() {
    let chain = [
        mf::parse_get_data_certificate(&data("mf-do-F8.bin")).unwrap(),
        mf::parse_get_data_certificate(&data("mf-do-7F21.bin")).unwrap(),
    ];
    match mf::verify_chain(&chain, &mf::mf_issuer_keys(true)) {
        ChainVerdict::Verified { root, length } => {
            assert_eq!(length, 2);
            assert_eq!(root.hierarchy, CvHierarchy::JpkiTest);
            assert_eq!(root.issuer.to_string(), "6000020/001");
        }
        v => panic!("{v:?}"),
    }
    // Production keys alone: the test root is not among them, nothing is checked.
    let v = mf::verify_chain(&chain, &mf::mf_issuer_keys(false));
    assert!(matches!(v, ChainVerdict::UnknownIssuer { .. }), "{v:?}");
    assert!(!v.is_verified() && !v.is_production());
    // The production MF key is in the production set, under its own A8-padded id.
    let p = cvc::key_id_padded(mf::MF_PRODUCTION_ROOT, "001", cvc::MF_PADDING);
    assert_eq!(
        IssuerKeys::production().find(&p).map(|k| k.hierarchy),
        Some(CvHierarchy::Production)
    );
    let t = cvc::key_id_padded(mf::MF_TEST_ROOT, "001", cvc::MF_PADDING);
    assert!(IssuerKeys::production().find(&t).is_none());
}

#[test]
fn a_broken_chain_is_invalid_at_the_right_link() {
    let upper = mf::parse_get_data_certificate(&data("mf-do-F8.bin")).unwrap();
    let mut raw = data("mf-do-7F21.bin");
    let n = raw.len();
    raw[n - 1] ^= 1; // the lower signature's last byte
    let lower = mf::parse_get_data_certificate(&raw).unwrap();
    let keys = mf::mf_issuer_keys(true);
    assert!(matches!(
        mf::verify_chain(&[upper.clone(), lower], &keys),
        ChainVerdict::Invalid { index: 1, .. }
    ));
    // Out of order: the lower one first names an issuer nobody holds.
    let lower = mf::parse_get_data_certificate(&data("mf-do-7F21.bin")).unwrap();
    assert!(matches!(
        mf::verify_chain(&[lower.clone(), upper.clone()], &keys),
        ChainVerdict::UnknownIssuer { .. }
    ));
    // Two uppers: the second does not link to the first.
    assert!(matches!(
        mf::verify_chain(&[upper.clone(), upper], &keys),
        ChainVerdict::Invalid { index: 1, .. }
    ));
    assert_eq!(mf::verify_chain(&[], &keys), ChainVerdict::Empty);
}

#[test]
fn mf_objects_are_typed() {
    assert_eq!(
        MfObject::parse(0x00F0, b"13221").unwrap(),
        MfObject::MunicipalityCode("13221".into())
    );
    assert!(MfObject::parse(0x00F0, b"1322").is_err());
    assert!(MfObject::parse(0x00F0, b"1322A").is_err());
    match MfObject::parse(0x00F2, b"20341231").unwrap() {
        MfObject::Expiry(d) => assert_eq!(d.to_string(), "2034-12-31"),
        o => panic!("{o:?}"),
    }
    assert!(MfObject::parse(0x00F2, b"20341331").is_err());
    // 5F51: the ATR without TS; the last byte XORs the rest (here E0^00^FF^81^31^FE^45 = 14).
    assert_eq!(
        MfObject::parse(0x5F51, &[0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14]).unwrap(),
        MfObject::ContactAtr(vec![0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14])
    );
    assert!(MfObject::parse(0x5F51, &[0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x15]).is_err());
    assert!(MfObject::parse(0x00F7, &[0; 15]).is_err());
    assert!(matches!(
        MfObject::parse(0x00F8, &data("mf-do-F8.bin")).unwrap(),
        MfObject::Certificate(_)
    ));
    assert!(matches!(
        MfObject::parse(0x1234, &[1]).unwrap(),
        MfObject::Other { tag: 0x1234, .. }
    ));
}

#[test]
fn jicsap_mf_files_parse() {
    let id = mf::CardIdentifier::parse(&[0x00, 0x03, 0x07, 0x0A, 0x02, 0x01, 0x01, 0x30]).unwrap();
    assert_eq!((id.manufacturer, id.algorithms, id.version), (7, 0x0A, 2));
    assert_eq!(id.optional_functions, Some(0x30));
    assert!(mf::CardIdentifier::parse(&[0x01, 0x01, 0x00]).is_err());
    assert!(mf::CardIdentifier::parse(&[0x00, 0x05, 0x07]).is_err());
    let f = mf::ApplicationFolders::parse(&[
        0x01, 0x00, 0x02, 0x02, 0xD3, 0x92, 0xFE, 0x02, 0x00, 0x00,
    ])
    .unwrap();
    assert_eq!(f.children, ["D392"]);
    let m = mf::IcManufacturer::parse(&[
        0x45, 0x05, b'J', b'P', b'0', b'7', b' ', 0x46, 0x03, 0x07, 0x12, 0x34,
    ])
    .unwrap();
    assert_eq!(
        (m.embedder.as_str(), m.ic_manufacturer, m.ic_type),
        ("JP07 ", 7, 0x1234)
    );
}

#[test]
fn the_virtual_card_chain_reads_in_three_exchanges_and_verifies_under_the_virtual_root() {
    use mynacard::sim::VirtualCard;
    let mut card = mynacard::Card::new(VirtualCard::new());
    let keys = mynacard::sim::mf::virtual_mf_issuer_keys();
    let before = card.exchanges();
    let chain = card.master_file().chain(&keys).unwrap();
    // SELECT issuer security domain, GET DATA F8, GET DATA 7F21 (extended Le straight away).
    assert_eq!(card.exchanges() - before, 3);
    assert_eq!(chain.certificates.len(), 2);
    match &chain.verdict {
        ChainVerdict::Verified { root, length: 2 } => {
            assert_eq!(root.hierarchy, CvHierarchy::Virtual);
            assert_eq!(root.issuer, mynacard::sim::mf::virtual_mf_root_id());
        }
        v => panic!("{v:?}"),
    }
    // The built-in production and test keys do not know the virtual root.
    let v = card
        .master_file()
        .chain(&mf::mf_issuer_keys(true))
        .unwrap()
        .verdict;
    assert!(matches!(v, ChainVerdict::UnknownIssuer { .. }));

    let d = card.master_file().data().unwrap();
    assert_eq!(d.municipality_code.as_deref(), Some("13999"));
    assert_eq!(
        d.contact_atr.as_deref(),
        Some(&mynacard::sim::ATR_CONTACT[..])
    );
    assert_eq!(
        d.intermediate_key_id,
        Some(chain.certificates[0].subject_key_id())
    );
    assert!(d.expiry.is_some() && d.card_identification.is_some());
    // The JICSAP files: absent / unreadable, as on the real card.
    assert_eq!(card.master_file().card_identifier().unwrap(), None);
    assert_eq!(card.master_file().application_folders().unwrap(), None);
    assert_eq!(card.master_file().ic_manufacturer().unwrap(), None);
}

#[test]
fn without_extended_length_the_certificates_cannot_be_read_and_that_is_an_error() {
    use mynacard::sim::{SimOptions, VirtualCard};
    let vc = VirtualCard::new().with_options(SimOptions {
        reader_extended: false,
        ..Default::default()
    });
    let mut card = mynacard::Card::new(vc);
    assert!(card.master_file().chain(&mf::mf_issuer_keys(true)).is_err());
    // The small objects still read with a short Le.
    assert_eq!(
        card.master_file()
            .get_data_object(mf::tag::MUNICIPALITY_CODE)
            .unwrap(),
        Some(MfObject::MunicipalityCode("13999".into()))
    );
}

#[test]
fn selecting_the_master_file_clears_a_verified_pin() {
    use mynacard::credential::TextAssistPin;
    use mynacard::sim::{App, VirtualCard};
    let mut card = mynacard::Card::new(VirtualCard::new());
    let pin = TextAssistPin::parse("1234").unwrap();
    card.verify(&pin).unwrap();
    card.master_file().select().unwrap();
    let vc = card.into_transport();
    assert!(!vc.is_verified(App::TextAssist, 0x0011));
}
