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
// The logic-level budget of these stages: docs/synthesis.md.

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

  // Storage
  logic [0:0] s_dma_control_enable_q, s_dma_control_enable_d, s_dma_control_enable_sw;
  logic [0:0] s_dma_control_ext_tags_q, s_dma_control_ext_tags_d, s_dma_control_ext_tags_sw;
  logic [31:0] s_dma_completion_timeout_q, s_dma_completion_timeout_d, s_dma_completion_timeout_sw;
  logic [63:0] s_dma_bytes_in_q, s_dma_bytes_in_d;
  logic [63:0] s_dma_bytes_out_q, s_dma_bytes_out_d;
  logic [31:0] s_dma_jobs_q, s_dma_jobs_d;
  logic [31:0] s_dma_job_errors_q, s_dma_job_errors_d;
  logic [31:0] s_dma_err_sgl_q, s_dma_err_sgl_d;
  logic [31:0] s_dma_err_bar_range_q, s_dma_err_bar_range_d;
  logic [31:0] s_dma_err_link_q, s_dma_err_link_d;
  logic [31:0] s_dma_err_bad_completion_q, s_dma_err_bad_completion_d;
  logic [15:0] s_dma_error_log_cid_q, s_dma_error_log_cid_d;
  logic [7:0] s_dma_error_log_status_q, s_dma_error_log_status_d;
  logic [3:0] s_dma_error_log_queue_q, s_dma_error_log_queue_d;
  logic [0:0] s_dma_error_log_valid_q, s_dma_error_log_valid_d;
  logic [63:0] s_dma_error_addr_q, s_dma_error_addr_d;
  logic [QueueCount-1:0][63:0] s_queue_sq_base_q, s_queue_sq_base_d, s_queue_sq_base_sw;
  logic [QueueCount-1:0][63:0] s_queue_cq_base_q, s_queue_cq_base_d, s_queue_cq_base_sw;
  logic [QueueCount-1:0][15:0] s_queue_size_sq_entries_m1_q, s_queue_size_sq_entries_m1_d, s_queue_size_sq_entries_m1_sw;
  logic [QueueCount-1:0][15:0] s_queue_size_cq_entries_m1_q, s_queue_size_cq_entries_m1_d, s_queue_size_cq_entries_m1_sw;
  logic [QueueCount-1:0][0:0] s_queue_control_enable_q, s_queue_control_enable_d, s_queue_control_enable_sw;
  logic [QueueCount-1:0][0:0] s_queue_control_irq_enable_q, s_queue_control_irq_enable_d, s_queue_control_irq_enable_sw;
  logic [QueueCount-1:0][4:0] s_queue_control_msix_vector_q, s_queue_control_msix_vector_d, s_queue_control_msix_vector_sw;
  logic [QueueCount-1:0][15:0] s_queue_sq_tail_q, s_queue_sq_tail_d, s_queue_sq_tail_sw;
  logic [QueueCount-1:0][15:0] s_queue_cq_head_q, s_queue_cq_head_d, s_queue_cq_head_sw;
  logic [MsixTableCount-1:0][63:0] s_msix_table_addr_q, s_msix_table_addr_d, s_msix_table_addr_sw;
  logic [MsixTableCount-1:0][31:0] s_msix_table_data_q, s_msix_table_data_d, s_msix_table_data_sw;
  logic [MsixTableCount-1:0][0:0] s_msix_table_vector_control_q, s_msix_table_vector_control_d, s_msix_table_vector_control_sw;

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
    logic [31:0] wr_dma_control;
    logic [31:0] wr_dma_completion_timeout;
    // verilator lint_on UNUSEDSIGNAL
    s_dma_control_enable_sw = s_dma_control_enable_q;
    reg2hw_o.dma_control.enable.q = s_dma_control_enable_q;
    s_dma_control_ext_tags_sw = s_dma_control_ext_tags_q;
    reg2hw_o.dma_control.ext_tags.q = s_dma_control_ext_tags_q;
    s_dma_completion_timeout_sw = s_dma_completion_timeout_q;
    reg2hw_o.dma_completion_timeout.q = s_dma_completion_timeout_q;
    reg2hw_o.dma_bytes_in.q = s_dma_bytes_in_q;
    reg2hw_o.dma_bytes_out.q = s_dma_bytes_out_q;
    reg2hw_o.dma_jobs.q = s_dma_jobs_q;
    reg2hw_o.dma_job_errors.q = s_dma_job_errors_q;
    reg2hw_o.dma_err_sgl.q = s_dma_err_sgl_q;
    reg2hw_o.dma_err_bar_range.q = s_dma_err_bar_range_q;
    reg2hw_o.dma_err_link.q = s_dma_err_link_q;
    reg2hw_o.dma_err_bad_completion.q = s_dma_err_bad_completion_q;
    reg2hw_o.dma_error_log.valid.q = s_dma_error_log_valid_q;
    wr_dma_control = wr_merge(32'(s_dma_control_enable_q) | (32'(s_dma_control_ext_tags_q) << 2), 14'h0010);
    s_dma_control_enable_sw = wr_dma_control[0 +: 1];
    reg2hw_o.dma_control.reset.q = wr_dma_control[1 +: 1];
    s_dma_control_ext_tags_sw = wr_dma_control[2 +: 1];
    wr_dma_completion_timeout = wr_merge(32'(s_dma_completion_timeout_q), 14'h0012);
    s_dma_completion_timeout_sw = wr_dma_completion_timeout;
    for (int unsigned i = 0; i < QueueCount; i++) begin
      // The whole DWORDs after the write: bits no field covers are not used.
      // verilator lint_off UNUSEDSIGNAL
      logic [31:0] wr_sq_base_lo;
      logic [31:0] wr_sq_base_hi;
      logic [31:0] wr_cq_base_lo;
      logic [31:0] wr_cq_base_hi;
      logic [31:0] wr_size;
      logic [31:0] wr_control;
      logic [31:0] wr_sq_tail;
      logic [31:0] wr_cq_head;
      // verilator lint_on UNUSEDSIGNAL
      s_queue_sq_base_sw[i] = s_queue_sq_base_q[i];
      queue_reg2hw_o[i].sq_base.q = s_queue_sq_base_q[i];
      s_queue_cq_base_sw[i] = s_queue_cq_base_q[i];
      queue_reg2hw_o[i].cq_base.q = s_queue_cq_base_q[i];
      s_queue_size_sq_entries_m1_sw[i] = s_queue_size_sq_entries_m1_q[i];
      queue_reg2hw_o[i].size.sq_entries_m1.q = s_queue_size_sq_entries_m1_q[i];
      s_queue_size_cq_entries_m1_sw[i] = s_queue_size_cq_entries_m1_q[i];
      queue_reg2hw_o[i].size.cq_entries_m1.q = s_queue_size_cq_entries_m1_q[i];
      s_queue_control_enable_sw[i] = s_queue_control_enable_q[i];
      queue_reg2hw_o[i].control.enable.q = s_queue_control_enable_q[i];
      s_queue_control_irq_enable_sw[i] = s_queue_control_irq_enable_q[i];
      queue_reg2hw_o[i].control.irq_enable.q = s_queue_control_irq_enable_q[i];
      s_queue_control_msix_vector_sw[i] = s_queue_control_msix_vector_q[i];
      queue_reg2hw_o[i].control.msix_vector.q = s_queue_control_msix_vector_q[i];
      s_queue_sq_tail_sw[i] = s_queue_sq_tail_q[i];
      queue_reg2hw_o[i].sq_tail.q = s_queue_sq_tail_q[i];
      s_queue_cq_head_sw[i] = s_queue_cq_head_q[i];
      queue_reg2hw_o[i].cq_head.q = s_queue_cq_head_q[i];
      wr_sq_base_lo = wr_merge(32'(s_queue_sq_base_q[i][0 +: 32]), 14'h0400 + 14'(i) * 14'h0010);
      s_queue_sq_base_sw[i][0 +: 32] = wr_sq_base_lo;
      wr_sq_base_hi = wr_merge(32'(s_queue_sq_base_q[i][32 +: 32]), 14'h0401 + 14'(i) * 14'h0010);
      s_queue_sq_base_sw[i][32 +: 32] = wr_sq_base_hi;
      wr_cq_base_lo = wr_merge(32'(s_queue_cq_base_q[i][0 +: 32]), 14'h0402 + 14'(i) * 14'h0010);
      s_queue_cq_base_sw[i][0 +: 32] = wr_cq_base_lo;
      wr_cq_base_hi = wr_merge(32'(s_queue_cq_base_q[i][32 +: 32]), 14'h0403 + 14'(i) * 14'h0010);
      s_queue_cq_base_sw[i][32 +: 32] = wr_cq_base_hi;
      wr_size = wr_merge(32'(s_queue_size_sq_entries_m1_q[i]) | (32'(s_queue_size_cq_entries_m1_q[i]) << 16), 14'h0404 + 14'(i) * 14'h0010);
      s_queue_size_sq_entries_m1_sw[i] = wr_size[0 +: 16];
      s_queue_size_cq_entries_m1_sw[i] = wr_size[16 +: 16];
      wr_control = wr_merge(32'(s_queue_control_enable_q[i]) | (32'(s_queue_control_irq_enable_q[i]) << 1) | (32'(s_queue_control_msix_vector_q[i]) << 8), 14'h0405 + 14'(i) * 14'h0010);
      s_queue_control_enable_sw[i] = wr_control[0 +: 1];
      queue_reg2hw_o[i].control.enable.wd = wr_control[0 +: 1];
      s_queue_control_irq_enable_sw[i] = wr_control[1 +: 1];
      s_queue_control_msix_vector_sw[i] = wr_control[8 +: 5];
      wr_sq_tail = wr_merge(32'(s_queue_sq_tail_q[i]), 14'h0407 + 14'(i) * 14'h0010);
      s_queue_sq_tail_sw[i] = wr_sq_tail[0 +: 16];
      queue_reg2hw_o[i].sq_tail.wd = wr_sq_tail[0 +: 16];
      wr_cq_head = wr_merge(32'(s_queue_cq_head_q[i]), 14'h0408 + 14'(i) * 14'h0010);
      s_queue_cq_head_sw[i] = wr_cq_head[0 +: 16];
      queue_reg2hw_o[i].cq_head.wd = wr_cq_head[0 +: 16];
    end
    for (int unsigned i = 0; i < MsixTableCount; i++) begin
      // The whole DWORDs after the write: bits no field covers are not used.
      // verilator lint_off UNUSEDSIGNAL
      logic [31:0] wr_addr_lo;
      logic [31:0] wr_addr_hi;
      logic [31:0] wr_data;
      logic [31:0] wr_vector_control;
      // verilator lint_on UNUSEDSIGNAL
      s_msix_table_addr_sw[i] = s_msix_table_addr_q[i];
      msix_table_reg2hw_o[i].addr.q = s_msix_table_addr_q[i];
      s_msix_table_data_sw[i] = s_msix_table_data_q[i];
      msix_table_reg2hw_o[i].data.q = s_msix_table_data_q[i];
      s_msix_table_vector_control_sw[i] = s_msix_table_vector_control_q[i];
      msix_table_reg2hw_o[i].vector_control.q = s_msix_table_vector_control_q[i];
      wr_addr_lo = wr_merge((32'(s_msix_table_addr_q[i][2 +: 30]) << 2), 14'h2000 + 14'(i) * 14'h0004);
      s_msix_table_addr_sw[i][2 +: 30] = wr_addr_lo[2 +: 30];
      wr_addr_hi = wr_merge(32'(s_msix_table_addr_q[i][32 +: 32]), 14'h2001 + 14'(i) * 14'h0004);
      s_msix_table_addr_sw[i][32 +: 32] = wr_addr_hi;
      wr_data = wr_merge(32'(s_msix_table_data_q[i]), 14'h2002 + 14'(i) * 14'h0004);
      s_msix_table_data_sw[i] = wr_data;
      wr_vector_control = wr_merge(32'(s_msix_table_vector_control_q[i]), 14'h2003 + 14'(i) * 14'h0004);
      s_msix_table_vector_control_sw[i] = wr_vector_control[0 +: 1];
    end
  end

  // The next values: software's, or hardware's where it writes (de wins).
  always_comb begin
    s_dma_control_enable_d = s_dma_control_enable_sw;
    s_dma_control_ext_tags_d = s_dma_control_ext_tags_sw;
    s_dma_completion_timeout_d = s_dma_completion_timeout_sw;
    s_dma_bytes_in_d = s_dma_bytes_in_q;
    s_dma_bytes_out_d = s_dma_bytes_out_q;
    s_dma_jobs_d = s_dma_jobs_q;
    s_dma_job_errors_d = s_dma_job_errors_q;
    s_dma_err_sgl_d = s_dma_err_sgl_q;
    s_dma_err_bar_range_d = s_dma_err_bar_range_q;
    s_dma_err_link_d = s_dma_err_link_q;
    s_dma_err_bad_completion_d = s_dma_err_bad_completion_q;
    s_dma_error_log_cid_d = s_dma_error_log_cid_q;
    s_dma_error_log_status_d = s_dma_error_log_status_q;
    s_dma_error_log_queue_d = s_dma_error_log_queue_q;
    s_dma_error_log_valid_d = s_dma_error_log_valid_q;
    s_dma_error_addr_d = s_dma_error_addr_q;
    if (hw2reg_i.dma_bytes_in.de) begin
      s_dma_bytes_in_d[0 +: 32] = hw2reg_i.dma_bytes_in.d[0 +: 32];
      s_dma_bytes_in_d[32 +: 32] = hw2reg_i.dma_bytes_in.d[32 +: 32];
    end
    if (hw2reg_i.dma_bytes_out.de) begin
      s_dma_bytes_out_d[0 +: 32] = hw2reg_i.dma_bytes_out.d[0 +: 32];
      s_dma_bytes_out_d[32 +: 32] = hw2reg_i.dma_bytes_out.d[32 +: 32];
    end
    if (hw2reg_i.dma_jobs.de) begin
      s_dma_jobs_d = hw2reg_i.dma_jobs.d;
    end
    if (hw2reg_i.dma_job_errors.de) begin
      s_dma_job_errors_d = hw2reg_i.dma_job_errors.d;
    end
    if (hw2reg_i.dma_err_sgl.de) begin
      s_dma_err_sgl_d = hw2reg_i.dma_err_sgl.d;
    end
    if (hw2reg_i.dma_err_bar_range.de) begin
      s_dma_err_bar_range_d = hw2reg_i.dma_err_bar_range.d;
    end
    if (hw2reg_i.dma_err_link.de) begin
      s_dma_err_link_d = hw2reg_i.dma_err_link.d;
    end
    if (hw2reg_i.dma_err_bad_completion.de) begin
      s_dma_err_bad_completion_d = hw2reg_i.dma_err_bad_completion.d;
    end
    if (hw2reg_i.dma_error_log.cid.de) begin
      s_dma_error_log_cid_d = hw2reg_i.dma_error_log.cid.d;
    end
    if (hw2reg_i.dma_error_log.status.de) begin
      s_dma_error_log_status_d = hw2reg_i.dma_error_log.status.d;
    end
    if (hw2reg_i.dma_error_log.queue.de) begin
      s_dma_error_log_queue_d = hw2reg_i.dma_error_log.queue.d;
    end
    if (hw2reg_i.dma_error_log.valid.de) begin
      s_dma_error_log_valid_d = hw2reg_i.dma_error_log.valid.d;
    end
    if (hw2reg_i.dma_error_addr.de) begin
      s_dma_error_addr_d[0 +: 32] = hw2reg_i.dma_error_addr.d[0 +: 32];
      s_dma_error_addr_d[32 +: 32] = hw2reg_i.dma_error_addr.d[32 +: 32];
    end
    for (int unsigned i = 0; i < QueueCount; i++) begin
      s_queue_sq_base_d[i] = s_queue_sq_base_sw[i];
      s_queue_cq_base_d[i] = s_queue_cq_base_sw[i];
      s_queue_size_sq_entries_m1_d[i] = s_queue_size_sq_entries_m1_sw[i];
      s_queue_size_cq_entries_m1_d[i] = s_queue_size_cq_entries_m1_sw[i];
      s_queue_control_enable_d[i] = s_queue_control_enable_sw[i];
      s_queue_control_irq_enable_d[i] = s_queue_control_irq_enable_sw[i];
      s_queue_control_msix_vector_d[i] = s_queue_control_msix_vector_sw[i];
      s_queue_sq_tail_d[i] = s_queue_sq_tail_sw[i];
      s_queue_cq_head_d[i] = s_queue_cq_head_sw[i];
      if (queue_hw2reg_i[i].control.enable.de) begin
        s_queue_control_enable_d[i] = queue_hw2reg_i[i].control.enable.d;
      end
      if (queue_hw2reg_i[i].sq_tail.de) begin
        s_queue_sq_tail_d[i] = queue_hw2reg_i[i].sq_tail.d;
      end
      if (queue_hw2reg_i[i].cq_head.de) begin
        s_queue_cq_head_d[i] = queue_hw2reg_i[i].cq_head.d;
      end
    end
    for (int unsigned i = 0; i < MsixTableCount; i++) begin
      s_msix_table_addr_d[i] = s_msix_table_addr_sw[i];
      s_msix_table_data_d[i] = s_msix_table_data_sw[i];
      s_msix_table_vector_control_d[i] = s_msix_table_vector_control_sw[i];
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      s_dma_control_enable_q <= 1'h0;
      s_dma_control_ext_tags_q <= 1'h0;
      s_dma_completion_timeout_q <= 32'h30d4;
      s_dma_bytes_in_q <= 64'h0;
      s_dma_bytes_out_q <= 64'h0;
      s_dma_jobs_q <= 32'h0;
      s_dma_job_errors_q <= 32'h0;
      s_dma_err_sgl_q <= 32'h0;
      s_dma_err_bar_range_q <= 32'h0;
      s_dma_err_link_q <= 32'h0;
      s_dma_err_bad_completion_q <= 32'h0;
      s_dma_error_log_cid_q <= 16'h0;
      s_dma_error_log_status_q <= 8'h0;
      s_dma_error_log_queue_q <= 4'h0;
      s_dma_error_log_valid_q <= 1'h0;
      s_dma_error_addr_q <= 64'h0;
      s_queue_sq_base_q <= {QueueCount{64'h0}};
      s_queue_cq_base_q <= {QueueCount{64'h0}};
      s_queue_size_sq_entries_m1_q <= {QueueCount{16'h0}};
      s_queue_size_cq_entries_m1_q <= {QueueCount{16'h0}};
      s_queue_control_enable_q <= {QueueCount{1'h0}};
      s_queue_control_irq_enable_q <= {QueueCount{1'h0}};
      s_queue_control_msix_vector_q <= {QueueCount{5'h0}};
      s_queue_sq_tail_q <= {QueueCount{16'h0}};
      s_queue_cq_head_q <= {QueueCount{16'h0}};
      s_msix_table_addr_q <= {MsixTableCount{64'h0}};
      s_msix_table_data_q <= {MsixTableCount{32'h0}};
      s_msix_table_vector_control_q <= {MsixTableCount{1'h1}};
    end else begin
      s_dma_control_enable_q <= s_dma_control_enable_d;
      s_dma_control_ext_tags_q <= s_dma_control_ext_tags_d;
      s_dma_completion_timeout_q <= s_dma_completion_timeout_d;
      s_dma_bytes_in_q <= s_dma_bytes_in_d;
      s_dma_bytes_out_q <= s_dma_bytes_out_d;
      s_dma_jobs_q <= s_dma_jobs_d;
      s_dma_job_errors_q <= s_dma_job_errors_d;
      s_dma_err_sgl_q <= s_dma_err_sgl_d;
      s_dma_err_bar_range_q <= s_dma_err_bar_range_d;
      s_dma_err_link_q <= s_dma_err_link_d;
      s_dma_err_bad_completion_q <= s_dma_err_bad_completion_d;
      s_dma_error_log_cid_q <= s_dma_error_log_cid_d;
      s_dma_error_log_status_q <= s_dma_error_log_status_d;
      s_dma_error_log_queue_q <= s_dma_error_log_queue_d;
      s_dma_error_log_valid_q <= s_dma_error_log_valid_d;
      s_dma_error_addr_q <= s_dma_error_addr_d;
      s_queue_sq_base_q <= s_queue_sq_base_d;
      s_queue_cq_base_q <= s_queue_cq_base_d;
      s_queue_size_sq_entries_m1_q <= s_queue_size_sq_entries_m1_d;
      s_queue_size_cq_entries_m1_q <= s_queue_size_cq_entries_m1_d;
      s_queue_control_enable_q <= s_queue_control_enable_d;
      s_queue_control_irq_enable_q <= s_queue_control_irq_enable_d;
      s_queue_control_msix_vector_q <= s_queue_control_msix_vector_d;
      s_queue_sq_tail_q <= s_queue_sq_tail_d;
      s_queue_cq_head_q <= s_queue_cq_head_d;
      s_msix_table_addr_q <= s_msix_table_addr_d;
      s_msix_table_data_q <= s_msix_table_data_d;
      s_msix_table_vector_control_q <= s_msix_table_vector_control_d;
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
      if (reg_hit(rd_dec_q[p], 14'h0010)) begin
        rd_own[p] = rd_own[p] | 32'(s_dma_control_enable_q) | (32'(s_dma_control_ext_tags_q) << 2);
      end
      if (reg_hit(rd_dec_q[p], 14'h0012)) begin
        rd_own[p] = rd_own[p] | 32'(s_dma_completion_timeout_q);
      end
      if (reg_hit(rd_dec_q[p], 14'h0018)) begin
        rd_own[p] = rd_own[p] | 32'(s_dma_bytes_in_q[0 +: 32]);
      end
      if (reg_hit(rd_dec_q[p], 14'h0019)) begin
        rd_own[p] = rd_own[p] | 32'(s_dma_bytes_in_q[32 +: 32]);
      end
      if (reg_hit(rd_dec_q[p], 14'h001a)) begin
        rd_own[p] = rd_own[p] | 32'(s_dma_bytes_out_q[0 +: 32]);
      end
      if (reg_hit(rd_dec_q[p], 14'h001b)) begin
        rd_own[p] = rd_own[p] | 32'(s_dma_bytes_out_q[32 +: 32]);
      end
      if (reg_hit(rd_dec_q[p], 14'h001c)) begin
        rd_own[p] = rd_own[p] | 32'(s_dma_jobs_q);
      end
      if (reg_hit(rd_dec_q[p], 14'h001d)) begin
        rd_own[p] = rd_own[p] | 32'(s_dma_job_errors_q);
      end
      if (reg_hit(rd_dec_q[p], 14'h001e)) begin
        rd_own[p] = rd_own[p] | 32'(s_dma_err_sgl_q);
      end
      if (reg_hit(rd_dec_q[p], 14'h001f)) begin
        rd_own[p] = rd_own[p] | 32'(s_dma_err_bar_range_q);
      end
      if (reg_hit(rd_dec_q[p], 14'h0020)) begin
        rd_own[p] = rd_own[p] | 32'(s_dma_err_link_q);
      end
      if (reg_hit(rd_dec_q[p], 14'h0021)) begin
        rd_own[p] = rd_own[p] | 32'(s_dma_err_bad_completion_q);
      end
      if (reg_hit(rd_dec_q[p], 14'h0028)) begin
        rd_own[p] = rd_own[p] | 32'(s_dma_error_log_cid_q) | (32'(s_dma_error_log_status_q) << 16) | (32'(s_dma_error_log_queue_q) << 24) | (32'(s_dma_error_log_valid_q) << 31);
      end
      if (reg_hit(rd_dec_q[p], 14'h0029)) begin
        rd_own[p] = rd_own[p] | 32'(s_dma_error_addr_q[0 +: 32]);
      end
      if (reg_hit(rd_dec_q[p], 14'h002a)) begin
        rd_own[p] = rd_own[p] | 32'(s_dma_error_addr_q[32 +: 32]);
      end
      for (int unsigned i = 0; i < QueueCount; i++) begin
        if (reg_hit(rd_dec_q[p], 14'h0400 + 14'(i) * 14'h0010)) begin
          rd_own[p] = rd_own[p] | 32'(s_queue_sq_base_q[i][0 +: 32]);
        end
        if (reg_hit(rd_dec_q[p], 14'h0401 + 14'(i) * 14'h0010)) begin
          rd_own[p] = rd_own[p] | 32'(s_queue_sq_base_q[i][32 +: 32]);
        end
        if (reg_hit(rd_dec_q[p], 14'h0402 + 14'(i) * 14'h0010)) begin
          rd_own[p] = rd_own[p] | 32'(s_queue_cq_base_q[i][0 +: 32]);
        end
        if (reg_hit(rd_dec_q[p], 14'h0403 + 14'(i) * 14'h0010)) begin
          rd_own[p] = rd_own[p] | 32'(s_queue_cq_base_q[i][32 +: 32]);
        end
        if (reg_hit(rd_dec_q[p], 14'h0404 + 14'(i) * 14'h0010)) begin
          rd_own[p] = rd_own[p] | 32'(s_queue_size_sq_entries_m1_q[i]) | (32'(s_queue_size_cq_entries_m1_q[i]) << 16);
        end
        if (reg_hit(rd_dec_q[p], 14'h0405 + 14'(i) * 14'h0010)) begin
          rd_own[p] = rd_own[p] | 32'(s_queue_control_enable_q[i]) | (32'(s_queue_control_irq_enable_q[i]) << 1) | (32'(s_queue_control_msix_vector_q[i]) << 8);
        end
        if (reg_hit(rd_dec_q[p], 14'h0407 + 14'(i) * 14'h0010)) begin
          rd_own[p] = rd_own[p] | 32'(s_queue_sq_tail_q[i]);
        end
        if (reg_hit(rd_dec_q[p], 14'h0408 + 14'(i) * 14'h0010)) begin
          rd_own[p] = rd_own[p] | 32'(s_queue_cq_head_q[i]);
        end
      end
      for (int unsigned i = 0; i < MsixTableCount; i++) begin
        if (reg_hit(rd_dec_q[p], 14'h2000 + 14'(i) * 14'h0004)) begin
          rd_own[p] = rd_own[p] | (32'(s_msix_table_addr_q[i][2 +: 30]) << 2);
        end
        if (reg_hit(rd_dec_q[p], 14'h2001 + 14'(i) * 14'h0004)) begin
          rd_own[p] = rd_own[p] | 32'(s_msix_table_addr_q[i][32 +: 32]);
        end
        if (reg_hit(rd_dec_q[p], 14'h2002 + 14'(i) * 14'h0004)) begin
          rd_own[p] = rd_own[p] | 32'(s_msix_table_data_q[i]);
        end
        if (reg_hit(rd_dec_q[p], 14'h2003 + 14'(i) * 14'h0004)) begin
          rd_own[p] = rd_own[p] | 32'(s_msix_table_vector_control_q[i]);
        end
      end
    end
  end

  // The values hardware drives, registered (with them the logic that drives them and the
  // read mux are two paths, not one), and which DWORD reads them.
  logic [31:0] x_dma_status_q;
  logic [1:0] x_dma_status_rd_q;
  logic [31:0] x_msix_pba_q;
  logic [1:0] x_msix_pba_rd_q;
  logic [QueueCount-1:0][31:0] x_queue_status_q;
  logic [1:0][QueueCount-1:0] x_queue_status_rd_q;
  always_ff @(posedge clk_i) begin
    rd_own_q <= rd_own;
    x_dma_status_q <= 32'(hw2reg_i.dma_status.busy.d) | (32'(hw2reg_i.dma_status.tags_in_flight.d) << 8);
    for (int unsigned p = 0; p < 2; p++) begin
      x_dma_status_rd_q[p] <= reg_hit(rd_dec_q[p], 14'h0011);
    end
    x_msix_pba_q <= 32'(hw2reg_i.msix_pba.d);
    for (int unsigned p = 0; p < 2; p++) begin
      x_msix_pba_rd_q[p] <= reg_hit(rd_dec_q[p], 14'h2400);
    end
    for (int unsigned i = 0; i < QueueCount; i++) begin
      x_queue_status_q[i] <= 32'(queue_hw2reg_i[i].status.sq_head.d) | (32'(queue_hw2reg_i[i].status.busy.d) << 16) | (32'(queue_hw2reg_i[i].status.full.d) << 17);
      for (int unsigned p = 0; p < 2; p++) begin
        x_queue_status_rd_q[p][i] <= reg_hit(rd_dec_q[p], 14'h0406 + 14'(i) * 14'h0010);
      end
    end
  end

  // Read stage 2: the driven values.
  always_ff @(posedge clk_i) begin
    for (int unsigned p = 0; p < 2; p++) begin
      logic [31:0] x;
      x = rd_own_q[p];
      x = x | (x_dma_status_rd_q[p] ? x_dma_status_q : '0);
      x = x | (x_msix_pba_rd_q[p] ? x_msix_pba_q : '0);
      for (int unsigned i = 0; i < QueueCount; i++) begin
        x = x | (x_queue_status_rd_q[p][i] ? x_queue_status_q[i] : '0);
      end
      rd_data_o[p] <= x;
    end
  end

endmodule

`default_nettype wire
