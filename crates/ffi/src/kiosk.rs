//! The guided kiosk flow of `mynacard-kiosk` (its state machine) behind a handle, in safe Rust:
//! the same steps and texts as the terminal kiosk.
//!
//! The machine holds the terminal authority, which need not be `Send`, so a kiosk handle lives
//! in a registry of the thread that created it, and is used from that thread only, and only in
//! the process that created it (a child after `fork()` keeps a copy of the forking thread's
//! registry, and is refused).

use std::cell::RefCell;
use std::collections::BTreeMap;

use ::mynacard_kiosk::flow::{Answer, AnswerError, Config, Kiosk, Step, StepKind};
use ::mynacard_kiosk::text::{Lang as KLang, Text};
use mynacard::policy::Place;
use mynacard::reset::ResetAuthority;
use mynacard::transport::{ExchangeLog, Transport};
use zeroize::Zeroizing;

use crate::error::{self, FfiError, Lang};
use crate::handles;
use crate::ops::{self, CardHandle, OpenState};
use crate::types::mynacard_status::*;
use crate::types::*;

/// What a kiosk handle holds.
pub struct KioskHandle {
    kiosk: Kiosk<Box<dyn Transport + Send>>,
    step: Option<Step>,
    log: Option<ExchangeLog>,
    exchanges_before: u64,
    /// The inserted virtual card's state file, marked open in this process.
    state: Option<OpenState>,
    /// The process that created the kiosk.
    pid: u32,
}

thread_local! {
    static KIOSKS: RefCell<BTreeMap<usize, KioskHandle>> = const { RefCell::new(BTreeMap::new()) };
}

/// How many kiosk handles this thread has open.
pub fn len() -> usize {
    KIOSKS.with(|k| k.borrow().len())
}

fn klang() -> KLang {
    match error::language() {
        Lang::Ja => KLang::Ja,
        Lang::En => KLang::En,
    }
}

fn not_found() -> FfiError {
    FfiError::new(
        MYNACARD_INVALID_HANDLE,
        "mynacard_kiosk のハンドルが無効です（開かれていないか、閉じられたか、別のスレッドで作られています）。",
        "the mynacard_kiosk handle is not open (never opened, closed, or created on another thread)",
    )
}

fn answer_error(e: AnswerError) -> FfiError {
    let status = match e {
        AnswerError::Finished => MYNACARD_KIOSK_FINISHED,
        _ => MYNACARD_KIOSK_WRONG_ANSWER_KIND,
    };
    FfiError::new(status, e.message(KLang::Ja), e.message(KLang::En))
}

/// A new kiosk at `place`, resetting through `authority`; returns its handle number.
pub fn new(
    place: Place,
    authority: Box<dyn ResetAuthority>,
    label: String,
) -> Result<usize, FfiError> {
    if place == Place::SmartphoneApp {
        return Err(FfiError::invalid_argument(
            "place",
            "MYNACARD_PLACE_SMARTPHONE_APP (not a terminal)",
        ));
    }
    let kiosk = Kiosk::new(Config {
        place,
        authority,
        card_label: label,
        lang: klang(),
    });
    let id = handles::next_id();
    KIOSKS.with(|k| {
        k.borrow_mut().insert(
            id,
            KioskHandle {
                kiosk,
                step: None,
                log: None,
                exchanges_before: 0,
                state: None,
                pid: handles::this_process(),
            },
        )
    });
    Ok(id)
}

fn with<R>(
    id: usize,
    f: impl FnOnce(&mut KioskHandle) -> Result<R, FfiError>,
) -> Result<R, FfiError> {
    // The handle is taken out while `f` runs, so that a callback calling back in with it finds
    // it busy rather than borrowed twice.
    let mut h = take(id)?;
    let r = f(&mut h);
    KIOSKS.with(|k| k.borrow_mut().insert(id, h));
    r
}

/// Takes the handle out of the registry, if it was created by this process (a child's copy is
/// left where it is, unused).
fn take(id: usize) -> Result<KioskHandle, FfiError> {
    let pid = KIOSKS
        .with(|k| k.borrow().get(&id).map(|h| h.pid))
        .ok_or_else(not_found)?;
    handles::check_process("mynacard_kiosk", pid)?;
    KIOSKS
        .with(|k| k.borrow_mut().remove(&id))
        .ok_or_else(not_found)
}

/// Frees a kiosk; its card, if any, is unpowered.
pub fn free(id: usize) -> Result<(), FfiError> {
    let mut h = take(id)?;
    if let Some(mut c) = h.kiosk.take_card() {
        let _ = c.unpower();
    }
    Ok(())
}

/// The next step, kept in the handle for its texts.
pub fn next(id: usize) -> Result<mynacard_kiosk_step, FfiError> {
    with(id, |h| {
        h.kiosk.set_lang(klang());
        let s = h.kiosk.next();
        let c = step_c(&s);
        h.step = Some(s);
        Ok(c)
    })
}

fn step_c(s: &Step) -> mynacard_kiosk_step {
    use mynacard_step_kind::*;
    let mut c = mynacard_kiosk_step {
        kind: MYNACARD_STEP_INFO as u32,
        choice_count: 0,
        multiple: 0,
        stage: 0,
        stages: 0,
        pin_kind: -1,
        secret_purpose: 0,
        outcome: -1,
    };
    match &s.kind {
        StepKind::Heading { number, of } => {
            c.kind = MYNACARD_STEP_HEADING as u32;
            c.stage = *number as u32;
            c.stages = *of as u32;
        }
        StepKind::Info => {}
        StepKind::InsertCard => c.kind = MYNACARD_STEP_INSERT_CARD as u32,
        StepKind::Menu { choices, multiple } => {
            c.kind = MYNACARD_STEP_MENU as u32;
            c.choice_count = choices.len() as u32;
            c.multiple = *multiple as u8;
        }
        StepKind::YesNo => c.kind = MYNACARD_STEP_YES_NO as u32,
        StepKind::Confirm { .. } => c.kind = MYNACARD_STEP_CONFIRM as u32,
        StepKind::Secret { pin, purpose } => {
            c.kind = MYNACARD_STEP_SECRET as u32;
            c.pin_kind = ops::pin_kind_c(*pin) as i32;
            c.secret_purpose = match purpose {
                ::mynacard_kiosk::flow::SecretPurpose::OtherPin => 0,
                ::mynacard_kiosk::flow::SecretPurpose::NewPin => 1,
                ::mynacard_kiosk::flow::SecretPurpose::NewPinAgain => 2,
            };
        }
        StepKind::Done(o) => {
            c.kind = MYNACARD_STEP_DONE as u32;
            c.outcome = o.exit_code() as i32;
        }
    }
    c
}

/// The current step's text (`choice` 0), or the text of menu choice `choice` (from 1), in the
/// crate's language; for a confirmation, choice 1 is the word to type.
pub fn text(id: usize, choice: u32) -> Result<String, FfiError> {
    with(id, |h| {
        let lang = klang();
        let s = h.step.as_ref().ok_or_else(|| {
            FfiError::new(
                MYNACARD_KIOSK_WRONG_ANSWER_KIND,
                "まだステップがありません。先に mynacard_kiosk_next() を呼んでください。",
                "there is no step yet: call mynacard_kiosk_next() first",
            )
        })?;
        if choice == 0 {
            return Ok(s.text.get(lang).to_string());
        }
        let out_of_range = || FfiError::invalid_argument("choice", choice);
        match &s.kind {
            StepKind::Menu { choices, .. } => choices
                .iter()
                .find(|c| c.number == choice as usize)
                .map(|c| c.text.get(lang).to_string())
                .ok_or_else(out_of_range),
            StepKind::Confirm { word } if choice == 1 => Ok(word.to_string()),
            _ => Err(out_of_range()),
        }
    })
}

/// Answers the open question.
pub fn answer(id: usize, a: Answer) -> Result<(), FfiError> {
    with(id, |h| track(h, |k| k.answer(a)))
}

/// Answers a secret question.
pub fn answer_secret(id: usize, secret: &str) -> Result<(), FfiError> {
    with(id, |h| {
        track(h, |k| k.answer_secret(Zeroizing::new(secret.to_string())))
    })
}

fn track(
    h: &mut KioskHandle,
    f: impl FnOnce(&mut Kiosk<Box<dyn Transport + Send>>) -> Result<(), AnswerError>,
) -> Result<(), FfiError> {
    f(&mut h.kiosk).map_err(answer_error)
}

/// Inserts a card opened by `open` (the virtual card or a reader), or tells the kiosk why there
/// is none (it asks again, then ends) and returns that error.
pub fn insert(
    id: usize,
    open: impl FnOnce() -> Result<CardHandle, FfiError>,
) -> Result<(), FfiError> {
    with(id, |h| match open() {
        Ok(CardHandle {
            card, log, state, ..
        }) => {
            h.exchanges_before = log.as_ref().map(|l| l.len() as u64).unwrap_or(0);
            h.log = log;
            h.state = state;
            track(h, |k| k.insert_card(card))
        }
        Err(e) => {
            track(h, |k| k.no_card(&Text::new(e.ja.clone(), e.en.clone())))?;
            Err(e)
        }
    })
}

/// Exchanges with the kiosk's virtual card since it was inserted (0 without a virtual card).
pub fn exchanges(id: usize) -> Result<u64, FfiError> {
    with(id, |h| {
        Ok(h.log
            .as_ref()
            .map(|l| l.len() as u64 - h.exchanges_before)
            .unwrap_or(0))
    })
}
