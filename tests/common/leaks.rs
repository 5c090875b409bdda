//! The leak check shared by the library's and the CLI's tests: no secret in a text, as text or
//! as hex.

/// `text` with every run of 16 or more hex digits (random challenges, MACs, salts, digests,
/// key material) replaced by `#`, so that a 4-digit PIN cannot match inside random hex by chance.
/// A PIN leaked into an APDU dump still shows, as its hex encoding, which is checked on the full
/// text.
pub fn without_hex_runs(text: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_hexdigit() {
            run.push(c);
        } else {
            if run.len() >= 16 {
                out.push('#');
            } else {
                out.push_str(&run);
            }
            run.clear();
            out.push(c);
        }
    }
    out
}

pub fn assert_clean(what: &str, text: &str, secrets: &[String]) {
    let plain = without_hex_runs(text);
    for s in secrets {
        assert!(
            !plain.contains(s.as_str()),
            "{what} holds a secret ({s}):\n{text}"
        );
        for form in [hex::encode_upper(s), hex::encode(s)] {
            assert!(
                !text.contains(&form),
                "{what} holds a secret ({form}):\n{text}"
            );
        }
    }
}
