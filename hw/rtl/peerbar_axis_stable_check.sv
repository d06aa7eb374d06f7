// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_axis_stable_check: simulation-only check of the AXI4-Stream handshake rule on one
// interface (AMBA AXI4-Stream Protocol Specification, ARM IHI 0051A, 2.2.1 "Handshake
// process": once TVALID is asserted it stays asserted, and the transfer's data and sideband
// stay unchanged, until TVALID and TREADY are both high). PG213's user interfaces (CQ, CC, RQ,
// RC) are AXI4-Stream and follow it: the core for the interfaces it drives (CQ, RC), the user
// logic for the others (CC, RQ).
//
// A stall in cycle t (TVALID high, TREADY low) obliges cycle t+1 to repeat the beat. The check
// judges cycle t+1 one cycle later and skips it when reset is high in t+1 or t+2: a function
// reset ends whatever was in flight on the core's side one cycle before the board wrapper's
// registered reset reaches the user logic (hw/board/common/peerbar_board_top.sv).
//
// A broken rule stops the simulation ($fatal, as the other simulation-only checks in
// peerbar_top) unless Fatal is 0, and pulses violation_o for a cycle either way (the unit test,
// hw/test/axis_stable_check, uses both); synthesis sees an empty module with violation_o tied
// low (SYNTHESIS is defined by Yosys and Vivado).

`default_nettype none

module peerbar_axis_stable_check #(
  // The interface's name in the failure message.
  parameter string       Name = "axis",
  // Width of everything that must stay stable: tdata, tkeep, tlast, tuser.
  parameter int unsigned W    = 1,
  // 1: a broken rule stops the simulation; 0: only violation_o reports it.
  parameter bit          Fatal = 1'b1
) (
  input  wire logic          clk_i,
  input  wire logic          rst_i,
  input  wire logic          valid_i,
  input  wire logic          ready_i,
  input  wire logic [W-1:0]  payload_i,
  output      logic          violation_o
);

`ifndef SYNTHESIS
  logic         stalled_q;      // cycle t was a stall
  logic [W-1:0] payload_q;      // cycle t's payload (loaded in a stall)
  logic         judge_q;        // cycle t+1 follows a stall and was not in reset
  logic         dropped_q;      // cycle t+1 had TVALID low
  logic         changed_q;      // cycle t+1's payload differs from cycle t's (after a stall)

  // The payload is kept, and compared, only around a stall: changed_q matters only in a cycle
  // that follows one (judge_q), so a simulation copies no payload while the interface flows or
  // idles.
  always_ff @(posedge clk_i) begin
    judge_q   <= stalled_q && !rst_i;
    dropped_q <= !valid_i;
    stalled_q <= valid_i && !ready_i && !rst_i;
    if (valid_i && !ready_i) begin
      payload_q <= payload_i;
    end
    if (stalled_q) begin
      changed_q <= payload_i != payload_q;
    end
    if (Fatal && judge_q && !rst_i) begin
      if (dropped_q) begin
        $fatal(1, "%s: TVALID dropped before the handshake (AXI4-Stream 2.2.1)", Name);
      end else if (changed_q) begin
        $fatal(1, "%s: data or sideband changed while TVALID waited for TREADY (AXI4-Stream 2.2.1)",
               Name);
      end
    end
  end

  assign violation_o = judge_q && !rst_i && (dropped_q || changed_q);
`else
  logic unused;
  assign unused      = ^{clk_i, rst_i, valid_i, ready_i, payload_i};
  assign violation_o = 1'b0;
`endif

endmodule

`default_nettype wire
