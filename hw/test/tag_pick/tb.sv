// SPDX-License-Identifier: MIT OR Apache-2.0
// Unit test of peerbar_dma_tag_pick (run: bash hw/test/run.sh tag_pick). The bench plays the RC
// side as peerbar_dma_rc behaves: a slot leaves the offer the cycle after it is allocated and
// comes back after a random time (its read done, its tag released and out of quarantine); and,
// rarely, the whole offer drops at once for a few cycles (the tag width changing). It plays the
// engine too: it allocates the offered slot in a random share of cycles. Checks at every edge:
// - safety: a slot is offered (avail_o) only while the RC side offers it;
// - round robin: the slot offered is the first, from the one after the last allocated, among
//   the slots offered in this cycle and the one before (a slot offered anew is seen a cycle
//   later), and one is offered whenever such a slot exists;
// - so no slot waits while others are handed out past it: checked by the longest run of
//   allocations a slot on offer all along sat through (at most NumTags - 1).

`default_nettype none

module tb;

  localparam int unsigned NumTags = 32;
  localparam int unsigned TagW = 5;
  localparam int unsigned CyclesPerPhase = 50000;

  logic               clk = 1'b0;
  logic               rst = 1'b1;
  logic [NumTags-1:0] usable = '0;
  logic               avail, alloc = 1'b0;
  logic [TagW-1:0]    tag;
  int                 errors = 0;

  peerbar_dma_tag_pick #(.NumTags (NumTags)) dut (
    .clk_i    (clk),
    .rst_i    (rst),
    .usable_i (usable),
    .avail_o  (avail),
    .tag_o    (tag),
    .alloc_i  (alloc)
  );

  // A testbench clock, models and counters, not logic: blocking assignments are what they
  // need.
  /* verilator lint_off BLKSEQ */
  always #5 clk = ~clk;

  // The RC side: a slot allocated is busy until back_at[slot]; the offer drops while drop_left.
  longint          cycle = 0;
  longint          back_at [NumTags];
  logic [NumTags-1:0] busy = '0;
  int              drop_left = 0;
  logic [NumTags-1:0] usable_prev = '0;   // the offer in the cycle before
  logic [TagW-1:0] rr = '0;               // the slot after the last allocated
  int              waited [NumTags];      // allocations of others while the slot was offered
  int              longest_wait = 0;
  int unsigned     allocs = 0, drops = 0, offered = 0;

  // The check, after the inputs settled in the middle of a cycle.
  task automatic check();
    logic [NumTags-1:0] both;
    logic               want_avail;
    logic [TagW-1:0]    want_tag;
    both = usable & usable_prev;
    want_avail = 1'b0;
    want_tag = '0;
    for (int i = 0; i < NumTags; i++) begin
      if (!want_avail && both[TagW'(rr + TagW'(i))]) begin
        want_avail = 1'b1;
        want_tag = TagW'(rr + TagW'(i));
      end
    end
    if (avail && !usable[tag]) begin
      $display("FAIL cycle %0d: slot %0d offered, the RC side does not offer it", cycle, tag);
      errors++;
    end
    if (avail != want_avail || (avail && tag != want_tag)) begin
      $display("FAIL cycle %0d: avail %0d slot %0d, want %0d slot %0d (from %0d, offer %h, before %h)",
               cycle, avail, tag, want_avail, want_tag, rr, usable, usable_prev);
      errors++;
    end
  endtask

  // One cycle: the RC side's offer, then the engine's choice, then the checks.
  task automatic step(input int alloc_pct, input int back_max, input int drop_per_mille);
    @(negedge clk);
    cycle++;
    for (int s = 0; s < NumTags; s++) begin
      if (busy[s] && back_at[s] <= cycle) busy[s] = 1'b0;
    end
    if (drop_left > 0) begin
      drop_left--;
    end else if ($urandom_range(999) < drop_per_mille) begin
      drop_left = $urandom_range(4, 1);
      drops++;
    end
    usable = (drop_left > 0) ? '0 : ~busy;
    #1;
    check();
    alloc = avail && ($urandom_range(99) < alloc_pct);
    if (avail) offered++;
    @(posedge clk);
    // What happened at the edge.
    if (alloc) begin
      busy[tag]    = 1'b1;
      // Back two cycles after the allocation at the earliest: peerbar_dma_rc takes a slot off
      // the offer from the next cycle (alloc_q), and its read keeps it off far longer.
      back_at[tag] = cycle + longint'($urandom_range(back_max, 2));
      for (int s = 0; s < NumTags; s++) begin
        if (s != int'(tag) && (usable[s] && usable_prev[s])) begin
          waited[s]++;
          if (waited[s] > longest_wait) longest_wait = waited[s];
        end
      end
      waited[tag] = 0;
      rr = tag + TagW'(1);
      allocs++;
    end
    for (int s = 0; s < NumTags; s++) begin
      if (!(usable[s] && usable_prev[s])) waited[s] = 0;
    end
    usable_prev = usable;
  endtask

  task automatic phase(input int alloc_pct, input int back_max, input int drop_per_mille,
                       input string what);
    int unsigned a0;
    a0 = allocs;
    for (int c = 0; c < CyclesPerPhase; c++) step(alloc_pct, back_max, drop_per_mille);
    $display("phase %s: %0d allocations", what, allocs - a0);
  endtask

  initial begin
    foreach (waited[s]) waited[s] = 0;
    repeat (3) @(negedge clk);
    rst = 1'b0;
    phase(100,    5, 0, "every cycle, slots back fast");
    phase(100,  200, 0, "every cycle, slots back slowly (slots run out)");
    phase( 50,   40, 0, "half the cycles");
    phase( 10,  400, 0, "rarely");
    phase( 80,   60, 5, "offer drops (tag width changes)");
    phase(100, 1000, 0, "slots back very slowly");
    if (longest_wait > int'(NumTags) - 1) begin
      $display("FAIL a slot on offer sat through %0d allocations of others", longest_wait);
      errors++;
    end
    if (errors != 0) begin
      $fatal(1, "FAIL tag_pick: %0d error(s)", errors);
    end
    $display("PASS tag_pick: %0d allocations, %0d offer drops; every pick offered, round robin, longest wait %0d allocations",
             allocs, drops, longest_wait);
    $finish;
  end
  /* verilator lint_on BLKSEQ */

endmodule

`default_nettype wire
