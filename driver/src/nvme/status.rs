// SPDX-License-Identifier: MIT OR Apache-2.0
//! NVMe completion status: the Status Field of a CQ entry (DW3 bits 31:17), decoded.
//!
//! Bit layout of DW3 (NVMe Base Specification, Completion Queue Entry): bits 15:0 CID, bit 16
//! phase tag, then the Status Field: bits 24:17 Status Code (SC), 27:25 Status Code Type (SCT),
//! 29:28 Command Retry Delay (CRD), 30 More (M), 31 Do Not Retry (DNR).

use std::fmt;

/// Status Code Type 0h: Generic Command Status.
pub(crate) const SCT_GENERIC: u8 = 0x0;
/// Status Code Type 1h: Command Specific Status.
pub(crate) const SCT_COMMAND_SPECIFIC: u8 = 0x1;
/// Status Code Type 2h: Media and Data Integrity Errors.
pub(crate) const SCT_MEDIA: u8 = 0x2;

/// A command's completion status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct NvmeStatus {
    /// Status Code Type (3 bits).
    pub sct: u8,
    /// Status Code.
    pub sc: u8,
    /// Do Not Retry: the same command would fail again.
    pub dnr: bool,
    /// More: the Error Information log page has more detail.
    pub more: bool,
    /// Command Retry Delay (index into the controller's CRDT values, 0 = none).
    pub crd: u8,
}

impl NvmeStatus {
    /// 0h/00h Successful Completion.
    pub const SUCCESS: NvmeStatus = NvmeStatus::new(SCT_GENERIC, 0x00, false);

    /// A status with `sct`/`sc` and DNR, M = 0 and CRD = 0 unless set afterwards.
    pub const fn new(sct: u8, sc: u8, dnr: bool) -> NvmeStatus {
        NvmeStatus {
            sct: sct & 0x7,
            sc,
            dnr,
            more: false,
            crd: 0,
        }
    }

    /// Decodes CQ entry DW3 (the CID and phase bits are ignored).
    pub const fn from_cqe_dw3(dw3: u32) -> NvmeStatus {
        NvmeStatus::from_field((dw3 >> 17) as u16)
    }

    /// Decodes the 15-bit Status Field (as it sits in bits 15:1 of the CQE's upper word,
    /// shifted down by one).
    pub(crate) const fn from_field(field: u16) -> NvmeStatus {
        NvmeStatus {
            sc: (field & 0xff) as u8,
            sct: ((field >> 8) & 0x7) as u8,
            crd: ((field >> 11) & 0x3) as u8,
            more: field & (1 << 13) != 0,
            dnr: field & (1 << 14) != 0,
        }
    }

    /// The 15-bit Status Field (inverse of [`NvmeStatus::from_field`]).
    pub(crate) const fn field(self) -> u16 {
        (self.sc as u16)
            | ((self.sct as u16 & 0x7) << 8)
            | ((self.crd as u16 & 0x3) << 11)
            | ((self.more as u16) << 13)
            | ((self.dnr as u16) << 14)
    }

    /// The upper 16 bits of CQE DW3 (status word at byte 14): Status Field in bits 15:1,
    /// `phase` in bit 0. For fakes and models of a controller.
    pub(crate) const fn status_word(self, phase: bool) -> u16 {
        (self.field() << 1) | phase as u16
    }

    /// True for 0h/00h Successful Completion (DNR, M and CRD do not matter).
    pub const fn is_success(self) -> bool {
        self.sct == SCT_GENERIC && self.sc == 0
    }

    /// The specification's name of the code ("unknown" for codes this driver does not name).
    ///
    /// Named: every code in docs/nvme-peer.md's table, the other generic SGL/PRP codes of
    /// the NVMe Base Specification ("Generic Command Status Values"), a few common generic,
    /// queue and media codes, and the Zoned Namespace command set's zone errors.
    pub const fn name(self) -> &'static str {
        match (self.sct, self.sc) {
            (SCT_GENERIC, sc) => match sc {
                0x00 => "Successful Completion",
                0x01 => "Invalid Command Opcode",
                0x02 => "Invalid Field in Command",
                0x03 => "Command ID Conflict",
                0x04 => "Data Transfer Error",
                0x05 => "Commands Aborted due to Power Loss Notification",
                0x06 => "Internal Error",
                0x07 => "Command Abort Requested",
                0x08 => "Command Aborted due to SQ Deletion",
                0x0b => "Invalid Namespace or Format",
                0x0c => "Command Sequence Error",
                0x0d => "Invalid SGL Segment Descriptor",
                0x0e => "Invalid Number of SGL Descriptors",
                0x0f => "Data SGL Length Invalid",
                0x10 => "Metadata SGL Length Invalid",
                0x11 => "SGL Descriptor Type Invalid",
                0x12 => "Invalid Use of Controller Memory Buffer",
                0x13 => "PRP Offset Invalid",
                0x16 => "SGL Offset Invalid",
                0x1e => "SGL Data Block Granularity Invalid",
                0x80 => "LBA Out of Range",
                0x81 => "Capacity Exceeded",
                0x82 => "Namespace Not Ready",
                _ => "unknown",
            },
            (SCT_COMMAND_SPECIFIC, sc) => match sc {
                0x00 => "Completion Queue Invalid",
                0x01 => "Invalid Queue Identifier",
                0x02 => "Invalid Queue Size",
                0x08 => "Invalid Interrupt Vector",
                0x0c => "Invalid Queue Deletion",
                // Zoned Namespace Command Set Specification, "Command Specific Status
                // Values": what a write to a zoned namespace driven as a plain one returns.
                0xb8 => "Zone Boundary Error",
                0xb9 => "Zone Is Full",
                0xba => "Zone Is Read Only",
                0xbb => "Zone Is Offline",
                0xbc => "Zone Invalid Write",
                0xbd => "Too Many Active Zones",
                0xbe => "Too Many Open Zones",
                0xbf => "Invalid Zone State Transition",
                _ => "unknown",
            },
            (SCT_MEDIA, sc) => match sc {
                0x80 => "Write Fault",
                0x81 => "Unrecovered Read Error",
                0x86 => "Access Denied",
                0x87 => "Deallocated or Unwritten Logical Block",
                _ => "unknown",
            },
            _ => "unknown",
        }
    }
}

impl fmt::Display for NvmeStatus {
    /// `Invalid SGL Segment Descriptor (SCT 0h, SC 0Dh, DNR)`; M and a non-zero CRD are
    /// appended like DNR.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (SCT {:X}h, SC {:02X}h",
            self.name(),
            self.sct,
            self.sc
        )?;
        if self.dnr {
            f.write_str(", DNR")?;
        }
        if self.more {
            f.write_str(", M")?;
        }
        if self.crd != 0 {
            write!(f, ", CRD {}", self.crd)?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dw3_fields_decode_at_their_bits() {
        // CID 0xbeef, phase 1, SC 0Dh, SCT 0, DNR.
        let dw3 = 0xbeef | (1 << 16) | (0x0d << 17) | (1 << 31);
        let s = NvmeStatus::from_cqe_dw3(dw3);
        assert_eq!(s, NvmeStatus::new(SCT_GENERIC, 0x0d, true));
        assert!(!s.more);
        let s = NvmeStatus::from_cqe_dw3((0x0c << 17) | (1 << 25) | (2 << 28) | (1 << 30));
        assert_eq!(
            s,
            NvmeStatus {
                sct: 1,
                sc: 0x0c,
                dnr: false,
                more: true,
                crd: 2
            }
        );
        assert!(NvmeStatus::from_cqe_dw3(0xffff | (1 << 16)).is_success());
        assert!(!NvmeStatus::from_cqe_dw3(1 << 17).is_success());
        assert!(
            !NvmeStatus::from_cqe_dw3(1 << 25).is_success(),
            "SCT 1, SC 0"
        );
    }

    #[test]
    fn field_round_trips_for_every_value() {
        for field in 0..(1u16 << 15) {
            assert_eq!(NvmeStatus::from_field(field).field(), field);
            let word = NvmeStatus::from_field(field).status_word(true);
            assert_eq!(
                NvmeStatus::from_cqe_dw3(u32::from(word) << 16),
                NvmeStatus::from_field(field)
            );
            assert_eq!(word & 1, 1);
        }
    }

    #[test]
    fn names_cover_the_contract_table() {
        let table = [
            (0, 0x00, "Successful Completion"),
            (0, 0x01, "Invalid Command Opcode"),
            (0, 0x02, "Invalid Field in Command"),
            (0, 0x04, "Data Transfer Error"),
            (0, 0x06, "Internal Error"),
            (0, 0x0b, "Invalid Namespace or Format"),
            (0, 0x0d, "Invalid SGL Segment Descriptor"),
            (0, 0x0e, "Invalid Number of SGL Descriptors"),
            (0, 0x0f, "Data SGL Length Invalid"),
            (0, 0x11, "SGL Descriptor Type Invalid"),
            (0, 0x13, "PRP Offset Invalid"),
            (0, 0x80, "LBA Out of Range"),
            (1, 0x00, "Completion Queue Invalid"),
            (1, 0x01, "Invalid Queue Identifier"),
            (1, 0x02, "Invalid Queue Size"),
            (1, 0x08, "Invalid Interrupt Vector"),
            (1, 0x0c, "Invalid Queue Deletion"),
            (1, 0xb8, "Zone Boundary Error"),
            (1, 0xbc, "Zone Invalid Write"),
            (1, 0xbf, "Invalid Zone State Transition"),
        ];
        for (sct, sc, name) in table {
            assert_eq!(NvmeStatus::new(sct, sc, true).name(), name);
        }
        assert_eq!(NvmeStatus::new(0, 0x42, false).name(), "unknown");
        assert_eq!(NvmeStatus::new(1, 0x80, false).name(), "unknown");
        assert_eq!(NvmeStatus::new(7, 0x01, false).name(), "unknown");
    }

    #[test]
    fn display_names_the_code_and_flags() {
        assert_eq!(
            NvmeStatus::new(0, 0x0d, true).to_string(),
            "Invalid SGL Segment Descriptor (SCT 0h, SC 0Dh, DNR)"
        );
        assert_eq!(
            NvmeStatus::new(0, 0x04, false).to_string(),
            "Data Transfer Error (SCT 0h, SC 04h)"
        );
        let mut s = NvmeStatus::new(2, 0x81, true);
        s.more = true;
        s.crd = 1;
        assert_eq!(
            s.to_string(),
            "Unrecovered Read Error (SCT 2h, SC 81h, DNR, M, CRD 1)"
        );
    }
}
