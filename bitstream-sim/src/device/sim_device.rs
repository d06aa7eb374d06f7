// SPDX-License-Identifier: MIT OR Apache-2.0
//! `SimDevice`: the simulated endpoint as the driver sees it, through the `Device` trait.

use std::ops::Range;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use peerbar::device::{check_bar_access, check_config_access, Device};
use peerbar::regs;
use peerbar::{BarIndex, BarOffset, BusAddr, Error, Result};

use crate::config_space::{BAR0_SIZE_LOG2, CAP_MSIX, MSIX_TABLE_SIZE};
use crate::fabric::DmaFault;
use crate::rtl::BAR2_SIZE_LOG2;
use crate::tlp::{ReadOutcome, Request};
use crate::SimError;

use super::clock::clock_in_background;
use super::{
    completion_status, msix_address, Clocker, Core, FromSim, RawOutcome, RawRequest, ReadFault,
    Shared, SimConfig, SimStats, HOST_REQUESTER_ID,
};

/// The simulated endpoint. Cheap to clone: clones share one simulation.
#[derive(Clone)]
pub struct SimDevice {
    pub(super) shared: Arc<Shared>,
    pub(super) _clocker: Arc<Clocker>,
}

impl SimDevice {
    /// Builds the Verilator model, brings it out of reset and checks that the RTL's own idea
    /// of its BAR2 size matches the model's config space.
    pub fn new(config: SimConfig) -> Result<SimDevice> {
        let core = Core::new(&config).map_err(Error::from_sim)?;
        let shared = Arc::new(Shared {
            core: Mutex::new(core),
            wake: Condvar::new(),
            callers: AtomicUsize::new(0),
        });
        let for_thread = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("peerbar-sim-clock".into())
            .spawn(move || clock_in_background(for_thread))
            .map_err(|e| {
                Error::from_sim(SimError::InvalidConfig(format!(
                    "cannot start the simulation's clock thread: {e}"
                )))
            })?;
        let dev = SimDevice {
            _clocker: Arc::new(Clocker {
                shared: Arc::clone(&shared),
                thread: Some(thread),
            }),
            shared,
        };
        dev.check_identity()?;
        Ok(dev)
    }

    pub fn stats(&self) -> SimStats {
        self.lock_any().stats
    }

    /// The board wrapper's LEDs in the last simulated cycle (bits: `rtl::LED_*`).
    pub fn leds(&self) -> u8 {
        self.lock_any().leds
    }

    /// The IOMMU's live mappings as (IOVA, length), for leak checks: every `map_dma` of either
    /// simulated device not yet undone by `unmap_dma`.
    /// Replaces the IOVA ranges the simulated IOMMU accepts (see
    /// [`crate::fabric::Fabric::set_iova_ranges`]).
    pub fn set_iova_ranges(&self, ranges: Vec<std::ops::Range<u64>>) {
        self.lock_any().fabric.set_iova_ranges(ranges);
    }

    pub fn iommu_mappings(&self) -> Vec<(u64, u64)> {
        self.lock_any().fabric.mappings()
    }

    /// Maps `len` bytes of another process's memory, reached through `remote` (a vfio-user
    /// client's DMA_READ/DMA_WRITE), at bus address `iova`; `unmap_dma(iova, len)` removes it.
    pub fn map_remote(
        &self,
        iova: BusAddr,
        len: usize,
        remote: Arc<dyn crate::fabric::RemoteMemory>,
    ) -> Result<()> {
        self.lock()?
            .fabric
            .map_remote(iova.get(), len as u64, remote)
            .map_err(Error::from_sim)
    }

    /// Where the fabric sends a request to bus address `address` (from the endpoint or the NVMe
    /// controller alike): a device's BAR (peer to peer), the MSI window, or host memory
    /// behind the IOMMU. What the simulated topology says about P2P between its two functions.
    pub fn route(&self, address: u64) -> crate::fabric::Route {
        self.lock_any().fabric.route(address)
    }

    /// DMAs the fabric refused so far (accesses outside every IOMMU window), oldest first.
    pub fn faults(&self) -> Vec<DmaFault> {
        self.lock_any().fabric.faults().to_vec()
    }

    /// Fault injection: the next engine read of host memory that overlaps `range` is answered
    /// with `fault` instead of its data (one read per call; calls queue up).
    pub fn inject_read_fault(&self, range: Range<u64>, fault: ReadFault) {
        self.lock_any().dma.read_faults.push((range, fault));
    }

    /// Injected read faults not used yet (armed by [`SimDevice::inject_read_fault`]).
    pub fn armed_read_faults(&self) -> usize {
        self.lock_any().dma.read_faults.len()
    }

    /// Fault injection: the next `n` MSI-X messages (of either device) are lost on the way to
    /// the host, counted in [`SimStats::interrupts_lost`].
    pub fn lose_next_msix(&self, n: u64) {
        self.lock_any().msix.lose_next += n;
    }

    /// Like [`SimDevice::faults`], and forgets them.
    pub fn take_faults(&self) -> Vec<DmaFault> {
        self.lock_any().fabric.take_faults()
    }

    /// The sticky failure (PCIe rule broken by the RTL, hang), if any: every later access
    /// fails with it.
    pub fn failure(&self) -> Option<String> {
        self.lock_any().failure.clone()
    }

    /// Clocks the model in the calling thread until the DMA side is idle (engine not busy,
    /// no request, completion, P2P access or interrupt in flight, and the post-doorbell grace
    /// period over), at most `max_cycles` cycles. Returns the cycles run. For tests that want
    /// to observe a finished job without sleeping.
    pub fn run_dma_until_idle(&self, max_cycles: u64) -> Result<u64> {
        let mut core = self.lock()?;
        let start = core.stats.cycles;
        while core.wants_clock() {
            if core.stats.cycles - start >= max_cycles {
                return Err(Error::from_sim(SimError::Hang(format!(
                    "the DMA side was still busy after {max_cycles} cycles ({})",
                    core.dma_summary()
                ))));
            }
            core.clock();
        }
        if let Some(why) = &core.failure {
            return Err(Error::from_sim(SimError::Failed(why.clone())));
        }
        Ok(core.stats.cycles - start)
    }

    pub(super) fn lock_any(&self) -> MutexGuard<'_, Core> {
        self.shared.lock_any()
    }

    /// Wakes the background thread (after something that may give the engine work).
    pub(super) fn wake(&self) {
        self.shared.wake.notify_all();
    }

    /// Sends one request exactly as given (no range or alignment checks) and returns what the
    /// RTL answered. Protocol violations by the RTL are still errors.
    pub fn send_raw(&self, raw: RawRequest) -> Result<RawOutcome> {
        let mut core = self.lock()?;
        let (base, aperture) = match raw.bar_id {
            0 => (core.config.bar0_base(), BAR0_SIZE_LOG2 as u8),
            2 => (core.config.bar2_base(), BAR2_SIZE_LOG2 as u8),
            _ => (0, 12),
        };
        let request = Request {
            kind: raw.kind,
            bar_id: raw.bar_id,
            bar_aperture: aperture,
            dw_address: base.wrapping_add(raw.offset) & !3,
            dw_count: raw.dw_count,
            first_be: raw.first_be,
            last_be: raw.last_be,
            requester_id: HOST_REQUESTER_ID,
            tag: 0,
            traffic_class: 0,
            attr: 0,
            payload: raw.payload,
        };
        if raw.kind.is_posted() {
            core.send_posted(request).map_err(Error::from_sim)?;
            return Ok(RawOutcome::Posted);
        }
        let outcome = core.send_non_posted(request).map_err(Error::from_sim)?;
        Ok(match outcome {
            ReadOutcome::Data(d) => RawOutcome::Data(d),
            ReadOutcome::Status(s) => RawOutcome::Status(completion_status(s)),
        })
    }

    pub(super) fn lock(&self) -> Result<MutexGuard<'_, Core>> {
        self.shared.lock()
    }

    pub(super) fn check_identity(&self) -> Result<()> {
        let rtl_size = regs::read64(self, &regs::BAR2_SIZE_REG64)?;
        let model_size = 1u64 << BAR2_SIZE_LOG2;
        if rtl_size != model_size {
            return Err(Error::from_sim(SimError::InvalidConfig(format!(
                "the RTL reports a BAR2 of {rtl_size} bytes but was verilated with Bar2SizeLog2={BAR2_SIZE_LOG2} ({model_size} bytes)"
            ))));
        }
        Ok(())
    }

    pub(super) fn read(
        &self,
        bar: BarIndex,
        offset: BarOffset,
        buf: &mut [u8],
        align: u64,
    ) -> Result<()> {
        check_bar_access(self.bar_len(bar), bar, offset, buf.len() as u64, align)?;
        let mut core = self.lock()?;
        core.read(bar, offset, buf).map_err(|e| e.into_error(bar))
    }

    pub(super) fn write(
        &self,
        bar: BarIndex,
        offset: BarOffset,
        data: &[u8],
        align: u64,
    ) -> Result<()> {
        check_bar_access(self.bar_len(bar), bar, offset, data.len() as u64, align)?;
        let mut core = self.lock()?;
        core.write(bar, offset, data).map_err(Error::from_sim)?;
        if bar == BarIndex::BAR0 {
            // Possibly a doorbell: give the engine cycles even before it reports busy.
            core.kick();
            drop(core);
            self.wake();
        }
        Ok(())
    }
}

/// The BAR0 writes that program MSI-X table entry `v` (the register map's MSIX_TABLE array),
/// as the OS does: (offset, DWORD) for its address, data and vector control.
fn msix_entry(v: u16, address: u64, data: u32, masked: bool) -> Result<[(BarOffset, u32); 4]> {
    let v = u32::from(v);
    let mask = regs::MSIX_TABLE_VECTOR_CONTROL::MASK.val(u32::from(masked));
    Ok([
        (
            regs::MSIX_TABLE_ADDR_LO_REG.at(v)?.bar_offset(),
            address as u32,
        ),
        (
            regs::MSIX_TABLE_ADDR_HI_REG.at(v)?.bar_offset(),
            (address >> 32) as u32,
        ),
        (regs::MSIX_TABLE_DATA_REG.at(v)?.bar_offset(), data),
        (
            regs::MSIX_TABLE_VECTOR_CONTROL_REG.at(v)?.bar_offset(),
            mask.value,
        ),
    ])
}

impl Device for SimDevice {
    fn describe(&self) -> String {
        format!(
            "simulated endpoint (Verilator model of the board wrapper around hw/rtl, BAR2 {} KiB)",
            (1u64 << BAR2_SIZE_LOG2) / 1024
        )
    }

    fn config_read(&self, offset: u16, buf: &mut [u8]) -> Result<()> {
        check_config_access(offset, buf.len())?;
        self.lock()?.config.read(usize::from(offset), buf);
        Ok(())
    }

    fn config_write(&self, offset: u16, data: &[u8]) -> Result<()> {
        check_config_access(offset, data.len())?;
        let mut core = self.lock()?;
        core.config.write(usize::from(offset), data);
        if core.config.take_flr_request() {
            core.function_level_reset();
        }
        // The BARs may have moved or memory decoding changed: peers route by them.
        core.refresh_peer_bars();
        // The RTL sees config space through its cfg_* inputs, sampled on clock edges: an MSI-X
        // unmask (say) only takes effect, and a pending message only goes out, once it is
        // clocked.
        core.kick();
        drop(core);
        self.wake();
        Ok(())
    }

    fn bar_len(&self, bar: BarIndex) -> Option<u64> {
        match bar {
            BarIndex::BAR0 => Some(1 << BAR0_SIZE_LOG2),
            BarIndex::BAR2 => Some(1 << BAR2_SIZE_LOG2),
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

    /// Function-level reset as the OS performs it (Linux `pci_reset_function`, VFIO's
    /// `VFIO_DEVICE_RESET`): config space is saved, the FLR runs (the board wrapper resets the
    /// RTL on `cfg_flr_in_process`, everything in flight dropped, see
    /// `Core::function_level_reset`), then config space and the MSI-X table entries the host
    /// programmed are restored. Everything else the
    /// RTL holds (DMA engine and queue registers, counters) is back at its reset value.
    fn reset(&self) -> Result<()> {
        let mut core = self.lock()?;
        let saved = core.config.clone();
        core.function_level_reset();
        core.config = saved;
        core.refresh_peer_bars();
        // The table lives in BAR0 (RTL registers, masked at reset): the OS writes back the
        // entries it had programmed.
        let table = core.msix.table.clone();
        for (v, (address, data)) in (0..).zip(table) {
            for (offset, w) in msix_entry(v, address, data, false)? {
                core.write(BarIndex::BAR0, offset, &w.to_le_bytes())
                    .map_err(Error::from_sim)?;
            }
        }
        core.kick();
        drop(core);
        self.wake();
        Ok(())
    }

    /// The IOMMU's IOVA ranges ([`crate::fabric::IOVA_RANGES`] unless
    /// [`SimDevice::set_iova_ranges`] changed them).
    fn iova_ranges(&self) -> Result<Vec<std::ops::Range<u64>>> {
        Ok(self.lock_any().fabric.iova_ranges())
    }

    unsafe fn map_dma(&self, host: *mut u8, len: usize, iova: BusAddr) -> Result<()> {
        // SAFETY: the trait's contract is passed on unchanged.
        unsafe { self.shared.map_dma(host, len, iova) }
    }

    fn unmap_dma(&self, iova: BusAddr, len: usize) -> Result<()> {
        self.shared.unmap_dma(iova, len)
    }

    fn bar_bus_addr(&self, bar: BarIndex) -> Result<BusAddr> {
        let core = self.lock()?;
        match bar {
            BarIndex::BAR0 => Ok(BusAddr::new(core.config.bar0_base())),
            BarIndex::BAR2 => Ok(BusAddr::new(core.config.bar2_base())),
            _ => Err(Error::NoSuchBar { bar }),
        }
    }

    /// Programs the MSI-X table in BAR0 (through MMIO, as the OS would) with address
    /// `0xFEE0_0000 + 0x10 * v` and data `v` for `v < vectors`, masks the other entries, then
    /// sets MSI-X Enable (and clears Function Mask) in config space.
    fn enable_msix(&self, vectors: u16) -> Result<crossbeam_channel::Receiver<u16>> {
        if vectors == 0 || vectors > MSIX_TABLE_SIZE {
            return Err(Error::from_sim(SimError::InvalidConfig(format!(
                "{vectors} MSI-X vectors requested; the endpoint has 1..={MSIX_TABLE_SIZE}"
            ))));
        }
        let mut table = Vec::new();
        for v in 0..MSIX_TABLE_SIZE {
            let address = msix_address(v);
            for (offset, w) in msix_entry(v, address, u32::from(v), v >= vectors)? {
                self.bar_write32(BarIndex::BAR0, offset, w)?;
            }
            if v < vectors {
                table.push((address, u32::from(v)));
            }
        }
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut core = self.lock()?;
        let control = usize::from(CAP_MSIX) + 2;
        let mut mc = [0u8; 2];
        core.config.read(control, &mut mc);
        let mc = (u16::from_le_bytes(mc) | (1 << 15)) & !(1 << 14);
        core.config.write(control, &mc.to_le_bytes());
        core.msix.table = table;
        core.msix.sender = Some(tx);
        core.kick();
        drop(core);
        self.wake();
        Ok(rx)
    }

    fn disable_msix(&self) -> Result<()> {
        let mut core = self.lock_any();
        let control = usize::from(CAP_MSIX) + 2;
        let mut mc = [0u8; 2];
        core.config.read(control, &mut mc);
        let mc = u16::from_le_bytes(mc) & !(1 << 15);
        core.config.write(control, &mc.to_le_bytes());
        core.msix.table.clear();
        core.msix.sender = None;
        Ok(())
    }
}
