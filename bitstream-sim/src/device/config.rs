// SPDX-License-Identifier: MIT OR Apache-2.0
//! Settings of the simulated endpoint, its counters, and the faults and raw requests tests
//! inject.

use std::path::PathBuf;

use peerbar::CompletionStatus;

use crate::tlp::RequestType;

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
    /// [`SimDevice::lose_next_msix`](super::SimDevice::lose_next_msix)); not counted in `interrupts`.
    pub interrupts_lost: u64,
    /// Function-level resets (config-space FLR or [`Device::reset`](peerbar::device::Device::reset)).
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

/// How an injected fault answers one engine read (see [`SimDevice::inject_read_fault`](super::SimDevice::inject_read_fault)).
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
