// SPDX-License-Identifier: MIT OR Apache-2.0
//! Wire formats shared with the RTL: SGL descriptors, SQ and CQ entries, opcodes, status codes.
//!
//! The layouts and code values are generated from hw/regmap/wire.toml (`wire_layout`, with
//! compile-time size and offset checks; docs/wire.md); here they get typed getters,
//! constructors and the enums users match on.

use std::fmt;

use zerocopy::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, IntoBytes};

use super::wire_layout::codes;
pub use super::wire_layout::{CqEntry, SglDescriptor, SqEntry};
use crate::address::{BarOffset, BusAddr};

/// SGL descriptor type (bits 7:4 of the SGL Identifier, byte 15).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SglType {
    /// 0h: Data Block.
    DataBlock,
    /// 1h: Bit Bucket.
    BitBucket,
    /// 2h: Segment.
    Segment,
    /// 3h: Last Segment.
    LastSegment,
    /// 4h: Keyed SGL Data Block.
    KeyedDataBlock,
    /// 5h: Transport SGL Data Block.
    TransportDataBlock,
    /// Fh: vendor specific.
    Vendor,
    /// 6h-Eh: reserved (the value is the type nibble).
    Reserved(u8),
}

impl SglType {
    /// Decodes a type nibble (only the low 4 bits of `nibble` are used).
    pub(crate) const fn from_nibble(nibble: u8) -> SglType {
        match nibble & 0xf {
            0x0 => SglType::DataBlock,
            0x1 => SglType::BitBucket,
            0x2 => SglType::Segment,
            0x3 => SglType::LastSegment,
            0x4 => SglType::KeyedDataBlock,
            0x5 => SglType::TransportDataBlock,
            0xf => SglType::Vendor,
            other => SglType::Reserved(other),
        }
    }

    /// The type nibble.
    pub const fn nibble(self) -> u8 {
        match self {
            SglType::DataBlock => 0x0,
            SglType::BitBucket => 0x1,
            SglType::Segment => 0x2,
            SglType::LastSegment => 0x3,
            SglType::KeyedDataBlock => 0x4,
            SglType::TransportDataBlock => 0x5,
            SglType::Vendor => 0xf,
            SglType::Reserved(n) => n & 0xf,
        }
    }
}

impl SglDescriptor {
    /// Size of a descriptor in bytes.
    pub const SIZE: usize = 16;

    /// A descriptor of type `ty` with subtype 0 (Address).
    pub fn new(ty: SglType, address: BusAddr, length: u32) -> SglDescriptor {
        SglDescriptor::with_identifier(ty.nibble() << 4, address, length)
    }

    /// A descriptor with a raw SGL Identifier byte (type and subtype), for tests of
    /// malformed lists.
    pub fn with_identifier(identifier: u8, address: BusAddr, length: u32) -> SglDescriptor {
        SglDescriptor {
            address: U64::new(address.get()),
            length: U32::new(length),
            reserved_12: [0; 3],
            identifier,
        }
    }

    /// A Data Block: `length` bytes at `address`.
    pub fn data_block(address: BusAddr, length: u32) -> SglDescriptor {
        SglDescriptor::new(SglType::DataBlock, address, length)
    }

    /// A Bit Bucket of `length` bytes (address 0).
    pub fn bit_bucket(length: u32) -> SglDescriptor {
        SglDescriptor::new(SglType::BitBucket, BusAddr::new(0), length)
    }

    /// A Segment descriptor: the segment at `address` (`length` bytes of descriptors) ends in
    /// another Segment or Last Segment descriptor.
    pub fn segment(address: BusAddr, length: u32) -> SglDescriptor {
        SglDescriptor::new(SglType::Segment, address, length)
    }

    /// A Last Segment descriptor: the segment at `address` is the list's last.
    pub fn last_segment(address: BusAddr, length: u32) -> SglDescriptor {
        SglDescriptor::new(SglType::LastSegment, address, length)
    }

    pub fn address(&self) -> BusAddr {
        BusAddr::new(self.address.get())
    }

    pub fn length(&self) -> u32 {
        self.length.get()
    }

    /// The descriptor type (identifier bits 7:4).
    pub fn sgl_type(&self) -> SglType {
        SglType::from_nibble(self.identifier >> 4)
    }

    /// The descriptor subtype (identifier bits 3:0; 0 = Address).
    pub fn subtype(&self) -> u8 {
        self.identifier & 0xf
    }

    /// The raw SGL Identifier byte.
    pub fn identifier(&self) -> u8 {
        self.identifier
    }

    /// The 16 bytes as they sit in memory.
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b.copy_from_slice(self.as_bytes());
        b
    }

    /// Decodes 16 bytes as they sit in memory.
    pub fn from_bytes(bytes: &[u8; 16]) -> SglDescriptor {
        SglDescriptor::read_from_bytes(bytes).expect("16 bytes are one descriptor")
    }
}

impl fmt::Debug for SglDescriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SglDescriptor")
            .field("type", &self.sgl_type())
            .field("subtype", &self.subtype())
            .field("address", &self.address())
            .field("length", &self.length())
            .finish()
    }
}

/// SQ entry opcodes (byte 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Opcode {
    /// 00h: completes with success, moves nothing.
    Nop,
    /// 01h: list addresses -> BAR2.
    Pull,
    /// 02h: BAR2 -> list addresses.
    Push,
    /// 03h: CRC32C of a BAR2 range, returned in RESULT.
    Checksum,
}

impl Opcode {
    pub(crate) const fn code(self) -> u8 {
        match self {
            Opcode::Nop => codes::OPCODE_NOP,
            Opcode::Pull => codes::OPCODE_PULL,
            Opcode::Push => codes::OPCODE_PUSH,
            Opcode::Checksum => codes::OPCODE_CHECKSUM,
        }
    }

    /// `None` for a code the engine does not implement (it completes such a job with
    /// [`StatusCode::InvalidOpcode`]).
    pub(crate) const fn from_code(code: u8) -> Option<Opcode> {
        match code {
            codes::OPCODE_NOP => Some(Opcode::Nop),
            codes::OPCODE_PULL => Some(Opcode::Pull),
            codes::OPCODE_PUSH => Some(Opcode::Push),
            codes::OPCODE_CHECKSUM => Some(Opcode::Checksum),
            _ => None,
        }
    }
}

/// SQ entry FLAGS bits (hw/regmap/wire.toml), for entries built by hand ([`SqEntry::new`],
/// `Job::Raw`): [`QueuePair::submit`](crate::dma::QueuePair::submit) sets the interrupt bit
/// in interrupt mode and [`QueuePair::submit_with_crc`](crate::dma::QueuePair::submit_with_crc)
/// the CRC bit.
pub use super::wire_layout::codes::{SQ_FLAG_CRC, SQ_FLAG_INTERRUPT};

impl SqEntry {
    /// Size of an entry in bytes.
    pub(crate) const SIZE: usize = 64;

    /// An entry with every reserved byte zero.
    pub fn new(
        opcode: Opcode,
        flags: u8,
        cid: u16,
        bar2_offset: BarOffset,
        length: u32,
        dptr: SglDescriptor,
    ) -> SqEntry {
        SqEntry::with_raw_opcode(opcode.code(), flags, cid, bar2_offset, length, dptr)
    }

    /// Like [`SqEntry::new`] with any opcode byte (tests of [`StatusCode::InvalidOpcode`]).
    pub fn with_raw_opcode(
        opcode: u8,
        flags: u8,
        cid: u16,
        bar2_offset: BarOffset,
        length: u32,
        dptr: SglDescriptor,
    ) -> SqEntry {
        SqEntry {
            opcode,
            flags,
            cid: U16::new(cid),
            reserved_4: [0; 4],
            bar2_offset: U64::new(bar2_offset.get()),
            length: U32::new(length),
            reserved_20: [0; 4],
            dptr,
            reserved_40: [0; 24],
        }
    }

    /// The opcode, `None` for an unknown code (see [`SqEntry::raw_opcode`]).
    pub fn opcode(&self) -> Option<Opcode> {
        Opcode::from_code(self.opcode)
    }

    pub fn raw_opcode(&self) -> u8 {
        self.opcode
    }

    pub(crate) fn flags(&self) -> u8 {
        self.flags
    }

    pub(crate) fn set_flags(&mut self, flags: u8) {
        self.flags = flags;
    }

    pub fn cid(&self) -> u16 {
        self.cid.get()
    }

    pub(crate) fn set_cid(&mut self, cid: u16) {
        self.cid = U16::new(cid);
    }

    pub fn bar2_offset(&self) -> BarOffset {
        BarOffset::new(self.bar2_offset.get())
    }

    pub fn length(&self) -> u32 {
        self.length.get()
    }

    pub fn dptr(&self) -> SglDescriptor {
        self.dptr
    }
}

impl CqEntry {
    /// Size of an entry in bytes.
    pub(crate) const SIZE: usize = 16;
    /// Byte offset of the STATUS word (phase tag in bit 0) inside an entry.
    pub const STATUS_OFFSET: usize = 14;

    /// An entry as the engine writes it (for fakes and models of the engine).
    pub fn new(
        result: u32,
        sq_head: u16,
        sq_id: u16,
        cid: u16,
        status: StatusCode,
        phase: bool,
    ) -> CqEntry {
        CqEntry {
            result: U32::new(result),
            reserved_4: [0; 4],
            sq_head: U16::new(sq_head),
            sq_id: U16::new(sq_id),
            cid: U16::new(cid),
            status: U16::new(status_word(status, phase)),
        }
    }

    pub fn result(&self) -> u32 {
        self.result.get()
    }

    pub(crate) fn sq_head(&self) -> u16 {
        self.sq_head.get()
    }

    pub(crate) fn sq_id(&self) -> u16 {
        self.sq_id.get()
    }

    pub fn cid(&self) -> u16 {
        self.cid.get()
    }

    /// The phase tag (STATUS bit 0).
    pub fn phase(&self) -> bool {
        self.status.get() & 1 != 0
    }

    /// The status code (STATUS bits 15:1).
    pub fn status(&self) -> StatusCode {
        StatusCode::from_code(self.status.get() >> 1)
    }

    /// The raw STATUS word.
    pub fn raw_status(&self) -> u16 {
        self.status.get()
    }
}

/// The STATUS word of a CQ entry: code in bits 15:1, phase in bit 0.
pub(crate) fn status_word(status: StatusCode, phase: bool) -> u16 {
    (status.code() << 1) | u16::from(phase)
}

/// A job's completion status (CQ entry STATUS bits 15:1), mirroring the RTL's codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatusCode {
    /// 000h.
    Success,
    /// 001h.
    InvalidOpcode,
    /// 00Dh.
    InvalidSglSegmentDescriptor,
    /// 00Eh.
    InvalidNumberOfSglDescriptors,
    /// 00Fh.
    DataSglLengthInvalid,
    /// 011h.
    SglDescriptorTypeInvalid,
    /// 0C0h.
    Bar2Range,
    /// 0C1h.
    SglDescriptorLimit,
    /// 0C2h.
    UnsupportedRequest,
    /// 0C3h.
    CompleterAbort,
    /// 0C4h.
    Poisoned,
    /// 0C5h.
    CompletionTimeout,
    /// 0C6h.
    BadCompletion,
    /// A code this driver does not know (15 bits).
    Unknown(u16),
}

impl StatusCode {
    /// Decodes a 15-bit status code.
    pub(crate) const fn from_code(code: u16) -> StatusCode {
        match code {
            codes::STATUS_SUCCESS => StatusCode::Success,
            codes::STATUS_INVALID_OPCODE => StatusCode::InvalidOpcode,
            codes::STATUS_SGL_SEGMENT => StatusCode::InvalidSglSegmentDescriptor,
            codes::STATUS_SGL_COUNT => StatusCode::InvalidNumberOfSglDescriptors,
            codes::STATUS_SGL_LENGTH => StatusCode::DataSglLengthInvalid,
            codes::STATUS_SGL_TYPE => StatusCode::SglDescriptorTypeInvalid,
            codes::STATUS_BAR_RANGE => StatusCode::Bar2Range,
            codes::STATUS_SGL_LIMIT => StatusCode::SglDescriptorLimit,
            codes::STATUS_UR => StatusCode::UnsupportedRequest,
            codes::STATUS_CA => StatusCode::CompleterAbort,
            codes::STATUS_POISONED => StatusCode::Poisoned,
            codes::STATUS_TIMEOUT => StatusCode::CompletionTimeout,
            codes::STATUS_BAD_COMPLETION => StatusCode::BadCompletion,
            other => StatusCode::Unknown(other & 0x7fff),
        }
    }

    /// The 15-bit code.
    pub const fn code(self) -> u16 {
        match self {
            StatusCode::Success => codes::STATUS_SUCCESS,
            StatusCode::InvalidOpcode => codes::STATUS_INVALID_OPCODE,
            StatusCode::InvalidSglSegmentDescriptor => codes::STATUS_SGL_SEGMENT,
            StatusCode::InvalidNumberOfSglDescriptors => codes::STATUS_SGL_COUNT,
            StatusCode::DataSglLengthInvalid => codes::STATUS_SGL_LENGTH,
            StatusCode::SglDescriptorTypeInvalid => codes::STATUS_SGL_TYPE,
            StatusCode::Bar2Range => codes::STATUS_BAR_RANGE,
            StatusCode::SglDescriptorLimit => codes::STATUS_SGL_LIMIT,
            StatusCode::UnsupportedRequest => codes::STATUS_UR,
            StatusCode::CompleterAbort => codes::STATUS_CA,
            StatusCode::Poisoned => codes::STATUS_POISONED,
            StatusCode::CompletionTimeout => codes::STATUS_TIMEOUT,
            StatusCode::BadCompletion => codes::STATUS_BAD_COMPLETION,
            StatusCode::Unknown(c) => c & 0x7fff,
        }
    }

    pub const fn is_success(self) -> bool {
        matches!(self, StatusCode::Success)
    }

    /// The documented meaning (docs/dma-engine.md), without the code.
    pub(crate) const fn meaning(self) -> &'static str {
        match self {
            StatusCode::Success => "success",
            StatusCode::InvalidOpcode => "invalid opcode",
            StatusCode::InvalidSglSegmentDescriptor => "Invalid SGL Segment Descriptor",
            StatusCode::InvalidNumberOfSglDescriptors => "Invalid Number of SGL Descriptors",
            StatusCode::DataSglLengthInvalid => "Data SGL Length Invalid",
            StatusCode::SglDescriptorTypeInvalid => "SGL Descriptor Type Invalid",
            StatusCode::Bar2Range => "BAR2 range: BAR2_OFFSET + LENGTH past the end of BAR2",
            StatusCode::SglDescriptorLimit => {
                "SGL descriptor limit exceeded (loop or endless list)"
            }
            StatusCode::UnsupportedRequest => {
                "Unsupported Request completion to one of the job's reads"
            }
            StatusCode::CompleterAbort => "Completer Abort completion",
            StatusCode::Poisoned => "poisoned completion data",
            StatusCode::CompletionTimeout => {
                "completion timeout (DMA_COMPLETION_TIMEOUT cycles without the data)"
            }
            StatusCode::BadCompletion => {
                "malformed or unexpected completion (byte count / tag mismatch)"
            }
            StatusCode::Unknown(_) => "unknown status code",
        }
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03X}h ({})", self.code(), self.meaning())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_bytes_match_the_nvme_layout() {
        let d = SglDescriptor::last_segment(BusAddr::new(0x1122_3344_5566_7788), 0x30);
        let b = d.to_bytes();
        assert_eq!(&b[0..8], &0x1122_3344_5566_7788u64.to_le_bytes());
        assert_eq!(&b[8..12], &0x30u32.to_le_bytes());
        assert_eq!(&b[12..15], &[0, 0, 0]);
        assert_eq!(b[15], 0x30);
        assert_eq!(SglDescriptor::from_bytes(&b), d);
        assert_eq!(d.sgl_type(), SglType::LastSegment);
        assert_eq!(SglDescriptor::bit_bucket(4).identifier(), 0x10);
        let odd = SglDescriptor::with_identifier(0x71, BusAddr::new(0), 0);
        assert_eq!(odd.sgl_type(), SglType::Reserved(7));
        assert_eq!(odd.subtype(), 1);
    }

    #[test]
    fn sgl_types_round_trip() {
        for n in 0..16u8 {
            assert_eq!(SglType::from_nibble(n).nibble(), n);
        }
        assert_eq!(SglType::from_nibble(0xf), SglType::Vendor);
        assert_eq!(SglType::from_nibble(4), SglType::KeyedDataBlock);
        assert_eq!(SglType::from_nibble(5), SglType::TransportDataBlock);
    }

    #[test]
    fn sq_entry_bytes() {
        let e = SqEntry::new(
            Opcode::Push,
            SQ_FLAG_INTERRUPT,
            0xbeef,
            BarOffset::new(0x1234),
            0x1000,
            SglDescriptor::data_block(BusAddr::new(0xabc0), 0x1000),
        );
        let b = e.as_bytes();
        assert_eq!(b[0], 2);
        assert_eq!(b[1], 1);
        assert_eq!(&b[2..4], &[0xef, 0xbe]);
        assert_eq!(&b[8..16], &0x1234u64.to_le_bytes());
        assert_eq!(&b[16..20], &0x1000u32.to_le_bytes());
        assert_eq!(&b[24..32], &0xabc0u64.to_le_bytes());
        assert_eq!(b[39], 0x00);
        assert!(b[4..8]
            .iter()
            .chain(&b[20..24])
            .chain(&b[40..])
            .all(|&x| x == 0));
        let back = SqEntry::read_from_bytes(b).unwrap();
        assert_eq!(back.opcode(), Some(Opcode::Push));
        assert_eq!(back.cid(), 0xbeef);
        assert_eq!(back.bar2_offset(), BarOffset::new(0x1234));
        assert_eq!(
            SqEntry::with_raw_opcode(0x7f, 0, 0, BarOffset::ZERO, 0, SglDescriptor::default())
                .opcode(),
            None
        );
    }

    #[test]
    fn cq_entry_status_and_phase() {
        let e = CqEntry::new(
            0xdead_beef,
            5,
            2,
            0x77,
            StatusCode::SglDescriptorLimit,
            true,
        );
        let b = e.as_bytes();
        assert_eq!(&b[0..4], &0xdead_beefu32.to_le_bytes());
        assert_eq!(&b[8..10], &[5, 0]);
        assert_eq!(&b[10..12], &[2, 0]);
        assert_eq!(&b[12..14], &[0x77, 0]);
        assert_eq!(u16::from_le_bytes([b[14], b[15]]), (0xc1 << 1) | 1);
        assert!(e.phase());
        assert_eq!(e.status(), StatusCode::SglDescriptorLimit);
        assert!(!CqEntry::new(0, 0, 0, 0, StatusCode::Success, false).phase());
    }

    #[test]
    fn status_codes_round_trip_and_display() {
        for code in 0..0x200u16 {
            assert_eq!(StatusCode::from_code(code).code(), code);
        }
        assert_eq!(
            StatusCode::from_code(0x0d),
            StatusCode::InvalidSglSegmentDescriptor
        );
        assert_eq!(
            StatusCode::Bar2Range.to_string(),
            "0C0h (BAR2 range: BAR2_OFFSET + LENGTH past the end of BAR2)"
        );
        assert_eq!(
            StatusCode::Unknown(0x42).to_string(),
            "042h (unknown status code)"
        );
    }
}
