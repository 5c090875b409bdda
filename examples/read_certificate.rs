//! Read the user-authentication certificate and print it.
//!
//! The certificate is free to read: no PIN is needed. This example uses the built-in virtual
//! card; with a real reader, build the [`Card`] on a PC/SC transport instead (see
//! `pcsc_status.rs`).
//!
//! ```sh
//! cargo run --example read_certificate --features sim
//! ```

use mynacard::cert::CertKind;
use mynacard::sim::VirtualCard;
use mynacard::Card;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut card = Card::new(VirtualCard::new());

    let cert = card.jpki().read_certificate(CertKind::Auth)?;
    println!("subject:     {}", cert.subject());
    println!("issuer:      {}", cert.issuer());
    println!("valid until: {}", cert.not_after());
    println!("public key:  {}", cert.public_key()?);
    println!("SHA-256:     {}", cert.sha256_fingerprint());
    print!("{}", cert.to_pem());
    Ok(())
}
