//! Throughput of the kiosk appliance: full reset sessions per minute through one station (one
//! vpcd reader) against two stations at once (`--reader all`, both of vpcd's readers, one
//! client thread each). The issue's target: two stations at least 1.8 times one station.
//!
//! A session is what a person at the kiosk does: insert the card, reset the signature password
//! through the user-authentication PIN (the PIN menu, "do you know it?", the PIN, the new
//! password twice), see the result, take the card. The clients drive the JSON API as the page
//! does (`tests/soak_support`), the cards are virtual cards served into vpcd from this process.
//!
//! ```text
//! flock /tmp/vpcd.lock cargo bench -p mynacard-kiosk --features pcsc --bench web_throughput
//! # without a release build (the dev profile; dependencies are optimised there too):
//! MYNA_BENCH_SESSIONS=40 cargo test -p mynacard-kiosk --features pcsc --bench web_throughput
//! ```
//!
//! `MYNA_BENCH_SESSIONS` sessions per station (default 20). Needs pcscd with vsmartcard-vpcd
//! (`.ci/e2e.sh`); skips loudly without it, unless `CI=true`.

use std::time::{Duration, Instant};

#[path = "../tests/soak_support/mod.rs"]
mod soak_support;
use soak_support::{full_reset, kind, KioskProcess, SlotCard, Station};

const AUTH_PIN: &str = "0739";

/// CPU seconds (user + system) a process has used so far, from /proc.
fn cpu_secs(pid: u32) -> f64 {
    let Ok(s) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses and may hold blanks).
    let rest = s.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    ticks / 100.0
}

/// The pid of the running pcscd, if this process can see it.
fn pcscd_pid() -> Option<u32> {
    std::fs::read_dir("/proc").ok()?.flatten().find_map(|e| {
        let pid: u32 = e.file_name().to_str()?.parse().ok()?;
        let comm = std::fs::read_to_string(e.path().join("comm")).ok()?;
        (comm.trim() == "pcscd").then_some(pid)
    })
}

/// Where a station's time goes, summed over its sessions.
#[derive(Default, Clone, Copy)]
struct Split {
    /// From putting the card in until the PIN menu (pcscd sees the card, the kiosk opens it
    /// and reads the PIN status).
    insert: Duration,
    /// From the PIN menu to the done screen (the answers and the reset).
    flow: Duration,
    /// From pulling the card until the start screen (pcscd sees it leave).
    remove: Duration,
}

/// `sessions` full resets at one station with its card; the time they took.
fn run(st: &mut Station, card: &SlotCard, sessions: usize, tag: &str) -> (Duration, Split) {
    let t = Instant::now();
    let mut split = Split::default();
    for i in 0..sessions {
        st.wait_for("the start screen", 30, |s| kind(s) == "start");
        let t0 = Instant::now();
        card.insert();
        st.wait_for("the PIN menu", 60, |s| !matches!(kind(s), "start" | "busy"));
        let t1 = Instant::now();
        let pw = format!("{tag}{i:04}");
        let out = full_reset(st, AUTH_PIN, &pw);
        assert_eq!(out, "done", "station {} session {i}", st.n);
        let t2 = Instant::now();
        card.remove();
        st.wait_for("the start screen", 30, |s| kind(s) == "start");
        split.insert += t1 - t0;
        split.flow += t2 - t1;
        split.remove += t2.elapsed();
    }
    (t.elapsed(), split)
}

struct Phase {
    sessions: usize,
    wall: Duration,
    kiosk_cpu: f64,
    pcscd_cpu: f64,
    self_cpu: f64,
    split: Split,
}

impl Phase {
    fn per_min(&self) -> f64 {
        self.sessions as f64 / self.wall.as_secs_f64() * 60.0
    }
    fn print(&self, name: &str) {
        println!(
            "{name}: {} sessions in {:.1?}: {:.1} sessions/min; CPU s: kiosk {:.1}, pcscd {:.1}, \
             cards + clients {:.1}",
            self.sessions,
            self.wall,
            self.per_min(),
            self.kiosk_cpu,
            self.pcscd_cpu,
            self.self_cpu
        );
        let per = |d: Duration| d.as_secs_f64() * 1000.0 / (self.sessions as f64);
        println!(
            "{name}: per session and station, ms: card in to PIN menu {:.0}, menu to done {:.0}, \
             card out to start screen {:.0}",
            per(self.split.insert),
            per(self.split.flow),
            per(self.split.remove)
        );
    }
}

fn main() {
    if !soak_support::stack_or_skip("the kiosk throughput benchmark") {
        return;
    }
    let n: usize = std::env::var("MYNA_BENCH_SESSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().unwrap();
    let mut cards = Vec::new();
    for slot in 0..2u8 {
        let state = dir.path().join(format!("card{slot}.json"));
        SlotCard::prepare(&state, AUTH_PIN, "START0");
        let c = SlotCard::start(slot, &state, &dir.path().join(format!("card{slot}.log")));
        c.remove();
        cards.push(c);
    }
    let audit = dir.path().join("audit.sqlite3");
    let audit = audit.to_str().unwrap();
    let pcscd = pcscd_pid();
    let me = std::process::id();

    // One station.
    let kiosk = KioskProcess::start(&[
        "--reader",
        &cards[0].reader,
        "--audit",
        audit,
        "--lang",
        "en",
    ]);
    let mut st = kiosk.station(0);
    // Warm up: the first session pays for the first connection.
    run(&mut st, &cards[0], 1, "WARM");
    let (k0, p0, s0) = (
        cpu_secs(kiosk.pid()),
        pcscd.map_or(0.0, cpu_secs),
        cpu_secs(me),
    );
    let (wall, split) = run(&mut st, &cards[0], n, "ONE");
    let one = Phase {
        sessions: n,
        wall,
        kiosk_cpu: cpu_secs(kiosk.pid()) - k0,
        pcscd_cpu: pcscd.map_or(0.0, cpu_secs) - p0,
        self_cpu: cpu_secs(me) - s0,
        split,
    };
    drop(st);
    kiosk.finish();

    // Two stations, one client thread each.
    let kiosk = KioskProcess::start(&["--reader", "all", "--audit", audit, "--lang", "en"]);
    let mut stations: Vec<Station> = Vec::new();
    for c in &cards {
        let n = kiosk
            .stations()
            .iter()
            .position(|r| *r == c.reader)
            .unwrap_or_else(|| panic!("no station for {}", c.reader));
        stations.push(kiosk.station(n));
    }
    for (st, c) in stations.iter_mut().zip(&cards) {
        run(st, c, 1, "WARM");
    }
    let (k0, p0, s0) = (
        cpu_secs(kiosk.pid()),
        pcscd.map_or(0.0, cpu_secs),
        cpu_secs(me),
    );
    let t = Instant::now();
    let splits: Vec<Split> = std::thread::scope(|s| {
        let threads: Vec<_> = stations
            .iter_mut()
            .zip(&cards)
            .map(|(st, c)| s.spawn(move || run(st, c, n, "TWO").1))
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("a client"))
            .collect()
    });
    let split = splits.iter().fold(Split::default(), |a, b| Split {
        insert: a.insert + b.insert,
        flow: a.flow + b.flow,
        remove: a.remove + b.remove,
    });
    let two = Phase {
        sessions: 2 * n,
        wall: t.elapsed(),
        kiosk_cpu: cpu_secs(kiosk.pid()) - k0,
        pcscd_cpu: pcscd.map_or(0.0, cpu_secs) - p0,
        self_cpu: cpu_secs(me) - s0,
        split,
    };
    drop(stations);
    kiosk.finish();

    one.print("one station ");
    two.print("two stations");
    println!(
        "ratio: {:.2} (target at least 1.8); {} CPUs",
        two.per_min() / one.per_min(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
}
