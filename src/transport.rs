//! The transport: bytes in, bytes out.
//!
//! [`Transport`] is all a backend implements: the virtual card (feature `sim`), the PC/SC
//! backend (feature `pcsc`), or your own. A transport that wraps another implements [`Wrapper`]
//! and forwards every method it does not intercept by construction. [`Recorder`] wraps any transport and keeps a log of
//! exchanges in which the data of VERIFY, CHANGE REFERENCE DATA, CHANGE KEY and RESET RETRY
//! COUNTER is masked, so the log can be printed or stored.

use std::fmt;
use std::sync::{Arc, Mutex};

use zeroize::Zeroizing;

use crate::apdu::{CommandView, StatusWord};

/// A failure below the APDU layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// No card is present (it was removed, or never inserted).
    #[error("no card in the reader (it was removed or never inserted)")]
    CardRemoved,
    /// The card was reset or unpowered by someone else since the last exchange: its security
    /// status (verified PINs) and selection are gone.
    #[error("the card was reset; PIN verification and the current selection are lost")]
    CardReset,
    /// No response arrived (a dropped response or a timeout). Whether the card executed the
    /// command is unknown.
    #[error("no response from the card; whether it executed the command is unknown")]
    NoResponse,
    /// A response of fewer than two bytes.
    #[error("malformed response of {0} bytes from the card")]
    Malformed(usize),
    /// The reader cannot send this command (for example, an extended-length APDU on a reader
    /// that only supports short APDUs).
    #[error("the reader cannot send this command: {0}")]
    Unsupported(String),
    /// Another backend-specific failure.
    #[error("reader error: {0}")]
    Backend(String),
    /// A failure of the reader's system library (for example PC/SC), with the library's own
    /// error kept as [`std::error::Error::source`].
    #[error("reader error: {context}")]
    Reader {
        /// What it means for the caller.
        context: String,
        /// The library's error.
        #[source]
        source: Cause,
    },
}

/// An underlying error kept as the source of a [`TransportError`]. Cloned by sharing, and
/// compared by its message (errors of other libraries need not be comparable).
#[derive(Clone)]
pub struct Cause(Arc<dyn std::error::Error + Send + Sync>);

impl Cause {
    /// Keeps `e`.
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Cause(Arc::new(e))
    }

    /// The kept error.
    pub fn get(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.0
    }
}

impl fmt::Debug for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.0, f)
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl PartialEq for Cause {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for Cause {}

/// What a transport can carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportCaps {
    /// Whether the reader passes extended-length APDUs.
    pub extended_length: bool,
}

impl Default for TransportCaps {
    fn default() -> Self {
        TransportCaps {
            extended_length: true,
        }
    }
}

/// A channel to a card: one command APDU in, one response APDU (data and status word) out.
///
/// Implementations must not re-send a command on their own: a re-sent VERIFY spends a second
/// try. The optional methods let the [`crate::session::Session`] group a multi-APDU operation
/// into one exclusive transaction and unpower the card after PIN use.
///
/// Implement [`Transport`] for a transport that talks to a card (or a card model) itself. For a
/// transport that wraps another (a logger, a fault injector), implement [`Wrapper`] instead:
/// it forwards every method it does not override, so that no wrapper can hide one (a wrapper
/// that hid [`Transport::shared`] would let the session trust a selection that another program
/// may have changed).
pub trait Transport {
    /// Sends one command and returns the whole response, status word included.
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError>;

    /// What the transport can carry.
    fn caps(&self) -> TransportCaps {
        TransportCaps::default()
    }

    /// Begins an exclusive transaction (PC/SC `SCardBeginTransaction`). Default: nothing.
    fn begin_transaction(&mut self) -> Result<(), TransportError> {
        Ok(())
    }

    /// Ends the transaction begun by [`Transport::begin_transaction`]. Default: nothing.
    fn end_transaction(&mut self) {}

    /// Removes power from the card so that its security status does not outlive the program.
    /// Default: nothing.
    fn unpower(&mut self) -> Result<(), TransportError> {
        Ok(())
    }

    /// Whether other programs may send commands to the card between this transport's
    /// transactions (a PC/SC connection in shared mode). When they may, the card's current
    /// application can change behind the session's back, so the session selects again at the
    /// start of every transaction instead of trusting its cache. Default: `false`.
    fn shared(&self) -> bool {
        false
    }

    /// Exchanges the card saw before this transport was handed over (the PC/SC discovery
    /// SELECT), so that a recorder counts every exchange the card sees. Default: none.
    fn prior_exchanges(&self) -> Vec<Exchange> {
        Vec::new()
    }

    /// The application known to be selected when the transport was handed over (the PC/SC
    /// discovery SELECT), so that the session does not select it again. On a shared transport
    /// it is trusted only if [`Transport::selection_kept`] says so at the first transaction.
    /// Default: none.
    fn selected_on_open(&self) -> Option<crate::applets::Aid> {
        None
    }

    /// On a shared transport, asked just after [`Transport::begin_transaction`]: whether no other
    /// program can have sent the card anything since this transport's previous transaction
    /// ended (or since its discovery), because the card stayed reserved for it in between (a
    /// PC/SC transaction kept open, see `pcsc::Options::linger`). When it is, the session keeps
    /// what it knows is selected; otherwise it selects again. Default: `false`.
    fn selection_kept(&self) -> bool {
        false
    }
}

/// A transport that wraps another: it names its inner transport, overrides only the methods
/// it intercepts, and forwards everything else by construction.
///
/// Every [`Wrapper`] is a [`Transport`] through the blanket implementation below, whose methods
/// call the wrapper's; each method of this trait defaults to calling the same method of
/// [`Wrapper::inner`] / [`Wrapper::inner_mut`]. A wrapper therefore cannot drop a method: one
/// added to [`Transport`] later is added here with a forwarding default, and a wrapper that
/// does not know about it passes it on. (A hand-written forwarding `impl Transport` could
/// silently hide, say, [`Transport::shared`], and let the session trust a selection another
/// program may have changed.)
///
/// `&mut T` and `Box<T>` are wrappers that intercept nothing.
///
/// ```
/// use mynacard::transport::{Transport, TransportError, Wrapper};
///
/// /// Counts the commands it passes on.
/// struct Counting<T> {
///     inner: T,
///     sent: usize,
/// }
///
/// impl<T: Transport> Wrapper for Counting<T> {
///     type Inner = T;
///     fn inner(&self) -> &T {
///         &self.inner
///     }
///     fn inner_mut(&mut self) -> &mut T {
///         &mut self.inner
///     }
///     // The one method it intercepts; transactions, unpower, sharing, ... pass on untouched.
///     fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
///         self.sent += 1;
///         self.inner.transmit(command)
///     }
/// }
/// ```
///
/// A type that is both a [`Wrapper`] and a [`Transport`] has each method twice; with both
/// traits in scope, call it as `Transport::transmit(&mut w, ..)`.
pub trait Wrapper {
    /// The wrapped transport.
    type Inner: Transport + ?Sized;

    /// The wrapped transport.
    fn inner(&self) -> &Self::Inner;

    /// The wrapped transport, mutably.
    fn inner_mut(&mut self) -> &mut Self::Inner;

    /// [`Transport::transmit`]; default: the inner transport's.
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.inner_mut().transmit(command)
    }

    /// [`Transport::caps`]; default: the inner transport's.
    fn caps(&self) -> TransportCaps {
        self.inner().caps()
    }

    /// [`Transport::begin_transaction`]; default: the inner transport's.
    fn begin_transaction(&mut self) -> Result<(), TransportError> {
        self.inner_mut().begin_transaction()
    }

    /// [`Transport::end_transaction`]; default: the inner transport's.
    fn end_transaction(&mut self) {
        self.inner_mut().end_transaction()
    }

    /// [`Transport::unpower`]; default: the inner transport's.
    fn unpower(&mut self) -> Result<(), TransportError> {
        self.inner_mut().unpower()
    }

    /// [`Transport::shared`]; default: the inner transport's.
    fn shared(&self) -> bool {
        self.inner().shared()
    }

    /// [`Transport::prior_exchanges`]; default: the inner transport's.
    fn prior_exchanges(&self) -> Vec<Exchange> {
        self.inner().prior_exchanges()
    }

    /// [`Transport::selected_on_open`]; default: the inner transport's.
    fn selected_on_open(&self) -> Option<crate::applets::Aid> {
        self.inner().selected_on_open()
    }

    /// [`Transport::selection_kept`]; default: the inner transport's.
    fn selection_kept(&self) -> bool {
        self.inner().selection_kept()
    }
}

/// Every wrapper is a transport: each method is the wrapper's (which forwards unless the
/// wrapper intercepts it).
impl<W: Wrapper> Transport for W {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        Wrapper::transmit(self, command)
    }
    fn caps(&self) -> TransportCaps {
        Wrapper::caps(self)
    }
    fn begin_transaction(&mut self) -> Result<(), TransportError> {
        Wrapper::begin_transaction(self)
    }
    fn end_transaction(&mut self) {
        Wrapper::end_transaction(self)
    }
    fn unpower(&mut self) -> Result<(), TransportError> {
        Wrapper::unpower(self)
    }
    fn shared(&self) -> bool {
        Wrapper::shared(self)
    }
    fn prior_exchanges(&self) -> Vec<Exchange> {
        Wrapper::prior_exchanges(self)
    }
    fn selected_on_open(&self) -> Option<crate::applets::Aid> {
        Wrapper::selected_on_open(self)
    }
    fn selection_kept(&self) -> bool {
        Wrapper::selection_kept(self)
    }
}

impl<T: Transport + ?Sized> Wrapper for &mut T {
    type Inner = T;
    fn inner(&self) -> &T {
        self
    }
    fn inner_mut(&mut self) -> &mut T {
        self
    }
}

impl<T: Transport + ?Sized> Wrapper for Box<T> {
    type Inner = T;
    fn inner(&self) -> &T {
        self
    }
    fn inner_mut(&mut self) -> &mut T {
        self
    }
}

/// One logged exchange: the command with secret data masked, and the response.
#[derive(Clone, PartialEq, Eq)]
pub struct Exchange {
    /// The command bytes; the data of secret-carrying commands is replaced by `*` (0x2A).
    pub command: Vec<u8>,
    /// The response bytes (data and status word), or the transport error.
    pub response: Result<Vec<u8>, TransportError>,
}

impl Exchange {
    /// Records a command, masking secret data.
    pub fn new(command: &[u8], response: Result<Vec<u8>, TransportError>) -> Self {
        Exchange {
            command: mask_command(command),
            response,
        }
    }

    /// The instruction byte, if the command had a header.
    pub fn ins(&self) -> Option<u8> {
        self.command.get(1).copied()
    }

    /// The status word of the response, if there was one.
    pub fn sw(&self) -> Option<StatusWord> {
        match &self.response {
            Ok(r) if r.len() >= 2 => Some(StatusWord::from_bytes(r[r.len() - 2], r[r.len() - 1])),
            _ => None,
        }
    }
}

impl fmt::Debug for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Exchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "> {}", hex::encode_upper(&self.command))?;
        match &self.response {
            Ok(r) if r.len() > 40 => write!(
                f,
                "  < [{} bytes] {}",
                r.len() - 2,
                hex::encode_upper(&r[r.len() - 2..])
            ),
            Ok(r) => write!(f, "  < {}", hex::encode_upper(r)),
            Err(e) => write!(f, "  < error: {e}"),
        }
    }
}

/// Returns a copy of an encoded command with the data of VERIFY, CHANGE REFERENCE DATA, CHANGE
/// KEY and RESET RETRY COUNTER replaced by `*` bytes. A command that does not parse is masked
/// from the fifth byte on when its instruction carries secrets.
pub fn mask_command(command: &[u8]) -> Vec<u8> {
    let secret = command
        .get(1)
        .is_some_and(|&i| crate::apdu::ins::carries_secret(i));
    if !secret {
        return command.to_vec();
    }
    match CommandView::parse(command) {
        Ok(v) => {
            let mut c = v.to_owned().masked().to_bytes();
            std::mem::take(&mut *c)
        }
        Err(_) => {
            let mut out = command.to_vec();
            for b in out.iter_mut().skip(4) {
                *b = b'*';
            }
            out
        }
    }
}

/// Follows the selection seen in logged commands, to mask responses that carry the My Number:
/// text-assist EF `0001` ([card facts §2](crate::card_facts#s2)) and card-surface EF `0005` (the My
/// Number as an image), whether read by SFI or after a SELECT, and the GET RESPONSE rounds that
/// continue such a read.
#[derive(Debug, Clone, Default)]
struct SecretTracker {
    text_assist: bool,
    surface: bool,
    ef: Option<u16>,
    /// The last command's response carried My Number bytes (a GET RESPONSE continues it).
    secret_pending: bool,
}

impl SecretTracker {
    /// Whether the response to `command` must be masked; updates the tracked selection.
    fn observe(&mut self, command: &[u8]) -> bool {
        const MY_NUMBER: u16 = 0x0001;
        const MY_NUMBER_IMAGE: u16 = 0x0005;
        let Ok(v) = CommandView::parse(command) else {
            self.secret_pending = false;
            return false;
        };
        let secret = match (v.cla, v.ins, v.p1) {
            (0x00, 0xA4, 0x04) => {
                self.text_assist = v.data == crate::applets::TEXT_ASSIST.as_bytes();
                self.surface = v.data == crate::applets::SURFACE.as_bytes();
                self.ef = None;
                false
            }
            (0x00, 0xA4, 0x02) => {
                self.ef = match v.data {
                    [hi, lo] => Some(u16::from_be_bytes([*hi, *lo])),
                    _ => None,
                };
                false
            }
            (0x00, 0xB0, p1) => {
                if p1 & 0x80 != 0 {
                    self.ef = Some((p1 & 0x1F) as u16);
                }
                (self.text_assist && self.ef == Some(MY_NUMBER))
                    || (self.surface && self.ef == Some(MY_NUMBER_IMAGE))
            }
            (0x00, 0xC0, _) => self.secret_pending,
            _ => false,
        };
        self.secret_pending = secret;
        secret
    }
}

/// A response with its data replaced by `*` bytes (the status word kept).
fn mask_response(r: &Result<Vec<u8>, TransportError>) -> Result<Vec<u8>, TransportError> {
    match r {
        Ok(b) if b.len() > 2 => {
            let mut m = vec![b'*'; b.len() - 2];
            m.extend_from_slice(&b[b.len() - 2..]);
            Ok(m)
        }
        other => other.clone(),
    }
}

/// A shared, append-only log of exchanges, safe to print: the data of commands carrying PINs
/// is masked, and so is the data of responses carrying the My Number.
#[derive(Clone, Default)]
pub struct ExchangeLog(Arc<Mutex<Vec<Exchange>>>, Arc<Mutex<SecretTracker>>);

impl ExchangeLog {
    /// A new, empty log.
    pub fn new() -> Self {
        Self::default()
    }
    /// Appends an exchange.
    pub fn push(&self, mut e: Exchange) {
        let secret = self
            .1
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .observe(&e.command);
        if secret {
            e.response = mask_response(&e.response);
        }
        self.lock().push(e);
    }
    /// A copy of the entries.
    pub fn entries(&self) -> Vec<Exchange> {
        self.lock().clone()
    }
    /// The number of exchanges logged.
    pub fn len(&self) -> usize {
        self.lock().len()
    }
    /// Whether nothing was logged.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Empties the log.
    pub fn clear(&self) {
        self.lock().clear();
    }
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Exchange>> {
        // A panic while holding the lock cannot leave the Vec half-written; keep using it.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl fmt::Debug for ExchangeLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.entries()).finish()
    }
}

/// A transport wrapper that records every exchange, secrets masked, into an [`ExchangeLog`].
pub struct Recorder<T> {
    inner: T,
    log: ExchangeLog,
}

impl<T: Transport> Recorder<T> {
    /// Wraps a transport with a new log, which starts with the exchanges the card saw before
    /// ([`Transport::prior_exchanges`], the PC/SC discovery SELECT).
    pub fn new(inner: T) -> Self {
        let log = ExchangeLog::new();
        for e in inner.prior_exchanges() {
            log.push(e);
        }
        Recorder { inner, log }
    }
    /// The log (a shared handle: it keeps filling as the recorder is used).
    pub fn log(&self) -> ExchangeLog {
        self.log.clone()
    }
    /// The wrapped transport.
    pub fn inner(&self) -> &T {
        &self.inner
    }
    /// The wrapped transport, mutably.
    pub fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }
    /// Unwraps.
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: Transport> Wrapper for Recorder<T> {
    type Inner = T;
    fn inner(&self) -> &T {
        &self.inner
    }
    fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }
    // The one method it intercepts: everything else reaches the inner transport untouched.
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let r = self.inner.transmit(command);
        self.log.push(Exchange::new(command, r.clone()));
        r
    }
}

/// Zeroizing byte buffer, for callers that build commands carrying secrets by hand.
pub type SecretBytes = Zeroizing<Vec<u8>>;

/// A transport wrapper that appends each exchange to a file, one line each, for counting
/// exchanges (the front ends' `MYNACARD_SIM_LOG`).
///
/// A line is the command as [`mask_command`] shows it (the data of PIN-carrying commands
/// masked), at most its first 16 bytes in upper-case hex, then ` -> ` and the answer's status
/// word and data length (`9000 (0 bytes)`), `malformed (N bytes)` for an answer shorter than a
/// status word, or `error: ...` for a transport error; never the answer's data. Power removal
/// is a line `# unpower`, which is not an exchange. Without a path nothing is written.
///
/// The file is created readable and writable by its owner only (`0600` on Unix): it tells which
/// commands were sent and when. A write that fails is ignored (the log is a diagnostic; the
/// exchange itself is never affected). Built on [`Wrapper`], it forwards every other method to
/// the inner transport.
pub struct FileLog<T> {
    inner: T,
    path: Option<std::path::PathBuf>,
}

impl<T: Transport> FileLog<T> {
    /// Wraps `inner`, appending to `path` when it is `Some`.
    pub fn new(inner: T, path: Option<std::path::PathBuf>) -> Self {
        FileLog { inner, path }
    }

    /// The file the exchanges are appended to, if any.
    pub fn path(&self) -> Option<&std::path::Path> {
        self.path.as_deref()
    }

    /// The inner transport, to reach what is not a [`Transport`] method (for example the
    /// virtual card's lock on its state file). Exchanges made through it are not logged.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.inner
    }

    /// Unwraps the inner transport.
    pub fn into_inner(self) -> T {
        self.inner
    }

    fn append(&self, line: impl FnOnce() -> String) {
        use std::io::Write;
        let Some(path) = &self.path else {
            return;
        };
        let mut o = std::fs::OpenOptions::new();
        o.create(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            o.mode(0o600);
        }
        if let Ok(mut f) = o.open(path) {
            let _ = writeln!(f, "{}", line());
        }
    }
}

impl<T> fmt::Debug for FileLog<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileLog")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl<T: Transport> Wrapper for FileLog<T> {
    type Inner = T;
    fn inner(&self) -> &T {
        &self.inner
    }
    fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let r = self.inner.transmit(command);
        self.append(|| {
            let answer = match &r {
                Ok(b) if b.len() >= 2 => format!(
                    "{:02X}{:02X} ({} bytes)",
                    b[b.len() - 2],
                    b[b.len() - 1],
                    b.len() - 2
                ),
                Ok(b) => format!("malformed ({} bytes)", b.len()),
                Err(e) => format!("error: {e}"),
            };
            let masked = mask_command(command);
            let shown: String = masked.iter().take(16).map(|b| format!("{b:02X}")).collect();
            format!("{shown} -> {answer}")
        });
        r
    }
    // Everything else (caps, transactions, sharing, the discovery's selection) is forwarded by
    // `Wrapper`'s defaults.
    fn unpower(&mut self) -> Result<(), TransportError> {
        let r = self.inner.unpower();
        self.append(|| "# unpower".into());
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_my_number_responses() {
        let log = ExchangeLog::new();
        let mut select = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
        select.extend_from_slice(crate::applets::TEXT_ASSIST.as_bytes());
        log.push(Exchange::new(&select, Ok(vec![0x90, 0x00])));
        let mut number = vec![0xFF, 0x10, 0x0C];
        number.extend_from_slice(b"123456789018");
        number.extend_from_slice(&[0xFF, 0xFF, 0x90, 0x00]);
        // By SFI, in 61xx chunks.
        log.push(Exchange::new(
            &[0x00, 0xB0, 0x81, 0x00, 0x11],
            Ok([&number[..8], &[0x61, 0x09]].concat()),
        ));
        log.push(Exchange::new(
            &[0x00, 0xC0, 0x00, 0x00, 0x09],
            Ok(number[8..].to_vec()),
        ));
        // After SELECT EF.
        log.push(Exchange::new(
            &[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x01],
            Ok(vec![0x90, 0x00]),
        ));
        log.push(Exchange::new(
            &[0x00, 0xB0, 0x00, 0x00, 0x11],
            Ok(number.clone()),
        ));
        // Another file is not masked.
        log.push(Exchange::new(
            &[0x00, 0xB0, 0x82, 0x00, 0x11],
            Ok(number.clone()),
        ));
        let shown = format!("{log:?}");
        assert_eq!(shown.matches("313233").count(), 1, "{shown}");
        let e = log.entries();
        assert_eq!(e[1].sw().map(|s| s.0), Some(0x6109));
        assert!(e[4].response.as_ref().unwrap()[..17]
            .iter()
            .all(|&b| b == b'*'));
    }

    /// A transport whose every optional method answers something other than the default, and
    /// counts the calls that change state.
    #[derive(Default)]
    struct Probe {
        begun: u32,
        ended: u32,
        unpowered: u32,
    }

    impl Transport for Probe {
        fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
            Ok([command, &[0x90, 0x00]].concat())
        }
        fn caps(&self) -> TransportCaps {
            TransportCaps {
                extended_length: false,
            }
        }
        fn begin_transaction(&mut self) -> Result<(), TransportError> {
            self.begun += 1;
            Ok(())
        }
        fn end_transaction(&mut self) {
            self.ended += 1;
        }
        fn unpower(&mut self) -> Result<(), TransportError> {
            self.unpowered += 1;
            Ok(())
        }
        fn shared(&self) -> bool {
            true
        }
        fn prior_exchanges(&self) -> Vec<Exchange> {
            vec![Exchange::new(
                &[0x00, 0xA4, 0x04, 0x0C],
                Ok(vec![0x90, 0x00]),
            )]
        }
        fn selected_on_open(&self) -> Option<crate::applets::Aid> {
            Some(crate::applets::JPKI)
        }
        fn selection_kept(&self) -> bool {
            true
        }
    }

    /// A wrapper that intercepts `transmit` only (as a logger would) and says nothing else.
    struct Tagging<T>(T);

    impl<T: Transport> Wrapper for Tagging<T> {
        type Inner = T;
        fn inner(&self) -> &T {
            &self.0
        }
        fn inner_mut(&mut self) -> &mut T {
            &mut self.0
        }
        fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
            let mut r = self.0.transmit(command)?;
            r.insert(0, 0xEE);
            Ok(r)
        }
    }

    /// Every optional method of `t` answers as `Probe` does, and the state-changing ones
    /// reach it.
    fn forwards_everything<T: Transport>(mut t: T, probe: impl Fn(&T) -> &Probe) {
        assert_eq!(
            t.caps(),
            TransportCaps {
                extended_length: false
            }
        );
        assert!(t.shared());
        assert!(t.selection_kept());
        assert_eq!(t.selected_on_open(), Some(crate::applets::JPKI));
        assert_eq!(t.prior_exchanges().len(), 1);
        t.begin_transaction().unwrap();
        t.end_transaction();
        t.unpower().unwrap();
        let p = probe(&t);
        assert_eq!((p.begun, p.ended, p.unpowered), (1, 1, 1));
    }

    #[test]
    fn a_wrapper_forwards_every_method_it_does_not_override() {
        let mut w = Tagging(Probe::default());
        assert_eq!(
            Transport::transmit(&mut w, &[0x01]).unwrap(),
            vec![0xEE, 0x01, 0x90, 0x00],
            "the overridden method is the wrapper's"
        );
        forwards_everything(w, |w| &w.0);
        // Stacked, boxed and borrowed wrappers too.
        forwards_everything(Recorder::new(Tagging(Probe::default())), |r| &r.inner().0);
        forwards_everything(Box::new(Probe::default()), |b| b);
        let mut p = Probe::default();
        forwards_everything(&mut p, |p| p);
        // The recorder starts its log with the inner transport's prior exchanges.
        let r = Recorder::new(Tagging(Probe::default()));
        assert_eq!(r.log().len(), 1);
    }

    #[test]
    fn masks_all_four_secret_instructions() {
        for (cla, ins) in [(0x00, 0x20), (0x00, 0x24), (0x80, 0x32), (0x00, 0x2C)] {
            let cmd = [cla, ins, 0x01, 0x80, 0x04, b'4', b'8', b'2', b'1'];
            let m = mask_command(&cmd);
            assert_eq!(&m[..5], &cmd[..5]);
            assert_eq!(&m[5..], b"****");
        }
        let read = [0x00, 0xB0, 0x8A, 0x00, 0x00];
        assert_eq!(mask_command(&read), read);
        // Malformed but secret-carrying: masked from byte 5 on.
        let bad = [0x00, 0x20, 0x00, 0x80, 0x09, b'1', b'2'];
        assert_eq!(&mask_command(&bad)[4..], b"***");
    }

    /// The file log, with `Transport` alone in scope (as a front end has it).
    mod file_log {
        use super::super::{Exchange, FileLog, Transport, TransportCaps, TransportError};
        use super::{forwards_everything, Probe};

        /// A transport whose every optional method answers something other than the default
        /// (errors included).
        struct Distinct;

        impl Transport for Distinct {
            fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
                match command.get(1) {
                    Some(0xB0) => Ok(vec![0x01, 0x02, 0x03, 0x62, 0x82]),
                    Some(0xCA) => Ok(vec![0x90]),
                    Some(0xFF) => Err(TransportError::Backend("gone".into())),
                    _ => Ok(vec![0x90, 0x00]),
                }
            }
            fn caps(&self) -> TransportCaps {
                TransportCaps {
                    extended_length: false,
                }
            }
            fn begin_transaction(&mut self) -> Result<(), TransportError> {
                Err(TransportError::Backend("begin".into()))
            }
            fn unpower(&mut self) -> Result<(), TransportError> {
                Err(TransportError::Backend("unpower".into()))
            }
            fn shared(&self) -> bool {
                true
            }
            fn prior_exchanges(&self) -> Vec<Exchange> {
                vec![Exchange::new(
                    &[0x00, 0xA4, 0x04, 0x0C],
                    Ok(vec![0x90, 0x00]),
                )]
            }
            fn selected_on_open(&self) -> Option<crate::applets::Aid> {
                Some(crate::applets::JPKI)
            }
            fn selection_kept(&self) -> bool {
                true
            }
        }

        #[test]
        fn file_log_forwards_every_transport_method() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("log");
            let mut t = FileLog::new(Distinct, Some(path.clone()));
            assert_eq!(t.path(), Some(path.as_path()));
            assert_eq!(
                t.transmit(&[0x00, 0x84, 0x00, 0x00, 0x08]).unwrap(),
                [0x90, 0x00]
            );
            assert!(!t.caps().extended_length);
            assert!(t.begin_transaction().is_err());
            assert!(t.unpower().is_err());
            assert!(t.shared());
            assert_eq!(t.prior_exchanges(), Distinct.prior_exchanges());
            assert_eq!(t.selected_on_open(), Some(crate::applets::JPKI));
            assert!(t.selection_kept());
            let log = std::fs::read_to_string(&path).unwrap();
            assert_eq!(log, "0084000008 -> 9000 (0 bytes)\n# unpower\n");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&path).unwrap().permissions().mode();
                assert_eq!(mode & 0o777, 0o600, "the log is its owner's only");
            }
            // The state-changing methods reach the inner transport too.
            forwards_everything(FileLog::new(Probe::default(), None), |t| {
                super::super::Wrapper::inner(t)
            });
        }

        #[test]
        fn file_log_masks_secrets_shows_no_answer_data_and_keeps_its_format() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("log");
            let mut t = FileLog::new(Distinct, Some(path.clone()));
            t.transmit(&[0x00, 0x20, 0x00, 0x81, 0x04, b'1', b'2', b'3', b'4'])
                .unwrap();
            t.transmit(&[0x00, 0xB0, 0x00, 0x00, 0x00]).unwrap();
            t.transmit(&[0x00, 0xCA, 0x00, 0x00, 0x00]).unwrap();
            assert!(t.transmit(&[0x00, 0xFF, 0x00, 0x00]).is_err());
            // A long command shows its first 16 bytes only.
            let long: Vec<u8> = [&[0x00, 0xD6, 0x00, 0x00, 0x20][..], &[0xAB; 32]].concat();
            t.transmit(&long).unwrap();
            let log = std::fs::read_to_string(&path).unwrap();
            let lines: Vec<&str> = log.lines().collect();
            assert_eq!(lines[0], "00200081042A2A2A2A -> 9000 (0 bytes)");
            assert_eq!(lines[1], "00B0000000 -> 6282 (3 bytes)");
            assert_eq!(lines[2], "00CA000000 -> malformed (1 bytes)");
            assert!(lines[3].starts_with("00FF0000 -> error: "), "{}", lines[3]);
            assert_eq!(
                lines[4],
                format!("00D6000020{}", "AB".repeat(11)) + " -> 9000 (0 bytes)"
            );
            assert_eq!(lines.len(), 5);
            assert!(!log.contains("31323334"), "no PIN in the log");
            assert!(!log.contains("010203"), "no answer data in the log");
            // Without a path, nothing is written anywhere and the exchange still happens.
            let mut quiet = FileLog::new(Distinct, None);
            assert_eq!(
                quiet.transmit(&[0x00, 0x84, 0x00, 0x00, 0x08]).unwrap(),
                [0x90, 0x00]
            );
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        }
    }
}
