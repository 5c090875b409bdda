//! The time model: what an exchange is estimated to cost over a contactless link at 424 kbit/s,
//! plus a per-command card time. Every figure below is either derived from a cited standard or
//! labelled as an assumption; docs/PERFORMANCE.md prints them all (see [`describe`]).

use super::meter::{Measured, Record};

/// The link's bit rate: fc/32 = 13.56 MHz / 32 = 423.75 kbit/s, the "424 kbit/s" of ISO/IEC
/// 14443. The card's published contactless ATR ([card facts §1](mynacard::card_facts#s1)) carries
///        the ATQB protocol
/// info `B3 81 A1`; by our reading of ISO/IEC 14443-3 its first byte (`B3`) offers 212 and
/// 424 kbit/s in both directions.
pub const BIT_RATE: f64 = 423_750.0;

/// Bits on air per byte: the Type B character is a start bit, 8 data bits and a stop bit
/// (ISO/IEC 14443-3, Type B character format). The extra guard time between characters is
/// ignored.
pub const BITS_PER_BYTE: f64 = 10.0;

/// Largest frame, prologue and CRC included. From the same ATQB protocol info: its second byte
/// (`81`) has maximum-frame-size code 8, that is 256 bytes, and protocol type 1 (ISO/IEC
/// 14443-4). The reader's own limit (FSD) is assumed to be 256 too.
pub const MAX_FRAME: usize = 256;

/// Bytes around each block's information field: PCB, CID (the ATQB's last byte, `A1`, says the
/// card supports CID) and the two CRC_B bytes (ISO/IEC 14443-4 block format).
pub const BLOCK_OVERHEAD: usize = 4;

/// Per frame: start and end of frame (SOF about 12 etu, EOF about 10 etu, ISO/IEC 14443-3) and
/// the modulation guard times before it. **Assumption**: rounded up to 40 etu.
pub const FRAME_ETU: f64 = 40.0;

/// Per frame: the time before the other side answers (frame delay and the reader's
/// turnaround). **Assumption**: 0.1 ms.
pub const TURNAROUND_MS: f64 = 0.1;

/// Per APDU, outside the link: the reader and the host stack (PC/SC, USB CCID). **Assumption**:
/// 1 ms, one USB full-speed frame.
pub const HOST_MS: f64 = 1.0;

/// Per-command card processing times, in ms. **All assumptions**: no public measurement of
/// this card's command times is known to us. They are round figures typical of smart cards:
/// non-volatile memory writes take milliseconds, and RSA-2048 with a crypto coprocessor takes
/// 50-200 ms (<https://smartcardfyi.com/id/glossary/rsa>); we take the slow end.
pub const CARD_MS: [(&str, f64); 11] = [
    ("SELECT", 1.0),
    ("READ BINARY", 1.0),
    ("GET RESPONSE", 0.5),
    ("VERIFY, status query (no data)", 1.0),
    ("VERIFY with a value (counter written to NVM)", 10.0),
    ("CHANGE REFERENCE DATA / CHANGE KEY (NVM write)", 10.0),
    ("RESET RETRY COUNTER (NVM write)", 10.0),
    ("GET CHALLENGE (random number)", 2.0),
    ("EXTERNAL AUTHENTICATE (MAC check)", 5.0),
    ("SIGN (RSA-2048 private key)", 200.0),
    ("a command refused for its form (6700, 6A86, ...)", 0.5),
];

fn card_ms_of(label: &str) -> f64 {
    CARD_MS
        .iter()
        .find(|(l, _)| l.starts_with(label))
        .map(|(_, ms)| *ms)
        .unwrap_or(1.0)
}

/// The card time of one exchange.
pub fn card_ms(r: &Record) -> f64 {
    if r.refused() {
        return card_ms_of("a command refused");
    }
    let has_data = r.command.len() > 5;
    match r.ins().unwrap_or(0) {
        0xA4 => card_ms_of("SELECT"),
        0xB0 => card_ms_of("READ BINARY"),
        0xC0 => card_ms_of("GET RESPONSE"),
        0x20 if !has_data && r.command.len() == 4 => card_ms_of("VERIFY, status"),
        0x20 => card_ms_of("VERIFY with"),
        0x24 | 0x32 => card_ms_of("CHANGE"),
        0x2C => card_ms_of("RESET"),
        0x84 => card_ms_of("GET CHALLENGE"),
        0x82 => card_ms_of("EXTERNAL"),
        0x2A => card_ms_of("SIGN"),
        _ => 1.0,
    }
}

/// Frames needed for `n` bytes of APDU in I-blocks of at most [`MAX_FRAME`] bytes.
fn frames(n: usize) -> usize {
    n.div_ceil(MAX_FRAME - BLOCK_OVERHEAD).max(1)
}

/// The link time of one exchange of `sent` command bytes and `received` response bytes: the
/// command and response in chained I-blocks, each block but the last of a chain acknowledged by
/// an R(ACK) block of [`BLOCK_OVERHEAD`] bytes from the other side.
pub fn link_ms(sent: usize, received: usize) -> f64 {
    let (fc, fr) = (frames(sent), frames(received));
    let acks = (fc - 1) + (fr - 1);
    let n_frames = fc + fr + acks;
    let bytes = sent + received + BLOCK_OVERHEAD * n_frames;
    let bits = bytes as f64 * BITS_PER_BYTE + n_frames as f64 * FRAME_ETU;
    bits / BIT_RATE * 1000.0 + n_frames as f64 * TURNAROUND_MS
}

/// The estimated time of one exchange.
pub fn exchange_ms(r: &Record) -> f64 {
    link_ms(r.command.len(), r.response_len()) + HOST_MS + card_ms(r)
}

/// Totals over a run.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Figures {
    /// Exchanges (command-response pairs).
    pub exchanges: usize,
    /// Command bytes sent.
    pub sent: usize,
    /// Response bytes received, status words included.
    pub received: usize,
    /// Estimated time in ms.
    pub ms: f64,
}

/// Totals of a run.
pub fn figures(records: &[Record]) -> Figures {
    records.iter().fold(Figures::default(), |f, r| Figures {
        exchanges: f.exchanges + 1,
        sent: f.sent + r.command.len(),
        received: f.received + r.response_len(),
        ms: f.ms + exchange_ms(r),
    })
}

/// The model in words, for the report.
pub fn describe() -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "Estimated time = link time + {HOST_MS} ms per APDU for the reader and host \
         (**assumption**) + the card's time for the command.\n\n\
         * **Link**: {:.2} kbit/s (fc/32, ISO/IEC 14443's \"424 kbit/s\"), {BITS_PER_BYTE} bits \
         per byte (Type B character: start, 8 data, stop bits). APDUs travel in ISO/IEC 14443-4 \
         I-blocks of at most {MAX_FRAME} bytes with {BLOCK_OVERHEAD} bytes of PCB, CID and CRC \
         each; a longer APDU or response is chained, each block but the last acknowledged by a \
         {BLOCK_OVERHEAD}-byte R(ACK). Each frame adds {FRAME_ETU} etu for start/end of frame \
         and guard times and {TURNAROUND_MS} ms of turnaround (both **assumptions**, rounded). \
         The bit rate, frame size and CID come from the card's published contactless ATR \
         `3B 88 80 01 00 00 05 E0 B3 81 A1 00 7F` ([docs/card.md §1](card.md#s1)): its ATQB protocol info \
         `B3 81 A1` offers 212/424 kbit/s both ways, a 256-byte maximum frame and CID support \
         (our reading of ISO/IEC 14443-3). A 256-byte short read thus costs {:.1} ms on the \
         link and a 1,200-byte extended read {:.1} ms, against {:.1} ms for a status query.\n\
         * **Card time per command** (all **assumptions**: no public measurement of this card's \
         command times is known to us; non-volatile-memory writes take milliseconds on smart \
         cards, and RSA-2048 signing with a crypto coprocessor 50-200 ms according to \
         <https://smartcardfyi.com/id/glossary/rsa>, of which we take the slow end):\n\n",
        BIT_RATE / 1000.0,
        link_ms(5, 258),
        link_ms(7, 1202),
        link_ms(4, 2),
    ));
    s.push_str("| command | card time (ms) |\n|---|---|\n");
    for (label, ms) in CARD_MS {
        s.push_str(&format!("| {label} | {ms} |\n"));
    }
    s
}
