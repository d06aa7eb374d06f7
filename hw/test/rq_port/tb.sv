// SPDX-License-Identifier: MIT OR Apache-2.0
// Unit test of peerbar_dma_rq_port (run: bash hw/test/run.sh rq_port). The bench plays the
// engine's units (single-beat loads whenever the port says the register is free, MemRds only
// with its NP credit flag; PUSH packets that start with the register empty and hold each beat
// until taken) and the hard block (random tready; a non-posted header credit count whose
// report lags a MemRd's handshake by a cycle, the least convenient reading of PG213's
// pcie_tfc_nph_av that the port assumes; credits come back a random time after a read).
// Checks at every clock edge:
// - every beat comes out on the RQ outputs exactly once, in the order it was given, with its
//   data, keep, last and byte enables (a scoreboard);
// - no MemRd is taken by the block without a credit for it, however few credits there are;
// - QUEUE_STATUS.BUSY: queue_busy_o is exactly the queues of the job beats inside the port,
//   busy_o whether any beat is;
// - the port keeps AXI4-Stream's rule on the RQ outputs (peerbar_axis_stable_check);
// - MemRds are not starved: each phase with credits sends some; PUSH beats go one per cycle
//   when the block is always ready.

`default_nettype none

module tb;

  localparam int unsigned NumQueues = 4;
  localparam int unsigned QW = 2;
  localparam int unsigned CyclesPerPhase = 20000;

  logic           clk = 1'b0;
  logic           rst = 1'b1;
  logic           dma_reset = 1'b0;
  logic           reg_free, nph_ok, ready;
  logic           ld_valid = 1'b0, ld_np = 1'b0, ld_job = 1'b0;
  logic [255:0]   ld_data = '0;
  logic [7:0]     ld_keep = '0, ld_be = '0;
  logic [QW-1:0]  ld_jq = '0;
  logic           push_run = 1'b0, push_valid = 1'b0, push_last = 1'b0;
  logic [255:0]   push_data = '0;
  logic [7:0]     push_keep = '0, push_be = '0;
  logic [QW-1:0]  push_jq = '0;
  logic [NumQueues-1:0] queue_busy;
  logic           busy;
  logic [3:0]     tfc_nph_av = '0;
  logic [255:0]   rq_tdata;
  logic [7:0]     rq_tkeep;
  logic           rq_tlast, rq_tvalid;
  logic [61:0]    rq_tuser;
  logic           rq_tready = 1'b0;
  int             errors = 0;

  peerbar_dma_rq_port #(.NumQueues (NumQueues)) dut (
    .clk_i        (clk),
    .rst_i        (rst),
    .dma_reset_i  (dma_reset),
    .reg_free_o   (reg_free),
    .nph_ok_o     (nph_ok),
    .ld_valid_i   (ld_valid),
    .ld_data_i    (ld_data),
    .ld_keep_i    (ld_keep),
    .ld_be_i      (ld_be),
    .ld_np_i      (ld_np),
    .ld_job_i     (ld_job),
    .ld_jq_i      (ld_jq),
    .push_run_i   (push_run),
    .push_valid_i (push_valid),
    .push_data_i  (push_data),
    .push_keep_i  (push_keep),
    .push_last_i  (push_last),
    .push_be_i    (push_be),
    .push_jq_i    (push_jq),
    .ready_o      (ready),
    .queue_busy_o (queue_busy),
    .busy_o       (busy),
    .tfc_nph_av_i (tfc_nph_av),
    .rq_tdata_o   (rq_tdata),
    .rq_tkeep_o   (rq_tkeep),
    .rq_tlast_o   (rq_tlast),
    .rq_tuser_o   (rq_tuser),
    .rq_tvalid_o  (rq_tvalid),
    .rq_tready_i  (rq_tready)
  );

  logic unused_violation;
  peerbar_axis_stable_check #(.Name ("RQ"), .W (256 + 8 + 1 + 62)) u_rq_check (
    .clk_i       (clk),
    .rst_i       (rst),
    .valid_i     (rq_tvalid),
    .ready_i     (rq_tready),
    .payload_i   ({rq_tdata, rq_tkeep, rq_tlast, rq_tuser}),
    .violation_o (unused_violation)
  );

  // A testbench clock, scoreboard and models, not logic: blocking assignments are what they
  // need.
  /* verilator lint_off BLKSEQ */
  always #5 clk = ~clk;

  typedef struct packed {
    logic [255:0]  data;
    logic [7:0]    keep, be;
    logic          last, np, job;
    logic [QW-1:0] jq;
  } beat_t;
  beat_t inside_q[$];   // beats given to the port and not yet out, oldest first
  int unsigned n_in = 0, n_out = 0, np_out = 0, push_out = 0;

  // Block side: credits (credit_limit), MemRds taken and not yet completed (each gives its
  // credit back at return_at), and the count reported (tfc_nph_av), which leaves out the
  // MemRds taken at the last edge: a MemRd shows in the count from the second cycle after its
  // handshake.
  int          credit_limit = 15;
  longint      cycle = 0;
  longint      return_at[$];
  int          taken_now;

  function automatic logic [255:0] scramble(input int unsigned n);
    logic [255:0] d;
    for (int k = 0; k < 8; k++) begin
      d[32 * k +: 32] = (n + 32'(k)) * 32'h9E37_79B1 ^ (n >> k);
    end
    return d;
  endfunction

  always @(posedge clk) begin
    cycle++;
    if (rst) begin
      inside_q.delete();
      return_at.delete();
    end else begin
      // Credits come back.
      while (return_at.size() > 0 && return_at[0] <= cycle) begin
        void'(return_at.pop_front());
      end
      taken_now = 0;
      if (rq_tvalid && rq_tready) begin
        // (A beat's job and queue are not on the wire: BUSY is checked against them below.)
        /* verilator lint_off UNUSEDSIGNAL */
        beat_t want;
        /* verilator lint_on UNUSEDSIGNAL */
        if (inside_q.size() == 0) begin
          $display("FAIL a beat came out that nobody gave: %h", rq_tdata[63:0]);
          errors++;
        end else begin
          want = inside_q.pop_front();
          if (rq_tdata != want.data || rq_tkeep != want.keep || rq_tlast != want.last ||
              rq_tuser != 62'(want.be)) begin
            $display("FAIL beat %0d: data %h keep %h last %0d user %h, want %h %h %0d %h",
                     n_out, rq_tdata[63:0], rq_tkeep, rq_tlast, rq_tuser, want.data[63:0],
                     want.keep, want.last, want.be);
            errors++;
          end
          if (want.np) begin
            if (return_at.size() >= credit_limit) begin
              $display("FAIL cycle %0d: a MemRd taken with %0d of %0d credits in use", cycle,
                       return_at.size(), credit_limit);
              errors++;
            end
            return_at.push_back(cycle + longint'($urandom_range(60, 4)));
            return_at.sort();
            taken_now = 1;
            np_out++;
          end
        end
        n_out++;
      end
      // The beats given at this edge: a load into the register, a PUSH beat the slice took.
      if (ld_valid) begin
        beat_t b;
        b.data = ld_data; b.keep = ld_keep; b.be = ld_be; b.last = 1'b1; b.np = ld_np;
        b.job = ld_job; b.jq = ld_jq;
        inside_q.push_back(b);
        n_in++;
      end
      if (push_valid && ready) begin
        beat_t b;
        b.data = push_data; b.keep = push_keep; b.be = push_be; b.last = push_last;
        b.np = 1'b0; b.job = 1'b1; b.jq = push_jq;
        inside_q.push_back(b);
        n_in++;
        push_out++;
      end
      tfc_nph_av <= 4'(credit_limit > return_at.size() - taken_now ?
                       credit_limit - (return_at.size() - taken_now) : 0);
    end
  end

  // Busy: after every edge, against the beats inside.
  always @(negedge clk) begin
    if (!rst) begin
      logic [NumQueues-1:0] want_busy;
      want_busy = '0;
      foreach (inside_q[i]) begin
        if (inside_q[i].job) want_busy[inside_q[i].jq] = 1'b1;
      end
      if (queue_busy != want_busy || busy != (inside_q.size() != 0)) begin
        $display("FAIL cycle %0d: queue_busy %b busy %0d, want %b %0d (%0d beats inside)",
                 cycle, queue_busy, busy, want_busy, inside_q.size() != 0, inside_q.size());
        errors++;
      end
    end
  end

  // The engine side, driven after each negative edge. A PUSH packet: a prime cycle, then its
  // beats, each held until the slice takes it.
  int push_left = 0;   // beats of the packet still to send (0: no packet)
  bit push_prime = 0;

  task automatic drive(input int load_pct, input int np_pct, input int push_pct,
                       input int ready_pct, input int reset_pct);
    // The block's side.
    rq_tready = ($urandom_range(99) < ready_pct);
    dma_reset = ($urandom_range(999) < reset_pct);
    // A PUSH beat stays until the slice takes it (ready as the edge saw it).
    ld_valid = 1'b0;
    if (push_valid && ready) begin
      push_left--;
      push_valid = 1'b0;
    end
    if (push_prime) begin
      push_prime = 0;
    end
    if (push_left == 0) begin
      push_run = 1'b0;
      push_valid = 1'b0;
    end
    if (push_run && !push_prime && !push_valid) begin
      push_valid = 1'b1;
      push_data  = scramble(n_in + 32'h8000_0000);
      push_last  = push_left == 1;
      push_keep  = push_last ? 8'($urandom_range(255, 1)) : 8'hFF;
      push_be    = 8'($urandom);
    end
    #1;
    if (!push_run && reg_free) begin
      if ($urandom_range(99) < push_pct) begin
        // A packet starts (the engine loads its parameters in a cycle with the register free).
        push_run   = 1'b1;
        push_prime = 1;
        push_left  = $urandom_range(8, 1);
        push_jq    = QW'($urandom);
      end else if ($urandom_range(99) < load_pct) begin
        ld_np = ($urandom_range(99) < np_pct);
        if (!ld_np || nph_ok) begin
          ld_valid = 1'b1;
          ld_data  = scramble(n_in);
          ld_keep  = 8'($urandom);
          ld_be    = 8'($urandom);
          ld_job   = ($urandom_range(3) != 0);
          ld_jq    = QW'($urandom);
        end
      end
    end
  endtask

  task automatic phase(input int credits, input int load_pct, input int np_pct,
                       input int push_pct, input int ready_pct, input int reset_pct,
                       input string what);
    int unsigned np0, push0, out0;
    // The block's credits are a property of the link: change them only with every MemRd's
    // credit back (no loads until then).
    while (return_at.size() != 0) begin
      @(negedge clk);
      drive(0, 0, 0, 100, 0);
    end
    credit_limit = credits;
    np0 = np_out; push0 = push_out; out0 = n_out;
    for (int c = 0; c < CyclesPerPhase; c++) begin
      @(negedge clk);
      drive(load_pct, np_pct, push_pct, ready_pct, reset_pct);
    end
    if (credits > 0 && np_pct > 0 && np_out == np0) begin
      $display("FAIL %s: no MemRd went out", what);
      errors++;
    end
    $display("phase %s: %0d beats out, %0d MemRds, %0d PUSH beats", what, n_out - out0,
             np_out - np0, push_out - push0);
  endtask

  initial begin
    repeat (3) @(negedge clk);
    rst = 1'b0;
    //    credits load np push ready reset
    phase(15, 100, 100,  0, 100, 0, "MemRds only, 15 credits, always ready");
    phase( 1, 100, 100,  0, 100, 0, "MemRds only, 1 credit");
    phase( 2, 100,  70,  0,  50, 0, "2 credits, half ready");
    phase( 4,  80,  50, 10,  30, 0, "4 credits, PUSH packets, slow block");
    phase( 3,  90,  50, 20,  80, 5, "3 credits, PUSH packets, DMA resets");
    phase( 0, 100,  50, 10, 100, 0, "no credits: only posted beats");
    phase( 8,  50,  50, 50,  70, 2, "busy mix");
    // PUSH beats go one per cycle with the block always ready: a packet of n beats takes its
    // prime cycle and n beat cycles.
    begin
      int n, cycles;
      credit_limit = 15;
      do begin
        @(negedge clk);
        drive(0, 0, 0, 100, 0);
      end while (push_run || !reg_free);
      @(negedge clk);
      drive(0, 0, 100, 100, 0);  // a packet starts
      n = push_left;
      cycles = 0;
      while (push_run) begin
        @(negedge clk);
        drive(0, 0, 0, 100, 0);
        cycles++;
      end
      if (cycles != n + 1) begin
        $display("FAIL a PUSH packet of %0d beats took %0d cycles", n, cycles);
        errors++;
      end
    end
    // Drain: every beat given must come out.
    repeat (10) begin
      @(negedge clk);
      drive(0, 0, 0, 100, 0);
    end
    if (inside_q.size() != 0 || n_in != n_out) begin
      $display("FAIL %0d beats never came out (%0d in, %0d out)", inside_q.size(), n_in, n_out);
      errors++;
    end
    if (errors != 0) begin
      $fatal(1, "FAIL rq_port: %0d error(s)", errors);
    end
    $display("PASS rq_port: %0d beats (%0d MemRds, %0d PUSH beats), each once and in order; no MemRd without a credit; BUSY exact",
             n_out, np_out, push_out);
    $finish;
  end
  /* verilator lint_on BLKSEQ */

endmodule

`default_nettype wire
