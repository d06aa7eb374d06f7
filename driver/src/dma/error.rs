// SPDX-License-Identifier: MIT OR Apache-2.0
//! The DMA engine's errors: [`DmaError`], which the crate's [`Error`] carries as
//! [`Error::Dma`].

use std::time::Duration;

use crate::address::BusAddr;
use crate::error::Error;

use super::wire::StatusCode;

/// What can fail in the DMA engine's queues, jobs and peer memory.
#[derive(Debug, thiserror::Error)]
pub enum DmaError {
    #[error("the endpoint on {device} has no DMA engine (CAPABILITIES.DMA_ENGINE reads 0): this bitstream was built without it; load a build with the DMA engine")]
    EngineAbsent { device: String },

    #[error("DMA queue {queue} does not exist: the endpoint has {queues} queue pair(s) (CAPABILITIES.DMA_QUEUES)")]
    NoSuchQueue { queue: u16, queues: u16 },

    #[error("DMA queue {queue} is already in use by another QueuePair")]
    QueueInUse { queue: u16 },

    #[error("invalid DMA ring size of {entries} entries: a ring has 2 ..= 65536 entries")]
    InvalidQueueSize { entries: u32 },

    #[error("DMA queue {queue} is full ({in_flight} job(s) in flight, {entries}-entry SQ): wait for a completion and submit again")]
    QueueFull {
        queue: u16,
        entries: u32,
        in_flight: usize,
    },

    #[error("DMA queue {queue} was shut down before job {cid} completed")]
    QueueClosed { queue: u16, cid: u16 },

    /// The [`QueuePair`](super::QueuePair) was dropped before the engine fetched the job:
    /// dropping disabled the queue and saw it idle, so the job never ran and can never run,
    /// and its memory was released.
    #[error("DMA queue {queue} was dropped before the engine fetched job {cid}: the job did not run and will not run (its memory was released); submit it again on a new queue")]
    QueueDropped { queue: u16, cid: u16 },

    #[error("DMA queue {queue}{}: {reason}; drop the QueuePair and create the queue again (a job that was in flight may have moved part of its data: do not trust its targets)", job_label(.cid))]
    QueueLost {
        queue: u16,
        /// The job that was lost; `None` when a submit was refused on a queue already lost.
        cid: Option<u16>,
        reason: QueueLostReason,
    },

    #[error("DMA job {cid} on queue {queue} did not complete within {timeout:?}")]
    Timeout {
        queue: u16,
        cid: u16,
        timeout: Duration,
    },

    #[error("DMA job {cid} on queue {queue} completed with status {status}")]
    Status {
        queue: u16,
        cid: u16,
        status: StatusCode,
    },

    /// [`QueuePair::submit_with_crc`](super::QueuePair::submit_with_crc) of a job that moves
    /// no data.
    #[error("an inline CRC is for PULL and PUSH jobs only; a {job} job moves no data (use a CHECKSUM job for the CRC of a BAR2 range)")]
    CrcNeedsData { job: &'static str },

    #[error("no free BAR2 range of {len} bytes aligned to {align} (largest free range: {largest_free} bytes)")]
    PeerMemoryExhausted {
        len: u64,
        align: u64,
        largest_free: u64,
    },

    // Not a `#[source]`: the message already says why, and the tools print each source again.
    #[error("cannot build the scatter-gather list: {0}")]
    SglBuild(SglBuildError),
}

/// Why a scatter-gather list could not be laid out ([`DmaError::SglBuild`]).
#[derive(Debug, thiserror::Error)]
pub enum SglBuildError {
    #[error("{descriptors} descriptors per segment: need 2 ..= 2^28")]
    SegmentSize { descriptors: usize },

    #[error("data entry {addr} + {len} bytes overflows 64 bits")]
    DataPastBusEnd { addr: BusAddr, len: u32 },

    #[error("total length {total} does not fit the 32-bit LENGTH field")]
    TotalOverLength { total: u64 },

    #[error("list base {list_base} is not 8-byte aligned")]
    ListMisaligned { list_base: BusAddr },

    #[error("list of {list_len} bytes at {list_base} overflows 64 bits")]
    ListPastBusEnd { list_len: usize, list_base: BusAddr },

    #[error("a {len}-byte slice exceeds the 32-bit LENGTH")]
    SliceOverLength { len: u64 },
}

/// `?` on a builder step lands in the crate's error in one conversion.
impl From<SglBuildError> for Error {
    fn from(e: SglBuildError) -> Error {
        Error::Dma(DmaError::SglBuild(e))
    }
}

/// Why the device dropped a DMA queue's jobs ([`DmaError::QueueLost`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueLostReason {
    /// The function was reset (FLR, or anything else that reset the RTL): the queue's
    /// registers read their reset values. The engine is disabled too: enable it again.
    FunctionReset,
    /// The engine disabled the queue while the driver had it enabled: DMA_CONTROL.RESET, or an
    /// SQ entry the engine could not fetch (logged in DMA_ERROR_LOG with CID 0).
    QueueDisabled,
}

impl std::fmt::Display for QueueLostReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            QueueLostReason::FunctionReset => {
                "the device was reset (function-level reset) while the job was in flight: the queue's registers read their reset values"
            }
            QueueLostReason::QueueDisabled => {
                "the engine disabled the queue (DMA_CONTROL.RESET, or an SQ entry it could not fetch: see DMA_ERROR_LOG)"
            }
        })
    }
}

fn job_label(cid: &Option<u16>) -> String {
    match cid {
        Some(cid) => format!(" lost job {cid}"),
        None => " was lost before this submit".to_owned(),
    }
}
