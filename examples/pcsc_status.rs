//! The four PINs' retry counters on a real card, through the system's PC/SC service.
//!
//! Reading a counter spends no try. Needs feature `pcsc`, the system PC/SC library to build
//! (Debian: `libpcsclite-dev`) and a running PC/SC service (Debian: `pcscd`) with a reader.
//!
//! ```sh
//! cargo run --example pcsc_status --features pcsc             # the first reader with a card
//! cargo run --example pcsc_status --features pcsc -- PaSoRi   # a reader by (part of) its name
//! ```

use mynacard::pcsc::{self, Options, ReaderChoice};
use mynacard::Card;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let choice = match std::env::args().nth(1) {
        Some(name) => ReaderChoice::parse(&name),
        None => ReaderChoice::Auto,
    };
    // Shared access is enough for reading counters; waits up to 30 s for a reader and a card.
    let transport = pcsc::open(&choice, &Options::default(), &mut |notice| {
        eprintln!("{notice}")
    })?;
    println!("reader: {}", transport.reader());

    let mut card = Card::new(transport);
    for status in card.status_all()? {
        let tries = match status.tries_left() {
            Some(n) => format!("{n} of {} tries left", status.limit),
            None => "no retry counter".to_owned(),
        };
        let blocked = if status.is_blocked() {
            " (blocked)"
        } else {
            ""
        };
        println!("{}: {tries}{blocked}", status.kind);
    }
    Ok(())
}
