// SPDX-License-Identifier: MIT OR Apache-2.0
use super::*;
use crate::device::CONFIG_SPACE_LEN;
use std::os::unix::fs::symlink;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fake sysfs tree in a temporary directory, removed on drop (also used by the
/// bring-up checks' tests).
pub(crate) struct Tree {
    root: PathBuf,
}

/// ACS Capability register of the fake ports: SV, RR, CR, UF implemented.
const ACS_CAP: u16 = 0b001_1101;
/// ACS Control: RR and CR enabled (what Linux enables on ports when the IOMMU is on).
const ACS_REDIRECT: u16 = 0b000_1100;

/// Config space of a PCIe function: header, a PCI Express capability at 0x40 of the given
/// Device/Port Type (MPS 256, MRRS 512, link 8 GT/s x8), an optional ACS capability at
/// 0x100 (Capability, Control), cut to `len` bytes like sysfs does.
fn config(class: u32, port_type: u8, acs: Option<(u16, u16)>, len: usize) -> Vec<u8> {
    let mut c = vec![0u8; CONFIG_SPACE_LEN];
    c[0..2].copy_from_slice(&0x10eeu16.to_le_bytes());
    c[2..4].copy_from_slice(&0x9038u16.to_le_bytes());
    c[6] = 1 << 4; // Status: capability list
    c[9..12].copy_from_slice(&class.to_le_bytes()[..3]);
    c[0x0e] = u8::from(class >> 8 == 0x0604); // header type 1 for PCI-to-PCI bridges
    c[0x34] = 0x40;
    c[0x40] = 0x10; // PCI Express, last in the list
    c[0x42..0x44].copy_from_slice(&(2u16 | (u16::from(port_type) << 4)).to_le_bytes());
    c[0x44..0x48].copy_from_slice(&2u32.to_le_bytes()); // MPS supported 512
    c[0x48..0x4a].copy_from_slice(&((1u16 << 5) | (2 << 12)).to_le_bytes());
    c[0x4c..0x50].copy_from_slice(&(3u32 | (8 << 4)).to_le_bytes());
    c[0x52..0x54].copy_from_slice(&(3u16 | (8 << 4)).to_le_bytes());
    if let Some((cap, ctl)) = acs {
        c[0x100..0x104].copy_from_slice(&(u32::from(EXT_CAP_ID_ACS) | (1 << 16)).to_le_bytes());
        c[0x104..0x106].copy_from_slice(&cap.to_le_bytes());
        c[0x106..0x108].copy_from_slice(&ctl.to_le_bytes());
    }
    c.truncate(len);
    c
}

/// What to put in one function's directory.
pub(crate) struct Spec<'a> {
    /// Host bridge and BDFs from the top down to this function.
    pub(crate) path: &'a [&'a str],
    pub(crate) class: u32,
    pub(crate) port_type: u8,
    pub(crate) acs: Option<(u16, u16)>,
    pub(crate) config_len: usize,
    pub(crate) driver: Option<&'a str>,
    pub(crate) group: Option<u32>,
}

fn endpoint<'a>(path: &'a [&'a str], driver: &'a str, group: Option<u32>) -> Spec<'a> {
    Spec {
        path,
        class: 0x01_08_02,
        port_type: 0,
        acs: None,
        config_len: CONFIG_SPACE_LEN,
        driver: Some(driver),
        group,
    }
}

fn port<'a>(path: &'a [&'a str], port_type: u8, acs_control: u16) -> Spec<'a> {
    Spec {
        path,
        class: 0x06_04_00,
        port_type,
        acs: Some((ACS_CAP, acs_control)),
        config_len: CONFIG_SPACE_LEN,
        driver: Some("pcieport"),
        group: None,
    }
}

impl Tree {
    pub(crate) fn new() -> Tree {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let root = std::env::temp_dir().join(format!(
            "peerbar-topology-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("bus/pci/devices")).unwrap();
        Tree { root }
    }

    pub(crate) fn with_iommu(self) -> Tree {
        fs::create_dir_all(self.root.join("class/iommu/dmar0")).unwrap();
        self
    }

    pub(crate) fn add(&self, spec: Spec) -> &Tree {
        let bdf = *spec.path.last().unwrap();
        let dir = self.root.join("devices").join(spec.path.join("/"));
        fs::create_dir_all(&dir).unwrap();
        let w = |name: &str, text: String| fs::write(dir.join(name), text).unwrap();
        w("vendor", "0x10ee\n".into());
        w("device", "0x9038\n".into());
        w("class", format!("0x{:06x}\n", spec.class));
        w("current_link_speed", "8.0 GT/s PCIe\n".into());
        w("current_link_width", "8\n".into());
        w("max_link_speed", "8.0 GT/s PCIe\n".into());
        w("max_link_width", "8\n".into());
        w(
            "resource",
            "0x00000000fe000000 0x00000000fe00ffff 0x0000000000140204\n\
             0x0000000000000000 0x0000000000000000 0x0000000000000000\n\
             0x000000e000000000 0x000000e0000fffff 0x000000000014220c\n"
                .into(),
        );
        let cfg = config(spec.class, spec.port_type, spec.acs, spec.config_len);
        fs::write(dir.join("config"), cfg).unwrap();
        symlink(&dir, self.root.join("bus/pci/devices").join(bdf)).unwrap();
        if let Some(driver) = spec.driver {
            symlink(
                self.root.join("bus/pci/drivers").join(driver),
                dir.join("driver"),
            )
            .unwrap();
        }
        if let Some(group) = spec.group {
            let g = self.root.join(format!("kernel/iommu_groups/{group}"));
            fs::create_dir_all(g.join("devices")).unwrap();
            symlink(&dir, g.join("devices").join(bdf)).unwrap();
            symlink(&g, dir.join("iommu_group")).unwrap();
        }
        self
    }

    pub(crate) fn sysfs(&self) -> Sysfs {
        Sysfs::new(&self.root)
    }

    fn pair(&self, a: &str, b: &str) -> Pair {
        let sysfs = self.sysfs();
        let fa = sysfs.function(a.parse().unwrap()).unwrap();
        let fb = sysfs.function(b.parse().unwrap()).unwrap();
        sysfs.pair(&fa, &fb, &sysfs.iommu()).unwrap()
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

const RP: &[&str] = &["pci0000:00", "0000:00:1c.0"];
const USP: &[&str] = &["pci0000:00", "0000:00:1c.0", "0000:01:00.0"];
const DSP1: &[&str] = &["pci0000:00", "0000:00:1c.0", "0000:01:00.0", "0000:02:01.0"];
const DSP2: &[&str] = &["pci0000:00", "0000:00:1c.0", "0000:01:00.0", "0000:02:02.0"];
const FPGA: &[&str] = &[
    "pci0000:00",
    "0000:00:1c.0",
    "0000:01:00.0",
    "0000:02:01.0",
    "0000:03:00.0",
];
const SSD: &[&str] = &[
    "pci0000:00",
    "0000:00:1c.0",
    "0000:01:00.0",
    "0000:02:02.0",
    "0000:04:00.0",
];

/// Root port, switch (one upstream, two downstream ports with `dsp_control` in ACS
/// Control), the FPGA and the SSD below the two downstream ports.
fn switch_tree(iommu: bool, dsp_control: u16, config_len: usize) -> Tree {
    let tree = if iommu {
        Tree::new().with_iommu()
    } else {
        Tree::new()
    };
    let group = iommu.then_some(5);
    tree.add(port(RP, 4, ACS_REDIRECT))
        .add(Spec {
            config_len,
            ..port(USP, 5, 0)
        })
        .add(Spec {
            config_len,
            ..port(DSP1, 6, dsp_control)
        })
        .add(Spec {
            config_len,
            ..port(DSP2, 6, dsp_control)
        })
        .add(endpoint(FPGA, "vfio-pci", group))
        .add(endpoint(SSD, "vfio-pci", group));
    tree
}

fn bdf(s: &str) -> Bdf {
    s.parse().unwrap()
}

#[test]
fn function_facts_are_read() {
    let tree = switch_tree(true, 0, CONFIG_SPACE_LEN);
    let sysfs = tree.sysfs();
    let f = sysfs.function(bdf("0000:03:00.0")).unwrap();
    assert_eq!(f.vendor_id, Some(0x10ee));
    assert_eq!(f.class, Some(0x01_08_02));
    assert_eq!(f.driver.as_deref(), Some("vfio-pci"));
    assert_eq!(f.iommu_group, Some(5));
    assert_eq!(
        f.group_peers.iter().map(|m| m.bdf).collect::<Vec<_>>(),
        vec![bdf("0000:04:00.0")]
    );
    assert_eq!(f.host_bridge, Some(HostBridge { domain: 0, bus: 0 }));
    assert_eq!(
        f.upstream,
        vec![
            bdf("0000:00:1c.0"),
            bdf("0000:01:00.0"),
            bdf("0000:02:01.0")
        ]
    );
    assert_eq!(f.port_type(), Probe::Found(PortType::Endpoint));
    let pcie = f.pcie.found().unwrap();
    assert_eq!(
        (pcie.max_payload, pcie.max_read_request),
        (Some(256), Some(512))
    );
    assert_eq!(f.acs, Probe::Absent);
    assert_eq!(f.link.up(), Some(true));
    let bars: Vec<(u8, u64, bool, bool)> = f
        .bars
        .iter()
        .map(|b| (b.index, b.size, b.is_64bit(), b.is_prefetchable()))
        .collect();
    assert_eq!(
        bars,
        vec![(0, 0x1_0000, true, false), (2, 0x10_0000, true, true)]
    );
    let dsp = sysfs.function(bdf("0000:02:01.0")).unwrap();
    assert_eq!(
        dsp.port_type(),
        Probe::Found(PortType::SwitchDownstreamPort)
    );
    let acs = *dsp.acs.found().unwrap();
    assert!(acs.capability.rr && acs.capability.sv && !acs.capability.dt);
    assert_eq!(acs.control, AcsBits::default());
    assert_eq!(acs.capability.to_string(), "SV RR CR UF");
    assert_eq!(
        sysfs.functions(),
        [
            "0000:00:1c.0",
            "0000:01:00.0",
            "0000:02:01.0",
            "0000:02:02.0",
            "0000:03:00.0",
            "0000:04:00.0"
        ]
        .map(bdf)
        .to_vec()
    );
}

#[test]
fn a_switch_without_redirect_routes_directly() {
    let tree = switch_tree(true, 0, CONFIG_SPACE_LEN);
    let pair = tree.pair("0000:03:00.0", "0000:04:00.0");
    assert_eq!(
        pair.verdict.kind,
        VerdictKind::Direct,
        "{:#?}",
        pair.verdict
    );
    assert_eq!(pair.common.kind(), "switch");
    assert!(matches!(pair.common, Common::Bridge { bdf: b, .. } if b == bdf("0000:01:00.0")));
    assert_eq!(
        pair.ports
            .iter()
            .map(|p| (p.bdf, p.above))
            .collect::<Vec<_>>(),
        vec![
            (bdf("0000:02:01.0"), bdf("0000:03:00.0")),
            (bdf("0000:02:02.0"), bdf("0000:04:00.0"))
        ]
    );
    assert_eq!(pair.same_iommu_group, Some(true));
    assert!(pair.verdict.summary.contains("switch 0000:01:00.0"));
    assert!(pair.verdict.summary.contains("bus address"));
    assert!(pair
        .verdict
        .reasons
        .iter()
        .any(|r| r.contains("IOMMU group 5")));
}

#[test]
fn request_redirect_under_a_switch_goes_through_the_root_complex() {
    let tree = switch_tree(true, ACS_REDIRECT, CONFIG_SPACE_LEN);
    let pair = tree.pair("0000:03:00.0", "0000:04:00.0");
    assert_eq!(pair.verdict.kind, VerdictKind::ThroughRootComplex);
    assert_eq!(pair.common.kind(), "switch");
    assert!(pair.verdict.summary.contains("0000:02:01.0, 0000:02:02.0"));
}

#[test]
fn two_root_ports_with_redirect_go_through_the_root_complex() {
    let tree = Tree::new().with_iommu();
    let rp2: &[&str] = &["pci0000:00", "0000:00:1d.0"];
    tree.add(port(RP, 4, ACS_REDIRECT))
        .add(port(rp2, 4, ACS_REDIRECT))
        .add(endpoint(
            &["pci0000:00", "0000:00:00.0"],
            "skx_uncore",
            Some(1),
        ))
        .add(endpoint(
            &["pci0000:00", "0000:00:1c.0", "0000:01:00.0"],
            "vfio-pci",
            Some(7),
        ))
        .add(endpoint(
            &["pci0000:00", "0000:00:1d.0", "0000:02:00.0"],
            "nvme",
            Some(8),
        ));
    let pair = tree.pair("0000:01:00.0", "0000:02:00.0");
    assert_eq!(pair.verdict.kind, VerdictKind::ThroughRootComplex);
    assert_eq!(
        pair.common,
        Common::RootComplex(HostBridge { domain: 0, bus: 0 })
    );
    assert_eq!(pair.same_iommu_group, Some(false));
    assert!(pair.ports.iter().all(|p| p.acs.found().unwrap().control.rr));
    let v = &pair.verdict;
    assert!(v.summary.contains("root complex pci0000:00"), "{v:#?}");
    assert!(v.summary.contains("allowlist"), "{v:#?}");
    assert!(
        v.reasons.iter().any(|r| r.contains("00:00.0 is 10ee:9038")),
        "{v:#?}"
    );
    assert!(v
        .reasons
        .iter()
        .any(|r| r.contains("separate IOMMU groups (7")));
    assert!(v.actions.iter().any(|a| a.contains("one VFIO container")));
}

#[test]
fn iommufd_and_a_functions_vfio_cdev_are_read_from_sysfs() {
    const FPGA: &[&str] = &["pci0000:00", "0000:00:1c.0", "0000:01:00.0"];
    let tree = Tree::new().with_iommu();
    tree.add(port(RP, 4, 0))
        .add(endpoint(FPGA, "vfio-pci", Some(1)));
    let bdf = || "0000:01:00.0".parse().unwrap();
    // A kernel without iommufd: no misc device, no cdev.
    assert!(!tree.sysfs().iommu().iommufd);
    assert_eq!(tree.sysfs().function(bdf()).unwrap().vfio_cdev, None);
    // A kernel without the cdev (Debian's 6.1) lists vfio-dev/vfioN with no device number.
    let function_dir = tree.sysfs().root().join("devices").join(FPGA.join("/"));
    fs::create_dir_all(function_dir.join("vfio-dev/vfio3")).unwrap();
    assert_eq!(tree.sysfs().function(bdf()).unwrap().vfio_cdev, None);
    // With it: /dev/iommu's misc class entry, and the cdev's device number.
    fs::create_dir_all(tree.sysfs().root().join("class/misc/iommu")).unwrap();
    fs::write(function_dir.join("vfio-dev/vfio3/dev"), "511:3\n").unwrap();
    assert!(tree.sysfs().iommu().iommufd);
    assert_eq!(
        tree.sysfs().function(bdf()).unwrap().vfio_cdev.as_deref(),
        Some("vfio3")
    );
}

#[test]
fn different_domains_are_blocked() {
    let tree = Tree::new().with_iommu();
    tree.add(port(RP, 4, 0))
        .add(port(&["pci0001:00", "0001:00:02.0"], 4, 0))
        .add(endpoint(
            &["pci0000:00", "0000:00:1c.0", "0000:01:00.0"],
            "vfio-pci",
            Some(1),
        ))
        .add(endpoint(
            &["pci0001:00", "0001:00:02.0", "0001:01:00.0"],
            "vfio-pci",
            Some(2),
        ));
    let pair = tree.pair("0000:01:00.0", "0001:01:00.0");
    assert_eq!(pair.verdict.kind, VerdictKind::Blocked);
    assert_eq!(pair.common.kind(), "different_domains");
    assert!(pair
        .verdict
        .summary
        .starts_with("Blocked: different PCI domains"));
}

#[test]
fn without_an_iommu_the_routing_verdict_stands_and_the_iommu_is_named() {
    let tree = switch_tree(false, 0, CONFIG_SPACE_LEN);
    assert!(!tree.sysfs().iommu().active());
    let pair = tree.pair("0000:03:00.0", "0000:04:00.0");
    assert_eq!(pair.verdict.kind, VerdictKind::Direct);
    assert_eq!(pair.same_iommu_group, None);
    assert!(pair
        .verdict
        .reasons
        .iter()
        .any(|r| r.contains("no IOMMU is active")));
    assert!(pair
        .verdict
        .actions
        .iter()
        .any(|a| a.contains("intel_iommu=on")));
}

#[test]
fn an_iommu_without_a_group_for_a_device_is_blocked() {
    let tree = switch_tree(true, 0, CONFIG_SPACE_LEN);
    fs::remove_file(tree.root.join("bus/pci/devices/0000:04:00.0/iommu_group")).unwrap();
    let pair = tree.pair("0000:03:00.0", "0000:04:00.0");
    assert_eq!(pair.verdict.kind, VerdictKind::Blocked);
    assert!(pair
        .verdict
        .summary
        .starts_with("Blocked: an IOMMU is active but 0000:04:00.0 has no IOMMU group"));
    assert!(pair
        .verdict
        .reasons
        .iter()
        .any(|r| r.contains("0000:04:00.0 has no IOMMU group")));
}

#[test]
fn unprivileged_config_reads_leave_the_switch_and_acs_unknown() {
    let tree = switch_tree(true, 0, UNPRIVILEGED_LEN);
    let pair = tree.pair("0000:03:00.0", "0000:04:00.0");
    assert_eq!(
        pair.verdict.kind,
        VerdictKind::Unknown,
        "{:#?}",
        pair.verdict
    );
    assert_eq!(pair.common.kind(), "bridge");
    assert!(
        pair.verdict.summary.contains("only 64 bytes"),
        "{}",
        pair.verdict.summary
    );
    assert!(pair.verdict.summary.contains("root (CAP_SYS_ADMIN)"));
    assert!(matches!(&pair.ports[0].acs, Probe::Unknown(why) if why.contains("only 64 bytes")));
    assert!(pair
        .verdict
        .actions
        .iter()
        .any(|a| a.contains("run as root")));
}

#[test]
fn conventional_config_space_only_leaves_acs_unknown() {
    let tree = switch_tree(true, 0, CONVENTIONAL_LEN);
    let pair = tree.pair("0000:03:00.0", "0000:04:00.0");
    // The port types are in the first 256 bytes; ACS is not.
    assert_eq!(pair.common.kind(), "switch");
    assert_eq!(pair.verdict.kind, VerdictKind::Unknown);
    assert!(pair
        .verdict
        .reasons
        .iter()
        .any(|r| r.contains("ACS of 0000:02:01.0") && r.contains("extended config space")));
}

#[test]
fn a_group_member_bound_to_another_driver_is_named() {
    let tree = switch_tree(true, 0, CONFIG_SPACE_LEN);
    tree.add(endpoint(
        &[
            "pci0000:00",
            "0000:00:1c.0",
            "0000:01:00.0",
            "0000:02:02.0",
            "0000:04:00.1",
        ],
        "snd_hda_intel",
        Some(5),
    ));
    let sysfs = tree.sysfs();
    let f = sysfs.function(bdf("0000:03:00.0")).unwrap();
    let other = f
        .group_peers
        .iter()
        .find(|m| m.bdf == bdf("0000:04:00.1"))
        .unwrap();
    assert!(!other.vfio_compatible);
    assert!(f
        .group_peers
        .iter()
        .any(|m| m.bdf == bdf("0000:04:00.0") && m.vfio_compatible));
    let pair = tree.pair("0000:03:00.0", "0000:04:00.0");
    assert!(pair
        .verdict
        .reasons
        .iter()
        .any(|r| r.contains("0000:04:00.1 (driver snd_hda_intel)")));
    assert!(pair
        .verdict
        .actions
        .iter()
        .any(|a| a.starts_with("unbind 0000:04:00.1")));
}

#[test]
fn in_a_qemu_guest_a_switch_does_not_bypass_the_virtual_iommu() {
    let tree = switch_tree(true, 0, CONFIG_SPACE_LEN);
    fs::create_dir_all(tree.root.join("class/dmi/id")).unwrap();
    fs::write(tree.root.join("class/dmi/id/sys_vendor"), "QEMU\n").unwrap();
    let pair = tree.pair("0000:03:00.0", "0000:04:00.0");
    assert_eq!(pair.common.kind(), "switch");
    assert_eq!(pair.verdict.kind, VerdictKind::ThroughRootComplex);
    assert!(
        pair.verdict.summary.contains("QEMU"),
        "{}",
        pair.verdict.summary
    );
    assert!(pair
        .verdict
        .actions
        .iter()
        .any(|a| a.contains("one VFIO container")));
    assert!(!pair
        .verdict
        .actions
        .iter()
        .any(|a| a.contains("bus address")));
}

#[test]
fn a_port_and_a_function_below_it_are_not_a_pair() {
    let tree = switch_tree(false, 0, CONFIG_SPACE_LEN);
    let pair = tree.pair("0000:02:01.0", "0000:03:00.0");
    assert_eq!(pair.verdict.kind, VerdictKind::Unknown);
    assert!(pair
        .verdict
        .summary
        .contains("0000:02:01.0 is upstream of 0000:03:00.0"));
    assert!(pair.ports.is_empty());
}

#[test]
fn a_conventional_pci_function_has_no_acs_rather_than_an_unknown_one() {
    let tree = Tree::new();
    let mut spec = endpoint(&["pci0000:00", "0000:00:05.0"], "virtio-pci", None);
    spec.config_len = CONVENTIONAL_LEN;
    tree.add(spec);
    let path = tree.root.join("bus/pci/devices/0000:00:05.0/config");
    let mut bytes = fs::read(&path).unwrap();
    bytes[6] = 0; // no capability list: no PCI Express capability
    fs::write(&path, bytes).unwrap();
    let f = tree.sysfs().function(bdf("0000:00:05.0")).unwrap();
    assert_eq!(f.pcie, Probe::Absent);
    assert_eq!(f.acs, Probe::Absent);
}

#[test]
fn a_missing_device_names_the_directory_looked_in() {
    let tree = Tree::new();
    let err = tree.sysfs().function(bdf("0000:09:00.0")).unwrap_err();
    assert!(
        matches!(&err, Error::DeviceNotFound { path, .. } if path.ends_with("bus/pci/devices"))
    );
    assert!(err.to_string().contains("0000:09:00.0"));
    assert!(tree.sysfs().functions().is_empty());
    assert!(Sysfs::new(tree.root.join("nonexistent"))
        .functions()
        .is_empty());
}

#[test]
fn device_paths_are_parsed_from_the_last_host_bridge() {
    let (host, chain) = parse_device_path(Path::new(
        "/sys/devices/LNXSYSTM:00/pci0000:00/0000:00:01.0/pci0001:00/0001:00:02.0/0001:01:00.0",
    ));
    assert_eq!(host, Some(HostBridge { domain: 1, bus: 0 }));
    assert_eq!(chain, vec![bdf("0001:00:02.0"), bdf("0001:01:00.0")]);
    assert_eq!(
        parse_device_path(Path::new("/sys/devices/virtual/x")),
        (None, vec![])
    );
}
