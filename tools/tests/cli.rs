// SPDX-License-Identifier: MIT OR Apache-2.0
//! Command-line tests of `peerbar`: usage errors and their exit codes, clear device errors, and
//! that `--json` output parses and carries the documented fields. Everything without `--device`
//! runs on the simulated endpoint (peerbar-sim).

mod common;

use common::*;
use serde_json::Value;

// ---- help and usage errors (no device needed) ----

#[test]
fn help_documents_exit_codes_and_examples() {
    let r = run(&["--help"]);
    assert_eq!(r.code, EXIT_OK);
    for needle in [
        "Exit status",
        "0  success",
        "1  verification mismatch",
        "2  usage error",
        "3  device error",
        "Examples",
        "peerbar bar-test --seed",
        "--device",
        "--json",
    ] {
        assert!(r.stdout.contains(needle), "--help lacks {needle:?}");
    }
    let r = run(&["bar-test", "--help"]);
    assert_eq!(r.code, EXIT_OK);
    for needle in [
        "walking-ones",
        "address",
        "random",
        "--seed",
        "--access",
        "results[]",
    ] {
        assert!(
            r.stdout.contains(needle),
            "bar-test --help lacks {needle:?}"
        );
    }
    let r = run(&["info", "--help"]);
    assert!(r.stdout.contains("peerbar-info/1"));
}

#[test]
fn unknown_option_is_a_usage_error() {
    let r = run(&["info", "--no-such-option"]);
    assert_eq!(r.code, EXIT_USAGE, "{}", r.stderr);
    let r = run(&["no-such-command"]);
    assert_eq!(r.code, EXIT_USAGE, "{}", r.stderr);
}

#[test]
fn a_forced_vfio_interface_without_hardware_is_a_usage_error() {
    let r = run(&["--vfio", "iommufd", "info"]);
    assert_eq!(r.code, EXIT_USAGE, "{}", r.stderr);
    assert!(
        r.stderr.contains("the simulated endpoint has no VFIO"),
        "{}",
        r.stderr
    );
}

#[test]
fn bad_access_size_is_a_usage_error() {
    let r = run(&["bar-test", "--access", "3"]);
    assert_eq!(r.code, EXIT_USAGE);
    assert!(r.stderr.contains("possible values"), "{}", r.stderr);
}

#[test]
fn bad_size_is_a_usage_error() {
    let r = run(&["bar-test", "--length", "12q"]);
    assert_eq!(r.code, EXIT_USAGE);
    assert!(r.stderr.contains("is not a size"), "{}", r.stderr);
}

#[test]
fn malformed_bdf_is_a_usage_error() {
    let r = run(&["--device", "01:00", "info"]);
    assert_eq!(r.code, EXIT_USAGE, "{}", r.stderr);
    assert!(r.stderr.contains("invalid PCI address"), "{}", r.stderr);
}

#[test]
fn simulation_options_are_refused_with_a_device() {
    for opt in [
        &["--trace", "x.fst"][..],
        &["--mps", "512"][..],
        &["--mrrs", "1024"][..],
    ] {
        let mut args = vec!["--device", "0000:01:00.0"];
        args.extend_from_slice(opt);
        args.push("info");
        let r = run(&args);
        assert_eq!(r.code, EXIT_USAGE, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(opt[0]) && r.stderr.contains("simulated endpoint only"),
            "{args:?}: {}",
            r.stderr
        );
    }
}

#[test]
fn bad_mps_is_a_usage_error() {
    let r = run(&["--mps", "300", "info"]);
    assert_eq!(r.code, EXIT_USAGE);
    assert!(r.stderr.contains("Max Payload Size"), "{}", r.stderr);
    let r = run(&["--mrrs", "8192", "info"]);
    assert_eq!(r.code, EXIT_USAGE);
    let r = run(&["--rcb", "32", "info"]);
    assert_eq!(r.code, EXIT_USAGE);
    for latency in ["0", "801", "100004"] {
        let r = run(&["--host-latency", latency, "info"]);
        assert_eq!(r.code, EXIT_USAGE, "--host-latency {latency}");
        assert!(r.stderr.contains("multiple of 4 ns"), "{}", r.stderr);
    }
}

#[test]
fn missing_device_is_a_device_error() {
    // No machine has a function at ff:1f.7 in a domain this high.
    let r = run(&["--device", "fedc:ff:1f.7", "info"]);
    assert_eq!(r.code, EXIT_DEVICE, "{}", r.stderr);
    assert!(
        r.stderr.contains("no PCI device fedc:ff:1f.7"),
        "{}",
        r.stderr
    );
}

// ---- on the simulated endpoint ----

#[test]
fn info_json_carries_the_documented_fields() {
    let v = json(&["info", "--json"]);
    assert_eq!(field(&v, "schema"), "peerbar-info/1");
    assert_eq!(field(&v, "target"), "simulation");
    assert!(field(&v, "device").is_string());
    for id in [
        "pci.vendor_id",
        "pci.device_id",
        "pci.subsystem_vendor_id",
        "pci.subsystem_id",
    ] {
        let s = field(&v, id).as_str().unwrap();
        assert!(s.starts_with("0x") && s.len() == 6, "{id} = {s}");
    }
    assert_eq!(field(&v, "pci.class_code").as_str().unwrap().len(), 8);
    assert!(field(&v, "pci.revision").is_u64());
    assert!(field(&v, "pci.capabilities").is_array());
    assert_eq!(field(&v, "bars.bar0_bytes"), 65536);
    let bar2 = field(&v, "bars.bar2_bytes").as_u64().unwrap();
    assert!(bar2.is_power_of_two());
    assert_eq!(field(&v, "endpoint.bar2_size_bytes").as_u64(), Some(bar2));
    assert_eq!(field(&v, "endpoint.version_major"), 0);
    assert!(field(&v, "endpoint.version").is_string());
    for f in ["datapath_bytes", "dma_queues", "dma_engine", "msix"] {
        field(&v, &format!("endpoint.capabilities.{f}"));
    }
    // The default simulated host: MPS 256, MRRS 512, RCB 64, seen the same way by config
    // space and by the endpoint.
    assert_eq!(field(&v, "config.max_payload_bytes"), 256);
    assert_eq!(field(&v, "config.max_read_request_bytes"), 512);
    assert_eq!(field(&v, "config.read_completion_boundary_bytes"), 64);
    assert!(field(&v, "config.max_payload_supported_bytes").is_u64());
    assert_eq!(field(&v, "endpoint.status.max_payload_bytes"), 256);
    assert_eq!(field(&v, "endpoint.status.max_read_request_bytes"), 512);
    assert_eq!(
        field(&v, "endpoint.status.read_completion_boundary_bytes"),
        64
    );
    assert!(field(&v, "endpoint.status.link_up").is_boolean());
    assert!(field(&v, "endpoint.status.bus_master").is_boolean());
    assert!(field(&v, "link.speed_gts").is_number());
    assert!(field(&v, "link.width").is_u64());
    assert!(field(&v, "link.max_speed_gts").is_number());
    assert!(field(&v, "link.max_width").is_u64());
    let msix = field(&v, "msix");
    if !msix.is_null() {
        for f in [
            "table_size",
            "table_bar",
            "table_offset",
            "pba_bar",
            "pba_offset",
            "enabled",
            "function_mask",
        ] {
            field(msix, f);
        }
    }
    assert_eq!(field(&v, "endpoint.errors.dropped_writes"), 0);
    assert_eq!(field(&v, "endpoint.errors.unsupported_requests"), 0);
    assert!(field(&v, "endpoint.errors.log").is_null());
    assert_eq!(field(&v, "warnings"), &Value::Array(vec![]));
}

#[test]
fn info_reflects_the_simulated_hosts_mps_and_mrrs() {
    let v = json(&[
        "--mps", "512", "--mrrs", "1024", "--rcb", "128", "info", "--json",
    ]);
    assert_eq!(field(&v, "config.max_payload_bytes"), 512);
    assert_eq!(field(&v, "endpoint.status.max_payload_bytes"), 512);
    assert_eq!(field(&v, "config.max_read_request_bytes"), 1024);
    assert_eq!(field(&v, "endpoint.status.max_read_request_bytes"), 1024);
    assert_eq!(
        field(&v, "endpoint.status.read_completion_boundary_bytes"),
        128
    );
}

#[test]
fn info_table_is_human_readable() {
    let r = run(&["info"]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    for needle in [
        "Vendor:device",
        "Interface version",
        "BAR2 (peer memory)",
        "Max payload (MPS)",
        "Link",
        "Dropped writes",
    ] {
        assert!(
            r.stdout.contains(needle),
            "info lacks {needle:?}:\n{}",
            r.stdout
        );
    }
}

#[test]
fn bar_test_json_carries_the_documented_fields() {
    let v = json(&[
        "bar-test",
        "--json",
        "--seed",
        "7",
        "--offset",
        "0x1000",
        "--length",
        "1k",
        "--access",
        "1,4,8,bulk",
        "--scratch",
    ]);
    assert_eq!(field(&v, "schema"), "peerbar-bar-test/1");
    assert_eq!(field(&v, "target"), "simulation");
    assert_eq!(field(&v, "offset"), 0x1000);
    assert_eq!(field(&v, "length"), 1024);
    assert_eq!(field(&v, "seed"), 7);
    assert_eq!(field(&v, "passed"), true);
    assert_eq!(field(&v, "total_mismatches"), 0);
    assert_eq!(field(&v, "mismatches"), &Value::Array(vec![]));
    let results = field(&v, "results").as_array().unwrap();
    // 3 patterns x 4 access sizes + scratch.
    assert_eq!(results.len(), 13);
    for r in results {
        for f in [
            "pattern",
            "access",
            "bytes",
            "write_seconds",
            "read_seconds",
            "write_mb_per_s",
            "read_mb_per_s",
            "mismatches",
        ] {
            field(r, f);
        }
        // The simulated endpoint reports its clock cycles.
        assert!(field(r, "sim_cycles").as_u64().unwrap() > 0, "{r}");
        assert!(field(r, "sim_cycles_per_second").as_f64().unwrap() > 0.0);
    }
    assert_eq!(field(&results[0], "pattern"), "walking-ones");
    assert_eq!(field(&results[0], "access"), "1");
    assert_eq!(field(&results[0], "bytes"), 1024);
    assert_eq!(field(&results[12], "pattern"), "scratch");
    assert_eq!(field(&v, "error_counters.dropped_writes"), 0);
    assert_eq!(field(&v, "error_counters.unsupported_requests"), 0);
}

#[test]
fn bar_test_table_prints_the_seed_and_passes() {
    let r = run(&[
        "bar-test",
        "--length",
        "256",
        "--access",
        "4",
        "--pattern",
        "random",
    ]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    assert!(r.stdout.contains("reproduce with --seed"), "{}", r.stdout);
    assert!(r.stdout.contains("PASS"), "{}", r.stdout);
}

#[test]
fn bar_test_range_outside_bar2_is_a_usage_error() {
    let r = run(&["bar-test", "--offset", "16G"]);
    assert_eq!(r.code, EXIT_USAGE, "{}", r.stderr);
    assert!(r.stderr.contains("outside BAR2"), "{}", r.stderr);
    let r = run(&["bar-test", "--offset", "4", "--access", "8"]);
    assert_eq!(r.code, EXIT_USAGE, "{}", r.stderr);
    assert!(r.stderr.contains("not a multiple of 8"), "{}", r.stderr);
}

// ---- regs ----

#[test]
fn regs_json_decodes_every_register_by_field_name() {
    let v = json(&["regs", "--json"]);
    assert_eq!(field(&v, "schema"), "peerbar-regs/1");
    let regs = field(&v, "registers").as_array().expect("array");
    let find = |name: &str| {
        regs.iter()
            .find(|r| r["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing"))
    };
    let magic = find("MAGIC");
    assert_eq!(magic["offset"], "0x0000");
    assert_eq!(magic["value"], "0x50454552");
    assert_eq!(magic["access"], "const");
    assert_eq!(find("STATUS")["fields"]["LINK_UP"], 1);
    assert_eq!(find("CAPABILITIES")["fields"]["DMA_QUEUES"], 4);
    // Queue-pair registers for every queue of this build, and no more.
    assert_eq!(find("QUEUE[3].CONTROL")["offset"], "0x10d4");
    assert!(regs.iter().all(|r| r["name"] != "QUEUE[4].CONTROL"));
}

#[test]
fn regs_filter_and_watch() {
    let r = run(&["regs", "--only", "magic"]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    assert!(
        r.stdout.contains("MAGIC") && !r.stdout.contains("SCRATCH"),
        "{}",
        r.stdout
    );
    let r = run(&["regs", "--only", "no-such-register"]);
    assert_eq!(r.code, EXIT_USAGE);
    assert!(
        r.stderr.contains("no register name contains"),
        "{}",
        r.stderr
    );
    let r = run(&["regs", "--watch", "0"]);
    assert_eq!(r.code, EXIT_USAGE);
    assert!(r.stderr.contains("positive"), "{}", r.stderr);
    // JSON Lines: one document per refresh.
    let r = run(&[
        "regs", "--json", "--watch", "0.01", "--count", "3", "--only", "scratch",
    ]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    for line in lines {
        let v: Value = serde_json::from_str(line).expect("each line is JSON");
        assert_eq!(v["registers"][0]["name"], "SCRATCH");
    }
}
