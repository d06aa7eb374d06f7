// SPDX-License-Identifier: MIT OR Apache-2.0
//! The DMA engine end to end: the driver's queues and SGLs, the RTL's engine under Verilator,
//! and the simulated host (memory behind an IOMMU, RC completions split and reordered).
//! Every byte is checked, and nothing outside a job's targets may change.

use std::sync::Arc;
use std::time::Duration;

use peerbar::dma::sgl::{malformed_list_cases, valid_list_cases, SglBuilder, SglEntry};
use peerbar::dma::sgl::{CASE_DATA_REGION_LEN, CASE_LIST_REGION_LEN};
use peerbar::dma::wire::StatusCode;
use peerbar::dma::{
    Completion, CompletionMode, DmaEngine, Job, PeerRange, QueueConfig, QueuePair, Sgl,
};
use peerbar::hostmem::{DataList, PreparedSgl};
use peerbar::{BarIndex, BarOffset, Device, Endpoint};
use peerbar_sim::{SimConfig, SimDevice};
use peerbar_tests::pattern;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const WAIT: Duration = Duration::from_secs(30);

/// What the simulation recorded (a PCIe rule the RTL broke, a hang, IOMMU faults), which the
/// driver alone cannot see: appended to a job's error.
fn why(sim: &SimDevice, e: peerbar::Error) -> String {
    format!(
        "{e}; simulation: {:?}; faults: {:?}",
        sim.failure(),
        sim.faults()
    )
}

/// Submits `job` and waits for its completion; a failure carries the simulation's view.
fn run(sim: &SimDevice, q: &QueuePair, job: Job) -> Completion {
    q.submit(job)
        .unwrap()
        .wait(WAIT)
        .map_err(|e| why(sim, e))
        .unwrap()
}

fn engine(config: SimConfig) -> (SimDevice, DmaEngine) {
    let sim = SimDevice::new(config).expect("simulated endpoint");
    let dev: Arc<dyn Device> = Arc::new(sim.clone());
    let endpoint = Endpoint::open_shared(dev).expect("endpoint");
    let dma = endpoint.dma().expect("DMA engine present");
    dma.enable().expect("enable");
    (sim, dma)
}

fn default_engine() -> (SimDevice, DmaEngine) {
    engine(SimConfig::default())
}

fn bar2(sim: &SimDevice, offset: u64, len: usize) -> Vec<u8> {
    let mut b = vec![0u8; len];
    sim.bar_read(BarIndex::BAR2, BarOffset::new(offset), &mut b)
        .expect("BAR2 read");
    b
}

/// Random (offset, len) pieces of a buffer: lengths 1..=max, gaps between them so that bytes
/// the list does not name can be checked untouched.
fn random_pieces(rng: &mut ChaCha8Rng, count: usize, max: u32, space: usize) -> Vec<(usize, u32)> {
    let mut pieces = Vec::with_capacity(count);
    let mut at = rng.gen_range(0..64);
    for _ in 0..count {
        let len = rng.gen_range(1..=max);
        if at + len as usize > space {
            break;
        }
        pieces.push((at, len));
        at += len as usize + rng.gen_range(0..48);
    }
    pieces
}

#[test]
fn nop_completes_with_success() {
    let (sim, dma) = default_engine();
    let q = dma.create_queue(QueueConfig::new(0)).unwrap();
    for _ in 0..3 {
        let c = run(&sim, &q, Job::Nop);
        assert_eq!(c.status, StatusCode::Success);
        assert_eq!(c.sq_id, 0);
    }
}

/// PULL: scattered host pieces -> one contiguous BAR2 range; PUSH: BAR2 -> scattered host
/// pieces. Lists of 1 to 300 entries with random lengths and alignments.
#[test]
fn pull_and_push_scattered_lists_byte_exact() {
    let (sim, dma) = default_engine();
    let q = dma.create_queue(QueueConfig::new(1)).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(0x5eed);
    for (round, count) in [1usize, 2, 7, 40, 300].into_iter().enumerate() {
        let host = Arc::new(dma.memory().alloc(256 * 1024).unwrap());
        let pieces = random_pieces(&mut rng, count, 5000, host.len());
        let total: u32 = pieces.iter().map(|p| p.1).sum();
        let source = pattern(round as u64, host.len());
        host.write(0, &source).unwrap();

        let slice = Arc::new(dma.peer_memory().alloc(u64::from(total) + 128, 1).unwrap());
        let guard = pattern(99, slice.len() as usize);
        slice.write(0, &guard).unwrap();
        // PULL into the slice at an odd offset.
        let at = 61u64;
        let mut list = DataList::new();
        for &(off, len) in &pieces {
            list.push_buffer(&host, off, len).unwrap();
        }
        let c = run(
            &sim,
            &q,
            Job::Pull {
                peer: PeerRange::new(&slice, at, total).unwrap(),
                list: Sgl::List(list),
            },
        );
        assert_eq!(c.status, StatusCode::Success, "PULL of {count} pieces");
        let mut expect = guard.clone();
        let mut pos = at as usize;
        for &(off, len) in &pieces {
            expect[pos..pos + len as usize].copy_from_slice(&source[off..off + len as usize]);
            pos += len as usize;
        }
        let got = bar2(&sim, slice.offset().get(), slice.len() as usize);
        assert!(got == expect, "PULL of {count} pieces: BAR2 differs");

        // PUSH the same BAR2 range back into a fresh buffer at other pieces.
        let back = Arc::new(dma.memory().alloc(256 * 1024).unwrap());
        let before = pattern(7 + round as u64, back.len());
        back.write(0, &before).unwrap();
        let out_pieces = random_pieces(&mut rng, count * 2, 3000, back.len());
        let mut remaining = total;
        let mut push_list = DataList::new();
        let mut targets = Vec::new();
        for &(off, len) in &out_pieces {
            if remaining == 0 {
                break;
            }
            let n = len.min(remaining);
            push_list.push_buffer(&back, off, n).unwrap();
            targets.push((off, n));
            remaining -= n;
        }
        let pushed = total - remaining;
        let c = run(
            &sim,
            &q,
            Job::Push {
                peer: PeerRange::new(&slice, at, pushed).unwrap(),
                list: Sgl::List(push_list),
            },
        );
        assert_eq!(
            c.status,
            StatusCode::Success,
            "PUSH of {} pieces",
            targets.len()
        );
        let mut expect_back = before.clone();
        let mut pos = at as usize;
        for &(off, n) in &targets {
            expect_back[off..off + n as usize].copy_from_slice(&expect[pos..pos + n as usize]);
            pos += n as usize;
        }
        assert!(back.to_vec() == expect_back, "PUSH: host buffer differs");
    }
    assert!(sim.faults().is_empty(), "IOMMU faults: {:?}", sim.faults());
}

#[test]
fn one_byte_entries_and_entries_crossing_4k() {
    let (sim, dma) = default_engine();
    let q = dma.create_queue(QueueConfig::new(0)).unwrap();
    let host = Arc::new(dma.memory().alloc(64 * 1024).unwrap());
    let source = pattern(3, host.len());
    host.write(0, &source).unwrap();
    let mut list = DataList::new();
    let mut expect = Vec::new();
    // 64 one-byte entries, then pieces that straddle 4 KiB pages at odd offsets.
    for i in 0..64 {
        list.push_buffer(&host, i * 3 + 1, 1).unwrap();
        expect.push(source[i * 3 + 1]);
    }
    for (off, len) in [(4093usize, 7u32), (8190, 4100), (20481, 12289)] {
        list.push_buffer(&host, off, len).unwrap();
        expect.extend_from_slice(&source[off..off + len as usize]);
    }
    let slice = Arc::new(dma.peer_memory().alloc(expect.len() as u64, 1).unwrap());
    let c = run(
        &sim,
        &q,
        Job::Pull {
            peer: PeerRange::whole(&slice).unwrap(),
            list: Sgl::List(list),
        },
    );
    assert_eq!(c.status, StatusCode::Success);
    assert_eq!(bar2(&sim, slice.offset().get(), expect.len()), expect);
}

#[test]
fn chained_segments_and_thousands_of_entries() {
    let (sim, dma) = default_engine();
    let mut config = QueueConfig::new(2);
    config.builder = SglBuilder::new(16).unwrap(); // chain a Segment every 16 descriptors
    let q = dma.create_queue(config).unwrap();
    let host = Arc::new(dma.memory().alloc(512 * 1024).unwrap());
    let source = pattern(11, host.len());
    host.write(0, &source).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let pieces = random_pieces(&mut rng, 3000, 100, host.len());
    assert!(pieces.len() > 2000);
    let mut list = DataList::new();
    let mut expect = Vec::new();
    for &(off, len) in &pieces {
        list.push_buffer(&host, off, len).unwrap();
        expect.extend_from_slice(&source[off..off + len as usize]);
    }
    let slice = Arc::new(dma.peer_memory().alloc(expect.len() as u64, 1).unwrap());
    let c = run(
        &sim,
        &q,
        Job::Pull {
            peer: PeerRange::whole(&slice).unwrap(),
            list: Sgl::List(list),
        },
    );
    assert_eq!(c.status, StatusCode::Success);
    assert!(bar2(&sim, slice.offset().get(), expect.len()) == expect);
}

/// The list itself lives in BAR2 (peer memory): the engine fetches it like any other list.
#[test]
fn list_in_bar2() {
    let (sim, dma) = default_engine();
    let q = dma.create_queue(QueueConfig::new(0)).unwrap();
    let host = Arc::new(dma.memory().alloc(16 * 1024).unwrap());
    let source = pattern(5, host.len());
    host.write(0, &source).unwrap();
    let pieces = [(5usize, 1000u32), (3000, 17), (9001, 4096)];
    let entries: Vec<SglEntry> = pieces
        .iter()
        .map(|&(off, len)| SglEntry::data(host.bus_addr_at(off).unwrap(), len))
        .collect();
    let list_slice = Arc::new(dma.peer_memory().alloc(4096, 16).unwrap());
    let built = SglBuilder::default()
        .build(&entries, list_slice.bus_addr())
        .unwrap();
    list_slice.write(0, &built.list).unwrap();
    let slice = Arc::new(dma.peer_memory().alloc(u64::from(built.length), 1).unwrap());
    let prepared = PreparedSgl::from_parts(
        built.dptr,
        vec![
            peerbar::hostmem::Held::Peer(Arc::clone(&list_slice)),
            peerbar::hostmem::Held::Buffer(Arc::clone(&host)),
        ],
    );
    let c = run(
        &sim,
        &q,
        Job::Pull {
            peer: PeerRange::whole(&slice).unwrap(),
            list: Sgl::Prepared(Arc::new(prepared)),
        },
    );
    assert_eq!(c.status, StatusCode::Success);
    let mut expect = Vec::new();
    for &(off, len) in &pieces {
        expect.extend_from_slice(&source[off..off + len as usize]);
    }
    assert_eq!(bar2(&sim, slice.offset().get(), expect.len()), expect);
}

#[test]
fn checksum_matches_software_crc32c() {
    let (sim, dma) = default_engine();
    let q = dma.create_queue(QueueConfig::new(3)).unwrap();
    let slice = Arc::new(dma.peer_memory().alloc(70_000, 1).unwrap());
    let data = pattern(17, 70_000);
    slice.write(0, &data).unwrap();
    for (at, len) in [(0u64, 1u32), (3, 5), (1, 4096), (7, 65_537), (0, 70_000)] {
        let c = run(
            &sim,
            &q,
            Job::Checksum {
                peer: PeerRange::new(&slice, at, len).unwrap(),
            },
        );
        assert_eq!(c.status, StatusCode::Success);
        let want = crc32c::crc32c(&data[at as usize..(at + u64::from(len)) as usize]);
        assert_eq!(c.result, want, "CRC32C of {len} bytes at {at}");
    }
}

/// Every malformed-list class completes with its documented status (the same table the Rust
/// validator is tested with), nothing is written to BAR2, and the queue goes on.
#[test]
fn malformed_lists_complete_with_their_status_and_the_queue_goes_on() {
    let (sim, dma) = default_engine();
    let q = dma.create_queue(QueueConfig::new(0)).unwrap();
    let list = Arc::new(dma.memory().alloc(CASE_LIST_REGION_LEN).unwrap());
    let data = Arc::new(dma.memory().alloc(CASE_DATA_REGION_LEN).unwrap());
    data.write(0, &pattern(1, CASE_DATA_REGION_LEN)).unwrap();
    let peer = Arc::new(
        dma.peer_memory()
            .alloc(CASE_DATA_REGION_LEN as u64, 1)
            .unwrap(),
    );
    let cases = malformed_list_cases(list.bus_addr(), data.bus_addr());
    assert!(cases.len() >= 10);
    for case in cases
        .iter()
        .chain(valid_list_cases(list.bus_addr(), data.bus_addr()).iter())
    {
        let guard = pattern(2, peer.len() as usize);
        peer.write(0, &guard).unwrap();
        let c = q
            .submit_sgl_case(case, &list, &data, &peer)
            .unwrap()
            .wait(WAIT)
            .map_err(|e| why(&sim, e))
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert_eq!(c.status, case.expected, "{}", case.name);
        if case.expected != StatusCode::Success {
            assert!(
                bar2(&sim, peer.offset().get(), peer.len() as usize) == guard,
                "{}: BAR2 changed by a failed job",
                case.name
            );
        }
        let nop = run(&sim, &q, Job::Nop);
        assert_eq!(nop.status, StatusCode::Success, "queue after {}", case.name);
    }
    assert!(sim.faults().is_empty(), "IOMMU faults: {:?}", sim.faults());
}

#[test]
fn bar2_range_past_the_end_is_refused() {
    let (sim, dma) = default_engine();
    let q = dma.create_queue(QueueConfig::new(0)).unwrap();
    let bar_len = sim.bar_len(BarIndex::BAR2).unwrap();
    let host = Arc::new(dma.memory().alloc(4096).unwrap());
    let entry = peerbar::dma::wire::SqEntry::new(
        peerbar::dma::wire::Opcode::Pull,
        0,
        0,
        BarOffset::new(bar_len - 16),
        32,
        peerbar::dma::wire::SglDescriptor::data_block(host.bus_addr(), 32),
    );
    let tail = bar2(&sim, bar_len - 16, 16);
    let c = run(
        &sim,
        &q,
        Job::Raw {
            entry,
            held: vec![peerbar::hostmem::Held::Buffer(Arc::clone(&host))],
        },
    );
    assert_eq!(c.status, StatusCode::Bar2Range);
    assert_eq!(bar2(&sim, bar_len - 16, 16), tail);
}

#[test]
fn several_queues_at_once() {
    let (sim, dma) = default_engine();
    let queues: Vec<_> = (0..4)
        .map(|i| dma.create_queue(QueueConfig::new(i)).unwrap())
        .collect();
    let mut jobs = Vec::new();
    for (i, q) in queues.iter().enumerate() {
        for j in 0..5u64 {
            let host = Arc::new(dma.memory().alloc(8192).unwrap());
            let data = pattern(i as u64 * 100 + j, 5000);
            host.write(3, &data).unwrap();
            let slice = Arc::new(dma.peer_memory().alloc(5000, 1).unwrap());
            let mut list = DataList::new();
            list.push_buffer(&host, 3, 2000).unwrap();
            list.push_buffer(&host, 2003, 3000).unwrap();
            let t = q
                .submit(Job::Pull {
                    peer: PeerRange::whole(&slice).unwrap(),
                    list: Sgl::List(list),
                })
                .unwrap();
            jobs.push((t, slice, data));
        }
    }
    for (t, slice, data) in jobs {
        assert_eq!(
            t.wait(WAIT).map_err(|e| why(&sim, e)).unwrap().status,
            StatusCode::Success
        );
        assert_eq!(bar2(&sim, slice.offset().get(), data.len()), data);
    }
}

/// Jobs overlap in the engine but take effect in order (docs/dma-engine.md, "Job order"): jobs
/// submitted back to back without waiting, on one BAR2 range, each see exactly what the jobs
/// before them left there, and complete in submission order. Without the engine's order rules
/// the PUSH and CHECKSUM would read BAR2 while the PULL before them still writes it.
#[test]
fn jobs_in_flight_take_effect_in_order() {
    const LEN: usize = 16 * 1024;
    let (sim, dma) = default_engine();
    let q = dma.create_queue(QueueConfig::new(0)).unwrap();
    let slice = Arc::new(dma.peer_memory().alloc(LEN as u64, 4096).unwrap());
    let whole = || PeerRange::whole(&slice).unwrap();
    let first_4k = || PeerRange::new(&slice, 0, 4096).unwrap();
    let host = |seed: u64| {
        let buf = Arc::new(dma.memory().alloc(LEN).unwrap());
        let data = pattern(seed, LEN);
        buf.write(0, &data).unwrap();
        (buf, data)
    };
    let list = |buf: &Arc<peerbar::hostmem::DmaBuffer>, len: usize| {
        let mut l = DataList::new();
        // Two entries, so that the data arrives as several reads per job.
        l.push_buffer(buf, 0, len as u32 / 2).unwrap();
        l.push_buffer(buf, len / 2, len as u32 / 2).unwrap();
        Sgl::List(l)
    };
    let (a, a_data) = host(1);
    let (b, b_data) = host(2);
    let (c, c_data) = host(3);
    let (d, _) = host(4);
    let (e, _) = host(5);
    let jobs = [
        Job::Pull {
            peer: whole(),
            list: list(&a, LEN),
        },
        Job::Push {
            peer: whole(),
            list: list(&d, LEN),
        },
        Job::Pull {
            peer: whole(),
            list: list(&b, LEN),
        },
        Job::Checksum { peer: whole() },
        Job::Pull {
            peer: first_4k(),
            list: list(&c, 4096),
        },
        Job::Push {
            peer: whole(),
            list: list(&e, LEN),
        },
    ];
    let tickets: Vec<_> = jobs.into_iter().map(|j| q.submit(j).unwrap()).collect();
    let mut results = Vec::new();
    for t in tickets {
        let done = t.wait(WAIT).map_err(|e| why(&sim, e)).unwrap();
        assert_eq!(done.status, StatusCode::Success);
        results.push(done.result);
    }
    let read = |buf: &Arc<peerbar::hostmem::DmaBuffer>| {
        let mut v = vec![0u8; LEN];
        buf.read(0, &mut v).unwrap();
        v
    };
    assert!(
        read(&d) == a_data,
        "the PUSH after the first PULL sent other bytes than it brought"
    );
    assert_eq!(
        results[3],
        crc32c::crc32c(&b_data),
        "CHECKSUM after the second PULL"
    );
    let mut want = b_data.clone();
    want[..4096].copy_from_slice(&c_data[..4096]);
    assert!(
        read(&e) == want,
        "the last PUSH sent other bytes than the PULLs left"
    );
    assert!(
        bar2(&sim, slice.offset().get(), LEN) == want,
        "BAR2 after the last PULL"
    );
    assert_eq!(
        results[0], LEN as u32,
        "PULL RESULT counts the bytes it put into BAR2"
    );
    assert_eq!(results[4], 4096);
}

/// With jobs in flight together, a failed read fails its own job only: each read carries its
/// job, and the others move every byte (docs/dma-engine.md, "Job order").
#[test]
fn a_failed_read_fails_only_its_own_job_among_jobs_in_flight() {
    use peerbar_sim::ReadFault;
    const LEN: usize = 8192;
    let (sim, dma) = default_engine();
    dma.set_completion_timeout_cycles(2_000).unwrap();
    let q = dma.create_queue(QueueConfig::new(1)).unwrap();
    let faults = [(3, ReadFault::UnsupportedRequest), (6, ReadFault::Dropped)];
    let mut jobs = Vec::new();
    for i in 0..8u64 {
        let host = Arc::new(dma.memory().alloc(LEN).unwrap());
        let data = pattern(100 + i, LEN);
        host.write(0, &data).unwrap();
        let slice = Arc::new(dma.peer_memory().alloc(LEN as u64, 4096).unwrap());
        if let Some((_, fault)) = faults.iter().find(|(job, _)| *job == i) {
            let page = host.bus_addr().get() + 4096;
            sim.inject_read_fault(page..page + 1, *fault);
        }
        let mut list = DataList::new();
        list.push_buffer(&host, 0, LEN as u32 / 2).unwrap();
        list.push_buffer(&host, LEN / 2, LEN as u32 / 2).unwrap();
        let peer = PeerRange::whole(&slice).unwrap();
        jobs.push((
            q.submit(Job::Pull {
                peer,
                list: Sgl::List(list),
            })
            .unwrap(),
            slice,
            data,
        ));
    }
    for (i, (ticket, slice, data)) in jobs.into_iter().enumerate() {
        let done = ticket.wait(WAIT).map_err(|e| why(&sim, e)).unwrap();
        let want = match faults.iter().find(|(job, _)| *job == i as u64) {
            Some((_, ReadFault::UnsupportedRequest)) => StatusCode::UnsupportedRequest,
            Some(_) => StatusCode::CompletionTimeout,
            None => StatusCode::Success,
        };
        assert_eq!(done.status, want, "job {i}");
        if want == StatusCode::Success {
            assert_eq!(done.result, LEN as u32, "job {i}");
            assert!(
                bar2(&sim, slice.offset().get(), LEN) == data,
                "job {i}: BAR2"
            );
        }
    }
    assert!(sim.failure().is_none());
}

#[test]
fn interrupt_mode_delivers_completions() {
    let (sim, dma) = default_engine();
    let mut config = QueueConfig::new(1);
    config.mode = CompletionMode::Interrupt;
    let q = dma.create_queue(config).unwrap();
    for _ in 0..4 {
        let c = run(&sim, &q, Job::Nop);
        assert_eq!(c.status, StatusCode::Success);
    }
}

/// MSI-X masked by the host (Function Mask): no message is sent, the RTL holds it pending, and
/// jobs in interrupt mode still complete because the driver also polls; unmasking delivers the
/// pending interrupt.
#[test]
fn masked_msix_jobs_still_complete_by_polling() {
    let (sim, dma) = default_engine();
    let mut config = QueueConfig::new(2);
    config.mode = CompletionMode::Interrupt;
    let q = dma.create_queue(config).unwrap();
    assert_eq!(run(&sim, &q, Job::Nop).status, StatusCode::Success);
    let delivered = sim.stats().interrupts;
    assert!(delivered >= 1, "interrupt mode raised no interrupt");

    let control = peerbar_sim::config_space::CAP_MSIX + 2;
    let message_control = sim.config_read16(control).unwrap();
    sim.config_write(control, &(message_control | 1 << 14).to_le_bytes())
        .unwrap();
    let started = std::time::Instant::now();
    for _ in 0..3 {
        // A long timeout: completing well before it shows the polling fallback works.
        let c = q
            .submit(Job::Nop)
            .unwrap()
            .wait(Duration::from_secs(120))
            .unwrap();
        assert_eq!(c.status, StatusCode::Success);
    }
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "jobs waited for their timeout instead of being polled"
    );
    assert_eq!(
        sim.stats().interrupts,
        delivered,
        "a message was sent while masked"
    );

    sim.config_write(control, &message_control.to_le_bytes())
        .unwrap();
    sim.run_dma_until_idle(100_000).unwrap();
    assert!(
        sim.stats().interrupts > delivered,
        "the pending interrupt was not sent after unmasking"
    );
    assert_eq!(run(&sim, &q, Job::Nop).status, StatusCode::Success);
}

/// Recovery bookkeeping: after jobs that succeed, fail on injected link errors, fault in the
/// IOMMU or are malformed, and after queues are torn down with jobs in flight, every IOMMU
/// mapping, IOVA range and BAR2 slice comes back: nothing leaks, counted.
#[test]
fn nothing_leaks_after_errors_and_queue_teardown() {
    use peerbar_sim::ReadFault;
    let (sim, dma) = default_engine();
    let iova_free = dma.memory().iova_allocator().free_ranges();
    let bar2_free = dma.peer_memory().free_ranges();
    assert!(
        sim.iommu_mappings().is_empty(),
        "{:?}",
        sim.iommu_mappings()
    );
    for round in 0..3u16 {
        let mut config = QueueConfig::new(round % 2);
        if round == 1 {
            config.mode = CompletionMode::Interrupt;
        }
        let q = dma.create_queue(config).unwrap();
        let host = Arc::new(dma.memory().alloc(64 * 1024).unwrap());
        let slice = Arc::new(dma.peer_memory().alloc(64 * 1024, 4096).unwrap());
        let pull = |len: u32| {
            let mut list = DataList::new();
            list.push_buffer(&host, 0, len).unwrap();
            Job::Pull {
                peer: PeerRange::new(&slice, 0, len).unwrap(),
                list: Sgl::List(list),
            }
        };
        assert_eq!(run(&sim, &q, pull(8192)).status, StatusCode::Success);
        let at = host.bus_addr().get();
        sim.inject_read_fault(at..at + 1, ReadFault::UnsupportedRequest);
        assert_eq!(
            run(&sim, &q, pull(8192)).status,
            StatusCode::UnsupportedRequest
        );
        let mut unmapped = DataList::new();
        unmapped.push_bus_unchecked(peerbar::BusAddr::new(0x30_0000_0000), 4096);
        let push = Job::Push {
            peer: PeerRange::new(&slice, 0, 4096).unwrap(),
            list: Sgl::List(unmapped),
        };
        assert_eq!(run(&sim, &q, push).status, StatusCode::Success);
        // Jobs still in flight when the queue goes: dropping it waits for them.
        let in_flight: Vec<_> = (0..4).map(|_| q.submit(pull(65536)).unwrap()).collect();
        drop(in_flight);
        drop(q);
        drop((host, slice));
    }
    sim.take_faults();
    assert_eq!(dma.memory().iova_allocator().free_ranges(), iova_free);
    assert_eq!(dma.peer_memory().free_ranges(), bar2_free);
    assert!(
        sim.iommu_mappings().is_empty(),
        "mappings left: {:x?}",
        sim.iommu_mappings()
    );
}

/// The engine may only reach memory the driver mapped: a list naming an unmapped address is an
/// IOMMU fault the fabric records. A read fault comes back as UR and fails the job (C2h) with
/// BAR2 untouched; a write fault is dropped (posted writes cannot report) and recorded.
#[test]
fn dma_outside_every_iommu_window_is_a_recorded_fault() {
    let (sim, dma) = default_engine();
    let q = dma.create_queue(QueueConfig::new(0)).unwrap();
    // Inside the IOMMU's aperture but mapped by nobody.
    let unmapped = peerbar::BusAddr::new(0x30_0000_0000);
    let slice = Arc::new(dma.peer_memory().alloc(4096, 1).unwrap());
    let guard = pattern(8, 4096);
    slice.write(0, &guard).unwrap();

    let mut list = DataList::new();
    list.push_bus_unchecked(unmapped, 4096);
    let c = run(
        &sim,
        &q,
        Job::Pull {
            peer: PeerRange::whole(&slice).unwrap(),
            list: Sgl::List(list),
        },
    );
    assert_eq!(c.status, StatusCode::UnsupportedRequest);
    assert_eq!(bar2(&sim, slice.offset().get(), 4096), guard);
    let faults = sim.take_faults();
    assert!(!faults.is_empty(), "no fault recorded");
    assert!(faults.iter().all(|f| f.address >= unmapped.get()
        && f.address < unmapped.get() + 4096
        && f.direction == peerbar_sim::DmaDirection::Read));

    let mut list = DataList::new();
    list.push_bus_unchecked(unmapped, 512);
    let c = run(
        &sim,
        &q,
        Job::Push {
            peer: PeerRange::new(&slice, 0, 512).unwrap(),
            list: Sgl::List(list),
        },
    );
    assert_eq!(
        c.status,
        StatusCode::Success,
        "posted writes cannot fail the job"
    );
    let faults = sim.take_faults();
    assert_eq!(
        faults.len(),
        2,
        "two 256-byte MemWr (MPS 256) refused: {faults:?}"
    );
    assert!(faults
        .iter()
        .all(|f| f.direction == peerbar_sim::DmaDirection::Write));
    // The queue goes on.
    let c = q.submit(Job::Nop).unwrap().wait(WAIT).unwrap();
    assert_eq!(c.status, StatusCode::Success);
}

/// Link errors on the engine's reads (injected per read by the simulated host) complete the job
/// with the documented status, write nothing into BAR2, and the queue goes on.
#[test]
fn link_errors_on_reads_complete_with_their_status() {
    use peerbar_sim::ReadFault;
    let (sim, dma) = default_engine();
    dma.set_completion_timeout_cycles(2_000).unwrap();
    let q = dma.create_queue(QueueConfig::new(2)).unwrap();
    let host = Arc::new(dma.memory().alloc(8192).unwrap());
    host.write(0, &pattern(4, 8192)).unwrap();
    let slice = Arc::new(dma.peer_memory().alloc(8192, 1).unwrap());
    for (i, (fault, status)) in [
        (
            ReadFault::UnsupportedRequest,
            StatusCode::UnsupportedRequest,
        ),
        (ReadFault::CompleterAbort, StatusCode::CompleterAbort),
        (ReadFault::Poisoned, StatusCode::Poisoned),
        (ReadFault::Dropped, StatusCode::CompletionTimeout),
    ]
    .into_iter()
    .enumerate()
    {
        let guard = pattern(i as u64 + 50, 8192);
        slice.write(0, &guard).unwrap();
        // Fault one read: the one covering the first bytes of the second 4 KiB page (the
        // engine reads at most MRRS = 512 bytes per request).
        let page = host.bus_addr().get() + 4096;
        sim.inject_read_fault(page..page + 1, fault);
        let mut list = DataList::new();
        list.push_buffer(&host, 0, 8192).unwrap();
        let c = run(
            &sim,
            &q,
            Job::Pull {
                peer: PeerRange::whole(&slice).unwrap(),
                list: Sgl::List(list),
            },
        );
        assert_eq!(c.status, status, "{fault:?}");
        // The failed read's bytes never land; the rest of a failed job's target is undefined.
        let after = bar2(&sim, slice.offset().get(), 8192);
        assert!(
            after[4096..4608] == guard[4096..4608],
            "{fault:?}: data of the failed read reached BAR2"
        );
        let nop = q.submit(Job::Nop).unwrap().wait(WAIT).unwrap();
        assert_eq!(nop.status, StatusCode::Success, "queue after {fault:?}");
    }
    // A healthy job afterwards moves every byte.
    let mut list = DataList::new();
    list.push_buffer(&host, 0, 8192).unwrap();
    let c = run(
        &sim,
        &q,
        Job::Pull {
            peer: PeerRange::whole(&slice).unwrap(),
            list: Sgl::List(list),
        },
    );
    assert_eq!(c.status, StatusCode::Success);
    assert_eq!(bar2(&sim, slice.offset().get(), 8192), host.to_vec());
    assert!(sim.failure().is_none());
    // Counted by class, and the first failure logged.
    use peerbar::regs::{
        self, DMA_ERROR_LOG, DMA_ERROR_LOG_REG, DMA_ERR_LINK_REG, DMA_JOB_ERRORS_REG,
    };
    assert_eq!(regs::read(&sim, &DMA_ERR_LINK_REG).unwrap().get(), 4);
    assert_eq!(regs::read(&sim, &DMA_JOB_ERRORS_REG).unwrap().get(), 4);
    let log = regs::read(&sim, &DMA_ERROR_LOG_REG).unwrap();
    assert_eq!(log.read(DMA_ERROR_LOG::VALID), 1);
    assert_eq!(log.read(DMA_ERROR_LOG::QUEUE), 2);
    assert_eq!(
        log.read(DMA_ERROR_LOG::STATUS),
        u32::from(StatusCode::UnsupportedRequest.code())
    );
}

/// A stale duplicate of a read's completions, arriving after the read finished, matches no
/// outstanding read: the engine discards and counts it, and no byte of BAR2 changes.
#[test]
fn stale_duplicate_completions_are_discarded_and_counted() {
    use peerbar::regs::{self, DMA_ERR_BAD_COMPLETION_REG};
    use peerbar_sim::ReadFault;
    let (sim, dma) = default_engine();
    let q = dma.create_queue(QueueConfig::new(0)).unwrap();
    let host = Arc::new(dma.memory().alloc(4096).unwrap());
    let data = pattern(12, 512);
    host.write(0, &data).unwrap();
    let slice = Arc::new(dma.peer_memory().alloc(4096, 4096).unwrap());
    let guard = pattern(13, 4096);
    slice.write(0, &guard).unwrap();
    sim.inject_read_fault(
        host.bus_addr().get()..host.bus_addr().get() + 1,
        ReadFault::Duplicated,
    );
    let mut list = DataList::new();
    list.push_buffer(&host, 0, 512).unwrap();
    let c = run(
        &sim,
        &q,
        Job::Pull {
            peer: PeerRange::new(&slice, 0, 512).unwrap(),
            list: Sgl::List(list),
        },
    );
    assert_eq!(c.status, StatusCode::Success);
    // Let the duplicate arrive while nothing is outstanding.
    sim.run_dma_until_idle(100_000).unwrap();
    assert!(regs::read(&sim, &DMA_ERR_BAD_COMPLETION_REG).unwrap().get() >= 1);
    let mut expect = guard.clone();
    expect[..512].copy_from_slice(&data);
    assert!(
        bar2(&sim, slice.offset().get(), 4096) == expect,
        "BAR2 changed by the duplicate"
    );
    // The engine goes on.
    let c = q.submit(Job::Nop).unwrap().wait(WAIT).unwrap();
    assert_eq!(c.status, StatusCode::Success);
    assert!(sim.failure().is_none(), "{:?}", sim.failure());
}

/// Stale completions where they would fit: 64 reads of 512 bytes at the start of 64 host pages
/// all end at the same address, so a duplicate of one read's completions carries the very byte
/// count and lower address bits 6:0 the next read on its tag would expect (the block supplies
/// bits 11:7). Every read is duplicated. A tag returns only once the block released it and its
/// quarantine passed (docs/dma-engine.md, "Tag rules"): every duplicate is discarded and counted
/// in DMA_ERR_BAD_COMPLETION, BAR2 gets exactly the list's bytes, and the job takes at most a
/// few quarantines longer than the same reads at distinct ends without duplicates.
#[test]
fn duplicated_completions_of_reads_with_the_same_end_never_land() {
    use peerbar::regs::{self, DMA_ERR_BAD_COMPLETION_REG};
    use peerbar_sim::ReadFault;
    const PAGES: usize = 64;
    /// hw/rtl/peerbar_dma_rc.sv `TagQuarantine`.
    const TAG_QUARANTINE: u64 = 2048;
    let (sim, dma) = default_engine();
    let q = dma.create_queue(QueueConfig::new(0)).unwrap();
    let host = Arc::new(dma.memory().alloc(PAGES * 4096).unwrap());
    let data = pattern(31, PAGES * 4096);
    host.write(0, &data).unwrap();
    let slice = Arc::new(dma.peer_memory().alloc((PAGES * 512) as u64, 4096).unwrap());
    let pull = |stride: usize, duplicated: bool| {
        slice.write(0, &vec![0u8; PAGES * 512]).unwrap();
        let mut list = DataList::new();
        let mut expect = Vec::new();
        for k in 0..PAGES {
            let at = k * stride;
            if duplicated {
                let a = host.bus_addr().get() + at as u64;
                sim.inject_read_fault(a..a + 1, ReadFault::Duplicated);
            }
            list.push_buffer(&host, at, 512).unwrap();
            expect.extend_from_slice(&data[at..at + 512]);
        }
        let bad0 = regs::read(&sim, &DMA_ERR_BAD_COMPLETION_REG).unwrap().get();
        let cycles0 = sim.stats().dma_active_cycles;
        let c = run(
            &sim,
            &q,
            Job::Pull {
                peer: PeerRange::whole(&slice).unwrap(),
                list: Sgl::List(list),
            },
        );
        sim.run_dma_until_idle(1_000_000).unwrap();
        assert!(sim.failure().is_none(), "{:?}", sim.failure());
        assert_eq!(c.status, StatusCode::Success, "stride {stride}");
        assert!(
            bar2(&sim, slice.offset().get(), PAGES * 512) == expect,
            "BAR2 differs (stride {stride})"
        );
        let bad = regs::read(&sim, &DMA_ERR_BAD_COMPLETION_REG).unwrap().get() - bad0;
        (sim.stats().dma_active_cycles - cycles0, bad)
    };
    // Distinct ends (512-byte stride): tags are reused at once.
    let (distinct, bad) = pull(512, false);
    assert_eq!(bad, 0);
    // The same end (page stride), every read duplicated.
    let (same_end, bad) = pull(4096, true);
    assert!(bad >= PAGES as u32, "{bad} completions discarded");
    eprintln!(
        "64 x 512 B PULL: {distinct} engine-active cycles with distinct ends, {same_end} with \
         one end and every read duplicated"
    );
    assert!(
        same_end < distinct + 3 * TAG_QUARANTINE,
        "{same_end} cycles"
    );
}

/// The same byte-exact PULL and PUSH under other host behaviour: RCB 128, completions split at
/// random RCB boundaries, no reordering, zero and long latency, small and large MPS/MRRS,
/// back-pressure on RQ and CC.
#[test]
fn pull_and_push_under_other_host_settings() {
    let configs = [
        SimConfig {
            max_payload: 128,
            max_read_req: 128,
            rcb: 128,
            rc_split_seed: Some(1),
            rq_ready_percent: 40,
            ..SimConfig::default()
        },
        SimConfig {
            max_payload: 512,
            max_read_req: 4096,
            rcb: 64,
            rc_split_seed: Some(2),
            rc_latency_cycles: 0,
            rc_reorder: false,
            cc_ready_percent: 50,
            ..SimConfig::default()
        },
        SimConfig {
            max_payload: 1024,
            max_read_req: 1024,
            rcb: 128,
            rc_latency_cycles: 500,
            seed: 77,
            ..SimConfig::default()
        },
    ];
    for (n, config) in configs.into_iter().enumerate() {
        let what = format!("{config:?}");
        let (sim, dma) = engine(config);
        let q = dma.create_queue(QueueConfig::new(n as u16)).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(n as u64 + 40);
        let host = Arc::new(dma.memory().alloc(128 * 1024).unwrap());
        let source = pattern(n as u64 + 60, host.len());
        host.write(0, &source).unwrap();
        let pieces = random_pieces(&mut rng, 60, 3000, host.len());
        let total: u32 = pieces.iter().map(|p| p.1).sum();
        let slice = Arc::new(dma.peer_memory().alloc(u64::from(total) + 64, 1).unwrap());
        let guard = pattern(n as u64 + 70, slice.len() as usize);
        slice.write(0, &guard).unwrap();
        let mut list = DataList::new();
        let mut expect = guard.clone();
        let mut pos = 3usize;
        for &(off, len) in &pieces {
            list.push_buffer(&host, off, len).unwrap();
            expect[pos..pos + len as usize].copy_from_slice(&source[off..off + len as usize]);
            pos += len as usize;
        }
        let c = run(
            &sim,
            &q,
            Job::Pull {
                peer: PeerRange::new(&slice, 3, total).unwrap(),
                list: Sgl::List(list),
            },
        );
        assert_eq!(c.status, StatusCode::Success, "PULL under {what}");
        assert!(
            bar2(&sim, slice.offset().get(), slice.len() as usize) == expect,
            "PULL under {what}: BAR2 differs"
        );
        // PUSH it back to a fresh buffer at an odd offset, in one Data Block.
        let back = Arc::new(dma.memory().alloc(128 * 1024).unwrap());
        let before = pattern(n as u64 + 80, back.len());
        back.write(0, &before).unwrap();
        let mut list = DataList::new();
        list.push_buffer(&back, 5, total).unwrap();
        let c = run(
            &sim,
            &q,
            Job::Push {
                peer: PeerRange::new(&slice, 3, total).unwrap(),
                list: Sgl::List(list),
            },
        );
        assert_eq!(c.status, StatusCode::Success, "PUSH under {what}");
        let mut expect_back = before.clone();
        expect_back[5..5 + total as usize].copy_from_slice(&expect[3..3 + total as usize]);
        assert!(
            back.to_vec() == expect_back,
            "PUSH under {what}: host buffer differs"
        );
        assert!(sim.faults().is_empty(), "{what}: {:?}", sim.faults());
    }
}

/// QUEUE_STATUS.BUSY covers a job until its last write has left the engine: with RQ `tready`
/// held low on most cycles, a NOP's CQ entry waits in the engine's RQ register after the
/// engine went idle (polling mode: no MSI-X to send). BUSY must still read 1 then, and once it
/// reads 0 the CQ entry is in host memory (the driver relies on that to release a queue's
/// rings). Raw registers, so the test sees every STATUS read and the CQ ring itself.
#[test]
fn queue_busy_lasts_until_the_cq_entry_left_the_engine() {
    const JOBS: u16 = 48;
    const ENTRIES: u16 = 64;
    let (sim, dma) = engine(SimConfig {
        rq_ready_percent: 2,
        ..SimConfig::default()
    });
    let q: u64 = 1;
    let base = 0x1000 + q * 0x40;
    let w = |off: u64, v: u32| {
        sim.bar_write32(BarIndex::BAR0, BarOffset::new(base + off), v)
            .expect("BAR0 write")
    };
    let sq = dma.memory().alloc(64 * usize::from(ENTRIES)).unwrap();
    let cq = dma.memory().alloc(16 * usize::from(ENTRIES)).unwrap();
    sq.fill(0, sq.len(), 0).unwrap();
    cq.fill(0, cq.len(), 0).unwrap();
    let (sqa, cqa) = (sq.bus_addr().get(), cq.bus_addr().get());
    w(0x00, sqa as u32);
    w(0x04, (sqa >> 32) as u32);
    w(0x08, cqa as u32);
    w(0x0C, (cqa >> 32) as u32);
    w(
        0x10,
        (u32::from(ENTRIES - 1) << 16) | u32::from(ENTRIES - 1),
    );
    w(0x14, 1); // ENABLE, no interrupt: the engine goes idle right after the CQ entry is loaded

    let mut pending_seen = 0u32;
    for i in 0..JOBS {
        let mut sqe = [0u8; 64];
        sqe[2..4].copy_from_slice(&(0x100 + i).to_le_bytes()); // NOP, CID
        sq.write(64 * usize::from(i), &sqe).unwrap();
        w(0x1C, u32::from(i + 1));
        // The entry has landed when its phase bit (DW3 bit 16, 1 on the first pass) is set.
        let landed = || {
            let mut e = [0u8; 16];
            cq.read(16 * usize::from(i), &mut e).unwrap();
            let dw3 = u32::from_le_bytes(e[12..16].try_into().unwrap());
            dw3 & (1 << 16) != 0
        };
        let start = std::time::Instant::now();
        loop {
            let status = sim
                .bar_read32(BarIndex::BAR0, BarOffset::new(base + 0x18))
                .expect("QUEUE_STATUS");
            let busy = status & (1 << 16) != 0;
            let head = status & 0xFFFF;
            // Read host memory after STATUS: BUSY 0 at the STATUS read means the entry was
            // already written then.
            let in_memory = landed();
            let fetched = head == u32::from(i + 1);
            if !busy && fetched {
                assert!(
                    in_memory,
                    "job {i}: QUEUE_STATUS.BUSY reads 0 (SQ_HEAD {head}) but its CQ entry has \
                     not reached host memory: the write still waits in the engine; \
                     simulation: {:?}",
                    sim.failure()
                );
                break;
            } else if busy && fetched && !in_memory {
                pending_seen += 1; // fetched, CQ entry not written yet, BUSY still 1
            }
            assert!(
                start.elapsed() < WAIT,
                "job {i} did not complete; simulation: {:?}",
                sim.failure()
            );
        }
        let mut e = [0u8; 16];
        cq.read(16 * usize::from(i), &mut e).unwrap();
        assert_eq!(
            u16::from_le_bytes([e[12], e[13]]),
            0x100 + i,
            "CID of job {i}"
        );
        let dw3 = u32::from_le_bytes(e[12..16].try_into().unwrap());
        assert_eq!((dw3 >> 17) & 0xFF, 0, "status of job {i}"); // DW3[24:17]: success = 0
    }
    assert!(
        pending_seen > 0,
        "no STATUS read caught a fetched job whose CQ entry was still on its way"
    );
    w(0x14, 0);
    assert_eq!(sim.failure(), None);
}

/// FLAGS.CRC (docs/dma-engine.md, "Inline CRC"): a PULL's or PUSH's RESULT is the CRC32C of the
/// bytes it moved, in BAR2 order, computed as they pass. Lists of 1 to 200 pieces with any
/// alignment, BAR2 ranges at odd offsets, BAR2's first and last bytes, eight jobs in flight at
/// once with CRC and plain jobs mixed; the bytes land exactly as without the flag.
#[test]
fn inline_crc_is_the_crc32c_of_the_bytes_moved() {
    let (sim, dma) = default_engine();
    let q = dma.create_queue(QueueConfig::new(0)).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(0xc7c);
    // The whole of BAR2 as one slice: jobs at its first and last bytes (a PULL at offset 0
    // whose data is not DWORD-aligned writes a window that starts below BAR2 byte 0).
    let bar2_len = dma.peer_memory().bar_len();
    let all = Arc::new(dma.peer_memory().alloc(bar2_len, 1).unwrap());
    assert_eq!(all.offset().get(), 0);
    let submit = |job: Job, crc: bool| {
        if crc {
            q.submit_with_crc(job).unwrap()
        } else {
            q.submit(job).unwrap()
        }
    };
    for round in 0..3u64 {
        // Eight PULLs in flight, each into its own range: (ticket, BAR2 at, bytes, crc).
        let mut pulls = Vec::new();
        let mut next_free = rng.gen_range(0..8u64);
        for j in 0..8u64 {
            let host = Arc::new(dma.memory().alloc(64 * 1024).unwrap());
            let source = pattern(round * 8 + j, host.len());
            host.write(0, &source).unwrap();
            let count = [1, 3, 17, 200][((round + j) % 4) as usize];
            let pieces = random_pieces(&mut rng, count, 1500, host.len());
            let mut list = DataList::new();
            let mut bytes = Vec::new();
            for &(off, len) in &pieces {
                list.push_buffer(&host, off, len).unwrap();
                bytes.extend_from_slice(&source[off..off + len as usize]);
            }
            let at = match (round, j) {
                (0, 0) => 0,                             // BAR2 byte 0
                (0, 7) => bar2_len - bytes.len() as u64, // up to BAR2's last byte
                _ => next_free,
            };
            next_free = next_free.max(at + bytes.len() as u64) + rng.gen_range(1..40);
            let crc = j % 3 != 2;
            let job = Job::Pull {
                peer: PeerRange::new(&all, at, bytes.len() as u32).unwrap(),
                list: Sgl::List(list),
            };
            pulls.push((submit(job, crc), at, bytes, crc, host));
        }
        let mut pushes = Vec::new();
        for (i, (ticket, at, bytes, crc, _host)) in pulls.into_iter().enumerate() {
            let done = ticket.wait(WAIT).map_err(|e| why(&sim, e)).unwrap();
            assert_eq!(done.status, StatusCode::Success, "round {round} PULL {i}");
            let want = if crc {
                crc32c::crc32c(&bytes)
            } else {
                bytes.len() as u32
            };
            assert_eq!(
                done.result,
                want,
                "round {round} PULL {i} (crc {crc}, {} bytes at {at})",
                bytes.len()
            );
            assert!(
                bar2(&sim, at, bytes.len()) == bytes,
                "round {round} PULL {i}: BAR2"
            );
            // PUSH the range back out into scattered pieces of a fresh buffer, CRC on the
            // jobs that had none.
            let back = Arc::new(dma.memory().alloc(128 * 1024).unwrap());
            back.write(0, &pattern(1000 + i as u64, back.len()))
                .unwrap();
            let mut list = DataList::new();
            let mut targets = Vec::new();
            let mut left = bytes.len() as u32;
            for (off, len) in random_pieces(&mut rng, 400, 900, back.len()) {
                if left == 0 {
                    break;
                }
                let n = len.min(left);
                list.push_buffer(&back, off, n).unwrap();
                targets.push((off, n));
                left -= n;
            }
            let moved = bytes.len() as u32 - left;
            let job = Job::Push {
                peer: PeerRange::new(&all, at, moved).unwrap(),
                list: Sgl::List(list),
            };
            pushes.push((submit(job, !crc), bytes, moved, targets, !crc, back));
        }
        for (i, (ticket, bytes, moved, targets, crc, back)) in pushes.into_iter().enumerate() {
            let done = ticket.wait(WAIT).map_err(|e| why(&sim, e)).unwrap();
            assert_eq!(done.status, StatusCode::Success, "round {round} PUSH {i}");
            let sent = &bytes[..moved as usize];
            let want = if crc { crc32c::crc32c(sent) } else { moved };
            assert_eq!(done.result, want, "round {round} PUSH {i} (crc {crc})");
            let got = back.to_vec();
            let mut pos = 0usize;
            for (off, n) in targets {
                assert!(
                    got[off..off + n as usize] == sent[pos..pos + n as usize],
                    "round {round} PUSH {i}: host bytes at {off}"
                );
                pos += n as usize;
            }
        }
    }
    assert!(sim.failure().is_none(), "{:?}", sim.failure());
}

/// FLAGS.CRC corner cases: an empty job (CRC of nothing: 0), a Bit Bucket (its BAR2 bytes are
/// skipped and count as zeros), a failed job (RESULT is the bytes moved, as without the flag),
/// and a job that moves no data (refused before anything is submitted).
#[test]
fn inline_crc_corner_cases() {
    use peerbar::dma::DmaError;
    use peerbar_sim::ReadFault;
    let (sim, dma) = default_engine();
    dma.set_completion_timeout_cycles(2_000).unwrap();
    let q = dma.create_queue(QueueConfig::new(0)).unwrap();
    let slice = Arc::new(dma.peer_memory().alloc(8192, 4096).unwrap());
    let host = Arc::new(dma.memory().alloc(8192).unwrap());
    let data = pattern(7, 8192);
    host.write(0, &data).unwrap();

    let empty = q
        .submit_with_crc(Job::Pull {
            peer: PeerRange::new(&slice, 0, 0).unwrap(),
            list: Sgl::List(DataList::new()),
        })
        .unwrap()
        .wait(WAIT)
        .unwrap();
    assert_eq!((empty.status, empty.result), (StatusCode::Success, 0));

    slice.write(0, &[0xEE; 8192]).unwrap();
    let mut list = DataList::new();
    list.push_buffer(&host, 3, 100).unwrap();
    list.push_bit_bucket(50);
    list.push_buffer(&host, 500, 77).unwrap();
    let done = q
        .submit_with_crc(Job::Pull {
            peer: PeerRange::new(&slice, 5, 227).unwrap(),
            list: Sgl::List(list),
        })
        .unwrap()
        .wait(WAIT)
        .map_err(|e| why(&sim, e))
        .unwrap();
    let mut want = data[3..103].to_vec();
    want.extend_from_slice(&[0u8; 50]);
    want.extend_from_slice(&data[500..577]);
    assert_eq!(done.status, StatusCode::Success);
    assert_eq!(
        done.result,
        crc32c::crc32c(&want),
        "Bit Bucket bytes count as zeros"
    );
    let mut in_bar2 = want.clone();
    in_bar2[100..150].fill(0xEE);
    assert!(
        bar2(&sim, slice.offset().get() + 5, 227) == in_bar2,
        "BAR2 after a PULL with a Bit Bucket"
    );

    let page = host.bus_addr().get() + 4096;
    sim.inject_read_fault(page..page + 1, ReadFault::UnsupportedRequest);
    let mut list = DataList::new();
    list.push_buffer(&host, 0, 8192).unwrap();
    let failed = q
        .submit_with_crc(Job::Pull {
            peer: PeerRange::whole(&slice).unwrap(),
            list: Sgl::List(list),
        })
        .unwrap()
        .wait(WAIT)
        .unwrap();
    assert_eq!(failed.status, StatusCode::UnsupportedRequest);
    // The failed read's bytes never land, so fewer than all 8192 were moved.
    assert!(
        failed.result < 8192,
        "a failed job's RESULT counts the bytes moved: {}",
        failed.result
    );

    for job in [
        Job::Nop,
        Job::Checksum {
            peer: PeerRange::whole(&slice).unwrap(),
        },
    ] {
        match q.submit_with_crc(job) {
            Err(peerbar::Error::Dma(DmaError::CrcNeedsData { .. })) => {}
            other => panic!("a job without data: {other:?}"),
        }
    }
    assert_eq!(q.in_flight(), 0);
    assert!(sim.failure().is_none(), "{:?}", sim.failure());
}

/// FLAGS.CRC under other host settings: completions with gaps inside them (the block's tvalid
/// low mid-packet), split at random, reordered, small and large MPS/MRRS/RCB. Each byte must
/// count once: a write repeated in a gap cycle leaves BAR2 right but cancels out of the CRC.
#[test]
fn inline_crc_under_other_host_settings() {
    let configs = [
        SimConfig {
            rc_valid_percent: 80,
            ..SimConfig::default()
        },
        SimConfig {
            max_payload: 128,
            max_read_req: 128,
            rcb: 128,
            rc_split_seed: Some(3),
            rc_valid_percent: 60,
            rq_ready_percent: 40,
            ..SimConfig::default()
        },
        SimConfig {
            max_payload: 1024,
            max_read_req: 4096,
            rcb: 64,
            rc_reorder: true,
            rc_valid_percent: 90,
            rc_latency_cycles: 500,
            seed: 78,
            ..SimConfig::default()
        },
    ];
    for (n, config) in configs.into_iter().enumerate() {
        let what = format!("{config:?}");
        let (sim, dma) = engine(config);
        let q = dma.create_queue(QueueConfig::new(0)).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(n as u64 + 90);
        let all = Arc::new(
            dma.peer_memory()
                .alloc(dma.peer_memory().bar_len(), 1)
                .unwrap(),
        );
        let host = Arc::new(dma.memory().alloc(256 * 1024).unwrap());
        let data = pattern(n as u64 + 91, host.len());
        host.write(0, &data).unwrap();
        let back = Arc::new(dma.memory().alloc(256 * 1024).unwrap());
        for job in 0..20 {
            let count = rng.gen_range(1..6);
            let pieces = random_pieces(&mut rng, count, 6000, host.len());
            let mut list = DataList::new();
            let mut bytes = Vec::new();
            for &(off, len) in &pieces {
                list.push_buffer(&host, off, len).unwrap();
                bytes.extend_from_slice(&data[off..off + len as usize]);
            }
            let len = bytes.len() as u32;
            let at = rng.gen_range(0..all.len() - u64::from(len));
            let peer = || PeerRange::new(&all, at, len).unwrap();
            let want = crc32c::crc32c(&bytes);
            let pulled = q
                .submit_with_crc(Job::Pull {
                    peer: peer(),
                    list: Sgl::List(list),
                })
                .unwrap()
                .wait(WAIT)
                .map_err(|e| why(&sim, e))
                .unwrap();
            assert_eq!(
                (pulled.status, pulled.result),
                (StatusCode::Success, want),
                "PULL {job} of {len} bytes at {at:#x}, {what}"
            );
            let off = rng.gen_range(0..back.len() - len as usize);
            let mut out = DataList::new();
            out.push_buffer(&back, off, len).unwrap();
            let pushed = q
                .submit_with_crc(Job::Push {
                    peer: peer(),
                    list: Sgl::List(out),
                })
                .unwrap()
                .wait(WAIT)
                .map_err(|e| why(&sim, e))
                .unwrap();
            assert_eq!(
                (pushed.status, pushed.result),
                (StatusCode::Success, want),
                "PUSH {job} of {len} bytes at {at:#x}, {what}"
            );
            let mut got = vec![0u8; len as usize];
            back.read(off, &mut got).unwrap();
            assert!(got == bytes, "PUSH {job}: host bytes, {what}");
        }
        assert!(sim.failure().is_none(), "{:?}", sim.failure());
    }
}

/// The engine fetches the next SGL segment before the walker reaches the descriptor that points
/// to it. A read of that segment that fails is held until the walker gets there, so the job
/// still completes with the status of the list's first fault in list order: a Bit Bucket on a
/// PUSH (11h) before the pointer to a segment nobody mapped wins over the segment's UR, which
/// becomes the job's status only when nothing in front of the pointer fails. The 29 Data Blocks
/// in front keep the walker busy for far longer than the early read takes to fail.
#[test]
fn a_segment_fetched_ahead_fails_the_job_only_where_the_walker_gets_to_it() {
    use peerbar::dma::wire::{SglDescriptor, SqEntry};
    use peerbar::dma::Opcode;
    use peerbar::hostmem::Held;
    const BLOCKS: usize = 29;
    let (sim, dma) = default_engine();
    let q = dma.create_queue(QueueConfig::new(0)).unwrap();
    let list = Arc::new(dma.memory().alloc(4096).unwrap());
    let data = Arc::new(dma.memory().alloc(4096).unwrap());
    let peer = Arc::new(
        dma.peer_memory()
            .alloc((BLOCKS * 4096 + 1024) as u64, 1)
            .unwrap(),
    );
    let unmapped = peerbar::BusAddr::new(0x30_0000_0000);
    for (bit_bucket, expected) in [
        (true, StatusCode::SglDescriptorTypeInvalid),
        (false, StatusCode::UnsupportedRequest),
    ] {
        let mut descs = vec![SglDescriptor::data_block(data.bus_addr(), 4096); BLOCKS];
        descs.push(if bit_bucket {
            SglDescriptor::bit_bucket(512)
        } else {
            SglDescriptor::data_block(data.bus_addr(), 512)
        });
        descs.push(SglDescriptor::segment(unmapped, 256));
        let bytes: Vec<u8> = descs.iter().flat_map(|d| d.to_bytes()).collect();
        list.write(0, &bytes).unwrap();
        let dptr = SglDescriptor::segment(list.bus_addr(), bytes.len() as u32);
        let entry = SqEntry::new(Opcode::Push, 0, 0, peer.offset(), peer.len() as u32, dptr);
        let c = q
            .submit(Job::Raw {
                entry,
                held: vec![
                    Held::Buffer(Arc::clone(&list)),
                    Held::Buffer(Arc::clone(&data)),
                    Held::Peer(Arc::clone(&peer)),
                ],
            })
            .unwrap()
            .wait(WAIT)
            .map_err(|e| why(&sim, e))
            .unwrap();
        assert_eq!(c.status, expected, "bit bucket in front: {bit_bucket}");
        // The early read went out (and was refused by the IOMMU) in both runs.
        let faults = sim.take_faults();
        assert!(
            !faults.is_empty()
                && faults.iter().all(|f| f.address >= unmapped.get()
                    && f.address < unmapped.get() + 256
                    && f.direction == peerbar_sim::DmaDirection::Read),
            "the next segment was not fetched ahead: {faults:?}"
        );
        let nop = run(&sim, &q, Job::Nop);
        assert_eq!(nop.status, StatusCode::Success);
    }
}

/// The next job's first list segment is read while the job before it still moves its data (the
/// list read-ahead, docs/dma-engine.md "Job order"), and a fault on it fails that next job
/// only. A PUSH of 29 Data Blocks whose last one goes to host memory nobody mapped (its posted
/// writes are dropped and recorded; the job succeeds), then a PULL whose list nobody mapped
/// (UR), then a PULL whose bytes must land where its list says. The fabric records the second
/// job's list read before the first job's last write: it was read ahead.
#[test]
fn the_next_jobs_list_is_read_ahead_and_its_fault_fails_only_that_job() {
    use peerbar::dma::wire::{SglDescriptor, SqEntry};
    use peerbar::dma::Opcode;
    use peerbar::hostmem::Held;
    const BLOCKS: usize = 29;
    let (sim, dma) = default_engine();
    let q = dma.create_queue(QueueConfig::new(0)).unwrap();
    let unmapped_write = peerbar::BusAddr::new(0x30_0000_0000);
    let unmapped_list = peerbar::BusAddr::new(0x31_0000_0000);

    // First job: PUSH, BAR2 -> host, one Last Segment of 30 Data Blocks.
    let peer_a = Arc::new(
        dma.peer_memory()
            .alloc((BLOCKS * 4096 + 512) as u64, 1)
            .unwrap(),
    );
    let data_a = Arc::new(dma.memory().alloc(4096).unwrap());
    let list_a = Arc::new(dma.memory().alloc(4096).unwrap());
    let mut descs = vec![SglDescriptor::data_block(data_a.bus_addr(), 4096); BLOCKS];
    descs.push(SglDescriptor::data_block(unmapped_write, 512));
    let bytes: Vec<u8> = descs.iter().flat_map(|d| d.to_bytes()).collect();
    list_a.write(0, &bytes).unwrap();
    let dptr = SglDescriptor::last_segment(list_a.bus_addr(), bytes.len() as u32);
    let entry = SqEntry::new(
        Opcode::Push,
        0,
        0,
        peer_a.offset(),
        peer_a.len() as u32,
        dptr,
    );
    let first = q
        .submit(Job::Raw {
            entry,
            held: vec![
                Held::Buffer(Arc::clone(&list_a)),
                Held::Buffer(Arc::clone(&data_a)),
                Held::Peer(Arc::clone(&peer_a)),
            ],
        })
        .unwrap();

    // Second job: PULL whose list is in unmapped memory.
    let peer_b = Arc::new(dma.peer_memory().alloc(512, 1).unwrap());
    let dptr = SglDescriptor::last_segment(unmapped_list, 32);
    let entry = SqEntry::new(Opcode::Pull, 0, 1, peer_b.offset(), 512, dptr);
    let second = q
        .submit(Job::Raw {
            entry,
            held: vec![Held::Peer(Arc::clone(&peer_b))],
        })
        .unwrap();

    // Third job: PULL of 4 KiB in two Data Blocks, host -> BAR2.
    let src = Arc::new(dma.memory().alloc(4096).unwrap());
    let pattern: Vec<u8> = (0..4096u32).map(|i| (i * 7 + 3) as u8).collect();
    src.write(0, &pattern).unwrap();
    let list_c = Arc::new(dma.memory().alloc(4096).unwrap());
    let descs = [
        SglDescriptor::data_block(src.bus_addr().checked_add(2048).unwrap(), 2048),
        SglDescriptor::data_block(src.bus_addr(), 2048),
    ];
    let bytes: Vec<u8> = descs.iter().flat_map(|d| d.to_bytes()).collect();
    list_c.write(0, &bytes).unwrap();
    let peer_c = Arc::new(dma.peer_memory().alloc(4096, 1).unwrap());
    let dptr = SglDescriptor::last_segment(list_c.bus_addr(), bytes.len() as u32);
    let entry = SqEntry::new(Opcode::Pull, 0, 2, peer_c.offset(), 4096, dptr);
    let third = q
        .submit(Job::Raw {
            entry,
            held: vec![
                Held::Buffer(Arc::clone(&src)),
                Held::Buffer(Arc::clone(&list_c)),
                Held::Peer(Arc::clone(&peer_c)),
            ],
        })
        .unwrap();

    let wait = |t: peerbar::dma::Ticket| t.wait(WAIT).map_err(|e| why(&sim, e)).unwrap();
    assert_eq!(wait(first).status, StatusCode::Success);
    assert_eq!(wait(second).status, StatusCode::UnsupportedRequest);
    let c = wait(third);
    assert_eq!(c.status, StatusCode::Success);
    let mut landed = vec![0u8; 4096];
    peer_c.read(0, &mut landed).unwrap();
    assert_eq!(&landed[..2048], &pattern[2048..], "first Data Block");
    assert_eq!(&landed[2048..], &pattern[..2048], "second Data Block");

    let faults = sim.take_faults();
    let list_read = faults.iter().position(|f| {
        f.direction == peerbar_sim::DmaDirection::Read && f.address == unmapped_list.get()
    });
    let last_write = faults.iter().position(|f| {
        f.direction == peerbar_sim::DmaDirection::Write && f.address >= unmapped_write.get()
    });
    match (list_read, last_write) {
        (Some(r), Some(w)) => assert!(
            r < w,
            "the second job's list was read only after the first job's data: {faults:?}"
        ),
        _ => panic!("expected the list read and the last writes among the faults: {faults:?}"),
    }
}
