// peerbar_top: user-logic top of the peerbar endpoint, facing the Xilinx UltraScale+ integrated
// PCIe block (pcie4_uscale_plus), 256-bit @ 250 MHz (Gen3 x8), dword-aligned, no straddle.
//
// BAR0: registers (64 KiB, peerbar_regs). BAR2: peer memory (2**Bar2SizeLog2 bytes,
// peerbar_bar2_mem). Requests arrive on CQ (peerbar_completer), answers leave on CC
// (peerbar_cc_gen). The requester side (RQ/RC) and MSI-X are idle until the DMA engine lands.

`default_nettype none

module peerbar_top
  import peerbar_pkg::*;
#(
  // log2 of the BAR2 (peer memory) size in bytes: 12 (4 KiB) .. 32 (4 GiB). Default 1 MiB.
  parameter int unsigned Bar2SizeLog2 = 20
) (
  input  wire logic           user_clk,
  input  wire logic           user_reset,            // synchronous, active high
  input  wire logic           user_lnk_up,

  // Completer request (host/peer -> us)
  input  wire logic [255:0]   m_axis_cq_tdata,
  input  wire logic [7:0]     m_axis_cq_tkeep,
  input  wire logic           m_axis_cq_tlast,
  input  wire logic [87:0]    m_axis_cq_tuser,
  input  wire logic           m_axis_cq_tvalid,
  output      logic [21:0]    m_axis_cq_tready,
  output      logic [1:0]     pcie_cq_np_req,
  input  wire logic [5:0]     pcie_cq_np_req_count,

  // Completer completion (us -> requester)
  output      logic [255:0]   s_axis_cc_tdata,
  output      logic [7:0]     s_axis_cc_tkeep,
  output      logic           s_axis_cc_tlast,
  output      logic [32:0]    s_axis_cc_tuser,
  output      logic           s_axis_cc_tvalid,
  input  wire logic [3:0]     s_axis_cc_tready,

  // Requester request (idle until the DMA engine lands)
  output      logic [255:0]   s_axis_rq_tdata,
  output      logic [7:0]     s_axis_rq_tkeep,
  output      logic           s_axis_rq_tlast,
  output      logic [61:0]    s_axis_rq_tuser,
  output      logic           s_axis_rq_tvalid,
  input  wire logic [3:0]     s_axis_rq_tready,
  input  wire logic [7:0]     pcie_rq_tag0,
  input  wire logic [7:0]     pcie_rq_tag1,
  input  wire logic           pcie_rq_tag_vld0,
  input  wire logic           pcie_rq_tag_vld1,
  input  wire logic [5:0]     pcie_rq_seq_num0,
  input  wire logic [5:0]     pcie_rq_seq_num1,
  input  wire logic           pcie_rq_seq_num_vld0,
  input  wire logic           pcie_rq_seq_num_vld1,
  input  wire logic [3:0]     pcie_tfc_nph_av,
  input  wire logic [3:0]     pcie_tfc_npd_av,

  // Requester completion (idle: always ready)
  input  wire logic [255:0]   m_axis_rc_tdata,
  input  wire logic [7:0]     m_axis_rc_tkeep,
  input  wire logic           m_axis_rc_tlast,
  input  wire logic [74:0]    m_axis_rc_tuser,
  input  wire logic           m_axis_rc_tvalid,
  output      logic [21:0]    m_axis_rc_tready,

  // Configuration status
  input  wire logic [1:0]     cfg_max_payload,       // 0=128 B .. 3=1024 B
  input  wire logic [2:0]     cfg_max_read_req,      // 0=128 B .. 5=4096 B
  input  wire logic [15:0]    cfg_function_status,   // bit 2: function 0 bus master enable
  input  wire logic [3:0]     cfg_rcb_status,        // bit 0: function 0 RCB is 128 B

  // MSI-X (idle until the DMA engine lands)
  input  wire logic [3:0]     cfg_interrupt_msix_enable,
  input  wire logic [3:0]     cfg_interrupt_msix_mask,
  output      logic [31:0]    cfg_interrupt_msix_data,
  output      logic [63:0]    cfg_interrupt_msix_address,
  output      logic           cfg_interrupt_msix_int,
  input  wire logic           cfg_interrupt_msix_sent,
  input  wire logic           cfg_interrupt_msix_fail,
  output      logic [7:0]     cfg_interrupt_msi_function_number
);

  if (Bar2SizeLog2 < 12 || Bar2SizeLog2 > 32) begin : gen_check_size
    $error("peerbar_top: Bar2SizeLog2 must be in 12..32");
  end

  localparam int unsigned RowW = Bar2SizeLog2 - 5;

  ////////////////////////////
  // Idle interfaces        //
  ////////////////////////////

  // No NP flow control by the user logic: the core may always deliver non-posted requests.
  assign pcie_cq_np_req = 2'b11;

  assign s_axis_cc_tuser = '0;  // no discontinue, no parity

  assign s_axis_rq_tdata  = '0;
  assign s_axis_rq_tkeep  = '0;
  assign s_axis_rq_tlast  = 1'b0;
  assign s_axis_rq_tuser  = '0;
  assign s_axis_rq_tvalid = 1'b0;

  assign m_axis_rc_tready = '1;  // nothing requested, so nothing stalls

  assign cfg_interrupt_msix_data           = '0;
  assign cfg_interrupt_msix_address        = '0;
  assign cfg_interrupt_msix_int            = 1'b0;
  assign cfg_interrupt_msi_function_number = '0;

  // Inputs of the idle interfaces (used once the DMA engine lands), CQ sideband this design does
  // not need (tkeep: validity follows from the DWORD count; tuser byte_en/sop/discontinue/TPH/
  // parity: byte enables are derived from first/last BE, sop from the state machine), the NP
  // credit count (np_req is tied high) and the tready bits the core duplicates.
  logic unused_inputs;
  assign unused_inputs = ^{m_axis_cq_tkeep, m_axis_cq_tuser[87:8], pcie_cq_np_req_count,
                           s_axis_cc_tready[3:1],
                           s_axis_rq_tready, pcie_rq_tag0, pcie_rq_tag1, pcie_rq_tag_vld0,
                           pcie_rq_tag_vld1, pcie_rq_seq_num0, pcie_rq_seq_num1,
                           pcie_rq_seq_num_vld0, pcie_rq_seq_num_vld1, pcie_tfc_nph_av,
                           pcie_tfc_npd_av,
                           m_axis_rc_tdata, m_axis_rc_tkeep, m_axis_rc_tlast, m_axis_rc_tuser,
                           m_axis_rc_tvalid,
                           cfg_function_status[15:3], cfg_function_status[1:0],
                           cfg_rcb_status[3:1],
                           cfg_interrupt_msix_enable, cfg_interrupt_msix_mask,
                           cfg_interrupt_msix_sent, cfg_interrupt_msix_fail};

  ////////////////////////////
  // Completer              //
  ////////////////////////////

  logic                 cq_tready;
  logic [7:0][RowW-1:0] mem_wr_row, mem_rd_row;
  logic [7:0][31:0]     mem_wr_data, mem_rd_data;
  logic [7:0][3:0]      mem_wr_be;
  logic                 mem_rd_en;
  logic                 reg_wr_valid;
  logic [13:0]          reg_wr_dw_addr, reg_rd_dw_addr;
  logic [1:0][31:0]     reg_wr_data, reg_rd_data;
  logic [1:0][3:0]      reg_wr_be;
  logic                 dropped_write, unsupported_request, error_valid;
  logic [3:0]           error_cause, error_req_type;
  logic [2:0]           error_bar_id;
  logic [10:0]          error_dword_count;
  logic [63:0]          error_offset;
  logic                 job_valid, job_done;
  cc_job_t              job;

  assign m_axis_cq_tready = {22{cq_tready}};

  peerbar_completer #(
    .Bar2SizeLog2 (Bar2SizeLog2)
  ) u_completer (
    .clk_i                 (user_clk),
    .rst_i                 (user_reset),
    .cq_tdata_i            (m_axis_cq_tdata),
    .cq_tlast_i            (m_axis_cq_tlast),
    .cq_be_i               (m_axis_cq_tuser[7:0]),
    .cq_tvalid_i           (m_axis_cq_tvalid),
    .cq_tready_o           (cq_tready),
    .mem_wr_row_o          (mem_wr_row),
    .mem_wr_data_o         (mem_wr_data),
    .mem_wr_be_o           (mem_wr_be),
    .reg_wr_valid_o        (reg_wr_valid),
    .reg_wr_dw_addr_o      (reg_wr_dw_addr),
    .reg_wr_data_o         (reg_wr_data),
    .reg_wr_be_o           (reg_wr_be),
    .reg_rd_dw_addr_o      (reg_rd_dw_addr),
    .reg_rd_data_i         (reg_rd_data),
    .dropped_write_o       (dropped_write),
    .unsupported_request_o (unsupported_request),
    .error_valid_o         (error_valid),
    .error_cause_o         (error_cause),
    .error_req_type_o      (error_req_type),
    .error_bar_id_o        (error_bar_id),
    .error_dword_count_o   (error_dword_count),
    .error_offset_o        (error_offset),
    .job_valid_o           (job_valid),
    .job_o                 (job),
    .job_done_i            (job_done)
  );

  peerbar_cc_gen #(
    .Bar2SizeLog2 (Bar2SizeLog2)
  ) u_cc_gen (
    .clk_i         (user_clk),
    .rst_i         (user_reset),
    .max_payload_i (cfg_max_payload),
    .job_valid_i   (job_valid),
    .job_i         (job),
    .job_done_o    (job_done),
    .mem_rd_en_o   (mem_rd_en),
    .mem_rd_row_o  (mem_rd_row),
    .mem_rd_data_i (mem_rd_data),
    .cc_tdata_o    (s_axis_cc_tdata),
    .cc_tkeep_o    (s_axis_cc_tkeep),
    .cc_tlast_o    (s_axis_cc_tlast),
    .cc_tvalid_o   (s_axis_cc_tvalid),
    .cc_tready_i   (s_axis_cc_tready[0])
  );

  ////////////////////////////
  // BAR2 memory, BAR0 regs //
  ////////////////////////////

  peerbar_bar2_mem #(
    .Bar2SizeLog2 (Bar2SizeLog2)
  ) u_bar2_mem (
    .clk_i     (user_clk),
    .wr_row_i  (mem_wr_row),
    .wr_data_i (mem_wr_data),
    .wr_be_i   (mem_wr_be),
    .rd_en_i   (mem_rd_en),
    .rd_row_i  (mem_rd_row),
    .rd_data_o (mem_rd_data)
  );

  peerbar_regs #(
    .Bar2SizeLog2 (Bar2SizeLog2)
  ) u_regs (
    .clk_i                 (user_clk),
    .rst_i                 (user_reset),
    .link_up_i             (user_lnk_up),
    .bus_master_i          (cfg_function_status[2]),
    .max_payload_i         (cfg_max_payload),
    .max_read_req_i        (cfg_max_read_req),
    .rcb_128_i             (cfg_rcb_status[0]),
    .wr_valid_i            (reg_wr_valid),
    .wr_dw_addr_i          (reg_wr_dw_addr),
    .wr_data_i             (reg_wr_data),
    .wr_be_i               (reg_wr_be),
    .rd_dw_addr_i          (reg_rd_dw_addr),
    .rd_data_o             (reg_rd_data),
    .dropped_write_i       (dropped_write),
    .unsupported_request_i (unsupported_request),
    .error_valid_i         (error_valid),
    .error_cause_i         (error_cause),
    .error_req_type_i      (error_req_type),
    .error_bar_id_i        (error_bar_id),
    .error_dword_count_i   (error_dword_count),
    .error_offset_i        (error_offset)
  );

endmodule

`default_nettype wire
