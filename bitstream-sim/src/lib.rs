// SPDX-License-Identifier: MIT OR Apache-2.0
//! peerbar-sim: the peerbar RTL under Verilator, plus Rust models of the world around the FPGA.
//!
//! - [`rtl`]: the Verilator-built model of hw/rtl, one clock cycle per call;
//! - [`tlp`]: the UltraScale+ block's completer interface: CQ beats out, CC beats in and
//!   checked against the PCIe completion rules;
//! - [`requester`]: the block's requester interface: RQ beats from the DMA engine checked
//!   against the PCIe request rules, read completions generated for RC;
//! - [`fabric`]: the PCIe world around the FPGA: host memory behind an IOMMU (unmapped DMA is
//!   a recorded fault), the MSI window, peer-to-peer routing to BARs;
//! - [`config_space`]: the endpoint's configuration space as the hard block presents it;
//! - [`nvme`]: a model of an NVMe controller, a second endpoint on the fabric;
//! - [`SimDevice`]: all of it behind the driver's `Device` trait, and [`SimNvme`] (from
//!   [`SimDevice::attach_nvme`]) the NVMe controller behind it too.

mod config_bytes;
pub mod config_space;
mod device;
pub mod fabric;
pub mod nvme;
pub mod requester;
pub mod rtl;
pub mod tlp;
pub mod vfio_user;
pub mod xilinx_desc;

pub use device::{
    RawOutcome, RawRequest, ReadFault, SimConfig, SimDevice, SimNvme, SimStats, CLOCK_HZ,
    ENDPOINT_ID, NVME_BAR0_BASE, NVME_CMB_BASE, NVME_ID,
};
pub use fabric::{DmaDirection, DmaFault, IOVA_RANGES, MSI_RANGE};

/// Failures of the simulation itself (as opposed to errors the simulated device reports).
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The RTL broke a rule of the PCIe user interface; the message says which and where.
    #[error("the RTL broke a PCIe rule: {0}")]
    ProtocolViolation(String),
    /// The RTL stopped answering.
    #[error("the RTL hung: {0}")]
    Hang(String),
    /// An earlier failure poisoned this simulation.
    #[error("the simulation failed earlier and cannot continue: {0}")]
    Failed(String),
    #[error("memory space decoding is disabled in the Command register: a real device would not respond")]
    MemoryDisabled,
    #[error("invalid simulation setting: {0}")]
    InvalidConfig(String),
    /// A DMA mapping request the simulated IOMMU refuses (alignment, overlap, outside the
    /// IOVA ranges, unknown mapping on unmap).
    #[error("DMA mapping refused: {0}")]
    DmaMapping(String),
    #[error(transparent)]
    Rtl(#[from] rtl::RtlError),
}
