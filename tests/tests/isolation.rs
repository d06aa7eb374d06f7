// SPDX-License-Identifier: MIT OR Apache-2.0
//! Isolation, host side: the driver refuses, before submitting anything, a
//! PULL or PUSH whose list names this driver's own address space (its IOVA ranges, the
//! endpoint's BAR2) outside every DMA buffer and BAR2 slice the job holds. Raw addresses are
//! still possible on purpose (`push_bus_unchecked`, and addresses outside both spaces); then
//! the IOMMU is the guard.

use std::sync::Arc;
use std::time::Duration;

use peerbar::dma::wire::StatusCode;
use peerbar::dma::{DmaEngine, Job, PeerRange, QueueConfig, QueuePair, Sgl};
use peerbar::hostmem::{AddressSpace, DataList, Held, HostMemError};
use peerbar::regs::{self, QUEUE_STATUS};
use peerbar::{BusAddr, Device, Endpoint, Error};
use peerbar_sim::{SimConfig, SimDevice};
use peerbar_tests::{pattern, read_bar2, reg};

const WAIT: Duration = Duration::from_secs(30);
/// DMA_JOBS (docs/registers.md).
const DMA_JOBS: u64 = peerbar::regs::DMA_JOBS_REG.offset;
/// Inside the simulated IOMMU's IOVA ranges, mapped by nobody.
const UNMAPPED: u64 = 0x30_0000_0000;

fn setup() -> (SimDevice, DmaEngine, QueuePair) {
    let sim = SimDevice::new(SimConfig::default()).expect("simulated endpoint");
    let dev: Arc<dyn Device> = Arc::new(sim.clone());
    let dma = Endpoint::open_shared(dev).unwrap().dma().unwrap();
    dma.enable().unwrap();
    let q = dma.create_queue(QueueConfig::new(0)).unwrap();
    (sim, dma, q)
}

/// What must not move when a job is refused: the engine's job counter, the queue's SQ head
/// and jobs in flight, the IOMMU's mappings and faults.
fn snapshot(sim: &SimDevice, q: &QueuePair) -> (u32, u32, usize, usize, usize) {
    let head = regs::read(sim, &regs::QUEUE_STATUS_REG.at(u32::from(q.id())).unwrap())
        .unwrap()
        .read(QUEUE_STATUS::SQ_HEAD);
    (
        reg(sim, DMA_JOBS),
        head,
        q.in_flight(),
        sim.iommu_mappings().len(),
        sim.faults().len(),
    )
}

fn expect_refused(
    sim: &SimDevice,
    q: &QueuePair,
    job: Job,
    index: usize,
    addr: u64,
    space: AddressSpace,
) {
    let before = snapshot(sim, q);
    match q.submit(job) {
        Err(e @ Error::HostMem(HostMemError::UnmappedListEntry { .. })) => {
            let Error::HostMem(HostMemError::UnmappedListEntry {
                index: i,
                addr: a,
                space: s,
                ..
            }) = &e
            else {
                unreachable!()
            };
            assert_eq!((*i, a.get(), *s), (index, addr, space), "{e}");
            let text = e.to_string();
            assert!(text.contains(&format!("list entry {index}")), "{text}");
            assert!(text.contains("not submitted"), "{text}");
            assert!(text.contains(&format!("lies in {space}")), "{text}");
        }
        other => panic!("expected a refusal of entry {index}: {other:?}"),
    }
    sim.run_dma_until_idle(100_000).unwrap();
    assert_eq!(
        snapshot(sim, q),
        before,
        "something moved for a refused job"
    );
}

#[test]
fn lists_naming_memory_the_driver_did_not_map_are_refused_before_submit() {
    let (sim, dma, q) = setup();
    let host = Arc::new(dma.memory().alloc(8192).unwrap());
    host.write(0, &pattern(1, 8192)).unwrap();
    let slice = Arc::new(dma.peer_memory().alloc(8192, 4096).unwrap());
    let peer = |len: u32| PeerRange::new(&slice, 0, len).unwrap();
    const IOVA: AddressSpace = AddressSpace::Iova;
    const BAR2: AddressSpace = AddressSpace::Bar2;

    // Entry 1 is IOVA space nobody mapped.
    let mut list = DataList::new();
    list.push_buffer(&host, 0, 4096).unwrap();
    list.push_bus(BusAddr::new(UNMAPPED), 4096);
    let job = Job::Pull {
        peer: peer(8192),
        list: Sgl::List(list),
    };
    expect_refused(&sim, &q, job, 1, UNMAPPED, IOVA);

    // A buffer that was freed (its mapping is gone): a dangling bus address.
    let gone = dma.memory().alloc(4096).unwrap();
    let dangling = gone.bus_addr().get();
    drop(gone);
    let mut list = DataList::new();
    list.push_bus(BusAddr::new(dangling), 4096);
    let job = Job::Push {
        peer: peer(4096),
        list: Sgl::List(list),
    };
    expect_refused(&sim, &q, job, 0, dangling, IOVA);

    // A live buffer the job does not hold (it could be freed under the job), and a range
    // running off the end of one it does hold.
    let other = dma.memory().alloc(4096).unwrap();
    let mut list = DataList::new();
    list.push_bus(other.bus_addr(), 4096);
    let job = Job::Pull {
        peer: peer(4096),
        list: Sgl::List(list),
    };
    expect_refused(&sim, &q, job, 0, other.bus_addr().get(), IOVA);
    let mut list = DataList::new();
    let tail = host.bus_addr().get() + 4096;
    list.hold(Held::Buffer(Arc::clone(&host)))
        .push_bus(BusAddr::new(tail), 8192);
    let job = Job::Pull {
        peer: peer(8192),
        list: Sgl::List(list),
    };
    expect_refused(&sim, &q, job, 0, tail, IOVA);

    // BAR2 outside every slice handed out (a PUSH from BAR2 to BAR2 by bus address).
    let free_bar2 = dma.peer_memory().bus_base().get() + dma.peer_memory().bar_len() - 4096;
    let mut list = DataList::new();
    list.push_bit_bucket(0);
    list.push_bus(BusAddr::new(free_bar2), 4096);
    let job = Job::Push {
        peer: peer(4096),
        list: Sgl::List(list),
    };
    expect_refused(&sim, &q, job, 1, free_bar2, BAR2);
    assert!(sim.faults().is_empty(), "{:?}", sim.faults());

    // Accepted: push_bus inside what the list holds (bytes exact), a zero-length entry
    // anywhere (never read), and a raw address on purpose.
    let mut list = DataList::new();
    list.hold(Held::Buffer(Arc::clone(&host)))
        .push_bus(BusAddr::new(host.bus_addr().get() + 100), 4000)
        .push_bus(BusAddr::new(UNMAPPED), 0)
        .push_buffer(&host, 5000, 96)
        .unwrap();
    let c = q
        .submit(Job::Pull {
            peer: peer(4096),
            list: Sgl::List(list),
        })
        .unwrap()
        .wait(WAIT)
        .unwrap();
    assert_eq!(c.status, StatusCode::Success);
    let mut expected = pattern(1, 8192)[100..4100].to_vec();
    expected.extend_from_slice(&pattern(1, 8192)[5000..5096]);
    assert!(
        read_bar2(&sim, slice.offset().get(), 4096) == expected,
        "bytes"
    );

    let mut raw = DataList::new();
    raw.push_bus_unchecked(BusAddr::new(UNMAPPED), 4096);
    let c = q
        .submit(Job::Pull {
            peer: peer(4096),
            list: Sgl::List(raw),
        })
        .unwrap()
        .wait(WAIT)
        .unwrap();
    assert_eq!(
        c.status,
        StatusCode::UnsupportedRequest,
        "the IOMMU refused it"
    );
    let faults = sim.take_faults();
    assert!(
        !faults.is_empty()
            && faults
                .iter()
                .all(|f| f.address >= UNMAPPED && f.address < UNMAPPED + 4096),
        "{faults:?}"
    );
    drop(other);
}
