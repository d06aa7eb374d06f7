// SPDX-License-Identifier: MIT OR Apache-2.0
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

use peerbar::{BarIndex, BarOffset, CompletionStatus, Error};

use crate::config_space::ConfigSpace;
use crate::fabric::{Fabric, MSI_RANGE};
use crate::requester::SimRng;
use crate::rtl::{Rtl, RtlInputs, RtlOutputs};
use crate::tlp::{Beat, CcAssembler, PendingRead, ReadOutcome, STATUS_CA, STATUS_CRS, STATUS_UR};
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

mod clock;
mod completer;
mod config;
mod nvme_peer;
mod requester;
mod sim_device;
#[cfg(test)]
mod tests;

use clock::{Clocker, Shared};
pub use config::{RawOutcome, RawRequest, ReadFault, SimConfig, SimStats};
pub use nvme_peer::{SimNvme, NVME_BAR0_BASE, NVME_CMB_BASE, NVME_ID};
use requester::{DmaSide, Msix};
pub use sim_device::SimDevice;

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
