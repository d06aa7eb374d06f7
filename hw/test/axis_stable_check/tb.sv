// SPDX-License-Identifier: MIT OR Apache-2.0
// Unit test of peerbar_axis_stable_check (run: bash hw/test/run.sh axis_stable_check). Drives
// one interface cycle by cycle and checks that the checker (Fatal = 0, so the bench sees
// violation_o instead of stopping) reports exactly the beats that break AXI4-Stream's
// handshake rule, two clock edges after the cycle that broke it:
// - kept: a beat held through a stall, back-to-back beats, a new beat right after a handshake,
//   TVALID rising while TREADY is low, TVALID low with the payload changing: no report;
// - broken: the payload changing during a stall, TVALID dropping during a stall: one report each;
// - reset: a stall followed by reset in the next cycle, or in the cycle after (the board
//   wrapper's registered reset lags the core by a cycle): no report.

`default_nettype none

module tb;

  logic       clk = 1'b0;
  logic       rst = 1'b1;
  logic       valid = 1'b0, ready = 1'b0;
  logic [7:0] payload = '0;
  logic       violation;
  int         errors = 0;
  int         reports = 0;

  peerbar_axis_stable_check #(.Name ("tb"), .W (8), .Fatal (1'b0)) dut (
    .clk_i       (clk),
    .rst_i       (rst),
    .valid_i     (valid),
    .ready_i     (ready),
    .payload_i   (payload),
    .violation_o (violation)
  );

  // A testbench clock and counter, not logic: blocking assignments are what they need.
  /* verilator lint_off BLKSEQ */
  always #5 clk = ~clk;

  // violation_o is sampled at each rising edge.
  always @(posedge clk) if (violation) reports++;
  /* verilator lint_on BLKSEQ */

  // One cycle with these inputs (set after a falling edge, held over the next rising edge).
  task automatic cycle(input logic v, input logic r, input logic [7:0] p, input logic rs = 1'b0);
    @(negedge clk);
    valid   = v;
    ready   = r;
    payload = p;
    rst     = rs;
  endtask

  // Runs idle cycles so that a report of the scenario before has come, then checks the count.
  task automatic expect_reports(input int want, input string what);
    repeat (3) cycle(1'b0, 1'b1, 8'h00);
    if (reports != want) begin
      $display("FAIL %s: %0d report(s), want %0d", what, reports, want);
      errors++;
    end
    reports = 0;
  endtask

  initial begin
    repeat (3) cycle(1'b0, 1'b0, 8'h00, 1'b1);
    expect_reports(0, "reset");

    // Kept.
    cycle(1'b1, 1'b0, 8'h11); cycle(1'b1, 1'b0, 8'h11); cycle(1'b1, 1'b1, 8'h11);
    expect_reports(0, "a beat held through a stall");
    cycle(1'b1, 1'b1, 8'h21); cycle(1'b1, 1'b1, 8'h22); cycle(1'b1, 1'b1, 8'h23);
    expect_reports(0, "back-to-back beats");
    cycle(1'b1, 1'b0, 8'h31); cycle(1'b1, 1'b1, 8'h31); cycle(1'b1, 1'b0, 8'h32);
    cycle(1'b1, 1'b1, 8'h32);
    expect_reports(0, "a new beat right after a handshake");
    cycle(1'b0, 1'b0, 8'h41); cycle(1'b0, 1'b0, 8'h42); cycle(1'b1, 1'b0, 8'h43);
    cycle(1'b1, 1'b1, 8'h43);
    expect_reports(0, "TVALID low with the payload changing, then rising during TREADY low");

    // Broken.
    cycle(1'b1, 1'b0, 8'h51); cycle(1'b1, 1'b1, 8'h52);
    expect_reports(1, "the payload changing during a stall");
    cycle(1'b1, 1'b0, 8'h61); cycle(1'b0, 1'b0, 8'h61);
    expect_reports(1, "TVALID dropping during a stall");
    cycle(1'b1, 1'b0, 8'h71); cycle(1'b1, 1'b0, 8'h72); cycle(1'b1, 1'b0, 8'h73);
    cycle(1'b1, 1'b1, 8'h73);
    expect_reports(2, "the payload changing twice during one stall");

    // Reset.
    cycle(1'b1, 1'b0, 8'h81); cycle(1'b0, 1'b0, 8'h00, 1'b1); cycle(1'b0, 1'b0, 8'h00);
    expect_reports(0, "reset in the cycle after a stall");
    cycle(1'b1, 1'b0, 8'h91); cycle(1'b0, 1'b0, 8'h00); cycle(1'b0, 1'b0, 8'h00, 1'b1);
    cycle(1'b0, 1'b0, 8'h00);
    expect_reports(0, "reset one cycle after the broken cycle (the wrapper's lag)");

    if (errors != 0) begin
      $fatal(1, "FAIL axis_stable_check: %0d error(s)", errors);
    end
    $display("PASS axis_stable_check: every broken beat reported, nothing else");
    $finish;
  end

endmodule

`default_nettype wire
