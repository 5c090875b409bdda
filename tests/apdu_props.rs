//! Properties of the APDU and TLV codecs.

use mynacard::apdu::{Case, Command, CommandView, ResponseView, Status, StatusWord};
use proptest::prelude::*;

fn command() -> impl Strategy<Value = Command> {
    (
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        any::<u8>(),
        prop_oneof![
            3 => proptest::collection::vec(any::<u8>(), 0..=300),
            1 => proptest::collection::vec(any::<u8>(), 0..=70_000),
        ],
        prop_oneof![Just(None), (1usize..=65_536).prop_map(Some)],
        any::<bool>(),
    )
        .prop_map(|(cla, ins, p1, p2, data, ne, ext)| {
            let data = &data[..data.len().min(65_535)];
            let mut c = Command::new(cla, ins, p1, p2).with_data(data).unwrap();
            if let Some(ne) = ne {
                c = c.with_ne(ne).unwrap();
            }
            if ext {
                c = c.extended();
            }
            c
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Every command encodes and parses back identically, in all seven cases.
    #[test]
    fn commands_round_trip(c in command()) {
        let bytes = c.to_bytes();
        prop_assert_eq!(bytes.len(), c.encoded_len());
        let view = CommandView::parse(&bytes).unwrap();
        prop_assert_eq!(view.case, c.case());
        prop_assert_eq!(view.data, c.data());
        prop_assert_eq!(view.ne, c.ne());
        let back = view.to_owned();
        prop_assert_eq!(&back, &c);
        prop_assert_eq!(&*back.to_bytes(), &*bytes);
    }

    /// Parsing arbitrary bytes never panics, and whatever parses re-encodes to the same bytes.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(v) = CommandView::parse(&bytes) {
            prop_assert_eq!(&*v.to_owned().to_bytes(), &bytes[..]);
        }
        let _ = ResponseView::parse(&bytes);
        let _ = mynacard::tlv::parse_one(&bytes);
        let _ = mynacard::tlv::Iter::new(&bytes).count();
        let _ = mynacard::tlv::simple_tlv(&bytes);
    }

    /// The virtual card answers any byte sequence with a status word.
    #[test]
    fn virtual_card_answers_everything(cmds in proptest::collection::vec(
        proptest::collection::vec(any::<u8>(), 0..40), 1..20)) {
        let mut card = mynacard::sim::VirtualCard::new();
        for c in cmds {
            let r = card.process(&c);
            prop_assert!(r.sw.0 != 0);
        }
    }
}

/// All 65,536 status words round-trip through the classified enum.
#[test]
fn all_status_words_round_trip() {
    for w in 0..=u16::MAX {
        let sw = StatusWord(w);
        let st = Status::from(sw);
        assert_eq!(st.status_word(), sw, "{w:04X} -> {st:?}");
        if let Status::Other(o) = st {
            assert_eq!(o, sw);
        }
    }
    assert_eq!(Status::from(StatusWord(0x63C2)), Status::TriesLeft(2));
    assert_eq!(
        Status::from(StatusWord(0x6984)),
        Status::ReferenceDataBlocked
    );
}

/// The seven cases encode to the lengths ISO 7816-3 gives them.
#[test]
fn seven_cases() {
    let d = [1u8, 2, 3];
    let cases = [
        (Command::new(0, 0x20, 0, 0x80), Case::Case1, 4),
        (
            Command::new(0, 0xB0, 0, 0).with_ne(4).unwrap(),
            Case::Case2Short,
            5,
        ),
        (
            Command::new(0, 0xA4, 2, 0x0C).with_data(&d).unwrap(),
            Case::Case3Short,
            8,
        ),
        (
            Command::new(0x80, 0x2A, 0, 0x80)
                .with_data(&d)
                .unwrap()
                .with_ne(256)
                .unwrap(),
            Case::Case4Short,
            9,
        ),
        (
            Command::new(0, 0xB0, 0x8A, 0).with_ne(65_536).unwrap(),
            Case::Case2Extended,
            7,
        ),
        (
            Command::new(0, 0xD6, 0, 0).with_data(&[0; 300]).unwrap(),
            Case::Case3Extended,
            307,
        ),
        (
            Command::new(0x80, 0x2A, 0, 0x80)
                .with_data(&d)
                .unwrap()
                .with_ne(512)
                .unwrap(),
            Case::Case4Extended,
            12,
        ),
    ];
    for (c, case, len) in cases {
        assert_eq!(c.case(), case);
        assert_eq!(c.to_bytes().len(), len, "{case:?}");
    }
}
