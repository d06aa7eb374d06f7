// SPDX-License-Identifier: MIT OR Apache-2.0
//! The peer-to-peer copy pipeline: NVMe <-> BAR2 <-> host (or the SSD's CMB), chunked, with
//! the engine's CRC32C of every chunk in BAR2 and an end-to-end compare.
//!
//! - NVMe -> host: NVMe Read into a BAR2 slot (the SSD writes BAR2 peer to peer), the engine's
//!   PUSH of the slot into a host buffer (or the SSD's CMB) through a DMA-only SGL, its inline
//!   CRC32C (FLAGS.CRC) checked against the pattern's, and a compare of the bytes there.
//! - host -> NVMe: the pattern in a host buffer, the engine's PULL into a BAR2 slot, its inline
//!   CRC32C checked, NVMe Write from the slot (the SSD reads BAR2 peer to peer); verified by
//!   reading the namespace back (directly into host memory) unless NVMe -> host follows and
//!   does it through BAR2.
//!
//! Several chunks are in flight, each in its own BAR2 slot and host buffer. The data is
//! [`Pattern`]: every 16 bytes say where they belong, so a report names the LBA, the offset,
//! and where the wrong bytes came from. [`CopyDevices::open`] brings up the engine and the
//! SSD; [`P2pCopy::new`] checks the options and allocates the slots; [`P2pCopy::run`] makes passes over every leg (once, until a deadline, or until the
//! [`CopyObserver`] asks to stop), and [`P2pCopy::run_leg`] runs one leg and adds its figures
//! to a [`LegFigures`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::dma::{DmaEngine, Job, PeerRange, PeerSlice, QueuePair, Sgl, Ticket};
use crate::hostmem::{DataList, DmaBuffer};
use crate::nvme::{IoQueue, Nvme, NvmeTicket, TransferMode};
use crate::pattern::Pattern;
use crate::{BarIndex, BarOffset, BusAddr};

mod devices;
mod options;

pub use devices::{CopyDevices, CopyOpenError};
pub use options::{CopyDestination, CopyDirection, CopyError, CopyOptions, SizeOption};

/// What the caller is told while a leg runs, and how it can stop it.
pub trait CopyObserver {
    /// A chunk of `bytes` finished every step of leg `leg`.
    fn chunk_done(&mut self, leg: &'static str, bytes: u64) {
        let _ = (leg, bytes);
    }
    /// Called on every pass over the chunks in flight.
    fn tick(&mut self, leg: &'static str) {
        let _ = leg;
    }
    /// True: start no more chunks; the leg ends once those in flight are done, and
    /// [`P2pCopy::run`] starts no other leg.
    fn stop_requested(&self) -> bool {
        false
    }
    /// [`P2pCopy::run`] is starting leg `leg`.
    fn leg_started(&mut self, leg: &'static str) {
        let _ = leg;
    }
    /// The simulated clock in seconds, `None` on hardware (then no simulated figures).
    fn sim_seconds(&self) -> Option<f64> {
        None
    }
}

/// The steps of one chunk, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// to-host: NVMe Read into the slot.
    NvmeRead,
    /// to-host: engine PUSH slot -> host buffer.
    Push,
    /// to-nvme: engine PULL host buffer -> slot.
    Pull,
    /// to-nvme: NVMe Write from the slot.
    NvmeWrite,
    /// Read-back: NVMe Read straight into the host buffer.
    ReadBack,
}

/// Why a leg stopped early.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CopyStop {
    /// The first wrong byte found, described.
    Mismatch(String),
    /// The NVMe command or engine job that failed, described.
    Failed(String),
}

/// How many passes over every leg [`P2pCopy::run`] makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Passes {
    /// One.
    Once,
    /// Passes until `deadline`: a pass that started before it runs to its end.
    Until(Instant),
    /// Passes until the [`CopyObserver`] asks to stop.
    UntilStopped,
}

/// What [`P2pCopy::run`] did.
#[derive(Clone, Debug)]
pub struct CopyRun {
    /// Every leg that started, in leg order, with its figures over every pass (after a stop,
    /// a mismatch or a failure the later legs may not have started).
    pub legs: Vec<(&'static str, LegFigures)>,
    /// Passes run to their end.
    pub passes: u64,
    /// The mismatch or failed command that ended the run.
    pub stop: Option<CopyStop>,
    /// The observer asked to stop.
    pub stopped: bool,
}

/// The figures of one leg, added to by every [`P2pCopy::run_leg`] of it (over every pass).
#[derive(Clone, Debug, Default)]
pub struct LegFigures {
    /// Per-chunk latency from the first command to the chunk's last step, wall clock.
    pub latencies_ms: Vec<f64>,
    /// The same in simulated time (empty on hardware).
    pub sim_latencies_us: Vec<f64>,
    /// The engine's inline CRC32Cs (of each PULL and PUSH) compared with the pattern's.
    pub checksums: u64,
    /// Bytes compared end to end.
    pub compared: u64,
    /// Chunks completed.
    pub chunks: u64,
    /// Bytes completed.
    pub bytes: u64,
    /// Wall seconds spent.
    pub wall: f64,
    /// Simulated seconds spent (`None` on hardware).
    pub sim: Option<f64>,
}

/// What one chunk waits for.
enum Pending {
    Nvme(NvmeTicket),
    Engine(Ticket),
}

enum StepResult {
    Nvme(crate::nvme::NvmeCompletion),
    Engine(crate::dma::Completion),
}

struct Chunk {
    index: u64,
    /// Byte offset of the chunk on the namespace (what the pattern is keyed by).
    offset: u64,
    len: u64,
    steps: Vec<Step>,
    step: usize,
    /// What the current step waits for (set by `P2pCopy::start`).
    pending: Option<Pending>,
    started: Instant,
    /// Simulated seconds when the chunk started (`None` on hardware).
    sim_started: Option<f64>,
}

struct Slot {
    peer: Arc<PeerSlice>,
    host: Arc<DmaBuffer>,
    /// With the CMB destination: the slot's range in the SSD's CMB (bus address, offset in its
    /// BAR2).
    cmb: Option<(BusAddr, u64)>,
    chunk: Option<Chunk>,
}

/// A copy set up on an engine queue and an NVMe I/O queue: its slots allocated, its legs
/// planned.
pub struct P2pCopy<'a> {
    queue: &'a QueuePair,
    nvme: &'a Nvme,
    io: &'a IoQueue,
    options: CopyOptions,
    pattern: Pattern,
    lba_size: u64,
    depth: usize,
    slots: Vec<Slot>,
    legs: Vec<(&'static str, Vec<Step>)>,
}

impl<'a> P2pCopy<'a> {
    /// Checks `options` against the namespace, the controller, BAR2 and the CMB, allocates a
    /// BAR2 slot and a host buffer per chunk in flight, and plans the legs.
    pub fn new(
        engine: &DmaEngine,
        queue: &'a QueuePair,
        nvme: &'a Nvme,
        io: &'a IoQueue,
        options: CopyOptions,
    ) -> Result<P2pCopy<'a>, CopyError> {
        let o = &options;
        let ns = nvme.namespace();
        let lba_size = u64::from(ns.lba_size);
        for (what, value) in [(SizeOption::Size, o.size), (SizeOption::Chunk, o.chunk)] {
            if value % lba_size != 0 {
                return Err(CopyError::NotWholeLbas {
                    what,
                    value,
                    lba_size,
                });
            }
        }
        let end_lba = o.first_lba.saturating_add(o.size / lba_size);
        if end_lba > ns.lba_count {
            return Err(CopyError::PastNamespace {
                first: o.first_lba,
                end: end_lba,
                count: ns.lba_count,
            });
        }
        if let Some(mdts) = nvme.controller().mdts_bytes {
            if o.chunk > mdts {
                return Err(CopyError::ChunkOverMdts {
                    chunk: o.chunk,
                    mdts,
                });
            }
        }
        let bar2 = engine.peer_memory().bar_len();
        let depth = o.depth.min(o.size.div_ceil(o.chunk) as usize);
        if o.chunk.saturating_mul(depth as u64) > bar2 {
            return Err(CopyError::Bar2TooSmall {
                chunk: o.chunk,
                depth,
                bar2,
            });
        }
        let cmb = match (o.destination, nvme.controller().cmb) {
            (CopyDestination::Host, _) => None,
            (CopyDestination::Cmb, Some(cmb)) => Some(cmb),
            (CopyDestination::Cmb, None) => return Err(CopyError::NoCmb),
        };
        if let Some((_, cmb_len)) = cmb {
            if o.direction == CopyDirection::ToNvme {
                return Err(CopyError::CmbWithoutNvmeRead);
            }
            if o.chunk.saturating_mul(depth as u64) > cmb_len {
                return Err(CopyError::CmbTooSmall {
                    chunk: o.chunk,
                    depth,
                    cmb: cmb_len,
                });
            }
        }
        let mut slots = Vec::new();
        for i in 0..depth as u64 {
            slots.push(Slot {
                peer: Arc::new(engine.peer_memory().alloc(o.chunk, 4096)?),
                host: Arc::new(engine.memory().alloc(o.chunk as usize)?),
                cmb: cmb.map(|(bus, _)| {
                    let offset = i * o.chunk;
                    (BusAddr::new(bus.get() + offset), offset)
                }),
                chunk: None,
            });
        }
        let mut legs: Vec<(&'static str, Vec<Step>)> = Vec::new();
        if o.direction != CopyDirection::ToHost {
            legs.push(("host -> BAR2 -> NVMe", vec![Step::Pull, Step::NvmeWrite]));
        }
        if o.direction == CopyDirection::ToNvme && o.verify {
            legs.push(("NVMe read-back -> host", vec![Step::ReadBack]));
        }
        if o.direction != CopyDirection::ToNvme {
            let name = if cmb.is_some() {
                "NVMe -> BAR2 -> NVMe CMB"
            } else {
                "NVMe -> BAR2 -> host"
            };
            legs.push((name, vec![Step::NvmeRead, Step::Push]));
        }
        Ok(P2pCopy {
            queue,
            nvme,
            io,
            pattern: Pattern::new(o.seed, ns.lba_size),
            options,
            lba_size,
            depth,
            slots,
            legs,
        })
    }

    /// Chunks in flight (the options' depth, at most the chunk count).
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The legs, in the order they run, by name.
    pub fn leg_names(&self) -> Vec<&'static str> {
        self.legs.iter().map(|(name, _)| *name).collect()
    }

    /// The data pattern (what the copy writes and expects).
    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }

    /// "SGL" or "PRP": how the NVMe commands describe their data.
    pub fn transfer(&self) -> &'static str {
        if self.io.transfer_mode() == TransferMode::Sgl {
            "SGL"
        } else {
            "PRP"
        }
    }

    fn lba_of(&self, offset: u64) -> u64 {
        offset / self.lba_size
    }

    fn chunk_data(slot: &Slot, len: u64) -> crate::Result<DataList> {
        let mut list = DataList::new();
        list.push_peer(&slot.peer, 0, len as u32)?;
        Ok(list)
    }

    /// Starts step `chunk.step` of the chunk in `slot` (synchronous parts run here).
    fn start(&self, slot: &Slot, chunk: &mut Chunk) -> Result<(), CopyError> {
        let len = chunk.len;
        let lba = self.lba_of(chunk.offset);
        let peer = || PeerRange::new(&slot.peer, 0, len as u32);
        let host_list = || -> crate::Result<Sgl> {
            let mut l = DataList::new();
            l.push_buffer(&slot.host, 0, len as u32)?;
            Ok(Sgl::List(l))
        };
        let index = chunk.index;
        // Verified copies have the engine compute each PULL's and PUSH's CRC32C as the data
        // passes (FLAGS.CRC): no second pass over BAR2.
        let submit_job = |job: Job| {
            if self.options.verify {
                self.queue.submit_with_crc(job)
            } else {
                self.queue.submit(job)
            }
        };
        let submit = |step: &'static str| {
            move |source| CopyError::Submit {
                step,
                chunk: index,
                source,
            }
        };
        let pending = match chunk.steps[chunk.step] {
            Step::NvmeRead => Pending::Nvme(
                self.io
                    .read(lba, &Self::chunk_data(slot, len)?)
                    .map_err(submit("NVMe Read"))?,
            ),
            Step::NvmeWrite => Pending::Nvme(
                self.io
                    .write(lba, &Self::chunk_data(slot, len)?)
                    .map_err(submit("NVMe Write"))?,
            ),
            Step::ReadBack => {
                let mut l = DataList::new();
                l.push_buffer(&slot.host, 0, len as u32)?;
                Pending::Nvme(self.io.read(lba, &l).map_err(submit("the read-back"))?)
            }
            Step::Push => {
                let list = match slot.cmb {
                    Some((bus, _)) => {
                        let mut l = DataList::new();
                        l.push_bus(bus, len as u32);
                        Sgl::List(l)
                    }
                    None => host_list()?,
                };
                Pending::Engine(submit_job(Job::Push {
                    peer: peer()?,
                    list,
                })?)
            }
            Step::Pull => {
                let data = self.pattern.bytes(chunk.offset, len as usize);
                slot.host.write(0, &data)?;
                Pending::Engine(submit_job(Job::Pull {
                    peer: peer()?,
                    list: host_list()?,
                })?)
            }
        };
        chunk.pending = Some(pending);
        Ok(())
    }

    /// Checks a finished step's result. `Ok(Some(stop))` ends the leg with a report.
    fn finish_step(
        &self,
        slot: &Slot,
        chunk: &Chunk,
        result: StepResult,
        figures: &mut LegFigures,
    ) -> Result<Option<CopyStop>, CopyError> {
        let verify = self.options.verify;
        let step = chunk.steps[chunk.step];
        let where_ = || {
            format!(
                "chunk {} (LBA {}..{}, bytes {:#x}..{:#x})",
                chunk.index,
                self.lba_of(chunk.offset),
                self.lba_of(chunk.offset + chunk.len),
                chunk.offset,
                chunk.offset + chunk.len
            )
        };
        match result {
            StepResult::Nvme(c) => {
                if !c.status.is_success() {
                    return Ok(Some(CopyStop::Failed(format!(
                        "NVMe {} of {} failed: {}",
                        if step == Step::NvmeWrite {
                            "Write"
                        } else {
                            "Read"
                        },
                        where_(),
                        c.status
                    ))));
                }
            }
            StepResult::Engine(c) => {
                if !c.status.is_success() {
                    return Ok(Some(CopyStop::Failed(format!(
                        "engine {step:?} of {} failed with status {}",
                        where_(),
                        c.status
                    ))));
                }
                if matches!(step, Step::Pull | Step::Push) && verify {
                    let expected =
                        crc32c::crc32c(&self.pattern.bytes(chunk.offset, chunk.len as usize));
                    figures.checksums += 1;
                    if c.result != expected {
                        // Locate the damage: read the slot back through BAR2.
                        let mut found = vec![0u8; chunk.len as usize];
                        slot.peer.read(0, &mut found)?;
                        let detail = match self.pattern.verify(chunk.offset, &found) {
                            Err(m) => m.to_string(),
                            Ok(()) => {
                                "BAR2 reads back right: the engine's CRC disagrees with the data"
                                    .into()
                            }
                        };
                        return Ok(Some(CopyStop::Mismatch(format!(
                            "CRC32C of the {} of {} is {:#010x}, expected {expected:#010x}: {detail}",
                            if step == Step::Pull { "PULL" } else { "PUSH" },
                            where_(),
                            c.result
                        ))));
                    }
                }
            }
        }
        if matches!(step, Step::Push | Step::ReadBack) && verify {
            let mut found = vec![0u8; chunk.len as usize];
            match slot.cmb {
                // The CMB is read through the SSD's BAR2, as the CPU would.
                Some((_, offset)) if step == Step::Push => self.nvme.device().bar_read(
                    BarIndex::BAR2,
                    BarOffset::new(offset),
                    &mut found,
                )?,
                _ => slot.host.read(0, &mut found)?,
            }
            figures.compared += chunk.len;
            if let Err(m) = self.pattern.verify(chunk.offset, &found) {
                let path = if step == Step::Push && slot.cmb.is_some() {
                    "in the SSD's CMB after NVMe -> BAR2 -> PUSH"
                } else if step == Step::Push {
                    "in host memory after NVMe -> BAR2 -> PUSH"
                } else {
                    "read back from the namespace"
                };
                return Ok(Some(CopyStop::Mismatch(format!(
                    "{} {path}: {m}",
                    where_()
                ))));
            }
        }
        Ok(None)
    }

    /// Runs every leg in order, `passes` times, each with [`P2pCopy::run_leg`]; a mismatch or
    /// a failed command ends the run, and so does the observer asking to stop (a leg that has
    /// not started then does not run).
    pub fn run(
        &mut self,
        passes: Passes,
        observer: &mut dyn CopyObserver,
    ) -> Result<CopyRun, CopyError> {
        let names = self.leg_names();
        let mut figures: Vec<LegFigures> = names.iter().map(|_| LegFigures::default()).collect();
        let mut run = CopyRun {
            legs: Vec::new(),
            passes: 0,
            stop: None,
            stopped: false,
        };
        // How many legs have started (in any pass): those are reported.
        let mut started = 0usize;
        'passes: loop {
            for (i, (name, tally)) in names.iter().zip(&mut figures).enumerate() {
                if observer.stop_requested() {
                    run.stopped = true;
                    break 'passes;
                }
                started = started.max(i + 1);
                observer.leg_started(name);
                if let Some(stop) = self.run_leg(i, tally, observer)? {
                    run.stop = Some(stop);
                    break 'passes;
                }
            }
            if observer.stop_requested() {
                run.stopped = true;
                break;
            }
            run.passes += 1;
            match passes {
                Passes::Once => break,
                Passes::Until(deadline) if Instant::now() >= deadline => break,
                _ => {}
            }
        }
        run.legs = names.into_iter().zip(figures).take(started).collect();
        Ok(run)
    }

    /// Runs leg `leg` (an index into [`P2pCopy::leg_names`]): its steps for every chunk,
    /// `depth` chunks at a time, adding to `figures`. Once `observer` asks to stop, no chunk
    /// starts and the leg ends when those in flight are done. `Ok(Some(stop))`: a mismatch or
    /// a failed command ended the leg.
    pub fn run_leg(
        &mut self,
        leg: usize,
        figures: &mut LegFigures,
        observer: &mut dyn CopyObserver,
    ) -> Result<Option<CopyStop>, CopyError> {
        let (name, steps) = self.legs[leg].clone();
        let mut slots = std::mem::take(&mut self.slots);
        let stop = self.leg(name, &steps, &mut slots, figures, observer);
        self.slots = slots;
        stop
    }

    fn leg(
        &self,
        name: &'static str,
        steps: &[Step],
        slots: &mut [Slot],
        figures: &mut LegFigures,
        observer: &mut dyn CopyObserver,
    ) -> Result<Option<CopyStop>, CopyError> {
        let o = &self.options;
        let base = o.first_lba * self.lba_size;
        let count = o.size.div_ceil(o.chunk);
        let timeout = o.timeout;
        let mut next = 0u64;
        let mut done = 0u64;
        let mut stop = None;
        let wall0 = Instant::now();
        let sim0 = observer.sim_seconds();
        while stop.is_none() {
            let interrupted = observer.stop_requested();
            let busy = slots.iter().any(|s| s.chunk.is_some());
            if (interrupted && !busy) || (!interrupted && done >= count) {
                break;
            }
            let mut progressed = false;
            for slot in slots.iter_mut() {
                if slot.chunk.is_none() && next < count && !interrupted {
                    let offset = next * o.chunk;
                    let mut chunk = Chunk {
                        index: next,
                        offset: base + offset,
                        len: o.chunk.min(o.size - offset),
                        steps: steps.to_vec(),
                        step: 0,
                        pending: None,
                        started: Instant::now(),
                        sim_started: observer.sim_seconds(),
                    };
                    self.start(slot, &mut chunk)?;
                    slot.chunk = Some(chunk);
                    next += 1;
                    progressed = true;
                }
                let Some(chunk) = slot.chunk.as_mut() else {
                    continue;
                };
                let result = match &chunk.pending {
                    Some(Pending::Nvme(t)) => t.try_get()?.map(StepResult::Nvme),
                    Some(Pending::Engine(t)) => t.try_get()?.map(StepResult::Engine),
                    None => unreachable!("a chunk in a slot has started its step"),
                };
                let Some(result) = result else {
                    if chunk.started.elapsed() > timeout {
                        return Err(CopyError::Timeout {
                            chunk: chunk.index,
                            step: chunk.steps[chunk.step],
                            timeout,
                        });
                    }
                    continue;
                };
                progressed = true;
                let chunk = slot.chunk.take().expect("present");
                if let Some(s) = self.finish_step(slot, &chunk, result, figures)? {
                    stop = Some(s);
                    break;
                }
                let mut chunk = chunk;
                chunk.step += 1;
                if chunk.step < chunk.steps.len() {
                    self.start(slot, &mut chunk)?;
                    slot.chunk = Some(chunk);
                } else {
                    figures
                        .latencies_ms
                        .push(chunk.started.elapsed().as_secs_f64() * 1e3);
                    if let (Some(s0), Some(s1)) = (chunk.sim_started, observer.sim_seconds()) {
                        figures.sim_latencies_us.push((s1 - s0) * 1e6);
                    }
                    done += 1;
                    figures.chunks += 1;
                    figures.bytes += chunk.len;
                    observer.chunk_done(name, chunk.len);
                }
            }
            observer.tick(name);
            if !progressed {
                std::thread::sleep(Duration::from_micros(50));
            }
        }
        if stop.is_some() {
            // Let the chunks still in flight finish so their memory is not reused under them.
            for slot in slots.iter_mut() {
                if let Some(chunk) = slot.chunk.take() {
                    match &chunk.pending {
                        Some(Pending::Nvme(t)) => drop(t.wait(timeout)),
                        Some(Pending::Engine(t)) => drop(t.wait(timeout)),
                        None => {}
                    }
                }
            }
        }
        figures.wall += wall0.elapsed().as_secs_f64();
        if let (Some(a), Some(b)) = (sim0, observer.sim_seconds()) {
            figures.sim = Some(figures.sim.unwrap_or(0.0) + (b - a));
        }
        Ok(stop)
    }
}
