// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`SglBuilder`]: a list of entries laid out as DPTR plus segment memory.

use crate::address::BusAddr;
use crate::dma::sgl::{SglEntry, DEFAULT_DESCRIPTORS_PER_SEGMENT};
use crate::dma::wire::SglDescriptor;
use crate::dma::SglBuildError;
use crate::error::Result;

/// (contiguously) at the `list_base` given to [`SglBuilder::build`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltSgl {
    pub dptr: SglDescriptor,
    /// Segment memory image (empty when DPTR is an inline Data Block).
    pub list: Vec<u8>,
    /// Sum of the entries' lengths: the job's LENGTH.
    pub length: u32,
}

/// Builds DPTR + segment images from a list of entries: one inline Data Block for a single
/// Data entry, else a Last Segment pointing at one segment, chaining Segment descriptors when
/// the list exceeds `descriptors_per_segment` (default 256, at least 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SglBuilder {
    descriptors_per_segment: usize,
}

impl Default for SglBuilder {
    fn default() -> SglBuilder {
        SglBuilder {
            descriptors_per_segment: DEFAULT_DESCRIPTORS_PER_SEGMENT,
        }
    }
}

impl SglBuilder {
    /// A builder with at most `descriptors_per_segment` descriptors per segment (the chain
    /// descriptor included); fails below 2 or above 2^28 (a segment length must fit in u32).
    pub fn new(descriptors_per_segment: usize) -> Result<SglBuilder> {
        if !(2..=1 << 28).contains(&descriptors_per_segment) {
            return Err(SglBuildError::SegmentSize {
                descriptors: descriptors_per_segment,
            }
            .into());
        }
        Ok(SglBuilder {
            descriptors_per_segment,
        })
    }

    pub fn descriptors_per_segment(&self) -> usize {
        self.descriptors_per_segment
    }

    /// True when `entries` fit in DPTR alone (no segment memory needed).
    pub fn is_inline(entries: &[SglEntry]) -> bool {
        matches!(entries, [] | [SglEntry::Data { .. }])
    }

    /// Sizes of the segments for `n` entries (descriptor counts, chain descriptors included).
    fn segment_sizes(&self, n: usize) -> Vec<usize> {
        let per = self.descriptors_per_segment;
        let mut sizes = Vec::new();
        let mut left = n;
        while left > per {
            sizes.push(per);
            left -= per - 1;
        }
        sizes.push(left);
        sizes
    }

    /// Bytes of segment memory [`SglBuilder::build`] needs for `entries` (0 when inline).
    pub fn list_len(&self, entries: &[SglEntry]) -> usize {
        if SglBuilder::is_inline(entries) {
            return 0;
        }
        self.segment_sizes(entries.len()).iter().sum::<usize>() * SglDescriptor::SIZE
    }

    /// Builds the list for segment memory at `list_base` (8-byte aligned). Fails when the total
    /// length exceeds u32 (LENGTH) or a Data entry's address + length overflows.
    pub fn build(&self, entries: &[SglEntry], list_base: BusAddr) -> Result<BuiltSgl> {
        let mut total: u64 = 0;
        for e in entries {
            if let SglEntry::Data { addr, len } = *e {
                if addr.checked_add(u64::from(len)).is_none() {
                    return Err(SglBuildError::DataPastBusEnd { addr, len }.into());
                }
            }
            total += u64::from(e.len());
        }
        let length = u32::try_from(total).map_err(|_| SglBuildError::TotalOverLength { total })?;
        match entries {
            [] => {
                return Ok(BuiltSgl {
                    dptr: SglDescriptor::data_block(BusAddr::new(0), 0),
                    list: Vec::new(),
                    length,
                })
            }
            [e @ SglEntry::Data { .. }] => {
                return Ok(BuiltSgl {
                    dptr: e.descriptor(),
                    list: Vec::new(),
                    length,
                })
            }
            _ => {}
        }
        if !list_base.is_aligned(8) {
            return Err(SglBuildError::ListMisaligned { list_base }.into());
        }
        let sizes = self.segment_sizes(entries.len());
        let list_len = sizes.iter().sum::<usize>() * SglDescriptor::SIZE;
        if list_base.checked_add(list_len as u64).is_none() {
            return Err(SglBuildError::ListPastBusEnd {
                list_len,
                list_base,
            }
            .into());
        }
        let chain = |index: usize, offset: usize| {
            let addr = BusAddr::new(list_base.get() + offset as u64);
            let len = (sizes[index] * SglDescriptor::SIZE) as u32;
            if index + 1 == sizes.len() {
                SglDescriptor::last_segment(addr, len)
            } else {
                SglDescriptor::segment(addr, len)
            }
        };
        let dptr = chain(0, 0);
        let mut list = Vec::with_capacity(list_len);
        let mut rest = entries;
        let mut offset = 0;
        for (index, &size) in sizes.iter().enumerate() {
            let last_segment = index + 1 == sizes.len();
            let data = if last_segment { size } else { size - 1 };
            for e in &rest[..data] {
                list.extend_from_slice(&e.descriptor().to_bytes());
            }
            rest = &rest[data..];
            offset += size * SglDescriptor::SIZE;
            if !last_segment {
                list.extend_from_slice(&chain(index + 1, offset).to_bytes());
            }
        }
        debug_assert!(rest.is_empty());
        debug_assert_eq!(list.len(), list_len);
        Ok(BuiltSgl { dptr, list, length })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIST: BusAddr = BusAddr::new(0x10_0000);
    const DATA: BusAddr = BusAddr::new(0x20_0000);

    #[test]
    fn builder_shapes() {
        let b = SglBuilder::default();
        let one = [SglEntry::data(DATA, 100)];
        let built = b.build(&one, LIST).unwrap();
        assert_eq!(built.dptr, SglDescriptor::data_block(DATA, 100));
        assert!(built.list.is_empty());
        assert_eq!(b.list_len(&one), 0);

        let bucket = [SglEntry::BitBucket { len: 8 }];
        let built = b.build(&bucket, LIST).unwrap();
        assert_eq!(built.dptr, SglDescriptor::last_segment(LIST, 16));

        let small = SglBuilder::new(4).unwrap();
        let entries: Vec<_> = (0..10)
            .map(|i| SglEntry::data(BusAddr::new(DATA.get() + i * 64), 64))
            .collect();
        // 10 entries, 4 per segment: [3 + chain] [3 + chain] [4] = 12 descriptors.
        assert_eq!(small.list_len(&entries), 12 * 16);
        let built = small.build(&entries, LIST).unwrap();
        assert_eq!(built.dptr, SglDescriptor::segment(LIST, 64));
        assert_eq!(built.length, 640);
        let at = |i: usize| {
            SglDescriptor::from_bytes(built.list[i * 16..i * 16 + 16].try_into().unwrap())
        };
        assert_eq!(
            at(3),
            SglDescriptor::segment(BusAddr::new(LIST.get() + 64), 64)
        );
        assert_eq!(
            at(7),
            SglDescriptor::last_segment(BusAddr::new(LIST.get() + 128), 64)
        );
        assert_eq!(
            at(11),
            SglDescriptor::data_block(BusAddr::new(DATA.get() + 9 * 64), 64)
        );
        assert!(SglBuilder::new(1).is_err());
        assert!(b
            .build(
                &[SglEntry::data(DATA, 1), SglEntry::data(DATA, 1)],
                BusAddr::new(4)
            )
            .is_err());
        assert!(b
            .build(
                &[SglEntry::data(DATA, u32::MAX), SglEntry::data(DATA, 1)],
                LIST
            )
            .is_err());
    }
}
