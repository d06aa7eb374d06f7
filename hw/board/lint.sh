#!/usr/bin/env bash
# Verilator --lint-only -Wall of the board wrapper (top peerbar_board_top) against the
# port-exact stubs of the PCIe IP and UNISIM buffers (hw/board/common/stubs) and the real RTL
# (hw/rtl). Any warning fails. Waivers (each with its reason): hw/board/lint.vlt (board files)
# and hw/lint/verilator.vlt (hw/rtl).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rtl="$here/../rtl"

if ! command -v verilator >/dev/null 2>&1; then
  echo "hw/board/lint.sh: verilator not found. Install it: sudo apt-get install -y verilator" >&2
  exit 2
fi

mapfile -t pkgs < <(ls "$rtl"/*_pkg.sv | sort)
mapfile -t mods < <(ls "$rtl"/*.sv | grep -v '_pkg\.sv$' | sort)

echo "hw/board: verilator lint of peerbar_board_top"
verilator --lint-only -Wall --top-module peerbar_board_top \
  "$here/../lint/verilator.vlt" "$here/lint.vlt" \
  "${pkgs[@]}" "${mods[@]}" \
  "$here/common/stubs/pcie4_uscale_plus_stub.sv" \
  "$here/common/peerbar_board_top.sv"

