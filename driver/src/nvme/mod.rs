// SPDX-License-Identifier: MIT OR Apache-2.0
//! A small user-mode NVMe host driver over the [`Device`](crate::Device) trait
//! (docs/nvme-peer.md is the contract with the simulated controller).
//!
//! [`Nvme::open`] brings a controller up (class code check, bus mastering, disable, admin
//! queue, enable, Identify, Number of Queues); [`Nvme::io_queue`] creates polled I/O queue
//! pairs whose [`IoQueue::read`] / [`IoQueue::write`] take the DMA engine's
//! [`DataList`](crate::hostmem::DataList): host buffers, BAR2 peer slices (the SSD then DMAs
//! straight into the FPGA), raw bus addresses and, for reads, bit buckets. Data pointers are
//! SGLs when the controller supports them, else PRPs ([`TransferMode`]).
//!
//! The controller shares the FPGA's [`DmaMemory`](crate::hostmem::DmaMemory) (one IOMMU
//! container, one IOVA allocator), so one set of buffers serves both devices.
//!
//! Ownership is as in [`crate::dma::QueuePair`]: a command holds what it names until its
//! completion has been consumed; dropping an [`IoQueue`] waits for its commands, then deletes
//! it; the controller is shut down (CC.SHN) when the [`Nvme`] and every [`IoQueue`] made from
//! it are gone. When the controller cannot be shown to have stopped using some memory, that
//! memory is leaked rather than unmapped under it.
//!
//! - [`wire`]: submission/completion entries and Identify structures;
//! - [`status`]: [`NvmeStatus`], the decoded status field;
//! - [`dptr`]: PRP and SGL data pointers from a `DataList`;
//! - [`regs`]: the controller's registers (tock-registers bitfields).

#![warn(missing_docs)]

mod controller;
pub mod dptr;
mod error;
mod io;
mod queue;
// The register_bitfields! macro generates items (field values, register types) that cannot
// carry doc comments; the registers and fields themselves are documented.
#[allow(missing_docs)]
pub mod regs;
pub mod status;
pub mod wire;

use std::fmt;
use std::time::Duration;

use crate::address::BusAddr;

pub use controller::Nvme;
pub use dptr::{DataPointer, PreparedData};
pub use error::{Awaited, CommandRef, NvmeError, Step};
pub use io::IoQueue;
pub use queue::{NvmeCompletion, NvmeTicket};
pub use status::NvmeStatus;
pub use wire::{CompletionEntry, Psdt, SubmissionEntry};

/// How I/O commands describe their data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TransferMode {
    /// SGLs when the controller advertises them (Identify SGLS), else PRPs.
    #[default]
    Auto,
    /// PRPs (the data list must be page-shaped, see [`dptr`]).
    Prp,
    /// SGLs; [`Nvme::open`] fails when the controller does not support them.
    Sgl,
}

/// Options of [`Nvme::open`].
#[derive(Clone, Debug)]
pub struct NvmeOptions {
    /// Admin SQ and CQ entries (2 ..= 4096, at most CAP.MQES + 1). Default 32.
    pub admin_entries: u16,
    /// I/O SQ and CQ entries (at least 2; reduced to CAP.MQES + 1 if larger). Default 256.
    pub io_entries: u16,
    /// I/O queue pairs to ask for (Set Features Number of Queues); the controller may grant
    /// fewer. Default 8.
    pub io_queues: u16,
    /// Bound for admin commands, for dropping an I/O queue, and for controller enable, disable
    /// and shutdown (those wait at least CAP.TO). Default 5 s.
    pub timeout: Duration,
    /// PRP or SGL. Default [`TransferMode::Auto`].
    pub transfer: TransferMode,
    /// The namespace read and written (an active NVM command set namespace). Default 1.
    pub nsid: u32,
}

impl Default for NvmeOptions {
    fn default() -> NvmeOptions {
        NvmeOptions {
            admin_entries: 32,
            io_entries: 256,
            io_queues: 8,
            timeout: Duration::from_secs(5),
            transfer: TransferMode::Auto,
            nsid: 1,
        }
    }
}

/// SGL support advertised in Identify Controller SGLS bits 1:0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SglSupport {
    /// 00b: no SGLs.
    None,
    /// 01b: SGLs with byte-aligned Data Blocks.
    ByteAligned,
    /// 10b: SGLs with dword-aligned address and length of each Data Block.
    DwordAligned,
}

impl SglSupport {
    /// Decodes Identify Controller SGLS (bits 1:0; 11b is reserved and treated as none).
    pub(crate) fn from_sgls(sgls: u32) -> SglSupport {
        match sgls & 0b11 {
            0b01 => SglSupport::ByteAligned,
            0b10 => SglSupport::DwordAligned,
            _ => SglSupport::None,
        }
    }
}

/// An NVMe version (VS register).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct NvmeVersion {
    /// VS.MJR.
    pub major: u16,
    /// VS.MNR.
    pub minor: u8,
    /// VS.TER.
    pub tertiary: u8,
}

impl fmt::Display for NvmeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.tertiary)
    }
}

/// What [`Nvme::open`] learnt about the controller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControllerInfo {
    /// PCI Vendor ID (Identify VID).
    pub vid: u16,
    /// PCI Subsystem Vendor ID.
    pub ssvid: u16,
    /// Serial number, trimmed.
    pub serial: String,
    /// Model number, trimmed.
    pub model: String,
    /// Firmware revision, trimmed.
    pub firmware: String,
    /// The VS register.
    pub version: NvmeVersion,
    /// Maximum data transfer size of one command, `None` when unlimited.
    pub mdts_bytes: Option<u64>,
    /// SGL support.
    pub sgl: SglSupport,
    /// SGL Bit Bucket descriptors supported (SGLS bit 16).
    pub sgl_bit_bucket: bool,
    /// Number of namespaces (Identify NN).
    pub namespaces: u32,
    /// Largest queue size in entries (CAP.MQES + 1).
    pub max_queue_entries: u32,
    /// I/O queue pairs granted by Set Features Number of Queues (and usable: at most the
    /// number asked for).
    pub io_queues: u16,
    /// Controller Memory Buffer: bus address and size, from CMBLOC/CMBSZ.
    pub cmb: Option<(BusAddr, u64)>,
    /// The transfer mode I/O queues use ([`TransferMode::Auto`] resolved).
    pub transfer: TransferMode,
    /// Doorbell stride in bytes (4 << CAP.DSTRD).
    pub doorbell_stride: u32,
    /// CAP.TO: worst-case time for CSTS.RDY to follow CC.EN.
    pub ready_timeout: Duration,
}

/// Namespace 1, the one this driver uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NamespaceInfo {
    /// Namespace ID (1).
    pub nsid: u32,
    /// Bytes per logical block.
    pub lba_size: u32,
    /// Size in logical blocks (NSZE).
    pub lba_count: u64,
}

impl NamespaceInfo {
    /// Size in bytes.
    pub fn bytes(&self) -> u64 {
        self.lba_count * u64::from(self.lba_size)
    }
}

#[cfg(test)]
mod fake;
#[cfg(test)]
mod tests;
