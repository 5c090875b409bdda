//! 券面事項入力補助AP (text-input assist): files and key references ([card facts §2](crate::card_facts#s2),
//! [§8](crate::card_facts#s8)).

use super::Fid;

/// My Number, 17 physical bytes `FF 10 0C <12 digits> FF FF`. PIN or 照合番号A.
pub const MY_NUMBER: Fid = Fid(0x0001);
/// Basic four attributes. PIN or 照合番号B.
pub const BASIC_FOUR: Fid = Fid(0x0002);
/// Integrity record (digests and signature). PIN or either 照合番号.
pub const INTEGRITY: Fid = Fid(0x0003);
/// Card-verifiable certificate; free.
pub const CV_CERT: Fid = Fid(0x0004);
/// AP info; free.
pub const AP_INFO: Fid = Fid(0x0005);
/// Session-key delivery public key. PIN or either 照合番号.
pub const SM_KEY: Fid = Fid(0x0006);
/// Signed public key. PIN or either 照合番号.
pub const SIGNED_KEY: Fid = Fid(0x0007);
/// The 4-digit text-assist PIN key reference.
pub const PIN: Fid = Fid(0x0011);
/// A key reference that arrives blocked on real cards (myna-card, measured).
pub const BLOCKED_KEY: Fid = Fid(0x0012);
/// 照合番号A key reference.
pub const MATCHING_A: Fid = Fid(0x0014);
/// 照合番号B key reference.
pub const MATCHING_B: Fid = Fid(0x0015);
