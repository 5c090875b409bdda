//! PDF signature discovery and verification (`mynacard-docsig`): any bytes as a PDF give an
//! error or a list of verdicts, never a panic; preparing a signature on them never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mynacard_docsig::{pdf, Trust};

fuzz_target!(|data: &[u8]| {
    let _ = pdf::verify_pdf(data, &Trust::default());
    let _ = pdf::parse_pdf_date(data);
    if let Ok(p) = pdf::prepare(data, std::time::SystemTime::UNIX_EPOCH) {
        let _ = p.signed_bytes();
    }
});
