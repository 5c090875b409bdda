//! Certificate length sizing: the length the reader derives from a file's first bytes, used to
//! size short reads, never panics and is consistent with the header parse.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mynacard::tlv;

fuzz_target!(|data: &[u8]| {
    match (tlv::object_len(data), tlv::header(data)) {
        (Some(n), Ok((_, h, l))) => assert_eq!(n, h + l),
        (None, Err(_)) => {}
        other => panic!("inconsistent: {other:?}"),
    }
});
