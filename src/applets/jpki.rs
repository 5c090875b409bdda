//! 公的個人認証AP (JPKI): files and key references ([card facts §2](crate::card_facts#s2)).

use super::Fid;

/// User-authentication certificate (DER); free to read.
pub const AUTH_CERT: Fid = Fid(0x000A);
/// The user-authentication certificate's CA; free.
pub const AUTH_CA_CERT: Fid = Fid(0x000B);
/// Signature certificate; readable only after the signature password (6982 before).
pub const SIGN_CERT: Fid = Fid(0x0001);
/// The signature certificate's CA; free.
pub const SIGN_CA_CERT: Fid = Fid(0x0002);
/// Token info: 160 bytes, the first 32 a space-padded label.
pub const TOKEN_INFO: Fid = Fid(0x0006);
/// Certificate availability: 3 bytes, `8F 8F 00` when both certificates exist.
pub const CERT_AVAILABILITY: Fid = Fid(0x0008);
/// User-authentication private key (needs the auth PIN).
pub const AUTH_KEY: Fid = Fid(0x0017);
/// User-authentication PIN key reference.
pub const AUTH_PIN: Fid = Fid(0x0018);
/// Signature private key (needs the signature password).
pub const SIGN_KEY: Fid = Fid(0x001A);
/// Signature password key reference.
pub const SIGN_PIN: Fid = Fid(0x001B);
