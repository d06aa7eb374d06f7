// SPDX-License-Identifier: MIT OR Apache-2.0
//! Randomized soak of the DMA engine with a scoreboard (docs/verification.md, "Soak").
//!
//! One simulated endpoint with host settings drawn from the seed, all queues, several jobs in
//! flight per queue, submitted and reaped in a random interleaving: PULL / PUSH of random lists,
//! CHECKSUM, NOP, malformed jobs (the shared `malformed_list_cases` table and our own
//! mutations), link faults injected on the engine's reads and lists naming unmapped memory.
//! A byte model of BAR2 and of every host buffer the jobs touch checks each completion
//! (status, RESULT, CID, SQ head, every target byte) and, at checkpoints, every byte of BAR2 and
//! of the host buffers (nothing outside a job's targets changed), the engine's job counters
//! (every job completed exactly once) and the IOMMU faults. Every wait is bounded.
//!
//! `PEERBAR_SOAK_SEED` (decimal, 0x-hex or `random`) and `PEERBAR_SOAK_JOBS` select the run;
//! `PEERBAR_SOAK_BACKPRESSURE=off` turns off the back-pressure on CQ/CC/RQ/RC;
//! `PEERBAR_SOAK_TAGS=5` or `8` picks the tag width (by default half the seeds use 5-bit tags).
//! The jobs, their content and the order of submissions and reaps are a function of the seed
//! alone (every reap is a blocking wait on a ticket chosen by the seed, never "whatever has
//! completed"), so a failure replays with the same jobs; the cycle-level timing of the
//! simulation against the test thread is not reproducible.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use peerbar::dma::sgl::{self, malformed_list_cases, SglCase};
use peerbar::dma::sgl::{CASE_DATA_REGION_LEN, CASE_LIST_REGION_LEN};
use peerbar::dma::wire::SQ_FLAG_CRC;
use peerbar::dma::{
    Completion, CompletionMode, DmaEngine, Job, Opcode, PeerSlice, QueueConfig, QueuePair,
    SglBuilder, SglDescriptor, SglEntry, SqEntry, StatusCode, Ticket,
};
use peerbar::hostmem::{DmaBuffer, Held};
use peerbar::regs::{self, DMA_ERR_BAD_COMPLETION_REG, DMA_JOBS_REG, DMA_JOB_ERRORS_REG};
use peerbar::regs::{QUEUE_STATUS, QUEUE_STATUS_REG};
use peerbar::{BarIndex, BarOffset, BusAddr, Device, Endpoint};
use peerbar_sim::{DmaDirection, ReadFault, SimConfig, SimDevice};
use peerbar_tests::{disable_extended_tags, pattern, read_bar2};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const DEFAULT_SEED: u64 = 0x50a6_2026;
/// Sized so that the default run stays well under a minute on a loaded 2-core machine.
const DEFAULT_JOBS: usize = 2000;
/// Bound of every wait for a completion: a job that takes longer is a hang. Wall-clock, so it
/// is generous: at 30 s a heavily loaded machine (load ~8, the simulation at a seventh of its
/// speed) once tripped it on a healthy job. The simulation's own hang check counts cycles
/// (no RQ/RC progress for 2.5 M cycles) and is what catches an RTL deadlock quickly.
const WATCHDOG: Duration = Duration::from_secs(120);
/// Full comparison of BAR2 and host memory with the model every this many jobs (and at the end).
const CHECKPOINT_EVERY: usize = 250;
/// DMA_COMPLETION_TIMEOUT for the run (65 us): far above any legitimate completion latency
/// here (32 tags x MRRS 4 KiB of completions is ~4 100 beats, plus at most 750 cycles of
/// latency and jitter), short enough that a dropped completion costs little.
const COMPLETION_TIMEOUT_CYCLES: u32 = 16_384;
/// The PCIe block's own completion timeout in the soak (SimConfig::core_completion_timeout_cycles):
/// twice the engine's, so a lost read holds its tag a while after its job failed.
const CORE_TIMEOUT_CYCLES: u64 = 32_768;
/// A "late" read's completions come this much later than usual: after the engine's timeout,
/// before the block's (the block still holds the read and delivers them).
const LATE_CYCLES: u64 = 20_000;
/// A "stale" read's completions come after the block's timeout report released the tag, within
/// the tag's quarantine (hw/rtl/peerbar_dma_rc.sv TagQuarantine, 2 048 cycles): the latest
/// stale completion the tag rules promise to keep out (docs/dma-engine.md, "Tag rules").
const STALE_CYCLES: u64 = CORE_TIMEOUT_CYCLES + 250;
/// Host memory the random jobs read and write (one DMA buffer, modelled byte for byte).
const HOST_ARENA_LEN: usize = 1 << 20;
/// Bus addresses nobody maps: reserved in the IOVA allocator, one 1 MiB stride per job so an
/// IOMMU fault names the job that caused it.
const UNMAPPED_BASE: u64 = 0x30_0000_0000;
const UNMAPPED_STRIDE: u64 = 1 << 20;
const UNMAPPED_SPAN: u64 = 16 << 30;
/// Largest LENGTH of a random PULL / PUSH / CHECKSUM.
const MAX_TRANSFER: u32 = 96 * 1024;
const QUEUES: usize = 4;
const SQ_ENTRIES: u32 = 256;

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Err(_) => default,
        Ok(v) if v == "random" => {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default();
            t.as_nanos() as u64 ^ u64::from(std::process::id())
        }
        Ok(v) => {
            let parsed = match v.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => v.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("{name}={v}: not a number"))
        }
    }
}

/// Where a byte lives: a modelled host buffer (index into `Soak::host`) or BAR2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Space {
    Host(usize),
    Bar2,
}

/// One element of a random PULL / PUSH list, in list order.
#[derive(Clone, Copy, Debug)]
enum Piece {
    /// `len` bytes at `at` in the host arena.
    Host { at: usize, len: u32 },
    /// `len` bytes at a bus address nobody mapped.
    Unmapped { addr: u64, len: u32 },
    /// A Bit Bucket (PULL: BAR2 skipped over the span; PUSH: 11h).
    Bucket(u32),
    /// A zero-length Data Block pointing at unmapped memory: must be skipped without an access.
    Zero(u64),
}

impl Piece {
    fn len(self) -> u32 {
        match self {
            Piece::Host { len, .. } | Piece::Unmapped { len, .. } | Piece::Bucket(len) => len,
            Piece::Zero(_) => 0,
        }
    }

    fn entry(self, host_base: u64) -> SglEntry {
        match self {
            Piece::Host { at, len } => SglEntry::data(BusAddr::new(host_base + at as u64), len),
            Piece::Unmapped { addr, len } => SglEntry::data(BusAddr::new(addr), len),
            Piece::Bucket(len) => SglEntry::BitBucket { len },
            Piece::Zero(addr) => SglEntry::data(BusAddr::new(addr), 0),
        }
    }
}

/// A list's segment memory as built: (bus address, bytes); `None` for an inline DPTR.
type ListImage = Option<(u64, Vec<u8>)>;

/// A byte run of the model: `bytes` at `at` of `space`.
type Run = (Space, usize, Vec<u8>);

/// A job in flight.
struct Pending {
    spec: Spec,
    ticket: Ticket,
    /// SQ slot the job was written to (the CQ entry's SQ_HEAD must be the slot after it).
    slot: u32,
}

/// A job and everything the scoreboard needs to judge its completion.
struct Spec {
    id: usize,
    /// For reports: the job in words.
    what: String,
    op: &'static str,
    expect: StatusCode,
    /// RESULT on success (`None`: not checked, e.g. NOP).
    result: Option<u32>,
    length: u32,
    /// Ranges this job holds exclusively (read or written) while in flight.
    reserved: Vec<(Space, Range<usize>)>,
    /// Ranges read back after the completion (the job's possible targets).
    targets: Vec<(Space, Range<usize>)>,
    /// On success: the bytes the targets must then hold (anything not named stays as it was).
    on_success: Vec<Run>,
    /// On failure: bytes that may have landed (partial effects); any other target byte must
    /// be unchanged...
    may_land: Vec<Run>,
    /// ...except over these ranges, where a failed job may leave anything (malformed jobs of
    /// the shared table, whose partial moves this test does not walk).
    anything: Vec<(Space, Range<usize>)>,
    /// Unmapped ranges the job names and the direction of the IOMMU faults they must cause.
    unmapped: Vec<Range<u64>>,
    unmapped_dir: Option<DmaDirection>,
    duplicated: bool,
    /// Queue whose case list/data buffers this job uses (one malformed case per queue).
    case_queue: Option<usize>,
}

struct HostRegion {
    buf: Arc<DmaBuffer>,
    model: Vec<u8>,
}

#[derive(Default)]
struct Tally {
    /// (op, status) -> jobs.
    jobs: BTreeMap<(&'static str, String), usize>,
    faults: BTreeMap<&'static str, usize>,
    mismatches: Vec<String>,
    hangs: Vec<String>,
    checkpoints: usize,
    checksums: usize,
    /// PULL/PUSH submitted with FLAGS.CRC.
    inline_crcs: usize,
}

struct Soak {
    rng: ChaCha8Rng,
    sim: SimDevice,
    dma: DmaEngine,
    queues: Vec<QueuePair>,
    builders: Vec<SglBuilder>,
    /// Per queue: jobs in flight in submission order, and SQ entries written so far.
    pending: Vec<Vec<Pending>>,
    submitted: Vec<u32>,
    depth: Vec<usize>,
    /// host[0]: the arena; host[1 + q]: queue q's data region for malformed cases.
    host: Vec<HostRegion>,
    case_lists: Vec<Arc<DmaBuffer>>,
    cases: Vec<Vec<SglCase>>,
    case_busy: Vec<bool>,
    bar: Arc<PeerSlice>,
    bar_model: Vec<u8>,
    /// Completed since the last checkpoint, for the checkpoint's checks.
    unmapped_done: Vec<(usize, String, Vec<Range<u64>>, DmaDirection)>,
    duplicated_done: usize,
    completed: u64,
    failed: u64,
    base_jobs: u32,
    base_errors: u32,
    base_bad_completions: u32,
    tally: Tally,
    /// The last jobs judged, for the report of a hang.
    recent: Vec<String>,
    /// Duplicated completions among the other jobs (the default since the tag rules of
    /// peerbar_dma_rc fixed stale copies landing in reads that reused their tag);
    /// PEERBAR_SOAK_DUPLICATES=quiet injects them only where no tag can be reused.
    busy_duplicates: bool,
    max_read_req: usize,
}

impl Soak {
    fn mismatch(&mut self, what: impl Into<String>) {
        let what = what.into();
        if self.tally.mismatches.len() < 50 {
            eprintln!("MISMATCH: {what}");
        }
        self.tally.mismatches.push(what);
    }

    fn model(&self, space: Space) -> &Vec<u8> {
        match space {
            Space::Host(i) => &self.host[i].model,
            Space::Bar2 => &self.bar_model,
        }
    }

    fn model_mut(&mut self, space: Space) -> &mut Vec<u8> {
        match space {
            Space::Host(i) => &mut self.host[i].model,
            Space::Bar2 => &mut self.bar_model,
        }
    }

    /// BAR2 offset `at` bytes from the start of the soak's slice; not checked against its
    /// end, as the BAR2-range mutations aim past it on purpose.
    fn bar_offset(&self, at: usize) -> BarOffset {
        self.bar
            .offset()
            .checked_add(at as u64)
            .expect("a BAR2 offset fits 64 bits")
    }

    fn read_actual(&self, space: Space, r: Range<usize>) -> Vec<u8> {
        match space {
            Space::Host(i) => {
                let mut b = vec![0u8; r.len()];
                self.host[i].buf.read(r.start, &mut b).expect("host read");
                b
            }
            Space::Bar2 => read_bar2(&self.sim, self.bar_offset(r.start).get(), r.len()),
        }
    }

    fn busy(&self, space: Space, r: &Range<usize>) -> bool {
        self.pending.iter().flatten().any(|p| {
            p.spec
                .reserved
                .iter()
                .any(|(s, b)| *s == space && b.start < r.end && r.start < b.end)
        })
    }

    /// A random free range of `len` bytes in `space` (`None` when 40 draws found none).
    fn find_free(&mut self, space: Space, len: usize) -> Option<usize> {
        let space_len = self.model(space).len();
        if len > space_len {
            return None;
        }
        for _ in 0..40 {
            let at = self.rng.gen_range(0..=space_len - len);
            if len == 0 || !self.busy(space, &(at..at + len)) {
                return Some(at);
            }
        }
        None
    }

    fn random_len(&mut self) -> u32 {
        match self.rng.gen_range(0..100) {
            0..=19 => self.rng.gen_range(1..=16),
            20..=69 => self.rng.gen_range(17..=600),
            70..=94 => self.rng.gen_range(601..=4096),
            _ => self.rng.gen_range(4097..=16384),
        }
    }

    fn unmapped_addr(&mut self, id: usize, high: bool) -> u64 {
        let base = UNMAPPED_BASE + (id as u64 * UNMAPPED_STRIDE) % UNMAPPED_SPAN;
        // Low half for entries the engine must access, high half for zero-length ones.
        let off = self.rng.gen_range(0..UNMAPPED_STRIDE / 2 - 65536);
        base + off + if high { UNMAPPED_STRIDE / 2 } else { 0 }
    }

    /// Random pieces for a list: host pieces laid out with gaps in one host window (returned),
    /// in shuffled order half of the time; Bit Buckets (PULL) and zero-length entries now and
    /// then.
    fn random_pieces(&mut self, id: usize, pull: bool) -> Option<(Vec<Piece>, Range<usize>)> {
        let count = match self.rng.gen_range(0..100) {
            0..=29 => 1,
            30..=69 => self.rng.gen_range(2..=8),
            70..=94 => self.rng.gen_range(9..=64),
            _ => self.rng.gen_range(65..=300),
        };
        let mut lens = Vec::new();
        let mut total = 0u32;
        for _ in 0..count {
            let len = self.random_len();
            if total + len > MAX_TRANSFER {
                break;
            }
            total += len;
            lens.push(len);
        }
        if lens.is_empty() {
            lens.push(self.rng.gen_range(1..=64));
        }
        let gaps: Vec<usize> = lens.iter().map(|_| self.rng.gen_range(0..64)).collect();
        let window_len: usize =
            lens.iter().map(|&l| l as usize).sum::<usize>() + gaps.iter().sum::<usize>();
        let window_at = self.find_free(Space::Host(0), window_len)?;
        let mut pieces = Vec::new();
        let mut at = window_at;
        for (len, gap) in lens.into_iter().zip(gaps) {
            at += gap;
            pieces.push(Piece::Host { at, len });
            at += len as usize;
        }
        if self.rng.gen_bool(0.5) {
            pieces.shuffle(&mut self.rng);
        }
        // Extras: Bit Buckets on PULL (valid), zero-length Data Blocks pointing at unmapped
        // memory (skipped: no access, no fault).
        let extras = if self.rng.gen_bool(0.2) {
            self.rng.gen_range(1..=3)
        } else {
            0
        };
        for _ in 0..extras {
            let piece = if pull && self.rng.gen_bool(0.6) {
                Piece::Bucket(self.rng.gen_range(1..=300))
            } else {
                Piece::Zero(self.unmapped_addr(id, true))
            };
            let i = self.rng.gen_range(0..=pieces.len());
            pieces.insert(i, piece);
        }
        Some((pieces, window_at..window_at + window_len))
    }

    /// Lays out `entries` with the queue's builder: DPTR, the list image (for the validator)
    /// and the buffer holding it.
    fn build_list(&self, q: usize, entries: &[SglEntry]) -> (SglDescriptor, ListImage, Vec<Held>) {
        let builder = self.builders[q];
        if SglBuilder::is_inline(entries) {
            let built = builder
                .build(entries, BusAddr::new(0))
                .expect("inline list");
            return (built.dptr, None, Vec::new());
        }
        let buf = self
            .dma
            .memory()
            .alloc(builder.list_len(entries))
            .expect("list buffer");
        let built = builder.build(entries, buf.bus_addr()).expect("list builds");
        buf.write(0, &built.list).expect("list write");
        let base = buf.bus_addr().get();
        (
            built.dptr,
            Some((base, built.list)),
            vec![Held::Buffer(Arc::new(buf))],
        )
    }

    /// The status `sgl::validate` predicts for a list job (a read outside the list image would
    /// be a list this test never builds).
    fn predict(dptr: SglDescriptor, length: u32, opcode: Opcode, image: &ListImage) -> StatusCode {
        let read = |addr: BusAddr, buf: &mut [u8]| -> Result<(), ()> {
            let (base, bytes) = image.as_ref().ok_or(())?;
            let off = addr.get().checked_sub(*base).ok_or(())? as usize;
            let src = bytes.get(off..off + buf.len()).ok_or(())?;
            buf.copy_from_slice(src);
            Ok(())
        };
        match sgl::validate(dptr, length, opcode, read) {
            Ok(_) => StatusCode::Success,
            Err(e) => e.status().expect("the list image covers every segment"),
        }
    }

    fn submit(&mut self, q: usize, entry: SqEntry, held: Vec<Held>, spec: Spec) {
        let mut held = held;
        held.push(Held::Peer(Arc::clone(&self.bar)));
        held.push(Held::Buffer(Arc::clone(&self.host[0].buf)));
        let ticket = self.queues[q]
            .submit(Job::Raw { entry, held })
            .unwrap_or_else(|e| panic!("submit of job {} on queue {q}: {e}", spec.id));
        let slot = self.submitted[q] % SQ_ENTRIES;
        self.submitted[q] += 1;
        self.pending[q].push(Pending { spec, ticket, slot });
    }

    /// Generates and submits one random job on queue `q`. Returns false when no free memory
    /// was found (the caller reaps and tries again).
    fn submit_random(&mut self, q: usize, id: usize) -> bool {
        let roll = self.rng.gen_range(0..100);
        match roll {
            0..=29 => self.transfer(q, id, true),
            30..=59 => self.transfer(q, id, false),
            60..=74 => self.checksum(q, id),
            75..=79 => {
                self.nop(q, id);
                true
            }
            80..=86 if !self.case_busy[q] => {
                self.case(q, id);
                true
            }
            _ => self.mutation(q, id),
        }
    }

    fn blank(&self, id: usize, op: &'static str, what: String, expect: StatusCode) -> Spec {
        Spec {
            id,
            what,
            op,
            expect,
            result: None,
            length: 0,
            reserved: Vec::new(),
            targets: Vec::new(),
            on_success: Vec::new(),
            may_land: Vec::new(),
            anything: Vec::new(),
            unmapped: Vec::new(),
            unmapped_dir: None,
            duplicated: false,
            case_queue: None,
        }
    }

    fn nop(&mut self, q: usize, id: usize) {
        let entry = SqEntry::new(
            Opcode::Nop,
            0,
            0,
            BarOffset::ZERO,
            0,
            SglDescriptor::default(),
        );
        let p = self.blank(id, "NOP", "NOP".into(), StatusCode::Success);
        self.submit(q, entry, Vec::new(), p);
    }

    fn checksum(&mut self, q: usize, id: usize) -> bool {
        let len = if self.rng.gen_bool(0.05) {
            0
        } else {
            self.random_len() * self.rng.gen_range(1..=4)
        };
        let Some(at) = self.find_free(Space::Bar2, len as usize) else {
            return false;
        };
        let crc = crc32c::crc32c(&self.bar_model[at..at + len as usize]);
        let entry = SqEntry::new(
            Opcode::Checksum,
            0,
            0,
            self.bar_offset(at),
            len,
            SglDescriptor::default(),
        );
        let mut p = self.blank(
            id,
            "CHECKSUM",
            format!("CHECKSUM of BAR2[{at:#x}; {len}]"),
            StatusCode::Success,
        );
        p.result = Some(crc);
        p.length = len;
        p.reserved.push((Space::Bar2, at..at + len as usize));
        self.tally.checksums += 1;
        self.submit(q, entry, Vec::new(), p);
        true
    }

    /// Bytes the pieces `pieces[..cut]` move: PULL host -> BAR2 from `bar_at`, PUSH BAR2 ->
    /// host. Bit Buckets skip BAR2 bytes; unmapped pieces move nothing we can see.
    fn moves(&self, pull: bool, pieces: &[Piece], bar_at: usize, length: u32) -> Vec<Run> {
        let mut runs = Vec::new();
        let mut pos = bar_at;
        let mut total = 0u64;
        for piece in pieces {
            total += u64::from(piece.len());
            if total > u64::from(length) {
                // A running total past LENGTH fails at that descriptor: nothing of it moves.
                break;
            }
            if let Piece::Host { at, len } = *piece {
                let len = len as usize;
                if pull {
                    runs.push((Space::Bar2, pos, self.host[0].model[at..at + len].to_vec()));
                } else {
                    runs.push((Space::Host(0), at, self.bar_model[pos..pos + len].to_vec()));
                }
            }
            pos += piece.len() as usize;
        }
        runs
    }

    /// A PULL (`pull`) or PUSH of a random list, possibly with a fault injected on one of its
    /// reads or with entries naming unmapped memory.
    fn transfer(&mut self, q: usize, id: usize, pull: bool) -> bool {
        let Some((mut pieces, window)) = self.random_pieces(id, pull) else {
            return false;
        };
        let opcode = if pull { Opcode::Pull } else { Opcode::Push };
        let op = if pull { "PULL" } else { "PUSH" };
        // Unmapped entries on 7 % of jobs, an injected read fault on 20 % of the others.
        let mut unmapped = Vec::new();
        if self.rng.gen_range(0..100) < 7 {
            let hosts: Vec<usize> = (0..pieces.len())
                .filter(|&i| matches!(pieces[i], Piece::Host { .. }))
                .collect();
            let n = self.rng.gen_range(1..=2).min(hosts.len());
            for &i in hosts.choose_multiple(&mut self.rng, n) {
                let len = pieces[i].len().min(16384);
                let addr = self.unmapped_addr(id, false);
                pieces[i] = Piece::Unmapped { addr, len };
                unmapped.push(addr..addr + u64::from(len));
            }
        }
        let length: u32 = pieces.iter().map(|p| p.len()).sum();
        let Some(bar_at) = self.find_free(Space::Bar2, length as usize) else {
            return false;
        };
        let host_base = self.host[0].buf.bus_addr().get();
        let entries: Vec<SglEntry> = pieces.iter().map(|p| p.entry(host_base)).collect();
        let (dptr, image, held) = self.build_list(q, &entries);
        let mut expect = Self::predict(dptr, length, opcode, &image);
        assert_eq!(
            expect,
            StatusCode::Success,
            "the builder made an invalid list"
        );

        let mut fault = None;
        if unmapped.is_empty() && length > 0 && self.rng.gen_range(0..100) < 20 {
            // Duplicated completions join the busy mix by default; with
            // PEERBAR_SOAK_DUPLICATES=quiet they are injected by `quiet_duplicate` instead,
            // where no tag can be reused (what the soak did before the tag-reuse fix).
            let kinds: &[ReadFault] = if self.busy_duplicates {
                &[
                    ReadFault::UnsupportedRequest,
                    ReadFault::CompleterAbort,
                    ReadFault::Poisoned,
                    ReadFault::Dropped,
                    ReadFault::Late {
                        cycles: LATE_CYCLES,
                    },
                    ReadFault::Late {
                        cycles: STALE_CYCLES,
                    },
                    ReadFault::Duplicated,
                ]
            } else {
                &[
                    ReadFault::UnsupportedRequest,
                    ReadFault::CompleterAbort,
                    ReadFault::Poisoned,
                    ReadFault::Dropped,
                    ReadFault::Late {
                        cycles: LATE_CYCLES,
                    },
                    ReadFault::Late {
                        cycles: STALE_CYCLES,
                    },
                ]
            };
            let kind = *kinds.choose(&mut self.rng).expect("kinds");
            // The first read of the first segment (the walker needs its first descriptor
            // before anything moves), or, on PULL, the read of one byte of a data piece. Both
            // are reads the job is sure to issue (nothing else fails first), so the one-shot
            // fault is consumed by this job and by no other (its memory is reserved).
            let seg = image.as_ref().map(|(base, _)| *base);
            let hosts: Vec<(usize, u32)> = pieces
                .iter()
                .filter_map(|p| match *p {
                    Piece::Host { at, len } if len > 0 => Some((at, len)),
                    _ => None,
                })
                .collect();
            let target = match seg {
                Some(base) if !pull || self.rng.gen_bool(0.4) => Some(("segment", base)),
                _ if pull && !hosts.is_empty() => {
                    let (at, len) = *hosts.choose(&mut self.rng).expect("host piece");
                    let byte = at + self.rng.gen_range(0..len as usize);
                    Some(("data", host_base + byte as u64))
                }
                _ => None,
            };
            if let Some((where_, addr)) = target {
                self.sim.inject_read_fault(addr..addr + 1, kind);
                let (name, status) = match kind {
                    ReadFault::UnsupportedRequest => ("UR", StatusCode::UnsupportedRequest),
                    ReadFault::CompleterAbort => ("CA", StatusCode::CompleterAbort),
                    ReadFault::Poisoned => ("poisoned", StatusCode::Poisoned),
                    ReadFault::Dropped => ("dropped", StatusCode::CompletionTimeout),
                    ReadFault::Duplicated => ("duplicated", StatusCode::Success),
                    ReadFault::Late { cycles } if cycles == LATE_CYCLES => {
                        ("late", StatusCode::CompletionTimeout)
                    }
                    ReadFault::Late { .. } => ("stale", StatusCode::CompletionTimeout),
                };
                *self.tally.faults.entry(name).or_default() += 1;
                expect = status;
                fault = Some(format!("{name} on the {where_} read at {addr:#x}"));
            }
        }
        let mut p = self.blank(id, op, String::new(), expect);
        if !unmapped.is_empty() {
            if pull {
                // The read of unmapped memory is refused by the IOMMU: UR, C2h.
                p.expect = StatusCode::UnsupportedRequest;
                p.unmapped_dir = Some(DmaDirection::Read);
                *self.tally.faults.entry("unmapped PULL").or_default() += 1;
            } else {
                // Posted writes cannot fail the job: it succeeds, the writes are dropped and
                // recorded as IOMMU faults.
                p.unmapped_dir = Some(DmaDirection::Write);
                *self.tally.faults.entry("unmapped PUSH").or_default() += 1;
            }
            p.unmapped = unmapped.clone();
        }
        p.duplicated = fault
            .as_deref()
            .is_some_and(|f| f.starts_with("duplicated"));
        p.length = length;
        let runs = self.moves(pull, &pieces, bar_at, length);
        // RESULT: PULL counts bytes written to BAR2 (Bit Buckets excluded); PUSH counts bytes
        // sent, including those the IOMMU then dropped (the engine cannot know).
        p.result = Some(if pull {
            pieces
                .iter()
                .filter(|x| !matches!(x, Piece::Bucket(_)))
                .map(|x| x.len())
                .sum()
        } else {
            length
        });
        // FLAGS.CRC on every third transfer (chosen by the job's number, so that a seed's
        // jobs stay what they were): RESULT on success is then the CRC32C of the job's BAR2
        // range as the job leaves it, a Bit Bucket's span counting as zeros.
        let inline_crc = id % 3 == 1;
        if inline_crc {
            let mut bytes = vec![0u8; length as usize];
            if pull {
                for (_, pos, b) in &runs {
                    bytes[pos - bar_at..pos - bar_at + b.len()].copy_from_slice(b);
                }
            } else {
                bytes.copy_from_slice(&self.bar_model[bar_at..bar_at + length as usize]);
            }
            p.result = Some(crc32c::crc32c(&bytes));
            self.tally.inline_crcs += 1;
        }
        p.on_success = runs.clone();
        p.may_land = runs;
        let bar_range = bar_at..bar_at + length as usize;
        p.reserved = vec![
            (Space::Host(0), window.clone()),
            (Space::Bar2, bar_range.clone()),
        ];
        p.targets = if pull {
            vec![(Space::Bar2, bar_range)]
        } else {
            vec![(Space::Host(0), window)]
        };
        p.what = describe(op, &pieces, bar_at, length, fault.as_deref(), &dptr);
        if inline_crc {
            p.what.push_str(", FLAGS.CRC");
        }
        let flags = if inline_crc { SQ_FLAG_CRC } else { 0 };
        let entry = SqEntry::new(opcode, flags, 0, self.bar_offset(bar_at), length, dptr);
        self.submit(q, entry, held, p);
        true
    }

    /// A case of the shared malformed-list table, laid out in queue `q`'s case buffers.
    fn case(&mut self, q: usize, id: usize) {
        let case = self.cases[q].choose(&mut self.rng).expect("cases").clone();
        let Some(bar_at) = self.find_free(Space::Bar2, case.length as usize) else {
            return self.nop(q, id);
        };
        let list = &self.case_lists[q];
        list.fill(0, list.len(), 0).expect("zero list");
        for (addr, bytes) in &case.memory {
            let at = addr
                .offset_from(list.bus_addr())
                .expect("case memory lies in the case list");
            list.write(at as usize, bytes).expect("case memory");
        }
        let data = Space::Host(1 + q);
        let mut p = self.blank(
            id,
            "malformed",
            format!("malformed case {} ({:?})", case.name, case.opcode),
            case.expected,
        );
        p.length = case.length;
        let bar_range = bar_at..bar_at + case.length as usize;
        p.reserved = vec![(Space::Bar2, bar_range.clone())];
        // The engine streams: a list found bad late has moved what came before (0Fh). This
        // test does not walk the table's lists, so a failed case may leave anything in its
        // targets (BAR2 range on PULL, the data region on PUSH); nothing else may change.
        p.targets = vec![
            (Space::Bar2, bar_range.clone()),
            (data, 0..CASE_DATA_REGION_LEN),
        ];
        if case.opcode == Opcode::Pull {
            p.anything = vec![(Space::Bar2, bar_range)];
        } else if case.opcode == Opcode::Push {
            p.anything = vec![(data, 0..CASE_DATA_REGION_LEN)];
        }
        p.case_queue = Some(q);
        self.case_busy[q] = true;
        let entry = SqEntry::new(
            case.opcode,
            0,
            0,
            self.bar_offset(bar_at),
            case.length,
            case.dptr,
        );
        let held = vec![
            Held::Buffer(Arc::clone(&self.case_lists[q])),
            Held::Buffer(Arc::clone(&self.host[1 + q].buf)),
        ];
        self.submit(q, entry, held, p);
    }

    /// Our own malformed jobs: LENGTH not the list's total, a Bit Bucket on PUSH, a DPTR of
    /// another type or subtype (status from `sgl::validate`), a BAR2 range past the end
    /// (C0h) and unknown opcodes (001h).
    fn mutation(&mut self, q: usize, id: usize) -> bool {
        let kind = self.rng.gen_range(0..5);
        let pull = self.rng.gen_bool(0.5);
        let opcode = if pull { Opcode::Pull } else { Opcode::Push };
        let op = if pull { "PULL" } else { "PUSH" };
        if kind >= 3 {
            // C0h / 001h: nothing may move. The DPTR names a reserved host window and the
            // BAR2 range (when inside BAR2) is reserved, so any byte moved would show.
            let len = self.rng.gen_range(1..=4096u32);
            let Some(host_at) = self.find_free(Space::Host(0), len as usize) else {
                return false;
            };
            let dptr = SglDescriptor::data_block(
                self.host[0]
                    .buf
                    .bus_addr_at(host_at)
                    .expect("inside host buffer 0"),
                len,
            );
            let bar_len = self.bar_model.len();
            let mut p;
            let entry;
            if kind == 3 {
                // bar_at + len > bar_len: from one byte past the end to far beyond it.
                let bar_at = if self.rng.gen_bool(0.8) {
                    bar_len - self.rng.gen_range(0..len as usize)
                } else {
                    bar_len + self.rng.gen_range(0..1 << 20)
                };
                let raw = [Opcode::Pull, Opcode::Push, Opcode::Checksum]
                    .choose(&mut self.rng)
                    .copied()
                    .expect("ops");
                entry = SqEntry::new(raw, 0, 0, self.bar_offset(bar_at), len, dptr);
                p = self.blank(
                    id,
                    "BAR2 range",
                    format!(
                        "{raw:?} of {len} bytes at BAR2 {bar_at:#x} (past the end {bar_len:#x})"
                    ),
                    StatusCode::Bar2Range,
                );
                p.targets = vec![(Space::Host(0), host_at..host_at + len as usize)];
                p.reserved = p.targets.clone();
            } else {
                let Some(bar_at) = self.find_free(Space::Bar2, len as usize) else {
                    return false;
                };
                let code = self.rng.gen_range(4..=255u8);
                entry = SqEntry::with_raw_opcode(code, 0, 0, self.bar_offset(bar_at), len, dptr);
                p = self.blank(
                    id,
                    "bad opcode",
                    format!("opcode {code:#04x}, {len} bytes"),
                    StatusCode::InvalidOpcode,
                );
                p.targets = vec![
                    (Space::Host(0), host_at..host_at + len as usize),
                    (Space::Bar2, bar_at..bar_at + len as usize),
                ];
                p.reserved = p.targets.clone();
            }
            p.length = len;
            self.submit(q, entry, Vec::new(), p);
            return true;
        }
        let Some((mut pieces, window)) = self.random_pieces(id, pull) else {
            return false;
        };
        let total: u32 = pieces.iter().map(|p| p.len()).sum();
        let (length, how) = match kind {
            0 => {
                let length = match self.rng.gen_range(0..4) {
                    0 => total.saturating_sub(1),
                    1 => total + 1,
                    2 => self.rng.gen_range(0..total.max(1)),
                    _ => total + self.rng.gen_range(1..=4096),
                };
                (length, format!("LENGTH {length} for a {total}-byte list"))
            }
            1 if !pull => {
                let len = self.rng.gen_range(0..=64);
                let i = self.rng.gen_range(0..=pieces.len());
                pieces.insert(i, Piece::Bucket(len));
                (
                    total + len,
                    format!("Bit Bucket of {len} on PUSH at entry {i}"),
                )
            }
            _ => (total, String::new()),
        };
        let Some(bar_at) = self.find_free(Space::Bar2, length.max(total) as usize) else {
            return false;
        };
        let host_base = self.host[0].buf.bus_addr().get();
        let entries: Vec<SglEntry> = pieces.iter().map(|p| p.entry(host_base)).collect();
        let (mut dptr, image, held) = self.build_list(q, &entries);
        let mut how = how;
        if how.is_empty() {
            // DPTR of another type (keyed, bit bucket, transport, reserved, vendor) or with a
            // non-zero subtype.
            let ty = *[1u8, 4, 5, 6, 7, 8, 0xe, 0xf]
                .choose(&mut self.rng)
                .expect("types");
            let (ident, what) = if self.rng.gen_bool(0.7) {
                (ty << 4, format!("DPTR type {ty:#x}"))
            } else {
                let sub = self.rng.gen_range(1..=0xfu8);
                (
                    (dptr.identifier() & 0xf0) | sub,
                    format!("DPTR subtype {sub:#x}"),
                )
            };
            dptr = SglDescriptor::with_identifier(ident, dptr.address(), dptr.length());
            how = what;
        }
        let expect = Self::predict(dptr, length, opcode, &image);
        let mut p = self.blank(id, "mutated", String::new(), expect);
        p.length = length;
        let bar_range = bar_at..bar_at + length.max(total) as usize;
        // Partial effects: the data of descriptors before the offending one may have moved
        // (the engine streams); with a Bit Bucket on PUSH, what comes before the bucket.
        let cut = pieces
            .iter()
            .position(|x| !pull && matches!(x, Piece::Bucket(_)))
            .unwrap_or(pieces.len());
        p.may_land = self.moves(pull, &pieces[..cut], bar_at, length);
        p.on_success = self.moves(pull, &pieces, bar_at, length);
        // Only LENGTH 0 can succeed here (nothing moves, RESULT 0).
        p.result = Some(if length == 0 {
            0
        } else if pull {
            pieces
                .iter()
                .filter(|x| !matches!(x, Piece::Bucket(_)))
                .map(|x| x.len())
                .sum()
        } else {
            length
        });
        p.reserved = vec![
            (Space::Host(0), window.clone()),
            (Space::Bar2, bar_range.clone()),
        ];
        p.targets = p.reserved.clone();
        p.what = format!(
            "{} [{how}]",
            describe(op, &pieces, bar_at, length, None, &dptr)
        );
        let entry = SqEntry::new(opcode, 0, 0, self.bar_offset(bar_at), length, dptr);
        self.submit(q, entry, held, p);
        true
    }
}

impl Soak {
    /// Waits (bounded) for the completion of `queue`'s `index`-th job in flight and judges it.
    /// `Err` is a hang: the job did not complete within the watchdog.
    fn reap(&mut self, queue: usize, index: usize) -> Result<(), String> {
        let p = self.pending[queue].remove(index);
        // Waits in 1 s steps so a failed simulation (a PCIe rule the RTL broke) is reported at
        // once rather than after the whole watchdog period.
        let deadline = Instant::now() + WATCHDOG;
        let waited = loop {
            let r = p.ticket.wait(Duration::from_secs(1));
            match r {
                Err(peerbar::Error::Dma(peerbar::DmaError::Timeout { .. }))
                    if Instant::now() < deadline && self.sim.failure().is_none() => {}
                other => break other,
            }
        };
        let c = match waited {
            Ok(c) => c,
            Err(e) => {
                let hang = format!(
                    "queue {queue} job {} ({}) did not complete (watchdog {WATCHDOG:?}): {e}; \
                     simulation: {:?}; stats: {:?}",
                    p.spec.id,
                    p.spec.what,
                    self.sim.failure(),
                    self.sim.stats()
                );
                eprintln!("HANG: {hang}");
                eprintln!("  completed last: {:#?}", self.recent);
                for (q, jobs) in self.pending.iter().enumerate() {
                    for j in jobs {
                        eprintln!(
                            "  in flight on queue {q}: job {} {}",
                            j.spec.id, j.spec.what
                        );
                    }
                }
                self.tally.hangs.push(hang.clone());
                return Err(hang);
            }
        };
        if let Some(why) = self.sim.failure() {
            return Err(format!("simulation failed: {why}"));
        }
        self.judge(queue, p.slot, p.ticket.cid(), p.spec, c);
        Ok(())
    }

    /// The scoreboard for one completion.
    fn judge(&mut self, queue: usize, slot: u32, cid: u16, spec: Spec, c: Completion) {
        let who = format!("queue {queue} job {} CID {cid}: {}", spec.id, spec.what);
        if self.recent.len() == 8 {
            self.recent.remove(0);
        }
        self.recent.push(format!("{who} -> {}", c.status));
        self.completed += 1;
        if !c.status.is_success() {
            self.failed += 1;
        }
        *self
            .tally
            .jobs
            .entry((spec.op, format!("{}", c.status)))
            .or_default() += 1;
        // Exactly once, and this job's: its CID, its queue, and the SQ head right after its
        // slot (one job at a time per queue, SQ entries fetched one by one).
        if c.cid != cid || usize::from(c.sq_id) != queue {
            self.mismatch(format!(
                "{who}: completion names CID {} of SQ {}",
                c.cid, c.sq_id
            ));
        }
        if u32::from(c.sq_head) != (slot + 1) % SQ_ENTRIES {
            self.mismatch(format!(
                "{who}: CQ SQ_HEAD {} but the job sat in slot {slot}",
                c.sq_head
            ));
        }
        if c.status != spec.expect {
            self.mismatch(format!(
                "{who}: status {} (RESULT {:#x}), expected {}",
                c.status, c.result, spec.expect
            ));
        }
        let success = c.status.is_success();
        if success {
            if let Some(r) = spec.result {
                if c.result != r {
                    self.mismatch(format!("{who}: RESULT {:#x}, expected {r:#x}", c.result));
                }
            }
        } else if c.result > spec.length {
            self.mismatch(format!(
                "{who}: failed with RESULT {} > LENGTH {}",
                c.result, spec.length
            ));
        }
        // Every target byte: on success the model with the job's moves applied; on failure
        // the old byte, a byte the job may have moved before it failed, or (for table cases)
        // anything in the job's own target. Then the model takes what the device holds, so
        // one error is reported once.
        for (space, range) in &spec.targets {
            let actual = self.read_actual(*space, range.clone());
            let old = self.model(*space)[range.clone()].to_vec();
            let mut want = old.clone();
            let mut landed: Vec<Option<u8>> = vec![None; range.len()];
            let runs = if success {
                &spec.on_success
            } else {
                &spec.may_land
            };
            for (s, at, bytes) in runs {
                if s != space {
                    continue;
                }
                for (i, b) in bytes.iter().enumerate() {
                    let a = at + i;
                    if range.contains(&a) {
                        want[a - range.start] = *b;
                        landed[a - range.start] = Some(*b);
                    }
                }
            }
            let any = |a: usize| {
                !success
                    && spec
                        .anything
                        .iter()
                        .any(|(s, r)| s == space && r.contains(&a))
            };
            let bad: Vec<usize> = (0..range.len())
                .filter(|&i| {
                    let a = range.start + i;
                    if success {
                        actual[i] != want[i]
                    } else {
                        actual[i] != old[i] && Some(actual[i]) != landed[i] && !any(a)
                    }
                })
                .collect();
            if let Some(&first) = bad.first() {
                let a = range.start + first;
                self.mismatch(format!(
                    "{who}: {} of {} bytes of {space:?}[{:#x}..{:#x}] wrong after {}, first at \
                     {a:#x}: {:#04x}, model {:#04x}, the job's byte {:?}",
                    bad.len(),
                    range.len(),
                    range.start,
                    range.end,
                    c.status,
                    actual[first],
                    old[first],
                    landed[first]
                ));
            }
            self.model_mut(*space)[range.clone()].copy_from_slice(&actual);
        }
        if let (Some(dir), true) = (spec.unmapped_dir, !spec.unmapped.is_empty()) {
            self.unmapped_done
                .push((spec.id, who.clone(), spec.unmapped.clone(), dir));
        }
        if spec.duplicated {
            self.duplicated_done += 1;
        }
        if let Some(q) = spec.case_queue {
            self.case_busy[q] = false;
        }
    }

    /// Reaps every job, lets the engine go idle (late duplicates arrive), then compares all of
    /// BAR2 and every host buffer with the model and checks the engine's counters and the
    /// IOMMU faults.
    fn checkpoint(&mut self) -> Result<(), String> {
        for q in 0..QUEUES {
            while !self.pending[q].is_empty() {
                self.reap(q, 0)?;
            }
        }
        self.tally.checkpoints += 1;
        self.sim
            .run_dma_until_idle(5_000_000)
            .map_err(|e| format!("the DMA side does not go idle: {e}"))?;
        for q in 0..QUEUES {
            // No completion for a CID that is not in flight: nothing left in the CQ.
            let extra = self.queues[q].poll().expect("poll");
            if extra != 0 || self.queues[q].in_flight() != 0 {
                self.mismatch(format!(
                    "queue {q}: {extra} CQ entries after every job completed ({} in flight)",
                    self.queues[q].in_flight()
                ));
            }
            let def = QUEUE_STATUS_REG.at(q as u32).expect("queue register");
            let head = regs::read(&self.sim, &def)
                .expect("QUEUE_STATUS")
                .read(QUEUE_STATUS::SQ_HEAD);
            if head != self.submitted[q] % SQ_ENTRIES {
                self.mismatch(format!(
                    "queue {q}: SQ_HEAD {head} but {} entries submitted",
                    self.submitted[q]
                ));
            }
        }
        // Every CQ entry the engine wrote was one of ours, once.
        let jobs = regs::read(&self.sim, &DMA_JOBS_REG)
            .expect("DMA_JOBS")
            .get();
        let errors = regs::read(&self.sim, &DMA_JOB_ERRORS_REG)
            .expect("DMA_JOB_ERRORS")
            .get();
        if u64::from(jobs - self.base_jobs) != self.completed
            || u64::from(errors - self.base_errors) != self.failed
        {
            self.mismatch(format!(
                "engine counted {} jobs ({} failed), the queues delivered {} ({} failed)",
                jobs - self.base_jobs,
                errors - self.base_errors,
                self.completed,
                self.failed
            ));
        }
        let bad = regs::read(&self.sim, &DMA_ERR_BAD_COMPLETION_REG)
            .expect("DMA_ERR_BAD_COMPLETION")
            .get();
        let discarded = bad - self.base_bad_completions;
        if (discarded as usize) < self.duplicated_done {
            self.mismatch(format!(
                "{} duplicated completions injected, DMA_ERR_BAD_COMPLETION grew by {discarded}",
                self.duplicated_done
            ));
        }
        self.base_bad_completions = bad;
        self.duplicated_done = 0;
        // IOMMU faults: only in unmapped ranges the jobs named, in the job's direction; a
        // PUSH's refused writes cover exactly its unmapped bytes, a failed PULL read some.
        let faults = self.sim.take_faults();
        let mut per_job = vec![0u64; self.unmapped_done.len()];
        for f in &faults {
            let owner = self.unmapped_done.iter().position(|(_, _, ranges, dir)| {
                *dir == f.direction
                    && ranges
                        .iter()
                        .any(|r| f.address >= r.start && f.address + f.len <= r.end)
            });
            match owner {
                Some(i) => per_job[i] += f.len,
                None => self.mismatch(format!("IOMMU fault no job explains: {f:?}")),
            }
        }
        let done = std::mem::take(&mut self.unmapped_done);
        for ((_, who, ranges, dir), got) in done.into_iter().zip(per_job) {
            let named: u64 = ranges.iter().map(|r| r.end - r.start).sum();
            let ok = match dir {
                DmaDirection::Write => got == named,
                DmaDirection::Read => got > 0,
            };
            if !ok {
                self.mismatch(format!(
                    "{who}: IOMMU faults cover {got} bytes of the {named} unmapped bytes named"
                ));
            }
        }
        // Nothing outside the jobs' targets changed: all of BAR2, every host buffer.
        let bar = read_bar2(&self.sim, self.bar.offset().get(), self.bar_model.len());
        diff_report(&mut self.tally, "BAR2", &bar, &self.bar_model);
        self.bar_model = bar;
        for i in 0..self.host.len() {
            let now = self.host[i].buf.to_vec();
            let name = format!("host buffer {i}");
            diff_report(&mut self.tally, &name, &now, &self.host[i].model);
            self.host[i].model = now;
        }
        if let Some(why) = self.sim.failure() {
            return Err(format!("simulation failed: {why}"));
        }
        Ok(())
    }
}

impl Soak {
    /// A duplicated completion the engine must discard, injected where no tag can be reused
    /// (PEERBAR_SOAK_DUPLICATES=quiet): every queue drained, a PULL of one inline Data Block that fits one read
    /// (at most MRRS, not crossing 4 KiB), so while the stale copy is under way (200 cycles)
    /// no read is outstanding and no tag is reused. The job must succeed with every byte
    /// right; the copy must be counted in DMA_ERR_BAD_COMPLETION (checked at the checkpoint).
    fn quiet_duplicate(&mut self, id: usize) -> Result<(), String> {
        for q in 0..QUEUES {
            while !self.pending[q].is_empty() {
                self.reap(q, 0)?;
            }
        }
        let host_base = self.host[0].buf.bus_addr().get() as usize;
        let mut len = self.rng.gen_range(1..=self.max_read_req.min(4096));
        let Some(at) = self.find_free(Space::Host(0), len) else {
            return Ok(());
        };
        len = len.min(4096 - (host_base + at) % 4096);
        let Some(bar_at) = self.find_free(Space::Bar2, len) else {
            return Ok(());
        };
        let q = self.rng.gen_range(0..QUEUES);
        let pieces = [Piece::Host {
            at,
            len: len as u32,
        }];
        let addr = (host_base + at) as u64;
        self.sim
            .inject_read_fault(addr..addr + 1, ReadFault::Duplicated);
        *self.tally.faults.entry("duplicated").or_default() += 1;
        let dptr = SglDescriptor::data_block(BusAddr::new(addr), len as u32);
        let mut p = self.blank(id, "PULL", String::new(), StatusCode::Success);
        p.length = len as u32;
        p.result = Some(len as u32);
        p.on_success = self.moves(true, &pieces, bar_at, len as u32);
        p.may_land = p.on_success.clone();
        p.reserved = vec![
            (Space::Host(0), at..at + len),
            (Space::Bar2, bar_at..bar_at + len),
        ];
        p.targets = vec![(Space::Bar2, bar_at..bar_at + len)];
        p.duplicated = true;
        p.what = describe(
            "PULL",
            &pieces,
            bar_at,
            len as u32,
            Some("duplicated (quiet)"),
            &dptr,
        );
        let entry = SqEntry::new(
            Opcode::Pull,
            0,
            0,
            self.bar_offset(bar_at),
            len as u32,
            dptr,
        );
        self.submit(q, entry, Vec::new(), p);
        self.reap(q, 0)?;
        self.sim
            .run_dma_until_idle(1_000_000)
            .map_err(|e| format!("after a quiet duplicate: {e}"))?;
        Ok(())
    }
}

/// Reports the ranges where `actual` differs from `model` (a change no job explains).
fn diff_report(tally: &mut Tally, name: &str, actual: &[u8], model: &[u8]) {
    let mut runs: Vec<Range<usize>> = Vec::new();
    for i in (0..actual.len()).filter(|&i| actual[i] != model[i]) {
        match runs.last_mut() {
            Some(r) if r.end == i => r.end = i + 1,
            _ => runs.push(i..i + 1),
        }
    }
    if !runs.is_empty() {
        let what = format!(
            "{name}: {} bytes changed outside every job's targets, in {} runs, first {:x?}",
            runs.iter().map(|r| r.len()).sum::<usize>(),
            runs.len(),
            &runs[..runs.len().min(5)]
        );
        eprintln!("MISMATCH: {what}");
        tally.mismatches.push(what);
    }
}

/// Host settings from the seed.
/// Whether a seed runs with 5-bit tags (the host left Extended Tag Field Enable clear): half
/// the seeds, from the seed's own stream (the jobs of a seed do not depend on it), or as
/// PEERBAR_SOAK_TAGS=5 / 8 says.
fn five_bit_tags(seed: u64) -> bool {
    match std::env::var("PEERBAR_SOAK_TAGS").as_deref() {
        Ok("5") => true,
        Ok("8") => false,
        _ => ChaCha8Rng::seed_from_u64(seed ^ 0x7a95_5eed).gen_bool(0.5),
    }
}

fn random_config(rng: &mut ChaCha8Rng) -> SimConfig {
    SimConfig {
        max_payload: *[128, 256, 512, 1024].choose(rng).expect("mps"),
        max_read_req: *[128, 256, 512, 1024, 2048, 4096].choose(rng).expect("mrrs"),
        rcb: *[64, 128].choose(rng).expect("rcb"),
        cc_ready_percent: *[100, 100, 80, 50, 25].choose(rng).expect("cc"),
        rq_ready_percent: *[100, 100, 80, 50, 25].choose(rng).expect("rq"),
        rc_latency_cycles: *[0, 50, 200, 500].choose(rng).expect("latency"),
        rc_reorder: rng.gen_bool(0.7),
        rc_split_seed: rng.gen_bool(0.5).then(|| rng.gen()),
        seed: rng.gen(),
        ..SimConfig::default()
    }
}

/// Back-pressure on all four interfaces of the block, from its own stream of the seed (so the
/// jobs of a seed do not depend on it): with `PEERBAR_SOAK_BACKPRESSURE=off` every interface
/// runs at full rate; otherwise (the default) each of CC and RQ `tready` (model -> RTL) and CQ
/// and RC `tvalid` (the model presenting beats late) is held low on a seeded share of cycles,
/// 20-75 %, keeping the seed's CC/RQ share where it already drew one.
fn with_backpressure(mut config: SimConfig, seed: u64) -> SimConfig {
    if std::env::var("PEERBAR_SOAK_BACKPRESSURE").is_ok_and(|v| v == "off") {
        config.cc_ready_percent = 100;
        config.rq_ready_percent = 100;
        config.cq_valid_percent = 100;
        config.rc_valid_percent = 100;
        return config;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0xbac6_9e55);
    let mut share = |current: u8| {
        if current < 100 {
            current
        } else {
            *[80, 50, 25].choose(&mut rng).expect("share")
        }
    };
    config.cc_ready_percent = share(config.cc_ready_percent);
    config.rq_ready_percent = share(config.rq_ready_percent);
    config.cq_valid_percent = share(100);
    config.rc_valid_percent = share(100);
    config
}

fn run_soak(seed: u64, jobs: usize) -> (Tally, String) {
    let started = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let config = SimConfig {
        core_completion_timeout_cycles: CORE_TIMEOUT_CYCLES,
        ..with_backpressure(random_config(&mut rng), seed)
    };
    let five_bit_tags = five_bit_tags(seed);
    let config_text = format!("{config:?}");
    let max_read_req = usize::from(config.max_read_req);
    let busy_duplicates = !std::env::var("PEERBAR_SOAK_DUPLICATES").is_ok_and(|v| v == "quiet");
    println!(
        "soak: seed {seed:#x}, {jobs} jobs, {} tags, {config_text}",
        if five_bit_tags { "5-bit" } else { "8-bit" }
    );
    let sim = SimDevice::new(config).expect("simulated endpoint");
    if five_bit_tags {
        disable_extended_tags(&sim);
    }
    let dev: Arc<dyn Device> = Arc::new(sim.clone());
    let dma = Endpoint::open_shared(dev)
        .expect("endpoint")
        .dma()
        .expect("DMA engine");
    dma.enable().expect("enable");
    dma.set_completion_timeout_cycles(COMPLETION_TIMEOUT_CYCLES)
        .expect("timeout");
    dma.memory()
        .iova_allocator()
        .reserve(UNMAPPED_BASE..UNMAPPED_BASE + UNMAPPED_SPAN);

    let mut queues = Vec::new();
    let mut builders = Vec::new();
    let mut modes = Vec::new();
    for q in 0..QUEUES {
        let mut config = QueueConfig::new(q as u16);
        config.sq_entries = SQ_ENTRIES;
        // Segments of 2 to 256 descriptors: chains in most lists of a queue with few.
        config.builder =
            SglBuilder::new(*[2, 3, 16, 64, 256].choose(&mut rng).expect("dps")).expect("builder");
        if rng.gen_bool(0.25) {
            config.mode = CompletionMode::Interrupt;
        }
        modes.push(format!(
            "q{q}: {:?}, {} per segment",
            config.mode,
            config.builder.descriptors_per_segment()
        ));
        builders.push(config.builder);
        queues.push(dma.create_queue(config).expect("queue"));
    }
    println!("soak: queues {}", modes.join("; "));

    let bar_len = sim.bar_len(BarIndex::BAR2).expect("BAR2 length");
    let bar = Arc::new(dma.peer_memory().alloc(bar_len, 1).expect("all of BAR2"));
    assert_eq!(bar.offset().get(), 0, "the soak owns all of BAR2");
    let bar_model = pattern(seed ^ 0xba2, bar_len as usize);
    bar.write(0, &bar_model).expect("BAR2 fill");

    let mut host = Vec::new();
    for (i, len) in std::iter::once(HOST_ARENA_LEN)
        .chain(std::iter::repeat_n(CASE_DATA_REGION_LEN, QUEUES))
        .enumerate()
    {
        let buf = Arc::new(dma.memory().alloc(len).expect("host buffer"));
        let model = pattern(seed ^ (0x4057 + i as u64), len);
        buf.write(0, &model).expect("host fill");
        host.push(HostRegion { buf, model });
    }
    let case_lists: Vec<Arc<DmaBuffer>> = (0..QUEUES)
        .map(|_| Arc::new(dma.memory().alloc(CASE_LIST_REGION_LEN).expect("case list")))
        .collect();
    let cases = (0..QUEUES)
        .map(|q| malformed_list_cases(case_lists[q].bus_addr(), host[1 + q].buf.bus_addr()))
        .collect();
    let (base_jobs, base_errors, base_bad) = (
        regs::read(&sim, &DMA_JOBS_REG).expect("counter").get(),
        regs::read(&sim, &DMA_JOB_ERRORS_REG)
            .expect("counter")
            .get(),
        regs::read(&sim, &DMA_ERR_BAD_COMPLETION_REG)
            .expect("counter")
            .get(),
    );
    let depth = (0..QUEUES).map(|_| rng.gen_range(1..=8)).collect();
    let mut soak = Soak {
        rng,
        sim: sim.clone(),
        dma,
        queues,
        builders,
        pending: (0..QUEUES).map(|_| Vec::new()).collect(),
        submitted: vec![0; QUEUES],
        depth,
        host,
        case_lists,
        cases,
        case_busy: vec![false; QUEUES],
        bar,
        bar_model,
        unmapped_done: Vec::new(),
        duplicated_done: 0,
        completed: 0,
        failed: 0,
        base_jobs,
        base_errors,
        base_bad_completions: base_bad,
        tally: Tally::default(),
        recent: Vec::new(),
        busy_duplicates,
        max_read_req,
    };

    let start_cycles = sim.stats().cycles;
    let mut next = 0usize;
    let mut outcome: Result<(), String> = Ok(());
    while next < jobs && outcome.is_ok() {
        // Submit on a random queue with room, or reap a random job (the oldest more often).
        let q = soak.rng.gen_range(0..QUEUES);
        let in_flight = soak.pending[q].len();
        let submit = in_flight < soak.depth[q] && (in_flight == 0 || soak.rng.gen_bool(0.6));
        if submit && !soak.busy_duplicates && soak.rng.gen_bool(0.01) {
            outcome = soak.quiet_duplicate(next);
            next += 1;
            continue;
        }
        if submit && soak.submit_random(q, next) {
            next += 1;
            if next % CHECKPOINT_EVERY == 0 {
                outcome = soak.checkpoint();
            }
            continue;
        }
        let busy: Vec<usize> = (0..QUEUES)
            .filter(|&i| !soak.pending[i].is_empty())
            .collect();
        if let Some(&rq) = busy.choose(&mut soak.rng) {
            let n = soak.pending[rq].len();
            let index = if soak.rng.gen_bool(0.6) {
                0
            } else {
                soak.rng.gen_range(0..n)
            };
            outcome = soak.reap(rq, index);
        }
    }
    if outcome.is_ok() {
        outcome = soak.checkpoint();
    }
    if let Err(e) = &outcome {
        if !soak.tally.hangs.iter().any(|h| h == e) {
            soak.tally.hangs.push(e.clone());
        }
    }
    let stats = sim.stats();
    let wall = started.elapsed();
    let mut report = String::new();
    let _ = writeln!(report, "soak: seed {seed:#x}, {config_text}");
    let _ = writeln!(report, "soak: {}", modes.join("; "));
    let _ = writeln!(
        report,
        "soak: {} jobs submitted, {} completed ({} failed as expected or not), {} checkpoints, {} CHECKSUMs, {} PULL/PUSH with FLAGS.CRC",
        next,
        soak.completed,
        soak.failed,
        soak.tally.checkpoints,
        soak.tally.checksums,
        soak.tally.inline_crcs
    );
    for ((op, status), n) in &soak.tally.jobs {
        let _ = writeln!(report, "  {op:<11} {status:<40} {n}");
    }
    let faults: Vec<String> = soak
        .tally
        .faults
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let _ = writeln!(
        report,
        "soak: faults injected: {} (total {})",
        faults.join(", "),
        soak.tally.faults.values().sum::<usize>()
    );
    let _ = writeln!(
        report,
        "soak: mismatches {}, hangs {}",
        soak.tally.mismatches.len(),
        soak.tally.hangs.len()
    );
    let secs = wall.as_secs_f64();
    let _ = writeln!(
        report,
        "soak: {} simulated cycles ({} with the engine active), wall {secs:.1} s, {:.1} jobs/s",
        stats.cycles - start_cycles,
        stats.dma_active_cycles,
        soak.completed as f64 / secs
    );
    (soak.tally, report)
}

#[test]
fn soak() {
    let seed = env_u64("PEERBAR_SOAK_SEED", DEFAULT_SEED);
    let jobs = env_u64("PEERBAR_SOAK_JOBS", DEFAULT_JOBS as u64) as usize;
    let (tally, report) = run_soak(seed, jobs);
    print!("{report}");
    let replay = format!(
        "replay: PEERBAR_SOAK_SEED={seed:#x} PEERBAR_SOAK_JOBS={jobs} \
         cargo test --release -p peerbar-tests --test soak -- --nocapture"
    );
    assert!(
        tally.mismatches.is_empty() && tally.hangs.is_empty(),
        "{} mismatches, {} hangs; first: {:#?}\n{replay}",
        tally.mismatches.len(),
        tally.hangs.len(),
        tally
            .hangs
            .iter()
            .chain(tally.mismatches.iter())
            .take(10)
            .collect::<Vec<_>>()
    );
}

fn describe(
    op: &str,
    pieces: &[Piece],
    bar_at: usize,
    length: u32,
    fault: Option<&str>,
    dptr: &SglDescriptor,
) -> String {
    let mut s = format!(
        "{op} LENGTH {length} BAR2 {bar_at:#x}, DPTR {:?} {:#x}+{}, {} entries",
        dptr.sgl_type(),
        dptr.address().get(),
        dptr.length(),
        pieces.len()
    );
    if let Some(f) = fault {
        let _ = write!(s, ", fault: {f}");
    }
    let shown: Vec<String> = pieces.iter().take(8).map(|p| format!("{p:?}")).collect();
    let _ = write!(
        s,
        " [{}{}]",
        shown.join(", "),
        if pieces.len() > 8 { ", ..." } else { "" }
    );
    s
}

/// Minimal reproducer of what the soak found with `PEERBAR_SOAK_SEED=2`: a read whose
/// completions are duplicated (the stale copy arrives 200 cycles after the genuine ones) inside
/// a PULL long enough that the engine reuses tags within those 200 cycles.
#[test]
fn duplicated_completion_while_its_tag_is_reused() {
    let sim = SimDevice::new(SimConfig::default()).expect("simulated endpoint");
    let dev: Arc<dyn Device> = Arc::new(sim.clone());
    let dma = Endpoint::open_shared(dev)
        .expect("endpoint")
        .dma()
        .expect("DMA");
    dma.enable().expect("enable");
    let q = dma.create_queue(QueueConfig::new(0)).expect("queue");
    let len = 64 * 1024;
    let host = Arc::new(dma.memory().alloc(len).expect("host"));
    let data = pattern(21, len);
    host.write(0, &data).expect("fill");
    let slice = Arc::new(dma.peer_memory().alloc(len as u64, 4096).expect("BAR2"));
    slice.write(0, &pattern(22, len)).expect("fill");
    let first = host.bus_addr().get();
    sim.inject_read_fault(first..first + 1, ReadFault::Duplicated);
    let mut list = peerbar::hostmem::DataList::new();
    list.push_buffer(&host, 0, len as u32).expect("list");
    let c = q
        .submit(Job::Pull {
            peer: peerbar::dma::PeerRange::whole(&slice).expect("range"),
            list: peerbar::dma::Sgl::List(list),
        })
        .expect("submit")
        .wait(Duration::from_secs(10));
    let _ = sim.run_dma_until_idle(1_000_000);
    assert!(sim.failure().is_none(), "simulation: {:?}", sim.failure());
    let c = c.expect("completion");
    assert_eq!(c.status, StatusCode::Success);
    assert!(
        read_bar2(&sim, slice.offset().get(), len) == data,
        "BAR2 differs"
    );
}

/// Minimal reproducer of the hang `PEERBAR_SOAK_SEED=0x1207d002` found (docs/verification.md,
/// "A hang, found and fixed"): job A's list read comes back Unsupported Request in the cycle in
/// which the read-ahead of job B's list (the next SQ entry) issues a read. A's error step took
/// the RQ register back, but the fetch counted B's read as issued, so B waited for ever for
/// bytes nobody had asked for. Which cycle the error lands in depends on the host's latency, so
/// the test sweeps it one cycle at a time over a window that covers B's first reads; both jobs
/// are queued before the engine is enabled, so each latency replays cycle for cycle.
#[test]
fn list_read_failing_while_the_next_list_is_read_ahead() {
    const A_ENTRIES: usize = 8; // one 128-byte list read
    const B_ENTRIES: usize = 32; // a 512-byte segment: four 128-byte reads at MRRS 128
    const ENTRY_LEN: u32 = 64;
    for latency in 0..24u32 {
        let sim = SimDevice::new(SimConfig {
            max_read_req: 128,
            rc_latency_cycles: latency,
            ..SimConfig::default()
        })
        .expect("simulated endpoint");
        let dev: Arc<dyn Device> = Arc::new(sim.clone());
        let dma = Endpoint::open_shared(dev)
            .expect("endpoint")
            .dma()
            .expect("DMA");
        let q = dma.create_queue(QueueConfig::new(0)).expect("queue");
        let builder = SglBuilder::new(64).expect("builder");
        let host = Arc::new(dma.memory().alloc(64 * 1024).expect("host"));
        let data = pattern(31, 64 * 1024);
        host.write(0, &data).expect("fill");
        let b_len = B_ENTRIES as u32 * ENTRY_LEN;
        let a_len = A_ENTRIES as u32 * ENTRY_LEN;
        let slice = Arc::new(
            dma.peer_memory()
                .alloc(u64::from(a_len + b_len), 4096)
                .expect("BAR2"),
        );
        let guard = pattern(32, (a_len + b_len) as usize);
        slice.write(0, &guard).expect("fill");
        let list = |n: usize, first: usize| -> (SglDescriptor, Arc<DmaBuffer>) {
            let entries: Vec<SglEntry> = (0..n)
                .map(|i| {
                    let at = host.bus_addr().get() + ((first + i) as u64) * u64::from(ENTRY_LEN);
                    SglEntry::data(BusAddr::new(at), ENTRY_LEN)
                })
                .collect();
            let buf = Arc::new(
                dma.memory()
                    .alloc(builder.list_len(&entries))
                    .expect("list"),
            );
            let built = builder
                .build(&entries, buf.bus_addr())
                .expect("list builds");
            buf.write(0, &built.list).expect("list write");
            (built.dptr, buf)
        };
        let (a_dptr, a_list) = list(A_ENTRIES, 0);
        let (b_dptr, b_list) = list(B_ENTRIES, A_ENTRIES);
        let at = a_list.bus_addr().get();
        sim.inject_read_fault(at..at + 1, ReadFault::UnsupportedRequest);
        let job = |dptr, bar_at: u32, len: u32, list: &Arc<DmaBuffer>| Job::Raw {
            entry: SqEntry::new(
                Opcode::Pull,
                0,
                0,
                slice
                    .offset()
                    .checked_add(u64::from(bar_at))
                    .expect("offset"),
                len,
                dptr,
            ),
            held: vec![
                Held::Peer(Arc::clone(&slice)),
                Held::Buffer(Arc::clone(&host)),
                Held::Buffer(Arc::clone(list)),
            ],
        };
        // Both entries wait in the SQ until the engine runs.
        assert!(!dma.is_enabled().expect("DMA_CONTROL"));
        let a = q.submit(job(a_dptr, 0, a_len, &a_list)).expect("submit A");
        let b = q
            .submit(job(b_dptr, a_len, b_len, &b_list))
            .expect("submit B");
        dma.enable().expect("enable");
        if let Err(e) = sim.run_dma_until_idle(200_000) {
            panic!("host latency {latency} cycles: {e:?}");
        }
        let a = a.wait(Duration::from_secs(10)).expect("A completes");
        let b = b.wait(Duration::from_secs(10)).expect("B completes");
        assert_eq!(
            a.status,
            StatusCode::UnsupportedRequest,
            "latency {latency}"
        );
        assert_eq!(b.status, StatusCode::Success, "latency {latency}");
        let mut want = guard.clone();
        want[a_len as usize..].copy_from_slice(&data[a_len as usize..(a_len + b_len) as usize]);
        assert!(
            read_bar2(&sim, slice.offset().get(), (a_len + b_len) as usize) == want,
            "latency {latency}: BAR2 is not A's range untouched and B's data"
        );
        assert_eq!(sim.armed_read_faults(), 0, "the fault hit A's list read");
    }
}
