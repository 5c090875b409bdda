//! `reset <kind>`: reset a PIN through a terminal.
//!
//! On the virtual card the terminal is the **stand-in** terminal authentication of
//! `mynacard::reset::stand_in`, which is not the real issuer protocol (a real card refuses it).
//! The rules of the route ([card facts §11](mynacard::card_facts#s11)) are checked first; then the
//! other JPKI PIN (for a kiosk) and the new value are asked for, without echo.

use clap::{Args, ValueEnum};
use mynacard::policy::{assess, other_jpki_pin, KioskSupport, Place, Situation};
use mynacard::reset::{StandInAuthority, TerminalRole};
use mynacard::LastTry;

use crate::backend::AnyCard;
use crate::exit::{self, Failure};
use crate::i18n::{self, t, Msg};
use crate::output;
use crate::pins::{self, KindArg, SecretSource};

/// The terminal a reset goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TerminalArg {
    /// The municipal counter: any of the four PINs.
    Counter,
    /// A self-service kiosk: the two JPKI PINs, each after the other one is verified.
    Kiosk,
}

/// What a kiosk supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KioskArg {
    /// Both JPKI PINs.
    Both,
    /// Only the signature password (as at some store chains).
    SignOnly,
}

/// `reset` arguments.
#[derive(Debug, Args)]
pub struct ResetArgs {
    /// sign, auth, residence or text.
    pub kind: KindArg,
    /// The terminal (stand-in terminal authentication on the virtual card).
    #[arg(long, value_enum, default_value = "counter")]
    pub terminal: TerminalArg,
    /// With --terminal kiosk: which PINs the kiosk resets.
    #[arg(long, value_enum, default_value = "both")]
    pub kiosk_supports: KioskArg,
    /// Let the verify of the other JPKI PIN spend its last try.
    #[arg(long)]
    pub allow_last_try: bool,
}

/// `reset <kind>`.
pub fn reset(
    card: &mut AnyCard,
    src: &mut SecretSource,
    args: &ResetArgs,
    json: bool,
) -> Result<(), Failure> {
    let r = reset_inner(card, src, args, json);
    // End the card's security status (PINs and terminal) with the program.
    let _ = card.unpower();
    r
}

fn reset_inner(
    card: &mut AnyCard,
    src: &mut SecretSource,
    args: &ResetArgs,
    json: bool,
) -> Result<(), Failure> {
    let kind = args.kind.0;
    let (role, place) = match args.terminal {
        TerminalArg::Counter => (TerminalRole::MunicipalCounter, Place::Counter),
        TerminalArg::Kiosk => (
            TerminalRole::SelfServiceKiosk,
            Place::Kiosk(match args.kiosk_supports {
                KioskArg::Both => KioskSupport::BothJpkiPins,
                KioskArg::SignOnly => KioskSupport::SignatureOnly,
            }),
        ),
    };
    // The rules first: what the card says, and that the person knows the other PIN (they are
    // about to type it).
    let mut situation = Situation::new(kind);
    // What the place can never do is refused before the card is asked anything: judge first
    // with the card in the best case (both certificates, the other PIN known and usable).
    let mut best = situation.clone().with_both_certificates(true);
    if let Some(other) = other_jpki_pin(kind) {
        best = best.knowing([other]);
    }
    let best_case = assess(&best, &place);
    if !best_case.is_possible() {
        return Err(Failure::new(
            exit::NOT_POSSIBLE,
            best_case.message(i18n::lang()),
        ));
    }
    if let Place::Kiosk(_) = place {
        situation =
            situation.with_both_certificates(card.jpki().certificate_availability()?.both());
        if let Some(other) = other_jpki_pin(kind) {
            situation = situation.knowing([other]);
            if card.pin_status(other)?.is_blocked() {
                situation = situation.with_blocked([other]);
            }
        }
    }
    let assessment = assess(&situation, &place);
    if !assessment.is_possible() {
        return Err(Failure::new(
            exit::NOT_POSSIBLE,
            assessment.message(i18n::lang()),
        ));
    }
    let other = assessment
        .other_pin()
        .map(|k| src.current_pin(k))
        .transpose()?;
    let new = src.new_pin(kind)?;
    let mut authority = StandInAuthority::new(role);
    let last = LastTry::allow_if(args.allow_last_try);
    let status = card.reset_any(&mut authority, &new, other.as_ref(), last)?;
    if json {
        output::json(&serde_json::json!({
            "ok": true,
            "kind": kind,
            "reset": true,
            "terminal": role,
            "status": status,
        }))?;
    } else {
        output::line(t(Msg::WasReset(kind)))?;
        pins::print_status(std::slice::from_ref(&status))?;
    }
    Ok(())
}
