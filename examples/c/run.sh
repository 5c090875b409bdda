#!/usr/bin/env bash
# Builds the C library (cargo build -p mynacard-ffi), compiles the header alone as strict C11
# and C++17, compiles the C examples with cc (-std=c11 -pedantic-errors) against
# crates/ffi/include/mynacard.h and libmynacard_ffi, and runs them and the Python example
# against a fresh virtual card (a temporary state file), checking their output. The C programs
# run under valgrind (no leak, no invalid access) or, without valgrind, built with
# AddressSanitizer. Exits non-zero on any failure.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
target=${CARGO_TARGET_DIR:-$root/target}
libdir=$target/debug

echo "== cargo build -p mynacard-ffi"
cargo build -q -p mynacard-ffi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
state=$work/card.json

# The header alone, as strict ISO C11 and ISO C++17 (no extension: a program in either
# language can include it). A missing C++ compiler fails under CI=true, else is skipped loudly.
echo "== mynacard.h as strict C11 and C++17"
printf '#include "mynacard.h"\nint main(void) { return mynacard_status_name(MYNACARD_OK) == NULL; }\n' \
    >"$work/header.c"
cp "$work/header.c" "$work/header.cpp"
strict=(-Wall -Wextra -Werror -pedantic-errors -fsyntax-only -I "$root/crates/ffi/include")
cc -std=c11 "${strict[@]}" "$work/header.c"
if command -v c++ >/dev/null 2>&1; then
    c++ -std=c++17 "${strict[@]}" "$work/header.cpp"
elif [ "${CI:-}" = true ]; then
    echo "run.sh: c++ (g++) is required in CI to check the header as C++17" >&2
    exit 1
else
    echo "!!!!!!!! SKIPPED: no c++ compiler; the header was NOT checked as C++17 !!!!!!!!"
fi

cflags=(-std=c11 -Wall -Wextra -Werror -pedantic-errors -I "$root/crates/ffi/include")
run=()
if command -v valgrind >/dev/null 2>&1; then
    run=(valgrind -q --error-exitcode=99 --leak-check=full --num-callers=50
        --errors-for-leak-kinds=definite,indirect,possible
        --suppressions="$root/examples/c/valgrind.supp")
    echo "== checking the C programs with valgrind"
else
    cflags+=(-fsanitize=address -fno-omit-frame-pointer -g)
    export ASAN_OPTIONS=detect_leaks=1:exitcode=99
    echo "== checking the C programs with AddressSanitizer (valgrind not found)"
fi
for prog in status kiosk_reset; do
    cc "${cflags[@]}" "$root/examples/c/$prog.c" -L "$libdir" -lmynacard_ffi \
        -Wl,-rpath,"$libdir" -o "$work/$prog"
done

failures=0
# check NAME EXPECTED_EXIT INPUT PATTERN... -- COMMAND...: runs COMMAND with INPUT on stdin and
# checks its exit code and that its output contains every PATTERN.
check() {
    local name=$1 expected=$2 input=$3
    shift 3
    local patterns=()
    while [ "$1" != "--" ]; do patterns+=("$1"); shift; done
    shift
    local out code=0
    out=$(printf '%b' "$input" | "$@" 2>&1) || code=$?
    local ok=1
    [ "$code" = "$expected" ] || ok=0
    for p in "${patterns[@]}"; do
        grep -qF -- "$p" <<<"$out" || { ok=0; echo "   missing: $p"; }
    done
    if [ $ok = 1 ]; then
        echo "ok   $name"
    else
        echo "FAIL $name (exit $code, expected $expected)"
        sed 's/^/   | /' <<<"$out"
        failures=$((failures + 1))
    fi
}

py=(python3 "$root/examples/python/status.py" "$libdir/libmynacard_ffi.so")

check "status.c: status and a right PIN" 0 '1234\n' \
    "signature password: 5 of 5 tries left" "user-authentication PIN: 3 of 3 tries left" \
    "residence PIN: 3 of 3 tries left" "verified" -- "${run[@]}" "$work/status" "$state"
check "status.c: a wrong PIN costs one try" 3 '9999\n' "MYNACARD_WRONG_PIN" "tries left: 2" \
    -- "${run[@]}" "$work/status" "$state"
check "status.c: a wrong format costs nothing (Japanese)" 6 '12a4\n' \
    "利用者証明用電子証明書の暗証番号: 残り 2 回（3 回中）" "MYNACARD_INVALID_SECRET" "試行回数は減っていません" \
    -- "${run[@]}" "$work/status" "$state" --lang ja
check "status.py: status and a right PIN" 0 '1234\n' \
    "user-authentication PIN: 2 of 3 tries left" "verified" -- "${py[@]}" "$state"
check "status.py: a wrong PIN" 3 '0000\n' "MYNACARD_WRONG_PIN" "tries left: 2" \
    -- "${py[@]}" "$state"
check "status.py: Japanese" 0 '1234\n' "利用者証明用電子証明書の暗証番号: 残り 2 回（3 回中）" "照合しました" \
    -- "${py[@]}" "$state" auth --lang ja

# Block the signature password: four wrong tries, then the guard refuses the last one until it
# is allowed explicitly.
for i in 1 2 3 4; do
    check "status.c: wrong signature password ($i)" 3 'WRONG1\n' "tries left: $((5 - i))" \
        -- "${run[@]}" "$work/status" "$state" sign
done
check "status.c: the last try is refused without the flag" 5 'WRONG1\n' \
    "MYNACARD_LAST_TRY_REFUSED" "signature password: 1 of 5 tries left" \
    -- "${run[@]}" "$work/status" "$state" sign
check "status.c: the last try, allowed, blocks it" 3 'WRONG1\n' "tries left: 0" \
    -- "${run[@]}" "$work/status" "$state" sign --allow-last-try
check "status.c: a blocked PIN is never sent" 4 'ABC123\n' "signature password: blocked" \
    "MYNACARD_BLOCKED" -- "${run[@]}" "$work/status" "$state" sign --allow-last-try

check "kiosk_reset.c: the kiosk resets the blocked signature password" 0 \
    '\n1\ny\n1234\nNEWPASS1\nNEWPASS1\n' \
    "not the real issuer protocol" "[7/7]" \
    "The signature password (署名用電子証明書) was reset: 5 of 5 tries left." \
    "Please take your card" "exchanges: 25" \
    -- "${run[@]}" "$work/kiosk_reset" "$state"
check "status.c: the new signature password works" 0 'NEWPASS1\n' \
    "signature password: 5 of 5 tries left" "verified" \
    -- "${run[@]}" "$work/status" "$state" sign
check "kiosk_reset.c: Japanese, quit at the first question" 12 'q\n' \
    "マイナンバーカード" -- "${run[@]}" "$work/kiosk_reset" "$state" --lang ja

if [ $failures -gt 0 ]; then
    echo "run.sh: $failures check(s) failed"
    exit 1
fi
echo "run.sh: all checks passed"
