//! 券面事項確認AP on the virtual card: the real access rules, every record's signature under the
//! CV certificate, the CV certificate under the virtual issuer key, the presence challenge, the
//! lockout guard for its keys, and exchange counts.

#![cfg(feature = "sim")]

use mynacard::credential::{BirthDateKey, CredentialKind, MatchingNumberB, MyNumber};
use mynacard::cvc::{CvHierarchy, CvTrustError, IssuerKeys};
use mynacard::holder::Sex;
use mynacard::presence::fresh_nonce;
use mynacard::sim::{pki, App, Ef, SimOptions, VirtualCard};
use mynacard::surface::{
    AgeRecord, CardFace, ImageFormat, MyNumberImage, SurfaceKey, SurfaceOpenedBy, SurfaceOptions,
};
use mynacard::{Card, Error, LastTry};

fn a() -> MyNumber {
    MyNumber::parse("123456789018").unwrap()
}

/// The default holder: born 1985-04-01 = 昭和60, expiry 2035, code 1234.
fn b() -> MatchingNumberB {
    MatchingNumberB::from_parts((1985, 4, 1), 2035, "1234").unwrap()
}

fn birth() -> BirthDateKey {
    BirthDateKey::from_birth_date((1985, 4, 1)).unwrap()
}

fn file(vc: &VirtualCard, fid: u16) -> Vec<u8> {
    match vc.file(App::Surface, fid) {
        Some(Ef::Binary { data, .. }) => data.clone(),
        other => panic!("{other:?}"),
    }
}

fn decode_png(data: &[u8]) -> (png::OutputInfo, Vec<u8>) {
    let mut r = png::Decoder::new(std::io::Cursor::new(data))
        .read_info()
        .unwrap();
    let mut buf = vec![0; r.output_buffer_size().unwrap()];
    let info = r.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    (info, buf)
}

#[test]
fn matching_a_reads_the_face_and_the_my_number_image_all_checked() {
    let vc = VirtualCard::new();
    let holder = vc.holder().clone();
    let mut card = Card::new(vc);
    let mut s = card
        .surface(SurfaceKey::MatchingA(&a()), SurfaceOptions::default())
        .unwrap();
    assert_eq!(s.opened_by(), SurfaceOpenedBy::MatchingA);
    // SELECT, the guard's case-1 VERIFY, the VERIFY.
    assert_eq!(s.exchanges(), 3);

    let face = s.card_face().unwrap();
    // One READ BINARY for 0002 and one for 0004 (the signature check).
    assert_eq!(s.exchanges(), 5);
    assert_eq!(face.birth_date.to_string(), "1985-04-01");
    assert_eq!(face.sex, Sex::Female);
    assert_eq!(face.expiry.to_string(), "2035-04-01");
    assert_eq!(face.expiry_year(), holder.expiry_year);
    assert_eq!(face.name_image.format, ImageFormat::Png);
    assert_eq!(face.address_image.format, ImageFormat::Png);
    assert_eq!(face.security_code_image.format, ImageFormat::Png);
    assert_eq!(face.photo.format, ImageFormat::Jp2);
    assert_eq!(face.security_code_image.dimensions(), Some((24, 12)));
    assert_eq!(face.photo.dimensions(), Some((96, 120)));
    assert_eq!(face.offsets.len(), 9);
    assert_eq!(face.ap_key.bits(), 2048);

    let img = s.my_number_image().unwrap();
    assert_eq!(s.exchanges(), 6, "0004 is read once per session");
    assert_eq!(img.image.dimensions(), Some((72, 12)));
    assert_eq!(img.ap_key, face.ap_key, "one AP key in every record");

    let info = s.ap_info().unwrap();
    assert_eq!(s.exchanges(), 7);
    assert_eq!(info.municipality_code.as_deref(), Some("13999"));
    assert_eq!(info.layout.as_deref(), Some(&[0x06, 0x03, 0x0E, 0x01][..]));
    assert_eq!(info.version, Some(1));
    assert_eq!(info.opaque.as_ref().map(|(_, d)| d.len()), Some(256));

    // The CV certificate chains to the virtual issuer key, and to no real one.
    let cv = s.cv_certificate().unwrap();
    assert_eq!(s.exchanges(), 7, "cached");
    let trust = cv.verify(&pki::virtual_issuer_keys()).unwrap();
    assert_eq!(trust.hierarchy, CvHierarchy::Virtual);
    assert_eq!(trust.issuer.to_string(), "9000023/001");
    assert!(matches!(
        cv.verify(&IssuerKeys::production_and_test()),
        Err(CvTrustError::UnknownIssuer { .. })
    ));

    // The card is present: it signs a fresh challenge with the key the signed face carries.
    let nonce = fresh_nonce().unwrap();
    let proof = s.prove_presence(&face.ap_key, &nonce).unwrap();
    assert_eq!(s.exchanges(), 8, "one SIGN");
    assert_eq!(proof.signature.len(), 256);
    assert_eq!(proof.key_bits, 2048);
}

#[test]
fn the_images_are_valid_pngs_showing_their_digits() {
    let vc = VirtualCard::new();
    let face = CardFace::parse(&file(&vc, 0x0002)).unwrap();
    for img in [
        &face.name_image,
        &face.address_image,
        &face.security_code_image,
    ] {
        let (info, _) = decode_png(&img.data);
        assert_eq!((info.width, info.height), img.dimensions().unwrap());
        assert_eq!(info.bit_depth, png::BitDepth::One);
        assert_eq!(info.color_type, png::ColorType::Grayscale);
    }
    // The security code 1234: digit "1" is the 3×5 glyph enlarged to 5×10, so its middle
    // column (x = 2 of the first 6-pixel cell) is black from y = 1 to 10, and the cell's last
    // column (x = 5) is the blank gap; "2" starts with a full top bar at y = 1..2.
    let (info, px) = decode_png(&face.security_code_image.data);
    let row_bytes = (info.width as usize).div_ceil(8);
    let black = |x: usize, y: usize| px[y * row_bytes + x / 8] & (0x80 >> (x % 8)) == 0;
    for y in 1..=10 {
        assert!(black(2, y), "row {y}");
        assert!(!black(5, y), "row {y}");
    }
    assert!(!black(0, 1));
    assert!(
        (6..11).all(|x| black(x, 1) && black(x, 2)),
        "the top bar of 2"
    );
    assert!(
        (0..24).all(|x| !black(x, 0) && !black(x, 11)),
        "blank top and bottom rows"
    );
    let img = MyNumberImage::parse(&file(&vc, 0x0005)).unwrap();
    let (info, _) = decode_png(&img.image.data);
    assert_eq!((info.width, info.height), (72, 12));
}

#[test]
fn matching_b_opens_the_face_only() {
    let mut card = Card::new(VirtualCard::new());
    let mut s = card
        .surface(SurfaceKey::MatchingB(&b()), SurfaceOptions::default())
        .unwrap();
    s.card_face().unwrap();
    let n = s.exchanges();
    assert!(matches!(
        s.my_number_image(),
        Err(Error::NeedsVerification { .. })
    ));
    assert!(matches!(
        s.age_record(),
        Err(Error::NeedsVerification { .. })
    ));
    assert_eq!(s.exchanges(), n, "refused without an exchange");
}

#[test]
fn the_card_refuses_what_the_key_does_not_open() {
    // The library refuses before sending; the card refuses too (6982), which a raw read shows.
    let mut vc = VirtualCard::new();
    let mut card = Card::new(&mut vc);
    card.surface(SurfaceKey::MatchingB(&b()), SurfaceOptions::default())
        .unwrap();
    drop(card);
    let r = vc.process(&[0x00, 0xB0, 0x85, 0x00, 0x00]);
    assert_eq!(r.sw.0, 0x6982, "0005 needs 照合番号A");
    let r = vc.process(&[0x00, 0xB0, 0x81, 0x00, 0x00]);
    assert_eq!(r.sw.0, 0x6982, "0001 needs the birth-date key");
    let r = vc.process(&[0x00, 0xB0, 0x82, 0x00, 0x00]);
    assert_eq!(r.sw.0, 0x9000);
}

#[test]
fn the_birth_date_key_opens_the_age_record_only() {
    let vc = VirtualCard::new();
    let mut card = Card::new(vc);
    let mut s = card
        .surface(SurfaceKey::BirthDate(&birth()), SurfaceOptions::default())
        .unwrap();
    let rec = s.age_record().unwrap();
    assert_eq!(rec.birth_date.to_string(), "1985-04-01");
    let n = s.exchanges();
    assert!(matches!(
        s.card_face(),
        Err(Error::NeedsVerification { .. })
    ));
    assert_eq!(s.exchanges(), n);
    let nonce = fresh_nonce().unwrap();
    s.prove_presence(&rec.ap_key, &nonce).unwrap();
    // The Gregorian YYMMDD is not the key: it costs a try.
    drop(s);
    card.unpower().unwrap();
    let gregorian = BirthDateKey::parse("850401").unwrap();
    let e = card
        .surface(SurfaceKey::BirthDate(&gregorian), SurfaceOptions::default())
        .unwrap_err();
    match e {
        Error::WrongMatchingNumber { kind, tries_left } => {
            assert_eq!(kind, CredentialKind::BirthDateKey);
            assert_eq!(tries_left, mynacard::sim::MATCHING_LIMIT - 1);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn nothing_opens_the_free_files_and_the_challenge() {
    let vc = VirtualCard::new();
    let ap_key = AgeRecord::parse(&file(&vc, 0x0001)).unwrap().ap_key;
    let mut card = Card::new(vc);
    let mut s = card
        .surface(SurfaceKey::Nothing, SurfaceOptions::default())
        .unwrap();
    assert_eq!(s.exchanges(), 1, "SELECT only");
    s.ap_info().unwrap();
    s.cv_certificate().unwrap();
    assert!(matches!(
        s.card_face(),
        Err(Error::NeedsVerification { .. })
    ));
    // No PIN or key is needed for the challenge itself.
    let nonce = fresh_nonce().unwrap();
    s.prove_presence(&ap_key, &nonce).unwrap();
    assert_eq!(s.exchanges(), 4);
}

#[test]
fn a_challenge_under_the_wrong_key_fails() {
    let vc = VirtualCard::new();
    // Another card's key (seed 1).
    let other = VirtualCard::with_holder(Default::default(), 1);
    let other_key = AgeRecord::parse(&file(&other, 0x0001)).unwrap().ap_key;
    let mine = AgeRecord::parse(&file(&vc, 0x0001)).unwrap().ap_key;
    assert_ne!(other_key, mine);
    let mut card = Card::new(vc);
    let mut s = card
        .surface(SurfaceKey::Nothing, SurfaceOptions::default())
        .unwrap();
    let e = s.prove_presence(&other_key, b"nonce").unwrap_err();
    assert!(matches!(e, Error::Integrity { .. }), "{e:?}");
    assert!(s.prove_presence(&mine, b"").is_err(), "an empty challenge");
}

#[test]
fn a_tampered_face_fails_its_signature_but_the_expiry_is_not_covered() {
    let mut vc = VirtualCard::new();
    let good = file(&vc, 0x0002);
    let face = CardFace::parse(&good).unwrap();
    // A byte inside the name image (in the signed group DF25-DF26).
    let mut bad = good.clone();
    let at = face.offsets[3] as usize + 40;
    bad[at] ^= 0x01;
    let access = match vc.file(App::Surface, 0x0002) {
        Some(Ef::Binary { access, .. }) => access.clone(),
        _ => unreachable!(),
    };
    vc.put_file(
        App::Surface,
        0x0002,
        Ef::Binary {
            data: bad,
            access: access.clone(),
        },
    );
    let mut card = Card::new(&mut vc);
    let mut s = card
        .surface(SurfaceKey::MatchingB(&b()), SurfaceOptions::default())
        .unwrap();
    let e = s.card_face().unwrap_err();
    assert!(matches!(e, Error::Integrity { .. }), "{e:?}");
    drop(s);
    drop(card);

    // The expiry (DF29) comes after the signature: changing it does not break it (a fact of the
    // layout, myna-card), so a caller must not treat the expiry as signed.
    let mut moved = good.clone();
    let df29 = face.offsets[7] as usize;
    assert_eq!(&moved[df29..df29 + 3], &[0xDF, 0x29, 0x08]);
    moved[df29 + 3..df29 + 7].copy_from_slice(b"2099");
    vc.put_file(
        App::Surface,
        0x0002,
        Ef::Binary {
            data: moved,
            access,
        },
    );
    let mut card = Card::new(&mut vc);
    let mut s = card
        .surface(SurfaceKey::MatchingB(&b()), SurfaceOptions::default())
        .unwrap();
    assert_eq!(s.card_face().unwrap().expiry.year, 2099);
}

#[test]
fn record_signatures_fail_under_another_cv_key() {
    let vc = VirtualCard::new();
    let text_cv = match vc.file(App::TextAssist, 0x0004) {
        Some(Ef::Binary { data, .. }) => mynacard::cvc::CvCertificate::parse(data).unwrap(),
        _ => unreachable!(),
    };
    let surface_cv = mynacard::cvc::CvCertificate::parse(&file(&vc, 0x0004)).unwrap();
    for (name, ok, bad) in [
        (
            "age",
            AgeRecord::parse(&file(&vc, 0x0001))
                .unwrap()
                .check_signature(&surface_cv),
            AgeRecord::parse(&file(&vc, 0x0001))
                .unwrap()
                .check_signature(&text_cv),
        ),
        (
            "face",
            CardFace::parse(&file(&vc, 0x0002))
                .unwrap()
                .check_signature(&surface_cv),
            CardFace::parse(&file(&vc, 0x0002))
                .unwrap()
                .check_signature(&text_cv),
        ),
        (
            "my number",
            MyNumberImage::parse(&file(&vc, 0x0005))
                .unwrap()
                .check_signature(&surface_cv),
            MyNumberImage::parse(&file(&vc, 0x0005))
                .unwrap()
                .check_signature(&text_cv),
        ),
    ] {
        assert!(ok.is_ok(), "{name}: {ok:?}");
        assert!(bad.is_err(), "{name}");
    }
}

#[test]
fn lockout_guard_protects_the_surface_keys() {
    let mut vc = VirtualCard::new();
    vc.set_tries_left(App::Surface, 0x0013, 1).unwrap();
    let wrong = MyNumber::parse("537686677188").unwrap();
    let log = vc.log();
    let mut card = Card::new(&mut vc);
    let e = card
        .surface(SurfaceKey::MatchingA(&wrong), SurfaceOptions::default())
        .unwrap_err();
    assert!(matches!(e, Error::MatchingNumberLastTry { .. }), "{e:?}");
    assert!(log
        .entries()
        .iter()
        .all(|x| !(x.ins() == Some(0x20) && x.command.len() > 4)));
    let allow = SurfaceOptions {
        last_try: LastTry::Allow,
        ..Default::default()
    };
    let e = card
        .surface(SurfaceKey::MatchingA(&wrong), allow)
        .unwrap_err();
    assert!(
        matches!(e, Error::WrongMatchingNumber { tries_left: 0, .. }),
        "{e:?}"
    );
    let before = log.len();
    let e = card
        .surface(SurfaceKey::MatchingA(&a()), allow)
        .unwrap_err();
    assert!(matches!(e, Error::MatchingNumberBlocked { .. }), "{e:?}");
    assert!(log.entries()[before..]
        .iter()
        .all(|x| !(x.ins() == Some(0x20) && x.command.len() > 4)));
    drop(card);
    assert_eq!(vc.tries_left(App::Surface, 0x0013), Some(0));
    // The other keys are untouched: each is its own counter.
    assert_eq!(
        vc.tries_left(App::Surface, 0x0012),
        Some(mynacard::sim::MATCHING_LIMIT)
    );
}

#[test]
fn the_my_number_image_and_matching_a_never_reach_the_log() {
    let digits_hex = hex::encode_upper(b"123456789018");
    for (sfi, ext, chunk) in [
        (true, true, None),
        (false, false, None),
        (true, true, Some(64)),
    ] {
        let vc = VirtualCard::new().with_options(SimOptions {
            sfi,
            extended: ext,
            reader_extended: true,
            chunk_responses: chunk,
        });
        let log = vc.log();
        let image = MyNumberImage::parse(&file(&vc, 0x0005)).unwrap().image.data;
        let mut card = Card::new(vc);
        let mut s = card
            .surface(SurfaceKey::MatchingA(&a()), SurfaceOptions::default())
            .unwrap();
        s.my_number_image().unwrap();
        let shown = format!("{:?}", log.entries());
        assert!(!shown.contains(&digits_hex), "{sfi} {ext} {chunk:?}");
        // The image bytes (the end of its IDAT chunk, before IEND) are masked too.
        let idat = hex::encode_upper(&image[image.len() - 40..image.len() - 12]);
        assert!(!shown.contains(&idat), "{sfi} {ext} {chunk:?}");
    }
}

#[test]
fn strict_cards_and_readers_cost_more_exchanges_not_failures() {
    // No SFI and no extended length: SELECT EF, then 256-byte chunks.
    let vc = VirtualCard::new().with_options(SimOptions {
        sfi: false,
        extended: false,
        reader_extended: false,
        chunk_responses: None,
    });
    let size = mynacard::tlv::object_len(&file(&vc, 0x0002)).unwrap();
    let mut card = Card::new(vc);
    let mut s = card
        .surface(SurfaceKey::MatchingB(&b()), SurfaceOptions::default())
        .unwrap();
    let before = s.exchanges();
    s.card_face().unwrap();
    let face_reads = size.div_ceil(256) as u64;
    // Face: SELECT EF + chunks; CV certificate: SELECT EF + 3 chunks (567 bytes).
    assert_eq!(s.exchanges() - before, 1 + face_reads + 1 + 3);
}

#[test]
fn options_can_turn_the_signature_checks_off() {
    let mut card = Card::new(VirtualCard::new());
    let mut s = card
        .surface(
            SurfaceKey::MatchingB(&b()),
            SurfaceOptions {
                check_signatures: false,
                ..Default::default()
            },
        )
        .unwrap();
    s.card_face().unwrap();
    assert_eq!(s.exchanges(), 4, "no read of 0004");
}

fn corruptions(good: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let end = mynacard::tlv::object_len(good).unwrap();
    let (_, h, _) = mynacard::tlv::header(good).unwrap();
    let mut v = vec![
        ("empty", Vec::new()),
        ("filler only", vec![0xFF; good.len()]),
        ("truncated to half", good[..end / 2].to_vec()),
        ("truncated inside the header", good[..3].to_vec()),
        ("another outer tag", {
            let mut b = good.to_vec();
            b[1] ^= 0x01;
            b
        }),
        ("inner length past the end", {
            let mut b = good.to_vec();
            let (_, ch, _) = mynacard::tlv::header(&good[h..]).unwrap();
            b[h + ch - 1] = b[h + ch - 1].wrapping_add(0x40);
            b
        }),
        ("a byte of the signed data flipped", {
            let mut b = good.to_vec();
            b[h + 12] ^= 0x01;
            b
        }),
    ];
    // The second object dropped: a required field missing (and, in 0002, the offset table
    // no longer matching).
    let (_, ch, cl) = mynacard::tlv::header(&good[h..]).unwrap();
    let second = h + ch + cl;
    let (_, ch2, cl2) = mynacard::tlv::header(&good[second..]).unwrap();
    let mut dropped = good[..second].to_vec();
    dropped.extend_from_slice(&good[second + ch2 + cl2..]);
    v.push(("second object dropped", dropped));
    v
}

#[test]
fn the_offset_table_is_optional_but_checked_when_present() {
    let good = file(&VirtualCard::new(), 0x0002);
    let (_, h, _) = mynacard::tlv::header(&good).unwrap();
    let (_, ch, cl) = mynacard::tlv::header(&good[h..]).unwrap();
    // Without DF21 (the rest as stored, filler after it): parses, and the signature, which does
    // not cover DF21, still holds.
    let mut without = good[..h].to_vec();
    without.extend_from_slice(&good[h + ch + cl..]);
    let face = CardFace::parse(&without).unwrap();
    assert!(face.offsets.is_empty());
    let cv = mynacard::cvc::CvCertificate::parse(&file(&VirtualCard::new(), 0x0004)).unwrap();
    face.check_signature(&cv).unwrap();
    // A wrong entry in DF21 is refused.
    let mut wrong = good.clone();
    wrong[h + ch + 1] ^= 0x01;
    let e = CardFace::parse(&wrong).unwrap_err();
    assert!(e.contains("DF21"), "{e}");
}

#[test]
fn corrupted_surface_files_are_clear_errors() {
    for (fid, key) in [(0x0001u16, 'd'), (0x0002, 'a'), (0x0005, 'a')] {
        let good = file(&VirtualCard::new(), fid);
        for (name, bad) in corruptions(&good) {
            for sfi_ext in [true, false] {
                let mut vc = VirtualCard::new().with_options(SimOptions {
                    sfi: sfi_ext,
                    extended: sfi_ext,
                    reader_extended: sfi_ext,
                    chunk_responses: None,
                });
                let access = match vc.file(App::Surface, fid) {
                    Some(Ef::Binary { access, .. }) => access.clone(),
                    _ => unreachable!(),
                };
                vc.put_file(
                    App::Surface,
                    fid,
                    Ef::Binary {
                        data: bad.clone(),
                        access,
                    },
                );
                let mut card = Card::new(vc);
                let (a, d) = (a(), birth());
                let k = if key == 'a' {
                    SurfaceKey::MatchingA(&a)
                } else {
                    SurfaceKey::BirthDate(&d)
                };
                let mut s = card.surface(k, SurfaceOptions::default()).unwrap();
                let r = match fid {
                    1 => s.age_record().map(|_| ()),
                    2 => s.card_face().map(|_| ()),
                    _ => s.my_number_image().map(|_| ()),
                };
                let e = r.expect_err(name);
                let ok = match &e {
                    Error::Parse { fid: f, .. } => f.0 == fid,
                    Error::Integrity { .. } => true,
                    _ => false,
                };
                assert!(ok, "{fid:04X} {name}: {e:?}");
                assert!(!e.to_string().contains("123456789018"));
            }
        }
    }
}

mod props {
    use super::*;
    use mynacard::card_identity::CardIdentity;
    use mynacard::surface::{Image, SurfaceApInfo};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn parsers_never_panic(data in proptest::collection::vec(any::<u8>(), 0..800)) {
            let _ = AgeRecord::parse(&data);
            let _ = CardFace::parse(&data);
            let _ = MyNumberImage::parse(&data);
            let _ = SurfaceApInfo::parse(&data);
            let _ = CardIdentity::parse(&data);
            let _ = mynacard::cvc::CvCertificate::parse(&data);
            let _ = mynacard::cvc::SignedPublicKey::parse(&data);
            let _ = Image::new(data.clone()).dimensions();
        }

        #[test]
        fn mutated_real_layouts_never_panic(
            which in 0usize..4,
            flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
            cut in any::<usize>(),
        ) {
            static FILES: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
            let files = FILES.get_or_init(|| {
                let vc = VirtualCard::new();
                [1u16, 2, 3, 5].iter().map(|f| file(&vc, *f)).collect()
            });
            let mut d = files[which].clone();
            for (at, x) in flips {
                let i = at % d.len();
                d[i] ^= x;
            }
            d.truncate(cut % (d.len() + 1));
            let _ = AgeRecord::parse(&d);
            if let Ok(f) = CardFace::parse(&d) {
                let _ = f.signed_digest_info();
                let _ = f.photo.dimensions();
            }
            let _ = MyNumberImage::parse(&d);
            let _ = SurfaceApInfo::parse(&d);
        }
    }
}
