// SPDX-License-Identifier: MIT OR Apache-2.0
//! `peerbar topology` from the command line, over fake sysfs trees (--sysfs): verdicts and
//! facts in the human and JSON output, exit codes, and a smoke run over this machine's /sys.
//! The analysis itself is unit-tested in peerbar::topology; these tests check what a user sees.

mod common;

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use common::*;
use serde_json::Value;

/// A fake sysfs tree in a temporary directory, removed on drop.
struct Tree {
    root: PathBuf,
}

/// PCIe Device/Port Types (PCI Express Capabilities register bits 7:4).
const ENDPOINT: u8 = 0;
const ROOT_PORT: u8 = 4;
const UPSTREAM: u8 = 5;
const DOWNSTREAM: u8 = 6;
/// ACS Capability: SV, RR, CR, UF; Control: RR and CR (redirect on).
const ACS_CAP: u16 = 0b001_1101;
const ACS_REDIRECT: u16 = 0b000_1100;

impl Tree {
    fn new(iommu: bool) -> Tree {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "peerbar-topology-cli-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("bus/pci/devices")).unwrap();
        if iommu {
            fs::create_dir_all(root.join("class/iommu/dmar0")).unwrap();
        }
        Tree { root }
    }

    /// One function at `path` (host bridge, then BDFs down to it): IDs, class, a PCI Express
    /// capability of `port_type` (MPS 256, MRRS 512) and, for ports, an ACS capability with
    /// `acs_control`; `config` cut to `config_len` bytes as sysfs does for non-root readers.
    fn add(
        &self,
        path: &[&str],
        port_type: u8,
        acs_control: u16,
        driver: &str,
        group: Option<u32>,
    ) {
        self.add_sized(path, port_type, acs_control, driver, group, 4096);
    }

    fn add_sized(
        &self,
        path: &[&str],
        port_type: u8,
        acs_control: u16,
        driver: &str,
        group: Option<u32>,
        config_len: usize,
    ) {
        let bdf = *path.last().unwrap();
        let dir = self.root.join("devices").join(path.join("/"));
        fs::create_dir_all(&dir).unwrap();
        let port = port_type != ENDPOINT;
        let class: u32 = if port { 0x06_04_00 } else { 0x01_08_02 };
        let w = |name: &str, text: &str| fs::write(dir.join(name), text).unwrap();
        w("vendor", "0x1b36\n");
        w("device", if port { "0x000c\n" } else { "0x0010\n" });
        w("class", &format!("0x{class:06x}\n"));
        w("current_link_speed", "2.5 GT/s PCIe\n");
        w("current_link_width", "1\n");
        w(
            "resource",
            "0x00000000fe800000 0x00000000fe803fff 0x0000000000140204\n",
        );
        let mut c = vec![0u8; 4096];
        c[0..2].copy_from_slice(&0x1b36u16.to_le_bytes());
        c[6] = 1 << 4;
        c[9..12].copy_from_slice(&class.to_le_bytes()[..3]);
        c[0x34] = 0x40;
        c[0x40] = 0x10;
        c[0x42] = 2 | (port_type << 4);
        c[0x48..0x4a].copy_from_slice(&((1u16 << 5) | (2 << 12)).to_le_bytes());
        if port {
            c[0x100..0x104].copy_from_slice(&(0x000du32 | (1 << 16)).to_le_bytes());
            c[0x104..0x106].copy_from_slice(&ACS_CAP.to_le_bytes());
            c[0x106..0x108].copy_from_slice(&acs_control.to_le_bytes());
        }
        c.truncate(config_len);
        fs::write(dir.join("config"), c).unwrap();
        symlink(&dir, self.root.join("bus/pci/devices").join(bdf)).unwrap();
        symlink(
            self.root.join("bus/pci/drivers").join(driver),
            dir.join("driver"),
        )
        .unwrap();
        if let Some(group) = group {
            let g = self.root.join(format!("kernel/iommu_groups/{group}"));
            fs::create_dir_all(g.join("devices")).unwrap();
            symlink(&dir, g.join("devices").join(bdf)).unwrap();
            symlink(&g, dir.join("iommu_group")).unwrap();
        }
    }

    fn path(&self) -> &str {
        self.root.to_str().unwrap()
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

/// What a QEMU q35 guest shows with an xio3130 switch: root port 00:1c.0, switch upstream port
/// 01:00.0, downstream ports 02:00.0 and 02:01.0, the FPGA at 03:00.0 and the SSD at 04:00.0;
/// plus a second root port 00:1d.0 with an NVMe at 05:00.0. `dsp_acs` is the downstream
/// ports' ACS Control; `config_len` applies to the switch ports.
fn q35_tree(iommu: bool, dsp_acs: u16, config_len: usize) -> Tree {
    let t = Tree::new(iommu);
    let g = |n: u32| iommu.then_some(n);
    let rp = ["pci0000:00", "0000:00:1c.0"];
    let usp = ["pci0000:00", "0000:00:1c.0", "0000:01:00.0"];
    let dsp = |d: &'static str| ["pci0000:00", "0000:00:1c.0", "0000:01:00.0", d];
    t.add(&["pci0000:00", "0000:00:00.0"], ENDPOINT, 0, "none", g(0));
    t.add(&rp, ROOT_PORT, ACS_REDIRECT, "pcieport", g(3));
    t.add_sized(&usp, UPSTREAM, 0, "pcieport", g(3), config_len);
    t.add_sized(
        &dsp("0000:02:00.0"),
        DOWNSTREAM,
        dsp_acs,
        "pcieport",
        g(3),
        config_len,
    );
    t.add_sized(
        &dsp("0000:02:01.0"),
        DOWNSTREAM,
        dsp_acs,
        "pcieport",
        g(3),
        config_len,
    );
    let below = |d: &'static str, f: &'static str| [rp[0], rp[1], usp[2], d, f];
    t.add(
        &below("0000:02:00.0", "0000:03:00.0"),
        ENDPOINT,
        0,
        "vfio-pci",
        g(3),
    );
    t.add(
        &below("0000:02:01.0", "0000:04:00.0"),
        ENDPOINT,
        0,
        "vfio-pci",
        g(3),
    );
    t.add(
        &["pci0000:00", "0000:00:1d.0"],
        ROOT_PORT,
        ACS_REDIRECT,
        "pcieport",
        g(4),
    );
    t.add(
        &["pci0000:00", "0000:00:1d.0", "0000:05:00.0"],
        ENDPOINT,
        0,
        "nvme",
        g(4),
    );
    t
}

fn topology_json(tree: &Tree, bdfs: &[&str]) -> Value {
    let mut args = vec!["topology", "--json", "--sysfs", tree.path()];
    args.extend_from_slice(bdfs);
    let v = json(&args);
    assert_eq!(field(&v, "schema"), "peerbar-topology/1");
    v
}

#[test]
fn switch_with_redirect_off_is_direct_in_json_and_text() {
    let tree = q35_tree(true, 0, 4096);
    let v = topology_json(&tree, &["03:00.0", "04:00.0"]);
    assert_eq!(field(&v, "iommu.active"), true);
    let pair = &v["pairs"][0];
    assert_eq!(field(pair, "a"), "0000:03:00.0");
    assert_eq!(field(pair, "verdict.kind"), "direct");
    assert_eq!(field(pair, "common.kind"), "switch");
    assert_eq!(field(pair, "common.bdf"), "0000:01:00.0");
    assert_eq!(field(pair, "common.port_type"), "switch_upstream_port");
    assert_eq!(field(pair, "same_iommu_group"), true);
    let ports = field(pair, "ports").as_array().unwrap();
    assert_eq!(ports.len(), 2);
    assert_eq!(field(&ports[0], "bdf"), "0000:02:00.0");
    assert_eq!(field(&ports[0], "acs.state"), "found");
    assert_eq!(field(&ports[0], "acs.capability.rr"), true);
    assert_eq!(field(&ports[0], "acs.control.rr"), false);
    let fpga = &v["functions"][0];
    assert_eq!(field(fpga, "bdf"), "0000:03:00.0");
    assert_eq!(field(fpga, "vendor_id"), "0x1b36");
    assert_eq!(field(fpga, "class"), "0x010802");
    assert_eq!(field(fpga, "driver"), "vfio-pci");
    assert_eq!(field(fpga, "iommu_group"), 3);
    assert_eq!(field(fpga, "host_bridge"), "pci0000:00");
    assert_eq!(
        field(fpga, "upstream"),
        &serde_json::json!(["0000:00:1c.0", "0000:01:00.0", "0000:02:00.0"])
    );
    assert_eq!(field(fpga, "pcie.port_type"), "endpoint");
    assert_eq!(field(fpga, "pcie.max_payload_bytes"), 256);
    assert_eq!(field(fpga, "pcie.max_read_request_bytes"), 512);
    assert_eq!(field(fpga, "acs.state"), "absent");
    assert_eq!(fpga["bars"][0]["size_bytes"], 16384);
    assert_eq!(fpga["bars"][0]["kind"], "mem64");
    assert_eq!(field(fpga, "link.up"), true);

    let r = run(&["topology", "--sysfs", tree.path(), "03:00.0", "04:00.0"]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    for needle in [
        "IOMMU: active",
        "0000:01:00.0 (switch upstream port)",
        "verdict  P2P likely works: both under switch 0000:01:00.0",
        "MPS 256 B, MRRS 512 B",
        "BAR0 16 KiB mem64",
    ] {
        assert!(r.stdout.contains(needle), "no {needle:?} in:\n{}", r.stdout);
    }
}

#[test]
fn root_ports_with_redirect_go_through_the_root_complex() {
    let tree = q35_tree(true, 0, 4096);
    let v = topology_json(&tree, &["0000:03:00.0", "0000:05:00.0"]);
    let pair = &v["pairs"][0];
    assert_eq!(field(pair, "verdict.kind"), "through_root_complex");
    assert_eq!(field(pair, "common.kind"), "root_complex");
    assert_eq!(
        field(pair, "common.host_bridges"),
        &serde_json::json!(["pci0000:00"])
    );
    assert_eq!(field(pair, "same_iommu_group"), false);
    let summary = field(pair, "verdict.summary").as_str().unwrap();
    assert!(
        summary.contains("host bridge forwards peer-to-peer"),
        "{summary}"
    );
    // Both root ports are on the path; the switch's downstream port 02:00.0 too.
    let ports: Vec<&str> = pair["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["bdf"].as_str().unwrap())
        .collect();
    assert_eq!(ports, ["0000:00:1c.0", "0000:02:00.0", "0000:00:1d.0"]);
    assert_eq!(pair["ports"][0]["acs"]["control"]["rr"], true);
    let actions = field(pair, "verdict.actions").to_string();
    assert!(actions.contains("one VFIO container"), "{actions}");
}

#[test]
fn a_group_member_on_another_driver_is_named() {
    let tree = q35_tree(true, 0, 4096);
    // Group 4 holds root port 00:1d.0 (pcieport, fine) and the NVMe bound to nvme.
    tree.add(
        &["pci0000:00", "0000:00:1d.0", "0000:05:00.1"],
        ENDPOINT,
        0,
        "vfio-pci",
        Some(4),
    );
    let v = topology_json(&tree, &["03:00.0", "05:00.1"]);
    let peers = &v["functions"][1]["iommu_group_peers"];
    let nvme = peers
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["bdf"] == "0000:05:00.0")
        .unwrap();
    assert_eq!(nvme["driver"], "nvme");
    assert_eq!(nvme["vfio_compatible"], false);
    let port = peers
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["bdf"] == "0000:00:1d.0")
        .unwrap();
    assert_eq!(port["vfio_compatible"], true);
    let reasons = v["pairs"][0]["verdict"]["reasons"].to_string();
    assert!(reasons.contains("0000:05:00.0 (driver nvme)"), "{reasons}");
}

#[test]
fn unprivileged_reads_say_acs_is_unknown_and_why() {
    let tree = q35_tree(true, 0, 64);
    let v = topology_json(&tree, &["03:00.0", "04:00.0"]);
    let pair = &v["pairs"][0];
    assert_eq!(field(pair, "verdict.kind"), "unknown");
    assert_eq!(pair["ports"][0]["acs"]["state"], "unknown");
    let reason = pair["ports"][0]["acs"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("only 64 bytes") && reason.contains("root"),
        "{reason}"
    );
    let r = run(&["topology", "--sysfs", tree.path(), "03:00.0", "04:00.0"]);
    assert!(r.stdout.contains("verdict  Unknown: "), "{}", r.stdout);
    assert!(r.stdout.contains("run as root"), "{}", r.stdout);
}

#[test]
fn different_domains_are_blocked() {
    let tree = q35_tree(true, 0, 4096);
    tree.add(
        &["pci0001:00", "0001:00:00.0"],
        ROOT_PORT,
        0,
        "pcieport",
        Some(9),
    );
    tree.add(
        &["pci0001:00", "0001:00:00.0", "0001:01:00.0"],
        ENDPOINT,
        0,
        "vfio-pci",
        Some(9),
    );
    let v = topology_json(&tree, &["03:00.0", "0001:01:00.0"]);
    assert_eq!(v["pairs"][0]["verdict"]["kind"], "blocked");
    assert_eq!(v["pairs"][0]["common"]["kind"], "different_domains");
}

#[test]
fn without_an_iommu_it_says_so() {
    let tree = q35_tree(false, 0, 4096);
    let v = topology_json(&tree, &["03:00.0", "04:00.0"]);
    assert_eq!(field(&v, "iommu.active"), false);
    assert_eq!(v["pairs"][0]["verdict"]["kind"], "direct");
    assert_eq!(v["pairs"][0]["same_iommu_group"], Value::Null);
    assert_eq!(v["functions"][0]["iommu_group"], Value::Null);
    let r = run(&["topology", "--sysfs", tree.path(), "03:00.0", "04:00.0"]);
    assert!(r.stdout.contains("IOMMU: not active"), "{}", r.stdout);
}

#[test]
fn the_vfio_interface_in_use_and_iommufd_are_named() {
    let tree = q35_tree(true, 0, 4096);
    let v = topology_json(&tree, &["03:00.0"]);
    assert_eq!(field(&v, "iommu.iommufd"), false);
    assert_eq!(v["functions"][0]["vfio_cdev"], Value::Null);
    let r = run(&["topology", "--sysfs", tree.path(), "03:00.0"]);
    assert!(
        r.stdout.contains(
            "VFIO through the legacy container (/dev/vfio/vfio): this kernel has no iommufd"
        ),
        "{}",
        r.stdout
    );

    // A kernel with iommufd (/dev/iommu) and the VFIO device cdev of the function.
    fs::create_dir_all(tree.root.join("class/misc/iommu")).unwrap();
    let fpga = "pci0000:00/0000:00:1c.0/0000:01:00.0/0000:02:00.0/0000:03:00.0";
    let cdev = tree.root.join("devices").join(fpga).join("vfio-dev/vfio0");
    fs::create_dir_all(&cdev).unwrap();
    fs::write(cdev.join("dev"), "511:0\n").unwrap();
    let v = topology_json(&tree, &["03:00.0"]);
    assert_eq!(field(&v, "iommu.iommufd"), true);
    assert_eq!(v["functions"][0]["vfio_cdev"], "vfio0");
    let r = run(&["topology", "--sysfs", tree.path(), "03:00.0"]);
    assert!(
        r.stdout.contains("the kernel offers iommufd (/dev/iommu): peerbar opens a function through its VFIO device cdev"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "vfio     cdev /dev/vfio/devices/vfio0 (iommufd); peerbar uses /dev/vfio/devices/vfio0 with /dev/iommu: the kernel offers iommufd"
        ),
        "{}",
        r.stdout
    );
    // --vfio legacy: the container, said so on both lines.
    let r = run(&[
        "--vfio",
        "legacy",
        "topology",
        "--sysfs",
        tree.path(),
        "03:00.0",
    ]);
    assert!(
        r.stdout
            .contains("--vfio legacy makes peerbar use the legacy VFIO container")
            && r.stdout.contains(
                "peerbar uses /dev/vfio/3 (the legacy container): --vfio legacy asks for it"
            ),
        "{}",
        r.stdout
    );
}

#[test]
fn forced_iommufd_without_it_names_what_is_missing() {
    let tree = q35_tree(true, 0, 4096);
    let r = run(&[
        "--vfio",
        "iommufd",
        "topology",
        "--sysfs",
        tree.path(),
        "03:00.0",
    ]);
    assert!(
        r.stdout
            .contains("peerbar cannot open it: the iommufd VFIO path is not available: this kernel has no iommufd"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_bad_vfio_value_is_a_usage_error() {
    let r = run(&["--vfio", "cdev", "topology"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("\"cdev\" is not a VFIO interface: expected auto, legacy or iommufd"),
        "{}",
        r.stderr
    );
}

#[test]
fn listing_shows_every_function() {
    let tree = q35_tree(true, ACS_REDIRECT, 4096);
    let v = topology_json(&tree, &[]);
    assert_eq!(v["functions"].as_array().unwrap().len(), 9);
    assert!(v["pairs"].as_array().unwrap().is_empty());
    let r = run(&["topology", "--sysfs", tree.path()]);
    assert_eq!(r.code, EXIT_OK);
    assert!(r.stdout.contains("0000:05:00.0"), "{}", r.stdout);
    assert!(
        r.stdout
            .contains("pci0000:00 > 0000:00:1c.0 > 0000:01:00.0 > 0000:02:01.0"),
        "{}",
        r.stdout
    );
}

#[test]
fn a_qemu_guest_is_told_to_use_iovas_even_under_a_switch() {
    let tree = q35_tree(true, 0, 4096);
    fs::create_dir_all(tree.root.join("class/dmi/id")).unwrap();
    fs::write(tree.root.join("class/dmi/id/sys_vendor"), "QEMU\n").unwrap();
    let v = topology_json(&tree, &["03:00.0", "04:00.0"]);
    assert_eq!(field(&v, "machine_vendor"), "QEMU");
    assert_eq!(v["pairs"][0]["common"]["kind"], "switch");
    assert_eq!(v["pairs"][0]["verdict"]["kind"], "through_root_complex");
    let r = run(&["topology", "--sysfs", tree.path(), "03:00.0", "04:00.0"]);
    assert!(r.stdout.contains("machine: QEMU"), "{}", r.stdout);
    assert!(r.stdout.contains("virtual IOMMU"), "{}", r.stdout);
}

#[test]
fn bad_and_missing_bdfs_have_their_exit_codes() {
    let tree = q35_tree(true, 0, 4096);
    let r = run(&["topology", "--sysfs", tree.path(), "03:00.0", "3:0.0"]);
    assert_eq!(r.code, EXIT_USAGE, "{}", r.stderr);
    assert!(
        r.stderr.contains("invalid PCI address \"3:0.0\""),
        "{}",
        r.stderr
    );
    let r = run(&["topology", "--sysfs", tree.path(), "03:00.0", "03:00.0"]);
    assert_eq!(r.code, EXIT_USAGE, "{}", r.stderr);
    let r = run(&["topology", "--sysfs", tree.path(), "03:00.0", "07:00.0"]);
    assert_eq!(r.code, EXIT_DEVICE, "{}", r.stderr);
    let looked_in = Path::new(tree.path()).join("bus/pci/devices");
    assert!(
        r.stderr.contains("0000:07:00.0") && r.stderr.contains(looked_in.to_str().unwrap()),
        "{}",
        r.stderr
    );
    let r = run(&["topology", "--device", "03:00.0", "--sysfs", tree.path()]);
    assert_eq!(r.code, EXIT_USAGE, "{}", r.stderr);
}

#[test]
fn this_machine_sysfs_does_not_panic() {
    let r = run(&["topology"]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    assert!(r.stdout.starts_with("IOMMU: "), "{}", r.stdout);
    let v = json(&["topology", "--json"]);
    assert_eq!(field(&v, "schema"), "peerbar-topology/1");
    // Every listed function can be analysed against the first without an error.
    let functions = v["functions"].as_array().unwrap();
    if let [first, rest @ ..] = functions.as_slice() {
        for other in rest.iter().take(8) {
            let r = run(&[
                "topology",
                first["bdf"].as_str().unwrap(),
                other["bdf"].as_str().unwrap(),
            ]);
            assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
            assert!(r.stdout.contains("verdict"), "{}", r.stdout);
        }
    }
}
