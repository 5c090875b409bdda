//! `surface` (the card-surface AP: card face, photo, My Number image, age record) and
//! `card-info` (共通カードAP record 1).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use mynacard::credential::{BirthDateKey, MatchingNumberB, MyNumber};
use mynacard::cvc::{CvTrustError, IssuerKeys};
use mynacard::holder::BirthDate;
use mynacard::presence::fresh_nonce;
use mynacard::surface::{Image, ImageFormat, SurfaceKey, SurfaceOptions};
use mynacard::LastTry;
use serde_json::json;

use crate::backend::AnyCard;
use crate::exit::{self, Failure};
use crate::i18n::{t, Label, Msg};
use crate::pins::SecretSource;
use crate::{outfile, output};

/// What opens the card-surface AP for `surface`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SurfaceOpen {
    /// 照合番号B (14 digits): the card face.
    MatchingB,
    /// 照合番号A (the 12-digit My Number): the card face and the My Number image.
    MatchingA,
    /// The birth-date key (era year YYMMDD, 6 digits): the age-verification record only.
    BirthDate,
}

/// Arguments of `surface`.
#[derive(Debug, clap::Args)]
pub struct SurfaceArgs {
    /// What opens the AP.
    #[arg(long, value_enum, default_value_t = SurfaceOpen::MatchingB)]
    pub open_with: SurfaceOpen,
    /// Save the images into this directory (created if missing; files are readable by the
    /// owner only): name.png, address.png, photo.jp2, security-code.png, and with 照合番号A
    /// my-number.png.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also accept CV certificates of the JPKI test hierarchy (test cards).
    #[arg(long)]
    pub accept_test_hierarchy: bool,
    /// Let the verify spend the last try.
    #[arg(long)]
    pub allow_last_try: bool,
}

/// The images `surface --out` may write, by name.
const IMAGE_NAMES: [&str; 5] = ["name", "address", "photo", "security-code", "my-number"];

/// Every file name `surface --out` may write: each image under each extension.
fn output_files() -> Vec<String> {
    let formats = [
        ImageFormat::Png,
        ImageFormat::Jp2,
        ImageFormat::J2k,
        ImageFormat::Unknown,
    ];
    IMAGE_NAMES
        .iter()
        .flat_map(|n| {
            formats
                .iter()
                .map(move |f| format!("{n}.{}", f.extension()))
        })
        .collect()
}

/// Today's date (UTC), for the age.
fn today() -> (i64, u32, u32) {
    let days = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0) as i64;
    // Days since 1970-01-01 to a civil date (the proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Full years from `birth` to `on`.
fn age(birth: BirthDate, on: (i64, u32, u32)) -> i64 {
    let (y, m, d) = on;
    let mut a = y - i64::from(birth.year);
    if (m, d) < (u32::from(birth.month), u32::from(birth.day)) {
        a -= 1;
    }
    a
}

/// One image: described, and saved under `dir` when given.
fn image_entry(
    name: &str,
    img: &Image,
    dir: Option<&Path>,
) -> Result<(String, serde_json::Value), Failure> {
    let file = format!("{name}.{}", img.format.extension());
    let written = match dir {
        Some(d) => {
            let p = d.join(&file);
            // Personal data: owner-only on Unix.
            outfile::write(&p, &img.data, true)?;
            Some(p.display().to_string())
        }
        None => None,
    };
    let dims = img.dimensions();
    let mut text = t(Msg::ImageBytes(&img.format, img.data.len(), dims));
    if let Some(w) = &written {
        text.push_str(&format!(" -> {w}"));
    }
    Ok((
        text,
        json!({
            "format": img.format,
            "bytes": img.data.len(),
            "width": dims.map(|d| d.0),
            "height": dims.map(|d| d.1),
            "written": written,
        }),
    ))
}

/// `surface`.
pub fn surface(
    card: &mut AnyCard,
    secrets: &mut SecretSource,
    args: &SurfaceArgs,
    virtual_card: bool,
    json_out: bool,
) -> Result<(), Failure> {
    if let Some(d) = &args.out {
        outfile::prepare_dir(d, &output_files())?;
    }
    let keys = if args.accept_test_hierarchy {
        IssuerKeys::production_and_test()
    } else {
        IssuerKeys::production()
    };
    // The virtual card's CV certificates chain to its virtual issuer keys (never production).
    let keys = if virtual_card {
        keys.merged(&mynacard::sim::pki::virtual_issuer_keys())
    } else {
        keys
    };
    let options = SurfaceOptions {
        last_try: LastTry::allow_if(args.allow_last_try),
        ..Default::default()
    };
    let dir = args.out.as_deref();
    let mut lines: Vec<(Label, String)> = Vec::new();
    let mut v = json!({ "ok": true, "signatures_checked": true });
    let r = (|| {
        let (a, b, d) = match args.open_with {
            SurfaceOpen::MatchingA => {
                let s = secrets.next(&t(Msg::PromptMatchingA))?;
                (Some(MyNumber::parse(&s)?), None, None)
            }
            SurfaceOpen::MatchingB => {
                let s = secrets.next(&t(Msg::PromptMatchingB))?;
                (None, Some(MatchingNumberB::parse(&s)?), None)
            }
            SurfaceOpen::BirthDate => {
                let s = secrets.next(&t(Msg::PromptBirthDate))?;
                (None, None, Some(BirthDateKey::parse(&s)?))
            }
        };
        let key = match (&a, &b, &d) {
            (Some(a), _, _) => SurfaceKey::MatchingA(a),
            (_, Some(b), _) => SurfaceKey::MatchingB(b),
            (_, _, Some(d)) => SurfaceKey::BirthDate(d),
            _ => SurfaceKey::Nothing,
        };
        let mut s = card.surface(key, options)?;
        v["opened_with"] = json!(s.opened_by());
        let ap_key = if args.open_with == SurfaceOpen::BirthDate {
            let rec = s.age_record()?;
            lines.push((Label::BirthDate, rec.birth_date.to_string()));
            let years = age(rec.birth_date, today());
            lines.push((Label::Age, t(Msg::AgeToday(years))));
            v["birth_date"] = json!(rec.birth_date);
            v["age"] = json!(years);
            rec.ap_key
        } else {
            let face = s.card_face()?;
            lines.push((Label::BirthDate, face.birth_date.to_string()));
            lines.push((Label::Sex, t(Msg::Sex(face.sex.code(), &face.sex))));
            lines.push((Label::Expiry, t(Msg::ExpiryUnsigned(&face.expiry))));
            v["birth_date"] = json!(face.birth_date);
            v["sex"] = json!(face.sex);
            v["expiry"] = json!(face.expiry);
            let mut images = serde_json::Map::new();
            for (label, name, img) in [
                (Label::NameImage, "name", &face.name_image),
                (Label::AddressImage, "address", &face.address_image),
                (Label::Photo, "photo", &face.photo),
                (
                    Label::SecurityCode,
                    "security-code",
                    &face.security_code_image,
                ),
            ] {
                let (text, j) = image_entry(name, img, dir)?;
                lines.push((label, text));
                images.insert(name.into(), j);
            }
            if args.open_with == SurfaceOpen::MatchingA {
                let img = s.my_number_image()?;
                let (text, j) = image_entry("my-number", &img.image, dir)?;
                lines.push((Label::MyNumberImage, text));
                images.insert("my-number".into(), j);
            }
            v["images"] = serde_json::Value::Object(images);
            face.ap_key
        };
        lines.push((Label::Signatures, t(Msg::SignaturesChecked)));
        let cv = s.cv_certificate()?;
        match cv.verify(&keys) {
            Ok(trust) => {
                lines.push((
                    Label::CvCertificate,
                    t(Msg::CvVerified(&trust.issuer, &trust.hierarchy)),
                ));
                v["cv_certificate"] = json!({ "verified": true, "issuer": trust.issuer,
                    "hierarchy": trust.hierarchy, "subject": trust.subject });
            }
            Err(e @ CvTrustError::UnknownIssuer { .. }) => {
                lines.push((Label::CvCertificate, t(Msg::CvNotChecked(&e))));
                v["cv_certificate"] = json!({ "verified": false, "issuer": cv.issuer_key_id(),
                    "error": e.to_string() });
            }
            Err(e) => return Err(Failure::new(exit::FAILURE, e.to_string())),
        }
        let nonce = fresh_nonce()?;
        let proof = s.prove_presence(&ap_key, &nonce)?;
        lines.push((Label::CardPresent, t(Msg::Present(proof.key_bits))));
        v["presence"] = json!({ "verified": true, "key_bits": proof.key_bits });
        Ok::<_, Failure>(())
    })();
    let _ = card.unpower();
    r?;
    if json_out {
        output::json(&v)?;
    } else {
        let labels: Vec<String> = lines
            .iter()
            .map(|(k, _)| format!("{}:", t(Msg::Label(*k))))
            .collect();
        let w = labels
            .iter()
            .map(|l| output::width(l))
            .max()
            .unwrap_or(0)
            .max(16);
        for (label, (_, text)) in labels.iter().zip(&lines) {
            output::line(format!("{} {text}", output::pad(label, w)))?;
        }
    }
    Ok(())
}

/// `card-info`: 共通カードAP record 1 (no PIN).
pub fn card_info(card: &mut AnyCard, json_out: bool) -> Result<(), Failure> {
    let id = card.common().identity()?;
    if json_out {
        output::json(&json!({
            "ok": true,
            "serial": id.serial,
            "municipality_code": id.municipality_code,
            "prefecture_code": id.prefecture_code(),
            "expiry": id.expiry,
        }))?;
    } else {
        let label = |l: Label| format!("{}:", t(Msg::Label(l)));
        let w = [Label::CardSerial, Label::MunicipalityCode, Label::Expiry]
            .map(|l| output::width(&label(l)))
            .into_iter()
            .max()
            .unwrap_or(0)
            .max(18);
        let row = |l: Label, v: String| output::line(format!("{} {v}", output::pad(&label(l), w)));
        row(Label::CardSerial, id.serial.to_string())?;
        row(
            Label::MunicipalityCode,
            t(Msg::Municipality(
                &id.municipality_code,
                &id.prefecture_code(),
            )),
        )?;
        row(Label::Expiry, id.expiry.to_string())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_count_birthdays() {
        let b = BirthDate::parse_yyyymmdd(b"19850401").unwrap();
        assert_eq!(age(b, (2025, 3, 31)), 39);
        assert_eq!(age(b, (2025, 4, 1)), 40);
        let (y, m, d) = today();
        assert!(y >= 2024 && (1..=12).contains(&m) && (1..=31).contains(&d));
    }
}
