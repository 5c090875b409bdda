//! Every call into the `mynacard` library's card API, in one small module, so that a change of
//! the library's API (for example per-application handles) is adapted here only.

use std::io::Write;
use std::path::{Path, PathBuf};

use mynacard::apdu::{Command, Status};
use mynacard::applets::{self, jpki};
use mynacard::cert::{CertKind, Certificate};
use mynacard::credential::{AuthPin, CredentialError, Rule, SignaturePassword};
use mynacard::pin::{PinKind, PinStatus};
use mynacard::transport::{mask_command, Transport, TransportError};
use mynacard::{Card, Error, LastTry};

/// A card connection: the library's [`Card`] over any transport that can move between threads.
pub(crate) type Conn = Card<Box<dyn Transport + Send>>;

/// One of the two JPKI keys, each with its own PIN: one PKCS#11 token each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    /// The user-authentication key, PIN of 4 digits, 3 tries.
    Auth,
    /// The signature key, password of 6-16 characters, 5 tries.
    Sign,
}

impl Key {
    pub(crate) const BOTH: [Key; 2] = [Key::Auth, Key::Sign];

    pub(crate) fn pin_kind(self) -> PinKind {
        match self {
            Key::Auth => PinKind::UserAuth,
            Key::Sign => PinKind::Signature,
        }
    }

    pub(crate) fn cert_kind(self) -> CertKind {
        match self {
            Key::Auth => CertKind::Auth,
            Key::Sign => CertKind::Sign,
        }
    }

    /// The private-key EF, for SIGN.
    fn key_fid(self) -> u16 {
        match self {
            Key::Auth => jpki::AUTH_KEY.0,
            Key::Sign => jpki::SIGN_KEY.0,
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Key::Auth => 0,
            Key::Sign => 1,
        }
    }
}

/// A PIN checked against its format, before any I/O. Zeroized on drop by the library's types.
pub(crate) enum TypedPin {
    Auth(AuthPin),
    Sign(SignaturePassword),
}

/// Why a PIN was refused before any I/O.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadPin {
    /// Too short or too long.
    Length,
    /// A character the card does not accept.
    Characters,
}

fn bad_pin(e: &CredentialError) -> BadPin {
    match e.rule {
        Rule::Length { .. } => BadPin::Length,
        _ => BadPin::Characters,
    }
}

/// Parses a PIN for `key`; nothing is sent.
pub(crate) fn parse_pin(key: Key, value: &str) -> Result<TypedPin, BadPin> {
    match key {
        Key::Auth => AuthPin::parse(value)
            .map(TypedPin::Auth)
            .map_err(|e| bad_pin(&e)),
        Key::Sign => SignaturePassword::parse(value)
            .map(TypedPin::Sign)
            .map_err(|e| bad_pin(&e)),
    }
}

/// The PIN's counter, read with the case-1 VERIFY (spends no try).
pub(crate) fn pin_status(card: &mut Conn, key: Key) -> Result<PinStatus, Error> {
    card.pin_status(key.pin_kind())
}

/// VERIFY, with the library's lockout guard (counter read first in the same transaction).
pub(crate) fn login(card: &mut Conn, pin: &TypedPin, allow_last: bool) -> Result<(), Error> {
    match pin {
        TypedPin::Auth(p) => card.verify_with(p, LastTry::allow_if(allow_last)),
        TypedPin::Sign(p) => card.verify_with(p, LastTry::allow_if(allow_last)),
    }
}

/// VERIFY, then (when `read` is set) the key's certificate, in one transaction: on a shared
/// PC/SC connection each transaction selects the application again, so one transaction saves a
/// SELECT. The outer error is the VERIFY's; the inner result is the read's.
pub(crate) fn login_and_read(
    card: &mut Conn,
    key: Key,
    pin: &TypedPin,
    allow_last: bool,
    read: bool,
) -> Result<Option<Result<Certificate, Error>>, Error> {
    card.transaction(|card| {
        login(card, pin, allow_last).map(|()| read.then(|| read_certificate(card, key)))
    })
}

/// VERIFY the current value and CHANGE REFERENCE DATA, in one transaction.
pub(crate) fn change_pin(
    card: &mut Conn,
    old: &TypedPin,
    new: &TypedPin,
    allow_last: bool,
) -> Result<(), Error> {
    match (old, new) {
        (TypedPin::Auth(o), TypedPin::Auth(n)) => {
            card.change_with(o, n, LastTry::allow_if(allow_last))
        }
        (TypedPin::Sign(o), TypedPin::Sign(n)) => {
            card.change_with(o, n, LastTry::allow_if(allow_last))
        }
        _ => Err(Error::Protocol("the two PINs are of different kinds")),
    }
}

/// The key's certificate (the signature certificate needs the password verified first).
pub(crate) fn read_certificate(card: &mut Conn, key: Key) -> Result<Certificate, Error> {
    card.jpki().read_certificate(key.cert_kind())
}

/// The certificate of the CA that issued the key's certificate (JPKI EF `000B` or `0002`), free
/// to read. The library keeps it for the card session.
pub(crate) fn read_ca_certificate(card: &mut Conn, key: Key) -> Result<Certificate, Error> {
    card.jpki().read_certificate(key.cert_kind().ca())
}

/// Signs `data` as given with P1=00 (PKCS#1 v1.5 over the caller's DigestInfo), the key's PIN
/// already verified. Addresses the key by SFI (one exchange); a card that refuses SFI gets
/// SELECT EF and `P2=80`.
pub(crate) fn sign_raw(card: &mut Conn, key: Key, data: &[u8]) -> Result<Vec<u8>, Error> {
    let s = card.session_mut();
    s.transaction(|s| {
        s.select_df(&applets::JPKI)?;
        let fid = key.key_fid();
        let sign = |p2: u8| -> Result<Command, Error> {
            Ok(Command::new(0x80, 0x2A, 0x00, p2)
                .with_data(data)?
                .with_ne(256)?)
        };
        let mut r = s.transmit(&sign(0x80 | (fid as u8 & 0x1F))?)?;
        if matches!(r.sw.status(), Status::IncorrectP1P2 | Status::FileNotFound) {
            s.select_ef(mynacard::applets::Fid(fid))?;
            r = s.transmit(&sign(0x80)?)?;
        }
        match r.sw.status() {
            Status::Success if !r.data.is_empty() => Ok(r.data),
            Status::SecurityStatusNotSatisfied => Err(Error::NeedsVerification {
                what: "signing",
                needs: key.pin_kind().description(),
            }),
            _ => Err(Error::Card {
                operation: "SIGN",
                sw: r.sw,
                meaning: mynacard::error::sw_meaning(r.sw),
            }),
        }
    })
}

/// Removes power from the card: its security status (verified PINs) ends.
pub(crate) fn unpower(card: &mut Conn) -> Result<(), Error> {
    card.unpower()
}

/// What an error means to PKCS#11.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    WrongPin,
    Blocked,
    LastTry,
    NotLoggedIn,
    CardGone,
    Unknown,
    Other,
}

pub(crate) fn classify(e: &Error) -> Failure {
    match e {
        Error::WrongPin { tries_left: 0, .. } | Error::Blocked { .. } => Failure::Blocked,
        Error::WrongPin { .. } => Failure::WrongPin,
        Error::LastTry { .. } => Failure::LastTry,
        Error::NeedsVerification { .. } => Failure::NotLoggedIn,
        Error::CardReset
        | Error::Transport(TransportError::CardRemoved)
        | Error::Transport(TransportError::CardReset) => Failure::CardGone,
        Error::UnknownOutcome { .. } => Failure::Unknown,
        _ => Failure::Other,
    }
}

/// How to reach a card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Backend {
    /// The virtual card with its state file; exchanges appended to `log` when set.
    #[cfg(feature = "sim")]
    Sim {
        state: PathBuf,
        log: Option<PathBuf>,
    },
    /// A PC/SC reader by name.
    #[cfg(feature = "pcsc")]
    Pcsc { reader: String },
}

impl Backend {
    /// A short description for the slot (ASCII).
    pub(crate) fn describe(&self) -> String {
        match self {
            #[cfg(feature = "sim")]
            Backend::Sim { .. } => "mynacard virtual card".into(),
            #[cfg(feature = "pcsc")]
            Backend::Pcsc { reader } => reader.clone(),
        }
    }
}

/// Connects to the card: opens (and locks) the virtual card's state file, or connects to the
/// reader in shared mode.
pub(crate) fn connect(backend: &Backend) -> Result<Conn, String> {
    match backend {
        #[cfg(feature = "sim")]
        Backend::Sim { state, log } => {
            let card = mynacard::sim::VirtualCard::open(state).map_err(|e| e.to_string())?;
            let t: Box<dyn Transport + Send> = match log {
                Some(path) => Box::new(FileLog {
                    inner: card,
                    path: path.clone(),
                }),
                None => Box::new(card),
            };
            Ok(Card::new(t))
        }
        #[cfg(feature = "pcsc")]
        Backend::Pcsc { reader } => {
            let options = mynacard::pcsc::Options {
                timeout: std::time::Duration::ZERO,
                ..Default::default()
            };
            let t = mynacard::pcsc::open(
                &mynacard::pcsc::ReaderChoice::Name(reader.clone()),
                &options,
                &mut |_| {},
            )
            .map_err(|e| e.to_string())?;
            Ok(Card::new(Box::new(t)))
        }
    }
}

/// The readers that hold a My Number Card now (found by the JPKI application), each with the
/// connection the probe opened, so that the first use does not probe again.
#[cfg(feature = "pcsc")]
pub(crate) fn pcsc_readers() -> Vec<(String, Conn)> {
    let Ok(readers) = mynacard::pcsc::list_readers() else {
        return Vec::new();
    };
    let options = mynacard::pcsc::Options {
        timeout: std::time::Duration::ZERO,
        ..Default::default()
    };
    readers
        .into_iter()
        .filter_map(|r| {
            let t = mynacard::pcsc::open(
                &mynacard::pcsc::ReaderChoice::Name(r.clone()),
                &options,
                &mut |_| {},
            )
            .ok()?;
            let conn: Conn = Card::new(Box::new(t));
            Some((r, conn))
        })
        .collect()
}

/// A transport that appends each exchange to a file: the command with the data of
/// PIN-carrying commands masked, and only the length and status word of the answer (never its
/// data). For counting exchanges (`MYNACARD_SIM_LOG`). Power removal is logged as a line
/// `# unpower`, which is not an exchange.
struct FileLog<T> {
    inner: T,
    path: PathBuf,
}

fn append(path: &Path, line: &str) {
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    {
        let _ = writeln!(f, "{line}");
    }
}

impl<T: Transport> mynacard::transport::Wrapper for FileLog<T> {
    type Inner = T;
    fn inner(&self) -> &T {
        &self.inner
    }
    fn inner_mut(&mut self) -> &mut T {
        &mut self.inner
    }
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let r = self.inner.transmit(command);
        let answer = match &r {
            Ok(b) if b.len() >= 2 => format!(
                "{:02X}{:02X} ({} bytes)",
                b[b.len() - 2],
                b[b.len() - 1],
                b.len() - 2
            ),
            Ok(b) => format!("malformed ({} bytes)", b.len()),
            Err(e) => format!("error: {e}"),
        };
        let masked = mask_command(command);
        let shown: String = masked.iter().take(16).map(|b| format!("{b:02X}")).collect();
        append(&self.path, &format!("{shown} -> {answer}"));
        r
    }
    // Everything else (transactions, sharing, the discovery's selection) is forwarded by
    // `Wrapper`'s defaults.
    fn unpower(&mut self) -> Result<(), TransportError> {
        let r = self.inner.unpower();
        append(&self.path, "# unpower");
        r
    }
}
