//! The driver's one error type.

use std::path::PathBuf;

use crate::address::{BarIndex, BarOffset};

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
    DeviceNotFound { bdf: String, path: PathBuf },

    #[error("PCI device {bdf} is bound to {driver}, not vfio-pci; bind it: echo {bdf} > /sys/bus/pci/drivers/{driver}/unbind && echo vfio-pci > /sys/bus/pci/devices/{bdf}/driver_override && echo {bdf} > /sys/bus/pci/drivers_probe")]
    NotBoundToVfio { bdf: String, driver: String },

    #[error("PCI device {bdf} is not bound to any driver; bind it to vfio-pci: echo vfio-pci > /sys/bus/pci/devices/{bdf}/driver_override && echo {bdf} > /sys/bus/pci/drivers_probe")]
    NoDriver { bdf: String },

    #[error("PCI device {bdf} has no IOMMU group: enable the IOMMU (intel_iommu=on or amd_iommu=on on the kernel command line, VT-d/AMD-Vi in firmware)")]
    NoIommuGroup { bdf: String },

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
    UnsupportedVersion { found: String, supported_major: u16 },

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

    #[error("malformed PCI capability list at config offset {offset:#x}: {reason}")]
    MalformedCapabilityList { offset: u16, reason: String },

    #[error("BAR2 size mismatch: the endpoint's BAR2_SIZE registers say {register} bytes but BAR2 is {bar_len} bytes")]
    Bar2SizeMismatch { register: u64, bar_len: u64 },

    #[error("the endpoint on {device} has no DMA engine (CAPABILITIES.DMA_ENGINE reads 0): this bitstream was built without it; load a build with the DMA engine")]
    DmaEngineAbsent { device: String },

    #[error("DMA queue {queue} does not exist: the endpoint has {queues} queue pair(s) (CAPABILITIES.DMA_QUEUES)")]
    NoSuchQueue { queue: u16, queues: u16 },

    #[error("DMA queue {queue} is already in use by another QueuePair")]
    QueueInUse { queue: u16 },

    #[error("invalid DMA ring size of {entries} entries: a ring has 2 ..= 65536 entries")]
    InvalidQueueSize { entries: u32 },

    #[error("DMA queue {queue} is full ({in_flight} job(s) in flight, {entries}-entry SQ): wait for a completion and submit again")]
    QueueFull {
        queue: u16,
        entries: u32,
        in_flight: usize,
    },

    #[error("DMA queue {queue} was shut down before job {cid} completed")]
    QueueClosed { queue: u16, cid: u16 },

    /// The [`crate::dma::QueuePair`] was dropped before the engine fetched the job: dropping
    /// disabled the queue and saw it idle, so the job never ran and can never run, and its
    /// memory was released.
    #[error("DMA queue {queue} was dropped before the engine fetched job {cid}: the job did not run and will not run (its memory was released); submit it again on a new queue")]
    QueueDropped { queue: u16, cid: u16 },

    #[error("DMA queue {queue}{}: {reason}; drop the QueuePair and create the queue again (a job that was in flight may have moved part of its data: do not trust its targets)", job_label(.cid))]
    QueueLost {
        queue: u16,
        /// The job that was lost; `None` when a submit was refused on a queue already lost.
        cid: Option<u16>,
        reason: QueueLostReason,
    },

    #[error("list entry {index} ({len} bytes at {addr}) lies in {space} but in no DMA buffer or BAR2 slice the job holds: the job was not submitted (DataList::push_bus_unchecked passes a raw address on purpose)")]
    UnmappedListEntry {
        /// Index of the entry in the [`crate::hostmem::DataList`].
        index: usize,
        addr: crate::address::BusAddr,
        len: u32,
        /// "this driver's DMA (IOVA) space" or "the endpoint's BAR2".
        space: &'static str,
    },

    #[error("DMA job {cid} on queue {queue} did not complete within {timeout:?}")]
    DmaTimeout {
        queue: u16,
        cid: u16,
        timeout: std::time::Duration,
    },

    #[error("DMA job {cid} on queue {queue} completed with status {status}")]
    DmaStatus {
        queue: u16,
        cid: u16,
        status: crate::dma::StatusCode,
    },

    #[error("no free bus address (IOVA) range for a {len}-byte DMA buffer")]
    IovaExhausted { len: usize },

    #[error("{bar} of {device} has no bus address for peers yet: behind an IOMMU a peer reaches a BAR only through an IOVA mapping in the same VFIO container; map it first (VfioDevice::map_bar_for_peers)")]
    BarNotMappedForPeers { device: String, bar: BarIndex },

    #[error("DMA mapping of {len} byte(s) at bus address {iova} refused: {reason}")]
    DmaMapRejected {
        iova: crate::address::BusAddr,
        len: usize,
        reason: String,
    },

    #[error("allocating {len} bytes of host memory for DMA failed")]
    HostMemory {
        len: usize,
        #[source]
        source: std::io::Error,
    },

    #[error("{len} byte(s) at offset {offset} run past the end of a {buffer_len}-byte buffer; nothing was accessed")]
    OutOfBuffer {
        offset: usize,
        len: usize,
        buffer_len: usize,
    },

    #[error("no free BAR2 range of {len} bytes aligned to {align} (largest free range: {largest_free} bytes)")]
    PeerMemoryExhausted {
        len: u64,
        align: u64,
        largest_free: u64,
    },

    #[error("cannot build the scatter-gather list: {reason}")]
    SglBuild { reason: String },

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

    #[error("{device} is not an NVMe controller: its class code is {class:06x}h, expected 010802h (mass storage, NVM, NVMe I/O controller); check the PCI address")]
    NotNvme { device: String, class: u32 },

    #[error("NVMe controller {device} reports Controller Fatal Status (CSTS.CFS = 1) {during}: the controller needs a reset (reopen it; on hardware, a function-level reset or power cycle)")]
    NvmeControllerFatal { device: String, during: String },

    #[error("NVMe controller {device} reads all ones (CSTS = FFFFFFFFh) {during}: the device is gone from the bus (surprise removal, link down, or a failed simulation)")]
    NvmeDeviceGone { device: String, during: String },

    #[error("NVMe: timed out after {timeout:?} waiting for {what}")]
    NvmeTimeout {
        what: String,
        timeout: std::time::Duration,
    },

    #[error("NVMe {command} (queue {queue}, CID {cid}) failed: {status}")]
    NvmeCommand {
        command: &'static str,
        queue: u16,
        cid: u16,
        status: crate::nvme::NvmeStatus,
    },

    #[error("NVMe controller {device}: {reason}")]
    NvmeUnsupported { device: String, reason: String },

    #[error("invalid NvmeOptions::{option}: {reason}")]
    NvmeInvalidOption {
        option: &'static str,
        reason: String,
    },

    #[error("NVMe {command} not submitted: {reason}")]
    NvmeBadTransfer {
        command: &'static str,
        reason: String,
    },

    #[error("no NVMe I/O queue left: the controller granted {granted} and all are in use; drop an IoQueue (or share one: IoQueue is Clone)")]
    NvmeNoIoQueue { granted: u16 },

    #[error("NVMe queue {queue} is full ({in_flight} command(s) in flight, {entries}-entry queue): wait for a completion and submit again")]
    NvmeQueueFull {
        queue: u16,
        entries: u16,
        in_flight: usize,
    },

    #[error("NVMe queue {queue} was deleted before command {cid} completed")]
    NvmeQueueClosed { queue: u16, cid: u16 },
}

/// Why the device dropped a DMA queue's jobs ([`Error::QueueLost`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueLostReason {
    /// The function was reset (FLR, or anything else that reset the RTL): the queue's
    /// registers read their reset values. The engine is disabled too: enable it again.
    FunctionReset,
    /// The engine disabled the queue while the driver had it enabled: DMA_CONTROL.RESET, or an
    /// SQ entry the engine could not fetch (logged in DMA_ERROR_LOG with CID 0).
    QueueDisabled,
}

impl std::fmt::Display for QueueLostReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            QueueLostReason::FunctionReset => {
                "the device was reset (function-level reset) while the job was in flight: the queue's registers read their reset values"
            }
            QueueLostReason::QueueDisabled => {
                "the engine disabled the queue (DMA_CONTROL.RESET, or an SQ entry it could not fetch: see DMA_ERROR_LOG)"
            }
        })
    }
}

fn job_label(cid: &Option<u16>) -> String {
    match cid {
        Some(cid) => format!(" lost job {cid}"),
        None => " was lost before this submit".to_owned(),
    }
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
