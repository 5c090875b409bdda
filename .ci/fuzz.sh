#!/usr/bin/env bash
# Runs every fuzz target briefly (FUZZ_SECONDS each, default 10) from the committed seeds.
# cargo-fuzz needs nightly features: on the stable toolchain they are unlocked with
# RUSTC_BOOTSTRAP=1.
#
# A target fails CI when the fuzzer exits non-zero (a crash, a timeout, running out of memory,
# a leak) or leaves any artifact (crash-*, timeout-*, oom-*, leak-*, slow-unit-*), whatever its
# exit code said.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${FUZZ_SECONDS:-10}
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1
cargo fuzz build
failed=()
for t in $(cargo fuzz list); do
  mkdir -p "corpus/$t"
  if [ -d "seeds/$t" ]; then cp -n seeds/"$t"/* "corpus/$t/" 2>/dev/null || true; fi
  # Artifacts left by an earlier local run are not this run's findings.
  rm -rf "artifacts/$t"
  echo "-- fuzz $t for ${secs}s"
  log=$(mktemp)
  rc=0
  cargo fuzz run "$t" "corpus/$t" -- -max_total_time="$secs" -print_final_stats=1 >"$log" 2>&1 || rc=$?
  grep -E '^(Done|stat::number_of_executed_units|==[0-9]+== ERROR|SUMMARY)' "$log" || true
  artifacts=$(find "artifacts/$t" -type f 2>/dev/null | head -n 5 || true)
  if [ "$rc" -ne 0 ] || [ -n "$artifacts" ]; then
    echo "fuzz target $t failed (exit $rc); artifacts: ${artifacts:-none}" >&2
    tail -n 40 "$log" >&2
    failed+=("$t")
  fi
  rm -f "$log"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing failed: ${failed[*]} (see fuzz/artifacts/)" >&2
  exit 1
fi
