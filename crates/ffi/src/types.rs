//! The C types: status codes, the enums a caller passes as `uint32_t`, and the structs filled
//! in by the library. All `#[repr(C)]`; the names are the C names.

#![allow(non_camel_case_types)]

use std::ffi::{c_char, c_void};

/// The result of every call. `MYNACARD_OK` is 0; anything else is an error, and
/// `mynacard_last_error_message()` explains it in the language set by `mynacard_set_language()`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mynacard_status {
    /// Success.
    MYNACARD_OK = 0,
    /// A required pointer argument was NULL. Nothing was sent to the card.
    MYNACARD_NULL_POINTER = 1,
    /// The handle is not open (never opened, already closed, or of another type).
    MYNACARD_INVALID_HANDLE = 2,
    /// An enum value, flag or combination of arguments is not valid. Nothing was sent.
    MYNACARD_INVALID_ARGUMENT = 3,
    /// A text argument is not valid UTF-8. Nothing was sent.
    MYNACARD_INVALID_UTF8 = 4,
    /// The caller's buffer is too small; the needed size was written where the call says.
    MYNACARD_BUFFER_TOO_SMALL = 5,
    /// A PIN, password or 照合番号 does not have the required format. Nothing was sent and no
    /// try was spent.
    MYNACARD_INVALID_SECRET = 6,
    /// The card refused the PIN (or 照合番号): one try was spent. `tries_left` says how many remain.
    MYNACARD_WRONG_PIN = 7,
    /// The PIN is blocked. It was not sent.
    MYNACARD_BLOCKED = 8,
    /// The PIN has one try left and the call did not pass `MYNACARD_FLAG_ALLOW_LAST_TRY`.
    /// Nothing was sent.
    MYNACARD_LAST_TRY_REFUSED = 9,
    /// The operation needs a PIN verified first in this card session.
    MYNACARD_NEEDS_VERIFICATION = 10,
    /// The terminal authority may not reset this PIN. Nothing was sent.
    MYNACARD_NOT_PERMITTED = 11,
    /// The authority's route needs the other JPKI PIN, and it was not given. Nothing was sent.
    MYNACARD_OTHER_PIN_NEEDED = 12,
    /// The card refused the terminal authentication. The PIN and its counter are unchanged.
    MYNACARD_TERMINAL_REFUSED = 13,
    /// A callback of the terminal authority returned a failure. RESET RETRY COUNTER was not
    /// sent; the PIN and its counter are unchanged.
    MYNACARD_CALLBACK_FAILED = 14,
    /// A callback of the terminal authority returned output the library cannot use (too long,
    /// not an APDU, or a command other than the one it must be). It was not sent.
    MYNACARD_CALLBACK_GARBAGE = 15,
    /// The card refused RESET RETRY COUNTER: the PIN is unchanged.
    MYNACARD_RESET_REFUSED = 16,
    /// The card accepted the reset but its counter does not read full afterwards.
    MYNACARD_RESET_NOT_CONFIRMED = 17,
    /// The residence PIN was reset in one of its two applications only (the message says
    /// which, and what to do).
    MYNACARD_RESET_PARTIAL = 18,
    /// The outcome of a command that changes the card is unknown: read the PIN status (it
    /// spends no try) before anything else.
    MYNACARD_UNKNOWN_OUTCOME = 19,
    /// The card was reset (by another program, or a removal) during the call: earlier
    /// verification is lost.
    MYNACARD_CARD_RESET = 20,
    /// The reader or the card did not answer (no card, removed, reader error).
    MYNACARD_TRANSPORT = 21,
    /// The card answered with an unexpected status word.
    MYNACARD_CARD_ERROR = 22,
    /// The file or application is not on this card.
    MYNACARD_NOT_FOUND = 23,
    /// Data read from the card did not parse.
    MYNACARD_PARSE = 24,
    /// A check failed: a signature that does not verify under the certificate, a digest that
    /// does not match.
    MYNACARD_INTEGRITY = 25,
    /// Not supported by this build, card or reader (for example `mynacard_open_pcsc` without
    /// the `pcsc` feature).
    MYNACARD_UNSUPPORTED = 26,
    /// The virtual card's state file could not be opened (in use, corrupted, I/O).
    MYNACARD_STATE_FILE = 27,
    /// The handle is in use on this thread (a callback called back into the library with the
    /// handle that is running it).
    MYNACARD_BUSY = 28,
    /// A residence-PIN change failed in 共通カードAP and was rolled back in 住基AP: the old PIN
    /// is in effect in both.
    MYNACARD_CHANGE_ROLLED_BACK = 29,
    /// The kiosk flow has ended; `mynacard_kiosk_outcome()` says how.
    MYNACARD_KIOSK_FINISHED = 30,
    /// The kiosk flow is not waiting for that kind of answer.
    MYNACARD_KIOSK_WRONG_ANSWER_KIND = 31,
    /// The handle was opened by another process: a child after `fork()` has a copy of the
    /// parent's handles (and of the virtual card's counters) that it must not use. Nothing was
    /// sent. Open the card again in this process.
    MYNACARD_WRONG_PROCESS = 32,
    /// An internal error (a bug); the handle may be unusable and should be closed.
    MYNACARD_INTERNAL = 98,
    /// A panic inside the library was caught at the boundary (a bug). The handle should be
    /// closed.
    MYNACARD_PANIC = 99,
}

/// The language of messages (`mynacard_set_language`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mynacard_language {
    /// Japanese (the default).
    MYNACARD_LANG_JA = 0,
    /// English.
    MYNACARD_LANG_EN = 1,
}

/// The four PINs. Passed as `uint32_t`.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mynacard_pin_kind {
    /// 署名用電子証明書 password: 6-16 characters A-Z and 0-9, at least one of each; 5 tries.
    MYNACARD_PIN_SIGNATURE = 0,
    /// 利用者証明用電子証明書 PIN: 4 digits; 3 tries.
    MYNACARD_PIN_USER_AUTH = 1,
    /// 住民基本台帳用 PIN: 4 digits; 3 tries; two key references (住基AP and 共通カードAP).
    MYNACARD_PIN_RESIDENCE = 2,
    /// 券面事項入力補助用 PIN: 4 digits; 3 tries.
    MYNACARD_PIN_TEXT_ASSIST = 3,
}

/// The state of one key reference's retry counter.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mynacard_retry_state {
    /// Verified in this card session: the counter is full.
    MYNACARD_RETRY_VERIFIED = 0,
    /// Not verified; `tries_left` tries left.
    MYNACARD_RETRY_TRIES_LEFT = 1,
    /// Blocked: only a reset opens it.
    MYNACARD_RETRY_BLOCKED = 2,
    /// No retry counter.
    MYNACARD_RETRY_NO_LIMIT = 3,
}

/// Flags of the calls that VERIFY a secret.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mynacard_flags {
    /// No flag: the last try is refused (the default).
    MYNACARD_FLAG_NONE = 0,
    /// The caller accepts that a wrong value on the last try locks the PIN.
    MYNACARD_FLAG_ALLOW_LAST_TRY = 1,
    /// `mynacard_sign`: the input is a digest of the scheme's hash, not the message.
    MYNACARD_FLAG_INPUT_IS_DIGEST = 2,
}

/// The stand-in terminal roles (the virtual card only; not the real issuer protocol).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mynacard_role {
    /// A self-service kiosk: resets the two JPKI PINs, each after the other one is verified.
    MYNACARD_ROLE_SELF_SERVICE_KIOSK = 0,
    /// A municipal counter terminal: resets any of the four PINs.
    MYNACARD_ROLE_MUNICIPAL_COUNTER = 1,
}

/// What an authority's `route` callback answers for a PIN.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mynacard_route {
    /// This terminal cannot reset the PIN; nothing is sent.
    MYNACARD_ROUTE_REFUSED = 0,
    /// The authenticated terminal alone may reset it (the counter).
    MYNACARD_ROUTE_DIRECT = 1,
    /// The cardholder must first verify the other JPKI PIN in the same session (self-service).
    MYNACARD_ROUTE_AFTER_OTHER_JPKI_PIN = 2,
}

/// The JPKI certificates.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mynacard_cert_kind {
    /// The user-authentication certificate (free to read).
    MYNACARD_CERT_AUTH = 0,
    /// Its CA certificate (free to read).
    MYNACARD_CERT_AUTH_CA = 1,
    /// The signature certificate: needs the signature password verified in this session.
    MYNACARD_CERT_SIGN = 2,
    /// Its CA certificate (free to read).
    MYNACARD_CERT_SIGN_CA = 3,
}

/// The two JPKI private keys.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mynacard_key_kind {
    /// The user-authentication key, opened by the 4-digit user-authentication PIN.
    MYNACARD_KEY_AUTH = 0,
    /// The signature key, opened by the signature password.
    MYNACARD_KEY_SIGN = 1,
}

/// Signature schemes (card-facts: the SIGN command's P1).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mynacard_scheme {
    /// PKCS#1 v1.5 over a SHA-256 DigestInfo built by the library (P1=00).
    MYNACARD_SCHEME_PKCS1V15_SHA256 = 0,
    /// PKCS#1 v1.5 over a SHA-384 DigestInfo (P1=00).
    MYNACARD_SCHEME_PKCS1V15_SHA384 = 1,
    /// PKCS#1 v1.5 over a SHA-512 DigestInfo (P1=00).
    MYNACARD_SCHEME_PKCS1V15_SHA512 = 2,
    /// The card hashes with SHA-256 and signs the bare hash (P1=01).
    MYNACARD_SCHEME_PKCS1V15_BARE_SHA256 = 3,
    /// A SHA-256 digest is sent; the card wraps it in a DigestInfo (P1=02).
    MYNACARD_SCHEME_PKCS1V15_SHA256_DIGEST = 4,
    /// The card hashes the message with SHA-256 and wraps it (P1=03).
    MYNACARD_SCHEME_PKCS1V15_SHA256_CARD_HASH = 5,
    /// RSASSA-PSS over a SHA-256 digest that is sent (P1=04).
    MYNACARD_SCHEME_PSS_SHA256_DIGEST = 6,
    /// The card hashes with SHA-256; RSASSA-PSS (P1=05).
    MYNACARD_SCHEME_PSS_SHA256 = 7,
}

/// What opens the text-input-assist application.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mynacard_text_key {
    /// The 4-digit text-assist PIN: opens the basic four and the My Number.
    MYNACARD_TEXT_KEY_PIN = 0,
    /// 照合番号A (the 12-digit My Number): opens the My Number only.
    MYNACARD_TEXT_KEY_MATCHING_A = 1,
    /// 照合番号B (birth date YYMMDD, expiry year YYYY, security code: 14 digits): opens the
    /// basic four only.
    MYNACARD_TEXT_KEY_MATCHING_B = 2,
}

/// Where a person wants to reset a PIN (`mynacard_policy_check`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mynacard_place {
    /// A convenience-store kiosk that resets only the signature password.
    MYNACARD_PLACE_KIOSK_SIGNATURE_ONLY = 0,
    /// A convenience-store kiosk that resets both JPKI PINs.
    MYNACARD_PLACE_KIOSK_BOTH_JPKI = 1,
    /// The JPKI reset app on an NFC smartphone.
    MYNACARD_PLACE_SMARTPHONE_APP = 2,
    /// The municipal counter, in person.
    MYNACARD_PLACE_COUNTER = 3,
    /// The municipal counter, by proxy.
    MYNACARD_PLACE_COUNTER_BY_PROXY = 4,
}

/// Reasons a reset is not possible at a place (bits of `mynacard_policy_result.refusals`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mynacard_refusal {
    /// Self-service resets only the two JPKI PINs; this one only at the counter.
    MYNACARD_REFUSAL_NOT_SELF_SERVICE = 1,
    /// The kiosk resets only the signature password.
    MYNACARD_REFUSAL_KIOSK_SIGNATURE_ONLY = 2,
    /// Self-service needs the other JPKI PIN, which the person does not know.
    MYNACARD_REFUSAL_OTHER_PIN_UNKNOWN = 4,
    /// Self-service needs the other JPKI PIN, which is blocked.
    MYNACARD_REFUSAL_OTHER_PIN_BLOCKED = 8,
    /// Self-service needs both certificates on the card.
    MYNACARD_REFUSAL_CERTIFICATES_MISSING = 16,
}

/// The status of one key reference.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct mynacard_ref_status {
    /// The key EF (for example 0x0018 for the user-authentication PIN).
    pub key_fid: u16,
    /// A `mynacard_retry_state`.
    pub state: u32,
    /// Tries left (the limit when verified); -1 when the key has no counter.
    pub tries_left: i32,
}

/// The status of one PIN, read without spending a try.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct mynacard_pin_status {
    /// A `mynacard_pin_kind`.
    pub kind: u32,
    /// The retry limit (5 for the signature password, 3 for the others).
    pub limit: u32,
    /// The fewest tries left over its key references; -1 if none has a counter.
    pub tries_left: i32,
    /// 1 if any key reference is blocked.
    pub blocked: u8,
    /// 1 if the key references disagree (only the residence PIN has two).
    pub divergent: u8,
    /// How many entries of `refs` are filled (1, or 2 for the residence PIN).
    pub ref_count: u8,
    /// Each key reference.
    pub refs: [mynacard_ref_status; 2],
}

/// A buffer allocated by the library. The caller owns it and frees it with
/// `mynacard_buffer_free()`, which zeroizes it first. `data` is followed by a NUL byte not
/// counted in `len`, so text can be used as a C string.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct mynacard_buffer {
    /// The bytes (NULL when empty or freed).
    pub data: *mut u8,
    /// How many.
    pub len: usize,
    /// The library's number for this buffer (never 0, never reused; 0 when empty or freed).
    /// Do not change it: `mynacard_buffer_free()` frees only the buffer with this number and
    /// this `data`, so a stale copy of a freed buffer's struct cannot free a newer buffer that
    /// the allocator placed at the same address.
    pub id: u64,
}

/// The basic four attributes (基本4情報). The caller owns `name` and `address` and frees each
/// with `mynacard_buffer_free()`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct mynacard_basic_four {
    /// The name in UTF-8: family and given name separated by U+3000 (ideographic space).
    pub name: mynacard_buffer,
    /// The address in UTF-8 (full-width digits as on the card).
    pub address: mynacard_buffer,
    /// The date of birth as `YYYYMMDD` and a NUL.
    pub birth_date: [c_char; 9],
    /// Sex as ISO/IEC 5218 codes it: 0 not known, 1 male, 2 female, 9 not applicable.
    pub sex: u32,
}

/// The answer of `mynacard_policy_check()`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct mynacard_policy_result {
    /// 1 if the reset is possible at the place.
    pub possible: u8,
    /// The other JPKI PIN to enter (a `mynacard_pin_kind`) for a possible self-service reset;
    /// -1 if none.
    pub other_pin: i32,
    /// Why not: bits of `mynacard_refusal` (0 if possible).
    pub refusals: u32,
    /// Where to go instead: bit `1 << place` for each `mynacard_place` (0 if possible).
    pub go_instead: u32,
}

/// A terminal authority supplied as C callbacks (the vendor's real terminal credentials).
///
/// The library drives the reset: for each application of the PIN it selects the application,
/// calls `get_challenge` and sends the command it writes, passes the card's answer to
/// `compute_cryptogram` and sends the command that writes, verifies the other JPKI PIN where
/// the route requires it, builds RESET RETRY COUNTER, passes it through `wrap`, sends it, and
/// passes the answer through `unwrap`. The callbacks never talk to the card themselves.
///
/// Every callback returns 0 on success; anything else aborts the reset with
/// `MYNACARD_CALLBACK_FAILED` and nothing more is sent. A callback writes at most `capacity`
/// bytes into `out` and sets `*out_len`. The library sends only the command each step must be
/// (GET CHALLENGE, EXTERNAL/GENERAL AUTHENTICATE or INTERNAL AUTHENTICATE, RESET RETRY
/// COUNTER, in any class byte): anything else is `MYNACARD_CALLBACK_GARBAGE` and is not sent.
///
/// `wrap` receives the plain RESET RETRY COUNTER, whose data is the new PIN: it must not keep
/// a copy. The library zeroizes its buffers after each call.
///
/// Callbacks run on the calling thread, inside the reset call; they must not call the library
/// with the same card handle (that returns `MYNACARD_BUSY`).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct mynacard_authority {
    /// Passed to every callback as is.
    pub user_data: *mut c_void,
    /// What this terminal is, for messages (UTF-8, may be NULL). Never a key.
    pub description: *const c_char,
    /// Required. Which route this terminal has for a PIN kind: a `mynacard_route`.
    pub route: Option<unsafe extern "C" fn(user_data: *mut c_void, pin_kind: u32) -> u32>,
    /// Required. Writes the command that asks the card for a challenge (for example
    /// `00 84 00 00 08`), for the application `aid` (already selected).
    pub get_challenge: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            aid: *const u8,
            aid_len: usize,
            out: *mut u8,
            capacity: usize,
            out_len: *mut usize,
        ) -> i32,
    >,
    /// Required. Given the card's challenge, writes the command that authenticates the
    /// terminal (for example EXTERNAL AUTHENTICATE with the cryptogram).
    pub compute_cryptogram: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            aid: *const u8,
            aid_len: usize,
            challenge: *const u8,
            challenge_len: usize,
            out: *mut u8,
            capacity: usize,
            out_len: *mut usize,
        ) -> i32,
    >,
    /// Optional (NULL: sent as it is). Wraps RESET RETRY COUNTER as the terminal must send it
    /// (for example under secure messaging).
    pub wrap: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            command: *const u8,
            command_len: usize,
            out: *mut u8,
            capacity: usize,
            out_len: *mut usize,
        ) -> i32,
    >,
    /// Optional (NULL: taken as it is). Unwraps the card's answer to the wrapped command
    /// (response data followed by the two status bytes, in and out).
    pub unwrap: Option<
        unsafe extern "C" fn(
            user_data: *mut c_void,
            response: *const u8,
            response_len: usize,
            out: *mut u8,
            capacity: usize,
            out_len: *mut usize,
        ) -> i32,
    >,
}

/// An open card (opaque). Opened by `mynacard_open_virtual()` or `mynacard_open_pcsc()`, closed
/// by `mynacard_close()`; used only in the process that opened it.
pub struct mynacard_card {
    _private: [u8; 0],
}

/// The kinds of kiosk step (`mynacard_kiosk_step.kind`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mynacard_step_kind {
    /// The start of a numbered stage (`stage` of `stages`): show the text as a heading. No
    /// answer; call `mynacard_kiosk_next()` again.
    MYNACARD_STEP_HEADING = 0,
    /// A line to show. No answer.
    MYNACARD_STEP_INFO = 1,
    /// Ask to insert the card: answer with `mynacard_kiosk_insert_virtual()` or
    /// `mynacard_kiosk_insert_pcsc()`, or `MYNACARD_ANSWER_QUIT`.
    MYNACARD_STEP_INSERT_CARD = 2,
    /// A numbered menu of `choice_count` choices (texts: `mynacard_kiosk_text(k, n, ...)`, n
    /// from 1): answer `MYNACARD_ANSWER_CHOICE` with the number, or, where `multiple`,
    /// `mynacard_kiosk_answer_choices()`.
    MYNACARD_STEP_MENU = 3,
    /// A yes-or-no question: `MYNACARD_ANSWER_YES` or `MYNACARD_ANSWER_NO`.
    MYNACARD_STEP_YES_NO = 4,
    /// A confirmation of an act that can lock a PIN: `MYNACARD_ANSWER_YES` only if the person
    /// typed the word (`mynacard_kiosk_text(k, 1, ...)`), else `MYNACARD_ANSWER_NO`.
    MYNACARD_STEP_CONFIRM = 5,
    /// A secret (`pin_kind`, `secret_purpose`), entered without echo: answer with
    /// `mynacard_kiosk_answer_secret()`; an empty secret means the person gave up.
    MYNACARD_STEP_SECRET = 6,
    /// The flow is over (`outcome`): show the text. Returned again on every call.
    MYNACARD_STEP_DONE = 7,
}

/// Answers to a kiosk question (`mynacard_kiosk_answer`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mynacard_answer {
    /// A menu choice; `choice` is its number, from 1.
    MYNACARD_ANSWER_CHOICE = 0,
    /// Yes, or go on.
    MYNACARD_ANSWER_YES = 1,
    /// No, or stop.
    MYNACARD_ANSWER_NO = 2,
    /// The person quits: the flow ends, cancelled.
    MYNACARD_ANSWER_QUIT = 3,
    /// The front end read something that is none of the valid answers: the kiosk says so and
    /// asks again (a limited number of times).
    MYNACARD_ANSWER_UNRECOGNISED = 4,
}

/// How a kiosk flow ended (`mynacard_kiosk_step.outcome`; the `myna-kiosk` exit codes).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mynacard_kiosk_outcome {
    /// The PIN was reset.
    MYNACARD_OUTCOME_DONE = 0,
    /// A card or terminal error.
    MYNACARD_OUTCOME_FAILED = 1,
    /// The other PIN was wrong and the person stopped.
    MYNACARD_OUTCOME_WRONG_PIN = 3,
    /// A PIN needed for the route is blocked.
    MYNACARD_OUTCOME_BLOCKED = 4,
    /// The person declined to spend the other PIN's last try.
    MYNACARD_OUTCOME_LAST_TRY_REFUSED = 5,
    /// Answers that broke the rules too often (nothing was sent for them).
    MYNACARD_OUTCOME_INVALID_INPUT = 6,
    /// No card.
    MYNACARD_OUTCOME_NO_CARD = 7,
    /// The outcome of the reset is unknown: check the status.
    MYNACARD_OUTCOME_UNKNOWN = 8,
    /// The reset is not possible here; the flow said where to go.
    MYNACARD_OUTCOME_NOT_POSSIBLE = 10,
    /// The residence PIN was reset in one of its two applications only.
    MYNACARD_OUTCOME_PARTIAL = 11,
    /// The person quit.
    MYNACARD_OUTCOME_CANCELLED = 12,
}

/// One kiosk step, as `mynacard_kiosk_next()` returns it. Its text is read with
/// `mynacard_kiosk_text()`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct mynacard_kiosk_step {
    /// A `mynacard_step_kind`.
    pub kind: u32,
    /// For a menu: how many choices (numbered from 1).
    pub choice_count: u32,
    /// For a menu: 1 if several choices (or none) may be picked.
    pub multiple: u8,
    /// For a heading: the stage, from 1.
    pub stage: u32,
    /// For a heading: how many stages.
    pub stages: u32,
    /// For a secret: which PIN (a `mynacard_pin_kind`); -1 otherwise.
    pub pin_kind: i32,
    /// For a secret: 0 the other JPKI PIN (the card verifies it: a wrong value costs one of its
    /// tries), 1 the new PIN, 2 the new PIN again.
    pub secret_purpose: u32,
    /// For the end: a `mynacard_kiosk_outcome`; -1 otherwise.
    pub outcome: i32,
}

/// A kiosk flow (opaque). Created by `mynacard_kiosk_new()`, freed by `mynacard_kiosk_free()`;
/// used only from the thread, and in the process, that created it.
pub struct mynacard_kiosk {
    _private: [u8; 0],
}

/// The capacity of the output buffer given to each authority callback.
pub const MYNACARD_CALLBACK_CAPACITY: usize = 4096;

/// An open monitor of reader and card events (opaque). Opened by `mynacard_monitor_open_pcsc()`
/// or `mynacard_monitor_open_virtual()`, closed by `mynacard_monitor_close()`; used only in the
/// process that opened it.
pub struct mynacard_monitor {
    _private: [u8; 0],
}

/// What a `mynacard_card_event` reports (`mynacard_card_event.kind`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mynacard_event_kind {
    /// Nothing happened before the timeout.
    MYNACARD_EVENT_NONE = 0,
    /// A reader appeared (or was there when the monitor was opened).
    MYNACARD_EVENT_READER_ADDED = 1,
    /// A reader disappeared (a card in it is reported removed first).
    MYNACARD_EVENT_READER_REMOVED = 2,
    /// A card was inserted (or was in a reader when the monitor was opened): `atr` and
    /// `card_kind` say what it is.
    MYNACARD_EVENT_CARD_INSERTED = 3,
    /// The card was pulled out.
    MYNACARD_EVENT_CARD_REMOVED = 4,
    /// `mynacard_monitor_cancel()` ended the wait.
    MYNACARD_EVENT_CANCELLED = 5,
}

/// What an inserted card is (`mynacard_card_event.card_kind`), found by the library's JPKI
/// SELECT, never by the ATR alone.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum mynacard_card_kind {
    /// The event is not about an inserted card.
    MYNACARD_CARD_KIND_NONE = 0,
    /// A My Number Card: it answered the JPKI SELECT.
    MYNACARD_CARD_KIND_MY_NUMBER = 1,
    /// Another card: it refused the JPKI SELECT.
    MYNACARD_CARD_KIND_OTHER = 2,
    /// It could not be asked (held exclusively by another program, mute, or pulled out during
    /// the probe).
    MYNACARD_CARD_KIND_UNKNOWN = 3,
}

/// The longest reader name a `mynacard_card_event` holds, its terminating NUL included; a
/// longer name is cut at a character boundary.
pub const MYNACARD_READER_NAME_MAX: usize = 256;

/// The longest ATR a `mynacard_card_event` holds (ISO/IEC 7816-3 allows 33 bytes; Windows
/// reports up to 36).
pub const MYNACARD_ATR_MAX: usize = 36;

/// One reader or card event, filled in by `mynacard_wait_for_card_event()`.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct mynacard_card_event {
    /// A `mynacard_event_kind`.
    pub kind: u32,
    /// The reader's name, UTF-8, NUL-terminated (empty for `MYNACARD_EVENT_NONE` and
    /// `MYNACARD_EVENT_CANCELLED`).
    pub reader: [c_char; MYNACARD_READER_NAME_MAX],
    /// The card's ATR (`MYNACARD_EVENT_CARD_INSERTED` only).
    pub atr: [u8; MYNACARD_ATR_MAX],
    /// How many bytes of `atr` are used.
    pub atr_len: usize,
    /// A `mynacard_card_kind` (`MYNACARD_CARD_KIND_NONE` unless a card was inserted).
    pub card_kind: u32,
}
