#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Where the Verilator model spends its time, per always block: verilates hw/rtl as
# bitstream-sim/build.rs does, plus --prof-cfuncs (each always block becomes its own C
# function named after its module and source line), runs idle_main.cpp's idle cycles under
# callgrind and prints the instructions per simulated cycle by module and by always block.
# The split costs calls of its own, so the total of the model as the simulation builds it
# (without --prof-cfuncs) is measured too and printed first. Instruction counts are exact and
# do not depend on the machine's load, unlike wall time.
#
#   bash bitstream-sim/profile/profile.sh [CYCLES]      (default 20000; needs valgrind)
#
# Work directory: target/profile (PEERBAR_PROFILE_DIR to change it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cycles=${1:-20000}
work=${PEERBAR_PROFILE_DIR:-$root/target/profile}
command -v valgrind >/dev/null || { echo "profile.sh needs valgrind (apt-get install -y valgrind)" >&2; exit 2; }
command -v verilator >/dev/null || { echo "profile.sh needs verilator" >&2; exit 2; }
rm -rf "$work" && mkdir -p "$work"
mapfile -t rtl < <(sed -e 's#//.*##' "$root/hw/rtl/files.f" | awk 'NF {print "'"$root"'/hw/rtl/" $1}')
objs=(verilated.o verilated_fst_c.o verilated_threads.o verilated_dpi.o)
# build DIR [VERILATOR OPTION...]: the model with the options of bitstream-sim/build.rs (and
# those given), and idle_main.cpp, into DIR/idle.
build() {
  local dir=$1
  shift
  verilator --cc --trace-fst -O3 --x-assign fast --x-initial fast "$@" \
    --top-module peerbar_board_top --prefix Vpeerbar_board_top --timescale 1ns/1ns \
    -GBar2SizeLog2=20 -GFlrHoldCycles=16 -Mdir "$dir/v" \
    "$root/hw/lint/verilator.vlt" "$root/hw/board/lint.vlt" "${rtl[@]}" \
    "$root/hw/board/common/stubs/pcie4_uscale_plus_stub.sv" \
    "$root/hw/board/common/peerbar_board_top.sv"
  make -C "$dir/v" -f Vpeerbar_board_top.mk -s -j"$(nproc)" OPT_FAST=-O2 OPT_SLOW=-O1 \
    OPT_GLOBAL=-O2 Vpeerbar_board_top__ALL.a "${objs[@]}" >/dev/null
  local inc=(-I"$root/bitstream-sim/csrc" -I/usr/share/verilator/include
             -I/usr/share/verilator/include/vltstd -I"$dir/v")
  g++ -O2 "${inc[@]}" -c "$root/bitstream-sim/csrc/peerbar_rtl.cpp" -o "$dir/peerbar_rtl.o"
  g++ -O2 "${inc[@]}" -c "$here/idle_main.cpp" -o "$dir/idle_main.o"
  ( cd "$dir/v" && g++ -o "$dir/idle" "$dir/idle_main.o" "$dir/peerbar_rtl.o" \
      Vpeerbar_board_top__ALL.a "${objs[@]}" -lz -lpthread )
}
# total DIR: instructions per idle cycle of DIR/idle (two runs: the difference takes out
# construction and reset); leaves the two callgrind summaries in DIR.
total() {
  local dir=$1 n
  for n in "$cycles" $((2 * cycles)); do
    valgrind --tool=callgrind --callgrind-out-file="$dir/cg.$n" "$dir/idle" "$n" >/dev/null 2>&1
    callgrind_annotate --auto=no --threshold=100 "$dir/cg.$n" > "$dir/cg.$n.txt"
  done
  python3 - "$dir/cg.$cycles.txt" "$dir/cg.$((2 * cycles)).txt" "$cycles" <<'PY'
import re, sys
def total(path):
    for line in open(path):
        m = re.match(r'^\s*([0-9,]+) \(.*PROGRAM TOTALS', line)
        if m:
            return int(m.group(1).replace(',', ''))
print(f"{(total(sys.argv[2]) - total(sys.argv[1])) / int(sys.argv[3]):.0f}")
PY
}
mkdir -p "$work/plain" "$work/prof"
build "$work/plain"
echo "instructions per idle cycle, the model as the simulation builds it: $(total "$work/plain")"
build "$work/prof" --prof-cfuncs
total "$work/prof" >/dev/null
python3 - "$work/prof/cg.$cycles.txt" "$work/prof/cg.$((2 * cycles)).txt" "$cycles" <<'PY'
import collections, re, sys
def load(path):
    blocks = collections.Counter()
    total = 0
    for line in open(path):
        m = re.match(r'^\s*([0-9,]+) \(', line)
        if not m or 'PROGRAM TOTALS' in line:
            continue
        c = int(m.group(1).replace(',', ''))
        if 'mcount' in line:
            continue  # the profiling hook itself
        total += c
        r = re.search(r'PROF__(\w+?)__l(\d+)', line)
        blocks[f"{r.group(1)}:{r.group(2)}" if r else '(scheduler, shim)'] += c
    return blocks, total
a, ta = load(sys.argv[1]); b, tb = load(sys.argv[2]); n = int(sys.argv[3])
per = {k: (b[k] - a[k]) / n for k in set(a) | set(b)}
tot = (tb - ta) / n
mods = collections.Counter()
for k, v in per.items():
    mods[k.split(':')[0]] += v
print(f"with --prof-cfuncs (the split below; its hooks excluded): {tot:.0f}")
print("\nby module:")
for k, v in mods.most_common():
    if v >= 1: print(f"  {v:8.0f}  {k}")
print("\nby always block (module:line), top 30:")
for k, v in sorted(per.items(), key=lambda kv: -kv[1])[:30]:
    print(f"  {v:8.0f}  {k}")
PY
