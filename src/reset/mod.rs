//! Resetting a PIN: RESET RETRY COUNTER through a terminal authority
//! ([card facts §5](crate::card_facts#s5)).
//!
//! The real card resets a PIN only for issuer terminals: the municipal counter systems, and the
//! self-service route through the issuer's servers. That terminal protocol is not public. This
//! module fixes everything around it:
//!
//! * [`ResetAuthority`] is the terminal side: it says which PINs its route may reset and what the
//!   route demands, authenticates the terminal to the card, and wraps commands as the real
//!   terminal must (secure messaging, for example). An authorised integrator implements it with
//!   their terminal credentials.
//! * [`Card::reset`] runs the sequence, for each key reference of the PIN (two for the residence
//!   PIN: 住基AP, then 共通カードAP):
//!   1. select the application;
//!   2. authenticate the terminal through the authority;
//!   3. where the route requires it, verify the *other* JPKI PIN, with the lockout guard of
//!      [`Card::verify_with`] (a blocked PIN is never sent, the last try only when allowed);
//!   4. RESET RETRY COUNTER `00 2C 02 (80|SFI) Lc <new value>` (P2 as for VERIFY: the key EF
//!      by its short identifier, or `80` with the key EF selected), wrapped by the authority, and
//!      refused before it is sent if the wrapping made it another command ([`AuthorityStep`]);
//!   5. confirm with a status query (a case-1 VERIFY, which spends nothing).
//!
//!   The new PIN is a typed, validated credential; the route and the other PIN are checked
//!   before anything is sent.
//! * [`StandInAuthority`] is a **stand-in** for terminal authentication, **not the real issuer
//!   protocol**: GET CHALLENGE, then EXTERNAL AUTHENTICATE with an HMAC under a published test
//!   key per [`TerminalRole`]. The virtual card (feature `sim`) accepts it, so that every reset
//!   flow can be tested end to end today. A real card refuses it.
//!
//! ```
//! # #[cfg(feature = "sim")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use mynacard::credential::{AuthPin, SignaturePassword};
//! use mynacard::reset::{OtherPin, StandInAuthority, TerminalRole};
//! use mynacard::{sim::VirtualCard, Card, LastTry};
//!
//! let mut card = Card::new(VirtualCard::new());
//! // Self-service: the signature password is reset after the user-authentication PIN is verified.
//! let mut kiosk = StandInAuthority::new(TerminalRole::SelfServiceKiosk);
//! let auth = AuthPin::parse("1234")?;
//! let status = card.reset(
//!     &mut kiosk,
//!     &SignaturePassword::parse("NEWPASS1")?,
//!     Some(OtherPin::Auth(&auth)),
//!     LastTry::Refuse,
//! )?;
//! assert_eq!(status.tries_left(), Some(5));
//! card.unpower()?;
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "sim"))]
//! # fn main() {}
//! ```

pub mod stand_in;

use serde::Serialize;

pub use stand_in::{StandInAuthority, TerminalRole};

/// [`AnyPin`] lives with the other credentials ([`crate::credential::AnyPin`]); it is named here
/// too because [`Card::reset_any`] takes it.
#[doc(no_inline)]
pub use crate::credential::AnyPin;

use crate::apdu::{ins, Command, Response};
use crate::applets::Aid;
use crate::card::{Card, LastTry};
use crate::credential::{AuthPin, Pin, SignaturePassword};
use crate::error::{Advice, Error, ResetError};
use crate::lang::Lang;
use crate::pin::{KeyRef, PinKind, PinStatus, RefStatus, RetryState};
use crate::session::{sfi_refused, Session};
use crate::transport::{Transport, TransportError};

/// A channel to the card for a [`ResetAuthority`]: one command in, one response out (with the
/// session's `61xx`/`6Cxx` handling). Implemented by [`Session`].
pub trait TerminalChannel {
    /// Sends one command and returns the final response, whatever its status word.
    fn transmit(&mut self, command: &Command) -> Result<Response, Error>;
}

impl<T: Transport> TerminalChannel for Session<T> {
    fn transmit(&mut self, command: &Command) -> Result<Response, Error> {
        Session::transmit(self, command)
    }
}

/// The commands a terminal authority supplies itself, each of which may be only the command its
/// step must send: GET CHALLENGE (`84`) to ask for a challenge; EXTERNAL/MUTUAL AUTHENTICATE
/// (`82`), GENERAL AUTHENTICATE (`86`) or INTERNAL AUTHENTICATE (`88`) to authenticate the
/// terminal; RESET RETRY COUNTER (`2C`) as [`ResetAuthority::wrap`] returns it. Any class byte.
///
/// [`Card::reset`] checks the wrapped command of every authority before it is sent, so that no
/// authority (a vendor's code, or a bug in one) can turn the reset into, say, a VERIFY that
/// spends a try. An authority whose commands come as bytes from outside Rust parses them with
/// [`AuthorityStep::parse`], which checks them the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthorityStep {
    /// The command that asks the card for a challenge.
    Challenge,
    /// The command that authenticates the terminal with its cryptogram.
    Authenticate,
    /// RESET RETRY COUNTER as the authority wrapped it.
    Wrap,
}

impl AuthorityStep {
    /// The step, for messages.
    pub fn name(self) -> &'static str {
        match self {
            AuthorityStep::Challenge => "the challenge request",
            AuthorityStep::Authenticate => "the terminal authentication",
            AuthorityStep::Wrap => "the wrapped RESET RETRY COUNTER",
        }
    }

    /// The command or commands the step must be, for messages.
    pub fn expected(self) -> &'static str {
        match self {
            AuthorityStep::Challenge => "GET CHALLENGE (84)",
            AuthorityStep::Authenticate => {
                "EXTERNAL AUTHENTICATE (82), GENERAL AUTHENTICATE (86) or INTERNAL AUTHENTICATE (88)"
            }
            AuthorityStep::Wrap => "RESET RETRY COUNTER (2C)",
        }
    }

    /// Whether the step may send a command with this instruction byte.
    pub fn allows(self, instruction: u8) -> bool {
        match self {
            AuthorityStep::Challenge => instruction == ins::GET_CHALLENGE,
            AuthorityStep::Authenticate => matches!(
                instruction,
                ins::EXTERNAL_AUTHENTICATE | GENERAL_AUTHENTICATE | ins::INTERNAL_AUTHENTICATE
            ),
            AuthorityStep::Wrap => instruction == ins::RESET_RETRY_COUNTER,
        }
    }

    /// Refuses `command` if it is not one the step may send ([`ResetError::WrongCommand`];
    /// `terminal` is the authority's description).
    pub fn check(self, command: &Command, terminal: &str) -> Result<(), Error> {
        if self.allows(command.ins()) {
            return Ok(());
        }
        Err(Error::Reset(ResetError::WrongCommand {
            terminal: terminal.to_string(),
            step: self.name(),
            expected: self.expected(),
            ins: command.ins(),
        }))
    }

    /// Parses `bytes` as the step's command and [checks](Self::check) it: a malformed APDU is
    /// [`Error::Apdu`], another command [`ResetError::WrongCommand`].
    pub fn parse(self, bytes: &[u8], terminal: &str) -> Result<Command, Error> {
        let command = Command::parse(bytes)?;
        self.check(&command, terminal)?;
        Ok(command)
    }
}

/// GENERAL AUTHENTICATE (ISO/IEC 7816-4).
const GENERAL_AUTHENTICATE: u8 = 0x86;

/// What a terminal's route demands before it resets a PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "route", content = "other_pin", rename_all = "snake_case")]
pub enum Route {
    /// The authenticated terminal alone may reset it (the municipal counter, where staff check
    /// the person's identity).
    Direct,
    /// The cardholder must first verify this other PIN in the same card session (self-service:
    /// the signature password for the user-authentication PIN and the reverse,
    /// [card facts §11](crate::card_facts#s11)).
    AfterVerifying(PinKind),
}

/// The terminal side of a PIN reset. See the [module documentation](self) for the sequence.
///
/// Implement it with real terminal credentials to reset PINs on real cards; use
/// [`StandInAuthority`] against the virtual card.
pub trait ResetAuthority {
    /// What this terminal is, for messages (never a key).
    fn describe(&self) -> String;

    /// What this terminal is, in `lang`, for a person reading it (never a key). The default is
    /// [`ResetAuthority::describe`] in every language: an authority with a Japanese description
    /// overrides it.
    fn describe_in(&self, lang: Lang) -> String {
        let _ = lang;
        self.describe()
    }

    /// Whether this terminal's route can reset `kind` at all, and what it then demands. `None`
    /// refuses the reset before anything is sent.
    fn route(&self, kind: PinKind) -> Option<Route>;

    /// Authenticates the terminal to the card. `application` is selected when this is called;
    /// the card keeps the authentication until another application is selected or it is
    /// unpowered, so this is called once per key reference's application.
    fn authenticate(
        &mut self,
        application: &Aid,
        channel: &mut dyn TerminalChannel,
    ) -> Result<(), Error>;

    /// Wraps RESET RETRY COUNTER as the terminal must send it (for example under secure
    /// messaging). The default sends it as it is.
    fn wrap(&mut self, command: Command) -> Result<Command, Error> {
        Ok(command)
    }

    /// Unwraps the card's answer to a wrapped command. The default takes it as it is.
    fn unwrap(&mut self, response: Response) -> Result<Response, Error> {
        Ok(response)
    }
}

impl<A: ResetAuthority + ?Sized> ResetAuthority for &mut A {
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn describe_in(&self, lang: Lang) -> String {
        (**self).describe_in(lang)
    }
    fn route(&self, kind: PinKind) -> Option<Route> {
        (**self).route(kind)
    }
    fn authenticate(
        &mut self,
        application: &Aid,
        channel: &mut dyn TerminalChannel,
    ) -> Result<(), Error> {
        (**self).authenticate(application, channel)
    }
    fn wrap(&mut self, command: Command) -> Result<Command, Error> {
        (**self).wrap(command)
    }
    fn unwrap(&mut self, response: Response) -> Result<Response, Error> {
        (**self).unwrap(response)
    }
}

/// The other JPKI PIN, given on a self-service route.
#[derive(Debug, Clone, Copy)]
pub enum OtherPin<'a> {
    /// The user-authentication PIN (to reset the signature password).
    Auth(&'a AuthPin),
    /// The signature password (to reset the user-authentication PIN).
    Signature(&'a SignaturePassword),
}

impl<'a> OtherPin<'a> {
    /// `pin` as the other PIN of a self-service reset (only the two JPKI PINs serve).
    pub fn of(pin: &'a AnyPin) -> Option<OtherPin<'a>> {
        match pin {
            AnyPin::Signature(p) => Some(OtherPin::Signature(p)),
            AnyPin::UserAuth(p) => Some(OtherPin::Auth(p)),
            _ => None,
        }
    }

    /// Which PIN this is.
    pub fn kind(&self) -> PinKind {
        match self {
            OtherPin::Auth(_) => PinKind::UserAuth,
            OtherPin::Signature(_) => PinKind::Signature,
        }
    }
}

fn unknown_outcome(cause: TransportError, kind: PinKind, key: KeyRef) -> Error {
    Error::UnknownOutcome {
        operation: "RESET RETRY COUNTER",
        cause,
        advice: Advice::RetryReset {
            kind,
            application: key.app_name(),
        },
    }
}

impl<T: Transport> Card<T> {
    /// Resets a PIN to `new` through a terminal authority: see the [module
    /// documentation](crate::reset) for the sequence. Returns the PIN's status afterwards (a full
    /// counter on each key reference).
    ///
    /// `other` is the other JPKI PIN where the authority's [`Route`] requires it; it is verified
    /// with the lockout guard, so a wrong value costs a try of *that* PIN, a blocked one is never
    /// sent and its last try is spent only with [`LastTry::Allow`]. Where the route does not
    /// require it, it is not sent.
    ///
    /// The residence PIN is reset on both its key references. If the second fails,
    /// [`ResetError::Partial`] (in [`Error::Reset`]) says exactly where it was reset and what
    /// to do.
    ///
    /// Terminal authentication stays in effect in the last application until another one is
    /// selected or the card is unpowered: call [`Card::unpower`] when done.
    pub fn reset<P: Pin>(
        &mut self,
        authority: &mut dyn ResetAuthority,
        new: &P,
        other: Option<OtherPin<'_>>,
        last: LastTry,
    ) -> Result<PinStatus, Error> {
        let kind = P::KIND;
        let route = authority.route(kind).ok_or_else(|| {
            Error::Reset(ResetError::NotPermitted {
                kind,
                terminal: authority.describe(),
            })
        })?;
        let proof = match route {
            Route::Direct => None,
            Route::AfterVerifying(needs) => match other {
                Some(o) if o.kind() == needs => Some(o),
                _ => {
                    return Err(Error::Reset(ResetError::OtherPinNeeded {
                        kind,
                        needs,
                        terminal: authority.describe(),
                    }))
                }
            },
        };
        let secret = new.expose();
        let mut outcome = None;
        let r = self.in_transaction(|card| {
            let r = card.reset_refs(authority, kind, secret, proof, last);
            // Let the transaction see a card reset, so it forgets what it knew of the counters.
            if let Err(Error::CardReset) = r {
                return Err(Error::CardReset);
            }
            outcome = Some(r);
            Ok(())
        });
        match (r, outcome) {
            (_, Some(o)) => o,
            (Err(e), None) => Err(e),
            (Ok(()), None) => Err(Error::Protocol("reset ended without an outcome")),
        }
    }

    fn reset_refs(
        &mut self,
        authority: &mut dyn ResetAuthority,
        kind: PinKind,
        new: &[u8],
        proof: Option<OtherPin<'_>>,
        last: LastTry,
    ) -> Result<PinStatus, Error> {
        let refs = kind.key_refs();
        let mut done = Vec::with_capacity(refs.len());
        for (i, key) in refs.iter().enumerate() {
            match self.reset_one(authority, kind, *key, new, proof, last) {
                Ok(state) => done.push(RefStatus {
                    application: key.app_name(),
                    key: key.fid,
                    state,
                }),
                Err(e) if i == 0 => return Err(e),
                Err(cause) => return Err(self.partial(kind, refs, &done, cause)),
            }
        }
        Ok(PinStatus {
            kind,
            limit: kind.retry_limit(),
            refs: done,
        })
    }

    /// The reset succeeded on `done` and failed on the next key reference with `cause`.
    fn partial(
        &mut self,
        kind: PinKind,
        refs: &[KeyRef],
        done: &[RefStatus],
        cause: Error,
    ) -> Error {
        let failed = refs[done.len()];
        let unknown = matches!(
            cause,
            Error::UnknownOutcome { .. } | Error::Transport(_) | Error::CardReset
        );
        // Read where the card still answers; a status query spends nothing.
        let status = if unknown {
            None
        } else {
            let mut all = done.to_vec();
            let mut ok = true;
            for key in &refs[done.len()..] {
                match self.query_ref(kind, *key) {
                    Ok(state) => all.push(RefStatus {
                        application: key.app_name(),
                        key: key.fid,
                        state,
                    }),
                    Err(_) => {
                        ok = false;
                        break;
                    }
                }
            }
            ok.then(|| PinStatus {
                kind,
                limit: kind.retry_limit(),
                refs: all,
            })
        };
        let reset = done.last().map(|r| r.application).unwrap_or("");
        let advice = Advice::RerunReset {
            reset,
            not_reset: failed.app_name(),
            unsure: unknown,
        };
        Error::Reset(ResetError::Partial {
            kind,
            reset,
            not_reset: failed.app_name(),
            cause: Box::new(cause),
            status,
            advice: Box::new(advice),
        })
    }

    fn reset_one(
        &mut self,
        authority: &mut dyn ResetAuthority,
        kind: PinKind,
        key: KeyRef,
        new: &[u8],
        proof: Option<OtherPin<'_>>,
        last: LastTry,
    ) -> Result<RetryState, Error> {
        // 1. Select the application (a fresh security status if it was not selected).
        self.session_mut().select_df(&key.aid)?;
        // 2. Authenticate the terminal.
        authority.authenticate(&key.aid, self.session_mut())?;
        // 3. The other JPKI PIN, with the lockout guard.
        match proof {
            Some(OtherPin::Auth(p)) => self.verify_with(p, last)?,
            Some(OtherPin::Signature(p)) => self.verify_with(p, last)?,
            None => {}
        }
        // 4. RESET RETRY COUNTER.
        let response = match self.send_reset(authority, key, new) {
            Ok(r) => r,
            Err(Error::Transport(cause)) => return Err(unknown_outcome(cause, kind, key)),
            Err(Error::CardReset) => {
                return Err(unknown_outcome(TransportError::CardReset, kind, key))
            }
            Err(e) => return Err(e),
        };
        if !response.sw.is_success() && !crate::card::is_defined_answer(response.sw) {
            // An answer no card gives to RESET RETRY COUNTER (a corrupted status word): it may
            // have been executed.
            return Err(unknown_outcome(
                TransportError::Backend(format!("unexpected status word {}", response.sw)),
                kind,
                key,
            ));
        }
        if !response.sw.is_success() {
            return Err(Error::Reset(ResetError::Refused {
                kind,
                application: key.app_name(),
                sw: response.sw,
            }));
        }
        // 5. Confirm. The card said 9000, so the reset is in effect; if the confirmation is
        // lost, say exactly that rather than a bare transport error.
        let confirmed = match self.query_ref(kind, key) {
            Ok(s) => s,
            Err(e) => {
                let cause = match e {
                    Error::Transport(c) => c,
                    Error::CardReset => TransportError::CardReset,
                    other => TransportError::Backend(other.to_string()),
                };
                return Err(Error::UnknownOutcome {
                    operation: "RESET RETRY COUNTER (confirmation)",
                    cause,
                    advice: Advice::ConfirmReset {
                        kind,
                        application: key.app_name(),
                        other_may_be_old: kind.key_refs().len() > 1,
                    },
                });
            }
        };
        match confirmed {
            s @ (RetryState::Verified | RetryState::TriesLeft(_))
                if s.tries_left(kind.retry_limit()) == Some(kind.retry_limit()) =>
            {
                Ok(s)
            }
            state => Err(Error::Reset(ResetError::NotConfirmed {
                kind,
                application: key.app_name(),
                state,
            })),
        }
    }

    /// Sends RESET RETRY COUNTER addressed by SFI (`P2 = 80|SFI`) or, where the card refuses
    /// that, with the key EF selected (`P2 = 80`), as for VERIFY
    /// ([card facts §2](crate::card_facts#s2), [§5](crate::card_facts#s5)).
    fn send_reset(
        &mut self,
        authority: &mut dyn ResetAuthority,
        key: KeyRef,
        new: &[u8],
    ) -> Result<Response, Error> {
        let build = |p2| Command::new(0x00, ins::RESET_RETRY_COUNTER, 0x02, p2).with_data(new);
        let session = self.session_mut();
        if session.selected().1 != Some(key.fid) {
            if let Some(sfi) = session.use_sfi(key.fid) {
                let df = session.selected().0;
                let cmd = wrap_checked(authority, build(0x80 | sfi)?)?;
                let r = authority.unwrap(self.session_mut().transmit(&cmd)?)?;
                let session = self.session_mut();
                if !sfi_refused(r.sw) {
                    session.learn_sfi(true);
                    return Ok(r);
                }
                session.learn_sfi(false);
                // Refused for its addressing: the application (and the terminal's
                // authentication in it) is still selected, so it is not selected again.
                session.keep_application(df);
            }
            self.session_mut().select_ef(key.fid)?;
        }
        let cmd = wrap_checked(authority, build(0x80)?)?;
        let r = self.session_mut().transmit(&cmd)?;
        authority.unwrap(r)
    }
}

/// RESET RETRY COUNTER wrapped by `authority`, refused before it is sent if the wrapping made
/// it another command.
fn wrap_checked(authority: &mut dyn ResetAuthority, command: Command) -> Result<Command, Error> {
    let wrapped = authority.wrap(command)?;
    AuthorityStep::Wrap.check(&wrapped, &authority.describe())?;
    Ok(wrapped)
}

impl<T: Transport> Card<T> {
    /// [`Card::reset`] for a PIN whose kind is chosen at run time. `other`, where given, must be
    /// a JPKI PIN.
    pub fn reset_any(
        &mut self,
        authority: &mut dyn ResetAuthority,
        new: &AnyPin,
        other: Option<&AnyPin>,
        last: LastTry,
    ) -> Result<PinStatus, Error> {
        let other = other.and_then(OtherPin::of);
        match new {
            AnyPin::Signature(p) => self.reset(authority, p, other, last),
            AnyPin::UserAuth(p) => self.reset(authority, p, other, last),
            AnyPin::Residence(p) => self.reset(authority, p, other, last),
            AnyPin::TextAssist(p) => self.reset(authority, p, other, last),
        }
    }
}
