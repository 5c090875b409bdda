//! The virtual card's throughput in-process: raw exchanges per second, and whole PIN scenarios
//! (status of all four, verify, a verify-then-sign flow once signing lands) per second.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

use mynacard::credential::AuthPin;
use mynacard::sim::VirtualCard;
use mynacard::transport::Transport;
use mynacard::Card;

fn exchanges(c: &mut Criterion) {
    let mut g = c.benchmark_group("virtual card");
    g.throughput(Throughput::Elements(1));
    let mut card = VirtualCard::new();
    let mut select = vec![0x00, 0xA4, 0x04, 0x0C, 0x0A];
    select.extend_from_slice(mynacard::applets::JPKI.as_bytes());
    card.transmit(&select).unwrap();
    let query = [0x00, 0x20, 0x00, 0x98];
    g.bench_function("exchange (empty VERIFY)", |b| {
        b.iter(|| black_box(card.transmit(black_box(&query)).unwrap()))
    });
    let read = [0x00, 0xB0, 0x86, 0x00, 0x00, 0x00, 0x00];
    g.bench_function("exchange (READ BINARY 160 bytes, extended)", |b| {
        b.iter(|| black_box(card.transmit(black_box(&read)).unwrap()))
    });
    g.finish();
}

fn scenarios(c: &mut Criterion) {
    let mut g = c.benchmark_group("scenario");
    g.throughput(Throughput::Elements(1));
    let mut card = Card::new(VirtualCard::new());
    g.bench_function("status of all four PINs", |b| {
        b.iter(|| {
            card.session_mut().forget();
            black_box(card.status_all().unwrap())
        })
    });
    let pin = AuthPin::parse("1234").unwrap();
    g.bench_function("verify (guard on)", |b| {
        b.iter(|| {
            card.session_mut().forget();
            card.verify(black_box(&pin)).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, exchanges, scenarios);
criterion_main!(benches);
