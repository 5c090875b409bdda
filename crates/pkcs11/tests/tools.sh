#!/usr/bin/env bash
# External PKCS#11 applications against libmynacard_pkcs11.so and the virtual card
# (MYNACARD_SIM_STATE), no pcscd needed:
#   OpenSC pkcs11-tool (-L, -O, --login --sign with both keys, --change-pin, a wrong PIN,
#   --test, --generate-random, the peak memory of signing a 400 MB file, a state path that is a
#   directory),
#   openssl (each signature verified against the certificate the module returned),
#   GnuTLS p11tool (--list-all), NSS modutil + certutil (a fresh database lists the certificates,
#   the two CA certificates included).
# Exchange counts are read from the virtual card's own log (MYNACARD_SIM_LOG).
#
# Usage: crates/pkcs11/tests/tools.sh            (builds the module and the myna CLI first)
#        MODULE=/path/to/libmynacard_pkcs11.so MYNA=/path/to/myna crates/pkcs11/tests/tools.sh
# A missing tool is skipped with a loud SKIP line; with CI=true it is a failure.
# Install the tools on Debian/Ubuntu: apt-get install -y opensc gnutls-bin libnss3-tools openssl
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
if [ -z "${MODULE:-}" ] || [ -z "${MYNA:-}" ]; then
    (cd "$root" && cargo build -q -p mynacard-pkcs11 -p mynacard-cli) || exit 1
    target=$(cd "$root" && cargo metadata --format-version 1 --no-deps |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
    MODULE=${MODULE:-$target/debug/libmynacard_pkcs11.so}
    MYNA=${MYNA:-$target/debug/myna}
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export MYNACARD_SIM_STATE=$tmp/card.json
export MYNACARD_SIM_LOG=$tmp/exchanges.log
unset MYNACARD_ALLOW_LAST_TRY

failures=0
skips=0
sign_pw=ABC123 # the signature password on the card (changed below)
pass() { echo "PASS  $*"; }
fail() { echo "FAIL  $*"; failures=$((failures + 1)); }
need() {
    for t in "$@"; do
        if ! command -v "$t" >/dev/null 2>&1; then
            if [ "${CI:-}" = true ]; then
                fail "$t is not installed (CI=true: every tool is required)"
            else
                echo "SKIP  ******** $t is not installed: its checks are SKIPPED ********"
                skips=$((skips + 1))
            fi
            return 1
        fi
    done
}
exchanges() { if [ -f "$MYNACARD_SIM_LOG" ]; then grep -vc '^#' "$MYNACARD_SIM_LOG"; else echo 0; fi; }
fresh_log() { rm -f "$MYNACARD_SIM_LOG"; }
tries() { # tries left of a PIN, from `myna status --json`: tries auth | tries sign
    "$MYNA" status --sim-state "$MYNACARD_SIM_STATE" --json |
        python3 -c "import json,sys; d=json.load(sys.stdin); k={'auth':'user_auth','sign':'signature'}['$1']; print([p for p in d['pins'] if p['kind']==k][0]['refs'][0]['tries_left'])"
}
p11() { pkcs11-tool --module "$MODULE" "$@"; }

echo "module: $MODULE"
echo "card:   $MYNACARD_SIM_STATE"
echo hello from mynacard >"$tmp/msg"

if need pkcs11-tool openssl python3; then
    # -L: both tokens, labels, counters.
    fresh_log
    if out=$(p11 -L 2>&1) && grep -q "利用者証明用 User Auth" <<<"$out" && grep -q "署名用 Digital Signature" <<<"$out"; then
        n=$(exchanges)
        if [ "$n" -le 4 ]; then pass "pkcs11-tool -L: two tokens, $n exchanges"; else fail "pkcs11-tool -L: $n exchanges (> 4)"; fi
    else
        fail "pkcs11-tool -L: $out"
    fi

    # -O: certificate, public key with its size, and the CA certificate (ID 03) before login:
    # SELECT, READ BINARY of EF 000A, READ BINARY of EF 000B.
    fresh_log
    out=$(p11 --slot 0 -O 2>&1)
    if grep -q "Public Key Object; RSA 2048 bits" <<<"$out" &&
        grep -q "label: *利用者証明用電子証明書 User authentication certificate" <<<"$out" &&
        grep -A4 "label: *利用者証明用電子証明書の発行者(CA)証明書 User authentication CA certificate" <<<"$out" | grep -q "ID: *03"; then
        n=$(exchanges)
        if [ "$n" -le 3 ]; then
            pass "pkcs11-tool -O: certificate, RSA 2048-bit public key and CA certificate before login, $n exchanges"
        else
            fail "pkcs11-tool -O: $n exchanges (> 3)"
        fi
    else
        fail "pkcs11-tool -O: $out"
    fi
    # The signature token before login: its CA certificate (ID 04) and nothing else.
    out=$(p11 --slot 1 -O 2>&1)
    if [ "$(grep -c "Object" <<<"$out")" -eq 1 ] &&
        grep -A4 "label: *署名用電子証明書の発行者(CA)証明書 Digital signature CA certificate" <<<"$out" | grep -q "ID: *04"; then
        pass "pkcs11-tool -O: signature token shows only its CA certificate before login"
    else
        fail "signature token before login: $out"
    fi

    # --login --sign with both keys; each signature verified by openssl against the certificate
    # the module returned.
    for spec in "0 1234 01 auth" "1 ABC123 02 sign"; do
        set -- $spec
        fresh_log
        if p11 --slot "$1" --login --pin "$2" --sign -m SHA256-RSA-PKCS -i "$tmp/msg" -o "$tmp/$4.sig" >/dev/null 2>&1; then
            n=$(exchanges)
            p11 --slot "$1" --login --pin "$2" --read-object --type cert --id "$3" -o "$tmp/$4.der" >/dev/null 2>&1
            openssl x509 -inform DER -in "$tmp/$4.der" -pubkey -noout >"$tmp/$4.pub" 2>/dev/null
            if v=$(openssl dgst -sha256 -verify "$tmp/$4.pub" -signature "$tmp/$4.sig" "$tmp/msg" 2>&1) && [ "$v" = "Verified OK" ]; then
                if [ "$4" = auth ] && [ "$n" -gt 6 ]; then
                    fail "sign with the auth key: $n exchanges (> 6)"
                else
                    pass "pkcs11-tool --sign ($4 key): openssl: $v; $n exchanges"
                fi
            else
                fail "openssl verify ($4 key): $v"
            fi
        else
            fail "pkcs11-tool --login --sign ($4 key)"
        fi
    done

    # A wrong PIN costs exactly one try; `myna status` and the token flags agree.
    before=$(tries auth)
    out=$(p11 --slot 0 --login --pin 9999 -O 2>&1)
    after=$(tries auth)
    if grep -q CKR_PIN_INCORRECT <<<"$out" && [ "$after" -eq $((before - 1)) ]; then
        pass "wrong PIN: CKR_PIN_INCORRECT, myna status $before -> $after"
    else
        fail "wrong PIN: $before -> $after: $out"
    fi
    if p11 -L 2>&1 | grep -q "user PIN count low"; then pass "token flags: user PIN count low"; else fail "token flags lack CKF_USER_PIN_COUNT_LOW"; fi
    # One more wrong PIN leaves the last try; the module then refuses without sending.
    p11 --slot 0 --login --pin 9998 -O >/dev/null 2>&1
    if p11 -L 2>&1 | grep -q "final user PIN try"; then pass "token flags: final user PIN try"; else fail "token flags lack CKF_USER_PIN_FINAL_TRY"; fi
    out=$(p11 --slot 0 --login --pin 1234 -O 2>&1)
    if grep -qE "CKR_FUNCTION_REJECTED|0x200\b" <<<"$out" && [ "$(tries auth)" -eq 1 ]; then
        pass "last try refused: CKR_FUNCTION_REJECTED, counter still 1"
    else
        fail "last try: $out"
    fi
    out=$(MYNACARD_ALLOW_LAST_TRY=1 p11 --slot 0 --login --pin 1234 -O 2>&1)
    if [ "$(tries auth)" -eq 3 ]; then pass "MYNACARD_ALLOW_LAST_TRY=1: the right PIN restores the counter"; else fail "allowed last try: $out"; fi

    # --change-pin, then the new PIN signs.
    if p11 --slot 0 --login --pin 1234 --change-pin --new-pin 5678 >/dev/null 2>&1 &&
        p11 --slot 0 --login --pin 5678 --sign -m SHA256-RSA-PKCS -i "$tmp/msg" -o "$tmp/new.sig" >/dev/null 2>&1 &&
        openssl dgst -sha256 -verify "$tmp/auth.pub" -signature "$tmp/new.sig" "$tmp/msg" >/dev/null 2>&1; then
        pass "pkcs11-tool --change-pin: the new PIN signs"
    else
        fail "pkcs11-tool --change-pin"
    fi
    if p11 --slot 1 --login --pin ABC123 --change-pin --new-pin XYZ789 >/dev/null 2>&1 &&
        p11 --slot 1 --login --pin XYZ789 -O 2>&1 | grep -q "Private Key Object"; then
        sign_pw=XYZ789
        pass "pkcs11-tool --change-pin (signature password)"
    else
        fail "pkcs11-tool --change-pin (signature password)"
    fi
    [ "$(tries auth)/$(tries sign)" = 3/5 ] && pass "no try lost: auth 3/3, sign 5/5" || fail "tries: $(tries auth)/$(tries sign)"

    # The exchange log is its owner's only.
    mode=$(stat -c %a "$MYNACARD_SIM_LOG")
    if [ "$mode" = 600 ]; then pass "MYNACARD_SIM_LOG is created 0600"; else fail "MYNACARD_SIM_LOG mode $mode"; fi

    # --test: the sign mechanisms and C_GenerateRandom (the card's GET CHALLENGE).
    out=$(p11 --slot 0 --test --login --pin 5678 2>&1)
    if grep -q "No errors" <<<"$out" && grep -A2 "C_GenerateRandom" <<<"$out" | grep -q "seems to be OK"; then
        pass "pkcs11-tool --test: no errors, C_GenerateRandom OK"
    else
        fail "pkcs11-tool --test: $out"
    fi
    fresh_log
    if p11 --slot 0 --generate-random 300 -o "$tmp/random" >/dev/null 2>&1 && [ "$(stat -c %s "$tmp/random")" = 300 ] &&
        [ "$(grep -c '^0084' "$MYNACARD_SIM_LOG")" = 2 ]; then
        pass "pkcs11-tool --generate-random 300: 300 bytes in 2 GET CHALLENGE"
    else
        fail "pkcs11-tool --generate-random 300"
    fi

    # Signing hashes the data as it arrives: the peak memory of pkcs11-tool (which loads the
    # module) signing a 400 MB file stays far below the file's size.
    head -c 400000000 /dev/zero >"$tmp/big"
    peak=$(python3 -c '
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if r.returncode == 0 else -1)
' pkcs11-tool --module "$MODULE" --slot 0 --login --pin 5678 --sign -m SHA256-RSA-PKCS -i "$tmp/big" -o "$tmp/big.sig")
    rm -f "$tmp/big"
    echo "MEMORY  pkcs11-tool --sign over a 400 MB file: peak resident set ${peak} KiB"
    if [ "$peak" -gt 0 ] && [ "$peak" -lt 153600 ]; then
        pass "signing 400 MB: peak ${peak} KiB (< 150 MiB)"
    else
        fail "signing 400 MB: peak ${peak} KiB"
    fi

    # A state path that names a directory is refused, and nothing is created beside it.
    mkdir "$tmp/adir"
    MYNACARD_SIM_STATE=$tmp/adir p11 -L >/dev/null 2>&1
    if [ ! -e "$tmp/adir.lock" ]; then pass "MYNACARD_SIM_STATE=<a directory>: no lock file created"; else fail "$tmp/adir.lock was created"; fi
fi

if need p11tool; then
    out=$(p11tool --provider "$MODULE" --list-all "pkcs11:token=%E5%88%A9%E7%94%A8%E8%80%85%E8%A8%BC%E6%98%8E%E7%94%A8%20User%20Auth" 2>&1)
    if grep -q "Type: X.509 Certificate" <<<"$out" && grep -q "Type: Public key" <<<"$out" &&
        grep -A3 "Label: 利用者証明用電子証明書の発行者(CA)証明書" <<<"$out" | grep -q "CKA_CERTIFICATE_CATEGORY=CA"; then
        pass "p11tool --list-all: certificate, public key, and the CA certificate flagged CA"
    else
        fail "p11tool --list-all: $out"
    fi
    out=$(p11tool --provider "$MODULE" --list-tokens 2>&1)
    if grep -q "署名用 Digital Signature" <<<"$out"; then pass "p11tool --list-tokens: both tokens"; else fail "p11tool --list-tokens: $out"; fi
fi

if need modutil certutil; then
    db=$tmp/nss
    mkdir -p "$db"
    certutil -N -d "sql:$db" --empty-password >/dev/null 2>&1
    if modutil -dbdir "sql:$db" -add mynacard -libfile "$MODULE" -force >/dev/null 2>&1 &&
        out=$(certutil -L -h all -d "sql:$db" 2>&1) && grep -q "利用者証明用 User Auth:利用者証明用電子証明書" <<<"$out" &&
        grep -qE "利用者証明用 User Auth:利用者証明用電子証明書の発行者\(CA\)証明書 User authentication CA certificate +,, *$" <<<"$out" &&
        grep -qE "署名用 Digital Signature:署名用電子証明書の発行者\(CA\)証明書 Digital signature CA certificate +,, *$" <<<"$out"; then
        # NSS lists the CA certificates of both tokens before any login, with empty trust flags
        # (",,"); the module marks them CKA_TRUSTED false and gives no NSS trust objects.
        pass "NSS modutil -add + certutil -L -h all: the authentication certificate and both CA certificates (untrusted)"
    else
        fail "NSS: ${out:-modutil -add failed}"
    fi
    # After login (the password from a file, never on the command line), the signature
    # certificate too.
    printf '%s\n' "$sign_pw" >"$tmp/pw"
    if out=$(certutil -L -h "署名用 Digital Signature" -d "sql:$db" -f "$tmp/pw" 2>&1) &&
        grep -q "署名用 Digital Signature:署名用電子証明書" <<<"$out"; then
        pass "NSS certutil -L -h <signature token> -f <password file>: the signature certificate"
    else
        fail "NSS signature token: $out"
    fi
fi

echo
echo "$failures failed, $skips skipped"
[ "$failures" -eq 0 ]
