//! The exchange report's measurement code, shared by `cargo run -p xtask -- exchange-report`, which prints
//! it as docs/PERFORMANCE.md, and by `tests/exchange_report.rs`, which checks every row.
//!
//! Every row runs an operation twice on a fresh virtual card behind a [`meter::Meter`]: once
//! through the library, once through the [`naive`] client. Beside them stands the minimum that
//! [`model`] derives from the operation's [`model::Step`]s.

pub mod meter;
pub mod mfsm;
pub mod model;
pub mod naive;
pub mod ops;
pub mod render;
pub mod timing;

use mynacard::session::{Capabilities, Support};
use mynacard::sim::{SimOptions, VirtualCard};
use mynacard::Card;

pub use meter::Measured;
use meter::{Meter, Record};
use model::Planned;
use ops::Operation;
use timing::Figures;

/// What the card and the reader accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Combo {
    /// Its name in the report.
    pub name: &'static str,
    /// The card accepts short EF identifiers.
    pub sfi: bool,
    /// The card accepts extended length (if not, it answers `6700`).
    pub card_ext: bool,
    /// The reader carries extended length (if not, it says so and nothing is sent).
    pub reader_ext: bool,
}

impl Combo {
    /// Whether extended length works end to end.
    pub fn ext(&self) -> bool {
        self.card_ext && self.reader_ext
    }
}

const fn combo(name: &'static str, sfi: bool, card_ext: bool, reader_ext: bool) -> Combo {
    Combo {
        name,
        sfi,
        card_ext,
        reader_ext,
    }
}

/// The main tables: SFI yes or no, times extended length yes or no, known to the session. "No
/// extended length" is the same there whichever side lacks it.
pub const MAIN: [Combo; 4] = [
    combo("SFI + ext", true, true, true),
    combo("SFI, no ext", true, false, false),
    combo("no SFI, ext", false, true, true),
    combo("no SFI, no ext", false, false, false),
];

/// First contact: the six ways the two features can be missing, learnt by the session.
pub const FIRST_CONTACT: [Combo; 6] = [
    combo("SFI + ext", true, true, true),
    combo("SFI, card refuses ext", true, false, true),
    combo("SFI, reader without ext", true, true, false),
    combo("no SFI, ext", false, true, true),
    combo("no SFI, card refuses ext", false, false, true),
    combo("no SFI, reader without ext", false, true, false),
];

/// What the session knows of the card when the row starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Knowledge {
    /// What the card and reader accept (as learnt earlier, or preset with
    /// `Session::set_capabilities`); nothing selected, nothing read.
    Known,
    /// Nothing: a session meeting this card for the first time.
    FirstContact,
}

/// One client's run of one operation.
#[derive(Debug, Clone)]
pub struct Run {
    /// Totals and estimated time.
    pub figures: Figures,
    /// Every exchange.
    pub records: Vec<Record>,
    /// What the operation produced (digests, or the card's state afterwards).
    pub outcome: String,
}

/// One row of the report, in one combination.
#[derive(Debug, Clone)]
pub struct Row {
    /// The operation's name.
    pub op: &'static str,
    /// The combination.
    pub combo: Combo,
    /// The library's run.
    pub library: Run,
    /// The naive client's run.
    pub naive: Run,
    /// The minimum, command by command.
    pub minimum: Vec<Planned>,
}

impl Row {
    /// Whether the library sent exactly the minimum's commands: the same instructions in the
    /// same order, refused where the minimum is refused.
    pub fn follows_minimum(&self) -> bool {
        self.library.records.len() == self.minimum.len()
            && self
                .library
                .records
                .iter()
                .zip(&self.minimum)
                .all(|(r, p)| r.ins() == Some(p.ins) && r.refused() == p.refused)
    }
}

/// A fresh virtual card with the combination's switches, prepared by `op`.
pub fn card(op: &Operation, c: Combo) -> VirtualCard {
    let mut vc = VirtualCard::new().with_options(SimOptions {
        sfi: c.sfi,
        extended: c.card_ext,
        reader_extended: c.reader_ext,
        chunk_responses: None,
    });
    (op.setup)(&mut vc);
    vc
}

fn support(yes: bool) -> Support {
    if yes {
        Support::Yes
    } else {
        Support::No
    }
}

/// The library doing `op`.
pub fn run_library(op: &Operation, c: Combo, k: Knowledge) -> Result<Run, String> {
    let mut lib = Card::new(Meter::new(card(op, c)));
    if k == Knowledge::Known {
        lib.session_mut().set_capabilities(Capabilities {
            sfi: support(c.sfi),
            extended: support(c.ext()),
        });
    }
    let outcome = (op.library)(&mut lib).map_err(|e| format!("{}, {}: {e}", op.name, c.name))?;
    let records = lib.session().transport().log().entries();
    if lib.exchanges() as usize != records.len() {
        return Err(format!(
            "{}: the session counted {} exchanges, the transport saw {}",
            op.name,
            lib.exchanges(),
            records.len()
        ));
    }
    Ok(Run {
        figures: timing::figures(&records),
        records,
        outcome,
    })
}

/// The library running `f` on `vc`, the capabilities of `c` known: its exchanges, or its error.
pub fn run_with(
    vc: VirtualCard,
    c: Combo,
    f: impl FnOnce(&mut ops::LibCard) -> Result<(), String>,
) -> Result<Vec<meter::Record>, String> {
    let mut lib = Card::new(Meter::new(vc));
    lib.session_mut().set_capabilities(Capabilities {
        sfi: support(c.sfi),
        extended: support(c.ext()),
    });
    f(&mut lib)?;
    Ok(lib.session().transport().log().entries())
}

/// The naive client doing `op`.
pub fn run_naive(op: &Operation, c: Combo) -> Result<Run, String> {
    let mut meter = Meter::new(card(op, c));
    let outcome = (op.naive)(&mut naive::Naive::new(&mut meter))
        .map_err(|e| format!("{} (naive), {}: {e}", op.name, c.name))?;
    Ok(Run {
        figures: timing::figures(&meter.log().entries()),
        records: meter.log().entries(),
        outcome,
    })
}

/// Every operation in every combination.
pub fn measure(combos: &[Combo], k: Knowledge) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for op in ops::operations() {
        for c in combos {
            let minimum = model::minimum(op.steps, &card(&op, *c), *c, k);
            let library = run_library(&op, *c, k)?;
            let naive = run_naive(&op, *c)?;
            // Neither may be cheaper by doing less.
            if library.outcome != naive.outcome {
                return Err(format!(
                    "{}, {}: the library's outcome ({}) differs from the naive client's ({})",
                    op.name, c.name, library.outcome, naive.outcome
                ));
            }
            rows.push(Row {
                op: op.name,
                combo: *c,
                library,
                naive,
                minimum,
            });
        }
    }
    Ok(rows)
}

/// The whole report.
#[derive(Debug, Clone)]
pub struct Report {
    /// Rows of the main tables ([`MAIN`], capabilities known).
    pub main: Vec<Row>,
    /// Rows of the first-contact table ([`FIRST_CONTACT`]).
    pub first_contact: Vec<Row>,
    /// The master-file chain and the secure-messaging read ([`mfsm`]).
    pub mf_sm: Vec<mfsm::Line>,
}

/// Measures everything.
pub fn report() -> Result<Report, String> {
    Ok(Report {
        main: measure(&MAIN, Knowledge::Known)?,
        first_contact: measure(&FIRST_CONTACT, Knowledge::FirstContact)?,
        mf_sm: mfsm::measure(),
    })
}
