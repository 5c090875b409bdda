//! The guided reset flow as a step-by-step state machine: insert the card; show the PIN status;
//! choose a PIN; check the rules; collect the other PIN and the new PIN twice; reset; show the
//! new status.
//!
//! A front end asks [`Kiosk::next`] what to do, shows the [`Step`] (in the chosen [`Lang`], both
//! texts are in it), and hands the answer back with [`Kiosk::answer`],
//! [`Kiosk::answer_secret`], [`Kiosk::insert_card`] or [`Kiosk::no_card`]. Steps are plain,
//! owned data: nothing borrowed lives between two calls, so a C wrapper can hold the machine
//! behind an opaque handle. The card is talked to only inside those answer calls.
//!
//! ```
//! use mynacard::policy::{KioskSupport, Place};
//! use mynacard::reset::{StandInAuthority, TerminalRole};
//! use mynacard::{sim::VirtualCard, Card};
//! use mynacard_kiosk::flow::{Answer, Config, Kiosk, Outcome, StepKind};
//! use mynacard_kiosk::text::Lang;
//! use zeroize::Zeroizing;
//!
//! let mut kiosk = Kiosk::new(Config {
//!     place: Place::Kiosk(KioskSupport::BothJpkiPins),
//!     authority: Box::new(StandInAuthority::new(TerminalRole::SelfServiceKiosk)),
//!     card_label: "virtual card".into(),
//!     lang: Lang::En,
//! });
//! // The person's answers, in order: the PIN menu, "do you know the other PIN?", then secrets.
//! let mut secrets = ["1234", "NEWPASS1", "NEWPASS1"].into_iter();
//! let outcome = loop {
//!     let step = kiosk.next();
//!     println!("{}", step.text());
//!     match step.kind {
//!         StepKind::InsertCard => kiosk.insert_card(Card::new(VirtualCard::new()))?,
//!         StepKind::Menu { .. } => kiosk.answer(Answer::Choice(1))?,
//!         StepKind::YesNo => kiosk.answer(Answer::Yes)?,
//!         StepKind::Secret { .. } => {
//!             kiosk.answer_secret(Zeroizing::new(secrets.next().unwrap().into()))?
//!         }
//!         StepKind::Done(outcome) => break outcome,
//!         _ => {}
//!     }
//! };
//! assert_eq!(outcome, Outcome::Done);
//! # Ok::<(), mynacard_kiosk::flow::AnswerError>(())
//! ```

use std::collections::VecDeque;
use std::fmt;

use mynacard::error::ResetError;
use mynacard::pin::{PinKind, PinStatus};
use mynacard::policy::{
    assess, other_jpki_pin, Assessment, IdDocument, Place, ProxyChecklist, Situation,
};
use mynacard::reset::{AnyPin, ResetAuthority};
use mynacard::transport::Transport;
use mynacard::{Card, Error, LastTry};
use zeroize::Zeroizing;

use crate::text::{self, pin_name, tr, Lang, Text};

/// How the flow ended; each has an exit code (the same numbers as the `myna` CLI where they
/// overlap).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The PIN was reset.
    Done,
    /// A card or terminal error.
    Failed,
    /// The other PIN was wrong and the person stopped.
    WrongPin,
    /// A PIN needed for the route is blocked.
    Blocked,
    /// The person declined to spend the other PIN's last try.
    LastTryRefused,
    /// Answers that broke the rules too often, or that could not be read (nothing was sent for
    /// them).
    InvalidInput,
    /// No card (or not a My Number Card).
    NoCard,
    /// The outcome of the reset is unknown: check the status.
    Unknown,
    /// The reset is not possible here; the flow said where to go.
    NotPossible,
    /// The residence PIN was reset on one of its two references only.
    Partial,
    /// The person quit, or the input ended.
    Cancelled,
}

impl Outcome {
    /// The process exit code.
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Done => 0,
            Outcome::Failed => 1,
            Outcome::WrongPin => 3,
            Outcome::Blocked => 4,
            Outcome::LastTryRefused => 5,
            Outcome::InvalidInput => 6,
            Outcome::NoCard => 7,
            Outcome::Unknown => 8,
            Outcome::NotPossible => 10,
            Outcome::Partial => 11,
            Outcome::Cancelled => 12,
        }
    }

    /// Its name in snake case, for machines (the web front end's JSON, the audit trail).
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Failed => "failed",
            Outcome::WrongPin => "wrong_pin",
            Outcome::Blocked => "blocked",
            Outcome::LastTryRefused => "last_try_refused",
            Outcome::InvalidInput => "invalid_input",
            Outcome::NoCard => "no_card",
            Outcome::Unknown => "unknown",
            Outcome::NotPossible => "not_possible",
            Outcome::Partial => "partial",
            Outcome::Cancelled => "cancelled",
        }
    }
}

/// The snake-case code of a PIN kind, for machines (the web front end's JSON, the audit
/// trail): `signature`, `user_auth`, `residence`, `text_assist`.
pub fn pin_code(kind: PinKind) -> &'static str {
    match kind {
        PinKind::Signature => "signature",
        PinKind::UserAuth => "user_auth",
        PinKind::Residence => "residence",
        PinKind::TextAssist => "text_assist",
    }
}

/// The code of a place, as `myna-kiosk --place` spells it: `kiosk`, `kiosk-sign-only`,
/// `counter`, `proxy` (and `smartphone-app`, which is not a terminal).
pub fn place_code(place: &Place) -> &'static str {
    match place {
        Place::Kiosk(mynacard::policy::KioskSupport::SignatureOnly) => "kiosk-sign-only",
        Place::Kiosk(_) => "kiosk",
        Place::Counter => "counter",
        Place::CounterByProxy => "proxy",
        Place::SmartphoneApp => "smartphone-app",
    }
}

/// What a flow did, without any secret or personal data: for an audit row
/// ([`Kiosk::summary`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Where the flow ran ([`place_code`]).
    pub place: &'static str,
    /// The PIN chosen, once chosen.
    pub pin: Option<PinKind>,
    /// The route assessed, once assessed: `self-service`, `self-service+<other PIN's code>`
    /// ([`pin_code`]), `counter` or `proxy`.
    pub route: Option<String>,
    /// How the flow ended, once it has.
    pub outcome: Option<Outcome>,
}

/// The kiosk's set-up.
pub struct Config {
    /// Where the flow runs: a kiosk (with what it supports), the counter, or the counter by
    /// proxy. [`Place::SmartphoneApp`] is not a terminal and is refused.
    pub place: Place,
    /// The terminal side of the reset.
    pub authority: Box<dyn ResetAuthority>,
    /// What the card is, for the header (for example "virtual card (state: …)").
    pub card_label: String,
    /// The language the steps are shown in at first ([`Kiosk::set_lang`] changes it).
    pub lang: Lang,
}

/// How many times a question is asked again after an answer that breaks its rules.
pub const MAX_ASKS: usize = 3;
/// The number of numbered stages of the flow ([`StepKind::Heading`]).
pub const STAGES: u8 = 7;

/// One numbered choice of a [`StepKind::Menu`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// Its number, from 1.
    pub number: usize,
    /// What it is.
    pub text: Text,
}

/// What kind of secret a [`StepKind::Secret`] asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretPurpose {
    /// The other JPKI PIN, which the card verifies (a wrong value costs one of its tries).
    OtherPin,
    /// The new PIN, the first time.
    NewPin,
    /// The new PIN again, to confirm it.
    NewPinAgain,
}

/// What a [`Step`] shows or asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    /// The start of a numbered stage (`number` of `of`): show it as a heading. No answer.
    Heading {
        /// The stage, from 1.
        number: u8,
        /// How many stages there are.
        of: u8,
    },
    /// A line to show. No answer.
    Info,
    /// Ask to insert the card: answer with [`Kiosk::insert_card`], [`Kiosk::no_card`], or
    /// [`Answer::Quit`].
    InsertCard,
    /// A numbered menu: answer with [`Answer::Choice`] (or [`Answer::Choices`] where `multiple`:
    /// any number of the choices, none included).
    Menu {
        /// The choices, numbered from 1.
        choices: Vec<Choice>,
        /// Whether several choices (or none) may be picked.
        multiple: bool,
    },
    /// A yes-or-no question: answer with [`Answer::Yes`] or [`Answer::No`].
    YesNo,
    /// A confirmation that must be given explicitly, for an act that can lock a PIN: answer
    /// [`Answer::Yes`] to go on and [`Answer::No`] to stop. A text front end asks the person to
    /// type `word`, and treats anything else as no.
    Confirm {
        /// The word to type (`YES`).
        word: &'static str,
    },
    /// A secret, entered without echo: answer with [`Kiosk::answer_secret`]. An empty secret
    /// means the person gave up.
    Secret {
        /// Which PIN it is.
        pin: PinKind,
        /// What it is for.
        purpose: SecretPurpose,
    },
    /// The flow is over: show the text (it asks the person to take the card). [`Kiosk::next`]
    /// keeps returning this step.
    Done(Outcome),
}

impl StepKind {
    /// Whether the step waits for an answer.
    pub fn is_question(&self) -> bool {
        !matches!(
            self,
            StepKind::Heading { .. } | StepKind::Info | StepKind::Done(_)
        )
    }
}

/// What the kiosk shows or asks next: plain data, with its text in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// What it is, and how to answer it.
    pub kind: StepKind,
    /// The line to show (for a question, the question).
    pub text: Text,
    /// The language chosen for the kiosk when the step was returned.
    pub lang: Lang,
}

impl Step {
    /// The text in the chosen language.
    pub fn text(&self) -> &str {
        self.text.get(self.lang)
    }

    /// Reads a line typed at a text front end as an answer to this step: `None` when the line
    /// is not one of the step's valid answers (such a line must not be echoed: it may be a
    /// secret typed at the wrong question). Valid: `q` everywhere; menu numbers in range
    /// (comma-separated for a multiple menu, empty for none); `y`, `n`, `yes`, `no`; the word of
    /// a confirmation, or `n`, `no`, `q` there (read as [`Answer::No`]: any other line is taken
    /// as no too, but not shown); an empty line at card insertion (read as [`Answer::Yes`]: the
    /// card is there, open it; any other line is taken the same way, but not shown). Secrets are
    /// not read here.
    pub fn parse(&self, line: &str) -> Option<Answer> {
        let a = line.trim();
        let q = a.eq_ignore_ascii_case("q");
        match &self.kind {
            StepKind::InsertCard if q => Some(Answer::Quit),
            StepKind::InsertCard => a.is_empty().then_some(Answer::Yes),
            StepKind::Menu { choices, multiple } => {
                if q {
                    return Some(Answer::Quit);
                }
                // Only the canonical spelling of a choice ("2", never "02", "+2" or "0002"): a
                // PIN-shaped line is not an answer, so it is neither taken nor echoed.
                let number = |s: &str| {
                    s.parse::<usize>()
                        .ok()
                        .filter(|n| (1..=choices.len()).contains(n) && n.to_string() == s)
                };
                if *multiple {
                    a.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(number)
                        .collect::<Option<Vec<_>>>()
                        .map(Answer::Choices)
                } else {
                    number(a).map(Answer::Choice)
                }
            }
            StepKind::YesNo => match a.to_ascii_lowercase().as_str() {
                "y" | "yes" => Some(Answer::Yes),
                "n" | "no" => Some(Answer::No),
                "q" => Some(Answer::Quit),
                _ => None,
            },
            StepKind::Confirm { word } => {
                if a == *word {
                    Some(Answer::Yes)
                } else if matches!(a.to_ascii_lowercase().as_str(), "n" | "no" | "q") {
                    Some(Answer::No)
                } else {
                    None
                }
            }
            _ => None,
        }
    }
}

/// An answer to a question (secrets go through [`Kiosk::answer_secret`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A menu choice, by its number.
    Choice(usize),
    /// The choices of a multiple menu, by number (empty: none).
    Choices(Vec<usize>),
    /// Yes (or go on).
    Yes,
    /// No (or stop).
    No,
    /// The person quits: the flow ends, cancelled.
    Quit,
    /// A text front end read something that is none of the valid answers: the kiosk says so and
    /// asks again (at most [`MAX_ASKS`] times in all), or, at a confirmation, takes it as no.
    Unrecognised,
}

/// The kinds of answer, for [`AnswerError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerKind {
    /// [`Answer::Choice`].
    Choice,
    /// [`Answer::Choices`].
    Choices,
    /// [`Answer::Yes`] or [`Answer::No`].
    YesNo,
    /// [`Answer::Quit`].
    Quit,
    /// [`Answer::Unrecognised`].
    Unrecognised,
    /// A secret ([`Kiosk::answer_secret`]).
    Secret,
    /// A card ([`Kiosk::insert_card`] or [`Kiosk::no_card`]).
    Card,
    /// Nothing: the step needs no answer.
    None,
}

impl AnswerKind {
    /// Its name in `lang`, for messages.
    pub fn name(self, lang: Lang) -> &'static str {
        use text::answer as a;
        match self {
            AnswerKind::Choice => a::CHOICE,
            AnswerKind::Choices => a::CHOICES,
            AnswerKind::YesNo => a::YES_NO,
            AnswerKind::Quit => a::QUIT,
            AnswerKind::Unrecognised => a::UNRECOGNISED,
            AnswerKind::Secret => a::SECRET,
            AnswerKind::Card => a::CARD,
            AnswerKind::None => a::NONE,
        }
        .get(lang)
    }

    fn of(a: &Answer) -> AnswerKind {
        match a {
            Answer::Choice(_) => AnswerKind::Choice,
            Answer::Choices(_) => AnswerKind::Choices,
            Answer::Yes | Answer::No => AnswerKind::YesNo,
            Answer::Quit => AnswerKind::Quit,
            Answer::Unrecognised => AnswerKind::Unrecognised,
        }
    }

    fn expected(kind: &StepKind) -> AnswerKind {
        match kind {
            StepKind::InsertCard => AnswerKind::Card,
            StepKind::Menu {
                multiple: false, ..
            } => AnswerKind::Choice,
            StepKind::Menu { multiple: true, .. } => AnswerKind::Choices,
            StepKind::YesNo | StepKind::Confirm { .. } => AnswerKind::YesNo,
            StepKind::Secret { .. } => AnswerKind::Secret,
            StepKind::Heading { .. } | StepKind::Info | StepKind::Done(_) => AnswerKind::None,
        }
    }
}

/// An answer the kiosk refused. Nothing changed: the same question is still open, nothing was
/// sent to the card, and no try was spent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerError {
    /// No question is open: call [`Kiosk::next`] and show its step first (steps without an
    /// answer must be shown before the question after them).
    NotAsked,
    /// The flow is over.
    Finished,
    /// The answer is not of the kind the open question takes.
    WrongKind {
        /// What the question takes.
        expected: AnswerKind,
        /// What was given.
        got: AnswerKind,
    },
    /// A menu number that is not among the choices.
    OutOfRange {
        /// The number given.
        choice: usize,
        /// How many choices there are.
        choices: usize,
    },
}

impl AnswerError {
    /// The message, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            AnswerError::NotAsked => text::NOT_ASKED.get(lang).into(),
            AnswerError::Finished => text::FINISHED.get(lang).into(),
            AnswerError::WrongKind { expected, got } => {
                text::wrong_kind(lang, expected.name(lang), got.name(lang))
            }
            AnswerError::OutOfRange { choice, choices } => {
                text::out_of_range(lang, *choice, *choices)
            }
        }
    }
}

impl fmt::Display for AnswerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for AnswerError {}

/// Why a front end stops the flow from its side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The input ended (end of a script, a closed terminal): cancelled.
    InputEnded,
    /// The card was pulled out of the reader before the flow ended: it ends with
    /// [`Outcome::NoCard`]; everything entered is forgotten.
    CardRemoved,
    /// Nobody answered the open question in time: the flow ends, cancelled; everything entered
    /// is forgotten.
    IdleTimeout,
    /// An answer could not be read: it is not UTF-8 text, or it is longer than the limit. The
    /// flow ends with [`Outcome::InvalidInput`]; the answer is not used.
    Unreadable {
        /// The line of the input, where known (from 1).
        line: Option<usize>,
        /// Whether it was too long (else not UTF-8).
        too_long: bool,
    },
}

/// The open question and what its answer is for.
#[derive(Debug)]
enum Q {
    Insert,
    Choose,
    KnowOther(PinKind),
    InPerson,
    ProxyForm,
    ProxyCard,
    ProxyDocs,
    OtherPin(PinKind),
    NewPin,
    NewPinAgain,
    TryAgain(PinKind),
    LastTry,
}

struct Open {
    q: Q,
    step: StepKind,
    text: Text,
    /// Answers that broke the question's rules so far.
    wrong: usize,
}

/// The state machine of the guided flow. See the [module documentation](self).
///
/// One kiosk runs one flow, for one card, from one thread at a time (it holds the card and the
/// terminal authority, which need not be `Send`). Every method returns at once, except those
/// that talk to the card: [`Kiosk::insert_card`] (the PIN status),
/// [`Kiosk::answer`] (the certificate check after the PIN menu at a kiosk, the reset after a
/// last-try confirmation), and [`Kiosk::answer_secret`] (the reset after the new PIN's second
/// entry, or after the other PIN is entered again).
pub struct Kiosk<T: Transport> {
    config: Config,
    lang: Lang,
    started: bool,
    queue: VecDeque<(StepKind, Text)>,
    open: Option<Open>,
    asked: bool,
    outcome: Option<Outcome>,
    closing: Text,
    card: Option<Card<T>>,
    // What the flow has learned so far.
    all: Vec<PinStatus>,
    kind: Option<PinKind>,
    both_certificates: bool,
    assessment: Option<Assessment>,
    checklist: ProxyChecklist,
    other_kind: Option<PinKind>,
    other: Option<AnyPin>,
    first_new: Option<(Zeroizing<String>, AnyPin)>,
    new: Option<AnyPin>,
    new_rounds: usize,
    wrong_other: usize,
    retrying: bool,
    last: LastTry,
}

impl<T: Transport> Kiosk<T> {
    /// A kiosk about to start: the first [`Kiosk::next`] shows the header.
    pub fn new(config: Config) -> Kiosk<T> {
        Kiosk {
            lang: config.lang,
            config,
            started: false,
            queue: VecDeque::new(),
            open: None,
            asked: false,
            outcome: None,
            closing: Text::default(),
            card: None,
            all: Vec::new(),
            kind: None,
            both_certificates: true,
            assessment: None,
            checklist: ProxyChecklist::default(),
            other_kind: None,
            other: None,
            first_new: None,
            new: None,
            new_rounds: 0,
            wrong_other: 0,
            retrying: false,
            last: LastTry::Refuse,
        }
    }

    /// The language steps are shown in.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Changes the language of the steps returned from now on (a language button).
    pub fn set_lang(&mut self, lang: Lang) {
        self.lang = lang;
    }

    /// How the flow ended, once it has.
    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome
    }

    /// Takes the card out of the kiosk (for example to close the reader once the flow is over).
    /// The kiosk unpowers the card when the flow ends; a flow still running ends as
    /// [`Outcome::NoCard`] at its next card operation.
    pub fn take_card(&mut self) -> Option<Card<T>> {
        self.card.take()
    }

    /// What the flow did so far, for an audit row: the place, the PIN chosen, the route
    /// assessed and the outcome. Holds no secret and nothing read from the card but the choices.
    pub fn summary(&self) -> Summary {
        let route = self.assessment.as_ref().map(|a| match self.config.place {
            Place::Counter => "counter".to_owned(),
            Place::CounterByProxy => "proxy".to_owned(),
            Place::Kiosk(_) | Place::SmartphoneApp => match a.other_pin() {
                Some(k) => format!("self-service+{}", pin_code(k)),
                None => "self-service".to_owned(),
            },
        });
        Summary {
            place: place_code(&self.config.place),
            pin: self.kind,
            route,
            outcome: self.outcome,
        }
    }

    /// Whether the flow has begun with a card: [`Kiosk::insert_card`] was given one.
    pub fn has_card(&self) -> bool {
        self.card.is_some()
    }

    /// The PIN statuses read from the card (empty before the card is read).
    pub fn statuses(&self) -> &[PinStatus] {
        &self.all
    }

    /// What to show or ask now. Steps without an answer are returned once each, in order; a
    /// question is returned again until it is answered; after the end, the
    /// [`StepKind::Done`] step is returned every time.
    #[allow(clippy::should_implement_trait)] // not an iterator: it never ends
    pub fn next(&mut self) -> Step {
        if !self.started {
            self.started = true;
            self.start();
        }
        let (kind, text) = if let Some(s) = self.queue.pop_front() {
            s
        } else if let Some(o) = &self.open {
            self.asked = true;
            (o.step.clone(), o.text.clone())
        } else {
            let outcome = self.outcome.unwrap_or(Outcome::Failed);
            (StepKind::Done(outcome), self.closing.clone())
        };
        Step {
            kind,
            text,
            lang: self.lang,
        }
    }

    /// Answers the open question (not a secret, not a card).
    pub fn answer(&mut self, answer: Answer) -> Result<(), AnswerError> {
        let got = AnswerKind::of(&answer);
        let open = self.check(got)?;
        if answer == Answer::Quit {
            self.finish(Outcome::Cancelled);
            return Ok(());
        }
        match (&open.step, &answer) {
            (StepKind::Menu { choices, .. }, Answer::Choice(n))
                if !(1..=choices.len()).contains(n) =>
            {
                return Err(AnswerError::OutOfRange {
                    choice: *n,
                    choices: choices.len(),
                })
            }
            (StepKind::Menu { choices, .. }, Answer::Choices(v)) => {
                if let Some(n) = v.iter().find(|n| !(1..=choices.len()).contains(*n)) {
                    return Err(AnswerError::OutOfRange {
                        choice: *n,
                        choices: choices.len(),
                    });
                }
            }
            _ => {}
        }
        let mut open = self.open.take().expect("checked");
        self.asked = false;
        if answer == Answer::Unrecognised && !matches!(open.step, StepKind::Confirm { .. }) {
            self.say(self.unrecognised(&open));
            open.wrong += 1;
            if open.wrong >= MAX_ASKS {
                self.finish(Outcome::InvalidInput);
            } else {
                self.open = Some(open);
            }
            return Ok(());
        }
        let yes = answer == Answer::Yes;
        match open.q {
            Q::Choose => {
                let Answer::Choice(n) = answer else {
                    unreachable!("checked")
                };
                self.chosen(PinKind::ALL[n - 1]);
            }
            Q::KnowOther(o) => {
                let kind = self.kind.expect("chosen");
                let mut situation = self
                    .situation(kind)
                    .with_both_certificates(self.both_certificates);
                if yes {
                    situation = situation.knowing([o]);
                }
                let a = assess(&situation, &self.config.place);
                self.assessed(a);
            }
            Q::InPerson => {
                if yes {
                    let a = assess(
                        &self.situation(self.kind.expect("chosen")),
                        &self.config.place,
                    );
                    self.assessed(a);
                } else {
                    self.say(text::COUNTER_IN_PERSON_OR_PROXY.text());
                    self.finish(Outcome::NotPossible);
                }
            }
            Q::ProxyForm => {
                self.checklist.inquiry_form = yes;
                self.ask(
                    Q::ProxyCard,
                    StepKind::YesNo,
                    text::STAFF_IS_CARDHOLDERS_CARD.text(),
                );
            }
            Q::ProxyCard => {
                self.checklist.cardholders_card = yes;
                self.say(text::PROXY_DOCUMENTS.text());
                let choices = document_menu()
                    .iter()
                    .enumerate()
                    .map(|(i, d)| Choice {
                        number: i + 1,
                        text: tr(|l| text::document(l, d)),
                    })
                    .collect();
                self.ask(
                    Q::ProxyDocs,
                    StepKind::Menu {
                        choices,
                        multiple: true,
                    },
                    text::STAFF_ENTER_DOCUMENTS.text(),
                );
            }
            Q::ProxyDocs => {
                let Answer::Choices(v) = answer else {
                    unreachable!("checked")
                };
                let menu = document_menu();
                self.checklist.proxy_documents = v.iter().map(|n| menu[n - 1].clone()).collect();
                let missing = self.checklist.missing();
                if !missing.is_empty() {
                    self.say(text::PROXY_MISSING.text());
                    for m in missing {
                        self.say(tr(|l| format!("  - {}", text::missing(l, m))));
                    }
                    self.finish(Outcome::NotPossible);
                } else {
                    self.say(text::PROXY_COMPLETE.text());
                    let a = assess(
                        &self.situation(self.kind.expect("chosen")),
                        &self.config.place,
                    );
                    self.assessed(a);
                }
            }
            Q::TryAgain(k) => {
                if yes {
                    self.retrying = true;
                    self.ask_other(k);
                } else {
                    self.finish(Outcome::WrongPin);
                }
            }
            Q::LastTry => {
                if yes {
                    self.last = LastTry::Allow;
                    self.reset();
                } else {
                    self.finish(Outcome::LastTryRefused);
                }
            }
            Q::Insert | Q::OtherPin(_) | Q::NewPin | Q::NewPinAgain => {
                unreachable!("checked: these take a card or a secret")
            }
        }
        Ok(())
    }

    /// Answers a secret question. The value is checked against the PIN's format before anything
    /// is sent; an invalid value is refused with the rule it broke (no try is spent) and asked
    /// again. An empty value ends the flow, cancelled.
    pub fn answer_secret(&mut self, secret: Zeroizing<String>) -> Result<(), AnswerError> {
        self.check(AnswerKind::Secret)?;
        let mut open = self.open.take().expect("checked");
        self.asked = false;
        if secret.is_empty() {
            self.finish(Outcome::Cancelled);
            return Ok(());
        }
        match open.q {
            Q::OtherPin(k) => match AnyPin::parse(k, &secret) {
                Ok(p) => {
                    self.other = Some(p);
                    if self.retrying {
                        self.reset();
                    } else {
                        self.ask_new_first();
                    }
                }
                Err(e) => {
                    self.say(text::invalid_value_nothing_sent(&e.rule));
                    open.wrong += 1;
                    if open.wrong >= MAX_ASKS {
                        self.finish(Outcome::InvalidInput);
                    } else {
                        self.open = Some(open);
                    }
                }
            },
            Q::NewPin => {
                let kind = self.kind.expect("chosen");
                match AnyPin::parse(kind, &secret) {
                    Ok(p) => {
                        self.first_new = Some((secret, p));
                        self.ask(
                            Q::NewPinAgain,
                            StepKind::Secret {
                                pin: kind,
                                purpose: SecretPurpose::NewPinAgain,
                            },
                            text::new_pin_again(kind),
                        );
                    }
                    Err(e) => {
                        self.say(text::invalid_value_again(&e.rule));
                        self.new_round_failed();
                    }
                }
            }
            Q::NewPinAgain => {
                let (first, parsed) = self.first_new.take().expect("asked after the first");
                if *first == *secret {
                    self.new = Some(parsed);
                    let kind = self.kind.expect("chosen");
                    self.heading(6, text::resetting(kind));
                    self.reset();
                } else {
                    self.say(text::ENTRIES_DIFFER.text());
                    self.new_round_failed();
                }
            }
            _ => unreachable!("checked: a secret question"),
        }
        Ok(())
    }

    /// Hands the inserted card to the kiosk, at [`StepKind::InsertCard`]. The kiosk reads the PIN
    /// status (free: no try is spent) and goes on; it unpowers the card at the end.
    pub fn insert_card(&mut self, card: Card<T>) -> Result<(), AnswerError> {
        self.check(AnswerKind::Card)?;
        self.open = None;
        self.asked = false;
        self.say(text::CARD_FOUND.text());
        self.card = Some(card);
        self.heading(2, text::PIN_STATUS_HEADING.text());
        let Some(all) = self.card_op(|c| c.status_all()) else {
            return Ok(());
        };
        self.show_status(&all);
        self.all = all;
        self.heading(3, text::WHICH_PIN.text());
        let choices = PinKind::ALL
            .iter()
            .enumerate()
            .map(|(i, k)| Choice {
                number: i + 1,
                text: tr(|l| pin_name(l, *k)),
            })
            .collect();
        self.ask(
            Q::Choose,
            StepKind::Menu {
                choices,
                multiple: false,
            },
            text::ENTER_1_TO_4.text(),
        );
        Ok(())
    }

    /// Says that no card could be opened at [`StepKind::InsertCard`], with the reason (shown as
    /// it is). The kiosk asks again, [`MAX_ASKS`] times in all, then ends with
    /// [`Outcome::NoCard`].
    pub fn no_card(&mut self, reason: &Text) -> Result<(), AnswerError> {
        self.check(AnswerKind::Card)?;
        let mut open = self.open.take().expect("checked");
        self.asked = false;
        self.say(reason.prefixed(&text::NO_CARD.text()));
        open.wrong += 1;
        if open.wrong >= MAX_ASKS {
            self.finish(Outcome::NoCard);
        } else {
            self.open = Some(open);
        }
        Ok(())
    }

    /// Stops the flow from the front end's side (see [`Stop`]). The card, if any, is unpowered.
    pub fn stop(&mut self, why: Stop) {
        if self.outcome.is_some() {
            return;
        }
        self.started = true;
        self.open = None;
        self.asked = false;
        match why {
            Stop::InputEnded => self.finish(Outcome::Cancelled),
            Stop::CardRemoved => {
                self.say(text::CARD_REMOVED.text());
                self.finish(Outcome::NoCard);
            }
            Stop::IdleTimeout => {
                self.say(text::IDLE_TIMEOUT.text());
                self.finish(Outcome::Cancelled);
            }
            Stop::Unreadable { line, too_long } => {
                self.say(text::unreadable_answer(line, too_long));
                self.finish(Outcome::InvalidInput);
            }
        }
    }

    // ---- the flow ----

    fn start(&mut self) {
        self.say(text::TITLE.text());
        let terminal = self.config.authority.describe();
        self.say(text::terminal_line(&terminal));
        let place = self.config.place;
        self.say(text::place_line(&place));
        let label = self.config.card_label.clone();
        self.say(text::card_line(&label));
        if self.config.place == Place::SmartphoneApp {
            self.say(text::NOT_A_SMARTPHONE_APP.text());
            self.finish(Outcome::Failed);
            return;
        }
        self.heading(1, text::INSERT_CARD.text());
        self.ask(
            Q::Insert,
            StepKind::InsertCard,
            text::INSERT_CARD_THEN_ENTER.text(),
        );
    }

    fn chosen(&mut self, kind: PinKind) {
        self.kind = Some(kind);
        self.heading(4, text::checking_rules(kind));
        match self.config.place {
            Place::Kiosk(_) | Place::SmartphoneApp => {
                let Some(certs) = self.card_op(|c| c.jpki().certificate_availability()) else {
                    return;
                };
                self.both_certificates = certs.both();
                match other_jpki_pin(kind) {
                    Some(o) => self.ask(Q::KnowOther(o), StepKind::YesNo, text::do_you_know(o)),
                    None => {
                        let s = self
                            .situation(kind)
                            .with_both_certificates(self.both_certificates);
                        let a = assess(&s, &self.config.place);
                        self.assessed(a);
                    }
                }
            }
            Place::Counter => self.ask(
                Q::InPerson,
                StepKind::YesNo,
                text::STAFF_CARDHOLDER_IN_PERSON.text(),
            ),
            Place::CounterByProxy => {
                self.ask(Q::ProxyForm, StepKind::YesNo, text::STAFF_PROXY_FORM.text())
            }
        }
    }

    fn situation(&self, kind: PinKind) -> Situation {
        Situation::new(kind).with_blocked(
            self.all
                .iter()
                .filter(|s| s.is_blocked())
                .map(|s| s.kind)
                .collect::<Vec<_>>(),
        )
    }

    fn assessed(&mut self, a: Assessment) {
        for line in text::assessment(&a) {
            self.say(line);
        }
        if !a.is_possible() {
            self.finish(Outcome::NotPossible);
            return;
        }
        self.heading(5, text::ENTER_PINS.text());
        self.other_kind = a.other_pin();
        self.assessment = Some(a);
        match self.other_kind {
            Some(k) => {
                if self
                    .all
                    .iter()
                    .any(|s| s.kind == k && s.tries_left() == Some(1))
                {
                    self.say(text::careful_last_try(k));
                }
                self.ask_other(k);
            }
            None => self.ask_new_first(),
        }
    }

    fn ask_other(&mut self, k: PinKind) {
        self.ask(
            Q::OtherPin(k),
            StepKind::Secret {
                pin: k,
                purpose: SecretPurpose::OtherPin,
            },
            tr(|l| match l {
                Lang::Ja => format!("{}:", pin_name(l, k)),
                Lang::En => format!("Your {}:", pin_name(l, k)),
            }),
        );
    }

    fn ask_new_first(&mut self) {
        let kind = self.kind.expect("chosen");
        if self.new_rounds == 0 {
            self.say(text::choose_new(kind));
        }
        self.ask(
            Q::NewPin,
            StepKind::Secret {
                pin: kind,
                purpose: SecretPurpose::NewPin,
            },
            text::new_pin(kind),
        );
    }

    fn new_round_failed(&mut self) {
        self.first_new = None;
        self.new_rounds += 1;
        if self.new_rounds >= MAX_ASKS {
            self.finish(Outcome::InvalidInput);
        } else {
            self.ask_new_first();
        }
    }

    fn reset(&mut self) {
        let kind = self.kind.expect("chosen");
        let new = self.new.as_ref().expect("entered");
        let Some(card) = self.card.as_mut() else {
            self.finish(Outcome::NoCard);
            return;
        };
        let r = card.reset_any(
            &mut *self.config.authority,
            new,
            self.other.as_ref(),
            self.last,
        );
        match r {
            Ok(status) => {
                self.say(text::was_reset(kind, &status));
                self.heading(7, text::PINS_NOW.text());
                if let Some(all) = self.card_op(|c| c.status_all()) {
                    self.show_status(&all);
                    self.all = all;
                    self.finish(Outcome::Done);
                }
            }
            Err(e) => {
                let Some(k) = self.other_kind else {
                    return self.reset_failed(&e);
                };
                match &e {
                    Error::WrongPin {
                        kind: wrong_kind,
                        tries_left,
                    } if *wrong_kind == k && *tries_left > 0 => {
                        let n = *tries_left;
                        self.wrong_other += 1;
                        self.say(text::wrong_other(k, n, kind));
                        self.other = None;
                        if self.wrong_other >= MAX_ASKS {
                            self.finish(Outcome::WrongPin);
                        } else {
                            self.ask(Q::TryAgain(k), StepKind::YesNo, text::TRY_AGAIN.text());
                        }
                    }
                    Error::LastTry { kind: last_kind } if *last_kind == k => {
                        self.say(text::other_last_try(k));
                        self.ask(
                            Q::LastTry,
                            StepKind::Confirm { word: "YES" },
                            text::TYPE_YES_FOR_LAST_TRY.text(),
                        );
                    }
                    _ => self.reset_failed(&e),
                }
            }
        }
    }

    fn reset_failed(&mut self, e: &Error) {
        self.say(text::library_error(e).prefixed(&text::RESET_INCOMPLETE.text()));
        let outcome = match e {
            Error::WrongPin { .. } => Outcome::WrongPin,
            Error::Blocked { .. } => Outcome::Blocked,
            Error::LastTry { .. } => Outcome::LastTryRefused,
            Error::Credential(_) => Outcome::InvalidInput,
            Error::UnknownOutcome { .. } => Outcome::Unknown,
            Error::Transport(_) | Error::CardReset => Outcome::NoCard,
            Error::Reset(ResetError::NotPermitted { .. } | ResetError::OtherPinNeeded { .. }) => {
                Outcome::NotPossible
            }
            Error::Reset(ResetError::Partial { .. }) => Outcome::Partial,
            _ => Outcome::Failed,
        };
        self.finish(outcome);
    }

    // ---- machinery ----

    /// Runs `f` on the card; on an error, says so and ends the flow.
    fn card_op<R>(&mut self, f: impl FnOnce(&mut Card<T>) -> Result<R, Error>) -> Option<R> {
        let r = match self.card.as_mut() {
            Some(c) => f(c),
            None => Err(Error::Transport(
                mynacard::transport::TransportError::CardRemoved,
            )),
        };
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.say(text::library_error(&e).prefixed(&text::CARD_UNREADABLE.text()));
                let outcome = match e {
                    Error::Transport(_) | Error::CardReset | Error::NotFound { .. } => {
                        Outcome::NoCard
                    }
                    _ => Outcome::Failed,
                };
                self.finish(outcome);
                None
            }
        }
    }

    fn show_status(&mut self, all: &[PinStatus]) {
        for (i, s) in all.iter().enumerate() {
            self.say(tr(|l| {
                format!(
                    "  {}. {}: {}",
                    i + 1,
                    pin_name(l, s.kind),
                    text::status_line(l, s)
                )
            }));
        }
    }

    fn unrecognised(&self, open: &Open) -> Text {
        match &open.step {
            StepKind::Menu {
                multiple: false,
                choices,
            } => {
                let n = choices.len();
                text::enter_number(n)
            }
            StepKind::Menu {
                multiple: true,
                choices,
            } => {
                let n = choices.len();
                text::enter_numbers(n)
            }
            _ => text::ANSWER_Y_OR_N.text(),
        }
    }

    fn check(&self, got: AnswerKind) -> Result<&Open, AnswerError> {
        if self.outcome.is_some() {
            return Err(AnswerError::Finished);
        }
        let Some(open) = self.open.as_ref().filter(|_| self.asked) else {
            return Err(AnswerError::NotAsked);
        };
        let expected = AnswerKind::expected(&open.step);
        let fits = match got {
            AnswerKind::Quit => true,
            AnswerKind::Unrecognised => matches!(
                open.step,
                StepKind::Menu { .. } | StepKind::YesNo | StepKind::Confirm { .. }
            ),
            g => g == expected,
        };
        if fits {
            Ok(open)
        } else {
            Err(AnswerError::WrongKind { expected, got })
        }
    }

    fn say(&mut self, text: Text) {
        self.queue.push_back((StepKind::Info, text));
    }

    fn heading(&mut self, number: u8, text: Text) {
        self.queue.push_back((
            StepKind::Heading { number, of: STAGES },
            text::step_heading(number, STAGES, &text),
        ));
    }

    fn ask(&mut self, q: Q, step: StepKind, text: Text) {
        self.open = Some(Open {
            q,
            step,
            text,
            wrong: 0,
        });
        self.asked = false;
    }

    fn finish(&mut self, outcome: Outcome) {
        self.open = None;
        self.asked = false;
        self.outcome = Some(outcome);
        self.first_new = None;
        self.other = None;
        self.new = None;
        // End the card's security status (PINs and terminal authentication) here.
        if let Some(card) = self.card.as_mut() {
            let _ = card.unpower();
        }
        self.closing = match outcome {
            Outcome::Done => text::DONE_TAKE_CARD.text(),
            _ => text::NOTHING_MORE_TAKE_CARD.text(),
        };
    }
}

/// The documents the proxy flow offers, in the order shown.
pub fn document_menu() -> Vec<IdDocument> {
    let mut v = vec![IdDocument::ProxyMyNumberCard];
    v.extend(IdDocument::CLASS_A_EXAMPLES);
    v.push(IdDocument::DrivingHistoryCertificate {
        issued_from_2012_04_01: false,
    });
    v.extend(IdDocument::CLASS_B_EXAMPLES);
    v
}
