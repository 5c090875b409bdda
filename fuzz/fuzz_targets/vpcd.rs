//! vpcd frames: a byte stream from vpcd is parsed frame by frame and served to the virtual card.
//! Parsing never panics and always makes progress; APDU frames re-encode to the same bytes; the
//! card answers every APDU and keeps its invariants.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mynacard::sim::vpcd::{encode_frame, parse_frame, Frame};
use mynacard::sim::VirtualCard;

fuzz_target!(|data: &[u8]| {
    let mut card = VirtualCard::new();
    let mut rest = data;
    while let Some((used, frame)) = parse_frame(rest) {
        assert!(used >= 2 && used <= rest.len());
        match frame {
            Ok(Frame::Apdu(apdu)) => {
                assert_eq!(encode_frame(apdu).unwrap(), &rest[..used]);
                let r = card.process(apdu);
                assert!(r.sw.0 >= 0x6000);
            }
            Ok(Frame::PowerOff) => card.power_off(),
            Ok(Frame::PowerOn) => {
                card.power_on();
            }
            Ok(Frame::Reset) => {
                card.warm_reset();
            }
            Ok(Frame::GetAtr) => assert!(!card.atr().is_empty()),
            Err(_) => {}
        }
        if let Err(e) = card.check_invariants() {
            panic!("{e}");
        }
        rest = &rest[used..];
    }
});
