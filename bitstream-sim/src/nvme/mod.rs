//! A behavioural, cycle-driven model of an NVMe controller: the second endpoint on the
//! simulated PCIe fabric, the SSD of the NVMe → BAR2 data path (docs/nvme-peer.md is the
//! contract it implements).
//!
//! The host drives it through BAR0 ([`NvmeController::read_register`] /
//! [`NvmeController::write_register`]); the simulation clocks it with
//! [`NvmeController::tick`], and every DMA it makes goes through an [`NvmeBus`]: queue entries,
//! PRP lists and SGL segments synchronously from host memory, data as posted writes and
//! tagged reads that the fabric may route to a peer's BAR.
//!
//! Layout: [`registers`] (BAR0 register file), [`queues`] (rings and doorbells), [`command`]
//! (SQ/CQ entry formats), [`admin`] and [`io`] (the command sets), [`data_pointer`] (PRP and
//! SGL walking), [`transfer`] (chunked data movement under the bandwidth budget),
//! [`namespace`], [`msix`] (the MSI-X table in BAR0), [`status`], [`config_space`].

mod admin;
pub mod bus;
mod command;
pub mod config_space;
mod data_pointer;
mod io;
mod msix;
mod namespace;
mod queues;
mod registers;
mod sparse;
mod status;
mod transfer;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use self::bus::{NvmeBus, ReadHandle};
use self::command::{Completion, Sqe, SQ_ENTRY_SIZE};
use self::data_pointer::PAGE;
use self::msix::{MsixTable, MAX_VECTORS};
use self::namespace::Namespace;
use self::queues::{CompletionQueue, SubmissionQueue};
use self::registers::{Cc, Registers, Shutdown};
use self::sparse::SparseMemory;
use self::status::Status;
use self::transfer::{Mover, Transfer};
use crate::SimError;

pub use self::msix::{MsixMessage, MSIX_PBA_OFFSET, MSIX_TABLE_OFFSET};
pub use self::namespace::NamespaceBacking;

/// Commands the controller holds at once, fetched and not yet posted (across all queues).
const MAX_COMMANDS: usize = 256;
/// The largest chunk one DMA moves; the bandwidth budget never accumulates less than this,
/// so every chunk can eventually go.
const MAX_CHUNK: u64 = PAGE;
/// Largest CMB: its size in 4 KiB units must fit CMBSZ.SZ (20 bits) with SZU = 0.
const MAX_CMB_BYTES: u64 = 1 << 30;
/// I/O queues whose doorbells fit below the MSI-X table.
const MAX_IO_QUEUES: u16 = ((MSIX_TABLE_OFFSET - registers::DOORBELLS) / 8 - 1) as u16;

/// How the model is built. See docs/nvme-peer.md for what each value means to the host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NvmeConfig {
    pub namespace: NamespaceBacking,
    /// Bytes per logical block: 512 or 4096.
    pub lba_size: u32,
    /// Advertise and accept SGLs (byte-aligned, with Bit Buckets). Without them an SGL
    /// command fails with Invalid Field in Command.
    pub sgl: bool,
    /// A command completes no earlier than this many cycles after its fetch.
    pub latency_cycles: u64,
    /// Data bandwidth shared by all commands, bytes per cycle; 0 = unlimited.
    pub bytes_per_cycle: u32,
    /// Cycles from CC.EN = 1 to CSTS.RDY = 1.
    pub ready_cycles: u64,
    /// Largest queue in entries (CAP.MQES + 1): 2..=65536.
    pub max_queue_entries: u32,
    /// I/O queue pairs the host may negotiate: 1..=1023 (their doorbells fit below the MSI-X
    /// table).
    pub max_io_queues: u16,
    /// Maximum Data Transfer Size as a power of two of 4 KiB pages; 0 = no limit.
    pub mdts: u8,
    /// MSI-X vectors: 1..=128.
    pub msix_vectors: u16,
    /// Controller memory buffer (BAR2) bytes: 0 = none, else a power of two of 4 KiB..=1 GiB.
    pub cmb_bytes: u64,
    /// Identify strings, printable ASCII of at most 20, 40 and 8 bytes.
    pub serial: String,
    pub model: String,
    pub firmware: String,
}

impl Default for NvmeConfig {
    /// A 64 MiB memory namespace of 512-byte blocks, SGLs, 10 µs latency and 7 GB/s at
    /// 250 MHz.
    fn default() -> NvmeConfig {
        NvmeConfig {
            namespace: NamespaceBacking::Memory { bytes: 64 << 20 },
            lba_size: 512,
            sgl: true,
            latency_cycles: 2_500,
            bytes_per_cycle: 28,
            ready_cycles: 1_000,
            max_queue_entries: 1024,
            max_io_queues: 16,
            mdts: 8,
            msix_vectors: 8,
            cmb_bytes: 0,
            serial: "PEERBAR0001".into(),
            model: "peerbar simulated NVMe".into(),
            firmware: "1.0".into(),
        }
    }
}

impl NvmeConfig {
    fn validate(&self) -> Result<(), SimError> {
        let bad = |why: String| Err(SimError::InvalidConfig(format!("NVMe model: {why}")));
        if self.lba_size != 512 && self.lba_size != 4096 {
            return bad(format!("lba_size {} (512 or 4096)", self.lba_size));
        }
        if !(2..=65_536).contains(&self.max_queue_entries) {
            return bad(format!(
                "max_queue_entries {} (2..=65536)",
                self.max_queue_entries
            ));
        }
        if !(1..=MAX_IO_QUEUES).contains(&self.max_io_queues) {
            return bad(format!(
                "max_io_queues {} (1..={MAX_IO_QUEUES})",
                self.max_io_queues
            ));
        }
        if !(1..=MAX_VECTORS).contains(&self.msix_vectors) {
            return bad(format!(
                "msix_vectors {} (1..={MAX_VECTORS})",
                self.msix_vectors
            ));
        }
        if self.cmb_bytes != 0
            && (!self.cmb_bytes.is_power_of_two()
                || !(PAGE..=MAX_CMB_BYTES).contains(&self.cmb_bytes))
        {
            return bad(format!(
                "cmb_bytes {} (0 or a power of two of 4 KiB..=1 GiB)",
                self.cmb_bytes
            ));
        }
        for (name, value, max) in [
            ("serial", &self.serial, 20),
            ("model", &self.model, 40),
            ("firmware", &self.firmware, 8),
        ] {
            if value.len() > max || !value.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
                return bad(format!(
                    "{name} {value:?} (printable ASCII, at most {max} bytes)"
                ));
            }
        }
        Ok(())
    }

    /// MDTS in bytes, `None` for no limit.
    fn max_transfer(&self) -> Option<u64> {
        // Transfers never exceed 65 536 blocks of 4 KiB (2^28 bytes): larger limits are none.
        (self.mdts != 0 && self.mdts <= 16).then(|| PAGE << self.mdts)
    }
}

/// Counters since the controller was built (resets do not clear them).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NvmeStats {
    /// Completion queue entries posted (admin and I/O, whatever their status).
    pub commands_completed: u64,
    /// Of those, entries with a non-zero status.
    pub commands_failed: u64,
    /// Namespace bytes written to the bus (Read data; Bit Buckets excluded).
    pub bytes_read: u64,
    /// Bytes from the bus committed to the namespace (Write data).
    pub bytes_written: u64,
    /// Data, PRP list and SGL segment DMAs the bus refused or completed with an error.
    pub dma_faults: u64,
    /// Completion entries posted for admin commands.
    pub admin_commands: u64,
}

/// A command between its fetch and its completion entry.
struct Command {
    sq_id: u16,
    cq_id: u16,
    cid: u16,
    /// Fetch time + latency: the completion waits at least until then.
    earliest: u64,
    state: CommandState,
}

enum CommandState {
    /// The outcome is known (no data, or rejected before any moved).
    Finished { result: u32, status: Status },
    /// Data is moving.
    Moving(Transfer),
    /// Delete I/O SQ: waits until every command of that SQ has posted its completion.
    DeletingSq(u16),
}

impl CommandState {
    fn done(result: u32) -> CommandState {
        CommandState::Finished {
            result,
            status: Status::SUCCESS,
        }
    }

    fn failed(status: Status) -> CommandState {
        CommandState::Finished { result: 0, status }
    }
}

/// The NVMe controller model.
pub struct NvmeController {
    config: NvmeConfig,
    namespace: Namespace,
    cmb: SparseMemory,
    cap: u64,
    regs: Registers,
    msix: MsixTable,
    /// CSTS.RDY rises at this time (an enable is in progress).
    ready_at: Option<u64>,
    sqs: BTreeMap<u16, SubmissionQueue>,
    cqs: BTreeMap<u16, CompletionQueue>,
    /// I/O SQs and CQs the host may create (Set Features Number of Queues), 1-based.
    sqs_allowed: u16,
    cqs_allowed: u16,
    /// In flight, by fetch order (the FIFO order of the data mover).
    commands: BTreeMap<u64, Command>,
    next_command: u64,
    /// Finished commands waiting for room in their CQ, in completion order.
    completions: VecDeque<Completion>,
    /// Reads of commands a reset dropped: still on the bus (holding tags) until they return.
    orphan_reads: Vec<ReadHandle>,
    /// Bandwidth budget carried between ticks, bytes.
    budget: u64,
    stats: NvmeStats,
}

impl NvmeController {
    /// Bytes of BAR0: registers, doorbells, MSI-X table and PBA.
    pub const BAR0_LEN: u64 = 0x4000;

    pub fn new(config: NvmeConfig) -> Result<NvmeController, SimError> {
        config.validate()?;
        let namespace = Namespace::open(&config.namespace, config.lba_size)?;
        Ok(NvmeController {
            namespace,
            cmb: SparseMemory::new(config.cmb_bytes),
            cap: registers::capabilities(&config),
            regs: Registers::default(),
            msix: MsixTable::new(config.msix_vectors),
            ready_at: None,
            sqs: BTreeMap::new(),
            cqs: BTreeMap::new(),
            sqs_allowed: config.max_io_queues,
            cqs_allowed: config.max_io_queues,
            commands: BTreeMap::new(),
            next_command: 0,
            completions: VecDeque::new(),
            orphan_reads: Vec::new(),
            budget: 0,
            stats: NvmeStats::default(),
            config,
        })
    }

    pub fn config(&self) -> &NvmeConfig {
        &self.config
    }

    pub fn stats(&self) -> NvmeStats {
        self.stats
    }

    /// BAR0 read of any length (1, 2, 4, 8 bytes naturally aligned, or bulk), little-endian
    /// as a CPU sees it. Unimplemented offsets, doorbells and bytes past BAR0 read 0.
    pub fn read_register(&mut self, offset: u64, buf: &mut [u8]) {
        for (i, byte) in buf.iter_mut().enumerate() {
            *byte = match offset.checked_add(i as u64) {
                Some(at) if at < Self::BAR0_LEN => {
                    (self.read_dword(at & !3) >> ((at & 3) * 8)) as u8
                }
                _ => 0,
            };
        }
    }

    /// BAR0 write of any length. Each register sees the bytes that hit it merged into its
    /// current value; read-only and unimplemented bytes ignore writes. `now` times an enable.
    pub fn write_register(&mut self, offset: u64, data: &[u8], now: u64) {
        // Group the bytes by dword: (dword offset, value, byte-lane mask).
        let mut dwords: Vec<(u64, u32, u32)> = Vec::new();
        for (i, &byte) in data.iter().enumerate() {
            let Some(at) = offset.checked_add(i as u64).filter(|&a| a < Self::BAR0_LEN) else {
                break;
            };
            let shift = (at & 3) * 8;
            match dwords.last_mut() {
                Some((d, value, mask)) if *d == at & !3 => {
                    *value |= u32::from(byte) << shift;
                    *mask |= 0xff << shift;
                }
                _ => dwords.push((at & !3, u32::from(byte) << shift, 0xff << shift)),
            }
        }
        for (dword, value, mask) in dwords {
            self.write_dword(dword, value, mask, now);
        }
    }

    /// The message to send for MSI-X `vector` (from the table in BAR0), `None` while the
    /// vector is masked or does not exist. MSI-X Enable and Function Mask live in config space.
    pub fn msix_message(&self, vector: u16) -> Option<MsixMessage> {
        self.msix.message(vector)
    }

    /// Reads CMB bytes; bytes past the CMB read 0.
    pub fn cmb_read(&self, offset: u64, buf: &mut [u8]) {
        self.cmb.read(offset, buf);
    }

    /// Writes CMB bytes; bytes past the CMB are dropped.
    pub fn cmb_write(&mut self, offset: u64, data: &[u8]) {
        self.cmb.write(offset, data);
    }

    /// Backdoor read of namespace bytes at a byte offset (tests, diagnostics).
    pub fn namespace_read(&self, offset: u64, buf: &mut [u8]) -> Result<(), SimError> {
        self.namespace
            .read(offset, buf)
            .map_err(|e| backdoor_error("read", e))
    }

    /// Backdoor write of namespace bytes at a byte offset (tests seeding data).
    pub fn namespace_write(&mut self, offset: u64, data: &[u8]) -> Result<(), SimError> {
        self.namespace
            .write(offset, data)
            .map_err(|e| backdoor_error("write", e))
    }

    /// True while [`tick`](Self::tick) has anything to do. False when the controller only
    /// waits for the host (an empty SQ, a full CQ), so the simulation can stop clocking.
    pub fn busy(&self) -> bool {
        if self.ready_at.is_some() || !self.orphan_reads.is_empty() {
            return true;
        }
        if self.regs.shutdown == Shutdown::Occurring && (self.regs.fatal || self.in_flight() == 0) {
            return true;
        }
        if !self.regs.ready || self.regs.fatal {
            return false;
        }
        if self.commands.values().any(|c| self.can_progress(c))
            || self.completions.iter().any(|c| self.postable(c))
        {
            return true;
        }
        self.regs.shutdown == Shutdown::None
            && self.in_flight() < MAX_COMMANDS
            && self.sqs.values().any(SubmissionQueue::has_work)
    }

    /// One clock cycle: fetch what the doorbells announced, move data within the budget,
    /// complete what is done.
    pub fn tick(&mut self, now: u64, bus: &mut dyn NvmeBus) {
        if self.ready_at.is_some_and(|at| now >= at) {
            self.ready_at = None;
            self.regs.ready = true;
        }
        if !self.orphan_reads.is_empty() {
            self.orphan_reads.retain(|&h| bus.poll_read(h).is_none());
        }
        if self.regs.ready && !self.regs.fatal {
            if self.regs.shutdown == Shutdown::None {
                self.fetch(now, bus);
            }
            self.move_data(bus);
            self.finish_commands(now, &*bus);
            self.post_completions(bus);
        }
        if self.regs.shutdown == Shutdown::Occurring && (self.regs.fatal || self.in_flight() == 0) {
            self.regs.shutdown = Shutdown::Complete;
        }
    }

    /// Function-level reset: registers and MSI-X table to power-on values, every queue gone,
    /// commands in flight dropped. The namespace, the CMB and the statistics stay.
    pub fn reset(&mut self) {
        self.controller_reset();
        self.regs = Registers::default();
        self.msix = MsixTable::new(self.config.msix_vectors);
    }

    fn in_flight(&self) -> usize {
        self.commands.len() + self.completions.len()
    }

    /// A command can move on by itself (a Delete I/O SQ stuck behind a full CQ cannot).
    fn can_progress(&self, command: &Command) -> bool {
        match command.state {
            CommandState::DeletingSq(qid) => !self
                .completions
                .iter()
                .any(|c| c.sq_id == qid && !self.postable(c)),
            _ => true,
        }
    }

    fn postable(&self, completion: &Completion) -> bool {
        self.cqs.get(&completion.cq_id).is_some_and(|cq| !cq.full())
    }

    fn read_dword(&self, offset: u64) -> u32 {
        use registers::*;
        let cmb = self.config.cmb_bytes != 0;
        match offset {
            CAP => self.cap as u32,
            0x04 => (self.cap >> 32) as u32,
            VS => VERSION,
            INTMS | INTMC => self.regs.intms,
            CC => self.regs.cc.0,
            CSTS => self.regs.csts(),
            AQA => self.regs.aqa,
            ASQ => self.regs.asq as u32,
            0x2c => (self.regs.asq >> 32) as u32,
            ACQ => self.regs.acq as u32,
            0x34 => (self.regs.acq >> 32) as u32,
            CMBLOC if cmb => CMB_LOCATION,
            CMBSZ if cmb => cmb_size(self.config.cmb_bytes),
            o if o >= MSIX_TABLE_OFFSET => self.msix.read_dword(o),
            _ => 0,
        }
    }

    fn write_dword(&mut self, offset: u64, value: u32, mask: u32, now: u64) {
        if offset == registers::CC {
            let cc = Cc::masked(registers::merge(self.regs.cc.0, value, mask));
            self.write_cc(cc, now);
        } else if self.regs.write_plain(offset, value, mask) {
            // A plain register took it.
        } else if (registers::DOORBELLS..self.doorbells_end()).contains(&offset) {
            self.ring_doorbell(offset, value, mask);
        } else if offset >= MSIX_TABLE_OFFSET {
            self.msix.write_dword(offset, value, mask);
        }
    }

    fn doorbells_end(&self) -> u64 {
        registers::DOORBELLS + (u64::from(self.config.max_io_queues) + 1) * 8
    }

    /// A doorbell write. Values beyond the queue, doorbells of queues that do not exist and
    /// writes that miss the low 16 bits are logged and ignored.
    fn ring_doorbell(&mut self, offset: u64, value: u32, mask: u32) {
        let index = (offset - registers::DOORBELLS) / 4;
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
                .checked_add(u64::from(cq_size) * command::CQ_ENTRY_SIZE - 1)
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
    fn controller_reset(&mut self) {
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

    /// Controller Fatal Status: processing stops until a reset.
    fn fatal(&mut self, why: String) {
        log::error!("NVMe: controller fatal (CSTS.CFS): {why}");
        self.regs.fatal = true;
    }

    /// Fetches the SQ entries the doorbells announced, one per queue in turn, while there is
    /// room for more commands.
    fn fetch(&mut self, now: u64, bus: &mut dyn NvmeBus) {
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

    /// Collects returned reads, then lets the commands issue chunks in fetch order within
    /// this tick's budget.
    fn move_data(&mut self, bus: &mut dyn NvmeBus) {
        let budget = match u64::from(self.config.bytes_per_cycle) {
            0 => None,
            per_cycle => {
                self.budget = (self.budget + per_cycle).min(per_cycle.max(MAX_CHUNK));
                Some(self.budget)
            }
        };
        let reads = self.orphan_reads.len()
            + self
                .commands
                .values()
                .map(|c| match &c.state {
                    CommandState::Moving(t) => t.reads_in_flight(),
                    _ => 0,
                })
                .sum::<usize>();
        let mut mover = Mover::new(budget, reads);
        for command in self.commands.values_mut() {
            if let CommandState::Moving(t) = &mut command.state {
                t.poll(&mut mover, bus, &mut self.namespace, &mut self.stats);
            }
        }
        for command in self.commands.values_mut() {
            if mover.exhausted() {
                break;
            }
            if let CommandState::Moving(t) = &mut command.state {
                t.issue(&mut mover, bus, &self.namespace, &mut self.stats);
            }
        }
        if let Some(left) = mover.budget() {
            self.budget = left;
        }
    }

    /// Turns the commands that are done (and past their latency) into completions.
    fn finish_commands(&mut self, now: u64, bus: &dyn NvmeBus) {
        let mut done = Vec::new();
        for (&key, command) in &self.commands {
            if now < command.earliest {
                continue;
            }
            let outcome = match &command.state {
                CommandState::Finished { result, status } => Some((*result, *status)),
                CommandState::Moving(t) => t.finished(bus).then(|| (0, t.status())),
                CommandState::DeletingSq(qid) => {
                    self.sq_drained(*qid).then_some((0, Status::SUCCESS))
                }
            };
            if let Some(outcome) = outcome {
                done.push((key, outcome));
            }
        }
        for (key, (result, status)) in done {
            let Some(command) = self.commands.remove(&key) else {
                continue;
            };
            if let CommandState::DeletingSq(qid) = command.state {
                self.remove_sq(qid);
            }
            self.completions.push_back(Completion {
                sq_id: command.sq_id,
                cq_id: command.cq_id,
                cid: command.cid,
                result,
                status,
            });
        }
    }

    /// No command of SQ `qid` is in flight or waiting to post.
    fn sq_drained(&self, qid: u16) -> bool {
        !self.commands.values().any(|c| c.sq_id == qid)
            && !self.completions.iter().any(|c| c.sq_id == qid)
    }

    fn remove_sq(&mut self, qid: u16) {
        if let Some(sq) = self.sqs.remove(&qid) {
            if let Some(cq) = self.cqs.get_mut(&sq.cq_id) {
                cq.sqs -= 1;
            }
        }
    }

    /// Posts completions where the CQ has room (a full CQ keeps its completions waiting, in
    /// order), then raises each interrupt vector that got an entry, once.
    fn post_completions(&mut self, bus: &mut dyn NvmeBus) {
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

fn backdoor_error(what: &str, e: std::io::Error) -> SimError {
    match e.kind() {
        std::io::ErrorKind::InvalidInput => {
            SimError::InvalidConfig(format!("namespace {what}: {e}"))
        }
        _ => SimError::Failed(format!("namespace {what}: {e}")),
    }
}
