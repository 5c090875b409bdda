//! The parsers do not allocate: counted with a counting global allocator.

use mynacard::apdu::{CommandView, ResponseView, Status};

#[test]
fn parsing_commands_responses_and_tlv_allocates_nothing() {
    let commands: Vec<Vec<u8>> = vec![
        vec![0x00, 0x20, 0x00, 0x80],
        vec![0x00, 0x20, 0x00, 0x98, 0x04, b'1', b'2', b'3', b'4'],
        vec![0x00, 0xB0, 0x8A, 0x00, 0x00, 0x00, 0x00],
        [
            vec![0x80, 0x2A, 0x00, 0x9A, 0x33],
            vec![7u8; 0x33],
            vec![0x00],
        ]
        .concat(),
        [
            vec![0x00, 0xD6, 0x00, 0x00, 0x00, 0x01, 0x2C],
            vec![1u8; 300],
        ]
        .concat(),
    ];
    let responses: Vec<Vec<u8>> = vec![
        vec![0x90, 0x00],
        [vec![1u8; 256], vec![0x63, 0xC2]].concat(),
    ];
    // The test card's basic-four-attributes file (tests/data/README.md).
    let tlv: &[u8] = include_bytes!("data/text-0002.bin");
    let mut checksum = 0usize;
    let info = allocation_counter::measure(|| {
        for c in &commands {
            let v = CommandView::parse(c).unwrap();
            checksum += v.data.len() + v.ne.unwrap_or(0);
        }
        for r in &responses {
            let v = ResponseView::parse(r).unwrap();
            if let Status::TriesLeft(n) = v.sw.status() {
                checksum += n as usize;
            }
        }
        let outer = mynacard::tlv::parse_one(tlv).unwrap();
        for t in outer.children() {
            checksum += t.unwrap().value.len();
        }
    });
    assert!(checksum > 0);
    assert_eq!(info.count_total, 0, "parsing allocated: {info:?}");
    // The counter works: an owned copy does allocate.
    let info = allocation_counter::measure(|| {
        std::hint::black_box(CommandView::parse(&commands[1]).unwrap().to_owned());
    });
    assert!(info.count_total > 0);
}
