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
// The logic-level budget of these stages: docs/synthesis.md. The decodes are walked as
// trees of ifs on the one-hot fields, and work is done only when there is a write or a
// value to read, so that a simulator that evaluates every process every cycle does little
// in an idle one (docs/regmap-generator.md).

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

  // Storage. The fields hardware reads are held in the scope's reg2hw struct itself
  // (r2h_q; its wd and pulse members are unused), so that reg2hw_o is one copy of it with
  // wd and the pulses laid over; the other stored fields in signals of their own (s_*_q).
  regs_reg2hw_t r2h_q;
  logic [31:0] s_scratch_q;
  logic [3:0] s_error_log_cause_q;
  logic [3:0] s_error_log_req_type_q;
  logic [2:0] s_error_log_bar_id_q;
  logic [10:0] s_error_log_dword_count_q;
  logic [63:0] s_error_addr_q;

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

  // The byte enables of this cycle's write at DWORD address dw, and its data there (the
  // storage takes the enabled bytes of wr_data: wr_merge without reading the storage).
  function automatic logic [3:0] wr_be(logic [13:0] dw);
    return (reg_hit(wr_dec_q[0], dw) ? wr_be_i[0] : 4'h0) |
           (reg_hit(wr_dec_q[1], dw) ? wr_be_i[1] : 4'h0);
  endfunction

  function automatic logic [31:0] wr_data(logic [13:0] dw);
    return reg_hit(wr_dec_q[0], dw) ? wr_data_i[0] : wr_data_i[1];
  endfunction

  // The storage: this cycle's software write (its decode a tree of ifs on the one-hot
  // fields, entered only when there is a write), then hardware's writes (de wins).
  always_ff @(posedge clk_i) begin
    // The write's byte enables and data at a register (bits no field covers unused).
    logic [3:0] be;
    // verilator lint_off UNUSEDSIGNAL
    logic [31:0] wr;
    // verilator lint_on UNUSEDSIGNAL
    if (rst_i) begin
      r2h_q <= '0;
      s_scratch_q <= 32'h0;
      s_error_log_cause_q <= 4'h0;
      s_error_log_req_type_q <= 4'h0;
      s_error_log_bar_id_q <= 3'h0;
      s_error_log_dword_count_q <= 11'h0;
      s_error_addr_q <= 64'h0;
    end else begin
      if (wr_valid_i) begin
        for (int unsigned p = 0; p < 2; p++) begin
          if (wr_dec_q[p].f3[0]) begin
            if (wr_dec_q[p].f2[0]) begin
              if (wr_dec_q[p].f1[0]) begin
                if (wr_dec_q[p].f0[6]) begin  // SCRATCH
                  be = wr_be(14'h0006);
                  wr = wr_data(14'h0006);
                  if (be[0]) s_scratch_q[0 +: 8] <= wr[0 +: 8];
                  if (be[1]) s_scratch_q[8 +: 8] <= wr[8 +: 8];
                  if (be[2]) s_scratch_q[16 +: 8] <= wr[16 +: 8];
                  if (be[3]) s_scratch_q[24 +: 8] <= wr[24 +: 8];
                end
              end
            end
          end
        end
      end
      if (hw2reg_i.dropped_writes.de) begin
        r2h_q.dropped_writes.q <= hw2reg_i.dropped_writes.d;
      end
      if (hw2reg_i.unsupported_requests.de) begin
        r2h_q.unsupported_requests.q <= hw2reg_i.unsupported_requests.d;
      end
      if (hw2reg_i.error_log.cause.de) begin
        s_error_log_cause_q <= hw2reg_i.error_log.cause.d;
      end
      if (hw2reg_i.error_log.req_type.de) begin
        s_error_log_req_type_q <= hw2reg_i.error_log.req_type.d;
      end
      if (hw2reg_i.error_log.bar_id.de) begin
        s_error_log_bar_id_q <= hw2reg_i.error_log.bar_id.d;
      end
      if (hw2reg_i.error_log.dword_count.de) begin
        s_error_log_dword_count_q <= hw2reg_i.error_log.dword_count.d;
      end
      if (hw2reg_i.error_log.valid.de) begin
        r2h_q.error_log.valid.q <= hw2reg_i.error_log.valid.d;
      end
      if (hw2reg_i.error_addr.de) begin
        s_error_addr_q <= hw2reg_i.error_addr.d;
      end
    end
  end

  // reg2hw: the storage, with this cycle's software write in wd and the pulses (w1p).
  always_comb begin
    // A whole DWORD after the write: bits no field covers are not used.
    // verilator lint_off UNUSEDSIGNAL
    logic [31:0] wr;
    // verilator lint_on UNUSEDSIGNAL
    wr = '0;
    reg2hw_o = r2h_q;
    reg2hw_o.control.q = '0;
    if (wr_valid_i) begin
      wr = wr_merge(32'h0, 14'h0007);
      reg2hw_o.control.q = wr[0 +: 1];
    end
  end

  // Read stage 0: the decoded offsets of the two DWORDs.
  reg_dec_t [1:0] rd_dec_q;
  always_ff @(posedge clk_i) begin
    rd_dec_q[0] <= reg_decode(rd_dw_addr_i);
    rd_dec_q[1] <= reg_decode(rd_dw_addr_i + 14'd1);
  end

  // Read stage 1: storage and constants at the offsets (a tree of ifs on the one-hot
  // fields; the registers are exclusive: ORed), and which DWORD reads a driven value.
  logic [1:0][31:0] rd_own, rd_own_q;
  logic [1:0] x_bar2_size_lo_rd, x_bar2_size_lo_rd_q;
  logic [1:0] x_bar2_size_hi_rd, x_bar2_size_hi_rd_q;
  logic [1:0] x_status_rd, x_status_rd_q;
  always_comb begin
    rd_own = '0;
    x_bar2_size_lo_rd = '0;
    x_bar2_size_hi_rd = '0;
    x_status_rd = '0;
    for (int unsigned p = 0; p < 2; p++) begin
      if (rd_dec_q[p].f3[0]) begin
        if (rd_dec_q[p].f2[0]) begin
          if (rd_dec_q[p].f1[0]) begin
            if (rd_dec_q[p].f0[0]) begin  // MAGIC
              rd_own[p] = rd_own[p] | 32'(MagicValue[MAGIC_VALUE_LSB +: MAGIC_VALUE_WIDTH]);
            end
            if (rd_dec_q[p].f0[1]) begin  // VERSION
              rd_own[p] = rd_own[p] | 32'(VersionValue[VERSION_PATCH_LSB +: VERSION_PATCH_WIDTH]) | (32'(VersionValue[VERSION_MINOR_LSB +: VERSION_MINOR_WIDTH]) << 8) | (32'(VersionValue[VERSION_MAJOR_LSB +: VERSION_MAJOR_WIDTH]) << 16);
            end
            if (rd_dec_q[p].f0[2]) begin  // CAPABILITIES
              rd_own[p] = rd_own[p] | 32'(CapabilitiesValue[CAPABILITIES_DATAPATH_BYTES_LSB +: CAPABILITIES_DATAPATH_BYTES_WIDTH]) | (32'(CapabilitiesValue[CAPABILITIES_DMA_QUEUES_LSB +: CAPABILITIES_DMA_QUEUES_WIDTH]) << 8) | (32'(CapabilitiesValue[CAPABILITIES_DMA_ENGINE_LSB +: CAPABILITIES_DMA_ENGINE_WIDTH]) << 16) | (32'(CapabilitiesValue[CAPABILITIES_MSIX_LSB +: CAPABILITIES_MSIX_WIDTH]) << 17);
            end
            if (rd_dec_q[p].f0[4]) begin  // BAR2_SIZE_LO
              x_bar2_size_lo_rd[p] = 1'b1;
            end
            if (rd_dec_q[p].f0[5]) begin  // BAR2_SIZE_HI
              x_bar2_size_hi_rd[p] = 1'b1;
            end
            if (rd_dec_q[p].f0[6]) begin  // SCRATCH
              rd_own[p] = rd_own[p] | 32'(s_scratch_q);
            end
          end
          if (rd_dec_q[p].f1[1]) begin
            if (rd_dec_q[p].f0[0]) begin  // STATUS
              x_status_rd[p] = 1'b1;
            end
            if (rd_dec_q[p].f0[1]) begin  // DROPPED_WRITES
              rd_own[p] = rd_own[p] | 32'(r2h_q.dropped_writes.q);
            end
            if (rd_dec_q[p].f0[2]) begin  // UNSUPPORTED_REQUESTS
              rd_own[p] = rd_own[p] | 32'(r2h_q.unsupported_requests.q);
            end
            if (rd_dec_q[p].f0[3]) begin  // ERROR_LOG
              rd_own[p] = rd_own[p] | 32'(s_error_log_cause_q) | (32'(s_error_log_req_type_q) << 4) | (32'(s_error_log_bar_id_q) << 8) | (32'(s_error_log_dword_count_q) << 16) | (32'(r2h_q.error_log.valid.q) << 31);
            end
            if (rd_dec_q[p].f0[4]) begin  // ERROR_ADDR_LO
              rd_own[p] = rd_own[p] | 32'(s_error_addr_q[0 +: 32]);
            end
            if (rd_dec_q[p].f0[5]) begin  // ERROR_ADDR_HI
              rd_own[p] = rd_own[p] | 32'(s_error_addr_q[32 +: 32]);
            end
          end
        end
      end
    end
  end

  // The values hardware drives, registered (with them the logic that drives them and the
  // read mux are two paths, not one), when a lane is to read them: only then are they looked
  // at.
  logic [31:0] x_bar2_size_lo_q;
  logic [31:0] x_bar2_size_hi_q;
  logic [31:0] x_status_q;
  always_ff @(posedge clk_i) begin
    rd_own_q <= rd_own;
    x_bar2_size_lo_rd_q <= x_bar2_size_lo_rd;
    if (|x_bar2_size_lo_rd) begin
      x_bar2_size_lo_q <= 32'(hw2reg_i.bar2_size.d[0 +: 32]);
    end
    x_bar2_size_hi_rd_q <= x_bar2_size_hi_rd;
    if (|x_bar2_size_hi_rd) begin
      x_bar2_size_hi_q <= 32'(hw2reg_i.bar2_size.d[32 +: 32]);
    end
    x_status_rd_q <= x_status_rd;
    if (|x_status_rd) begin
      x_status_q <= 32'(hw2reg_i.status.link_up.d) | (32'(hw2reg_i.status.bus_master.d) << 1) | (32'(hw2reg_i.status.max_payload.d) << 4) | (32'(hw2reg_i.status.max_read_req.d) << 8) | (32'(hw2reg_i.status.rcb_128.d) << 12);
    end
  end

  // Read stage 2: the driven values (looked at only when a lane reads one).
  always_ff @(posedge clk_i) begin
    for (int unsigned p = 0; p < 2; p++) begin
      logic [31:0] x;
      x = rd_own_q[p];
      if (x_bar2_size_lo_rd_q[p] || x_bar2_size_hi_rd_q[p] || x_status_rd_q[p]) begin
        x = x | (x_bar2_size_lo_rd_q[p] ? x_bar2_size_lo_q : '0);
        x = x | (x_bar2_size_hi_rd_q[p] ? x_bar2_size_hi_q : '0);
        x = x | (x_status_rd_q[p] ? x_status_q : '0);
      end
      rd_data_o[p] <= x;
    end
  end

endmodule

`default_nettype wire
