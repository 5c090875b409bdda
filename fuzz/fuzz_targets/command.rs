//! The command parser: never panics; whatever parses re-encodes to the same bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mynacard::apdu::CommandView;

fuzz_target!(|data: &[u8]| {
    if let Ok(v) = CommandView::parse(data) {
        let owned = v.to_owned();
        assert_eq!(&*owned.to_bytes(), data);
        assert_eq!(owned.case(), v.case);
        let _ = format!("{v:?} {owned:?}");
    }
});
