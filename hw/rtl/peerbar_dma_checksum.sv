// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_dma_checksum: the CHECKSUM opcode's data path (contract: docs/dma-engine.md, "SQ
// entry", opcode 03h): the CRC32C of a BAR2 byte range, read through BAR2's port B one 32-byte
// row (all eight banks) per cycle and folded in by the pipelined peerbar_dma_crc32c.
//
// start_i takes the range (start_off_i, start_len_i >= 1 bytes, within BAR2: the job unit has
// checked it). From the next cycle the unit reads one row per cycle (rd_en_o, rd_row_o; the
// engine gives it the port while its job is a CHECKSUM) until the range's last row; each row's
// data (rd_data_i, the cycle after its read) goes straight into the CRC pipeline, whose first
// stage registers it, and crc_valid_o rises for one cycle with the CRC 5 cycles after the last
// row went in. abort_i (DMA_CONTROL.RESET) stops the reads and empties the pipeline, so an
// aborted range never delivers a CRC.

`default_nettype none

module peerbar_dma_checksum
  import peerbar_wire_pkg::*;
#(
  // log2 of the BAR2 size in bytes (12..32).
  parameter int unsigned Bar2SizeLog2 = 20,
  // Row address width of one BAR2 bank (derived, do not override).
  localparam int unsigned RowW = Bar2SizeLog2 - 5
) (
  input  wire logic                      clk_i,
  input  wire logic                      rst_i,
  input  wire logic                      abort_i,

  input  wire logic                      start_i,
  input  wire logic [Bar2SizeLog2-1:0]   start_off_i,
  input  wire logic [SqEntryLengthW-1:0] start_len_i,   // the SQ entry's LENGTH

  output      logic                      rd_en_o,
  output      logic [RowW-1:0]           rd_row_o,
  input  wire logic [7:0][31:0]          rd_data_i,

  output      logic                      crc_valid_o,
  output      logic [31:0]               crc_o
);

  // left_q's width: one bit more than LENGTH, for its sum with the start offset in the first row
  // and the 31 that rounds it up to rows.
  localparam int unsigned LeftW = SqEntryLengthW + 1;

  logic [RowW-1:0]  row_q;     // next 32-byte row
  logic [LeftW-1:0] left_q;    // rows not yet read
  logic             first_q;   // the next row is the range's first
  logic [4:0]       start_q;   // first byte of the range in its first row
  logic [4:0]       end_q;     // last byte of the range in its last row
  logic             v_q;       // the memory output holds a row to fold in ...
  logic             v_first_q; // ... the range's first
  logic             v_last_q;  // ... the range's last

  assign rd_en_o  = left_q != '0;
  assign rd_row_o = row_q;

  always_ff @(posedge clk_i) begin
    if (rst_i || abort_i) begin
      left_q <= '0;
      v_q    <= 1'b0;
    end else if (start_i) begin
      left_q <= (LeftW'(start_off_i[4:0]) + LeftW'(start_len_i) + LeftW'(31)) >> 5;
      v_q    <= 1'b0;
    end else begin
      left_q <= rd_en_o ? left_q - LeftW'(1) : left_q;
      v_q    <= rd_en_o;
    end
    // Read only while the range is being read (left_q, v_q): no reset needed.
    if (start_i) begin
      row_q   <= RowW'(start_off_i[Bar2SizeLog2-1:5]);
      first_q <= 1'b1;
      start_q <= start_off_i[4:0];
      end_q   <= 5'(start_off_i[4:0] + start_len_i[4:0] - 5'd1);
    end else if (rd_en_o) begin
      row_q   <= row_q + RowW'(1);
      first_q <= 1'b0;
    end
    v_first_q <= first_q;
    v_last_q  <= left_q == LeftW'(1);
  end

  peerbar_dma_crc32c u_crc (
    .clk_i        (clk_i),
    .rst_i        (rst_i || abort_i),
    .valid_i      (v_q),
    .first_i      (v_first_q),
    .last_i       (v_last_q),
    .first_byte_i (start_q),
    .last_byte_i  (end_q),
    .data_i       (rd_data_i),
    .crc_valid_o  (crc_valid_o),
    .crc_o        (crc_o)
  );

endmodule

`default_nettype wire
