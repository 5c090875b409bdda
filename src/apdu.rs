//! Command and response APDUs (ISO/IEC 7816-3 and 7816-4): a pure codec with no I/O.
//!
//! * [`Command`] builds commands in all seven cases (1, 2S, 3S, 4S, 2E, 3E, 4E). Extended
//!   lengths are written big-endian. A command with no data and no `Le` is case 1: an empty
//!   VERIFY, used to query a retry counter, is `00 20 00 80` and nothing else
//!   ([card facts §3](crate::card_facts#s3)).
//! * [`CommandView`] parses a command from borrowed bytes without allocating.
//! * [`Response`] and [`StatusWord`] parse what the card answers; [`Status`] classifies the
//!   status word.
//!
//! Command data is kept in a zeroizing buffer and the encoded bytes are zeroized on drop, because
//! VERIFY and CHANGE REFERENCE DATA carry PINs. `Debug` masks the data of those commands.

use std::fmt;

use zeroize::{Zeroize, Zeroizing};

/// The largest `Nc` (data length) a command may carry: 65,535 bytes (extended Lc).
pub const MAX_DATA: usize = 65_535;
/// The largest `Ne` (expected response length): 65,536 bytes (extended Le `00 00`).
pub const MAX_NE: usize = 65_536;

/// Instruction bytes this crate sends, with the source for each ([card facts](crate::card_facts)).
pub mod ins {
    /// SELECT (§1, §2).
    pub const SELECT: u8 = 0xA4;
    /// READ BINARY (§6).
    pub const READ_BINARY: u8 = 0xB0;
    /// READ RECORD (§2, 共通カードAP).
    pub const READ_RECORD: u8 = 0xB2;
    /// VERIFY (§3). Carries a PIN.
    pub const VERIFY: u8 = 0x20;
    /// CHANGE REFERENCE DATA (§4). Carries a PIN.
    pub const CHANGE_REFERENCE_DATA: u8 = 0x24;
    /// RESET RETRY COUNTER (§5). Carries a PIN when P1 = 02.
    pub const RESET_RETRY_COUNTER: u8 = 0x2C;
    /// JICSAP CHANGE KEY, CLA 80 (§4). Carries a PIN.
    pub const CHANGE_KEY: u8 = 0x32;
    /// COMPUTE DIGITAL SIGNATURE, CLA 80 (§7).
    pub const SIGN: u8 = 0x2A;
    /// GET RESPONSE (§3, `61xx`).
    pub const GET_RESPONSE: u8 = 0xC0;
    /// GET CHALLENGE.
    pub const GET_CHALLENGE: u8 = 0x84;
    /// EXTERNAL AUTHENTICATE.
    pub const EXTERNAL_AUTHENTICATE: u8 = 0x82;
    /// INTERNAL AUTHENTICATE.
    pub const INTERNAL_AUTHENTICATE: u8 = 0x88;

    /// Whether a command with this instruction carries secret data (a PIN or a new PIN) that must
    /// never be logged: VERIFY, CHANGE REFERENCE DATA, CHANGE KEY and RESET RETRY COUNTER.
    pub const fn carries_secret(ins: u8) -> bool {
        matches!(
            ins,
            VERIFY | CHANGE_REFERENCE_DATA | CHANGE_KEY | RESET_RETRY_COUNTER
        )
    }
}

/// An error in the shape of an APDU.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApduError {
    /// Fewer than four header bytes (commands) or two status bytes (responses).
    #[error("APDU too short: {len} bytes, at least {min} needed")]
    TooShort {
        /// Bytes given.
        len: usize,
        /// Bytes needed.
        min: usize,
    },
    /// The body does not match any of the seven ISO 7816-3 cases.
    #[error("APDU body of {body} bytes matches no ISO 7816-3 case")]
    InvalidBody {
        /// Bytes after the four header bytes.
        body: usize,
    },
    /// Command data longer than 65,535 bytes.
    #[error("command data of {0} bytes is longer than 65535")]
    DataTooLong(usize),
    /// `Ne` of zero or above 65,536.
    #[error("expected length {0} is outside 1..=65536")]
    InvalidNe(usize),
    /// Extended length forced on a command whose lengths need the short form, or vice versa.
    #[error("short form cannot carry {0}")]
    NeedsExtended(&'static str),
}

/// Which of the seven ISO 7816-3 cases a command is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Case {
    /// No data, no response data expected.
    Case1,
    /// No data, response data expected, short Le.
    Case2Short,
    /// Data, no response data, short Lc.
    Case3Short,
    /// Data and response data, short.
    Case4Short,
    /// No data, extended Le.
    Case2Extended,
    /// Data, extended Lc.
    Case3Extended,
    /// Data and response, extended.
    Case4Extended,
}

impl Case {
    /// Whether this case uses extended lengths.
    pub const fn is_extended(self) -> bool {
        matches!(
            self,
            Case::Case2Extended | Case::Case3Extended | Case::Case4Extended
        )
    }
}

/// A command's data field, wiped on drop as `Zeroizing<Vec<u8>>` would wipe it, except that a
/// buffer that never allocated (an empty data field, capacity 0) has nothing to wipe and is left
/// alone: zeroize 1.9 spends about 100 ns on the empty spare capacity of such a `Vec`, which was
/// most of the cost of building or parsing a header-only command (benches/apdu.rs).
#[derive(Clone, PartialEq, Eq, Default)]
struct DataField(Vec<u8>);

impl DataField {
    fn new(data: Vec<u8>) -> Self {
        DataField(data)
    }
}

impl Drop for DataField {
    fn drop(&mut self) {
        if self.0.capacity() > 0 {
            self.0.zeroize();
        }
    }
}

impl std::ops::Deref for DataField {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// A command APDU, owned.
///
/// The data field is held in a zeroizing buffer. `Debug` masks the data of commands that carry
/// secrets (see [`ins::carries_secret`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    cla: u8,
    ins: u8,
    p1: u8,
    p2: u8,
    data: DataField,
    ne: Option<usize>,
    extended: bool,
}

impl Command {
    /// A case-1 command: header only.
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Command {
            cla,
            ins,
            p1,
            p2,
            data: DataField::default(),
            ne: None,
            extended: false,
        }
    }

    /// Sets the data field. Fails if it is longer than 65,535 bytes.
    pub fn with_data(mut self, data: &[u8]) -> Result<Self, ApduError> {
        if data.len() > MAX_DATA {
            return Err(ApduError::DataTooLong(data.len()));
        }
        self.data = DataField::new(data.to_vec());
        self.fix_form();
        Ok(self)
    }

    /// Sets `Ne`, the number of response bytes expected (1..=65,536). `Ne` = 256 is written as a
    /// short `Le` of `00`; `Ne` = 65,536 as an extended `Le` of `00 00`.
    pub fn with_ne(mut self, ne: usize) -> Result<Self, ApduError> {
        if ne == 0 || ne > MAX_NE {
            return Err(ApduError::InvalidNe(ne));
        }
        self.ne = Some(ne);
        self.fix_form();
        Ok(self)
    }

    /// Forces the extended form even where the short form would do (for example
    /// `00 B0 8A 00 00 00 00`, a whole-file read with extended `Le` = 65,536).
    pub fn extended(mut self) -> Self {
        if !self.data.is_empty() || self.ne.is_some() {
            self.extended = true;
        }
        self
    }

    fn fix_form(&mut self) {
        if self.data.len() > 255 || self.ne.is_some_and(|n| n > 256) {
            self.extended = true;
        }
    }

    /// Class byte.
    pub fn cla(&self) -> u8 {
        self.cla
    }
    /// Instruction byte.
    pub fn ins(&self) -> u8 {
        self.ins
    }
    /// First parameter.
    pub fn p1(&self) -> u8 {
        self.p1
    }
    /// Second parameter.
    pub fn p2(&self) -> u8 {
        self.p2
    }
    /// The data field (may be secret: do not log it).
    pub fn data(&self) -> &[u8] {
        &self.data
    }
    /// `Ne`, if a response is expected.
    pub fn ne(&self) -> Option<usize> {
        self.ne
    }
    /// The ISO 7816-3 case this command encodes as.
    pub fn case(&self) -> Case {
        match (self.data.is_empty(), self.ne.is_some(), self.extended) {
            (true, false, _) => Case::Case1,
            (true, true, false) => Case::Case2Short,
            (false, false, false) => Case::Case3Short,
            (false, true, false) => Case::Case4Short,
            (true, true, true) => Case::Case2Extended,
            (false, false, true) => Case::Case3Extended,
            (false, true, true) => Case::Case4Extended,
        }
    }

    /// Whether this command's data must be masked in logs.
    pub fn is_secret(&self) -> bool {
        ins::carries_secret(self.ins) && !self.data.is_empty()
    }

    /// Length of the encoded command.
    pub fn encoded_len(&self) -> usize {
        let n = self.data.len();
        4 + match self.case() {
            Case::Case1 => 0,
            Case::Case2Short => 1,
            Case::Case3Short => 1 + n,
            Case::Case4Short => 2 + n,
            Case::Case2Extended => 3,
            Case::Case3Extended => 3 + n,
            Case::Case4Extended => 5 + n,
        }
    }

    /// Encodes into `out` (appending).
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.reserve(self.encoded_len());
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        let n = self.data.len();
        let short_le = |ne: usize| if ne == 256 { 0u8 } else { ne as u8 };
        let ext_le = |ne: usize| {
            if ne == MAX_NE {
                [0u8, 0]
            } else {
                (ne as u16).to_be_bytes()
            }
        };
        match self.case() {
            Case::Case1 => {}
            Case::Case2Short => out.push(short_le(self.ne.unwrap_or(256))),
            Case::Case3Short => {
                out.push(n as u8);
                out.extend_from_slice(&self.data);
            }
            Case::Case4Short => {
                out.push(n as u8);
                out.extend_from_slice(&self.data);
                out.push(short_le(self.ne.unwrap_or(256)));
            }
            Case::Case2Extended => {
                out.push(0);
                out.extend_from_slice(&ext_le(self.ne.unwrap_or(MAX_NE)));
            }
            Case::Case3Extended => {
                out.push(0);
                out.extend_from_slice(&(n as u16).to_be_bytes());
                out.extend_from_slice(&self.data);
            }
            Case::Case4Extended => {
                out.push(0);
                out.extend_from_slice(&(n as u16).to_be_bytes());
                out.extend_from_slice(&self.data);
                out.extend_from_slice(&ext_le(self.ne.unwrap_or(MAX_NE)));
            }
        }
    }

    /// Encodes into a zeroizing buffer (the bytes may hold a PIN).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut v = Zeroizing::new(Vec::with_capacity(self.encoded_len()));
        self.encode_into(&mut v);
        v
    }

    /// Parses an owned command from bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApduError> {
        CommandView::parse(bytes).map(|v| v.to_owned())
    }

    /// A copy of this command that is safe to log: the data of secret-carrying commands is
    /// replaced by the same number of `0x2A` (`*`) bytes.
    pub fn masked(&self) -> Command {
        let mut c = self.clone();
        if self.is_secret() {
            c.data = DataField::new(vec![b'*'; self.data.len()]);
        }
        c
    }
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Command");
        d.field("cla", &format_args!("{:02X}", self.cla))
            .field("ins", &format_args!("{:02X}", self.ins))
            .field("p1", &format_args!("{:02X}", self.p1))
            .field("p2", &format_args!("{:02X}", self.p2));
        if self.is_secret() {
            d.field(
                "data",
                &format_args!("<{} bytes redacted>", self.data.len()),
            );
        } else {
            d.field("data", &format_args!("{}", hex::encode_upper(&*self.data)));
        }
        d.field("ne", &self.ne).field("case", &self.case()).finish()
    }
}

/// A command APDU parsed from borrowed bytes, without allocating.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CommandView<'a> {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// First parameter.
    pub p1: u8,
    /// Second parameter.
    pub p2: u8,
    /// The data field (may be secret).
    pub data: &'a [u8],
    /// `Ne`, if the command expects response data.
    pub ne: Option<usize>,
    /// The case.
    pub case: Case,
}

impl<'a> CommandView<'a> {
    /// Parses a command. Every body length is accepted or refused with an error; this never
    /// panics.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ApduError> {
        if bytes.len() < 4 {
            return Err(ApduError::TooShort {
                len: bytes.len(),
                min: 4,
            });
        }
        let (cla, ins, p1, p2) = (bytes[0], bytes[1], bytes[2], bytes[3]);
        let body = &bytes[4..];
        let short_ne = |b: u8| if b == 0 { 256 } else { b as usize };
        let ext_ne = |hi: u8, lo: u8| {
            let n = u16::from_be_bytes([hi, lo]) as usize;
            if n == 0 {
                MAX_NE
            } else {
                n
            }
        };
        let invalid = ApduError::InvalidBody { body: body.len() };
        let (data, ne, case): (&[u8], Option<usize>, Case) = match body {
            [] => (&[], None, Case::Case1),
            [le] => (&[], Some(short_ne(*le)), Case::Case2Short),
            [0, hi, lo] => (&[], Some(ext_ne(*hi, *lo)), Case::Case2Extended),
            [0, rest @ ..] if body.len() > 3 => {
                let nc = u16::from_be_bytes([rest[0], rest[1]]) as usize;
                let after = &rest[2..];
                if nc == 0 {
                    return Err(invalid);
                }
                if after.len() == nc {
                    (after, None, Case::Case3Extended)
                } else if after.len() == nc + 2 {
                    (
                        &after[..nc],
                        Some(ext_ne(after[nc], after[nc + 1])),
                        Case::Case4Extended,
                    )
                } else {
                    return Err(invalid);
                }
            }
            [lc, rest @ ..] => {
                let nc = *lc as usize;
                if nc == 0 {
                    return Err(invalid);
                }
                if rest.len() == nc {
                    (rest, None, Case::Case3Short)
                } else if rest.len() == nc + 1 {
                    (&rest[..nc], Some(short_ne(rest[nc])), Case::Case4Short)
                } else {
                    return Err(invalid);
                }
            }
        };
        Ok(CommandView {
            cla,
            ins,
            p1,
            p2,
            data,
            ne,
            case,
        })
    }

    /// Copies into an owned [`Command`] that encodes back to the same bytes.
    pub fn to_owned(&self) -> Command {
        Command {
            cla: self.cla,
            ins: self.ins,
            p1: self.p1,
            p2: self.p2,
            data: DataField::new(self.data.to_vec()),
            ne: self.ne,
            extended: self.case.is_extended(),
        }
    }
}

impl fmt::Debug for CommandView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = ins::carries_secret(self.ins) && !self.data.is_empty();
        let mut d = f.debug_struct("CommandView");
        d.field("cla", &format_args!("{:02X}", self.cla))
            .field("ins", &format_args!("{:02X}", self.ins))
            .field("p1", &format_args!("{:02X}", self.p1))
            .field("p2", &format_args!("{:02X}", self.p2));
        if secret {
            d.field(
                "data",
                &format_args!("<{} bytes redacted>", self.data.len()),
            );
        } else {
            d.field("data", &format_args!("{}", hex::encode_upper(self.data)));
        }
        d.field("ne", &self.ne).field("case", &self.case).finish()
    }
}

/// A status word, `SW1 SW2`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusWord(pub u16);

impl StatusWord {
    /// `9000`.
    pub const OK: StatusWord = StatusWord(0x9000);
    /// From the two bytes.
    pub const fn from_bytes(sw1: u8, sw2: u8) -> Self {
        StatusWord(((sw1 as u16) << 8) | sw2 as u16)
    }
    /// SW1.
    pub const fn sw1(self) -> u8 {
        (self.0 >> 8) as u8
    }
    /// SW2.
    pub const fn sw2(self) -> u8 {
        self.0 as u8
    }
    /// The classified meaning.
    pub fn status(self) -> Status {
        Status::from(self)
    }
    /// `9000`, or a `62xx`/`63xx` warning that still carries data (`6282` end of file reached).
    pub fn is_success(self) -> bool {
        self.0 == 0x9000
    }
}

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StatusWord({:04X})", self.0)
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X}", self.0)
    }
}

/// A classified status word. Every one of the 65,536 status words maps to exactly one variant
/// and back ([`Status::status_word`]); words with no variant of their own are [`Status::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// `9000`.
    Success,
    /// `61xx`: more data; fetch with GET RESPONSE, `xx` bytes (0 = 256).
    MoreData(u8),
    /// `6282`: end of file reached before `Ne` bytes were read.
    EndOfFile,
    /// `6300`: verification failed, no retry counter.
    VerificationFailed,
    /// `63Cx`: verification failed (or, for an empty VERIFY, not yet verified); `x` tries left.
    /// `63C0` is the attempt that exhausted the counter.
    TriesLeft(u8),
    /// `6581`: memory failure.
    MemoryFailure,
    /// `6700`: wrong length.
    WrongLength,
    /// `6882`: secure messaging not supported.
    SecureMessagingNotSupported,
    /// `6982`: security status not satisfied (a PIN is needed first).
    SecurityStatusNotSatisfied,
    /// `6983`: authentication method blocked.
    AuthenticationBlocked,
    /// `6984`: reference data not usable: on this card, a blocked PIN
    /// ([card facts §3](crate::card_facts#s3)).
    ReferenceDataBlocked,
    /// `6985`: conditions of use not satisfied.
    ConditionsNotSatisfied,
    /// `6986`: command not allowed (no current EF).
    CommandNotAllowed,
    /// `6A80`: incorrect data.
    IncorrectData,
    /// `6A81`: function not supported.
    FunctionNotSupported,
    /// `6A82`: file or application not found.
    FileNotFound,
    /// `6A83`: record not found.
    RecordNotFound,
    /// `6A86`: incorrect P1-P2.
    IncorrectP1P2,
    /// `6A88`: referenced data not found.
    ReferencedDataNotFound,
    /// `6B00`: wrong parameters (offset past the end of the file).
    WrongParameters,
    /// `6Cxx`: wrong `Le`; re-send with `Le` = `xx`.
    WrongLe(u8),
    /// `6D00`: instruction not supported.
    InstructionNotSupported,
    /// `6E00`: class not supported.
    ClassNotSupported,
    /// `6F00`: no precise diagnosis.
    NoPreciseDiagnosis,
    /// Any other status word.
    Other(StatusWord),
}

impl From<StatusWord> for Status {
    fn from(sw: StatusWord) -> Self {
        match sw.0 {
            0x9000 => Status::Success,
            0x6282 => Status::EndOfFile,
            0x6300 => Status::VerificationFailed,
            0x6581 => Status::MemoryFailure,
            0x6700 => Status::WrongLength,
            0x6882 => Status::SecureMessagingNotSupported,
            0x6982 => Status::SecurityStatusNotSatisfied,
            0x6983 => Status::AuthenticationBlocked,
            0x6984 => Status::ReferenceDataBlocked,
            0x6985 => Status::ConditionsNotSatisfied,
            0x6986 => Status::CommandNotAllowed,
            0x6A80 => Status::IncorrectData,
            0x6A81 => Status::FunctionNotSupported,
            0x6A82 => Status::FileNotFound,
            0x6A83 => Status::RecordNotFound,
            0x6A86 => Status::IncorrectP1P2,
            0x6A88 => Status::ReferencedDataNotFound,
            0x6B00 => Status::WrongParameters,
            0x6D00 => Status::InstructionNotSupported,
            0x6E00 => Status::ClassNotSupported,
            0x6F00 => Status::NoPreciseDiagnosis,
            w if w >> 8 == 0x61 => Status::MoreData(w as u8),
            w if w >> 8 == 0x6C => Status::WrongLe(w as u8),
            w if w & 0xFFF0 == 0x63C0 => Status::TriesLeft((w & 0x0F) as u8),
            _ => Status::Other(sw),
        }
    }
}

impl Status {
    /// The status word this variant stands for.
    pub fn status_word(self) -> StatusWord {
        StatusWord(match self {
            Status::Success => 0x9000,
            Status::MoreData(n) => 0x6100 | n as u16,
            Status::EndOfFile => 0x6282,
            Status::VerificationFailed => 0x6300,
            Status::TriesLeft(n) => 0x63C0 | (n & 0x0F) as u16,
            Status::MemoryFailure => 0x6581,
            Status::WrongLength => 0x6700,
            Status::SecureMessagingNotSupported => 0x6882,
            Status::SecurityStatusNotSatisfied => 0x6982,
            Status::AuthenticationBlocked => 0x6983,
            Status::ReferenceDataBlocked => 0x6984,
            Status::ConditionsNotSatisfied => 0x6985,
            Status::CommandNotAllowed => 0x6986,
            Status::IncorrectData => 0x6A80,
            Status::FunctionNotSupported => 0x6A81,
            Status::FileNotFound => 0x6A82,
            Status::RecordNotFound => 0x6A83,
            Status::IncorrectP1P2 => 0x6A86,
            Status::ReferencedDataNotFound => 0x6A88,
            Status::WrongParameters => 0x6B00,
            Status::WrongLe(n) => 0x6C00 | n as u16,
            Status::InstructionNotSupported => 0x6D00,
            Status::ClassNotSupported => 0x6E00,
            Status::NoPreciseDiagnosis => 0x6F00,
            Status::Other(sw) => return sw,
        })
    }
}

impl From<Status> for StatusWord {
    fn from(s: Status) -> Self {
        s.status_word()
    }
}

/// A response APDU: data and status word.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    /// Response data.
    pub data: Vec<u8>,
    /// Status word.
    pub sw: StatusWord,
}

impl Response {
    /// Parses `data || SW1 SW2`.
    pub fn parse(bytes: &[u8]) -> Result<Self, ApduError> {
        let view = ResponseView::parse(bytes)?;
        Ok(Response {
            data: view.data.to_vec(),
            sw: view.sw,
        })
    }
    /// A response with the given data and status.
    pub fn new(data: Vec<u8>, sw: StatusWord) -> Self {
        Response { data, sw }
    }
    /// A status-only response.
    pub fn status(sw: impl Into<StatusWord>) -> Self {
        Response {
            data: Vec::new(),
            sw: sw.into(),
        }
    }
    /// Encodes as `data || SW1 SW2`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.data.len() + 2);
        v.extend_from_slice(&self.data);
        v.push(self.sw.sw1());
        v.push(self.sw.sw2());
        v
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("len", &self.data.len())
            .field("sw", &self.sw)
            .finish()
    }
}

/// A response parsed from borrowed bytes, without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResponseView<'a> {
    /// Response data.
    pub data: &'a [u8],
    /// Status word.
    pub sw: StatusWord,
}

impl<'a> ResponseView<'a> {
    /// Parses `data || SW1 SW2`.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ApduError> {
        match bytes {
            [data @ .., sw1, sw2] => Ok(ResponseView {
                data,
                sw: StatusWord::from_bytes(*sw1, *sw2),
            }),
            _ => Err(ApduError::TooShort {
                len: bytes.len(),
                min: 2,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_verify_is_case_1() {
        let c = Command::new(0, ins::VERIFY, 0, 0x80);
        assert_eq!(c.case(), Case::Case1);
        assert_eq!(&*c.to_bytes(), &[0x00, 0x20, 0x00, 0x80]);
    }

    #[test]
    fn extended_lengths_are_big_endian() {
        let c = Command::new(0, ins::READ_BINARY, 0, 4)
            .with_ne(0x061F)
            .unwrap();
        assert_eq!(&*c.to_bytes(), &[0, 0xB0, 0, 4, 0, 0x06, 0x1F]);
        let c = Command::new(0, ins::READ_BINARY, 0x8A, 0)
            .with_ne(MAX_NE)
            .unwrap();
        assert_eq!(&*c.to_bytes(), &[0, 0xB0, 0x8A, 0, 0, 0, 0]);
        let data = vec![7u8; 300];
        let c = Command::new(0x80, 0x2A, 0, 0x80)
            .with_data(&data)
            .unwrap()
            .with_ne(256)
            .unwrap();
        let b = c.to_bytes();
        assert_eq!(&b[4..7], &[0, 0x01, 0x2C]);
        assert_eq!(&b[b.len() - 2..], &[0x01, 0x00]);
    }

    #[test]
    fn short_le_256_is_zero() {
        let c = Command::new(0, 0xB0, 0, 0).with_ne(256).unwrap();
        assert_eq!(&*c.to_bytes(), &[0, 0xB0, 0, 0, 0]);
        assert_eq!(CommandView::parse(&c.to_bytes()).unwrap().ne, Some(256));
    }

    #[test]
    fn malformed_bodies_are_errors() {
        assert!(CommandView::parse(&[0, 0xA4, 4]).is_err());
        assert!(CommandView::parse(&[0, 0xA4, 4, 0, 3, 1]).is_err());
        assert!(CommandView::parse(&[0, 0xA4, 4, 0, 0, 0]).is_err());
        assert!(CommandView::parse(&[0, 0xA4, 4, 0, 0, 0, 2, 1]).is_err());
        assert!(ResponseView::parse(&[0x90]).is_err());
    }

    #[test]
    fn verify_debug_is_masked() {
        let c = Command::new(0, ins::VERIFY, 0, 0x80)
            .with_data(b"1234")
            .unwrap();
        let s = format!("{c:?}");
        assert!(!s.contains("31323334"), "{s}");
        assert!(s.contains("redacted"));
        assert_eq!(c.masked().data(), b"****");
    }
}
