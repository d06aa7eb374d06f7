// SPDX-License-Identifier: MIT OR Apache-2.0
//! What a DMA job is: its opcode and BAR2 range ([`Job`], [`PeerRange`]), its list ([`Sgl`])
//! and the CQ entry it completes with ([`Completion`]).

use std::sync::Arc;

use crate::address::BarOffset;
use crate::dma::peer::PeerSlice;
use crate::dma::wire::{SqEntry, StatusCode};
use crate::dma::{DmaError, SglBuildError};
use crate::error::{Error, Result};
use crate::hostmem::{DataList, Held, PreparedSgl};

/// A range of a [`PeerSlice`]: the BAR2 side of a PULL, PUSH or CHECKSUM.
#[derive(Clone, Debug)]
pub struct PeerRange {
    pub(super) slice: Arc<PeerSlice>,
    at: u64,
    len: u32,
}

impl PeerRange {
    /// `len` bytes at byte `at` of `slice` (must lie inside it).
    pub fn new(slice: &Arc<PeerSlice>, at: u64, len: u32) -> Result<PeerRange> {
        slice.offset_at(at.saturating_add(u64::from(len)))?;
        Ok(PeerRange {
            slice: Arc::clone(slice),
            at,
            len,
        })
    }

    /// The whole slice (its length must fit the 32-bit LENGTH field).
    pub fn whole(slice: &Arc<PeerSlice>) -> Result<PeerRange> {
        let len = u32::try_from(slice.len())
            .map_err(|_| SglBuildError::SliceOverLength { len: slice.len() })?;
        PeerRange::new(slice, 0, len)
    }

    /// BAR2 offset of the range (the SQ entry's BAR2_OFFSET).
    pub fn bar2_offset(&self) -> BarOffset {
        BarOffset::new(self.slice.offset().get() + self.at)
    }

    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// How a PULL or PUSH gets its list.
#[derive(Clone, Debug)]
pub enum Sgl {
    /// Built at submit time with the queue's [`SglBuilder`](crate::dma::SglBuilder) (inline DPTR
    /// for one Data entry, else a new [`DmaBuffer`](crate::hostmem::DmaBuffer) holding the
    /// segments).
    List(DataList),
    /// A list built beforehand.
    Prepared(Arc<PreparedSgl>),
}

/// One DMA job. LENGTH is the peer range's length; the list must add up to it (the engine
/// completes the job with 0Fh otherwise: submit does not second-guess the engine).
#[derive(Clone, Debug)]
pub enum Job {
    Nop,
    /// List addresses -> BAR2.
    Pull {
        peer: PeerRange,
        list: Sgl,
    },
    /// BAR2 -> list addresses.
    Push {
        peer: PeerRange,
        list: Sgl,
    },
    /// CRC32C of the BAR2 range, in [`Completion::result`].
    Checksum {
        peer: PeerRange,
    },
    /// Any SQ entry (its CID is replaced by the queue's; in interrupt mode FLAGS bit 0 is set),
    /// keeping `held` alive: for tests of malformed jobs.
    Raw {
        entry: SqEntry,
        held: Vec<Held>,
    },
}

/// A job's completion (its CQ entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completion {
    pub cid: u16,
    pub status: StatusCode,
    /// CHECKSUM: the CRC32C; PULL/PUSH: bytes moved, or the CRC32C of the bytes moved when
    /// submitted with [`QueuePair::submit_with_crc`](crate::dma::QueuePair::submit_with_crc)
    /// and successful.
    pub result: u32,
    pub sq_head: u16,
    pub sq_id: u16,
}

impl Completion {
    /// `Ok(self)` on success, else [`DmaError::Status`].
    pub fn check(self) -> Result<Completion> {
        if self.status.is_success() {
            Ok(self)
        } else {
            Err(Error::Dma(DmaError::Status {
                queue: self.sq_id,
                cid: self.cid,
                status: self.status,
            }))
        }
    }
}
