// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_dma_csr: the DMA engine's BAR0 registers (map: hw/regmap/peerbar.toml via
// peerbar_reg_pkg): DMA_CONTROL/STATUS/COMPLETION_TIMEOUT, counters, DMA_ERROR_LOG, the QUEUE
// array and the MSI-X table (MSIX_TABLE array) with NumQueues elements each, and the MSI-X PBA.
//
// Shares the register file's access port (1-2 DWORDs per access). Offsets this block does not
// own read as 0, so the top ORs its read data with peerbar_regs'. Reads have no side effects;
// a read takes three cycles (decoded offsets, this block's registers with the engine's status
// registered beside them, then the status fields), as in peerbar_regs; a write's addresses are
// decoded in the cycle before it, from the write address's next value (both below).
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
  // The write address one cycle ahead: what wr_dw_addr of the register files holds in the next
  // cycle (peerbar_completer registers it unconditionally), decoded here a cycle early.
  input  wire logic [13:0]                  wr_dw_addr_next_i,
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
  localparam logic [15:0] MsixEnd = MSIX_TABLE_BASE + 16'(NumQueues) * MSIX_TABLE_STRIDE;
  localparam int unsigned MsixStrideLog2 = $clog2(MSIX_TABLE_STRIDE);
  localparam int unsigned MaskBit = MSIX_TABLE_VECTOR_CONTROL_MASK_LSB;

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

  // Writes. The DWORD addresses of the two lanes of a write (the address and the address + 1)
  // are decoded in the cycle before the write, from wr_dw_addr_next_i, into one-hot fields
  // (address bits 13:10, 9:6, 5:3, 2:0), so that "lane p writes DWORD dw" is an AND of four
  // registered bits: the address compares, the + 1 and the range checks stay out of the path
  // from the completer's registered write port into the registers (the logic-level budget in
  // the whole design, docs/synthesis.md).
  typedef struct packed {
    logic [15:0] f3;
    logic [15:0] f2;
    logic [7:0]  f1;
    logic [7:0]  f0;
  } wr_dec_t;

  function automatic wr_dec_t wr_decode(logic [13:0] a);
    wr_dec_t d;
    d    = '0;
    d.f3[a[13:10]] = 1'b1;
    d.f2[a[9:6]]   = 1'b1;
    d.f1[a[5:3]]   = 1'b1;
    d.f0[a[2:0]]   = 1'b1;
    return d;
  endfunction

  wr_dec_t [1:0] wr_dec_q;
  always_ff @(posedge clk_i) begin
    wr_dec_q[0] <= wr_decode(wr_dw_addr_next_i);
    wr_dec_q[1] <= wr_decode(wr_dw_addr_next_i + 14'd1);
  end

  // Lane p of this cycle's write is at DWORD address dw.
  function automatic logic wr_lane_at(int unsigned p, logic [13:0] dw);
    return wr_dec_q[p].f3[dw[13:10]] && wr_dec_q[p].f2[dw[9:6]] && wr_dec_q[p].f1[dw[5:3]] &&
           wr_dec_q[p].f0[dw[2:0]];
  endfunction

  function automatic logic [3:0] wr_be_at(logic [13:0] dw);
    if (!wr_valid_i) begin
      return 4'h0;
    end
    return (wr_lane_at(0, dw) ? wr_be_i[0] : 4'h0) | (wr_lane_at(1, dw) ? wr_be_i[1] : 4'h0);
  endfunction

  function automatic logic [31:0] wr_data_at(logic [13:0] dw);
    return wr_lane_at(0, dw) ? wr_data_i[0] : wr_data_i[1];
  endfunction

  // The register at DWORD address dw after this cycle's write (old if it is not written).
  function automatic logic [31:0] wr_merge(logic [31:0] old, logic [13:0] dw);
    return merge_be(old, wr_data_at(dw), wr_be_at(dw));
  endfunction

  logic reset_pulse;
  always_comb begin
    logic [2:0] control;
    // DMA_CONTROL's fields are bits 2:0 (gen_check_map), written with byte 0; RESET is a pulse.
    control     = 3'(wr_merge(dma_control(enable_q, ext_tags_q), DMA_CONTROL_OFFSET[15:2]));
    enable_d    = control[DMA_CONTROL_ENABLE_LSB];
    ext_tags_d  = control[DMA_CONTROL_EXT_TAGS_LSB];
    reset_pulse = control[DMA_CONTROL_RESET_LSB];
    queue_enable_rise_o = '0;
    timeout_d = wr_merge(timeout_q, DMA_COMPLETION_TIMEOUT_OFFSET[15:2]);

    for (int unsigned q = 0; q < NumQueues; q++) begin
      logic [13:0] dw;  // DWORD address of QUEUE[q]
      logic [31:0] size, ctrl;
      logic [15:0] sq_tail, cq_head;
      dw        = 14'((QUEUE_BASE + 16'(q) * QUEUE_STRIDE) >> 2);
      qcfg_d[q] = qcfg_q[q];
      qcfg_d[q].sq_base[31:0]  = wr_merge(qcfg_q[q].sq_base[31:0],
                                          dw + QUEUE_SQ_BASE_LO_OFFSET[15:2]);
      qcfg_d[q].sq_base[63:32] = wr_merge(qcfg_q[q].sq_base[63:32],
                                          dw + QUEUE_SQ_BASE_HI_OFFSET[15:2]);
      qcfg_d[q].cq_base[31:0]  = wr_merge(qcfg_q[q].cq_base[31:0],
                                          dw + QUEUE_CQ_BASE_LO_OFFSET[15:2]);
      qcfg_d[q].cq_base[63:32] = wr_merge(qcfg_q[q].cq_base[63:32],
                                          dw + QUEUE_CQ_BASE_HI_OFFSET[15:2]);
      size = wr_merge(queue_size(qcfg_q[q].sq_size_m1, qcfg_q[q].cq_size_m1),
                      dw + QUEUE_SIZE_OFFSET[15:2]);
      qcfg_d[q].sq_size_m1 = size[QUEUE_SIZE_SQ_ENTRIES_M1_LSB +: 16];
      qcfg_d[q].cq_size_m1 = size[QUEUE_SIZE_CQ_ENTRIES_M1_LSB +: 16];
      ctrl = wr_merge(queue_control(qcfg_q[q].enable, qcfg_q[q].irq_enable,
                                    qcfg_q[q].msix_vector),
                      dw + QUEUE_CONTROL_OFFSET[15:2]);
      qcfg_d[q].enable      = ctrl[QUEUE_CONTROL_ENABLE_LSB];
      qcfg_d[q].irq_enable  = ctrl[QUEUE_CONTROL_IRQ_ENABLE_LSB];
      qcfg_d[q].msix_vector = ctrl[QUEUE_CONTROL_MSIX_VECTOR_LSB +: 5];
      queue_enable_rise_o[q] = ctrl[QUEUE_CONTROL_ENABLE_LSB] && !qcfg_q[q].enable;
      // Doorbells beyond the ring are ignored (the old size: a write of SIZE and a doorbell in
      // one access is not one the driver makes).
      sq_tail = 16'(wr_merge(32'(qcfg_q[q].sq_tail), dw + QUEUE_SQ_TAIL_OFFSET[15:2]));
      if (sq_tail <= qcfg_q[q].sq_size_m1) begin
        qcfg_d[q].sq_tail = sq_tail;
      end
      cq_head = 16'(wr_merge(32'(qcfg_q[q].cq_head), dw + QUEUE_CQ_HEAD_OFFSET[15:2]));
      if (cq_head <= qcfg_q[q].cq_size_m1) begin
        qcfg_d[q].cq_head = cq_head;
      end
    end

    for (int unsigned v = 0; v < NumQueues; v++) begin
      logic [13:0] dw;  // DWORD address of MSI-X table entry v
      logic [31:0] vctrl;
      dw             = 14'((MSIX_TABLE_BASE + 16'(v) * MSIX_TABLE_STRIDE) >> 2);
      msix_lo_d[v]   = wr_merge(msix_lo_q[v], dw + MSIX_TABLE_ADDR_LO_OFFSET[15:2]) &
                       MSIX_TABLE_ADDR_LO_ADDRESS_MASK;
      msix_hi_d[v]   = wr_merge(msix_hi_q[v], dw + MSIX_TABLE_ADDR_HI_OFFSET[15:2]);
      msix_data_d[v] = wr_merge(msix_data_q[v], dw + MSIX_TABLE_DATA_OFFSET[15:2]);
      vctrl          = wr_merge(vector_control(msix_mask_q[v]),
                                dw + MSIX_TABLE_VECTOR_CONTROL_OFFSET[15:2]);
      msix_mask_d[v] = vctrl[MaskBit];
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
      msix_mask_q  <= {NumQueues{MSIX_TABLE_VECTOR_CONTROL_RESET[MaskBit]}};  // masked
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

  function automatic logic [31:0] dma_control(logic enable, logic ext_tags);
    return (32'(enable) << DMA_CONTROL_ENABLE_LSB) | (32'(ext_tags) << DMA_CONTROL_EXT_TAGS_LSB);
  endfunction

  function automatic logic [31:0] queue_size(logic [15:0] sq_size_m1, logic [15:0] cq_size_m1);
    return (32'(sq_size_m1) << QUEUE_SIZE_SQ_ENTRIES_M1_LSB) |
           (32'(cq_size_m1) << QUEUE_SIZE_CQ_ENTRIES_M1_LSB);
  endfunction

  function automatic logic [31:0] vector_control(logic mask);
    return 32'(mask) << MaskBit;
  endfunction

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

  // Reads, in three register stages, so that the read mux is not one deep path (the logic-level
  // budget, docs/synthesis.md):
  // 0. in the cycle the read is taken: which register each DWORD of the access names (group,
  //    index, queue), decoded from rd_dw_addr_i and registered (rd_sel_q);
  // 1. in the cycle after: this block's registers at the decoded index (rd_own_q), as the old
  //    single-stage mux read them; the engine's status is registered in the same cycle
  //    (status_q), so the status too is the one of this cycle;
  // 2. rd_data_o = the register value OR the status field it names.
  // So rd_data_o shows, three cycles after rd_dw_addr_i, the registers and the engine's status
  // as they were one cycle after it: every write taken before the read has reached them.
  typedef struct packed {
    logic          misc;        // the engine-wide registers (DMA_CONTROL ..), index idx
    logic          qreg;        // QUEUE[q], the register at idx * 4 within the element
    logic          msix;        // MSI-X table entry q, DWORD idx
    logic          pba;         // MSI-X PBA
    logic          dma_status;  // DMA_STATUS (engine status: stage 2)
    logic          q_status;    // QUEUE[q].STATUS (engine status: stage 2)
    logic [5:0]    idx;
    logic [QW-1:0] q;
  } rd_sel_t;

  // Engine-wide registers are at offsets below 0x100 (idx = offset / 4); the queue elements'
  // registers within 64 DWORDs.
  localparam logic [15:0] MiscOffsets =
      DMA_CONTROL_OFFSET | DMA_STATUS_OFFSET | DMA_COMPLETION_TIMEOUT_OFFSET |
      DMA_BYTES_IN_LO_OFFSET | DMA_BYTES_IN_HI_OFFSET | DMA_BYTES_OUT_LO_OFFSET |
      DMA_BYTES_OUT_HI_OFFSET | DMA_JOBS_OFFSET | DMA_JOB_ERRORS_OFFSET | DMA_ERR_SGL_OFFSET |
      DMA_ERR_BAR_RANGE_OFFSET | DMA_ERR_LINK_OFFSET | DMA_ERR_BAD_COMPLETION_OFFSET |
      DMA_ERROR_LOG_OFFSET | DMA_ERROR_ADDR_LO_OFFSET | DMA_ERROR_ADDR_HI_OFFSET;
  if (MiscOffsets >= 16'h0100 || StrideLog2 > 8 || DMA_CONTROL_ENABLE_LSB > 2 ||
      DMA_CONTROL_RESET_LSB > 2 || DMA_CONTROL_EXT_TAGS_LSB > 2) begin : gen_check_map
    $error("peerbar_dma_csr: the register map does not fit the read decode");
  end
  // One MSI-X vector per queue: the map must have room for NumQueues table entries and PBA
  // bits, and the entries decode like the queue elements (power-of-two stride, within idx).
  if (NumQueues > MSIX_TABLE_COUNT || NumQueues > MSIX_PBA_PENDING_WIDTH ||
      MsixStrideLog2 > 8 || 16'(1 << MsixStrideLog2) != MSIX_TABLE_STRIDE) begin : gen_check_msix
    $error("peerbar_dma_csr: the MSI-X table or PBA of the register map does not fit NumQueues");
  end

  function automatic rd_sel_t rd_decode(logic [15:0] off);
    rd_sel_t sel;
    logic [15:0] rel;
    sel     = '0;
    sel.idx = off[7:2];
    if (off < 16'h0100) begin
      sel.misc       = 1'b1;
      sel.dma_status = off == DMA_STATUS_OFFSET;
    end
    if (off >= QUEUE_BASE && off < QueueEnd) begin
      rel          = off - QUEUE_BASE;
      sel.qreg     = 1'b1;
      sel.q        = QW'(rel >> StrideLog2);
      sel.idx      = 6'((rel & (QUEUE_STRIDE - 16'd1)) >> 2);
      sel.q_status = (rel & (QUEUE_STRIDE - 16'd1)) == QUEUE_STATUS_OFFSET;
    end
    if (off >= MSIX_TABLE_BASE && off < MsixEnd) begin
      rel      = off - MSIX_TABLE_BASE;
      sel.msix = 1'b1;
      sel.q    = QW'(rel >> MsixStrideLog2);
      sel.idx  = 6'((rel & (MSIX_TABLE_STRIDE - 16'd1)) >> 2);
    end
    sel.pba = off == MSIX_PBA_OFFSET;
    return sel;
  endfunction

  // Stage 0
  rd_sel_t [1:0] rd_sel_q;
  always_ff @(posedge clk_i) begin
    rd_sel_q[0] <= rd_decode({rd_dw_addr_i, 2'b00});
    rd_sel_q[1] <= rd_decode({rd_dw_addr_i + 14'd1, 2'b00});
  end

  // Stage 1: this block's registers. The groups are exclusive: their words are ORed.
  logic [1:0][31:0] rd_own;
  always_comb begin
    for (int unsigned p = 0; p < 2; p++) begin
      logic [5:0]    idx;
      logic [QW-1:0] q;
      logic [31:0]   misc, qreg, msix;
      idx  = rd_sel_q[p].idx;
      q    = rd_sel_q[p].q;
      misc = '0;
      unique case ({8'h00, idx, 2'b00})
        DMA_CONTROL_OFFSET:            misc = dma_control(enable_q, ext_tags_q);
        DMA_COMPLETION_TIMEOUT_OFFSET: misc = timeout_q;
        DMA_BYTES_IN_LO_OFFSET:        misc = bytes_in_q[31:0];
        DMA_BYTES_IN_HI_OFFSET:        misc = bytes_in_q[63:32];
        DMA_BYTES_OUT_LO_OFFSET:       misc = bytes_out_q[31:0];
        DMA_BYTES_OUT_HI_OFFSET:       misc = bytes_out_q[63:32];
        DMA_JOBS_OFFSET:               misc = jobs_q;
        DMA_JOB_ERRORS_OFFSET:         misc = job_errors_q;
        DMA_ERR_SGL_OFFSET:            misc = err_sgl_q;
        DMA_ERR_BAR_RANGE_OFFSET:      misc = err_bar_q;
        DMA_ERR_LINK_OFFSET:           misc = err_link_q;
        DMA_ERR_BAD_COMPLETION_OFFSET: misc = err_bad_q;
        DMA_ERROR_LOG_OFFSET:          misc = elog_q;
        DMA_ERROR_ADDR_LO_OFFSET:      misc = eaddr_q[31:0];
        DMA_ERROR_ADDR_HI_OFFSET:      misc = eaddr_q[63:32];
        default:                       misc = '0;  // DMA_STATUS (stage 2), peerbar_regs', unmapped
      endcase
      qreg = '0;
      unique case ({8'h00, idx, 2'b00})
        QUEUE_SQ_BASE_LO_OFFSET: qreg = qcfg_q[q].sq_base[31:0];
        QUEUE_SQ_BASE_HI_OFFSET: qreg = qcfg_q[q].sq_base[63:32];
        QUEUE_CQ_BASE_LO_OFFSET: qreg = qcfg_q[q].cq_base[31:0];
        QUEUE_CQ_BASE_HI_OFFSET: qreg = qcfg_q[q].cq_base[63:32];
        QUEUE_SIZE_OFFSET:       qreg = queue_size(qcfg_q[q].sq_size_m1, qcfg_q[q].cq_size_m1);
        QUEUE_CONTROL_OFFSET:
          qreg = queue_control(qcfg_q[q].enable, qcfg_q[q].irq_enable, qcfg_q[q].msix_vector);
        QUEUE_SQ_TAIL_OFFSET:    qreg = 32'(qcfg_q[q].sq_tail);
        QUEUE_CQ_HEAD_OFFSET:    qreg = 32'(qcfg_q[q].cq_head);
        default:                 qreg = '0;  // STATUS (stage 2), unmapped
      endcase
      msix = '0;
      unique case ({8'h00, idx, 2'b00})
        MSIX_TABLE_ADDR_LO_OFFSET:        msix = msix_lo_q[q];
        MSIX_TABLE_ADDR_HI_OFFSET:        msix = msix_hi_q[q];
        MSIX_TABLE_DATA_OFFSET:           msix = msix_data_q[q];
        MSIX_TABLE_VECTOR_CONTROL_OFFSET: msix = vector_control(msix_mask_q[q]);
        default:                          msix = '0;
      endcase
      rd_own[p] = (rd_sel_q[p].misc ? misc : '0) | (rd_sel_q[p].qreg ? qreg : '0) |
                  (rd_sel_q[p].msix ? msix : '0) | (rd_sel_q[p].pba ? 32'(pba_q) << MSIX_PBA_PENDING_LSB : '0);
    end
  end

  // The engine's status, registered: with it the engine's status logic and this read mux are
  // two paths, not one.
  logic                       busy_q;
  logic [6:0]                 tags_in_flight_q;
  logic [NumQueues-1:0][15:0] sq_head_q;
  logic [NumQueues-1:0]       queue_busy_q, queue_full_q;
  logic [1:0][31:0]           rd_own_q;
  logic [1:0]                 rd_dma_status_q, rd_q_status_q;
  logic [1:0][QW-1:0]         rd_q_q;
  always_ff @(posedge clk_i) begin
    busy_q           <= busy_i;
    tags_in_flight_q <= tags_in_flight_i;
    sq_head_q        <= sq_head_i;
    queue_busy_q     <= queue_busy_i;
    queue_full_q     <= queue_full_i;
    rd_own_q         <= rd_own;
    for (int unsigned p = 0; p < 2; p++) begin
      rd_dma_status_q[p] <= rd_sel_q[p].dma_status;
      rd_q_status_q[p]   <= rd_sel_q[p].q_status;
      rd_q_q[p]          <= rd_sel_q[p].q;
    end
  end

  // Stage 2: the status fields
  always_ff @(posedge clk_i) begin
    for (int unsigned p = 0; p < 2; p++) begin
      logic [QW-1:0] q;
      q = rd_q_q[p];
      rd_data_o[p] <= rd_own_q[p] |
          (rd_dma_status_q[p] ? (32'(busy_q) << DMA_STATUS_BUSY_LSB) |
                                ((32'(tags_in_flight_q) << DMA_STATUS_TAGS_IN_FLIGHT_LSB) &
                                 DMA_STATUS_TAGS_IN_FLIGHT_MASK) : '0) |
          (rd_q_status_q[p] ? (32'(sq_head_q[q]) << QUEUE_STATUS_SQ_HEAD_LSB) |
                              (32'(queue_busy_q[q]) << QUEUE_STATUS_BUSY_LSB) |
                              (32'(queue_full_q[q]) << QUEUE_STATUS_FULL_LSB) : '0);
    end
  end

endmodule

`default_nettype wire
