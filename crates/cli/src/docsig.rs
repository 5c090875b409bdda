//! `sign --format cms|cms-attached|pdf` and `verify FILE`: signed documents (the
//! `mynacard-docsig` crate).
//!
//! As the rest of the CLI: its texts come from the catalogue ([`crate::i18n`]), library errors
//! in the library's own words ([`mynacard::Error::message`]), standard output through [`crate::output`] (never a
//! panic on a full disk or a closed pipe), and `--out` through [`crate::outfile`] (a special
//! file or a symbolic link is refused before the card is used; the file is written whole or
//! not at all).
//!
//! Exit codes of `verify FILE`: 0 every signature is valid; 12 a signature is not valid, or
//! the file holds none (a file that is neither a PDF nor a CMS is `malformed`); 1 the file
//! cannot be read, or a PDF cannot be parsed; 2 bad usage.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use mynacard::cert::Certificate;
use mynacard::credential::{AuthPin, SignaturePassword};
use mynacard::pin::PinKind;
use mynacard::sign::KeyKind;
use mynacard::LastTry;
use mynacard_docsig::{self as docsig, Form, Report, Trust};

use crate::backend::AnyCard;
use crate::exit::{self, Failure};
use crate::i18n::{t, Msg};
use crate::pins::SecretSource;
use crate::{outfile, output};

/// What `verify FILE` checks and does not check (`myna verify --help`).
pub const VERIFY_HELP: &str = "\
What `verify FILE` checks, for every signature of the file (every signature dictionary of a \
PDF, even one stripped of its values): the content digest; the signature under the signer's \
certificate; the signing-certificate attribute; that the signer's key usage allows signing \
(digitalSignature or nonRepudiation); that no certificate of the chain carries a critical \
extension it does not recognise; the chain up to the J-LIS roots (or the test or virtual \
hierarchy when accepted), every certificate valid at the time the signer claims. For a PDF, the \
last signature must cover the whole file except its own /Contents: any byte after it (an \
incremental update, as in the incremental saving and shadow attacks) or inside the excluded gap \
(signature wrapping) makes it not valid; an earlier signature covers its own revision only, and \
what later revisions changed is not analysed.

Not checked: revocation (no CRL or OCSP is fetched: a revoked certificate still shows as \
valid), and trusted time (the signing time is the signer's claim; no timestamp is checked). \
Verifying JPKI signatures as a business needs the approval of the Minister for Internal Affairs \
and Communications under the JPKI Act (公的個人認証法, art. 17), which also gives access to \
revocation status.";

/// Exit code of `verify FILE` when a signature is not valid or there is none.
pub const INVALID_SIGNATURE: u8 = 12;

/// Output format of `sign`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SignFormat {
    /// A raw PKCS#1 v1.5 signature over the SHA-256 DigestInfo (the default).
    Raw,
    /// CMS SignedData (CAdES-B-B), detached: the file is not inside.
    Cms,
    /// CMS SignedData (CAdES-B-B) with the file inside.
    CmsAttached,
    /// The PDF signed as PAdES B-B by an incremental update.
    Pdf,
}

/// What `verify` checks: a PIN (`sign`, `auth`, `residence`, `text`) or a signed file (any
/// other argument; write `./sign` for a file named like a PIN).
#[derive(Debug, Clone)]
pub enum VerifyTarget {
    /// A PIN.
    Pin(PinKind),
    /// A signature file (CMS or PDF).
    File(PathBuf),
}

impl FromStr for VerifyTarget {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match crate::pins::KindArg::parse(s) {
            Some(k) => VerifyTarget::Pin(k),
            None if Path::new(s).exists() => VerifyTarget::File(PathBuf::from(s)),
            None => return Err(t(Msg::NotPinKindNorFile(s))),
        })
    }
}

/// The virtual card's CA certificates (its hierarchy is the same for every virtual card).
fn virtual_cas() -> Vec<Certificate> {
    [
        mynacard::sim::pki::virtual_sign_ca(),
        mynacard::sim::pki::virtual_auth_ca(),
    ]
    .iter()
    .filter_map(|d| Certificate::from_der(d).ok())
    .collect()
}

fn read_failure(path: &Path, e: std::io::Error) -> Failure {
    Failure::new(exit::FAILURE, t(Msg::CannotRead(path, &e)))
}

fn docsig_failure(e: docsig::Error) -> Failure {
    match e {
        // Card errors in the library's own words (`mynacard::Error::message`).
        docsig::Error::Card(c) => Failure::from(c),
        other => Failure::new(exit::FAILURE, t(Msg::CannotSignDocument(&other))),
    }
}

/// `sign --format cms|cms-attached|pdf`.
#[allow(clippy::too_many_arguments)]
pub fn sign(
    card: &mut AnyCard,
    secrets: &mut SecretSource,
    key: KeyKind,
    format: SignFormat,
    input: &Path,
    out: &Path,
    allow_last_try: bool,
    json: bool,
) -> Result<(), Failure> {
    // Everything that can fail without the card comes before the PIN is asked for. A CMS
    // content is streamed (hashed as it is read, copied into the output when attached), so
    // memory stays flat whatever its size; a PDF is parsed whole.
    let mut file = outfile::check_input_output(input, out)?;
    let pdf = if format == SignFormat::Pdf {
        let data = std::fs::read(input).map_err(|e| read_failure(input, e))?;
        // Refuse a file that is not a PDF we can sign before any PIN is spent.
        docsig::pdf::prepare(&data, std::time::SystemTime::now())
            .map_err(|e| Failure::new(exit::INVALID_INPUT, t(Msg::CannotSignPdf(&e))))?;
        Some(data)
    } else {
        // Read it through once before the PIN: a read error costs no try.
        docsig::sha256_reader(&mut file).map_err(|e| read_failure(input, e))?;
        use std::io::Seek;
        file.rewind().map_err(|e| read_failure(input, e))?;
        None
    };
    let mut options = docsig::SignOptions {
        form: if format == SignFormat::CmsAttached {
            Form::Attached
        } else {
            Form::Detached
        },
        last_try: LastTry::allow_if(allow_last_try),
        ..Default::default()
    };
    options.known_cas.extend(virtual_cas());
    let prompt = t(Msg::PromptCurrent(key.pin()));
    let result = match key {
        KeyKind::Auth => {
            let pin: AuthPin = secrets.pin(&prompt)?;
            run_sign(card, &pin, pdf.as_deref(), &mut file, out, &options)
        }
        KeyKind::Sign => {
            let pw: SignaturePassword = secrets.pin(&prompt)?;
            run_sign(card, &pw, pdf.as_deref(), &mut file, out, &options)
        }
    };
    let _ = card.unpower();
    let (bytes, subject) = result?;
    if json {
        output::json(&serde_json::json!({
            "ok": true,
            // The name on the command line (`cms-attached`, not the Rust name).
            "format": clap::ValueEnum::to_possible_value(&format).map(|v| v.get_name().to_owned()),
            "key": key,
            "signer": subject,
            "out": out.display().to_string(),
            "bytes": bytes,
        }))
    } else {
        output::line(t(Msg::DocumentSigned(&subject, out)))
    }
}

/// Signs and writes `out`: the PDF `pdf` when given, else the content of `file` as a CMS
/// streamed into the output. Returns the bytes written and the signer's subject.
fn run_sign<P: mynacard::sign::JpkiPin>(
    card: &mut AnyCard,
    pin: &P,
    pdf: Option<&[u8]>,
    file: &mut std::fs::File,
    out: &Path,
    options: &docsig::SignOptions,
) -> Result<(u64, String), Failure> {
    match pdf {
        Some(data) => {
            let pdf = docsig::sign_pdf(card, pin, data, options).map_err(docsig_failure)?;
            let subject = docsig::verify_pdf(&pdf, &Trust::default())
                .ok()
                .and_then(|r| r.last().and_then(|s| s.report.signer.clone()))
                .unwrap_or_default();
            outfile::write(out, &pdf, false)?;
            Ok((pdf.len() as u64, subject))
        }
        None => {
            // Through a temporary file: nothing replaces `out` unless the signature is whole.
            let s = outfile::write_with(out, false, |f| {
                let mut w = std::io::BufWriter::with_capacity(docsig::CHUNK, f);
                docsig::sign_cms_stream(card, pin, file, &mut w, options).map_err(docsig_failure)
            })?;
            Ok((s.written, s.certificate.subject()))
        }
    }
}

/// Runs `verify FILE` (no card is opened) and returns its exit code; `None` for any other
/// command.
pub fn run_verify(cli: &crate::Cli) -> Option<u8> {
    let crate::Command::Verify {
        target: VerifyTarget::File(file),
        content,
        accept_test_hierarchy,
        accept_virtual_hierarchy,
        ..
    } = &cli.command
    else {
        return None;
    };
    let r = verify(
        file,
        content.as_deref(),
        *accept_test_hierarchy,
        *accept_virtual_hierarchy,
        cli.json,
    );
    Some(match r {
        Ok(true) => exit::OK,
        Ok(false) => INVALID_SIGNATURE,
        Err(e) => {
            output::error(cli.json, &e);
            e.code
        }
    })
}

/// `verify FILE`: a CMS (DER or PEM) or a PDF; prints the verdicts and says whether every
/// signature is valid (and there is at least one).
pub fn verify(
    file: &Path,
    content: Option<&Path>,
    accept_test_hierarchy: bool,
    accept_virtual_hierarchy: bool,
    json: bool,
) -> Result<bool, Failure> {
    let bytes = std::fs::read(file).map_err(|e| read_failure(file, e))?;
    let content = match content {
        Some(p) => Some(std::fs::read(p).map_err(|e| read_failure(p, e))?),
        None => None,
    };
    let trust = Trust {
        accept_test_hierarchy,
        extra_anchors: if accept_virtual_hierarchy {
            virtual_cas()
        } else {
            Vec::new()
        },
        at: None,
    };
    let is_pdf = bytes.starts_with(b"%PDF-");
    let reports: Vec<(Report, Option<serde_json::Value>)> = if is_pdf {
        if content.is_some() {
            return Err(Failure::new(exit::USAGE, t(Msg::ContentWithPdf)));
        }
        let list = docsig::verify_pdf(&bytes, &trust)
            .map_err(|e| Failure::new(exit::FAILURE, t(Msg::CannotReadPdf(&e))))?;
        list.into_iter()
            .map(|s| {
                let extra = serde_json::json!({
                    "byte_range": s.byte_range,
                    "sub_filter": s.sub_filter,
                    "covers_whole_file": s.covers_whole_file,
                });
                (s.report, Some(extra))
            })
            .collect()
    } else {
        vec![(docsig::verify_cms(&bytes, content.as_deref(), &trust), None)]
    };
    let all_valid = !reports.is_empty() && reports.iter().all(|(r, _)| r.verdict.is_valid());
    if json {
        let sigs: Vec<serde_json::Value> = reports
            .iter()
            .map(|(r, extra)| {
                let mut v = serde_json::to_value(r).unwrap_or_default();
                if let (Some(obj), Some(serde_json::Value::Object(e))) = (v.as_object_mut(), extra)
                {
                    obj.extend(e.clone());
                }
                v
            })
            .collect();
        output::json(&serde_json::json!({
            "ok": all_valid,
            "kind": if is_pdf { "pdf" } else { "cms" },
            "signatures": sigs,
        }))?;
    } else {
        if reports.is_empty() {
            output::line(t(Msg::NoSignature))?;
        }
        for (i, (r, _)) in reports.iter().enumerate() {
            output::line(t(Msg::SignatureVerdict(i + 1, r.verdict, &r.detail)))?;
            if let Some(s) = &r.signer {
                output::line(format!("  {}", t(Msg::SignerIs(s))))?;
            }
            if let Some(time) = &r.signing_time {
                output::line(format!("  {}", t(Msg::SigningTimeClaimed(time))))?;
            }
        }
        if !all_valid {
            output::note(t(Msg::NotEverySignatureValid));
        }
    }
    Ok(all_valid)
}
