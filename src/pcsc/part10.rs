//! PC/SC part 10: asking the reader whether it carries extended-length APDUs.

/// The function number of `CM_IOCTL_GET_FEATURE_REQUEST` (PC/SC part 10), before
/// `SCARD_CTL_CODE` (which differs between platforms) is applied.
const GET_FEATURE_REQUEST: u32 = 3400;
/// The feature tag of `FEATURE_GET_TLV_PROPERTIES`.
pub(super) const FEATURE_GET_TLV_PROPERTIES: u8 = 0x12;
/// The property tag of `dwMaxAPDUDataSize`.
pub(super) const PROPERTY_MAX_APDU_DATA_SIZE: u8 = 0x0A;

/// Finds a feature's control code in a PC/SC part 10 feature list: entries of a tag byte, a
/// length byte (4) and a big-endian 32-bit control code. `None` if absent or malformed.
pub(crate) fn feature_control_code(features: &[u8], tag: u8) -> Option<u32> {
    let mut rest = features;
    while let [t, len, tail @ ..] = rest {
        let len = *len as usize;
        let value = tail.get(..len)?;
        if *t == tag {
            return <[u8; 4]>::try_from(value).ok().map(u32::from_be_bytes);
        }
        rest = &tail[len..];
    }
    None
}

/// Finds a property in a PC/SC part 10 TLV property list: entries of a tag byte, a length byte
/// and a little-endian value of that length (1, 2 or 4 bytes). `None` if absent or malformed.
pub(crate) fn tlv_property(properties: &[u8], tag: u8) -> Option<u32> {
    let mut rest = properties;
    while let [t, len, tail @ ..] = rest {
        let len = *len as usize;
        let value = tail.get(..len)?;
        if *t == tag {
            return match value {
                [a] => Some(*a as u32),
                [a, b] => Some(u16::from_le_bytes([*a, *b]) as u32),
                [a, b, c, d] => Some(u32::from_le_bytes([*a, *b, *c, *d])),
                _ => None,
            };
        }
        rest = &tail[len..];
    }
    None
}

/// Whether a reader's `dwMaxAPDUDataSize` allows extended APDUs: `0` means short APDUs only;
/// anything above 256 bytes of data needs extended length.
pub fn extended_from_max_apdu_data_size(size: u32) -> bool {
    size > 256
}

/// Asks the reader (PC/SC part 10) whether it carries extended APDUs. `None` if it cannot tell.
pub(super) fn reader_extended(card: &pcsc::Card) -> Option<bool> {
    let mut buf = [0u8; 256];
    let features = card
        .control(pcsc::ctl_code(GET_FEATURE_REQUEST as _), &[], &mut buf)
        .ok()?
        .to_vec();
    let code = feature_control_code(&features, FEATURE_GET_TLV_PROPERTIES)?;
    let props = card.control(code as _, &[], &mut buf).ok()?;
    tlv_property(props, PROPERTY_MAX_APDU_DATA_SIZE).map(extended_from_max_apdu_data_size)
}
