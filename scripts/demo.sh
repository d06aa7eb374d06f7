#!/usr/bin/env bash
# The main job on the simulated endpoint: builds the RTL under Verilator, identifies the endpoint
# (`peerbar info`) and tests its peer memory (`peerbar bar-test`). Extra arguments go to bar-test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
peerbar() { cargo run --quiet --release --locked -p peerbar-tools -- "$@"; }
peerbar info
peerbar bar-test "$@"
