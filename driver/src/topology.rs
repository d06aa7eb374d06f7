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
use std::io;
use std::path::{Path, PathBuf};

use crate::config::{self, ConfigBytes, PcieCapability};
use crate::device::vfio::Bdf;
use crate::device::CONFIG_SPACE_LEN;
use crate::error::{Error, Result};

/// Extended capability ID of Access Control Services.
pub const EXT_CAP_ID_ACS: u16 = 0x000d;

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
    pub const fn from_code(code: u8) -> PortType {
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
    pub fn is_downstream_port(self) -> bool {
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
    pub const fn from_register(value: u16) -> AcsBits {
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
                bdf: bdf.to_string(),
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
    pub fn group_members(&self, group: u32) -> Vec<GroupMember> {
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

/// The host bridge and the BDF-named directories below it in a canonical device path.
fn parse_device_path(path: &Path) -> (Option<HostBridge>, Vec<Bdf>) {
    let mut host = None;
    let mut chain = Vec::new();
    for component in path.components() {
        let name = component.as_os_str().to_string_lossy();
        if let Some(h) = HostBridge::parse(&name) {
            // A later host bridge (nested platforms) starts the chain again.
            host = Some(h);
            chain.clear();
        } else if host.is_some() {
            if let Ok(bdf) = name.parse::<Bdf>() {
                chain.push(bdf);
            }
        }
    }
    (host, chain)
}

/// Reads `config` and decodes the PCI Express and ACS capabilities, saying why either is
/// unknown when the file is short or unreadable.
fn read_config(path: &Path) -> (usize, Probe<PcieCapability>, Probe<Acs>) {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) => {
            let reason = format!("{} could not be read: {err}", path.display());
            return (0, Probe::Unknown(reason.clone()), Probe::Unknown(reason));
        }
    };
    let len = bytes.len();
    let snapshot = ConfigBytes(&bytes);
    let pcie = if len < CONVENTIONAL_LEN {
        Probe::Unknown(short_config_reason(path, len))
    } else {
        match config::pcie_capability(&snapshot) {
            Ok(Some(pcie)) => Probe::Found(pcie),
            Ok(None) => Probe::Absent,
            Err(err) => Probe::Unknown(err.to_string()),
        }
    };
    let acs = if len == CONVENTIONAL_LEN && pcie == Probe::Absent {
        // ACS is an extended capability: a conventional PCI function cannot have one.
        Probe::Absent
    } else if len < CONFIG_SPACE_LEN {
        Probe::Unknown(short_config_reason(path, len))
    } else {
        match config::extended_capabilities(&snapshot) {
            Ok(caps) => match caps.iter().find(|c| c.id == EXT_CAP_ID_ACS) {
                Some(cap) => {
                    let at = usize::from(cap.offset) + 4;
                    let reg = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
                    Probe::Found(Acs {
                        offset: cap.offset,
                        capability: AcsBits::from_register(reg(at)),
                        control: AcsBits::from_register(reg(at + 2)),
                    })
                }
                None => Probe::Absent,
            },
            Err(err) => Probe::Unknown(err.to_string()),
        }
    };
    (len, pcie, acs)
}

fn short_config_reason(path: &Path, len: usize) -> String {
    if len <= UNPRIVILEGED_LEN {
        format!(
            "only {len} bytes of {} are readable: the kernel shows the rest of config space \
             only to root (CAP_SYS_ADMIN); run as root",
            path.display()
        )
    } else if len == CONVENTIONAL_LEN {
        format!(
            "{} has 256 bytes: the kernel has no access to extended config space for this \
             function (a conventional PCI function, or no ECAM/MMCONFIG access on this platform)",
            path.display()
        )
    } else {
        format!(
            "{} has only {len} bytes (expected 4096 for a PCI Express function)",
            path.display()
        )
    }
}

/// BARs 0-5 from `resource` (one `start end flags` line each; later lines are the ROM and
/// bridge windows). Unassigned BARs (all zero) are left out.
fn read_bars(path: &Path) -> Vec<Bar> {
    let Ok(text) = fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .take(6)
        .enumerate()
        .filter_map(|(index, line)| {
            let mut fields = line
                .split_whitespace()
                .map(|f| u64::from_str_radix(f.trim_start_matches("0x"), 16).ok());
            let (start, end, flags) = (fields.next()??, fields.next()??, fields.next()??);
            (end > start).then_some(Bar {
                index: index as u8,
                start,
                size: end - start + 1,
                flags,
            })
        })
        .collect()
}

fn read_trimmed(path: &Path) -> Option<String> {
    fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn read_hex(path: &Path) -> Option<u64> {
    let text = read_trimmed(path)?;
    u64::from_str_radix(text.trim_start_matches("0x"), 16).ok()
}

/// The last component of a symlink's target (`driver` -> `.../drivers/nvme` gives `nvme`).
fn link_name(path: &Path) -> Option<String> {
    fs::read_link(path)
        .ok()?
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
}

/// Sorted entry names of a directory; empty when it does not exist or cannot be read.
fn dir_names(dir: &Path) -> Vec<String> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Vec::new(),
        Err(err) => {
            log::warn!("cannot list {}: {err}", dir.display());
            return Vec::new();
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

const ALLOWLIST_HINT: &str = "most recent Intel Xeon and AMD Zen root complexes do; Linux \
    lists the ones known to in its pci_p2pdma host bridge allowlist, drivers/pci/p2pdma.c";

/// Turns the facts into a verdict.
fn verdict(
    a: &Function,
    b: &Function,
    common: &Common,
    ports: &[PathPort],
    iommu: &Iommu,
    host_bridge_ids: Option<(u16, u16)>,
    qemu: bool,
) -> Verdict {
    let mut reasons = Vec::new();
    let mut actions = Vec::new();
    let mut ungrouped = Vec::new();

    // Routing.
    let redirecting: Vec<&PathPort> = ports
        .iter()
        .filter(|p| p.acs.found().is_some_and(|acs| acs.control.rr))
        .collect();
    let unreadable: Vec<String> = ports
        .iter()
        .filter_map(|p| match (&p.port_type, &p.acs) {
            (Probe::Unknown(why), _) => Some(format!("port type of {}: {why}", p.bdf)),
            (_, Probe::Unknown(why)) => Some(format!("ACS of {}: {why}", p.bdf)),
            _ => None,
        })
        .collect();
    for p in ports {
        let acs = match &p.acs {
            Probe::Found(acs) => format!(
                "ACS implemented {}, enabled {}",
                acs.capability, acs.control
            ),
            Probe::Absent => "no ACS capability".to_owned(),
            Probe::Unknown(_) => "ACS unknown".to_owned(),
        };
        let kind = match &p.port_type {
            Probe::Found(t) => t.to_string(),
            _ => "port of unknown type".to_owned(),
        };
        reasons.push(format!("{} ({kind}, above {}): {acs}", p.bdf, p.above));
        if p.acs.found().is_some_and(|acs| acs.control.ec) {
            reasons.push(format!(
                "{}: ACS P2P Egress Control is enabled; its egress control vector (which \
                 peerbar does not decode) may block or redirect some peer requests",
                p.bdf
            ));
        }
    }
    for why in &unreadable {
        reasons.push(format!("unknown: {why}"));
    }
    let rr_ports = redirecting
        .iter()
        .map(|p| p.bdf.to_string())
        .collect::<Vec<_>>()
        .join(", ");

    let (kind, summary) = match common {
        Common::DifferentRootComplexes(ha, hb) if ha.domain != hb.domain => (
            VerdictKind::Blocked,
            format!(
                "Blocked: different PCI domains ({:04x} for {}, {:04x} for {}): no common root \
                 complex routes between them",
                ha.domain, a.bdf, hb.domain, b.bdf
            ),
        ),
        Common::DifferentRootComplexes(ha, hb) => (
            VerdictKind::ThroughRootComplex,
            format!(
                "P2P must cross from host bridge {ha} to {hb}: works only if the platform \
                 forwards peer-to-peer between root complexes (often not between CPU sockets)"
            ),
        ),
        Common::Unknown(why) => (VerdictKind::Unknown, format!("Unknown: {why}")),
        Common::RootComplex(host) => {
            if let Some((vendor, device)) = host_bridge_ids {
                reasons.push(format!(
                    "host bridge function {:04x}:{:02x}:00.0 is {vendor:04x}:{device:04x}",
                    host.domain, host.bus
                ));
            }
            (
                VerdictKind::ThroughRootComplex,
                format!(
                    "P2P goes through root complex {host}: works only if the host bridge \
                     forwards peer-to-peer ({ALLOWLIST_HINT})"
                ),
            )
        }
        Common::Bridge { bdf, port_type } => match port_type {
            Probe::Unknown(why) => (
                VerdictKind::Unknown,
                format!("Unknown: the lowest common bridge is {bdf}, of unknown type ({why})"),
            ),
            Probe::Found(PortType::SwitchUpstreamPort) if !redirecting.is_empty() => (
                VerdictKind::ThroughRootComplex,
                format!(
                    "P2P goes through the root complex: both are under switch {bdf}, but ACS \
                     P2P Request Redirect on {rr_ports} sends peer requests up to the root \
                     complex; works only if it forwards peer-to-peer ({ALLOWLIST_HINT})"
                ),
            ),
            Probe::Found(PortType::SwitchUpstreamPort) if !unreadable.is_empty() => (
                VerdictKind::Unknown,
                format!(
                    "Unknown: both are under switch {bdf}, but the ACS state of its ports could \
                     not be read (run as root)"
                ),
            ),
            Probe::Found(PortType::SwitchUpstreamPort) => (
                VerdictKind::Direct,
                format!(
                    "P2P likely works: both under switch {bdf}, ACS redirect off; the switch \
                     routes peer requests directly, so the SSD must name BAR2 by bus address"
                ),
            ),
            Probe::Found(PortType::PcieToPciBridge) | Probe::Absent => (
                VerdictKind::Direct,
                format!(
                    "P2P likely works: both on the conventional PCI bus below bridge {bdf}, \
                     which has no ACS; peers name each other by bus address"
                ),
            ),
            Probe::Found(PortType::RootPort | PortType::SwitchDownstreamPort) => (
                VerdictKind::Unknown,
                format!(
                    "Unknown: both are on the one link below port {bdf} (functions of one \
                     multi-function device); routing between them happens inside that device"
                ),
            ),
            Probe::Found(other) => (
                VerdictKind::Unknown,
                format!("Unknown: the lowest common upstream component {bdf} is a {other}"),
            ),
        },
    };
    // QEMU does not model routing inside emulated switches: a device's DMA goes through the
    // (virtual) IOMMU of its requester ID whatever the topology, then to whatever the address
    // hits, peer BARs included. With an IOMMU that is the root-complex case, minus the host
    // bridge caveat.
    let (mut kind, summary) = if qemu && iommu.active() && kind == VerdictKind::Direct {
        (
            VerdictKind::ThroughRootComplex,
            format!(
                "P2P goes through the virtual IOMMU: this is a QEMU virtual machine, whose \
                 emulated fabric translates every DMA for its requester whatever the switches \
                 (on hardware this topology would route directly; {summary})"
            ),
        )
    } else {
        (kind, summary)
    };
    if qemu {
        reasons.push(
            "this is a QEMU virtual machine (DMI sys_vendor): QEMU delivers peer-to-peer DMA \
             between emulated devices itself, so the host bridge question does not arise"
                .to_owned(),
        );
    }
    if kind == VerdictKind::ThroughRootComplex && !redirecting.is_empty() {
        reasons.push(format!(
            "ACS P2P Request Redirect is enabled on {rr_ports}: peer requests entering there go \
             upstream (and through the IOMMU) instead of across"
        ));
    }

    // The IOMMU.
    let direct = kind == VerdictKind::Direct;
    if !iommu.active() {
        reasons.push(
            "no IOMMU is active (no class/iommu units, no IOMMU groups): DMA addresses are bus \
             addresses, and VFIO cannot open the devices"
                .to_owned(),
        );
        actions.push(
            "for peerbar's VFIO path enable the IOMMU (intel_iommu=on or amd_iommu=on, VT-d / \
             AMD-Vi in firmware)"
                .to_owned(),
        );
        if kind == VerdictKind::ThroughRootComplex {
            actions.push("without an IOMMU the SSD names BAR2 by its bus address".to_owned());
        }
    } else {
        for f in [a, b] {
            match f.iommu_group {
                None => {
                    reasons.push(format!(
                        "{} has no IOMMU group although an IOMMU is active",
                        f.bdf
                    ));
                    ungrouped.push(f.bdf.to_string());
                    kind = VerdictKind::Blocked;
                }
                Some(group) => {
                    let others: Vec<String> = f
                        .group_peers
                        .iter()
                        .filter(|m| !m.vfio_compatible && m.bdf != a.bdf && m.bdf != b.bdf)
                        .map(|m| {
                            format!("{} (driver {})", m.bdf, m.driver.as_deref().unwrap_or("?"))
                        })
                        .collect();
                    if !others.is_empty() {
                        let list = others.join(", ");
                        reasons.push(format!(
                            "IOMMU group {group} of {} also holds {list}, bound to a driver VFIO \
                             does not accept",
                            f.bdf
                        ));
                        actions.push(format!(
                            "unbind {list} (or bind to vfio-pci) before opening {} with VFIO",
                            f.bdf
                        ));
                    }
                }
            }
        }
        match (a.iommu_group, b.iommu_group) {
            (Some(x), Some(y)) if x == y => reasons.push(format!(
                "both are in IOMMU group {x}: the kernel cannot isolate them from each other \
                 (consistent with peer traffic bypassing the IOMMU); VFIO opens them in one \
                 container"
            )),
            (Some(x), Some(y)) => reasons.push(format!(
                "separate IOMMU groups ({x} for {}, {y} for {})",
                a.bdf, b.bdf
            )),
            _ => {}
        }
        if direct {
            actions.push(
                "give the SSD BAR2's bus address (the IOMMU never sees these TLPs, an IOVA \
                 would be wrong)"
                    .to_owned(),
            );
        } else if kind == VerdictKind::ThroughRootComplex {
            actions.push(
                "map the peer BAR into the IOMMU and give the SSD its IOVA: peerbar does this \
                 when both devices are opened in one VFIO container"
                    .to_owned(),
            );
        }
    }
    if kind == VerdictKind::ThroughRootComplex && !qemu {
        actions.push(
            "for direct routing put both devices under one PCIe switch whose downstream ports \
             have ACS P2P Request Redirect off"
                .to_owned(),
        );
    }
    if kind == VerdictKind::Blocked && matches!(common, Common::DifferentRootComplexes(..)) {
        actions.push("move the two devices under one root complex, ideally one switch".to_owned());
    }
    if !unreadable.is_empty() {
        actions.push("run as root to read extended config space (ACS)".to_owned());
    }
    let summary = if !ungrouped.is_empty() {
        actions.push(format!(
            "check that the IOMMU covers {0} (dmesg | grep -i -e DMAR -e AMD-Vi -e iommu); VFIO \
             cannot open a function without a group",
            ungrouped.join(" and ")
        ));
        format!(
            "Blocked: an IOMMU is active but {} has no IOMMU group, so VFIO cannot open it \
             (the path alone: {summary})",
            ungrouped.join(" and ")
        )
    } else {
        summary
    };
    Verdict {
        kind,
        summary,
        reasons,
        actions,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
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
}
