// SPDX-License-Identifier: MIT OR Apache-2.0
//! `peerbar bench` end to end on the simulated endpoint: tiny sweeps (8-entry lists, 2 jobs)
//! checked through --json, --csv and --plot, and bad options (exit 2, naming the option).

use std::path::PathBuf;

use serde_json::Value;

mod common;
use common::{run, EXIT_OK, EXIT_USAGE};

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("peerbar-bench");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

const TINY: &[&str] = &[
    "bench",
    "--entry-sizes",
    "512,4k",
    "--list-lengths",
    "8",
    "--jobs",
    "2",
];

#[test]
fn json_rows_have_the_documented_fields_and_sane_values() {
    let mut args = vec!["--json"];
    args.extend_from_slice(TINY);
    args.extend(["--queue-depths", "1,2", "--queues", "1,2"]);
    let r = run(&args);
    assert_eq!(r.code, EXIT_OK, "{}{}", r.stdout, r.stderr);
    let v: Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", r.stdout));
    assert_eq!(v["schema"], "peerbar-bench/1");
    assert_eq!(v["target"], "simulation");
    assert_eq!(v["mps"], 256);
    assert_eq!(v["host_latency_ns"], 800);
    assert_eq!(v["clock_hz"], 250_000_000u64);
    assert_eq!(v["crc"], false);
    let rows = v["rows"].as_array().expect("rows[]");
    // 2 ops x 2 sizes x 2 depths x 2 queue counts.
    assert_eq!(rows.len(), 16);
    for row in rows {
        for field in [
            "op",
            "entry_bytes",
            "list_length",
            "queue_depth",
            "queues",
            "jobs",
            "bytes",
            "cycles",
            "wall_seconds",
            "gbytes_per_s",
            "ideal_gbytes_per_s",
            "percent_of_ideal",
        ] {
            assert!(row.get(field).is_some(), "{row} lacks {field}");
        }
        assert!(row["op"] == "pull" || row["op"] == "push", "{row}");
        let n = |f: &str| row[f].as_u64().unwrap_or_else(|| panic!("{f} in {row}"));
        assert_eq!(
            n("bytes"),
            n("jobs") * n("queues") * n("list_length") * n("entry_bytes"),
            "{row}"
        );
        assert!(n("cycles") > 0, "{row}");
        let f = |f: &str| row[f].as_f64().unwrap_or_else(|| panic!("{f} in {row}"));
        let pct = f("percent_of_ideal");
        assert!((1.0..=100.0).contains(&pct), "{row}");
        assert!(f("gbytes_per_s") > 0.0 && f("gbytes_per_s") <= f("ideal_gbytes_per_s"));
        assert!(f("wall_seconds") > 0.0, "{row}");
    }
}

/// --crc: every job with FLAGS.CRC, said in the header and the JSON; the jobs still complete
/// (a job that failed would end the run with its status).
#[test]
fn crc_runs_every_job_with_the_inline_crc() {
    let mut args = vec!["--json"];
    args.extend_from_slice(TINY);
    args.extend(["--crc", "--queue-depths", "4"]);
    let r = run(&args);
    assert_eq!(r.code, EXIT_OK, "{}{}", r.stdout, r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(v["crc"], true, "{v}");
    assert_eq!(v["rows"].as_array().map(Vec::len), Some(4), "{v}");
    let r = run(&[
        "--host-latency",
        "1000",
        "bench",
        "--crc",
        "--entry-sizes",
        "4k",
        "--list-lengths",
        "1",
        "--jobs",
        "2",
    ]);
    assert_eq!(r.code, EXIT_OK, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("host read latency 1000 ns")
            && r.stdout.contains("every job with FLAGS.CRC"),
        "{}",
        r.stdout
    );
}

#[test]
fn csv_has_a_header_and_one_row_per_combination() {
    let path = scratch("rows.csv");
    let mut args = TINY.to_vec();
    args.extend(["--op", "push", "--queue-depths", "1,4", "--csv"]);
    args.push(path.to_str().unwrap());
    let r = run(&args);
    assert_eq!(r.code, EXIT_OK, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("of ideal"), "table: {}", r.stdout);
    let text = std::fs::read_to_string(&path).expect("CSV written");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "op,entry_bytes,list_length,queue_depth,queues,jobs,bytes,cycles,wall_seconds,\
         gbytes_per_s,ideal_gbytes_per_s,percent_of_ideal"
    );
    assert_eq!(lines.len(), 1 + 4, "{text}");
    for line in &lines[1..] {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), 12, "{line}");
        assert_eq!(cells[0], "push");
        let bytes: u64 = cells[6].parse().unwrap();
        let entry: u64 = cells[1].parse().unwrap();
        assert_eq!(bytes, 2 * 8 * entry, "{line}");
    }
}

#[test]
fn plot_is_an_svg_with_a_line_per_op_and_the_ideal() {
    let path = scratch("plot.svg");
    let mut args = TINY.to_vec();
    args.extend(["--queue-depths", "2", "--plot"]);
    args.push(path.to_str().unwrap());
    let r = run(&args);
    assert_eq!(r.code, EXIT_OK, "{}{}", r.stdout, r.stderr);
    let svg = std::fs::read_to_string(&path).expect("SVG written");
    assert!(svg.starts_with("<svg"), "{svg}");
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<polyline class=\"measured\"").count(), 2);
    assert!(svg.contains("<title>PULL</title>") && svg.contains("<title>PUSH</title>"));
    assert!(svg.contains("class=\"ideal\"") && svg.contains("stroke-dasharray"));
    assert!(svg.contains("throughput (GB/s)") && svg.contains("4 KiB"));
    assert_eq!(svg.matches("<svg").count(), 1);
    assert_eq!(
        svg.matches("<polyline").count(),
        svg.matches("</polyline>").count()
    );
}

#[test]
fn bad_options_exit_2_naming_the_option() {
    for (args, needle) in [
        (&["bench", "--op", "pul"][..], "--op"),
        (&["bench", "--entry-sizes", "4q"], "--entry-sizes"),
        (&["bench", "--entry-sizes", "0"], "--entry-sizes"),
        (&["bench", "--list-lengths", "0"], "--list-lengths"),
        (&["bench", "--queue-depths", "many"], "--queue-depths"),
        (&["bench", "--queues", "0"], "--queues"),
        (&["bench", "--jobs=-3"], "--jobs"),
        (&["bench", "--queues", "999"], "--queues"),
        // 64 x 1 MiB does not fit the simulated 1 MiB BAR2.
        (&["bench", "--entry-sizes", "1MiB"], "BAR2"),
        (&["bench", "--csv", "/nonexistent-dir/x.csv"], "--csv"),
    ] {
        let r = run(args);
        assert_eq!(
            r.code, EXIT_USAGE,
            "peerbar {args:?}: {}{}",
            r.stdout, r.stderr
        );
        assert!(
            r.stderr.contains(needle),
            "peerbar {args:?}: {:?} lacks {needle:?}",
            r.stderr
        );
        assert!(
            r.stdout.is_empty() || !r.stdout.contains("GB/s"),
            "{args:?}"
        );
    }
}
