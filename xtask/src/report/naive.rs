//! The naive baseline: a separate, deliberately simple client that does the same operations over
//! the same virtual card, with none of the library's economies.
//!
//! * **Select every file**: each step (a status query, a VERIFY, a file read, a CHANGE, a SIGN,
//!   a terminal authentication, a RESET) starts with SELECT of its application and, for a step
//!   on an EF, SELECT of that EF. It never uses SFI.
//! * **256-byte reads**: READ BINARY with `Le = 00` from offset 0 until a chunk comes back
//!   shorter than 256 bytes. It never uses extended length and never parses a header first.
//! * **No caching**: neither selections nor data (a certificate needed twice is read twice).
//!
//! Otherwise it does what the library does, so that the comparison is fair: the same lockout
//! guard before each VERIFY, the same certificate check of a signature, the same digest check of
//! the text-assist data, the same confirmation after a reset.

use mynacard::apdu::Command;
use mynacard::applets::Aid;
use mynacard::reset::stand_in::{TerminalRole, MAC_LEN};
use mynacard::transport::Transport;

/// A retry counter as the status query reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tries {
    /// `9000`: verified in this card session.
    Verified,
    /// `63Cx`.
    Left(u8),
    /// `6984`, or `63C0`.
    Blocked,
}

/// The naive client over a transport.
pub struct Naive<'a, T: Transport> {
    t: &'a mut T,
}

impl<'a, T: Transport> Naive<'a, T> {
    /// A naive client.
    pub fn new(t: &'a mut T) -> Self {
        Naive { t }
    }

    /// The transport.
    pub fn transport(&self) -> &T {
        self.t
    }

    fn send(&mut self, cmd: &Command) -> Result<(Vec<u8>, u16), String> {
        let r = self
            .t
            .transmit(&cmd.to_bytes())
            .map_err(|e| e.to_string())?;
        if r.len() < 2 {
            return Err(format!("a response of {} bytes", r.len()));
        }
        let sw = u16::from_be_bytes([r[r.len() - 2], r[r.len() - 1]]);
        Ok((r[..r.len() - 2].to_vec(), sw))
    }

    fn ok(&mut self, cmd: &Command, what: &str) -> Result<Vec<u8>, String> {
        match self.send(cmd)? {
            (data, 0x9000) => Ok(data),
            (_, sw) => Err(format!("{what}: {sw:04X}")),
        }
    }

    /// SELECT the application.
    pub fn select_app(&mut self, aid: &Aid) -> Result<(), String> {
        let c = Command::new(0x00, 0xA4, 0x04, 0x0C)
            .with_data(aid.as_bytes())
            .map_err(|e| e.to_string())?;
        self.ok(&c, "SELECT application").map(drop)
    }

    /// SELECT the application, then the EF.
    pub fn at(&mut self, aid: &Aid, fid: u16) -> Result<(), String> {
        self.select_app(aid)?;
        let c = Command::new(0x00, 0xA4, 0x02, 0x0C)
            .with_data(&fid.to_be_bytes())
            .map_err(|e| e.to_string())?;
        self.ok(&c, "SELECT EF").map(drop)
    }

    /// The counter of a key EF (a case-1 VERIFY, which spends no try).
    pub fn status(&mut self, aid: &Aid, fid: u16) -> Result<Tries, String> {
        self.at(aid, fid)?;
        match self.send(&Command::new(0x00, 0x20, 0x00, 0x80))?.1 {
            0x9000 => Ok(Tries::Verified),
            0x63C0 | 0x6984 | 0x6983 => Ok(Tries::Blocked),
            sw if sw & 0xFFF0 == 0x63C0 => Ok(Tries::Left((sw & 0x0F) as u8)),
            sw => Err(format!("status query: {sw:04X}")),
        }
    }

    /// VERIFY, after the same lockout guard as the library's: never a blocked key, never the
    /// last try.
    pub fn verify(&mut self, aid: &Aid, fid: u16, value: &[u8]) -> Result<(), String> {
        match self.status(aid, fid)? {
            Tries::Blocked => return Err("blocked".into()),
            Tries::Left(1) => return Err("one try left: refused".into()),
            _ => {}
        }
        self.at(aid, fid)?;
        let c = Command::new(0x00, 0x20, 0x00, 0x80)
            .with_data(value)
            .map_err(|e| e.to_string())?;
        self.ok(&c, "VERIFY").map(drop)
    }

    /// A whole transparent file, in 256-byte reads until a short one.
    pub fn read(&mut self, aid: &Aid, fid: u16) -> Result<Vec<u8>, String> {
        self.at(aid, fid)?;
        let mut out = Vec::new();
        loop {
            let offset = out.len();
            if offset > 0x7FFF {
                return Err("file longer than READ BINARY can address".into());
            }
            let c = Command::new(0x00, 0xB0, (offset >> 8) as u8, offset as u8)
                .with_ne(256)
                .map_err(|e| e.to_string())?;
            let (chunk, sw) = self.send(&c)?;
            match sw {
                0x9000 | 0x6282 => {}
                0x6B00 if offset > 0 => break,
                sw => return Err(format!("READ BINARY: {sw:04X}")),
            }
            let last = chunk.len() < 256;
            out.extend_from_slice(&chunk);
            if last {
                break;
            }
        }
        Ok(out)
    }

    /// SIGN with a private-key EF of the JPKI AP (its PIN verified before).
    pub fn sign(&mut self, key_fid: u16, p1: u8, data: &[u8]) -> Result<Vec<u8>, String> {
        self.at(&mynacard::applets::JPKI, key_fid)?;
        let c = Command::new(0x80, 0x2A, p1, 0x80)
            .with_data(data)
            .and_then(|c| c.with_ne(256))
            .map_err(|e| e.to_string())?;
        self.ok(&c, "SIGN")
    }

    /// CHANGE REFERENCE DATA (`00 24 01 80`) or CHANGE KEY (`80 32 00 80`) on a key EF.
    pub fn change(
        &mut self,
        aid: &Aid,
        fid: u16,
        change_key: bool,
        new: &[u8],
    ) -> Result<(), String> {
        self.at(aid, fid)?;
        let c = if change_key {
            Command::new(0x80, 0x32, 0x00, 0x80)
        } else {
            Command::new(0x00, 0x24, 0x01, 0x80)
        }
        .with_data(new)
        .map_err(|e| e.to_string())?;
        self.ok(&c, "CHANGE").map(drop)
    }

    /// The stand-in terminal authentication (src/reset/stand_in.rs) in an application.
    pub fn authenticate(&mut self, aid: &Aid, role: TerminalRole) -> Result<(), String> {
        self.select_app(aid)?;
        let get = Command::new(0x00, 0x84, 0x00, 0x00)
            .with_ne(8)
            .map_err(|e| e.to_string())?;
        let challenge = self.ok(&get, "GET CHALLENGE")?;
        let auth = Command::new(0x00, 0x82, 0x00, role.key_ref())
            .with_data(&mac(role.test_key(), &challenge))
            .map_err(|e| e.to_string())?;
        self.ok(&auth, "EXTERNAL AUTHENTICATE").map(drop)
    }

    /// RESET RETRY COUNTER with a new value (`00 2C 02 80`), then the confirming status query.
    pub fn reset(&mut self, aid: &Aid, fid: u16, new: &[u8]) -> Result<Tries, String> {
        self.at(aid, fid)?;
        let c = Command::new(0x00, 0x2C, 0x02, 0x80)
            .with_data(new)
            .map_err(|e| e.to_string())?;
        self.ok(&c, "RESET RETRY COUNTER")?;
        self.status(aid, fid)
    }
}

/// The stand-in MAC, computed here as an independent client would: the first
/// [`MAC_LEN`] bytes of HMAC-SHA256(`key`, `challenge`).
fn mac(key: &[u8], challenge: &[u8]) -> Vec<u8> {
    use hmac::{Hmac, KeyInit, Mac};
    let mut m =
        <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts any key length");
    m.update(challenge);
    m.finalize().into_bytes()[..MAC_LEN].to_vec()
}
