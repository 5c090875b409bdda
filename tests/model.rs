//! Model-based test: random sequences of PIN operations (status, verify, change, reset at the
//! counter and at a kiosk, select, power-off) run against the virtual card through the library,
//! and against a small reference model of the PIN rules. The two must agree after every
//! step, and the rules must hold: tries never go up except by success (or reset), blocked stays
//! blocked, and a wrong PIN never succeeds.

use std::collections::HashMap;

use mynacard::credential::{AuthPin, Pin, ResidencePin, SignaturePassword, TextAssistPin};
use mynacard::pin::{KeyRef, PinKind};
use mynacard::reset::stand_in::{StandInAuthority, TerminalRole};
use mynacard::reset::OtherPin;
use mynacard::sim::{App, VirtualCard};
use mynacard::{Card, Error, LastTry};
use proptest::prelude::*;

const FOUR: [&str; 3] = ["1234", "4821", "0000"];
const SIGN: [&str; 3] = ["ABC123", "QZ7381", "ZZZ999"];

fn pool(kind: PinKind) -> [&'static str; 3] {
    if kind == PinKind::Signature {
        SIGN
    } else {
        FOUR
    }
}

#[derive(Debug, Clone)]
enum Op {
    Status(PinKind),
    Verify(PinKind, usize, bool),
    Change(PinKind, usize, usize, bool),
    /// Reset at the municipal counter to a value.
    CounterReset(PinKind, usize),
    /// Reset a JPKI PIN at a kiosk, giving a value for the other JPKI PIN.
    KioskReset(bool, usize, usize, bool),
    Select(usize),
    PowerOff,
}

fn kind() -> impl Strategy<Value = PinKind> {
    prop_oneof![
        Just(PinKind::Signature),
        Just(PinKind::UserAuth),
        Just(PinKind::Residence),
        Just(PinKind::TextAssist),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => kind().prop_map(Op::Status),
        6 => (kind(), 0..3usize, any::<bool>()).prop_map(|(k, v, a)| Op::Verify(k, v, a)),
        3 => (kind(), 0..3usize, 0..3usize, any::<bool>())
            .prop_map(|(k, c, n, a)| Op::Change(k, c, n, a)),
        1 => (kind(), 0..3usize).prop_map(|(k, n)| Op::CounterReset(k, n)),
        2 => (any::<bool>(), 0..3usize, 0..3usize, any::<bool>())
            .prop_map(|(s, n, o, a)| Op::KioskReset(s, n, o, a)),
        1 => (0..5usize).prop_map(Op::Select),
        1 => Just(Op::PowerOff),
    ]
}

/// What the model expects an operation to return.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Ok,
    Wrong(u8),
    Blocked,
    LastTry,
    Invalid,
}

fn reset_outcome(r: Result<mynacard::pin::PinStatus, Error>) -> Outcome {
    match r {
        Ok(st) => {
            assert!(st
                .refs
                .iter()
                .all(|r| r.state.tries_left(st.limit) == Some(st.limit)));
            Outcome::Ok
        }
        Err(e @ Error::Reset(_)) => panic!("unexpected reset error {e:?}"),
        Err(e) => outcome(Err(e)),
    }
}

fn outcome(r: Result<(), Error>) -> Outcome {
    match r {
        Ok(()) => Outcome::Ok,
        Err(Error::WrongPin { tries_left, .. }) => Outcome::Wrong(tries_left),
        Err(Error::Blocked { .. }) => Outcome::Blocked,
        Err(Error::LastTry { .. }) => Outcome::LastTry,
        Err(Error::Credential(_)) => Outcome::Invalid,
        Err(e) => panic!("unexpected error {e:?}"),
    }
}

#[derive(Debug, Clone)]
struct KeyModel {
    value: &'static str,
    tries: u8,
    limit: u8,
}

struct Model {
    keys: HashMap<KeyRef, KeyModel>,
}

impl Model {
    fn new() -> Self {
        let mut keys = HashMap::new();
        for k in PinKind::ALL {
            for r in k.key_refs() {
                keys.insert(
                    *r,
                    KeyModel {
                        value: pool(k)[0],
                        tries: k.retry_limit(),
                        limit: k.retry_limit(),
                    },
                );
            }
        }
        Model { keys }
    }

    fn guard(&self, refs: &[KeyRef], allow: bool) -> Option<Outcome> {
        for r in refs.iter().rev() {
            match self.keys[r].tries {
                0 => return Some(Outcome::Blocked),
                1 if !allow => return Some(Outcome::LastTry),
                _ => {}
            }
        }
        None
    }

    fn verify_key(&mut self, r: KeyRef, value: &str) -> Outcome {
        let k = self.keys.get_mut(&r).unwrap();
        if k.value == value {
            k.tries = k.limit;
            Outcome::Ok
        } else {
            k.tries -= 1;
            Outcome::Wrong(k.tries)
        }
    }

    fn verify(&mut self, kind: PinKind, value: &str, allow: bool) -> Outcome {
        let r = kind.key_refs()[0];
        if let Some(o) = self.guard(&[r], allow) {
            return o;
        }
        self.verify_key(r, value)
    }

    fn change(&mut self, kind: PinKind, cur: &str, new: &'static str, allow: bool) -> Outcome {
        if cur == new {
            return Outcome::Invalid;
        }
        let refs = kind.key_refs();
        if let Some(o) = self.guard(refs, allow) {
            return o;
        }
        for r in refs {
            match self.verify_key(*r, cur) {
                Outcome::Ok => self.keys.get_mut(r).unwrap().value = new,
                other => return other,
            }
        }
        Outcome::Ok
    }

    fn reset(&mut self, kind: PinKind, new: &'static str) {
        for r in kind.key_refs() {
            let k = self.keys.get_mut(r).unwrap();
            k.value = new;
            k.tries = k.limit;
        }
    }

    /// A kiosk reset of `kind`: the other JPKI PIN is verified first, under the guard.
    fn kiosk_reset(
        &mut self,
        kind: PinKind,
        new: &'static str,
        other: &str,
        allow: bool,
    ) -> Outcome {
        let other_kind = if kind == PinKind::Signature {
            PinKind::UserAuth
        } else {
            PinKind::Signature
        };
        match self.verify(other_kind, other, allow) {
            Outcome::Ok => {
                self.reset(kind, new);
                Outcome::Ok
            }
            o => o,
        }
    }
}

fn app_of(key: &KeyRef) -> App {
    App::ALL.into_iter().find(|a| a.aid() == key.aid).unwrap()
}

fn run_verify<P: Pin>(card: &mut Card<VirtualCard>, v: &str, allow: bool) -> Result<(), Error> {
    let last = if allow {
        LastTry::Allow
    } else {
        LastTry::Refuse
    };
    card.verify_with(&P::new(v).unwrap(), last)
}

fn run_change<P: Pin>(
    card: &mut Card<VirtualCard>,
    c: &str,
    n: &str,
    allow: bool,
) -> Result<(), Error> {
    let last = if allow {
        LastTry::Allow
    } else {
        LastTry::Refuse
    };
    card.change_with(&P::new(c).unwrap(), &P::new(n).unwrap(), last)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn card_and_model_agree(ops in proptest::collection::vec(op(), 1..60)) {
        let mut card = Card::new(VirtualCard::new());
        let mut model = Model::new();
        for op in ops {
            let before: HashMap<KeyRef, u8> =
                model.keys.iter().map(|(k, m)| (*k, m.tries)).collect();
            let mut succeeded: Option<PinKind> = None;
            match op.clone() {
                Op::Status(kind) => {
                    let st = card.pin_status(kind).unwrap();
                    for (r, s) in kind.key_refs().iter().zip(&st.refs) {
                        prop_assert_eq!(s.state.tries_left(st.limit), Some(model.keys[r].tries));
                    }
                }
                Op::Verify(kind, i, allow) => {
                    let v = pool(kind)[i];
                    let c = &mut card;
                    let got = outcome(match kind {
                        PinKind::Signature => run_verify::<SignaturePassword>(c, v, allow),
                        PinKind::UserAuth => run_verify::<AuthPin>(c, v, allow),
                        PinKind::Residence => run_verify::<ResidencePin>(c, v, allow),
                        PinKind::TextAssist => run_verify::<TextAssistPin>(c, v, allow),
                    });
                    let want = model.verify(kind, v, allow);
                    prop_assert_eq!(&got, &want, "{:?}", op);
                    if got == Outcome::Ok {
                        succeeded = Some(kind);
                        // A wrong PIN never succeeds.
                        prop_assert_eq!(v, model.keys[&kind.key_refs()[0]].value);
                    }
                }
                Op::Change(kind, c, n, allow) => {
                    let (cv, nv) = (pool(kind)[c], pool(kind)[n]);
                    let cd = &mut card;
                    let got = outcome(match kind {
                        PinKind::Signature => run_change::<SignaturePassword>(cd, cv, nv, allow),
                        PinKind::UserAuth => run_change::<AuthPin>(cd, cv, nv, allow),
                        PinKind::Residence => run_change::<ResidencePin>(cd, cv, nv, allow),
                        PinKind::TextAssist => run_change::<TextAssistPin>(cd, cv, nv, allow),
                    });
                    let want = model.change(kind, cv, nv, allow);
                    prop_assert_eq!(&got, &want, "{:?}", op);
                    if got == Outcome::Ok {
                        succeeded = Some(kind);
                    }
                }
                Op::CounterReset(kind, n) => {
                    let nv = pool(kind)[n];
                    let mut auth = StandInAuthority::new(TerminalRole::MunicipalCounter);
                    let c = &mut card;
                    let got = reset_outcome(match kind {
                        PinKind::Signature => c.reset(&mut auth, &SignaturePassword::new(nv).unwrap(), None, LastTry::Refuse),
                        PinKind::UserAuth => c.reset(&mut auth, &AuthPin::new(nv).unwrap(), None, LastTry::Refuse),
                        PinKind::Residence => c.reset(&mut auth, &ResidencePin::new(nv).unwrap(), None, LastTry::Refuse),
                        PinKind::TextAssist => c.reset(&mut auth, &TextAssistPin::new(nv).unwrap(), None, LastTry::Refuse),
                    });
                    prop_assert_eq!(&got, &Outcome::Ok);
                    model.reset(kind, nv);
                    succeeded = Some(kind);
                }
                Op::KioskReset(sign, n, o, allow) => {
                    let mut auth = StandInAuthority::new(TerminalRole::SelfServiceKiosk);
                    let last = if allow { LastTry::Allow } else { LastTry::Refuse };
                    let (kind, got) = if sign {
                        let other = AuthPin::new(FOUR[o]).unwrap();
                        let new = SignaturePassword::new(SIGN[n]).unwrap();
                        (PinKind::Signature, reset_outcome(card.reset(&mut auth, &new, Some(OtherPin::Auth(&other)), last)))
                    } else {
                        let other = SignaturePassword::new(SIGN[o]).unwrap();
                        let new = AuthPin::new(FOUR[n]).unwrap();
                        (PinKind::UserAuth, reset_outcome(card.reset(&mut auth, &new, Some(OtherPin::Signature(&other)), last)))
                    };
                    let other_pool = if sign { FOUR } else { SIGN };
                    let want = model.kiosk_reset(kind, pool(kind)[n], other_pool[o], allow);
                    prop_assert_eq!(&got, &want, "{:?}", op);
                    if got == Outcome::Ok {
                        succeeded = Some(kind);
                    }
                }
                Op::Select(i) => {
                    let aid = App::ALL[i].aid();
                    card.session_mut().select_df(&aid).unwrap();
                }
                Op::PowerOff => card.unpower().unwrap(),
            }
            // The card agrees with the model on every counter and value.
            let vc = card.session().transport();
            for (r, m) in &model.keys {
                prop_assert_eq!(vc.tries_left(app_of(r), r.fid.0), Some(m.tries), "{:?} {:?}", r, op);
                prop_assert!(vc.key_matches(app_of(r), r.fid.0, m.value.as_bytes()));
                // Tries never go up except by success; blocked stays blocked.
                let was = before[r];
                let other_verified = matches!(op, Op::KioskReset(..)) && succeeded.is_some()
                    && matches!(r.fid.0, 0x18 | 0x1B);
                if !other_verified && succeeded.is_none_or(|k| !k.key_refs().contains(r)) {
                    prop_assert!(m.tries <= was, "{:?}: {} -> {}", r, was, m.tries);
                }
                // Blocked stays blocked, except by a reset of that PIN.
                let reset_here = matches!(op, Op::CounterReset(..) | Op::KioskReset(..))
                    && succeeded.is_some_and(|k| k.key_refs().contains(r));
                if was == 0 && !reset_here {
                    prop_assert_eq!(m.tries, 0);
                }
            }
        }
    }
}
