// SPDX-License-Identifier: MIT OR Apache-2.0
//! DMA engine throughput in the cycle-accurate simulation (run: `cargo bench -p peerbar-tests
//! --bench dma_throughput`). Not a timed test: it prints figures from one run.
//!
//! For PULL (host -> BAR2) and PUSH (BAR2 -> host) with 4 KiB and 512 B list entries, it prints
//! the sustained payload rate in simulated time beside the interface's TLP-limited ideal for
//! the configured MPS/MRRS/RCB, computed in the same run:
//! - PULL is limited by the RC interface: every read comes back as completions of at most MPS
//!   bytes that end on RCB boundaries; each occupies ceil((12 + bytes) / 32) beats.
//! - PUSH is limited by the RQ interface: MemWr of at most MPS bytes, never crossing 4 KiB,
//!   each ceil((16 + bytes) / 32) beats.
//!
//! CHECKSUM (CRC32C of a BAR2 range) is limited by BAR2's read port: one 32-byte row per cycle;
//! its rows show what each job costs beyond that (the job's own fetches and the CRC pipeline's
//! latency), for a 4 KiB and a 256 KiB range.
//!
//! Cycles are counted while the engine has work (`SimStats::dma_active_cycles`): all jobs are
//! submitted up front, so that spans the first doorbell to the last CQ entry. Also prints
//! simulated cycles per wall second.

use std::sync::Arc;
use std::time::{Duration, Instant};

use peerbar::dma::wire::StatusCode;
use peerbar::dma::{DmaEngine, Job, PeerRange, QueueConfig, Sgl};
use peerbar::hostmem::DataList;
use peerbar::{Device, Endpoint};
use peerbar_sim::{SimConfig, SimDevice, CLOCK_HZ};

const BEAT: u64 = 32;
const WAIT: Duration = Duration::from_secs(600);

/// Beats the completions of one read of `len` bytes at `addr` occupy on RC at best: each
/// completion as large as allowed (at most MPS, ending on an RCB boundary unless it is the last).
fn rc_beats(addr: u64, len: u64, mps: u64, rcb: u64) -> u64 {
    let mut beats = 0;
    let mut at = addr;
    let end = addr + len;
    while at < end {
        let n = (end - at).min(mps - at % rcb);
        let dwords = (at % 4 + n).div_ceil(4);
        beats += (12 + 4 * dwords).div_ceil(BEAT);
        at += n;
    }
    beats
}

/// What the host configured: Max Payload Size, Max Read Request Size, Read Completion Boundary.
#[derive(Clone, Copy)]
struct Link {
    mps: u64,
    mrrs: u64,
    rcb: u64,
}

/// Ideal cycles to move `entries` entries of `len` bytes each, entry i at `base + i * len`:
/// requests split at MRRS (PULL) or MPS (PUSH) aligned addresses, as the engine does.
fn ideal_cycles(pull: bool, base: u64, len: u64, entries: u64, link: Link) -> u64 {
    let mut beats = 0;
    for i in 0..entries {
        let mut at = base + i * len;
        let end = at + len;
        while at < end {
            let limit = if pull { link.mrrs } else { link.mps };
            let n = (end - at).min(limit - at % limit);
            beats += if pull {
                rc_beats(at, n, link.mps, link.rcb)
            } else {
                (16 + 4 * (at % 4 + n).div_ceil(4)).div_ceil(BEAT)
            };
            at += n;
        }
    }
    beats
}

fn run(sim: &SimDevice, dma: &DmaEngine, pull: bool, entry: u64, link: Link) {
    let Link { mps, mrrs, rcb } = link;
    const JOB_BYTES: u64 = 256 * 1024;
    const JOBS: u64 = 4;
    let q = dma.create_queue(QueueConfig::new(0)).unwrap();
    let host = Arc::new(dma.memory().alloc(JOB_BYTES as usize).unwrap());
    let slice = Arc::new(dma.peer_memory().alloc(JOB_BYTES, 4096).unwrap());
    let entries = JOB_BYTES / entry;
    let make_list = || {
        let mut list = DataList::new();
        for i in 0..entries {
            list.push_buffer(&host, (i * entry) as usize, entry as u32)
                .unwrap();
        }
        Sgl::List(list)
    };
    let c0 = sim.stats().dma_active_cycles;
    let t = Instant::now();
    let tickets: Vec<_> = (0..JOBS)
        .map(|_| {
            let peer = PeerRange::whole(&slice).unwrap();
            let job = if pull {
                Job::Pull {
                    peer,
                    list: make_list(),
                }
            } else {
                Job::Push {
                    peer,
                    list: make_list(),
                }
            };
            q.submit(job).unwrap()
        })
        .collect();
    for t in tickets {
        assert_eq!(t.wait(WAIT).unwrap().status, StatusCode::Success);
    }
    let wall = t.elapsed().as_secs_f64();
    // Cycles the engine had work: from the first doorbell to the last CQ entry, without the
    // idle cycles the model clocks while software builds lists or polls.
    let cycles = sim.stats().dma_active_cycles - c0;
    let ideal = JOBS * ideal_cycles(pull, host.bus_addr().get(), entry, entries, link);
    let bytes = JOBS * JOB_BYTES;
    println!(
        "{:<4} {:>5} B entries  MPS {mps} MRRS {mrrs} RCB {rcb}: {} bytes in {cycles} cycles = {:.2} GB/s simulated; ideal {ideal} cycles ({:.2} GB/s) -> {:.1}% of ideal; {:.2} M engine-active cycles per wall second",
        if pull { "PULL" } else { "PUSH" },
        entry,
        bytes,
        bytes as f64 * CLOCK_HZ as f64 / cycles as f64 / 1e9,
        bytes as f64 * CLOCK_HZ as f64 / ideal as f64 / 1e9,
        100.0 * ideal as f64 / cycles as f64,
        cycles as f64 / wall / 1e6,
    );
}

/// CHECKSUM jobs over `bytes` of BAR2 each: cycles per job against one BAR2 row per cycle.
fn checksum(sim: &SimDevice, dma: &DmaEngine, bytes: u64) {
    const JOBS: u64 = 16;
    let q = dma.create_queue(QueueConfig::new(0)).unwrap();
    let slice = Arc::new(dma.peer_memory().alloc(bytes, 4096).unwrap());
    let c0 = sim.stats().dma_active_cycles;
    let tickets: Vec<_> = (0..JOBS)
        .map(|_| {
            let peer = PeerRange::whole(&slice).unwrap();
            q.submit(Job::Checksum { peer }).unwrap()
        })
        .collect();
    for t in tickets {
        assert_eq!(t.wait(WAIT).unwrap().status, StatusCode::Success);
    }
    let cycles = (sim.stats().dma_active_cycles - c0) as f64 / JOBS as f64;
    let ideal = bytes.div_ceil(BEAT) as f64;
    println!(
        "CHECKSUM {:>6} B: {cycles:.1} cycles per job ({JOBS} jobs); BAR2 rows {ideal} -> {:.1}% of one row per cycle, {:.1} cycles per job beyond it",
        bytes,
        100.0 * ideal / cycles,
        cycles - ideal,
    );
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("dma_throughput: run with `cargo bench -p peerbar-tests --bench dma_throughput`");
        return;
    }
    let (mps, mrrs, rcb) = (256u16, 512u16, 64u16);
    let config = SimConfig {
        max_payload: mps,
        max_read_req: mrrs,
        rcb,
        ..SimConfig::default()
    };
    println!(
        "peerbar DMA engine, simulated endpoint ({}), {config:?}",
        peerbar_sim::rtl::VERILATOR_VERSION
    );
    for pull in [true, false] {
        for entry in [4096u64, 512] {
            let sim = SimDevice::new(config.clone()).unwrap();
            let dev: Arc<dyn Device> = Arc::new(sim.clone());
            let dma = Endpoint::open_shared(dev).unwrap().dma().unwrap();
            dma.enable().unwrap();
            let link = Link {
                mps: u64::from(mps),
                mrrs: u64::from(mrrs),
                rcb: u64::from(rcb),
            };
            run(&sim, &dma, pull, entry, link);
        }
    }
    let sim = SimDevice::new(config).unwrap();
    let dev: Arc<dyn Device> = Arc::new(sim.clone());
    let dma = Endpoint::open_shared(dev).unwrap().dma().unwrap();
    dma.enable().unwrap();
    for bytes in [4096u64, 256 * 1024] {
        checksum(&sim, &dma, bytes);
    }
}
