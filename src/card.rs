//! [`Card`]: the typed API over a [`Session`]: PIN status, verify and change.
//!
//! The lockout guard is on by default: before a VERIFY, the card's counter is read with a case-1
//! VERIFY (which spends nothing), a blocked PIN is never sent, and a VERIFY that would be the
//! last try is refused unless the caller explicitly allows it.

use std::collections::HashMap;

use crate::apdu::{ins, Command, Status, StatusWord};
use crate::credential::{AnyPin, CredentialError, CredentialKind, Pin, Rule};
use crate::error::{Advice, Error, Held, Result, TornChange};
use crate::pin::{ChangeCommand, KeyRef, PinKind, PinStatus, RefStatus, RetryState};
use crate::session::{card_error, Session};
use crate::transport::{Transport, TransportError};

/// Whether a VERIFY may spend the last try.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LastTry {
    /// Refuse a VERIFY when one try is left (the default).
    #[default]
    Refuse,
    /// The caller accepts that a wrong value will lock the PIN.
    Allow,
}

impl LastTry {
    /// The one way to choose from a yes/no flag (such as `--allow-last-try`):
    /// [`LastTry::Allow`] when `allow` is true, else [`LastTry::Refuse`].
    pub fn allow_if(allow: bool) -> Self {
        if allow {
            LastTry::Allow
        } else {
            LastTry::Refuse
        }
    }
}

/// Whose counter a VERIFY spends: a PIN, or a key of the card-surface or text-assist AP
/// (照合番号A, 照合番号B, the birth-date key). Every secret goes through the same guarded path
/// ([`Card::verify_secret`]); this only chooses the error variants that name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SecretId {
    /// One of the four PINs.
    Pin(PinKind),
    /// 照合番号A, 照合番号B or the birth-date key.
    Key(CredentialKind),
}

impl SecretId {
    fn wrong(self, tries_left: u8) -> Error {
        match self {
            SecretId::Pin(kind) => Error::WrongPin { kind, tries_left },
            SecretId::Key(kind) => Error::WrongMatchingNumber { kind, tries_left },
        }
    }

    fn blocked(self) -> Error {
        match self {
            SecretId::Pin(kind) => Error::Blocked { kind },
            SecretId::Key(kind) => Error::MatchingNumberBlocked { kind },
        }
    }

    fn last_try(self) -> Error {
        match self {
            SecretId::Pin(kind) => Error::LastTry { kind },
            SecretId::Key(kind) => Error::MatchingNumberLastTry { kind },
        }
    }

    fn credential_kind(self) -> CredentialKind {
        match self {
            SecretId::Pin(kind) => CredentialKind::Pin(kind),
            SecretId::Key(kind) => kind,
        }
    }

    fn status_op(self) -> &'static str {
        match self {
            SecretId::Pin(PinKind::Signature) => "status of the signature password",
            SecretId::Pin(PinKind::UserAuth) => "status of the user-authentication PIN",
            SecretId::Pin(PinKind::Residence) => "status of the residence PIN",
            SecretId::Pin(PinKind::TextAssist) => "status of the text-assist PIN",
            SecretId::Key(_) => "status of a 照合番号",
        }
    }
}

impl std::fmt::Display for SecretId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretId::Pin(kind) => kind.fmt(f),
            SecretId::Key(kind) => kind.fmt(f),
        }
    }
}

/// A My Number Card behind a transport.
pub struct Card<T> {
    session: Session<T>,
    guard: bool,
    known: HashMap<KeyRef, RetryState>,
    /// Parsed JPKI files read in this card session, by EF (cleared on unpower and reset), so that
    /// checking a signature does not read the certificate again. Type-erased so that the core
    /// does not depend on the application layers that fill it.
    pub(crate) certs: HashMap<crate::applets::Fid, Box<dyn std::any::Any + Send + Sync>>,
}

impl<T: Transport> Card<T> {
    /// A card over a transport, with the lockout guard on.
    pub fn new(transport: T) -> Self {
        Card {
            session: Session::new(transport),
            guard: true,
            known: HashMap::new(),
            certs: HashMap::new(),
        }
    }

    /// Turns the lockout guard on (default) or off. With it off, a VERIFY is sent without reading
    /// the counter first (one exchange fewer); a PIN already seen blocked in this session is still
    /// never sent.
    pub fn with_lockout_guard(mut self, on: bool) -> Self {
        self.guard = on;
        self
    }

    /// Whether the lockout guard is on.
    pub fn lockout_guard(&self) -> bool {
        self.guard
    }

    /// The session.
    pub fn session(&self) -> &Session<T> {
        &self.session
    }

    /// The session, mutably (for raw commands).
    pub fn session_mut(&mut self) -> &mut Session<T> {
        &mut self.session
    }

    /// Runs `f` inside one transport transaction (one PC/SC transaction on a real reader), so
    /// that several operations reach the card with no other program's commands between them.
    /// The transaction ends when `f` returns, whatever it returns; nested calls join the
    /// outermost one.
    pub fn transaction<R, E>(
        &mut self,
        f: impl FnOnce(&mut Self) -> std::result::Result<R, E>,
    ) -> std::result::Result<R, E>
    where
        E: From<Error>,
    {
        self.session.begin_transaction()?;
        let r = f(self);
        self.session.end_transaction();
        r
    }

    /// Exchanges sent so far.
    pub fn exchanges(&self) -> u64 {
        self.session.exchanges()
    }

    /// Unwraps the transport.
    pub fn into_transport(self) -> T {
        self.session.into_transport()
    }

    /// Ends PIN use: removes power from the card so that no verified state outlives the program.
    pub fn unpower(&mut self) -> Result<()> {
        self.known.clear();
        self.certs.clear();
        self.session.unpower()
    }

    /// Runs a multi-APDU operation inside one transport transaction, and forgets what is known
    /// of the counters if the card was reset meanwhile.
    pub(crate) fn in_transaction<R>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<R>,
    ) -> Result<R> {
        let r = self.session.begin_transaction().and_then(|_| {
            let r = f(self);
            self.session.end_transaction();
            r
        });
        if matches!(r, Err(Error::CardReset)) {
            self.known.clear();
            self.certs.clear();
        }
        r
    }

    /// Reads one key reference's counter with a case-1 VERIFY: spends no try.
    pub(crate) fn query_ref(&mut self, kind: PinKind, key: KeyRef) -> Result<RetryState> {
        self.query_secret(SecretId::Pin(kind), key)
    }

    /// [`Card::query_ref`] for any secret.
    fn query_secret(&mut self, who: SecretId, key: KeyRef) -> Result<RetryState> {
        self.session.select_df(&key.aid)?;
        let r = self
            .session
            .transmit_addressed(key.fid, &|p2| Ok(Command::new(0x00, ins::VERIFY, 0x00, p2)))?;
        let state = match r.sw.status() {
            Status::Success => RetryState::Verified,
            Status::TriesLeft(0) => RetryState::Blocked,
            Status::TriesLeft(n) => RetryState::TriesLeft(n),
            Status::ReferenceDataBlocked | Status::AuthenticationBlocked => RetryState::Blocked,
            Status::VerificationFailed => RetryState::NoLimit,
            _ => return Err(card_error(who.status_op(), r.sw)),
        };
        self.known.insert(key, state);
        Ok(state)
    }

    /// The status of one PIN, without spending a try: one case-1 VERIFY per key reference.
    pub fn pin_status(&mut self, kind: PinKind) -> Result<PinStatus> {
        self.in_transaction(|card| {
            let mut refs = Vec::new();
            for key in kind.key_refs() {
                refs.push(RefStatus {
                    application: key.app_name(),
                    key: key.fid,
                    state: card.query_ref(kind, *key)?,
                });
            }
            Ok(PinStatus {
                kind,
                limit: kind.retry_limit(),
                refs,
            })
        })
    }

    /// The status of all four PINs, spending no try. Nine exchanges on a card that accepts SFI
    /// addressing: SELECT JPKI + two queries, SELECT text-assist + one, SELECT 住基 + one, SELECT
    /// 共通 + one.
    pub fn status_all(&mut self) -> Result<Vec<PinStatus>> {
        self.in_transaction(|card| PinKind::ALL.iter().map(|k| card.pin_status(*k)).collect())
    }

    fn guard_check(
        &mut self,
        who: SecretId,
        key: KeyRef,
        last: LastTry,
        use_guard: bool,
    ) -> Result<()> {
        let state = if use_guard {
            Some(self.query_secret(who, key)?)
        } else {
            self.known.get(&key).copied()
        };
        match state {
            Some(RetryState::Blocked) => Err(who.blocked()),
            Some(RetryState::TriesLeft(1)) if use_guard && last == LastTry::Refuse => {
                Err(who.last_try())
            }
            _ => Ok(()),
        }
    }

    fn send_verify(&mut self, who: SecretId, key: KeyRef, secret: &[u8]) -> Result<()> {
        let r = self.session.transmit_addressed(key.fid, &|p2| {
            Ok(Command::new(0x00, ins::VERIFY, 0x00, p2).with_data(secret)?)
        });
        let unknown = |cause| Error::UnknownOutcome {
            operation: "VERIFY",
            advice: Advice::CheckStatusBeforeRetry {
                secret: who.credential_kind(),
            },
            cause,
        };
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                self.known.remove(&key);
                return Err(match in_flight_cause(e) {
                    Ok(cause) => unknown(cause),
                    Err(e) => e,
                });
            }
        };
        if !is_defined_answer(r.sw) {
            self.known.remove(&key);
            return Err(unknown(TransportError::Backend(format!(
                "unexpected status word {}",
                r.sw
            ))));
        }
        self.interpret_verify(who, key, r.sw)
    }

    fn interpret_verify(&mut self, who: SecretId, key: KeyRef, sw: StatusWord) -> Result<()> {
        match sw.status() {
            Status::Success => {
                self.known.insert(key, RetryState::Verified);
                Ok(())
            }
            Status::TriesLeft(n) => {
                self.known.insert(
                    key,
                    if n == 0 {
                        RetryState::Blocked
                    } else {
                        RetryState::TriesLeft(n)
                    },
                );
                Err(who.wrong(n))
            }
            Status::ReferenceDataBlocked | Status::AuthenticationBlocked => {
                self.known.insert(key, RetryState::Blocked);
                Err(who.blocked())
            }
            _ => Err(card_error("VERIFY", sw)),
        }
    }

    fn verify_key(
        &mut self,
        who: SecretId,
        key: KeyRef,
        secret: &[u8],
        last: LastTry,
    ) -> Result<()> {
        self.session.select_df(&key.aid)?;
        let guard = self.guard;
        self.guard_check(who, key, last, guard)?;
        self.send_verify(who, key, secret)
    }

    /// The one VERIFY path for every secret: the four PINs, 照合番号A/B and the birth-date key.
    /// Inside one transaction: select the application, the lockout guard (a status query that
    /// spends no try; with the guard off, only what this session has already seen), then the
    /// VERIFY. A lost or undefined answer is [`Error::UnknownOutcome`]; a secret seen blocked is
    /// never sent again, guard on or off.
    pub(crate) fn verify_secret(
        &mut self,
        who: SecretId,
        key: KeyRef,
        secret: &[u8],
        last: LastTry,
    ) -> Result<()> {
        self.in_transaction(|card| card.verify_key(who, key, secret, last))
    }

    /// Verifies 照合番号A, 照合番号B or the birth-date key (the key EF `fid` of the application
    /// `aid`) through [`Card::verify_secret`], the same guarded path as the PINs.
    pub(crate) fn verify_matching<S: crate::credential::Secret>(
        &mut self,
        aid: &crate::applets::Aid,
        secret: &S,
        fid: crate::applets::Fid,
        last: LastTry,
    ) -> Result<()> {
        let key = KeyRef { aid: *aid, fid };
        self.verify_secret(
            SecretId::Key(secret.credential_kind()),
            key,
            secret.expose(),
            last,
        )
    }

    /// Verifies a PIN, with the lockout guard: refused without sending if the PIN is blocked or
    /// has one try left. The residence PIN is verified against 住基AP.
    pub fn verify<P: Pin>(&mut self, pin: &P) -> Result<()> {
        self.verify_with(pin, LastTry::Refuse)
    }

    /// Verifies a PIN, saying whether the last try may be spent.
    pub fn verify_with<P: Pin>(&mut self, pin: &P, last: LastTry) -> Result<()> {
        let key = P::KIND.key_refs()[0];
        self.verify_secret(SecretId::Pin(P::KIND), key, pin.expose(), last)
    }

    /// Changes a PIN: VERIFY the current value, then CHANGE REFERENCE DATA (JPKI, text assist)
    /// or CHANGE KEY (residence). The residence PIN is changed on both key references; if the
    /// second change fails, the first is changed back and [`Error::ChangeRolledBack`] says so.
    ///
    /// The new value must differ from the current one. Both are validated before any I/O.
    pub fn change<P: Pin>(&mut self, current: &P, new: &P) -> Result<()> {
        self.change_with(current, new, LastTry::Refuse)
    }

    /// [`Card::change`], saying whether the VERIFY of the current value may spend the last try.
    pub fn change_with<P: Pin>(&mut self, current: &P, new: &P, last: LastTry) -> Result<()> {
        if current.expose() == new.expose() {
            return Err(Error::Credential(CredentialError {
                kind: CredentialKind::Pin(P::KIND),
                rule: Rule::Unchanged,
            }));
        }
        self.in_transaction(|card| card.change_inner(P::KIND, current.expose(), new.expose(), last))
    }

    /// [`Card::verify_with`] for a PIN whose kind is chosen at run time.
    pub fn verify_any(&mut self, pin: &AnyPin, last: LastTry) -> Result<()> {
        match pin {
            AnyPin::Signature(p) => self.verify_with(p, last),
            AnyPin::UserAuth(p) => self.verify_with(p, last),
            AnyPin::Residence(p) => self.verify_with(p, last),
            AnyPin::TextAssist(p) => self.verify_with(p, last),
        }
    }

    /// [`Card::change_with`] for PINs whose kind is chosen at run time. `current` and `new` must
    /// be of the same kind: otherwise nothing is sent and [`Error::Unsupported`] says so.
    pub fn change_any(&mut self, current: &AnyPin, new: &AnyPin, last: LastTry) -> Result<()> {
        match (current, new) {
            (AnyPin::Signature(c), AnyPin::Signature(n)) => self.change_with(c, n, last),
            (AnyPin::UserAuth(c), AnyPin::UserAuth(n)) => self.change_with(c, n, last),
            (AnyPin::Residence(c), AnyPin::Residence(n)) => self.change_with(c, n, last),
            (AnyPin::TextAssist(c), AnyPin::TextAssist(n)) => self.change_with(c, n, last),
            _ => Err(Error::Unsupported(format!(
                "changing the {} to a new {}: the current and the new PIN must be of the same kind",
                current.kind(),
                new.kind()
            ))),
        }
    }

    fn change_inner(
        &mut self,
        kind: PinKind,
        current: &[u8],
        new: &[u8],
        last: LastTry,
    ) -> Result<()> {
        let refs = kind.key_refs();
        // With the guard on, check every key reference before changing any, in reverse order so
        // that the first application stays selected. CHANGE addresses the selected key EF
        // (`P2 = 80`, docs/card.md §4), so the first reference's EF is selected before its
        // status query: the query, VERIFY and CHANGE then all address it without SFI, and a card
        // that refuses SFI costs no refused attempt.
        if self.guard {
            for (i, key) in refs.iter().enumerate().rev() {
                self.session.select_df(&key.aid)?;
                if i == 0 {
                    self.session.select_ef(key.fid)?;
                }
                self.guard_check(SecretId::Pin(kind), *key, last, true)?;
            }
        }
        if let Err(e) = self.change_key(kind, refs[0], current, new) {
            return Err(match e {
                // The first reference of two may have the new value: say what each holds.
                Error::UnknownOutcome {
                    operation: "CHANGE",
                    cause,
                    ..
                } if refs.len() > 1 => Error::UnknownOutcome {
                    operation: "CHANGE (residence PIN, first key reference)",
                    cause,
                    advice: Advice::FinishTornChange {
                        state: TornChange {
                            kind,
                            first: (refs[0], Held::OldOrNew),
                            second: (refs[1], Held::Old),
                        },
                    },
                },
                e => e,
            });
        }
        for key in &refs[1..] {
            if let Err(cause) = self.change_key(kind, *key, current, new) {
                return Err(self.roll_back(kind, refs[0], new, current, cause));
            }
        }
        Ok(())
    }

    /// Completes a change that stopped part-way ([`Advice::FinishTornChange`],
    /// [`Advice::RollbackFailed`]), so that every key reference holds `new`: a reference that
    /// holds the new PIN is left alone; one that may hold it is verified with `new` (a refusal
    /// shows it holds the old one); one that holds the old PIN is changed from `old`. No value
    /// known to be wrong is ever sent, and the lockout guard applies as for [`Card::change`].
    pub fn finish_change<P: Pin>(&mut self, state: &TornChange, old: &P, new: &P) -> Result<()> {
        if state.kind != P::KIND {
            return Err(Error::Credential(CredentialError {
                kind: CredentialKind::Pin(P::KIND),
                rule: Rule::Mismatch,
            }));
        }
        let kind = P::KIND;
        self.in_transaction(|card| {
            for (key, held) in [state.first, state.second] {
                if held == Held::OldOrNew {
                    match card.verify_key(SecretId::Pin(kind), key, new.expose(), LastTry::Refuse) {
                        Ok(()) => continue,
                        Err(Error::WrongPin { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
                if held != Held::New {
                    card.session.select_df(&key.aid)?;
                    card.session.select_ef(key.fid)?;
                    if card.guard {
                        card.guard_check(SecretId::Pin(kind), key, LastTry::Refuse, true)?;
                    }
                    card.change_key(kind, key, old.expose(), new.expose())?;
                }
            }
            Ok(())
        })
    }

    fn change_key(&mut self, kind: PinKind, key: KeyRef, current: &[u8], new: &[u8]) -> Result<()> {
        self.session.select_df(&key.aid)?;
        self.session.select_ef(key.fid)?;
        if !self.guard {
            self.guard_check(SecretId::Pin(kind), key, LastTry::Allow, false)?;
        }
        self.send_verify(SecretId::Pin(kind), key, current)?;
        let cmd = match kind.change_command() {
            ChangeCommand::ChangeReferenceData => {
                Command::new(0x00, ins::CHANGE_REFERENCE_DATA, 0x01, 0x80)
            }
            ChangeCommand::ChangeKey => Command::new(0x80, ins::CHANGE_KEY, 0x00, 0x80),
        }
        .with_data(new)?;
        let unknown = |cause| Error::UnknownOutcome {
            operation: "CHANGE",
            cause,
            advice: Advice::CheckWhichValueHolds {
                kind,
                application: key.app_name(),
            },
        };
        match self.session.transmit(&cmd) {
            Ok(r) if r.sw.is_success() => {
                self.known.insert(key, RetryState::Verified);
                Ok(())
            }
            Ok(r) if is_defined_answer(r.sw) => Err(card_error("CHANGE", r.sw)),
            Ok(r) => Err(unknown(TransportError::Backend(format!(
                "unexpected status word {}",
                r.sw
            )))),
            Err(e) => Err(match in_flight_cause(e) {
                Ok(cause) => unknown(cause),
                Err(e) => e,
            }),
        }
    }

    fn roll_back(
        &mut self,
        kind: PinKind,
        key: KeyRef,
        new: &[u8],
        old: &[u8],
        cause: Error,
    ) -> Error {
        if let Error::UnknownOutcome { .. } | Error::Transport(_) | Error::CardReset = cause {
            // The card may be gone: do not guess. Say exactly what is known.
            return Error::UnknownOutcome {
                operation: "CHANGE (residence PIN, second key reference)",
                cause: match &cause {
                    Error::UnknownOutcome { cause, .. } | Error::Transport(cause) => cause.clone(),
                    _ => TransportError::CardReset,
                },
                advice: Advice::FinishTornChange {
                    state: TornChange {
                        kind,
                        first: (key, Held::New),
                        // A VERIFY or a SELECT changes no value; only a lost CHANGE may have.
                        second: (
                            kind.key_refs()[1],
                            match &cause {
                                Error::UnknownOutcome { operation, .. }
                                    if operation.starts_with("CHANGE") =>
                                {
                                    Held::OldOrNew
                                }
                                _ => Held::Old,
                            },
                        ),
                    },
                },
            };
        }
        match self.change_key(kind, key, new, old) {
            Ok(()) => Error::ChangeRolledBack {
                cause: Box::new(cause),
            },
            Err(e) => {
                // Only a lost CHANGE of the rollback may have put the old value back.
                let first = match &e {
                    Error::UnknownOutcome { operation, .. } if operation.starts_with("CHANGE") => {
                        Held::OldOrNew
                    }
                    _ => Held::New,
                };
                Error::UnknownOutcome {
                    operation: "CHANGE (residence PIN, rollback)",
                    cause: match e {
                        Error::UnknownOutcome { cause, .. } | Error::Transport(cause) => cause,
                        Error::CardReset => TransportError::CardReset,
                        _ => TransportError::Backend(e.to_string()),
                    },
                    advice: Advice::RollbackFailed {
                        state: TornChange {
                            kind,
                            first: (key, first),
                            second: (kind.key_refs()[1], Held::Old),
                        },
                        cause: Box::new(cause),
                    },
                }
            }
        }
    }
}

/// For a command that changes the card (VERIFY with a value, CHANGE, RESET), the transport
/// failure whose outcome is unknown: the card may have executed the command. `Err` passes other
/// errors through.
pub(crate) fn in_flight_cause(e: Error) -> std::result::Result<TransportError, Error> {
    match e {
        Error::Transport(cause) => Ok(cause),
        Error::CardReset => Ok(TransportError::CardReset),
        other => Err(other),
    }
}

/// Whether a status word is a defined answer to VERIFY or a change: success, a counter, or a
/// refusal that leaves the card unchanged. Anything else (`6F00`, a corrupted word) leaves the
/// outcome unknown.
pub(crate) fn is_defined_answer(sw: StatusWord) -> bool {
    matches!(
        sw.status(),
        Status::Success
            | Status::TriesLeft(_)
            | Status::VerificationFailed
            | Status::WrongLength
            | Status::SecurityStatusNotSatisfied
            | Status::AuthenticationBlocked
            | Status::ReferenceDataBlocked
            | Status::ConditionsNotSatisfied
            | Status::CommandNotAllowed
            | Status::IncorrectData
            | Status::FunctionNotSupported
            | Status::FileNotFound
            | Status::IncorrectP1P2
            | Status::ReferencedDataNotFound
            | Status::InstructionNotSupported
            | Status::ClassNotSupported
            | Status::MemoryFailure
    )
}
