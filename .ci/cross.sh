#!/usr/bin/env bash
# Other instruction sets than the CI machine's best (issue 14):
#   1. x86_64: the SIMD, golden, FTZ, extremes and domain suites again with
#      the run-time choice capped at AVX2+FMA and at the SSE2 baseline
#      (DPM_CORE_ISA), so every path the dispatcher can take is tested on
#      whichever CPU CI gets (AVX-512 on some days, AVX2 on others). In the
#      test profile the README's command already built (overflow checks
#      on): the choice is made at run time, so no new build is needed (a
#      release build of these suites took 8 of the step's 9 minutes);
#   2. aarch64 (NEON lanes through `wide`): the library's unit tests and
#      the suites whose numbers depend on the lanes (kernels, golden,
#      extremes, domain, embed, family, properties, sizes) under qemu-user,
#      in the test profile (opt-level 1, overflow checks on): 2 min to build
#      and 2 to run, where a release build took 12.5 min to compile (debug
#      code, opt-level 0, is too slow under emulation). Not the API, C ABI,
#      allocation and `par` suites: they test logic that is the same on
#      every target, and `par` alone took 5 of the step's 18 minutes under
#      emulation;
#   3. riscv32imac (no FPU, no SIMD): the library builds, with and without
#      the C ABI.
# Installs what it needs on a fresh Debian machine (root).
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n=== %s (%s)\n' "$*" "$(date +%T)"; }
export CARGO_TERM_COLOR=never

step "x86_64: the suites again with the run-time choice capped"
if [ "$(uname -m)" = x86_64 ]; then
  for isa in avx2 baseline; do
    echo "--- DPM_CORE_ISA=$isa"
    DPM_CORE_ISA=$isa cargo test --all-features --lib \
      --test simd --test golden --test ftz --test extremes --test domain
  done
fi

step "aarch64 under qemu-user: install"
rustup target add aarch64-unknown-linux-gnu riscv32imac-unknown-none-elf >/dev/null
if ! command -v qemu-aarch64 >/dev/null || ! command -v aarch64-linux-gnu-gcc >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross >/dev/null
fi

step "aarch64 under qemu-user: library and integration tests"
CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu" \
DPM_TEST_EMULATED=1 \
  cargo test -p dpm-core --profile test --all-features --target aarch64-unknown-linux-gnu --lib \
    --test simd --test golden --test extremes --test domain --test embed \
    --test family --test properties --test sizes

step "riscv32imac (no FPU, no SIMD): the library builds"
for features in "" "--features capi"; do
  # shellcheck disable=SC2086 # $features is one flag or none
  cargo build --lib --no-default-features $features --release --target riscv32imac-unknown-none-elf
done
