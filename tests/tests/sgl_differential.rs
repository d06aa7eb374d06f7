// SPDX-License-Identifier: MIT OR Apache-2.0
//! Differential test of the SGL rules: random, often malformed lists go both to the RTL's SGL
//! walker (through a real queue of the simulated endpoint, the list laid out in a host
//! `DmaBuffer`) and to the Rust validator `peerbar::dma::sgl::validate`, and the engine's CQ
//! status must be the one the validator predicts. For a list that validates, the bytes moved
//! must match a model (BAR2 for PULL, host memory for PUSH) and nothing outside the job's
//! targets may change; a failed job may only have moved what the list names before the
//! offending descriptor. The queue must go on after every case.
//!
//! Reproducible: case `i` is generated from (seed, i) alone. Environment:
//! - `PEERBAR_FUZZ_SEED`   seed (decimal, 0x hex, or `random`); default [`DEFAULT_SEED`];
//! - `PEERBAR_FUZZ_CASES`  number of cases (default [`DEFAULT_CASES`]; e.g. 20000 for a long run);
//! - `PEERBAR_FUZZ_ONLY`   run only the case with this index (same seed), to reproduce one.
//!
//! A mismatch names the seed, the case index, the list (every descriptor) and both statuses.
//!
//! What the validator cannot know is modelled here, from docs/dma-engine.md:
//! - an unknown opcode completes with 001h, NOP with success; a PULL/PUSH/CHECKSUM whose BAR2
//!   range ends past BAR2 completes with 0C0h before anything is read; CHECKSUM ignores DPTR;
//! - mappings: a read of unmapped memory comes back as Unsupported Request and fails the job with
//!   0C2h (segment fetches, PULL data reads); a PUSH write to unmapped memory is dropped by the
//!   IOMMU and recorded as a fault, and the job still succeeds (posted writes cannot report);
//! - the engine streams (it does not pre-walk the list): a PULL data read that fails races the
//!   walker to a later violation, so there either status is accepted.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use peerbar::dma::sgl::{validate, FakeAddressSpace, SglWalkError};
use peerbar::dma::{DmaEngine, Job, QueueConfig, QueuePair};
use peerbar::dma::{PeerSlice, SglDescriptor, SglEntry, SglType, SqEntry, StatusCode};
use peerbar::hostmem::DmaBuffer;
use peerbar::hostmem::Held;
use peerbar::{BarIndex, BarOffset, BusAddr, Device, Endpoint};
use peerbar_sim::{DmaDirection, SimConfig, SimDevice};
use peerbar_tests::pattern;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Seed of the default run (CI): fixed, so a failure there reproduces.
const DEFAULT_SEED: u64 = 0x5617_d1ff;
/// Cases of the default run: well under a minute on a loaded 2-core machine.
const DEFAULT_CASES: u64 = 300;
const WAIT: Duration = Duration::from_secs(30);

/// The list region: a host buffer the segments are laid out in.
const LIST_LEN: usize = 32 * 1024;
/// The data region: a host buffer every mapped Data Block points into.
const DATA_LEN: usize = 64 * 1024;
/// The BAR2 slice jobs target (BAR2_OFFSET is relative to it).
const TARGET_LEN: usize = 64 * 1024;
/// Inside the IOMMU's aperture, mapped by nobody (8 GiB window).
const UNMAPPED: u64 = 0x30_0000_0000;
const UNMAPPED_LEN: u64 = 1 << 33;
/// Above every IOVA range, BAR and the MSI window: nothing answers there.
const WILD: u64 = 0x4000_0000_0000_0000;

const NOP: u8 = 0x00;
const PULL: u8 = 0x01;
const PUSH: u8 = 0x02;
const CHECKSUM: u8 = 0x03;

// ---- Where things are -------------------------------------------------------------------

#[derive(Clone, Copy, Debug)]
struct Env {
    /// Bus address of the list region.
    list: u64,
    /// Bus address of the data region.
    data: u64,
    /// BAR2 offset of the target slice.
    slice: u64,
    bar2_len: u64,
}

fn end_of(a: u64, len: u64) -> u128 {
    u128::from(a) + u128::from(len)
}

impl Env {
    fn in_list(&self, a: u64, len: u64) -> bool {
        a >= self.list && end_of(a, len) <= end_of(self.list, LIST_LEN as u64)
    }

    fn in_data(&self, a: u64, len: u64) -> bool {
        a >= self.data && end_of(a, len) <= end_of(self.data, DATA_LEN as u64)
    }

    /// Entirely where nobody maps anything (a DMA there faults).
    fn unmapped(&self, a: u64, len: u64) -> bool {
        (a >= UNMAPPED && end_of(a, len) <= end_of(UNMAPPED, UNMAPPED_LEN)) || a >= WILD
    }

    fn name(&self, a: u64) -> String {
        if a >= self.list && a - self.list < LIST_LEN as u64 {
            format!("list+{:#x}", a - self.list)
        } else if a >= self.data && a - self.data < DATA_LEN as u64 {
            format!("data+{:#x}", a - self.data)
        } else if (UNMAPPED..UNMAPPED + UNMAPPED_LEN).contains(&a) {
            format!("unmapped+{:#x}", a - UNMAPPED)
        } else {
            format!("{a:#x}")
        }
    }

    fn describe(&self, d: &SglDescriptor) -> String {
        let ty = match d.sgl_type() {
            SglType::DataBlock => "Data".to_owned(),
            SglType::BitBucket => "BitBucket".to_owned(),
            SglType::Segment => "Segment".to_owned(),
            SglType::LastSegment => "LastSegment".to_owned(),
            other => format!("{other:?}({:X}h)", other.nibble()),
        };
        let sub = if d.subtype() != 0 {
            format!("/sub {:X}h", d.subtype())
        } else {
            String::new()
        };
        format!(
            "{ty}{sub} {} len {}",
            self.name(d.address().get()),
            d.length()
        )
    }
}

// ---- The cases ----------------------------------------------------------------------------

/// Descriptors laid out at `off` in the list region.
#[derive(Clone, Debug)]
struct Seg {
    off: usize,
    descs: Vec<SglDescriptor>,
}

/// Where a descriptor of a case is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pos {
    Dptr,
    In(usize, usize),
}

/// One job: its SQ entry fields and the list memory.
#[derive(Clone, Debug)]
struct Case {
    opcode: u8,
    length: u32,
    /// BAR2_OFFSET relative to the target slice (past its end only for 0C0h cases).
    at: u64,
    dptr: SglDescriptor,
    segs: Vec<Seg>,
    /// What the generator did, for the failure message.
    notes: Vec<String>,
}

fn raw(identifier: u8, a: u64, len: u32) -> SglDescriptor {
    SglDescriptor::with_identifier(identifier, BusAddr::new(a), len)
}

fn with_addr(d: &SglDescriptor, a: u64) -> SglDescriptor {
    raw(d.identifier(), a, d.length())
}

fn with_len(d: &SglDescriptor, len: u32) -> SglDescriptor {
    raw(d.identifier(), d.address().get(), len)
}

fn with_type(d: &SglDescriptor, nibble: u8) -> SglDescriptor {
    raw((nibble << 4) | d.subtype(), d.address().get(), d.length())
}

fn is_chain(d: &SglDescriptor) -> bool {
    matches!(d.sgl_type(), SglType::Segment | SglType::LastSegment)
}

fn opcode_name(op: u8) -> String {
    match op {
        NOP => "NOP".into(),
        PULL => "PULL".into(),
        PUSH => "PUSH".into(),
        CHECKSUM => "CHECKSUM".into(),
        other => format!("invalid {other:02X}h"),
    }
}

impl Case {
    fn get(&self, p: Pos) -> SglDescriptor {
        match p {
            Pos::Dptr => self.dptr,
            Pos::In(s, i) => self.segs[s].descs[i],
        }
    }

    fn set(&mut self, p: Pos, d: SglDescriptor) {
        match p {
            Pos::Dptr => self.dptr = d,
            Pos::In(s, i) => self.segs[s].descs[i] = d,
        }
    }

    fn positions(&self) -> Vec<Pos> {
        let mut v = vec![Pos::Dptr];
        for (s, seg) in self.segs.iter().enumerate() {
            v.extend((0..seg.descs.len()).map(|i| Pos::In(s, i)));
        }
        v
    }

    fn positions_where(&self, f: impl Fn(&SglDescriptor) -> bool) -> Vec<Pos> {
        self.positions()
            .into_iter()
            .filter(|&p| f(&self.get(p)))
            .collect()
    }

    fn seg_addr(&self, env: &Env, s: usize) -> u64 {
        env.list + self.segs[s].off as u64
    }

    /// The list region's bytes.
    fn image(&self) -> Vec<u8> {
        let mut img = vec![0u8; LIST_LEN];
        for seg in &self.segs {
            for (i, d) in seg.descs.iter().enumerate() {
                let at = seg.off + i * 16;
                img[at..at + 16].copy_from_slice(&d.to_bytes());
            }
        }
        img
    }

    fn describe(&self, env: &Env) -> String {
        let mut s = format!(
            "{} LENGTH {} BAR2_OFFSET slice+{:#x}\n  DPTR {}\n",
            opcode_name(self.opcode),
            self.length,
            self.at,
            env.describe(&self.dptr)
        );
        for seg in &self.segs {
            let _ = writeln!(s, "  list+{:#x}:", seg.off);
            for (i, d) in seg.descs.iter().enumerate() {
                let _ = writeln!(s, "    [{i}] {}", env.describe(d));
            }
        }
        if !self.notes.is_empty() {
            let _ = writeln!(s, "  generated: {}", self.notes.join("; "));
        }
        s
    }
}

/// A data length: mostly short, some up to 4 KiB.
fn data_len(rng: &mut ChaCha8Rng) -> u32 {
    match rng.gen_range(0..10) {
        0..=1 => rng.gen_range(1..=16),
        2..=6 => rng.gen_range(17..=512),
        _ => rng.gen_range(513..=4096),
    }
}

/// Any address the walker may meet: data region, list region, unmapped, top of the space.
fn any_addr(rng: &mut ChaCha8Rng, env: &Env) -> u64 {
    match rng.gen_range(0..6) {
        0 => env.data + rng.gen_range(0..DATA_LEN as u64),
        1 => env.list + rng.gen_range(0..LIST_LEN as u64 / 8) * 8,
        2 => UNMAPPED + rng.gen_range(0..1u64 << 32),
        3 => u64::MAX - rng.gen_range(0..8192),
        4 => WILD + rng.gen_range(0..1u64 << 40),
        _ => rng.gen(),
    }
}

/// A well-formed list of random shape (inline, one or many segments, chain-only segments,
/// zero-length blocks, bit buckets on PULL, segments at 8-byte-but-not-16 offsets and across
/// 4 KiB boundaries).
fn valid_case(rng: &mut ChaCha8Rng, env: &Env) -> Case {
    let opcode = if rng.gen_bool(0.5) { PULL } else { PUSH };
    let at = if rng.gen_bool(0.5) {
        rng.gen_range(0..64)
    } else {
        rng.gen_range(0..4096)
    };
    let budget = TARGET_LEN as u64 - at;
    let n = match rng.gen_range(0..100) {
        0..=24 => 1,
        25..=59 => rng.gen_range(2..8),
        60..=89 => rng.gen_range(8..64),
        _ => rng.gen_range(64..300),
    };
    let mut entries = Vec::new();
    let mut total = 0u64;
    for _ in 0..n {
        let r = rng.gen_range(0..100);
        let d = if r < 8 {
            // Zero-length: skipped wherever it points.
            SglDescriptor::data_block(BusAddr::new(any_addr(rng, env)), 0)
        } else if r < 16 && opcode == PULL {
            SglDescriptor::bit_bucket(rng.gen_range(1..=2048))
        } else {
            let len = data_len(rng);
            let off = rng.gen_range(0..=(DATA_LEN as u64 - u64::from(len)));
            SglDescriptor::data_block(BusAddr::new(env.data + off), len)
        };
        if total + u64::from(d.length()) > budget {
            break;
        }
        total += u64::from(d.length());
        entries.push(d);
    }
    if entries.is_empty() {
        entries.push(SglDescriptor::data_block(BusAddr::new(env.data + 5), 1));
        total = 1;
    }
    let (dptr, segs) = layout(rng, env, &entries);
    Case {
        opcode,
        length: total as u32,
        at,
        dptr,
        segs,
        notes: Vec::new(),
    }
}

/// Segments for `entries` (in walk order), placed at random non-overlapping 8-byte-aligned
/// offsets of the list region.
fn layout(rng: &mut ChaCha8Rng, env: &Env, entries: &[SglDescriptor]) -> (SglDescriptor, Vec<Seg>) {
    if entries.len() == 1 && entries[0].sgl_type() == SglType::DataBlock && rng.gen_bool(0.7) {
        return (entries[0], Vec::new());
    }
    let max_data = *[1usize, 3, 15, 63, 254].choose(rng).unwrap();
    let mut groups: Vec<Vec<SglDescriptor>> = Vec::new();
    let mut rest = entries;
    while !rest.is_empty() {
        let k = if rng.gen_bool(0.05) {
            0 // a segment of only a chain descriptor
        } else {
            rng.gen_range(1..=max_data.min(rest.len()))
        };
        groups.push(rest[..k].to_vec());
        rest = &rest[k..];
    }
    let count = groups.len();
    let sizes: Vec<usize> = groups
        .iter()
        .enumerate()
        .map(|(i, g)| (g.len() + usize::from(i + 1 < count)) * 16)
        .collect();
    // Offsets: segments in random order with random gaps.
    let mut order: Vec<usize> = (0..count).collect();
    order.shuffle(rng);
    let mut slack = LIST_LEN - sizes.iter().sum::<usize>();
    let mut offs = vec![0usize; count];
    let mut cursor = 0usize;
    for &i in &order {
        let mut gap = rng.gen_range(0..=slack.min(600)) / 16 * 16;
        if rng.gen_bool(0.3) && gap + 8 <= slack {
            gap += 8; // 8-byte aligned, not 16
        }
        cursor += gap;
        slack -= gap;
        offs[i] = cursor;
        cursor += sizes[i];
        // Keep later segments 8-aligned after an odd gap.
    }
    let pointer = |i: usize, last_type: bool| {
        let a = BusAddr::new(env.list + offs[i] as u64);
        let len = sizes[i] as u32;
        if last_type {
            SglDescriptor::last_segment(a, len)
        } else {
            SglDescriptor::segment(a, len)
        }
    };
    // The pointer to the final segment may be a Segment or a Last Segment; the others must be
    // Segments.
    let final_type = rng.gen_bool(0.6);
    let mut segs = Vec::with_capacity(count);
    for (i, g) in groups.into_iter().enumerate() {
        let mut descs = g;
        if i + 1 < count {
            descs.push(pointer(i + 1, i + 2 == count && final_type));
        }
        segs.push(Seg {
            off: offs[i],
            descs,
        });
    }
    (pointer(0, count == 1 && final_type), segs)
}

/// Mutation kinds and their weights.
const MUTATIONS: [(&str, u32); 17] = [
    ("length", 10),
    ("dptr identifier", 5),
    ("type", 8),
    ("subtype", 4),
    ("segment length", 7),
    ("segment address", 7),
    ("chain not last", 5),
    ("segment type flip", 5),
    ("data length", 8),
    ("data address", 7),
    ("bit bucket", 6),
    ("loop", 4),
    ("endless loop", 2),
    ("soup", 6),
    ("opcode", 5),
    ("bar2 range", 2),
    ("unmapped segment", 3),
];

fn pick<T: Copy>(rng: &mut ChaCha8Rng, v: &[T]) -> Option<T> {
    v.choose(rng).copied()
}

/// A random descriptor with fields picked to meet the rules (every type, some subtypes,
/// segment pointers into the list region, overflowing addresses, lengths of every size).
fn soup_descriptor(rng: &mut ChaCha8Rng, env: &Env) -> SglDescriptor {
    let ty = match rng.gen_range(0..10) {
        0..=3 => 0u8,
        4 => 1,
        5 | 6 => 2,
        7 => 3,
        _ => rng.gen_range(4..16),
    };
    let sub = if rng.gen_bool(0.1) {
        rng.gen_range(1..16)
    } else {
        0
    };
    let len = match rng.gen_range(0..6) {
        0 => 0,
        1 | 2 => rng.gen_range(1..=16u32) * 16,
        3 => data_len(rng),
        4 => u32::MAX,
        _ => rng.gen(),
    };
    raw((ty << 4) | sub, any_addr(rng, env), len)
}

impl Case {
    /// Breaks (or bends) the list in one of the ways of [`MUTATIONS`].
    fn mutate(&mut self, rng: &mut ChaCha8Rng, env: &Env) {
        let total: u32 = MUTATIONS.iter().map(|m| m.1).sum();
        let mut r = rng.gen_range(0..total);
        let mut kind = 0;
        while r >= MUTATIONS[kind].1 {
            r -= MUTATIONS[kind].1;
            kind += 1;
        }
        let name = MUTATIONS[kind].0;
        let pointers = self.positions_where(is_chain);
        let data = self.positions_where(|d| d.sgl_type() == SglType::DataBlock);
        let inner = self.positions_where(|_| true);
        let inner: Vec<Pos> = inner.into_iter().filter(|p| *p != Pos::Dptr).collect();
        let note = match name {
            "length" => {
                let old = self.length;
                self.length = match rng.gen_range(0..7) {
                    0 => old.saturating_add(rng.gen_range(1..=16)),
                    1 => old.saturating_sub(rng.gen_range(1..=16)),
                    2 => old.saturating_add(rng.gen_range(1..=4096)),
                    3 => old.saturating_sub(rng.gen_range(1..=4096)),
                    4 => 0,
                    5 => rng.gen(),
                    _ => rng.gen_range(1..=TARGET_LEN as u32),
                };
                format!("LENGTH {old} -> {}", self.length)
            }
            "dptr identifier" => {
                let id = if rng.gen_bool(0.7) {
                    (rng.gen_range(0..16u8) << 4) | self.dptr.subtype()
                } else {
                    rng.gen()
                };
                self.dptr = raw(id, self.dptr.address().get(), self.dptr.length());
                format!("DPTR identifier {id:02X}h")
            }
            "type" => {
                let Some(p) = pick(rng, &inner) else {
                    return self.mutate(rng, env);
                };
                let t = rng.gen_range(0..16u8);
                self.set(p, with_type(&self.get(p), t));
                format!("{p:?} type {t:X}h")
            }
            "subtype" => {
                let Some(p) = pick(rng, &inner) else {
                    return self.mutate(rng, env);
                };
                let s = rng.gen_range(1..16u8);
                let d = self.get(p);
                self.set(
                    p,
                    raw((d.identifier() & 0xf0) | s, d.address().get(), d.length()),
                );
                format!("{p:?} subtype {s:X}h")
            }
            "segment length" => {
                let Some(p) = pick(rng, &pointers) else {
                    return self.mutate(rng, env);
                };
                let d = self.get(p);
                let len = d.length();
                let new = match rng.gen_range(0..5) {
                    0 => 0,
                    1 => len.wrapping_add(rng.gen_range(1..16)),
                    2 => len.saturating_sub(rng.gen_range(1..16)),
                    3 => len.saturating_add(16 * rng.gen_range(1..=8)),
                    _ => len.saturating_sub(16 * rng.gen_range(1..=8)),
                };
                self.set(p, with_len(&d, new));
                format!("{p:?} segment length {len} -> {new}")
            }
            "segment address" | "unmapped segment" => {
                let Some(p) = pick(rng, &pointers) else {
                    return self.mutate(rng, env);
                };
                let d = self.get(p);
                let a = d.address().get();
                let len = u64::from(d.length());
                let choice = if name == "unmapped segment" {
                    3
                } else {
                    rng.gen_range(0..8)
                };
                let new = match choice {
                    0 => a.wrapping_add(rng.gen_range(1..8)),
                    1 => a.wrapping_add(8),
                    2 => a.wrapping_sub(16 * rng.gen_range(1..=4)),
                    3 => UNMAPPED + 8 * rng.gen_range(0..1u64 << 20),
                    4 => WILD + 8 * rng.gen_range(0..1u64 << 20),
                    // Aligned, and address + length passes 2^64.
                    5 => (u64::MAX - 7) - 8 * rng.gen_range(0..(len.max(16) / 8 - 1)),
                    // Aligned, and address + length is exactly 2^64 (also an overflow: 0Dh).
                    6 if len > 0 => 0u64.wrapping_sub(len),
                    _ => a.wrapping_add(16 * rng.gen_range(1..=4)),
                };
                self.set(p, with_addr(&d, new));
                format!("{p:?} segment address -> {}", env.name(new))
            }
            "chain not last" => {
                let segs: Vec<usize> = (0..self.segs.len())
                    .filter(|&s| self.segs[s].descs.len() >= 2)
                    .collect();
                let Some(s) = pick(rng, &segs) else {
                    return self.mutate(rng, env);
                };
                let n = self.segs[s].descs.len();
                let i = rng.gen_range(0..n - 1);
                if is_chain(&self.segs[s].descs[n - 1]) && rng.gen_bool(0.6) {
                    self.segs[s].descs.swap(i, n - 1);
                    format!("segment {s}: chain swapped to [{i}]")
                } else {
                    let a = self.seg_addr(env, s);
                    let ty = if rng.gen_bool(0.5) { 2 } else { 3 };
                    self.segs[s].descs[i] = raw(ty << 4, a, 16);
                    format!("segment {s}: chain at [{i}]")
                }
            }
            "segment type flip" => {
                let Some(p) = pick(rng, &pointers) else {
                    return self.mutate(rng, env);
                };
                let d = self.get(p);
                let t = if d.sgl_type() == SglType::Segment {
                    3
                } else {
                    2
                };
                self.set(p, with_type(&d, t));
                format!("{p:?} type -> {t:X}h")
            }
            "data length" => {
                let Some(p) = pick(rng, &data) else {
                    return self.mutate(rng, env);
                };
                let d = self.get(p);
                let new = match rng.gen_range(0..6) {
                    0 => 0,
                    1 => d.length().saturating_add(rng.gen_range(1..=64)),
                    2 => d.length().saturating_sub(rng.gen_range(1..=64)),
                    3 => u32::MAX,
                    4 => rng.gen(),
                    _ => rng.gen_range(1..=DATA_LEN as u32),
                };
                self.set(p, with_len(&d, new));
                format!("{p:?} data length {} -> {new}", d.length())
            }
            "data address" => {
                let Some(p) = pick(rng, &data) else {
                    return self.mutate(rng, env);
                };
                let d = self.get(p);
                let len = u64::from(d.length());
                let new = match rng.gen_range(0..6) {
                    0 => UNMAPPED + rng.gen_range(0..1u64 << 32),
                    1 => WILD + rng.gen_range(0..1u64 << 40),
                    // address + length passes 2^64 (when the length is at least 2).
                    2 => u64::MAX - rng.gen_range(0..len.max(2) - 1),
                    // address + length exactly 2^64 (also an overflow: 0Fh).
                    3 if len > 0 => 0u64.wrapping_sub(len),
                    _ => env.data + rng.gen_range(0..DATA_LEN as u64),
                };
                self.set(p, with_addr(&d, new));
                format!("{p:?} data address -> {}", env.name(new))
            }
            "bit bucket" => {
                let bump = rng.gen_bool(0.5);
                if let (true, Some(p)) = (rng.gen_bool(0.5), pick(rng, &data)) {
                    let d = self.get(p);
                    self.set(p, SglDescriptor::bit_bucket(d.length()));
                    format!("{p:?} -> bit bucket")
                } else if !self.segs.is_empty() {
                    let s = rng.gen_range(0..self.segs.len());
                    let n = self.segs[s].descs.len();
                    let i = rng.gen_range(0..n);
                    let len = rng.gen_range(0..=512u32);
                    self.segs[s].descs.insert(i, SglDescriptor::bit_bucket(len));
                    if bump {
                        self.length = self.length.saturating_add(len);
                    }
                    format!("segment {s}: bit bucket of {len} inserted at [{i}]")
                } else {
                    self.dptr = SglDescriptor::bit_bucket(self.dptr.length());
                    "DPTR -> bit bucket".to_owned()
                }
            }
            "loop" => {
                if self.segs.is_empty() {
                    return self.mutate(rng, env);
                }
                let chains: Vec<Pos> = pointers
                    .iter()
                    .copied()
                    .filter(|p| *p != Pos::Dptr)
                    .collect();
                let target = rng.gen_range(0..self.segs.len());
                let t_addr = self.seg_addr(env, target);
                let t_len = (self.segs[target].descs.len() * 16) as u32;
                if let Some(p) = pick(rng, &chains) {
                    self.set(p, SglDescriptor::segment(BusAddr::new(t_addr), t_len));
                    format!("{p:?} loops to segment {target}")
                } else {
                    // One segment: end it in a chain back to a segment, as a Segment.
                    let s = self.segs.len() - 1;
                    self.segs[s]
                        .descs
                        .push(SglDescriptor::segment(BusAddr::new(t_addr), t_len + 16));
                    let len = (self.segs[s].descs.len() * 16) as u32;
                    self.dptr = SglDescriptor::segment(BusAddr::new(self.seg_addr(env, 0)), len);
                    format!("segment {s} ends in a loop to segment {target}")
                }
            }
            "endless loop" => {
                // Zero-length blocks chained back: only the descriptor limit ends it.
                let k = rng.gen_range(15..=255usize); // tiny segments: see MAX_SEGMENT_FETCHES
                let off = rng.gen_range(0..(LIST_LEN - 256 * 16) / 8) * 8;
                let a = BusAddr::new(env.list + off as u64);
                let mut descs = vec![SglDescriptor::data_block(BusAddr::new(env.data), 0); k];
                descs.push(SglDescriptor::segment(a, (k as u32 + 1) * 16));
                self.segs = vec![Seg { off, descs }];
                self.dptr = SglDescriptor::segment(a, (k as u32 + 1) * 16);
                if self.length == 0 {
                    self.length = 1;
                }
                format!("endless loop of {k} zero-length blocks")
            }
            "soup" => {
                if self.segs.is_empty() {
                    return self.mutate(rng, env);
                }
                let s = rng.gen_range(0..self.segs.len());
                let n = self.segs[s].descs.len();
                let how = rng.gen_range(0..3);
                for i in 0..n {
                    if how == 0 || rng.gen_bool(0.3) {
                        self.segs[s].descs[i] = if rng.gen_bool(0.2) {
                            let mut b = [0u8; 16];
                            rng.fill(&mut b);
                            SglDescriptor::from_bytes(&b)
                        } else {
                            soup_descriptor(rng, env)
                        };
                    }
                }
                format!("segment {s}: soup")
            }
            "opcode" => {
                self.opcode = match rng.gen_range(0..6) {
                    0 => PULL,
                    1 => PUSH,
                    2 => CHECKSUM,
                    3 => NOP,
                    _ => rng.gen_range(4..=255),
                };
                format!("opcode -> {}", opcode_name(self.opcode))
            }
            "bar2 range" => {
                let end = env.bar2_len - env.slice;
                self.at = end.saturating_sub(u64::from(self.length)) + rng.gen_range(1..=4096);
                format!("BAR2_OFFSET -> slice+{:#x} (past BAR2)", self.at)
            }
            _ => unreachable!("mutation {name}"),
        };
        self.notes.push(note);
    }

    /// Keeps the case safe to run whatever it says: every Data Block the engine could use lies
    /// in the data region or where nothing is mapped (a PUSH must not write into the rings or
    /// the list), every segment it could follow lies wholly in the list region or wholly
    /// where nothing is mapped (no segment half mapped), the list fits the list region, and
    /// the job's BAR2 range stays in the target slice unless it passes the end of BAR2 (0C0h).
    fn sanitize(&mut self, env: &Env) {
        // Segments end before the next one starts (a grown segment would overwrite it).
        let mut order: Vec<usize> = (0..self.segs.len()).collect();
        order.sort_by_key(|&i| self.segs[i].off);
        for (k, &i) in order.iter().enumerate() {
            let limit = order.get(k + 1).map_or(LIST_LEN, |&j| self.segs[j].off);
            let room = limit.saturating_sub(self.segs[i].off) / 16;
            if self.segs[i].descs.len() > room {
                self.segs[i].descs.truncate(room);
                self.notes.push(format!(
                    "list+{:#x} cut to {room} descriptors",
                    self.segs[i].off
                ));
            }
        }
        self.segs.retain(|s| !s.descs.is_empty());
        for p in self.positions() {
            let d = self.get(p);
            if d.subtype() != 0 {
                continue; // never followed nor moved
            }
            let a = d.address().get();
            let len = u64::from(d.length());
            match d.sgl_type() {
                SglType::DataBlock if len > 0 => {
                    if end_of(a, len) > 1u128 << 64 || env.in_data(a, len) || env.unmapped(a, len) {
                        continue;
                    }
                    let fixed = if a >= env.data && a < env.data + DATA_LEN as u64 {
                        with_len(&d, (env.data + DATA_LEN as u64 - a) as u32)
                    } else {
                        with_addr(&d, UNMAPPED + (a & 0x7fff_ffff))
                    };
                    self.set(p, fixed);
                }
                SglType::Segment | SglType::LastSegment => {
                    let well_formed = len > 0 && len % 16 == 0 && a % 8 == 0;
                    if !well_formed
                        || end_of(a, len) > 1u128 << 64
                        || env.in_list(a, len)
                        || env.unmapped(a, len)
                    {
                        continue;
                    }
                    let room = (env.list + LIST_LEN as u64).saturating_sub(a) / 16 * 16;
                    let fixed = if a >= env.list && room > 0 {
                        with_len(&d, room as u32)
                    } else {
                        with_addr(&d, UNMAPPED + (a & 0x7fff_fff8))
                    };
                    self.set(p, fixed);
                }
                _ => {}
            }
        }
        if matches!(self.opcode, PULL | PUSH | CHECKSUM) {
            let end = self.at + u64::from(self.length);
            if end > TARGET_LEN as u64 && env.slice + end <= env.bar2_len {
                self.length = (TARGET_LEN as u64).saturating_sub(self.at) as u32;
                self.notes.push(format!("LENGTH capped to {}", self.length));
            }
        }
    }
}

/// Segment fetches a case may cost: each is a read round trip (about 300 cycles), so an
/// endless loop of tiny segments (65 536 fetches) would take minutes of simulation.
const MAX_SEGMENT_FETCHES: usize = 8192;

/// True when everything the walk meets is safe to hand to the engine: every Data Block in
/// the data region, where nothing is mapped, or overflowing; every segment it could follow
/// wholly in the list region or wholly unmapped. (Segments may overlap, or be read at an
/// 8-byte offset, so the walk can meet descriptors [`Case::sanitize`] never saw.)
fn walk_is_safe(env: &Env, walk: &[SglDescriptor]) -> bool {
    walk.iter().all(|d| {
        let (a, len) = (d.address().get(), u64::from(d.length()));
        let overflows = end_of(a, len) >= 1u128 << 64;
        d.subtype() != 0
            || match d.sgl_type() {
                SglType::DataBlock => {
                    len == 0 || overflows || env.in_data(a, len) || env.unmapped(a, len)
                }
                SglType::Segment | SglType::LastSegment => {
                    len == 0
                        || len % 16 != 0
                        || a % 8 != 0
                        || overflows
                        || env.in_list(a, len)
                        || env.unmapped(a, len)
                }
                _ => true,
            }
    })
}

/// Case `index` of the run seeded `seed`: a valid list, then 0 to 3 mutations (about a third
/// of the cases stay valid). Drawn again (from the same seed and index) while the walk would
/// meet unsafe memory or cost too many segment fetches.
fn gen_case(seed: u64, index: u64, env: &Env) -> Case {
    for attempt in 0u64.. {
        let mut rng = ChaCha8Rng::seed_from_u64(
            seed ^ index.wrapping_mul(0x9e37_79b9_7f4a_7c15)
                ^ attempt.wrapping_mul(0xd6e8_feb8_6659_fd93),
        );
        let mut case = valid_case(&mut rng, env);
        let mutations = match rng.gen_range(0..10) {
            0..=2 => 0,
            3..=6 => 1,
            7..=8 => 2,
            _ => 3,
        };
        for _ in 0..mutations {
            case.mutate(&mut rng, env);
        }
        case.sanitize(env);
        let e = model(&case, env, &case.image());
        let fetches = e.walk.iter().skip(1).filter(|d| is_chain(d)).count();
        if walk_is_safe(env, &e.walk) && fetches <= MAX_SEGMENT_FETCHES {
            if attempt > 0 {
                case.notes.push(format!("draw {attempt}"));
            }
            return case;
        }
    }
    unreachable!()
}

// ---- The model -----------------------------------------------------------------------------

/// What the engine must do with a case.
#[derive(Debug)]
struct Expect {
    /// Acceptable statuses (the first is the validator's or the model's verdict).
    statuses: Vec<StatusCode>,
    /// The validator's verdict, for messages.
    verdict: String,
    /// A success with these entries (exact data check).
    moved: Option<Vec<SglEntry>>,
    /// A failure: Data Blocks (offset in the job, descriptor) the engine may have moved before
    /// it stopped.
    prefix: Vec<(u64, SglDescriptor)>,
    /// What the walk met: DPTR, then every descriptor read from segment memory, in order
    /// (empty when the engine does not walk the list).
    walk: Vec<SglDescriptor>,
}

/// Data Blocks the walk reached that the engine may have moved before it stopped: those in
/// `walked` up to the first one it cannot move.
fn movable_prefix(walked: &[SglDescriptor], op: u8, length: u32) -> Vec<(u64, SglDescriptor)> {
    let mut out = Vec::new();
    let mut pos = 0u64;
    for d in walked {
        if d.subtype() != 0 {
            break;
        }
        let len = u64::from(d.length());
        match d.sgl_type() {
            SglType::Segment | SglType::LastSegment => continue,
            SglType::DataBlock => {
                if end_of(d.address().get(), len) >= 1u128 << 64 || pos + len > u64::from(length) {
                    break;
                }
                out.push((pos, *d));
            }
            SglType::BitBucket if op == PULL => {
                if pos + len > u64::from(length) {
                    break;
                }
            }
            _ => break,
        }
        pos += len;
    }
    out
}

fn model(case: &Case, env: &Env, image: &[u8]) -> Expect {
    let done = |s: StatusCode, verdict: &str| Expect {
        statuses: vec![s],
        verdict: verdict.to_owned(),
        moved: Some(Vec::new()),
        prefix: Vec::new(),
        walk: Vec::new(),
    };
    match case.opcode {
        NOP => return done(StatusCode::Success, "NOP"),
        PULL | PUSH | CHECKSUM => {}
        _ => return done(StatusCode::InvalidOpcode, "unknown opcode"),
    }
    if env.slice + case.at + u64::from(case.length) > env.bar2_len {
        return done(StatusCode::Bar2Range, "BAR2 range past the end of BAR2");
    }
    if case.opcode == CHECKSUM {
        return done(StatusCode::Success, "CHECKSUM ignores DPTR");
    }
    let mut space = FakeAddressSpace::default();
    space.add_region(BusAddr::new(env.list), LIST_LEN);
    space.add_region(BusAddr::new(env.data), DATA_LEN);
    space.write(BusAddr::new(env.list), image);
    let walked = RefCell::new(Vec::new());
    let op = if case.opcode == PULL {
        peerbar::dma::Opcode::Pull
    } else {
        peerbar::dma::Opcode::Push
    };
    let verdict = validate(case.dptr, case.length, op, |a, b| {
        space.read(a, b)?;
        walked.borrow_mut().push(SglDescriptor::from_bytes(
            &<[u8; 16]>::try_from(&*b).expect("16 bytes"),
        ));
        Ok::<(), StatusCode>(())
    });
    let reads = walked.into_inner();
    let mut walk = vec![case.dptr];
    walk.extend(reads.iter().copied());
    let mut walked = reads;
    if case.dptr.sgl_type() == SglType::DataBlock {
        walked.insert(0, case.dptr);
    }
    let unmapped_data = |d: &SglDescriptor| {
        d.sgl_type() == SglType::DataBlock
            && d.length() > 0
            && !env.in_data(d.address().get(), u64::from(d.length()))
    };
    let prefix = movable_prefix(&walked, case.opcode, case.length);
    let pull_read_fails = case.opcode == PULL && prefix.iter().any(|(_, d)| unmapped_data(d));
    match verdict {
        Ok(entries) => {
            if pull_read_fails {
                Expect {
                    statuses: vec![StatusCode::UnsupportedRequest],
                    verdict: "valid, but a PULL Data Block is unmapped".into(),
                    moved: None,
                    prefix,
                    walk,
                }
            } else {
                Expect {
                    statuses: vec![StatusCode::Success],
                    verdict: format!("valid: {} entries", entries.len()),
                    moved: Some(entries),
                    prefix: Vec::new(),
                    walk,
                }
            }
        }
        Err(SglWalkError::Read { addr, .. }) => Expect {
            statuses: vec![StatusCode::UnsupportedRequest],
            verdict: format!("segment memory at {} is unmapped", env.name(addr.get())),
            moved: None,
            prefix,
            walk,
        },
        Err(SglWalkError::Invalid { violation, at }) => {
            let mut statuses = vec![violation.status()];
            if pull_read_fails {
                statuses.push(StatusCode::UnsupportedRequest);
            }
            Expect {
                statuses,
                verdict: format!(
                    "{violation:?} at {}",
                    at.map_or("DPTR / end of list".to_owned(), |a| env.name(a.get()))
                ),
                moved: None,
                prefix,
                walk,
            }
        }
    }
}

// ---- The rig -------------------------------------------------------------------------------

struct Rig {
    sim: SimDevice,
    _dma: DmaEngine,
    q: QueuePair,
    list: Arc<DmaBuffer>,
    data: Arc<DmaBuffer>,
    slice: Arc<PeerSlice>,
    env: Env,
    /// What BAR2's target slice and the data region hold now.
    bar2_now: Vec<u8>,
    data_now: Vec<u8>,
}

fn read_bar2(sim: &SimDevice, offset: u64, len: usize) -> Vec<u8> {
    let mut b = vec![0u8; len];
    sim.bar_read(BarIndex::BAR2, BarOffset::new(offset), &mut b)
        .expect("BAR2 read");
    b
}

impl Rig {
    fn new() -> Rig {
        let sim = SimDevice::new(SimConfig::default()).expect("simulated endpoint");
        let dev: Arc<dyn Device> = Arc::new(sim.clone());
        let endpoint = Endpoint::open_shared(dev).expect("endpoint");
        let dma = endpoint.dma().expect("DMA engine present");
        dma.enable().expect("enable");
        let q = dma.create_queue(QueueConfig::new(1)).expect("queue");
        let list = Arc::new(dma.memory().alloc(LIST_LEN).expect("list region"));
        let data = Arc::new(dma.memory().alloc(DATA_LEN).expect("data region"));
        let slice = Arc::new(
            dma.peer_memory()
                .alloc(TARGET_LEN as u64, 4096)
                .expect("BAR2 slice"),
        );
        let data_now = pattern(0xda7a, DATA_LEN);
        data.write(0, &data_now).unwrap();
        let bar2_now = pattern(0xba22, TARGET_LEN);
        slice.write(0, &bar2_now).unwrap();
        let env = Env {
            list: list.bus_addr().get(),
            data: data.bus_addr().get(),
            slice: slice.offset().get(),
            bar2_len: sim.bar_len(BarIndex::BAR2).unwrap(),
        };
        for (a, len) in [(env.list, LIST_LEN), (env.data, DATA_LEN)] {
            assert!(
                !env.unmapped(a, len as u64),
                "the regions must not lie in the unmapped windows"
            );
        }
        let (sq, cq) = q.ring_addrs();
        for ring in [sq.get(), cq.get()] {
            assert!(!env.unmapped(ring, 1) && !env.in_data(ring, 1) && !env.in_list(ring, 1));
        }
        Rig {
            sim,
            _dma: dma,
            q,
            list,
            data,
            slice,
            env,
            bar2_now,
            data_now,
        }
    }

    /// Runs `case` on the engine and checks it against the model. `Err` describes a mismatch.
    fn check(&mut self, case: &Case) -> Result<(StatusCode, Expect), String> {
        let env = self.env;
        let image = case.image();
        let expect = model(case, &env, &image);
        self.list.write(0, &image).unwrap();
        let entry = SqEntry::with_raw_opcode(
            case.opcode,
            0,
            0,
            BarOffset::new(env.slice + case.at),
            case.length,
            case.dptr,
        );
        let ticket = self
            .q
            .submit(Job::Raw {
                entry,
                held: vec![
                    Held::Buffer(Arc::clone(&self.list)),
                    Held::Buffer(Arc::clone(&self.data)),
                    Held::Peer(Arc::clone(&self.slice)),
                ],
            })
            .map_err(|e| format!("submit failed: {e}"))?;
        let c = ticket.wait(WAIT).map_err(|e| {
            format!(
                "no completion: {e}; simulation: {:?}; faults: {:?}",
                self.sim.failure(),
                self.sim.faults()
            )
        })?;
        let mut problems = Vec::new();
        if !expect.statuses.contains(&c.status) {
            problems.push(format!(
                "status: engine {}, validator/model {} ({})",
                c.status,
                expect
                    .statuses
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
                expect.verdict
            ));
        }
        let bar2_after = read_bar2(&self.sim, env.slice, TARGET_LEN);
        let data_after = self.data.to_vec();
        if self.list.to_vec() != image {
            problems.push("the list region changed".into());
        }
        let faults = self.sim.take_faults();
        problems.extend(self.check_memory(case, &expect, &c, &bar2_after, &data_after));
        problems.extend(check_faults(case, &env, &expect, c.status, &faults));
        if let Some(f) = self.sim.failure() {
            problems.push(format!("the simulation recorded a failure: {f}"));
        }
        // The queue goes on.
        let nop = self
            .q
            .submit(Job::Nop)
            .and_then(|t| t.wait(WAIT))
            .map_err(|e| format!("NOP after the case: {e}"))?;
        if nop.status != StatusCode::Success {
            problems.push(format!("NOP after the case completed with {}", nop.status));
        }
        self.bar2_now = bar2_after;
        self.data_now = data_after;
        if problems.is_empty() {
            Ok((c.status, expect))
        } else {
            let walk: Vec<String> = expect.walk.iter().map(|d| env.describe(d)).collect();
            Err(format!(
                "{}\n  engine: status {}, RESULT {}\n  validator: {}\n  walk (DPTR, then \
                 each descriptor read): {}",
                problems.join("\n  "),
                c.status,
                c.result,
                expect.verdict,
                walk.join(" | ")
            ))
        }
    }

    /// Data checks: exact for a success, "nothing but the prefix" for a failure.
    fn check_memory(
        &self,
        case: &Case,
        expect: &Expect,
        c: &peerbar::dma::Completion,
        bar2_after: &[u8],
        data_after: &[u8],
    ) -> Vec<String> {
        let env = &self.env;
        let mut problems = Vec::new();
        let at = case.at as usize;
        let first_diff = |a: &[u8], b: &[u8]| a.iter().zip(b).position(|(x, y)| x != y);
        let data_off = |d: &SglDescriptor| (d.address().get() - env.data) as usize;
        let moving = c.status == StatusCode::Success
            && matches!(case.opcode, PULL | PUSH)
            && case.length > 0;
        match (&expect.moved, moving) {
            (Some(entries), true) => {
                // Exact model of a successful PULL / PUSH.
                let mut bar2 = self.bar2_now.clone();
                let mut data = self.data_now.clone();
                let mut pos = at;
                let mut data_bytes = 0u64;
                for e in entries {
                    match *e {
                        SglEntry::Data { addr, len } => {
                            let len_us = len as usize;
                            data_bytes += u64::from(len);
                            let mapped = env.in_data(addr.get(), u64::from(len));
                            let off = addr.get().wrapping_sub(env.data) as usize;
                            if case.opcode == PULL {
                                bar2[pos..pos + len_us]
                                    .copy_from_slice(&self.data_now[off..off + len_us]);
                            } else if mapped {
                                data[off..off + len_us]
                                    .copy_from_slice(&self.bar2_now[pos..pos + len_us]);
                            }
                            pos += len_us;
                        }
                        SglEntry::BitBucket { len } => pos += len as usize,
                    }
                }
                if let Some(i) = first_diff(&bar2, bar2_after) {
                    problems.push(format!(
                        "BAR2 slice+{i:#x}: expected {:#04x}, found {:#04x}",
                        bar2[i], bar2_after[i]
                    ));
                }
                if let Some(i) = first_diff(&data, data_after) {
                    problems.push(format!(
                        "data+{i:#x}: expected {:#04x}, found {:#04x}",
                        data[i], data_after[i]
                    ));
                }
                let want = if case.opcode == PULL {
                    data_bytes
                } else {
                    u64::from(case.length)
                };
                if u64::from(c.result) != want {
                    problems.push(format!(
                        "RESULT {} (bytes moved), expected {want}",
                        c.result
                    ));
                }
            }
            _ => {
                if c.status == StatusCode::Success
                    && case.opcode == CHECKSUM
                    && env.slice + case.at + u64::from(case.length) <= env.bar2_len
                {
                    let want = crc32c::crc32c(&self.bar2_now[at..at + case.length as usize]);
                    if c.result != want {
                        problems.push(format!(
                            "CHECKSUM RESULT {:#x}, expected {want:#x}",
                            c.result
                        ));
                    }
                }
                // Nothing moved, or only what the list names before the offending descriptor.
                let prefix = if matches!(case.opcode, PULL | PUSH) {
                    &expect.prefix[..]
                } else {
                    &[]
                };
                for (i, (&now, &after)) in self.bar2_now.iter().zip(bar2_after).enumerate() {
                    if now == after {
                        continue;
                    }
                    let ok = case.opcode == PULL
                        && i >= at
                        && prefix.iter().any(|(p, d)| {
                            let (p, len) = (at + *p as usize, d.length() as usize);
                            (p..p + len).contains(&i)
                                && env.in_data(d.address().get(), len as u64)
                                && self.data_now[data_off(d) + (i - p)] == after
                        });
                    if !ok {
                        problems.push(format!(
                            "BAR2 slice+{i:#x} changed ({now:#04x} -> {after:#04x}) by a job \
                             that must not write there"
                        ));
                        break;
                    }
                }
                for (i, (&now, &after)) in self.data_now.iter().zip(data_after).enumerate() {
                    if now == after {
                        continue;
                    }
                    let ok = case.opcode == PUSH
                        && prefix.iter().any(|(p, d)| {
                            let len = d.length() as u64;
                            env.in_data(d.address().get(), len)
                                && (data_off(d)..data_off(d) + len as usize).contains(&i)
                                && self.bar2_now[at + *p as usize + (i - data_off(d))] == after
                        });
                    if !ok {
                        problems.push(format!(
                            "data+{i:#x} changed ({now:#04x} -> {after:#04x}) by a job that \
                             must not write there"
                        ));
                        break;
                    }
                }
            }
        }
        problems
    }
}

/// IOMMU faults: only inside unmapped ranges the case names; one at least when the model
/// says the engine met unmapped memory (UR status, or a successful PUSH to unmapped memory).
fn check_faults(
    case: &Case,
    env: &Env,
    expect: &Expect,
    status: StatusCode,
    faults: &[peerbar_sim::DmaFault],
) -> Vec<String> {
    let mut named = Vec::new();
    let listed = case.positions().into_iter().map(|p| case.get(p));
    for d in listed.chain(expect.walk.iter().copied()) {
        let (a, len) = (d.address().get(), u64::from(d.length()));
        if matches!(
            d.sgl_type(),
            SglType::DataBlock | SglType::Segment | SglType::LastSegment
        ) && len > 0
            && env.unmapped(a, len)
        {
            named.push((u128::from(a), end_of(a, len)));
        }
    }
    let mut problems = Vec::new();
    for f in faults {
        let (a, e) = (u128::from(f.address), end_of(f.address, f.len.max(1)));
        if !named.iter().any(|&(s, t)| s <= a && e <= t) {
            problems.push(format!(
                "IOMMU fault outside every unmapped range the list names: {f:?}"
            ));
        }
    }
    let pushed_unmapped = status == StatusCode::Success
        && case.opcode == PUSH
        && expect.moved.as_ref().is_some_and(|m| {
            m.iter().any(|e| {
                matches!(*e, SglEntry::Data { addr, len } if !env.in_data(addr.get(), u64::from(len)))
            })
        });
    if (expect.statuses == [StatusCode::UnsupportedRequest] || pushed_unmapped) && faults.is_empty()
    {
        problems.push("the engine met unmapped memory but no IOMMU fault was recorded".into());
    }
    if pushed_unmapped && faults.iter().any(|f| f.direction != DmaDirection::Write) {
        problems.push(format!("a PUSH recorded read faults: {faults:?}"));
    }
    problems
}

// ---- The runs ------------------------------------------------------------------------------

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    let v = v.trim().replace('_', "");
    if v.eq_ignore_ascii_case("random") {
        return Some(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64,
        );
    }
    let parsed = match v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => v.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={v:?} is not a number")))
}

/// Runs cases `indices` of `seed` and panics with every mismatch (at most 10 are described).
fn run(seed: u64, indices: impl Iterator<Item = u64>) {
    let mut rig = Rig::new();
    let env = rig.env;
    let t0 = Instant::now();
    let cycles0 = rig.sim.stats().cycles;
    let mut statuses: BTreeMap<String, u64> = BTreeMap::new();
    let mut mismatches = Vec::new();
    let mut count = 0u64;
    let mut valid = 0u64;
    for index in indices {
        let case = gen_case(seed, index, &env);
        count += 1;
        match rig.check(&case) {
            Ok((status, expect)) => {
                if expect.statuses == [StatusCode::Success] && expect.moved.is_some() {
                    valid += 1;
                }
                *statuses.entry(status.to_string()).or_default() += 1;
            }
            Err(why) => {
                let text = format!(
                    "seed {seed:#x} case {index} (PEERBAR_FUZZ_SEED={seed:#x} \
                     PEERBAR_FUZZ_ONLY={index}):\n  {why}\n  list: {}",
                    case.describe(&env)
                );
                eprintln!("MISMATCH {text}");
                let fatal = why.starts_with("no completion") || why.starts_with("submit failed");
                mismatches.push(text);
                if fatal || rig.sim.failure().is_some() {
                    break; // the queue or the simulation is gone: later cases would tell nothing
                }
            }
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    let cycles = rig.sim.stats().cycles - cycles0;
    eprintln!(
        "sgl_differential: seed {seed:#x}: {count} cases ({valid} valid lists) in {secs:.1} s = \
         {:.1} cases/s, {cycles} simulated cycles; {} mismatches; engine statuses: {statuses:?}",
        count as f64 / secs,
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {count} cases: the engine and the validator disagree (seed {seed:#x}):\n{}",
        mismatches.len(),
        mismatches
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// Random, often malformed lists: the RTL's status equals the validator's, valid lists move
/// exactly the modelled bytes, and the queue goes on after each.
#[test]
fn random_lists_engine_and_validator_agree() {
    let seed = env_u64("PEERBAR_FUZZ_SEED").unwrap_or(DEFAULT_SEED);
    let cases = env_u64("PEERBAR_FUZZ_CASES").unwrap_or(DEFAULT_CASES);
    eprintln!("sgl_differential: seed {seed:#x}, {cases} cases");
    match env_u64("PEERBAR_FUZZ_ONLY") {
        Some(i) => run(seed, std::iter::once(i)),
        None => run(seed, 0..cases),
    }
}

/// The generator itself: every class of the rules shows up in the default run's lists.
#[test]
fn generator_covers_every_rule() {
    let env = Env {
        list: 0x10_0000,
        data: 0x20_0000,
        slice: 0,
        bar2_len: 1 << 20,
    };
    let mut seen: BTreeMap<String, u64> = BTreeMap::new();
    for i in 0..DEFAULT_CASES {
        let case = gen_case(DEFAULT_SEED, i, &env);
        let e = model(&case, &env, &case.image());
        *seen.entry(e.statuses[0].to_string()).or_default() += 1;
    }
    for s in [
        StatusCode::Success,
        StatusCode::InvalidOpcode,
        StatusCode::InvalidSglSegmentDescriptor,
        StatusCode::InvalidNumberOfSglDescriptors,
        StatusCode::DataSglLengthInvalid,
        StatusCode::SglDescriptorTypeInvalid,
        StatusCode::Bar2Range,
        StatusCode::SglDescriptorLimit,
        StatusCode::UnsupportedRequest,
    ] {
        assert!(
            seen.get(&s.to_string()).is_some_and(|&n| n > 0),
            "no case of {s} in the default run: {seen:?}"
        );
    }
    assert!(
        seen[&StatusCode::Success.to_string()] >= DEFAULT_CASES / 5,
        "{seen:?}"
    );
}

// ---- Fixed cases (once RTL/validator disagreements, now decided) --------------------------

/// Runs hand-made cases through the engine and the model.
fn run_fixed(make: impl Fn(&Env) -> Vec<(&'static str, Case)>) {
    let mut rig = Rig::new();
    let env = rig.env;
    let mut mismatches = Vec::new();
    for (name, case) in make(&env) {
        if let Err(why) = rig.check(&case) {
            mismatches.push(format!("{name}:\n  {why}\n  list: {}", case.describe(&env)));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

fn fixed(opcode: u8, length: u32, dptr: SglDescriptor, segs: Vec<Seg>) -> Case {
    Case {
        opcode,
        length,
        at: 0,
        dptr,
        segs,
        notes: Vec::new(),
    }
}

/// A Segment / Last Segment descriptor with a non-zero subtype inside a list is a descriptor
/// type the engine does not support: 11h (SGL Descriptor Type Invalid), as for any other
/// unsupported type or subtype inside a list, wherever it stands (the RTL used to answer 0Dh
/// or 0Eh by position).
#[test]
fn chain_descriptor_with_subtype_in_list_is_type_invalid() {
    run_fixed(|env| {
        let l = |off: u64| BusAddr::new(env.list + off);
        let d = |off: u64, len| SglDescriptor::data_block(BusAddr::new(env.data + off), len);
        let chain = |ty: u8, off: u64, len| raw((ty << 4) | 0x1, env.list + off, len);
        vec![
            (
                "Segment/sub 1h ending a segment",
                fixed(
                    PULL,
                    512,
                    SglDescriptor::segment(l(0), 32),
                    vec![
                        Seg {
                            off: 0,
                            descs: vec![d(0, 256), chain(2, 0x100, 16)],
                        },
                        Seg {
                            off: 0x100,
                            descs: vec![d(256, 256)],
                        },
                    ],
                ),
            ),
            (
                "Last Segment/sub 1h not last in its segment",
                fixed(
                    PUSH,
                    512,
                    SglDescriptor::last_segment(l(0), 32),
                    vec![Seg {
                        off: 0,
                        descs: vec![chain(3, 0x100, 16), d(0, 512)],
                    }],
                ),
            ),
        ]
    });
}

/// A Data Block or segment whose address + length is exactly 2^64 (its last byte is the last
/// byte of the address space) overflows the 64-bit address + length: 0Fh for a Data Block, 0Dh
/// for a segment, before anything is sent (as QEMU's `UINT64_MAX - addr < len`; the RTL used
/// to send the access, which the fabric refused).
#[test]
fn range_ending_exactly_at_2_pow_64_is_an_overflow() {
    run_fixed(|_| {
        let top = |len: u32| BusAddr::new(0u64.wrapping_sub(u64::from(len)));
        vec![
            (
                "PULL Data Block ending at 2^64",
                fixed(PULL, 256, SglDescriptor::data_block(top(256), 256), vec![]),
            ),
            (
                "PUSH Data Block ending at 2^64",
                fixed(PUSH, 256, SglDescriptor::data_block(top(256), 256), vec![]),
            ),
            (
                "Last Segment ending at 2^64",
                fixed(PULL, 256, SglDescriptor::last_segment(top(16), 16), vec![]),
            ),
        ]
    });
}
