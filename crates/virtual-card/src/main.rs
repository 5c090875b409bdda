//! `myna-virtual-card`: the virtual My Number Card in a real PC/SC reader slot.
//!
//! ```text
//! pcscd -f &                                   # with vsmartcard-vpcd installed
//! cargo run -p mynacard-virtual-card           # the card appears in "Virtual PCD 00 00"
//! opensc-tool --name                           # any PC/SC program now sees a My Number Card
//! cargo run -p mynacard-cli --features pcsc -- --reader auto status
//! ```
//!
//! See the library [`mynacard_virtual_card`] for what it serves and how. It runs until stopped
//! (Ctrl-C) and logs each exchange to standard error, PINs masked.

use std::process::ExitCode;

use mynacard_virtual_card::{Args, Server};

fn main() -> ExitCode {
    let args = match Args::parse_from(std::env::args_os()) {
        Ok(a) => a,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let server = match Server::new(args, Box::new(std::io::stderr())) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("myna-virtual-card: {e}");
            return ExitCode::from(1);
        }
    };
    match server.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("myna-virtual-card: {e}");
            ExitCode::from(1)
        }
    }
}
