// SPDX-License-Identifier: MIT OR Apache-2.0
//! Bad input and hostile surroundings: out-of-range options, closed pipes, huge or
//! endless list files. Each must end with a clear message and its documented exit status, never
//! a panic (exit 101), a hang or unbounded memory.

mod common;

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

use common::*;

/// A small list file in a fresh temporary directory (kept for the test's lifetime).
fn list_file(name: &str, contents: &[u8]) -> (std::path::PathBuf, TempDir) {
    let dir = TempDir::new(name);
    let path = dir.0.join(name);
    std::fs::write(&path, contents).expect("writing the list file");
    (path, dir)
}

/// A directory under the system's temp dir, removed on drop.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("peerbar-hardening-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("creating a temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// Runs `peerbar` with its stdout a pipe whose reader is already gone, as in `peerbar ... |
/// head -1` once head has its line. Returns the exit code and stderr.
fn run_into_closed_pipe(args: &[&str]) -> (Option<i32>, String) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("peerbar"))
        .args(args)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("peerbar starts");
    // Closing the only read end: every write to stdout now fails with EPIPE.
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("piped")
        .read_to_string(&mut stderr)
        .ok();
    let status = child.wait().expect("peerbar exits");
    (status.code(), stderr)
}

#[test]
fn closed_stdout_ends_quietly() {
    let (list, _dir) = list_file("pipe.txt", b"host:+0 4k\n");
    let list = list.to_str().unwrap();
    for args in [
        &["topology"][..],
        &["push", list][..],
        &["push", list, "--json"][..],
        &[
            "bench",
            "--entry-sizes",
            "512",
            "--list-lengths",
            "2",
            "--queue-depths",
            "1",
            "--jobs",
            "1",
        ][..],
        &["copy", "--size", "4k", "--chunk", "4k"][..],
        // Without --count it would refresh forever: only the closed pipe ends it.
        &["regs", "--watch", "0.01"][..],
        &["regs", "--watch", "0.01", "--json"][..],
        &["info"][..],
        &["bar-test", "--length", "256", "--access", "4"][..],
    ] {
        let (code, stderr) = run_into_closed_pipe(args);
        assert_eq!(code, Some(EXIT_OK), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
}

fn assert_usage_error(args: &[&str], needles: &[&str]) {
    let r = run(args);
    assert_eq!(r.code, EXIT_USAGE, "{args:?}: {}", r.stderr);
    for needle in needles {
        assert!(
            r.stderr.contains(needle),
            "{args:?}: no {needle:?} in {}",
            r.stderr
        );
    }
    assert!(!r.stderr.contains("panicked"), "{args:?}: {}", r.stderr);
}

#[test]
fn durations_out_of_range_are_usage_errors() {
    let (list, _dir) = list_file("one.txt", b"host:+0 4k\n");
    let list = list.to_str().unwrap();
    for value in ["1e30", "604801", "inf", "nan", "0", "-1", "soon"] {
        // `=` so that clap does not take "-1" for an option.
        let wait = format!("--wait={value}");
        let watch = format!("--watch={value}");
        let timeout = format!("--timeout={value}");
        for args in [
            &["push", list, &wait][..],
            &["regs", &watch, "--count", "1"][..],
            &["copy", &timeout][..],
        ] {
            let option = args.iter().find(|a| a.contains('=')).unwrap();
            let name = option.split('=').next().unwrap();
            assert_usage_error(args, &[name, "seconds"]);
        }
    }
}

/// Generous bounds for one run of a small command: a run past them is a hang or a runaway.
const RUN_TIMEOUT: Duration = Duration::from_secs(20);
const RUN_MAX_RSS_KIB: u64 = 512 << 10;

#[test]
fn endless_list_input_is_refused_with_the_limit() {
    for (args, limit) in [
        (
            &["push", "/dev/zero", "--format", "sgl"][..],
            "1044496 bytes",
        ),
        (&["push", "/dev/zero"][..], "16777216 bytes"),
        (
            &["push", "/dev/zero", "--format", "json"][..],
            "16777216 bytes",
        ),
    ] {
        let r = run_watched(args, b"", RUN_TIMEOUT, RUN_MAX_RSS_KIB);
        assert_eq!(r.code, Some(EXIT_USAGE), "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(&format!("over the limit of {limit}"))
                && r.stderr.contains("at most 65281 entries"),
            "{args:?}: {}",
            r.stderr
        );
    }
}

#[test]
fn push_dash_reads_the_list_from_stdin() {
    let r = run_watched(
        &["push", "-", "--json"],
        b"host:+0 4k\nhost:+0x1000 512\n",
        RUN_TIMEOUT,
        RUN_MAX_RSS_KIB,
    );
    assert_eq!(r.code, Some(EXIT_OK), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON report");
    assert_eq!(field(&v, "file"), "stdin");
    assert_eq!(field(&v, "entries"), 2);
    assert_eq!(field(&v, "bytes"), 4608);
    assert_eq!(field(&v, "ok"), true);
}

#[test]
fn entry_past_the_end_of_the_address_space_is_refused_with_its_line() {
    let (list, _dir) = list_file(
        "overflow.txt",
        b"host:+0 4k\n0xffff_ffff_ffff_f000 0x2000\n",
    );
    assert_usage_error(
        &["push", list.to_str().unwrap()],
        &["line 2", "0xfffffffffffff000 + 8192 bytes", "64-bit"],
    );
}

#[test]
fn list_past_the_descriptor_limit_is_refused_while_parsing() {
    let text = "0x1000 1\n".repeat(70_000);
    let json = format!(
        "{{\"entries\": [{}]}}",
        vec!["{\"address\": 4096, \"length\": 1}"; 70_000].join(",")
    );
    for (contents, name, at) in [
        (text.as_bytes(), "many.txt", "line 65282"),
        (json.as_bytes(), "many.json", "entries[65281]"),
    ] {
        let (list, _dir) = list_file(name, contents);
        let args = ["push", list.to_str().unwrap()];
        // Today's refusal must come while parsing: well within the timeout, nothing built.
        let r = run_watched(&args, b"", Duration::from_secs(5), RUN_MAX_RSS_KIB);
        assert_eq!(r.code, Some(EXIT_USAGE), "{name}: {}", r.stderr);
        for needle in [at, "at most 65281", "65536 descriptors"] {
            assert!(
                r.stderr.contains(needle),
                "{name}: no {needle:?} in {}",
                r.stderr
            );
        }
        assert!(!r.stderr.contains("DescriptorLimit"), "{}", r.stderr);
    }
}

#[test]
fn bench_refuses_lists_past_the_descriptor_limit_before_submitting() {
    assert_usage_error(
        &[
            "bench",
            "--list-lengths",
            "65282",
            "--entry-sizes",
            "1",
            "--queue-depths",
            "1",
            "--jobs",
            "1",
        ],
        &["--list-lengths", "at most 65281", "65536 descriptors"],
    );
}

#[test]
fn simulation_and_lba_option_errors_are_usage_errors_said_once() {
    let dir = TempDir::new("options");
    let empty = dir.0.join("empty.img");
    std::fs::write(&empty, b"").unwrap();
    let empty = empty.to_str().unwrap();
    let missing_dir_trace = dir.0.join("no/such/dir/t.fst");
    let missing_dir_trace = missing_dir_trace.to_str().unwrap();
    for (args, needles) in [
        (
            &["--trace", missing_dir_trace, "info"][..],
            &["--trace", "cannot create the waveform file"][..],
        ),
        (
            &["copy", "--sim-file", "/nonexistent/ns.img"][..],
            &["--sim-file /nonexistent/ns.img", "No such file"][..],
        ),
        (
            &["copy", "--sim-file", empty][..],
            &["--sim-file", "0 bytes", "non-zero multiple"][..],
        ),
        (
            &["copy", "--sim-namespace", "0"][..],
            &["--sim-namespace 0", "non-zero multiple"][..],
        ),
        (
            &["copy", "--sim-bandwidth-mbps", "99999999999999"][..],
            &["--sim-bandwidth-mbps", "at most"][..],
        ),
        (
            &["copy", "--sim-latency-us", "1e300"][..],
            &["--sim-latency-us", "0 ..= 1000"][..],
        ),
        // Near 2^64 the namespace size would overflow (a panic; a wrapped size in release).
        (
            &["copy", "--lba", "18446744073709551615"][..],
            &["--lba 18446744073709551615", "past 2^64"][..],
        ),
        (
            &[
                "copy",
                "--sim-lba-size",
                "4096",
                "--lba",
                "4503599627370496",
            ][..],
            &["--lba 4503599627370496", "past 2^64"][..],
        ),
    ] {
        let r = run(args);
        assert_eq!(r.code, EXIT_USAGE, "{args:?}: {}", r.stderr);
        for needle in needles {
            assert!(
                r.stderr.contains(needle),
                "{args:?}: no {needle:?} in {}",
                r.stderr
            );
        }
        // One error line (and its causes), no log line saying it first.
        assert!(r.stderr.starts_with("error: "), "{args:?}: {}", r.stderr);
        assert_eq!(
            r.stderr.matches("error:").count(),
            1,
            "{args:?}: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("[ERROR"), "{args:?}: {}", r.stderr);
    }
}

#[test]
fn trace_into_a_vcd_name_is_refused() {
    let dir = TempDir::new("vcd");
    let vcd = dir.0.join("wave.vcd");
    assert_usage_error(
        &["--trace", vcd.to_str().unwrap(), "info"],
        &["--trace", "FST format only", "*.fst"],
    );
    assert!(!vcd.exists(), "FST written into {}", vcd.display());
}

#[test]
fn simulation_options_are_refused_where_no_simulation_runs() {
    for (option, value) in [
        ("--trace", "t.fst"),
        ("--mps", "512"),
        ("--mrrs", "1024"),
        ("--rcb", "128"),
        ("--host-latency", "1000"),
    ] {
        for command in [&["topology"][..], &["vfio-check", "--nvme", "01:00.0"][..]] {
            let mut args = vec![option, value];
            args.extend_from_slice(command);
            assert_usage_error(&args, &[option, "does not apply here", command[0]]);
        }
    }
}

#[test]
fn regs_watch_into_a_pipe_writes_no_clear_screen_codes() {
    let r = run(&[
        "regs", "--watch", "0.01", "--count", "3", "--only", "scratch",
    ]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    assert_eq!(r.stdout.matches("* = changed").count(), 3, "{}", r.stdout);
    assert!(!r.stdout.contains('\x1b'), "escape codes in {:?}", r.stdout);
}

#[test]
fn json_seeds_above_2_pow_53_are_decimal_strings() {
    let (list, _dir) = list_file("seed.txt", b"host:+0 256\n");
    let list = list.to_str().unwrap();
    let copy = ["copy", "--size", "4k", "--chunk", "4k", "--json", "--seed"];
    let bar_test = [
        "bar-test", "--length", "256", "--access", "4", "--json", "--seed",
    ];
    for base in [&["push", list, "--json", "--seed"][..], &copy, &bar_test] {
        // Above 2^53 a JSON number would be rounded by jq (to ...992 and ...616).
        for seed in ["9007199254740993", "18446744073709551615"] {
            let mut args = base.to_vec();
            args.push(seed);
            assert_eq!(field(&json(&args), "seed"), seed, "{args:?}");
        }
        let mut args = base.to_vec();
        args.push("7");
        assert_eq!(field(&json(&args), "seed"), 7, "{args:?}");
    }
}

#[test]
fn copy_json_names_the_device_like_the_other_commands() {
    let v = json(&["copy", "--size", "4k", "--chunk", "4k", "--json"]);
    let info = json(&["info", "--json"]);
    assert_eq!(field(&v, "device"), field(&info, "device"));
    assert!(v.get("endpoint").is_none(), "{v:#}");
    assert_eq!(field(&v, "schema"), "peerbar-copy/2");
}

/// --verify compares known bytes: with BAR2 left zero, overlapping PUSH targets (the second
/// overwrites half of the first) "verified", zeros against zeros.
#[test]
fn push_verify_catches_overlapping_targets() {
    let (list, _dir) = list_file("overlap.txt", b"host:+0 4k\nhost:+0x800 4k\n");
    let r = run(&["push", list.to_str().unwrap(), "--op", "push", "--verify"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("verify   MISMATCH") && r.stdout.contains("line 1: host:+0x800"),
        "{}",
        r.stdout
    );
    // The same targets apart verify.
    let (list, _dir) = list_file("apart.txt", b"host:+0 4k\nhost:+0x1000 4k\n");
    let r = run(&["push", list.to_str().unwrap(), "--op", "push", "--verify"]);
    assert_eq!(r.code, EXIT_OK, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("verify   passed"), "{}", r.stdout);
}

/// A PUSH into memory nobody mapped completed with success (the simulation's IOMMU faults
/// reached only log lines); it is now reported with the entry, and exits with 4.
#[test]
fn push_into_unmapped_memory_is_reported_with_its_entry() {
    let (list, _dir) = list_file("unmapped.txt", b"host:+0 4k\n0xdead0000 1k\n");
    let list = list.to_str().unwrap();
    let r = run(&["push", list, "--op", "push"]);
    assert_eq!(r.code, EXIT_DMA_STATUS, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("IOMMU    refused")
            && r.stdout.contains("write 0xdead0000 + ")
            && r.stdout.contains("(line 2): no IOMMU mapping"),
        "{}",
        r.stdout
    );
    let r = run(&["push", list, "--op", "push", "--json"]);
    assert_eq!(r.code, EXIT_DMA_STATUS, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON report");
    assert_eq!(field(&v, "ok"), true, "the completion itself says success");
    let faults = field(&v, "iommu_faults").as_array().unwrap();
    assert!(!faults.is_empty(), "{v:#}");
    assert!(faults
        .iter()
        .all(|f| f["entry"] == "line 2" && f["direction"] == "write"));
}

/// A failed job names the entry DMA_ERROR_ADDR lies in.
#[test]
fn failed_job_names_its_entry_and_error_address() {
    let (list, _dir) = list_file("failing.txt", b"host:+0 4k\n0xdead0000 1k\n");
    let r = run(&["push", list.to_str().unwrap(), "--json"]);
    assert_eq!(r.code, EXIT_DMA_STATUS, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("JSON report");
    assert_eq!(field(&v, "ok"), false);
    assert_eq!(field(&v, "error_entry"), "line 2", "{v:#}");
    let address = field(&v, "error_address").as_str().unwrap();
    let address = u64::from_str_radix(address.trim_start_matches("0x"), 16).unwrap();
    assert!((0xdead_0000..0xdead_0400).contains(&address), "{v:#}");
    let r = run(&["push", list.to_str().unwrap()]);
    assert!(
        r.stdout.contains("(line 2, DMA_ERROR_ADDR)"),
        "{}",
        r.stdout
    );
}
