// SPDX-License-Identifier: MIT OR Apache-2.0
//! BAR0 registers: reset values, read-only behaviour, access sizes, unmapped offsets.

use peerbar::regs::{Access, RegisterInfo, ALL_REGISTERS};
use peerbar::{BarIndex, BarOffset, Device};
use peerbar_tests::{reg, sim};

fn info(name: &str) -> &'static RegisterInfo {
    ALL_REGISTERS
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("register {name} in the map"))
}

fn off(name: &str) -> BarOffset {
    BarOffset::new(info(name).offset)
}

/// Every register reads its documented reset value, except STATUS, which reports the link
/// and the host's configuration (checked separately).
#[test]
fn registers_read_their_reset_values() {
    let dev = sim(256, 512, 64);
    for r in ALL_REGISTERS.iter().filter(|r| r.name != "STATUS") {
        assert_eq!(
            reg(&dev, r.offset),
            r.reset,
            "{} at {:#x}",
            r.name,
            r.offset
        );
    }
    assert_eq!(reg(&dev, info("MAGIC").offset), 0x5045_4552);
}

#[test]
fn status_reports_link_and_host_configuration() {
    // (MPS, MRRS, RCB) -> STATUS fields.
    for (mps, mrrs, rcb, mps_code, mrrs_code) in [(128, 128, 64, 0, 0), (512, 4096, 128, 2, 5)] {
        let dev = sim(mps, mrrs, rcb);
        let s = reg(&dev, info("STATUS").offset);
        assert_eq!(s & 1, 1, "LINK_UP");
        assert_eq!((s >> 1) & 1, 1, "BUS_MASTER");
        assert_eq!((s >> 4) & 3, mps_code, "MAX_PAYLOAD");
        assert_eq!((s >> 8) & 7, mrrs_code, "MAX_READ_REQ");
        assert_eq!((s >> 12) & 1, u32::from(rcb == 128), "RCB_128");
    }
}

#[test]
fn status_follows_device_control_writes() {
    let dev = sim(256, 512, 64);
    // PCI Express capability at 0x70, Device Control at +8: MPS 512 (2), MRRS 1024 (3).
    let devctl = dev.config_read16(0x78).unwrap();
    let new = (devctl & !((7 << 5) | (7 << 12))) | (2 << 5) | (3 << 12);
    dev.config_write(0x78, &new.to_le_bytes()).unwrap();
    let s = reg(&dev, info("STATUS").offset);
    assert_eq!(((s >> 4) & 3, (s >> 8) & 7), (2, 3));
}

#[test]
fn read_only_registers_ignore_writes() {
    let dev = sim(256, 512, 64);
    for r in ALL_REGISTERS
        .iter()
        .filter(|r| matches!(r.access, Access::Const | Access::ReadOnly))
    {
        let before = reg(&dev, r.offset);
        dev.bar_write32(BarIndex::BAR0, BarOffset::new(r.offset), !before)
            .unwrap();
        assert_eq!(reg(&dev, r.offset), before, "{} changed", r.name);
    }
}

#[test]
fn scratch_honours_every_access_size() {
    let dev = sim(256, 512, 64);
    let s = off("SCRATCH");
    dev.bar_write32(BarIndex::BAR0, s, 0xdead_beef).unwrap();
    assert_eq!(reg(&dev, s.get()), 0xdead_beef);
    dev.bar_write8(BarIndex::BAR0, s.checked_add(1).unwrap(), 0x12)
        .unwrap();
    assert_eq!(reg(&dev, s.get()), 0xdead_12ef);
    dev.bar_write16(BarIndex::BAR0, s.checked_add(2).unwrap(), 0x3456)
        .unwrap();
    assert_eq!(reg(&dev, s.get()), 0x3456_12ef);
    assert_eq!(
        dev.bar_read8(BarIndex::BAR0, s.checked_add(3).unwrap())
            .unwrap(),
        0x34
    );
    assert_eq!(
        dev.bar_read16(BarIndex::BAR0, s.checked_add(2).unwrap())
            .unwrap(),
        0x3456
    );
    // SCRATCH sits at 0x18: a 64-bit access covers SCRATCH (low) and CONTROL (high, w1p).
    assert_eq!(s.get() % 8, 0);
    dev.bar_write64(BarIndex::BAR0, s, 0x0000_0000_cafe_f00d)
        .unwrap();
    assert_eq!(
        dev.bar_read64(BarIndex::BAR0, s).unwrap(),
        0x0000_0000_cafe_f00d
    );
    // The magic and version form one 64-bit read.
    assert_eq!(
        dev.bar_read64(BarIndex::BAR0, BarOffset::ZERO).unwrap(),
        (u64::from(reg(&dev, peerbar::regs::VERSION_REG.offset)) << 32) | 0x5045_4552
    );
}

#[test]
fn unmapped_offsets_read_zero_and_ignore_writes() {
    let dev = sim(256, 512, 64);
    for offset in [0x00cu64, 0x038, 0x100, 0x4000, 0xfffc] {
        assert!(ALL_REGISTERS.iter().all(|r| r.offset != offset));
        dev.bar_write32(BarIndex::BAR0, BarOffset::new(offset), 0xffff_ffff)
            .unwrap();
        assert_eq!(reg(&dev, offset), 0, "offset {offset:#x}");
    }
    for r in ALL_REGISTERS.iter().filter(|r| r.name != "STATUS") {
        assert_eq!(reg(&dev, r.offset), r.reset, "{} disturbed", r.name);
    }
}
