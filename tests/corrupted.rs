//! Truncated and corrupted files on the card give typed errors naming the EF, never a panic or
//! an out-of-bounds read: wrong TLV lengths, lengths past the end, filler-only files, on every
//! capability combination. Random bytes in every parser and in every file never panic.

#![cfg(feature = "sim")]

use mynacard::applets::Fid;
use mynacard::cert::{CertAvailability, CertKind, Certificate, TokenInfo};
use mynacard::credential::TextAssistPin;
use mynacard::sim::{Access, App, Ef, SimOptions, VirtualCard};
use mynacard::text_assist::{
    parse_my_number, ApInfo, BasicFour, CvCertificate, IntegrityRecord, TextAssistKey,
    TextAssistOptions,
};
use mynacard::{Card, Error};
use proptest::prelude::*;

const AUTH: &[u8] = include_bytes!("data/jpki-auth-cert.der");
const T1: &[u8] = include_bytes!("data/text-0001-physical.bin");
const T2: &[u8] = include_bytes!("data/text-0002.bin");
const T3: &[u8] = include_bytes!("data/text-0003.bin");
const T4: &[u8] = include_bytes!("data/text-0004.bin");

const COMBOS: [(bool, bool); 4] = [(true, true), (true, false), (false, true), (false, false)];

/// A virtual card with the bytes of one file replaced (its access rule kept).
fn card_with(app: App, fid: u16, data: &[u8], sfi: bool, ext: bool) -> Card<VirtualCard> {
    let mut vc = VirtualCard::new().with_options(SimOptions {
        sfi,
        extended: ext,
        reader_extended: true,
        chunk_responses: None,
    });
    let access = match vc.file(app, fid) {
        Some(Ef::Binary { access, .. }) => access.clone(),
        _ => Access::Free,
    };
    vc.put_file(
        app,
        fid,
        Ef::Binary {
            data: data.to_vec(),
            access,
        },
    );
    Card::new(vc)
}

fn is_parse_error_of(e: &Error, fid: u16) -> bool {
    matches!(e, Error::Parse { fid: f, .. } if *f == Fid(fid))
}

/// Corrupted variants of a DER or BER-TLV file.
fn corruptions(good: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let mut v = vec![
        ("empty", Vec::new()),
        ("one byte", vec![0x30]),
        ("filler FF only", vec![0xFF; good.len()]),
        ("filler 00 only", vec![0x00; good.len()]),
        ("truncated to half", good[..good.len() / 2].to_vec()),
        (
            "truncated inside the header",
            good[..3.min(good.len())].to_vec(),
        ),
        ("indefinite length form", {
            let mut b = good.to_vec();
            if b.len() > 2 {
                b[1] = 0x80;
            }
            b
        }),
        ("length form with 4 length bytes", {
            let mut b = vec![good[0], 0x84, 0xFF, 0xFF, 0xFF, 0xFF];
            b.extend_from_slice(&good[2.min(good.len())..]);
            b
        }),
        ("huge declared length", {
            let mut b = vec![good[0], 0x83, 0x7F, 0xFF, 0xFF];
            b.extend_from_slice(&good[good.len().min(4)..]);
            b
        }),
    ];
    // Outer length one byte too long (past the end), and too short.
    if let Ok((_, h, len)) = mynacard::tlv::header(good) {
        for (name, delta) in [("length past the end", 1i64), ("length one short", -1)] {
            let mut b = good[..h + len].to_vec();
            let new = (len as i64 + delta) as usize;
            let hdr = &mut b[..h];
            // Rewrite the last length byte(s) in place (same form).
            let n = hdr.len();
            if len > 0xFF {
                hdr[n - 2..].copy_from_slice(&(new as u16).to_be_bytes());
            } else {
                hdr[n - 1] = new as u8;
            }
            v.push((name, b));
        }
    }
    // An inner length past the end: bump the length byte of the first child.
    if let Ok((_, h, _)) = mynacard::tlv::header(good) {
        let mut b = good.to_vec();
        if let Ok((_, ch, _)) = mynacard::tlv::header(&good[h..]) {
            let i = h + ch - 1;
            b[i] = b[i].wrapping_add(0x40);
            v.push(("inner length past the end", b));
        }
    }
    v
}

#[test]
fn corrupted_certificates_are_parse_errors_with_their_ef() {
    for (sfi, ext) in COMBOS {
        for (name, bytes) in corruptions(AUTH) {
            let mut card = card_with(App::Jpki, 0x000A, &bytes, sfi, ext);
            let e = card
                .jpki()
                .read_certificate(CertKind::Auth)
                .expect_err(name);
            assert!(
                is_parse_error_of(&e, 0x000A),
                "{name} (sfi {sfi}, ext {ext}): {e:?}"
            );
            // The message names the EF.
            assert!(e.to_string().starts_with("EF 000A"), "{e}");
        }
        // The CA certificate too.
        let mut card = card_with(App::Jpki, 0x000B, &[0xFF; 1200], sfi, ext);
        let e = card.jpki().read_certificate(CertKind::AuthCa).unwrap_err();
        assert!(is_parse_error_of(&e, 0x000B), "{e:?}");
    }
}

#[test]
fn corrupted_token_info_and_availability() {
    for (sfi, ext) in COMBOS {
        for bytes in [vec![], vec![0xFF; 160], vec![b'J'; 10], vec![0x00; 160]] {
            let mut card = card_with(App::Jpki, 0x0006, &bytes, sfi, ext);
            let e = card.jpki().token_info().unwrap_err();
            assert!(is_parse_error_of(&e, 0x0006), "{e:?}");
        }
        for bytes in [vec![], vec![0x8F]] {
            let mut card = card_with(App::Jpki, 0x0008, &bytes, sfi, ext);
            let e = card.jpki().certificate_availability().unwrap_err();
            assert!(is_parse_error_of(&e, 0x0008), "{e:?}");
        }
    }
}

fn open_and<R>(
    card: &mut Card<VirtualCard>,
    opts: TextAssistOptions,
    f: impl FnOnce(&mut mynacard::text_assist::TextAssist<'_, VirtualCard>) -> mynacard::Result<R>,
) -> mynacard::Result<R> {
    let pin = TextAssistPin::parse("1234").unwrap();
    let mut t = card.text_assist(TextAssistKey::Pin(&pin), opts)?;
    f(&mut t)
}

#[test]
fn corrupted_text_assist_files() {
    let no_digest = TextAssistOptions {
        check_digests: false,
        ..Default::default()
    };
    for (sfi, ext) in COMBOS {
        for (name, bytes) in corruptions(T2) {
            let mut card = card_with(App::TextAssist, 0x0002, &bytes, sfi, ext);
            let e = open_and(&mut card, no_digest, |t| t.basic_four()).expect_err(name);
            assert!(is_parse_error_of(&e, 0x0002), "0002 {name}: {e:?}");
        }
        for (name, bytes) in corruptions(T1) {
            let mut card = card_with(App::TextAssist, 0x0001, &bytes, sfi, ext);
            let e = open_and(&mut card, no_digest, |t| t.my_number()).expect_err(name);
            assert!(is_parse_error_of(&e, 0x0001), "0001 {name}: {e:?}");
            // The My Number never appears in the message.
            assert!(!e.to_string().contains("53768667718"));
        }
        for (name, bytes) in corruptions(T3) {
            let mut card = card_with(App::TextAssist, 0x0003, &bytes, sfi, ext);
            let e = open_and(&mut card, TextAssistOptions::default(), |t| t.basic_four())
                .expect_err(name);
            assert!(is_parse_error_of(&e, 0x0003), "0003 {name}: {e:?}");
        }
        for (name, bytes) in corruptions(T4) {
            let mut card = card_with(App::TextAssist, 0x0004, &bytes, sfi, ext);
            let opts = TextAssistOptions {
                check_signature: true,
                ..Default::default()
            };
            let e = open_and(&mut card, opts, |t| t.basic_four()).expect_err(name);
            assert!(is_parse_error_of(&e, 0x0004), "0004 {name}: {e:?}");
        }
    }
}

#[test]
fn semantic_corruptions_of_the_basic_four() {
    let build = |name: &[u8], birth: &[u8], sex: &[u8]| {
        let mut inner = Vec::new();
        mynacard::tlv::push(&mut inner, 0xDF21, &[0; 8]);
        mynacard::tlv::push(&mut inner, 0xDF22, name);
        mynacard::tlv::push(&mut inner, 0xDF23, "住所".as_bytes());
        mynacard::tlv::push(&mut inner, 0xDF24, birth);
        mynacard::tlv::push(&mut inner, 0xDF25, sex);
        let mut out = Vec::new();
        mynacard::tlv::push(&mut out, 0xFF20, &inner);
        out
    };
    assert!(BasicFour::parse(&build("名".as_bytes(), b"19800217", b"1")).is_ok());
    assert!(BasicFour::parse(&build(&[0xFF, 0xFE], b"19800217", b"1")).is_err());
    assert!(BasicFour::parse(&build("名".as_bytes(), b"1980021", b"1")).is_err());
    assert!(BasicFour::parse(&build("名".as_bytes(), b"19800231", b"1")).is_err());
    assert!(BasicFour::parse(&build("名".as_bytes(), b"19800217", b"3")).is_err());
    assert!(BasicFour::parse(&build("名".as_bytes(), b"19800217", b"12")).is_err());
    // A tag twice.
    let mut twice = build("名".as_bytes(), b"19800217", b"1");
    let extra = {
        let mut e = Vec::new();
        mynacard::tlv::push(&mut e, 0xDF25, b"2");
        e
    };
    twice.extend_from_slice(&extra);
    twice[2] += extra.len() as u8;
    assert!(BasicFour::parse(&twice).is_err());
    // My Number: wrong tag, 11 digits, a letter.
    assert!(parse_my_number(&[0xFF, 0x11, 0x0C, b'5', b'3']).is_err());
    let mut n = vec![0xFF, 0x10, 0x0B];
    n.extend_from_slice(b"53768667718");
    assert!(parse_my_number(&n).is_err());
    let mut n = vec![0xFF, 0x10, 0x0C];
    n.extend_from_slice(b"53768667718A");
    assert!(parse_my_number(&n).is_err());
    // DF31 of 31 bytes.
    let mut rec = T3.to_vec();
    rec[6] = 0x1F;
    assert!(IntegrityRecord::parse(&rec).is_err());
}

#[test]
fn a_tampered_file_on_the_card_fails_its_digest() {
    for (sfi, ext) in COMBOS {
        // Change the last byte of the address (３ to ２, still UTF-8): DF32 no longer matches.
        let vc = VirtualCard::new();
        let mut data = match vc.file(App::TextAssist, 0x0002) {
            Some(Ef::Binary { data, .. }) => data.clone(),
            _ => unreachable!(),
        };
        let n = data.len();
        data[n - 16] ^= 0x01;
        let mut card = card_with(App::TextAssist, 0x0002, &data, sfi, ext);
        let e = open_and(&mut card, TextAssistOptions::default(), |t| t.basic_four()).unwrap_err();
        assert!(matches!(e, Error::Integrity { .. }), "{e:?}");
        // With the check off, the (tampered) data is returned.
        let mut card = card_with(App::TextAssist, 0x0002, &data, sfi, ext);
        let off = TextAssistOptions {
            check_digests: false,
            ..Default::default()
        };
        assert!(open_and(&mut card, off, |t| t.basic_four()).is_ok());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parsers_never_panic(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Certificate::from_der(&data);
        let _ = TokenInfo::parse(&data);
        let _ = CertAvailability::parse(&data);
        let _ = BasicFour::parse(&data);
        let _ = parse_my_number(&data);
        let _ = IntegrityRecord::parse(&data);
        let _ = CvCertificate::parse(&data);
        let _ = ApInfo::parse(&data);
        let _ = mynacard::text_assist::basic_four_digest_input(&data);
    }

    #[test]
    fn tlv_shaped_garbage_never_panics(
        tag in prop::sample::select(vec![0x30u8, 0xFF, 0x7F, 0xDF]),
        tag2 in any::<u8>(),
        len in prop::sample::select(vec![0x00u8, 0x10, 0x7F, 0x81, 0x82, 0x83, 0x84, 0x80]),
        rest in proptest::collection::vec(any::<u8>(), 0..400),
    ) {
        let mut data = vec![tag, tag2, len];
        data.extend_from_slice(&rest);
        let _ = Certificate::from_der(&data);
        let _ = BasicFour::parse(&data);
        let _ = IntegrityRecord::parse(&data);
        let _ = CvCertificate::parse(&data);
        let _ = ApInfo::parse(&data);
        let _ = parse_my_number(&data);
    }

    #[test]
    fn random_files_through_the_card_never_panic(
        data in proptest::collection::vec(any::<u8>(), 0..1200),
        which in 0usize..6,
        combo in 0usize..4,
    ) {
        let (sfi, ext) = COMBOS[combo];
        let (app, fid) = [
            (App::Jpki, 0x000Au16),
            (App::Jpki, 0x0006),
            (App::Jpki, 0x0008),
            (App::TextAssist, 0x0001),
            (App::TextAssist, 0x0002),
            (App::TextAssist, 0x0003),
        ][which];
        let mut card = card_with(app, fid, &data, sfi, ext);
        let r: mynacard::Result<()> = match which {
            0 => card.jpki().read_certificate(CertKind::Auth).map(drop),
            1 => card.jpki().token_info().map(drop),
            2 => card.jpki().certificate_availability().map(drop),
            3 => open_and(&mut card, TextAssistOptions::default(), |t| t.my_number().map(drop)),
            _ => open_and(&mut card, TextAssistOptions::default(), |t| t.basic_four().map(drop)),
        };
        if let Err(e) = r {
            // Only typed errors about the data, never about the protocol or I/O.
            prop_assert!(
                matches!(e, Error::Parse { .. } | Error::Integrity { .. }),
                "{:?}", e
            );
        }
    }
}
