//! peerbar: user-mode driver for an FPGA PCIe endpoint acting as a peer-to-peer DMA target.
//!
//! Layers, bottom up:
//! - [`address`]: typed addresses (`BarOffset`, `BusAddr`, `BarIndex`);
//! - [`device`]: the [`Device`] trait and its backends (VFIO, in-memory fake;
//!   the Verilator simulation lives in the peerbar-sim crate);
//! - [`mmio`]: the one module that touches mapped device memory through raw pointers;
//! - [`regs`]: BAR0 register map (generated from hw/regmap/peerbar.toml) and typed accessors;
//! - [`config`]: PCI config space decoding (IDs, capability lists, PCIe and MSI-X capabilities);
//! - [`endpoint`]: an opened, identified peerbar endpoint;
//! - [`hostmem`]: what the DMA engine and the NVMe driver share: DMA buffers mapped through the
//!   IOMMU, data lists and prepared SGLs naming them, the host side of SQ/CQ rings;
//! - [`dma`]: the DMA engine: its queues, jobs, SGL rules, BAR2 peer memory;
//! - [`nvme`]: a small user-mode NVMe host driver (an SSD DMAing into BAR2 peer-to-peer);
//! - [`pattern`]: self-locating test data (a corruption report says where the bytes belong).
//! - [`topology`]: what decides whether P2P DMA between two functions works, read from sysfs.
//! - [`bringup`]: the first checks of a freshly programmed board (identity, link, BARs, VFIO
//!   binding) and binding it to vfio-pci.

pub mod address;
pub mod bringup;
pub mod config;
pub mod copy;
pub mod device;
pub mod dma;
pub mod endpoint;
pub mod error;
pub mod hostmem;
pub mod mmio;
pub mod nvme;
pub mod pattern;
pub mod regs;
pub mod topology;

pub use address::{BarIndex, BarOffset, BusAddr};
pub use device::Device;
pub use endpoint::Endpoint;
pub use error::{CompletionStatus, Error, QueueLostReason, Result};
pub use nvme::{IoQueue, Nvme, NvmeOptions, NvmeStatus, NvmeTicket, TransferMode};
