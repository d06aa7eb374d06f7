// SPDX-License-Identifier: MIT OR Apache-2.0
//! The data mover: one command's bytes between the namespace (or a controller buffer, for
//! Identify) and the bus, in chunks that never cross a 4 KiB boundary.
//!
//! All commands share one bandwidth budget and are served in fetch order ([`Mover`]). Data to
//! the host goes out as posted writes; data from the host comes back through up to
//! [`MAX_READS_IN_FLIGHT`] reads, possibly out of order, and is committed to the namespace in
//! order, so a fault leaves everything after it unwritten.

use std::collections::BTreeMap;

use super::bus::{NvmeBus, ReadHandle};
use super::data_pointer::{Segment, PAGE};
use super::namespace::Namespace;
use super::status::Status;
use super::NvmeStats;

/// Reads the controller keeps outstanding at once (its tags).
pub(super) const MAX_READS_IN_FLIGHT: usize = 16;

/// This tick's share of the link, handed from command to command in fetch order.
pub(super) struct Mover {
    /// Bytes that may still be issued this tick; `None`: unlimited.
    budget: Option<u64>,
    reads_in_flight: usize,
    /// Set once a command could not issue its next chunk for lack of budget: the commands
    /// behind it wait too (FIFO).
    out_of_budget: bool,
    /// `post_write` pushed back: no more writes this tick.
    writes_blocked: bool,
    /// No read tag (ours or the bus's) free: no more reads this tick.
    reads_blocked: bool,
}

impl Mover {
    pub fn new(budget: Option<u64>, reads_in_flight: usize) -> Mover {
        Mover {
            budget,
            reads_in_flight,
            out_of_budget: false,
            writes_blocked: false,
            reads_blocked: false,
        }
    }

    /// What is left of the budget for the next tick.
    pub fn budget(&self) -> Option<u64> {
        self.budget
    }

    /// True when no command can issue anything more this tick.
    pub fn exhausted(&self) -> bool {
        self.out_of_budget || (self.writes_blocked && self.reads_blocked)
    }

    fn afford(&mut self, len: u64) -> bool {
        let ok = self.budget.is_none_or(|b| b >= len);
        self.out_of_budget |= !ok;
        ok
    }

    fn charge(&mut self, len: u64) {
        if let Some(b) = &mut self.budget {
            *b -= len;
        }
    }
}

/// Where data to the host comes from.
pub(super) enum Source {
    /// The namespace, from this byte offset.
    Namespace(u64),
    /// A buffer the controller built (Identify data).
    Buffer(Vec<u8>),
}

struct PendingRead {
    handle: ReadHandle,
    /// Offset of the chunk inside the transfer.
    offset: u64,
    len: u64,
}

enum Direction {
    ToHost {
        source: Source,
        /// A chunk the bus pushed back, to offer again.
        pending: Option<Vec<u8>>,
        /// Some write was accepted: completion waits for `writes_landed`.
        posted: bool,
    },
    FromHost {
        /// Namespace byte offset of the transfer's first byte.
        namespace_offset: u64,
        reads: Vec<PendingRead>,
        /// Chunks that arrived ahead of an earlier one, by transfer offset.
        arrived: BTreeMap<u64, Vec<u8>>,
        /// Bytes committed to the namespace, all in order from the start.
        committed: u64,
    },
}

pub(super) struct Transfer {
    segments: Vec<Segment>,
    /// The next chunk starts at `segments[segment]`, `segment_offset` bytes in.
    segment: usize,
    segment_offset: u64,
    /// Transfer bytes issued (or skipped) so far.
    issued: u64,
    direction: Direction,
    status: Status,
}

impl Transfer {
    /// Data to the host (Read, Identify) along `segments`.
    pub fn to_host(segments: Vec<Segment>, source: Source) -> Transfer {
        Transfer::new(
            segments,
            Direction::ToHost {
                source,
                pending: None,
                posted: false,
            },
        )
    }

    /// Data from the host (Write) along `segments`, into the namespace at `namespace_offset`.
    pub fn from_host(segments: Vec<Segment>, namespace_offset: u64) -> Transfer {
        Transfer::new(
            segments,
            Direction::FromHost {
                namespace_offset,
                reads: Vec::new(),
                arrived: BTreeMap::new(),
                committed: 0,
            },
        )
    }

    fn new(segments: Vec<Segment>, direction: Direction) -> Transfer {
        Transfer {
            segments,
            segment: 0,
            segment_offset: 0,
            issued: 0,
            direction,
            status: Status::SUCCESS,
        }
    }

    pub fn status(&self) -> Status {
        self.status
    }

    /// Reads this transfer has outstanding on the bus.
    pub fn reads_in_flight(&self) -> usize {
        match &self.direction {
            Direction::FromHost { reads, .. } => reads.len(),
            Direction::ToHost { .. } => 0,
        }
    }

    /// True when the transfer has nothing left to issue.
    fn issued_all(&self) -> bool {
        !self.status.is_success() || self.segment == self.segments.len()
    }

    /// True once every byte has moved (or the transfer failed) and nothing is outstanding:
    /// every posted write has landed, every read has come back.
    pub fn finished(&self, bus: &dyn NvmeBus) -> bool {
        self.issued_all()
            && match &self.direction {
                Direction::ToHost { posted, .. } => !posted || bus.writes_landed(),
                Direction::FromHost { reads, .. } => reads.is_empty(),
            }
    }

    /// Gives up the transfer (controller reset): the handles of reads still on the bus.
    pub fn into_reads(self) -> Vec<ReadHandle> {
        match self.direction {
            Direction::FromHost { reads, .. } => reads.into_iter().map(|r| r.handle).collect(),
            Direction::ToHost { .. } => Vec::new(),
        }
    }

    /// Issues chunks while the budget and the bus allow.
    pub fn issue(
        &mut self,
        mover: &mut Mover,
        bus: &mut dyn NvmeBus,
        namespace: &Namespace,
        stats: &mut NvmeStats,
    ) {
        while !self.issued_all() && !mover.out_of_budget {
            let (address, len) = match self.segments[self.segment] {
                Segment::Skip { len } => {
                    // A Bit Bucket: the bytes are not transferred, so they cost no link time.
                    self.advance(u64::from(len));
                    continue;
                }
                Segment::Data { address, len } => {
                    // `address + len - 1` does not overflow (data_pointer checked it).
                    let at = address + self.segment_offset;
                    let left = u64::from(len) - self.segment_offset;
                    (at, left.min(PAGE - at % PAGE))
                }
            };
            let accepted = match &mut self.direction {
                Direction::ToHost {
                    source,
                    pending,
                    posted,
                } => {
                    if mover.writes_blocked || !mover.afford(len) {
                        return;
                    }
                    let data = match pending.take() {
                        Some(d) => d,
                        None => match read_source(source, self.issued, len, namespace) {
                            Ok(d) => d,
                            Err(status) => {
                                self.fail(status);
                                return;
                            }
                        },
                    };
                    match bus.post_write(address, &data) {
                        Ok(true) => {
                            *posted = true;
                            if matches!(source, Source::Namespace(_)) {
                                stats.bytes_read += len;
                            }
                            true
                        }
                        Ok(false) => {
                            *pending = Some(data);
                            mover.writes_blocked = true;
                            false
                        }
                        Err(e) => {
                            log::warn!("NVMe: data write refused: {e}");
                            stats.dma_faults += 1;
                            self.fail(Status::DATA_TRANSFER_ERROR);
                            return;
                        }
                    }
                }
                Direction::FromHost { reads, .. } => {
                    if mover.reads_blocked
                        || mover.reads_in_flight >= MAX_READS_IN_FLIGHT
                        || !mover.afford(len)
                    {
                        mover.reads_blocked |= mover.reads_in_flight >= MAX_READS_IN_FLIGHT;
                        return;
                    }
                    match bus.start_read(address, len as u32) {
                        Ok(Some(handle)) => {
                            reads.push(PendingRead {
                                handle,
                                offset: self.issued,
                                len,
                            });
                            mover.reads_in_flight += 1;
                            true
                        }
                        Ok(None) => {
                            mover.reads_blocked = true;
                            false
                        }
                        Err(e) => {
                            log::warn!("NVMe: data read refused: {e}");
                            stats.dma_faults += 1;
                            self.fail(Status::DATA_TRANSFER_ERROR);
                            return;
                        }
                    }
                }
            };
            if !accepted {
                return;
            }
            mover.charge(len);
            self.advance(len);
        }
    }

    /// Collects the reads that came back and commits, in order, what can be committed.
    pub fn poll(
        &mut self,
        mover: &mut Mover,
        bus: &mut dyn NvmeBus,
        namespace: &mut Namespace,
        stats: &mut NvmeStats,
    ) {
        let Direction::FromHost {
            namespace_offset,
            reads,
            arrived,
            committed,
        } = &mut self.direction
        else {
            return;
        };
        let mut failure = None;
        reads.retain(|r| {
            let Some(outcome) = bus.poll_read(r.handle) else {
                return true;
            };
            mover.reads_in_flight = mover.reads_in_flight.saturating_sub(1);
            match outcome {
                Ok(data) if data.len() as u64 == r.len => {
                    arrived.insert(r.offset, data);
                }
                Ok(data) => {
                    log::warn!(
                        "NVMe: data read at transfer offset {:#x} returned {} bytes, not {}",
                        r.offset,
                        data.len(),
                        r.len
                    );
                    stats.dma_faults += 1;
                    failure = Some(Status::DATA_TRANSFER_ERROR);
                }
                Err(e) => {
                    log::warn!("NVMe: data read failed: {e}");
                    stats.dma_faults += 1;
                    failure = Some(Status::DATA_TRANSFER_ERROR);
                }
            }
            false
        });
        // Commit in order: a chunk that failed never arrives, so nothing after it is ever
        // written.
        while let Some(data) = arrived.remove(committed) {
            let at = *namespace_offset + *committed;
            if let Err(e) = namespace.write(at, &data) {
                log::error!("NVMe: {} write at {at:#x}: {e}", namespace.describe());
                failure = Some(Status::INTERNAL_ERROR);
                break;
            }
            stats.bytes_written += data.len() as u64;
            *committed += data.len() as u64;
        }
        if let Some(status) = failure {
            // What arrived beyond the gap can never be committed.
            arrived.clear();
            self.fail(status);
        }
    }

    /// Records the first failure: nothing more is issued.
    fn fail(&mut self, status: Status) {
        if self.status.is_success() {
            self.status = status;
        }
    }

    fn advance(&mut self, len: u64) {
        self.issued += len;
        self.segment_offset += len;
        if self.segment_offset == self.segments[self.segment].len() {
            self.segment += 1;
            self.segment_offset = 0;
        }
    }
}

fn read_source(
    source: &Source,
    offset: u64,
    len: u64,
    namespace: &Namespace,
) -> Result<Vec<u8>, Status> {
    let mut data = vec![0u8; len as usize];
    match source {
        Source::Namespace(base) => {
            let at = base + offset;
            namespace.read(at, &mut data).map_err(|e| {
                log::error!("NVMe: {} read at {at:#x}: {e}", namespace.describe());
                Status::INTERNAL_ERROR
            })?;
        }
        Source::Buffer(buffer) => {
            let bytes = usize::try_from(offset)
                .ok()
                .and_then(|start| buffer.get(start..start + data.len()))
                .ok_or(Status::INTERNAL_ERROR)?;
            data.copy_from_slice(bytes);
        }
    }
    Ok(data)
}
