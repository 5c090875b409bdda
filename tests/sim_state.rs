//! The virtual card's state file: persistence, locking, corruption.

use mynacard::credential::AuthPin;
use mynacard::sim::{App, StateError, VirtualCard};
use mynacard::{Card, Error, LastTry};

#[test]
fn counters_persist_across_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    {
        let mut card = Card::new(VirtualCard::open(&path).unwrap());
        let e = card.verify(&AuthPin::parse("0000").unwrap()).unwrap_err();
        assert_eq!(e.tries_left(), Some(2));
    }
    let vc = VirtualCard::open(&path).unwrap();
    assert_eq!(vc.tries_left(App::Jpki, 0x18), Some(2));
}

#[test]
fn a_second_open_is_refused_while_the_first_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    let first = VirtualCard::open(&path).unwrap();
    match VirtualCard::open(&path) {
        Err(StateError::Locked(p)) => assert_eq!(p, path),
        other => panic!("{other:?}"),
    }
    drop(first);
    VirtualCard::open(&path).unwrap();
}

/// The lock file `StateFile::open` would create beside `target`.
fn lock_beside(target: &std::path::Path) -> std::path::PathBuf {
    let mut s = target.as_os_str().to_owned();
    s.push(".lock");
    s.into()
}

#[test]
fn a_path_that_is_not_a_regular_file_is_refused_before_anything_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("a-directory");
    std::fs::create_dir(&sub).unwrap();
    // A directory, directly and through a symbolic link.
    let mut paths = vec![sub.clone()];
    #[cfg(unix)]
    {
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&sub, &link).unwrap();
        paths.push(link);
    }
    for p in &paths {
        match VirtualCard::open(p) {
            Err(StateError::NotAFile(given)) => assert_eq!(&given, p),
            other => panic!("{p:?}: {other:?}"),
        }
        assert!(!lock_beside(&sub).exists(), "no lock file beside {sub:?}");
        assert!(!lock_beside(p).exists(), "no lock file beside {p:?}");
    }
    // A device: /dev/null, directly and through a link in a directory of ours.
    #[cfg(unix)]
    {
        let null = std::path::Path::new("/dev/null");
        let lock = lock_beside(null);
        let existed = lock.exists();
        let link = dir.path().join("null-link");
        std::os::unix::fs::symlink(null, &link).unwrap();
        for p in [null, link.as_path()] {
            let e = VirtualCard::open(p).unwrap_err();
            assert!(matches!(e, StateError::NotAFile(_)), "{p:?}: {e}");
            assert!(e.to_string().contains("not a regular file"), "{e}");
        }
        if !existed {
            assert!(!lock.exists(), "/dev/null.lock was created");
        }
    }
    // Nothing but what the test made.
    let mut names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    #[cfg(unix)]
    assert_eq!(names, ["a-directory", "link", "null-link"]);
}

#[test]
fn corrupt_or_impossible_files_are_refused_and_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    drop(VirtualCard::open(&path).unwrap());
    let good = std::fs::read_to_string(&path).unwrap();
    let cases = [
        good[..good.len() / 2].to_string(),
        good.replace("\"tries_left\": 3", "\"tries_left\": 9"),
        good.replace("\"version\": 1", "\"version\": 7"),
        String::new(),
    ];
    for bad in cases {
        std::fs::write(&path, &bad).unwrap();
        let e = VirtualCard::open(&path).unwrap_err();
        assert!(matches!(e, StateError::Corrupt { .. }), "{e}");
        assert!(e.to_string().contains("left untouched"));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), bad);
    }
}

#[test]
fn the_last_wrong_try_is_persisted_before_the_answer() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    let mut card = Card::new(VirtualCard::open(&path).unwrap());
    let wrong = AuthPin::parse("0000").unwrap();
    for _ in 0..2 {
        let _ = card.verify(&wrong);
    }
    let e = card.verify_with(&wrong, LastTry::Allow).unwrap_err();
    assert_eq!(e.tries_left(), Some(0));
    // Read the file while the card is still open: already saved.
    let f: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(f["keys"]["jpki/0018"]["tries_left"], 0);
    assert!(matches!(
        card.verify(&AuthPin::parse("1234").unwrap()),
        Err(Error::Blocked { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Issue 12 item 1: a try is spent (and saved) before the value is compared.

use mynacard::applets::{self, jpki, residence, surface, text, Aid};
use mynacard::reset::stand_in::TerminalRole;

mod common;
use common::stand_in_mac as mac;
use mynacard::transport::Transport;

fn sw(r: &[u8]) -> u16 {
    u16::from_be_bytes([r[r.len() - 2], r[r.len() - 1]])
}

fn apdu(vc: &mut VirtualCard, bytes: &[u8]) -> u16 {
    sw(&vc.transmit(bytes).unwrap())
}

fn select(vc: &mut VirtualCard, aid: &Aid) {
    let mut c = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
    c.extend_from_slice(aid.as_bytes());
    assert_eq!(apdu(vc, &c), 0x9000);
}

fn with_data(head: [u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = head.to_vec();
    if !data.is_empty() {
        c.push(data.len() as u8);
        c.extend_from_slice(data);
    }
    c
}

fn verify(vc: &mut VirtualCard, fid: u16, value: &[u8]) -> u16 {
    apdu(vc, &with_data([0x00, 0x20, 0x00, 0x80 | fid as u8], value))
}

/// Every retry-counted key reference: application, AID, key EF, a right value (set with
/// `set_key`) and a wrong one.
/// `(application, AID, key EF, right value, wrong value)`.
type KeyCase = (App, Aid, u16, &'static [u8], &'static [u8]);

const KEYS: [KeyCase; 10] = [
    (App::Jpki, applets::JPKI, jpki::AUTH_PIN.0, b"1234", b"0000"),
    (
        App::Jpki,
        applets::JPKI,
        jpki::SIGN_PIN.0,
        b"ABC123",
        b"ZZZ999",
    ),
    (
        App::TextAssist,
        applets::TEXT_ASSIST,
        text::PIN.0,
        b"1234",
        b"0000",
    ),
    (
        App::TextAssist,
        applets::TEXT_ASSIST,
        text::MATCHING_A.0,
        b"123456789018",
        b"123456789019",
    ),
    (
        App::TextAssist,
        applets::TEXT_ASSIST,
        text::MATCHING_B.0,
        b"800217351231",
        b"800217351230",
    ),
    (App::Juki, applets::JUKI, residence::PIN.0, b"1234", b"0000"),
    (
        App::Common,
        applets::COMMON,
        residence::PIN.0,
        b"1234",
        b"0000",
    ),
    (
        App::Surface,
        applets::SURFACE,
        surface::MATCHING_A.0,
        b"123456789018",
        b"123456789019",
    ),
    (
        App::Surface,
        applets::SURFACE,
        surface::MATCHING_B.0,
        b"800217351231",
        b"800217351230",
    ),
    (
        App::Surface,
        applets::SURFACE,
        surface::BIRTH_DATE_KEY.0,
        b"550217",
        b"550218",
    ),
];

fn open_with_known_keys(path: &std::path::Path) -> VirtualCard {
    let mut vc = VirtualCard::open(path).unwrap();
    for (app, _, fid, right, _) in KEYS {
        vc.set_key(app, fid, right).unwrap();
    }
    vc
}

/// A real failure to save, even for root (who ignores `chmod 555`): the temporary file the
/// card writes next to the state file (`<stem>.tmp.<pid>`) cannot be created because a
/// directory has its name.
fn block_saves(path: &std::path::Path) -> std::path::PathBuf {
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::create_dir(&tmp).unwrap();
    tmp
}

#[test]
fn no_value_is_compared_when_the_spent_try_cannot_be_saved() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    let mut vc = open_with_known_keys(&path);
    let blocker = block_saves(&path);
    let bytes = std::fs::read(&path).unwrap();
    for (app, aid, fid, right, wrong) in KEYS {
        select(&mut vc, &aid);
        let limit = vc.tries_left(app, fid).unwrap();
        for value in [wrong, right, wrong, right] {
            assert_eq!(verify(&mut vc, fid, value), 0x6581, "{app:?}/{fid:04X}");
            assert_eq!(vc.tries_left(app, fid), Some(limit), "{app:?}/{fid:04X}");
            assert!(!vc.is_verified(app, fid), "{app:?}/{fid:04X}");
        }
    }
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the file is untouched"
    );
    // Saving works again: the right values verify.
    std::fs::remove_dir(&blocker).unwrap();
    for (app, aid, fid, right, _) in KEYS {
        select(&mut vc, &aid);
        assert_eq!(verify(&mut vc, fid, right), 0x9000, "{app:?}/{fid:04X}");
    }
}

#[cfg(unix)]
#[test]
fn an_unwritable_state_directory_stops_guessing() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("ro");
    std::fs::create_dir(&sub).unwrap();
    let path = sub.join("s.json");
    let mut vc = open_with_known_keys(&path);
    std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o555)).unwrap();
    // Root ignores the mode; then this test has nothing to check (the injected failures of
    // `every_counter_changing_command_changes_nothing_when_saving_fails` cover it).
    let enforced = std::fs::write(sub.join("probe"), b"").is_err();
    if enforced {
        select(&mut vc, &applets::JPKI);
        assert_eq!(verify(&mut vc, jpki::AUTH_PIN.0, b"0000"), 0x6581);
        assert_eq!(verify(&mut vc, jpki::AUTH_PIN.0, b"1234"), 0x6581);
        assert_eq!(vc.tries_left(App::Jpki, jpki::AUTH_PIN.0), Some(3));
    }
    std::fs::set_permissions(&sub, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn guessing_never_goes_beyond_the_limit_whatever_the_store_does() {
    let mut vc = VirtualCard::new();
    select(&mut vc, &applets::JPKI);
    let fid = jpki::AUTH_PIN.0;
    let (mut compared, mut found) = (0, None);
    // Every 4-digit value, the right one (1234) among them; the store fails on every other
    // guess, and on the spent-try-restoring save of every third.
    for n in 0..10_000u32 {
        let guess = format!("{n:04}");
        match n % 3 {
            0 => vc.break_store(0),
            1 => vc.break_store(1),
            _ => vc.repair_store(),
        }
        let before = vc.tries_left(App::Jpki, fid).unwrap();
        match verify(&mut vc, fid, guess.as_bytes()) {
            0x9000 => found = Some(guess),
            0x6581 => {
                let after = vc.tries_left(App::Jpki, fid).unwrap();
                // Either nothing happened, or the spent try stayed spent.
                assert!(after == before || after + 1 == before, "{guess}");
                if after + 1 == before {
                    compared += 1;
                }
            }
            0x63C0..=0x63CF => compared += 1,
            0x6984 => {}
            other => panic!("{guess}: {other:04X}"),
        }
    }
    assert_eq!(
        found, None,
        "1234 comes after three wrong guesses: never found"
    );
    assert_eq!(compared, 3, "three tries, three comparisons");
    assert_eq!(vc.tries_left(App::Jpki, fid), Some(0));
}

#[test]
fn the_spent_try_is_on_file_before_the_right_value_restores_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    let mut vc = VirtualCard::open(&path).unwrap();
    select(&mut vc, &applets::JPKI);
    // The first save (the spent try) works, the second (the full count back) fails.
    vc.break_store(1);
    assert_eq!(verify(&mut vc, jpki::AUTH_PIN.0, b"1234"), 0x6581);
    assert!(!vc.is_verified(App::Jpki, jpki::AUTH_PIN.0));
    assert_eq!(vc.tries_left(App::Jpki, jpki::AUTH_PIN.0), Some(2));
    let f: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(f["keys"]["jpki/0018"]["tries_left"], 2);
    vc.repair_store();
    assert_eq!(verify(&mut vc, jpki::AUTH_PIN.0, b"1234"), 0x9000);
    assert_eq!(vc.tries_left(App::Jpki, jpki::AUTH_PIN.0), Some(3));
}

/// Authenticates the stand-in municipal-counter terminal in the selected application.
fn counter_terminal(vc: &mut VirtualCard) {
    let r = vc.transmit(&[0x00, 0x84, 0x00, 0x00, 0x08]).unwrap();
    assert_eq!(sw(&r), 0x9000);
    let role = TerminalRole::MunicipalCounter;
    let m = mac(role.test_key(), &r[..8]);
    assert_eq!(
        apdu(vc, &with_data([0x00, 0x82, 0x00, role.key_ref()], &m)),
        0x9000
    );
}

#[test]
fn every_counter_changing_command_changes_nothing_when_saving_fails() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    let mut vc = open_with_known_keys(&path);
    let fresh = vc.state().clone();
    let bytes = std::fs::read(&path).unwrap();
    let check = |vc: &VirtualCard, what: &str| {
        assert_eq!(vc.state(), &fresh, "{what}: the card's state changed");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "{what}: the file changed"
        );
    };
    // VERIFY, right and wrong, on every retry-counted key.
    for (app, aid, fid, right, wrong) in KEYS {
        select(&mut vc, &aid);
        for value in [right, wrong] {
            vc.break_store(0);
            assert_eq!(
                verify(&mut vc, fid, value),
                0x6581,
                "VERIFY {app:?}/{fid:04X}"
            );
            vc.repair_store();
            check(&vc, &format!("VERIFY {app:?}/{fid:04X}"));
        }
    }
    // CHANGE REFERENCE DATA (JPKI, text assist) and CHANGE KEY (住基, 共通).
    // (AID, key EF, old value, new value, CLA and INS).
    type Change = (Aid, u16, &'static [u8], &'static [u8], [u8; 2]);
    let changes: [Change; 5] = [
        (
            applets::JPKI,
            jpki::AUTH_PIN.0,
            b"1234",
            b"4821",
            [0x00, 0x24],
        ),
        (
            applets::JPKI,
            jpki::SIGN_PIN.0,
            b"ABC123",
            b"QZ7381",
            [0x00, 0x24],
        ),
        (
            applets::TEXT_ASSIST,
            text::PIN.0,
            b"1234",
            b"4821",
            [0x00, 0x24],
        ),
        (
            applets::JUKI,
            residence::PIN.0,
            b"1234",
            b"4821",
            [0x80, 0x32],
        ),
        (
            applets::COMMON,
            residence::PIN.0,
            b"1234",
            b"4821",
            [0x80, 0x32],
        ),
    ];
    for (aid, fid, old, new, [cla, ins]) in changes {
        select(&mut vc, &aid);
        assert_eq!(verify(&mut vc, fid, old), 0x9000);
        let p1 = if cla == 0x80 { 0x00 } else { 0x01 };
        vc.break_store(0);
        let sw = apdu(&mut vc, &with_data([cla, ins, p1, 0x80 | fid as u8], new));
        vc.repair_store();
        assert_eq!(sw, 0x6581, "CHANGE {fid:04X}");
        check(&vc, &format!("CHANGE {fid:04X}"));
    }
    // RESET RETRY COUNTER, with a new value (P1 = 02) and counter only (P1 = 03), on a
    // counter that is not full.
    for i in [0, 1, 2, 5, 6] {
        let (_, aid, fid, _, wrong) = KEYS[i];
        select(&mut vc, &aid);
        assert_eq!(verify(&mut vc, fid, wrong) & 0xFFF0, 0x63C0);
    }
    let spent = vc.state().clone();
    let bytes = std::fs::read(&path).unwrap();
    for (aid, fid, new) in [
        (applets::JPKI, jpki::AUTH_PIN.0, &b"4821"[..]),
        (applets::JPKI, jpki::SIGN_PIN.0, &b"QZ7381"[..]),
        (applets::TEXT_ASSIST, text::PIN.0, &b"4821"[..]),
        (applets::JUKI, residence::PIN.0, &b"4821"[..]),
        (applets::COMMON, residence::PIN.0, &b"4821"[..]),
    ] {
        select(&mut vc, &aid);
        for (p1, value) in [(0x02, new), (0x03, &b""[..])] {
            counter_terminal(&mut vc);
            vc.break_store(0);
            let sw = apdu(
                &mut vc,
                &with_data([0x00, 0x2C, p1, 0x80 | fid as u8], value),
            );
            vc.repair_store();
            assert_eq!(sw, 0x6581, "RESET RETRY COUNTER {p1:02X} {fid:04X}");
            assert_eq!(vc.state(), &spent, "RESET RETRY COUNTER {p1:02X} {fid:04X}");
            assert_eq!(std::fs::read(&path).unwrap(), bytes);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Issue 12 item 2: the state file and the directory the crate creates are private.

#[cfg(unix)]
fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn the_state_file_is_owner_only_and_so_is_the_directory_created_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let made = dir.path().join("made");
    let path = made.join("deeper").join("s.json");
    let mut vc = VirtualCard::open(&path).unwrap();
    assert_eq!(mode(&made), 0o700);
    assert_eq!(mode(&made.join("deeper")), 0o700);
    assert_eq!(mode(&path), 0o600);
    // Every save keeps it so.
    select(&mut vc, &applets::JPKI);
    assert_eq!(verify(&mut vc, jpki::AUTH_PIN.0, b"0000"), 0x63C2);
    assert_eq!(mode(&path), 0o600);
    drop(vc);
    // A directory that already exists is the user's: its mode is left alone.
    let own = dir.path().join("own");
    std::fs::create_dir(&own).unwrap();
    std::fs::set_permissions(&own, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    drop(VirtualCard::open(&own.join("s.json")).unwrap());
    assert_eq!(mode(&own), 0o755);
    assert_eq!(mode(&own.join("s.json")), 0o600);
}

#[cfg(unix)]
#[test]
fn a_world_readable_state_file_is_made_owner_only_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    drop(VirtualCard::open(&path).unwrap());
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    drop(VirtualCard::open(&path).unwrap());
    assert_eq!(mode(&path), 0o600);
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "contents unchanged");
}

// ---------------------------------------------------------------------------------------------
// Issue 12 item 3: the file matches the card's own limits and formats exactly, or is refused
// and left byte for byte as it was.

type Edit = fn(&mut serde_json::Value);

#[test]
fn state_files_that_do_not_match_the_card_are_refused_untouched() {
    use serde_json::json;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    drop(VirtualCard::open(&path).unwrap());
    let good: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let cases: Vec<(&str, Edit)> = vec![
        ("auth PIN 15/15", |v| {
            v["keys"]["jpki/0018"]["limit"] = json!(15);
            v["keys"]["jpki/0018"]["tries_left"] = json!(15);
        }),
        ("auth PIN limit 5", |v| {
            v["keys"]["jpki/0018"]["limit"] = json!(5)
        }),
        ("auth PIN 4 tries of 3", |v| {
            v["keys"]["jpki/0018"]["tries_left"] = json!(4)
        }),
        ("sign password limit 3", |v| {
            v["keys"]["jpki/001B"]["limit"] = json!(3)
        }),
        ("sign password limit 15", |v| {
            v["keys"]["jpki/001B"]["limit"] = json!(15)
        }),
        ("sign password 6 tries of 5", |v| {
            v["keys"]["jpki/001B"]["tries_left"] = json!(6)
        }),
        ("text PIN limit 5", |v| {
            v["keys"]["text/0011"]["limit"] = json!(5)
        }),
        ("住基 PIN limit 10", |v| {
            v["keys"]["juki/001C"]["limit"] = json!(10)
        }),
        ("共通 PIN limit 4", |v| {
            v["keys"]["common/001C"]["limit"] = json!(4)
        }),
        ("照合番号A limit 3", |v| {
            v["keys"]["text/0014"]["limit"] = json!(3)
        }),
        ("照合番号B limit 15", |v| {
            v["keys"]["surface/0012"]["limit"] = json!(15)
        }),
        ("birth-date key 11 of 10", |v| {
            v["keys"]["surface/0011"]["tries_left"] = json!(11)
        }),
        ("limit 0", |v| {
            v["keys"]["jpki/0018"]["limit"] = json!(0);
            v["keys"]["jpki/0018"]["tries_left"] = json!(0);
        }),
        ("the blocked key unblocked", |v| {
            v["keys"]["text/0012"]["tries_left"] = json!(3)
        }),
        ("negative tries", |v| {
            v["keys"]["jpki/0018"]["tries_left"] = json!(-1)
        }),
        ("tries over a byte", |v| {
            v["keys"]["jpki/0018"]["tries_left"] = json!(259)
        }),
        ("tries as text", |v| {
            v["keys"]["jpki/0018"]["tries_left"] = json!("3")
        }),
        ("upper-case digest", |v| {
            let d = v["keys"]["jpki/0018"]["digest"]
                .as_str()
                .unwrap()
                .to_uppercase();
            v["keys"]["jpki/0018"]["digest"] = json!(d);
        }),
        ("upper-case salt", |v| {
            let d = v["keys"]["jpki/0018"]["salt"]
                .as_str()
                .unwrap()
                .to_uppercase();
            v["keys"]["jpki/0018"]["salt"] = json!(d);
        }),
        ("digest one digit short", |v| {
            let d = v["keys"]["jpki/0018"]["digest"].as_str().unwrap()[1..].to_string();
            v["keys"]["jpki/0018"]["digest"] = json!(d);
        }),
        ("digest one digit long", |v| {
            let d = format!("{}0", v["keys"]["jpki/0018"]["digest"].as_str().unwrap());
            v["keys"]["jpki/0018"]["digest"] = json!(d);
        }),
        ("salt two digits short", |v| {
            let d = v["keys"]["jpki/0018"]["salt"].as_str().unwrap()[2..].to_string();
            v["keys"]["jpki/0018"]["salt"] = json!(d);
        }),
        ("digest not hex", |v| {
            let d = format!(
                "g{}",
                &v["keys"]["jpki/0018"]["digest"].as_str().unwrap()[1..]
            );
            v["keys"]["jpki/0018"]["digest"] = json!(d);
        }),
        ("a key the card does not have", |v| {
            let k = v["keys"]["jpki/0018"].clone();
            v["keys"]["jpki/0099"] = k;
        }),
        ("a key missing", |v| {
            v["keys"].as_object_mut().unwrap().remove("common/001C");
        }),
        ("a field the format does not have", |v| {
            v["pin"] = json!("1234")
        }),
        ("a key field the format does not have", |v| {
            v["keys"]["jpki/0018"]["value"] = json!("1234")
        }),
        ("a field missing", |v| {
            v["keys"]["jpki/0018"]
                .as_object_mut()
                .unwrap()
                .remove("salt");
        }),
        ("version 2", |v| v["version"] = json!(2)),
        ("negative seed", |v| v["seed"] = json!(-1)),
        ("keys not a map", |v| v["keys"] = json!([])),
    ];
    for (what, edit) in cases {
        let mut v = good.clone();
        edit(&mut v);
        let bad = serde_json::to_vec_pretty(&v).unwrap();
        assert_refused(&path, &bad, what);
    }
    // A key given twice (JSON allows it; the card has one counter per key).
    let text = serde_json::to_string_pretty(&good).unwrap();
    let twice = text.replacen(
        "\"keys\": {",
        &format!(
            "\"keys\": {{\n\"jpki/0018\": {},",
            serde_json::to_string(&good["keys"]["jpki/0018"]).unwrap()
        ),
        1,
    );
    assert_refused(&path, twice.as_bytes(), "a key given twice");
    // The controls: the file as written, and a counter lowered within its limit, open.
    std::fs::write(&path, serde_json::to_vec_pretty(&good).unwrap()).unwrap();
    drop(VirtualCard::open(&path).unwrap());
    let mut lowered = good.clone();
    lowered["keys"]["jpki/001B"]["tries_left"] = serde_json::json!(1);
    std::fs::write(&path, serde_json::to_vec_pretty(&lowered).unwrap()).unwrap();
    let vc = VirtualCard::open(&path).unwrap();
    assert_eq!(vc.tries_left(App::Jpki, jpki::SIGN_PIN.0), Some(1));
}

fn assert_refused(path: &std::path::Path, bad: &[u8], what: &str) {
    std::fs::write(path, bad).unwrap();
    match VirtualCard::open(path) {
        Err(e @ StateError::Corrupt { .. }) => {
            assert!(e.to_string().contains("left untouched"), "{what}: {e}")
        }
        Err(e) => panic!("{what}: {e}"),
        Ok(vc) => panic!(
            "{what}: accepted, auth PIN {:?} tries",
            vc.tries_left(App::Jpki, jpki::AUTH_PIN.0)
        ),
    }
    assert_eq!(
        std::fs::read(path).unwrap(),
        bad,
        "{what}: the file changed"
    );
}

// ---------------------------------------------------------------------------------------------
// Issue 12 item 4: the lock follows the file, not the path's text.

#[cfg(unix)]
#[test]
fn a_symlink_and_its_target_are_one_card() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.json");
    let link = dir.path().join("link.json");
    drop(VirtualCard::open(&real).unwrap());
    symlink("real.json", &link).unwrap();
    for (first, second) in [(&real, &link), (&link, &real)] {
        let held = VirtualCard::open(first).unwrap();
        match VirtualCard::open(second) {
            Err(StateError::Locked(p)) => assert_eq!(&p, second),
            other => panic!("{} then {}: {other:?}", first.display(), second.display()),
        }
        drop(held);
    }
    // A link to a directory holding the file, too.
    let dir_link = dir.path().join("dir-link");
    symlink(dir.path(), &dir_link).unwrap();
    let held = VirtualCard::open(&real).unwrap();
    assert!(matches!(
        VirtualCard::open(&dir_link.join("real.json")),
        Err(StateError::Locked(_))
    ));
    drop(held);
}

#[cfg(unix)]
#[test]
fn saving_through_a_symlink_writes_the_target_and_keeps_the_link() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.json");
    let link = dir.path().join("link.json");
    // A link to a file that does not exist yet: the card is created at the target.
    symlink("real.json", &link).unwrap();
    let mut vc = VirtualCard::open(&link).unwrap();
    assert!(real.is_file());
    select(&mut vc, &applets::JPKI);
    assert_eq!(verify(&mut vc, jpki::AUTH_PIN.0, b"0000"), 0x63C2);
    drop(vc);
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_link(&link).unwrap(),
        std::path::Path::new("real.json")
    );
    // The one card, through either name: the wrong try counts once.
    assert_eq!(
        VirtualCard::open(&real)
            .unwrap()
            .tries_left(App::Jpki, jpki::AUTH_PIN.0),
        Some(2)
    );
    let mut vc = VirtualCard::open(&link).unwrap();
    select(&mut vc, &applets::JPKI);
    assert_eq!(verify(&mut vc, jpki::AUTH_PIN.0, b"0000"), 0x63C1);
    drop(vc);
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(
        VirtualCard::open(&real)
            .unwrap()
            .tries_left(App::Jpki, jpki::AUTH_PIN.0),
        Some(1)
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".json"))
        .collect();
    assert_eq!(names.len(), 2, "{names:?}: no second card file");
}

#[test]
fn through_the_library_no_guess_succeeds_while_saving_fails() {
    let mut vc = VirtualCard::new();
    vc.break_store(0);
    let mut card = Card::new(vc);
    for n in 0..10_000u32 {
        let guess = AuthPin::parse(&format!("{n:04}")).unwrap();
        let r = card.verify_with(&guess, LastTry::Allow);
        assert!(r.is_err(), "{n:04} verified while nothing can be saved");
    }
    let mut vc = card.into_transport();
    assert_eq!(vc.tries_left(App::Jpki, jpki::AUTH_PIN.0), Some(3));
    vc.repair_store();
    Card::new(vc)
        .verify(&AuthPin::parse("1234").unwrap())
        .unwrap();
}

#[test]
fn a_lock_let_go_within_the_grace_period_does_not_refuse_the_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    let held = VirtualCard::open(&path).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let releaser = std::thread::spawn(move || {
        rx.recv().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(30));
        drop(held);
    });
    tx.send(()).unwrap();
    // Held when the open starts, let go 30 ms later: the open waits and succeeds.
    VirtualCard::open(&path).unwrap();
    releaser.join().unwrap();
}

#[test]
fn a_released_card_lets_others_in_and_reloads_their_counters() {
    use mynacard::pin::PinKind;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    let vc = VirtualCard::open(&path).unwrap();
    let log = vc.log();
    let mut card = Card::new(vc);
    assert_eq!(
        card.pin_status(PinKind::UserAuth).unwrap().tries_left(),
        Some(3)
    );
    card.session_mut().transport_mut().release_lock();
    assert!(card.session().transport().is_released());
    // Another program opens the card meanwhile and spends a try.
    {
        let mut other = Card::new(VirtualCard::open(&path).expect("released"));
        let e = other.verify(&AuthPin::parse("0000").unwrap()).unwrap_err();
        assert_eq!(e.tries_left(), Some(2));
    }
    // The next command takes the lock again and sees the other program's try.
    assert_eq!(
        card.pin_status(PinKind::UserAuth).unwrap().tries_left(),
        Some(2)
    );
    // The card kept its selection over the release: a raw counter read (no SELECT first) is
    // answered in the JPKI application. (Through the session's transport_mut the library
    // forgets its own cache and selects again; the module reaches the card another way.)
    let vc = card.session_mut().transport_mut();
    vc.release_lock();
    let r = vc.transmit(&[0x00, 0x20, 0x00, 0x98]).unwrap();
    assert_eq!(r, [0x63, 0xC2], "{:#?}", log.entries());
    assert!(!card.session().transport().is_released());
    assert!(matches!(
        VirtualCard::open(&path),
        Err(StateError::Locked(_))
    ));
    // A PIN verified before a release is not verified after it.
    card.verify(&AuthPin::parse("1234").unwrap()).unwrap();
    card.session_mut().transport_mut().release_lock();
    assert!(!card.session().transport().is_verified(App::Jpki, 0x18));
    // While released, another holder makes the next command fail, with nothing sent.
    let holder = VirtualCard::open(&path).unwrap();
    let e = card.pin_status(PinKind::UserAuth).unwrap_err();
    assert!(e.to_string().contains("in use"), "{e}");
    drop(holder);
    assert_eq!(
        card.pin_status(PinKind::UserAuth).unwrap().tries_left(),
        Some(3)
    );
}
