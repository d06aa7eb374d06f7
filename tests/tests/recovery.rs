// SPDX-License-Identifier: MIT OR Apache-2.0
//! Recovery: a function-level reset or an engine/queue failure in the
//! middle of jobs. Every job in flight ends promptly, with the documented error and never a
//! success it did not earn; the driver brings the engine back without reloading; new jobs move
//! every byte right; no IOMMU mapping, IOVA range or BAR2 slice leaks. Also MSI-X messages lost
//! on the way (jobs still complete through the driver's polling fallback).

use std::sync::Arc;
use std::time::{Duration, Instant};

use peerbar::dma::wire::StatusCode;
use peerbar::dma::PeerSlice;
use peerbar::dma::{
    CompletionMode, DmaEngine, Job, PeerRange, QueueConfig, QueuePair, Sgl, Ticket,
};
use peerbar::hostmem::DataList;
use peerbar::hostmem::DmaBuffer;
use peerbar::{Device, DmaError, Endpoint, Error, QueueLostReason};
use peerbar_sim::{ReadFault, SimConfig, SimDevice};
use peerbar_tests::{pattern, read_bar2, reg};

const WAIT: Duration = Duration::from_secs(30);
/// DMA_JOBS (docs/registers.md).
const DMA_JOBS: u64 = peerbar::regs::DMA_JOBS_REG.offset;
/// Bytes each job moves.
const JOB_LEN: u32 = 16 * 1024;

/// A simulation that tolerates a read which never completes (the dropped reads below keep the
/// engine busy until the reset), with the engine enabled.
fn engine(config: SimConfig) -> (SimDevice, DmaEngine) {
    let sim = SimDevice::new(SimConfig {
        dma_hang_cycles: 1 << 40,
        ..config
    })
    .expect("simulated endpoint");
    let dev: Arc<dyn Device> = Arc::new(sim.clone());
    let dma = Endpoint::open_shared(dev)
        .expect("endpoint")
        .dma()
        .expect("DMA engine");
    dma.enable().expect("enable");
    (sim, dma)
}

fn queue(dma: &DmaEngine, id: u16, mode: CompletionMode) -> QueuePair {
    let mut config = QueueConfig::new(id);
    config.mode = mode;
    dma.create_queue(config).expect("queue")
}

/// What one queue's jobs use: a host buffer and a BAR2 slice of `JOB_LEN` bytes per job.
struct Targets {
    host: Arc<DmaBuffer>,
    slice: Arc<PeerSlice>,
}

impl Targets {
    fn new(dma: &DmaEngine, jobs: usize, seed: u64) -> Targets {
        let len = jobs * JOB_LEN as usize;
        let host = Arc::new(dma.memory().alloc(len).unwrap());
        host.write(0, &pattern(seed, len)).unwrap();
        let slice = Arc::new(dma.peer_memory().alloc(len as u64, 4096).unwrap());
        Targets { host, slice }
    }

    /// Job `i`: PULL (even) or PUSH (odd) of its own `JOB_LEN` bytes, in 4 KiB entries.
    fn job(&self, i: usize) -> Job {
        let at = i * JOB_LEN as usize;
        let mut list = DataList::new();
        for piece in 0..JOB_LEN as usize / 4096 {
            list.push_buffer(&self.host, at + piece * 4096, 4096)
                .unwrap();
        }
        let peer = PeerRange::new(&self.slice, at as u64, JOB_LEN).unwrap();
        let list = Sgl::List(list);
        if i % 2 == 0 {
            Job::Pull { peer, list }
        } else {
            Job::Push { peer, list }
        }
    }
}

/// Leak baseline: IOVA free space, BAR2 free space, no IOMMU mapping.
struct Baseline {
    iova: Vec<std::ops::Range<u64>>,
    bar2: Vec<(peerbar::BarOffset, u64)>,
}

impl Baseline {
    fn take(sim: &SimDevice, dma: &DmaEngine) -> Baseline {
        assert!(
            sim.iommu_mappings().is_empty(),
            "{:x?}",
            sim.iommu_mappings()
        );
        Baseline {
            iova: dma.memory().iova_allocator().free_ranges(),
            bar2: dma.peer_memory().free_ranges(),
        }
    }

    fn check(&self, sim: &SimDevice, dma: &DmaEngine) {
        assert_eq!(dma.memory().iova_allocator().free_ranges(), self.iova);
        assert_eq!(dma.peer_memory().free_ranges(), self.bar2);
        assert!(
            sim.iommu_mappings().is_empty(),
            "mappings left: {:x?}",
            sim.iommu_mappings()
        );
    }
}

/// After the device came back: on every queue, PULL then PUSH with every byte checked (BAR2
/// after the PULL, the host buffer's PUSH target after the PUSH) and nothing else changed.
fn fresh_jobs_are_byte_exact(sim: &SimDevice, dma: &DmaEngine, mode: CompletionMode) {
    let queues: Vec<_> = (0..4).map(|id| queue(dma, id, mode)).collect();
    for (n, q) in queues.iter().enumerate() {
        let t = Targets::new(dma, 2, 0x1000 + n as u64);
        let before = t.host.to_vec();
        let pulled = q.submit(t.job(0)).unwrap().wait(WAIT).unwrap();
        assert_eq!(
            (pulled.status, pulled.result),
            (StatusCode::Success, JOB_LEN)
        );
        let bar2 = read_bar2(sim, t.slice.offset().get(), JOB_LEN as usize);
        assert!(
            bar2 == before[..JOB_LEN as usize],
            "queue {n}: PULL moved wrong bytes"
        );
        // Job 1 pushes BAR2[JOB_LEN..2 JOB_LEN] into the host buffer's second half.
        let source = read_bar2(
            sim,
            t.slice.offset().get() + u64::from(JOB_LEN),
            JOB_LEN as usize,
        );
        let pushed = q.submit(t.job(1)).unwrap().wait(WAIT).unwrap();
        assert_eq!(pushed.status, StatusCode::Success);
        let after = t.host.to_vec();
        assert!(
            after[..JOB_LEN as usize] == before[..JOB_LEN as usize],
            "queue {n}: PUSH wrote outside its target"
        );
        assert!(
            after[JOB_LEN as usize..] == source[..],
            "queue {n}: PUSH moved wrong bytes"
        );
    }
}

/// Waits until the engine has issued the read that is never answered (else the armed fault
/// would stay for a later job that reuses the same IOVA).
fn wait_for_the_dropped_read(sim: &SimDevice) {
    let started = Instant::now();
    while sim.armed_read_faults() > 0 {
        assert!(
            started.elapsed() < WAIT,
            "the engine never issued its first read"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Jobs in flight on all four queues, the engine held inside the first one (its first read is
/// dropped and the completion timeout is ~17 s), then an FLR.
fn flr_with_jobs_in_flight(mode: CompletionMode) {
    let (sim, dma) = engine(SimConfig::default());
    let baseline = Baseline::take(&sim, &dma);
    dma.set_completion_timeout_cycles(u32::MAX).unwrap();
    let interrupts_before = sim.stats().interrupts;
    {
        let queues: Vec<_> = (0..4).map(|id| queue(&dma, id, mode)).collect();
        let targets: Vec<_> = (0..4).map(|n| Targets::new(&dma, 3, n)).collect();
        let stuck = targets[0].host.bus_addr().get();
        sim.inject_read_fault(stuck..stuck + 1, ReadFault::Dropped);
        let mut tickets: Vec<(u16, Ticket)> = Vec::new();
        for (q, t) in queues.iter().zip(&targets) {
            for i in 0..3 {
                tickets.push((q.id(), q.submit(t.job(i)).unwrap()));
            }
        }
        wait_for_the_dropped_read(&sim);

        sim.reset().expect("function-level reset");
        assert_eq!(sim.stats().function_resets, 1);
        assert_eq!(
            reg(&sim, DMA_JOBS),
            0,
            "DMA_JOBS is back at its reset value"
        );
        assert!(!dma.is_enabled().unwrap(), "the FLR disabled the engine");

        let mut slowest = Duration::ZERO;
        let all = Instant::now();
        for (queue, ticket) in &tickets {
            let waiting = Instant::now();
            match ticket.wait(WAIT) {
                Err(Error::Dma(DmaError::QueueLost {
                    queue: q,
                    cid: Some(cid),
                    reason: QueueLostReason::FunctionReset,
                })) => {
                    assert_eq!((q, cid), (*queue, ticket.cid()));
                }
                other => panic!("queue {queue} job {}: {other:?}", ticket.cid()),
            }
            slowest = slowest.max(waiting.elapsed());
        }
        let total = all.elapsed();
        // The first queue notices at its first register check (200 ms into a wait); the other
        // tickets of that queue fail at once, and so do the other queues' (the reset is
        // recorded engine-wide): one check in all, not one per queue (4 x 200 ms).
        assert!(
            slowest < Duration::from_secs(1),
            "a ticket failed only after waiting {slowest:?}"
        );
        assert!(
            total < Duration::from_millis(500),
            "12 tickets on 4 queues took {total:?}: each queue waited for its own check"
        );
        eprintln!(
            "{mode:?}: 12 jobs on 4 queues lost; the longest wait took {slowest:?}, all 12 {total:?}"
        );
        // A lost queue refuses new jobs with the same reason.
        match queues[1].submit(Job::Nop) {
            Err(Error::Dma(DmaError::QueueLost {
                queue: 1,
                cid: None,
                reason: QueueLostReason::FunctionReset,
            })) => {}
            other => panic!("submit on a lost queue: {other:?}"),
        }
    }
    // Queues, tickets, buffers and slices dropped: everything is back.
    baseline.check(&sim, &dma);
    assert!(sim.failure().is_none(), "{:?}", sim.failure());

    // The device comes back: enable the engine, new queues, exact bytes.
    dma.enable().unwrap();
    fresh_jobs_are_byte_exact(&sim, &dma, mode);
    assert_eq!(reg(&sim, DMA_JOBS), 8, "only post-reset jobs are counted");
    if mode == CompletionMode::Interrupt {
        assert!(
            sim.stats().interrupts > interrupts_before,
            "no MSI-X after the reset: the OS's restore of the table did not take"
        );
    }
    baseline.check(&sim, &dma);
    assert!(sim.failure().is_none(), "{:?}", sim.failure());
    assert!(sim.faults().is_empty(), "{:?}", sim.faults());
}

#[test]
fn flr_with_jobs_in_flight_on_every_queue_polling() {
    flr_with_jobs_in_flight(CompletionMode::Polling);
}

#[test]
fn flr_with_jobs_in_flight_on_every_queue_interrupts() {
    flr_with_jobs_in_flight(CompletionMode::Interrupt);
}

/// The FLR a driver starts itself through config space (Device Control bit 15) while jobs are
/// running, with no job held back: each ticket either completed before the reset (its CQ
/// entry was written first; its bytes are not checked) or fails with the reset. Config space
/// is restored the way the OS does around an FLR, then new jobs are exact.
#[test]
fn flr_from_config_space_in_the_middle_of_traffic() {
    // Device Control in the PCI Express capability (docs/simulation.md).
    const DEVCTL: u16 = peerbar_sim::config_space::CAP_PCIE + 0x08;
    let (sim, dma) = engine(SimConfig {
        rc_latency_cycles: 400,
        ..SimConfig::default()
    });
    let baseline = Baseline::take(&sim, &dma);
    {
        let queues: Vec<_> = (0..4)
            .map(|id| queue(&dma, id, CompletionMode::Polling))
            .collect();
        let targets: Vec<_> = (0..4).map(|n| Targets::new(&dma, 4, 0x40 + n)).collect();
        let mut tickets = Vec::new();
        for (q, t) in queues.iter().zip(&targets) {
            for i in 0..4 {
                tickets.push(q.submit(t.job(i)).unwrap());
            }
        }
        // In the middle: some jobs done, most not.
        let started = Instant::now();
        while reg(&sim, DMA_JOBS) < 3 {
            assert!(started.elapsed() < WAIT, "no job completed");
        }
        let jobs_before = reg(&sim, DMA_JOBS);
        // What the OS saves (header, BARs, capabilities) before it starts an FLR.
        let mut saved = vec![0u8; 0x100];
        sim.config_read(0, &mut saved).unwrap();
        let devctl =
            u16::from_le_bytes([saved[usize::from(DEVCTL)], saved[usize::from(DEVCTL) + 1]]);
        sim.config_write(DEVCTL, &(devctl | 1 << 15).to_le_bytes())
            .unwrap();
        assert_eq!(sim.stats().function_resets, 1);
        assert_eq!(
            sim.config_read16(0x04).unwrap() & 0x6,
            0,
            "the FLR cleared memory space and bus master enable"
        );
        // Restore: BARs, Device Control, then Command (decoding back on last).
        for offset in [0x10u16, 0x14, 0x18, 0x1c] {
            let at = usize::from(offset);
            sim.config_write(offset, &saved[at..at + 4]).unwrap();
        }
        sim.config_write(DEVCTL, &devctl.to_le_bytes()).unwrap();
        sim.config_write(0x04, &saved[4..6]).unwrap();

        let (mut completed, mut lost) = (0u32, 0u32);
        for ticket in &tickets {
            match ticket.wait(WAIT) {
                Ok(_) => completed += 1,
                Err(Error::Dma(DmaError::QueueLost {
                    reason: QueueLostReason::FunctionReset,
                    ..
                })) => lost += 1,
                Err(e) => panic!("job {}: {e}", ticket.cid()),
            }
        }
        eprintln!(
            "config-space FLR: {completed} job(s) had completed ({jobs_before} counted before the reset), {lost} lost"
        );
        assert!(lost > 0, "the FLR came after every job: nothing was tested");
        assert!(
            u64::from(completed) >= u64::from(jobs_before),
            "a job counted by the engine before the reset was reported lost"
        );
    }
    baseline.check(&sim, &dma);
    dma.enable().unwrap();
    fresh_jobs_are_byte_exact(&sim, &dma, CompletionMode::Polling);
    baseline.check(&sim, &dma);
    assert!(sim.failure().is_none(), "{:?}", sim.failure());
}

/// An error that costs a queue (its SQ entry cannot be fetched: the engine disables it) fails
/// that queue's jobs with `QueueDisabled`; the other queues go on; recreating the queue brings
/// it back.
#[test]
fn queue_disabled_by_the_engine_is_recreated_and_goes_on() {
    let (sim, dma) = engine(SimConfig::default());
    let baseline = Baseline::take(&sim, &dma);
    {
        let q0 = queue(&dma, 0, CompletionMode::Polling);
        let q1 = queue(&dma, 1, CompletionMode::Interrupt);
        let t0 = Targets::new(&dma, 1, 7);
        let t1 = Targets::new(&dma, 1, 8);
        let sq = q1.ring_addrs().0.get();
        sim.inject_read_fault(sq..sq + 64, ReadFault::UnsupportedRequest);
        let started = Instant::now();
        match q1.submit(t1.job(0)).unwrap().wait(WAIT) {
            Err(Error::Dma(DmaError::QueueLost {
                queue: 1,
                cid: Some(0),
                reason: QueueLostReason::QueueDisabled,
            })) => {}
            other => panic!("job on the queue whose SQ fetch failed: {other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(2));
        let c = q0.submit(t0.job(0)).unwrap().wait(WAIT).unwrap();
        assert_eq!(c.status, StatusCode::Success, "queue 0 is unaffected");
        drop(q1);
        let q1 = queue(&dma, 1, CompletionMode::Interrupt);
        let c = q1.submit(t1.job(0)).unwrap().wait(WAIT).unwrap();
        assert_eq!(c.status, StatusCode::Success);
        let bar2 = read_bar2(&sim, t1.slice.offset().get(), JOB_LEN as usize);
        assert!(bar2 == t1.host.to_vec()[..JOB_LEN as usize], "wrong bytes");
        assert_eq!(sim.take_faults().len(), 0);
    }
    baseline.check(&sim, &dma);
}

/// DMA_CONTROL.RESET (`DmaEngine::reset`) with jobs in flight on every queue: all fail with
/// `QueueDisabled`; new queues work once the aborted read's tag is free again.
#[test]
fn engine_reset_with_jobs_in_flight_then_new_queues_work() {
    let (sim, dma) = engine(SimConfig::default());
    let baseline = Baseline::take(&sim, &dma);
    // An aborted read's tag stays reserved until this timeout (docs/dma-engine.md): short.
    dma.set_completion_timeout_cycles(200_000).unwrap();
    {
        let queues: Vec<_> = (0..4)
            .map(|id| queue(&dma, id, CompletionMode::Polling))
            .collect();
        let targets: Vec<_> = (0..4).map(|n| Targets::new(&dma, 2, 0x80 + n)).collect();
        let stuck = targets[0].host.bus_addr().get();
        sim.inject_read_fault(stuck..stuck + 1, ReadFault::Dropped);
        let mut tickets = Vec::new();
        for (q, t) in queues.iter().zip(&targets) {
            for i in 0..2 {
                tickets.push(q.submit(t.job(i)).unwrap());
            }
        }
        wait_for_the_dropped_read(&sim);
        dma.reset().unwrap();
        for ticket in &tickets {
            match ticket.wait(WAIT) {
                Err(Error::Dma(DmaError::QueueLost {
                    reason: QueueLostReason::QueueDisabled,
                    ..
                })) => {}
                other => panic!("job {}: {other:?}", ticket.cid()),
            }
        }
    }
    baseline.check(&sim, &dma);
    assert!(dma.is_enabled().unwrap(), "DMA_CONTROL.RESET keeps ENABLE");
    fresh_jobs_are_byte_exact(&sim, &dma, CompletionMode::Polling);
    baseline.check(&sim, &dma);
    assert!(sim.failure().is_none(), "{:?}", sim.failure());
}

/// A queue dropped with jobs the engine never fetched (DMA_CONTROL.ENABLE 0): dropping it
/// disables it, sees it idle, and releases the jobs' buffers, lists and slices and the rings;
/// the tickets fail with `QueueDropped`, nothing was moved, and the engine serves a new queue
/// on the same id.
#[test]
fn dropping_a_queue_with_unfetched_jobs_releases_their_memory() {
    let (sim, dma) = engine(SimConfig::default());
    let baseline = Baseline::take(&sim, &dma);
    dma.disable().unwrap();
    {
        let mut config = QueueConfig::new(2);
        config.shutdown_timeout = Duration::from_millis(50);
        let q = dma.create_queue(config).unwrap();
        let t = Targets::new(&dma, 3, 0x99);
        let host_before = t.host.to_vec();
        let bar2_before = read_bar2(&sim, t.slice.offset().get(), 3 * JOB_LEN as usize);
        let tickets: Vec<_> = (0..3).map(|i| q.submit(t.job(i)).unwrap()).collect();
        let mapped = sim.iommu_mappings().len();
        drop(q);
        assert!(
            sim.iommu_mappings().len() < mapped,
            "the jobs' lists were not released with the queue"
        );
        for ticket in &tickets {
            match ticket.wait(WAIT) {
                Err(Error::Dma(DmaError::QueueDropped { queue: 2, cid })) => {
                    assert_eq!(cid, ticket.cid())
                }
                other => panic!("job {} of a dropped queue: {other:?}", ticket.cid()),
            }
        }
        assert_eq!(reg(&sim, DMA_JOBS), 0, "the engine ran a job");
        assert!(t.host.to_vec() == host_before, "a PUSH moved bytes");
        assert!(
            read_bar2(&sim, t.slice.offset().get(), 3 * JOB_LEN as usize) == bar2_before,
            "a PULL moved bytes"
        );
    }
    baseline.check(&sim, &dma);
    dma.enable().unwrap();
    fresh_jobs_are_byte_exact(&sim, &dma, CompletionMode::Polling);
    baseline.check(&sim, &dma);
    assert!(sim.failure().is_none(), "{:?}", sim.failure());
    assert!(sim.faults().is_empty(), "{:?}", sim.faults());
}

/// Runs job `i` of `t` on `q` and checks its bytes: a PULL's BAR2 range equals the host bytes,
/// a PUSH's host range equals the BAR2 bytes it pushed. Returns how long the wait took.
fn run_checked(sim: &SimDevice, q: &QueuePair, t: &Targets, i: usize) -> Duration {
    let at = i * JOB_LEN as usize;
    let bar2_at = t.slice.offset().get() + at as u64;
    let source = if i % 2 == 0 {
        t.host.to_vec()[at..at + JOB_LEN as usize].to_vec()
    } else {
        read_bar2(sim, bar2_at, JOB_LEN as usize)
    };
    let ticket = q.submit(t.job(i)).unwrap();
    let started = Instant::now();
    let c = ticket.wait(WAIT).unwrap();
    let waited = started.elapsed();
    assert_eq!(
        (c.status, c.result),
        (StatusCode::Success, JOB_LEN),
        "job {i}"
    );
    let landed = if i % 2 == 0 {
        read_bar2(sim, bar2_at, JOB_LEN as usize)
    } else {
        t.host.to_vec()[at..at + JOB_LEN as usize].to_vec()
    };
    assert!(landed == source, "job {i} moved wrong bytes");
    waited
}

/// MSI-X messages lost on the way (the engine sent them, the host never sees them): jobs in
/// interrupt mode still complete, with the right bytes, through `Ticket::wait`'s 200 ms poll.
#[test]
fn lost_msix_jobs_complete_by_the_polling_fallback() {
    let (sim, dma) = engine(SimConfig::default());
    let q = queue(&dma, 2, CompletionMode::Interrupt);
    let t = Targets::new(&dma, 4, 0x55);
    let fast = run_checked(&sim, &q, &t, 0);
    assert_eq!(sim.stats().interrupts_lost, 0);
    let delivered = sim.stats().interrupts;
    assert!(delivered >= 1);
    sim.lose_next_msix(2);
    let slow = [run_checked(&sim, &q, &t, 1), run_checked(&sim, &q, &t, 2)];
    assert_eq!(sim.stats().interrupts_lost, 2);
    assert_eq!(
        sim.stats().interrupts,
        delivered,
        "a lost message was delivered"
    );
    for waited in slow {
        // Found by the poll 200 ms into the wait, not by the timeout.
        assert!(
            (Duration::from_millis(150)..Duration::from_secs(2)).contains(&waited),
            "{waited:?}"
        );
    }
    let again = run_checked(&sim, &q, &t, 3);
    assert!(sim.stats().interrupts > delivered, "interrupts resumed");
    eprintln!("lost MSI-X: waits {fast:?} (delivered), {slow:?} (lost), {again:?} (delivered)");
}

/// A seeded share of MSI-X messages is lost: every job still completes exactly.
#[test]
fn half_of_msix_lost_at_random() {
    let (sim, dma) = engine(SimConfig {
        msix_loss_percent: 50,
        seed: 0x1057,
        ..SimConfig::default()
    });
    let q = queue(&dma, 0, CompletionMode::Interrupt);
    let t = Targets::new(&dma, 8, 0x66);
    let started = Instant::now();
    for i in 0..8 {
        run_checked(&sim, &q, &t, i);
    }
    let stats = sim.stats();
    assert_eq!(stats.interrupts + stats.interrupts_lost, 8);
    assert!(
        stats.interrupts_lost > 0 && stats.interrupts > 0,
        "{stats:?}"
    );
    eprintln!(
        "8 jobs, {} MSI-X lost, {} delivered, {:?}",
        stats.interrupts_lost,
        stats.interrupts,
        started.elapsed()
    );
}
