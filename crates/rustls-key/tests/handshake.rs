//! TLS handshakes, in process, between a rustls server that requires a client certificate and
//! a rustls client whose key is the virtual card: TLS 1.3 (RSA-PSS) and TLS 1.2 (PSS, and
//! PKCS#1 v1.5 when the server accepts only that); a wrong PIN spends one try and fails the
//! handshake; the last try is refused; webpki's refusal of JPKI certificates, and why.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use mynacard::cert::{Certificate, TrustStore};
use mynacard::credential::AuthPin;
use mynacard::sim::{App, VirtualCard};
use mynacard::transport::{Transport, TransportCaps, TransportError};
use mynacard::{Card, LastTry};
use mynacard_rustls::{CardConn, CardKey, JpkiClientVerifier};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, DistinguishedName, RootCertStore,
    ServerConfig, ServerConnection, SignatureScheme, SupportedProtocolVersion,
};

/// Counts the card's exchanges.
struct Counting {
    inner: VirtualCard,
    count: Arc<AtomicUsize>,
}

impl Transport for Counting {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.count.fetch_add(1, Ordering::SeqCst);
        self.inner.transmit(command)
    }
    fn caps(&self) -> TransportCaps {
        self.inner.caps()
    }
}

/// A fresh virtual card with `tries` left on the authentication PIN, and its exchange counter.
fn card(tries: u8) -> (CardConn, Arc<AtomicUsize>) {
    let mut vc = VirtualCard::new();
    vc.set_tries_left(App::Jpki, 0x18, tries).unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let t: Box<dyn Transport + Send> = Box::new(Counting {
        inner: vc,
        count: count.clone(),
    });
    (Card::new(t), count)
}

// rustls deprecates its ring provider for lacking post-quantum key exchange (only
// aws-lc-rs has it, and it needs cmake); the key exchange is not what this crate is about.
#[allow(deprecated)]
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn virtual_auth_ca() -> Certificate {
    Certificate::from_der(&mynacard::sim::pki::virtual_auth_ca()).unwrap()
}

/// Wraps the JPKI verifier: records the schemes of the client's CertificateVerify, and can
/// narrow the schemes the server asks for.
#[derive(Debug)]
struct Recording {
    inner: JpkiClientVerifier,
    only: Option<Vec<SignatureScheme>>,
    seen: Mutex<Vec<SignatureScheme>>,
}

impl ClientCertVerifier for Recording {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }
    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        self.inner
            .verify_client_cert(end_entity, intermediates, now)
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.seen.lock().unwrap().push(dss.scheme);
        self.inner.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.seen.lock().unwrap().push(dss.scheme);
        self.inner.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        match &self.only {
            Some(s) => s.clone(),
            None => self.inner.supported_verify_schemes(),
        }
    }
}

struct Setup {
    client: ClientConnection,
    server: ServerConnection,
    verifier: Arc<Recording>,
}

fn setup(
    key: &CardKey,
    version: &'static SupportedProtocolVersion,
    only: Option<Vec<SignatureScheme>>,
) -> Setup {
    let server_id = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let server_cert = server_id.cert.der().clone();
    let server_key =
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_id.key_pair.serialize_der()));
    let trust = TrustStore::empty().with_custom_anchor(virtual_auth_ca());
    let verifier = Arc::new(Recording {
        inner: JpkiClientVerifier::new(trust),
        only,
        seen: Mutex::new(Vec::new()),
    });
    let server = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[version])
        .unwrap()
        .with_client_cert_verifier(verifier.clone())
        .with_single_cert(vec![server_cert.clone()], server_key)
        .unwrap();
    let mut roots = RootCertStore::empty();
    roots.add(server_cert).unwrap();
    let client = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(&[version])
        .unwrap()
        .with_root_certificates(roots)
        .with_client_cert_resolver(key.resolver());
    Setup {
        client: ClientConnection::new(Arc::new(client), "localhost".try_into().unwrap()).unwrap(),
        server: ServerConnection::new(Arc::new(server)).unwrap(),
        verifier,
    }
}

/// Moves records between the two until both finish or one fails (side, error).
fn handshake(
    client: &mut ClientConnection,
    server: &mut ServerConnection,
) -> Result<(), (&'static str, rustls::Error)> {
    for _ in 0..16 {
        let mut buf = Vec::new();
        while client.wants_write() {
            client.write_tls(&mut buf).unwrap();
        }
        let mut rd = &buf[..];
        while !rd.is_empty() {
            server.read_tls(&mut rd).unwrap();
            server.process_new_packets().map_err(|e| ("server", e))?;
        }
        let mut buf = Vec::new();
        while server.wants_write() {
            server.write_tls(&mut buf).unwrap();
        }
        let mut rd = &buf[..];
        while !rd.is_empty() {
            client.read_tls(&mut rd).unwrap();
            client.process_new_packets().map_err(|e| ("client", e))?;
        }
        if !client.is_handshaking() && !server.is_handshaking() {
            return Ok(());
        }
    }
    panic!("the handshake did not finish in 16 rounds");
}

fn pin(v: &str) -> AuthPin {
    AuthPin::parse(v).unwrap()
}

#[test]
fn tls13_handshake_signs_with_pss_and_the_server_sees_the_card() {
    let (conn, count) = card(3);
    let key = CardKey::new(conn, pin("1234"), LastTry::Refuse).unwrap();
    let reads = count.load(Ordering::SeqCst);
    let mut s = setup(&key, &rustls::version::TLS13, None);
    handshake(&mut s.client, &mut s.server).unwrap();
    assert_eq!(
        s.server.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
    let peer = s.server.peer_certificates().unwrap();
    assert_eq!(peer[0].as_ref(), key.certificate().der());
    assert_eq!(peer[1].as_ref(), virtual_auth_ca().der());
    assert_eq!(
        *s.verifier.seen.lock().unwrap(),
        vec![SignatureScheme::RSA_PSS_SHA256]
    );
    // The handshake's card work: status query (lockout guard), VERIFY, SIGN at most (the
    // application is already selected by the certificate reads).
    let signing = count.load(Ordering::SeqCst) - reads;
    eprintln!("card exchanges: {reads} to read the certificates, {signing} in the handshake");
    assert!(signing <= 4, "{signing} exchanges");
    assert_eq!(key.pin_status().unwrap().tries_left(), Some(3));
    // Application data flows both ways over the authenticated connection.
    use std::io::{Read, Write};
    s.client
        .writer()
        .write_all(b"GET / HTTP/1.0\r\n\r\n")
        .unwrap();
    let mut buf = Vec::new();
    s.client.write_tls(&mut buf).unwrap();
    s.server.read_tls(&mut &buf[..]).unwrap();
    s.server.process_new_packets().unwrap();
    let mut got = [0u8; 18];
    s.server.reader().read_exact(&mut got).unwrap();
    assert_eq!(&got, b"GET / HTTP/1.0\r\n\r\n");
}

#[test]
fn tls12_handshakes_sign_with_pss_or_pkcs1_as_the_server_asks() {
    for (only, expected) in [
        (None, SignatureScheme::RSA_PSS_SHA256),
        (
            Some(vec![SignatureScheme::RSA_PKCS1_SHA256]),
            SignatureScheme::RSA_PKCS1_SHA256,
        ),
    ] {
        let (conn, _) = card(3);
        let key = CardKey::new(conn, pin("1234"), LastTry::Refuse).unwrap();
        let mut s = setup(&key, &rustls::version::TLS12, only);
        handshake(&mut s.client, &mut s.server).unwrap();
        assert_eq!(
            s.server.protocol_version(),
            Some(rustls::ProtocolVersion::TLSv1_2)
        );
        assert_eq!(
            s.server.peer_certificates().unwrap()[0].as_ref(),
            key.certificate().der()
        );
        assert_eq!(*s.verifier.seen.lock().unwrap(), vec![expected]);
    }
}

#[test]
fn a_server_that_accepts_no_card_scheme_gets_no_certificate() {
    let (conn, count) = card(3);
    let key = CardKey::new(conn, pin("1234"), LastTry::Refuse).unwrap();
    let before = count.load(Ordering::SeqCst);
    let mut s = setup(
        &key,
        &rustls::version::TLS13,
        Some(vec![SignatureScheme::ECDSA_NISTP256_SHA256]),
    );
    let (side, e) = handshake(&mut s.client, &mut s.server).unwrap_err();
    assert_eq!(side, "server", "{e}");
    assert!(s.verifier.seen.lock().unwrap().is_empty());
    // The card was not used: no PIN sent.
    assert_eq!(count.load(Ordering::SeqCst), before);
}

#[test]
fn a_wrong_pin_spends_one_try_and_fails_the_handshake() {
    let (conn, _) = card(3);
    let key = CardKey::new(conn, pin("9999"), LastTry::Refuse).unwrap();
    let mut s = setup(&key, &rustls::version::TLS13, None);
    let (side, e) = handshake(&mut s.client, &mut s.server).unwrap_err();
    assert_eq!(side, "client");
    let text = e.to_string();
    assert!(text.contains("did not sign"), "{text}");
    assert!(
        text.contains('2'),
        "the tries left are in the error: {text}"
    );
    assert!(
        !text.contains("9999"),
        "the PIN is not in the error: {text}"
    );
    assert!(s.server.peer_certificates().is_none() || s.server.is_handshaking());
    assert_eq!(key.pin_status().unwrap().tries_left(), Some(2));
}

#[test]
fn the_last_try_is_refused_and_not_spent() {
    let (conn, _) = card(1);
    let key = CardKey::new(conn, pin("1234"), LastTry::Refuse).unwrap();
    let mut s = setup(&key, &rustls::version::TLS13, None);
    let (side, e) = handshake(&mut s.client, &mut s.server).unwrap_err();
    assert_eq!(side, "client", "{e}");
    assert_eq!(key.pin_status().unwrap().tries_left(), Some(1));
    // Allowed explicitly, the right PIN logs in (and the counter is back to 3).
    let (conn, _) = card(1);
    let key = CardKey::new(conn, pin("1234"), LastTry::Allow).unwrap();
    let mut s = setup(&key, &rustls::version::TLS13, None);
    handshake(&mut s.client, &mut s.server).unwrap();
    assert_eq!(key.pin_status().unwrap().tries_left(), Some(3));
}

/// webpki refuses the card's certificate: the JPKI end-entity certificates mark their
/// certificatePolicies extension critical (the real test card's too: tests/data), and webpki
/// does not process that extension. Hence `JpkiClientVerifier`.
#[test]
fn webpki_refuses_jpki_certificates_for_their_critical_policies() {
    let (conn, _) = card(3);
    let key = CardKey::new(conn, pin("1234"), LastTry::Refuse).unwrap();
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from(virtual_auth_ca().der().to_vec()))
        .unwrap();
    let webpki = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .build()
        .unwrap();
    let chain = key.certified_key().cert.clone();
    let e = webpki
        .verify_client_cert(&chain[0], &chain[1..], UnixTime::now())
        .unwrap_err();
    assert!(
        format!("{e:?}").contains("UnsupportedCriticalExtension"),
        "{e:?}"
    );
    // The same for the real JPKI test card's certificate (its policies are critical too).
    let real = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/jpki-auth-cert.der"
    ))
    .unwrap();
    let real = Certificate::from_der(&real).unwrap();
    let policies = real
        .x509()
        .tbs_certificate()
        .extensions()
        .unwrap()
        .iter()
        .find(|e| e.extn_id.to_string() == "2.5.29.32")
        .unwrap();
    assert!(policies.critical);
    // The library's chain check accepts the virtual chain.
    let jpki = JpkiClientVerifier::new(TrustStore::empty().with_custom_anchor(virtual_auth_ca()));
    jpki.verify_client_cert(&chain[0], &chain[1..], UnixTime::now())
        .unwrap();
    // And refuses it without the right anchor.
    let none = JpkiClientVerifier::new(TrustStore::production());
    assert!(none
        .verify_client_cert(&chain[0], &chain[1..], UnixTime::now())
        .is_err());
}
