//! The card-surface files, the image headers and the 共通カードAP record: never panic, and what
//! parses is consistent (signed data is a prefix of the object, images keep their bytes).
#![no_main]
use libfuzzer_sys::fuzz_target;
use mynacard::card_identity::CardIdentity;
use mynacard::cvc::CvCertificate;
use mynacard::surface::{AgeRecord, CardFace, Image, MyNumberImage, SurfaceApInfo};

/// A real CV certificate (the test-card fixture), to run the signature checks against.
const CV: &[u8] = include_bytes!("../../tests/data/text-0004.bin");

fuzz_target!(|data: &[u8]| {
    let cv = CvCertificate::parse(CV).expect("the fixture parses");
    if let Ok(r) = AgeRecord::parse(data) {
        assert!(r.signed_data().len() < data.len());
        let _ = r.check_signature(&cv);
    }
    if let Ok(f) = CardFace::parse(data) {
        assert_eq!(f.signed_digest_info().len(), 115);
        let _ = f.check_signature(&cv);
        for img in [&f.name_image, &f.address_image, &f.photo, &f.security_code_image] {
            let _ = img.dimensions();
        }
    }
    if let Ok(m) = MyNumberImage::parse(data) {
        assert!(m.signed_data().len() < data.len());
        let _ = m.check_signature(&cv);
    }
    let _ = SurfaceApInfo::parse(data);
    if let Ok(id) = CardIdentity::parse(data) {
        assert_eq!(id.serial.len(), 15);
        assert_eq!(id.municipality_code.len(), 5);
    }
    // Any bytes as an image: the header readers never panic.
    let img = Image::new(data.to_vec());
    let _ = img.dimensions();
    assert_eq!(img.data, data);
});
