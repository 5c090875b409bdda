//! SELECT, READ BINARY and READ RECORD: navigation and file access.

use super::{Access, App, Ef, VirtualCard};
use crate::apdu::{CommandView, Response, Status, StatusWord};

impl VirtualCard {
    pub(super) fn select(&mut self, c: &CommandView<'_>) -> Response {
        match c.p1 {
            0x04 => {
                if c.p2 & !0x0C != 0 {
                    return Response::status(Status::IncorrectP1P2);
                }
                match App::from_aid(c.data) {
                    Some(app) => {
                        if self.vol.security_df != Some(app) {
                            self.vol.verified.clear();
                            self.vol.terminal = Default::default();
                        }
                        self.vol.security_df = Some(app);
                        self.vol.df = Some(app);
                        self.vol.ef = None;
                        Response::status(Status::Success)
                    }
                    None => Response::status(Status::FileNotFound),
                }
            }
            0x02 => {
                let (Some(app), [hi, lo]) = (self.vol.df, c.data) else {
                    return Response::status(if self.vol.df.is_none() {
                        Status::FileNotFound
                    } else {
                        Status::WrongLength
                    });
                };
                let fid = u16::from_be_bytes([*hi, *lo]);
                if self.files.contains_key(&(app, fid)) {
                    self.vol.ef = Some(fid);
                    Response::status(Status::Success)
                } else {
                    Response::status(Status::FileNotFound)
                }
            }
            _ => Response::status(Status::IncorrectP1P2),
        }
    }

    /// Resolves `P = 80|SFI` or `80` (current EF) to an EF id in the current DF.
    pub(super) fn resolve_key_p2(&self, p2: u8) -> Result<(App, u16), Status> {
        let app = self.vol.df.ok_or(Status::CommandNotAllowed)?;
        if p2 == 0x80 {
            return self
                .vol
                .ef
                .map(|f| (app, f))
                .ok_or(Status::CommandNotAllowed);
        }
        if p2 & 0xE0 != 0x80 {
            return Err(Status::IncorrectP1P2);
        }
        if !self.options.sfi {
            return Err(Status::IncorrectP1P2);
        }
        let fid = (p2 & 0x1F) as u16;
        if self.files.contains_key(&(app, fid)) {
            Ok((app, fid))
        } else {
            Err(Status::FileNotFound)
        }
    }

    fn allowed(&self, app: App, access: &Access) -> bool {
        match access {
            Access::Free => true,
            Access::AnyOf(keys) => keys.iter().any(|k| self.vol.verified.contains(&(app, *k))),
        }
    }

    pub(super) fn read_binary(&mut self, c: &CommandView<'_>) -> Response {
        let Some(app) = self.vol.df else {
            return Response::status(Status::CommandNotAllowed);
        };
        let (fid, offset) = if c.p1 & 0x80 != 0 {
            if !self.options.sfi || c.p1 & 0x60 != 0 {
                return Response::status(Status::IncorrectP1P2);
            }
            ((c.p1 & 0x1F) as u16, c.p2 as usize)
        } else {
            match self.vol.ef {
                Some(f) => (f, ((c.p1 as usize) << 8) | c.p2 as usize),
                None => return Response::status(Status::CommandNotAllowed),
            }
        };
        if !c.data.is_empty() {
            return Response::status(Status::WrongLength);
        }
        let (data, access) = match self.files.get(&(app, fid)) {
            Some(Ef::Binary { data, access }) => (data, access),
            Some(_) => return Response::status(Status::Other(StatusWord(0x6981))),
            None => return Response::status(Status::FileNotFound),
        };
        if !self.allowed(app, access) {
            return Response::status(Status::SecurityStatusNotSatisfied);
        }
        if offset > data.len() {
            return Response::status(Status::WrongParameters);
        }
        let ne = c.ne.unwrap_or(256);
        let end = data.len().min(offset + ne);
        let out = data[offset..end].to_vec();
        self.vol.ef = Some(fid);
        let wildcard = ne == 256 || ne == crate::apdu::MAX_NE;
        let sw = if out.len() < ne && !wildcard {
            StatusWord(0x6282)
        } else {
            StatusWord::OK
        };
        Response::new(out, sw)
    }

    pub(super) fn read_record(&mut self, c: &CommandView<'_>) -> Response {
        let Some(app) = self.vol.df else {
            return Response::status(Status::CommandNotAllowed);
        };
        // P2: SFI in bits 8..4, mode 100 = record number in P1.
        if c.p2 & 0x07 != 0x04 {
            return Response::status(Status::IncorrectP1P2);
        }
        let fid = match c.p2 >> 3 {
            0 => match self.vol.ef {
                Some(f) => f,
                None => return Response::status(Status::CommandNotAllowed),
            },
            sfi => {
                if !self.options.sfi {
                    return Response::status(Status::IncorrectP1P2);
                }
                sfi as u16
            }
        };
        let (records, access) = match self.files.get(&(app, fid)) {
            Some(Ef::Records { records, access }) => (records, access),
            Some(_) => return Response::status(Status::Other(StatusWord(0x6981))),
            None => return Response::status(Status::FileNotFound),
        };
        if !self.allowed(app, access) {
            return Response::status(Status::SecurityStatusNotSatisfied);
        }
        match (c.p1 as usize).checked_sub(1).and_then(|i| records.get(i)) {
            Some(r) => {
                let out = r[..r.len().min(c.ne.unwrap_or(256))].to_vec();
                self.vol.ef = Some(fid);
                Response::new(out, StatusWord::OK)
            }
            None => Response::status(Status::RecordNotFound),
        }
    }
}
