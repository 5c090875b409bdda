//! `cert`, `sign` and `info`: certificates, signatures and the text-assist data.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::SystemTime;

use mynacard::cert::{CertKind, Certificate, TrustStore};
use mynacard::credential::{AuthPin, MatchingNumberB, MyNumber, SignaturePassword, TextAssistPin};
use mynacard::crypto::HashAlgorithm;
use mynacard::pin::PinKind;
use mynacard::sign::{KeyKind, SignOptions, SignatureScheme, ToSign};
use mynacard::text_assist::{TextAssistKey, TextAssistOptions};
use mynacard::LastTry;
use zeroize::Zeroizing;

use crate::backend::AnyCard;
use crate::exit::{self, Failure};
use crate::i18n::{t, Label, Msg};
use crate::pins::SecretSource;
use crate::{outfile, output};

/// A certificate as named on the command line.
#[derive(Debug, Clone, Copy)]
pub struct CertArg(pub CertKind);

impl FromStr for CertArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        CertKind::ALL
            .into_iter()
            .find(|k| CertArg::name(*k) == s)
            .map(CertArg)
            .ok_or_else(|| t(Msg::UnknownCert(s)))
    }
}

impl CertArg {
    /// The name of a certificate on the command line: `auth`, `auth-ca`, `sign`, `sign-ca`.
    pub const fn name(kind: CertKind) -> &'static str {
        match kind {
            CertKind::Auth => "auth",
            CertKind::AuthCa => "auth-ca",
            CertKind::Sign => "sign",
            CertKind::SignCa => "sign-ca",
        }
    }
}

/// A private key as named on the command line.
#[derive(Debug, Clone, Copy)]
pub struct KeyArg(pub KeyKind);

impl FromStr for KeyArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [KeyKind::Auth, KeyKind::Sign]
            .into_iter()
            .find(|k| KeyArg::name(*k) == s)
            .map(KeyArg)
            .ok_or_else(|| t(Msg::UnknownKey(s)))
    }
}

impl KeyArg {
    /// The name of a private key on the command line: `auth` or `sign`.
    pub const fn name(kind: KeyKind) -> &'static str {
        match kind {
            KeyKind::Auth => "auth",
            KeyKind::Sign => "sign",
        }
    }
}

/// Output format of `cert`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CertFormat {
    /// A readable summary.
    Text,
    /// PEM.
    Pem,
    /// DER (binary; needs --out when standard output is a terminal).
    Der,
}

/// What opens the text-assist data for `info`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OpenWith {
    /// The 4-digit text-input-assist PIN: name, address, birth date, sex, and the My Number.
    Pin,
    /// 照合番号A (the 12-digit My Number): the My Number only.
    MatchingA,
    /// 照合番号B (14 digits): name, address, birth date and sex only.
    MatchingB,
}

fn read_failure(path: &Path, e: std::io::Error) -> Failure {
    Failure::new(exit::FAILURE, t(Msg::CannotRead(path, &e)))
}

/// `cert <kind>`.
#[allow(clippy::too_many_arguments)]
pub fn cert(
    card: &mut AnyCard,
    secrets: &mut SecretSource,
    kind: CertKind,
    format: CertFormat,
    out: Option<PathBuf>,
    check_chain: bool,
    accept_test: bool,
    allow_last_try: bool,
    json: bool,
) -> Result<(), Failure> {
    if format == CertFormat::Der && out.is_none() && !json && std::io::stdout().is_terminal() {
        return Err(Failure::new(exit::USAGE, t(Msg::DerToTerminal)));
    }
    if let Some(out) = &out {
        outfile::check_writable(out)?;
    }
    let r = (|| {
        if kind.needs_signature_password() {
            let pw: SignaturePassword = secrets.pin(&t(Msg::PromptCurrentForCert))?;
            card.verify_with(&pw, LastTry::allow_if(allow_last_try))?;
        }
        let c = card.jpki().read_certificate(kind)?;
        let chain = if check_chain {
            let trust = if accept_test {
                TrustStore::production_and_test()
            } else {
                TrustStore::production()
            };
            Some(
                card.jpki()
                    .verify_certificate_chain(kind, &trust, SystemTime::now()),
            )
        } else {
            None
        };
        Ok::<_, Failure>((c, chain))
    })();
    if kind.needs_signature_password() {
        let _ = card.unpower();
    }
    let (c, chain) = r?;
    let chain_text = chain.as_ref().map(|r| match r {
        Ok(rep) => t(Msg::ChainTrusted(&rep.hierarchy)),
        Err(e) => t(Msg::ChainNotTrusted(&e.message(crate::i18n::lang()))),
    });
    let bytes = match format {
        CertFormat::Der => c.der().to_vec(),
        CertFormat::Pem => c.to_pem().into_bytes(),
        CertFormat::Text => {
            let name = kind.name(crate::i18n::lang()).to_owned();
            let mut text = format!("{name}: EF {}\n{}\n", kind.fid(), c.summary());
            if let Some(ct) = &chain_text {
                let label = format!("{}:", t(Msg::ChainLabel));
                text.push_str(&format!("{} {ct}\n", output::pad(&label, 13)));
            }
            text.into_bytes()
        }
    };
    if let Some(path) = &out {
        outfile::write(path, &bytes, false)?;
    }
    if json {
        let mut v = serde_json::json!({
            "ok": true,
            "certificate": kind,
            "ef": kind.fid().to_string(),
            "summary": c.summary(),
            "pem": c.to_pem(),
        });
        if let Some(path) = &out {
            v["written"] = serde_json::json!(path.display().to_string());
        }
        if let Some(r) = &chain {
            v["chain"] = match r {
                Ok(rep) => serde_json::json!({ "trusted": true, "hierarchy": rep.hierarchy,
                    "production": rep.is_production() }),
                Err(e) => serde_json::json!({ "trusted": false,
                    "error": e.message(crate::i18n::lang()) }),
            };
        }
        output::json(&v)?;
    } else if let Some(path) = &out {
        let name = kind.name(crate::i18n::lang()).to_owned();
        output::note(t(Msg::CertWritten(&name, path)));
    } else {
        output::bytes(&bytes)?;
    }
    Ok(())
}

/// The SHA-256 of the file at `path`, read in chunks as it arrives (memory stays flat for any
/// size), and its length.
pub fn sha256_file(path: &Path) -> Result<(u64, Vec<u8>), Failure> {
    let mut f = std::fs::File::open(path).map_err(|e| read_failure(path, e))?;
    mynacard_docsig::sha256_reader(&mut f).map_err(|e| read_failure(path, e))
}

/// The scheme of a raw signature (`sign --scheme`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RawScheme {
    /// PKCS#1 v1.5 over the SHA-256 DigestInfo (P1=00).
    Pkcs1,
    /// RSASSA-PSS over the SHA-256 hash, MGF1-SHA-256, salt 32 (P1=04).
    Pss,
}

impl RawScheme {
    /// The library's scheme.
    pub fn library(self) -> SignatureScheme {
        match self {
            RawScheme::Pkcs1 => SignatureScheme::Pkcs1v15(HashAlgorithm::Sha256),
            RawScheme::Pss => SignatureScheme::PssSha256Digest,
        }
    }
}

/// `sign --key K --in FILE --out FILE [--scheme pkcs1|pss]`: a detached raw signature
/// (PKCS#1 v1.5 over the SHA-256 DigestInfo of the file, P1=00; or RSASSA-PSS over its SHA-256
/// hash, P1=04), checked against the key's certificate before it is written. The file is hashed
/// as it is read, before the PIN is asked for; the card signs the digest.
#[allow(clippy::too_many_arguments)]
pub fn sign(
    card: &mut AnyCard,
    secrets: &mut SecretSource,
    key: KeyKind,
    input: &Path,
    out: &Path,
    allow_last_try: bool,
    json: bool,
    scheme: SignatureScheme,
) -> Result<(), Failure> {
    // Everything that can fail without the card, before the PIN is asked for.
    outfile::check_input_output(input, out)?;
    let (_, digest) = sha256_file(input)?;
    let options = SignOptions {
        last_try: LastTry::allow_if(allow_last_try),
        ..Default::default()
    };
    let prompt = t(Msg::PromptCurrent(key.pin()));
    let r = match key {
        KeyKind::Auth => {
            let pin: AuthPin = secrets.pin(&prompt)?;
            card.jpki()
                .sign(&pin, scheme, ToSign::Digest(&digest), &options)
        }
        KeyKind::Sign => {
            let pw: SignaturePassword = secrets.pin(&prompt)?;
            card.jpki()
                .sign(&pw, scheme, ToSign::Digest(&digest), &options)
        }
    };
    let cert = if r.is_ok() {
        card.jpki().read_certificate(key.cert()).ok()
    } else {
        None
    };
    let _ = card.unpower();
    let sig = r?;
    if !sig.checked {
        return Err(Failure::new(exit::FAILURE, t(Msg::SignatureUnchecked)));
    }
    outfile::write(out, &sig.bytes, false)?;
    let digest = hex::encode_upper(&digest);
    if json {
        output::json(&serde_json::json!({
            "ok": true,
            "key": key,
            "scheme": scheme,
            "sha256": digest,
            "signature_bytes": sig.bytes.len(),
            "checked": sig.checked,
            "written": out.display().to_string(),
            "certificate_subject": cert.as_ref().map(Certificate::subject),
        }))?;
    } else {
        output::line(t(Msg::Signed {
            bytes: sig.bytes.len(),
            key: &key.name(crate::i18n::lang()),
            scheme: &scheme,
            digest: &digest,
            path: out,
        }))?;
    }
    Ok(())
}

/// `info`: the basic four attributes; the My Number only with `--my-number`.
pub fn info(
    card: &mut AnyCard,
    secrets: &mut SecretSource,
    open_with: OpenWith,
    my_number: bool,
    allow_last_try: bool,
    json: bool,
) -> Result<(), Failure> {
    if open_with == OpenWith::MatchingA && !my_number {
        return Err(Failure::new(exit::USAGE, t(Msg::MatchingAOnlyMyNumber)));
    }
    if open_with == OpenWith::MatchingB && my_number {
        return Err(Failure::new(exit::USAGE, t(Msg::MatchingBNoMyNumber)));
    }
    let options = TextAssistOptions {
        last_try: LastTry::allow_if(allow_last_try),
        ..Default::default()
    };
    let r = (|| {
        let (pin, a, b): (
            Option<TextAssistPin>,
            Option<MyNumber>,
            Option<MatchingNumberB>,
        ) = match open_with {
            OpenWith::Pin => (
                Some(secrets.pin(&t(Msg::PromptCurrent(PinKind::TextAssist)))?),
                None,
                None,
            ),
            OpenWith::MatchingA => {
                let v = secrets.next(&t(Msg::PromptMatchingA))?;
                (None, Some(MyNumber::parse(&v)?), None)
            }
            OpenWith::MatchingB => {
                let v = secrets.next(&t(Msg::PromptMatchingB))?;
                (None, None, Some(MatchingNumberB::parse(&v)?))
            }
        };
        let key = match (&pin, &a, &b) {
            (Some(p), _, _) => TextAssistKey::Pin(p),
            (_, Some(a), _) => TextAssistKey::MatchingA(a),
            (_, _, Some(b)) => TextAssistKey::MatchingB(b),
            _ => unreachable!("one key is always read above"),
        };
        let mut t = card.text_assist(key, options)?;
        let basic = if open_with == OpenWith::MatchingA {
            None
        } else {
            Some(t.basic_four()?)
        };
        let number = if my_number {
            Some(t.my_number()?)
        } else {
            None
        };
        Ok::<_, Failure>((basic, number))
    })();
    let _ = card.unpower();
    let (basic, number) = r?;
    // The digits are shown only because --my-number asked for them.
    let digits = number
        .as_ref()
        .map(|n| Zeroizing::new(n.expose_str().to_owned()));
    if json {
        let mut v = serde_json::json!({ "ok": true, "integrity": "digests checked" });
        if let Some(b) = &basic {
            v["name"] = serde_json::json!(b.name);
            v["family_name"] = serde_json::json!(b.family_name());
            v["given_name"] = serde_json::json!(b.given_name());
            v["address"] = serde_json::json!(b.address);
            v["birth_date"] = serde_json::json!(b.birth_date);
            v["sex"] = serde_json::json!(b.sex);
            v["sex_code"] = serde_json::json!(b.sex.code().to_string());
        }
        if let Some(d) = &digits {
            v["my_number"] = serde_json::json!(d.as_str());
        }
        output::json(&v)?;
    } else {
        let row = |l: Label, v: &dyn std::fmt::Display| {
            output::line(format!(
                "{} {v}",
                output::pad(&format!("{}:", t(Msg::Label(l))), 12)
            ))
        };
        if let Some(b) = &basic {
            row(Label::Name, &b.name)?;
            row(Label::Address, &b.address)?;
            row(Label::BirthDate, &b.birth_date)?;
            row(Label::Sex, &t(Msg::Sex(b.sex.code(), &b.sex)))?;
        }
        if let Some(d) = &digits {
            row(Label::MyNumber, &d.as_str())?;
        }
        output::line(t(Msg::InfoChecked))?;
    }
    Ok(())
}
