// SPDX-License-Identifier: MIT OR Apache-2.0
//! Data pointers: a command's PRP entries or SGL, walked and checked in full before any data
//! moves, into the list of bus ranges its data goes to or comes from. A malformed pointer
//! therefore fails the command with nothing moved. PRP lists and SGL segments are read from
//! host memory; the walk stops at the first violation, in list order, and that decides the
//! status.

use peerbar::dma::wire::{SglDescriptor, SglType};

use super::bus::NvmeBus;
use super::status::Status;

/// The memory page size (CC.MPS = 0: CAP.MPSMIN = MPSMAX = 0 allow nothing else).
pub(super) const PAGE: u64 = 4096;
/// SGL descriptors one command may use before it is taken for a loop (0Eh).
pub(super) const MAX_SGL_DESCRIPTORS: u64 = 65_536;

/// One piece of a command's data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Segment {
    /// `len` bytes at bus address `address` (`address + len - 1` does not overflow).
    Data { address: u64, len: u32 },
    /// A Bit Bucket: `len` bytes of a Read that are not transferred.
    Skip { len: u32 },
}

impl Segment {
    pub fn len(&self) -> u64 {
        match *self {
            Segment::Data { len, .. } | Segment::Skip { len } => u64::from(len),
        }
    }
}

/// Walks PRP1/PRP2 for a transfer of `len` bytes (`len` > 0).
pub(super) fn map_prp(
    prp1: u64,
    prp2: u64,
    len: u64,
    bus: &mut dyn NvmeBus,
) -> Result<Vec<Segment>, Status> {
    if prp1 % 4 != 0 {
        return Err(Status::PRP_OFFSET_INVALID);
    }
    let first = len.min(PAGE - prp1 % PAGE);
    let mut segments = vec![data(prp1, first)];
    let mut remaining = len - first;
    if remaining == 0 {
        return Ok(segments);
    }
    if remaining <= PAGE {
        // PRP2 is the second (and last) page.
        if prp2 % PAGE != 0 {
            return Err(Status::PRP_OFFSET_INVALID);
        }
        segments.push(data(prp2, remaining));
        return Ok(segments);
    }
    // PRP2 points into a PRP list; a list runs to the end of its page, and when more entries
    // are needed than the page holds, its last entry points to the next list page.
    if prp2 % 8 != 0 {
        return Err(Status::PRP_OFFSET_INVALID);
    }
    let mut list = prp2;
    loop {
        let slots = (PAGE - list % PAGE) / 8;
        let pages = remaining.div_ceil(PAGE);
        let (entries, chained) = if pages <= slots {
            (pages, false)
        } else {
            (slots - 1, true)
        };
        let count = entries + u64::from(chained);
        let mut raw = vec![0u8; (count * 8) as usize];
        bus.read_host(list, &mut raw)
            .map_err(|_| Status::DATA_TRANSFER_ERROR)?;
        let mut values = raw
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")));
        for entry in values.by_ref().take(entries as usize) {
            if entry % PAGE != 0 {
                return Err(Status::PRP_OFFSET_INVALID);
            }
            let n = remaining.min(PAGE);
            segments.push(data(entry, n));
            remaining -= n;
        }
        match values.next() {
            Some(next) if chained => {
                if next % PAGE != 0 {
                    return Err(Status::PRP_OFFSET_INVALID);
                }
                list = next;
            }
            _ => return Ok(segments),
        }
    }
}

/// Walks the SGL whose first descriptor is `dptr` for a transfer of `len` bytes (`len` > 0).
/// `write` (data from the host) forbids Bit Buckets.
pub(super) fn map_sgl(
    dptr: SglDescriptor,
    len: u64,
    write: bool,
    bus: &mut dyn NvmeBus,
) -> Result<Vec<Segment>, Status> {
    let mut walk = SglWalk {
        segments: Vec::new(),
        total: 0,
        len,
        write,
    };
    if dptr.subtype() != 0 {
        return Err(Status::INVALID_SGL_SEGMENT_DESCRIPTOR);
    }
    match dptr.sgl_type() {
        SglType::DataBlock => walk.data_block(&dptr)?,
        SglType::Segment | SglType::LastSegment => walk.segments_from(dptr, bus)?,
        _ => return Err(Status::INVALID_SGL_SEGMENT_DESCRIPTOR),
    }
    if walk.total != len {
        return Err(Status::DATA_SGL_LENGTH_INVALID);
    }
    Ok(walk.segments)
}

struct SglWalk {
    segments: Vec<Segment>,
    /// Bytes described so far (Data Blocks and Bit Buckets).
    total: u64,
    len: u64,
    write: bool,
}

impl SglWalk {
    /// Follows Segment / Last Segment descriptors from `first` to the end of the list.
    fn segments_from(&mut self, first: SglDescriptor, bus: &mut dyn NvmeBus) -> Result<(), Status> {
        let mut next = Some(first);
        let mut descriptors = 0u64;
        while let Some(pointer) = next.take() {
            let last = pointer.sgl_type() == SglType::LastSegment;
            let address = pointer.address().get();
            let bytes = u64::from(pointer.length());
            if bytes == 0
                || bytes % SglDescriptor::SIZE as u64 != 0
                || address % 8 != 0
                || address.checked_add(bytes - 1).is_none()
            {
                return Err(Status::INVALID_SGL_SEGMENT_DESCRIPTOR);
            }
            let count = bytes / SglDescriptor::SIZE as u64;
            descriptors += count;
            if descriptors > MAX_SGL_DESCRIPTORS {
                return Err(Status::INVALID_NUMBER_OF_SGL_DESCRIPTORS);
            }
            let mut raw = vec![0u8; bytes as usize];
            bus.read_host(address, &mut raw)
                .map_err(|_| Status::DATA_TRANSFER_ERROR)?;
            for (i, chunk) in raw.chunks_exact(SglDescriptor::SIZE).enumerate() {
                let d = SglDescriptor::from_bytes(chunk.try_into().expect("16 bytes"));
                let final_in_segment = i as u64 + 1 == count;
                match d.sgl_type() {
                    SglType::Segment | SglType::LastSegment => {
                        if !final_in_segment {
                            return Err(Status::INVALID_NUMBER_OF_SGL_DESCRIPTORS);
                        }
                        if d.subtype() != 0 {
                            return Err(Status::SGL_DESCRIPTOR_TYPE_INVALID);
                        }
                        if last {
                            return Err(Status::INVALID_SGL_SEGMENT_DESCRIPTOR);
                        }
                        next = Some(d);
                    }
                    SglType::DataBlock if d.subtype() == 0 => self.data_block(&d)?,
                    SglType::BitBucket if d.subtype() == 0 && !self.write => {
                        self.add(Segment::Skip { len: d.length() })?;
                    }
                    _ => return Err(Status::SGL_DESCRIPTOR_TYPE_INVALID),
                }
            }
        }
        Ok(())
    }

    fn data_block(&mut self, d: &SglDescriptor) -> Result<(), Status> {
        let len = d.length();
        if len == 0 {
            return Ok(());
        }
        let address = d.address().get();
        if address.checked_add(u64::from(len) - 1).is_none() {
            return Err(Status::DATA_SGL_LENGTH_INVALID);
        }
        self.add(Segment::Data { address, len })
    }

    /// Appends a non-empty segment, failing as soon as the list describes more than the
    /// transfer.
    fn add(&mut self, segment: Segment) -> Result<(), Status> {
        if segment.len() == 0 {
            return Ok(());
        }
        self.total += segment.len();
        if self.total > self.len {
            return Err(Status::DATA_SGL_LENGTH_INVALID);
        }
        self.segments.push(segment);
        Ok(())
    }
}

/// A PRP segment: at most one page, so the length fits.
fn data(address: u64, len: u64) -> Segment {
    Segment::Data {
        address,
        len: len as u32,
    }
}
