//! The virtual card's throughput in-process: raw exchanges per second, and whole scenarios per
//! second, each from a powered-off card as a program would meet it: the status of all four PINs,
//! a VERIFY, and a signature (VERIFY, the certificate read for the check, SIGN, the check). The
//! virtual card signs with real RSA-2048 keys, so the signing scenarios measure mostly that
//! private-key operation and the host's check of the signature.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

use mynacard::cert::CertKind;
use mynacard::credential::{AuthPin, TextAssistPin};
use mynacard::crypto::HashAlgorithm;
use mynacard::sign::{SignOptions, SignatureScheme, ToSign};
use mynacard::sim::VirtualCard;
use mynacard::text_assist::{TextAssistKey, TextAssistOptions};
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
    let cert = [0x00, 0xB0, 0x8A, 0x00, 0x00, 0x00, 0x00];
    g.bench_function("exchange (READ BINARY certificate, extended)", |b| {
        b.iter(|| black_box(card.transmit(black_box(&cert)).unwrap()))
    });
    g.finish();
}

/// Exchanges `f` sends from a powered-off card: the scenario names below state them.
fn count(card: &mut Card<VirtualCard>, f: impl FnOnce(&mut Card<VirtualCard>)) -> u64 {
    card.unpower().unwrap();
    let before = card.exchanges();
    f(card);
    card.exchanges() - before
}

fn scenarios(c: &mut Criterion) {
    let mut g = c.benchmark_group("scenario");
    g.throughput(Throughput::Elements(1));
    let mut card = Card::new(VirtualCard::new());
    let pin = AuthPin::parse("1234").unwrap();
    let text = TextAssistPin::parse("1234").unwrap();
    let scheme = SignatureScheme::Pkcs1v15(HashAlgorithm::Sha256);
    let sign = |c: &mut Card<VirtualCard>, o: &SignOptions| {
        c.jpki()
            .sign(&pin, scheme, ToSign::Message(b"bench"), o)
            .unwrap()
    };
    assert_eq!(count(&mut card, |c| drop(c.status_all().unwrap())), 9);
    assert_eq!(count(&mut card, |c| c.verify(&pin).unwrap()), 3);
    let read = |c: &mut Card<VirtualCard>| drop(c.jpki().read_certificate(CertKind::Auth).unwrap());
    assert_eq!(count(&mut card, read), 2);
    assert_eq!(
        count(&mut card, |c| drop(sign(c, &SignOptions::unchecked()))),
        4
    );
    assert_eq!(
        count(&mut card, |c| drop(sign(c, &SignOptions::default()))),
        5
    );
    let text_read = |c: &mut Card<VirtualCard>| {
        let mut t = c
            .text_assist(TextAssistKey::Pin(&text), TextAssistOptions::default())
            .unwrap();
        black_box(t.basic_four().unwrap());
        black_box(t.my_number().unwrap().expose_str().len());
    };
    assert_eq!(count(&mut card, text_read), 6);
    g.bench_function("status of all four PINs (9 exchanges)", |b| {
        b.iter(|| {
            card.unpower().unwrap();
            black_box(card.status_all().unwrap())
        })
    });
    g.bench_function("verify, guard on (3 exchanges)", |b| {
        b.iter(|| {
            card.unpower().unwrap();
            card.verify(black_box(&pin)).unwrap()
        })
    });
    g.bench_function("read the auth certificate (2 exchanges)", |b| {
        b.iter(|| {
            card.unpower().unwrap();
            read(&mut card)
        })
    });
    g.bench_function(
        "sign: verify + SIGN, RSA-2048, unchecked (4 exchanges)",
        |b| {
            b.iter(|| {
                card.unpower().unwrap();
                black_box(sign(&mut card, &SignOptions::unchecked()))
            })
        },
    );
    g.bench_function(
        "sign: verify + certificate + SIGN, RSA-2048, checked (5 exchanges)",
        |b| {
            b.iter(|| {
                card.unpower().unwrap();
                black_box(sign(&mut card, &SignOptions::default()))
            })
        },
    );
    g.bench_function(
        "text assist: basic four + My Number, digests checked (6 exchanges)",
        |b| {
            b.iter(|| {
                card.unpower().unwrap();
                text_read(&mut card)
            })
        },
    );
    g.finish();
}

criterion_group!(benches, exchanges, scenarios);
criterion_main!(benches);
