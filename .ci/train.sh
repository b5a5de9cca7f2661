#!/usr/bin/env bash
# Smoke test of the README's first command on a reduced budget: the train
# example must finish, print its table and write an SVG plot, give the same
# bytes twice for one seed, and refuse bad options with a message.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# The test profile and features of CI's test step, whose build this reuses
# (the README's `--release` compiles the same code with more optimisation;
# a release build here would compile every dev-dependency again).
cargo build --profile test --all-features --example train
train() { cargo run --quiet --profile test --all-features --example train -- "$@"; }
train --epochs 3 --out "$out/train.svg" | tee "$out/stdout"
test -s "$out/train.svg" || { echo "train: no plot at $out/train.svg"; exit 1; }
grep -q '<svg' "$out/train.svg" || { echo "train: $out/train.svg is not an SVG"; exit 1; }
for m in DPM SogCLR InfoNCE; do
  grep -q "^| $m | " "$out/stdout" || { echo "train: no result row for $m"; exit 1; }
done
train --epochs 3 --out "$out/again.svg" | sed 's/again\.svg$/train.svg/' >"$out/again"
cmp "$out/stdout" "$out/again" || { echo "train: stdout differs between two runs of one seed"; exit 1; }
cmp "$out/train.svg" "$out/again.svg" || { echo "train: plot differs between two runs of one seed"; exit 1; }
train --help >"$out/help"
grep -q -- "--epochs" "$out/help" || { echo "train: --help does not list --epochs"; exit 1; }
for bad in "--epochs 0" "--tau 0" "--batch 1" "--epochs x" "--no-such-option"; do
  set +e
  msg=$(train $bad 2>&1 >/dev/null)
  rc=$?
  set -e
  test "$rc" -eq 2 || { echo "train $bad: exit code $rc, want 2"; exit 1; }
  grep -q -- "${bad%% *}" <<<"$msg" || { echo "train $bad: unclear message: $msg"; exit 1; }
done
echo "train example ok: 3 epochs, deterministic, plot $(wc -c <"$out/train.svg") bytes, bad options refused"
