// SPDX-License-Identifier: MIT OR Apache-2.0
//! What the NVMe controller model sees of the PCIe fabric: its DMA port and its interrupt line.
//!
//! The simulation core implements [`NvmeBus`] over the shared fabric: host memory behind the
//! IOMMU answers at once; the FPGA's BARs are reached with real TLPs on the RTL's CQ interface
//! (posted writes, and reads answered by the RTL's completer some cycles later); anything else is
//! a recorded [`DmaFault`](crate::fabric::DmaFault) and comes back as [`BusError::Fault`].

/// Handle of a DMA read started with [`NvmeBus::start_read`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReadHandle(pub u64);

/// Why a DMA did not deliver its bytes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BusError {
    /// The fabric refused it: no IOMMU window, past the end of a BAR, bus mastering off. The
    /// fault is already recorded in the fabric's fault log.
    #[error("DMA refused by the fabric at {address:#x}: {reason}")]
    Fault { address: u64, reason: String },
    /// The target answered a read with an error completion (UR, CA, poisoned).
    #[error("read at {address:#x} completed with {status}")]
    Completion { address: u64, status: &'static str },
}

/// The controller's view of the fabric. All addresses are bus addresses.
pub trait NvmeBus {
    /// Reads host memory synchronously: for queue entries, PRP lists and SGL segments, which
    /// the model supports in host memory only. Any byte outside every IOMMU window (including
    /// a peer BAR) is an error, recorded as a fault.
    fn read_host(&mut self, address: u64, buf: &mut [u8]) -> Result<(), BusError>;

    /// Writes host memory synchronously (CQ entries), with the same rules as `read_host`.
    fn write_host(&mut self, address: u64, data: &[u8]) -> Result<(), BusError>;

    /// Posts a DMA write of data (at most 4096 bytes, not crossing a 4 KiB boundary).
    /// `Ok(false)`: back-pressure, nothing was written, try again on a later tick. `Ok(true)`:
    /// accepted (host memory: written; peer BAR: queued as MemWr TLPs). An error means
    /// nothing was written and the fault is recorded.
    fn post_write(&mut self, address: u64, data: &[u8]) -> Result<bool, BusError>;

    /// True once every write accepted by `post_write` so far has reached its target (the
    /// ordering point before a CQ entry is written).
    fn writes_landed(&self) -> bool;

    /// Starts a DMA read of data (1..=4096 bytes, not crossing a 4 KiB boundary). `Ok(None)`:
    /// back-pressure (no tag free), try again later.
    fn start_read(&mut self, address: u64, len: u32) -> Result<Option<ReadHandle>, BusError>;

    /// The bytes of a started read once they have all arrived (`None` while in flight). Each
    /// handle yields `Some` exactly once.
    fn poll_read(&mut self, handle: ReadHandle) -> Option<Result<Vec<u8>, BusError>>;

    /// Raises MSI-X vector `vector` (dropped when the host has not enabled MSI-X, as on
    /// hardware with the vector masked).
    fn interrupt(&mut self, vector: u16);
}
