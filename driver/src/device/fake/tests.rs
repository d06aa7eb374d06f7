// SPDX-License-Identifier: MIT OR Apache-2.0
use super::*;
use crate::error::Error;

#[test]
fn dma_mappings_are_checked_and_recorded() {
    let dev = FakeDevice::peerbar_endpoint(1 << 20);
    assert_eq!(dev.iova_ranges().unwrap(), vec![FAKE_IOVA_RANGE]);
    let mut host = vec![0u64; 2048]; // 16 KiB, 8-byte aligned
    let base = host.as_mut_ptr().cast::<u8>();
    let page = base.wrapping_add(base.align_offset(4096));
    let iova = BusAddr::new(FAKE_IOVA_RANGE.start);
    let map = |ptr: *mut u8, len: usize, iova: BusAddr| {
        // SAFETY: `host` outlives every mapping made here (all are unmapped or rejected
        // before it is dropped at the end of the test).
        unsafe { dev.map_dma(ptr, len, iova) }
    };
    assert!(matches!(
        map(page.wrapping_add(1), 4096, iova),
        Err(Error::DmaMapRejected { .. })
    ));
    assert!(matches!(
        map(page, 100, iova),
        Err(Error::DmaMapRejected { .. })
    ));
    assert!(matches!(
        map(page, 4096, BusAddr::new(0x1000)),
        Err(Error::DmaMapRejected { .. })
    ));
    map(page, 8192, iova).unwrap();
    let overlap = map(page, 4096, BusAddr::new(iova.get() + 4096)).unwrap_err();
    assert!(overlap.to_string().contains("overlaps"), "{overlap}");
    assert_eq!(dev.dma_windows(), vec![(iova, 8192)]);
    dev.dma_write(BusAddr::new(iova.get() + 8), b"dma!")
        .unwrap();
    let mut back = [0u8; 4];
    dev.dma_read(BusAddr::new(iova.get() + 8), &mut back)
        .unwrap();
    assert_eq!(&back, b"dma!");
    assert!(
        dev.dma_read(BusAddr::new(iova.get() + 8190), &mut back)
            .is_err(),
        "runs past the window"
    );
    assert!(dev.unmap_dma(iova, 4096).is_err(), "partial unmap");
    dev.unmap_dma(iova, 8192).unwrap();
    assert!(dev.dma_windows().is_empty());
    drop(host);
}

#[test]
fn bar_bus_addresses_come_from_config_space() {
    let dev = FakeDevice::peerbar_endpoint(1 << 20);
    assert_eq!(
        dev.bar_bus_addr(BarIndex::BAR0).unwrap(),
        BusAddr::new(0xfe00_0000)
    );
    assert_eq!(
        dev.bar_bus_addr(BarIndex::BAR2).unwrap(),
        BusAddr::new(0x38_0000_0000)
    );
    assert!(matches!(
        dev.bar_bus_addr(BarIndex::new(4).unwrap()),
        Err(Error::NoSuchBar { .. })
    ));
}

#[test]
fn msix_channel_is_fed_and_replaced() {
    let dev = FakeDevice::peerbar_endpoint(1 << 20);
    assert!(!dev.fire_msix(0));
    let rx = dev.enable_msix(4).unwrap();
    assert!(dev.fire_msix(3));
    assert!(!dev.fire_msix(4));
    assert_eq!(rx.try_recv().unwrap(), 3);
    let rx2 = dev.enable_msix(2).unwrap();
    assert!(rx.recv().is_err(), "the old channel disconnects");
    dev.disable_msix().unwrap();
    assert!(rx2.recv().is_err());
    assert_eq!(dev.msix_vectors(), None);
}

#[test]
fn bars_are_bounds_and_alignment_checked() {
    let dev = FakeDevice::new(&[(BarIndex::BAR2, 64)]);
    assert_eq!(dev.bar_len(BarIndex::BAR2), Some(64));
    assert_eq!(dev.bar_len(BarIndex::BAR0), None);
    assert!(matches!(
        dev.bar_read32(BarIndex::BAR0, BarOffset::ZERO),
        Err(Error::NoSuchBar { .. })
    ));
    assert!(matches!(
        dev.bar_write64(BarIndex::BAR2, BarOffset::new(60), 0),
        Err(Error::OutOfRange { .. })
    ));
    assert!(matches!(
        dev.bar_read16(BarIndex::BAR2, BarOffset::new(3)),
        Err(Error::Misaligned { size: 2, .. })
    ));
    assert!(matches!(
        dev.bar_write(BarIndex::BAR2, BarOffset::new(60), &[1; 5]),
        Err(Error::OutOfRange { .. })
    ));
    assert_eq!(dev.peek_bar(BarIndex::BAR2).unwrap(), vec![0; 64]);
}

#[test]
fn bar_accesses_are_little_endian_and_consistent() {
    let dev = FakeDevice::new(&[(BarIndex::BAR2, 64)]);
    dev.bar_write64(BarIndex::BAR2, BarOffset::new(8), 0x0807_0605_0403_0201)
        .unwrap();
    assert_eq!(dev.bar_read8(BarIndex::BAR2, BarOffset::new(8)).unwrap(), 1);
    assert_eq!(
        dev.bar_read16(BarIndex::BAR2, BarOffset::new(14)).unwrap(),
        0x0807
    );
    let mut buf = [0u8; 5];
    dev.bar_read(BarIndex::BAR2, BarOffset::new(7), &mut buf)
        .unwrap();
    assert_eq!(buf, [0, 1, 2, 3, 4]);
}

#[test]
fn config_space_is_checked() {
    let dev = FakeDevice::peerbar_endpoint(4096);
    assert_eq!(dev.config_read16(0).unwrap(), FAKE_VENDOR_ID);
    assert!(matches!(
        dev.config_read32(4094),
        Err(Error::ConfigOutOfRange { .. })
    ));
    assert!(matches!(
        dev.config_write(4096, &[0]),
        Err(Error::ConfigOutOfRange { .. })
    ));
}

#[test]
fn peerbar_registers_ignore_writes_to_read_only_bits() {
    let dev = FakeDevice::peerbar_endpoint(1 << 20);
    let magic = regs::MAGIC_REG.bar_offset();
    dev.bar_write32(BarIndex::BAR0, magic, 0).unwrap();
    assert_eq!(dev.bar_read32(BarIndex::BAR0, magic).unwrap(), 0x5045_4552);
    // A 64-bit write covering SCRATCH (rw) and CONTROL (w1p) changes SCRATCH only.
    dev.bar_write64(BarIndex::BAR0, regs::SCRATCH_REG.bar_offset(), u64::MAX)
        .unwrap();
    assert_eq!(
        dev.bar_read32(BarIndex::BAR0, regs::SCRATCH_REG.bar_offset())
            .unwrap(),
        u32::MAX
    );
    assert_eq!(
        dev.bar_read32(BarIndex::BAR0, regs::CONTROL_REG.bar_offset())
            .unwrap(),
        0
    );
    // Byte enables: one byte of SCRATCH.
    dev.bar_write8(
        BarIndex::BAR0,
        BarOffset::new(regs::SCRATCH_REG.offset + 1),
        0,
    )
    .unwrap();
    assert_eq!(
        dev.bar_read32(BarIndex::BAR0, regs::SCRATCH_REG.bar_offset())
            .unwrap(),
        0xffff_00ff
    );
    // Offsets that name no register ignore writes.
    dev.bar_write32(BarIndex::BAR0, BarOffset::new(0x100), 5)
        .unwrap();
    assert_eq!(
        dev.bar_read32(BarIndex::BAR0, BarOffset::new(0x100))
            .unwrap(),
        0
    );
}

#[test]
fn clear_errors_pulse_clears_counters_and_log() {
    let dev = FakeDevice::peerbar_endpoint(1 << 20);
    dev.poke_bar32(BarIndex::BAR0, regs::DROPPED_WRITES_REG.offset, 3);
    dev.poke_bar32(BarIndex::BAR0, regs::ERROR_LOG_REG.offset, 1 << 31 | 1);
    dev.bar_write32(BarIndex::BAR0, regs::CONTROL_REG.bar_offset(), 1)
        .unwrap();
    assert_eq!(
        dev.bar_read32(BarIndex::BAR0, regs::DROPPED_WRITES_REG.bar_offset())
            .unwrap(),
        0
    );
    assert_eq!(
        dev.bar_read32(BarIndex::BAR0, regs::ERROR_LOG_REG.bar_offset())
            .unwrap(),
        0
    );
}

#[test]
fn reset_restores_registers_and_config() {
    let dev = FakeDevice::peerbar_endpoint(1 << 20);
    dev.bar_write32(BarIndex::BAR0, regs::SCRATCH_REG.bar_offset(), 9)
        .unwrap();
    dev.config_write(0x04, &[0, 0]).unwrap();
    dev.reset().unwrap();
    assert_eq!(dev.reset_count(), 1);
    assert_eq!(
        dev.bar_read32(BarIndex::BAR0, regs::SCRATCH_REG.bar_offset())
            .unwrap(),
        0
    );
    assert_eq!(dev.config_read16(0x04).unwrap(), 0x0006);
}
