//! CMS signatures on the virtual card: exchange counts, our verifier's verdicts, and refusals.

mod common;

use std::process::Command;
use std::time::{Duration, SystemTime};

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Encode};
use mynacard::cert::{Certificate, Hierarchy};
use mynacard_docsig::{cms as c, sign_cms, verify_cms, Form, SignOptions, Trust, Verdict};
use x509_cert::attr::Attribute;

use common::*;

const CONTENT: &[u8] = b"I agree to the terms. 2026-11-27\n";

fn reencode(cms: &[u8], f: impl FnOnce(&mut SignedData)) -> Vec<u8> {
    let mut sd = c::parse(cms).unwrap();
    f(&mut sd);
    ContentInfo {
        content_type: c::ID_SIGNED_DATA,
        content: Any::encode_from(&sd).unwrap(),
    }
    .to_der()
    .unwrap()
}

#[test]
fn cms_with_the_signature_key_costs_five_exchanges_when_the_ca_is_known() {
    let (mut card, log) = card();
    let s = sign_cms(&mut card, &sign_pw(), CONTENT, &options_known_virtual()).unwrap();
    let ins: Vec<String> = log
        .entries()
        .iter()
        .map(|e| format!("{:02X}", e.ins().unwrap()))
        .collect();
    // SELECT, the guard's status query, VERIFY, READ BINARY (signature certificate), SIGN.
    assert_eq!(ins, ["A4", "20", "20", "B0", "2A"], "{log:?}");
    assert!(!s.ca_read_from_card);
    let r = verify_cms(&s.der, Some(CONTENT), &trust_virtual());
    assert_eq!(r.verdict, Verdict::Valid, "{}", r.detail);
    assert_eq!(r.hierarchy, Some(Hierarchy::Custom));
}

#[test]
fn cms_reads_the_ca_certificate_when_it_is_not_known_six_exchanges() {
    let (mut card, log) = card();
    let s = sign_cms(&mut card, &sign_pw(), CONTENT, &SignOptions::default()).unwrap();
    assert_eq!(log.len(), 6, "{log:?}");
    assert!(s.ca_read_from_card);
    // The same CA certificate either way: it is in the CMS, and the chain verifies.
    let sd = c::parse(&s.der).unwrap();
    assert_eq!(sd.certificates.as_ref().unwrap().0.len(), 2);
    assert_eq!(
        verify_cms(&s.der, Some(CONTENT), &trust_virtual()).verdict,
        Verdict::Valid
    );
}

#[test]
fn attached_and_auth_key() {
    let (mut card, _) = card();
    let mut o = options_known_virtual();
    o.form = Form::Attached;
    let s = sign_cms(&mut card, &auth_pin(), CONTENT, &o).unwrap();
    // Attached: verifies without the content, and with the same content.
    for content in [None, Some(CONTENT)] {
        let r = verify_cms(&s.der, content, &trust_virtual());
        assert_eq!(r.verdict, Verdict::Valid, "{}", r.detail);
    }
    assert_eq!(
        verify_cms(&s.der, Some(b"other"), &trust_virtual()).verdict,
        Verdict::WrongContent
    );
    assert!(
        s.certificate.subject().contains("user authentication")
            || !s.certificate.subject().is_empty()
    );
}

#[test]
fn signed_attributes_are_the_cades_baseline() {
    let (mut card, _) = card();
    let s = sign_cms(&mut card, &sign_pw(), CONTENT, &options_known_virtual()).unwrap();
    let sd = c::parse(&s.der).unwrap();
    let si = sd.signer_infos.0.iter().next().unwrap();
    let oids: Vec<ObjectIdentifier> = si
        .signed_attrs
        .as_ref()
        .unwrap()
        .iter()
        .map(|a| a.oid)
        .collect();
    for o in [
        c::ID_CONTENT_TYPE,
        c::ID_MESSAGE_DIGEST,
        c::ID_SIGNING_TIME,
        c::ID_SIGNING_CERTIFICATE_V2,
    ] {
        assert!(oids.contains(&o), "{o} missing");
    }
    assert_eq!(oids.len(), 4);
    assert!(si.unsigned_attrs.is_none());
    assert!(
        sd.encap_content_info.econtent.is_none(),
        "detached by default"
    );
}

#[test]
fn refusals() {
    let (mut card, _) = card();
    let s = sign_cms(&mut card, &sign_pw(), CONTENT, &options_known_virtual()).unwrap();
    let t = trust_virtual();
    // Tampered content.
    assert_eq!(
        verify_cms(&s.der, Some(b"I agree to nothing."), &t).verdict,
        Verdict::WrongContent
    );
    // Detached without content.
    assert_eq!(verify_cms(&s.der, None, &t).verdict, Verdict::WrongContent);
    // Hierarchy not accepted: the virtual root is not an anchor by default.
    let r = verify_cms(&s.der, Some(CONTENT), &Trust::default());
    assert_eq!(r.verdict, Verdict::HierarchyNotTrusted, "{}", r.detail);
    // Expired at the signing time: check at 2200.
    let late = Trust {
        at: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(7_258_118_400)),
        ..trust_virtual()
    };
    assert_eq!(
        verify_cms(&s.der, Some(CONTENT), &late).verdict,
        Verdict::CertificateExpired
    );
    // Smuggled data in unsigned attributes.
    let smuggled = reencode(&s.der, |sd| {
        let mut si = sd.signer_infos.0.iter().next().unwrap().clone();
        let v = Any::encode_from(&OctetString::new(b"smuggled payload".to_vec()).unwrap()).unwrap();
        si.unsigned_attrs = Some(
            SetOfVec::try_from(vec![Attribute {
                oid: ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.1"),
                values: SetOfVec::try_from(vec![v]).unwrap(),
            }])
            .unwrap(),
        );
        sd.signer_infos = cms::signed_data::SignerInfos::try_from(vec![si]).unwrap();
    });
    assert_eq!(
        verify_cms(&smuggled, Some(CONTENT), &t).verdict,
        Verdict::UnsignedAttributes
    );
    // Swapped certificate: another card's certificate in place of the signer's.
    let other = {
        let (mut other_card, _) = {
            let r = mynacard::transport::Recorder::new(mynacard::sim::VirtualCard::with_holder(
                mynacard::sim::VirtualCard::new().holder().clone(),
                77,
            ));
            let log = r.log();
            (mynacard::Card::new(r), log)
        };
        sign_cms(
            &mut other_card,
            &sign_pw(),
            CONTENT,
            &options_known_virtual(),
        )
        .unwrap()
    };
    let other_cert = other.certificate.x509().clone();
    assert_ne!(other.certificate, s.certificate);
    let swapped = reencode(&s.der, |sd| {
        let signer = s.certificate.x509().clone();
        let ca = sd
            .certificates
            .as_ref()
            .unwrap()
            .0
            .iter()
            .find(|c| !matches!(c, cms::cert::CertificateChoices::Certificate(x) if *x == signer))
            .cloned();
        let mut v = vec![cms::cert::CertificateChoices::Certificate(
            other_cert.clone(),
        )];
        v.extend(ca);
        sd.certificates = Some(cms::signed_data::CertificateSet::try_from(v).unwrap());
    });
    let r = verify_cms(&swapped, Some(CONTENT), &t);
    assert_eq!(r.verdict, Verdict::UnknownSigner, "{}", r.detail);
    // Swapped certificate and signer identifier: the signature does not verify.
    let swapped_sid = reencode(&swapped, |sd| {
        let mut si = sd.signer_infos.0.iter().next().unwrap().clone();
        si.sid = cms::signed_data::SignerIdentifier::IssuerAndSerialNumber(
            cms::cert::IssuerAndSerialNumber {
                issuer: other_cert.tbs_certificate().issuer().clone(),
                serial_number: other_cert.tbs_certificate().serial_number().clone(),
            },
        );
        sd.signer_infos = cms::signed_data::SignerInfos::try_from(vec![si]).unwrap();
    });
    assert_eq!(
        verify_cms(&swapped_sid, Some(CONTENT), &t).verdict,
        Verdict::BadSignature
    );
    // A flipped signature bit.
    let flipped = reencode(&s.der, |sd| {
        let mut si = sd.signer_infos.0.iter().next().unwrap().clone();
        let mut b = si.signature.as_bytes().to_vec();
        b[10] ^= 1;
        si.signature = OctetString::new(b).unwrap();
        sd.signer_infos = cms::signed_data::SignerInfos::try_from(vec![si]).unwrap();
    });
    assert_eq!(
        verify_cms(&flipped, Some(CONTENT), &t).verdict,
        Verdict::BadSignature
    );
    // The CA certificate removed: the chain is broken.
    let no_ca = reencode(&s.der, |sd| {
        let leaf = cms::cert::CertificateChoices::Certificate(s.certificate.x509().clone());
        sd.certificates = Some(cms::signed_data::CertificateSet::try_from(vec![leaf]).unwrap());
    });
    let r = verify_cms(&no_ca, Some(CONTENT), &Trust::default());
    assert_eq!(r.verdict, Verdict::ChainBroken, "{}", r.detail);
    // An unknown digest algorithm (MD5).
    let md5 = reencode(&s.der, |sd| {
        let mut si = sd.signer_infos.0.iter().next().unwrap().clone();
        si.digest_alg.oid = ObjectIdentifier::new_unwrap("1.2.840.113549.2.5");
        sd.digest_algorithms = SetOfVec::try_from(vec![si.digest_alg.clone()]).unwrap();
        sd.signer_infos = cms::signed_data::SignerInfos::try_from(vec![si]).unwrap();
    });
    assert_eq!(
        verify_cms(&md5, Some(CONTENT), &t).verdict,
        Verdict::UnsupportedAlgorithm
    );
    // Not a CMS at all, and truncated.
    assert_eq!(
        verify_cms(b"hello", Some(CONTENT), &t).verdict,
        Verdict::Malformed
    );
    assert_eq!(
        verify_cms(&s.der[..s.der.len() - 7], Some(CONTENT), &t).verdict,
        Verdict::Malformed
    );
}

fn test_ca() -> Certificate {
    let pem = std::fs::read_to_string(fixture("test-ca.pem")).unwrap();
    let der = pem_to_der(&pem);
    Certificate::from_der(&der).unwrap()
}

fn pem_to_der(pem: &str) -> Vec<u8> {
    let (_, der) = der::pem::decode_vec(pem.as_bytes()).unwrap();
    der
}

/// Our verifier accepts what OpenSSL signs with the fixture keys (RSA, P-256, P-384), detached
/// and attached, and refuses them under the wrong content or an untrusted root.
#[test]
fn accepts_openssl_signatures_rsa_p256_p384() {
    let Some(openssl) = tool("openssl", &["version"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let content = write(dir.path(), "content.txt", CONTENT);
    let trust = Trust {
        extra_anchors: vec![test_ca()],
        ..Trust::default()
    };
    for key in ["rsa", "p256", "p384"] {
        for attached in [false, true] {
            let out = dir.path().join(format!("{key}-{attached}.p7s"));
            let mut cmd = Command::new(&openssl);
            cmd.args([
                "cms",
                "-sign",
                "-binary",
                "-cades",
                "-md",
                if key == "p384" { "sha384" } else { "sha256" },
            ])
            .arg("-in")
            .arg(&content)
            .arg("-signer")
            .arg(fixture(&format!("test-{key}.pem")))
            .arg("-inkey")
            .arg(fixture(&format!("test-{key}.key")))
            .arg("-certfile")
            .arg(fixture("test-ca.pem"))
            .args(["-outform", "DER", "-out"])
            .arg(&out);
            if attached {
                cmd.arg("-nodetach");
            }
            let st = cmd.output().unwrap();
            assert!(
                st.status.success(),
                "{}",
                String::from_utf8_lossy(&st.stderr)
            );
            let der = std::fs::read(&out).unwrap();
            let detached = if attached { None } else { Some(CONTENT) };
            let r = verify_cms(&der, detached, &trust);
            assert_eq!(
                r.verdict,
                Verdict::Valid,
                "{key} attached={attached}: {}",
                r.detail
            );
            assert_eq!(
                verify_cms(&der, Some(b"other"), &trust).verdict,
                Verdict::WrongContent
            );
            assert_eq!(
                verify_cms(&der, detached, &Trust::default()).verdict,
                Verdict::HierarchyNotTrusted
            );
            // A flipped bit in an ECDSA or RSA signature.
            let bad = reencode(&der, |sd| {
                let mut si = sd.signer_infos.0.iter().next().unwrap().clone();
                let mut b = si.signature.as_bytes().to_vec();
                let n = b.len();
                b[n - 3] ^= 0x01;
                si.signature = OctetString::new(b).unwrap();
                sd.signer_infos = cms::signed_data::SignerInfos::try_from(vec![si]).unwrap();
            });
            assert_eq!(
                verify_cms(&bad, detached, &trust).verdict,
                Verdict::BadSignature,
                "{key}"
            );
        }
    }
}

#[test]
fn pem_input_is_accepted() {
    let (mut card, _) = card();
    let s = sign_cms(&mut card, &sign_pw(), CONTENT, &options_known_virtual()).unwrap();
    let pem = der::pem::encode_string("CMS", der::pem::LineEnding::LF, &s.der).unwrap();
    assert_eq!(
        verify_cms(pem.as_bytes(), Some(CONTENT), &trust_virtual()).verdict,
        Verdict::Valid
    );
}
