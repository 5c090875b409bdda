//! A **stand-in** for issuer terminal authentication. It is **not the real issuer protocol**,
//! which is not public ([card facts §5](crate::card_facts#s5)); a real card refuses it. It exists
//! so that every reset flow can be run end to end against the virtual card (feature `sim`), which
//! accepts it.
//!
//! The stand-in protocol, published here in full:
//!
//! 1. GET CHALLENGE `00 84 00 00 08`: the card answers 8 random bytes. The challenge is good for
//!    the next command only.
//! 2. EXTERNAL AUTHENTICATE `00 82 00 <role key reference> 10 <MAC>`, where MAC is the first 16
//!    bytes of HMAC-SHA256(role test key, challenge). The key references are `81` for the
//!    self-service kiosk and `82` for the municipal counter ([`TerminalRole::key_ref`]); the test
//!    keys are [`KIOSK_TEST_KEY`] and [`COUNTER_TEST_KEY`].
//!
//! The card then holds the terminal's role as security status of the selected application
//! until another application is selected or it is unpowered, like a verified PIN. What each
//! role may reset is in [`TerminalRole::route`] (the virtual card enforces the same rules on
//! its side):
//!
//! * **self-service kiosk**: only the two JPKI PINs, and only after the *other* JPKI PIN was
//!   verified in the same card session ([card facts §11](crate::card_facts#s11));
//! * **municipal counter**: any of the four.

use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use sha2::Sha256;

use super::{ResetAuthority, Route, TerminalChannel};
use crate::apdu::{ins, Command};
use crate::applets::{self, Aid};
use crate::error::{Error, ResetError};
use crate::lang::Lang;
use crate::pin::PinKind;

/// Length of the card's challenge.
pub const CHALLENGE_LEN: usize = 8;
/// Length of the terminal's MAC (HMAC-SHA256, truncated).
pub const MAC_LEN: usize = 16;

/// The stand-in's published test key for the self-service kiosk role. Not a secret, and not
/// an issuer key.
pub const KIOSK_TEST_KEY: &[u8] = b"mynacard stand-in kiosk test key (not an issuer key)";
/// The stand-in's published test key for the municipal counter role. Not a secret, and not an
/// issuer key.
pub const COUNTER_TEST_KEY: &[u8] = b"mynacard stand-in counter test key (not an issuer key)";

/// The two terminal roles of the stand-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TerminalRole {
    /// A self-service kiosk (the convenience-store route): resets only the two JPKI PINs, each
    /// after the other one is verified.
    SelfServiceKiosk,
    /// A municipal counter terminal: resets any of the four PINs.
    MunicipalCounter,
}

impl TerminalRole {
    /// Both roles.
    pub const ALL: [TerminalRole; 2] = [
        TerminalRole::SelfServiceKiosk,
        TerminalRole::MunicipalCounter,
    ];

    /// The key reference named in EXTERNAL AUTHENTICATE's P2 (`8x`: a key of the selected
    /// application).
    pub const fn key_ref(self) -> u8 {
        match self {
            TerminalRole::SelfServiceKiosk => 0x81,
            TerminalRole::MunicipalCounter => 0x82,
        }
    }

    /// The role with this key reference.
    pub fn from_key_ref(key_ref: u8) -> Option<TerminalRole> {
        Self::ALL.into_iter().find(|r| r.key_ref() == key_ref)
    }

    /// The role's published test key.
    pub const fn test_key(self) -> &'static [u8] {
        match self {
            TerminalRole::SelfServiceKiosk => KIOSK_TEST_KEY,
            TerminalRole::MunicipalCounter => COUNTER_TEST_KEY,
        }
    }

    /// What the role may reset: `None` if it may not reset `kind` at all.
    pub const fn route(self, kind: PinKind) -> Option<Route> {
        match (self, kind) {
            (TerminalRole::MunicipalCounter, _) => Some(Route::Direct),
            (TerminalRole::SelfServiceKiosk, PinKind::Signature) => {
                Some(Route::AfterVerifying(PinKind::UserAuth))
            }
            (TerminalRole::SelfServiceKiosk, PinKind::UserAuth) => {
                Some(Route::AfterVerifying(PinKind::Signature))
            }
            (TerminalRole::SelfServiceKiosk, _) => None,
        }
    }

    /// A short English name.
    pub const fn name(self) -> &'static str {
        match self {
            TerminalRole::SelfServiceKiosk => "self-service kiosk",
            TerminalRole::MunicipalCounter => "municipal counter",
        }
    }

    /// The role's name in `lang` ([`TerminalRole::name`] is the English).
    pub const fn name_in(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (TerminalRole::SelfServiceKiosk, Lang::Ja) => "セルフサービス端末",
            (TerminalRole::MunicipalCounter, Lang::Ja) => "市区町村窓口の端末",
            (r, Lang::En) => r.name(),
        }
    }
}

/// The stand-in MAC: the first [`MAC_LEN`] bytes of HMAC-SHA256(`key`, `challenge`).
pub(crate) fn mac(key: &[u8], challenge: &[u8]) -> [u8; MAC_LEN] {
    // HMAC takes keys of any length (longer ones are hashed), so this cannot fail.
    let mut m =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts any key length");
    m.update(challenge);
    let full = m.finalize().into_bytes();
    let mut out = [0u8; MAC_LEN];
    out.copy_from_slice(&full[..MAC_LEN]);
    out
}

/// The terminal side of the stand-in: authenticates as a [`TerminalRole`] with its published
/// test key. **Not the real issuer protocol**; only the virtual card accepts it.
#[derive(Clone)]
pub struct StandInAuthority {
    role: TerminalRole,
    key: Vec<u8>,
}

impl std::fmt::Debug for StandInAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandInAuthority")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl StandInAuthority {
    /// A stand-in terminal of `role` with the role's published test key.
    pub fn new(role: TerminalRole) -> Self {
        Self::with_key(role, role.test_key())
    }

    /// A stand-in terminal of `role` that authenticates with another key (to test refusals).
    pub fn with_key(role: TerminalRole, key: &[u8]) -> Self {
        StandInAuthority {
            role,
            key: key.to_vec(),
        }
    }

    /// Its role.
    pub fn role(&self) -> TerminalRole {
        self.role
    }
}

impl ResetAuthority for StandInAuthority {
    fn describe(&self) -> String {
        self.describe_in(Lang::En)
    }

    fn describe_in(&self, lang: Lang) -> String {
        match lang {
            Lang::En => format!(
                "stand-in {} terminal (not the real issuer protocol)",
                self.role.name()
            ),
            Lang::Ja => format!(
                "代替の{}（実際の発行者プロトコルではありません）",
                self.role.name_in(lang)
            ),
        }
    }

    fn route(&self, kind: PinKind) -> Option<Route> {
        self.role.route(kind)
    }

    fn authenticate(
        &mut self,
        application: &Aid,
        channel: &mut dyn TerminalChannel,
    ) -> Result<(), Error> {
        let app = applets::name(application);
        let get = Command::new(0x00, ins::GET_CHALLENGE, 0x00, 0x00).with_ne(CHALLENGE_LEN)?;
        let r = channel.transmit(&get)?;
        if !r.sw.is_success() {
            return Err(Error::Reset(ResetError::TerminalRefused {
                application: app,
                operation: "GET CHALLENGE",
                sw: r.sw,
            }));
        }
        if r.data.len() != CHALLENGE_LEN {
            return Err(crate::Error::Protocol(
                "GET CHALLENGE: the card's challenge is not 8 bytes",
            ));
        }
        let m = mac(&self.key, &r.data);
        let auth = Command::new(0x00, ins::EXTERNAL_AUTHENTICATE, 0x00, self.role.key_ref())
            .with_data(&m)?;
        let r = channel.transmit(&auth)?;
        if !r.sw.is_success() {
            return Err(Error::Reset(ResetError::TerminalRefused {
                application: app,
                operation: "EXTERNAL AUTHENTICATE",
                sw: r.sw,
            }));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mac_is_truncated_hmac_sha256() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let m = mac(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(hex::encode(m), "5bdcc146bf60754e6a042426089575c7");
    }

    #[test]
    fn roles_have_distinct_keys_and_refs() {
        assert_ne!(KIOSK_TEST_KEY, COUNTER_TEST_KEY);
        for r in TerminalRole::ALL {
            assert_eq!(TerminalRole::from_key_ref(r.key_ref()), Some(r));
        }
        assert_eq!(TerminalRole::from_key_ref(0x80), None);
    }

    #[test]
    fn debug_hides_the_key() {
        let a = StandInAuthority::with_key(TerminalRole::MunicipalCounter, b"SECRETKEY");
        assert!(!format!("{a:?}").contains("SECRETKEY"));
    }
}
