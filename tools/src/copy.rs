//! `peerbar copy`: the whole peer-to-peer data path, chunked and verified.
//!
//! - `to-host`: NVMe Read into a BAR2 slot (the SSD writes BAR2 peer-to-peer), the engine's
//!   CHECKSUM of the slot against the pattern's CRC, the engine's PUSH of the slot into a host
//!   buffer through a DMA-only SGL, and an end-to-end compare of the host bytes.
//! - `to-nvme`: the pattern in a host buffer, the engine's PULL into a BAR2 slot, CHECKSUM, NVMe
//!   Write from the slot (the SSD reads BAR2 peer-to-peer); verified by reading the namespace
//!   back (directly into host memory) unless `to-host` follows and does it through BAR2.
//! - `both` (default): `to-nvme`, then `to-host` over the same LBAs.
//!
//! Several chunks are in flight, each in its own BAR2 slot and host buffer. The data is
//! [`peerbar::pattern::Pattern`]: every 16 bytes say where they belong, so a report names the
//! LBA, the offset, and where the wrong bytes came from.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, ValueEnum};
use indicatif::ProgressBar;
use peerbar::dma::{
    CompletionMode, DmaEngine, Job, PeerRange, PeerSlice, QueueConfig, QueuePair, Sgl, Ticket,
};
use peerbar::hostmem::{DataList, DmaBuffer};
use peerbar::nvme::{IoQueue, Nvme, NvmeOptions, NvmeTicket, TransferMode};
use peerbar::pattern::{Mismatch, Pattern};
use peerbar::{BarIndex, BarOffset, BusAddr};
#[cfg(feature = "sim")]
use peerbar_sim::nvme::{NamespaceBacking, NvmeConfig};
use serde::Serialize;

use crate::interrupt::{self, Live, RunFor};
use crate::progress::{self, Counting};
use crate::target::Target;
use crate::units::{human_bytes, human_seconds, parse_seconds, parse_size, render_table};
use crate::{usage_error, GlobalOpts, Outcome};

pub const LONG_ABOUT: &str = "\
Moves data between an NVMe SSD and host memory through the endpoint's BAR2, peer to peer, in
chunks with several in flight, and verifies every byte.

to-host: NVMe Read into a BAR2 slot (the SSD writes BAR2 directly), engine CHECKSUM of the slot
against the expected CRC32C, engine PUSH of the slot into host memory through a DMA-only SGL,
end-to-end compare.
to-nvme: pattern in host memory, engine PULL into a BAR2 slot, CHECKSUM, NVMe Write from the
slot (the SSD reads BAR2 directly); the namespace is read back and compared.
both (default): to-nvme, then to-host over the same LBAs (the read-back goes through BAR2).
--to cmb: the to-host leg PUSHes into the SSD's controller memory buffer instead of host memory
(another peer, peer to peer) and compares the bytes read through the SSD's BAR2.

The data is a seeded pattern in which every 16 bytes encode their own offset: a mismatch report
names the LBA, the offset inside it, and where the bytes found there belong (zeros, another
LBA's data and how far it landed from home, or corruption).

On the simulated endpoint a simulated NVMe controller is attached to the same fabric and IOMMU
(--sim-* options shape it). On hardware (--device) --nvme <BDF> names the SSD; it must be bound
to vfio-pci, it is opened with the endpoint into one VFIO container (one IOVA space) and the
endpoint's BAR2 is mapped into the IOMMU for it; writing to it needs --allow-nvme-write (the
data on those LBAs is destroyed), checked before anything is opened.

--duration SECONDS repeats the copy (whole passes over the same LBAs, each verified) until
SECONDS have passed, with a live rate on stderr once a second (wall MB/s over the last second,
the leg); a pass that has started runs to its end, so keep --size small for a tight time.
--duration forever repeats until Ctrl-C. Ctrl-C (with or without --duration): no new chunk
starts, the chunks in flight complete and are verified, the legs after the current one do not
run, and the report covers what was done (passes, interrupted: true); the exit status is then 0
unless something failed (a second Ctrl-C quits at once, status 130). Each run is its own fresh
simulation (its namespace too).

JSON output (--json), schema \"peerbar-copy/2\": {target, device, nvme, transfer, size, chunk,
depth, first_lba, lba_size, seed, verified, legs[] {leg, chunks, bytes, wall_seconds,
wall_mb_per_s, sim_seconds, sim_gb_per_s, latency_ms, sim_latency_us, checksums_verified,
bytes_compared}, mismatch, failure, passes, duration_seconds (null without a number of
seconds), until_interrupted, interrupted}; with --duration, legs[] add up every pass.";

pub const AFTER_HELP: &str = "\
Examples:
  peerbar copy                                64 MiB both ways, verified, on the simulation
  peerbar copy --size 8MiB --chunk 64KiB --depth 8
  peerbar copy --direction to-host --transfer prp --json
  peerbar copy --direction to-host --to cmb       BAR2 -> the SSD's CMB, peer to peer
  peerbar copy --sim-latency-us 80 --sim-bandwidth-mbps 3500
  peerbar copy --size 1MiB --duration 30          passes for 30 s, live rate on stderr
  peerbar copy --size 1MiB --duration forever     until Ctrl-C, then the summary
  peerbar --device 0000:01:00.0 copy --nvme 0000:03:00.0 --allow-nvme-write --size 1GiB

Exit status: 0 all verified, 1 a verification found wrong bytes (the report says where),
2 usage, 3 device/simulation/timeout, 4 an NVMe command or a DMA job completed with an
error status (the NVMe status is named).";

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Direction {
    /// NVMe -> BAR2 -> host.
    ToHost,
    /// host -> BAR2 -> NVMe.
    ToNvme,
    /// to-nvme, then to-host.
    Both,
}

/// Where the NVMe -> BAR2 leg delivers the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Destination {
    /// Host memory.
    Host,
    /// The SSD's controller memory buffer: another peer, reached by the engine's PUSH peer to
    /// peer (the SSD must have a CMB).
    Cmb,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Transfer {
    /// SGL when the controller advertises SGLs, else PRP.
    Auto,
    Sgl,
    Prp,
}

#[derive(Args, Debug, Clone)]
pub struct CopyArgs {
    /// Bytes to move each way (a whole number of LBAs).
    #[arg(long, default_value = "64MiB", value_parser = parse_size)]
    pub size: u64,
    /// Bytes per chunk: one NVMe command and one engine job each (a whole number of LBAs).
    #[arg(long, default_value = "128KiB", value_parser = parse_size)]
    pub chunk: u64,
    /// Chunks in flight (each holds a BAR2 slot of --chunk bytes).
    #[arg(long, default_value_t = 4)]
    pub depth: usize,
    #[arg(long, value_enum, default_value_t = Direction::Both)]
    pub direction: Direction,
    /// Where the NVMe -> BAR2 leg's PUSH delivers: host memory, or the SSD's CMB (peer to peer).
    #[arg(long, value_enum, default_value_t = Destination::Host)]
    pub to: Destination,
    /// First LBA on the namespace.
    #[arg(long, default_value_t = 0)]
    pub lba: u64,
    /// Seed of the data pattern.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// How NVMe commands describe their data.
    #[arg(long, value_enum, default_value_t = Transfer::Auto)]
    pub transfer: Transfer,
    /// Skip the CHECKSUM jobs and the byte compares (throughput only).
    #[arg(long)]
    pub no_verify: bool,
    /// Seconds any one chunk may take before the copy gives up (exit 3); at most a week.
    #[arg(long, default_value = "60", value_parser = parse_seconds, value_name = "SECONDS")]
    pub timeout: Duration,
    /// Repeat the copy (passes over the same LBAs, each verified) until SECONDS have passed,
    /// with a live rate on stderr; `forever`: until Ctrl-C. A started pass runs to its end.
    #[arg(long, value_parser = crate::interrupt::parse_run_for, value_name = "SECONDS|forever")]
    pub duration: Option<RunFor>,
    /// Hardware: PCI address of the NVMe SSD, bound to vfio-pci.
    #[arg(long, value_name = "BDF")]
    pub nvme: Option<String>,
    /// Hardware: allow writing the SSD (to-nvme, both). The LBAs' data is overwritten.
    #[arg(long)]
    pub allow_nvme_write: bool,
    /// Simulation: namespace size (default: what the copy needs, at least 64 MiB).
    #[arg(long, value_parser = parse_size)]
    pub sim_namespace: Option<u64>,
    /// Simulation: back the namespace with this file instead of memory.
    #[arg(long, value_name = "FILE")]
    pub sim_file: Option<std::path::PathBuf>,
    /// Simulation: logical block size, 512 or 4096 [default: 512].
    #[arg(long)]
    pub sim_lba_size: Option<u32>,
    /// Simulation: command latency of the NVMe controller, microseconds, 0 ..= 1000
    /// [default: 10].
    #[arg(long)]
    pub sim_latency_us: Option<f64>,
    /// Simulation: data bandwidth of the NVMe controller, MB/s, at most 1000000 (0: unlimited)
    /// [default: 7000].
    #[arg(long)]
    pub sim_bandwidth_mbps: Option<u64>,
    /// Simulation: the controller does not advertise SGLs (PRP only).
    #[arg(long)]
    pub sim_no_sgl: bool,
}

/// One leg of the copy, measured.
#[derive(Debug, Serialize)]
struct LegReport {
    leg: &'static str,
    chunks: u64,
    bytes: u64,
    wall_seconds: f64,
    wall_mb_per_s: f64,
    /// Simulated time (cycles at 250 MHz) and throughput over it; null on hardware.
    sim_seconds: Option<f64>,
    sim_gb_per_s: Option<f64>,
    /// Per-chunk latency from the first command to the chunk's last step, wall clock.
    latency_ms: Percentiles,
    /// The same in simulated time (null on hardware).
    sim_latency_us: Option<Percentiles>,
    checksums_verified: u64,
    bytes_compared: u64,
}

#[derive(Debug, Serialize, Clone, Copy)]
struct Percentiles {
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
}

impl Percentiles {
    fn of(mut values: Vec<f64>) -> Percentiles {
        if values.is_empty() {
            return Percentiles {
                p50: 0.0,
                p90: 0.0,
                p99: 0.0,
                max: 0.0,
            };
        }
        values.sort_by(f64::total_cmp);
        // Nearest-rank percentile.
        let at =
            |p: f64| values[((p * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1];
        Percentiles {
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: values[values.len() - 1],
        }
    }

    fn show(&self) -> String {
        format!(
            "{:.3} / {:.3} / {:.3} / {:.3}",
            self.p50, self.p90, self.p99, self.max
        )
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct CopyReport {
    schema: &'static str,
    target: &'static str,
    device: String,
    nvme: String,
    transfer: &'static str,
    size: u64,
    chunk: u64,
    depth: usize,
    first_lba: u64,
    lba_size: u32,
    #[serde(serialize_with = "crate::units::serialize_u64_lossless")]
    seed: u64,
    verified: bool,
    legs: Vec<LegReport>,
    /// The first wrong byte found, if any (then the copy stopped).
    mismatch: Option<String>,
    /// The NVMe command or engine job that failed, if any (then the copy stopped).
    failure: Option<String>,
    /// Whole passes completed (1 without --duration, unless interrupted).
    passes: u64,
    /// --duration in seconds; null without it, or with `forever`.
    duration_seconds: Option<f64>,
    /// --duration forever: the copy went until Ctrl-C.
    until_interrupted: bool,
    /// Ctrl-C stopped the copy: the leg it was in holds the chunks completed until then, and
    /// the legs after it did not run.
    interrupted: bool,
}

impl CopyArgs {
    /// The `--sim-*` options given, by name (refused with `--device`).
    fn sim_options_given(&self) -> Vec<&'static str> {
        [
            (self.sim_namespace.is_some(), "--sim-namespace"),
            (self.sim_file.is_some(), "--sim-file"),
            (self.sim_lba_size.is_some(), "--sim-lba-size"),
            (self.sim_latency_us.is_some(), "--sim-latency-us"),
            (self.sim_bandwidth_mbps.is_some(), "--sim-bandwidth-mbps"),
            (self.sim_no_sgl, "--sim-no-sgl"),
        ]
        .into_iter()
        .filter_map(|(given, name)| given.then_some(name))
        .collect()
    }
}

/// Checks the numbers and the option combination before anything is opened: on hardware,
/// `--nvme` is required, `--sim-*` options are refused, and writing the SSD needs
/// `--allow-nvme-write`.
pub fn check_args(args: &CopyArgs, opts: &GlobalOpts) -> anyhow::Result<()> {
    if opts.device.is_some() {
        if let Some(name) = args.sim_options_given().first() {
            return Err(usage_error(format!(
                "{name} shapes the simulated NVMe controller and cannot be used with --device"
            )));
        }
        if args.nvme.is_none() {
            return Err(usage_error(
                "on hardware, --nvme <BDF> must name the SSD (bound to vfio-pci)",
            ));
        }
        if args.direction != Direction::ToHost && !args.allow_nvme_write {
            return Err(usage_error(
                "--direction to-nvme/both overwrites the SSD's LBAs: add --allow-nvme-write to confirm",
            ));
        }
        if args.to == Destination::Cmb {
            return Err(usage_error(
                "--to cmb runs on the simulation only: on hardware the SSD's CMB is not mapped \
                 into the IOMMU for the endpoint (not written yet)",
            ));
        }
    } else if args.nvme.is_some() {
        return Err(usage_error(
            "--nvme names a real SSD; it needs --device (the simulation has its own controller)",
        ));
    }
    if args.size == 0 {
        return Err(usage_error("--size must be at least one LBA"));
    }
    if args.chunk == 0 || args.chunk > u64::from(u32::MAX) {
        return Err(usage_error("--chunk must be 1 byte .. 4 GiB"));
    }
    if args.depth == 0 || args.depth > 64 {
        return Err(usage_error("--depth must be 1..=64"));
    }
    if !matches!(args.sim_lba_size, None | Some(512 | 4096)) {
        return Err(usage_error("--sim-lba-size must be 512 or 4096"));
    }
    if args
        .sim_latency_us
        .is_some_and(|us| !(0.0..=MAX_SIM_LATENCY_US).contains(&us))
    {
        return Err(usage_error(format!(
            "--sim-latency-us must be 0 ..= {MAX_SIM_LATENCY_US} (the simulation runs far \
             slower than real time: a longer latency times out the driver's commands)"
        )));
    }
    if args
        .sim_bandwidth_mbps
        .is_some_and(|mbps| mbps > MAX_SIM_BANDWIDTH_MBPS)
    {
        return Err(usage_error(format!(
            "--sim-bandwidth-mbps must be at most {MAX_SIM_BANDWIDTH_MBPS} (0: unlimited)"
        )));
    }
    if opts.device.is_none() {
        check_sim_namespace(args)?;
    }
    Ok(())
}

/// Longest simulated command latency: 1 ms of simulated time already takes seconds to simulate.
const MAX_SIM_LATENCY_US: f64 = 1000.0;
/// Highest simulated bandwidth (1 TB/s): keeps the bytes per simulated cycle in range.
const MAX_SIM_BANDWIDTH_MBPS: u64 = 1_000_000;

/// The simulated namespace's options, checked before the simulation starts (it would refuse
/// them as a device error, after a log line saying the same).
fn check_sim_namespace(args: &CopyArgs) -> anyhow::Result<()> {
    let lba_size = u64::from(args.sim_lba_size.unwrap_or(512));
    // The default namespace is sized to end where the copy ends: that end must exist.
    if args
        .lba
        .checked_mul(lba_size)
        .and_then(|start| start.checked_add(args.size))
        .is_none()
    {
        return Err(usage_error(format!(
            "--lba {} with --size {}: the copy would end past 2^64 bytes of namespace",
            args.lba, args.size
        )));
    }
    if let Some(bytes) = args.sim_namespace {
        if bytes == 0 || bytes % lba_size != 0 {
            return Err(usage_error(format!(
                "--sim-namespace {bytes}: must be a non-zero multiple of the {lba_size}-byte LBA"
            )));
        }
    }
    if let Some(path) = &args.sim_file {
        // Opened as the simulation will open it, to say now what is wrong with it.
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .and_then(|f| f.metadata())
            .map_err(|e| usage_error(format!("--sim-file {}: {e}", path.display())))?;
        if file.len() == 0 || file.len() % lba_size != 0 {
            return Err(usage_error(format!(
                "--sim-file {}: its size, {} bytes, must be a non-zero multiple of the \
                 {lba_size}-byte LBA",
                path.display(),
                file.len()
            )));
        }
    }
    Ok(())
}

/// The opened world: engine, its queue, the NVMe controller and its queue.
struct World {
    engine: DmaEngine,
    queue: QueuePair,
    nvme: Nvme,
    io: IoQueue,
    #[cfg(feature = "sim")]
    sim: Option<peerbar_sim::SimDevice>,
    #[cfg(feature = "sim")]
    sim_nvme: Option<peerbar_sim::SimNvme>,
}

/// Opens the endpoint and the SSD (on hardware both into one VFIO container; on the
/// simulation a simulated controller on the same fabric), then the engine and the NVMe driver
/// sharing one `DmaMemory`. [`check_args`] has checked the option combination.
fn open_world(opts: &GlobalOpts, args: &CopyArgs) -> anyhow::Result<(Target, World)> {
    let (mut target, nvme_device) = match &args.nvme {
        Some(bdf) => {
            let (target, ssd) = Target::open_with_peer(opts, bdf)?;
            (target, NvmeDevice::from(ssd))
        }
        None => {
            let target = Target::open(opts)?;
            let nvme_device = simulated_nvme(&target, args)?;
            (target, nvme_device)
        }
    };
    let endpoint = target.shared_endpoint()?;
    let engine = endpoint.dma()?;
    engine.enable()?;
    let queue = engine.create_queue(QueueConfig {
        mode: CompletionMode::Polling,
        ..QueueConfig::new(0)
    })?;
    // --transfer sgl opens with Auto too, so that a controller without SGLs is refused below
    // in the tool's words (the driver's error names its own types).
    let transfer = match args.transfer {
        Transfer::Auto | Transfer::Sgl => TransferMode::Auto,
        Transfer::Prp => TransferMode::Prp,
    };
    let nvme = Nvme::open(
        Arc::clone(&nvme_device.device),
        engine.memory().clone(),
        NvmeOptions {
            transfer,
            ..NvmeOptions::default()
        },
    )
    .context("initialising the NVMe controller")?;
    let io = nvme.io_queue().context("creating an NVMe I/O queue")?;
    if args.transfer == Transfer::Sgl && io.transfer_mode() != TransferMode::Sgl {
        return Err(usage_error(
            "--transfer sgl: the SSD does not support SGLs (Identify SGLS bits 1:0 = 00b): use \
             --transfer auto or prp",
        ));
    }
    let world = World {
        engine,
        queue,
        nvme,
        io,
        #[cfg(feature = "sim")]
        sim: target.sim.clone(),
        #[cfg(feature = "sim")]
        sim_nvme: nvme_device.sim_nvme,
    };
    Ok((target, world))
}

/// The NVMe controller the copy drives, and the simulated one when it is simulated.
struct NvmeDevice {
    device: Arc<dyn peerbar::Device>,
    #[cfg(feature = "sim")]
    sim_nvme: Option<peerbar_sim::SimNvme>,
}

impl From<Arc<dyn peerbar::Device>> for NvmeDevice {
    fn from(device: Arc<dyn peerbar::Device>) -> NvmeDevice {
        NvmeDevice {
            device,
            #[cfg(feature = "sim")]
            sim_nvme: None,
        }
    }
}

/// A simulated NVMe controller attached to the simulated endpoint's fabric, shaped by the
/// `--sim-*` options.
#[cfg(feature = "sim")]
fn simulated_nvme(target: &Target, args: &CopyArgs) -> anyhow::Result<NvmeDevice> {
    let sim = target.sim.as_ref().expect("simulation target");
    let lba_size = args.sim_lba_size.unwrap_or(512);
    let latency_us = args.sim_latency_us.unwrap_or(10.0);
    let bandwidth_mbps = args.sim_bandwidth_mbps.unwrap_or(7000);
    let needed = (args.lba * u64::from(lba_size)).saturating_add(args.size);
    let namespace = match &args.sim_file {
        Some(path) => NamespaceBacking::File(path.clone()),
        None => NamespaceBacking::Memory {
            bytes: args.sim_namespace.unwrap_or(needed.max(64 << 20)),
        },
    };
    // A CMB big enough for every chunk in flight when the copy delivers there.
    let cmb_bytes = if args.to == Destination::Cmb {
        args.chunk
            .saturating_mul(args.depth as u64)
            .max(4096)
            .next_power_of_two()
    } else {
        0
    };
    let config = NvmeConfig {
        namespace,
        cmb_bytes,
        lba_size,
        sgl: !args.sim_no_sgl,
        latency_cycles: (latency_us * peerbar_sim::CLOCK_HZ as f64 / 1e6) as u64,
        bytes_per_cycle: (bandwidth_mbps * 1_000_000).div_ceil(peerbar_sim::CLOCK_HZ) as u32,
        ..NvmeConfig::default()
    };
    let dev = sim
        .attach_nvme(config)
        .context("attaching the simulated NVMe controller")?;
    Ok(NvmeDevice {
        device: Arc::new(dev.clone()),
        sim_nvme: Some(dev),
    })
}

/// A build without the simulator has no simulated controller (nor endpoint).
#[cfg(not(feature = "sim"))]
fn simulated_nvme(_target: &Target, _args: &CopyArgs) -> anyhow::Result<NvmeDevice> {
    Err(usage_error(crate::target::NO_SIMULATOR))
}

/// What one chunk waits for.
enum Pending {
    Nvme(NvmeTicket),
    Engine(Ticket),
}

/// The steps of one chunk, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// to-host: NVMe Read into the slot.
    NvmeRead,
    /// Both legs: engine CHECKSUM of the slot.
    Checksum,
    /// to-host: engine PUSH slot -> host buffer.
    Push,
    /// to-nvme: engine PULL host buffer -> slot.
    Pull,
    /// to-nvme: NVMe Write from the slot.
    NvmeWrite,
    /// Read-back: NVMe Read straight into the host buffer.
    ReadBack,
}

struct Chunk {
    index: u64,
    /// Byte offset of the chunk on the namespace (what the pattern is keyed by).
    offset: u64,
    len: u64,
    steps: Vec<Step>,
    step: usize,
    /// What the current step waits for (set by `Copier::start`).
    pending: Option<Pending>,
    started: Instant,
    /// Simulated seconds when the chunk started (`None` on hardware).
    sim_started: Option<f64>,
}

struct Slot {
    peer: Arc<PeerSlice>,
    host: Arc<DmaBuffer>,
    /// With `--to cmb`: the slot's range in the SSD's CMB (bus address, offset in its BAR2).
    cmb: Option<(BusAddr, u64)>,
    chunk: Option<Chunk>,
}

/// Why a leg stopped early.
enum Stop {
    Mismatch(String),
    Failed(String),
}

/// Counters of one leg.
#[derive(Default)]
struct LegTally {
    latencies_ms: Vec<f64>,
    sim_latencies_us: Vec<f64>,
    checksums: u64,
    compared: u64,
    /// Chunks and bytes completed, wall and simulated seconds spent (over every pass).
    chunks: u64,
    bytes: u64,
    wall: f64,
    sim: Option<f64>,
}

impl LegTally {
    fn report(self, leg: &'static str) -> LegReport {
        let (bytes, wall, sim_seconds) = (self.bytes, self.wall, self.sim);
        LegReport {
            leg,
            chunks: self.chunks,
            bytes,
            wall_seconds: wall,
            wall_mb_per_s: if wall > 0.0 {
                bytes as f64 / wall / 1e6
            } else {
                0.0
            },
            sim_seconds,
            sim_gb_per_s: sim_seconds
                .filter(|s| *s > 0.0)
                .map(|s| bytes as f64 / s / 1e9),
            latency_ms: Percentiles::of(self.latencies_ms),
            sim_latency_us: sim_seconds.map(|_| Percentiles::of(self.sim_latencies_us)),
            checksums_verified: self.checksums,
            bytes_compared: self.compared,
        }
    }
}

struct Copier<'a> {
    world: &'a World,
    args: &'a CopyArgs,
    pattern: Pattern,
    lba_size: u64,
    verify: bool,
    progress: &'a ProgressBar,
    /// --duration: the live rate, and the bytes moved by every leg so far.
    live: Option<std::cell::RefCell<Live>>,
    moved: std::cell::Cell<u64>,
}

impl Copier<'_> {
    /// Simulated seconds so far, `None` on hardware.
    fn sim_seconds(&self) -> Option<f64> {
        #[cfg(feature = "sim")]
        return self
            .world
            .sim
            .as_ref()
            .map(|s| s.stats().cycles as f64 / peerbar_sim::CLOCK_HZ as f64);
        #[cfg(not(feature = "sim"))]
        None
    }

    fn lba_of(&self, offset: u64) -> u64 {
        offset / self.lba_size
    }

    fn chunk_data(&self, slot: &Slot, len: u64) -> anyhow::Result<DataList> {
        let mut list = DataList::new();
        list.push_peer(&slot.peer, 0, len as u32)?;
        Ok(list)
    }

    /// Starts step `chunk.step` of the chunk in `slot` (synchronous parts run here).
    fn start(&self, slot: &Slot, chunk: &mut Chunk) -> anyhow::Result<()> {
        let len = chunk.len;
        let lba = self.lba_of(chunk.offset);
        let peer = || PeerRange::new(&slot.peer, 0, len as u32);
        let host_list = || -> anyhow::Result<Sgl> {
            let mut l = DataList::new();
            l.push_buffer(&slot.host, 0, len as u32)?;
            Ok(Sgl::List(l))
        };
        chunk.pending = Some(match chunk.steps[chunk.step] {
            Step::NvmeRead => Pending::Nvme(
                self.world
                    .io
                    .read(lba, &self.chunk_data(slot, len)?)
                    .with_context(|| format!("submitting NVMe Read of chunk {}", chunk.index))?,
            ),
            Step::NvmeWrite => Pending::Nvme(
                self.world
                    .io
                    .write(lba, &self.chunk_data(slot, len)?)
                    .with_context(|| format!("submitting NVMe Write of chunk {}", chunk.index))?,
            ),
            Step::ReadBack => {
                let mut l = DataList::new();
                l.push_buffer(&slot.host, 0, len as u32)?;
                Pending::Nvme(self.world.io.read(lba, &l).with_context(|| {
                    format!("submitting the read-back of chunk {}", chunk.index)
                })?)
            }
            Step::Checksum => {
                Pending::Engine(self.world.queue.submit(Job::Checksum { peer: peer()? })?)
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
                Pending::Engine(self.world.queue.submit(Job::Push {
                    peer: peer()?,
                    list,
                })?)
            }
            Step::Pull => {
                let data = self.pattern.bytes(chunk.offset, len as usize);
                slot.host.write(0, &data)?;
                Pending::Engine(self.world.queue.submit(Job::Pull {
                    peer: peer()?,
                    list: host_list()?,
                })?)
            }
        });
        Ok(())
    }

    /// Checks a finished step's result. `Ok(Some(stop))` ends the leg with a report.
    fn finish_step(
        &self,
        slot: &Slot,
        chunk: &Chunk,
        result: StepResult,
        tally: &mut LegTally,
    ) -> anyhow::Result<Option<Stop>> {
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
                    return Ok(Some(Stop::Failed(format!(
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
                    return Ok(Some(Stop::Failed(format!(
                        "engine {step:?} of {} failed with status {}",
                        where_(),
                        c.status
                    ))));
                }
                if step == Step::Checksum && self.verify {
                    let expected =
                        crc32c::crc32c(&self.pattern.bytes(chunk.offset, chunk.len as usize));
                    tally.checksums += 1;
                    if c.result != expected {
                        // Locate the damage: read the slot back through BAR2.
                        let mut found = vec![0u8; chunk.len as usize];
                        slot.peer.read(0, &mut found)?;
                        let detail = match self.pattern.verify(chunk.offset, &found) {
                            Err(m) => describe_mismatch(&m),
                            Ok(()) => {
                                "BAR2 reads back right: the engine's CRC disagrees with the data"
                                    .into()
                            }
                        };
                        return Ok(Some(Stop::Mismatch(format!(
                            "CHECKSUM of {} in BAR2 is {:#010x}, expected {expected:#010x}: {detail}",
                            where_(),
                            c.result
                        ))));
                    }
                }
            }
        }
        if matches!(step, Step::Push | Step::ReadBack) && self.verify {
            let mut found = vec![0u8; chunk.len as usize];
            match slot.cmb {
                // The CMB is read through the SSD's BAR2, as the CPU would.
                Some((_, offset)) if step == Step::Push => self.world.nvme.device().bar_read(
                    BarIndex::BAR2,
                    BarOffset::new(offset),
                    &mut found,
                )?,
                _ => slot.host.read(0, &mut found)?,
            }
            tally.compared += chunk.len;
            if let Err(m) = self.pattern.verify(chunk.offset, &found) {
                let path = if step == Step::Push && slot.cmb.is_some() {
                    "in the SSD's CMB after NVMe -> BAR2 -> PUSH"
                } else if step == Step::Push {
                    "in host memory after NVMe -> BAR2 -> PUSH"
                } else {
                    "read back from the namespace"
                };
                return Ok(Some(Stop::Mismatch(format!(
                    "{} {path}: {}",
                    where_(),
                    describe_mismatch(&m)
                ))));
            }
        }
        Ok(None)
    }

    /// Runs one leg: `steps` for every chunk, `depth` chunks at a time, adding to `tally`.
    /// After Ctrl-C no chunk starts and the leg ends once those in flight are done.
    fn leg(
        &self,
        name: &'static str,
        steps: &[Step],
        slots: &mut [Slot],
        tally: &mut LegTally,
    ) -> anyhow::Result<Option<Stop>> {
        let args = self.args;
        let base = args.lba * self.lba_size;
        let count = args.size.div_ceil(args.chunk);
        let timeout = args.timeout;
        let mut next = 0u64;
        let mut done = 0u64;
        let mut stop = None;
        let wall0 = Instant::now();
        let sim0 = self.sim_seconds();
        self.progress.set_message(name);
        while stop.is_none() {
            let interrupted = interrupt::requested();
            let busy = slots.iter().any(|s| s.chunk.is_some());
            if (interrupted && !busy) || (!interrupted && done >= count) {
                break;
            }
            let mut progressed = false;
            for slot in slots.iter_mut() {
                if slot.chunk.is_none() && next < count && !interrupted {
                    let offset = next * args.chunk;
                    let mut chunk = Chunk {
                        index: next,
                        offset: base + offset,
                        len: args.chunk.min(args.size - offset),
                        steps: steps.to_vec(),
                        step: 0,
                        pending: None,
                        started: Instant::now(),
                        sim_started: self.sim_seconds(),
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
                        anyhow::bail!(
                            "chunk {} got no completion for its {:?} step within --timeout {} s",
                            chunk.index,
                            chunk.steps[chunk.step],
                            args.timeout.as_secs_f64()
                        );
                    }
                    continue;
                };
                progressed = true;
                let chunk = slot.chunk.take().expect("present");
                if let Some(s) = self.finish_step(slot, &chunk, result, tally)? {
                    stop = Some(s);
                    break;
                }
                let mut chunk = chunk;
                chunk.step += 1;
                if chunk.step < chunk.steps.len() {
                    self.start(slot, &mut chunk)?;
                    slot.chunk = Some(chunk);
                } else {
                    tally
                        .latencies_ms
                        .push(chunk.started.elapsed().as_secs_f64() * 1e3);
                    if let (Some(s0), Some(s1)) = (chunk.sim_started, self.sim_seconds()) {
                        tally.sim_latencies_us.push((s1 - s0) * 1e6);
                    }
                    done += 1;
                    tally.chunks += 1;
                    tally.bytes += chunk.len;
                    self.progress.inc(chunk.len);
                    self.moved.set(self.moved.get() + chunk.len);
                }
            }
            if let Some(live) = &self.live {
                live.borrow_mut()
                    .tick(self.moved.get(), || format!(" ({name})"));
            }
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
        tally.wall += wall0.elapsed().as_secs_f64();
        if let (Some(a), Some(b)) = (sim0, self.sim_seconds()) {
            tally.sim = Some(tally.sim.unwrap_or(0.0) + (b - a));
        }
        Ok(stop)
    }
}

enum StepResult {
    Nvme(peerbar::nvme::NvmeCompletion),
    Engine(peerbar::dma::Completion),
}

fn describe_mismatch(m: &Mismatch) -> String {
    m.to_string()
}

/// Opens the target(s) and copies. [`check_args`] must have passed.
pub fn run(opts: &GlobalOpts, args: &CopyArgs) -> anyhow::Result<Outcome> {
    let report = execute(opts, args)?;
    if opts.json {
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        print_report(&report)?;
    }
    Ok(report.outcome())
}

/// Runs the copy and returns its report without printing it (with `--json`, nothing at all is
/// printed: `bringup` runs a short copy this way).
pub(crate) fn execute(opts: &GlobalOpts, args: &CopyArgs) -> anyhow::Result<CopyReport> {
    let writes = args.direction != Direction::ToHost;
    let (target, world) = open_world(opts, args)?;
    let ns = world.nvme.namespace();
    let lba_size = u64::from(ns.lba_size);
    for (what, v) in [("--size", args.size), ("--chunk", args.chunk)] {
        if v % lba_size != 0 {
            return Err(usage_error(format!(
                "{what} {v} is not a whole number of {lba_size}-byte LBAs"
            )));
        }
    }
    let end_lba = args.lba.saturating_add(args.size / lba_size);
    if end_lba > ns.lba_count {
        return Err(usage_error(format!(
            "LBAs {}..{end_lba} go past the namespace's {} LBAs",
            args.lba, ns.lba_count
        )));
    }
    if let Some(mdts) = world.nvme.controller().mdts_bytes {
        if args.chunk > mdts {
            return Err(usage_error(format!(
                "--chunk {} is above the controller's maximum transfer of {}",
                human_bytes(args.chunk),
                human_bytes(mdts)
            )));
        }
    }
    let bar2 = world.engine.peer_memory().bar_len();
    let depth = args.depth.min(args.size.div_ceil(args.chunk) as usize);
    if args.chunk.saturating_mul(depth as u64) > bar2 {
        return Err(usage_error(format!(
            "--chunk {} x --depth {depth} needs {} of BAR2, which has {}",
            human_bytes(args.chunk),
            human_bytes(args.chunk * depth as u64),
            human_bytes(bar2)
        )));
    }
    let cmb = match (args.to, world.nvme.controller().cmb) {
        (Destination::Host, _) => None,
        (Destination::Cmb, Some(cmb)) => Some(cmb),
        (Destination::Cmb, None) => {
            return Err(usage_error(
                "--to cmb: the SSD has no controller memory buffer (CMBSZ is 0)",
            ))
        }
    };
    if let Some((_, cmb_len)) = cmb {
        if args.direction == Direction::ToNvme {
            return Err(usage_error(
                "--to cmb applies to the NVMe -> BAR2 leg (to-host, both)",
            ));
        }
        if args.chunk.saturating_mul(depth as u64) > cmb_len {
            return Err(usage_error(format!(
                "--chunk x --depth needs {} of CMB, the SSD has {}",
                human_bytes(args.chunk * depth as u64),
                human_bytes(cmb_len)
            )));
        }
    }
    let mut slots = Vec::new();
    for i in 0..depth as u64 {
        slots.push(Slot {
            peer: Arc::new(world.engine.peer_memory().alloc(args.chunk, 4096)?),
            host: Arc::new(world.engine.memory().alloc(args.chunk as usize)?),
            cmb: cmb.map(|(bus, _)| {
                let offset = i * args.chunk;
                (BusAddr::new(bus.get() + offset), offset)
            }),
            chunk: None,
        });
    }
    let pattern = Pattern::new(args.seed, ns.lba_size);
    let verify = !args.no_verify;
    let transfer = if world.io.transfer_mode() == TransferMode::Sgl {
        "SGL"
    } else {
        "PRP"
    };

    let mut legs: Vec<(&'static str, Vec<Step>)> = Vec::new();
    let check = |s: Vec<Step>| -> Vec<Step> {
        s.into_iter()
            .filter(|st| verify || *st != Step::Checksum)
            .collect()
    };
    if writes {
        legs.push((
            "host -> BAR2 -> NVMe",
            check(vec![Step::Pull, Step::Checksum, Step::NvmeWrite]),
        ));
    }
    if args.direction == Direction::ToNvme && verify {
        legs.push(("NVMe read-back -> host", vec![Step::ReadBack]));
    }
    if args.direction != Direction::ToNvme {
        let name = if cmb.is_some() {
            "NVMe -> BAR2 -> NVMe CMB"
        } else {
            "NVMe -> BAR2 -> host"
        };
        legs.push((
            name,
            check(vec![Step::NvmeRead, Step::Checksum, Step::Push]),
        ));
    }
    #[cfg(feature = "sim")]
    if args.direction == Direction::ToHost {
        if let Some(sim_nvme) = &world.sim_nvme {
            // A fresh simulated namespace is zero: seed it so there is something to verify.
            let mut at = args.lba * lba_size;
            let end = at + args.size;
            while at < end {
                let n = (end - at).min(1 << 20);
                sim_nvme.namespace_write(at, &pattern.bytes(at, n as usize))?;
                at += n;
            }
            if !opts.json {
                outln!(
                    "(simulation: the namespace was seeded with the pattern, seed {})",
                    args.seed
                )?;
            }
        }
    }

    if !opts.json {
        outln!(
            "copy on {}: {}\nNVMe: {}, {} LBAs of {} bytes, {transfer}\n{} {}, {} chunks of {}, {depth} in flight, LBA {}, seed {}{}",
            target.kind.as_str(),
            target.description,
            world.nvme.device().describe(),
            ns.lba_count,
            ns.lba_size,
            match args.direction {
                Direction::Both => "both ways:",
                Direction::ToHost => "NVMe -> host:",
                Direction::ToNvme => "host -> NVMe:",
            },
            human_bytes(args.size),
            args.size.div_ceil(args.chunk),
            human_bytes(args.chunk),
            args.lba,
            args.seed,
            if verify { ", verified" } else { ", NOT verified" }
        )?;
    }
    // With --duration the live rate replaces the progress bar (a pass count is open-ended).
    let progress = progress::bar(
        opts.json || args.duration.is_some(),
        args.size * legs.len() as u64,
        Counting::Bytes,
    );
    interrupt::install();
    let copier = Copier {
        world: &world,
        args,
        pattern,
        lba_size,
        verify,
        progress: &progress,
        live: args.duration.map(|_| std::cell::RefCell::new(Live::new())),
        moved: std::cell::Cell::new(0),
    };
    let mut tallies: Vec<LegTally> = legs.iter().map(|_| LegTally::default()).collect();
    let mut mismatch = None;
    let mut failure = None;
    let mut passes = 0u64;
    let mut interrupted = false;
    // How many legs have started (in any pass): those are reported.
    let mut started = 0usize;
    let deadline = args.duration.and_then(|r| r.deadline(Instant::now()));
    'passes: loop {
        for (i, ((name, steps), tally)) in legs.iter().zip(&mut tallies).enumerate() {
            // A leg that has not started does not run after Ctrl-C (and it is not reported).
            if interrupt::requested() {
                interrupted = true;
                break 'passes;
            }
            started = started.max(i + 1);
            let stop = copier.leg(name, steps, &mut slots, tally)?;
            match stop {
                Some(Stop::Mismatch(m)) => {
                    mismatch = Some(m);
                    break 'passes;
                }
                Some(Stop::Failed(f)) => {
                    failure = Some(f);
                    break 'passes;
                }
                None => {}
            }
        }
        if interrupt::requested() {
            interrupted = true;
            break;
        }
        passes += 1;
        match (args.duration, deadline) {
            (None, _) => break,
            (Some(_), Some(d)) if Instant::now() >= d => break,
            _ => {}
        }
    }
    if let Some(live) = &copier.live {
        live.borrow().finish();
    }
    progress.finish_and_clear();
    // The legs that ran (after Ctrl-C or a failure, the later ones may not have).
    let reports: Vec<LegReport> = legs
        .iter()
        .zip(tallies)
        .take(started)
        .map(|((name, _), tally)| tally.report(name))
        .collect();

    let report = CopyReport {
        schema: "peerbar-copy/2",
        target: target.kind.as_str(),
        device: target.description.clone(),
        nvme: world.nvme.device().describe(),
        transfer,
        size: args.size,
        chunk: args.chunk,
        depth,
        first_lba: args.lba,
        lba_size: ns.lba_size,
        seed: args.seed,
        verified: verify,
        legs: reports,
        mismatch: mismatch.clone(),
        failure: failure.clone(),
        passes,
        duration_seconds: args.duration.and_then(RunFor::seconds),
        until_interrupted: args.duration == Some(RunFor::UntilInterrupted),
        interrupted,
    };
    Ok(report)
}

impl CopyReport {
    /// The exit status the copy's result calls for.
    pub(crate) fn outcome(&self) -> Outcome {
        if self.mismatch.is_some() {
            Outcome::Mismatch
        } else if self.failure.is_some() {
            Outcome::JobError
        } else {
            Outcome::Ok
        }
    }

    /// Bytes compared end to end, over every leg.
    pub(crate) fn bytes_compared(&self) -> u64 {
        self.legs.iter().map(|l| l.bytes_compared).sum()
    }

    /// The legs that ran, by name.
    pub(crate) fn leg_names(&self) -> Vec<&'static str> {
        self.legs.iter().map(|l| l.leg).collect()
    }

    /// The first wrong byte, or the command or job that failed.
    pub(crate) fn problem(&self) -> Option<&str> {
        self.mismatch.as_deref().or(self.failure.as_deref())
    }

    /// The SSD the copy used, as its device describes itself.
    pub(crate) fn nvme(&self) -> &str {
        &self.nvme
    }
}

fn print_report(r: &CopyReport) -> anyhow::Result<()> {
    let sim = r.legs.iter().any(|l| l.sim_seconds.is_some());
    let mut headers = vec!["leg", "chunks", "bytes", "wall time", "wall MB/s"];
    if sim {
        headers.extend(["sim time", "sim GB/s", "sim latency us p50/p90/p99/max"]);
    }
    headers.extend(["wall latency ms p50/p90/p99/max", "CRCs", "compared"]);
    let rows: Vec<Vec<String>> = r
        .legs
        .iter()
        .map(|l| {
            let mut row = vec![
                l.leg.to_owned(),
                l.chunks.to_string(),
                human_bytes(l.bytes),
                human_seconds(l.wall_seconds),
                format!("{:.1}", l.wall_mb_per_s),
            ];
            if sim {
                row.push(l.sim_seconds.map_or("-".into(), human_seconds));
                row.push(l.sim_gb_per_s.map_or("-".into(), |g| format!("{g:.2}")));
                row.push(l.sim_latency_us.map_or("-".into(), |p| p.show()));
            }
            row.push(l.latency_ms.show());
            row.push(l.checksums_verified.to_string());
            row.push(human_bytes(l.bytes_compared));
            row
        })
        .collect();
    crate::out::print(render_table(&headers, &rows))?;
    if r.duration_seconds.is_some() || r.until_interrupted || r.interrupted {
        outln!(
            "{} whole pass(es) over the same LBAs{}",
            r.passes,
            if r.interrupted {
                "; interrupted (Ctrl-C): the last leg counts the chunks completed until then"
            } else {
                ""
            }
        )?;
    }
    match (&r.mismatch, &r.failure) {
        (Some(m), _) => outln!("MISMATCH: {m}"),
        (_, Some(f)) => outln!("FAILED: {f}"),
        _ if r.verified => outln!(
            "OK: every chunk's CRC32C in BAR2 matched and every byte compared equal (seed {})",
            r.seed
        ),
        _ => outln!("done (not verified: --no-verify)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let p = Percentiles::of((1..=100).map(f64::from).collect());
        assert_eq!((p.p50, p.p90, p.p99, p.max), (50.0, 90.0, 99.0, 100.0));
        let one = Percentiles::of(vec![3.0]);
        assert_eq!((one.p50, one.max), (3.0, 3.0));
    }
}
