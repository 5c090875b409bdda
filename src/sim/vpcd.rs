//! Serving the virtual card to a real PC/SC stack through vsmartcard's `vpcd` reader driver.
//!
//! `vpcd` is a pcsc-lite reader driver (Debian package `vsmartcard-vpcd`). For each of its
//! slots it listens on a TCP port (the first on [`DEFAULT_PORT`]) and a virtual card connects
//! to it as a client; while the connection is up, pcscd sees a card in that reader.
//!
//! Every message, in either direction, is a two-byte big-endian length followed by that many
//! bytes. From the reader, a one-byte message is a control ([`Frame::PowerOff`],
//! [`Frame::PowerOn`], [`Frame::Reset`], [`Frame::GetAtr`]); anything longer is a command APDU.
//! The card answers [`Frame::GetAtr`] with its ATR and each APDU with the response APDU; power
//! controls get no answer.
//!
//! [`parse_frame`] is a pure function over a byte buffer, so that bad input from the socket
//! gives a [`FrameError`] (and the frame is skipped), never a panic. [`serve`] runs the protocol
//! for a [`VirtualCard`] over any byte stream.

use std::io::{self, Read, Write};

use crate::apdu::{ins, StatusWord};
use crate::transport::Exchange;

use super::VirtualCard;

/// The TCP port of vpcd's first slot (`Virtual PCD 00 00`); the second slot is one higher.
pub const DEFAULT_PORT: u16 = 35963;

/// The largest payload the two-byte length can carry.
pub const MAX_PAYLOAD: usize = 0xFFFF;

/// One message from vpcd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// Control byte `00`: the reader removes power from the card.
    PowerOff,
    /// Control byte `01`: the reader powers the card (a cold reset).
    PowerOn,
    /// Control byte `02`: the reader resets the card (a warm reset).
    Reset,
    /// Control byte `04`: the reader asks for the ATR.
    GetAtr,
    /// A command APDU (two bytes or more).
    Apdu(&'a [u8]),
}

/// A message from vpcd that is not understood. The frame is skipped; the stream stays in step
/// because every frame carries its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// A message of length zero.
    #[error("empty vpcd message")]
    Empty,
    /// A one-byte message that is not a known control.
    #[error("unknown vpcd control byte {0:#04x}")]
    UnknownControl(u8),
    /// A payload too long for the two-byte length.
    #[error("a message of {0} bytes does not fit vpcd's two-byte length")]
    TooLong(usize),
}

/// Parses the first frame in `buf`.
///
/// Returns `None` when `buf` does not yet hold a whole frame, otherwise the number of bytes the
/// frame occupies (always at least 2, so a caller skipping them makes progress) and the frame or
/// the reason it is not understood. Never panics, whatever the input.
pub fn parse_frame(buf: &[u8]) -> Option<(usize, Result<Frame<'_>, FrameError>)> {
    let (&[hi, lo], rest) = buf.split_first_chunk::<2>()?;
    let len = u16::from_be_bytes([hi, lo]) as usize;
    let payload = rest.get(..len)?;
    let frame = match payload {
        [] => Err(FrameError::Empty),
        [0x00] => Ok(Frame::PowerOff),
        [0x01] => Ok(Frame::PowerOn),
        [0x02] => Ok(Frame::Reset),
        [0x04] => Ok(Frame::GetAtr),
        [c] => Err(FrameError::UnknownControl(*c)),
        apdu => Ok(Frame::Apdu(apdu)),
    };
    Some((2 + len, frame))
}

/// Encodes a message for vpcd: the two-byte length, then the payload.
pub fn encode_frame(payload: &[u8]) -> Result<Vec<u8>, FrameError> {
    let len = u16::try_from(payload.len()).map_err(|_| FrameError::TooLong(payload.len()))?;
    let mut out = Vec::with_capacity(2 + payload.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    Ok(out)
}

/// Something that happened while serving, for logging.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// The reader removed power: the card's security status is cleared.
    PowerOff,
    /// The reader powered the card (a cold reset): security status starts empty.
    PowerOn,
    /// The reader reset the card (a warm reset): the selection is lost, but the security status
    /// of the current application survives, as measured on the real card
    /// ([card facts §3](crate::card_facts#s3)).
    Reset,
    /// The reader asked for the ATR and got these bytes.
    Atr(&'a [u8]),
    /// One command and its response, secrets masked (see [`log_line`] for a printable form).
    Exchange(&'a Exchange),
    /// A message that was not understood and was skipped.
    BadFrame(FrameError),
}

/// A printable line for an exchange, safe for logs: the data of VERIFY, CHANGE REFERENCE DATA,
/// CHANGE KEY and RESET RETRY COUNTER is masked (by [`Exchange`]), and the data of READ BINARY,
/// READ RECORD and GET RESPONSE answers is shown only by its length, because those answers may
/// hold the My Number, the holder's name and address, or a certificate.
pub fn log_line(e: &Exchange) -> String {
    let cmd = hex::encode_upper(&e.command);
    let hides_data = matches!(
        e.ins(),
        Some(ins::READ_BINARY | ins::READ_RECORD | ins::GET_RESPONSE)
    );
    match &e.response {
        Ok(r) if r.len() >= 2 && (hides_data || r.len() > 40) => format!(
            "> {cmd}  < [{} bytes] {}",
            r.len() - 2,
            hex::encode_upper(&r[r.len() - 2..])
        ),
        Ok(r) => format!("> {cmd}  < {}", hex::encode_upper(r)),
        Err(err) => format!("> {cmd}  < error: {err}"),
    }
}

/// A card that can be served to vpcd.
pub trait Icc {
    /// Power is removed.
    fn power_off(&mut self);
    /// Power is applied (a cold reset).
    fn power_on(&mut self);
    /// A warm reset.
    fn reset(&mut self);
    /// Executes one command APDU and returns the response APDU (data and status word).
    fn process(&mut self, apdu: &[u8]) -> Vec<u8>;
}

/// The virtual card as vpcd sees it. A command goes to [`VirtualCard::process`], so injected
/// faults and the card's in-memory exchange log are not used (a long-running server must not
/// grow a log without bound); [`serve`] reports each exchange through its callback instead.
impl Icc for VirtualCard {
    fn power_off(&mut self) {
        VirtualCard::power_off(self);
    }
    fn power_on(&mut self) {
        VirtualCard::power_on(self);
    }
    /// As measured on the real card, a warm reset keeps the security status of the current
    /// application ([card facts §3](crate::card_facts#s3)); only a power-off clears it.
    fn reset(&mut self) {
        VirtualCard::warm_reset(self);
    }
    fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        VirtualCard::process(self, apdu).to_bytes()
    }
}

/// Serves `card` over `stream` until the reader closes the connection.
///
/// Returns `Ok(())` when the stream ends between frames, and an error when it fails or ends in
/// the middle of a frame. Bad frames are reported through `on_event` and skipped.
pub fn serve<S: Read + Write, C: Icc + ?Sized>(
    stream: &mut S,
    card: &mut C,
    atr: &[u8],
    on_event: &mut dyn FnMut(Event<'_>),
) -> io::Result<()> {
    let mut buf: Vec<u8> = Vec::with_capacity(512);
    let mut chunk = [0u8; 4096];
    loop {
        // Handle every whole frame already received.
        while let Some((used, frame)) = parse_frame(&buf) {
            let reply = match frame {
                Ok(Frame::PowerOff) => {
                    card.power_off();
                    on_event(Event::PowerOff);
                    None
                }
                Ok(Frame::PowerOn) => {
                    card.power_on();
                    on_event(Event::PowerOn);
                    None
                }
                Ok(Frame::Reset) => {
                    card.reset();
                    on_event(Event::Reset);
                    None
                }
                Ok(Frame::GetAtr) => {
                    on_event(Event::Atr(atr));
                    Some(atr.to_vec())
                }
                Ok(Frame::Apdu(apdu)) => {
                    let mut response = card.process(apdu);
                    if response.len() > MAX_PAYLOAD {
                        // Cannot be framed; say so to the reader rather than cut the data.
                        response = StatusWord(0x6F00).0.to_be_bytes().to_vec();
                    }
                    on_event(Event::Exchange(&Exchange::new(apdu, Ok(response.clone()))));
                    Some(response)
                }
                Err(e) => {
                    on_event(Event::BadFrame(e));
                    None
                }
            };
            buf.drain(..used);
            if let Some(payload) = reply {
                let framed = encode_frame(&payload)
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                stream.write_all(&framed)?;
                stream.flush()?;
            }
        }
        let n = match stream.read(&mut chunk) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            return if buf.is_empty() {
                Ok(())
            } else {
                Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!(
                        "vpcd closed the connection inside a frame ({} bytes)",
                        buf.len()
                    ),
                ))
            };
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::ATR_CONTACT;
    use proptest::prelude::*;

    /// A stream that yields scripted input in small pieces and records what is written.
    struct Script {
        input: Vec<u8>,
        pos: usize,
        piece: usize,
        output: Vec<u8>,
    }

    impl Read for Script {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.piece.min(out.len()).min(self.input.len() - self.pos);
            out[..n].copy_from_slice(&self.input[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    impl Write for Script {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.output.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn frames(payloads: &[&[u8]]) -> Vec<u8> {
        payloads
            .iter()
            .flat_map(|p| encode_frame(p).unwrap())
            .collect()
    }

    fn replies(mut out: &[u8]) -> Vec<Vec<u8>> {
        let mut v = Vec::new();
        while let Some((used, f)) = parse_frame(out) {
            match f {
                Ok(Frame::Apdu(p)) => v.push(p.to_vec()),
                Ok(Frame::PowerOff) => v.push(vec![0]),
                Ok(Frame::PowerOn) => v.push(vec![1]),
                Ok(Frame::Reset) => v.push(vec![2]),
                Ok(Frame::GetAtr) => v.push(vec![4]),
                Err(_) => v.push(vec![]),
            }
            out = &out[used..];
        }
        assert!(out.is_empty(), "trailing bytes in the output");
        v
    }

    const SELECT_JPKI: &[u8] = &[
        0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01,
    ];

    #[test]
    fn parses_controls_apdus_and_partial_input() {
        assert_eq!(parse_frame(&[]), None);
        assert_eq!(parse_frame(&[0x00]), None);
        assert_eq!(parse_frame(&[0x00, 0x02, 0x00]), None);
        assert_eq!(parse_frame(&[0, 1, 0]), Some((3, Ok(Frame::PowerOff))));
        assert_eq!(parse_frame(&[0, 1, 1]), Some((3, Ok(Frame::PowerOn))));
        assert_eq!(parse_frame(&[0, 1, 2]), Some((3, Ok(Frame::Reset))));
        assert_eq!(parse_frame(&[0, 1, 4, 9, 9]), Some((3, Ok(Frame::GetAtr))));
        assert_eq!(
            parse_frame(&[0, 1, 3]),
            Some((3, Err(FrameError::UnknownControl(3))))
        );
        assert_eq!(parse_frame(&[0, 0, 7]), Some((2, Err(FrameError::Empty))));
        assert_eq!(
            parse_frame(&[0, 4, 0, 0xB0, 0, 0, 0xEE]),
            Some((6, Ok(Frame::Apdu(&[0, 0xB0, 0, 0]))))
        );
        assert_eq!(encode_frame(&[0x90, 0x00]).unwrap(), vec![0, 2, 0x90, 0x00]);
        assert_eq!(
            encode_frame(&vec![0; MAX_PAYLOAD + 1]),
            Err(FrameError::TooLong(MAX_PAYLOAD + 1))
        );
    }

    #[test]
    fn serves_atr_apdus_and_power_events_over_a_split_stream() {
        let input = frames(&[
            &[4],
            &[1],
            SELECT_JPKI,
            &[0x00, 0x20, 0x00, 0x98],
            &[0x00, 0x20, 0x00, 0x98, 0x04, b'1', b'2', b'3', b'4'],
            &[0x00, 0x20, 0x00, 0x98],
            &[2],
            &[0x00, 0x20, 0x00, 0x98],
            SELECT_JPKI,
            &[0x00, 0x20, 0x00, 0x98],
            &[0],
            &[1],
            SELECT_JPKI,
            &[0x00, 0x20, 0x00, 0x98],
        ]);
        // Deliver the bytes three at a time, so frames arrive split.
        let mut s = Script {
            input,
            pos: 0,
            piece: 3,
            output: Vec::new(),
        };
        let mut card = VirtualCard::new();
        let mut events = Vec::new();
        serve(&mut s, &mut card, &ATR_CONTACT, &mut |e| {
            events.push(match e {
                Event::Exchange(x) => log_line(x),
                other => format!("{other:?}"),
            })
        })
        .unwrap();
        let r = replies(&s.output);
        assert_eq!(r[0], ATR_CONTACT.to_vec());
        assert_eq!(r[1], vec![0x90, 0x00]); // SELECT
        assert_eq!(r[2], vec![0x63, 0xC3]); // three tries
        assert_eq!(r[3], vec![0x90, 0x00]); // VERIFY 1234
        assert_eq!(r[4], vec![0x90, 0x00]); // verified
        assert_eq!(r[5], vec![0x69, 0x86]); // a warm reset ends the selection
        assert_eq!(r[6], vec![0x90, 0x00]); // SELECT again
        assert_eq!(r[7], vec![0x90, 0x00]); // still verified after a warm reset (§3)
        assert_eq!(r[8], vec![0x90, 0x00]); // SELECT after a power cycle
        assert_eq!(r[9], vec![0x63, 0xC3]); // verification gone after power off
        assert_eq!(r.len(), 10);
        // The PIN never appears in the log.
        let joined = events.join("\n");
        assert!(!joined.contains("31323334"), "{joined}");
        assert!(joined.contains("002000980" /* 4 */), "{joined}");
        assert!(joined.contains("2A2A2A2A"), "{joined}");
        assert!(events.iter().any(|e| e == "Reset"));
        assert!(events.iter().any(|e| e == "PowerOff"));
    }

    #[test]
    fn bad_frames_are_reported_and_skipped() {
        let input = frames(&[&[], &[9], SELECT_JPKI]);
        let mut s = Script {
            input,
            pos: 0,
            piece: 64,
            output: Vec::new(),
        };
        let mut card = VirtualCard::new();
        let mut bad = Vec::new();
        serve(&mut s, &mut card, &ATR_CONTACT, &mut |e| {
            if let Event::BadFrame(f) = e {
                bad.push(f)
            }
        })
        .unwrap();
        assert_eq!(bad, vec![FrameError::Empty, FrameError::UnknownControl(9)]);
        assert_eq!(replies(&s.output), vec![vec![0x90, 0x00]]);
    }

    #[test]
    fn a_stream_cut_inside_a_frame_is_an_error() {
        let mut input = frames(&[SELECT_JPKI]);
        input.truncate(input.len() - 3);
        let mut s = Script {
            input,
            pos: 0,
            piece: 64,
            output: Vec::new(),
        };
        let err = serve(&mut s, &mut VirtualCard::new(), &ATR_CONTACT, &mut |_| {}).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn read_answers_are_logged_by_length_only() {
        let e = Exchange::new(
            &[0x00, 0xB0, 0x81, 0x00, 0x11],
            Ok(b"\xFF\x10\x0C123456789018\xFF\xFF\x90\x00".to_vec()),
        );
        let line = log_line(&e);
        assert_eq!(line, "> 00B0810011  < [17 bytes] 9000");
        let sel = Exchange::new(SELECT_JPKI, Ok(vec![0x90, 0x00]));
        assert!(log_line(&sel).ends_with("< 9000"));
    }

    proptest! {
        #[test]
        fn parse_frame_never_panics_and_always_progresses(buf in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Some((used, _)) = parse_frame(&buf) {
                prop_assert!(used >= 2 && used <= buf.len());
            }
        }

        #[test]
        fn serve_never_panics_on_garbage(buf in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut s = Script { input: buf, pos: 0, piece: 7, output: Vec::new() };
            let _ = serve(&mut s, &mut VirtualCard::new(), &ATR_CONTACT, &mut |_| {});
        }

        #[test]
        fn encode_then_parse_round_trips(p in proptest::collection::vec(any::<u8>(), 2..300)) {
            let f = encode_frame(&p).unwrap();
            prop_assert_eq!(parse_frame(&f), Some((f.len(), Ok(Frame::Apdu(&p)))));
        }
    }
}
