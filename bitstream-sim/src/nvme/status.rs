// SPDX-License-Identifier: MIT OR Apache-2.0
//! Completion status: the (Status Code Type, Status Code, Do Not Retry) triple a CQ entry
//! carries, with the codes of the status table in docs/nvme-peer.md.

/// One completion status. CRD and M are always 0 in this model (no retry delays, no log page).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Status {
    pub sct: u8,
    pub sc: u8,
    pub dnr: bool,
}

impl Status {
    pub const SUCCESS: Status = Status::generic(0x00, false);
    pub const INVALID_OPCODE: Status = Status::generic(0x01, true);
    pub const INVALID_FIELD: Status = Status::generic(0x02, true);
    /// The only status a retry may cure: the fabric refused a DMA.
    pub const DATA_TRANSFER_ERROR: Status = Status::generic(0x04, false);
    /// A namespace file I/O error; it may be transient, so no DNR.
    pub const INTERNAL_ERROR: Status = Status::generic(0x06, false);
    pub const INVALID_NAMESPACE: Status = Status::generic(0x0b, true);
    pub const COMMAND_SEQUENCE_ERROR: Status = Status::generic(0x0c, true);
    pub const INVALID_SGL_SEGMENT_DESCRIPTOR: Status = Status::generic(0x0d, true);
    pub const INVALID_NUMBER_OF_SGL_DESCRIPTORS: Status = Status::generic(0x0e, true);
    pub const DATA_SGL_LENGTH_INVALID: Status = Status::generic(0x0f, true);
    pub const SGL_DESCRIPTOR_TYPE_INVALID: Status = Status::generic(0x11, true);
    pub const PRP_OFFSET_INVALID: Status = Status::generic(0x13, true);
    pub const LBA_OUT_OF_RANGE: Status = Status::generic(0x80, true);
    pub const COMPLETION_QUEUE_INVALID: Status = Status::command_specific(0x00);
    pub const INVALID_QUEUE_IDENTIFIER: Status = Status::command_specific(0x01);
    pub const INVALID_QUEUE_SIZE: Status = Status::command_specific(0x02);
    pub const INVALID_INTERRUPT_VECTOR: Status = Status::command_specific(0x08);
    pub const INVALID_QUEUE_DELETION: Status = Status::command_specific(0x0c);
    pub const FEATURE_NOT_SAVEABLE: Status = Status::command_specific(0x0d);

    /// Status Code Type 0: Generic Command Status.
    const fn generic(sc: u8, dnr: bool) -> Status {
        Status { sct: 0, sc, dnr }
    }

    /// Status Code Type 1: Command Specific Status; every one of them is final (DNR).
    const fn command_specific(sc: u8) -> Status {
        Status {
            sct: 1,
            sc,
            dnr: true,
        }
    }

    pub fn is_success(self) -> bool {
        self == Status::SUCCESS
    }

    /// CQ entry DW3 bits 31:17 (SC 24:17, SCT 27:25, CRD 29:28 = 0, M 30 = 0, DNR 31).
    pub fn dw3_bits(self) -> u32 {
        (u32::from(self.sc) << 17) | (u32::from(self.sct & 0x7) << 25) | (u32::from(self.dnr) << 31)
    }
}
