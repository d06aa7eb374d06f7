// SPDX-License-Identifier: MIT OR Apache-2.0
//! Randomized command lines: seeded runs of `peerbar` over its subcommands, with
//! options drawn from valid, edge and bad values and small generated list files (text, JSON,
//! sgl). Whatever the verdict, every run must end by itself with a documented exit status (never
//! 101, a panic), within a time bound and a memory bound.
//!
//! The seed is printed; PEERBAR_CLI_SEED=<n> replays a run set, PEERBAR_CLI_RUNS=<n> changes
//! how many runs there are (40 by default, a few seconds on the simulation).

mod common;

use std::time::{Duration, Instant};

use common::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A run taking longer is a hang: every generated --wait/--timeout is at most 2 s.
const RUN_TIMEOUT: Duration = Duration::from_secs(30);
/// A run using more is a runaway: the simulation and the largest generated list need ~10 MiB.
const RUN_MAX_RSS_KIB: u64 = 1 << 20;
/// The exit statuses `peerbar --help` documents.
const DOCUMENTED: [i32; 5] = [0, 1, 2, 3, 4];

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn pick<'a>(rng: &mut ChaCha8Rng, values: &[&'a str]) -> &'a str {
    values.choose(rng).expect("non-empty pool")
}

/// A value from `good`, or now and then (1 in 12) from `bad`: a command line has several
/// options, and most runs should get past the checks to the device.
fn value<'a>(rng: &mut ChaCha8Rng, good: &[&'a str], bad: &[&'a str]) -> &'a str {
    if rng.gen_bool(1.0 / 12.0) {
        pick(rng, bad)
    } else {
        pick(rng, good)
    }
}

fn add(args: &mut Vec<String>, items: &[&str]) {
    args.extend(items.iter().map(|s| s.to_string()));
}

/// One list entry's (address, length, type) texts, mostly valid, sometimes not.
fn entry(rng: &mut ChaCha8Rng) -> (String, String, &'static str) {
    let address = match rng.gen_range(0..12) {
        0..=4 => format!("host:+{:#x}", rng.gen_range(0..64u64) * 512),
        5..=7 => format!("bar2:+{:#x}", rng.gen_range(0..2048u64) * 512),
        8 => format!("{:#x}", rng.gen::<u64>()),
        9 => format!("{:#x}", u64::MAX - rng.gen_range(0..8192)),
        10 => "-".to_owned(),
        _ => pick(rng, &["host:+1G", "bar2:+x", "nvme:+0", "0x"]).to_owned(),
    };
    let length = value(
        rng,
        &["1", "512", "4k", "0x1000", "64KiB"],
        &["0", "4G", "5G", "-3", "1.5k"],
    )
    .to_owned();
    let ty = if address == "-" {
        value(rng, &["bitbucket"], &["data"])
    } else {
        value(rng, &["data"], &["bitbucket", "junk"])
    };
    (address, length, ty)
}

/// A list file of 1 to 5 entries in a random format; returns its path and format name.
fn list_file(rng: &mut ChaCha8Rng, dir: &std::path::Path, run: usize) -> (String, &'static str) {
    let entries: Vec<_> = (0..rng.gen_range(1..6)).map(|_| entry(rng)).collect();
    let (format, bytes): (&str, Vec<u8>) = match rng.gen_range(0..3) {
        0 => {
            let lines: Vec<String> = entries
                .iter()
                .map(|(a, l, t)| format!("{a} {l} {t}\n"))
                .collect();
            ("text", lines.concat().into_bytes())
        }
        1 => {
            let items: Vec<serde_json::Value> = entries
                .iter()
                .map(|(a, l, t)| serde_json::json!({"address": a, "length": l, "type": t}))
                .collect();
            let doc = serde_json::json!({ "entries": items });
            ("json", doc.to_string().into_bytes())
        }
        _ => {
            // Random 16-byte descriptors, most of them Data Block / Bit Bucket of a few bytes.
            let mut bytes = Vec::new();
            for _ in 0..entries.len() {
                let mut d = [0u8; 16];
                rng.fill(&mut d[..]);
                if rng.gen_bool(0.9) {
                    d[8..12].copy_from_slice(&rng.gen_range(1..8192u32).to_le_bytes());
                    d[15] = *[0x00u8, 0x10].choose(rng).unwrap();
                }
                bytes.extend_from_slice(&d);
            }
            if rng.gen_bool(0.05) {
                bytes.push(0);
            }
            ("sgl", bytes)
        }
    };
    let path = dir.join(format!("list-{run}.{format}"));
    std::fs::write(&path, bytes).expect("writing a list file");
    (path.to_str().unwrap().to_owned(), format)
}

/// One random command line.
fn command_line(rng: &mut ChaCha8Rng, dir: &std::path::Path, run: usize) -> Vec<String> {
    let mut args: Vec<String> = Vec::new();
    // Global options, rarely, with good and bad values.
    if rng.gen_bool(0.15) {
        let mps = value(rng, &["128", "512"], &["300", "0"]);
        add(&mut args, &["--mps", mps]);
    }
    if rng.gen_bool(0.1) {
        let name = value(rng, &["t.fst"], &["t.vcd", "no/such/dir/t.fst"]);
        let trace = dir.join(format!("{run}-{name}"));
        add(&mut args, &["--trace", trace.to_str().unwrap()]);
    }
    if rng.gen_bool(0.3) {
        add(&mut args, &["--json"]);
    }
    let seconds = ["0.5", "2"];
    let bad_seconds = ["0", "-1", "nan", "inf", "1e30", "x"];
    match rng.gen_range(0..9) {
        0 | 1 => {
            let (file, format) = list_file(rng, dir, run);
            add(&mut args, &["push", &file]);
            if rng.gen_bool(0.3) {
                let f = value(rng, &[format], &["text", "json", "sgl"]);
                add(&mut args, &["--format", f]);
            }
            let op = pick(rng, &["pull", "push"]);
            let offset = value(rng, &["0", "0x80000"], &["1M", "0xffffffffffffffff"]);
            let queue = value(rng, &["0", "1"], &["70000"]);
            let wait = value(rng, &seconds, &bad_seconds);
            let seed = rng.gen::<u64>().to_string();
            add(&mut args, &["--op", op, "--bar2-offset", offset]);
            add(
                &mut args,
                &["--queue", queue, "--wait", wait, "--seed", &seed],
            );
            if rng.gen_bool(0.3) {
                add(&mut args, &["--verify"]);
            }
            if rng.gen_bool(0.2) {
                let out = dir.join(format!("{run}-out.bin"));
                let out = out.to_str().unwrap().to_owned();
                let out = value(rng, &[&out], &["/no/such/dir/out.bin", "-"]).to_owned();
                add(&mut args, &["--out", &out]);
            } else if rng.gen_bool(0.2) {
                let input = dir.join(format!("{run}-in.bin"));
                let len = *[512usize, 4096, 8192].choose(rng).unwrap();
                std::fs::write(&input, vec![0x5au8; len]).expect("writing --in");
                add(&mut args, &["--in", input.to_str().unwrap()]);
            }
        }
        2 => {
            let watch = value(rng, &["0.01", "0.05"], &["0", "1e30", "nan"]);
            let count = value(rng, &["1", "2"], &["0"]);
            add(&mut args, &["regs", "--watch", watch, "--count", count]);
            if rng.gen_bool(0.3) {
                let only = value(rng, &["queue", "scratch"], &["nothing-matches"]);
                add(&mut args, &["--only", only]);
            }
        }
        3 => {
            let size = value(rng, &["4k", "8k"], &["0", "1000", "16EiB"]);
            let chunk = value(rng, &["4k", "2k"], &["0", "5G"]);
            let depth = value(rng, &["1", "2"], &["0", "65"]);
            let timeout = value(rng, &seconds, &bad_seconds);
            let lba = value(
                rng,
                &["0", "8"],
                &["18446744073709551615", "36028797018963968"],
            );
            let direction = pick(rng, &["to-host", "to-nvme", "both"]);
            let transfer = pick(rng, &["auto", "sgl", "prp"]);
            let seed = rng.gen::<u64>().to_string();
            add(&mut args, &["copy", "--size", size, "--chunk", chunk]);
            add(
                &mut args,
                &["--depth", depth, "--timeout", timeout, "--lba", lba],
            );
            add(
                &mut args,
                &["--direction", direction, "--transfer", transfer],
            );
            add(&mut args, &["--seed", &seed]);
            let sim_option = match rng.gen_range(0..8) {
                0 => ["--sim-no-sgl", ""],
                1 => ["--sim-namespace", value(rng, &["1M"], &["0", "513"])],
                2 => ["--sim-latency-us", value(rng, &["0", "50"], &["1e9", "-1"])],
                3 => [
                    "--sim-bandwidth-mbps",
                    value(rng, &["0", "100"], &["99999999999999"]),
                ],
                4 => ["--sim-lba-size", value(rng, &["512", "4096"], &["1024"])],
                _ => ["", ""],
            };
            args.extend(
                sim_option
                    .iter()
                    .filter(|a| !a.is_empty())
                    .map(|a| a.to_string()),
            );
        }
        4 => {
            let op = value(rng, &["pull", "push", "pull,push"], &["copy"]);
            let sizes = value(rng, &["512", "4k"], &["0", "5G"]);
            let lists = value(rng, &["1", "4"], &["0", "65282", "x"]);
            let depths = value(rng, &["1", "2"], &["0", "65536"]);
            let jobs = value(rng, &["1", "2"], &["0"]);
            add(&mut args, &["bench", "--op", op, "--entry-sizes", sizes]);
            add(
                &mut args,
                &["--list-lengths", lists, "--queue-depths", depths],
            );
            if rng.gen_bool(0.2) {
                let duration = value(rng, &["0.2", "0.5"], &["0", "soon", "1e30"]);
                add(&mut args, &["--duration", duration]);
            } else {
                add(&mut args, &["--jobs", jobs]);
            }
        }
        7 => {
            let name = value(
                rng,
                &[
                    "SCRATCH",
                    "status",
                    "0x18",
                    "STATUS.MAX_PAYLOAD",
                    "QUEUE[0].SQ_TAIL",
                ],
                &[
                    "NOPE",
                    "0x3",
                    "0x10000",
                    "STATUS.NOPE",
                    "QUEUE[99].SQ_TAIL",
                    "",
                ],
            );
            if rng.gen_bool(0.5) {
                add(&mut args, &["reg", "read", name]);
            } else {
                let v = value(rng, &["0x1", "42"], &["0x1_0000_0000", "x", "-1"]);
                match rng.gen_range(0..3) {
                    0 => add(&mut args, &["reg", "write", name, v]),
                    1 => add(&mut args, &["reg", "write", &format!("{name}={v}")]),
                    _ => add(&mut args, &["reg", "write", name, v, "--force"]),
                }
            }
        }
        8 => {
            let offset = value(
                rng,
                &["0", "0x1000", "4KiB"],
                &["1MiB", "0xffffffffffffffff", "x"],
            );
            let length = value(rng, &["1", "256", "4k"], &["0", "2MiB", "-1"]);
            match rng.gen_range(0..4) {
                0 => add(&mut args, &["mem", "dump", offset, length]),
                1 => {
                    let b = value(rng, &["0", "0xa5"], &["256", "x"]);
                    add(&mut args, &["mem", "fill", offset, length, "--byte", b]);
                }
                2 => {
                    let out = dir.join(format!("{run}-mem.bin"));
                    let out = out.to_str().unwrap().to_owned();
                    let out = value(rng, &[&out], &["/no/such/dir/x", "-"]).to_owned();
                    add(&mut args, &["mem", "read", offset, length, "--out", &out]);
                }
                _ => {
                    let input = dir.join(format!("{run}-mem-in.bin"));
                    let len = *[0usize, 16, 4096].choose(rng).unwrap();
                    std::fs::write(&input, vec![7u8; len]).expect("writing --in");
                    add(
                        &mut args,
                        &["mem", "write", offset, "--in", input.to_str().unwrap()],
                    );
                }
            }
        }
        5 => {
            let length = value(rng, &["256", "4k"], &["0", "2M"]);
            let access = value(rng, &["4", "8", "bulk"], &["3"]);
            add(
                &mut args,
                &["bar-test", "--length", length, "--access", access],
            );
        }
        _ => {
            let command = pick(rng, &["info", "topology"]);
            add(&mut args, &[command]);
            if command == "topology" && rng.gen_bool(0.5) {
                let bdf = value(rng, &["00:00.0", "0000:00:1f.7"], &["zz:00.0"]);
                add(&mut args, &[bdf]);
            }
        }
    }
    args
}

#[test]
fn random_command_lines_end_with_a_documented_status_in_bounded_time_and_memory() {
    let seed = env_u64("PEERBAR_CLI_SEED", 16);
    let runs = env_u64("PEERBAR_CLI_RUNS", 40) as usize;
    println!("PEERBAR_CLI_SEED={seed} PEERBAR_CLI_RUNS={runs}");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let dir = std::env::temp_dir().join(format!("peerbar-random-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creating a temp dir");
    let started = Instant::now();
    for run in 0..runs {
        let args = command_line(&mut rng, &dir, run);
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = run_watched(&argv, b"", RUN_TIMEOUT, RUN_MAX_RSS_KIB);
        let what = format!("run {run} (seed {seed}): peerbar {}", args.join(" "));
        assert!(!r.timed_out, "{what}: no exit within {RUN_TIMEOUT:?}");
        assert!(
            !r.over_memory,
            "{what}: over {RUN_MAX_RSS_KIB} KiB resident ({} KiB)",
            r.peak_rss_kib
        );
        let code = r
            .code
            .unwrap_or_else(|| panic!("{what}: killed by a signal"));
        assert!(
            DOCUMENTED.contains(&code) && !r.stderr.contains("panicked"),
            "{what}: exit {code}\n{}",
            r.stderr
        );
        // A usage error says what is wrong, on stderr, in one `error:` line (and causes).
        if code == EXIT_USAGE {
            assert!(r.stderr.contains("error"), "{what}: {}", r.stderr);
        }
        // With --json, a usage or device error is one peerbar-error/1 object on stdout.
        if args.iter().any(|a| a == "--json") && (code == EXIT_USAGE || code == EXIT_DEVICE) {
            let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| {
                panic!("{what}: exit {code}, stdout not JSON ({e}): {}", r.stdout)
            });
            assert_eq!(v["schema"], "peerbar-error/1", "{what}: {v:#}");
            assert_eq!(v["exit_code"], code, "{what}: {v:#}");
            assert!(
                v["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{what}: {v:#}"
            );
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    println!("{runs} runs in {:.1} s", started.elapsed().as_secs_f64());
}
