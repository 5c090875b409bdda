//! `sign --format cms|cms-attached|pdf` and `verify FILE`: signed documents (the
//! `mynacard-docsig` crate).
//!
//! Every text here exists in Japanese and English through [`msg`], a stand-in that the CLI's
//! message catalogue can replace (it picks Japanese when `LANG`/`LC_ALL`/`LC_MESSAGES` starts
//! with `ja`).
//!
//! Exit codes of `verify FILE`: 0 every signature is valid; 12 a signature is not valid, or
//! the file holds none; 1 the file cannot be read or is not a PDF/CMS at all; 2 bad usage.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use mynacard::cert::Certificate;
use mynacard::credential::{AuthPin, SignaturePassword};
use mynacard::pin::PinKind;
use mynacard::sign::KeyKind;
use mynacard::LastTry;
use mynacard_docsig::{self as docsig, Form, Report, Trust, Verdict};

use crate::backend::AnyCard;
use crate::exit::{self, Failure};
use crate::output;
use crate::pins::SecretSource;

/// Exit code of `verify FILE` when a signature is not valid or there is none.
pub const INVALID_SIGNATURE: u8 = 12;

/// A text in Japanese and English; the one for the user's locale.
pub fn msg(ja: &str, en: &str) -> String {
    let lang = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_default();
    if lang.starts_with("ja") {
        ja.to_owned()
    } else {
        en.to_owned()
    }
}

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
        Ok(match PinKind::from_cli_name(s) {
            Some(k) => VerifyTarget::Pin(k),
            None if Path::new(s).exists() => VerifyTarget::File(PathBuf::from(s)),
            None => {
                return Err(msg(
                    &format!(
                        "`{s}` は暗証番号の種類（sign, auth, residence or text）でも、\
                         存在する署名ファイルでもありません"
                    ),
                    &format!(
                        "`{s}` is neither a PIN kind (use sign, auth, residence or text) nor an \
                         existing signed file"
                    ),
                ))
            }
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

fn io_failure(what_ja: &str, what_en: &str, path: &Path, e: std::io::Error) -> Failure {
    Failure::new(
        exit::FAILURE,
        msg(
            &format!("{}: {what_ja}: {e}", path.display()),
            &format!("{what_en} {}: {e}", path.display()),
        ),
    )
}

fn docsig_failure(e: docsig::Error) -> Failure {
    match e {
        docsig::Error::Card(c) => Failure::from(c),
        other => Failure::new(
            exit::FAILURE,
            msg(
                &format!("署名できませんでした（何も書き込んでいません）: {other}"),
                &format!("could not sign (nothing was written): {other}"),
            ),
        ),
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
    // Everything that can fail without the card comes before the PIN is asked for.
    let data =
        std::fs::read(input).map_err(|e| io_failure("読めません", "cannot read", input, e))?;
    let same = input == out
        || matches!(
            (std::fs::canonicalize(input), std::fs::canonicalize(out)),
            (Ok(a), Ok(b)) if a == b
        );
    if same {
        return Err(Failure::new(
            exit::USAGE,
            msg(
                "--in と --out が同じファイルです（元のファイルを上書きしてしまいます）",
                "--in and --out are the same file: the original would be overwritten",
            ),
        ));
    }
    if format == SignFormat::Pdf {
        // Refuse a file that is not a PDF we can sign before any PIN is spent.
        docsig::pdf::prepare(&data, std::time::SystemTime::now()).map_err(|e| {
            Failure::new(
                exit::INVALID_INPUT,
                msg(
                    &format!("この PDF には署名できません（PIN は使っていません）: {e}"),
                    &format!("cannot sign this PDF (no PIN was used): {e}"),
                ),
            )
        })?;
    }
    let mut options = docsig::SignOptions {
        form: if format == SignFormat::CmsAttached {
            Form::Attached
        } else {
            Form::Detached
        },
        last_try: if allow_last_try {
            LastTry::Allow
        } else {
            LastTry::Refuse
        },
        ..Default::default()
    };
    options.known_cas.extend(virtual_cas());
    let prompt = match key {
        KeyKind::Auth => msg(
            "利用者証明用電子証明書の暗証番号（4桁）",
            "User-authentication PIN (4 digits)",
        ),
        KeyKind::Sign => msg(
            "署名用電子証明書の暗証番号（6〜16文字）",
            "Signature password (6 to 16 characters)",
        ),
    };
    let result = match key {
        KeyKind::Auth => {
            let pin: AuthPin = secrets.pin(&prompt)?;
            run_sign(card, &pin, format, &data, &options)
        }
        KeyKind::Sign => {
            let pw: SignaturePassword = secrets.pin(&prompt)?;
            run_sign(card, &pw, format, &data, &options)
        }
    };
    let _ = card.unpower();
    let (bytes, subject) = result.map_err(docsig_failure)?;
    std::fs::write(out, &bytes)
        .map_err(|e| io_failure("書き込めません", "cannot write", out, e))?;
    if json {
        output::json(&serde_json::json!({
            "ok": true,
            "format": format!("{format:?}").to_lowercase(),
            "key": key,
            "signer": subject,
            "out": out.display().to_string(),
            "bytes": bytes.len(),
        }));
    } else {
        println!(
            "{}",
            msg(
                &format!("署名しました（署名者: {subject}）: {}", out.display()),
                &format!("signed by {subject}: {}", out.display()),
            )
        );
    }
    Ok(())
}

fn run_sign<P: mynacard::sign::JpkiPin>(
    card: &mut AnyCard,
    pin: &P,
    format: SignFormat,
    data: &[u8],
    options: &docsig::SignOptions,
) -> Result<(Vec<u8>, String), docsig::Error> {
    match format {
        SignFormat::Pdf => {
            let pdf = docsig::sign_pdf(card, pin, data, options)?;
            let subject = docsig::verify_pdf(&pdf, &Trust::default())
                .ok()
                .and_then(|r| r.last().and_then(|s| s.report.signer.clone()))
                .unwrap_or_default();
            Ok((pdf, subject))
        }
        _ => {
            let s = docsig::sign_cms(card, pin, data, options)?;
            Ok((s.der, s.certificate.subject()))
        }
    }
}

fn verdict_text(v: Verdict) -> String {
    match v {
        Verdict::Valid => msg("有効", "valid"),
        Verdict::WrongContent => msg(
            "内容が署名と一致しません",
            "the content does not match the signature",
        ),
        Verdict::BadSignature => msg("署名値が正しくありません", "bad signature"),
        Verdict::UnknownSigner => msg(
            "署名者の証明書がありません",
            "unknown signer (certificate missing)",
        ),
        Verdict::ChainBroken => msg("証明書チェーンがつながりません", "certificate chain broken"),
        Verdict::CertificateExpired => msg(
            "署名時刻に証明書が有効期間外でした",
            "certificate not valid at the signing time",
        ),
        Verdict::HierarchyNotTrusted => {
            msg("信頼していない認証局階層です", "hierarchy not trusted")
        }
        Verdict::UnsupportedAlgorithm => {
            msg("対応していないアルゴリズムです", "unsupported algorithm")
        }
        Verdict::Malformed => msg("署名の形式が正しくありません", "malformed signature"),
        Verdict::UnsignedAttributes => msg(
            "署名されていない属性が含まれています",
            "unsigned attributes present",
        ),
        Verdict::IncompleteCoverage => msg(
            "/ByteRange がファイル全体（署名を除く）を覆っていません",
            "/ByteRange does not cover the whole file except the signature",
        ),
        _ => msg("無効", "invalid"),
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
    let bytes =
        std::fs::read(file).map_err(|e| io_failure("読めません", "cannot read", file, e))?;
    let content = match content {
        Some(p) => {
            Some(std::fs::read(p).map_err(|e| io_failure("読めません", "cannot read", p, e))?)
        }
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
            return Err(Failure::new(
                exit::USAGE,
                msg(
                    "PDF の署名には --content は使いません",
                    "--content is not used with a PDF",
                ),
            ));
        }
        let list = docsig::verify_pdf(&bytes, &trust).map_err(|e| {
            Failure::new(
                exit::FAILURE,
                msg(
                    &format!("PDF を読めません: {e}"),
                    &format!("cannot read the PDF: {e}"),
                ),
            )
        })?;
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
        }));
    } else {
        if reports.is_empty() {
            println!("{}", msg("署名がありません", "no signature found"));
        }
        for (i, (r, _)) in reports.iter().enumerate() {
            println!(
                "{} {}: {} ({})",
                msg("署名", "signature"),
                i + 1,
                verdict_text(r.verdict),
                r.detail
            );
            if let Some(s) = &r.signer {
                println!("  {}: {s}", msg("署名者", "signer"));
            }
            if let Some(t) = &r.signing_time {
                println!(
                    "  {}: {t}",
                    msg(
                        "署名時刻（署名者の申告）",
                        "signing time (claimed by the signer)"
                    )
                );
            }
        }
    }
    if !all_valid && !json {
        eprintln!(
            "myna: {}",
            msg("有効でない署名があります", "not every signature is valid")
        );
    }
    Ok(all_valid)
}
