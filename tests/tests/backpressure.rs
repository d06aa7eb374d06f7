// SPDX-License-Identifier: MIT OR Apache-2.0
//! Back-pressure on each of the block's four AXI4-Stream interfaces (SimConfig's
//! `cc_ready_percent`, `rq_ready_percent`, `cq_valid_percent`, `rc_valid_percent`): each one
//! slows what crosses that interface, and every byte still lands right.

use std::sync::Arc;
use std::time::Duration;

use peerbar::dma::wire::StatusCode;
use peerbar::dma::{Job, PeerRange, QueueConfig, Sgl};
use peerbar::hostmem::DataList;
use peerbar::{BarIndex, BarOffset, Device, Endpoint};
use peerbar_sim::{SimConfig, SimDevice};
use peerbar_tests::{pattern, read_bar2};

const LEN: usize = 64 * 1024;

/// Simulated cycles of: a 64 KiB BAR2 bulk write and read by the host (CQ, CC), then a 64 KiB
/// PULL and PUSH by the engine (RQ, RC); every byte checked.
fn cycles(config: SimConfig) -> (u64, u64) {
    let sim = SimDevice::new(config).expect("simulated endpoint");
    let data = pattern(3, LEN);
    let start = sim.stats().cycles;
    sim.bar_write(BarIndex::BAR2, BarOffset::new(0), &data)
        .unwrap();
    assert!(read_bar2(&sim, 0, LEN) == data, "BAR2 round trip");
    let host_side = sim.stats().cycles - start;

    let dev: Arc<dyn Device> = Arc::new(sim.clone());
    let dma = Endpoint::open_shared(dev).unwrap().dma().unwrap();
    dma.enable().unwrap();
    let q = dma.create_queue(QueueConfig::new(0)).unwrap();
    let host = Arc::new(dma.memory().alloc(2 * LEN).unwrap());
    host.write(0, &pattern(4, LEN)).unwrap();
    let slice = Arc::new(dma.peer_memory().alloc(2 * LEN as u64, 4096).unwrap());
    let list = |at: usize| {
        let mut l = DataList::new();
        for piece in 0..LEN / 4096 {
            l.push_buffer(&host, at + piece * 4096, 4096).unwrap();
        }
        Sgl::List(l)
    };
    let active = sim.stats().dma_active_cycles;
    let pull = Job::Pull {
        peer: PeerRange::new(&slice, 0, LEN as u32).unwrap(),
        list: list(0),
    };
    let push = Job::Push {
        peer: PeerRange::new(&slice, 0, LEN as u32).unwrap(),
        list: list(LEN),
    };
    for job in [pull, push] {
        let c = q
            .submit(job)
            .unwrap()
            .wait(Duration::from_secs(30))
            .unwrap();
        assert_eq!(c.status, StatusCode::Success);
    }
    let engine_side = sim.stats().dma_active_cycles - active;
    let pulled = read_bar2(&sim, slice.offset().get(), LEN);
    assert!(pulled == pattern(4, LEN), "PULL bytes");
    assert!(host.to_vec()[LEN..] == pattern(4, LEN)[..], "PUSH bytes");
    assert!(sim.failure().is_none(), "{:?}", sim.failure());
    (host_side, engine_side)
}

#[test]
fn each_interface_back_pressured_alone_is_slower_and_exact() {
    let full = cycles(SimConfig::default());
    let cases: [(&str, SimConfig); 4] = [
        (
            "CQ",
            SimConfig {
                cq_valid_percent: 25,
                ..SimConfig::default()
            },
        ),
        (
            "CC",
            SimConfig {
                cc_ready_percent: 25,
                ..SimConfig::default()
            },
        ),
        (
            "RQ",
            SimConfig {
                rq_ready_percent: 25,
                ..SimConfig::default()
            },
        ),
        (
            "RC",
            SimConfig {
                rc_valid_percent: 25,
                ..SimConfig::default()
            },
        ),
    ];
    for (name, config) in cases {
        let (host_side, engine_side) = cycles(config);
        eprintln!(
            "{name} at 25 %: host-side {host_side} cycles (full rate {}), engine {engine_side} (full rate {})",
            full.0, full.1
        );
        let slowed = match name {
            "CQ" | "CC" => host_side > full.0 * 3 / 2,
            _ => engine_side > full.1 * 3 / 2,
        };
        assert!(slowed, "{name}: back-pressure had no effect");
    }
}
