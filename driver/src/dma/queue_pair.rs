// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`QueuePair`]: one SQ/CQ pair of the engine (submit, poll, shutdown) and [`QueueShared`],
//! the state its [`Ticket`]s and the MSI-X thread share with it.

use std::collections::HashMap;
use std::sync::atomic::{fence, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

use crate::address::{BarOffset, BusAddr};
use crate::device::Device;
use crate::dma::engine::DmaEngine;
use crate::dma::job::{Completion, Job, PeerRange, Sgl};
#[cfg(feature = "test-utils")]
use crate::dma::peer::PeerSlice;
use crate::dma::sgl::SglBuilder;
use crate::dma::ticket::Ticket;
use crate::dma::wire::{CqEntry, Opcode, SglDescriptor, SqEntry, SQ_FLAG_CRC, SQ_FLAG_INTERRUPT};
use crate::dma::{DmaError, QueueLostReason};
use crate::error::{Error, Result};
use crate::hostmem::ring::{advance_sq_head, CqCursor};
use crate::hostmem::{DmaBuffer, Held, PreparedSgl};
use crate::regs::{
    self, RegisterArrayDef, RegisterDef, QUEUE_CONTROL, QUEUE_CQ_HEAD, QUEUE_SQ_TAIL, QUEUE_STATUS,
};
use tock_registers::fields::FieldValue;
use tock_registers::{LocalRegisterCopy, RegisterLongName};

/// Queue `queue`'s instance of an array register.
pub(super) fn queue_reg<R: RegisterLongName>(
    def: &RegisterArrayDef<R>,
    queue: u16,
) -> Result<RegisterDef<R>> {
    def.at(u32::from(queue))
}

/// How completions are noticed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionMode {
    /// [`Ticket::wait`] polls the CQ.
    Polling,
    /// Jobs raise MSI-X vector = queue number; a thread polls the CQ on each interrupt.
    Interrupt,
}

/// Parameters of a queue pair.
#[derive(Clone, Debug)]
pub struct QueueConfig {
    /// Queue number (< CAPABILITIES.DMA_QUEUES).
    pub id: u16,
    /// SQ ring entries (2 ..= 65536).
    pub sq_entries: u32,
    /// CQ ring entries (2 ..= 65536).
    pub cq_entries: u32,
    pub mode: CompletionMode,
    /// How lists given as [`Sgl::List`] are laid out.
    pub builder: SglBuilder,
    /// How long dropping the queue waits for jobs in flight.
    pub shutdown_timeout: Duration,
}

impl QueueConfig {
    /// Queue `id`, 256-entry rings, polling, default builder, 1 s shutdown bound.
    pub fn new(id: u16) -> QueueConfig {
        QueueConfig {
            id,
            sq_entries: 256,
            cq_entries: 256,
            mode: CompletionMode::Polling,
            builder: SglBuilder::default(),
            shutdown_timeout: Duration::from_secs(1),
        }
    }
}

pub(super) struct InFlight {
    tx: Sender<Completion>,
    held: Vec<Held>,
    /// The job's SQ slot: tells a job the engine fetched from one it never did.
    slot: u32,
}

pub(super) struct QueueState {
    pub(super) sq_tail: u32,
    /// Oldest SQ entry the engine may not have fetched yet (from CQ entries and STATUS).
    pub(super) sq_head: u32,
    /// Where the next CQ entry is read (and its phase tag: 1 after enable).
    pub(super) cq: CqCursor,
    pub(super) next_cid: u16,
    pub(super) in_flight: HashMap<u16, InFlight>,
    pub(super) closed: bool,
    /// Set once the device was found to have dropped the queue's jobs (see
    /// [`QueueShared::check_alive`]): nothing is consumed or submitted after that.
    pub(super) lost: Option<QueueLostReason>,
    /// Set when dropping the QueuePair released jobs the engine never fetched: their tickets
    /// fail with [`DmaError::QueueDropped`].
    pub(super) dropped_unfetched: bool,
}

pub(super) struct QueueShared {
    pub(super) id: u16,
    pub(super) device: Arc<dyn Device>,
    pub(super) sq: Arc<DmaBuffer>,
    pub(super) cq: Arc<DmaBuffer>,
    pub(super) sq_entries: u32,
    pub(super) cq_entries: u32,
    pub(super) mode: CompletionMode,
    pub(super) state: Mutex<QueueState>,
    /// Engine-wide count of function resets found by any queue ([`EngineInner::resets`]).
    pub(super) engine_resets: Arc<AtomicU64>,
    /// How many of those this queue has accounted for: created after them, found alive
    /// (enabled) after them, or found lost. Below `engine_resets`, another queue saw a reset
    /// this queue has not looked for yet.
    pub(super) resets_checked: AtomicU64,
}

impl QueueShared {
    pub(super) fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn write_reg<R: RegisterLongName>(
        &self,
        def: &RegisterArrayDef<R>,
        value: FieldValue<u32, R>,
    ) -> Result<()> {
        regs::write(self.device.as_ref(), &queue_reg(def, self.id)?, value)
    }

    /// Writes this queue's element of a 64-bit register pair (low half first).
    pub(super) fn write_reg64(&self, def: &regs::Register64ArrayDef, value: u64) -> Result<()> {
        regs::write64(self.device.as_ref(), &def.at(u32::from(self.id))?, value)
    }

    fn read_reg<R: RegisterLongName>(
        &self,
        def: &RegisterArrayDef<R>,
    ) -> Result<LocalRegisterCopy<u32, R>> {
        regs::read(self.device.as_ref(), &queue_reg(def, self.id)?)
    }

    /// Moves the known SQ head to `new` (see [`advance_sq_head`]).
    fn advance_sq_head(&self, st: &mut QueueState, new: u32) {
        advance_sq_head(&mut st.sq_head, st.sq_tail, self.sq_entries, new);
    }

    fn poll_locked(&self, st: &mut QueueState) -> Result<usize> {
        if st.closed || st.lost.is_some() {
            // Shut down: the queue's registers may belong to a new QueuePair by now. Lost: the
            // device no longer has this queue, and its CQ head doorbell must not be written.
            return Ok(0);
        }
        let consumed = self.consume_cq(st)?;
        if consumed > 0 {
            self.write_reg(
                &regs::QUEUE_CQ_HEAD_REG,
                QUEUE_CQ_HEAD::VALUE.val(st.cq.head()),
            )?;
        }
        Ok(consumed)
    }

    /// Delivers the new CQ entries to their tickets (without the CQ head doorbell).
    fn consume_cq(&self, st: &mut QueueState) -> Result<usize> {
        let mut consumed = 0;
        // At most one lap per call: an engine that never flips the phase tag must not keep
        // this loop, and the queue lock, forever.
        while consumed < self.cq_entries as usize {
            let Some(entry) = st.cq.pop::<CqEntry>(&self.cq)? else {
                break;
            };
            self.advance_sq_head(st, u32::from(entry.sq_head()));
            if entry.sq_id() != self.id {
                log::warn!("queue {}: CQ entry names SQ {}", self.id, entry.sq_id());
            }
            let completion = Completion {
                cid: entry.cid(),
                status: entry.status(),
                result: entry.result(),
                sq_head: entry.sq_head(),
                sq_id: entry.sq_id(),
            };
            match st.in_flight.remove(&entry.cid()) {
                Some(InFlight { tx, held, .. }) => {
                    // The job's memory is released only now that the engine is done with it,
                    // and before the ticket hears of it: a waiter that wakes up finds it free.
                    // (Dropped after the send, an interrupt-mode waiter could see it still
                    // held for a moment: recovery.rs caught that as an IOVA "leak".)
                    drop(held);
                    // The receiver may be gone (ticket dropped): nothing to deliver then.
                    let _ = tx.send(completion);
                }
                None => log::warn!(
                    "queue {}: completion for CID {} which is not in flight ({})",
                    self.id,
                    entry.cid(),
                    entry.status()
                ),
            }
            consumed += 1;
        }
        Ok(consumed)
    }

    pub(super) fn poll(&self) -> Result<usize> {
        let mut st = self.lock();
        self.poll_locked(&mut st)
    }

    /// Finds out whether the device still runs this queue, and if not fails its jobs.
    ///
    /// The driver enabled the queue and never disables it while the QueuePair lives, so
    /// CONTROL.ENABLE reading 0 means the device dropped the queue. Once its STATUS.BUSY also
    /// reads 0 no job of the queue is in the engine any more (a reset during a PUSH packet
    /// finishes that packet first) and every request of its jobs has left the engine: BUSY
    /// stays set while a job's last write (CQ entry, MSI-X message) still waits in the RQ
    /// register (`queue_busy_o`, hw/rtl/peerbar_dma_engine.sv), so the memory the jobs hold can
    /// go, and the CQ read below sees every entry the engine wrote. SQ_BASE then tells a
    /// function reset (every register at its reset value: the base reads back other than the
    /// ring's address, which is never 0 because no IOVA range starts at 0) from the engine
    /// disabling the queue (DMA_CONTROL.RESET or an SQ fetch failure keep the base). This
    /// works the same on a board: it needs only register reads, no help from the OS.
    ///
    /// CQ entries the engine wrote before it dropped the queue are genuine (a CQ entry follows
    /// its job's data) and are delivered; every other job in flight fails with
    /// [`DmaError::QueueLost`]: its ticket's channel disconnects.
    ///
    /// A function reset found here is recorded engine-wide, so the other queues look at their
    /// own registers at their next wake-up instead of at their own next 200 ms check
    /// ([`QueueShared::reset_pending`]).
    pub(super) fn check_alive(&self) -> Result<()> {
        // Read before the registers: a reset recorded after this read is looked for again.
        let resets = self.engine_resets.load(Ordering::Relaxed);
        let mut st = self.lock();
        if st.closed || st.lost.is_some() {
            return Ok(());
        }
        let control = self.read_reg(&regs::QUEUE_CONTROL_REG)?;
        if control.is_set(QUEUE_CONTROL::ENABLE) {
            // Still enabled after every reset recorded so far: none of them touched this queue
            // (it was created after them).
            self.resets_checked.fetch_max(resets, Ordering::Relaxed);
            return Ok(());
        }
        if self
            .read_reg(&regs::QUEUE_STATUS_REG)?
            .is_set(QUEUE_STATUS::BUSY)
        {
            // Being aborted: look again on the next check.
            return Ok(());
        }
        let base = regs::read64(
            self.device.as_ref(),
            &regs::QUEUE_SQ_BASE_REG64.at(u32::from(self.id))?,
        )?;
        let reason = if base == self.sq.bus_addr().get() {
            QueueLostReason::QueueDisabled
        } else {
            QueueLostReason::FunctionReset
        };
        self.consume_cq(&mut st)?;
        log::error!(
            "DMA queue {}: {reason}; failing {} job(s) in flight",
            self.id,
            st.in_flight.len()
        );
        st.lost = Some(reason);
        // Dropping each job's sender disconnects its ticket; its memory is released here.
        st.in_flight.clear();
        if reason == QueueLostReason::FunctionReset {
            // An FLR resets every queue at once. `fetch_max` so that several queues finding
            // the same reset count it once. The counter is only a hint to read registers
            // early (every decision is taken on this queue's own register reads), so Relaxed
            // ordering is enough.
            let seen = self.resets_checked.load(Ordering::Relaxed) + 1;
            self.engine_resets.fetch_max(seen, Ordering::Relaxed);
            self.resets_checked.fetch_max(seen, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Another queue of the engine found a function reset this queue has not looked for: its
    /// registers are worth reading now rather than at the next 200 ms check. (A queue the
    /// engine disabled, `QueueDisabled`, concerns that queue only and is not recorded.)
    pub(super) fn reset_pending(&self) -> bool {
        self.engine_resets.load(Ordering::Relaxed) > self.resets_checked.load(Ordering::Relaxed)
    }

    /// True if SQ slot `slot` lies in `[head, tail)`: the engine, whose SQ head is `head`, has
    /// not fetched it. A head outside the ring (a device gone wrong) proves nothing: false.
    pub(super) fn unfetched(&self, slot: u32, head: u32, tail: u32) -> bool {
        let n = self.sq_entries;
        head < n && (slot + n - head) % n < (tail + n - head) % n
    }

    pub(super) fn lost_error(&self, cid: Option<u16>) -> Option<Error> {
        self.lock().lost.map(|reason| {
            Error::Dma(DmaError::QueueLost {
                queue: self.id,
                cid,
                reason,
            })
        })
    }
}

impl std::fmt::Debug for QueueShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueShared")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// One SQ/CQ pair. See the [module docs](crate::dma).
pub struct QueuePair {
    pub(super) shared: Arc<QueueShared>,
    pub(super) engine: DmaEngine,
    pub(super) builder: SglBuilder,
    pub(super) shutdown_timeout: Duration,
}

impl std::fmt::Debug for QueuePair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueuePair")
            .field("id", &self.shared.id)
            .field("sq_entries", &self.shared.sq_entries)
            .field("cq_entries", &self.shared.cq_entries)
            .field("mode", &self.shared.mode)
            .finish()
    }
}

impl QueuePair {
    pub fn id(&self) -> u16 {
        self.shared.id
    }

    pub fn mode(&self) -> CompletionMode {
        self.shared.mode
    }

    /// Bus addresses of the SQ and CQ rings.
    pub fn ring_addrs(&self) -> (BusAddr, BusAddr) {
        (self.shared.sq.bus_addr(), self.shared.cq.bus_addr())
    }

    /// Jobs submitted whose completion has not been consumed yet.
    pub fn in_flight(&self) -> usize {
        self.shared.lock().in_flight.len()
    }

    /// Consumes new CQ entries, delivers them to their tickets and updates the CQ head
    /// doorbell. Returns how many entries it consumed.
    pub fn poll(&self) -> Result<usize> {
        self.shared.poll()
    }

    fn prepare(&self, job: Job) -> Result<(SqEntry, Vec<Held>)> {
        let list_job =
            |opcode: Opcode, peer: PeerRange, list: Sgl| -> Result<(SqEntry, Vec<Held>)> {
                let prepared = match list {
                    Sgl::List(list) => {
                        list.check_mapped(&self.engine.own_spaces())?;
                        Arc::new(PreparedSgl::build(
                            &self.engine.inner.memory,
                            &list,
                            &self.builder,
                        )?)
                    }
                    Sgl::Prepared(p) => p,
                };
                let entry = SqEntry::new(
                    opcode,
                    0,
                    0,
                    peer.bar2_offset(),
                    peer.len(),
                    prepared.dptr(),
                );
                Ok((entry, vec![Held::Peer(peer.slice), Held::Sgl(prepared)]))
            };
        match job {
            Job::Nop => Ok((
                SqEntry::new(
                    Opcode::Nop,
                    0,
                    0,
                    BarOffset::ZERO,
                    0,
                    SglDescriptor::default(),
                ),
                Vec::new(),
            )),
            Job::Checksum { peer } => Ok((
                SqEntry::new(
                    Opcode::Checksum,
                    0,
                    0,
                    peer.bar2_offset(),
                    peer.len(),
                    SglDescriptor::default(),
                ),
                vec![Held::Peer(peer.slice)],
            )),
            Job::Pull { peer, list } => list_job(Opcode::Pull, peer, list),
            Job::Push { peer, list } => list_job(Opcode::Push, peer, list),
            Job::Raw { entry, held } => Ok((entry, held)),
        }
    }

    /// Test helper (feature `test-utils`).
    /// Submits one [`crate::dma::sgl::SglCase`] as a raw job: zeroes `list` (at least
    /// [`crate::dma::sgl::CASE_LIST_REGION_LEN`] bytes), writes the case's segment memory into
    /// it, and submits the case's opcode, DPTR and LENGTH with BAR2_OFFSET = `peer`'s offset.
    /// The case must have been made with `list.bus_addr()` and `data.bus_addr()` as its bases.
    #[cfg(feature = "test-utils")]
    pub fn submit_sgl_case(
        &self,
        case: &crate::dma::sgl::SglCase,
        list: &Arc<DmaBuffer>,
        data: &Arc<DmaBuffer>,
        peer: &Arc<PeerSlice>,
    ) -> Result<Ticket> {
        list.fill(0, list.len(), 0)?;
        for (addr, bytes) in &case.memory {
            let offset = addr
                .offset_from(list.bus_addr())
                .ok_or(Error::OutOfBuffer {
                    offset: 0,
                    len: bytes.len(),
                    buffer_len: list.len(),
                })?;
            list.write(offset as usize, bytes)?;
        }
        let entry = SqEntry::new(case.opcode, 0, 0, peer.offset(), case.length, case.dptr);
        self.submit(Job::Raw {
            entry,
            held: vec![
                Held::Buffer(Arc::clone(list)),
                Held::Buffer(Arc::clone(data)),
                Held::Peer(Arc::clone(peer)),
            ],
        })
    }

    /// Submits `job`: writes its SQ entry, then (Release fence) the SQ tail doorbell. Fails
    /// with [`DmaError::QueueFull`] when the SQ has no free slot (nothing is submitted then).
    ///
    /// Returns at once; the job's [`Completion`](crate::dma::Completion) arrives on the
    /// [`Ticket`]. A NOP job on the fake device of the `test-utils` feature: the fake runs no
    /// jobs, so the hidden lines write the completion entry the engine would write
    /// (`cargo run --example dma_push` runs PULL and PUSH jobs on the RTL under Verilator).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use peerbar::dma::{Job, QueueConfig};
    /// use peerbar::Endpoint;
    /// # use peerbar::device::fake::FakeDevice;
    /// # fn main() -> peerbar::Result<()> {
    /// # let fake = Arc::new(FakeDevice::peerbar_endpoint(1 << 20).with_dma_engine(4));
    /// # let endpoint = Endpoint::open_shared(fake.clone())?;
    /// let engine = endpoint.dma()?;
    /// engine.enable()?;
    /// let queue = engine.create_queue(QueueConfig::new(0))?;
    ///
    /// let ticket = queue.submit(Job::Nop)?;
    /// # use peerbar::dma::{CqEntry, StatusCode};
    /// # use zerocopy::IntoBytes;
    /// # // What the engine writes: SQ head 1, queue 0, the CID, phase 1.
    /// # let entry = CqEntry::new(0, 1, 0, ticket.cid(), StatusCode::Success, true);
    /// # fake.dma_write(queue.ring_addrs().1, entry.as_bytes())?;
    /// // Polls the CQ (this queue is in polling mode) until the entry arrives or 5 s pass.
    /// let completion = ticket.wait(Duration::from_secs(5))?.check()?;
    /// assert_eq!(completion.cid, ticket.cid());
    /// # Ok(())
    /// # }
    /// ```
    pub fn submit(&self, job: Job) -> Result<Ticket> {
        let (entry, held) = self.prepare(job)?;
        self.submit_entry(entry, held)
    }

    /// Submits a PULL or PUSH like [`QueuePair::submit`] with FLAGS.CRC set: on success the
    /// completion's [`result`](crate::dma::Completion::result) is the CRC32C of the bytes the
    /// job moved, in BAR2 order (as a CHECKSUM of its BAR2 range would give once the job is
    /// done; a Bit Bucket's bytes count as zeros), computed as the data passes: no second pass
    /// over BAR2. On a failed job `result` is the bytes moved, as without the flag. Any other
    /// job is refused with [`DmaError::CrcNeedsData`] (nothing is submitted).
    pub fn submit_with_crc(&self, job: Job) -> Result<Ticket> {
        let kind = match &job {
            Job::Pull { .. } | Job::Push { .. } => None,
            Job::Nop => Some("NOP"),
            Job::Checksum { .. } => Some("CHECKSUM"),
            Job::Raw { .. } => Some("raw"),
        };
        if let Some(job) = kind {
            return Err(Error::Dma(DmaError::CrcNeedsData { job }));
        }
        let (mut entry, held) = self.prepare(job)?;
        entry.set_flags(entry.flags() | SQ_FLAG_CRC);
        self.submit_entry(entry, held)
    }

    fn submit_entry(&self, mut entry: SqEntry, held: Vec<Held>) -> Result<Ticket> {
        let q = &self.shared;
        let mut st = q.lock();
        if st.closed {
            return Err(Error::Dma(DmaError::QueueClosed {
                queue: q.id,
                cid: 0,
            }));
        }
        if let Some(reason) = st.lost {
            return Err(Error::Dma(DmaError::QueueLost {
                queue: q.id,
                cid: None,
                reason,
            }));
        }
        let n = q.sq_entries;
        let next_tail = (st.sq_tail + 1) % n;
        if next_tail == st.sq_head {
            // Looks full: learn how far the engine has fetched, and collect completions.
            let head = q
                .read_reg(&regs::QUEUE_STATUS_REG)?
                .read(QUEUE_STATUS::SQ_HEAD);
            q.advance_sq_head(&mut st, head);
            q.poll_locked(&mut st)?;
        }
        if next_tail == st.sq_head || st.in_flight.len() >= usize::from(u16::MAX) {
            return Err(Error::Dma(DmaError::QueueFull {
                queue: q.id,
                entries: n,
                in_flight: st.in_flight.len(),
            }));
        }
        let mut cid = st.next_cid;
        while st.in_flight.contains_key(&cid) {
            cid = cid.wrapping_add(1);
        }
        st.next_cid = cid.wrapping_add(1);
        entry.set_cid(cid);
        if q.mode == CompletionMode::Interrupt {
            entry.set_flags(entry.flags() | SQ_FLAG_INTERRUPT);
        }
        q.sq.write_obj(st.sq_tail as usize * SqEntry::SIZE, &entry)?;
        let (tx, rx) = crossbeam_channel::bounded(1);
        let slot = st.sq_tail;
        st.in_flight.insert(cid, InFlight { tx, held, slot });
        st.sq_tail = next_tail;
        // Release: the SQ entry (and any list written by `prepare`) must be visible to the
        // device before the doorbell write that tells it to fetch them.
        fence(Ordering::Release);
        if let Err(e) = q.write_reg(
            &regs::QUEUE_SQ_TAIL_REG,
            QUEUE_SQ_TAIL::VALUE.val(next_tail),
        ) {
            // The engine may or may not have seen the doorbell: keep the job in flight (its
            // memory stays held) and report the failure.
            log::error!("queue {}: SQ tail doorbell failed: {e}", q.id);
            return Err(e);
        }
        Ok(Ticket {
            cid,
            rx,
            queue: Arc::clone(q),
        })
    }

    fn shutdown(&mut self) {
        let q = &self.shared;
        if let Some(slot) = self
            .engine
            .inner
            .irq_table
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(usize::from(q.id))
        {
            *slot = None;
        }
        let deadline = Instant::now() + self.shutdown_timeout;
        loop {
            // Jobs the device dropped (reset) would otherwise keep the queue waiting for the
            // whole timeout and then be leaked.
            if let Err(e) = q.check_alive() {
                log::error!("queue {}: checking the queue during shutdown: {e}", q.id);
                break;
            }
            let pending = {
                let mut st = q.lock();
                if let Err(e) = q.poll_locked(&mut st) {
                    log::error!("queue {}: polling during shutdown: {e}", q.id);
                    break;
                }
                st.in_flight.len()
            };
            if pending == 0 || Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_micros(100));
        }
        let disabled = q
            .write_reg(&regs::QUEUE_CONTROL_REG, QUEUE_CONTROL::ENABLE::CLEAR)
            .is_ok();
        // The SQ head of the STATUS read that showed the queue disabled and idle.
        let mut idle_head = None;
        if disabled {
            loop {
                match q.read_reg(&regs::QUEUE_STATUS_REG) {
                    Ok(s) if !s.is_set(QUEUE_STATUS::BUSY) => {
                        idle_head = Some(s.read(QUEUE_STATUS::SQ_HEAD));
                        break;
                    }
                    Ok(_) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_micros(100))
                    }
                    _ => break,
                }
            }
        }
        let released = idle_head.is_some_and(|head| self.release_unfetched(head, deadline));
        let mut st = q.lock();
        st.closed = true;
        if released {
            self.engine
                .inner
                .in_use
                .lock()
                .unwrap_or_else(|e| e.into_inner())[usize::from(q.id)] = false;
            // Rings and everything else are released when the last ticket goes.
            return;
        }
        log::error!(
            "DMA queue {}: {} job(s) still in flight (disabled: {disabled}, idle: {}) after {:?}; leaking its rings and their memory rather than unmapping it under the device",
            q.id,
            st.in_flight.len(),
            idle_head.is_some(),
            self.shutdown_timeout
        );
        for (_, job) in st.in_flight.drain() {
            std::mem::forget(job.held);
        }
        std::mem::forget(Arc::clone(&q.sq));
        std::mem::forget(Arc::clone(&q.cq));
    }

    /// Called once the queue reads disabled and idle with SQ head `head`: delivers the CQ
    /// entries of the jobs the engine fetched, and fails the jobs it never fetched with
    /// [`DmaError::QueueDropped`], releasing their memory. True when nothing is left in flight;
    /// false (nothing released) if a fetched job's CQ entry has not arrived by `deadline`.
    ///
    /// Why the engine can no longer touch the rings or those jobs' memory
    /// (hw/rtl/peerbar_dma_engine.sv): the arbiter picks a queue only if its
    /// QUEUE_CONTROL.ENABLE is set (`q_ready`), and only from `StIdle`; QUEUE_STATUS.BUSY is
    /// set for the queue of the job in progress whenever the FSM is not idle (`queue_busy_o`),
    /// from the SQ entry fetch on, and nothing but re-enabling (which this driver does not do
    /// while the QueuePair lives) makes a disabled queue fetchable again. So once the queue
    /// reads disabled and BUSY 0, its SQ head is final: no slot in `[head, tail)` was fetched or
    /// ever will be. Disabling does not abort a fetched job: it runs to its CQ entry. That
    /// entry is the job's last write to host memory (its data goes first on the same RQ
    /// stream), and BUSY stays set until it (and the MSI-X message, if any) has left the
    /// engine's RQ register, so once BUSY reads 0 every fetched job's CQ entry is in the ring.
    /// The rings are still released only once those entries have been read here: that is how
    /// the fetched jobs are delivered rather than failed.
    fn release_unfetched(&self, head: u32, deadline: Instant) -> bool {
        let q = &self.shared;
        loop {
            let mut st = q.lock();
            if st.lost.is_none() {
                // The queue is disabled: no CQ head doorbell, only delivery.
                if let Err(e) = q.consume_cq(&mut st) {
                    log::error!("queue {}: reading the CQ during shutdown: {e}", q.id);
                    return false;
                }
            }
            let tail = st.sq_tail;
            if st
                .in_flight
                .values()
                .all(|job| q.unfetched(job.slot, head, tail))
            {
                if !st.in_flight.is_empty() {
                    log::warn!(
                        "DMA queue {}: dropped with {} job(s) the engine never fetched; they fail with QueueDropped",
                        q.id,
                        st.in_flight.len()
                    );
                    st.dropped_unfetched = true;
                    // Dropping each sender disconnects its ticket; the memory goes here.
                    st.in_flight.clear();
                }
                return true;
            }
            drop(st);
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_micros(100));
        }
    }
}

impl Drop for QueuePair {
    fn drop(&mut self) {
        self.shutdown();
    }
}
