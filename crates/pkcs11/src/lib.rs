//! # mynacard-pkcs11
//!
//! A PKCS#11 v2.40 module (`libmynacard_pkcs11.so`) for the two JPKI keys of the Japanese My
//! Number Card (マイナンバーカード), built on the `mynacard` library. Browsers (NSS), OpenSSL,
//! GnuTLS, OpenSC's `pkcs11-tool` and any other PKCS#11 application can sign with the card
//! through it.
//!
//! - **Slots.** Each card gives two slots, one per JPKI PIN, because a PKCS#11 token has one
//!   user PIN: slot `2n` is the user-authentication token (利用者証明用, 4 digits, 3 tries) and
//!   slot `2n+1` the signature token (署名用, 6-16 characters, 5 tries). Card 0 is the virtual
//!   card when `MYNACARD_SIM_STATE` names a state file (feature `sim`); then every PC/SC reader
//!   holding a My Number Card, found by the JPKI application (feature `pcsc`).
//! - **Token flags** carry the card's real retry counters, read with the case-1 VERIFY that
//!   spends no try: `CKF_USER_PIN_COUNT_LOW`, `CKF_USER_PIN_FINAL_TRY`, `CKF_USER_PIN_LOCKED`.
//! - **Objects.** The authentication token shows its certificate and public key before login,
//!   and the private key after. The signature certificate can only be read with the signature
//!   password (and the card has no other source of that public key), so the signature token
//!   shows its certificate, public key and private key after login: no key of unknown size.
//!   Each token also shows, from the start, the certificate of the CA that issued its
//!   certificate (`CKA_CERTIFICATE_CATEGORY` authority, `CKA_ID` `03` and `04`), read from the
//!   card only when its value is asked for.
//! - **Mechanisms.** `CKM_RSA_PKCS` (the caller's DigestInfo, signed by the card's P1=00
//!   scheme), `CKM_SHA1/256/384/512_RSA_PKCS` (hashed here as the data arrives: no part of a
//!   multi-part input is kept), and RSASSA-PSS by the card's P1=04: `CKM_RSA_PKCS_PSS` (a
//!   SHA-256 hash) and `CKM_SHA256_RSA_PKCS_PSS`, with the parameters {`CKM_SHA256`,
//!   `CKG_MGF1_SHA256`, `sLen` 32} only (TLS 1.3's `rsa_pss_rsae_sha256`). No `CKM_RSA_X_509`
//!   (the card always pads). The library builds every command and checks every signature
//!   against the certificate before it is returned (PSS with exactly those parameters; one
//!   that does not verify is `CKR_FUNCTION_FAILED`). `C_GenerateRandom` gives the card's GET
//!   CHALLENGE bytes.
//! - **Discovery and events.** `C_GetInterfaceList` and `C_GetInterface` (PKCS#11 3.0) offer
//!   the "PKCS 11" interface with this v2.40 function list. With feature `pcsc`,
//!   `C_WaitForSlotEvent` watches the readers through the library's card monitor: a My Number
//!   Card inserted after `C_Initialize` gets two new slots with their tokens, a card pulled out
//!   leaves its slots without a token (its sessions closed) until it is put back, and each such
//!   change is reported once for each of the card's two slots; the blocking form waits (and
//!   `C_Finalize` ends it with `CKR_CRYPTOKI_NOT_INITIALIZED`), `CKF_DONT_BLOCK` answers at once.
//!   Without `pcsc` nothing changes after `C_Initialize`: `CKR_NO_EVENT` with `CKF_DONT_BLOCK`,
//!   `CKR_FUNCTION_NOT_SUPPORTED` without it.
//! - **PINs.** `C_Login` and `C_SetPIN` refuse a PIN of the wrong format before any I/O
//!   (`CKR_PIN_LEN_RANGE`, `CKR_PIN_INVALID`), never send a blocked PIN (`CKR_PIN_LOCKED`), and
//!   with one try left answer [`CKR_LAST_TRY_REFUSED`] unless `MYNACARD_ALLOW_LAST_TRY=1` is set
//!   or the caller logs in as [`CKU_MYNACARD_ALLOW_LAST_TRY`]. `C_Logout`, and closing the
//!   last session of a logged-in token, unpower the card, which logs out both of its tokens;
//!   so does `C_SetPIN` on a token that is not logged in, so that no PIN stays verified that no
//!   session shows as logged in.
//! - **`fork()`.** In a child process every call answers `CKR_CRYPTOKI_NOT_INITIALIZED` until
//!   the child calls `C_Initialize` (PKCS#11 v2.40 §6.7.1); the parent's card connections are
//!   never used by the child.
//!
//! All `unsafe` code is in one module, the C boundary.

// `missing_docs` and `unsafe_code` are denied by the workspace lints (root Cargo.toml).

mod cardio;
mod ffi;
mod module;
#[cfg(feature = "pcsc")]
mod watch;

pub use ffi::{C_GetFunctionList, C_GetInterface, C_GetInterfaceList};
pub use module::{CKR_LAST_TRY_REFUSED, CKU_MYNACARD_ALLOW_LAST_TRY};
