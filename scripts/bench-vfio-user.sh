#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# In process vs through vfio-user: MMIO round trips and DMA throughput of the simulated
# endpoint, with one release binary (docs/vfio-user.md, "Measured"). Needs jq.
#
#   scripts/bench-vfio-user.sh [ROUNDS]      (default 3; the three targets alternate)
#
# Targets: in-process (no --device), vfio-user (DMA memory as shared memfds, the default) and
# vfio-user-messages (PEERBAR_VFIO_USER_DMA=messages: DMA by DMA_READ/DMA_WRITE messages).
#
# Prints one line per run: target, round, 32-bit MMIO writes/s and reads/s (bar-test --access 4
# over 64 KiB: 16384 single-TLP accesses each way), and wall-clock MB/s of each bench row.
set -euo pipefail
rounds=${1:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release -q -p peerbar-tools --manifest-path "$root/Cargo.toml"
peerbar="$root/target/release/peerbar"
work=$(mktemp -d)
trap 'kill -TERM "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
"$peerbar" sim serve --socket "$work/sim.sock" 2>"$work/serve.log" &
server=$!
until [ -S "$work/sim.sock" ]; do sleep 0.1; done
for round in $(seq "$rounds"); do
    for target in in-process vfio-user vfio-user-messages; do
        device=()
        dma=memfd
        [ "$target" != in-process ] && device=(--device "vfio-user:$work/sim.sock")
        [ "$target" = vfio-user-messages ] && dma=messages
        export PEERBAR_VFIO_USER_DMA=$dma
        mmio=$("$peerbar" "${device[@]}" --json bar-test --access 4 --pattern address --length 64k |
            jq -r '.results[0] | "writes/s \(16384 / .write_seconds | floor)  reads/s \(16384 / .read_seconds | floor)"')
        dma=$("$peerbar" "${device[@]}" --json bench --op pull,push --entry-sizes 4k,64k \
            --list-lengths 8 --queue-depths 4 --jobs 32 |
            jq -r '[.rows[] | "\(.op) \(.entry_bytes / 1024) KiB \(.bytes / .wall_seconds / 1e6 * 100 | floor / 100) MB/s"] | join(", ")')
        echo "$target round $round: $mmio; $dma"
    done
done
