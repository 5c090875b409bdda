//! Running one command against the card: the PIN dialog, the lockout guard, the library's
//! signing API, and the reply.
//!
//! Every command APDU comes from the `mynacard` library (`card.pin_status`,
//! `card.jpki().read_certificate`, `card.jpki().sign`, `card.verify_with`); this module builds
//! none. The caller removes power from the card after each command ([`open_card`] gives a
//! connection, [`finish`] unpowers it), so no PIN stays verified.

#[cfg(feature = "sim")]
use std::path::{Path, PathBuf};

use base64ct::{Base64, Encoding};
use mynacard::cert::CertKind;
use mynacard::credential::{AuthPin, CredentialError, SignaturePassword};
use mynacard::crypto::HashAlgorithm;
use mynacard::pin::PinKind;
use mynacard::sign::{KeyKind, SignOptions, SignatureScheme, ToSign, Verification};
#[cfg(feature = "sim")]
use mynacard::transport::FileLog;
use mynacard::transport::Transport;
use mynacard::{Card, Error, Lang, LastTry};
use serde_json::{json, Value};
use zeroize::Zeroizing;

use crate::pinentry::{Answer, Dialog};
use crate::protocol::{self, Request, WebEidError};
use crate::token::{signed_digest, AuthToken, ALGORITHM_RS256, FORMAT};

/// A card connection over any transport.
pub type Conn = Card<Box<dyn Transport + Send>>;

/// Opens a dialog when one is needed (a blocked PIN needs none).
pub type DialogOpener<'a> = dyn FnMut() -> std::io::Result<Box<dyn Dialog>> + 'a;

/// The most PIN prompts in one command (wrong formats included), so that a broken dialog
/// program cannot keep the application running forever.
pub const MAX_PROMPTS: usize = 12;

/// The language of the dialog: the page's `lang`, else the locale.
pub fn dialog_lang(req: &Request) -> Lang {
    req.lang().unwrap_or_else(Lang::from_env)
}

fn pick(lang: Lang, ja: String, en: String) -> String {
    match lang {
        Lang::Ja => ja,
        Lang::En => en,
    }
}

fn fatal(e: &Error, lang: Lang) -> WebEidError {
    WebEidError::fatal(e.message(lang))
}

fn dialog_failed(e: std::io::Error) -> WebEidError {
    WebEidError::fatal(format!("the PIN dialog failed: {e}"))
}

/// What the dialog says is about to happen.
fn purpose(req: &Request, lang: Lang) -> String {
    let origin = req.origin();
    match req {
        Request::Authenticate { .. } => pick(
            lang,
            format!("{origin} がマイナンバーカードでの認証を求めています。"),
            format!("{origin} asks to authenticate you with your My Number Card."),
        ),
        Request::GetSigningCertificate { .. } => pick(
            lang,
            format!(
                "{origin} がマイナンバーカードの{}の読み取りを求めています。",
                CertKind::Sign.name(Lang::Ja)
            ),
            format!("{origin} asks to read the signature certificate of your My Number Card."),
        ),
        Request::Sign { hash_function, .. } => pick(
            lang,
            format!(
                "{origin} がマイナンバーカードの{}での電子署名を求めています（{}）。",
                CertKind::Sign.name(Lang::Ja),
                protocol::hash_function_name(*hash_function)
            ),
            format!(
                "{origin} asks you to sign with the signature key of your My Number Card ({}).",
                protocol::hash_function_name(*hash_function)
            ),
        ),
    }
}

fn ask_text(kind: PinKind, tries: Option<u8>, lang: Lang) -> String {
    let name = kind.name(lang);
    match tries {
        Some(n) => pick(
            lang,
            format!("{name}を入力してください（残り{n}回）。"),
            format!("Enter your {name} ({n} tries left)."),
        ),
        None => pick(
            lang,
            format!("{name}を入力してください。"),
            format!("Enter your {name}."),
        ),
    }
}

fn last_try_text(kind: PinKind, lang: Lang) -> String {
    let name = kind.name(lang);
    pick(
        lang,
        format!("{name}の残りは1回です。間違えるとロックされ、窓口での再設定が必要になります。この1回を使いますか？"),
        format!("Your {name} has 1 try left: a wrong value locks it, and unlocking it needs a reset. Use this last try?"),
    )
}

/// Asks for a PIN and runs `act` with it, until it succeeds, the person cancels, or the PIN
/// locks. The counter is read first (spends no try) for the dialog; a blocked PIN opens no
/// dialog and sends nothing more. With one try left, the dialog asks for an explicit yes
/// (CONFIRM) before the last try is allowed. A value of the wrong format is refused by the
/// library before anything is sent, and asked again.
fn with_pin<P, T>(
    card: &mut Conn,
    req: &Request,
    kind: PinKind,
    lang: Lang,
    open_dialog: &mut DialogOpener<'_>,
    parse: impl Fn(&str) -> Result<P, CredentialError>,
    mut act: impl FnMut(&mut Conn, &P, LastTry) -> Result<Result<T, WebEidError>, Error>,
) -> Result<T, WebEidError> {
    let status = card.pin_status(kind).map_err(|e| fatal(&e, lang))?;
    if status.is_blocked() {
        return Err(fatal(&Error::Blocked { kind }, lang));
    }
    let mut tries = status.tries_left();
    let mut dialog = open_dialog().map_err(dialog_failed)?;
    dialog
        .set_title(&pick(
            lang,
            "マイナンバーカード".into(),
            "My Number Card".into(),
        ))
        .map_err(dialog_failed)?;
    let prompt = pick(lang, "暗証番号:".into(), "PIN:".into());
    let mut error: Option<String> = None;
    for _ in 0..MAX_PROMPTS {
        let desc = format!("{}\n{}", purpose(req, lang), ask_text(kind, tries, lang));
        let value: Zeroizing<String> = match dialog
            .get_pin(&desc, &prompt, error.as_deref())
            .map_err(dialog_failed)?
        {
            Answer::Given(v) => v,
            Answer::Cancelled => return Err(WebEidError::cancelled()),
        };
        let pin = match parse(&value) {
            Ok(p) => p,
            Err(e) => {
                error = Some(Error::Credential(e).message(lang));
                continue;
            }
        };
        drop(value);
        let mut last = LastTry::Refuse;
        if tries == Some(1) {
            match dialog
                .confirm(&last_try_text(kind, lang))
                .map_err(dialog_failed)?
            {
                Answer::Given(()) => last = LastTry::Allow,
                Answer::Cancelled => return Err(WebEidError::cancelled()),
            }
        }
        match act(card, &pin, last) {
            Ok(r) => return r,
            Err(e @ (Error::WrongPin { tries_left: 0, .. } | Error::Blocked { .. })) => {
                return Err(fatal(&e, lang))
            }
            Err(e @ Error::WrongPin { .. }) => {
                tries = e.tries_left();
                error = Some(e.message(lang));
            }
            Err(e @ Error::LastTry { .. }) => {
                // The guard's own read found one try left (another program spent tries while
                // the dialog was open): nothing was sent; ask again, with the confirmation.
                tries = Some(1);
                error = Some(e.message(lang));
            }
            Err(e) => return Err(fatal(&e, lang)),
        }
    }
    Err(WebEidError::fatal(
        "too many attempts in the PIN dialog; nothing more was sent",
    ))
}

/// Runs one command on `card` and gives the reply's JSON. Power is not removed here: call
/// [`finish`] after it, whatever it returned.
pub fn execute(
    req: &Request,
    card: &mut Conn,
    open_dialog: &mut DialogOpener<'_>,
) -> Result<Value, WebEidError> {
    let lang = dialog_lang(req);
    match req {
        Request::Authenticate {
            origin,
            challenge_nonce,
            ..
        } => {
            // Free to read, and kept for the card session: the signature check after SIGN
            // uses it without reading it again.
            let cert = card
                .jpki()
                .read_certificate(CertKind::Auth)
                .map_err(|e| fatal(&e, lang))?;
            let digest = signed_digest(origin, challenge_nonce);
            let sig = with_pin(
                card,
                req,
                PinKind::UserAuth,
                lang,
                open_dialog,
                AuthPin::parse,
                |card, pin, last| {
                    card.jpki()
                        .sign(
                            pin,
                            SignatureScheme::Pkcs1v15(HashAlgorithm::Sha256),
                            ToSign::Digest(&digest),
                            &SignOptions {
                                verification: Verification::Certificate,
                                last_try: last,
                            },
                        )
                        .map(Ok)
                },
            )?;
            let token = AuthToken {
                unverified_certificate: Base64::encode_string(cert.der()),
                algorithm: ALGORITHM_RS256.into(),
                signature: Base64::encode_string(&sig.bytes),
                format: FORMAT.into(),
                app_version: protocol::APP_VERSION.into(),
            };
            serde_json::to_value(token).map_err(|e| WebEidError::fatal(e.to_string()))
        }
        Request::GetSigningCertificate { .. } => {
            let cert = with_pin(
                card,
                req,
                PinKind::Signature,
                lang,
                open_dialog,
                SignaturePassword::parse,
                |card, pin, last| {
                    card.transaction(|card| {
                        card.verify_with(pin, last)?;
                        card.jpki().read_certificate(CertKind::Sign).map(Ok)
                    })
                },
            )?;
            Ok(json!({
                "certificate": Base64::encode_string(cert.der()),
                "supportedSignatureAlgorithms": protocol::supported_signature_algorithms(),
            }))
        }
        Request::Sign {
            hash,
            hash_function,
            certificate,
            ..
        } => {
            let sig = with_pin(
                card,
                req,
                PinKind::Signature,
                lang,
                open_dialog,
                SignaturePassword::parse,
                |card, pin, last| {
                    card.transaction(|card| {
                        card.verify_with(pin, last)?;
                        // Readable only now; compared before SIGN is sent.
                        let own = card.jpki().read_certificate(CertKind::Sign)?;
                        if own.der() != certificate.as_slice() {
                            return Ok(Err(WebEidError::invalid(
                                "the certificate argument is not this card's signature certificate; nothing was signed",
                            )));
                        }
                        let key = own.public_key().map_err(|reason| Error::Integrity {
                            what: "the signature certificate's key",
                            reason,
                        })?;
                        card.jpki()
                            .sign_verified(
                                KeyKind::Sign,
                                SignatureScheme::Pkcs1v15(*hash_function),
                                ToSign::Digest(hash),
                                &SignOptions {
                                    verification: Verification::Key(key),
                                    last_try: last,
                                },
                            )
                            .map(Ok)
                    })
                },
            )?;
            Ok(json!({
                "signature": Base64::encode_string(&sig.bytes),
                "signatureAlgorithm": protocol::signature_algorithm(*hash_function),
            }))
        }
    }
}

/// Removes power from the card: no PIN stays verified after the command.
pub fn finish(card: &mut Conn) {
    let _ = card.unpower();
}

/// Connects to the card: the virtual card when `MYNACARD_SIM_STATE` names a state file
/// (feature `sim`; exchanges appended to `MYNACARD_SIM_LOG` when set), otherwise the first
/// PC/SC reader holding a My Number Card (feature `pcsc`).
pub fn open_card() -> Result<Conn, WebEidError> {
    #[cfg(feature = "sim")]
    if let Some(state) = std::env::var_os("MYNACARD_SIM_STATE").filter(|s| !s.is_empty()) {
        let card = mynacard::sim::VirtualCard::open(Path::new(&state))
            .map_err(|e| WebEidError::fatal(format!("the virtual card: {e}")))?;
        let log = std::env::var_os("MYNACARD_SIM_LOG")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from);
        let t: Box<dyn Transport + Send> = match log {
            Some(path) => Box::new(FileLog::new(card, Some(path))),
            None => Box::new(card),
        };
        return Ok(Card::new(t));
    }
    #[cfg(feature = "pcsc")]
    {
        let options = mynacard::pcsc::Options {
            timeout: std::time::Duration::ZERO,
            ..Default::default()
        };
        let t = mynacard::pcsc::open(&mynacard::pcsc::ReaderChoice::Auto, &options, &mut |_| {})
            .map_err(|e| WebEidError::fatal(format!("no My Number Card: {e}")))?;
        #[allow(clippy::needless_return)]
        return Ok(Card::new(Box::new(t)));
    }
    #[allow(unreachable_code)]
    Err(WebEidError::fatal(
        "no card: set MYNACARD_SIM_STATE for the virtual card, or build with feature pcsc for a reader",
    ))
}
