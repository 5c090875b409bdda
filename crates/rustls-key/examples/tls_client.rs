//! Logs in to a TLS server that requires a client certificate, with the My Number Card's
//! user-authentication key, sends `GET / HTTP/1.0` and prints the answer.
//!
//! ```text
//! tls_client HOST:PORT --server-ca SERVER-CA.pem [--server-name NAME] [--tls12] [--allow-last-try]
//! ```
//!
//! The card: the virtual card whose state file `MYNACARD_SIM_STATE` names, else (feature
//! `pcsc`) the first PC/SC reader holding a My Number Card. The PIN: `MYNACARD_AUTH_PIN` if set
//! (for scripts), else asked on the terminal; never on the command line. With one try left the
//! PIN is not sent unless `--allow-last-try` is given.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::sync::Arc;

use mynacard::credential::AuthPin;
use mynacard::LastTry;
use mynacard_rustls::{CardConn, CardKey};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

struct Args {
    address: String,
    server_ca: String,
    server_name: Option<String>,
    tls12: bool,
    allow_last_try: bool,
}

fn args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut address = None;
    let mut server_ca = None;
    let mut server_name = None;
    let (mut tls12, mut allow_last_try) = (false, false);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--server-ca" => server_ca = it.next(),
            "--server-name" => server_name = it.next(),
            "--tls12" => tls12 = true,
            "--allow-last-try" => allow_last_try = true,
            s if !s.starts_with('-') && address.is_none() => address = Some(a),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        address: address.ok_or("missing HOST:PORT")?,
        server_ca: server_ca.ok_or("missing --server-ca FILE")?,
        server_name,
        tls12,
        allow_last_try,
    })
}

fn open_card() -> Result<CardConn, String> {
    if let Some(state) = std::env::var_os("MYNACARD_SIM_STATE") {
        let vc = mynacard::sim::VirtualCard::open(std::path::Path::new(&state))
            .map_err(|e| format!("virtual card: {e}"))?;
        return Ok(mynacard::Card::new(Box::new(vc)));
    }
    #[cfg(feature = "pcsc")]
    {
        let t = mynacard::pcsc::open(
            &mynacard::pcsc::ReaderChoice::Auto,
            &mynacard::pcsc::Options::default(),
            &mut |_| {},
        )
        .map_err(|e| format!("PC/SC: {e}"))?;
        return Ok(mynacard::Card::new(Box::new(t)));
    }
    #[allow(unreachable_code)]
    Err("no card: set MYNACARD_SIM_STATE, or build with --features pcsc".into())
}

fn read_pin() -> Result<AuthPin, String> {
    let value = match std::env::var("MYNACARD_AUTH_PIN") {
        Ok(v) => zeroize::Zeroizing::new(v),
        Err(_) => zeroize::Zeroizing::new(
            rpassword::prompt_password("User-authentication PIN (4 digits): ")
                .map_err(|e| format!("cannot read the PIN: {e}"))?,
        ),
    };
    AuthPin::parse(&value).map_err(|e| e.to_string())
}

// rustls deprecates its ring provider for lacking post-quantum key exchange (only
// aws-lc-rs has it, and it needs cmake); the key exchange is not what this crate is about.
#[allow(deprecated)]
fn run(a: &Args) -> Result<(), String> {
    let pin = read_pin()?;
    let key = CardKey::new(open_card()?, pin, LastTry::allow_if(a.allow_last_try))
        .map_err(|e| e.to_string())?;
    eprintln!("card certificate: {}", key.certificate().subject());
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(&a.server_ca).map_err(|e| e.to_string())? {
        roots
            .add(c.map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    }
    let versions: &[&rustls::SupportedProtocolVersion] = if a.tls12 {
        &[&rustls::version::TLS12]
    } else {
        &[&rustls::version::TLS13]
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(versions)
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_client_cert_resolver(key.resolver());
    let host = a.server_name.clone().unwrap_or_else(|| {
        a.address
            .rsplit_once(':')
            .map_or(&a.address[..], |h| h.0)
            .into()
    });
    let name = ServerName::try_from(host).map_err(|e| e.to_string())?;
    let conn = rustls::ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
    let sock = TcpStream::connect(&a.address).map_err(|e| format!("{}: {e}", a.address))?;
    let mut tls = rustls::StreamOwned::new(conn, sock);
    let result = (|| {
        tls.write_all(b"GET / HTTP/1.0\r\n\r\n")?;
        tls.flush()?;
        let mut answer = Vec::new();
        // A server may close without close_notify (openssl s_server -www does): keep what came.
        match tls.read_to_end(&mut answer) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !answer.is_empty() => {}
            Err(e) => return Err(e),
        }
        Ok(answer)
    })();
    match result {
        Ok(answer) => {
            eprintln!(
                "TLS {:?}, {:?}",
                tls.conn.protocol_version(),
                tls.conn.negotiated_cipher_suite().map(|s| s.suite())
            );
            std::io::stdout()
                .write_all(&answer)
                .map_err(|e| e.to_string())?;
            Ok(())
        }
        Err(e) => {
            let tries = key
                .pin_status()
                .ok()
                .and_then(|s| s.tries_left())
                .map(|n| format!(" (PIN tries left: {n})"))
                .unwrap_or_default();
            Err(format!("TLS handshake failed: {e}{tries}"))
        }
    }
}

fn main() -> ExitCode {
    let a = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}\nusage: tls_client HOST:PORT --server-ca FILE [--server-name NAME] [--tls12] [--allow-last-try]");
            return ExitCode::from(2);
        }
    };
    match run(&a) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tls_client: {e}");
            ExitCode::FAILURE
        }
    }
}
