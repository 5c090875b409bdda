//! `virtual_card`: the virtual My Number Card in a real PC/SC reader slot.
//!
//! ```text
//! pcscd -f &                                  # with vsmartcard-vpcd installed
//! cargo run -p mynacard-virtual-card         # the card appears in "Virtual PCD 00 00"
//! opensc-tool --name                          # any PC/SC program now sees a My Number Card
//! cargo run -p mynacard-cli --features pcsc -- --reader auto status
//! ```
//!
//! It connects to vsmartcard's vpcd reader driver (inside pcscd) as the card, on
//! `127.0.0.1:35963` unless `--vpcd` says otherwise, and serves the crate's virtual card with
//! its persistent state (`--sim-state PATH`, by default the same file as the `myna` CLI). It
//! presents the contact ATR of a real My Number Card (OpenSC's table, card-facts.md §1), so
//! programs that recognise the card by ATR (OpenSC's JPKI driver) recognise it.
//!
//! Power: a power-off from the reader (for example a program disconnecting with "unpower")
//! clears the card's security status; a power-on starts a fresh power cycle; a reset is a
//! warm reset, which, as measured on the real card (card-facts.md §3), ends the selection but
//! keeps the security status of the current application until power is removed or another
//! application is selected.
//!
//! It runs until stopped (Ctrl-C), reconnecting if pcscd restarts. Every counter change is
//! saved before the card answers, so stopping it at any point loses nothing. Each exchange is
//! logged to standard error with PINs masked and the data of file reads shown only by length.

use std::cell::Cell;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use mynacard::applets::jpki;
use mynacard::sim::vpcd::{self, Event, Icc};
use mynacard::sim::{Access, App, Ef, SimOptions, VirtualCard, ATR_CONTACT, ATR_CONTACTLESS};

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(
    name = "virtual_card",
    about = "Serve the virtual My Number Card to pcscd through vsmartcard's vpcd driver"
)]
struct Args {
    /// The virtual card's state file (default: the same as the myna CLI's).
    #[arg(long, value_name = "PATH")]
    sim_state: Option<PathBuf>,
    /// Where vpcd listens: the first slot is 127.0.0.1:35963, the second 127.0.0.1:35964.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:35963")]
    vpcd: String,
    /// Which published ATR to present.
    #[arg(long, value_enum, default_value_t = AtrKind::Contact)]
    atr: AtrKind,
    /// A DER certificate to serve as the JPKI user-authentication certificate (EF 000A).
    #[arg(long, value_name = "FILE")]
    auth_cert: Option<PathBuf>,
    /// A DER certificate to serve as its CA certificate (EF 000B).
    #[arg(long, value_name = "FILE")]
    auth_ca_cert: Option<PathBuf>,
    /// Refuse extended-length APDUs (answer 6700), as a stricter card would.
    #[arg(long)]
    no_extended: bool,
    /// Refuse short EF identifiers (answer 6A86), as a stricter card would.
    #[arg(long)]
    no_sfi: bool,
    /// Be another card that only looks like a My Number Card: the same ATR, but no JPKI
    /// application (every SELECT answers 6A82). Shows whether a program finds the card by its
    /// applications or merely by its ATR.
    #[arg(long)]
    decoy: bool,
    /// Do not log each exchange (power events and connections are still logged).
    #[arg(long)]
    quiet: bool,
    /// Exit when vpcd closes the connection, instead of reconnecting.
    #[arg(long)]
    once: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum AtrKind {
    /// `3B E0 00 FF 81 31 FE 45 14`.
    Contact,
    /// `3B 88 80 01 00 00 05 E0 B3 81 A1 00 7F`, as a contactless reader presents it.
    Contactless,
}

/// A card with the My Number ATR and none of its applications.
struct Decoy;

impl Icc for Decoy {
    fn power_off(&mut self) {}
    fn power_on(&mut self) {}
    fn reset(&mut self) {}
    fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        match apdu {
            [_, 0xA4, ..] => vec![0x6A, 0x82],
            _ => vec![0x69, 0x86],
        }
    }
}

/// The vpcd socket. vpcd writes each message as two pieces (length, then payload); with delayed
/// ACKs on this side, Nagle's algorithm on vpcd's side would hold the second piece for ~40 ms.
/// So on Linux quick ACKs are switched on before every read (the kernel may switch them off).
struct VpcdStream(TcpStream);

impl Read for VpcdStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let _ = socket2::SockRef::from(&self.0).set_tcp_quickack(true);
        self.0.read(buf)
    }
}

impl Write for VpcdStream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

struct Log {
    start: Instant,
    quiet: bool,
    /// vpcd asks for the ATR every half second to see whether the card is still there: log it
    /// once per connection only.
    atr_logged: Cell<bool>,
}

impl Log {
    fn line(&self, text: &str) {
        let t = self.start.elapsed();
        eprintln!("[{:>4}.{:03}] {text}", t.as_secs(), t.subsec_millis());
    }
    fn event(&self, e: Event<'_>) {
        match e {
            Event::PowerOff => self.line("power off (security status cleared)"),
            Event::PowerOn => self.line("power on"),
            Event::Reset => self.line("reset (warm: selection cleared)"),
            Event::Atr(atr) if !self.atr_logged.replace(true) => {
                self.line(&format!("ATR {}", hex::encode_upper(atr)))
            }
            Event::Atr(_) => {}
            Event::Exchange(x) if !self.quiet => self.line(&vpcd::log_line(x)),
            Event::Exchange(_) => {}
            Event::BadFrame(f) => self.line(&format!("bad frame skipped: {f}")),
            _ => {}
        }
    }
}

fn load_cert(card: &mut VirtualCard, fid: u16, path: &PathBuf) -> Result<(), String> {
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if data.first() != Some(&0x30) {
        return Err(format!(
            "{}: not a DER certificate (it does not start with a SEQUENCE)",
            path.display()
        ));
    }
    card.put_file(
        App::Jpki,
        fid,
        Ef::Binary {
            data,
            access: Access::Free,
        },
    );
    Ok(())
}

fn build_card(args: &Args) -> Result<VirtualCard, String> {
    let path = args
        .sim_state
        .clone()
        .unwrap_or_else(mynacard::sim::default_state_path);
    let mut card = VirtualCard::open(&path).map_err(|e| e.to_string())?;
    card.set_options(SimOptions {
        sfi: !args.no_sfi,
        extended: !args.no_extended,
        ..SimOptions::default()
    });
    if let Some(p) = &args.auth_cert {
        load_cert(&mut card, jpki::AUTH_CERT.0, p)?;
    }
    if let Some(p) = &args.auth_ca_cert {
        load_cert(&mut card, jpki::AUTH_CA_CERT.0, p)?;
    }
    Ok(card)
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let log = Log {
        start: Instant::now(),
        quiet: args.quiet,
        atr_logged: Cell::new(false),
    };
    let mut icc: Box<dyn Icc> = if args.decoy {
        Box::new(Decoy)
    } else {
        match build_card(&args) {
            Ok(c) => {
                if let Some(p) = c.state_path() {
                    log.line(&format!("state file {}", p.display()));
                }
                Box::new(c)
            }
            Err(e) => {
                eprintln!("virtual_card: {e}");
                return ExitCode::from(1);
            }
        }
    };
    let atr: &[u8] = match args.atr {
        AtrKind::Contact => &ATR_CONTACT,
        AtrKind::Contactless => &ATR_CONTACTLESS,
    };
    let mut waiting_told = false;
    loop {
        let mut stream = match TcpStream::connect(&args.vpcd) {
            Ok(s) => VpcdStream(s),
            Err(e) => {
                if args.once {
                    eprintln!("virtual_card: cannot reach vpcd at {}: {e}", args.vpcd);
                    return ExitCode::from(1);
                }
                if !waiting_told {
                    log.line(&format!(
                        "waiting for vpcd at {} ({e}); is pcscd running with vsmartcard-vpcd?",
                        args.vpcd
                    ));
                    waiting_told = true;
                }
                std::thread::sleep(Duration::from_millis(500));
                continue;
            }
        };
        waiting_told = false;
        // Small messages go back and forth in lock-step: do not let Nagle's algorithm delay them.
        let _ = stream.0.set_nodelay(true);
        log.atr_logged.set(false);
        log.line(&format!(
            "connected to vpcd at {}: the card is in the reader",
            args.vpcd
        ));
        let r = vpcd::serve(&mut stream, icc.as_mut(), atr, &mut |e| log.event(e));
        // The connection is gone: to the card, that is being pulled out.
        icc.power_off();
        match r {
            Ok(()) => log.line("vpcd closed the connection"),
            Err(e) => log.line(&format!("connection to vpcd lost: {e}")),
        }
        if args.once {
            return ExitCode::SUCCESS;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
