//! The library's secure messaging session against the virtual card: what it reads equals the
//! plain reads, it presents 照合番号A/B encrypted, tracks the counter, and stops for good (typed
//! error, nothing retried) once the card reports a secure messaging error.

use mynacard::credential::{MatchingNumberB, MyNumber, TextAssistPin};
use mynacard::sim::{App, VirtualCard};
use mynacard::sm::SmError;
use mynacard::text_assist::{TextAssistKey, TextAssistOptions};
use mynacard::transport::{Transport, TransportError, Wrapper};
use mynacard::{Card, Error, LastTry};

fn pin() -> TextAssistPin {
    TextAssistPin::parse("1234").unwrap()
}

#[test]
fn reads_the_same_values_as_the_plain_path_with_every_exchange_counted() {
    let vc = VirtualCard::new();
    let holder = vc.holder().clone();
    let log = vc.log();
    let mut card = Card::new(vc);
    let plain = {
        let mut t = card
            .text_assist(
                TextAssistKey::Pin(&pin()),
                TextAssistOptions {
                    check_digests: false,
                    ..Default::default()
                },
            )
            .unwrap();
        t.basic_four().unwrap()
    };
    card.unpower().unwrap();
    log.clear();
    let before = card.exchanges();
    let mut sm = card.secure_messaging(&pin(), LastTry::Refuse).unwrap();
    let opened = sm.exchanges() - before;
    assert_eq!(sm.counter(), 1);
    let b = sm.basic_four().unwrap();
    assert_eq!(b, plain);
    assert_eq!(sm.counter(), 3, "SELECT and READ under secure messaging");
    let n = sm.my_number().unwrap();
    assert_eq!(n, MyNumber::parse(&holder.my_number).unwrap());
    assert_eq!(sm.counter(), 5);
    // Opening: SELECT AP, PIN status, VERIFY, READ 0006 (by SFI), SET SESSION KEY.
    assert_eq!(opened, 5);
    assert_eq!(card.exchanges() - before, 9);
    assert_eq!(log.len() as u64, card.exchanges() - before);
    // The My Number never crossed the interface in the clear.
    let digits = holder.my_number.as_bytes();
    for e in log.entries() {
        let r = e.response.clone().unwrap_or_default();
        assert!(
            !r.windows(12).any(|w| w == digits),
            "My Number in the clear: {e}"
        );
    }
}

#[test]
fn matching_numbers_are_presented_encrypted_and_wrong_ones_spend_a_try() {
    let vc = VirtualCard::new();
    let holder = vc.holder().clone();
    let mut card = Card::new(vc);
    let mut sm = card.secure_messaging(&pin(), LastTry::Refuse).unwrap();
    let b = MatchingNumberB::parse(&holder.matching_b()).unwrap();
    sm.verify_matching_b(&b).unwrap();
    sm.verify_matching_a(&MyNumber::parse(&holder.my_number).unwrap())
        .unwrap();
    // Two SM VERIFYs: counter 3. (The guard's status queries are plain and do not count.)
    assert_eq!(sm.counter(), 3);
    // The same with the last digit (of the security code) changed.
    let mut w = holder.matching_b();
    let last = w.pop().unwrap();
    w.push(if last == '0' { '1' } else { '0' });
    let wrong = MatchingNumberB::parse(&w).unwrap();
    match sm.verify_matching_b(&wrong) {
        Err(SmError::Card(Error::WrongMatchingNumber { .. })) => {}
        other => panic!("{other:?}"),
    }
    // Refused by the application, counted by the SM layer: the session goes on.
    assert_eq!(sm.counter(), 4);
    assert!(!sm.has_ended());
    sm.basic_four().unwrap();
}

/// Flips one byte of the `nth` command (counting from 0) or of its response.
struct Tamper {
    inner: VirtualCard,
    seen: usize,
    command: Option<usize>,
    response: Option<usize>,
}

impl Wrapper for Tamper {
    type Inner = VirtualCard;
    fn inner(&self) -> &VirtualCard {
        &self.inner
    }
    fn inner_mut(&mut self) -> &mut VirtualCard {
        &mut self.inner
    }
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let i = self.seen;
        self.seen += 1;
        let mut c = command.to_vec();
        if self.command == Some(i) {
            let l = c.len();
            c[l - 1] ^= 0x01;
        }
        let mut r = self.inner.transmit(&c)?;
        if self.response == Some(i) && r.len() > 40 {
            // The last byte of the second-to-last cipher block: in CBC it flips exactly the last
            // plaintext byte, which is padding (80 or 00), so the padding no longer checks.
            let l = r.len();
            r[l - 2 - 16 - 1] ^= 0x01;
        }
        Ok(r)
    }
}

#[test]
fn a_secure_messaging_error_ends_the_session_and_nothing_is_retried() {
    // Exchanges 0..=4 open the session; 5 is the SM SELECT: corrupt its cryptogram.
    let mut card = Card::new(Tamper {
        inner: VirtualCard::new(),
        seen: 0,
        command: Some(5),
        response: None,
    });
    let mut sm = card.secure_messaging(&pin(), LastTry::Refuse).unwrap();
    match sm.basic_four() {
        Err(SmError::SessionLost { sw }) => assert_eq!(sw.0, 0x6988),
        other => panic!("{other:?}"),
    }
    assert!(sm.has_ended());
    let n = sm.exchanges();
    assert!(matches!(sm.basic_four(), Err(SmError::SessionEnded)));
    assert!(matches!(sm.my_number(), Err(SmError::SessionEnded)));
    assert_eq!(
        sm.exchanges(),
        n,
        "nothing is sent once the session has ended"
    );
    drop(sm);
    // The card agrees: the next SM command would be 69FC.
    assert!(!card.into_transport().inner.sm_open());
}

#[test]
fn a_response_that_does_not_decrypt_ends_the_session() {
    let mut card = Card::new(Tamper {
        inner: VirtualCard::new(),
        seen: 0,
        command: None,
        response: Some(6), // the SM READ's response
    });
    let mut sm = card.secure_messaging(&pin(), LastTry::Refuse).unwrap();
    let e = sm.basic_four();
    assert!(matches!(e, Err(SmError::BadResponse)), "{e:?}");
    assert!(matches!(sm.basic_four(), Err(SmError::SessionEnded)));
}

/// Flips the first cryptogram byte of the `nth` response: CBC garbles the first block and the
/// padding survives. This AP's secure messaging has no checksum, so only the parse notices.
struct TamperFirst(VirtualCard, usize, usize);

impl Wrapper for TamperFirst {
    type Inner = VirtualCard;
    fn inner(&self) -> &VirtualCard {
        &self.0
    }
    fn inner_mut(&mut self) -> &mut VirtualCard {
        &mut self.0
    }
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut r = self.0.transmit(command)?;
        if self.1 == self.2 && r.len() > 40 {
            let at = if r[1] < 0x80 {
                3
            } else {
                2 + (r[1] as usize & 0x7F) + 2
            };
            r[at] ^= 0x01;
        }
        self.1 += 1;
        Ok(r)
    }
}

#[test]
fn without_integrity_a_corrupted_block_is_caught_by_the_parser_only() {
    let mut card = Card::new(TamperFirst(VirtualCard::new(), 0, 6));
    let mut sm = card.secure_messaging(&pin(), LastTry::Refuse).unwrap();
    let e = sm.basic_four();
    assert!(
        matches!(e, Err(SmError::Card(Error::Parse { .. }))),
        "{e:?}"
    );
}

#[test]
fn a_wrong_pin_opens_nothing() {
    let mut vc = VirtualCard::new();
    vc.set_tries_left(App::TextAssist, 0x0011, 3).unwrap();
    let mut card = Card::new(vc);
    let e = card
        .secure_messaging(&TextAssistPin::parse("9999").unwrap(), LastTry::Refuse)
        .unwrap_err();
    assert!(matches!(e, SmError::Card(Error::WrongPin { .. })), "{e:?}");
    assert!(!card.into_transport().sm_open());
}

#[test]
fn after_an_sm_select_a_plain_read_does_not_trust_a_stale_ef() {
    use mynacard::applets::text;
    use mynacard::session::FileSize;
    let mut card = Card::new(VirtualCard::new());
    {
        // Opening reads EF 0006 plainly (the session then believes 0006 is current); the SM
        // SELECT makes 0002 current on the card.
        let mut sm = card.secure_messaging(&pin(), LastTry::Refuse).unwrap();
        sm.basic_four().unwrap();
    }
    let f = card
        .session_mut()
        .read_file(text::SM_KEY, FileSize::Tlv { likely_large: true })
        .unwrap();
    assert_eq!(f[0], 0xA1, "read another file than EF 0006");
}
