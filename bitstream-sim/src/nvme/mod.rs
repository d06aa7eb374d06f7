// SPDX-License-Identifier: MIT OR Apache-2.0
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
//! Layout: `bar0` (register accesses, enable / reset / shutdown, doorbells) over `registers`
//! (the register file) and `msix` (the MSI-X table in BAR0); `queues` (rings, SQ fetch, CQ
//! posting); `command` (SQ/CQ entry formats); `admin` and `io` (the command sets);
//! `data_pointer` (PRP and SGL walking); `transfer` (chunked data movement under the
//! bandwidth budget); `namespace`; `status`; [`config_space`]. This file holds the
//! configuration and the clock: what one tick does, and when there is anything to do.

mod admin;
mod bar0;
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

use std::collections::{BTreeMap, VecDeque};

use self::bus::{NvmeBus, ReadHandle};
use self::command::Completion;
use self::data_pointer::PAGE;
use self::msix::{MsixTable, MAX_VECTORS};
use self::namespace::Namespace;
use self::queues::{CompletionQueue, SubmissionQueue};
use self::registers::{Registers, Shutdown};
use self::sparse::SparseMemory;
use self::status::Status;
use self::transfer::{Mover, Transfer};
use crate::SimError;

pub use self::msix::{
    MsixMessage, MSIX_ENTRY_BYTES, MSIX_PBA_OFFSET, MSIX_TABLE_OFFSET, MSIX_VECTOR_CONTROL,
};
pub use self::namespace::NamespaceBacking;

/// Commands the controller holds at once, fetched and not yet posted (across all queues).
const MAX_COMMANDS: usize = 256;
/// The largest chunk one DMA moves; the bandwidth budget never accumulates less than this,
/// so every chunk can eventually go.
const MAX_CHUNK: u64 = PAGE;
/// Largest CMB (kept well inside CMBSZ.SZ's 20 bits of 4 KiB units, SZU = 0).
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

    /// Controller Fatal Status: processing stops until a reset.
    fn fatal(&mut self, why: String) {
        log::error!("NVMe: controller fatal (CSTS.CFS): {why}");
        self.regs.fatal = true;
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
}

fn backdoor_error(what: &str, e: std::io::Error) -> SimError {
    match e.kind() {
        std::io::ErrorKind::InvalidInput => {
            SimError::InvalidConfig(format!("namespace {what}: {e}"))
        }
        _ => SimError::Failed(format!("namespace {what}: {e}")),
    }
}
