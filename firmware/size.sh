#!/usr/bin/env bash
# Code and data size of the DPM steps in the firmware ELF (the stored step
# from features and the tiled one), from its symbol table: every symbol of
# dpm_core (generic code is named after dpm_core wherever it is
# instantiated) and of libm (expf, logf, log1pf, sqrtf, which the steps
# call). Prints a markdown table; exits 1 if their .text exceeds the 24 KiB
# budget (16 KiB for the stored step alone until the tiled step joined the
# firmware; the two share their kernels) or no symbol is counted. Run after `cargo build --release` here.
set -euo pipefail
cd "$(dirname "$0")"
elf=${1:-target/thumbv7em-none-eabihf/release/dpm-firmware}
[ -f "$elf" ] || { echo "size.sh: no ELF at $elf (a relative path is read from firmware/)"; exit 1; }
budget=$((24 * 1024))
# nm -S: address size type name; t/T text, r/R rodata, d/D data, b/B bss.
# nm -t d prints decimal sizes (mawk has no strtonum).
arm-none-eabi-nm -C -S -t d --size-sort "$elf" | awk -v budget="$budget" '
  {
    name = $4; for (i = 5; i <= NF; i++) name = name " " $i
    if (name ~ /(^|[<( ])dpm_core::/) who = "dpm_core"; else if (name ~ /^libm::/) who = "libm"; else next
    sz = $2 + 0; t = tolower($3)
    sec = (t == "t") ? "text" : (t == "r") ? "rodata" : (t == "d") ? "data" : (t == "b") ? "bss" : "other"
    s[who, sec] += sz; n[who] += 1
  }
  END {
    printf "| symbols | count | .text | .rodata | .data | .bss |\n|---|---|---|---|---|---|\n"
    split("dpm_core libm", w, " ")
    for (k = 1; k <= 2; k++) {
      x = w[k]; printf "| %s | %d | %d | %d | %d | %d |\n", x, n[x], s[x, "text"], s[x, "rodata"], s[x, "data"], s[x, "bss"]
      text += s[x, "text"]; ro += s[x, "rodata"]; da += s[x, "data"]; bs += s[x, "bss"]
    }
    printf "| **DPM steps total** | %d | **%d** | %d | %d | %d |\n", n["dpm_core"] + n["libm"], text, ro, da, bs
    if (text > budget) { printf "over budget: .text %d > %d bytes\n", text, budget; exit 1 }
    if (text == 0) { printf "no dpm_core or libm symbol counted\n"; exit 1 }
  }'
