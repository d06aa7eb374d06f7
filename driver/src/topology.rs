// SPDX-License-Identifier: MIT OR Apache-2.0
//! What decides whether peer-to-peer DMA between two PCIe functions works on this machine, read
//! from Linux sysfs alone (no VFIO, whatever driver is bound).
//!
//! [`Sysfs`] takes the sysfs root as a parameter, so the analysis is tested against fake trees.
//! For each function it reads the IDs, class, bound driver, IOMMU group (and the group's other
//! members), the chain of bridges up to the host bridge (from the canonical device path,
//! `devices/pci0000:00/0000:00:1c.0/0000:01:00.0`), BAR sizes (`resource`), link state
//! (`current_link_speed`/`current_link_width`) and, from the `config` file, the PCI Express
//! capability (Device/Port Type, MPS, MRRS) and the ACS extended capability.
//!
//! [`Sysfs::pair`] finds the lowest common upstream component of two functions and the ACS
//! state of every root/downstream port between each function and it, and turns that into a
//! [`Verdict`]. What sysfs cannot tell (a `config` file cut short because the reader lacks
//! CAP_SYS_ADMIN, whether the host bridge forwards peer-to-peer) is reported as unknown with the
//! reason, never guessed.
//!
//! The routing rules are those of the PCI Express Base Specification (6.12, Access Control
//! Services; 7.7.11, the ACS extended capability): a switch routes a request between two of its
//! downstream ports directly unless ACS P2P Request Redirect is enabled on the ingress port, in
//! which case the request goes upstream to the root complex (and through the IOMMU there).

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use crate::config::PcieCapability;
use crate::device::vfio::Bdf;
use crate::error::{Error, Result};

mod sysfs_files;
#[cfg(test)]
pub(crate) mod tests;
mod verdict;

use sysfs_files::{
    dir_names, link_name, parse_device_path, read_bars, read_config, read_hex, read_trimmed,
};
use verdict::verdict;

/// Extended capability ID of Access Control Services.
pub(crate) const EXT_CAP_ID_ACS: u16 = 0x000d;

/// Bytes of conventional config space (the header plus the classic capability list).
const CONVENTIONAL_LEN: usize = 256;
/// What the kernel lets a process without CAP_SYS_ADMIN read of `config` (the header).
const UNPRIVILEGED_LEN: usize = 64;

/// Something sysfs either shows, shows to be missing, or cannot tell (with the reason).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Probe<T> {
    Found(T),
    Absent,
    Unknown(String),
}

impl<T> Probe<T> {
    pub fn found(&self) -> Option<&T> {
        match self {
            Probe::Found(value) => Some(value),
            _ => None,
        }
    }
}

/// PCI Express capability, Device/Port Type (bits 7:4 of the PCI Express Capabilities register).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortType {
    Endpoint,
    LegacyEndpoint,
    RootPort,
    SwitchUpstreamPort,
    SwitchDownstreamPort,
    PcieToPciBridge,
    PciToPcieBridge,
    RootComplexIntegratedEndpoint,
    RootComplexEventCollector,
    Reserved(u8),
}

impl PortType {
    pub(crate) const fn from_code(code: u8) -> PortType {
        match code {
            0x0 => PortType::Endpoint,
            0x1 => PortType::LegacyEndpoint,
            0x4 => PortType::RootPort,
            0x5 => PortType::SwitchUpstreamPort,
            0x6 => PortType::SwitchDownstreamPort,
            0x7 => PortType::PcieToPciBridge,
            0x8 => PortType::PciToPcieBridge,
            0x9 => PortType::RootComplexIntegratedEndpoint,
            0xa => PortType::RootComplexEventCollector,
            other => PortType::Reserved(other),
        }
    }

    /// Stable snake_case name (used in JSON).
    pub fn name(self) -> &'static str {
        match self {
            PortType::Endpoint => "endpoint",
            PortType::LegacyEndpoint => "legacy_endpoint",
            PortType::RootPort => "root_port",
            PortType::SwitchUpstreamPort => "switch_upstream_port",
            PortType::SwitchDownstreamPort => "switch_downstream_port",
            PortType::PcieToPciBridge => "pcie_to_pci_bridge",
            PortType::PciToPcieBridge => "pci_to_pcie_bridge",
            PortType::RootComplexIntegratedEndpoint => "root_complex_integrated_endpoint",
            PortType::RootComplexEventCollector => "root_complex_event_collector",
            PortType::Reserved(_) => "reserved",
        }
    }

    /// Root ports and switch downstream ports: the ports whose ACS controls decide where a
    /// peer request entering them goes.
    pub(crate) fn is_downstream_port(self) -> bool {
        matches!(self, PortType::RootPort | PortType::SwitchDownstreamPort)
    }
}

impl fmt::Display for PortType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name().replace('_', " "))
    }
}

/// The seven ACS bits, as laid out in both the ACS Capability and the ACS Control register.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AcsBits {
    /// Source Validation.
    pub sv: bool,
    /// Translation Blocking.
    pub tb: bool,
    /// P2P Request Redirect.
    pub rr: bool,
    /// P2P Completion Redirect.
    pub cr: bool,
    /// Upstream Forwarding.
    pub uf: bool,
    /// P2P Egress Control.
    pub ec: bool,
    /// Direct Translated P2P.
    pub dt: bool,
}

impl AcsBits {
    pub(crate) const fn from_register(value: u16) -> AcsBits {
        AcsBits {
            sv: value & (1 << 0) != 0,
            tb: value & (1 << 1) != 0,
            rr: value & (1 << 2) != 0,
            cr: value & (1 << 3) != 0,
            uf: value & (1 << 4) != 0,
            ec: value & (1 << 5) != 0,
            dt: value & (1 << 6) != 0,
        }
    }

    /// `(name, set)` for each bit, in register order.
    pub fn flags(self) -> [(&'static str, bool); 7] {
        [
            ("SV", self.sv),
            ("TB", self.tb),
            ("RR", self.rr),
            ("CR", self.cr),
            ("UF", self.uf),
            ("EC", self.ec),
            ("DT", self.dt),
        ]
    }
}

impl fmt::Display for AcsBits {
    /// The names of the set bits, `"none"` when none is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set: Vec<&str> = self
            .flags()
            .iter()
            .filter(|(_, on)| *on)
            .map(|(name, _)| *name)
            .collect();
        if set.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&set.join(" "))
        }
    }
}

/// The ACS extended capability of a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acs {
    /// Config offset of the capability.
    pub offset: u16,
    /// What the port implements.
    pub capability: AcsBits,
    /// What is enabled.
    pub control: AcsBits,
}

/// A host bridge (root complex), named in sysfs `pci<domain>:<root bus>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct HostBridge {
    pub domain: u16,
    pub bus: u8,
}

impl HostBridge {
    /// Parses the sysfs directory name `pci0000:00`.
    fn parse(name: &str) -> Option<HostBridge> {
        let (domain, bus) = name.strip_prefix("pci")?.split_once(':')?;
        if domain.len() != 4 || bus.len() != 2 {
            return None;
        }
        Some(HostBridge {
            domain: u16::from_str_radix(domain, 16).ok()?,
            bus: u8::from_str_radix(bus, 16).ok()?,
        })
    }
}

impl fmt::Display for HostBridge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pci{:04x}:{:02x}", self.domain, self.bus)
    }
}

/// One memory or I/O BAR from the `resource` file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bar {
    pub index: u8,
    /// Address the kernel assigned (the CPU's view; the bus address on x86-64).
    pub start: u64,
    pub size: u64,
    /// Kernel IORESOURCE_* flags.
    pub flags: u64,
}

impl Bar {
    const IORESOURCE_IO: u64 = 0x100;
    const IORESOURCE_PREFETCH: u64 = 0x2000;
    const IORESOURCE_MEM_64: u64 = 0x10_0000;

    pub fn is_io(&self) -> bool {
        self.flags & Self::IORESOURCE_IO != 0
    }
    pub fn is_64bit(&self) -> bool {
        self.flags & Self::IORESOURCE_MEM_64 != 0
    }
    pub fn is_prefetchable(&self) -> bool {
        self.flags & Self::IORESOURCE_PREFETCH != 0
    }
}

/// Link state from sysfs (`None` where the file is absent: not a PCIe function, or an older
/// kernel).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Link {
    /// E.g. `"8.0 GT/s PCIe"`, or `"Unknown"` when the link is down.
    pub speed: Option<String>,
    pub width: Option<u8>,
    pub max_speed: Option<String>,
    pub max_width: Option<u8>,
}

impl Link {
    /// Up when the negotiated width is non-zero and the speed known; `None` without the files.
    pub fn up(&self) -> Option<bool> {
        let width = self.width?;
        let speed_known = self
            .speed
            .as_deref()
            .is_some_and(|s| !s.starts_with("Unknown"));
        Some(width > 0 && speed_known)
    }
}

/// Another member of a function's IOMMU group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupMember {
    pub bdf: Bdf,
    pub driver: Option<String>,
    /// Whether VFIO accepts this member while the group is in use: unbound, bound to vfio-pci
    /// or pci-stub, or a PCIe port bound to pcieport (which leaves DMA ownership to VFIO).
    pub vfio_compatible: bool,
}

/// Everything sysfs says about one PCI function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Function {
    pub bdf: Bdf,
    /// `<sysfs>/bus/pci/devices/<bdf>`.
    pub sysfs_path: PathBuf,
    pub vendor_id: Option<u16>,
    pub device_id: Option<u16>,
    /// Base class, sub-class, programming interface: `0x010802`.
    pub class: Option<u32>,
    pub driver: Option<String>,
    pub iommu_group: Option<u32>,
    /// The function's VFIO device cdev (`vfioN` of `/dev/vfio/devices/vfioN`): bound to
    /// vfio-pci on a kernel with `CONFIG_VFIO_DEVICE_CDEV` (which needs iommufd). Read from
    /// `<function>/vfio-dev/vfioN/dev`: kernels without the cdev (Debian's 6.1) list
    /// `vfio-dev/vfioN` too, but with no device number.
    pub vfio_cdev: Option<String>,
    /// The other functions in the same IOMMU group.
    pub group_peers: Vec<GroupMember>,
    /// The host bridge at the top of the device path (`None` if the path names none).
    pub host_bridge: Option<HostBridge>,
    /// Bridges from the host bridge down to this function's parent, root-most first.
    pub upstream: Vec<Bdf>,
    /// Bytes of `config` this process could read.
    pub config_len: usize,
    pub pcie: Probe<PcieCapability>,
    pub acs: Probe<Acs>,
    pub bars: Vec<Bar>,
    pub link: Link,
}

impl Function {
    pub fn port_type(&self) -> Probe<PortType> {
        match &self.pcie {
            Probe::Found(pcie) => Probe::Found(PortType::from_code(pcie.device_type)),
            Probe::Absent => Probe::Absent,
            Probe::Unknown(reason) => Probe::Unknown(reason.clone()),
        }
    }
}

/// Whether an IOMMU is translating DMA on this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Iommu {
    /// Entries of `/sys/class/iommu` (`dmar0`, `ivhd0`, ...).
    pub units: Vec<String>,
    /// Number of `kernel/iommu_groups` entries.
    pub groups: usize,
    /// The kernel offers iommufd (`/dev/iommu`, a misc device: `class/misc/iommu`).
    pub iommufd: bool,
}

impl Iommu {
    pub fn active(&self) -> bool {
        !self.units.is_empty() || self.groups > 0
    }
}

/// The lowest upstream component two functions share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Common {
    /// A bridge both paths go through (switch upstream port, root port, ...).
    Bridge {
        bdf: Bdf,
        port_type: Probe<PortType>,
    },
    /// No shared bridge: only the host bridge.
    RootComplex(HostBridge),
    /// Different host bridges (in one domain or in different domains).
    DifferentRootComplexes(HostBridge, HostBridge),
    /// A device path names no host bridge.
    Unknown(String),
}

impl Common {
    /// Stable name (used in JSON): `switch`, `root_port`, `same_link`, `pci_bridge`, `bridge`,
    /// `root_complex`, `different_domains`, `different_root_complexes`, `unknown`.
    pub fn kind(&self) -> &'static str {
        match self {
            Common::Bridge { port_type, .. } => match port_type {
                Probe::Found(PortType::SwitchUpstreamPort) => "switch",
                // Both functions sit on the one link below a downstream port: functions of one
                // multi-function device.
                Probe::Found(PortType::RootPort | PortType::SwitchDownstreamPort) => "same_link",
                Probe::Found(PortType::PcieToPciBridge) | Probe::Absent => "pci_bridge",
                _ => "bridge",
            },
            Common::RootComplex(_) => "root_complex",
            Common::DifferentRootComplexes(a, b) if a.domain != b.domain => "different_domains",
            Common::DifferentRootComplexes(..) => "different_root_complexes",
            Common::Unknown(_) => "unknown",
        }
    }
}

/// A root or downstream port between one of the pair and their common component.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathPort {
    pub bdf: Bdf,
    /// The function of the pair below this port.
    pub above: Bdf,
    pub port_type: Probe<PortType>,
    pub acs: Probe<Acs>,
}

/// The overall answer for a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerdictKind {
    /// A switch (or a conventional PCI bus) routes peer requests between the two directly.
    Direct,
    /// Peer requests go up to the root complex: works only if it forwards peer-to-peer.
    ThroughRootComplex,
    /// Cannot work on this topology/setup.
    Blocked,
    /// Sysfs cannot tell; the reasons say what is missing.
    Unknown,
}

impl VerdictKind {
    /// Stable snake_case name (used in JSON).
    pub fn name(self) -> &'static str {
        match self {
            VerdictKind::Direct => "direct",
            VerdictKind::ThroughRootComplex => "through_root_complex",
            VerdictKind::Blocked => "blocked",
            VerdictKind::Unknown => "unknown",
        }
    }
}

/// Verdict: a one-line summary, the facts behind it, and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub kind: VerdictKind,
    pub summary: String,
    pub reasons: Vec<String>,
    pub actions: Vec<String>,
}

/// The analysis of one pair of functions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    pub a: Bdf,
    pub b: Bdf,
    pub common: Common,
    /// Root/downstream ports between each function and the common component, in path order.
    pub ports: Vec<PathPort>,
    /// `None` when either function has no IOMMU group.
    pub same_iommu_group: Option<bool>,
    pub verdict: Verdict,
}

/// A sysfs tree (`/sys`, or a fake one in tests).
#[derive(Clone, Debug)]
pub struct Sysfs {
    root: PathBuf,
}

impl Sysfs {
    pub fn new(root: impl Into<PathBuf>) -> Sysfs {
        Sysfs { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn devices_dir(&self) -> PathBuf {
        self.root.join("bus/pci/devices")
    }

    /// Whether an IOMMU is active: `class/iommu` units and `kernel/iommu_groups` entries.
    pub fn iommu(&self) -> Iommu {
        Iommu {
            units: dir_names(&self.root.join("class/iommu")),
            groups: dir_names(&self.root.join("kernel/iommu_groups")).len(),
            iommufd: self.root.join("class/misc/iommu").exists(),
        }
    }

    /// The machine's vendor from DMI (`class/dmi/id/sys_vendor`), e.g. `QEMU` in a guest.
    pub fn machine_vendor(&self) -> Option<String> {
        read_trimmed(&self.root.join("class/dmi/id/sys_vendor"))
    }

    /// Every PCI function sysfs lists, sorted. A missing `bus/pci/devices` is an empty list
    /// (a machine or container without PCI), not an error.
    pub fn functions(&self) -> Vec<Bdf> {
        let mut all: Vec<Bdf> = dir_names(&self.devices_dir())
            .iter()
            .filter_map(|name| name.parse().ok())
            .collect();
        all.sort();
        all
    }

    /// Reads everything sysfs says about `bdf`. [`Error::DeviceNotFound`] (naming the
    /// directory looked in) when sysfs has no such function.
    pub fn function(&self, bdf: Bdf) -> Result<Function> {
        let sysfs_path = self.devices_dir().join(bdf.to_string());
        if fs::symlink_metadata(&sysfs_path).is_err() {
            return Err(Error::DeviceNotFound {
                bdf,
                path: self.devices_dir(),
            });
        }
        let canonical = fs::canonicalize(&sysfs_path).map_err(|source| Error::Sysfs {
            path: sysfs_path.clone(),
            source,
        })?;
        let (host_bridge, mut chain) = parse_device_path(&canonical);
        // The chain ends with the function itself; everything before it is upstream.
        if chain.last() == Some(&bdf) {
            chain.pop();
        }
        let iommu_group = link_name(&sysfs_path.join("iommu_group")).and_then(|g| g.parse().ok());
        let group_peers = match iommu_group {
            Some(group) => self
                .group_members(group)
                .into_iter()
                .filter(|m| m.bdf != bdf)
                .collect(),
            None => Vec::new(),
        };
        let (config_len, pcie, acs) = read_config(&sysfs_path.join("config"));
        Ok(Function {
            bdf,
            vendor_id: read_hex(&sysfs_path.join("vendor")).map(|v| v as u16),
            device_id: read_hex(&sysfs_path.join("device")).map(|v| v as u16),
            class: read_hex(&sysfs_path.join("class")).map(|v| v as u32),
            driver: link_name(&sysfs_path.join("driver")),
            iommu_group,
            vfio_cdev: crate::device::backend::vfio_cdev(&sysfs_path),
            group_peers,
            host_bridge,
            upstream: chain,
            config_len,
            pcie,
            acs,
            bars: read_bars(&sysfs_path.join("resource")),
            link: Link {
                speed: read_trimmed(&sysfs_path.join("current_link_speed")),
                width: read_trimmed(&sysfs_path.join("current_link_width"))
                    .and_then(|w| w.parse().ok()),
                max_speed: read_trimmed(&sysfs_path.join("max_link_speed")),
                max_width: read_trimmed(&sysfs_path.join("max_link_width"))
                    .and_then(|w| w.parse().ok()),
            },
            sysfs_path,
        })
    }

    /// The functions of IOMMU group `group` with their drivers, sorted.
    pub(crate) fn group_members(&self, group: u32) -> Vec<GroupMember> {
        let dir = self
            .root
            .join("kernel/iommu_groups")
            .join(group.to_string())
            .join("devices");
        let mut members: Vec<GroupMember> = dir_names(&dir)
            .iter()
            .filter_map(|name| name.parse::<Bdf>().ok())
            .map(|bdf| {
                let driver = link_name(&self.devices_dir().join(bdf.to_string()).join("driver"));
                GroupMember {
                    bdf,
                    vfio_compatible: matches!(
                        driver.as_deref(),
                        None | Some("vfio-pci" | "pci-stub" | "pcieport")
                    ),
                    driver,
                }
            })
            .collect();
        members.sort_by_key(|m| m.bdf);
        members
    }

    /// Analyses the path between `a` and `b` (both from [`Sysfs::function`]).
    pub fn pair(&self, a: &Function, b: &Function, iommu: &Iommu) -> Result<Pair> {
        let mut loaded: BTreeMap<Bdf, Function> = BTreeMap::new();
        let mut load = |bdf: Bdf| -> Result<Function> {
            if let Some(f) = loaded.get(&bdf) {
                return Ok(f.clone());
            }
            let f = self.function(bdf)?;
            loaded.insert(bdf, f.clone());
            Ok(f)
        };
        let shared = a
            .upstream
            .iter()
            .zip(&b.upstream)
            .take_while(|(x, y)| x == y)
            .count();
        let common = match (a.host_bridge, b.host_bridge) {
            // A port and a function below it are not two peers on separate paths.
            _ if a.upstream.contains(&b.bdf) || b.upstream.contains(&a.bdf) => {
                let (upper, lower) = if b.upstream.contains(&a.bdf) {
                    (a, b)
                } else {
                    (b, a)
                };
                Common::Unknown(format!(
                    "{} is upstream of {}: name two functions on separate paths (the FPGA and \
                     the SSD), not a bridge and a function below it",
                    upper.bdf, lower.bdf
                ))
            }
            (Some(ha), Some(hb)) if ha != hb => Common::DifferentRootComplexes(ha, hb),
            (Some(host), Some(_)) if shared == 0 => Common::RootComplex(host),
            (Some(_), Some(_)) => {
                let bdf = a.upstream[shared - 1];
                Common::Bridge {
                    bdf,
                    port_type: load(bdf)?.port_type(),
                }
            }
            _ => {
                let missing = if a.host_bridge.is_none() { a } else { b };
                Common::Unknown(format!(
                    "the device path of {} ({}) names no host bridge (pci<domain>:<bus>)",
                    missing.bdf,
                    fs::canonicalize(&missing.sysfs_path)
                        .unwrap_or_else(|_| missing.sysfs_path.clone())
                        .display()
                ))
            }
        };
        let mut ports = Vec::new();
        if !matches!(common, Common::Unknown(_)) {
            for f in [a, b] {
                // Across different root complexes every port on the path matters.
                let below = if matches!(common, Common::DifferentRootComplexes(..)) {
                    &f.upstream[..]
                } else {
                    &f.upstream[shared..]
                };
                for &bdf in below {
                    let port = load(bdf)?;
                    let port_type = port.port_type();
                    // Upstream ports do not redirect peer requests; unknown types are kept so
                    // that the verdict can say what could not be read.
                    if matches!(port_type, Probe::Found(t) if !t.is_downstream_port()) {
                        continue;
                    }
                    ports.push(PathPort {
                        bdf,
                        above: f.bdf,
                        port_type,
                        acs: port.acs.clone(),
                    });
                }
            }
        }
        let same_iommu_group = match (a.iommu_group, b.iommu_group) {
            (Some(x), Some(y)) => Some(x == y),
            _ => None,
        };
        let host_bridge_ids = match &common {
            Common::RootComplex(host) => self.host_bridge_ids(*host),
            _ => None,
        };
        let qemu = self.machine_vendor().as_deref() == Some("QEMU");
        let verdict = verdict(a, b, &common, &ports, iommu, host_bridge_ids, qemu);
        Ok(Pair {
            a: a.bdf,
            b: b.bdf,
            common,
            ports,
            same_iommu_group,
            verdict,
        })
    }

    /// Vendor and device ID of function 00.0 on the host bridge's root bus: what Linux's
    /// pci_p2pdma host bridge allowlist matches.
    fn host_bridge_ids(&self, host: HostBridge) -> Option<(u16, u16)> {
        let dir = self
            .devices_dir()
            .join(format!("{:04x}:{:02x}:00.0", host.domain, host.bus));
        Some((
            read_hex(&dir.join("vendor"))? as u16,
            read_hex(&dir.join("device"))? as u16,
        ))
    }
}
