//! Choosing the card: the virtual card (default) or a real reader (feature `pcsc`).

use std::path::PathBuf;

use mynacard::sim::VirtualCard;
use mynacard::transport::Transport;
use mynacard::Card;

use crate::exit::{self, Failure};
use crate::Cli;

/// The card the commands use.
pub type AnyCard = Card<Box<dyn Transport>>;

/// Where the virtual card's state lives by default: `$XDG_STATE_HOME/mynacard/virtual-card.json`
/// (or the platform's equivalent).
pub fn default_state_path() -> PathBuf {
    mynacard::sim::default_state_path()
}

/// Opens the backend named on the command line.
pub fn open(cli: &Cli) -> Result<AnyCard, Failure> {
    if let Some(reader) = &cli.reader {
        return open_reader(reader);
    }
    let path = cli.sim_state.clone().unwrap_or_else(default_state_path);
    let vc = VirtualCard::open(&path).map_err(|e| Failure::new(exit::NO_CARD, e.to_string()))?;
    Ok(Card::new(Box::new(vc) as Box<dyn Transport>))
}

#[cfg(not(feature = "pcsc"))]
fn open_reader(_reader: &str) -> Result<AnyCard, Failure> {
    Err(Failure::new(
        exit::NO_CARD,
        "real readers need feature `pcsc`: build with `cargo run --features pcsc --example myna -- \
         --reader auto status` (on Debian, install libpcsclite-dev, and pcscd to run)",
    ))
}

#[cfg(feature = "pcsc")]
fn open_reader(reader: &str) -> Result<AnyCard, Failure> {
    let _ = reader;
    Err(Failure::new(
        exit::NO_CARD,
        "the PC/SC backend is not built yet",
    ))
}
