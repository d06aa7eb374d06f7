// SPDX-License-Identifier: MIT OR Apache-2.0
//! NVMe controller registers (BAR0), as tock-registers bitfields, read and written through the
//! [`Device`] trait.
//!
//! 64-bit registers (CAP, ASQ, ACQ) are accessed as two 32-bit accesses, low dword first:
//! every controller accepts that, not every host bridge or model does 64-bit MMIO.

use std::time::Duration;

use tock_registers::fields::FieldValue;
use tock_registers::{LocalRegisterCopy, RegisterLongName};

use crate::address::{BarIndex, BarOffset, BusAddr};
use crate::device::Device;
use crate::error::Result;

tock_registers::register_bitfields![
    u64,
    /// Controller Capabilities (offset 00h).
    pub CAP [
        /// Maximum Queue Entries Supported, 0-based.
        MQES OFFSET(0) NUMBITS(16) [],
        /// Contiguous Queues Required.
        CQR OFFSET(16) NUMBITS(1) [],
        /// Arbitration Mechanism Supported.
        AMS OFFSET(17) NUMBITS(2) [],
        /// Timeout: worst-case time for CSTS.RDY to follow CC.EN, in 500 ms units.
        TO OFFSET(24) NUMBITS(8) [],
        /// Doorbell Stride: doorbells are 4 << DSTRD bytes apart.
        DSTRD OFFSET(32) NUMBITS(4) [],
        /// NVM Subsystem Reset Supported.
        NSSRS OFFSET(36) NUMBITS(1) [],
        /// Command Sets Supported (bit 0: NVM command set).
        CSS OFFSET(37) NUMBITS(8) [],
        /// Boot Partition Support.
        BPS OFFSET(45) NUMBITS(1) [],
        /// Memory Page Size Minimum: 2 ^ (12 + MPSMIN) bytes.
        MPSMIN OFFSET(48) NUMBITS(4) [],
        /// Memory Page Size Maximum: 2 ^ (12 + MPSMAX) bytes.
        MPSMAX OFFSET(52) NUMBITS(4) [],
        /// Persistent Memory Region Supported.
        PMRS OFFSET(56) NUMBITS(1) [],
        /// Controller Memory Buffer Supported.
        CMBS OFFSET(57) NUMBITS(1) [],
    ]
];

tock_registers::register_bitfields![
    u32,
    /// Version (offset 08h).
    pub VS [
        /// Tertiary version.
        TER OFFSET(0) NUMBITS(8) [],
        /// Minor version.
        MNR OFFSET(8) NUMBITS(8) [],
        /// Major version.
        MJR OFFSET(16) NUMBITS(16) [],
    ],
    /// Controller Configuration (offset 14h).
    pub CC [
        /// Enable.
        EN OFFSET(0) NUMBITS(1) [],
        /// I/O Command Set Selected (000b: NVM command set).
        CSS OFFSET(4) NUMBITS(3) [
            Nvm = 0
        ],
        /// Memory Page Size: 2 ^ (12 + MPS) bytes.
        MPS OFFSET(7) NUMBITS(4) [],
        /// Arbitration Mechanism Selected (000b: round robin).
        AMS OFFSET(11) NUMBITS(3) [],
        /// Shutdown Notification.
        SHN OFFSET(14) NUMBITS(2) [
            None = 0,
            Normal = 1,
            Abrupt = 2
        ],
        /// I/O Submission Queue Entry Size, log2 bytes.
        IOSQES OFFSET(16) NUMBITS(4) [],
        /// I/O Completion Queue Entry Size, log2 bytes.
        IOCQES OFFSET(20) NUMBITS(4) [],
    ],
    /// Controller Status (offset 1Ch).
    pub CSTS [
        /// Ready.
        RDY OFFSET(0) NUMBITS(1) [],
        /// Controller Fatal Status.
        CFS OFFSET(1) NUMBITS(1) [],
        /// Shutdown Status.
        SHST OFFSET(2) NUMBITS(2) [
            Normal = 0,
            Occurring = 1,
            Complete = 2
        ],
        /// NVM Subsystem Reset Occurred.
        NSSRO OFFSET(4) NUMBITS(1) [],
        /// Processing Paused.
        PP OFFSET(5) NUMBITS(1) [],
    ],
    /// Admin Queue Attributes (offset 24h).
    pub AQA [
        /// Admin Submission Queue Size, 0-based.
        ASQS OFFSET(0) NUMBITS(12) [],
        /// Admin Completion Queue Size, 0-based.
        ACQS OFFSET(16) NUMBITS(12) [],
    ],
    /// Controller Memory Buffer Location (offset 38h).
    pub CMBLOC [
        /// Base Indicator Register: the BAR holding the CMB.
        BIR OFFSET(0) NUMBITS(3) [],
        /// Offset of the CMB in the BAR, in CMBSZ.SZU units.
        OFST OFFSET(12) NUMBITS(20) [],
    ],
    /// Controller Memory Buffer Size (offset 3Ch).
    pub CMBSZ [
        /// Submission Queue Support.
        SQS OFFSET(0) NUMBITS(1) [],
        /// Completion Queue Support.
        CQS OFFSET(1) NUMBITS(1) [],
        /// PRP SGL List Support.
        LISTS OFFSET(2) NUMBITS(1) [],
        /// Read Data Support.
        RDS OFFSET(3) NUMBITS(1) [],
        /// Write Data Support.
        WDS OFFSET(4) NUMBITS(1) [],
        /// Size Units: 4 KiB << (4 * SZU).
        SZU OFFSET(8) NUMBITS(4) [],
        /// Size, in SZU units.
        SZ OFFSET(12) NUMBITS(20) [],
    ]
];

/// CAP offset.
pub(crate) const CAP_OFFSET: u64 = 0x00;
/// VS offset.
pub(crate) const VS_OFFSET: u64 = 0x08;
/// CC offset.
pub(crate) const CC_OFFSET: u64 = 0x14;
/// CSTS offset.
pub(crate) const CSTS_OFFSET: u64 = 0x1c;
/// AQA offset.
pub(crate) const AQA_OFFSET: u64 = 0x24;
/// ASQ offset (64-bit).
pub(crate) const ASQ_OFFSET: u64 = 0x28;
/// ACQ offset (64-bit).
pub(crate) const ACQ_OFFSET: u64 = 0x30;
/// CMBLOC offset.
pub(crate) const CMBLOC_OFFSET: u64 = 0x38;
/// CMBSZ offset.
pub(crate) const CMBSZ_OFFSET: u64 = 0x3c;
/// First doorbell (SQ 0 tail).
pub(crate) const DOORBELL_BASE: u64 = 0x1000;

/// The SQ tail doorbell of queue `qid`: 1000h + (2 * qid) * (4 << DSTRD).
pub(crate) fn sq_tail_doorbell(qid: u16, dstrd: u8) -> BarOffset {
    BarOffset::new(DOORBELL_BASE + (2 * u64::from(qid)) * (4u64 << dstrd))
}

/// The CQ head doorbell of queue `qid`: 1000h + (2 * qid + 1) * (4 << DSTRD).
pub(crate) fn cq_head_doorbell(qid: u16, dstrd: u8) -> BarOffset {
    BarOffset::new(DOORBELL_BASE + (2 * u64::from(qid) + 1) * (4u64 << dstrd))
}

/// Reads a 32-bit register.
pub fn read32<R: RegisterLongName>(
    dev: &dyn Device,
    offset: u64,
) -> Result<LocalRegisterCopy<u32, R>> {
    Ok(LocalRegisterCopy::new(
        dev.bar_read32(BarIndex::BAR0, BarOffset::new(offset))?,
    ))
}

/// Writes a 32-bit register (fields not named in `value` are written as 0).
pub(crate) fn write32<R: RegisterLongName>(
    dev: &dyn Device,
    offset: u64,
    value: FieldValue<u32, R>,
) -> Result<()> {
    dev.bar_write32(BarIndex::BAR0, BarOffset::new(offset), value.value)
}

/// Writes CC from a modified copy of it (every field as in `cc`).
pub(crate) fn write_cc(dev: &dyn Device, cc: LocalRegisterCopy<u32, CC::Register>) -> Result<()> {
    dev.bar_write32(BarIndex::BAR0, BarOffset::new(CC_OFFSET), cc.get())
}

/// Reads CAP (two 32-bit reads, low first).
pub(crate) fn read_cap(dev: &dyn Device) -> Result<LocalRegisterCopy<u64, CAP::Register>> {
    let lo = dev.bar_read32(BarIndex::BAR0, BarOffset::new(CAP_OFFSET))?;
    let hi = dev.bar_read32(BarIndex::BAR0, BarOffset::new(CAP_OFFSET + 4))?;
    Ok(LocalRegisterCopy::new(
        u64::from(lo) | (u64::from(hi) << 32),
    ))
}

/// Writes a 64-bit address register (ASQ/ACQ) as two 32-bit writes, low first.
pub(crate) fn write_addr(dev: &dyn Device, offset: u64, addr: BusAddr) -> Result<()> {
    dev.bar_write32(BarIndex::BAR0, BarOffset::new(offset), addr.get() as u32)?;
    dev.bar_write32(
        BarIndex::BAR0,
        BarOffset::new(offset + 4),
        (addr.get() >> 32) as u32,
    )
}

/// CAP.TO as a duration (500 ms units).
pub(crate) fn cap_timeout(cap: &LocalRegisterCopy<u64, CAP::Register>) -> Duration {
    Duration::from_millis(500 * cap.read(CAP::TO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doorbells_follow_the_stride() {
        assert_eq!(sq_tail_doorbell(0, 0), BarOffset::new(0x1000));
        assert_eq!(cq_head_doorbell(0, 0), BarOffset::new(0x1004));
        assert_eq!(sq_tail_doorbell(3, 0), BarOffset::new(0x1018));
        assert_eq!(cq_head_doorbell(3, 0), BarOffset::new(0x101c));
        // DSTRD 2: 16-byte doorbells.
        assert_eq!(sq_tail_doorbell(1, 2), BarOffset::new(0x1020));
        assert_eq!(cq_head_doorbell(1, 2), BarOffset::new(0x1030));
    }

    #[test]
    fn cap_fields_sit_at_their_bits() {
        let raw: u64 =
            0x3ff | (1 << 16) | (3 << 24) | (2 << 32) | (1 << 37) | (1 << 48) | (4 << 52);
        let cap = LocalRegisterCopy::<u64, CAP::Register>::new(raw);
        assert_eq!(cap.read(CAP::MQES), 0x3ff);
        assert!(cap.is_set(CAP::CQR));
        assert_eq!(cap.read(CAP::TO), 3);
        assert_eq!(cap_timeout(&cap), Duration::from_millis(1500));
        assert_eq!(cap.read(CAP::DSTRD), 2);
        assert_eq!(cap.read(CAP::CSS), 1);
        assert_eq!(cap.read(CAP::MPSMIN), 1);
        assert_eq!(cap.read(CAP::MPSMAX), 4);
        let cc = CC::EN::SET
            + CC::CSS::Nvm
            + CC::MPS.val(0)
            + CC::IOSQES.val(6)
            + CC::IOCQES.val(4)
            + CC::SHN::Normal;
        assert_eq!(cc.value, 1 | (1 << 14) | (6 << 16) | (4 << 20));
        let csts = LocalRegisterCopy::<u32, CSTS::Register>::new(0b1010);
        assert!(csts.is_set(CSTS::CFS));
        assert!(!csts.is_set(CSTS::RDY));
        assert_eq!(csts.read(CSTS::SHST), 2);
        assert_eq!(
            (AQA::ASQS.val(31) + AQA::ACQS.val(15)).value,
            31 | (15 << 16)
        );
    }
}
