#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Per-module Verilator unit tests of hw/rtl (docs/simulation.md, "Unit tests of the RTL").
#
#   hw/test/run.sh NAME...   the named tests (a directory hw/test/NAME each)
#   hw/test/run.sh all       every test
#
# A test is a directory hw/test/NAME holding tb.sv (top module tb) and files.f: the hw/rtl files
# it needs, in compile order, one a line, relative to hw/rtl (// starts a comment). The bench is
# built with verilator --binary --timing (Verilator 5: timed testbench, C++ main generated) and
# -Wall, every warning fatal, then run; it passes when it ends with $finish, fails on $fatal or a
# run-time error. Exit status: 0 all passed, 1 a test failed or did not build, 2 bad usage.
# VERILATOR_JOBS (default 1) is the make -j of each build.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rtl="$here/../rtl"

usage() { sed -n '3,14p' "$0" >&2; exit 2; }
[ $# -gt 0 ] || usage
if ! command -v verilator >/dev/null 2>&1; then
  echo "run.sh: verilator not found. Install it: sudo apt-get install -y verilator" >&2
  exit 2
fi

names=()
for arg in "$@"; do
  case "$arg" in
    -h|--help) usage ;;
    all)
      for d in "$here"/*/; do
        [ -f "$d/tb.sv" ] && names+=("$(basename "$d")")
      done
      ;;
    *)
      if [ ! -f "$here/$arg/tb.sv" ] || [[ "$arg" == */* ]]; then
        echo "run.sh: no unit test '$arg' (known: $(cd "$here" && ls -d */ | tr -d / | paste -sd ' '))" >&2
        exit 2
      fi
      names+=("$arg")
      ;;
  esac
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=()
for name in "${names[@]}"; do
  echo "=== unit test $name"
  mapfile -t files < <(sed -e 's|//.*||' -e '/^[[:space:]]*$/d' "$here/$name/files.f" |
                       sed "s|^|$rtl/|")
  if ! verilator --binary --timing -Wall --top-module tb -Mdir "$work/$name" \
         -j "${VERILATOR_JOBS:-1}" -o "V$name" \
         "${files[@]}" "$here/$name/tb.sv" >"$work/$name.build.log" 2>&1; then
    echo "FAIL $name: the bench did not build; its last lines:"
    tail -n 20 "$work/$name.build.log" | sed 's/^/  /'
    failed+=("$name")
    continue
  fi
  if ! "$work/$name/V$name"; then
    echo "FAIL $name"
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "run.sh: failed: ${failed[*]}"
  exit 1
fi
echo "run.sh: passed: ${names[*]}"
