//! Holder data: the date of birth, the sex code, and the Japanese era year that the
//! 照合番号B and the birth-date key are built from.

use std::fmt;

use serde::Serialize;

/// A date of birth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BirthDate {
    /// Year (Gregorian).
    pub year: u16,
    /// Month, 1-12.
    pub month: u8,
    /// Day, 1-31.
    pub day: u8,
}

impl BirthDate {
    /// Parses `YYYYMMDD`.
    pub fn parse_yyyymmdd(s: &[u8]) -> Result<Self, String> {
        if s.len() != 8 || !s.iter().all(u8::is_ascii_digit) {
            return Err(format!("birth date is not 8 digits ({} bytes)", s.len()));
        }
        let n =
            |r: std::ops::Range<usize>| s[r].iter().fold(0u16, |a, &b| a * 10 + (b - b'0') as u16);
        let (year, month, day) = (n(0..4), n(4..6) as u8, n(6..8) as u8);
        let max_day = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
            2 => 28,
            _ => return Err(format!("birth month {month} is impossible")),
        };
        if day == 0 || day > max_day {
            return Err(format!("birth day {day} is impossible in month {month}"));
        }
        Ok(BirthDate { year, month, day })
    }
}

impl fmt::Display for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for BirthDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// Sex as ISO/IEC 5218 codes it ([card facts §8](crate::card_facts#s8)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// `0`: not known.
    NotKnown,
    /// `1`: male.
    Male,
    /// `2`: female.
    Female,
    /// `9`: not applicable.
    NotApplicable,
}

impl Sex {
    /// From the ISO 5218 digit.
    pub fn from_code(b: u8) -> Option<Self> {
        Some(match b {
            b'0' => Sex::NotKnown,
            b'1' => Sex::Male,
            b'2' => Sex::Female,
            b'9' => Sex::NotApplicable,
            _ => return None,
        })
    }

    /// The ISO 5218 digit.
    pub fn code(self) -> char {
        match self {
            Sex::NotKnown => '0',
            Sex::Male => '1',
            Sex::Female => '2',
            Sex::NotApplicable => '9',
        }
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Sex::NotKnown => "not known",
            Sex::Male => "male (男)",
            Sex::Female => "female (女)",
            Sex::NotApplicable => "not applicable",
        })
    }
}

/// The Japanese era year (和暦) of a Gregorian date, from Meiji onward. `None` before Meiji 1
/// (1868-01-25 in the Gregorian calendar as used for this purpose) or for an impossible date.
pub(crate) fn era_year(y: u16, m: u8, d: u8) -> Option<u16> {
    let leap = y.is_multiple_of(4) && (!y.is_multiple_of(100) || y.is_multiple_of(400));
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=days).contains(&d) {
        return None;
    }
    let date = (y, m, d);
    // Era start dates: Reiwa 2019-05-01, Heisei 1989-01-08, Showa 1926-12-25, Taisho 1912-07-30,
    // Meiji 1868 (year counted from 1868).
    let eras: [((u16, u8, u8), u16); 5] = [
        ((2019, 5, 1), 2018),
        ((1989, 1, 8), 1988),
        ((1926, 12, 25), 1925),
        ((1912, 7, 30), 1911),
        ((1868, 1, 25), 1867),
    ];
    eras.iter()
        .find(|(start, _)| date >= *start)
        .map(|(_, base)| y - base)
}
