// SPDX-License-Identifier: MIT OR Apache-2.0
//! `peerbar bringup`: the checklist on the simulation, every step's real
//! outcome, its `peerbar-bringup/1` JSON, failures the simulation can show (a link or BAR2
//! size other than expected), a function that is not there, bad usage (exit 2), and the
//! hardware path's sysfs steps and --bind on fake sysfs trees (--sysfs). The checks themselves
//! are unit-tested in the driver (peerbar::bringup).

mod common;

use common::*;
use serde_json::Value;

/// The step ids in the order they run.
const STEPS: [&str; 11] = [
    "visible",
    "link",
    "bars",
    "vfio",
    "registers",
    "bar2",
    "dma_pull",
    "dma_push",
    "msix",
    "p2p_verdict",
    "p2p_copy",
];

fn parse(r: &Run) -> Value {
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\n{}", r.stdout, r.stderr))
}

fn step<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["steps"]
        .as_array()
        .expect("steps[]")
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id} in {report:#}"))
}

fn status<'a>(report: &'a Value, id: &str) -> &'a str {
    step(report, id)["status"].as_str().expect("status")
}

#[test]
fn every_step_passes_on_the_simulation() {
    let r = run(&["bringup"]);
    assert_eq!(r.code, EXIT_OK, "{}\n{}", r.stdout, r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(lines[0].starts_with("bringup on simulation: simulated endpoint"));
    assert_eq!(
        lines[1],
        "expecting Gen3 x8, BAR0 64 KiB, BAR2 as the BAR2_SIZE registers say"
    );
    let expected = [
        " 1 PASS  function visible (10EE:9038, class 058000h): 10EE:9038 class 058000h",
        " 2 PASS  link trained at Gen3 x8 or better: trained 8.0 GT/s x8 (endpoint supports 8.0 GT/s x8)",
        " 3 PASS  BARs sized as built: BAR0 64 KiB 32-bit, BAR2 1 MiB 64-bit prefetchable",
        " 4 PASS  IOMMU group and vfio-pci binding: simulation: no kernel driver to bind",
        " 5 PASS  registers: MAGIC, VERSION, BAR2_SIZE, CAPABILITIES, SCRATCH: MAGIC \"PEER\"",
        " 6 PASS  BAR2 pattern test: 6 passes over 64 KiB of BAR2 (393216 bytes",
        " 7 PASS  DMA PULL host memory -> BAR2: 64 KiB in 4 list entries",
        " 8 PASS  DMA PUSH BAR2 -> host memory: 64 KiB in 4 list entries",
        " 9 PASS  MSI-X delivery: queue 0 on vector 0: 1 message(s) received",
        "10 PASS  peer-to-peer path NVMe <-> BAR2: direct: the simulated fabric routes",
        "11 PASS  NVMe <-> BAR2 <-> host copy, verified: 256 KiB each way in 4 chunks",
    ];
    for (line, want) in lines[2..].iter().zip(expected) {
        assert!(
            line.starts_with(want),
            "{line:?} should start with {want:?}"
        );
    }
    assert!(
        r.stdout.contains("BAR2_SIZE 1 MiB = BAR2"),
        "registers step: {}",
        r.stdout
    );
    assert!(
        r.stdout.contains("every byte compared"),
        "DMA steps: {}",
        r.stdout
    );
    assert!(!r.stdout.contains("fix:"), "{}", r.stdout);
    assert_eq!(
        lines.last().copied(),
        Some("11 passed, 0 failed, 0 skipped: the board is up")
    );
}

#[test]
fn json_report_carries_the_documented_fields() {
    let r = run(&["bringup", "--json"]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    let v = parse(&r);
    assert_eq!(v["schema"], "peerbar-bringup/1");
    assert_eq!(v["target"], "simulation");
    assert!(v["device"]
        .as_str()
        .unwrap()
        .starts_with("simulated endpoint"));
    assert_eq!(field(&v, "expect.link_generation"), 3);
    assert_eq!(field(&v, "expect.link_width"), 8);
    assert_eq!(field(&v, "expect.bar0_bytes"), 65536);
    assert!(field(&v, "expect.bar2_bytes").is_null());
    assert!(v["bind"].is_null());
    assert_eq!(v["passed"], true);
    assert_eq!(field(&v, "counts.pass"), 11);
    assert_eq!(field(&v, "counts.fail"), 0);
    assert_eq!(field(&v, "counts.skip"), 0);
    let ids: Vec<&str> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, STEPS);
    for s in v["steps"].as_array().unwrap() {
        assert_eq!(s["status"], "pass", "{s:#}");
        assert!(s["fix"].is_null(), "{s:#}");
        assert!(!s["title"].as_str().unwrap().is_empty());
        assert!(!s["detail"].as_str().unwrap().is_empty());
        assert!(s["needs"].is_array());
    }
    assert_eq!(
        step(&v, "p2p_copy")["needs"],
        serde_json::json!(["p2p_verdict", "dma_pull", "dma_push"])
    );
    assert_eq!(
        step(&v, "bar2")["needs"],
        serde_json::json!(["bars", "registers"])
    );
}

#[test]
fn a_wider_link_than_trained_fails_the_link_step_only() {
    let r = run(&["bringup", "--json", "--link-width", "16"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let v = parse(&r);
    assert_eq!(v["passed"], false);
    let link = step(&v, "link");
    assert_eq!(link["status"], "fail");
    assert_eq!(
        link["detail"],
        "trained 8.0 GT/s x8 (endpoint supports 8.0 GT/s x8), expected Gen3 x16"
    );
    // The endpoint offers only x8: the bitstream, not the slot.
    assert!(link["fix"]
        .as_str()
        .unwrap()
        .contains("the endpoint itself offers only 8.0 GT/s x8"));
    // No other step needs the link at its full width.
    assert_eq!(field(&v, "counts.fail"), 1);
    assert_eq!(field(&v, "counts.pass"), 10);
}

#[test]
fn a_bar2_size_other_than_built_fails_bars_and_skips_the_bar2_test() {
    let r = run(&["bringup", "--bar2-size", "4MiB"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains(
            " 3 FAIL  BARs sized as built: BAR0 64 KiB 32-bit, BAR2 1 MiB 64-bit prefetchable: \
             BAR2 must be 4 MiB (--bar2-size)"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("        fix: the bitstream's PCIe block"));
    assert!(
        r.stdout
            .contains(" 6 SKIP  BAR2 pattern test: needs bars, which did not pass (FAIL)"),
        "{}",
        r.stdout
    );
    assert!(r
        .stdout
        .ends_with("9 passed, 1 failed, 1 skipped: see the first FAIL (docs/bringup.md)\n"));
}

#[test]
fn a_function_that_is_not_there_fails_the_first_step_and_skips_the_rest() {
    // Domain ffff is not one a machine assigns: sysfs has no such function.
    let r = run(&["--device", "ffff:7f:1f.7", "bringup", "--json"]);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    let v = parse(&r);
    assert_eq!(v["target"], "hardware");
    assert_eq!(v["device"], "ffff:7f:1f.7");
    let visible = step(&v, "visible");
    assert_eq!(visible["status"], "fail");
    assert!(visible["detail"]
        .as_str()
        .unwrap()
        .starts_with("no PCI device ffff:7f:1f.7"));
    assert!(visible["fix"].as_str().unwrap().contains("rescan"));
    for id in &STEPS[1..9] {
        assert_eq!(status(&v, id), "skip", "{id}");
    }
    assert_eq!(
        step(&v, "link")["detail"],
        "needs visible, which did not pass (FAIL)"
    );
    assert_eq!(
        step(&v, "bar2")["detail"],
        "needs bars, which did not pass (SKIP)"
    );
    // Without --nvme there is no peer to check.
    assert_eq!(
        step(&v, "p2p_verdict")["detail"],
        "no --nvme <BDF> given: nothing to check"
    );
    assert_eq!(field(&v, "counts.fail"), 1);
    assert_eq!(field(&v, "counts.skip"), 10);
}

#[test]
fn bad_usage_exits_2_and_checks_nothing() {
    for (args, message) in [
        (
            &["bringup", "--link-width", "3"][..],
            "--link-width 3: a PCIe link is x1, x2, x4, x8, x12, x16 or x32",
        ),
        (&["bringup", "--link-gen", "7"][..], "7 is not in 1..=6"),
        (
            &["bringup", "--bar2-size", "3000"][..],
            "--bar2-size 3000: BAR2 is a power of two",
        ),
        (
            &["bringup", "--bind"][..],
            "--bind binds a real function to vfio-pci: it needs --device <BDF>",
        ),
        (
            &["bringup", "--nvme", "02:00.0"][..],
            "--nvme names a real SSD: it needs --device <BDF>",
        ),
        (
            &["--device", "01:00.0", "bringup", "--nvme", "0000:01:00.0"][..],
            "--device and --nvme both name 0000:01:00.0",
        ),
        (
            &["--device", "01:00.0", "bringup", "--allow-nvme-write"][..],
            "--allow-nvme-write and --nvme-lba apply to --nvme <BDF>",
        ),
        (&["--device", "1:2:3", "bringup"][..], "invalid PCI address"),
        (
            &["--device", "01:00.0", "--mps", "512", "bringup"][..],
            "--mps applies to the simulated endpoint only",
        ),
        (
            &["bringup", "--sysfs", "/sys"][..],
            "--sysfs names the sysfs of a real machine: it needs --device <BDF>",
        ),
    ] {
        let mut with_json = args.to_vec();
        with_json.push("--json");
        let r = run(&with_json);
        assert_eq!(r.code, EXIT_USAGE, "{args:?}: {}\n{}", r.stdout, r.stderr);
        let v = parse(&r);
        assert_eq!(v["schema"], "peerbar-error/1", "{args:?}");
        assert_eq!(v["exit_code"], 2);
        assert!(
            v["message"].as_str().unwrap().contains(message),
            "{args:?}: {}",
            v["message"]
        );
        // Nothing ran: the report is the error alone.
        assert!(!r.stdout.contains("peerbar-bringup/1"), "{args:?}");
    }
}

/// A fake sysfs tree (`--sysfs`) holding one function, 0000:01:00.0 below root port
/// 0000:00:1c.0, with the files the sysfs steps read; removed on drop.
struct FakeSysfs {
    root: std::path::PathBuf,
}

const BOARD: &str = "0000:01:00.0";

impl FakeSysfs {
    /// The board as built (10EE:9038 class 058000h, Gen3 x8, BAR0 64 KiB, BAR2 1 MiB 64-bit
    /// prefetchable), bound to `driver`, in IOMMU group 7 with the IOMMU on.
    fn board(driver: &str) -> FakeSysfs {
        use std::os::unix::fs::symlink;
        let root = std::env::temp_dir().join(format!(
            "peerbar-checklist-{}-{driver}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&root);
        let dir = root.join("devices/pci0000:00/0000:00:1c.0").join(BOARD);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::create_dir_all(root.join("bus/pci/devices")).unwrap();
        std::fs::create_dir_all(root.join("class/iommu/dmar0")).unwrap();
        std::fs::create_dir_all(root.join("bus/pci/drivers").join(driver)).unwrap();
        let group = root.join("kernel/iommu_groups/7/devices");
        std::fs::create_dir_all(&group).unwrap();
        symlink(&dir, root.join("bus/pci/devices").join(BOARD)).unwrap();
        symlink(&dir, group.join(BOARD)).unwrap();
        symlink(root.join("kernel/iommu_groups/7"), dir.join("iommu_group")).unwrap();
        symlink(
            root.join("bus/pci/drivers").join(driver),
            dir.join("driver"),
        )
        .unwrap();
        let tree = FakeSysfs { root };
        for (name, text) in [
            ("vendor", "0x10ee"),
            ("device", "0x9038"),
            ("class", "0x058000"),
            ("current_link_speed", "8.0 GT/s PCIe"),
            ("current_link_width", "8"),
            ("max_link_speed", "8.0 GT/s PCIe"),
            ("max_link_width", "8"),
            (
                "resource",
                "0x00000000fe000000 0x00000000fe00ffff 0x0000000000040200\n\
                 0x0000000000000000 0x0000000000000000 0x0000000000000000\n\
                 0x000000e000000000 0x000000e0000fffff 0x000000000014220c",
            ),
        ] {
            tree.set(name, text);
        }
        tree
    }

    /// Replaces one file of the board's directory.
    fn set(&self, name: &str, text: &str) {
        std::fs::write(self.board_file(name), format!("{text}\n")).unwrap();
    }

    fn board_file(&self, name: &str) -> std::path::PathBuf {
        self.root.join("bus/pci/devices").join(BOARD).join(name)
    }

    fn path(&self) -> &str {
        self.root.to_str().unwrap()
    }

    /// `peerbar --device BOARD bringup --json --sysfs <tree> extra...`: exit code and report.
    fn bringup(&self, extra: &[&str]) -> (i32, Value) {
        let mut args = vec![
            "--device",
            BOARD,
            "bringup",
            "--json",
            "--sysfs",
            self.path(),
        ];
        args.extend_from_slice(extra);
        let r = run(&args);
        (r.code, parse(&r))
    }
}

impl Drop for FakeSysfs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[test]
fn a_board_on_another_driver_passes_the_sysfs_steps_and_fails_binding_with_the_commands() {
    let tree = FakeSysfs::board("xdma");
    let (code, v) = tree.bringup(&[]);
    assert_eq!(code, 1);
    assert_eq!(v["target"], "hardware");
    for id in ["visible", "link", "bars"] {
        assert_eq!(status(&v, id), "pass", "{id}: {v:#}");
    }
    let vfio = step(&v, "vfio");
    assert_eq!(vfio["status"], "fail");
    assert_eq!(
        vfio["detail"],
        "IOMMU group 7 (0 other member(s)), driver xdma"
    );
    let fix = vfio["fix"].as_str().unwrap();
    assert!(
        fix.contains("echo 0000:01:00.0 > /sys/bus/pci/drivers/xdma/unbind"),
        "{fix}"
    );
    assert!(fix.contains("--bind"), "{fix}");
    // Nothing is opened without the binding.
    assert_eq!(
        step(&v, "registers")["detail"],
        "needs vfio, which did not pass (FAIL)"
    );
    assert!(v["bind"].is_null());
}

#[test]
fn a_downtrained_link_fails_naming_the_slot() {
    let tree = FakeSysfs::board("vfio-pci");
    tree.set("current_link_speed", "2.5 GT/s PCIe");
    tree.set("current_link_width", "4");
    let (code, v) = tree.bringup(&[]);
    assert_eq!(code, 1);
    let link = step(&v, "link");
    assert_eq!(link["status"], "fail");
    assert_eq!(
        link["detail"],
        "trained 2.5 GT/s x4 (endpoint supports 8.0 GT/s x8), expected Gen3 x8"
    );
    assert!(link["fix"].as_str().unwrap().contains("downtrained"));
    // What was expected can be said otherwise.
    let (_, v) = tree.bringup(&["--link-gen", "1", "--link-width", "4"]);
    assert_eq!(status(&v, "link"), "pass");
}

#[test]
fn bind_writes_driver_override_unbind_and_drivers_probe_and_says_so() {
    let tree = FakeSysfs::board("xdma");
    std::fs::create_dir_all(tree.root.join("bus/pci/drivers/vfio-pci")).unwrap();
    let (code, v) = tree.bringup(&["--bind"]);
    assert_eq!(
        std::fs::read_to_string(tree.board_file("driver_override")).unwrap(),
        "vfio-pci"
    );
    assert_eq!(
        std::fs::read_to_string(tree.root.join("bus/pci/drivers/xdma/unbind")).unwrap(),
        BOARD
    );
    assert_eq!(
        std::fs::read_to_string(tree.root.join("bus/pci/drivers_probe")).unwrap(),
        BOARD
    );
    let actions: Vec<&str> = v["bind"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(actions.len(), 3, "{actions:?}");
    assert_eq!(
        actions[0],
        format!(
            "wrote vfio-pci to {}/bus/pci/devices/{BOARD}/driver_override",
            tree.path()
        )
    );
    assert!(actions[1].ends_with("/driver/unbind"), "{actions:?}");
    assert!(
        actions[2].ends_with("/bus/pci/drivers_probe"),
        "{actions:?}"
    );
    // A fake tree has no kernel to rebind the function: the report says so, and the binding
    // step still fails.
    assert_eq!(v["bind"]["driver_after"], "xdma");
    assert_eq!(status(&v, "vfio"), "fail");
    assert_eq!(code, 1);
}

#[test]
fn bind_without_vfio_pci_loaded_writes_nothing() {
    let tree = FakeSysfs::board("xdma");
    let (code, v) = tree.bringup(&["--bind"]);
    assert_eq!(code, 1);
    let vfio = step(&v, "vfio");
    assert_eq!(vfio["status"], "fail");
    assert!(
        vfio["detail"]
            .as_str()
            .unwrap()
            .starts_with("--bind: the vfio-pci driver is not loaded"),
        "{vfio:#}"
    );
    assert!(!tree.board_file("driver_override").exists());
}

#[test]
fn bind_leaves_a_function_with_other_ids_alone() {
    let tree = FakeSysfs::board("nvme");
    std::fs::create_dir_all(tree.root.join("bus/pci/drivers/vfio-pci")).unwrap();
    tree.set("vendor", "0x1b36");
    tree.set("device", "0x0010");
    tree.set("class", "0x010802");
    let (code, v) = tree.bringup(&["--bind"]);
    assert_eq!(code, 1);
    assert_eq!(
        step(&v, "visible")["detail"],
        "1B36:0010 class 010802h, expected 10EE:9038 class 058000h: not a peerbar endpoint"
    );
    assert_eq!(status(&v, "vfio"), "skip");
    assert!(v["bind"].is_null());
    assert!(!tree.board_file("driver_override").exists());
}

#[test]
fn wrong_bar_sizes_and_no_iommu_group_fail_their_steps() {
    let tree = FakeSysfs::board("vfio-pci");
    tree.set(
        "resource",
        "0x00000000fe000000 0x00000000fe000fff 0x0000000000040200",
    );
    std::fs::remove_file(tree.board_file("iommu_group")).unwrap();
    let (code, v) = tree.bringup(&[]);
    assert_eq!(code, 1);
    let bars = step(&v, "bars");
    assert_eq!(bars["status"], "fail");
    assert_eq!(
        bars["detail"],
        "BAR0 4 KiB 32-bit, BAR2 absent: BAR0 must be 64 KiB; BAR2 is missing"
    );
    let vfio = step(&v, "vfio");
    assert_eq!(vfio["status"], "fail");
    assert!(vfio["fix"].as_str().unwrap().contains("intel_iommu=on"));
}
