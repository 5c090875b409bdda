//! The virtual card as a [`Transport`]: exchanges logged, faults applied.

use super::{Fault, VirtualCard};
use crate::apdu::{CommandView, Response};
use crate::transport::{Exchange, Transport, TransportCaps, TransportError};

impl Transport for VirtualCard {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let result = self.transmit_inner(command);
        self.log.push(Exchange::new(command, result.clone()));
        result
    }

    fn caps(&self) -> TransportCaps {
        TransportCaps {
            extended_length: self.options.reader_extended,
        }
    }

    fn unpower(&mut self) -> Result<(), TransportError> {
        if self.removed {
            return Err(TransportError::CardRemoved);
        }
        self.power_off();
        Ok(())
    }
}

impl VirtualCard {
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
