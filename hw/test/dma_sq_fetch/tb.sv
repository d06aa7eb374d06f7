// SPDX-License-Identifier: MIT OR Apache-2.0
// Unit test of peerbar_dma_sq_fetch (run: bash hw/test/run.sh dma_sq_fetch): two benches side by
// side, one with 4 queues (the default) and one with 16, each with the default 8 FIFO slots, run
// for a few seeds (xorshift32; +seed=N changes the base seed, +cycles=N the cycles per seed).
// The bench plays the rest of the engine:
// - software: random ring sizes (mostly 2..40 entries, some up to 300, a few 1-entry rings and
//   a few with CQ_SIZE 0, which must never be fetched), random 64-byte aligned SQ bases, half of
//   them a few entries below a 4 KiB boundary, random MRRS (128..4096 bytes, changed only with
//   DMA_CONTROL.RESET); SQ_TAIL of enabled queues advanced at random times, never past the SQ
//   head; queues disabled at random, reconfigured while disabled (tail 0) and enabled again
//   (queue_enable_rise_i the cycle before ENABLE reads 1, as peerbar_dma_csr makes it, or in the
//   same cycle); DMA_CONTROL.RESET, half of them also clearing every ENABLE the next cycle;
//   run_i low for stretches;
// - the completion side: each read that goes out keeps rd_busy_i[id] high from the next cycle
//   for 1..60 cycles, then its entries land; rarely it fails instead (an rd_err_i pulse while
//   busy, with a random status and address); on a flush (kill_o) its busy falls the next cycle;
// - the job unit: takes the FIFO head after a random delay, with take_qid_i the head_qid_o it
//   saw when it started (an entry it holds is dropped by a flush before the take); on a failed
//   entry it raises ring_fault_i the next cycle and the queue's ENABLE falls the cycle after, as
//   the engine's StRingFault does.
// The model mirrors the module's architectural state: per queue the SQ head and fetch position,
// the FIFO's slot ring (queue, entry, read, arrived/failed per slot), the two reads and the halt
// after a failure. Checked:
// 1. every read offered (rd_want_o, whether or not it is taken) is legal: not while flushing,
//    halted, run_i low or both reads busy; its queue enabled with a valid ring and entries to
//    fetch; rd_addr_o = SQ base + 64 x the queue's fetch position; 1 <= rd_n_o <= the entries up
//    to the tail and to the ring's end, <= MRRS, inside one 4 KiB page; rd_slot_o = the FIFO's
//    write slot, rd_n_o within the free slots and the slot ring's end, and at least half the
//    FIFO free (or all of it); rd_id_o not busy;
// 2. each take is of the FIFO head the model holds, which is the taken queue's entry at its SQ
//    head; take_head_o = that head + 1 modulo the ring size; head_valid_o / head_slot_o /
//    head_qid_o / head_fault_o (and, when failed, head_status_o / head_eaddr_o) exactly as the
//    model has them every cycle; at the end of each seed the bench stops writing and every
//    enabled queue must drain (SQ head = tail, FIFO empty, no read busy) within a watchdog;
// 3. after a flush the fetch positions are the SQ heads (the next read of each queue must start
//    there: check 1's address), so nothing is lost or taken twice;
// 4. round robin: a read of queue c after a read of queue l must not skip a queue strictly
//    between them (cyclically) that had entries to fetch in every cycle since the read of l. The
//    pick sees the queues as they were at least 4 cycles before its read goes out (a registered
//    copy, then 3 stages), so a queue that becomes ready later may wait one read more, never two:
//    no queue gets more than 2 reads in a row while another queue has entries to fetch at each
//    of them (2 only when the queue waiting at the first is disabled before the second and
//    another became ready just before the second);
// 5. flush_o exactly on DMA_CONTROL.RESET, an enable rise, an enable fall or ring_fault_i, and
//    kill_o = 11b exactly then;
// 6. sq_head_o, reads_busy_o and work_o as the model has them every cycle; and no stall: with a
//    queue to fetch, the FIFO at least half free, a read free, run_i high and no flush, rd_want_o
//    must rise within StallMax cycles.

`default_nettype none

module tb;
  logic done4, done16;

  sqf_bench #(.NQ(4),  .NSeeds(4), .CyclesDef(250000)) b4  (.done_o(done4));
  sqf_bench #(.NQ(16), .NSeeds(3), .CyclesDef(150000)) b16 (.done_o(done16));

  initial begin
    wait (done4 && done16);
    $display("PASS dma_sq_fetch: 4 and 16 queues");
    $finish;
  end
endmodule

// One bench: the module with NQ queues and 8 slots, NSeeds seeds of CyclesDef cycles each.
/* verilator lint_off DECLFILENAME */
module sqf_bench
/* verilator lint_on DECLFILENAME */
  import peerbar_pkg::*;
#(
  parameter int NQ        = 4,
  parameter int NSeeds    = 3,
  parameter int CyclesDef = 60000
) (
  output logic done_o
);
  localparam int S        = 8;           // FIFO slots (the module's default)
  localparam int SW       = $clog2(S);
  localparam int QW       = $clog2(NQ);
  // Check 6: a queue that becomes ready in cycle t is in the pick's registered view at t + 1,
  // picked then, its read sized at t + 2 and prepared at t + 3, offered at t + 4: 4 cycles
  // without an offer (also after a read or a flush: the stages start again from the pick).
  localparam int StallMax = 4;
  localparam int DrainMax = 20000;       // watchdog of the final drain

  logic                     clk = 1'b0;
  logic                     rst = 1'b1;
  dma_queue_cfg_t [NQ-1:0]  cfg;
  logic [NQ-1:0]            rise = '0;
  logic [6:0]               mrrs = 7'd8;
  logic                     run = 1'b1, dma_reset = 1'b0, ring_fault = 1'b0;
  logic                     flush;
  logic [NQ-1:0][15:0]      sq_head;
  logic                     reads_busy, work;
  logic                     rd_want, rd_go = 1'b0;
  logic [QW-1:0]            rd_qid;
  logic [63:0]              rd_addr;
  logic [SW:0]              rd_n;
  logic [SW-1:0]            rd_slot;
  logic                     rd_id;
  logic [1:0]               rd_busy = '0, rd_err = '0;
  logic [7:0]               err_status = '0;
  logic [63:0]              err_addr = '0;
  logic [1:0]               kill;
  logic                     head_valid;
  logic [SW-1:0]            head_slot;
  logic [QW-1:0]            head_qid;
  logic                     head_fault;
  logic [7:0]               head_status;
  logic [63:0]              head_eaddr;
  logic                     take = 1'b0;
  logic [QW-1:0]            take_qid = '0;
  logic [15:0]              take_head;

  peerbar_dma_sq_fetch #(.NumQueues (NQ), .SqSlots (S)) dut (
    .clk_i               (clk),
    .rst_i               (rst),
    .queue_cfg_i         (cfg),
    .queue_enable_rise_i (rise),
    .mrrs_entries_i      (mrrs),
    .run_i               (run),
    .dma_reset_i         (dma_reset),
    .ring_fault_i        (ring_fault),
    .flush_o             (flush),
    .sq_head_o           (sq_head),
    .reads_busy_o        (reads_busy),
    .work_o              (work),
    .rd_want_o           (rd_want),
    .rd_go_i             (rd_go),
    .rd_qid_o            (rd_qid),
    .rd_addr_o           (rd_addr),
    .rd_n_o              (rd_n),
    .rd_slot_o           (rd_slot),
    .rd_id_o             (rd_id),
    .rd_busy_i           (rd_busy),
    .rd_err_i            (rd_err),
    .err_status_i        (err_status),
    .err_addr_i          (err_addr),
    .kill_o              (kill),
    .head_valid_o        (head_valid),
    .head_slot_o         (head_slot),
    .head_qid_o          (head_qid),
    .head_fault_o        (head_fault),
    .head_status_o       (head_status),
    .head_eaddr_o        (head_eaddr),
    .take_i              (take),
    .take_qid_i          (take_qid),
    .take_head_o         (take_head)
  );

  // Everything below is the testbench's clock, model and scoreboard, not logic: blocking
  // assignments, int arithmetic mixed with the ports' widths (every value is in range by
  // construction) and int variables of which only the low bits matter are what it needs.
  /* verilator lint_off BLKSEQ */
  /* verilator lint_off WIDTH */
  /* verilator lint_off UNUSEDSIGNAL */
  always #5 clk = ~clk;

  // Deterministic generator (xorshift32).
  logic [31:0] rs;
  function automatic logic [31:0] rnd();
    rs = rs ^ (rs << 13);
    rs = rs ^ (rs >> 17);
    rs = rs ^ (rs << 5);
    return rs;
  endfunction
  function automatic int urange(input int n);  // 0..n-1
    return int'(rnd() % n);
  endfunction
  function automatic bit permille(input int p);
    return urange(1000) < p;
  endfunction

  // --- The model ---------------------------------------------------------------------------
  // Queues: what the bench drives (m_en, m_tail), the module's SQ head and fetch position,
  // ENABLE last cycle (the module's en_q), ring size, CQ size valid.
  bit     m_en [NQ];
  bit     m_en_q [NQ];
  int     m_size [NQ];
  bit     m_cqok [NQ];
  int     m_tail [NQ];
  int     m_head [NQ];
  int     m_ptr [NQ];
  bit     rdy_now [NQ];     // entries to fetch this cycle (the module's q_ready)
  bit     win_rdy [NQ];     // ... in every cycle since the last read went out
  // FIFO: pointers modulo 2 S; per slot queue, entry, read and state
  localparam int SlPend = 0, SlLanded = 1, SlFailed = 2;
  int     f_wr, f_rd;
  int     s_q [S];
  int     s_idx [S];
  int     s_rid [S];
  int     s_st [S];
  // The two reads
  bit     r_busy [2];
  int     r_first [2];
  int     r_n [2];
  int     r_left [2];       // cycles of rd_busy_i still to drive
  int     r_errat [2];      // fail when r_left is this (0: never)
  logic [7:0]  r_st [2];
  logic [63:0] r_ea [2];
  bit     halt;
  int     lastq;            // the queue of the last read (the module's rr_q)
  bit     exp_flush;
  int     now;

  // The job unit
  localparam int JuIdle = 0, JuHold = 1, JuFault1 = 2, JuFault2 = 3;
  int     ju_state, ju_q, ju_wait;

  // Software events
  localparam int EvNone = 0, EvResetDis = 1, EvEnable = 2;
  int     ev_kind, ev_step, ev_q;
  bit     ev_same;          // EvEnable: ENABLE rises with the pulse
  int     run_off;          // cycles of run_i low still to come
  bit     drain;

  // Knobs (re-drawn every 4000 cycles)
  int     p_tail, tail_burst, p_go, p_take, max_hold, p_err;

  // Per-seed and total figures
  longint m_sub [NQ];       // entries software wrote
  longint m_taken [NQ];
  longint m_drop [NQ];      // entries dropped with their ring (disabled, reconfigured)
  longint t_taken [NQ];
  longint st_n [S + 1];      // reads by entries
  longint st_slotend;       // reads stopped by the slot ring's end
  longint st_take_flush;    // takes in a flush cycle
  longint st_reads, st_entries, st_fail, st_4k, st_wrap, st_contended, st_abandon;
  longint st_fl_reset, st_fl_rise, st_fl_fall, st_fl_fault, st_flush, st_cycles;
  int     cons, stall;
  // The largest cons (0) and stall (1) seen, the fewest cycles between two reads (2). An array:
  // as scalars, Verilator 5.006 constant-folded the summary's print of one to its initial value.
  int     mx [3];
  int     last_go;
  int     cycles;

  function automatic int outstanding(input int q);
    return (m_tail[q] - m_head[q] + m_size[q]) % m_size[q];
  endfunction
  // Entries queue q has to fetch from its fetch position (to the tail or the ring's end).
  function automatic int av_at(input int q);
    return (m_tail[q] >= m_ptr[q]) ? m_tail[q] - m_ptr[q] : m_size[q] - m_ptr[q];
  endfunction
  function automatic int fifo_cnt();
    return (f_wr - f_rd + 2 * S) % (2 * S);
  endfunction

  // A new ring for queue q (disabled): size, bases, tail 0.
  task automatic reconfigure(input int q);
    int sz, k;
    logic [63:0] base;
    k = urange(100);
    if (k < 60)      sz = 2 + urange(39);
    else if (k < 75) sz = 2 + urange(7);
    else if (k < 95) sz = 41 + urange(260);
    else             sz = 1;
    base = {1'b0, 31'(rnd()), rnd()} & ~64'hFFF;
    if (urange(2) == 0) base = base | 64'(4096 - 64 * (1 + urange((sz < 10) ? sz : 10)));
    else                base = base | 64'(64 * urange(64));
    cfg[q].sq_base     = base;
    cfg[q].cq_base     = {rnd(), rnd()};
    cfg[q].sq_size_m1  = sz - 1;
    cfg[q].cq_size_m1  = (urange(100) < 4) ? 16'd0 : 16'(1 + urange(255));
    cfg[q].irq_enable  = rnd();
    cfg[q].msix_vector = rnd();
    cfg[q].sq_tail     = '0;
    cfg[q].cq_head     = rnd();
    m_size[q] = sz;
    m_cqok[q] = cfg[q].cq_size_m1 != '0;
    m_tail[q] = 0;
  endtask

  task automatic set_enable(input int q, input bit en);
    cfg[q].enable = en;
    m_en[q] = en;
  endtask

  function automatic logic [6:0] rand_mrrs();
    int k;
    k = urange(10);
    return (k < 2) ? 7'd2 : (k < 4) ? 7'd4 : (k < 7) ? 7'd8 : (k < 8) ? 7'd16 : 7'd64;
  endfunction

  task automatic new_knobs();
    int k;
    k = urange(4);
    p_tail     = (k == 0) ? 30 : (k == 1) ? 150 : (k == 2) ? 400 : 900;
    k = urange(4);
    tail_burst = (k == 0) ? 1 : (k == 1) ? 4 : (k == 2) ? 16 : 1000;
    k = urange(3);
    p_go       = (k == 0) ? 30 : (k == 1) ? 70 : 100;
    k = urange(3);
    p_take     = (k == 0) ? 10 : (k == 1) ? 40 : 90;
    max_hold   = (urange(2) == 0) ? 3 : 20;
  endtask

  // --- Cycle -------------------------------------------------------------------------------
  // At each falling edge: check the registered outputs, drive this cycle's inputs, check the
  // combinational outputs and the offered read, decide rd_go_i and take_i, then apply to the
  // model what the next rising edge does.
  task automatic cycle();
    @(negedge clk);
    now++;
    check_regs();
    drive();
    #1;
    check_comb();
    decide();
    #1;
    if (take) begin
      if (take_head !== 16'((m_head[ju_q] == m_size[ju_q] - 1) ? 0 : m_head[ju_q] + 1)) begin
        $fatal(1, "FAIL NQ=%0d cycle %0d: take_head_o %0d for queue %0d, head %0d, ring %0d",
               NQ, now, take_head, ju_q, m_head[ju_q], m_size[ju_q]);
      end
    end
    update();
  endtask

  // Registered outputs against the model (check 2, 6).
  task automatic check_regs();
    int s;
    bit hv;
    for (int q = 0; q < NQ; q++) begin
      if (sq_head[q] !== 16'(m_head[q])) begin
        $fatal(1, "FAIL NQ=%0d cycle %0d: sq_head_o[%0d] %0d, want %0d", NQ, now, q,
               sq_head[q], m_head[q]);
      end
    end
    if (reads_busy !== (r_busy[0] || r_busy[1])) begin
      $fatal(1, "FAIL NQ=%0d cycle %0d: reads_busy_o %0d, reads busy %0d%0d", NQ, now,
             reads_busy, r_busy[1], r_busy[0]);
    end
    s = f_rd % S;
    hv = fifo_cnt() != 0 && s_st[s] != SlPend;
    if (head_slot !== SW'(s)) begin
      $fatal(1, "FAIL NQ=%0d cycle %0d: head_slot_o %0d, want %0d", NQ, now, head_slot, s);
    end
    if (head_valid !== hv) begin
      $fatal(1, "FAIL NQ=%0d cycle %0d: head_valid_o %0d, want %0d (FIFO %0d entries, slot %0d state %0d)",
             NQ, now, head_valid, hv, fifo_cnt(), s, s_st[s]);
    end
    if (hv) begin
      if (head_qid !== QW'(s_q[s]) || head_fault !== (s_st[s] == SlFailed)) begin
        $fatal(1, "FAIL NQ=%0d cycle %0d: head slot %0d: queue %0d fault %0d, want queue %0d fault %0d",
               NQ, now, s, head_qid, head_fault, s_q[s], s_st[s] == SlFailed);
      end
      if (head_fault && (head_status !== r_st[s_rid[s]] || head_eaddr !== r_ea[s_rid[s]])) begin
        $fatal(1, "FAIL NQ=%0d cycle %0d: failed head: status %h addr %h, want %h %h", NQ, now,
               head_status, head_eaddr, r_st[s_rid[s]], r_ea[s_rid[s]]);
      end
    end
  endtask

  task automatic drive();
    int q, k, sp, c;
    rise       = '0;
    dma_reset  = 1'b0;
    ring_fault = 1'b0;
    take       = 1'b0;
    rd_go      = 1'b0;
    take_qid   = QW'(rnd());
    err_status = 8'(rnd());
    err_addr   = {rnd(), rnd()};
    // The job unit's ring fault: ring_fault_i, then the queue's ENABLE falls.
    if (ju_state == JuFault1) begin
      ring_fault = 1'b1;
      ju_state = JuFault2;
    end else if (ju_state == JuFault2) begin
      set_enable(ju_q, 1'b0);
      ju_state = JuIdle;
    end
    // Software: one event at a time, none during a ring fault (an entry the job unit holds
    // may be dropped by one).
    if (ev_kind == EvResetDis) begin
      for (q = 0; q < NQ; q++) set_enable(q, 1'b0);
      ev_kind = EvNone;
    end else if (ev_kind == EvEnable) begin
      if (ev_step == 0) begin
        rise[ev_q] = 1'b1;
        if (ev_same) begin
          set_enable(ev_q, 1'b1);
          ev_kind = EvNone;
        end
        ev_step = 1;
      end else begin
        set_enable(ev_q, 1'b1);
        ev_kind = EvNone;
      end
    end else if (!drain && (ju_state == JuIdle || ju_state == JuHold)) begin
      k = urange(100000);
      if (k < 20) begin
        // DMA_CONTROL.RESET (MRRS may change with it), half of them clearing every ENABLE.
        dma_reset = 1'b1;
        if (urange(2) == 0) mrrs = rand_mrrs();
        if (urange(2) == 0) ev_kind = EvResetDis;
      end else if (k < 50) begin
        q = urange(NQ);
        if (m_en[q]) set_enable(q, 1'b0);
      end else if (k < 600) begin
        // Enable a disabled queue with a new ring: reconfigured now, the rise next cycle.
        q = urange(NQ);
        if (!m_en[q] && !m_en_q[q]) begin
          m_drop[q] += outstanding(q);
          reconfigure(q);
          ev_kind = EvEnable;
          ev_q = q;
          ev_step = 0;
          ev_same = urange(3) == 0;
        end
      end
    end
    // Software writes SQ entries: never past the SQ head (not in the cycle the SQ head is reset
    // by an enable rise).
    if (!drain && permille(p_tail)) begin
      q = urange(NQ);
      if (m_en[q] && !rise[q]) begin
        sp = m_size[q] - 1 - outstanding(q);
        if (sp > 0) begin
          c = 1 + urange((sp < tail_burst) ? sp : tail_burst);
          m_tail[q] = (m_tail[q] + c) % m_size[q];
          cfg[q].sq_tail = 16'(m_tail[q]);
          m_sub[q] += c;
        end
      end
    end
    // run_i low for stretches
    if (run_off > 0) begin
      run_off--;
      run = 1'b0;
    end else begin
      run = 1'b1;
      if (!drain && permille(1)) run_off = 1 + urange(40);
    end
    // The reads: busy for their cycles, a failure pulse, landing.
    for (k = 0; k < 2; k++) begin
      rd_busy[k] = 1'b0;
      rd_err[k]  = 1'b0;
      if (r_busy[k] && r_left[k] > 0) begin
        rd_busy[k] = 1'b1;
        if (r_left[k] == r_errat[k]) rd_err[k] = 1'b1;
        r_left[k]--;
      end
    end
  endtask

  // Combinational outputs, the offered read (check 1, 5, 6).
  task automatic check_comb();
    bit any;
    int q, fr, cnt;
    exp_flush = dma_reset || ring_fault || (rise != '0);
    for (q = 0; q < NQ; q++) if (m_en_q[q] && !m_en[q]) exp_flush = 1;
    if (flush !== exp_flush || kill !== {2{exp_flush}}) begin
      $fatal(1, "FAIL NQ=%0d cycle %0d: flush_o %0d kill_o %b, want flush %0d (reset %0d rise %b fault %0d)",
             NQ, now, flush, kill, exp_flush, dma_reset, rise, ring_fault);
    end
    any = 0;
    for (q = 0; q < NQ; q++) begin
      rdy_now[q] = m_en[q] && m_size[q] > 1 && m_cqok[q] && m_ptr[q] != m_tail[q];
      any |= rdy_now[q];
      win_rdy[q] &= rdy_now[q];
    end
    cnt = fifo_cnt();
    fr = S - cnt;
    if (work !== (any || cnt != 0)) begin
      $fatal(1, "FAIL NQ=%0d cycle %0d: work_o %0d, want %0d", NQ, now, work, any || cnt != 0);
    end
    // No stall
    if (any && fr >= S / 2 && run && !halt && !(r_busy[0] && r_busy[1]) && !exp_flush &&
        !rd_want) begin
      stall++;
      if (stall > mx[1]) mx[1] = stall;
      if (stall > StallMax) begin
        $fatal(1, "FAIL NQ=%0d cycle %0d: no read offered for %0d cycles with entries to fetch and room",
               NQ, now, stall);
      end
    end else begin
      stall = 0;
    end
    if (rd_want) check_offer(cnt, fr);
  endtask

  // The offered read (check 1).
  task automatic check_offer(input int cnt, input int fr);
    int q, e, n, sz, av;
    logic [63:0] base;
    q = rd_qid;
    n = rd_n;
    if (exp_flush || !run || halt || (r_busy[0] && r_busy[1])) begin
      $fatal(1, "FAIL NQ=%0d cycle %0d: read offered while flush %0d run %0d halt %0d busy %0d%0d",
             NQ, now, exp_flush, run, halt, r_busy[1], r_busy[0]);
    end
    if (q >= NQ || !rdy_now[q]) begin
      $fatal(1, "FAIL NQ=%0d cycle %0d: read of queue %0d, which has nothing to fetch", NQ, now, q);
    end
    e = m_ptr[q];
    sz = m_size[q];
    base = {cfg[q].sq_base[63:6], 6'd0};
    if (rd_addr !== base + 64'(e) * 64) begin
      $fatal(1, "FAIL NQ=%0d cycle %0d: read of queue %0d at %h, want %h (entry %0d, its fetch position)",
             NQ, now, q, rd_addr, base + 64'(e) * 64, e);
    end
    av = (m_tail[q] >= e) ? m_tail[q] - e : sz - e + m_tail[q];
    if (n < 1 || n > S || e + n > sz || n > av || n > mrrs ||
        int'(rd_addr[11:0]) + 64 * n > 4096) begin
      $fatal(1, "FAIL NQ=%0d cycle %0d: read of queue %0d: %0d entries from %0d (ring %0d, to the tail %0d, MRRS %0d, address %h)",
             NQ, now, q, n, e, sz, av, mrrs, rd_addr);
    end
    if (rd_slot !== SW'(f_wr % S) || n > fr || int'(rd_slot) + n > S ||
        !(fr >= S / 2 || cnt == 0)) begin
      $fatal(1, "FAIL NQ=%0d cycle %0d: read into slot %0d x %0d, FIFO write slot %0d, %0d free",
             NQ, now, rd_slot, n, f_wr % S, fr);
    end
    if (r_busy[rd_id]) begin
      $fatal(1, "FAIL NQ=%0d cycle %0d: read offered on rd_id_o %0d, which is busy", NQ, now,
             rd_id);
    end
  endtask

  task automatic hold_delay(output int d);
    int k;
    k = urange(10);
    d = (k < 6) ? 0 : (k < 9) ? 1 + urange(3) : 1 + urange(max_hold);
  endtask

  // rd_go_i, and the job unit (check 2).
  task automatic decide();
    int s;
    if (rd_want && urange(100) < (drain ? 100 : p_go)) rd_go = 1'b1;
    if (ju_state == JuIdle && head_valid && !exp_flush && urange(100) < (drain ? 90 : p_take)) begin
      if (head_fault) begin
        if (ev_kind == EvNone) begin
          ju_state = JuFault1;
          ju_q = head_qid;
        end
      end else begin
        ju_state = JuHold;
        ju_q = head_qid;
        hold_delay(ju_wait);
      end
    end
    if (ju_state == JuHold) begin
      if (ju_wait == 0) begin
        take = 1'b1;
        take_qid = QW'(ju_q);
        s = f_rd % S;
        if (!head_valid || head_fault || head_qid !== QW'(ju_q)) begin
          $fatal(1, "FAIL NQ=%0d cycle %0d: the FIFO head changed under the job unit (queue %0d)",
                 NQ, now, ju_q);
        end
        if (s_idx[s] != m_head[ju_q] || m_head[ju_q] == m_tail[ju_q]) begin
          $fatal(1, "FAIL NQ=%0d cycle %0d: take of queue %0d entry %0d, its SQ head %0d, tail %0d",
                 NQ, now, ju_q, s_idx[s], m_head[ju_q], m_tail[ju_q]);
        end
      end else begin
        ju_wait--;
      end
    end
  endtask

  // What the rising edge does (check 4 at each read).
  task automatic update();
    bit busy_old [2];
    bit other;
    int q, n, e, s, r, L;
    if (rd_go) begin
      q = rd_qid;
      n = rd_n;
      e = m_ptr[q];
      // Round robin: no queue between the last read's and this one skipped while ready.
      r = (lastq + 1) % NQ;
      while (r != q) begin
        if (win_rdy[r]) begin
          $fatal(1, "FAIL NQ=%0d cycle %0d: read of queue %0d after one of queue %0d, queue %0d had entries to fetch all along",
                 NQ, now, q, lastq, r);
        end
        r = (r + 1) % NQ;
      end
      other = 0;
      for (r = 0; r < NQ; r++) if (r != q && rdy_now[r]) other = 1;
      if (other) begin
        st_contended++;
        cons = (q == lastq && cons > 0) ? cons + 1 : 1;
      end else begin
        cons = 0;
      end
      if (cons > mx[0]) mx[0] = cons;
      if (cons > 2) begin
        $fatal(1, "FAIL NQ=%0d cycle %0d: queue %0d got %0d reads in a row while others had entries",
               NQ, now, q, cons);
      end
      for (r = 0; r < NQ; r++) win_rdy[r] = rdy_now[r];
      if (now - last_go < mx[2]) mx[2] = now - last_go;
      last_go = now;
      st_reads++;
      st_entries += n;
      st_n[n]++;
      if (int'(rd_slot) + n == S && n < av_at(q)) st_slotend++;
      if (e + n == m_size[q]) st_wrap++;
      else if (((rd_addr + 64'(n) * 64) & 64'hFFF) == 0 && n < S && n < mrrs &&
               m_ptr[q] + n != m_tail[q]) st_4k++;
    end
    for (int k = 0; k < 2; k++) busy_old[k] = r_busy[k];
    if (take) begin
      if (exp_flush) st_take_flush++;
      f_rd = (f_rd + 1) % (2 * S);
      m_head[ju_q] = (m_head[ju_q] == m_size[ju_q] - 1) ? 0 : m_head[ju_q] + 1;
      m_taken[ju_q]++;
      ju_state = JuIdle;
    end
    if (rd_go) begin
      for (int j = 0; j < n; j++) begin
        s = (f_wr + j) % S;
        s_q[s]   = q;
        s_idx[s] = e + j;
        s_rid[s] = rd_id;
        s_st[s]  = SlPend;
      end
      m_ptr[q] = (e + n == m_size[q]) ? 0 : e + n;
      f_wr = (f_wr + n) % (2 * S);
      r_busy[rd_id]  = 1;
      r_first[rd_id] = f_wr - n;
      r_n[rd_id]     = n;
      L = 1 + urange(60);
      r_left[rd_id]  = L;
      r_errat[rd_id] = (!drain && permille(p_err)) ? 1 + urange(L) : 0;
      lastq = q;
    end
    for (int k = 0; k < 2; k++) begin
      if (busy_old[k] && (rd_err[k] || !rd_busy[k])) begin
        for (int j = 0; j < r_n[k]; j++) begin
          s = (r_first[k] + j + 2 * S) % S;
          s_st[s] = rd_err[k] ? SlFailed : SlLanded;
        end
        if (rd_err[k]) begin
          halt = 1;
          r_st[k] = err_status;
          r_ea[k] = err_addr;
          st_fail++;
        end
        r_busy[k] = 0;
      end
    end
    for (q = 0; q < NQ; q++) if (rise[q]) m_head[q] = 0;
    if (exp_flush) begin
      st_flush++;
      if (dma_reset) st_fl_reset++;
      if (rise != '0) st_fl_rise++;
      if (ring_fault) st_fl_fault++;
      for (q = 0; q < NQ; q++) if (m_en_q[q] && !m_en[q]) st_fl_fall++;
      f_wr = f_rd;
      for (int k = 0; k < 2; k++) r_busy[k] = 0;
      halt = 0;
      for (q = 0; q < NQ; q++) m_ptr[q] = m_head[q];
      if (ju_state == JuHold) begin
        ju_state = JuIdle;
        st_abandon++;
      end
    end
    for (q = 0; q < NQ; q++) m_en_q[q] = m_en[q];
  endtask

  // Nothing left: no event or job, no read, FIFO empty, every enabled valid queue at its tail.
  function automatic bit drained();
    bit idle;
    idle = ev_kind == EvNone && ju_state == JuIdle && !r_busy[0] && !r_busy[1] &&
           fifo_cnt() == 0;
    for (int q = 0; q < NQ; q++) begin
      if (m_en[q] && m_size[q] > 1 && m_cqok[q] && m_head[q] != m_tail[q]) idle = 0;
    end
    return idle;
  endfunction

  // --- One seed ----------------------------------------------------------------------------
  task automatic run_seed(input logic [31:0] seed);
    int w;
    bit idle;
    rs = seed;
    for (int i = 0; i < 8; i++) void'(rnd());
    rst = 1'b1;
    for (int q = 0; q < NQ; q++) begin
      reconfigure(q);
      set_enable(q, urange(8) != 0);
      m_en_q[q] = 0;
      m_head[q] = 0;
      m_ptr[q] = 0;
      win_rdy[q] = 1;
      m_sub[q] = 0;
      m_taken[q] = 0;
      m_drop[q] = 0;
    end
    mrrs = rand_mrrs();
    rise = '0; dma_reset = 0; ring_fault = 0; rd_go = 0; take = 0; rd_busy = '0; rd_err = '0;
    run = 1;
    f_wr = 0; f_rd = 0;
    for (int s = 0; s < S; s++) s_st[s] = SlPend;
    for (int k = 0; k < 2; k++) r_busy[k] = 0;
    halt = 0; lastq = NQ - 1; ju_state = JuIdle; ev_kind = EvNone; run_off = 0; drain = 0;
    cons = 0; stall = 0; now = 0; last_go = -1000;
    p_err = 3;
    new_knobs();
    repeat (3) @(negedge clk);
    rst = 1'b0;
    for (int c = 0; c < cycles; c++) begin
      if (c % 4000 == 3999) new_knobs();
      cycle();
    end
    // Drain: no more entries, events or failures; everything written must be taken.
    drain = 1;
    w = 0;
    idle = 0;
    while (!idle) begin
      cycle();
      w++;
      idle = drained();
      if (w > DrainMax) begin
        $fatal(1, "FAIL NQ=%0d seed %h: no drain after %0d cycles (FIFO %0d, reads %0d%0d, job unit %0d)",
               NQ, seed, w, fifo_cnt(), r_busy[1], r_busy[0], ju_state);
      end
    end
    repeat (5) cycle();
    for (int q = 0; q < NQ; q++) begin
      if (m_sub[q] != m_taken[q] + m_drop[q] + outstanding(q)) begin
        $fatal(1, "FAIL NQ=%0d seed %h: queue %0d: %0d written, %0d taken, %0d dropped, %0d left",
               NQ, seed, q, m_sub[q], m_taken[q], m_drop[q], outstanding(q));
      end
      t_taken[q] += m_taken[q];
    end
    st_cycles += now;
  endtask

  initial begin
    logic [31:0] base_seed;
    string line;
    done_o = 1'b0;
    for (int q = 0; q < NQ; q++) cfg[q] = '0;
    if (!$value$plusargs("seed=%d", base_seed)) base_seed = 32'd1;
    if (!$value$plusargs("cycles=%d", cycles)) cycles = CyclesDef;
    for (int q = 0; q < NQ; q++) t_taken[q] = 0;
    st_reads = 0; st_entries = 0; st_fail = 0; st_4k = 0; st_wrap = 0; st_contended = 0;
    st_abandon = 0; st_fl_reset = 0; st_fl_rise = 0; st_fl_fall = 0; st_fl_fault = 0;
    st_flush = 0; st_cycles = 0; st_slotend = 0; st_take_flush = 0;
    for (int i = 0; i <= S; i++) st_n[i] = 0; mx[0] = 0; mx[1] = 0; mx[2] = 1000;
    for (int i = 0; i < NSeeds; i++) begin
      run_seed(base_seed * 32'h9E37_79B9 + 32'(i) * 32'h85EB_CA6B + 32'(NQ) + 32'h2545_F491);
    end
    if (st_fail == 0 || st_4k == 0 || st_wrap == 0 || st_fl_reset == 0 || st_fl_rise == 0 ||
        st_fl_fall == 0 || st_fl_fault == 0 || st_contended == 0 || st_abandon == 0) begin
      $fatal(1, "FAIL NQ=%0d coverage: %0d failed reads, %0d reads split at 4 KiB, %0d at the ring's end, flushes %0d/%0d/%0d/%0d, %0d contended reads, %0d entries dropped by a flush",
             NQ, st_fail, st_4k, st_wrap, st_fl_reset, st_fl_rise, st_fl_fall, st_fl_fault,
             st_contended, st_abandon);
    end
    line = "";
    for (int q = 0; q < NQ; q++) line = {line, $sformatf(" %0d", t_taken[q])};
    $display("dma_sq_fetch NQ=%0d: %0d seeds, %0d cycles, %0d reads (%0d entries, %0d split at 4 KiB, %0d at the ring's end, %0d while other queues waited), %0d failed reads",
             NQ, NSeeds, st_cycles, st_reads, st_entries, st_4k, st_wrap, st_contended, st_fail);
    $display("dma_sq_fetch NQ=%0d: flushes %0d (DMA reset %0d, enable rises %0d, queue disables %0d, ring faults %0d), %0d held entries dropped by one, %0d taken in one; max reads in a row while others waited %0d, max cycles without an offer %0d, min cycles between reads %0d",
             NQ, st_flush, st_fl_reset, st_fl_rise, st_fl_fall, st_fl_fault, st_abandon,
             st_take_flush, mx[0], mx[1], mx[2]);
    $display("dma_sq_fetch NQ=%0d: entries taken per queue:%s", NQ, line);
    line = "";
    for (int i = 1; i <= S; i++) line = {line, $sformatf(" %0d", st_n[i])};
    $display("dma_sq_fetch NQ=%0d: reads of 1..%0d entries:%s (%0d stopped by the slot ring's end)", NQ, S, line, st_slotend);
    done_o = 1'b1;
  end
  /* verilator lint_on UNUSEDSIGNAL */
  /* verilator lint_on WIDTH */
  /* verilator lint_on BLKSEQ */
endmodule

`default_nettype wire
