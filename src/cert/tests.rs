use super::*;

#[test]
fn embedded_roots_parse_and_are_self_signed() {
    let p = TrustStore::production();
    assert_eq!(p.anchors().count(), 6);
    for (c, h) in p.anchors() {
        assert_eq!(h, Hierarchy::Production);
        assert!(c.is_self_issued());
        assert_eq!(c.is_signed_by(c), Ok(true), "{}", c.subject());
        assert!(c.subject().contains("O=JPKI,"), "{}", c.subject());
    }
    let t = TrustStore::production_and_test();
    assert_eq!(t.anchors().count(), 10);
}

#[test]
fn token_labels() {
    let mut d = vec![b' '; 160];
    d[..15].copy_from_slice(b"JPKIAPICCTOKEN2");
    assert_eq!(TokenInfo::parse(&d).unwrap().kind, TokenKind::PhysicalCard);
    d[..15].copy_from_slice(b"JPKIAPGPSETOKEN");
    assert_eq!(TokenInfo::parse(&d).unwrap().kind, TokenKind::AndroidPhone);
    let mut i = vec![b' '; 160];
    i[..14].copy_from_slice(b"JPKIAPIOSTOKEN");
    assert_eq!(TokenInfo::parse(&i).unwrap().kind, TokenKind::IPhone);
    i[..14].copy_from_slice(b"JPKIAPICCTOKEN");
    assert_eq!(TokenInfo::parse(&i).unwrap().kind, TokenKind::OldJukiCard);
    assert!(TokenInfo::parse(&[0xFF; 160]).is_err());
    assert!(TokenInfo::parse(&[b'A'; 10]).is_err());
    assert!(TokenInfo::parse(&[b' '; 160]).is_err());
}

#[test]
fn availability() {
    let a = CertAvailability::parse(&[0x8F, 0x8F, 0x00]).unwrap();
    assert_eq!((a.sign, a.auth), (Presence::Present, Presence::Present));
    let a = CertAvailability::parse(&[0x00, 0x8F, 0x00]).unwrap();
    assert_eq!(a.sign, Presence::Absent);
    assert_eq!(
        CertAvailability::parse(&[0x12, 0x8F]).unwrap().sign,
        Presence::Unknown(0x12)
    );
    assert!(CertAvailability::parse(&[0x8F]).is_err());
}
