#!/usr/bin/env bash
# Smoke test of the README's first command on a reduced budget: the train
# example must finish, print its table and write an SVG plot; bad options
# must fail with a message.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cargo build --release --example train
cargo run --release --example train -- --epochs 3 --out "$out/train.svg" | tee "$out/stdout"
test -s "$out/train.svg" || { echo "train: no plot at $out/train.svg"; exit 1; }
grep -q '<svg' "$out/train.svg" || { echo "train: $out/train.svg is not an SVG"; exit 1; }
for m in DPM SogCLR InfoNCE; do
  grep -q "^| $m | " "$out/stdout" || { echo "train: no result row for $m"; exit 1; }
done
if msg=$(cargo run --release --example train -- --epochs 0 2>&1); then
  echo "train accepted --epochs 0"; exit 1
fi
grep -q "epochs" <<<"$msg" || { echo "train: unclear message: $msg"; exit 1; }
echo "train example ok: 3 epochs, plot $(wc -c <"$out/train.svg") bytes"
