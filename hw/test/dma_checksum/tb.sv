// SPDX-License-Identifier: MIT OR Apache-2.0
// Unit test of peerbar_dma_checksum (run: bash hw/test/run.sh dma_checksum), with a 4 KiB BAR2
// (Bar2SizeLog2 = 12: 128 rows of 32 bytes, eight 32-bit banks, bank b = DWORD b of the row)
// filled with random bytes. The bench answers each read (rd_en_o, rd_row_o) with the row on
// rd_data_i in the next cycle, as the block RAM does, and with garbage in a cycle after no read.
// It starts ranges (start_off_i, start_len_i >= 1, off + len <= 4 KiB; garbage on both while
// start_i is low) and checks, every cycle:
// - reads: exactly the rows off/32 .. (off+len-1)/32, in order, one per cycle, from the cycle
//   after start_i; no read otherwise;
// - crc_valid_o exactly once per range, with crc_o the CRC32C of bytes off..off+len-1 (a
//   bit-serial reference below, independent of the RTL package), in exactly the cycle
//   CrcAfterRead cycles after the range's last read (the contract: 5 clock edges after the edge
//   that takes the last row into the CRC pipeline, which is the cycle after its read);
// - abort_i in any cycle of a range (its start cycle, a read, the cycles between the last read
//   and crc_valid_o) or while idle: no read after the abort cycle (rd_en_o comes from a
//   register, so a read in the abort cycle itself is allowed; with start_i in the same cycle,
//   none at all), no crc_valid_o for that range, and the next range (from the cycle after the
//   abort on) is right; likewise rst_i once in the middle of a range;
// - ranges back to back (start_i in the cycle after crc_valid_o) and with random gaps.
// Edge cases: length 1 at every byte of the first, a middle and the last row; 31, 32 and 33
// bytes from every byte of a row; ranges starting and ending on row boundaries; the whole 4 KiB;
// the last byte of BAR2; an abort in every cycle of a one-row and a four-row range. Then random
// ranges (short, medium, up to the end of BAR2), a fifth of them aborted in a random cycle.

`default_nettype none

module tb;

  localparam int unsigned Bar2SizeLog2 = 12;
  localparam int unsigned Bar2Bytes    = 1 << Bar2SizeLog2;
  localparam int unsigned RowW         = Bar2SizeLog2 - 5;
  // Cycles from a range's last read to its crc_valid_o: the row is on rd_data_i one cycle after
  // its read, the pipeline's first stage takes it at the end of that cycle, and crc_valid_o is
  // high from the 5th edge after: 1 + 5 + 1.
  localparam int unsigned CrcAfterRead = 7;
  localparam int unsigned Ranges       = 4000;
  localparam logic [31:0] Poly         = 32'h82F6_3B78;

  logic                    clk = 1'b0;
  logic                    rst = 1'b1;
  logic                    abort = 1'b0;
  logic                    start = 1'b0;
  logic [Bar2SizeLog2-1:0] start_off = '0;
  logic [31:0]             start_len = '0;
  logic                    rd_en;
  logic [RowW-1:0]         rd_row;
  logic [7:0][31:0]        rd_data = '0;
  logic                    crc_valid;
  logic [31:0]             crc;

  peerbar_dma_checksum #(
    .Bar2SizeLog2 (Bar2SizeLog2)
  ) dut (
    .clk_i       (clk),
    .rst_i       (rst),
    .abort_i     (abort),
    .start_i     (start),
    .start_off_i (start_off),
    .start_len_i (start_len),
    .rd_en_o     (rd_en),
    .rd_row_o    (rd_row),
    .rd_data_i   (rd_data),
    .crc_valid_o (crc_valid),
    .crc_o       (crc)
  );

  // A testbench's clock and checker counters are blocking assignments in timed processes, as
  // every testbench has them; the style warning is for synthesizable RTL.
  /* verilator lint_off BLKSEQ */
  always #5 clk = !clk;

  // BAR2, byte by byte; row r is bytes 32r..32r+31, byte k of a row bits 8k+7:8k of its data.
  byte unsigned bar2[Bar2Bytes];

  function automatic logic [255:0] row_data(input int unsigned r);
    logic [255:0] d;
    for (int unsigned k = 0; k < 32; k++) begin
      d[8*k +: 8] = bar2[32*r + k];
    end
    return d;
  endfunction

  task automatic fill_bar2();
    for (int unsigned a = 0; a < Bar2Bytes; a++) begin
      bar2[a] = 8'($urandom());
    end
  endtask

  // The block RAM: registered read, garbage after a cycle without a read.
  always @(posedge clk) begin
    rd_data <= rd_en ? row_data(32'(rd_row)) : {8{$urandom()}};
  end

  // The CRC32C of the bytes, one bit at a time: the definition the unit must match.
  function automatic logic [31:0] crc_ref(input int unsigned off, input int unsigned len);
    logic [31:0] c;
    c = 32'hFFFF_FFFF;
    for (int unsigned i = off; i < off + len; i++) begin
      c = c ^ {24'd0, bar2[i]};
      for (int b = 0; b < 8; b++) begin
        c = (c >> 1) ^ (c[0] ? Poly : 32'd0);
      end
    end
    return ~c;
  endfunction

  // The checker: the reads and CRCs expected and their cycles. `cycle` counts rising edges; the
  // checker at an edge sees the signals of the cycle that edge ends, numbered `cycle`.
  int unsigned     exp_row[$];
  longint unsigned exp_rd_at[$];
  logic [31:0]     want_crc[$];
  longint unsigned want_at[$];
  longint unsigned cycle = 0, last_rd = 0;
  int unsigned     errors = 0, reads = 0, crcs = 0, aborts = 0, started = 0, bytes_summed = 0;
  int unsigned     lat_min = ~0, lat_max = 0;

  task automatic fail(input string msg);
    $display("FAIL cycle %0d: %s", cycle, msg);
    errors++;
    if (errors >= 20) begin
      $fatal(1, "FAIL dma_checksum: too many errors");
    end
  endtask

  always @(posedge clk) begin
    cycle <= cycle + 1;
    if (rd_en) begin
      if (exp_rd_at.size() == 0 || exp_rd_at[0] != cycle) begin
        fail($sformatf("read of row %0d nobody expected (next: %s)", rd_row,
                       exp_rd_at.size() == 0 ? "none" :
                       $sformatf("row %0d at cycle %0d", exp_row[0], exp_rd_at[0])));
      end else if (32'(rd_row) != exp_row[0]) begin
        fail($sformatf("read of row %0d, want row %0d", rd_row, exp_row[0]));
      end else begin
        reads++;
      end
      last_rd = cycle;
    end
    while (exp_rd_at.size() != 0 && exp_rd_at[0] <= cycle) begin
      if (!rd_en) fail($sformatf("read of row %0d due in this cycle did not come", exp_row[0]));
      void'(exp_row.pop_front());
      void'(exp_rd_at.pop_front());
    end
    if (crc_valid) begin
      if (want_crc.size() == 0) begin
        fail($sformatf("a CRC %08h nobody asked for", crc));
      end else begin
        logic [31:0]     w;
        longint unsigned at;
        w  = want_crc.pop_front();
        at = want_at.pop_front();
        if (crc !== w || cycle != at) begin
          fail($sformatf("CRC %08h, want %08h at cycle %0d", crc, w, at));
        end
        crcs++;
        if (32'(cycle - last_rd) < lat_min) lat_min = 32'(cycle - last_rd);
        if (32'(cycle - last_rd) > lat_max) lat_max = 32'(cycle - last_rd);
      end
    end else if (want_at.size() != 0 && cycle >= want_at[0]) begin
      fail($sformatf("CRC %08h due in this cycle did not come", want_crc[0]));
      void'(want_crc.pop_front());
      void'(want_at.pop_front());
    end
    // An abort (or reset) ends the range: no reads after this cycle, no CRC.
    if (abort || rst) begin
      exp_row.delete();
      exp_rd_at.delete();
      want_crc.delete();
      want_at.delete();
    end
  end

  /* verilator lint_on BLKSEQ */

  // Inputs between starts: start_i low, garbage on the range.
  task automatic quiet();
    start     = 1'b0;
    abort     = 1'b0;
    start_off = Bar2SizeLog2'($urandom());
    start_len = $urandom();
  endtask

  task automatic idle(input int unsigned n);
    repeat (n) begin
      quiet();
      @(negedge clk);
    end
  endtask

  // One range: start_i in this cycle. abort_at < 0: it runs to its CRC and the task returns in
  // the cycle after crc_valid_o (so the next range is back to back). Else abort_i abort_at
  // cycles after start_i (0: in the start cycle) and the task returns in the cycle after.
  task automatic range(input int unsigned off, input int unsigned len, input int abort_at);
    int unsigned first_row, last_row, n;
    if (len < 1 || off + len > Bar2Bytes) begin
      $fatal(1, "FAIL: bench bug, range %0d+%0d", off, len);
    end
    first_row = off / 32;
    last_row  = (off + len - 1) / 32;
    n         = last_row - first_row + 1;
    start     = 1'b1;
    start_off = Bar2SizeLog2'(off);
    start_len = len;
    abort     = abort_at == 0;
    for (int unsigned r = first_row; r <= last_row; r++) begin
      exp_row.push_back(r);
      exp_rd_at.push_back(cycle + 1 + 64'(32'(r - first_row)));
    end
    want_crc.push_back(crc_ref(off, len));
    want_at.push_back(cycle + 64'(n) + 64'(CrcAfterRead));
    started++;
    if (abort_at >= 0) begin
      aborts++;
    end else begin
      bytes_summed += len;
    end
    @(negedge clk);
    for (int k = 1; ; k++) begin
      quiet();
      if (abort_at == 0) break;
      if (k == abort_at) begin
        abort = 1'b1;
        @(negedge clk);
        quiet();
        break;
      end
      if (abort_at < 0 && crc_valid) begin
        @(negedge clk);
        quiet();
        break;
      end
      if (k > int'(n + CrcAfterRead) + 20) begin
        fail($sformatf("range %0d+%0d: no CRC after %0d cycles", off, len, k));
        break;
      end
      @(negedge clk);
    end
  endtask

  // A random range: a third short, a third medium, a third up to the end of BAR2.
  task automatic random_range(output int unsigned off, output int unsigned len);
    off = $urandom_range(0, Bar2Bytes - 1);
    case ($urandom_range(0, 2))
      0:       len = $urandom_range(1, 64);
      1:       len = $urandom_range(1, 400);
      default: len = $urandom_range(1, Bar2Bytes);
    endcase
    if (off + len > Bar2Bytes) len = Bar2Bytes - off;
  endtask

  initial begin
    int unsigned off, len, n;
    if (crc_ref(0, 0) !== 32'h0) begin
      $fatal(1, "FAIL: the reference of no bytes is wrong");
    end
    // The reference against the catalogue's check value ("123456789" -> E3069283h).
    for (int unsigned i = 0; i < 9; i++) begin
      bar2[i] = 8'(32'h31 + i);
    end
    if (crc_ref(0, 9) !== 32'hE306_9283) begin
      $fatal(1, "FAIL: the reference itself is wrong: %08h", crc_ref(0, 9));
    end
    fill_bar2();
    quiet();
    repeat (3) @(negedge clk);
    rst = 1'b0;
    @(negedge clk);

    // Length 1 at every byte of the first, a middle and the last row, back to back.
    foreach (bar2[a]) begin
      if (a < 32 || (a >= 1376 && a < 1408) || a >= Bar2Bytes - 32) range(a, 1, -1);
    end
    // 31, 32 and 33 bytes from every byte of a row (and ending at the end of BAR2).
    for (int unsigned s = 0; s < 32; s++) begin
      for (int unsigned l = 31; l <= 33; l++) begin
        range(640 + s, l, -1);
        range(Bar2Bytes - l - s, l, -1);
      end
    end
    // Row boundaries: both ends, the start only, the end only; the whole BAR2; its last byte.
    for (int unsigned i = 0; i < 60; i++) begin
      int unsigned r, k;
      r = $urandom_range(0, 127);
      k = $urandom_range(1, 128 - r);
      range(32 * r, 32 * k, -1);
      range(32 * r, $urandom_range(1, Bar2Bytes - 32 * r), -1);
      off = $urandom_range(0, Bar2Bytes - 1);
      range(off, 32 * (off / 32 + $urandom_range(1, 128 - off / 32)) - off, -1);
    end
    range(0, Bar2Bytes, -1);
    range(Bar2Bytes - 1, 1, -1);
    range(0, 1, -1);
    range(0, Bar2Bytes, -1);
    idle(3);
    fill_bar2();
    range(0, Bar2Bytes, -1);

    // An abort in every cycle of a range, from its start cycle to the one before its CRC, each
    // followed at once, or after a gap, by a range that must be right.
    for (int unsigned i = 0; i < 2; i++) begin
      off = i == 0 ? 30 : 17;
      len = i == 0 ? 1 : 100;
      n   = (off + len - 1) / 32 - off / 32 + 1;
      for (int k = 0; k < int'(n + CrcAfterRead); k++) begin
        range(off, len, k);
        if (k % 2 == 1) idle($urandom_range(1, 3));
        range($urandom_range(0, 63), $urandom_range(1, 200), -1);
      end
    end
    // Aborts while idle (nothing to stop) and a reset in the middle of a range.
    for (int unsigned i = 0; i < 4; i++) begin
      abort = 1'b1;
      @(negedge clk);
      quiet();
      if (i % 2 == 0) @(negedge clk);
      range($urandom_range(0, 1000), $urandom_range(1, 1000), -1);
    end
    range(100, 1000, 5);
    range(100, 1000, -1);
    range(100, 1000, -1);
    start = 1'b1;
    start_off = 12'd77;
    start_len = 32'd900;
    exp_rd_at.push_back(cycle + 1);  // rst comes a cycle later: the first read only
    exp_row.push_back(2);
    @(negedge clk);
    quiet();
    rst = 1'b1;
    @(negedge clk);
    rst = 1'b0;
    range(77, 900, -1);

    // Random ranges, a fifth aborted, half back to back, the others after a gap (in which an
    // abort may come); BAR2 refilled now and then.
    for (int unsigned i = 0; i < Ranges; i++) begin
      random_range(off, len);
      n = (off + len - 1) / 32 - off / 32 + 1;
      range(off, len, $urandom_range(0, 4) == 0 ? $urandom_range(0, n + CrcAfterRead - 1) : -1);
      if ($urandom_range(0, 1) == 0) begin
        idle($urandom_range(0, 4));
        if ($urandom_range(0, 9) == 0) begin
          abort = 1'b1;
          @(negedge clk);
          quiet();
        end
      end
      if (i % 500 == 499) fill_bar2();
    end
    idle(CrcAfterRead + 3);

    if (want_crc.size() != 0 || exp_rd_at.size() != 0) begin
      fail($sformatf("%0d CRCs and %0d reads never came", want_crc.size(), exp_rd_at.size()));
    end
    if (errors != 0 || crcs == 0) begin
      $fatal(1, "FAIL dma_checksum: %0d errors, %0d CRCs checked", errors, crcs);
    end
    $display("PASS dma_checksum: %0d ranges started (%0d random), %0d CRCs checked over %0d bytes,",
             started, Ranges, crcs, bytes_summed);
    $display("  %0d aborted, %0d reads checked; CRC %0d..%0d cycles after the last read, %0d cycles",
             aborts, reads, lat_min, lat_max, cycle);
    $finish;
  end

endmodule

`default_nettype wire
