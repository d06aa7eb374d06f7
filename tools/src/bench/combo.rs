// SPDX-License-Identifier: MIT OR Apache-2.0
//! One combination of the sweep: its queues, host buffers and BAR2 slices, the jobs kept in
//! flight until the count (or the time) is reached, and the row that reports them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use peerbar::dma::sgl::SglBuilder;
use peerbar::dma::{Job, PeerRange, QueueConfig, Sgl, Ticket};
use peerbar::hostmem::DmaBuffer;
use peerbar::hostmem::{DataList, PreparedSgl};

use super::args::{op_name, Combo};
use super::model::{gbytes_per_s_at_clock, ideal_cycles, Link};
use super::run::Row;
use crate::interrupt::{self, Live, RunFor};
use crate::push::Op;
use crate::target::Target;

/// How long a combination may go without any completion.
const STALL: Duration = Duration::from_secs(60);

/// A job that completed with an error status.
pub(super) struct JobFailure {
    pub(super) message: String,
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
pub(super) const MAX_RANGES: u32 = 8;

/// BAR2 job ranges per queue: one per job in flight (the queue depth), at most MAX_RANGES, as
/// many as fit when every queue has the same number (at least one: `run` checked that one job's
/// range per queue fits). Jobs in flight on distinct ranges overlap in the engine; a PULL waits
/// for an earlier one that writes the same BAR2 bytes (docs/dma-engine.md, "Job order").
pub(super) fn ranges_per_queue(bar2_len: u64, queues: u32, job_bytes: u64, depth: u32) -> u32 {
    let fit = bar2_len / (u64::from(queues) * job_bytes).max(1);
    (fit.min(u64::from(depth.min(MAX_RANGES))) as u32).max(1)
}

/// Runs one combination. The outer error is a device error; the inner one a job that
/// completed with an error status.
pub(super) fn run_combo(
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
        lanes.push(open_lane(dma, c, q, link)?);
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
            match reap(lane, q, c, &mut last_check)? {
                Ok(reaped) => progressed |= reaped,
                Err(failure) => return Ok(Err(failure)),
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
    Ok(Ok(row(c, &lanes, wall, cycles, clock_hz, link)))
}

/// Sets up queue `q` of a combination: its host buffer and the SGL over it, its BAR2 slice,
/// the ideal cycles of one of its jobs, and its queue pair.
fn open_lane(
    dma: &peerbar::dma::DmaEngine,
    c: &Combo,
    q: u16,
    link: Option<Link>,
) -> anyhow::Result<Lane> {
    let job_bytes = c.job_bytes();
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
    Ok(Lane {
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
    })
}

/// Takes the completions of queue `q`'s jobs in submission order, as far as they have come:
/// whether any came, or the first that completed with an error status.
fn reap(
    lane: &mut Lane,
    q: usize,
    c: &Combo,
    last_check: &mut Instant,
) -> anyhow::Result<Result<bool, JobFailure>> {
    let mut reaped = false;
    while let Some((n, ticket)) = lane.in_flight.front() {
        // Every 200 ms without progress, a zero wait also checks the device answers.
        let got = if last_check.elapsed() >= Duration::from_millis(200) {
            *last_check = Instant::now();
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
                     (moved {} of {} bytes)",
                    c.describe(),
                    ticket.cid(),
                    done.status,
                    done.result,
                    c.job_bytes()
                ),
            }));
        }
        lane.in_flight.pop_front();
        lane.completed += 1;
        reaped = true;
    }
    Ok(Ok(reaped))
}

/// The combination's row from its lanes' completed jobs: the rate in simulated time (with the
/// ideal) when there are cycles, else in wall time.
fn row(
    c: &Combo,
    lanes: &[Lane],
    wall: f64,
    cycles: Option<u64>,
    clock_hz: Option<u64>,
    link: Option<Link>,
) -> Row {
    let completed: u64 = lanes.iter().map(|l| l.completed).sum();
    let ideal: u64 = lanes.iter().map(|l| l.completed * l.ideal_per_job).sum();
    let bytes = completed * c.job_bytes();
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
    Row {
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
    }
}
