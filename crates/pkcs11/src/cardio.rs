//! Every call into the `mynacard` library's card API, in one small module, so that a change of
//! the library's API (for example per-application handles) is adapted here only.

#[cfg(feature = "sim")]
use std::path::PathBuf;

#[cfg(feature = "sim")]
use mynacard::applets::Aid;
use mynacard::cert::{CertKind, Certificate};
use mynacard::credential::{AuthPin, CredentialError, Rule, SignaturePassword};
use mynacard::crypto::PublicKey;
use mynacard::pin::{PinKind, PinStatus};
use mynacard::sign::{KeyKind, SignOptions, SignatureScheme, ToSign, Verification};
#[cfg(feature = "sim")]
use mynacard::transport::{Exchange, FileLog, TransportCaps};
use mynacard::transport::{Transport, TransportError};
use mynacard::{Card, Error, LastTry};

/// A card connection: the library's [`Card`] over the module's [`Link`].
pub(crate) type Conn = Card<Link>;

/// The transport under a connection: the virtual card (kept as itself, so that the module can
/// let go of its state file's lock), or any other transport that can move between threads.
pub(crate) enum Link {
    /// The virtual card, its exchanges logged when `MYNACARD_SIM_LOG` is set.
    #[cfg(feature = "sim")]
    Sim(SharedSim),
    /// A PC/SC reader (or another transport).
    #[allow(dead_code)]
    Other(Box<dyn Transport + Send>),
}

/// The virtual card behind a mutex of its own, so that the module can let go of its state
/// file's lock from outside the library's session (reaching the transport through the session
/// mutably would make the session forget its selection, and cost a SELECT).
#[cfg(feature = "sim")]
pub(crate) struct SharedSim(Box<std::sync::Mutex<FileLog<mynacard::sim::VirtualCard>>>);

#[cfg(feature = "sim")]
impl SharedSim {
    fn lock(&self) -> std::sync::MutexGuard<'_, FileLog<mynacard::sim::VirtualCard>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

// Not a `Wrapper`: the inner transport is reached through the mutex, so there is no reference
// to hand out; every method is forwarded here, and the library's
// `file_log_forwards_every_transport_method` checks the layer below (`transport::FileLog`).
#[cfg(feature = "sim")]
impl Transport for SharedSim {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.lock().transmit(command)
    }
    fn caps(&self) -> TransportCaps {
        self.lock().caps()
    }
    fn begin_transaction(&mut self) -> Result<(), TransportError> {
        self.lock().begin_transaction()
    }
    fn end_transaction(&mut self) {
        self.lock().end_transaction()
    }
    fn unpower(&mut self) -> Result<(), TransportError> {
        self.lock().unpower()
    }
    fn shared(&self) -> bool {
        self.lock().shared()
    }
    fn prior_exchanges(&self) -> Vec<Exchange> {
        self.lock().prior_exchanges()
    }
    fn selected_on_open(&self) -> Option<Aid> {
        self.lock().selected_on_open()
    }
    fn selection_kept(&self) -> bool {
        self.lock().selection_kept()
    }
}

/// Every method goes to the transport the link holds (`Wrapper`'s defaults): none can be
/// dropped.
impl mynacard::transport::Wrapper for Link {
    type Inner = dyn Transport + Send;
    fn inner(&self) -> &Self::Inner {
        match self {
            #[cfg(feature = "sim")]
            Link::Sim(t) => t,
            Link::Other(t) => t.as_ref(),
        }
    }
    fn inner_mut(&mut self) -> &mut Self::Inner {
        match self {
            #[cfg(feature = "sim")]
            Link::Sim(t) => t,
            Link::Other(t) => t.as_mut(),
        }
    }
}

/// Lets go of a card that other programs cannot use while it is held (the virtual card's state
/// file lock) without losing what the connection knows (its selection): the next command takes
/// the lock again and reloads the card's counters. Nothing for a shared PC/SC connection.
pub(crate) fn release_lock(card: &Conn) {
    match card.session().transport() {
        #[cfg(feature = "sim")]
        Link::Sim(t) => t.lock().get_mut().release_lock(),
        Link::Other(_) => {}
    }
}

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

    /// The library's name of the private key.
    fn key_kind(self) -> KeyKind {
        match self {
            Key::Auth => KeyKind::Auth,
            Key::Sign => KeyKind::Sign,
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

/// What the card is asked to sign: built by the module from the mechanism and the data.
pub(crate) enum SignInput<'a> {
    /// A DigestInfo as given (`CKM_RSA_PKCS`, and the DigestInfo the module builds for
    /// `CKM_SHA1_RSA_PKCS`): the card's P1=00 scheme, PKCS#1 v1.5 over exactly these bytes.
    DigestInfo(&'a [u8]),
    /// A digest for one of the library's schemes (`CKM_SHA256_RSA_PKCS` and the other SHA-2
    /// mechanisms: [`SignatureScheme::Pkcs1v15`]; a PSS mechanism would pass a PSS scheme).
    Scheme(SignatureScheme, &'a [u8]),
}

/// Signs with `key`, its PIN already verified, through the library (which builds the SIGN
/// command, addresses the key by SFI with the SELECT EF fallback, and checks the signature
/// under `public`, the key of the certificate the module read). Nothing is returned that does
/// not verify.
pub(crate) fn sign(
    card: &mut Conn,
    key: Key,
    input: SignInput<'_>,
    public: &PublicKey,
) -> Result<Vec<u8>, Error> {
    let options = SignOptions {
        verification: Verification::Key(public.clone()),
        ..SignOptions::default()
    };
    let mut jpki = card.jpki();
    match input {
        SignInput::DigestInfo(di) => jpki.sign_digest_info_verified(key.key_kind(), di, &options),
        SignInput::Scheme(scheme, digest) => jpki
            .sign_verified(key.key_kind(), scheme, ToSign::Digest(digest), &options)
            .map(|s| s.bytes),
    }
}

/// Lets go of a connection inherited from the parent process (in a child made by `fork()`)
/// without any I/O. The virtual card is dropped: that closes this process's copy of the state
/// file's lock descriptor (the lock itself stays the parent's until the parent lets go, and is
/// not kept alive by the child), and sends nothing. A PC/SC connection is leaked instead: its
/// worker thread does not exist in the child, and a disconnect through the parent's handle
/// would reset the card under the parent.
pub(crate) fn abandon(card: Conn) {
    match card.session().transport() {
        #[cfg(feature = "sim")]
        Link::Sim(_) => drop(card),
        Link::Other(_) => std::mem::forget(card),
    }
}

/// Fills `out` with the card's random bytes (GET CHALLENGE, through the library).
pub(crate) fn random(card: &mut Conn, out: &mut [u8]) -> Result<(), Error> {
    card.card_random(out)
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
            Ok(Card::new(Link::Sim(SharedSim(Box::new(
                std::sync::Mutex::new(FileLog::new(card, log.clone())),
            )))))
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
            Ok(Card::new(Link::Other(Box::new(t))))
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
            let conn: Conn = Card::new(Link::Other(Box::new(t)));
            Some((r, conn))
        })
        .collect()
}
