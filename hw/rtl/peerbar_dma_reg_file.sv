// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_dma_reg_file: storage, write decode and read mux of the registers of group dma.
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

module peerbar_dma_reg_file
  import peerbar_reg_pkg::*;
#(
  // Elements of array QUEUE implemented (1..16); the others read as 0.
  parameter int unsigned QueueCount = QUEUE_COUNT,
  // Elements of array MSIX_TABLE implemented (1..16); the others read as 0.
  parameter int unsigned MsixTableCount = MSIX_TABLE_COUNT
) (
  input  wire logic             clk_i,
  input  wire logic             rst_i,
  input  wire logic             wr_valid_i,
  input  wire logic [13:0]      wr_dw_addr_next_i,
  input  wire logic [1:0][31:0] wr_data_i,
  input  wire logic [1:0][3:0]  wr_be_i,
  input  wire logic [13:0]      rd_dw_addr_i,
  output      logic [1:0][31:0] rd_data_o,
  output      dma_reg2hw_t reg2hw_o,
  input  wire dma_hw2reg_t hw2reg_i,
  output      dma_queue_reg2hw_t [QueueCount-1:0] queue_reg2hw_o,
  input  wire dma_queue_hw2reg_t [QueueCount-1:0] queue_hw2reg_i,
  output      dma_msix_table_reg2hw_t [MsixTableCount-1:0] msix_table_reg2hw_o
);

  if (QueueCount < 1 || QueueCount > QUEUE_COUNT) begin : gen_check_queue
    $error("peerbar_dma_reg_file: QueueCount must be in 1..16");
  end

  if (MsixTableCount < 1 || MsixTableCount > MSIX_TABLE_COUNT) begin : gen_check_msix_table
    $error("peerbar_dma_reg_file: MsixTableCount must be in 1..16");
  end

  // Storage. The fields hardware reads are held in the scope's reg2hw struct itself
  // (r2h_q; its wd and pulse members are unused), so that reg2hw_o is one copy of it with
  // wd and the pulses laid over; the other stored fields in signals of their own (s_*_q).
  dma_reg2hw_t r2h_q;
  logic [15:0] s_dma_error_log_cid_q;
  logic [7:0] s_dma_error_log_status_q;
  logic [3:0] s_dma_error_log_queue_q;
  logic [63:0] s_dma_error_addr_q;
  dma_queue_reg2hw_t [QueueCount-1:0] queue_r2h_q;
  dma_msix_table_reg2hw_t [MsixTableCount-1:0] msix_table_r2h_q;

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
      s_dma_error_log_cid_q <= 16'h0;
      s_dma_error_log_status_q <= 8'h0;
      s_dma_error_log_queue_q <= 4'h0;
      s_dma_error_addr_q <= 64'h0;
      r2h_q.dma_completion_timeout.q <= 32'h30d4;
      queue_r2h_q <= '0;
      msix_table_r2h_q <= '0;
      for (int unsigned i = 0; i < MsixTableCount; i++) begin
        msix_table_r2h_q[i].vector_control.q <= 1'h1;
      end
    end else begin
      if (wr_valid_i) begin
        for (int unsigned p = 0; p < 2; p++) begin
          if (wr_dec_q[p].f3[0]) begin
            if (wr_dec_q[p].f2[0]) begin
              if (wr_dec_q[p].f1[2]) begin
                if (wr_dec_q[p].f0[0]) begin  // DMA_CONTROL
                  be = wr_be(14'h0010);
                  wr = wr_data(14'h0010);
                  if (be[0]) begin
                    r2h_q.dma_control.enable.q <= wr[0 +: 1];
                    r2h_q.dma_control.ext_tags.q <= wr[2 +: 1];
                  end
                end
                if (wr_dec_q[p].f0[2]) begin  // DMA_COMPLETION_TIMEOUT
                  be = wr_be(14'h0012);
                  wr = wr_data(14'h0012);
                  if (be[0]) r2h_q.dma_completion_timeout.q[0 +: 8] <= wr[0 +: 8];
                  if (be[1]) r2h_q.dma_completion_timeout.q[8 +: 8] <= wr[8 +: 8];
                  if (be[2]) r2h_q.dma_completion_timeout.q[16 +: 8] <= wr[16 +: 8];
                  if (be[3]) r2h_q.dma_completion_timeout.q[24 +: 8] <= wr[24 +: 8];
                end
              end
            end
          end
          if (wr_dec_q[p].f3[1]) begin
            for (int unsigned i = 0; i < QueueCount; i++) begin
              if (wr_dec_q[p].f2[4'((14'h0400 + 14'(i) * 14'h0010) >> 6)]) begin
                if (wr_dec_q[p].f1[3'((14'h0400 + 14'(i) * 14'h0010) >> 3)]) begin
                  if (wr_dec_q[p].f0[0]) begin  // QUEUE[i].SQ_BASE_LO
                    be = wr_be(14'h0400 + 14'(i) * 14'h0010);
                    wr = wr_data(14'h0400 + 14'(i) * 14'h0010);
                    if (be[0]) queue_r2h_q[i].sq_base.q[0 +: 8] <= wr[0 +: 8];
                    if (be[1]) queue_r2h_q[i].sq_base.q[8 +: 8] <= wr[8 +: 8];
                    if (be[2]) queue_r2h_q[i].sq_base.q[16 +: 8] <= wr[16 +: 8];
                    if (be[3]) queue_r2h_q[i].sq_base.q[24 +: 8] <= wr[24 +: 8];
                  end
                  if (wr_dec_q[p].f0[1]) begin  // QUEUE[i].SQ_BASE_HI
                    be = wr_be(14'h0401 + 14'(i) * 14'h0010);
                    wr = wr_data(14'h0401 + 14'(i) * 14'h0010);
                    if (be[0]) queue_r2h_q[i].sq_base.q[32 +: 8] <= wr[0 +: 8];
                    if (be[1]) queue_r2h_q[i].sq_base.q[40 +: 8] <= wr[8 +: 8];
                    if (be[2]) queue_r2h_q[i].sq_base.q[48 +: 8] <= wr[16 +: 8];
                    if (be[3]) queue_r2h_q[i].sq_base.q[56 +: 8] <= wr[24 +: 8];
                  end
                  if (wr_dec_q[p].f0[2]) begin  // QUEUE[i].CQ_BASE_LO
                    be = wr_be(14'h0402 + 14'(i) * 14'h0010);
                    wr = wr_data(14'h0402 + 14'(i) * 14'h0010);
                    if (be[0]) queue_r2h_q[i].cq_base.q[0 +: 8] <= wr[0 +: 8];
                    if (be[1]) queue_r2h_q[i].cq_base.q[8 +: 8] <= wr[8 +: 8];
                    if (be[2]) queue_r2h_q[i].cq_base.q[16 +: 8] <= wr[16 +: 8];
                    if (be[3]) queue_r2h_q[i].cq_base.q[24 +: 8] <= wr[24 +: 8];
                  end
                  if (wr_dec_q[p].f0[3]) begin  // QUEUE[i].CQ_BASE_HI
                    be = wr_be(14'h0403 + 14'(i) * 14'h0010);
                    wr = wr_data(14'h0403 + 14'(i) * 14'h0010);
                    if (be[0]) queue_r2h_q[i].cq_base.q[32 +: 8] <= wr[0 +: 8];
                    if (be[1]) queue_r2h_q[i].cq_base.q[40 +: 8] <= wr[8 +: 8];
                    if (be[2]) queue_r2h_q[i].cq_base.q[48 +: 8] <= wr[16 +: 8];
                    if (be[3]) queue_r2h_q[i].cq_base.q[56 +: 8] <= wr[24 +: 8];
                  end
                  if (wr_dec_q[p].f0[4]) begin  // QUEUE[i].SIZE
                    be = wr_be(14'h0404 + 14'(i) * 14'h0010);
                    wr = wr_data(14'h0404 + 14'(i) * 14'h0010);
                    if (be[0]) queue_r2h_q[i].size.sq_entries_m1.q[0 +: 8] <= wr[0 +: 8];
                    if (be[1]) queue_r2h_q[i].size.sq_entries_m1.q[8 +: 8] <= wr[8 +: 8];
                    if (be[2]) queue_r2h_q[i].size.cq_entries_m1.q[0 +: 8] <= wr[16 +: 8];
                    if (be[3]) queue_r2h_q[i].size.cq_entries_m1.q[8 +: 8] <= wr[24 +: 8];
                  end
                  if (wr_dec_q[p].f0[5]) begin  // QUEUE[i].CONTROL
                    be = wr_be(14'h0405 + 14'(i) * 14'h0010);
                    wr = wr_data(14'h0405 + 14'(i) * 14'h0010);
                    if (be[0]) begin
                      queue_r2h_q[i].control.enable.q <= wr[0 +: 1];
                      queue_r2h_q[i].control.irq_enable.q <= wr[1 +: 1];
                    end
                    if (be[1]) queue_r2h_q[i].control.msix_vector.q <= wr[8 +: 5];
                  end
                  if (wr_dec_q[p].f0[7]) begin  // QUEUE[i].SQ_TAIL
                    be = wr_be(14'h0407 + 14'(i) * 14'h0010);
                    wr = wr_data(14'h0407 + 14'(i) * 14'h0010);
                    if (be[0]) queue_r2h_q[i].sq_tail.q[0 +: 8] <= wr[0 +: 8];
                    if (be[1]) queue_r2h_q[i].sq_tail.q[8 +: 8] <= wr[8 +: 8];
                  end
                end
                if (wr_dec_q[p].f1[3'((14'h0408 + 14'(i) * 14'h0010) >> 3)]) begin
                  if (wr_dec_q[p].f0[0]) begin  // QUEUE[i].CQ_HEAD
                    be = wr_be(14'h0408 + 14'(i) * 14'h0010);
                    wr = wr_data(14'h0408 + 14'(i) * 14'h0010);
                    if (be[0]) queue_r2h_q[i].cq_head.q[0 +: 8] <= wr[0 +: 8];
                    if (be[1]) queue_r2h_q[i].cq_head.q[8 +: 8] <= wr[8 +: 8];
                  end
                end
              end
            end
          end
          if (wr_dec_q[p].f3[8]) begin
            if (wr_dec_q[p].f2[0]) begin
              for (int unsigned i = 0; i < MsixTableCount; i++) begin
                if (wr_dec_q[p].f1[3'((14'h2000 + 14'(i) * 14'h0004) >> 3)]) begin
                  if (wr_dec_q[p].f0[3'(14'h2000 + 14'(i) * 14'h0004)]) begin  // MSIX_TABLE[i].ADDR_LO
                    be = wr_be(14'h2000 + 14'(i) * 14'h0004);
                    wr = wr_data(14'h2000 + 14'(i) * 14'h0004);
                    if (be[0]) msix_table_r2h_q[i].addr.q[2 +: 6] <= wr[2 +: 6];
                    if (be[1]) msix_table_r2h_q[i].addr.q[8 +: 8] <= wr[8 +: 8];
                    if (be[2]) msix_table_r2h_q[i].addr.q[16 +: 8] <= wr[16 +: 8];
                    if (be[3]) msix_table_r2h_q[i].addr.q[24 +: 8] <= wr[24 +: 8];
                  end
                  if (wr_dec_q[p].f0[3'(14'h2001 + 14'(i) * 14'h0004)]) begin  // MSIX_TABLE[i].ADDR_HI
                    be = wr_be(14'h2001 + 14'(i) * 14'h0004);
                    wr = wr_data(14'h2001 + 14'(i) * 14'h0004);
                    if (be[0]) msix_table_r2h_q[i].addr.q[32 +: 8] <= wr[0 +: 8];
                    if (be[1]) msix_table_r2h_q[i].addr.q[40 +: 8] <= wr[8 +: 8];
                    if (be[2]) msix_table_r2h_q[i].addr.q[48 +: 8] <= wr[16 +: 8];
                    if (be[3]) msix_table_r2h_q[i].addr.q[56 +: 8] <= wr[24 +: 8];
                  end
                  if (wr_dec_q[p].f0[3'(14'h2002 + 14'(i) * 14'h0004)]) begin  // MSIX_TABLE[i].DATA
                    be = wr_be(14'h2002 + 14'(i) * 14'h0004);
                    wr = wr_data(14'h2002 + 14'(i) * 14'h0004);
                    if (be[0]) msix_table_r2h_q[i].data.q[0 +: 8] <= wr[0 +: 8];
                    if (be[1]) msix_table_r2h_q[i].data.q[8 +: 8] <= wr[8 +: 8];
                    if (be[2]) msix_table_r2h_q[i].data.q[16 +: 8] <= wr[16 +: 8];
                    if (be[3]) msix_table_r2h_q[i].data.q[24 +: 8] <= wr[24 +: 8];
                  end
                  if (wr_dec_q[p].f0[3'(14'h2003 + 14'(i) * 14'h0004)]) begin  // MSIX_TABLE[i].VECTOR_CONTROL
                    be = wr_be(14'h2003 + 14'(i) * 14'h0004);
                    wr = wr_data(14'h2003 + 14'(i) * 14'h0004);
                    if (be[0]) msix_table_r2h_q[i].vector_control.q <= wr[0 +: 1];
                  end
                end
              end
            end
          end
        end
      end
      if (hw2reg_i.dma_bytes_in.de) begin
        r2h_q.dma_bytes_in.q <= hw2reg_i.dma_bytes_in.d;
      end
      if (hw2reg_i.dma_bytes_out.de) begin
        r2h_q.dma_bytes_out.q <= hw2reg_i.dma_bytes_out.d;
      end
      if (hw2reg_i.dma_jobs.de) begin
        r2h_q.dma_jobs.q <= hw2reg_i.dma_jobs.d;
      end
      if (hw2reg_i.dma_job_errors.de) begin
        r2h_q.dma_job_errors.q <= hw2reg_i.dma_job_errors.d;
      end
      if (hw2reg_i.dma_err_sgl.de) begin
        r2h_q.dma_err_sgl.q <= hw2reg_i.dma_err_sgl.d;
      end
      if (hw2reg_i.dma_err_bar_range.de) begin
        r2h_q.dma_err_bar_range.q <= hw2reg_i.dma_err_bar_range.d;
      end
      if (hw2reg_i.dma_err_link.de) begin
        r2h_q.dma_err_link.q <= hw2reg_i.dma_err_link.d;
      end
      if (hw2reg_i.dma_err_bad_completion.de) begin
        r2h_q.dma_err_bad_completion.q <= hw2reg_i.dma_err_bad_completion.d;
      end
      if (hw2reg_i.dma_error_log.cid.de) begin
        s_dma_error_log_cid_q <= hw2reg_i.dma_error_log.cid.d;
      end
      if (hw2reg_i.dma_error_log.status.de) begin
        s_dma_error_log_status_q <= hw2reg_i.dma_error_log.status.d;
      end
      if (hw2reg_i.dma_error_log.queue.de) begin
        s_dma_error_log_queue_q <= hw2reg_i.dma_error_log.queue.d;
      end
      if (hw2reg_i.dma_error_log.valid.de) begin
        r2h_q.dma_error_log.valid.q <= hw2reg_i.dma_error_log.valid.d;
      end
      if (hw2reg_i.dma_error_addr.de) begin
        s_dma_error_addr_q <= hw2reg_i.dma_error_addr.d;
      end
      for (int unsigned i = 0; i < QueueCount; i++) begin
        if (queue_hw2reg_i[i].control.enable.de) begin
          queue_r2h_q[i].control.enable.q <= queue_hw2reg_i[i].control.enable.d;
        end
        if (queue_hw2reg_i[i].sq_tail.de) begin
          queue_r2h_q[i].sq_tail.q <= queue_hw2reg_i[i].sq_tail.d;
        end
        if (queue_hw2reg_i[i].cq_head.de) begin
          queue_r2h_q[i].cq_head.q <= queue_hw2reg_i[i].cq_head.d;
        end
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
    reg2hw_o.dma_control.reset.q = '0;
    queue_reg2hw_o = queue_r2h_q;
    for (int unsigned i = 0; i < QueueCount; i++) begin
      queue_reg2hw_o[i].control.enable.wd = queue_r2h_q[i].control.enable.q;
      queue_reg2hw_o[i].sq_tail.wd = queue_r2h_q[i].sq_tail.q;
      queue_reg2hw_o[i].cq_head.wd = queue_r2h_q[i].cq_head.q;
    end
    msix_table_reg2hw_o = msix_table_r2h_q;
    if (wr_valid_i) begin
      wr = wr_merge(32'h0, 14'h0010);
      reg2hw_o.dma_control.reset.q = wr[1 +: 1];
      for (int unsigned i = 0; i < QueueCount; i++) begin
        wr = wr_merge(32'(queue_r2h_q[i].control.enable.q), 14'h0405 + 14'(i) * 14'h0010);
        queue_reg2hw_o[i].control.enable.wd = wr[0 +: 1];
        wr = wr_merge(32'(queue_r2h_q[i].sq_tail.q), 14'h0407 + 14'(i) * 14'h0010);
        queue_reg2hw_o[i].sq_tail.wd = wr[0 +: 16];
        wr = wr_merge(32'(queue_r2h_q[i].cq_head.q), 14'h0408 + 14'(i) * 14'h0010);
        queue_reg2hw_o[i].cq_head.wd = wr[0 +: 16];
      end
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
  logic [1:0] x_dma_status_rd, x_dma_status_rd_q;
  logic [1:0] x_msix_pba_rd, x_msix_pba_rd_q;
  logic [1:0][QueueCount-1:0] x_queue_status_rd, x_queue_status_rd_q;
  always_comb begin
    rd_own = '0;
    x_dma_status_rd = '0;
    x_msix_pba_rd = '0;
    x_queue_status_rd = '0;
    for (int unsigned p = 0; p < 2; p++) begin
      if (rd_dec_q[p].f3[0]) begin
        if (rd_dec_q[p].f2[0]) begin
          if (rd_dec_q[p].f1[2]) begin
            if (rd_dec_q[p].f0[0]) begin  // DMA_CONTROL
              rd_own[p] = rd_own[p] | 32'(r2h_q.dma_control.enable.q) | (32'(r2h_q.dma_control.ext_tags.q) << 2);
            end
            if (rd_dec_q[p].f0[1]) begin  // DMA_STATUS
              x_dma_status_rd[p] = 1'b1;
            end
            if (rd_dec_q[p].f0[2]) begin  // DMA_COMPLETION_TIMEOUT
              rd_own[p] = rd_own[p] | 32'(r2h_q.dma_completion_timeout.q);
            end
          end
          if (rd_dec_q[p].f1[3]) begin
            if (rd_dec_q[p].f0[0]) begin  // DMA_BYTES_IN_LO
              rd_own[p] = rd_own[p] | 32'(r2h_q.dma_bytes_in.q[0 +: 32]);
            end
            if (rd_dec_q[p].f0[1]) begin  // DMA_BYTES_IN_HI
              rd_own[p] = rd_own[p] | 32'(r2h_q.dma_bytes_in.q[32 +: 32]);
            end
            if (rd_dec_q[p].f0[2]) begin  // DMA_BYTES_OUT_LO
              rd_own[p] = rd_own[p] | 32'(r2h_q.dma_bytes_out.q[0 +: 32]);
            end
            if (rd_dec_q[p].f0[3]) begin  // DMA_BYTES_OUT_HI
              rd_own[p] = rd_own[p] | 32'(r2h_q.dma_bytes_out.q[32 +: 32]);
            end
            if (rd_dec_q[p].f0[4]) begin  // DMA_JOBS
              rd_own[p] = rd_own[p] | 32'(r2h_q.dma_jobs.q);
            end
            if (rd_dec_q[p].f0[5]) begin  // DMA_JOB_ERRORS
              rd_own[p] = rd_own[p] | 32'(r2h_q.dma_job_errors.q);
            end
            if (rd_dec_q[p].f0[6]) begin  // DMA_ERR_SGL
              rd_own[p] = rd_own[p] | 32'(r2h_q.dma_err_sgl.q);
            end
            if (rd_dec_q[p].f0[7]) begin  // DMA_ERR_BAR_RANGE
              rd_own[p] = rd_own[p] | 32'(r2h_q.dma_err_bar_range.q);
            end
          end
          if (rd_dec_q[p].f1[4]) begin
            if (rd_dec_q[p].f0[0]) begin  // DMA_ERR_LINK
              rd_own[p] = rd_own[p] | 32'(r2h_q.dma_err_link.q);
            end
            if (rd_dec_q[p].f0[1]) begin  // DMA_ERR_BAD_COMPLETION
              rd_own[p] = rd_own[p] | 32'(r2h_q.dma_err_bad_completion.q);
            end
          end
          if (rd_dec_q[p].f1[5]) begin
            if (rd_dec_q[p].f0[0]) begin  // DMA_ERROR_LOG
              rd_own[p] = rd_own[p] | 32'(s_dma_error_log_cid_q) | (32'(s_dma_error_log_status_q) << 16) | (32'(s_dma_error_log_queue_q) << 24) | (32'(r2h_q.dma_error_log.valid.q) << 31);
            end
            if (rd_dec_q[p].f0[1]) begin  // DMA_ERROR_ADDR_LO
              rd_own[p] = rd_own[p] | 32'(s_dma_error_addr_q[0 +: 32]);
            end
            if (rd_dec_q[p].f0[2]) begin  // DMA_ERROR_ADDR_HI
              rd_own[p] = rd_own[p] | 32'(s_dma_error_addr_q[32 +: 32]);
            end
          end
        end
      end
      if (rd_dec_q[p].f3[9]) begin
        if (rd_dec_q[p].f2[0]) begin
          if (rd_dec_q[p].f1[0]) begin
            if (rd_dec_q[p].f0[0]) begin  // MSIX_PBA
              x_msix_pba_rd[p] = 1'b1;
            end
          end
        end
      end
      if (rd_dec_q[p].f3[1]) begin
        for (int unsigned i = 0; i < QueueCount; i++) begin
          if (rd_dec_q[p].f2[4'((14'h0400 + 14'(i) * 14'h0010) >> 6)]) begin
            if (rd_dec_q[p].f1[3'((14'h0400 + 14'(i) * 14'h0010) >> 3)]) begin
              if (rd_dec_q[p].f0[0]) begin  // QUEUE[i].SQ_BASE_LO
                rd_own[p] = rd_own[p] | 32'(queue_r2h_q[i].sq_base.q[0 +: 32]);
              end
              if (rd_dec_q[p].f0[1]) begin  // QUEUE[i].SQ_BASE_HI
                rd_own[p] = rd_own[p] | 32'(queue_r2h_q[i].sq_base.q[32 +: 32]);
              end
              if (rd_dec_q[p].f0[2]) begin  // QUEUE[i].CQ_BASE_LO
                rd_own[p] = rd_own[p] | 32'(queue_r2h_q[i].cq_base.q[0 +: 32]);
              end
              if (rd_dec_q[p].f0[3]) begin  // QUEUE[i].CQ_BASE_HI
                rd_own[p] = rd_own[p] | 32'(queue_r2h_q[i].cq_base.q[32 +: 32]);
              end
              if (rd_dec_q[p].f0[4]) begin  // QUEUE[i].SIZE
                rd_own[p] = rd_own[p] | 32'(queue_r2h_q[i].size.sq_entries_m1.q) | (32'(queue_r2h_q[i].size.cq_entries_m1.q) << 16);
              end
              if (rd_dec_q[p].f0[5]) begin  // QUEUE[i].CONTROL
                rd_own[p] = rd_own[p] | 32'(queue_r2h_q[i].control.enable.q) | (32'(queue_r2h_q[i].control.irq_enable.q) << 1) | (32'(queue_r2h_q[i].control.msix_vector.q) << 8);
              end
              if (rd_dec_q[p].f0[6]) begin  // QUEUE[i].STATUS
                x_queue_status_rd[p][i] = 1'b1;
              end
              if (rd_dec_q[p].f0[7]) begin  // QUEUE[i].SQ_TAIL
                rd_own[p] = rd_own[p] | 32'(queue_r2h_q[i].sq_tail.q);
              end
            end
            if (rd_dec_q[p].f1[3'((14'h0408 + 14'(i) * 14'h0010) >> 3)]) begin
              if (rd_dec_q[p].f0[0]) begin  // QUEUE[i].CQ_HEAD
                rd_own[p] = rd_own[p] | 32'(queue_r2h_q[i].cq_head.q);
              end
            end
          end
        end
      end
      if (rd_dec_q[p].f3[8]) begin
        if (rd_dec_q[p].f2[0]) begin
          for (int unsigned i = 0; i < MsixTableCount; i++) begin
            if (rd_dec_q[p].f1[3'((14'h2000 + 14'(i) * 14'h0004) >> 3)]) begin
              if (rd_dec_q[p].f0[3'(14'h2000 + 14'(i) * 14'h0004)]) begin  // MSIX_TABLE[i].ADDR_LO
                rd_own[p] = rd_own[p] | (32'(msix_table_r2h_q[i].addr.q[2 +: 30]) << 2);
              end
              if (rd_dec_q[p].f0[3'(14'h2001 + 14'(i) * 14'h0004)]) begin  // MSIX_TABLE[i].ADDR_HI
                rd_own[p] = rd_own[p] | 32'(msix_table_r2h_q[i].addr.q[32 +: 32]);
              end
              if (rd_dec_q[p].f0[3'(14'h2002 + 14'(i) * 14'h0004)]) begin  // MSIX_TABLE[i].DATA
                rd_own[p] = rd_own[p] | 32'(msix_table_r2h_q[i].data.q);
              end
              if (rd_dec_q[p].f0[3'(14'h2003 + 14'(i) * 14'h0004)]) begin  // MSIX_TABLE[i].VECTOR_CONTROL
                rd_own[p] = rd_own[p] | 32'(msix_table_r2h_q[i].vector_control.q);
              end
            end
          end
        end
      end
    end
  end

  // The values hardware drives, registered (with them the logic that drives them and the
  // read mux are two paths, not one), when a lane is to read them: only then are they looked
  // at.
  logic [31:0] x_dma_status_q;
  logic [31:0] x_msix_pba_q;
  logic [QueueCount-1:0][31:0] x_queue_status_q;
  always_ff @(posedge clk_i) begin
    rd_own_q <= rd_own;
    x_dma_status_rd_q <= x_dma_status_rd;
    if (|x_dma_status_rd) begin
      x_dma_status_q <= 32'(hw2reg_i.dma_status.busy.d) | (32'(hw2reg_i.dma_status.tags_in_flight.d) << 8);
    end
    x_msix_pba_rd_q <= x_msix_pba_rd;
    if (|x_msix_pba_rd) begin
      x_msix_pba_q <= 32'(hw2reg_i.msix_pba.d);
    end
    x_queue_status_rd_q <= x_queue_status_rd;
    for (int unsigned i = 0; i < QueueCount; i++) begin
      if (x_queue_status_rd[0][i] || x_queue_status_rd[1][i]) begin
        x_queue_status_q[i] <= 32'(queue_hw2reg_i[i].status.sq_head.d) | (32'(queue_hw2reg_i[i].status.busy.d) << 16) | (32'(queue_hw2reg_i[i].status.full.d) << 17);
      end
    end
  end

  // Read stage 2: the driven values (looked at only when a lane reads one).
  always_ff @(posedge clk_i) begin
    for (int unsigned p = 0; p < 2; p++) begin
      logic [31:0] x;
      x = rd_own_q[p];
      if (x_dma_status_rd_q[p] || x_msix_pba_rd_q[p] || (|x_queue_status_rd_q[p])) begin
        x = x | (x_dma_status_rd_q[p] ? x_dma_status_q : '0);
        x = x | (x_msix_pba_rd_q[p] ? x_msix_pba_q : '0);
        for (int unsigned i = 0; i < QueueCount; i++) begin
          x = x | (x_queue_status_rd_q[p][i] ? x_queue_status_q[i] : '0);
        end
      end
      rd_data_o[p] <= x;
    end
  end

endmodule

`default_nettype wire
