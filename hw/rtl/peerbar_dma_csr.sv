// peerbar_dma_csr: the DMA engine's BAR0 registers (map: hw/regmap/peerbar.toml via
// peerbar_reg_pkg): DMA_CONTROL/STATUS/COMPLETION_TIMEOUT, counters, DMA_ERROR_LOG, the QUEUE
// array (NumQueues elements) and the MSI-X table (BAR0 + 0x8000) and PBA (BAR0 + 0x9000).
//
// Shares the register file's access port (1-2 DWORDs per access). Offsets this block does not
// own read as 0, so the top ORs its read data with peerbar_regs'. Reads have no side effects;
// a read takes two cycles (offsets, then data registered), as in peerbar_regs.
// Doorbell values beyond the ring size (SQ_TAIL > SQ_ENTRIES_M1, CQ_HEAD > CQ_ENTRIES_M1) are
// ignored: the engine never sees an index outside its ring.

`default_nettype none

module peerbar_dma_csr
  import peerbar_pkg::*;
  import peerbar_reg_pkg::*;
#(
  // Number of DMA queue pairs (4..16); also the number of MSI-X vectors.
  parameter int unsigned NumQueues = 4
) (
  input  wire logic                         clk_i,
  input  wire logic                         rst_i,

  // Register access port (same as peerbar_regs)
  input  wire logic                         wr_valid_i,
  input  wire logic [13:0]                  wr_dw_addr_i,
  input  wire logic [1:0][31:0]             wr_data_i,
  input  wire logic [1:0][3:0]              wr_be_i,
  input  wire logic [13:0]                  rd_dw_addr_i,
  output      logic [1:0][31:0]             rd_data_o,

  // Configuration for the engine
  output      logic                         dma_enable_o,
  output      logic                         dma_ext_tags_o,
  output      logic                         dma_reset_o,        // pulse
  output      logic [31:0]                  timeout_o,          // >= 1
  output      dma_queue_cfg_t [NumQueues-1:0] queue_cfg_o,
  output      logic [NumQueues-1:0]         queue_enable_rise_o, // pulse: ENABLE 0 -> 1
  input  wire logic [NumQueues-1:0]         queue_disable_i,    // engine: clear ENABLE (ring fault)
  output      msix_vec_t [NumQueues-1:0]    msix_o,
  output      logic [NumQueues-1:0]         pba_o,
  input  wire logic [NumQueues-1:0]         pba_set_i,
  input  wire logic [NumQueues-1:0]         pba_clr_i,

  // Status from the engine
  input  wire logic                         busy_i,
  input  wire logic [6:0]                   tags_in_flight_i,
  input  wire logic [NumQueues-1:0][15:0]   sq_head_i,
  input  wire logic [NumQueues-1:0]         queue_busy_i,
  input  wire logic [NumQueues-1:0]         queue_full_i,

  // Accounting events from the engine
  input  wire dma_events_t                  ev_i
);

  if (NumQueues < 4 || NumQueues > 16) begin : gen_check_queues
    $error("peerbar_dma_csr: NumQueues must be in 4..16");
  end

  localparam int unsigned QW = $clog2(NumQueues);
  localparam logic [15:0] QueueEnd = QUEUE_BASE + 16'(NumQueues) * QUEUE_STRIDE;
  localparam int unsigned StrideLog2 = $clog2(QUEUE_STRIDE);

  function automatic logic [31:0] merge_be(logic [31:0] old, logic [31:0] data, logic [3:0] be);
    logic [31:0] r;
    r = old;
    for (int unsigned i = 0; i < 4; i++) begin
      if (be[i]) begin
        r[8*i +: 8] = data[8*i +: 8];
      end
    end
    return r;
  endfunction

  function automatic logic [31:0] sat_add(logic [31:0] v, logic [31:0] n);
    logic [32:0] s;
    s = {1'b0, v} + {1'b0, n};
    return s[32] ? 32'hFFFF_FFFF : s[31:0];
  endfunction

  // Storage
  logic                     enable_q, enable_d;
  logic                     ext_tags_q, ext_tags_d;
  logic [31:0]              timeout_q, timeout_d;
  logic [63:0]              bytes_in_q, bytes_in_d, bytes_out_q, bytes_out_d;
  logic [31:0]              jobs_q, jobs_d, job_errors_q, job_errors_d;
  logic [31:0]              err_sgl_q, err_sgl_d, err_bar_q, err_bar_d;
  logic [31:0]              err_link_q, err_link_d, err_bad_q, err_bad_d;
  logic [31:0]              elog_q, elog_d;
  logic [63:0]              eaddr_q, eaddr_d;
  dma_queue_cfg_t [NumQueues-1:0] qcfg_q, qcfg_d;
  logic [NumQueues-1:0][31:0] msix_lo_q, msix_lo_d, msix_hi_q, msix_hi_d;
  logic [NumQueues-1:0][31:0] msix_data_q, msix_data_d;
  logic [NumQueues-1:0]     msix_mask_q, msix_mask_d;
  logic [NumQueues-1:0]     pba_q, pba_d;

  logic [1:0][15:0] wr_offset, rd_offset;
  always_comb begin
    wr_offset[0] = {wr_dw_addr_i, 2'b00};
    wr_offset[1] = {wr_dw_addr_i + 14'd1, 2'b00};
  end
  // The read offsets are registered: the read mux alone fills the logic-level budget.
  always_ff @(posedge clk_i) begin
    rd_offset[0] <= {rd_dw_addr_i, 2'b00};
    rd_offset[1] <= {rd_dw_addr_i + 14'd1, 2'b00};
  end

  // Writes
  logic reset_pulse;
  always_comb begin
    enable_d            = enable_q;
    ext_tags_d          = ext_tags_q;
    timeout_d           = timeout_q;
    qcfg_d              = qcfg_q;
    msix_lo_d           = msix_lo_q;
    msix_hi_d           = msix_hi_q;
    msix_data_d         = msix_data_q;
    msix_mask_d         = msix_mask_q;
    reset_pulse         = 1'b0;
    queue_enable_rise_o = '0;

    if (wr_valid_i) begin
      for (int unsigned p = 0; p < 2; p++) begin
        logic [15:0] off;
        off = wr_offset[p];
        if (off == DMA_CONTROL_OFFSET && wr_be_i[p][0]) begin
          enable_d   = wr_data_i[p][DMA_CONTROL_ENABLE_LSB];
          ext_tags_d = wr_data_i[p][DMA_CONTROL_EXT_TAGS_LSB];
          if (wr_data_i[p][DMA_CONTROL_RESET_LSB]) begin
            reset_pulse = 1'b1;
          end
        end
        if (off == DMA_COMPLETION_TIMEOUT_OFFSET) begin
          timeout_d = merge_be(timeout_q, wr_data_i[p], wr_be_i[p]);
        end
        if (off >= QUEUE_BASE && off < QueueEnd) begin
          logic [15:0]   rel;
          logic [QW-1:0] q;
          logic [15:0]   r;
          rel = off - QUEUE_BASE;
          q   = QW'(rel >> StrideLog2);
          r   = rel & (QUEUE_STRIDE - 16'd1);
          unique case (r)
            QUEUE_SQ_BASE_LO_OFFSET:
              qcfg_d[q].sq_base[31:0] = merge_be(qcfg_q[q].sq_base[31:0], wr_data_i[p],
                                                 wr_be_i[p]);
            QUEUE_SQ_BASE_HI_OFFSET:
              qcfg_d[q].sq_base[63:32] = merge_be(qcfg_q[q].sq_base[63:32], wr_data_i[p],
                                                  wr_be_i[p]);
            QUEUE_CQ_BASE_LO_OFFSET:
              qcfg_d[q].cq_base[31:0] = merge_be(qcfg_q[q].cq_base[31:0], wr_data_i[p],
                                                 wr_be_i[p]);
            QUEUE_CQ_BASE_HI_OFFSET:
              qcfg_d[q].cq_base[63:32] = merge_be(qcfg_q[q].cq_base[63:32], wr_data_i[p],
                                                  wr_be_i[p]);
            QUEUE_SIZE_OFFSET: begin
              logic [31:0] v;
              v = merge_be({qcfg_q[q].cq_size_m1, qcfg_q[q].sq_size_m1}, wr_data_i[p],
                           wr_be_i[p]);
              qcfg_d[q].sq_size_m1 = v[QUEUE_SIZE_SQ_ENTRIES_M1_LSB +: 16];
              qcfg_d[q].cq_size_m1 = v[QUEUE_SIZE_CQ_ENTRIES_M1_LSB +: 16];
            end
            QUEUE_CONTROL_OFFSET: begin
              logic [31:0] v;
              v = merge_be(queue_control(qcfg_q[q].enable, qcfg_q[q].irq_enable, qcfg_q[q].msix_vector), wr_data_i[p], wr_be_i[p]);
              qcfg_d[q].enable      = v[QUEUE_CONTROL_ENABLE_LSB];
              qcfg_d[q].irq_enable  = v[QUEUE_CONTROL_IRQ_ENABLE_LSB];
              qcfg_d[q].msix_vector = v[QUEUE_CONTROL_MSIX_VECTOR_LSB +: 5];
              if (v[QUEUE_CONTROL_ENABLE_LSB] && !qcfg_q[q].enable) begin
                queue_enable_rise_o[q] = 1'b1;
              end
            end
            QUEUE_SQ_TAIL_OFFSET: begin
              logic [15:0] v;
              v = 16'(merge_be({16'd0, qcfg_q[q].sq_tail}, wr_data_i[p], wr_be_i[p]));
              if (v <= qcfg_q[q].sq_size_m1) begin
                qcfg_d[q].sq_tail = v;
              end
            end
            QUEUE_CQ_HEAD_OFFSET: begin
              logic [15:0] v;
              v = 16'(merge_be({16'd0, qcfg_q[q].cq_head}, wr_data_i[p], wr_be_i[p]));
              if (v <= qcfg_q[q].cq_size_m1) begin
                qcfg_d[q].cq_head = v;
              end
            end
            default: ;
          endcase
        end
        if (off >= MsixTableOffset && off < MsixTableOffset + 16'(16 * NumQueues)) begin
          logic [QW-1:0] v;
          v = QW'((off - MsixTableOffset) >> 4);
          unique case (off[3:2])
            2'd0: msix_lo_d[v] = merge_be(msix_lo_q[v], wr_data_i[p], wr_be_i[p]) & ~32'd3;
            2'd1: msix_hi_d[v] = merge_be(msix_hi_q[v], wr_data_i[p], wr_be_i[p]);
            2'd2: msix_data_d[v] = merge_be(msix_data_q[v], wr_data_i[p], wr_be_i[p]);
            default: begin
              if (wr_be_i[p][0]) begin
                msix_mask_d[v] = wr_data_i[p][0];
              end
            end
          endcase
        end
      end
    end

    if (reset_pulse) begin
      for (int unsigned q = 0; q < NumQueues; q++) begin
        qcfg_d[q].enable = 1'b0;
      end
      queue_enable_rise_o = '0;
    end
    for (int unsigned q = 0; q < NumQueues; q++) begin
      if (queue_disable_i[q]) begin
        qcfg_d[q].enable = 1'b0;
      end
    end
  end

  // Accounting
  always_comb begin
    bytes_in_d   = bytes_in_q + 64'(ev_i.bytes_in);
    bytes_out_d  = bytes_out_q + 64'(ev_i.bytes_out);
    jobs_d       = sat_add(jobs_q, 32'(ev_i.job_done));
    job_errors_d = sat_add(job_errors_q, 32'(ev_i.job_done && ev_i.job_status != '0));
    err_sgl_d    = sat_add(err_sgl_q, 32'(ev_i.err_sgl));
    err_bar_d    = sat_add(err_bar_q, 32'(ev_i.err_bar_range));
    err_link_d   = sat_add(err_link_q, 32'(ev_i.err_link));
    err_bad_d    = sat_add(err_bad_q, 32'(ev_i.bad_completion));
    elog_d       = elog_q;
    eaddr_d      = eaddr_q;
    pba_d        = (pba_q | pba_set_i) & ~pba_clr_i;
    if (reset_pulse) begin
      elog_d  = '0;
      eaddr_d = '0;
    end else if (ev_i.log_valid && !elog_q[DMA_ERROR_LOG_VALID_LSB]) begin
      elog_d = ((32'(ev_i.log_cid) << DMA_ERROR_LOG_CID_LSB) & DMA_ERROR_LOG_CID_MASK) |
               ((32'(ev_i.log_status) << DMA_ERROR_LOG_STATUS_LSB) & DMA_ERROR_LOG_STATUS_MASK) |
               ((32'(ev_i.log_queue) << DMA_ERROR_LOG_QUEUE_LSB) & DMA_ERROR_LOG_QUEUE_MASK) |
               DMA_ERROR_LOG_VALID_MASK;
      eaddr_d = ev_i.log_addr;
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      enable_q     <= DMA_CONTROL_RESET[DMA_CONTROL_ENABLE_LSB];
      ext_tags_q   <= DMA_CONTROL_RESET[DMA_CONTROL_EXT_TAGS_LSB];
      timeout_q    <= DMA_COMPLETION_TIMEOUT_RESET;
      bytes_in_q   <= '0;
      bytes_out_q  <= '0;
      jobs_q       <= '0;
      job_errors_q <= '0;
      err_sgl_q    <= '0;
      err_bar_q    <= '0;
      err_link_q   <= '0;
      err_bad_q    <= '0;
      elog_q       <= '0;
      eaddr_q      <= '0;
      qcfg_q       <= '0;
      msix_lo_q    <= '0;
      msix_hi_q    <= '0;
      msix_data_q  <= '0;
      msix_mask_q  <= '1;  // PCI: vectors reset masked
      pba_q        <= '0;
    end else begin
      enable_q     <= enable_d;
      ext_tags_q   <= ext_tags_d;
      timeout_q    <= timeout_d;
      bytes_in_q   <= bytes_in_d;
      bytes_out_q  <= bytes_out_d;
      jobs_q       <= jobs_d;
      job_errors_q <= job_errors_d;
      err_sgl_q    <= err_sgl_d;
      err_bar_q    <= err_bar_d;
      err_link_q   <= err_link_d;
      err_bad_q    <= err_bad_d;
      elog_q       <= elog_d;
      eaddr_q      <= eaddr_d;
      qcfg_q       <= qcfg_d;
      msix_lo_q    <= msix_lo_d;
      msix_hi_q    <= msix_hi_d;
      msix_data_q  <= msix_data_d;
      msix_mask_q  <= msix_mask_d;
      pba_q        <= pba_d;
    end
  end

  function automatic logic [31:0] queue_control(logic enable, logic irq_enable,
                                                logic [4:0] msix_vector);
    return (32'(enable) << QUEUE_CONTROL_ENABLE_LSB) |
           (32'(irq_enable) << QUEUE_CONTROL_IRQ_ENABLE_LSB) |
           (32'(msix_vector) << QUEUE_CONTROL_MSIX_VECTOR_LSB);
  endfunction

  // Outputs
  always_comb begin
    dma_enable_o = enable_q;
    dma_ext_tags_o = ext_tags_q;
    dma_reset_o  = reset_pulse;
    timeout_o    = (timeout_q == '0) ? 32'd1 : timeout_q;
    queue_cfg_o  = qcfg_q;
    pba_o        = pba_q;
    for (int unsigned v = 0; v < NumQueues; v++) begin
      msix_o[v].addr = {msix_hi_q[v], msix_lo_q[v]};
      msix_o[v].data = msix_data_q[v];
      msix_o[v].mask = msix_mask_q[v];
    end
  end

  // Reads (from the registered offsets)
  logic [1:0][31:0] rd_data;
  always_comb begin
    for (int unsigned p = 0; p < 2; p++) begin
      logic [15:0] off;
      off = rd_offset[p];
      rd_data[p] = '0;
      unique case (off)
        DMA_CONTROL_OFFSET:
          rd_data[p] = (32'(enable_q) << DMA_CONTROL_ENABLE_LSB) |
                       (32'(ext_tags_q) << DMA_CONTROL_EXT_TAGS_LSB);
        DMA_STATUS_OFFSET:
          rd_data[p] = (32'(busy_i) << DMA_STATUS_BUSY_LSB) |
                       ((32'(tags_in_flight_i) << DMA_STATUS_TAGS_IN_FLIGHT_LSB) &
                        DMA_STATUS_TAGS_IN_FLIGHT_MASK);
        DMA_COMPLETION_TIMEOUT_OFFSET: rd_data[p] = timeout_q;
        DMA_BYTES_IN_LO_OFFSET:        rd_data[p] = bytes_in_q[31:0];
        DMA_BYTES_IN_HI_OFFSET:        rd_data[p] = bytes_in_q[63:32];
        DMA_BYTES_OUT_LO_OFFSET:       rd_data[p] = bytes_out_q[31:0];
        DMA_BYTES_OUT_HI_OFFSET:       rd_data[p] = bytes_out_q[63:32];
        DMA_JOBS_OFFSET:               rd_data[p] = jobs_q;
        DMA_JOB_ERRORS_OFFSET:         rd_data[p] = job_errors_q;
        DMA_ERR_SGL_OFFSET:            rd_data[p] = err_sgl_q;
        DMA_ERR_BAR_RANGE_OFFSET:      rd_data[p] = err_bar_q;
        DMA_ERR_LINK_OFFSET:           rd_data[p] = err_link_q;
        DMA_ERR_BAD_COMPLETION_OFFSET: rd_data[p] = err_bad_q;
        DMA_ERROR_LOG_OFFSET:          rd_data[p] = elog_q;
        DMA_ERROR_ADDR_LO_OFFSET:      rd_data[p] = eaddr_q[31:0];
        DMA_ERROR_ADDR_HI_OFFSET:      rd_data[p] = eaddr_q[63:32];
        MsixPbaOffset:                 rd_data[p] = 32'(pba_q);
        default: begin
          if (off >= QUEUE_BASE && off < QueueEnd) begin
            logic [15:0]   rel;
            logic [QW-1:0] q;
            logic [15:0]   r;
            rel = off - QUEUE_BASE;
            q   = QW'(rel >> StrideLog2);
            r   = rel & (QUEUE_STRIDE - 16'd1);
            unique case (r)
              QUEUE_SQ_BASE_LO_OFFSET: rd_data[p] = qcfg_q[q].sq_base[31:0];
              QUEUE_SQ_BASE_HI_OFFSET: rd_data[p] = qcfg_q[q].sq_base[63:32];
              QUEUE_CQ_BASE_LO_OFFSET: rd_data[p] = qcfg_q[q].cq_base[31:0];
              QUEUE_CQ_BASE_HI_OFFSET: rd_data[p] = qcfg_q[q].cq_base[63:32];
              QUEUE_SIZE_OFFSET:
                rd_data[p] = (32'(qcfg_q[q].sq_size_m1) << QUEUE_SIZE_SQ_ENTRIES_M1_LSB) |
                             (32'(qcfg_q[q].cq_size_m1) << QUEUE_SIZE_CQ_ENTRIES_M1_LSB);
              QUEUE_CONTROL_OFFSET:    rd_data[p] = queue_control(qcfg_q[q].enable, qcfg_q[q].irq_enable, qcfg_q[q].msix_vector);
              QUEUE_STATUS_OFFSET:
                rd_data[p] = (32'(sq_head_i[q]) << QUEUE_STATUS_SQ_HEAD_LSB) |
                             (32'(queue_busy_i[q]) << QUEUE_STATUS_BUSY_LSB) |
                             (32'(queue_full_i[q]) << QUEUE_STATUS_FULL_LSB);
              QUEUE_SQ_TAIL_OFFSET:    rd_data[p] = 32'(qcfg_q[q].sq_tail);
              QUEUE_CQ_HEAD_OFFSET:    rd_data[p] = 32'(qcfg_q[q].cq_head);
              default:                 rd_data[p] = '0;
            endcase
          end else if (off >= MsixTableOffset && off < MsixTableOffset + 16'(16 * NumQueues)) begin
            logic [QW-1:0] v;
            v = QW'((off - MsixTableOffset) >> 4);
            unique case (off[3:2])
              2'd0:    rd_data[p] = msix_lo_q[v];
              2'd1:    rd_data[p] = msix_hi_q[v];
              2'd2:    rd_data[p] = msix_data_q[v];
              default: rd_data[p] = 32'(msix_mask_q[v]);
            endcase
          end
        end
      endcase
    end
  end

  always_ff @(posedge clk_i) begin
    rd_data_o <= rd_data;
  end

endmodule

`default_nettype wire
