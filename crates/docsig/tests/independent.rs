//! Independent verifiers accept our signatures: `openssl cms -verify`, Poppler's `pdfsig`, and
//! pyHanko. A missing tool is a loud skip locally and a failure when `CI=true`. Each test prints
//! what the tool printed (`cargo test -- --nocapture` shows it).

mod common;

use std::path::Path;
use std::process::Command;

use mynacard::cert::Certificate;
use mynacard_docsig::pdf::sign_pdf;
use mynacard_docsig::{sign_cms, Form};

use common::*;

const CONTENT: &[u8] = b"Contract between A and B.\nSigned with the My Number Card.\n";

fn ca_pem(dir: &Path) -> std::path::PathBuf {
    let ca = Certificate::from_der(&mynacard::sim::pki::virtual_sign_ca()).unwrap();
    write(dir, "virtual-sign-ca.pem", ca.to_pem().as_bytes())
}

fn show(tool: &str, o: &std::process::Output) -> String {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    eprintln!("---- {tool} printed (exit {}):\n{text}----", o.status);
    text
}

#[test]
fn openssl_cms_verify_accepts_detached_and_attached() {
    let Some(openssl) = tool("openssl", &["version"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let ca = ca_pem(dir.path());
    let content = write(dir.path(), "contract.txt", CONTENT);
    for form in [Form::Detached, Form::Attached] {
        let (mut card, _) = card();
        let mut o = options_known_virtual();
        o.form = form;
        let s = sign_cms(&mut card, &sign_pw(), CONTENT, &o).unwrap();
        let sig = write(dir.path(), "contract.p7s", &s.der);
        let out = dir.path().join("out.bin");
        let mut cmd = Command::new(&openssl);
        cmd.args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
            .arg(&sig)
            .arg("-CAfile")
            .arg(&ca)
            // The JPKI signature certificate is not an S/MIME certificate: check the chain and
            // the signature, not the S/MIME purpose.
            .args(["-purpose", "any", "-out"])
            .arg(&out);
        if form == Form::Detached {
            cmd.arg("-content").arg(&content);
        }
        let o = cmd.output().unwrap();
        let text = show("openssl cms -verify", &o);
        assert!(o.status.success(), "{form:?}: {text}");
        assert!(text.contains("Verification successful"), "{text}");
        assert_eq!(std::fs::read(&out).unwrap(), CONTENT);
        // And refuses other content.
        if form == Form::Detached {
            let other = write(dir.path(), "other.txt", b"Contract between A and C.\n");
            let o = Command::new(&openssl)
                .args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
                .arg(&sig)
                .arg("-CAfile")
                .arg(&ca)
                .args(["-purpose", "any", "-content"])
                .arg(&other)
                .output()
                .unwrap();
            assert!(!o.status.success());
        }
    }
}

fn signed_pdf(twice: bool) -> Vec<u8> {
    let (mut first, _) = card();
    let once = sign_pdf(
        &mut first,
        &sign_pw(),
        &minimal_pdf(),
        &options_known_virtual(),
    )
    .unwrap();
    if !twice {
        return once;
    }
    let (mut card, _) = card();
    sign_pdf(&mut card, &sign_pw(), &once, &options_known_virtual()).unwrap()
}

#[test]
fn pdfsig_reports_valid_signatures() {
    let Some(pdfsig) = tool("pdfsig", &["-v"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for twice in [false, true] {
        let pdf = write(dir.path(), "signed.pdf", &signed_pdf(twice));
        let o = Command::new(&pdfsig).arg(&pdf).output().unwrap();
        let text = show("pdfsig", &o);
        assert!(o.status.success(), "{text}");
        let n = if twice { 2 } else { 1 };
        assert_eq!(
            text.matches("Signature Validation: Signature is Valid.")
                .count(),
            n,
            "{text}"
        );
        assert!(text.contains("ETSI.CAdES.detached"), "{text}");
        if !twice {
            assert!(text.contains("Total document signed"), "{text}");
        }
    }
    // With the virtual CA in an NSS database (certutil, from libnss3-tools), pdfsig also
    // trusts the certificate.
    if let Some(certutil) = tool("certutil", &["-H"]) {
        let db = dir.path().join("nss");
        std::fs::create_dir_all(&db).unwrap();
        let db_arg = format!("sql:{}", db.display());
        let ca = ca_pem(dir.path());
        let o = Command::new(&certutil)
            .args(["-N", "--empty-password", "-d", &db_arg])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", show("certutil -N", &o));
        let o = Command::new(&certutil)
            .args([
                "-A",
                "-n",
                "virtual-sign-ca",
                "-t",
                "C,C,C",
                "-d",
                &db_arg,
                "-i",
            ])
            .arg(&ca)
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", show("certutil -A", &o));
        let pdf = write(dir.path(), "signed.pdf", &signed_pdf(false));
        let o = Command::new(&pdfsig)
            .args(["-nssdir", &db_arg])
            .arg(&pdf)
            .output()
            .unwrap();
        let text = show("pdfsig -nssdir (virtual CA trusted)", &o);
        assert!(text.contains("Signature is Valid."), "{text}");
        assert!(text.contains("Certificate is Trusted."), "{text}");
    }
    // A PDF whose cross-reference table is a stream.
    let (mut c, _) = card();
    let xs = std::fs::read(fixture("xref-stream.pdf")).unwrap();
    let signed = sign_pdf(&mut c, &sign_pw(), &xs, &options_known_virtual()).unwrap();
    let pdf = write(dir.path(), "xs.pdf", &signed);
    let o = Command::new(&pdfsig).arg(&pdf).output().unwrap();
    let text = show("pdfsig (cross-reference stream)", &o);
    assert!(
        text.contains("Signature is Valid.") && text.contains("Total document signed"),
        "{text}"
    );
    // A tampered file is not valid for pdfsig either.
    let mut bad = signed_pdf(false);
    let pos = bad.windows(7).position(|w| w == b"docsig ").unwrap();
    bad[pos] = b'D';
    let pdf = write(dir.path(), "bad.pdf", &bad);
    let o = Command::new(&pdfsig).arg(&pdf).output().unwrap();
    let text = show("pdfsig (tampered)", &o);
    assert!(!text.contains("Signature is Valid."), "{text}");
}

const PYHANKO_SCRIPT: &str = r#"
import sys, asyncio
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.ades import ades_basic_validation
from pyhanko.sign.validation.policy_decl import SignatureValidationSpec
from pyhanko.sign.ades.report import AdESPassed
from pyhanko.keys import load_cert_from_pemder
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.policy_decl import (
    CertRevTrustPolicy, RevocationCheckingPolicy, RevocationCheckingRule)

ca = load_cert_from_pemder(sys.argv[2])
# No revocation data exists for the virtual hierarchy: B-B validation does not include it.
no_rev = RevocationCheckingPolicy(
    ee_certificate_rule=RevocationCheckingRule.NO_CHECK,
    intermediate_ca_cert_rule=RevocationCheckingRule.NO_CHECK)
spec = SignatureValidationSpec(cert_validation_policy=CertValidationPolicySpec(
    trust_manager=SimpleTrustManager.build(trust_roots=[ca]),
    revinfo_policy=CertRevTrustPolicy(no_rev)))
with open(sys.argv[1], 'rb') as f:
    r = PdfFileReader(f)
    sigs = r.embedded_signatures
    print('signatures:', len(sigs))
    ok = len(sigs) > 0
    for sig in sigs:
        vc = ValidationContext(trust_roots=[ca], allow_fetching=False, revocation_mode='soft-fail')
        st = validate_pdf_signature(sig, vc)
        print(st.pretty_print_details())
        sub = sig.sig_object['/SubFilter']
        print('SubFilter:', sub)
        ok = ok and st.bottom_line and sub == '/ETSI.CAdES.detached'
        # AdES basic validation (ETSI EN 319 102-1 5.3), which is what B-B supports.
        res = asyncio.run(ades_basic_validation(sig.signed_data, spec, raw_digest=sig.compute_digest()))
        print('AdES basic validation:', res.ades_subindic)
        ok = ok and res.ades_subindic == AdESPassed.OK
print('RESULT', 'PASS' if ok else 'FAIL')
sys.exit(0 if ok else 1)
"#;

#[test]
fn pyhanko_validates_pades_b_b() {
    let Some(py) = pyhanko_python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let ca = ca_pem(dir.path());
    let script = write(dir.path(), "check.py", PYHANKO_SCRIPT.as_bytes());
    for twice in [false, true] {
        let pdf = write(dir.path(), "signed.pdf", &signed_pdf(twice));
        let o = Command::new(&py)
            .arg(&script)
            .arg(&pdf)
            .arg(&ca)
            .output()
            .unwrap();
        let text = show("pyHanko", &o);
        assert!(o.status.success() && text.contains("RESULT PASS"), "{text}");
    }
}

/// Writes a signed PDF and the CA for manual checks when `DOCSIG_DUMP` names a directory.
#[test]
fn dump_for_manual_checks() {
    let Ok(dir) = std::env::var("DOCSIG_DUMP") else {
        return;
    };
    let dir = Path::new(&dir);
    ca_pem(dir);
    write(dir, "signed.pdf", &signed_pdf(false));
    write(dir, "signed2.pdf", &signed_pdf(true));
}

fn run(what: &str, cmd: &mut Command) -> (bool, String) {
    let o = cmd.output().unwrap();
    let text = show(what, &o);
    (o.status.success(), text)
}

/// ECDSA CA keys (P-256/P-384, hashes that do not match the curve): OpenSSL accepts the chains
/// and the CMS we issue and refuses a corrupted one, and mynacard accepts a chain OpenSSL issues.
#[test]
fn openssl_and_mynacard_agree_on_ecdsa_chains() {
    use common::pki::*;
    use mynacard::cert::TrustStore;
    use mynacard::crypto::HashAlgorithm;
    let Some(openssl) = tool("openssl", &["version"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pem = |name: &str, c: &Certificate| write(d, name, c.to_pem().as_bytes());
    let verify = |root: &Path, untrusted: &Path, leaf: &Path| {
        run(
            "openssl verify",
            Command::new(&openssl)
                .arg("verify")
                .arg("-CAfile")
                .arg(root)
                .arg("-untrusted")
                .arg(untrusted)
                .arg(leaf),
        )
    };

    // Ours: P-384 root -SHA-384-> P-384 CA -SHA-256-> P-256 signer, and a CMS by the signer.
    let chain = ec_chain(Tamper::None);
    let (root_pem, ca, signer) = (
        pem("root.pem", &chain.root),
        pem("ca.pem", &chain.ca),
        pem("signer.pem", &chain.signer),
    );
    let (ok, text) = verify(&root_pem, &ca, &signer);
    assert!(ok && text.contains("OK"), "{text}");
    let content = write(d, "content.txt", CONTENT);
    let cms = write(d, "ecdsa.p7s", &ecdsa_cms(&chain, CONTENT));
    let (ok, text) = run(
        "openssl cms -verify (ECDSA chain)",
        Command::new(&openssl)
            .args(["cms", "-verify", "-binary", "-inform", "DER", "-in"])
            .arg(&cms)
            .arg("-content")
            .arg(&content)
            .arg("-CAfile")
            .arg(&root_pem)
            .args(["-purpose", "any", "-out"])
            .arg(d.join("out.bin")),
    );
    assert!(ok && text.contains("Verification successful"), "{text}");
    // A P-256 root signing with SHA-512 (truncated to the curve).
    let (rk, lk) = (p256(0x41), p384(0x42));
    let r256 = root("P-256 root", &rk, HashAlgorithm::Sha512);
    let leaf = issue(
        "P-384 leaf",
        lk.spki(),
        "P-256 root",
        &rk,
        HashAlgorithm::Sha512,
        false,
        &Tamper::None,
    );
    let (ok, text) = verify(&pem("r256.pem", &r256), &ca, &pem("l384.pem", &leaf));
    assert!(ok && text.contains("OK"), "{text}");
    // A corrupted CA signature: OpenSSL refuses it too.
    let bad = ec_chain(Tamper::SignatureBit);
    let (ok, text) = verify(&root_pem, &pem("bad-ca.pem", &bad.ca), &signer);
    assert!(!ok, "{text}");

    // OpenSSL's: P-384 root -SHA-512-> P-256 CA -SHA-384-> P-384 leaf.
    let cnf = |name: &str, ca: bool| {
        let text = if ca {
            "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
        } else {
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
        };
        write(d, name, text.as_bytes())
    };
    let (ok, text) = run(
        "openssl req (P-384 root)",
        Command::new(&openssl)
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-384",
            ])
            .args([
                "-nodes",
                "-sha384",
                "-days",
                "3650",
                "-subj",
                "/CN=openssl P-384 root",
            ])
            .args(["-addext", "basicConstraints=critical,CA:TRUE"])
            .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"])
            .arg("-keyout")
            .arg(d.join("o-root.key"))
            .arg("-out")
            .arg(d.join("o-root.pem")),
    );
    assert!(ok, "{text}");
    let issue_openssl = |name: &str, curve: &str, by: &str, md: &str, ca: bool| {
        let (ok, text) = run(
            "openssl req (CSR)",
            Command::new(&openssl)
                .args(["req", "-new", "-newkey", "ec", "-pkeyopt"])
                .arg(format!("ec_paramgen_curve:{curve}"))
                .args(["-nodes", "-subj"])
                .arg(format!("/CN=openssl {name}"))
                .arg("-keyout")
                .arg(d.join(format!("{name}.key")))
                .arg("-out")
                .arg(d.join(format!("{name}.csr"))),
        );
        assert!(ok, "{text}");
        let (ok, text) = run(
            "openssl x509 -req",
            Command::new(&openssl)
                .args([
                    "x509",
                    "-req",
                    "-set_serial",
                    "7",
                    "-days",
                    "3650",
                    md,
                    "-in",
                ])
                .arg(d.join(format!("{name}.csr")))
                .arg("-CA")
                .arg(d.join(format!("{by}.pem")))
                .arg("-CAkey")
                .arg(d.join(format!("{by}.key")))
                .arg("-extfile")
                .arg(cnf(&format!("{name}.cnf"), ca))
                .arg("-out")
                .arg(d.join(format!("{name}.pem"))),
        );
        assert!(ok, "{text}");
        let pem = std::fs::read(d.join(format!("{name}.pem"))).unwrap();
        Certificate::from_der(&der::pem::decode_vec(&pem).unwrap().1).unwrap()
    };
    let o_ca = issue_openssl("o-ca", "P-256", "o-root", "-sha512", true);
    let o_leaf = issue_openssl("o-leaf", "P-384", "o-ca", "-sha384", false);
    let o_root = {
        let pem = std::fs::read(d.join("o-root.pem")).unwrap();
        Certificate::from_der(&der::pem::decode_vec(&pem).unwrap().1).unwrap()
    };
    let ch = TrustStore::empty()
        .with_custom_anchor(o_root.clone())
        .verify(
            &o_leaf,
            std::slice::from_ref(&o_ca),
            std::time::SystemTime::now(),
        )
        .unwrap();
    assert_eq!(ch.path, vec![o_leaf, o_ca, o_root]);
}

/// Issue 20, defects 9 and 10 as reported: OpenSSL issues a signer certificate under the test
/// CA with keyUsage=keyEncipherment only, or with a critical extension of an unknown OID, and
/// `openssl cms -sign`s with it; our verifier refuses both (the same signer with
/// digitalSignature is valid, so the refusal is the certificate's and nothing else's).
#[test]
fn openssl_signers_with_forbidding_certificates_are_refused() {
    use mynacard_docsig::{verify_cms, Trust, Verdict};
    let Some(openssl) = tool("openssl", &["version"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let content = write(d, "content.txt", CONTENT);
    let ca_pem = std::fs::read(fixture("test-ca.pem")).unwrap();
    let ca = Certificate::from_der(&der::pem::decode_vec(&ca_pem).unwrap().1).unwrap();
    let trust = Trust {
        extra_anchors: vec![ca],
        ..Trust::default()
    };
    let sign_with = |name: &str, extensions: &str| -> Vec<u8> {
        let (ok, text) = run(
            "openssl req (signer)",
            Command::new(&openssl)
                .args(["req", "-new", "-newkey", "ec", "-pkeyopt"])
                .args(["ec_paramgen_curve:P-256", "-nodes", "-subj"])
                .arg(format!("/O=mynacard-docsig-TEST/CN={name}"))
                .arg("-keyout")
                .arg(d.join(format!("{name}.key")))
                .arg("-out")
                .arg(d.join(format!("{name}.csr"))),
        );
        assert!(ok, "{text}");
        let cnf = write(d, &format!("{name}.cnf"), extensions.as_bytes());
        let (ok, text) = run(
            "openssl x509 -req",
            Command::new(&openssl)
                .args(["x509", "-req", "-set_serial", "9", "-days", "30", "-sha256"])
                .arg("-in")
                .arg(d.join(format!("{name}.csr")))
                .arg("-CA")
                .arg(fixture("test-ca.pem"))
                .arg("-CAkey")
                .arg(fixture("test-ca.key"))
                .arg("-extfile")
                .arg(&cnf)
                .arg("-out")
                .arg(d.join(format!("{name}.pem"))),
        );
        assert!(ok, "{text}");
        let out = d.join(format!("{name}.p7s"));
        let (ok, text) = run(
            "openssl cms -sign",
            Command::new(&openssl)
                .args([
                    "cms", "-sign", "-binary", "-outform", "DER", "-md", "sha256",
                ])
                .arg("-in")
                .arg(&content)
                .arg("-signer")
                .arg(d.join(format!("{name}.pem")))
                .arg("-inkey")
                .arg(d.join(format!("{name}.key")))
                .arg("-out")
                .arg(&out),
        );
        assert!(ok, "{text}");
        std::fs::read(out).unwrap()
    };
    let cases = [
        (
            "usage-ok",
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n",
            Verdict::Valid,
        ),
        (
            "usage-encipher",
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,keyEncipherment\n",
            Verdict::KeyUsageForbidsSigning,
        ),
        (
            "unknown-critical",
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n\
             1.3.6.1.4.1.55555.9.1=critical,ASN1:NULL\n",
            Verdict::UnrecognisedCriticalExtension,
        ),
    ];
    for (name, ext, want) in cases {
        let cms = sign_with(name, ext);
        // Detached (`cms -sign` without `-nodetach`).
        let r = verify_cms(&cms, Some(CONTENT), &trust);
        assert_eq!(r.verdict, want, "{name}: {}", r.detail);
    }
}

/// `openssl cms -sign` with RSASSA-PSS: SHA-256 and MGF1-SHA-256 with the salt length 32 (the
/// card's) or 20 (another declared length) verify; SHA-1 in the PSS parameters is a clear
/// refusal (`unsupported_algorithm`), never `valid`; a signature with one bit changed is
/// `bad_signature`.
#[test]
fn openssl_rsassa_pss_signatures_verify_with_their_declared_parameters() {
    use mynacard_docsig::{verify_cms, Trust, Verdict};
    let Some(openssl) = tool("openssl", &["version"]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let content = write(d, "content.txt", CONTENT);
    let ca_pem = std::fs::read(fixture("test-ca.pem")).unwrap();
    let ca = Certificate::from_der(&der::pem::decode_vec(&ca_pem).unwrap().1).unwrap();
    let trust = Trust {
        extra_anchors: vec![ca],
        ..Trust::default()
    };
    // An RSA signer under the test CA.
    let (ok, text) = run(
        "openssl req (RSA signer)",
        Command::new(&openssl)
            .args(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj"])
            .arg("/O=mynacard-docsig-TEST/CN=pss-signer")
            .arg("-keyout")
            .arg(d.join("pss.key"))
            .arg("-out")
            .arg(d.join("pss.csr")),
    );
    assert!(ok, "{text}");
    let cnf = write(
        d,
        "pss.cnf",
        b"basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n",
    );
    let (ok, text) = run(
        "openssl x509 -req",
        Command::new(&openssl)
            .args([
                "x509",
                "-req",
                "-set_serial",
                "11",
                "-days",
                "30",
                "-sha256",
            ])
            .arg("-in")
            .arg(d.join("pss.csr"))
            .arg("-CA")
            .arg(fixture("test-ca.pem"))
            .arg("-CAkey")
            .arg(fixture("test-ca.key"))
            .arg("-extfile")
            .arg(&cnf)
            .arg("-out")
            .arg(d.join("pss.pem")),
    );
    assert!(ok, "{text}");
    let sign = |name: &str, md: &str, keyopts: &[&str]| -> Vec<u8> {
        let out = d.join(format!("{name}.p7s"));
        let mut cmd = Command::new(&openssl);
        cmd.args(["cms", "-sign", "-binary", "-outform", "DER", "-md", md])
            .arg("-in")
            .arg(&content)
            .arg("-signer")
            .arg(d.join("pss.pem"))
            .arg("-inkey")
            .arg(d.join("pss.key"))
            .args(["-keyopt", "rsa_padding_mode:pss"]);
        for k in keyopts {
            cmd.args(["-keyopt", k]);
        }
        let (ok, text) = run(
            &format!("openssl cms -sign ({name})"),
            cmd.arg("-out").arg(&out),
        );
        assert!(ok, "{text}");
        std::fs::read(out).unwrap()
    };
    let salt32 = sign("salt32", "sha256", &["rsa_pss_saltlen:32"]);
    let r = verify_cms(&salt32, Some(CONTENT), &trust);
    assert_eq!(r.verdict, Verdict::Valid, "salt 32: {}", r.detail);
    let salt20 = sign("salt20", "sha256", &["rsa_pss_saltlen:20"]);
    let r = verify_cms(&salt20, Some(CONTENT), &trust);
    assert_eq!(r.verdict, Verdict::Valid, "salt 20: {}", r.detail);
    // Salt 20 verifies only if the declared length is read: the card's exact check (salt 32)
    // refuses it.
    // SHA-1 in the PSS parameters: the mask generation alone, and hash and mask generation.
    for (name, md, opts) in [
        (
            "mgf1-sha1",
            "sha256",
            &["rsa_pss_saltlen:32", "rsa_mgf1_md:sha1"][..],
        ),
        ("sha1", "sha1", &["rsa_pss_saltlen:20"][..]),
    ] {
        let cms = sign(name, md, opts);
        let r = verify_cms(&cms, Some(CONTENT), &trust);
        assert_eq!(
            r.verdict,
            Verdict::UnsupportedAlgorithm,
            "{name}: {}",
            r.detail
        );
    }
    // One bit of the signature value changed (it ends the DER: no unsigned attributes).
    let mut tampered = salt20.clone();
    *tampered.last_mut().unwrap() ^= 0x01;
    let r = verify_cms(&tampered, Some(CONTENT), &trust);
    assert_eq!(r.verdict, Verdict::BadSignature, "tampered: {}", r.detail);
    let mut tampered = salt32;
    *tampered.last_mut().unwrap() ^= 0x01;
    let r = verify_cms(&tampered, Some(CONTENT), &trust);
    assert_eq!(r.verdict, Verdict::BadSignature, "tampered: {}", r.detail);
}
