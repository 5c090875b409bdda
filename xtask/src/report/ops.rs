//! The operations of the report: each as the library does it, as the naive client does it, and
//! as the steps the minimum is derived from. Both clients return an outcome that must agree (a
//! digest of what was read or signed, or what the card's state shows afterwards), so that
//! neither can be cheaper by doing less.

use mynacard::applets::{self, jpki, residence, text, Aid};
use mynacard::cert::{CertKind, Certificate};
use mynacard::credential::{AuthPin, ResidencePin, SignaturePassword, TextAssistPin};
use mynacard::crypto::HashAlgorithm;
use mynacard::reset::stand_in::{StandInAuthority, TerminalRole};
use mynacard::sign::{verify_signature, SignOptions, SignatureScheme, ToSign};
use mynacard::sim::{App, VirtualCard};
use mynacard::text_assist::{
    parse_my_number, BasicFour, IntegrityRecord, TextAssistKey, TextAssistOptions,
};
use mynacard::{Card, LastTry};
use sha2::{Digest, Sha256};

use super::meter::Meter;
use super::model::Step;
use super::naive::{Naive, Tries};

/// The library over the measured virtual card.
pub type LibCard = Card<Meter<VirtualCard>>;
/// The naive client over the measured virtual card.
pub type NaiveCard<'a> = Naive<'a, Meter<VirtualCard>>;

/// One row of the report.
pub struct Operation {
    /// Its name in the report.
    pub name: &'static str,
    /// Prepares the card before the row (not measured).
    pub setup: fn(&mut VirtualCard),
    /// The library doing it; returns the outcome.
    pub library: fn(&mut LibCard) -> Result<String, String>,
    /// The naive client doing it; returns the outcome.
    pub naive: fn(&mut NaiveCard<'_>) -> Result<String, String>,
    /// What it must do, for the minimum.
    pub steps: &'static [Step],
}

const MESSAGE: &[u8] = b"exchange report";
const SCHEME: SignatureScheme = SignatureScheme::Pkcs1v15(HashAlgorithm::Sha256);
const NEW_PIN: &str = "4321";

fn e(x: impl std::fmt::Display) -> String {
    x.to_string()
}

fn digest(data: &[u8]) -> String {
    hex::encode(&Sha256::digest(data)[..8])
}

fn auth() -> AuthPin {
    AuthPin::parse(mynacard::sim::DEFAULT_PIN).expect("a valid PIN")
}
fn sign_pw() -> SignaturePassword {
    SignaturePassword::parse(mynacard::sim::DEFAULT_SIGNATURE_PASSWORD).expect("a valid password")
}
fn text_pin() -> TextAssistPin {
    TextAssistPin::parse(mynacard::sim::DEFAULT_PIN).expect("a valid PIN")
}

fn vc(card: &LibCard) -> &VirtualCard {
    card.session().transport().inner()
}

/// What the card's keys show after a change or reset: the new value in place, the counter full.
fn key_state(card: &VirtualCard, keys: &[(App, u16)], value: &str) -> String {
    keys.iter()
        .map(|(app, fid)| {
            format!(
                "{app:?}/{fid:04X}: new value {}, {} tries left",
                card.key_matches(*app, *fid, value.as_bytes()),
                card.tries_left(*app, *fid).unwrap_or(0)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn tries(t: Tries, limit: u8) -> u8 {
    match t {
        Tries::Verified => limit,
        Tries::Left(n) => n,
        Tries::Blocked => 0,
    }
}

fn lib_cert(card: &mut LibCard, kind: CertKind) -> Result<String, String> {
    Ok(digest(card.jpki().read_certificate(kind).map_err(e)?.der()))
}

fn naive_cert(n: &mut NaiveCard<'_>, fid: u16) -> Result<String, String> {
    let der = n.read(&applets::JPKI, fid)?;
    // Parse it, as the library does.
    let cert = Certificate::from_der(&der)?;
    Ok(digest(cert.der()))
}

fn lib_sign<P: mynacard::sign::JpkiPin>(card: &mut LibCard, pin: &P) -> Result<String, String> {
    let s = card
        .jpki()
        .sign(
            pin,
            SCHEME,
            ToSign::Message(MESSAGE),
            &SignOptions::default(),
        )
        .map_err(e)?;
    Ok(format!("{} checked {}", digest(&s.bytes), s.checked))
}

fn naive_sign(
    n: &mut NaiveCard<'_>,
    pin_fid: u16,
    pin: &[u8],
    cert_fid: u16,
    key_fid: u16,
) -> Result<String, String> {
    n.verify(&applets::JPKI, pin_fid, pin)?;
    let cert = Certificate::from_der(&n.read(&applets::JPKI, cert_fid)?)?;
    let key = cert.public_key()?;
    let h = HashAlgorithm::Sha256;
    let sig = n.sign(key_fid, SCHEME.p1(), &h.digest_info(&h.digest(MESSAGE)))?;
    verify_signature(&key, SCHEME, ToSign::Message(MESSAGE), &sig).map_err(e)?;
    Ok(format!("{} checked true", digest(&sig)))
}

/// A fixed signing time, so that both clients make the same document signature.
fn doc_options(known_ca: bool) -> mynacard_docsig::SignOptions {
    let mut o = mynacard_docsig::SignOptions {
        signing_time: std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_000_000),
        ..Default::default()
    };
    if known_ca {
        o.known_cas.extend(
            [mynacard::sim::pki::virtual_sign_ca()]
                .iter()
                .filter_map(|d| Certificate::from_der(d).ok()),
        );
    }
    o
}

/// A one-page PDF for the PAdES row.
fn small_pdf() -> Vec<u8> {
    let objs = [
        "<</Type /Catalog /Pages 2 0 R>>",
        "<</Type /Pages /Kids [3 0 R] /Count 1>>",
        "<</Type /Page /Parent 2 0 R /MediaBox [0 0 200 200]>>",
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offs = Vec::new();
    for (i, o) in objs.iter().enumerate() {
        offs.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let x = out.len();
    out.extend_from_slice(b"xref\n0 4\n0000000000 65535 f\r\n");
    for o in offs {
        out.extend_from_slice(format!("{o:010} 00000 n\r\n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<</Size 4 /Root 1 0 R>>\nstartxref\n{x}\n%%EOF\n").as_bytes(),
    );
    out
}

fn lib_cms(card: &mut LibCard, known_ca: bool) -> Result<String, String> {
    let s =
        mynacard_docsig::sign_cms(card, &sign_pw(), MESSAGE, &doc_options(known_ca)).map_err(e)?;
    Ok(digest(&s.der))
}

/// The naive document signature: VERIFY, read the certificate and the CA certificate, SIGN the
/// signed attributes, and check the signature; the same CMS built with the same functions.
fn naive_cms_signature(
    n: &mut NaiveCard<'_>,
    content_digest: &[u8],
    with_time: bool,
) -> Result<Vec<u8>, String> {
    use mynacard_docsig::cms;
    n.verify(&applets::JPKI, SIGN_PIN, b"ABC123")?;
    let cert = Certificate::from_der(&n.read(&applets::JPKI, jpki::SIGN_CERT.0)?)?;
    let ca = Certificate::from_der(&n.read(&applets::JPKI, jpki::SIGN_CA_CERT.0)?)?;
    let o = doc_options(false);
    let attrs = cms::signed_attributes(
        content_digest,
        cert.x509(),
        with_time.then_some(o.signing_time),
    )
    .map_err(e)?;
    let h = HashAlgorithm::Sha256;
    let tbs = h.digest(&cms::signed_attributes_der(&attrs).map_err(e)?);
    let sig = n.sign(jpki::SIGN_KEY.0, SCHEME.p1(), &h.digest_info(&tbs))?;
    let key = cert.public_key()?;
    verify_signature(&key, SCHEME, ToSign::Digest(&tbs), &sig).map_err(e)?;
    cms::assemble(None, attrs, cert.x509(), Some(ca.x509()), &sig).map_err(e)
}

fn no_setup(_: &mut VirtualCard) {}

fn block_auth_pin(card: &mut VirtualCard) {
    card.set_tries_left(App::Jpki, jpki::AUTH_PIN.0, 0)
        .expect("an in-memory card saves nothing");
}

fn block_residence_pin(card: &mut VirtualCard) {
    for app in [App::Juki, App::Common] {
        card.set_tries_left(app, residence::PIN.0, 0)
            .expect("an in-memory card saves nothing");
    }
}

const JPKI: App = App::Jpki;
const AUTH_PIN: u16 = jpki::AUTH_PIN.0;
const SIGN_PIN: u16 = jpki::SIGN_PIN.0;
const RES_PIN: u16 = residence::PIN.0;

/// Every row, in the report's order.
pub fn operations() -> Vec<Operation> {
    vec![
        Operation {
            name: "status of all four PINs",
            setup: no_setup,
            library: |c| {
                let all = c.status_all().map_err(e)?;
                Ok(all
                    .iter()
                    .map(|s| {
                        s.refs
                            .iter()
                            .map(|r| r.state.tries_left(s.limit).unwrap_or(0).to_string())
                            .collect::<Vec<_>>()
                            .join("/")
                    })
                    .collect::<Vec<_>>()
                    .join(" "))
            },
            naive: |n| {
                let mut parts = Vec::new();
                let refs: [(&[(Aid, u16)], u8); 4] = [
                    (&[(applets::JPKI, SIGN_PIN)], 5),
                    (&[(applets::JPKI, AUTH_PIN)], 3),
                    (&[(applets::JUKI, RES_PIN), (applets::COMMON, RES_PIN)], 3),
                    (&[(applets::TEXT_ASSIST, text::PIN.0)], 3),
                ];
                for (keys, limit) in refs {
                    let mut one = Vec::new();
                    for (aid, fid) in keys {
                        one.push(tries(n.status(aid, *fid)?, limit).to_string());
                    }
                    parts.push(one.join("/"));
                }
                Ok(parts.join(" "))
            },
            steps: &[
                Step::App(JPKI),
                Step::Query(SIGN_PIN),
                Step::Query(AUTH_PIN),
                Step::App(App::Juki),
                Step::Query(RES_PIN),
                Step::App(App::Common),
                Step::Query(RES_PIN),
                Step::App(App::TextAssist),
                Step::Query(text::PIN.0),
            ],
        },
        Operation {
            name: "verify the user-authentication PIN",
            setup: no_setup,
            library: |c| {
                c.verify(&auth()).map_err(e)?;
                Ok(format!("verified {}", vc(c).is_verified(JPKI, AUTH_PIN)))
            },
            naive: |n| {
                n.verify(&applets::JPKI, AUTH_PIN, b"1234")?;
                Ok(format!(
                    "verified {}",
                    n.transport().inner().is_verified(JPKI, AUTH_PIN)
                ))
            },
            steps: &[
                Step::App(JPKI),
                Step::Query(AUTH_PIN),
                Step::Verify(AUTH_PIN),
            ],
        },
        Operation {
            name: "change the user-authentication PIN",
            setup: no_setup,
            library: |c| {
                let new = AuthPin::parse(NEW_PIN).map_err(e)?;
                c.change(&auth(), &new).map_err(e)?;
                Ok(key_state(vc(c), &[(JPKI, AUTH_PIN)], NEW_PIN))
            },
            naive: |n| {
                n.verify(&applets::JPKI, AUTH_PIN, b"1234")?;
                n.change(&applets::JPKI, AUTH_PIN, false, NEW_PIN.as_bytes())?;
                Ok(key_state(
                    n.transport().inner(),
                    &[(JPKI, AUTH_PIN)],
                    NEW_PIN,
                ))
            },
            steps: &[
                Step::App(JPKI),
                Step::SelectForChange(AUTH_PIN),
                Step::Query(AUTH_PIN),
                Step::Verify(AUTH_PIN),
                Step::Change(AUTH_PIN, false),
            ],
        },
        Operation {
            name: "change the residence PIN (住基 and 共通)",
            setup: no_setup,
            library: |c| {
                let old = ResidencePin::parse("1234").map_err(e)?;
                let new = ResidencePin::parse(NEW_PIN).map_err(e)?;
                c.change(&old, &new).map_err(e)?;
                Ok(key_state(
                    vc(c),
                    &[(App::Juki, RES_PIN), (App::Common, RES_PIN)],
                    NEW_PIN,
                ))
            },
            naive: |n| {
                // The guard checks both references before changing either.
                for aid in [applets::COMMON, applets::JUKI] {
                    match n.status(&aid, RES_PIN)? {
                        Tries::Blocked | Tries::Left(1) => return Err("guard".into()),
                        _ => {}
                    }
                }
                for aid in [applets::JUKI, applets::COMMON] {
                    n.verify(&aid, RES_PIN, b"1234")?;
                    n.change(&aid, RES_PIN, true, NEW_PIN.as_bytes())?;
                }
                Ok(key_state(
                    n.transport().inner(),
                    &[(App::Juki, RES_PIN), (App::Common, RES_PIN)],
                    NEW_PIN,
                ))
            },
            steps: &[
                Step::App(App::Common),
                Step::Query(RES_PIN),
                Step::App(App::Juki),
                Step::SelectForChange(RES_PIN),
                Step::Query(RES_PIN),
                Step::Verify(RES_PIN),
                Step::Change(RES_PIN, true),
                Step::App(App::Common),
                Step::SelectForChange(RES_PIN),
                Step::Verify(RES_PIN),
                Step::Change(RES_PIN, true),
            ],
        },
        Operation {
            name: "reset the blocked user-authentication PIN (municipal counter, stand-in)",
            setup: block_auth_pin,
            library: |c| {
                let mut counter = StandInAuthority::new(TerminalRole::MunicipalCounter);
                let new = AuthPin::parse(NEW_PIN).map_err(e)?;
                c.reset(&mut counter, &new, None, LastTry::Refuse)
                    .map_err(e)?;
                Ok(key_state(vc(c), &[(JPKI, AUTH_PIN)], NEW_PIN))
            },
            naive: |n| {
                n.authenticate(&applets::JPKI, TerminalRole::MunicipalCounter)?;
                match n.reset(&applets::JPKI, AUTH_PIN, NEW_PIN.as_bytes())? {
                    Tries::Left(3) | Tries::Verified => {}
                    t => return Err(format!("not confirmed: {t:?}")),
                }
                Ok(key_state(
                    n.transport().inner(),
                    &[(JPKI, AUTH_PIN)],
                    NEW_PIN,
                ))
            },
            steps: &[
                Step::App(JPKI),
                Step::TerminalAuth,
                Step::Reset(AUTH_PIN),
                Step::Query(AUTH_PIN),
            ],
        },
        Operation {
            name: "reset the blocked residence PIN (both references, municipal counter)",
            setup: block_residence_pin,
            library: |c| {
                let mut counter = StandInAuthority::new(TerminalRole::MunicipalCounter);
                let new = ResidencePin::parse(NEW_PIN).map_err(e)?;
                c.reset(&mut counter, &new, None, LastTry::Refuse)
                    .map_err(e)?;
                Ok(key_state(
                    vc(c),
                    &[(App::Juki, RES_PIN), (App::Common, RES_PIN)],
                    NEW_PIN,
                ))
            },
            naive: |n| {
                for aid in [applets::JUKI, applets::COMMON] {
                    n.authenticate(&aid, TerminalRole::MunicipalCounter)?;
                    match n.reset(&aid, RES_PIN, NEW_PIN.as_bytes())? {
                        Tries::Left(3) | Tries::Verified => {}
                        t => return Err(format!("not confirmed: {t:?}")),
                    }
                }
                Ok(key_state(
                    n.transport().inner(),
                    &[(App::Juki, RES_PIN), (App::Common, RES_PIN)],
                    NEW_PIN,
                ))
            },
            steps: &[
                Step::App(App::Juki),
                Step::TerminalAuth,
                Step::Reset(RES_PIN),
                Step::Query(RES_PIN),
                Step::App(App::Common),
                Step::TerminalAuth,
                Step::Reset(RES_PIN),
                Step::Query(RES_PIN),
            ],
        },
        Operation {
            name: "read the user-authentication certificate",
            setup: no_setup,
            library: |c| lib_cert(c, CertKind::Auth),
            naive: |n| naive_cert(n, jpki::AUTH_CERT.0),
            steps: &[Step::App(JPKI), Step::Read(jpki::AUTH_CERT.0)],
        },
        Operation {
            name: "read the user-authentication CA certificate",
            setup: no_setup,
            library: |c| lib_cert(c, CertKind::AuthCa),
            naive: |n| naive_cert(n, jpki::AUTH_CA_CERT.0),
            steps: &[Step::App(JPKI), Step::Read(jpki::AUTH_CA_CERT.0)],
        },
        Operation {
            name: "verify the signature password, read the signature certificate",
            setup: no_setup,
            library: |c| {
                c.verify(&sign_pw()).map_err(e)?;
                lib_cert(c, CertKind::Sign)
            },
            naive: |n| {
                n.verify(&applets::JPKI, SIGN_PIN, b"ABC123")?;
                naive_cert(n, jpki::SIGN_CERT.0)
            },
            steps: &[
                Step::App(JPKI),
                Step::Query(SIGN_PIN),
                Step::Verify(SIGN_PIN),
                Step::Read(jpki::SIGN_CERT.0),
            ],
        },
        Operation {
            name: "read the signature CA certificate",
            setup: no_setup,
            library: |c| lib_cert(c, CertKind::SignCa),
            naive: |n| naive_cert(n, jpki::SIGN_CA_CERT.0),
            steps: &[Step::App(JPKI), Step::Read(jpki::SIGN_CA_CERT.0)],
        },
        Operation {
            name: "sign with the user-authentication key (checked against its certificate)",
            setup: no_setup,
            library: |c| lib_sign(c, &auth()),
            naive: |n| naive_sign(n, AUTH_PIN, b"1234", jpki::AUTH_CERT.0, jpki::AUTH_KEY.0),
            steps: &[
                Step::App(JPKI),
                Step::Query(AUTH_PIN),
                Step::Verify(AUTH_PIN),
                Step::Read(jpki::AUTH_CERT.0),
                Step::Sign(jpki::AUTH_KEY.0),
            ],
        },
        Operation {
            name: "sign with the signature key (checked against its certificate)",
            setup: no_setup,
            library: |c| lib_sign(c, &sign_pw()),
            naive: |n| naive_sign(n, SIGN_PIN, b"ABC123", jpki::SIGN_CERT.0, jpki::SIGN_KEY.0),
            steps: &[
                Step::App(JPKI),
                Step::Query(SIGN_PIN),
                Step::Verify(SIGN_PIN),
                Step::Read(jpki::SIGN_CERT.0),
                Step::Sign(jpki::SIGN_KEY.0),
            ],
        },
        Operation {
            name:
                "CMS signature (CAdES-B-B, detached) with the signature key, CA certificate known",
            setup: no_setup,
            library: |c| lib_cms(c, true),
            naive: |n| {
                let d = HashAlgorithm::Sha256.digest(MESSAGE);
                Ok(digest(&naive_cms_signature(n, &d, true)?))
            },
            steps: &[
                Step::App(JPKI),
                Step::Query(SIGN_PIN),
                Step::Verify(SIGN_PIN),
                Step::Read(jpki::SIGN_CERT.0),
                Step::Sign(jpki::SIGN_KEY.0),
            ],
        },
        Operation {
            name: "CMS signature (CAdES-B-B, detached) with the signature key, CA certificate read",
            setup: no_setup,
            library: |c| lib_cms(c, false),
            naive: |n| {
                let d = HashAlgorithm::Sha256.digest(MESSAGE);
                Ok(digest(&naive_cms_signature(n, &d, true)?))
            },
            steps: &[
                Step::App(JPKI),
                Step::Query(SIGN_PIN),
                Step::Verify(SIGN_PIN),
                Step::Read(jpki::SIGN_CERT.0),
                Step::Read(jpki::SIGN_CA_CERT.0),
                Step::Sign(jpki::SIGN_KEY.0),
            ],
        },
        Operation {
            name: "PAdES B-B signature of a PDF with the signature key, CA certificate known",
            setup: no_setup,
            library: |c| {
                let pdf =
                    mynacard_docsig::sign_pdf(c, &sign_pw(), &small_pdf(), &doc_options(true))
                        .map_err(e)?;
                Ok(digest(&pdf))
            },
            naive: |n| {
                let o = doc_options(false);
                let p = mynacard_docsig::pdf::prepare(&small_pdf(), o.signing_time).map_err(e)?;
                let d = HashAlgorithm::Sha256.digest(&p.signed_bytes());
                let cms = naive_cms_signature(n, &d, false)?;
                Ok(digest(&p.fill(&cms).map_err(e)?))
            },
            steps: &[
                Step::App(JPKI),
                Step::Query(SIGN_PIN),
                Step::Verify(SIGN_PIN),
                Step::Read(jpki::SIGN_CERT.0),
                Step::Sign(jpki::SIGN_KEY.0),
            ],
        },
        Operation {
            name: "read the basic four (text-assist PIN, digest checked)",
            setup: no_setup,
            library: |c| {
                let pin = text_pin();
                let mut t = c
                    .text_assist(TextAssistKey::Pin(&pin), TextAssistOptions::default())
                    .map_err(e)?;
                let b = t.basic_four().map_err(e)?;
                Ok(basic_four_outcome(&b))
            },
            naive: |n| {
                let (data, rec) = naive_text_read(n, text::BASIC_FOUR.0)?;
                rec.check_basic_four(&data)?;
                Ok(basic_four_outcome(&BasicFour::parse(&data)?))
            },
            steps: &[
                Step::App(App::TextAssist),
                Step::Query(text::PIN.0),
                Step::Verify(text::PIN.0),
                Step::Read(text::BASIC_FOUR.0),
                Step::Read(text::INTEGRITY.0),
            ],
        },
        Operation {
            name: "read the My Number (text-assist PIN, digest checked)",
            setup: no_setup,
            library: |c| {
                let pin = text_pin();
                let mut t = c
                    .text_assist(TextAssistKey::Pin(&pin), TextAssistOptions::default())
                    .map_err(e)?;
                let n = t.my_number().map_err(e)?;
                Ok(digest(n.expose_str().as_bytes()))
            },
            naive: |n| {
                let (data, rec) = naive_text_read(n, text::MY_NUMBER.0)?;
                rec.check_my_number(&data)?;
                let number = parse_my_number(&data)?;
                Ok(digest(number.expose_str().as_bytes()))
            },
            steps: &[
                Step::App(App::TextAssist),
                Step::Query(text::PIN.0),
                Step::Verify(text::PIN.0),
                Step::Read(text::MY_NUMBER.0),
                Step::Read(text::INTEGRITY.0),
            ],
        },
    ]
}

fn basic_four_outcome(b: &BasicFour) -> String {
    digest(format!("{}|{}|{}|{:?}", b.name, b.address, b.birth_date, b.sex).as_bytes())
}

/// The naive text-assist read: VERIFY the PIN, read the file, read the integrity record.
fn naive_text_read(n: &mut NaiveCard<'_>, fid: u16) -> Result<(Vec<u8>, IntegrityRecord), String> {
    n.verify(&applets::TEXT_ASSIST, text::PIN.0, b"1234")?;
    let data = n.read(&applets::TEXT_ASSIST, fid)?;
    let rec = IntegrityRecord::parse(&n.read(&applets::TEXT_ASSIST, text::INTEGRITY.0)?)?;
    Ok((data, rec))
}
