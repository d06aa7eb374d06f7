// SPDX-License-Identifier: MIT OR Apache-2.0
//! Shared SGL test tables (feature `test-utils`): malformed and valid lists with the status the
//! engine must complete them with, and a fake bus address space to run the validator on. The
//! driver's unit tests, the end-to-end tests over the simulation and the soak all use them; they
//! are not part of the library's API for users.

use crate::address::BusAddr;
use crate::dma::sgl::{validate, SglEntry, SglWalkError};
use crate::dma::wire::{Opcode, SglDescriptor, StatusCode};

/// A bus address space for tests: zero-filled readable regions, everything else unreadable
/// (reads fail with [`StatusCode::UnsupportedRequest`], what the engine would see).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FakeAddressSpace {
    regions: Vec<(BusAddr, Vec<u8>)>,
}

impl FakeAddressSpace {
    /// Adds a zero-filled readable region.
    pub fn add_region(&mut self, base: BusAddr, len: usize) {
        self.regions.push((base, vec![0; len]));
    }

    /// The region holding `len` bytes at `addr` (by index), and where `addr` lies in it.
    fn locate(&self, addr: BusAddr, len: usize) -> Option<(usize, usize)> {
        self.regions
            .iter()
            .enumerate()
            .find_map(|(index, (base, bytes))| {
                let start = usize::try_from(addr.offset_from(*base)?).ok()?;
                (start.checked_add(len)? <= bytes.len()).then_some((index, start))
            })
    }

    /// Writes `data` at `addr`; panics unless it lies inside one region.
    pub fn write(&mut self, addr: BusAddr, data: &[u8]) {
        let (index, start) = self
            .locate(addr, data.len())
            .expect("FakeAddressSpace::write outside every region");
        self.regions[index].1[start..start + data.len()].copy_from_slice(data);
    }

    /// Reads `buf.len()` bytes at `addr`, which must lie inside one region.
    pub fn read(&self, addr: BusAddr, buf: &mut [u8]) -> Result<(), StatusCode> {
        let (index, start) = self
            .locate(addr, buf.len())
            .ok_or(StatusCode::UnsupportedRequest)?;
        buf.copy_from_slice(&self.regions[index].1[start..start + buf.len()]);
        Ok(())
    }
}

/// Size of the list region [`malformed_list_cases`] and [`valid_list_cases`] place segments
/// in (the caller maps this much zeroed memory at `list_base`, freshly zeroed per case).
pub const CASE_LIST_REGION_LEN: usize = 16 * 1024;
/// Size of the data region the cases' Data Blocks point into (at `data_base`).
pub const CASE_DATA_REGION_LEN: usize = 16 * 1024;

/// One table-driven SGL test: a job's DPTR, LENGTH and opcode, the segment memory it names
/// and the status the engine must complete it with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SglCase {
    pub name: &'static str,
    pub opcode: Opcode,
    /// The job's LENGTH (BAR2_OFFSET is 0 for every case).
    pub length: u32,
    pub dptr: SglDescriptor,
    /// Bytes to write into the (zeroed) list region before submitting: (bus address, bytes).
    pub memory: Vec<(BusAddr, Vec<u8>)>,
    pub expected: StatusCode,
}

impl SglCase {
    /// The case's address space: the list region with its memory written, and the data region.
    pub fn address_space(&self, list_base: BusAddr, data_base: BusAddr) -> FakeAddressSpace {
        let mut space = FakeAddressSpace::default();
        space.add_region(list_base, CASE_LIST_REGION_LEN);
        space.add_region(data_base, CASE_DATA_REGION_LEN);
        for (addr, bytes) in &self.memory {
            space.write(*addr, bytes);
        }
        space
    }

    /// Runs [`validate`] on the case (read failures become their status code).
    pub fn validate(
        &self,
        list_base: BusAddr,
        data_base: BusAddr,
    ) -> Result<Vec<SglEntry>, StatusCode> {
        let space = self.address_space(list_base, data_base);
        validate(self.dptr, self.length, self.opcode, |a, b| space.read(a, b)).map_err(
            |e| match e {
                SglWalkError::Invalid { violation, .. } => violation.status(),
                SglWalkError::Read { error, .. } => error,
            },
        )
    }
}

pub(crate) fn descriptors(list: &[SglDescriptor]) -> Vec<u8> {
    list.iter().flat_map(|d| d.to_bytes()).collect()
}

/// Malformed lists, one rule broken per case, with the status the engine must return. Lists
/// live in a [`CASE_LIST_REGION_LEN`]-byte region at `list_base` (4 KiB aligned), Data Blocks
/// point into a [`CASE_DATA_REGION_LEN`]-byte region at `data_base`.
pub fn malformed_list_cases(list_base: BusAddr, data_base: BusAddr) -> Vec<SglCase> {
    let l = |off: u64| BusAddr::new(list_base.get() + off);
    let d = |off: u64| BusAddr::new(data_base.get() + off);
    let data = |off: u64, len: u32| SglDescriptor::data_block(d(off), len);
    let raw = |ty: u8| SglDescriptor::with_identifier(ty << 4, d(0), 512);
    use StatusCode::*;
    let case = |name, opcode, length, dptr, memory: Vec<(BusAddr, Vec<u8>)>, expected| SglCase {
        name,
        opcode,
        length,
        dptr,
        memory,
        expected,
    };
    // A segment of 255 zero-length Data Blocks chaining back to itself: an endless list that
    // moves nothing, so only the descriptor limit can end it.
    let mut self_loop = vec![SglDescriptor::data_block(d(0), 0); 255];
    self_loop.push(SglDescriptor::segment(l(0), 256 * 16));
    let mut ping = vec![SglDescriptor::data_block(d(0), 0); 127];
    ping.push(SglDescriptor::segment(l(0x2000), 128 * 16));
    let mut pong = vec![SglDescriptor::data_block(d(0), 0); 127];
    pong.push(SglDescriptor::segment(l(0), 128 * 16));
    vec![
        case(
            "dptr_keyed_data_block",
            Opcode::Pull,
            512,
            raw(0x4),
            vec![],
            InvalidSglSegmentDescriptor,
        ),
        case(
            "dptr_bit_bucket",
            Opcode::Pull,
            512,
            SglDescriptor::bit_bucket(512),
            vec![],
            InvalidSglSegmentDescriptor,
        ),
        case(
            "dptr_reserved_type",
            Opcode::Push,
            512,
            raw(0x7),
            vec![],
            InvalidSglSegmentDescriptor,
        ),
        case(
            "dptr_vendor_type",
            Opcode::Pull,
            512,
            raw(0xf),
            vec![],
            InvalidSglSegmentDescriptor,
        ),
        case(
            "segment_length_zero",
            Opcode::Pull,
            512,
            SglDescriptor::last_segment(l(0), 0),
            vec![(l(0), descriptors(&[data(0, 512)]))],
            InvalidSglSegmentDescriptor,
        ),
        case(
            "segment_length_not_multiple_of_16",
            Opcode::Pull,
            512,
            SglDescriptor::last_segment(l(0), 24),
            vec![(l(0), descriptors(&[data(0, 256), data(256, 256)]))],
            InvalidSglSegmentDescriptor,
        ),
        case(
            "segment_address_not_8_byte_aligned",
            Opcode::Push,
            512,
            SglDescriptor::last_segment(l(4), 16),
            vec![(l(4), descriptors(&[data(0, 512)]))],
            InvalidSglSegmentDescriptor,
        ),
        case(
            "last_segment_ends_in_segment",
            Opcode::Pull,
            512,
            SglDescriptor::last_segment(l(0), 32),
            vec![
                (
                    l(0),
                    descriptors(&[data(0, 256), SglDescriptor::last_segment(l(0x100), 16)]),
                ),
                (l(0x100), descriptors(&[data(256, 256)])),
            ],
            InvalidSglSegmentDescriptor,
        ),
        case(
            "last_segment_ends_in_segment_type_2",
            Opcode::Push,
            512,
            SglDescriptor::last_segment(l(0), 32),
            vec![
                (
                    l(0),
                    descriptors(&[data(0, 256), SglDescriptor::segment(l(0x100), 16)]),
                ),
                (l(0x100), descriptors(&[data(256, 256)])),
            ],
            InvalidSglSegmentDescriptor,
        ),
        case(
            "segment_descriptor_not_last",
            Opcode::Pull,
            512,
            SglDescriptor::last_segment(l(0), 32),
            vec![
                (
                    l(0),
                    descriptors(&[SglDescriptor::segment(l(0x100), 16), data(0, 256)]),
                ),
                (l(0x100), descriptors(&[data(256, 256)])),
            ],
            InvalidNumberOfSglDescriptors,
        ),
        case(
            "last_segment_descriptor_not_last",
            Opcode::Push,
            512,
            SglDescriptor::segment(l(0), 48),
            vec![
                (
                    l(0),
                    descriptors(&[
                        data(0, 256),
                        SglDescriptor::last_segment(l(0x100), 16),
                        data(256, 256),
                    ]),
                ),
                (l(0x100), descriptors(&[data(256, 256)])),
            ],
            InvalidNumberOfSglDescriptors,
        ),
        case(
            "inline_data_block_shorter_than_length",
            Opcode::Pull,
            1024,
            data(0, 512),
            vec![],
            DataSglLengthInvalid,
        ),
        case(
            "inline_data_block_longer_than_length",
            Opcode::Push,
            512,
            data(0, 1024),
            vec![],
            DataSglLengthInvalid,
        ),
        case(
            "list_shorter_than_length",
            Opcode::Pull,
            2048,
            SglDescriptor::last_segment(l(0), 32),
            vec![(l(0), descriptors(&[data(0, 512), data(1024, 512)]))],
            DataSglLengthInvalid,
        ),
        case(
            "list_longer_than_length",
            Opcode::Push,
            768,
            SglDescriptor::last_segment(l(0), 32),
            vec![(l(0), descriptors(&[data(0, 512), data(1024, 512)]))],
            DataSglLengthInvalid,
        ),
        case(
            "bit_bucket_overruns_length",
            Opcode::Pull,
            512,
            SglDescriptor::last_segment(l(0), 32),
            vec![(
                l(0),
                descriptors(&[data(0, 256), SglDescriptor::bit_bucket(512)]),
            )],
            DataSglLengthInvalid,
        ),
        case(
            "data_block_address_overflows",
            Opcode::Pull,
            512,
            SglDescriptor::last_segment(l(0), 16),
            vec![(
                l(0),
                descriptors(&[SglDescriptor::data_block(BusAddr::new(u64::MAX - 255), 512)]),
            )],
            DataSglLengthInvalid,
        ),
        case(
            "dptr_subtype_offset",
            Opcode::Pull,
            512,
            SglDescriptor::with_identifier(0x01, d(0), 512),
            vec![],
            InvalidSglSegmentDescriptor,
        ),
        case(
            "data_block_subtype_offset_in_list",
            Opcode::Pull,
            512,
            SglDescriptor::last_segment(l(0), 32),
            vec![(
                l(0),
                descriptors(&[
                    data(0, 256),
                    SglDescriptor::with_identifier(0x01, d(256), 256),
                ]),
            )],
            SglDescriptorTypeInvalid,
        ),
        case(
            "segment_address_overflows",
            Opcode::Pull,
            512,
            SglDescriptor::last_segment(BusAddr::new(u64::MAX - 15), 32),
            vec![],
            InvalidSglSegmentDescriptor,
        ),
        case(
            "keyed_data_block_in_list",
            Opcode::Pull,
            512,
            SglDescriptor::last_segment(l(0), 32),
            vec![(
                l(0),
                descriptors(&[
                    data(0, 256),
                    SglDescriptor::with_identifier(0x40, d(256), 256),
                ]),
            )],
            SglDescriptorTypeInvalid,
        ),
        case(
            "transport_data_block_in_list",
            Opcode::Push,
            512,
            SglDescriptor::last_segment(l(0), 32),
            vec![(
                l(0),
                descriptors(&[
                    data(0, 256),
                    SglDescriptor::with_identifier(0x50, d(256), 256),
                ]),
            )],
            SglDescriptorTypeInvalid,
        ),
        case(
            "vendor_descriptor_in_list",
            Opcode::Pull,
            512,
            SglDescriptor::last_segment(l(0), 32),
            vec![(
                l(0),
                descriptors(&[
                    SglDescriptor::with_identifier(0xf0, d(0), 256),
                    data(256, 256),
                ]),
            )],
            SglDescriptorTypeInvalid,
        ),
        case(
            "reserved_descriptor_in_list",
            Opcode::Push,
            512,
            SglDescriptor::last_segment(l(0), 32),
            vec![(
                l(0),
                descriptors(&[
                    data(0, 256),
                    SglDescriptor::with_identifier(0x90, d(256), 256),
                ]),
            )],
            SglDescriptorTypeInvalid,
        ),
        case(
            "bit_bucket_on_push",
            Opcode::Push,
            512,
            SglDescriptor::last_segment(l(0), 32),
            vec![(
                l(0),
                descriptors(&[data(0, 256), SglDescriptor::bit_bucket(256)]),
            )],
            SglDescriptorTypeInvalid,
        ),
        case(
            "segment_loops_to_itself",
            Opcode::Pull,
            512,
            SglDescriptor::segment(l(0), 256 * 16),
            vec![(l(0), descriptors(&self_loop))],
            SglDescriptorLimit,
        ),
        case(
            "two_segments_loop",
            Opcode::Push,
            512,
            SglDescriptor::segment(l(0), 128 * 16),
            vec![(l(0), descriptors(&ping)), (l(0x2000), descriptors(&pong))],
            SglDescriptorLimit,
        ),
    ]
}

/// Well-formed lists that exercise the rules' edges, all expected to complete with success,
/// in the same format as [`malformed_list_cases`].
pub fn valid_list_cases(list_base: BusAddr, data_base: BusAddr) -> Vec<SglCase> {
    let l = |off: u64| BusAddr::new(list_base.get() + off);
    let d = |off: u64| BusAddr::new(data_base.get() + off);
    let data = |off: u64, len: u32| SglDescriptor::data_block(d(off), len);
    let case = |name, opcode, length, dptr, memory: Vec<(BusAddr, Vec<u8>)>| SglCase {
        name,
        opcode,
        length,
        dptr,
        memory,
        expected: StatusCode::Success,
    };
    vec![
        case(
            "inline_data_block",
            Opcode::Pull,
            1000,
            data(3, 1000),
            vec![],
        ),
        case(
            "length_zero_ignores_dptr",
            Opcode::Push,
            0,
            SglDescriptor::with_identifier(0x40, d(0), 7),
            vec![],
        ),
        case(
            "last_segment_three_blocks",
            Opcode::Push,
            700,
            SglDescriptor::last_segment(l(0), 48),
            vec![(
                l(0),
                descriptors(&[data(0, 100), data(4096, 300), data(8191, 300)]),
            )],
        ),
        case(
            "zero_length_data_blocks_skipped",
            Opcode::Pull,
            512,
            SglDescriptor::last_segment(l(0), 48),
            vec![(
                l(0),
                descriptors(&[
                    data(0, 0),
                    data(0, 512),
                    SglDescriptor::data_block(BusAddr::new(0), 0),
                ]),
            )],
        ),
        case(
            "bit_bucket_on_pull",
            Opcode::Pull,
            768,
            SglDescriptor::last_segment(l(0), 48),
            vec![(
                l(0),
                descriptors(&[data(0, 256), SglDescriptor::bit_bucket(256), data(512, 256)]),
            )],
        ),
        case(
            "segment_then_last_segment",
            Opcode::Push,
            1024,
            SglDescriptor::segment(l(0), 32),
            vec![
                (
                    l(0),
                    descriptors(&[data(0, 512), SglDescriptor::last_segment(l(0x1000), 16)]),
                ),
                (l(0x1000), descriptors(&[data(2048, 512)])),
            ],
        ),
        case(
            "segment_ending_in_data_ends_the_list",
            Opcode::Pull,
            512,
            SglDescriptor::segment(l(0), 32),
            vec![(l(0), descriptors(&[data(0, 256), data(256, 256)]))],
        ),
        case(
            "segment_of_only_a_chain",
            Opcode::Pull,
            256,
            SglDescriptor::segment(l(0), 16),
            vec![
                (
                    l(0),
                    descriptors(&[SglDescriptor::last_segment(l(0x800), 16)]),
                ),
                (l(0x800), descriptors(&[data(64, 256)])),
            ],
        ),
    ]
}
