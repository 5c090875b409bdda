//! The virtual card fed arbitrary APDU sequences, power cycles and resets: it never panics, always
//! answers with a status word, and its invariants hold after every step.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mynacard::sim::VirtualCard;

fuzz_target!(|data: &[u8]| {
    let mut card = VirtualCard::new();
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        match op {
            0 => card.power_off(),
            1 => {
                card.warm_reset();
            }
            _ => {
                let len = (op as usize).min(tail.len());
                let (apdu, after) = tail.split_at(len);
                let r = card.process(apdu);
                assert!(r.sw.0 >= 0x6000, "no status word for {apdu:02X?}");
                rest = after;
                if let Err(e) = card.check_invariants() {
                    panic!("{e}");
                }
                continue;
            }
        }
        rest = tail;
    }
});
