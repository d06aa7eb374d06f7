#!/usr/bin/env bash
# Runs every test: unit tests, RTL unit tests under Verilator, end-to-end tests over the
# simulated endpoint and the CLI tests. Installs what is missing first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
cargo test --workspace --locked "$@"
