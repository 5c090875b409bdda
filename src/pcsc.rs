//! Real readers through PC/SC (feature `pcsc`): pcsc-lite on Linux and the BSDs, the PCSC
//! framework on macOS, WinSCard on Windows.
//!
//! * [`list_readers`] names the readers; [`open`] waits (with a timeout, telling the caller what
//!   it waits for through a [`Notice`]) for a reader holding a My Number Card and connects to it.
//! * The card is recognised by selecting the JPKI application (card-facts.md §1), never by its
//!   ATR: several ATRs exist and contactless readers synthesise their own.
//! * [`Share::Exclusive`] is for PIN operations (no other program can reach the card while a
//!   PIN is verified); [`Share::Shared`] for reads. Either way each multi-APDU operation of
//!   [`crate::Card`] runs inside one PC/SC transaction ([`Transport::begin_transaction`]).
//! * A card reset by another program is reported as [`TransportError::CardReset`] (the session
//!   turns it into [`crate::Error::CardReset`]: earlier PIN verification is lost) and the
//!   connection is re-established, so the next operation selects its application again. Nothing
//!   is re-sent silently. A card pulled out gives [`TransportError::CardRemoved`].
//! * [`Transport::unpower`] disconnects with "unpower", so no verified PIN outlives the program.
//!   Dropping the transport after a PIN was sent does the same.
//! * Extended-length APDUs are sent only when the reader allows them: the reader is asked
//!   through PC/SC part 10 (`FEATURE_GET_TLV_PROPERTIES`, `dwMaxAPDUDataSize`); when it cannot
//!   tell, an extended APDU is tried once and a reader failure becomes
//!   [`TransportError::Unsupported`], on which the session falls back to short reads.
//!
//! The `pcsc` crate's transactions borrow the connection, so the connection lives on a worker
//! thread that owns it; the transport talks to that thread over channels.

use std::ffi::{CStr, CString};
use std::fmt;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::apdu::{ins, CommandView};
use crate::applets;
use crate::transport::{Exchange, Transport, TransportCaps, TransportError};

/// How the connection shares the card with other programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Share {
    /// Other programs may use the card between this program's transactions. For reads.
    #[default]
    Shared,
    /// No other program may connect while this connection is open. For PIN operations.
    Exclusive,
}

impl Share {
    fn mode(self) -> pcsc::ShareMode {
        match self {
            Share::Shared => pcsc::ShareMode::Shared,
            Share::Exclusive => pcsc::ShareMode::Exclusive,
        }
    }
}

/// Whether to send extended-length APDUs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Extended {
    /// Ask the reader; if it cannot tell, try once and fall back on failure.
    #[default]
    Auto,
    /// Always allow them (the session still falls back if the card refuses).
    Allow,
    /// Never send them: short APDUs only.
    Never,
}

/// Which reader to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderChoice {
    /// The first reader that holds a My Number Card.
    Auto,
    /// A reader by name: its exact name, or a part of it that matches exactly one reader
    /// (case-insensitive).
    Name(String),
}

impl ReaderChoice {
    /// `auto` (any case) means [`ReaderChoice::Auto`]; anything else is a name.
    pub fn parse(s: &str) -> Self {
        if s.eq_ignore_ascii_case("auto") {
            ReaderChoice::Auto
        } else {
            ReaderChoice::Name(s.to_owned())
        }
    }
}

/// How to open a reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Shared (reads) or exclusive (PIN operations).
    pub share: Share,
    /// How long to wait for a reader, a card, or another program to release the card.
    pub timeout: Duration,
    /// Extended-length policy.
    pub extended: Extended,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            share: Share::Shared,
            timeout: Duration::from_secs(30),
            extended: Extended::Auto,
        }
    }
}

/// What [`open`] is waiting for, so the caller can tell the user. Its `Display` is a sentence
/// ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notice {
    /// No reader is connected.
    WaitingForReader {
        /// How long it will wait at most.
        timeout: Duration,
    },
    /// Readers are there, but none holds a My Number Card.
    WaitingForCard {
        /// The readers watched.
        readers: Vec<String>,
        /// How long it will wait at most.
        timeout: Duration,
    },
    /// The card in this reader did not answer the JPKI SELECT: it is another card.
    NotMyNumberCard {
        /// The reader.
        reader: String,
    },
    /// Another program holds the card exclusively (or is in a transaction).
    Busy {
        /// The reader.
        reader: String,
    },
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::WaitingForReader { timeout } => write!(
                f,
                "no smart-card reader found; connect one (waiting up to {} s)",
                timeout.as_secs()
            ),
            Notice::WaitingForCard { readers, timeout } => write!(
                f,
                "insert a My Number Card into {} (waiting up to {} s)",
                quote_list(readers),
                timeout.as_secs()
            ),
            Notice::NotMyNumberCard { reader } => write!(
                f,
                "the card in \"{reader}\" is not a My Number Card (it has no JPKI application)"
            ),
            Notice::Busy { reader } => write!(
                f,
                "another program is using the card in \"{reader}\"; waiting for it to finish"
            ),
        }
    }
}

fn quote_list(names: &[String]) -> String {
    match names {
        [] => "a reader".into(),
        [one] => format!("\"{one}\""),
        many => format!(
            "one of {}",
            many.iter()
                .map(|n| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Why no card could be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// The PC/SC service is not running.
    #[error("the PC/SC service is not running (on Linux, start pcscd: `sudo systemctl start pcscd.socket`, or run `pcscd`)")]
    NoService,
    /// No reader appeared in time.
    #[error("no smart-card reader found within {} s", .waited.as_secs())]
    NoReader {
        /// How long it waited.
        waited: Duration,
    },
    /// No reader has this name.
    #[error("no reader named \"{name}\"; readers: {}", quote_list(.available))]
    UnknownReader {
        /// The name asked for.
        name: String,
        /// The readers there are.
        available: Vec<String>,
    },
    /// The name matches several readers.
    #[error("\"{name}\" matches several readers: {}; give the full name", quote_list(.matches))]
    AmbiguousReader {
        /// The name asked for.
        name: String,
        /// The readers it matches.
        matches: Vec<String>,
    },
    /// No My Number Card appeared in time.
    #[error("no My Number Card found in {} within {} s{}", quote_list(.readers), .waited.as_secs(),
        if .others.is_empty() { String::new() } else { format!(" (other cards in {})", quote_list(.others)) })]
    NoCard {
        /// The readers watched.
        readers: Vec<String>,
        /// Readers holding a card that is not a My Number Card.
        others: Vec<String>,
        /// How long it waited.
        waited: Duration,
    },
    /// Another program kept the card for the whole wait.
    #[error("the card in \"{reader}\" stayed in use by another program for {} s", .waited.as_secs())]
    Busy {
        /// The reader.
        reader: String,
        /// How long it waited.
        waited: Duration,
    },
    /// Another PC/SC failure.
    #[error("PC/SC: {0}")]
    Pcsc(String),
}

/// The names of the readers connected now. An empty list when there are none.
pub fn list_readers() -> Result<Vec<String>, OpenError> {
    let ctx = establish()?;
    readers_of(&ctx)
}

fn establish() -> Result<pcsc::Context, OpenError> {
    pcsc::Context::establish(pcsc::Scope::User).map_err(|e| match e {
        pcsc::Error::NoService | pcsc::Error::ServiceStopped => OpenError::NoService,
        e => OpenError::Pcsc(e.to_string()),
    })
}

fn readers_of(ctx: &pcsc::Context) -> Result<Vec<String>, OpenError> {
    match ctx.list_readers_owned() {
        Ok(names) => Ok(names
            .into_iter()
            .map(|n| n.to_string_lossy().into_owned())
            .collect()),
        Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
        Err(pcsc::Error::NoService | pcsc::Error::ServiceStopped) => Err(OpenError::NoService),
        Err(e) => Err(OpenError::Pcsc(e.to_string())),
    }
}

/// Resolves a reader name against the readers there are: the exact name, or a unique
/// case-insensitive part of one.
pub fn match_reader(name: &str, readers: &[String]) -> Result<String, OpenError> {
    if let Some(r) = readers.iter().find(|r| *r == name) {
        return Ok(r.clone());
    }
    let needle = name.to_lowercase();
    let matches: Vec<String> = readers
        .iter()
        .filter(|r| r.to_lowercase().contains(&needle))
        .cloned()
        .collect();
    match matches.len() {
        1 => Ok(matches.into_iter().next().unwrap_or_default()),
        0 => Err(OpenError::UnknownReader {
            name: name.to_owned(),
            available: readers.to_vec(),
        }),
        _ => Err(OpenError::AmbiguousReader {
            name: name.to_owned(),
            matches,
        }),
    }
}

/// What probing one reader found.
enum Probe {
    /// The card answered the JPKI SELECT: its response, and the connection when it was opened
    /// in the share mode asked for (exclusive), so that it is kept.
    MyNumber(Vec<u8>, Option<pcsc::Card>),
    OtherCard,
    NoCard,
    Busy,
}

/// `00 A4 04 0C 0A <JPKI AID>`: the SELECT that recognises the card (card-facts.md §1).
fn select_jpki() -> Vec<u8> {
    let mut v = vec![0x00, ins::SELECT, 0x04, 0x0C, 0x0A];
    v.extend_from_slice(applets::JPKI.as_bytes());
    v
}

fn probe(ctx: &pcsc::Context, reader: &CStr, share: Share) -> Result<Probe, OpenError> {
    // An exclusive connection probes on the connection it keeps: nothing can come between the
    // discovery SELECT and the session, which therefore knows JPKI is selected and does not
    // select it again. A shared one probes and lets go (the session selects again at the start
    // of every transaction anyway).
    let card = match ctx.connect(reader, share.mode(), pcsc::Protocols::ANY) {
        Ok(c) => c,
        Err(
            pcsc::Error::NoSmartcard
            | pcsc::Error::RemovedCard
            | pcsc::Error::UnresponsiveCard
            | pcsc::Error::UnpoweredCard
            | pcsc::Error::UnknownReader
            | pcsc::Error::ReaderUnavailable,
        ) => return Ok(Probe::NoCard),
        Err(pcsc::Error::SharingViolation) => return Ok(Probe::Busy),
        Err(pcsc::Error::NoService | pcsc::Error::ServiceStopped) => {
            return Err(OpenError::NoService)
        }
        Err(e) => return Err(OpenError::Pcsc(e.to_string())),
    };
    // One command needs no transaction; without one, a program that holds a transaction makes
    // this fail at once (SharingViolation, so the caller waits with a deadline) instead of
    // blocking without one.
    let mut buf = [0u8; 258];
    let result = match card.transmit(&select_jpki(), &mut buf) {
        Ok(r @ [.., 0x90, 0x00]) => Probe::MyNumber(r.to_vec(), None),
        Ok(_) => Probe::OtherCard,
        Err(pcsc::Error::SharingViolation) => Probe::Busy,
        Err(_) => Probe::NoCard,
    };
    Ok(match result {
        Probe::MyNumber(r, None) if share == Share::Exclusive => Probe::MyNumber(r, Some(card)),
        other => {
            let _ = card.disconnect(pcsc::Disposition::LeaveCard);
            other
        }
    })
}

/// Waits for a reader holding a My Number Card and connects to it.
///
/// With [`ReaderChoice::Auto`], every reader is probed with the JPKI SELECT and the first that
/// answers `9000` is used. `notify` is called once for each new thing waited for; show it to the
/// user. Gives up after `options.timeout`.
pub fn open(
    choice: &ReaderChoice,
    options: &Options,
    notify: &mut dyn FnMut(&Notice),
) -> Result<PcscTransport, OpenError> {
    let ctx = establish()?;
    let start = Instant::now();
    let deadline = start + options.timeout;
    let mut told: Vec<Notice> = Vec::new();
    let mut tell = |n: Notice, notify: &mut dyn FnMut(&Notice)| {
        if !told.contains(&n) {
            notify(&n);
            told.push(n);
        }
    };
    loop {
        let readers = readers_of(&ctx)?;
        let candidates = match choice {
            ReaderChoice::Auto => readers.clone(),
            ReaderChoice::Name(name) if readers.is_empty() => vec![name.clone()],
            ReaderChoice::Name(name) => vec![match_reader(name, &readers)?],
        };
        let mut others = Vec::new();
        let mut busy = None;
        if !readers.is_empty() {
            for name in &candidates {
                let c = CString::new(name.as_str())
                    .map_err(|_| OpenError::Pcsc(format!("bad reader name {name:?}")))?;
                match probe(&ctx, &c, options.share)? {
                    Probe::MyNumber(response, kept) => {
                        let mut t = match kept {
                            Some(card) => PcscTransport::from_card(&ctx, name, card, options)
                                .map_err(|e| OpenError::Pcsc(e.to_string()))
                                .map(|mut t| {
                                    t.discovered = Some(applets::JPKI);
                                    t
                                })?,
                            None => {
                                connect_found(&ctx, name, options, deadline, start, &mut |n| {
                                    tell(n, notify)
                                })?
                            }
                        };
                        t.discovery = vec![Exchange::new(&select_jpki(), Ok(response))];
                        return Ok(t);
                    }
                    Probe::OtherCard => {
                        tell(
                            Notice::NotMyNumberCard {
                                reader: name.clone(),
                            },
                            notify,
                        );
                        others.push(name.clone());
                    }
                    Probe::Busy => {
                        tell(
                            Notice::Busy {
                                reader: name.clone(),
                            },
                            notify,
                        );
                        busy = Some(name.clone());
                    }
                    Probe::NoCard => {}
                }
            }
        }
        let now = Instant::now();
        if now >= deadline {
            let waited = now - start;
            return Err(if readers.is_empty() {
                OpenError::NoReader { waited }
            } else if let Some(reader) = busy {
                OpenError::Busy { reader, waited }
            } else {
                OpenError::NoCard {
                    readers: candidates,
                    others,
                    waited,
                }
            });
        }
        if readers.is_empty() {
            tell(
                Notice::WaitingForReader {
                    timeout: options.timeout,
                },
                notify,
            );
        } else if busy.is_none() {
            tell(
                Notice::WaitingForCard {
                    readers: candidates.clone(),
                    timeout: options.timeout,
                },
                notify,
            );
        }
        wait_for_change(&ctx, &readers, deadline - now);
    }
}

/// Connects to the reader where the card was found, in the share mode asked for. If another
/// program has the card (an exclusive connection needs it alone), says so and waits.
fn connect_found(
    ctx: &pcsc::Context,
    name: &str,
    options: &Options,
    deadline: Instant,
    start: Instant,
    tell: &mut dyn FnMut(Notice),
) -> Result<PcscTransport, OpenError> {
    let c = CString::new(name).map_err(|_| OpenError::Pcsc(format!("bad reader name {name:?}")))?;
    let card = match ctx.connect(&c, options.share.mode(), pcsc::Protocols::ANY) {
        Err(pcsc::Error::SharingViolation) => {
            tell(Notice::Busy {
                reader: name.to_owned(),
            });
            connect_retrying(ctx, &c, options.share, deadline)
        }
        r => r,
    };
    let card = match card {
        Ok(card) => card,
        Err(pcsc::Error::SharingViolation) => {
            return Err(OpenError::Busy {
                reader: name.to_owned(),
                waited: start.elapsed(),
            })
        }
        Err(e) => return Err(OpenError::Pcsc(map_error(e, false).to_string())),
    };
    PcscTransport::from_card(ctx, name, card, options).map_err(|e| OpenError::Pcsc(e.to_string()))
}

/// Sleeps until a reader's state changes (a card inserted or removed, a reader added), at most
/// `limit` and at most a quarter of a second, so newly connected readers are noticed too.
fn wait_for_change(ctx: &pcsc::Context, readers: &[String], limit: Duration) {
    let slice = limit.min(Duration::from_millis(250));
    let mut states: Vec<pcsc::ReaderState> = readers
        .iter()
        .filter_map(|r| CString::new(r.as_str()).ok())
        .map(|r| pcsc::ReaderState::new(r, pcsc::State::UNAWARE))
        .collect();
    if states.is_empty() || ctx.get_status_change(Duration::ZERO, &mut states).is_err() {
        thread::sleep(slice);
        return;
    }
    for s in &mut states {
        s.sync_current_state();
    }
    if ctx.get_status_change(slice, &mut states).is_err() {
        // Timeout (the usual case) or a failure: either way, look again.
    }
}

/// Maps a PC/SC error to a transport error. `extended` says whether the command was an
/// extended-length APDU: a reader failure on one means the reader cannot carry it.
pub fn map_error(e: pcsc::Error, extended: bool) -> TransportError {
    use pcsc::Error as E;
    match e {
        E::ResetCard | E::UnpoweredCard => TransportError::CardReset,
        E::RemovedCard | E::NoSmartcard => TransportError::CardRemoved,
        E::Timeout => TransportError::NoResponse,
        E::NoService | E::ServiceStopped => TransportError::Backend(
            "the PC/SC service (pcscd) stopped; start it and try again".into(),
        ),
        E::ReaderUnavailable | E::UnknownReader => {
            TransportError::Backend("the reader was disconnected".into())
        }
        E::SharingViolation => {
            TransportError::Backend("the card is in use by another program".into())
        }
        e if extended => TransportError::Unsupported(format!(
            "the reader refused an extended-length APDU ({e}); using short APDUs"
        )),
        e => TransportError::Backend(e.to_string()),
    }
}

/// Whether a command sends a PIN or other secret to the card: VERIFY, CHANGE REFERENCE DATA,
/// CHANGE KEY or RESET RETRY COUNTER with data. A VERIFY without data only reads the retry
/// counter (card-facts.md §3) and changes nothing.
fn sends_secret(command: &[u8]) -> bool {
    command.len() > 5 && ins::carries_secret(command[1])
}

/// Whether a command is an extended-length APDU.
fn is_extended(command: &[u8]) -> bool {
    CommandView::parse(command).is_ok_and(|v| v.case.is_extended())
}

/// The function number of `CM_IOCTL_GET_FEATURE_REQUEST` (PC/SC part 10), before
/// `SCARD_CTL_CODE` (which differs between platforms) is applied.
const GET_FEATURE_REQUEST: u32 = 3400;
/// The feature tag of `FEATURE_GET_TLV_PROPERTIES`.
const FEATURE_GET_TLV_PROPERTIES: u8 = 0x12;
/// The property tag of `dwMaxAPDUDataSize`.
const PROPERTY_MAX_APDU_DATA_SIZE: u8 = 0x0A;

/// Finds a feature's control code in a PC/SC part 10 feature list: entries of a tag byte, a
/// length byte (4) and a big-endian 32-bit control code. `None` if absent or malformed.
pub fn feature_control_code(features: &[u8], tag: u8) -> Option<u32> {
    let mut rest = features;
    while let [t, len, tail @ ..] = rest {
        let len = *len as usize;
        let value = tail.get(..len)?;
        if *t == tag {
            return <[u8; 4]>::try_from(value).ok().map(u32::from_be_bytes);
        }
        rest = &tail[len..];
    }
    None
}

/// Finds a property in a PC/SC part 10 TLV property list: entries of a tag byte, a length byte
/// and a little-endian value of that length (1, 2 or 4 bytes). `None` if absent or malformed.
pub fn tlv_property(properties: &[u8], tag: u8) -> Option<u32> {
    let mut rest = properties;
    while let [t, len, tail @ ..] = rest {
        let len = *len as usize;
        let value = tail.get(..len)?;
        if *t == tag {
            return match value {
                [a] => Some(*a as u32),
                [a, b] => Some(u16::from_le_bytes([*a, *b]) as u32),
                [a, b, c, d] => Some(u32::from_le_bytes([*a, *b, *c, *d])),
                _ => None,
            };
        }
        rest = &tail[len..];
    }
    None
}

/// Whether a reader's `dwMaxAPDUDataSize` allows extended APDUs: `0` means short APDUs only;
/// anything above 256 bytes of data needs extended length.
pub fn extended_from_max_apdu_data_size(size: u32) -> bool {
    size > 256
}

/// Asks the reader (PC/SC part 10) whether it carries extended APDUs. `None` if it cannot tell.
fn reader_extended(card: &pcsc::Card) -> Option<bool> {
    let mut buf = [0u8; 256];
    let features = card
        .control(pcsc::ctl_code(GET_FEATURE_REQUEST as _), &[], &mut buf)
        .ok()?
        .to_vec();
    let code = feature_control_code(&features, FEATURE_GET_TLV_PROPERTIES)?;
    let props = card.control(code as _, &[], &mut buf).ok()?;
    tlv_property(props, PROPERTY_MAX_APDU_DATA_SIZE).map(extended_from_max_apdu_data_size)
}

/// Connects with `share`, retrying while another program holds the card, until `deadline`.
fn connect_retrying(
    ctx: &pcsc::Context,
    reader: &CStr,
    share: Share,
    deadline: Instant,
) -> Result<pcsc::Card, pcsc::Error> {
    loop {
        match ctx.connect(reader, share.mode(), pcsc::Protocols::ANY) {
            Err(pcsc::Error::SharingViolation) if Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(20));
            }
            r => return r,
        }
    }
}

enum Request {
    Transmit(Zeroizing<Vec<u8>>),
    Begin,
    End,
    Unpower,
}

type Reply = Result<Vec<u8>, TransportError>;

/// A PC/SC connection to one reader, as a [`Transport`].
pub struct PcscTransport {
    reader: String,
    share: Share,
    caps: TransportCaps,
    atr: Vec<u8>,
    requests: Option<Sender<Request>>,
    replies: Receiver<Reply>,
    worker: Option<JoinHandle<()>>,
    /// The discovery SELECT, as the card saw it (for `--trace`).
    discovery: Vec<Exchange>,
    /// The application the discovery left selected on this very connection (exclusive only).
    discovered: Option<applets::Aid>,
}

impl fmt::Debug for PcscTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PcscTransport")
            .field("reader", &self.reader)
            .field("share", &self.share)
            .field("caps", &self.caps)
            .finish_non_exhaustive()
    }
}

impl PcscTransport {
    /// Connects to the named reader (exact name) without probing the card, waiting up to
    /// `options.timeout` for another program to release it.
    pub fn connect(reader: &str, options: &Options) -> Result<Self, TransportError> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User).map_err(|e| map_error(e, false))?;
        let name = CString::new(reader)
            .map_err(|_| TransportError::Backend(format!("bad reader name {reader:?}")))?;
        let card = connect_retrying(&ctx, &name, options.share, Instant::now() + options.timeout)
            .map_err(|e| map_error(e, false))?;
        Self::from_card(&ctx, reader, card, options)
    }

    fn from_card(
        ctx: &pcsc::Context,
        reader: &str,
        card: pcsc::Card,
        options: &Options,
    ) -> Result<Self, TransportError> {
        let name = CString::new(reader)
            .map_err(|_| TransportError::Backend(format!("bad reader name {reader:?}")))?;
        let extended = match options.extended {
            Extended::Allow => true,
            Extended::Never => false,
            Extended::Auto => reader_extended(&card).unwrap_or(true),
        };
        let atr = card
            .status2_owned()
            .map(|s| s.atr().to_vec())
            .unwrap_or_default();
        let (req_tx, req_rx) = mpsc::channel();
        let (rep_tx, rep_rx) = mpsc::channel();
        let worker = Worker {
            ctx: ctx.clone(),
            reader: name,
            share: options.share,
            timeout: options.timeout,
            card: Some(card),
            secret_sent: false,
            replies: rep_tx,
        };
        let handle = thread::Builder::new()
            .name(format!("pcsc {reader}"))
            .spawn(move || worker.run(req_rx))
            .map_err(|e| TransportError::Backend(format!("cannot start the PC/SC thread: {e}")))?;
        Ok(PcscTransport {
            reader: reader.to_owned(),
            share: options.share,
            caps: TransportCaps {
                extended_length: extended,
            },
            atr,
            requests: Some(req_tx),
            replies: rep_rx,
            worker: Some(handle),
            discovery: Vec::new(),
            discovered: None,
        })
    }

    /// The reader's name.
    pub fn reader(&self) -> &str {
        &self.reader
    }

    /// How the connection shares the card.
    pub fn share(&self) -> Share {
        self.share
    }

    /// The card's ATR as the reader reported it at connection (may be synthesised by a
    /// contactless reader; do not identify the card by it).
    pub fn atr(&self) -> &[u8] {
        &self.atr
    }

    fn call(&mut self, r: Request) -> Reply {
        let gone = || TransportError::Backend("the PC/SC worker thread stopped".into());
        self.requests
            .as_ref()
            .ok_or_else(gone)?
            .send(r)
            .map_err(|_| gone())?;
        self.replies.recv().map_err(|_| gone())?
    }
}

impl Transport for PcscTransport {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let extended = is_extended(command);
        if extended && !self.caps.extended_length {
            return Err(TransportError::Unsupported(
                "this reader does not carry extended-length APDUs".into(),
            ));
        }
        let r = self.call(Request::Transmit(Zeroizing::new(command.to_vec())));
        if extended && matches!(r, Err(TransportError::Unsupported(_))) {
            self.caps.extended_length = false;
        }
        r
    }

    fn caps(&self) -> TransportCaps {
        self.caps
    }

    fn begin_transaction(&mut self) -> Result<(), TransportError> {
        self.call(Request::Begin).map(|_| ())
    }

    fn end_transaction(&mut self) {
        let _ = self.call(Request::End);
    }

    fn unpower(&mut self) -> Result<(), TransportError> {
        self.call(Request::Unpower).map(|_| ())
    }

    fn prior_exchanges(&self) -> Vec<Exchange> {
        self.discovery.clone()
    }
    fn selected_on_open(&self) -> Option<applets::Aid> {
        self.discovered
    }
    fn shared(&self) -> bool {
        self.share == Share::Shared
    }
}

impl Drop for PcscTransport {
    fn drop(&mut self) {
        // Closing the channel tells the worker to disconnect (unpowering if a PIN was sent).
        self.requests = None;
        if let Some(h) = self.worker.take() {
            let _ = h.join();
        }
    }
}

/// The thread that owns the PC/SC connection.
struct Worker {
    ctx: pcsc::Context,
    reader: CString,
    share: Share,
    timeout: Duration,
    card: Option<pcsc::Card>,
    /// Whether a command carrying a PIN went to the card since it was last unpowered.
    secret_sent: bool,
    replies: Sender<Reply>,
}

/// How a transaction ended.
enum TxEnd {
    Ended,
    Unpower,
    Closed,
}

impl Worker {
    fn run(mut self, requests: Receiver<Request>) {
        while let Ok(req) = requests.recv() {
            let reply = match req {
                Request::Transmit(cmd) => self.transmit_outside(&cmd),
                Request::Begin => match self.begin(&requests) {
                    Some(TxEnd::Closed) => break,
                    Some(TxEnd::Unpower) => self.unpower(),
                    Some(TxEnd::Ended) => continue,
                    None => continue,
                },
                Request::End => Ok(Vec::new()),
                Request::Unpower => self.unpower(),
            };
            if self.replies.send(reply).is_err() {
                break;
            }
        }
        self.close();
    }

    fn ensure_connected(&mut self) -> Result<(), TransportError> {
        if self.card.is_none() {
            let deadline = Instant::now() + self.timeout;
            self.card = Some(
                connect_retrying(&self.ctx, &self.reader, self.share, deadline)
                    .map_err(|e| map_error(e, false))?,
            );
        }
        Ok(())
    }

    /// Handles a failure of the connection: a reset card is acknowledged by reconnecting
    /// (leaving the card as it is), so the handle works again; a removed card drops the handle.
    fn after_error(card: &mut Option<pcsc::Card>, share: Share, e: pcsc::Error) {
        match e {
            pcsc::Error::ResetCard | pcsc::Error::UnpoweredCard => {
                if let Some(c) = card.as_mut() {
                    if c.reconnect(
                        share.mode(),
                        pcsc::Protocols::ANY,
                        pcsc::Disposition::LeaveCard,
                    )
                    .is_err()
                    {
                        *card = None;
                    }
                }
            }
            pcsc::Error::RemovedCard
            | pcsc::Error::NoSmartcard
            | pcsc::Error::ReaderUnavailable
            | pcsc::Error::UnknownReader
            | pcsc::Error::InvalidHandle => {
                if let Some(c) = card.take() {
                    let _ = c.disconnect(pcsc::Disposition::LeaveCard);
                }
            }
            _ => {}
        }
    }

    fn note_secret(&mut self, cmd: &[u8]) {
        self.secret_sent |= sends_secret(cmd);
    }

    fn transmit_outside(&mut self, cmd: &[u8]) -> Reply {
        self.ensure_connected()?;
        self.note_secret(cmd);
        let extended = is_extended(cmd);
        let card = self.card.as_ref().ok_or(TransportError::CardRemoved)?;
        let mut buf = Zeroizing::new(vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED]);
        match card.transmit(cmd, &mut buf) {
            Ok(r) => Ok(r.to_vec()),
            Err(e) => {
                Self::after_error(&mut self.card, self.share, e);
                Err(map_error(e, extended))
            }
        }
    }

    /// Begins a transaction and serves requests inside it until it ends. Returns `None` when it
    /// could not begin (the failure was replied).
    fn begin(&mut self, requests: &Receiver<Request>) -> Option<TxEnd> {
        if let Err(e) = self.ensure_connected() {
            let _ = self.replies.send(Err(e));
            return None;
        }
        let share = self.share;
        let Some(card) = self.card.as_mut() else {
            let _ = self.replies.send(Err(TransportError::CardRemoved));
            return None;
        };
        match serve_transaction(card, share, &self.replies, requests) {
            Ok(out) => {
                self.secret_sent |= out.secret;
                if let Some(e) = out.broken {
                    Self::after_error(&mut self.card, share, e);
                }
                if let TxEnd::Ended = out.end {
                    if self.replies.send(Ok(Vec::new())).is_err() {
                        return Some(TxEnd::Closed);
                    }
                }
                Some(out.end)
            }
            Err(e) => {
                Self::after_error(&mut self.card, share, e);
                let _ = self.replies.send(Err(map_error(e, false)));
                None
            }
        }
    }

    /// Disconnects with "unpower": the card loses power and with it every verified PIN. The
    /// next command connects again.
    fn unpower(&mut self) -> Reply {
        self.secret_sent = false;
        match self.card.take() {
            None => Ok(Vec::new()),
            Some(c) => match c.disconnect(pcsc::Disposition::UnpowerCard) {
                Ok(()) => Ok(Vec::new()),
                Err((c, e)) => {
                    // Still try to reset it: a reset at least ends the selection.
                    let _ = c.disconnect(pcsc::Disposition::ResetCard);
                    Err(map_error(e, false))
                }
            },
        }
    }

    fn close(&mut self) {
        let disposition = if self.secret_sent {
            pcsc::Disposition::UnpowerCard
        } else {
            pcsc::Disposition::LeaveCard
        };
        if let Some(c) = self.card.take() {
            if let Err((c, _)) = c.disconnect(disposition) {
                // The pcsc crate resets the card when the handle is dropped.
                drop(c);
            }
        }
    }
}

/// What happened inside a transaction.
struct TxOutcome {
    end: TxEnd,
    /// A command carrying a PIN was sent.
    secret: bool,
    /// The connection failed for good (the card was removed).
    broken: Option<pcsc::Error>,
}

/// Begins a transaction on `card` and serves requests inside it until it ends, the transport
/// asks to unpower, or the transport is dropped. The reply to the `Begin` request is sent here;
/// the reply to the final `End` is left to the caller. `Err` if the transaction could not begin.
fn serve_transaction(
    card: &mut pcsc::Card,
    share: Share,
    replies: &Sender<Reply>,
    requests: &Receiver<Request>,
) -> Result<TxOutcome, pcsc::Error> {
    let mut tx = card.transaction2().map_err(|(_, e)| e)?;
    let mut out = TxOutcome {
        end: TxEnd::Closed,
        secret: false,
        broken: None,
    };
    if replies.send(Ok(Vec::new())).is_err() {
        let _ = tx.end(pcsc::Disposition::LeaveCard);
        return Ok(out);
    }
    let mut depth = 1u32;
    out.end = loop {
        let Ok(req) = requests.recv() else {
            break TxEnd::Closed;
        };
        let reply = match req {
            Request::Transmit(cmd) => {
                out.secret |= sends_secret(&cmd);
                match out.broken {
                    // The handle failed earlier in this transaction (the card was removed).
                    Some(e) => Err(map_error(e, false)),
                    None => {
                        let extended = is_extended(&cmd);
                        let mut buf = Zeroizing::new(vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED]);
                        match tx.transmit(&cmd, &mut buf) {
                            Ok(r) => Ok(r.to_vec()),
                            Err(e @ (pcsc::Error::ResetCard | pcsc::Error::UnpoweredCard)) => {
                                // Acknowledge the reset so that the handle works again. The
                                // caller learns of the reset; nothing is re-sent.
                                if tx
                                    .reconnect(
                                        share.mode(),
                                        pcsc::Protocols::ANY,
                                        pcsc::Disposition::LeaveCard,
                                    )
                                    .is_err()
                                {
                                    out.broken = Some(pcsc::Error::RemovedCard);
                                }
                                Err(map_error(e, false))
                            }
                            Err(
                                e @ (pcsc::Error::RemovedCard
                                | pcsc::Error::NoSmartcard
                                | pcsc::Error::ReaderUnavailable
                                | pcsc::Error::InvalidHandle),
                            ) => {
                                out.broken = Some(e);
                                Err(map_error(e, false))
                            }
                            Err(e) => Err(map_error(e, extended)),
                        }
                    }
                }
            }
            Request::Begin => {
                depth += 1;
                Ok(Vec::new())
            }
            Request::End => {
                depth -= 1;
                if depth == 0 {
                    break TxEnd::Ended;
                }
                Ok(Vec::new())
            }
            Request::Unpower => break TxEnd::Unpower,
        };
        if replies.send(reply).is_err() {
            break TxEnd::Closed;
        }
    };
    let _ = tx.end(pcsc::Disposition::LeaveCard);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_names_match_exactly_or_by_a_unique_part() {
        let readers = vec![
            "Virtual PCD 00 00".to_string(),
            "Virtual PCD 00 01".to_string(),
            "SONY FeliCa Port/PaSoRi 4.0 [Reader] 00 00".to_string(),
        ];
        assert_eq!(
            match_reader("Virtual PCD 00 01", &readers).unwrap(),
            "Virtual PCD 00 01"
        );
        assert_eq!(
            match_reader("pasori", &readers).unwrap(),
            "SONY FeliCa Port/PaSoRi 4.0 [Reader] 00 00"
        );
        assert!(matches!(
            match_reader("virtual", &readers),
            Err(OpenError::AmbiguousReader { matches, .. }) if matches.len() == 2
        ));
        let e = match_reader("ACS", &readers).unwrap_err();
        assert!(matches!(e, OpenError::UnknownReader { .. }));
        assert!(e.to_string().contains("\"Virtual PCD 00 00\""), "{e}");
        assert_eq!(ReaderChoice::parse("AUTO"), ReaderChoice::Auto);
        assert_eq!(
            ReaderChoice::parse("pasori"),
            ReaderChoice::Name("pasori".into())
        );
    }

    #[test]
    fn errors_map_to_the_transport_errors_the_session_understands() {
        assert_eq!(
            map_error(pcsc::Error::ResetCard, false),
            TransportError::CardReset
        );
        assert_eq!(
            map_error(pcsc::Error::UnpoweredCard, true),
            TransportError::CardReset
        );
        assert_eq!(
            map_error(pcsc::Error::RemovedCard, false),
            TransportError::CardRemoved
        );
        assert_eq!(
            map_error(pcsc::Error::NoSmartcard, true),
            TransportError::CardRemoved
        );
        assert_eq!(
            map_error(pcsc::Error::Timeout, false),
            TransportError::NoResponse
        );
        // A reader failure on an extended APDU means the reader cannot carry it.
        assert!(matches!(
            map_error(pcsc::Error::CommError, true),
            TransportError::Unsupported(_)
        ));
        assert!(matches!(
            map_error(pcsc::Error::InsufficientBuffer, true),
            TransportError::Unsupported(_)
        ));
        assert!(matches!(
            map_error(pcsc::Error::CommError, false),
            TransportError::Backend(_)
        ));
        // A removed card stays a removed card even on an extended APDU.
        assert_eq!(
            map_error(pcsc::Error::RemovedCard, true),
            TransportError::CardRemoved
        );
    }

    #[test]
    fn part10_feature_and_property_lists_are_parsed() {
        // Two features: 06 (verify PIN direct) and 12 (TLV properties), big-endian codes.
        let features = [
            0x06, 4, 0x42, 0x33, 0x00, 0x06, 0x12, 4, 0x42, 0x33, 0x00, 0x12,
        ];
        assert_eq!(
            feature_control_code(&features, FEATURE_GET_TLV_PROPERTIES),
            Some(0x4233_0012)
        );
        assert_eq!(feature_control_code(&features, 0x0A), None);
        assert_eq!(feature_control_code(&features[..9], 0x12), None);
        // Properties: wLcdLayout (2 bytes), dwMaxAPDUDataSize = 0x10000 (4 bytes, LE).
        let props = [0x01, 2, 0x00, 0x00, 0x0A, 4, 0x00, 0x00, 0x01, 0x00];
        assert_eq!(
            tlv_property(&props, PROPERTY_MAX_APDU_DATA_SIZE),
            Some(0x1_0000)
        );
        assert_eq!(tlv_property(&props[..7], PROPERTY_MAX_APDU_DATA_SIZE), None);
        assert!(extended_from_max_apdu_data_size(0x1_0000));
        assert!(extended_from_max_apdu_data_size(261));
        assert!(!extended_from_max_apdu_data_size(0));
        assert!(!extended_from_max_apdu_data_size(256));
    }

    #[test]
    fn the_probe_is_the_jpki_select() {
        assert_eq!(
            hex::encode_upper(select_jpki()),
            "00A4040C0AD392F000260100000001"
        );
        assert!(is_extended(&[0x00, 0xB0, 0x8A, 0x00, 0x00, 0x00, 0x00]));
        assert!(!is_extended(&[0x00, 0xB0, 0x8A, 0x00, 0x00]));
        assert!(sends_secret(&[0x00, 0x20, 0x00, 0x98, 0x04, 1, 2, 3, 4]));
        assert!(sends_secret(&[0x00, 0x24, 0x01, 0x80, 0x04, 1, 2, 3, 4]));
        assert!(!sends_secret(&[0x00, 0x20, 0x00, 0x98]));
        assert!(!sends_secret(&[0x00, 0xB0, 0x8A, 0x00, 0x04, 1, 2, 3, 4]));
    }

    #[test]
    fn notices_read_as_sentences() {
        let n = Notice::WaitingForCard {
            readers: vec!["A".into(), "B".into()],
            timeout: Duration::from_secs(30),
        };
        assert_eq!(
            n.to_string(),
            "insert a My Number Card into one of \"A\", \"B\" (waiting up to 30 s)"
        );
        let e = OpenError::NoCard {
            readers: vec!["A".into()],
            others: vec!["A".into()],
            waited: Duration::from_secs(2),
        };
        assert_eq!(
            e.to_string(),
            "no My Number Card found in \"A\" within 2 s (other cards in \"A\")"
        );
    }
}
