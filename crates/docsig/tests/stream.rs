//! Signing a content as it arrives (`sign_cms_stream`): the same CMS as `sign_cms`, byte for
//! byte; the content read in pieces of at most `CHUNK` bytes whatever its size; and a content
//! that changes between the hashing read and the copy into an attached CMS is an error.

mod common;

use std::io::{Cursor, Read, Seek, SeekFrom, Write};
use std::time::{Duration, UNIX_EPOCH};

use common::*;
use mynacard_docsig::{sign_cms, sign_cms_stream, verify_cms, Error, Form, Verdict, CHUNK};

fn options(form: Form) -> mynacard_docsig::SignOptions {
    let mut o = options_known_virtual();
    o.form = form;
    o.signing_time = UNIX_EPOCH + Duration::from_secs(1_780_000_000);
    o
}

#[test]
fn streamed_cms_is_the_same_as_in_memory_and_verifies() {
    let content: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    for form in [Form::Detached, Form::Attached] {
        let (mut c, _) = card();
        let whole = sign_cms(&mut c, &sign_pw(), &content, &options(form)).unwrap();
        let (mut c, log) = card();
        let mut out = Vec::new();
        let s = sign_cms_stream(
            &mut c,
            &sign_pw(),
            &mut Cursor::new(&content),
            &mut out,
            &options(form),
        )
        .unwrap();
        assert_eq!(log.len(), 5, "{form:?}: {log:?}");
        assert_eq!(out, whole.der, "{form:?}");
        assert_eq!(s.written, out.len() as u64);
        assert_eq!(s.content_len, content.len() as u64);
        let given = (form == Form::Detached).then_some(&content[..]);
        let r = verify_cms(&out, given, &trust_virtual());
        assert_eq!(r.verdict, Verdict::Valid, "{form:?}: {}", r.detail);
    }
}

/// A content of `len` bytes made up as it is read (nothing held), which records the largest
/// piece asked for; its second pass may differ from its first.
struct Made {
    len: u64,
    pos: u64,
    passes: u32,
    change_on_second_pass: bool,
    largest_read: usize,
    total_read: u64,
}

impl Made {
    fn new(len: u64) -> Self {
        Made {
            len,
            pos: 0,
            passes: 1,
            change_on_second_pass: false,
            largest_read: 0,
            total_read: 0,
        }
    }
}

impl Read for Made {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.largest_read = self.largest_read.max(buf.len());
        let n = buf.len().min((self.len - self.pos) as usize);
        for (i, b) in buf[..n].iter_mut().enumerate() {
            let p = self.pos + i as u64;
            *b = (p % 253) as u8 ^ (p >> 16) as u8;
            if self.change_on_second_pass && self.passes > 1 && p == self.len / 2 {
                *b ^= 1;
            }
        }
        self.pos += n as u64;
        self.total_read += n as u64;
        Ok(n)
    }
}

impl Seek for Made {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let SeekFrom::Start(p) = to else {
            return Err(std::io::Error::other("only from the start"));
        };
        self.pos = p;
        self.passes += 1;
        Ok(p)
    }
    fn stream_position(&mut self) -> std::io::Result<u64> {
        Ok(self.pos)
    }
}

/// A sink that keeps only a count.
#[derive(Default)]
struct Count(u64);

impl Write for Count {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0 += b.len() as u64;
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_large_content_is_read_in_bounded_pieces() {
    let len = 40 * 1024 * 1024 + 123;
    for form in [Form::Detached, Form::Attached] {
        let mut made = Made::new(len);
        let mut sink = Count::default();
        let (mut card, _) = card();
        let s =
            sign_cms_stream(&mut card, &sign_pw(), &mut made, &mut sink, &options(form)).unwrap();
        assert!(made.largest_read <= CHUNK, "{}", made.largest_read);
        assert_eq!(s.content_len, len);
        assert_eq!(sink.0, s.written);
        match form {
            // Read once; the CMS alone is written.
            Form::Detached => {
                assert_eq!(made.total_read, len);
                assert!(s.written < 16 * 1024, "{}", s.written);
            }
            // Read twice (hash, then copy); the content is inside the output.
            Form::Attached => {
                assert_eq!(made.total_read, 2 * len);
                assert!(s.written > len && s.written < len + 16 * 1024);
            }
        }
    }
}

#[test]
fn a_content_that_changes_while_being_signed_is_refused() {
    let mut made = Made::new(1024 * 1024);
    made.change_on_second_pass = true;
    let (mut card, _) = card();
    let e = sign_cms_stream(
        &mut card,
        &sign_pw(),
        &mut made,
        &mut Count::default(),
        &options(Form::Attached),
    )
    .unwrap_err();
    assert!(
        matches!(e, Error::SelfCheck(ref d) if d.contains("changed")),
        "{e}"
    );
}
