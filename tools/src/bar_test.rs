// SPDX-License-Identifier: MIT OR Apache-2.0
//! `peerbar bar-test`: write patterns into peer memory (BAR2), read them back, compare.

use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use indicatif::ProgressBar;
use peerbar::endpoint::ErrorCounters;
use peerbar::{BarIndex, BarOffset, Device, Endpoint};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::progress::{self, Counting};
use crate::target::Target;
use crate::units::{hex, human_bytes, mb_per_s, parse_size};
use crate::{usage_error, GlobalOpts, Outcome};

mod quick;
mod render;

pub(crate) use quick::{quick_bar2, quick_scratch};
use render::render;

pub const LONG_ABOUT: &str = "\
Write test patterns into peer memory (BAR2) and read them back, once per pattern and access size.

Patterns:
  walking-ones  each 64-bit word holds a single 1 bit, moving one position per word
  address       each 32-bit word holds its own BAR2 offset (address-in-address)
  random        bytes from a ChaCha8 stream seeded with --seed (a random seed is chosen and
                printed when none is given, so any failure can be reproduced)
Access sizes: 1, 2, 4, 8 (one naturally aligned MMIO access, i.e. one TLP, each) and bulk (the
driver's bulk copy). Before each pass the range is filled with the complement of the pattern, so
data left by an earlier pass or run cannot hide a write that never landed.

For each pattern x access the report gives bytes, write and read time, MB/s (10^6 bytes/s) and,
on the simulated endpoint, simulated clock cycles and cycles simulated per wall-clock second.
A mismatch prints the BAR2 offset, expected and actual value (the first --max-mismatches of
them) and the exit status is 1. --scratch adds a test of the SCRATCH register.

JSON output (--json), stable field names:
  schema            \"peerbar-bar-test/1\"
  target, device    as in `peerbar info --json`
  offset, length    the BAR2 range tested, bytes
  seed              the random pattern's seed (a decimal string above 2^53, which JSON
                    readers such as jq would round)
  passed            true when nothing mismatched
  total_mismatches  mismatched units (accesses; 4-byte words for bulk) over all passes
  results[]         {pattern, access, bytes, write_seconds, read_seconds, write_mb_per_s,
                     read_mb_per_s, sim_cycles, sim_cycles_per_second, mismatches}
                    (sim_* are null on hardware)
  mismatches[]      {pattern, access, offset, size, expected, actual} (first --max-mismatches;
                    expected/actual are \"0x\" hex strings of `size` bytes, little-endian)
  error_counters    {dropped_writes, unsupported_requests}: increase of the endpoint's error
                    counters during the test
  warnings[]";

pub const AFTER_HELP: &str = "\
Examples:
  peerbar bar-test
  peerbar bar-test --seed 7 --access 4,bulk --offset 0x1000 --length 64k
  peerbar bar-test --pattern random --access bulk --json
  peerbar bar-test --scratch --length 4k";

/// Bytes generated, written and compared at a time: bounds memory use on large BARs.
const CHUNK: u64 = 1 << 20;
/// Progress bar granularity.
const PROGRESS_STEP: usize = 4096;
/// Total bytes moved below which no progress bar is shown.
const PROGRESS_MIN_BYTES: u64 = 256 * 1024;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Pattern {
    /// A single 1 bit per 64-bit word, moving one bit per word.
    #[value(name = "walking-ones")]
    WalkingOnes,
    /// Each 32-bit word holds its own BAR offset.
    #[value(name = "address", alias = "address-in-address")]
    Address,
    /// Seeded pseudo-random bytes.
    #[value(name = "random")]
    Random,
}

impl Pattern {
    fn name(self) -> &'static str {
        match self {
            Pattern::WalkingOnes => "walking-ones",
            Pattern::Address => "address",
            Pattern::Random => "random",
        }
    }

    /// The pattern's bytes for BAR offsets `at .. at + buf.len()`, where the tested range
    /// starts at `range_start` (the random stream starts there).
    fn fill(self, seed: u64, range_start: u64, at: u64, buf: &mut [u8]) {
        match self {
            Pattern::WalkingOnes => {
                for (i, b) in buf.iter_mut().enumerate() {
                    let o = at + i as u64;
                    let bit = (o / 8) % 64;
                    *b = ((1u64 << bit) >> (8 * (o % 8))) as u8;
                }
            }
            Pattern::Address => {
                for (i, b) in buf.iter_mut().enumerate() {
                    let o = at + i as u64;
                    let word = (o & !3) as u32;
                    *b = (word >> (8 * (o % 4))) as u8;
                }
            }
            Pattern::Random => {
                // Chunks start at multiples of CHUNK (a multiple of 4) from the range start, so
                // the stream position is a whole number of 32-bit words.
                let pos = at - range_start;
                debug_assert_eq!(pos % 4, 0);
                let mut rng = ChaCha8Rng::seed_from_u64(seed);
                rng.set_word_pos(u128::from(pos / 4));
                rng.fill_bytes(buf);
            }
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Access {
    #[value(name = "1")]
    B1,
    #[value(name = "2")]
    B2,
    #[value(name = "4")]
    B4,
    #[value(name = "8")]
    B8,
    /// The driver's bulk copy.
    #[value(name = "bulk")]
    Bulk,
}

impl Access {
    fn name(self) -> &'static str {
        match self {
            Access::B1 => "1",
            Access::B2 => "2",
            Access::B4 => "4",
            Access::B8 => "8",
            Access::Bulk => "bulk",
        }
    }

    /// Size of one access, `None` for bulk.
    fn size(self) -> Option<u64> {
        match self {
            Access::B1 => Some(1),
            Access::B2 => Some(2),
            Access::B4 => Some(4),
            Access::B8 => Some(8),
            Access::Bulk => None,
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct BarTestArgs {
    /// Patterns to run, comma-separated: walking-ones, address, random.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "walking-ones,address,random"
    )]
    pub pattern: Vec<Pattern>,

    /// Access sizes, comma-separated: 1, 2, 4, 8 (bytes per MMIO access) and bulk.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "1,2,4,8,bulk"
    )]
    pub access: Vec<Access>,

    /// Seed of the random pattern (default: a random seed, printed).
    #[arg(long)]
    pub seed: Option<u64>,

    /// First BAR2 byte to test (decimal, 0x hex, or with k/M/G suffix). Must be a multiple of
    /// the largest access size selected.
    #[arg(long, value_parser = parse_size, default_value = "0")]
    pub offset: u64,

    /// Bytes to test (default: from --offset to the end of BAR2). Must be a multiple of the
    /// largest access size selected.
    #[arg(long, value_parser = parse_size)]
    pub length: Option<u64>,

    /// Print at most this many mismatches.
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub max_mismatches: usize,

    /// Also test the SCRATCH register (BAR0) with fixed, walking and random values.
    #[arg(long)]
    pub scratch: bool,
}

#[derive(Serialize, Debug)]
struct Report {
    schema: &'static str,
    target: &'static str,
    device: String,
    offset: u64,
    length: u64,
    #[serde(serialize_with = "crate::units::serialize_u64_lossless")]
    seed: u64,
    passed: bool,
    total_mismatches: u64,
    results: Vec<PassResult>,
    mismatches: Vec<Mismatch>,
    error_counters: CountersDelta,
    warnings: Vec<String>,
}

#[derive(Serialize, Debug, Clone)]
struct PassResult {
    pattern: &'static str,
    access: &'static str,
    bytes: u64,
    write_seconds: f64,
    read_seconds: f64,
    write_mb_per_s: f64,
    read_mb_per_s: f64,
    sim_cycles: Option<u64>,
    sim_cycles_per_second: Option<f64>,
    mismatches: u64,
}

#[derive(Serialize, Debug, Clone)]
struct Mismatch {
    pattern: &'static str,
    access: &'static str,
    offset: u64,
    size: u64,
    expected: String,
    actual: String,
}

#[derive(Serialize, Debug, Default)]
struct CountersDelta {
    dropped_writes: u32,
    unsupported_requests: u32,
}

/// Checked test range and settings.
#[derive(Debug)]
struct Plan {
    start: u64,
    length: u64,
    seed: u64,
    passes: Vec<(Pattern, Access)>,
}

fn plan(args: &BarTestArgs, bar2_len: u64) -> anyhow::Result<Plan> {
    if args.offset >= bar2_len {
        return Err(usage_error(format!(
            "--offset {:#x} is outside BAR2 ({} bytes, offsets 0x0..{:#x})",
            args.offset,
            bar2_len,
            bar2_len - 1
        )));
    }
    let length = args.length.unwrap_or(bar2_len - args.offset);
    if length == 0 {
        return Err(usage_error("--length 0: nothing to test"));
    }
    if args
        .offset
        .checked_add(length)
        .is_none_or(|end| end > bar2_len)
    {
        return Err(usage_error(format!(
            "--offset {:#x} --length {:#x} runs past the end of BAR2 ({} bytes)",
            args.offset, length, bar2_len
        )));
    }
    let largest = args
        .access
        .iter()
        .filter_map(|a| a.size())
        .max()
        .unwrap_or(1);
    for (value, name) in [(args.offset, "--offset"), (length, "--length")] {
        if value % largest != 0 {
            return Err(usage_error(format!(
                "{name} {value:#x} is not a multiple of {largest}, the largest access size selected \
                 (use --access bulk or --access 1 for an unaligned range)"
            )));
        }
    }
    let mut passes = Vec::new();
    for &p in dedup(&args.pattern).iter() {
        for &a in dedup(&args.access).iter() {
            passes.push((p, a));
        }
    }
    Ok(Plan {
        start: args.offset,
        length,
        seed: args.seed.unwrap_or_else(rand::random),
        passes,
    })
}

fn dedup<T: PartialEq + Copy>(items: &[T]) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for &i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

pub fn run(target: &mut Target, opts: &GlobalOpts, args: &BarTestArgs) -> anyhow::Result<Outcome> {
    let endpoint = target.endpoint()?;
    let bar2_len = bar2_len(&endpoint)?;
    let plan = plan(args, bar2_len)?;
    if !opts.json {
        outln!(
            "bar-test on {}: {}\nBAR2 {:#x}..{:#x} ({}), seed {} (reproduce with --seed {})",
            target.kind.as_str(),
            target.description,
            plan.start,
            plan.start + plan.length,
            human_bytes(plan.length),
            plan.seed,
            plan.seed
        )?;
    }

    let counters_before = endpoint.error_counters()?;
    let total_bytes = plan.length * 2 * plan.passes.len() as u64;
    // Short runs finish before a bar would be worth drawing.
    let progress = if total_bytes < PROGRESS_MIN_BYTES {
        ProgressBar::hidden()
    } else {
        progress::bar(opts.json, total_bytes, Counting::Bytes)
    };

    let mut tester = Tester {
        endpoint: &endpoint,
        target,
        plan: &plan,
        max_mismatches: args.max_mismatches,
        mismatches: Vec::new(),
        progress: &progress,
    };
    let mut results = Vec::new();
    for &(pattern, access) in &plan.passes {
        progress.set_message(format!("{} x {}", pattern.name(), access.name()));
        results.push(tester.pass(pattern, access)?);
    }
    if args.scratch {
        results.push(tester.scratch()?);
    }
    let mismatches = tester.mismatches;
    progress.finish_and_clear();

    let counters_after = endpoint.error_counters()?;
    let delta = counters_delta(counters_before, counters_after);
    let mut warnings = Vec::new();
    if delta.dropped_writes > 0 || delta.unsupported_requests > 0 {
        warnings.push(format!(
            "the endpoint's error counters rose during the test: {} dropped write(s), {} unsupported request(s)",
            delta.dropped_writes, delta.unsupported_requests
        ));
    }

    let total_mismatches: u64 = results.iter().map(|r| r.mismatches).sum();
    let report = Report {
        schema: "peerbar-bar-test/1",
        target: target.kind.as_str(),
        device: target.description.clone(),
        offset: plan.start,
        length: plan.length,
        seed: plan.seed,
        passed: total_mismatches == 0,
        total_mismatches,
        results,
        mismatches,
        error_counters: delta,
        warnings,
    };
    if opts.json {
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        crate::out::print(render(&report))?;
    }
    Ok(if report.passed {
        Outcome::Ok
    } else {
        Outcome::Mismatch
    })
}

fn bar2_len(endpoint: &Endpoint) -> anyhow::Result<u64> {
    Ok(endpoint
        .device()
        .bar_len(BarIndex::BAR2)
        .ok_or(peerbar::Error::NoSuchBar {
            bar: BarIndex::BAR2,
        })?)
}

fn counters_delta(before: ErrorCounters, after: ErrorCounters) -> CountersDelta {
    CountersDelta {
        dropped_writes: after.dropped_writes.saturating_sub(before.dropped_writes),
        unsupported_requests: after
            .unsupported_requests
            .saturating_sub(before.unsupported_requests),
    }
}

struct Tester<'a> {
    endpoint: &'a Endpoint,
    target: &'a Target,
    plan: &'a Plan,
    max_mismatches: usize,
    mismatches: Vec<Mismatch>,
    progress: &'a ProgressBar,
}

impl Tester<'_> {
    fn dev(&self) -> &dyn Device {
        self.endpoint.device()
    }

    /// BAR2 chunks of the range: (offset, length).
    fn chunks(&self) -> impl Iterator<Item = (u64, usize)> {
        let (start, end) = (self.plan.start, self.plan.start + self.plan.length);
        (start..end)
            .step_by(CHUNK as usize)
            .map(move |at| (at, (end - at).min(CHUNK) as usize))
    }

    fn pass(&mut self, pattern: Pattern, access: Access) -> anyhow::Result<PassResult> {
        let seed = self.plan.seed;
        let start = self.plan.start;
        let mut expected = Vec::new();

        // Fill with the complement first (bulk, untimed).
        for (at, len) in self.chunks() {
            expected.resize(len, 0);
            pattern.fill(seed, start, at, &mut expected);
            expected.iter_mut().for_each(|b| *b = !*b);
            self.endpoint.peer_write(BarOffset::new(at), &expected)?;
        }

        let stats_before = self.target.sim_cycles();
        let t0 = Instant::now();
        for (at, len) in self.chunks() {
            expected.resize(len, 0);
            pattern.fill(seed, start, at, &mut expected);
            self.write(access, at, &expected)?;
        }
        let write_time = t0.elapsed();

        let t1 = Instant::now();
        let mut read_time = Duration::ZERO;
        let mut actual = Vec::new();
        let mut mismatched = 0u64;
        for (at, len) in self.chunks() {
            actual.resize(len, 0);
            let r0 = Instant::now();
            self.read(access, at, &mut actual)?;
            read_time += r0.elapsed();
            expected.resize(len, 0);
            pattern.fill(seed, start, at, &mut expected);
            mismatched += self.compare(pattern, access, at, &expected, &actual);
        }
        let wall = write_time + t1.elapsed();
        let cycles = match (stats_before, self.target.sim_cycles()) {
            (Some(b), Some(a)) => Some(a - b),
            _ => None,
        };
        Ok(PassResult {
            pattern: pattern.name(),
            access: access.name(),
            bytes: self.plan.length,
            write_seconds: write_time.as_secs_f64(),
            read_seconds: read_time.as_secs_f64(),
            write_mb_per_s: mb_per_s(self.plan.length, write_time.as_secs_f64()),
            read_mb_per_s: mb_per_s(self.plan.length, read_time.as_secs_f64()),
            sim_cycles: cycles,
            sim_cycles_per_second: cycles.map(|c| c as f64 / wall.as_secs_f64().max(1e-9)),
            mismatches: mismatched,
        })
    }

    fn write(&self, access: Access, at: u64, data: &[u8]) -> anyhow::Result<()> {
        let dev = self.dev();
        let bar = BarIndex::BAR2;
        let Some(size) = access.size() else {
            for (i, piece) in data.chunks(PROGRESS_STEP).enumerate() {
                let off = at + (i * PROGRESS_STEP) as u64;
                self.endpoint.peer_write(BarOffset::new(off), piece)?;
                self.progress.inc(piece.len() as u64);
            }
            return Ok(());
        };
        for (i, piece) in data.chunks(PROGRESS_STEP).enumerate() {
            let base = at + (i * PROGRESS_STEP) as u64;
            for (j, unit) in piece.chunks(size as usize).enumerate() {
                let off = BarOffset::new(base + j as u64 * size);
                match unit.len() {
                    1 => dev.bar_write8(bar, off, unit[0])?,
                    2 => dev.bar_write16(bar, off, u16::from_le_bytes([unit[0], unit[1]]))?,
                    4 => dev.bar_write32(bar, off, u32::from_le_bytes(to_array(unit)))?,
                    _ => dev.bar_write64(bar, off, u64::from_le_bytes(to_array(unit)))?,
                }
            }
            self.progress.inc(piece.len() as u64);
        }
        Ok(())
    }

    fn read(&self, access: Access, at: u64, buf: &mut [u8]) -> anyhow::Result<()> {
        let dev = self.dev();
        let bar = BarIndex::BAR2;
        let Some(size) = access.size() else {
            for (i, piece) in buf.chunks_mut(PROGRESS_STEP).enumerate() {
                let off = at + (i * PROGRESS_STEP) as u64;
                self.endpoint.peer_read(BarOffset::new(off), piece)?;
                self.progress.inc(piece.len() as u64);
            }
            return Ok(());
        };
        for (i, piece) in buf.chunks_mut(PROGRESS_STEP).enumerate() {
            let base = at + (i * PROGRESS_STEP) as u64;
            let n = piece.len() as u64;
            for (j, unit) in piece.chunks_mut(size as usize).enumerate() {
                let off = BarOffset::new(base + j as u64 * size);
                match unit.len() {
                    1 => unit[0] = dev.bar_read8(bar, off)?,
                    2 => unit.copy_from_slice(&dev.bar_read16(bar, off)?.to_le_bytes()),
                    4 => unit.copy_from_slice(&dev.bar_read32(bar, off)?.to_le_bytes()),
                    _ => unit.copy_from_slice(&dev.bar_read64(bar, off)?.to_le_bytes()),
                }
            }
            self.progress.inc(n);
        }
        Ok(())
    }

    /// Compares a chunk in units of the access size (4-byte words for bulk when aligned),
    /// records the first mismatches and returns how many units differ.
    fn compare(
        &mut self,
        pattern: Pattern,
        access: Access,
        at: u64,
        expected: &[u8],
        actual: &[u8],
    ) -> u64 {
        if expected == actual {
            return 0;
        }
        let unit =
            access
                .size()
                .unwrap_or(if self.plan.start % 4 == 0 && self.plan.length % 4 == 0 {
                    4
                } else {
                    1
                }) as usize;
        let mut count = 0;
        for (i, (e, a)) in expected.chunks(unit).zip(actual.chunks(unit)).enumerate() {
            if e == a {
                continue;
            }
            count += 1;
            if self.mismatches.len() < self.max_mismatches {
                self.mismatches.push(Mismatch {
                    pattern: pattern.name(),
                    access: access.name(),
                    offset: at + (i * unit) as u64,
                    size: e.len() as u64,
                    expected: le_hex(e),
                    actual: le_hex(a),
                });
            }
        }
        count
    }

    /// SCRATCH register: fixed values, walking one and zero, seeded random values; the original
    /// value is restored afterwards.
    fn scratch(&mut self) -> anyhow::Result<PassResult> {
        let mut values = vec![0u32, u32::MAX, 0xa5a5_a5a5, 0x5a5a_5a5a];
        values.extend((0..32).map(|i| 1u32 << i));
        values.extend((0..32).map(|i| !(1u32 << i)));
        let mut rng = ChaCha8Rng::seed_from_u64(self.plan.seed);
        values.extend((0..16).map(|_| rng.next_u32()));

        let original = self.endpoint.scratch()?;
        let stats_before = self.target.sim_cycles();
        let t0 = Instant::now();
        let mut write_time = Duration::ZERO;
        let mut read_time = Duration::ZERO;
        let mut mismatched = 0;
        let offset = peerbar::regs::SCRATCH_REG.offset;
        for &v in &values {
            let w = Instant::now();
            self.endpoint.set_scratch(v)?;
            write_time += w.elapsed();
            let r = Instant::now();
            let back = self.endpoint.scratch()?;
            read_time += r.elapsed();
            if back != v {
                mismatched += 1;
                if self.mismatches.len() < self.max_mismatches {
                    self.mismatches.push(Mismatch {
                        pattern: "scratch",
                        access: "4",
                        offset,
                        size: 4,
                        expected: hex(v.into(), 8),
                        actual: hex(back.into(), 8),
                    });
                }
            }
        }
        let wall = t0.elapsed();
        self.endpoint.set_scratch(original)?;
        let bytes = values.len() as u64 * 4;
        let cycles = match (stats_before, self.target.sim_cycles()) {
            (Some(b), Some(a)) => Some(a - b),
            _ => None,
        };
        Ok(PassResult {
            pattern: "scratch",
            access: "4",
            bytes,
            write_seconds: write_time.as_secs_f64(),
            read_seconds: read_time.as_secs_f64(),
            write_mb_per_s: mb_per_s(bytes, write_time.as_secs_f64()),
            read_mb_per_s: mb_per_s(bytes, read_time.as_secs_f64()),
            sim_cycles: cycles,
            sim_cycles_per_second: cycles.map(|c| c as f64 / wall.as_secs_f64().max(1e-9)),
            mismatches: mismatched,
        })
    }
}

fn to_array<const N: usize>(src: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(src);
    a
}

/// Little-endian bytes as one hex number: `[0x01, 0x00]` -> `0x0001`.
fn le_hex(bytes: &[u8]) -> String {
    let mut s = String::from("0x");
    for b in bytes.iter().rev() {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

#[cfg(test)]
mod tests;
