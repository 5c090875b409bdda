//! The module's state and every PKCS#11 operation, in safe Rust. The boundary module
//! ([`crate::ffi`]) turns C pointers into the Rust values taken here and writes the results
//! back; nothing here touches a raw pointer.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use cryptoki_sys::*;
use der::Encode;
use mynacard::crypto::{HashAlgorithm, PublicKey};
use mynacard::pin::PinStatus;
use mynacard::sign::SignatureScheme;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};
use zeroize::Zeroizing;

use crate::cardio::{self, Backend, Conn, Failure, Key, SignInput, TypedPin};

/// A PKCS#11 return value that is not `CKR_OK`.
pub(crate) type Rv = CK_RV;
/// A result whose error is a PKCS#11 return value.
pub(crate) type R<T> = Result<T, Rv>;

/// The vendor-defined user type that allows the last try in this one `C_Login` or `C_SetPIN`
/// (`CKU_VENDOR_DEFINED | 0x4D59`, "MY"). The environment variable `MYNACARD_ALLOW_LAST_TRY=1`
/// allows it for every call.
pub const CKU_MYNACARD_ALLOW_LAST_TRY: CK_USER_TYPE = 0x8000_0000 | 0x4D59;

/// What `C_Login` and `C_SetPIN` answer when the PIN has one try left and the last try was not
/// allowed: `CKR_FUNCTION_REJECTED`. Not `CKR_PIN_INCORRECT` (nothing was compared, and
/// applications count that as a failed try), not `CKR_PIN_LOCKED` (the PIN is not locked, and
/// a person told so goes to the city office for nothing): "the request was rejected", with
/// `CKF_USER_PIN_FINAL_TRY` in the token flags saying why.
pub const CKR_LAST_TRY_REFUSED: CK_RV = CKR_FUNCTION_REJECTED;

/// How long a counter read for `C_GetTokenInfo` is reused by the next `C_GetTokenInfo`. The
/// flags are for display; `C_Login` always reads the counter again inside its transaction.
const STATUS_MAX_AGE: Duration = Duration::from_secs(2);

/// The mechanisms: the card signs PKCS#1 v1.5 over the data as given (P1=00); the hashing
/// mechanisms hash here and build the DigestInfo. No CKM_RSA_X_509: the card pads itself.
pub(crate) const MECHANISMS: [CK_MECHANISM_TYPE; 5] = [
    CKM_RSA_PKCS,
    CKM_SHA1_RSA_PKCS,
    CKM_SHA256_RSA_PKCS,
    CKM_SHA384_RSA_PKCS,
    CKM_SHA512_RSA_PKCS,
];

/// The RSASSA-PSS mechanisms: the card signs a SHA-256 hash with PSS (P1=04), with MGF1-SHA-256
/// and a 32-byte salt (docs/card.md §7), TLS 1.3's `rsa_pss_rsae_sha256`. `CKM_RSA_PKCS_PSS`
/// takes the 32-byte hash; `CKM_SHA256_RSA_PKCS_PSS` hashes the data here, incrementally for
/// `C_SignUpdate`. Only the parameters {`CKM_SHA256`, `CKG_MGF1_SHA256`, `sLen` 32} are
/// accepted.
pub(crate) const PSS_MECHANISMS: [CK_MECHANISM_TYPE; 2] =
    [CKM_RSA_PKCS_PSS, CKM_SHA256_RSA_PKCS_PSS];

/// Whether `mechanism` is one of [`PSS_MECHANISMS`].
pub(crate) fn is_pss(mechanism: CK_MECHANISM_TYPE) -> bool {
    PSS_MECHANISMS.contains(&mechanism)
}

/// The fields of a `CK_RSA_PKCS_PSS_PARAMS`, as the boundary read them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PssParams {
    /// `hashAlg`.
    pub(crate) hash: CK_MECHANISM_TYPE,
    /// `mgf`.
    pub(crate) mgf: CK_RSA_PKCS_MGF_TYPE,
    /// `sLen`.
    pub(crate) salt_len: CK_ULONG,
}

impl PssParams {
    /// The only parameters the card signs with.
    pub(crate) const CARD: PssParams = PssParams {
        hash: CKM_SHA256,
        mgf: CKG_MGF1_SHA256,
        salt_len: mynacard::crypto::PSS_SALT_LEN as CK_ULONG,
    };
}

/// What a PSS sign operation gathers: the hash itself (`CKM_RSA_PKCS_PSS`, at most 32 bytes
/// kept), or the SHA-256 state over the data so far (`CKM_SHA256_RSA_PKCS_PSS`).
enum PssInput {
    Hash(Zeroizing<Vec<u8>>),
    Message(Sha256),
}

/// A PSS sign operation in progress.
struct PssOp {
    key: Key,
    input: PssInput,
    multipart: bool,
}

/// The most data `C_SignUpdate` gathers for `CKM_RSA_PKCS` (whose data is signed as given):
/// a DigestInfo fits a 4096-bit key's padding in 501 bytes, the largest key the module
/// announces. More is `CKR_DATA_LEN_RANGE` at once, so that the operation's state stays bounded
/// whatever the caller sends.
const RAW_MAX: usize = 4096 / 8 - 11;

/// Object handles: four per token (certificate, public key, private key, CA certificate),
/// numbered from the slot so that they are unique in the module.
const OBJECTS_PER_SLOT: CK_OBJECT_HANDLE = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ObjKind {
    Cert,
    Public,
    Private,
    /// The certificate of the CA that issued the token's certificate (JPKI EF `000B` for the
    /// user-authentication token, `0002` for the signature token; free to read: docs/card.md §2).
    CaCert,
}

const OBJ_KINDS: [ObjKind; 4] = [
    ObjKind::Cert,
    ObjKind::Public,
    ObjKind::Private,
    ObjKind::CaCert,
];

/// The attributes of any X.509 certificate object, DER-encoded.
#[derive(Clone)]
struct CertInfo {
    der: Vec<u8>,
    subject: Vec<u8>,
    issuer: Vec<u8>,
    serial: Vec<u8>,
}

impl CertInfo {
    fn from(cert: &mynacard::cert::Certificate) -> R<Self> {
        let tbs = cert.x509().tbs_certificate();
        let enc = |r: der::Result<Vec<u8>>| r.map_err(|_| CKR_DEVICE_ERROR);
        Ok(CertInfo {
            der: cert.der().to_vec(),
            subject: enc(tbs.subject().to_der())?,
            issuer: enc(tbs.issuer().to_der())?,
            serial: enc(tbs.serial_number().to_der())?,
        })
    }
}

/// What the module keeps of a key's certificate read from the card: the certificate and its
/// RSA public key.
#[derive(Clone)]
struct CertData {
    info: CertInfo,
    modulus: Vec<u8>,
    exponent: Vec<u8>,
    bits: usize,
    /// The key every signature is checked against (by the library) before it is returned.
    public: PublicKey,
}

impl CertData {
    fn from(cert: &mynacard::cert::Certificate) -> R<Self> {
        let key = cert.public_key().map_err(|_| CKR_DEVICE_ERROR)?;
        let rsa = key.as_rsa().ok_or(CKR_DEVICE_ERROR)?;
        Ok(CertData {
            info: CertInfo::from(cert)?,
            modulus: rsa.modulus.clone(),
            exponent: rsa.exponent.clone(),
            bits: rsa.bits(),
            public: key.clone(),
        })
    }
}

/// The counter flags of a PIN status.
pub(crate) fn counter_flags(status: &PinStatus) -> CK_FLAGS {
    let mut f = 0;
    if status.is_blocked() {
        return CKF_USER_PIN_LOCKED | CKF_USER_PIN_COUNT_LOW;
    }
    if let Some(n) = status.tries_left() {
        if n < status.limit {
            f |= CKF_USER_PIN_COUNT_LOW;
        }
        if n == 1 {
            f |= CKF_USER_PIN_FINAL_TRY;
        }
    }
    f
}

/// One card: its connection (opened on first use) and what is known of it.
struct Device {
    backend: Backend,
    /// Whether its card is in the reader (a PC/SC card pulled out after `C_Initialize` keeps
    /// its slots, with no token, until it is put back).
    present: bool,
    conn: Option<Conn>,
    logged_in: [bool; 2],
    certs: [Option<CertData>; 2],
    /// The CA certificates, read on first use (no PIN needed) and kept until `C_Finalize`.
    ca_certs: [Option<CertInfo>; 2],
    status: [Option<(Instant, CK_FLAGS)>; 2],
}

impl Device {
    fn new(backend: Backend) -> Self {
        Device {
            backend,
            present: true,
            conn: None,
            logged_in: [false; 2],
            certs: [None, None],
            ca_certs: [None, None],
            status: [None, None],
        }
    }

    fn conn(&mut self) -> R<&mut Conn> {
        if self.conn.is_none() {
            let c = cardio::connect(&self.backend).map_err(|_| CKR_DEVICE_ERROR)?;
            self.conn = Some(c);
        }
        self.conn.as_mut().ok_or(CKR_DEVICE_ERROR)
    }

    /// Unpowers the card: both PINs' verified state ends, so both tokens are logged out.
    fn unpower(&mut self) {
        if let Some(c) = self.conn.as_mut() {
            let _ = cardio::unpower(c);
        }
        self.forget_login();
    }

    /// Lets go of the card: unpowered (which logs both tokens out) and disconnected; a locked
    /// card (the virtual card's state file) is unlocked. The next use connects again.
    fn release(&mut self) {
        self.unpower();
        self.conn = None;
    }

    fn forget_login(&mut self) {
        self.logged_in = [false; 2];
        self.certs[Key::Sign.index()] = None;
        self.status = [None, None];
    }

    /// Maps a library error to a return value, forgetting what the error made stale.
    fn fail(&mut self, e: &mynacard::Error) -> Rv {
        match cardio::classify(e) {
            Failure::WrongPin => CKR_PIN_INCORRECT,
            Failure::Blocked => CKR_PIN_LOCKED,
            Failure::LastTry => CKR_LAST_TRY_REFUSED,
            Failure::NotLoggedIn => {
                self.forget_login();
                CKR_USER_NOT_LOGGED_IN
            }
            Failure::CardGone => {
                self.forget_login();
                // The next card in the reader may be another one: its certificates are read
                // again.
                self.certs = [None, None];
                self.ca_certs = [None, None];
                self.conn = None;
                CKR_DEVICE_REMOVED
            }
            Failure::Unknown | Failure::Other => CKR_DEVICE_ERROR,
        }
    }

    fn cert(&mut self, key: Key) -> R<&CertData> {
        let i = key.index();
        if self.certs[i].is_none() {
            if key == Key::Sign && !self.logged_in[i] {
                return Err(CKR_USER_NOT_LOGGED_IN);
            }
            let conn = self.conn()?;
            let read = cardio::read_certificate(conn, key);
            let cert = read.map_err(|e| self.fail(&e))?;
            self.certs[i] = Some(CertData::from(&cert)?);
        }
        self.certs[i].as_ref().ok_or(CKR_GENERAL_ERROR)
    }

    /// The certificate of the CA that issued `key`'s certificate, read on first use.
    fn ca_cert(&mut self, key: Key) -> R<&CertInfo> {
        let i = key.index();
        if self.ca_certs[i].is_none() {
            let conn = self.conn()?;
            let read = cardio::read_ca_certificate(conn, key);
            let cert = read.map_err(|e| self.fail(&e))?;
            self.ca_certs[i] = Some(CertInfo::from(&cert)?);
        }
        self.ca_certs[i].as_ref().ok_or(CKR_GENERAL_ERROR)
    }

    fn counter_flags(&mut self, key: Key) -> R<CK_FLAGS> {
        let i = key.index();
        if let Some((at, f)) = self.status[i] {
            if at.elapsed() < STATUS_MAX_AGE {
                return Ok(f);
            }
        }
        let conn = self.conn()?;
        let read = cardio::pin_status(conn, key);
        let status = read.map_err(|e| self.fail(&e))?;
        let f = counter_flags(&status);
        self.status[i] = Some((Instant::now(), f));
        Ok(f)
    }
}

/// What a sign operation keeps of the data while it arrives: the hashing mechanisms hash each
/// part as it comes (`C_SignUpdate` keeps no part), and `CKM_RSA_PKCS` gathers at most
/// [`RAW_MAX`] bytes. The state is the same size whatever the input's length.
enum Gathered {
    /// `CKM_RSA_PKCS`: the caller's DigestInfo, signed as given.
    Raw(Zeroizing<Vec<u8>>),
    Sha1(Sha1),
    Sha256(Sha256),
    Sha384(Sha384),
    Sha512(Sha512),
}

impl Gathered {
    fn new(mechanism: CK_MECHANISM_TYPE) -> R<Self> {
        Ok(match mechanism {
            CKM_RSA_PKCS => Gathered::Raw(Zeroizing::new(Vec::new())),
            CKM_SHA1_RSA_PKCS => Gathered::Sha1(Sha1::new()),
            CKM_SHA256_RSA_PKCS => Gathered::Sha256(Sha256::new()),
            CKM_SHA384_RSA_PKCS => Gathered::Sha384(Sha384::new()),
            CKM_SHA512_RSA_PKCS => Gathered::Sha512(Sha512::new()),
            _ => return Err(CKR_MECHANISM_INVALID),
        })
    }

    /// Takes one part: hashed at once, or (raw) kept up to [`RAW_MAX`] bytes.
    fn update(&mut self, part: &[u8]) -> R<()> {
        match self {
            Gathered::Raw(v) => {
                if v.len() + part.len() > RAW_MAX {
                    return Err(CKR_DATA_LEN_RANGE);
                }
                v.extend_from_slice(part);
            }
            Gathered::Sha1(h) => h.update(part),
            Gathered::Sha256(h) => h.update(part),
            Gathered::Sha384(h) => h.update(part),
            Gathered::Sha512(h) => h.update(part),
        }
        Ok(())
    }
}

/// The input for the card: the DigestInfo for raw and SHA-1 (the library builds SHA-1's prefix
/// from the hash's OID), the digest with its library scheme for SHA-2.
enum Finished {
    DigestInfo(Zeroizing<Vec<u8>>),
    Scheme(SignatureScheme, Vec<u8>),
}

impl Finished {
    fn from(g: Gathered) -> R<Self> {
        let scheme = |h| SignatureScheme::Pkcs1v15(h);
        Ok(match g {
            Gathered::Raw(v) => Finished::DigestInfo(v),
            Gathered::Sha1(h) => Finished::DigestInfo(Zeroizing::new(
                mynacard::sign::digest_info_for::<Sha1>(&h.finalize()).ok_or(CKR_GENERAL_ERROR)?,
            )),
            Gathered::Sha256(h) => {
                Finished::Scheme(scheme(HashAlgorithm::Sha256), h.finalize().to_vec())
            }
            Gathered::Sha384(h) => {
                Finished::Scheme(scheme(HashAlgorithm::Sha384), h.finalize().to_vec())
            }
            Gathered::Sha512(h) => {
                Finished::Scheme(scheme(HashAlgorithm::Sha512), h.finalize().to_vec())
            }
        })
    }

    fn input(&self) -> SignInput<'_> {
        match self {
            Finished::DigestInfo(d) => SignInput::DigestInfo(d),
            Finished::Scheme(s, d) => SignInput::Scheme(*s, d),
        }
    }
}

/// A sign operation in progress.
struct SignOp {
    key: Key,
    data: Gathered,
    multipart: bool,
}

struct Session {
    slot: CK_SLOT_ID,
    rw: bool,
    find: Option<Vec<CK_OBJECT_HANDLE>>,
    sign: Option<SignOp>,
    /// A PSS sign operation (at most one of `sign` and `pss` is set).
    pss: Option<PssOp>,
}

/// The module: its cards and sessions. One instance between `C_Initialize` and `C_Finalize`,
/// behind one mutex (the module does its own locking: `CKF_OS_LOCKING_OK`).
pub(crate) struct Module {
    devices: Vec<Device>,
    sessions: HashMap<CK_SESSION_HANDLE, Session>,
    next_session: CK_SESSION_HANDLE,
    /// The process that called `C_Initialize`. A child made by `fork()` inherits the module
    /// (its sessions, logins and card connections) but may not use it: PKCS#11 v2.40 §6.7.1
    /// makes every call in the child `CKR_CRYPTOKI_NOT_INITIALIZED` until it calls
    /// `C_Initialize` itself (see [`crate::ffi`]).
    pid: u32,
    /// Slots whose token came or went, for `C_WaitForSlotEvent`, oldest first.
    slot_events: std::collections::VecDeque<CK_SLOT_ID>,
}

/// A slot: which card, which token.
fn split(slot: CK_SLOT_ID) -> (usize, Key) {
    let card = (slot / 2) as usize;
    (
        card,
        if slot.is_multiple_of(2) {
            Key::Auth
        } else {
            Key::Sign
        },
    )
}

fn slot_of(card: usize, key: Key) -> CK_SLOT_ID {
    (card * 2 + key.index()) as CK_SLOT_ID
}

/// Copies `s` into a blank-padded fixed field, cut at a character boundary.
pub(crate) fn padded<const N: usize>(s: &str) -> [u8; N] {
    let mut out = [b' '; N];
    let mut end = s.len().min(N);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    out[..end].copy_from_slice(&s.as_bytes()[..end]);
    out
}

fn token_label(key: Key) -> &'static str {
    match key {
        Key::Auth => "利用者証明用 User Auth",
        Key::Sign => "署名用 Digital Signature",
    }
}

/// `CKA_LABEL` (a variable-length UTF-8 attribute, so no byte limit): the card's word for the
/// object, in Japanese, from the library (`CertKind::name`, `KeyKind::name`), then an English
/// one. The public key carries its private key's label, as OpenSC's JPKI emulation does.
fn object_label(key: Key, kind: ObjKind) -> String {
    use mynacard::cert::CertKind;
    use mynacard::sign::KeyKind;
    let ja = |c: CertKind| c.name(mynacard::Lang::Ja).to_owned();
    let (ja, en) = match (key, kind) {
        (Key::Auth, ObjKind::Cert) => (ja(CertKind::Auth), "User authentication certificate"),
        (Key::Auth, ObjKind::CaCert) => {
            (ja(CertKind::AuthCa), "User authentication CA certificate")
        }
        (Key::Auth, _) => (
            KeyKind::Auth.name(mynacard::Lang::Ja),
            "User authentication key",
        ),
        (Key::Sign, ObjKind::Cert) => (ja(CertKind::Sign), "Digital signature certificate"),
        (Key::Sign, ObjKind::CaCert) => (ja(CertKind::SignCa), "Digital signature CA certificate"),
        (Key::Sign, _) => (
            KeyKind::Sign.name(mynacard::Lang::Ja),
            "Digital signature key",
        ),
    };
    format!("{ja} {en}")
}

/// `CKA_ID`: `01` for the user-authentication key and certificate, `02` for the signature key
/// and certificate, `03` and `04` for their CA certificates (the numbering of OpenSC's JPKI
/// emulation, `pkcs15-jpki.c`). The CA certificates have IDs of their own, so that a search for
/// the certificate of key `01` never finds the CA's, and NSS never pairs a CA with the key.
fn object_id(key: Key, kind: ObjKind) -> Vec<u8> {
    let base = if kind == ObjKind::CaCert { 3 } else { 1 };
    vec![key.index() as u8 + base]
}

fn ulong(v: CK_ULONG) -> Vec<u8> {
    v.to_ne_bytes().to_vec()
}

fn bool_attr(v: bool) -> Vec<u8> {
    vec![if v { CK_TRUE } else { CK_FALSE }]
}

/// One attribute's value, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Attr {
    Value(Vec<u8>),
    Sensitive,
    Invalid,
}

/// What `C_GetTokenInfo` needs besides the counters.
fn pin_len(key: Key) -> (CK_ULONG, CK_ULONG) {
    match key {
        Key::Auth => (4, 4),
        Key::Sign => (6, 16),
    }
}

fn allow_last_try_env() -> bool {
    std::env::var("MYNACARD_ALLOW_LAST_TRY").is_ok_and(|v| v == "1")
}

/// Parses a PIN from the caller's bytes; refused before any I/O.
fn parse_pin(key: Key, pin: &[u8]) -> R<TypedPin> {
    let s = Zeroizing::new(
        std::str::from_utf8(pin)
            .map_err(|_| CKR_PIN_INVALID)?
            .to_owned(),
    );
    cardio::parse_pin(key, &s).map_err(|e| match e {
        cardio::BadPin::Length => CKR_PIN_LEN_RANGE,
        cardio::BadPin::Characters => CKR_PIN_INVALID,
    })
}

impl Module {
    /// The cards named by the environment: the virtual card first (`MYNACARD_SIM_STATE`), then
    /// the PC/SC readers holding a My Number Card.
    pub(crate) fn from_env() -> Module {
        #[allow(unused_mut)]
        let mut devices = Vec::new();
        #[cfg(feature = "sim")]
        if let Some(state) = std::env::var_os("MYNACARD_SIM_STATE").filter(|s| !s.is_empty()) {
            let log = std::env::var_os("MYNACARD_SIM_LOG")
                .filter(|s| !s.is_empty())
                .map(Into::into);
            devices.push(Device::new(Backend::Sim {
                state: state.into(),
                log,
            }));
        }
        #[cfg(feature = "pcsc")]
        for (reader, conn) in cardio::pcsc_readers() {
            let mut d = Device::new(Backend::Pcsc { reader });
            d.conn = Some(conn);
            devices.push(d);
        }
        Module {
            devices,
            sessions: HashMap::new(),
            next_session: 1,
            pid: std::process::id(),
            slot_events: std::collections::VecDeque::new(),
        }
    }

    /// Whether this process is the one that initialized the module (not a child made by
    /// `fork()` that inherited it).
    pub(crate) fn in_its_process(&self) -> bool {
        self.pid == std::process::id()
    }

    /// Lets go of a module inherited through `fork()`, in the child, without any I/O to the
    /// parent's cards (no unpower, no disconnect): see [`cardio::abandon`].
    pub(crate) fn abandon(mut self) {
        for d in &mut self.devices {
            if let Some(c) = d.conn.take() {
                cardio::abandon(c);
            }
        }
    }

    /// Unpowers every card and lets go of it (`C_Finalize`).
    pub(crate) fn finalize(&mut self) {
        for d in &mut self.devices {
            d.unpower();
            d.conn = None;
        }
        self.sessions.clear();
    }

    /// The slots; with `token_present`, only those whose card is in its reader.
    pub(crate) fn slot_list(&self, token_present: bool) -> Vec<CK_SLOT_ID> {
        (0..self.devices.len())
            .filter(|c| !token_present || self.devices[*c].present)
            .flat_map(|c| Key::BOTH.map(|k| slot_of(c, k)))
            .collect()
    }

    /// The device of a slot whose token is present.
    fn device(&mut self, slot: CK_SLOT_ID) -> R<(&mut Device, Key)> {
        let (c, key) = split(slot);
        match self.devices.get_mut(c) {
            Some(d) if d.present => Ok((d, key)),
            Some(_) => Err(CKR_TOKEN_NOT_PRESENT),
            None => Err(CKR_SLOT_ID_INVALID),
        }
    }

    /// The next slot whose token came or went since the last call (`C_WaitForSlotEvent`).
    pub(crate) fn next_slot_event(&mut self) -> Option<CK_SLOT_ID> {
        self.slot_events.pop_front()
    }

    /// Takes in a reader or card event of the library's monitor (feature `pcsc`): a My Number
    /// Card inserted into a new reader gives a new card (two new slots); pulled out, its
    /// slots stay with no token (sessions closed, logins, connection and cached certificates
    /// gone, since the next card in that reader may be another); put back, they have a token
    /// again. Each change queues both of the card's slots for `C_WaitForSlotEvent`.
    #[cfg(feature = "pcsc")]
    pub(crate) fn card_event(&mut self, e: &mynacard::events::CardEvent) {
        use mynacard::events::{CardEvent, CardKind};
        let find = |devices: &[Device], name: &str| {
            devices
                .iter()
                .position(|d| matches!(&d.backend, Backend::Pcsc { reader } if reader == name))
        };
        let changed = match e {
            CardEvent::CardInserted { reader, kind, .. } => {
                match find(&self.devices, reader) {
                    // Already known and in: the card the module found at C_Initialize.
                    Some(c) if self.devices[c].present => None,
                    Some(c) if *kind != CardKind::OtherCard => {
                        self.devices[c].present = true;
                        Some(c)
                    }
                    Some(_) => None,
                    None if kind.is_my_number_card() => {
                        self.devices.push(Device::new(Backend::Pcsc {
                            reader: reader.clone(),
                        }));
                        Some(self.devices.len() - 1)
                    }
                    None => None,
                }
            }
            CardEvent::CardRemoved { reader } | CardEvent::ReaderRemoved { reader } => {
                match find(&self.devices, reader) {
                    Some(c) if self.devices[c].present => {
                        let mut gone = Device::new(self.devices[c].backend.clone());
                        gone.present = false;
                        // The old connection is dropped: the card it reached is gone.
                        drop(std::mem::replace(&mut self.devices[c], gone));
                        self.sessions.retain(|_, s| split(s.slot).0 != c);
                        Some(c)
                    }
                    _ => None,
                }
            }
            _ => None,
        };
        if let Some(c) = changed {
            self.slot_events.extend(Key::BOTH.map(|k| slot_of(c, k)));
        }
    }

    pub(crate) fn slot_info(&mut self, slot: CK_SLOT_ID) -> R<CK_SLOT_INFO> {
        let (c, key) = split(slot);
        let d = self.devices.get(c).ok_or(CKR_SLOT_ID_INVALID)?;
        let desc = format!("{} - {}", token_label(key), d.backend.describe());
        let present = if d.present { CKF_TOKEN_PRESENT } else { 0 };
        Ok(CK_SLOT_INFO {
            slotDescription: padded::<64>(&desc),
            manufacturerID: padded::<32>("mynacard"),
            flags: present | CKF_REMOVABLE_DEVICE | CKF_HW_SLOT,
            hardwareVersion: CK_VERSION { major: 0, minor: 0 },
            firmwareVersion: CK_VERSION { major: 0, minor: 0 },
        })
    }

    pub(crate) fn token_info(&mut self, slot: CK_SLOT_ID) -> R<CK_TOKEN_INFO> {
        let sessions: Vec<bool> = self
            .sessions
            .values()
            .filter(|s| s.slot == slot)
            .map(|s| s.rw)
            .collect();
        let (card, _) = split(slot);
        let card_in_use = self.sessions.values().any(|s| split(s.slot).0 == card);
        let (d, key) = self.device(slot)?;
        let counters = d.counter_flags(key);
        // With no session on the card, nothing needs it: let go of a card that is locked while
        // held (the virtual card's state file), so that other programs (`myna status`) can use
        // it until a session is opened. The connection keeps what it knows (the selection), so
        // the next operation costs no exchange more; it takes the lock again.
        if !card_in_use {
            if let Some(c) = d.conn.as_ref() {
                cardio::release_lock(c);
            }
        }
        let counters = counters?;
        let (min, max) = pin_len(key);
        Ok(CK_TOKEN_INFO {
            label: padded::<32>(token_label(key)),
            manufacturerID: padded::<32>("J-LIS (mynacard)"),
            model: padded::<16>("JPKI"),
            serialNumber: padded::<16>(&format!(
                "{card:015}{}",
                if key == Key::Auth { "A" } else { "S" }
            )),
            // CKF_RNG: C_GenerateRandom gives the card's GET CHALLENGE bytes.
            flags: CKF_RNG
                | CKF_TOKEN_INITIALIZED
                | CKF_USER_PIN_INITIALIZED
                | CKF_LOGIN_REQUIRED
                | counters,
            ulMaxSessionCount: CK_EFFECTIVELY_INFINITE,
            ulSessionCount: sessions.len() as CK_ULONG,
            ulMaxRwSessionCount: CK_EFFECTIVELY_INFINITE,
            ulRwSessionCount: sessions.iter().filter(|rw| **rw).count() as CK_ULONG,
            ulMaxPinLen: max,
            ulMinPinLen: min,
            ulTotalPublicMemory: CK_UNAVAILABLE_INFORMATION,
            ulFreePublicMemory: CK_UNAVAILABLE_INFORMATION,
            ulTotalPrivateMemory: CK_UNAVAILABLE_INFORMATION,
            ulFreePrivateMemory: CK_UNAVAILABLE_INFORMATION,
            hardwareVersion: CK_VERSION { major: 0, minor: 0 },
            firmwareVersion: CK_VERSION { major: 0, minor: 0 },
            utcTime: [b' '; 16],
        })
    }

    pub(crate) fn mechanism_list(&mut self, slot: CK_SLOT_ID) -> R<Vec<CK_MECHANISM_TYPE>> {
        self.device(slot)?;
        Ok(MECHANISMS.iter().chain(&PSS_MECHANISMS).copied().collect())
    }

    pub(crate) fn mechanism_info(
        &mut self,
        slot: CK_SLOT_ID,
        mechanism: CK_MECHANISM_TYPE,
    ) -> R<CK_MECHANISM_INFO> {
        self.device(slot)?;
        if !MECHANISMS.contains(&mechanism) && !is_pss(mechanism) {
            return Err(CKR_MECHANISM_INVALID);
        }
        Ok(CK_MECHANISM_INFO {
            ulMinKeySize: 2048,
            ulMaxKeySize: 4096,
            flags: CKF_HW | CKF_SIGN,
        })
    }

    pub(crate) fn open_session(
        &mut self,
        slot: CK_SLOT_ID,
        flags: CK_FLAGS,
    ) -> R<CK_SESSION_HANDLE> {
        self.device(slot)?;
        if flags & CKF_SERIAL_SESSION == 0 {
            return Err(CKR_SESSION_PARALLEL_NOT_SUPPORTED);
        }
        let h = self.next_session;
        self.next_session += 1;
        self.sessions.insert(
            h,
            Session {
                slot,
                rw: flags & CKF_RW_SESSION != 0,
                find: None,
                sign: None,
                pss: None,
            },
        );
        Ok(h)
    }

    fn session(&mut self, h: CK_SESSION_HANDLE) -> R<&mut Session> {
        self.sessions.get_mut(&h).ok_or(CKR_SESSION_HANDLE_INVALID)
    }

    /// Closes a session. When it was the last session of its token, the token is logged out
    /// (PKCS#11) and the card unpowered; when no session of the card is left, the card is let go.
    pub(crate) fn close_session(&mut self, h: CK_SESSION_HANDLE) -> R<()> {
        let s = self.sessions.remove(&h).ok_or(CKR_SESSION_HANDLE_INVALID)?;
        let (card, key) = split(s.slot);
        let token_left = self.sessions.values().any(|o| o.slot == s.slot);
        let card_left = self.sessions.values().any(|o| split(o.slot).0 == card);
        let d = self.device(s.slot)?.0;
        if !card_left {
            d.release();
        } else if !token_left && d.logged_in[key.index()] {
            d.unpower();
        }
        Ok(())
    }

    pub(crate) fn close_all_sessions(&mut self, slot: CK_SLOT_ID) -> R<()> {
        self.device(slot)?;
        let hs: Vec<_> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.slot == slot)
            .map(|(h, _)| *h)
            .collect();
        for h in hs {
            self.close_session(h)?;
        }
        Ok(())
    }

    pub(crate) fn session_info(&mut self, h: CK_SESSION_HANDLE) -> R<CK_SESSION_INFO> {
        let s = self.session(h)?;
        let (slot, rw) = (s.slot, s.rw);
        let (d, key) = self.device(slot)?;
        let user = d.logged_in[key.index()];
        let state = match (rw, user) {
            (false, false) => CKS_RO_PUBLIC_SESSION,
            (false, true) => CKS_RO_USER_FUNCTIONS,
            (true, false) => CKS_RW_PUBLIC_SESSION,
            (true, true) => CKS_RW_USER_FUNCTIONS,
        };
        Ok(CK_SESSION_INFO {
            slotID: slot,
            state,
            flags: CKF_SERIAL_SESSION | if rw { CKF_RW_SESSION } else { 0 },
            ulDeviceError: 0,
        })
    }

    /// `C_Login`: the PIN's format is checked before any I/O; the library's lockout guard reads
    /// the counter in the same transaction as the VERIFY, never sends a blocked PIN, and refuses
    /// the last try unless it is allowed.
    pub(crate) fn login(
        &mut self,
        h: CK_SESSION_HANDLE,
        user: CK_USER_TYPE,
        pin: Option<&[u8]>,
    ) -> R<()> {
        let slot = self.session(h)?.slot;
        let allow_last = match user {
            CKU_USER => allow_last_try_env(),
            CKU_MYNACARD_ALLOW_LAST_TRY => true,
            CKU_SO => return Err(CKR_USER_TYPE_INVALID),
            CKU_CONTEXT_SPECIFIC => return Err(CKR_OPERATION_NOT_INITIALIZED),
            _ => return Err(CKR_USER_TYPE_INVALID),
        };
        let (d, key) = self.device(slot)?;
        if d.logged_in[key.index()] {
            return Err(CKR_USER_ALREADY_LOGGED_IN);
        }
        // No protected authentication path: the PIN comes from the caller.
        let pin = parse_pin(key, pin.ok_or(CKR_ARGUMENTS_BAD)?)?;
        d.status[key.index()] = None;
        let read = d.certs[key.index()].is_none();
        let conn = d.conn()?;
        let r = cardio::login_and_read(conn, key, &pin, allow_last, read);
        let read = r.map_err(|e| d.fail(&e))?;
        d.logged_in[key.index()] = true;
        // A failed read leaves the login in place; the certificate is read again when needed.
        if let Some(Ok(cert)) = read {
            d.certs[key.index()] = CertData::from(&cert).ok();
        }
        Ok(())
    }

    /// `C_Logout`: unpowers the card, which ends both PINs' verified state.
    pub(crate) fn logout(&mut self, h: CK_SESSION_HANDLE) -> R<()> {
        let slot = self.session(h)?.slot;
        let (d, key) = self.device(slot)?;
        if !d.logged_in[key.index()] {
            return Err(CKR_USER_NOT_LOGGED_IN);
        }
        d.unpower();
        for s in self.sessions.values_mut() {
            if split(s.slot).0 == split(slot).0 {
                s.sign = None;
                s.pss = None;
                s.find = None;
            }
        }
        Ok(())
    }

    /// `C_SetPIN`: VERIFY the old value and CHANGE REFERENCE DATA to the new one, in one
    /// transaction, with the same guard as `C_Login`.
    pub(crate) fn set_pin(
        &mut self,
        h: CK_SESSION_HANDLE,
        old: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> R<()> {
        let s = self.session(h)?;
        if !s.rw {
            return Err(CKR_SESSION_READ_ONLY);
        }
        let slot = s.slot;
        let (d, key) = self.device(slot)?;
        let old = parse_pin(key, old.ok_or(CKR_ARGUMENTS_BAD)?)?;
        let new = parse_pin(key, new.ok_or(CKR_ARGUMENTS_BAD)?)?;
        d.status[key.index()] = None;
        let conn = d.conn()?;
        let r = cardio::change_pin(conn, &old, &new, allow_last_try_env());
        // The VERIFY of the current value leaves this PIN verified on the card (also when the
        // CHANGE after it fails). Unless the module has logged this token in, that must end:
        // the card is unpowered, which ends every PIN's verified state, so the card's other
        // token is logged out too (as `C_Logout` does). Only a refusal that verified nothing
        // (a wrong, blocked or refused last value) leaves the card as it was.
        let verified_nothing = match &r {
            Err(e) => matches!(
                cardio::classify(e),
                Failure::WrongPin | Failure::Blocked | Failure::LastTry
            ),
            Ok(()) => false,
        };
        if !d.logged_in[key.index()] && !verified_nothing {
            d.unpower();
            let card = split(slot).0;
            for s in self.sessions.values_mut() {
                if split(s.slot).0 == card {
                    s.sign = None;
                    s.find = None;
                }
            }
        }
        let (d, _) = self.device(slot)?;
        r.map_err(|e| match e {
            mynacard::Error::Credential(_) => CKR_PIN_INVALID,
            e => d.fail(&e),
        })?;
        Ok(())
    }

    fn visible(&mut self, slot: CK_SLOT_ID) -> R<Vec<CK_OBJECT_HANDLE>> {
        let (d, key) = self.device(slot)?;
        let user = d.logged_in[key.index()];
        Ok(OBJ_KINDS
            .iter()
            .enumerate()
            .filter(|(_, k)| match (key, k) {
                // Free to read on both tokens (docs/card.md §2): shown before login.
                (_, ObjKind::CaCert) => true,
                (Key::Auth, ObjKind::Private) => user,
                (Key::Auth, _) => true,
                (Key::Sign, _) => user,
            })
            .map(|(i, _)| slot * OBJECTS_PER_SLOT + i as CK_OBJECT_HANDLE + 1)
            .collect())
    }

    /// The object behind a handle, if the session can see it.
    fn object(&mut self, h: CK_SESSION_HANDLE, obj: CK_OBJECT_HANDLE) -> R<(CK_SLOT_ID, ObjKind)> {
        let slot = self.session(h)?.slot;
        if !self.visible(slot)?.contains(&obj) {
            return Err(CKR_OBJECT_HANDLE_INVALID);
        }
        let i = ((obj - 1) % OBJECTS_PER_SLOT) as usize;
        Ok((slot, OBJ_KINDS[i]))
    }

    fn attribute(&mut self, slot: CK_SLOT_ID, kind: ObjKind, t: CK_ATTRIBUTE_TYPE) -> R<Attr> {
        let (d, key) = self.device(slot)?;
        let private = match kind {
            ObjKind::CaCert => false,
            ObjKind::Private => true,
            ObjKind::Cert | ObjKind::Public => key == Key::Sign,
        };
        let v = |b: Vec<u8>| Ok(Attr::Value(b));
        // Attributes known without the card.
        match t {
            CKA_CLASS => {
                return v(ulong(match kind {
                    ObjKind::Cert | ObjKind::CaCert => CKO_CERTIFICATE,
                    ObjKind::Public => CKO_PUBLIC_KEY,
                    ObjKind::Private => CKO_PRIVATE_KEY,
                }))
            }
            CKA_TOKEN => return v(bool_attr(true)),
            CKA_PRIVATE => return v(bool_attr(private)),
            CKA_MODIFIABLE | CKA_COPYABLE | CKA_DESTROYABLE => return v(bool_attr(false)),
            CKA_LABEL => return v(object_label(key, kind).as_bytes().to_vec()),
            CKA_ID => return v(object_id(key, kind)),
            _ => {}
        }
        if kind == ObjKind::CaCert {
            // An authority certificate (`CKA_CERTIFICATE_CATEGORY` 2 in PKCS#11 v2.40), not trusted by the
            // token's say-so; the card is read only for the attributes that need the DER.
            return Ok(match t {
                CKA_CERTIFICATE_TYPE => Attr::Value(ulong(CKC_X_509)),
                CKA_TRUSTED => Attr::Value(bool_attr(false)),
                CKA_CERTIFICATE_CATEGORY => Attr::Value(ulong(2)),
                CKA_SUBJECT => Attr::Value(d.ca_cert(key)?.subject.clone()),
                CKA_ISSUER => Attr::Value(d.ca_cert(key)?.issuer.clone()),
                CKA_SERIAL_NUMBER => Attr::Value(d.ca_cert(key)?.serial.clone()),
                CKA_VALUE => Attr::Value(d.ca_cert(key)?.der.clone()),
                _ => Attr::Invalid,
            });
        }
        let cert_attr = |t| {
            matches!(
                t,
                CKA_SUBJECT
                    | CKA_ISSUER
                    | CKA_SERIAL_NUMBER
                    | CKA_VALUE
                    | CKA_MODULUS
                    | CKA_MODULUS_BITS
                    | CKA_PUBLIC_EXPONENT
            )
        };
        let c = if cert_attr(t) {
            Some(d.cert(key)?.clone())
        } else {
            None
        };
        let c = || c.clone().ok_or(CKR_GENERAL_ERROR);
        let a = match (kind, t) {
            (_, CKA_SUBJECT) => Attr::Value(c()?.info.subject),
            (ObjKind::Cert, CKA_CERTIFICATE_TYPE) => Attr::Value(ulong(CKC_X_509)),
            (ObjKind::Cert, CKA_TRUSTED) => Attr::Value(bool_attr(false)),
            (ObjKind::Cert, CKA_CERTIFICATE_CATEGORY) => Attr::Value(ulong(1)),
            (ObjKind::Cert, CKA_ISSUER) => Attr::Value(c()?.info.issuer),
            (ObjKind::Cert, CKA_SERIAL_NUMBER) => Attr::Value(c()?.info.serial),
            (ObjKind::Cert, CKA_VALUE) => Attr::Value(c()?.info.der),
            (ObjKind::Cert, _) => Attr::Invalid,
            (_, CKA_KEY_TYPE) => Attr::Value(ulong(CKK_RSA)),
            (_, CKA_MODULUS) => Attr::Value(c()?.modulus),
            (_, CKA_MODULUS_BITS) => Attr::Value(ulong(c()?.bits as CK_ULONG)),
            (_, CKA_PUBLIC_EXPONENT) => Attr::Value(c()?.exponent),
            (_, CKA_DERIVE | CKA_LOCAL) => Attr::Value(bool_attr(false)),
            (_, CKA_ALLOWED_MECHANISMS) => {
                Attr::Value(MECHANISMS.iter().flat_map(|m| m.to_ne_bytes()).collect())
            }
            (ObjKind::Public, CKA_VERIFY) => Attr::Value(bool_attr(true)),
            (ObjKind::Public, CKA_ENCRYPT | CKA_VERIFY_RECOVER | CKA_WRAP | CKA_TRUSTED) => {
                Attr::Value(bool_attr(false))
            }
            (
                ObjKind::Private,
                CKA_SIGN | CKA_SENSITIVE | CKA_ALWAYS_SENSITIVE | CKA_NEVER_EXTRACTABLE,
            ) => Attr::Value(bool_attr(true)),
            (
                ObjKind::Private,
                CKA_DECRYPT
                | CKA_SIGN_RECOVER
                | CKA_UNWRAP
                | CKA_EXTRACTABLE
                | CKA_WRAP_WITH_TRUSTED
                | CKA_ALWAYS_AUTHENTICATE,
            ) => Attr::Value(bool_attr(false)),
            (
                ObjKind::Private,
                CKA_PRIVATE_EXPONENT | CKA_PRIME_1 | CKA_PRIME_2 | CKA_EXPONENT_1 | CKA_EXPONENT_2
                | CKA_COEFFICIENT | CKA_VALUE,
            ) => Attr::Sensitive,
            _ => Attr::Invalid,
        };
        Ok(a)
    }

    /// `C_GetAttributeValue`: one answer per attribute asked for.
    pub(crate) fn attributes(
        &mut self,
        h: CK_SESSION_HANDLE,
        obj: CK_OBJECT_HANDLE,
        types: &[CK_ATTRIBUTE_TYPE],
    ) -> R<Vec<Attr>> {
        let (slot, kind) = self.object(h, obj)?;
        types
            .iter()
            .map(|t| self.attribute(slot, kind, *t))
            .collect()
    }

    pub(crate) fn object_size(
        &mut self,
        h: CK_SESSION_HANDLE,
        obj: CK_OBJECT_HANDLE,
    ) -> R<CK_ULONG> {
        self.object(h, obj)?;
        Ok(CK_UNAVAILABLE_INFORMATION)
    }

    pub(crate) fn find_init(
        &mut self,
        h: CK_SESSION_HANDLE,
        template: &[(CK_ATTRIBUTE_TYPE, Vec<u8>)],
    ) -> R<()> {
        let s = self.session(h)?;
        if s.find.is_some() {
            return Err(CKR_OPERATION_ACTIVE);
        }
        let slot = s.slot;
        let mut found = Vec::new();
        for obj in self.visible(slot)? {
            let kind = OBJ_KINDS[((obj - 1) % OBJECTS_PER_SLOT) as usize];
            let mut all = true;
            for (t, want) in template {
                if self.attribute(slot, kind, *t)? != Attr::Value(want.clone()) {
                    all = false;
                    break;
                }
            }
            if all {
                found.push(obj);
            }
        }
        self.session(h)?.find = Some(found);
        Ok(())
    }

    pub(crate) fn find(&mut self, h: CK_SESSION_HANDLE, max: usize) -> R<Vec<CK_OBJECT_HANDLE>> {
        let f = self
            .session(h)?
            .find
            .as_mut()
            .ok_or(CKR_OPERATION_NOT_INITIALIZED)?;
        let n = max.min(f.len());
        Ok(f.drain(..n).collect())
    }

    pub(crate) fn find_final(&mut self, h: CK_SESSION_HANDLE) -> R<()> {
        let s = self.session(h)?;
        s.find.take().ok_or(CKR_OPERATION_NOT_INITIALIZED)?;
        Ok(())
    }

    /// The checks every `C_SignInit` makes first: no operation active in the session, and
    /// `obj` a private key. The key's slot.
    fn signing_key(&mut self, h: CK_SESSION_HANDLE, obj: CK_OBJECT_HANDLE) -> R<CK_SLOT_ID> {
        let s = self.session(h)?;
        if s.sign.is_some() || s.pss.is_some() {
            return Err(CKR_OPERATION_ACTIVE);
        }
        let (slot, kind) = self.object(h, obj).map_err(|e| {
            if e == CKR_OBJECT_HANDLE_INVALID {
                CKR_KEY_HANDLE_INVALID
            } else {
                e
            }
        })?;
        if kind != ObjKind::Private {
            return Err(CKR_KEY_FUNCTION_NOT_PERMITTED);
        }
        Ok(slot)
    }

    pub(crate) fn sign_init(
        &mut self,
        h: CK_SESSION_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
        has_parameter: bool,
        obj: CK_OBJECT_HANDLE,
    ) -> R<()> {
        let slot = self.signing_key(h, obj)?;
        if !MECHANISMS.contains(&mechanism) {
            return Err(CKR_MECHANISM_INVALID);
        }
        if has_parameter {
            return Err(CKR_MECHANISM_PARAM_INVALID);
        }
        let key = split(slot).1;
        self.session(h)?.sign = Some(SignOp {
            key,
            data: Gathered::new(mechanism)?,
            multipart: false,
        });
        Ok(())
    }

    /// The signature's length for the session's sign operation (the modulus length).
    pub(crate) fn sign_len(&mut self, h: CK_SESSION_HANDLE) -> R<usize> {
        if self.session(h)?.pss.is_some() {
            return self.pss_sign_len(h);
        }
        let s = self.session(h)?;
        let slot = s.slot;
        let key = s.sign.as_ref().ok_or(CKR_OPERATION_NOT_INITIALIZED)?.key;
        let d = self.device(slot)?.0;
        let len = d.cert(key).map(|c| c.modulus.len());
        if len.is_err() {
            self.session(h)?.sign = None;
        }
        len
    }

    /// `C_SignUpdate`: the part is hashed at once (or, for `CKM_RSA_PKCS`, kept up to
    /// [`RAW_MAX`] bytes); no part is kept. An error ends the operation (PKCS#11 §5.12).
    pub(crate) fn sign_update(&mut self, h: CK_SESSION_HANDLE, part: &[u8]) -> R<()> {
        if self.session(h)?.pss.is_some() {
            return self.pss_sign_update(h, part);
        }
        let s = self.session(h)?;
        let op = s.sign.as_mut().ok_or(CKR_OPERATION_NOT_INITIALIZED)?;
        op.multipart = true;
        let r = op.data.update(part);
        if r.is_err() {
            s.sign = None;
        }
        r
    }

    /// Signs: `data` for `C_Sign`, `None` for `C_SignFinal` (what `C_SignUpdate` hashed). The
    /// operation ends whatever the result (the caller has already checked the buffer).
    pub(crate) fn sign(&mut self, h: CK_SESSION_HANDLE, data: Option<&[u8]>) -> R<Vec<u8>> {
        if self.session(h)?.pss.is_some() {
            return self.pss_sign(h, data);
        }
        let s = self.session(h)?;
        let slot = s.slot;
        let mut op = s.sign.take().ok_or(CKR_OPERATION_NOT_INITIALIZED)?;
        match data {
            Some(_) if op.multipart => return Err(CKR_OPERATION_ACTIVE),
            Some(d) => op.data.update(d)?,
            None => {}
        }
        let (d, _) = self.device(slot)?;
        if !d.logged_in[op.key.index()] {
            return Err(CKR_USER_NOT_LOGGED_IN);
        }
        let cert = d.cert(op.key)?.clone();
        let finished = Finished::from(op.data)?;
        if let Finished::DigestInfo(di) = &finished {
            if di.is_empty() || di.len() + 11 > cert.modulus.len() {
                return Err(CKR_DATA_LEN_RANGE);
            }
        }
        let conn = d.conn()?;
        // The library signs and checks the signature under the certificate's key: never a
        // signature that does not verify.
        let r = cardio::sign(conn, op.key, finished.input(), &cert.public);
        r.map_err(|e| d.fail(&e))
    }

    /// `C_GenerateRandom`: the card's own random bytes (GET CHALLENGE, 256 bytes an exchange).
    pub(crate) fn generate_random(&mut self, h: CK_SESSION_HANDLE, out: &mut [u8]) -> R<()> {
        let slot = self.session(h)?.slot;
        if out.is_empty() {
            return Ok(());
        }
        let (d, _) = self.device(slot)?;
        let conn = d.conn()?;
        let r = cardio::random(conn, out);
        r.map_err(|e| d.fail(&e))
    }
}

/// The PSS mechanisms ([`PSS_MECHANISMS`]): their own functions, so that the PKCS#1 v1.5 path
/// above is untouched by them.
impl Module {
    /// `C_SignInit` for a PSS mechanism. `params` is the `CK_RSA_PKCS_PSS_PARAMS` the caller
    /// passed, `None` when the parameter is missing or not of that size. Anything but
    /// [`PssParams::CARD`] is `CKR_MECHANISM_PARAM_INVALID`, and nothing is sent to the card.
    pub(crate) fn sign_init_pss(
        &mut self,
        h: CK_SESSION_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
        params: Option<PssParams>,
        obj: CK_OBJECT_HANDLE,
    ) -> R<()> {
        let slot = self.signing_key(h, obj)?;
        if !is_pss(mechanism) {
            return Err(CKR_MECHANISM_INVALID);
        }
        if params != Some(PssParams::CARD) {
            return Err(CKR_MECHANISM_PARAM_INVALID);
        }
        let input = if mechanism == CKM_RSA_PKCS_PSS {
            PssInput::Hash(Zeroizing::new(Vec::with_capacity(32)))
        } else {
            PssInput::Message(Sha256::new())
        };
        self.session(h)?.pss = Some(PssOp {
            key: split(slot).1,
            input,
            multipart: false,
        });
        Ok(())
    }

    fn pss_sign_len(&mut self, h: CK_SESSION_HANDLE) -> R<usize> {
        let s = self.session(h)?;
        let slot = s.slot;
        let key = s.pss.as_ref().ok_or(CKR_OPERATION_NOT_INITIALIZED)?.key;
        let d = self.device(slot)?.0;
        let len = d.cert(key).map(|c| c.modulus.len());
        if len.is_err() {
            self.session(h)?.pss = None;
        }
        len
    }

    /// `C_SignUpdate`: the SHA-256 state takes the part (nothing buffered); for
    /// `CKM_RSA_PKCS_PSS` the hash is gathered, and more than 32 bytes end the operation with
    /// `CKR_DATA_LEN_RANGE`.
    fn pss_sign_update(&mut self, h: CK_SESSION_HANDLE, part: &[u8]) -> R<()> {
        let s = self.session(h)?;
        let op = s.pss.as_mut().ok_or(CKR_OPERATION_NOT_INITIALIZED)?;
        op.multipart = true;
        match &mut op.input {
            PssInput::Message(state) => state.update(part),
            PssInput::Hash(hash) => {
                if hash.len() + part.len() > 32 {
                    s.pss = None;
                    return Err(CKR_DATA_LEN_RANGE);
                }
                hash.extend_from_slice(part);
            }
        }
        Ok(())
    }

    /// `C_Sign` / `C_SignFinal` for PSS: the 32-byte hash, signed by the card at P1=04 through
    /// the library, which checks the signature under the certificate's key with exactly
    /// MGF1-SHA-256 and salt 32; checked once more here with the same parameters. A signature
    /// that does not verify is never returned: `CKR_FUNCTION_FAILED`, with a line on stderr.
    fn pss_sign(&mut self, h: CK_SESSION_HANDLE, data: Option<&[u8]>) -> R<Vec<u8>> {
        let s = self.session(h)?;
        let slot = s.slot;
        let op = s.pss.take().ok_or(CKR_OPERATION_NOT_INITIALIZED)?;
        if data.is_some() && op.multipart {
            return Err(CKR_OPERATION_ACTIVE);
        }
        let hash: Zeroizing<Vec<u8>> = match op.input {
            PssInput::Hash(gathered) => {
                let hash = Zeroizing::new(data.map(<[u8]>::to_vec).unwrap_or(gathered.to_vec()));
                if hash.len() != 32 {
                    return Err(CKR_DATA_LEN_RANGE);
                }
                hash
            }
            PssInput::Message(mut state) => {
                if let Some(d) = data {
                    state.update(d);
                }
                Zeroizing::new(state.finalize().to_vec())
            }
        };
        let (d, _) = self.device(slot)?;
        if !d.logged_in[op.key.index()] {
            return Err(CKR_USER_NOT_LOGGED_IN);
        }
        let cert = d.cert(op.key)?.clone();
        let conn = d.conn()?;
        let input = cardio::SignInput::Scheme(SignatureScheme::PssSha256Digest, &hash);
        let r = cardio::sign(conn, op.key, input, &cert.public);
        let sig = match r {
            Ok(sig) => sig,
            Err(e @ mynacard::Error::Integrity { .. }) => return Err(pss_refused(&e.to_string())),
            Err(e) => return Err(d.fail(&e)),
        };
        check_pss(&cert, &hash, &sig).map_err(|reason| pss_refused(&reason))?;
        Ok(sig)
    }
}

/// A PSS signature from the card that does not verify: logged, and `CKR_FUNCTION_FAILED`.
fn pss_refused(reason: &str) -> Rv {
    eprintln!(
        "mynacard-pkcs11: the card's RSA-PSS signature does not verify under the certificate's \
         key with SHA-256, MGF1-SHA-256 and a 32-byte salt; not returned ({reason})"
    );
    CKR_FUNCTION_FAILED
}

/// Checks an RSASSA-PSS signature over the SHA-256 hash `hash` under the certificate's key with
/// exactly MGF1-SHA-256 and a 32-byte salt.
fn check_pss(cert: &CertData, hash: &[u8], sig: &[u8]) -> Result<(), String> {
    mynacard::sign::verify_signature(
        &cert.public,
        mynacard::sign::SignatureScheme::PssSha256Digest,
        mynacard::sign::ToSign::Digest(hash),
        sig,
    )
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_cuts_at_a_character_boundary() {
        let p = padded::<8>("署名用X");
        // 署名 is 6 bytes; 用 would end at 9, so it is left out and blanks follow.
        assert_eq!(&p[..6], "署名".as_bytes());
        assert_eq!(&p[6..], b"  ");
        assert!(std::str::from_utf8(&padded::<32>(token_label(Key::Auth))).is_ok());
        assert!(std::str::from_utf8(&padded::<32>(token_label(Key::Sign))).is_ok());
        assert!(token_label(Key::Auth).len() <= 32 && token_label(Key::Sign).len() <= 32);
    }

    /// The module's bookkeeping of card events (no PC/SC service needed: nothing is connected).
    #[cfg(feature = "pcsc")]
    #[test]
    fn card_events_add_slots_take_tokens_away_and_give_them_back() {
        use mynacard::events::{CardEvent, CardKind};
        let inserted = |reader: &str, kind| CardEvent::CardInserted {
            reader: reader.into(),
            atr: vec![0x3B],
            kind,
        };
        let mut m = Module {
            devices: Vec::new(),
            sessions: HashMap::new(),
            next_session: 1,
            pid: std::process::id(),
            slot_events: Default::default(),
        };
        let events =
            |m: &mut Module| std::iter::from_fn(|| m.next_slot_event()).collect::<Vec<_>>();
        // Another card in a new reader: nothing.
        m.card_event(&inserted("S", CardKind::OtherCard));
        assert!(m.slot_list(false).is_empty());
        assert!(events(&mut m).is_empty());
        // A My Number Card: two new slots with tokens.
        m.card_event(&inserted("R", CardKind::MyNumberCard));
        assert_eq!(m.slot_list(true), [0, 1]);
        assert_eq!(events(&mut m), [0, 1]);
        assert_ne!(m.slot_info(1).unwrap().flags & CKF_TOKEN_PRESENT, 0);
        // Reported again (the monitor's first look): nothing new.
        m.card_event(&inserted("R", CardKind::MyNumberCard));
        assert!(events(&mut m).is_empty());
        // Pulled out: the slots stay, without a token.
        m.card_event(&CardEvent::CardRemoved { reader: "R".into() });
        assert_eq!(events(&mut m), [0, 1]);
        assert_eq!(m.slot_list(false), [0, 1]);
        assert!(m.slot_list(true).is_empty());
        assert_eq!(m.slot_info(0).unwrap().flags & CKF_TOKEN_PRESENT, 0);
        assert_eq!(m.token_info(0).unwrap_err(), CKR_TOKEN_NOT_PRESENT);
        assert_eq!(
            m.open_session(0, CKF_SERIAL_SESSION).unwrap_err(),
            CKR_TOKEN_NOT_PRESENT
        );
        // Another card put into that reader is no token; the My Number Card is.
        m.card_event(&inserted("R", CardKind::OtherCard));
        assert!(events(&mut m).is_empty());
        m.card_event(&inserted("R", CardKind::MyNumberCard));
        assert_eq!(events(&mut m), [0, 1]);
        assert_eq!(m.slot_list(true), [0, 1]);
        // The reader unplugged with the card in it: the token goes.
        m.card_event(&CardEvent::ReaderRemoved { reader: "R".into() });
        assert_eq!(events(&mut m), [0, 1]);
        assert!(m.slot_list(true).is_empty());
    }

    #[test]
    fn object_labels_take_the_card_words_from_the_library() {
        use mynacard::cert::CertKind;
        use mynacard::sign::KeyKind;
        use mynacard::Lang;
        let cases = [
            (
                Key::Auth,
                ObjKind::Cert,
                CertKind::Auth.name(Lang::Ja).to_owned(),
            ),
            (
                Key::Auth,
                ObjKind::CaCert,
                CertKind::AuthCa.name(Lang::Ja).to_owned(),
            ),
            (Key::Auth, ObjKind::Private, KeyKind::Auth.name(Lang::Ja)),
            (Key::Auth, ObjKind::Public, KeyKind::Auth.name(Lang::Ja)),
            (
                Key::Sign,
                ObjKind::Cert,
                CertKind::Sign.name(Lang::Ja).to_owned(),
            ),
            (
                Key::Sign,
                ObjKind::CaCert,
                CertKind::SignCa.name(Lang::Ja).to_owned(),
            ),
            (Key::Sign, ObjKind::Private, KeyKind::Sign.name(Lang::Ja)),
            (Key::Sign, ObjKind::Public, KeyKind::Sign.name(Lang::Ja)),
        ];
        for (key, kind, ja) in cases {
            let l = object_label(key, kind);
            assert!(l.starts_with(&format!("{ja} ")), "{l}");
            assert!(l.len() > ja.len() + 1, "{l}");
        }
        // The certificates' labels are unchanged by taking the words from the library.
        assert_eq!(
            object_label(Key::Sign, ObjKind::Cert),
            format!(
                "{} Digital signature certificate",
                CertKind::Sign.name(Lang::Ja)
            )
        );
        assert_eq!(
            object_label(Key::Auth, ObjKind::CaCert),
            format!(
                "{} User authentication CA certificate",
                CertKind::AuthCa.name(Lang::Ja)
            )
        );
    }

    #[test]
    fn slots_map_to_cards_and_tokens() {
        assert_eq!(split(0), (0, Key::Auth));
        assert_eq!(split(1), (0, Key::Sign));
        assert_eq!(split(5), (2, Key::Sign));
        assert_eq!(slot_of(2, Key::Sign), 5);
    }

    /// The module's own PSS check: the card's signature over the hash verifies; over another
    /// hash, or corrupted, it does not; and a refusal is `CKR_FUNCTION_FAILED`.
    #[cfg(feature = "sim")]
    #[test]
    fn the_module_checks_pss_signatures_and_refuses_bad_ones() {
        use mynacard::sign::{SignOptions, SignatureScheme, ToSign};
        let mut card = mynacard::Card::new(mynacard::sim::VirtualCard::new());
        let cert = card
            .jpki()
            .read_certificate(mynacard::cert::CertKind::Auth)
            .unwrap();
        let cert = CertData::from(&cert).unwrap();
        let pin = mynacard::credential::AuthPin::parse("1234").unwrap();
        let hash = Sha256::digest(b"CertificateVerify").to_vec();
        let sig = card
            .jpki()
            .sign(
                &pin,
                SignatureScheme::PssSha256Digest,
                ToSign::Digest(&hash),
                &SignOptions::unchecked(),
            )
            .unwrap()
            .bytes;
        assert_eq!(check_pss(&cert, &hash, &sig), Ok(()));
        let other = Sha256::digest(b"something else").to_vec();
        assert!(check_pss(&cert, &other, &sig).is_err());
        let mut bad = sig.clone();
        bad[100] ^= 1;
        assert!(check_pss(&cert, &hash, &bad).is_err());
        assert!(check_pss(&cert, &hash, &sig[1..]).is_err());
        assert_eq!(pss_refused("test"), CKR_FUNCTION_FAILED);
        // Only the card's parameters are accepted at C_SignInit.
        assert_eq!(
            PssParams::CARD,
            PssParams {
                hash: CKM_SHA256,
                mgf: CKG_MGF1_SHA256,
                salt_len: 32
            }
        );
    }

    #[test]
    fn sha1_digest_info_is_der() {
        // The library builds SHA-1's DigestInfo from the hash's OID: the outer SEQUENCE's
        // length covers the rest exactly, and the digest is the 20 bytes after `04 14`.
        let d = Sha1::digest(b"x");
        let di = mynacard::sign::digest_info_for::<Sha1>(&d).unwrap();
        assert_eq!(di[1] as usize + 2, di.len());
        assert_eq!(&di[di.len() - 22..di.len() - 20], &[0x04, 0x14]);
        assert_eq!(&di[di.len() - 20..], &d[..]);
    }
}
