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
//! (Ctrl-C) and logs each exchange to standard error, PINs masked. With `--stdin-control` it
//! reads `remove`, `insert` and `stop` from standard input, one a line, to pull the card out of
//! the reader and put it back.

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
    let server_args_stdin_control = args.stdin_control;
    let server = match Server::new(args, Box::new(std::io::stderr())) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("myna-virtual-card: {e}");
            return ExitCode::from(1);
        }
    };
    if server_args_stdin_control {
        let control = server.stop_handle();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::stdin().lock().lines() {
                let Ok(line) = line else { break };
                if let Err(e) = control.command(&line) {
                    eprintln!("myna-virtual-card: {e}");
                }
            }
        });
    }
    match server.run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("myna-virtual-card: {e}");
            ExitCode::from(1)
        }
    }
}
