// SPDX-License-Identifier: MIT OR Apache-2.0
//! Controller bring-up, the admin queue, I/O queue ids, and shutdown.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tock_registers::LocalRegisterCopy;

use crate::address::{BarIndex, BusAddr};
use crate::device::Device;
use crate::dma::sgl::SglBuilder;
use crate::error::{Error, Result};
use crate::hostmem::Held;
use crate::hostmem::{DmaBuffer, DmaMemory};
use crate::nvme::error::{Awaited, NvmeError, Step};
use crate::nvme::io::{IoParams, IoQueue};
use crate::nvme::queue::{Keep, NvmeCompletion, NvmeTicket, QueueCore};
use crate::nvme::regs::{self, AQA, CAP, CC, CMBLOC, CMBSZ, CSTS, VS};
use crate::nvme::wire::{
    self, cns, command_name, csi, CompletionEntry, IdentifyController, IdentifyNamespace,
    SubmissionEntry,
};
use crate::nvme::{
    ControllerInfo, NamespaceInfo, NvmeOptions, NvmeVersion, SglSupport, TransferMode,
};

/// PCI class code of an NVMe I/O controller: mass storage, NVM, NVMe.
pub(crate) const NVME_CLASS_CODE: u32 = 0x01_08_02;

/// Host memory page size programmed in CC.MPS (0: 4 KiB), the DMA buffers' page size.
const MPS: u32 = 0;
const MEMORY_PAGE: u64 = 4096;

/// State of an I/O queue id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum QidState {
    Free,
    InUse,
    /// Deleting it failed: the controller may still own it, so it is never reused.
    Lost,
}

/// What the admin queue, the I/O queues and shutdown share.
pub(crate) struct Controller {
    device: Arc<dyn Device>,
    memory: DmaMemory,
    admin: Arc<QueueCore>,
    dstrd: u8,
    /// Admin command bound.
    pub timeout: Duration,
    /// Enable/disable/shutdown bound: max(options.timeout, CAP.TO).
    ready_timeout: Duration,
    qids: Mutex<Vec<QidState>>,
}

impl std::fmt::Debug for Controller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Controller")
            .field("device", &self.device.describe())
            .finish_non_exhaustive()
    }
}

/// Polls `done` (spinning briefly, then sleeping up to 1 ms) until it returns `Some`, or
/// `timeout` has passed (then `None`).
fn poll_until<T>(
    timeout: Duration,
    mut done: impl FnMut() -> Result<Option<T>>,
) -> Result<Option<T>> {
    let deadline = Instant::now() + timeout;
    let mut pause = Duration::from_micros(10);
    loop {
        if let Some(v) = done()? {
            return Ok(Some(v));
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        std::thread::sleep(pause.min(deadline - now));
        pause = (pause * 2).min(Duration::from_millis(1));
    }
}

impl Controller {
    pub fn device(&self) -> &Arc<dyn Device> {
        &self.device
    }

    pub fn memory(&self) -> &DmaMemory {
        &self.memory
    }

    pub(crate) fn dstrd(&self) -> u8 {
        self.dstrd
    }

    fn dev(&self) -> &dyn Device {
        self.device.as_ref()
    }

    fn csts(&self) -> Result<LocalRegisterCopy<u32, CSTS::Register>> {
        regs::read32(self.dev(), regs::CSTS_OFFSET)
    }

    /// Waits until CSTS.RDY == `ready`. An all-ones read ends the wait with an error, and so
    /// does CSTS.CFS while enabling (while disabling, CFS is what the reset clears).
    fn wait_ready(&self, ready: bool) -> Result<()> {
        let device = self.dev();
        let step = || {
            if ready {
                Step::Enabling
            } else {
                Step::Disabling
            }
        };
        let seen = poll_until(self.ready_timeout, || {
            if ready {
                crate::nvme::queue::check_controller(device, step)?;
            }
            let csts = self.csts()?;
            if csts.get() == u32::MAX {
                return Err(NvmeError::DeviceGone {
                    device: device.describe(),
                    during: step(),
                }
                .into());
            }
            Ok((csts.is_set(CSTS::RDY) == ready).then_some(()))
        })?;
        seen.ok_or_else(|| {
            NvmeError::Timeout {
                what: Awaited::Ready {
                    ready,
                    step: step(),
                    device: self.device.describe(),
                },
                timeout: self.ready_timeout,
            }
            .into()
        })
    }

    /// Submits an admin command.
    pub(crate) fn submit_admin(
        &self,
        entry: SubmissionEntry,
        held: Vec<Held>,
    ) -> Result<NvmeTicket> {
        let command = command_name(true, entry.opcode());
        self.admin.submit(entry, Keep::held(held), command)
    }

    /// Runs an admin command to completion (bounded by the admin timeout) and checks its
    /// status.
    pub(crate) fn admin(&self, entry: SubmissionEntry, held: Vec<Held>) -> Result<NvmeCompletion> {
        self.submit_admin(entry, held)?.wait(self.timeout)?.check()
    }

    /// Identify with `cns`/`nsid` into a new page; returns the page.
    fn identify(&self, cns: u8, nsid: u32) -> Result<Arc<DmaBuffer>> {
        let buf = Arc::new(self.memory.alloc(4096)?);
        self.admin(
            SubmissionEntry::identify(cns, nsid, buf.bus_addr()),
            vec![Held::Buffer(Arc::clone(&buf))],
        )?;
        Ok(buf)
    }

    fn qids(&self) -> MutexGuard<'_, Vec<QidState>> {
        self.qids.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Claims the lowest free I/O queue id.
    pub(crate) fn claim_qid(&self) -> Result<u16> {
        let mut qids = self.qids();
        let granted = qids.len() as u16;
        let slot = qids
            .iter()
            .position(|s| *s == QidState::Free)
            .ok_or(NvmeError::NoIoQueue { granted })?;
        qids[slot] = QidState::InUse;
        Ok(slot as u16 + 1)
    }

    /// Returns an I/O queue id: free again (`deleted`), or never to be reused.
    pub(crate) fn release_qid(&self, qid: u16, deleted: bool) {
        if let Some(s) = self.qids().get_mut(usize::from(qid) - 1) {
            *s = if deleted {
                QidState::Free
            } else {
                QidState::Lost
            };
        }
    }

    /// Shutdown: CC.SHN = normal, wait CSTS.SHST = complete, CC.EN = 0, wait CSTS.RDY = 0.
    /// Returns true when the controller was seen disabled (it no longer touches host memory).
    fn shutdown(&self) -> bool {
        let dev = self.dev();
        let describe = self.device.describe();
        let step = |what: &str, r: Result<()>| {
            if let Err(e) = &r {
                log::error!("NVMe {describe}: shutdown: {what}: {e}");
            }
            r.is_ok()
        };
        let cc = match regs::read32::<CC::Register>(dev, regs::CC_OFFSET) {
            Ok(cc) => cc,
            Err(e) => {
                log::error!("NVMe {describe}: shutdown: reading CC: {e}");
                return false;
            }
        };
        if cc.get() == u32::MAX {
            log::error!("NVMe {describe}: shutdown: the controller reads all ones (gone)");
            return false;
        }
        let ready = self.csts().is_ok_and(|c| c.is_set(CSTS::RDY));
        if cc.is_set(CC::EN) && ready {
            let mut notify = cc;
            notify.modify(CC::SHN::Normal);
            if step("CC.SHN = 01b", regs::write_cc(dev, notify)) {
                let done = poll_until(self.ready_timeout, || {
                    let csts = self.csts()?;
                    if csts.get() == u32::MAX || csts.is_set(CSTS::CFS) {
                        return Ok(Some(false));
                    }
                    Ok((csts.read(CSTS::SHST) == 2).then_some(true))
                });
                match done {
                    Ok(Some(true)) => log::debug!("NVMe {describe}: shutdown complete"),
                    Ok(Some(false)) => {
                        log::error!("NVMe {describe}: shutdown: the controller failed (CFS or gone)")
                    }
                    Ok(None) => log::error!(
                        "NVMe {describe}: shutdown: CSTS.SHST did not report completion within {:?}",
                        self.ready_timeout
                    ),
                    Err(e) => log::error!("NVMe {describe}: shutdown: {e}"),
                }
            }
        }
        let mut off = cc;
        off.modify(CC::EN::CLEAR + CC::SHN::None);
        if !step("CC.EN = 0", regs::write_cc(dev, off)) {
            return false;
        }
        step("waiting for CSTS.RDY = 0", self.wait_ready(false))
    }
}

impl Drop for Controller {
    fn drop(&mut self) {
        let disabled = self.shutdown();
        if disabled {
            self.admin.close(true);
        } else {
            log::error!(
                "NVMe {}: the controller was not seen disabled; leaking the admin queue memory rather than unmapping it under the device",
                self.device.describe()
            );
            self.admin.close(false);
            self.admin.leak_rings();
        }
    }
}

/// One NVMe controller. See the [module docs](crate::nvme).
///
/// Dropping it shuts the controller down (CC.SHN = 01b, wait CSTS.SHST = 10b, CC.EN = 0) once
/// the last [`IoQueue`] made from it is gone too: queues still in use keep the controller
/// running until they are dropped.
pub struct Nvme {
    ctrl: Arc<Controller>,
    info: ControllerInfo,
    namespace: NamespaceInfo,
    io_entries: u32,
    builder: SglBuilder,
}

impl std::fmt::Debug for Nvme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nvme")
            .field("device", &self.ctrl.device.describe())
            .field("info", &self.info)
            .field("namespace", &self.namespace)
            .finish()
    }
}

fn invalid(option: &'static str, reason: String) -> Error {
    NvmeError::InvalidOption { option, reason }.into()
}

/// Reserves every memory BAR of `device` in the IOVA allocator: a DMA buffer given a bus
/// address inside one would have the SSD's DMA hit its own BAR (peer-to-peer), not memory.
fn reserve_bars(device: &dyn Device, memory: &DmaMemory) -> Result<()> {
    for index in 0..=5 {
        let bar = BarIndex::new(index).expect("0..=5 are BAR indices");
        let Some(len) = device.bar_len(bar) else {
            continue;
        };
        match device.bar_bus_addr(bar) {
            Ok(base) => memory
                .iova_allocator()
                .reserve(base.get()..base.get().saturating_add(len)),
            // An I/O BAR or the upper half of a 64-bit BAR: no memory window of its own.
            Err(Error::NoSuchBar { .. }) => {}
            // Behind an IOMMU, a BAR not mapped for peers has no IOVA to collide with (the
            // VFIO backend keeps the raw BAR windows out of its shared allocator itself).
            Err(Error::BarNotMappedForPeers { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The CMB's bus address and size from CMBLOC/CMBSZ, if the controller has one.
fn controller_memory_buffer(device: &dyn Device) -> Result<Option<(BusAddr, u64)>> {
    let sz: LocalRegisterCopy<u32, CMBSZ::Register> = regs::read32(device, regs::CMBSZ_OFFSET)?;
    if sz.read(CMBSZ::SZ) == 0 {
        return Ok(None);
    }
    let unit = 4096u64 << (4 * sz.read(CMBSZ::SZU).min(6));
    let loc: LocalRegisterCopy<u32, CMBLOC::Register> = regs::read32(device, regs::CMBLOC_OFFSET)?;
    let Some(bar) = BarIndex::new(loc.read(CMBLOC::BIR) as u8) else {
        return Ok(None);
    };
    let Ok(base) = device.bar_bus_addr(bar) else {
        log::warn!("NVMe CMB in {bar}, whose bus address is unknown: ignored");
        return Ok(None);
    };
    let offset = u64::from(loc.read(CMBLOC::OFST)) * unit;
    Ok(base
        .checked_add(offset)
        .map(|addr| (addr, u64::from(sz.read(CMBSZ::SZ)) * unit)))
}

/// The command set of namespace `nsid` from its Namespace Identification Descriptor list
/// (Identify CNS 03h, mandatory since NVMe 1.3). A controller older than 1.3, one that answers
/// Invalid Field in Command, or a list without a CSI descriptor (before NVMe 2.0 every
/// namespace is NVM) counts as NVM.
fn namespace_command_set(ctrl: &Controller, nsid: u32, version: NvmeVersion) -> Result<u8> {
    if (version.major, version.minor) < (1, 3) {
        return Ok(csi::NVM);
    }
    match ctrl.identify(cns::NAMESPACE_ID_DESCRIPTORS, nsid) {
        Ok(page) => {
            let mut list = vec![0u8; 4096];
            page.read(0, &mut list)?;
            Ok(wire::namespace_command_set(&list).unwrap_or(csi::NVM))
        }
        // Generic 02h Invalid Field in Command: the controller does not know CNS 03h.
        Err(Error::Nvme(NvmeError::Command { status, .. }))
            if (status.sct, status.sc) == (0, 0x02) =>
        {
            log::debug!("namespace {nsid}: no Namespace Identification Descriptor list ({status}); taken as NVM");
            Ok(csi::NVM)
        }
        Err(e) => Err(e),
    }
}

impl Nvme {
    /// Brings up the NVMe controller behind `device`, with its queues and buffers in
    /// `memory` (the FPGA's, when both share a VFIO container):
    ///
    /// 1. checks the class code is 01 08 02 ([`NvmeError::NotNvme`] names what was found);
    /// 2. enables memory space and bus mastering in the Command register;
    /// 3. reserves the controller's BARs in `memory`'s IOVA allocator (a buffer there would
    ///    alias a BAR peer-to-peer);
    /// 4. checks CAP (NVM command set, 4 KiB pages within MPSMIN..=MPSMAX), disables the
    ///    controller (CC.EN = 0, waits CSTS.RDY = 0);
    /// 5. allocates the admin SQ/CQ, programs AQA/ASQ/ACQ and CC (NVM, MPS 4 KiB, round robin,
    ///    IOSQES 6, IOCQES 4) with EN = 1, waits CSTS.RDY = 1 (CSTS.CFS is an error);
    /// 6. Identify Controller, Identify Namespace `options.nsid` (active, NVM command set per its
    ///    Namespace Identification Descriptors, no metadata), Set Features Number of Queues.
    ///
    /// Waits for RDY are bounded by max(`options.timeout`, CAP.TO).
    ///
    /// An SSD on its own, through VFIO (`no_run`: it needs the SSD bound to vfio-pci). With the
    /// endpoint, pass the engine's [`DmaEngine::memory`](crate::dma::DmaEngine::memory) so both
    /// share one IOVA space; `cargo run --example nvme_peer` does that on the simulation, with
    /// the SSD reading into BAR2.
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use peerbar::device::vfio::VfioDevice;
    /// use peerbar::hostmem::{DataList, DmaMemory};
    /// use peerbar::nvme::{Nvme, NvmeOptions};
    /// # fn main() -> peerbar::Result<()> {
    /// let ssd = Arc::new(VfioDevice::open("0000:04:00.0")?);
    /// let nvme = Nvme::open(ssd.clone(), DmaMemory::new(ssd)?, NvmeOptions::default())?;
    /// let io = nvme.io_queue()?;
    /// let buffer = Arc::new(nvme.memory().alloc(4096)?);
    /// let mut list = DataList::new();
    /// list.push_buffer(&buffer, 0, 4096)?;
    /// io.read(0, &list)?.wait(Duration::from_secs(5))?.check()?; // LBAs 0.. into `buffer`
    /// # Ok(())
    /// # }
    /// ```
    pub fn open(device: Arc<dyn Device>, memory: DmaMemory, options: NvmeOptions) -> Result<Nvme> {
        // Options that are wrong whatever the controller: refused before touching it.
        if options.io_entries < 2 {
            return Err(invalid(
                "io_entries",
                format!("{} entries: a queue has at least 2", options.io_entries),
            ));
        }
        if options.io_queues == 0 {
            return Err(invalid("io_queues", "0: ask for at least one".to_owned()));
        }
        if options.timeout.is_zero() {
            return Err(invalid("timeout", "zero".to_owned()));
        }
        if options.nsid == 0 || options.nsid == u32::MAX {
            return Err(invalid(
                "nsid",
                format!(
                    "{:#x}: names no single namespace (1 ..= FFFFFFFEh)",
                    options.nsid
                ),
            ));
        }
        let nsid = options.nsid;
        let dev = device.as_ref();
        let identity = crate::config::identity(dev)?;
        if identity.class_code != NVME_CLASS_CODE {
            return Err(NvmeError::NotNvme {
                device: device.describe(),
                class: identity.class_code,
            }
            .into());
        }
        crate::config::enable_memory_and_bus_master(dev)?;
        reserve_bars(dev, &memory)?;

        let cap = regs::read_cap(dev)?;
        if cap.get() == u64::MAX {
            return Err(NvmeError::DeviceGone {
                device: device.describe(),
                during: Step::ReadingCap,
            }
            .into());
        }
        let unsupported = |reason: String| -> Error {
            NvmeError::Unsupported {
                device: device.describe(),
                reason,
            }
            .into()
        };
        if cap.read(CAP::CSS) & 1 == 0 {
            return Err(unsupported(format!(
                "CAP.CSS = {:#x} does not include the NVM command set",
                cap.read(CAP::CSS)
            )));
        }
        if !(cap.read(CAP::MPSMIN)..=cap.read(CAP::MPSMAX)).contains(&u64::from(MPS)) {
            return Err(unsupported(format!(
                "4 KiB memory pages are not supported (CAP.MPSMIN = {}: {} bytes minimum); this driver's DMA buffers use 4 KiB pages",
                cap.read(CAP::MPSMIN),
                4096u64 << cap.read(CAP::MPSMIN)
            )));
        }
        let max_entries = cap.read(CAP::MQES) as u32 + 1;
        if !(2..=4096).contains(&options.admin_entries)
            || u32::from(options.admin_entries) > max_entries
        {
            return Err(invalid(
                "admin_entries",
                format!(
                    "{} entries: the admin queue takes 2 ..= {} on this controller",
                    options.admin_entries,
                    max_entries.min(4096)
                ),
            ));
        }
        let io_entries = u32::from(options.io_entries).min(max_entries);
        if io_entries < u32::from(options.io_entries) {
            log::info!(
                "NVMe {}: I/O queues of {io_entries} entries (CAP.MQES limit), not {}",
                device.describe(),
                options.io_entries
            );
        }
        let dstrd = cap.read(CAP::DSTRD) as u8;
        let cap_to = regs::cap_timeout(&cap);
        let ready_timeout = options.timeout.max(cap_to);

        // Admin rings before touching CC, so that every failure from here on goes through
        // `Controller::drop`, which leaves the controller disabled.
        let entries = u32::from(options.admin_entries);
        let sq = Arc::new(memory.alloc(entries as usize * SubmissionEntry::SIZE)?);
        let cq = Arc::new(memory.alloc(entries as usize * CompletionEntry::SIZE)?);
        let admin = Arc::new(QueueCore::new(
            0,
            true,
            Arc::clone(&device),
            Arc::clone(&sq),
            Arc::clone(&cq),
            entries,
            dstrd,
        ));
        let ctrl = Arc::new(Controller {
            device: Arc::clone(&device),
            memory: memory.clone(),
            admin,
            dstrd,
            timeout: options.timeout,
            ready_timeout,
            qids: Mutex::new(Vec::new()),
        });

        // Disable (a controller reset): whatever a previous user left running stops.
        let cc: LocalRegisterCopy<u32, CC::Register> = regs::read32(dev, regs::CC_OFFSET)?;
        if cc.is_set(CC::EN) {
            let mut off = cc;
            off.modify(CC::EN::CLEAR + CC::SHN::None);
            regs::write_cc(dev, off)?;
        }
        ctrl.wait_ready(false)?;

        regs::write32(
            dev,
            regs::AQA_OFFSET,
            AQA::ASQS.val(entries - 1) + AQA::ACQS.val(entries - 1),
        )?;
        regs::write_addr(dev, regs::ASQ_OFFSET, sq.bus_addr())?;
        regs::write_addr(dev, regs::ACQ_OFFSET, cq.bus_addr())?;
        // Release: the zeroed rings are in memory before the controller is told to use them.
        std::sync::atomic::fence(std::sync::atomic::Ordering::Release);
        regs::write32(
            dev,
            regs::CC_OFFSET,
            CC::EN::SET
                + CC::CSS::Nvm
                + CC::MPS.val(MPS)
                + CC::AMS.val(0)
                + CC::SHN::None
                + CC::IOSQES.val(6)
                + CC::IOCQES.val(4),
        )?;
        ctrl.wait_ready(true)?;

        let vs: LocalRegisterCopy<u32, VS::Register> = regs::read32(dev, regs::VS_OFFSET)?;
        let version = NvmeVersion {
            major: vs.read(VS::MJR) as u16,
            minor: vs.read(VS::MNR) as u8,
            tertiary: vs.read(VS::TER) as u8,
        };

        let id_page = ctrl.identify(cns::CONTROLLER, 0)?;
        let id: IdentifyController = id_page.read_obj(0)?;
        if nsid > id.nn() {
            return Err(unsupported(format!(
                "namespace {nsid} does not exist: the controller has {} namespace(s) (Identify Controller NN)",
                id.nn()
            )));
        }
        let ns_page = ctrl.identify(cns::NAMESPACE, nsid)?;
        let ns: IdentifyNamespace = ns_page.read_obj(0)?;
        drop((id_page, ns_page));

        if ns.nsze() == 0 {
            return Err(unsupported(format!(
                "namespace {nsid} is not active (Identify Namespace reports NSZE = 0): create and attach it first (nvme create-ns / attach-ns)"
            )));
        }
        let command_set = namespace_command_set(&ctrl, nsid, version)?;
        if command_set != csi::NVM {
            return Err(unsupported(format!(
                "namespace {nsid} uses the {} command set (CSI {command_set:02X}h); this driver reads and writes NVM command set namespaces only (its writes to a zoned namespace would fail with zone errors such as Zone Invalid Write): choose an NVM namespace",
                csi::name(command_set)
            )));
        }
        let format = ns.current_format();
        if format.metadata_size != 0 {
            return Err(unsupported(format!(
                "namespace {nsid} is formatted with {} bytes of metadata per LBA, which this driver does not transfer: format it with an LBA format without metadata",
                format.metadata_size
            )));
        }
        if !(9..=31).contains(&format.lbads) {
            return Err(unsupported(format!(
                "namespace {nsid} has an LBA data size of 2^{} bytes (LBADS), outside 512 B ..= 2 GiB",
                format.lbads
            )));
        }
        let namespace = NamespaceInfo {
            nsid,
            lba_size: 1 << format.lbads,
            lba_count: ns.nsze(),
        };

        let sgl = SglSupport::from_sgls(id.sgls());
        let transfer = match (options.transfer, sgl) {
            (TransferMode::Sgl, SglSupport::None) => {
                return Err(unsupported(
                    "NvmeOptions::transfer is Sgl but the controller does not support SGLs (Identify SGLS bits 1:0 = 00b): use TransferMode::Auto or Prp"
                        .to_owned(),
                ))
            }
            (TransferMode::Auto, SglSupport::None) | (TransferMode::Prp, _) => TransferMode::Prp,
            (TransferMode::Auto | TransferMode::Sgl, _) => TransferMode::Sgl,
        };

        let granted = ctrl.admin(
            SubmissionEntry::set_number_of_queues(options.io_queues, options.io_queues),
            Vec::new(),
        )?;
        let nsqa = (granted.result & 0xffff) as u16;
        let ncqa = (granted.result >> 16) as u16;
        let io_queues = nsqa.min(ncqa).saturating_add(1).min(options.io_queues);
        *ctrl.qids() = vec![QidState::Free; usize::from(io_queues)];

        let info = ControllerInfo {
            vid: id.vid(),
            ssvid: id.ssvid(),
            serial: id.serial(),
            model: id.model(),
            firmware: id.firmware(),
            version,
            mdts_bytes: match id.mdts() {
                0 => None,
                // In units of the minimum memory page size (4 KiB: MPSMIN is 0 here).
                m => 1u64.checked_shl(u32::from(m)).map(|p| p * MEMORY_PAGE),
            },
            sgl,
            sgl_bit_bucket: id.sgls() & (1 << 16) != 0,
            namespaces: id.nn(),
            max_queue_entries: max_entries,
            io_queues,
            cmb: controller_memory_buffer(dev)?,
            transfer,
            doorbell_stride: 4 << dstrd,
            ready_timeout: cap_to,
        };
        log::info!(
            "NVMe {}: {} ({}, firmware {}), NVMe {}, namespace {nsid}: {} x {} B, {:?}, {} I/O queue(s)",
            device.describe(),
            info.model,
            info.serial,
            info.firmware,
            info.version,
            namespace.lba_count,
            namespace.lba_size,
            info.transfer,
            info.io_queues
        );
        Ok(Nvme {
            ctrl,
            info,
            namespace,
            io_entries,
            builder: SglBuilder::default(),
        })
    }

    /// What Identify and the registers said about the controller.
    pub fn controller(&self) -> &ControllerInfo {
        &self.info
    }

    /// Namespace 1.
    pub fn namespace(&self) -> &NamespaceInfo {
        &self.namespace
    }

    /// The controller's device.
    pub fn device(&self) -> &Arc<dyn Device> {
        &self.ctrl.device
    }

    /// The DMA memory queues and lists are allocated from.
    pub fn memory(&self) -> &DmaMemory {
        &self.ctrl.memory
    }

    /// Submits a hand-built admin command (CID filled in) holding `held` until completion:
    /// for tests of the controller's own checks (queue creation errors, Get Features...).
    pub fn submit_admin_raw(&self, entry: SubmissionEntry, held: Vec<Held>) -> Result<NvmeTicket> {
        self.ctrl.submit_admin(entry, held)
    }

    /// Creates the next I/O queue pair (lowest free queue id): Create I/O CQ, then Create I/O
    /// SQ, polled (IEN = 0). [`NvmeError::NoIoQueue`] when every granted queue is in use.
    pub fn io_queue(&self) -> Result<IoQueue> {
        let qid = self.ctrl.claim_qid()?;
        let params = IoParams {
            namespace: self.namespace,
            mdts_bytes: self.info.mdts_bytes,
            transfer: self.info.transfer,
            sgl: self.info.sgl,
            sgl_bit_bucket: self.info.sgl_bit_bucket,
            builder: self.builder,
        };
        IoQueue::create(&self.ctrl, qid, self.io_entries, params)
    }
}

impl Drop for Nvme {
    fn drop(&mut self) {
        let queues = Arc::strong_count(&self.ctrl) - 1;
        if queues > 0 {
            log::debug!(
                "NVMe {}: {queues} I/O queue(s) still alive; the controller shuts down when the last one is dropped",
                self.ctrl.device.describe()
            );
        }
        // `self.ctrl` drops next; `Controller::drop` shuts down when it is the last reference.
    }
}
