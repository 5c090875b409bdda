//! The virtual card's side of the stand-in terminal authentication and RESET RETRY COUNTER, with
//! raw APDUs: every refusal answers the status word a real card would give, and nothing the
//! library pre-checks is relied on here.

use mynacard::applets::{self, jpki, residence, text, Aid};
use mynacard::reset::stand_in::{TerminalRole, COUNTER_TEST_KEY, KIOSK_TEST_KEY};

mod common;
use common::stand_in_mac as mac;
use mynacard::sim::{App, SimOptions, VirtualCard};
use mynacard::transport::Transport;

const SIGN: u16 = jpki::SIGN_PIN.0;
const AUTH: u16 = jpki::AUTH_PIN.0;

fn sw(r: &[u8]) -> u16 {
    u16::from_be_bytes([r[r.len() - 2], r[r.len() - 1]])
}

fn send(vc: &mut VirtualCard, apdu: &[u8]) -> Vec<u8> {
    vc.transmit(apdu).unwrap()
}

fn select(vc: &mut VirtualCard, aid: &Aid) {
    let mut c = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
    c.extend_from_slice(aid.as_bytes());
    assert_eq!(sw(&send(vc, &c)), 0x9000);
}

fn challenge(vc: &mut VirtualCard) -> Vec<u8> {
    let r = send(vc, &[0x00, 0x84, 0x00, 0x00, 0x08]);
    assert_eq!(sw(&r), 0x9000);
    assert_eq!(r.len(), 10);
    r[..8].to_vec()
}

fn ext_auth(vc: &mut VirtualCard, key_ref: u8, m: &[u8]) -> u16 {
    let mut c = vec![0x00, 0x82, 0x00, key_ref, m.len() as u8];
    c.extend_from_slice(m);
    sw(&send(vc, &c))
}

fn authenticate(vc: &mut VirtualCard, role: TerminalRole) {
    let ch = challenge(vc);
    assert_eq!(
        ext_auth(vc, role.key_ref(), &mac(role.test_key(), &ch)),
        0x9000
    );
}

fn verify(vc: &mut VirtualCard, sfi: u8, pin: &[u8]) -> u16 {
    let mut c = vec![0x00, 0x20, 0x00, 0x80 | sfi];
    if !pin.is_empty() {
        c.push(pin.len() as u8);
        c.extend_from_slice(pin);
    }
    sw(&send(vc, &c))
}

fn rrc(vc: &mut VirtualCard, p1: u8, p2: u8, value: &[u8]) -> u16 {
    let mut c = vec![0x00, 0x2C, p1, p2];
    if !value.is_empty() {
        c.push(value.len() as u8);
        c.extend_from_slice(value);
    }
    sw(&send(vc, &c))
}

#[test]
fn reset_without_terminal_authentication_is_refused_6982() {
    let mut vc = VirtualCard::new();
    select(&mut vc, &applets::JPKI);
    assert_eq!(verify(&mut vc, 0x18, b"1234"), 0x9000);
    assert_eq!(rrc(&mut vc, 0x02, 0x9B, b"NEWPASS1"), 0x6982);
    assert!(vc.key_matches(App::Jpki, SIGN, b"ABC123"));
}

#[test]
fn get_challenge_checks_its_parameters() {
    let mut vc = VirtualCard::new();
    // No application selected: the card answers at the MF level too (myna-card), but such a
    // challenge opens no terminal authentication.
    assert_eq!(send(&mut vc, &[0x00, 0x84, 0x00, 0x00, 0x08]).len(), 10);
    select(&mut vc, &applets::JPKI);
    assert_eq!(sw(&send(&mut vc, &[0x00, 0x84, 0x01, 0x00, 0x08])), 0x6A86);
    // Any Le from 1 to 256 (the card-surface protocol uses 16); only an 8-byte one is a
    // stand-in challenge.
    let r = send(&mut vc, &[0x00, 0x84, 0x00, 0x00, 0x10]);
    assert_eq!((r.len(), sw(&r)), (18, 0x9000));
    assert_eq!(
        ext_auth(&mut vc, 0x82, &mac(COUNTER_TEST_KEY, &r[..8])),
        0x6985
    );
    // An extended Le is refused as myna-card measured on the real card.
    assert_eq!(
        sw(&send(&mut vc, &[0x00, 0x84, 0x00, 0x00, 0x00, 0x00, 0x08])),
        0x6985
    );
    let a = challenge(&mut vc);
    let b = challenge(&mut vc);
    assert_ne!(a, b, "challenges are fresh");
}

#[test]
fn external_authenticate_refusals() {
    let mut vc = VirtualCard::new();
    select(&mut vc, &applets::JPKI);
    let counter = TerminalRole::MunicipalCounter;
    // No challenge.
    assert_eq!(ext_auth(&mut vc, 0x82, &[0u8; 16]), 0x6985);
    // The challenge is good for the next command only.
    let ch = challenge(&mut vc);
    assert_eq!(verify(&mut vc, 0x18, &[]), 0x63C3);
    assert_eq!(ext_auth(&mut vc, 0x82, &mac(COUNTER_TEST_KEY, &ch)), 0x6985);
    // Unknown key reference.
    let ch = challenge(&mut vc);
    assert_eq!(ext_auth(&mut vc, 0x83, &mac(COUNTER_TEST_KEY, &ch)), 0x6A88);
    // Wrong length.
    let ch = challenge(&mut vc);
    assert_eq!(
        ext_auth(&mut vc, 0x82, &mac(COUNTER_TEST_KEY, &ch)[..8]),
        0x6700
    );
    // The kiosk's key under the counter's key reference: authentication failed.
    let ch = challenge(&mut vc);
    assert_eq!(ext_auth(&mut vc, 0x82, &mac(KIOSK_TEST_KEY, &ch)), 0x6300);
    assert_eq!(vc.terminal_role(), None);
    // A MAC is not reusable: each challenge is fresh.
    let ch = challenge(&mut vc);
    let m = mac(COUNTER_TEST_KEY, &ch);
    assert_eq!(ext_auth(&mut vc, 0x82, &m), 0x9000);
    assert_eq!(vc.terminal_role(), Some(counter));
    let _ = challenge(&mut vc);
    assert_eq!(ext_auth(&mut vc, 0x82, &m), 0x6300);
    // A failed authentication ends the earlier one.
    assert_eq!(vc.terminal_role(), None);
    assert_eq!(rrc(&mut vc, 0x02, 0x9B, b"NEWPASS1"), 0x6982);
}

#[test]
fn a_challenge_does_not_survive_a_change_of_application() {
    let mut vc = VirtualCard::new();
    select(&mut vc, &applets::JPKI);
    let ch = challenge(&mut vc);
    select(&mut vc, &applets::TEXT_ASSIST);
    assert_eq!(ext_auth(&mut vc, 0x82, &mac(COUNTER_TEST_KEY, &ch)), 0x6985);
}

#[test]
fn the_kiosk_role_needs_the_other_jpki_pin_verified_first() {
    let mut vc = VirtualCard::new();
    select(&mut vc, &applets::JPKI);
    authenticate(&mut vc, TerminalRole::SelfServiceKiosk);
    // Nothing verified.
    assert_eq!(rrc(&mut vc, 0x02, 0x9B, b"NEWPASS1"), 0x6982);
    // The signature password verified does not open its own reset.
    assert_eq!(verify(&mut vc, 0x1B, b"ABC123"), 0x9000);
    assert_eq!(rrc(&mut vc, 0x02, 0x9B, b"NEWPASS1"), 0x6982);
    // It opens the auth PIN's.
    assert_eq!(rrc(&mut vc, 0x02, 0x98, b"5678"), 0x9000);
    assert!(vc.key_matches(App::Jpki, AUTH, b"5678"));
    // And with the auth PIN verified, the signature password's.
    assert_eq!(verify(&mut vc, 0x18, b"5678"), 0x9000);
    assert_eq!(rrc(&mut vc, 0x02, 0x9B, b"NEWPASS1"), 0x9000);
    assert!(vc.key_matches(App::Jpki, SIGN, b"NEWPASS1"));
}

#[test]
fn the_kiosk_role_cannot_reset_the_residence_or_text_pins() {
    let mut vc = VirtualCard::new();
    for aid in [applets::TEXT_ASSIST, applets::JUKI, applets::COMMON] {
        select(&mut vc, &aid);
        authenticate(&mut vc, TerminalRole::SelfServiceKiosk);
        let sfi = if aid == applets::TEXT_ASSIST {
            text::PIN.0
        } else {
            residence::PIN.0
        } as u8;
        assert_eq!(verify(&mut vc, sfi, b"1234"), 0x9000);
        assert_eq!(rrc(&mut vc, 0x02, 0x80 | sfi, b"4321"), 0x6982);
    }
    assert!(vc.key_matches(App::TextAssist, text::PIN.0, b"1234"));
    assert!(vc.key_matches(App::Juki, residence::PIN.0, b"1234"));
}

#[test]
fn the_counter_role_resets_any_pin_but_not_other_keys() {
    let mut vc = VirtualCard::new();
    vc.set_tries_left(App::TextAssist, text::PIN.0, 0).unwrap();
    select(&mut vc, &applets::TEXT_ASSIST);
    authenticate(&mut vc, TerminalRole::MunicipalCounter);
    // 照合番号A is not a PIN a terminal resets.
    assert_eq!(rrc(&mut vc, 0x02, 0x94, b"123456789018"), 0x6982);
    assert_eq!(rrc(&mut vc, 0x02, 0x91, b"2468"), 0x9000);
    assert_eq!(vc.tries_left(App::TextAssist, text::PIN.0), Some(3));
    // The reset key is not left verified.
    assert!(!vc.is_verified(App::TextAssist, text::PIN.0));
    assert_eq!(verify(&mut vc, 0x11, &[]), 0x63C3);
    assert_eq!(verify(&mut vc, 0x11, b"2468"), 0x9000);
}

#[test]
fn reset_checks_the_new_value_and_its_parameters() {
    let mut vc = VirtualCard::new();
    select(&mut vc, &applets::JPKI);
    authenticate(&mut vc, TerminalRole::MunicipalCounter);
    assert_eq!(rrc(&mut vc, 0x02, 0x98, b"12345"), 0x6700);
    assert_eq!(rrc(&mut vc, 0x02, 0x98, b"12a4"), 0x6A80);
    assert_eq!(rrc(&mut vc, 0x02, 0x9B, b"abc123"), 0x6A80);
    assert_eq!(rrc(&mut vc, 0x02, 0x9B, b"AB12"), 0x6700);
    assert_eq!(rrc(&mut vc, 0x01, 0x98, b"1111"), 0x6A86);
    assert_eq!(rrc(&mut vc, 0x02, 0x98, &[]), 0x6700);
    assert_eq!(rrc(&mut vc, 0x03, 0x98, b"1111"), 0x6700);
    // An EF that is not a key.
    assert_eq!(rrc(&mut vc, 0x02, 0x88, b"1111"), 0x6981);
    // A case-2 form is wrong.
    assert_eq!(
        sw(&send(
            &mut vc,
            &[0x00, 0x2C, 0x02, 0x98, 0x04, b'1', b'1', b'1', b'1', 0x00]
        )),
        0x6700
    );
    // Nothing changed.
    assert!(vc.key_matches(App::Jpki, AUTH, b"1234"));
    assert_eq!(vc.tries_left(App::Jpki, AUTH), Some(3));
}

#[test]
fn p1_03_resets_only_the_counter() {
    let mut vc = VirtualCard::new();
    vc.set_tries_left(App::Jpki, AUTH, 0).unwrap();
    select(&mut vc, &applets::JPKI);
    authenticate(&mut vc, TerminalRole::MunicipalCounter);
    assert_eq!(rrc(&mut vc, 0x03, 0x98, &[]), 0x9000);
    assert_eq!(vc.tries_left(App::Jpki, AUTH), Some(3));
    assert_eq!(verify(&mut vc, 0x18, b"1234"), 0x9000);
}

#[test]
fn reset_addresses_the_key_by_the_selected_ef_without_sfi() {
    let mut vc = VirtualCard::new().with_options(SimOptions {
        sfi: false,
        ..SimOptions::default()
    });
    select(&mut vc, &applets::JPKI);
    authenticate(&mut vc, TerminalRole::MunicipalCounter);
    assert_eq!(rrc(&mut vc, 0x02, 0x98, b"1111"), 0x6A86);
    // With no EF selected, P2 = 80 names nothing.
    assert_eq!(rrc(&mut vc, 0x02, 0x80, b"1111"), 0x6986);
    assert_eq!(
        sw(&send(&mut vc, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18])),
        0x9000
    );
    assert_eq!(rrc(&mut vc, 0x02, 0x80, b"1111"), 0x9000);
    assert!(vc.key_matches(App::Jpki, AUTH, b"1111"));
}

#[test]
fn terminal_status_clears_on_another_application_and_on_power_off_but_not_warm_reset() {
    let mut vc = VirtualCard::new();
    select(&mut vc, &applets::JPKI);
    authenticate(&mut vc, TerminalRole::MunicipalCounter);
    // Re-selecting the same application keeps it.
    select(&mut vc, &applets::JPKI);
    assert_eq!(vc.terminal_role(), Some(TerminalRole::MunicipalCounter));
    select(&mut vc, &applets::TEXT_ASSIST);
    select(&mut vc, &applets::JPKI);
    assert_eq!(vc.terminal_role(), None);
    assert_eq!(rrc(&mut vc, 0x02, 0x98, b"1111"), 0x6982);

    authenticate(&mut vc, TerminalRole::MunicipalCounter);
    vc.warm_reset();
    assert_eq!(vc.terminal_role(), Some(TerminalRole::MunicipalCounter));
    vc.unpower().unwrap();
    assert_eq!(vc.terminal_role(), None);
    select(&mut vc, &applets::JPKI);
    assert_eq!(rrc(&mut vc, 0x02, 0x98, b"1111"), 0x6982);
}

#[test]
fn a_reset_is_saved_in_the_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("card.json");
    {
        let mut vc = VirtualCard::open(&path).unwrap();
        vc.set_tries_left(App::Jpki, SIGN, 0).unwrap();
        select(&mut vc, &applets::JPKI);
        authenticate(&mut vc, TerminalRole::MunicipalCounter);
        assert_eq!(rrc(&mut vc, 0x02, 0x9B, b"SAVED123"), 0x9000);
    }
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(!saved.contains("SAVED123"));
    let vc = VirtualCard::open(&path).unwrap();
    assert_eq!(vc.tries_left(App::Jpki, SIGN), Some(5));
    assert!(vc.key_matches(App::Jpki, SIGN, b"SAVED123"));
}
