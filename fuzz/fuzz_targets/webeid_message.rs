//! The Web eID native-messaging input: a frame (native-endian 32-bit length, then the message)
//! read from arbitrary bytes, the JSON request parser on its content and on the raw bytes, and
//! the command-line form. None may panic; a frame never exceeds its limit, and what parses is a
//! request whose origin passed the origin check.
#![no_main]
use libfuzzer_sys::fuzz_target;
use mynacard_webeid::protocol::{
    check_nonce, check_origin, parse_command_line, parse_message, read_frame, Request, MAX_FRAME,
};

fn check(r: &Request) {
    assert!(check_origin(r.origin()).is_ok());
    let _ = r.lang();
    if let Request::Authenticate {
        challenge_nonce, ..
    } = r
    {
        assert!(check_nonce(challenge_nonce).is_ok());
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = data;
    // Every frame the bytes hold, as the host reads them, until one is refused.
    while let Ok(frame) = read_frame(&mut input) {
        assert!(frame.len() as u64 <= u64::from(MAX_FRAME));
        if let Ok(r) = parse_message(&frame) {
            check(&r);
        }
    }
    if let Ok(r) = parse_message(data) {
        check(&r);
    }
    // The command-line form: a command name, a NUL, its JSON arguments.
    if let Ok(text) = std::str::from_utf8(data) {
        let (command, arguments) = text.split_once('\0').unwrap_or(("authenticate", text));
        if let Ok(r) = parse_command_line(command, arguments) {
            check(&r);
        }
        let _ = check_origin(text);
        let _ = check_nonce(text);
    }
});
