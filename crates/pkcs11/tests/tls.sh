#!/usr/bin/env bash
# TLS client authentication with the card, against real TLS stacks, on one of two targets:
#   --sim (the default)  the virtual card inside the module and the example client
#                        (MYNACARD_SIM_STATE; no pcscd), exchanges read from MYNACARD_SIM_LOG;
#   --pcscd LOG          the virtual card served into vpcd's first reader by the
#                        myna-virtual-card server, through pcscd: the module, the CLI and the
#                        example client built with feature `pcsc`, exchanges read from the
#                        server's log LOG. crates/pkcs11/tests/pcscd.sh starts that server (in a
#                        pcscd with vpcd's readers) and calls this script so.
# The battery is the same on both. The server is
#   openssl s_server -Verify 1 -verify_return_error -CAfile <virtual auth CA> -www
# and the clients are
#   openssl s_client with the pkcs11 engine (libengine-pkcs11-openssl) and this module, TLS 1.3
#     and TLS 1.2, default signature algorithms;
#   gnutls-cli --provider <module> with pkcs11: URLs, TLS 1.3 and TLS 1.2;
#   the mynacard-rustls example client (crates/rustls-key/examples/tls_client.rs), TLS 1.3 and 1.2.
# A login counts when the server's -www page shows the client certificate it verified. Then a
# wrong PIN (one try spent, the handshake fails) and the last try (refused, not spent), for
# openssl and for rustls. The exchanges of one TLS 1.3 handshake with a cold card (the module
# or the example loaded fresh: for PKCS#11 the login and the PSS sign) are counted on the card's
# own log, printed on EXCHANGES lines and checked against the bounds below.
#
# Usage: crates/pkcs11/tests/tls.sh [--sim | --pcscd SERVER-LOG]
#        (builds the module, the myna CLI and the example first)
# A missing tool is skipped with a loud SKIP line; with CI=true it is a failure.
# Install the tools on Debian/Ubuntu:
#   apt-get install -y openssl libengine-pkcs11-openssl gnutls-bin opensc python3
set -u -o pipefail

mode=sim
card_log=
case "${1:---sim}" in
--sim) ;;
--pcscd)
    mode=pcscd
    card_log=${2:-}
    if ! [ -f "$card_log" ]; then
        echo "tls.sh --pcscd: give the log of the running myna-virtual-card server (pcscd.sh does)" >&2
        exit 2
    fi
    ;;
*)
    echo "usage: tls.sh [--sim | --pcscd SERVER-LOG]" >&2
    exit 2
    ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
if [ "$mode" = sim ]; then
    (cd "$root" && cargo build -q -p mynacard-pkcs11 -p mynacard-cli &&
        cargo build -q -p mynacard-rustls --example tls_client) || exit 1
else
    (cd "$root" && cargo build -q -p mynacard-pkcs11 --features mynacard-pkcs11/pcsc \
        -p mynacard-cli --features mynacard-cli/pcsc &&
        cargo build -q -p mynacard-rustls --features mynacard-rustls/pcsc --example tls_client) || exit 1
fi
target=$(cd "$root" && cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
MODULE=$target/debug/libmynacard_pkcs11.so
MYNA=$target/debug/myna
RUSTLS_CLIENT=$target/debug/examples/tls_client

tmp=$(mktemp -d)
server_pid=
stop_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
        server_pid=
    fi
}
trap 'stop_server; rm -rf "$tmp"' EXIT
unset MYNACARD_ALLOW_LAST_TRY MYNACARD_AUTH_PIN GNUTLS_PIN

failures=0
skips=0
pass() { echo "PASS  [$mode] $*"; }
fail() { echo "FAIL  [$mode] $*"; failures=$((failures + 1)); }
need() {
    for t in "$@"; do
        if ! command -v "$t" >/dev/null 2>&1 && ! [ -e "$t" ]; then
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
# fresh_log starts counting; card_log_new prints the card's log since then and exchanges counts
# the exchanges in it.
if [ "$mode" = sim ]; then
    export MYNACARD_SIM_STATE=$tmp/card.json
    export MYNACARD_SIM_LOG=$tmp/exchanges.log
    fresh_log() { rm -f "$MYNACARD_SIM_LOG"; }
    card_log_new() { cat "$MYNACARD_SIM_LOG" 2>/dev/null; }
    exchanges() { card_log_new | grep -vc '^#'; }
    tries() { # tries left of the user-authentication PIN, from `myna status --json`
        "$MYNA" status --sim-state "$MYNACARD_SIM_STATE" --json | tries_of
    }
else
    # Only the PC/SC slots: no virtual-card slot inside the module, none in the example.
    unset MYNACARD_SIM_STATE MYNACARD_SIM_LOG
    # The server logs one line "[   t.ttt] > COMMAND  < ANSWER" per exchange, besides power and
    # reset lines; its last line may be written just after the client has its answer, so read
    # the log once it has stopped growing.
    settled_lines() {
        local a b
        b=$(wc -l <"$card_log")
        for _ in $(seq 1 20); do
            sleep 0.1
            a=$b
            b=$(wc -l <"$card_log")
            [ "$a" = "$b" ] && break
        done
        echo "$b"
    }
    log_base=0
    fresh_log() { log_base=$(settled_lines); }
    card_log_new() {
        settled_lines >/dev/null
        tail -n "+$((log_base + 1))" "$card_log"
    }
    exchanges() { card_log_new | grep -c '\] > '; }
    # Tries left of the user-authentication PIN, read by the CLI through pcscd. A client that
    # exits without C_Finalize (openssl's pkcs11 engine, gnutls-cli) would leave the card to
    # pcscd, which resets it warm: that keeps the PIN verified (docs/card.md §3) until pcscd
    # powers the idle card off, about a second later. The module unpowers the card when the
    # process exits (its exit hook), so the PIN must no longer be verified the moment the
    # client is gone: read once, never wait. "verified" fails every comparison with a number.
    tries() {
        local t
        t=$("$MYNA" --reader auto status --json | tries_of)
        if [ "$t" = verified ]; then
            echo "FAIL  [$mode] the user-authentication PIN was still verified on the card after the client exited (the module's exit hook did not unpower it)" >&2
        fi
        echo "$t"
    }
fi
tries_of() {
    # The number, or the state when the card gives none ("verified").
    python3 -c "import json,sys; d=json.load(sys.stdin); r=[p for p in d['pins'] if p['kind']=='user_auth'][0]['refs'][0]; print(r.get('tries_left', r['state']))"
}
# A VERIFY of the user-authentication PIN (P2=98) that carries a value, in either log.
verify_sent() { card_log_new | grep -Eq '(^|> )00200098[0-9A-F]'; }
# The most exchanges one TLS 1.3 handshake with a cold card may cost, by client and target, as
# measured and explained in crates/pkcs11/README.md: more is a regression.
declare -A MAX_OPENSSL=([sim]=7 [pcscd]=7) MAX_GNUTLS=([sim]=9 [pcscd]=9)
# The example client through pcscd (its virtual card keeps no log).
MAX_RUSTLS=6
# The auth token's objects, by URL: the token label is 利用者証明用 User Auth.
token='pkcs11:token=%E5%88%A9%E7%94%A8%E8%80%85%E8%A8%BC%E6%98%8E%E7%94%A8%20User%20Auth'
key_url="$token;id=%01;type=private"
cert_url="$token;id=%01;type=cert"

# A server on a free loopback port that requires a client certificate issued by the virtual
# authentication CA; -www answers a GET with a page that shows the verified client certificate.
start_server() {
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # The previous server's ACCEPT must not be taken for this one's: the shell truncates the
    # file only once the new server's process is under way.
    rm -f "$tmp/server.out"
    openssl s_server -accept "127.0.0.1:$port" -cert "$tmp/server.pem" -key "$tmp/server.key" \
        -Verify 1 -verify_return_error -CAfile "$tmp/auth-ca.pem" -www >"$tmp/server.out" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
        grep -q '^ACCEPT' "$tmp/server.out" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "openssl s_server did not start: $(cat "$tmp/server.out")"
    return 1
}
# logged_in FILE: the server's page in FILE shows the client certificate it verified.
logged_in() { grep -q '^Client certificate' "$1" && grep -q "CN *= *$card_cn" "$1"; }
request() { printf 'GET / HTTP/1.0\r\n\r\n'; }

echo "module: $MODULE"
if [ "$mode" = sim ]; then echo "card:   $MYNACARD_SIM_STATE"; else echo "card:   through pcscd (server log $card_log)"; fi

need openssl pkcs11-tool python3 || { echo; echo "$failures failed, $skips skipped"; [ "$failures" -eq 0 ]; exit; }
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/server.key" -out "$tmp/server.pem" \
    -subj /CN=localhost -addext subjectAltName=DNS:localhost -addext basicConstraints=critical,CA:FALSE \
    -addext extendedKeyUsage=serverAuth -days 2 >/dev/null 2>&1 ||
    fail "openssl req: no server certificate"
# The virtual card's authentication CA certificate (ID 03) and certificate (ID 01), through the
# module: free to read, no PIN.
pkcs11-tool --module "$MODULE" --slot 0 --read-object --type cert --id 03 -o "$tmp/auth-ca.der" >/dev/null 2>&1 &&
    openssl x509 -inform DER -in "$tmp/auth-ca.der" -out "$tmp/auth-ca.pem" &&
    pkcs11-tool --module "$MODULE" --slot 0 --read-object --type cert --id 01 -o "$tmp/auth.der" >/dev/null 2>&1 &&
    openssl x509 -inform DER -in "$tmp/auth.der" -out "$tmp/auth.pem" || fail "reading the certificates through the module"
card_cn=$(openssl x509 -in "$tmp/auth.pem" -noout -subject -nameopt sep_comma_plus,space_eq | sed -n 's/.*CN = \([^,]*\).*/\1/p')
echo "card certificate: CN = $card_cn"

# The pkcs11 engine reads the module path from an OpenSSL configuration file.
engine_conf=$tmp/openssl-pkcs11.cnf
cat >"$engine_conf" <<EOF
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
MODULE_PATH = $MODULE
init = 0
EOF
engine_ok() { OPENSSL_CONF=$engine_conf openssl engine pkcs11 >/dev/null 2>&1; }
# openssl_client VERSION PINFILE OUT: s_client with the card's key (the PIN read from a file by
# the engine's UI, never on the command line).
openssl_client() {
    request | OPENSSL_CONF=$engine_conf timeout 60 openssl s_client -connect "127.0.0.1:$port" \
        -engine pkcs11 -keyform engine -key "$key_url" -pass "file:$2" -cert "$tmp/auth.pem" \
        -CAfile "$tmp/server.pem" -verify_return_error "-$1" -ign_eof >"$3" 2>&1
}
printf '1234\n' >"$tmp/pin"
printf '9999\n' >"$tmp/wrong-pin"

if engine_ok || need /usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so; then
    for v in tls1_3 tls1_2; do
        start_server || break
        fresh_log
        if openssl_client "$v" "$tmp/pin" "$tmp/client.out" && logged_in "$tmp/client.out"; then
            n=$(exchanges)
            proto=$(sed -n 's/^ *Protocol *: *//p' "$tmp/client.out" | head -1)
            if [ "$v" = tls1_3 ]; then
                # A cold card: the module loaded fresh by this s_client. SELECT, the token
                # flags' counter reads, the login (counter read, VERIFY, certificate), SIGN.
                echo "EXCHANGES  [$mode] one TLS 1.3 handshake with a cold card (openssl s_client + module): $n"
                max=${MAX_OPENSSL[$mode]}
                if [ "$n" -le "$max" ]; then :; else fail "openssl s_client TLS 1.3: $n exchanges (> $max)"; fi
            fi
            if card_log_new | grep -q '802A04'; then
                pass "openssl s_client -$v + pkcs11 engine: logged in ($proto), RSA-PSS by the card (P1=04), $n exchanges"
            else
                fail "openssl s_client -$v: no PSS SIGN in the log: $(card_log_new)"
            fi
        else
            fail "openssl s_client -$v: $(tail -20 "$tmp/client.out")"
        fi
        stop_server
    done
    [ "$(tries)" = 3 ] && pass "openssl: no try spent by the logins" || fail "openssl: tries $(tries) after the logins"

    # A wrong PIN, twice: each time one try spent, no login, no handshake.
    for left in 2 1; do
        start_server
        fresh_log
        if ! openssl_client tls1_3 "$tmp/wrong-pin" "$tmp/client.out" && ! logged_in "$tmp/client.out" &&
            [ "$(tries)" = "$left" ]; then
            pass "openssl s_client with a wrong PIN: fails, exactly one try spent ($left left)"
        else
            fail "openssl s_client with a wrong PIN: tries $(tries), expected $left: $(tail -5 "$tmp/client.out")"
        fi
        stop_server
    done
    # The last try is refused by the module (CKR_FUNCTION_REJECTED), and not spent.
    start_server
    fresh_log
    if ! openssl_client tls1_3 "$tmp/pin" "$tmp/client.out" && ! logged_in "$tmp/client.out" &&
        [ "$(tries)" = 1 ] && ! verify_sent; then
        pass "openssl s_client on the last try: refused, no VERIFY with a value sent, 1 try left"
    else
        fail "openssl s_client on the last try: tries $(tries): $(tail -5 "$tmp/client.out")"
    fi
    stop_server
    # Allowed explicitly (MYNACARD_ALLOW_LAST_TRY=1), the right PIN logs in: 3 tries again.
    start_server
    if MYNACARD_ALLOW_LAST_TRY=1 openssl_client tls1_3 "$tmp/pin" "$tmp/client.out" &&
        logged_in "$tmp/client.out" && [ "$(tries)" = 3 ]; then
        pass "openssl s_client on the last try with MYNACARD_ALLOW_LAST_TRY=1: logged in, 3 tries again"
    else
        fail "openssl s_client, last try allowed: tries $(tries): $(tail -5 "$tmp/client.out")"
    fi
    stop_server
fi

# gnutls_client PIN PRIORITY: gnutls-cli with the card's key and certificate by URL; it reads the
# PIN from GNUTLS_PIN (not from its command line).
gnutls_client() {
    request | GNUTLS_PIN=$1 timeout 60 gnutls-cli --provider "$MODULE" \
        --x509certfile "$cert_url" --x509keyfile "$key_url" --x509cafile "$tmp/server.pem" \
        --priority "$2" -p "$port" localhost >"$tmp/gnutls.out" 2>&1
}
if need gnutls-cli; then
    for prio in "NORMAL" "NORMAL:-VERS-TLS1.3"; do
        start_server || break
        fresh_log
        if gnutls_client 1234 "$prio" && logged_in "$tmp/gnutls.out"; then
            d=$(sed -n 's/^- Description: //p' "$tmp/gnutls.out")
            # TLS 1.3 allows only PSS; in TLS 1.2 GnuTLS's client picks PKCS#1 v1.5 (RSA-SHA256).
            if [ "$prio" = NORMAL ]; then want='TLS1.3.*RSA-PSS-RSAE-SHA256' sign=802A04; else want='TLS1.2.*RSA-(PSS-RSAE-)?SHA256' sign=802A0; fi
            n=$(exchanges)
            if grep -qE "$want" <<<"$d" && card_log_new | grep -q "$sign"; then
                pass "gnutls-cli --priority $prio: logged in, $d, $n exchanges"
            else
                fail "gnutls-cli --priority $prio: $d: $(card_log_new)"
            fi
            if [ "$prio" = NORMAL ]; then
                # A cold card: gnutls-cli loads the module fresh; GnuTLS looks the token up by
                # its URL, then logs in and signs as OpenSSL does.
                echo "EXCHANGES  [$mode] one TLS 1.3 handshake with a cold card (gnutls-cli + module): $n"
                max=${MAX_GNUTLS[$mode]}
                if [ "$n" -le "$max" ]; then :; else fail "gnutls-cli TLS 1.3: $n exchanges (> $max)"; fi
            fi
        else
            fail "gnutls-cli --priority $prio: $(tail -20 "$tmp/gnutls.out")"
        fi
        stop_server
    done
    # A wrong PIN: the handshake fails ("Wrong PIN has been provided"), exactly one VERIFY with a
    # value reaches the card and one try is spent; then the right PIN restores the counter.
    start_server
    fresh_log
    if ! gnutls_client 9999 NORMAL && ! logged_in "$tmp/gnutls.out" &&
        [ "$(card_log_new | grep -cE '(^|> )00200098[0-9A-F]')" = 1 ] && [ "$(tries)" = 2 ]; then
        pass "gnutls-cli with a wrong PIN: fails, one VERIFY sent, exactly one try spent (2 left)"
    else
        fail "gnutls-cli with a wrong PIN: tries $(tries), expected 2: $(tail -5 "$tmp/gnutls.out")"
    fi
    stop_server
    start_server
    if gnutls_client 1234 NORMAL && logged_in "$tmp/gnutls.out" && [ "$(tries)" = 3 ]; then
        pass "gnutls-cli with the right PIN after a wrong one: logged in, 3 tries again"
    else
        fail "gnutls-cli, the right PIN after a wrong one: tries $(tries): $(tail -5 "$tmp/gnutls.out")"
    fi
    stop_server
fi

if need "$RUSTLS_CLIENT"; then
    for v in tls13 tls12; do
        start_server || break
        flag=
        [ "$v" = tls12 ] && flag=--tls12
        fresh_log
        if MYNACARD_AUTH_PIN=1234 timeout 60 "$RUSTLS_CLIENT" "127.0.0.1:$port" --server-ca "$tmp/server.pem" \
            --server-name localhost $flag >"$tmp/rustls.out" 2>"$tmp/rustls.err" && logged_in "$tmp/rustls.out"; then
            if [ "$mode" = sim ]; then
                # The example's virtual card keeps no log: its exchanges are counted through pcscd.
                pass "mynacard-rustls example ($v): logged in, $(grep '^TLS' "$tmp/rustls.err")"
            else
                n=$(exchanges)
                # PSS (P1=04) in TLS 1.3, and in TLS 1.2 too: the crate prefers it there
                # (crates/rustls-key/README.md), and openssl s_server offers it.
                want=802A04
                if card_log_new | grep -q "> $want"; then
                    pass "mynacard-rustls example ($v): logged in, $(grep '^TLS' "$tmp/rustls.err"), RSA-PSS by the card (P1=04), $n exchanges"
                else
                    fail "mynacard-rustls example ($v): no SIGN $want in the log: $(card_log_new)"
                fi
                if [ "$v" = tls13 ]; then
                    # A cold card: the example opens the card itself (no PKCS#11): the
                    # certificates before connecting, then the counter read, VERIFY and SIGN.
                    echo "EXCHANGES  [$mode] one TLS 1.3 handshake with a cold card (mynacard-rustls example): $n"
                    if [ "$n" -le "$MAX_RUSTLS" ]; then :; else fail "mynacard-rustls example TLS 1.3: $n exchanges (> $MAX_RUSTLS)"; fi
                fi
            fi
        else
            fail "mynacard-rustls example ($v): $(cat "$tmp/rustls.err")"
        fi
        stop_server
    done
    [ "$(tries)" = 3 ] || fail "rustls: tries $(tries) after the logins"
    rustls_client() { # rustls_client PIN [FLAGS...]
        local pin=$1
        shift
        MYNACARD_AUTH_PIN=$pin timeout 60 "$RUSTLS_CLIENT" "127.0.0.1:$port" --server-ca "$tmp/server.pem" \
            --server-name localhost "$@" >"$tmp/rustls.out" 2>"$tmp/rustls.err"
    }
    for left in 2 1; do
        start_server
        if ! rustls_client 9999 && ! logged_in "$tmp/rustls.out" && [ "$(tries)" = "$left" ] &&
            grep -q "tries left: $left" "$tmp/rustls.err"; then
            pass "mynacard-rustls example with a wrong PIN: the handshake fails, exactly one try spent ($left left)"
        else
            fail "mynacard-rustls example with a wrong PIN: tries $(tries): $(cat "$tmp/rustls.err")"
        fi
        stop_server
    done
    start_server
    fresh_log
    # (The example's virtual card keeps no log: no VERIFY sent is checked through pcscd.)
    if ! rustls_client 1234 && ! logged_in "$tmp/rustls.out" && [ "$(tries)" = 1 ] &&
        { [ "$mode" = sim ] || ! verify_sent; }; then
        pass "mynacard-rustls example on the last try: refused, 1 try left ($(grep -o 'last try[^(]*' "$tmp/rustls.err" | head -1))"
    else
        fail "mynacard-rustls example on the last try: tries $(tries): $(cat "$tmp/rustls.err")"
    fi
    stop_server
    start_server
    if rustls_client 1234 --allow-last-try && logged_in "$tmp/rustls.out" && [ "$(tries)" = 3 ]; then
        pass "mynacard-rustls example on the last try with --allow-last-try: logged in, 3 tries again"
    else
        fail "mynacard-rustls example, last try allowed: tries $(tries): $(cat "$tmp/rustls.err")"
    fi
    stop_server
fi

echo
echo "$failures failed, $skips skipped"
[ "$failures" -eq 0 ]
