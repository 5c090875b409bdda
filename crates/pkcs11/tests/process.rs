//! The module and the virtual card across processes and over large inputs: a child made by
//! `fork()` never uses the parent's card (so no sequence of processes gets more wrong-PIN
//! answers than the card's limit), and signing a large input holds none of it in memory.
//!
//! The `unsafe` here is `fork()`, `waitpid()` and `_exit()` (through `libc`) and the raw C calls
//! of [`common::raw`]. Each child only calls the module, writes one small file and leaves with
//! `_exit`, running none of the parent's clean-up. The tests of this binary take turns (the
//! module is process-wide), so no other test holds the module's lock when a child is forked.

// fork(), waitpid(), _exit() and the raw C calls; the workspace lints deny `unsafe_code` elsewhere.
#![allow(unsafe_code)]
#![cfg(unix)]

mod common;

use std::path::Path;
use std::ptr::null_mut;

use common::raw::{call, Raw, *};
use common::Card;

const NULL: *mut std::ffi::c_void = null_mut();

/// Forks; the child runs `child` (which returns the line it reports), writes the line to
/// `out` and leaves with `_exit(0)`. Returns the child's pid.
fn fork_child(out: &Path, child: impl FnOnce() -> String) -> libc::pid_t {
    // SAFETY: fork() has no preconditions; the child below calls only the module, the
    // allocator and the file system, and leaves with _exit.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let line = std::panic::catch_unwind(std::panic::AssertUnwindSafe(child))
            .unwrap_or_else(|_| "panicked".into());
        let code = if std::fs::write(out, line).is_ok() {
            0
        } else {
            1
        };
        // SAFETY: _exit ends the child at once, without running the parent's atexit handlers
        // or destructors (which belong to the parent).
        unsafe { libc::_exit(code) };
    }
    pid
}

/// Waits for a child and returns what it reported.
fn report(pid: libc::pid_t, out: &Path) -> String {
    let mut status = 0;
    // SAFETY: `pid` is our child, `status` a live int.
    let r = unsafe { libc::waitpid(pid, &mut status, 0) };
    assert_eq!(r, pid, "waitpid");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "child {pid} failed: status {status}"
    );
    std::fs::read_to_string(out).unwrap()
}

fn pin(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

/// `C_OpenSession` on the authentication token, then `C_Login` with `value` as `user`: both
/// return values.
fn open_and_login(r: &Raw, user: CK_USER_TYPE, value: &str) -> (CK_RV, CK_RV) {
    let mut h: CK_SESSION_HANDLE = 0;
    let open = call!(
        r,
        C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, None, &mut h)
    );
    if open != CKR_OK {
        return (open, CKR_OK);
    }
    let mut p = pin(value);
    let login = call!(r, C_Login(h, user, p.as_mut_ptr(), p.len() as CK_ULONG));
    (open, login)
}

#[test]
fn a_forked_child_never_uses_the_parents_card() {
    let card = Card::new();
    let r = Raw::load();
    assert_eq!(call!(r, C_Initialize(NULL)), CKR_OK);
    let mut ti = CK_TOKEN_INFO::default();
    assert_eq!(call!(r, C_GetTokenInfo(0, &mut ti)), CKR_OK);
    assert_eq!(ti.flags & CKF_USER_PIN_COUNT_LOW, 0);

    // Six children of the initialized module, each trying the wrong PIN without C_Initialize:
    // every call is CKR_CRYPTOKI_NOT_INITIALIZED, nothing reaches the card.
    let mut kids = Vec::new();
    for i in 0..6 {
        let out = card.dir.path().join(format!("a{i}"));
        let r = &r;
        let pid = fork_child(&out, || {
            let (open, login) = open_and_login(r, CKU_USER, "9999");
            let mut ti = CK_TOKEN_INFO::default();
            let info = call!(r, C_GetTokenInfo(0, &mut ti));
            let fin = call!(r, C_Finalize(NULL));
            format!("{open} {login} {info} {fin}")
        });
        kids.push((pid, out));
    }
    let ni = CKR_CRYPTOKI_NOT_INITIALIZED;
    for (pid, out) in kids {
        let got = report(pid, &out);
        assert_eq!(got, format!("{ni} 0 {ni} {ni}"), "child {pid}");
    }
    assert_eq!(card.tries(), (3, 5), "no child spent a try");

    // Six children that initialize the module again, one after the other: each has a module of
    // its own and opens the card itself. Every wrong answer is on the card: two tries, then the
    // last one is refused, whatever the number of processes.
    let mut wrong = 0;
    for i in 0..6 {
        let out = card.dir.path().join(format!("b{i}"));
        let r = &r;
        let pid = fork_child(&out, || {
            let init = call!(r, C_Initialize(NULL));
            let (open, login) = open_and_login(r, CKU_USER, "9999");
            let fin = call!(r, C_Finalize(NULL));
            format!("{init} {open} {login} {fin}")
        });
        let got = report(pid, &out);
        let rvs: Vec<CK_RV> = got.split(' ').map(|v| v.parse().unwrap()).collect();
        assert_eq!((rvs[0], rvs[1], rvs[3]), (CKR_OK, CKR_OK, CKR_OK), "{got}");
        if rvs[2] == CKR_PIN_INCORRECT {
            wrong += 1;
        } else {
            assert_eq!(
                rvs[2], CKR_FUNCTION_REJECTED,
                "the last try is refused: {got}"
            );
        }
        assert_eq!(
            card.tries().0,
            3 - wrong,
            "the card counted every wrong answer"
        );
    }
    assert_eq!(
        wrong, 2,
        "no more wrong answers than the card allows before its last try"
    );

    // The parent's module still works, with the card's real counter (one try left).
    let (open, login) = open_and_login(&r, CKU_USER, "1234");
    assert_eq!((open, login), (CKR_OK, CKR_FUNCTION_REJECTED));
    let (open, login) = open_and_login(&r, mynacard_pkcs11::CKU_MYNACARD_ALLOW_LAST_TRY, "1234");
    assert_eq!((open, login), (CKR_OK, CKR_OK));
    assert_eq!(call!(r, C_Finalize(NULL)), CKR_OK);
    assert_eq!(card.tries(), (3, 5));

    // Six children at once, each with a module of its own: some find the card in use by a
    // sibling (CKR_DEVICE_ERROR), and the wrong answers are never more than the card counted,
    // nor more than it allows before the last try.
    let mut kids = Vec::new();
    for i in 0..6 {
        let out = card.dir.path().join(format!("c{i}"));
        let r = &r;
        let pid = fork_child(&out, || {
            let init = call!(r, C_Initialize(NULL));
            let (_, login) = open_and_login(r, CKU_USER, "9999");
            let fin = call!(r, C_Finalize(NULL));
            format!("{init} {login} {fin}")
        });
        kids.push((pid, out));
    }
    let mut wrong = 0;
    for (pid, out) in kids {
        let got = report(pid, &out);
        let rvs: Vec<CK_RV> = got.split(' ').map(|v| v.parse().unwrap()).collect();
        assert_eq!((rvs[0], rvs[2]), (CKR_OK, CKR_OK), "{got}");
        match rvs[1] {
            CKR_PIN_INCORRECT => wrong += 1,
            CKR_FUNCTION_REJECTED | CKR_DEVICE_ERROR => {}
            other => panic!("child {pid}: C_Login answered {other:#x}"),
        }
    }
    assert!(wrong <= 2, "{wrong} wrong answers");
    assert_eq!(
        card.tries().0,
        3 - wrong,
        "the card counted every wrong answer"
    );
}

/// Waits until `path` exists (another process creates it), for at most 20 s.
fn wait_for(path: &Path) -> bool {
    for _ in 0..2000 {
        if path.exists() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    false
}

#[test]
fn a_child_that_initializes_again_does_not_keep_the_parents_lock() {
    let card = Card::new();
    let r = Raw::load();
    assert_eq!(call!(r, C_Initialize(NULL)), CKR_OK);
    // The parent holds the card: a session is open.
    let mut h: CK_SESSION_HANDLE = 0;
    assert_eq!(
        call!(r, C_OpenSession(0, CKF_SERIAL_SESSION, NULL, None, &mut h)),
        CKR_OK
    );
    let mut ti = CK_TOKEN_INFO::default();
    assert_eq!(call!(r, C_GetTokenInfo(0, &mut ti)), CKR_OK);
    let ready = card.dir.path().join("ready");
    let go = card.dir.path().join("go");
    let out = card.dir.path().join("child");
    let (rr, ready2, go2) = (&r, ready.clone(), go.clone());
    let pid = fork_child(&out, move || {
        let init = call!(rr, C_Initialize(NULL));
        let _ = std::fs::write(&ready2, "");
        if !wait_for(&go2) {
            return "no go".into();
        }
        // The parent has let go: the child's own module opens the card.
        let mut ti = CK_TOKEN_INFO::default();
        let info = call!(rr, C_GetTokenInfo(0, &mut ti));
        let fin = call!(rr, C_Finalize(NULL));
        format!("{init} {info} {fin}")
    });
    assert!(wait_for(&ready), "the child did not start");
    // Closing the last session lets go of the card (and its lock).
    assert_eq!(call!(r, C_CloseSession(h)), CKR_OK);
    std::fs::write(&go, "").unwrap();
    assert_eq!(
        report(pid, &out),
        "0 0 0",
        "the child opened the card itself"
    );
    assert_eq!(call!(r, C_Finalize(NULL)), CKR_OK);
    assert_eq!(card.tries(), (3, 5));
}

#[test]
fn a_forked_child_of_a_library_user_cannot_use_the_virtual_card() {
    use mynacard::credential::AuthPin;
    use mynacard::sim::{App, StateError, VirtualCard};
    use mynacard::transport::TransportError;
    use mynacard::{Error, LastTry};

    let t = Card::new();
    let path = t.dir.path().join("library.json");
    let mut card = mynacard::Card::new(VirtualCard::open(&path).unwrap());
    let out = t.dir.path().join("child");
    let pid = fork_child(&out, || {
        let card = &mut card;
        let wrong = AuthPin::parse("9999").unwrap();
        let verify = match card.verify_with(&wrong, LastTry::allow_if(true)) {
            Err(Error::Transport(TransportError::Backend(m))) if m.contains("fork") => "refused",
            Err(e) => return format!("verify: unexpected {e}"),
            Ok(()) => return "verify: accepted".into(),
        };
        let vc = card.session_mut().transport_mut();
        let set = match vc.set_tries_left(App::Jpki, 0x18, 1) {
            Err(StateError::OtherProcess { .. }) => "refused",
            other => return format!("set_tries_left: unexpected {other:?}"),
        };
        format!("{verify} {set}")
    });
    assert_eq!(report(pid, &out), "refused refused");
    // The parent's card is untouched and still works.
    let status = card.pin_status(mynacard::pin::PinKind::UserAuth).unwrap();
    assert_eq!(status.tries_left(), Some(3));
    card.verify(&AuthPin::parse("1234").unwrap()).unwrap();
    drop(card);
    let vc = VirtualCard::open(&path).unwrap();
    assert_eq!(
        vc.tries_left(App::Jpki, 0x18),
        Some(3),
        "nothing saved by the child"
    );
}

/// The process's peak resident set (`VmHWM`), in bytes.
#[cfg(target_os = "linux")]
fn peak_rss() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = s.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

#[cfg(target_os = "linux")]
#[test]
fn signing_256_mb_in_parts_holds_none_of_it() {
    use sha2::{Digest, Sha256};

    let card = Card::new();
    let r = Raw::load();
    assert_eq!(call!(r, C_Initialize(NULL)), CKR_OK);
    let mut h: CK_SESSION_HANDLE = 0;
    assert_eq!(
        call!(r, C_OpenSession(0, CKF_SERIAL_SESSION, NULL, None, &mut h)),
        CKR_OK
    );
    let mut p = pin("1234");
    assert_eq!(call!(r, C_Login(h, CKU_USER, p.as_mut_ptr(), 4)), CKR_OK);
    // The private key of the authentication token (slot 0): the third object of the slot.
    let key: CK_OBJECT_HANDLE = 3;
    let mut mech = CK_MECHANISM {
        mechanism: CKM_SHA256_RSA_PKCS,
        pParameter: NULL,
        ulParameterLen: 0,
    };
    assert_eq!(call!(r, C_SignInit(h, &mut mech, key)), CKR_OK);
    let mut part: Vec<u8> = (0..1 << 20).map(|i| (i * 7 % 251) as u8).collect();
    let mut expected = Sha256::new();
    let before = peak_rss();
    const PARTS: usize = 256;
    for _ in 0..PARTS {
        expected.update(&part);
        let n = part.len() as CK_ULONG;
        assert_eq!(call!(r, C_SignUpdate(h, part.as_mut_ptr(), n)), CKR_OK);
    }
    let grown = peak_rss().saturating_sub(before);
    // The input is 256 MiB; the module may hold a hash state, not the data.
    assert!(
        grown < 32 << 20,
        "the peak resident set grew by {} MiB over {PARTS} MiB of C_SignUpdate",
        grown >> 20
    );
    let mut sig = vec![0u8; 256];
    let mut len = sig.len() as CK_ULONG;
    assert_eq!(call!(r, C_SignFinal(h, sig.as_mut_ptr(), &mut len)), CKR_OK);
    assert_eq!(len, 256);

    // CKM_RSA_PKCS, whose data is signed as given, gathers at most what a 4096-bit key can
    // sign: more ends the operation with CKR_DATA_LEN_RANGE at once.
    mech.mechanism = CKM_RSA_PKCS;
    assert_eq!(call!(r, C_SignInit(h, &mut mech, key)), CKR_OK);
    assert_eq!(call!(r, C_SignUpdate(h, part.as_mut_ptr(), 400)), CKR_OK);
    assert_eq!(
        call!(r, C_SignUpdate(h, part.as_mut_ptr(), 200)),
        CKR_DATA_LEN_RANGE
    );
    assert_eq!(
        call!(r, C_SignUpdate(h, part.as_mut_ptr(), 1)),
        CKR_OPERATION_NOT_INITIALIZED
    );
    assert_eq!(call!(r, C_Finalize(NULL)), CKR_OK);

    // The signature covers all 256 MiB: checked here against the certificate's key.
    let mut c = mynacard::Card::new(card.open());
    let cert = c
        .jpki()
        .read_certificate(mynacard::cert::CertKind::Auth)
        .unwrap();
    let key = cert.public_key().unwrap();
    let di = mynacard::crypto::HashAlgorithm::Sha256.digest_info(&expected.finalize());
    let rsa_key = key.as_rsa().unwrap();
    let k = rsa::PublicKey::try_from(rsa::pkcs1::RsaPublicKey {
        modulus: der::asn1::UintRef::new(&rsa_key.modulus).unwrap(),
        public_exponent: der::asn1::UintRef::new(&rsa_key.exponent).unwrap(),
    })
    .unwrap();
    k.verify(rsa::Pkcs1v15Sign::new_unprefixed(), &di, &sig)
        .expect("the signature covers every part");
}
