// SPDX-License-Identifier: MIT OR Apache-2.0
// Generated from hw/regmap/wire.toml: do not edit (regenerate with cargo run -p peerbar-regmap).
//! Byte layouts of the DMA engine's wire formats (hw/regmap/wire.toml): `#[repr(C)]` structs of
//! little-endian fields (alignment 1, no padding) with their size and offsets checked at
//! compile time. `wire.rs` gives them typed getters and constructors; the code values
//! are in [`codes`].

use std::mem::{offset_of, size_of};

use zerocopy::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// NVMe SGL descriptor (16 bytes): NVMe Base Specification, "SGL Descriptor" (figure "Generic SGL Descriptor Format").
#[derive(Clone, Copy, Default, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
#[repr(C)]
pub struct SglDescriptor {
    /// Bus address (Data Block, Bit Bucket: ignored; Segment, Last Segment: of the next segment).
    pub(crate) address: U64,
    /// Bytes (Segment, Last Segment: of the segment, a multiple of 16).
    pub(crate) length: U32,
    pub(crate) reserved_12: [u8; 3],
    /// SGL Identifier: type in bits 7:4, subtype in bits 3:0.
    pub(crate) identifier: u8,
}

const _: () = assert!(size_of::<SglDescriptor>() == 16);
const _: () = assert!(offset_of!(SglDescriptor, address) == 0);
const _: () = assert!(offset_of!(SglDescriptor, length) == 8);
const _: () = assert!(offset_of!(SglDescriptor, identifier) == 15);

/// SQ entry (64 bytes): peerbar (docs/dma-engine.md); DPTR as NVMe's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
#[repr(C)]
pub struct SqEntry {
    /// Opcode (below).
    pub(crate) opcode: u8,
    /// FLAGS (bits below); other bits reserved.
    pub(crate) flags: u8,
    /// Command identifier, echoed in the CQ entry.
    pub(crate) cid: U16,
    pub(crate) reserved_4: [u8; 4],
    /// Byte offset in BAR2 (any alignment).
    pub(crate) bar2_offset: U64,
    /// Bytes to move or checksum (0: nothing, success).
    pub(crate) length: U32,
    pub(crate) reserved_20: [u8; 4],
    /// One NVMe SGL descriptor; ignored by NOP and CHECKSUM.
    pub(crate) dptr: SglDescriptor,
    pub(crate) reserved_40: [u8; 24],
}

const _: () = assert!(size_of::<SqEntry>() == 64);
const _: () = assert!(offset_of!(SqEntry, opcode) == 0);
const _: () = assert!(offset_of!(SqEntry, flags) == 1);
const _: () = assert!(offset_of!(SqEntry, cid) == 2);
const _: () = assert!(offset_of!(SqEntry, bar2_offset) == 8);
const _: () = assert!(offset_of!(SqEntry, length) == 16);
const _: () = assert!(offset_of!(SqEntry, dptr) == 24);

/// CQ entry (16 bytes): peerbar (docs/dma-engine.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
#[repr(C)]
pub struct CqEntry {
    /// CHECKSUM: the CRC32C; PULL/PUSH with FLAGS.CRC and status Success: the CRC32C of the bytes moved; otherwise PULL/PUSH: bytes moved before completion.
    pub(crate) result: U32,
    pub(crate) reserved_4: [u8; 4],
    /// SQ head after this command was fetched.
    pub(crate) sq_head: U16,
    /// Queue number.
    pub(crate) sq_id: U16,
    /// The command's CID.
    pub(crate) cid: U16,
    /// Bit 0: phase tag; bits 15:1: status code (below).
    pub(crate) status: U16,
}

const _: () = assert!(size_of::<CqEntry>() == 16);
const _: () = assert!(offset_of!(CqEntry, result) == 0);
const _: () = assert!(offset_of!(CqEntry, sq_head) == 8);
const _: () = assert!(offset_of!(CqEntry, sq_id) == 10);
const _: () = assert!(offset_of!(CqEntry, cid) == 12);
const _: () = assert!(offset_of!(CqEntry, status) == 14);

/// Code values (hw/regmap/wire.toml).
pub mod codes {
    // SQ entry opcodes
    /// Moves nothing; completes with success.
    pub const OPCODE_NOP: u8 = 0x00;
    /// Bytes from the list's addresses into BAR2.
    pub const OPCODE_PULL: u8 = 0x01;
    /// BAR2 out to the list's addresses.
    pub const OPCODE_PUSH: u8 = 0x02;
    /// CRC32C (Castagnoli, reflected, init FFFFFFFFh, final XOR FFFFFFFFh) of BAR2[BAR2_OFFSET .. + LENGTH], in RESULT.
    pub const OPCODE_CHECKSUM: u8 = 0x03;
    // SQ entry FLAGS bits
    /// Raise the queue's MSI-X vector on completion.
    pub const SQ_FLAG_INTERRUPT: u8 = 0x01;
    /// PULL, PUSH: return the CRC32C (as CHECKSUM's) of the bytes moved, in BAR2 order, in RESULT; a Bit Bucket's bytes count as zeros. Ignored by NOP and CHECKSUM.
    pub const SQ_FLAG_CRC: u8 = 0x02;
    // CQ entry status codes (STATUS bits 15:1)
    /// Success.
    pub const STATUS_SUCCESS: u16 = 0x00;
    /// Invalid opcode (NVMe Generic Command Status).
    pub const STATUS_INVALID_OPCODE: u16 = 0x01;
    /// Invalid SGL Segment Descriptor (NVMe).
    pub const STATUS_SGL_SEGMENT: u16 = 0x0d;
    /// Invalid Number of SGL Descriptors (NVMe).
    pub const STATUS_SGL_COUNT: u16 = 0x0e;
    /// Data SGL Length Invalid (NVMe).
    pub const STATUS_SGL_LENGTH: u16 = 0x0f;
    /// SGL Descriptor Type Invalid (NVMe).
    pub const STATUS_SGL_TYPE: u16 = 0x11;
    /// BAR2_OFFSET + LENGTH past the end of BAR2.
    pub const STATUS_BAR_RANGE: u16 = 0xc0;
    /// SGL descriptor limit exceeded (loop or endless list).
    pub const STATUS_SGL_LIMIT: u16 = 0xc1;
    /// Unsupported Request completion to one of the job's reads.
    pub const STATUS_UR: u16 = 0xc2;
    /// Completer Abort completion.
    pub const STATUS_CA: u16 = 0xc3;
    /// Poisoned completion data.
    pub const STATUS_POISONED: u16 = 0xc4;
    /// Completion timeout (DMA_COMPLETION_TIMEOUT cycles without the data).
    pub const STATUS_TIMEOUT: u16 = 0xc5;
    /// Bad completion: the PCIe block ended one of the job's reads on a completion that did not fit it (block error codes 3-5, or a last completion that could not be taken as data); counted in DMA_ERR_BAD_COMPLETION, never taken as data (one whose beat count disagrees with its DWORD count may have written its earlier beats inside the read's own destination, never outside it).
    pub const STATUS_BAD_COMPLETION: u16 = 0xc6;
}
