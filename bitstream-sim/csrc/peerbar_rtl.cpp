// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_rtl.cpp: C ABI shim around the Verilator model of peerbar_board_top (see
// peerbar_rtl.h).
//
// The PCIe IP inside the wrapper is its port-exact stub: its user side is a set of
// model_* signals (Verilator public_flat_rw / public_flat_rd) this shim writes and reads directly
// in the model's root. The clock enters where the board's does, at the reference-clock pins.
//
// Every model owns its VerilatedContext, so several models can live in one process and run in
// different threads (one thread per model at a time).

#include "peerbar_rtl.h"

#include <memory>
#include <new>

#include "Vpeerbar_board_top.h"
#include "Vpeerbar_board_top___024root.h"
#include "verilated.h"
#include "verilated_fst_c.h"

// A model_* signal of the simulation IP (hw/board/common/stubs/pcie4_uscale_plus_stub.sv).
#define SIM_IP(root, name) ((root).peerbar_board_top__DOT__u_pcie__DOT__model_##name)

struct PeerbarRtl {
    std::unique_ptr<VerilatedContext> context;
    std::unique_ptr<Vpeerbar_board_top> top;
    std::unique_ptr<VerilatedFstC> trace;  // null when no trace was requested
};

namespace {

// One user_clk period is 4 ns (250 MHz); the model's time unit is 1 ns (--timescale 1ns/1ns).
constexpr uint64_t kHalfPeriod = 2;

template <size_t N>
void copy_words(VlWide<N>& dst, const uint32_t* src, size_t n) {
    for (size_t i = 0; i < n && i < N; ++i) dst[i] = src[i];
}

template <size_t N>
void copy_words(uint32_t* dst, const VlWide<N>& src, size_t n) {
    for (size_t i = 0; i < n && i < N; ++i) dst[i] = src[i];
}

void set_clock(Vpeerbar_board_top& top, bool high) {
    top.pcie_refclk_p = high;
    top.pcie_refclk_n = !high;
}

void apply_inputs(Vpeerbar_board_top& top, const PeerbarRtlInputs& in) {
    Vpeerbar_board_top___024root& root = *top.rootp;
    top.pcie_perst_n = in.pcie_perst_n & 1;

    SIM_IP(root, user_reset) = in.user_reset & 1;
    SIM_IP(root, user_lnk_up) = in.user_lnk_up & 1;

    copy_words(SIM_IP(root, m_axis_cq_tdata), in.cq_tdata, 8);
    SIM_IP(root, m_axis_cq_tkeep) = in.cq_tkeep;
    SIM_IP(root, m_axis_cq_tlast) = in.cq_tlast & 1;
    copy_words(SIM_IP(root, m_axis_cq_tuser), in.cq_tuser, 3);
    SIM_IP(root, m_axis_cq_tuser)[2] &= 0x00ffffffu;  // 88 bits
    SIM_IP(root, m_axis_cq_tvalid) = in.cq_tvalid & 1;
    SIM_IP(root, pcie_cq_np_req_count) = in.cq_np_req_count & 0x3f;

    SIM_IP(root, s_axis_cc_tready) = (in.cc_tready & 1) ? 0xf : 0x0;

    SIM_IP(root, s_axis_rq_tready) = (in.rq_tready & 1) ? 0xf : 0x0;
    SIM_IP(root, pcie_rq_tag0) = in.rq_tag0;
    SIM_IP(root, pcie_rq_tag1) = in.rq_tag1;
    SIM_IP(root, pcie_rq_tag_vld0) = in.rq_tag_vld0 & 1;
    SIM_IP(root, pcie_rq_tag_vld1) = in.rq_tag_vld1 & 1;
    SIM_IP(root, pcie_rq_seq_num0) = in.rq_seq_num0 & 0x3f;
    SIM_IP(root, pcie_rq_seq_num1) = in.rq_seq_num1 & 0x3f;
    SIM_IP(root, pcie_rq_seq_num_vld0) = in.rq_seq_num_vld0 & 1;
    SIM_IP(root, pcie_rq_seq_num_vld1) = in.rq_seq_num_vld1 & 1;
    SIM_IP(root, pcie_tfc_nph_av) = in.tfc_nph_av & 0xf;
    SIM_IP(root, pcie_tfc_npd_av) = in.tfc_npd_av & 0xf;

    copy_words(SIM_IP(root, m_axis_rc_tdata), in.rc_tdata, 8);
    SIM_IP(root, m_axis_rc_tkeep) = in.rc_tkeep;
    SIM_IP(root, m_axis_rc_tlast) = in.rc_tlast & 1;
    copy_words(SIM_IP(root, m_axis_rc_tuser), in.rc_tuser, 3);
    SIM_IP(root, m_axis_rc_tuser)[2] &= 0x7ffu;  // 75 bits
    SIM_IP(root, m_axis_rc_tvalid) = in.rc_tvalid & 1;

    SIM_IP(root, cfg_max_payload) = in.cfg_max_payload & 0x3;
    SIM_IP(root, cfg_max_read_req) = in.cfg_max_read_req & 0x7;
    SIM_IP(root, cfg_function_status) = in.cfg_function_status;
    SIM_IP(root, cfg_rcb_status) = in.cfg_rcb_status & 0xf;
    SIM_IP(root, cfg_flr_in_process) = in.cfg_flr_in_process & 0xf;

    SIM_IP(root, cfg_interrupt_msix_enable) = in.msix_enable & 0xf;
    SIM_IP(root, cfg_interrupt_msix_mask) = in.msix_mask & 0xf;
    SIM_IP(root, cfg_interrupt_msi_sent) = in.msix_sent & 1;
    SIM_IP(root, cfg_interrupt_msi_fail) = in.msix_fail & 1;
}

void read_outputs(const Vpeerbar_board_top& top, PeerbarRtlOutputs& out) {
    const Vpeerbar_board_top___024root& root = *top.rootp;
    out.cq_tready = SIM_IP(root, m_axis_cq_tready) & 1;
    out.cq_np_req = SIM_IP(root, pcie_cq_np_req);

    copy_words(out.cc_tdata, SIM_IP(root, s_axis_cc_tdata), 8);
    out.cc_tkeep = SIM_IP(root, s_axis_cc_tkeep);
    out.cc_tlast = SIM_IP(root, s_axis_cc_tlast);
    out.cc_tuser = SIM_IP(root, s_axis_cc_tuser);
    out.cc_tvalid = SIM_IP(root, s_axis_cc_tvalid);

    copy_words(out.rq_tdata, SIM_IP(root, s_axis_rq_tdata), 8);
    out.rq_tkeep = SIM_IP(root, s_axis_rq_tkeep);
    out.rq_tlast = SIM_IP(root, s_axis_rq_tlast);
    out.rq_tuser = SIM_IP(root, s_axis_rq_tuser);
    out.rq_tvalid = SIM_IP(root, s_axis_rq_tvalid);

    out.rc_tready = SIM_IP(root, m_axis_rc_tready) & 1;

    out.msix_int = SIM_IP(root, cfg_interrupt_msix_int);
    out.msix_data = SIM_IP(root, cfg_interrupt_msix_data);
    out.msix_address = SIM_IP(root, cfg_interrupt_msix_address);
    out.msi_function_number = SIM_IP(root, cfg_interrupt_msi_function_number);
    out.cfg_flr_done = SIM_IP(root, cfg_flr_done) & 0xf;
    out.sys_reset = SIM_IP(root, sys_reset) & 1;
    out.led = top.led & 0xf;
    out.dma_busy = root.peerbar_board_top__DOT__u_peerbar__DOT__dma_busy & 1;
}

}  // namespace

extern "C" PeerbarRtl* peerbar_rtl_new(const char* trace_path) {
    std::unique_ptr<PeerbarRtl> rtl{new (std::nothrow) PeerbarRtl{}};
    if (!rtl) return nullptr;
    rtl->context = std::make_unique<VerilatedContext>();
    rtl->context->commandArgs(0, static_cast<const char**>(nullptr));
    // Tracing costs time even unused, so it is switched on only for a model that writes a trace.
    if (trace_path) rtl->context->traceEverOn(true);
    rtl->top = std::make_unique<Vpeerbar_board_top>(rtl->context.get(), "peerbar_board_top");
    if (trace_path) {
        rtl->trace = std::make_unique<VerilatedFstC>();
        rtl->top->trace(rtl->trace.get(), 99);
        rtl->trace->open(trace_path);
        if (!rtl->trace->isOpen()) return nullptr;
    }
    // Settle the initial state with the clock low.
    set_clock(*rtl->top, false);
    rtl->top->eval();
    return rtl.release();
}

extern "C" void peerbar_rtl_free(PeerbarRtl* rtl) {
    if (!rtl) return;
    // The model's public scope (dma_busy) unregisters itself from the calling thread's current
    // context (Verilated::threadContextp()), which may belong to another model, or to one already
    // freed, when a thread runs several models: make it this model's context first.
    Verilated::threadContextp(rtl->context.get());
    if (rtl->trace) {
        rtl->trace->flush();
        rtl->trace->close();
    }
    rtl->top->final();
    rtl->top.reset();
    rtl->trace.reset();
    Verilated::threadContextp(nullptr);
    delete rtl;
}

extern "C" void peerbar_rtl_cycle(PeerbarRtl* rtl, const PeerbarRtlInputs* in,
                                  PeerbarRtlOutputs* out) {
    Vpeerbar_board_top& top = *rtl->top;
    VerilatedContext& context = *rtl->context;

    // Clock low: the inputs of this cycle settle through the combinational logic.
    apply_inputs(top, *in);
    set_clock(top, false);
    top.eval();
    read_outputs(top, *out);
    if (rtl->trace) rtl->trace->dump(context.time());
    context.timeInc(kHalfPeriod);

    // Rising edge: the cycle ends.
    set_clock(top, true);
    top.eval();
    if (rtl->trace) rtl->trace->dump(context.time());
    context.timeInc(kHalfPeriod);
}

extern "C" void peerbar_rtl_abi_sizes(size_t* inputs, size_t* outputs) {
    *inputs = sizeof(PeerbarRtlInputs);
    *outputs = sizeof(PeerbarRtlOutputs);
}
