// SPDX-License-Identifier: MIT OR Apache-2.0
//! What a copy is asked to do ([`CopyOptions`]) and why it refuses ([`CopyError`]).

use std::time::Duration;

use super::Step;

/// Which way the copy goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyDirection {
    /// NVMe -> BAR2 -> host (or CMB).
    ToHost,
    /// host -> BAR2 -> NVMe.
    ToNvme,
    /// To the SSD, then back over the same LBAs.
    Both,
}

/// Where the NVMe -> BAR2 leg's PUSH delivers the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyDestination {
    /// Host memory.
    Host,
    /// The SSD's controller memory buffer: another peer, reached by the engine's PUSH peer to
    /// peer (the SSD must have a CMB).
    Cmb,
}

/// What to copy, and how.
#[derive(Clone, Debug)]
pub struct CopyOptions {
    /// Bytes to move each way (a whole number of LBAs).
    pub size: u64,
    /// Bytes per chunk: one NVMe command and one engine job each (a whole number of LBAs).
    pub chunk: u64,
    /// Chunks in flight (each holds a BAR2 slot of `chunk` bytes); at most the chunk count.
    pub depth: usize,
    /// Which way the data goes.
    pub direction: CopyDirection,
    /// Where the NVMe -> BAR2 leg delivers.
    pub destination: CopyDestination,
    /// First LBA on the namespace.
    pub first_lba: u64,
    /// Seed of the data pattern.
    pub seed: u64,
    /// Check the engine's inline CRC of every PULL and PUSH and compare the bytes (false:
    /// throughput only).
    pub verify: bool,
    /// How long any one chunk may take.
    pub timeout: Duration,
}

/// Why a copy could not start or run. The first variants are options that do not fit the SSD
/// or the endpoint; `Device` is the driver's error.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The size or the chunk is not a whole number of LBAs.
    #[error("{what} {value} is not a whole number of {lba_size}-byte LBAs")]
    NotWholeLbas {
        what: SizeOption,
        value: u64,
        lba_size: u64,
    },
    /// The LBAs run past the end of the namespace.
    #[error("LBAs {first}..{end} go past the namespace's {count} LBAs")]
    PastNamespace { first: u64, end: u64, count: u64 },
    /// The chunk is above the controller's maximum data transfer size (MDTS).
    #[error(
        "the chunk of {chunk} bytes is above the controller's maximum transfer of {mdts} bytes"
    )]
    ChunkOverMdts { chunk: u64, mdts: u64 },
    /// The chunks in flight do not fit in BAR2.
    #[error("{depth} chunks of {chunk} bytes need more than BAR2's {bar2} bytes")]
    Bar2TooSmall { chunk: u64, depth: usize, bar2: u64 },
    /// The CMB destination, and the SSD has no CMB.
    #[error("the SSD has no controller memory buffer (CMBSZ is 0)")]
    NoCmb,
    /// The CMB destination for a copy that never reads the SSD into BAR2.
    #[error("the CMB destination applies to the NVMe -> BAR2 leg only")]
    CmbWithoutNvmeRead,
    /// The chunks in flight do not fit in the CMB.
    #[error("{depth} chunks of {chunk} bytes need more than the CMB's {cmb} bytes")]
    CmbTooSmall { chunk: u64, depth: usize, cmb: u64 },
    /// An NVMe command could not be submitted (`step` names it).
    #[error("submitting {step} of chunk {chunk}")]
    Submit {
        step: &'static str,
        chunk: u64,
        #[source]
        source: crate::Error,
    },
    /// A chunk's step did not complete within [`CopyOptions::timeout`].
    #[error("chunk {chunk} got no completion for its {step:?} step within {} s", timeout.as_secs_f64())]
    Timeout {
        chunk: u64,
        step: Step,
        timeout: Duration,
    },
    /// The driver's error (a device, a job submission, memory).
    #[error(transparent)]
    Device(#[from] crate::Error),
}

/// The option a [`CopyError::NotWholeLbas`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SizeOption {
    /// [`CopyOptions::size`].
    Size,
    /// [`CopyOptions::chunk`].
    Chunk,
}

impl std::fmt::Display for SizeOption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SizeOption::Size => "size",
            SizeOption::Chunk => "chunk",
        })
    }
}
