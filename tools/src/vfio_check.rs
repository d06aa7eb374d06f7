// SPDX-License-Identifier: MIT OR Apache-2.0
//! `peerbar vfio-check`: the VFIO path proven on a real kernel, one PASS/FAIL line per step.
//!
//! Written for the QEMU guest of `scripts/test-vfio.sh` (docs/vfio-qemu.md) but runs on any
//! machine with an NVMe SSD bound to vfio-pci. Everything it does goes through the driver
//! crate's public API, the same code the simulation runs: [`backend::open_set`] (the legacy
//! container or the VFIO cdev with iommufd, as --vfio and the kernel decide), [`DmaMemory`],
//! [`Nvme`], [`VfioFunction::map_bar_for_peers`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use peerbar::device::backend::{self, VfioBackend, VfioFunction};
use peerbar::device::vfio::{SysfsPaths, VfioOpen};
use peerbar::hostmem::{DataList, DmaBuffer, DmaMemory};
use peerbar::nvme::{SglSupport, SubmissionEntry};
use peerbar::pattern::Pattern;
use peerbar::regs;
use peerbar::{BarIndex, BarOffset, BusAddr, Device, Nvme, NvmeOptions, TransferMode};
use serde::Serialize;

use crate::units::plural;
use crate::{GlobalOpts, Outcome};

pub const LONG_ABOUT: &str = "\
Prove the VFIO path on a real kernel against NVMe controllers, one PASS/FAIL line per step:

  vfio-open   --nvme (and --peer-cmb) opened through vfio-pci into ONE IOMMU address space
              (one VFIO container, or one iommufd IOAS: --vfio, and the line says which and
              why); BARs mapped; DMA memory allocated from its valid IOVA ranges
  identify    the project's NVMe host driver brings the controller up (Identify Controller and
              Namespace --nsid through the IOMMU; a namespace of another command set, e.g.
              zoned, is refused here)
  msix        MSI-X enabled through VFIO (as many vectors as the function has, at most 2); an
              admin command's completion raises vector 0, which arrives through its eventfd on
              the channel Device::enable_msix returns
  io-prp      Write then Read of self-locating data with PRPs (a PRP list), verified byte for byte
  io-sgl      the same with SGLs (several Data Blocks, one not page-aligned); SKIP when the
              controller does not support SGLs (Identify SGLS bits 1:0 = 00b)
  p2p-read    (--peer-cmb) the --nvme controller reads into the other controller's CMB (its
              BAR2, mapped for peers at an IOVA: the BAR's mmap in the container, or on
              iommufd the BAR exported as a dma-buf and mapped with IOMMU_IOAS_MAP_FILE);
              verified through the BAR's mmap
  p2p-write   (--peer-cmb) and writes from it; verified by reading back into host memory
  p2p-revoke  (--peer-cmb, iommufd) the kernel revokes the peer's dma-buf on memory decoding
              off and on reset: with decoding off the CMB has no bus address for peers and a
              read aimed at its old IOVA must not reach it; on again, and after a function reset of
              the peer, the window is re-made and a read into it is verified. SKIP on the
              legacy container (no revoke there)

Each data step moves 64 KiB, or the controller's maximum data transfer size (MDTS) when that
is smaller. A FAIL line carries the driver's reason.

Exit status 0 only when every step passed or was skipped; 1 when a step failed; 3 when the
devices could not be opened (not bound to vfio-pci, no IOMMU, no interrupt remapping, ...: the
message says which).

With --json: {\"schema\": \"peerbar-vfio-check/1\", \"pass\": true|false, \"results\": [{\"step\",
\"pass\", \"skipped\", \"detail\"}, ...]} on stdout (a skipped step has pass true and skipped
true; an error that stops the check before any step: the peerbar-error/1 object).";

#[derive(Args, Debug)]
pub struct VfioCheckArgs {
    /// The NVMe function to drive (bound to vfio-pci).
    #[arg(long, value_name = "BDF")]
    nvme: String,

    /// A second NVMe function with a Controller Memory Buffer in BAR2 (bound to vfio-pci),
    /// used as peer memory the way the FPGA's BAR2 is.
    #[arg(long, value_name = "BDF")]
    peer_cmb: Option<String>,

    /// First LBA the check may overwrite (it writes 8 x 64 KiB, 512 KiB, from there).
    #[arg(long, default_value_t = 0x100)]
    lba: u64,

    /// The namespace to write and read (an NVM command set namespace).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=0xffff_fffe))]
    nsid: u32,
}

/// Bytes moved by each data step when MDTS allows: 16 pages, so PRP needs a PRP list.
const MAX_SPAN: usize = 64 << 10;
/// Host memory page (CC.MPS 0), the unit of MDTS and of PRP entries.
const PAGE: usize = 4096;
/// MSI-X vectors the check enables at most (vector 0 is the admin CQ's).
const MAX_MSIX_VECTORS: u16 = 2;
/// Bound for one command under TCG emulation (the guest is slow, not stuck).
const TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Serialize)]
struct StepResult {
    step: &'static str,
    pass: bool,
    skipped: bool,
    detail: String,
}

pub fn run(global: &GlobalOpts, args: &VfioCheckArgs) -> anyhow::Result<Outcome> {
    if global.device.is_some() {
        return Err(crate::usage_error(
            "vfio-check takes its devices from --nvme and --peer-cmb, not --device",
        ));
    }
    let mut requests = vec![VfioOpen {
        bdf: &args.nvme,
        required_bars: &[BarIndex::BAR0],
    }];
    if let Some(peer) = &args.peer_cmb {
        requests.push(VfioOpen {
            bdf: peer,
            required_bars: &[BarIndex::BAR0, BarIndex::BAR2],
        });
    }
    // A device that cannot be opened (bound to the kernel's nvme driver, no IOMMU group, ...)
    // ends the run here with the driver's own message and exit status 3.
    let (opened, choice) = backend::open_set(global.vfio, &requests, &SysfsPaths::default())?;
    let mut opened = opened.into_iter();
    let nvme_dev = opened.next().expect("one device per request");
    let peer_dev: Option<Arc<dyn VfioFunction>> = opened.next().map(Arc::from);

    let mut check = Check {
        json: global.json,
        results: Vec::new(),
    };
    check.step("vfio-open", || {
        open_report(nvme_dev.as_ref(), peer_dev.as_deref())
            .map(|text| format!("{text}; through {} ({})", choice.backend, choice.reason))
    });
    let nvme_dev: Arc<dyn Device> = Arc::from(nvme_dev.into_device());
    let memory = DmaMemory::new(Arc::clone(&nvme_dev))?;

    // As many vectors as the function's MSI-X table has, at most MAX_MSIX_VECTORS.
    let vectors = match peerbar::config::msix_capability(nvme_dev.as_ref()) {
        Ok(Some(cap)) => Ok(cap.table_size.min(MAX_MSIX_VECTORS)),
        Ok(None) => Err("the function has no MSI-X capability".to_owned()),
        Err(e) => Err(format!("reading the MSI-X capability: {e}")),
    };

    let mut lba = args.lba;
    // Set by the first (PRP) bring-up from what Identify reports.
    let mut span = MAX_SPAN;
    let mut sgl = SglSupport::None;
    let modes = [
        (
            TransferMode::Prp,
            ["io-prp", "p2p-read-prp", "p2p-write-prp"],
        ),
        (
            TransferMode::Sgl,
            ["io-sgl", "p2p-read-sgl", "p2p-write-sgl"],
        ),
    ];
    for (mode, [step, read_step, write_step]) in modes {
        // MSI-X goes on before the controller is enabled, as any NVMe driver does it: QEMU's
        // controller takes a vector into use only if MSI-X is on when the CQ is created
        // (nvme_init_cq), and drops interrupts on a vector enabled later without a trace.
        if mode == TransferMode::Sgl && sgl == SglSupport::None {
            let why = "the controller does not support SGLs (Identify SGLS bits 1:0 = 00b)";
            check.skip(step, why);
            if peer_dev.is_some() {
                check.skip(read_step, why);
                check.skip(write_step, why);
            }
            continue;
        }
        let irq = match (mode, &vectors) {
            (TransferMode::Prp, Ok(vectors)) => match nvme_dev.enable_msix(*vectors) {
                Ok(irq) => Some((*vectors, irq)),
                Err(e) => {
                    check.fail("msix", format!("enabling {vectors} vector(s): {e:#}"));
                    None
                }
            },
            (TransferMode::Prp, Err(why)) => {
                check.fail("msix", why.clone());
                None
            }
            _ => None,
        };
        let options = NvmeOptions {
            transfer: mode,
            timeout: TIMEOUT,
            nsid: args.nsid,
            ..NvmeOptions::default()
        };
        let nvme = match Nvme::open(Arc::clone(&nvme_dev), memory.clone(), options) {
            Ok(nvme) => nvme,
            Err(e) => {
                check.fail("identify", format!("{e:#}"));
                break;
            }
        };
        if mode == TransferMode::Prp {
            sgl = nvme.controller().sgl;
            span = step_span(nvme.controller().mdts_bytes, nvme.namespace().lba_size);
            check.step("identify", || Ok(identify_report(&nvme, span)));
        }
        if let Some((vectors, irq)) = irq {
            check.step("msix", || msix_check(&nvme, vectors, &irq));
        }
        let blocks = 2 * (span as u64).div_ceil(u64::from(nvme.namespace().lba_size));
        let step_lba = lba;
        check.step(step, || host_io(&nvme, &memory, mode, step_lba, span));
        lba += blocks;
        if let Some(peer) = &peer_dev {
            let at = lba;
            check.step(read_step, || p2p_read(&nvme, peer.as_ref(), at, mode, span));
            check.step(write_step, || {
                p2p_write(&nvme, &memory, peer.as_ref(), at, span)
            });
            lba += blocks;
        }
    }

    if let Some(peer) = &peer_dev {
        match peer.backend() {
            VfioBackend::Legacy => check.skip(
                "p2p-revoke",
                "the legacy container has no revoke: its type-1 mapping of the BAR's mmap stays through a reset",
            ),
            VfioBackend::Iommufd => {
                let options = NvmeOptions {
                    transfer: TransferMode::Prp,
                    timeout: TIMEOUT,
                    nsid: args.nsid,
                    ..NvmeOptions::default()
                };
                match Nvme::open(Arc::clone(&nvme_dev), memory.clone(), options) {
                    Ok(nvme) => check.step("p2p-revoke", || {
                        p2p_revoke(&nvme, peer.as_ref(), lba, span)
                    }),
                    Err(e) => check.fail("p2p-revoke", format!("{e:#}")),
                }
            }
        }
    }

    if check.json {
        let report = serde_json::json!({
            "schema": "peerbar-vfio-check/1",
            "pass": check.results.iter().all(|r| r.pass),
            "results": check.results,
        });
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
    }
    Ok(if check.results.iter().all(|r| r.pass) {
        Outcome::Ok
    } else {
        Outcome::Mismatch
    })
}

/// The results so far; prints each step's line as it completes (unless --json).
struct Check {
    json: bool,
    results: Vec<StepResult>,
}

impl Check {
    fn step(&mut self, step: &'static str, f: impl FnOnce() -> anyhow::Result<String>) {
        match f() {
            Ok(detail) => self.record(step, "PASS", detail),
            Err(e) => self.fail(step, format!("{e:#}")),
        }
    }

    fn fail(&mut self, step: &'static str, detail: String) {
        self.record(step, "FAIL", detail);
    }

    fn skip(&mut self, step: &'static str, why: &str) {
        self.record(step, "SKIP", why.to_owned());
    }

    fn record(&mut self, step: &'static str, verdict: &'static str, detail: String) {
        if !self.json {
            // A reader gone from stdout does not stop the checks half way (devices open,
            // commands in flight); the exit status still tells the result.
            outln!("{verdict} {step}: {detail}").ok();
        }
        self.results.push(StepResult {
            step,
            pass: verdict != "FAIL",
            skipped: verdict == "SKIP",
            detail,
        });
    }
}

/// Bytes each data step moves: [`MAX_SPAN`], or less when the controller's MDTS is smaller;
/// whole pages (PRP entries are pages) and whole blocks of the namespace.
fn step_span(mdts_bytes: Option<u64>, lba_size: u32) -> usize {
    let limit = mdts_bytes.map_or(MAX_SPAN, |m| usize::try_from(m).unwrap_or(usize::MAX));
    let unit = PAGE.max(lba_size as usize);
    (MAX_SPAN.min(limit) / unit * unit).max(unit)
}

fn open_report(nvme: &dyn VfioFunction, peer: Option<&dyn VfioFunction>) -> anyhow::Result<String> {
    let ranges: Vec<String> = nvme
        .iova_ranges()?
        .iter()
        .map(|r| format!("{:#x}..{:#x}", r.start, r.end))
        .collect();
    let group = |f: &dyn VfioFunction| f.iommu_group().map_or("-".to_owned(), |g| g.to_string());
    let mut text = format!(
        "{} (IOMMU group {}, BAR0 {} B at {})",
        nvme.describe(),
        group(nvme),
        nvme.bar_len(BarIndex::BAR0).unwrap_or(0),
        nvme.bar_raw_bus_addr(BarIndex::BAR0)?
    );
    if let Some(peer) = peer {
        let shared = match (nvme.shared_iova_allocator(), peer.shared_iova_allocator()) {
            (Some(a), Some(b)) => Arc::ptr_eq(&a, &b),
            _ => false,
        };
        if !shared {
            anyhow::bail!("the two devices ended up in different IOMMU address spaces");
        }
        text += &format!(
            " + {} (IOMMU group {}, BAR2 {} B at {})",
            peer.describe(),
            group(peer),
            peer.bar_len(BarIndex::BAR2).unwrap_or(0),
            peer.bar_raw_bus_addr(BarIndex::BAR2)?
        );
    }
    Ok(format!(
        "{text} in {}; valid IOVA ranges {}",
        nvme.address_space(),
        ranges.join(", ")
    ))
}

fn identify_report(nvme: &Nvme, span: usize) -> String {
    let c = nvme.controller();
    let ns = nvme.namespace();
    format!(
        "{:?} serial {:?} NVMe {}.{}, namespace {} (NVM): {} x {} B, SGL {:?}, MDTS {} (data steps move {span} B), {} I/O queue(s)",
        c.model,
        c.serial,
        c.version.major,
        c.version.minor,
        ns.nsid,
        ns.lba_count,
        ns.lba_size,
        c.sgl,
        c.mdts_bytes
            .map_or("unlimited".to_owned(), |b| format!("{b} B")),
        c.io_queues
    )
}

/// Runs Identify Controller on the admin queue (whose CQ always interrupts, on vector 0) of a
/// controller brought up with MSI-X on, and waits for vector 0 on `irq`; then MSI-X goes off
/// again (the I/O queues poll).
fn msix_check(
    nvme: &Nvme,
    vectors: u16,
    irq: &crossbeam_channel::Receiver<u16>,
) -> anyhow::Result<String> {
    let device = nvme.device();
    let result = (|| {
        // Anything the controller raised before this command is not what we are checking.
        while irq.try_recv().is_ok() {}
        let buffer = Arc::new(nvme.memory().alloc(4096)?);
        let entry = SubmissionEntry::identify(1, 0, buffer.bus_addr());
        let t0 = Instant::now();
        let ticket = nvme.submit_admin_raw(
            entry,
            vec![peerbar::hostmem::Held::Buffer(Arc::clone(&buffer))],
        )?;
        let completion = ticket.wait(TIMEOUT)?.check()?;
        let vector = irq.recv_timeout(TIMEOUT).map_err(|_| {
            anyhow::anyhow!(
                "the admin command completed but no MSI-X interrupt arrived within {TIMEOUT:?} ({})",
                msix_state(device.as_ref())
            )
        })?;
        let latency = t0.elapsed();
        if vector != 0 {
            anyhow::bail!("interrupt on vector {vector}, the admin CQ uses vector 0");
        }
        let mut vid = [0u8; 2];
        buffer.read(0, &mut vid)?;
        let vid = u16::from_le_bytes(vid);
        if vid != nvme.controller().vid {
            anyhow::bail!(
                "Identify Controller through MSI-X returned VID {vid:#06x}, expected {:#06x}",
                nvme.controller().vid
            );
        }
        Ok(format!(
            "{} enabled (eventfds); admin Identify (CID {}) completed and vector 0 arrived within {} us; Identify data at IOVA {} verified",
            plural(usize::from(vectors), "vector", "vectors"),
            completion.cid,
            latency.as_micros(),
            buffer.bus_addr()
        ))
    })();
    device.disable_msix()?;
    result
}

/// What the function and the kernel say about MSI-X vector 0, for a failure message: the
/// capability's Enable and Function Mask, vector 0's mask and pending bits, and the kernel's
/// count of vfio-msix interrupts (from /proc/interrupts) for this device.
fn msix_state(device: &dyn Device) -> String {
    let mut parts = Vec::new();
    match peerbar::config::msix_capability(device) {
        Ok(Some(cap)) => {
            parts.push(format!(
                "MSI-X Enable {}, Function Mask {}",
                cap.enabled, cap.function_mask
            ));
            // Vector Control of entry 0: where the register map puts it in an entry (the PCI
            // Express layout), from wherever the capability says the table is.
            let control = cap.table_offset.get() + regs::MSIX_TABLE_VECTOR_CONTROL_REG.offset;
            if let Ok(v) = device.bar_read32(cap.table_bar, BarOffset::new(control)) {
                let masked = regs::MSIX_TABLE_VECTOR_CONTROL::MASK.read(v) != 0;
                parts.push(format!("vector 0 masked {masked}"));
            }
            if let Ok(p) = device.bar_read64(cap.pba_bar, cap.pba_offset) {
                parts.push(format!("vector 0 pending {}", p & 1 != 0));
            }
        }
        Ok(None) => parts.push("no MSI-X capability".to_owned()),
        Err(e) => parts.push(format!("MSI-X capability unreadable: {e}")),
    }
    let name = device.describe();
    let bdf = name.split(' ').next().unwrap_or_default();
    if let Ok(text) = std::fs::read_to_string("/proc/interrupts") {
        for line in text.lines().filter(|l| l.contains(bdf)) {
            parts.push(format!(
                "/proc/interrupts: {}",
                line.split_whitespace().collect::<Vec<_>>().join(" ")
            ));
        }
    }
    parts.join("; ")
}

/// Pattern bytes for the span written at `lba`.
fn pattern_for(nvme: &Nvme, seed: u64) -> Pattern {
    Pattern::new(seed, nvme.namespace().lba_size)
}

/// Writes `span` pattern bytes at `lba` from host buffers and reads them back into other host
/// buffers, split differently; verifies every byte.
fn host_io(
    nvme: &Nvme,
    memory: &DmaMemory,
    mode: TransferMode,
    lba: u64,
    span: usize,
) -> anyhow::Result<String> {
    let io = nvme.io_queue()?;
    let pattern = pattern_for(nvme, 0x5eed ^ lba);
    let origin = lba * u64::from(nvme.namespace().lba_size);
    let data = pattern.bytes(origin, span);

    // Out: two buffers of half the span each (not contiguous in IOVA space).
    let half = span / 2;
    let out = [Arc::new(memory.alloc(half)?), Arc::new(memory.alloc(half)?)];
    out[0].write(0, &data[..half])?;
    out[1].write(0, &data[half..])?;
    let mut write_list = DataList::new();
    write_list.push_buffer(&out[0], 0, half as u32)?;
    write_list.push_buffer(&out[1], 0, half as u32)?;

    // In: PRP needs page-shaped entries; SGL also takes a Data Block at a byte offset.
    // Whole pages, so that the first PRP entry ends on a page boundary.
    let first = (span / 4 / PAGE * PAGE).max(PAGE);
    let skew = if mode == TransferMode::Sgl { 512 } else { 0 };
    let back = [
        Arc::new(memory.alloc(first + skew)?),
        Arc::new(memory.alloc(span - first)?),
    ];
    let mut read_list = DataList::new();
    read_list.push_buffer(&back[0], skew, first as u32)?;
    read_list.push_buffer(&back[1], 0, (span - first) as u32)?;

    io.write(lba, &write_list)?.wait(TIMEOUT)?.check()?;
    io.read(lba, &read_list)?.wait(TIMEOUT)?.check()?;

    let mut found = vec![0u8; span];
    back[0].read(skew, &mut found[..first])?;
    back[1].read(0, &mut found[first..])?;
    pattern
        .verify(origin, &found)
        .map_err(|m| anyhow::anyhow!("read back differs: {m}"))?;
    Ok(format!(
        "{span} B written at LBA {lba:#x} from 2 buffers (IOVA {}, {}) and read back into 2 others (IOVA {}+{skew}, {}), {:?}, verified byte for byte",
        out[0].bus_addr(),
        out[1].bus_addr(),
        back[0].bus_addr(),
        back[1].bus_addr(),
        io.transfer_mode()
    ))
}

/// The CMB's window: BAR2 of `peer`, mapped for peers (idempotent), after enabling the
/// function's memory decoding (vfio-pci leaves the Command register as it found it).
fn cmb_window(peer: &dyn VfioFunction) -> anyhow::Result<BusAddr> {
    const PCI_COMMAND: u16 = 0x04;
    const MEMORY_SPACE: u16 = 1 << 1;
    let command = peer.config_read16(PCI_COMMAND)?;
    if command & MEMORY_SPACE == 0 {
        peer.config_write(PCI_COMMAND, &(command | MEMORY_SPACE).to_le_bytes())?;
    }
    let iova = peer.map_bar_for_peers(BarIndex::BAR2)?;
    let named = peer.bar_bus_addr(BarIndex::BAR2)?;
    if named != iova {
        anyhow::bail!("bar_bus_addr(BAR2) is {named}, the peer window is at {iova}");
    }
    Ok(iova)
}

/// The controller reads `span` bytes at `lba` (written from host memory first) into the
/// peer's CMB; verified through the CMB's mmap.
fn p2p_read(
    nvme: &Nvme,
    peer: &dyn VfioFunction,
    lba: u64,
    mode: TransferMode,
    span: usize,
) -> anyhow::Result<String> {
    let iova = cmb_window(peer)?;
    let io = nvme.io_queue()?;
    let pattern = pattern_for(nvme, 0xc0b ^ lba);
    let origin = lba * u64::from(nvme.namespace().lba_size);
    let source = Arc::new(nvme.memory().alloc(span)?);
    source.write(0, &pattern.bytes(origin, span))?;
    let mut list = DataList::new();
    list.push_buffer(&source, 0, span as u32)?;
    io.write(lba, &list)?.wait(TIMEOUT)?.check()?;

    // The CMB starts zeroed here so that stale data from an earlier run cannot pass.
    let at = cmb_offset(mode);
    peer.bar_write(BarIndex::BAR2, BarOffset::new(at), &vec![0u8; span])?;
    let mut list = DataList::new();
    list.push_bus(BusAddr::new(iova.get() + at), span as u32);
    io.read(lba, &list)?.wait(TIMEOUT)?.check()?;

    let mut found = vec![0u8; span];
    peer.bar_read(BarIndex::BAR2, BarOffset::new(at), &mut found)?;
    pattern
        .verify(origin, &found)
        .map_err(|m| anyhow::anyhow!("CMB content differs: {m}"))?;
    Ok(format!(
        "{span} B read from LBA {lba:#x} into the peer's CMB at IOVA {:#x} (BAR2 offset {at:#x}, {:?}), verified through the BAR2 mmap",
        iova.get() + at,
        io.transfer_mode()
    ))
}

/// The controller writes `span` bytes from the peer's CMB (filled through its mmap) to `lba`;
/// verified by reading them back into host memory.
fn p2p_write(
    nvme: &Nvme,
    memory: &DmaMemory,
    peer: &dyn VfioFunction,
    lba: u64,
    span: usize,
) -> anyhow::Result<String> {
    let iova = cmb_window(peer)?;
    let io = nvme.io_queue()?;
    let target = lba + (span as u64).div_ceil(u64::from(nvme.namespace().lba_size));
    let pattern = pattern_for(nvme, 0xf00d ^ target);
    let origin = target * u64::from(nvme.namespace().lba_size);
    let at = cmb_offset(io.transfer_mode()) + MAX_SPAN as u64;
    peer.bar_write(
        BarIndex::BAR2,
        BarOffset::new(at),
        &pattern.bytes(origin, span),
    )?;
    let mut list = DataList::new();
    list.push_bus(BusAddr::new(iova.get() + at), span as u32);
    io.write(target, &list)?.wait(TIMEOUT)?.check()?;

    let back: Arc<DmaBuffer> = Arc::new(memory.alloc(span)?);
    let mut list = DataList::new();
    list.push_buffer(&back, 0, span as u32)?;
    io.read(target, &list)?.wait(TIMEOUT)?.check()?;
    pattern
        .verify(origin, &back.to_vec()[..span])
        .map_err(|m| anyhow::anyhow!("data written from the CMB differs: {m}"))?;
    Ok(format!(
        "{span} B written to LBA {target:#x} from the peer's CMB at IOVA {:#x} (BAR2 offset {at:#x}), read back into host memory at IOVA {}, verified",
        iova.get() + at,
        back.bus_addr()
    ))
}

/// The revoke case on iommufd: the kernel revokes the peer's dma-buf when its memory decoding
/// goes off and when it is reset (drivers/vfio/pci/vfio_pci_dmabuf.c), and iommufd unmaps it.
/// With decoding off the window must be refused (no bus address) and a read aimed at its old
/// IOVA must not reach the BAR; with decoding on again, and after a function reset, the driver re-makes the
/// window at the same IOVA and a read into it is verified.
fn p2p_revoke(
    nvme: &Nvme,
    peer: &dyn VfioFunction,
    lba: u64,
    span: usize,
) -> anyhow::Result<String> {
    const PCI_COMMAND: u16 = 0x04;
    const MEMORY_SPACE: u16 = 1 << 1;
    let before = cmb_window(peer)?;
    // The CMB at the window's start is zeroed, so that data arriving there shows.
    peer.bar_write(BarIndex::BAR2, BarOffset::new(0), &vec![0u8; span])?;
    let command = peer.config_read16(PCI_COMMAND)?;
    peer.config_write(PCI_COMMAND, &(command & !MEMORY_SPACE).to_le_bytes())?;
    let refused = match peer.bar_bus_addr(BarIndex::BAR2) {
        Err(peerbar::Error::PeerWindowRevoked { .. }) => Ok(()),
        Ok(iova) => Err(anyhow::anyhow!(
            "with memory decoding off, bar_bus_addr(BAR2) still names IOVA {iova}"
        )),
        Err(e) => Err(anyhow::anyhow!(
            "with memory decoding off, bar_bus_addr(BAR2) failed with another error: {e}"
        )),
    };
    // A read aimed at the revoked window's old IOVA: the IOMMU maps nothing there, so the
    // data must not reach the BAR. Whether the command itself fails depends on how the SSD
    // takes the IOMMU's refusal (QEMU's emulated one may drop the data and complete).
    let stale = (|| -> anyhow::Result<()> {
        let io = nvme.io_queue()?;
        let mut list = DataList::new();
        list.push_bus(before, span as u32);
        io.read(lba, &list)?.wait(TIMEOUT)?.check()?;
        Ok(())
    })();
    peer.config_write(PCI_COMMAND, &(command | MEMORY_SPACE).to_le_bytes())?;
    refused?;
    let mut found = vec![0u8; span];
    peer.bar_read(BarIndex::BAR2, BarOffset::new(0), &mut found)?;
    if let Some(at) = found.iter().position(|&b| b != 0) {
        anyhow::bail!(
            "a read aimed at the revoked window's IOVA {before} reached the BAR (nonzero byte at CMB offset {at:#x})"
        );
    }
    let stale_outcome = match stale {
        Ok(()) => "completed, its data dropped by the IOMMU".to_owned(),
        Err(e) => format!("failed: {e:#}"),
    };
    let on_again = peer.bar_bus_addr(BarIndex::BAR2)?;
    if on_again != before {
        anyhow::bail!("re-made at IOVA {on_again}, was {before}");
    }
    p2p_read(nvme, peer, lba, TransferMode::Prp, span)
        .map_err(|e| e.context("the read into the window re-made after decoding came back on"))?;

    peer.reset()?;
    let after_reset = peer.bar_bus_addr(BarIndex::BAR2)?;
    if after_reset != before {
        anyhow::bail!("re-made after the reset at IOVA {after_reset}, was {before}");
    }
    p2p_read(nvme, peer, lba, TransferMode::Prp, span)
        .map_err(|e| e.context("the read into the window re-made after the reset"))?;
    Ok(format!(
        "memory decoding off: BAR2 refused for peers (revoked); a read aimed at its old IOVA {before} {stale_outcome}, and the CMB stayed zero; decoding on: re-exported and mapped again at {before}, {span} B read into it verified; function reset of the peer: re-made at {after_reset}, {span} B read into it verified"
    ))
}

/// Where in the CMB each mode's P2P steps work (read: here, write: MAX_SPAN further on), so that
/// one mode's data cannot pass for the other's.
fn cmb_offset(mode: TransferMode) -> u64 {
    if mode == TransferMode::Sgl {
        2 * MAX_SPAN as u64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_steps_follow_the_controllers_mdts() {
        assert_eq!(step_span(None, 512), MAX_SPAN, "MDTS 0: no limit");
        assert_eq!(step_span(Some(1 << 20), 512), MAX_SPAN);
        assert_eq!(step_span(Some(8192), 512), 8192, "MDTS 1 (QEMU mdts=1)");
        assert_eq!(step_span(Some(32768), 4096), 32768);
        // Never less than one page and one block.
        assert_eq!(step_span(Some(4096), 512), 4096);
        assert_eq!(step_span(Some(8192), 16384), 16384);
    }
}
