// SPDX-License-Identifier: MIT OR Apache-2.0
//! The NVMe peer's data path in the cycle-accurate simulation (run: `cargo bench -p
//! peerbar-tests --bench nvme_p2p`). Not a timed test: it prints figures from one run.
//!
//! Measures, in simulated cycles, 256 KiB transfers between the simulated SSD and BAR2 (real
//! TLPs through the RTL's completer) and the engine's PUSH out of BAR2, alone and at the same
//! time, beside the interface's TLP-limited ideal computed in the same run:
//! - SSD -> BAR2 (NVMe Read): MemWr of at most MPS bytes on CQ, ceil((16 + bytes) / 32) beats;
//! - BAR2 -> SSD (NVMe Write): MemRd of at most MRRS bytes, answered on CC by completions of at
//!   most MPS bytes, ceil((12 + bytes) / 32) beats each;
//! - PUSH: MemWr of at most MPS bytes on RQ, ceil((16 + bytes) / 32) beats.
//!
//! The SSD model is given unlimited bandwidth and 100 cycles of latency so the PCIe side is what
//! is measured. "Both" runs an NVMe Read into one BAR2 slot while the engine PUSHes another out:
//! CQ and RQ are separate interfaces and BAR2 has a port for each, so both should take about as
//! long as the longer one alone.

use std::sync::Arc;
use std::time::Duration;

use peerbar::dma::{Job, PeerRange, QueueConfig, Sgl};
use peerbar::hostmem::DataList;
use peerbar::nvme::{Nvme, NvmeOptions};
use peerbar::Endpoint;
use peerbar_sim::nvme::{NamespaceBacking, NvmeConfig};
use peerbar_sim::{SimConfig, SimDevice, CLOCK_HZ};

const LEN: u64 = 256 * 1024;
const WAIT: Duration = Duration::from_secs(600);

/// Beats of `len` bytes sent as TLPs of at most `max` bytes with a `header`-byte descriptor,
/// never crossing 4 KiB (aligned start).
fn beats(len: u64, max: u64, header: u64) -> u64 {
    let tlps = len / max;
    tlps * (header + max).div_ceil(32)
}

fn main() {
    let config = SimConfig::default();
    let (mps, mrrs) = (
        u64::from(config.max_payload),
        u64::from(config.max_read_req),
    );
    let sim = SimDevice::new(config).expect("simulation");
    let ssd = sim
        .attach_nvme(NvmeConfig {
            namespace: NamespaceBacking::Memory { bytes: 8 << 20 },
            latency_cycles: 100,
            bytes_per_cycle: 0,
            ..NvmeConfig::default()
        })
        .expect("NVMe model");
    let endpoint = Endpoint::open_shared(Arc::new(sim.clone())).expect("endpoint");
    let engine = endpoint.dma().expect("engine");
    engine.enable().expect("enable");
    let queue = engine.create_queue(QueueConfig::new(0)).expect("queue");
    let nvme = Nvme::open(
        Arc::new(ssd),
        engine.memory().clone(),
        NvmeOptions::default(),
    )
    .expect("NVMe bring-up");
    let io = nvme.io_queue().expect("I/O queue");
    let slot_a = Arc::new(engine.peer_memory().alloc(LEN, 4096).expect("slot"));
    let slot_b = Arc::new(engine.peer_memory().alloc(LEN, 4096).expect("slot"));
    let host = Arc::new(engine.memory().alloc(LEN as usize).expect("host buffer"));

    let on_slot = |slot| {
        let mut l = DataList::new();
        l.push_peer(slot, 0, LEN as u32).expect("slot list");
        l
    };
    let nvme_read = || io.read(0, &on_slot(&slot_a)).expect("NVMe Read");
    let nvme_write = || io.write(0, &on_slot(&slot_a)).expect("NVMe Write");
    let push = || {
        let mut l = DataList::new();
        l.push_buffer(&host, 0, LEN as u32).expect("host list");
        queue
            .submit(Job::Push {
                peer: PeerRange::whole(&slot_b).expect("range"),
                list: Sgl::List(l),
            })
            .expect("PUSH")
    };
    let cycles = |f: &dyn Fn()| {
        let c0 = sim.stats().cycles;
        f();
        sim.stats().cycles - c0
    };
    let done_n = |t: peerbar::nvme::NvmeTicket| {
        t.wait(WAIT)
            .expect("NVMe completion")
            .check()
            .expect("NVMe status");
    };
    let done_e = |t: peerbar::dma::Ticket| {
        t.wait(WAIT)
            .expect("DMA completion")
            .check()
            .expect("DMA status");
    };
    // Warm up (first-touch allocations in the model).
    done_n(nvme_read());
    done_e(push());

    let cq_ideal = beats(LEN, mps, 16);
    let cc_ideal = beats(LEN, mps, 12);
    let rq_ideal = beats(LEN, mps, 16);
    let rows = [
        (
            "SSD -> BAR2 (NVMe Read, CQ MemWr)",
            cycles(&|| done_n(nvme_read())),
            cq_ideal,
        ),
        (
            "BAR2 -> SSD (NVMe Write, MemRd + CC)",
            cycles(&|| done_n(nvme_write())),
            cc_ideal,
        ),
        (
            "BAR2 -> host (engine PUSH, RQ)",
            cycles(&|| done_e(push())),
            rq_ideal,
        ),
        (
            "SSD -> BAR2 and PUSH at once",
            cycles(&|| {
                let r = nvme_read();
                let p = push();
                done_n(r);
                done_e(p);
            }),
            cq_ideal.max(rq_ideal),
        ),
    ];
    println!(
        "NVMe peer data path, {} KiB each, MPS {mps}, MRRS {mrrs}; cycles from submission to completion",
        LEN / 1024
    );
    println!(
        "{:<40} {:>9} {:>9} {:>9} {:>8}",
        "transfer", "cycles", "ideal", "GB/s", "of ideal"
    );
    for (name, c, ideal) in rows {
        println!(
            "{:<40} {:>9} {:>9} {:>9.2} {:>7.1}%",
            name,
            c,
            ideal,
            LEN as f64 * CLOCK_HZ as f64 / c as f64 / 1e9,
            100.0 * ideal as f64 / c as f64
        );
    }
}
