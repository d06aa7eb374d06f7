// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_rtl.h: C ABI of the Verilator model of the board wrapper
// (hw/board/common/peerbar_board_top.sv around hw/rtl, with the PCIe IP's port-exact stub
// hw/board/common/stubs/pcie4_uscale_plus_stub.sv). The inputs drive the IP's user-side
// outputs and the edge-connector PERST#; the outputs are the IP's user-side inputs, the LEDs and
// one internal signal.
//
// The structs mirror `RtlInputs` / `RtlOutputs` in bitstream-sim/src/rtl.rs (#[repr(C)]): same
// fields, same order, same types. peerbar_rtl_abi_sizes() lets the Rust side check the layout.
// tdata/tuser words are little-endian DWORDs: word 0 = bits 31:0.

#ifndef PEERBAR_RTL_H
#define PEERBAR_RTL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct PeerbarRtlInputs {
    uint8_t pcie_perst_n;  // edge-connector PERST# (active low) -> the IP's sys_reset
    uint8_t user_reset;
    uint8_t user_lnk_up;
    // Completer request
    uint32_t cq_tdata[8];
    uint8_t cq_tkeep;
    uint8_t cq_tlast;
    uint32_t cq_tuser[3];  // 88 bits used
    uint8_t cq_tvalid;
    uint8_t cq_np_req_count;
    // Completer completion
    uint8_t cc_tready;  // 1 bit, driven onto all 4 tready bits
    // Requester request / completion
    uint8_t rq_tready;  // 1 bit, driven onto all 4 tready bits
    uint32_t rc_tdata[8];
    uint8_t rc_tkeep;
    uint8_t rc_tlast;
    uint32_t rc_tuser[3];  // 75 bits used
    uint8_t rc_tvalid;
    // Configuration status
    uint8_t cfg_max_payload;
    uint8_t cfg_max_read_req;
    uint16_t cfg_function_status;
    uint8_t cfg_rcb_status;
    uint8_t cfg_flr_in_process;  // 4 bits, one per physical function
    // MSI-X
    uint8_t msix_enable;
    uint8_t msix_mask;
    uint8_t msix_sent;  // the IP's cfg_interrupt_msi_sent (PG213: also reports MSI-X)
    uint8_t msix_fail;  // the IP's cfg_interrupt_msi_fail
    // Requester tags, sequence numbers, credits
    uint8_t rq_tag0;
    uint8_t rq_tag1;
    uint8_t rq_tag_vld0;
    uint8_t rq_tag_vld1;
    uint8_t rq_seq_num0;
    uint8_t rq_seq_num1;
    uint8_t rq_seq_num_vld0;
    uint8_t rq_seq_num_vld1;
    uint8_t tfc_nph_av;
    uint8_t tfc_npd_av;
} PeerbarRtlInputs;

typedef struct PeerbarRtlOutputs {
    uint8_t cq_tready;  // m_axis_cq_tready (1 bit)
    uint8_t cq_np_req;
    uint32_t cc_tdata[8];
    uint8_t cc_tkeep;
    uint8_t cc_tlast;
    uint64_t cc_tuser;  // 33 bits
    uint8_t cc_tvalid;
    uint32_t rq_tdata[8];
    uint8_t rq_tkeep;
    uint8_t rq_tlast;
    uint64_t rq_tuser;  // 62 bits
    uint8_t rq_tvalid;
    uint8_t rc_tready;  // m_axis_rc_tready (1 bit)
    uint8_t msix_int;
    uint32_t msix_data;
    uint64_t msix_address;
    uint8_t msi_function_number;
    uint8_t cfg_flr_done;  // 4 bits, one per physical function
    uint8_t sys_reset;     // the IP's sys_reset input (PERST# through the wrapper's IBUF)
    uint8_t led;           // the wrapper's LEDs (4)
    // Not a port: peerbar_top's `dma_busy` (public_flat_rd), 1 while the DMA engine has work
    // (a job in flight, an enabled queue with SQ head != tail, a CQ entry or MSI-X pending).
    uint8_t dma_busy;
} PeerbarRtlOutputs;

typedef struct PeerbarRtl PeerbarRtl;

// Creates a model with its own VerilatedContext. trace_path: FST file to write, or NULL for none.
// Returns NULL on failure (out of memory, or the trace file could not be opened).
PeerbarRtl* peerbar_rtl_new(const char* trace_path);

// Flushes and closes the trace (if any) and frees the model. NULL is ignored.
void peerbar_rtl_free(PeerbarRtl* rtl);

// One clock cycle: apply inputs, settle with the clock low, copy the outputs (the values just
// before the rising edge), then the rising edge. Dumps the trace if one is open.
void peerbar_rtl_cycle(PeerbarRtl* rtl, const PeerbarRtlInputs* in, PeerbarRtlOutputs* out);

// sizeof(PeerbarRtlInputs), sizeof(PeerbarRtlOutputs), for the Rust side's layout check.
void peerbar_rtl_abi_sizes(size_t* inputs, size_t* outputs);

#ifdef __cplusplus
}
#endif

#endif  // PEERBAR_RTL_H
