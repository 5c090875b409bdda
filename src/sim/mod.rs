//! The virtual card: a stateful, persistent model of the My Number Card that implements
//! [`Transport`](crate::transport::Transport).
//!
//! It answers every byte sequence with a status word and never panics. It models:
//!
//! * the five applications with the AIDs, EFs, key references and access rules of
//!   [card facts §1](crate::card_facts#s1)–[§2](crate::card_facts#s2);
//! * retry counters as on the real card (§3): `63Cx` for a wrong value, `63C0` on the try that
//!   exhausts the counter and `6984` after it, the full count back on success; an empty
//!   (case-1) VERIFY spends nothing and answers `9000` when the key is already verified;
//! * security status that is cleared when another DF is selected and on power-off, and kept
//!   over a warm reset (§3, myna-card measured);
//! * switchable strictness ([`SimOptions`]): refuse SFI addressing, refuse extended length,
//!   answer in `61xx` chunks;
//! * fault injection ([`Fault`]) and an exchange log with PINs masked;
//! * PIN reset (RESET RETRY COUNTER) behind the **stand-in** terminal authentication of
//!   [`crate::reset::stand_in`], which is not the real issuer protocol
//!   ([card facts §5](crate::card_facts#s5)).
//!
//! Default values: the three 4-digit PINs are `1234`, the signature password is `ABC123`. The
//! holder is synthetic ([`Holder::default`]).
//!
//! # A try is on record before a value is compared
//!
//! VERIFY of every key (the four PINs, 照合番号A/B, the birth-date key) first lowers the
//! counter and saves it, and only then compares the value; the right value gets the full count
//! back with a second save. If the lowered counter cannot be saved, nothing is compared: the
//! card answers `6581` (memory failure) with the counter as it was, which says nothing about the
//! value. So a failing store (a full disk, a read-only directory, [`VirtualCard::break_store`])
//! never allows a free guess. CHANGE REFERENCE DATA, CHANGE KEY and RESET RETRY COUNTER compare
//! nothing; they too save before they answer, and change nothing (`6581`) when saving fails.
//! The stand-in terminal authentication has no retry counter (a wrong MAC only ends the
//! terminal's security status).
//!
//! # The state file: what it protects, and what it does not
//!
//! A persistent card ([`VirtualCard::open`]) keeps its retry counters and, for each key, a
//! random 16-byte salt and SHA-256(salt ‖ value). The file holds no PIN in the clear, and it is
//! created readable and writable by its owner only (`0600`; an existing file is narrowed to that
//! when opened), in a directory the crate creates `0700`. That keeps other users of the machine
//! out. It does **not** protect the values from anyone who can read the file (its owner, root,
//! a backup): a 4-digit PIN is one of 10,000 values, and trying them all against a salted digest
//! takes a fraction of a second; the signature password and 照合番号 fall to a dictionary in the
//! same way. No key-derivation function changes that for a 4-digit PIN without a secret key to
//! hold elsewhere, it only slows it: argon2id at the minimum OWASP recommends (19 MiB, 2 passes;
//! <https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html>)
//! measured about 0.1 s per value on the 2-core build machine under load, so 10,000 values take
//! some 17 minutes of one core. The same cost would turn the model-based test's 1.4 s into over
//! an hour (it computes some 47,500 digests: every new card stores eleven). So the virtual card
//! keeps plain salted digests, and **its values are test values:
//! never give it a PIN that is used on a real card.**
//!
//! The file must match the card exactly, or it is refused and left byte for byte as it is: the
//! format version, no unknown or missing field, exactly the card's keys, each with the card's
//! own limit (auth PIN 3, signature password 5, text-assist PIN 3, residence PIN 3 in each of
//! 住基AP and 共通カードAP, 照合番号A/B and the birth-date key [`MATCHING_LIMIT`]), tries left
//! within the limit, a key the card keeps blocked still blocked, and salts and digests of exactly
//! 32 and 64 lower-case hexadecimal digits. The lock and the saves follow the file the path
//! names, symbolic links resolved: two paths to one file are one card, and a link to the state
//! file stays a link (the save writes through to its target). Two hard links to one file are
//! not recognised as one.
//!
//! # Module map
//!
//! `layout` (applications, EFs, keys and their limits), `dispatch` (one command in, chunked
//! response out), `read` (SELECT, READ BINARY, READ RECORD), `pin` (VERIFY, CHANGE), `sign`
//! (COMPUTE DIGITAL SIGNATURE), `terminal` (the stand-in terminal authentication and RESET RETRY
//! COUNTER), `state` (the state file), `options` and `faults` (strictness, injected faults),
//! `transport` (the [`Transport`](crate::transport::Transport) implementation), `slot` (a virtual
//! reader whose card is pulled out and put back, and its [`VirtualMonitor`] of
//! [events](crate::events)), `content`, `images`, [`pki`] (the card's
//! files, keys and certificates), `keys` (the committed test keys), [`vpcd`] (serving the card to
//! pcscd).

mod content;
mod dispatch;
mod faults;
mod images;
mod keys;
mod layout;
pub mod mf;
mod options;
mod pin;
pub mod pki;
mod read;
mod sign;
mod slot;
pub mod sm;
mod state;
mod terminal;
mod transport;
pub mod vpcd;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

pub use content::Holder;
pub use faults::{Fault, Trigger};
pub use layout::{Access, App, Ef, Signer};
pub use options::SimOptions;
pub use slot::{SlotTransport, VirtualMonitor, VirtualSlot};
pub use state::{KeyState, PersistentState, StateError, StateFile};

use crate::apdu::Status;
use crate::applets::text;
use crate::transport::ExchangeLog;

/// The contact ATR the virtual card presents (OpenSC's table,
/// [card facts §1](crate::card_facts#s1)).
pub const ATR_CONTACT: [u8; 9] = [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14];
/// A contactless ATR (OpenSC Windows registration list, [card facts §1](crate::card_facts#s1)).
pub const ATR_CONTACTLESS: [u8; 13] = [
    0x3B, 0x88, 0x80, 0x01, 0x00, 0x00, 0x05, 0xE0, 0xB3, 0x81, 0xA1, 0x00, 0x7F,
];

/// Where a persistent virtual card keeps its state unless told otherwise:
/// `$XDG_STATE_HOME/mynacard/virtual-card.json` (or the platform's equivalent of the user's state
/// or local data directory; the temporary directory if there is none). The `myna` CLI and the
/// `virtual_card` example both use it, so by default they share one card.
pub fn default_state_path() -> PathBuf {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("mynacard")
        .join("virtual-card.json")
}

/// The default 4-digit PINs (auth, residence, text assist).
pub const DEFAULT_PIN: &str = "1234";
/// The default signature password.
pub const DEFAULT_SIGNATURE_PASSWORD: &str = "ABC123";

/// Retry limit the virtual card gives 照合番号A/B and the birth-date key. The real limit is
/// unverified (3 or 10 reported, [card facts §3](crate::card_facts#s3)).
pub const MATCHING_LIMIT: u8 = 10;
/// Per-power-cycle state.
#[derive(Debug, Clone, Default)]
struct Volatile {
    df: Option<App>,
    ef: Option<u16>,
    /// The DF whose security status is held; selecting another clears `verified`.
    security_df: Option<App>,
    verified: HashSet<(App, u16)>,
    pending: Vec<u8>,
    /// The stand-in terminal authentication (cleared with `verified`).
    terminal: terminal::TerminalStatus,
    /// The EF selected under the MF (only `001E` exists there), see [`mf`].
    mf_ef: Option<u16>,
    /// The secure messaging session of the text-assist AP, see [`sm`].
    sm: sm::SmState,
}

/// The virtual My Number Card.
pub struct VirtualCard {
    options: SimOptions,
    holder: Holder,
    files: BTreeMap<(App, u16), Ef>,
    state: PersistentState,
    file: Option<StateFile>,
    /// The state file let go of by [`VirtualCard::release_lock`], opened again by the next
    /// command.
    released: Option<PathBuf>,
    /// The process that opened the state file: the only one the card answers.
    owner: Option<u32>,
    vol: Volatile,
    powered: bool,
    removed: bool,
    log: ExchangeLog,
    faults: Vec<(Trigger, Fault)>,
    signer: Option<Signer>,
    /// An injected store failure: saves left before every save fails ([`VirtualCard::break_store`]).
    store_fault: Option<usize>,
}

impl std::fmt::Debug for VirtualCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VirtualCard")
            .field("options", &self.options)
            .field("powered", &self.powered)
            .field("removed", &self.removed)
            .field(
                "state_file",
                &self.file.as_ref().map(|f| f.path().to_owned()),
            )
            .finish_non_exhaustive()
    }
}

impl Default for VirtualCard {
    fn default() -> Self {
        Self::new()
    }
}

fn key_id(app: App, fid: u16) -> String {
    format!("{}/{fid:04X}", app.key_name())
}

impl VirtualCard {
    /// A fresh card in memory with the default holder and default PINs, powered and inserted.
    pub fn new() -> Self {
        Self::with_holder(Holder::default(), 0)
    }

    /// A fresh card in memory for `holder`; `seed` makes its generated contents reproducible.
    pub fn with_holder(holder: Holder, seed: u64) -> Self {
        let mut keys = BTreeMap::new();
        for (app, fid, value, limit) in layout::initial_keys(&holder) {
            keys.insert(key_id(app, fid), KeyState::new(value.as_bytes(), limit));
        }
        // 0012 of the text-assist AP arrives blocked on real cards (myna-card).
        let mut blocked = KeyState::new(b"\xFF\xFF\xFF\xFF", 3);
        blocked.tries_left = 0;
        keys.insert(key_id(App::TextAssist, text::BLOCKED_KEY.0), blocked);
        let state = PersistentState {
            version: state::VERSION,
            seed,
            keys,
        };
        let mut card = VirtualCard {
            options: SimOptions::default(),
            files: BTreeMap::new(),
            holder,
            state,
            file: None,
            released: None,
            owner: None,
            vol: Volatile::default(),
            powered: true,
            removed: false,
            log: ExchangeLog::new(),
            faults: Vec::new(),
            signer: None,
            store_fault: None,
        };
        card.build_files();
        card
    }

    /// Opens the card whose state is saved at `path` (created with the defaults if the file does
    /// not exist), and keeps it locked against other processes until dropped. Every change to a
    /// counter or PIN is saved before the card answers. A file that does not match the card
    /// exactly is refused ([`StateError::Corrupt`]) and left untouched; symbolic links are
    /// resolved, so two paths to one file are one card (the second open is
    /// [`StateError::Locked`], after a grace period of 200 ms in which the holder may let go).
    ///
    /// The card belongs to the process that opened it. In a child made by `fork()` every
    /// command fails with [`TransportError::Backend`](crate::transport::TransportError::Backend)
    /// naming both processes, and [`VirtualCard::set_key`] and
    /// [`VirtualCard::set_tries_left`] with [`StateError::OtherProcess`]: nothing is compared
    /// and nothing saved, so parent and child can never both spend the same try. The child opens
    /// the card again when the parent has let go of it.
    pub fn open(path: &Path) -> Result<Self, StateError> {
        let (file, existing) = StateFile::open(path)?;
        let mut card = VirtualCard::new();
        match existing {
            Some(st) => {
                // The card's own keys with the card's own limits, or nothing is used.
                state::check_against(path, &st, &card.state)?;
                file.restrict_permissions()?;
                card.state = st;
                card.build_files();
            }
            None => file.save(&card.state)?,
        }
        card.owner = Some(file.opened_by());
        card.file = Some(file);
        Ok(card)
    }

    /// Lets go of the state file's lock while the card is not in use, so that another program
    /// can open the same card meanwhile (a PKCS#11 module between a token-info read and the
    /// next session). The next command, or the next [`VirtualCard::set_key`] or
    /// [`VirtualCard::set_tries_left`], opens and locks the file again and reloads the counters
    /// from it, so that what other programs did in between counts ([`StateError::Locked`] then
    /// makes the command fail with a transport error if another program holds it). The card's
    /// selection is kept, as another program's use of the file does not touch this card's
    /// selection; its security status ends (no PIN stays verified over the release). Nothing
    /// for an in-memory card or a card already released.
    pub fn release_lock(&mut self) {
        if let Some(f) = self.file.take() {
            self.released = Some(f.path().to_owned());
            let df = self.vol.df;
            let ef = self.vol.ef;
            let mf_ef = self.vol.mf_ef;
            self.vol = Volatile {
                df,
                ef,
                mf_ef,
                ..Volatile::default()
            };
        }
    }

    /// Whether the state file is let go of ([`VirtualCard::release_lock`]).
    pub fn is_released(&self) -> bool {
        self.released.is_some()
    }

    /// Opens the state file again after [`VirtualCard::release_lock`]: locks it, reloads and
    /// checks the counters (a missing file is written afresh from the card's state).
    fn reacquire(&mut self) -> Result<(), StateError> {
        let Some(path) = self.released.clone() else {
            return Ok(());
        };
        let (file, existing) = StateFile::open(&path)?;
        match existing {
            Some(st) => {
                let fresh = VirtualCard::with_holder(self.holder.clone(), st.seed);
                state::check_against(&path, &st, &fresh.state)?;
                file.restrict_permissions()?;
                let reseeded = st.seed != self.state.seed;
                self.state = st;
                if reseeded {
                    self.files = fresh.files;
                }
            }
            None => file.save(&self.state)?,
        }
        self.file = Some(file);
        self.released = None;
        Ok(())
    }

    /// `Ok` in the process that opened the card's state file (and for an in-memory card);
    /// [`StateError::OtherProcess`] in a child made by `fork()`. Then, after
    /// [`VirtualCard::release_lock`], the file is opened again.
    pub(super) fn ensure_usable(&mut self) -> Result<(), StateError> {
        if let Some(opened_by) = self.owner {
            let current = std::process::id();
            if opened_by != current {
                return Err(StateError::OtherProcess {
                    path: self
                        .state_path()
                        .map(Path::to_owned)
                        .or_else(|| self.released.clone())
                        .unwrap_or_default(),
                    opened_by,
                    current,
                });
            }
        }
        self.reacquire()
    }

    /// Adds or replaces a file (for extensions: certificates, images, test data).
    pub fn put_file(&mut self, app: App, fid: u16, ef: Ef) {
        self.files.insert((app, fid), ef);
    }

    /// A file's definition.
    pub fn file(&self, app: App, fid: u16) -> Option<&Ef> {
        self.files.get(&(app, fid))
    }

    /// Installs the signing function for the private-key EFs.
    pub fn set_signer(&mut self, signer: Signer) {
        self.signer = Some(signer);
    }

    /// The holder data.
    pub fn holder(&self) -> &Holder {
        &self.holder
    }

    /// The persistent state: counters, salts and salted digests (no PIN in the clear; see the
    /// module documentation for what that does and does not protect).
    pub fn state(&self) -> &PersistentState {
        &self.state
    }

    /// The state file's path, if the card is persistent.
    pub fn state_path(&self) -> Option<&Path> {
        self.file
            .as_ref()
            .map(|f| f.path())
            .or(self.released.as_deref())
    }

    /// Strictness switches.
    pub fn options(&self) -> SimOptions {
        self.options
    }

    /// Sets strictness switches.
    pub fn set_options(&mut self, options: SimOptions) {
        self.options = options;
    }

    /// Builder form of [`VirtualCard::set_options`].
    pub fn with_options(mut self, options: SimOptions) -> Self {
        self.options = options;
        self
    }

    /// The exchange log (a shared handle; secrets masked).
    pub fn log(&self) -> ExchangeLog {
        self.log.clone()
    }
    /// Tries left on a key reference, for tests and inspection.
    pub fn tries_left(&self, app: App, fid: u16) -> Option<u8> {
        self.state.keys.get(&key_id(app, fid)).map(|k| k.tries_left)
    }

    /// Whether a key is verified in the current power cycle.
    pub fn is_verified(&self, app: App, fid: u16) -> bool {
        self.vol.verified.contains(&(app, fid))
    }

    /// Whether `value` is the current value of a key (compares digests; for tests).
    pub fn key_matches(&self, app: App, fid: u16, value: &[u8]) -> bool {
        self.state
            .keys
            .get(&key_id(app, fid))
            .is_some_and(|k| k.matches(value))
    }

    /// Sets a key's value and fills its counter, as an issuer would (for tests and set-up).
    /// If the state cannot be saved, the key is left as it was and the error returned.
    pub fn set_key(&mut self, app: App, fid: u16, value: &[u8]) -> Result<(), StateError> {
        self.update_key_with(&key_id(app, fid), |k| k.set(value))
    }

    /// Sets a key's counter directly (for tests: start from a blocked or nearly blocked PIN).
    /// If the state cannot be saved, the key is left as it was and the error returned.
    pub fn set_tries_left(&mut self, app: App, fid: u16, tries: u8) -> Result<(), StateError> {
        self.update_key_with(&key_id(app, fid), |k| k.tries_left = tries.min(k.limit))
    }

    /// Changes one key and saves the state before anything else happens. If saving fails, the
    /// key is put back as it was and the card answers `6581` (memory failure): memory and file
    /// never disagree, and the caller acts on nothing that is not on record.
    pub(super) fn update_key(
        &mut self,
        id: &str,
        change: impl FnOnce(&mut KeyState),
    ) -> Result<(), Status> {
        if !self.state.keys.contains_key(id) {
            return Err(Status::ReferencedDataNotFound);
        }
        self.update_key_with(id, change)
            .map_err(|_| Status::MemoryFailure)
    }

    fn update_key_with(
        &mut self,
        id: &str,
        change: impl FnOnce(&mut KeyState),
    ) -> Result<(), StateError> {
        self.ensure_usable()?;
        let Some(key) = self.state.keys.get_mut(id) else {
            return Ok(());
        };
        let before = key.clone();
        change(key);
        if *key == before {
            return Ok(());
        }
        let saved = self.persist();
        if saved.is_err() {
            self.state.keys.insert(id.to_owned(), before);
        }
        saved
    }

    fn persist(&mut self) -> Result<(), StateError> {
        if let Some(left) = self.store_fault.as_mut() {
            if *left == 0 {
                return Err(StateError::Io {
                    path: self.state_path().map(Path::to_owned).unwrap_or_default(),
                    source: std::io::Error::other("injected failure to save the state"),
                });
            }
            *left -= 1;
        }
        match &self.file {
            Some(f) => f.save(&self.state),
            None => Ok(()),
        }
    }

    /// Checks the card's internal invariants, for fuzzing and property tests: every counter is
    /// within its limit, every verified key exists and is not blocked, and the selected EF
    /// belongs to the selected DF. Returns a description of the first violation.
    pub fn check_invariants(&self) -> Result<(), String> {
        for (name, k) in &self.state.keys {
            if k.tries_left > k.limit {
                return Err(format!(
                    "{name}: {} tries left over a limit of {}",
                    k.tries_left, k.limit
                ));
            }
        }
        for (app, fid) in &self.vol.verified {
            match self.state.keys.get(&key_id(*app, *fid)) {
                Some(k) if k.tries_left > 0 => {}
                Some(_) => return Err(format!("{app:?}/{fid:04X} verified while blocked")),
                None => return Err(format!("{app:?}/{fid:04X} verified but not a key")),
            }
            if self.vol.security_df != Some(*app) {
                return Err(format!("{app:?}/{fid:04X} verified outside its DF"));
            }
        }
        if let (Some(ef), df) = (self.vol.ef, self.vol.df) {
            match df {
                Some(app) if self.files.contains_key(&(app, ef)) => {}
                _ => return Err(format!("EF {ef:04X} selected outside its DF")),
            }
        }
        if self.vol.terminal.role().is_some() && self.vol.security_df.is_none() {
            return Err("a terminal is authenticated outside any DF".into());
        }
        Ok(())
    }

    /// Removes power: security status and selection are lost.
    pub fn power_off(&mut self) {
        self.powered = false;
        self.vol = Volatile::default();
    }

    /// Applies power (cold reset) and returns the ATR.
    pub fn power_on(&mut self) -> Vec<u8> {
        self.powered = true;
        self.vol = Volatile::default();
        ATR_CONTACT.to_vec()
    }

    /// A warm reset: the selection returns to the start, but, as measured on the real card
    /// ([card facts §3](crate::card_facts#s3)), the security status of the last DF survives until
    /// it is unpowered or another DF is selected. Returns the ATR.
    pub fn warm_reset(&mut self) -> Vec<u8> {
        self.powered = true;
        self.vol.df = None;
        self.vol.ef = None;
        self.vol.pending.clear();
        ATR_CONTACT.to_vec()
    }

    /// The ATR.
    pub fn atr(&self) -> &'static [u8] {
        &ATR_CONTACT
    }

    /// Pulls the card out: exchanges fail with [`TransportError::CardRemoved`](crate::transport::TransportError::CardRemoved).
    pub fn remove(&mut self) {
        self.removed = true;
        self.power_off();
    }

    /// Puts the card back (powered).
    pub fn insert(&mut self) {
        self.removed = false;
        self.power_on();
    }

    /// Whether the card is in the reader.
    pub fn is_present(&self) -> bool {
        !self.removed
    }
}
