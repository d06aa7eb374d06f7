#!/usr/bin/env bash
# Lint the peerbar RTL: verilator --lint-only -Wall, top peerbar_top. Exits non-zero on any
# warning or error. Waivers (each with its reason) live in hw/lint/verilator.vlt.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rtl="$here/../rtl"

if ! command -v verilator >/dev/null 2>&1; then
  echo "lint.sh: verilator not found. Install it: sudo apt-get install -y verilator" >&2
  exit 2
fi

# Packages first (Verilator needs a package parsed before it is imported), then the modules.
mapfile -t pkgs < <(ls "$rtl"/*_pkg.sv | sort)
mapfile -t mods < <(ls "$rtl"/*.sv | grep -v '_pkg\.sv$' | sort)

# -Wall turns on the style warnings; any warning is fatal (no -Wno-fatal).
exec verilator --lint-only -Wall --top-module peerbar_top \
  "$here/verilator.vlt" "${pkgs[@]}" "${mods[@]}" "$@"
