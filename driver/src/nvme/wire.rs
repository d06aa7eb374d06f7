// SPDX-License-Identifier: MIT OR Apache-2.0
//! NVMe wire formats: submission and completion queue entries, Identify data structures.
//!
//! Like [`crate::dma::wire`], every type is `#[repr(C)]` zerocopy with little-endian private
//! fields (alignment 1, so no padding) and compile-time size/offset checks against the NVMe
//! Base Specification's figures. Fields are reached through typed getters and setters.

use std::mem::{offset_of, size_of};

use zerocopy::little_endian::{U16, U32, U64};
use zerocopy::{FromBytes, FromZeros, Immutable, IntoBytes, KnownLayout};

use crate::address::BusAddr;
use crate::dma::wire::SglDescriptor;
use crate::nvme::dptr::DataPointer;
use crate::nvme::status::NvmeStatus;

/// Admin command opcodes this driver uses.
pub mod admin_opcode {
    /// Delete I/O Submission Queue.
    pub(crate) const DELETE_IO_SQ: u8 = 0x00;
    /// Create I/O Submission Queue.
    pub(crate) const CREATE_IO_SQ: u8 = 0x01;
    /// Get Log Page.
    pub(crate) const GET_LOG_PAGE: u8 = 0x02;
    /// Delete I/O Completion Queue.
    pub(crate) const DELETE_IO_CQ: u8 = 0x04;
    /// Create I/O Completion Queue.
    pub(crate) const CREATE_IO_CQ: u8 = 0x05;
    /// Identify.
    pub(crate) const IDENTIFY: u8 = 0x06;
    /// Abort.
    pub(crate) const ABORT: u8 = 0x08;
    /// Set Features.
    pub(crate) const SET_FEATURES: u8 = 0x09;
    /// Get Features.
    pub(crate) const GET_FEATURES: u8 = 0x0a;
}

/// NVM command set I/O opcodes this driver uses.
pub mod io_opcode {
    /// Flush.
    pub(crate) const FLUSH: u8 = 0x00;
    /// Write.
    pub(crate) const WRITE: u8 = 0x01;
    /// Read.
    pub(crate) const READ: u8 = 0x02;
}

/// Identify CNS values.
pub mod cns {
    /// Identify Namespace data structure for the NSID.
    pub(crate) const NAMESPACE: u8 = 0x00;
    /// Identify Controller data structure.
    pub(crate) const CONTROLLER: u8 = 0x01;
    /// Active Namespace ID list.
    pub const ACTIVE_NAMESPACES: u8 = 0x02;
    /// Namespace Identification Descriptor list for the NSID (NVMe 1.3 and later).
    pub(crate) const NAMESPACE_ID_DESCRIPTORS: u8 = 0x03;
}

/// Command Set Identifiers (NVMe Base Specification 2.0, "Command Set Identifiers"; reported
/// per namespace in its Namespace Identification Descriptor of type 04h).
pub mod csi {
    /// NVM Command Set: the only one this driver reads and writes.
    pub(crate) const NVM: u8 = 0x00;
    /// Key Value Command Set.
    pub(crate) const KEY_VALUE: u8 = 0x01;
    /// Zoned Namespace Command Set.
    pub(crate) const ZONED: u8 = 0x02;

    /// The command set's name for messages.
    pub fn name(csi: u8) -> &'static str {
        match csi {
            NVM => "NVM",
            KEY_VALUE => "Key Value",
            ZONED => "Zoned Namespace",
            _ => "unknown",
        }
    }
}

/// The Command Set Identifier in a Namespace Identification Descriptor list (Identify CNS
/// 03h): descriptors of a 4-byte header (NIDT, NIDL, 2 reserved) and NIDL bytes, ended by one
/// with NIDT 0. `None` when the list has no CSI descriptor (NIDT 04h, NIDL 1), as before
/// NVMe 2.0, or is malformed.
pub(crate) fn namespace_command_set(descriptors: &[u8]) -> Option<u8> {
    const NIDT_CSI: u8 = 0x04;
    let mut at = 0;
    while at + 4 <= descriptors.len() {
        let (nidt, nidl) = (descriptors[at], usize::from(descriptors[at + 1]));
        if nidt == 0 {
            return None;
        }
        let body = descriptors.get(at + 4..at + 4 + nidl)?;
        if nidt == NIDT_CSI && nidl == 1 {
            return Some(body[0]);
        }
        at += 4 + nidl;
    }
    None
}

/// Feature identifier of Number of Queues (Set/Get Features).
pub(crate) const FEATURE_NUMBER_OF_QUEUES: u8 = 0x07;

/// The name of a command for messages (`"Read"`, `"Create I/O CQ"`, `"opcode 42h"`).
pub(crate) fn command_name(admin: bool, opcode: u8) -> &'static str {
    if admin {
        match opcode {
            admin_opcode::DELETE_IO_SQ => "Delete I/O SQ",
            admin_opcode::CREATE_IO_SQ => "Create I/O SQ",
            admin_opcode::GET_LOG_PAGE => "Get Log Page",
            admin_opcode::DELETE_IO_CQ => "Delete I/O CQ",
            admin_opcode::CREATE_IO_CQ => "Create I/O CQ",
            admin_opcode::IDENTIFY => "Identify",
            admin_opcode::ABORT => "Abort",
            admin_opcode::SET_FEATURES => "Set Features",
            admin_opcode::GET_FEATURES => "Get Features",
            _ => "admin command (other opcode)",
        }
    } else {
        match opcode {
            io_opcode::FLUSH => "Flush",
            io_opcode::WRITE => "Write",
            io_opcode::READ => "Read",
            _ => "I/O command (other opcode)",
        }
    }
}

/// CDW10 of Create I/O SQ/CQ: QSIZE (0-based, `entries` 1 ..= 65536) in bits 31:16, QID in
/// bits 15:0.
fn queue_size_and_id(qid: u16, entries: u32) -> u32 {
    ((entries.saturating_sub(1) & 0xffff) << 16) | u32::from(qid)
}

/// PRP or SGL for Data Transfer (CDW0 bits 15:14).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Psdt {
    /// 00b: PRPs.
    Prp,
    /// 01b: SGLs; MPTR is the address of one contiguous metadata buffer.
    SglContiguousMetadata,
    /// 10b: SGLs; MPTR is the address of an SGL segment of metadata descriptors.
    SglMetadataSegment,
    /// 11b: reserved (a controller fails the command with Invalid Field in Command).
    Reserved,
}

impl Psdt {
    /// The two-bit field value.
    pub const fn bits(self) -> u8 {
        match self {
            Psdt::Prp => 0b00,
            Psdt::SglContiguousMetadata => 0b01,
            Psdt::SglMetadataSegment => 0b10,
            Psdt::Reserved => 0b11,
        }
    }

    /// Decodes the two-bit field (higher bits ignored).
    pub(crate) const fn from_bits(bits: u8) -> Psdt {
        match bits & 0b11 {
            0b00 => Psdt::Prp,
            0b01 => Psdt::SglContiguousMetadata,
            0b10 => Psdt::SglMetadataSegment,
            _ => Psdt::Reserved,
        }
    }
}

/// Submission queue entry (64 bytes): CDW0 (opcode, FUSE/PSDT, CID), NSID, CDW2-3, MPTR,
/// DPTR (PRP1 + PRP2, or one SGL descriptor), CDW10-15.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
#[repr(C)]
pub struct SubmissionEntry {
    opcode: u8,
    /// FUSE in bits 1:0, PSDT in bits 7:6 (CDW0 bits 9:8 and 15:14).
    flags: u8,
    cid: U16,
    nsid: U32,
    cdw2: U32,
    cdw3: U32,
    mptr: U64,
    /// DPTR bytes 7:0: PRP entry 1, or an SGL descriptor's address.
    prp1: U64,
    /// DPTR bytes 15:8: PRP entry 2, or an SGL descriptor's length, reserved bytes and identifier.
    prp2: U64,
    cdw10: U32,
    cdw11: U32,
    cdw12: U32,
    cdw13: U32,
    cdw14: U32,
    cdw15: U32,
}

const _: () = assert!(size_of::<SubmissionEntry>() == 64);
const _: () = assert!(offset_of!(SubmissionEntry, opcode) == 0);
const _: () = assert!(offset_of!(SubmissionEntry, flags) == 1);
const _: () = assert!(offset_of!(SubmissionEntry, cid) == 2);
const _: () = assert!(offset_of!(SubmissionEntry, nsid) == 4);
const _: () = assert!(offset_of!(SubmissionEntry, cdw2) == 8);
const _: () = assert!(offset_of!(SubmissionEntry, mptr) == 16);
const _: () = assert!(offset_of!(SubmissionEntry, prp1) == 24);
const _: () = assert!(offset_of!(SubmissionEntry, prp2) == 32);
const _: () = assert!(offset_of!(SubmissionEntry, cdw10) == 40);
const _: () = assert!(offset_of!(SubmissionEntry, cdw15) == 60);

macro_rules! cdw_accessors {
    ($($field:ident $set:ident),*) => {$(
        #[doc = concat!("Command dword ", stringify!($field), ".")]
        pub fn $field(&self) -> u32 {
            self.$field.get()
        }

        #[doc = concat!("Sets command dword ", stringify!($field), ".")]
        pub fn $set(&mut self, value: u32) -> &mut SubmissionEntry {
            self.$field = U32::new(value);
            self
        }
    )*};
}

impl SubmissionEntry {
    /// Size of an entry in bytes (CC.IOSQES = 6).
    pub(crate) const SIZE: usize = 64;

    /// An entry with `opcode` and every other byte zero (CID 0, PRP, NSID 0).
    pub fn new(opcode: u8) -> SubmissionEntry {
        let mut e = SubmissionEntry::new_zeroed();
        e.opcode = opcode;
        e
    }

    /// Identify with `cns` for `nsid`, the 4 KiB data structure going to `buffer` (PRP1; it
    /// must not cross a page boundary, so `buffer` is page aligned).
    pub fn identify(cns: u8, nsid: u32, buffer: BusAddr) -> SubmissionEntry {
        let mut e = SubmissionEntry::new(admin_opcode::IDENTIFY);
        e.set_nsid(nsid)
            .set_prp(buffer, BusAddr::new(0))
            .set_cdw10(u32::from(cns));
        e
    }

    /// Set Features Number of Queues: `sq` I/O SQs and `cq` I/O CQs requested (1-based here,
    /// 0-based on the wire).
    pub(crate) fn set_number_of_queues(sq: u16, cq: u16) -> SubmissionEntry {
        let mut e = SubmissionEntry::new(admin_opcode::SET_FEATURES);
        e.set_cdw10(u32::from(FEATURE_NUMBER_OF_QUEUES))
            .set_cdw11((u32::from(cq.saturating_sub(1)) << 16) | u32::from(sq.saturating_sub(1)));
        e
    }

    /// Create I/O Completion Queue `qid` of `entries` entries at `base` (physically
    /// contiguous, PC = 1), interrupts off (IEN = 0, IV = 0): this driver polls.
    pub(crate) fn create_io_cq(qid: u16, entries: u32, base: BusAddr) -> SubmissionEntry {
        let mut e = SubmissionEntry::new(admin_opcode::CREATE_IO_CQ);
        e.set_prp(base, BusAddr::new(0))
            .set_cdw10(queue_size_and_id(qid, entries))
            .set_cdw11(1);
        e
    }

    /// Create I/O Submission Queue `qid` of `entries` entries at `base` (PC = 1, priority 0),
    /// completing to CQ `cqid`.
    pub(crate) fn create_io_sq(
        qid: u16,
        entries: u32,
        base: BusAddr,
        cqid: u16,
    ) -> SubmissionEntry {
        let mut e = SubmissionEntry::new(admin_opcode::CREATE_IO_SQ);
        e.set_prp(base, BusAddr::new(0))
            .set_cdw10(queue_size_and_id(qid, entries))
            .set_cdw11((u32::from(cqid) << 16) | 1);
        e
    }

    /// Delete I/O Submission Queue `qid`.
    pub(crate) fn delete_io_sq(qid: u16) -> SubmissionEntry {
        let mut e = SubmissionEntry::new(admin_opcode::DELETE_IO_SQ);
        e.set_cdw10(u32::from(qid));
        e
    }

    /// Delete I/O Completion Queue `qid`.
    pub(crate) fn delete_io_cq(qid: u16) -> SubmissionEntry {
        let mut e = SubmissionEntry::new(admin_opcode::DELETE_IO_CQ);
        e.set_cdw10(u32::from(qid));
        e
    }

    /// Read (`write` false) or Write of `blocks` logical blocks (1 ..= 65536) at `slba` of
    /// namespace `nsid`; the data pointer is set separately.
    pub fn read_write(write: bool, nsid: u32, slba: u64, blocks: u32) -> SubmissionEntry {
        let opcode = if write {
            io_opcode::WRITE
        } else {
            io_opcode::READ
        };
        let mut e = SubmissionEntry::new(opcode);
        e.set_nsid(nsid)
            .set_cdw10(slba as u32)
            .set_cdw11((slba >> 32) as u32)
            .set_cdw12(blocks.saturating_sub(1) & 0xffff);
        e
    }

    /// Flush of namespace `nsid`.
    pub fn flush(nsid: u32) -> SubmissionEntry {
        let mut e = SubmissionEntry::new(io_opcode::FLUSH);
        e.set_nsid(nsid);
        e
    }

    /// The opcode (CDW0 bits 7:0).
    pub(crate) fn opcode(&self) -> u8 {
        self.opcode
    }

    /// Sets the opcode.
    pub fn set_opcode(&mut self, opcode: u8) -> &mut SubmissionEntry {
        self.opcode = opcode;
        self
    }

    /// Fused Operation (CDW0 bits 9:8; 00b = normal).
    pub fn fuse(&self) -> u8 {
        self.flags & 0b11
    }

    /// PRP or SGL for Data Transfer (CDW0 bits 15:14).
    pub fn psdt(&self) -> Psdt {
        Psdt::from_bits(self.flags >> 6)
    }

    /// Sets PSDT (any value, 11b included, for tests of the controller's checks).
    pub fn set_psdt(&mut self, psdt: Psdt) -> &mut SubmissionEntry {
        self.flags = (self.flags & 0x3f) | (psdt.bits() << 6);
        self
    }

    /// Command Identifier (CDW0 bits 31:16).
    pub fn cid(&self) -> u16 {
        self.cid.get()
    }

    /// Sets the Command Identifier (queues overwrite it on submit).
    pub(crate) fn set_cid(&mut self, cid: u16) -> &mut SubmissionEntry {
        self.cid = U16::new(cid);
        self
    }

    /// Namespace Identifier.
    pub fn nsid(&self) -> u32 {
        self.nsid.get()
    }

    /// Sets the Namespace Identifier.
    pub(crate) fn set_nsid(&mut self, nsid: u32) -> &mut SubmissionEntry {
        self.nsid = U32::new(nsid);
        self
    }

    cdw_accessors!(cdw2 set_cdw2, cdw3 set_cdw3, cdw10 set_cdw10, cdw11 set_cdw11,
        cdw12 set_cdw12, cdw13 set_cdw13, cdw14 set_cdw14, cdw15 set_cdw15);

    /// Metadata Pointer.
    pub fn mptr(&self) -> BusAddr {
        BusAddr::new(self.mptr.get())
    }

    /// Sets the Metadata Pointer.
    pub fn set_mptr(&mut self, mptr: BusAddr) -> &mut SubmissionEntry {
        self.mptr = U64::new(mptr.get());
        self
    }

    /// DPTR read as PRP entry 1.
    pub fn prp1(&self) -> BusAddr {
        BusAddr::new(self.prp1.get())
    }

    /// DPTR read as PRP entry 2 (second page, or PRP list pointer).
    pub fn prp2(&self) -> BusAddr {
        BusAddr::new(self.prp2.get())
    }

    /// Sets DPTR to PRP1/PRP2 and PSDT to 00b.
    pub fn set_prp(&mut self, prp1: BusAddr, prp2: BusAddr) -> &mut SubmissionEntry {
        self.prp1 = U64::new(prp1.get());
        self.prp2 = U64::new(prp2.get());
        self.set_psdt(Psdt::Prp)
    }

    /// DPTR read as one SGL descriptor (SGL Descriptor 1).
    pub fn sgl(&self) -> SglDescriptor {
        SglDescriptor::from_bytes(&self.dptr_bytes())
    }

    /// Sets DPTR to `descriptor` and PSDT to 01b (SGL, contiguous metadata buffer).
    pub fn set_sgl(&mut self, descriptor: SglDescriptor) -> &mut SubmissionEntry {
        self.set_dptr_bytes(&descriptor.to_bytes());
        self.set_psdt(Psdt::SglContiguousMetadata)
    }

    /// The 16 DPTR bytes as they sit in the entry.
    pub(crate) fn dptr_bytes(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(self.prp1.as_bytes());
        b[8..].copy_from_slice(self.prp2.as_bytes());
        b
    }

    /// Sets the 16 DPTR bytes, leaving PSDT alone (for hand-built malformed entries).
    pub(crate) fn set_dptr_bytes(&mut self, bytes: &[u8; 16]) -> &mut SubmissionEntry {
        let (lo, hi) = bytes.split_at(8);
        self.prp1 = U64::read_from_bytes(lo).expect("8 bytes");
        self.prp2 = U64::read_from_bytes(hi).expect("8 bytes");
        self
    }

    /// Sets DPTR and PSDT from a built data pointer.
    pub(crate) fn set_data_pointer(&mut self, pointer: &DataPointer) -> &mut SubmissionEntry {
        match *pointer {
            DataPointer::Prp { prp1, prp2 } => self.set_prp(prp1, prp2),
            DataPointer::Sgl(d) => self.set_sgl(d),
        }
    }

    /// Starting LBA of a Read/Write (CDW11:CDW10).
    pub fn slba(&self) -> u64 {
        u64::from(self.cdw10()) | (u64::from(self.cdw11()) << 32)
    }

    /// Number of logical blocks of a Read/Write (CDW12 bits 15:0 plus one).
    pub fn blocks(&self) -> u32 {
        (self.cdw12() & 0xffff) + 1
    }
}

/// Completion queue entry (16 bytes): DW0 command specific result, DW1 reserved/command
/// specific, DW2 SQ head and SQ identifier, DW3 CID, phase tag and Status Field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]
#[repr(C)]
pub struct CompletionEntry {
    result: U32,
    dw1: U32,
    sq_head: U16,
    sq_id: U16,
    cid: U16,
    /// Phase tag in bit 0, Status Field in bits 15:1.
    status: U16,
}

const _: () = assert!(size_of::<CompletionEntry>() == 16);
const _: () = assert!(offset_of!(CompletionEntry, result) == 0);
const _: () = assert!(offset_of!(CompletionEntry, dw1) == 4);
const _: () = assert!(offset_of!(CompletionEntry, sq_head) == 8);
const _: () = assert!(offset_of!(CompletionEntry, sq_id) == 10);
const _: () = assert!(offset_of!(CompletionEntry, cid) == 12);
const _: () = assert!(offset_of!(CompletionEntry, status) == CompletionEntry::STATUS_OFFSET);

impl CompletionEntry {
    /// Size of an entry in bytes (CC.IOCQES = 4).
    pub(crate) const SIZE: usize = 16;
    /// Byte offset of the status word (phase tag in bit 0) inside an entry.
    pub(crate) const STATUS_OFFSET: usize = 14;

    /// An entry as a controller writes it (for fakes and models of a controller).
    pub fn new(
        result: u32,
        sq_head: u16,
        sq_id: u16,
        cid: u16,
        status: NvmeStatus,
        phase: bool,
    ) -> CompletionEntry {
        CompletionEntry {
            result: U32::new(result),
            dw1: U32::new(0),
            sq_head: U16::new(sq_head),
            sq_id: U16::new(sq_id),
            cid: U16::new(cid),
            status: U16::new(status.status_word(phase)),
        }
    }

    /// DW0: command specific result.
    pub fn result(&self) -> u32 {
        self.result.get()
    }

    /// DW1: command specific (reserved for most commands).
    pub fn dw1(&self) -> u32 {
        self.dw1.get()
    }

    /// SQ Head Pointer: the controller has fetched every SQ entry before this slot.
    pub(crate) fn sq_head(&self) -> u16 {
        self.sq_head.get()
    }

    /// SQ Identifier of the command.
    pub(crate) fn sq_id(&self) -> u16 {
        self.sq_id.get()
    }

    /// Command Identifier.
    pub fn cid(&self) -> u16 {
        self.cid.get()
    }

    /// Phase tag (DW3 bit 16).
    pub fn phase(&self) -> bool {
        self.status.get() & 1 != 0
    }

    /// The decoded Status Field.
    pub fn status(&self) -> NvmeStatus {
        NvmeStatus::from_field(self.status.get() >> 1)
    }

    /// DW3 as a whole.
    pub fn dw3(&self) -> u32 {
        u32::from(self.cid.get()) | (u32::from(self.status.get()) << 16)
    }
}

/// Identify Controller data structure (CNS 01h, 4096 bytes): the fields this driver reads.
#[derive(Clone, Copy, FromBytes, IntoBytes, KnownLayout, Immutable)]
#[repr(C)]
pub struct IdentifyController {
    vid: U16,
    ssvid: U16,
    sn: [u8; 20],
    mn: [u8; 40],
    fr: [u8; 8],
    rab: u8,
    ieee: [u8; 3],
    cmic: u8,
    mdts: u8,
    cntlid: U16,
    ver: U32,
    reserved0: [u8; 428],
    sqes: u8,
    cqes: u8,
    maxcmd: U16,
    nn: U32,
    reserved1: [u8; 16],
    sgls: U32,
    reserved2: [u8; 3556],
}

const _: () = assert!(size_of::<IdentifyController>() == 4096);
const _: () = assert!(offset_of!(IdentifyController, ssvid) == 2);
const _: () = assert!(offset_of!(IdentifyController, sn) == 4);
const _: () = assert!(offset_of!(IdentifyController, mn) == 24);
const _: () = assert!(offset_of!(IdentifyController, fr) == 64);
const _: () = assert!(offset_of!(IdentifyController, mdts) == 77);
const _: () = assert!(offset_of!(IdentifyController, cntlid) == 78);
const _: () = assert!(offset_of!(IdentifyController, ver) == 80);
const _: () = assert!(offset_of!(IdentifyController, sqes) == 512);
const _: () = assert!(offset_of!(IdentifyController, cqes) == 513);
const _: () = assert!(offset_of!(IdentifyController, maxcmd) == 514);
const _: () = assert!(offset_of!(IdentifyController, nn) == 516);
const _: () = assert!(offset_of!(IdentifyController, sgls) == 536);

/// An ASCII field padded with spaces (or NULs, from some controllers), trimmed.
fn ascii_field(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .trim_matches(|c: char| c == ' ' || c == '\0')
        .to_owned()
}

impl IdentifyController {
    /// PCI Vendor ID.
    pub(crate) fn vid(&self) -> u16 {
        self.vid.get()
    }

    /// PCI Subsystem Vendor ID.
    pub(crate) fn ssvid(&self) -> u16 {
        self.ssvid.get()
    }

    /// Serial Number, trimmed.
    pub(crate) fn serial(&self) -> String {
        ascii_field(&self.sn)
    }

    /// Model Number, trimmed.
    pub(crate) fn model(&self) -> String {
        ascii_field(&self.mn)
    }

    /// Firmware Revision, trimmed.
    pub(crate) fn firmware(&self) -> String {
        ascii_field(&self.fr)
    }

    /// Maximum Data Transfer Size: a power of two in units of CAP.MPSMIN pages (0: no limit).
    pub(crate) fn mdts(&self) -> u8 {
        self.mdts
    }

    /// Controller ID.
    pub fn cntlid(&self) -> u16 {
        self.cntlid.get()
    }

    /// Version (VER; 0 on NVMe 1.0/1.1 controllers).
    pub fn ver(&self) -> u32 {
        self.ver.get()
    }

    /// SQ entry sizes: required (bits 3:0) and maximum (bits 7:4), log2 bytes.
    pub fn sqes(&self) -> u8 {
        self.sqes
    }

    /// CQ entry sizes: required (bits 3:0) and maximum (bits 7:4), log2 bytes.
    pub fn cqes(&self) -> u8 {
        self.cqes
    }

    /// Number of Namespaces (the highest valid NSID).
    pub(crate) fn nn(&self) -> u32 {
        self.nn.get()
    }

    /// SGL Support.
    pub(crate) fn sgls(&self) -> u32 {
        self.sgls.get()
    }
}

/// Identify Namespace data structure (CNS 00h, 4096 bytes): the fields this driver reads.
#[derive(Clone, Copy, FromBytes, IntoBytes, KnownLayout, Immutable)]
#[repr(C)]
pub struct IdentifyNamespace {
    nsze: U64,
    ncap: U64,
    nuse: U64,
    nsfeat: u8,
    nlbaf: u8,
    flbas: u8,
    reserved0: [u8; 101],
    lbaf: [U32; 16],
    reserved1: [u8; 3904],
}

const _: () = assert!(size_of::<IdentifyNamespace>() == 4096);
const _: () = assert!(offset_of!(IdentifyNamespace, ncap) == 8);
const _: () = assert!(offset_of!(IdentifyNamespace, nlbaf) == 25);
const _: () = assert!(offset_of!(IdentifyNamespace, flbas) == 26);
const _: () = assert!(offset_of!(IdentifyNamespace, lbaf) == 128);

/// One LBA Format entry of Identify Namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LbaFormat {
    /// Metadata bytes per LBA.
    pub metadata_size: u16,
    /// LBA data size, log2 bytes (9 = 512 B, 12 = 4 KiB).
    pub lbads: u8,
    /// Relative Performance (0 best).
    pub relative_performance: u8,
}

impl IdentifyNamespace {
    /// Namespace Size in logical blocks (0 for an inactive NSID).
    pub(crate) fn nsze(&self) -> u64 {
        self.nsze.get()
    }

    /// Namespace Capacity in logical blocks.
    pub fn ncap(&self) -> u64 {
        self.ncap.get()
    }

    /// Number of LBA Formats, 0-based.
    pub fn nlbaf(&self) -> u8 {
        self.nlbaf
    }

    /// Formatted LBA Size: format index in bits 3:0, extended metadata in bit 4.
    pub fn flbas(&self) -> u8 {
        self.flbas
    }

    /// LBA Format `index` (0 ..= 15).
    pub(crate) fn lba_format(&self, index: usize) -> Option<LbaFormat> {
        let raw = self.lbaf.get(index)?.get();
        Some(LbaFormat {
            metadata_size: raw as u16,
            lbads: (raw >> 16) as u8,
            relative_performance: ((raw >> 24) & 0b11) as u8,
        })
    }

    /// The format in use (FLBAS bits 3:0).
    pub(crate) fn current_format(&self) -> LbaFormat {
        self.lba_format(usize::from(self.flbas & 0xf))
            .expect("a 4-bit index is in range")
    }
}

#[cfg(test)]
mod tests;
