// SPDX-License-Identifier: MIT OR Apache-2.0
//! The command line of `bench`: its help text, its arguments, and the checks that turn them
//! into a [`Plan`] before the device is opened.

use std::path::{Path, PathBuf};

use clap::Args;
use peerbar::dma::sgl::DESCRIPTOR_LIMIT;

use crate::interrupt::RunFor;
use crate::push::{Op, MAX_ENTRIES};
use crate::units::{human_bytes, parse_size};
use crate::usage_error;

pub const LONG_ABOUT: &str = "\
Measure DMA throughput over every combination of --op x --entry-sizes x --list-lengths x
--queue-depths x --queues.

For each combination the tool creates the queue pairs (0, 1, ...), and on each submits --jobs
jobs, keeping up to the queue depth in flight per queue. Every job is one list of list-length
entries of entry-size bytes each, laid out back to back in a host DMA buffer (one per queue),
moved to (PULL) or from (PUSH) the queue's own BAR2 slice. A slice holds one job range per job
in flight (the queue depth, at most 8, as many as BAR2 holds for every queue), used in turn:
the engine overlaps jobs, but runs a PULL only after an earlier PULL to the same BAR2 bytes has
landed. The tool polls the completion queues (no interrupts). When all jobs have completed it reports the payload bytes, the wall time
(first submission to last completion) and, on the simulated endpoint, the simulated cycles the
engine was active (SimStats::dma_active_cycles).

What it measures, per target:
  simulation  (no --device) throughput = bytes / (cycles / 250 MHz): the RTL's rate in
              simulated time, however slowly the simulation runs, beside the ideal below;
              table columns cycles, GB/s, ideal GB/s, of ideal. Each run is its own fresh
              simulation
  hardware    (--device BDF) throughput = bytes / wall time, as the host program sees it: the
              doorbell and register accesses, the DMA, the IOMMU and the polling included; no
              cycles, no ideal (null in JSON); table columns MB/s and jobs/s (jobs x queues /
              wall time). A QEMU guest whose vfio-pci binds the endpoint `peerbar sim serve`
              serves is this target too: its wall time covers QEMU, the vfio-user socket and
              the simulation
  vfio-user   (--device vfio-user:PATH) as hardware: bytes / wall time, no cycles, no ideal
              (the served simulation's statistics are not visible to its clients)
A peerbar built without the simulator (no cargo feature `sim`: the QEMU guest's static binary)
runs bench on --device only.

  ideal       simulation only: the same bytes at the interface's TLP-limited rate for the
              host's MPS/MRRS/RCB (--mps/--mrrs/--rcb): PULL is limited by the RC interface
              (reads split at MRRS-aligned boundaries, completions of at most MPS bytes ending
              on RCB boundaries, ceil((12 + payload) / 32) beats each), PUSH by the RQ interface
              (MemWr split at MPS-aligned boundaries, ceil((16 + payload) / 32) beats each),
              one 32-byte beat per 250 MHz cycle, no idle cycle
  % of ideal  simulation only: ideal cycles / measured cycles

Checks (exit status 2, nothing submitted): bad sizes or lists, zero values, a job over
4 GiB - 1 bytes, more queues than the endpoint has, queues x job bytes past the end of BAR2,
a queue depth over 65535, a list length over 65281 (the engine fetches at most 65 536
descriptors per job). A job that completes with an error status stops the sweep and exits with
4, naming the combination, the job and the status (with --json, as a peerbar-error/1 object
with exit_code 4 on stdout, like every error); no completion within 60 s is a device error (3).

--duration SECONDS: each combination keeps submitting jobs for SECONDS of wall time instead of
--jobs jobs, and a live rate (wall MB/s over the last second, jobs, and on the simulation
simulated GB/s) goes to stderr once a second. --duration forever: one combination (one value
per sweep option) until Ctrl-C. Ctrl-C, with or without --duration: no new job is submitted,
the jobs in flight complete, and the table (or JSON) is printed with the jobs completed so far,
marked interrupted; the exit status is then 0 (a second Ctrl-C quits at once, status 130).

JSON output (--json), stable field names:
  schema              \"peerbar-bench/1\"
  target, device      as in `peerbar info --json` (\"simulation\", \"hardware\", \"vfio-user\")
  mps, mrrs, rcb      the host's settings the ideal is computed for (null on hardware and
                      vfio-user)
  host_latency_ns     the simulated host's read latency (null on hardware and vfio-user)
  clock_hz            the simulated clock (null on hardware and vfio-user: then every rate is
                      bytes / wall time)
  crc                 true with --crc (every job with FLAGS.CRC)
  duration_seconds    --duration in seconds (null without it, or with forever)
  until_interrupted   true with --duration forever
  interrupted         true when Ctrl-C stopped the run (the last row is partial)
  rows[]              one per combination:
    op                \"pull\" or \"push\"
    entry_bytes       bytes per list entry
    list_length       entries per job
    queue_depth       jobs in flight per queue at most
    queues            queue pairs used
    jobs              jobs per queue (with --duration or Ctrl-C: completed, queues' average)
    bytes             payload moved: jobs x queues x list_length x entry_bytes
    cycles            engine-active simulated cycles (null on hardware and vfio-user)
    wall_seconds      first submission to last completion
    gbytes_per_s      throughput, 10^9 bytes/s: bytes / simulated time on the simulation,
                      bytes / wall_seconds elsewhere
    ideal_gbytes_per_s  TLP-limited ideal (null on hardware and vfio-user)
    percent_of_ideal  100 x ideal / measured (null on hardware and vfio-user)

--csv FILE writes the same rows as CSV (header line first; empty cells for nulls).
--plot FILE.svg draws throughput against entry size (log2 axis), one line per op (and per
queue count, list length or depth when more than one is swept), the ideal as dashed lines
(simulation only).";

pub const AFTER_HELP: &str = "\
Examples:
  peerbar bench                                  PULL and PUSH, 512 B and 4 KiB entries
  peerbar bench --op pull --entry-sizes 256,1k,4k,16k --plot pull.svg
  peerbar bench --queues 1,2 --queue-depths 1,4 --csv bench.csv
  peerbar bench --duration 5                     5 s per combination, live rate on stderr
  peerbar bench --op push --entry-sizes 4k --queue-depths 4 --duration forever   until Ctrl-C
  peerbar --mps 512 --mrrs 4096 bench --json | jq '.rows[] | .percent_of_ideal'
  peerbar --device 0000:01:00.0 bench --json     the board, in wall time (MB/s, jobs/s)
  peerbar --device vfio-user:./peerbar.sock bench   a served simulation, in wall time";

/// Largest host buffer per queue.
const MAX_HOST_BUFFER: u64 = 256 << 20;

#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Operations, comma-separated: pull (host -> BAR2), push (BAR2 -> host).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "pull,push",
        value_name = "OPS"
    )]
    pub op: Vec<String>,

    /// Bytes per list entry, comma-separated (4096, 0x1000, 4k, 4KiB).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "512,4KiB",
        value_name = "SIZES"
    )]
    pub entry_sizes: Vec<String>,

    /// Entries per job (list length), comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "64",
        value_name = "N,..."
    )]
    pub list_lengths: Vec<String>,

    /// Jobs in flight per queue at most, comma-separated.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1,4",
        value_name = "N,..."
    )]
    pub queue_depths: Vec<String>,

    /// Queue pairs used at once, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1", value_name = "N,...")]
    pub queues: Vec<String>,

    /// Jobs submitted per queue in each combination.
    #[arg(long, default_value = "4", value_name = "N")]
    pub jobs: String,

    /// Run each combination for SECONDS of wall time instead of --jobs jobs, with a live rate on
    /// stderr; `forever`: until Ctrl-C (one combination: give one value per sweep option).
    #[arg(long, value_parser = crate::interrupt::parse_run_for, value_name = "SECONDS|forever", conflicts_with = "jobs")]
    pub duration: Option<RunFor>,

    /// Submit every job with FLAGS.CRC: the engine computes each job's CRC32C as its data
    /// passes (what `peerbar copy` verifies with), to measure what that costs.
    #[arg(long)]
    pub crc: bool,

    /// Also write the rows as CSV to FILE.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,

    /// Also draw throughput against entry size as an SVG to FILE.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<PathBuf>,
}

/// One combination of the sweep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Combo {
    pub op: Op,
    pub entry_bytes: u32,
    pub list_length: u32,
    pub queue_depth: u32,
    pub queues: u16,
    pub jobs: u32,
}

impl Combo {
    /// Bytes of one job (its LENGTH).
    pub(super) fn job_bytes(&self) -> u64 {
        u64::from(self.entry_bytes) * u64::from(self.list_length)
    }

    pub(super) fn describe(&self) -> String {
        format!(
            "{} {} x {} entries, depth {}, {} queue(s)",
            op_name(self.op).to_uppercase(),
            self.list_length,
            human_bytes(u64::from(self.entry_bytes)),
            self.queue_depth,
            self.queues
        )
    }
}

/// The checked sweep.
#[derive(Clone, Debug)]
pub struct Plan {
    pub combos: Vec<Combo>,
    /// Which dimensions take more than one value (they name the plot's lines).
    pub swept_queues: bool,
    pub swept_lists: bool,
    pub swept_depths: bool,
}

pub(super) fn op_name(op: Op) -> &'static str {
    match op {
        Op::Pull => "pull",
        Op::Push => "push",
    }
}

/// Parses a comma-separated option's values with `parse`, naming the option on error; refuses
/// an empty list and repeated values.
fn parse_list<T: PartialEq + Copy>(
    option: &str,
    values: &[String],
    parse: impl Fn(&str) -> Result<T, String>,
) -> anyhow::Result<Vec<T>> {
    let mut out = Vec::new();
    for v in values {
        let x = parse(v.trim()).map_err(|e| usage_error(format!("{option} {v:?}: {e}")))?;
        if !out.contains(&x) {
            out.push(x);
        }
    }
    if out.is_empty() {
        return Err(usage_error(format!("{option}: give at least one value")));
    }
    Ok(out)
}

/// A count 1 ..= `max`.
fn parse_count(text: &str, max: u64) -> Result<u64, String> {
    let n: u64 = text
        .replace('_', "")
        .parse()
        .map_err(|_| format!("{text:?} is not a whole number"))?;
    if n == 0 {
        return Err("must be at least 1".to_owned());
    }
    if n > max {
        return Err(format!("must be at most {max}"));
    }
    Ok(n)
}

/// Checks every option (nothing device-dependent) and expands the sweep.
pub fn plan(args: &BenchArgs) -> anyhow::Result<Plan> {
    let ops = parse_list("--op", &args.op, |t| {
        match t.to_ascii_lowercase().as_str() {
            "pull" => Ok(Op::Pull),
            "push" => Ok(Op::Push),
            _ => Err("unknown operation: use pull, push or pull,push".to_owned()),
        }
    })?;
    let entries = parse_list("--entry-sizes", &args.entry_sizes, |t| {
        let n = parse_size(t)?;
        if n == 0 {
            return Err("an entry moves 1 byte at least".to_owned());
        }
        u32::try_from(n).map_err(|_| "an entry is at most 4 GiB - 1 bytes".to_owned())
    })?;
    let lists = parse_list("--list-lengths", &args.list_lengths, |t| {
        parse_count(t, MAX_ENTRIES as u64)
            .map(|n| n as u32)
            .map_err(|e| {
                format!(
                    "{e} (the engine fetches at most {DESCRIPTOR_LIMIT} descriptors per job, \
                     the segments' chain descriptors included)"
                )
            })
    })?;
    let depths = parse_list("--queue-depths", &args.queue_depths, |t| {
        parse_count(t, 65535).map(|n| n as u32)
    })?;
    let queues = parse_list("--queues", &args.queues, |t| {
        parse_count(t, u64::from(u16::MAX)).map(|n| n as u16)
    })?;
    let jobs = parse_count(args.jobs.trim(), 1 << 20)
        .map_err(|e| usage_error(format!("--jobs {:?}: {e}", args.jobs)))? as u32;
    // --duration: jobs until the time is up (or Ctrl-C), not a count.
    let jobs = if args.duration.is_some() {
        u32::MAX
    } else {
        jobs
    };
    for &e in &entries {
        for &l in &lists {
            let job = u64::from(e) * u64::from(l);
            if job > u64::from(u32::MAX) {
                return Err(usage_error(format!(
                    "--entry-sizes {e} with --list-lengths {l}: a job of {job} bytes is over \
                     4 GiB - 1 (the SQ entry's 32-bit LENGTH)"
                )));
            }
            if job > MAX_HOST_BUFFER {
                return Err(usage_error(format!(
                    "--entry-sizes {e} with --list-lengths {l}: a job of {} needs a host \
                     buffer over the tool's limit of {}",
                    human_bytes(job),
                    human_bytes(MAX_HOST_BUFFER)
                )));
            }
        }
    }
    let mut combos = Vec::new();
    for &op in &ops {
        for &q in &queues {
            for &l in &lists {
                for &d in &depths {
                    for &e in &entries {
                        combos.push(Combo {
                            op,
                            entry_bytes: e,
                            list_length: l,
                            queue_depth: d,
                            queues: q,
                            jobs,
                        });
                    }
                }
            }
        }
    }
    if args.duration == Some(RunFor::UntilInterrupted) && combos.len() > 1 {
        return Err(usage_error(format!(
            "--duration forever runs one combination until Ctrl-C, and these options make {}: \
             give one value to each of --op, --entry-sizes, --list-lengths, --queue-depths, \
             --queues (or a number of seconds per combination)",
            combos.len()
        )));
    }
    Ok(Plan {
        combos,
        swept_queues: queues.len() > 1,
        swept_lists: lists.len() > 1,
        swept_depths: depths.len() > 1,
    })
}

/// `--csv`/`--plot` paths must name files whose directory exists: checked before the sweep.
pub fn check_outputs(args: &BenchArgs) -> anyhow::Result<()> {
    for (path, option) in [(&args.csv, "--csv"), (&args.plot, "--plot")] {
        if let Some(p) = path {
            let dir = p.parent().filter(|d| !d.as_os_str().is_empty());
            if dir.is_some_and(|d| !Path::new(d).is_dir()) || p.is_dir() {
                return Err(usage_error(format!(
                    "{option} {}: not a file in an existing directory",
                    p.display()
                )));
            }
        }
    }
    Ok(())
}
