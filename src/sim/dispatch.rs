//! One command in: parse, dispatch by instruction, chunk the response (`61xx`, GET RESPONSE).

use super::VirtualCard;
use crate::apdu::{ins, CommandView, Response, Status, StatusWord};

impl VirtualCard {
    /// Processes one command APDU and returns the response (data and status word). This is the
    /// card itself, without transport faults; it never panics.
    pub fn process(&mut self, apdu: &[u8]) -> Response {
        if !self.powered {
            // A command to an unpowered card powers it first (as a reader would).
            self.power_on();
        }
        let cmd = match CommandView::parse(apdu) {
            Ok(c) => c,
            Err(_) => return Response::status(Status::WrongLength),
        };
        if cmd.case.is_extended() && !self.options.extended {
            return Response::status(Status::WrongLength);
        }
        if cmd.ins != ins::GET_RESPONSE {
            self.vol.pending.clear();
        }
        let r = self.dispatch(&cmd);
        self.chunk(r)
    }

    fn chunk(&mut self, r: Response) -> Response {
        match self.options.chunk_responses {
            Some(n) if r.data.len() > n && n > 0 => {
                let mut data = r.data;
                let mut rest = data.split_off(n);
                // A GET RESPONSE answer is chunked again: what it left pending follows.
                rest.extend_from_slice(&self.vol.pending);
                let remaining = rest.len();
                self.vol.pending = rest;
                let _ = r.sw;
                Response::new(
                    data,
                    StatusWord(
                        0x6100
                            | if remaining >= 256 {
                                0
                            } else {
                                remaining as u16
                            },
                    ),
                )
            }
            _ => r,
        }
    }

    fn dispatch(&mut self, c: &CommandView<'_>) -> Response {
        // A stand-in challenge is good for the next command only (GET RESPONSE aside).
        let challenge = if c.ins == ins::GET_RESPONSE {
            None
        } else {
            self.vol.terminal.take_challenge()
        };
        match (c.cla, c.ins) {
            // The MF level, GET DATA, GET CHALLENGE and secure messaging: `super::mf`,
            // `super::sm`.
            (0x00, ins::SELECT) => match self.mf_select(c) {
                Some(r) => r,
                None => {
                    let r = self.select(c);
                    if c.p1 == 0x04 && r.sw == StatusWord::OK {
                        self.vol.mf_ef = None;
                        self.vol.sm = Default::default();
                    }
                    r
                }
            },
            (0x00, ins::READ_BINARY | ins::READ_RECORD) if self.mf_read().is_some() => self
                .mf_read()
                .unwrap_or_else(|| Response::status(Status::CommandNotAllowed)),
            (0x00, 0xCA) => self.get_data(c),
            (0x80, 0xAE) => self.set_session_key(c),
            (0x08 | 0x0C, _) => self.secure_command(c),
            (0x00, ins::READ_BINARY) => self.read_binary(c),
            (0x00, ins::READ_RECORD) => self.read_record(c),
            (0x00, ins::VERIFY) => self.verify(c),
            (0x00, ins::CHANGE_REFERENCE_DATA) => self.change(c, false),
            (0x80, ins::CHANGE_KEY) => self.change(c, true),
            (0x80, ins::SIGN) => self.sign(c),
            (0x00, ins::GET_RESPONSE) => self.get_response(c),
            (0x00, ins::GET_CHALLENGE) => self.get_challenge_any(c),
            (0x00, ins::EXTERNAL_AUTHENTICATE) => self.external_authenticate(c, challenge),
            (0x00, ins::RESET_RETRY_COUNTER) => self.reset_retry_counter(c),
            (0x00 | 0x80, _) => Response::status(Status::InstructionNotSupported),
            _ => Response::status(Status::ClassNotSupported),
        }
    }

    fn get_response(&mut self, c: &CommandView<'_>) -> Response {
        if self.vol.pending.is_empty() {
            return Response::status(Status::ConditionsNotSatisfied);
        }
        let n = c.ne.unwrap_or(256).min(self.vol.pending.len());
        let rest = self.vol.pending.split_off(n);
        let data = std::mem::replace(&mut self.vol.pending, rest);
        let left = self.vol.pending.len();
        let sw = if left == 0 {
            StatusWord::OK
        } else {
            StatusWord(0x6100 | if left >= 256 { 0 } else { left as u16 })
        };
        Response::new(data, sw)
    }
}
