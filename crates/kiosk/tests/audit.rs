//! The audit trail (`mynacard_kiosk::audit`) and the `myna-kiosk audit` subcommand: the chain
//! verifies when untouched, and every kind of tampering (an edited field, a deleted middle or
//! last row, swapped or inserted rows, a removed head) is named at its first bad row; appends
//! from two threads never fork the chain; the export round-trips; other files are refused.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mynacard::pin::PinKind;
use mynacard_kiosk::audit::{self, AuditError, Break, Entry, Trail};
use rusqlite::Connection;

fn trail_path() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.sqlite3");
    (dir, path)
}

/// 2026-12-06T17:20:03Z plus `secs`.
fn time(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_796_577_603 + secs)
}

fn entry(n: u32) -> Entry {
    Entry {
        time: time(u64::from(n)),
        station: format!("Virtual PCD 0{}", n % 2),
        place: "kiosk".into(),
        pin: Some(PinKind::Signature),
        route: Some("self-service+user_auth".into()),
        outcome: "done".into(),
        exchanges: 25 + n,
    }
}

/// A trail with `n` rows (ids 1..=n).
fn trail_with(path: &Path, n: u32) {
    let trail = Trail::open(path).unwrap();
    for i in 1..=n {
        assert_eq!(trail.append(&entry(i)).unwrap(), i64::from(i));
    }
}

/// Runs SQL on the file as someone tampering with it would: the append-only triggers dropped
/// first.
fn tamper(path: &Path, sql: &str) {
    let c = Connection::open(path).unwrap();
    c.execute_batch(
        "DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;",
    )
    .unwrap();
    c.execute_batch(sql).unwrap();
}

fn broken(path: &Path) -> (i64, Break) {
    match audit::verify(path) {
        Err(AuditError::Broken { row, why }) => (row, why),
        other => panic!("expected a broken chain, got {other:?}"),
    }
}

#[test]
fn appended_rows_verify_and_ids_count_from_one() {
    let (_d, path) = trail_path();
    assert_eq!(audit::verify(&path).map_err(|e| e.to_string()), {
        Err(format!("there is no audit trail at {}", path.display()))
    });
    {
        let trail = Trail::open(&path).unwrap();
        assert_eq!(audit::verify(&path).unwrap(), 0);
        assert_eq!(trail.append(&entry(1)).unwrap(), 1);
        let mut e = entry(2);
        e.pin = None;
        e.route = None;
        e.outcome = "card_pulled".into();
        assert_eq!(trail.append(&e).unwrap(), 2);
        assert_eq!(audit::verify(&path).unwrap(), 2);
    }
    // Reopened (as after a restart), the chain goes on.
    let trail = Trail::open(&path).unwrap();
    assert_eq!(trail.append(&entry(3)).unwrap(), 3);
    assert_eq!(audit::verify(&path).unwrap(), 3);
    let c = Connection::open(&path).unwrap();
    let (time, pin, route, prev): (String, Option<String>, Option<String>, Vec<u8>) = c
        .query_row(
            "SELECT time, pin, route, prev_hash FROM audit WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(time, "2026-12-06T17:20:04Z");
    assert_eq!(pin.as_deref(), Some("signature"));
    assert_eq!(route.as_deref(), Some("self-service+user_auth"));
    assert_eq!(prev, vec![0u8; 32], "row 1 follows 32 zero bytes");
    let (pin, route): (Option<String>, Option<String>) = c
        .query_row("SELECT pin, route FROM audit WHERE id = 2", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((pin, route), (None, None));
}

#[test]
fn every_pin_kind_is_stored_by_its_code() {
    let (_d, path) = trail_path();
    let trail = Trail::open(&path).unwrap();
    for kind in PinKind::ALL {
        let mut e = entry(1);
        e.pin = Some(kind);
        trail.append(&e).unwrap();
    }
    let c = Connection::open(&path).unwrap();
    let mut stmt = c.prepare("SELECT pin FROM audit ORDER BY id").unwrap();
    let pins: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(pins, ["signature", "user_auth", "residence", "text_assist"]);
}

#[cfg(unix)]
#[test]
fn the_file_is_created_0600_in_new_directories() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a").join("b").join("audit.sqlite3");
    Trail::open(&path).unwrap().append(&entry(1)).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let mode = std::fs::metadata(path.parent().unwrap())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
    // SQLite's journal, while a transaction writes, has the database's mode.
    let c = Connection::open(&path).unwrap();
    c.execute_batch("BEGIN IMMEDIATE; UPDATE head SET rows = rows + 1;")
        .unwrap();
    let journal = path.with_extension("sqlite3-journal");
    let mode = std::fs::metadata(&journal).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    c.execute_batch("ROLLBACK").unwrap();
    assert_eq!(audit::verify(&path).unwrap(), 1);
}

#[test]
fn plain_updates_and_deletes_are_refused_by_the_file_itself() {
    let (_d, path) = trail_path();
    trail_with(&path, 2);
    let c = Connection::open(&path).unwrap();
    let e = c
        .execute("UPDATE audit SET outcome = 'failed' WHERE id = 1", [])
        .unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    let e = c.execute("DELETE FROM audit WHERE id = 2", []).unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    assert_eq!(audit::verify(&path).unwrap(), 2);
}

#[test]
fn an_edited_field_breaks_the_chain_at_its_row() {
    let edits = [
        "time = '2026-12-06T17:20:00Z'",
        "station = 'Other Reader 00'",
        "place = 'counter'",
        "pin = 'user_auth'",
        "pin = NULL",
        "route = 'counter'",
        "route = NULL",
        "outcome = 'failed'",
        "exchanges = exchanges + 1",
        "prev_hash = zeroblob(32)",
        "hash = zeroblob(32)",
    ];
    for edit in edits {
        let (_d, path) = trail_path();
        trail_with(&path, 3);
        tamper(&path, &format!("UPDATE audit SET {edit} WHERE id = 2"));
        // Row 2's fields (its prev_hash included) no longer give its hash.
        assert_eq!(broken(&path), (2, Break::Altered), "{edit}");
    }
}

#[test]
fn a_hash_of_the_wrong_size_is_named_and_wrong_types_are_refused_by_sqlite() {
    let (_d, path) = trail_path();
    trail_with(&path, 3);
    tamper(&path, "UPDATE audit SET hash = x'00' WHERE id = 3");
    assert_eq!(broken(&path), (3, Break::BadValue { column: "hash" }));
    // The table is STRICT: SQLite itself refuses a text in an integer column.
    let c = Connection::open(&path).unwrap();
    c.execute_batch("DROP TRIGGER IF EXISTS audit_no_update")
        .unwrap();
    let e = c
        .execute("UPDATE audit SET exchanges = 'many' WHERE id = 1", [])
        .unwrap_err();
    assert!(e.to_string().contains("cannot store TEXT"), "{e}");
}

#[test]
fn a_deleted_middle_row_is_named() {
    let (_d, path) = trail_path();
    trail_with(&path, 5);
    tamper(&path, "DELETE FROM audit WHERE id = 3");
    assert_eq!(broken(&path), (3, Break::Missing));
}

#[test]
fn a_deleted_middle_row_with_the_ids_renumbered_is_named() {
    let (_d, path) = trail_path();
    trail_with(&path, 5);
    tamper(
        &path,
        "DELETE FROM audit WHERE id = 3; UPDATE audit SET id = id - 1 WHERE id > 3;",
    );
    // Row 4, now numbered 3, was hashed with its old id.
    assert_eq!(broken(&path), (3, Break::Altered));
}

#[test]
fn a_deleted_last_row_is_detected_by_the_head() {
    let (_d, path) = trail_path();
    trail_with(&path, 4);
    tamper(&path, "DELETE FROM audit WHERE id = 4");
    assert_eq!(broken(&path), (4, Break::Truncated { recorded: 4 }));
    // Deleting the last two as well.
    tamper(&path, "DELETE FROM audit WHERE id >= 3");
    assert_eq!(broken(&path), (3, Break::Truncated { recorded: 4 }));
    // And with the head's count lowered to match, its hash still names the old end.
    tamper(&path, "UPDATE head SET rows = 2");
    assert_eq!(broken(&path), (2, Break::HeadMismatch));
}

#[test]
fn every_row_deleted_is_detected() {
    let (_d, path) = trail_path();
    trail_with(&path, 2);
    tamper(&path, "DELETE FROM audit");
    assert_eq!(broken(&path), (1, Break::Truncated { recorded: 2 }));
}

#[test]
fn a_removed_head_is_detected() {
    let (_d, path) = trail_path();
    trail_with(&path, 2);
    tamper(&path, "DELETE FROM head");
    assert_eq!(broken(&path), (3, Break::NoHead));
    // Appending to it is refused rather than starting a second chain.
    let trail = Trail::open(&path).unwrap();
    assert!(matches!(
        trail.append(&entry(3)),
        Err(AuditError::Broken {
            row: 3,
            why: Break::NoHead,
        })
    ));
    assert_eq!(broken(&path), (3, Break::NoHead), "nothing was appended");
    let (_d, path) = trail_path();
    trail_with(&path, 2);
    tamper(&path, "DROP TABLE head");
    assert_eq!(broken(&path), (3, Break::NoHead));
    // A head of the wrong shape.
    let (_d, path) = trail_path();
    trail_with(&path, 2);
    tamper(&path, "UPDATE head SET hash = x'00'");
    assert_eq!(broken(&path), (3, Break::BadValue { column: "head" }));
    tamper(
        &path,
        "DROP TABLE head; CREATE TABLE head (one, rows, hash); \
         INSERT INTO head VALUES (1, 'two', 'hash');",
    );
    assert_eq!(broken(&path), (3, Break::BadValue { column: "head" }));
}

#[test]
fn swapped_rows_are_detected() {
    // Everything but the id swapped: row 2 now carries row 3's hash, which covers id 3.
    let (_d, path) = trail_path();
    trail_with(&path, 4);
    tamper(
        &path,
        "UPDATE audit SET id = -2 WHERE id = 2; UPDATE audit SET id = 2 WHERE id = 3; \
         UPDATE audit SET id = 3 WHERE id = -2;",
    );
    assert_eq!(broken(&path), (2, Break::Altered));

    // Only the contents swapped, each row keeping its hashes.
    let (_d, path) = trail_path();
    let trail = Trail::open(&path).unwrap();
    for i in 1..=4 {
        let mut e = entry(i);
        e.outcome = ["done", "wrong_pin", "cancelled", "timed_out"][i as usize - 1].into();
        trail.append(&e).unwrap();
    }
    tamper(
        &path,
        "UPDATE audit SET outcome = 'x' WHERE id = 2; \
         UPDATE audit SET outcome = 'wrong_pin' WHERE id = 3; \
         UPDATE audit SET outcome = 'cancelled' WHERE id = 2;",
    );
    assert_eq!(broken(&path), (2, Break::Altered));
}

/// A genuine row of another trail (its hash matches its fields) put in place of row 2 does not
/// follow this trail's row 1.
#[test]
fn a_row_from_another_chain_is_unlinked() {
    let (_d, path) = trail_path();
    trail_with(&path, 3);
    let (_d2, other) = trail_path();
    {
        let t = Trail::open(&other).unwrap();
        let mut e = entry(1);
        e.outcome = "failed".into();
        t.append(&e).unwrap();
        t.append(&entry(2)).unwrap();
    }
    tamper(
        &path,
        &format!(
            "ATTACH '{}' AS o; DELETE FROM audit WHERE id = 2; \
             INSERT INTO audit SELECT * FROM o.audit WHERE id = 2;",
            other.display()
        ),
    );
    assert_eq!(broken(&path), (2, Break::Unlinked));
}

#[test]
fn inserted_rows_are_detected() {
    // A valid row added after the end, outside the trail (the head was not updated): the same
    // entries make the same chain, so row 4 of a 4-row trail follows this 3-row trail's end.
    let (_d, path) = trail_path();
    trail_with(&path, 3);
    let (_d2, longer) = trail_path();
    trail_with(&longer, 4);
    tamper(
        &path,
        &format!(
            "ATTACH '{}' AS l; INSERT INTO audit SELECT * FROM l.audit WHERE id = 4;",
            longer.display()
        ),
    );
    assert_eq!(broken(&path), (4, Break::Unrecorded { recorded: 3 }));
    // The same row with a hash that is not its own.
    let (_d, path) = trail_path();
    trail_with(&path, 3);
    tamper(
        &path,
        "INSERT INTO audit SELECT 4, time, station, place, pin, route, outcome, exchanges, \
         hash, hash FROM audit WHERE id = 3;",
    );
    assert_eq!(broken(&path), (4, Break::Altered));
    // A row before the first.
    let (_d, path) = trail_path();
    trail_with(&path, 3);
    tamper(
        &path,
        "INSERT INTO audit SELECT 0, time, station, place, pin, route, outcome, exchanges, \
         prev_hash, hash FROM audit WHERE id = 1;",
    );
    assert_eq!(broken(&path), (0, Break::OutOfSequence));
}

#[test]
fn two_threads_appending_at_once_never_fork_the_chain() {
    let (_d, path) = trail_path();
    let trail = Arc::new(Trail::open(&path).unwrap());
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let trail = Arc::clone(&trail);
            std::thread::spawn(move || {
                (0..200)
                    .map(|i| {
                        let mut e = entry(i);
                        e.station = format!("station {t}");
                        trail.append(&e).unwrap()
                    })
                    .collect::<Vec<i64>>()
            })
        })
        .collect();
    let mut ids: Vec<i64> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (1..=400).collect::<Vec<i64>>());
    assert_eq!(audit::verify(&path).unwrap(), 400);
}

/// Two trails on one file (as two processes would have): SQLite's write lock, taken first by
/// each append's IMMEDIATE transaction, serializes them.
#[test]
fn two_connections_appending_at_once_never_fork_the_chain() {
    let (_d, path) = trail_path();
    Trail::open(&path).unwrap();
    let threads: Vec<_> = (0..2)
        .map(|t| {
            let path = path.clone();
            std::thread::spawn(move || {
                let trail = Trail::open(&path).unwrap();
                for i in 0..200 {
                    let mut e = entry(i);
                    e.station = format!("station {t}");
                    trail.append(&e).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(audit::verify(&path).unwrap(), 400);
    let c = Connection::open(&path).unwrap();
    let per_station: Vec<i64> = ["station 0", "station 1"]
        .iter()
        .map(|s| {
            c.query_row("SELECT count(*) FROM audit WHERE station = ?1", [s], |r| {
                r.get(0)
            })
            .unwrap()
        })
        .collect();
    assert_eq!(per_station, [200, 200]);
}

/// Entries of the kinds a flow writes, with awkward station names for the CSV quoting.
fn varied(path: &Path) -> Vec<Entry> {
    let entries = vec![
        Entry {
            time: time(0),
            station: "virtual".into(),
            place: "kiosk".into(),
            pin: Some(PinKind::Signature),
            route: Some("self-service+user_auth".into()),
            outcome: "done".into(),
            exchanges: 25,
        },
        Entry {
            time: time(61),
            station: "Reader, \"Quoted\" 00".into(),
            place: "counter".into(),
            pin: Some(PinKind::Residence),
            route: Some("counter".into()),
            outcome: "partial".into(),
            exchanges: 0,
        },
        Entry {
            time: time(3600),
            station: "SONY FeliCa Port/PaSoRi 4.0 (0123) 00 00".into(),
            place: "kiosk-sign-only".into(),
            pin: None,
            route: None,
            outcome: "card_pulled".into(),
            exchanges: u32::MAX,
        },
        Entry {
            time: time(86_400),
            station: "リーダー 01".into(),
            place: "proxy".into(),
            pin: Some(PinKind::TextAssist),
            route: Some("proxy".into()),
            outcome: "timed_out".into(),
            exchanges: 7,
        },
    ];
    let trail = Trail::open(path).unwrap();
    for e in &entries {
        trail.append(e).unwrap();
    }
    entries
}

fn pin_code(k: PinKind) -> &'static str {
    match k {
        PinKind::Signature => "signature",
        PinKind::UserAuth => "user_auth",
        PinKind::Residence => "residence",
        PinKind::TextAssist => "text_assist",
    }
}

/// The stored hashes, hex, in id order (prev_hash, hash).
fn stored_hashes(path: &Path) -> Vec<(String, String)> {
    let c = Connection::open(path).unwrap();
    let mut stmt = c
        .prepare("SELECT prev_hash, hash FROM audit ORDER BY id")
        .unwrap();
    stmt.query_map([], |r| {
        Ok((
            hex::encode(r.get::<_, Vec<u8>>(0)?),
            hex::encode(r.get::<_, Vec<u8>>(1)?),
        ))
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

#[test]
fn the_csv_export_round_trips_through_an_rfc_4180_reader() {
    let (_d, path) = trail_path();
    let entries = varied(&path);
    let mut out = Vec::new();
    assert_eq!(audit::export(&path, false, &mut out).unwrap(), 4);
    let text = String::from_utf8(out.clone()).unwrap();
    assert!(
        text.starts_with("id,time,station,place,pin,route,outcome,exchanges,prev_hash,hash\r\n"),
        "{text}"
    );
    assert!(text.contains(",\"Reader, \"\"Quoted\"\" 00\","), "{text}");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(out.as_slice());
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 4);
    let hashes = stored_hashes(&path);
    let times = [
        "2026-12-06T17:20:03Z",
        "2026-12-06T17:21:04Z",
        "2026-12-06T18:20:03Z",
        "2026-12-07T17:20:03Z",
    ];
    for (i, (r, e)) in records.iter().zip(&entries).enumerate() {
        let row: Vec<&str> = r.iter().collect();
        let exchanges = e.exchanges.to_string();
        let id = (i + 1).to_string();
        assert_eq!(
            row,
            [
                id.as_str(),
                times[i],
                e.station.as_str(),
                e.place.as_str(),
                e.pin.map(pin_code).unwrap_or(""),
                e.route.as_deref().unwrap_or(""),
                e.outcome.as_str(),
                exchanges.as_str(),
                hashes[i].0.as_str(),
                hashes[i].1.as_str(),
            ]
        );
        if i > 0 {
            assert_eq!(hashes[i].0, hashes[i - 1].1, "the export shows the links");
        }
    }
}

#[test]
fn the_json_export_round_trips() {
    let (_d, path) = trail_path();
    let entries = varied(&path);
    let mut out = Vec::new();
    assert_eq!(audit::export(&path, true, &mut out).unwrap(), 4);
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 4);
    let hashes = stored_hashes(&path);
    for (i, (r, e)) in rows.iter().zip(&entries).enumerate() {
        let keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        let mut expected_keys = [
            "id",
            "time",
            "station",
            "place",
            "pin",
            "route",
            "outcome",
            "exchanges",
            "prev_hash",
            "hash",
        ];
        expected_keys.sort_unstable();
        let mut keys_sorted = keys.clone();
        keys_sorted.sort_unstable();
        assert_eq!(keys_sorted, expected_keys);
        assert_eq!(r["id"], serde_json::json!(i + 1));
        assert_eq!(r["station"], serde_json::json!(e.station));
        assert_eq!(r["place"], serde_json::json!(e.place));
        assert_eq!(r["pin"], serde_json::json!(e.pin.map(pin_code)));
        assert_eq!(r["route"], serde_json::json!(e.route));
        assert_eq!(r["outcome"], serde_json::json!(e.outcome));
        assert_eq!(r["exchanges"], serde_json::json!(e.exchanges));
        assert_eq!(r["prev_hash"], serde_json::json!(hashes[i].0));
        assert_eq!(r["hash"], serde_json::json!(hashes[i].1));
    }
    assert_eq!(rows[1]["time"], "2026-12-06T17:21:04Z");
    // An empty trail is an empty array, and a header-only CSV.
    let (_d, empty) = trail_path();
    Trail::open(&empty).unwrap();
    let mut out = Vec::new();
    assert_eq!(audit::export(&empty, true, &mut out).unwrap(), 0);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&out).unwrap(),
        serde_json::json!([])
    );
    let mut out = Vec::new();
    assert_eq!(audit::export(&empty, false, &mut out).unwrap(), 0);
    assert_eq!(
        out,
        b"id,time,station,place,pin,route,outcome,exchanges,prev_hash,hash\r\n"
    );
}

/// The code fields hold codes only: a PIN, a signature password, a My Number or a name put in
/// one by mistake is refused and nothing is written; so the export of rows written by a flow
/// cannot show one.
#[test]
fn entries_that_could_carry_a_secret_are_refused_and_nothing_is_written() {
    let (_d, path) = trail_path();
    let trail = Trail::open(&path).unwrap();
    let secrets = [
        "1234",
        "ABC123",
        "123456789012",
        "山田太郎",
        "done 1234",
        "",
    ];
    for s in secrets {
        for field in ["place", "route", "outcome"] {
            let mut e = entry(1);
            match field {
                "place" => e.place = s.into(),
                "route" => e.route = Some(s.into()),
                _ => e.outcome = s.into(),
            }
            match trail.append(&e) {
                Err(AuditError::Invalid { field: f }) => assert_eq!(f, field, "{s:?}"),
                other => panic!("{field} = {s:?}: {other:?}"),
            }
        }
    }
    for station in ["", "a\nb", "tab\there", &"x".repeat(257)] {
        let mut e = entry(1);
        e.station = station.into();
        assert!(matches!(
            trail.append(&e),
            Err(AuditError::Invalid { field: "station" })
        ));
    }
    let mut e = entry(1);
    e.time = UNIX_EPOCH + Duration::from_secs(253_402_300_800); // year 10000
    assert!(matches!(
        trail.append(&e),
        Err(AuditError::Invalid { field: "time" })
    ));
    assert_eq!(audit::verify(&path).unwrap(), 0, "nothing was written");

    // Rows as a flow writes them: the export has none of the virtual card's PINs.
    varied(&path);
    for json in [false, true] {
        let mut out = Vec::new();
        audit::export(&path, json, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        for secret in [
            mynacard::sim::DEFAULT_PIN,
            mynacard::sim::DEFAULT_SIGNATURE_PASSWORD,
        ] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}

#[test]
fn a_file_that_is_not_an_audit_trail_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    // A text file.
    let text = dir.path().join("notes.txt");
    let content = b"this is not a database, it is a text file of some length\n".repeat(20);
    std::fs::write(&text, &content).unwrap();
    assert!(matches!(
        Trail::open(&text),
        Err(AuditError::NotAudit { .. })
    ));
    assert!(matches!(
        audit::verify(&text),
        Err(AuditError::NotAudit { .. })
    ));
    let mut out = Vec::new();
    assert!(matches!(
        audit::export(&text, false, &mut out),
        Err(AuditError::NotAudit { .. })
    ));
    assert!(out.is_empty(), "nothing exported, not even a header");
    assert_eq!(std::fs::read(&text).unwrap(), content);
    // A few bytes, shorter than SQLite's header.
    let short = dir.path().join("short");
    std::fs::write(&short, b"hi\n").unwrap();
    assert!(matches!(
        Trail::open(&short),
        Err(AuditError::NotAudit { .. })
    ));
    assert_eq!(std::fs::read(&short).unwrap(), b"hi\n");
    // Another program's SQLite database.
    let other = dir.path().join("other.sqlite3");
    Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")
        .unwrap();
    let before = std::fs::read(&other).unwrap();
    assert!(matches!(
        Trail::open(&other),
        Err(AuditError::NotAudit { .. })
    ));
    assert!(matches!(
        audit::verify(&other),
        Err(AuditError::NotAudit { .. })
    ));
    assert_eq!(std::fs::read(&other).unwrap(), before);
    // An empty file is not a trail to verify (and verify does not make it one).
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(
        audit::verify(&empty),
        Err(AuditError::NotAudit { .. })
    ));
    assert_eq!(std::fs::read(&empty).unwrap(), b"");
    // A directory.
    assert!(matches!(
        audit::verify(dir.path()),
        Err(AuditError::NotAudit { .. })
    ));
    // A missing file is not created by verify or export.
    let missing = dir.path().join("missing.sqlite3");
    assert!(matches!(
        audit::verify(&missing),
        Err(AuditError::NotFound { .. })
    ));
    assert!(matches!(
        audit::export(&missing, true, &mut out),
        Err(AuditError::NotFound { .. })
    ));
    assert!(!missing.exists());
}

#[test]
fn a_later_schema_version_is_refused() {
    let (_d, path) = trail_path();
    trail_with(&path, 1);
    tamper(&path, "PRAGMA user_version = 2;");
    assert!(matches!(
        audit::verify(&path),
        Err(AuditError::Version { version: 2, .. })
    ));
    assert!(matches!(
        Trail::open(&path),
        Err(AuditError::Version { version: 2, .. })
    ));
}

#[test]
fn the_default_path_is_in_the_state_directory() {
    let p = audit::default_path();
    assert!(
        p.ends_with("mynacard/kiosk-audit.sqlite3"),
        "{}",
        p.display()
    );
}

// The binary.

fn kiosk(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_myna-kiosk"));
    c.arg("audit").args(args);
    for v in ["LC_ALL", "LC_MESSAGES", "LANG"] {
        c.env_remove(v);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn out(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn err(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn binary_verify_intact_exits_0_in_both_languages() {
    let (_d, path) = trail_path();
    trail_with(&path, 3);
    let db = path.to_str().unwrap();
    let last = stored_hashes(&path)[2].1.clone();

    let o = kiosk(&["verify", "--db", db], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        out(&o),
        format!("3 rows, chain intact\nlast hash: {last}\n")
    );

    let o = kiosk(&["verify", "--db", db, "--lang", "ja"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(
        out(&o),
        format!("3 行、チェーンは正常です\n最後のハッシュ: {last}\n")
    );

    let o = kiosk(
        &["verify", &format!("--db={db}")],
        &[("LANG", "ja_JP.UTF-8")],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(
        out(&o).starts_with("3 行、チェーンは正常です\n"),
        "{}",
        out(&o)
    );

    let o = kiosk(
        &["--lang=en", "verify", "--db", db],
        &[("LANG", "ja_JP.UTF-8")],
    );
    assert!(out(&o).starts_with("3 rows, chain intact\n"), "{}", out(&o));
    let o = kiosk(
        &["verify", "--lang=en", "--db", db],
        &[("LANG", "ja_JP.UTF-8")],
    );
    assert!(out(&o).starts_with("3 rows, chain intact\n"), "{}", out(&o));
}

#[test]
fn binary_verify_broken_exits_1_naming_the_row_in_both_languages() {
    let (_d, path) = trail_path();
    trail_with(&path, 3);
    tamper(&path, "UPDATE audit SET outcome = 'done' WHERE id = 2; UPDATE audit SET exchanges = 99 WHERE id = 2;");
    let db = path.to_str().unwrap();
    let o = kiosk(&["verify", "--db", db], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        out(&o),
        "the chain is broken at row 2: the row does not match its hash (it was changed after \
         it was written)\n"
    );
    let o = kiosk(&["verify", "--db", db], &[("LANG", "ja_JP.UTF-8")]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        out(&o),
        "チェーンが 2 行目で壊れています: 行の内容がハッシュと一致しません（書き込まれた後に変更されています）\n"
    );

    tamper(&path, "DELETE FROM audit WHERE id = 3");
    let o = kiosk(&["verify", "--db", db], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out(&o).starts_with("the chain is broken at row 2:"),
        "{}",
        out(&o)
    );
}

#[test]
fn binary_usage_errors_exit_2_and_help_exits_0_in_both_languages() {
    for args in [
        &[][..],
        &["frobnicate"],
        &["verify", "--bogus"],
        &["verify", "--db"],
        &["verify", "--lang", "fr"],
        &["export", "--json=yes"],
    ] {
        let o = kiosk(args, &[]);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", err(&o));
        assert!(out(&o).is_empty());
    }
    let o = kiosk(&["--help"], &[]);
    assert_eq!(o.status.code(), Some(0));
    let help = out(&o);
    assert!(help.contains("Usage: myna-kiosk audit"), "{help}");
    assert!(help.contains("verify") && help.contains("export"), "{help}");

    let o = kiosk(&["--help"], &[("LANG", "ja_JP.UTF-8")]);
    assert_eq!(o.status.code(), Some(0));
    let help = out(&o);
    assert!(help.contains("使い方: myna-kiosk audit"), "{help}");
    assert!(help.contains("ハッシュチェーンを検証する"), "{help}");
    assert!(!help.contains("Usage"), "{help}");

    let o = kiosk(&["verify", "--help", "--lang", "ja"], &[]);
    assert_eq!(o.status.code(), Some(0));
    let help = out(&o);
    assert!(help.contains("監査記録のファイル"), "{help}");
    assert!(help.contains("ヘルプを表示する"), "{help}");
    assert!(!help.contains("Print help"), "{help}");

    let o = kiosk(&["export", "--help"], &[]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        out(&o).contains("A JSON array instead of CSV"),
        "{}",
        out(&o)
    );
    let o = kiosk(&["export", "--help"], &[("LANG", "ja_JP.UTF-8")]);
    assert!(out(&o).contains("JSON の配列で書き出す"), "{}", out(&o));
}

#[test]
fn binary_refuses_a_file_that_is_not_an_audit_trail_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, b"hello, world\n".repeat(100)).unwrap();
    let db = text.to_str().unwrap();
    for cmd in ["verify", "export"] {
        let o = kiosk(&[cmd, "--db", db], &[]);
        assert_eq!(o.status.code(), Some(1), "{cmd}");
        assert!(out(&o).is_empty(), "{cmd}: {}", out(&o));
        assert_eq!(
            err(&o),
            format!(
                "myna-kiosk audit: {db} is not a myna-kiosk audit trail (not a SQLite file, or \
                 another program's database); it was not changed\n"
            )
        );
        let o = kiosk(&[cmd, "--db", db], &[("LANG", "ja_JP.UTF-8")]);
        assert_eq!(o.status.code(), Some(1));
        assert!(err(&o).contains("監査記録ではありません"), "{}", err(&o));
    }
    let missing = dir.path().join("missing");
    let o = kiosk(&["verify", "--db", missing.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err(&o).contains("there is no audit trail at"),
        "{}",
        err(&o)
    );
    assert!(!missing.exists());
}

#[test]
fn binary_export_writes_csv_and_json_and_uses_the_default_path() {
    let state = tempfile::tempdir().unwrap();
    // The default path is under XDG_STATE_HOME on Linux.
    let env: &[(&str, &str)] = &[("XDG_STATE_HOME", state.path().to_str().unwrap())];
    let o = kiosk(&["verify"], env);
    assert_eq!(o.status.code(), Some(1));
    let expected = state.path().join("mynacard").join("kiosk-audit.sqlite3");
    if cfg!(target_os = "linux") {
        assert!(
            err(&o).contains(&expected.display().to_string()),
            "{}",
            err(&o)
        );
        trail_with(&expected, 2);
        let o = kiosk(&["verify"], env);
        assert_eq!(out(&o).lines().next(), Some("2 rows, chain intact"));
    }

    let (_d, path) = trail_path();
    varied(&path);
    let db = path.to_str().unwrap();
    let o = kiosk(&["export", "--db", db], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    let mut expected = Vec::new();
    audit::export(&path, false, &mut expected).unwrap();
    assert_eq!(o.stdout, expected);
    let o = kiosk(&["export", "--json", "--db", db], &[]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 4);
    assert_eq!(v[1]["station"], "Reader, \"Quoted\" 00");
}

#[test]
fn the_kiosk_itself_still_runs_when_the_first_argument_is_not_audit() {
    let o = Command::new(env!("CARGO_BIN_EXE_myna-kiosk"))
        .args(["--lang", "en", "--help"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(out(&o).contains("--place"), "{}", out(&o));
}
