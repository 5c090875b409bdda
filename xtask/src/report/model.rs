//! The minimum the card's command set allows, derived per operation from what it must do
//! ([`Step`]s) and a few rules about the card, independently of the library's code. Each
//! planned command carries a short justification; [`RULES`] says why these are the fewest.

use mynacard::sim::{App, Ef, VirtualCard};

use super::{Combo, Knowledge};

/// What an operation must do, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Work in this application from here on.
    App(App),
    /// The key EF that a later CHANGE addresses as the current EF (rule 3).
    SelectForChange(u16),
    /// The lockout guard's status query (a case-1 VERIFY, which spends no try).
    Query(u16),
    /// VERIFY with a value.
    Verify(u16),
    /// CHANGE REFERENCE DATA (`false`) or CHANGE KEY (`true`) on the current key EF.
    Change(u16, bool),
    /// SIGN with the private-key EF.
    Sign(u16),
    /// The stand-in terminal authentication: GET CHALLENGE, EXTERNAL AUTHENTICATE.
    TerminalAuth,
    /// RESET RETRY COUNTER on a key EF.
    Reset(u16),
    /// Read a whole transparent file of the current application.
    Read(u16),
}

/// One command of the minimum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// Its instruction byte.
    pub ins: u8,
    /// Whether the card refuses it (the price of learning, first contact only).
    pub refused: bool,
    /// A short label: the command and how it addresses its file.
    pub label: String,
}

/// Why each command of the minimum is there and why there are no fewer: printed in the report.
pub const RULES: &[(&str, &str)] = &[
    (
        "R1 application",
        "Each row starts on a freshly powered card with nothing selected, so each application it \
         uses costs one SELECT by AID ([docs/card.md §1](card.md#s1)); selecting one forgets the EF, and coming \
         back to an application selects it again.",
    ),
    (
        "R2 addressing",
        "VERIFY, READ BINARY, SIGN and RESET RETRY COUNTER name their EF by its short identifier \
         where the card accepts SFI (P2 or P1 = 80|SFI, [docs/card.md §2](card.md#s2), [§5](card.md#s5)): no SELECT EF. \
         Without SFI, the EF is selected once (`00 A4 02 0C`) and every later command on it uses \
         P2 = 80. A READ BINARY by SFI also makes its EF the current one (ISO/IEC 7816-4).",
    ),
    (
        "R3 change",
        "CHANGE REFERENCE DATA and CHANGE KEY are documented only as P2 = 80 on the selected key \
         EF ([docs/card.md §4](card.md#s4)), so that EF is selected; it is selected before the status query, \
         which then, like VERIFY, needs no SFI.",
    ),
    (
        "R4 files",
        "A file of at most 256 bytes takes one short READ BINARY. A larger one takes one extended \
         READ BINARY (Le = 65536) where card and reader carry extended length ([docs/card.md §6](card.md#s6)), \
         and otherwise ceil(size / 256) short ones, since a short Le is at most 256 and the first \
         read's TLV header gives the size.",
    ),
    (
        "R5 guard",
        "Before each VERIFY the library reads the counter with a case-1 VERIFY, which spends no \
         try ([docs/card.md §3](card.md#s3)), and refuses a blocked PIN or its last try ([docs/ARCHITECTURE.md](ARCHITECTURE.md) invariant \
         2). It is part of every VERIFY here, for the library and the naive client alike.",
    ),
    (
        "R6 sign",
        "A signature is checked against the key's certificate, so the certificate is read once; \
         SIGN answers its 256 bytes in one short response ([docs/card.md §7](card.md#s7)).",
    ),
    (
        "R7 reset",
        "A reset authenticates the terminal per application (GET CHALLENGE, EXTERNAL \
         AUTHENTICATE: the stand-in of src/reset/stand_in.rs), sends RESET RETRY COUNTER, and \
         confirms the full counter with one status query.",
    ),
    (
        "R8 text assist",
        "The basic four and the My Number are checked against their digests in EF 0003, which is \
         read with them (the library's default).",
    ),
    (
        "R9 first contact",
        "A session that has never seen the card cannot know what it refuses: the contact ATR \
         `3B E0 00 FF 81 31 FE 45 14` has no historical bytes (T0 = E0: K = 0), so no \
         card-capabilities object. A feature the card refuses costs one refused exchange, the \
         first time it would save one, and is then remembered for the session; a card that checks \
         the length first answers an extended READ by SFI with 6700, which says nothing about \
         SFI. What the reader cannot carry it says itself (PC/SC part 10 dwMaxAPDUDataSize, \
         src/pcsc.rs), so that costs nothing.",
    ),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Known {
    Unknown,
    Yes,
    No,
}

struct Planner<'a> {
    card: &'a VirtualCard,
    combo: Combo,
    df: Option<App>,
    ef: Option<u16>,
    sfi: Known,
    ext: Known,
    out: Vec<Planned>,
}

fn app_name(app: App) -> &'static str {
    match app {
        App::Jpki => "JPKI",
        App::TextAssist => "text",
        App::Juki => "住基",
        App::Common => "共通",
        App::Surface => "surface",
    }
}

impl Planner<'_> {
    fn emit(&mut self, ins: u8, refused: bool, label: String) {
        self.out.push(Planned {
            ins,
            refused,
            label,
        });
    }

    fn select_ef(&mut self, fid: u16) {
        if self.ef != Some(fid) {
            self.emit(0xA4, false, format!("SELECT {fid:04X}"));
            self.ef = Some(fid);
        }
    }

    /// A command on `fid`, addressed as rule R2 says (with R9's probe at first contact);
    /// `detail` ends its label.
    fn addressed(&mut self, ins: u8, what: &str, fid: u16, detail: &str) {
        if self.ef == Some(fid) {
            self.emit(ins, false, format!("{what} {fid:04X}{detail}"));
            return;
        }
        if self.sfi != Known::No {
            if self.combo.sfi {
                self.sfi = Known::Yes;
                self.emit(ins, false, format!("{what} {fid:04X} by SFI{detail}"));
                return;
            }
            self.sfi = Known::No;
            self.emit(ins, true, format!("{what} {fid:04X} by SFI refused (6A86)"));
        }
        self.select_ef(fid);
        self.emit(ins, false, format!("{what} {fid:04X}{detail}"));
    }

    fn file_len(&self, fid: u16) -> usize {
        let app = self.df.expect("a read happens in an application");
        match self.card.file(app, fid) {
            Some(Ef::Binary { data, .. }) => data.len(),
            other => panic!("{app:?}/{fid:04X} is not a transparent file: {other:?}"),
        }
    }

    fn read(&mut self, fid: u16) {
        let n = self.file_len(fid);
        if n > 256 && self.ext != Known::No {
            if self.combo.card_ext {
                self.ext = Known::Yes;
                self.addressed(0xB0, "READ", fid, &format!(", extended ({n} B)"));
                self.ef = Some(fid);
                return;
            }
            // First contact with a card that refuses extended length (R9). It checks the length
            // first: by SFI or not, the answer is 6700.
            self.ext = Known::No;
            let how = if self.ef == Some(fid) {
                ""
            } else if self.sfi != Known::No {
                " by SFI"
            } else {
                self.select_ef(fid);
                ""
            };
            self.emit(
                0xB0,
                true,
                format!("READ {fid:04X}{how}, extended, refused (6700)"),
            );
        }
        let chunks = n.div_ceil(256).max(1);
        self.addressed(0xB0, "READ", fid, &format!(" ({} B)", n.min(256)));
        self.ef = Some(fid);
        for i in 1..chunks {
            let len = (n - 256 * i).min(256);
            self.emit(
                0xB0,
                false,
                format!("READ {fid:04X} at {} ({len} B)", 256 * i),
            );
        }
    }

    fn step(&mut self, s: Step) {
        match s {
            Step::App(app) => {
                if self.df != Some(app) {
                    self.emit(0xA4, false, format!("SELECT {}", app_name(app)));
                    self.df = Some(app);
                    self.ef = None;
                }
            }
            Step::SelectForChange(fid) => self.select_ef(fid),
            Step::Query(fid) => self.addressed(0x20, "status", fid, ""),
            Step::Verify(fid) => self.addressed(0x20, "VERIFY", fid, ""),
            Step::Change(fid, key) => {
                self.select_ef(fid);
                let (ins, name) = if key {
                    (0x32, "CHANGE KEY")
                } else {
                    (0x24, "CHANGE REFERENCE DATA")
                };
                self.emit(ins, false, format!("{name} {fid:04X}"));
            }
            Step::Sign(fid) => self.addressed(0x2A, "SIGN", fid, ""),
            Step::TerminalAuth => {
                self.emit(0x84, false, "GET CHALLENGE".into());
                self.emit(0x82, false, "EXTERNAL AUTHENTICATE".into());
            }
            Step::Reset(fid) => self.addressed(0x2C, "RESET RETRY COUNTER", fid, ""),
            Step::Read(fid) => self.read(fid),
        }
    }
}

/// The fewest commands that do `steps` on `card` (for file sizes) in `combo`.
pub fn minimum(steps: &[Step], card: &VirtualCard, combo: Combo, k: Knowledge) -> Vec<Planned> {
    let (sfi, ext) = match k {
        Knowledge::Known => (
            if combo.sfi { Known::Yes } else { Known::No },
            if combo.ext() { Known::Yes } else { Known::No },
        ),
        Knowledge::FirstContact => (
            Known::Unknown,
            if combo.reader_ext {
                Known::Unknown
            } else {
                Known::No
            },
        ),
    };
    let mut p = Planner {
        card,
        combo,
        df: None,
        ef: None,
        sfi,
        ext,
        out: Vec::new(),
    };
    for s in steps {
        p.step(*s);
    }
    p.out
}

/// The labels joined, runs of reads at successive offsets shortened.
pub fn summary(plan: &[Planned]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < plan.len() {
        let p = &plan[i];
        // "READ 000A at 256 (256 B)", "READ 000A at 512 (256 B)", ... → "+ 3 READs at 256.."
        if p.label.contains(" at ") {
            let mut j = i;
            while j + 1 < plan.len() && plan[j + 1].label.contains(" at ") {
                j += 1;
            }
            let n = j - i + 1;
            parts.push(if n == 1 {
                p.label.clone()
            } else {
                format!("{n} × READ at offsets")
            });
            i = j + 1;
            continue;
        }
        parts.push(if p.refused {
            format!("✗ {}", p.label)
        } else {
            p.label.clone()
        });
        i += 1;
    }
    parts.join(" · ")
}
