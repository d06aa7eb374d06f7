// SPDX-License-Identifier: MIT OR Apache-2.0
//! Host memory's errors: [`HostMemError`], which the crate's [`Error`](crate::Error) carries
//! as [`Error::HostMem`](crate::Error::HostMem).

use std::fmt;

use crate::address::BusAddr;

/// What can fail while allocating DMA memory or checking a list against it.
#[derive(Debug, thiserror::Error)]
pub enum HostMemError {
    #[error("no free bus address (IOVA) range for a {len}-byte DMA buffer")]
    IovaExhausted { len: usize },

    #[error("allocating {len} bytes of host memory for DMA failed")]
    Alloc {
        len: usize,
        #[source]
        source: std::io::Error,
    },

    #[error("list entry {index} ({len} bytes at {addr}) lies in {space} but in no DMA buffer or BAR2 slice the job holds: the job was not submitted (DataList::push_bus_unchecked passes a raw address on purpose)")]
    UnmappedListEntry {
        /// Index of the entry in the [`DataList`](super::DataList).
        index: usize,
        addr: BusAddr,
        len: u32,
        space: AddressSpace,
    },
}

/// A bus address range this driver owns, which a list entry must not name unless the job
/// holds the memory there ([`HostMemError::UnmappedListEntry`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressSpace {
    /// The IOVA ranges the driver's DMA buffers come from.
    Iova,
    /// The endpoint's BAR2 (peer memory).
    Bar2,
}

impl fmt::Display for AddressSpace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AddressSpace::Iova => "this driver's DMA (IOVA) space",
            AddressSpace::Bar2 => "the endpoint's BAR2",
        })
    }
}
