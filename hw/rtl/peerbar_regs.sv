// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_regs: the BAR0 register file (map: hw/regmap/peerbar.toml via peerbar_reg_pkg).
//
// Accessed by the completer one request at a time, 1 or 2 DWORDs per access (a 2-DWORD access
// covers two consecutive registers). rw registers honour byte enables, writes to const/ro
// registers and unmapped offsets are ignored, unmapped offsets read 0. Reads have no side
// effects. A read takes three cycles: the offsets are registered, then the data at them, then
// that data once more (to come with peerbar_dma_csr's), so rd_data_o shows, three cycles after
// rd_dw_addr_i, the registers as they were one cycle after it.
// The DMA engine's registers live in peerbar_dma_csr on the same access port (the top ORs the
// read data).

`default_nettype none

module peerbar_regs
  import peerbar_reg_pkg::*;
#(
  // log2 of the BAR2 size in bytes (12..32), reported in BAR2_SIZE_LO/HI.
  parameter int unsigned Bar2SizeLog2 = 20,
  // Number of DMA queue pairs (4..16), reported in CAPABILITIES.DMA_QUEUES.
  parameter int unsigned NumQueues = 4
) (
  input  wire logic                 clk_i,
  input  wire logic                 rst_i,              // synchronous, active high

  // Status (from the PCIe block's cfg outputs)
  input  wire logic                 link_up_i,
  input  wire logic                 bus_master_i,
  input  wire logic [1:0]           max_payload_i,
  input  wire logic [2:0]           max_read_req_i,
  input  wire logic                 rcb_128_i,

  // Write port: DWORD wr_dw_addr_i gets lane 0, the next DWORD lane 1
  input  wire logic                 wr_valid_i,
  input  wire logic [13:0]          wr_dw_addr_i,
  input  wire logic [1:0][31:0]     wr_data_i,
  input  wire logic [1:0][3:0]      wr_be_i,

  // Read port: DWORD rd_dw_addr_i on lane 0, the next DWORD on lane 1, three cycles later
  input  wire logic [13:0]          rd_dw_addr_i,
  output      logic [1:0][31:0]     rd_data_o,

  // Error accounting events from the completer
  input  wire logic                 dropped_write_i,
  input  wire logic                 unsupported_request_i,
  input  wire logic                 error_valid_i,
  input  wire logic [3:0]           error_cause_i,
  input  wire logic [3:0]           error_req_type_i,
  input  wire logic [2:0]           error_bar_id_i,
  input  wire logic [10:0]          error_dword_count_i,
  input  wire logic [63:0]          error_offset_i
);

  if (Bar2SizeLog2 < 12 || Bar2SizeLog2 > 32) begin : gen_check_size
    $error("peerbar_regs: Bar2SizeLog2 must be in 12..32");
  end
  // The fields this module fills must be wide enough for the values it puts there.
  if (ERROR_LOG_DWORD_COUNT_WIDTH < 11 || ERROR_LOG_CAUSE_WIDTH < 3 ||
      ERROR_LOG_REQ_TYPE_WIDTH < 4 || ERROR_LOG_BAR_ID_WIDTH < 3 ||
      STATUS_MAX_PAYLOAD_WIDTH < 2 || STATUS_MAX_READ_REQ_WIDTH < 3) begin : gen_check_fields
    $error("peerbar_regs: register map fields narrower than the RTL expects");
  end

  localparam logic [63:0] Bar2Size = 64'(1) << Bar2SizeLog2;
  // CAPABILITIES: the map's constants, DMA_QUEUES from the parameter.
  localparam logic [31:0] Capabilities =
      (CAPABILITIES_RESET & ~CAPABILITIES_DMA_QUEUES_MASK) |
      ((32'(NumQueues) << CAPABILITIES_DMA_QUEUES_LSB) & CAPABILITIES_DMA_QUEUES_MASK);

  // Storage
  logic [31:0] scratch_q, scratch_d;
  logic [31:0] dropped_writes_q, dropped_writes_d;
  logic [31:0] unsupported_requests_q, unsupported_requests_d;
  logic [31:0] error_log_q, error_log_d;
  logic [63:0] error_offset_q, error_offset_d;

  // Byte offsets of the two DWORDs of an access
  logic [1:0][15:0] wr_offset, rd_offset;
  always_comb begin
    wr_offset[0] = {wr_dw_addr_i, 2'b00};
    wr_offset[1] = {wr_dw_addr_i + 14'd1, 2'b00};
  end
  // Reads are registered twice (logic-level budget, docs/synthesis.md): offsets, then data.
  always_ff @(posedge clk_i) begin
    rd_offset[0] <= {rd_dw_addr_i, 2'b00};
    rd_offset[1] <= {rd_dw_addr_i + 14'd1, 2'b00};
  end

  // Writes
  logic clear_errors;
  always_comb begin
    scratch_d    = scratch_q;
    clear_errors = 1'b0;
    if (wr_valid_i) begin
      for (int unsigned p = 0; p < 2; p++) begin
        if (wr_offset[p] == SCRATCH_OFFSET) begin
          for (int unsigned i = 0; i < 4; i++) begin
            if (wr_be_i[p][i]) begin
              scratch_d[8*i +: 8] = wr_data_i[p][8*i +: 8];
            end
          end
        end
        if (wr_offset[p] == CONTROL_OFFSET &&
            wr_be_i[p][CONTROL_CLEAR_ERRORS_LSB / 8] &&
            wr_data_i[p][CONTROL_CLEAR_ERRORS_LSB]) begin
          clear_errors = 1'b1;
        end
      end
    end
  end

  // Error accounting: counters saturate; the log keeps the first refusal until cleared.
  always_comb begin
    dropped_writes_d       = dropped_writes_q;
    unsupported_requests_d = unsupported_requests_q;
    error_log_d            = error_log_q;
    error_offset_d         = error_offset_q;
    if (clear_errors) begin
      dropped_writes_d       = '0;
      unsupported_requests_d = '0;
      error_log_d            = '0;
      error_offset_d         = '0;
    end else begin
      if (dropped_write_i && dropped_writes_q != '1) begin
        dropped_writes_d = dropped_writes_q + 32'd1;
      end
      if (unsupported_request_i && unsupported_requests_q != '1) begin
        unsupported_requests_d = unsupported_requests_q + 32'd1;
      end
      if (error_valid_i && (error_log_q & ERROR_LOG_VALID_MASK) == '0) begin
        error_log_d = ((32'(error_cause_i) << ERROR_LOG_CAUSE_LSB) & ERROR_LOG_CAUSE_MASK) |
                      ((32'(error_req_type_i) << ERROR_LOG_REQ_TYPE_LSB) & ERROR_LOG_REQ_TYPE_MASK) |
                      ((32'(error_bar_id_i) << ERROR_LOG_BAR_ID_LSB) & ERROR_LOG_BAR_ID_MASK) |
                      ((32'(error_dword_count_i) << ERROR_LOG_DWORD_COUNT_LSB) &
                       ERROR_LOG_DWORD_COUNT_MASK) |
                      ERROR_LOG_VALID_MASK;
        error_offset_d = error_offset_i;
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      scratch_q              <= SCRATCH_RESET;
      dropped_writes_q       <= DROPPED_WRITES_RESET;
      unsupported_requests_q <= UNSUPPORTED_REQUESTS_RESET;
      error_log_q            <= ERROR_LOG_RESET;
      error_offset_q         <= {ERROR_ADDR_HI_RESET, ERROR_ADDR_LO_RESET};
    end else begin
      scratch_q              <= scratch_d;
      dropped_writes_q       <= dropped_writes_d;
      unsupported_requests_q <= unsupported_requests_d;
      error_log_q            <= error_log_d;
      error_offset_q         <= error_offset_d;
    end
  end

  // Status register value
  logic [31:0] status;
  always_comb begin
    status = ((32'(link_up_i) << STATUS_LINK_UP_LSB) & STATUS_LINK_UP_MASK) |
             ((32'(bus_master_i) << STATUS_BUS_MASTER_LSB) & STATUS_BUS_MASTER_MASK) |
             ((32'(max_payload_i) << STATUS_MAX_PAYLOAD_LSB) & STATUS_MAX_PAYLOAD_MASK) |
             ((32'(max_read_req_i) << STATUS_MAX_READ_REQ_LSB) & STATUS_MAX_READ_REQ_MASK) |
             ((32'(rcb_128_i) << STATUS_RCB_128_LSB) & STATUS_RCB_128_MASK);
  end

  // Reads (from the registered offsets)
  logic [1:0][31:0] rd_data;
  always_comb begin
    for (int unsigned p = 0; p < 2; p++) begin
      unique case (rd_offset[p])
        MAGIC_OFFSET:                rd_data[p] = MAGIC_RESET;
        VERSION_OFFSET:              rd_data[p] = VERSION_RESET;
        CAPABILITIES_OFFSET:         rd_data[p] = Capabilities;
        BAR2_SIZE_LO_OFFSET:         rd_data[p] = Bar2Size[31:0];
        BAR2_SIZE_HI_OFFSET:         rd_data[p] = Bar2Size[63:32];
        SCRATCH_OFFSET:              rd_data[p] = scratch_q;
        CONTROL_OFFSET:              rd_data[p] = '0;  // w1p: reads as 0
        STATUS_OFFSET:               rd_data[p] = status;
        DROPPED_WRITES_OFFSET:       rd_data[p] = dropped_writes_q;
        UNSUPPORTED_REQUESTS_OFFSET: rd_data[p] = unsupported_requests_q;
        ERROR_LOG_OFFSET:            rd_data[p] = error_log_q;
        ERROR_ADDR_LO_OFFSET:        rd_data[p] = error_offset_q[31:0];
        ERROR_ADDR_HI_OFFSET:        rd_data[p] = error_offset_q[63:32];
        default:                     rd_data[p] = '0;  // unmapped
      endcase
    end
  end

  // One more register stage, so that the read data comes with peerbar_dma_csr's on the shared
  // access port: that block needs a third stage (its read mux and the engine's status are
  // registered apart for the logic-level budget), and the top ORs the two.
  logic [1:0][31:0] rd_data_q;
  always_ff @(posedge clk_i) begin
    rd_data_q <= rd_data;
    rd_data_o <= rd_data_q;
  end

endmodule

`default_nettype wire
