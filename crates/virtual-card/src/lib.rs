//! The virtual My Number Card in a real PC/SC reader slot: the library behind `myna-virtual-card`.
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
//! presents the contact ATR of a real My Number Card (OpenSC's table,
//! [card facts §1](mynacard::card_facts#s1)), so programs that recognise the card by ATR (OpenSC's
//! JPKI driver) recognise it.
//!
//! Power: a power-off from the reader (for example a program disconnecting with "unpower")
//! clears the card's security status; a power-on starts a fresh power cycle; a reset is a
//! warm reset, which, as measured on the real card ([card facts §3](mynacard::card_facts#s3)), ends
//! the selection but keeps the security status of the current application until power is removed or
//! another application is selected.
//!
//! [`Server::run`] runs until stopped (Ctrl-C for the binary, [`StopHandle::stop`] in process),
//! reconnecting if pcscd restarts.
//!
//! Insert and remove: [`StopHandle::remove`] pulls the card out of the reader (the server closes
//! its connection to vpcd, which makes pcscd report the reader empty) and [`StopHandle::insert`]
//! puts it back (the server connects again); the card keeps its state file open in between, so
//! it comes back as the same card, with its security status cleared as by a power-off. The
//! binary takes the same commands on standard input with `--stdin-control` (a line `remove`,
//! `insert` or `stop`). Stopping the process and starting it again does the same from outside. Every counter change is
//! saved before the card answers, so stopping it at any point loses nothing. Each exchange is
//! logged (to standard error for the binary) with PINs masked and the data of file reads shown only by length.

//!
//! Integrators can run it inside their own test process, so that a test controls when the card
//! is inserted and pulled out:
//!
//! ```no_run
//! use mynacard_virtual_card::{Args, Server};
//!
//! let args = Args::parse_from(["myna-virtual-card", "--sim-state", "/tmp/card.json"])?;
//! let server = Server::new(args, Box::new(std::io::stderr()))?;
//! let stop = server.stop_handle();
//! let thread = std::thread::spawn(move || server.run());
//! // ... run the software under test against the reader "Virtual PCD 00 00" ...
//! stop.stop(); // the card is pulled out
//! thread.join().unwrap()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
// `missing_docs` is denied by the workspace lints (root Cargo.toml).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Parser, ValueEnum};
use mynacard::applets::jpki;
use mynacard::sim::vpcd::{self, Event, Icc};
use mynacard::sim::{Access, App, Ef, SimOptions, VirtualCard, ATR_CONTACT, ATR_CONTACTLESS};

/// The server's options: the command line of `myna-virtual-card`.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "myna-virtual-card",
    version,
    about = "Serve the virtual My Number Card to pcscd through vsmartcard's vpcd driver"
)]
pub struct Args {
    /// The virtual card's state file (default: the same as the myna CLI's).
    #[arg(long, value_name = "PATH")]
    pub sim_state: Option<PathBuf>,
    /// Where vpcd listens: the first slot is 127.0.0.1:35963, the second 127.0.0.1:35964.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:35963")]
    pub vpcd: String,
    /// Which published ATR to present.
    #[arg(long, value_enum, default_value_t = AtrKind::Contact)]
    pub atr: AtrKind,
    /// A DER certificate to serve as the JPKI user-authentication certificate (EF 000A).
    #[arg(long, value_name = "FILE")]
    pub auth_cert: Option<PathBuf>,
    /// A DER certificate to serve as its CA certificate (EF 000B).
    #[arg(long, value_name = "FILE")]
    pub auth_ca_cert: Option<PathBuf>,
    /// Refuse extended-length APDUs (answer 6700), as a stricter card would.
    #[arg(long)]
    pub no_extended: bool,
    /// Refuse short EF identifiers (answer 6A86), as a stricter card would.
    #[arg(long)]
    pub no_sfi: bool,
    /// Be another card that only looks like a My Number Card: the same ATR, but no JPKI
    /// application (every SELECT answers 6A82). Shows whether a program finds the card by its
    /// applications or merely by its ATR.
    #[arg(long)]
    pub decoy: bool,
    /// Do not log each exchange (power events and connections are still logged).
    #[arg(long)]
    pub quiet: bool,
    /// Exit when vpcd closes the connection, instead of reconnecting.
    #[arg(long)]
    pub once: bool,
    /// Read commands from standard input, one a line: `remove` pulls the card out of the reader
    /// (the server disconnects from vpcd and stays disconnected), `insert` puts it back, `stop`
    /// ends the server. For end-to-end tests of programs that watch the card come and go.
    #[arg(long)]
    pub stdin_control: bool,
}

/// Which published ATR the card presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AtrKind {
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
    atr_logged: bool,
    out: Box<dyn Write + Send>,
}

impl Log {
    fn line(&mut self, text: &str) {
        let t = self.start.elapsed();
        // A log that cannot be written must not stop the card.
        let _ = writeln!(
            self.out,
            "[{:>4}.{:03}] {text}",
            t.as_secs(),
            t.subsec_millis()
        );
        let _ = self.out.flush();
    }
    fn event(&mut self, e: Event<'_>) {
        match e {
            Event::PowerOff => self.line("power off (security status cleared)"),
            Event::PowerOn => self.line("power on"),
            Event::Reset => self.line("reset (warm: selection cleared)"),
            Event::Atr(atr) if !self.atr_logged => {
                self.atr_logged = true;
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

fn load_cert(card: &mut VirtualCard, fid: u16, path: &PathBuf) -> Result<(), Error> {
    let data = std::fs::read(path).map_err(|e| Error::Card(format!("{}: {e}", path.display())))?;
    if data.first() != Some(&0x30) {
        return Err(Error::Card(format!(
            "{}: not a DER certificate (it does not start with a SEQUENCE)",
            path.display()
        )));
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

fn build_card(args: &Args) -> Result<VirtualCard, Error> {
    let path = args
        .sim_state
        .clone()
        .unwrap_or_else(mynacard::sim::default_state_path);
    let mut card = VirtualCard::open(&path).map_err(|e| Error::Card(e.to_string()))?;
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

/// Why the server could not start or stopped.
#[derive(Debug)]
pub enum Error {
    /// The card could not be built: its state file, or a certificate given to it.
    Card(String),
    /// `--once`, and vpcd could not be reached.
    Unreachable {
        /// Where vpcd was expected.
        address: String,
        /// Why the connection failed.
        source: std::io::Error,
    },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Card(e) => f.write_str(e),
            Error::Unreachable { address, source } => {
                write!(f, "cannot reach vpcd at {address}: {source}")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Card(_) => None,
            Error::Unreachable { source, .. } => Some(source),
        }
    }
}

impl Args {
    /// Parses a command line (the first item is the program name), as the binary does.
    pub fn parse_from<I, T>(args: I) -> Result<Args, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        <Args as Parser>::try_parse_from(args)
    }
}

/// Controls a running [`Server`] from another thread: stops it, or pulls the card out of the
/// reader and puts it back.
#[derive(Debug, Clone)]
pub struct StopHandle {
    stopped: Arc<AtomicBool>,
    removed: Arc<AtomicBool>,
    connection: Arc<Mutex<Option<TcpStream>>>,
}

impl StopHandle {
    /// Asks the server to stop, and closes its connection to vpcd at once, so that pcscd sees the
    /// card leave. [`Server::run`] then returns.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.disconnect();
    }

    /// Pulls the card out: the server closes its connection to vpcd at once (pcscd then reports
    /// the reader empty, and the card loses its security status) and does not connect again
    /// until [`StopHandle::insert`]. The card and its state file stay open, so it comes back as
    /// the same card.
    pub fn remove(&self) {
        self.removed.store(true, Ordering::SeqCst);
        self.disconnect();
    }

    /// Puts the card back: the server connects to vpcd again, and pcscd reports a card inserted.
    pub fn insert(&self) {
        self.removed.store(false, Ordering::SeqCst);
    }

    /// Whether the card is pulled out ([`StopHandle::remove`]).
    pub fn is_removed(&self) -> bool {
        self.removed.load(Ordering::SeqCst)
    }

    /// Carries out one line of `--stdin-control`: `remove`, `insert` or `stop` (surrounding
    /// blanks ignored; an empty line does nothing). Anything else is refused with a message.
    pub fn command(&self, line: &str) -> Result<(), String> {
        match line.trim() {
            "" => {}
            "remove" => self.remove(),
            "insert" => self.insert(),
            "stop" => self.stop(),
            other => {
                return Err(format!(
                    "unknown control command {other:?}: expected remove, insert or stop"
                ))
            }
        }
        Ok(())
    }

    fn disconnect(&self) {
        if let Some(c) = self
            .connection
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            let _ = c.shutdown(Shutdown::Both);
        }
    }

    fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }
}

/// The virtual card (or a decoy), ready to be served into vpcd.
pub struct Server {
    args: Args,
    icc: Box<dyn Icc + Send>,
    log: Log,
    stop: StopHandle,
}

impl Server {
    /// Builds the card described by `args` (opening its state file, which it keeps locked while
    /// it lives); `log` receives one line per event.
    pub fn new(args: Args, log: Box<dyn Write + Send>) -> Result<Server, Error> {
        let mut log = Log {
            start: Instant::now(),
            quiet: args.quiet,
            atr_logged: false,
            out: log,
        };
        let icc: Box<dyn Icc + Send> = if args.decoy {
            Box::new(Decoy)
        } else {
            let c = build_card(&args)?;
            if let Some(p) = c.state_path() {
                log.line(&format!("state file {}", p.display()));
            }
            Box::new(c)
        };
        Ok(Server {
            args,
            icc,
            log,
            stop: StopHandle {
                stopped: Arc::new(AtomicBool::new(false)),
                removed: Arc::new(AtomicBool::new(false)),
                connection: Arc::new(Mutex::new(None)),
            },
        })
    }

    /// A handle that stops [`Server::run`] from another thread, or pulls the card out and puts
    /// it back.
    pub fn stop_handle(&self) -> StopHandle {
        self.stop.clone()
    }

    /// Connects to vpcd and serves the card until stopped (or, with `--once`, until vpcd closes
    /// the connection), reconnecting if pcscd restarts.
    pub fn run(mut self) -> Result<(), Error> {
        let atr: &[u8] = match self.args.atr {
            AtrKind::Contact => &ATR_CONTACT,
            AtrKind::Contactless => &ATR_CONTACTLESS,
        };
        let address = self.args.vpcd.clone();
        let mut waiting_told = false;
        while !self.stop.is_stopped() {
            if self.stop.is_removed() {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            }
            let stream = match TcpStream::connect(&address) {
                Ok(s) => s,
                Err(e) => {
                    if self.args.once {
                        return Err(Error::Unreachable { address, source: e });
                    }
                    if !waiting_told {
                        self.log.line(&format!(
                            "waiting for vpcd at {address} ({e}); is pcscd running with \
                             vsmartcard-vpcd?"
                        ));
                        waiting_told = true;
                    }
                    std::thread::sleep(Duration::from_millis(200));
                    continue;
                }
            };
            waiting_told = false;
            // Small messages go back and forth in lock-step: do not let Nagle's algorithm delay
            // them.
            let _ = stream.set_nodelay(true);
            *self
                .stop
                .connection
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = stream.try_clone().ok();
            if self.stop.is_stopped() {
                break;
            }
            if self.stop.is_removed() {
                // Pulled out while connecting: the connection closes unused.
                *self
                    .stop
                    .connection
                    .lock()
                    .unwrap_or_else(|p| p.into_inner()) = None;
                continue;
            }
            self.log.atr_logged = false;
            self.log.line(&format!(
                "connected to vpcd at {address}: the card is in the reader"
            ));
            let mut stream = VpcdStream(stream);
            let log = &mut self.log;
            let r = vpcd::serve(&mut stream, self.icc.as_mut(), atr, &mut |e| log.event(e));
            // The connection is gone: to the card, that is being pulled out.
            self.icc.power_off();
            *self
                .stop
                .connection
                .lock()
                .unwrap_or_else(|p| p.into_inner()) = None;
            if self.stop.is_removed() && !self.stop.is_stopped() {
                self.log
                    .line("the card is pulled out (until it is inserted again)");
                continue;
            }
            match r {
                Ok(()) => self.log.line("vpcd closed the connection"),
                Err(_) if self.stop.is_stopped() => {
                    self.log.line("stopped: the card is pulled out")
                }
                Err(e) => self.log.line(&format!("connection to vpcd lost: {e}")),
            }
            if self.args.once {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handle() -> StopHandle {
        StopHandle {
            stopped: Arc::new(AtomicBool::new(false)),
            removed: Arc::new(AtomicBool::new(false)),
            connection: Arc::new(Mutex::new(None)),
        }
    }

    #[test]
    fn control_lines_pull_the_card_out_put_it_back_and_stop() {
        let h = handle();
        h.command("  remove \n").unwrap();
        assert!(h.is_removed());
        h.command("").unwrap();
        assert!(h.is_removed());
        h.command("insert").unwrap();
        assert!(!h.is_removed());
        assert!(!h.is_stopped());
        let err = h.command("eject").unwrap_err();
        assert!(err.contains("\"eject\""), "{err}");
        assert!(!h.is_stopped() && !h.is_removed());
        h.command("stop").unwrap();
        assert!(h.is_stopped());
    }

    #[test]
    fn stdin_control_is_off_unless_asked() {
        assert!(
            !Args::parse_from(["myna-virtual-card"])
                .unwrap()
                .stdin_control
        );
        assert!(
            Args::parse_from(["myna-virtual-card", "--stdin-control"])
                .unwrap()
                .stdin_control
        );
    }
}
