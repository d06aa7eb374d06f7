// SPDX-License-Identifier: MIT OR Apache-2.0
//! SGL builder and validator: the same rules, and the same status codes, as the engine
//! (docs/dma-engine.md, "SGL").
//!
//! The rules live in one place: [`SglViolation`] names each way a list can be malformed and
//! [`SglViolation::status`] is the table from violation to status code. [`validate`] walks a
//! list in the engine's order (DPTR, then each segment's descriptors in address order, following
//! the chain) and reports the first violation it meets. [`SglBuilder`] lays [`SglEntry`]s out as
//! DPTR plus segment memory. With feature `test-utils`, `malformed_list_cases` and
//! `valid_list_cases` are the lists every layer (this validator, the RTL) is tested against.
//!
//! Where the contract leaves a choice open, the validator fixes it as follows (to be kept in
//! step with the RTL; the end-to-end tests run `malformed_list_cases` (feature `test-utils`) against it):
//! - LENGTH 0 completes with success without looking at DPTR;
//! - the descriptor limit counts descriptors fetched from segment memory (DPTR excluded):
//!   the 65 537th fetch fails the job with C1h;
//! - a running total that passes LENGTH fails at that descriptor (0Fh); a total short of LENGTH
//!   fails when the list ends (0Fh);
//! - a Segment / Last Segment descriptor whose address + length overflows 64 bits is 0Dh (an
//!   invalid segment descriptor, like a misaligned one); a Data Block that overflows is 0Fh;
//! - a Segment (not Last Segment) whose segment ends in a Data Block or Bit Bucket simply ends
//!   the list (NVMe/QEMU behaviour);
//! - a non-zero subtype (only "address", 0h, is supported): 0Dh in DPTR, 11h inside a list.

mod build;
#[cfg(feature = "test-utils")]
mod cases;
mod validate;

use crate::address::BusAddr;
use crate::dma::wire::SglDescriptor;

/// The engine stops walking after this many descriptors for one command (C1h).
pub const DESCRIPTOR_LIMIT: u64 = 65_536;

/// Default number of descriptors per segment the builder emits (Linux nvme-pci uses 256).
pub const DEFAULT_DESCRIPTORS_PER_SEGMENT: usize = 256;

/// One entry of a data list: what the engine moves, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SglEntry {
    /// `len` bytes at bus address `addr`.
    Data { addr: BusAddr, len: u32 },
    /// `len` bytes skipped: PULL leaves BAR2 untouched over the span (rejected on PUSH).
    BitBucket { len: u32 },
}

impl SglEntry {
    pub fn data(addr: BusAddr, len: u32) -> SglEntry {
        SglEntry::Data { addr, len }
    }

    pub fn len(&self) -> u32 {
        match *self {
            SglEntry::Data { len, .. } | SglEntry::BitBucket { len } => len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub(super) fn descriptor(&self) -> SglDescriptor {
        match *self {
            SglEntry::Data { addr, len } => SglDescriptor::data_block(addr, len),
            SglEntry::BitBucket { len } => SglDescriptor::bit_bucket(len),
        }
    }
}

pub use build::{BuiltSgl, SglBuilder};
// Test tables and the fake address space (feature `test-utils`).
#[cfg(feature = "test-utils")]
pub use cases::{
    malformed_list_cases, valid_list_cases, FakeAddressSpace, SglCase, CASE_DATA_REGION_LEN,
    CASE_LIST_REGION_LEN,
};
pub use validate::{validate, SglViolation, SglWalkError};
