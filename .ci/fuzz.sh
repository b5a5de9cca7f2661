#!/usr/bin/env bash
# Fuzz smoke test: build every cargo-fuzz target and run each for 20 s,
# starting from the committed seeds, two targets at a time (one per core).
# A finding exits non-zero and leaves its input under fuzz/artifacts/. Built
# with debug assertions and integer overflow checks (-a), so a wrapped size
# is a finding. No sanitizer: the core's only unsafe code is the C ABI's
# pointer handling (checked by Miri in CI), and ASan costs two thirds of the
# throughput. Long campaigns run outside CI: .ci/fuzz_campaign.sh.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
rustup component add --toolchain nightly rust-src >/dev/null
bash ../.ci/tools.sh
# Without the kernels' forced inlining (build.rs): the nine targets took
# 11.7 min to build with it on 2026-12-05 (3.7 min before it, 2026-12-04),
# at a quarter of the executions per second, plenty for 20 s from the
# seeds. Campaigns (.ci/fuzz_campaign.sh) build with it.
export DPM_NO_FORCED_INLINE=1
cargo +nightly fuzz build -s none -a
work=$(mktemp -d)
export work
run_target() {
  local t=$1
  [ -d "seeds/$t" ] || { echo "fuzz $t: no seed corpus at fuzz/seeds/$t"; return 1; }
  mkdir -p "$work/$t"
  if ! cargo +nightly fuzz run -s none -a "$t" "$work/$t" "seeds/$t" -- -max_total_time=20 -print_final_stats=1 \
    >"$work/$t.log" 2>&1; then
    tail -n 60 "$work/$t.log"
    echo "fuzz $t: failed (a finding leaves its input under fuzz/artifacts/$t)"
    return 1
  fi
  echo "fuzz $t: $(grep -oE 'number_of_executed_units: [0-9]+' "$work/$t.log") in 20 s, no finding"
}
export -f run_target
cargo +nightly fuzz list | xargs -P 2 -I{} bash -c 'run_target {}'
rm -rf "$work"
