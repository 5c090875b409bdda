//! A terminal authority whose steps are the vendor's C callbacks: the library's
//! [`ResetAuthority`] trait over a `mynacard_authority` table.
//!
//! The callbacks write commands; the library sends them, and only the command each step must
//! be: GET CHALLENGE for the challenge; EXTERNAL/MUTUAL AUTHENTICATE (`82`), GENERAL
//! AUTHENTICATE (`86`) or INTERNAL AUTHENTICATE (`88`) for the cryptogram; RESET RETRY COUNTER
//! (`2C`) for the wrapped command. Anything else (a VERIFY, say, that would spend a try) is
//! refused as garbage and not sent.

use std::cell::Cell;

use mynacard::apdu::{Command, Response};
use mynacard::applets::Aid;
use mynacard::error::ResetError;
use mynacard::pin::PinKind;
use mynacard::policy::other_jpki_pin;
use mynacard::reset::{ResetAuthority, Route, TerminalChannel};
use mynacard::Error;
use zeroize::Zeroizing;

use crate::boundary::{self, CallbackFailure, CallbackTable};
use crate::error::FfiError;
use crate::ops::pin_kind_c;
use crate::types::mynacard_route::*;
use crate::types::mynacard_status::*;

const GET_CHALLENGE: u8 = 0x84;
const AUTHENTICATE: [u8; 3] = [0x82, 0x86, 0x88];
const RESET_RETRY_COUNTER: u8 = 0x2C;

/// The vendor's callbacks as a [`ResetAuthority`]. The first callback failure is kept in
/// `failure`, so that the boundary reports it with its own status.
pub struct CallbackAuthority {
    table: CallbackTable,
    description: String,
    failure: Option<FfiError>,
    bad_route: Cell<Option<u32>>,
}

impl CallbackAuthority {
    /// An authority over `table`, describing itself as `description`.
    pub fn new(table: CallbackTable, description: String) -> Self {
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

    /// Parses a command a callback wrote, and checks that it is one the step may send.
    fn command(&mut self, step: &str, bytes: &[u8], allowed: &[u8]) -> Result<Command, Error> {
        match Command::parse(bytes) {
            Ok(c) if allowed.contains(&c.ins()) => Ok(c),
            Ok(c) => {
                let e = garbage(
                    step,
                    &format!("instruction {:02X} is not allowed here", c.ins()),
                );
                Err(self.fail(e))
            }
            Err(e) => {
                let e = garbage(step, &format!("not a command APDU ({e})"));
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

impl ResetAuthority for CallbackAuthority {
    fn describe(&self) -> String {
        self.description.clone()
    }

    fn route(&self, kind: PinKind) -> Option<Route> {
        let r = boundary::call_route(&self.table, pin_kind_c(kind));
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
        let bytes = boundary::call_get_challenge(&self.table, &aid)
            .map_err(|f| self.callback_error("get_challenge", f))?;
        let get = self.command("get_challenge", &bytes, &[GET_CHALLENGE])?;
        let r = channel.transmit(&get)?;
        if !r.sw.is_success() {
            return Err(refused(application, "GET CHALLENGE", &r));
        }
        let bytes = boundary::call_cryptogram(&self.table, &aid, &r.data)
            .map_err(|f| self.callback_error("compute_cryptogram", f))?;
        let auth = self.command("compute_cryptogram", &bytes, &AUTHENTICATE)?;
        let r = channel.transmit(&auth)?;
        if !r.sw.is_success() {
            return Err(refused(application, "EXTERNAL AUTHENTICATE", &r));
        }
        Ok(())
    }

    fn wrap(&mut self, command: Command) -> Result<Command, Error> {
        let plain = command.to_bytes();
        let out: Zeroizing<Vec<u8>> = match boundary::call_wrap(&self.table, &plain) {
            None => return Ok(command),
            Some(r) => r.map_err(|f| self.callback_error("wrap", f))?,
        };
        self.command("wrap", &out, &[RESET_RETRY_COUNTER])
    }

    fn unwrap(&mut self, response: Response) -> Result<Response, Error> {
        let bytes = Zeroizing::new(response.to_bytes());
        let out = match boundary::call_unwrap(&self.table, &bytes) {
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
