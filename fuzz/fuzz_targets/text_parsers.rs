//! The text-input-assist parsers (My Number, basic four, integrity record, CV certificate, AP
//! info) and the JPKI token-info and availability parsers: never panic on any bytes, and what
//! they accept is consistent.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mynacard::cert::{CertAvailability, TokenInfo};
use mynacard::text_assist::{
    basic_four_digest_input, parse_my_number, ApInfo, BasicFour, CvCertificate, IntegrityRecord,
};

fuzz_target!(|data: &[u8]| {
    if let Ok(n) = parse_my_number(data) {
        // Only a valid check digit gets through.
        assert!(mynacard::credential::MyNumber::parse(n.expose_str()).is_ok());
    }
    if let Ok(b) = BasicFour::parse(data) {
        let _ = (b.family_name(), b.given_name());
        assert!(basic_four_digest_input(data).is_some());
    }
    if let Some(input) = basic_four_digest_input(data) {
        assert!(input.len() <= data.len());
    }
    if let Ok(r) = IntegrityRecord::parse(data) {
        let _ = r.check_my_number(data);
        let _ = r.check_basic_four(data);
        let _ = r.signed_data();
    }
    if let Ok(cv) = CvCertificate::parse(data) {
        let _ = cv.to_public_key();
    }
    let _ = ApInfo::parse(data);
    let _ = TokenInfo::parse(data);
    let _ = CertAvailability::parse(data);
});
