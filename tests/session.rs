//! Session behaviour against scripted transports: 61xx, 6Cxx, no other re-sends, cache.

use std::collections::VecDeque;

use mynacard::apdu::Command;
use mynacard::applets::{self, Fid};
use mynacard::session::{FileSize, Session, Support, MAX_GET_RESPONSE};
use mynacard::sim::{SimOptions, VirtualCard};
use mynacard::transport::{Recorder, Transport, TransportError};
use mynacard::Error;

/// Answers from a script and records what it was sent.
struct Script {
    answers: VecDeque<Result<Vec<u8>, TransportError>>,
    sent: Vec<Vec<u8>>,
}

impl Script {
    fn new(answers: Vec<Result<Vec<u8>, TransportError>>) -> Self {
        Script {
            answers: answers.into(),
            sent: Vec::new(),
        }
    }
}

impl Transport for Script {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.sent.push(command.to_vec());
        self.answers
            .pop_front()
            .unwrap_or(Err(TransportError::NoResponse))
    }
}

#[test]
fn get_response_loop_collects_all_data() {
    let mut s = Session::new(Script::new(vec![
        Ok(vec![1, 2, 0x61, 0x02]),
        Ok(vec![3, 4, 0x61, 0x01]),
        Ok(vec![5, 0x90, 0x00]),
    ]));
    let r = s
        .transmit(&Command::new(0, 0xB0, 0, 0).with_ne(256).unwrap())
        .unwrap();
    assert_eq!(r.data, vec![1, 2, 3, 4, 5]);
    let sent = &s.transport().sent;
    assert_eq!(sent[1], vec![0x00, 0xC0, 0x00, 0x00, 0x02]);
    assert_eq!(sent[2], vec![0x00, 0xC0, 0x00, 0x00, 0x01]);
    assert_eq!(s.exchanges(), 3);
}

#[test]
fn get_response_loop_is_bounded() {
    let answers = (0..MAX_GET_RESPONSE + 5)
        .map(|_| Ok(vec![0, 0x61, 0x01]))
        .collect();
    let mut s = Session::new(Script::new(answers));
    let e = s
        .transmit(&Command::new(0, 0xB0, 0, 0).with_ne(1).unwrap())
        .unwrap_err();
    assert!(matches!(e, Error::Protocol(_)));
    assert_eq!(s.exchanges() as usize, MAX_GET_RESPONSE + 1);
}

#[test]
fn wrong_le_is_resent_exactly_once() {
    let mut s = Session::new(Script::new(vec![
        Ok(vec![0x6C, 0x03]),
        Ok(vec![0x6C, 0x02]),
        Ok(vec![0x90, 0x00]),
    ]));
    let r = s
        .transmit(&Command::new(0, 0xB0, 0, 0).with_ne(8).unwrap())
        .unwrap();
    // The second 6Cxx is returned, not followed.
    assert_eq!(r.sw.0, 0x6C02);
    assert_eq!(s.transport().sent.len(), 2);
    assert_eq!(s.transport().sent[1], vec![0, 0xB0, 0, 0, 0x03]);
}

#[test]
fn a_verify_is_never_resent_even_on_6cxx_or_errors() {
    for answer in [
        Ok(vec![0x6C, 0x04]),
        Err(TransportError::NoResponse),
        Ok(vec![0x6F]),
    ] {
        let mut s = Session::new(Script::new(vec![answer, Ok(vec![0x90, 0x00])]));
        let cmd = Command::new(0, 0x20, 0, 0x80).with_data(b"1234").unwrap();
        let _ = s.transmit(&cmd);
        assert_eq!(s.transport().sent.len(), 1);
    }
}

#[test]
fn selection_is_cached_and_forgotten_on_error_and_reset() {
    let mut s = Session::new(Script::new(vec![
        Ok(vec![0x90, 0x00]),
        Ok(vec![0x6A, 0x82]),
        Ok(vec![0x90, 0x00]),
        Err(TransportError::CardReset),
        Ok(vec![0x90, 0x00]),
    ]));
    s.select_df(&applets::JPKI).unwrap();
    s.select_df(&applets::JPKI).unwrap();
    assert_eq!(s.exchanges(), 1);
    // An error status forgets the selection.
    assert!(s.select_ef(Fid(0x0030)).is_err());
    assert_eq!(s.selected(), (None, None));
    s.select_df(&applets::JPKI).unwrap();
    assert_eq!(s.exchanges(), 3);
    // A reset is reported, not hidden, and forgets the selection.
    let e = s
        .transmit(&Command::new(0, 0xB0, 0x8A, 0).with_ne(4).unwrap())
        .unwrap_err();
    assert_eq!(e, Error::CardReset);
    assert!(s.reset_seen());
    assert_eq!(s.selected(), (None, None));
    s.select_df(&applets::JPKI).unwrap();
    assert_eq!(s.exchanges(), 5);
}

#[test]
fn reads_fall_back_when_sfi_and_extended_are_refused() {
    for (sfi, ext) in [(true, true), (true, false), (false, true), (false, false)] {
        let vc = VirtualCard::new().with_options(SimOptions {
            sfi,
            extended: ext,
            ..SimOptions::default()
        });
        let mut s = Session::new(Recorder::new(vc));
        s.select_df(&applets::JPKI).unwrap();
        let data = s
            .read_file(applets::jpki::TOKEN_INFO, FileSize::Fixed(160))
            .unwrap();
        assert_eq!(&data[..15], b"JPKIAPICCTOKEN2");
        // 160 bytes fit one short read: extended length is not tried, so a card that refuses
        // it costs no refused attempt, and nothing is learnt about it.
        let caps = s.capabilities();
        assert_eq!(caps.extended, Support::Unknown, "{sfi} {ext}");
        assert_eq!(caps.sfi == Support::Yes, sfi, "{sfi} {ext}");
        // Reading again uses what was learnt: no refused attempt is repeated.
        let before = s.exchanges();
        s.forget();
        s.select_df(&applets::JPKI).unwrap();
        s.read_file(applets::jpki::TOKEN_INFO, FileSize::Fixed(160))
            .unwrap();
        let second = s.exchanges() - before;
        let expected = 1 + if sfi { 1 } else { 2 };
        assert_eq!(second, expected, "sfi={sfi} ext={ext}");
        // A certificate does not fit: extended length is tried once, its refusal remembered.
        let before = s.exchanges();
        let cert = s
            .read_file(
                applets::jpki::AUTH_CERT,
                FileSize::Tlv { likely_large: true },
            )
            .unwrap();
        assert!(cert.len() > 256);
        let expected_ext = if ext { Support::Yes } else { Support::No };
        assert_eq!(s.capabilities().extended, expected_ext, "{sfi} {ext}");
        let chunks = cert.len().div_ceil(256) as u64;
        let addressing = if sfi { 0 } else { 1 };
        let expected = if ext { 1 } else { 1 + chunks } + addressing;
        assert_eq!(s.exchanges() - before, expected, "sfi={sfi} ext={ext}");
    }
}

/// A file announced as small that turns out to need more than two short reads: the first 256
/// bytes come in one short read, the rest in one extended read where it works, in short chunks
/// where the card refuses it (learnt once).
#[test]
fn a_small_file_that_is_large_gets_its_rest_in_one_extended_read() {
    use mynacard::sim::{Access, App, Ef};
    let mut big = Vec::new();
    mynacard::tlv::push(&mut big, 0xFF20, &[0x5A; 900]);
    for ext in [true, false] {
        let mut vc = VirtualCard::new().with_options(SimOptions {
            extended: ext,
            ..SimOptions::default()
        });
        vc.put_file(
            App::Jpki,
            0x0005,
            Ef::Binary {
                data: big.clone(),
                access: Access::Free,
            },
        );
        let log = vc.log();
        let mut s = Session::new(vc);
        s.select_df(&applets::JPKI).unwrap();
        let data = s
            .read_file(
                Fid(0x0005),
                FileSize::Tlv {
                    likely_large: false,
                },
            )
            .unwrap();
        assert_eq!(data, big);
        let cmds: Vec<Vec<u8>> = log.entries().into_iter().map(|e| e.command).collect();
        // The first read is short, by SFI, 256 bytes.
        assert_eq!(cmds[1], [0x00, 0xB0, 0x85, 0x00, 0x00]);
        if ext {
            // The rest (905 - 256 = 649 bytes) at offset 256, in one extended read.
            assert_eq!(big.len(), 905);
            assert_eq!(cmds[2], [0x00, 0xB0, 0x01, 0x00, 0x00, 0x02, 0x89]);
            assert_eq!(s.exchanges(), 3);
            assert_eq!(s.capabilities().extended, Support::Yes);
        } else {
            // Refused once (6700), then 256 + 256 + 137 in short reads by offset.
            assert_eq!(log.entries()[2].sw().map(|w| w.0), Some(0x6700));
            assert_eq!(s.exchanges(), 6);
            assert_eq!(s.capabilities().extended, Support::No);
            assert!(cmds[3..].iter().all(|c| c.len() == 5 && c[1] == 0xB0));
        }
    }
}

#[test]
fn reader_without_extended_length_is_never_sent_one() {
    let vc = VirtualCard::new().with_options(SimOptions {
        reader_extended: false,
        ..SimOptions::default()
    });
    let log = vc.log();
    let mut s = Session::new(vc);
    s.select_df(&applets::TEXT_ASSIST).unwrap();
    s.select_df(&applets::JPKI).unwrap();
    let data = s
        .read_file(applets::jpki::TOKEN_INFO, FileSize::Fixed(160))
        .unwrap();
    assert_eq!(data.len(), 160);
    assert!(!log.is_empty());
    for e in log.entries() {
        let view = mynacard::apdu::CommandView::parse(&e.command).unwrap();
        assert!(!view.case.is_extended(), "{e}");
    }
}

#[test]
fn responses_chained_with_61xx_are_reassembled() {
    let vc = VirtualCard::new().with_options(SimOptions {
        chunk_responses: Some(64),
        ..SimOptions::default()
    });
    let mut s = Session::new(vc);
    s.select_df(&applets::JPKI).unwrap();
    let data = s
        .read_file(applets::jpki::TOKEN_INFO, FileSize::Fixed(160))
        .unwrap();
    assert_eq!(&data[..15], b"JPKIAPICCTOKEN2");
    assert_eq!(data.len(), 160);
    // SELECT + READ + two GET RESPONSE rounds (64 + 64 + 32).
    assert_eq!(s.exchanges(), 4);
}
