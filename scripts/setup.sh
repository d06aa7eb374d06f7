#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Installs what peerbar needs on a fresh Debian/Ubuntu machine that has only Rust, or stops with
# the exact command to run. Sourced by the other scripts; safe to run again.
set -euo pipefail

need_pkgs=()
command -v verilator >/dev/null 2>&1 || need_pkgs+=(verilator)
# tclsh runs the dry runs of the board build scripts (hw/board/lint.sh).
command -v tclsh >/dev/null 2>&1 || need_pkgs+=(tcl)
# Verilator's FST waveform writer links zlib; make/g++ build the verilated model.
[ -f /usr/include/zlib.h ] || need_pkgs+=(zlib1g-dev)
command -v make >/dev/null 2>&1 || need_pkgs+=(make)
command -v g++ >/dev/null 2>&1 || need_pkgs+=(g++)

if [ ${#need_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "peerbar setup: installing ${need_pkgs[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "peerbar setup: installing ${need_pkgs[*]} with sudo" >&2
    sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
  else
    echo "peerbar needs: ${need_pkgs[*]}. Install them, then run this again:" >&2
    echo "  sudo apt-get install -y ${need_pkgs[*]}" >&2
    exit 1
  fi
fi

# Verilator 5.006 (Debian 12) or newer.
ver=$(verilator --version | awk '{print $2}')
if [ "$(printf '%s\n5.006\n' "$ver" | sort -V | head -n1)" != "5.006" ]; then
  echo "peerbar needs Verilator 5.006 or newer; found $ver. Install a newer verilator package (Debian 12+ / Ubuntu 24.04+)." >&2
  exit 1
fi

for comp in rustfmt clippy; do
  if ! cargo "${comp/rustfmt/fmt}" --version >/dev/null 2>&1; then
    if command -v rustup >/dev/null 2>&1; then
      rustup component add "$comp"
    else
      echo "peerbar's checks need the Rust component $comp: rustup component add $comp" >&2
      exit 1
    fi
  fi
done
