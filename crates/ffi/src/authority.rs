//! A terminal authority whose steps are the vendor's C callbacks: the library's
//! [`ResetAuthority`] trait over any [`VendorCallbacks`] (the boundary implements it over a
//! `mynacard_authority` table, with the `unsafe` calls; this module is safe Rust and does not
//! depend on the boundary).
//!
//! The callbacks write commands; the library parses and checks them
//! ([`AuthorityStep`]), and sends only the command each step must be: GET CHALLENGE for the
//! challenge; EXTERNAL/MUTUAL, GENERAL or INTERNAL AUTHENTICATE for the cryptogram; RESET RETRY
//! COUNTER for the wrapped command (checked again by the library's reset for every authority).
//! Anything else (a VERIFY, say, that would spend a try) is refused as garbage and not sent.

use std::cell::Cell;

use mynacard::apdu::{Command, Response};
use mynacard::applets::Aid;
use mynacard::error::ResetError;
use mynacard::pin::PinKind;
use mynacard::policy::other_jpki_pin;
use mynacard::reset::{AuthorityStep, ResetAuthority, Route, TerminalChannel};
use mynacard::Error;
use zeroize::Zeroizing;

use crate::error::{FfiError, Lang};
use crate::ops::pin_kind_c;
use crate::types::mynacard_route::*;
use crate::types::mynacard_status::*;

/// Why a callback gave nothing usable.
pub enum CallbackFailure {
    /// It returned this non-zero code.
    Returned(i32),
    /// It said it wrote more than the buffer holds.
    TooLong(usize),
}

/// What a callback wrote, or why it wrote nothing usable.
pub type CallbackOutput = Result<Zeroizing<Vec<u8>>, CallbackFailure>;

/// The vendor's callbacks, as plain Rust calls.
pub trait VendorCallbacks {
    /// The route callback's answer (a `mynacard_route`, or anything else it returned).
    fn route(&self, pin_kind: u32) -> u32;
    /// The command the get_challenge callback writes for the application `aid`.
    fn get_challenge(&self, aid: &[u8]) -> CallbackOutput;
    /// The command the compute_cryptogram callback writes for `challenge`.
    fn cryptogram(&self, aid: &[u8], challenge: &[u8]) -> CallbackOutput;
    /// The wrapped command (`None` if there is no wrap callback).
    fn wrap(&self, command: &[u8]) -> Option<CallbackOutput>;
    /// The unwrapped response (`None` if there is no unwrap callback).
    fn unwrap(&self, response: &[u8]) -> Option<CallbackOutput>;
}

/// The vendor's callbacks as a [`ResetAuthority`]. The first callback failure is kept in
/// `failure`, so that the boundary reports it with its own status.
pub struct CallbackAuthority<C> {
    table: C,
    description: String,
    failure: Option<FfiError>,
    bad_route: Cell<Option<u32>>,
}

impl<C: VendorCallbacks> CallbackAuthority<C> {
    /// An authority over `table`, describing itself as `description`.
    pub fn new(table: C, description: String) -> Self {
        CallbackAuthority {
            table,
            description,
            failure: None,
            bad_route: Cell::new(None),
        }
    }

    /// The first callback failure, if any: a failed or garbled callback, or a route callback
    /// that answered something that is not a `mynacard_route`.
    pub fn take_failure(&mut self) -> Option<FfiError> {
        if let Some(e) = self.failure.take() {
            return Some(e);
        }
        self.bad_route
            .take()
            .map(|v| garbage("route", &format!("{v} is not a mynacard_route")))
    }

    fn fail(&mut self, e: FfiError) -> Error {
        if self.failure.is_none() {
            self.failure = Some(e);
        }
        Error::Protocol("the terminal authority's callback failed")
    }

    fn callback_error(&mut self, step: &str, f: CallbackFailure) -> Error {
        if step == "unwrap" {
            return self.fail(unwrap_failed());
        }
        let e = match f {
            CallbackFailure::Returned(code) => FfiError::new(
                MYNACARD_CALLBACK_FAILED,
                format!("端末認証のコールバック {step} が失敗しました（戻り値 {code}）。暗証番号の再設定コマンドは送っていません。"),
                format!("the terminal authority's {step} callback failed (returned {code}); RESET RETRY COUNTER was not sent"),
            ),
            CallbackFailure::TooLong(n) => garbage(step, &format!("{n} bytes, more than the buffer")),
        };
        self.fail(e)
    }

    /// Parses a command a callback wrote, and checks (in the library) that it is one the step
    /// may send.
    fn command(&mut self, name: &str, bytes: &[u8], step: AuthorityStep) -> Result<Command, Error> {
        match step.parse(bytes, &self.description) {
            Ok(c) => Ok(c),
            Err(e) => {
                let e = FfiError::new(
                    MYNACARD_CALLBACK_GARBAGE,
                    format!(
                        "端末認証のコールバック {name} の出力が使えません（{}）。送信していません。",
                        e.message(Lang::Ja)
                    ),
                    format!(
                        "the terminal authority's {name} callback returned unusable output ({}); it was not sent",
                        e.message(Lang::En)
                    ),
                );
                Err(self.fail(e))
            }
        }
    }
}

fn garbage(step: &str, why: &str) -> FfiError {
    FfiError::new(
        MYNACARD_CALLBACK_GARBAGE,
        format!("端末認証のコールバック {step} の出力が使えません（{why}）。送信していません。"),
        format!("the terminal authority's {step} callback returned unusable output ({why}); it was not sent"),
    )
}

fn refused(application: &Aid, operation: &'static str, r: &Response) -> Error {
    Error::Reset(ResetError::TerminalRefused {
        application: mynacard::applets::name(application),
        operation,
        sw: r.sw,
    })
}

impl<C: VendorCallbacks> ResetAuthority for CallbackAuthority<C> {
    fn describe(&self) -> String {
        self.description.clone()
    }

    fn route(&self, kind: PinKind) -> Option<Route> {
        let r = self.table.route(pin_kind_c(kind));
        if r == MYNACARD_ROUTE_DIRECT as u32 {
            Some(Route::Direct)
        } else if r == MYNACARD_ROUTE_AFTER_OTHER_JPKI_PIN as u32 {
            other_jpki_pin(kind).map(Route::AfterVerifying)
        } else {
            if r != MYNACARD_ROUTE_REFUSED as u32 {
                self.bad_route.set(Some(r));
            }
            None
        }
    }

    fn authenticate(
        &mut self,
        application: &Aid,
        channel: &mut dyn TerminalChannel,
    ) -> Result<(), Error> {
        let aid = application.as_bytes().to_vec();
        let bytes = self
            .table
            .get_challenge(&aid)
            .map_err(|f| self.callback_error("get_challenge", f))?;
        let get = self.command("get_challenge", &bytes, AuthorityStep::Challenge)?;
        let r = channel.transmit(&get)?;
        if !r.sw.is_success() {
            return Err(refused(application, "GET CHALLENGE", &r));
        }
        let bytes = self
            .table
            .cryptogram(&aid, &r.data)
            .map_err(|f| self.callback_error("compute_cryptogram", f))?;
        let auth = self.command("compute_cryptogram", &bytes, AuthorityStep::Authenticate)?;
        let r = channel.transmit(&auth)?;
        if !r.sw.is_success() {
            return Err(refused(application, "EXTERNAL AUTHENTICATE", &r));
        }
        Ok(())
    }

    fn wrap(&mut self, command: Command) -> Result<Command, Error> {
        let plain = command.to_bytes();
        let out: Zeroizing<Vec<u8>> = match self.table.wrap(&plain) {
            None => return Ok(command),
            Some(r) => r.map_err(|f| self.callback_error("wrap", f))?,
        };
        // The library's reset checks the wrapped command again, for every authority.
        self.command("wrap", &out, AuthorityStep::Wrap)
    }

    fn unwrap(&mut self, response: Response) -> Result<Response, Error> {
        let bytes = Zeroizing::new(response.to_bytes());
        let out = match self.table.unwrap(&bytes) {
            None => return Ok(response),
            Some(r) => r.map_err(|f| self.callback_error("unwrap", f))?,
        };
        match Response::parse(&out) {
            Ok(r) => Ok(r),
            Err(_) => Err(self.fail(unwrap_failed())),
        }
    }
}

/// The card answered RESET RETRY COUNTER, but its answer could not be unwrapped: the reset may
/// be in effect.
fn unwrap_failed() -> FfiError {
    FfiError::new(
        MYNACARD_UNKNOWN_OUTCOME,
        "カードは再設定コマンドに応答しましたが、コールバック unwrap がその応答を復元できませんでした。再設定されたかどうか不明です。試行回数を消費しない状態確認をしてください。",
        "the card answered RESET RETRY COUNTER, but the unwrap callback could not unwrap the answer: the reset may or may not be in effect; read the PIN status (it spends no try)",
    )
}
