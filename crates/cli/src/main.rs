//! `myna`: the My Number Card from the command line.
//!
//! ```text
//! cargo run -p mynacard-cli -- status
//! cargo run -p mynacard-cli -- verify auth
//! cargo run -p mynacard-cli -- change sign --pin-stdin < answers.txt
//! cargo run -p mynacard-cli -- reset residence --terminal counter
//! cargo run -p mynacard-cli -- cert auth --format pem --out auth.pem
//! cargo run -p mynacard-cli -- sign --key sign --in contract.pdf --out contract.sig
//! cargo run -p mynacard-cli -- info --my-number
//! cargo run -p mynacard-cli -- surface --open-with matching-a --out face/
//! cargo run -p mynacard-cli -- card-info
//! ```
//!
//! The default backend is the virtual card, whose state lives in the user's state directory
//! (`--sim-state PATH` chooses another file), so counters persist across invocations. PINs are
//! never taken from the command line: they are prompted for without echo, or read one per line
//! from standard input with `--pin-stdin`.
//!
//! Messages are in Japanese or English: see [`i18n`] for how the language is chosen
//! (`--lang ja|en`, else `LC_ALL`, `LC_MESSAGES`, `LANG`).
//!
//! Exit codes: see [`exit`].

mod backend;
mod data;
mod docsig;
mod exit;
mod help;
mod i18n;
mod outfile;
mod output;
mod pins;
mod reset;
mod secure;
mod surface;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{FromArgMatches, Parser, Subcommand};

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(
    name = "myna",
    version,
    about = "My Number Card PINs, certificates and data, on the virtual card or a real reader",
    after_help = exit::HELP
)]
pub struct Cli {
    /// Print machine-readable JSON instead of text (usage errors too).
    #[arg(long, global = true)]
    pub json: bool,
    /// The language of messages (default: Japanese when LC_ALL, else LC_MESSAGES, else LANG
    /// starts with `ja`; English otherwise).
    #[arg(long, global = true, value_name = "ja|en", value_parser = lang_parser())]
    pub lang: Option<i18n::Lang>,
    /// The virtual card's state file (default: in the user's state directory).
    #[arg(long, global = true, value_name = "PATH")]
    pub sim_state: Option<PathBuf>,
    /// A real reader: its name, or `auto` for the first one holding a My Number Card
    /// (needs feature `pcsc`).
    #[arg(long, global = true, value_name = "NAME|auto")]
    pub reader: Option<String>,
    /// With --reader: how long to wait for a reader, a card, or another program to release
    /// the card.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 30)]
    pub wait: u64,
    /// Read PINs from standard input, one per line, instead of prompting.
    #[arg(long, global = true)]
    pub pin_stdin: bool,
    /// Print every APDU exchange to standard error when done (PINs and the My Number masked).
    #[arg(long, global = true)]
    pub trace: bool,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the four PINs' retry counters (spends no try).
    Status,
    /// Verify a PIN (sign, auth, residence, text), or the signatures of a file (CMS or PDF;
    /// exit 0 all valid, 12 not valid or none, 1 unreadable).
    #[command(after_long_help = docsig::VERIFY_HELP)]
    Verify {
        /// sign, auth, residence or text; any other argument is a signed file (CMS, PDF).
        target: docsig::VerifyTarget,
        /// Let this verify spend the last try (a wrong value then locks the PIN).
        #[arg(long)]
        allow_last_try: bool,
        /// For a detached CMS: the signed content.
        #[arg(long, value_name = "FILE")]
        content: Option<PathBuf>,
        /// Also accept the O=JPKI-TEST hierarchy of test cards.
        #[arg(long)]
        accept_test_hierarchy: bool,
        /// Also accept the virtual card's hierarchy (never production).
        #[arg(long)]
        accept_virtual_hierarchy: bool,
    },
    /// Change a PIN: asks for the current value, then the new one twice (once with --pin-stdin).
    Change {
        /// sign, auth, residence or text.
        kind: pins::KindArg,
        /// Let the verify of the current value spend the last try.
        #[arg(long)]
        allow_last_try: bool,
    },
    /// Reset a PIN through a terminal: asks for the other JPKI PIN where the route needs it,
    /// then the new value twice (once with --pin-stdin).
    Reset(reset::ResetArgs),
    /// Show or save a JPKI certificate (the signature certificate asks for the signature
    /// password).
    Cert {
        /// auth, auth-ca, sign or sign-ca.
        kind: data::CertArg,
        /// Output format.
        #[arg(long, value_enum, default_value_t = data::CertFormat::Text)]
        format: data::CertFormat,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Also check the chain to the J-LIS production roots.
        #[arg(long)]
        check_chain: bool,
        /// With --check-chain, also accept the O=JPKI-TEST hierarchy of test cards.
        #[arg(long, requires = "check_chain")]
        accept_test_hierarchy: bool,
        /// Let the verify of the signature password spend the last try.
        #[arg(long)]
        allow_last_try: bool,
    },
    /// Sign a file: a detached raw signature over its SHA-256 DigestInfo (PKCS#1 v1.5), checked
    /// against the key's certificate before it is written.
    Sign {
        /// auth or sign.
        #[arg(long)]
        key: data::KeyArg,
        /// The file to sign.
        #[arg(long = "in", value_name = "FILE")]
        input: PathBuf,
        /// Where to write the signature.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Let the verify of the PIN spend the last try.
        #[arg(long)]
        allow_last_try: bool,
        /// raw (a PKCS#1 v1.5 signature), cms, cms-attached (CAdES-B-B) or pdf (PAdES B-B).
        #[arg(long, value_enum, default_value_t = docsig::SignFormat::Raw)]
        format: docsig::SignFormat,
        /// The raw signature's scheme: pkcs1 (PKCS#1 v1.5, P1=00) or pss (RSASSA-PSS with
        /// MGF1-SHA-256 and a 32-byte salt, P1=04). Only with --format raw.
        #[arg(long, value_enum, default_value_t = data::RawScheme::Pkcs1)]
        scheme: data::RawScheme,
    },
    /// Show the name, address, birth date and sex from the text-input-assist AP, checked against
    /// the card's integrity record.
    Info {
        /// Also show the My Number.
        #[arg(long)]
        my_number: bool,
        /// What opens the data.
        #[arg(long, value_enum, default_value_t = data::OpenWith::Pin)]
        open_with: data::OpenWith,
        /// Let the verify spend the last try.
        #[arg(long)]
        allow_last_try: bool,
        /// Read through secure messaging (encrypted; needs the PIN, which travels in the clear).
        #[arg(long)]
        secure_messaging: bool,
    },
    /// Read the card-surface AP (券面事項確認AP): birth date, sex, expiry and the images of the
    /// card face (--out saves them), with 照合番号A also the My Number image, or with the
    /// birth-date key only the age record. Every record's signature is checked, the CV
    /// certificate is checked under the known issuer keys, and the card proves it is present by
    /// signing a fresh challenge.
    Surface(surface::SurfaceArgs),
    /// Show the card's serial number, issuing municipality and expiry date (共通カードAP; no PIN).
    CardInfo,
    /// Show the master-file objects and its CV certificate chain with the verdict (no PIN;
    /// clears any PIN verified earlier on the card).
    Mf {
        /// Also accept the JPKI test hierarchy's issuer key.
        #[arg(long)]
        accept_test_hierarchy: bool,
    },
}

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // The language and --json before parsing, so that usage errors follow them too.
    i18n::set_lang(i18n::lang_arg(&args).unwrap_or_else(i18n::Lang::from_env));
    // The help (`--help`) in that language too.
    let parsed = help::command(i18n::lang())
        .try_get_matches_from(&args)
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
        Ok(c) => c,
        Err(e) => return usage_error(&e, i18n::json_arg(&args)),
    };
    let json = cli.json;
    if let Some(code) = docsig::run_verify(&cli) {
        return ExitCode::from(code);
    }
    let result = run(cli);
    backend::print_trace();
    match result {
        Ok(()) => ExitCode::from(exit::OK),
        Err(e) => {
            output::error(json, &e);
            ExitCode::from(e.code)
        }
    }
}

fn run(cli: Cli) -> Result<(), exit::Failure> {
    let mut secrets = pins::SecretSource::new(cli.pin_stdin);
    let mut card = backend::open(&cli)?;
    match cli.command {
        Command::Status => pins::status(&mut card, cli.json),
        Command::Verify {
            target: docsig::VerifyTarget::Pin(kind),
            allow_last_try,
            ..
        } => pins::verify(&mut card, &mut secrets, kind, allow_last_try, cli.json),
        // `verify FILE` ran in `docsig::run_verify`, before the card was opened.
        Command::Verify { .. } => Err(exit::Failure::new(
            exit::USAGE,
            i18n::t(i18n::Msg::InternalVerifyFile),
        )),
        Command::Change {
            kind,
            allow_last_try,
        } => pins::change(&mut card, &mut secrets, kind.0, allow_last_try, cli.json),
        Command::Reset(args) => reset::reset(&mut card, &mut secrets, &args, cli.json),
        Command::Cert {
            kind,
            format,
            out,
            check_chain,
            accept_test_hierarchy,
            allow_last_try,
        } => data::cert(
            &mut card,
            &mut secrets,
            kind.0,
            format,
            out,
            check_chain,
            accept_test_hierarchy,
            allow_last_try,
            cli.json,
        ),
        Command::Sign {
            key,
            input,
            out,
            allow_last_try,
            format,
            scheme,
        } if format != docsig::SignFormat::Raw => {
            if scheme != data::RawScheme::Pkcs1 {
                return Err(exit::Failure::new(
                    exit::USAGE,
                    secure::msg(
                        "--scheme pss は --format raw のときだけ使えます(CMS と PDF の署名は PKCS#1 v1.5)",
                        "--scheme pss is for --format raw; CMS and PDF signatures use PKCS#1 v1.5",
                    ),
                ));
            }
            docsig::sign(
                &mut card,
                &mut secrets,
                key.0,
                format,
                &input,
                &out,
                allow_last_try,
                cli.json,
            )
        }
        Command::Sign {
            key,
            input,
            out,
            allow_last_try,
            scheme,
            ..
        } => data::sign(
            &mut card,
            &mut secrets,
            key.0,
            &input,
            &out,
            allow_last_try,
            cli.json,
            scheme.library(),
        ),
        Command::Info {
            my_number,
            open_with,
            allow_last_try,
            secure_messaging: true,
        } => {
            if open_with != data::OpenWith::Pin {
                return Err(exit::Failure::new(
                    exit::USAGE,
                    secure::msg(
                        "セキュアメッセージングは暗証番号で開きます(--open-with pin)",
                        "secure messaging opens with the PIN (--open-with pin)",
                    ),
                ));
            }
            secure::info(&mut card, &mut secrets, my_number, allow_last_try, cli.json)
        }
        Command::Info {
            my_number,
            open_with,
            allow_last_try,
            secure_messaging: false,
        } => data::info(
            &mut card,
            &mut secrets,
            open_with,
            my_number,
            allow_last_try,
            cli.json,
        ),
        Command::Surface(args) => surface::surface(
            &mut card,
            &mut secrets,
            &args,
            cli.reader.is_none(),
            cli.json,
        ),
        Command::CardInfo => surface::card_info(&mut card, cli.json),
        Command::Mf {
            accept_test_hierarchy,
        } => secure::master_file(
            &mut card,
            accept_test_hierarchy,
            cli.reader.is_none(),
            cli.json,
        ),
    }
}

/// Reports a command-line error (exit [`exit::USAGE`]), or prints `--help`/`--version` (exit
/// [`exit::OK`], or [`exit::OUTPUT`] when standard output cannot be written).
fn usage_error(e: &clap::Error, json: bool) -> ExitCode {
    if !e.use_stderr() {
        return match e.print() {
            Ok(()) => ExitCode::from(exit::OK),
            Err(err) => {
                output::note(i18n::t(i18n::Msg::CannotWriteStdout(&err)));
                ExitCode::from(exit::OUTPUT)
            }
        };
    }
    let lang = i18n::lang();
    if lang == i18n::Lang::En && !json {
        let _ = e.print();
        return ExitCode::from(exit::USAGE);
    }
    let f = exit::Failure::new(exit::USAGE, usage_message(e, lang));
    output::error(json, &f);
    if !json {
        // clap's usage line and its pointer to --help, after its (English) first line.
        let rendered = e.render().to_string();
        for l in rendered.lines().skip(1).skip_while(|l| !l.is_empty()) {
            let _ = writeln!(std::io::stderr().lock(), "{}", help::error_line_ja(l));
        }
    }
    ExitCode::from(exit::USAGE)
}

/// The `--lang` values, as clap checks them (its usage error lists them).
fn lang_parser() -> impl clap::builder::TypedValueParser<Value = i18n::Lang> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(["ja", "en"])
        .map(|s| i18n::Lang::parse(&s).unwrap_or_default())
}

/// The message of a command-line error in `lang`: clap's own words in English, ours in
/// Japanese.
fn usage_message(e: &clap::Error, lang: i18n::Lang) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    use i18n::Msg;
    let ctx = |k: ContextKind| match e.get(k) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(", "),
        Some(other) => other.to_string(),
        None => String::new(),
    };
    // clap's first line, without its "error: " prefix.
    let rendered = e.render().to_string();
    let clap_text = rendered
        .lines()
        .next()
        .unwrap_or("")
        .trim_start_matches("error: ")
        .to_owned();
    if lang == i18n::Lang::En {
        return clap_text;
    }
    let m = match e.kind() {
        ErrorKind::InvalidSubcommand => i18n::text(
            lang,
            &Msg::UsageUnknownCommand(&ctx(ContextKind::InvalidSubcommand)),
        ),
        ErrorKind::UnknownArgument => i18n::text(
            lang,
            &Msg::UsageUnexpectedArg(&ctx(ContextKind::InvalidArg)),
        ),
        ErrorKind::MissingRequiredArgument | ErrorKind::MissingSubcommand => {
            let missing = match ctx(ContextKind::InvalidArg) {
                m if m.is_empty() => help::USAGE_COMMAND.1.to_owned(),
                m => m,
            };
            i18n::text(lang, &Msg::UsageMissing(&missing))
        }
        ErrorKind::ValueValidation
            if std::error::Error::source(e).is_some_and(|s| s.is::<std::num::ParseIntError>()) =>
        {
            i18n::text(
                lang,
                &Msg::UsageNotANumber {
                    arg: &ctx(ContextKind::InvalidArg),
                    value: &ctx(ContextKind::InvalidValue),
                },
            )
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let detail = match (e.kind(), e.get(ContextKind::ValidValue)) {
                (ErrorKind::InvalidValue, Some(_)) => ctx(ContextKind::ValidValue),
                // Our own parsers' messages are already in the language.
                _ => std::error::Error::source(e)
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
            };
            i18n::text(
                lang,
                &Msg::UsageBadValue {
                    arg: &ctx(ContextKind::InvalidArg),
                    value: &ctx(ContextKind::InvalidValue),
                    detail: &detail,
                },
            )
        }
        _ => i18n::text(lang, &Msg::Usage(&clap_text)),
    };
    m
}
