use super::*;
use crate::transport::TransportError;
use std::time::Duration;

#[test]
fn reader_names_match_exactly_or_by_a_unique_part() {
    let readers = vec![
        "Virtual PCD 00 00".to_string(),
        "Virtual PCD 00 01".to_string(),
        "SONY FeliCa Port/PaSoRi 4.0 [Reader] 00 00".to_string(),
    ];
    assert_eq!(
        match_reader("Virtual PCD 00 01", &readers).unwrap(),
        "Virtual PCD 00 01"
    );
    assert_eq!(
        match_reader("pasori", &readers).unwrap(),
        "SONY FeliCa Port/PaSoRi 4.0 [Reader] 00 00"
    );
    assert!(matches!(
        match_reader("virtual", &readers),
        Err(OpenError::AmbiguousReader { matches, .. }) if matches.len() == 2
    ));
    let e = match_reader("ACS", &readers).unwrap_err();
    assert!(matches!(e, OpenError::UnknownReader { .. }));
    assert!(e.to_string().contains("\"Virtual PCD 00 00\""), "{e}");
    assert_eq!(ReaderChoice::parse("AUTO"), ReaderChoice::Auto);
    assert_eq!(
        ReaderChoice::parse("pasori"),
        ReaderChoice::Name("pasori".into())
    );
}

#[test]
fn errors_map_to_the_transport_errors_the_session_understands() {
    assert_eq!(
        map_error(pcsc::Error::ResetCard, false),
        TransportError::CardReset
    );
    assert_eq!(
        map_error(pcsc::Error::UnpoweredCard, true),
        TransportError::CardReset
    );
    assert_eq!(
        map_error(pcsc::Error::RemovedCard, false),
        TransportError::CardRemoved
    );
    assert_eq!(
        map_error(pcsc::Error::NoSmartcard, true),
        TransportError::CardRemoved
    );
    assert_eq!(
        map_error(pcsc::Error::Timeout, false),
        TransportError::NoResponse
    );
    // A reader failure on an extended APDU means the reader cannot carry it.
    assert!(matches!(
        map_error(pcsc::Error::CommError, true),
        TransportError::Unsupported(_)
    ));
    assert!(matches!(
        map_error(pcsc::Error::InsufficientBuffer, true),
        TransportError::Unsupported(_)
    ));
    // Any other failure keeps the PC/SC error as its source.
    let e = map_error(pcsc::Error::CommError, false);
    assert!(matches!(e, TransportError::Reader { .. }), "{e:?}");
    let source = std::error::Error::source(&e).expect("a source");
    assert_eq!(source.to_string(), pcsc::Error::CommError.to_string());
    let e = map_error(pcsc::Error::SharingViolation, false);
    assert!(e.to_string().contains("in use by another program"), "{e}");
    assert_eq!(
        std::error::Error::source(&e).unwrap().to_string(),
        pcsc::Error::SharingViolation.to_string()
    );
    // A removed card stays a removed card even on an extended APDU.
    assert_eq!(
        map_error(pcsc::Error::RemovedCard, true),
        TransportError::CardRemoved
    );
}

#[test]
fn part10_feature_and_property_lists_are_parsed() {
    // Two features: 06 (verify PIN direct) and 12 (TLV properties), big-endian codes.
    let features = [
        0x06, 4, 0x42, 0x33, 0x00, 0x06, 0x12, 4, 0x42, 0x33, 0x00, 0x12,
    ];
    assert_eq!(
        feature_control_code(&features, FEATURE_GET_TLV_PROPERTIES),
        Some(0x4233_0012)
    );
    assert_eq!(feature_control_code(&features, 0x0A), None);
    assert_eq!(feature_control_code(&features[..9], 0x12), None);
    // Properties: wLcdLayout (2 bytes), dwMaxAPDUDataSize = 0x10000 (4 bytes, LE).
    let props = [0x01, 2, 0x00, 0x00, 0x0A, 4, 0x00, 0x00, 0x01, 0x00];
    assert_eq!(
        tlv_property(&props, PROPERTY_MAX_APDU_DATA_SIZE),
        Some(0x1_0000)
    );
    assert_eq!(tlv_property(&props[..7], PROPERTY_MAX_APDU_DATA_SIZE), None);
    assert!(extended_from_max_apdu_data_size(0x1_0000));
    assert!(extended_from_max_apdu_data_size(261));
    assert!(!extended_from_max_apdu_data_size(0));
    assert!(!extended_from_max_apdu_data_size(256));
}

#[test]
fn the_probe_is_the_jpki_select() {
    assert_eq!(
        hex::encode_upper(select_jpki()),
        "00A4040C0AD392F000260100000001"
    );
    assert!(is_extended(&[0x00, 0xB0, 0x8A, 0x00, 0x00, 0x00, 0x00]));
    assert!(!is_extended(&[0x00, 0xB0, 0x8A, 0x00, 0x00]));
    assert!(sends_secret(&[0x00, 0x20, 0x00, 0x98, 0x04, 1, 2, 3, 4]));
    assert!(sends_secret(&[0x00, 0x24, 0x01, 0x80, 0x04, 1, 2, 3, 4]));
    assert!(!sends_secret(&[0x00, 0x20, 0x00, 0x98]));
    assert!(!sends_secret(&[0x00, 0xB0, 0x8A, 0x00, 0x04, 1, 2, 3, 4]));
}

#[test]
fn notices_read_as_sentences() {
    let n = Notice::WaitingForCard {
        readers: vec!["A".into(), "B".into()],
        timeout: Duration::from_secs(30),
    };
    assert_eq!(
        n.to_string(),
        "insert a My Number Card into one of \"A\", \"B\" (waiting up to 30 s)"
    );
    let e = OpenError::NoCard {
        readers: vec!["A".into()],
        others: vec!["A".into()],
        waited: Duration::from_secs(2),
    };
    assert_eq!(
        e.to_string(),
        "no My Number Card found in \"A\" within 2 s (other cards in \"A\")"
    );
}
