#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Checks of hw/board that need no Vivado:
# 1. Verilator --lint-only -Wall of the board wrapper (top peerbar_board_top) against the
#    port-exact stubs of the PCIe IP and UNISIM buffers (hw/board/common/stubs; the simulation
#    builds the same files) and the real RTL (hw/rtl). Any warning fails. Waivers (each with
#    its reason): hw/board/lint.vlt (board files) and hw/lint/verilator.vlt (hw/rtl).
# 2. A dry run of each board's Vivado flow under tclsh with the Vivado commands stubbed out
#    (hw/board/common/dryrun.tcl): the Tcl runs to the end, the IP's MSI-X table and PBA offsets
#    are the register map's (hw/board/common/peerbar_regmap.tcl, generated), and a port-list
#    mismatch between the generated IP and the lint stub stops it.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rtl="$here/../rtl"

if ! command -v verilator >/dev/null 2>&1; then
  echo "hw/board/lint.sh: verilator not found. Install it: sudo apt-get install -y verilator" >&2
  exit 2
fi

# The RTL in compile order, from the one list (hw/rtl/files.f).
mapfile -t files < <(sed -e 's|//.*||' -e '/^[[:space:]]*$/d' "$rtl/files.f" | sed "s|^|$rtl/|")

echo "hw/board: verilator lint of peerbar_board_top"
verilator --lint-only -Wall --top-module peerbar_board_top \
  "$here/../lint/verilator.vlt" "$here/lint.vlt" \
  "${files[@]}" \
  "$here/common/stubs/pcie4_uscale_plus_stub.sv" \
  "$here/common/peerbar_board_top.sv"

if ! command -v tclsh >/dev/null 2>&1; then
  echo "hw/board/lint.sh: tclsh not found. Install it: sudo apt-get install -y tcl" >&2
  exit 2
fi
for board in vcu118 as02mc04; do
  echo "hw/board: dry run of $board/build.tcl"
  log=$(tclsh "$here/common/dryrun.tcl" "$board" 2>&1) || { echo "$log"; exit 1; }
  # The IP announces the MSI-X table and PBA where the register map puts them.
  for what in TABLE PBA; do
    var="peerbar_msix_$(tr '[:upper:]' '[:lower:]' <<<"$what")_offset"
    want=$(sed -n "s/^set $var //p" "$here/common/peerbar_regmap.tcl")
    if [ -z "$want" ] || ! grep -q "dryrun: CONFIG.PF0_MSIX_CAP_${what}_OFFSET = $want\$" <<<"$log"; then
      echo "$log"
      echo "hw/board/lint.sh: $board: the IP's MSI-X $what offset is not the register map's ($want)" >&2
      exit 1
    fi
  done
  log=$(tclsh "$here/common/dryrun.tcl" "$board" 20 4 width 2>&1) || true
  if ! grep -q "ports differ from" <<<"$log"; then
    echo "$log"
    echo "hw/board/lint.sh: $board: a wrong IP port width did not stop the flow" >&2
    exit 1
  fi
done
echo "hw/board: lint and dry runs clean"
