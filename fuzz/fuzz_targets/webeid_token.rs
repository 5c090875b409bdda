//! The Web eID token validator of a relying party on arbitrary bytes: the token's JSON, and a
//! token whose fields (certificate, signature, format, algorithm) are cut from the input. It
//! never panics, and never accepts: nothing here is signed by a trusted key.
#![no_main]
use std::time::{Duration, SystemTime};

use libfuzzer_sys::fuzz_target;
use mynacard_webeid::token::AuthToken;
use mynacard_webeid::validator::Validator;

const ORIGIN: &str = "https://example.jp";
const NONCE: &str = "12345678901234567890123456789012345678901234";

fuzz_target!(|data: &[u8]| {
    let v = Validator::production().with_virtual_card_root();
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    if let Ok(text) = std::str::from_utf8(data) {
        assert!(v.validate_json(text, ORIGIN, NONCE).is_err());
        // The expected origin and nonce come from the relying party, but are checked too.
        let _ = v.validate_json(text, text, text);
    }
    // The fields from the input, split at 0xFF bytes, the base64 ones encoded so that the
    // certificate and signature parsers see the bytes.
    let mut parts = data.split(|&b| b == 0xFF);
    use base64ct::{Base64, Encoding};
    let cert = Base64::encode_string(parts.next().unwrap_or_default());
    let signature = Base64::encode_string(parts.next().unwrap_or_default());
    let format = parts
        .next()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .unwrap_or_else(|| "web-eid:1.0".into());
    let algorithm = parts
        .next()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .unwrap_or_else(|| "RS256".into());
    let token = AuthToken {
        unverified_certificate: cert,
        algorithm,
        signature,
        format,
        app_version: String::new(),
    };
    assert!(v.validate_at(&token, ORIGIN, NONCE, at).is_err());
});
