//! `info --secure-messaging`: the text-input-assist data read through a secure messaging session
//! (the library's `mynacard::sm`), and `mf`: the master-file objects and CV chain with its verdict.
//! Every text here exists in Japanese and English (`msg`), in the CLI's language.

use mynacard::credential::TextAssistPin;
use mynacard::cvc::CvHierarchy;
use mynacard::mf::{self, ChainVerdict};
use mynacard::pin::PinKind;
use mynacard::sm::SmError;
use mynacard::LastTry;
use zeroize::Zeroizing;

use crate::backend::AnyCard;
use crate::exit::{self, Failure};
use crate::output;
use crate::pins::SecretSource;

/// The text in the user's language (`--lang`, else the locale: [`crate::i18n::lang`]).
pub fn msg(ja: &'static str, en: &'static str) -> &'static str {
    match crate::i18n::lang() {
        crate::i18n::Lang::Ja => ja,
        crate::i18n::Lang::En => en,
    }
}

/// A secure messaging failure: a card error as the CLI reports every library error, the
/// session's own failures in the library's words ([`SmError::message`]).
fn sm_failure(e: SmError) -> Failure {
    match e {
        SmError::Card(e) => Failure::from(e),
        other => Failure::new(exit::FAILURE, other.message(crate::i18n::lang())),
    }
}

/// `info --secure-messaging`: the PIN in the clear (the card requires it before a session), then
/// the basic four (and the My Number with `--my-number`) read encrypted.
pub fn info(
    card: &mut AnyCard,
    secrets: &mut SecretSource,
    my_number: bool,
    allow_last_try: bool,
    json: bool,
) -> Result<(), Failure> {
    let last = LastTry::allow_if(allow_last_try);
    let r = (|| {
        let pin: TextAssistPin =
            secrets.pin(&format!("Current {}", PinKind::TextAssist.description()))?;
        let mut sm = card.secure_messaging(&pin, last).map_err(sm_failure)?;
        let basic = sm.basic_four().map_err(sm_failure)?;
        let number = if my_number {
            Some(sm.my_number().map_err(sm_failure)?)
        } else {
            None
        };
        Ok::<_, Failure>((basic, number))
    })();
    let _ = card.unpower();
    let (b, number) = r?;
    let digits = number
        .as_ref()
        .map(|n| Zeroizing::new(n.expose_str().to_owned()));
    if json {
        let mut v = serde_json::json!({
            "ok": true,
            "secure_messaging": true,
            "integrity": "not checked (the secure messaging path does not read EF 0003)",
            "name": b.name,
            "family_name": b.family_name(),
            "given_name": b.given_name(),
            "address": b.address,
            "birth_date": b.birth_date,
            "sex": b.sex,
            "sex_code": b.sex.code().to_string(),
        });
        if let Some(d) = &digits {
            v["my_number"] = serde_json::json!(d.as_str());
        }
        output::json(&v)?;
    } else {
        output::line(format!("{} {}", msg("氏名:", "Name:      "), b.name))?;
        output::line(format!("{} {}", msg("住所:", "Address:   "), b.address))?;
        output::line(format!(
            "{} {}",
            msg("生年月日:", "Birth date:"),
            b.birth_date
        ))?;
        output::line(format!("{} {}", msg("性別:", "Sex:       "), b.sex))?;
        if let Some(d) = &digits {
            output::line(format!(
                "{} {}",
                msg("個人番号:", "My Number: "),
                d.as_str()
            ))?;
        }
        output::line(msg(
            "(セキュアメッセージングで暗号化して読み取りました。暗証番号は平文で送られます。完全性記録は照合していません)",
            "(read encrypted through secure messaging; the PIN itself travels in the clear; not checked against the integrity record)",
        ))?;
    }
    Ok(())
}

/// `mf`: the master-file objects and the CV chain with its verdict. Selects the issuer security
/// domain, which clears any PIN verified before (none is asked for here).
/// On the virtual card (`virtual_card`), its own root (`9000020/001`, never production) is
/// accepted too, as `surface` does for the AP certificates.
pub fn master_file(
    card: &mut AnyCard,
    accept_test: bool,
    virtual_card: bool,
    json: bool,
) -> Result<(), Failure> {
    let mut keys = mf::mf_issuer_keys(accept_test);
    if virtual_card {
        keys = keys.merged(&mynacard::sim::mf::virtual_mf_issuer_keys());
    }
    let d = card.master_file().data()?;
    let chain = card.master_file().chain(&keys)?;
    let (verdict_ja, verdict_en) = match &chain.verdict {
        ChainVerdict::Verified { .. } if chain.verdict.is_production() => (
            "検証済み(本番の発行者鍵)",
            "verified (production issuer key)",
        ),
        ChainVerdict::Verified { root, .. } if root.hierarchy == CvHierarchy::Virtual => (
            "検証済み(仮想カードの発行者鍵。本番ではありません)",
            "verified (the virtual card's issuer key, never production)",
        ),
        ChainVerdict::Verified { .. } => (
            "検証済み(テスト用の発行者鍵。本番ではありません)",
            "verified (test hierarchy issuer key, never production)",
        ),
        ChainVerdict::UnknownIssuer { .. } => (
            "未検証(発行者鍵を知りません)",
            "not checked (unknown issuer key)",
        ),
        ChainVerdict::Invalid { .. } => (
            "不正(署名または連鎖が一致しません)",
            "INVALID (signature or link)",
        ),
        ChainVerdict::Empty => ("証明書がありません", "no certificate"),
    };
    if json {
        output::json(&serde_json::json!({
            "ok": true,
            "objects": d,
            "chain": chain.certificates.iter().map(|c| serde_json::json!({
                "issuer": c.issuer_key_id(),
                "subject": c.subject_key_id(),
            })).collect::<Vec<_>>(),
            "verdict": chain.verdict,
        }))?;
        return Ok(());
    }
    let show = |label: &str, v: Option<String>| {
        output::line(format!(
            "{label} {}",
            v.unwrap_or_else(|| msg("(なし)", "(absent)").into())
        ))
    };
    show(
        msg("カード識別番号:", "Card id:     "),
        d.card_identification.clone(),
    )?;
    show(
        msg("発行団体コード:", "Municipality:"),
        d.municipality_code.clone(),
    )?;
    show(
        msg("有効期限:", "Expiry:      "),
        d.expiry.map(|e| e.to_string()),
    )?;
    show(
        msg("接触ATR:", "Contact ATR: "),
        d.contact_atr.as_ref().map(hex::encode_upper),
    )?;
    for c in &chain.certificates {
        output::line(format!(
            "{} {} -> {}",
            msg("CV証明書:", "CV cert:     "),
            c.issuer_key_id(),
            c.subject_key_id()
        ))?;
    }
    output::line(format!(
        "{} {}",
        msg("連鎖の検証:", "Chain:       "),
        msg(verdict_ja, verdict_en)
    ))?;
    Ok(())
}
