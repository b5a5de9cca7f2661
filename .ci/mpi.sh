#!/usr/bin/env bash
# The DPM step sharded over MPI ranks (mpi-shard/, dpm_core::shard): the
# 2-rank run at b = 1024, d = 128 checked on every rank against the
# single-process step, then the faults that must end the job with a clear
# message instead of a hang: a rank that exits, is killed (SIGKILL),
# panics or hangs, and ranks that disagree on the sizes. Every run is
# bounded (mpirun --timeout, and timeout -k around it).
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n=== %s (%s)\n' "$*" "$(date +%T)"; }

step "MPI: install OpenMPI and libclang (rsmpi's bindgen) if missing"
# libclang-dev: the clang library and its built-in headers (stddef.h),
# which mpi-sys's bindgen needs to read mpi.h.
packages="libopenmpi-dev openmpi-bin libclang-dev"
# shellcheck disable=SC2086 # a word list
if ! dpkg -s $packages >/dev/null 2>&1; then
  apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
fi
mpirun --version | head -n 1

step "MPI: build the example (formatted, lint-clean)"
cd mpi-shard
target_dir=${CARGO_TARGET_DIR:-../target}/mpi-shard
cargo fmt --check
CARGO_TARGET_DIR=$target_dir cargo clippy --release --locked -- -D warnings
CARGO_TARGET_DIR=$target_dir cargo build --release --locked
bin=$target_dir/release/dpm-core-mpi

# As root (CI machines), OpenMPI wants to be told; more ranks than cores
# need oversubscription; OpenMPI's own signal handlers can deadlock in a
# rank whose memory a mismatched collective corrupted, so they are off.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_opal_signal=
run() { timeout -k 10 150 mpirun --oversubscribe --timeout 120 "$@"; }

step "MPI: 2 ranks, b = 1024, d = 128, 6 steps, against the single-process step"
run -np 2 "$bin" 1024 128 6 | tee "$target_dir/np2.log"
grep -q "PASS" "$target_dir/np2.log"

step "MPI: faults end the job with a message, within a bound"
for fault in exit kill panic hang sizes; do
  start=$(date +%s)
  rc=0
  DPM_MPI_FAULT=$fault DPM_MPI_TIMEOUT=10 run -np 2 "$bin" 256 32 3 >"$target_dir/fault.log" 2>&1 || rc=$?
  took=$(($(date +%s) - start))
  case $fault in
    exit) want="injected fault: exiting" ;;
    kill) want="exited on signal 9" ;;
    panic) want="injected fault: panic" ;;
    hang) want="no progress for 10 s" ;;
    sizes) want="ranks disagree on (b, d, steps, n, ranks)" ;;
  esac
  if [ "$rc" -eq 0 ] || ! grep -q "$want" "$target_dir/fault.log" || [ "$took" -gt 60 ]; then
    cat "$target_dir/fault.log"
    echo "MPI fault '$fault': status $rc after $took s; expected a failure within 60 s saying: $want"
    exit 1
  fi
  echo "fault $fault: status $rc after $took s: $want"
done
step "MPI: all passed"
