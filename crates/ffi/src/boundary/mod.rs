//! The C ABI: every exported function, and all of this crate's `unsafe`, one file per domain.
//!
//! Each function checks its pointer arguments before anything else (so a NULL never reaches
//! the card), runs inside `catch_unwind` (so no panic crosses into C), records its error for
//! `mynacard_last_error_message()`, and returns a `mynacard_status`. Every `unsafe` block has a
//! `// SAFETY:` comment.
//!
//! * `marshal`: the shared conversions of C arguments (pointers, strings, secrets, flags,
//!   handles) and the `entry` wrapper every function runs in;
//! * `library`: library-wide calls (language, last error, status names, version, live objects);
//! * `buffers`: the buffers handed to the caller, and their freeing;
//! * `card`: opening and closing a card;
//! * `pins`: PIN status, VERIFY, change;
//! * `callbacks`: calls into the vendor's authority callbacks (`mynacard_authority`);
//! * `reset`: the reset calls and the policy check;
//! * `documents`: certificates and signatures;
//! * `text_assist`: the text-input-assist application;
//! * `kiosk`: the guided kiosk flow;
//! * `events`: reader and card events (`mynacard_monitor_*`, `mynacard_wait_for_card_event`).
//!
//! Imports go one way: the domain modules use `marshal` (and `buffers`, `callbacks`) and the
//! crate's safe modules; none of them uses this module or another domain module back.

#![allow(unsafe_code)]

mod buffers;
mod callbacks;
mod card;
mod documents;
mod events;
mod kiosk;
mod library;
mod marshal;
mod pins;
mod reset;
mod text_assist;

pub use buffers::*;
pub use card::*;
pub use documents::*;
pub use events::*;
pub use kiosk::*;
pub use library::*;
pub use pins::*;
pub use reset::*;
pub use text_assist::*;
