// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`validate`]: walks a list exactly like the engine and gives its entries or the first rule
//! it breaks ([`SglViolation`], whose [`SglViolation::status`] is the rule table).

use crate::address::BusAddr;
use crate::dma::sgl::{SglEntry, DESCRIPTOR_LIMIT};
use crate::dma::wire::{Opcode, SglDescriptor, SglType, StatusCode};

/// Each way a list can break the rules; [`SglViolation::status`] is the rule table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SglViolation {
    /// DPTR is not a Data Block, Segment or Last Segment.
    DptrType(SglType),
    /// A segment's length is zero or not a multiple of 16.
    SegmentLength(u32),
    /// A segment's address is not 8-byte aligned.
    SegmentAlignment(BusAddr),
    /// A segment's address + length overflows 64 bits.
    SegmentOverflow(BusAddr),
    /// DPTR has a subtype other than 0h (address).
    DptrSubtype(u8),
    /// A descriptor inside a list has a subtype other than 0h (address).
    DescriptorSubtype(u8),
    /// A Last Segment's segment ends in a Segment / Last Segment descriptor.
    ChainAfterLastSegment,
    /// A Segment / Last Segment descriptor that is not the last of its segment.
    ChainNotLast,
    /// A Bit Bucket in a PUSH.
    BitBucketOnPush,
    /// Keyed, Transport, vendor or reserved type inside a list.
    DescriptorType(SglType),
    /// Data Block / Bit Bucket lengths do not add up to LENGTH (`total` so far).
    LengthMismatch { total: u64, length: u32 },
    /// address + length overflows 64 bits.
    AddressOverflow(BusAddr),
    /// More than [`DESCRIPTOR_LIMIT`] descriptors.
    DescriptorLimit,
}

impl SglViolation {
    /// The status code the engine completes the job with: the rule table.
    pub const fn status(self) -> StatusCode {
        match self {
            SglViolation::DptrType(_)
            | SglViolation::SegmentLength(_)
            | SglViolation::SegmentAlignment(_)
            | SglViolation::SegmentOverflow(_)
            | SglViolation::DptrSubtype(_)
            | SglViolation::ChainAfterLastSegment => StatusCode::InvalidSglSegmentDescriptor,
            SglViolation::ChainNotLast => StatusCode::InvalidNumberOfSglDescriptors,
            SglViolation::LengthMismatch { .. } | SglViolation::AddressOverflow(_) => {
                StatusCode::DataSglLengthInvalid
            }
            SglViolation::BitBucketOnPush
            | SglViolation::DescriptorType(_)
            | SglViolation::DescriptorSubtype(_) => StatusCode::SglDescriptorTypeInvalid,
            SglViolation::DescriptorLimit => StatusCode::SglDescriptorLimit,
        }
    }
}

/// Why [`validate`] refused a list.
#[derive(Debug, PartialEq, Eq)]
pub enum SglWalkError<E> {
    /// The list breaks a rule: the engine completes the job with `violation.status()`.
    Invalid {
        violation: SglViolation,
        /// Bus address of the offending descriptor (`None`: DPTR or the end of the list).
        at: Option<BusAddr>,
    },
    /// Reading segment memory at `addr` failed.
    Read { addr: BusAddr, error: E },
}

impl<E> SglWalkError<E> {
    /// The status code of a rule violation (`None` for a read error).
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            SglWalkError::Invalid { violation, .. } => Some(violation.status()),
            SglWalkError::Read { .. } => None,
        }
    }
}

/// Walks the list of a PULL/PUSH job exactly like the engine and returns its non-empty entries
/// in order (zero-length Data Blocks and Bit Buckets dropped), or the first violation.
///
/// `read(addr, buf)` reads segment memory (host buffers, BAR2, a test map). NOP and CHECKSUM
/// ignore DPTR: they validate to an empty list.
pub fn validate<E, F>(
    dptr: SglDescriptor,
    length: u32,
    opcode: Opcode,
    read: F,
) -> Result<Vec<SglEntry>, SglWalkError<E>>
where
    F: Fn(BusAddr, &mut [u8]) -> Result<(), E>,
{
    if matches!(opcode, Opcode::Nop | Opcode::Checksum) || length == 0 {
        return Ok(Vec::new());
    }
    let mut walk = Walk {
        opcode,
        length,
        total: 0,
        entries: Vec::new(),
    };
    let invalid = |violation, at| SglWalkError::Invalid { violation, at };
    if dptr.subtype() != 0 {
        return Err(invalid(SglViolation::DptrSubtype(dptr.subtype()), None));
    }
    let mut current = match dptr.sgl_type() {
        SglType::DataBlock => {
            walk.take(&dptr).map_err(|v| invalid(v, None))?;
            return walk.finish().map_err(|v| invalid(v, None));
        }
        SglType::Segment | SglType::LastSegment => dptr,
        other => return Err(invalid(SglViolation::DptrType(other), None)),
    };
    let mut fetched: u64 = 0;
    'segments: loop {
        let seg_len = current.length();
        let seg_addr = current.address();
        let at = Some(seg_addr);
        if seg_len == 0 || seg_len % 16 != 0 {
            return Err(invalid(SglViolation::SegmentLength(seg_len), at));
        }
        if !seg_addr.is_aligned(8) {
            return Err(invalid(SglViolation::SegmentAlignment(seg_addr), at));
        }
        if seg_addr.checked_add(u64::from(seg_len)).is_none() {
            return Err(invalid(SglViolation::SegmentOverflow(seg_addr), at));
        }
        let count = u64::from(seg_len) / 16;
        for i in 0..count {
            fetched += 1;
            let addr = BusAddr::new(seg_addr.get() + i * 16);
            if fetched > DESCRIPTOR_LIMIT {
                return Err(invalid(SglViolation::DescriptorLimit, Some(addr)));
            }
            let mut bytes = [0u8; 16];
            read(addr, &mut bytes).map_err(|error| SglWalkError::Read { addr, error })?;
            let d = SglDescriptor::from_bytes(&bytes);
            if d.subtype() != 0 {
                return Err(invalid(
                    SglViolation::DescriptorSubtype(d.subtype()),
                    Some(addr),
                ));
            }
            let last = i + 1 == count;
            match d.sgl_type() {
                SglType::DataBlock | SglType::BitBucket => {
                    walk.take(&d).map_err(|v| invalid(v, Some(addr)))?;
                }
                SglType::Segment | SglType::LastSegment => {
                    if !last {
                        return Err(invalid(SglViolation::ChainNotLast, Some(addr)));
                    }
                    if current.sgl_type() == SglType::LastSegment {
                        return Err(invalid(SglViolation::ChainAfterLastSegment, Some(addr)));
                    }
                    current = d;
                    continue 'segments;
                }
                other => return Err(invalid(SglViolation::DescriptorType(other), Some(addr))),
            }
        }
        // The segment ended in a Data Block or Bit Bucket: the list ends here.
        return walk.finish().map_err(|v| invalid(v, None));
    }
}

struct Walk {
    opcode: Opcode,
    length: u32,
    total: u64,
    entries: Vec<SglEntry>,
}

impl Walk {
    /// Accounts for one Data Block or Bit Bucket.
    fn take(&mut self, d: &SglDescriptor) -> Result<(), SglViolation> {
        let len = d.length();
        let entry = match d.sgl_type() {
            SglType::BitBucket => {
                if self.opcode == Opcode::Push {
                    return Err(SglViolation::BitBucketOnPush);
                }
                SglEntry::BitBucket { len }
            }
            _ => {
                if d.address().checked_add(u64::from(len)).is_none() {
                    return Err(SglViolation::AddressOverflow(d.address()));
                }
                SglEntry::Data {
                    addr: d.address(),
                    len,
                }
            }
        };
        self.total += u64::from(len);
        if self.total > u64::from(self.length) {
            return Err(SglViolation::LengthMismatch {
                total: self.total,
                length: self.length,
            });
        }
        if len != 0 {
            self.entries.push(entry);
        }
        Ok(())
    }

    fn finish(self) -> Result<Vec<SglEntry>, SglViolation> {
        if self.total != u64::from(self.length) {
            return Err(SglViolation::LengthMismatch {
                total: self.total,
                length: self.length,
            });
        }
        Ok(self.entries)
    }
}

#[cfg(test)]
mod tests;
