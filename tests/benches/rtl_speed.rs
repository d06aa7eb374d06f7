// SPDX-License-Identifier: MIT OR Apache-2.0
//! How fast the Verilator model of the RTL itself runs (run: `cargo bench -p peerbar-tests
//! --bench rtl_speed`): the board wrapper around hw/rtl clocked from a bare loop through the
//! C++ shim, one call per cycle, with no model of the hard block or the host in the loop.
//!
//! Prints, from one run, simulated cycles per wall second:
//! - idle: out of reset, link up, nothing on any interface;
//! - under a BAR2 write stream: back-to-back 256-byte MemWr on the CQ interface (the completer
//!   writing BAR2 every cycle it accepts a beat), as a peer's writes arrive.
//!
//! With the hard-block model in the loop the figures are lower: `--bench sim_throughput`
//! (BAR2 bulk) and `--bench dma_throughput` (DMA load) print those. Wall-clock figures depend on
//! the machine and on the Verilator version, which is printed with them.

use std::time::Instant;

use peerbar_sim::rtl::{Rtl, RtlInputs, BAR2_SIZE_LOG2, VERILATOR_VERSION};
use peerbar_sim::tlp::{dword_span, Beat, Request, RequestType};

/// Cycles measured per case.
const CYCLES: u64 = 2_000_000;
/// Payload of each MemWr (the default MPS).
const WRITE_BYTES: u64 = 256;

/// The model out of reset with the link up, as the block brings it up (PERST# then
/// `user_reset`, 16 cycles each), every ready input high.
fn model_out_of_reset() -> (Rtl, RtlInputs) {
    let mut rtl = Rtl::new(None).expect("the Verilator model");
    let mut inputs = RtlInputs {
        user_reset: 1,
        cc_tready: 1,
        rq_tready: 1,
        ..RtlInputs::default()
    };
    for _ in 0..16 {
        rtl.cycle(&inputs);
    }
    inputs.pcie_perst_n = 1;
    for _ in 0..16 {
        rtl.cycle(&inputs);
    }
    inputs.user_reset = 0;
    inputs.user_lnk_up = 1;
    for _ in 0..16 {
        rtl.cycle(&inputs);
    }
    (rtl, inputs)
}

/// Runs `cycles` cycles, each with the inputs `drive` sets (told whether the CQ beat of the
/// cycle before was accepted); returns M cycles per wall second and whether the last cycle's
/// CQ beat was accepted.
fn rate(
    rtl: &mut Rtl,
    inputs: &mut RtlInputs,
    cycles: u64,
    mut drive: impl FnMut(&mut RtlInputs, bool),
) -> (f64, bool) {
    let t = Instant::now();
    let mut accepted = false;
    for _ in 0..cycles {
        drive(inputs, accepted);
        let out = rtl.cycle(inputs);
        accepted = inputs.cq_tvalid == 1 && out.cq_tready == 1;
    }
    (cycles as f64 / t.elapsed().as_secs_f64() / 1e6, accepted)
}

/// DWORD `i` of every MemWr's payload.
fn payload_dword(i: u32) -> u32 {
    i.wrapping_mul(0x9e37_79b9) ^ 0x5a5a_0000
}

/// A request to BAR2 at `offset`: a MemWr of `len` bytes of [`payload_dword`]s, or a MemRd.
fn bar2_request(kind: RequestType, offset: u64, len: u64) -> Request {
    let (dw_address, dw_count, first_be, last_be) = dword_span(offset, len);
    let payload = match kind {
        RequestType::MemWrite => (0..u32::from(dw_count)).map(payload_dword).collect(),
        _ => Vec::new(),
    };
    Request {
        kind,
        bar_id: 2,
        bar_aperture: BAR2_SIZE_LOG2 as u8,
        dw_address,
        dw_count,
        first_be,
        last_be,
        requester_id: 0,
        tag: 0,
        traffic_class: 0,
        attr: 0,
        payload,
    }
}

/// The CQ beats of back-to-back MemWr of [`WRITE_BYTES`] each, walking through 16 KiB of BAR2.
fn write_stream() -> Vec<Beat> {
    (0..64u64)
        .flat_map(|n| bar2_request(RequestType::MemWrite, n * WRITE_BYTES, WRITE_BYTES).cq_beats())
        .collect()
}

/// Reads the first two DWORDs of BAR2 back through the completer: the stream must have landed.
fn check_written(rtl: &mut Rtl, inputs: &mut RtlInputs) {
    let beats = bar2_request(RequestType::MemRead, 0, 8).cq_beats();
    let beat = &beats[0];
    inputs.cq_tdata = beat.data;
    inputs.cq_tkeep = beat.keep;
    inputs.cq_tlast = 1;
    inputs.cq_tuser = beat.user;
    inputs.cq_tvalid = 1;
    while rtl.cycle(inputs).cq_tready == 0 {}
    inputs.cq_tvalid = 0;
    for _ in 0..1_000 {
        let out = rtl.cycle(inputs);
        if out.cc_tvalid == 1 {
            // 96-bit CC descriptor, then the data.
            let got = [out.cc_tdata[3], out.cc_tdata[4]];
            assert_eq!(
                got,
                [payload_dword(0), payload_dword(1)],
                "BAR2 after the stream"
            );
            return;
        }
    }
    panic!("no completion for the read back of BAR2");
}

fn main() {
    // `cargo test --benches` runs this with --bench absent; keep that quick.
    let cycles = if std::env::args().any(|a| a == "--bench") {
        CYCLES
    } else {
        1_000
    };
    println!("peerbar RTL (board wrapper around hw/rtl), bare model, {VERILATOR_VERSION}");

    let (mut rtl, mut inputs) = model_out_of_reset();
    let (idle, _) = rate(&mut rtl, &mut inputs, cycles, |_, _| {});
    println!("idle: {idle:.2} M cycles per wall second ({cycles} cycles)");

    let beats = write_stream();
    let mut next = 0usize;
    let mut sent = 0u64;
    let mut feed = |inputs: &mut RtlInputs, accepted: bool| {
        if accepted {
            next = (next + 1) % beats.len();
            sent += 1;
        }
        let beat = &beats[next];
        inputs.cq_tdata = beat.data;
        inputs.cq_tkeep = beat.keep;
        inputs.cq_tlast = u8::from(beat.last);
        inputs.cq_tuser = beat.user;
        inputs.cq_tvalid = 1;
        // At a TLP boundary when the next beat to send starts a request.
        next == 0 || beats[next - 1].last
    };
    let start = rtl.cycles();
    let (stream, mut accepted) = rate(&mut rtl, &mut inputs, cycles, |inputs, accepted| {
        feed(inputs, accepted);
    });
    let run = rtl.cycles() - start;
    // The stream stops at a TLP boundary: finish the MemWr in progress.
    while !feed(&mut inputs, accepted) {
        accepted = rtl.cycle(&inputs).cq_tready == 1;
    }
    inputs.cq_tvalid = 0;
    assert!(
        sent > run / 2,
        "the completer accepted only {sent} of {run} CQ beats"
    );
    // Let the last write reach BAR2, then check that the stream landed.
    for _ in 0..64 {
        rtl.cycle(&inputs);
    }
    check_written(&mut rtl, &mut inputs);
    println!(
        "under a BAR2 write stream ({WRITE_BYTES}-byte MemWr back to back, {:.0} % of cycles carry a beat): {stream:.2} M cycles per wall second",
        100.0 * sent as f64 / run as f64
    );
}
