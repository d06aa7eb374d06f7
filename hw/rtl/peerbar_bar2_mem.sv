// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_bar2_mem: BAR2 peer memory, 2**Bar2SizeLog2 bytes, as 8 DWORD-wide banks.
//
// DWORD address j lives in bank j % 8, row j / 8, so any 8 consecutive DWORDs are one access per
// bank. Each bank is one true dual-port block RAM: per side and cycle ONE row address, used for a
// write (per-byte enables) or a read, never both (the caller arbitrates: peerbar_top). The two
// sides map onto the RAM's two ports:
// - side A: the completer (writes from CQ) and peerbar_cc_gen (reads for CC);
// - side B: the DMA engine (PULL data from peerbar_dma_rc, PUSH/CHECKSUM reads).
//
// Written as the true dual-port template with byte-wide write enables that Vivado (UG901, RAM
// HDL coding techniques) and Yosys (memory_libmap, techlibs/xilinx/brams_xc4v.txt) map to
// RAMB36E2 / RAMB18E2: one always_ff per port, a registered read, each byte enable writing its
// byte. hw/synth/synth.sh fails if this stops mapping to block RAM.
//
// Behaviour per bank and side, one cycle after the access (block RAM facts, UG573 "Block RAM
// Resources": a port's enable gates both its read and its write; per-byte write enables):
// - enabled = rd_en_i, or a write enable of this bank. An enabled bank loads rd_data_o[b] with
//   the row's contents from before this cycle (READ_FIRST: a write shows the old contents); a
//   disabled bank holds rd_data_o[b]. The callers never rely on the output after a write: see
//   peerbar_top for why no read is pending then.
// - READ_FIRST also makes a read of a row the other side writes in the same cycle return the old
//   contents reliably (UG573 "Conflict Avoidance", common clock; the same rule as PG326's
//   "Synchronous Write-Read Collisions"), which is what this model computes too.
// - Same-byte writes from both sides in the same cycle leave the byte undefined in block RAM
//   (UG573, write-write collision; byte-writes to different bytes of a row are safe). The
//   simulation keeps one of the two, whichever process Verilator orders last: no test may
//   depend on it. Software must not let a peer write a BAR2 range a PULL job is filling.
// UltraRAM (URAM288, UG573 "UltraRAM Resources") is 4K x 72 per block with 9-bit byte writes: a
// 32-bit bank would waste half of each block (64 URAM for 1 MiB), so the banks ask for block RAM
// (ram_style, honoured by Vivado and Yosys). docs/synthesis.md has the per-board figures.

`default_nettype none

module peerbar_bar2_mem #(
  // log2 of the BAR2 size in bytes (12 = 4 KiB .. 32 = 4 GiB).
  parameter int unsigned Bar2SizeLog2 = 20,
  // Row address width of one bank (derived, do not override).
  localparam int unsigned RowW = Bar2SizeLog2 - 5
) (
  input  wire logic                      clk_i,

  // Side A (completer / peerbar_cc_gen): one row per bank, written or read
  input  wire logic [7:0][RowW-1:0]      a_row_i,
  input  wire logic [7:0][3:0]           a_wr_be_i,
  input  wire logic [7:0][31:0]          a_wr_data_i,
  input  wire logic                      a_rd_en_i,
  output      logic [7:0][31:0]          a_rd_data_o,

  // Side B (DMA engine)
  input  wire logic [7:0][RowW-1:0]      b_row_i,
  input  wire logic [7:0][3:0]           b_wr_be_i,
  input  wire logic [7:0][31:0]          b_wr_data_i,
  input  wire logic                      b_rd_en_i,
  output      logic [7:0][31:0]          b_rd_data_o
);

  if (Bar2SizeLog2 < 12 || Bar2SizeLog2 > 32) begin : gen_check_size
    $error("peerbar_bar2_mem: Bar2SizeLog2 must be in 12..32");
  end

  localparam int unsigned Rows = 2 ** RowW;

  for (genvar b = 0; b < 8; b++) begin : gen_bank
    (* ram_style = "block" *) logic [31:0] mem_q [Rows];

    // Port A
    always_ff @(posedge clk_i) begin
      if (a_rd_en_i || a_wr_be_i[b] != '0) begin
        for (int unsigned i = 0; i < 4; i++) begin
          if (a_wr_be_i[b][i]) begin
            mem_q[a_row_i[b]][8*i +: 8] <= a_wr_data_i[b][8*i +: 8];
          end
        end
        a_rd_data_o[b] <= mem_q[a_row_i[b]];
      end
    end

    // Port B
    always_ff @(posedge clk_i) begin
      if (b_rd_en_i || b_wr_be_i[b] != '0) begin
        for (int unsigned i = 0; i < 4; i++) begin
          if (b_wr_be_i[b][i]) begin
            mem_q[b_row_i[b]][8*i +: 8] <= b_wr_data_i[b][8*i +: 8];
          end
        end
        b_rd_data_o[b] <= mem_q[b_row_i[b]];
      end
    end
  end

endmodule

`default_nettype wire
