//! Sign a message with the user-authentication key, then check the signature yourself.
//!
//! [`Jpki::sign`](mynacard::cert::Jpki::sign) verifies the PIN, signs, and by default already checks the signature against
//! the key's certificate (`checked` says so). The second check below is what a relying party
//! does with nothing but the certificate and the signature.
//!
//! ```sh
//! cargo run --example sign --features sim
//! ```

use mynacard::cert::CertKind;
use mynacard::credential::AuthPin;
use mynacard::crypto::HashAlgorithm;
use mynacard::sign::{verify_signature, SignOptions, SignatureScheme, ToSign};
use mynacard::sim::VirtualCard;
use mynacard::Card;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut card = Card::new(VirtualCard::new());
    let message = b"I agree to the terms.";
    let scheme = SignatureScheme::Pkcs1v15(HashAlgorithm::Sha256);

    // The virtual card's user-authentication PIN is 1234. A real program prompts for it.
    let pin = AuthPin::parse("1234")?;
    let signature = card.jpki().sign(
        &pin,
        scheme,
        ToSign::Message(message),
        &SignOptions::default(),
    )?;
    println!(
        "{} signature bytes, checked by the library: {}",
        signature.bytes.len(),
        signature.checked
    );

    // Anyone holding the certificate can check it again.
    let key = card.jpki().read_certificate(CertKind::Auth)?.public_key()?;
    verify_signature(&key, scheme, ToSign::Message(message), &signature.bytes)?;
    println!("checked against the certificate's public key: ok");

    // A changed message does not verify.
    let forged = verify_signature(&key, scheme, ToSign::Message(b"I agree."), &signature.bytes);
    assert!(forged.is_err());

    // End the card's security status: the verified PIN must not outlive the program.
    card.unpower()?;
    Ok(())
}
