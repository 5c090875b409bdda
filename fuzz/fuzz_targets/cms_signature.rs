//! CMS SignedData parsing and verification (`mynacard-docsig`): any bytes, as a signature with
//! or without detached content, give a verdict and never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mynacard_docsig::{verify_cms, Trust};

fuzz_target!(|data: &[u8]| {
    let trust = Trust::default();
    let _ = verify_cms(data, None, &trust);
    // Split: the first byte says where the detached content starts.
    if let Some((&n, rest)) = data.split_first() {
        let at = (n as usize).min(rest.len());
        let (sig, content) = rest.split_at(at);
        let _ = verify_cms(content, Some(sig), &trust);
    }
    let _ = mynacard_docsig::cms::der_prefix(data);
});
