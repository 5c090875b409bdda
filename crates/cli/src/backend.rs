//! Choosing the card: the virtual card (default) or a real reader (feature `pcsc`).

use std::path::PathBuf;
use std::sync::OnceLock;

use mynacard::sim::VirtualCard;
use mynacard::transport::{ExchangeLog, Recorder, Transport};
use mynacard::Card;

use crate::exit::{self, Failure};
use crate::i18n::{self, t, Msg};
use crate::output;
use crate::Cli;

/// The card the commands use.
pub type AnyCard = Card<Box<dyn Transport>>;

/// Where the virtual card's state lives by default (shared with `myna-virtual-card`).
pub fn default_state_path() -> PathBuf {
    mynacard::sim::default_state_path()
}

/// The exchange log of `--trace`.
static TRACE: OnceLock<ExchangeLog> = OnceLock::new();

/// Prints the exchanges recorded for `--trace` (secrets masked by the recorder) to standard
/// error; nothing without `--trace`.
pub fn print_trace() {
    if let Some(log) = TRACE.get() {
        output::note(t(Msg::Exchanges(log.len())));
        for e in log.entries() {
            output::note(e);
        }
    }
}

/// Opens the backend named on the command line.
pub fn open(cli: &Cli) -> Result<AnyCard, Failure> {
    let transport = if let Some(reader) = &cli.reader {
        open_reader(reader, cli)?
    } else {
        let path = cli.sim_state.clone().unwrap_or_else(default_state_path);
        let vc = VirtualCard::open(&path)
            .map_err(|e| Failure::new(exit::NO_CARD, e.message(i18n::lang())))?;
        Box::new(vc) as Box<dyn Transport>
    };
    if cli.trace {
        let recorder = Recorder::new(transport);
        let _ = TRACE.set(recorder.log());
        return Ok(Card::new(Box::new(recorder) as Box<dyn Transport>));
    }
    Ok(Card::new(transport))
}

#[cfg(not(feature = "pcsc"))]
fn open_reader(_reader: &str, _cli: &Cli) -> Result<Box<dyn Transport>, Failure> {
    Err(Failure::new(exit::NO_CARD, t(Msg::NeedsPcsc)))
}

/// Opens a real reader: `auto` finds the reader holding a My Number Card by selecting its JPKI
/// application. Commands that use a PIN connect exclusively, so that no other program can reach
/// the card while the PIN is verified; `status` connects shared.
#[cfg(feature = "pcsc")]
fn open_reader(reader: &str, cli: &Cli) -> Result<Box<dyn Transport>, Failure> {
    use mynacard::pcsc::{self, Options, ReaderChoice, Share};
    let share = match cli.command {
        crate::Command::Status => Share::Shared,
        _ => Share::Exclusive,
    };
    let options = Options {
        share,
        timeout: std::time::Duration::from_secs(cli.wait),
        ..Options::default()
    };
    let transport = pcsc::open(&ReaderChoice::parse(reader), &options, &mut |notice| {
        output::note(notice.message(i18n::lang()))
    })
    .map_err(|e| Failure::new(exit::NO_CARD, e.message(i18n::lang())))?;
    Ok(Box::new(transport) as Box<dyn Transport>)
}
