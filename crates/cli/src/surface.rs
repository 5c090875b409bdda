//! `surface` (the card-surface AP: card face, photo, My Number image, age record) and
//! `card-info` (共通カードAP record 1).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use mynacard::credential::{BirthDateKey, MatchingNumberB, MyNumber};
use mynacard::cvc::{CvTrustError, IssuerKeys};
use mynacard::holder::BirthDate;
use mynacard::presence::fresh_nonce;
use mynacard::surface::{Image, SurfaceKey, SurfaceOptions};
use mynacard::LastTry;
use serde_json::json;

use crate::backend::AnyCard;
use crate::exit::{self, Failure};
use crate::output;
use crate::pins::SecretSource;

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

/// Writes personal data: replaced only when complete, owner-only on Unix.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    use std::io::Write;
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    let r = (|| {
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        let mut f = o.open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = r {
        let _ = std::fs::remove_file(&tmp);
        return Err(Failure::new(
            exit::FAILURE,
            format!("cannot write {}: {e}", path.display()),
        ));
    }
    Ok(())
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
            write_private(&p, &img.data)?;
            Some(p.display().to_string())
        }
        None => None,
    };
    let dims = img.dimensions();
    let mut text = format!("{}, {} bytes", img.format, img.data.len());
    if let Some((w, h)) = dims {
        text.push_str(&format!(", {w}×{h}"));
    }
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
        std::fs::create_dir_all(d).map_err(|e| {
            Failure::new(exit::FAILURE, format!("cannot create {}: {e}", d.display()))
        })?;
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
        last_try: if args.allow_last_try {
            LastTry::Allow
        } else {
            LastTry::Refuse
        },
        ..Default::default()
    };
    let dir = args.out.as_deref();
    let mut lines: Vec<(String, String)> = Vec::new();
    let mut v = json!({ "ok": true, "signatures_checked": true });
    let r = (|| {
        let (a, b, d) = match args.open_with {
            SurfaceOpen::MatchingA => {
                let s = secrets.next("照合番号A (the 12-digit My Number)")?;
                (Some(MyNumber::parse(&s)?), None, None)
            }
            SurfaceOpen::MatchingB => {
                let s = secrets
                    .next("照合番号B (era birth date YYMMDD, expiry year YYYY, security code)")?;
                (None, Some(MatchingNumberB::parse(&s)?), None)
            }
            SurfaceOpen::BirthDate => {
                let s = secrets
                    .next("Birth-date key (era year YYMMDD, e.g. 600401 for 昭和60-04-01)")?;
                (None, None, Some(BirthDateKey::parse(&s)?))
            }
        };
        let key = match (&a, &b, &d) {
            (Some(a), _, _) => SurfaceKey::MatchingA(a),
            (_, Some(b), _) => SurfaceKey::MatchingB(b),
            (_, _, Some(d)) => SurfaceKey::BirthDate(d),
            _ => SurfaceKey::Nothing,
        };
        let mut s = card.open_surface(key, options)?;
        v["opened_with"] = json!(s.opened_by());
        let ap_key = if args.open_with == SurfaceOpen::BirthDate {
            let rec = s.age_record()?;
            lines.push(("Birth date".into(), rec.birth_date.to_string()));
            let years = age(rec.birth_date, today());
            lines.push(("Age".into(), format!("{years} (today, UTC)")));
            v["birth_date"] = json!(rec.birth_date);
            v["age"] = json!(years);
            rec.ap_key
        } else {
            let face = s.card_face()?;
            lines.push(("Birth date".into(), face.birth_date.to_string()));
            lines.push(("Sex".into(), face.sex.to_string()));
            lines.push((
                "Expiry".into(),
                format!("{} (not covered by the card's signature)", face.expiry),
            ));
            v["birth_date"] = json!(face.birth_date);
            v["sex"] = json!(face.sex);
            v["expiry"] = json!(face.expiry);
            let mut images = serde_json::Map::new();
            for (label, name, img) in [
                ("Name image", "name", &face.name_image),
                ("Address image", "address", &face.address_image),
                ("Photo", "photo", &face.photo),
                ("Security code", "security-code", &face.security_code_image),
            ] {
                let (t, j) = image_entry(name, img, dir)?;
                lines.push((label.into(), t));
                images.insert(name.into(), j);
            }
            if args.open_with == SurfaceOpen::MatchingA {
                let img = s.my_number_image()?;
                let (t, j) = image_entry("my-number", &img.image, dir)?;
                lines.push(("My Number image".into(), t));
                images.insert("my-number".into(), j);
            }
            v["images"] = serde_json::Value::Object(images);
            face.ap_key
        };
        lines.push((
            "Signatures".into(),
            "checked under the CV certificate (EF 0004)".into(),
        ));
        let cv = s.cv_certificate()?;
        match cv.verify(&keys) {
            Ok(t) => {
                lines.push((
                    "CV certificate".into(),
                    format!("verified under issuer key {} ({})", t.issuer, t.hierarchy),
                ));
                v["cv_certificate"] = json!({ "verified": true, "issuer": t.issuer,
                    "hierarchy": t.hierarchy, "subject": t.subject });
            }
            Err(e @ CvTrustError::UnknownIssuer { .. }) => {
                lines.push(("CV certificate".into(), format!("NOT checked: {e}")));
                v["cv_certificate"] = json!({ "verified": false, "issuer": cv.issuer_key_id(),
                    "error": e.to_string() });
            }
            Err(e) => return Err(Failure::new(exit::FAILURE, e.to_string())),
        }
        let nonce = fresh_nonce()?;
        let proof = s.prove_presence(&ap_key, &nonce)?;
        lines.push((
            "Card present".into(),
            format!(
                "yes: it signed a fresh challenge with the AP key ({} bits) the signed record carries",
                proof.key_bits
            ),
        ));
        v["presence"] = json!({ "verified": true, "key_bits": proof.key_bits });
        Ok::<_, Failure>(())
    })();
    let _ = card.unpower();
    r?;
    if json_out {
        output::json(&v);
    } else {
        for (k, t) in lines {
            println!("{:<16} {t}", format!("{k}:"));
        }
    }
    Ok(())
}

/// `card-info`: 共通カードAP record 1 (no PIN).
pub fn card_info(card: &mut AnyCard, json_out: bool) -> Result<(), Failure> {
    let id = card.read_card_identity()?;
    if json_out {
        output::json(&json!({
            "ok": true,
            "serial": id.serial,
            "municipality_code": id.municipality_code,
            "prefecture_code": id.prefecture_code(),
            "expiry": id.expiry,
        }));
    } else {
        println!("Card serial:       {}", id.serial);
        println!(
            "Municipality code: {} (prefecture {})",
            id.municipality_code,
            id.prefecture_code()
        );
        println!("Expiry:            {}", id.expiry);
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
