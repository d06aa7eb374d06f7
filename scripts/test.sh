#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Runs every test: unit tests, RTL unit tests under Verilator, end-to-end tests over the
# simulated endpoint and the CLI tests, then the VFIO path in a real Linux kernel under QEMU
# (scripts/test-vfio.sh). Installs what is missing first (scripts/setup.sh; test-vfio.sh
# installs QEMU), or stops with the exact command to run.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
cargo test --workspace --locked "$@"
bash scripts/test-vfio.sh
