// SPDX-License-Identifier: MIT OR Apache-2.0
//! Submission and completion queues: ring state, doorbells, and the two host-memory accesses
//! the controller cannot do without (fetching an SQ entry, posting a CQ entry).

use std::collections::{BTreeSet, VecDeque};

use super::bus::NvmeBus;
use super::command::{Sqe, CQ_ENTRY_SIZE, SQ_ENTRY_SIZE};
use super::{Command, NvmeController, MAX_COMMANDS};

/// A submission queue. The host owns the tail (doorbell), the controller the head.
pub(super) struct SubmissionQueue {
    pub base: u64,
    /// Entries (at least 2).
    pub size: u32,
    pub head: u32,
    pub tail: u32,
    pub cq_id: u16,
    /// A Delete I/O SQ is waiting for this queue's commands: nothing more is fetched.
    pub deleting: bool,
}

impl SubmissionQueue {
    /// `base + size * 64` must not overflow (the caller checked it).
    pub fn new(base: u64, size: u32, cq_id: u16) -> SubmissionQueue {
        SubmissionQueue {
            base,
            size,
            head: 0,
            tail: 0,
            cq_id,
            deleting: false,
        }
    }

    pub fn has_work(&self) -> bool {
        !self.deleting && self.head != self.tail
    }

    /// Bus address of the entry at the head.
    pub fn head_address(&self) -> u64 {
        self.base + u64::from(self.head) * SQ_ENTRY_SIZE
    }

    pub fn advance_head(&mut self) {
        self.head = (self.head + 1) % self.size;
    }

    /// A tail doorbell write: the new tail must name an entry of the queue.
    pub fn ring(&mut self, tail: u32) -> Result<(), String> {
        if tail >= self.size {
            return Err(format!("tail {tail} beyond the {}-entry queue", self.size));
        }
        self.tail = tail;
        Ok(())
    }
}

/// A completion queue. The controller owns the tail, the host the head (doorbell).
pub(super) struct CompletionQueue {
    pub base: u64,
    pub size: u32,
    pub head: u32,
    pub tail: u32,
    /// Phase tag of the current lap: 1 on the first, inverted at each wrap.
    pub phase: bool,
    /// MSI-X vector raised after posting, when interrupts are enabled (IEN).
    pub vector: Option<u16>,
    /// Submission queues that complete here.
    pub sqs: u32,
}

impl CompletionQueue {
    /// `base + size * 16` must not overflow (the caller checked it).
    pub fn new(base: u64, size: u32, vector: Option<u16>) -> CompletionQueue {
        CompletionQueue {
            base,
            size,
            head: 0,
            tail: 0,
            phase: true,
            vector,
            sqs: 0,
        }
    }

    /// Full: one more entry would overwrite one the host has not released.
    pub fn full(&self) -> bool {
        (self.tail + 1) % self.size == self.head
    }

    pub fn tail_address(&self) -> u64 {
        self.base + u64::from(self.tail) * CQ_ENTRY_SIZE
    }

    pub fn advance_tail(&mut self) {
        self.tail = (self.tail + 1) % self.size;
        if self.tail == 0 {
            self.phase = !self.phase;
        }
    }

    /// A head doorbell write: the host may release only entries the controller posted.
    pub fn ring(&mut self, head: u32) -> Result<(), String> {
        if head >= self.size {
            return Err(format!("head {head} beyond the {}-entry queue", self.size));
        }
        let posted = (self.tail + self.size - self.head) % self.size;
        let released = (head + self.size - self.head) % self.size;
        if released > posted {
            return Err(format!(
                "head {head} releases {released} entries, only {posted} posted"
            ));
        }
        self.head = head;
        Ok(())
    }
}

impl NvmeController {
    /// Fetches the SQ entries the doorbells announced, one per queue in turn, while there is
    /// room for more commands.
    pub(super) fn fetch(&mut self, now: u64, bus: &mut dyn NvmeBus) {
        loop {
            let ready: Vec<u16> = self
                .sqs
                .iter()
                .filter(|(_, q)| q.has_work())
                .map(|(&id, _)| id)
                .collect();
            if ready.is_empty() {
                return;
            }
            for qid in ready {
                if self.in_flight() >= MAX_COMMANDS || self.regs.fatal {
                    return;
                }
                // An admin command fetched earlier in this round may have stopped the queue.
                let Some(sq) = self.sqs.get_mut(&qid).filter(|q| q.has_work()) else {
                    continue;
                };
                let address = sq.head_address();
                let mut raw = [0u8; SQ_ENTRY_SIZE as usize];
                if let Err(e) = bus.read_host(address, &mut raw) {
                    self.fatal(format!("SQ {qid} entry fetch at {address:#x}: {e}"));
                    return;
                }
                sq.advance_head();
                let cq_id = sq.cq_id;
                let sqe = Sqe::new(raw);
                let state = if qid == 0 {
                    self.execute_admin(&sqe, bus)
                } else {
                    self.execute_io(&sqe, bus)
                };
                let command = Command {
                    sq_id: qid,
                    cq_id,
                    cid: sqe.cid(),
                    earliest: now.saturating_add(self.config.latency_cycles),
                    state,
                };
                self.commands.insert(self.next_command, command);
                self.next_command += 1;
            }
        }
    }

    /// No command of SQ `qid` is in flight or waiting to post.
    pub(super) fn sq_drained(&self, qid: u16) -> bool {
        !self.commands.values().any(|c| c.sq_id == qid)
            && !self.completions.iter().any(|c| c.sq_id == qid)
    }

    pub(super) fn remove_sq(&mut self, qid: u16) {
        if let Some(sq) = self.sqs.remove(&qid) {
            if let Some(cq) = self.cqs.get_mut(&sq.cq_id) {
                cq.sqs -= 1;
            }
        }
    }

    /// Posts completions where the CQ has room (a full CQ keeps its completions waiting, in
    /// order), then raises each interrupt vector that got an entry, once.
    pub(super) fn post_completions(&mut self, bus: &mut dyn NvmeBus) {
        let mut vectors = BTreeSet::new();
        let mut waiting = VecDeque::new();
        while let Some(c) = self.completions.pop_front() {
            let sq_head = self.sqs.get(&c.sq_id).map_or(0, |q| q.head as u16);
            let Some(cq) = self.cqs.get_mut(&c.cq_id).filter(|q| !q.full()) else {
                waiting.push_back(c);
                continue;
            };
            let address = cq.tail_address();
            if let Err(e) = bus.write_host(address, &c.entry(sq_head, cq.phase)) {
                waiting.push_back(c);
                waiting.append(&mut self.completions);
                self.fatal(format!("CQ {} entry write at {address:#x}: {e}", c.cq_id));
                break;
            }
            cq.advance_tail();
            vectors.extend(cq.vector);
            self.stats.commands_completed += 1;
            self.stats.commands_failed += u64::from(!c.status.is_success());
            self.stats.admin_commands += u64::from(c.sq_id == 0);
        }
        self.completions = waiting;
        for vector in vectors {
            bus.interrupt(vector);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cq_ring_wraps_with_the_phase_and_checks_releases() {
        let mut cq = CompletionQueue::new(0x1000, 3, None);
        assert!(cq.phase && !cq.full());
        cq.advance_tail();
        cq.advance_tail();
        assert!(cq.full(), "3 entries hold 2 completions");
        assert!(cq.ring(3).is_err(), "beyond the queue");
        assert!(cq.ring(0).is_ok(), "releasing nothing is fine");
        cq.ring(2).unwrap();
        assert!(cq.ring(1).is_err(), "would release entries never posted");
        cq.advance_tail();
        assert_eq!((cq.tail, cq.phase), (0, false), "phase flips at the wrap");
        assert_eq!(cq.tail_address(), 0x1000);
        let mut sq = SubmissionQueue::new(0x2000, 4, 1);
        assert!(sq.ring(4).is_err());
        sq.ring(3).unwrap();
        assert!(sq.has_work());
        sq.advance_head();
        assert_eq!(sq.head_address(), 0x2040);
    }
}
