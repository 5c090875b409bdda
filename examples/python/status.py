#!/usr/bin/env python3
"""status.py: the status of the four PINs of a My Number Card (no try is spent), then one PIN
verified from stdin, through the mynacard C library with ctypes (standard library only).

    status.py LIBRARY STATE_FILE [auth|sign|residence|text] [--lang ja|en]

LIBRARY is the path of libmynacard_ffi.so (or .dylib / .dll); the card is the virtual card
saved at STATE_FILE. Exit codes as examples/c/status.c: 0 verified, 3 wrong PIN, 4 blocked,
5 last try refused, 6 invalid format, 1 anything else.
"""

import ctypes
import sys

OK, WRONG_PIN, BLOCKED, LAST_TRY_REFUSED, INVALID_SECRET = 0, 7, 8, 9, 6
KINDS = {"sign": 0, "auth": 1, "residence": 2, "text": 3}
NAMES = {
    "en": ["signature password", "user-authentication PIN", "residence PIN", "text-input-assist PIN"],
    "ja": ["署名用電子証明書の暗証番号", "利用者証明用電子証明書の暗証番号",
           "住民基本台帳用の暗証番号", "券面入力補助用の暗証番号"],
}


class RefStatus(ctypes.Structure):
    _fields_ = [("key_fid", ctypes.c_uint16), ("state", ctypes.c_uint32), ("tries_left", ctypes.c_int32)]


class PinStatus(ctypes.Structure):
    _fields_ = [
        ("kind", ctypes.c_uint32),
        ("limit", ctypes.c_uint32),
        ("tries_left", ctypes.c_int32),
        ("blocked", ctypes.c_uint8),
        ("divergent", ctypes.c_uint8),
        ("ref_count", ctypes.c_uint8),
        ("refs", RefStatus * 2),
    ]


def load(path):
    lib = ctypes.CDLL(path)
    lib.mynacard_set_language.argtypes = [ctypes.c_uint32]
    lib.mynacard_open_virtual.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.mynacard_close.argtypes = [ctypes.c_void_p]
    lib.mynacard_unpower.argtypes = [ctypes.c_void_p]
    lib.mynacard_read_pin_status_all.argtypes = [
        ctypes.c_void_p, ctypes.POINTER(PinStatus), ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]
    lib.mynacard_verify.argtypes = [
        ctypes.c_void_p, ctypes.c_uint32, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint32]
    lib.mynacard_last_error_message.argtypes = [
        ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_size_t)]
    lib.mynacard_last_error_tries_left.restype = ctypes.c_int32
    lib.mynacard_status_name.restype = ctypes.c_char_p
    lib.mynacard_status_name.argtypes = [ctypes.c_uint32]
    return lib


def last_error(lib):
    """The last error's message, with the length-query pattern."""
    needed = ctypes.c_size_t(0)
    lib.mynacard_last_error_message(None, 0, ctypes.byref(needed))
    buf = ctypes.create_string_buffer(needed.value)
    lib.mynacard_last_error_message(buf, needed.value, None)
    return buf.value.decode("utf-8")


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    lib = load(argv[1])
    kind, lang = 1, "en"
    args = iter(argv[3:])
    for a in args:
        if a in KINDS:
            kind = KINDS[a]
        elif a == "--lang":
            lang = next(args, "en")
        else:
            print("unknown argument: " + a, file=sys.stderr)
            return 2
    ja = lang == "ja"
    lib.mynacard_set_language(0 if ja else 1)
    card = ctypes.c_void_p()
    s = lib.mynacard_open_virtual(argv[2].encode(), ctypes.byref(card))
    if s != OK:
        print("open: " + last_error(lib))
        return 1
    try:
        statuses = (PinStatus * 4)()
        count = ctypes.c_size_t(0)
        s = lib.mynacard_read_pin_status_all(card, statuses, 4, ctypes.byref(count))
        if s != OK:
            print("status: " + last_error(lib))
            return 1
        for st in statuses[: count.value]:
            name = NAMES[lang][st.kind]
            if st.blocked:
                print(f"{name}: ロック中" if ja else f"{name}: blocked")
            else:
                print(f"{name}: 残り {st.tries_left} 回（{st.limit} 回中）" if ja
                      else f"{name}: {st.tries_left} of {st.limit} tries left")
        print(f"{NAMES[lang][kind]}を入力してください:" if ja else f"Enter the {NAMES[lang][kind]}:")
        # A bytearray, so that the copy can be overwritten afterwards (Python's own str copies
        # cannot be zeroized; a real application reads into a bytearray directly).
        pin = bytearray(sys.stdin.buffer.readline().rstrip(b"\r\n"))
        buf = (ctypes.c_char * max(len(pin), 1)).from_buffer(pin) if pin else None
        s = lib.mynacard_verify(card, kind, ctypes.cast(buf, ctypes.c_char_p) if buf else b"", len(pin), 0)
        del buf
        for i in range(len(pin)):
            pin[i] = 0
        if s == OK:
            print("照合しました。" if ja else "verified")
            lib.mynacard_unpower(card)
            return 0
        print("verify: %s: %s" % (lib.mynacard_status_name(s).decode(), last_error(lib)))
        tries = lib.mynacard_last_error_tries_left()
        if tries >= 0:
            print(f"残り回数: {tries}" if ja else f"tries left: {tries}")
        return {WRONG_PIN: 3, BLOCKED: 4, LAST_TRY_REFUSED: 5, INVALID_SECRET: 6}.get(s, 1)
    finally:
        lib.mynacard_close(card)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
