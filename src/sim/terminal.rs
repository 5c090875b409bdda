//! The virtual card's side of PIN reset: the **stand-in** terminal authentication (not the real
//! issuer protocol; see [`crate::reset::stand_in`]) and RESET RETRY COUNTER
//! ([card facts §5](crate::card_facts#s5)).
//!
//! * GET CHALLENGE `00 84 00 00 08` in an application: 8 random bytes, good for the next command
//!   only (the command itself, for every `Le` from 1 to 256, is in [`super::mf`]).
//! * EXTERNAL AUTHENTICATE `00 82 00 <81|82> 10 <MAC>`: without a challenge just before it,
//!   `6985`; an unknown key reference, `6A88`; a data field not 16 bytes, `6700`; a wrong MAC,
//!   `6300` (authentication failed), which also ends any earlier terminal authentication. A
//!   right MAC makes the role the security status of the selected application, cleared like a
//!   verified PIN when another application is selected or the card is unpowered.
//! * RESET RETRY COUNTER `00 2C 02 P2 Lc <new value>` (P1 = `03`: counter only, no data), P2
//!   addressing the key as for VERIFY. Without a terminal authenticated in this application, or
//!   for a key its role may not reset (a kiosk: only the JPKI PINs, and only after the *other*
//!   JPKI PIN was verified in this application session), `6982`. A value of the wrong length,
//!   `6700`; of the wrong characters, `6A80`; other P1, `6A86`. A blocked key can be reset (that
//!   is what the command is for). It gets the new value and a full counter, and is not itself
//!   left verified.

use super::{key_id, App, Ef, VirtualCard};
use crate::apdu::{CommandView, Response, Status, StatusWord};
use crate::applets::{jpki, residence, text};
use crate::reset::stand_in::{mac, TerminalRole, CHALLENGE_LEN, MAC_LEN};

/// The per-power-cycle state of the stand-in terminal authentication.
#[derive(Debug, Clone, Default)]
pub(super) struct TerminalStatus {
    /// The outstanding challenge and the application it was issued in.
    challenge: Option<(App, [u8; CHALLENGE_LEN])>,
    /// The authenticated role, for the application currently holding security status.
    role: Option<TerminalRole>,
}

impl TerminalStatus {
    /// Takes the outstanding challenge: it is good for one command.
    pub(super) fn take_challenge(&mut self) -> Option<(App, [u8; CHALLENGE_LEN])> {
        self.challenge.take()
    }

    /// Issues `challenge` in `app` (GET CHALLENGE with an 8-byte `Le`, [`super::mf`]).
    pub(super) fn set_challenge(&mut self, app: App, challenge: [u8; CHALLENGE_LEN]) {
        self.challenge = Some((app, challenge));
    }

    /// The role authenticated in the current application, if any.
    pub(super) fn role(&self) -> Option<TerminalRole> {
        self.role
    }
}

/// The PIN key references a terminal can reset: the four user-facing PINs (five references).
const RESETTABLE: [(App, u16); 5] = [
    (App::Jpki, jpki::SIGN_PIN.0),
    (App::Jpki, jpki::AUTH_PIN.0),
    (App::TextAssist, text::PIN.0),
    (App::Juki, residence::PIN.0),
    (App::Common, residence::PIN.0),
];

impl VirtualCard {
    /// The terminal role authenticated in the selected application, if any.
    pub fn terminal_role(&self) -> Option<TerminalRole> {
        self.vol.terminal.role()
    }

    /// Whether the authenticated role may reset `(app, fid)` now (the card's own rules).
    fn may_reset(&self, role: TerminalRole, app: App, fid: u16) -> bool {
        if !RESETTABLE.contains(&(app, fid)) {
            return false;
        }
        match role {
            TerminalRole::MunicipalCounter => true,
            TerminalRole::SelfServiceKiosk => {
                let other = match (app, fid) {
                    (App::Jpki, f) if f == jpki::SIGN_PIN.0 => jpki::AUTH_PIN.0,
                    (App::Jpki, f) if f == jpki::AUTH_PIN.0 => jpki::SIGN_PIN.0,
                    _ => return false,
                };
                self.vol.verified.contains(&(App::Jpki, other))
            }
        }
    }

    pub(super) fn external_authenticate(
        &mut self,
        c: &CommandView<'_>,
        challenge: Option<(App, [u8; CHALLENGE_LEN])>,
    ) -> Response {
        if c.p1 != 0 {
            return Response::status(Status::IncorrectP1P2);
        }
        let Some(role) = TerminalRole::from_key_ref(c.p2) else {
            return Response::status(Status::ReferencedDataNotFound);
        };
        if c.data.len() != MAC_LEN || c.ne.is_some() {
            return Response::status(Status::WrongLength);
        }
        let challenge = match (challenge, self.vol.df) {
            (Some((issued_in, ch)), Some(app)) if issued_in == app => ch,
            _ => return Response::status(Status::ConditionsNotSatisfied),
        };
        let expected = mac(role.test_key(), &challenge);
        let same = expected
            .iter()
            .zip(c.data)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
        if same {
            self.vol.terminal.role = Some(role);
            Response::status(Status::Success)
        } else {
            self.vol.terminal.role = None;
            Response::status(Status::VerificationFailed)
        }
    }

    pub(super) fn reset_retry_counter(&mut self, c: &CommandView<'_>) -> Response {
        let with_value = match c.p1 {
            0x02 => true,
            0x03 => false,
            _ => return Response::status(Status::IncorrectP1P2),
        };
        if c.ne.is_some() {
            return Response::status(Status::WrongLength);
        }
        let (app, fid, (min, max)) = match self.resolve_key_p2(c.p2) {
            Ok((app, fid)) => match self.files.get(&(app, fid)) {
                Some(Ef::Key { len, .. }) => (app, fid, *len),
                Some(_) => return Response::status(Status::Other(StatusWord(0x6981))),
                None => return Response::status(Status::FileNotFound),
            },
            Err(s) => return Response::status(s),
        };
        let Some(role) = self.vol.terminal.role else {
            return Response::status(Status::SecurityStatusNotSatisfied);
        };
        if !self.may_reset(role, app, fid) {
            return Response::status(Status::SecurityStatusNotSatisfied);
        }
        if with_value {
            if let Err(s) = super::pin::check_new_value(c.data, (min, max)) {
                return Response::status(s);
            }
        } else if !c.data.is_empty() {
            return Response::status(Status::WrongLength);
        }
        let id = key_id(app, fid);
        let reset = |k: &mut super::KeyState| {
            if with_value {
                k.set(c.data);
            } else {
                k.tries_left = k.limit;
            }
        };
        if let Err(s) = self.update_key(&id, reset) {
            return Response::status(s);
        }
        self.vol.verified.remove(&(app, fid));
        Response::status(Status::Success)
    }
}
