//! Responses and status words: never panic; status words round-trip through the classification.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mynacard::apdu::{Response, ResponseView, Status};

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = ResponseView::parse(data) {
        assert_eq!(Status::from(v.sw).status_word(), v.sw);
        let r = Response::parse(data).unwrap();
        assert_eq!(r.to_bytes(), data);
        let _ = mynacard::error::sw_meaning(v.sw);
    } else {
        assert!(data.len() < 2);
    }
});
