//! The guided reset flow: insert the card; show the PIN status; choose a PIN; check the rules;
//! collect the other PIN and the new PIN twice; reset; show the new status.
//!
//! The flow is written against a [`Console`] and a card opener, so the same code runs on a
//! terminal, from a script of answers, and in tests.

use mynacard::error::ResetError;
use mynacard::pin::{PinKind, PinStatus, RetryState};
use mynacard::policy::{
    assess, other_jpki_pin, Assessment, IdDocument, Place, ProxyChecklist, Situation,
};
use mynacard::reset::{AnyPin, ResetAuthority};
use mynacard::transport::Transport;
use mynacard::{Card, Error, LastTry};

use crate::console::Console;

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
    /// Answers that broke the rules too often (nothing was sent for them).
    InvalidInput,
    /// No card (or not a My Number Card).
    NoCard,
    /// The outcome of the reset is unknown: check the status.
    Unknown,
    /// The reset is not possible here; the flow said where to go.
    NotPossible,
    /// The residence PIN was reset on one of its two references only.
    Partial,
    /// The person quit, or the script ended.
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
}

/// How many times a question is asked again after an answer that breaks its rules.
const MAX_ASKS: usize = 3;
const STEPS: usize = 7;

type Step<T> = Result<T, Outcome>;

fn step(c: &mut dyn Console, n: usize, text: &str) {
    c.say("");
    c.say(&format!("Step {n} of {STEPS} · {text}"));
}

/// Runs the flow. `open` connects to the card once it is inserted.
pub fn run<T: Transport>(
    config: &mut Config,
    console: &mut dyn Console,
    open: &mut dyn FnMut() -> Result<Card<T>, String>,
) -> Outcome {
    console.say("=== マイナンバーカード 暗証番号の初期化 · My Number Card PIN reset ===");
    console.say(&format!("Terminal: {}", config.authority.describe()));
    console.say(&format!("Place: {}", config.place));
    console.say(&format!("Card: {}", config.card_label));
    if config.place == Place::SmartphoneApp {
        console.say("This flow runs on a kiosk or counter terminal, not as the smartphone app.");
        return Outcome::Failed;
    }
    let mut card = match insert(console, open) {
        Ok(c) => c,
        Err(o) => return o,
    };
    let outcome = match guided(config, console, &mut card) {
        Ok(()) => Outcome::Done,
        Err(o) => o,
    };
    // End the card's security status (PINs and terminal authentication) here.
    let _ = card.unpower();
    console.say("");
    console.say(match outcome {
        Outcome::Done => "Done. Please take your card.",
        _ => "Nothing more to do here. Please take your card.",
    });
    outcome
}

fn insert<T: Transport>(
    console: &mut dyn Console,
    open: &mut dyn FnMut() -> Result<Card<T>, String>,
) -> Step<Card<T>> {
    step(
        console,
        1,
        "Insert your My Number Card, then press Enter (q to quit).",
    );
    for attempt in 1..=MAX_ASKS {
        match console.ask(">") {
            None => return Err(Outcome::Cancelled),
            Some(a) if a.trim().eq_ignore_ascii_case("q") => return Err(Outcome::Cancelled),
            Some(_) => {}
        }
        match open() {
            Ok(card) => {
                console.say("Card found.");
                return Ok(card);
            }
            Err(e) => {
                console.say(&format!("No card: {e}"));
                if attempt < MAX_ASKS {
                    console.say("Insert the card, then press Enter (q to quit).");
                }
            }
        }
    }
    Err(Outcome::NoCard)
}

fn state_text(s: RetryState, limit: u8) -> String {
    match s {
        RetryState::Verified | RetryState::TriesLeft(_) => {
            format!(
                "{} of {limit} tries left",
                s.tries_left(limit).unwrap_or(limit)
            )
        }
        RetryState::Blocked => "BLOCKED".into(),
        RetryState::NoLimit => "no limit".into(),
    }
}

fn status_line(s: &PinStatus) -> String {
    if s.refs.len() == 1 {
        state_text(s.refs[0].state, s.limit)
    } else {
        s.refs
            .iter()
            .map(|r| {
                let app = r.application.split(' ').next().unwrap_or(r.application);
                format!("{} ({app})", state_text(r.state, s.limit))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn show_status(console: &mut dyn Console, all: &[PinStatus]) {
    for (i, s) in all.iter().enumerate() {
        console.say(&format!(
            "  {}. {}: {}",
            i + 1,
            s.kind.description(),
            status_line(s)
        ));
    }
}

fn card_failure(console: &mut dyn Console, e: &Error) -> Outcome {
    console.say(&format!("The card could not be read: {e}"));
    match e {
        Error::Transport(_) | Error::CardReset | Error::NotFound { .. } => Outcome::NoCard,
        _ => Outcome::Failed,
    }
}

fn yes_no(console: &mut dyn Console, question: &str) -> Step<bool> {
    for _ in 0..MAX_ASKS {
        match console.ask(&format!("{question} (y/n)")) {
            None => return Err(Outcome::Cancelled),
            Some(a) => match a.trim().to_ascii_lowercase().as_str() {
                "y" | "yes" => return Ok(true),
                "n" | "no" => return Ok(false),
                "q" => return Err(Outcome::Cancelled),
                _ => console.say("Please answer y or n."),
            },
        }
    }
    Err(Outcome::InvalidInput)
}

fn guided<T: Transport>(
    config: &mut Config,
    console: &mut dyn Console,
    card: &mut Card<T>,
) -> Step<()> {
    // 2. Status.
    step(console, 2, "Your PINs (reading them spends no try):");
    let all = card.status_all().map_err(|e| card_failure(console, &e))?;
    show_status(console, &all);

    // 3. Choice.
    step(console, 3, "Which PIN do you want to reset?");
    let kind = choose(console)?;

    // 4. Rules.
    step(
        console,
        4,
        &format!("Checking the rules for the {} here.", kind.description()),
    );
    let assessment = check_rules(config, console, card, &all, kind)?;
    for line in assessment.to_string().lines() {
        console.say(line);
    }
    if !assessment.is_possible() {
        return Err(Outcome::NotPossible);
    }

    // 5. Secrets.
    step(console, 5, "Enter your PINs. Nothing you type is shown.");
    let other_kind = assessment.other_pin();
    let mut other = match other_kind {
        Some(k) => {
            if let Some(s) = all.iter().find(|s| s.kind == k) {
                if s.tries_left() == Some(1) {
                    console.say(&format!(
                        "Careful: your {} has 1 try left; a wrong value will lock it.",
                        k.description()
                    ));
                }
            }
            Some(ask_pin(console, k, &format!("Your {}:", k.description()))?)
        }
        None => None,
    };
    let new = ask_new(console, kind)?;

    // 6. Reset.
    step(
        console,
        6,
        &format!("Resetting the {}…", kind.description()),
    );
    let mut last = LastTry::Refuse;
    let mut wrong = 0;
    let status = loop {
        match card.reset_any(&mut *config.authority, &new, other.as_ref(), last) {
            Ok(status) => break status,
            Err(e) => {
                let Some(k) = other_kind else {
                    return Err(reset_failure(console, &e));
                };
                match &e {
                    Error::WrongPin {
                        kind: wrong_kind,
                        tries_left,
                    } if *wrong_kind == k && *tries_left > 0 => {
                        wrong += 1;
                        console.say(&format!(
                            "That {} was wrong: {} {} left before it locks. The {} was not reset.",
                            k.description(),
                            tries_left,
                            if *tries_left == 1 { "try" } else { "tries" },
                            kind.description(),
                        ));
                        if wrong >= MAX_ASKS || !yes_no(console, "Try again?")? {
                            return Err(Outcome::WrongPin);
                        }
                        other = Some(ask_pin(console, k, &format!("Your {}:", k.description()))?);
                    }
                    Error::LastTry { kind: last_kind } if *last_kind == k => {
                        console.say(&format!(
                            "Your {} has 1 try left: if this value is wrong it will be locked, \
                             and then only the municipal counter can reset either PIN.",
                            k.description()
                        ));
                        match console.ask("Type YES to use the last try, anything else to stop:") {
                            Some(a) if a.trim() == "YES" => last = LastTry::Allow,
                            Some(_) => return Err(Outcome::LastTryRefused),
                            None => return Err(Outcome::Cancelled),
                        }
                    }
                    _ => return Err(reset_failure(console, &e)),
                }
            }
        }
    };
    console.say(&format!(
        "The {} was reset: {}.",
        kind.description(),
        status_line(&status)
    ));

    // 7. New status.
    step(console, 7, "Your PINs now:");
    let all = card.status_all().map_err(|e| card_failure(console, &e))?;
    show_status(console, &all);
    Ok(())
}

fn reset_failure(console: &mut dyn Console, e: &Error) -> Outcome {
    console.say(&format!("The reset did not complete: {e}"));
    match e {
        Error::WrongPin { .. } => Outcome::WrongPin,
        Error::Blocked { .. } => Outcome::Blocked,
        Error::LastTry { .. } => Outcome::LastTryRefused,
        Error::Credential(_) => Outcome::InvalidInput,
        Error::UnknownOutcome { .. } => Outcome::Unknown,
        Error::Transport(_) | Error::CardReset => Outcome::NoCard,
        Error::Reset(ResetError::NotPermitted { .. })
        | Error::Reset(ResetError::OtherPinNeeded { .. }) => Outcome::NotPossible,
        Error::Reset(ResetError::Partial { .. }) => Outcome::Partial,
        _ => Outcome::Failed,
    }
}

fn choose(console: &mut dyn Console) -> Step<PinKind> {
    for _ in 0..MAX_ASKS {
        let Some(a) = console.ask("Enter 1-4 (q to quit):") else {
            return Err(Outcome::Cancelled);
        };
        let a = a.trim();
        if a.eq_ignore_ascii_case("q") {
            return Err(Outcome::Cancelled);
        }
        match a.parse::<usize>() {
            Ok(n @ 1..=4) => return Ok(PinKind::ALL[n - 1]),
            _ => console.say("Please enter a number from 1 to 4."),
        }
    }
    Err(Outcome::InvalidInput)
}

fn check_rules<T: Transport>(
    config: &Config,
    console: &mut dyn Console,
    card: &mut Card<T>,
    all: &[PinStatus],
    kind: PinKind,
) -> Step<Assessment> {
    let mut situation = Situation::new(kind).with_blocked(
        all.iter()
            .filter(|s| s.is_blocked())
            .map(|s| s.kind)
            .collect::<Vec<_>>(),
    );
    match config.place {
        Place::Kiosk(_) | Place::SmartphoneApp => {
            let certs = card
                .certificate_availability()
                .map_err(|e| card_failure(console, &e))?;
            situation = situation.with_both_certificates(certs.both());
            if let Some(o) = other_jpki_pin(kind) {
                if yes_no(console, &format!("Do you know your {}?", o.description()))? {
                    situation = situation.knowing([o]);
                }
            }
            Ok(assess(&situation, &config.place))
        }
        Place::Counter => {
            let a = assess(&situation, &config.place);
            if !yes_no(
                console,
                "Staff: is the cardholder here in person, with this card, and identified?",
            )? {
                console.say("The counter resets a PIN for the cardholder in person, or for a proxy with the documents (run with --place proxy).");
                return Err(Outcome::NotPossible);
            }
            Ok(a)
        }
        Place::CounterByProxy => {
            let a = assess(&situation, &config.place);
            let checklist = proxy_checklist(console)?;
            let missing = checklist.missing();
            if !missing.is_empty() {
                console.say("The proxy cannot go on yet. Missing:");
                for m in missing {
                    console.say(&format!("  - {m}"));
                }
                return Err(Outcome::NotPossible);
            }
            console.say("Proxy checklist complete.");
            Ok(a)
        }
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

fn proxy_checklist(console: &mut dyn Console) -> Step<ProxyChecklist> {
    let mut c = ProxyChecklist {
        inquiry_form: yes_no(
            console,
            "Staff: has the proxy brought the inquiry form with power of attorney \
             (照会書兼回答書(兼委任状)), filled in entirely by the cardholder?",
        )?,
        cardholders_card: yes_no(
            console,
            "Staff: is the inserted card the cardholder's own My Number Card?",
        )?,
        proxy_documents: Vec::new(),
    };
    let menu = document_menu();
    console.say("The proxy's identity documents:");
    for (i, d) in menu.iter().enumerate() {
        let class = match d.class() {
            Some(k) => format!("class {k:?}"),
            None if *d == IdDocument::ProxyMyNumberCard => "enough on its own".into(),
            None => "not accepted".into(),
        };
        console.say(&format!("  {:>2}. {} [{class}]", i + 1, d.name()));
    }
    for _ in 0..MAX_ASKS {
        let Some(a) = console.ask(
            "Staff: enter the numbers of the documents shown, separated by commas (empty: none):",
        ) else {
            return Err(Outcome::Cancelled);
        };
        let picked: Result<Vec<IdDocument>, ()> = a
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| match s.parse::<usize>() {
                Ok(n) if (1..=menu.len()).contains(&n) => Ok(menu[n - 1].clone()),
                _ => Err(()),
            })
            .collect();
        match picked {
            Ok(p) => {
                c.proxy_documents = p;
                return Ok(c);
            }
            Err(()) => console.say(&format!(
                "Please enter numbers from 1 to {}, separated by commas.",
                menu.len()
            )),
        }
    }
    Err(Outcome::InvalidInput)
}

fn ask_pin(console: &mut dyn Console, kind: PinKind, prompt: &str) -> Step<AnyPin> {
    for _ in 0..MAX_ASKS {
        let Some(v) = console.ask_secret(prompt) else {
            return Err(Outcome::Cancelled);
        };
        if v.is_empty() {
            return Err(Outcome::Cancelled);
        }
        match AnyPin::parse(kind, &v) {
            Ok(p) => return Ok(p),
            Err(e) => console.say(&format!(
                "That is not a valid value ({}); nothing was sent, no try was spent.",
                e.rule
            )),
        }
    }
    Err(Outcome::InvalidInput)
}

fn format_hint(kind: PinKind) -> &'static str {
    match kind {
        PinKind::Signature => {
            "6 to 16 characters, upper-case letters A-Z and digits 0-9, at least one of each"
        }
        _ => "exactly 4 digits",
    }
}

fn ask_new(console: &mut dyn Console, kind: PinKind) -> Step<AnyPin> {
    console.say(&format!(
        "Choose the new {}: {}.",
        kind.description(),
        format_hint(kind)
    ));
    for _ in 0..MAX_ASKS {
        let Some(first) = console.ask_secret(&format!("New {}:", kind.description())) else {
            return Err(Outcome::Cancelled);
        };
        if first.is_empty() {
            return Err(Outcome::Cancelled);
        }
        let parsed = match AnyPin::parse(kind, &first) {
            Ok(p) => p,
            Err(e) => {
                console.say(&format!("That is not a valid value ({}). Again:", e.rule));
                continue;
            }
        };
        let Some(again) = console.ask_secret(&format!("New {}, again:", kind.description())) else {
            return Err(Outcome::Cancelled);
        };
        if *again == *first {
            return Ok(parsed);
        }
        console.say("The two entries differ. Again:");
    }
    Err(Outcome::InvalidInput)
}
