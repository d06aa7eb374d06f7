// SPDX-License-Identifier: MIT OR Apache-2.0
//! `peerbar bringup`: the checklist a person runs on a freshly programmed board, in the order
//! things go wrong: the function is there, its link trained, its BARs are as built, VFIO can
//! take it, its registers answer, BAR2 holds data, the DMA engine moves host memory both ways,
//! MSI-X reaches the host, and (with an SSD) peer-to-peer works. Every step says PASS, FAIL
//! with the fix, or SKIP with the reason (a step it needs failed, or nothing to check).
//!
//! On hardware the first four steps read sysfs (the checks live in `peerbar::bringup`, tested
//! on fake sysfs trees); the rest open the endpoint through VFIO. On the simulation the same
//! checks read the simulated config space, and every step runs.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use peerbar::bringup::{
    self as checks, BarLayout, BindReport, Finding, Identity, LinkState, BAR0_BYTES,
    BUILT_LINK_GENERATION, BUILT_LINK_WIDTH,
};
use peerbar::device::vfio::Bdf;
use peerbar::topology::Sysfs;
use peerbar::{BarIndex, Device};
use serde::Serialize;

use crate::target::Target;
use crate::units::{human_bytes, parse_size};
use crate::{usage_error, GlobalOpts, Outcome};

mod device;
mod p2p;

use device::device_steps;
use p2p::{p2p_steps, simulated_verdict};

pub const LONG_ABOUT: &str = "\
The checklist for a freshly programmed board, one step after another, each PASS, FAIL with
what to do, or SKIP with the reason (a step it needs failed, or there is nothing to check):

  visible      the function is there with the IDs the bitstream gives it: 10EE:9038, class
               058000h (hardware: sysfs; simulation: config space)
  link         the link trained at --link-gen/--link-width (default Gen3 x8, what the board
               builds configure) or better; a lower one names whether the slot or the
               bitstream is the cause (sysfs current_/max_link_speed/width; simulation: Link
               Status and Link Capabilities)
  bars         BAR0 64 KiB, BAR2 64-bit prefetchable, a power of two (--bar2-size: that size)
  vfio         hardware: an IOMMU group whose members VFIO accepts, bound to vfio-pci (--bind
               binds it and says what it wrote); simulation: the simulated IOMMU's ranges
  registers    MAGIC and VERSION identify a peerbar endpoint, BAR2_SIZE matches BAR2,
               CAPABILITIES has the DMA engine and MSI-X, SCRATCH holds what is written
  bar2         BAR2 pattern test (walking ones, address, random; 4-byte and bulk) over 64 KiB
  dma_pull     DMA PULL: host memory -> BAR2 through a 4-entry SGL, compared byte for byte
  dma_push     DMA PUSH: BAR2 -> host memory, the same
  msix         a job on an interrupt-mode queue: an MSI-X message reaches this process
  p2p_verdict  can the SSD reach BAR2 peer to peer (hardware: --nvme, the `topology`
               verdict; simulation: the simulated fabric's routing of BAR2's address)
  p2p_copy     a short `copy` (256 KiB): host -> BAR2 -> NVMe, then NVMe -> BAR2 -> host,
               every byte compared (hardware: --nvme and --allow-nvme-write, which
               overwrites the SSD's LBAs from --nvme-lba)

On hardware the first four steps read sysfs (--sysfs DIR reads another tree: the tests' fake
ones), the endpoint is opened through VFIO once they pass, and everything it opened is closed
before the copy opens the endpoint and the SSD into one VFIO container.

JSON output (--json), schema \"peerbar-bringup/1\":
  schema, target (\"simulation\" or \"hardware\"), device
  expect       {link_generation, link_width, bar0_bytes, bar2_bytes (null: any)}
  bind         null, or with --bind {actions[] (each write, in order), driver_after}
  steps[]      {id, title, status (\"pass\", \"fail\", \"skip\"), detail, fix (null unless
               failed), needs[] (the ids of the steps it depends on)}
  passed       no step failed
  counts       {pass, fail, skip}";

pub const AFTER_HELP: &str = "\
Examples:
  peerbar bringup                                    every step, on the simulation
  peerbar --device 0000:01:00.0 bringup              the board, through sysfs and VFIO
  peerbar --device 01:00.0 bringup --bind            bind it to vfio-pci first (as root)
  peerbar --device 01:00.0 bringup --link-gen 3 --link-width 4 --bar2-size 4MiB
  peerbar --device 01:00.0 bringup --nvme 02:00.0 --allow-nvme-write --nvme-lba 1048576

Exit status: 0 no step failed, 1 a step failed, 2 usage (nothing was checked or written),
3 the simulation could not start. docs/bringup.md explains each failure.";

#[derive(Args, Debug, Clone)]
pub struct BringupArgs {
    /// PCIe generation the link must train at, 1..=6 (3: 8 GT/s, what the board builds
    /// configure).
    #[arg(long, default_value_t = BUILT_LINK_GENERATION, value_name = "N",
          value_parser = clap::value_parser!(u8).range(1..=6))]
    pub link_gen: u8,
    /// Lanes the link must train at: 1, 2, 4, 8, 12, 16 or 32.
    #[arg(long, default_value_t = BUILT_LINK_WIDTH, value_name = "LANES")]
    pub link_width: u8,
    /// BAR2 size the bitstream was built with (2**BAR2_SIZE_LOG2 bytes, e.g. 1MiB); default:
    /// any power of two, checked against the BAR2_SIZE registers.
    #[arg(long, value_parser = parse_size, value_name = "SIZE")]
    pub bar2_size: Option<u64>,
    /// Hardware: bind the endpoint to vfio-pci through sysfs (driver_override, unbind,
    /// drivers_probe) when it passes the identity check; says every write it made. Needs
    /// root.
    #[arg(long)]
    pub bind: bool,
    /// Hardware: PCI address of an NVMe SSD, bound to vfio-pci: the P2P verdict and a short
    /// copy through BAR2.
    #[arg(long, value_name = "BDF")]
    pub nvme: Option<String>,
    /// Hardware: allow the copy to write the SSD: 256 KiB from --nvme-lba are overwritten.
    #[arg(long)]
    pub allow_nvme_write: bool,
    /// Hardware: first LBA of the copy on the SSD.
    #[arg(long, value_name = "LBA")]
    pub nvme_lba: Option<u64>,
    /// Hardware: root of the sysfs tree to read, and with --bind to write [default: /sys].
    #[arg(long, value_name = "DIR")]
    pub sysfs: Option<PathBuf>,
}

impl BringupArgs {
    fn sysfs(&self) -> Sysfs {
        Sysfs::new(self.sysfs.clone().unwrap_or_else(|| PathBuf::from("/sys")))
    }
}

/// BAR2 bytes the pattern test covers.
const BAR2_TEST_BYTES: u64 = 64 << 10;
/// Bytes of each DMA loopback job, in this many list entries.
const LOOPBACK_BYTES: u64 = 64 << 10;
const LOOPBACK_ENTRIES: u64 = 4;
/// How long one job may take (the simulation is slow, and a board's first DMA may fault).
const JOB_TIMEOUT: Duration = Duration::from_secs(20);
/// The copy: 4 chunks of 64 KiB, 2 in flight (128 KiB of BAR2).
const COPY_CHUNK: u64 = 64 << 10;
const COPY_CHUNKS: u64 = 4;
const COPY_DEPTH: usize = 2;
/// Seed of every pattern written (fixed, so that two runs write the same bytes).
const SEED: u64 = 0xb1b1;

/// Link widths PCIe defines.
const LINK_WIDTHS: [u8; 7] = [1, 2, 4, 8, 12, 16, 32];

/// Checks the options before anything is opened or written.
pub fn check_args(args: &BringupArgs, opts: &GlobalOpts) -> anyhow::Result<()> {
    if !LINK_WIDTHS.contains(&args.link_width) {
        return Err(usage_error(format!(
            "--link-width {}: a PCIe link is x1, x2, x4, x8, x12, x16 or x32",
            args.link_width
        )));
    }
    if let Some(size) = args.bar2_size {
        if !size.is_power_of_two() || !(12..=32).contains(&size.ilog2()) {
            return Err(usage_error(format!(
                "--bar2-size {size}: BAR2 is a power of two from 4 KiB to 4 GiB \
                 (2**BAR2_SIZE_LOG2, BAR2_SIZE_LOG2 12..32)"
            )));
        }
    }
    let hardware = crate::target::hardware_bdf(opts)?;
    let Some(endpoint) = hardware else {
        for (given, name, what) in [
            (args.bind, "--bind", "binds a real function to vfio-pci"),
            (args.nvme.is_some(), "--nvme", "names a real SSD"),
            (
                args.allow_nvme_write,
                "--allow-nvme-write",
                "applies to --nvme",
            ),
            (args.nvme_lba.is_some(), "--nvme-lba", "applies to --nvme"),
            (
                args.sysfs.is_some(),
                "--sysfs",
                "names the sysfs of a real machine",
            ),
        ] {
            if given {
                return Err(usage_error(format!(
                    "{name} {what}: it needs --device <BDF> (on the simulation the simulated \
                     NVMe controller is the peer)"
                )));
            }
        }
        return Ok(());
    };
    match &args.nvme {
        Some(text) => {
            crate::target::ssd_bdf(endpoint, text)?;
        }
        None => {
            if args.allow_nvme_write || args.nvme_lba.is_some() {
                return Err(usage_error(
                    "--allow-nvme-write and --nvme-lba apply to --nvme <BDF>",
                ));
            }
        }
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Pass,
    Fail,
    Skip,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Skip => "SKIP",
        }
    }
}

#[derive(Serialize, Debug)]
struct Step {
    id: &'static str,
    title: String,
    status: Status,
    detail: String,
    fix: Option<String>,
    needs: Vec<&'static str>,
}

#[derive(Serialize, Debug)]
struct Expect {
    link_generation: u8,
    link_width: u8,
    bar0_bytes: u64,
    bar2_bytes: Option<u64>,
}

#[derive(Serialize, Debug)]
struct BindView {
    actions: Vec<String>,
    driver_after: Option<String>,
}

#[derive(Serialize, Debug, Default)]
struct Counts {
    pass: usize,
    fail: usize,
    skip: usize,
}

#[derive(Serialize, Debug)]
struct Report {
    schema: &'static str,
    target: &'static str,
    device: String,
    expect: Expect,
    bind: Option<BindView>,
    steps: Vec<Step>,
    passed: bool,
    counts: Counts,
}

/// The steps so far, and the rule that a step whose needs did not all pass is skipped.
#[derive(Default)]
struct Checklist {
    steps: Vec<Step>,
}

impl Checklist {
    /// The first step of `needs` that did not pass, with its status.
    fn unmet(&self, needs: &[&'static str]) -> Option<(&'static str, Status)> {
        needs.iter().find_map(|need| {
            let status = self
                .steps
                .iter()
                .find(|s| s.id == *need)
                .map_or(Status::Skip, |s| s.status);
            (status != Status::Pass).then_some((*need, status))
        })
    }

    fn has(&self, id: &str) -> bool {
        self.steps.iter().any(|s| s.id == id)
    }

    /// Whether step `id` may run: when a step it needs did not pass, records it as skipped
    /// (naming that step) and returns false.
    fn ready(&mut self, id: &'static str, title: &str, needs: &[&'static str]) -> bool {
        match self.unmet(needs) {
            None => true,
            Some((need, status)) => {
                self.push(
                    id,
                    title,
                    needs,
                    Status::Skip,
                    format!("needs {need}, which did not pass ({})", status.label()),
                    None,
                );
                false
            }
        }
    }

    fn push(
        &mut self,
        id: &'static str,
        title: &str,
        needs: &[&'static str],
        status: Status,
        detail: String,
        fix: Option<String>,
    ) {
        self.steps.push(Step {
            id,
            title: title.to_owned(),
            status,
            detail,
            fix,
            needs: needs.to_vec(),
        });
    }

    /// Records a check's finding.
    fn record(&mut self, id: &'static str, title: &str, needs: &[&'static str], f: Finding) {
        let status = if f.passed { Status::Pass } else { Status::Fail };
        self.push(id, title, needs, status, f.detail, f.fix);
    }

    /// Runs a check whose needs are met; an error becomes a FAIL with `fix`.
    fn run(
        &mut self,
        id: &'static str,
        title: &str,
        needs: &[&'static str],
        fix: &str,
        check: impl FnOnce() -> anyhow::Result<Finding>,
    ) {
        if !self.ready(id, title, needs) {
            return;
        }
        let finding = check().unwrap_or_else(|e| Finding::fail(error_text(&e), fix));
        self.record(id, title, needs, finding);
    }

    fn skip(&mut self, id: &'static str, title: &str, needs: &[&'static str], why: String) {
        self.push(id, title, needs, Status::Skip, why, None);
    }

    /// The registers step, when the endpoint did not open (VFIO) or identify (MAGIC, VERSION).
    fn opening_failed(&mut self, e: &anyhow::Error) {
        self.push(
            REGISTERS,
            REGISTERS_TITLE,
            &[VISIBLE, VFIO],
            Status::Fail,
            error_text(e),
            Some(OPEN_FIX.to_owned()),
        );
    }
}

/// An error and its causes on one line.
fn error_text(e: &anyhow::Error) -> String {
    e.chain()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(": ")
}

const VISIBLE: &str = "visible";
const LINK: &str = "link";
const BARS: &str = "bars";
const VFIO: &str = "vfio";
const REGISTERS: &str = "registers";
const BAR2: &str = "bar2";
const DMA_PULL: &str = "dma_pull";
const DMA_PUSH: &str = "dma_push";
const MSIX: &str = "msix";
const P2P_VERDICT: &str = "p2p_verdict";
const P2P_COPY: &str = "p2p_copy";

const VISIBLE_TITLE: &str = "function visible (10EE:9038, class 058000h)";
const BARS_TITLE: &str = "BARs sized as built";
const VFIO_TITLE: &str = "IOMMU group and vfio-pci binding";
const REGISTERS_TITLE: &str = "registers: MAGIC, VERSION, BAR2_SIZE, CAPABILITIES, SCRATCH";
const BAR2_TITLE: &str = "BAR2 pattern test";
const DMA_PULL_TITLE: &str = "DMA PULL host memory -> BAR2";
const DMA_PUSH_TITLE: &str = "DMA PUSH BAR2 -> host memory";
const MSIX_TITLE: &str = "MSI-X delivery";
const P2P_VERDICT_TITLE: &str = "peer-to-peer path NVMe <-> BAR2";
const P2P_COPY_TITLE: &str = "NVMe <-> BAR2 <-> host copy, verified";

/// The fix for a step that failed with an error rather than a finding.
const OPEN_FIX: &str = "the endpoint did not open through VFIO or answer on BAR0: the message \
says why; if MAGIC reads all ones the function is not decoding its BARs (reboot or rescan \
after programming), if it reads another value the bitstream is not peerbar's";
const DMA_FIX: &str = "the engine could not move host memory: check that the kernel log \
(dmesg) shows no IOMMU (DMAR/AMD-Vi) faults for the function, that bus mastering is on \
(lspci -vv: BusMaster+), and run `peerbar push examples/lists/gather.txt --verify` for the \
job in detail";

pub fn run(opts: &GlobalOpts, args: &BringupArgs) -> anyhow::Result<Outcome> {
    let expect = Expect {
        link_generation: args.link_gen,
        link_width: args.link_width,
        bar0_bytes: BAR0_BYTES,
        bar2_bytes: args.bar2_size,
    };
    let link_title = format!(
        "link trained at Gen{} x{} or better",
        args.link_gen, args.link_width
    );
    let mut list = Checklist::default();
    let mut bind = None;
    let mut sim_verdict = None;
    let (target_kind, device, target) = match crate::target::hardware_bdf(opts)? {
        Some(bdf) => {
            bind = sysfs_steps(&mut list, &args.sysfs(), bdf, args, &link_title);
            let target = if list.unmet(&[VISIBLE, VFIO]).is_none() {
                match Target::open(opts) {
                    Ok(target) => Some(target),
                    Err(e) => {
                        list.opening_failed(&e);
                        None
                    }
                }
            } else {
                None
            };
            ("hardware", bdf.to_string(), target)
        }
        None => {
            let target = Target::open(opts)?;
            config_steps(&mut list, target.device(), args, &link_title);
            sim_verdict = Some(simulated_verdict(&target));
            ("simulation", target.description.clone(), Some(target))
        }
    };
    device_steps(&mut list, target);
    p2p_steps(&mut list, opts, args, sim_verdict);

    let mut counts = Counts::default();
    for step in &list.steps {
        match step.status {
            Status::Pass => counts.pass += 1,
            Status::Fail => counts.fail += 1,
            Status::Skip => counts.skip += 1,
        }
    }
    let report = Report {
        schema: "peerbar-bringup/1",
        target: target_kind,
        device,
        expect,
        bind: bind.map(|b: BindReport| BindView {
            actions: b.actions,
            driver_after: b.driver_after,
        }),
        passed: counts.fail == 0,
        counts,
        steps: list.steps,
    };
    if opts.json {
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        crate::out::print(render(&report))?;
    }
    Ok(if report.passed {
        Outcome::Ok
    } else {
        Outcome::CheckFailed
    })
}

/// Hardware: the first four steps from sysfs, binding to vfio-pci first with --bind (only a
/// function that passed the identity check). Returns what --bind did.
fn sysfs_steps(
    list: &mut Checklist,
    sysfs: &Sysfs,
    bdf: Bdf,
    args: &BringupArgs,
    link_title: &str,
) -> Option<BindReport> {
    let function = match sysfs.function(bdf) {
        Ok(f) => f,
        Err(e) => {
            list.push(
                VISIBLE,
                VISIBLE_TITLE,
                &[],
                Status::Fail,
                e.to_string(),
                Some(
                    "the board's function is not on the bus: check the address (lspci -d \
                     10ee:), that the FPGA is programmed (DONE LED) before the host \
                     enumerates, then reboot or rescan (echo 1 > /sys/bus/pci/rescan)"
                        .to_owned(),
                ),
            );
            for (id, title) in [(LINK, link_title), (BARS, BARS_TITLE), (VFIO, VFIO_TITLE)] {
                list.ready(id, title, &[VISIBLE]);
            }
            return None;
        }
    };
    list.record(
        VISIBLE,
        VISIBLE_TITLE,
        &[],
        checks::check_identity(&Identity::from_sysfs(&function)),
    );
    if list.ready(LINK, link_title, &[VISIBLE]) {
        let found = checks::check_link(
            &LinkState::from_sysfs(&function),
            args.link_gen,
            args.link_width,
        );
        list.record(LINK, link_title, &[VISIBLE], found);
    }
    if list.ready(BARS, BARS_TITLE, &[VISIBLE]) {
        let found = checks::check_bars(&BarLayout::from_sysfs(&function), args.bar2_size);
        list.record(BARS, BARS_TITLE, &[VISIBLE], found);
    }
    if !list.ready(VFIO, VFIO_TITLE, &[VISIBLE]) {
        return None;
    }
    let mut bind = None;
    let mut function = function;
    if args.bind {
        match checks::bind_vfio_pci(sysfs, bdf) {
            Ok(report) => {
                bind = Some(report);
                if let Ok(again) = sysfs.function(bdf) {
                    function = again;
                }
            }
            Err(e) => {
                list.push(
                    VFIO,
                    VFIO_TITLE,
                    &[VISIBLE],
                    Status::Fail,
                    format!("--bind: {e}"),
                    Some(
                        "the message says what to do; the writes go to sysfs and need root; \
                         or bind by hand (docs/bringup.md)"
                            .to_owned(),
                    ),
                );
                return None;
            }
        }
    }
    list.record(
        VFIO,
        VFIO_TITLE,
        &[VISIBLE],
        checks::check_binding(&function, &sysfs.iommu()),
    );
    bind
}

/// Simulation: the first four steps from the simulated config space and device.
fn config_steps(list: &mut Checklist, dev: &dyn Device, args: &BringupArgs, link_title: &str) {
    const CONFIG_FIX: &str = "the simulated config space could not be read: the message says why";
    list.run(VISIBLE, VISIBLE_TITLE, &[], CONFIG_FIX, || {
        Ok(checks::check_identity(&Identity::from_config(dev)?))
    });
    list.run(LINK, link_title, &[VISIBLE], CONFIG_FIX, || {
        let Some(pcie) = peerbar::config::pcie_capability(dev)? else {
            return Ok(Finding::fail(
                "no PCI Express capability in config space",
                "the function is not PCI Express: not a peerbar endpoint",
            ));
        };
        Ok(checks::check_link(
            &LinkState::from_pcie(&pcie),
            args.link_gen,
            args.link_width,
        ))
    });
    list.run(BARS, BARS_TITLE, &[VISIBLE], CONFIG_FIX, || {
        let layout = BarLayout::from_config(
            dev,
            dev.bar_len(BarIndex::BAR0),
            dev.bar_len(BarIndex::BAR2),
        )?;
        Ok(checks::check_bars(&layout, args.bar2_size))
    });
    list.run(
        VFIO,
        VFIO_TITLE,
        &[VISIBLE],
        "the simulated IOMMU gave no IOVA ranges: the message says why",
        || {
            let ranges = dev.iova_ranges()?;
            let shown: Vec<String> = ranges
                .iter()
                .map(|r| format!("{:#x}..{:#x}", r.start, r.end))
                .collect();
            Ok(if ranges.is_empty() {
                Finding::fail(
                    "the simulated IOMMU has no IOVA range",
                    "a simulation bug: the driver has nowhere to map DMA buffers",
                )
            } else {
                Finding::pass(format!(
                    "simulation: no kernel driver to bind; DMA goes through the simulated \
                     IOMMU, IOVA ranges {}",
                    shown.join(", ")
                ))
            })
        },
    );
}

fn render(r: &Report) -> String {
    let mut out = format!("bringup on {}: {}\n", r.target, r.device);
    out.push_str(&format!(
        "expecting Gen{} x{}, BAR0 {}, BAR2 {}\n",
        r.expect.link_generation,
        r.expect.link_width,
        human_bytes(r.expect.bar0_bytes),
        r.expect
            .bar2_bytes
            .map_or_else(|| "as the BAR2_SIZE registers say".to_owned(), human_bytes)
    ));
    if let Some(bind) = &r.bind {
        for action in &bind.actions {
            out.push_str(&format!("--bind: {action}\n"));
        }
        out.push_str(&format!(
            "--bind: bound to {} now\n",
            bind.driver_after.as_deref().unwrap_or("no driver")
        ));
    }
    for (n, step) in r.steps.iter().enumerate() {
        out.push_str(&format!(
            "{:>2} {}  {}: {}\n",
            n + 1,
            step.status.label(),
            step.title,
            step.detail
        ));
        if let Some(fix) = &step.fix {
            out.push_str(&format!("        fix: {fix}\n"));
        }
    }
    out.push_str(&format!(
        "{} passed, {} failed, {} skipped: {}\n",
        r.counts.pass,
        r.counts.fail,
        r.counts.skip,
        if r.passed {
            "the board is up"
        } else {
            "see the first FAIL (docs/bringup.md)"
        }
    ));
    out
}
