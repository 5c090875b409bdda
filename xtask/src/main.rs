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

mod criterion;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    if args.next().as_deref() != Some("exchange-report") {
        eprintln!("usage: xtask exchange-report [--criterion DIR]");
        return ExitCode::from(2);
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
