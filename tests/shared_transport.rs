//! A shared transport (a PC/SC connection in shared mode) lets other programs select other
//! applications between this program's transactions. The session must then select again at the
//! start of every transaction instead of trusting its cache; on an exclusive transport it keeps
//! the cache.

#![cfg(feature = "sim")]

use std::cell::RefCell;
use std::rc::Rc;

use mynacard::applets;
use mynacard::pin::{PinKind, RetryState};
use mynacard::sim::VirtualCard;
use mynacard::transport::{Transport, TransportCaps, TransportError};
use mynacard::Card;

/// The virtual card, declared shared or not. The test keeps a second handle to the card, to
/// play another program that sends commands behind the session's back.
struct Shared {
    card: Rc<RefCell<VirtualCard>>,
    shared: bool,
}

impl Transport for Shared {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.card.borrow_mut().transmit(command)
    }
    fn caps(&self) -> TransportCaps {
        self.card.borrow().caps()
    }
    fn shared(&self) -> bool {
        self.shared
    }
}

/// Another program selects the text-assist application (and so clears the JPKI security status
/// and selection) between our transactions.
fn other_program_selects_text_assist(card: &RefCell<VirtualCard>) {
    let mut cmd = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
    cmd.extend_from_slice(applets::TEXT_ASSIST.as_bytes());
    assert_eq!(card.borrow_mut().transmit(&cmd).unwrap(), vec![0x90, 0x00]);
}

fn setup(shared: bool) -> (Card<Shared>, Rc<RefCell<VirtualCard>>) {
    let vc = Rc::new(RefCell::new(VirtualCard::new()));
    let card = Card::new(Shared {
        card: vc.clone(),
        shared,
    });
    (card, vc)
}

#[test]
fn a_shared_transport_reselects_at_every_transaction() {
    let (mut card, vc) = setup(true);
    assert_eq!(
        card.pin_status(PinKind::UserAuth).unwrap().refs[0].state,
        RetryState::TriesLeft(3)
    );
    other_program_selects_text_assist(&vc);
    let log = vc.borrow().log();
    let before = log.len();
    // The JPKI application is selected again, so the query reaches the right key.
    let st = card.pin_status(PinKind::UserAuth).unwrap();
    assert_eq!(st.refs[0].state, RetryState::TriesLeft(3));
    let sent = log.entries();
    assert_eq!(sent[before].ins(), Some(0xA4), "{:?}", &sent[before..]);
    assert_eq!(&sent[before].command[5..], applets::JPKI.as_bytes());
}

#[test]
fn an_exclusive_transport_keeps_its_selection_cache() {
    let (mut card, vc) = setup(false);
    card.pin_status(PinKind::UserAuth).unwrap();
    let log = vc.borrow().log();
    let before = log.len();
    card.pin_status(PinKind::UserAuth).unwrap();
    // One exchange: the case-1 VERIFY, without a SELECT.
    assert_eq!(log.len() - before, 1, "{:?}", &log.entries()[before..]);
}

/// A shared transport that reports, at each transaction, whether the card stayed reserved for
/// it since the last one (as a PC/SC connection that lingers), and what its discovery selected.
struct Kept {
    card: Rc<RefCell<VirtualCard>>,
    kept: Rc<RefCell<bool>>,
    discovered: Option<applets::Aid>,
}

impl Transport for Kept {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.card.borrow_mut().transmit(command)
    }
    fn caps(&self) -> TransportCaps {
        self.card.borrow().caps()
    }
    fn shared(&self) -> bool {
        true
    }
    fn selection_kept(&self) -> bool {
        *self.kept.borrow()
    }
    fn selected_on_open(&self) -> Option<applets::Aid> {
        self.discovered
    }
}

fn select_jpki(card: &RefCell<VirtualCard>) {
    let mut cmd = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
    cmd.extend_from_slice(applets::JPKI.as_bytes());
    assert_eq!(card.borrow_mut().transmit(&cmd).unwrap(), vec![0x90, 0x00]);
}

#[test]
fn a_shared_transport_that_kept_the_card_keeps_the_selection_and_one_that_did_not_selects_again() {
    let vc = Rc::new(RefCell::new(VirtualCard::new()));
    // The discovery selected JPKI on the transport's own connection.
    select_jpki(&vc);
    let kept = Rc::new(RefCell::new(true));
    let mut card = Card::new(Kept {
        card: vc.clone(),
        kept: kept.clone(),
        discovered: Some(applets::JPKI),
    });
    let log = vc.borrow().log();
    // Kept since the discovery: the session trusts it, one exchange (the counter read).
    let before = log.len();
    card.pin_status(PinKind::UserAuth).unwrap();
    assert_eq!(log.len() - before, 1, "{:?}", &log.entries()[before..]);
    // Kept between two operations: still no SELECT.
    let before = log.len();
    card.pin_status(PinKind::UserAuth).unwrap();
    assert_eq!(log.len() - before, 1, "{:?}", &log.entries()[before..]);
    // Released in between, and another program selected text assist: the session selects JPKI
    // again, and the counter read reaches the right key.
    *kept.borrow_mut() = false;
    other_program_selects_text_assist(&vc);
    let before = log.len();
    let st = card.pin_status(PinKind::UserAuth).unwrap();
    assert_eq!(st.refs[0].state, RetryState::TriesLeft(3));
    let sent = log.entries();
    assert_eq!(sent.len() - before, 2, "{:?}", &sent[before..]);
    assert_eq!(&sent[before].command[5..], applets::JPKI.as_bytes());
}

#[test]
fn a_discovery_not_kept_until_the_first_operation_is_not_trusted() {
    let vc = Rc::new(RefCell::new(VirtualCard::new()));
    select_jpki(&vc);
    // Between the discovery and the first operation the card was released, and another
    // program selected text assist.
    other_program_selects_text_assist(&vc);
    let mut card = Card::new(Kept {
        card: vc.clone(),
        kept: Rc::new(RefCell::new(false)),
        discovered: Some(applets::JPKI),
    });
    let log = vc.borrow().log();
    let before = log.len();
    let st = card.pin_status(PinKind::UserAuth).unwrap();
    assert_eq!(st.refs[0].state, RetryState::TriesLeft(3));
    let sent = log.entries();
    assert_eq!(&sent[before].command[5..], applets::JPKI.as_bytes());
}
