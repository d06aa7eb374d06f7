// SPDX-License-Identifier: MIT OR Apache-2.0
//! The library's example programs (examples/*.rs at the repository root) run against the
//! simulated endpoint and do what their comments say: exit 0 and print their key lines.
//!
//! `cargo test` builds a package's examples before running its tests, and puts them beside the
//! test binaries' directory (target/<profile>/examples/). Selecting one test target alone
//! (`--test examples`) does not build them: run `cargo build -p peerbar-tools --examples` first.
#![cfg(feature = "sim")]

use std::path::PathBuf;
use std::process::Command;

/// Runs the example binary `name` and returns its stdout, failing the test on a non-zero exit.
fn run_example(name: &str) -> String {
    // This test runs from target/<profile>/deps/; the examples are in target/<profile>/examples/.
    let exe = std::env::current_exe().expect("path of the test binary");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let path: PathBuf = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        path.exists(),
        "{} is not built: `cargo test` builds it, or `cargo build -p peerbar-tools --examples`",
        path.display()
    );
    let out = Command::new(&path).output().expect("start the example");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{name} exited with {}:\n{stdout}{stderr}",
        out.status
    );
    stdout
}

#[test]
fn open_endpoint_prints_the_identity_registers() {
    let out = run_example("open_endpoint");
    assert!(out.contains("magic:       0x50454552"), "{out}");
    assert!(out.contains("version:     0."), "{out}");
    assert!(out.contains("bar2 size:   1024 KiB"), "{out}");
}

#[test]
fn dma_push_moves_every_byte_where_the_lists_say() {
    let out = run_example("dma_push");
    assert_eq!(out.matches("PULL list entry: bus 0x").count(), 3, "{out}");
    assert!(out.contains("PULL done: 8192 bytes"), "{out}");
    assert!(out.contains("PUSH done: 8192 bytes"), "{out}");
    assert!(
        out.contains("every byte landed where the lists said"),
        "{out}"
    );
}

#[test]
fn nvme_peer_moves_the_disk_blocks_through_bar2_to_the_host() {
    let out = run_example("nvme_peer");
    assert!(
        out.contains("NVMe read: 16384 bytes from LBA 8 into BAR2"),
        "{out}"
    );
    assert!(
        out.contains("all 16384 bytes went SSD -> BAR2 -> host unchanged"),
        "{out}"
    );
}
