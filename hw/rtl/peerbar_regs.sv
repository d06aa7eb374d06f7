// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_regs: the general BAR0 registers (map: hw/regmap/peerbar.toml, group regs): their
// behaviour (status, error accounting) around the generated register file
// peerbar_regs_reg_file, which holds the storage, the write decode and the read mux.
//
// Accessed by the completer one request at a time, 1 or 2 DWORDs per access (a 2-DWORD access
// covers two consecutive registers). rw registers honour byte enables, writes to const/ro
// registers and unmapped offsets are ignored, unmapped offsets read 0. Reads have no side
// effects. A read takes three cycles, so rd_data_o shows, three cycles after rd_dw_addr_i, the
// registers as they were one cycle after it (peerbar_regs_reg_file).
// The DMA engine's registers live in peerbar_dma_csr on the same access port (the top ORs the
// read data).

`default_nettype none

module peerbar_regs
  import peerbar_reg_pkg::*;
  import peerbar_wire_pkg::*;
#(
  // log2 of the BAR2 size in bytes (12..32), reported in BAR2_SIZE_LO/HI.
  parameter int unsigned Bar2SizeLog2 = 20,
  // Number of DMA queue pairs (4..16), reported in CAPABILITIES.DMA_QUEUES.
  parameter int unsigned NumQueues = 4
) (
  input  wire logic                         clk_i,
  input  wire logic                         rst_i,              // synchronous, active high

  // Status (from the PCIe block's cfg outputs)
  input  wire logic                         link_up_i,
  input  wire logic                         bus_master_i,
  input  wire logic [1:0]                   max_payload_i,
  input  wire logic [2:0]                   max_read_req_i,
  input  wire logic                         rcb_128_i,

  // Write port: DWORD wr_dw_addr gets lane 0, the next DWORD lane 1. The write address one
  // cycle ahead (peerbar_completer registers it unconditionally), decoded a cycle early.
  input  wire logic                         wr_valid_i,
  input  wire logic [13:0]                  wr_dw_addr_next_i,
  input  wire logic [1:0][31:0]             wr_data_i,
  input  wire logic [1:0][3:0]              wr_be_i,

  // Read port: DWORD rd_dw_addr_i on lane 0, the next DWORD on lane 1, three cycles later
  input  wire logic [13:0]                  rd_dw_addr_i,
  output      logic [1:0][31:0]             rd_data_o,

  // Error accounting events from the completer
  input  wire logic                         dropped_write_i,
  input  wire logic                         unsupported_request_i,
  input  wire logic                         error_valid_i,
  input  wire logic [3:0]                   error_cause_i,
  input  wire logic [CqDescReqTypeW-1:0]    error_req_type_i,
  input  wire logic [CqDescBarIdW-1:0]      error_bar_id_i,
  input  wire logic [CqDescDwordCountW-1:0] error_dword_count_i,
  input  wire logic [63:0]                  error_offset_i
);

  if (Bar2SizeLog2 < 12 || Bar2SizeLog2 > 32) begin : gen_check_size
    $error("peerbar_regs: Bar2SizeLog2 must be in 12..32");
  end
  // The fields this module fills must be wide enough for the values it puts there.
  if (ERROR_LOG_DWORD_COUNT_WIDTH < CqDescDwordCountW || ERROR_LOG_CAUSE_WIDTH < 3 ||
      ERROR_LOG_REQ_TYPE_WIDTH < CqDescReqTypeW || ERROR_LOG_BAR_ID_WIDTH < CqDescBarIdW ||
      STATUS_MAX_PAYLOAD_WIDTH < 2 || STATUS_MAX_READ_REQ_WIDTH < 3) begin : gen_check_fields
    $error("peerbar_regs: register map fields narrower than the RTL expects");
  end

  localparam logic [63:0] Bar2Size = 64'(1) << Bar2SizeLog2;
  // CAPABILITIES: the map's constants, DMA_QUEUES from the parameter.
  localparam logic [31:0] Capabilities =
      (CAPABILITIES_RESET & ~CAPABILITIES_DMA_QUEUES_MASK) |
      ((32'(NumQueues) << CAPABILITIES_DMA_QUEUES_LSB) & CAPABILITIES_DMA_QUEUES_MASK);

  // Storage, write decode and read mux: the generated register file.
  regs_reg2hw_t reg2hw;
  regs_hw2reg_t hw2reg;
  peerbar_regs_reg_file #(
    .CapabilitiesValue (Capabilities)
  ) u_reg_file (
    .clk_i,
    .rst_i,
    .wr_valid_i,
    .wr_dw_addr_next_i,
    .wr_data_i,
    .wr_be_i,
    .rd_dw_addr_i,
    .rd_data_o,
    .reg2hw_o          (reg2hw),
    .hw2reg_i          (hw2reg)
  );

  always_comb begin
    hw2reg = '0;
    hw2reg.bar2_size.d = Bar2Size;
    hw2reg.status.link_up.d      = link_up_i;
    hw2reg.status.bus_master.d   = bus_master_i;
    hw2reg.status.max_payload.d  = max_payload_i;
    hw2reg.status.max_read_req.d = max_read_req_i;
    hw2reg.status.rcb_128.d      = rcb_128_i;

    // Error accounting: counters saturate; the log keeps the first refusal until
    // CONTROL.CLEAR_ERRORS, which wins over the events of its cycle.
    hw2reg.dropped_writes.d       = reg2hw.dropped_writes.q + 32'd1;
    hw2reg.dropped_writes.de      = dropped_write_i && reg2hw.dropped_writes.q != '1;
    hw2reg.unsupported_requests.d = reg2hw.unsupported_requests.q + 32'd1;
    hw2reg.unsupported_requests.de =
        unsupported_request_i && reg2hw.unsupported_requests.q != '1;
    hw2reg.error_log.cause.d       = error_cause_i;
    hw2reg.error_log.req_type.d    = error_req_type_i;
    hw2reg.error_log.bar_id.d      = error_bar_id_i;
    hw2reg.error_log.dword_count.d = error_dword_count_i;
    hw2reg.error_log.valid.d       = 1'b1;
    hw2reg.error_addr.d            = error_offset_i;
    if (error_valid_i && !reg2hw.error_log.valid.q) begin
      hw2reg.error_log.cause.de       = 1'b1;
      hw2reg.error_log.req_type.de    = 1'b1;
      hw2reg.error_log.bar_id.de      = 1'b1;
      hw2reg.error_log.dword_count.de = 1'b1;
      hw2reg.error_log.valid.de       = 1'b1;
      hw2reg.error_addr.de            = 1'b1;
    end
    if (reg2hw.control.q) begin  // CLEAR_ERRORS
      hw2reg.dropped_writes       = '{d: '0, de: 1'b1};
      hw2reg.unsupported_requests = '{d: '0, de: 1'b1};
      hw2reg.error_log.cause       = '{d: '0, de: 1'b1};
      hw2reg.error_log.req_type    = '{d: '0, de: 1'b1};
      hw2reg.error_log.bar_id      = '{d: '0, de: 1'b1};
      hw2reg.error_log.dword_count = '{d: '0, de: 1'b1};
      hw2reg.error_log.valid       = '{d: '0, de: 1'b1};
      hw2reg.error_addr            = '{d: '0, de: 1'b1};
    end
  end

endmodule

`default_nettype wire
