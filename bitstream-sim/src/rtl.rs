// SPDX-License-Identifier: MIT OR Apache-2.0
//! The Verilator model of the board wrapper `peerbar_board_top` (hw/board/common) around hw/rtl,
//! one clock cycle per call.
//!
//! build.rs verilates the wrapper with `Bar2SizeLog2 = BAR2_SIZE_LOG2` and the PCIe IP's
//! port-exact stub (whose user side the shim drives and reads), and links it with the C++ shim
//! in `csrc/` (one `VerilatedContext` per model, so models in different threads are
//! independent). The inputs
//! are the IP's user-side outputs (and PERST# at the edge connector), the outputs the IP's
//! user-side inputs (and the LEDs): what the UltraScale+ block sees of the design, so the
//! wrapper's reset and FLR logic sits between this model and `peerbar_top`. Port names follow
//! the block (PG213); tdata/tuser words are little-endian DWORDs (`cq_tdata[0]` =
//! `m_axis_cq_tdata[31:0]`).

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;

/// `verilator --version` of the Verilator that built the model (simulation speed depends on
/// it: benchmarks print it beside their figures).
pub const VERILATOR_VERSION: &str = env!("PEERBAR_VERILATOR_VERSION");

/// log2 of the BAR2 size in bytes the model was verilated with (parameter `Bar2SizeLog2`).
pub const BAR2_SIZE_LOG2: u32 = parse_u32(env!("PEERBAR_BAR2_SIZE_LOG2"));

/// Cycles the board wrapper holds the user logic in reset for an FLR before it answers
/// `cfg_flr_done` (its parameter `FlrHoldCycles`, set by build.rs). The answer comes in the
/// `FLR_HOLD_CYCLES + 2`-th cycle of the FLR: one register stage for the user logic's reset,
/// the hold, one for the answer.
pub const FLR_HOLD_CYCLES: u32 = parse_u32(env!("PEERBAR_FLR_HOLD_CYCLES"));

const fn parse_u32(s: &str) -> u32 {
    let bytes = s.as_bytes();
    let mut value = 0u32;
    let mut i = 0;
    while i < bytes.len() {
        assert!(
            bytes[i].is_ascii_digit(),
            "a build.rs constant is not a number"
        );
        value = value * 10 + (bytes[i] - b'0') as u32;
        i += 1;
    }
    value
}

/// The IP's user-side outputs (and PERST#) for one cycle. Mirrors `PeerbarRtlInputs` in
/// csrc/peerbar_rtl.h.
#[repr(C)]
#[derive(Clone, Default, Debug)]
pub struct RtlInputs {
    /// PERST# at the edge connector, active low (the IP's `sys_reset`). 0 by default: held.
    pub pcie_perst_n: u8,
    pub user_reset: u8,
    pub user_lnk_up: u8,
    // Completer request (m_axis_cq_*)
    pub cq_tdata: [u32; 8],
    pub cq_tkeep: u8,
    pub cq_tlast: u8,
    /// 88 bits: first_be `[3:0]`, last_be `[7:4]`, byte_en `[39:8]`, sop `[40]`, ...
    pub cq_tuser: [u32; 3],
    pub cq_tvalid: u8,
    pub cq_np_req_count: u8,
    /// 1 bit; the shim drives all 4 bits of `s_axis_cc_tready`.
    pub cc_tready: u8,
    /// 1 bit; the shim drives all 4 bits of `s_axis_rq_tready`.
    pub rq_tready: u8,
    // Requester completion (m_axis_rc_*)
    pub rc_tdata: [u32; 8],
    pub rc_tkeep: u8,
    pub rc_tlast: u8,
    /// 75 bits.
    pub rc_tuser: [u32; 3],
    pub rc_tvalid: u8,
    // Configuration status
    /// 0 = 128 B .. 3 = 1024 B.
    pub cfg_max_payload: u8,
    /// 0 = 128 B .. 5 = 4096 B.
    pub cfg_max_read_req: u8,
    /// Bit 2: function 0 bus master enable.
    pub cfg_function_status: u16,
    /// Bit 0: function 0 RCB is 128 B.
    pub cfg_rcb_status: u8,
    /// Bit 0: function 0 is in a Function Level Reset (PG213 `cfg_flr_in_process`).
    pub cfg_flr_in_process: u8,
    // MSI-X (cfg_interrupt_msix_*)
    pub msix_enable: u8,
    pub msix_mask: u8,
    /// The IP's `cfg_interrupt_msi_sent` (PG213: it reports MSI-X messages too).
    pub msix_sent: u8,
    /// The IP's `cfg_interrupt_msi_fail`.
    pub msix_fail: u8,
    // Requester tags, sequence numbers, flow-control credits
    pub rq_tag0: u8,
    pub rq_tag1: u8,
    pub rq_tag_vld0: u8,
    pub rq_tag_vld1: u8,
    pub rq_seq_num0: u8,
    pub rq_seq_num1: u8,
    pub rq_seq_num_vld0: u8,
    pub rq_seq_num_vld1: u8,
    pub tfc_nph_av: u8,
    pub tfc_npd_av: u8,
}

/// The IP's user-side inputs (and the LEDs) during one cycle. Mirrors `PeerbarRtlOutputs` in
/// csrc/peerbar_rtl.h.
#[repr(C)]
#[derive(Clone, Default, Debug)]
pub struct RtlOutputs {
    /// `m_axis_cq_tready` (1 bit on the UltraScale+ block).
    pub cq_tready: u8,
    pub cq_np_req: u8,
    pub cc_tdata: [u32; 8],
    pub cc_tkeep: u8,
    pub cc_tlast: u8,
    /// 33 bits.
    pub cc_tuser: u64,
    pub cc_tvalid: u8,
    pub rq_tdata: [u32; 8],
    pub rq_tkeep: u8,
    pub rq_tlast: u8,
    /// 62 bits.
    pub rq_tuser: u64,
    pub rq_tvalid: u8,
    /// `m_axis_rc_tready` (1 bit).
    pub rc_tready: u8,
    pub msix_int: u8,
    pub msix_data: u32,
    pub msix_address: u64,
    pub msi_function_number: u8,
    /// Bit 0: the wrapper answers function 0's FLR (PG213 `cfg_flr_done`).
    pub cfg_flr_done: u8,
    /// The IP's `sys_reset` input: PERST# as the wrapper passes it on (active low).
    pub sys_reset: u8,
    /// The wrapper's LEDs: see [`LED_LINK_UP`], [`LED_ACTIVITY`], [`LED_RESET_HELD`],
    /// [`LED_HEARTBEAT`].
    pub led: u8,
    /// Not a port: `dma_busy` inside `peerbar_top` (Verilator public_flat_rd). 1 while the DMA
    /// engine has work (a job in flight, an enabled queue with SQ head != tail, a CQ entry or an
    /// MSI-X message pending): the model must keep clocking while it is 1.
    pub dma_busy: u8,
}

/// Failures creating the model.
#[derive(Debug, thiserror::Error)]
pub enum RtlError {
    /// The waveform file cannot be created.
    #[error("cannot create the waveform file {path:?}")]
    TraceCreate {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The waveform path cannot be passed to C (it contains a NUL byte or is not UTF-8).
    #[error("the waveform path {0:?} cannot be passed to Verilator")]
    TracePath(PathBuf),
    /// The C++ side failed to create the model or to open the trace.
    #[error("the Verilator model could not be created (trace: {0:?})")]
    Create(Option<PathBuf>),
}

mod ffi {
    use std::ffi::c_char;

    use super::{RtlInputs, RtlOutputs};

    /// Opaque C++ `PeerbarRtl`.
    #[repr(C)]
    pub struct PeerbarRtl {
        _private: [u8; 0],
    }

    extern "C" {
        pub fn peerbar_rtl_new(trace_path: *const c_char) -> *mut PeerbarRtl;
        pub fn peerbar_rtl_free(rtl: *mut PeerbarRtl);
        pub fn peerbar_rtl_cycle(
            rtl: *mut PeerbarRtl,
            inputs: *const RtlInputs,
            outputs: *mut RtlOutputs,
        );
        pub fn peerbar_rtl_abi_sizes(inputs: *mut usize, outputs: *mut usize);
    }
}

/// LED bits of `peerbar_board_top` (its header comment): PCIe link up (`user_lnk_up`, one cycle
/// late), activity (a beat on CQ/CC/RQ/RC within about 34 ms), the user logic held in reset
/// (`user_reset` or function 0's FLR), heartbeat.
pub const LED_LINK_UP: u8 = 1 << 0;
pub const LED_ACTIVITY: u8 = 1 << 1;
pub const LED_RESET_HELD: u8 = 1 << 2;
pub const LED_HEARTBEAT: u8 = 1 << 3;

/// One Verilator model of `peerbar_board_top`. Dropping it closes the trace and frees the model.
pub struct Rtl {
    model: NonNull<ffi::PeerbarRtl>,
    cycles: u64,
}

// SAFETY: the model is owned exclusively by this value (no other handle exists) and has its own
// VerilatedContext; Verilator models may move between threads as long as one thread at a time
// uses them, which `&mut self` on every call guarantees. Not Sync: the raw pointer keeps it so.
unsafe impl Send for Rtl {}

impl Rtl {
    /// Creates a model. Its registers start at zero (Verilator `--x-initial fast`), as a
    /// bitstream's do after configuration; drive `user_reset` for a few cycles before use.
    /// With `trace`, every cycle is written to that FST file (flushed and closed on drop).
    pub fn new(trace: Option<&Path>) -> Result<Rtl, RtlError> {
        check_abi();
        let trace_c = match trace {
            Some(path) => {
                // Create the file here for a proper io::Error; the FST writer reopens it.
                std::fs::File::create(path).map_err(|source| RtlError::TraceCreate {
                    path: path.to_path_buf(),
                    source,
                })?;
                let s = path
                    .to_str()
                    .ok_or_else(|| RtlError::TracePath(path.to_path_buf()))?;
                Some(CString::new(s).map_err(|_| RtlError::TracePath(path.to_path_buf()))?)
            }
            None => None,
        };
        let ptr = trace_c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
        // SAFETY: `ptr` is null or a NUL-terminated string that outlives the call; the shim
        // copies what it needs.
        let raw = unsafe { ffi::peerbar_rtl_new(ptr) };
        let model =
            NonNull::new(raw).ok_or_else(|| RtlError::Create(trace.map(Path::to_path_buf)))?;
        Ok(Rtl { model, cycles: 0 })
    }

    /// One clock cycle: `inputs` are applied for the cycle; the returned outputs are the values
    /// during the cycle, i.e. just before the rising edge that ends it (so a handshake happened
    /// iff tvalid && tready in these values); then the edge.
    pub fn cycle(&mut self, inputs: &RtlInputs) -> RtlOutputs {
        let mut outputs = RtlOutputs::default();
        // SAFETY: `self.model` is a live model owned by `self` (exclusive via `&mut self`);
        // `inputs`/`outputs` are valid #[repr(C)] structs whose layout matches the C header
        // (checked by `check_abi`), borrowed for the duration of the call only.
        unsafe { ffi::peerbar_rtl_cycle(self.model.as_ptr(), inputs, &mut outputs) };
        self.cycles += 1;
        outputs
    }

    /// Clock cycles run so far.
    pub fn cycles(&self) -> u64 {
        self.cycles
    }
}

impl Drop for Rtl {
    fn drop(&mut self) {
        // SAFETY: `self.model` came from `peerbar_rtl_new`, is freed exactly once, here.
        unsafe { ffi::peerbar_rtl_free(self.model.as_ptr()) };
    }
}

impl std::fmt::Debug for Rtl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rtl")
            .field("cycles", &self.cycles)
            .finish_non_exhaustive()
    }
}

/// The Rust and C++ views of the cycle structs must agree; a mismatch is a build bug.
fn check_abi() {
    let (mut inputs, mut outputs) = (0usize, 0usize);
    // SAFETY: both pointers are valid for writes of one usize.
    unsafe { ffi::peerbar_rtl_abi_sizes(&mut inputs, &mut outputs) };
    assert_eq!(
        inputs,
        std::mem::size_of::<RtlInputs>(),
        "RtlInputs layout differs from csrc/peerbar_rtl.h"
    );
    assert_eq!(
        outputs,
        std::mem::size_of::<RtlOutputs>(),
        "RtlOutputs layout differs from csrc/peerbar_rtl.h"
    );
}

#[cfg(test)]
mod tests;
