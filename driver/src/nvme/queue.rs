// SPDX-License-Identifier: MIT OR Apache-2.0
//! The queue mechanics shared by the admin queue and I/O queues: SQ/CQ rings in
//! [`DmaBuffer`]s, doorbells, CIDs, completion matching, tickets.
//!
//! Submitting writes the SQ entry, then a Release fence, then the SQ tail doorbell. Polling
//! reads the status word of the CQ entry at the head (volatile), compares its phase tag with
//! the current lap's, issues an Acquire fence, reads the entry, and after consuming what is new
//! writes the CQ head doorbell. Commands complete in any order: a completion is matched to its
//! command by CID, and the memory the command names is released only when its completion is
//! consumed. The SQ head in each completion frees SQ slots.
//!
//! At most `entries - 1` commands are in flight per queue, which keeps both rings from
//! overflowing: the SQ holds at most the commands in flight, the CQ at most one completion per
//! command in flight.

use std::collections::HashMap;
use std::sync::atomic::{fence, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use crate::address::{BarIndex, BarOffset};
use crate::device::Device;
use crate::error::{Error, Result};
use crate::hostmem::ring::{advance_sq_head, CqCursor};
use crate::hostmem::DmaBuffer;
use crate::hostmem::{DataList, Held};
use crate::nvme::error::{Awaited, CommandRef, NvmeError, Step};
use crate::nvme::regs::{self, CSTS};
use crate::nvme::status::NvmeStatus;
use crate::nvme::wire::{CompletionEntry, SubmissionEntry};

/// How often a waiting ticket checks that the controller is alive (CSTS).
const HEALTH_CHECK_INTERVAL: Duration = Duration::from_millis(200);

/// A CID never handed out: FFFFh means "no command" in the Error Information log.
const RESERVED_CID: u16 = 0xffff;

/// What a command keeps alive until its completion has been consumed: never read, only
/// dropped (or leaked) at the right time.
#[derive(Debug, Default)]
pub(crate) struct Keep {
    pub _held: Vec<Held>,
    pub _data: Option<DataList>,
}

impl Keep {
    pub(crate) fn held(held: Vec<Held>) -> Keep {
        Keep {
            _held: held,
            _data: None,
        }
    }
}

/// A command's completion (its CQ entry, decoded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NvmeCompletion {
    /// Command Identifier.
    pub cid: u16,
    /// Status Field.
    pub status: NvmeStatus,
    /// DW0: command specific result.
    pub result: u32,
    /// SQ Head Pointer at the time of the completion.
    pub sq_head: u16,
    /// SQ Identifier.
    pub sq_id: u16,
    /// The command's name (`"Read"`, `"Identify"`, ...), for messages.
    pub command: &'static str,
}

impl NvmeCompletion {
    /// `Ok(self)` on Successful Completion, else [`NvmeError::Command`].
    pub fn check(self) -> Result<NvmeCompletion> {
        if self.status.is_success() {
            Ok(self)
        } else {
            Err(NvmeError::Command {
                command: self.command,
                queue: self.sq_id,
                cid: self.cid,
                status: self.status,
            }
            .into())
        }
    }
}

struct InFlight {
    tx: Sender<NvmeCompletion>,
    command: &'static str,
    keep: Keep,
}

struct QueueState {
    sq_tail: u32,
    /// Oldest SQ slot the controller may not have fetched yet (from completions' SQ heads).
    sq_head: u32,
    /// Where the next CQ entry is read (and its phase tag: 1 on the first lap).
    cq: CqCursor,
    next_cid: u16,
    in_flight: HashMap<u16, InFlight>,
    closed: bool,
}

/// One SQ/CQ pair (admin or I/O). Tickets hold it by `Arc`.
pub(crate) struct QueueCore {
    pub qid: u16,
    admin: bool,
    device: Arc<dyn Device>,
    pub sq: Arc<DmaBuffer>,
    pub cq: Arc<DmaBuffer>,
    /// Entries of each ring (SQ and CQ have the same size).
    pub entries: u32,
    sq_doorbell: BarOffset,
    cq_doorbell: BarOffset,
    state: Mutex<QueueState>,
}

impl std::fmt::Debug for QueueCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueCore")
            .field("qid", &self.qid)
            .field("entries", &self.entries)
            .finish_non_exhaustive()
    }
}

/// Reads CSTS and turns a fatal or vanished controller into its error.
pub(crate) fn check_controller(device: &dyn Device, during: impl FnOnce() -> Step) -> Result<()> {
    let raw = device.bar_read32(BarIndex::BAR0, BarOffset::new(regs::CSTS_OFFSET))?;
    if raw == u32::MAX {
        return Err(NvmeError::DeviceGone {
            device: device.describe(),
            during: during(),
        }
        .into());
    }
    if tock_registers::LocalRegisterCopy::<u32, CSTS::Register>::new(raw).is_set(CSTS::CFS) {
        return Err(NvmeError::ControllerFatal {
            device: device.describe(),
            during: during(),
        }
        .into());
    }
    Ok(())
}

impl QueueCore {
    /// A queue over `sq` and `cq` (zeroed, `entries` entries each), doorbells at DSTRD
    /// `dstrd`. The caller has told the controller about the rings (AQA/ASQ/ACQ or Create).
    pub fn new(
        qid: u16,
        admin: bool,
        device: Arc<dyn Device>,
        sq: Arc<DmaBuffer>,
        cq: Arc<DmaBuffer>,
        entries: u32,
        dstrd: u8,
    ) -> QueueCore {
        QueueCore {
            qid,
            admin,
            device,
            sq,
            cq,
            entries,
            sq_doorbell: regs::sq_tail_doorbell(qid, dstrd),
            cq_doorbell: regs::cq_head_doorbell(qid, dstrd),
            state: Mutex::new(QueueState {
                sq_tail: 0,
                sq_head: 0,
                cq: CqCursor::new(entries),
                next_cid: 0,
                in_flight: HashMap::new(),
                closed: false,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Commands submitted whose completion has not been consumed.
    pub fn in_flight(&self) -> usize {
        self.lock().in_flight.len()
    }

    fn poll_locked(&self, st: &mut QueueState) -> Result<usize> {
        if st.closed {
            return Ok(0);
        }
        let mut consumed = 0;
        // At most one lap per call: a controller that never flips the phase tag (or a CQ
        // overwritten by someone else) must not keep this loop, and the queue lock, forever.
        while consumed < self.entries as usize {
            let Some(entry) = st.cq.pop::<CompletionEntry>(&self.cq)? else {
                break;
            };
            consumed += 1;
            advance_sq_head(
                &mut st.sq_head,
                st.sq_tail,
                self.entries,
                u32::from(entry.sq_head()),
            );
            if entry.sq_id() != self.qid {
                log::warn!(
                    "NVMe queue {}: completion names SQ {}",
                    self.qid,
                    entry.sq_id()
                );
            }
            match st.in_flight.remove(&entry.cid()) {
                Some(InFlight { tx, command, keep }) => {
                    let completion = NvmeCompletion {
                        cid: entry.cid(),
                        status: entry.status(),
                        result: entry.result(),
                        sq_head: entry.sq_head(),
                        sq_id: entry.sq_id(),
                        command,
                    };
                    // The command's memory is released now that the controller is done with
                    // it, before the ticket hears of it: a waiter that wakes up finds it free.
                    drop(keep);
                    // The ticket may be gone: then nobody wants the completion.
                    let _ = tx.send(completion);
                }
                None => log::warn!(
                    "NVMe queue {}: completion for CID {} which is not in flight ({}); ignored",
                    self.qid,
                    entry.cid(),
                    entry.status()
                ),
            }
        }
        if consumed > 0 {
            // After consuming: the controller may reuse the slots once it sees the new head.
            self.device
                .bar_write32(BarIndex::BAR0, self.cq_doorbell, st.cq.head())?;
        }
        Ok(consumed)
    }

    /// Consumes new completions (at most one CQ lap); returns how many.
    pub(crate) fn poll(&self) -> Result<usize> {
        let mut st = self.lock();
        self.poll_locked(&mut st)
    }

    /// Submits `entry` (its CID replaced), keeping `keep` alive until its completion has been
    /// consumed. Fails with [`NvmeError::QueueFull`] (nothing submitted) when `entries - 1`
    /// commands are in flight.
    pub fn submit(
        self: &Arc<Self>,
        mut entry: SubmissionEntry,
        keep: Keep,
        command: &'static str,
    ) -> Result<NvmeTicket> {
        let mut st = self.lock();
        if st.closed {
            return Err(NvmeError::QueueClosed {
                queue: self.qid,
                cid: entry.cid(),
            }
            .into());
        }
        let n = self.entries;
        let full = |st: &QueueState| {
            st.in_flight.len() + 1 >= n as usize || (st.sq_tail + 1) % n == st.sq_head
        };
        if full(&st) {
            self.poll_locked(&mut st)?;
        }
        if full(&st) {
            return Err(NvmeError::QueueFull {
                queue: self.qid,
                entries: n.min(u32::from(u16::MAX)) as u16,
                in_flight: st.in_flight.len(),
            }
            .into());
        }
        let mut cid = st.next_cid;
        while cid == RESERVED_CID || st.in_flight.contains_key(&cid) {
            cid = cid.wrapping_add(1);
        }
        st.next_cid = cid.wrapping_add(1);
        entry.set_cid(cid);
        self.sq
            .write_obj(st.sq_tail as usize * SubmissionEntry::SIZE, &entry)?;
        let (tx, rx) = crossbeam_channel::bounded(1);
        st.in_flight.insert(cid, InFlight { tx, command, keep });
        st.sq_tail = (st.sq_tail + 1) % n;
        // Release: the SQ entry and any PRP list or SGL segment written while preparing the
        // command must be visible to the controller before the doorbell that makes it fetch them.
        fence(Ordering::Release);
        if let Err(e) = self
            .device
            .bar_write32(BarIndex::BAR0, self.sq_doorbell, st.sq_tail)
        {
            // The controller may or may not have seen the doorbell: the command stays in
            // flight (its memory held) and the failure is reported.
            log::error!("NVMe queue {}: SQ tail doorbell failed: {e}", self.qid);
            return Err(e);
        }
        log::trace!(
            "NVMe queue {}: {command} CID {cid} submitted (tail {})",
            self.qid,
            st.sq_tail
        );
        Ok(NvmeTicket {
            cid,
            command,
            rx,
            queue: Arc::clone(self),
        })
    }

    /// Marks the queue closed. `release` true: the controller no longer uses anything the
    /// commands in flight name, so their memory is released (their tickets report
    /// [`NvmeError::QueueClosed`]). `release` false: that memory is leaked on purpose, rather
    /// than unmapped under a controller that may still write it. Returns how many commands
    /// were still in flight.
    pub(crate) fn close(&self, release: bool) -> usize {
        let mut st = self.lock();
        st.closed = true;
        let pending = st.in_flight.len();
        for (_, cmd) in st.in_flight.drain() {
            if !release {
                std::mem::forget(cmd.keep);
            }
        }
        pending
    }

    /// Waits until no command is in flight (polling), up to `timeout`; returns how many are
    /// left.
    pub(crate) fn drain(&self, timeout: Duration) -> usize {
        let deadline = Instant::now() + timeout;
        loop {
            let pending = {
                let mut st = self.lock();
                if let Err(e) = self.poll_locked(&mut st) {
                    log::error!("NVMe queue {}: polling while draining: {e}", self.qid);
                    return st.in_flight.len();
                }
                st.in_flight.len()
            };
            if pending == 0 || Instant::now() >= deadline {
                return pending;
            }
            std::thread::sleep(Duration::from_micros(100));
        }
    }

    /// Leaks the rings (see [`QueueCore::close`]).
    pub(crate) fn leak_rings(&self) {
        std::mem::forget(Arc::clone(&self.sq));
        std::mem::forget(Arc::clone(&self.cq));
    }
}

/// Receives one command's [`NvmeCompletion`].
#[derive(Debug)]
pub struct NvmeTicket {
    cid: u16,
    command: &'static str,
    rx: Receiver<NvmeCompletion>,
    queue: Arc<QueueCore>,
}

impl NvmeTicket {
    /// The command's identifier.
    pub fn cid(&self) -> u16 {
        self.cid
    }

    /// The command's name.
    pub fn command(&self) -> &'static str {
        self.command
    }

    /// The queue the command was submitted to.
    pub fn queue_id(&self) -> u16 {
        self.queue.qid
    }

    fn closed(&self) -> Error {
        NvmeError::QueueClosed {
            queue: self.queue.qid,
            cid: self.cid,
        }
        .into()
    }

    fn command_ref(&self) -> CommandRef {
        CommandRef {
            command: self.command,
            cid: self.cid,
            admin: self.queue.admin,
            qid: self.queue.qid,
        }
    }

    /// The completion if it has arrived (polls the CQ once).
    pub(crate) fn try_get(&self) -> Result<Option<NvmeCompletion>> {
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

    /// Polling reads host memory only, so a controller that died (CSTS.CFS) or vanished
    /// (all-ones reads) would look like a slow command until the timeout: CSTS is read now and
    /// then to report that instead.
    fn check_controller(&self) -> Result<()> {
        check_controller(self.queue.device.as_ref(), || {
            Step::Waiting(self.command_ref())
        })
    }

    /// Waits up to `timeout` for the completion, polling the CQ (spinning briefly, then
    /// sleeping up to 1 ms between polls) and checking CSTS every 200 ms.
    /// [`NvmeError::Timeout`] after `timeout`, [`NvmeError::QueueClosed`] when the queue was
    /// deleted first, [`NvmeError::ControllerFatal`] / [`NvmeError::DeviceGone`] when the
    /// controller failed. The status is not checked: see [`NvmeCompletion::check`].
    pub fn wait(&self, timeout: Duration) -> Result<NvmeCompletion> {
        let deadline = Instant::now() + timeout;
        let mut pause = Duration::from_micros(1);
        let mut next_check = Instant::now() + HEALTH_CHECK_INTERVAL;
        loop {
            if let Some(c) = self.try_get()? {
                return Ok(c);
            }
            let now = Instant::now();
            if now >= deadline {
                self.check_controller()?;
                return Err(NvmeError::Timeout {
                    what: Awaited::Completion(self.command_ref()),
                    timeout,
                }
                .into());
            }
            if now >= next_check {
                self.check_controller()?;
                next_check = now + HEALTH_CHECK_INTERVAL;
            }
            std::thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(Duration::from_millis(1));
        }
    }
}
