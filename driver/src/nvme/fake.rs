// SPDX-License-Identifier: MIT OR Apache-2.0
//! A tiny NVMe controller for unit tests: a thread that plays the controller's side over a
//! [`FakeDevice`]'s BAR0 bytes (registers, doorbells) and DMA helpers.
//!
//! It implements what the tests need and no more: enable/disable/shutdown handshakes, the admin
//! commands [`crate::nvme::Nvme`] issues, and Read/Write/Flush on namespace 1 held in a
//! `Vec<u8>`, with data pointers resolved independently of the driver's builders (PRPs by a
//! walker written here, SGLs by the engine's validator, whose rules docs/nvme-peer.md shares).
//! I/O commands can be held instead of executed, to complete them in any order with any
//! status. Behaviour is configured through [`Behaviour`].

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use zerocopy::{FromBytes, IntoBytes};

use crate::address::{BarIndex, BarOffset, BusAddr};
use crate::device::fake::FakeDevice;
use crate::device::Device;
use crate::dma::sgl::{validate, SglEntry, SglWalkError};
use crate::dma::wire::{Opcode, StatusCode};
use crate::hostmem::DmaMemory;
use crate::nvme::regs;
use crate::nvme::status::NvmeStatus;
use crate::nvme::wire::{admin_opcode, io_opcode, CompletionEntry, Psdt, SubmissionEntry};

/// Bus address of the fake controller's BAR0 (as in docs/nvme-peer.md).
pub const FAKE_NVME_BAR0: u64 = 0xfd00_0000;
/// BAR0 size.
pub const FAKE_NVME_BAR0_LEN: u64 = 0x4000;

const PAGE: u64 = 4096;

/// How the fake controller behaves.
#[derive(Clone, Debug)]
pub struct Behaviour {
    /// Raw CAP value.
    pub cap: u64,
    /// CSTS.RDY follows CC.EN.
    pub becomes_ready: bool,
    /// CC.EN = 1 sets CSTS.CFS instead of RDY.
    pub fatal_on_enable: bool,
    /// CC.SHN sets CSTS.SHST = 10b.
    pub completes_shutdown: bool,
    /// I/O queue pairs granted by Set Features Number of Queues.
    pub queues_granted: u16,
    /// Identify SGLS.
    pub sgls: u32,
    /// Identify MDTS.
    pub mdts: u8,
    /// LBADS of LBA format 0.
    pub lba_shift: u8,
    /// Metadata bytes of LBA format 0.
    pub metadata: u16,
    /// NSZE (0: namespace 1 inactive).
    pub lba_count: u64,
    /// Namespace 1's Command Set Identifier in its Namespace Identification Descriptor list
    /// (Identify CNS 03h); `None`: the controller answers CNS 03h with Invalid Field.
    pub csi: Option<u8>,
    /// Fetched I/O commands wait in [`FakeNvme::held`] instead of running.
    pub hold_io: bool,
}

impl Default for Behaviour {
    fn default() -> Behaviour {
        Behaviour {
            // MQES 1023, CQR, TO 1 (500 ms), DSTRD 0, CSS NVM, MPSMIN = MPSMAX = 0.
            cap: 1023 | (1 << 16) | (1 << 24) | (1 << 37),
            becomes_ready: true,
            fatal_on_enable: false,
            completes_shutdown: true,
            queues_granted: 4,
            sgls: 0b01 | (1 << 16),
            mdts: 5,
            lba_shift: 9,
            metadata: 0,
            lba_count: 512,
            csi: Some(0),
            hold_io: false,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Cq {
    base: u64,
    size: u32,
    tail: u32,
    phase: bool,
}

#[derive(Clone, Copy, Debug)]
struct Sq {
    base: u64,
    size: u32,
    head: u32,
    cqid: u16,
}

/// A fetched I/O command waiting for [`FakeNvme::complete`].
#[derive(Clone, Copy, Debug)]
pub struct HeldCommand {
    pub sqid: u16,
    pub entry: SubmissionEntry,
}

struct State {
    behaviour: Behaviour,
    ready: bool,
    /// Stop touching registers (a test pokes them itself).
    frozen: bool,
    sqs: BTreeMap<u16, Sq>,
    cqs: BTreeMap<u16, Cq>,
    /// Admin opcodes in the order they were fetched.
    admin_log: Vec<u8>,
    /// I/O commands in the order they were fetched.
    io_log: Vec<(u16, SubmissionEntry)>,
    held: Vec<HeldCommand>,
    namespace: Vec<u8>,
    set_features: Option<u32>,
    /// CC.SHN notifications seen.
    shutdowns: u32,
    shn_seen: bool,
}

/// The fake controller: its register device, the DMA memory shared with it, and its thread.
pub struct FakeNvme {
    /// The NVMe function (config space, BAR0).
    pub dev: Arc<FakeDevice>,
    /// The device the DMA memory is mapped through (the "FPGA" sharing the container).
    pub dma: Arc<FakeDevice>,
    pub memory: DmaMemory,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// The NVMe function's config space and BAR0 at reset: class 010802h, BAR0 64-bit at
/// [`FAKE_NVME_BAR0`], CAP and VS.
pub fn nvme_function(cap: u64) -> FakeDevice {
    let dev = FakeDevice::new(&[(BarIndex::BAR0, FAKE_NVME_BAR0_LEN)]).with_name("fake nvme");
    dev.poke_config(0x00, &[0xee, 0x10, 0x01, 0x9e]);
    dev.poke_config(0x09, &[0x02, 0x08, 0x01]);
    dev.poke_config(0x10, &((FAKE_NVME_BAR0 as u32) | 0b100).to_le_bytes());
    dev.poke_bar32(BarIndex::BAR0, regs::CAP_OFFSET, cap as u32);
    dev.poke_bar32(BarIndex::BAR0, regs::CAP_OFFSET + 4, (cap >> 32) as u32);
    dev.poke_bar32(BarIndex::BAR0, regs::VS_OFFSET, 0x0001_0400);
    dev
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

impl FakeNvme {
    /// A controller with `behaviour`, its DMA through a separate fake "FPGA" whose IOVA range
    /// includes the controller's BAR0 (so that the driver must reserve it).
    pub fn start(behaviour: Behaviour) -> FakeNvme {
        let dev = Arc::new(nvme_function(behaviour.cap));
        let dma = Arc::new(FakeDevice::peerbar_endpoint(1 << 20).with_iova_ranges(
            std::iter::once(FAKE_NVME_BAR0 - 0x1_0000..FAKE_NVME_BAR0 + 0x100_0000),
        ));
        let memory = DmaMemory::new(dma.clone()).unwrap();
        let ns_len = (behaviour.lba_count << behaviour.lba_shift).min(16 << 20) as usize;
        let state = Arc::new(Mutex::new(State {
            behaviour,
            ready: false,
            frozen: false,
            sqs: BTreeMap::new(),
            cqs: BTreeMap::new(),
            admin_log: Vec::new(),
            io_log: Vec::new(),
            held: Vec::new(),
            namespace: (0..ns_len).map(|i| (i * 7 + i / 4096) as u8).collect(),
            set_features: None,
            shutdowns: 0,
            shn_seen: false,
        }));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (dev, dma, state, stop) = (dev.clone(), dma.clone(), state.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    {
                        let mut st = lock(&state);
                        if !st.frozen {
                            step(&dev, &dma, &mut st);
                        }
                    }
                    std::thread::sleep(Duration::from_micros(50));
                }
            })
        };
        FakeNvme {
            dev,
            dma,
            memory,
            state,
            stop,
            thread: Some(thread),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Changes the behaviour (takes effect at the next step).
    pub fn behave(&self, f: impl FnOnce(&mut Behaviour)) {
        f(&mut self.lock().behaviour)
    }

    /// Stops (true) or resumes the controller thread's register and queue work.
    pub fn freeze(&self, frozen: bool) {
        self.lock().frozen = frozen;
    }

    /// Admin opcodes fetched so far.
    pub fn admin_log(&self) -> Vec<u8> {
        self.lock().admin_log.clone()
    }

    /// I/O commands fetched so far (SQ id, entry).
    pub fn io_log(&self) -> Vec<(u16, SubmissionEntry)> {
        self.lock().io_log.clone()
    }

    /// CDW11 of the last Set Features Number of Queues.
    pub fn set_features(&self) -> Option<u32> {
        self.lock().set_features
    }

    /// CC.SHN notifications seen.
    pub fn shutdowns(&self) -> u32 {
        self.lock().shutdowns
    }

    /// I/O queue ids that exist (SQs, CQs).
    pub fn queues(&self) -> (Vec<u16>, Vec<u16>) {
        let st = self.lock();
        (
            st.sqs.keys().copied().filter(|&q| q != 0).collect(),
            st.cqs.keys().copied().filter(|&q| q != 0).collect(),
        )
    }

    /// Namespace bytes at `offset`.
    pub fn namespace(&self, offset: usize, len: usize) -> Vec<u8> {
        self.lock().namespace[offset..offset + len].to_vec()
    }

    /// Fetched and held I/O commands.
    pub fn held(&self) -> Vec<HeldCommand> {
        self.lock().held.clone()
    }

    /// Completes held command `cid` of SQ `sqid` with `status` (without running it); false if
    /// no such command is held or its CQ is full.
    pub fn complete(&self, sqid: u16, cid: u16, status: NvmeStatus) -> bool {
        let mut st = self.lock();
        let Some(i) = st
            .held
            .iter()
            .position(|h| h.sqid == sqid && h.entry.cid() == cid)
        else {
            return false;
        };
        let h = st.held.remove(i);
        if post(&self.dev, &self.dma, &mut st, sqid, cid, status, 0) {
            return true;
        }
        st.held.insert(i, h);
        false
    }

    /// Posts a completion for a CID nobody submitted (or anything else) on SQ `sqid`'s CQ.
    pub fn post_raw(&self, sqid: u16, cid: u16, status: NvmeStatus) -> bool {
        let mut st = self.lock();
        post(&self.dev, &self.dma, &mut st, sqid, cid, status, 0)
    }

    /// Reads a 32-bit register of the controller's BAR0.
    pub fn reg(&self, offset: u64) -> u32 {
        self.dev
            .bar_read32(BarIndex::BAR0, BarOffset::new(offset))
            .unwrap()
    }
}

impl Drop for FakeNvme {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn reg(dev: &FakeDevice, offset: u64) -> u32 {
    dev.bar_read32(BarIndex::BAR0, BarOffset::new(offset))
        .unwrap()
}

/// The SQ tail (`cq` false) or CQ head doorbell of `qid`, computed here from the NVMe rule
/// (not with the driver's helpers, so that a wrong stride shows).
fn doorbell(dev: &FakeDevice, st: &State, qid: u16, cq: bool) -> u32 {
    let stride = 4u64 << ((st.behaviour.cap >> 32) & 0xf);
    let index = 2 * u64::from(qid) + u64::from(cq);
    reg(dev, 0x1000 + index * stride)
}

/// One pass: CC handshakes, then every SQ's new entries.
fn step(dev: &FakeDevice, dma: &FakeDevice, st: &mut State) {
    let cc = reg(dev, regs::CC_OFFSET);
    let en = cc & 1 != 0;
    let shn = (cc >> 14) & 0b11;
    let mut csts = reg(dev, regs::CSTS_OFFSET);
    if en && !st.ready && csts & 0b10 == 0 {
        let aqa = reg(dev, regs::AQA_OFFSET);
        let asq = u64::from(reg(dev, regs::ASQ_OFFSET))
            | (u64::from(reg(dev, regs::ASQ_OFFSET + 4)) << 32);
        let acq = u64::from(reg(dev, regs::ACQ_OFFSET))
            | (u64::from(reg(dev, regs::ACQ_OFFSET + 4)) << 32);
        let valid = aqa & 0xfff != 0
            && (aqa >> 16) & 0xfff != 0
            && asq % PAGE == 0
            && acq % PAGE == 0
            && asq != 0;
        if st.behaviour.fatal_on_enable || !valid {
            csts |= 0b10;
        } else if st.behaviour.becomes_ready {
            st.ready = true;
            csts |= 1;
            st.sqs.clear();
            st.cqs.clear();
            st.sqs.insert(
                0,
                Sq {
                    base: asq,
                    size: (aqa & 0xfff) + 1,
                    head: 0,
                    cqid: 0,
                },
            );
            st.cqs.insert(
                0,
                Cq {
                    base: acq,
                    size: ((aqa >> 16) & 0xfff) + 1,
                    tail: 0,
                    phase: true,
                },
            );
        }
    }
    if !en {
        // Controller reset: queues gone, commands dropped.
        st.ready = false;
        st.sqs.clear();
        st.cqs.clear();
        st.held.clear();
        csts &= !0b1111;
        // Doorbells reset with the controller.
        for off in (regs::DOORBELL_BASE..FAKE_NVME_BAR0_LEN).step_by(4) {
            if reg(dev, off) != 0 {
                dev.poke_bar32(BarIndex::BAR0, off, 0);
            }
        }
    }
    if en && shn != 0 {
        if !st.shn_seen {
            st.shn_seen = true;
            st.shutdowns += 1;
        }
        if st.behaviour.completes_shutdown && st.held.is_empty() {
            csts = (csts & !0b1100) | 0b1000;
        }
    } else {
        st.shn_seen = false;
    }
    dev.poke_bar32(BarIndex::BAR0, regs::CSTS_OFFSET, csts);
    if !st.ready {
        return;
    }
    let qids: Vec<u16> = st.sqs.keys().copied().collect();
    for qid in qids {
        let tail = doorbell(dev, st, qid, false);
        // A Delete I/O SQ in the admin queue may remove the queue being walked.
        while let Some(sq) = st.sqs.get(&qid).copied() {
            if sq.head == tail || tail >= sq.size {
                break;
            }
            let mut raw = [0u8; 64];
            dma.dma_read(BusAddr::new(sq.base + u64::from(sq.head) * 64), &mut raw)
                .expect("SQ entry readable");
            let entry = SubmissionEntry::read_from_bytes(&raw[..]).unwrap();
            st.sqs.get_mut(&qid).unwrap().head = (sq.head + 1) % sq.size;
            if qid == 0 {
                st.admin_log.push(entry.opcode());
                let (status, result) = admin(dma, st, &entry);
                post(dev, dma, st, 0, entry.cid(), status, result);
            } else {
                st.io_log.push((qid, entry));
                if st.behaviour.hold_io {
                    st.held.push(HeldCommand { sqid: qid, entry });
                } else {
                    let status = io(dma, st, &entry);
                    post(dev, dma, st, qid, entry.cid(), status, 0);
                }
            }
        }
    }
}

/// Writes a completion for SQ `sqid` into its CQ; false when the CQ is full.
fn post(
    dev: &FakeDevice,
    dma: &FakeDevice,
    st: &mut State,
    sqid: u16,
    cid: u16,
    status: NvmeStatus,
    result: u32,
) -> bool {
    let Some(sq) = st.sqs.get(&sqid).copied() else {
        return false;
    };
    let head = doorbell(dev, st, sq.cqid, true);
    let Some(cq) = st.cqs.get_mut(&sq.cqid) else {
        return false;
    };
    if (cq.tail + 1) % cq.size == head {
        return false;
    }
    let e = CompletionEntry::new(result, sq.head as u16, sqid, cid, status, cq.phase);
    dma.dma_write(
        BusAddr::new(cq.base + u64::from(cq.tail) * 16),
        e.as_bytes(),
    )
    .expect("CQ writable");
    cq.tail += 1;
    if cq.tail == cq.size {
        cq.tail = 0;
        cq.phase = !cq.phase;
    }
    true
}

const SUCCESS: NvmeStatus = NvmeStatus::SUCCESS;

fn generic(sc: u8) -> NvmeStatus {
    NvmeStatus::new(0, sc, true)
}

fn specific(sc: u8) -> NvmeStatus {
    NvmeStatus::new(1, sc, true)
}

fn identify_controller(b: &Behaviour) -> Vec<u8> {
    let mut c = vec![0u8; 4096];
    c[0..2].copy_from_slice(&0x10eeu16.to_le_bytes());
    c[2..4].copy_from_slice(&0x10eeu16.to_le_bytes());
    c[4..24].copy_from_slice(b"FAKE0001            ");
    c[24..64].fill(b' ');
    c[24..41].copy_from_slice(b"peerbar fake nvme");
    c[64..72].copy_from_slice(b"0.1     ");
    c[77] = b.mdts;
    c[512] = 0x66;
    c[513] = 0x44;
    c[516..520].copy_from_slice(&1u32.to_le_bytes());
    c[536..540].copy_from_slice(&b.sgls.to_le_bytes());
    c
}

fn identify_namespace(b: &Behaviour) -> Vec<u8> {
    let mut n = vec![0u8; 4096];
    n[0..8].copy_from_slice(&b.lba_count.to_le_bytes());
    n[8..16].copy_from_slice(&b.lba_count.to_le_bytes());
    n[128..132]
        .copy_from_slice(&((u32::from(b.lba_shift) << 16) | u32::from(b.metadata)).to_le_bytes());
    n
}

/// A Namespace Identification Descriptor list with an NGUID and the CSI descriptor.
fn namespace_descriptors(csi: u8) -> Vec<u8> {
    let mut list = vec![0u8; 4096];
    list[0..2].copy_from_slice(&[0x02, 16]);
    list[4..20].copy_from_slice(b"peerbar-fake-ns1");
    list[20..22].copy_from_slice(&[0x04, 1]);
    list[24] = csi;
    list
}

fn admin(dma: &FakeDevice, st: &mut State, e: &SubmissionEntry) -> (NvmeStatus, u32) {
    let qid = (e.cdw10() & 0xffff) as u16;
    let size = (e.cdw10() >> 16) + 1;
    let granted = st.behaviour.queues_granted;
    let bad_qid = qid == 0 || qid > granted;
    match e.opcode() {
        admin_opcode::IDENTIFY => {
            let data = match (e.cdw10() & 0xff, e.nsid()) {
                (1, _) => identify_controller(&st.behaviour),
                (0, 1) => identify_namespace(&st.behaviour),
                (3, 1) => match st.behaviour.csi {
                    Some(csi) => namespace_descriptors(csi),
                    None => return (generic(0x02), 0),
                },
                (0 | 3, _) => return (generic(0x0b), 0),
                _ => return (generic(0x02), 0),
            };
            match dma.dma_write(e.prp1(), &data) {
                Ok(()) => (SUCCESS, 0),
                Err(_) => (NvmeStatus::new(0, 0x04, false), 0),
            }
        }
        admin_opcode::SET_FEATURES if e.cdw10() & 0xff == 7 => {
            st.set_features = Some(e.cdw11());
            let n = u32::from(granted - 1);
            (SUCCESS, (n << 16) | n)
        }
        admin_opcode::CREATE_IO_CQ => {
            if bad_qid || st.cqs.contains_key(&qid) {
                (specific(0x01), 0)
            } else if e.cdw11() & 1 == 0 {
                (generic(0x02), 0)
            } else {
                st.cqs.insert(
                    qid,
                    Cq {
                        base: e.prp1().get(),
                        size,
                        tail: 0,
                        phase: true,
                    },
                );
                (SUCCESS, 0)
            }
        }
        admin_opcode::CREATE_IO_SQ => {
            let cqid = (e.cdw11() >> 16) as u16;
            if bad_qid || st.sqs.contains_key(&qid) {
                (specific(0x01), 0)
            } else if !st.cqs.contains_key(&cqid) || cqid == 0 {
                (specific(0x00), 0)
            } else {
                st.sqs.insert(
                    qid,
                    Sq {
                        base: e.prp1().get(),
                        size,
                        head: 0,
                        cqid,
                    },
                );
                (SUCCESS, 0)
            }
        }
        admin_opcode::DELETE_IO_SQ => {
            if bad_qid || st.sqs.remove(&qid).is_none() {
                (specific(0x01), 0)
            } else {
                st.held.retain(|h| h.sqid != qid);
                (SUCCESS, 0)
            }
        }
        admin_opcode::DELETE_IO_CQ => {
            if bad_qid || !st.cqs.contains_key(&qid) {
                (specific(0x01), 0)
            } else if st.sqs.iter().any(|(&s, sq)| s != 0 && sq.cqid == qid) {
                (specific(0x0c), 0)
            } else {
                st.cqs.remove(&qid);
                (SUCCESS, 0)
            }
        }
        _ => (generic(0x01), 0),
    }
}

/// Follows PRP1/PRP2 (and PRP lists) for `len` bytes, with the checks of docs/nvme-peer.md.
pub fn walk_prp(
    dma: &FakeDevice,
    prp1: BusAddr,
    prp2: BusAddr,
    len: u64,
) -> Result<Vec<SglEntry>, NvmeStatus> {
    let offset_invalid = generic(0x13);
    if !prp1.is_aligned(4) {
        return Err(offset_invalid);
    }
    let first = (PAGE - prp1.get() % PAGE).min(len);
    let mut out = vec![SglEntry::data(prp1, first as u32)];
    let mut left = len - first;
    if left == 0 {
        return Ok(out);
    }
    if left <= PAGE {
        if !prp2.is_aligned(PAGE) {
            return Err(offset_invalid);
        }
        out.push(SglEntry::data(prp2, left as u32));
        return Ok(out);
    }
    if !prp2.is_aligned(8) {
        return Err(offset_invalid);
    }
    let mut at = prp2.get();
    while left > 0 {
        let mut b = [0u8; 8];
        dma.dma_read(BusAddr::new(at), &mut b)
            .map_err(|_| NvmeStatus::new(0, 0x04, false))?;
        let entry = u64::from_le_bytes(b);
        if at % PAGE == PAGE - 8 && left > PAGE {
            at = entry;
            if at % 8 != 0 {
                return Err(offset_invalid);
            }
            continue;
        }
        if entry % PAGE != 0 {
            return Err(offset_invalid);
        }
        let n = left.min(PAGE);
        out.push(SglEntry::data(BusAddr::new(entry), n as u32));
        left -= n;
        at += 8;
    }
    Ok(out)
}

fn io(dma: &FakeDevice, st: &mut State, e: &SubmissionEntry) -> NvmeStatus {
    let write = match e.opcode() {
        io_opcode::FLUSH => return SUCCESS,
        io_opcode::READ => false,
        io_opcode::WRITE => true,
        _ => return generic(0x01),
    };
    if e.nsid() != 1 {
        return generic(0x0b);
    }
    let shift = st.behaviour.lba_shift;
    let blocks = u64::from(e.blocks());
    if e.slba() + blocks > st.behaviour.lba_count {
        return generic(0x80);
    }
    let len = blocks << shift;
    let entries = match e.psdt() {
        Psdt::Prp => walk_prp(dma, e.prp1(), e.prp2(), len),
        Psdt::SglContiguousMetadata if st.behaviour.sgls & 0b11 != 0 => {
            let opcode = if write { Opcode::Push } else { Opcode::Pull };
            validate(e.sgl(), len as u32, opcode, |a, b: &mut [u8]| {
                dma.dma_read(a, b)
            })
            .map_err(|err| match err {
                SglWalkError::Invalid { violation, .. } => match violation.status() {
                    // The engine's own descriptor-limit code; NVMe says 0Eh.
                    StatusCode::SglDescriptorLimit => generic(0x0e),
                    other => generic(other.code() as u8),
                },
                SglWalkError::Read { .. } => NvmeStatus::new(0, 0x04, false),
            })
        }
        _ => Err(generic(0x02)),
    };
    let entries = match entries {
        Ok(e) => e,
        Err(status) => return status,
    };
    let mut at = (e.slba() << shift) as usize;
    for entry in entries {
        let n = entry.len() as usize;
        if let SglEntry::Data { addr, .. } = entry {
            let r = if write {
                let mut buf = vec![0u8; n];
                dma.dma_read(addr, &mut buf)
                    .map(|()| st.namespace[at..at + n].copy_from_slice(&buf))
            } else {
                dma.dma_write(addr, &st.namespace[at..at + n])
            };
            if r.is_err() {
                return NvmeStatus::new(0, 0x04, false);
            }
        }
        at += n;
    }
    SUCCESS
}
