// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_dma_csr: the DMA engine's BAR0 registers (map: hw/regmap/peerbar.toml, group dma):
// DMA_CONTROL/STATUS/COMPLETION_TIMEOUT, counters, DMA_ERROR_LOG, the QUEUE array and the
// MSI-X table (MSIX_TABLE array) with NumQueues elements each, and the MSI-X PBA. This module
// is their behaviour (the engine interface, counters, pulses) around the generated register
// file peerbar_dma_reg_file, which holds the storage, the write decode and the read mux.
//
// Shares the register file's access port (1-2 DWORDs per access). Offsets this block does not
// own read as 0, so the top ORs its read data with peerbar_regs'. Reads have no side effects;
// a read takes three cycles, as in peerbar_regs; a write's addresses are decoded in the cycle
// before it, from the write address's next value (peerbar_dma_reg_file).
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
  input  wire logic [NumQueues-1:0][SqIdxW-1:0] sq_head_i,
  input  wire logic [NumQueues-1:0]         queue_busy_i,
  input  wire logic [NumQueues-1:0]         queue_full_i,

  // Accounting events from the engine
  input  wire dma_events_t                  ev_i
);

  // QUEUE_STATUS.SQ_HEAD reports an SQ index as the SQ fetch keeps it (SqIdxW, from QUEUE_SQ_TAIL).
  if (QUEUE_STATUS_SQ_HEAD_WIDTH != SqIdxW) begin : gen_check_sq_head
    $error("peerbar_dma_csr: QUEUE_STATUS.SQ_HEAD must be as wide as QUEUE_SQ_TAIL.VALUE (hw/regmap/peerbar.toml)");
  end

  if (NumQueues < 4 || NumQueues > 16) begin : gen_check_queues
    $error("peerbar_dma_csr: NumQueues must be in 4..16");
  end

  // One MSI-X vector per queue: the map must have room for NumQueues PBA bits (the register
  // file checks the arrays' element counts).
  if (NumQueues > MSIX_PBA_PENDING_WIDTH) begin : gen_check_msix
    $error("peerbar_dma_csr: the MSI-X PBA of the register map does not fit NumQueues");
  end

  function automatic logic [31:0] sat_add(logic [31:0] v, logic [31:0] n);
    logic [32:0] s;
    s = {1'b0, v} + {1'b0, n};
    return s[32] ? 32'hFFFF_FFFF : s[31:0];
  endfunction

  // Storage, write decode and read mux: the generated register file.
  dma_reg2hw_t                               reg2hw;
  dma_hw2reg_t                               hw2reg;
  dma_queue_reg2hw_t      [NumQueues-1:0]    queue_reg2hw;
  dma_queue_hw2reg_t      [NumQueues-1:0]    queue_hw2reg;
  dma_msix_table_reg2hw_t [NumQueues-1:0]    msix_reg2hw;
  peerbar_dma_reg_file #(
    .QueueCount     (NumQueues),
    .MsixTableCount (NumQueues)
  ) u_reg_file (
    .clk_i,
    .rst_i,
    .wr_valid_i,
    .wr_dw_addr_next_i,
    .wr_data_i,
    .wr_be_i,
    .rd_dw_addr_i,
    .rd_data_o,
    .reg2hw_o              (reg2hw),
    .hw2reg_i              (hw2reg),
    .queue_reg2hw_o        (queue_reg2hw),
    .queue_hw2reg_i        (queue_hw2reg),
    .msix_table_reg2hw_o   (msix_reg2hw)
  );

  logic reset_pulse;  // DMA_CONTROL.RESET written 1
  assign reset_pulse = reg2hw.dma_control.reset.q;

  // The MSI-X pending bits: set by the engine when it holds a message back, cleared when it
  // sends it.
  logic [NumQueues-1:0] pba_q;
  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      pba_q <= '0;
    end else begin
      pba_q <= (pba_q | pba_set_i) & ~pba_clr_i;
    end
  end

  // The engine's events are registered before they reach the counters and the log: they are
  // worked out deep in the engine (retire, the RC side), and the counters' adders come after.
  // Software cannot tell: every event comes with (or before) a write of the engine that the
  // host sees later still (a CQ entry, an MSI-X message). An error log entry of the cycle in
  // which DMA_CONTROL.RESET is written is dropped, as it was when the reset cleared the log in
  // that same cycle.
  dma_events_t ev_q;
  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      ev_q <= '0;
    end else begin
      ev_q           <= ev_i;
      ev_q.log_valid <= ev_i.log_valid && !reset_pulse;
    end
  end

  // Engine status, accounting and the error log
  always_comb begin
    hw2reg = '0;
    hw2reg.dma_status.busy.d           = busy_i;
    hw2reg.dma_status.tags_in_flight.d = tags_in_flight_i;
    hw2reg.msix_pba.d                  = MSIX_PBA_PENDING_WIDTH'(pba_q);

    // A counter is written only in a cycle with its event: without one its new value would
    // be its old one (an addition of 0; 0 added saturates nothing), so the register is the
    // same either way, and the simulation skips the additions of the cycles without events.
    if (ev_q.bytes_in != '0) begin
      hw2reg.dma_bytes_in = '{d: reg2hw.dma_bytes_in.q + 64'(ev_q.bytes_in), de: 1'b1};
    end
    if (ev_q.bytes_out != '0) begin
      hw2reg.dma_bytes_out = '{d: reg2hw.dma_bytes_out.q + 64'(ev_q.bytes_out), de: 1'b1};
    end
    if (ev_q.job_done) begin
      hw2reg.dma_jobs = '{d: sat_add(reg2hw.dma_jobs.q, 32'd1), de: 1'b1};
    end
    if (ev_q.job_done && ev_q.job_status != '0) begin
      hw2reg.dma_job_errors = '{d: sat_add(reg2hw.dma_job_errors.q, 32'd1), de: 1'b1};
    end
    if (ev_q.err_sgl) begin
      hw2reg.dma_err_sgl = '{d: sat_add(reg2hw.dma_err_sgl.q, 32'd1), de: 1'b1};
    end
    if (ev_q.err_bar_range) begin
      hw2reg.dma_err_bar_range = '{d: sat_add(reg2hw.dma_err_bar_range.q, 32'd1), de: 1'b1};
    end
    if (ev_q.err_link != '0) begin
      hw2reg.dma_err_link = '{d: sat_add(reg2hw.dma_err_link.q, 32'(ev_q.err_link)), de: 1'b1};
    end
    if (ev_q.bad_completion) begin
      hw2reg.dma_err_bad_completion =
          '{d: sat_add(reg2hw.dma_err_bad_completion.q, 32'd1), de: 1'b1};
    end

    // The log keeps the first failed job until DMA_CONTROL.RESET.
    if (reset_pulse) begin
      hw2reg.dma_error_log.cid    = '{d: '0, de: 1'b1};
      hw2reg.dma_error_log.status = '{d: '0, de: 1'b1};
      hw2reg.dma_error_log.queue  = '{d: '0, de: 1'b1};
      hw2reg.dma_error_log.valid  = '{d: '0, de: 1'b1};
      hw2reg.dma_error_addr       = '{d: '0, de: 1'b1};
    end else if (ev_q.log_valid && !reg2hw.dma_error_log.valid.q) begin
      hw2reg.dma_error_log.cid    = '{d: ev_q.log_cid, de: 1'b1};
      hw2reg.dma_error_log.status = '{d: ev_q.log_status, de: 1'b1};
      hw2reg.dma_error_log.queue  = '{d: ev_q.log_queue, de: 1'b1};
      hw2reg.dma_error_log.valid  = '{d: 1'b1, de: 1'b1};
      hw2reg.dma_error_addr       = '{d: ev_q.log_addr, de: 1'b1};
    end
  end

  // Queues
  always_comb begin
    for (int unsigned q = 0; q < NumQueues; q++) begin
      queue_hw2reg[q] = '0;
      queue_hw2reg[q].status.sq_head.d = sq_head_i[q];
      queue_hw2reg[q].status.busy.d    = queue_busy_i[q];
      queue_hw2reg[q].status.full.d    = queue_full_i[q];
      // DMA_CONTROL.RESET and the engine (a ring fault) clear ENABLE.
      queue_hw2reg[q].control.enable.de = reset_pulse || queue_disable_i[q];
      queue_hw2reg[q].sq_tail.d  = queue_reg2hw[q].sq_tail.q;
      queue_hw2reg[q].cq_head.d  = queue_reg2hw[q].cq_head.q;
      queue_enable_rise_o[q] = 1'b0;
    end
    // Doorbells beyond the ring are ignored (the old size: a write of SIZE and a doorbell in
    // one access is not one the driver makes): the old value is written back. Only with a
    // write: without one the register file's wd is its q (a write back of q changes nothing,
    // and ENABLE does not rise), so the simulation skips the compares then.
    if (wr_valid_i) begin
      for (int unsigned q = 0; q < NumQueues; q++) begin
        queue_hw2reg[q].sq_tail.de =
            queue_reg2hw[q].sq_tail.wd > queue_reg2hw[q].size.sq_entries_m1.q;
        queue_hw2reg[q].cq_head.de =
            queue_reg2hw[q].cq_head.wd > queue_reg2hw[q].size.cq_entries_m1.q;
        queue_enable_rise_o[q] = queue_reg2hw[q].control.enable.wd &&
                                 !queue_reg2hw[q].control.enable.q && !reset_pulse;
      end
    end
  end

  // Outputs
  always_comb begin
    dma_enable_o   = reg2hw.dma_control.enable.q;
    dma_ext_tags_o = reg2hw.dma_control.ext_tags.q;
    dma_reset_o    = reset_pulse;
    timeout_o      = (reg2hw.dma_completion_timeout.q == '0) ? 32'd1 :
                     reg2hw.dma_completion_timeout.q;
    pba_o          = pba_q;
    for (int unsigned q = 0; q < NumQueues; q++) begin
      queue_cfg_o[q].sq_base     = queue_reg2hw[q].sq_base.q;
      queue_cfg_o[q].cq_base     = queue_reg2hw[q].cq_base.q;
      queue_cfg_o[q].sq_size_m1  = queue_reg2hw[q].size.sq_entries_m1.q;
      queue_cfg_o[q].cq_size_m1  = queue_reg2hw[q].size.cq_entries_m1.q;
      queue_cfg_o[q].enable      = queue_reg2hw[q].control.enable.q;
      queue_cfg_o[q].irq_enable  = queue_reg2hw[q].control.irq_enable.q;
      queue_cfg_o[q].msix_vector = queue_reg2hw[q].control.msix_vector.q;
      queue_cfg_o[q].sq_tail     = queue_reg2hw[q].sq_tail.q;
      queue_cfg_o[q].cq_head     = queue_reg2hw[q].cq_head.q;
    end
    for (int unsigned v = 0; v < NumQueues; v++) begin
      msix_o[v].addr = msix_reg2hw[v].addr.q;
      msix_o[v].data = msix_reg2hw[v].data.q;
      msix_o[v].mask = msix_reg2hw[v].vector_control.q;
    end
  end

endmodule

`default_nettype wire
