// SPDX-License-Identifier: MIT OR Apache-2.0
// Unit test of peerbar_dma_retire (run: bash hw/test/run.sh dma_retire), with 4 queues, 8 job
// slots, 4-bit read owners and a 4 KiB BAR2 (Bar2SizeLog2 = 12). The bench plays the engine
// around the module (the job unit adding jobs, peerbar_dma_rc's bytes, failures and busy, the
// inline CRC's busy and value, the RQ beat register's reg_free_i, ring faults on block_cq_i,
// DMA_CONTROL.RESET, queue enables), the register file (queue registers, MSI-X table, PBA:
// set on pba_set_o, cleared on pba_clr_o, seen a cycle later) and software (a consumer per
// queue that reads its CQ by phase tag and writes the head doorbell, at random rates, so CQs
// of 2..16 entries, a few larger, fill up and wrap). Stimulus is random (xorshift32, three fixed
// seeds, the load changing every 1000 cycles: from an empty ring to all slots busy), each seed
// ends with a drain. A model of the slots, the ring, each queue's CQ tail and phase and the PBA
// predicts every cycle; checked every cycle:
// - the beat (beat_valid_o, dwc, address, payload, beat_job_o/beat_jq_o) and pba_set_o,
//   pba_clr_o in exactly the cycle the model says, with the module's documented one-cycle
//   waits (the oldest slot waits a cycle after retire moved on or a job landed in the empty
//   ring; a queue's CQ is stale the cycle after its tail changed or it was enabled; the head
//   doorbell and the full test seen a cycle later);
// - and against the contract, whatever the model's timing: a beat only when reg_free_i; a CQ
//   entry only of the oldest job, once, when it is done (fin, or owner not busy, and no CRC
//   busy), not under block_cq_i, not to a full CQ (tail + 1 == head), after the previous job's
//   MSI-X step; payload = cq_entry_t of the job (RESULT the inline CRC crc_i[slot] for FLAGS.CRC
//   with success, else the result plus the bytes counted while the slot was not fin; SQ head,
//   SQ ID, CID, status code and phase), address = (CQ base + 16 * tail) >> 2; ev_o;
// - per queue, the tail and phase: wrapping at CQ_ENTRIES_M1 with the phase flipping, reset to
//   0 and 1 by an enable; the consumer sees every job's entry, in order, at its head with the
//   phase it expects, no entry it has not consumed overwritten, no stale entry taken for new;
// - MSI-X: after a job's CQ entry, exactly one message (unmasked vector, PBA clear, MSI-X
//   enabled, function unmasked, bus master) or one PBA set when the job has FLAGS.IRQ, its
//   queue IRQ_ENABLE and a vector < NumQueues, else nothing, before the next CQ entry; pending
//   vectors sent once they may be (lowest first, pba_clr_o with the message) when the oldest
//   job has nothing to do (the module's rule: not while it is done and waits for its CQ, nor in
//   its MSI-X step); no message to a masked vector or with MSI-X off, function masked or no bus
//   master;
// - bytes and failures: counted for slots holding a job that is not fin only (other owners,
//   free slots and fin slots ignored); a failure records status and address, kills (kill_o
//   exactly) and makes the slot fin;
// - slot_o, full_o, busy_o (a job or a pending vector that may be sent), queue_busy_o,
//   queue_full_o, and pull_pending_o / overlap_o (chk_i) against the model's slots;
// - dma_reset_i drops every job (and one added in that cycle): no CQ entry for them; rst_i (at
//   each seed's start and once in its middle, jobs in flight) too;
// - no hang: each seed drains (every job's CQ entry and MSI-X step out, every PBA bit sent,
//   every entry consumed) within 4000 cycles, and jobs added = retired + dropped.
// The bench keeps reg_free_i low while dma_reset_i, as the engine does (its reg_free).

`default_nettype none

module tb;
  import peerbar_pkg::*;
  import peerbar_wire_pkg::*;
  import peerbar_reg_pkg::*;

  localparam int B        = 12;
  localparam int NQ       = 4;
  localparam int NJ       = 8;
  localparam int OW       = 4;
  localparam int JW       = 3;
  localparam int QW       = 2;
  localparam int Cycles   = 300000;   // per seed (rst_i once in the middle), then the drain
  localparam int DrainMax = 4000;
  localparam int NSeeds   = 3;

  logic                     clk = 1'b0;
  logic                     rst = 1'b1;
  dma_queue_cfg_t [NQ-1:0]  cfg;
  logic [NQ-1:0]            rise;
  logic                     dma_reset, bus_master, msix_enable, msix_fmask;
  msix_vec_t [NQ-1:0]       msix;
  logic [NQ-1:0]            pba_q;       // the register file's PBA
  logic [NQ-1:0]            pba_set, pba_clr;
  logic [JW-1:0]            slot;
  logic                     full;
  logic                     add;
  logic [QW-1:0]            add_qid;
  logic [15:0]              add_cid, add_head;
  logic [7:0]               add_status;
  logic [31:0]              add_result;
  logic [63:0]              add_eaddr;
  logic                     add_irq, add_crc, add_fin, add_pull;
  logic [B:0]               add_lo, add_hi;
  logic                     chk;
  logic [B:0]               chk_lo, chk_hi;
  logic                     pull_pending, overlap;
  logic [OW-1:0]            bytes_owner;
  logic [12:0]              bytes;
  logic                     err_valid;
  logic [OW-1:0]            err_owner;
  logic [7:0]               err_status;
  logic [63:0]              err_addr;
  logic [NJ-1:0]            owner_busy, kill, crc_busy;
  logic [NJ-1:0][31:0]      crc;
  logic                     reg_free, block_cq;
  logic                     beat_valid;
  logic [61:0]              beat_addr;
  logic [2:0]               beat_dwc;
  logic [127:0]             beat_payload;
  logic                     beat_job;
  logic [QW-1:0]            beat_jq;
  dma_events_t              ev;
  logic                     busy;
  logic [NQ-1:0]            queue_busy, queue_full;

  peerbar_dma_retire #(
    .Bar2SizeLog2 (B),
    .NumQueues    (NQ),
    .NumJobs      (NJ),
    .OwnW         (OW)
  ) dut (
    .clk_i               (clk),
    .rst_i               (rst),
    .queue_cfg_i         (cfg),
    .queue_enable_rise_i (rise),
    .dma_reset_i         (dma_reset),
    .bus_master_i        (bus_master),
    .msix_enable_i       (msix_enable),
    .msix_fmask_i        (msix_fmask),
    .msix_i              (msix),
    .pba_i               (pba_q),
    .pba_set_o           (pba_set),
    .pba_clr_o           (pba_clr),
    .slot_o              (slot),
    .full_o              (full),
    .add_i               (add),
    .add_qid_i           (add_qid),
    .add_cid_i           (add_cid),
    .add_head_i          (add_head),
    .add_status_i        (add_status),
    .add_result_i        (add_result),
    .add_eaddr_i         (add_eaddr),
    .add_irq_i           (add_irq),
    .add_crc_i           (add_crc),
    .add_fin_i           (add_fin),
    .add_pull_i          (add_pull),
    .add_lo_i            (add_lo),
    .add_hi_i            (add_hi),
    .chk_i               (chk),
    .chk_lo_i            (chk_lo),
    .chk_hi_i            (chk_hi),
    .pull_pending_o      (pull_pending),
    .overlap_o           (overlap),
    .bytes_owner_i       (bytes_owner),
    .bytes_i             (bytes),
    .err_valid_i         (err_valid),
    .err_owner_i         (err_owner),
    .err_status_i        (err_status),
    .err_addr_i          (err_addr),
    .owner_busy_i        (owner_busy),
    .kill_o              (kill),
    .crc_busy_i          (crc_busy),
    .crc_i               (crc),
    .reg_free_i          (reg_free),
    .block_cq_i          (block_cq),
    .beat_valid_o        (beat_valid),
    .beat_addr_o         (beat_addr),
    .beat_dwc_o          (beat_dwc),
    .beat_payload_o      (beat_payload),
    .beat_job_o          (beat_job),
    .beat_jq_o           (beat_jq),
    .ev_o                (ev),
    .busy_o              (busy),
    .queue_busy_o        (queue_busy),
    .queue_full_o        (queue_full)
  );

  // The package's codes the bench does not use (UNUSEDPARAM otherwise).
  logic unused_pkg;
  assign unused_pkg = ^{OpNop, OpPull, OpPush, OpChecksum, FlagInterrupt, FlagCrc};

  // Everything below is the testbench's clock, model and scoreboard, not logic: blocking
  // assignments, int arithmetic mixed with the ports' widths (every value is in range by
  // construction) and int variables of which only the low bits matter are what it needs.
  /* verilator lint_off BLKSEQ */
  /* verilator lint_off WIDTH */
  /* verilator lint_off UNUSEDSIGNAL */
  always #5 clk = ~clk;

  // Deterministic generator (xorshift32).
  logic [31:0] rs = 32'h2545_F491;
  function automatic logic [31:0] rnd();
    rs = rs ^ (rs << 13);
    rs = rs ^ (rs >> 17);
    rs = rs ^ (rs << 5);
    return rs;
  endfunction
  function automatic int urange(input int n);  // 0..n-1
    return int'(rnd() % n);
  endfunction
  function automatic logic [31:0] seed_of(input int i);
    return 32'h2545_F491 ^ (i * 32'h9E37_79B9);
  endfunction

  // --- The model ---------------------------------------------------------------------------
  // A slot's job as the module must hold it.
  typedef struct packed {
    logic [31:0]   id;
    logic [QW-1:0] qid;
    logic [15:0]   cid;
    logic [15:0]   head;
    logic [7:0]    status;
    logic [31:0]   result;
    logic [63:0]   eaddr;
    logic          irq;
    logic          crc;
    logic          fin;
    logic          pull;
    logic [B:0]    lo;
    logic [B:0]    hi;
  } job_t;

  job_t        s [NJ];
  int          s_busy_end [NJ];    // owner_busy_i of the slot's job until this cycle
  int          s_crc_end [NJ];     // crc_busy_i likewise
  int          m_jw, m_jr;         // ring pointers, mod 2 * NJ
  bit          m_irq;              // the oldest job's CQ entry is out, its MSI-X step next
  bit          m_hold;             // the oldest slot waits this cycle (its queue a cycle old)
  logic [15:0] m_tail [NQ];
  bit          m_phase [NQ];
  bit          m_fresh [NQ];       // the queue's tail did not change last cycle
  bit          m_full [NQ];        // tail + 1 == head, of last cycle's values
  logic [15:0] h_prev [NQ];        // last cycle's head doorbell
  logic [NQ-1:0] pba_n;            // the PBA after this cycle

  // Software: a consumer per queue, the CQ rings in host memory (key q * 65536 + index).
  logic [15:0]  c_head [NQ];
  bit           c_phase [NQ];
  int           c_rate [NQ];       // percent of cycles it looks at its CQ
  int           wq [NQ][$];        // ids of the entries written, not consumed, in order
  bit           hm_ph [int];       // the entry's phase tag
  int           hm_id [int];
  bit           hm_unc [int];      // written, not consumed yet

  // Stimulus knobs (new_mood) and state.
  int          p_add, p_free, p_block, busy_max, crc_max, p_err, p_bytes;
  bit          draining;
  int          now, si, next_id;

  // Statistics
  int          n_jobs, n_cq, n_retired, n_dropped, n_dropped_rst, n_dropped_out, n_resets;
  int          n_rises, n_rise_hot, n_reconf, n_wraps, n_msg, n_pba_set, n_pba_clr, n_noirq;
  int          n_fail, n_err_ignored, n_crc_res, n_full_cycles, n_block_held, n_consumed;
  int          n_hold_ready, n_stale_ready, n_pend_blocked, n_overlap, n_pp, n_bytes_counted;
  int          n_msg_waited, n_big_wrap;
  int          pb_run, pb_max, pb_max_end, pb_max_q, pb_max_v;  // longest pending-vector wait

  function automatic int cnt();
    return (m_jw - m_jr) & (2 * NJ - 1);
  endfunction
  function automatic bit inr(input int j);
    return ((j - m_jr) & (NJ - 1)) < cnt();
  endfunction
  function automatic logic [15:0] nxt(input logic [15:0] t, input logic [15:0] m1);
    return (t == m1) ? 16'd0 : t + 16'd1;
  endfunction
  function automatic int pick(input int a, input int b, input int c, input int d);
    int x;
    x = urange(4);
    return (x == 0) ? a : (x == 1) ? b : (x == 2) ? c : d;
  endfunction
  // CQ_ENTRIES_M1: mostly 1..15 (2..16 entries), a few larger, rarely the largest.
  function automatic logic [15:0] pick_size();
    int x;
    x = urange(100);
    if (x < 30) return 16'd1;
    if (x < 50) return 16'd2;
    if (x < 85) return 16'(3 + urange(13));
    if (x < 98) return 16'(16 + urange(200));
    return 16'hFFFF;
  endfunction
  function automatic logic [7:0] pick_err();
    int x;
    x = urange(6);
    return (x == 0) ? StUr : (x == 1) ? StCa : (x == 2) ? StPoisoned : (x == 3) ? StTimeout :
           (x == 4) ? StBadCompletion : 8'(rnd());
  endfunction
  function automatic logic [7:0] pick_status();
    int x;
    if (urange(4) != 0) return StSuccess;
    x = urange(9);
    return (x == 0) ? StInvalidOpcode : (x == 1) ? StSglSegment : (x == 2) ? StSglCount :
           (x == 3) ? StSglLength : (x == 4) ? StSglType : (x == 5) ? StBarRange :
           (x == 6) ? StSglLimit : (x == 7) ? pick_err() : 8'(rnd());
  endfunction

  // The CQ entry and events of the oldest job, written this cycle.
  function automatic cq_entry_t cqe_of(input job_t j, input logic [31:0] c, input bit ph);
    cq_entry_t e;
    e         = '0;
    e.result  = (j.crc && j.status == StSuccess) ? c : j.result;
    e.sq_head = j.head;
    e.sq_id   = 16'(j.qid);
    e.cid     = j.cid;
    e.status  = {7'd0, j.status, ph};
    return e;
  endfunction
  function automatic dma_events_t ev_of(input job_t j);
    dma_events_t e;
    e               = '0;
    e.job_done      = 1'b1;
    e.job_status    = j.status;
    e.err_sgl       = j.status inside {StSglSegment, StSglCount, StSglLength, StSglType,
                                       StSglLimit};
    e.err_bar_range = j.status == StBarRange;
    e.log_valid     = j.status != StSuccess;
    e.log_cid       = j.cid;
    e.log_status    = j.status;
    e.log_queue     = DMA_ERROR_LOG_QUEUE_WIDTH'(j.qid);
    e.log_addr      = j.eaddr;
    return e;
  endfunction

  task automatic hm_clear(input int q);
    int keys[$];
    keys = {};  // a task's locals are not reset between calls here
    foreach (hm_id[k]) begin
      if (k / 65536 == q) keys.push_back(k);
    end
    foreach (keys[i]) begin
      hm_ph.delete(keys[i]);
      hm_id.delete(keys[i]);
      hm_unc.delete(keys[i]);
    end
    wq[q] = {};
    c_head[q]  = '0;
    c_phase[q] = 1'b1;
  endtask

  // Software reads its CQ: the entry at its head, if its phase tag is the one it expects.
  task automatic consume(input int q);
    int  k;
    bit  have;
    k    = q * 65536 + c_head[q];
    have = 1'b0;
    if (hm_ph.exists(k)) have = hm_ph[k] == c_phase[q];
    if (wq[q].size() == 0) begin
      if (have) begin
        $fatal(1, "FAIL cycle %0d: queue %0d: the entry at head %0d (of job %0d) has phase %0d, software's, but every entry written was consumed",
               now, q, c_head[q], hm_id[k], c_phase[q]);
      end
      return;
    end
    if (!have) begin
      $fatal(1, "FAIL cycle %0d: queue %0d: job %0d's CQ entry is not at head %0d with phase %0d",
             now, q, wq[q][0], c_head[q], c_phase[q]);
    end
    if (hm_id[k] != wq[q][0]) begin
      $fatal(1, "FAIL cycle %0d: queue %0d: at head %0d job %0d's entry, job %0d's expected",
             now, q, c_head[q], hm_id[k], wq[q][0]);
    end
    void'(wq[q].pop_front());
    hm_unc[k] = 1'b0;
    n_consumed++;
    c_head[q] = nxt(c_head[q], cfg[q].cq_size_m1);
    if (c_head[q] == '0) c_phase[q] = !c_phase[q];
    cfg[q].cq_head = c_head[q];
  endtask

  task automatic new_mood();
    p_add    = pick(1, 8, 30, 90);
    p_free   = pick(25, 50, 85, 100);
    p_block  = pick(0, 0, 3, 15);
    busy_max = pick(0, 3, 15, 60);
    crc_max  = pick(0, 3, 10, 40);
    p_err    = pick(0, 5, 20, 80);      // per mille
    p_bytes  = pick(0, 30, 60, 90);
    for (int q = 0; q < NQ; q++) c_rate[q] = (urange(5) == 0) ? pick(0, 1, 3, 10) : pick(30, 60, 100, 100);
    if (urange(5) == 0) begin
      for (int v = 0; v < NQ; v++) msix[v].mask = urange(2);
    end
  endtask

  task automatic init_cfg();
    for (int q = 0; q < NQ; q++) begin
      cfg[q]             = '0;
      cfg[q].sq_base     = {rnd(), rnd()};
      cfg[q].cq_base     = {rnd(), rnd() & 32'hFFFF_FFF0};
      cfg[q].sq_size_m1  = rnd();
      cfg[q].cq_size_m1  = pick_size();
      cfg[q].enable      = 1'b1;
      cfg[q].irq_enable  = urange(4) != 0;
      cfg[q].msix_vector = urange(NQ);
      cfg[q].sq_tail     = rnd();
      cfg[q].cq_head     = '0;
      msix[q].addr       = {rnd(), rnd()};
      msix[q].data       = rnd();
      msix[q].mask       = urange(3) == 0;
    end
    msix_enable = 1'b1;
    msix_fmask  = 1'b0;
    bus_master  = 1'b1;
  endtask

  // This cycle's inputs (at the falling edge): the model's state is that after the last edge.
  task automatic drive_inputs();
    int c, rh, q, v, j;
    c     = cnt();
    rh    = m_jr & (NJ - 1);
    pba_q = pba_n;
    if (rst) begin
      for (q = 0; q < NQ; q++) cfg[q].cq_head = '0;
    end
    if (!draining && !rst && now % 1000 == 0) new_mood();

    // Rare: DMA_CONTROL.RESET; a queue enabled (its CQ registers rewritten if it has no job in
    // a slot, as software does after QUEUE_STATUS.BUSY falls), more often the oldest job's.
    dma_reset = 1'b0;
    rise      = '0;
    if (!draining && !rst) begin
      dma_reset = urange(m_irq ? 200 : 5000) == 0;
      if (urange(600) == 0) begin
        bit qb;
        q  = (c != 0 && urange(3) != 0) ? int'(s[rh].qid) : urange(NQ);
        qb = 1'b0;
        for (j = 0; j < NJ; j++) if (inr(j) && s[j].qid == q) qb = 1'b1;
        rise[q] = 1'b1;
        if (!qb && urange(10) < 7) begin
          cfg[q].cq_base    = {rnd(), rnd() & 32'hFFFF_FFF0};
          cfg[q].cq_size_m1 = pick_size();
          n_reconf++;
        end
        cfg[q].cq_head = '0;
        if (c != 0 && s[rh].qid == q && !m_irq) n_rise_hot++;
      end
    end

    // Software consumes at its rates.
    for (q = 0; q < NQ; q++) begin
      if (!rst && !rise[q] && urange(100) < c_rate[q]) consume(q);
    end

    // MSI-X and queue interrupt settings change now and then.
    if (!draining && !rst) begin
      if (urange(600) == 0) begin
        v = urange(NQ);
        msix[v].mask = urange(3) == 0;
      end
      if (urange(1500) == 0) msix_enable = urange(4) != 0;
      if (urange(1500) == 0) msix_fmask = urange(4) == 0;
      if (urange(1500) == 0) bus_master = urange(5) != 0;
      if (urange(1000) == 0) begin
        v = urange(NQ);
        msix[v].addr = {rnd(), rnd()};
        msix[v].data = rnd();
      end
      if (urange(400) == 0) begin
        q = urange(NQ);
        cfg[q].irq_enable = urange(4) != 0;
      end
      if (urange(400) == 0) begin
        q = urange(NQ);
        cfg[q].msix_vector = (urange(8) == 0) ? 5'(NQ + urange(32 - NQ)) : 5'(urange(NQ));
      end
    end

    // A job (garbage in the fields otherwise).
    add        = !rst && !draining && c < NJ && urange(100) < p_add;
    add_qid    = urange(NQ);
    add_cid    = rnd();
    add_head   = rnd();
    add_status = pick_status();
    add_result = (urange(3) == 0) ? rnd() : urange(5000);
    add_eaddr  = {rnd(), rnd()};
    add_irq    = urange(3) != 0;
    add_crc    = urange(3) == 0;
    add_fin    = urange(3) == 0;
    add_pull   = urange(2);
    add_lo     = urange(1 << B);
    add_hi     = add_lo + 1 + urange(((1 << B) - add_lo < 700) ? (1 << B) - add_lo : 700);

    // The slots' reads and CRCs: busy for a while after the job is added; random for free slots.
    for (j = 0; j < NJ; j++) begin
      if (inr(j)) begin
        owner_busy[j] = now < s_busy_end[j];
        crc_busy[j]   = now < s_crc_end[j];
      end else begin
        owner_busy[j] = urange(2);
        crc_busy[j]   = urange(2);
      end
      crc[j] = rnd();
    end
    bytes_owner = (c != 0 && urange(4) != 0) ? (m_jr + urange(c)) & (NJ - 1) : urange(1 << OW);
    bytes       = (urange(100) < p_bytes) ? ((urange(20) == 0) ? 13'h1FFF : 13'(urange(4097))) :
                  13'd0;
    err_valid   = !rst && urange(1000) < p_err;
    err_owner   = (c != 0 && urange(4) != 0) ? (m_jr + urange(c)) & (NJ - 1) : urange(1 << OW);
    err_status  = pick_err();
    err_addr    = {rnd(), rnd()};

    reg_free = urange(100) < p_free && !dma_reset;
    block_cq = urange(100) < p_block;
    chk      = urange(2);
    chk_lo   = urange(1 << B);
    chk_hi   = chk_lo + 1 + urange(((1 << B) - chk_lo < 700) ? (1 << B) - chk_lo : 700);
  endtask

  // After the inputs settled: check this cycle's outputs, then the model takes the clock edge.
  task automatic step();
    int          c, rh, q, v, pv, nd;
    bit          any, has, done, ok, pend_valid, want, now_ok, cq_go, irq_go, pend_go, adv;
    bit          pp, ov;
    logic [4:0]  vec;
    logic [NQ-1:0] e_set, e_clr, e_qbusy, e_qfull;
    logic [NJ-1:0] e_kill;
    logic [15:0] nx;
    logic [63:0] a64;
    cq_entry_t   e;
    dma_events_t e_ev;
    int          jr_n, jw_n;
    bit          irq_n;
    logic [15:0] t_pre [NQ];

    if (rst) begin
      for (q = 0; q < NQ; q++) begin
        m_full[q]  = nxt(m_tail[q], cfg[q].cq_size_m1) == cfg[q].cq_head;
        h_prev[q]  = cfg[q].cq_head;
        m_tail[q]  = '0;
        m_phase[q] = 1'b1;
        m_fresh[q] = 1'b0;
        hm_clear(q);
      end
      n_dropped_rst += cnt();
      if (m_irq && cnt() != 0) n_dropped_out++;
      for (int j = 0; j < NJ; j++) s[j] = '0;
      m_jw   = 0;
      m_jr   = 0;
      m_irq  = 1'b0;
      m_hold = 1'b1;
      pba_n  = '0;
      return;
    end

    c    = cnt();
    any  = c != 0;
    rh   = m_jr & (NJ - 1);
    has  = any && !m_hold;
    q    = s[rh].qid;
    done = (s[rh].fin || !owner_busy[rh]) && !crc_busy[rh];
    ok   = msix_enable && !msix_fmask && bus_master;
    pend_valid = 1'b0;
    pv         = 0;
    for (int i = NQ - 1; i >= 0; i--) begin
      if (pba_q[i] && !msix[i].mask && ok) begin
        pend_valid = 1'b1;
        pv         = i;
      end
    end
    vec    = cfg[q].msix_vector;
    want   = s[rh].irq && cfg[q].irq_enable && vec < NQ;
    now_ok = ok && !msix[vec[QW-1:0]].mask && !pba_q[vec[QW-1:0]];
    cq_go  = has && !m_irq && done && !m_full[q] && m_fresh[q] && reg_free && !block_cq;
    irq_go = has && m_irq && want && now_ok && reg_free;
    pend_go = !(has && (m_irq || (done && !m_full[q]))) && pend_valid && reg_free;
    e_set  = '0;
    e_clr  = '0;
    adv    = 1'b0;
    if (has && m_irq) begin
      if (!want) begin
        adv = 1'b1;
      end else if (!now_ok) begin
        e_set[vec[QW-1:0]] = 1'b1;
        adv = 1'b1;
      end else if (irq_go) begin
        adv = 1'b1;
      end
    end
    if (pend_go) e_clr[pv] = 1'b1;

    // Status outputs.
    if (slot !== JW'(m_jw) || full !== (c == NJ)) begin
      $fatal(1, "FAIL cycle %0d: slot_o %0d full_o %0d, model slot %0d with %0d jobs", now, slot,
             full, m_jw & (NJ - 1), c);
    end
    e_qbusy = '0;
    for (int j = 0; j < NJ; j++) if (inr(j)) e_qbusy[s[j].qid] = 1'b1;
    e_qfull = '0;
    if (has && !m_irq && done && m_full[q]) e_qfull[q] = 1'b1;
    if (busy !== (any || pend_valid) || queue_busy !== e_qbusy || queue_full !== e_qfull) begin
      $fatal(1, "FAIL cycle %0d: busy_o %0d queue_busy_o %b queue_full_o %b, expected %0d %b %b (%0d jobs, pending vector %0d)",
             now, busy, queue_busy, queue_full, any || pend_valid, e_qbusy, e_qfull, c,
             pend_valid);
    end
    if (e_qfull != '0) n_full_cycles++;

    // The order check: earlier PULLs still writing, and one overlapping [chk_lo, chk_hi).
    pp = 1'b0;
    ov = 1'b0;
    for (int j = 0; j < NJ; j++) begin
      if (chk && inr(j) && s[j].pull && !s[j].fin) begin
        pp = 1'b1;
        if (((s[j].lo > chk_lo) ? s[j].lo : chk_lo) < ((s[j].hi < chk_hi) ? s[j].hi : chk_hi)) begin
          ov = 1'b1;
        end
      end
    end
    if (pull_pending !== pp || overlap !== ov) begin
      $fatal(1, "FAIL cycle %0d: chk %0d [%0d, %0d): pull_pending_o %0d overlap_o %0d, expected %0d %0d",
             now, chk, chk_lo, chk_hi, pull_pending, overlap, pp, ov);
    end
    n_pp += pp;
    n_overlap += ov;

    // Kills: a failure of a slot holding a job not fin.
    e_kill = '0;
    for (int j = 0; j < NJ; j++) begin
      if (err_valid && err_owner == j && inr(j) && !s[j].fin) e_kill[j] = 1'b1;
    end
    if (kill !== e_kill) begin
      $fatal(1, "FAIL cycle %0d: kill_o %b, expected %b (err owner %0d)", now, kill, e_kill,
             err_owner);
    end
    if (err_valid && e_kill == '0) n_err_ignored++;

    // The beat, against the contract.
    if (beat_valid && !reg_free) $fatal(1, "FAIL cycle %0d: a beat with reg_free_i low", now);
    if (beat_valid && beat_dwc != 3'd4 && beat_dwc != 3'd1) begin
      $fatal(1, "FAIL cycle %0d: a beat of %0d DWORDs", now, beat_dwc);
    end
    if (beat_valid && beat_dwc == 3'd4) begin
      if (!any) $fatal(1, "FAIL cycle %0d: a CQ entry with no job in a slot", now);
      if (m_irq) begin
        $fatal(1, "FAIL cycle %0d: a CQ entry before job %0d's MSI-X step (its entry is out)",
               now, s[rh].id);
      end
      if (!done) begin
        $fatal(1, "FAIL cycle %0d: job %0d's CQ entry before it is done (slot %0d fin %0d owner busy %0d CRC busy %0d)",
               now, s[rh].id, rh, s[rh].fin, owner_busy[rh], crc_busy[rh]);
      end
      if (block_cq) $fatal(1, "FAIL cycle %0d: a CQ entry under block_cq_i", now);
      nx = nxt(m_tail[q], cfg[q].cq_size_m1);
      if (nx == h_prev[q] || (!rise[q] && nx == cfg[q].cq_head)) begin
        $fatal(1, "FAIL cycle %0d: job %0d's CQ entry to queue %0d's full CQ (tail %0d of %0d entries, head %0d, last cycle %0d)",
               now, s[rh].id, q, m_tail[q], cfg[q].cq_size_m1 + 1, cfg[q].cq_head, h_prev[q]);
      end
      e   = cqe_of(s[rh], crc[rh], m_phase[q]);
      a64 = {cfg[q].cq_base[63:4], 4'd0} + {44'd0, m_tail[q], 4'd0};
      if (beat_addr !== a64[63:2] || beat_payload !== 128'(e) || beat_job !== 1'b1 ||
          beat_jq !== QW'(q)) begin
        $fatal(1, "FAIL cycle %0d: job %0d (slot %0d) queue %0d tail %0d phase %0d: CQ entry %h at %h (job %0d queue %0d), expected %h at %h (crc %0d status %h result %h crc_i %h)",
               now, s[rh].id, rh, q, m_tail[q], m_phase[q], beat_payload, beat_addr, beat_job,
               beat_jq, 128'(e), a64[63:2], s[rh].crc, s[rh].status, s[rh].result, crc[rh]);
      end
    end
    if (beat_valid && beat_dwc == 3'd1) begin
      if (!ok) begin
        $fatal(1, "FAIL cycle %0d: an MSI-X message with MSI-X enable %0d function mask %0d bus master %0d",
               now, msix_enable, msix_fmask, bus_master);
      end
      if (pba_clr != '0) begin
        // A pending vector's message.
        v = 0;
        for (int i = 0; i < NQ; i++) if (pba_clr[i]) v = i;
        if ($countones(pba_clr) != 1 || !pba_q[v] || msix[v].mask || beat_job !== 1'b0) begin
          $fatal(1, "FAIL cycle %0d: pending message, pba_clr_o %b, PBA %b, masks %b%b%b%b, beat_job_o %0d",
                 now, pba_clr, pba_q, msix[3].mask, msix[2].mask, msix[1].mask, msix[0].mask,
                 beat_job);
        end
      end else begin
        // The oldest job's.
        if (!(has && m_irq && want)) begin
          $fatal(1, "FAIL cycle %0d: an MSI-X message no job asks for (oldest job %0d, its entry out %0d, wants one %0d)",
                 now, s[rh].id, m_irq, want);
        end
        v = vec[QW-1:0];
        if (msix[v].mask || pba_q[v] || beat_job !== 1'b1 || beat_jq !== QW'(q)) begin
          $fatal(1, "FAIL cycle %0d: job %0d's message to vector %0d, masked %0d pending %0d (beat_job_o %0d beat_jq_o %0d)",
                 now, s[rh].id, v, msix[v].mask, pba_q[v], beat_job, beat_jq);
        end
      end
      if (beat_addr !== msix[v].addr[63:2] || beat_payload !== 128'(msix[v].data)) begin
        $fatal(1, "FAIL cycle %0d: vector %0d's message %h at %h, expected %h at %h", now, v,
               beat_payload, beat_addr, msix[v].data, msix[v].addr[63:2]);
      end
    end

    // The beat and PBA writes in exactly the cycle the model says.
    if (beat_valid !== (cq_go || irq_go || pend_go) ||
        (beat_valid && beat_dwc != (cq_go ? 3'd4 : 3'd1)) || pba_set !== e_set ||
        pba_clr !== e_clr) begin
      $fatal(1, "FAIL cycle %0d: beat_valid_o %0d dwc %0d pba_set_o %b pba_clr_o %b; expected CQ entry %0d MSI-X %0d pending %0d pba set %b clr %b (jobs %0d, oldest job %0d slot %0d queue %0d, waits %0d, entry out %0d, done %0d, CQ full %0d fresh %0d, reg_free %0d block %0d, vector %0d wanted %0d may send %0d, PBA %b)",
             now, beat_valid, beat_dwc, pba_set, pba_clr, cq_go, irq_go, pend_go, e_set, e_clr,
             c, s[rh].id, rh, q, m_hold, m_irq, done, m_full[q], m_fresh[q], reg_free, block_cq,
             vec, want, now_ok, pba_q);
    end
    e_ev = cq_go ? ev_of(s[rh]) : '0;
    if (ev !== e_ev) $fatal(1, "FAIL cycle %0d: ev_o %h, expected %h", now, ev, e_ev);

    // Coverage of the waits.
    if (any && m_hold && !m_irq && done && reg_free && !block_cq) n_hold_ready++;
    if (has && !m_irq && done && !m_fresh[q] && reg_free && !block_cq) n_stale_ready++;
    if (has && !m_irq && done && !m_full[q] && !cq_go && pend_valid) begin
      n_pend_blocked += reg_free;
      pb_run++;
      if (pb_run > pb_max) begin
        pb_max     = pb_run;
        pb_max_end = now;
        pb_max_q   = q;
        pb_max_v   = pv;
      end
    end else begin
      pb_run = 0;
    end
    if (has && !m_irq && done && block_cq && !m_full[q] && m_fresh[q] && reg_free) n_block_held++;
    if (has && m_irq && want && now_ok && !reg_free) n_msg_waited++;

    // --- The clock edge ---
    for (int i = 0; i < NQ; i++) t_pre[i] = m_tail[i];
    jr_n  = m_jr;
    jw_n  = m_jw;
    irq_n = m_irq;
    if (cq_go) begin
      int k;
      k = q * 65536 + m_tail[q];
      if (hm_unc.exists(k) && hm_unc[k]) begin
        $fatal(1, "FAIL cycle %0d: job %0d's CQ entry overwrites job %0d's, not consumed (queue %0d index %0d)",
               now, s[rh].id, hm_id[k], q, m_tail[q]);
      end
      hm_ph[k]   = e.status[0];
      hm_id[k]   = s[rh].id;
      hm_unc[k]  = 1'b1;
      wq[q].push_back(s[rh].id);
      n_cq++;
      if (s[rh].crc && s[rh].status == StSuccess) n_crc_res++;
      m_tail[q] = nxt(m_tail[q], cfg[q].cq_size_m1);
      if (m_tail[q] == '0) begin
        m_phase[q] = !m_phase[q];
        n_wraps++;
        if (cfg[q].cq_size_m1 == 16'hFFFF) n_big_wrap++;
      end
      irq_n = 1'b1;
    end
    if (adv) begin
      jr_n  = m_jr + 1;
      irq_n = 1'b0;
      n_retired++;
      if (!want) n_noirq++;
      else if (!now_ok) n_pba_set++;
      else n_msg++;
    end
    if (pend_go) n_pba_clr++;
    pba_n = (pba_q | pba_set) & ~pba_clr;

    // Bytes and failures of slots holding a job that is not fin.
    for (int j = 0; j < NJ; j++) begin
      if (inr(j) && !s[j].fin) begin
        if (bytes_owner == j) begin
          s[j].result = s[j].result + 32'(bytes);
          if (bytes != 0) n_bytes_counted++;
        end
        if (err_valid && err_owner == j) begin
          s[j].status = err_status;
          s[j].eaddr  = err_addr;
          s[j].fin    = 1'b1;
          n_fail++;
        end
      end
    end

    if (add) begin
      int j;
      j = m_jw & (NJ - 1);
      s[j] = '{id: next_id, qid: add_qid, cid: add_cid, head: add_head, status: add_status,
               result: add_result, eaddr: add_eaddr, irq: add_irq, crc: add_crc, fin: add_fin,
               pull: add_pull, lo: add_lo, hi: add_hi};
      s_busy_end[j] = now + 1 + urange(busy_max + 1) + ((urange(30) == 0) ? 200 : 0);
      s_crc_end[j]  = now + 1 + (add_crc ? urange(crc_max + 1) : urange(2));
      next_id++;
      n_jobs++;
      jw_n = m_jw + 1;
    end

    for (int i = 0; i < NQ; i++) begin
      if (rise[i]) begin
        m_tail[i]  = '0;
        m_phase[i] = 1'b1;
        hm_clear(i);
        n_rises++;
      end
    end

    if (dma_reset) begin
      nd = (jw_n - jr_n) & (2 * NJ - 1);
      n_dropped += nd;
      if (irq_n && nd != 0) n_dropped_out++;
      jr_n  = jw_n;
      irq_n = 1'b0;
      n_resets++;
    end

    for (int i = 0; i < NQ; i++) begin
      m_full[i]  = nxt(t_pre[i], cfg[i].cq_size_m1) == cfg[i].cq_head;
      m_fresh[i] = !(cq_go && i == q) && !rise[i];
      h_prev[i]  = cfg[i].cq_head;
    end
    m_hold = ((jr_n & (2 * NJ - 1)) != m_jr) || (add && c == 0);
    m_jr   = jr_n & (2 * NJ - 1);
    m_jw   = jw_n & (2 * NJ - 1);
    m_irq  = irq_n;
  endtask

  task automatic cycle();
    @(negedge clk);
    now++;
    drive_inputs();
    #1;
    step();
  endtask

  bit drained;
  initial begin
    now = 0;
    next_id = 0;
    pb_run = 0;
    pb_max = 0;
    draining = 1'b0;
    for (int q = 0; q < NQ; q++) begin
      m_tail[q]  = '0;
      m_phase[q] = 1'b1;
      m_fresh[q] = 1'b0;
      m_full[q]  = 1'b0;
      h_prev[q]  = '0;
      c_rate[q]  = 0;
    end
    m_jw = 0;
    m_jr = 0;
    pba_n = '0;
    for (si = 0; si < NSeeds; si++) begin
      rs = seed_of(si);
      init_cfg();
      new_mood();
      draining = 1'b0;
      rst = 1'b1;
      repeat (3) cycle();
      rst = 1'b0;
      repeat (Cycles / 2) cycle();
      // rst_i with jobs in flight: the module and the register file start over.
      rst = 1'b1;
      repeat (2) cycle();
      rst = 1'b0;
      repeat (Cycles / 2) cycle();

      // Drain: no new jobs, every vector unmasked and MSI-X on, software keeps up.
      draining = 1'b1;
      p_block  = 0;
      p_free   = 80;
      p_err    = 10;
      for (int q = 0; q < NQ; q++) begin
        c_rate[q] = 60;
        msix[q].mask = 1'b0;
      end
      msix_enable = 1'b1;
      msix_fmask  = 1'b0;
      bus_master  = 1'b1;
      drained = 1'b0;
      for (int i = 0; i < DrainMax && !drained; i++) begin
        cycle();
        drained = cnt() == 0 && !m_irq && pba_n == '0 && !busy;
        for (int q = 0; q < NQ; q++) if (wq[q].size() != 0) drained = 1'b0;
      end
      if (!drained) begin
        $fatal(1, "FAIL cycle %0d: seed %0d does not drain in %0d cycles: %0d jobs (oldest %0d, queue %0d, entry out %0d), PBA %b, busy_o %0d",
               now, si, DrainMax, cnt(), s[m_jr & (NJ - 1)].id, s[m_jr & (NJ - 1)].qid, m_irq,
               pba_n, busy);
      end
    end

    if (n_jobs != n_retired + n_dropped + n_dropped_rst ||
        n_cq != n_retired + n_dropped_out) begin
      $fatal(1, "FAIL: %0d jobs added, %0d retired, %0d dropped by DMA reset (%0d after their CQ entry), %0d by rst_i, %0d CQ entries",
             n_jobs, n_retired, n_dropped, n_dropped_out, n_dropped_rst, n_cq);
    end
    if (n_wraps == 0 || n_rise_hot == 0 || n_pba_set == 0 || n_pba_clr == 0 || n_msg == 0 ||
        n_fail == 0 || n_full_cycles == 0 || n_hold_ready == 0 || n_stale_ready == 0 ||
        n_dropped == 0 || n_dropped_out == 0 || n_dropped_rst == 0 || n_crc_res == 0 ||
        n_overlap == 0 || n_block_held == 0) begin
      $fatal(1, "FAIL coverage: wraps %0d, enables of the oldest job's queue %0d, PBA sets %0d, pending messages %0d, messages %0d, failures %0d, CQ full cycles %0d, hold cycles %0d, stale-queue cycles %0d, dropped %0d (%0d after their CQ entry, %0d by rst_i), CRC results %0d, overlaps %0d, block_cq_i holds %0d",
             n_wraps, n_rise_hot, n_pba_set, n_pba_clr, n_msg, n_fail, n_full_cycles,
             n_hold_ready, n_stale_ready, n_dropped, n_dropped_out, n_dropped_rst, n_crc_res,
             n_overlap, n_block_held);
    end
    $display("waits: %0d cycles a ready oldest job waited its slot's hold cycle, %0d its queue's stale cycle, %0d held by block_cq_i, %0d CQ-full cycles, %0d MSI-X messages waited for reg_free_i, %0d cycles (with reg_free_i) a vector that may be sent waited behind a done oldest job, longest %0d cycles (to cycle %0d, vector %0d behind queue %0d's CQ)",
             n_hold_ready, n_stale_ready, n_block_held, n_full_cycles, n_msg_waited,
             n_pend_blocked, pb_max, pb_max_end, pb_max_v, pb_max_q);
    $display("PASS dma_retire: %0d jobs, %0d CQ entries (%0d wraps, %0d of a 65536-entry CQ; %0d consumed), %0d retired, %0d dropped by %0d DMA resets (%0d after their CQ entry), %0d by rst_i; %0d MSI-X messages, %0d PBA sets, %0d pending messages (PBA clears), %0d jobs without one; %0d failures (%0d errors ignored), %0d byte counts, %0d CRC results; %0d queue enables (%0d reconfigured, %0d of the oldest job's queue); order check: %0d pull pending, %0d overlap; %0d seeds, %0d cycles",
             n_jobs, n_cq, n_wraps, n_big_wrap, n_consumed, n_retired, n_dropped, n_resets,
             n_dropped_out, n_dropped_rst, n_msg, n_pba_set, n_pba_clr, n_noirq, n_fail,
             n_err_ignored, n_bytes_counted, n_crc_res, n_rises, n_reconf, n_rise_hot, n_pp,
             n_overlap, NSeeds, now);
    $finish;
  end
  /* verilator lint_on UNUSEDSIGNAL */
  /* verilator lint_on WIDTH */
  /* verilator lint_on BLKSEQ */

endmodule

`default_nettype wire
