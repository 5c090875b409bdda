//! 共通カードAP record 1 on the virtual card: the layout, the exchanges, and the fallbacks.

#![cfg(feature = "sim")]

use mynacard::card_identity::CardIdentity;
use mynacard::sim::{App, Ef, Holder, SimOptions, VirtualCard};
use mynacard::{Card, Error};

#[test]
fn reads_serial_municipality_and_expiry_in_two_exchanges() {
    let holder = Holder {
        birth: (1980, 2, 17),
        expiry_year: 2035,
        ..Default::default()
    };
    let vc = VirtualCard::with_holder(holder, 42);
    let log = vc.log();
    let mut card = Card::new(vc);
    let id = card.common().identity().unwrap();
    assert_eq!(id.serial, "000000000000042");
    assert_eq!(id.municipality_code, "13999");
    assert_eq!(id.prefecture_code(), "13");
    // The birthday in the expiry year, as on the test card (20350217 for a 02-17 birthday).
    assert_eq!(id.expiry.to_string(), "2035-02-17");
    assert_eq!(card.exchanges(), 2);
    let e = log.entries();
    assert_eq!(
        e[1].command,
        [0x00, 0xB2, 0x01, 0x0C, 0x00],
        "READ RECORD 1, SFI 1"
    );
    assert_eq!(
        id.to_string(),
        "serial 000000000000042, municipality 13999 (prefecture 13), expires 2035-02-17"
    );
}

#[test]
fn the_record_has_the_published_layout() {
    let vc = VirtualCard::new();
    let rec = match vc.file(App::Common, 0x0001) {
        Some(Ef::Records { records, .. }) => records[0].clone(),
        other => panic!("{other:?}"),
    };
    // 01 1C + 28 ASCII digits (docs/card.md §2).
    assert_eq!(rec.len(), 30);
    assert_eq!(&rec[..2], &[0x01, 0x1C]);
    assert!(rec[2..].iter().all(u8::is_ascii_digit));
    assert_eq!(&rec[17..22], b"13999");
    assert_eq!(&rec[22..], b"20350401");
    CardIdentity::parse(&rec).unwrap();
}

#[test]
fn a_card_without_sfi_gets_select_and_read_record() {
    let vc = VirtualCard::new().with_options(SimOptions {
        sfi: false,
        ..Default::default()
    });
    let log = vc.log();
    let mut card = Card::new(vc);
    let id = card.common().identity().unwrap();
    assert_eq!(id.municipality_code, "13999");
    // SELECT AP, the refused SFI read, SELECT EF 0001, READ RECORD 1 (current EF).
    assert_eq!(card.exchanges(), 4);
    let e = log.entries();
    assert_eq!(e[2].command, [0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x01]);
    assert_eq!(e[3].command, [0x00, 0xB2, 0x01, 0x04, 0x00]);
    // Learnt: the next read goes straight to SELECT EF (already selected: one exchange).
    card.common().identity().unwrap();
    assert_eq!(card.exchanges(), 5);
}

#[test]
fn bad_records_are_parse_errors_and_missing_ones_not_found() {
    let mut vc = VirtualCard::new();
    vc.put_file(
        App::Common,
        0x0001,
        Ef::Records {
            records: vec![b"\x01\x1c40000001271984313221203513XX".to_vec()],
            access: mynacard::sim::Access::Free,
        },
    );
    let mut card = Card::new(&mut vc);
    let e = card.common().identity().unwrap_err();
    assert!(matches!(e, Error::Parse { .. }), "{e:?}");
    drop(card);
    vc.put_file(
        App::Common,
        0x0001,
        Ef::Records {
            records: vec![],
            access: mynacard::sim::Access::Free,
        },
    );
    let mut card = Card::new(&mut vc);
    let e = card.common().identity().unwrap_err();
    assert!(matches!(e, Error::NotFound { .. }), "{e:?}");
}
