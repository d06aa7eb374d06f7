// SPDX-License-Identifier: MIT OR Apache-2.0
//! PCI configuration space of the NVMe function: IDs, BAR0 (registers, doorbells, MSI-X), an
//! optional BAR2 (the CMB), and a capability list with MSI-X and PCI Express. Writable bits
//! follow per-byte write masks, so BAR sizing and read-only fields behave as on hardware.

use crate::config_bytes::ConfigBytes;

use super::{NvmeController, MSIX_PBA_OFFSET, MSIX_TABLE_OFFSET};

/// Xilinx's vendor ID (the model's VID and SSVID in Identify Controller too).
pub const VENDOR_ID: u16 = 0x10ee;
/// "peerbar simulated NVMe".
pub const DEVICE_ID: u16 = 0x9e01;
pub const SUBSYSTEM_VENDOR_ID: u16 = VENDOR_ID;
pub const SUBSYSTEM_ID: u16 = DEVICE_ID;
/// Mass storage (01h), non-volatile memory (08h), NVM Express (02h).
pub const CLASS_CODE: u32 = 0x01_08_02;

pub const CAP_MSIX: u16 = 0x40;
pub const CAP_PCIE: u16 = 0x50;

const COMMAND: usize = 0x04;
const COMMAND_MEMORY: u16 = 1 << 1;
const COMMAND_BUS_MASTER: u16 = 1 << 2;
const COMMAND_INTX_DISABLE: u16 = 1 << 10;
const BAR0: usize = 0x10;
const BAR2: usize = 0x18;
const MSIX_CONTROL: usize = CAP_MSIX as usize + 2;
const MSIX_ENABLE: u16 = 1 << 15;
const MSIX_FUNCTION_MASK: u16 = 1 << 14;
const DEVCTL: usize = CAP_PCIE as usize + 0x08;
/// Device Capabilities MPS Supported: 512 bytes (encoding 2).
const MPS_SUPPORTED: u16 = 2;
/// MRRS encodings above 4096 bytes (5) are reserved.
const MRRS_MAX: u16 = 5;

/// Config space bytes plus, per byte, which bits software may write.
pub struct NvmeConfigSpace {
    raw: ConfigBytes,
}

impl NvmeConfigSpace {
    /// Config space with BAR0 at `bar0_base`, BAR2 at `cmb.0` of `cmb.1` bytes (a power of
    /// two) when there is a CMB, and `msix_vectors` MSI-X vectors. Memory decoding and bus
    /// mastering start enabled, as firmware and the OS leave a device; MPS 256, MRRS 512.
    pub fn new(bar0_base: u64, cmb: Option<(u64, u64)>, msix_vectors: u16) -> NvmeConfigSpace {
        let mut cs = NvmeConfigSpace {
            raw: ConfigBytes::default(),
        };
        cs.raw.put16(0x00, VENDOR_ID);
        cs.raw.put16(0x02, DEVICE_ID);
        cs.raw.put16(COMMAND, COMMAND_MEMORY | COMMAND_BUS_MASTER);
        cs.raw.mask16(
            COMMAND,
            COMMAND_MEMORY | COMMAND_BUS_MASTER | COMMAND_INTX_DISABLE,
        );
        cs.raw.put16(0x06, 1 << 4); // Status: capabilities list
        cs.raw.put32(0x08, CLASS_CODE << 8); // revision 0
        cs.put_bar64(BAR0, bar0_base, NvmeController::BAR0_LEN, false);
        if let Some((base, size)) = cmb {
            let size = size
                .max(4096)
                .checked_next_power_of_two()
                .unwrap_or(1 << 63);
            cs.put_bar64(BAR2, base, size, true);
        }
        cs.raw.put16(0x2c, SUBSYSTEM_VENDOR_ID);
        cs.raw.put16(0x2e, SUBSYSTEM_ID);
        cs.raw.bytes[0x34] = CAP_MSIX as u8;

        // MSI-X: table and PBA in BAR0 above the doorbells.
        let msix = usize::from(CAP_MSIX);
        cs.raw.bytes[msix] = 0x11;
        cs.raw.bytes[msix + 1] = CAP_PCIE as u8;
        cs.raw.put16(MSIX_CONTROL, msix_vectors.clamp(1, 2048) - 1);
        cs.raw
            .mask16(MSIX_CONTROL, MSIX_ENABLE | MSIX_FUNCTION_MASK);
        cs.raw.put32(msix + 4, MSIX_TABLE_OFFSET as u32); // BIR 0
        cs.raw.put32(msix + 8, MSIX_PBA_OFFSET as u32); // BIR 0

        // PCI Express capability, version 2, endpoint.
        let pcie = usize::from(CAP_PCIE);
        cs.raw.bytes[pcie] = 0x10;
        cs.raw.put16(pcie + 2, 0x0002);
        // Device Capabilities: MPS supported 512 bytes, extended tags.
        cs.raw.put32(pcie + 4, u32::from(MPS_SUPPORTED) | (1 << 5));
        // Device Control: relaxed ordering, MPS 256 (7:5), extended tags, no snoop, MRRS 512
        // (14:12).
        cs.raw.put16(
            DEVCTL,
            (1 << 4) | (1 << 5) | (1 << 8) | (1 << 11) | (2 << 12),
        );
        cs.raw.mask16(DEVCTL, 0x7fff);
        // Link Capabilities and Status: 8 GT/s, x4.
        cs.raw.put32(pcie + 0x0c, 0x3 | (4 << 4));
        cs.raw.put16(pcie + 0x12, 0x3 | (4 << 4));
        cs
    }

    /// Reads config bytes; bytes past the 4 KiB read 0.
    pub fn read(&self, offset: usize, buf: &mut [u8]) {
        self.raw.read(offset, buf);
    }

    /// Writes through the per-byte write masks: read-only bits keep their value, bytes past
    /// the 4 KiB are dropped.
    pub fn write(&mut self, offset: usize, data: &[u8]) {
        self.raw.write(offset, data);
        self.clamp_device_control();
    }

    pub fn memory_enabled(&self) -> bool {
        self.raw.get16(COMMAND) & COMMAND_MEMORY != 0
    }

    pub fn bus_master(&self) -> bool {
        self.raw.get16(COMMAND) & COMMAND_BUS_MASTER != 0
    }

    /// MSI-X Enable (Message Control bit 15).
    pub fn msix_enabled(&self) -> bool {
        self.raw.get16(MSIX_CONTROL) & MSIX_ENABLE != 0
    }

    /// MSI-X Function Mask (Message Control bit 14): every vector masked.
    pub fn msix_function_masked(&self) -> bool {
        self.raw.get16(MSIX_CONTROL) & MSIX_FUNCTION_MASK != 0
    }

    pub fn bar0_base(&self) -> u64 {
        self.bar64(BAR0)
    }

    /// The CMB's bus address (0 when there is no CMB).
    pub fn bar2_base(&self) -> u64 {
        self.bar64(BAR2)
    }

    /// Max Payload Size the host programmed, in bytes.
    pub fn max_payload(&self) -> u16 {
        128 << ((self.raw.get16(DEVCTL) >> 5) & 0x7)
    }

    /// Max Read Request Size the host programmed, in bytes.
    pub fn max_read_request(&self) -> u16 {
        128 << ((self.raw.get16(DEVCTL) >> 12) & 0x7)
    }

    /// A 64-bit memory BAR of `size` bytes (a power of two) at `base`: the address bits below
    /// the size read 0, so writing all ones reads back the size mask.
    fn put_bar64(&mut self, offset: usize, base: u64, size: u64, prefetchable: bool) {
        let flags = 0b100 | if prefetchable { 0b1000 } else { 0 };
        let mask = !(size - 1);
        let base = base & mask;
        self.raw.put32(offset, base as u32 | flags);
        self.raw.put32(offset + 4, (base >> 32) as u32);
        self.raw.mask32(offset, mask as u32 & !0xf);
        self.raw.mask32(offset + 4, (mask >> 32) as u32);
    }

    fn bar64(&self, offset: usize) -> u64 {
        (u64::from(self.raw.get32(offset + 4)) << 32) | u64::from(self.raw.get32(offset) & !0xf)
    }

    /// Reserved encodings are not kept: MPS at most what Device Capabilities supports, MRRS
    /// at most 4096 bytes, as hardware would.
    fn clamp_device_control(&mut self) {
        let mut d = self.raw.get16(DEVCTL);
        if (d >> 5) & 0x7 > MPS_SUPPORTED {
            d = (d & !(0x7 << 5)) | (MPS_SUPPORTED << 5);
        }
        if (d >> 12) & 0x7 > MRRS_MAX {
            d = (d & !(0x7 << 12)) | (MRRS_MAX << 12);
        }
        self.raw.put16(DEVCTL, d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use peerbar::device::CONFIG_SPACE_LEN;

    fn read32(cs: &NvmeConfigSpace, off: usize) -> u32 {
        let mut b = [0u8; 4];
        cs.read(off, &mut b);
        u32::from_le_bytes(b)
    }

    fn read64(cs: &NvmeConfigSpace, off: usize) -> u64 {
        let mut b = [0u8; 8];
        cs.read(off, &mut b);
        u64::from_le_bytes(b)
    }

    #[test]
    fn ids_class_and_capability_chain() {
        let cs = NvmeConfigSpace::new(0xfd00_0000, None, 8);
        assert_eq!(read32(&cs, 0), 0x9e01_10ee);
        assert_eq!(read32(&cs, 8) >> 8, 0x01_08_02);
        assert_eq!(read32(&cs, 0x2c), 0x9e01_10ee);
        let mut chain = Vec::new();
        let mut at = usize::from(cs.raw.bytes[0x34]);
        while at != 0 {
            chain.push((at, cs.raw.bytes[at]));
            at = usize::from(cs.raw.bytes[at + 1]);
        }
        assert_eq!(chain, [(0x40, 0x11), (0x50, 0x10)]);
        // MSI-X: 8 vectors, table at 3000h and PBA at 3800h in BAR0.
        assert_eq!(read32(&cs, 0x40) >> 16, 7);
        assert_eq!(read32(&cs, 0x44), 0x3000);
        assert_eq!(read32(&cs, 0x48), 0x3800);
        assert!(cs.memory_enabled() && cs.bus_master() && !cs.msix_enabled());
        assert_eq!((cs.max_payload(), cs.max_read_request()), (256, 512));
        assert_eq!(cs.bar2_base(), 0, "no CMB, no BAR2");
    }

    #[test]
    fn bars_size_like_hardware() {
        let mut cs = NvmeConfigSpace::new(0xfd00_0000, Some((0x38_1000_0000, 1 << 20)), 8);
        assert_eq!(cs.bar0_base(), 0xfd00_0000);
        assert_eq!(cs.bar2_base(), 0x38_1000_0000);
        assert_eq!(read32(&cs, BAR0) & 0xf, 0b0100, "64-bit non-prefetchable");
        assert_eq!(read32(&cs, BAR2) & 0xf, 0b1100, "64-bit prefetchable");
        cs.write(BAR0, &[0xff; 8]);
        let v = read64(&cs, BAR0);
        assert_eq!((!(v & !0xf)).wrapping_add(1), 0x4000, "16 KiB");
        cs.write(BAR2, &[0xff; 8]);
        let v = read64(&cs, BAR2);
        assert_eq!((!(v & !0xf)).wrapping_add(1), 1 << 20);
        cs.write(BAR0, &0xfd00_0000u64.to_le_bytes());
        assert_eq!(cs.bar0_base(), 0xfd00_0000);
        // Past the end: no panic, zeros.
        let mut b = [0xaa; 4];
        cs.read(CONFIG_SPACE_LEN - 2, &mut b);
        assert_eq!(b, [0, 0, 0, 0]);
        cs.write(CONFIG_SPACE_LEN - 1, &[1, 2, 3]);
    }

    #[test]
    fn command_msix_and_device_control_are_writable_within_limits() {
        let mut cs = NvmeConfigSpace::new(0xfd00_0000, None, 4);
        cs.write(COMMAND, &0u16.to_le_bytes());
        assert!(!cs.memory_enabled() && !cs.bus_master());
        cs.write(MSIX_CONTROL, &0xffffu16.to_le_bytes());
        assert!(cs.msix_enabled() && cs.msix_function_masked());
        assert_eq!(
            read32(&cs, 0x40) >> 16 & 0x7ff,
            3,
            "table size is read-only"
        );
        cs.write(MSIX_CONTROL, &MSIX_ENABLE.to_le_bytes());
        assert!(cs.msix_enabled() && !cs.msix_function_masked());
        cs.write(DEVCTL, &0x7fffu16.to_le_bytes());
        assert_eq!((cs.max_payload(), cs.max_read_request()), (512, 4096));
        cs.write(0, &[0, 0, 0, 0]);
        assert_eq!(read32(&cs, 0), 0x9e01_10ee, "IDs are read-only");
    }
}
