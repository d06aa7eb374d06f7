// SPDX-License-Identifier: MIT OR Apache-2.0
//! Running the sweep: the device-dependent checks, one combination after another, and the
//! table, JSON, CSV and plot of their rows.

use std::io::Write;

use anyhow::Context;
#[cfg(feature = "sim")]
use peerbar_sim::SimConfig;
use serde::Serialize;

use super::args::{BenchArgs, Plan};
use super::combo::run_combo;
use super::model::Link;
use super::report::{csv, svg, table};
use crate::interrupt::{self, RunFor};
use crate::progress::{self, Counting};
use crate::target::Target;
use crate::units::human_bytes;
use crate::{usage_error, GlobalOpts, Outcome};

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
