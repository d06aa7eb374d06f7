//! `peerbar copy` end to end on the simulated endpoint with its simulated NVMe controller:
//! both directions verified (SGL and PRP), the JSON report, and bad options refused before
//! anything moves.

use serde_json::Value;

mod common;
use common::{field, json, run, EXIT_DEVICE, EXIT_OK, EXIT_USAGE};

/// A short copy: 1 MiB in 64 KiB chunks, 4 in flight, fast simulated SSD.
const SMALL: &[&str] = &[
    "copy",
    "--size",
    "1MiB",
    "--chunk",
    "64KiB",
    "--depth",
    "4",
    "--sim-latency-us",
    "2",
];

fn with(extra: &[&'static str]) -> Vec<&'static str> {
    let mut v = SMALL.to_vec();
    v.extend_from_slice(extra);
    v
}

fn leg<'a>(report: &'a Value, name: &str) -> &'a Value {
    field(report, "legs")
        .as_array()
        .expect("legs is an array")
        .iter()
        .find(|l| l["leg"] == name)
        .unwrap_or_else(|| panic!("no leg {name:?} in {report:#}"))
}

#[test]
fn both_ways_with_sgl_every_chunk_checked_and_compared() {
    let mut args = vec!["--json"];
    args.extend(with(&[]));
    let r = json(&args);
    assert_eq!(r["schema"], "peerbar-copy/1");
    assert_eq!(r["transfer"], "SGL");
    assert_eq!(r["verified"], true);
    assert!(r["mismatch"].is_null() && r["failure"].is_null(), "{r:#}");
    let to_nvme = leg(&r, "host -> BAR2 -> NVMe");
    let to_host = leg(&r, "NVMe -> BAR2 -> host");
    for l in [to_nvme, to_host] {
        assert_eq!(l["chunks"], 16, "{l:#}");
        assert_eq!(l["bytes"], 1 << 20, "{l:#}");
        assert_eq!(l["checksums_verified"], 16, "{l:#}");
        assert!(
            l["sim_gb_per_s"].as_f64().expect("simulated") > 0.0,
            "{l:#}"
        );
        let lat = &l["sim_latency_us"];
        assert!(
            lat["p50"].as_f64().unwrap() <= lat["p99"].as_f64().unwrap(),
            "{l:#}"
        );
    }
    // The way back through BAR2 compared every byte in host memory.
    assert_eq!(to_host["bytes_compared"], 1 << 20);
}

#[test]
fn prp_only_controller_and_a_table_report() {
    let r = run(&with(&["--sim-no-sgl", "--direction", "both"]));
    assert_eq!(r.code, EXIT_OK, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("PRP"), "{}", r.stdout);
    assert!(r.stdout.contains("NVMe -> BAR2 -> host"), "{}", r.stdout);
    assert!(r.stdout.contains("OK: every chunk"), "{}", r.stdout);
}

#[test]
fn to_nvme_alone_is_read_back_and_compared() {
    let mut args = vec!["--json"];
    args.extend(with(&[
        "--direction",
        "to-nvme",
        "--transfer",
        "prp",
        "--lba",
        "8",
    ]));
    let r = json(&args);
    assert_eq!(r["transfer"], "PRP");
    let back = leg(&r, "NVMe read-back -> host");
    assert_eq!(back["bytes_compared"], 1 << 20, "{r:#}");
}

#[test]
fn sgl_forced_on_a_prp_only_controller_is_a_clear_device_error() {
    let r = run(&with(&["--sim-no-sgl", "--transfer", "sgl"]));
    assert_eq!(r.code, EXIT_DEVICE, "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.to_lowercase().contains("sgl"), "{}", r.stderr);
}

#[test]
fn bad_shapes_are_usage_errors_before_anything_moves() {
    for (args, needle) in [
        (&["--chunk", "1000"][..], "whole number"),
        (&["--size", "0"][..], "--size"),
        (&["--depth", "0"][..], "--depth"),
        (&["--chunk", "512KiB", "--depth", "4"][..], "BAR2"),
        (&["--chunk", "2MiB", "--depth", "1"][..], "maximum transfer"),
        (
            &[
                "--size",
                "1MiB",
                "--sim-namespace",
                "64MiB",
                "--lba",
                "200000",
            ][..],
            "past the namespace",
        ),
        (&["--sim-lba-size", "1024"][..], "--sim-lba-size"),
    ] {
        let mut argv = vec!["copy"];
        argv.extend_from_slice(args);
        let r = run(&argv);
        assert_eq!(r.code, EXIT_USAGE, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
    }
}

/// Another peer as the destination: the engine PUSHes BAR2 into the SSD's controller memory
/// buffer peer to peer; the bytes are then read through the SSD's BAR2 and compared.
#[test]
fn to_the_ssds_cmb_peer_to_peer() {
    let mut args = vec!["--json"];
    args.extend(with(&["--to", "cmb", "--direction", "to-host"]));
    let r = json(&args);
    let l = leg(&r, "NVMe -> BAR2 -> NVMe CMB");
    assert_eq!(l["chunks"], 16, "{r:#}");
    assert_eq!(l["checksums_verified"], 16, "{r:#}");
    assert_eq!(l["bytes_compared"], 1 << 20, "{r:#}");
    let bad = run(&with(&["--to", "cmb", "--direction", "to-nvme"]));
    assert_eq!(bad.code, EXIT_USAGE, "{}", bad.stderr);
}
