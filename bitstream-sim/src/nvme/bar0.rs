// SPDX-License-Identifier: MIT OR Apache-2.0
//! BAR0 as the host sees it: registers dispatched by dword, the side effects of CC writes
//! (enable, controller reset, shutdown), doorbells, and the MSI-X table above them.

use super::command::{CQ_ENTRY_SIZE, SQ_ENTRY_SIZE};
use super::data_pointer::PAGE;
use super::queues::{CompletionQueue, SubmissionQueue};
use super::registers::{
    cmb_size, merge, Cc, Shutdown, ACQ, ACQ_HIGH, AQA, ASQ, ASQ_HIGH, CAP, CAP_HIGH, CC, CMBLOC,
    CMBSZ, CMB_LOCATION, CSTS, DOORBELLS, INTMC, INTMS, VERSION, VS,
};
use super::{CommandState, NvmeController, MSIX_TABLE_OFFSET};

impl NvmeController {
    /// The dword at a 4-byte aligned BAR0 offset.
    pub(super) fn read_dword(&self, offset: u64) -> u32 {
        let cmb = self.config.cmb_bytes != 0;
        match offset {
            CAP => self.cap as u32,
            CAP_HIGH => (self.cap >> 32) as u32,
            VS => VERSION,
            INTMS | INTMC => self.regs.intms,
            CC => self.regs.cc.0,
            CSTS => self.regs.csts(),
            AQA => self.regs.aqa,
            ASQ => self.regs.asq as u32,
            ASQ_HIGH => (self.regs.asq >> 32) as u32,
            ACQ => self.regs.acq as u32,
            ACQ_HIGH => (self.regs.acq >> 32) as u32,
            CMBLOC if cmb => CMB_LOCATION,
            CMBSZ if cmb => cmb_size(self.config.cmb_bytes),
            o if o >= MSIX_TABLE_OFFSET => self.msix.read_dword(o),
            _ => 0,
        }
    }

    /// A write of `value` under the byte-lane `mask` to the dword at a 4-byte aligned offset.
    pub(super) fn write_dword(&mut self, offset: u64, value: u32, mask: u32, now: u64) {
        if offset == CC {
            let cc = Cc::masked(merge(self.regs.cc.0, value, mask));
            self.write_cc(cc, now);
        } else if self.regs.write_plain(offset, value, mask) {
            // A plain register took it.
        } else if (DOORBELLS..self.doorbells_end()).contains(&offset) {
            self.ring_doorbell(offset, value, mask);
        } else if offset >= MSIX_TABLE_OFFSET {
            self.msix.write_dword(offset, value, mask);
        }
    }

    fn doorbells_end(&self) -> u64 {
        DOORBELLS + (u64::from(self.config.max_io_queues) + 1) * 8
    }

    /// A doorbell write. Values beyond the queue, doorbells of queues that do not exist and
    /// writes that miss the low 16 bits are logged and ignored.
    fn ring_doorbell(&mut self, offset: u64, value: u32, mask: u32) {
        let index = (offset - DOORBELLS) / 4;
        let qid = (index / 2) as u16;
        let cq = index % 2 == 1;
        let which = if cq { "CQ head" } else { "SQ tail" };
        if mask & 0xffff != 0xffff {
            log::warn!("NVMe: partial write to the {which} doorbell of queue {qid}: ignored");
            return;
        }
        let value = value & mask;
        let outcome = if cq {
            self.cqs.get_mut(&qid).map(|q| q.ring(value))
        } else {
            self.sqs.get_mut(&qid).map(|q| q.ring(value))
        };
        match outcome {
            None => {
                log::warn!("NVMe: {which} doorbell of queue {qid}, which does not exist: ignored")
            }
            Some(Err(why)) => log::warn!("NVMe: {which} doorbell of queue {qid}: {why}: ignored"),
            Some(Ok(())) => {}
        }
    }

    fn write_cc(&mut self, cc: Cc, now: u64) {
        let old = self.regs.cc;
        self.regs.cc = cc;
        match (old.enabled(), cc.enabled()) {
            (true, false) => self.controller_reset(),
            (false, true) => self.enable(now),
            _ => {}
        }
        if !old.shutdown_requested()
            && cc.shutdown_requested()
            && self.regs.shutdown == Shutdown::None
        {
            self.regs.shutdown = Shutdown::Occurring;
        }
    }

    /// CC.EN 0 → 1: checks the admin queue setup; RDY follows after `ready_cycles`, or
    /// CSTS.CFS says why not.
    fn enable(&mut self, now: u64) {
        match self.admin_queues() {
            Ok((sq, cq)) => {
                self.sqs.insert(0, sq);
                self.cqs.insert(0, cq);
                self.ready_at = Some(now.saturating_add(self.config.ready_cycles));
            }
            Err(why) => self.fatal(format!("enable refused: {why}")),
        }
    }

    /// The admin queues AQA, ASQ and ACQ describe, or why CC cannot enable them.
    fn admin_queues(&self) -> Result<(SubmissionQueue, CompletionQueue), String> {
        let cc = self.regs.cc;
        if cc.css() != 0 {
            return Err(format!("CC.CSS {} is not the NVM command set", cc.css()));
        }
        if cc.mps() != 0 {
            return Err(format!("CC.MPS {}: only 4 KiB pages (MPS 0)", cc.mps()));
        }
        if cc.ams() != 0 {
            return Err(format!("CC.AMS {}: only round robin (0)", cc.ams()));
        }
        let (sq_size, cq_size) = self.regs.admin_queue_sizes();
        if sq_size < 2 || cq_size < 2 {
            return Err(format!(
                "AQA {:#x}: admin queues need 2 entries or more",
                self.regs.aqa
            ));
        }
        let (asq, acq) = (self.regs.asq, self.regs.acq);
        if asq % PAGE != 0 || acq % PAGE != 0 {
            return Err(format!("ASQ {asq:#x} / ACQ {acq:#x} not 4 KiB aligned"));
        }
        if asq
            .checked_add(u64::from(sq_size) * SQ_ENTRY_SIZE - 1)
            .is_none()
            || acq
                .checked_add(u64::from(cq_size) * CQ_ENTRY_SIZE - 1)
                .is_none()
        {
            return Err(format!(
                "ASQ {asq:#x} / ACQ {acq:#x}: queue past the end of the bus"
            ));
        }
        let mut cq = CompletionQueue::new(acq, cq_size, Some(0));
        cq.sqs = 1;
        Ok((SubmissionQueue::new(asq, sq_size, 0), cq))
    }

    /// CC.EN 1 → 0: every queue deleted, commands in flight dropped without completion, RDY,
    /// CFS and SHST cleared. CC, AQA, ASQ, ACQ keep their values.
    pub(super) fn controller_reset(&mut self) {
        for (_, command) in std::mem::take(&mut self.commands) {
            if let CommandState::Moving(transfer) = command.state {
                self.orphan_reads.extend(transfer.into_reads());
            }
        }
        self.completions.clear();
        self.sqs.clear();
        self.cqs.clear();
        self.sqs_allowed = self.config.max_io_queues;
        self.cqs_allowed = self.config.max_io_queues;
        self.ready_at = None;
        self.regs.ready = false;
        self.regs.fatal = false;
        self.regs.shutdown = Shutdown::None;
        self.budget = 0;
    }
}
