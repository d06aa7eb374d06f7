#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Lint the peerbar RTL: verilator --lint-only -Wall, top peerbar_top. Exits non-zero on any
# warning or error. Waivers (each with its reason) live in hw/lint/verilator.vlt.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rtl="$here/../rtl"

if ! command -v verilator >/dev/null 2>&1; then
  echo "lint.sh: verilator not found. Install it: sudo apt-get install -y verilator" >&2
  exit 2
fi

# The files in compile order, from the one list (hw/rtl/files.f).
mapfile -t files < <(sed -e 's|//.*||' -e '/^[[:space:]]*$/d' "$rtl/files.f" | sed "s|^|$rtl/|")

# A source file the list does not name would be linted, simulated and built by nobody.
# (A lookup table, not `printf | grep -q`: under pipefail, grep leaving at the first match can
# kill printf with SIGPIPE and fail the pipeline for a file that is listed.)
declare -A listed=()
for f in "${files[@]}"; do listed[$f]=1; done
for f in "$rtl"/*.sv; do
  if [[ -z ${listed[$f]:-} ]]; then
    echo "lint.sh: $(basename "$f") is not in hw/rtl/files.f (the compile order every tool reads)" >&2
    exit 1
  fi
done

# -Wall turns on the style warnings; any warning is fatal (no -Wno-fatal).
exec verilator --lint-only -Wall --top-module peerbar_top \
  "$here/verilator.vlt" "${files[@]}" "$@"
