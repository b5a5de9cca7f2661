#!/usr/bin/env bash
# A long fuzz campaign, outside CI: runs each target until libFuzzer has
# executed RUNS inputs (default 10 M), two targets at a time (one per
# core), with debug assertions and integer overflow checks (-a), from the
# committed seeds plus a work corpus under fuzz/campaign/ (not committed).
# Prints each target's count (stat::number_of_executed_units) and stops at
# the first finding, whose input libFuzzer leaves under fuzz/artifacts/.
#
#   bash .ci/fuzz_campaign.sh [RUNS] [TARGET...]    (default: every target)
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
runs=${1:-10000000}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
unset DPM_NO_FORCED_INLINE # the kernels inlined: full throughput (build.rs)
cargo +nightly fuzz build -s none -a
mkdir -p campaign
export runs
one() {
  local t=$1 log=campaign/$1.log
  mkdir -p "campaign/$t"
  if cargo +nightly fuzz run -s none -a "$t" "campaign/$t" "seeds/$t" -- \
    -runs="$runs" -print_final_stats=1 >"$log" 2>&1; then
    echo "$t: $(grep -oE 'number_of_executed_units: [0-9]+' "$log"), $(grep -oE 'average_exec_per_sec: [0-9]+' "$log"), no finding"
  else
    tail -n 40 "$log"
    echo "$t: FINDING (see $log and fuzz/artifacts/$t)"
    return 1
  fi
}
export -f one
printf '%s\n' "${targets[@]}" | xargs -P 2 -I{} bash -c 'one {}'
