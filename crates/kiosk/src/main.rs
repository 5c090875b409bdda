//! `kiosk`: a guided PIN-reset flow, as a self-service kiosk or a counter terminal would run it.
//!
//! ```text
//! cargo run -p mynacard-kiosk                          # self-service kiosk, both JPKI PINs
//! cargo run -p mynacard-kiosk -- --place kiosk-sign-only
//! cargo run -p mynacard-kiosk -- --place counter       # any of the four PINs
//! cargo run -p mynacard-kiosk -- --place proxy         # counter, by proxy: checklist first
//! cargo run -p mynacard-kiosk -- --script answers.txt  # answers one per line; transcript on stdout
//! cargo run -p mynacard-kiosk -- --web                 # the appliance: a touch page (see `web`)
//! ```
//!
//! With `--web` the kiosk is served to a browser on this machine ([`mynacard_kiosk::web`]):
//! `--listen IP:PORT` (loopback only, default `127.0.0.1:8787`), `--idle SECS` (default 60),
//! `--audit PATH` (the audit trail), `--reader all|NAME[,NAME…]` (feature `pcsc`; without it the
//! virtual card). The first line of standard output is the URL with the launch's token.
//! `--script` and `--show-apdus` are refused with `--web` (exit 2), and so is a listen address
//! that is not a loopback one.
//!
//! The card is the virtual card (state in the user's state directory, or `--sim-state PATH`,
//! shared with the `myna` CLI), or a real reader with `--reader` (feature `pcsc`). The terminal
//! authentication is the **stand-in** of `mynacard::reset::stand_in`, which is **not the real
//! issuer protocol**: a real card refuses it, so on a real reader only an integrator's own
//! `ResetAuthority` can complete a reset.
//!
//! Secrets are read without echo and never shown; in a script's transcript they appear as
//! `[hidden]`, and so does any visible answer that is not valid for its question (a PIN typed
//! where a menu choice is asked is never shown). Every answer line is bounded (1 KiB).
//!
//! Options: `--place kiosk|kiosk-sign-only|counter|proxy` (default `kiosk`), `--sim-state PATH`,
//! `--reader NAME|auto` (feature `pcsc`), `--script FILE`, `--show-apdus`, and `--lang ja|en`
//! (default: Japanese when the first of `LC_ALL`, `LC_MESSAGES`, `LANG` that is set starts with
//! `ja`, else English).
//!
//! Exit codes ([`flow::Outcome::exit_code`]):
//!
//! | code | outcome |
//! |---|---|
//! | 0 | the PIN was reset (or `--help`, `--version`) |
//! | 1 | a card or terminal error |
//! | 2 | a usage error, or the script cannot be opened |
//! | 3 | the other PIN was wrong and the person stopped |
//! | 4 | a PIN needed for the route is blocked |
//! | 5 | the person declined to spend the other PIN's last try |
//! | 6 | answers broke the rules too often, or a line could not be read (not UTF-8, over 1 KiB) |
//! | 7 | no card |
//! | 8 | the reset's outcome is unknown: check the status |
//! | 10 | the reset is not possible here (the flow said where to go) |
//! | 11 | the residence PIN was reset on one of its two references only |
//! | 12 | the person quit, or the input ended |

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, ValueEnum};
use mynacard::policy::{KioskSupport, Place};
use mynacard::reset::{StandInAuthority, TerminalRole};
use mynacard::sim::VirtualCard;
use mynacard::transport::{ExchangeLog, Recorder, Transport};
use mynacard::Card;

use mynacard_kiosk::console::{Console, ScriptConsole, TerminalConsole};
use mynacard_kiosk::flow;
use mynacard_kiosk::text::Lang;
use mynacard_kiosk::web;

/// Where the terminal stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PlaceArg {
    /// A self-service kiosk that resets both JPKI PINs.
    Kiosk,
    /// A self-service kiosk that resets only the signature password.
    KioskSignOnly,
    /// The municipal counter (any PIN, cardholder in person).
    Counter,
    /// The municipal counter, by proxy (checklist of documents first).
    Proxy,
}

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(
    name = "kiosk",
    about = "Guided My Number Card PIN reset (stand-in terminal authentication, not the real issuer protocol)"
)]
struct Opts {
    /// Where the terminal stands.
    #[arg(long, value_enum, default_value = "kiosk")]
    place: PlaceArg,
    /// The virtual card's state file (default: the one the `myna` CLI uses).
    #[arg(long, value_name = "PATH")]
    sim_state: Option<PathBuf>,
    /// A real reader: its name, or `auto` (needs feature `pcsc`). With --web: `all`, or
    /// names separated by commas (one station each).
    #[arg(long, value_name = "NAME|auto|all")]
    reader: Option<String>,
    /// Take the answers from FILE, one per line, and print a transcript (secrets masked).
    #[arg(long, value_name = "FILE")]
    script: Option<PathBuf>,
    /// Print the APDU exchanges at the end (PINs masked).
    #[arg(long)]
    show_apdus: bool,
    /// Serve the kiosk as a touch page to a browser on this machine (the appliance): prints
    /// its URL, with a per-launch token, on the first line.
    #[arg(long)]
    web: bool,
    /// With --web: the loopback address and port to listen on (port 0: any free port).
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:8787")]
    listen: std::net::SocketAddr,
    /// With --web: seconds without an answer before a station returns to its start screen.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = clap::value_parser!(u64).range(1..))]
    idle: u64,
    /// With --web: the audit trail's database (default: in the state directory).
    #[arg(long, value_name = "PATH")]
    audit: Option<PathBuf>,
    /// The language: ja or en (default: from LC_ALL, LC_MESSAGES or LANG; Japanese when it
    /// starts with `ja`).
    #[arg(long, value_name = "ja|en", value_parser = parse_lang)]
    lang: Option<Lang>,
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| "expected ja or en / ja か en を指定してください".to_owned())
}

/// The card the kiosk uses.
type AnyCard = Card<Box<dyn Transport>>;

/// Opens the card named on the command line: the one place that chooses the backend.
fn open_backend(opts: &Opts, lang: Lang) -> Result<Box<dyn Transport>, String> {
    if let Some(reader) = &opts.reader {
        return open_reader(reader, lang);
    }
    let path = opts
        .sim_state
        .clone()
        .unwrap_or_else(mynacard::sim::default_state_path);
    VirtualCard::open(&path)
        .map(|vc| Box::new(vc) as Box<dyn Transport>)
        .map_err(|e| e.message(lang))
}

#[cfg(not(feature = "pcsc"))]
fn open_reader(_reader: &str, _lang: Lang) -> Result<Box<dyn Transport>, String> {
    Err(
        "real readers need feature `pcsc`: `cargo run -p mynacard-kiosk --features pcsc -- \
         --reader auto`"
            .into(),
    )
}

/// A real reader, connected exclusively: no other program reaches the card while the kiosk
/// verifies and resets its PINs. Waits up to a minute for the card, saying so.
#[cfg(feature = "pcsc")]
fn open_reader(reader: &str, lang: Lang) -> Result<Box<dyn Transport>, String> {
    use mynacard::pcsc::{self, Options, ReaderChoice, Share};
    let options = Options {
        share: Share::Exclusive,
        timeout: std::time::Duration::from_secs(60),
        ..Options::default()
    };
    pcsc::open(&ReaderChoice::parse(reader), &options, &mut |notice| {
        eprintln!("kiosk: {}", notice.message(lang))
    })
    .map(|t| Box::new(t) as Box<dyn Transport>)
    .map_err(|e| e.message(lang))
}

fn card_label(opts: &Opts, lang: Lang) -> String {
    match (&opts.reader, lang) {
        (Some(r), Lang::Ja) => format!("リーダー {r}"),
        (Some(r), Lang::En) => format!("reader {r}"),
        (None, _) => {
            let path = opts
                .sim_state
                .clone()
                .unwrap_or_else(mynacard::sim::default_state_path);
            match lang {
                Lang::Ja => format!("仮想カード（状態: {}）", path.display()),
                Lang::En => format!("virtual card (state: {})", path.display()),
            }
        }
    }
}

fn place_and_role(opts: &Opts) -> (Place, TerminalRole) {
    match opts.place {
        PlaceArg::Kiosk => (
            Place::Kiosk(KioskSupport::BothJpkiPins),
            TerminalRole::SelfServiceKiosk,
        ),
        PlaceArg::KioskSignOnly => (
            Place::Kiosk(KioskSupport::SignatureOnly),
            TerminalRole::SelfServiceKiosk,
        ),
        PlaceArg::Counter => (Place::Counter, TerminalRole::MunicipalCounter),
        PlaceArg::Proxy => (Place::CounterByProxy, TerminalRole::MunicipalCounter),
    }
}

fn config(opts: &Opts, lang: Lang) -> flow::Config {
    let (place, role) = place_and_role(opts);
    flow::Config {
        place,
        authority: Box::new(StandInAuthority::new(role)),
        card_label: card_label(opts, lang),
        lang,
    }
}

/// The language asked for on the command line (`--lang ja`, `--lang=en`), before parsing, so
/// that the help is shown in it too.
fn lang_in_args() -> Option<Lang> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    args.iter()
        .enumerate()
        .find_map(|(i, a)| match a.strip_prefix("--lang") {
            Some("") => args.get(i + 1).and_then(|v| Lang::parse(v)),
            Some(v) => v.strip_prefix('=').and_then(Lang::parse),
            None => None,
        })
}

/// The command, with its help in `lang`.
fn command(lang: Lang) -> clap::Command {
    let cmd = Opts::command();
    if lang == Lang::En {
        return cmd;
    }
    let ja = [
        ("place", format!("端末の場所: kiosk（両方のJPKI暗証番号を再設定できるキオスク端末）、kiosk-sign-only（{}のみ）、counter（窓口、本人）、proxy（窓口、代理人）。既定: kiosk", mynacard::pin::PinKind::Signature.name(Lang::Ja))),
        ("sim_state", "仮想カードの状態ファイル（既定: myna CLI と同じもの）".to_owned()),
        ("reader", "実際のカードリーダー: 名前、または auto（機能 pcsc が必要）。--web では all、またはカンマ区切りの名前（リーダーごとに1台の端末）".to_owned()),
        ("web", "タッチ画面のページとして、この機械のブラウザーに提供する（キオスク端末）。1行目にトークン付きのURLを表示する".to_owned()),
        ("listen", "--web: 待ち受けるループバックアドレスとポート（ポート 0 は空いているポート）。既定: 127.0.0.1:8787".to_owned()),
        ("idle", "--web: 回答がないまま開始画面に戻るまでの秒数。既定: 60".to_owned()),
        ("audit", "--web: 監査記録のデータベース（既定: 状態ディレクトリ内）".to_owned()),
        ("script", "回答を FILE から1行ずつ読み、記録を表示する（暗証番号は伏せ字）".to_owned()),
        ("show_apdus", "最後にAPDUのやり取りを表示する（暗証番号は伏せ字）".to_owned()),
        ("lang", "表示の言語: ja または en（既定: LC_ALL、LC_MESSAGES、LANG が ja で始まれば日本語）".to_owned()),
    ];
    const OPTIONS: &str = "オプション";
    ja.into_iter()
        .fold(cmd, |c, (id, help)| {
            c.mut_arg(id, |a| a.help(help).help_heading(OPTIONS))
        })
        // The place's values and default are explained in its Japanese help.
        .mut_arg("place", |a| {
            a.hide_possible_values(true).hide_default_value(true)
        })
        .mut_arg("listen", |a| a.hide_default_value(true))
        .mut_arg("idle", |a| a.hide_default_value(true))
        // clap's own flag, in Japanese too.
        .disable_help_flag(true)
        .arg(
            clap::Arg::new("help")
                .short('h')
                .long("help")
                .action(clap::ArgAction::Help)
                .help("ヘルプを表示する")
                .help_heading(OPTIONS),
        )
        .help_template("{about-with-newline}\n使い方: {usage}\n\n{all-args}{after-help}")
        .about("マイナンバーカード 暗証番号の再設定（代替の端末認証であり、実際の発行者プロトコルではありません）")
}

/// `--web`: the appliance ([`mynacard_kiosk::web`]).
fn web(opts: &Opts, lang: Lang) -> ExitCode {
    let refused = if opts.show_apdus {
        Some("--show-apdus")
    } else if opts.script.is_some() {
        Some("--script")
    } else {
        None
    };
    if let Some(o) = refused {
        match lang {
            Lang::Ja => eprintln!("kiosk: {o} は --web と一緒には使えません"),
            Lang::En => eprintln!("kiosk: {o} cannot be used with --web"),
        }
        return ExitCode::from(2);
    }
    let readers = match opts.reader.as_deref() {
        None => web::Readers::Virtual(
            opts.sim_state
                .clone()
                .unwrap_or_else(mynacard::sim::default_state_path),
        ),
        Some(r) if r.eq_ignore_ascii_case("all") => web::Readers::All,
        Some(list) => web::Readers::Named(
            list.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
    };
    let (place, role) = place_and_role(opts);
    let options = web::Options {
        listen: opts.listen,
        idle: std::time::Duration::from_secs(opts.idle),
        audit: opts.audit.clone().unwrap_or_else(web::default_audit_path),
        place,
        authority: std::sync::Arc::new(move || Box::new(StandInAuthority::new(role))),
        readers,
        lang,
    };
    match web::serve(options, &mut std::io::stdout()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kiosk: {}", e.message(lang));
            ExitCode::from(e.exit_code())
        }
    }
}

fn main() -> ExitCode {
    // `myna-kiosk audit verify|export …`: the audit trail's own subcommand.
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if args.first().is_some_and(|a| a == "audit") {
        return mynacard_kiosk::audit::cli(&args[1..], Lang::from_env());
    }
    let lang = lang_in_args().unwrap_or_else(Lang::from_env);
    let parsed = command(lang)
        .try_get_matches()
        .and_then(|m| Opts::from_arg_matches(&m));
    let opts = match parsed {
        Ok(o) => o,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let lang = opts.lang.unwrap_or(lang);
    if opts.web {
        return web(&opts, lang);
    }
    let mut console: Box<dyn Console> = match &opts.script {
        Some(path) => match File::open(path) {
            Ok(f) => Box::new(ScriptConsole::new(BufReader::new(f), std::io::stdout())),
            Err(e) => {
                match lang {
                    Lang::Ja => eprintln!(
                        "kiosk: 回答のスクリプト {} を読み取れません: {e}",
                        path.display()
                    ),
                    Lang::En => {
                        eprintln!("kiosk: cannot read the script {}: {e}", path.display())
                    }
                }
                return ExitCode::from(2);
            }
        },
        None => Box::new(TerminalConsole),
    };
    let config = config(&opts, lang);
    let mut log: Option<ExchangeLog> = None;
    let mut open = || -> Result<AnyCard, String> {
        let transport = open_backend(&opts, lang)?;
        if opts.show_apdus {
            let recorder = Recorder::new(transport);
            log = Some(recorder.log());
            Ok(Card::new(Box::new(recorder) as Box<dyn Transport>))
        } else {
            Ok(Card::new(transport))
        }
    };
    let outcome = mynacard_kiosk::console::run(config, console.as_mut(), &mut open);
    if let Some(log) = log {
        console.say("");
        console.say(&match lang {
            Lang::Ja => format!("APDUのやり取り（{}件、暗証番号は伏せ字）:", log.len()),
            Lang::En => format!("APDU exchanges ({}; PINs masked):", log.len()),
        });
        for e in log.entries() {
            console.say(&format!("  {e}"));
        }
    }
    ExitCode::from(outcome.exit_code())
}
