// SPDX-License-Identifier: MIT OR Apache-2.0
//! The NVMe controller model as a second endpoint on the simulated fabric (docs/nvme-peer.md).
//!
//! The controller (`crate::nvme`) lives inside the simulation core, next to the RTL, and is
//! ticked once per RTL clock while it has work. Its DMA port ([`Port`], an
//! [`NvmeBus`]) goes through the same fabric as the FPGA's engine:
//! - host memory only inside IOMMU windows the driver mapped (a miss is a recorded fault);
//! - the FPGA's BARs with real TLPs on the RTL's CQ interface: MemWr for the data of a Read
//!   command, MemRd for a Write command's data, answered by the RTL's completer on CC and
//!   checked there like every other completion;
//! - anything else (past a BAR, the MSI window, its own BARs) is a recorded fault.
//!
//! In the other direction the engine's requests that name the controller's BAR0 or CMB are
//! served by the controller ([`Core::nvme_p2p_request`]).
//!
//! [`SimNvme`] presents the controller to the driver through the `Device` trait. Its register
//! accesses reach the model directly (no TLPs: the model is not RTL, there is nothing to check).

use std::collections::HashMap;
use std::sync::{Arc, MutexGuard};

use peerbar::device::{check_bar_access, check_config_access, Device};
use peerbar::{BarIndex, BarOffset, BusAddr, Error, Result};

use super::{payload_lanes, Clocker, Core, FromSim, Shared, SimDevice};
use crate::fabric::{DmaDirection, DmaFault, PeerBar, PeerId, Route, IOVA_RANGES};
use crate::nvme::bus::{BusError, NvmeBus, ReadHandle};
use crate::nvme::config_space::NvmeConfigSpace;
use crate::nvme::{NvmeConfig, NvmeController, NvmeStats};
use crate::requester::{ReadAnswer, RqRequest};
use crate::tlp::{dword_span, status_name, ReadOutcome, Request, RequestType, STATUS_UR};
use crate::SimError;

/// Requester ID of the NVMe function (bus 2, device 0, function 0).
pub const NVME_ID: u16 = 0x0200;
/// Where "firmware" placed the controller's BAR0 (registers and doorbells).
pub const NVME_BAR0_BASE: u64 = 0xfd00_0000;
/// Where the controller memory buffer (BAR2) sits when the config asks for one.
pub const NVME_CMB_BASE: u64 = 0x38_1000_0000;
/// P2P reads of the controller outstanding at the endpoint's completer at once.
const NVME_READ_TAGS: usize = 16;
/// CQ beats queued ahead of the RTL after which the controller's posted writes wait: the link
/// to the endpoint is one more place data queues up, and it is not infinitely deep.
const CQ_BACKLOG_BEATS: usize = 64;

/// The controller and everything the core keeps for it.
pub(super) struct NvmeSide {
    controller: NvmeController,
    config: NvmeConfigSpace,
    port: PortState,
}

/// A DMA read of the controller being put together from its completions.
struct ReadAssembly {
    address: u64,
    parts: Vec<Option<Vec<u8>>>,
    error: Option<BusError>,
    outstanding: usize,
}

/// The fabric-side state of the controller's DMA port.
#[derive(Default)]
struct PortState {
    msix: Option<crossbeam_channel::Sender<u16>>,
    msix_vectors: u16,
    next_handle: u64,
    next_tag: u8,
    /// Reads at the endpoint's completer: tag -> (read handle, part index).
    tags: HashMap<u8, (u64, usize)>,
    reads: HashMap<u64, ReadAssembly>,
    /// `cq_pushed` after the controller's latest posted write to the endpoint.
    last_write_end: u64,
    /// Vectors the controller raised during the current tick.
    raised: Vec<u16>,
}

impl PortState {
    fn new_read(&mut self, address: u64, parts: usize) -> u64 {
        let handle = self.next_handle;
        self.next_handle += 1;
        self.reads.insert(
            handle,
            ReadAssembly {
                address,
                parts: vec![None; parts],
                error: None,
                outstanding: parts,
            },
        );
        handle
    }

    /// One part of a read came back from the endpoint's completer.
    fn part_done(&mut self, tag: u8, outcome: ReadOutcome) {
        let Some((handle, index)) = self.tags.remove(&tag) else {
            return;
        };
        // The controller may have been reset meanwhile: then nobody waits for this read.
        let Some(read) = self.reads.get_mut(&handle) else {
            return;
        };
        read.outstanding -= 1;
        match outcome {
            ReadOutcome::Data(d) => read.parts[index] = Some(d),
            ReadOutcome::Status(status) => {
                read.error.get_or_insert(BusError::Completion {
                    address: read.address,
                    status: status_name(status),
                });
            }
        }
    }

    /// The endpoint was reset: its completer will never answer the reads it had.
    fn endpoint_reset(&mut self) {
        for (_, (handle, _)) in self.tags.drain() {
            if let Some(read) = self.reads.get_mut(&handle) {
                read.outstanding -= 1;
                read.error.get_or_insert(BusError::Completion {
                    address: read.address,
                    status: "none (the endpoint was reset)",
                });
            }
        }
    }
}

/// The controller's view of the fabric during one tick.
struct Port<'a> {
    core: &'a mut Core,
    state: &'a mut PortState,
    bus_master: bool,
    max_payload: u64,
    max_read_req: u64,
}

impl Port<'_> {
    /// Records a DMA the fabric will not deliver and returns the error the controller sees.
    fn refuse(
        &mut self,
        address: u64,
        len: usize,
        direction: DmaDirection,
        reason: &'static str,
    ) -> BusError {
        self.core.fabric.record_fault(DmaFault {
            address,
            len: len as u64,
            direction,
            requester_id: NVME_ID,
            tag: None,
            reason,
        });
        BusError::Fault {
            address,
            reason: reason.to_owned(),
        }
    }

    fn check_master(
        &mut self,
        address: u64,
        len: usize,
        direction: DmaDirection,
    ) -> std::result::Result<(), BusError> {
        if self.bus_master {
            Ok(())
        } else {
            Err(self.refuse(
                address,
                len,
                direction,
                "bus mastering is disabled in the NVMe function's Command register",
            ))
        }
    }

    /// The endpoint BAR `address..address+len` lies in, or why the access is refused.
    fn endpoint_target(
        &self,
        address: u64,
        len: usize,
    ) -> std::result::Result<PeerBar, &'static str> {
        match self.core.fabric.route(address) {
            Route::Peer { bar, offset } if bar.device == PeerId::Endpoint => {
                if offset + len as u64 > 1u64 << bar.size_log2 {
                    Err("past the end of the endpoint's BAR")
                } else {
                    Ok(bar)
                }
            }
            Route::Peer { .. } => {
                Err("a DMA of the NVMe controller to its own BAR is not modelled")
            }
            Route::Msi => Err("data DMA into the MSI window"),
            Route::Memory => Err("no IOMMU mapping"),
        }
    }

    fn fabric_error(fault: DmaFault) -> BusError {
        BusError::Fault {
            address: fault.address,
            reason: fault.reason.to_owned(),
        }
    }
}

impl NvmeBus for Port<'_> {
    fn read_host(&mut self, address: u64, buf: &mut [u8]) -> std::result::Result<(), BusError> {
        self.check_master(address, buf.len(), DmaDirection::Read)?;
        if self.core.fabric.route(address) != Route::Memory {
            return Err(self.refuse(
                address,
                buf.len(),
                DmaDirection::Read,
                "queues and lists must be in host memory (the model fetches them from there only)",
            ));
        }
        let data = self
            .core
            .fabric
            .read(address, buf.len() as u64, NVME_ID, 0)
            .map_err(Port::fabric_error)?;
        buf.copy_from_slice(&data);
        Ok(())
    }

    fn write_host(&mut self, address: u64, data: &[u8]) -> std::result::Result<(), BusError> {
        self.check_master(address, data.len(), DmaDirection::Write)?;
        if self.core.fabric.route(address) != Route::Memory {
            return Err(self.refuse(
                address,
                data.len(),
                DmaDirection::Write,
                "completion queues must be in host memory",
            ));
        }
        self.core
            .fabric
            .write(&[(address, data.to_vec())], NVME_ID)
            .map_err(Port::fabric_error)
    }

    fn post_write(&mut self, address: u64, data: &[u8]) -> std::result::Result<bool, BusError> {
        self.check_master(address, data.len(), DmaDirection::Write)?;
        if self.core.fabric.route(address) == Route::Memory {
            self.core
                .fabric
                .write(&[(address, data.to_vec())], NVME_ID)
                .map_err(Port::fabric_error)?;
            return Ok(true);
        }
        let bar = match self.endpoint_target(address, data.len()) {
            Ok(bar) => bar,
            Err(why) => return Err(self.refuse(address, data.len(), DmaDirection::Write, why)),
        };
        if self.core.cq_queue.len() >= CQ_BACKLOG_BEATS {
            return Ok(false);
        }
        // MemWr TLPs of at most MPS bytes, never across 4 KiB, like any PCIe requester.
        let mut done = 0;
        while done < data.len() {
            let at = address + done as u64;
            let n = (data.len() - done)
                .min((self.max_payload - at % self.max_payload) as usize)
                .min((4096 - at % 4096) as usize);
            let request = nvme_request(
                RequestType::MemWrite,
                bar,
                at,
                n as u64,
                0,
                &data[done..done + n],
            );
            self.state.last_write_end = self.core.push_cq(&request);
            self.core.stats.nvme_p2p_writes += 1;
            done += n;
        }
        Ok(true)
    }

    fn writes_landed(&self) -> bool {
        self.core.cq_accepted >= self.state.last_write_end
    }

    fn start_read(
        &mut self,
        address: u64,
        len: u32,
    ) -> std::result::Result<Option<ReadHandle>, BusError> {
        let n = len as usize;
        self.check_master(address, n, DmaDirection::Read)?;
        if self.core.fabric.route(address) == Route::Memory {
            let data = self
                .core
                .fabric
                .read(address, u64::from(len), NVME_ID, 0)
                .map_err(Port::fabric_error)?;
            let handle = self.state.new_read(address, 1);
            let read = self.state.reads.get_mut(&handle).expect("just made");
            read.parts[0] = Some(data);
            read.outstanding = 0;
            return Ok(Some(ReadHandle(handle)));
        }
        let bar = match self.endpoint_target(address, n) {
            Ok(bar) => bar,
            Err(why) => return Err(self.refuse(address, n, DmaDirection::Read, why)),
        };
        // MemRd TLPs of at most MRRS bytes, never across 4 KiB.
        let mut pieces = Vec::new();
        let mut at = address;
        let end = address + u64::from(len);
        while at < end {
            let step = (end - at)
                .min(self.max_read_req - at % self.max_read_req)
                .min(4096 - at % 4096);
            pieces.push((at, step));
            at += step;
        }
        if self.state.tags.len() + pieces.len() > NVME_READ_TAGS
            || self.core.cq_queue.len() >= CQ_BACKLOG_BEATS
        {
            return Ok(None);
        }
        let handle = self.state.new_read(address, pieces.len());
        for (index, (at, step)) in pieces.into_iter().enumerate() {
            let tag = loop {
                let t = self.state.next_tag;
                self.state.next_tag = t.wrapping_add(1);
                if !self.core.pending.contains_key(&(NVME_ID, t)) {
                    break t;
                }
            };
            let request = nvme_request(RequestType::MemRead, bar, at, step, tag, &[]);
            self.core.push_cq(&request);
            self.core
                .pending
                .insert((NVME_ID, tag), crate::tlp::PendingRead::new(request));
            self.state.tags.insert(tag, (handle, index));
            self.core.stats.nvme_p2p_reads += 1;
        }
        Ok(Some(ReadHandle(handle)))
    }

    fn poll_read(&mut self, handle: ReadHandle) -> Option<std::result::Result<Vec<u8>, BusError>> {
        if self.state.reads.get(&handle.0)?.outstanding > 0 {
            return None;
        }
        let read = self.state.reads.remove(&handle.0)?;
        if let Some(e) = read.error {
            return Some(Err(e));
        }
        Some(Ok(read.parts.into_iter().flatten().flatten().collect()))
    }

    fn interrupt(&mut self, vector: u16) {
        // Delivered after the tick, when the controller's MSI-X table can be consulted.
        self.state.raised.push(vector);
    }
}

/// One TLP of the controller to the endpoint's `bar`: `len` bytes at bus address `at`, carrying
/// `data` when it is a write.
fn nvme_request(
    kind: RequestType,
    bar: PeerBar,
    at: u64,
    len: u64,
    tag: u8,
    data: &[u8],
) -> Request {
    let (dw_address, dw_count, first_be, last_be) = dword_span(at, len);
    let payload = if kind == RequestType::MemWrite {
        payload_lanes(at, data, dw_count)
    } else {
        Vec::new()
    };
    Request {
        kind,
        bar_id: bar.bar,
        bar_aperture: bar.size_log2 as u8,
        dw_address,
        dw_count,
        first_be,
        last_be,
        requester_id: NVME_ID,
        tag,
        traffic_class: 0,
        attr: 0,
        payload,
    }
}

/// The core's side of the controller: ticking, completions, routing.
impl Core {
    /// One controller tick at cycle `now` (after the RTL's cycle), when it has work.
    pub(super) fn tick_nvme(&mut self, now: u64) {
        let Some(mut side) = self.nvme.take() else {
            return;
        };
        if side.controller.busy() {
            let mut port = Port {
                core: self,
                state: &mut side.port,
                bus_master: side.config.bus_master(),
                max_payload: u64::from(side.config.max_payload()),
                max_read_req: u64::from(side.config.max_read_request()),
            };
            side.controller.tick(now, &mut port);
            for vector in std::mem::take(&mut side.port.raised) {
                self.deliver_nvme_interrupt(&side, vector);
            }
        }
        self.nvme = Some(side);
    }

    /// An MSI-X message of the controller: sent when MSI-X is enabled, the function and the
    /// vector are unmasked (the table entry lives in the controller's BAR0) and the host asked
    /// for that many vectors; otherwise lost (the model keeps no pending bits).
    fn deliver_nvme_interrupt(&mut self, side: &NvmeSide, vector: u16) {
        let deliverable = side.config.msix_enabled()
            && !side.config.msix_function_masked()
            && vector < side.port.msix_vectors
            && side.controller.msix_message(vector).is_some();
        if let (true, Some(tx)) = (deliverable, &side.port.msix) {
            // The receiver may be gone; the interrupt is then lost, as on hardware.
            let _ = tx.send(vector);
            self.stats.interrupts += 1;
        }
    }

    /// True while the controller has work or reads outstanding at the endpoint.
    pub(super) fn nvme_busy(&self) -> bool {
        self.nvme
            .as_ref()
            .is_some_and(|s| s.controller.busy() || !s.port.tags.is_empty())
    }

    /// A read of the controller at the endpoint's completer finished.
    pub(super) fn nvme_read_done(&mut self, tag: u8, outcome: ReadOutcome) {
        if let Some(side) = &mut self.nvme {
            side.port.part_done(tag, outcome);
        }
    }

    /// The endpoint was reset: the controller's reads at its completer fail.
    pub(super) fn nvme_endpoint_reset(&mut self) {
        if let Some(side) = &mut self.nvme {
            side.port.endpoint_reset();
        }
    }

    /// Where the controller's BARs are on the fabric.
    fn refresh_nvme_bars(&mut self) {
        let Some(side) = &self.nvme else {
            return;
        };
        let mut bars = Vec::new();
        if side.config.memory_enabled() {
            bars.push(PeerBar {
                device: PeerId::Nvme,
                bar: 0,
                base: side.config.bar0_base(),
                size_log2: NvmeController::BAR0_LEN.trailing_zeros(),
            });
            let cmb = side.controller.config().cmb_bytes;
            if cmb > 0 {
                bars.push(PeerBar {
                    device: PeerId::Nvme,
                    bar: 2,
                    base: side.config.bar2_base(),
                    size_log2: cmb.trailing_zeros(),
                });
            }
        }
        self.fabric.set_peer_bars(PeerId::Nvme, &bars);
    }

    /// An engine request that names the controller's BAR0 (registers, doorbells) or CMB.
    pub(super) fn nvme_p2p_request(&mut self, req: &RqRequest, bar: PeerBar, requester_id: u16) {
        let now = self.stats.cycles;
        let max_payload = u32::from(self.config.max_payload());
        let rcb = u32::from(self.config.rcb());
        let Some(side) = self.nvme.as_mut() else {
            return;
        };
        let answer = ReadAnswer::for_request(req, requester_id, NVME_ID);
        match req.kind {
            RequestType::MemWrite => {
                for (address, bytes) in req.write_runs() {
                    let offset = address - bar.base;
                    if bar.bar == 0 {
                        side.controller.write_register(offset, &bytes, now);
                    } else {
                        side.controller.cmb_write(offset, &bytes);
                    }
                }
            }
            RequestType::MemRead => {
                let len = if answer.zero_length {
                    0
                } else {
                    answer.byte_count as usize
                };
                let offset = answer.first_byte - bar.base;
                let mut data = vec![0u8; len];
                if bar.bar == 0 {
                    side.controller.read_register(offset, &mut data);
                } else {
                    side.controller.cmb_read(offset, &mut data);
                }
                let packets = answer.split(&data, max_payload, rcb, self.dma.split_rng.as_mut());
                self.dma.rc.push(req.tag, now + self.dma.latency, packets);
            }
            kind if !kind.is_posted() => {
                let packet = answer.error(STATUS_UR);
                self.dma
                    .rc
                    .push(req.tag, now + self.dma.latency, vec![packet]);
            }
            _ => {}
        }
    }
}

impl SimDevice {
    /// Adds a simulated NVMe controller to this simulation's fabric (one per simulation) and
    /// returns it as a device of its own. Both share the IOMMU: memory mapped through either
    /// is reachable by both.
    pub fn attach_nvme(&self, config: NvmeConfig) -> Result<SimNvme> {
        let cmb = (config.cmb_bytes > 0).then_some((NVME_CMB_BASE, config.cmb_bytes));
        let msix_vectors = config.msix_vectors;
        let controller = NvmeController::new(config).map_err(Error::from_sim)?;
        let mut core = self.shared.lock()?;
        if core.nvme.is_some() {
            return Err(Error::from_sim(SimError::InvalidConfig(
                "this simulation already has an NVMe controller".into(),
            )));
        }
        core.nvme = Some(Box::new(NvmeSide {
            controller,
            config: NvmeConfigSpace::new(NVME_BAR0_BASE, cmb, msix_vectors),
            port: PortState::default(),
        }));
        core.refresh_nvme_bars();
        drop(core);
        Ok(SimNvme {
            shared: Arc::clone(&self.shared),
            _clocker: Arc::clone(&self._clocker),
        })
    }
}

/// The simulated NVMe controller, as the driver sees it. Cheap to clone; keeps the simulation
/// (and its clock thread) alive like a `SimDevice` clone does.
#[derive(Clone)]
pub struct SimNvme {
    shared: Arc<Shared>,
    _clocker: Arc<Clocker>,
}

impl std::fmt::Debug for SimNvme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl SimNvme {
    fn with<T>(&self, f: impl FnOnce(&mut Core, &mut NvmeSide) -> Result<T>) -> Result<T> {
        let mut core = self.shared.lock()?;
        let mut side = core.nvme.take().expect("attached");
        let out = f(&mut core, &mut side);
        core.nvme = Some(side);
        out
    }

    fn lock_any(&self) -> MutexGuard<'_, Core> {
        self.shared.lock_any()
    }

    /// The controller's counters.
    pub fn stats(&self) -> NvmeStats {
        self.lock_any()
            .nvme
            .as_ref()
            .map(|s| s.controller.stats())
            .unwrap_or_default()
    }

    /// Reads the namespace directly (a test's view of what is stored), at byte `offset`.
    pub fn namespace_read(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.with(|_, side| {
            side.controller
                .namespace_read(offset, buf)
                .map_err(Error::from_sim)
        })
    }

    /// Writes the namespace directly (seeding test data without going through commands).
    pub fn namespace_write(&self, offset: u64, data: &[u8]) -> Result<()> {
        self.with(|_, side| {
            side.controller
                .namespace_write(offset, data)
                .map_err(Error::from_sim)
        })
    }

    fn access(
        &self,
        bar: BarIndex,
        offset: BarOffset,
        len: usize,
        align: u64,
        f: impl FnOnce(&mut NvmeController, u64),
    ) -> Result<()> {
        check_bar_access(self.bar_len(bar), bar, offset, len as u64, align)?;
        self.with(|core, side| {
            if !side.config.memory_enabled() {
                return Err(Error::from_sim(SimError::MemoryDisabled));
            }
            f(&mut side.controller, core.stats.cycles);
            // A doorbell or CC write may give the controller work.
            core.kick();
            Ok(())
        })?;
        self.shared.wake.notify_all();
        Ok(())
    }

    fn read(&self, bar: BarIndex, offset: BarOffset, buf: &mut [u8], align: u64) -> Result<()> {
        let at = offset.get();
        self.access(bar, offset, buf.len(), align, |c, _| {
            if bar == BarIndex::BAR0 {
                c.read_register(at, buf);
            } else {
                c.cmb_read(at, buf);
            }
        })
    }

    fn write(&self, bar: BarIndex, offset: BarOffset, data: &[u8], align: u64) -> Result<()> {
        let at = offset.get();
        self.access(bar, offset, data.len(), align, |c, now| {
            if bar == BarIndex::BAR0 {
                c.write_register(at, data, now);
            } else {
                c.cmb_write(at, data);
            }
        })
    }
}

/// Sets or clears MSI-X Enable (Message Control bit 15) as the OS would.
fn set_msix_enable(config: &mut NvmeConfigSpace, enable: bool) {
    let control = usize::from(crate::nvme::config_space::CAP_MSIX) + 2;
    let mut mc = [0u8; 2];
    config.read(control, &mut mc);
    let mc = u16::from_le_bytes(mc);
    let mc = if enable {
        mc | 1 << 15
    } else {
        mc & !(1 << 15)
    };
    config.write(control, &mc.to_le_bytes());
}

impl Device for SimNvme {
    fn describe(&self) -> String {
        let core = self.lock_any();
        let Some(side) = core.nvme.as_ref() else {
            return "simulated NVMe controller (detached)".into();
        };
        let c = side.controller.config();
        format!(
            "simulated NVMe controller ({}, {}-byte LBAs, {})",
            c.model,
            c.lba_size,
            if c.sgl { "SGL and PRP" } else { "PRP only" }
        )
    }

    fn config_read(&self, offset: u16, buf: &mut [u8]) -> Result<()> {
        check_config_access(offset, buf.len())?;
        self.with(|_, side| {
            side.config.read(usize::from(offset), buf);
            Ok(())
        })
    }

    fn config_write(&self, offset: u16, data: &[u8]) -> Result<()> {
        check_config_access(offset, data.len())?;
        self.with(|_, side| {
            side.config.write(usize::from(offset), data);
            Ok(())
        })?;
        self.shared.lock()?.refresh_nvme_bars();
        Ok(())
    }

    fn bar_len(&self, bar: BarIndex) -> Option<u64> {
        match bar {
            BarIndex::BAR0 => Some(NvmeController::BAR0_LEN),
            BarIndex::BAR2 => {
                let cmb = self.lock_any().nvme.as_ref()?.controller.config().cmb_bytes;
                (cmb > 0).then_some(cmb)
            }
            _ => None,
        }
    }

    sized_access!(bar_read8, bar_write8, u8);
    sized_access!(bar_read16, bar_write16, u16);
    sized_access!(bar_read32, bar_write32, u32);
    sized_access!(bar_read64, bar_write64, u64);

    fn bar_read(&self, bar: BarIndex, offset: BarOffset, buf: &mut [u8]) -> Result<()> {
        self.read(bar, offset, buf, 1)
    }

    fn bar_write(&self, bar: BarIndex, offset: BarOffset, data: &[u8]) -> Result<()> {
        self.write(bar, offset, data, 1)
    }

    /// Function-level reset of the controller: registers to their power-on values, queues and
    /// commands gone, the namespace kept. Config space is kept (the OS restores it).
    fn reset(&self) -> Result<()> {
        // Reads the controller still has out are left to it: it collects their handles
        // before it calls itself idle.
        self.with(|_, side| {
            side.controller.reset();
            Ok(())
        })
    }

    fn iova_ranges(&self) -> Result<Vec<std::ops::Range<u64>>> {
        Ok(IOVA_RANGES.to_vec())
    }

    unsafe fn map_dma(&self, host: *mut u8, len: usize, iova: BusAddr) -> Result<()> {
        // SAFETY: the trait's contract is passed on unchanged.
        unsafe { self.shared.map_dma(host, len, iova) }
    }

    fn unmap_dma(&self, iova: BusAddr, len: usize) -> Result<()> {
        self.shared.unmap_dma(iova, len)
    }

    fn bar_bus_addr(&self, bar: BarIndex) -> Result<BusAddr> {
        if self.bar_len(bar).is_none() {
            return Err(Error::NoSuchBar { bar });
        }
        self.with(|_, side| {
            Ok(BusAddr::new(if bar == BarIndex::BAR0 {
                side.config.bar0_base()
            } else {
                side.config.bar2_base()
            }))
        })
    }

    /// Sets MSI-X Enable in config space; vector `v` of a completion queue with interrupts
    /// enabled then arrives on the channel.
    fn enable_msix(&self, vectors: u16) -> Result<crossbeam_channel::Receiver<u16>> {
        let (tx, rx) = crossbeam_channel::unbounded();
        self.with(|_, side| {
            let max = side.controller.config().msix_vectors;
            if vectors == 0 || vectors > max {
                return Err(Error::from_sim(SimError::InvalidConfig(format!(
                    "{vectors} MSI-X vectors requested; the NVMe controller has 1..={max}"
                ))));
            }
            // Program the table as the OS would: one message per vector, unmasked.
            for v in 0..max {
                let entry =
                    crate::nvme::MSIX_TABLE_OFFSET + crate::nvme::MSIX_ENTRY_BYTES * u64::from(v);
                let address = crate::fabric::MSI_RANGE.start + 0x10 * u64::from(v);
                let mut bytes = [0u8; 16];
                bytes[..8].copy_from_slice(&address.to_le_bytes());
                bytes[8..12].copy_from_slice(&u32::from(v).to_le_bytes());
                bytes[12..].copy_from_slice(&u32::from(v >= vectors).to_le_bytes());
                side.controller.write_register(entry, &bytes, 0);
            }
            set_msix_enable(&mut side.config, true);
            side.port.msix = Some(tx);
            side.port.msix_vectors = vectors;
            Ok(())
        })?;
        Ok(rx)
    }

    fn disable_msix(&self) -> Result<()> {
        let mut core = self.lock_any();
        if let Some(side) = core.nvme.as_mut() {
            set_msix_enable(&mut side.config, false);
            side.port.msix = None;
            side.port.msix_vectors = 0;
        }
        Ok(())
    }
}
