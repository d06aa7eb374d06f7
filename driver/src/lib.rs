// SPDX-License-Identifier: MIT OR Apache-2.0
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
//!
//! # The flow
//!
//! Open a [`Device`], identify it as an [`Endpoint`], take its DMA engine and a queue pair,
//! allocate host memory the device reaches by DMA ([`hostmem::DmaMemory`]) and a slice of BAR2
//! ([`dma::PeerMemory`]), name them in a [`hostmem::DataList`] (bus address + length), submit
//! a [`dma::Job`] and wait on its [`dma::Ticket`].
//!
//! A real program opens the board through VFIO
//! (`peerbar::device::vfio::VfioDevice::open("0000:03:00.0")`) or the simulated endpoint
//! (`peerbar_sim::SimDevice`, the RTL under Verilator: `cargo run --example dma_push` runs this
//! flow on it and checks the bytes). This example runs on the in-memory fake device of the
//! `test-utils` feature, which runs no jobs: the hidden lines play the engine's part and write
//! the completion entry it would write.
//!
//! ```
//! use std::sync::Arc;
//! use std::time::Duration;
//!
//! use peerbar::dma::{Job, PeerRange, QueueConfig, Sgl};
//! use peerbar::hostmem::DataList;
//! use peerbar::Endpoint;
//! # use peerbar::device::fake::FakeDevice;
//! # fn main() -> peerbar::Result<()> {
//! # let fake = Arc::new(FakeDevice::peerbar_endpoint(1 << 20).with_dma_engine(4));
//! # let device: Arc<dyn peerbar::Device> = fake.clone();
//!
//! let endpoint = Endpoint::open_shared(device)?; // checks MAGIC and VERSION
//! let engine = endpoint.dma()?;
//! engine.enable()?;
//! let queue = engine.create_queue(QueueConfig::new(0))?;
//!
//! // 8 KiB of host memory, mapped through the IOMMU, and an 8 KiB slice of BAR2.
//! let host = Arc::new(engine.memory().alloc(8192)?);
//! host.write(0, &[0xa5; 8192])?;
//! let bar2 = Arc::new(engine.peer_memory().alloc(8192, 4096)?);
//!
//! // PULL: two host pieces, in this order, into the BAR2 slice.
//! let mut list = DataList::new();
//! list.push_buffer(&host, 4096, 4096)?.push_buffer(&host, 0, 4096)?;
//! let job = Job::Pull { peer: PeerRange::whole(&bar2)?, list: Sgl::List(list) };
//! let ticket = queue.submit(job)?;
//! # let (_sq, cq) = queue.ring_addrs();
//! # use peerbar::dma::{CqEntry, StatusCode};
//! # use zerocopy::IntoBytes;
//! # // What the engine writes: 8192 bytes moved, SQ head 1, queue 0, the CID, phase 1.
//! # let entry = CqEntry::new(8192, 1, 0, ticket.cid(), StatusCode::Success, true);
//! # fake.dma_write(cq, entry.as_bytes())?;
//!
//! // The completion entry; check() turns an error status into DmaError::Status.
//! let completion = ticket.wait(Duration::from_secs(5))?.check()?;
//! assert_eq!(completion.result, 8192); // bytes moved
//! # Ok(())
//! # }
//! ```

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
pub use dma::{DmaError, QueueLostReason};
pub use endpoint::Endpoint;
pub use error::{CompletionStatus, DmaMapFault, Error, Result};
pub use nvme::NvmeError;
pub use nvme::{IoQueue, Nvme, NvmeOptions, NvmeStatus, NvmeTicket, TransferMode};
