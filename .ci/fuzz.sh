#!/usr/bin/env bash
# Fuzz smoke test: build every cargo-fuzz target and run each for 60 s,
# starting from the committed seeds. A finding exits non-zero and leaves
# its input under fuzz/artifacts/. No sanitizer: the crate forbids unsafe
# code, and ASan costs two thirds of the throughput.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
rustup component add --toolchain nightly rust-src >/dev/null
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
cargo +nightly fuzz build -s none
work=$(mktemp -d)
for t in $(cargo +nightly fuzz list); do
  [ -d "seeds/$t" ] || { echo "fuzz $t: no seed corpus at fuzz/seeds/$t"; exit 1; }
  mkdir -p "$work/$t"
  if ! cargo +nightly fuzz run -s none "$t" "$work/$t" "seeds/$t" -- -max_total_time=60 -print_final_stats=1 \
    >"$work/$t.log" 2>&1; then
    tail -n 60 "$work/$t.log"
    echo "fuzz $t: a finding (input under fuzz/artifacts/$t)"
    exit 1
  fi
  echo "fuzz $t: $(grep -oE 'number_of_executed_units: [0-9]+' "$work/$t.log") in 60 s, no finding"
done
rm -rf "$work"
