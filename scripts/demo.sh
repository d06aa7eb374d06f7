#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# The main job on the simulated endpoint: builds the RTL under Verilator, identifies the endpoint
# (`peerbar info`), then runs the whole peer-to-peer data path (`peerbar copy`): 64 MiB from host
# memory through BAR2 into a simulated NVMe SSD and back out through BAR2, every chunk's CRC
# checked in BAR2 by the engine and every byte compared. Extra arguments go to copy.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
peerbar() { cargo run --quiet --release --locked -p peerbar-tools -- "$@"; }
peerbar info
peerbar copy "$@"
