// SPDX-License-Identifier: MIT OR Apache-2.0
//! Configuration space of the simulated endpoint, as the UltraScale+ block presents it.
//!
//! The hard block owns config space on the board; this model plays that part: IDs, BARs sized
//! from the RTL's parameters (with PCI BAR-sizing semantics), and a capability list with Power
//! Management, MSI-X and PCI Express capabilities. Writable bits follow per-byte write masks, so
//! software sees what it would see on real hardware. The `cfg_*` status the RTL reads
//! (`cfg_max_payload`, `cfg_max_read_req`, bus-master enable, RCB) is derived from it.

use peerbar::regs::{self, CAPABILITIES};

use crate::config_bytes::ConfigBytes;

/// Xilinx's vendor ID, the UltraScale+ block's default.
pub const VENDOR_ID: u16 = 0x10ee;
/// The UltraScale+ Gen3 x8 default device ID.
pub const DEVICE_ID: u16 = 0x9038;
pub const SUBSYSTEM_VENDOR_ID: u16 = 0x10ee;
pub const SUBSYSTEM_ID: u16 = 0x0007;
/// Class code: memory controller (05h), other (80h).
pub const CLASS_CODE: u32 = 0x05_80_00;

/// BAR0 (registers) is 64 KiB, fixed by the architecture.
pub const BAR0_SIZE_LOG2: u32 = 16;
/// Where "firmware" placed the BARs in the simulated bus address space.
pub const BAR0_BASE: u64 = 0xfe00_0000;
pub const BAR2_BASE: u64 = 0x38_0000_0000;

pub const CAP_PM: u16 = 0x40;
pub const CAP_MSIX: u16 = 0x60;
pub const CAP_PCIE: u16 = 0x70;
/// MSI-X vectors: one per queue pair, as many as the RTL's table has (the IP is configured the
/// same way on the boards). The model is verilated with the RTL's default NumQueues, which
/// CAPABILITIES.DMA_QUEUES's reset value in the register map is.
pub const MSIX_TABLE_SIZE: u16 = ((regs::CAPABILITIES_REG.reset >> CAPABILITIES::DMA_QUEUES.shift)
    & CAPABILITIES::DMA_QUEUES.mask) as u16;

const COMMAND: usize = 0x04;
const COMMAND_BUS_MASTER: u16 = 1 << 2;
const COMMAND_MEMORY: u16 = 1 << 1;
const BAR0: usize = 0x10;
const BAR2: usize = 0x18;
const DEVCTL: usize = CAP_PCIE as usize + 0x08;
const LNKCTL: usize = CAP_PCIE as usize + 0x10;
/// Device Capabilities bit 28: Function Level Reset supported.
const DEVCAP_FLR: u32 = 1 << 28;
/// Device Control bit 15: Initiate Function Level Reset (writing 1 starts one; reads 0).
const DEVCTL_INITIATE_FLR: u16 = 1 << 15;
/// Device Control after reset: MPS 128 B, MRRS 512 B, relaxed ordering, no snoop (PCIe defaults).
const DEVCTL_RESET: u16 = (2 << 12) | (1 << 11) | (1 << 4);

/// Config space bytes plus, per byte, which bits software may write.
#[derive(Clone)]
pub struct ConfigSpace {
    raw: ConfigBytes,
    bar2_size_log2: u32,
    /// Software wrote 1 to Device Control's Initiate Function Level Reset bit.
    flr_requested: bool,
}

impl ConfigSpace {
    /// Builds config space for an endpoint with a BAR2 of `1 << bar2_size_log2` bytes, with the
    /// host's Max Payload Size, Max Read Request Size and RCB (all in bytes) already configured,
    /// memory decoding and bus mastering enabled, as firmware and the OS leave a device.
    pub fn new(bar2_size_log2: u32, mps: u16, mrrs: u16, rcb: u16) -> ConfigSpace {
        let mut cs = ConfigSpace {
            raw: ConfigBytes::default(),
            bar2_size_log2,
            flr_requested: false,
        };
        cs.raw.put16(0x00, VENDOR_ID);
        cs.raw.put16(0x02, DEVICE_ID);
        cs.raw.put16(COMMAND, COMMAND_MEMORY | COMMAND_BUS_MASTER);
        // Command: memory space, bus master, SERR, INTx disable are writable.
        cs.raw.mask16(
            COMMAND,
            COMMAND_MEMORY | COMMAND_BUS_MASTER | (1 << 8) | (1 << 10),
        );
        cs.raw.put16(0x06, 1 << 4); // Status: capabilities list present.
        cs.raw.put32(0x08, CLASS_CODE << 8); // revision 0
        cs.raw.bytes[0x0e] = 0x00; // header type 0, single function
                                   // BAR0: 32-bit non-prefetchable memory; address bits above the size are writable.
        cs.raw.put32(BAR0, BAR0_BASE as u32);
        cs.raw.mask32(BAR0, !((1u32 << BAR0_SIZE_LOG2) - 1));
        // BAR2/3: 64-bit prefetchable memory (type 10b, prefetchable bit 3).
        let bar2_low_mask: u64 = !((1u64 << bar2_size_log2) - 1);
        cs.raw.put32(BAR2, (BAR2_BASE as u32) | 0b1100);
        cs.raw.put32(BAR2 + 4, (BAR2_BASE >> 32) as u32);
        cs.raw.mask32(BAR2, bar2_low_mask as u32 & !0xf);
        cs.raw.mask32(BAR2 + 4, (bar2_low_mask >> 32) as u32);
        cs.raw.put16(0x2c, SUBSYSTEM_VENDOR_ID);
        cs.raw.put16(0x2e, SUBSYSTEM_ID);
        cs.raw.bytes[0x34] = CAP_PM as u8;
        cs.raw.bytes[0x3d] = 0x01; // interrupt pin INTA (legacy; unused)

        // Power Management capability, version 3, D0.
        let pm = usize::from(CAP_PM);
        cs.raw.bytes[pm] = 0x01;
        cs.raw.bytes[pm + 1] = CAP_MSIX as u8;
        cs.raw.put16(pm + 2, 0x0003);
        cs.raw.mask16(pm + 4, 0x0003); // PMCSR power state

        // MSI-X capability: table and PBA in BAR0 (the RTL implements them with the DMA engine)
        // at the register map's offsets.
        let msix = usize::from(CAP_MSIX);
        cs.raw.bytes[msix] = 0x11;
        cs.raw.bytes[msix + 1] = CAP_PCIE as u8;
        cs.raw.put16(msix + 2, MSIX_TABLE_SIZE - 1);
        cs.raw.mask16(msix + 2, 0xc000); // enable, function mask
        cs.raw.put32(msix + 4, regs::MSIX_TABLE_BASE as u32); // BIR 0
        cs.raw.put32(msix + 8, regs::MSIX_PBA_REG.offset as u32); // BIR 0

        // PCI Express capability, version 2, endpoint.
        let pcie = usize::from(CAP_PCIE);
        cs.raw.bytes[pcie] = 0x10;
        cs.raw.bytes[pcie + 1] = 0x00;
        cs.raw.put16(pcie + 2, 0x0002);
        // Device Capabilities: 1024-byte max payload supported, extended tags, FLR.
        cs.raw.put32(pcie + 4, 0b011 | (1 << 5) | DEVCAP_FLR);
        // Device Control: MPS (7:5), MRRS (14:12), relaxed ordering, extended tag, no snoop.
        let devctl = (encode_size(mps) << 5) | (encode_size(mrrs) << 12) | (1 << 4) | (1 << 8);
        cs.raw.put16(DEVCTL, devctl);
        cs.raw.mask16(DEVCTL, 0x7fff);
        // Link Capabilities: 8 GT/s, x8.
        cs.raw.put32(pcie + 0x0c, 0x3 | (8 << 4));
        // Link Control: RCB (bit 3) is set by software to the root port's RCB.
        cs.raw.put16(LNKCTL, if rcb == 128 { 1 << 3 } else { 0 });
        cs.raw.mask16(LNKCTL, 0x0008);
        // Link Status: 8 GT/s, x8.
        cs.raw.put16(pcie + 0x12, 0x3 | (8 << 4));
        // Device Capabilities 2: completion timeout ranges A-D programmable, disable supported.
        cs.raw.put32(pcie + 0x24, 0x1f);
        cs.raw.mask16(pcie + 0x28, 0x001f);
        cs
    }

    pub fn read(&self, offset: usize, buf: &mut [u8]) {
        self.raw.read(offset, buf);
    }

    /// Writes through the per-byte write masks: read-only bits keep their value. A 1 written
    /// to Device Control bit 15 requests a function-level reset ([`ConfigSpace::take_flr_request`]);
    /// the bit itself always reads 0.
    pub fn write(&mut self, offset: usize, data: &[u8]) {
        let flr_byte = DEVCTL + 1;
        if (offset..offset + data.len()).contains(&flr_byte)
            && data[flr_byte - offset] & (DEVCTL_INITIATE_FLR >> 8) as u8 != 0
        {
            self.flr_requested = true;
        }
        self.raw.write(offset, data);
        self.clamp_device_control();
    }

    /// True once after software initiated a function-level reset.
    pub fn take_flr_request(&mut self) -> bool {
        std::mem::take(&mut self.flr_requested)
    }

    /// What a function-level reset does to config space: the registers the function owns go
    /// back to their reset values (Command, BAR addresses, PM state, MSI-X Enable and Function
    /// Mask, Device Control); link registers (Link Control's RCB) and read-only fields stay. The
    /// OS saves config space before an FLR and restores it afterwards.
    pub fn function_level_reset(&mut self) {
        self.raw.put16(COMMAND, 0);
        self.raw.put32(BAR0, 0);
        self.raw.put32(BAR2, 0b1100);
        self.raw.put32(BAR2 + 4, 0);
        self.raw.put16(usize::from(CAP_PM) + 4, 0);
        let msix_control = usize::from(CAP_MSIX) + 2;
        let mc = self.raw.get16(msix_control) & !0xc000;
        self.raw.put16(msix_control, mc);
        self.raw.put16(DEVCTL, DEVCTL_RESET);
        self.raw.put16(usize::from(CAP_PCIE) + 0x28, 0);
        self.flr_requested = false;
    }

    /// Sizes the host programmed into Device Control, in bytes.
    pub fn max_payload(&self) -> u16 {
        decode_size(self.devctl() >> 5)
    }

    pub fn max_read_request(&self) -> u16 {
        decode_size(self.devctl() >> 12)
    }

    /// Read Completion Boundary in bytes (Link Control bit 3).
    pub fn rcb(&self) -> u16 {
        if self.raw.get16(LNKCTL) & (1 << 3) != 0 {
            128
        } else {
            64
        }
    }

    /// Extended Tag Field Enable (Device Control bit 8): the function may use 8-bit tags.
    pub fn extended_tags(&self) -> bool {
        self.devctl() & (1 << 8) != 0
    }

    pub fn bus_master(&self) -> bool {
        self.raw.get16(COMMAND) & COMMAND_BUS_MASTER != 0
    }

    /// MSI-X Enable (Message Control bit 15).
    pub fn msix_enabled(&self) -> bool {
        self.raw.get16(usize::from(CAP_MSIX) + 2) & (1 << 15) != 0
    }

    /// MSI-X Function Mask (Message Control bit 14).
    pub fn msix_function_masked(&self) -> bool {
        self.raw.get16(usize::from(CAP_MSIX) + 2) & (1 << 14) != 0
    }

    pub fn memory_enabled(&self) -> bool {
        self.raw.get16(COMMAND) & COMMAND_MEMORY != 0
    }

    /// Bus address BAR0 is decoded at.
    pub fn bar0_base(&self) -> u64 {
        u64::from(self.raw.get32(BAR0) & !0xf)
    }

    /// Bus address BAR2 is decoded at.
    pub fn bar2_base(&self) -> u64 {
        (u64::from(self.raw.get32(BAR2 + 4)) << 32) | u64::from(self.raw.get32(BAR2) & !0xf)
    }

    pub fn bar2_size_log2(&self) -> u32 {
        self.bar2_size_log2
    }

    /// `cfg_max_payload` encoding: 0=128 B .. 3=1024 B.
    pub fn cfg_max_payload(&self) -> u8 {
        ((self.devctl() >> 5) & 0x7).min(3) as u8
    }

    /// `cfg_max_read_req` encoding: 0=128 B .. 5=4096 B.
    pub fn cfg_max_read_req(&self) -> u8 {
        ((self.devctl() >> 12) & 0x7).min(5) as u8
    }

    fn devctl(&self) -> u16 {
        self.raw.get16(DEVCTL)
    }

    /// Encodings above what the device supports are reserved; keep the field legal the way
    /// hardware would (MPS at most 1024 B, MRRS at most 4096 B).
    fn clamp_device_control(&mut self) {
        let mut d = self.devctl();
        if (d >> 5) & 0x7 > 3 {
            d = (d & !(0x7 << 5)) | (3 << 5);
        }
        if (d >> 12) & 0x7 > 5 {
            d = (d & !(0x7 << 12)) | (5 << 12);
        }
        self.raw.put16(DEVCTL, d);
    }
}

/// 128 << n encoding used by Device Control's MPS and MRRS fields.
fn encode_size(bytes: u16) -> u16 {
    (bytes / 128).trailing_zeros() as u16
}

fn decode_size(field: u16) -> u16 {
    128 << (field & 0x7).min(5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_sizing_reads_back_the_size_mask() {
        let mut cs = ConfigSpace::new(20, 256, 512, 64);
        cs.write(BAR2, &0xffff_ffffu32.to_le_bytes());
        cs.write(BAR2 + 4, &0xffff_ffffu32.to_le_bytes());
        let mut lo = [0u8; 4];
        let mut hi = [0u8; 4];
        cs.read(BAR2, &mut lo);
        cs.read(BAR2 + 4, &mut hi);
        let v = (u64::from(u32::from_le_bytes(hi)) << 32) | u64::from(u32::from_le_bytes(lo));
        assert_eq!(v & 0xf, 0b1100, "64-bit prefetchable");
        assert_eq!((!(v & !0xf)).wrapping_add(1), 1 << 20);
        cs.write(BAR0, &0xffff_ffffu32.to_le_bytes());
        cs.read(BAR0, &mut lo);
        assert_eq!(u32::from_le_bytes(lo), 0xffff_0000);
    }

    #[test]
    fn device_control_drives_cfg_status() {
        let mut cs = ConfigSpace::new(20, 256, 512, 64);
        assert_eq!(
            (cs.max_payload(), cs.max_read_request(), cs.rcb()),
            (256, 512, 64)
        );
        assert_eq!((cs.cfg_max_payload(), cs.cfg_max_read_req()), (1, 2));
        // Ask for reserved encodings: clamped to the supported maximum.
        cs.write(DEVCTL, &0x7fffu16.to_le_bytes());
        assert_eq!((cs.max_payload(), cs.max_read_request()), (1024, 4096));
        // Read-only vendor ID ignores writes.
        cs.write(0, &[0, 0]);
        let mut id = [0u8; 2];
        cs.read(0, &mut id);
        assert_eq!(u16::from_le_bytes(id), VENDOR_ID);
    }

    #[test]
    fn initiate_flr_is_requested_once_and_resets_what_the_function_owns() {
        let mut cs = ConfigSpace::new(20, 512, 1024, 128);
        let devctl = cs.devctl();
        cs.write(DEVCTL, &(devctl | DEVCTL_INITIATE_FLR).to_le_bytes());
        assert_eq!(cs.devctl() & DEVCTL_INITIATE_FLR, 0, "the bit reads 0");
        assert!(cs.take_flr_request());
        assert!(!cs.take_flr_request(), "one request per write");
        cs.write(DEVCTL, &devctl.to_le_bytes());
        assert!(!cs.take_flr_request());
        cs.function_level_reset();
        assert!(!cs.memory_enabled() && !cs.bus_master() && !cs.msix_enabled());
        assert_eq!((cs.bar0_base(), cs.bar2_base()), (0, 0));
        assert_eq!((cs.max_payload(), cs.max_read_request()), (128, 512));
        assert_eq!(cs.rcb(), 128, "link registers are not reset by FLR");
    }
}
