// SPDX-License-Identifier: MIT OR Apache-2.0
//! `peerbar bench`: DMA throughput over a sweep of operation, entry size, list length, queue
//! depth and queue count: on the simulated endpoint in simulated time beside the interface's
//! TLP-limited ideal, on every other target (hardware, vfio-user) in wall time. In every build:
//! without the simulator (cargo feature `sim`) it runs on `--device` only.
//!
//! Every option is checked before the device is opened ([`plan`]); the BAR2 and queue-count
//! limits right after it is opened, before anything is submitted.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use peerbar::dma::sgl::{SglBuilder, DESCRIPTOR_LIMIT};
use peerbar::dma::{Job, PeerRange, QueueConfig, Sgl, Ticket};
use peerbar::hostmem::DmaBuffer;
use peerbar::hostmem::{DataList, PreparedSgl};
#[cfg(feature = "sim")]
use peerbar_sim::SimConfig;
use serde::Serialize;

use crate::interrupt::{self, Live, RunFor};
use crate::progress::{self, Counting};
use crate::push::{Op, MAX_ENTRIES};
use crate::target::Target;
use crate::units::{human_bytes, parse_size};
use crate::{usage_error, GlobalOpts, Outcome};

mod model;
mod report;
#[cfg(test)]
mod tests;

use model::{gbytes_per_s_at_clock, ideal_cycles, Link};
use report::{csv, svg, table};

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

/// How long a combination may go without any completion.
const STALL: Duration = Duration::from_secs(60);
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
    fn job_bytes(&self) -> u64 {
        u64::from(self.entry_bytes) * u64::from(self.list_length)
    }

    fn describe(&self) -> String {
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

fn op_name(op: Op) -> &'static str {
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

#[derive(Serialize, Debug, Clone)]
pub struct Row {
    pub op: &'static str,
    pub entry_bytes: u32,
    pub list_length: u32,
    pub queue_depth: u32,
    pub queues: u16,
    pub jobs: u32,
    pub bytes: u64,
    pub cycles: Option<u64>,
    pub wall_seconds: f64,
    pub gbytes_per_s: f64,
    pub ideal_gbytes_per_s: Option<f64>,
    pub percent_of_ideal: Option<f64>,
}

#[derive(Serialize, Debug)]
struct Report {
    schema: &'static str,
    target: &'static str,
    device: String,
    mps: Option<u64>,
    mrrs: Option<u64>,
    rcb: Option<u64>,
    host_latency_ns: Option<u64>,
    clock_hz: Option<u64>,
    /// --crc: every job carried FLAGS.CRC.
    crc: bool,
    /// --duration in seconds per combination; null without it or with `forever`.
    duration_seconds: Option<f64>,
    /// --duration forever: the run went until Ctrl-C.
    until_interrupted: bool,
    /// Ctrl-C stopped the run: the last row holds the jobs completed until then, and the
    /// combinations after it did not run.
    interrupted: bool,
    rows: Vec<Row>,
}

/// A job that completed with an error status.
struct JobFailure {
    message: String,
}

/// The host's settings on the simulated endpoint, which the ideal is computed for: what the
/// command line set, else the simulation's defaults (the values were checked when the
/// simulation was started). `None` on every other target: there the OS set them, and neither
/// the cycles nor the ideal are reported.
#[cfg(feature = "sim")]
fn sim_link(target: &Target, opts: &GlobalOpts) -> Option<Link> {
    (target.kind == crate::target::Kind::Simulation).then(|| {
        let d = SimConfig::default();
        Link {
            mps: u64::from(opts.mps.unwrap_or(d.max_payload)),
            mrrs: u64::from(opts.mrrs.unwrap_or(d.max_read_req)),
            rcb: u64::from(opts.rcb.unwrap_or(d.rcb)),
            latency_ns: opts
                .host_latency
                .map_or(u64::from(d.rc_latency_cycles) * 4, u64::from),
        }
    })
}

/// A build without the simulator never opens one: no ideal.
#[cfg(not(feature = "sim"))]
fn sim_link(_target: &Target, _opts: &GlobalOpts) -> Option<Link> {
    None
}

pub fn run(
    target: &mut Target,
    opts: &GlobalOpts,
    args: &BenchArgs,
    plan: &Plan,
) -> anyhow::Result<Outcome> {
    let endpoint = target.shared_endpoint()?;
    let dma = endpoint.dma()?;
    let bar2_len = dma.peer_memory().bar_len();
    for c in &plan.combos {
        if c.queues > dma.queue_count() {
            return Err(usage_error(format!(
                "--queues {}: the endpoint has {} queue pair(s)",
                c.queues,
                dma.queue_count()
            )));
        }
        let need = u64::from(c.queues) * c.job_bytes();
        if need > bar2_len {
            return Err(usage_error(format!(
                "--entry-sizes {} x --list-lengths {} x --queues {}: {} of BAR2 needed (one job's \
                 range per queue), BAR2 is {}",
                c.entry_bytes,
                c.list_length,
                c.queues,
                human_bytes(need),
                human_bytes(bar2_len)
            )));
        }
    }
    let link = sim_link(target, opts);
    // Rates in simulated time (with the ideal) or in wall time.
    let sim = link.is_some();
    if !opts.json {
        outln!(
            "bench on {}: {}{}\n{} combination(s){}, {} each",
            target.kind.as_str(),
            target.description,
            link.map_or_else(String::new, |l| format!(
                " (MPS {} MRRS {} RCB {}, host read latency {} ns)",
                l.mps, l.mrrs, l.rcb, l.latency_ns
            )),
            plan.combos.len(),
            if args.crc {
                ", every job with FLAGS.CRC"
            } else {
                ""
            },
            match args.duration {
                None => format!(
                    "{} job(s) per queue",
                    plan.combos.first().map_or(0, |c| c.jobs)
                ),
                Some(RunFor::Seconds(d)) =>
                    format!("for {} s (live rate on stderr)", d.as_secs_f64()),
                Some(RunFor::UntilInterrupted) => {
                    "until Ctrl-C (live rate on stderr)".to_owned()
                }
            }
        )?;
    }
    dma.enable()?;
    interrupt::install();

    let progress = progress::bar(opts.json, plan.combos.len() as u64, Counting::Steps);
    let mut rows = Vec::new();
    let mut interrupted = false;
    for combo in &plan.combos {
        if interrupt::requested() {
            interrupted = true;
            break;
        }
        progress.set_message(combo.describe());
        let result = run_combo(target, &dma, combo, link, args.duration, args.crc)?;
        if interrupt::requested() {
            interrupted = true;
        }
        match result {
            Ok(row) => rows.push(row),
            Err(failure) => {
                progress.finish_and_clear();
                // Not eprintln!: it panics when stderr is a closed pipe.
                writeln!(std::io::stderr(), "error: {}", failure.message).ok();
                if opts.json {
                    crate::print_json_error(crate::exit::DMA_STATUS, failure.message, None);
                }
                return Ok(Outcome::JobError);
            }
        }
        progress.inc(1);
    }
    progress.finish_and_clear();

    if let Some(path) = &args.csv {
        std::fs::write(path, csv(&rows)).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = &args.plot {
        std::fs::write(path, svg(&rows, plan, sim))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let report = Report {
        schema: "peerbar-bench/1",
        target: target.kind.as_str(),
        device: target.description.clone(),
        mps: link.map(|l| l.mps),
        mrrs: link.map(|l| l.mrrs),
        rcb: link.map(|l| l.rcb),
        host_latency_ns: link.map(|l| l.latency_ns),
        clock_hz: target.sim_clock_hz(),
        crc: args.crc,
        duration_seconds: args.duration.and_then(RunFor::seconds),
        until_interrupted: args.duration == Some(RunFor::UntilInterrupted),
        interrupted,
        rows,
    };
    if opts.json {
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        crate::out::print(table(&report.rows, sim))?;
        if interrupted {
            outln!(
                "interrupted (Ctrl-C): the last row counts the jobs completed until then{}",
                if report.rows.len() < plan.combos.len() {
                    format!(
                        "; {} combination(s) did not run",
                        plan.combos.len() - report.rows.len()
                    )
                } else {
                    String::new()
                }
            )?;
        }
        for (path, what) in [(&args.csv, "CSV"), (&args.plot, "plot")] {
            if let Some(p) = path {
                outln!("{what} written to {}", p.display())?;
            }
        }
    }
    Ok(Outcome::Ok)
}

/// One queue's state during a combination.
struct Lane {
    queue: peerbar::dma::QueuePair,
    sgl: Arc<PreparedSgl>,
    peer: Arc<peerbar::dma::PeerSlice>,
    /// Job ranges in `peer`, used in turn.
    ranges: u32,
    submitted: u32,
    completed: u64,
    /// The interface's fewest cycles for one job of this lane (0 on hardware).
    ideal_per_job: u64,
    in_flight: std::collections::VecDeque<(u32, Ticket)>,
    _host: Arc<DmaBuffer>,
}

/// Most BAR2 job ranges a queue uses in turn.
const MAX_RANGES: u32 = 8;

/// BAR2 job ranges per queue: one per job in flight (the queue depth), at most MAX_RANGES, as
/// many as fit when every queue has the same number (at least one: `run` checked that one job's
/// range per queue fits). Jobs in flight on distinct ranges overlap in the engine; a PULL waits
/// for an earlier one that writes the same BAR2 bytes (docs/dma-engine.md, "Job order").
fn ranges_per_queue(bar2_len: u64, queues: u32, job_bytes: u64, depth: u32) -> u32 {
    let fit = bar2_len / (u64::from(queues) * job_bytes).max(1);
    (fit.min(u64::from(depth.min(MAX_RANGES))) as u32).max(1)
}

/// Runs one combination. The outer error is a device error; the inner one a job that
/// completed with an error status.
fn run_combo(
    target: &Target,
    dma: &peerbar::dma::DmaEngine,
    c: &Combo,
    link: Option<Link>,
    run_for: Option<RunFor>,
    crc: bool,
) -> anyhow::Result<Result<Row, JobFailure>> {
    let job_bytes = c.job_bytes();
    let mut lanes = Vec::new();
    for q in 0..c.queues {
        let host = Arc::new(
            dma.memory()
                .alloc(job_bytes as usize)
                .context("allocating a host buffer")?,
        );
        let mut list = DataList::new();
        for i in 0..c.list_length as usize {
            list.push_buffer(&host, i * c.entry_bytes as usize, c.entry_bytes)?;
        }
        let sgl = Arc::new(
            PreparedSgl::build(dma.memory(), &list, &SglBuilder::default())
                .context("building the SGL")?,
        );
        // Up to MAX_RANGES job ranges per queue, as many as the queue depth uses and BAR2 holds.
        let ranges = ranges_per_queue(
            dma.peer_memory().bar_len(),
            u32::from(c.queues),
            job_bytes,
            c.queue_depth,
        );
        let peer = Arc::new(
            dma.peer_memory()
                .alloc(job_bytes * u64::from(ranges), 4096)
                .context("allocating a BAR2 slice")?,
        );
        let ideal_per_job = link.map_or(0, |link| {
            ideal_cycles(
                c.op,
                host.bus_addr().get(),
                u64::from(c.entry_bytes),
                u64::from(c.list_length),
                link,
            )
        });
        let mut config = QueueConfig::new(q);
        let ring = (c.queue_depth + 1).next_power_of_two().clamp(2, 65536);
        config.sq_entries = ring;
        config.cq_entries = ring;
        lanes.push(Lane {
            queue: dma
                .create_queue(config)
                .with_context(|| format!("creating queue {q}"))?,
            sgl,
            peer,
            ranges,
            submitted: 0,
            completed: 0,
            ideal_per_job,
            in_flight: Default::default(),
            _host: host,
        });
    }

    let t0 = Instant::now();
    let deadline = run_for.and_then(|r| r.deadline(t0));
    // No new job once the time is up or Ctrl-C was pressed; the jobs in flight complete.
    let more = |lane: &Lane| -> bool {
        lane.submitted < c.jobs
            && !interrupt::requested()
            && deadline.is_none_or(|d| Instant::now() < d)
    };
    let submit = |lane: &mut Lane| -> anyhow::Result<()> {
        while more(lane) && lane.in_flight.len() < c.queue_depth as usize {
            let at = u64::from(lane.submitted % lane.ranges) * job_bytes;
            let len = u32::try_from(job_bytes).context("a job over 4 GiB - 1 bytes")?;
            let peer = PeerRange::new(&lane.peer, at, len)?;
            let list = Sgl::Prepared(Arc::clone(&lane.sgl));
            let job = match c.op {
                Op::Pull => Job::Pull { peer, list },
                Op::Push => Job::Push { peer, list },
            };
            let ticket = if crc {
                lane.queue.submit_with_crc(job)
            } else {
                lane.queue.submit(job)
            }
            .context("submitting a job")?;
            lane.in_flight.push_back((lane.submitted, ticket));
            lane.submitted += 1;
        }
        Ok(())
    };

    // The simulated endpoint's cycles and clock; `None` on every other target.
    let clock_hz = target.sim_clock_hz();
    let c0 = target.sim_dma_active_cycles();
    let mut live = run_for.map(|_| Live::new());
    for lane in &mut lanes {
        submit(lane)?;
    }
    let mut last_progress = Instant::now();
    let mut last_check = Instant::now();
    while lanes.iter().any(|l| !l.in_flight.is_empty()) {
        let mut progressed = false;
        for (q, lane) in lanes.iter_mut().enumerate() {
            while let Some((n, ticket)) = lane.in_flight.front() {
                // Every 200 ms without progress, a zero wait also checks the device answers.
                let got = if last_check.elapsed() >= Duration::from_millis(200) {
                    last_check = Instant::now();
                    match ticket.wait(Duration::ZERO) {
                        Ok(done) => Some(done),
                        Err(peerbar::Error::Dma(peerbar::DmaError::Timeout { .. })) => None,
                        Err(e) => return Err(anyhow::Error::new(e).context("waiting for a job")),
                    }
                } else {
                    ticket.try_get().context("polling for completions")?
                };
                let Some(done) = got else { break };
                if !done.status.is_success() {
                    return Ok(Err(JobFailure {
                        message: format!(
                            "{}: job {n} on queue {q} (cid {}) completed with status {} \
                             (moved {} of {job_bytes} bytes)",
                            c.describe(),
                            ticket.cid(),
                            done.status,
                            done.result
                        ),
                    }));
                }
                lane.in_flight.pop_front();
                lane.completed += 1;
                progressed = true;
            }
            submit(lane)?;
        }
        if let Some(live) = live.as_mut() {
            let done: u64 = lanes.iter().map(|l| l.completed).sum();
            live.tick(done * job_bytes, || {
                let (cycles, hz) = match (c0, target.sim_dma_active_cycles(), clock_hz) {
                    (Some(b), Some(a), Some(hz)) => (a - b, hz),
                    _ => return format!(", {done} jobs"),
                };
                format!(
                    ", {done} jobs, {:.2} GB/s simulated",
                    gbytes_per_s_at_clock(done * job_bytes, cycles, hz)
                )
            });
        }
        if progressed {
            last_progress = Instant::now();
            last_check = last_progress;
        } else if last_progress.elapsed() > STALL {
            anyhow::bail!(
                "{}: no completion within {} s (the engine may be stuck)",
                c.describe(),
                STALL.as_secs()
            );
        } else {
            std::thread::sleep(Duration::from_micros(20));
        }
    }
    let wall = t0.elapsed().as_secs_f64();
    let cycles = match (c0, target.sim_dma_active_cycles()) {
        (Some(before), Some(after)) => Some(after - before),
        _ => None,
    };
    if let Some(live) = &live {
        live.finish();
    }
    let completed: u64 = lanes.iter().map(|l| l.completed).sum();
    let ideal: u64 = lanes.iter().map(|l| l.completed * l.ideal_per_job).sum();
    let bytes = completed * job_bytes;
    // Simulated time on the simulated endpoint; wall time on hardware and through vfio-user.
    let gbytes_per_s = match (cycles, clock_hz) {
        (Some(cy), Some(hz)) => gbytes_per_s_at_clock(bytes, cy, hz),
        _ if wall > 0.0 => bytes as f64 / wall / 1e9,
        _ => 0.0,
    };
    let (ideal_gbytes_per_s, percent_of_ideal) = match (link, cycles, clock_hz) {
        (Some(_), Some(cy), Some(hz)) if cy > 0 => (
            Some(gbytes_per_s_at_clock(bytes, ideal, hz)),
            Some(100.0 * ideal as f64 / cy as f64),
        ),
        _ => (None, None),
    };
    Ok(Ok(Row {
        op: op_name(c.op),
        entry_bytes: c.entry_bytes,
        list_length: c.list_length,
        queue_depth: c.queue_depth,
        queues: c.queues,
        // Per queue; with --duration or Ctrl-C the queues' average, rounded down.
        jobs: (completed / u64::from(c.queues)) as u32,
        bytes,
        cycles,
        wall_seconds: wall,
        gbytes_per_s,
        ideal_gbytes_per_s,
        percent_of_ideal,
    }))
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
