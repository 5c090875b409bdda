//! The library's PC/SC card monitor (`mynacard::pcsc::Monitor`) through a real PC/SC stack:
//! pcscd with vsmartcard's vpcd reader driver, and this crate's server pulling the virtual card
//! out of vpcd's first slot and putting it back ([`StopHandle::remove`], [`StopHandle::insert`]).
//!
//! Needs pcscd running with vsmartcard-vpcd (`.ci/e2e.sh` installs and starts them). Without
//! them the tests say so and pass, unless `CI=true`, where they fail.

#![cfg(feature = "pcsc")]

use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use mynacard::events::{CardEvent, CardKind, CardMonitor, MonitorError};
use mynacard::pcsc::{list_readers, Monitor};
use mynacard::sim::ATR_CONTACT;
use mynacard_virtual_card::{Args, Server, StopHandle};

/// One test at a time: they share vpcd's slots.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

/// vpcd's readers, sorted; `None` (after a loud line) when the stack is missing and CI is not
/// set. With `CI=true` a missing stack fails the test.
fn vpcd_readers() -> Option<Vec<String>> {
    let found = list_readers().map(|r| {
        let mut v: Vec<String> = r
            .into_iter()
            .filter(|n| n.starts_with("Virtual PCD"))
            .collect();
        v.sort();
        v
    });
    match found {
        Ok(v) if v.len() >= 2 => Some(v),
        other => {
            let why = format!(
                "pcscd with vsmartcard-vpcd is needed ({other:?}); run .ci/e2e.sh, or install \
                 pcscd and vsmartcard-vpcd and start `pcscd`"
            );
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{why}");
            }
            eprintln!("SKIPPED (CI is not set): {why}");
            None
        }
    }
}

struct Served {
    control: StopHandle,
    thread: Option<thread::JoinHandle<Result<(), mynacard_virtual_card::Error>>>,
    _dir: tempfile::TempDir,
}

impl Served {
    fn start(slot: u16, extra: &[&str]) -> Served {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let vpcd = format!("127.0.0.1:{}", 35963 + slot);
        let mut argv = vec![
            "myna-virtual-card",
            "--sim-state",
            state.to_str().unwrap(),
            "--vpcd",
            &vpcd,
        ];
        argv.extend_from_slice(extra);
        let log = std::fs::File::create(dir.path().join("card.log")).unwrap();
        let server = Server::new(Args::parse_from(argv).unwrap(), Box::new(log)).unwrap();
        let control = server.stop_handle();
        let thread = Some(thread::spawn(move || server.run()));
        Served {
            control,
            thread,
            _dir: dir,
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.control.stop();
        if let Some(t) = self.thread.take() {
            let r = t.join();
            if !thread::panicking() {
                r.expect("the server's thread").expect("the server ran");
            }
        }
    }
}

/// Reports until the monitor has been quiet for a moment: what it found at the start.
fn drain(m: &mut Monitor) -> Vec<CardEvent> {
    let mut v = Vec::new();
    while let Some(e) = m.wait(Duration::from_millis(700)).expect("monitor") {
        v.push(e);
    }
    v
}

/// The next event about `reader`, events of other readers skipped; fails after 20 s.
fn next_for(m: &mut Monitor, reader: &str) -> CardEvent {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match m.wait(left).expect("monitor") {
            Some(e) if e.reader() == reader => return e,
            Some(_) => {}
            None => panic!("no event for {reader} within 20 s"),
        }
    }
}

/// As [`next_for`], but by polling: waits of zero length, 50 ms apart. A poll asks PC/SC once
/// each time, so it sees what changed since the last poll.
fn poll_for(m: &mut Monitor, reader: &str) -> CardEvent {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match m.wait(Duration::ZERO).expect("monitor") {
            Some(e) if e.reader() == reader => return e,
            Some(_) => {}
            None => {
                assert!(
                    Instant::now() < deadline,
                    "no event for {reader} polled in 20 s"
                );
                thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

#[test]
fn the_monitor_sees_insert_remove_insert_with_the_atr_and_the_my_number_flag() {
    let _g = serial();
    let Some(readers) = vpcd_readers() else {
        return;
    };
    let reader = readers[0].clone();
    let mut m = Monitor::new().expect("monitor");
    let start = drain(&mut m);
    assert!(
        start.contains(&CardEvent::ReaderAdded {
            reader: reader.clone()
        }),
        "{start:?}"
    );
    assert!(
        !start
            .iter()
            .any(|e| matches!(e, CardEvent::CardInserted { reader: r, .. } if *r == reader)),
        "a card is already in {reader}: {start:?}"
    );

    let card = Served::start(0, &[]);
    let inserted = CardEvent::CardInserted {
        reader: reader.clone(),
        atr: ATR_CONTACT.to_vec(),
        kind: CardKind::MyNumberCard,
    };
    assert_eq!(next_for(&mut m, &reader), inserted);

    card.control.remove();
    assert_eq!(
        next_for(&mut m, &reader),
        CardEvent::CardRemoved {
            reader: reader.clone()
        }
    );

    card.control.insert();
    assert_eq!(next_for(&mut m, &reader), inserted);
    // Pulled out for good, and found by polling.
    drop(card);
    assert_eq!(poll_for(&mut m, &reader), CardEvent::CardRemoved { reader });
}

#[test]
fn a_card_with_the_my_number_atr_but_no_jpki_is_reported_as_another_card() {
    let _g = serial();
    let Some(readers) = vpcd_readers() else {
        return;
    };
    let reader = readers[1].clone();
    let mut m = Monitor::new().expect("monitor");
    drain(&mut m);
    let _decoy = Served::start(1, &["--decoy"]);
    assert_eq!(
        next_for(&mut m, &reader),
        CardEvent::CardInserted {
            reader,
            atr: ATR_CONTACT.to_vec(),
            kind: CardKind::OtherCard,
        }
    );
}

#[test]
fn cancel_ends_a_blocking_wait_on_pcscd() {
    let _g = serial();
    if vpcd_readers().is_none() {
        return;
    }
    let mut m = Monitor::new().expect("monitor");
    drain(&mut m);
    let cancel = m.canceller();
    let t = thread::spawn(move || {
        thread::sleep(Duration::from_millis(100));
        cancel.cancel();
    });
    // Were the cancel lost, this would end after a minute with Ok(None).
    assert_eq!(
        m.wait(Duration::from_secs(60)),
        Err(MonitorError::Cancelled)
    );
    t.join().unwrap();
}
