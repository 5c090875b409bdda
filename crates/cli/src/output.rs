//! Printing results as text or JSON.

use crate::exit::Failure;

/// Prints a failure to standard error (text) or standard output (JSON).
pub fn error(json: bool, f: &Failure) {
    if json {
        println!(
            "{}",
            serde_json::json!({
                "ok": false,
                "error": f.message,
                "exit_code": f.code,
                "tries_left": f.tries_left,
            })
        );
    } else {
        eprintln!("myna: {}", f.message);
    }
}

/// Prints a JSON value.
pub fn json(v: &serde_json::Value) {
    println!("{v}");
}
