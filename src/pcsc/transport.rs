//! The PC/SC transport: the caller's side of the connection.

use std::ffi::{CStr, CString};
use std::fmt;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::transport::{Exchange, Transport, TransportCaps, TransportError};

use super::*;

/// Connects with `share`, retrying while another program holds the card, until `deadline`.
pub(super) fn connect_retrying(
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

pub(super) enum Request {
    Transmit(Zeroizing<Vec<u8>>),
    Begin,
    End,
    Unpower,
}

pub(super) type Reply = Result<Vec<u8>, TransportError>;

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
    pub(super) discovery: Vec<Exchange>,
    /// The application the discovery left selected on this very connection (exclusive only).
    pub(super) discovered: Option<crate::applets::Aid>,
    /// Whether the transaction begun last continues the one before it (the card stayed
    /// reserved for this connection in between, see [`Options::linger`]).
    kept: bool,
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

    pub(super) fn from_card(
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
            linger: match options.share {
                Share::Shared => options.linger,
                Share::Exclusive => Duration::ZERO,
            },
            cut_at: None,
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
            kept: false,
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
        self.kept = false;
        let reply = self.call(Request::Begin)?;
        self.kept = reply == super::worker::CONTINUED;
        Ok(())
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
    fn selected_on_open(&self) -> Option<crate::applets::Aid> {
        self.discovered
    }
    fn shared(&self) -> bool {
        self.share == Share::Shared
    }
    fn selection_kept(&self) -> bool {
        self.kept
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
