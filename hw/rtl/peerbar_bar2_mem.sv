// peerbar_bar2_mem: BAR2 peer memory, 2**Bar2SizeLog2 bytes, as 8 DWORD-wide banks.
//
// DWORD address j lives in bank j % 8, row j / 8, so any 8 consecutive DWORDs are one access per
// bank. Two independent sides, each with a write port (per-byte enables) and a read port with a
// one-cycle latency whose output holds its value while its rd_en is low:
// - side A: the completer (writes from CQ) and peerbar_cc_gen (reads for CC). The completer holds
//   CQ while peerbar_cc_gen reads, so side A never writes and reads in the same cycle.
// - side B: the DMA engine (PULL writes, PUSH/CHECKSUM reads; one job at a time, so side B
//   never writes and reads in the same cycle either).
// Each side maps onto one port of a true dual-port block RAM in Vivado. Both sides may access
// the memory in the same cycle. Same-byte writes from both sides in the same cycle: side B (the
// engine) wins here; in a block RAM the result of such a collision is undefined, so software must
// not let a peer write a BAR2 range a PULL job is filling. A read of a byte written by the other
// side in the same cycle returns the old value.

`default_nettype none

module peerbar_bar2_mem #(
  // log2 of the BAR2 size in bytes (12 = 4 KiB .. 32 = 4 GiB).
  parameter int unsigned Bar2SizeLog2 = 20,
  // Row address width of one bank (derived, do not override).
  localparam int unsigned RowW = Bar2SizeLog2 - 5
) (
  input  wire logic                      clk_i,

  // Side A write port: one DWORD per bank per cycle
  input  wire logic [7:0][RowW-1:0]      wr_row_i,
  input  wire logic [7:0][31:0]          wr_data_i,
  input  wire logic [7:0][3:0]           wr_be_i,

  // Side A read port: one DWORD per bank per cycle, data one cycle after rd_en_i
  input  wire logic                      rd_en_i,
  input  wire logic [7:0][RowW-1:0]      rd_row_i,
  output      logic [7:0][31:0]          rd_data_o,

  // Side B write port
  input  wire logic [7:0][RowW-1:0]      b_wr_row_i,
  input  wire logic [7:0][31:0]          b_wr_data_i,
  input  wire logic [7:0][3:0]           b_wr_be_i,

  // Side B read port
  input  wire logic                      b_rd_en_i,
  input  wire logic [7:0][RowW-1:0]      b_rd_row_i,
  output      logic [7:0][31:0]          b_rd_data_o
);

  if (Bar2SizeLog2 < 12 || Bar2SizeLog2 > 32) begin : gen_check_size
    $error("peerbar_bar2_mem: Bar2SizeLog2 must be in 12..32");
  end

  localparam int unsigned Rows = 2 ** RowW;

  for (genvar b = 0; b < 8; b++) begin : gen_bank
    logic [31:0] mem_q [Rows];

    // One process for both write ports: side B's bytes are applied last and win a collision.
    always_ff @(posedge clk_i) begin
      for (int unsigned i = 0; i < 4; i++) begin
        if (wr_be_i[b][i]) begin
          mem_q[wr_row_i[b]][8*i +: 8] <= wr_data_i[b][8*i +: 8];
        end
        if (b_wr_be_i[b][i]) begin
          mem_q[b_wr_row_i[b]][8*i +: 8] <= b_wr_data_i[b][8*i +: 8];
        end
      end
    end

    always_ff @(posedge clk_i) begin
      if (rd_en_i) begin
        rd_data_o[b] <= mem_q[rd_row_i[b]];
      end
      if (b_rd_en_i) begin
        b_rd_data_o[b] <= mem_q[b_rd_row_i[b]];
      end
    end
  end

endmodule

`default_nettype wire
