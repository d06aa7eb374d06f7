// SPDX-License-Identifier: MIT OR Apache-2.0
// Unit test of peerbar_dma_crc32c (run: bash hw/test/run.sh crc32c). Checks every CRC the
// pipeline delivers against a bit-serial CRC32C of the same bytes, and when it delivers it:
// - the check value of the CRC32C catalogue: "123456789" -> E3069283h, in one beat and across
//   a beat boundary;
// - random streams (1..300 bytes, any start byte within the first beat), back to back (a
//   first beat right after the previous stream's last) or with idle cycles and gaps between
//   beats, random bytes outside the range (they must not count);
// - a reset while streams are in flight: nothing comes out for them, and the next stream is
//   right.
// Each CRC must appear exactly Latency (5) clock edges after the edge that took its stream's last
// beat.

`default_nettype none

module tb;

  localparam int unsigned Latency = 5;
  localparam int unsigned Streams = 3000;
  localparam logic [31:0] Poly = 32'h82F6_3B78;

  logic         clk = 1'b0;
  logic         rst = 1'b1;
  logic         valid = 1'b0, first = 1'b0, last = 1'b0;
  logic [4:0]   first_byte = '0, last_byte = '0;
  logic [255:0] data = '0;
  logic         crc_valid;
  logic [31:0]  crc;

  peerbar_dma_crc32c dut (
    .clk_i        (clk),
    .rst_i        (rst),
    .valid_i      (valid),
    .first_i      (first),
    .last_i       (last),
    .first_byte_i (first_byte),
    .last_byte_i  (last_byte),
    .data_i       (data),
    .crc_valid_o  (crc_valid),
    .crc_o        (crc)
  );

  // A testbench's clock and checker counters are blocking assignments in timed processes, as
  // every testbench has them; the style warning is for synthesizable RTL.
  /* verilator lint_off BLKSEQ */
  always #5 clk = !clk;

  // The CRC32C of the bytes, one bit at a time: the definition the pipeline must match.
  function automatic logic [31:0] crc_ref(input byte unsigned bytes[$]);
    logic [31:0] c;
    c = 32'hFFFF_FFFF;
    foreach (bytes[i]) begin
      c = c ^ {24'd0, bytes[i]};
      for (int b = 0; b < 8; b++) begin
        c = (c >> 1) ^ (c[0] ? Poly : 32'd0);
      end
    end
    return ~c;
  endfunction

  // What the checker expects: the CRC and the cycle it must appear in.
  logic [31:0]     want_crc[$];
  longint unsigned want_at[$];
  longint unsigned cycle = 0;
  int unsigned     errors = 0, checked = 0;

  always @(posedge clk) begin
    cycle <= cycle + 1;
    if (crc_valid) begin
      if (want_crc.size() == 0) begin
        $display("FAIL cycle %0d: a CRC %08h nobody asked for", cycle, crc);
        errors++;
      end else begin
        logic [31:0] w;
        longint unsigned at;
        w  = want_crc.pop_front();
        at = want_at.pop_front();
        if (crc !== w || cycle != at) begin
          $display("FAIL cycle %0d: CRC %08h, want %08h at cycle %0d", cycle, crc, w, at);
          errors++;
        end
        checked++;
      end
    end else if (want_at.size() != 0 && cycle > want_at[0]) begin
      $display("FAIL cycle %0d: CRC %08h due at cycle %0d did not come", cycle, want_crc[0],
               want_at[0]);
      errors++;
      void'(want_crc.pop_front());
      void'(want_at.pop_front());
    end
  end

  /* verilator lint_on BLKSEQ */

  task automatic idle(input int unsigned n);
    valid = 1'b0;
    data  = {8{$urandom()}};
    repeat (n) @(negedge clk);
  endtask

  // Feeds the bytes as a stream starting at byte `start` of its first beat, with gap cycles
  // before a beat at the given rate (percent), and garbage in the bytes outside the stream.
  task automatic send(input byte unsigned bytes[$], input int unsigned start,
                      input int unsigned gap_pct, input bit expect_crc);
    int unsigned total, beats;
    total = start + bytes.size();
    beats = (total + 31) / 32;
    for (int unsigned n = 0; n < beats; n++) begin
      while ($urandom_range(99) < gap_pct) idle(1);
      for (int unsigned k = 0; k < 32; k++) begin
        int unsigned at;
        at = n * 32 + k;
        data[8*k +: 8] = (at >= start && at < total) ? bytes[at - start] : 8'($urandom());
      end
      valid      = 1'b1;
      first      = n == 0;
      last       = n == beats - 1;
      // Out-of-range values where they must be ignored.
      first_byte = first ? 5'(start) : 5'($urandom());
      last_byte  = last ? 5'(total - 1) : 5'($urandom());
      if (last && expect_crc) begin
        want_crc.push_back(crc_ref(bytes));
        // Taken at the coming rising edge (cycle + 1 by then), out Latency edges later.
        want_at.push_back(cycle + 1 + 64'(Latency));
      end
      @(negedge clk);
    end
    valid = 1'b0;
    first = 1'b0;
    last  = 1'b0;
  endtask

  function automatic void random_bytes(output byte unsigned bytes[$], input int unsigned n);
    bytes = {};
    repeat (n) bytes.push_back(8'($urandom()));
  endfunction

  initial begin
    byte unsigned check[$], b[$];
    int unsigned len;
    check = {"1", "2", "3", "4", "5", "6", "7", "8", "9"};
    if (crc_ref(check) !== 32'hE306_9283) begin
      $fatal(1, "FAIL: the reference itself is wrong: %08h", crc_ref(check));
    end
    repeat (3) @(negedge clk);
    rst = 1'b0;
    @(negedge clk);

    // The check value, alone in a beat and across a beat boundary, then once more back to back.
    send(check, 0, 0, 1);
    send(check, 27, 0, 1);
    send(check, 23, 0, 1);
    idle(Latency + 2);

    // Random streams; every fourth with gaps, the others back to back.
    for (int unsigned s = 0; s < Streams; s++) begin
      len = (s % 7 == 0) ? $urandom_range(1, 32) : $urandom_range(1, 300);
      random_bytes(b, len);
      send(b, $urandom_range(0, 31), (s % 4 == 0) ? 30 : 0, 1);
      if (s % 50 == 0) idle($urandom_range(0, Latency + 2));
    end
    idle(Latency + 2);

    // Reset with streams in flight: the one whose last beat was just taken, and one cut short.
    random_bytes(b, 100);
    send(b, 5, 0, 0);
    idle(2);
    rst = 1'b1;
    @(negedge clk);
    rst = 1'b0;
    random_bytes(b, 70);
    send(b, 10, 0, 0);           // its last beat never comes:
    random_bytes(b, 40);
    rst = 1'b1;
    @(negedge clk);
    rst = 1'b0;
    send(b, 0, 0, 1);
    idle(Latency + 4);

    if (want_crc.size() != 0) begin
      $display("FAIL: %0d CRCs never came", want_crc.size());
      errors++;
    end
    if (errors != 0 || checked == 0) begin
      $fatal(1, "FAIL crc32c: %0d errors, %0d CRCs checked", errors, checked);
    end
    $display("PASS crc32c: %0d CRCs checked (%0d random streams), latency %0d cycles", checked,
             Streams, Latency);
    $finish;
  end

endmodule

`default_nettype wire
