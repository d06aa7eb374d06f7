//! `peerbar bench`: DMA throughput over a sweep of operation, entry size, list length, queue
//! depth and queue count, beside the interface's TLP-limited ideal.
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
use peerbar_sim::{SimConfig, CLOCK_HZ};
use serde::Serialize;

use crate::interrupt::{self, Live, RunFor};
use crate::progress::{self, Counting};
use crate::push::{Op, MAX_ENTRIES};
use crate::target::{Kind, Target};
use crate::units::{human_bytes, human_seconds, parse_size, render_table};
use crate::{usage_error, GlobalOpts, Outcome};

pub const LONG_ABOUT: &str = "\
Measure DMA throughput over every combination of --op x --entry-sizes x --list-lengths x
--queue-depths x --queues.

For each combination the tool creates the queue pairs (0, 1, ...), and on each submits --jobs
jobs, keeping up to the queue depth in flight per queue. Every job is one list of list-length
entries of entry-size bytes each, laid out back to back in a host DMA buffer (one per queue),
moved to (PULL) or from (PUSH) the queue's own BAR2 slice. When all jobs have completed it
reports the payload bytes, the simulated cycles the engine was active
(SimStats::dma_active_cycles) and the wall time.

  throughput  simulation: bytes / (cycles / 250 MHz); hardware: bytes / wall time
  ideal       simulation only: the same bytes at the interface's TLP-limited rate for the
              host's MPS/MRRS/RCB (--mps/--mrrs/--rcb): PULL is limited by the RC interface
              (reads split at MRRS-aligned boundaries, completions of at most MPS bytes ending
              on RCB boundaries, ceil((12 + payload) / 32) beats each), PUSH by the RQ interface
              (MemWr split at MPS-aligned boundaries, ceil((16 + payload) / 32) beats each),
              one 32-byte beat per 250 MHz cycle, no idle cycle
  % of ideal  ideal cycles / measured cycles

Checks (exit status 2, nothing submitted): bad sizes or lists, zero values, a job over
4 GiB - 1 bytes, more queues than the endpoint has, queues x job bytes past the end of BAR2,
a queue depth over 65535, a list length over 65281 (the engine fetches at most 65 536
descriptors per job). A job that completes with an error status stops the sweep and exits with
4, naming the combination, the job and the status (with --json, as a peerbar-error/1 object
with exit_code 4 on stdout, like every error); no completion within 60 s is a device error (3).

--duration SECONDS: each combination keeps submitting jobs for SECONDS of wall time instead of
--jobs jobs, and a live rate (wall MB/s over the last second, jobs, simulated GB/s) goes to
stderr once a second. --duration forever: one combination (one value per sweep option) until
Ctrl-C. Ctrl-C, with or without --duration: no new job is submitted, the jobs in flight
complete, and the table (or JSON) is printed with the jobs completed so far, marked
interrupted; the exit status is then 0 (a second Ctrl-C quits at once, status 130). Each run is
its own fresh simulation.

JSON output (--json), stable field names:
  schema              \"peerbar-bench/1\"
  target, device      as in `peerbar info --json`
  mps, mrrs, rcb      the host's settings the ideal is computed for (null on hardware)
  clock_hz            the simulated clock (null on hardware)
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
    cycles            engine-active simulated cycles (null on hardware)
    wall_seconds      first submission to last completion
    gbytes_per_s      throughput, 10^9 bytes/s
    ideal_gbytes_per_s  TLP-limited ideal (null on hardware)
    percent_of_ideal  100 x ideal / measured (null on hardware)

--csv FILE writes the same rows as CSV (header line first; empty cells for nulls).
--plot FILE.svg draws throughput against entry size (log2 axis), one line per op (and per
queue count, list length or depth when more than one is swept), the ideal as dashed lines.";

pub const AFTER_HELP: &str = "\
Examples:
  peerbar bench                                  PULL and PUSH, 512 B and 4 KiB entries
  peerbar bench --op pull --entry-sizes 256,1k,4k,16k --plot pull.svg
  peerbar bench --queues 1,2 --queue-depths 1,4 --csv bench.csv
  peerbar bench --duration 5                     5 s per combination, live rate on stderr
  peerbar bench --op push --entry-sizes 4k --queue-depths 4 --duration forever   until Ctrl-C
  peerbar --mps 512 --mrrs 4096 bench --json | jq '.rows[] | .percent_of_ideal'";

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

/// What the host configured: Max Payload Size, Max Read Request Size, Read Completion
/// Boundary, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    pub mps: u64,
    pub mrrs: u64,
    pub rcb: u64,
}

/// Bytes per beat of the 256-bit interface (one beat per clock cycle).
const BEAT: u64 = 32;
/// Bytes of an RC (completion) descriptor.
const RC_HEADER: u64 = 12;
/// Bytes of an RQ (request) descriptor.
const RQ_HEADER: u64 = 16;

/// Beats of a TLP with a `header`-byte descriptor carrying `len` bytes starting at `addr`
/// (the payload covers whole DWORDs).
fn tlp_beats(header: u64, addr: u64, len: u64) -> u64 {
    (header + 4 * (addr % 4 + len).div_ceil(4)).div_ceil(BEAT)
}

/// The fewest cycles the interface needs to move `entries` list entries of `entry` bytes each,
/// entry i at bus address `base + i * entry`, with no idle cycle:
/// - PULL is limited by the RC interface: each read the engine issues (split at MRRS-aligned
///   boundaries) comes back as completions of at most MPS bytes that end on RCB boundaries
///   (except the last), each ceil((12 + payload) / 32) beats;
/// - PUSH is limited by the RQ interface: MemWr split at MPS-aligned boundaries (so never
///   crossing 4 KiB), each ceil((16 + payload) / 32) beats.
pub fn ideal_cycles(op: Op, base: u64, entry: u64, entries: u64, link: Link) -> u64 {
    let limit = match op {
        Op::Pull => link.mrrs,
        Op::Push => link.mps,
    };
    let mut beats = 0;
    for i in 0..entries {
        let mut at = base + i * entry;
        let end = at + entry;
        while at < end {
            let n = (end - at).min(limit - at % limit);
            beats += match op {
                Op::Pull => {
                    // The completions of this read.
                    let mut c = at;
                    let mut b = 0;
                    while c < at + n {
                        let len = (at + n - c).min(link.mps - c % link.rcb);
                        b += tlp_beats(RC_HEADER, c, len);
                        c += len;
                    }
                    b
                }
                Op::Push => tlp_beats(RQ_HEADER, at, n),
            };
            at += n;
        }
    }
    beats
}

/// Bytes moved in `cycles` of the simulated clock, as 10^9 bytes per second.
fn gbytes_per_s_at_clock(bytes: u64, cycles: u64) -> f64 {
    if cycles == 0 {
        0.0
    } else {
        bytes as f64 * CLOCK_HZ as f64 / cycles as f64 / 1e9
    }
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
    clock_hz: Option<u64>,
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

/// The host's settings on the simulated endpoint: what the command line set, else the
/// simulation's defaults (the values were checked when the simulation was started).
fn sim_link(opts: &GlobalOpts) -> Link {
    let d = SimConfig::default();
    Link {
        mps: u64::from(opts.mps.unwrap_or(d.max_payload)),
        mrrs: u64::from(opts.mrrs.unwrap_or(d.max_read_req)),
        rcb: u64::from(opts.rcb.unwrap_or(d.rcb)),
    }
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
    let sim = target.kind == Kind::Simulation;
    let link = sim.then(|| sim_link(opts));
    if !opts.json {
        outln!(
            "bench on {}: {}{}\n{} combination(s), {} each",
            target.kind.as_str(),
            target.description,
            link.map_or_else(String::new, |l| format!(
                " (MPS {} MRRS {} RCB {})",
                l.mps, l.mrrs, l.rcb
            )),
            plan.combos.len(),
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
        let result = run_combo(target, &dma, combo, link, args.duration)?;
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
        clock_hz: sim.then_some(CLOCK_HZ),
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
    submitted: u32,
    completed: u64,
    /// The interface's fewest cycles for one job of this lane (0 on hardware).
    ideal_per_job: u64,
    in_flight: std::collections::VecDeque<(u32, Ticket)>,
    _host: Arc<DmaBuffer>,
}

/// Runs one combination. The outer error is a device error; the inner one a job that
/// completed with an error status.
fn run_combo(
    target: &Target,
    dma: &peerbar::dma::DmaEngine,
    c: &Combo,
    link: Option<Link>,
    run_for: Option<RunFor>,
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
        let peer = Arc::new(
            dma.peer_memory()
                .alloc(job_bytes, 4096)
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
            let peer = PeerRange::whole(&lane.peer)?;
            let list = Sgl::Prepared(Arc::clone(&lane.sgl));
            let job = match c.op {
                Op::Pull => Job::Pull { peer, list },
                Op::Push => Job::Push { peer, list },
            };
            let ticket = lane.queue.submit(job).context("submitting a job")?;
            lane.in_flight.push_back((lane.submitted, ticket));
            lane.submitted += 1;
        }
        Ok(())
    };

    let c0 = target.sim_stats().map(|s| s.dma_active_cycles);
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
                let cycles = match (c0, target.sim_stats()) {
                    (Some(b), Some(a)) => a.dma_active_cycles - b,
                    _ => return format!(", {done} jobs"),
                };
                format!(
                    ", {done} jobs, {:.2} GB/s simulated",
                    gbytes_per_s_at_clock(done * job_bytes, cycles)
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
    let cycles = match (c0, target.sim_stats()) {
        (Some(before), Some(after)) => Some(after.dma_active_cycles - before),
        _ => None,
    };
    if let Some(live) = &live {
        live.finish();
    }
    let completed: u64 = lanes.iter().map(|l| l.completed).sum();
    let ideal: u64 = lanes.iter().map(|l| l.completed * l.ideal_per_job).sum();
    let bytes = completed * job_bytes;
    let gbytes_per_s = match cycles {
        Some(cy) => gbytes_per_s_at_clock(bytes, cy),
        None if wall > 0.0 => bytes as f64 / wall / 1e9,
        None => 0.0,
    };
    let (ideal_gbytes_per_s, percent_of_ideal) = match (link, cycles) {
        (Some(_), Some(cy)) if cy > 0 => (
            Some(gbytes_per_s_at_clock(bytes, ideal)),
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

fn table(rows: &[Row], sim: bool) -> String {
    let mut headers = vec![
        "op", "entry", "list", "depth", "queues", "jobs", "bytes", "wall",
    ];
    if sim {
        headers.extend(["cycles", "GB/s", "ideal GB/s", "of ideal"]);
    } else {
        headers.push("GB/s");
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut v = vec![
                r.op.to_uppercase(),
                human_bytes(u64::from(r.entry_bytes)),
                r.list_length.to_string(),
                r.queue_depth.to_string(),
                r.queues.to_string(),
                r.jobs.to_string(),
                human_bytes(r.bytes),
                human_seconds(r.wall_seconds),
            ];
            if sim {
                v.push(r.cycles.map_or_else(|| "-".into(), |c| c.to_string()));
            }
            v.push(format!("{:.2}", r.gbytes_per_s));
            if sim {
                v.push(
                    r.ideal_gbytes_per_s
                        .map_or_else(|| "-".into(), |g| format!("{g:.2}")),
                );
                v.push(
                    r.percent_of_ideal
                        .map_or_else(|| "-".into(), |p| format!("{p:.1} %")),
                );
            }
            v
        })
        .collect();
    render_table(&headers, &cells)
}

/// The CSV header, in the JSON rows' field order.
pub const CSV_HEADER: &str = "op,entry_bytes,list_length,queue_depth,queues,jobs,bytes,cycles,\
wall_seconds,gbytes_per_s,ideal_gbytes_per_s,percent_of_ideal";

/// The rows as CSV: header, then one line per row; empty cells for nulls.
pub fn csv(rows: &[Row]) -> String {
    let opt = |v: Option<String>| v.unwrap_or_default();
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{}\n",
            r.op,
            r.entry_bytes,
            r.list_length,
            r.queue_depth,
            r.queues,
            r.jobs,
            r.bytes,
            opt(r.cycles.map(|c| c.to_string())),
            r.wall_seconds,
            r.gbytes_per_s,
            opt(r.ideal_gbytes_per_s.map(|g| g.to_string())),
            opt(r.percent_of_ideal.map(|p| p.to_string())),
        ));
    }
    out
}

const PALETTE: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2",
];

/// Escapes text for SVG.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A "nice" tick step (1, 2 or 5 x 10^k) giving about `target` ticks up to `max`.
fn tick_step(max: f64, target: f64) -> f64 {
    let raw = max / target;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm <= 1.0 {
        1.0
    } else if norm <= 2.0 {
        2.0
    } else if norm <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// Throughput (GB/s) against entry size (log2 x axis) as a self-contained SVG: one solid line
/// per op (and per value of every other swept dimension), and per op a dashed line of the
/// interface's ideal (simulation only).
pub fn svg(rows: &[Row], plan: &Plan, sim: bool) -> String {
    const W: f64 = 720.0;
    const H: f64 = 440.0;
    const LEFT: f64 = 70.0;
    const RIGHT: f64 = 190.0;
    const TOP: f64 = 40.0;
    const BOTTOM: f64 = 60.0;
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;

    // Series: measured lines keyed by op and the swept dimensions; ideal lines keyed by op.
    let label = |r: &Row| {
        let mut s = r.op.to_uppercase();
        if plan.swept_queues {
            s.push_str(&format!(", {} queue(s)", r.queues));
        }
        if plan.swept_lists {
            s.push_str(&format!(", list {}", r.list_length));
        }
        if plan.swept_depths {
            s.push_str(&format!(", depth {}", r.queue_depth));
        }
        s
    };
    let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    let mut ideals: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for r in rows {
        let x = f64::from(r.entry_bytes).log2();
        let key = label(r);
        match series.iter_mut().find(|(k, _)| *k == key) {
            Some((_, pts)) => pts.push((x, r.gbytes_per_s)),
            None => series.push((key, vec![(x, r.gbytes_per_s)])),
        }
        if let (true, Some(g)) = (sim, r.ideal_gbytes_per_s) {
            let key = format!("{} ideal", r.op.to_uppercase());
            match ideals.iter_mut().find(|(k, _)| *k == key) {
                Some((_, pts)) => {
                    // One ideal per entry size: the highest of the swept variants.
                    match pts.iter_mut().find(|(px, _)| *px == x) {
                        Some(p) => p.1 = p.1.max(g),
                        None => pts.push((x, g)),
                    }
                }
                None => ideals.push((key, vec![(x, g)])),
            }
        }
    }
    for (_, pts) in series.iter_mut().chain(ideals.iter_mut()) {
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    }

    let xs = rows.iter().map(|r| f64::from(r.entry_bytes).log2());
    let (mut x0, mut x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    });
    if !x0.is_finite() {
        (x0, x1) = (9.0, 12.0);
    }
    x0 = x0.floor();
    x1 = x1.ceil();
    if x1 - x0 < 2.0 {
        x0 -= 1.0;
        x1 += 1.0;
    }
    let ymax_data = rows
        .iter()
        .flat_map(|r| [Some(r.gbytes_per_s), r.ideal_gbytes_per_s])
        .flatten()
        .fold(0.0f64, f64::max);
    let ystep = tick_step(if ymax_data > 0.0 { ymax_data } else { 1.0 }, 5.0);
    let y1 = ((ymax_data / ystep).floor() + 1.0) * ystep;
    let px = |x: f64| LEFT + (x - x0) / (x1 - x0) * pw;
    let py = |y: f64| TOP + ph - y / y1 * ph;

    let mut s = String::new();
    s.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" \
         viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"12\">\n"
    ));
    s.push_str(&format!(
        "<rect width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n\
         <text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">peerbar DMA throughput \
         ({})</text>\n",
        LEFT + pw / 2.0,
        if sim { "simulated" } else { "hardware" }
    ));
    // Grid, ticks and tick labels.
    let mut k = x0;
    while k <= x1 + 1e-9 {
        let x = px(k);
        s.push_str(&format!(
            "<line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#e0e0e0\"/>\n\
             <line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"black\"/>\n\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\n",
            TOP + ph,
            TOP + ph,
            TOP + ph + 5.0,
            TOP + ph + 19.0,
            xml(&human_bytes(2f64.powf(k).round() as u64))
        ));
        k += 1.0;
    }
    let mut y = 0.0;
    while y <= y1 + ystep * 1e-6 {
        let yy = py(y);
        s.push_str(&format!(
            "<line x1=\"{LEFT}\" y1=\"{yy:.1}\" x2=\"{:.1}\" y2=\"{yy:.1}\" stroke=\"#e0e0e0\"/>\n\
             <line x1=\"{:.1}\" y1=\"{yy:.1}\" x2=\"{LEFT}\" y2=\"{yy:.1}\" stroke=\"black\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n",
            LEFT + pw,
            LEFT - 5.0,
            LEFT - 8.0,
            yy + 4.0,
            format_tick(y, ystep)
        ));
        y += ystep;
    }
    // Axes and their labels.
    s.push_str(&format!(
        "<line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{b:.1}\" stroke=\"black\"/>\n\
         <line x1=\"{LEFT}\" y1=\"{b:.1}\" x2=\"{r:.1}\" y2=\"{b:.1}\" stroke=\"black\"/>\n\
         <text x=\"{cx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">list entry size (log2 scale)</text>\n\
         <text x=\"18\" y=\"{cy:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 18 {cy:.1})\">\
         throughput (GB/s)</text>\n",
        H - 18.0,
        b = TOP + ph,
        r = LEFT + pw,
        cx = LEFT + pw / 2.0,
        cy = TOP + ph / 2.0,
    ));
    // Lines, then the legend.
    let points = |pts: &[(f64, f64)]| {
        pts.iter()
            .map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut legend = Vec::new();
    for (i, (key, pts)) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        s.push_str(&format!(
            "<polyline class=\"measured\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" \
             points=\"{}\"><title>{}</title></polyline>\n",
            points(pts),
            xml(key)
        ));
        for &(x, y) in pts {
            s.push_str(&format!(
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"{color}\"/>\n",
                px(x),
                py(y)
            ));
        }
        legend.push((key.clone(), color, false));
    }
    for (key, pts) in &ideals {
        let op = key.split(' ').next().unwrap_or_default();
        // The ideal takes the colour of its op's first measured line.
        let color = series
            .iter()
            .position(|(k, _)| k.split(',').next() == Some(op))
            .map_or("black", |i| PALETTE[i % PALETTE.len()]);
        s.push_str(&format!(
            "<polyline class=\"ideal\" fill=\"none\" stroke=\"{color}\" stroke-width=\"1.5\" \
             stroke-dasharray=\"6 4\" points=\"{}\"><title>{} (TLP-limited)</title></polyline>\n",
            points(pts),
            xml(key)
        ));
        legend.push((format!("{key} (interface)"), color, true));
    }
    for (i, (key, color, dashed)) in legend.iter().enumerate() {
        let lx = LEFT + pw + 15.0;
        let ly = TOP + 10.0 + 20.0 * i as f64;
        s.push_str(&format!(
            "<line x1=\"{lx:.1}\" y1=\"{ly:.1}\" x2=\"{:.1}\" y2=\"{ly:.1}\" stroke=\"{color}\" \
             stroke-width=\"2\"{}/>\n<text x=\"{:.1}\" y=\"{:.1}\">{}</text>\n",
            lx + 24.0,
            if *dashed {
                " stroke-dasharray=\"6 4\""
            } else {
                ""
            },
            lx + 30.0,
            ly + 4.0,
            xml(key)
        ));
    }
    s.push_str("</svg>\n");
    s
}

fn format_tick(y: f64, step: f64) -> String {
    if step >= 1.0 {
        format!("{y:.0}")
    } else if step >= 0.1 {
        format!("{y:.1}")
    } else {
        format!("{y:.2}")
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: Link = Link {
        mps: 256,
        mrrs: 512,
        rcb: 64,
    };

    #[test]
    fn ideal_matches_hand_counts() {
        // PUSH 4 KiB aligned, MPS 256: 16 MemWr of (16 + 256) / 32 -> 9 beats.
        assert_eq!(ideal_cycles(Op::Push, 0x1000, 4096, 1, LINK), 16 * 9);
        // PULL 4 KiB aligned: 8 reads of 512, each 2 completions of 256 -> (12 + 256) / 32 -> 9.
        assert_eq!(ideal_cycles(Op::Pull, 0x1000, 4096, 1, LINK), 16 * 9);
        // PULL 100 bytes at 0x1030: completions end on RCB: 16 bytes (to 0x1040), then 84.
        assert_eq!(
            ideal_cycles(Op::Pull, 0x1030, 100, 1, LINK),
            tlp_beats(12, 0x1030, 16) + tlp_beats(12, 0x1040, 84)
        );
        // Two entries are twice one when both are aligned alike.
        assert_eq!(
            ideal_cycles(Op::Push, 0, 512, 2, LINK),
            2 * ideal_cycles(Op::Push, 0, 512, 1, LINK)
        );
        // The docs' figure: 4 jobs of 256 KiB -> 36 864 cycles.
        assert_eq!(4 * ideal_cycles(Op::Pull, 0, 4096, 64, LINK), 36_864);
        assert_eq!(4 * ideal_cycles(Op::Push, 0, 512, 512, LINK), 36_864);
    }

    fn args(f: impl FnOnce(&mut BenchArgs)) -> BenchArgs {
        let mut a = BenchArgs {
            op: vec!["pull".into(), "push".into()],
            entry_sizes: vec!["512".into(), "4KiB".into()],
            list_lengths: vec!["64".into()],
            queue_depths: vec!["1".into(), "4".into()],
            queues: vec!["1".into()],
            jobs: "4".into(),
            duration: None,
            csv: None,
            plot: None,
        };
        f(&mut a);
        a
    }

    #[test]
    fn plan_expands_and_checks() {
        let p = plan(&args(|_| {})).unwrap();
        assert_eq!(p.combos.len(), 8);
        assert!(p.swept_depths && !p.swept_queues);
        type Edit = fn(&mut BenchArgs);
        let cases: [(Edit, &str); 8] = [
            (|a| a.op = vec!["pul".into()], "--op"),
            (|a| a.entry_sizes = vec!["0".into()], "--entry-sizes"),
            (|a| a.entry_sizes = vec!["4q".into()], "--entry-sizes"),
            (|a| a.list_lengths = vec!["0".into()], "--list-lengths"),
            (|a| a.queue_depths = vec!["x".into()], "--queue-depths"),
            (|a| a.queues = vec!["-1".into()], "--queues"),
            (|a| a.jobs = "0".into(), "--jobs"),
            (
                |a| a.list_lengths = vec!["1000000".into()],
                "--list-lengths",
            ),
        ];
        for (f, needle) in cases {
            let err = plan(&args(f)).unwrap_err();
            assert!(err.downcast_ref::<crate::UsageError>().is_some());
            assert!(err.to_string().contains(needle), "{err}");
        }
    }

    #[test]
    fn csv_and_svg_shapes() {
        let row = |op, e, g| Row {
            op,
            entry_bytes: e,
            list_length: 4,
            queue_depth: 1,
            queues: 1,
            jobs: 1,
            bytes: 4 * u64::from(e),
            cycles: Some(100),
            wall_seconds: 0.1,
            gbytes_per_s: g,
            ideal_gbytes_per_s: Some(7.0),
            percent_of_ideal: Some(50.0),
        };
        let rows = vec![
            row("pull", 512, 3.5),
            row("pull", 4096, 6.0),
            row("push", 512, 3.0),
        ];
        let text = csv(&rows);
        assert_eq!(text.lines().count(), 4);
        assert!(text.starts_with(CSV_HEADER));
        let p = plan(&args(|_| {})).unwrap();
        let s = svg(&rows, &p, true);
        assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
        assert_eq!(s.matches("class=\"measured\"").count(), 2);
        assert_eq!(s.matches("class=\"ideal\"").count(), 2);
        assert!(s.contains("4 KiB") && s.contains("throughput (GB/s)"));
    }
}
