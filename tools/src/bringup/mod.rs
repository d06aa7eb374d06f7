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
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use peerbar::bringup::{
    self as checks, BarLayout, BindReport, Finding, Identity, LinkState, BAR0_BYTES,
    BUILT_LINK_GENERATION, BUILT_LINK_WIDTH,
};
use peerbar::device::vfio::Bdf;
use peerbar::dma::{CompletionMode, DmaEngine, Job, PeerRange, QueueConfig, QueuePair, Sgl};
use peerbar::hostmem::DataList;
use peerbar::topology::{Sysfs, VerdictKind};
use peerbar::{BarIndex, Device, Endpoint};
use serde::Serialize;

use crate::copy::{CopyArgs, Destination, Direction, Transfer};
use crate::target::Target;
use crate::units::{human_bytes, parse_size, plural};
use crate::{usage_error, GlobalOpts, Outcome};

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

/// The steps that drive the opened endpoint (`None` when it could not be opened: every one
/// is then skipped). Everything opened is closed on return, so that the copy can open the
/// endpoint again (with the SSD, into one VFIO container).
fn device_steps(list: &mut Checklist, target: Option<Target>) {
    let Some(mut target) = target else {
        // Not opened: REGISTERS failed opening it, or a step before did not pass.
        if !list.has(REGISTERS) {
            list.ready(REGISTERS, REGISTERS_TITLE, &[VISIBLE, VFIO]);
        }
        skip_device_steps(list);
        return;
    };
    if !list.ready(REGISTERS, REGISTERS_TITLE, &[VISIBLE, VFIO]) {
        skip_device_steps(list);
        return;
    }
    let endpoint = match target.shared_endpoint() {
        Ok(ep) => ep,
        Err(e) => {
            list.opening_failed(&e);
            skip_device_steps(list);
            return;
        }
    };
    let finding =
        registers(&target, &endpoint).unwrap_or_else(|e| Finding::fail(error_text(&e), OPEN_FIX));
    list.record(REGISTERS, REGISTERS_TITLE, &[VISIBLE, VFIO], finding);

    list.run(
        BAR2,
        BAR2_TITLE,
        &[BARS, REGISTERS],
        "BAR2 accesses failed: the message says which",
        || {
            let r = crate::bar_test::quick_bar2(&target, &endpoint, BAR2_TEST_BYTES, SEED)?;
            let what = format!(
                "{} over {} of BAR2 ({} bytes written and read back)",
                plural(r.passes, "pass", "passes"),
                human_bytes(BAR2_TEST_BYTES.min(r.bytes)),
                r.bytes
            );
            Ok(match r.first_mismatch {
                None => Finding::pass(what),
                Some(first) => Finding::fail(
                    format!("{what}: {} wrong word(s), first {first}", r.mismatches),
                    "BAR2 does not hold what is written: run `peerbar bar-test` for every \
                     wrong word; errors in single bits point at the memory or its timing \
                     (docs/synthesis.md), whole words at the completer's addressing",
                ),
            })
        },
    );

    let dma = match endpoint.dma() {
        Ok(dma) => Some(dma),
        Err(e) => {
            for (id, title) in [
                (DMA_PULL, DMA_PULL_TITLE),
                (DMA_PUSH, DMA_PUSH_TITLE),
                (MSIX, MSIX_TITLE),
            ] {
                list.run(id, title, &[REGISTERS], DMA_FIX, || {
                    Err(anyhow::anyhow!("opening the DMA engine: {e}"))
                });
            }
            None
        }
    };
    if let Some(dma) = dma {
        dma_steps(list, &dma);
    }
}

fn skip_device_steps(list: &mut Checklist) {
    for (id, title, needs) in [
        (BAR2, BAR2_TITLE, &[BARS, REGISTERS][..]),
        (DMA_PULL, DMA_PULL_TITLE, &[REGISTERS][..]),
        (DMA_PUSH, DMA_PUSH_TITLE, &[REGISTERS][..]),
        (MSIX, MSIX_TITLE, &[REGISTERS][..]),
    ] {
        list.ready(id, title, needs);
    }
}

/// MAGIC and VERSION (checked by opening), BAR2_SIZE against the BAR, CAPABILITIES, SCRATCH.
fn registers(target: &Target, endpoint: &Endpoint) -> anyhow::Result<Finding> {
    let version = endpoint.version();
    let bar2 = match endpoint.bar2_size() {
        Ok(size) => size,
        Err(peerbar::Error::Bar2SizeMismatch { register, bar_len }) => {
            return Ok(Finding::fail(
                format!(
                    "version {version}; BAR2_SIZE says {} but BAR2 is {}",
                    human_bytes(register),
                    human_bytes(bar_len)
                ),
                "the PCIe block's BAR2 and the RTL were built with different sizes: rebuild \
                 with the board flow, which sizes both from BAR2_SIZE_LOG2 (docs/board.md)",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let caps = endpoint.capabilities()?;
    let scratch = crate::bar_test::quick_scratch(target, endpoint, SEED)?;
    let what = format!(
        "MAGIC \"PEER\", version {version}, BAR2_SIZE {} = BAR2, {} queue(s), {}-byte datapath, \
         SCRATCH {} value(s) read back",
        human_bytes(bar2),
        caps.dma_queues,
        caps.datapath_bytes,
        scratch.bytes / 4
    );
    if let Some(first) = scratch.first_mismatch {
        return Ok(Finding::fail(
            format!("{what}: {first}"),
            "SCRATCH does not hold what is written: BAR0 writes are lost or corrupted (run \
             `peerbar reg write SCRATCH 0x12345678`; check the error counters with `peerbar \
             info`)",
        ));
    }
    if !caps.dma_engine || !caps.msix {
        return Ok(Finding::fail(
            format!(
                "{what}; CAPABILITIES: DMA engine {}, MSI-X {}",
                caps.dma_engine, caps.msix
            ),
            "this bitstream was built without the DMA engine or MSI-X: build the default \
             configuration (docs/board.md)",
        ));
    }
    Ok(Finding::pass(what))
}

/// Which way a loopback job moves the data.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Loopback {
    Pull,
    Push,
}

fn dma_steps(list: &mut Checklist, dma: &DmaEngine) {
    // A polling queue for the loopback jobs, when they will run.
    let queue = list.unmet(&[REGISTERS]).is_none().then(|| {
        dma.enable()
            .and_then(|()| dma.create_queue(QueueConfig::new(0)))
    });
    for (id, title, op) in [
        (DMA_PULL, DMA_PULL_TITLE, Loopback::Pull),
        (DMA_PUSH, DMA_PUSH_TITLE, Loopback::Push),
    ] {
        list.run(id, title, &[REGISTERS], DMA_FIX, || match &queue {
            Some(Ok(queue)) => loopback(dma, queue, op),
            Some(Err(e)) => Err(anyhow::anyhow!("enabling the engine and queue 0: {e}")),
            None => Err(anyhow::anyhow!("the registers step did not pass")),
        });
    }
    // The MSI-X check takes queue 0 again, in interrupt mode.
    drop(queue);
    list.run(
        MSIX,
        MSIX_TITLE,
        &[REGISTERS],
        "MSI-X could not be enabled: the message says why (VFIO needs the IOMMU's interrupt \
         remapping or allow_unsafe_interrupts)",
        || msix(dma),
    );
}

/// One PULL or PUSH between a host buffer (as `LOOPBACK_ENTRIES` list entries) and a BAR2
/// slot; the destination first holds the complement of the pattern, so that a job that moved
/// nothing cannot pass.
fn loopback(dma: &DmaEngine, queue: &QueuePair, op: Loopback) -> anyhow::Result<Finding> {
    let len = LOOPBACK_BYTES.min(dma.peer_memory().bar_len());
    let slot = Arc::new(dma.peer_memory().alloc(len, 4096)?);
    let host = Arc::new(dma.memory().alloc(len as usize)?);
    let pattern = crate::push::host_pattern(SEED, len as usize);
    let complement: Vec<u8> = pattern.iter().map(|b| !b).collect();
    let piece = len / LOOPBACK_ENTRIES;
    let mut data = DataList::new();
    for i in 0..LOOPBACK_ENTRIES {
        data.push_buffer(&host, (i * piece) as usize, piece as u32)?;
    }
    let peer = PeerRange::whole(&slot)?;
    let list = Sgl::List(data);
    let job = match op {
        Loopback::Pull => {
            host.write(0, &pattern)?;
            slot.write(0, &complement)?;
            Job::Pull { peer, list }
        }
        Loopback::Push => {
            slot.write(0, &pattern)?;
            host.write(0, &complement)?;
            Job::Push { peer, list }
        }
    };
    let started = Instant::now();
    let completion = queue.submit(job)?.wait(JOB_TIMEOUT)?;
    let took = started.elapsed();
    if !completion.status.is_success() {
        return Ok(Finding::fail(
            format!("the job completed with status {}", completion.status),
            DMA_FIX,
        ));
    }
    let mut got = vec![0u8; len as usize];
    match op {
        Loopback::Pull => slot.read(0, &mut got)?,
        Loopback::Push => host.read(0, &mut got)?,
    }
    let what = format!(
        "{} in {LOOPBACK_ENTRIES} list entries, {:.1} ms",
        human_bytes(len),
        took.as_secs_f64() * 1e3
    );
    let wrong = got.iter().zip(&pattern).filter(|(a, b)| a != b).count();
    match got.iter().zip(&pattern).position(|(a, b)| a != b) {
        None => Ok(Finding::pass(format!("{what}, every byte compared"))),
        Some(at) => Ok(Finding::fail(
            format!(
                "{what}: {wrong} byte(s) wrong, first at offset {at:#x}: expected {:#04x}, found \
                 {:#04x}{}",
                pattern[at],
                got[at],
                if got[at] == complement[at] {
                    " (not written)"
                } else {
                    ""
                }
            ),
            "the job reported success but the data differs: run `peerbar push` with --verify \
             on examples/lists/gather.txt to see which entry; report it with the output",
        )),
    }
}

/// A NOP on an interrupt-mode queue: the engine must send an MSI-X message that reaches this
/// process (counted by the engine's interrupt thread; a job's completion alone proves
/// nothing, the wait also polls).
fn msix(dma: &DmaEngine) -> anyhow::Result<Finding> {
    let before = dma.interrupts_received();
    let queue = dma.create_queue(QueueConfig {
        mode: CompletionMode::Interrupt,
        ..QueueConfig::new(0)
    })?;
    queue.submit(Job::Nop)?.wait(JOB_TIMEOUT)?;
    // The completion may have been found by polling just before the message arrived.
    let deadline = Instant::now() + Duration::from_secs(1);
    while dma.interrupts_received() == before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let received = dma.interrupts_received() - before;
    Ok(if received > 0 {
        Finding::pass(format!(
            "queue 0 on vector 0: {received} message(s) received for one job"
        ))
    } else {
        Finding::fail(
            "the job completed but no MSI-X message reached the host (the driver found the \
             completion by polling)",
            "check the kernel log (dmesg) for interrupt remapping faults, that the MSI-X \
             table is in BAR0 at 8000h with the build's vector count (lspci -vv: MSI-X: \
             Enable+ Count=..), and the bitstream's MSI-X setting (docs/board.md)",
        )
    })
}

/// The P2P verdict and the short copy: with --nvme on hardware, with the simulated NVMe
/// controller on the simulation (`sim_verdict`: what the simulated fabric said).
fn p2p_steps(
    list: &mut Checklist,
    opts: &GlobalOpts,
    args: &BringupArgs,
    sim_verdict: Option<anyhow::Result<Finding>>,
) {
    let copy_needs: &[&'static str] = &[P2P_VERDICT, DMA_PULL, DMA_PUSH];
    let hardware_nvme = match (&opts.device, &args.nvme) {
        (Some(_), None) => {
            let why = "no --nvme <BDF> given: nothing to check".to_owned();
            list.skip(P2P_VERDICT, P2P_VERDICT_TITLE, &[VISIBLE], why.clone());
            list.skip(P2P_COPY, P2P_COPY_TITLE, copy_needs, why);
            return;
        }
        (Some(device), Some(nvme)) => Some((device.clone(), nvme.clone())),
        (None, _) => None,
    };
    list.run(
        P2P_VERDICT,
        P2P_VERDICT_TITLE,
        &[VISIBLE],
        "sysfs could not be read for the pair: the message says why (`peerbar topology` \
         shows the same facts)",
        || match (&hardware_nvme, sim_verdict) {
            (Some((device, nvme)), _) => sysfs_verdict(&args.sysfs(), device, nvme),
            (None, Some(verdict)) => verdict,
            (None, None) => Err(anyhow::anyhow!("no target to ask")),
        },
    );
    if hardware_nvme.is_some() && !args.allow_nvme_write {
        // A step it needs that did not pass is the first thing to say.
        if !list.ready(P2P_COPY, P2P_COPY_TITLE, copy_needs) {
            return;
        }
        list.skip(
            P2P_COPY,
            P2P_COPY_TITLE,
            copy_needs,
            format!(
                "the copy writes a pattern to the SSD and reads it back: give \
                 --allow-nvme-write ({} from --nvme-lba, default 0, are overwritten)",
                human_bytes(COPY_CHUNK * COPY_CHUNKS)
            ),
        );
        return;
    }
    list.run(
        P2P_COPY,
        P2P_COPY_TITLE,
        copy_needs,
        "the copy could not run: the message says why; `peerbar copy` with the same \
         options runs it with every detail",
        || short_copy(opts, args),
    );
}

fn sysfs_verdict(sysfs: &Sysfs, device: &str, nvme: &str) -> anyhow::Result<Finding> {
    let endpoint = sysfs.function(device.parse()?)?;
    let ssd = sysfs.function(nvme.parse()?)?;
    let pair = sysfs.pair(&endpoint, &ssd, &sysfs.iommu())?;
    let verdict = &pair.verdict;
    let detail = format!(
        "{}: {} (common: {})",
        verdict.kind.name(),
        verdict.summary,
        pair.common.kind()
    );
    Ok(match verdict.kind {
        VerdictKind::Direct | VerdictKind::ThroughRootComplex => Finding::pass(detail),
        VerdictKind::Blocked | VerdictKind::Unknown => {
            let mut fix = verdict.actions.join("; ");
            if fix.is_empty() {
                fix = verdict.reasons.join("; ");
            }
            Finding::fail(
                detail,
                format!("{fix} (`peerbar topology {device} {nvme}`)"),
            )
        }
    })
}

/// Simulation: where the simulated fabric routes a peer's request for BAR2's bus address.
#[cfg(feature = "sim")]
fn simulated_verdict(target: &Target) -> anyhow::Result<Finding> {
    use peerbar_sim::fabric::{PeerId, Route};
    let sim = target.sim.as_ref().expect("simulation target");
    let bar2 = target.device().bar_bus_addr(BarIndex::BAR2)?.get();
    Ok(match sim.route(bar2) {
        Route::Peer { bar, offset: 0 } if bar.device == PeerId::Endpoint && bar.bar == 2 => {
            Finding::pass(format!(
                "direct: the simulated fabric routes a peer's request for {bar2:#x} to the \
                 endpoint's BAR2, not through the IOMMU to host memory"
            ))
        }
        other => Finding::fail(
            format!("the simulated fabric routes {bar2:#x} to {other:?}, not to BAR2"),
            "a simulation bug: BAR2's address is not in the fabric's address map",
        ),
    })
}

#[cfg(not(feature = "sim"))]
fn simulated_verdict(_target: &Target) -> anyhow::Result<Finding> {
    Err(usage_error(crate::target::NO_SIMULATOR))
}

/// `copy` at a small size: to the SSD and back through BAR2, every byte compared.
fn short_copy(opts: &GlobalOpts, args: &BringupArgs) -> anyhow::Result<Finding> {
    let copy = CopyArgs {
        size: COPY_CHUNK * COPY_CHUNKS,
        chunk: COPY_CHUNK,
        depth: COPY_DEPTH,
        direction: Direction::Both,
        to: Destination::Host,
        lba: args.nvme_lba.unwrap_or(0),
        seed: SEED,
        transfer: Transfer::Auto,
        no_verify: false,
        timeout: JOB_TIMEOUT,
        duration: None,
        nvme: args.nvme.clone(),
        allow_nvme_write: args.allow_nvme_write,
        sim_namespace: None,
        sim_file: None,
        sim_lba_size: None,
        sim_latency_us: None,
        sim_bandwidth_mbps: None,
        sim_no_sgl: false,
    };
    crate::copy::check_args(&copy, opts)?;
    // Quiet: the copy's own header and progress bar would break the checklist (and its JSON).
    let quiet = GlobalOpts {
        json: true,
        trace: None,
        ..opts.clone()
    };
    let report = crate::copy::execute(&quiet, &copy)?;
    let what = format!(
        "{} each way in {COPY_CHUNKS} chunks with {} ({}), {} bytes compared",
        human_bytes(copy.size),
        report.nvme(),
        report.leg_names().join(", "),
        report.bytes_compared()
    );
    Ok(match report.problem() {
        None => Finding::pass(what),
        Some(problem) => Finding::fail(
            format!("{what}: {problem}"),
            "run `peerbar copy` with the same devices for the whole report; wrong bytes from \
             the SSD with the DMA steps passing point at the P2P path (docs/topology.md)",
        ),
    })
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
