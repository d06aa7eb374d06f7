// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_dma_fbuf_banks: one region of the DMA engine's fetch buffer (the SGL ring, or the SQ
// entry slots), as 8 banks of DWORDs: DWORD d of the region is in bank d % 8, row d / 8.
//
// peerbar_dma_rc writes a completion beat's DWORDs into the buffer: lane i at lane 0's DWORD
// + i, in one region, going round within it (lane_idx_i: region bit on top). So each bank takes
// at most one lane per cycle, and each bank is a plain memory with one write port, read without
// a clock at the rows asked for: distributed RAM on the device (UG574, "Distributed RAM"),
// instead of a flip-flop per bit behind a choice of the 8 lanes. A read gives all 8 banks at one
// row (8 consecutive DWORDs, the first 32-byte aligned); Reads rows at once. Not reset: the
// engine reads only DWORDs it knows were written.

`default_nettype none

module peerbar_dma_fbuf_banks #(
  // log2 of the rows of a bank (the region holds 8 * 2**RowW DWORDs).
  parameter int unsigned RowW = 4,
  // Rows read at once.
  parameter int unsigned Reads = 1,
  // The region these banks are (lane_idx_i's top bit).
  parameter bit          Region = 1'b0
) (
  input  wire logic                          clk_i,
  input  wire logic [7:0]                    lane_we_i,
  input  wire logic [7:0][RowW+3:0]          lane_idx_i,   // {region, row, bank} of each lane
  input  wire logic [7:0][31:0]              lane_data_i,
  input  wire logic [Reads-1:0][RowW-1:0]    rd_row_i,
  output      logic [Reads-1:0][7:0][31:0]   rd_data_o     // [r][b]: bank b at rd_row_i[r]
);

  // Bank b takes the lane whose DWORD is in it: lane (b - lane 0's bank) mod 8. (Worked out only
  // in a cycle that writes: the simulation skips the lane choice in other cycles; on the device
  // the test is part of the write enable.)
  for (genvar b = 0; b < 8; b++) begin : g_bank
    logic [31:0] mem [2 ** RowW];
    always_ff @(posedge clk_i) begin
      if (lane_we_i != '0) begin
        logic [2:0] l;
        l = 3'(b) - lane_idx_i[0][2:0];
        if (lane_we_i[l] && lane_idx_i[0][RowW+3] == Region) begin
          mem[lane_idx_i[l][RowW+2:3]] <= lane_data_i[l];
        end
      end
    end
    for (genvar r = 0; r < Reads; r++) begin : g_read
      assign rd_data_o[r][b] = mem[rd_row_i[r]];
    end
  end

`ifndef SYNTHESIS
  // The lanes of a write are consecutive DWORDs of one region, going round (the banks rely on
  // it).
  always_ff @(posedge clk_i) begin
    if (lane_we_i != '0) begin
      for (int unsigned i = 1; i < 8; i++) begin
        if (lane_idx_i[i] != {lane_idx_i[0][RowW+3], lane_idx_i[0][RowW+2:0] + (RowW + 3)'(i)}) begin
          $fatal(1, "peerbar_dma_fbuf_banks: lane %0d's DWORD is %0d, lane 0's %0d", i,
                 lane_idx_i[i], lane_idx_i[0]);
        end
      end
    end
  end
`endif

endmodule

`default_nettype wire
