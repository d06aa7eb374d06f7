// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_regs_reg_file: storage, write decode and read mux of the registers of group regs.
//
// Generated from hw/regmap/peerbar.toml by peerbar-regmap.
// Do not edit; regenerate with cargo run -p peerbar-regmap
//
// The access port is the completer's (1-2 DWORDs per access, a 2-DWORD access covers two
// consecutive registers). Writes honour byte enables; their two DWORD addresses are decoded
// in the cycle before, from wr_dw_addr_next_i, into one-hot fields (reg_decode), so that
// "lane p writes DWORD dw" is an AND of four registered bits. A read takes three cycles:
// stage 0 registers the decoded offsets; stage 1 the storage and constants at them, and
// beside them the values hardware drives (hw2reg .d without storage); stage 2 adds those.
// So rd_data_o shows, three cycles after rd_dw_addr_i, the registers as they were one
// cycle after it. Offsets this group does not own read as 0 (the groups' data are ORed).
// The logic-level budget of these stages: docs/synthesis.md.

`default_nettype none

module peerbar_regs_reg_file
  import peerbar_reg_pkg::*;
#(
  // Value of MAGIC's const fields (default: their reset value).
  parameter logic [31:0] MagicValue = MAGIC_RESET,
  // Value of VERSION's const fields (default: their reset value).
  parameter logic [31:0] VersionValue = VERSION_RESET,
  // Value of CAPABILITIES's const fields (default: their reset value).
  parameter logic [31:0] CapabilitiesValue = CAPABILITIES_RESET
) (
  input  wire logic             clk_i,
  input  wire logic             rst_i,
  input  wire logic             wr_valid_i,
  input  wire logic [13:0]      wr_dw_addr_next_i,
  input  wire logic [1:0][31:0] wr_data_i,
  input  wire logic [1:0][3:0]  wr_be_i,
  input  wire logic [13:0]      rd_dw_addr_i,
  output      logic [1:0][31:0] rd_data_o,
  output      regs_reg2hw_t reg2hw_o,
  input  wire regs_hw2reg_t hw2reg_i
);

  // Storage
  logic [31:0] s_scratch_q, s_scratch_d, s_scratch_sw;
  logic [31:0] s_dropped_writes_q, s_dropped_writes_d;
  logic [31:0] s_unsupported_requests_q, s_unsupported_requests_d;
  logic [3:0] s_error_log_cause_q, s_error_log_cause_d;
  logic [3:0] s_error_log_req_type_q, s_error_log_req_type_d;
  logic [2:0] s_error_log_bar_id_q, s_error_log_bar_id_d;
  logic [10:0] s_error_log_dword_count_q, s_error_log_dword_count_d;
  logic [0:0] s_error_log_valid_q, s_error_log_valid_d;
  logic [63:0] s_error_addr_q, s_error_addr_d;

  // Write decode, a cycle early (the completer registers the address).
  reg_dec_t [1:0] wr_dec_q;
  always_ff @(posedge clk_i) begin
    wr_dec_q[0] <= reg_decode(wr_dw_addr_next_i);
    wr_dec_q[1] <= reg_decode(wr_dw_addr_next_i + 14'd1);
  end

  // The register at DWORD address dw after this cycle's write (old if it is not written).
  function automatic logic [31:0] wr_merge(logic [31:0] old, logic [13:0] dw);
    logic [3:0] be;
    be = '0;
    if (wr_valid_i) begin
      be = (reg_hit(wr_dec_q[0], dw) ? wr_be_i[0] : 4'h0) |
           (reg_hit(wr_dec_q[1], dw) ? wr_be_i[1] : 4'h0);
    end
    return reg_merge_be(old, reg_hit(wr_dec_q[0], dw) ? wr_data_i[0] : wr_data_i[1], be);
  endfunction

  // Software writes (_sw) and reg2hw.
  always_comb begin
    // The whole DWORDs after the write: bits no field covers are not used.
    // verilator lint_off UNUSEDSIGNAL
    logic [31:0] wr_scratch;
    logic [31:0] wr_control;
    // verilator lint_on UNUSEDSIGNAL
    s_scratch_sw = s_scratch_q;
    reg2hw_o.dropped_writes.q = s_dropped_writes_q;
    reg2hw_o.unsupported_requests.q = s_unsupported_requests_q;
    reg2hw_o.error_log.valid.q = s_error_log_valid_q;
    wr_scratch = wr_merge(32'(s_scratch_q), 14'h0006);
    s_scratch_sw = wr_scratch;
    wr_control = wr_merge(32'h0, 14'h0007);
    reg2hw_o.control.q = wr_control[0 +: 1];
  end

  // The next values: software's, or hardware's where it writes (de wins).
  always_comb begin
    s_scratch_d = s_scratch_sw;
    s_dropped_writes_d = s_dropped_writes_q;
    s_unsupported_requests_d = s_unsupported_requests_q;
    s_error_log_cause_d = s_error_log_cause_q;
    s_error_log_req_type_d = s_error_log_req_type_q;
    s_error_log_bar_id_d = s_error_log_bar_id_q;
    s_error_log_dword_count_d = s_error_log_dword_count_q;
    s_error_log_valid_d = s_error_log_valid_q;
    s_error_addr_d = s_error_addr_q;
    if (hw2reg_i.dropped_writes.de) begin
      s_dropped_writes_d = hw2reg_i.dropped_writes.d;
    end
    if (hw2reg_i.unsupported_requests.de) begin
      s_unsupported_requests_d = hw2reg_i.unsupported_requests.d;
    end
    if (hw2reg_i.error_log.cause.de) begin
      s_error_log_cause_d = hw2reg_i.error_log.cause.d;
    end
    if (hw2reg_i.error_log.req_type.de) begin
      s_error_log_req_type_d = hw2reg_i.error_log.req_type.d;
    end
    if (hw2reg_i.error_log.bar_id.de) begin
      s_error_log_bar_id_d = hw2reg_i.error_log.bar_id.d;
    end
    if (hw2reg_i.error_log.dword_count.de) begin
      s_error_log_dword_count_d = hw2reg_i.error_log.dword_count.d;
    end
    if (hw2reg_i.error_log.valid.de) begin
      s_error_log_valid_d = hw2reg_i.error_log.valid.d;
    end
    if (hw2reg_i.error_addr.de) begin
      s_error_addr_d[0 +: 32] = hw2reg_i.error_addr.d[0 +: 32];
      s_error_addr_d[32 +: 32] = hw2reg_i.error_addr.d[32 +: 32];
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      s_scratch_q <= 32'h0;
      s_dropped_writes_q <= 32'h0;
      s_unsupported_requests_q <= 32'h0;
      s_error_log_cause_q <= 4'h0;
      s_error_log_req_type_q <= 4'h0;
      s_error_log_bar_id_q <= 3'h0;
      s_error_log_dword_count_q <= 11'h0;
      s_error_log_valid_q <= 1'h0;
      s_error_addr_q <= 64'h0;
    end else begin
      s_scratch_q <= s_scratch_d;
      s_dropped_writes_q <= s_dropped_writes_d;
      s_unsupported_requests_q <= s_unsupported_requests_d;
      s_error_log_cause_q <= s_error_log_cause_d;
      s_error_log_req_type_q <= s_error_log_req_type_d;
      s_error_log_bar_id_q <= s_error_log_bar_id_d;
      s_error_log_dword_count_q <= s_error_log_dword_count_d;
      s_error_log_valid_q <= s_error_log_valid_d;
      s_error_addr_q <= s_error_addr_d;
    end
  end

  // Read stage 0: the decoded offsets of the two DWORDs.
  reg_dec_t [1:0] rd_dec_q;
  always_ff @(posedge clk_i) begin
    rd_dec_q[0] <= reg_decode(rd_dw_addr_i);
    rd_dec_q[1] <= reg_decode(rd_dw_addr_i + 14'd1);
  end

  // Read stage 1: storage and constants at the offsets (the registers are exclusive: ORed).
  logic [1:0][31:0] rd_own, rd_own_q;
  always_comb begin
    for (int unsigned p = 0; p < 2; p++) begin
      rd_own[p] = '0;
      if (reg_hit(rd_dec_q[p], 14'h0000)) begin
        rd_own[p] = rd_own[p] | 32'(MagicValue[MAGIC_VALUE_LSB +: MAGIC_VALUE_WIDTH]);
      end
      if (reg_hit(rd_dec_q[p], 14'h0001)) begin
        rd_own[p] = rd_own[p] | 32'(VersionValue[VERSION_PATCH_LSB +: VERSION_PATCH_WIDTH]) | (32'(VersionValue[VERSION_MINOR_LSB +: VERSION_MINOR_WIDTH]) << 8) | (32'(VersionValue[VERSION_MAJOR_LSB +: VERSION_MAJOR_WIDTH]) << 16);
      end
      if (reg_hit(rd_dec_q[p], 14'h0002)) begin
        rd_own[p] = rd_own[p] | 32'(CapabilitiesValue[CAPABILITIES_DATAPATH_BYTES_LSB +: CAPABILITIES_DATAPATH_BYTES_WIDTH]) | (32'(CapabilitiesValue[CAPABILITIES_DMA_QUEUES_LSB +: CAPABILITIES_DMA_QUEUES_WIDTH]) << 8) | (32'(CapabilitiesValue[CAPABILITIES_DMA_ENGINE_LSB +: CAPABILITIES_DMA_ENGINE_WIDTH]) << 16) | (32'(CapabilitiesValue[CAPABILITIES_MSIX_LSB +: CAPABILITIES_MSIX_WIDTH]) << 17);
      end
      if (reg_hit(rd_dec_q[p], 14'h0006)) begin
        rd_own[p] = rd_own[p] | 32'(s_scratch_q);
      end
      if (reg_hit(rd_dec_q[p], 14'h0009)) begin
        rd_own[p] = rd_own[p] | 32'(s_dropped_writes_q);
      end
      if (reg_hit(rd_dec_q[p], 14'h000a)) begin
        rd_own[p] = rd_own[p] | 32'(s_unsupported_requests_q);
      end
      if (reg_hit(rd_dec_q[p], 14'h000b)) begin
        rd_own[p] = rd_own[p] | 32'(s_error_log_cause_q) | (32'(s_error_log_req_type_q) << 4) | (32'(s_error_log_bar_id_q) << 8) | (32'(s_error_log_dword_count_q) << 16) | (32'(s_error_log_valid_q) << 31);
      end
      if (reg_hit(rd_dec_q[p], 14'h000c)) begin
        rd_own[p] = rd_own[p] | 32'(s_error_addr_q[0 +: 32]);
      end
      if (reg_hit(rd_dec_q[p], 14'h000d)) begin
        rd_own[p] = rd_own[p] | 32'(s_error_addr_q[32 +: 32]);
      end
    end
  end

  // The values hardware drives, registered (with them the logic that drives them and the
  // read mux are two paths, not one), and which DWORD reads them.
  logic [31:0] x_bar2_size_lo_q;
  logic [1:0] x_bar2_size_lo_rd_q;
  logic [31:0] x_bar2_size_hi_q;
  logic [1:0] x_bar2_size_hi_rd_q;
  logic [31:0] x_status_q;
  logic [1:0] x_status_rd_q;
  always_ff @(posedge clk_i) begin
    rd_own_q <= rd_own;
    x_bar2_size_lo_q <= 32'(hw2reg_i.bar2_size.d[0 +: 32]);
    for (int unsigned p = 0; p < 2; p++) begin
      x_bar2_size_lo_rd_q[p] <= reg_hit(rd_dec_q[p], 14'h0004);
    end
    x_bar2_size_hi_q <= 32'(hw2reg_i.bar2_size.d[32 +: 32]);
    for (int unsigned p = 0; p < 2; p++) begin
      x_bar2_size_hi_rd_q[p] <= reg_hit(rd_dec_q[p], 14'h0005);
    end
    x_status_q <= 32'(hw2reg_i.status.link_up.d) | (32'(hw2reg_i.status.bus_master.d) << 1) | (32'(hw2reg_i.status.max_payload.d) << 4) | (32'(hw2reg_i.status.max_read_req.d) << 8) | (32'(hw2reg_i.status.rcb_128.d) << 12);
    for (int unsigned p = 0; p < 2; p++) begin
      x_status_rd_q[p] <= reg_hit(rd_dec_q[p], 14'h0008);
    end
  end

  // Read stage 2: the driven values.
  always_ff @(posedge clk_i) begin
    for (int unsigned p = 0; p < 2; p++) begin
      logic [31:0] x;
      x = rd_own_q[p];
      x = x | (x_bar2_size_lo_rd_q[p] ? x_bar2_size_lo_q : '0);
      x = x | (x_bar2_size_hi_rd_q[p] ? x_bar2_size_hi_q : '0);
      x = x | (x_status_rd_q[p] ? x_status_q : '0);
      rd_data_o[p] <= x;
    end
  end

endmodule

`default_nettype wire
