//! 券面事項確認AP (card surface): files and key references ([card facts §2](crate::card_facts#s2); the
//! access rules and contents as myna-card `src/ap/surface.rs` measured them on a test card).

use super::Fid;

/// Age-verification record: birth date, the AP's public key, a signature. Opened by the
/// birth-date key only.
pub const AGE_RECORD: Fid = Fid(0x0001);
/// Card face: birth date, sex, name/address images, photo, signature, expiry, security-code
/// image. Opened by 照合番号A or B.
pub const CARD_FACE: Fid = Fid(0x0002);
/// AP info (layout id, key id, version, municipality code, an opaque block); free.
pub const AP_INFO: Fid = Fid(0x0003);
/// Card-verifiable certificate of the key that signs this AP's records; free.
pub const CV_CERT: Fid = Fid(0x0004);
/// The My Number as an image, with the AP's public key and a signature. 照合番号A only.
pub const MY_NUMBER_IMAGE: Fid = Fid(0x0005);
/// The birth-date key reference (era-year `YYMMDD`).
pub const BIRTH_DATE_KEY: Fid = Fid(0x0011);
/// 照合番号B key reference.
pub const MATCHING_B: Fid = Fid(0x0012);
/// 照合番号A key reference.
pub const MATCHING_A: Fid = Fid(0x0013);
