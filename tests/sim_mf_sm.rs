//! The virtual card's master-file level, GET CHALLENGE and secure messaging, with raw APDUs.
//! Every expected response is worked out here from the public description (myna-card 3.3.4's
//! measurements, [card facts §12](mynacard::card_facts#s12)): the cryptograms with the `aes`/`cbc`
//! crates directly, never with the library's or the virtual card's own secure messaging code.

use aes::cipher::{
    Array, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit,
};
use aes::Aes128;
use mynacard::applets::{self, Aid};
use mynacard::sim::VirtualCard;
use mynacard::transport::Transport;

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
const ISD: [u8; 12] = [
    0x00, 0xA4, 0x04, 0x0C, 0x07, 0xA0, 0x00, 0x00, 0x01, 0x51, 0x00, 0x00,
];
/// VERIFY of the text-assist PIN "1234": P2 = 80 | SFI 11.
const VERIFY_PIN: [u8; 9] = [0x00, 0x20, 0x00, 0x91, 0x04, 0x31, 0x32, 0x33, 0x34];

// ---- master file -------------------------------------------------------------------------------

#[test]
fn get_data_answers_at_the_mf_level() {
    let mut vc = VirtualCard::new();
    // The municipality code "13999" of the virtual card: 31 33 39 39 39.
    assert_eq!(
        send(&mut vc, &[0x00, 0xCA, 0x00, 0xF0, 0x00]),
        [0x31, 0x33, 0x39, 0x39, 0x39, 0x90, 0x00]
    );
    // 5F51: the contact ATR 3B E0 00 FF 81 31 FE 45 14 without its TS.
    let atr = [0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14, 0x90, 0x00];
    assert_eq!(send(&mut vc, &[0x00, 0xCA, 0x5F, 0x51, 0x00]), atr);
    // 0045: the card identification number, ASCII (not 6D00).
    let r = send(&mut vc, &[0x00, 0xCA, 0x00, 0x45, 0x00]);
    assert_eq!(sw(&r), 0x9000);
    assert!(r[..r.len() - 2].iter().all(u8::is_ascii_digit) && r.len() > 2);
    // 00F2 expiry, eight digits; 00F7 a 16-byte key id; 0042 a 16-byte key reference.
    assert_eq!(send(&mut vc, &[0x00, 0xCA, 0x00, 0xF2, 0x00]).len(), 10);
    let f7 = send(&mut vc, &[0x00, 0xCA, 0x00, 0xF7, 0x00]);
    assert_eq!(f7.len(), 18);
    assert_eq!(send(&mut vc, &[0x00, 0xCA, 0x00, 0x42, 0x00]).len(), 18);
    // No such object; a data field.
    assert_eq!(send(&mut vc, &[0x00, 0xCA, 0x12, 0x34, 0x00]), [0x6A, 0x88]);
    assert_eq!(
        send(&mut vc, &[0x00, 0xCA, 0x00, 0xF0, 0x01, 0x00, 0x00]),
        [0x67, 0x00]
    );

    // The certificates: a short Le is refused with 6700, an extended one answers 575 bytes.
    assert_eq!(send(&mut vc, &[0x00, 0xCA, 0x00, 0xF8, 0x00]), [0x67, 0x00]);
    let f8 = send(&mut vc, &[0x00, 0xCA, 0x00, 0xF8, 0x00, 0x00, 0x00]);
    assert_eq!(sw(&f8), 0x9000);
    assert_eq!(f8.len() - 2, 575);
    // 4D 0A | 42 10 | 5F20 10 | 5F49 82 0109 | 5F4E 82 0129 | "9000020" 08 05 "001" 00 00 00 A8
    let mut head = vec![
        0x4D, 0x0A, 0x42, 0x10, 0x5F, 0x20, 0x10, 0x5F, 0x49, 0x82, 0x01, 0x09, 0x5F, 0x4E, 0x82,
        0x01, 0x29,
    ];
    head.extend_from_slice(b"9000020\x08\x05001\x00\x00\x00\xA8");
    assert_eq!(&f8[..head.len()], &head[..]);
    // The subject of F8 is what F7 names and what 7F21 is issued by.
    assert_eq!(&f8[33..49], &f7[..16]);
    let lower = send(&mut vc, &[0x00, 0xCA, 0x7F, 0x21, 0x00, 0x00, 0x00]);
    assert_eq!(&lower[17..33], &f7[..16]);
    // Signature tag after the 297-byte body: 5F37 82 0100.
    assert_eq!(
        &f8[12 + 5 + 297..12 + 5 + 297 + 5],
        &[0x5F, 0x37, 0x82, 0x01, 0x00]
    );

    // With an application selected only 5F51 answers.
    select(&mut vc, &applets::COMMON);
    assert_eq!(send(&mut vc, &[0x00, 0xCA, 0x5F, 0x51, 0x00]), atr);
    assert_eq!(send(&mut vc, &[0x00, 0xCA, 0x00, 0xF0, 0x00]), [0x6A, 0x88]);
    assert_eq!(
        send(&mut vc, &[0x00, 0xCA, 0x00, 0xF8, 0x00, 0x00, 0x00]),
        [0x6A, 0x88]
    );
}

#[test]
fn get_challenge_takes_every_le_from_1_to_256() {
    let mut vc = VirtualCard::new();
    for app in [None, Some(applets::JPKI), Some(applets::SURFACE)] {
        if let Some(a) = app {
            select(&mut vc, &a);
        }
        for le in 1..=256usize {
            let r = send(&mut vc, &[0x00, 0x84, 0x00, 0x00, le as u8]); // 256 is written 00
            assert_eq!((r.len(), sw(&r)), (le + 2, 0x9000), "Le {le}");
        }
    }
    // Two 256-byte draws differ.
    let a = send(&mut vc, &[0x00, 0x84, 0x00, 0x00, 0x00]);
    let b = send(&mut vc, &[0x00, 0x84, 0x00, 0x00, 0x00]);
    assert_ne!(a, b);
    // The extended form is refused with 6985, as on the real card; no Le, 6700; P1-P2, 6A86.
    assert_eq!(
        send(&mut vc, &[0x00, 0x84, 0x00, 0x00, 0x00, 0x00, 0x10]),
        [0x69, 0x85]
    );
    assert_eq!(
        send(&mut vc, &[0x00, 0x84, 0x00, 0x00, 0x00, 0x01, 0x00]),
        [0x69, 0x85]
    );
    assert_eq!(send(&mut vc, &[0x00, 0x84, 0x00, 0x00]), [0x67, 0x00]);
    assert_eq!(send(&mut vc, &[0x00, 0x84, 0x00, 0x01, 0x10]), [0x6A, 0x86]);
}

#[test]
fn selecting_the_issuer_security_domain_restores_the_mf_and_clears_security() {
    let mut vc = VirtualCard::new();
    select(&mut vc, &applets::TEXT_ASSIST);
    assert_eq!(send(&mut vc, &VERIFY_PIN), [0x90, 0x00]);
    // READ BINARY by SFI 2 (basic four): readable now.
    assert_eq!(sw(&send(&mut vc, &[0x00, 0xB0, 0x82, 0x00, 0x00])), 0x9000);
    assert_eq!(send(&mut vc, &[0x00, 0xCA, 0x00, 0xF0, 0x00]), [0x6A, 0x88]);
    assert_eq!(send(&mut vc, &ISD), [0x90, 0x00]);
    // No application current: the MF objects answer again, file reads have no current DF.
    assert_eq!(sw(&send(&mut vc, &[0x00, 0xCA, 0x00, 0xF0, 0x00])), 0x9000);
    assert_eq!(send(&mut vc, &[0x00, 0xB0, 0x82, 0x00, 0x00]), [0x69, 0x86]);
    // And the PIN is no longer in effect.
    select(&mut vc, &applets::TEXT_ASSIST);
    assert_eq!(send(&mut vc, &[0x00, 0xB0, 0x82, 0x00, 0x00]), [0x69, 0x82]);
    assert!(!vc.is_verified(mynacard::sim::App::TextAssist, 0x0011));
}

#[test]
fn the_mf_cannot_be_selected_directly_and_its_files_are_as_measured() {
    let mut vc = VirtualCard::new();
    // 00 A4 00 00 after a reset: 6A86. 3F00: 6A82.
    assert_eq!(send(&mut vc, &[0x00, 0xA4, 0x00, 0x00]), [0x6A, 0x86]);
    assert_eq!(
        send(&mut vc, &[0x00, 0xA4, 0x00, 0x0C, 0x02, 0x3F, 0x00]),
        [0x6A, 0x82]
    );
    // Under the MF: 001E selects but cannot be read (6981); 2F10 and 2F11 are absent.
    assert_eq!(
        send(&mut vc, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x1E]),
        [0x90, 0x00]
    );
    assert_eq!(send(&mut vc, &[0x00, 0xB2, 0x01, 0x04, 0x00]), [0x69, 0x81]);
    assert_eq!(send(&mut vc, &[0x00, 0xB0, 0x00, 0x00, 0x00]), [0x69, 0x81]);
    assert_eq!(
        send(&mut vc, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x2F, 0x10]),
        [0x6A, 0x82]
    );
    assert_eq!(
        send(&mut vc, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x2F, 0x11]),
        [0x6A, 0x82]
    );
    // Once an application is current, 00 A4 00 00 answers 9000 and changes nothing.
    select(&mut vc, &applets::TEXT_ASSIST);
    assert_eq!(send(&mut vc, &[0x00, 0xA4, 0x00, 0x00]), [0x90, 0x00]);
    // Still in the text-assist AP: its free CV certificate (SFI 4) reads.
    assert_eq!(sw(&send(&mut vc, &[0x00, 0xB0, 0x84, 0x00, 0x00])), 0x9000);
}

// ---- secure messaging --------------------------------------------------------------------------

/// AES-128(K, n as 16 big-endian bytes).
fn iv(k: &[u8; 16], n: u32) -> [u8; 16] {
    let mut b = Array::from([0u8; 16]);
    b[12..].copy_from_slice(&n.to_be_bytes());
    Aes128::new(&Array::from(*k)).encrypt_block(&mut b);
    b.into()
}
fn pad(p: &[u8]) -> Vec<u8> {
    let mut v = p.to_vec();
    v.push(0x80);
    while !v.len().is_multiple_of(16) {
        v.push(0);
    }
    v
}
fn cbc_enc(k: &[u8; 16], n: u32, p: &[u8]) -> Vec<u8> {
    let mut e = cbc::Encryptor::<Aes128>::new(&Array::from(*k), &Array::from(iv(k, n)));
    pad(p)
        .chunks(16)
        .flat_map(|c| {
            let mut b = Array::<u8, _>::try_from(c).unwrap();
            e.encrypt_block(&mut b);
            b.to_vec()
        })
        .collect()
}
fn cbc_dec(k: &[u8; 16], n: u32, c: &[u8]) -> Vec<u8> {
    let mut d = cbc::Decryptor::<Aes128>::new(&Array::from(*k), &Array::from(iv(k, n)));
    c.chunks(16)
        .flat_map(|c| {
            let mut b = Array::<u8, _>::try_from(c).unwrap();
            d.decrypt_block(&mut b);
            b.to_vec()
        })
        .collect()
}
/// `CLA INS P1 P2 Lc 86 <len> 01 <cryptogram>` (short form: every command here is small).
fn sm_cmd(ins: u8, p1: u8, p2: u8, ct: &[u8]) -> Vec<u8> {
    let mut v = vec![
        0x08,
        ins,
        p1,
        p2,
        (ct.len() + 3) as u8,
        0x86,
        (ct.len() + 1) as u8,
        0x01,
    ];
    v.extend_from_slice(ct);
    v
}
/// `08 B0 00 00 | 00 00 05 | 96 03 00 00 00 | 00 00`: the whole file, extended Le.
const SM_READ_ALL: [u8; 14] = [
    0x08, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x05, 0x96, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00,
];
const SEED: [u8; 32] = {
    let mut s = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        s[i] = i as u8;
        i += 1;
    }
    s
};
const KEY: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

/// Reads EF 0006 (the PIN must be verified) and returns its modulus.
fn sm_modulus(vc: &mut VirtualCard) -> Vec<u8> {
    assert_eq!(
        send(vc, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x06]),
        [0x90, 0x00]
    );
    let r = send(vc, &[0x00, 0xB0, 0x00, 0x00, 0x00, 0x00, 0x00]);
    assert_eq!(sw(&r), 0x9000);
    // A1 82 0109 | 90 03 010001 | 91 82 0100 <256 bytes>: 269 bytes, as the real card's EF 0006.
    assert_eq!(r.len() - 2, 269);
    assert_eq!(
        &r[..13],
        &[0xA1, 0x82, 0x01, 0x09, 0x90, 0x03, 0x01, 0x00, 0x01, 0x91, 0x82, 0x01, 0x00]
    );
    r[13..269].to_vec()
}
fn oaep(n: &[u8], msg: &[u8]) -> Vec<u8> {
    let key = rsa::PublicKey::try_from(rsa::pkcs1::RsaPublicKey {
        modulus: der::asn1::UintRef::new(n).unwrap(),
        public_exponent: der::asn1::UintRef::new(&[1, 0, 1]).unwrap(),
    })
    .unwrap();
    key.oaep_encrypt::<sha2::Sha256>(msg).unwrap()
}
/// `80 AE 00 00 00 01 00 <256 bytes>` (extended Lc).
fn set_session_key(vc: &mut VirtualCard, ciphertext: &[u8]) -> u16 {
    let mut c = vec![0x80, 0xAE, 0x00, 0x00, 0x00];
    c.extend_from_slice(&(ciphertext.len() as u16).to_be_bytes());
    c.extend_from_slice(ciphertext);
    sw(&send(vc, &c))
}
fn delivery(seed: &[u8]) -> Vec<u8> {
    let mut m = vec![0xA0, 0x22, 0x80, 0x20];
    m.extend_from_slice(seed);
    m
}
/// Text-assist AP selected, PIN verified, session open with [`KEY`]; counter 1 next.
fn open(vc: &mut VirtualCard) -> Vec<u8> {
    select(vc, &applets::TEXT_ASSIST);
    assert_eq!(send(vc, &VERIFY_PIN), [0x90, 0x00]);
    let n = sm_modulus(vc);
    assert_eq!(set_session_key(vc, &oaep(&n, &delivery(&SEED))), 0x9000);
    assert_eq!(vc.sm_counter(), 1);
    n
}

#[test]
fn ef_0006_exists_with_the_real_access_rule() {
    let mut vc = VirtualCard::new();
    select(&mut vc, &applets::TEXT_ASSIST);
    assert_eq!(
        send(&mut vc, &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x06]),
        [0x90, 0x00]
    );
    assert_eq!(send(&mut vc, &[0x00, 0xB0, 0x00, 0x00, 0x00]), [0x69, 0x82]);
    // 照合番号B opens it (so does A, or the PIN).
    let b = mynacard::sim::Holder::default().matching_b();
    let mut c = vec![0x00, 0x20, 0x00, 0x95, b.len() as u8];
    c.extend_from_slice(b.as_bytes());
    assert_eq!(send(&mut vc, &c), [0x90, 0x00]);
    assert_eq!(sm_modulus(&mut vc).len(), 256);
}

#[test]
fn set_session_key_checks_access_then_structure() {
    let mut vc = VirtualCard::new();
    select(&mut vc, &applets::TEXT_ASSIST);
    // Before the PIN: 6982, whatever the data.
    assert_eq!(set_session_key(&mut vc, &[0x55; 256]), 0x6982);
    // 照合番号A alone is not enough.
    let a = mynacard::sim::Holder::default().my_number;
    let mut c = vec![0x00, 0x20, 0x00, 0x94, a.len() as u8];
    c.extend_from_slice(a.as_bytes());
    assert_eq!(send(&mut vc, &c), [0x90, 0x00]);
    assert_eq!(set_session_key(&mut vc, &[0x55; 256]), 0x6982);
    assert_eq!(send(&mut vc, &VERIFY_PIN), [0x90, 0x00]);
    let n = sm_modulus(&mut vc);
    // At or above the modulus: 6F00. Below it but not OAEP: 6A80. Not 256 bytes: 6700.
    assert_eq!(set_session_key(&mut vc, &n), 0x6F00);
    assert_eq!(set_session_key(&mut vc, &[0xFF; 256]), 0x6F00);
    assert_eq!(set_session_key(&mut vc, &[0x00; 256]), 0x6A80);
    assert_eq!(set_session_key(&mut vc, &[0x00; 255]), 0x6700);
    // A CCS key (81) instead of, or beside, the encryption key (80): 6A80.
    let mut m = vec![0xA0, 0x22, 0x81, 0x20];
    m.extend_from_slice(&SEED);
    assert_eq!(set_session_key(&mut vc, &oaep(&n, &m)), 0x6A80);
    let mut m = vec![0xA0, 0x44, 0x80, 0x20];
    m.extend_from_slice(&SEED);
    m.extend_from_slice(&[0x81, 0x20]);
    m.extend_from_slice(&SEED);
    assert_eq!(set_session_key(&mut vc, &oaep(&n, &m)), 0x6A80);
    assert!(!vc.sm_open());
    assert_eq!(
        set_session_key(&mut vc, &oaep(&n, &delivery(&SEED))),
        0x9000
    );
    assert!(vc.sm_open());
    // Other applications, as measured: JPKI and 住基AP 6982, 共通カードAP and 券面事項確認AP 66F1.
    for (aid, want) in [
        (applets::JPKI, 0x6982),
        (applets::JUKI, 0x6982),
        (applets::COMMON, 0x66F1),
        (applets::SURFACE, 0x66F1),
    ] {
        select(&mut vc, &aid);
        assert_eq!(set_session_key(&mut vc, &oaep(&n, &delivery(&SEED))), want);
    }
}

#[test]
fn sm_select_and_read_give_the_bytes_worked_out_by_hand() {
    let mut vc = VirtualCard::new();
    // The plain basic four, to compare with (PIN verified, plain reads do not touch the counter).
    select(&mut vc, &applets::TEXT_ASSIST);
    assert_eq!(send(&mut vc, &VERIFY_PIN), [0x90, 0x00]);
    let plain = send(&mut vc, &[0x00, 0xB0, 0x82, 0x00, 0x00, 0x00, 0x00]);
    let plain = plain[..plain.len() - 2].to_vec();
    open(&mut vc);

    // Counter 1: SELECT EF 0002, 08 A4 02 0C 13 86 11 01 <AES-CBC(K, IV1, 00 02 80 00…00)>.
    let ct = cbc_enc(&KEY, 1, &[0x00, 0x02]);
    assert_eq!(ct.len(), 16);
    let c = sm_cmd(0xA4, 0x02, 0x0C, &ct);
    assert_eq!(&c[..8], &[0x08, 0xA4, 0x02, 0x0C, 0x13, 0x86, 0x11, 0x01]);
    assert_eq!(send(&mut vc, &c), [0x90, 0x00]);
    assert_eq!(vc.sm_counter(), 2);

    // Counter 2: READ BINARY, the whole file: 86 <len> 01 || AES-CBC(K, IV2, pad(file)).
    let r = send(&mut vc, &SM_READ_ALL);
    assert_eq!(sw(&r), 0x9000);
    let ct = cbc_enc(&KEY, 2, &plain);
    let mut want = vec![0x86];
    let l = ct.len() + 1;
    if l < 0x80 {
        want.push(l as u8);
    } else if l < 0x100 {
        want.extend_from_slice(&[0x81, l as u8]);
    } else {
        want.extend_from_slice(&[0x82, (l >> 8) as u8, l as u8]);
    }
    want.push(0x01);
    want.extend_from_slice(&ct);
    assert_eq!(&r[..r.len() - 2], &want[..]);

    // A plain command in between (a plain read of the same EF, by SFI 2) does not advance the
    // counter: counter 3 still works next.
    assert_eq!(sw(&send(&mut vc, &[0x00, 0xB0, 0x82, 0x00, 0x00])), 0x9000);
    assert_eq!(vc.sm_counter(), 3);
    // A length: 96 03 00 00 05, five bytes from offset 2.
    let r = send(
        &mut vc,
        &[
            0x08, 0xB0, 0x00, 0x02, 0x00, 0x00, 0x05, 0x96, 0x03, 0x00, 0x00, 0x05, 0x00, 0x00,
        ],
    );
    assert_eq!(sw(&r), 0x9000);
    assert_eq!(&r[..3], &[0x86, 0x11, 0x01]);
    assert_eq!(cbc_dec(&KEY, 3, &r[3..19]), pad(&plain[2..7]));
}

#[test]
fn sm_verify_advances_the_counter_even_when_refused() {
    let mut vc = VirtualCard::new();
    open(&mut vc);
    let tries = vc
        .tries_left(mynacard::sim::App::TextAssist, 0x0015)
        .unwrap();
    // Counter 1: a wrong 照合番号B, encrypted: 63Cx, one try spent, counter advanced.
    let c = sm_cmd(0x20, 0x00, 0x95, &cbc_enc(&KEY, 1, b"99999999999999"));
    assert_eq!(sw(&send(&mut vc, &c)), 0x63C0 | (tries - 1) as u16);
    assert_eq!(vc.sm_counter(), 2);
    // Counter 2: the right one.
    let b = mynacard::sim::Holder::default().matching_b();
    let c = sm_cmd(0x20, 0x00, 0x95, &cbc_enc(&KEY, 2, b.as_bytes()));
    assert_eq!(send(&mut vc, &c), [0x90, 0x00]);
    assert_eq!(
        vc.tries_left(mynacard::sim::App::TextAssist, 0x0015),
        Some(tries)
    );
    // Counter 3: 照合番号A, the My Number.
    let a = mynacard::sim::Holder::default().my_number;
    let c = sm_cmd(0x20, 0x00, 0x94, &cbc_enc(&KEY, 3, a.as_bytes()));
    assert_eq!(send(&mut vc, &c), [0x90, 0x00]);
    assert_eq!(vc.sm_counter(), 4);
}

#[test]
fn a_wrong_counter_gives_6988_then_69fc_for_good() {
    let mut vc = VirtualCard::new();
    let n = open(&mut vc);
    // Counter 1 expected; 2 sent.
    let c = sm_cmd(0xA4, 0x02, 0x0C, &cbc_enc(&KEY, 2, &[0x00, 0x02]));
    assert_eq!(send(&mut vc, &c), [0x69, 0x88]);
    // Now every SM command answers 69FC, the right counter included.
    let c = sm_cmd(0xA4, 0x02, 0x0C, &cbc_enc(&KEY, 1, &[0x00, 0x02]));
    assert_eq!(send(&mut vc, &c), [0x69, 0xFC]);
    assert_eq!(send(&mut vc, &SM_READ_ALL), [0x69, 0xFC]);
    // Plain commands still work; a new SET SESSION KEY opens a new session at counter 1.
    assert_eq!(sw(&send(&mut vc, &[0x00, 0xB0, 0x84, 0x00, 0x00])), 0x9000);
    assert_eq!(
        set_session_key(&mut vc, &oaep(&n, &delivery(&SEED))),
        0x9000
    );
    assert_eq!(send(&mut vc, &c), [0x90, 0x00]);
}

#[test]
fn the_data_objects_are_strict() {
    let bad: Vec<Vec<u8>> = vec![
        // 96 on VERIFY.
        vec![0x08, 0x20, 0x00, 0x95, 0x05, 0x96, 0x03, 0x00, 0x00, 0x00],
        // 86 on READ BINARY.
        {
            let mut c = sm_cmd(0xB0, 0x00, 0x00, &cbc_enc(&KEY, 1, &[0]));
            c.push(0x00);
            c
        },
        // Two objects: a correct 86 then a copy of it.
        {
            let ct = cbc_enc(&KEY, 1, &[0x00, 0x02]);
            let one = sm_cmd(0xA4, 0x02, 0x0C, &ct);
            let mut c = one[..4].to_vec();
            c.push(((one.len() - 5) * 2) as u8);
            c.extend_from_slice(&one[5..]);
            c.extend_from_slice(&one[5..]);
            c
        },
        // Padding indicator 02.
        {
            let mut c = sm_cmd(0xA4, 0x02, 0x0C, &cbc_enc(&KEY, 1, &[0x00, 0x02]));
            c[7] = 0x02;
            c
        },
    ];
    for c in bad {
        let mut vc = VirtualCard::new();
        open(&mut vc);
        assert_eq!(send(&mut vc, &c), [0x69, 0x88], "{c:02X?}");
        assert_eq!(send(&mut vc, &SM_READ_ALL), [0x69, 0xFC]);
    }
    // CLA 0C (header authenticated) has no checksum to work with: 6987.
    let mut vc = VirtualCard::new();
    open(&mut vc);
    let mut c = sm_cmd(0xA4, 0x02, 0x0C, &cbc_enc(&KEY, 1, &[0x00, 0x02]));
    c[0] = 0x0C;
    assert_eq!(send(&mut vc, &c), [0x69, 0x87]);
}

#[test]
fn without_a_session_sm_commands_answer_69fc_and_selection_ends_a_session() {
    let mut vc = VirtualCard::new();
    select(&mut vc, &applets::JPKI);
    assert_eq!(send(&mut vc, &SM_READ_ALL), [0x69, 0xFC]);
    for end in [ISD.to_vec(), {
        let mut c = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
        c.extend_from_slice(applets::TEXT_ASSIST.as_bytes());
        c
    }] {
        let mut vc = VirtualCard::new();
        open(&mut vc);
        assert_eq!(send(&mut vc, &end), [0x90, 0x00]);
        assert!(!vc.sm_open());
        let c = sm_cmd(0xA4, 0x02, 0x0C, &cbc_enc(&KEY, 1, &[0x00, 0x02]));
        assert_eq!(send(&mut vc, &c), [0x69, 0xFC]);
    }
}
