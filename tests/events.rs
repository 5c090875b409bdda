//! Card events on the in-process virtual reader ([`VirtualSlot`]): the card pulled out and put
//! back, what the monitor reports, the transport while the card is out, and cancelling a wait.

#![cfg(feature = "sim")]

use std::thread;
use std::time::Duration;

use mynacard::apdu::{ins, StatusWord};
use mynacard::events::{CardEvent, CardKind, CardMonitor, MonitorError};
use mynacard::pin::PinKind;
use mynacard::sim::{Fault, Trigger, VirtualCard, VirtualSlot, ATR_CONTACT};
use mynacard::transport::{Transport, TransportError};
use mynacard::Card;

const LONG: Duration = Duration::from_secs(60);
const READER: &str = "Virtual reader 0";

fn inserted(kind: CardKind) -> CardEvent {
    CardEvent::CardInserted {
        reader: READER.into(),
        atr: ATR_CONTACT.to_vec(),
        kind,
    }
}

fn removed() -> CardEvent {
    CardEvent::CardRemoved {
        reader: READER.into(),
    }
}

#[test]
fn the_monitor_reports_the_reader_then_insert_remove_insert_with_atr_and_kind() {
    let slot = VirtualSlot::new(READER, VirtualCard::new());
    let mut m = slot.monitor();
    assert_eq!(
        m.wait(LONG).unwrap(),
        Some(CardEvent::ReaderAdded {
            reader: READER.into()
        })
    );
    assert_eq!(
        m.wait(LONG).unwrap(),
        Some(inserted(CardKind::MyNumberCard))
    );
    // Nothing more happens: the wait times out.
    assert_eq!(m.wait(Duration::ZERO).unwrap(), None);

    slot.remove();
    assert!(!slot.is_present());
    assert_eq!(m.wait(LONG).unwrap(), Some(removed()));
    assert_eq!(m.wait(Duration::ZERO).unwrap(), None);

    slot.insert();
    assert_eq!(
        m.wait(LONG).unwrap(),
        Some(inserted(CardKind::MyNumberCard))
    );
    assert_eq!(m.wait(Duration::ZERO).unwrap(), None);
}

#[test]
fn the_transport_fails_while_the_card_is_out_and_works_again_after() {
    let slot = VirtualSlot::new(READER, VirtualCard::new());
    let mut card = Card::new(slot.transport());
    assert_eq!(
        card.pin_status(PinKind::UserAuth).unwrap().tries_left(),
        Some(3)
    );
    slot.remove();
    let err = card.pin_status(PinKind::UserAuth).unwrap_err();
    assert_eq!(
        err,
        mynacard::Error::Transport(TransportError::CardRemoved),
        "{err}"
    );
    assert_eq!(
        slot.transport().transmit(&[0x00, 0xA4, 0x04, 0x0C]),
        Err(TransportError::CardRemoved)
    );
    slot.insert();
    // The session selects again on the fresh card (the removal made it forget).
    let mut card = Card::new(slot.transport());
    assert_eq!(
        card.pin_status(PinKind::UserAuth).unwrap().tries_left(),
        Some(3)
    );
}

#[test]
fn a_card_pulled_out_and_put_back_between_two_waits_is_reported_twice() {
    let slot = VirtualSlot::new(READER, VirtualCard::new());
    let mut m = slot.monitor();
    m.wait(LONG).unwrap();
    m.wait(LONG).unwrap();
    slot.remove();
    slot.insert();
    assert_eq!(m.wait(LONG).unwrap(), Some(removed()));
    assert_eq!(
        m.wait(LONG).unwrap(),
        Some(inserted(CardKind::MyNumberCard))
    );
    assert_eq!(m.wait(Duration::ZERO).unwrap(), None);
}

#[test]
fn a_card_without_jpki_is_reported_as_another_card_and_the_probe_is_one_select() {
    let mut vc = VirtualCard::new();
    vc.inject(Trigger::ins(ins::SELECT), Fault::Refuse(StatusWord(0x6A82)));
    let log = vc.log();
    let slot = VirtualSlot::new(READER, vc);
    let mut m = slot.monitor();
    m.wait(LONG).unwrap();
    assert_eq!(m.wait(LONG).unwrap(), Some(inserted(CardKind::OtherCard)));
    // The probe is the library's JPKI SELECT, and nothing else.
    let sent: Vec<String> = log
        .entries()
        .iter()
        .map(|x| hex::encode_upper(&x.command))
        .collect();
    assert_eq!(sent, ["00A4040C0AD392F000260100000001"]);
}

#[test]
fn a_card_inserted_from_another_thread_ends_a_blocking_wait() {
    let slot = VirtualSlot::new(READER, VirtualCard::new());
    slot.remove();
    let mut m = slot.monitor();
    assert!(matches!(
        m.wait(LONG).unwrap(),
        Some(CardEvent::ReaderAdded { .. })
    ));
    assert_eq!(m.wait(Duration::ZERO).unwrap(), None, "the card is out");
    let other = slot.clone();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        other.insert();
    });
    assert_eq!(
        m.wait(LONG).unwrap(),
        Some(inserted(CardKind::MyNumberCard))
    );
    t.join().unwrap();
}

#[test]
fn cancel_ends_a_wait_in_progress_and_a_cancel_before_a_wait_ends_that_one_only() {
    let slot = VirtualSlot::new(READER, VirtualCard::new());
    let mut m = slot.monitor();
    m.wait(LONG).unwrap();
    m.wait(LONG).unwrap();
    let cancel = m.canceller();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(50));
        cancel.cancel();
    });
    // Were the cancel lost, this would time out after a minute with Ok(None).
    assert_eq!(m.wait(LONG), Err(MonitorError::Cancelled));
    t.join().unwrap();

    m.canceller().cancel();
    assert_eq!(m.wait(LONG), Err(MonitorError::Cancelled));
    // The cancel is used up: the monitor works on.
    slot.remove();
    assert_eq!(m.wait(LONG).unwrap(), Some(removed()));
}
