#!/usr/bin/env bash
# End-to-end tests through a real PC/SC stack (feature `pcsc`): pcscd with vsmartcard's vpcd
# reader driver, the virtual card served into it (in the test process) by the
# mynacard-virtual-card library, and the myna CLI, the kiosk, the library and OpenSC as clients
# (crates/cli/tests/e2e_pcsc.rs, crates/kiosk/tests/e2e_pcsc.rs), the kiosk appliance in
# headless Chromium (crates/kiosk/tests/web_browser.rs); then the PKCS#11 module built
# with `pcsc`, with the myna-virtual-card server in vpcd's first slot and pkcs11-tool, openssl
# and the CLI as clients, then the TLS battery of crates/pkcs11/tests/tls.sh on the same card
# (crates/pkcs11/tests/pcscd.sh).
#
# Installs what is missing with apt-get (as root: CI runs it so on a fresh Debian machine),
# starts pcscd unless one is already running, runs the tests of every crate with a `pcsc`
# feature with it on, and stops the pcscd it started. Takes about two minutes on a warm build, most of it compiling.
set -euo pipefail
cd "$(dirname "$0")/.."

# openssl, the pkcs11 engine, gnutls-bin and python3: crates/pkcs11/tests/pcscd.sh runs the TLS
# battery (tls.sh --pcscd) through pcscd too.
# chromium, chromium-driver and fonts-noto-cjk: the kiosk appliance in a real browser
# (crates/kiosk/tests/web_browser.rs).
packages=(libpcsclite-dev pcscd vsmartcard-vpcd opensc openssl libengine-pkcs11-openssl gnutls-bin python3
    chromium chromium-driver fonts-noto-cjk)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The pcsc-sys crate finds libpcsclite with pkg-config.
command -v pkg-config >/dev/null || missing+=(pkgconf)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "e2e: missing packages: ${missing[*]} (run as root, or install them)" >&2
        exit 1
    fi
    echo "e2e: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# vpcd's reader entry: pcscd reads it from /etc/reader.conf.d/ at start.
if ! grep -qs libifdvpcd /etc/reader.conf.d/*; then
    echo "e2e: no vpcd entry in /etc/reader.conf.d/ (is vsmartcard-vpcd installed?)" >&2
    exit 1
fi

pcscd_pid=""
pcscd_log="$(mktemp -t mynacard-pcscd.XXXXXX)"
cleanup() {
    if [ -n "$pcscd_pid" ]; then
        kill "$pcscd_pid" 2>/dev/null || true
        wait "$pcscd_pid" 2>/dev/null || true
    fi
    rm -f "$pcscd_log"
}
trap cleanup EXIT

readers_ready() {
    opensc-tool --list-readers 2>/dev/null | grep -q "Virtual PCD 00 01"
}

if readers_ready; then
    echo "e2e: using the pcscd already running"
else
    # In the foreground (so that this script owns the process), without auto-exit.
    pcscd --foreground >"$pcscd_log" 2>&1 &
    pcscd_pid=$!
    for _ in $(seq 1 100); do
        readers_ready && break
        if ! kill -0 "$pcscd_pid" 2>/dev/null; then
            echo "e2e: pcscd exited:" >&2
            cat "$pcscd_log" >&2
            pcscd_pid=""
            exit 1
        fi
        sleep 0.1
    done
    if ! readers_ready; then
        echo "e2e: pcscd started but vpcd's readers did not appear:" >&2
        cat "$pcscd_log" >&2
        exit 1
    fi
    echo "e2e: started pcscd (pid $pcscd_pid) with vpcd's readers"
fi

cargo test --features mynacard/pcsc,mynacard/sim,mynacard-cli/pcsc \
    -p mynacard -p mynacard-cli
# The kiosk through pcscd: the terminal flow (e2e_pcsc), and the appliance `myna-kiosk --web` in
# headless Chromium through ChromeDriver (web_browser: the reset of a blocked signature password,
# a wrong PIN, the last-try question, the card pulled, the idle timeout, both languages, two
# stations, a second tab); with its other tests.
cargo test -p mynacard-kiosk --features mynacard-kiosk/pcsc

# The library's card monitor (mynacard::pcsc::Monitor) while the virtual card is pulled out of
# vpcd's slot and put back.
cargo test -p mynacard-virtual-card --features mynacard-virtual-card/pcsc --test e2e_events
# C_WaitForSlotEvent of the PKCS#11 module built with `pcsc`, the card inserted after
# C_Initialize, pulled out and put back.
cargo test -p mynacard-pkcs11 --features mynacard-pkcs11/pcsc --test e2e_slot_events

# The kiosk appliance's soak test (web_soak, default 60 sessions; the full run:
# MYNA_SOAK_SESSIONS=1000) ran with the kiosk's tests above. Then a short run of the two-station
# throughput benchmark (figures only: the 1.8x target is measured by the full run, see
# docs/PERFORMANCE.md).
MYNA_BENCH_SESSIONS=5 cargo test -p mynacard-kiosk --features mynacard-kiosk/pcsc --bench web_throughput

# The PKCS#11 module through the same pcscd (the tests above have released vpcd's slots).
bash crates/pkcs11/tests/pcscd.sh
