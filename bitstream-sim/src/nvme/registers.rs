// SPDX-License-Identifier: MIT OR Apache-2.0
//! The controller registers of BAR0 (0h-FFFh): offsets, field layouts, and the register file.
//! What writes do beyond storing (enable, reset, shutdown, doorbells) is in bar0.rs.

use super::NvmeConfig;

pub(super) const CAP: u64 = 0x00;
/// The upper dwords of the 64-bit registers.
pub(super) const CAP_HIGH: u64 = 0x04;
pub(super) const VS: u64 = 0x08;
pub(super) const INTMS: u64 = 0x0c;
pub(super) const INTMC: u64 = 0x10;
pub(super) const CC: u64 = 0x14;
pub(super) const CSTS: u64 = 0x1c;
pub(super) const AQA: u64 = 0x24;
pub(super) const ASQ: u64 = 0x28;
pub(super) const ASQ_HIGH: u64 = 0x2c;
pub(super) const ACQ: u64 = 0x30;
pub(super) const ACQ_HIGH: u64 = 0x34;
pub(super) const CMBLOC: u64 = 0x38;
pub(super) const CMBSZ: u64 = 0x3c;
/// Doorbells from here, 4 bytes apart (CAP.DSTRD = 0): SQ y tail at 1000h + 8y, CQ y head at
/// 1000h + 8y + 4.
pub(super) const DOORBELLS: u64 = 0x1000;

/// NVMe 1.4.
pub(super) const VERSION: u32 = 0x0001_0400;

/// CC bits software may write: EN (0), CSS (6:4), MPS (10:7), AMS (13:11), SHN (15:14),
/// IOSQES (19:16), IOCQES (23:20).
const CC_WRITABLE: u32 = 0x00ff_fff1;
/// AQA: ASQS (11:0) and ACQS (27:16), both 0-based.
const AQA_WRITABLE: u32 = 0x0fff_0fff;
/// ASQ/ACQ: all 64 bits are stored; an unaligned base fails the enable (CSTS.CFS).
const SHST_OCCURRING: u32 = 0b01;
const SHST_COMPLETE: u32 = 0b10;

/// CAP for a configuration: MQES, CQR, TO = 1 (500 ms), DSTRD = 0, CSS = NVM,
/// MPSMIN = MPSMAX = 0 (4 KiB pages only).
pub(super) fn capabilities(config: &NvmeConfig) -> u64 {
    let mqes = u64::from(config.max_queue_entries - 1);
    mqes | (1 << 16) | (1 << 24) | (1 << 37)
}

/// CMBLOC: the CMB is all of BAR2 (BIR 2, offset 0).
pub(super) const CMB_LOCATION: u32 = 2;

/// CMBSZ: Read Data and Write Data Support (data pointers may name CMB addresses), size in
/// 4 KiB units (SZU 0). `bytes` is a power of two of 4 KiB..=1 GiB, so SZ fits its 20 bits.
pub(super) fn cmb_size(bytes: u64) -> u32 {
    let units = (bytes / 4096) as u32;
    (1 << 3) | (1 << 4) | (units << 12)
}

/// The Controller Configuration fields the model acts on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Cc(pub u32);

impl Cc {
    pub fn masked(value: u32) -> Cc {
        Cc(value & CC_WRITABLE)
    }

    pub fn enabled(self) -> bool {
        self.0 & 1 != 0
    }

    pub fn css(self) -> u32 {
        (self.0 >> 4) & 0x7
    }

    pub fn mps(self) -> u32 {
        (self.0 >> 7) & 0xf
    }

    pub fn ams(self) -> u32 {
        (self.0 >> 11) & 0x7
    }

    pub fn shutdown_requested(self) -> bool {
        (self.0 >> 14) & 0x3 != 0
    }

    pub fn iosqes(self) -> u32 {
        (self.0 >> 16) & 0xf
    }

    pub fn iocqes(self) -> u32 {
        (self.0 >> 20) & 0xf
    }
}

/// Shutdown progress as CSTS.SHST shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) enum Shutdown {
    #[default]
    None,
    Occurring,
    Complete,
}

/// The register file: what software writes, and the status the controller shows.
#[derive(Default)]
pub(super) struct Registers {
    pub cc: Cc,
    pub aqa: u32,
    pub asq: u64,
    pub acq: u64,
    pub intms: u32,
    pub ready: bool,
    pub fatal: bool,
    pub shutdown: Shutdown,
}

impl Registers {
    /// Admin queue sizes in entries (AQA is 0-based): (SQ, CQ).
    pub fn admin_queue_sizes(&self) -> (u32, u32) {
        ((self.aqa & 0xfff) + 1, ((self.aqa >> 16) & 0xfff) + 1)
    }

    pub fn csts(&self) -> u32 {
        let shst = match self.shutdown {
            Shutdown::None => 0,
            Shutdown::Occurring => SHST_OCCURRING,
            Shutdown::Complete => SHST_COMPLETE,
        };
        u32::from(self.ready) | (u32::from(self.fatal) << 1) | (shst << 2)
    }

    /// Merges a write of `value` under the byte-lane `mask` into a plain register; false for
    /// an offset that is not one (read-only, CC, or unimplemented).
    pub fn write_plain(&mut self, offset: u64, value: u32, mask: u32) -> bool {
        match offset {
            INTMS => self.intms |= value & mask,
            INTMC => self.intms &= !(value & mask),
            AQA => self.aqa = merge(self.aqa, value, mask) & AQA_WRITABLE,
            ASQ | ASQ_HIGH => self.asq = merge64(self.asq, offset - ASQ, value, mask),
            ACQ | ACQ_HIGH => self.acq = merge64(self.acq, offset - ACQ, value, mask),
            _ => return false,
        }
        true
    }
}

/// `old` with the bytes selected by `mask` replaced from `value`.
pub(super) fn merge(old: u32, value: u32, mask: u32) -> u32 {
    (old & !mask) | (value & mask)
}

/// Merges a dword write into the low (`half` 0) or high (`half` 4) half of a 64-bit register.
fn merge64(old: u64, half: u64, value: u32, mask: u32) -> u64 {
    let shift = half * 8;
    let current = (old >> shift) as u32;
    let merged = u64::from(merge(current, value, mask));
    (old & !(0xffff_ffffu64 << shift)) | (merged << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixty_four_bit_registers_take_dword_halves() {
        let mut r = Registers::default();
        assert!(r.write_plain(ASQ, 0x1234_5000, 0xffff_ffff));
        assert!(r.write_plain(ASQ + 4, 0xab, 0xffff_ffff));
        assert_eq!(r.asq, 0xab_1234_5000);
        // A one-byte write touches one byte.
        assert!(r.write_plain(ACQ, 0x0000_7700, 0x0000_ff00));
        assert_eq!(r.acq, 0x7700);
        assert!(r.write_plain(AQA, 0xffff_ffff, 0xffff_ffff));
        assert_eq!(r.admin_queue_sizes(), (4096, 4096));
        assert!(!r.write_plain(CAP, 0, 0xffff_ffff));
        let cc = Cc::masked(0xffff_ffff);
        assert_eq!(cc.0, CC_WRITABLE);
        assert_eq!((cc.iosqes(), cc.iocqes(), cc.mps()), (0xf, 0xf, 0xf));
    }
}
