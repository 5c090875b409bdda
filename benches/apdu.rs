//! APDU encoding, parsing (borrowed and owned commands, responses) and status-word
//! classification, side by side with the trussed `iso7816` crate's equivalent operations in the
//! same run. Each group holds a `mynacard/<case>` and an `iso7816/<case>` benchmark; the
//! exchange report (`--criterion target/criterion`) prints them as ratios.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;

use mynacard::apdu::{Command, CommandView, ResponseView, Status, StatusWord};

const DIGEST_INFO: [u8; 51] = [
    0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
    22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
];

/// (name, cla, ins, p1, p2, data, Ne, force extended)
type Case = (
    &'static str,
    u8,
    u8,
    u8,
    u8,
    &'static [u8],
    Option<usize>,
    bool,
);

fn cases() -> Vec<Case> {
    vec![
        (
            "verify 4S data",
            0x00,
            0x20,
            0x00,
            0x98,
            b"1234",
            None,
            false,
        ),
        (
            "read 2E whole file",
            0x00,
            0xB0,
            0x8A,
            0x00,
            b"",
            Some(65_536),
            true,
        ),
        (
            "sign 4S",
            0x80,
            0x2A,
            0x00,
            0x9A,
            &DIGEST_INFO,
            Some(256),
            false,
        ),
    ]
}

fn ours(c: &Case) -> Command {
    let (_, cla, ins, p1, p2, data, ne, ext) = *c;
    let mut cmd = Command::new(cla, ins, p1, p2).with_data(data).unwrap();
    if let Some(n) = ne {
        cmd = cmd.with_ne(n).unwrap();
    }
    if ext {
        cmd = cmd.extended();
    }
    cmd
}

fn theirs(c: &Case) -> iso7816::command::CommandBuilder<&'static [u8]> {
    let (_, cla, ins, p1, p2, data, ne, ext) = *c;
    let le = match ne {
        None => iso7816::command::ExpectedLen::Ne(0),
        Some(65_536) => iso7816::command::ExpectedLen::Max,
        Some(n) => iso7816::command::ExpectedLen::Ne(n as u16),
    };
    let b = iso7816::command::CommandBuilder::new(
        iso7816::command::class::Class::try_from(cla).unwrap(),
        iso7816::Instruction::from(ins),
        p1,
        p2,
        data,
        le,
    );
    if ext {
        b.force_extended()
    } else {
        b
    }
}

fn encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("encode");
    for case in cases() {
        let cmd = ours(&case);
        let mut buf = Vec::with_capacity(512);
        g.bench_function(BenchmarkId::new("mynacard", case.0), |b| {
            b.iter(|| {
                buf.clear();
                black_box(&cmd).encode_into(&mut buf);
                black_box(buf.len())
            })
        });
        let builder = theirs(&case);
        let mut buf = Vec::with_capacity(512);
        g.bench_function(BenchmarkId::new("iso7816", case.0), |b| {
            b.iter(|| {
                buf.clear();
                black_box(&builder).serialize_into(&mut buf).unwrap();
                black_box(buf.len())
            })
        });
    }
    g.finish();
}

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    for case in cases() {
        let bytes = ours(&case).to_bytes().to_vec();
        g.bench_function(BenchmarkId::new("mynacard", case.0), |b| {
            b.iter(|| {
                let v = CommandView::parse(black_box(&bytes)).unwrap();
                black_box((v.data.len(), v.ne))
            })
        });
        g.bench_function(BenchmarkId::new("iso7816", case.0), |b| {
            b.iter(|| {
                let v = iso7816::command::CommandView::try_from(black_box(&bytes[..])).unwrap();
                black_box((v.data().len(), v.expected()))
            })
        });
    }
    g.finish();
}

fn parse_owned(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse owned");
    for case in cases() {
        let bytes = ours(&case).to_bytes().to_vec();
        g.bench_function(BenchmarkId::new("mynacard", case.0), |b| {
            b.iter(|| {
                let cmd = Command::parse(black_box(&bytes)).unwrap();
                black_box((cmd.data().len(), cmd.ne()))
            })
        });
        g.bench_function(BenchmarkId::new("iso7816", case.0), |b| {
            b.iter(|| {
                let cmd = iso7816::Command::<256>::try_from(black_box(&bytes[..])).unwrap();
                black_box((cmd.data().len(), cmd.expected()))
            })
        });
    }
    g.finish();
}

/// Splitting a response into data and status word, and classifying the word. `iso7816` has no
/// response parser; its users split the two last bytes and convert them to its `Status`, which
/// is what the `iso7816` side does.
fn parse_response(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse response");
    let cases: [(&str, Vec<u8>); 3] = [
        ("status only 63C2", vec![0x63, 0xC2]),
        (
            "signature 256 + 9000",
            [vec![0xA5; 256], vec![0x90, 0x00]].concat(),
        ),
        (
            "certificate 1590 + 9000",
            [vec![0x30; 1590], vec![0x90, 0x00]].concat(),
        ),
    ];
    for (name, resp) in &cases {
        g.bench_function(BenchmarkId::new("mynacard", name), |b| {
            b.iter(|| {
                let v = ResponseView::parse(black_box(resp)).unwrap();
                black_box((v.data.len(), matches!(v.sw.status(), Status::TriesLeft(_))))
            })
        });
        g.bench_function(BenchmarkId::new("iso7816", name), |b| {
            b.iter(|| {
                let r: &[u8] = black_box(resp);
                let (data, sw) = r.split_at(r.len() - 2);
                let st = iso7816::Status::from([sw[0], sw[1]]);
                black_box((
                    data.len(),
                    matches!(st, iso7816::Status::RemainingRetries(_)),
                ))
            })
        });
    }
    g.finish();
}

fn status(c: &mut Criterion) {
    let mut g = c.benchmark_group("status word");
    let words: Vec<u16> = vec![
        0x9000, 0x63C2, 0x6984, 0x6A82, 0x6108, 0x6C10, 0x6F00, 0x1234,
    ];
    let case = "classify 8 words";
    g.bench_function(BenchmarkId::new("mynacard", case), |b| {
        b.iter(|| {
            let mut n = 0u32;
            for w in black_box(&words) {
                if matches!(Status::from(StatusWord(*w)), Status::TriesLeft(_)) {
                    n += 1;
                }
            }
            n
        })
    });
    g.bench_function(BenchmarkId::new("iso7816", case), |b| {
        b.iter(|| {
            let mut n = 0u32;
            for w in black_box(&words) {
                if matches!(
                    iso7816::Status::from(*w),
                    iso7816::Status::RemainingRetries(_)
                ) {
                    n += 1;
                }
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, encode, parse, parse_owned, parse_response, status);
criterion_main!(benches);
