//! One vocabulary, in the library (issue 19): the front ends (`crates/*/src`) never spell the
//! card's words themselves. The Japanese names of the PINs and certificates, and the old variant
//! wordings (パスワード for the signature PIN, 初期化 for reset, 券面事項入力補助用), appear only in
//! the library; every front end gets them from `PinKind::name`, `CertKind::name`,
//! `Assessment::lines` and the other `message(Lang)` methods.

use std::path::{Path, PathBuf};

use mynacard::cert::CertKind;
use mynacard::pin::PinKind;
use mynacard::Lang;

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The front ends' source files: `crates/<crate>/src/**/*.rs`, the PKCS#11 module's included
/// (its object labels take the card's words from the library too).
fn front_end_sources() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates");
    let mut files = Vec::new();
    for c in std::fs::read_dir(&crates).expect("crates/").flatten() {
        sources(&c.path().join("src"), &mut files);
    }
    files
}

#[test]
fn the_front_ends_take_the_card_words_from_the_library() {
    let files = front_end_sources();
    assert!(
        files.iter().any(|f| f.ends_with("crates/cli/src/i18n.rs")),
        "the scan must see the CLI: {files:?}"
    );
    assert!(files
        .iter()
        .any(|f| f.ends_with("crates/kiosk/src/text.rs")));
    assert!(files
        .iter()
        .any(|f| f.ends_with("crates/pkcs11/src/module.rs")));
    let mut words: Vec<String> = PinKind::ALL
        .iter()
        .map(|k| k.name(Lang::Ja).to_owned())
        .collect();
    words.extend(CertKind::ALL.iter().map(|k| k.name(Lang::Ja).to_owned()));
    words.extend(
        [
            "署名用電子証明書",
            "利用者証明用電子証明書",
            "住民基本台帳用",
            "券面事項入力補助用",
            "券面入力補助用",
            "署名用パスワード",
            "初期化",
        ]
        .map(String::from),
    );
    let mut found = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (i, line) in text.lines().enumerate() {
            // Comments may name things for the reader of the code; strings may not.
            if line.trim_start().starts_with("//") {
                continue;
            }
            for w in &words {
                if line.contains(w.as_str()) {
                    found.push(format!("{}:{}: {w}", f.display(), i + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "front ends spell the card's words themselves:\n{}",
        found.join("\n")
    );
}
