//! The exchange report's rows, checked: every operation in every combination is at the minimum
//! the card's command set allows, sends exactly the minimum's commands, and, once the session
//! knows what the card accepts, is never above the naive client, in exchanges or estimated time.
//! Exchange counts are deterministic, so these are exact checks. The committed
//! docs/PERFORMANCE.md must be the report's current output.

#[allow(dead_code)]
#[path = "../src/report/mod.rs"]
mod report;

use std::sync::OnceLock;

use report::{Measured, Report, Row};

fn measured() -> &'static Report {
    static R: OnceLock<Report> = OnceLock::new();
    R.get_or_init(|| report::report().unwrap_or_else(|e| panic!("{e}")))
}

fn describe(row: &Row) -> String {
    format!(
        "{} / {}: library {} exchanges {:?}, minimum {} [{}], naive {}",
        row.op,
        row.combo.name,
        row.library.figures.exchanges,
        row.library
            .records
            .iter()
            .map(|r| format!(
                "{:02X}{}",
                r.ins().unwrap_or(0),
                if r.refused() { "✗" } else { "" }
            ))
            .collect::<Vec<_>>(),
        row.minimum.len(),
        report::model::summary(&row.minimum),
        row.naive.figures.exchanges,
    )
}

#[test]
fn every_row_is_at_its_minimum_and_never_above_the_naive_client() {
    let r = measured();
    assert_eq!(r.main.len(), 17 * report::MAIN.len());
    for row in &r.main {
        let (lib, naive) = (&row.library.figures, &row.naive.figures);
        assert_eq!(lib.exchanges, row.minimum.len(), "{}", describe(row));
        assert!(row.follows_minimum(), "{}", describe(row));
        assert!(lib.exchanges <= naive.exchanges, "{}", describe(row));
        assert!(
            lib.ms <= naive.ms + 1e-9,
            "{}: {} ms",
            describe(row),
            lib.ms
        );
        // Nothing is refused once the session knows what the card accepts.
        assert!(
            row.library.records.iter().all(|x| !x.refused()),
            "{}",
            describe(row)
        );
    }
}

#[test]
fn at_first_contact_the_only_extra_cost_is_learning() {
    let r = measured();
    assert_eq!(r.first_contact.len(), 17 * report::FIRST_CONTACT.len());
    for row in &r.first_contact {
        let lib = row.library.figures.exchanges;
        assert_eq!(lib, row.minimum.len(), "{}", describe(row));
        assert!(row.follows_minimum(), "{}", describe(row));
        // Each refused feature is tried once: at most one refusal for SFI, one for extended
        // length, and none for what the card accepts or the reader says it cannot carry.
        let refused = row.library.records.iter().filter(|x| x.refused()).count();
        let max =
            usize::from(!row.combo.sfi) + usize::from(!row.combo.card_ext && row.combo.reader_ext);
        assert!(refused <= max, "{}", describe(row));
        // Above the naive client only by those refusals.
        assert!(
            lib - refused <= row.naive.figures.exchanges,
            "{}",
            describe(row)
        );
        // With the card's real capabilities, first contact costs what the main table says.
        if row.combo.sfi && (row.combo.card_ext || !row.combo.reader_ext) {
            let known = r
                .main
                .iter()
                .find(|m| m.op == row.op && m.combo.sfi && m.combo.ext() == row.combo.ext())
                .expect("a main row");
            assert_eq!(lib, known.library.figures.exchanges, "{}", describe(row));
        }
    }
}

/// Spot checks of the minimum, counted by hand from [card facts](mynacard::card_facts) rather than
/// by the model, so that the model and the library cannot drift together.
#[test]
fn the_minimum_matches_hand_counts() {
    let r = measured();
    let min = |op: &str, combo: &str| {
        r.main
            .iter()
            .find(|x| x.op.starts_with(op) && x.combo.name == combo)
            .unwrap_or_else(|| panic!("{op} / {combo}"))
            .minimum
            .len()
    };
    let vc = mynacard::sim::VirtualCard::new();
    let size = |fid: u16| match vc.file(mynacard::sim::App::Jpki, fid) {
        Some(mynacard::sim::Ef::Binary { data, .. }) => data.len(),
        _ => panic!("{fid:04X}"),
    };
    let chunks = |fid: u16| size(fid).div_ceil(256);
    // SELECT JPKI + one extended READ BINARY by SFI.
    assert_eq!(
        min("read the user-authentication certificate", "SFI + ext"),
        2
    );
    // SELECT JPKI + 256-byte reads, the first by SFI.
    assert_eq!(
        min("read the user-authentication certificate", "SFI, no ext"),
        1 + chunks(0x000A)
    );
    // SELECT JPKI + SELECT EF + 256-byte reads.
    assert_eq!(
        min("read the signature CA certificate", "no SFI, no ext"),
        2 + chunks(0x0002)
    );
    // Four applications, five key references.
    assert_eq!(min("status of all four PINs", "SFI + ext"), 4 + 5);
    assert_eq!(min("status of all four PINs", "no SFI, ext"), 4 + 5 + 5);
    // SELECT, status, VERIFY, READ certificate, SIGN.
    assert_eq!(min("sign with the user-authentication key", "SFI + ext"), 5);
    // SELECT, SELECT EF, status, VERIFY, CHANGE REFERENCE DATA, whether or not SFI works.
    assert_eq!(min("change the user-authentication PIN", "SFI + ext"), 5);
    assert_eq!(
        min("change the user-authentication PIN", "no SFI, no ext"),
        5
    );
    // SELECT, GET CHALLENGE, EXTERNAL AUTHENTICATE, RESET RETRY COUNTER, status.
    assert_eq!(
        min("reset the blocked user-authentication PIN", "SFI + ext"),
        5
    );
    // SELECT text, status, VERIFY, READ 0001 (17 bytes), READ 0003 (336 bytes, extended).
    assert_eq!(min("read the My Number", "SFI + ext"), 5);
    assert_eq!(min("read the My Number", "SFI, no ext"), 6);
}

#[test]
fn the_committed_report_is_current() {
    let text = report::render::markdown(measured());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/PERFORMANCE.md");
    let doc = std::fs::read_to_string(path).unwrap_or_default();
    // A benchmark section may follow (`--criterion`); everything before it is generated.
    assert!(
        doc.starts_with(&text),
        "docs/PERFORMANCE.md is stale; regenerate it with `{}`",
        report::render::COMMAND
    );
    // The main tables flag nothing.
    let main = &text[..text
        .find("## First contact")
        .expect("a first-contact section")];
    assert!(!main.contains("✗min") && !main.contains("✗naive"));
}

#[test]
fn master_file_and_secure_messaging_counts_match_hand_counts() {
    let r = measured();
    let count = |op: &str, combo: &str| {
        r.mf_sm
            .iter()
            .find(|l| l.op.starts_with(op) && l.combo.name == combo)
            .unwrap_or_else(|| panic!("no line {op} / {combo}"))
            .result
            .as_ref()
            .map(Vec::len)
            .map_err(Clone::clone)
    };
    // SELECT issuer security domain, GET DATA F8, GET DATA 7F21 (extended Le).
    assert_eq!(
        count("read and verify the master-file CV chain", "SFI + ext"),
        Ok(3)
    );
    // Plain: SELECT, status, VERIFY, READ 0002 (SFI); + READ 0003 with the digest check.
    assert_eq!(
        count(
            "read the basic four, plain (text-assist PIN, no digest",
            "SFI + ext"
        ),
        Ok(4)
    );
    assert_eq!(
        count(
            "read the basic four, plain (text-assist PIN, digest",
            "SFI + ext"
        ),
        Ok(5)
    );
    // SM: SELECT, status, VERIFY, READ 0006 (SFI), SET SESSION KEY, SM SELECT, SM READ.
    assert_eq!(
        count("read the basic four through secure messaging", "SFI + ext"),
        Ok(7)
    );
    // Without extended length neither the chain nor a session can be had.
    assert!(count("read and verify the master-file CV chain", "SFI, no ext").is_err());
    assert!(count(
        "read the basic four through secure messaging",
        "no SFI, no ext"
    )
    .is_err());
}
