//! The master-file chain and the secure-messaging read of the basic four, beside the plain read
//! ([card facts §12](mynacard::card_facts#s12)): the library on the virtual card in every main
//! combination, exchange by exchange. No naive client or derived minimum here: the rows are the
//! library's own counts.

use std::fmt::Write;

use mynacard::credential::TextAssistPin;
use mynacard::text_assist::{TextAssistKey, TextAssistOptions};
use mynacard::LastTry;

use super::meter::Record;
use super::ops::LibCard;
use super::{card, run_with, Combo, MAIN};

/// One operation of this section.
pub struct MfSmOp {
    /// Its name.
    pub name: &'static str,
    /// The library doing it.
    pub run: fn(&mut LibCard) -> Result<(), String>,
}

/// One measured line: the operation in one combination, or why it cannot be done there.
#[derive(Debug, Clone)]
pub struct Line {
    /// The operation.
    pub op: &'static str,
    /// The combination.
    pub combo: Combo,
    /// The exchanges, or the library's error.
    pub result: Result<Vec<Record>, String>,
}

fn pin() -> TextAssistPin {
    TextAssistPin::parse(mynacard::sim::DEFAULT_PIN).expect("a valid PIN")
}

/// The operations.
pub fn operations() -> Vec<MfSmOp> {
    vec![
        MfSmOp {
            name: "read and verify the master-file CV chain (F8, 7F21)",
            run: |c| {
                let keys = mynacard::sim::mf::virtual_mf_issuer_keys();
                let chain = c.master_file().chain(&keys).map_err(|e| e.to_string())?;
                if chain.verdict.is_verified() {
                    Ok(())
                } else {
                    Err(format!("{:?}", chain.verdict))
                }
            },
        },
        MfSmOp {
            name: "read the basic four, plain (text-assist PIN, digest checked)",
            run: |c| {
                let p = pin();
                let mut t = c
                    .text_assist(TextAssistKey::Pin(&p), TextAssistOptions::default())
                    .map_err(|e| e.to_string())?;
                t.basic_four().map(|_| ()).map_err(|e| e.to_string())
            },
        },
        MfSmOp {
            name: "read the basic four, plain (text-assist PIN, no digest check)",
            run: |c| {
                let p = pin();
                let mut t = c
                    .text_assist(
                        TextAssistKey::Pin(&p),
                        TextAssistOptions {
                            check_digests: false,
                            ..Default::default()
                        },
                    )
                    .map_err(|e| e.to_string())?;
                t.basic_four().map(|_| ()).map_err(|e| e.to_string())
            },
        },
        MfSmOp {
            name: "read the basic four through secure messaging (text-assist PIN)",
            run: |c| {
                let mut sm = c
                    .secure_messaging(&pin(), LastTry::Refuse)
                    .map_err(|e| e.to_string())?;
                sm.basic_four().map(|_| ()).map_err(|e| e.to_string())
            },
        },
    ]
}

/// Every operation in every main combination.
pub fn measure() -> Vec<Line> {
    let mut out = Vec::new();
    for op in operations() {
        for c in MAIN {
            let result = run_with(card_for(c), c, |lib| (op.run)(lib));
            out.push(Line {
                op: op.name,
                combo: c,
                result,
            });
        }
    }
    out
}

fn card_for(c: Combo) -> mynacard::sim::VirtualCard {
    card(
        &super::ops::Operation {
            name: "",
            setup: |_| {},
            library: |_| Ok(String::new()),
            naive: |_| Ok(String::new()),
            steps: &[],
        },
        c,
    )
}

fn label(r: &Record) -> String {
    let c = &r.command;
    let sw = r.sw().map(|s| format!("{:04X}", s.0)).unwrap_or_default();
    let head = c
        .iter()
        .take(4)
        .map(|b| format!("{b:02X}"))
        .collect::<String>();
    format!("`{head}` → {sw}")
}

/// The section, in Markdown.
pub fn markdown(lines: &[Line]) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n## Master file and secure messaging\n\n\
         The library on the virtual card ([docs/card.md §12](card.md#s12)), exchanges per operation. The chain \
         needs extended length (the card refuses a short `Le` for `F8`/`7F21` with `6700`), and \
         so does secure messaging (SET SESSION KEY carries 256 bytes): without it they cannot be \
         done, and the library says so.\n"
    );
    let _ = write!(s, "| operation |");
    for c in MAIN {
        let _ = write!(s, " {} |", c.name);
    }
    let _ = write!(s, "\n|---|");
    for _ in MAIN {
        let _ = write!(s, "---|");
    }
    let _ = writeln!(s);
    let mut ops: Vec<&str> = Vec::new();
    for l in lines {
        if !ops.contains(&l.op) {
            ops.push(l.op);
        }
    }
    for op in &ops {
        let _ = write!(s, "| {op} |");
        for c in MAIN {
            let cell = lines
                .iter()
                .find(|l| l.op == *op && l.combo == c)
                .map(|l| match &l.result {
                    Ok(r) => r.len().to_string(),
                    Err(_) => "not possible".into(),
                })
                .unwrap_or_default();
            let _ = write!(s, " {cell} |");
        }
        let _ = writeln!(s);
    }
    let _ = writeln!(s, "\nCommands, {}:\n", MAIN[0].name);
    for op in &ops {
        if let Some(Ok(r)) = lines
            .iter()
            .find(|l| l.op == *op && l.combo == MAIN[0])
            .map(|l| &l.result)
        {
            let _ = writeln!(
                s,
                "* {op}: {}",
                r.iter().map(label).collect::<Vec<_>>().join(", ")
            );
        }
    }
    s
}
