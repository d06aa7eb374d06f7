// SPDX-License-Identifier: MIT OR Apache-2.0
//! `peerbar copy` end to end on the simulated endpoint with its simulated NVMe controller:
//! both directions verified (SGL and PRP), the JSON report, and bad options refused before
//! anything moves; on hardware (no board here), the option rules and the driver's device
//! error.

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
    assert_eq!(r["schema"], "peerbar-copy/2");
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
fn sgl_forced_on_a_prp_only_controller_is_a_usage_error_in_the_tools_words() {
    let r = run(&with(&["--sim-no-sgl", "--transfer", "sgl"]));
    assert_eq!(r.code, EXIT_USAGE, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr
            .contains("--transfer sgl: the SSD does not support SGLs"),
        "{}",
        r.stderr
    );
    // Neither the driver's type names nor a log line repeating the error.
    for internal in ["NvmeOptions", "TransferMode", "[ERROR"] {
        assert!(!r.stderr.contains(internal), "{}", r.stderr);
    }
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

// ---- on hardware (--device): the rules, without a board ----

/// No machine has functions at ff:1f.x in a domain this high: had anything been opened, the
/// exit would be 3 (device not found), not 2.
const ENDPOINT: &str = "fedc:ff:1f.7";
const SSD: &str = "fedc:ff:1f.6";

fn on_hardware(extra: &[&'static str]) -> Vec<&'static str> {
    let mut v = vec!["--device", ENDPOINT, "copy", "--size", "1MiB"];
    v.extend_from_slice(extra);
    v
}

#[test]
fn hardware_option_rules_are_usage_errors_before_any_device_is_opened() {
    for (args, needle) in [
        (on_hardware(&[]), "--nvme <BDF>"),
        // Writing the SSD (to-nvme, both) needs the confirmation.
        (on_hardware(&["--nvme", SSD]), "--allow-nvme-write"),
        (
            on_hardware(&["--nvme", SSD, "--direction", "to-nvme"]),
            "--allow-nvme-write",
        ),
        (
            on_hardware(&["--nvme", SSD, "--direction", "both"]),
            "--allow-nvme-write",
        ),
        // The endpoint and the SSD are two functions, however the address is written.
        (
            vec![
                "--device",
                "0000:3b:00.0",
                "copy",
                "--nvme",
                "3B:00.0",
                "--direction",
                "to-host",
            ],
            "both name 0000:3b:00.0",
        ),
        (
            on_hardware(&["--nvme", "3b:00", "--direction", "to-host"]),
            "invalid PCI address",
        ),
        (
            on_hardware(&["--nvme", SSD, "--direction", "to-host", "--to", "cmb"]),
            "--to cmb",
        ),
        // --nvme without --device.
        (vec!["copy", "--nvme", SSD], "needs --device"),
        // The simulation's global options.
        (
            vec![
                "--device",
                ENDPOINT,
                "--mps",
                "512",
                "copy",
                "--nvme",
                SSD,
                "--allow-nvme-write",
            ],
            "--mps",
        ),
    ] {
        let r = run(&args);
        assert_eq!(r.code, EXIT_USAGE, "{args:?}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
    }
}

#[test]
fn simulated_controller_options_are_refused_with_a_device() {
    for opt in [
        &["--sim-namespace", "64MiB"][..],
        &["--sim-file", "ns.img"][..],
        &["--sim-lba-size", "4096"][..],
        &["--sim-latency-us", "2"][..],
        &["--sim-bandwidth-mbps", "3500"][..],
        &["--sim-no-sgl"][..],
    ] {
        let mut args = on_hardware(&["--nvme", SSD, "--allow-nvme-write"]);
        args.extend_from_slice(opt);
        let r = run(&args);
        assert_eq!(r.code, EXIT_USAGE, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(opt[0]) && r.stderr.contains("cannot be used with --device"),
            "{args:?}: {}",
            r.stderr
        );
    }
}

/// Past the rules, the endpoint and the SSD are opened together; the driver's own error says
/// what is missing (here: no such function) and the exit is 3.
#[test]
fn hardware_path_reports_the_drivers_device_error() {
    for extra in [
        &["--nvme", SSD, "--direction", "to-host"][..],
        &["--nvme", SSD, "--allow-nvme-write"][..],
    ] {
        let r = run(&on_hardware(extra));
        assert_eq!(r.code, EXIT_DEVICE, "{extra:?}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains(&format!("no PCI device {ENDPOINT}")),
            "{extra:?}: {}",
            r.stderr
        );
    }
}
