// SPDX-License-Identifier: MIT OR Apache-2.0
//! Unit tests of the engine and its queue pairs, against [`FakeEngine`]: a model of the engine
//! on the fake device's registers, DMA and MSI-X.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tock_registers::RegisterLongName;

use super::*;
use crate::address::{BarIndex, BarOffset, BusAddr};
use crate::device::fake::FakeDevice;
use crate::device::Device;
use crate::dma::queue_pair::queue_reg;
use crate::dma::sgl::{self, validate, SglWalkError};
use crate::dma::ticket::HEALTH_CHECK_INTERVAL;
use crate::dma::wire::SQ_FLAG_INTERRUPT;
use crate::dma::{DmaError, QueueLostReason};
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::hostmem::{DataList, PreparedSgl};
use crate::regs::{self, RegisterArrayDef};

const MIB: u64 = 1 << 20;

/// BAR0 offset of queue `q`'s instance of `def`.
fn qoff<R: RegisterLongName>(def: &RegisterArrayDef<R>, q: u16) -> BarOffset {
    queue_reg(def, q).unwrap().bar_offset()
}
const WAIT: Duration = Duration::from_secs(2);

fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82f6_3b78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[derive(Default, Clone, Copy)]
struct FakeQueue {
    enabled: bool,
    head: u32,
    cq_tail: u32,
    phase: bool,
}

/// A model of the engine on top of the fake device's registers, DMA and MSI-X helpers:
/// fetches SQ entries, runs them (SGL rules from `sgl::validate`), writes CQ entries.
struct FakeEngine {
    dev: Arc<FakeDevice>,
    queues: [FakeQueue; 4],
    /// When set, fetched jobs are completed only by `release`.
    hold: bool,
    held: Vec<(u16, CqEntry, bool)>,
}

impl FakeEngine {
    fn new(dev: &Arc<FakeDevice>) -> FakeEngine {
        FakeEngine {
            dev: Arc::clone(dev),
            queues: [FakeQueue::default(); 4],
            hold: false,
            held: Vec::new(),
        }
    }

    fn reg<R: RegisterLongName>(&self, q: u16, def: &RegisterArrayDef<R>) -> u32 {
        self.dev.bar_read32(BarIndex::BAR0, qoff(def, q)).unwrap()
    }

    fn reg64(&self, q: u16, def: &regs::Register64ArrayDef) -> u64 {
        regs::read64(self.dev.as_ref(), &def.at(u32::from(q)).unwrap()).unwrap()
    }

    fn read_bus(&self, addr: BusAddr, buf: &mut [u8]) -> std::result::Result<(), StatusCode> {
        let bar2 = self.dev.bar_bus_addr(BarIndex::BAR2).unwrap().get();
        let len = self.dev.bar_len(BarIndex::BAR2).unwrap();
        if addr.get() >= bar2 && addr.get() - bar2 + buf.len() as u64 <= len {
            let off = BarOffset::new(addr.get() - bar2);
            return self
                .dev
                .bar_read(BarIndex::BAR2, off, buf)
                .map_err(|_| StatusCode::UnsupportedRequest);
        }
        self.dev
            .dma_read(addr, buf)
            .map_err(|_| StatusCode::UnsupportedRequest)
    }

    fn run(&self, e: &SqEntry) -> (StatusCode, u32) {
        let Some(opcode) = e.opcode() else {
            return (StatusCode::InvalidOpcode, 0);
        };
        let bar2_len = self.dev.bar_len(BarIndex::BAR2).unwrap();
        if opcode != Opcode::Nop && e.bar2_offset().get() + u64::from(e.length()) > bar2_len {
            return (StatusCode::Bar2Range, 0);
        }
        let list = match validate(e.dptr(), e.length(), opcode, |a, b| self.read_bus(a, b)) {
            Ok(list) => list,
            Err(SglWalkError::Invalid { violation, .. }) => return (violation.status(), 0),
            Err(SglWalkError::Read { error, .. }) => return (error, 0),
        };
        let mut off = e.bar2_offset().get();
        match opcode {
            Opcode::Nop => (StatusCode::Success, 0),
            Opcode::Checksum => {
                let mut buf = vec![0; e.length() as usize];
                self.dev
                    .bar_read(BarIndex::BAR2, e.bar2_offset(), &mut buf)
                    .unwrap();
                (StatusCode::Success, crc32c(&buf))
            }
            Opcode::Pull | Opcode::Push => {
                for entry in list {
                    match entry {
                        SglEntry::BitBucket { len } => off += u64::from(len),
                        SglEntry::Data { addr, len } => {
                            let mut buf = vec![0; len as usize];
                            if opcode == Opcode::Pull {
                                if let Err(s) = self.read_bus(addr, &mut buf) {
                                    return (s, 0);
                                }
                                self.dev
                                    .bar_write(BarIndex::BAR2, BarOffset::new(off), &buf)
                                    .unwrap();
                            } else {
                                self.dev
                                    .bar_read(BarIndex::BAR2, BarOffset::new(off), &mut buf)
                                    .unwrap();
                                // Posted writes: a fault is not reported back.
                                let _ = self.dev.dma_write(addr, &buf);
                            }
                            off += u64::from(len);
                        }
                    }
                }
                (StatusCode::Success, e.length())
            }
        }
    }

    fn complete(&mut self, q: u16, entry: CqEntry, irq: bool) -> bool {
        let st = self.queues[usize::from(q)];
        let cq_n = (self.reg(q, &regs::QUEUE_SIZE_REG) >> 16) + 1;
        if (st.cq_tail + 1) % cq_n == self.reg(q, &regs::QUEUE_CQ_HEAD_REG) {
            return false; // CQ full: the engine waits.
        }
        let cq_base = self.reg64(q, &regs::QUEUE_CQ_BASE_REG64);
        let e = CqEntry::new(
            entry.result(),
            entry.sq_head(),
            q,
            entry.cid(),
            entry.status(),
            st.phase,
        );
        self.dev
            .dma_write(
                BusAddr::new(cq_base + u64::from(st.cq_tail) * 16),
                zerocopy::IntoBytes::as_bytes(&e),
            )
            .unwrap();
        let st = &mut self.queues[usize::from(q)];
        st.cq_tail = (st.cq_tail + 1) % cq_n;
        if st.cq_tail == 0 {
            st.phase = !st.phase;
        }
        let control = self.reg(q, &regs::QUEUE_CONTROL_REG);
        if irq && control & (1 << 1) != 0 {
            self.dev.fire_msix(((control >> 8) & 0x1f) as u16);
        }
        true
    }

    /// Runs every fetchable job; returns how many were fetched.
    fn step(&mut self) -> usize {
        let mut fetched = 0;
        let engine_on = self
            .dev
            .bar_read32(BarIndex::BAR0, regs::DMA_CONTROL_REG.bar_offset())
            .unwrap()
            & 1
            != 0;
        for q in 0..4u16 {
            let control = self.reg(q, &regs::QUEUE_CONTROL_REG);
            let st = &mut self.queues[usize::from(q)];
            if control & 1 == 0 {
                st.enabled = false;
                continue;
            }
            if !st.enabled {
                *st = FakeQueue {
                    enabled: true,
                    head: 0,
                    cq_tail: 0,
                    phase: true,
                };
            }
            if !engine_on {
                continue;
            }
            let sq_n = (self.reg(q, &regs::QUEUE_SIZE_REG) & 0xffff) + 1;
            let sq_base = self.reg64(q, &regs::QUEUE_SQ_BASE_REG64);
            while self.queues[usize::from(q)].head != self.reg(q, &regs::QUEUE_SQ_TAIL_REG) {
                let head = self.queues[usize::from(q)].head;
                let mut bytes = [0u8; 64];
                self.dev
                    .dma_read(BusAddr::new(sq_base + u64::from(head) * 64), &mut bytes)
                    .unwrap();
                let e: SqEntry = zerocopy::FromBytes::read_from_bytes(&bytes[..]).unwrap();
                let new_head = (head + 1) % sq_n;
                self.queues[usize::from(q)].head = new_head;
                self.dev.poke_bar32(
                    BarIndex::BAR0,
                    qoff(&regs::QUEUE_STATUS_REG, q).get(),
                    new_head,
                );
                let (status, result) = self.run(&e);
                let cq = CqEntry::new(result, new_head as u16, q, e.cid(), status, false);
                let irq = e.flags() & SQ_FLAG_INTERRUPT != 0;
                fetched += 1;
                if self.hold {
                    self.held.push((q, cq, irq));
                } else {
                    assert!(self.complete(q, cq, irq), "CQ full");
                }
            }
        }
        fetched
    }

    /// Completes held jobs, last fetched first.
    fn release(&mut self) {
        while let Some((q, cq, irq)) = self.held.pop() {
            assert!(self.complete(q, cq, irq));
        }
    }
}

fn setup() -> (Arc<FakeDevice>, DmaEngine) {
    let dev = Arc::new(FakeDevice::peerbar_endpoint(MIB).with_dma_engine(4));
    let engine = DmaEngine::new(dev.clone()).unwrap();
    engine.enable().unwrap();
    (dev, engine)
}

fn queue(engine: &DmaEngine, id: u16, entries: u32) -> QueuePair {
    let mut config = QueueConfig::new(id);
    config.sq_entries = entries;
    config.cq_entries = entries;
    engine.create_queue(config).unwrap()
}

#[test]
fn absent_engine_is_refused_clearly() {
    let dev = FakeDevice::peerbar_endpoint(MIB);
    dev.poke_bar32(BarIndex::BAR0, regs::CAPABILITIES_REG.offset, 0x20);
    let ep = Endpoint::open(Box::new(dev)).unwrap();
    let err = ep.dma().unwrap_err();
    assert!(
        matches!(err, Error::Dma(DmaError::EngineAbsent { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("CAPABILITIES.DMA_ENGINE"), "{err}");
}

#[test]
fn engine_enable_and_timeout_registers() {
    let dev = Arc::new(FakeDevice::peerbar_endpoint(MIB).with_dma_engine(4));
    let ep = Endpoint::open_shared(dev.clone()).unwrap();
    let engine = ep.dma().unwrap();
    assert_eq!(engine.queue_count(), 4);
    assert!(!engine.is_enabled().unwrap());
    engine.enable().unwrap();
    assert!(engine.is_enabled().unwrap());
    assert_eq!(engine.completion_timeout_cycles().unwrap(), 12_500);
    engine
        .set_completion_timeout(Duration::from_micros(100))
        .unwrap();
    assert_eq!(engine.completion_timeout_cycles().unwrap(), 25_000);
    engine.disable().unwrap();
    assert!(!engine.is_enabled().unwrap());
}

#[test]
fn queue_registers_are_programmed_and_queue_ids_owned() {
    let (dev, engine) = setup();
    let q = queue(&engine, 2, 8);
    fn reg<R: RegisterLongName>(dev: &FakeDevice, def: &RegisterArrayDef<R>) -> u32 {
        dev.bar_read32(BarIndex::BAR0, qoff(def, 2)).unwrap()
    }
    let (sq, cq) = q.ring_addrs();
    let base =
        |def: &regs::Register64ArrayDef| regs::read64(dev.as_ref(), &def.at(2).unwrap()).unwrap();
    assert_eq!(base(&regs::QUEUE_SQ_BASE_REG64), sq.get());
    assert_eq!(base(&regs::QUEUE_CQ_BASE_REG64), cq.get());
    assert_eq!(reg(&dev, &regs::QUEUE_SIZE_REG), 7 | (7 << 16));
    assert_eq!(reg(&dev, &regs::QUEUE_CONTROL_REG), 1);
    assert!(matches!(
        engine.create_queue(QueueConfig::new(2)),
        Err(Error::Dma(DmaError::QueueInUse { queue: 2 }))
    ));
    assert!(matches!(
        engine.create_queue(QueueConfig::new(4)),
        Err(Error::Dma(DmaError::NoSuchQueue {
            queue: 4,
            queues: 4
        }))
    ));
    let mut bad = QueueConfig::new(1);
    bad.sq_entries = 1;
    assert!(matches!(
        engine.create_queue(bad),
        Err(Error::Dma(DmaError::InvalidQueueSize { entries: 1 }))
    ));
    drop(q);
    assert_eq!(reg(&dev, &regs::QUEUE_CONTROL_REG), 0);
    let again = queue(&engine, 2, 8);
    drop(again);
    // Rings unmapped: no DMA window left.
    assert!(dev.dma_windows().is_empty());
}

#[test]
fn pull_push_checksum_round_trip() {
    let (dev, engine) = setup();
    let mut fake = FakeEngine::new(&dev);
    let q = queue(&engine, 0, 16);
    let mem = engine.memory();
    let src = Arc::new(mem.alloc(3 * 4096).unwrap());
    let pattern: Vec<u8> = (0..3 * 4096).map(|i| (i * 7 + 3) as u8).collect();
    src.write(0, &pattern).unwrap();
    let peer = Arc::new(engine.peer_memory().alloc(8192, 4096).unwrap());
    // Three pieces, out of order, with a bit bucket: BAR2 = src[8192..9192] . skip 100 . src[0..1000] . src[5000..6000]
    let mut list = DataList::new();
    list.push_buffer(&src, 8192, 1000).unwrap();
    list.push_bit_bucket(100);
    list.push_buffer(&src, 0, 1000)
        .unwrap()
        .push_buffer(&src, 5000, 1000)
        .unwrap();
    peer.write(1000, &[0xee; 100]).unwrap();
    let t = q
        .submit(Job::Pull {
            peer: PeerRange::new(&peer, 0, 3100).unwrap(),
            list: Sgl::List(list),
        })
        .unwrap();
    assert_eq!(fake.step(), 1);
    let c = t.wait(WAIT).unwrap().check().unwrap();
    assert_eq!(c.result, 3100);
    let mut bar = vec![0u8; 3100];
    peer.read(0, &mut bar).unwrap();
    assert_eq!(&bar[..1000], &pattern[8192..9192]);
    assert_eq!(
        &bar[1000..1100],
        &[0xee; 100][..],
        "bit bucket leaves BAR2 untouched"
    );
    assert_eq!(&bar[1100..2100], &pattern[..1000]);
    assert_eq!(&bar[2100..], &pattern[5000..6000]);

    // PUSH it back out through a prepared list of 40 pieces (chained segments).
    let dst = Arc::new(mem.alloc(4096).unwrap());
    let mut out = DataList::new();
    for i in 0..40 {
        out.push_buffer(&dst, i * 50, 50).unwrap();
    }
    let prepared = Arc::new(PreparedSgl::build(mem, &out, &SglBuilder::new(8).unwrap()).unwrap());
    assert_eq!(prepared.dptr().sgl_type(), crate::dma::SglType::Segment);
    let t = q
        .submit(Job::Push {
            peer: PeerRange::new(&peer, 0, 2000).unwrap(),
            list: Sgl::Prepared(prepared),
        })
        .unwrap();
    fake.step();
    t.wait(WAIT).unwrap().check().unwrap();
    let mut back = vec![0u8; 2000];
    dst.read(0, &mut back).unwrap();
    assert_eq!(&back[..], &bar[..2000]);
    assert_eq!(
        dst.to_vec()[2000..],
        vec![0u8; 4096 - 2000][..],
        "nothing else written"
    );

    let t = q
        .submit(Job::Checksum {
            peer: PeerRange::whole(&peer).unwrap(),
        })
        .unwrap();
    fake.step();
    let mut all = vec![0u8; 8192];
    peer.read(0, &mut all).unwrap();
    assert_eq!(t.wait(WAIT).unwrap().result, crc32c(&all));
    assert_eq!(crc32c(b"123456789"), 0xe306_9283);
}

#[test]
fn phase_wraps_and_cq_head_doorbell_follows() {
    let (dev, engine) = setup();
    let mut fake = FakeEngine::new(&dev);
    let q = queue(&engine, 1, 4);
    for i in 0..11u32 {
        let t = q.submit(Job::Nop).unwrap();
        fake.step();
        let c = t.wait(WAIT).unwrap();
        assert_eq!(c.status, StatusCode::Success);
        assert_eq!(c.sq_id, 1);
        assert_eq!(u32::from(c.sq_head), (i + 1) % 4);
        assert_eq!(
            dev.bar_read32(BarIndex::BAR0, qoff(&regs::QUEUE_CQ_HEAD_REG, 1))
                .unwrap(),
            (i + 1) % 4
        );
    }
    assert_eq!(q.in_flight(), 0);
}

/// ENABLE cleared behind the driver's back (what the engine does when an SQ fetch fails)
/// fails that queue's tickets with `QueueDisabled`; a reset (every register back at its
/// reset value) fails the others with `FunctionReset`; neither waits for the timeout, and a
/// lost queue refuses new jobs.
#[test]
fn disabled_or_reset_queues_fail_their_tickets_with_queue_lost() {
    let (dev, engine) = setup();
    let q0 = queue(&engine, 0, 4);
    let q1 = queue(&engine, 1, 4);
    let t0 = q0.submit(Job::Nop).unwrap();
    let t1 = q1.submit(Job::Nop).unwrap();
    dev.bar_write32(BarIndex::BAR0, qoff(&regs::QUEUE_CONTROL_REG, 1), 0)
        .unwrap();
    let long = Duration::from_secs(60);
    let started = Instant::now();
    let err = t1.wait(long).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Dma(DmaError::QueueLost {
                queue: 1,
                cid: Some(0),
                reason: QueueLostReason::QueueDisabled
            })
        ),
        "{err}"
    );
    assert!(err.to_string().contains("drop the QueuePair"), "{err}");
    dev.reset().unwrap();
    let err = t0.wait(long).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Dma(DmaError::QueueLost {
                queue: 0,
                cid: Some(0),
                reason: QueueLostReason::FunctionReset
            })
        ),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(matches!(
        q0.submit(Job::Nop),
        Err(Error::Dma(DmaError::QueueLost { cid: None, .. }))
    ));
    assert_eq!((q0.in_flight(), q1.in_flight()), (0, 0));
}

#[test]
fn full_queue_is_an_error_until_the_engine_fetches() {
    let (dev, engine) = setup();
    let mut fake = FakeEngine::new(&dev);
    let q = queue(&engine, 0, 4);
    let tickets: Vec<_> = (0..3).map(|_| q.submit(Job::Nop).unwrap()).collect();
    let err = q.submit(Job::Nop).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Dma(DmaError::QueueFull {
                queue: 0,
                entries: 4,
                in_flight: 3
            })
        ),
        "{err}"
    );
    fake.hold = true;
    fake.step();
    // Fetched but not completed: STATUS.SQ_HEAD frees the slots.
    let t = q.submit(Job::Nop).unwrap();
    fake.hold = false;
    fake.release();
    let mut cids: Vec<u16> = tickets.iter().map(|t| t.wait(WAIT).unwrap().cid).collect();
    fake.step();
    cids.push(t.wait(WAIT).unwrap().cid);
    assert_eq!(cids, vec![0, 1, 2, 3]);
}

#[test]
fn out_of_order_completions_reach_their_tickets() {
    let (dev, engine) = setup();
    let mut fake = FakeEngine::new(&dev);
    let q = queue(&engine, 3, 16);
    let peer = Arc::new(engine.peer_memory().alloc(64, 1).unwrap());
    peer.write(0, b"checksum me").unwrap();
    let nop = q.submit(Job::Nop).unwrap();
    let sum = q
        .submit(Job::Checksum {
            peer: PeerRange::new(&peer, 0, 11).unwrap(),
        })
        .unwrap();
    let bad = q
        .submit(Job::Raw {
            entry: SqEntry::with_raw_opcode(
                0x42,
                0,
                0,
                BarOffset::ZERO,
                0,
                SglDescriptor::default(),
            ),
            held: vec![],
        })
        .unwrap();
    fake.hold = true;
    fake.step();
    fake.release();
    assert_eq!(bad.wait(WAIT).unwrap().status, StatusCode::InvalidOpcode);
    assert_eq!(sum.wait(WAIT).unwrap().result, crc32c(b"checksum me"));
    assert_eq!(nop.wait(WAIT).unwrap().status, StatusCode::Success);
    let err = Completion {
        cid: 2,
        status: StatusCode::InvalidOpcode,
        result: 0,
        sq_head: 3,
        sq_id: 3,
    }
    .check()
    .unwrap_err();
    assert!(err.to_string().contains("invalid opcode"), "{err}");
}

#[test]
fn jobs_keep_their_memory_mapped_until_completion() {
    let (dev, engine) = setup();
    let mut fake = FakeEngine::new(&dev);
    let q = queue(&engine, 0, 8);
    let buf = Arc::new(engine.memory().alloc(4096).unwrap());
    buf.write(0, &[0x5a; 512]).unwrap();
    let buf_addr = buf.bus_addr();
    let peer = Arc::new(engine.peer_memory().alloc(512, 1).unwrap());
    let mut list = DataList::new();
    list.push_buffer(&buf, 0, 256)
        .unwrap()
        .push_buffer(&buf, 256, 256)
        .unwrap();
    let t = q
        .submit(Job::Pull {
            peer: PeerRange::whole(&peer).unwrap(),
            list: Sgl::List(list),
        })
        .unwrap();
    drop(buf);
    drop(peer);
    // Still mapped (and the BAR2 slice still allocated) while the job is in flight.
    assert!(dev.dma_windows().iter().any(|&(a, _)| a == buf_addr));
    assert!(engine.peer_memory().free_ranges()[0].0.get() >= 512);
    fake.step();
    assert!(
        dev.dma_windows().iter().any(|&(a, _)| a == buf_addr),
        "not released before the completion is consumed"
    );
    t.wait(WAIT).unwrap().check().unwrap();
    assert!(!dev.dma_windows().iter().any(|&(a, _)| a == buf_addr));
    assert_eq!(
        engine.peer_memory().free_ranges(),
        vec![(BarOffset::ZERO, MIB)]
    );
    assert_eq!(
        &dev.peek_bar(BarIndex::BAR2).unwrap()[..512],
        &[0x5a; 512][..]
    );
}

#[test]
fn dropping_a_queue_with_stuck_jobs_leaks_instead_of_unmapping() {
    let (dev, engine) = setup();
    let mut config = QueueConfig::new(1);
    config.shutdown_timeout = Duration::from_millis(20);
    let q = engine.create_queue(config).unwrap();
    let buf = Arc::new(engine.memory().alloc(4096).unwrap());
    let addr = buf.bus_addr();
    let mut list = DataList::new();
    list.push_buffer(&buf, 0, 64).unwrap();
    let peer = Arc::new(engine.peer_memory().alloc(64, 1).unwrap());
    let t = q
        .submit(Job::Pull {
            peer: PeerRange::whole(&peer).unwrap(),
            list: Sgl::List(list),
        })
        .unwrap();
    drop((buf, peer));
    // The engine never runs the job, and QUEUE_STATUS.BUSY never drops (a hung engine):
    // it may still fetch the job.
    dev.poke_bar32(
        BarIndex::BAR0,
        qoff(&regs::QUEUE_STATUS_REG, 1).get(),
        1 << 16,
    );
    drop(q);
    assert!(
        dev.dma_windows().iter().any(|&(a, _)| a == addr),
        "job memory must stay mapped"
    );
    assert!(matches!(
        t.wait(Duration::from_millis(10)),
        Err(Error::Dma(DmaError::QueueClosed { queue: 1, .. }))
    ));
    assert!(matches!(
        engine.create_queue(QueueConfig::new(1)),
        Err(Error::Dma(DmaError::QueueInUse { queue: 1 }))
    ));
}

/// A PULL the engine never fetched (DMA_CONTROL.ENABLE 0), and a queue that reads
/// disabled and idle: dropping the queue releases the job's memory and the rings, the
/// ticket fails with `QueueDropped`, and the queue id can be used again.
#[test]
fn dropping_a_queue_releases_jobs_the_engine_never_fetched() {
    let (dev, engine) = setup();
    engine.disable().unwrap();
    let windows_before = dev.dma_windows().len();
    let bar2_before = engine.peer_memory().free_ranges();
    let mut config = QueueConfig::new(1);
    config.shutdown_timeout = Duration::from_millis(20);
    let q = engine.create_queue(config).unwrap();
    let buf = Arc::new(engine.memory().alloc(4096).unwrap());
    let mut list = DataList::new();
    list.push_buffer(&buf, 0, 64).unwrap();
    list.push_buffer(&buf, 1024, 64).unwrap();
    let peer = Arc::new(engine.peer_memory().alloc(128, 1).unwrap());
    let tickets: Vec<_> = (0..2)
        .map(|_| {
            q.submit(Job::Pull {
                peer: PeerRange::whole(&peer).unwrap(),
                list: Sgl::List(list.clone()),
            })
            .unwrap()
        })
        .collect();
    drop((buf, peer, list));
    drop(q);
    for t in &tickets {
        let err = t.wait(WAIT).unwrap_err();
        assert!(
            matches!(err, Error::Dma(DmaError::QueueDropped { queue: 1, cid }) if cid == t.cid()),
            "{err}"
        );
        assert!(
            err.to_string().contains("before the engine fetched"),
            "{err}"
        );
    }
    drop(tickets);
    assert_eq!(dev.dma_windows().len(), windows_before, "nothing leaked");
    assert_eq!(engine.peer_memory().free_ranges(), bar2_before);
    engine.enable().unwrap();
    let mut fake = FakeEngine::new(&dev);
    let q = queue(&engine, 1, 4);
    let t = q.submit(Job::Nop).unwrap();
    fake.step();
    t.wait(WAIT).unwrap().check().unwrap();
}

#[test]
fn unfetched_slots_follow_the_ring() {
    let (_dev, engine) = setup();
    let q = queue(&engine, 0, 4);
    let s = &q.shared;
    // Head 3, tail 1 (wrapped): slots 3 and 0 are not fetched yet, 1 and 2 are free.
    assert!(s.unfetched(3, 3, 1) && s.unfetched(0, 3, 1));
    assert!(!s.unfetched(1, 3, 1) && !s.unfetched(2, 3, 1));
    assert!(
        !s.unfetched(2, 2, 2),
        "head at the tail: everything was fetched"
    );
    assert!(
        !s.unfetched(0, 4, 1),
        "a head outside the ring proves nothing"
    );
}

/// The engine fetched the job (STATUS.SQ_HEAD moved past it) but its CQ entry never came:
/// idle or not, the engine may still write it, so dropping the queue leaks.
#[test]
fn a_fetched_job_without_its_cq_entry_keeps_its_memory() {
    let (dev, engine) = setup();
    let mut fake = FakeEngine::new(&dev);
    let mut config = QueueConfig::new(2);
    config.shutdown_timeout = Duration::from_millis(20);
    let q = engine.create_queue(config).unwrap();
    let done = q.submit(Job::Nop).unwrap();
    fake.step();
    let buf = Arc::new(engine.memory().alloc(4096).unwrap());
    let addr = buf.bus_addr();
    let mut list = DataList::new();
    list.push_buffer(&buf, 0, 64).unwrap();
    let peer = Arc::new(engine.peer_memory().alloc(64, 1).unwrap());
    let fetched = q
        .submit(Job::Pull {
            peer: PeerRange::whole(&peer).unwrap(),
            list: Sgl::List(list),
        })
        .unwrap();
    fake.hold = true;
    assert_eq!(fake.step(), 1);
    drop((buf, peer));
    drop(q);
    assert_eq!(
        done.wait(WAIT).unwrap().status,
        StatusCode::Success,
        "a completion written before the drop is delivered"
    );
    assert!(dev.dma_windows().iter().any(|&(a, _)| a == addr));
    assert!(matches!(
        fetched.wait(Duration::from_millis(10)),
        Err(Error::Dma(DmaError::QueueClosed { queue: 2, .. }))
    ));
}

/// Once one queue has found a function reset, a wait on another queue's ticket fails at
/// once instead of at that queue's own 200 ms register check.
#[test]
fn a_reset_found_by_one_queue_fails_the_others_at_once() {
    let (dev, engine) = setup();
    let queues: Vec<_> = (0..3).map(|id| queue(&engine, id, 4)).collect();
    let tickets: Vec<_> = queues.iter().map(|q| q.submit(Job::Nop).unwrap()).collect();
    dev.reset().unwrap();
    let mut waits = Vec::new();
    for t in &tickets {
        let started = Instant::now();
        let err = t.wait(Duration::from_secs(60)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Dma(DmaError::QueueLost {
                    reason: QueueLostReason::FunctionReset,
                    ..
                })
            ),
            "{err}"
        );
        waits.push(started.elapsed());
    }
    assert!(waits[0] >= HEALTH_CHECK_INTERVAL / 2, "{waits:?}");
    assert!(
        waits[1..].iter().all(|w| *w < HEALTH_CHECK_INTERVAL / 4),
        "{waits:?}"
    );
    // A queue created after the reset is not disturbed by it.
    drop(tickets);
    drop(queues);
    engine.enable().unwrap();
    let mut fake = FakeEngine::new(&dev);
    let q = queue(&engine, 0, 4);
    assert!(!q.shared.reset_pending());
    let t = q.submit(Job::Nop).unwrap();
    fake.step();
    t.wait(WAIT).unwrap().check().unwrap();
}

#[test]
fn interrupt_mode_delivers_through_msix() {
    let (dev, engine) = setup();
    let mut fake = FakeEngine::new(&dev);
    let mut config = QueueConfig::new(2);
    config.mode = CompletionMode::Interrupt;
    let q = engine.create_queue(config).unwrap();
    assert_eq!(engine.interrupts_received(), 0);
    assert_eq!(dev.msix_vectors(), Some(4));
    assert_eq!(
        dev.bar_read32(BarIndex::BAR0, qoff(&regs::QUEUE_CONTROL_REG, 2))
            .unwrap(),
        1 | (1 << 1) | (2 << 8)
    );
    let tickets: Vec<_> = (0..5).map(|_| q.submit(Job::Nop).unwrap()).collect();
    fake.step();
    for t in &tickets {
        // The MSI-X thread polled the CQ: the completion is already in the channel.
        let c =
            t.rx.recv_timeout(WAIT)
                .expect("delivered by the interrupt thread");
        assert_eq!(c.cid, t.cid());
    }
    // The fake signalled at least one MSI-X for the five jobs, and the engine counted it.
    assert!(engine.interrupts_received() >= 1);
    let t = q.submit(Job::Nop).unwrap();
    fake.step();
    t.wait(WAIT).unwrap().check().unwrap();
    drop(q);
    drop(engine);
    assert_eq!(
        dev.msix_vectors(),
        None,
        "MSI-X disabled with the last engine handle"
    );
}

#[test]
fn sgl_case_tables_run_through_a_queue() {
    let (dev, engine) = setup();
    let mut fake = FakeEngine::new(&dev);
    let q = queue(&engine, 0, 8);
    let list = Arc::new(engine.memory().alloc(sgl::CASE_LIST_REGION_LEN).unwrap());
    let data = Arc::new(engine.memory().alloc(sgl::CASE_DATA_REGION_LEN).unwrap());
    let peer = Arc::new(engine.peer_memory().alloc(64 * 1024, 4096).unwrap());
    let cases = sgl::malformed_list_cases(list.bus_addr(), data.bus_addr())
        .into_iter()
        .chain(sgl::valid_list_cases(list.bus_addr(), data.bus_addr()));
    for case in cases {
        let t = q.submit_sgl_case(&case, &list, &data, &peer).unwrap();
        fake.step();
        assert_eq!(t.wait(WAIT).unwrap().status, case.expected, "{}", case.name);
    }
}
