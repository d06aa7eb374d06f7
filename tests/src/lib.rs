// SPDX-License-Identifier: MIT OR Apache-2.0
//! Shared helpers of the end-to-end tests (tests/tests/) and benchmarks (tests/benches/).
//! Everything runs over the full simulation: the RTL under Verilator behind `SimDevice`.

use peerbar::{BarIndex, BarOffset, Device};
use peerbar_sim::{SimConfig, SimDevice};

/// A simulated endpoint with the given host settings (bytes).
pub fn sim(max_payload: u16, max_read_req: u16, rcb: u16) -> SimDevice {
    SimDevice::new(SimConfig {
        max_payload,
        max_read_req,
        rcb,
        ..SimConfig::default()
    })
    .expect("simulated endpoint starts")
}

/// Deterministic, position-dependent test bytes (different for every `seed`).
pub fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Reads `len` bytes of BAR2 at `offset` in one bulk read.
pub fn read_bar2(dev: &dyn Device, offset: u64, len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    dev.bar_read(BarIndex::BAR2, BarOffset::new(offset), &mut buf)
        .expect("BAR2 read");
    buf
}

/// The host leaves Extended Tag Field Enable (Device Control bit 8) clear, as a host that does
/// not support 8-bit tags would: the driver then keeps the engine on 5-bit tags, and the
/// simulated block refuses a larger tag. Call before the DMA engine is enabled.
pub fn disable_extended_tags(sim: &SimDevice) {
    let cap = peerbar::config::pcie_capability(sim)
        .expect("config space")
        .expect("PCI Express capability");
    let devctl = cap.offset + 0x08;
    let mut b = [0u8; 2];
    sim.config_read(devctl, &mut b).expect("Device Control");
    let v = u16::from_le_bytes(b) & !(1 << 8);
    sim.config_write(devctl, &v.to_le_bytes())
        .expect("Device Control");
}

/// Reads a 32-bit register of BAR0.
pub fn reg(dev: &dyn Device, offset: u64) -> u32 {
    dev.bar_read32(BarIndex::BAR0, BarOffset::new(offset))
        .expect("BAR0 read")
}
