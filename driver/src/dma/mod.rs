// SPDX-License-Identifier: MIT OR Apache-2.0
//! The DMA engine side of the driver: wire formats, SGL builder/validator, peer memory and
//! NVMe-style queue pairs (docs/dma-engine.md is the contract with the RTL).
//!
//! - [`wire`]: `#[repr(C)]` zerocopy SGL descriptors, SQ/CQ entries, opcodes, status codes;
//! - [`sgl`]: builder and validator applying the engine's rules, and the shared test tables;
//! - [`peer`]: the BAR2 allocator handing out [`PeerSlice`]s;
//! - [`DmaEngine`] (capability check, enable, timeout) makes [`QueuePair`]s (SQ/CQ rings,
//!   doorbells, shutdown); a [`Job`] submitted to one returns a [`Ticket`] on which its
//!   [`Completion`] arrives.
//!
//! [`DmaEngine::new`] (or [`crate::Endpoint::dma`]) checks CAPABILITIES.DMA_ENGINE and refuses
//! an endpoint without the engine with [`DmaError::EngineAbsent`]. [`DmaEngine::create_queue`]
//! allocates the SQ and CQ rings in [`DmaBuffer`](crate::hostmem::DmaBuffer)s, programs the queue's registers and enables
//! it. [`QueuePair::submit`] writes an SQ entry and rings the SQ tail doorbell; completions are
//! collected by [`QueuePair::poll`] (called by [`Ticket::wait`] in polling mode, or by the MSI-X
//! thread in interrupt mode) and delivered to each job's [`Ticket`] through a crossbeam channel.
//!
//! Ownership: a [`Job`] names the DMA buffers and peer slices it uses by `Arc`; the queue keeps
//! those `Arc`s until the job's completion has been consumed, so nothing a job names can be
//! unmapped or reallocated while the engine may still touch it. Dropping a [`QueuePair`] waits
//! (bounded by [`QueueConfig::shutdown_timeout`]) for the jobs in flight, disables the queue,
//! and only then lets the rings go; jobs the engine never fetched are released with them (their
//! tickets fail with [`DmaError::QueueDropped`]). If the queue does not go idle, or a job the engine
//! fetched never writes its CQ entry, the rings and every in-flight job's memory are leaked on
//! purpose rather than unmapped under the device.
//!
//! A full SQ makes [`QueuePair::submit`] fail with [`DmaError::QueueFull`] (it never blocks):
//! wait for a ticket and submit again.
//!

mod engine;
mod error;
mod job;
pub mod peer;
mod queue_pair;
pub mod sgl;
#[cfg(test)]
mod tests;
mod ticket;
pub mod wire;
mod wire_layout;

pub use engine::{DmaEngine, EngineStatus};
pub use error::{DmaError, QueueLostReason, SglBuildError};
pub use job::{Completion, Job, PeerRange, Sgl};
pub use peer::{PeerMemory, PeerSlice};
pub use queue_pair::{CompletionMode, QueueConfig, QueuePair};
pub use sgl::{SglBuilder, SglEntry};
pub use ticket::Ticket;
pub use wire::{CqEntry, Opcode, SglDescriptor, SglType, SqEntry, StatusCode};
