// SPDX-License-Identifier: MIT OR Apache-2.0
//! Simulation speed and MMIO rates of the simulated endpoint (run: `cargo bench -p peerbar-tests`).
//!
//! Prints, from one run:
//! - MMIO round trips per wall second (32-bit register reads through the `Device` trait) and
//!   simulated cycles per round trip;
//! - simulated cycles per wall second of the endpoint model under a bar-test-like load (bulk
//!   writes and reads of all of BAR2);
//! - BAR2 payload throughput in simulated time as a fraction of the 256-bit interface's
//!   TLP-limited ideal for the configured MPS/MRRS (same run): MPS 256 B with MRRS 512, 128 and
//!   256 B, then MPS 512 B with MRRS 4096 B.
//!
//! Wall-clock figures depend on the machine; the in-simulation ratios do not.

use std::time::Instant;

use peerbar::{BarIndex, BarOffset, Device};
use peerbar_sim::{SimDevice, CLOCK_HZ};
use peerbar_tests::{pattern, sim};

/// Bytes per beat of the 256-bit interface.
const BEAT: u64 = 32;

/// Ideal beats for one TLP of `payload` bytes after a `header` of bytes on the same bus.
fn beats(header: u64, payload: u64) -> u64 {
    (header + payload).div_ceil(BEAT)
}

fn mmio_round_trips(dev: &SimDevice) {
    const N: u32 = 20_000;
    let scratch = peerbar::regs::SCRATCH_REG.bar_offset();
    dev.bar_write32(BarIndex::BAR0, scratch, 0x5a5a_5a5a)
        .unwrap();
    let cycles0 = dev.stats().cycles;
    let t = Instant::now();
    for _ in 0..N {
        let v = dev.bar_read32(BarIndex::BAR0, scratch).unwrap();
        assert_eq!(v, 0x5a5a_5a5a);
    }
    let wall = t.elapsed().as_secs_f64();
    let cycles = dev.stats().cycles - cycles0;
    println!(
        "MMIO 32-bit read round trips: {:.0} per wall second ({N} reads, {:.1} simulated cycles = {:.0} ns each at 250 MHz)",
        f64::from(N) / wall,
        cycles as f64 / f64::from(N),
        cycles as f64 / f64::from(N) * 1e9 / CLOCK_HZ as f64
    );
}

fn bulk(dev: &SimDevice, mps: u64, mrrs: u64) {
    let len = dev.bar_len(BarIndex::BAR2).unwrap() as usize;
    let data = pattern(42, len);
    let mut back = vec![0u8; len];

    let c0 = dev.stats().cycles;
    let t = Instant::now();
    dev.bar_write(BarIndex::BAR2, BarOffset::ZERO, &data)
        .unwrap();
    let w_wall = t.elapsed().as_secs_f64();
    let w_cycles = dev.stats().cycles - c0;

    let c1 = dev.stats().cycles;
    let t = Instant::now();
    dev.bar_read(BarIndex::BAR2, BarOffset::ZERO, &mut back)
        .unwrap();
    let r_wall = t.elapsed().as_secs_f64();
    let r_cycles = dev.stats().cycles - c1;
    assert!(back == data, "BAR2 read back differs");

    // Writes: one MemWr per MPS bytes on CQ, 16-byte descriptor then payload.
    let w_ideal = (len as u64 / mps) * beats(16, mps);
    // Reads: completions of at most MPS bytes on CC (and no more than the request), 12-byte
    // descriptor then payload.
    let cpl = mps.min(mrrs);
    let r_ideal = (len as u64 / cpl) * beats(12, cpl);
    let mib = len as f64 / (1024.0 * 1024.0);
    println!(
        "BAR2 bulk write, MPS {mps}: {mib:.0} MiB in {w_cycles} cycles; ideal {w_ideal} cycles -> {:.1}% of the interface's TLP-limited ideal; {:.2} GB/s simulated",
        100.0 * w_ideal as f64 / w_cycles as f64,
        len as f64 / (w_cycles as f64 / CLOCK_HZ as f64) / 1e9
    );
    println!(
        "BAR2 bulk read, MRRS {mrrs}, MPS {mps}: {mib:.0} MiB in {r_cycles} cycles; ideal {r_ideal} cycles -> {:.1}% of ideal; {:.2} GB/s simulated",
        100.0 * r_ideal as f64 / r_cycles as f64,
        len as f64 / (r_cycles as f64 / CLOCK_HZ as f64) / 1e9
    );
    println!(
        "Simulation speed under bulk load: {:.2} M cycles per wall second (write {:.2}, read {:.2})",
        (w_cycles + r_cycles) as f64 / (w_wall + r_wall) / 1e6,
        w_cycles as f64 / w_wall / 1e6,
        r_cycles as f64 / r_wall / 1e6
    );
}

fn main() {
    // `cargo test --benches` runs this with --bench absent; keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let dev = sim(256, 512, 64);
    if quick {
        dev.bar_write32(BarIndex::BAR0, peerbar::regs::SCRATCH_REG.bar_offset(), 1)
            .unwrap();
        println!("sim_throughput: run with `cargo bench -p peerbar-tests` for figures");
        return;
    }
    println!(
        "peerbar simulated endpoint: Verilator model of the board wrapper around hw/rtl, 256-bit @ 250 MHz ({})",
        peerbar_sim::rtl::VERILATOR_VERSION
    );
    mmio_round_trips(&dev);
    bulk(&dev, 256, 512);
    // The completer's read path across read request sizes: at small MRRS every request is a
    // short completion, so any per-request gap on CC weighs most there.
    for mrrs in [128, 256] {
        bulk(&sim(256, mrrs, 64), 256, u64::from(mrrs));
    }
    bulk(&sim(512, 4096, 64), 512, 4096);
}
