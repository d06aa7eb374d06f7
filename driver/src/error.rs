// SPDX-License-Identifier: MIT OR Apache-2.0
//! The crate's error type. Host memory's errors ([`crate::hostmem::HostMemError`]), the DMA
//! engine's ([`crate::dma::DmaError`]) and the NVMe driver's ([`crate::nvme::NvmeError`]) live
//! in their modules and are composed here; device access, sysfs and VFIO errors are this
//! enum's own variants.

use std::path::PathBuf;

use crate::address::{BarIndex, BarOffset};
use crate::device::vfio::Bdf;

/// Everything that can fail in the peerbar driver.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{bar} is not present on this device")]
    NoSuchBar { bar: BarIndex },

    #[error("{len} byte(s) at {bar} offset {offset} run past the end of the BAR ({bar_len} bytes); nothing was accessed")]
    OutOfRange {
        bar: BarIndex,
        offset: BarOffset,
        len: u64,
        bar_len: u64,
    },

    #[error("{size}-byte access at {bar} offset {offset} is not {size}-byte aligned; nothing was accessed")]
    Misaligned {
        bar: BarIndex,
        offset: BarOffset,
        size: u64,
    },

    #[error(
        "config space access of {len} byte(s) at {offset:#x} is outside the 4 KiB config space"
    )]
    ConfigOutOfRange { offset: u16, len: usize },

    #[error("no PCI device {bdf} (looked in {path})")]
    DeviceNotFound { bdf: Bdf, path: PathBuf },

    #[error("PCI device {bdf} is bound to {driver}, not vfio-pci; bind it: echo {bdf} > /sys/bus/pci/drivers/{driver}/unbind && echo vfio-pci > /sys/bus/pci/devices/{bdf}/driver_override && echo {bdf} > /sys/bus/pci/drivers_probe")]
    NotBoundToVfio { bdf: Bdf, driver: String },

    #[error("PCI device {bdf} is not bound to any driver; bind it to vfio-pci: echo vfio-pci > /sys/bus/pci/devices/{bdf}/driver_override && echo {bdf} > /sys/bus/pci/drivers_probe")]
    NoDriver { bdf: Bdf },

    #[error("PCI device {bdf} has no IOMMU group: enable the IOMMU (intel_iommu=on or amd_iommu=on on the kernel command line, VT-d/AMD-Vi in firmware)")]
    NoIommuGroup { bdf: Bdf },

    #[error("permission denied opening {path}: run as root or give your user access to the VFIO group (chown/udev rule)")]
    PermissionDenied {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("the kernel refused a VFIO container for IOMMU groups {groups:?} (EPERM) although its nodes opened: vfio_iommu_type1 refuses when the IOMMU does no interrupt remapping and allow_unsafe_interrupts is off (kernel log: \"No interrupt remapping support\"). Fix: enable interrupt remapping (VT-d/AMD-Vi interrupt remapping in firmware; under QEMU -device intel-iommu,intremap=on), or, accepting that the devices can then raise any interrupt on this host, echo 1 > /sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts")]
    NoInterruptRemapping {
        groups: Vec<u32>,
        #[source]
        source: std::io::Error,
    },

    #[error("{value:?} is not a VFIO interface: expected auto, legacy or iommufd")]
    InvalidVfioRequest { value: String },

    #[error("the iommufd VFIO path is not available: {missing}; use --vfio auto or legacy for the legacy container")]
    IommufdUnavailable {
        missing: crate::device::backend::IommufdMissing,
    },

    #[error("{bar} of {device} is revoked for peers: its dma-buf was revoked (reset, or memory decoding off) and could not be mapped again; nothing may DMA to its old IOVA")]
    PeerWindowRevoked { device: String, bar: BarIndex },

    #[error("VFIO: {operation} failed")]
    Vfio {
        operation: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{bar} offset {offset}: the device answered with completion status {status}")]
    CompletionError {
        bar: BarIndex,
        offset: BarOffset,
        status: CompletionStatus,
    },

    #[error(
        "not a peerbar endpoint: magic register reads {found:#010x}, expected {expected:#010x}"
    )]
    BadMagic { found: u32, expected: u32 },

    #[error("endpoint version {found} is not supported by this driver (supports major version {supported_major})")]
    UnsupportedVersion {
        found: crate::endpoint::Version,
        supported_major: u16,
    },

    #[error("invalid PCI address {bdf:?}: expected domain:bus:device.function (0000:01:00.0) or bus:device.function (01:00.0), hexadecimal, device <= 1f, function <= 7")]
    InvalidBdf { bdf: String },

    #[error("reading {path} failed")]
    Sysfs {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("writing {value} to {path} failed: {source}")]
    SysfsWrite {
        path: PathBuf,
        value: String,
        #[source]
        source: std::io::Error,
    },

    #[error("the vfio-pci driver is not loaded ({path} does not exist): run modprobe vfio-pci as root, then bind again")]
    VfioPciNotLoaded { path: PathBuf },

    #[error("register {register} is {access} (not writable); nothing was written")]
    RegisterNotWritable {
        register: &'static str,
        access: crate::regs::Access,
    },

    #[error("register {register}: index {index} is out of range (the array has {count} element(s)); nothing was accessed")]
    RegisterIndexOutOfRange {
        register: &'static str,
        index: u32,
        count: u32,
    },

    #[error("malformed PCI capability list at config offset {offset:#x}: {fault}")]
    MalformedCapabilityList {
        offset: u16,
        fault: crate::config::CapabilityListFault,
    },

    #[error("BAR2 size mismatch: the endpoint's BAR2_SIZE registers say {register} bytes but BAR2 is {bar_len} bytes")]
    Bar2SizeMismatch { register: u64, bar_len: u64 },

    #[error("{bar} of {device} has no bus address for peers yet: behind an IOMMU a peer reaches a BAR only through an IOVA mapping in the same VFIO container; map it first (VfioDevice::map_bar_for_peers)")]
    BarNotMappedForPeers { device: String, bar: BarIndex },

    #[error("DMA mapping of {len} byte(s) at bus address {iova} refused: {fault}")]
    DmaMapRejected {
        iova: crate::address::BusAddr,
        len: usize,
        fault: DmaMapFault,
    },

    #[error("{len} byte(s) at offset {offset} run past the end of a {buffer_len}-byte buffer; nothing was accessed")]
    OutOfBuffer {
        offset: usize,
        len: usize,
        buffer_len: usize,
    },

    #[error("MSI-X: {operation} failed")]
    Msix {
        operation: String,
        #[source]
        source: std::io::Error,
    },

    #[error("vfio-user: {0}")]
    VfioUser(#[source] Box<crate::device::vfio_user::VfioUserError>),

    #[error("simulation failed")]
    Simulation(#[source] Box<dyn std::error::Error + Send + Sync>),

    #[error(transparent)]
    HostMem(#[from] crate::hostmem::HostMemError),

    #[error(transparent)]
    Dma(#[from] crate::dma::DmaError),

    #[error(transparent)]
    Nvme(#[from] crate::nvme::NvmeError),
}

/// Why a DMA mapping (or, on the test double, a DMA access) was refused
/// ([`Error::DmaMapRejected`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DmaMapFault {
    #[error("empty mapping")]
    Empty,
    #[error("host address, length and IOVA must be {align}-byte aligned")]
    Misaligned { align: usize },
    #[error("the IOVA range overflows the 64-bit address space")]
    Overflow,
    #[error("outside the valid IOVA ranges")]
    OutsideIovaRanges,
    #[error("overlaps an existing mapping")]
    Overlaps,
    #[error("unmap of a range that is not exactly one mapping")]
    NotOneMapping,
    #[error("IOMMU fault: address not mapped")]
    NotMapped,
}

/// Status of a PCIe completion, as encoded in the completion header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionStatus {
    /// Unsupported Request (001b).
    UnsupportedRequest,
    /// Configuration Request Retry Status (010b).
    ConfigRetry,
    /// Completer Abort (100b).
    CompleterAbort,
    /// Any reserved encoding.
    Reserved(u8),
}

impl std::fmt::Display for CompletionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CompletionStatus::UnsupportedRequest => f.write_str("UR (unsupported request)"),
            CompletionStatus::ConfigRetry => f.write_str("CRS (config retry)"),
            CompletionStatus::CompleterAbort => f.write_str("CA (completer abort)"),
            CompletionStatus::Reserved(v) => write!(f, "reserved ({v:#05b})"),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
