#!/usr/bin/env bash
# The cargo tools CI uses, at the versions it checks against: cargo-fuzz
# (fuzz smoke) and cbindgen (the C header must be what this version
# generates). Installs only what is missing; .ci/run starts it in the
# background at the beginning, .ci/fuzz.sh and .ci/embedded.sh call it
# again (instant once installed) so that they also run alone.
set -euo pipefail
cbindgen_version=0.29.4
command -v cargo-fuzz >/dev/null || cargo install --locked --quiet cargo-fuzz
if [ "$(cbindgen --version 2>/dev/null)" != "cbindgen $cbindgen_version" ]; then
  cargo install --locked --quiet "cbindgen@$cbindgen_version"
fi
