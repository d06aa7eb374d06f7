// SPDX-License-Identifier: MIT OR Apache-2.0
//! Tests that drive the controller as a host would: registers, queues in (test) bus memory,
//! doorbells, ticks, completion entries. The [`TestBus`] holds host memory windows (anything
//! else faults) and a peer BAR whose posted writes land and whose reads return some ticks
//! later, out of order.

mod admin;
mod file;
mod prp;
mod registers;
mod robustness;
mod sgl;
mod timing;

use std::collections::{BTreeMap, VecDeque};

use peerbar::address::BusAddr;
use peerbar::dma::wire::SglDescriptor;

use super::bus::{BusError, NvmeBus, ReadHandle};
use super::{NamespaceBacking, NvmeConfig, NvmeController};

/// Host memory window (the IOMMU mapping of the tests).
pub const HOST_BASE: u64 = 0x10_0000;
pub const HOST_LEN: u64 = 16 << 20;
pub const ADMIN_SQ: u64 = HOST_BASE;
pub const ADMIN_CQ: u64 = HOST_BASE + 0x1_0000;
/// I/O queue `qid`: SQ at `IO_QUEUES + qid * 0x2_0000`, CQ 64 KiB above it.
pub const IO_QUEUES: u64 = HOST_BASE + 0x10_0000;
/// PRP lists and SGL segments.
pub const LISTS: u64 = HOST_BASE + 0x40_0000;
/// Data buffers: 8 MiB.
pub const DATA: u64 = HOST_BASE + 0x80_0000;
/// Unmapped (between the host window and the peer BAR).
pub const UNMAPPED: u64 = 0x4000_0000;
/// The peer's BAR (the FPGA's BAR2 in the real fabric).
pub const PEER_BASE: u64 = 0x38_0000_0000;
pub const PEER_LEN: u64 = 1 << 20;

pub const ADMIN_ENTRIES: u32 = 32;

/// The bus of the tests. Every call checks the controller keeps the bus contract (chunk sizes,
/// 4 KiB boundaries); a violation panics the test.
pub struct TestBus {
    host: Vec<u8>,
    pub peer: Vec<u8>,
    /// Ticks until a peer write lands / a peer read returns (reads: plus 0..9 by handle, so
    /// they return out of order).
    pub peer_delay: u64,
    /// Peer writes in flight beyond which `post_write` pushes back.
    pub max_pending_writes: usize,
    /// Reads in flight beyond which `start_read` pushes back.
    pub max_reads: usize,
    /// A read covering this address completes with an error completion, 50 ticks late.
    pub poison: Option<u64>,
    now: u64,
    pending_writes: VecDeque<(u64, u64, Vec<u8>)>,
    reads: BTreeMap<u64, (u64, Result<Vec<u8>, BusError>)>,
    next_handle: u64,
    /// Addresses of refused DMAs.
    pub faults: Vec<u64>,
    pub interrupts: Vec<u16>,
    /// Accepted data writes: (tick, address, length).
    pub data_writes: Vec<(u64, u64, usize)>,
    /// Started data reads: (address, length).
    pub data_reads: Vec<(u64, u32)>,
    /// Most reads ever outstanding at once.
    pub max_reads_seen: usize,
}

impl TestBus {
    pub fn new() -> TestBus {
        TestBus {
            host: vec![0; HOST_LEN as usize],
            peer: vec![0; PEER_LEN as usize],
            peer_delay: 20,
            max_pending_writes: 64,
            max_reads: 64,
            poison: None,
            now: 0,
            pending_writes: VecDeque::new(),
            reads: BTreeMap::new(),
            next_handle: 1,
            faults: Vec::new(),
            interrupts: Vec::new(),
            data_writes: Vec::new(),
            data_reads: Vec::new(),
            max_reads_seen: 0,
        }
    }

    /// Moves the bus to tick `now`: peer writes that are due land.
    pub fn advance(&mut self, now: u64) {
        self.now = now;
        while self.pending_writes.front().is_some_and(|w| w.0 <= now) {
            let (_, offset, data) = self.pending_writes.pop_front().expect("front");
            let at = offset as usize;
            self.peer[at..at + data.len()].copy_from_slice(&data);
        }
    }

    /// Reads started and not yet collected with `poll_read`.
    pub fn outstanding_reads(&self) -> usize {
        self.reads.len()
    }

    /// Host memory bytes (test side).
    pub fn mem(&self, address: u64, len: usize) -> &[u8] {
        let at = (address - HOST_BASE) as usize;
        &self.host[at..at + len]
    }

    pub fn mem_mut(&mut self, address: u64, len: usize) -> &mut [u8] {
        let at = (address - HOST_BASE) as usize;
        &mut self.host[at..at + len]
    }

    pub fn put(&mut self, address: u64, data: &[u8]) {
        self.mem_mut(address, data.len()).copy_from_slice(data);
    }

    pub fn put_u64s(&mut self, address: u64, values: &[u64]) {
        let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.put(address, &bytes);
    }

    pub fn put_sgl(&mut self, address: u64, descriptors: &[SglDescriptor]) {
        let bytes: Vec<u8> = descriptors.iter().flat_map(|d| d.to_bytes()).collect();
        self.put(address, &bytes);
    }

    fn host_range(&self, address: u64, len: usize) -> Option<usize> {
        let end = address.checked_add(len as u64)?;
        (address >= HOST_BASE && end <= HOST_BASE + HOST_LEN)
            .then(|| (address - HOST_BASE) as usize)
    }

    fn peer_range(&self, address: u64, len: usize) -> Option<usize> {
        let end = address.checked_add(len as u64)?;
        (address >= PEER_BASE && end <= PEER_BASE + PEER_LEN)
            .then(|| (address - PEER_BASE) as usize)
    }

    fn fault(&mut self, address: u64) -> BusError {
        self.faults.push(address);
        BusError::Fault {
            address,
            reason: "no IOMMU mapping".into(),
        }
    }

    fn check_chunk(address: u64, len: usize) {
        assert!(
            (1..=4096).contains(&len) && address % 4096 + len as u64 <= 4096,
            "bus contract: {len} bytes at {address:#x} cross a 4 KiB boundary or exceed 4 KiB"
        );
    }
}

impl NvmeBus for TestBus {
    fn read_host(&mut self, address: u64, buf: &mut [u8]) -> Result<(), BusError> {
        let at = self
            .host_range(address, buf.len())
            .ok_or_else(|| self.fault(address))?;
        buf.copy_from_slice(&self.host[at..at + buf.len()]);
        Ok(())
    }

    fn write_host(&mut self, address: u64, data: &[u8]) -> Result<(), BusError> {
        let at = self
            .host_range(address, data.len())
            .ok_or_else(|| self.fault(address))?;
        self.host[at..at + data.len()].copy_from_slice(data);
        Ok(())
    }

    fn post_write(&mut self, address: u64, data: &[u8]) -> Result<bool, BusError> {
        TestBus::check_chunk(address, data.len());
        if let Some(at) = self.host_range(address, data.len()) {
            self.host[at..at + data.len()].copy_from_slice(data);
        } else if let Some(at) = self.peer_range(address, data.len()) {
            if self.pending_writes.len() >= self.max_pending_writes {
                return Ok(false);
            }
            let land = self.now + self.peer_delay;
            self.pending_writes
                .push_back((land, at as u64, data.to_vec()));
        } else {
            return Err(self.fault(address));
        }
        self.data_writes.push((self.now, address, data.len()));
        Ok(true)
    }

    fn writes_landed(&self) -> bool {
        self.pending_writes.is_empty()
    }

    fn start_read(&mut self, address: u64, len: u32) -> Result<Option<ReadHandle>, BusError> {
        TestBus::check_chunk(address, len as usize);
        if self.reads.len() >= self.max_reads {
            return Ok(None);
        }
        let handle = self.next_handle;
        self.next_handle += 1;
        let n = len as usize;
        let (delay, data) = if let Some(at) = self.host_range(address, n) {
            (1 + handle % 3, self.host[at..at + n].to_vec())
        } else if let Some(at) = self.peer_range(address, n) {
            (
                self.peer_delay + handle % 10,
                self.peer[at..at + n].to_vec(),
            )
        } else {
            return Err(self.fault(address));
        };
        let poisoned = self
            .poison
            .is_some_and(|p| (address..address + u64::from(len)).contains(&p));
        let outcome = if poisoned {
            Err(BusError::Completion {
                address,
                status: "poisoned",
            })
        } else {
            Ok(data)
        };
        let delay = delay + if poisoned { 50 } else { 0 };
        self.reads.insert(handle, (self.now + delay, outcome));
        self.data_reads.push((address, len));
        self.max_reads_seen = self.max_reads_seen.max(self.reads.len());
        Ok(Some(ReadHandle(handle)))
    }

    fn poll_read(&mut self, handle: ReadHandle) -> Option<Result<Vec<u8>, BusError>> {
        let ready = self.reads.get(&handle.0).is_some_and(|r| r.0 <= self.now);
        ready.then(|| self.reads.remove(&handle.0).expect("ready read").1)
    }

    fn interrupt(&mut self, vector: u16) {
        self.interrupts.push(vector);
    }
}

/// A test command: a 64-byte SQ entry built field by field.
#[derive(Clone, Copy)]
pub struct Cmd(pub [u8; 64]);

impl Cmd {
    pub fn new(opcode: u8) -> Cmd {
        let mut c = Cmd([0; 64]);
        c.0[0] = opcode;
        c
    }

    pub fn nsid(mut self, nsid: u32) -> Cmd {
        self.0[4..8].copy_from_slice(&nsid.to_le_bytes());
        self
    }

    /// PSDT (CDW0 bits 15:14).
    pub fn psdt(mut self, psdt: u8) -> Cmd {
        self.0[1] = (self.0[1] & 0x3f) | (psdt << 6);
        self
    }

    pub fn prp(mut self, prp1: u64, prp2: u64) -> Cmd {
        self.0[24..32].copy_from_slice(&prp1.to_le_bytes());
        self.0[32..40].copy_from_slice(&prp2.to_le_bytes());
        self.psdt(0)
    }

    /// DPTR as one SGL descriptor, PSDT 01b.
    pub fn sgl(mut self, d: SglDescriptor) -> Cmd {
        self.0[24..40].copy_from_slice(&d.to_bytes());
        self.psdt(1)
    }

    pub fn cdw(mut self, index: usize, value: u32) -> Cmd {
        self.0[index * 4..index * 4 + 4].copy_from_slice(&value.to_le_bytes());
        self
    }

    /// Read (02h) of `blocks` blocks at `slba`, namespace 1; data pointer still to set.
    pub fn read(slba: u64, blocks: u32) -> Cmd {
        Cmd::new(0x02).rw(slba, blocks)
    }

    pub fn write(slba: u64, blocks: u32) -> Cmd {
        Cmd::new(0x01).rw(slba, blocks)
    }

    fn rw(self, slba: u64, blocks: u32) -> Cmd {
        self.nsid(1)
            .cdw(10, slba as u32)
            .cdw(11, (slba >> 32) as u32)
            .cdw(12, blocks - 1)
    }

    pub fn identify(cns: u32, nsid: u32, prp1: u64, prp2: u64) -> Cmd {
        Cmd::new(0x06).nsid(nsid).cdw(10, cns).prp(prp1, prp2)
    }
}

/// An expected completion status: (SCT, SC, DNR).
pub type Status = (u8, u8, bool);

/// A decoded completion entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cqe {
    pub result: u32,
    pub sq_head: u16,
    pub sq_id: u16,
    pub cid: u16,
    pub phase: bool,
    pub sct: u8,
    pub sc: u8,
    pub crd: u8,
    pub more: bool,
    pub dnr: bool,
}

impl Cqe {
    pub fn decode(b: &[u8]) -> Cqe {
        let dw = |i: usize| u32::from_le_bytes(b[i * 4..i * 4 + 4].try_into().unwrap());
        let dw3 = dw(3);
        Cqe {
            result: dw(0),
            sq_head: dw(2) as u16,
            sq_id: (dw(2) >> 16) as u16,
            cid: dw3 as u16,
            phase: dw3 & (1 << 16) != 0,
            sc: (dw3 >> 17) as u8,
            sct: ((dw3 >> 25) & 0x7) as u8,
            crd: ((dw3 >> 28) & 0x3) as u8,
            more: dw3 & (1 << 30) != 0,
            dnr: dw3 & (1 << 31) != 0,
        }
    }

    /// (SCT, SC, DNR).
    pub fn status(&self) -> Status {
        (self.sct, self.sc, self.dnr)
    }

    #[track_caller]
    pub fn assert_ok(&self) {
        assert_eq!(self.status(), (0, 0, false), "{self:?}");
    }
}

/// The host side of a queue pair.
struct HostQueue {
    sq_base: u64,
    sq_entries: u32,
    sq_tail: u32,
    cq_base: u64,
    cq_entries: u32,
    cq_head: u32,
    phase: bool,
}

/// A host: the controller, the bus, the clock and the host's queue state.
pub struct Host {
    pub ctrl: NvmeController,
    pub bus: TestBus,
    pub now: u64,
    queues: BTreeMap<u16, HostQueue>,
    next_cid: u16,
}

/// The configuration most tests use: small, fast, no bandwidth limit.
pub fn test_config() -> NvmeConfig {
    NvmeConfig {
        namespace: NamespaceBacking::Memory { bytes: 1 << 20 },
        latency_cycles: 10,
        bytes_per_cycle: 0,
        ready_cycles: 5,
        ..NvmeConfig::default()
    }
}

/// A deterministic, position-dependent byte pattern.
pub fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| {
            (i as u32)
                .wrapping_mul(2_654_435_761)
                .rotate_left(seed as u32 % 32) as u8
                ^ seed
        })
        .collect()
}

pub fn sgl_data(address: u64, len: u32) -> SglDescriptor {
    SglDescriptor::data_block(BusAddr::new(address), len)
}

pub fn sgl_last_segment(address: u64, descriptors: usize) -> SglDescriptor {
    SglDescriptor::last_segment(BusAddr::new(address), (descriptors * 16) as u32)
}

pub fn sgl_segment(address: u64, descriptors: usize) -> SglDescriptor {
    SglDescriptor::segment(BusAddr::new(address), (descriptors * 16) as u32)
}

const MAX_WAIT: u64 = 2_000_000;

impl Host {
    pub fn new(config: NvmeConfig) -> Host {
        Host {
            ctrl: NvmeController::new(config).expect("valid config"),
            bus: TestBus::new(),
            now: 0,
            queues: BTreeMap::new(),
            next_cid: 1,
        }
    }

    /// A host with the controller enabled (admin queues of 32 entries) and one I/O queue pair
    /// (qid 1, 64 entries, vector 1).
    pub fn ready(config: NvmeConfig) -> Host {
        let mut h = Host::new(config);
        h.enable();
        h.create_io_queues(1, 64, 64);
        h
    }

    pub fn tick(&mut self) {
        self.now += 1;
        self.bus.advance(self.now);
        self.ctrl.tick(self.now, &mut self.bus);
    }

    pub fn run(&mut self, ticks: u64) {
        for _ in 0..ticks {
            self.tick();
        }
    }

    /// Ticks while the controller says it is busy; returns the ticks it took.
    pub fn run_until_idle(&mut self) -> u64 {
        let start = self.now;
        while self.ctrl.busy() {
            assert!(self.now - start < MAX_WAIT, "controller never went idle");
            self.tick();
        }
        self.now - start
    }

    pub fn reg32(&mut self, offset: u64) -> u32 {
        let mut b = [0u8; 4];
        self.ctrl.read_register(offset, &mut b);
        u32::from_le_bytes(b)
    }

    pub fn reg64(&mut self, offset: u64) -> u64 {
        let mut b = [0u8; 8];
        self.ctrl.read_register(offset, &mut b);
        u64::from_le_bytes(b)
    }

    pub fn set_reg32(&mut self, offset: u64, value: u32) {
        self.ctrl
            .write_register(offset, &value.to_le_bytes(), self.now);
    }

    pub fn set_reg64(&mut self, offset: u64, value: u64) {
        self.ctrl
            .write_register(offset, &value.to_le_bytes(), self.now);
    }

    /// Programs the admin queues and CC (EN, IOSQES 6, IOCQES 4) without waiting.
    pub fn start_enable(&mut self, asq: u64, acq: u64) {
        self.start_enable_with(asq, acq, 1 | (6 << 16) | (4 << 20));
    }

    /// Programs the admin queues (32 entries each, host state reset) and writes `cc`.
    pub fn start_enable_with(&mut self, asq: u64, acq: u64, cc: u32) {
        let sizes = (ADMIN_ENTRIES - 1) | ((ADMIN_ENTRIES - 1) << 16);
        self.set_reg32(0x24, sizes);
        self.set_reg64(0x28, asq);
        self.set_reg64(0x30, acq);
        self.track_queue(0, asq, ADMIN_ENTRIES, acq, ADMIN_ENTRIES);
        self.set_reg32(0x14, cc);
    }

    /// Starts host-side state for queue pair `qid` (CQ memory zeroed when it is mapped).
    pub fn track_queue(
        &mut self,
        qid: u16,
        sq_base: u64,
        sq_entries: u32,
        cq_base: u64,
        cq_entries: u32,
    ) {
        if self
            .bus
            .host_range(cq_base, cq_entries as usize * 16)
            .is_some()
        {
            self.bus.mem_mut(cq_base, cq_entries as usize * 16).fill(0);
        }
        self.queues.insert(
            qid,
            HostQueue {
                sq_base,
                sq_entries,
                sq_tail: 0,
                cq_base,
                cq_entries,
                cq_head: 0,
                phase: true,
            },
        );
    }

    /// Enables the controller and waits for CSTS.RDY.
    pub fn enable(&mut self) {
        self.start_enable(ADMIN_SQ, ADMIN_CQ);
        for _ in 0..MAX_WAIT {
            if self.reg32(0x1c) & 1 == 1 {
                return;
            }
            self.tick();
        }
        panic!("CSTS.RDY never came; CSTS {:#x}", self.reg32(0x1c));
    }

    /// Create I/O CQ (IEN, vector qid % 8) and SQ `qid`.
    pub fn create_io_queues(&mut self, qid: u16, sq_entries: u32, cq_entries: u32) {
        let sq_base = IO_QUEUES + u64::from(qid) * 0x2_0000;
        let cq_base = sq_base + 0x1_0000;
        let vector = u32::from(qid % 8);
        self.track_queue(qid, sq_base, sq_entries, cq_base, cq_entries);
        let cq = Cmd::new(0x05)
            .prp(cq_base, 0)
            .cdw(10, u32::from(qid) | ((cq_entries - 1) << 16))
            .cdw(11, 0b11 | (vector << 16));
        self.admin(cq).assert_ok();
        let sq = Cmd::new(0x01)
            .prp(sq_base, 0)
            .cdw(10, u32::from(qid) | ((sq_entries - 1) << 16))
            .cdw(11, 1 | (u32::from(qid) << 16));
        self.admin(sq).assert_ok();
    }

    /// Puts a command in SQ `qid` (with a fresh CID) and rings the doorbell; returns the CID.
    pub fn submit(&mut self, qid: u16, cmd: Cmd) -> u16 {
        let cid = self.queue_command(qid, cmd);
        self.ring_sq(qid);
        cid
    }

    /// Puts a command in SQ `qid` without ringing the doorbell.
    pub fn queue_command(&mut self, qid: u16, mut cmd: Cmd) -> u16 {
        let cid = self.next_cid;
        self.next_cid = self.next_cid.wrapping_add(1).max(1);
        cmd.0[2..4].copy_from_slice(&cid.to_le_bytes());
        let q = self.queues.get_mut(&qid).expect("host queue");
        let at = q.sq_base + u64::from(q.sq_tail) * 64;
        q.sq_tail = (q.sq_tail + 1) % q.sq_entries;
        self.bus.put(at, &cmd.0);
        cid
    }

    pub fn ring_sq(&mut self, qid: u16) {
        let tail = self.queues[&qid].sq_tail;
        self.set_reg32(0x1000 + u64::from(qid) * 8, tail);
    }

    /// The next completion of CQ `qid` if its phase says it is new; consumes it and rings the
    /// head doorbell.
    pub fn poll_cqe(&mut self, qid: u16) -> Option<Cqe> {
        let q = self.queues.get_mut(&qid).expect("host queue");
        let at = q.cq_base + u64::from(q.cq_head) * 16;
        let cqe = Cqe::decode(self.bus.mem(at, 16));
        if cqe.phase != q.phase {
            return None;
        }
        q.cq_head = (q.cq_head + 1) % q.cq_entries;
        if q.cq_head == 0 {
            q.phase = !q.phase;
        }
        let head = q.cq_head;
        self.set_reg32(0x1000 + u64::from(qid) * 8 + 4, head);
        Some(cqe)
    }

    /// Ticks until CQ `qid` has a new entry.
    #[track_caller]
    pub fn wait_cqe(&mut self, qid: u16) -> Cqe {
        for _ in 0..MAX_WAIT {
            if let Some(c) = self.poll_cqe(qid) {
                return c;
            }
            self.tick();
        }
        panic!("no completion on CQ {qid}; CSTS {:#x}", self.reg32(0x1c));
    }

    /// Submits and waits for this command's completion (the only one outstanding).
    #[track_caller]
    pub fn exec(&mut self, qid: u16, cmd: Cmd) -> Cqe {
        let cid = self.submit(qid, cmd);
        let cqe = self.wait_cqe(qid);
        assert_eq!(
            (cqe.cid, cqe.sq_id),
            (cid, qid),
            "completion of another command"
        );
        cqe
    }

    #[track_caller]
    pub fn admin(&mut self, cmd: Cmd) -> Cqe {
        self.exec(0, cmd)
    }

    /// The namespace bytes at byte `offset`.
    pub fn ns(&self, offset: u64, len: usize) -> Vec<u8> {
        let mut b = vec![0u8; len];
        self.ctrl.namespace_read(offset, &mut b).expect("in range");
        b
    }
}

impl Host {
    /// Copies `data` into the pieces (host memory or the peer BAR), in order.
    pub fn scatter(&mut self, pieces: &[(u64, usize)], data: &[u8]) {
        let mut at = 0;
        for &(address, len) in pieces {
            let src = &data[at..at + len];
            if address >= PEER_BASE {
                let off = (address - PEER_BASE) as usize;
                self.bus.peer[off..off + len].copy_from_slice(src);
            } else {
                self.bus.put(address, src);
            }
            at += len;
        }
        assert_eq!(at, data.len());
    }

    /// The bytes of the pieces, in order.
    pub fn gather(&self, pieces: &[(u64, usize)]) -> Vec<u8> {
        let mut out = Vec::new();
        for &(address, len) in pieces {
            if address >= PEER_BASE {
                let off = (address - PEER_BASE) as usize;
                out.extend_from_slice(&self.bus.peer[off..off + len]);
            } else {
                out.extend_from_slice(self.bus.mem(address, len));
            }
        }
        out
    }

    /// A Write of the pieces' bytes at `slba` then a Read back into the cleared pieces, both
    /// with the data pointer `dp` sets; checks the namespace and the pieces byte for byte.
    #[track_caller]
    pub fn round_trip(&mut self, slba: u64, pieces: &[(u64, usize)], dp: impl Fn(Cmd) -> Cmd) {
        let len: usize = pieces.iter().map(|p| p.1).sum();
        let lba = self.ctrl.config().lba_size as usize;
        let blocks = (len / lba) as u32;
        let data = pattern(slba as u8 ^ 0x5a, len);
        self.scatter(pieces, &data);
        self.exec(1, dp(Cmd::write(slba, blocks))).assert_ok();
        assert!(
            self.ns(slba * lba as u64, len) == data,
            "namespace after the Write"
        );
        self.scatter(pieces, &vec![0; len]);
        self.exec(1, dp(Cmd::read(slba, blocks))).assert_ok();
        assert!(self.gather(pieces) == data, "memory after the Read");
    }

    /// Runs `cmd` on I/O queue 1 and checks it fails with `status` having moved nothing: no
    /// data DMA started, the namespace's first 64 KiB and 1 MiB of data buffers unchanged.
    #[track_caller]
    pub fn expect_refused(&mut self, what: &str, cmd: Cmd, status: Status) {
        let ns_before = pattern(0x11, 64 << 10);
        self.ctrl.namespace_write(0, &ns_before).unwrap();
        let mem_before = pattern(0x22, 1 << 20);
        self.bus.put(DATA, &mem_before);
        self.bus.data_writes.clear();
        self.bus.data_reads.clear();
        let cqe = self.exec(1, cmd);
        assert_eq!(cqe.status(), status, "{what}");
        assert!(self.bus.data_writes.is_empty(), "{what}: data was written");
        assert!(self.bus.data_reads.is_empty(), "{what}: data was read");
        assert!(
            self.ns(0, 64 << 10) == ns_before,
            "{what}: namespace changed"
        );
        assert!(
            self.bus.mem(DATA, 1 << 20) == mem_before,
            "{what}: memory changed"
        );
    }
}
