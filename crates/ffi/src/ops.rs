//! Every call into the `mynacard` library, in safe Rust. The boundary converts C arguments into
//! these types and the results back; when the library's API changes, this is the file to adapt.

use mynacard::cert::CertKind;
use mynacard::credential::{AuthPin, MatchingNumberB, MyNumber, SignaturePassword, TextAssistPin};
use mynacard::pin::{PinKind, PinStatus, RetryState};
use mynacard::policy::{
    assess, other_jpki_pin, Assessment, KioskSupport, Place, Refusal, Situation,
};
use mynacard::reset::{AnyPin, ResetAuthority, StandInAuthority, TerminalRole};
use mynacard::sign::{KeyKind, SignOptions, SignatureScheme, ToSign, Verification};
use mynacard::text_assist::{BasicFour, TextAssistKey, TextAssistOptions};
use mynacard::transport::{ExchangeLog, Transport};
use mynacard::{Card, Error, LastTry};
use zeroize::Zeroizing;

use crate::error::{from_error, from_reset_error, FfiError};
use crate::types::*;

/// The card behind a `mynacard_card` handle.
pub type AnyCard = Card<Box<dyn Transport + Send>>;

/// What a `mynacard_card` handle holds.
pub struct CardHandle {
    /// The card.
    pub card: AnyCard,
    /// The virtual card's own exchange log, when the card is virtual.
    pub log: Option<ExchangeLog>,
    /// The virtual card's state file, marked open in this process while the card is.
    pub state: Option<OpenState>,
    /// The virtual card's reader, through which it is pulled out and put back and its events
    /// watched (`mynacard_virtual_remove()`, `mynacard_monitor_open_virtual()`).
    #[cfg(feature = "sim")]
    pub slot: Option<mynacard::sim::VirtualSlot>,
}

/// The state files of the virtual cards open in this process through the C ABI (each as the
/// library resolved it), so that a second open of one says it is open here, not in another
/// process.
static OPEN_STATES: std::sync::Mutex<Vec<std::path::PathBuf>> = std::sync::Mutex::new(Vec::new());

/// A virtual card's state file, marked open in this process until dropped.
pub struct OpenState(std::path::PathBuf);

#[cfg_attr(not(feature = "sim"), allow(dead_code))]
impl OpenState {
    fn new(path: &std::path::Path) -> Self {
        if let Ok(mut v) = OPEN_STATES.lock() {
            v.push(path.to_path_buf());
        }
        OpenState(path.to_path_buf())
    }

    /// Whether the state file at `path` is open in this process.
    fn is_open_here(path: &std::path::Path) -> bool {
        let resolved = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        OPEN_STATES
            .lock()
            .map(|v| v.contains(&resolved))
            .unwrap_or(false)
    }
}

impl Drop for OpenState {
    fn drop(&mut self) {
        if let Ok(mut v) = OPEN_STATES.lock() {
            if let Some(i) = v.iter().position(|p| *p == self.0) {
                v.swap_remove(i);
            }
        }
    }
}

/// The name of a virtual card's reader in its events.
#[cfg(feature = "sim")]
pub const VIRTUAL_READER: &str = "mynacard virtual reader";

fn lib(e: Error) -> FfiError {
    from_error(&e)
}

/// Opens the virtual card saved at `path`.
#[cfg(feature = "sim")]
pub fn open_virtual(path: &std::path::Path) -> Result<CardHandle, FfiError> {
    use mynacard::sim::StateError;
    let vc = mynacard::sim::VirtualCard::open(path).map_err(|e| match e {
        StateError::Locked(_) if OpenState::is_open_here(path) => FfiError::new(
            mynacard_status::MYNACARD_STATE_FILE,
            format!(
                "仮想カードの状態ファイル {} は、このプロセスで既に開かれています。先に開いたハンドルを使うか、閉じてから開き直してください。",
                path.display()
            ),
            format!(
                "the virtual-card state {} is already open in this process: use the handle that has it open, or close that one first",
                path.display()
            ),
        ),
        e => FfiError::new(
            mynacard_status::MYNACARD_STATE_FILE,
            format!("仮想カードの状態ファイルを開けません（{e}）。"),
            e.to_string(),
        ),
    })?;
    let log = vc.log();
    let state = vc.state_path().map(OpenState::new);
    let slot = mynacard::sim::VirtualSlot::new(VIRTUAL_READER, vc);
    Ok(CardHandle {
        card: Card::new(Box::new(slot.transport())),
        log: Some(log),
        state,
        slot: Some(slot),
    })
}

/// Without the `sim` feature.
#[cfg(not(feature = "sim"))]
pub fn open_virtual(_path: &std::path::Path) -> Result<CardHandle, FfiError> {
    Err(FfiError::unsupported(
        "このライブラリは仮想カードなし（sim 機能なし）でビルドされています。",
        "this library was built without the virtual card (feature sim)",
    ))
}

/// Opens a PC/SC reader: `auto` or (part of) a reader's name.
#[cfg(feature = "pcsc")]
pub fn open_pcsc(reader: &str) -> Result<CardHandle, FfiError> {
    use mynacard::pcsc::{open, Options, ReaderChoice};
    let t = open(
        &ReaderChoice::parse(reader),
        &Options::default(),
        &mut |_| {},
    )
    .map_err(|e| {
        FfiError::new(
            mynacard_status::MYNACARD_TRANSPORT,
            format!("カードリーダーを開けません（{e}）。"),
            e.to_string(),
        )
    })?;
    Ok(CardHandle {
        card: Card::new(Box::new(t)),
        log: None,
        state: None,
        #[cfg(feature = "sim")]
        slot: None,
    })
}

/// Without the `pcsc` feature.
#[cfg(not(feature = "pcsc"))]
pub fn open_pcsc(_reader: &str) -> Result<CardHandle, FfiError> {
    Err(FfiError::unsupported(
        "このライブラリは PC/SC なし（pcsc 機能なし）でビルドされています。",
        "this library was built without PC/SC readers (feature pcsc)",
    ))
}

/// Exchanges with the card so far (the virtual card's own log where there is one).
pub fn exchanges(h: &CardHandle) -> u64 {
    match &h.log {
        Some(l) => l.len() as u64,
        None => h.card.exchanges(),
    }
}

/// Ends PIN use: removes power.
pub fn unpower(h: &mut CardHandle) -> Result<(), FfiError> {
    h.card.unpower().map_err(lib)
}

/// One PIN's status, spending no try.
pub fn pin_status(h: &mut CardHandle, kind: PinKind) -> Result<PinStatus, FfiError> {
    h.card.pin_status(kind).map_err(lib)
}

/// All four PINs' status, spending no try.
pub fn status_all(h: &mut CardHandle) -> Result<Vec<PinStatus>, FfiError> {
    h.card.status_all().map_err(lib)
}

fn parse_pin(kind: PinKind, value: &str) -> Result<AnyPin, FfiError> {
    AnyPin::parse(kind, value).map_err(|e| lib(Error::Credential(e)))
}

/// Verifies a PIN with the lockout guard.
pub fn verify(
    h: &mut CardHandle,
    kind: PinKind,
    value: &str,
    last: LastTry,
) -> Result<(), FfiError> {
    let c = &mut h.card;
    match parse_pin(kind, value)? {
        AnyPin::Signature(p) => c.verify_with(&p, last),
        AnyPin::UserAuth(p) => c.verify_with(&p, last),
        AnyPin::Residence(p) => c.verify_with(&p, last),
        AnyPin::TextAssist(p) => c.verify_with(&p, last),
    }
    .map_err(lib)
}

/// Changes a PIN.
pub fn change(
    h: &mut CardHandle,
    kind: PinKind,
    current: &str,
    new: &str,
    last: LastTry,
) -> Result<(), FfiError> {
    let c = &mut h.card;
    match (parse_pin(kind, current)?, parse_pin(kind, new)?) {
        (AnyPin::Signature(a), AnyPin::Signature(b)) => c.change_with(&a, &b, last),
        (AnyPin::UserAuth(a), AnyPin::UserAuth(b)) => c.change_with(&a, &b, last),
        (AnyPin::Residence(a), AnyPin::Residence(b)) => c.change_with(&a, &b, last),
        (AnyPin::TextAssist(a), AnyPin::TextAssist(b)) => c.change_with(&a, &b, last),
        _ => Err(Error::Protocol("PIN kinds differ")),
    }
    .map_err(lib)
}

/// Resets a PIN through `authority`. `other` is the other JPKI PIN, where the route needs it.
pub fn reset(
    h: &mut CardHandle,
    authority: &mut dyn ResetAuthority,
    kind: PinKind,
    new: &str,
    other: Option<&str>,
    last: LastTry,
) -> Result<PinStatus, FfiError> {
    let new = parse_pin(kind, new)?;
    let other = match other {
        None => None,
        Some(v) => {
            let o = other_jpki_pin(kind)
                .ok_or_else(|| FfiError::invalid_argument("other_pin", "(given)"))?;
            Some(parse_pin(o, v)?)
        }
    };
    h.card
        .reset_any(authority, &new, other.as_ref(), last)
        .map_err(|e| from_reset_error(&e))
}

/// The stand-in authority of a role (the virtual card only).
pub fn stand_in(role: TerminalRole) -> StandInAuthority {
    StandInAuthority::new(role)
}

/// A certificate's DER.
pub fn read_certificate(h: &mut CardHandle, kind: CertKind) -> Result<Vec<u8>, FfiError> {
    h.card
        .jpki()
        .read_certificate(kind)
        .map(|c| c.der().to_vec())
        .map_err(lib)
}

/// Verifies the PIN of `key` and signs; the signature is checked against the key's certificate.
pub fn sign(
    h: &mut CardHandle,
    key: KeyKind,
    pin: &str,
    scheme: SignatureScheme,
    input: &[u8],
    is_digest: bool,
    last: LastTry,
) -> Result<Vec<u8>, FfiError> {
    let options = SignOptions {
        verification: Verification::Certificate,
        last_try: last,
    };
    let input = if is_digest {
        ToSign::Digest(input)
    } else {
        ToSign::Message(input)
    };
    let parse = |e| lib(Error::Credential(e));
    let sig = match key {
        KeyKind::Auth => {
            let p = AuthPin::parse(pin).map_err(parse)?;
            h.card.jpki().sign(&p, scheme, input, &options)
        }
        KeyKind::Sign => {
            let p = SignaturePassword::parse(pin).map_err(parse)?;
            h.card.jpki().sign(&p, scheme, input, &options)
        }
    }
    .map_err(lib)?;
    if !sig.checked {
        return Err(lib(Error::Integrity {
            what: "signature",
            reason: "not checked against the certificate".into(),
        }));
    }
    Ok(sig.bytes)
}

/// Which text-assist key, and its value.
pub enum TextKey<'a> {
    /// The text-assist PIN.
    Pin(&'a str),
    /// 照合番号A.
    MatchingA(&'a str),
    /// 照合番号B.
    MatchingB(&'a str),
}

fn with_text_assist<R>(
    h: &mut CardHandle,
    key: TextKey<'_>,
    last: LastTry,
    f: impl FnOnce(
        &mut mynacard::text_assist::TextAssist<'_, Box<dyn Transport + Send>>,
    ) -> Result<R, Error>,
) -> Result<R, FfiError> {
    let options = TextAssistOptions {
        last_try: last,
        ..Default::default()
    };
    let parse = |e| lib(Error::Credential(e));
    let r = match key {
        TextKey::Pin(v) => {
            let p = TextAssistPin::parse(v).map_err(parse)?;
            h.card
                .text_assist(TextAssistKey::Pin(&p), options)
                .and_then(|mut t| f(&mut t))
        }
        TextKey::MatchingA(v) => {
            let p = MyNumber::parse(v).map_err(parse)?;
            h.card
                .text_assist(TextAssistKey::MatchingA(&p), options)
                .and_then(|mut t| f(&mut t))
        }
        TextKey::MatchingB(v) => {
            let p = MatchingNumberB::parse(v).map_err(parse)?;
            h.card
                .text_assist(TextAssistKey::MatchingB(&p), options)
                .and_then(|mut t| f(&mut t))
        }
    };
    r.map_err(lib)
}

/// The basic four attributes.
pub fn basic_four(
    h: &mut CardHandle,
    key: TextKey<'_>,
    last: LastTry,
) -> Result<BasicFour, FfiError> {
    with_text_assist(h, key, last, |t| t.basic_four())
}

/// The My Number, in a zeroizing string.
pub fn my_number(
    h: &mut CardHandle,
    key: TextKey<'_>,
    last: LastTry,
) -> Result<Zeroizing<String>, FfiError> {
    with_text_assist(h, key, last, |t| {
        t.my_number()
            .map(|n| Zeroizing::new(n.expose_str().to_string()))
    })
}

/// The policy check: whether `target` can be reset at `place`.
pub fn policy(
    target: PinKind,
    place: Place,
    known: &[PinKind],
    blocked: &[PinKind],
    both_certificates: bool,
) -> Assessment {
    let s = Situation::new(target)
        .knowing(known.iter().copied())
        .with_blocked(blocked.iter().copied())
        .with_both_certificates(both_certificates);
    assess(&s, &place)
}

// Conversions between the C enums and the library's types.

/// A `mynacard_pin_kind`.
pub fn pin_kind(v: u32) -> Option<PinKind> {
    PinKind::ALL.get(v as usize).copied()
}

/// The C value of a PIN kind.
pub fn pin_kind_c(k: PinKind) -> u32 {
    PinKind::ALL.iter().position(|x| *x == k).unwrap_or(0) as u32
}

/// A `mynacard_role`.
pub fn role(v: u32) -> Option<TerminalRole> {
    TerminalRole::ALL.get(v as usize).copied()
}

/// A `mynacard_cert_kind`.
pub fn cert_kind(v: u32) -> Option<CertKind> {
    [
        CertKind::Auth,
        CertKind::AuthCa,
        CertKind::Sign,
        CertKind::SignCa,
    ]
    .get(v as usize)
    .copied()
}

/// A `mynacard_key_kind`.
pub fn key_kind(v: u32) -> Option<KeyKind> {
    [KeyKind::Auth, KeyKind::Sign].get(v as usize).copied()
}

/// A `mynacard_scheme`.
pub fn scheme(v: u32) -> Option<SignatureScheme> {
    use mynacard::crypto::HashAlgorithm::*;
    use SignatureScheme::*;
    [
        Pkcs1v15(Sha256),
        Pkcs1v15(Sha384),
        Pkcs1v15(Sha512),
        Pkcs1v15BareSha256,
        Pkcs1v15Sha256Digest,
        Pkcs1v15Sha256,
        PssSha256Digest,
        PssSha256,
    ]
    .get(v as usize)
    .copied()
}

/// The places, in `mynacard_place` order.
pub const PLACES: [Place; 5] = [
    Place::Kiosk(KioskSupport::SignatureOnly),
    Place::Kiosk(KioskSupport::BothJpkiPins),
    Place::SmartphoneApp,
    Place::Counter,
    Place::CounterByProxy,
];

/// A `mynacard_place`.
pub fn place(v: u32) -> Option<Place> {
    PLACES.get(v as usize).copied()
}

/// The PIN kinds in a bit mask (`1 << mynacard_pin_kind`).
pub fn kinds_in(mask: u32) -> Vec<PinKind> {
    PinKind::ALL
        .into_iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, k)| k)
        .collect()
}

/// An assessment as the C struct.
pub fn policy_c(a: &Assessment) -> mynacard_policy_result {
    let refusals = a.refusals().iter().fold(0u32, |m, r| {
        m | match r {
            Refusal::NotSelfService(_) => mynacard_refusal::MYNACARD_REFUSAL_NOT_SELF_SERVICE,
            Refusal::KioskSignatureOnly => mynacard_refusal::MYNACARD_REFUSAL_KIOSK_SIGNATURE_ONLY,
            Refusal::OtherPinUnknown(_) => mynacard_refusal::MYNACARD_REFUSAL_OTHER_PIN_UNKNOWN,
            Refusal::OtherPinBlocked(_) => mynacard_refusal::MYNACARD_REFUSAL_OTHER_PIN_BLOCKED,
            Refusal::CertificatesMissing => mynacard_refusal::MYNACARD_REFUSAL_CERTIFICATES_MISSING,
        } as u32
    });
    let go_instead = a.go_instead().iter().fold(0u32, |m, p| {
        m | PLACES
            .iter()
            .position(|x| x == p)
            .map(|i| 1u32 << i)
            .unwrap_or(0)
    });
    mynacard_policy_result {
        possible: a.is_possible() as u8,
        other_pin: a.other_pin().map(|k| pin_kind_c(k) as i32).unwrap_or(-1),
        refusals,
        go_instead,
    }
}

/// A PIN status as the C struct.
pub fn status_c(s: &PinStatus) -> mynacard_pin_status {
    let mut refs = [mynacard_ref_status::default(); 2];
    for (r, c) in s.refs.iter().zip(refs.iter_mut()) {
        let (state, tries) = match r.state {
            RetryState::Verified => (
                mynacard_retry_state::MYNACARD_RETRY_VERIFIED,
                s.limit as i32,
            ),
            RetryState::TriesLeft(n) => (mynacard_retry_state::MYNACARD_RETRY_TRIES_LEFT, n as i32),
            RetryState::Blocked => (mynacard_retry_state::MYNACARD_RETRY_BLOCKED, 0),
            RetryState::NoLimit => (mynacard_retry_state::MYNACARD_RETRY_NO_LIMIT, -1),
        };
        *c = mynacard_ref_status {
            key_fid: r.key.0,
            state: state as u32,
            tries_left: tries,
        };
    }
    mynacard_pin_status {
        kind: pin_kind_c(s.kind),
        limit: s.limit as u32,
        tries_left: s.tries_left().map(i32::from).unwrap_or(-1),
        blocked: s.is_blocked() as u8,
        divergent: s.is_divergent() as u8,
        ref_count: s.refs.len().min(2) as u8,
        refs,
    }
}
