//! The DMA side of the driver: wire formats, SGL builder/validator, DMA memory, peer memory and
//! NVMe-style queue pairs (docs/dma-engine.md is the contract with the RTL).
//!
//! - [`wire`]: `#[repr(C)]` zerocopy SGL descriptors, SQ/CQ entries, opcodes, status codes;
//! - [`sgl`]: builder and validator applying the engine's rules, and the shared test tables;
//! - [`memory`]: [`DmaBuffer`]s (host memory mapped through the IOMMU) and their IOVA allocator;
//! - [`peer`]: the BAR2 allocator handing out [`PeerSlice`]s;
//! - [`queue_pair`]: [`DmaEngine`] (capability check, enable, timeout) and [`QueuePair`]s.

pub mod memory;
pub mod peer;
pub mod queue_pair;
pub(crate) mod ring;
pub mod sgl;
#[cfg(feature = "test-utils")]
mod sgl_cases;
pub mod wire;
mod wire_layout;

pub use memory::{DmaBuffer, DmaMemory, IovaAllocator};
pub use peer::{PeerMemory, PeerSlice};
pub use queue_pair::{
    Completion, CompletionMode, DataList, DmaEngine, EngineStatus, Held, Job, PeerRange,
    PreparedSgl, QueueConfig, QueuePair, Sgl, Ticket,
};
pub use sgl::{SglBuilder, SglEntry};
pub use wire::{CqEntry, Opcode, SglDescriptor, SglType, SqEntry, StatusCode};
