//! 住基AP and 共通カードAP: the residence-registry PIN's two key references
//! ([card facts §1](crate::card_facts#s1), [§2](crate::card_facts#s2)).
//!
//! myna-card found a 4-digit PIN at key reference `001C` in both applications; user interfaces
//! treat the two as one 住民基本台帳用 PIN that must be changed in both places.

use super::Fid;

/// The 4-digit PIN key reference, in both 住基AP and 共通カードAP.
pub const PIN: Fid = Fid(0x001C);
/// 住基AP's other key reference (no public description).
pub const JUKI_KEY: Fid = Fid(0x0002);
/// 共通カードAP's record file: record 1 is `01 1C` + 28 ASCII digits.
pub const COMMON_RECORD: Fid = Fid(0x0001);
