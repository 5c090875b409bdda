//! A transaction is a guard value: it ends when dropped, on every path, so a caller cannot
//! leave one open.

use mynacard::session::Session;
use mynacard::transport::{Transport, TransportError};
use mynacard::Error;

#[derive(Default)]
struct Counting {
    begun: u32,
    ended: u32,
}

impl Transport for Counting {
    fn transmit(&mut self, _command: &[u8]) -> Result<Vec<u8>, TransportError> {
        Ok(vec![0x90, 0x00])
    }
    fn begin_transaction(&mut self) -> Result<(), TransportError> {
        self.begun += 1;
        Ok(())
    }
    fn end_transaction(&mut self) {
        self.ended += 1;
    }
}

#[test]
fn the_guard_ends_the_transaction_when_dropped() {
    let mut s = Session::new(Counting::default());
    {
        let tx = s.begin().unwrap();
        assert_eq!(tx.transport().begun, 1);
        assert_eq!(tx.transport().ended, 0);
        // Nested transactions reach the transport only at the outermost level.
        let mut tx = tx;
        let inner: Result<(), Error> = tx.transaction(|_| Err(Error::Protocol("stop")));
        assert!(inner.is_err());
        assert_eq!(tx.transport().begun, 1);
        assert_eq!(tx.transport().ended, 0);
    }
    assert_eq!(s.transport().begun, 1);
    assert_eq!(s.transport().ended, 1);
    // An error inside the closure form ends it too.
    let r: Result<(), Error> = s.transaction(|_| Err(Error::Protocol("stop")));
    assert!(r.is_err());
    assert_eq!(s.transport().begun, 2);
    assert_eq!(s.transport().ended, 2);
}
