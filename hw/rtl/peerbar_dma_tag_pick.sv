// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_dma_tag_pick: which read tag slot the DMA engine's next MemRd takes.
//
// Slots are handed out round robin from the one after the last allocated, among those the RC
// side offers (usable_i: a slot whose read is done, with a tag the core has released and whose
// quarantine is over; peerbar_dma_rc). The MemRd carries the slot's 8-bit tag.
//
// The choice (a rotate and a NumTags-way priority pick) is made a cycle ahead for both outcomes
// of this cycle, into two registers: no allocation (pick_a_q: the first offered slot from
// rr_q on), or an allocation of this cycle's tag_o (pick_b_q: the first offered after it, tag_o
// itself left out: the RC side stops offering it from the next cycle). The next cycle takes the
// one that happened (alloc_prev_q), so the allocation decision never reaches the pick's logic.
//
// The offer only loses slots by allocations, or all at once when the tag width changes
// (peerbar_dma_rc), so a pick is still offered a cycle later unless that happened; avail_o
// checks it against this cycle's offer. A slot offered anew is seen one cycle later than the
// offer.

`default_nettype none

module peerbar_dma_tag_pick #(
  // Number of read tag slots (a power of two).
  parameter int unsigned NumTags = 32,
  // Slot number width (derived, do not override).
  localparam int unsigned TagW = $clog2(NumTags)
) (
  input  wire logic               clk_i,
  input  wire logic               rst_i,
  input  wire logic [NumTags-1:0] usable_i,  // the RC side's offer
  output      logic               avail_o,   // tag_o may be allocated in this cycle ...
  output      logic [TagW-1:0]    tag_o,
  input  wire logic               alloc_i    // ... and is
);

  logic [TagW-1:0] rr_q;   // the slot after the last allocated
  logic            alloc_prev_q, pick_a_ok_q, pick_b_ok_q;
  logic [TagW-1:0] pick_a_q, pick_b_q;

  // first_from(usable, from): whether a slot is offered, and the first from slot `from` on.
  function automatic logic [TagW:0] first_from(logic [NumTags-1:0] usable, logic [TagW-1:0] from);
    logic [NumTags-1:0] rot;  // bit i: slot from + i is offered
    logic [TagW-1:0]    first;
    rot   = (usable >> from) | (usable << (NumTags - 32'(from)));
    first = '0;
    for (int i = NumTags - 1; i >= 0; i--) begin
      if (rot[i]) begin
        first = TagW'(i);
      end
    end
    return {rot != '0, from + first};
  endfunction

  always_comb begin
    tag_o   = alloc_prev_q ? pick_b_q : pick_a_q;
    avail_o = (alloc_prev_q ? pick_b_ok_q : pick_a_ok_q) && usable_i[tag_o];
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      rr_q         <= '0;
      alloc_prev_q <= 1'b0;
      pick_a_ok_q  <= 1'b0;
      pick_b_ok_q  <= 1'b0;
      pick_a_q     <= '0;
      pick_b_q     <= '0;
    end else begin
      rr_q                    <= alloc_i ? tag_o + TagW'(1) : rr_q;
      alloc_prev_q            <= alloc_i;
      {pick_a_ok_q, pick_a_q} <= first_from(usable_i, rr_q);
      {pick_b_ok_q, pick_b_q} <= first_from(usable_i & ~(NumTags'(1) << tag_o), tag_o + TagW'(1));
    end
  end

`ifndef SYNTHESIS
  // The user's side of the contract: an allocation only of a slot on offer.
  always_ff @(posedge clk_i) begin
    if (!rst_i && alloc_i && !avail_o) begin
      $fatal(1, "peerbar_dma_tag_pick: an allocation with no slot available");
    end
  end
`endif

endmodule

`default_nettype wire
