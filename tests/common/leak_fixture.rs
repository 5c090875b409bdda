//! The distinctive secrets that the library's and the CLI's leak tests (`tests/secrets.rs`,
//! `crates/cli/tests/secrets.rs`) set on the virtual card and then look for in everything shown,
//! and the test of the leak check itself. Both include this file with `#[path]`, beside their
//! `common` module (whose `assert_clean` it uses).

// Each of the two tests uses only some of these.
#![allow(dead_code)]

use mynacard::sim::{App, VirtualCard};

/// Distinctive values, so that a match cannot be a coincidence.
pub const AUTH: &str = "4821";
pub const AUTH2: &str = "5930";
pub const SIGN: &str = "QZ7381XK";
pub const SIGN2: &str = "WV2468PL";
pub const RES: &str = "7305";
pub const RES2: &str = "8416";
pub const TEXT: &str = "6142";
pub const TEXT_NEW: &str = "2753";
pub const WRONG: &str = "0987";

/// Index of the holder's My Number in [`secrets`].
pub const MY_NUMBER: usize = 9;

/// Every secret a leak test looks for: the values above, then the card holder's My Number (at
/// [`MY_NUMBER`]) and 照合番号B.
pub fn secrets(card: &VirtualCard) -> Vec<String> {
    let h = card.holder();
    vec![
        AUTH.into(),
        AUTH2.into(),
        SIGN.into(),
        SIGN2.into(),
        RES.into(),
        RES2.into(),
        TEXT.into(),
        TEXT_NEW.into(),
        WRONG.into(),
        h.my_number.clone(),
        h.matching_b(),
    ]
}

/// Sets the card's PINs to the values above: 利用者証明用 `AUTH`, 署名用 `SIGN`, 住民基本台帳
/// (both copies) `RES`, 券面入力補助 `TEXT`.
pub fn set_pins(vc: &mut VirtualCard) {
    vc.set_key(App::Jpki, 0x18, AUTH.as_bytes()).unwrap();
    vc.set_key(App::Jpki, 0x1B, SIGN.as_bytes()).unwrap();
    vc.set_key(App::Juki, 0x1C, RES.as_bytes()).unwrap();
    vc.set_key(App::Common, 0x1C, RES.as_bytes()).unwrap();
    vc.set_key(App::TextAssist, 0x11, TEXT.as_bytes()).unwrap();
}

#[test]
fn the_check_itself_catches_leaks_and_ignores_random_hex() {
    use crate::common::assert_clean;
    let secrets = vec!["4821".to_string(), "123456789018".to_string()];
    let caught = |t: &str| std::panic::catch_unwind(|| assert_clean("t", t, &secrets)).is_err();
    assert!(caught("PIN 4821 in a message"));
    assert!(caught("> 0020009804 34383231"));
    assert!(caught("my number 123456789018"));
    assert!(!caught("challenge 9F3A48214C5D6E7F8091A2B3"));
}
