//! COMPUTE DIGITAL SIGNATURE (`80 2A`): the JPKI keys behind their PINs, and the AP card keys.

use super::{pki, App, Ef, VirtualCard};
use crate::apdu::{CommandView, Response, Status, StatusWord};

impl VirtualCard {
    pub(super) fn sign(&mut self, c: &CommandView<'_>) -> Response {
        let Some(app) = self.vol.df else {
            return Response::status(Status::CommandNotAllowed);
        };
        // P2 = 00 in the text-assist and card-surface APs: the AP's own card key, no PIN
        // (myna-card; see crate::presence).
        if c.p2 == 0x00 && matches!(app, App::TextAssist | App::Surface) {
            return match pki::sign_with_ap_key(app, self.state.seed, c.p1, c.data) {
                Ok(sig) => Response::new(sig, StatusWord::OK),
                Err(sw) => Response::status(sw),
            };
        }
        let fid = match self.resolve_key_p2(c.p2) {
            Ok((_, f)) => f,
            Err(s) => return Response::status(s),
        };
        let pin = match self.files.get(&(app, fid)) {
            Some(Ef::PrivateKey { pin }) => *pin,
            Some(_) => return Response::status(Status::Other(StatusWord(0x6981))),
            None => return Response::status(Status::FileNotFound),
        };
        if !self.vol.verified.contains(&(app, pin)) {
            return Response::status(Status::SecurityStatusNotSatisfied);
        }
        if c.data.is_empty() {
            return Response::status(Status::WrongLength);
        }
        match &self.signer {
            Some(s) => match s(app, fid, c.p1, c.data) {
                Ok(sig) => Response::new(sig, StatusWord::OK),
                Err(sw) => Response::status(sw),
            },
            // The card's own keys (sim/pki.rs).
            None if app == App::Jpki => match pki::sign(self.state.seed, fid, c.p1, c.data) {
                Ok(sig) => Response::new(sig, StatusWord::OK),
                Err(sw) => Response::status(sw),
            },
            None => Response::status(Status::ConditionsNotSatisfied),
        }
    }
}
