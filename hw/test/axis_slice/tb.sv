// SPDX-License-Identifier: MIT OR Apache-2.0
// Unit test of peerbar_axis_slice (run: bash hw/test/run.sh axis_slice). A source and a sink
// with random valid and ready (each phase with its own probabilities, from always to rarely),
// the source keeping AXI4-Stream's rule (a beat stays until taken). Checks at every clock edge:
// - every beat comes out exactly once and in order, and nothing else comes out (a scoreboard
//   of sequence-numbered beats);
// - the slice keeps the rule on its output (peerbar_axis_stable_check, which stops the bench);
// - occupancy: beats taken in and not yet out == m_valid_o + !s_ready_o (the engine reads its
//   RQ slice's contents that way);
// - full throughput: with valid and ready always high, one beat leaves every cycle;
// - registered outputs: changing s_valid_i, s_data_i and m_ready_i in the middle of a cycle
//   changes neither s_ready_o nor m_valid_o nor m_data_o;
// - reset empties it, with beats inside.

`default_nettype none

module tb;

  localparam int unsigned W = 24;
  localparam int unsigned CyclesPerPhase = 20000;

  logic         clk = 1'b0;
  logic         rst = 1'b1;
  logic         s_valid = 1'b0, m_ready = 1'b0;
  logic [W-1:0] s_data = '0;
  logic         s_ready, m_valid;
  logic [W-1:0] m_data;
  int           errors = 0;

  peerbar_axis_slice #(.W (W)) dut (
    .clk_i     (clk),
    .rst_i     (rst),
    .s_valid_i (s_valid),
    .s_ready_o (s_ready),
    .s_data_i  (s_data),
    .m_valid_o (m_valid),
    .m_ready_i (m_ready),
    .m_data_o  (m_data)
  );

  logic unused_violation;
  peerbar_axis_stable_check #(.Name ("slice output"), .W (W)) u_out_check (
    .clk_i       (clk),
    .rst_i       (rst),
    .valid_i     (m_valid),
    .ready_i     (m_ready),
    .payload_i   (m_data),
    .violation_o (unused_violation)
  );

  // A testbench clock, scoreboard and counters, not logic: blocking assignments are what they
  // need.
  /* verilator lint_off BLKSEQ */
  always #5 clk = ~clk;

  // Beats are numbered: sent_n taken by the slice, got_n delivered; a delivered beat must be
  // number got_n. The payload is a scramble of its number so that any bit matters.
  int unsigned sent_n = 0, got_n = 0, out_cycles = 0;
  function automatic logic [W-1:0] beat(input int unsigned n);
    return W'(n * 32'h9E37_79B1 ^ (n >> 3));
  endfunction

  always @(posedge clk) begin
    if (!rst) begin
      if (int'(sent_n - got_n) != int'(m_valid) + int'(!s_ready)) begin
        $display("FAIL occupancy: %0d beats inside, m_valid %0d s_ready %0d", sent_n - got_n,
                 m_valid, s_ready);
        errors++;
      end
      if (m_valid && m_ready) begin
        out_cycles++;
        if (got_n == sent_n) begin
          $display("FAIL beat %0d delivered, only %0d taken", got_n, sent_n);
          errors++;
        end else if (m_data != beat(got_n)) begin
          $display("FAIL beat %0d: got %h, want %h", got_n, m_data, beat(got_n));
          errors++;
        end
        got_n++;
      end
      if (s_valid && s_ready) sent_n++;
    end
  end

  // s_ready as the rising edge saw it (the source decides after the edge whether its beat went).
  logic s_ready_at_edge = 1'b0;
  always @(posedge clk) s_ready_at_edge <= s_ready;

  // One phase: valid with probability pv percent, ready with pr percent, each cycle.
  task automatic phase(input int pv, input int pr, input string what);
    int unsigned o0;
    o0 = out_cycles;
    for (int c = 0; c < CyclesPerPhase; c++) begin
      @(negedge clk);
      // The source keeps a waiting beat; otherwise it may offer the next one.
      if (!(s_valid && !s_ready_at_edge)) begin
        s_valid = ($urandom_range(99) < pv);
      end
      s_data  = s_valid ? beat(sent_n) : W'($urandom);
      m_ready = ($urandom_range(99) < pr);
      // Registered outputs: wiggle the inputs mid-cycle and check the outputs stand still.
      #1 check_still();
    end
    if (pv == 100 && pr == 100 && out_cycles - o0 < CyclesPerPhase - 2) begin
      $display("FAIL %s: %0d beats in %0d cycles", what, out_cycles - o0, CyclesPerPhase);
      errors++;
    end
    $display("phase %s: %0d beats out in %0d cycles", what, out_cycles - o0, CyclesPerPhase);
  endtask

  task automatic check_still();
    logic         v, sv, mr, r0, mv0;
    logic [W-1:0] d, md0;
    r0 = s_ready; mv0 = m_valid; md0 = m_data;
    v = s_valid; sv = s_valid; d = s_data; mr = m_ready;
    s_valid = !sv; s_data = ~d; m_ready = !mr;
    #1;
    if (s_ready != r0 || m_valid != mv0 || m_data != md0) begin
      $display("FAIL an output followed an input within the cycle");
      errors++;
    end
    s_valid = v; s_data = d; m_ready = mr;
  endtask
  /* verilator lint_on BLKSEQ */

  initial begin
    repeat (3) @(negedge clk);
    rst = 1'b0;
    phase(100, 100, "always valid, always ready");
    phase(50, 50, "half and half");
    phase(90, 30, "slow sink");
    phase(30, 90, "slow source");
    phase(100, 5, "sink nearly stopped");
    phase(5, 100, "source nearly dry");
    phase(70, 70, "busy both");
    // Reset with beats inside: the slice empties, the scoreboard drops what it held.
    @(negedge clk);
    s_valid = 1'b1; s_data = beat(sent_n); m_ready = 1'b0;
    @(negedge clk);
    s_data = beat(sent_n);
    @(negedge clk);
    rst = 1'b1; s_valid = 1'b0;
    got_n = sent_n;
    @(negedge clk);
    rst = 1'b0;
    if (m_valid || !s_ready) begin
      $display("FAIL reset left m_valid %0d s_ready %0d", m_valid, s_ready);
      errors++;
    end
    phase(60, 60, "after reset");
    // Drain: every beat taken must come out.
    @(negedge clk);
    s_valid = 1'b0; m_ready = 1'b1;
    repeat (3) @(negedge clk);
    if (sent_n != got_n) begin
      $display("FAIL %0d beats never came out", sent_n - got_n);
      errors++;
    end
    if (errors != 0) begin
      $fatal(1, "FAIL axis_slice: %0d error(s)", errors);
    end
    $display("PASS axis_slice: %0d beats, each once and in order, outputs registered", got_n);
    $finish;
  end

endmodule

`default_nettype wire
