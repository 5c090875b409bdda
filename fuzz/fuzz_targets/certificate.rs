//! X.509 certificate parsing as read off the card: never panics; a parsed certificate's
//! accessors (names, validity, key usage, public key, chain check) never panic either.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mynacard::cert::{Certificate, TrustStore};

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = Certificate::from_der(data) {
        let _ = (c.subject(), c.issuer(), c.serial_hex(), c.not_before(), c.not_after());
        let _ = (c.key_usage(), c.public_key(), c.other_names(), c.summary());
        let _ = c.is_signed_by(&c);
        let _ = TrustStore::production().verify(&c, &[], std::time::SystemTime::UNIX_EPOCH);
    }
});
