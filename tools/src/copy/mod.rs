// SPDX-License-Identifier: MIT OR Apache-2.0
//! `peerbar copy`: the whole peer-to-peer data path, chunked and verified.
//!
//! - `to-host`: NVMe Read into a BAR2 slot (the SSD writes BAR2 peer-to-peer), the engine's
//!   PUSH of the slot into a host buffer through a DMA-only SGL with its inline CRC32C checked
//!   against the pattern's, and an end-to-end compare of the host bytes.
//! - `to-nvme`: the pattern in a host buffer, the engine's PULL into a BAR2 slot with its
//!   inline CRC32C checked, NVMe Write from the slot (the SSD reads BAR2 peer-to-peer); verified by reading the namespace
//!   back (directly into host memory) unless `to-host` follows and does it through BAR2.
//! - `both` (default): `to-nvme`, then `to-host` over the same LBAs.
//!
//! Several chunks are in flight, each in its own BAR2 slot and host buffer. The data is
//! [`peerbar::pattern::Pattern`]: every 16 bytes say where they belong, so a report names the
//! LBA, the offset, and where the wrong bytes came from. The pipeline itself is
//! [`peerbar::copy`]; this file parses the options, opens the devices and prints.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use indicatif::ProgressBar;
use peerbar::copy::{
    CopyDestination, CopyDevices, CopyDirection, CopyError, CopyObserver, CopyOptions, CopyStop,
    P2pCopy, Passes,
};
use peerbar::nvme::TransferMode;
use serde::Serialize;

use crate::interrupt::{self, Live, RunFor};
use crate::progress::{self, Counting};
use crate::target::Target;
use crate::units::{human_bytes, parse_seconds, parse_size};
use crate::{usage_error, GlobalOpts, Outcome};

mod report;
mod sim_nvme;

use report::{leg_report, print_report, LegReport};
pub use sim_nvme::SimNvmeArgs;

pub const LONG_ABOUT: &str = "\
Moves data between an NVMe SSD and host memory through the endpoint's BAR2, peer to peer, in
chunks with several in flight, and verifies every byte.

to-host: NVMe Read into a BAR2 slot (the SSD writes BAR2 directly), engine PUSH of the slot into
host memory through a DMA-only SGL with the engine's inline CRC32C of the bytes checked against
the expected one, end-to-end compare.
to-nvme: pattern in host memory, engine PULL into a BAR2 slot with its inline CRC32C checked,
NVMe Write from the slot (the SSD reads BAR2 directly); the namespace is read back and compared.
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
With --device vfio-user:EP --nvme vfio-user:NVME the copy drives the endpoint and the NVMe
model that one `peerbar sim serve --socket EP --nvme NVME` serves (the --sim-* options belong
to the server); the namespace outlives the command, as an SSD's does, so writing it needs
--allow-nvme-write, and to-host alone verifies what an earlier to-nvme with the same --seed
wrote.

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
  peerbar --device vfio-user:ep.sock copy --nvme vfio-user:nvme.sock --allow-nvme-write
                                            both served by `peerbar sim serve --nvme nvme.sock`

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
    /// Skip the CRC checks and the byte compares (throughput only).
    #[arg(long)]
    pub no_verify: bool,
    /// Seconds any one chunk may take before the copy gives up (exit 3); at most a week.
    #[arg(long, default_value = "60", value_parser = parse_seconds, value_name = "SECONDS")]
    pub timeout: Duration,
    /// Repeat the copy (passes over the same LBAs, each verified) until SECONDS have passed,
    /// with a live rate on stderr; `forever`: until Ctrl-C. A started pass runs to its end.
    #[arg(long, value_parser = crate::interrupt::parse_run_for, value_name = "SECONDS|forever")]
    pub duration: Option<RunFor>,
    /// Hardware: PCI address of the NVMe SSD, bound to vfio-pci; with --device vfio-user:...,
    /// vfio-user:PATH, the NVMe socket of the same `peerbar sim serve`.
    #[arg(long, value_name = "BDF")]
    pub nvme: Option<String>,
    /// Hardware and vfio-user: allow writing the SSD (to-nvme, both). The LBAs' data is
    /// overwritten.
    #[arg(long)]
    pub allow_nvme_write: bool,
    #[command(flatten)]
    pub sim: SimNvmeArgs,
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

/// Checks the numbers and the option combination before anything is opened: on hardware,
/// `--nvme` is required, `--sim-*` options are refused, and writing the SSD needs
/// `--allow-nvme-write`; over vfio-user the same, with both devices sockets of one server.
pub fn check_args(args: &CopyArgs, opts: &GlobalOpts) -> anyhow::Result<()> {
    let served = crate::vfio_user::socket(opts)?;
    let nvme_socket = nvme_socket(args)?;
    if opts.device.is_some() {
        if let Some(name) = args.sim.given().first() {
            let owner = if served.is_some() {
                "give it to `peerbar sim serve --nvme`, which owns the controller"
            } else {
                "it cannot be used with --device"
            };
            return Err(usage_error(format!(
                "{name} shapes the simulated NVMe controller: {owner}"
            )));
        }
        match (&served, &nvme_socket, &args.nvme) {
            (_, _, None) if served.is_some() => {
                return Err(usage_error(
                    "with --device vfio-user:PATH, --nvme vfio-user:PATH must name the NVMe \
                     socket of the same server (`peerbar sim serve --socket PATH --nvme PATH`)",
                ))
            }
            (_, _, None) => {
                return Err(usage_error(
                    "on hardware, --nvme <BDF> must name the SSD (bound to vfio-pci)",
                ))
            }
            (Some(_), None, Some(bdf)) => {
                return Err(usage_error(format!(
                    "--device vfio-user:... with --nvme {bdf}: the endpoint and the SSD are both \
                     vfio-user sockets of one `peerbar sim serve`, or both PCI addresses"
                )))
            }
            (None, Some(_), Some(nvme)) => {
                return Err(usage_error(format!(
                    "--nvme {nvme} with --device {}: the endpoint and the SSD are both vfio-user \
                     sockets of one `peerbar sim serve`, or both PCI addresses",
                    opts.device.as_deref().unwrap_or_default()
                )))
            }
            (Some(endpoint), Some(nvme), _) if endpoint == nvme => {
                return Err(usage_error(format!(
                    "--device and --nvme both name the socket {}: the server serves the endpoint \
                     and the NVMe controller on two sockets (sim serve --socket and --nvme)",
                    endpoint.display()
                )))
            }
            _ => {}
        }
        if args.direction != Direction::ToHost && !args.allow_nvme_write {
            return Err(usage_error(
                "--direction to-nvme/both overwrites the SSD's LBAs: add --allow-nvme-write to confirm",
            ));
        }
        if args.to == Destination::Cmb && served.is_none() {
            return Err(usage_error(
                "--to cmb runs on the simulation only: on hardware the SSD's CMB is not mapped \
                 into the IOMMU for the endpoint (not written yet)",
            ));
        }
    } else if args.nvme.is_some() {
        let what = if nvme_socket.is_some() {
            "--nvme vfio-user:... names a served NVMe controller; it needs --device vfio-user:... \
             for the endpoint of the same server"
        } else {
            "--nvme names a real SSD; it needs --device (the simulation has its own controller)"
        };
        return Err(usage_error(what));
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
    args.sim.check()?;
    if opts.device.is_none() {
        check_copy_fits(args)?;
    }
    Ok(())
}

/// `--nvme vfio-user:PATH`: the socket, `None` for a PCI address (or no `--nvme`); an empty
/// path is a usage error.
fn nvme_socket(args: &CopyArgs) -> anyhow::Result<Option<std::path::PathBuf>> {
    let Some(path) = args
        .nvme
        .as_deref()
        .and_then(|n| n.strip_prefix(crate::vfio_user::PREFIX))
    else {
        return Ok(None);
    };
    if path.is_empty() {
        return Err(usage_error(
            "--nvme vfio-user:PATH needs the socket's path (as given to peerbar sim serve --nvme)",
        ));
    }
    Ok(Some(path.into()))
}

/// The default simulated namespace is sized to end where the copy ends: that end must exist.
fn check_copy_fits(args: &CopyArgs) -> anyhow::Result<()> {
    if args
        .lba
        .checked_mul(args.sim.lba_bytes())
        .and_then(|start| start.checked_add(args.size))
        .is_none()
    {
        return Err(usage_error(format!(
            "--lba {} with --size {}: the copy would end past 2^64 bytes of namespace",
            args.lba, args.size
        )));
    }
    Ok(())
}

/// The opened world: the library's [`CopyDevices`], and the simulation's handles.
struct World {
    devices: CopyDevices,
    #[cfg(feature = "sim")]
    sim: Option<peerbar_sim::SimDevice>,
    #[cfg(feature = "sim")]
    sim_nvme: Option<peerbar_sim::SimNvme>,
}

/// Opens the endpoint and the SSD (on hardware both into one VFIO container; on the
/// simulation a simulated controller on the same fabric; over vfio-user both sockets of one
/// server, whose fabric has one IOMMU), then the engine and the NVMe driver sharing one
/// `DmaMemory`. [`check_args`] has checked the option combination.
fn open_world(opts: &GlobalOpts, args: &CopyArgs) -> anyhow::Result<(Target, World)> {
    let (mut target, nvme_device) = match (&args.nvme, nvme_socket(args)?) {
        (Some(_), Some(socket)) => {
            let target = Target::open(opts)?;
            let ssd = crate::vfio_user::connect("--nvme", &socket)?;
            check_is_nvme(&ssd, &socket)?;
            let ssd: Arc<dyn peerbar::Device> = Arc::new(ssd);
            (target, NvmeDevice::from(ssd))
        }
        (Some(bdf), None) => {
            let (target, ssd) = Target::open_with_peer(opts, bdf)?;
            (target, NvmeDevice::from(ssd))
        }
        (None, _) => {
            let target = Target::open(opts)?;
            let nvme_device = simulated_nvme(&target, args)?;
            (target, nvme_device)
        }
    };
    let endpoint = target.shared_endpoint()?;
    // --transfer sgl opens with Auto too, so that a controller without SGLs is refused below
    // in the tool's words (the driver's error names its own types).
    let transfer = match args.transfer {
        Transfer::Auto | Transfer::Sgl => TransferMode::Auto,
        Transfer::Prp => TransferMode::Prp,
    };
    let devices = CopyDevices::open(&endpoint, Arc::clone(&nvme_device.device), transfer)?;
    if args.transfer == Transfer::Sgl && devices.io.transfer_mode() != TransferMode::Sgl {
        return Err(usage_error(
            "--transfer sgl: the SSD does not support SGLs (Identify SGLS bits 1:0 = 00b): use \
             --transfer auto or prp",
        ));
    }
    let world = World {
        devices,
        #[cfg(feature = "sim")]
        sim: target.sim.clone(),
        #[cfg(feature = "sim")]
        sim_nvme: nvme_device.sim_nvme,
    };
    Ok((target, world))
}

/// A socket given as `--nvme` must serve an NVMe controller (class code 01h/08h/02h, NVM
/// Express I/O controller); the endpoint's socket there is a usage error, said before the
/// NVMe driver fails on its registers.
fn check_is_nvme(ssd: &dyn peerbar::Device, socket: &std::path::Path) -> anyhow::Result<()> {
    const NVME_CLASS: u32 = 0x01_08_02;
    let class = ssd.config_read32(0x08)? >> 8;
    if class != NVME_CLASS {
        return Err(usage_error(format!(
            "--nvme vfio-user:{}: that socket serves a device of class {class:06x}h, not an NVMe \
             controller ({NVME_CLASS:06x}h): give the socket of `peerbar sim serve --nvme`",
            socket.display()
        )));
    }
    Ok(())
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
    use anyhow::Context as _;
    let sim = target.sim.as_ref().expect("simulation target");
    let needed = (args.lba * args.sim.lba_bytes()).saturating_add(args.size);
    // A CMB big enough for every chunk in flight when the copy delivers there.
    let cmb_bytes = if args.to == Destination::Cmb {
        args.chunk
            .saturating_mul(args.depth as u64)
            .max(4096)
            .next_power_of_two()
    } else {
        0
    };
    let config = args.sim.config(needed.max(64 << 20), cmb_bytes);
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

/// The progress bar, the live rate of --duration, Ctrl-C and the simulated clock, as the
/// library's copy sees them.
struct CopyProgress<'a> {
    progress: &'a ProgressBar,
    /// --duration: the live rate, and the bytes moved by every leg so far.
    live: Option<Live>,
    moved: u64,
    #[cfg(feature = "sim")]
    sim: Option<&'a peerbar_sim::SimDevice>,
}

impl CopyObserver for CopyProgress<'_> {
    fn chunk_done(&mut self, _leg: &'static str, bytes: u64) {
        self.progress.inc(bytes);
        self.moved += bytes;
    }

    fn tick(&mut self, leg: &'static str) {
        if let Some(live) = &mut self.live {
            live.tick(self.moved, || format!(" ({leg})"));
        }
    }

    fn stop_requested(&self) -> bool {
        interrupt::requested()
    }

    fn leg_started(&mut self, leg: &'static str) {
        self.progress.set_message(leg);
    }

    fn sim_seconds(&self) -> Option<f64> {
        #[cfg(feature = "sim")]
        return self
            .sim
            .map(|s| s.stats().cycles as f64 / peerbar_sim::CLOCK_HZ as f64);
        #[cfg(not(feature = "sim"))]
        None
    }
}

/// The library's refusal of the options, in the words of the command line (exit 2); its
/// other errors as they are.
fn cli_error(e: CopyError, args: &CopyArgs) -> anyhow::Error {
    let message = match &e {
        CopyError::NotWholeLbas {
            what,
            value,
            lba_size,
        } => format!("--{what} {value} is not a whole number of {lba_size}-byte LBAs"),
        CopyError::PastNamespace { first, end, count } => {
            format!("LBAs {first}..{end} go past the namespace's {count} LBAs")
        }
        CopyError::ChunkOverMdts { chunk, mdts } => format!(
            "--chunk {} is above the controller's maximum transfer of {}",
            human_bytes(*chunk),
            human_bytes(*mdts)
        ),
        CopyError::Bar2TooSmall { chunk, depth, bar2 } => format!(
            "--chunk {} x --depth {depth} needs {} of BAR2, which has {}",
            human_bytes(*chunk),
            human_bytes(chunk * *depth as u64),
            human_bytes(*bar2)
        ),
        CopyError::NoCmb => {
            "--to cmb: the SSD has no controller memory buffer (CMBSZ is 0)".to_owned()
        }
        CopyError::CmbWithoutNvmeRead => {
            "--to cmb applies to the NVMe -> BAR2 leg (to-host, both)".to_owned()
        }
        CopyError::CmbTooSmall { chunk, depth, cmb } => format!(
            "--chunk x --depth needs {} of CMB, the SSD has {}",
            human_bytes(chunk * *depth as u64),
            human_bytes(*cmb)
        ),
        CopyError::Timeout { chunk, step, .. } => {
            return anyhow::anyhow!(
                "chunk {chunk} got no completion for its {step:?} step within --timeout {} s",
                args.timeout.as_secs_f64()
            )
        }
        CopyError::Submit { .. } | CopyError::Device(_) => return e.into(),
    };
    usage_error(message)
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
    let (target, world) = open_world(opts, args)?;
    let ns = world.devices.nvme.namespace();
    let verify = !args.no_verify;
    let options = CopyOptions {
        size: args.size,
        chunk: args.chunk,
        depth: args.depth,
        direction: match args.direction {
            Direction::ToHost => CopyDirection::ToHost,
            Direction::ToNvme => CopyDirection::ToNvme,
            Direction::Both => CopyDirection::Both,
        },
        destination: match args.to {
            Destination::Host => CopyDestination::Host,
            Destination::Cmb => CopyDestination::Cmb,
        },
        first_lba: args.lba,
        seed: args.seed,
        verify,
        timeout: args.timeout,
    };
    let mut copy = P2pCopy::new(
        &world.devices.engine,
        &world.devices.queue,
        &world.devices.nvme,
        &world.devices.io,
        options,
    )
    .map_err(|e| cli_error(e, args))?;
    let depth = copy.depth();
    let transfer = copy.transfer();
    let legs = copy.leg_names();
    #[cfg(feature = "sim")]
    if args.direction == Direction::ToHost {
        if let Some(sim_nvme) = &world.sim_nvme {
            // A fresh simulated namespace is zero: seed it so there is something to verify.
            let mut at = args.lba * u64::from(ns.lba_size);
            let end = at + args.size;
            while at < end {
                let n = (end - at).min(1 << 20);
                sim_nvme.namespace_write(at, &copy.pattern().bytes(at, n as usize))?;
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
            world.devices.nvme.device().describe(),
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
    let mut observer = CopyProgress {
        progress: &progress,
        live: args.duration.map(|_| Live::new()),
        moved: 0,
        #[cfg(feature = "sim")]
        sim: world.sim.as_ref(),
    };
    let passes = match args.duration.map(|r| r.deadline(Instant::now())) {
        None => Passes::Once,
        Some(Some(deadline)) => Passes::Until(deadline),
        Some(None) => Passes::UntilStopped,
    };
    let run = copy
        .run(passes, &mut observer)
        .map_err(|e| cli_error(e, args))?;
    if let Some(live) = &observer.live {
        live.finish();
    }
    progress.finish_and_clear();
    let (mismatch, failure) = match run.stop {
        Some(CopyStop::Mismatch(m)) => (Some(m), None),
        Some(CopyStop::Failed(f)) => (None, Some(f)),
        None => (None, None),
    };
    let reports: Vec<LegReport> = run
        .legs
        .into_iter()
        .map(|(name, figures)| leg_report(figures, name))
        .collect();

    let report = CopyReport {
        schema: "peerbar-copy/2",
        target: target.kind.as_str(),
        device: target.description.clone(),
        nvme: world.devices.nvme.device().describe(),
        transfer,
        size: args.size,
        chunk: args.chunk,
        depth,
        first_lba: args.lba,
        lba_size: ns.lba_size,
        seed: args.seed,
        verified: verify,
        legs: reports,
        mismatch,
        failure,
        passes: run.passes,
        duration_seconds: args.duration.and_then(RunFor::seconds),
        until_interrupted: args.duration == Some(RunFor::UntilInterrupted),
        interrupted: run.stopped,
    };
    Ok(report)
}
