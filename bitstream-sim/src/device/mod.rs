//! `SimDevice`: the RTL under Verilator, wrapped in a model of the UltraScale+ block, presented
//! to the driver through the same `Device` trait as real hardware.
//!
//! The model is clocked while an MMIO request is in flight (by the caller) and while the DMA
//! engine or the model of the host has work (by a background thread that sleeps on a condition
//! variable otherwise): an idle simulation costs no CPU. Every MMIO access becomes a TLP on the
//! CQ interface; every completion the RTL sends on CC is checked against the PCIe rules, and a
//! malformed one fails the access (and every later one) with a description of what was wrong.
//! The engine's requests on RQ are checked the same way and served by the fabric
//! (`fabric.rs`): host memory through IOMMU windows, MSI-X, and peer-to-peer to BARs.

use std::collections::{HashMap, VecDeque};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use peerbar::device::{check_bar_access, check_config_access, Device};
use peerbar::{BarIndex, BarOffset, BusAddr, CompletionStatus, Error, Result};

use crate::config_space::{
    ConfigSpace, BAR0_SIZE_LOG2, CAP_MSIX, MSIX_TABLE_OFFSET, MSIX_TABLE_SIZE,
};
use crate::fabric::{
    DmaDirection, DmaFault, Fabric, PeerBar, PeerId, Route, IOVA_RANGES, MSI_RANGE,
};
use crate::requester::{
    RcDescriptor, RcPacket, RcScheduler, ReadAnswer, RqBeat, RqChecker, RqLimits, RqRequest, SimRng,
};
use crate::rtl::{Rtl, RtlInputs, RtlOutputs, BAR2_SIZE_LOG2, LED_RESET_HELD};
use crate::tlp::{
    dword_span, Beat, CcAssembler, CcDescriptor, CompletionRules, PendingRead, ReadOutcome,
    Request, RequestType, STATUS_CA, STATUS_CRS, STATUS_SC, STATUS_UR,
};
use crate::SimError;

/// The 1-8 byte `Device` accesses of a simulated function, over its `read`/`write` helpers
/// (defined before `nvme_peer` so both devices use it).
macro_rules! sized_access {
    ($read:ident, $write:ident, $t:ty) => {
        fn $read(&self, bar: BarIndex, offset: BarOffset) -> Result<$t> {
            const SIZE: usize = std::mem::size_of::<$t>();
            let mut b = [0u8; SIZE];
            self.read(bar, offset, &mut b, SIZE as u64)?;
            Ok(<$t>::from_le_bytes(b))
        }

        fn $write(&self, bar: BarIndex, offset: BarOffset, value: $t) -> Result<()> {
            self.write(
                bar,
                offset,
                &value.to_le_bytes(),
                std::mem::size_of::<$t>() as u64,
            )
        }
    };
}

mod nvme_peer;
pub use nvme_peer::{SimNvme, NVME_BAR0_BASE, NVME_CMB_BASE, NVME_ID};

/// The user clock of the 256-bit Gen3 x8 configuration.
pub const CLOCK_HZ: u64 = 250_000_000;

/// Cycles without any CQ or CC progress after which the RTL is declared hung. PCIe's default
/// completion timeout range starts at 50 us (12 500 cycles); this is 400 us.
const HANG_CYCLES: u64 = 100_000;
/// Reads kept in flight by a bulk read (tags outstanding).
const READ_WINDOW: usize = 8;
/// Cycles PERST# is held at start-up, and then `user_reset` after it (the block's start-up).
const RESET_CYCLES: u32 = 16;
/// Cycles the model waits for `cfg_flr_done[0]` after raising `cfg_flr_in_process[0]`: the
/// board wrapper answers after its hold time (`rtl::FLR_HOLD_CYCLES`) plus two register
/// stages. PCIe allows a function 100 ms to complete an FLR (Base Spec, Function Level Reset);
/// a user logic that has not answered after this many cycles never will (the wrapper's counter
/// is bounded at 255).
const FLR_DONE_LIMIT_CYCLES: u64 = 1_000;
/// Cycles after the block releases the user logic (`user_reset` low, `cfg_flr_in_process[0]`
/// low) within which the wrapper's reset-held LED must go off: its reset is one register stage.
const RESET_RELEASE_LIMIT_CYCLES: u64 = 4;
/// Requester ID of the host (root complex) issuing MMIO, and completer ID of host memory.
const HOST_REQUESTER_ID: u16 = 0x0000;
/// The endpoint's own ID (bus 01h, device 0, function 0): what the block puts in the engine's
/// requests (requester ID enable 0), and the requester ID of the peer-to-peer requests the
/// fabric delivers to the endpoint's completer on the engine's behalf.
pub const ENDPOINT_ID: u16 = 0x0100;
/// Cycles the background thread clocks per turn of the simulation lock.
const BATCH_CYCLES: u32 = 256;
/// Cycles the model keeps clocking after a BAR0 write (a possible doorbell) or any RQ/RC
/// activity, so the engine can start (or go on) before `dma_busy` says so.
/// A doorbell reaches the queue registers a few cycles after its CQ beat; 64 is ample.
const KICK_CYCLES: u64 = 64;
/// Non-posted header credits the link partner advertises; one returns this many cycles after
/// a read leaves the block.
const NPH_CREDITS: usize = 32;
const CREDIT_RETURN_CYCLES: u64 = 40;
/// Cycles from the last beat of a request to its `pcie_rq_seq_num` echo.
const SEQ_ECHO_CYCLES: u64 = 4;
/// Cycles from `cfg_interrupt_msix_int` to `cfg_interrupt_msix_sent`/`fail`.
const MSIX_SENT_CYCLES: u64 = 2;

/// The engine has work (`dma_busy` inside `peerbar_top`, exported by the model). Doorbell
/// kicks and RQ/RC activity keep the model clocking besides.
fn rtl_dma_busy(out: &RtlOutputs) -> bool {
    out.dma_busy & 1 == 1
}

/// Settings of the simulated endpoint and of the host around it.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Write an FST waveform of every RTL signal here.
    pub trace: Option<PathBuf>,
    /// Max Payload Size the host configured, bytes (128..=1024).
    pub max_payload: u16,
    /// Max Read Request Size the host configured, bytes (128..=4096).
    pub max_read_req: u16,
    /// Read Completion Boundary, bytes (64 or 128).
    pub rcb: u16,
    /// Percentage of cycles on which the model accepts a CC beat (100 = never back-pressure).
    /// Lower values exercise the RTL's handling of `s_axis_cc_tready`.
    pub cc_ready_percent: u8,
    /// Percentage of cycles on which the model accepts an RQ beat (`s_axis_rq_tready`), 1..=100.
    pub rq_ready_percent: u8,
    /// Percentage of cycles on which the model may start presenting a CQ beat it has ready
    /// (`m_axis_cq_tvalid`), 1..=100: lower values insert seeded idle cycles, as the block does
    /// when its receive buffers drain slowly. A beat once presented stays until accepted (AXI4-Stream).
    pub cq_valid_percent: u8,
    /// The same for RC beats (`m_axis_rc_tvalid`), 1..=100.
    pub rc_valid_percent: u8,
    /// Percentage of MSI-X messages that are lost on the way to the host, 0..=100 (seeded):
    /// the engine sent them, the host never sees them (counted in [`SimStats::interrupts_lost`]).
    pub msix_loss_percent: u8,
    /// Cycles from a DMA read of host memory to its first completion on RC (200 = 800 ns).
    pub rc_latency_cycles: u32,
    /// Return completions of different tags in a seeded random order (within one tag they
    /// always come in address order), with up to `rc_latency_cycles / 2` of latency jitter.
    pub rc_reorder: bool,
    /// `Some(seed)`: also split completions at random RCB multiples (beyond what MPS needs).
    pub rc_split_seed: Option<u64>,
    /// Seed of the reordering, jitter and RQ back-pressure choices.
    pub seed: u64,
    /// Cycles the DMA side may make no RQ/RC progress while the engine is busy or requests are
    /// outstanding before the simulation records a hang (default 2 500 000 = 10 ms).
    pub dma_hang_cycles: u64,
    /// The block's own completion timeout (an IP setting; PCIe's default range is 50 us to
    /// 50 ms): a read it still holds this many cycles after sending is ended with an error
    /// code 9 report on RC, and only then is its tag free. Default 65 536 (262 us), longer
    /// than the engine's default DMA_COMPLETION_TIMEOUT (12 500 = 50 us), so the engine gives
    /// up first and must keep the tag until the block's report.
    pub core_completion_timeout_cycles: u64,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            trace: None,
            max_payload: 256,
            max_read_req: 512,
            rcb: 64,
            cc_ready_percent: 100,
            rq_ready_percent: 100,
            cq_valid_percent: 100,
            rc_valid_percent: 100,
            msix_loss_percent: 0,
            rc_latency_cycles: 200,
            rc_reorder: true,
            rc_split_seed: None,
            seed: 0x5eed,
            dma_hang_cycles: 2_500_000,
            core_completion_timeout_cycles: 65_536,
        }
    }
}

/// Counters of the simulation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimStats {
    /// RTL clock cycles simulated.
    pub cycles: u64,
    /// Requests (TLPs) delivered on CQ.
    pub requests: u64,
    /// Completion packets received on CC.
    pub completions: u64,
    /// Requests the RTL sent on RQ.
    pub rq_requests: u64,
    /// Completions delivered on RC.
    pub rc_completions: u64,
    /// RQ requests routed to a BAR on the fabric (peer-to-peer).
    pub p2p_requests: u64,
    /// MSI-X messages delivered (the endpoint's and the NVMe controller's).
    pub interrupts: u64,
    /// MSI-X messages lost on purpose (fault injection: [`SimConfig::msix_loss_percent`],
    /// [`SimDevice::lose_next_msix`]); not counted in `interrupts`.
    pub interrupts_lost: u64,
    /// Function-level resets (config-space FLR or [`Device::reset`]).
    pub function_resets: u64,
    /// Cycles from raising `cfg_flr_in_process[0]` to the cycle in which the board wrapper
    /// answered `cfg_flr_done[0]`, in the last function-level reset (0 before the first).
    pub flr_done_cycles: u64,
    /// MemWr TLPs the NVMe controller sent to the endpoint (data of NVMe Reads into BAR2).
    pub nvme_p2p_writes: u64,
    /// MemRd TLPs the NVMe controller sent to the endpoint (data of NVMe Writes from BAR2).
    pub nvme_p2p_reads: u64,
    /// Cycles during which the DMA engine had work (its `dma_busy`) or a DMA request or
    /// completion was in flight: the denominator of engine throughput, free of the idle cycles
    /// the model clocks while waiting for software.
    pub dma_active_cycles: u64,
}

/// Cycles after the genuine completions that an injected duplicate arrives.
const DUPLICATE_DELAY: u64 = 200;

/// How an injected fault answers one engine read (see [`SimDevice::inject_read_fault`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadFault {
    /// A completion with Unsupported Request status.
    UnsupportedRequest,
    /// A completion with Completer Abort status.
    CompleterAbort,
    /// The data, with the poisoned (EP) bit set on every completion.
    Poisoned,
    /// No completion at all: the read is lost and must time out.
    Dropped,
    /// The completions, then a copy of them on the link 200 cycles later: the block's Split
    /// Completion Table matches the copy to whatever read holds the tag by then (an
    /// invalid-tag completion if none does), and the engine must never take it as data.
    Duplicated,
    /// The completions, `cycles` later than usual on the link: after the engine's timeout
    /// (DMA_COMPLETION_TIMEOUT) the job has failed and the data must not land; after the
    /// block's own timeout ([`SimConfig::core_completion_timeout_cycles`]) they are stale
    /// completions of a read the block no longer holds.
    Late { cycles: u64 },
}

/// A request a test sends exactly as a (possibly misbehaving) peer would, with no checks on the
/// host side: used to show how the RTL answers what the driver itself would never send.
#[derive(Clone, Debug)]
pub struct RawRequest {
    pub kind: RequestType,
    /// BAR ID the block reports (0 and 2 exist; anything else is "not implemented").
    pub bar_id: u8,
    /// Byte offset of the first DWORD inside the BAR (low two bits ignored).
    pub offset: u64,
    pub dw_count: u16,
    pub first_be: u8,
    pub last_be: u8,
    /// Write data: `dw_count` DWORDs for MemWr.
    pub payload: Vec<u32>,
}

/// What came back for a raw request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawOutcome {
    /// A posted request: no completion.
    Posted,
    /// Successful completion(s) with these bytes.
    Data(Vec<u8>),
    /// A completion with an error status.
    Status(CompletionStatus),
}

/// The simulation shared by the clones of a `SimDevice` and its background thread.
struct Shared {
    core: Mutex<Core>,
    /// Signalled when the DMA side may have work (doorbell, MSI-X enable) or on shutdown.
    wake: Condvar,
    /// Callers (MMIO, config, statistics) waiting for the core. The clock thread gives way to
    /// them between cycles: on a real system software reacts in microseconds, and letting a
    /// doorbell wait for whole batches of simulated cycles would make every device look idle
    /// for part of each job.
    callers: AtomicUsize,
}

/// Owned by the `SimDevice` clones only: the last one dropped stops the background thread.
struct Clocker {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Shared {
    /// The core, or the sticky failure that poisoned it.
    fn lock(&self) -> Result<MutexGuard<'_, Core>> {
        let core = self.lock_raw().map_err(|_| {
            Error::from_sim(SimError::Failed(
                "a thread panicked while driving the simulation".into(),
            ))
        })?;
        if let Some(why) = &core.failure {
            return Err(Error::from_sim(SimError::Failed(why.clone())));
        }
        Ok(core)
    }

    /// The core even after a failure (statistics, fault logs, unmapping).
    fn lock_any(&self) -> MutexGuard<'_, Core> {
        match self.lock_raw() {
            Ok(core) => core,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// `Device::map_dma` of either device: both share the fabric's IOMMU.
    ///
    /// # Safety
    /// As `Device::map_dma`: `host..host+len` stays allocated and unmoved until
    /// `unmap_dma(iova, len)` returns.
    unsafe fn map_dma(&self, host: *mut u8, len: usize, iova: BusAddr) -> Result<()> {
        let mut core = self.lock()?;
        // SAFETY: the caller guarantees (trait contract) that `host..host+len` stays allocated
        // and unmoved until `unmap_dma(iova, len)` returns, which is what `Fabric::map` needs.
        unsafe { core.fabric.map(host, len, iova.get()) }.map_err(Error::from_sim)
    }

    /// `Device::unmap_dma` of either device. Works after a failure too: the memory is about to
    /// go whatever the simulation's state.
    fn unmap_dma(&self, iova: BusAddr, len: usize) -> Result<()> {
        self.lock_any()
            .fabric
            .unmap(iova.get(), len)
            .map_err(Error::from_sim)
    }

    /// Takes the core lock as a caller (the clock thread yields to callers).
    fn lock_raw(&self) -> std::sync::LockResult<MutexGuard<'_, Core>> {
        self.callers.fetch_add(1, AtomicOrdering::SeqCst);
        let core = self.core.lock();
        self.callers.fetch_sub(1, AtomicOrdering::SeqCst);
        core
    }
}

impl Drop for Clocker {
    fn drop(&mut self) {
        {
            let mut core = match self.shared.core.lock() {
                Ok(c) => c,
                Err(poisoned) => poisoned.into_inner(),
            };
            core.stop = true;
        }
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The background thread: sleeps while the DMA side is idle, otherwise clocks in batches,
/// releasing the lock between batches so MMIO callers interleave.
fn clock_in_background(shared: Arc<Shared>) {
    let Ok(mut core) = shared.core.lock() else {
        return;
    };
    loop {
        if core.stop {
            return;
        }
        if !core.wants_clock() {
            core = match shared.wake.wait(core) {
                Ok(c) => c,
                Err(_) => return,
            };
            continue;
        }
        for _ in 0..BATCH_CYCLES {
            core.clock();
            if !core.wants_clock() || shared.callers.load(AtomicOrdering::Relaxed) > 0 {
                break;
            }
        }
        drop(core);
        std::thread::yield_now();
        // Let waiting callers in first (bounded: a caller that never comes back must not stall
        // the simulation).
        for _ in 0..10_000 {
            if shared.callers.load(AtomicOrdering::Relaxed) == 0 {
                break;
            }
            std::thread::yield_now();
        }
        core = match shared.core.lock() {
            Ok(c) => c,
            Err(_) => return,
        };
    }
}

/// The simulated endpoint. Cheap to clone: clones share one simulation.
#[derive(Clone)]
pub struct SimDevice {
    shared: Arc<Shared>,
    _clocker: Arc<Clocker>,
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
    pub fn iommu_mappings(&self) -> Vec<(u64, u64)> {
        self.lock_any().fabric.mappings()
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

    fn lock_any(&self) -> MutexGuard<'_, Core> {
        self.shared.lock_any()
    }

    /// Wakes the background thread (after something that may give the engine work).
    fn wake(&self) {
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

    fn lock(&self) -> Result<MutexGuard<'_, Core>> {
        self.shared.lock()
    }

    fn check_identity(&self) -> Result<()> {
        let lo = self.bar_read32(BarIndex::BAR0, BarOffset::new(0x10))?;
        let hi = self.bar_read32(BarIndex::BAR0, BarOffset::new(0x14))?;
        let rtl_size = (u64::from(hi) << 32) | u64::from(lo);
        let model_size = 1u64 << BAR2_SIZE_LOG2;
        if rtl_size != model_size {
            return Err(Error::from_sim(SimError::InvalidConfig(format!(
                "the RTL reports a BAR2 of {rtl_size} bytes but was verilated with Bar2SizeLog2={BAR2_SIZE_LOG2} ({model_size} bytes)"
            ))));
        }
        Ok(())
    }

    fn read(&self, bar: BarIndex, offset: BarOffset, buf: &mut [u8], align: u64) -> Result<()> {
        check_bar_access(self.bar_len(bar), bar, offset, buf.len() as u64, align)?;
        let mut core = self.lock()?;
        core.read(bar, offset, buf).map_err(|e| e.into_error(bar))
    }

    fn write(&self, bar: BarIndex, offset: BarOffset, data: &[u8], align: u64) -> Result<()> {
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
        for (v, (address, data)) in table.into_iter().enumerate() {
            let entry = u64::from(MSIX_TABLE_OFFSET) + 16 * v as u64;
            let words = [address as u32, (address >> 32) as u32, data, 0];
            for (i, w) in words.into_iter().enumerate() {
                core.write(
                    BarIndex::BAR0,
                    BarOffset::new(entry + 4 * i as u64),
                    &w.to_le_bytes(),
                )
                .map_err(Error::from_sim)?;
            }
        }
        core.kick();
        drop(core);
        self.wake();
        Ok(())
    }

    /// The IOMMU's fixed IOVA ranges ([`crate::fabric::IOVA_RANGES`]).
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
            let entry = BarOffset::new(u64::from(MSIX_TABLE_OFFSET) + 16 * u64::from(v));
            let address = msix_address(v);
            let at = |o: u64| BarOffset::new(entry.get() + o);
            self.bar_write32(BarIndex::BAR0, at(0), address as u32)?;
            self.bar_write32(BarIndex::BAR0, at(4), (address >> 32) as u32)?;
            self.bar_write32(BarIndex::BAR0, at(8), u32::from(v))?;
            self.bar_write32(BarIndex::BAR0, at(12), u32::from(v >= vectors))?;
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

/// The DWORD lanes of a write of `data` at byte address `address` (`dw_count` DWORDs):
/// bytes in their lanes, disabled lanes zero.
fn payload_lanes(address: u64, data: &[u8], dw_count: u16) -> Vec<u32> {
    let skew = (address & 3) as usize;
    let mut bytes = vec![0u8; usize::from(dw_count) * 4];
    bytes[skew..skew + data.len()].copy_from_slice(data);
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// Message address the simulation programs for MSI-X vector `v`.
fn msix_address(v: u16) -> u64 {
    MSI_RANGE.start + 0x10 * u64::from(v)
}

/// Maps a completion status field to the driver's type.
fn completion_status(status: u8) -> CompletionStatus {
    match status {
        STATUS_UR => CompletionStatus::UnsupportedRequest,
        STATUS_CRS => CompletionStatus::ConfigRetry,
        STATUS_CA => CompletionStatus::CompleterAbort,
        other => CompletionStatus::Reserved(other),
    }
}

/// Why a read failed inside the model.
enum ReadError {
    Sim(SimError),
    Completion { offset: BarOffset, status: u8 },
}

impl ReadError {
    fn into_error(self, bar: BarIndex) -> Error {
        match self {
            ReadError::Sim(e) => Error::from_sim(e),
            ReadError::Completion { offset, status } => Error::CompletionError {
                bar,
                offset,
                status: completion_status(status),
            },
        }
    }
}

impl From<SimError> for ReadError {
    fn from(e: SimError) -> ReadError {
        ReadError::Sim(e)
    }
}

/// Conversion of the simulation's errors into the driver's error type.
trait FromSim {
    fn from_sim(e: SimError) -> Error;
}

impl FromSim for Error {
    fn from_sim(e: SimError) -> Error {
        log::error!("simulation: {e}");
        Error::Simulation(Box::new(e))
    }
}

/// A peer-to-peer read the fabric forwarded to the endpoint's completer: which engine read it
/// answers.
#[derive(Clone, Debug)]
struct P2pRead {
    answer: ReadAnswer,
}

/// The requester side of the block: RQ in, RC out, sideband.
struct DmaSide {
    rq: RqChecker,
    /// Completions on their way to RC, and the block's Split Completion Table (the engine's
    /// reads the block still holds).
    rc: RcScheduler,
    /// P2P tag (requester ENDPOINT_ID on CQ) -> the engine read it serves.
    p2p: HashMap<u8, P2pRead>,
    next_p2p_tag: u8,
    /// (cycle, seq_num) echoes still to drive on pcie_rq_seq_num*.
    seq_echo: VecDeque<(u64, u8)>,
    /// Cycles at which used non-posted header credits return.
    nph_used: VecDeque<u64>,
    /// `RtlOutputs.dma_busy` of the last cycle.
    busy: bool,
    /// Last cycle with RQ or RC progress (or idle).
    last_progress: u64,
    /// Clock at least until this cycle (doorbell grace period).
    kick_until: u64,
    rq_ready_percent: u8,
    rc_valid_percent: u8,
    rc_rng: SimRng,
    /// An RC beat was presented last cycle and not accepted: it must stay valid.
    rc_stalled: bool,
    /// Injected faults: the next engine read of host memory overlapping the range gets it.
    read_faults: Vec<(Range<u64>, ReadFault)>,
    rq_rng: SimRng,
    jitter_rng: SimRng,
    split_rng: Option<SimRng>,
    latency: u64,
    reorder: bool,
    hang_cycles: u64,
}

impl DmaSide {
    fn new(config: &SimConfig) -> DmaSide {
        DmaSide {
            rq: RqChecker::default(),
            rc: RcScheduler::new(
                config.rc_reorder,
                config.seed,
                config.core_completion_timeout_cycles,
            ),
            p2p: HashMap::new(),
            next_p2p_tag: 0,
            seq_echo: VecDeque::new(),
            nph_used: VecDeque::new(),
            busy: false,
            last_progress: 0,
            kick_until: 0,
            rq_ready_percent: config.rq_ready_percent,
            rc_valid_percent: config.rc_valid_percent,
            rc_rng: SimRng::new(config.seed ^ 0x7263),
            rc_stalled: false,
            read_faults: Vec::new(),
            rq_rng: SimRng::new(config.seed ^ 0x7271),
            jitter_rng: SimRng::new(config.seed ^ 0x6a69),
            split_rng: config.rc_split_seed.map(SimRng::new),
            latency: u64::from(config.rc_latency_cycles),
            reorder: config.rc_reorder,
            hang_cycles: config.dma_hang_cycles,
        }
    }

    /// The injected fault for a read of `len` bytes at `addr`, if one was armed for it.
    fn take_read_fault(&mut self, addr: u64, len: u64) -> Option<ReadFault> {
        let hit = self
            .read_faults
            .iter()
            .position(|(r, _)| addr < r.end && r.start < addr + len)?;
        Some(self.read_faults.remove(hit).1)
    }

    /// Drops everything in flight (reset).
    fn clear(&mut self) {
        self.rq = RqChecker::default();
        self.rc.clear();
        self.p2p.clear();
        self.seq_echo.clear();
        self.nph_used.clear();
        self.rc_stalled = false;
        self.busy = false;
        self.kick_until = 0;
    }

    /// Anything in flight on the requester side.
    fn in_flight(&self) -> bool {
        self.rq.in_packet()
            || !self.rc.table().is_empty()
            || !self.rc.is_empty()
            || !self.p2p.is_empty()
            || !self.seq_echo.is_empty()
    }
}

/// MSI-X as the host set it up.
struct Msix {
    /// (message address, data) of each enabled vector, index = vector.
    table: Vec<(u64, u32)>,
    sender: Option<crossbeam_channel::Sender<u16>>,
    /// `cfg_interrupt_msix_int` of the last cycle (an interrupt is its rising edge).
    int_prev: bool,
    /// (cycle, sent) answers still to pulse on `cfg_interrupt_msix_sent`/`fail`.
    answers: VecDeque<(u64, bool)>,
    /// Fault injection: messages still to lose, then a seeded share of the rest.
    lose_next: u64,
    loss_percent: u8,
    loss_rng: SimRng,
}

/// The clocked model: the RTL plus the UltraScale+ block's completer and requester sides and
/// the fabric around it.
struct Core {
    rtl: Rtl,
    inputs: RtlInputs,
    config: ConfigSpace,
    cq_queue: VecDeque<Beat>,
    /// Beats ever pushed into / accepted from `cq_queue`: a request's beats are all accepted
    /// once `cq_accepted` reaches the `cq_pushed` value right after it was queued.
    cq_pushed: u64,
    cq_accepted: u64,
    cc: CcAssembler,
    /// Reads delivered on CQ, by (requester ID, tag): the host's MMIO reads and the fabric's
    /// peer-to-peer reads have separate tag spaces.
    pending: HashMap<(u16, u8), PendingRead>,
    finished: HashMap<u8, ReadOutcome>,
    next_tag: u8,
    stats: SimStats,
    /// Set on the first protocol violation or hang; every later access fails with it.
    failure: Option<String>,
    cc_ready_percent: u8,
    rng: u64,
    cq_valid_percent: u8,
    cq_rng: SimRng,
    /// A CQ beat was presented last cycle and not accepted: it must stay valid.
    cq_stalled: bool,
    last_progress: u64,
    fabric: Fabric,
    dma: DmaSide,
    msix: Msix,
    /// Set when the last `SimDevice` is dropped: the background thread exits.
    stop: bool,
    /// Tests: RC beats are taken here instead of being driven into the RTL.
    rc_capture: Option<Vec<Beat>>,
    /// The NVMe controller on the fabric, once attached (`SimDevice::attach_nvme`).
    nvme: Option<Box<nvme_peer::NvmeSide>>,
    /// The board wrapper's LEDs in the last cycle.
    leds: u8,
}

impl Default for Msix {
    fn default() -> Msix {
        Msix {
            table: Vec::new(),
            sender: None,
            int_prev: false,
            answers: VecDeque::new(),
            lose_next: 0,
            loss_percent: 0,
            loss_rng: SimRng::new(0),
        }
    }
}

impl Core {
    fn new(config: &SimConfig) -> std::result::Result<Core, SimError> {
        let pow2 = |v: u16| v.is_power_of_two();
        if !(128..=1024).contains(&config.max_payload) || !pow2(config.max_payload) {
            return Err(SimError::InvalidConfig(format!(
                "max payload size {} must be 128, 256, 512 or 1024 bytes",
                config.max_payload
            )));
        }
        if !(128..=4096).contains(&config.max_read_req) || !pow2(config.max_read_req) {
            return Err(SimError::InvalidConfig(format!(
                "max read request size {} must be a power of two from 128 to 4096 bytes",
                config.max_read_req
            )));
        }
        if config.rcb != 64 && config.rcb != 128 {
            return Err(SimError::InvalidConfig(format!(
                "read completion boundary {} must be 64 or 128 bytes",
                config.rcb
            )));
        }
        if config.cc_ready_percent == 0 || config.cc_ready_percent > 100 {
            return Err(SimError::InvalidConfig(format!(
                "cc_ready_percent {} must be 1..=100",
                config.cc_ready_percent
            )));
        }
        if config.rq_ready_percent == 0 || config.rq_ready_percent > 100 {
            return Err(SimError::InvalidConfig(format!(
                "rq_ready_percent {} must be 1..=100",
                config.rq_ready_percent
            )));
        }
        for (name, v) in [
            ("cq_valid_percent", config.cq_valid_percent),
            ("rc_valid_percent", config.rc_valid_percent),
        ] {
            if v == 0 || v > 100 {
                return Err(SimError::InvalidConfig(format!(
                    "{name} {v} must be 1..=100"
                )));
            }
        }
        if config.msix_loss_percent > 100 {
            return Err(SimError::InvalidConfig(format!(
                "msix_loss_percent {} must be 0..=100",
                config.msix_loss_percent
            )));
        }
        let rtl = Rtl::new(config.trace.as_deref())?;
        let mut core = Core {
            rtl,
            inputs: RtlInputs::default(),
            config: ConfigSpace::new(
                BAR2_SIZE_LOG2,
                config.max_payload,
                config.max_read_req,
                config.rcb,
            ),
            cq_queue: VecDeque::new(),
            cq_pushed: 0,
            cq_accepted: 0,
            cc: CcAssembler::default(),
            pending: HashMap::new(),
            finished: HashMap::new(),
            next_tag: 0,
            stats: SimStats::default(),
            failure: None,
            cc_ready_percent: config.cc_ready_percent,
            rng: 0x9e37_79b9_7f4a_7c15,
            cq_valid_percent: config.cq_valid_percent,
            cq_rng: SimRng::new(config.seed ^ 0x6371),
            cq_stalled: false,
            last_progress: 0,
            fabric: Fabric::default(),
            dma: DmaSide::new(config),
            msix: Msix {
                loss_percent: config.msix_loss_percent,
                loss_rng: SimRng::new(config.seed ^ 0x6d73),
                ..Msix::default()
            },
            stop: false,
            rc_capture: None,
            nvme: None,
            leds: 0,
        };
        core.power_on_reset();
        core.refresh_peer_bars();
        Ok(core)
    }

    /// Start-up as on a board: PERST# (the block's `sys_reset`) is held while power and the
    /// reference clock settle, then released; the block keeps `user_reset` high until it is
    /// out of reset itself and then brings the link up (PG213, Designing with the Core, Resets:
    /// `sys_reset` is the block's fundamental reset, `user_reset` is deasserted synchronously
    /// to `user_clk` after it). The model drives both: `user_reset` stays high RESET_CYCLES
    /// after PERST#.
    fn power_on_reset(&mut self) {
        self.drop_in_flight();
        self.inputs.pcie_perst_n = 0;
        self.inputs.user_reset = 1;
        self.inputs.user_lnk_up = 0;
        for _ in 0..RESET_CYCLES {
            self.clock();
        }
        self.inputs.pcie_perst_n = 1;
        for _ in 0..RESET_CYCLES {
            self.clock();
        }
        self.inputs.user_reset = 0;
        self.inputs.user_lnk_up = 1;
        self.wait_reset_release("user_reset");
    }

    /// After the block released the user logic, the wrapper's reset must end (its reset-held
    /// LED goes off) within RESET_RELEASE_LIMIT_CYCLES; otherwise a rule failure.
    fn wait_reset_release(&mut self, released: &str) {
        for _ in 0..RESET_RELEASE_LIMIT_CYCLES {
            if self.clock().led & LED_RESET_HELD == 0 {
                return;
            }
        }
        self.fail(format!(
            "the board wrapper still holds the user logic in reset {RESET_RELEASE_LIMIT_CYCLES} \
             cycles after the block released {released} (reset-held LED on)"
        ));
    }

    /// Forgets everything in flight on the block's four interfaces (a reset of the function).
    fn drop_in_flight(&mut self) {
        self.cq_accepted += self.cq_queue.len() as u64;
        self.cq_queue.clear();
        self.cc = CcAssembler::default();
        self.pending.clear();
        self.finished.clear();
        self.nvme_endpoint_reset();
        self.dma.clear();
        self.msix.answers.clear();
        self.msix.int_prev = false;
        self.inputs.rc_tvalid = 0;
        self.cq_stalled = false;
    }

    /// Function-level reset, as the UltraScale+ block performs one for function 0: config space
    /// goes back to what the function owns at reset ([`ConfigSpace::function_level_reset`]); the
    /// block raises `cfg_flr_in_process[0]` and holds it until the user side answers
    /// `cfg_flr_done[0]`, then drops it (PG213, Configuration Control Interface Port Descriptions:
    /// `cfg_flr_in_process`, `cfg_flr_done`). The board wrapper resets the user logic while
    /// the FLR is in process and answers after its hold time; no answer within
    /// FLR_DONE_LIMIT_CYCLES is a rule failure. Every request and completion in flight on
    /// the block's four interfaces is dropped: completions of reads the function issued
    /// before the FLR never reach the new RTL (the block discards them as unexpected), and a
    /// host MMIO read the FLR cut short would complete with an error on the host side (none
    /// can be in flight here: the FLR is a config write, which holds the simulation lock).
    fn function_level_reset(&mut self) {
        self.config.function_level_reset();
        self.stats.function_resets += 1;
        self.drop_in_flight();
        self.inputs.cfg_flr_in_process = 1;
        let raised_at = self.stats.cycles;
        let mut answered = false;
        while self.stats.cycles - raised_at < FLR_DONE_LIMIT_CYCLES {
            if self.clock().cfg_flr_done & 1 == 1 {
                answered = true;
                break;
            }
        }
        self.inputs.cfg_flr_in_process = 0;
        if answered {
            // The answer came in the cycle just clocked: counted from the first FLR cycle.
            self.stats.flr_done_cycles = self.stats.cycles - raised_at;
            self.wait_reset_release("cfg_flr_in_process[0]");
        } else {
            self.fail(format!(
                "the user logic did not answer function 0's FLR: no cfg_flr_done[0] within \
                 {FLR_DONE_LIMIT_CYCLES} cycles of cfg_flr_in_process[0]"
            ));
        }
        self.refresh_peer_bars();
    }

    /// One clock cycle: drive the CQ beat at the head of the queue and the RC beat at the head
    /// of the completion schedule, accept CC and RQ beats, and serve the sideband (credits,
    /// sequence numbers, MSI-X).
    fn clock(&mut self) -> RtlOutputs {
        let now = self.stats.cycles;
        let cfg = &self.config;
        self.inputs.cfg_max_payload = cfg.cfg_max_payload();
        self.inputs.cfg_max_read_req = cfg.cfg_max_read_req();
        // cfg_function_status, function 0: bit 1 memory space enable, bit 2 bus master enable.
        let memory = if cfg.memory_enabled() { 1 << 1 } else { 0 };
        let master = if cfg.bus_master() { 1 << 2 } else { 0 };
        self.inputs.cfg_function_status = memory | master;
        self.inputs.cfg_rcb_status = u8::from(cfg.rcb() == 128);
        self.inputs.msix_enable = u8::from(cfg.msix_enabled());
        self.inputs.msix_mask = u8::from(cfg.msix_function_masked());
        self.drive_requester_side(now);
        // Idle cycles before a beat (never while one is presented: AXI4-Stream keeps tvalid
        // up until the handshake).
        let cq_gap = !self.cq_stalled
            && !self.cq_queue.is_empty()
            && !self.cq_rng.percent(self.cq_valid_percent);
        match self.cq_queue.front().filter(|_| !cq_gap) {
            Some(beat) => {
                self.inputs.cq_tdata = beat.data;
                self.inputs.cq_tkeep = beat.keep;
                self.inputs.cq_tlast = u8::from(beat.last);
                self.inputs.cq_tuser = beat.user;
                self.inputs.cq_tvalid = 1;
            }
            None => {
                self.inputs.cq_tvalid = 0;
                self.inputs.cq_tkeep = 0;
                self.inputs.cq_tlast = 0;
            }
        }
        self.inputs.cc_tready = u8::from(self.cc_ready_this_cycle());
        if self.inputs.user_reset == 1 || self.inputs.cfg_flr_in_process & 1 == 1 {
            // The block's interfaces are idle while the user logic is in reset: whatever the
            // RTL drives in the reset cycles is not taken (a half-sent request at an FLR is
            // lost with the rest).
            self.inputs.cq_tvalid = 0;
            self.inputs.rc_tvalid = 0;
            self.inputs.cc_tready = 0;
            self.inputs.rq_tready = 0;
        }
        let out = self.rtl.cycle(&self.inputs);
        self.stats.cycles += 1;
        self.leds = out.led;
        self.cq_stalled = self.inputs.cq_tvalid == 1 && out.cq_tready & 1 == 0;
        if self.inputs.cq_tvalid == 1 && out.cq_tready & 1 == 1 {
            self.cq_accepted += 1;
            if self.cq_queue.pop_front().is_some_and(|b| b.last) {
                self.stats.requests += 1;
            }
            self.last_progress = self.stats.cycles;
        }
        if out.cc_tvalid == 1 && self.inputs.cc_tready == 1 {
            self.last_progress = self.stats.cycles;
            let beat = Beat {
                data: out.cc_tdata,
                keep: out.cc_tkeep,
                last: out.cc_tlast == 1,
                user: [0; 3],
            };
            if let Err(why) = self.accept_cc_beat(&beat) {
                self.fail(why);
            }
        }
        self.sample_requester_side(now, &out);
        self.tick_nvme(now);
        out
    }

    fn cc_ready_this_cycle(&mut self) -> bool {
        if self.cc_ready_percent >= 100 {
            return true;
        }
        // xorshift64: deterministic back-pressure pattern.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng % 100) < u64::from(self.cc_ready_percent)
    }

    fn accept_cc_beat(&mut self, beat: &Beat) -> std::result::Result<(), String> {
        let Some(packet) = self.cc.push(beat)? else {
            return Ok(());
        };
        self.stats.completions += 1;
        if packet.len() < 3 {
            return Err(format!(
                "CC packet of {} DWORD(s) has no descriptor",
                packet.len()
            ));
        }
        let d = CcDescriptor::decode([packet[0], packet[1], packet[2]]);
        let key = (d.requester_id, d.tag);
        let Some(pending) = self.pending.get_mut(&key) else {
            return Err(format!(
                "completion with requester ID {:#06x} and tag {:#04x} matches no outstanding read (descriptor {d:?})",
                d.requester_id, d.tag
            ));
        };
        let rules = CompletionRules {
            max_payload: u32::from(self.config.max_payload()),
            rcb: u32::from(self.config.rcb()),
        };
        let next_address = pending.next_address;
        let outcome = pending.accept(&packet, rules)?;
        let done = outcome.is_some();
        if done {
            self.pending.remove(&key);
        }
        if key.0 == ENDPOINT_ID {
            self.forward_p2p_completion(&d, next_address, &packet[3..], done);
        } else if key.0 == nvme_peer::NVME_ID {
            if let Some(outcome) = outcome {
                self.nvme_read_done(d.tag, outcome);
            }
        } else if let Some(outcome) = outcome {
            self.finished.insert(d.tag, outcome);
        }
        Ok(())
    }

    fn fail(&mut self, why: String) {
        log::error!("simulated PCIe block: {why}");
        if self.failure.is_none() {
            self.failure = Some(why);
        }
    }

    /// Clocks until `done` holds, the model records a failure, or nothing moves for too long.
    fn run_until(
        &mut self,
        what: &str,
        mut done: impl FnMut(&Core) -> bool,
    ) -> std::result::Result<(), SimError> {
        self.last_progress = self.stats.cycles;
        loop {
            if let Some(why) = &self.failure {
                return Err(SimError::ProtocolViolation(why.clone()));
            }
            if done(self) {
                return Ok(());
            }
            if self.stats.cycles - self.last_progress > HANG_CYCLES {
                let why = format!(
                    "{what}: no CQ or CC progress for {HANG_CYCLES} cycles ({} beat(s) not accepted, {} read(s) unanswered)",
                    self.cq_queue.len(),
                    self.pending.len()
                );
                self.fail(why.clone());
                return Err(SimError::Hang(why));
            }
            self.clock();
        }
    }

    /// Queues a request's beats for the CQ interface; returns the `cq_accepted` value at which
    /// all of them have been accepted.
    fn push_cq(&mut self, request: &Request) -> u64 {
        let beats = request.cq_beats();
        self.cq_pushed += beats.len() as u64;
        self.cq_queue.extend(beats);
        self.cq_pushed
    }

    fn alloc_tag(&mut self) -> u8 {
        loop {
            let tag = self.next_tag;
            self.next_tag = self.next_tag.wrapping_add(1);
            if !self.pending.contains_key(&(HOST_REQUESTER_ID, tag))
                && !self.finished.contains_key(&tag)
            {
                return tag;
            }
        }
    }

    fn bar_base(&self, bar: BarIndex) -> (u64, u8) {
        if bar == BarIndex::BAR0 {
            (self.config.bar0_base(), BAR0_SIZE_LOG2 as u8)
        } else {
            (self.config.bar2_base(), BAR2_SIZE_LOG2 as u8)
        }
    }

    fn check_decoding(&self) -> std::result::Result<(), SimError> {
        if self.config.memory_enabled() {
            Ok(())
        } else {
            Err(SimError::MemoryDisabled)
        }
    }

    /// Largest TLP for a chunk starting at `offset`: BAR0 takes at most one aligned QWORD (the
    /// register file serves 1-2 DWORD accesses, as a CPU issues them); BAR2 takes up to
    /// `limit` bytes. No request crosses a 4 KiB boundary.
    fn chunk_len(bar: BarIndex, offset: u64, remaining: usize, limit: u64) -> usize {
        let limit = if bar == BarIndex::BAR0 { 8 } else { limit };
        let to_boundary = limit - (offset % limit);
        let to_page = 4096 - (offset % 4096);
        (remaining as u64).min(to_boundary).min(to_page) as usize
    }

    fn request(&self, bar: BarIndex, kind: RequestType, offset: u64, len: u64) -> Request {
        let (base, aperture) = self.bar_base(bar);
        let (dw_address, dw_count, first_be, last_be) = dword_span(base + offset, len);
        Request {
            kind,
            bar_id: bar.get(),
            bar_aperture: aperture,
            dw_address,
            dw_count,
            first_be,
            last_be,
            requester_id: HOST_REQUESTER_ID,
            tag: 0,
            traffic_class: 0,
            attr: 0,
            payload: Vec::new(),
        }
    }

    fn write(
        &mut self,
        bar: BarIndex,
        offset: BarOffset,
        data: &[u8],
    ) -> std::result::Result<(), SimError> {
        self.check_decoding()?;
        let limit = u64::from(self.config.max_payload());
        let mut done = 0;
        while done < data.len() {
            let at = offset.get() + done as u64;
            let n = Core::chunk_len(bar, at, data.len() - done, limit);
            let mut req = self.request(bar, RequestType::MemWrite, at, n as u64);
            req.payload = payload_lanes(at, &data[done..done + n], req.dw_count);
            self.push_cq(&req);
            done += n;
        }
        let end = self.cq_pushed;
        self.run_until("posted write", |c| c.cq_accepted >= end)
    }

    fn send_posted(&mut self, request: Request) -> std::result::Result<(), SimError> {
        let end = self.push_cq(&request);
        self.run_until("posted request", |c| c.cq_accepted >= end)
    }

    fn send_non_posted(
        &mut self,
        mut request: Request,
    ) -> std::result::Result<ReadOutcome, SimError> {
        let tag = self.alloc_tag();
        request.tag = tag;
        self.push_cq(&request);
        self.pending
            .insert((HOST_REQUESTER_ID, tag), PendingRead::new(request));
        self.run_until("non-posted request", |c| c.finished.contains_key(&tag))?;
        Ok(self.finished.remove(&tag).expect("finished"))
    }

    /// Reads `buf.len()` bytes with up to READ_WINDOW reads in flight, each at most MRRS
    /// (BAR2) and never crossing 4 KiB.
    fn read(
        &mut self,
        bar: BarIndex,
        offset: BarOffset,
        buf: &mut [u8],
    ) -> std::result::Result<(), ReadError> {
        self.check_decoding()?;
        let limit = u64::from(self.config.max_read_request());
        let mut issued = 0usize;
        // (tag, position in buf, length) in issue order.
        let mut in_flight: VecDeque<(u8, usize, usize)> = VecDeque::new();
        while issued < buf.len() || !in_flight.is_empty() {
            while issued < buf.len() && in_flight.len() < READ_WINDOW {
                let at = offset.get() + issued as u64;
                let n = Core::chunk_len(bar, at, buf.len() - issued, limit);
                let mut req = self.request(bar, RequestType::MemRead, at, n as u64);
                let tag = self.alloc_tag();
                req.tag = tag;
                self.push_cq(&req);
                self.pending
                    .insert((HOST_REQUESTER_ID, tag), PendingRead::new(req));
                in_flight.push_back((tag, issued, n));
                issued += n;
            }
            let (tag, pos, n) = in_flight.pop_front().expect("in flight");
            self.run_until("memory read", |c| c.finished.contains_key(&tag))?;
            match self.finished.remove(&tag).expect("finished") {
                ReadOutcome::Data(d) => buf[pos..pos + n].copy_from_slice(&d),
                ReadOutcome::Status(status) => {
                    // Let the reads behind it finish so no stale tag is left outstanding.
                    for (t, _, _) in in_flight.drain(..) {
                        self.run_until("memory read", |c| c.finished.contains_key(&t))?;
                        self.finished.remove(&t);
                    }
                    return Err(ReadError::Completion {
                        offset: BarOffset::new(offset.get() + pos as u64),
                        status,
                    });
                }
            }
        }
        Ok(())
    }
}

/// The requester side: the DMA engine's requests on RQ, the fabric serving them, completions
/// on RC, and the sideband (credits, sequence numbers, MSI-X).
impl Core {
    /// Keeps the model clocking for a while (after a possible doorbell or MSI-X enable).
    fn kick(&mut self) {
        self.dma.kick_until = self.dma.kick_until.max(self.stats.cycles + KICK_CYCLES);
    }

    /// True while the background thread should clock.
    fn wants_clock(&self) -> bool {
        self.failure.is_none()
            && (self.dma.busy
                || self.dma.in_flight()
                || !self.msix.answers.is_empty()
                || self.stats.cycles < self.dma.kick_until
                || self.nvme_busy())
    }

    fn dma_summary(&self) -> String {
        format!(
            "engine busy {}, {} RQ read(s) outstanding [{}], {} completion(s) queued for RC, {} P2P read(s) at the completer, RQ packet half received: {}",
            self.dma.busy,
            self.dma.rc.table().len(),
            {
                let mut t: Vec<String> = self
                    .dma
                    .rc
                    .table()
                    .entries()
                    .map(|(_, e)| e.request.describe())
                    .collect();
                t.sort_unstable();
                t.join(", ")
            },
            self.dma.rc.len(),
            self.dma.p2p.len(),
            self.dma.rq.in_packet()
        )
    }

    /// Inputs of the requester side for this cycle.
    fn drive_requester_side(&mut self, now: u64) {
        let dma = &mut self.dma;
        self.inputs.rq_tready = u8::from(dma.rq_rng.percent(dma.rq_ready_percent));
        if let Some(capture) = &mut self.rc_capture {
            while let Some(beat) = dma.rc.head(now) {
                capture.push(beat.clone());
                dma.rc.accept();
            }
        }
        let rc_gap = !dma.rc_stalled && !dma.rc_rng.percent(dma.rc_valid_percent);
        match dma.rc.head(now).filter(|_| !rc_gap) {
            Some(beat) => {
                self.inputs.rc_tdata = beat.data;
                self.inputs.rc_tkeep = beat.keep;
                self.inputs.rc_tlast = u8::from(beat.last);
                self.inputs.rc_tuser = beat.user;
                self.inputs.rc_tvalid = 1;
            }
            None => {
                self.inputs.rc_tvalid = 0;
                self.inputs.rc_tkeep = 0;
                self.inputs.rc_tlast = 0;
                self.inputs.rc_tuser = [0; 3];
            }
        }
        // Sequence-number echoes: up to two per cycle.
        self.inputs.rq_seq_num_vld0 = 0;
        self.inputs.rq_seq_num_vld1 = 0;
        if dma.seq_echo.front().is_some_and(|e| e.0 <= now) {
            let (_, s) = dma.seq_echo.pop_front().expect("echo");
            self.inputs.rq_seq_num0 = s;
            self.inputs.rq_seq_num_vld0 = 1;
            if dma.seq_echo.front().is_some_and(|e| e.0 <= now) {
                let (_, s) = dma.seq_echo.pop_front().expect("echo");
                self.inputs.rq_seq_num1 = s;
                self.inputs.rq_seq_num_vld1 = 1;
            }
        }
        // Flow-control credits (4-bit fields saturate at 15).
        while dma.nph_used.front().is_some_and(|&t| t <= now) {
            dma.nph_used.pop_front();
        }
        let nph = NPH_CREDITS.saturating_sub(dma.nph_used.len()).min(15);
        self.inputs.tfc_nph_av = nph as u8;
        self.inputs.tfc_npd_av = 15;
        // MSI-X answers (one-cycle pulses).
        self.inputs.msix_sent = 0;
        self.inputs.msix_fail = 0;
        if self.msix.answers.front().is_some_and(|a| a.0 <= now) {
            let (_, sent) = self.msix.answers.pop_front().expect("answer");
            self.inputs.msix_sent = u8::from(sent);
            self.inputs.msix_fail = u8::from(!sent);
        }
    }

    /// Handshakes and outputs of the requester side after a cycle.
    fn sample_requester_side(&mut self, now: u64, out: &RtlOutputs) {
        if out.rq_tvalid == 1 && self.inputs.rq_tready == 1 {
            self.dma.last_progress = now;
            self.kick();
            let beat = RqBeat {
                data: out.rq_tdata,
                keep: out.rq_tkeep,
                last: out.rq_tlast == 1,
                user: out.rq_tuser,
            };
            self.accept_rq_beat(now, &beat);
        }
        self.dma.rc_stalled = self.inputs.rc_tvalid == 1 && out.rc_tready & 1 == 0;
        if self.inputs.rc_tvalid == 1 && out.rc_tready & 1 == 1 {
            self.dma.last_progress = now;
            self.kick();
            if self.inputs.rc_tlast == 1 {
                self.stats.rc_completions += 1;
            }
            self.dma.rc.accept();
        }
        self.sample_msix_interface(now, out);
        self.dma.busy = rtl_dma_busy(out);
        let active = self.dma.busy || self.dma.in_flight();
        if active {
            self.stats.dma_active_cycles += 1;
        }
        if !active {
            self.dma.last_progress = now;
        } else if now - self.dma.last_progress > self.dma.hang_cycles && self.failure.is_none() {
            let why = format!(
                "DMA: no RQ or RC progress for {} cycles ({})",
                self.dma.hang_cycles,
                self.dma_summary()
            );
            self.fail(why);
        }
    }

    fn rq_limits(&self) -> RqLimits {
        RqLimits {
            max_payload: u32::from(self.config.max_payload()),
            max_read_req: u32::from(self.config.max_read_request()),
            bus_master: self.config.bus_master(),
            extended_tags: self.config.extended_tags(),
        }
    }

    /// Feeds one RQ beat to the checker (RQ handshake happened) and serves a complete request.
    fn accept_rq_beat(&mut self, now: u64, beat: &RqBeat) {
        let limits = self.rq_limits();
        let DmaSide { rq, rc, .. } = &mut self.dma;
        match rq.push(beat, limits, |t| rc.table().holds(t)) {
            Ok(Some(req)) => {
                self.stats.rq_requests += 1;
                self.dma
                    .seq_echo
                    .push_back((now + SEQ_ECHO_CYCLES, req.seq_num));
                self.dispatch(now, req);
            }
            Ok(None) => {}
            Err(why) => self.fail(why),
        }
    }

    /// Where the endpoint's own BARs are on the fabric (config space may have moved them).
    fn refresh_peer_bars(&mut self) {
        let bars = if self.config.memory_enabled() {
            vec![
                PeerBar {
                    device: PeerId::Endpoint,
                    bar: 0,
                    base: self.config.bar0_base(),
                    size_log2: BAR0_SIZE_LOG2,
                },
                PeerBar {
                    device: PeerId::Endpoint,
                    bar: 2,
                    base: self.config.bar2_base(),
                    size_log2: BAR2_SIZE_LOG2,
                },
            ]
        } else {
            Vec::new()
        };
        self.fabric.set_peer_bars(PeerId::Endpoint, &bars);
    }

    /// Serves one checked request of the engine.
    fn dispatch(&mut self, now: u64, req: RqRequest) {
        let requester_id = req.requester_id.unwrap_or(ENDPOINT_ID);
        self.refresh_peer_bars();
        let route = self.fabric.route(req.dw_address);
        if req.kind == RequestType::MemRead {
            self.dma.rc.issue(&req, now);
            self.dma.nph_used.push_back(now + CREDIT_RETURN_CYCLES);
        }
        match (req.kind, route) {
            (RequestType::MemWrite, Route::Memory) => {
                // A fault is recorded by the fabric; the write is dropped.
                let _ = self.fabric.write(&req.write_runs(), requester_id);
            }
            (RequestType::MemWrite, Route::Msi) => self.msi_write(&req),
            (_, Route::Peer { bar, .. }) => self.p2p_request(&req, bar, requester_id),
            (_, Route::Memory) => {
                let answer = ReadAnswer::for_request(&req, requester_id, HOST_REQUESTER_ID);
                let len = if answer.zero_length {
                    0
                } else {
                    u64::from(answer.byte_count)
                };
                let fault = self.dma.take_read_fault(answer.first_byte, len.max(1));
                let mut packets = match fault {
                    Some(ReadFault::UnsupportedRequest) => vec![answer.error(STATUS_UR)],
                    Some(ReadFault::CompleterAbort) => vec![answer.error(STATUS_CA)],
                    Some(ReadFault::Dropped) => {
                        // Lost on the link: the engine times the read out, and the block keeps
                        // the tag until its own completion timeout reports the read on RC.
                        return;
                    }
                    Some(ReadFault::Poisoned | ReadFault::Duplicated | ReadFault::Late { .. })
                    | None => {
                        match self
                            .fabric
                            .read(answer.first_byte, len, requester_id, req.tag)
                        {
                            Ok(data) => answer.split(
                                &data,
                                u32::from(self.config.max_payload()),
                                u32::from(self.config.rcb()),
                                self.dma.split_rng.as_mut(),
                            ),
                            Err(_) => vec![answer.error(STATUS_UR)],
                        }
                    }
                };
                if fault == Some(ReadFault::Poisoned) {
                    for p in &mut packets {
                        p.desc.poisoned = true;
                    }
                }
                // Copies on the link: the Split Completion Table matches them to whatever read
                // holds the tag when they arrive.
                let copies = if fault == Some(ReadFault::Duplicated) {
                    packets.clone()
                } else {
                    Vec::new()
                };
                let jitter = if self.dma.reorder && self.dma.latency >= 2 {
                    self.dma.jitter_rng.below(self.dma.latency / 2)
                } else {
                    0
                };
                let delay = match fault {
                    Some(ReadFault::Late { cycles }) => cycles,
                    _ => 0,
                };
                let ready = now + self.dma.latency + jitter + delay;
                self.dma.rc.push(req.tag, ready, packets);
                if !copies.is_empty() {
                    // Queued behind the genuine completions of the same tag.
                    self.dma.rc.push(req.tag, ready + DUPLICATE_DELAY, copies);
                }
            }
            (_, Route::Msi) => {
                self.fabric.record_fault(DmaFault {
                    address: req.first_byte(),
                    len: u64::from(req.byte_count()),
                    direction: DmaDirection::Read,
                    requester_id,
                    tag: Some(req.tag),
                    reason: "read of the MSI window",
                });
                let answer = ReadAnswer::for_request(&req, requester_id, HOST_REQUESTER_ID);
                self.dma.rc.push(
                    req.tag,
                    now + self.dma.latency,
                    vec![answer.error(STATUS_UR)],
                );
            }
        }
    }

    /// Delivers an engine request that targets a BAR on the fabric to that device.
    fn p2p_request(&mut self, req: &RqRequest, bar: PeerBar, requester_id: u16) {
        self.stats.p2p_requests += 1;
        match bar.device {
            PeerId::Nvme => self.nvme_p2p_request(req, bar, requester_id),
            PeerId::Endpoint => {
                // The endpoint's own completer, through CQ, with the fabric's tag space.
                let tag = loop {
                    let t = self.dma.next_p2p_tag;
                    self.dma.next_p2p_tag = t.wrapping_add(1);
                    if !self.pending.contains_key(&(ENDPOINT_ID, t)) {
                        break t;
                    }
                };
                let request = Request {
                    kind: req.kind,
                    bar_id: bar.bar,
                    bar_aperture: bar.size_log2 as u8,
                    dw_address: req.dw_address,
                    dw_count: req.dw_count,
                    first_be: req.first_be,
                    last_be: req.last_be,
                    requester_id: ENDPOINT_ID,
                    tag,
                    traffic_class: req.traffic_class,
                    attr: req.attr,
                    payload: req.payload.clone(),
                };
                self.push_cq(&request);
                if req.kind == RequestType::MemRead {
                    self.pending
                        .insert((ENDPOINT_ID, tag), PendingRead::new(request));
                    self.dma.p2p.insert(
                        tag,
                        P2pRead {
                            answer: ReadAnswer::for_request(req, requester_id, ENDPOINT_ID),
                        },
                    );
                }
            }
        }
    }

    /// Turns one (already checked) CC completion of a P2P read into an RC completion of the
    /// engine read it serves, with the engine's tag.
    fn forward_p2p_completion(
        &mut self,
        d: &CcDescriptor,
        next_address: u64,
        payload: &[u32],
        done: bool,
    ) {
        let Some(p2p) = self.dma.p2p.get(&d.tag) else {
            return;
        };
        let answer = p2p.answer.clone();
        if done {
            self.dma.p2p.remove(&d.tag);
        }
        let packet = if d.status == STATUS_SC {
            let skew = (next_address & 3) as u32;
            let bytes = if answer.zero_length {
                0
            } else {
                (u32::from(d.dw_count) * 4 - skew).min(u32::from(d.byte_count))
            };
            let desc = RcDescriptor {
                lower_address: (next_address & 0x7f) as u16,
                byte_count: d.byte_count,
                dw_count: d.dw_count,
                status: STATUS_SC,
                tag: answer.tag,
                requester_id: answer.requester_id,
                completer_id: answer.completer_id,
                traffic_class: answer.traffic_class,
                attr: answer.attr,
                ..RcDescriptor::default()
            };
            RcPacket::data(desc, payload.to_vec(), next_address, bytes)
        } else {
            let mut p = answer.error(d.status);
            p.desc.byte_count = d.byte_count;
            p
        };
        let now = self.stats.cycles;
        self.dma.rc.push(answer.tag, now, vec![packet]);
    }

    /// A MemWr into the MSI window: must be a well-formed message matching an enabled vector.
    fn msi_write(&mut self, req: &RqRequest) {
        let what = format!("MSI-X write ({})", req.describe());
        if req.dw_count != 1 || req.first_be != 0xf || req.last_be != 0 {
            return self.fail(format!(
                "{what}: an MSI-X message is one DWORD with all bytes enabled (first_be {:#x}, last_be {:#x})",
                req.first_be, req.last_be
            ));
        }
        let data = req.payload.first().copied().unwrap_or(0);
        self.deliver_msix(&what, req.dw_address, data);
    }

    fn deliver_msix(&mut self, what: &str, address: u64, data: u32) -> bool {
        if !self.config.msix_enabled() {
            self.fail(format!(
                "{what}: MSI-X is disabled in config space (Message Control bit 15)"
            ));
            return false;
        }
        if self.config.msix_function_masked() {
            self.fail(format!(
                "{what}: MSI-X Function Mask is set; the message must be held pending"
            ));
            return false;
        }
        let Some(vector) = self
            .msix
            .table
            .iter()
            .position(|&(a, d)| a == address && d == data)
        else {
            self.fail(format!(
                "{what}: address {address:#x} / data {data:#x} match no enabled MSI-X table entry {:x?}",
                self.msix.table
            ));
            return false;
        };
        let msix = &mut self.msix;
        let lost = if msix.lose_next > 0 {
            msix.lose_next -= 1;
            true
        } else {
            msix.loss_percent > 0 && msix.loss_rng.percent(msix.loss_percent)
        };
        if lost {
            // Fault injection: the message was sent and accepted, and the host never sees it.
            self.stats.interrupts_lost += 1;
            return true;
        }
        self.stats.interrupts += 1;
        if let Some(tx) = &self.msix.sender {
            // The receiver may be gone; the interrupt is then lost, as on hardware.
            let _ = tx.send(vector as u16);
        }
        true
    }

    /// The block's `cfg_interrupt_msix_*` interface (the RTL may signal interrupts this way
    /// instead of a MemWr): an interrupt is a rising edge of `msix_int`, answered with a
    /// `sent` pulse (or `fail` when MSI-X is disabled or masked) two cycles later.
    fn sample_msix_interface(&mut self, now: u64, out: &RtlOutputs) {
        let int = out.msix_int & 1 == 1;
        let rising = int && !self.msix.int_prev;
        self.msix.int_prev = int;
        if !rising {
            return;
        }
        let deliverable = self.config.msix_enabled() && !self.config.msix_function_masked();
        if deliverable {
            let what = "cfg_interrupt_msix_int".to_string();
            self.deliver_msix(&what, out.msix_address, out.msix_data);
        }
        self.msix
            .answers
            .push_back((now + MSIX_SENT_CYCLES, deliverable));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::requester::rq_beats;
    use crate::tlp::dword_span;

    fn dev() -> SimDevice {
        SimDevice::new(SimConfig::default()).expect("simulation")
    }

    fn rq(kind: RequestType, addr: u64, len: u64, tag: u8, data: &[u8]) -> RqRequest {
        let (dw_address, dw_count, first_be, last_be) = dword_span(addr, len);
        let mut payload = Vec::new();
        if kind == RequestType::MemWrite {
            let skew = (addr & 3) as usize;
            let mut bytes = vec![0u8; usize::from(dw_count) * 4];
            bytes[skew..skew + data.len()].copy_from_slice(data);
            payload = bytes
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
        }
        RqRequest {
            kind,
            dw_address,
            dw_count,
            first_be,
            last_be,
            requester_id: None,
            tag,
            traffic_class: 0,
            attr: 0,
            seq_num: tag & 0x3f,
            payload,
        }
    }

    impl Core {
        /// Feeds a request as if the RTL had sent it on RQ.
        fn inject_rq(&mut self, req: &RqRequest) {
            let now = self.stats.cycles;
            for beat in rq_beats(req) {
                self.accept_rq_beat(now, &beat);
            }
        }
    }

    /// Splits captured RC beats into packets (descriptor + payload DWORDs + payload BEs).
    fn rc_packets(beats: &[Beat]) -> Vec<(RcDescriptor, Vec<u32>, Vec<u8>)> {
        let mut out = Vec::new();
        let mut dws: Vec<(u32, u8)> = Vec::new();
        for b in beats {
            for i in 0..b.keep.count_ones() as usize {
                let be = ((b.user[0] >> (4 * i)) & 0xf) as u8;
                dws.push((b.data[i], be));
            }
            if b.last {
                let d = RcDescriptor::decode([dws[0].0, dws[1].0, dws[2].0]);
                let payload = dws[3..].iter().map(|x| x.0).collect();
                let bes = dws[3..].iter().map(|x| x.1).collect();
                out.push((d, payload, bes));
                dws.clear();
            }
        }
        out
    }

    /// The bytes of one tag's completions, checking the RC fields on the way.
    fn rc_bytes(packets: &[(RcDescriptor, Vec<u32>, Vec<u8>)], tag: u8) -> Vec<u8> {
        let mut out = Vec::new();
        let mine: Vec<_> = packets.iter().filter(|p| p.0.tag == tag).collect();
        for (i, (d, payload, bes)) in mine.iter().enumerate() {
            assert_eq!(d.status, STATUS_SC, "{d:?}");
            assert_eq!(d.request_completed, i + 1 == mine.len(), "{d:?}");
            assert_eq!(usize::from(d.dw_count), payload.len());
            for (dw, be) in payload.iter().zip(bes) {
                for b in 0..4 {
                    if be & (1 << b) != 0 {
                        out.push(dw.to_le_bytes()[b]);
                    }
                }
            }
        }
        out
    }

    fn run(dev: &SimDevice, cycles: u64) {
        let mut core = dev.lock().unwrap();
        for _ in 0..cycles {
            core.clock();
        }
    }

    #[repr(C, align(4096))]
    struct Page([u8; 4096]);

    /// Queue 0 with 16-entry SQ and CQ rings at `sq` and `cq`, its QUEUE_CONTROL = `control`,
    /// and the engine enabled.
    fn start_queue0(dev: &SimDevice, sq: u64, cq: u64, control: u32) {
        let w = |off: u64, v: u32| {
            dev.bar_write32(BarIndex::BAR0, BarOffset::new(off), v)
                .unwrap()
        };
        w(0x1000, sq as u32);
        w(0x1004, (sq >> 32) as u32);
        w(0x1008, cq as u32);
        w(0x100c, (cq >> 32) as u32);
        w(0x1010, 15 | (15 << 16));
        w(0x1014, control);
        w(0x040, 1);
    }

    #[test]
    fn p2p_read_of_bar2_comes_back_on_rc_through_the_real_completer() {
        let dev = dev();
        let pattern: Vec<u8> = (0..2048u32).map(|i| (i * 13 + 1) as u8).collect();
        dev.bar_write(BarIndex::BAR2, BarOffset::new(0x1000), &pattern)
            .unwrap();
        let bar2 = dev.bar_bus_addr(BarIndex::BAR2).unwrap().get();
        {
            let mut core = dev.lock().unwrap();
            core.rc_capture = Some(Vec::new());
            // Two reads in flight, the first unaligned at both ends.
            core.inject_rq(&rq(RequestType::MemRead, bar2 + 0x1003, 509, 5, &[]));
            core.inject_rq(&rq(RequestType::MemRead, bar2 + 0x1200, 512, 6, &[]));
        }
        dev.run_dma_until_idle(100_000).unwrap();
        let mut core = dev.lock().unwrap();
        let beats = core.rc_capture.take().unwrap();
        let packets = rc_packets(&beats);
        assert!(packets.len() >= 4, "split at MPS 256: {}", packets.len());
        for (d, _, _) in &packets {
            assert_eq!(d.requester_id, ENDPOINT_ID);
            assert_eq!(d.completer_id, ENDPOINT_ID);
        }
        assert_eq!(rc_bytes(&packets, 5), &pattern[3..512]);
        assert_eq!(rc_bytes(&packets, 6), &pattern[0x200..0x400]);
        let first = packets.iter().find(|p| p.0.tag == 5).unwrap();
        assert_eq!((first.0.lower_address, first.0.byte_count), (0x003, 509));
        assert!(core.dma.rc.table().is_empty() && core.dma.p2p.is_empty());
        assert_eq!(core.stats.p2p_requests, 2);
        // A P2P write lands in BAR2.
        core.inject_rq(&rq(RequestType::MemWrite, bar2 + 0x2001, 6, 7, b"peerbr"));
        drop(core);
        dev.run_dma_until_idle(100_000).unwrap();
        let mut got = [0u8; 6];
        dev.bar_read(BarIndex::BAR2, BarOffset::new(0x2001), &mut got)
            .unwrap();
        assert_eq!(&got, b"peerbr");
        // Past the end of BAR2's window is host memory, not mapped: a fault and UR.
        assert!(dev.faults().is_empty());
    }

    #[test]
    fn host_memory_through_the_iommu_and_faults() {
        let dev = dev();
        let mut page = Box::new(Page([0; 4096]));
        for (i, b) in page.0.iter_mut().enumerate() {
            *b = (i % 251) as u8;
        }
        let iova = 0x1_2345_6000u64;
        let host = page.0.as_mut_ptr();
        // SAFETY: `page` stays allocated until the unmap at the end of the test.
        unsafe { dev.map_dma(host, 4096, BusAddr::new(iova)).unwrap() };
        {
            let mut core = dev.lock().unwrap();
            core.rc_capture = Some(Vec::new());
            core.inject_rq(&rq(RequestType::MemWrite, iova + 0x10, 5, 0, b"hello"));
            core.inject_rq(&rq(RequestType::MemRead, iova + 0x7e, 300, 1, &[]));
            // Unmapped read and write: UR and a dropped write.
            core.inject_rq(&rq(RequestType::MemRead, iova + 0x1000, 8, 2, &[]));
            core.inject_rq(&rq(RequestType::MemWrite, iova + 0x1ffe, 2, 3, b"no"));
        }
        dev.run_dma_until_idle(100_000).unwrap();
        let beats = dev.lock().unwrap().rc_capture.take().unwrap();
        let packets = rc_packets(&beats);
        let mut expect = Vec::new();
        for i in 0x7e..0x7e + 300 {
            expect.push(if (0x10..0x15).contains(&i) {
                b"hello"[i - 0x10]
            } else {
                (i % 251) as u8
            });
        }
        assert_eq!(rc_bytes(&packets, 1), expect);
        let ur = packets.iter().find(|p| p.0.tag == 2).unwrap();
        assert_eq!(
            (ur.0.status, ur.0.error_code),
            (STATUS_UR, crate::requester::RC_ERROR_STATUS)
        );
        assert!(ur.0.request_completed && ur.1.is_empty());
        let faults = dev.take_faults();
        assert_eq!(faults.len(), 2, "{faults:?}");
        assert_eq!(
            (faults[0].address, faults[0].direction, faults[0].tag),
            (iova + 0x1000, DmaDirection::Read, Some(2))
        );
        assert_eq!(
            (faults[1].address, faults[1].len, faults[1].direction),
            (iova + 0x1ffe, 2, DmaDirection::Write)
        );
        assert_eq!(faults[1].requester_id, ENDPOINT_ID);
        dev.unmap_dma(BusAddr::new(iova), 4096).unwrap();
        assert_eq!(&page.0[0x10..0x15], b"hello");
        assert!(dev.failure().is_none());
    }

    #[test]
    fn msix_messages_reach_the_channel_and_bad_ones_fail() {
        let dev = dev();
        assert_eq!(dev.config_read16(CAP_MSIX + 2).unwrap() & 0x8000, 0);
        let rx = dev.enable_msix(4).unwrap();
        assert_eq!(dev.config_read16(CAP_MSIX + 2).unwrap() & 0xc000, 0x8000);
        {
            // The clock thread may already have run the cycle that drives the
            // enable into the RTL; one more cycle under the lock makes it certain.
            let mut core = dev.lock().unwrap();
            core.clock();
            assert_eq!(core.inputs.msix_enable, 1);
            let mut msg = rq(RequestType::MemWrite, MSI_RANGE.start + 0x20, 4, 0, &[]);
            msg.payload = vec![2];
            core.inject_rq(&msg);
        }
        assert_eq!(rx.try_recv(), Ok(2));
        assert_eq!(dev.stats().interrupts, 1);
        {
            let mut core = dev.lock().unwrap();
            let mut msg = rq(RequestType::MemWrite, MSI_RANGE.start + 0x20, 4, 0, &[]);
            msg.payload = vec![3];
            core.inject_rq(&msg);
        }
        let why = dev.failure().expect("sticky failure");
        assert!(why.contains("match no enabled MSI-X table entry"), "{why}");
        assert!(dev.bar_read32(BarIndex::BAR0, BarOffset::new(0)).is_err());
        dev.disable_msix().unwrap();
        assert!(rx.recv().is_err(), "disconnected");
    }

    #[test]
    fn rq_rule_violation_poisons_the_simulation() {
        let dev = dev();
        {
            let mut core = dev.lock().unwrap();
            core.inject_rq(&rq(RequestType::MemRead, 0x1_0000_0f00, 512, 9, &[]));
        }
        let err = dev
            .bar_read32(BarIndex::BAR0, BarOffset::new(0))
            .unwrap_err();
        let msg = format!("{:?}", err);
        assert!(msg.contains("crosses a 4 KiB boundary"), "{msg}");
        assert!(msg.contains("tag 0x09"), "{msg}");
    }

    #[test]
    fn bus_master_disabled_is_a_named_failure() {
        let dev = dev();
        let cmd = dev.config_read16(4).unwrap();
        dev.config_write(4, &(cmd & !4).to_le_bytes()).unwrap();
        dev.lock()
            .unwrap()
            .inject_rq(&rq(RequestType::MemWrite, 0x1_0000_0000, 4, 0, b"abcd"));
        assert!(dev.failure().unwrap().contains("bus mastering is disabled"));
    }

    #[test]
    fn background_thread_serves_dma_without_mmio_and_then_sleeps() {
        let dev = SimDevice::new(SimConfig {
            rc_latency_cycles: 2000,
            ..SimConfig::default()
        })
        .unwrap();
        let mut page = Box::new(Page([7; 4096]));
        // SAFETY: `page` outlives the mapping (unmapped below before it drops).
        unsafe {
            dev.map_dma(page.0.as_mut_ptr(), 4096, BusAddr::new(0x20_0000))
                .unwrap()
        };
        {
            let mut core = dev.lock().unwrap();
            core.rc_capture = Some(Vec::new());
            core.inject_rq(&rq(RequestType::MemRead, 0x20_0000, 64, 1, &[]));
        }
        dev.wake();
        let start = std::time::Instant::now();
        loop {
            let done = dev
                .lock()
                .unwrap()
                .rc_capture
                .as_ref()
                .is_some_and(|c| c.iter().any(|b| b.last));
            if done {
                break;
            }
            assert!(
                start.elapsed().as_secs() < 20,
                "background thread did not clock"
            );
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        // It goes idle once the grace period is over, and stops clocking.
        let start = std::time::Instant::now();
        while dev.lock().unwrap().wants_clock() {
            assert!(start.elapsed().as_secs() < 20, "never idle");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let c0 = dev.stats().cycles;
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(dev.stats().cycles, c0, "idle simulation does not clock");
        dev.unmap_dma(BusAddr::new(0x20_0000), 4096).unwrap();
        drop(page);
        // Dropping the last clone stops the thread (the test would hang on join otherwise).
        let clone = dev.clone();
        drop(dev);
        drop(clone);
    }

    #[test]
    fn reset_drops_in_flight_dma_and_hang_is_detected() {
        let dev = SimDevice::new(SimConfig {
            dma_hang_cycles: 5_000,
            ..SimConfig::default()
        })
        .unwrap();
        {
            let mut core = dev.lock().unwrap();
            core.inject_rq(&rq(RequestType::MemRead, 0x20_0000, 64, 1, &[]));
            assert!(core.wants_clock());
        }
        dev.reset().unwrap();
        assert!(!dev.lock().unwrap().dma.in_flight());
        // A completion the RTL never takes (rc_tready is never low in this RTL, so simulate a
        // stuck engine read by an outstanding tag with nothing queued).
        {
            let mut core = dev.lock().unwrap();
            let req = rq(RequestType::MemRead, 0x20_0000, 64, 2, &[]);
            core.dma.rc.issue(&req, 0);
        }
        run(&dev, 6_000);
        let why = dev.failure().expect("hang recorded");
        assert!(why.contains("no RQ or RC progress"), "{why}");
        assert!(why.contains("MemRead of 16 DW"), "{why}");
    }

    /// Both FLR paths reset the RTL (SCRATCH, a plain rw register, reads 0 again). Initiated in
    /// config space, the function also loses its config (decoding off, BARs 0) until the host
    /// restores it; `Device::reset` restores config space and the MSI-X table as the OS does.
    #[test]
    fn flr_resets_the_rtl_and_device_reset_restores_what_the_os_restores() {
        const SCRATCH: BarOffset = BarOffset::new(0x18);
        let devctl = crate::config_space::CAP_PCIE + 0x08;
        let dev = dev();
        dev.bar_write32(BarIndex::BAR0, SCRATCH, 0x1234_5678)
            .unwrap();
        let mut saved = [0u8; 0x40];
        dev.config_read(0, &mut saved).unwrap();
        let d = dev.config_read16(devctl).unwrap();
        dev.config_write(devctl, &(d | 1 << 15).to_le_bytes())
            .unwrap();
        assert_eq!(dev.stats().function_resets, 1);
        assert!(
            dev.bar_read32(BarIndex::BAR0, SCRATCH).is_err(),
            "decoding is off"
        );
        assert_eq!(dev.config_read16(0x04).unwrap() & 0x6, 0);
        for offset in [0x10u16, 0x18, 0x1c, 0x04] {
            let at = usize::from(offset);
            dev.config_write(offset, &saved[at..at + 4]).unwrap();
        }
        assert_eq!(dev.bar_read32(BarIndex::BAR0, SCRATCH).unwrap(), 0);

        dev.bar_write32(BarIndex::BAR0, SCRATCH, 0x1234_5678)
            .unwrap();
        let _rx = dev.enable_msix(2).unwrap();
        dev.reset().unwrap();
        assert_eq!(dev.stats().function_resets, 2);
        assert_eq!(dev.bar_read32(BarIndex::BAR0, SCRATCH).unwrap(), 0);
        // The table was written back: entry 1 unmasked with its address and data.
        let entry = u64::from(MSIX_TABLE_OFFSET) + 16;
        let at = |o: u64| BarOffset::new(entry + o);
        assert_eq!(
            dev.bar_read32(BarIndex::BAR0, at(0)).unwrap(),
            msix_address(1) as u32
        );
        assert_eq!(dev.bar_read32(BarIndex::BAR0, at(8)).unwrap(), 1);
        assert_eq!(dev.bar_read32(BarIndex::BAR0, at(12)).unwrap(), 0);
        assert!(dev.config_read16(CAP_MSIX + 2).unwrap() & (1 << 15) != 0);
    }

    /// An FLR in the middle of a PULL goes through the board wrapper: the model raises
    /// cfg_flr_in_process[0], the wrapper resets the user logic and answers cfg_flr_done[0] in
    /// the FLR_HOLD_CYCLES + 2-th cycle; the engine's traffic and registers are gone after it.
    #[test]
    fn flr_during_dma_resets_the_user_logic_through_the_wrapper() {
        use crate::rtl::{FLR_HOLD_CYCLES, LED_LINK_UP, LED_RESET_HELD};
        let dev = dev();
        assert_eq!(dev.leds() & (LED_LINK_UP | LED_RESET_HELD), LED_LINK_UP);
        let mut mem: Vec<Page> = (0..6).map(|_| Page([0; 4096])).collect();
        let iova = 0x1_0000_0000u64;
        // SAFETY: `mem` stays allocated until the unmap at the end.
        unsafe {
            dev.map_dma(mem.as_mut_ptr().cast(), 6 * 4096, BusAddr::new(iova))
                .unwrap()
        };
        let w = |off: u64, v: u32| {
            dev.bar_write32(BarIndex::BAR0, BarOffset::new(off), v)
                .unwrap()
        };
        let (sq, cq, data) = (iova, iova + 0x1000, iova + 0x2000);
        start_queue0(&dev, sq, cq, 1 | (3 << 8));
        // SQ entry 0: PULL 16 KiB of host memory to BAR2 0.
        let e0 = &mut mem[0].0[..64];
        e0[0] = 0x01;
        e0[16..20].copy_from_slice(&0x4000u32.to_le_bytes());
        e0[24..32].copy_from_slice(&data.to_le_bytes());
        e0[32..36].copy_from_slice(&0x4000u32.to_le_bytes());
        w(0x101c, 1);
        // Clock until the engine's reads are on the link and their data is coming back.
        let in_flight = (0..200).any(|_| {
            run(&dev, 20);
            let core = dev.lock().unwrap();
            core.stats.rc_completions > 0 && core.dma.in_flight()
        });
        assert!(in_flight, "the PULL never got going");
        let devctl = crate::config_space::CAP_PCIE + 0x08;
        let mut saved = [0u8; 0x40];
        dev.config_read(0, &mut saved).unwrap();
        let d = dev.config_read16(devctl).unwrap();
        dev.config_write(devctl, &(d | 1 << 15).to_le_bytes())
            .unwrap();
        let stats = dev.stats();
        assert_eq!(stats.function_resets, 1);
        assert_eq!(stats.flr_done_cycles, u64::from(FLR_HOLD_CYCLES) + 2);
        assert!(dev.failure().is_none(), "{:?}", dev.failure());
        assert!(!dev.lock().unwrap().dma.in_flight());
        assert_eq!(dev.leds() & (LED_LINK_UP | LED_RESET_HELD), LED_LINK_UP);
        for offset in [0x10u16, 0x18, 0x1c, 0x04] {
            let at = usize::from(offset);
            dev.config_write(offset, &saved[at..at + 4]).unwrap();
        }
        // The queue's registers are back at reset: the engine forgot the PULL.
        assert_eq!(
            dev.bar_read32(BarIndex::BAR0, BarOffset::new(0x1000))
                .unwrap(),
            0
        );
        assert_eq!(
            dev.bar_read32(BarIndex::BAR0, BarOffset::new(0x1014))
                .unwrap(),
            0
        );
        run(&dev, 1_000);
        assert!(dev.failure().is_none(), "{:?}", dev.failure());
        dev.unmap_dma(BusAddr::new(iova), 6 * 4096).unwrap();
    }

    /// A user side that never answers cfg_flr_done is a rule failure, not a hang. The wrapper's
    /// FLR logic is held in reset by user_reset, so with user_reset high it cannot answer.
    #[test]
    fn an_unanswered_flr_is_a_rule_failure() {
        let dev = dev();
        {
            let mut core = dev.lock().unwrap();
            core.inputs.user_reset = 1;
            core.function_level_reset();
            assert_eq!(core.inputs.cfg_flr_in_process, 0, "dropped after the bound");
        }
        let why = dev.failure().expect("rule failure recorded");
        assert!(why.contains("did not answer function 0's FLR"), "{why}");
        assert!(why.contains(&FLR_DONE_LIMIT_CYCLES.to_string()), "{why}");
    }

    /// End to end through the engine (when the RTL has one): a NOP with an interrupt, and a
    /// PULL of host memory into BAR2 with a Data Block SGL.
    #[test]
    fn engine_nop_and_pull_through_the_model() {
        let dev = dev();
        let caps = dev
            .bar_read32(BarIndex::BAR0, BarOffset::new(0x08))
            .unwrap();
        if caps & (1 << 16) == 0 {
            eprintln!("no DMA engine in this RTL build; skipped");
            return;
        }
        let mut mem: Vec<Page> = (0..4).map(|_| Page([0; 4096])).collect();
        let iova = 0x1_0000_0000u64;
        // SAFETY: `mem` stays allocated until the unmap at the end.
        unsafe {
            dev.map_dma(mem.as_mut_ptr().cast(), 4 * 4096, BusAddr::new(iova))
                .unwrap()
        };
        let rx = dev.enable_msix(4).unwrap();
        let w = |off: u64, v: u32| {
            dev.bar_write32(BarIndex::BAR0, BarOffset::new(off), v)
                .unwrap()
        };
        let (sq, cq, data) = (iova, iova + 0x1000, iova + 0x2000);
        start_queue0(&dev, sq, cq, 1 | 2 | (3 << 8));
        // SQ entry 0: NOP with interrupt, CID 0x1234; entry 1: PULL 300 bytes to BAR2 0x100.
        mem[0].0[0] = 0x00;
        mem[0].0[1] = 0x01;
        mem[0].0[2..4].copy_from_slice(&0x1234u16.to_le_bytes());
        let e1 = &mut mem[0].0[64..128];
        e1[0] = 0x01;
        e1[2..4].copy_from_slice(&0x5678u16.to_le_bytes());
        e1[8..16].copy_from_slice(&0x100u64.to_le_bytes());
        e1[16..20].copy_from_slice(&300u32.to_le_bytes());
        e1[24..32].copy_from_slice(&(data + 3).to_le_bytes());
        e1[32..36].copy_from_slice(&300u32.to_le_bytes());
        e1[39] = 0x00; // Data Block
        for (i, b) in mem[2].0.iter_mut().enumerate() {
            *b = (i * 5 + 1) as u8;
        }
        w(0x101c, 2);
        dev.run_dma_until_idle(2_000_000).unwrap();
        let cqe = |i: usize| mem[1].0[16 * i..16 * i + 16].to_vec();
        let c0 = cqe(0);
        let c1 = cqe(1);
        eprintln!("CQ entries: {c0:02x?} {c1:02x?}, faults {:?}", dev.faults());
        assert_eq!(u16::from_le_bytes([c0[12], c0[13]]), 0x1234);
        assert_eq!(u16::from_le_bytes([c0[14], c0[15]]), 1, "phase 1, success");
        assert_eq!(rx.try_recv(), Ok(3));
        assert_eq!(u16::from_le_bytes([c1[12], c1[13]]), 0x5678);
        assert_eq!(u16::from_le_bytes([c1[14], c1[15]]), 1, "phase 1, success");
        let mut got = vec![0u8; 300];
        dev.bar_read(BarIndex::BAR2, BarOffset::new(0x100), &mut got)
            .unwrap();
        assert_eq!(got, &mem[2].0[3..303]);
        assert!(dev.faults().is_empty());
        dev.unmap_dma(BusAddr::new(iova), 4 * 4096).unwrap();
    }

    #[test]
    fn mapping_api_and_bar_addresses() {
        let dev = dev();
        assert_eq!(dev.iova_ranges().unwrap(), IOVA_RANGES.to_vec());
        assert_eq!(
            dev.bar_bus_addr(BarIndex::BAR0).unwrap().get(),
            crate::config_space::BAR0_BASE
        );
        assert_eq!(
            dev.bar_bus_addr(BarIndex::BAR2).unwrap().get(),
            crate::config_space::BAR2_BASE
        );
        assert!(dev.bar_bus_addr(BarIndex::new(4).unwrap()).is_err());
        let mut page = Box::new(Page([0; 4096]));
        // SAFETY: refused mappings keep nothing; the accepted one is unmapped before `page` drops.
        unsafe {
            assert!(dev
                .map_dma(page.0.as_mut_ptr(), 4096, BusAddr::new(0xfee0_0000))
                .is_err());
            dev.map_dma(page.0.as_mut_ptr(), 4096, BusAddr::new(0x10_0000))
                .unwrap();
            assert!(dev
                .map_dma(page.0.as_mut_ptr(), 4096, BusAddr::new(0x10_0000))
                .is_err());
        }
        dev.unmap_dma(BusAddr::new(0x10_0000), 4096).unwrap();
        assert!(dev.unmap_dma(BusAddr::new(0x10_0000), 4096).is_err());
        assert!(dev.enable_msix(0).is_err() && dev.enable_msix(9).is_err());
    }
}
