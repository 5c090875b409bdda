//! The thread that owns the PC/SC connection and runs its transactions.

use std::ffi::CString;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::transport::TransportError;

use super::*;

/// The thread that owns the PC/SC connection.
pub(super) struct Worker {
    pub(super) ctx: pcsc::Context,
    pub(super) reader: CString,
    pub(super) share: Share,
    pub(super) timeout: Duration,
    /// How long a transaction is kept open after it ends, waiting for the next one (shared
    /// connections; zero on exclusive ones).
    pub(super) linger: Duration,
    /// When a kept transaction was last ended because it reached [`MAX_HOLD`].
    pub(super) cut_at: Option<Instant>,
    pub(super) card: Option<pcsc::Card>,
    /// Whether a command carrying a PIN went to the card since it was last unpowered.
    pub(super) secret_sent: bool,
    pub(super) replies: Sender<Reply>,
}

/// How a transaction ended.
enum TxEnd {
    Ended,
    Unpower,
    Closed,
}

impl Worker {
    pub(super) fn run(mut self, requests: Receiver<Request>) {
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
        // After a hold cut short at MAX_HOLD, the card is not kept for a while, so that a
        // program working without pause still leaves gaps for others.
        let linger = match self.cut_at {
            Some(t) if t.elapsed() < MAX_HOLD => Duration::ZERO,
            _ => self.linger,
        };
        match serve_transaction(card, share, linger, &self.replies, requests) {
            Ok(out) => {
                if out.cut {
                    self.cut_at = Some(Instant::now());
                }
                self.secret_sent |= out.secret;
                if let Some(e) = out.broken {
                    Self::after_error(&mut self.card, share, e);
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
    /// The transaction was kept open until it reached [`MAX_HOLD`].
    cut: bool,
}

/// The reply to a `Begin` that continues a transaction kept open since the last one ended
/// (nothing from another program can have come in between).
pub(super) const CONTINUED: &[u8] = &[1];

/// The longest a PC/SC transaction is kept open by lingering: past it, the card is released
/// even if the program goes on, and not kept again for as long, so that others get their turn.
pub(super) const MAX_HOLD: Duration = Duration::from_secs(2);

/// Begins a transaction on `card` and serves requests inside it until it ends, the transport
/// asks to unpower, or the transport is dropped. Every reply is sent here, except the one to
/// `Unpower`, which the caller sends once the card is unpowered. `Err` if the transaction
/// could not begin.
///
/// When the transport's transaction ends, the PC/SC transaction is kept open for `linger`: a
/// `Begin` within it continues the same PC/SC transaction and is answered [`CONTINUED`], so
/// the session may trust what it knows is selected. After `linger` without a request, the
/// PC/SC transaction ends and the card is free for other programs.
fn serve_transaction(
    card: &mut pcsc::Card,
    share: Share,
    linger: Duration,
    replies: &Sender<Reply>,
    requests: &Receiver<Request>,
) -> Result<TxOutcome, pcsc::Error> {
    let mut tx = card.transaction2().map_err(|(_, e)| e)?;
    let began = Instant::now();
    let mut out = TxOutcome {
        end: TxEnd::Closed,
        secret: false,
        broken: None,
        cut: false,
    };
    if replies.send(Ok(Vec::new())).is_err() {
        let _ = tx.end(pcsc::Disposition::LeaveCard);
        return Ok(out);
    }
    let mut depth = 1u32;
    // Whether the card was reset (or lost) in this transaction: then nothing is continued.
    let mut interrupted = false;
    out.end = loop {
        let req = if depth > 0 {
            match requests.recv() {
                Ok(r) => r,
                Err(_) => break TxEnd::Closed,
            }
        } else if interrupted || linger.is_zero() {
            break TxEnd::Ended;
        } else {
            let left = MAX_HOLD.saturating_sub(began.elapsed());
            let wait = linger.min(left);
            match requests.recv_timeout(wait) {
                Ok(r) => r,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    out.cut = wait < linger;
                    break TxEnd::Ended;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break TxEnd::Closed,
            }
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
                                interrupted = true;
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
                                interrupted = true;
                                out.broken = Some(e);
                                Err(map_error(e, false))
                            }
                            Err(e) => Err(map_error(e, extended)),
                        }
                    }
                }
            }
            Request::Begin => {
                let continued = depth == 0;
                depth += 1;
                Ok(if continued {
                    CONTINUED.to_vec()
                } else {
                    Vec::new()
                })
            }
            Request::End => {
                depth = depth.saturating_sub(1);
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
