// SPDX-License-Identifier: MIT OR Apache-2.0
//! I/O queue pairs: Read, Write, Flush over a [`DataList`].

use std::sync::Arc;

use crate::dma::sgl::{SglBuilder, SglEntry};
use crate::error::{Error, Result};
use crate::hostmem::DmaBuffer;
use crate::hostmem::{DataList, Held};
use crate::nvme::controller::Controller;
use crate::nvme::dptr;
use crate::nvme::error::NvmeError;
use crate::nvme::queue::{Keep, NvmeTicket, QueueCore};
use crate::nvme::wire::{command_name, CompletionEntry, SubmissionEntry};
use crate::nvme::{NamespaceInfo, SglSupport, TransferMode};

/// Largest Read/Write in logical blocks (NLB is a 0-based 16-bit field).
pub(crate) const MAX_BLOCKS_PER_COMMAND: u64 = 1 << 16;

/// What an I/O queue needs to know to check and build its commands.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IoParams {
    pub namespace: NamespaceInfo,
    pub mdts_bytes: Option<u64>,
    /// Resolved: [`TransferMode::Prp`] or [`TransferMode::Sgl`].
    pub transfer: TransferMode,
    pub sgl: SglSupport,
    pub sgl_bit_bucket: bool,
    pub builder: SglBuilder,
}

struct IoQueueInner {
    core: Arc<QueueCore>,
    ctrl: Arc<Controller>,
    params: IoParams,
}

/// One polled I/O queue pair (SQ and CQ with the same id). Cheap to clone: clones share the
/// queue, so several threads can submit; the queue is deleted when the last clone is dropped
/// (after waiting, up to the admin timeout, for its commands).
#[derive(Clone)]
pub struct IoQueue {
    inner: Arc<IoQueueInner>,
}

impl std::fmt::Debug for IoQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IoQueue")
            .field("id", &self.id())
            .field("entries", &self.inner.core.entries)
            .field("transfer", &self.inner.params.transfer)
            .finish()
    }
}

impl IoQueue {
    /// Creates I/O queue `qid` (already claimed): CQ first, then SQ. On failure the id is
    /// released (or retired, when the controller may still hold a queue under it).
    pub(crate) fn create(
        ctrl: &Arc<Controller>,
        qid: u16,
        entries: u32,
        params: IoParams,
    ) -> Result<IoQueue> {
        match IoQueue::create_queues(ctrl, qid, entries) {
            Ok(core) => Ok(IoQueue {
                inner: Arc::new(IoQueueInner {
                    core: Arc::new(core),
                    ctrl: Arc::clone(ctrl),
                    params,
                }),
            }),
            Err((e, deleted)) => {
                ctrl.release_qid(qid, deleted);
                Err(e)
            }
        }
    }

    /// The error and whether the controller is known to hold no queue under `qid`.
    fn create_queues(
        ctrl: &Arc<Controller>,
        qid: u16,
        entries: u32,
    ) -> std::result::Result<QueueCore, (Error, bool)> {
        let memory = ctrl.memory();
        let alloc = |bytes: usize| memory.alloc(bytes).map(Arc::new).map_err(|e| (e, true));
        let cq = alloc(entries as usize * CompletionEntry::SIZE)?;
        let sq = alloc(entries as usize * SubmissionEntry::SIZE)?;
        let create_cq = SubmissionEntry::create_io_cq(qid, entries, cq.bus_addr());
        let create_sq = SubmissionEntry::create_io_sq(qid, entries, sq.bus_addr(), qid);
        // The command holds the ring until it completes; after that the queue (or the leak
        // below) keeps it.
        if let Err(e) = ctrl.admin(create_cq, vec![Held::Buffer(Arc::clone(&cq))]) {
            return Err(leak_unless_refused(e, &[&cq]));
        }
        if let Err(e) = ctrl.admin(create_sq, vec![Held::Buffer(Arc::clone(&sq))]) {
            let (e, sq_absent) = leak_unless_refused(e, &[&sq]);
            return match ctrl.admin(SubmissionEntry::delete_io_cq(qid), Vec::new()) {
                Ok(_) => Err((e, sq_absent)),
                Err(del) => {
                    log::error!("NVMe I/O queue {qid}: deleting the CQ after a failed SQ creation: {del}; leaking the CQ memory");
                    std::mem::forget(cq);
                    Err((e, false))
                }
            };
        }
        log::debug!(
            "NVMe I/O queue {qid}: {entries} entries, SQ at {}, CQ at {}",
            sq.bus_addr(),
            cq.bus_addr()
        );
        Ok(QueueCore::new(
            qid,
            false,
            Arc::clone(ctrl.device()),
            sq,
            cq,
            entries,
            ctrl.dstrd(),
        ))
    }

    /// The queue id (SQ and CQ).
    pub(crate) fn id(&self) -> u16 {
        self.inner.core.qid
    }

    /// Entries of the SQ and the CQ.
    pub fn entries(&self) -> u32 {
        self.inner.core.entries
    }

    /// PRP or SGL, as resolved by [`crate::nvme::Nvme::open`].
    pub fn transfer_mode(&self) -> TransferMode {
        self.inner.params.transfer
    }

    /// Namespace 1, which Read and Write address.
    pub fn namespace(&self) -> &NamespaceInfo {
        &self.inner.params.namespace
    }

    /// Reads `data.total_len()` bytes from LBA `lba` into `data` (host buffers, BAR2 slices,
    /// raw bus addresses, bit buckets to discard). The length must be a whole number of LBAs
    /// inside the namespace and within MDTS; a list the transfer mode cannot express is
    /// refused. Every refusal is [`NvmeError::BadTransfer`], before anything is submitted.
    pub fn read(&self, lba: u64, data: &DataList) -> Result<NvmeTicket> {
        self.transfer(false, lba, data)
    }

    /// Writes `data` to LBA `lba`, with the same checks as [`IoQueue::read`]; bit buckets are
    /// refused.
    pub fn write(&self, lba: u64, data: &DataList) -> Result<NvmeTicket> {
        self.transfer(true, lba, data)
    }

    /// Flushes namespace 1's volatile write cache.
    pub fn flush(&self) -> Result<NvmeTicket> {
        let nsid = self.inner.params.namespace.nsid;
        self.inner
            .core
            .submit(SubmissionEntry::flush(nsid), Keep::default(), "Flush")
    }

    /// Submits a hand-built entry (its CID is filled in), holding `held` alive until its
    /// completion has been consumed: for tests of the controller's own checks (malformed
    /// SGLs and PRPs, reserved fields).
    pub fn submit_raw(&self, entry: SubmissionEntry, held: Vec<Held>) -> Result<NvmeTicket> {
        let command = command_name(false, entry.opcode());
        self.inner.core.submit(entry, Keep::held(held), command)
    }

    /// Consumes new completions and delivers them to their tickets; returns how many.
    pub fn poll(&self) -> Result<usize> {
        self.inner.core.poll()
    }

    /// Commands submitted whose completion has not been consumed yet.
    pub fn in_flight(&self) -> usize {
        self.inner.core.in_flight()
    }

    /// The SQ and CQ ring buffers (diagnostics: bus addresses, contents).
    pub fn ring_buffers(&self) -> (&DmaBuffer, &DmaBuffer) {
        (&self.inner.core.sq, &self.inner.core.cq)
    }

    /// Checks the transfer's shape; returns the number of LBAs.
    fn check_shape(&self, write: bool, lba: u64, data: &DataList) -> Result<u32, String> {
        let ns = &self.inner.params.namespace;
        let lba_size = u64::from(ns.lba_size);
        let len = data.total_len();
        if len == 0 {
            return Err("the data list is empty".to_owned());
        }
        if len % lba_size != 0 {
            return Err(format!(
                "{len} bytes is not a whole number of {lba_size}-byte LBAs"
            ));
        }
        let blocks = len / lba_size;
        if blocks > MAX_BLOCKS_PER_COMMAND {
            return Err(format!(
                "{blocks} LBAs in one command, at most {MAX_BLOCKS_PER_COMMAND}: split the transfer"
            ));
        }
        if lba.checked_add(blocks).is_none_or(|end| end > ns.lba_count) {
            return Err(format!(
                "LBAs {lba} ..= {} run past the end of namespace {} ({} LBAs)",
                lba.saturating_add(blocks - 1),
                ns.nsid,
                ns.lba_count
            ));
        }
        if let Some(mdts) = self.inner.params.mdts_bytes {
            if len > mdts {
                return Err(format!(
                    "{len} bytes exceeds the controller's maximum data transfer size (MDTS) of {mdts} bytes: split the transfer"
                ));
            }
        }
        if write {
            if let Some(i) = data
                .entries()
                .iter()
                .position(|e| matches!(e, SglEntry::BitBucket { .. }))
            {
                return Err(format!(
                    "entry {i} is a bit bucket: bit buckets are only allowed in reads"
                ));
            }
        }
        Ok(blocks as u32)
    }

    fn transfer(&self, write: bool, lba: u64, data: &DataList) -> Result<NvmeTicket> {
        let command = if write { "Write" } else { "Read" };
        let blocks = self
            .check_shape(write, lba, data)
            .map_err(|reason| NvmeError::BadTransfer { command, reason })?;
        let p = &self.inner.params;
        let memory = self.inner.ctrl.memory();
        let prepared = match p.transfer {
            TransferMode::Sgl => dptr::sgl(memory, data, &p.builder, p.sgl, p.sgl_bit_bucket),
            _ => dptr::prp(memory, data),
        }
        .map_err(|e| match e {
            Error::Nvme(NvmeError::BadTransfer { reason, .. }) => {
                NvmeError::BadTransfer { command, reason }.into()
            }
            other => other,
        })?;
        let mut entry = SubmissionEntry::read_write(write, p.namespace.nsid, lba, blocks);
        entry.set_data_pointer(&prepared.pointer());
        self.inner.core.submit(entry, prepared.into_keep(), command)
    }
}

/// Turns a failed Create into (error, controller holds no queue): a refusal by status means
/// the controller did not take the ring; anything else (timeout, dead controller) may have,
/// so the ring memory is leaked.
fn leak_unless_refused(e: Error, rings: &[&Arc<DmaBuffer>]) -> (Error, bool) {
    if matches!(e, Error::Nvme(NvmeError::Command { .. })) {
        return (e, true);
    }
    for ring in rings {
        std::mem::forget(Arc::clone(ring));
    }
    (e, false)
}

impl Drop for IoQueueInner {
    fn drop(&mut self) {
        let core = &self.core;
        let qid = core.qid;
        let timeout = self.ctrl.timeout;
        let pending = core.drain(timeout);
        if pending > 0 {
            log::warn!(
                "NVMe I/O queue {qid}: {pending} command(s) still in flight after {timeout:?}; deleting the queue aborts them"
            );
        }
        // Deleting the SQ aborts what is left in it; the controller no longer touches the
        // commands' memory once the deletion completes.
        let sq_deleted = match self
            .ctrl
            .admin(SubmissionEntry::delete_io_sq(qid), Vec::new())
        {
            Ok(_) => true,
            Err(e) => {
                log::error!("NVMe I/O queue {qid}: Delete I/O SQ: {e}");
                false
            }
        };
        if sq_deleted {
            // Completions of aborted commands, if the controller posted any.
            let _ = core.poll();
        }
        let cq_deleted = sq_deleted
            && match self
                .ctrl
                .admin(SubmissionEntry::delete_io_cq(qid), Vec::new())
            {
                Ok(_) => true,
                Err(e) => {
                    log::error!("NVMe I/O queue {qid}: Delete I/O CQ: {e}");
                    false
                }
            };
        let left = core.close(sq_deleted);
        if !sq_deleted {
            log::error!(
                "NVMe I/O queue {qid}: not deleted; leaking its rings and the memory of {left} command(s) rather than unmapping it under the controller"
            );
            core.leak_rings();
        } else if !cq_deleted {
            log::error!("NVMe I/O queue {qid}: CQ not deleted; leaking its memory");
            std::mem::forget(Arc::clone(&core.cq));
        }
        self.ctrl.release_qid(qid, cq_deleted);
    }
}
