//! The DMA engine and its NVMe-style queue pairs.
//!
//! [`DmaEngine::new`] (or [`crate::Endpoint::dma`]) checks CAPABILITIES.DMA_ENGINE and refuses
//! an endpoint without the engine with [`Error::DmaEngineAbsent`]. [`DmaEngine::create_queue`]
//! allocates the SQ and CQ rings in [`DmaBuffer`]s, programs the queue's registers and enables
//! it. [`QueuePair::submit`] writes an SQ entry and rings the SQ tail doorbell; completions are
//! collected by [`QueuePair::poll`] (called by [`Ticket::wait`] in polling mode, or by the MSI-X
//! thread in interrupt mode) and delivered to each job's [`Ticket`] through a crossbeam channel.
//!
//! Ownership: a [`Job`] names the DMA buffers and peer slices it uses by `Arc`; the queue keeps
//! those `Arc`s until the job's completion has been consumed, so nothing a job names can be
//! unmapped or reallocated while the engine may still touch it. Dropping a [`QueuePair`] waits
//! (bounded by [`QueueConfig::shutdown_timeout`]) for the jobs in flight, disables the queue,
//! and only then lets the rings go; jobs the engine never fetched are released with them (their
//! tickets fail with [`Error::QueueDropped`]). If the queue does not go idle, or a job the engine
//! fetched never writes its CQ entry, the rings and every in-flight job's memory are leaked on
//! purpose rather than unmapped under the device.
//!
//! A full SQ makes [`QueuePair::submit`] fail with [`Error::QueueFull`] (it never blocks):
//! wait for a ticket and submit again.

use std::collections::HashMap;
use std::sync::atomic::{fence, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use crate::address::{BarOffset, BusAddr};
use crate::device::Device;
use crate::dma::memory::{DmaBuffer, DmaMemory};
use crate::dma::peer::{PeerMemory, PeerSlice};
use crate::dma::ring::{advance_sq_head, CqCursor};
use crate::dma::sgl::{SglBuilder, SglEntry};
use crate::dma::wire::{CqEntry, Opcode, SglDescriptor, SqEntry, StatusCode, SQ_FLAG_INTERRUPT};
use crate::error::{Error, QueueLostReason, Result};
use crate::regs::{
    self, RegisterArrayDef, RegisterDef, DMA_COMPLETION_TIMEOUT, DMA_CONTROL, DMA_STATUS,
    QUEUE_CONTROL, QUEUE_CQ_BASE_HI, QUEUE_CQ_BASE_LO, QUEUE_CQ_HEAD, QUEUE_SIZE, QUEUE_SQ_BASE_HI,
    QUEUE_SQ_BASE_LO, QUEUE_SQ_TAIL, QUEUE_STATUS,
};
use tock_registers::fields::FieldValue;
use tock_registers::{LocalRegisterCopy, RegisterLongName};

/// Queue `queue`'s instance of an array register.
fn queue_reg<R: RegisterLongName>(def: &RegisterArrayDef<R>, queue: u16) -> Result<RegisterDef<R>> {
    def.at(u32::from(queue))
}

/// Something a job names and keeps alive until its completion has been consumed.
#[derive(Clone, Debug)]
pub enum Held {
    Buffer(Arc<DmaBuffer>),
    Peer(Arc<PeerSlice>),
    Sgl(Arc<PreparedSgl>),
}

/// A range of a [`PeerSlice`]: the BAR2 side of a PULL, PUSH or CHECKSUM.
#[derive(Clone, Debug)]
pub struct PeerRange {
    slice: Arc<PeerSlice>,
    at: u64,
    len: u32,
}

impl PeerRange {
    /// `len` bytes at byte `at` of `slice` (must lie inside it).
    pub fn new(slice: &Arc<PeerSlice>, at: u64, len: u32) -> Result<PeerRange> {
        slice.offset_at(at.saturating_add(u64::from(len)))?;
        Ok(PeerRange {
            slice: Arc::clone(slice),
            at,
            len,
        })
    }

    /// The whole slice (its length must fit the 32-bit LENGTH field).
    pub fn whole(slice: &Arc<PeerSlice>) -> Result<PeerRange> {
        let len = u32::try_from(slice.len()).map_err(|_| Error::SglBuild {
            reason: format!("a {}-byte slice exceeds the 32-bit LENGTH", slice.len()),
        })?;
        PeerRange::new(slice, 0, len)
    }

    /// BAR2 offset of the range (the SQ entry's BAR2_OFFSET).
    pub fn bar2_offset(&self) -> BarOffset {
        BarOffset::new(self.slice.offset().get() + self.at)
    }

    pub fn len(&self) -> u32 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The list side of a PULL or PUSH: entries in order, plus the resources they name.
#[derive(Clone, Debug, Default)]
pub struct DataList {
    entries: Vec<SglEntry>,
    held: Vec<Held>,
    /// Entries added by [`DataList::push_bus_unchecked`], by index: not checked at submit.
    unchecked: Vec<usize>,
}

impl DataList {
    pub fn new() -> DataList {
        DataList::default()
    }

    /// `len` bytes at byte `offset` of `buf` (kept alive by the job).
    pub fn push_buffer(
        &mut self,
        buf: &Arc<DmaBuffer>,
        offset: usize,
        len: u32,
    ) -> Result<&mut DataList> {
        let end = offset.checked_add(len as usize).ok_or(Error::OutOfBuffer {
            offset,
            len: len as usize,
            buffer_len: buf.len(),
        })?;
        buf.bus_addr_at(end)?;
        self.entries
            .push(SglEntry::data(buf.bus_addr_at(offset)?, len));
        self.held.push(Held::Buffer(Arc::clone(buf)));
        Ok(self)
    }

    /// `len` bytes at byte `at` of a BAR2 slice, by bus address (a peer-to-peer access of the
    /// endpoint to its own BAR2 through the fabric). Kept alive by the job.
    pub fn push_peer(
        &mut self,
        slice: &Arc<PeerSlice>,
        at: u64,
        len: u32,
    ) -> Result<&mut DataList> {
        slice.bus_addr_at(at.saturating_add(u64::from(len)))?;
        self.entries
            .push(SglEntry::data(slice.bus_addr_at(at)?, len));
        self.held.push(Held::Peer(Arc::clone(slice)));
        Ok(self)
    }

    /// `len` bytes at a bus address this driver does not own (another device's BAR, an NVMe
    /// CMB): the caller keeps it valid until the job completes. An address nobody mapped makes
    /// the engine's access fail (IOMMU fault / UR), it cannot corrupt this process's memory.
    ///
    /// Checked at submit: if the range touches this driver's own address space (the IOVA
    /// ranges its DMA buffers come from, or the endpoint's BAR2) it must lie inside a buffer or
    /// slice the list holds ([`DataList::hold`]), else [`QueuePair::submit`] refuses the job
    /// with [`Error::UnmappedListEntry`] (an unmapped or freed buffer, or memory another job
    /// owns). Addresses outside both are not checked.
    pub fn push_bus(&mut self, addr: BusAddr, len: u32) -> &mut DataList {
        self.entries.push(SglEntry::data(addr, len));
        self
    }

    /// Like [`DataList::push_bus`] without the submit-time check: the engine gets the address
    /// as given (tests of the IOMMU, raw addresses a user typed). The IOMMU is then the only
    /// guard.
    pub fn push_bus_unchecked(&mut self, addr: BusAddr, len: u32) -> &mut DataList {
        self.unchecked.push(self.entries.len());
        self.entries.push(SglEntry::data(addr, len));
        self
    }

    /// A Bit Bucket: on PULL, `len` bytes of BAR2 are skipped (rejected on PUSH).
    pub fn push_bit_bucket(&mut self, len: u32) -> &mut DataList {
        self.entries.push(SglEntry::BitBucket { len });
        self
    }

    /// Keeps `held` alive for the job's lifetime.
    pub fn hold(&mut self, held: Held) -> &mut DataList {
        self.held.push(held);
        self
    }

    pub fn entries(&self) -> &[SglEntry] {
        &self.entries
    }

    /// Sum of the entries' lengths.
    pub fn total_len(&self) -> u64 {
        self.entries.iter().map(|e| u64::from(e.len())).sum()
    }

    /// Bus ranges of everything the list holds (lists held by it included).
    fn held_ranges(&self) -> Vec<std::ops::Range<u64>> {
        fn add(held: &[Held], out: &mut Vec<std::ops::Range<u64>>) {
            for h in held {
                match h {
                    Held::Buffer(b) => {
                        let start = b.bus_addr().get();
                        out.push(start..start + b.len() as u64);
                    }
                    Held::Peer(p) => {
                        let start = p.bus_addr().get();
                        out.push(start..start + p.len());
                    }
                    Held::Sgl(s) => add(s.held(), out),
                }
            }
        }
        let mut out = Vec::new();
        add(&self.held, &mut out);
        out
    }

    /// The submit-time check of [`DataList::push_bus`]: every non-empty Data entry that
    /// touches `own` (name, range) lies inside something the list holds.
    fn check_mapped(&self, own: &[(&'static str, std::ops::Range<u64>)]) -> Result<()> {
        let held = self.held_ranges();
        for (index, entry) in self.entries.iter().enumerate() {
            let SglEntry::Data { addr, len } = *entry else {
                continue;
            };
            if len == 0 || self.unchecked.contains(&index) {
                // The engine skips zero-length Data Blocks without reading them.
                continue;
            }
            let start = addr.get();
            let end = start.saturating_add(u64::from(len));
            if held.iter().any(|r| r.start <= start && end <= r.end) {
                continue;
            }
            if let Some((space, _)) = own.iter().find(|(_, r)| start < r.end && r.start < end) {
                return Err(Error::UnmappedListEntry {
                    index,
                    addr,
                    len,
                    space,
                });
            }
        }
        Ok(())
    }
}

/// A list already in device-reachable memory: DPTR plus everything it names. Build it once and
/// reuse it (`Arc`) for many jobs.
#[derive(Debug)]
pub struct PreparedSgl {
    dptr: SglDescriptor,
    held: Vec<Held>,
}

impl PreparedSgl {
    /// Builds `list` with `builder` into a new [`DmaBuffer`] (none for an inline Data Block).
    pub fn build(memory: &DmaMemory, list: &DataList, builder: &SglBuilder) -> Result<PreparedSgl> {
        let mut held = list.held.clone();
        let dptr = if SglBuilder::is_inline(&list.entries) {
            builder.build(&list.entries, BusAddr::new(0))?.dptr
        } else {
            let buf = memory.alloc(builder.list_len(&list.entries))?;
            let built = builder.build(&list.entries, buf.bus_addr())?;
            buf.write(0, &built.list)?;
            held.push(Held::Buffer(Arc::new(buf)));
            built.dptr
        };
        Ok(PreparedSgl { dptr, held })
    }

    /// A list the caller laid out itself (in DMA buffers or BAR2 slices named by `held`).
    pub fn from_parts(dptr: SglDescriptor, held: Vec<Held>) -> PreparedSgl {
        PreparedSgl { dptr, held }
    }

    pub fn dptr(&self) -> SglDescriptor {
        self.dptr
    }

    /// What the list names (kept alive as long as the list).
    pub fn held(&self) -> &[Held] {
        &self.held
    }
}

/// How a PULL or PUSH gets its list.
#[derive(Clone, Debug)]
pub enum Sgl {
    /// Built at submit time with the queue's [`SglBuilder`] (inline DPTR for one Data entry,
    /// else a new [`DmaBuffer`] holding the segments).
    List(DataList),
    /// A list built beforehand.
    Prepared(Arc<PreparedSgl>),
}

/// One DMA job. LENGTH is the peer range's length; the list must add up to it (the engine
/// completes the job with 0Fh otherwise: submit does not second-guess the engine).
#[derive(Clone, Debug)]
pub enum Job {
    Nop,
    /// List addresses -> BAR2.
    Pull {
        peer: PeerRange,
        list: Sgl,
    },
    /// BAR2 -> list addresses.
    Push {
        peer: PeerRange,
        list: Sgl,
    },
    /// CRC32C of the BAR2 range, in [`Completion::result`].
    Checksum {
        peer: PeerRange,
    },
    /// Any SQ entry (its CID is replaced by the queue's; in interrupt mode FLAGS bit 0 is set),
    /// keeping `held` alive: for tests of malformed jobs.
    Raw {
        entry: SqEntry,
        held: Vec<Held>,
    },
}

/// A job's completion (its CQ entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completion {
    pub cid: u16,
    pub status: StatusCode,
    /// CHECKSUM: the CRC32C; PULL/PUSH: bytes moved.
    pub result: u32,
    pub sq_head: u16,
    pub sq_id: u16,
}

impl Completion {
    /// `Ok(self)` on success, else [`Error::DmaStatus`].
    pub fn check(self) -> Result<Completion> {
        if self.status.is_success() {
            Ok(self)
        } else {
            Err(Error::DmaStatus {
                queue: self.sq_id,
                cid: self.cid,
                status: self.status,
            })
        }
    }
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

struct InFlight {
    tx: Sender<Completion>,
    held: Vec<Held>,
    /// The job's SQ slot: tells a job the engine fetched from one it never did.
    slot: u32,
}

struct QueueState {
    sq_tail: u32,
    /// Oldest SQ entry the engine may not have fetched yet (from CQ entries and STATUS).
    sq_head: u32,
    /// Where the next CQ entry is read (and its phase tag: 1 after enable).
    cq: CqCursor,
    next_cid: u16,
    in_flight: HashMap<u16, InFlight>,
    closed: bool,
    /// Set once the device was found to have dropped the queue's jobs (see
    /// [`QueueShared::check_alive`]): nothing is consumed or submitted after that.
    lost: Option<QueueLostReason>,
    /// Set when dropping the QueuePair released jobs the engine never fetched: their tickets
    /// fail with [`Error::QueueDropped`].
    dropped_unfetched: bool,
}

struct QueueShared {
    id: u16,
    device: Arc<dyn Device>,
    sq: Arc<DmaBuffer>,
    cq: Arc<DmaBuffer>,
    sq_entries: u32,
    cq_entries: u32,
    mode: CompletionMode,
    state: Mutex<QueueState>,
    /// Engine-wide count of function resets found by any queue ([`EngineInner::resets`]).
    engine_resets: Arc<AtomicU64>,
    /// How many of those this queue has accounted for: created after them, found alive
    /// (enabled) after them, or found lost. Below `engine_resets`, another queue saw a reset
    /// this queue has not looked for yet.
    resets_checked: AtomicU64,
}

impl QueueShared {
    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn write_reg<R: RegisterLongName>(
        &self,
        def: &RegisterArrayDef<R>,
        value: FieldValue<u32, R>,
    ) -> Result<()> {
        regs::write(self.device.as_ref(), &queue_reg(def, self.id)?, value)
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
                Some(job) => {
                    // The receiver may be gone (ticket dropped): nothing to deliver then.
                    let _ = job.tx.send(completion);
                    // `job.held` drops here: the job's memory is released only now.
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

    fn poll(&self) -> Result<usize> {
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
    /// [`Error::QueueLost`]: its ticket's channel disconnects.
    ///
    /// A function reset found here is recorded engine-wide, so the other queues look at their
    /// own registers at their next wake-up instead of at their own next 200 ms check
    /// ([`QueueShared::reset_pending`]).
    fn check_alive(&self) -> Result<()> {
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
        let lo = self.read_reg(&regs::QUEUE_SQ_BASE_LO_REG)?.get();
        let hi = self.read_reg(&regs::QUEUE_SQ_BASE_HI_REG)?.get();
        let base = (u64::from(hi) << 32) | u64::from(lo);
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
    fn reset_pending(&self) -> bool {
        self.engine_resets.load(Ordering::Relaxed) > self.resets_checked.load(Ordering::Relaxed)
    }

    /// True if SQ slot `slot` lies in `[head, tail)`: the engine, whose SQ head is `head`, has
    /// not fetched it. A head outside the ring (a device gone wrong) proves nothing: false.
    fn unfetched(&self, slot: u32, head: u32, tail: u32) -> bool {
        let n = self.sq_entries;
        head < n && (slot + n - head) % n < (tail + n - head) % n
    }

    fn lost_error(&self, cid: Option<u16>) -> Option<Error> {
        self.lock().lost.map(|reason| Error::QueueLost {
            queue: self.id,
            cid,
            reason,
        })
    }
}

/// How often a polling [`Ticket::wait`] checks that the device still answers.
const HEALTH_CHECK_INTERVAL: Duration = Duration::from_millis(200);

/// How often an interrupt-mode [`Ticket::wait`] looks at its queue's registers while another
/// queue has found a function reset this one has not seen yet (the polling loop wakes at least
/// every millisecond anyway).
const RESET_RECHECK_INTERVAL: Duration = Duration::from_millis(1);

/// Receives one job's [`Completion`].
#[derive(Debug)]
pub struct Ticket {
    cid: u16,
    rx: Receiver<Completion>,
    queue: Arc<QueueShared>,
}

impl std::fmt::Debug for QueueShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueShared")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Ticket {
    /// The job's command identifier.
    pub fn cid(&self) -> u16 {
        self.cid
    }

    /// The completion if it has arrived (polls the CQ once in polling mode).
    pub fn try_get(&self) -> Result<Option<Completion>> {
        if let Ok(c) = self.rx.try_recv() {
            return Ok(Some(c));
        }
        self.queue.poll()?;
        match self.rx.try_recv() {
            Ok(c) => Ok(Some(c)),
            Err(crossbeam_channel::TryRecvError::Empty) => Ok(None),
            Err(crossbeam_channel::TryRecvError::Disconnected) => Err(self.closed()),
        }
    }

    /// Polling reads only host memory, so a device that stopped answering (surprise removal
    /// on a board, a failed simulation) or was reset would look like a slow job until the
    /// timeout. Reading the queue's registers now and then surfaces the device's own error, or
    /// finds the queue dropped ([`QueueShared::check_alive`]): then the completion (written
    /// before the device dropped the queue) or [`Error::QueueLost`].
    fn check_device(&self) -> Result<Option<Completion>> {
        self.queue.check_alive()?;
        self.try_get()
    }

    fn closed(&self) -> Error {
        if let Some(lost) = self.queue.lost_error(Some(self.cid)) {
            return lost;
        }
        if self.queue.lock().dropped_unfetched {
            return Error::QueueDropped {
                queue: self.queue.id,
                cid: self.cid,
            };
        }
        Error::QueueClosed {
            queue: self.queue.id,
            cid: self.cid,
        }
    }

    /// Waits up to `timeout` for the completion ([`Error::DmaTimeout`] after that,
    /// [`Error::QueueDropped`] if the QueuePair was dropped before the engine fetched the job,
    /// [`Error::QueueClosed`] if it was dropped while the engine might still run the job (its
    /// memory is then leaked), [`Error::QueueLost`] if the device dropped the queue: reset,
    /// engine reset, SQ fetch failure). Polling mode polls the
    /// CQ (spinning briefly, then sleeping up to 1 ms between polls); interrupt mode sleeps on
    /// the ticket's channel and also polls the CQ every 200 ms, so a masked or lost interrupt
    /// delays a job by at most that. Both check the queue's registers every 200 ms, so a lost
    /// queue fails its tickets within about that; once any queue of the engine has found a
    /// function reset, the others check at their next wake-up (at once when a wait starts).
    pub fn wait(&self, timeout: Duration) -> Result<Completion> {
        let deadline = Instant::now() + timeout;
        let timed_out = || Error::DmaTimeout {
            queue: self.queue.id,
            cid: self.cid,
            timeout,
        };
        if self.queue.mode == CompletionMode::Interrupt {
            // Sleep on the interrupt, but poll the CQ every HEALTH_CHECK_INTERVAL as well: an
            // interrupt that is masked or lost then delays a job by at most that, and a dead
            // device is noticed.
            loop {
                if self.queue.reset_pending() {
                    if let Some(c) = self.check_device()? {
                        return Ok(c);
                    }
                }
                let now = Instant::now();
                // While a reset is pending (this queue's engine side still busy aborting),
                // look again soon rather than after a whole interval.
                let interval = if self.queue.reset_pending() {
                    RESET_RECHECK_INTERVAL
                } else {
                    HEALTH_CHECK_INTERVAL
                };
                let until = deadline.min(now + interval);
                match self.rx.recv_deadline(until) {
                    Ok(c) => return Ok(c),
                    Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                        return Err(self.closed())
                    }
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                }
                if let Some(c) = self.check_device()? {
                    log::warn!(
                        "queue {}: job {} had completed but no interrupt delivered it",
                        self.queue.id,
                        self.cid
                    );
                    return Ok(c);
                }
                if Instant::now() >= deadline {
                    return Err(timed_out());
                }
            }
        }
        let mut pause = Duration::from_micros(1);
        let mut next_check = Instant::now() + HEALTH_CHECK_INTERVAL;
        loop {
            if let Some(c) = self.try_get()? {
                return Ok(c);
            }
            let now = Instant::now();
            if now >= deadline {
                return match self.check_device()? {
                    Some(c) => Ok(c),
                    None => Err(timed_out()),
                };
            }
            if now >= next_check || self.queue.reset_pending() {
                if let Some(c) = self.check_device()? {
                    return Ok(c);
                }
                next_check = now + HEALTH_CHECK_INTERVAL;
            }
            std::thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(Duration::from_millis(1));
        }
    }
}

/// MSI-X dispatch: vector -> queue.
type IrqTable = Arc<Mutex<Vec<Option<Weak<QueueShared>>>>>;

struct EngineInner {
    device: Arc<dyn Device>,
    memory: DmaMemory,
    peer: PeerMemory,
    /// `Device::iova_ranges`: where this driver's DMA buffers live.
    iova_ranges: Vec<std::ops::Range<u64>>,
    queues: u16,
    msix: bool,
    in_use: Mutex<Vec<bool>>,
    irq_table: IrqTable,
    irq_thread: Mutex<Option<JoinHandle<()>>>,
    /// Function resets found by any queue so far (see [`QueueShared::check_alive`]): lets the
    /// other queues' tickets fail at their next wake-up.
    resets: Arc<AtomicU64>,
    /// MSI-X messages the interrupt thread has received (any vector): proof that interrupts
    /// reach this process, which a job completing does not give (a wait also polls).
    interrupts: Arc<AtomicU64>,
}

impl Drop for EngineInner {
    fn drop(&mut self) {
        let thread = self
            .irq_thread
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(thread) = thread {
            if let Err(e) = self.device.disable_msix() {
                log::warn!("disabling MSI-X: {e}");
            }
            let _ = thread.join();
        }
    }
}

/// The endpoint's DMA engine (cheap to clone). See the [module docs](self).
#[derive(Clone)]
pub struct DmaEngine {
    inner: Arc<EngineInner>,
}

impl std::fmt::Debug for DmaEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DmaEngine")
            .field("device", &self.inner.device.describe())
            .field("queues", &self.inner.queues)
            .field("msix", &self.inner.msix)
            .finish()
    }
}

/// DMA_STATUS, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineStatus {
    pub busy: bool,
    pub tags_in_flight: u8,
}

impl DmaEngine {
    /// The DMA engine of the peerbar endpoint behind `device`: fails with
    /// [`Error::DmaEngineAbsent`] when CAPABILITIES.DMA_ENGINE is 0. Writes nothing.
    pub fn new(device: Arc<dyn Device>) -> Result<DmaEngine> {
        let caps = regs::read(device.as_ref(), &regs::CAPABILITIES_REG)?;
        if !caps.is_set(regs::CAPABILITIES::DMA_ENGINE) {
            return Err(Error::DmaEngineAbsent {
                device: device.describe(),
            });
        }
        let queues = caps.read(regs::CAPABILITIES::DMA_QUEUES) as u16;
        let msix = caps.is_set(regs::CAPABILITIES::MSIX);
        let memory = DmaMemory::new(Arc::clone(&device))?;
        let peer = PeerMemory::new(Arc::clone(&device))?;
        let iova_ranges = device.iova_ranges()?;
        Ok(DmaEngine {
            inner: Arc::new(EngineInner {
                device,
                memory,
                peer,
                iova_ranges,
                queues,
                msix,
                in_use: Mutex::new(vec![false; usize::from(queues)]),
                irq_table: Arc::new(Mutex::new(vec![None; usize::from(queues)])),
                irq_thread: Mutex::new(None),
                resets: Arc::new(AtomicU64::new(0)),
                interrupts: Arc::new(AtomicU64::new(0)),
            }),
        })
    }

    pub fn device(&self) -> &Arc<dyn Device> {
        &self.inner.device
    }

    /// MSI-X messages received so far by the engine's interrupt thread (interrupt-mode queues),
    /// whatever their vector. A job in interrupt mode completes even when its interrupt is lost
    /// (the wait also polls), so this count is what shows that MSI-X works.
    pub fn interrupts_received(&self) -> u64 {
        self.inner.interrupts.load(Ordering::Relaxed)
    }

    /// Number of queue pairs (CAPABILITIES.DMA_QUEUES).
    pub fn queue_count(&self) -> u16 {
        self.inner.queues
    }

    /// Allocator of host DMA buffers for this device.
    pub fn memory(&self) -> &DmaMemory {
        &self.inner.memory
    }

    /// Allocator of BAR2 slices.
    pub fn peer_memory(&self) -> &PeerMemory {
        &self.inner.peer
    }

    fn dev(&self) -> &dyn Device {
        self.inner.device.as_ref()
    }

    /// The bus ranges this driver owns: its IOVA ranges and the endpoint's BAR2.
    fn own_spaces(&self) -> Vec<(&'static str, std::ops::Range<u64>)> {
        let mut spaces: Vec<_> = self
            .inner
            .iova_ranges
            .iter()
            .map(|r| ("this driver's DMA (IOVA) space", r.clone()))
            .collect();
        let bar2 = self.inner.peer.bus_base().get();
        spaces.push((
            "the endpoint's BAR2",
            bar2..bar2.saturating_add(self.inner.peer.bar_len()),
        ));
        spaces
    }

    /// DMA_CONTROL.ENABLE = 1: the engine fetches from enabled queues. Also sets
    /// DMA_CONTROL.EXT_TAGS when the host enabled 8-bit tags (Device Control bit 8): the engine
    /// then gives each tag slot 8 generations of tags (docs/dma-engine.md, "Tag rules").
    pub fn enable(&self) -> Result<()> {
        let ext_tags = match crate::config::pcie_capability(self.dev()) {
            Ok(cap) => cap.is_some_and(|c| c.extended_tags),
            Err(e) => {
                log::warn!("Device Control unreadable ({e}): the engine uses 5-bit tags");
                false
            }
        };
        let tags = if ext_tags {
            DMA_CONTROL::EXT_TAGS::SET
        } else {
            DMA_CONTROL::EXT_TAGS::CLEAR
        };
        regs::modify(
            self.dev(),
            &regs::DMA_CONTROL_REG,
            DMA_CONTROL::ENABLE::SET + tags,
        )
    }

    /// DMA_CONTROL.ENABLE = 0: jobs in flight finish, nothing new is fetched.
    pub fn disable(&self) -> Result<()> {
        regs::modify(
            self.dev(),
            &regs::DMA_CONTROL_REG,
            DMA_CONTROL::ENABLE::CLEAR,
        )
    }

    /// True when DMA_CONTROL.ENABLE is set.
    pub fn is_enabled(&self) -> Result<bool> {
        Ok(regs::read(self.dev(), &regs::DMA_CONTROL_REG)?.is_set(DMA_CONTROL::ENABLE))
    }

    /// DMA_CONTROL.RESET: aborts every job and disables every queue. Tickets of jobs that were
    /// in flight fail with [`Error::QueueLost`] (reason
    /// [`QueueLostReason::QueueDisabled`]) at their next register check; drop the queue pairs
    /// and create them again. ENABLE keeps its value.
    pub fn reset(&self) -> Result<()> {
        regs::modify(self.dev(), &regs::DMA_CONTROL_REG, DMA_CONTROL::RESET::SET)
    }

    /// DMA_STATUS.
    pub fn status(&self) -> Result<EngineStatus> {
        let reg = regs::read(self.dev(), &regs::DMA_STATUS_REG)?;
        Ok(EngineStatus {
            busy: reg.is_set(DMA_STATUS::BUSY),
            tags_in_flight: reg.read(DMA_STATUS::TAGS_IN_FLIGHT) as u8,
        })
    }

    /// Sets DMA_COMPLETION_TIMEOUT in user_clk cycles (250 MHz: 4 ns each; 0 acts as 1).
    pub fn set_completion_timeout_cycles(&self, cycles: u32) -> Result<()> {
        regs::write(
            self.dev(),
            &regs::DMA_COMPLETION_TIMEOUT_REG,
            DMA_COMPLETION_TIMEOUT::CYCLES.val(cycles),
        )
    }

    /// DMA_COMPLETION_TIMEOUT in cycles.
    pub fn completion_timeout_cycles(&self) -> Result<u32> {
        Ok(regs::read(self.dev(), &regs::DMA_COMPLETION_TIMEOUT_REG)?
            .read(DMA_COMPLETION_TIMEOUT::CYCLES))
    }

    /// Sets the completion timeout from a duration (rounded up to 4 ns cycles, saturating).
    pub fn set_completion_timeout(&self, timeout: Duration) -> Result<()> {
        let cycles = timeout.as_nanos().div_ceil(4).min(u128::from(u32::MAX)) as u32;
        self.set_completion_timeout_cycles(cycles.max(1))
    }

    fn start_interrupts(&self) -> Result<()> {
        let mut thread = self
            .inner
            .irq_thread
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if thread.is_some() {
            return Ok(());
        }
        let rx = self.inner.device.enable_msix(self.inner.queues)?;
        let table = Arc::clone(&self.inner.irq_table);
        let interrupts = Arc::clone(&self.inner.interrupts);
        let handle = std::thread::Builder::new()
            .name("peerbar-dma-irq".to_owned())
            .spawn(move || {
                // Ends when the device disables MSI-X (the channel disconnects).
                for vector in rx {
                    interrupts.fetch_add(1, Ordering::Relaxed);
                    let queue = table
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get(usize::from(vector))
                        .cloned()
                        .flatten()
                        .and_then(|w| w.upgrade());
                    match queue {
                        Some(q) => {
                            if let Err(e) = q.poll() {
                                log::error!("queue {}: polling after MSI-X: {e}", q.id);
                            }
                        }
                        None => log::debug!("MSI-X vector {vector} for no queue"),
                    }
                }
            })
            .map_err(|source| Error::Msix {
                operation: "starting the DMA interrupt thread".to_owned(),
                source,
            })?;
        *thread = Some(handle);
        Ok(())
    }

    /// Creates queue pair `config.id`: allocates its rings, programs SQ/CQ base, SIZE,
    /// doorbells and CONTROL (ENABLE, and IRQ_ENABLE + MSIX_VECTOR = id in interrupt mode).
    /// The engine itself must be enabled ([`DmaEngine::enable`]) for jobs to run.
    pub fn create_queue(&self, config: QueueConfig) -> Result<QueuePair> {
        let id = config.id;
        if id >= self.inner.queues {
            return Err(Error::NoSuchQueue {
                queue: id,
                queues: self.inner.queues,
            });
        }
        for entries in [config.sq_entries, config.cq_entries] {
            if !(2..=65536).contains(&entries) {
                return Err(Error::InvalidQueueSize { entries });
            }
        }
        {
            let mut in_use = self.inner.in_use.lock().unwrap_or_else(|e| e.into_inner());
            if in_use[usize::from(id)] {
                return Err(Error::QueueInUse { queue: id });
            }
            in_use[usize::from(id)] = true;
        }
        match self.setup_queue(&config) {
            Ok(q) => Ok(q),
            Err(e) => {
                self.inner.in_use.lock().unwrap_or_else(|e| e.into_inner())[usize::from(id)] =
                    false;
                Err(e)
            }
        }
    }

    fn setup_queue(&self, config: &QueueConfig) -> Result<QueuePair> {
        let id = config.id;
        let interrupt = config.mode == CompletionMode::Interrupt;
        if interrupt {
            if !self.inner.msix {
                return Err(Error::Msix {
                    operation: format!("interrupt mode for queue {id}"),
                    source: std::io::Error::new(
                        std::io::ErrorKind::Unsupported,
                        "the endpoint does not raise MSI-X (CAPABILITIES.MSIX = 0)",
                    ),
                });
            }
            self.start_interrupts()?;
        }
        let sq = Arc::new(
            self.inner
                .memory
                .alloc(config.sq_entries as usize * SqEntry::SIZE)?,
        );
        let cq = Arc::new(
            self.inner
                .memory
                .alloc(config.cq_entries as usize * CqEntry::SIZE)?,
        );
        let shared = Arc::new(QueueShared {
            id,
            device: Arc::clone(&self.inner.device),
            sq,
            cq,
            sq_entries: config.sq_entries,
            cq_entries: config.cq_entries,
            mode: config.mode,
            state: Mutex::new(QueueState {
                sq_tail: 0,
                sq_head: 0,
                cq: CqCursor::new(config.cq_entries),
                next_cid: 0,
                in_flight: HashMap::new(),
                closed: false,
                lost: None,
                dropped_unfetched: false,
            }),
            engine_resets: Arc::clone(&self.inner.resets),
            // Programmed after every reset found so far: none of them concerns this queue.
            resets_checked: AtomicU64::new(self.inner.resets.load(Ordering::Relaxed)),
        });
        let sq_base = shared.sq.bus_addr().get();
        let cq_base = shared.cq.bus_addr().get();
        // Disabled while it is programmed; enabling (0 -> 1) resets SQ head, CQ tail and phase.
        shared.write_reg(&regs::QUEUE_CONTROL_REG, QUEUE_CONTROL::ENABLE::CLEAR)?;
        shared.write_reg(
            &regs::QUEUE_SQ_BASE_LO_REG,
            QUEUE_SQ_BASE_LO::VALUE.val(sq_base as u32),
        )?;
        shared.write_reg(
            &regs::QUEUE_SQ_BASE_HI_REG,
            QUEUE_SQ_BASE_HI::VALUE.val((sq_base >> 32) as u32),
        )?;
        shared.write_reg(
            &regs::QUEUE_CQ_BASE_LO_REG,
            QUEUE_CQ_BASE_LO::VALUE.val(cq_base as u32),
        )?;
        shared.write_reg(
            &regs::QUEUE_CQ_BASE_HI_REG,
            QUEUE_CQ_BASE_HI::VALUE.val((cq_base >> 32) as u32),
        )?;
        shared.write_reg(
            &regs::QUEUE_SIZE_REG,
            QUEUE_SIZE::SQ_ENTRIES_M1.val(config.sq_entries - 1)
                + QUEUE_SIZE::CQ_ENTRIES_M1.val(config.cq_entries - 1),
        )?;
        shared.write_reg(&regs::QUEUE_SQ_TAIL_REG, QUEUE_SQ_TAIL::VALUE.val(0))?;
        shared.write_reg(&regs::QUEUE_CQ_HEAD_REG, QUEUE_CQ_HEAD::VALUE.val(0))?;
        if interrupt {
            self.inner
                .irq_table
                .lock()
                .unwrap_or_else(|e| e.into_inner())[usize::from(id)] =
                Some(Arc::downgrade(&shared));
        }
        let control = if interrupt {
            QUEUE_CONTROL::ENABLE::SET
                + QUEUE_CONTROL::IRQ_ENABLE::SET
                + QUEUE_CONTROL::MSIX_VECTOR.val(u32::from(id))
        } else {
            QUEUE_CONTROL::ENABLE::SET
        };
        // The rings are zeroed (phase 0) and the engine starts with phase 1 on enable.
        shared.write_reg(&regs::QUEUE_CONTROL_REG, control)?;
        log::debug!(
            "DMA queue {id}: SQ {} x{} at {}, CQ {} x{} at {}, {:?}",
            SqEntry::SIZE,
            config.sq_entries,
            shared.sq.bus_addr(),
            CqEntry::SIZE,
            config.cq_entries,
            shared.cq.bus_addr(),
            config.mode
        );
        Ok(QueuePair {
            shared,
            engine: self.clone(),
            builder: config.builder,
            shutdown_timeout: config.shutdown_timeout,
        })
    }
}

/// One SQ/CQ pair. See the [module docs](self).
pub struct QueuePair {
    shared: Arc<QueueShared>,
    engine: DmaEngine,
    builder: SglBuilder,
    shutdown_timeout: Duration,
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
            let offset =
                addr.get()
                    .checked_sub(list.bus_addr().get())
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
    /// with [`Error::QueueFull`] when the SQ has no free slot (nothing is submitted then).
    pub fn submit(&self, job: Job) -> Result<Ticket> {
        let (mut entry, held) = self.prepare(job)?;
        let q = &self.shared;
        let mut st = q.lock();
        if st.closed {
            return Err(Error::QueueClosed {
                queue: q.id,
                cid: 0,
            });
        }
        if let Some(reason) = st.lost {
            return Err(Error::QueueLost {
                queue: q.id,
                cid: None,
                reason,
            });
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
            return Err(Error::QueueFull {
                queue: q.id,
                entries: n,
                in_flight: st.in_flight.len(),
            });
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
    /// [`Error::QueueDropped`], releasing their memory. True when nothing is left in flight;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::BarIndex;
    use crate::device::fake::FakeDevice;
    use crate::dma::sgl::{self, validate, SglWalkError};
    use crate::endpoint::Endpoint;

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
            let cq_base = u64::from(self.reg(q, &regs::QUEUE_CQ_BASE_LO_REG))
                | (u64::from(self.reg(q, &regs::QUEUE_CQ_BASE_HI_REG)) << 32);
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
                let sq_base = u64::from(self.reg(q, &regs::QUEUE_SQ_BASE_LO_REG))
                    | (u64::from(self.reg(q, &regs::QUEUE_SQ_BASE_HI_REG)) << 32);
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
        assert!(matches!(err, Error::DmaEngineAbsent { .. }), "{err}");
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
        assert_eq!(
            u64::from(reg(&dev, &regs::QUEUE_SQ_BASE_LO_REG))
                | (u64::from(reg(&dev, &regs::QUEUE_SQ_BASE_HI_REG)) << 32),
            sq.get()
        );
        assert_eq!(
            u64::from(reg(&dev, &regs::QUEUE_CQ_BASE_LO_REG))
                | (u64::from(reg(&dev, &regs::QUEUE_CQ_BASE_HI_REG)) << 32),
            cq.get()
        );
        assert_eq!(reg(&dev, &regs::QUEUE_SIZE_REG), 7 | (7 << 16));
        assert_eq!(reg(&dev, &regs::QUEUE_CONTROL_REG), 1);
        assert!(matches!(
            engine.create_queue(QueueConfig::new(2)),
            Err(Error::QueueInUse { queue: 2 })
        ));
        assert!(matches!(
            engine.create_queue(QueueConfig::new(4)),
            Err(Error::NoSuchQueue {
                queue: 4,
                queues: 4
            })
        ));
        let mut bad = QueueConfig::new(1);
        bad.sq_entries = 1;
        assert!(matches!(
            engine.create_queue(bad),
            Err(Error::InvalidQueueSize { entries: 1 })
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
        let prepared =
            Arc::new(PreparedSgl::build(mem, &out, &SglBuilder::new(8).unwrap()).unwrap());
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
                Error::QueueLost {
                    queue: 1,
                    cid: Some(0),
                    reason: QueueLostReason::QueueDisabled
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("drop the QueuePair"), "{err}");
        dev.reset().unwrap();
        let err = t0.wait(long).unwrap_err();
        assert!(
            matches!(
                err,
                Error::QueueLost {
                    queue: 0,
                    cid: Some(0),
                    reason: QueueLostReason::FunctionReset
                }
            ),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(matches!(
            q0.submit(Job::Nop),
            Err(Error::QueueLost { cid: None, .. })
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
                Error::QueueFull {
                    queue: 0,
                    entries: 4,
                    in_flight: 3
                }
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
            Err(Error::QueueClosed { queue: 1, .. })
        ));
        assert!(matches!(
            engine.create_queue(QueueConfig::new(1)),
            Err(Error::QueueInUse { queue: 1 })
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
                matches!(err, Error::QueueDropped { queue: 1, cid } if cid == t.cid()),
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
            Err(Error::QueueClosed { queue: 2, .. })
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
                    Error::QueueLost {
                        reason: QueueLostReason::FunctionReset,
                        ..
                    }
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
}
