//! The virtual card as a [`Transport`]: exchanges logged, faults applied, and every command
//! refused in a process other than the one that opened the card's state file (a child made by
//! `fork()`), before anything is compared or saved.

use super::{Fault, VirtualCard};
use crate::apdu::{CommandView, Response};
use crate::transport::{Exchange, Transport, TransportCaps, TransportError};

impl Transport for VirtualCard {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let result = match self.check_process() {
            Ok(()) => self.transmit_inner(command),
            Err(e) => Err(e),
        };
        self.log.push(Exchange::new(command, result.clone()));
        result
    }

    fn caps(&self) -> TransportCaps {
        TransportCaps {
            extended_length: self.options.reader_extended,
        }
    }

    fn unpower(&mut self) -> Result<(), TransportError> {
        // No counter changes on power-off: a released card stays released.
        if self.owner.is_some_and(|pid| pid != std::process::id()) {
            return self.check_process();
        }
        if self.removed {
            return Err(TransportError::CardRemoved);
        }
        self.power_off();
        Ok(())
    }
}

impl VirtualCard {
    /// A persistent card answers only in the process that opened its state file: a child made
    /// by `fork()` holds a copy of the counters, and what it compared or saved would be lost to
    /// the parent (and the parent's saves to it), so a wrong PIN could be tried more often than
    /// the card allows. An in-memory card has no file to share and answers in any process.
    /// After [`VirtualCard::release_lock`], the state file is opened again first; a failure to
    /// do so (another program holds it) is a transport error, with nothing sent.
    fn check_process(&mut self) -> Result<(), TransportError> {
        self.ensure_usable()
            .map_err(|e| TransportError::Backend(e.to_string()))
    }

    fn transmit_inner(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.removed {
            return Err(TransportError::CardRemoved);
        }
        let app = self.vol.df;
        let view = CommandView::parse(command).ok();
        let fault = self.take_fault(app, view.as_ref());
        match fault {
            None => Ok(self.process(command).to_bytes()),
            Some(Fault::Refuse(sw)) => Ok(Response::status(sw).to_bytes()),
            Some(Fault::RemoveCard) => {
                self.remove();
                Err(TransportError::CardRemoved)
            }
            Some(Fault::PowerLossBefore) => {
                self.power_off();
                Err(TransportError::CardReset)
            }
            Some(Fault::PowerLossAfter) => {
                let _ = self.process(command);
                self.power_off();
                Err(TransportError::CardReset)
            }
            Some(Fault::DropResponse) => {
                let _ = self.process(command);
                Err(TransportError::NoResponse)
            }
            Some(Fault::Truncate(n)) => {
                let mut r = self.process(command).to_bytes();
                r.truncate(n);
                Ok(r)
            }
            Some(Fault::CorruptStatus) => {
                let mut r = self.process(command).data;
                r.extend_from_slice(&[0x6F, 0x00]);
                Ok(r)
            }
        }
    }
}
