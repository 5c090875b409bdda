//! Every implemented function with bad arguments, through the raw C interface: null pointers,
//! wrong handles, small buffers (`CKR_BUFFER_TOO_SMALL` with the right length), calls out of
//! order.

// Calls into the module through its raw C interface (`common::raw`); the workspace lints deny
// `unsafe_code` elsewhere.
#![allow(unsafe_code)]

mod common;

use std::ptr::null_mut;

use common::raw::*;
use common::Card;

const NULL: *mut std::ffi::c_void = null_mut();

fn pin(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

#[test]
fn before_initialize_and_initialize_arguments() {
    let _card = Card::new();
    let r = Raw::load();
    let mut n: CK_ULONG = 0;
    assert_eq!(
        call!(r, C_GetSlotList(0, null_mut(), &mut n)),
        CKR_CRYPTOKI_NOT_INITIALIZED
    );
    assert_eq!(call!(r, C_Finalize(NULL)), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_eq!(call!(r, C_CloseSession(1)), CKR_CRYPTOKI_NOT_INITIALIZED);
    assert_eq!(
        call!(r, C_Encrypt(1, null_mut(), 0, null_mut(), null_mut())),
        CKR_CRYPTOKI_NOT_INITIALIZED
    );
    // pReserved must be null; mutex functions all or none; the application's mutexes alone
    // (without CKF_OS_LOCKING_OK) cannot be used.
    let mut args = CK_C_INITIALIZE_ARGS {
        CreateMutex: None,
        DestroyMutex: None,
        LockMutex: None,
        UnlockMutex: None,
        flags: 0,
        pReserved: std::ptr::dangling_mut(),
    };
    assert_eq!(
        call!(r, C_Initialize(&mut args as *mut _ as *mut _)),
        CKR_ARGUMENTS_BAD
    );
    unsafe extern "C" fn create(_m: *mut *mut std::ffi::c_void) -> CK_RV {
        CKR_OK
    }
    unsafe extern "C" fn other(_m: *mut std::ffi::c_void) -> CK_RV {
        CKR_OK
    }
    args.pReserved = null_mut();
    args.CreateMutex = Some(create);
    assert_eq!(
        call!(r, C_Initialize(&mut args as *mut _ as *mut _)),
        CKR_ARGUMENTS_BAD
    );
    args.DestroyMutex = Some(other);
    args.LockMutex = Some(other);
    args.UnlockMutex = Some(other);
    assert_eq!(
        call!(r, C_Initialize(&mut args as *mut _ as *mut _)),
        CKR_CANT_LOCK
    );
    args.flags = CKF_OS_LOCKING_OK;
    assert_eq!(
        call!(r, C_Initialize(&mut args as *mut _ as *mut _)),
        CKR_OK
    );
    assert_eq!(
        call!(r, C_Initialize(NULL)),
        CKR_CRYPTOKI_ALREADY_INITIALIZED
    );
    assert_eq!(
        call!(r, C_Finalize(std::ptr::dangling_mut())),
        CKR_ARGUMENTS_BAD
    );
    assert_eq!(call!(r, C_Finalize(NULL)), CKR_OK);
    let mut list: *mut CK_FUNCTION_LIST = null_mut();
    assert_eq!(call!(r, C_GetFunctionList(null_mut())), CKR_ARGUMENTS_BAD);
    assert_eq!(call!(r, C_GetFunctionList(&mut list)), CKR_OK);
    assert!(!list.is_null());
}

#[test]
fn slots_tokens_and_mechanisms() {
    let _card = Card::new();
    let r = Raw::load();
    assert_eq!(call!(r, C_Initialize(NULL)), CKR_OK);
    assert_eq!(call!(r, C_GetInfo(null_mut())), CKR_ARGUMENTS_BAD);
    let mut info = CK_INFO::default();
    assert_eq!(call!(r, C_GetInfo(&mut info)), CKR_OK);
    assert_eq!(
        (info.cryptokiVersion.major, info.cryptokiVersion.minor),
        (2, 40)
    );
    // Slot list: length query, too small, right size.
    let mut n: CK_ULONG = 0;
    assert_eq!(
        call!(r, C_GetSlotList(1, null_mut(), null_mut())),
        CKR_ARGUMENTS_BAD
    );
    assert_eq!(call!(r, C_GetSlotList(1, null_mut(), &mut n)), CKR_OK);
    assert_eq!(n, 2);
    let mut slots = [CK_ULONG::MAX; 2];
    n = 1;
    assert_eq!(
        call!(r, C_GetSlotList(1, slots.as_mut_ptr(), &mut n)),
        CKR_BUFFER_TOO_SMALL
    );
    assert_eq!(n, 2, "the length needed");
    assert_eq!(slots, [CK_ULONG::MAX; 2], "nothing written");
    assert_eq!(
        call!(r, C_GetSlotList(1, slots.as_mut_ptr(), &mut n)),
        CKR_OK
    );
    assert_eq!(slots, [0, 1]);
    // Wrong slots and null outputs.
    let mut si = CK_SLOT_INFO::default();
    let mut ti = CK_TOKEN_INFO::default();
    assert_eq!(call!(r, C_GetSlotInfo(2, &mut si)), CKR_SLOT_ID_INVALID);
    assert_eq!(call!(r, C_GetSlotInfo(0, null_mut())), CKR_ARGUMENTS_BAD);
    assert_eq!(call!(r, C_GetSlotInfo(0, &mut si)), CKR_OK);
    assert_ne!(si.flags & CKF_TOKEN_PRESENT, 0);
    assert_eq!(call!(r, C_GetTokenInfo(7, &mut ti)), CKR_SLOT_ID_INVALID);
    assert_eq!(call!(r, C_GetTokenInfo(1, null_mut())), CKR_ARGUMENTS_BAD);
    assert_eq!(call!(r, C_GetTokenInfo(1, &mut ti)), CKR_OK);
    assert_eq!((ti.ulMinPinLen, ti.ulMaxPinLen), (6, 16));
    // Mechanisms.
    let mut mechs = [0 as CK_MECHANISM_TYPE; 7];
    n = 0;
    assert_eq!(call!(r, C_GetMechanismList(0, null_mut(), &mut n)), CKR_OK);
    assert_eq!(n, 7);
    n = 6;
    assert_eq!(
        call!(r, C_GetMechanismList(0, mechs.as_mut_ptr(), &mut n)),
        CKR_BUFFER_TOO_SMALL
    );
    assert_eq!(n, 7);
    assert_eq!(
        call!(r, C_GetMechanismList(0, mechs.as_mut_ptr(), &mut n)),
        CKR_OK
    );
    assert!(mechs.contains(&CKM_RSA_PKCS) && mechs.contains(&CKM_SHA512_RSA_PKCS));
    assert!(!mechs.contains(&CKM_RSA_X_509), "the card always pads");
    // PSS: the card's SHA-256 PSS (P1=04) is offered, raw and hashing here; no other hash.
    for pss in [CKM_RSA_PKCS_PSS, CKM_SHA256_RSA_PKCS_PSS] {
        assert!(mechs.contains(&pss), "{pss:#x}: the card's PSS");
        let mut mi = CK_MECHANISM_INFO::default();
        assert_eq!(call!(r, C_GetMechanismInfo(0, pss, &mut mi)), CKR_OK);
        assert_eq!(mi.flags, CKF_HW | CKF_SIGN);
        assert_eq!(mi.ulMinKeySize, 2048);
    }
    for pss in [
        CKM_SHA1_RSA_PKCS_PSS,
        CKM_SHA384_RSA_PKCS_PSS,
        CKM_SHA512_RSA_PKCS_PSS,
    ] {
        assert!(!mechs.contains(&pss), "{pss:#x}: no PSS but SHA-256's");
        let mut mi = CK_MECHANISM_INFO::default();
        assert_eq!(
            call!(r, C_GetMechanismInfo(0, pss, &mut mi)),
            CKR_MECHANISM_INVALID
        );
    }
    assert_eq!(
        call!(r, C_GetMechanismList(9, mechs.as_mut_ptr(), &mut n)),
        CKR_SLOT_ID_INVALID
    );
    let mut mi = CK_MECHANISM_INFO::default();
    assert_eq!(
        call!(r, C_GetMechanismInfo(0, CKM_RSA_X_509, &mut mi)),
        CKR_MECHANISM_INVALID
    );
    assert_eq!(
        call!(r, C_GetMechanismInfo(0, CKM_RSA_PKCS, null_mut())),
        CKR_ARGUMENTS_BAD
    );
    assert_eq!(
        call!(r, C_GetMechanismInfo(0, CKM_RSA_PKCS, &mut mi)),
        CKR_OK
    );
    assert_ne!(mi.flags & CKF_SIGN, 0);
    // Functions the card cannot do.
    assert_eq!(
        call!(r, C_InitToken(0, null_mut(), 0, null_mut())),
        CKR_FUNCTION_NOT_SUPPORTED
    );
    assert_eq!(
        call!(r, C_SeedRandom(1, null_mut(), 0)),
        CKR_FUNCTION_NOT_SUPPORTED
    );
    // C_GenerateRandom is supported (GET CHALLENGE): it needs a session.
    assert_eq!(
        call!(r, C_GenerateRandom(1, null_mut(), 0)),
        CKR_SESSION_HANDLE_INVALID
    );
    assert_eq!(call!(r, C_Finalize(NULL)), CKR_OK);
}

#[test]
fn slot_events_dont_block_and_arguments() {
    let _card = Card::new();
    let r = Raw::load();
    let mut slot: CK_SLOT_ID = 77;
    assert_eq!(
        call!(r, C_WaitForSlotEvent(CKF_DONT_BLOCK, &mut slot, NULL)),
        CKR_CRYPTOKI_NOT_INITIALIZED
    );
    assert_eq!(call!(r, C_Initialize(NULL)), CKR_OK);
    assert_eq!(
        call!(r, C_WaitForSlotEvent(CKF_DONT_BLOCK, null_mut(), NULL)),
        CKR_ARGUMENTS_BAD
    );
    assert_eq!(
        call!(
            r,
            C_WaitForSlotEvent(CKF_DONT_BLOCK, &mut slot, std::ptr::dangling_mut())
        ),
        CKR_ARGUMENTS_BAD,
        "pReserved must be null"
    );
    // Nothing the module reports changes between C_Initialize and C_Finalize, also not after
    // sessions, a login and a logout.
    assert_eq!(
        call!(r, C_WaitForSlotEvent(CKF_DONT_BLOCK, &mut slot, NULL)),
        CKR_NO_EVENT
    );
    let mut h: CK_SESSION_HANDLE = 0;
    assert_eq!(
        call!(r, C_OpenSession(0, CKF_SERIAL_SESSION, NULL, None, &mut h)),
        CKR_OK
    );
    let mut p = pin("1234");
    assert_eq!(call!(r, C_Login(h, CKU_USER, p.as_mut_ptr(), 4)), CKR_OK);
    assert_eq!(call!(r, C_Logout(h)), CKR_OK);
    assert_eq!(
        call!(r, C_WaitForSlotEvent(CKF_DONT_BLOCK, &mut slot, NULL)),
        CKR_NO_EVENT
    );
    assert_eq!(slot, 77, "no slot written without an event");
    // Without PC/SC nothing can change after C_Initialize, so blocking could only hang: refused
    // at once. (With feature `pcsc` the wait watches the readers: tests/e2e_slot_events.rs.)
    #[cfg(not(feature = "pcsc"))]
    assert_eq!(
        call!(r, C_WaitForSlotEvent(0, &mut slot, NULL)),
        CKR_FUNCTION_NOT_SUPPORTED
    );
    assert_eq!(call!(r, C_Finalize(NULL)), CKR_OK);
}

#[test]
fn interface_discovery_before_initialize_and_arguments() {
    let _card = Card::new();
    let r = Raw::load();
    let mut list: *mut CK_FUNCTION_LIST = null_mut();
    assert_eq!(call!(r, C_GetFunctionList(&mut list)), CKR_OK);
    // C_GetInterfaceList: length query, too small, right size (before C_Initialize, as
    // PKCS#11 3.0 allows).
    let mut n: CK_ULONG = 0;
    assert_eq!(
        call!(r, C_GetInterfaceList(null_mut(), null_mut())),
        CKR_ARGUMENTS_BAD
    );
    assert_eq!(call!(r, C_GetInterfaceList(null_mut(), &mut n)), CKR_OK);
    assert_eq!(n, 1, "one interface");
    let blank = CK_INTERFACE {
        pInterfaceName: null_mut(),
        pFunctionList: null_mut(),
        flags: 0xFF,
    };
    let mut ifs = [blank; 2];
    n = 0;
    assert_eq!(
        call!(r, C_GetInterfaceList(ifs.as_mut_ptr(), &mut n)),
        CKR_BUFFER_TOO_SMALL
    );
    assert_eq!(n, 1, "the length needed");
    assert!(ifs[0].pFunctionList.is_null(), "nothing written");
    n = 2;
    assert_eq!(
        call!(r, C_GetInterfaceList(ifs.as_mut_ptr(), &mut n)),
        CKR_OK
    );
    assert_eq!(n, 1);
    assert_eq!(interface_name(&ifs[0]), b"PKCS 11");
    assert_eq!(ifs[0].flags, 0, "no flags claimed");
    assert_eq!(
        ifs[0].pFunctionList as *mut CK_FUNCTION_LIST, list,
        "the same table as C_GetFunctionList"
    );
    assert!(ifs[1].pFunctionList.is_null(), "one entry written");
    let f = interface_functions(&ifs[0]);
    assert_eq!((f.version.major, f.version.minor), (2, 40));
    assert!(f.C_Sign.is_some() && f.C_WaitForSlotEvent.is_some());
    // C_GetInterface: the default, by name, by version; anything else is CKR_ARGUMENTS_BAD.
    let mut got: *mut CK_INTERFACE = null_mut();
    assert_eq!(
        call!(r, C_GetInterface(null_mut(), null_mut(), null_mut(), 0)),
        CKR_ARGUMENTS_BAD
    );
    assert_eq!(
        call!(r, C_GetInterface(null_mut(), null_mut(), &mut got, 0)),
        CKR_OK
    );
    assert!(!got.is_null());
    let default = interface_at(got);
    assert_eq!(interface_name(&default), b"PKCS 11");
    assert_eq!(default.pFunctionList as *mut CK_FUNCTION_LIST, list);
    let mut name = b"PKCS 11\0".to_vec();
    let mut v240 = CK_VERSION {
        major: 2,
        minor: 40,
    };
    got = null_mut();
    assert_eq!(
        call!(r, C_GetInterface(name.as_mut_ptr(), &mut v240, &mut got, 0)),
        CKR_OK
    );
    assert!(!got.is_null());
    let mut v30 = CK_VERSION { major: 3, minor: 0 };
    assert_eq!(
        call!(r, C_GetInterface(name.as_mut_ptr(), &mut v30, &mut got, 0)),
        CKR_ARGUMENTS_BAD,
        "no 3.0 function list"
    );
    assert_eq!(
        call!(
            r,
            C_GetInterface(null_mut(), null_mut(), &mut got, CKF_INTERFACE_FORK_SAFE)
        ),
        CKR_ARGUMENTS_BAD,
        "not fork-safe"
    );
    for other in [&b"PKCS 11 \0"[..], b"PKCS\0", b"Vendor NSS\0", b"\0"] {
        let mut other = other.to_vec();
        assert_eq!(
            call!(
                r,
                C_GetInterface(other.as_mut_ptr(), null_mut(), &mut got, 0)
            ),
            CKR_ARGUMENTS_BAD,
            "{other:?}"
        );
    }
    // A long name without a NUL in the first 65 bytes is refused without reading past it.
    let mut long = vec![b'P'; 65];
    long.push(0);
    assert_eq!(
        call!(
            r,
            C_GetInterface(long.as_mut_ptr(), null_mut(), &mut got, 0)
        ),
        CKR_ARGUMENTS_BAD
    );
    // The interface's table holds the module's own functions.
    let same = |a: Option<usize>, b: Option<usize>| a.is_some() && a == b;
    assert!(same(
        f.C_Initialize.map(|p| p as usize),
        r.0.C_Initialize.as_ref().ok().map(|p| *p as usize)
    ));
    assert!(same(
        f.C_GetFunctionList.map(|p| p as usize),
        r.0.C_GetFunctionList.as_ref().ok().map(|p| *p as usize)
    ));
}

#[test]
fn sessions_login_objects_and_signing() {
    let card = Card::new();
    let r = Raw::load();
    assert_eq!(call!(r, C_Initialize(NULL)), CKR_OK);
    let mut h: CK_SESSION_HANDLE = 0;
    assert_eq!(
        call!(r, C_OpenSession(0, 0, NULL, None, &mut h)),
        CKR_SESSION_PARALLEL_NOT_SUPPORTED
    );
    assert_eq!(
        call!(r, C_OpenSession(5, CKF_SERIAL_SESSION, NULL, None, &mut h)),
        CKR_SLOT_ID_INVALID
    );
    assert_eq!(
        call!(
            r,
            C_OpenSession(0, CKF_SERIAL_SESSION, NULL, None, null_mut())
        ),
        CKR_ARGUMENTS_BAD
    );
    assert_eq!(
        call!(r, C_OpenSession(0, CKF_SERIAL_SESSION, NULL, None, &mut h)),
        CKR_OK
    );
    let bad = h + 100;
    let mut si = CK_SESSION_INFO::default();
    assert_eq!(
        call!(r, C_GetSessionInfo(bad, &mut si)),
        CKR_SESSION_HANDLE_INVALID
    );
    assert_eq!(call!(r, C_GetSessionInfo(h, null_mut())), CKR_ARGUMENTS_BAD);
    assert_eq!(call!(r, C_GetSessionInfo(h, &mut si)), CKR_OK);
    assert_eq!(si.state, CKS_RO_PUBLIC_SESSION);
    // Login: wrong session, user types, null PIN.
    let mut p = pin("1234");
    assert_eq!(
        call!(r, C_Login(bad, CKU_USER, p.as_mut_ptr(), 4)),
        CKR_SESSION_HANDLE_INVALID
    );
    assert_eq!(
        call!(r, C_Login(h, CKU_SO, p.as_mut_ptr(), 4)),
        CKR_USER_TYPE_INVALID
    );
    assert_eq!(
        call!(r, C_Login(h, 77, p.as_mut_ptr(), 4)),
        CKR_USER_TYPE_INVALID
    );
    assert_eq!(
        call!(r, C_Login(h, CKU_USER, null_mut(), 0)),
        CKR_ARGUMENTS_BAD
    );
    let mut not_utf8 = vec![0xFF, 0xFE, 0x31, 0x32];
    assert_eq!(
        call!(r, C_Login(h, CKU_USER, not_utf8.as_mut_ptr(), 4)),
        CKR_PIN_INVALID
    );
    assert_eq!(call!(r, C_Logout(h)), CKR_USER_NOT_LOGGED_IN);
    assert_eq!(call!(r, C_Logout(bad)), CKR_SESSION_HANDLE_INVALID);
    assert_eq!(card.verifies_with_value(), 0);
    // The vendor user type logs in like CKU_USER (and would allow the last try).
    assert_eq!(
        call!(
            r,
            C_Login(
                h,
                mynacard_pkcs11::CKU_MYNACARD_ALLOW_LAST_TRY,
                p.as_mut_ptr(),
                4
            )
        ),
        CKR_OK
    );
    assert_eq!(
        call!(r, C_Login(h, CKU_USER, p.as_mut_ptr(), 4)),
        CKR_USER_ALREADY_LOGGED_IN
    );
    assert_eq!(call!(r, C_GetSessionInfo(h, &mut si)), CKR_OK);
    assert_eq!(si.state, CKS_RO_USER_FUNCTIONS);
    // Finding objects.
    let mut objs = [0 as CK_OBJECT_HANDLE; 8];
    let mut n: CK_ULONG = 0;
    assert_eq!(
        call!(r, C_FindObjects(h, objs.as_mut_ptr(), 8, &mut n)),
        CKR_OPERATION_NOT_INITIALIZED
    );
    assert_eq!(
        call!(r, C_FindObjectsFinal(h)),
        CKR_OPERATION_NOT_INITIALIZED
    );
    assert_eq!(
        call!(r, C_FindObjectsInit(h, null_mut(), 1)),
        CKR_ARGUMENTS_BAD
    );
    assert_eq!(
        call!(r, C_FindObjectsInit(bad, null_mut(), 0)),
        CKR_SESSION_HANDLE_INVALID
    );
    let mut class = CKO_PRIVATE_KEY.to_ne_bytes();
    let mut tmpl = [CK_ATTRIBUTE {
        type_: CKA_CLASS,
        pValue: class.as_mut_ptr() as *mut _,
        ulValueLen: class.len() as CK_ULONG,
    }];
    assert_eq!(call!(r, C_FindObjectsInit(h, tmpl.as_mut_ptr(), 1)), CKR_OK);
    assert_eq!(
        call!(r, C_FindObjectsInit(h, tmpl.as_mut_ptr(), 1)),
        CKR_OPERATION_ACTIVE
    );
    assert_eq!(
        call!(r, C_FindObjects(h, null_mut(), 8, &mut n)),
        CKR_ARGUMENTS_BAD
    );
    assert_eq!(
        call!(r, C_FindObjects(h, objs.as_mut_ptr(), 8, null_mut())),
        CKR_ARGUMENTS_BAD
    );
    assert_eq!(
        call!(r, C_FindObjects(h, objs.as_mut_ptr(), 8, &mut n)),
        CKR_OK
    );
    assert_eq!(n, 1);
    let key = objs[0];
    assert_eq!(
        call!(r, C_FindObjects(h, objs.as_mut_ptr(), 8, &mut n)),
        CKR_OK
    );
    assert_eq!(n, 0, "each object once");
    assert_eq!(call!(r, C_FindObjectsFinal(h)), CKR_OK);
    // Find everything: certificate, public key, private key, one at a time.
    assert_eq!(call!(r, C_FindObjectsInit(h, null_mut(), 0)), CKR_OK);
    let mut all = Vec::new();
    loop {
        assert_eq!(
            call!(r, C_FindObjects(h, objs.as_mut_ptr(), 1, &mut n)),
            CKR_OK
        );
        if n == 0 {
            break;
        }
        all.push(objs[0]);
    }
    assert_eq!(all.len(), 4, "and the CA certificate");
    assert_eq!(call!(r, C_FindObjectsFinal(h)), CKR_OK);
    // The CA certificate (the last handle, ID 03): a length query, a small buffer, and the
    // attributes a certificate does not have.
    let ca = all[3];
    let mut id = [0u8; 4];
    let mut der = vec![0u8; 4096];
    let mut ca_attrs = [
        CK_ATTRIBUTE {
            type_: CKA_ID,
            pValue: id.as_mut_ptr() as *mut _,
            ulValueLen: 4,
        },
        CK_ATTRIBUTE {
            type_: CKA_VALUE,
            pValue: null_mut(),
            ulValueLen: 0,
        },
    ];
    assert_eq!(
        call!(r, C_GetAttributeValue(h, ca, ca_attrs.as_mut_ptr(), 2)),
        CKR_OK
    );
    assert_eq!(&id[..ca_attrs[0].ulValueLen as usize], &[3]);
    let der_len = ca_attrs[1].ulValueLen;
    assert!(der_len > 500 && der_len < 4096, "{der_len}");
    ca_attrs[1].pValue = der.as_mut_ptr() as *mut _;
    ca_attrs[1].ulValueLen = der_len - 1;
    assert_eq!(
        call!(r, C_GetAttributeValue(h, ca, ca_attrs[1..].as_mut_ptr(), 1)),
        CKR_BUFFER_TOO_SMALL
    );
    assert_eq!(ca_attrs[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    ca_attrs[1].ulValueLen = 4096;
    assert_eq!(
        call!(r, C_GetAttributeValue(h, ca, ca_attrs[1..].as_mut_ptr(), 1)),
        CKR_OK
    );
    assert_eq!(ca_attrs[1].ulValueLen, der_len);
    assert_eq!(der[0], 0x30, "a DER SEQUENCE");
    for t in [CKA_MODULUS, CKA_SIGN, CKA_PRIVATE_EXPONENT, CKA_KEY_TYPE] {
        let mut a = [CK_ATTRIBUTE {
            type_: t,
            pValue: null_mut(),
            ulValueLen: 0,
        }];
        assert_eq!(
            call!(r, C_GetAttributeValue(h, ca, a.as_mut_ptr(), 1)),
            CKR_ATTRIBUTE_TYPE_INVALID,
            "{t:#x}"
        );
        assert_eq!(a[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    }
    let mut m = CK_MECHANISM {
        mechanism: CKM_SHA256_RSA_PKCS,
        pParameter: null_mut(),
        ulParameterLen: 0,
    };
    assert_eq!(
        call!(r, C_SignInit(h, &mut m, ca)),
        CKR_KEY_FUNCTION_NOT_PERMITTED,
        "a certificate does not sign"
    );
    // Attributes: wrong object, null template, length query, small buffer, sensitive, unknown.
    let mut a = [CK_ATTRIBUTE {
        type_: CKA_MODULUS,
        pValue: null_mut(),
        ulValueLen: 0,
    }];
    assert_eq!(
        call!(r, C_GetAttributeValue(h, 999, a.as_mut_ptr(), 1)),
        CKR_OBJECT_HANDLE_INVALID
    );
    assert_eq!(
        call!(r, C_GetAttributeValue(h, key, null_mut(), 1)),
        CKR_ARGUMENTS_BAD
    );
    assert_eq!(
        call!(r, C_GetAttributeValue(h, key, a.as_mut_ptr(), 1)),
        CKR_OK
    );
    assert_eq!(a[0].ulValueLen, 256);
    let mut small = [0u8; 100];
    a[0].pValue = small.as_mut_ptr() as *mut _;
    a[0].ulValueLen = 100;
    assert_eq!(
        call!(r, C_GetAttributeValue(h, key, a.as_mut_ptr(), 1)),
        CKR_BUFFER_TOO_SMALL
    );
    assert_eq!(a[0].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    let mut big = [0u8; 300];
    let mut bits = [0u8; std::mem::size_of::<CK_ULONG>()];
    let mut three = [
        CK_ATTRIBUTE {
            type_: CKA_MODULUS,
            pValue: big.as_mut_ptr() as *mut _,
            ulValueLen: 300,
        },
        CK_ATTRIBUTE {
            type_: CKA_PRIVATE_EXPONENT,
            pValue: null_mut(),
            ulValueLen: 0,
        },
        CK_ATTRIBUTE {
            type_: 0x7777_0000,
            pValue: null_mut(),
            ulValueLen: 0,
        },
        CK_ATTRIBUTE {
            type_: CKA_MODULUS_BITS,
            pValue: bits.as_mut_ptr() as *mut _,
            ulValueLen: bits.len() as CK_ULONG,
        },
    ];
    let rv = call!(r, C_GetAttributeValue(h, key, three.as_mut_ptr(), 4));
    assert!(
        rv == CKR_ATTRIBUTE_SENSITIVE || rv == CKR_ATTRIBUTE_TYPE_INVALID,
        "{rv:#x}"
    );
    assert_eq!(three[0].ulValueLen, 256, "the others are still filled in");
    assert_eq!(three[1].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    assert_eq!(three[2].ulValueLen, CK_UNAVAILABLE_INFORMATION);
    assert_eq!(CK_ULONG::from_ne_bytes(bits), 2048);
    let mut size: CK_ULONG = 0;
    assert_eq!(
        call!(r, C_GetObjectSize(h, 999, &mut size)),
        CKR_OBJECT_HANDLE_INVALID
    );
    assert_eq!(
        call!(r, C_GetObjectSize(h, key, null_mut())),
        CKR_ARGUMENTS_BAD
    );
    assert_eq!(call!(r, C_GetObjectSize(h, key, &mut size)), CKR_OK);
    // Signing: bad mechanism, parameters, keys, order, and the output convention.
    let mut m = CK_MECHANISM {
        mechanism: CKM_RSA_X_509,
        pParameter: null_mut(),
        ulParameterLen: 0,
    };
    let mut data = b"hello".to_vec();
    let mut sig = [0u8; 256];
    let mut len: CK_ULONG = 0;
    assert_eq!(
        call!(
            r,
            C_Sign(h, data.as_mut_ptr(), 5, sig.as_mut_ptr(), &mut len)
        ),
        CKR_OPERATION_NOT_INITIALIZED
    );
    assert_eq!(
        call!(r, C_SignUpdate(h, data.as_mut_ptr(), 5)),
        CKR_OPERATION_NOT_INITIALIZED
    );
    assert_eq!(
        call!(r, C_SignFinal(h, sig.as_mut_ptr(), &mut len)),
        CKR_OPERATION_NOT_INITIALIZED
    );
    assert_eq!(call!(r, C_SignInit(h, null_mut(), key)), CKR_ARGUMENTS_BAD);
    assert_eq!(call!(r, C_SignInit(h, &mut m, key)), CKR_MECHANISM_INVALID);
    // PSS with SHA-256 only: other PSS hashes are not mechanisms of this module.
    let card_pss = CK_RSA_PKCS_PSS_PARAMS {
        hashAlg: CKM_SHA256,
        mgf: CKG_MGF1_SHA256,
        sLen: 32,
    };
    for mech in [CKM_SHA1_RSA_PKCS_PSS, CKM_SHA384_RSA_PKCS_PSS] {
        let mut pss = card_pss;
        let mut m = CK_MECHANISM {
            mechanism: mech,
            pParameter: &mut pss as *mut _ as *mut _,
            ulParameterLen: std::mem::size_of::<CK_RSA_PKCS_PSS_PARAMS>() as CK_ULONG,
        };
        assert_eq!(call!(r, C_SignInit(h, &mut m, key)), CKR_MECHANISM_INVALID);
    }
    // Any PSS parameters but the card's (SHA-256, MGF1-SHA-256, salt 32) are refused, as are a
    // missing parameter and one of the wrong size.
    let wrong = [
        CK_RSA_PKCS_PSS_PARAMS {
            sLen: 20,
            ..card_pss
        },
        CK_RSA_PKCS_PSS_PARAMS {
            sLen: 0,
            ..card_pss
        },
        CK_RSA_PKCS_PSS_PARAMS {
            sLen: 222,
            ..card_pss
        },
        CK_RSA_PKCS_PSS_PARAMS {
            hashAlg: CKM_SHA_1,
            ..card_pss
        },
        CK_RSA_PKCS_PSS_PARAMS {
            hashAlg: CKM_SHA384,
            ..card_pss
        },
        CK_RSA_PKCS_PSS_PARAMS {
            mgf: CKG_MGF1_SHA1,
            ..card_pss
        },
        CK_RSA_PKCS_PSS_PARAMS {
            mgf: CKG_MGF1_SHA384,
            ..card_pss
        },
    ];
    for mech in [CKM_RSA_PKCS_PSS, CKM_SHA256_RSA_PKCS_PSS] {
        for mut pss in wrong {
            let mut m = CK_MECHANISM {
                mechanism: mech,
                pParameter: &mut pss as *mut _ as *mut _,
                ulParameterLen: std::mem::size_of::<CK_RSA_PKCS_PSS_PARAMS>() as CK_ULONG,
            };
            assert_eq!(
                call!(r, C_SignInit(h, &mut m, key)),
                CKR_MECHANISM_PARAM_INVALID,
                "{mech:#x} {:?}",
                (pss.hashAlg, pss.mgf, pss.sLen)
            );
        }
        let mut pss = card_pss;
        for (param, len) in [
            (null_mut(), 0),
            (null_mut(), std::mem::size_of::<CK_RSA_PKCS_PSS_PARAMS>()),
            (&mut pss as *mut _ as *mut _, 8),
            (
                &mut pss as *mut _ as *mut _,
                std::mem::size_of::<CK_RSA_PKCS_PSS_PARAMS>() - 1,
            ),
        ] {
            let mut m = CK_MECHANISM {
                mechanism: mech,
                pParameter: param,
                ulParameterLen: len as CK_ULONG,
            };
            assert_eq!(
                call!(r, C_SignInit(h, &mut m, key)),
                CKR_MECHANISM_PARAM_INVALID
            );
        }
        // The card's parameters start an operation; a second one is refused; data of the
        // wrong length for the raw mechanism ends it before the card.
        let mut m = CK_MECHANISM {
            mechanism: mech,
            pParameter: &mut pss as *mut _ as *mut _,
            ulParameterLen: std::mem::size_of::<CK_RSA_PKCS_PSS_PARAMS>() as CK_ULONG,
        };
        assert_eq!(call!(r, C_SignInit(h, &mut m, key)), CKR_OK);
        assert_eq!(call!(r, C_SignInit(h, &mut m, key)), CKR_OPERATION_ACTIVE);
        let mut plain = CK_MECHANISM {
            mechanism: CKM_SHA256_RSA_PKCS,
            pParameter: null_mut(),
            ulParameterLen: 0,
        };
        assert_eq!(
            call!(r, C_SignInit(h, &mut plain, key)),
            CKR_OPERATION_ACTIVE
        );
        if mech == CKM_RSA_PKCS_PSS {
            let mut len: CK_ULONG = 256;
            assert_eq!(
                call!(
                    r,
                    C_Sign(h, data.as_mut_ptr(), 5, sig.as_mut_ptr(), &mut len)
                ),
                CKR_DATA_LEN_RANGE
            );
        } else {
            // The hashing mechanism signs any data: a size query first, then the signature.
            let mut len: CK_ULONG = 0;
            assert_eq!(
                call!(r, C_Sign(h, data.as_mut_ptr(), 5, null_mut(), &mut len)),
                CKR_OK
            );
            assert_eq!(len, 256);
            assert_eq!(
                call!(
                    r,
                    C_Sign(h, data.as_mut_ptr(), 5, sig.as_mut_ptr(), &mut len)
                ),
                CKR_OK
            );
            assert_eq!(len, 256);
        }
        assert_eq!(
            call!(r, C_SignFinal(h, sig.as_mut_ptr(), &mut len)),
            CKR_OPERATION_NOT_INITIALIZED
        );
    }
    m.mechanism = CKM_SHA256_RSA_PKCS;
    assert_eq!(call!(r, C_SignInit(h, &mut m, 999)), CKR_KEY_HANDLE_INVALID);
    let public = *all.iter().find(|o| **o != key).unwrap();
    assert_eq!(
        call!(r, C_SignInit(h, &mut m, public)),
        CKR_KEY_FUNCTION_NOT_PERMITTED
    );
    let mut param = [0u8; 4];
    m.pParameter = param.as_mut_ptr() as *mut _;
    m.ulParameterLen = 4;
    assert_eq!(
        call!(r, C_SignInit(h, &mut m, key)),
        CKR_MECHANISM_PARAM_INVALID
    );
    m.pParameter = null_mut();
    m.ulParameterLen = 0;
    assert_eq!(call!(r, C_SignInit(h, &mut m, key)), CKR_OK);
    assert_eq!(call!(r, C_SignInit(h, &mut m, key)), CKR_OPERATION_ACTIVE);
    assert_eq!(
        call!(
            r,
            C_Sign(h, data.as_mut_ptr(), 5, sig.as_mut_ptr(), null_mut())
        ),
        CKR_ARGUMENTS_BAD
    );
    assert_eq!(
        call!(r, C_Sign(h, null_mut(), 5, sig.as_mut_ptr(), &mut len)),
        CKR_ARGUMENTS_BAD
    );
    card.clear_log();
    len = 0;
    assert_eq!(
        call!(r, C_Sign(h, data.as_mut_ptr(), 5, null_mut(), &mut len)),
        CKR_OK
    );
    assert_eq!(len, 256, "length query");
    len = 255;
    assert_eq!(
        call!(
            r,
            C_Sign(h, data.as_mut_ptr(), 5, sig.as_mut_ptr(), &mut len)
        ),
        CKR_BUFFER_TOO_SMALL
    );
    assert_eq!(len, 256);
    assert!(
        card.exchanges().is_empty(),
        "no SIGN for a length: {:#?}",
        card.exchanges()
    );
    // The operation is still active after both; now it signs.
    assert_eq!(
        call!(
            r,
            C_Sign(h, data.as_mut_ptr(), 5, sig.as_mut_ptr(), &mut len)
        ),
        CKR_OK
    );
    assert_eq!(len, 256);
    assert_eq!(card.exchanges().len(), 1, "one SIGN");
    assert_eq!(
        call!(
            r,
            C_Sign(h, data.as_mut_ptr(), 5, sig.as_mut_ptr(), &mut len)
        ),
        CKR_OPERATION_NOT_INITIALIZED
    );
    // Multi-part, small buffer at the end.
    assert_eq!(call!(r, C_SignInit(h, &mut m, key)), CKR_OK);
    assert_eq!(call!(r, C_SignUpdate(h, null_mut(), 3)), CKR_ARGUMENTS_BAD);
    assert_eq!(call!(r, C_SignUpdate(h, data.as_mut_ptr(), 5)), CKR_OK);
    assert_eq!(
        call!(
            r,
            C_Sign(h, data.as_mut_ptr(), 5, sig.as_mut_ptr(), &mut len)
        ),
        CKR_OPERATION_ACTIVE
    );
    assert_eq!(call!(r, C_SignInit(h, &mut m, key)), CKR_OK);
    assert_eq!(call!(r, C_SignUpdate(h, data.as_mut_ptr(), 5)), CKR_OK);
    len = 10;
    assert_eq!(
        call!(r, C_SignFinal(h, sig.as_mut_ptr(), &mut len)),
        CKR_BUFFER_TOO_SMALL
    );
    assert_eq!(len, 256);
    let mut sig2 = [0u8; 256];
    assert_eq!(
        call!(r, C_SignFinal(h, sig2.as_mut_ptr(), &mut len)),
        CKR_OK
    );
    assert_eq!(
        sig, sig2,
        "one-part and multi-part give the same PKCS#1 v1.5 signature"
    );
    // SetPIN needs a read-write session; null PINs are refused.
    let mut new = pin("5678");
    assert_eq!(
        call!(r, C_SetPIN(h, p.as_mut_ptr(), 4, new.as_mut_ptr(), 4)),
        CKR_SESSION_READ_ONLY
    );
    let mut rw: CK_SESSION_HANDLE = 0;
    assert_eq!(
        call!(
            r,
            C_OpenSession(0, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, None, &mut rw)
        ),
        CKR_OK
    );
    assert_eq!(
        call!(r, C_SetPIN(rw, null_mut(), 0, new.as_mut_ptr(), 4)),
        CKR_ARGUMENTS_BAD
    );
    assert_eq!(
        call!(r, C_SetPIN(bad, p.as_mut_ptr(), 4, new.as_mut_ptr(), 4)),
        CKR_SESSION_HANDLE_INVALID
    );
    assert_eq!(
        call!(r, C_SetPIN(rw, p.as_mut_ptr(), 4, p.as_mut_ptr(), 4)),
        CKR_PIN_INVALID,
        "unchanged"
    );
    let mut ti = CK_TOKEN_INFO::default();
    assert_eq!(call!(r, C_GetTokenInfo(0, &mut ti)), CKR_OK);
    assert_eq!((ti.ulSessionCount, ti.ulRwSessionCount), (2, 1));
    // Closing.
    assert_eq!(call!(r, C_CloseSession(bad)), CKR_SESSION_HANDLE_INVALID);
    assert_eq!(call!(r, C_CloseSession(rw)), CKR_OK);
    assert_eq!(call!(r, C_CloseAllSessions(9)), CKR_SLOT_ID_INVALID);
    assert_eq!(call!(r, C_CloseAllSessions(0)), CKR_OK);
    assert_eq!(
        call!(r, C_GetSessionInfo(h, &mut si)),
        CKR_SESSION_HANDLE_INVALID
    );
    assert_eq!(call!(r, C_Finalize(NULL)), CKR_OK);
    assert_eq!(card.tries(), (3, 5), "no try spent by any of it");
}

#[test]
fn the_vendor_user_type_allows_the_last_try_for_one_call() {
    let card = Card::new();
    card.set_tries(0x18, 1);
    let r = Raw::load();
    assert_eq!(call!(r, C_Initialize(NULL)), CKR_OK);
    let mut h: CK_SESSION_HANDLE = 0;
    assert_eq!(
        call!(r, C_OpenSession(0, CKF_SERIAL_SESSION, NULL, None, &mut h)),
        CKR_OK
    );
    let mut p = pin("1234");
    assert_eq!(
        call!(r, C_Login(h, CKU_USER, p.as_mut_ptr(), 4)),
        mynacard_pkcs11::CKR_LAST_TRY_REFUSED
    );
    assert_eq!(card.verifies_with_value(), 0, "refused without sending");
    assert_eq!(
        call!(
            r,
            C_Login(
                h,
                mynacard_pkcs11::CKU_MYNACARD_ALLOW_LAST_TRY,
                p.as_mut_ptr(),
                4
            )
        ),
        CKR_OK
    );
    assert_eq!(card.verifies_with_value(), 1);
    assert_eq!(call!(r, C_Finalize(NULL)), CKR_OK);
    assert_eq!(card.tries(), (3, 5), "the right PIN restored the counter");
}
