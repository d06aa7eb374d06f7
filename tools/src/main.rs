// SPDX-License-Identifier: MIT OR Apache-2.0
//! `peerbar`: bring-up and daily-use tool for the peerbar PCIe peer-to-peer endpoint.
//!
//! The default target is the simulated endpoint (peerbar-sim: the RTL under Verilator);
//! `--device <BDF>` selects real hardware through VFIO.

// First, so that its `outln!` macro is in scope in every module below.
#[macro_use]
mod out;

mod bar_test;
mod bench;
mod bringup;
mod copy;
mod info;
mod interrupt;
mod mem;
mod progress;
mod push;
mod reg;
mod regs;
mod target;
mod topology;
mod units;
mod vfio_check;
mod vfio_user;

use std::io::Write;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Exit codes, documented in `--help`.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// A verification found data that differs from what was written, or a bringup step
    /// failed.
    pub const MISMATCH: u8 = 1;
    /// Bad command line or input (clap's own usage errors also exit with 2).
    pub const USAGE: u8 = 2;
    /// The device (or the simulation, or VFIO) failed.
    pub const DEVICE: u8 = 3;
    /// A DMA job completed with an error status.
    pub const DMA_STATUS: u8 = 4;
}

const AFTER_HELP: &str = "\
Targets:
  Without --device, peerbar drives the simulated endpoint: the RTL in hw/rtl under Verilator,
  wrapped in a model of the PCIe hard block. --mps, --mrrs and --rcb set what the simulated
  host configured, --host-latency how long its memory takes to answer a read; --trace writes
  an FST waveform of the simulation.
  With --device <BDF> it drives the real board through VFIO: the function must be bound to
  vfio-pci and the IOMMU enabled; peerbar says precisely what is missing otherwise.
  With --device vfio-user:PATH it drives the one simulation `peerbar sim serve --socket PATH`
  serves (several commands, in a row or at once, on one device state).

Examples:
  peerbar info                               identify the simulated endpoint
  peerbar info --json | jq .config.max_payload_bytes
  peerbar --mps 512 --mrrs 1024 info         simulated host with other MPS/MRRS
  peerbar bar-test                           all patterns x all access sizes over BAR2
  peerbar bar-test --seed 7 --access 4,bulk --offset 0x1000 --length 64k
  peerbar --trace bar.fst bar-test --length 256 --access 4
  peerbar regs --only queue                  the queue-pair registers, decoded
  peerbar reg read STATUS                    one register, decoded (reg write SCRATCH 0x1234)
  peerbar mem dump 0 64                      hexdump BAR2 (mem read|write|fill: files, patterns)
  peerbar push examples/lists/gather.txt --verify   one descriptor list as one DMA job (PULL)
  peerbar push list.txt --op push --in data.bin      your bytes: into BAR2, then out to the list
  peerbar bench                              DMA throughput sweep beside the TLP-limited ideal
                                             (with --device: in wall time, MB/s and jobs/s)
  peerbar bench --op pull --entry-sizes 256,1k,4k,16k --plot pull.svg
  peerbar bench --queues 1,2 --queue-depths 4 --csv bench.csv
  peerbar copy                               64 MiB NVMe <-> BAR2 <-> host, peer to peer, verified
  peerbar --device 0000:01:00.0 info         the board, through VFIO
  peerbar --device 0000:01:00.0 bringup --bind
                                             the fresh board's checklist, binding it to vfio-pci
  peerbar topology 03:00.0 04:00.0           can the SSD DMA into the FPGA? (sysfs only)
  peerbar vfio-check --nvme 0000:03:00.0 --peer-cmb 0000:04:00.0
                                             VFIO, IOMMU, MSI-X, NVMe and P2P on a real kernel
  RUST_LOG=debug peerbar info                driver and simulation logs (or -v, -vv, -vvv)

Exit status:
  0  success
  1  verification mismatch (bar-test found data that differs from what it wrote, push
     --verify found data that differs from what the job should have moved, copy found a
     wrong CRC or byte: the report names the LBA and offset), or a bringup step failed
  2  usage error or bad input (unknown option, bad number, range outside BAR2, ...)
  3  device error (device not found or not bound to vfio-pci, no IOMMU group, permission
     denied, not a peerbar endpoint, simulation failure, completion error, no DMA
     completion within push --wait or within 60 s in bench, ...)
  4  DMA job completed with an error status (push, bench: the CQ entry's status code is not 0;
     copy: an engine job or an NVMe command failed, the NVMe status is named; push on the
     simulation: the IOMMU refused one of the job's DMAs)
  Output into a pipe whose reader has gone (| head) ends peerbar quietly with status 0.
  With --json an error is JSON on stdout too (the message also goes to stderr):
    {\"schema\": \"peerbar-error/1\", \"exit_code\": 2, \"message\": \"...\", \"line\": 12}
  with \"line\" (text list) or \"entry\" (\"entries[2]\", \"descriptor 5\") when the error is in a
  list file. Ctrl-C in bench or copy ends at a job boundary and prints the summary (status 0).

Each command without --device runs its own fresh simulation: what one command writes (mem
write, reg write) is gone by the next; push --in/--out move your data within one command, and
`peerbar sim serve` keeps one simulation for many (--device vfio-user:PATH).";

#[derive(Parser, Debug)]
#[command(
    name = "peerbar",
    version,
    about = "Bring-up and test tool for the peerbar PCIe peer-to-peer endpoint",
    after_help = AFTER_HELP
)]
struct Cli {
    #[command(flatten)]
    global: GlobalOpts,

    #[command(subcommand)]
    command: Command,
}

/// Options that apply to every subcommand.
#[derive(Args, Debug, Clone)]
pub struct GlobalOpts {
    /// Real hardware: PCI address of the endpoint (0000:01:00.0 or 01:00.0), bound to vfio-pci;
    /// or vfio-user:PATH, the simulation `peerbar sim serve --socket PATH` serves. Without it,
    /// a fresh simulated endpoint is used.
    #[arg(long, global = true, value_name = "BDF")]
    pub device: Option<String>,

    /// Real hardware: the VFIO interface to open devices through: auto (the VFIO device cdev
    /// with iommufd when the kernel offers it for every device, the legacy container
    /// otherwise), legacy (/dev/vfio/vfio) or iommufd (/dev/iommu; an error naming what is
    /// missing when the kernel lacks it).
    #[arg(long, global = true, value_name = "auto|legacy|iommufd", default_value = "auto", value_parser = parse_vfio_request)]
    pub vfio: peerbar::device::backend::VfioRequest,

    /// Simulation only: write an FST waveform of every RTL signal to FILE (named *.fst).
    #[arg(long, global = true, value_name = "FILE.fst")]
    pub trace: Option<std::path::PathBuf>,

    /// Machine-readable JSON on stdout instead of tables (field names are stable; see the
    /// subcommand's --help).
    #[arg(long, global = true)]
    pub json: bool,

    /// More log output on stderr (-v info, -vv debug, -vvv trace); RUST_LOG also works.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Simulation only: Max Payload Size the simulated host configured, in bytes
    /// (128, 256, 512 or 1024).
    #[arg(long, global = true, value_name = "BYTES")]
    pub mps: Option<u16>,

    /// Simulation only: Max Read Request Size the simulated host configured, in bytes
    /// (128, 256, 512, 1024, 2048 or 4096).
    #[arg(long, global = true, value_name = "BYTES")]
    pub mrrs: Option<u16>,

    /// Simulation only: Read Completion Boundary of the simulated root port, in bytes (64 or 128).
    #[arg(long, global = true, value_name = "BYTES")]
    pub rcb: Option<u16>,

    /// Simulation only: the simulated host's read latency, from a DMA read to its first
    /// completion, in nanoseconds (a multiple of 4 ns, the 250 MHz cycle; 4 to 100000; default
    /// 800).
    #[arg(long, global = true, value_name = "NS")]
    pub host_latency: Option<u32>,
}

/// `--vfio`: clap shows the driver's message and exits with status 2 on a bad value.
fn parse_vfio_request(s: &str) -> Result<peerbar::device::backend::VfioRequest, peerbar::Error> {
    s.parse()
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Identify the endpoint: IDs, interface version, BAR sizes, capabilities, MPS/MRRS,
    /// link, MSI-X, error counters.
    #[command(long_about = info::LONG_ABOUT)]
    Info,

    /// The checklist for a freshly programmed board: IDs, link, BARs, VFIO binding, registers,
    /// BAR2, DMA both ways, MSI-X, and with an SSD peer-to-peer; PASS/FAIL with the fix/SKIP.
    #[command(long_about = bringup::LONG_ABOUT, after_help = bringup::AFTER_HELP)]
    Bringup(bringup::BringupArgs),

    /// Write patterns into peer memory (BAR2) and read them back, per access size.
    #[command(long_about = bar_test::LONG_ABOUT, after_help = bar_test::AFTER_HELP)]
    BarTest(bar_test::BarTestArgs),

    /// Read every BAR0 register, decoded by the register map's field names.
    #[command(long_about = regs::LONG_ABOUT, after_help = regs::AFTER_HELP)]
    Regs(regs::RegsArgs),

    /// Read or write one BAR0 register by name (SCRATCH, STATUS.MAX_PAYLOAD) or offset,
    /// decoded by the register map's fields.
    #[command(long_about = reg::LONG_ABOUT, after_help = reg::AFTER_HELP)]
    Reg(reg::RegArgs),

    /// BAR2 (peer memory) from the host: read to a file, write from a file, fill, hexdump.
    #[command(long_about = mem::LONG_ABOUT, after_help = mem::AFTER_HELP)]
    Mem(mem::MemArgs),

    /// Push one descriptor list (text, JSON or raw NVMe SGL) to the DMA engine as one PULL or
    /// PUSH job; report its status, bytes and time.
    #[command(long_about = push::LONG_ABOUT, after_help = push::AFTER_HELP)]
    Push(push::PushArgs),

    /// Measure DMA throughput over a sweep of op x entry size x list length x queue depth x
    /// queues: simulated time beside the interface's TLP-limited ideal on the simulation, wall
    /// time on hardware and vfio-user; table, JSON, CSV and SVG plot.
    #[command(long_about = bench::LONG_ABOUT, after_help = bench::AFTER_HELP)]
    Bench(bench::BenchArgs),

    /// NVMe -> BAR2 -> host and host -> BAR2 -> NVMe, peer to peer, chunked, with every
    /// chunk's CRC checked in BAR2 and every byte compared end to end.
    #[command(long_about = copy::LONG_ABOUT, after_help = copy::AFTER_HELP)]
    Copy(copy::CopyArgs),

    /// What decides P2P between PCI functions here, from sysfs: IOMMU groups, path to the root,
    /// common switch, ACS along the path, and a verdict with what to do.
    #[command(long_about = topology::LONG_ABOUT, after_help = topology::AFTER_HELP)]
    Topology(topology::TopologyArgs),

    /// Prove the VFIO path on a real kernel: open an NVMe function bound to vfio-pci, map DMA
    /// memory through the IOMMU, take MSI-X interrupts, Identify/Read/Write with PRP and SGL,
    /// and P2P into a second function's BAR (an NVMe CMB) in the same VFIO container.
    #[command(long_about = vfio_check::LONG_ABOUT)]
    VfioCheck(vfio_check::VfioCheckArgs),

    /// The simulation as a service: `sim serve --socket PATH` serves one simulated endpoint
    /// over vfio-user for `--device vfio-user:PATH`.
    #[cfg(feature = "sim")]
    Sim(vfio_user::SimArgs),

    /// Not in this build: it was built without the simulator (cargo feature `sim`).
    #[cfg(not(feature = "sim"))]
    Sim(NotBuilt),
}

/// The arguments of a subcommand this build does not have, taken as they come so that the
/// user gets [`target::NO_SIMULATOR`] rather than a parse error.
#[cfg(not(feature = "sim"))]
#[derive(Args, Debug)]
struct NotBuilt {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    _args: Vec<String>,
}

/// A usage error: bad option combination or input. Exits with [`exit::USAGE`].
#[derive(Debug)]
pub struct UsageError {
    pub message: String,
    /// The list file's line the error is about (text lists; JSON syntax errors).
    pub line: Option<u64>,
    /// The list entry the error is about, as the message names it (`entries[2]`,
    /// `descriptor 5`).
    pub entry: Option<String>,
}

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UsageError {}

/// A [`UsageError`] as an `anyhow::Error`.
pub fn usage_error(message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(UsageError {
        message: message.into(),
        line: None,
        entry: None,
    })
}

/// What `--json` prints on stdout when a command fails (schema `peerbar-error/1`).
#[derive(serde::Serialize)]
struct JsonError<'a> {
    schema: &'static str,
    exit_code: u8,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    entry: Option<&'a str>,
}

/// Prints the error object of `--json` on stdout, on one line (so that it also ends a JSON Lines
/// stream such as `regs --watch --json`); a closed stdout is ignored: the message also goes to
/// stderr.
pub(crate) fn print_json_error(exit_code: u8, message: String, usage: Option<&UsageError>) {
    let error = JsonError {
        schema: "peerbar-error/1",
        exit_code,
        message,
        line: usage.and_then(|u| u.line),
        entry: usage.and_then(|u| u.entry.as_deref()),
    };
    if let Ok(text) = serde_json::to_string(&error) {
        out::print(format_args!("{text}\n")).ok();
    }
}

/// Whether the raw command line asks for `--json` (for errors clap finds before there is a
/// parsed command line).
fn json_requested() -> bool {
    std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json")
}

/// What a subcommand found, when it ran to the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Mismatch,
    /// A DMA job completed with an error status.
    JobError,
    /// A bringup step failed (exit status 1, as a mismatch).
    CheckFailed,
}

fn init_logging(verbose: u8) {
    let mut builder = env_logger::Builder::new();
    builder.format_timestamp(None);
    match verbose {
        // Default: warnings, unless RUST_LOG says otherwise.
        0 => {
            builder.filter_level(log::LevelFilter::Warn);
            if let Ok(spec) = std::env::var("RUST_LOG") {
                builder.parse_filters(&spec);
            }
        }
        1 => {
            builder.filter_level(log::LevelFilter::Info);
        }
        2 => {
            builder.filter_level(log::LevelFilter::Debug);
        }
        _ => {
            builder.filter_level(log::LevelFilter::Trace);
        }
    }
    builder.init();
}

fn run(cli: Cli) -> anyhow::Result<Outcome> {
    // topology reads sysfs and vfio-check drives real devices: neither runs a simulation, so
    // options that shape one would be silently ignored.
    let no_simulation = match &cli.command {
        Command::Topology(_) => Some("topology reads sysfs only"),
        Command::VfioCheck(_) => Some("vfio-check drives real devices only"),
        _ => None,
    };
    if let (Some(why), Some(name)) = (no_simulation, target::simulation_option_given(&cli.global)) {
        return Err(usage_error(format!(
            "{name} shapes the simulated endpoint and does not apply here: {why}"
        )));
    }
    #[cfg(feature = "sim")]
    if let Command::Sim(args) = &cli.command {
        let vfio_user::SimCommand::Serve(serve) = &args.command;
        return vfio_user::serve(&cli.global, serve);
    }
    // vfio-check opens its own devices (several, into one VFIO container).
    if let Command::VfioCheck(args) = &cli.command {
        return vfio_check::run(&cli.global, args);
    }
    if let Command::Mem(args) = &cli.command {
        mem::check_args(args, &cli.global)?;
    }
    // The list file is read and checked before the device is opened.
    let push_list = match &cli.command {
        Command::Push(args) => Some(push::load(args)?),
        _ => None,
    };
    // The sweep's options are checked before the device is opened, too.
    let bench_plan = match &cli.command {
        Command::Bench(args) => {
            bench::check_outputs(args)?;
            Some(bench::plan(args)?)
        }
        _ => None,
    };
    // copy checks its options, then opens its own devices (on hardware, the endpoint and the
    // SSD into one VFIO container).
    if let Command::Copy(args) = &cli.command {
        copy::check_args(args, &cli.global)?;
        return copy::run(&cli.global, args);
    }
    // bringup reads sysfs before it opens anything, and opens the endpoint (and the copy's
    // SSD) itself.
    if let Command::Bringup(args) = &cli.command {
        vfio_user::refuse_bringup(&cli.global)?;
        bringup::check_args(args, &cli.global)?;
        return bringup::run(&cli.global, args);
    }
    // topology reads sysfs only: no simulation, no VFIO.
    if let Command::Topology(args) = &cli.command {
        return topology::run(args, &cli.global);
    }
    let mut target = target::Target::open(&cli.global)?;
    match cli.command {
        Command::Info => info::run(&mut target, &cli.global),
        Command::BarTest(args) => bar_test::run(&mut target, &cli.global, &args),
        Command::Regs(args) => regs::run(&mut target, &cli.global, &args),
        Command::Reg(args) => reg::run(&mut target, &cli.global, &args),
        Command::Mem(args) => mem::run(&mut target, &cli.global, &args),
        Command::Push(args) => {
            let loaded = push_list.expect("loaded above");
            push::run(&mut target, &cli.global, &args, &loaded)
        }
        Command::Bench(args) => {
            let plan = bench_plan.expect("planned above");
            bench::run(&mut target, &cli.global, &args, &plan)
        }
        Command::VfioCheck(_) => unreachable!("handled before a target is opened"),
        #[cfg(feature = "sim")]
        Command::Sim(_) => unreachable!("sim serve returned above, owning its simulation"),
        #[cfg(not(feature = "sim"))]
        Command::Sim(_) => Err(usage_error(target::NO_SIMULATOR)),
        Command::Topology(_) => unreachable!("topology returned above, before any target"),
        Command::Copy(_) => unreachable!("copy returned above, opening its own target"),
        Command::Bringup(_) => unreachable!("bringup returned above, opening its own target"),
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            use clap::error::ErrorKind;
            let is_error = !matches!(
                err.kind(),
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
            );
            if is_error && json_requested() {
                // clap's message without its "error: " and its usage lines.
                let text = err.render().to_string();
                let message = text
                    .lines()
                    .take_while(|l| !l.trim().is_empty())
                    .map(str::trim)
                    .collect::<Vec<_>>()
                    .join(" ")
                    .trim_start_matches("error: ")
                    .to_owned();
                print_json_error(exit::USAGE, message, None);
            }
            // Prints the help, the version or the usage error, and exits (2 for an error).
            err.exit();
        }
    };
    init_logging(cli.global.verbose);
    let json = cli.global.json;
    match run(cli) {
        Ok(Outcome::Ok) => ExitCode::from(exit::OK),
        Ok(Outcome::Mismatch | Outcome::CheckFailed) => ExitCode::from(exit::MISMATCH),
        Ok(Outcome::JobError) => ExitCode::from(exit::DMA_STATUS),
        // The reader of stdout took what it wanted (`| head`): nothing went wrong.
        Err(err) if err.downcast_ref::<out::StdoutClosed>().is_some() => ExitCode::from(exit::OK),
        Err(err) => {
            let usage = err.downcast_ref::<UsageError>();
            let code = if usage.is_some() {
                exit::USAGE
            } else {
                exit::DEVICE
            };
            if json {
                let mut message = err.to_string();
                for cause in err.chain().skip(1) {
                    message.push_str(&format!(": {cause}"));
                }
                print_json_error(code, message, usage);
            }
            // Not eprintln!: it panics when stderr is a closed pipe too.
            let mut stderr = std::io::stderr().lock();
            writeln!(stderr, "error: {err}").ok();
            for cause in err.chain().skip(1) {
                writeln!(stderr, "  caused by: {cause}").ok();
            }
            ExitCode::from(code)
        }
    }
}
