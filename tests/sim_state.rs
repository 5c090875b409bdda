//! The virtual card's state file: persistence, locking, corruption.

use mynacard::credential::AuthPin;
use mynacard::sim::{App, StateError, VirtualCard};
use mynacard::{Card, Error, LastTry};

#[test]
fn counters_persist_across_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    {
        let mut card = Card::new(VirtualCard::open(&path).unwrap());
        let e = card.verify(&AuthPin::parse("0000").unwrap()).unwrap_err();
        assert_eq!(e.tries_left(), Some(2));
    }
    let vc = VirtualCard::open(&path).unwrap();
    assert_eq!(vc.tries_left(App::Jpki, 0x18), Some(2));
}

#[test]
fn a_second_open_is_refused_while_the_first_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    let first = VirtualCard::open(&path).unwrap();
    match VirtualCard::open(&path) {
        Err(StateError::Locked(p)) => assert_eq!(p, path),
        other => panic!("{other:?}"),
    }
    drop(first);
    VirtualCard::open(&path).unwrap();
}

#[test]
fn corrupt_or_impossible_files_are_refused_and_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    drop(VirtualCard::open(&path).unwrap());
    let good = std::fs::read_to_string(&path).unwrap();
    let cases = [
        good[..good.len() / 2].to_string(),
        good.replace("\"tries_left\": 3", "\"tries_left\": 9"),
        good.replace("\"version\": 1", "\"version\": 7"),
        String::new(),
    ];
    for bad in cases {
        std::fs::write(&path, &bad).unwrap();
        let e = VirtualCard::open(&path).unwrap_err();
        assert!(matches!(e, StateError::Corrupt { .. }), "{e}");
        assert!(e.to_string().contains("left untouched"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), bad);
    }
}

#[test]
fn the_last_wrong_try_is_persisted_before_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    let mut card = Card::new(VirtualCard::open(&path).unwrap());
    let wrong = AuthPin::parse("0000").unwrap();
    for _ in 0..2 {
        let _ = card.verify(&wrong);
    }
    let e = card.verify_with(&wrong, LastTry::Allow).unwrap_err();
    assert_eq!(e.tries_left(), Some(0));
    // Read the file while the card is still open: already saved.
    let f: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(f["keys"]["jpki/0018"]["tries_left"], 0);
    assert!(matches!(
        card.verify(&AuthPin::parse("1234").unwrap()),
        Err(Error::Blocked { .. })
    ));
}
