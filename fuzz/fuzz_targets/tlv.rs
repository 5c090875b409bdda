//! BER-TLV and simple-TLV: never panic, never read out of bounds, lengths consistent.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mynacard::tlv;

fuzz_target!(|data: &[u8]| {
    if let Ok(t) = tlv::parse_one(data) {
        assert!(t.total_len <= data.len());
        for child in t.children() {
            if let Ok(c) = child {
                assert!(c.total_len <= t.value.len());
            }
        }
    }
    let mut consumed = 0;
    for t in tlv::Iter::new(data) {
        match t {
            Ok(t) => consumed += t.total_len,
            Err(_) => break,
        }
    }
    assert!(consumed <= data.len());
    if let Ok((_, v, n)) = tlv::simple_tlv(data) {
        assert!(n <= data.len() && v.len() <= n);
    }
    let _ = tlv::find(data, 0xDF22);
});
