// SPDX-License-Identifier: MIT OR Apache-2.0
//! What the DMA engine ([`crate::dma`]) and the NVMe driver ([`crate::nvme`]) share: host memory
//! a device reaches by DMA, and what is laid out in it.
//!
//! - [`DmaMemory`] hands out [`DmaBuffer`]s: page-aligned host memory mapped through the IOMMU
//!   at an IOVA from an [`IovaAllocator`] (one allocator per IOMMU container, so two devices in
//!   one container never get the same IOVA). Dropping a buffer unmaps it before the memory is
//!   freed, and the CPU reads and writes it only by volatile copies (the device writes it
//!   behind the CPU's back);
//! - [`DataList`]: the data of one job or command (host buffers, BAR2 peer slices, bus
//!   addresses, bit buckets), [`PreparedSgl`]: such a list laid out as an NVMe SGL, and
//!   [`Held`]: what they keep alive until the device is done with it;
//! - `ring`: the host side of an NVMe-style SQ/CQ pair (phase-tagged CQ entries, SQ head
//!   reports), the same for the engine's queues and an NVMe controller's.

mod buffer;
mod data_list;
mod error;
pub(crate) mod ring;

pub use buffer::{DmaBuffer, DmaMemory, IovaAllocator, PAGE_SIZE};
pub use data_list::{DataList, Held, PreparedSgl};
pub use error::{AddressSpace, HostMemError};
