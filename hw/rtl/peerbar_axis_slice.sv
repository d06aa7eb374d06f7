// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_axis_slice: AXI4-Stream register slice (a two-entry skid buffer), W payload bits.
//
// Full throughput (one beat per cycle in and out), one cycle of latency. Every output comes
// from a flip-flop: m_valid_o and m_data_o are the output register, s_ready_o is the "skid
// register empty" flop. So neither side's ready or valid reaches the other side's logic in the
// same cycle: the slice cuts the combinational paths both ways (the point of it, on the hard
// block's RQ and RC interfaces: PG213's 250 MHz user clock).
//
// A beat arriving while the output register waits for m_ready_i is parked in the skid
// register, and s_ready_o drops; the parked beat moves to the output when the waiting one
// leaves. Occupancy is therefore m_valid_o + !s_ready_o beats (the skid holds one only while
// the output register holds one), and the beats held are the most recently accepted ones, in
// order: a user that keeps a record of what it gave the slice may read them from that.
//
// The data registers are not reset (only the valid and ready flops are), so they map onto
// plain flip-flops without reset logic.

`default_nettype none

module peerbar_axis_slice #(
  parameter int unsigned W = 8
) (
  input  wire logic         clk_i,
  input  wire logic         rst_i,      // synchronous, active high: empties the slice
  input  wire logic         s_valid_i,
  output      logic         s_ready_o,
  input  wire logic [W-1:0] s_data_i,
  output      logic         m_valid_o,
  input  wire logic         m_ready_i,
  output      logic [W-1:0] m_data_o
);

  logic         out_valid_q;
  logic [W-1:0] out_data_q;
  // The skid register is empty (s_ready_o). Empty from configuration on (an FPGA flip-flop's
  // initial value), not only from the first reset: the slice's input side is then ready before
  // any reset, as a bare wire would be (the simulation's checks of the block's RC interface
  // expect tready high out of configuration).
  logic         skid_free_q = 1'b1;
  logic [W-1:0] skid_data_q;

  // The output register loads when it is empty or its beat leaves: from the skid register if
  // that holds a beat, else from the input.
  logic out_load;
  assign out_load = !out_valid_q || m_ready_i;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      out_valid_q <= 1'b0;
      skid_free_q <= 1'b1;
    end else if (out_load) begin
      out_valid_q <= !skid_free_q || s_valid_i;
      skid_free_q <= 1'b1;
    end else if (skid_free_q && s_valid_i) begin
      skid_free_q <= 1'b0;
    end
  end

  always_ff @(posedge clk_i) begin
    if (out_load) begin
      out_data_q <= skid_free_q ? s_data_i : skid_data_q;
    end
    if (skid_free_q && !out_load) begin
      skid_data_q <= s_data_i;
    end
  end

  assign s_ready_o = skid_free_q;
  assign m_valid_o = out_valid_q;
  assign m_data_o  = out_data_q;

endmodule

`default_nettype wire
