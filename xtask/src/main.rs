//! `xtask exchange-report`: the exchange report: every operation on the virtual card, in each combination of what the
//! card and reader accept, with its exchanges, bytes and estimated contactless time beside the
//! minimum the card's command set allows and a naive client's figures. Prints docs/PERFORMANCE.md:
//!
//! ```sh
//! cargo run --release -p xtask -- exchange-report > docs/PERFORMANCE.md
//! ```
//!
//! With `--criterion DIR` (criterion's output, `target/criterion` after `cargo bench`), a section
//! with the benchmark figures is appended.
//!
//! `xtask kiosk-screenshots [--out DIR]`: every screen of `myna-kiosk --web` in Japanese and
//! English, as PNGs in `docs/kiosk/` (see `screenshots.rs`):
//!
//! ```sh
//! cargo xtask kiosk-screenshots
//! ```

mod criterion;
mod report;
mod screenshots;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        Some("exchange-report") => {}
        Some("kiosk-screenshots") => {
            let rest: Vec<String> = args.collect();
            return match screenshots::main(&rest) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("kiosk-screenshots: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        _ => {
            eprintln!(
                "usage: xtask exchange-report [--criterion DIR] | kiosk-screenshots [--out DIR]"
            );
            return ExitCode::from(2);
        }
    }
    let mut criterion_dir = None;
    while let Some(a) = args.next() {
        match (a.as_str(), args.next()) {
            ("--criterion", Some(dir)) => criterion_dir = Some(PathBuf::from(dir)),
            _ => {
                eprintln!("usage: xtask exchange-report [--criterion DIR]");
                return ExitCode::from(2);
            }
        }
    }
    let r = match report::report() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("exchange_report: {e}");
            return ExitCode::FAILURE;
        }
    };
    print!("{}", report::render::markdown(&r));
    if let Some(dir) = criterion_dir {
        match criterion::section(&dir) {
            Ok(s) => print!("\n{s}"),
            Err(e) => {
                eprintln!("exchange_report: {}: {e}", dir.display());
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
