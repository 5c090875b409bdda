//! VERIFY, CHANGE REFERENCE DATA and CHANGE KEY: the retry-counted secrets
//! ([card facts §3](crate::card_facts#s3)).

use super::{key_id, App, Ef, VirtualCard};
use crate::apdu::{CommandView, Response, Status, StatusWord};

/// Checks a new PIN value sent by CHANGE REFERENCE DATA, CHANGE KEY or RESET RETRY COUNTER
/// against its key's allowed lengths: four digits for the 4-digit PINs, `A-Z`/`0-9` otherwise.
pub(super) fn check_new_value(data: &[u8], (min, max): (usize, usize)) -> Result<(), Status> {
    if data.len() < min || data.len() > max {
        return Err(Status::WrongLength);
    }
    let valid = if min == 4 && max == 4 {
        data.iter().all(u8::is_ascii_digit)
    } else {
        data.iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    };
    if valid {
        Ok(())
    } else {
        Err(Status::IncorrectData)
    }
}

impl VirtualCard {
    fn key_target(&self, p2: u8) -> Result<(App, u16, (usize, usize), bool), Status> {
        let (app, fid) = self.resolve_key_p2(p2)?;
        match self.files.get(&(app, fid)) {
            Some(Ef::Key { len, changeable }) => Ok((app, fid, *len, *changeable)),
            Some(_) => Err(Status::Other(StatusWord(0x6981))),
            None => Err(Status::FileNotFound),
        }
    }

    pub(super) fn verify(&mut self, c: &CommandView<'_>) -> Response {
        if c.p1 != 0x00 {
            return Response::status(Status::IncorrectP1P2);
        }
        if c.ne.is_some() {
            // A case-2 "empty VERIFY" is a bug (docs/card.md §3).
            return Response::status(Status::WrongLength);
        }
        let (app, fid, (min, max)) = match self.key_target(c.p2) {
            Ok((a, f, l, _)) => (a, f, l),
            Err(s) => return Response::status(s),
        };
        let id = key_id(app, fid);
        let Some(key) = self.state.keys.get(&id) else {
            return Response::status(Status::ReferencedDataNotFound);
        };
        if c.data.is_empty() {
            return Response::status(if key.tries_left == 0 {
                Status::ReferenceDataBlocked
            } else if self.vol.verified.contains(&(app, fid)) {
                Status::Success
            } else {
                Status::TriesLeft(key.tries_left)
            });
        }
        if key.tries_left == 0 {
            return Response::status(Status::ReferenceDataBlocked);
        }
        // A value of an impossible length is compared like any other: it is wrong.
        let _ = (min, max);
        // Spend the try first, as the real card does: a value is compared only once its try is
        // on record. If the lowered counter cannot be saved, nothing is compared and the counter
        // stays as it was (`6581`), so a failing store can never be used to guess for free.
        if let Err(s) = self.update_key(&id, |k| k.tries_left -= 1) {
            return Response::status(s);
        }
        let Some(key) = self.state.keys.get(&id) else {
            return Response::status(Status::ReferencedDataNotFound);
        };
        if !key.matches(c.data) {
            let tries = key.tries_left;
            self.vol.verified.remove(&(app, fid));
            return Response::status(Status::TriesLeft(tries));
        }
        // The right value: the full count back. If that cannot be saved, the spent try stays
        // spent (on file and in memory) and the key is not verified: the safe side.
        if let Err(s) = self.update_key(&id, |k| k.tries_left = k.limit) {
            self.vol.verified.remove(&(app, fid));
            return Response::status(s);
        }
        self.vol.verified.insert((app, fid));
        Response::status(Status::Success)
    }

    pub(super) fn change(&mut self, c: &CommandView<'_>, change_key: bool) -> Response {
        let app = self.vol.df;
        let right_app = match app {
            Some(App::Juki | App::Common) => change_key,
            Some(App::Jpki | App::TextAssist) => !change_key,
            _ => false,
        };
        if !right_app {
            return Response::status(Status::InstructionNotSupported);
        }
        let expected_p1 = if change_key { 0x00 } else { 0x01 };
        if c.p1 != expected_p1 {
            return Response::status(Status::IncorrectP1P2);
        }
        let (app, fid, (min, max), changeable) = match self.key_target(c.p2) {
            Ok(t) => t,
            Err(s) => return Response::status(s),
        };
        if !changeable {
            return Response::status(Status::ConditionsNotSatisfied);
        }
        let id = key_id(app, fid);
        let Some(key) = self.state.keys.get(&id) else {
            return Response::status(Status::ReferencedDataNotFound);
        };
        if key.tries_left == 0 {
            return Response::status(Status::ReferenceDataBlocked);
        }
        if !self.vol.verified.contains(&(app, fid)) {
            return Response::status(Status::SecurityStatusNotSatisfied);
        }
        if let Err(s) = check_new_value(c.data, (min, max)) {
            return Response::status(s);
        }
        match self.update_key(&id, |k| k.set(c.data)) {
            Ok(()) => Response::status(Status::Success),
            Err(s) => Response::status(s),
        }
    }
}
