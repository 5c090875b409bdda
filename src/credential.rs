//! Typed secrets, one type per PIN or key of the card, validated before any I/O.
//!
//! | type | what | format ([card facts §3](crate::card_facts#s3), [§8](crate::card_facts#s8), [§11](crate::card_facts#s11)) |
//! |---|---|---|
//! | [`SignaturePassword`] | 署名用パスワード | 6–16 of `A-Z`, `0-9`, at least one letter and one digit |
//! | [`AuthPin`] | 利用者証明用 PIN | exactly 4 ASCII digits |
//! | [`ResidencePin`] | 住民基本台帳用 PIN | exactly 4 ASCII digits |
//! | [`TextAssistPin`] | 券面入力補助用 PIN | exactly 4 ASCII digits |
//! | [`MyNumber`] | 照合番号A: the 12-digit My Number | 12 digits, check digit valid |
//! | [`MatchingNumberB`] | 照合番号B | 14 digits: era-year birth date `YYMMDD`, expiry year, security code |
//! | [`BirthDateKey`] | 券面事項確認AP birth-date key | 6 digits: era-year birth date `YYMMDD` |
//!
//! Every value lives in a zeroizing buffer, its `Debug` is redacted, and it has no `Display`.
//! Errors name the rule that failed, never the value. The types are distinct, so an
//! authentication PIN cannot be passed where the signature password is expected:
//!
//! ```compile_fail
//! use mynacard::{Card, credential::{AuthPin, SignaturePassword}, sim::VirtualCard};
//! let mut card = Card::new(VirtualCard::new());
//! let current = SignaturePassword::parse("ABC123").unwrap();
//! let new = AuthPin::parse("1234").unwrap();
//! card.change(&current, &new); // error: expected `SignaturePassword`, found `AuthPin`
//! ```
//!
//! ```compile_fail
//! // No `Display`: a PIN cannot be formatted into a message by accident.
//! let pin = mynacard::credential::AuthPin::parse("1234").unwrap();
//! println!("{pin}");
//! ```

use std::fmt;

use zeroize::Zeroizing;

use crate::holder::era_year;
use crate::pin::PinKind;

/// What a credential is, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CredentialKind {
    /// A PIN of one of the four kinds.
    Pin(PinKind),
    /// 照合番号A (the My Number).
    MatchingNumberA,
    /// 照合番号B.
    MatchingNumberB,
    /// The birth-date key of the card-surface AP (era-year `YYMMDD`).
    BirthDateKey,
}

impl fmt::Display for CredentialKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialKind::Pin(k) => write!(f, "{}", k.description()),
            CredentialKind::MatchingNumberA => f.write_str("照合番号A (My Number)"),
            CredentialKind::MatchingNumberB => f.write_str("照合番号B"),
            CredentialKind::BirthDateKey => f.write_str("birth-date key (生年月日)"),
        }
    }
}

/// The rule a rejected value broke. Never contains the value itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rule {
    /// Wrong number of characters.
    #[error("must be {expected} characters long, got {got}")]
    Length {
        /// The accepted length, for example "exactly 4" or "6 to 16".
        expected: &'static str,
        /// The length given.
        got: usize,
    },
    /// A non-digit where only digits are allowed.
    #[error("only the digits 0-9 are accepted (character {position} is not a digit)")]
    NotDigit {
        /// 1-based position of the first offending character.
        position: usize,
    },
    /// A lower-case letter in the signature password.
    #[error("lower-case letters are not accepted; the card compares bytes (character {position})")]
    LowerCase {
        /// 1-based position.
        position: usize,
    },
    /// A character outside `A-Z` and `0-9`.
    #[error("only upper-case letters A-Z and digits 0-9 are accepted (character {position})")]
    NotAlphanumeric {
        /// 1-based position.
        position: usize,
    },
    /// The signature password has no letter.
    #[error("must contain at least one letter A-Z")]
    NoLetter,
    /// The signature password has no digit.
    #[error("must contain at least one digit 0-9")]
    NoDigit,
    /// The My Number's check digit does not match.
    #[error("the check digit (the 12th digit) does not match the first 11")]
    CheckDigit,
    /// A date part of 照合番号B is impossible.
    #[error("the {0} is not a valid date part")]
    Date(&'static str),
    /// The new value is the same as the current one.
    #[error("the new value is the same as the current one")]
    Unchanged,
    /// The two entries of a new value differ.
    #[error("the two entries of the new value differ")]
    Mismatch,
}

/// A value refused by validation, before any I/O.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind}: {rule}")]
pub struct CredentialError {
    /// What was being validated.
    pub kind: CredentialKind,
    /// The rule it broke.
    pub rule: Rule,
}

fn check_digits(kind: CredentialKind, s: &[u8], len: usize) -> Result<(), CredentialError> {
    if let Some(i) = s.iter().position(|b| !b.is_ascii_digit()) {
        return Err(CredentialError {
            kind,
            rule: Rule::NotDigit { position: i + 1 },
        });
    }
    if s.len() != len {
        return Err(CredentialError {
            kind,
            rule: Rule::Length {
                expected: match len {
                    4 => "exactly 4",
                    6 => "exactly 6",
                    12 => "exactly 12",
                    _ => "exactly 14",
                },
                got: s.len(),
            },
        });
    }
    Ok(())
}

/// Checks the month and day of an era-year date `YYMMDD` at the start of `digits` (already known
/// to be ASCII digits, at least six). The era year is not checked against the calendar: without
/// the era it could be any of several Gregorian years.
fn check_era_date(kind: CredentialKind, digits: &[u8]) -> Result<(), CredentialError> {
    let two = |i: usize| (digits[i] - b'0') * 10 + (digits[i + 1] - b'0');
    let rule = if !(1..=12).contains(&two(2)) {
        Rule::Date("birth month")
    } else if !(1..=31).contains(&two(4)) {
        Rule::Date("birth day")
    } else {
        return Ok(());
    };
    Err(CredentialError { kind, rule })
}

/// Implemented by every typed secret: its kind and its bytes as the card compares them.
pub trait Secret: private::Sealed {
    /// What this secret is.
    fn credential_kind(&self) -> CredentialKind;
    /// The bytes sent to the card (ASCII, no padding). Do not log them.
    fn expose(&self) -> &[u8];
}

/// A PIN of one of the four user-facing kinds, typed by kind.
pub trait Pin: Secret + Sized {
    /// The PIN kind this type is for.
    const KIND: PinKind;
    /// Validates and wraps a value: the type's own `parse`, for generic code (one check per
    /// credential; there is no `FromStr`).
    fn new(value: &str) -> Result<Self, CredentialError>;
}

mod private {
    pub trait Sealed {}
}

macro_rules! secret_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Clone, PartialEq, Eq)]
        pub struct $name(Zeroizing<String>);

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "(<redacted>)"))
            }
        }

        impl private::Sealed for $name {}
    };
}

macro_rules! four_digit_pin {
    ($(#[$m:meta])* $name:ident, $kind:expr) => {
        secret_type!($(#[$m])* $name);

        impl $name {
            /// Validates a value: exactly four ASCII digits.
            pub fn parse(value: &str) -> Result<Self, CredentialError> {
                check_digits(CredentialKind::Pin($kind), value.as_bytes(), 4)?;
                Ok($name(Zeroizing::new(value.to_owned())))
            }
        }

        impl Secret for $name {
            fn credential_kind(&self) -> CredentialKind {
                CredentialKind::Pin($kind)
            }
            fn expose(&self) -> &[u8] {
                self.0.as_bytes()
            }
        }

        impl Pin for $name {
            const KIND: PinKind = $kind;
            fn new(value: &str) -> Result<Self, CredentialError> {
                Self::parse(value)
            }
        }
    };
}

four_digit_pin!(
    /// 利用者証明用電子証明書 PIN: the JPKI user-authentication PIN, four digits, three tries.
    AuthPin,
    PinKind::UserAuth
);
four_digit_pin!(
    /// 住民基本台帳用 PIN: the residence-registry PIN, four digits, three tries. One value backed by
    /// two key references (住基AP and 共通カードAP).
    ResidencePin,
    PinKind::Residence
);
four_digit_pin!(
    /// 券面入力補助用 PIN: the text-input-assist PIN, four digits, three tries.
    TextAssistPin,
    PinKind::TextAssist
);

secret_type!(
    /// 署名用電子証明書 password: 6–16 characters of `A-Z` and `0-9`, with at least one letter and
    /// one digit; five tries.
    SignaturePassword
);

impl SignaturePassword {
    /// Validates a value. Lower-case letters are refused (the card compares bytes, so a lower-case
    /// letter would only cost a try).
    pub fn parse(value: &str) -> Result<Self, CredentialError> {
        let kind = CredentialKind::Pin(PinKind::Signature);
        let err = |rule| Err(CredentialError { kind, rule });
        for (i, c) in value.chars().enumerate() {
            if c.is_ascii_lowercase() {
                return err(Rule::LowerCase { position: i + 1 });
            }
            if !(c.is_ascii_uppercase() || c.is_ascii_digit()) {
                return err(Rule::NotAlphanumeric { position: i + 1 });
            }
        }
        let n = value.len();
        if !(6..=16).contains(&n) {
            return err(Rule::Length {
                expected: "6 to 16",
                got: n,
            });
        }
        if !value.bytes().any(|b| b.is_ascii_uppercase()) {
            return err(Rule::NoLetter);
        }
        if !value.bytes().any(|b| b.is_ascii_digit()) {
            return err(Rule::NoDigit);
        }
        Ok(SignaturePassword(Zeroizing::new(value.to_owned())))
    }
}

impl Secret for SignaturePassword {
    fn credential_kind(&self) -> CredentialKind {
        CredentialKind::Pin(PinKind::Signature)
    }
    fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl Pin for SignaturePassword {
    const KIND: PinKind = PinKind::Signature;
    fn new(value: &str) -> Result<Self, CredentialError> {
        Self::parse(value)
    }
}

secret_type!(
    /// The 12-digit My Number (個人番号), which is also 照合番号A. Its check digit is validated.
    MyNumber
);

impl MyNumber {
    /// Validates twelve digits and the check digit.
    pub fn parse(value: &str) -> Result<Self, CredentialError> {
        let kind = CredentialKind::MatchingNumberA;
        let b = value.as_bytes();
        check_digits(kind, b, 12)?;
        if my_number_check_digit(&b[..11]) != b[11] - b'0' {
            return Err(CredentialError {
                kind,
                rule: Rule::CheckDigit,
            });
        }
        Ok(MyNumber(Zeroizing::new(value.to_owned())))
    }

    /// The digits, for display only where the user asked for it.
    pub fn expose_str(&self) -> &str {
        &self.0
    }
}

/// The check digit of a My Number from its first eleven ASCII digits, as defined by the
/// 行政手続における特定の個人を識別するための番号の利用等に関する法律施行令 article 8:
/// `11 - (Σ Pn·Qn mod 11)`, or 0 when that remainder is 0 or 1, where `Pn` is the n-th digit from
/// the right and `Qn` is `n + 1` for n ≤ 6 and `n - 5` for n ≥ 7.
pub fn my_number_check_digit(first11: &[u8]) -> u8 {
    let sum: u32 = first11
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let n = i as u32 + 1;
            let q = if n <= 6 { n + 1 } else { n - 5 };
            (d.wrapping_sub(b'0') as u32) * q
        })
        .sum();
    let r = sum % 11;
    if r <= 1 {
        0
    } else {
        (11 - r) as u8
    }
}

impl Secret for MyNumber {
    fn credential_kind(&self) -> CredentialKind {
        CredentialKind::MatchingNumberA
    }
    fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

secret_type!(
    /// 照合番号B: 14 digits, the birth date as `YYMMDD` in the Japanese era year, the card's
    /// expiry year `YYYY`, and its 4-digit security code ([card facts §8](crate::card_facts#s8)).
    MatchingNumberB
);

impl MatchingNumberB {
    /// Validates 14 digits with a possible month and day.
    pub fn parse(value: &str) -> Result<Self, CredentialError> {
        let kind = CredentialKind::MatchingNumberB;
        let b = value.as_bytes();
        check_digits(kind, b, 14)?;
        check_era_date(kind, b)?;
        Ok(MatchingNumberB(Zeroizing::new(value.to_owned())))
    }

    /// Builds the value from its parts: the Gregorian birth date (converted to the Japanese era
    /// year), the expiry year printed on the card, and the 4-digit security code.
    pub fn from_parts(
        birth: (u16, u8, u8),
        expiry_year: u16,
        security_code: &str,
    ) -> Result<Self, CredentialError> {
        let kind = CredentialKind::MatchingNumberB;
        let (y, m, d) = birth;
        let era_year = era_year(y, m, d).ok_or(CredentialError {
            kind,
            rule: Rule::Date("birth date"),
        })?;
        check_digits(kind, security_code.as_bytes(), 4)
            .map_err(|e| CredentialError { kind, rule: e.rule })?;
        if !(1000..=9999).contains(&expiry_year) {
            return Err(CredentialError {
                kind,
                rule: Rule::Date("expiry year"),
            });
        }
        let s = Zeroizing::new(format!(
            "{:02}{:02}{:02}{:04}{}",
            era_year % 100,
            m,
            d,
            expiry_year,
            security_code
        ));
        Self::parse(&s)
    }
}

secret_type!(
    /// The birth-date key of 券面事項確認AP (key `0011`): the date of birth as `YYMMDD` with the
    /// **Japanese era year**, the first six digits of 照合番号B. It opens only the age record
    /// (myna-card `src/ap/surface.rs`, measured: `550217` on the test card born 1980-02-17).
    BirthDateKey
);

impl BirthDateKey {
    /// Validates six digits with a possible month and day.
    pub fn parse(value: &str) -> Result<Self, CredentialError> {
        let kind = CredentialKind::BirthDateKey;
        let b = value.as_bytes();
        check_digits(kind, b, 6)?;
        check_era_date(kind, b)?;
        Ok(BirthDateKey(Zeroizing::new(value.to_owned())))
    }

    /// Builds the value from a Gregorian date of birth (converted to the Japanese era year).
    pub fn from_birth_date(birth: (u16, u8, u8)) -> Result<Self, CredentialError> {
        let (y, m, d) = birth;
        let era = era_year(y, m, d).ok_or(CredentialError {
            kind: CredentialKind::BirthDateKey,
            rule: Rule::Date("birth date"),
        })?;
        let s = Zeroizing::new(format!("{:02}{m:02}{d:02}", era % 100));
        Self::parse(&s)
    }
}

impl Secret for BirthDateKey {
    fn credential_kind(&self) -> CredentialKind {
        CredentialKind::BirthDateKey
    }
    fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl Secret for MatchingNumberB {
    fn credential_kind(&self) -> CredentialKind {
        CredentialKind::MatchingNumberB
    }
    fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// Why [`read_secret_line`] could not read a line.
#[derive(Debug)]
pub enum LineError {
    /// Longer than the limit: nothing of it was kept.
    TooLong,
    /// Not UTF-8: nothing of it was kept.
    NotUtf8,
    /// The reader failed.
    Io(std::io::Error),
}

/// What [`read_secret_line`] does with the rest of a line that is over the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverLong {
    /// Leaves it unread: at most `limit + 2` bytes are read (a hostile input that never ends a
    /// line costs nothing more).
    Leave,
    /// Reads it to its line end, storing nothing, so that the next call reads the next line.
    Skip,
}

/// Reads one line of at most `limit` bytes (without its line end, `\n` or `\r\n`) from `r`
/// into zeroizing memory that never grows, so that no copy of a secret is left behind; `None`
/// at the end of the input. The one bounded secret-line reader of the front ends (a PIN read
/// from standard input, a kiosk's answer).
pub fn read_secret_line<R: std::io::BufRead + ?Sized>(
    r: &mut R,
    limit: usize,
    over_long: OverLong,
) -> Result<Option<Zeroizing<String>>, LineError> {
    use std::io::{BufRead, Read};
    // Room for the longest line and its end, allocated once, so that it never moves (a moved
    // buffer would leave an unzeroized copy behind).
    let mut buf = Zeroizing::new(Vec::with_capacity(limit + 2));
    let n = r
        .take(limit as u64 + 2)
        .read_until(b'\n', &mut buf)
        .map_err(LineError::Io)?;
    if n == 0 {
        return Ok(None);
    }
    let ended = buf.last() == Some(&b'\n');
    if ended {
        buf.pop();
    }
    if buf.last() == Some(&b'\r') {
        buf.pop();
    }
    if buf.len() > limit || (!ended && n == limit + 2) {
        if !ended && over_long == OverLong::Skip {
            loop {
                let available = match r.fill_buf() {
                    Ok(b) => b,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(LineError::Io(e)),
                };
                if available.is_empty() {
                    break;
                }
                let (used, end) = match available.iter().position(|&b| b == b'\n') {
                    Some(i) => (i + 1, true),
                    None => (available.len(), false),
                };
                r.consume(used);
                if end {
                    break;
                }
            }
        }
        return Err(LineError::TooLong);
    }
    match String::from_utf8(std::mem::take(&mut *buf)) {
        Ok(s) => Ok(Some(Zeroizing::new(s))),
        Err(e) => {
            let _ = Zeroizing::new(e.into_bytes());
            Err(LineError::NotUtf8)
        }
    }
}

/// A validated PIN of a kind chosen at run time (for user interfaces that ask which PIN).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyPin {
    /// The signature password.
    Signature(SignaturePassword),
    /// The user-authentication PIN.
    UserAuth(AuthPin),
    /// The residence PIN.
    Residence(ResidencePin),
    /// The text-assist PIN.
    TextAssist(TextAssistPin),
}

impl AnyPin {
    /// Validates `value` as a PIN of `kind`.
    pub fn parse(kind: PinKind, value: &str) -> Result<AnyPin, CredentialError> {
        Ok(match kind {
            PinKind::Signature => AnyPin::Signature(SignaturePassword::parse(value)?),
            PinKind::UserAuth => AnyPin::UserAuth(AuthPin::parse(value)?),
            PinKind::Residence => AnyPin::Residence(ResidencePin::parse(value)?),
            PinKind::TextAssist => AnyPin::TextAssist(TextAssistPin::parse(value)?),
        })
    }

    /// Its kind.
    pub fn kind(&self) -> PinKind {
        match self {
            AnyPin::Signature(_) => PinKind::Signature,
            AnyPin::UserAuth(_) => PinKind::UserAuth,
            AnyPin::Residence(_) => PinKind::Residence,
            AnyPin::TextAssist(_) => PinKind::TextAssist,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &[u8], limit: usize) -> Vec<Result<String, String>> {
        let mut r = std::io::Cursor::new(input.to_vec());
        let mut out = Vec::new();
        loop {
            match read_secret_line(&mut r, limit, OverLong::Leave) {
                Ok(Some(l)) => out.push(Ok(l.to_string())),
                Ok(None) => return out,
                Err(e) => {
                    out.push(Err(format!("{e:?}")));
                    return out;
                }
            }
        }
    }

    #[test]
    fn lines_are_bounded_and_line_ends_stripped() {
        assert_eq!(
            read(b"1234\r\nABC123\nlast", 8),
            [Ok("1234".into()), Ok("ABC123".into()), Ok("last".into())]
        );
        // Exactly the limit, with either line end: accepted.
        assert_eq!(read(b"12345678\r\n", 8), [Ok("12345678".to_string())]);
        assert_eq!(read(b"12345678\n", 8), [Ok("12345678".to_string())]);
        // One byte more, with or without a line end: refused.
        assert_eq!(read(b"123456789\n", 8), [Err("TooLong".to_string())]);
        assert_eq!(read(&[b'7'; 100_000], 8), [Err("TooLong".to_string())]);
        assert_eq!(read(b"\xff\xfe\n", 8), [Err("NotUtf8".to_string())]);
    }

    #[test]
    fn a_long_line_is_not_read_past_the_limit() {
        let mut r = std::io::Cursor::new(vec![b'1'; 1 << 20]);
        assert!(matches!(
            read_secret_line(&mut r, 1024, OverLong::Leave),
            Err(LineError::TooLong)
        ));
        assert!(r.position() <= 1026, "{}", r.position());
    }

    #[test]
    fn a_skipped_long_line_leaves_the_next_one_whole() {
        // Over by one byte with its line end read at once: the next line is not eaten.
        for over in [
            &b"123456789\nnext\n"[..],
            b"1234567890\nnext\n",
            b"12345678x\r\nnext\n",
        ] {
            let mut r = std::io::Cursor::new(over.to_vec());
            assert!(matches!(
                read_secret_line(&mut r, 8, OverLong::Skip),
                Err(LineError::TooLong)
            ));
            let next = read_secret_line(&mut r, 8, OverLong::Skip)
                .unwrap()
                .unwrap();
            assert_eq!(next.as_str(), "next");
        }
        let mut long = vec![b'9'; 100_000];
        long.extend(b"\nq\n");
        let mut r = std::io::Cursor::new(long);
        assert!(read_secret_line(&mut r, 8, OverLong::Skip).is_err());
        assert_eq!(
            read_secret_line(&mut r, 8, OverLong::Skip)
                .unwrap()
                .unwrap()
                .as_str(),
            "q"
        );
    }

    #[test]
    fn fixture_my_number_check_digit() {
        assert!(MyNumber::parse("537686677188").is_ok());
        assert_eq!(
            MyNumber::parse("537686677189").unwrap_err().rule,
            Rule::CheckDigit
        );
    }

    #[test]
    fn matching_number_b_from_parts() {
        // docs/card.md §8: born 1980-02-17 = 昭和55, expiry 2035, code 2285.
        let b = MatchingNumberB::from_parts((1980, 2, 17), 2035, "2285").unwrap();
        assert_eq!(b.expose(), b"55021720352285");
        assert_eq!(era_year(2019, 4, 30), Some(31));
        assert_eq!(era_year(2019, 5, 1), Some(1));
        assert_eq!(era_year(1989, 1, 7), Some(64));
        assert_eq!(era_year(1980, 2, 30), None);
        assert_eq!(era_year(2024, 2, 29), Some(6));
        assert_eq!(era_year(2023, 2, 29), None);
    }

    #[test]
    fn birth_date_key() {
        // The test card: born 1980-02-17 = 昭和55 (myna-card fixture README).
        let k = BirthDateKey::from_birth_date((1980, 2, 17)).unwrap();
        assert_eq!(k.expose(), b"550217");
        assert!(BirthDateKey::parse("551317").is_err());
        assert!(BirthDateKey::parse("55021").is_err());
        assert!(!format!("{k:?}").contains("550217"));
    }

    #[test]
    fn signature_rules() {
        assert!(SignaturePassword::parse("ABC123").is_ok());
        let e = SignaturePassword::parse("abc123").unwrap_err();
        assert!(e
            .to_string()
            .contains("lower-case letters are not accepted"));
        assert_eq!(
            SignaturePassword::parse("ABCDEF").unwrap_err().rule,
            Rule::NoDigit
        );
        assert_eq!(
            SignaturePassword::parse("123456").unwrap_err().rule,
            Rule::NoLetter
        );
        assert!(matches!(
            SignaturePassword::parse("AB12").unwrap_err().rule,
            Rule::Length { got: 4, .. }
        ));
        assert!(SignaturePassword::parse("ABCDEFGH12345678").is_ok());
        assert!(SignaturePassword::parse("ABCDEFGH123456789").is_err());
    }

    #[test]
    fn debug_is_redacted() {
        let p = AuthPin::parse("4821").unwrap();
        let s = format!("{p:?}");
        assert!(!s.contains("4821"));
        assert_eq!(s, "AuthPin(<redacted>)");
    }
}
