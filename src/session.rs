//! A session with a card: selection cache, `61xx`/`6Cxx` handling, file reads, and capability
//! learning with automatic fallback.
//!
//! * The current DF and EF are cached, so an application is selected once per operation chain;
//!   the cache is forgotten on any error status, any transport failure and any reset.
//! * `61xx` is answered by a GET RESPONSE loop, bounded at [`MAX_GET_RESPONSE`] rounds. `6Cxx` is
//!   answered by exactly one re-send with the corrected `Le` (never for a command carrying a
//!   PIN). Nothing else is ever re-sent by the session.
//! * What the card and reader accept (SFI addressing, extended length) is learnt from the card's
//!   answers and remembered for the rest of the session. A refused optimisation falls back to
//!   SELECT and short reads; it never fails an operation.

use crate::apdu::{ins, Command, Response, Status, StatusWord, MAX_NE};
use crate::applets::{Aid, Fid};
use crate::error::{sw_meaning, Error, Result};
use crate::transport::{Transport, TransportError};

/// The most GET RESPONSE rounds one command may need before the session gives up.
pub const MAX_GET_RESPONSE: usize = 64;

/// Whether the card accepts an optional feature: not yet known, yes, or no.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Support {
    /// Not tried yet in this session.
    #[default]
    Unknown,
    /// Accepted.
    Yes,
    /// Refused; the session uses the fallback.
    No,
}

/// What the session has learnt about the card and reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// Short EF identifiers in READ BINARY, VERIFY and SIGN.
    pub sfi: Support,
    /// Extended-length APDUs (both card and reader).
    pub extended: Support,
}

/// How to size a file when reading it in short chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileSize {
    /// A DER or BER-TLV object: the length comes from its header, and the filler after it is
    /// trimmed. `likely_large` says whether the object usually exceeds 256 bytes (a
    /// certificate): such a read starts with one extended READ BINARY where extended length may
    /// work; a small one starts with one short read of 256 bytes, which holds it whole, so that a
    /// card refusing extended length never costs it a refused attempt.
    Tlv {
        /// Usually larger than 256 bytes.
        likely_large: bool,
    },
    /// Exactly this many bytes.
    Fixed(usize),
}

/// A session over a transport.
pub struct Session<T> {
    transport: T,
    df: Option<Aid>,
    ef: Option<Fid>,
    caps: Capabilities,
    exchanges: u64,
    reset_seen: bool,
    tx_depth: u32,
}

impl<T: Transport> Session<T> {
    /// A fresh session: nothing selected, nothing learnt.
    pub fn new(transport: T) -> Self {
        Session {
            // What the transport's discovery left selected (PC/SC); on a shared transport it is
            // trusted only while the transport reports the card kept (`begin_transaction`).
            df: transport.selected_on_open(),
            transport,
            ef: None,
            caps: Capabilities::default(),
            exchanges: 0,
            reset_seen: false,
            tx_depth: 0,
        }
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        &self.transport
    }
    /// The transport, mutably. Anything done through it bypasses the selection cache, so the
    /// cache is forgotten.
    pub fn transport_mut(&mut self) -> &mut T {
        self.forget();
        &mut self.transport
    }
    /// Unwraps.
    pub fn into_transport(self) -> T {
        self.transport
    }
    /// Exchanges sent in this session (GET RESPONSE rounds and `6Cxx` re-sends included).
    pub fn exchanges(&self) -> u64 {
        self.exchanges
    }
    /// What the session has learnt about the card.
    pub fn capabilities(&self) -> Capabilities {
        self.caps
    }
    /// Presets what the card accepts (for example from an earlier session with the same reader).
    pub fn set_capabilities(&mut self, caps: Capabilities) {
        self.caps = caps;
    }
    /// The cached selection.
    pub fn selected(&self) -> (Option<Aid>, Option<Fid>) {
        (self.df, self.ef)
    }
    /// Forgets the cached selection (the next operation selects again).
    pub fn forget(&mut self) {
        self.df = None;
        self.ef = None;
    }
    /// Whether a card reset was seen in this session (so earlier PIN verification was lost).
    pub fn reset_seen(&self) -> bool {
        self.reset_seen
    }

    /// Runs `f` inside one transport transaction, so that no other process's commands are
    /// interleaved with it.
    pub fn transaction<R>(&mut self, f: impl FnOnce(&mut Self) -> Result<R>) -> Result<R> {
        let mut tx = self.begin()?;
        f(&mut tx)
    }

    /// Begins a transport transaction and returns it as a guard: the session is reached through
    /// the guard, and the transaction ends when the guard is dropped, so it cannot be left open
    /// (as pcsc-rust's `Transaction`).
    pub fn begin(&mut self) -> Result<Transaction<'_, T>> {
        self.begin_transaction()?;
        Ok(Transaction { session: self })
    }

    /// Begins a transport transaction; pair with [`Session::end_transaction`]. Nested calls
    /// reach the transport only at the outermost level. On a shared transport
    /// ([`Transport::shared`]) the selection cache is forgotten, because another program may
    /// have selected something else since the last transaction, unless the transport reports
    /// that the card stayed reserved for it in between ([`Transport::selection_kept`]).
    pub(crate) fn begin_transaction(&mut self) -> Result<()> {
        if self.tx_depth == 0 {
            self.transport
                .begin_transaction()
                .map_err(|e| self.map_transport(e))?;
            if self.transport.shared() && !self.transport.selection_kept() {
                self.forget();
            }
        }
        self.tx_depth += 1;
        Ok(())
    }

    /// Ends the transaction begun by [`Session::begin_transaction`].
    pub(crate) fn end_transaction(&mut self) {
        self.tx_depth = self.tx_depth.saturating_sub(1);
        if self.tx_depth == 0 {
            self.transport.end_transaction();
        }
    }

    /// Removes power from the card (PC/SC "unpower"): its security status ends here.
    pub fn unpower(&mut self) -> Result<()> {
        self.forget();
        self.transport.unpower().map_err(Error::from)
    }

    fn map_transport(&mut self, e: TransportError) -> Error {
        self.forget();
        if e == TransportError::CardReset {
            self.reset_seen = true;
            Error::CardReset
        } else {
            Error::Transport(e)
        }
    }

    fn send_once(&mut self, cmd: &Command) -> Result<Response> {
        let bytes = cmd.to_bytes();
        self.exchanges += 1;
        // The raw answer may hold the My Number: zeroized when dropped.
        let raw = zeroize::Zeroizing::new(
            self.transport
                .transmit(&bytes)
                .map_err(|e| self.map_transport(e))?,
        );
        match Response::parse(&raw) {
            Ok(r) => Ok(r),
            Err(_) => Err(self.map_transport(TransportError::Malformed(raw.len()))),
        }
    }

    /// Sends a command. Handles `61xx` (bounded GET RESPONSE loop) and `6Cxx` (one re-send),
    /// and returns the final response whatever its status word. Forgets the selection on any
    /// error status.
    pub fn transmit(&mut self, cmd: &Command) -> Result<Response> {
        let mut resp = self.send_once(cmd)?;
        if let Status::WrongLe(le) = resp.sw.status() {
            if !cmd.is_secret() {
                let ne = if le == 0 { 256 } else { le as usize };
                let again = Command::new(cmd.cla(), cmd.ins(), cmd.p1(), cmd.p2())
                    .with_data(cmd.data())?
                    .with_ne(ne)?;
                resp = self.send_once(&again)?;
            }
        }
        let mut rounds = 0;
        while let Status::MoreData(n) = resp.sw.status() {
            rounds += 1;
            if rounds > MAX_GET_RESPONSE {
                self.forget();
                return Err(Error::Protocol(
                    "the card kept answering 61xx: GET RESPONSE loop stopped",
                ));
            }
            let ne = if n == 0 { 256 } else { n as usize };
            let get = Command::new(0x00, ins::GET_RESPONSE, 0, 0).with_ne(ne)?;
            let mut more = self.send_once(&get)?;
            let mut old = std::mem::take(&mut resp.data);
            let mut data = Vec::with_capacity(old.len() + more.data.len());
            data.extend_from_slice(&old);
            data.extend_from_slice(&more.data);
            // Neither partial buffer outlives the copy (the data may be secret).
            zeroize::Zeroize::zeroize(&mut old);
            zeroize::Zeroize::zeroize(&mut more.data);
            resp = Response::new(data, more.sw);
        }
        match resp.sw.status() {
            // Answers about a key's counter say nothing about the selection: a blocked PIN's
            // status query (6984) does not cost a SELECT of the application afterwards.
            Status::Success
            | Status::EndOfFile
            | Status::TriesLeft(_)
            | Status::AuthenticationBlocked
            | Status::ReferenceDataBlocked => {}
            _ => self.forget(),
        }
        Ok(resp)
    }

    /// Sends a command and requires `9000` (or `6282` with data), mapping anything else to
    /// [`Error::Card`].
    pub fn transmit_ok(&mut self, cmd: &Command, operation: &'static str) -> Result<Vec<u8>> {
        let r = self.transmit(cmd)?;
        if r.sw.is_success() || (r.sw.status() == Status::EndOfFile && !r.data.is_empty()) {
            Ok(r.data)
        } else {
            Err(card_error(operation, r.sw))
        }
    }

    /// Selects an application by AID (`00 A4 04 0C 0A <AID>`), unless it is already selected.
    /// Selecting another DF clears the card's security status for the previous one.
    pub fn select_df(&mut self, aid: &Aid) -> Result<()> {
        self.distrust_outside_transactions();
        if self.df.as_ref() == Some(aid) {
            return Ok(());
        }
        self.forget();
        let cmd = Command::new(0x00, ins::SELECT, 0x04, 0x0C).with_data(aid.as_bytes())?;
        let r = self.transmit(&cmd)?;
        if r.sw == StatusWord::OK {
            self.df = Some(*aid);
            Ok(())
        } else if r.sw.status() == Status::FileNotFound {
            Err(Error::NotFound {
                what: crate::applets::name(aid),
            })
        } else {
            Err(card_error("SELECT application", r.sw))
        }
    }

    /// Selects an EF in the current application (`00 A4 02 0C 02 <FID>`; P1=09 fails on this
    /// card, [card facts §2](crate::card_facts#s2)), unless it is already selected.
    pub fn select_ef(&mut self, fid: Fid) -> Result<()> {
        self.distrust_outside_transactions();
        if self.ef == Some(fid) && self.df.is_some() {
            return Ok(());
        }
        let cmd = Command::new(0x00, ins::SELECT, 0x02, 0x0C).with_data(&fid.0.to_be_bytes())?;
        let df = self.df;
        let r = self.transmit(&cmd)?;
        if r.sw == StatusWord::OK {
            self.df = df;
            self.ef = Some(fid);
            Ok(())
        } else if r.sw.status() == Status::FileNotFound {
            Err(Error::NotFound { what: "the file" })
        } else {
            Err(card_error("SELECT file", r.sw))
        }
    }

    /// Outside a transaction on a shared transport, any other program may have selected
    /// something since the last command: the cache is not trusted there.
    fn distrust_outside_transactions(&mut self) {
        if self.tx_depth == 0 && self.transport.shared() {
            self.forget();
        }
    }

    /// After a command refused for its parameters (which changes no selection on the card),
    /// puts back the application selected before it, which `transmit` forgot.
    pub(crate) fn keep_application(&mut self, df: Option<Aid>) {
        self.df = df;
    }

    /// Records that an SFI-addressed command was accepted or refused.
    pub(crate) fn learn_sfi(&mut self, accepted: bool) {
        self.caps.sfi = if accepted { Support::Yes } else { Support::No };
    }

    /// Whether to try SFI addressing for `fid`.
    pub(crate) fn use_sfi(&self, fid: Fid) -> Option<u8> {
        if self.caps.sfi == Support::No {
            None
        } else {
            fid.sfi()
        }
    }

    /// Whether extended length may be tried.
    pub fn use_extended(&self) -> bool {
        self.caps.extended != Support::No && self.transport.caps().extended_length
    }

    /// Sends a command addressed either by SFI in `P2`-style (`p2 = 0x80 | sfi`) or, when the
    /// card refuses SFI addressing (`6A86`, `6A81`, `6D00`), by SELECT of the EF and `p2 = 0x80`.
    /// `build(p2)` builds the command. The first refusal is remembered for the session.
    ///
    /// A refusal of the parameters is answered before any comparison, so falling back never
    /// spends a PIN try.
    pub(crate) fn transmit_addressed(
        &mut self,
        fid: Fid,
        build: &dyn Fn(u8) -> Result<Command>,
    ) -> Result<Response> {
        if self.ef != Some(fid) {
            if let Some(sfi) = self.use_sfi(fid) {
                let df = self.df;
                let r = self.transmit(&build(0x80 | sfi)?)?;
                if !sfi_refused(r.sw) {
                    // `6700` may be a refusal of something else in the command (an extended
                    // length), so it says nothing about SFI addressing.
                    if r.sw.status() != Status::WrongLength {
                        self.learn_sfi(true);
                    }
                    return Ok(r);
                }
                self.learn_sfi(false);
                // A command refused for its parameters changes no selection on the card; keep
                // the application so that the fallback does not select it again.
                self.df = df;
            }
            self.select_ef(fid)?;
        }
        self.transmit(&build(0x80)?)
    }

    /// Reads a whole transparent file in the current application, in the fewest exchanges the
    /// card and reader allow:
    ///
    /// 1. a file that one short READ BINARY can hold ([`FileSize::Fixed`] up to 256 bytes, or a
    ///    TLV object not [`likely_large`](FileSize::Tlv) on a card whose extended length is not
    ///    known to work): one short read, by SFI or after SELECT EF, and extended length is not
    ///    even tried, since it could not save an exchange;
    /// 2. extended length and SFI: one `00 B0 (80|SFI) 00 00 00 00`;
    /// 3. extended length without SFI: SELECT EF, then one extended READ BINARY;
    /// 4. short only: (SFI or SELECT) then chunks of up to 256 bytes, sized by the header of the
    ///    first 256.
    ///
    /// A refused optimisation (`6A86` to SFI, `6700` or a reader error to extended length) is
    /// remembered and the read falls back; every refusal costs one exchange once per session.
    pub fn read_file(&mut self, fid: Fid, size: FileSize) -> Result<Vec<u8>> {
        let one_short_read = match size {
            FileSize::Fixed(n) => n <= 256,
            FileSize::Tlv { likely_large } => !likely_large && self.caps.extended != Support::Yes,
        };
        if !one_short_read && self.use_extended() {
            let (df, ef) = (self.df, self.ef);
            // Whether the last command built addressed the current EF (after a SELECT EF).
            let by_current_ef = std::cell::Cell::new(false);
            let r = self.transmit_addressed(fid, &|p1| {
                by_current_ef.set(p1 == 0x80);
                // SFI goes in P1 for READ BINARY: 1 0 0 SFI; offset in P2.
                let (p1, p2) = if p1 == 0x80 { (0x00, 0x00) } else { (p1, 0x00) };
                Ok(Command::new(0x00, ins::READ_BINARY, p1, p2)
                    .with_ne(MAX_NE)?
                    .extended())
            });
            match r {
                Ok(r) if r.sw.is_success() || r.sw.status() == Status::EndOfFile => {
                    self.caps.extended = Support::Yes;
                    self.after_read(fid);
                    return Ok(trim(r.data, size));
                }
                Ok(r) if r.sw.status() == Status::WrongLength => {
                    self.caps.extended = Support::No;
                    // The refused command changed no selection on the card: the application
                    // stays, and so does the EF if it was selected for this read.
                    self.df = df;
                    self.ef = if by_current_ef.get() { Some(fid) } else { ef };
                }
                Ok(r) => return Err(card_error("READ BINARY", r.sw)),
                Err(Error::Transport(TransportError::Unsupported(_))) => {
                    self.caps.extended = Support::No;
                    // Nothing reached the card.
                    self.df = df;
                    self.ef = if by_current_ef.get() { Some(fid) } else { ef };
                }
                Err(e) => return Err(e),
            }
        }
        self.read_short(fid, size)
    }

    fn after_read(&mut self, fid: Fid) {
        // READ BINARY with an SFI makes that EF the current one (ISO/IEC 7816-4 §7.2.2).
        if self.df.is_some() {
            self.ef = Some(fid);
        }
    }

    fn read_chunk(&mut self, fid: Fid, offset: usize, len: usize) -> Result<Vec<u8>> {
        let r = self.transmit_addressed(fid, &|p1| {
            let (p1, p2) = if p1 == 0x80 {
                ((offset >> 8) as u8 & 0x7F, offset as u8)
            } else {
                // With an SFI, P2 is the offset and it must fit in one byte.
                (p1, offset as u8)
            };
            Ok(Command::new(0x00, ins::READ_BINARY, p1, p2).with_ne(len)?)
        })?;
        if r.sw.is_success() || (r.sw.status() == Status::EndOfFile && !r.data.is_empty()) {
            self.after_read(fid);
            Ok(r.data)
        } else {
            Err(card_error("READ BINARY", r.sw))
        }
    }

    /// One extended READ BINARY of `len` bytes at `offset` of the current EF `fid`. `None` when
    /// the card or reader refuses extended length (remembered; nothing changed on the card).
    fn read_rest_extended(
        &mut self,
        fid: Fid,
        offset: usize,
        len: usize,
    ) -> Result<Option<Vec<u8>>> {
        let cmd = Command::new(
            0x00,
            ins::READ_BINARY,
            (offset >> 8) as u8 & 0x7F,
            offset as u8,
        )
        .with_ne(len.min(MAX_NE))?
        .extended();
        let (df, ef) = (self.df, self.ef);
        match self.transmit(&cmd) {
            Ok(r)
                if (r.sw.is_success() || r.sw.status() == Status::EndOfFile)
                    && !r.data.is_empty() =>
            {
                self.caps.extended = Support::Yes;
                self.after_read(fid);
                Ok(Some(r.data))
            }
            Ok(r) if r.sw.status() == Status::WrongLength => {
                self.caps.extended = Support::No;
                (self.df, self.ef) = (df, ef);
                Ok(None)
            }
            Ok(r) => Err(card_error("READ BINARY", r.sw)),
            Err(Error::Transport(TransportError::Unsupported(_))) => {
                self.caps.extended = Support::No;
                (self.df, self.ef) = (df, ef);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn read_short(&mut self, fid: Fid, size: FileSize) -> Result<Vec<u8>> {
        // A TLV object's first read asks for 256 bytes, not just its header: one exchange costs
        // more than the bytes (see docs/PERFORMANCE.md), and most objects then need no second
        // read. A card with fewer bytes left answers what it has (`9000` or `6282`), or `6Cxx`,
        // which `transmit` answers with one re-send.
        let first_len = match size {
            FileSize::Fixed(n) => n.clamp(1, 256),
            FileSize::Tlv { .. } => 256,
        };
        let mut out = match self.read_chunk(fid, 0, first_len) {
            Ok(c) => c,
            // End of file at offset 0 (6282 with no data, or 6B00): an empty file.
            Err(Error::Card { sw, .. })
                if matches!(sw.status(), Status::EndOfFile | Status::WrongParameters) =>
            {
                return Err(Error::Parse {
                    fid,
                    what: "file",
                    reason: "the file is empty".into(),
                })
            }
            Err(e) => return Err(e),
        };
        let total = match size {
            FileSize::Fixed(n) => n,
            FileSize::Tlv { .. } => match crate::tlv::object_len(&out) {
                Some(n) => n,
                None => {
                    return Err(Error::Parse {
                        fid,
                        what: "file",
                        reason: format!(
                            "no TLV header in its first {} bytes: {}",
                            out.len(),
                            hex::encode_upper(&out[..out.len().min(8)])
                        ),
                    })
                }
            },
        };
        if total > 0x7FFF + 256 {
            return Err(Error::Parse {
                fid,
                what: "file",
                reason: format!("declared length {total} is larger than a file can be"),
            });
        }
        if total > out.len() {
            // One buffer of the final size, so that growing it leaves no copy of the data
            // behind in freed memory.
            let mut first = std::mem::replace(&mut out, Vec::with_capacity(total));
            out.extend_from_slice(&first);
            zeroize::Zeroize::zeroize(&mut first);
        }
        let short_file = |offset: usize| Error::Parse {
            fid,
            what: "file",
            reason: format!("ends at {offset} bytes, but its header says {total}"),
        };
        while out.len() < total {
            let offset = out.len();
            if offset > 0x7FFF {
                // READ BINARY cannot address past 7FFF (docs/card.md §6).
                return Err(short_file(offset));
            }
            // With an SFI in P1 the offset must fit in P2 (one byte); past that, select the EF.
            if offset > 0xFF && self.ef != Some(fid) {
                self.select_ef(fid)?;
            }
            // More than one short read left: the rest in one extended read, where it may work.
            if total - offset > 256 && self.ef == Some(fid) && self.use_extended() {
                match self.read_rest_extended(fid, offset, total - offset) {
                    Ok(Some(rest)) => {
                        out.extend_from_slice(&rest);
                        continue;
                    }
                    Ok(None) => {}
                    // No data where the header promised more: the file is shorter than that.
                    Err(Error::Card { sw, .. })
                        if matches!(
                            sw.status(),
                            Status::Success | Status::EndOfFile | Status::WrongParameters
                        ) =>
                    {
                        return Err(short_file(offset))
                    }
                    Err(e) => return Err(e),
                }
            }
            let chunk = match self.read_chunk(fid, offset, (total - offset).min(256)) {
                Ok(c) => c,
                // End of file (6282 with no data) or an offset past it (6B00): the file is
                // shorter than its header says.
                Err(Error::Card { sw, .. })
                    if matches!(sw.status(), Status::EndOfFile | Status::WrongParameters) =>
                {
                    return Err(short_file(offset))
                }
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                return Err(short_file(offset));
            }
            out.extend_from_slice(&chunk);
            let mut chunk = chunk;
            zeroize::Zeroize::zeroize(&mut chunk);
        }
        out.truncate(total);
        Ok(out)
    }
}

fn trim(mut data: Vec<u8>, size: FileSize) -> Vec<u8> {
    let n = match size {
        FileSize::Fixed(n) => n,
        FileSize::Tlv { .. } => crate::tlv::object_len(&data).unwrap_or(data.len()),
    };
    data.truncate(n);
    data
}

/// A transport transaction in progress ([`Session::begin`]); it ends when dropped.
pub struct Transaction<'s, T: Transport> {
    session: &'s mut Session<T>,
}

impl<T: Transport> std::ops::Deref for Transaction<'_, T> {
    type Target = Session<T>;
    fn deref(&self) -> &Session<T> {
        self.session
    }
}

impl<T: Transport> std::ops::DerefMut for Transaction<'_, T> {
    fn deref_mut(&mut self) -> &mut Session<T> {
        self.session
    }
}

impl<T: Transport> Drop for Transaction<'_, T> {
    fn drop(&mut self) {
        self.session.end_transaction();
    }
}

/// Whether a status word means "this addressing is not accepted" rather than a result of the
/// command itself.
pub(crate) fn sfi_refused(sw: StatusWord) -> bool {
    matches!(
        sw.status(),
        Status::IncorrectP1P2 | Status::FunctionNotSupported
    ) || sw.0 == 0x6981
}

/// Turns a failed read of `what` into the error a caller can act on: `6982` becomes
/// [`Error::NeedsVerification`] (with `needs`, the secret that opens it), a missing file
/// [`Error::NotFound`] naming `what`; anything else passes through. The one mapper for every
/// application's reads.
pub(crate) fn read_error(e: Error, what: &'static str, needs: &'static str) -> Error {
    match e {
        Error::Card { sw, .. } if sw.status() == Status::SecurityStatusNotSatisfied => {
            Error::NeedsVerification { what, needs }
        }
        Error::Card { sw, .. } if sw.status() == Status::FileNotFound => Error::NotFound { what },
        Error::NotFound { .. } => Error::NotFound { what },
        other => other,
    }
}

/// An [`Error::Card`] for a status word.
pub(crate) fn card_error(operation: &'static str, sw: StatusWord) -> Error {
    Error::Card {
        operation,
        sw,
        meaning: sw_meaning(sw),
    }
}
