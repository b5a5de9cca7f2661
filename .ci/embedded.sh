#!/usr/bin/env bash
# Embedded and C-ABI CI for dpm-core (issue 5). Installs what it needs on a
# fresh Debian machine (root), then:
#   1. the library alone, no std / no alloc, for thumbv7em-none-eabihf
#      (Cortex-M4F, with clippy) and thumbv6m-none-eabi (Cortex-M0);
#   2. firmware/: the expected file regenerated and compared, the firmware
#      built and run under QEMU mps2-an386 (every output checked against
#      host f64 values; stack budget), the step's code size against its
#      budget, and a deliberate mismatch must fail;
#   3. the C ABI: include/dpm_core.h current, capi-tests/test.c on the host
#      (gcc, and through the CMake example, capi-tests/cmake) and on the
#      Cortex-M4F under QEMU (arm-none-eabi-gcc). The host builds keep the
#      sparse state's default capacity (256); the Cortex-M4F build chooses
#      another when it is built (DPM_SPARSE_CAPACITY=16, library and C).
# Honours CARGO_TARGET_DIR for the main crate; the side crates build in
# subfolders of it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
step() { printf '\n=== %s (%s)\n' "$*" "$(date +%T)"; }
export CARGO_TERM_COLOR=never
# The sparse state's capacity is read by build.rs when dpm-core is built:
# every build here has the default unless it says otherwise.
unset DPM_SPARSE_CAPACITY
# The capacity of the Cortex-M4F C test (a power of two, not the default).
capi_capacity=16
target_dir=${CARGO_TARGET_DIR:-$root/target}
case $target_dir in /*) ;; *) target_dir=$root/$target_dir ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
qemu="qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic -semihosting-config enable=on,target=native -kernel"
arm_flags="-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"

step "install: targets, QEMU, arm-none-eabi toolchain, cbindgen (.ci/tools.sh)"
rustup component add clippy rustfmt >/dev/null
rustup target add thumbv7em-none-eabihf thumbv6m-none-eabi >/dev/null
if ! command -v qemu-system-arm >/dev/null || ! command -v arm-none-eabi-gcc >/dev/null ||
  ! command -v cmake >/dev/null ||
  [ ! -e "$(arm-none-eabi-gcc -print-file-name=librdimon.a 2>/dev/null)" ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    qemu-system-arm gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi cmake >/dev/null
fi
bash .ci/tools.sh

step "library alone (no std, no alloc): Cortex-M4F with clippy, Cortex-M0"
for features in "" "--features capi"; do
  # shellcheck disable=SC2086 # $features is one flag or none
  cargo clippy --lib --no-default-features $features --target thumbv7em-none-eabihf -- -D warnings
  for t in thumbv7em-none-eabihf thumbv6m-none-eabi; do
    # shellcheck disable=SC2086
    cargo build --lib --no-default-features $features --release --target "$t"
  done
done

step "firmware: side crates formatted and lint-clean"
for d in firmware firmware/gen capi-tests/staticlib; do
  (cd "$d" && cargo fmt --check)
done
(cd firmware && CARGO_TARGET_DIR=$target_dir/firmware cargo clippy --release --locked -- -D warnings)
(cd firmware/gen && CARGO_TARGET_DIR=$target_dir/firmware-gen cargo clippy --release --locked -- -D warnings)

step "firmware: expected values regenerated on the host must match the committed file"
(cd firmware/gen && CARGO_TARGET_DIR=$target_dir/firmware-gen cargo run --release --locked -q) >"$tmp/expected.rs"
diff -u firmware/src/expected.rs "$tmp/expected.rs" ||
  { echo "firmware/src/expected.rs is stale: regenerate it (see firmware/README.md)"; exit 1; }

step "firmware: run under QEMU mps2-an386 (every output, stack budget)"
(cd firmware && CARGO_TARGET_DIR=$target_dir/firmware timeout 300 cargo run --release --locked)

step "firmware: code size of the DPM steps, stored and tiled (budget 24 KiB .text)"
firmware/size.sh "$target_dir/firmware/thumbv7em-none-eabihf/release/dpm-firmware"

step "firmware: a deliberate mismatch must fail the run"
# In the firmware's own target folder (only the firmware crate is compiled
# again, not its dependencies); this overwrites the ELF the size step read.
if (cd firmware && CARGO_TARGET_DIR=$target_dir/firmware timeout 300 cargo run --release --locked --features sabotage) >"$tmp/sabotage.log" 2>&1; then
  cat "$tmp/sabotage.log"; echo "the sabotaged firmware exited 0"; exit 1
fi
# dx[3] is sabotaged in the stored step's scenarios, dx[0] in the tiled one's.
for at in 3 0; do
  grep -q "MISMATCH dx\[$at\]" "$tmp/sabotage.log" || { cat "$tmp/sabotage.log"; echo "sabotage: no mismatch reported at dx[$at]"; exit 1; }
done
echo "sabotaged firmware failed as it must: $(grep -c MISMATCH "$tmp/sabotage.log") mismatch line(s)"

step "C ABI: include/dpm_core.h is current"
cbindgen -q --config cbindgen.toml --output "$tmp/dpm_core.h"
diff -u include/dpm_core.h "$tmp/dpm_core.h" ||
  { echo "include/dpm_core.h is stale: cbindgen --config cbindgen.toml --output include/dpm_core.h"; exit 1; }

step "C ABI: host static library, gcc, run"
cargo rustc --release --lib --features capi,std --crate-type staticlib
gcc -std=c99 -Wall -Wextra -Werror -pedantic -I include capi-tests/test.c \
  "$target_dir/release/libdpm_core.a" -Wl,--gc-sections -lpthread -lm -ldl -o "$tmp/capi-test"
"$tmp/capi-test"

step "C ABI: the CMake example links the same library, ctest runs the C test"
cmake -S capi-tests/cmake -B "$tmp/cmake" -DDPM_CORE_CARGO=OFF \
  -DDPM_CORE_LIB="$target_dir/release/libdpm_core.a" >/dev/null
cmake --build "$tmp/cmake" >/dev/null
ctest --test-dir "$tmp/cmake" --output-on-failure

step "C ABI: Cortex-M4F static library (sparse capacity $capi_capacity), arm-none-eabi-gcc, run under QEMU"
# The capacity is fixed when the library is built: cargo gets it in its
# environment (build.rs reruns when it changes) and the C the same value.
# A target folder per capacity, so that no build of another capacity
# overwrites this library or is rebuilt over it.
capi_lib_dir=$target_dir/capi-staticlib-cap$capi_capacity
(cd capi-tests/staticlib && DPM_SPARSE_CAPACITY=$capi_capacity CARGO_TARGET_DIR=$capi_lib_dir \
  cargo build --release --locked --target thumbv7em-none-eabihf)
# shellcheck disable=SC2086 # $arm_flags are several flags
arm-none-eabi-gcc $arm_flags -std=c99 -Wall -Wextra -Werror -O2 --specs=rdimon.specs -nostartfiles \
  -DDPM_SPARSE_CAPACITY="$capi_capacity" -T capi-tests/mps2.ld -I include capi-tests/startup.c capi-tests/test.c \
  "$capi_lib_dir/thumbv7em-none-eabihf/release/libdpm_core_c.a" -lm \
  -Wl,--gc-sections -Wl,--no-warn-execstack -o "$tmp/capi-test.elf"
# shellcheck disable=SC2086 # $qemu is a command line
timeout 120 $qemu "$tmp/capi-test.elf" | tee "$tmp/capi-qemu.log"
grep -q "^sparse state: capacity $capi_capacity," "$tmp/capi-qemu.log" ||
  { echo "the Cortex-M4F C test did not run at sparse capacity $capi_capacity"; exit 1; }

step "embedded: all passed"
