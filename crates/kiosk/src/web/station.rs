//! One station: a thread that owns the station's [`Kiosk`] and card, takes the card events and
//! the answers from its channel, and publishes each new screen for the request threads.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use mynacard::events::CardEvent;
use mynacard::pin::{PinFormat, PinKind};
use mynacard::sim::VirtualSlot;
use mynacard::transport::{Transport, TransportError, Wrapper};
use mynacard::Card;
use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::{ApiError, Code, Setup};
use crate::audit::Entry;
use crate::flow::{pin_code, Answer, Config, Kiosk, Outcome, SecretPurpose, StepKind, Stop};
use crate::text::{self, Lang, Text};

/// The card the kiosk of a station talks to: any transport, counted.
type StationCard = Card<Box<dyn Transport>>;

/// What a request thread asks of a station thread.
pub(crate) enum Cmd {
    /// A card event for this station's reader.
    Event(CardEvent),
    /// An answer to the screen `screen`, from the tab `tab`.
    Answer {
        /// The tab that sent it.
        tab: String,
        /// The screen it answers.
        screen: u64,
        /// The answer.
        answer: WebAnswer,
        /// Where the result goes.
        reply: SyncSender<Result<(), ApiError>>,
    },
    /// The virtual card's demo control: pull the card out (`true`) or put it back.
    Virtual {
        /// Pull it out (else put it back).
        remove: bool,
        /// Where the result goes.
        reply: SyncSender<Result<(), ApiError>>,
    },
    /// Somebody touched the screen (a language change): the idle time starts again.
    Touch,
}

/// An answer as the page sends it.
pub(crate) enum WebAnswer {
    Choice(usize),
    Choices(Vec<usize>),
    Yes,
    No,
    Quit,
    Secret(Zeroizing<String>),
}

/// What a screen takes as an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Takes {
    Nothing,
    Choice(usize),
    Choices(usize),
    YesNo,
    Secret,
}

/// One screen, in both languages: what the state JSON shows.
#[derive(Debug, Clone)]
pub(crate) struct Screen {
    id: u64,
    kind: &'static str,
    progress: Option<(u8, u8)>,
    heading: Option<Text>,
    lines: Vec<Text>,
    question: Option<Text>,
    choices: Vec<(usize, Text)>,
    multiple: bool,
    secret: Option<(PinKind, SecretPurpose)>,
    outcome: Option<Outcome>,
    notice: Option<Text>,
    takes: Takes,
}

impl Screen {
    fn blank(id: u64, kind: &'static str) -> Screen {
        Screen {
            id,
            kind,
            progress: None,
            heading: None,
            lines: Vec::new(),
            question: None,
            choices: Vec::new(),
            multiple: false,
            secret: None,
            outcome: None,
            notice: None,
            takes: Takes::Nothing,
        }
    }

    /// Its kind (`start`, `menu`, …).
    pub(crate) fn kind(&self) -> &'static str {
        self.kind
    }

    /// Its id.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    fn json(&self, lang: Lang) -> Value {
        let t = |x: &Option<Text>| x.as_ref().map(|x| x.get(lang).to_owned());
        let secret = self.secret.map(|(pin, purpose)| {
            let (min, max, alphabet) = match pin.format() {
                PinFormat::FourDigits => (4, 4, "digits"),
                PinFormat::Alphanumeric6To16 => (6, 16, "upper_alnum"),
            };
            json!({
                "pin": pin_code(pin),
                "purpose": match purpose {
                    SecretPurpose::OtherPin => "other_pin",
                    SecretPurpose::NewPin => "new_pin",
                    SecretPurpose::NewPinAgain => "new_pin_again",
                },
                "min": min, "max": max, "alphabet": alphabet,
            })
        });
        json!({
            "id": self.id,
            "kind": self.kind,
            "progress": self.progress.map(|(stage, of)| json!({"stage": stage, "of": of})),
            "heading": t(&self.heading),
            "lines": self.lines.iter().map(|l| l.get(lang)).collect::<Vec<_>>(),
            "question": t(&self.question),
            "choices": self.choices.iter()
                .map(|(n, c)| json!({"number": n, "text": c.get(lang)}))
                .collect::<Vec<_>>(),
            "multiple": self.multiple,
            "secret": secret,
            "outcome": self.outcome.map(Outcome::code),
            "notice": t(&self.notice),
        })
    }
}

/// What request threads read: the latest screen, published by the station thread.
pub(crate) struct View {
    /// Increases on every change.
    pub(crate) version: u64,
    /// The station's language.
    pub(crate) lang: Lang,
    /// The tab that owns the station (the newest claim).
    pub(crate) tab: Option<String>,
    /// The screen shown.
    pub(crate) screen: Screen,
}

/// A station as request threads see it.
pub(crate) struct Shared {
    /// Its number.
    pub(crate) index: usize,
    /// Its reader's name (`virtual` for the in-process virtual reader).
    pub(crate) reader: String,
    /// The virtual reader, for the demo control.
    pub(crate) slot: Option<VirtualSlot>,
    view: Mutex<View>,
    changed: Condvar,
    /// The station thread's channel.
    pub(crate) tx: Mutex<std::sync::mpsc::Sender<Cmd>>,
}

impl Shared {
    pub(crate) fn new(
        index: usize,
        reader: String,
        slot: Option<VirtualSlot>,
        lang: Lang,
        tx: std::sync::mpsc::Sender<Cmd>,
    ) -> Shared {
        Shared {
            index,
            reader,
            slot,
            view: Mutex::new(View {
                version: 1,
                lang,
                tab: None,
                screen: Screen::blank(0, "start"),
            }),
            changed: Condvar::new(),
            tx: Mutex::new(tx),
        }
    }

    /// The view, locked.
    pub(crate) fn view(&self) -> MutexGuard<'_, View> {
        self.view.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes the view with `f` (a new version) and wakes the long polls.
    pub(crate) fn update(&self, f: impl FnOnce(&mut View)) {
        let mut v = self.view();
        f(&mut v);
        v.version += 1;
        self.changed.notify_all();
    }

    /// Sends a command to the station thread (false if it is gone).
    pub(crate) fn send(&self, cmd: Cmd) -> bool {
        self.tx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(cmd)
            .is_ok()
    }

    /// The state JSON.
    pub(crate) fn state(&self) -> Value {
        let v = self.view();
        self.state_of(&v)
    }

    fn state_of(&self, v: &View) -> Value {
        json!({
            "version": v.version,
            "station": self.index,
            "reader": self.reader,
            "virtual": self.slot.is_some(),
            "lang": v.lang.code(),
            "screen": v.screen.json(v.lang),
        })
    }

    /// Waits until the version is above `after`, at most `wait`; then the state JSON.
    pub(crate) fn wait_state(&self, after: Option<u64>, wait: Duration) -> Value {
        let deadline = Instant::now() + wait;
        let mut v = self.view();
        if let Some(after) = after {
            while v.version <= after {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                v = self
                    .changed
                    .wait_timeout(v, deadline - now)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
        }
        self.state_of(&v)
    }
}

/// Counts the exchanges of one flow.
struct Counting {
    inner: Box<dyn Transport>,
    count: Rc<Cell<u32>>,
}

impl Wrapper for Counting {
    type Inner = Box<dyn Transport>;
    fn inner(&self) -> &Box<dyn Transport> {
        &self.inner
    }
    fn inner_mut(&mut self) -> &mut Box<dyn Transport> {
        &mut self.inner
    }
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.count.set(self.count.get().saturating_add(1));
        Transport::transmit(&mut self.inner, command)
    }
}

/// Where the station stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No flow: waiting for a card (or for the card of an ended flow to be taken out).
    Start,
    /// A flow is running.
    Flow,
    /// The flow ended; its outcome is shown until the card is taken out.
    Done,
}

/// The station thread's own state.
pub(crate) struct Station {
    shared: Arc<Shared>,
    setup: Arc<Setup>,
    kiosk: Kiosk<Box<dyn Transport>>,
    count: Rc<Cell<u32>>,
    phase: Phase,
    /// A card is in the reader, as far as the events tell.
    card_in: bool,
    next_id: u64,
    screen: Screen,
    heading: Option<Text>,
    progress: Option<(u8, u8)>,
    deadline: Option<Instant>,
    /// The flow ended as [`Outcome::NoCard`] and its audit row waits for what comes next.
    unaudited: bool,
}

impl Station {
    pub(crate) fn new(shared: Arc<Shared>, setup: Arc<Setup>) -> Station {
        let kiosk = Kiosk::new(config(&setup, &shared.reader));
        let mut s = Station {
            shared,
            setup,
            kiosk,
            count: Rc::new(Cell::new(0)),
            phase: Phase::Start,
            card_in: false,
            next_id: 1,
            screen: Screen::blank(0, "start"),
            heading: None,
            progress: None,
            deadline: None,
            unaudited: false,
        };
        s.back_to_start(None);
        s
    }

    /// Runs the station until its channel closes.
    pub(crate) fn run(mut self, rx: &Receiver<Cmd>) {
        loop {
            let cmd = match self.deadline {
                Some(d) => match rx.recv_timeout(d.saturating_duration_since(Instant::now())) {
                    Ok(c) => c,
                    Err(RecvTimeoutError::Timeout) => {
                        self.idle();
                        continue;
                    }
                    Err(RecvTimeoutError::Disconnected) => return,
                },
                None => match rx.recv() {
                    Ok(c) => c,
                    Err(_) => return,
                },
            };
            match cmd {
                Cmd::Event(e) => self.event(e),
                Cmd::Answer {
                    tab,
                    screen,
                    answer,
                    reply,
                } => {
                    let r = self.answer(&tab, screen, answer);
                    let _ = reply.send(r);
                }
                Cmd::Virtual { remove, reply } => {
                    let r = match self.shared.slot.clone() {
                        None => Err(ApiError::new(Code::NotVirtual)),
                        Some(slot) if remove => {
                            slot.remove();
                            self.card_removed();
                            Ok(())
                        }
                        Some(slot) => {
                            // The monitor reports the insertion, which starts the flow.
                            slot.insert();
                            Ok(())
                        }
                    };
                    let _ = reply.send(r);
                }
                Cmd::Touch => {
                    if self.deadline.is_some() {
                        self.deadline = Some(Instant::now() + self.setup.idle);
                    }
                }
            }
        }
    }

    fn new_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn publish(&mut self) {
        let screen = self.screen.clone();
        self.shared.update(|v| v.screen = screen);
    }

    /// A fresh kiosk at its card question: the start screen (with `notice`).
    fn back_to_start(&mut self, notice: Option<Text>) {
        if std::mem::take(&mut self.unaudited) {
            self.audit("no_card");
        }
        // The virtual card keeps a log of every exchange (for tests): a kiosk that runs for
        // days must not keep them all.
        if let Some(slot) = &self.shared.slot {
            slot.with_card(|c| c.log().clear());
        }
        self.kiosk = Kiosk::new(config(&self.setup, &self.shared.reader));
        self.count.set(0);
        self.phase = Phase::Start;
        self.deadline = None;
        let mut lines = Vec::new();
        let mut title = None;
        loop {
            let step = self.kiosk.next();
            match step.kind {
                StepKind::Info if title.is_none() => {
                    title = Some(Text::new(
                        step.text.ja.trim_matches(|c| c == '=' || c == ' '),
                        step.text.en.trim_matches(|c| c == '=' || c == ' '),
                    ))
                }
                StepKind::Info => lines.push(step.text),
                StepKind::Heading { number, of } => self.progress = Some((number, of)),
                _ => break,
            }
        }
        let id = self.new_id();
        self.heading = title;
        let mut s = Screen::blank(id, "start");
        s.progress = self.progress;
        s.heading = self.heading.clone();
        s.lines = lines;
        s.question = Some(text::INSERT_CARD.text());
        s.notice = notice;
        self.screen = s;
        self.publish();
    }

    fn event(&mut self, e: CardEvent) {
        match e {
            CardEvent::CardInserted { kind, .. } => {
                self.card_in = true;
                if self.phase != Phase::Start {
                    return;
                }
                if kind.is_my_number_card() {
                    self.start_flow();
                } else {
                    let id = self.new_id();
                    self.screen.id = id;
                    self.screen.notice = Some(text::NOT_MY_NUMBER_CARD.text());
                    self.publish();
                }
            }
            CardEvent::CardRemoved { .. } | CardEvent::ReaderRemoved { .. } => self.card_removed(),
            _ => {}
        }
    }

    fn open_card(&self) -> Result<Box<dyn Transport>, String> {
        if let Some(slot) = &self.shared.slot {
            return Ok(Box::new(slot.transport()));
        }
        (self.setup.open_reader)(&self.shared.reader, self.shared.view().lang)
    }

    fn start_flow(&mut self) {
        let transport = match self.open_card() {
            Ok(t) => t,
            Err(e) => {
                let id = self.new_id();
                self.screen.id = id;
                self.screen.notice = Some(Text::same(e).prefixed(&text::CARD_NOT_OPENED.text()));
                self.publish();
                return;
            }
        };
        self.count.set(0);
        let counting = Counting {
            inner: transport,
            count: Rc::clone(&self.count),
        };
        let card: StationCard = Card::new(Box::new(counting));
        self.phase = Phase::Flow;
        if self.kiosk.insert_card(card).is_err() {
            // Not reached: the fresh kiosk asks for the card.
            self.kiosk.stop(Stop::InputEnded);
        }
        self.advance(Vec::new());
    }

    /// Shows the kiosk's steps up to its next question or its end.
    fn advance(&mut self, mut lines: Vec<Text>) {
        loop {
            let step = self.kiosk.next();
            let id = self.new_id();
            let mut s = Screen::blank(id, "menu");
            match step.kind {
                StepKind::Heading { number, of } => {
                    self.progress = Some((number, of));
                    let prefix = text::step_heading(number, of, &Text::default());
                    self.heading = Some(Text::new(
                        step.text
                            .ja
                            .strip_prefix(&prefix.ja)
                            .unwrap_or(&step.text.ja),
                        step.text
                            .en
                            .strip_prefix(&prefix.en)
                            .unwrap_or(&step.text.en),
                    ));
                    continue;
                }
                StepKind::Info => {
                    lines.push(step.text);
                    continue;
                }
                StepKind::Menu { choices, multiple } => {
                    s.takes = if multiple {
                        Takes::Choices(choices.len())
                    } else {
                        Takes::Choice(choices.len())
                    };
                    s.choices = choices.into_iter().map(|c| (c.number, c.text)).collect();
                    s.multiple = multiple;
                    s.question = Some(if multiple {
                        text::TOUCH_CHOOSE_SEVERAL.text()
                    } else {
                        text::TOUCH_CHOOSE_ONE.text()
                    });
                }
                StepKind::YesNo => {
                    s.kind = "yesno";
                    s.takes = Takes::YesNo;
                    s.question = Some(step.text);
                }
                StepKind::Confirm { .. } => {
                    s.kind = "confirm";
                    s.takes = Takes::YesNo;
                    s.question = Some(text::TOUCH_YES_FOR_LAST_TRY.text());
                }
                StepKind::Secret { pin, purpose } => {
                    s.kind = "secret";
                    s.takes = Takes::Secret;
                    s.secret = Some((pin, purpose));
                    s.question = Some(step.text);
                }
                StepKind::InsertCard => {
                    // Not reached: the card is given before the flow is advanced.
                    self.kiosk.stop(Stop::InputEnded);
                    continue;
                }
                StepKind::Done(outcome) => {
                    s.kind = "done";
                    s.outcome = Some(outcome);
                    s.question = Some(step.text);
                }
            }
            s.progress = self.progress;
            s.heading = self.heading.clone();
            s.lines = lines;
            self.screen = s;
            self.deadline = Some(Instant::now() + self.setup.idle);
            if let Some(outcome) = self.screen.outcome {
                if self.phase == Phase::Flow {
                    self.phase = Phase::Done;
                    if outcome == Outcome::NoCard {
                        // The card stopped answering: if it was pulled out (its removal is
                        // reported next), the row says so; else `no_card` at the end.
                        self.unaudited = true;
                    } else {
                        self.audit(outcome.code());
                    }
                }
            }
            self.publish();
            return;
        }
    }

    fn audit(&self, outcome: &str) {
        let summary = self.kiosk.summary();
        let entry = Entry {
            time: SystemTime::now(),
            station: self.shared.reader.clone(),
            place: summary.place.to_owned(),
            pin: summary.pin,
            route: summary.route,
            outcome: outcome.to_owned(),
            exchanges: self.count.get(),
        };
        if let Err(e) = self.setup.trail.append(&entry) {
            eprintln!(
                "myna-kiosk: station {}: the audit row could not be written: {e}",
                self.shared.index
            );
        }
    }

    /// The card went away (or the reader).
    fn card_removed(&mut self) {
        self.card_in = false;
        match self.phase {
            Phase::Flow => {
                self.kiosk.stop(Stop::CardRemoved);
                self.audit("card_pulled");
                self.back_to_start(Some(text::CARD_REMOVED.text()));
            }
            Phase::Done => {
                let pulled = std::mem::take(&mut self.unaudited);
                if pulled {
                    self.audit("card_pulled");
                }
                let notice = match self.screen.outcome {
                    _ if pulled => Some(self.notice_with_lines(text::CARD_REMOVED.text())),
                    Some(Outcome::Unknown | Outcome::Partial) => {
                        Some(self.notice_with_lines(text::CARD_REMOVED.text()))
                    }
                    _ => None,
                };
                self.back_to_start(notice);
            }
            Phase::Start => {}
        }
    }

    /// `notice`, then the lines of the screen shown (what the flow said at its end: the
    /// library's advice after a torn operation).
    fn notice_with_lines(&self, mut n: Text) -> Text {
        for l in &self.screen.lines {
            n.ja.push('\n');
            n.ja.push_str(l.ja.trim());
            n.en.push('\n');
            n.en.push_str(l.en.trim());
        }
        n
    }

    /// Nobody answered in time.
    fn idle(&mut self) {
        self.deadline = None;
        match self.phase {
            Phase::Flow => {
                self.kiosk.stop(Stop::IdleTimeout);
                self.audit("timed_out");
                self.back_to_start(Some(text::IDLE_TIMEOUT.text()));
            }
            Phase::Done => self.back_to_start(None),
            Phase::Start => {}
        }
    }

    fn answer(&mut self, tab: &str, screen: u64, answer: WebAnswer) -> Result<(), ApiError> {
        {
            let v = self.shared.view();
            if v.tab.as_deref() != Some(tab) {
                return Err(ApiError::new(Code::OtherTab));
            }
        }
        if screen != self.screen.id {
            return Err(ApiError::new(Code::Stale));
        }
        let fits = match (&answer, self.screen.takes) {
            (_, Takes::Nothing) => false,
            (WebAnswer::Quit, _) => true,
            (WebAnswer::Choice(n), Takes::Choice(of)) => (1..=of).contains(n),
            (WebAnswer::Choices(v), Takes::Choices(of)) => {
                v.len() <= of && v.iter().all(|n| (1..=of).contains(n))
            }
            (WebAnswer::Yes | WebAnswer::No, Takes::YesNo) => true,
            (WebAnswer::Secret(s), Takes::Secret) => !s.is_empty(),
            _ => false,
        };
        if !fits {
            return Err(ApiError::new(Code::BadRequest));
        }
        // Busy while the kiosk works (it may talk to the card).
        let before = self.screen.clone();
        let id = self.new_id();
        let mut busy = Screen::blank(id, "busy");
        busy.progress = self.progress;
        busy.heading = self.heading.clone();
        self.screen = busy;
        self.deadline = None;
        self.publish();
        let r = match answer {
            WebAnswer::Choice(n) => self.kiosk.answer(Answer::Choice(n)),
            WebAnswer::Choices(v) => self.kiosk.answer(Answer::Choices(v)),
            WebAnswer::Yes => self.kiosk.answer(Answer::Yes),
            WebAnswer::No => self.kiosk.answer(Answer::No),
            WebAnswer::Quit => self.kiosk.answer(Answer::Quit),
            WebAnswer::Secret(s) => self.kiosk.answer_secret(s),
        };
        if r.is_err() {
            // Not reached (checked above); nothing changed: the same screen again.
            self.screen = before;
            self.deadline = Some(Instant::now() + self.setup.idle);
            self.publish();
            return Err(ApiError::new(Code::BadRequest));
        }
        self.advance(Vec::new());
        Ok(())
    }
}

/// The kiosk's set-up for a station.
fn config(setup: &Setup, reader: &str) -> Config {
    Config {
        place: setup.place,
        authority: (setup.authority)(),
        card_label: reader.to_owned(),
        lang: setup.lang,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mynacard::apdu::ins;
    use mynacard::applets::jpki;
    use mynacard::events::CardKind;
    use mynacard::policy::{KioskSupport, Place};
    use mynacard::reset::{StandInAuthority, TerminalRole};
    use mynacard::sim::{App, Fault, Trigger, VirtualCard};

    struct Fixture {
        station: Station,
        shared: Arc<Shared>,
        slot: VirtualSlot,
        audit: std::path::PathBuf,
        _dir: tempfile::TempDir,
    }

    /// A station on an in-memory virtual card with a blocked signature password, its card
    /// inserted, at the PIN menu.
    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let audit = dir.path().join("audit.sqlite3");
        let mut vc = VirtualCard::new();
        vc.set_tries_left(App::Jpki, jpki::SIGN_PIN.0, 0).unwrap();
        let slot = VirtualSlot::new("virtual", vc);
        let (tx, _rx) = std::sync::mpsc::channel();
        let shared = Arc::new(Shared::new(
            0,
            "virtual".into(),
            Some(slot.clone()),
            Lang::En,
            tx,
        ));
        shared.update(|v| v.tab = Some("tab".into()));
        let setup = Arc::new(Setup {
            place: Place::Kiosk(KioskSupport::BothJpkiPins),
            authority: Arc::new(|| Box::new(StandInAuthority::new(TerminalRole::SelfServiceKiosk))),
            lang: Lang::En,
            idle: Duration::from_secs(60),
            trail: crate::audit::Trail::open(&audit).unwrap(),
            open_reader: Box::new(|_, _| Err("none".into())),
        });
        let mut station = Station::new(Arc::clone(&shared), setup);
        assert_eq!(station.screen.kind, "start");
        station.event(CardEvent::CardInserted {
            reader: "virtual".into(),
            atr: Vec::new(),
            kind: CardKind::MyNumberCard,
        });
        assert_eq!(station.screen.kind, "menu");
        Fixture {
            station,
            shared,
            slot,
            audit,
            _dir: dir,
        }
    }

    fn answer(f: &mut Fixture, a: WebAnswer) {
        let id = f.station.screen.id;
        f.station.answer("tab", id, a).unwrap();
    }

    /// Up to the new PIN's second entry, the reset's trigger.
    fn to_last_entry(f: &mut Fixture) {
        answer(f, WebAnswer::Choice(1));
        answer(f, WebAnswer::Yes);
        answer(f, WebAnswer::Secret(Zeroizing::new("1234".into())));
        answer(f, WebAnswer::Secret(Zeroizing::new("NEWPASS1".into())));
        assert_eq!(
            f.station.screen.secret,
            Some((PinKind::Signature, SecretPurpose::NewPinAgain))
        );
    }

    fn rows(f: &Fixture) -> Vec<Value> {
        let mut out = Vec::new();
        crate::audit::export(&f.audit, true, &mut out).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    fn notice(f: &Fixture) -> String {
        let v = f.shared.state();
        v["screen"]["notice"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn a_card_pulled_during_the_reset_is_audited_as_pulled_with_the_reason() {
        let mut f = fixture();
        to_last_entry(&mut f);
        f.slot
            .with_card(|c| c.inject(Trigger::ins(ins::GET_CHALLENGE), Fault::RemoveCard));
        answer(&mut f, WebAnswer::Secret(Zeroizing::new("NEWPASS1".into())));
        assert_eq!(f.station.screen.kind, "done");
        assert_eq!(f.station.screen.outcome, Some(Outcome::NoCard));
        assert!(rows(&f).is_empty(), "the row waits for the removal");
        f.station.event(CardEvent::CardRemoved {
            reader: "virtual".into(),
        });
        assert_eq!(f.station.screen.kind, "start");
        let n = notice(&f);
        assert!(
            n.starts_with("The card was removed. Nothing you entered was kept.\n"),
            "{n}"
        );
        assert!(n.contains("did not complete"), "the reason follows: {n}");
        let rows = rows(&f);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["outcome"], "card_pulled");
        assert!(rows[0]["exchanges"].as_u64().unwrap() > 0);
    }

    #[test]
    fn an_unknown_outcome_is_audited_and_its_advice_stays_after_the_card_is_taken() {
        let mut f = fixture();
        to_last_entry(&mut f);
        f.slot.with_card(|c| {
            c.inject(
                Trigger::ins(ins::RESET_RETRY_COUNTER),
                Fault::PowerLossAfter,
            )
        });
        answer(&mut f, WebAnswer::Secret(Zeroizing::new("NEWPASS1".into())));
        assert_eq!(f.station.screen.outcome, Some(Outcome::Unknown));
        let done_lines = f.station.screen.lines.clone();
        assert_eq!(rows(&f)[0]["outcome"], "unknown");
        f.slot.remove();
        f.station.event(CardEvent::CardRemoved {
            reader: "virtual".into(),
        });
        let n = notice(&f);
        assert!(n.starts_with("The card was removed."), "{n}");
        let last = done_lines.last().unwrap().en.trim().to_owned();
        assert!(!last.is_empty() && n.contains(&last), "{n}\n{done_lines:?}");
        assert_eq!(rows(&f).len(), 1);
    }

    #[test]
    fn idle_ends_a_question_as_timed_out_and_a_done_screen_quietly() {
        let mut f = fixture();
        answer(&mut f, WebAnswer::Choice(2));
        f.station.idle();
        assert_eq!(f.station.screen.kind, "start");
        assert!(notice(&f).starts_with("Nothing was entered for a while"));
        assert_eq!(rows(&f)[0]["outcome"], "timed_out");
        assert_eq!(rows(&f)[0]["pin"], "user_auth");
        // The card is still in: no new flow until it is taken out and inserted again.
        f.station.event(CardEvent::CardRemoved {
            reader: "virtual".into(),
        });
        assert_eq!(f.station.screen.kind, "start");
        f.station.event(CardEvent::CardInserted {
            reader: "virtual".into(),
            atr: Vec::new(),
            kind: CardKind::OtherCard,
        });
        assert_eq!(f.station.screen.kind, "start");
        assert_eq!(
            notice(&f),
            "This is not a My Number Card. Please insert your My Number Card."
        );
        f.station.event(CardEvent::CardInserted {
            reader: "virtual".into(),
            atr: Vec::new(),
            kind: CardKind::MyNumberCard,
        });
        assert_eq!(f.station.screen.kind, "menu");
        answer(&mut f, WebAnswer::Quit);
        assert_eq!(f.station.screen.outcome, Some(Outcome::Cancelled));
        f.station.idle();
        assert_eq!(f.station.screen.kind, "start");
        assert_eq!(notice(&f), "");
        let rows = rows(&f);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1]["outcome"], "cancelled");
    }

    /// Measured before the fix: the server's memory grew by 1.8 MB per 1,000 sessions, the
    /// virtual card's log of every exchange.
    #[test]
    fn the_virtual_cards_exchange_log_is_emptied_after_each_flow() {
        let mut f = fixture();
        answer(&mut f, WebAnswer::Choice(1));
        assert!(f.slot.with_card(|c| c.log().len()) > 0);
        answer(&mut f, WebAnswer::Quit);
        f.slot.remove();
        f.station.event(CardEvent::CardRemoved {
            reader: "virtual".into(),
        });
        assert_eq!(f.station.screen.kind, "start");
        assert_eq!(f.slot.with_card(|c| c.log().len()), 0);
    }

    #[test]
    fn an_answer_while_the_flow_runs_ends_busy_then_the_next_screen() {
        let mut f = fixture();
        let before = f.shared.view().version;
        answer(&mut f, WebAnswer::Choice(1));
        // The busy screen and the next question were both published.
        assert!(f.shared.view().version >= before + 2);
        assert_eq!(f.station.screen.kind, "yesno");
        // A stale id, another tab, a wrong kind: refused, nothing changed.
        let id = f.station.screen.id;
        let stale = f.station.answer("tab", id - 1, WebAnswer::Yes);
        assert_eq!(stale, Err(ApiError::new(Code::Stale)));
        let other = f.station.answer("other", id, WebAnswer::Yes);
        assert_eq!(other, Err(ApiError::new(Code::OtherTab)));
        let wrong = f.station.answer("tab", id, WebAnswer::Choice(1));
        assert_eq!(wrong, Err(ApiError::new(Code::BadRequest)));
        assert_eq!(f.station.screen.id, id);
    }
}
