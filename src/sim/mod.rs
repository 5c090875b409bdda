//! The virtual card: a stateful, persistent model of the My Number Card that implements
//! [`Transport`].
//!
//! It answers every byte sequence with a status word and never panics. It models:
//!
//! * the five applications with the AIDs, EFs, key references and access rules of
//!   card-facts.md §1–§2;
//! * retry counters as on the real card (§3): `63Cx` for a wrong value, `63C0` on the try that
//!   exhausts the counter and `6984` after it, the full count back on success; an empty
//!   (case-1) VERIFY spends nothing and answers `9000` when the key is already verified;
//! * security status that is cleared when another DF is selected and on power-off, and kept
//!   over a warm reset (§3, myna-card measured);
//! * switchable strictness ([`SimOptions`]): refuse SFI addressing, refuse extended length,
//!   answer in `61xx` chunks;
//! * fault injection ([`Fault`]) and an exchange log with PINs masked;
//! * PIN reset (RESET RETRY COUNTER) behind the **stand-in** terminal authentication of
//!   [`crate::reset::stand_in`], which is not the real issuer protocol (card-facts.md §5).
//!
//! Default values: the three 4-digit PINs are `1234`, the signature password is `ABC123`. The
//! holder is synthetic ([`Holder::default`]).

mod content;
mod images;
pub mod pki;
mod state;
mod terminal;
pub mod vpcd;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

pub use content::Holder;
pub use state::{KeyState, PersistentState, StateError, StateFile};

use crate::apdu::{ins, CommandView, Response, Status, StatusWord};
use crate::applets::{self, jpki, surface, text, Aid};
use crate::transport::{Exchange, ExchangeLog, Transport, TransportCaps, TransportError};

/// The contact ATR the virtual card presents (OpenSC's table, card-facts.md §1).
pub const ATR_CONTACT: [u8; 9] = [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14];
/// A contactless ATR (OpenSC Windows registration list, card-facts.md §1).
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
/// unverified (3 or 10 reported, card-facts.md §3).
pub const MATCHING_LIMIT: u8 = 10;

/// The card's applications.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum App {
    /// 公的個人認証AP.
    Jpki,
    /// 券面事項入力補助AP.
    TextAssist,
    /// 住基AP.
    Juki,
    /// 共通カードAP.
    Common,
    /// 券面事項確認AP.
    Surface,
}

impl App {
    /// All five.
    pub const ALL: [App; 5] = [
        App::Jpki,
        App::TextAssist,
        App::Juki,
        App::Common,
        App::Surface,
    ];
    /// Its AID.
    pub fn aid(self) -> Aid {
        match self {
            App::Jpki => applets::JPKI,
            App::TextAssist => applets::TEXT_ASSIST,
            App::Juki => applets::JUKI,
            App::Common => applets::COMMON,
            App::Surface => applets::SURFACE,
        }
    }
    /// The short name used in the state file.
    pub fn key_name(self) -> &'static str {
        match self {
            App::Jpki => "jpki",
            App::TextAssist => "text",
            App::Juki => "juki",
            App::Common => "common",
            App::Surface => "surface",
        }
    }
    fn from_aid(aid: &[u8]) -> Option<App> {
        App::ALL.into_iter().find(|a| a.aid().as_bytes() == aid)
    }
}

/// Who may read a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Anyone.
    Free,
    /// After any one of these key EFs (in the same application) is verified.
    AnyOf(Vec<u16>),
}

/// An EF of the virtual card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ef {
    /// A transparent file.
    Binary {
        /// Its bytes.
        data: Vec<u8>,
        /// Who may read it.
        access: Access,
    },
    /// A record file.
    Records {
        /// The records, record 1 first.
        records: Vec<Vec<u8>>,
        /// Who may read it.
        access: Access,
    },
    /// A PIN or key reference (its value lives in the persistent state).
    Key {
        /// Allowed value lengths.
        len: (usize, usize),
        /// Whether CHANGE REFERENCE DATA / CHANGE KEY may change it.
        changeable: bool,
    },
    /// A private key used by SIGN (the signing itself is plugged in by [`Signer`]).
    PrivateKey {
        /// The key EF that must be verified.
        pin: u16,
    },
}

/// Signs for the virtual card's private-key EFs: `(app, key EF, P1, data)` to a signature, or
/// a status word. Installed with [`VirtualCard::set_signer`].
pub type Signer = Box<dyn Fn(App, u16, u8, &[u8]) -> Result<Vec<u8>, StatusWord> + Send>;

/// Strictness switches, to imitate stricter cards and readers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimOptions {
    /// Accept short EF identifiers in READ BINARY, VERIFY and SIGN (the real card does).
    pub sfi: bool,
    /// Accept extended-length APDUs (the real card does; some readers do not).
    pub extended: bool,
    /// Whether the transport reports extended length as available (a reader's limit).
    pub reader_extended: bool,
    /// Answer responses longer than this many bytes with `61xx` and GET RESPONSE.
    pub chunk_responses: Option<usize>,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            sfi: true,
            extended: true,
            reader_extended: true,
            chunk_responses: None,
        }
    }
}

/// A fault to inject into one exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer this status word without executing the command.
    Refuse(StatusWord),
    /// Execute the command, then lose the response ([`TransportError::NoResponse`]).
    DropResponse,
    /// Execute the command, then deliver only the first `n` bytes of the response.
    Truncate(usize),
    /// Execute the command, then deliver a corrupted status word (`6F00`).
    CorruptStatus,
    /// The card is pulled before the command reaches it; it stays out until
    /// [`VirtualCard::insert`].
    RemoveCard,
    /// Power is lost before the command executes: the card is reset, the command is not run.
    PowerLossBefore,
    /// Power is lost after the command executed (and its effect was persisted), before the
    /// response: the card is reset and the response lost.
    PowerLossAfter,
}

/// When a fault fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trigger {
    /// Only in this application (the one selected when the command arrives).
    pub app: Option<App>,
    /// Only for this instruction.
    pub ins: Option<u8>,
    /// Only for commands with data (or only without), if set.
    pub with_data: Option<bool>,
    /// Let this many matching commands pass first.
    pub skip: usize,
}

impl Trigger {
    /// The next exchange, whatever it is.
    pub fn next() -> Self {
        Trigger {
            app: None,
            ins: None,
            with_data: None,
            skip: 0,
        }
    }
    /// The `n`-th exchange from now (0 = the next).
    pub fn nth(n: usize) -> Self {
        Trigger {
            skip: n,
            ..Self::next()
        }
    }
    /// The next command with this instruction.
    pub fn ins(ins: u8) -> Self {
        Trigger {
            ins: Some(ins),
            ..Self::next()
        }
    }
    /// Restricts to an application.
    pub fn in_app(mut self, app: App) -> Self {
        self.app = Some(app);
        self
    }
}

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
}

/// The virtual My Number Card.
pub struct VirtualCard {
    options: SimOptions,
    holder: Holder,
    files: BTreeMap<(App, u16), Ef>,
    state: PersistentState,
    file: Option<StateFile>,
    vol: Volatile,
    powered: bool,
    removed: bool,
    log: ExchangeLog,
    faults: Vec<(Trigger, Fault)>,
    signer: Option<Signer>,
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

/// Initial key values for a holder, by `(app, key EF)`, with their limits.
fn initial_keys(h: &Holder) -> Vec<(App, u16, String, u8)> {
    let (y, m, d) = h.birth;
    vec![
        (App::Jpki, jpki::AUTH_PIN.0, DEFAULT_PIN.into(), 3),
        (
            App::Jpki,
            jpki::SIGN_PIN.0,
            DEFAULT_SIGNATURE_PASSWORD.into(),
            5,
        ),
        (App::TextAssist, text::PIN.0, DEFAULT_PIN.into(), 3),
        (
            App::TextAssist,
            text::MATCHING_A.0,
            h.my_number.clone(),
            MATCHING_LIMIT,
        ),
        (
            App::TextAssist,
            text::MATCHING_B.0,
            h.matching_b(),
            MATCHING_LIMIT,
        ),
        (App::Juki, applets::residence::PIN.0, DEFAULT_PIN.into(), 3),
        (
            App::Common,
            applets::residence::PIN.0,
            DEFAULT_PIN.into(),
            3,
        ),
        (
            App::Surface,
            surface::MATCHING_A.0,
            h.my_number.clone(),
            MATCHING_LIMIT,
        ),
        (
            App::Surface,
            surface::MATCHING_B.0,
            h.matching_b(),
            MATCHING_LIMIT,
        ),
        // The birth date with the Japanese era year, YYMMDD (myna-card: `550217` for a test
        // card born 1980-02-17).
        (
            App::Surface,
            surface::BIRTH_DATE_KEY.0,
            format!(
                "{:02}{m:02}{d:02}",
                crate::holder::era_year(y, m, d).unwrap_or(0) % 100
            ),
            MATCHING_LIMIT,
        ),
    ]
}

/// Checks a new PIN value sent by CHANGE REFERENCE DATA, CHANGE KEY or RESET RETRY COUNTER
/// against its key's allowed lengths: four digits for the 4-digit PINs, `A-Z`/`0-9` otherwise.
fn check_new_value(data: &[u8], (min, max): (usize, usize)) -> Result<(), Status> {
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
        for (app, fid, value, limit) in initial_keys(&holder) {
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
            vol: Volatile::default(),
            powered: true,
            removed: false,
            log: ExchangeLog::new(),
            faults: Vec::new(),
            signer: None,
        };
        card.build_files();
        card
    }

    /// Opens the card whose state is saved at `path` (created with the defaults if the file does
    /// not exist), and keeps it locked against other processes until dropped. Every change to a
    /// counter or PIN is saved before the card answers.
    pub fn open(path: &Path) -> Result<Self, StateError> {
        let (file, existing) = StateFile::open(path)?;
        let mut card = VirtualCard::new();
        match existing {
            Some(st) => {
                // Keep any key a newer crate version added.
                for (k, v) in st.keys {
                    card.state.keys.insert(k, v);
                }
                card.state.seed = st.seed;
                card.build_files();
            }
            None => file.save(&card.state)?,
        }
        card.file = Some(file);
        Ok(card)
    }

    fn build_files(&mut self) {
        use content::*;
        let h = &self.holder;
        let mut f = BTreeMap::new();
        let free = |data: Vec<u8>| Ef::Binary {
            data,
            access: Access::Free,
        };
        let key4 = Ef::Key {
            len: (4, 4),
            changeable: true,
        };
        // JPKI AP.
        f.insert((App::Jpki, jpki::TOKEN_INFO.0), free(token_info()));
        f.insert(
            (App::Jpki, jpki::CERT_AVAILABILITY.0),
            free(vec![0x8F, 0x8F, 0x00]),
        );
        f.insert((App::Jpki, jpki::AUTH_PIN.0), key4.clone());
        f.insert(
            (App::Jpki, jpki::SIGN_PIN.0),
            Ef::Key {
                len: (6, 16),
                changeable: true,
            },
        );
        f.insert(
            (App::Jpki, jpki::AUTH_KEY.0),
            Ef::PrivateKey {
                pin: jpki::AUTH_PIN.0,
            },
        );
        f.insert(
            (App::Jpki, jpki::SIGN_KEY.0),
            Ef::PrivateKey {
                pin: jpki::SIGN_PIN.0,
            },
        );
        // Text-input assist AP.
        let my_number = text_my_number(h);
        let basic = text_basic_four(h);
        // Certificates, the signed integrity record, the CV certificate and the AP info.
        let pki_files = pki::files(h, self.state.seed, &my_number, &basic);
        let pin_or = |alts: &[u16]| {
            let mut v = vec![text::PIN.0];
            v.extend_from_slice(alts);
            Access::AnyOf(v)
        };
        f.insert(
            (App::TextAssist, text::MY_NUMBER.0),
            Ef::Binary {
                data: my_number,
                access: pin_or(&[text::MATCHING_A.0]),
            },
        );
        f.insert(
            (App::TextAssist, text::BASIC_FOUR.0),
            Ef::Binary {
                data: basic,
                access: pin_or(&[text::MATCHING_B.0]),
            },
        );
        f.insert((App::TextAssist, text::PIN.0), key4.clone());
        for k in [text::MATCHING_A, text::MATCHING_B] {
            f.insert(
                (App::TextAssist, k.0),
                Ef::Key {
                    len: (1, 16),
                    changeable: false,
                },
            );
        }
        f.insert(
            (App::TextAssist, text::BLOCKED_KEY.0),
            Ef::Key {
                len: (1, 16),
                changeable: false,
            },
        );
        // 住基AP and 共通カードAP.
        f.insert((App::Juki, applets::residence::PIN.0), key4.clone());
        f.insert((App::Common, applets::residence::PIN.0), key4);
        // 共通カードAP record 1: `01 1C` + serial (15) + municipality (5) + expiry YYYYMMDD.
        let record = format!(
            "{:015}{}{}",
            self.state.seed % 1_000_000_000_000_000,
            pki::MUNICIPALITY,
            h.expiry_yyyymmdd()
        );
        let mut rec = Vec::new();
        rec.push(0x01);
        rec.push(record.len() as u8);
        rec.extend_from_slice(record.as_bytes());
        f.insert(
            (App::Common, applets::residence::COMMON_RECORD.0),
            Ef::Records {
                records: vec![rec],
                access: Access::Free,
            },
        );
        // 券面事項確認AP keys (its files come from pki::files).
        for k in [
            surface::BIRTH_DATE_KEY,
            surface::MATCHING_B,
            surface::MATCHING_A,
        ]
        .map(|k| k.0)
        {
            f.insert(
                (App::Surface, k),
                Ef::Key {
                    len: (1, 16),
                    changeable: false,
                },
            );
        }
        f.extend(pki_files);
        self.files = f;
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

    /// The persistent state (counters and digests; never a PIN).
    pub fn state(&self) -> &PersistentState {
        &self.state
    }

    /// The state file's path, if the card is persistent.
    pub fn state_path(&self) -> Option<&Path> {
        self.file.as_ref().map(|f| f.path())
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

    /// Arms a fault: the first exchange matching `trigger` suffers `fault`.
    pub fn inject(&mut self, trigger: Trigger, fault: Fault) {
        self.faults.push((trigger, fault));
    }

    /// Disarms all faults.
    pub fn clear_faults(&mut self) {
        self.faults.clear();
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
    pub fn set_key(&mut self, app: App, fid: u16, value: &[u8]) -> Result<(), StateError> {
        if let Some(k) = self.state.keys.get_mut(&key_id(app, fid)) {
            k.set(value);
        }
        self.persist()
    }

    /// Sets a key's counter directly (for tests: start from a blocked or nearly blocked PIN).
    pub fn set_tries_left(&mut self, app: App, fid: u16, tries: u8) -> Result<(), StateError> {
        if let Some(k) = self.state.keys.get_mut(&key_id(app, fid)) {
            k.tries_left = tries.min(k.limit);
        }
        self.persist()
    }

    fn persist(&self) -> Result<(), StateError> {
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
    /// (card-facts.md §3), the security status of the last DF survives until it is unpowered or
    /// another DF is selected. Returns the ATR.
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

    /// Pulls the card out: exchanges fail with [`TransportError::CardRemoved`].
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

    fn take_fault(&mut self, app: Option<App>, cmd: Option<&CommandView<'_>>) -> Option<Fault> {
        // Every armed trigger counts every exchange it matches; the first one due fires.
        let mut fire = None;
        for (i, (t, _)) in self.faults.iter_mut().enumerate() {
            let matches = t.app.is_none_or(|a| Some(a) == app)
                && t.ins.is_none_or(|i| cmd.is_some_and(|c| c.ins == i))
                && t.with_data
                    .is_none_or(|d| cmd.is_some_and(|c| c.data.is_empty() != d));
            if !matches {
                continue;
            }
            if t.skip > 0 {
                t.skip -= 1;
            } else if fire.is_none() {
                fire = Some(i);
            }
        }
        fire.map(|i| self.faults.remove(i).1)
    }

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
            (0x00, ins::SELECT) => self.select(c),
            (0x00, ins::READ_BINARY) => self.read_binary(c),
            (0x00, ins::READ_RECORD) => self.read_record(c),
            (0x00, ins::VERIFY) => self.verify(c),
            (0x00, ins::CHANGE_REFERENCE_DATA) => self.change(c, false),
            (0x80, ins::CHANGE_KEY) => self.change(c, true),
            (0x80, ins::SIGN) => self.sign(c),
            (0x00, ins::GET_RESPONSE) => self.get_response(c),
            (0x00, ins::GET_CHALLENGE) => self.get_challenge(c),
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

    fn select(&mut self, c: &CommandView<'_>) -> Response {
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
    fn resolve_key_p2(&self, p2: u8) -> Result<(App, u16), Status> {
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

    fn read_binary(&mut self, c: &CommandView<'_>) -> Response {
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

    fn read_record(&mut self, c: &CommandView<'_>) -> Response {
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

    fn key_target(&self, p2: u8) -> Result<(App, u16, (usize, usize), bool), Status> {
        let (app, fid) = self.resolve_key_p2(p2)?;
        match self.files.get(&(app, fid)) {
            Some(Ef::Key { len, changeable }) => Ok((app, fid, *len, *changeable)),
            Some(_) => Err(Status::Other(StatusWord(0x6981))),
            None => Err(Status::FileNotFound),
        }
    }

    fn verify(&mut self, c: &CommandView<'_>) -> Response {
        if c.p1 != 0x00 {
            return Response::status(Status::IncorrectP1P2);
        }
        if c.ne.is_some() {
            // A case-2 "empty VERIFY" is a bug (card-facts.md §3).
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
        if c.data.len() < min || c.data.len() > max {
            // A value of an impossible length is compared like any other: it is wrong.
        }
        let before = key.clone();
        let ok = key.matches(c.data);
        let key = self.state.keys.get_mut(&id).expect("looked up above");
        if ok {
            key.tries_left = key.limit;
        } else {
            key.tries_left -= 1;
        }
        let tries = key.tries_left;
        if before != *key {
            if let Err(_e) = self.persist() {
                self.state.keys.insert(id, before);
                return Response::status(Status::MemoryFailure);
            }
        }
        if ok {
            self.vol.verified.insert((app, fid));
            Response::status(Status::Success)
        } else {
            self.vol.verified.remove(&(app, fid));
            Response::status(Status::TriesLeft(tries))
        }
    }

    fn change(&mut self, c: &CommandView<'_>, change_key: bool) -> Response {
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
        let before = key.clone();
        if let Some(k) = self.state.keys.get_mut(&id) {
            k.set(c.data);
        }
        if self.persist().is_err() {
            self.state.keys.insert(id, before);
            return Response::status(Status::MemoryFailure);
        }
        Response::status(Status::Success)
    }

    fn sign(&mut self, c: &CommandView<'_>) -> Response {
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

impl Transport for VirtualCard {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let result = self.transmit_inner(command);
        self.log.push(Exchange::new(command, result.clone()));
        result
    }

    fn caps(&self) -> TransportCaps {
        TransportCaps {
            extended_length: self.options.reader_extended,
        }
    }

    fn unpower(&mut self) -> Result<(), TransportError> {
        if self.removed {
            return Err(TransportError::CardRemoved);
        }
        self.power_off();
        Ok(())
    }
}

impl VirtualCard {
    fn transmit_inner(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.removed {
            return Err(TransportError::CardRemoved);
        }
        let app = self.vol.df;
        let view = CommandView::parse(command).ok();
        let fault = self.take_fault(app, view.as_ref());
        match fault {
            None => Ok(self.process(command).to_bytes()),
            Some(Fault::Refuse(sw)) => Ok(Response::status(sw).to_bytes()),
            Some(Fault::RemoveCard) => {
                self.remove();
                Err(TransportError::CardRemoved)
            }
            Some(Fault::PowerLossBefore) => {
                self.power_off();
                Err(TransportError::CardReset)
            }
            Some(Fault::PowerLossAfter) => {
                let _ = self.process(command);
                self.power_off();
                Err(TransportError::CardReset)
            }
            Some(Fault::DropResponse) => {
                let _ = self.process(command);
                Err(TransportError::NoResponse)
            }
            Some(Fault::Truncate(n)) => {
                let mut r = self.process(command).to_bytes();
                r.truncate(n);
                Ok(r)
            }
            Some(Fault::CorruptStatus) => {
                let mut r = self.process(command).data;
                r.extend_from_slice(&[0x6F, 0x00]);
                Ok(r)
            }
        }
    }
}
