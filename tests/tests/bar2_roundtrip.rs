// SPDX-License-Identifier: MIT OR Apache-2.0
//! Peer memory round trips: every length 1..=MRRS at unaligned offsets, under several host
//! configurations, with a byte-array reference model proving nothing around the target changed.

use peerbar::{BarIndex, BarOffset, Device};
use peerbar_tests::{pattern, read_bar2, sim};

/// Writes then reads back every length from 1 to MRRS. Each read of up to MRRS bytes is one
/// MemRd (split by the model only at 4 KiB), answered by completions the model checks against
/// the PCIe rules; the 8 bytes either side of every target are checked untouched.
fn every_length_round_trips(max_payload: u16, max_read_req: u16, rcb: u16) {
    let dev = sim(max_payload, max_read_req, rcb);
    const WINDOW: usize = 3 * 4096;
    let mut model = pattern(1, WINDOW);
    dev.bar_write(BarIndex::BAR2, BarOffset::ZERO, &model)
        .expect("background fill");
    for len in 1..=usize::from(max_read_req) {
        // Unaligned offsets that walk through every byte lane and across 4 KiB boundaries.
        let offset = 8 + (len * 37) % (WINDOW - len - 16);
        let data = pattern(len as u64 + 1000, len);
        dev.bar_write(BarIndex::BAR2, BarOffset::new(offset as u64), &data)
            .expect("write");
        model[offset..offset + len].copy_from_slice(&data);
        let back = read_bar2(&dev, offset as u64, len);
        assert_eq!(back, data, "len {len} at {offset:#x}");
        let around = read_bar2(&dev, offset as u64 - 8, len + 16);
        assert_eq!(
            around,
            model[offset - 8..offset + len + 8],
            "bytes around len {len} at {offset:#x}"
        );
    }
    assert_eq!(read_bar2(&dev, 0, WINDOW), model, "whole window");
}

#[test]
fn every_length_mps128_mrrs512_rcb64() {
    every_length_round_trips(128, 512, 64);
}

#[test]
fn every_length_mps256_mrrs4096_rcb128() {
    every_length_round_trips(256, 4096, 128);
}

#[test]
fn every_length_mps1024_mrrs1024_rcb64() {
    every_length_round_trips(1024, 1024, 64);
}

#[test]
fn sized_accesses_land_in_their_byte_lanes() {
    let dev = sim(256, 512, 64);
    let bar = BarIndex::BAR2;
    dev.bar_write(bar, BarOffset::new(0x100), &[0u8; 32])
        .expect("clear");
    dev.bar_write8(bar, BarOffset::new(0x101), 0xaa)
        .expect("w8");
    dev.bar_write16(bar, BarOffset::new(0x106), 0xbbcc)
        .expect("w16");
    dev.bar_write32(bar, BarOffset::new(0x10c), 0x1122_3344)
        .expect("w32");
    dev.bar_write64(bar, BarOffset::new(0x110), 0x5566_7788_99aa_bbcc)
        .expect("w64");
    let mut expect = [0u8; 32];
    expect[1] = 0xaa;
    expect[6..8].copy_from_slice(&0xbbccu16.to_le_bytes());
    expect[12..16].copy_from_slice(&0x1122_3344u32.to_le_bytes());
    expect[16..24].copy_from_slice(&0x5566_7788_99aa_bbccu64.to_le_bytes());
    assert_eq!(read_bar2(&dev, 0x100, 32), expect);
    assert_eq!(dev.bar_read8(bar, BarOffset::new(0x101)).unwrap(), 0xaa);
    assert_eq!(dev.bar_read16(bar, BarOffset::new(0x106)).unwrap(), 0xbbcc);
    assert_eq!(
        dev.bar_read32(bar, BarOffset::new(0x10c)).unwrap(),
        0x1122_3344
    );
    assert_eq!(
        dev.bar_read64(bar, BarOffset::new(0x110)).unwrap(),
        0x5566_7788_99aa_bbcc
    );
}

#[test]
fn whole_bar2_round_trips_including_its_last_byte() {
    let dev = sim(512, 4096, 64);
    let len = dev.bar_len(BarIndex::BAR2).expect("BAR2") as usize;
    let data = pattern(7, len);
    dev.bar_write(BarIndex::BAR2, BarOffset::ZERO, &data)
        .expect("write all");
    assert_eq!(read_bar2(&dev, 0, len), data);
    dev.bar_write8(BarIndex::BAR2, BarOffset::new(len as u64 - 1), 0x5a)
        .expect("last byte");
    assert_eq!(
        dev.bar_read8(BarIndex::BAR2, BarOffset::new(len as u64 - 1))
            .unwrap(),
        0x5a
    );
    assert_eq!(read_bar2(&dev, 0, 16), data[..16], "no wrap to the start");
}

#[test]
fn completions_survive_cc_back_pressure() {
    let dev = peerbar_sim::SimDevice::new(peerbar_sim::SimConfig {
        max_payload: 128,
        max_read_req: 4096,
        rcb: 64,
        cc_ready_percent: 30,
        ..Default::default()
    })
    .expect("sim");
    let data = pattern(3, 3 * 4096 + 77);
    dev.bar_write(BarIndex::BAR2, BarOffset::new(13), &data)
        .expect("write");
    assert_eq!(read_bar2(&dev, 13, data.len()), data);
}
