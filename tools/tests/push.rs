// SPDX-License-Identifier: MIT OR Apache-2.0
//! `peerbar push` end to end on the simulated endpoint: lists in every format PULLed and PUSHed
//! with --verify, the engine's error status (exit 4), and every class of bad input (exit 2,
//! naming the line, entry or descriptor; nothing submitted).

use std::path::PathBuf;

use serde_json::Value;

mod common;
use common::{run, EXIT_DMA_STATUS, EXIT_OK, EXIT_USAGE};

/// The simulated endpoint's BAR2 bus address (peerbar-sim's default).
const SIM_BAR2_BUS: u64 = 0x38_0000_0000;

/// Writes `contents` to a file named `name` in this test binary's scratch directory.
fn list_file(name: &str, contents: &[u8]) -> String {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("peerbar-push");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("list file written");
    path.to_string_lossy().into_owned()
}

/// Runs `peerbar --json push FILE args...`, expecting `code`, and parses stdout.
fn push_json(file: &str, args: &[&str], code: i32) -> Value {
    let mut all = vec!["--json", "push", file];
    all.extend_from_slice(args);
    let r = run(&all);
    assert_eq!(r.code, code, "peerbar {all:?}: {}{}", r.stdout, r.stderr);
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("peerbar {all:?}: stdout is not JSON ({e}):\n{}", r.stdout))
}

fn check_report(v: &Value, op: &str, entries: u64, bytes: u64) {
    assert_eq!(v["schema"], "peerbar-push/1");
    assert_eq!(v["op"], op);
    assert_eq!(v["entries"], entries);
    assert_eq!(v["bytes"], bytes);
    for key in [
        "file",
        "queue",
        "bar2_offset",
        "status",
        "status_code",
        "ok",
        "wall_seconds",
        "sim_cycles",
        "verified",
    ] {
        assert!(v.get(key).is_some(), "field {key:?} missing in {v:#}");
    }
    assert!(v["sim_cycles"].as_u64().unwrap() > 0, "{v:#}");
    assert!(v["wall_seconds"].as_f64().unwrap() > 0.0, "{v:#}");
}

const MIXED: &str = "\
# host pieces, a hole BAR2 keeps, and bytes copied from BAR2 itself
host:+0x100     4KiB
-               1K        bitbucket
bar2:+0x80000   0x800     # peer memory
host:+0x2003    100 data
";

#[test]
fn pull_text_with_host_bar2_and_bitbucket_verifies() {
    let file = list_file("mixed.txt", MIXED.as_bytes());
    let v = push_json(
        &file,
        &["--verify", "--bar2-offset", "0x1000", "--seed", "7"],
        EXIT_OK,
    );
    check_report(&v, "pull", 4, 4096 + 1024 + 2048 + 100);
    assert_eq!(v["ok"], true);
    assert_eq!(v["status_code"], 0);
    assert_eq!(v["verified"], true);
    assert_eq!(v["bar2_offset"], 0x1000);
    assert_eq!(v["queue"], 0);
    assert_eq!(v["file"], file.as_str());
    // RESULT counts bytes written to BAR2: bit bucket bytes excluded.
    assert_eq!(v["result"], 4096 + 2048 + 100);

    let r = run(&["push", &file, "--verify", "--queue", "1"]);
    assert_eq!(r.code, EXIT_OK, "{}{}", r.stdout, r.stderr);
    for needle in [
        "000h (success)",
        "verify   passed",
        "simulated cycles",
        "PULL 4 entries",
    ] {
        assert!(
            r.stdout.contains(needle),
            "{needle:?} missing:\n{}",
            r.stdout
        );
    }
}

#[test]
fn push_text_with_host_and_bar2_verifies() {
    let file = list_file(
        "push.txt",
        b"host:+0x10 3000\nbar2:+0x40000 4K\nhost:+0x4000 0x1000\n",
    );
    let v = push_json(
        &file,
        &["--op", "push", "--bar2-offset", "0x2000", "--verify"],
        EXIT_OK,
    );
    check_report(&v, "push", 3, 3000 + 4096 + 4096);
    assert_eq!(v["ok"], true);
    assert_eq!(v["verified"], true);
    assert_eq!(v["result"], 3000 + 4096 + 4096);
}

#[test]
fn json_format_pulls_and_verifies() {
    let file = list_file(
        "list.json",
        br#"{"entries": [
            {"address": "host:+0x100", "length": "4KiB", "type": "data"},
            {"address": "-", "length": 512, "type": "bitbucket"},
            {"address": "bar2:+0x90000", "length": 256}
        ]}"#,
    );
    let v = push_json(&file, &["--verify"], EXIT_OK);
    check_report(&v, "pull", 3, 4096 + 512 + 256);
    assert_eq!(v["format"], "json");
    assert_eq!(v["verified"], true);
}

fn descriptor(addr: u64, len: u32, ty: u8) -> [u8; 16] {
    let mut d = [0u8; 16];
    d[0..8].copy_from_slice(&addr.to_le_bytes());
    d[8..12].copy_from_slice(&len.to_le_bytes());
    d[15] = ty << 4;
    d
}

#[test]
fn sgl_format_pulls_raw_descriptors() {
    let mut bytes = Vec::new();
    bytes.extend(descriptor(SIM_BAR2_BUS + 0x80000, 1024, 0));
    bytes.extend(descriptor(0, 64, 1));
    bytes.extend(descriptor(SIM_BAR2_BUS + 0x90000, 512, 0));
    let file = list_file("raw.sgl", &bytes);
    let v = push_json(&file, &[], EXIT_OK);
    check_report(&v, "pull", 3, 1024 + 64 + 512);
    assert_eq!(v["format"], "sgl");
    assert_eq!(v["ok"], true);
    assert_eq!(v["verified"], Value::Null);
    // The same file named anything, with --format.
    let other = list_file("raw.bin", &bytes);
    let v = push_json(&other, &["--format", "sgl"], EXIT_OK);
    assert_eq!(v["format"], "sgl");
}

#[test]
fn unmapped_bus_address_completes_with_unsupported_request() {
    let file = list_file("unmapped.txt", b"0x3000000000 4KiB\n");
    let v = push_json(&file, &[], EXIT_DMA_STATUS);
    assert_eq!(v["status_code"], 0xc2);
    assert_eq!(v["ok"], false);
    assert!(v["status"].as_str().unwrap().starts_with("0C2h"), "{v:#}");
    let r = run(&["push", &file]);
    assert_eq!(r.code, EXIT_DMA_STATUS);
    assert!(
        r.stdout.contains("0C2h (Unsupported Request"),
        "{}",
        r.stdout
    );
}

/// A bad-input case: file name, contents, extra arguments, what stderr must say.
type BadCase<'a> = (&'a str, &'a [u8], &'a [&'a str], &'a [&'a str]);

#[test]
fn bad_input_is_a_usage_error_naming_where() {
    let cases: &[BadCase] = &[
        ("addr.txt", b"host:+0 4k\nnvme:+0 4k\n", &[], &["line 2", "unknown address"]),
        ("num.txt", b"0x12zz 4k\n", &[], &["line 1", "unknown address"]),
        ("unit.txt", b"host:+0 4XiB\n", &[], &["line 1", "bad length"]),
        ("zero.txt", b"host:+0 0\n", &[], &["line 1", "zero-length"]),
        ("big.txt", b"host:+0 4GiB\n", &[], &["line 1", "4 GiB - 1"]),
        ("bar2end.txt", b"host:+0 16\nbar2:+0xFFF00 4K\n", &[], &["line 2", "past the end of BAR2"]),
        ("overlap.txt", b"bar2:+0x800 4K\n", &["--bar2-offset", "0x1000"], &["line 1", "overlaps"]),
        ("hostbig.txt", b"host:+0 16\nhost:+0xFFFFFF0 0x100\n", &[], &["line 2", "256 MiB"]),
        ("total.txt", b"0x1000 0xffffffff\n0x1000 0xffffffff\n", &[], &["32-bit LENGTH"]),
        ("pastbar2.txt", b"host:+0 8K\n", &["--bar2-offset", "0xFF000"], &["--bar2-offset", "past the end of BAR2"]),
        ("pushbb.txt", b"host:+0 4K\n- 16 bitbucket\n", &["--op", "push"], &["line 2", "11h"]),
        ("empty.txt", b"# nothing\n\n", &[], &["empty"]),
        ("bbaddr.txt", b"host:+0 16 bitbucket\n", &[], &["line 1", "`-`"]),
        ("type.txt", b"host:+0 16 dat\n", &[], &["line 1", "unknown type"]),
        ("verify.txt", b"host:+0 16\n0x1000 16\n", &["--verify"], &["line 2", "--verify"]),
        ("entry.json", br#"{"entries": [{"address": "host:+0", "length": 1}, {"address": "host:+0", "length": "4q"}]}"#, &[], &["entries[1]", "bad length"]),
        ("shape.json", br#"[1, 2]"#, &[], &["entries"]),
        ("queue.txt", b"host:+0 16\n", &["--queue", "99"], &["--queue 99"]),
    ];
    for (name, contents, args, needles) in cases {
        let file = list_file(name, contents);
        let mut all = vec!["push", file.as_str()];
        all.extend_from_slice(args);
        let r = run(&all);
        assert_eq!(r.code, EXIT_USAGE, "{name}: {}{}", r.stdout, r.stderr);
        for n in *needles {
            assert!(
                r.stderr.contains(n),
                "{name}: {n:?} missing from {:?}",
                r.stderr
            );
        }
        assert!(
            !r.stdout.contains("status"),
            "{name}: a job ran: {}",
            r.stdout
        );
    }
}

#[test]
fn bad_sgl_files_name_the_descriptor() {
    let mut seg = Vec::new();
    seg.extend(descriptor(SIM_BAR2_BUS, 16, 0));
    seg.extend(descriptor(SIM_BAR2_BUS + 0x1000, 16, 3)); // Last Segment
    let file = list_file("seg.sgl", &seg);
    let r = run(&["push", &file]);
    assert_eq!(r.code, EXIT_USAGE, "{}", r.stderr);
    assert!(
        r.stderr.contains("descriptor 1") && r.stderr.contains("3h"),
        "{}",
        r.stderr
    );

    let file = list_file("short.sgl", &seg[..24]);
    let r = run(&["push", &file]);
    assert_eq!(r.code, EXIT_USAGE, "{}", r.stderr);
    assert!(
        r.stderr.contains("descriptor 1") && r.stderr.contains("multiple of 16"),
        "{}",
        r.stderr
    );

    let missing = run(&["push", "/nonexistent/peerbar-list.txt"]);
    assert_eq!(missing.code, EXIT_USAGE, "{}", missing.stderr);
}

#[test]
fn help_documents_the_format_and_exit_status_4() {
    let r = run(&["push", "--help"]);
    assert_eq!(r.code, EXIT_OK);
    for needle in [
        "ADDRESS LENGTH [TYPE]",
        "bar2:+OFFSET",
        "host:+OFFSET",
        "bitbucket",
        "peerbar-push/1",
        "Example",
    ] {
        assert!(r.stdout.contains(needle), "push --help lacks {needle:?}");
    }
    let r = run(&["--help"]);
    assert!(
        r.stdout
            .contains("4  DMA job completed with an error status"),
        "{}",
        r.stdout
    );
}
