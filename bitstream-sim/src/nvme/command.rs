// SPDX-License-Identifier: MIT OR Apache-2.0
//! The wire formats of the queues: the 64-byte submission queue entry the controller fetches
//! and the 16-byte completion queue entry it posts.

use peerbar::dma::wire::SglDescriptor;

use super::status::Status;

/// Bytes of an SQ entry (CC.IOSQES = 6).
pub(super) const SQ_ENTRY_SIZE: u64 = 64;
/// Bytes of a CQ entry (CC.IOCQES = 4).
pub(super) const CQ_ENTRY_SIZE: u64 = 16;

/// How the data pointer of a command is to be read (CDW0 PSDT, bits 15:14).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Psdt {
    /// 00b: PRP1 and PRP2.
    Prp,
    /// 01b (MPTR a buffer) or 10b (MPTR an SGL segment): DPTR is an SGL descriptor. The
    /// namespace has no metadata, so MPTR is ignored either way.
    Sgl,
    /// 11b.
    Reserved,
}

/// One fetched SQ entry, read through typed getters (all little-endian).
#[derive(Clone, Copy)]
pub(super) struct Sqe([u8; SQ_ENTRY_SIZE as usize]);

impl Sqe {
    pub fn new(bytes: [u8; SQ_ENTRY_SIZE as usize]) -> Sqe {
        Sqe(bytes)
    }

    fn dword(&self, index: usize) -> u32 {
        u32::from_le_bytes(
            self.0[index * 4..index * 4 + 4]
                .try_into()
                .expect("4 bytes"),
        )
    }

    fn qword(&self, index: usize) -> u64 {
        u64::from(self.dword(index)) | (u64::from(self.dword(index + 1)) << 32)
    }

    pub fn opcode(&self) -> u8 {
        self.0[0]
    }

    /// CDW0 FUSE (bits 9:8): fused operations are not supported.
    pub fn fuse(&self) -> u8 {
        self.0[1] & 0x3
    }

    /// CDW0 bits 13:10, reserved.
    pub fn cdw0_reserved(&self) -> u8 {
        (self.0[1] >> 2) & 0xf
    }

    pub fn psdt(&self) -> Psdt {
        match self.0[1] >> 6 {
            0b00 => Psdt::Prp,
            0b01 | 0b10 => Psdt::Sgl,
            _ => Psdt::Reserved,
        }
    }

    pub fn cid(&self) -> u16 {
        u16::from_le_bytes([self.0[2], self.0[3]])
    }

    pub fn nsid(&self) -> u32 {
        self.dword(1)
    }

    pub fn prp1(&self) -> u64 {
        self.qword(6)
    }

    pub fn prp2(&self) -> u64 {
        self.qword(8)
    }

    /// DPTR read as an SGL descriptor (bytes 39:24).
    pub fn sgl(&self) -> SglDescriptor {
        SglDescriptor::from_bytes(self.0[24..40].try_into().expect("16 bytes"))
    }

    /// Command dwords 10 to 15.
    pub fn cdw(&self, index: usize) -> u32 {
        self.dword(index)
    }
}

/// A command's outcome, waiting for room in its completion queue.
#[derive(Clone, Copy, Debug)]
pub(super) struct Completion {
    pub sq_id: u16,
    pub cq_id: u16,
    pub cid: u16,
    pub result: u32,
    pub status: Status,
}

impl Completion {
    /// The CQ entry: DW0 result, DW1 reserved, DW2 SQ head | SQ id << 16, DW3 CID | phase <<
    /// 16 | status bits.
    pub fn entry(&self, sq_head: u16, phase: bool) -> [u8; CQ_ENTRY_SIZE as usize] {
        let dw2 = u32::from(sq_head) | (u32::from(self.sq_id) << 16);
        let dw3 = u32::from(self.cid) | (u32::from(phase) << 16) | self.status.dw3_bits();
        let mut e = [0u8; CQ_ENTRY_SIZE as usize];
        e[0..4].copy_from_slice(&self.result.to_le_bytes());
        e[8..12].copy_from_slice(&dw2.to_le_bytes());
        e[12..16].copy_from_slice(&dw3.to_le_bytes());
        e
    }
}
