// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_dma_sq_fetch: the DMA engine's queue scheduler and SQ read-ahead (contract:
// docs/dma-engine.md, "Job order" and "Queue arbitration").
//
// Keeps, per queue, the SQ head (the next entry the job unit takes: QUEUE_SQ_HEAD) and the fetch
// pointer (the next entry to read), and reads SQ entries ahead into a FIFO of SqSlots 64-byte
// slots: up to SqSlots entries per MemRd (MRRS, 4 KiB, the ring's end and the tail permitting,
// never across the slot ring's end, so that the bytes land in consecutive slots), two reads in
// flight at most, queues taken round robin per read. The entries' bytes land in the engine's
// fetch buffer (region 1, slot s at byte 64 s) through peerbar_dma_rc; this unit only tracks
// which slot holds which queue's entry and whether it has arrived or its read failed.
//
// The read is prepared in register stages, so that no path goes from the queue registers through
// the queue choice, the read's size and the engine's beat register arbitration in one cycle:
// 1. pick: a queue with entries to fetch (q_ready_q), round robin after the last one read (pk_q);
// 2. the picked queue's limits: the read's address and the entries the queue, 4 KiB and MRRS
//    allow (lm_*_q);
// 3. the read: its entries within the FIFO's room, and the queue's next fetch pointer (sc_*_q);
// 4. the read is offered (rd_want_o) and goes out when the engine takes it (rd_go_i).
// Whatever the stages worked from changes only when a read goes out or the FIFO is refetched
// (then the stages start again), or in the direction that makes the read they prepared still
// right but possibly smaller than it could be (more entries written by software, slots freed by
// the job unit). So an SQ read goes out at most every four cycles.
//
// Refetch (flush_o): the FIFO is emptied, its reads are killed (their tags stay with
// peerbar_dma_rc's rules) and every queue is fetched again from its SQ head, whenever a queue is
// enabled or disabled (software, DMA_CONTROL.RESET, a ring fault) and on DMA_CONTROL.RESET
// itself, so that no job is lost or run twice. A failed read fails its entries in turn (the job
// unit stops their queue: ring_fault_i) and holds further reads until that refetch.

`default_nettype none

module peerbar_dma_sq_fetch
  import peerbar_pkg::*;
  import peerbar_wire_pkg::*;
#(
  // Number of queue pairs (4..16).
  parameter int unsigned NumQueues = 4,
  // FIFO slots (a power of two, 2..32).
  parameter int unsigned SqSlots = 8,
  // Queue index width (derived, do not override).
  localparam int unsigned QW = $clog2(NumQueues),
  // FIFO slot index width (derived, do not override).
  localparam int unsigned SW = $clog2(SqSlots)
) (
  input  wire logic                         clk_i,
  input  wire logic                         rst_i,

  input  wire dma_queue_cfg_t [NumQueues-1:0] queue_cfg_i,
  input  wire logic [NumQueues-1:0]         queue_enable_rise_i,
  input  wire logic [6:0]                   mrrs_entries_i,  // Max_Read_Request_Size / 64
  input  wire logic                         run_i,           // reads may go out (enabled, bus master)
  input  wire logic                         dma_reset_i,     // DMA_CONTROL.RESET
  input  wire logic                         ring_fault_i,    // the job unit stops a queue
  output      logic                         flush_o,         // refetch this cycle
  output      logic [NumQueues-1:0][SqIdxW-1:0] sq_head_o,
  output      logic                         reads_busy_o,    // an SQ read is in flight
  output      logic                         work_o,          // entries to fetch or in the FIFO

  // The read, offered to the engine's beat register: rd_n_o entries of rd_qid_o at rd_addr_o,
  // landing in FIFO slots from rd_slot_o, under SQ read rd_id_o (read owner NumJobs + rd_id_o).
  output      logic                         rd_want_o,
  input  wire logic                         rd_go_i,
  output      logic [QW-1:0]                rd_qid_o,
  output      logic [63:0]                  rd_addr_o,
  output      logic [SW:0]                  rd_n_o,
  output      logic [SW-1:0]                rd_slot_o,
  output      logic                         rd_id_o,

  // The two SQ reads as peerbar_dma_rc reports them: still expecting bytes, failed (a pulse,
  // with how and where), and killed by a refetch.
  input  wire logic [1:0]                   rd_busy_i,
  input  wire logic [1:0]                   rd_err_i,
  input  wire logic [StatusW-1:0]           err_status_i,
  input  wire logic [63:0]                  err_addr_i,
  output      logic [1:0]                   kill_o,

  // The FIFO's oldest entry, for the job unit: its slot has arrived (head_valid_o) or its read
  // failed (head_fault_o, with the read's status and bus address). take_i pops it; take_head_o
  // is then take_qid_i's SQ head after it (the SQ head reported in the entry's CQ entry).
  output      logic                         head_valid_o,
  output      logic [SW-1:0]                head_slot_o,
  output      logic [QW-1:0]                head_qid_o,
  output      logic                         head_fault_o,
  output      logic [StatusW-1:0]           head_status_o,
  output      logic [63:0]                  head_eaddr_o,
  input  wire logic                         take_i,
  input  wire logic [QW-1:0]                take_qid_i,
  output      logic [SqIdxW-1:0]            take_head_o
);

  if (NumQueues < 4 || NumQueues > 16) begin : gen_check_queues
    $error("peerbar_dma_sq_fetch: NumQueues must be in 4..16");
  end
  if (SqSlots < 2 || SqSlots > 32 || 2 ** SW != SqSlots) begin : gen_check_slots
    $error("peerbar_dma_sq_fetch: SqSlots must be a power of two in 2..32");
  end

  // Per queue: SQ head, fetch pointer, QUEUE_CONTROL.ENABLE last cycle
  logic [NumQueues-1:0][SqIdxW-1:0] sq_head_q, sq_head_d, ptr_q, ptr_d;
  logic [NumQueues-1:0]       en_q, en_now;
  logic [QW-1:0]              rr_q;   // the queue of the last read

  // FIFO: slot pointers with a wrap bit; each slot's queue, arrival, failure and read
  logic [SW:0]                wr_q, wr_d, rd_q, rd_d;
  logic [SqSlots-1:0][QW-1:0] qid_q;
  logic [SqSlots-1:0]         ready_q, ready_d, fault_q, fault_d, trk_q;
  // The two reads: in flight, first slot, entries, how a failed one failed
  logic [1:0]                 busy_q, busy_d;
  logic [1:0][SW-1:0]         first_q;
  logic [1:0][SW:0]           n_q;
  logic [1:0][StatusW-1:0]    st_q;
  logic [1:0][63:0]           ea_q;
  logic                       halt_q, halt_d;   // a failed read waits in the FIFO

  always_comb begin
    for (int unsigned q = 0; q < NumQueues; q++) begin
      en_now[q] = queue_cfg_i[q].enable;
    end
  end
  assign flush_o = dma_reset_i || (|queue_enable_rise_i) || (|(en_q & ~en_now)) || ring_fault_i;

  /////////////////////////////
  // Stage 1: pick a queue   //
  /////////////////////////////

  logic                 stale;   // the stages start again next cycle
  logic                 pk_valid_q;
  logic [QW-1:0]        pk_q;

  // A queue has entries to fetch (q_ready), registered before the round robin choice (q_ready_q).
  // The registered copy may be a cycle old, so stage 2 checks the picked queue again.
  logic [NumQueues-1:0] q_ready, q_ready_q;
  logic                 pick_valid;
  logic [QW-1:0]        pick;
  always_comb begin
    for (int unsigned q = 0; q < NumQueues; q++) begin
      q_ready[q] = queue_cfg_i[q].enable && queue_cfg_i[q].sq_size_m1 != '0 &&
                   queue_cfg_i[q].cq_size_m1 != '0 && ptr_q[q] != queue_cfg_i[q].sq_tail;
    end
    pick_valid = 1'b0;
    pick       = '0;
    for (int i = NumQueues; i >= 1; i--) begin
      logic [QW:0] c;
      c = (QW + 1)'(rr_q) + (QW + 1)'(i);
      if (c >= (QW + 1)'(NumQueues)) begin
        c = c - (QW + 1)'(NumQueues);
      end
      if (q_ready_q[QW'(c)]) begin
        pick_valid = 1'b1;
        pick       = QW'(c);
      end
    end
  end

  // A count of entries as a thermometer code: bit i set when the count exceeds i. The read's
  // size is the least of several limits, and the least of thermometer codes is their AND, one
  // level of logic where a chain of compares and muxes would be several per limit.
  typedef logic [SqSlots-1:0] therm_t;
  function automatic therm_t therm(logic [16:0] count);
    therm_t t;
    for (int unsigned i = 0; i < SqSlots; i++) begin
      t[i] = count > 17'(i);
    end
    return t;
  endfunction

  /////////////////////////////////////////////
  // Stage 2: the picked queue's limits      //
  /////////////////////////////////////////////

  // From the picked queue's fetch pointer: the read's bus address, the entries it may take by
  // the queue (to the tail or the ring's end), by 4 KiB and by MRRS, and how many entries are
  // left to the ring's end (the pointer wraps when the read takes them all).
  logic          lm_valid_q;
  logic [QW-1:0] lm_q_q;
  logic [SqIdxW-1:0] lm_ptr_q;
  logic [63:0]   lm_addr_q;
  therm_t        lm_lim_q;       // min(available, to 4 KiB, by MRRS)
  logic          lm_end_near_q;  // the ring's end is at most SqSlots entries away ...
  logic [SW:0]   lm_end_n_q;     // ... this many
  always_ff @(posedge clk_i) begin
    logic [SqIdxW-1:0] ptr, tail;
    logic [16:0] to_end, avail;
    logic [5:0]  blk;
    if (rst_i) begin
      lm_valid_q <= 1'b0;
    end else begin
      lm_valid_q <= pk_valid_q && q_ready[pk_q] && !stale;
    end
    // (Loaded only with a pick: read only under lm_valid_q. The limits are worked out under
    // the same enable, so the simulation skips them without a pick.)
    if (pk_valid_q) begin
      ptr    = ptr_q[pk_q];
      tail   = queue_cfg_i[pk_q].sq_tail;
      to_end = 17'(queue_cfg_i[pk_q].sq_size_m1) + 17'd1 - 17'(ptr);
      avail  = (tail > ptr) ? 17'(tail - ptr) : to_end;
      blk    = queue_cfg_i[pk_q].sq_base[11:6] + ptr[5:0];  // the entry's 64-byte block in 4 KiB
      lm_q_q        <= pk_q;
      lm_ptr_q      <= ptr;
      lm_addr_q     <= {queue_cfg_i[pk_q].sq_base[63:6], 6'd0} + {42'd0, ptr, 6'd0};
      lm_lim_q      <= therm(avail) & therm(17'd64 - 17'(blk)) & therm(17'(mrrs_entries_i));
      lm_end_near_q <= to_end <= 17'(SqSlots);
      lm_end_n_q    <= (SW + 1)'(to_end);
    end
  end

  ///////////////////////////////////
  // Stage 3: the read             //
  ///////////////////////////////////

  // Its entries: the stage 2 limits and the FIFO's free slots, never across the slot ring's end
  // (so that the bytes land in consecutive slots). Prepared when at least half the FIFO is free
  // (several entries per read) or the FIFO is empty.
  logic          sc_valid_q;
  logic [QW-1:0] sc_q_q;
  logic [63:0]   sc_addr_q;
  logic [SW:0]   sc_n_q;
  logic [SqIdxW-1:0] sc_next_q;
  logic          sc_ok;
  logic [SW:0]   sc_n;
  logic [SqIdxW-1:0] sc_next;
  // Only with stage 2's limits valid (lm_valid_q), 0 otherwise: sc_ok is 0 then whatever the
  // rest, and sc_n, sc_next are loaded only with sc_ok (the simulation skips them).
  always_comb begin
    logic [SW:0] free, to_ring_end;
    therm_t      th;
    free        = '0;
    to_ring_end = '0;
    th          = '0;
    sc_n        = '0;
    sc_next     = '0;
    sc_ok       = 1'b0;
    if (lm_valid_q) begin
      free = (SW + 1)'(SqSlots) - (wr_q - rd_q);
      to_ring_end = (SW + 1)'(SqSlots) - (SW + 1)'(wr_q[SW-1:0]);
      th   = lm_lim_q & therm(17'(free)) & therm(17'(to_ring_end));
      // th is a thermometer code: n is the position of its highest set bit, plus one.
      for (int unsigned i = 0; i < SqSlots; i++) begin
        if (th[i] && (i == SqSlots - 1 || !th[i + 1])) begin
          sc_n = sc_n | (SW + 1)'(i + 1);
        end
      end
      sc_next = (lm_end_near_q && sc_n == lm_end_n_q) ? '0 : lm_ptr_q + SqIdxW'(sc_n);
      sc_ok   = th[0] && (free >= (SW + 1)'(SqSlots / 2) || wr_q == rd_q);
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      pk_valid_q <= 1'b0;
      q_ready_q  <= '0;
      sc_valid_q <= 1'b0;
    end else begin
      pk_valid_q <= pick_valid && !stale;
      q_ready_q  <= q_ready;
      sc_valid_q <= sc_ok && !stale;
    end
    pk_q <= pick;
    if (sc_ok) begin
      sc_q_q    <= lm_q_q;
      sc_addr_q <= lm_addr_q;
      sc_n_q    <= sc_n;
      sc_next_q <= sc_next;
    end
  end

  ///////////////////////////////////
  // Stage 4: offer                //
  ///////////////////////////////////

  assign rd_want_o = sc_valid_q && run_i && !dma_reset_i && !(&busy_q) && !halt_q && !flush_o;
  assign rd_qid_o  = sc_q_q;
  assign rd_addr_o = sc_addr_q;
  assign rd_n_o    = sc_n_q;
  assign rd_slot_o = wr_q[SW-1:0];
  assign rd_id_o   = busy_q[0];   // a free read: 0 unless it is busy
  assign stale     = rd_go_i || flush_o;

  ///////////////////////
  // FIFO              //
  ///////////////////////

  assign head_slot_o   = rd_q[SW-1:0];
  assign head_valid_o  = rd_q != wr_q && ready_q[head_slot_o];
  assign head_qid_o    = qid_q[head_slot_o];
  assign head_fault_o  = fault_q[head_slot_o];
  assign head_status_o = st_q[trk_q[head_slot_o]];
  assign head_eaddr_o  = ea_q[trk_q[head_slot_o]];
  assign take_head_o   = (sq_head_q[take_qid_i] == queue_cfg_i[take_qid_i].sq_size_m1)
                         ? '0 : sq_head_q[take_qid_i] + SqIdxW'(1);

  // In the slot ring, slot i is one of the n from slot first.
  function automatic logic in_run(logic [SW-1:0] i, logic [SW-1:0] first, logic [SW:0] n);
    return (SW + 1)'(SW'(i - first)) < n;
  endfunction

  always_comb begin
    sq_head_d = sq_head_q;
    ptr_d     = ptr_q;
    wr_d      = wr_q;
    rd_d      = rd_q;
    ready_d   = ready_q;
    fault_d   = fault_q;
    busy_d    = busy_q;
    halt_d    = halt_q;
    kill_o    = '0;

    if (take_i) begin
      rd_d                  = rd_q + (SW + 1)'(1);
      sq_head_d[take_qid_i] = take_head_o;
    end
    if (rd_go_i) begin
      for (int unsigned i = 0; i < SqSlots; i++) begin
        if (in_run(SW'(i), wr_q[SW-1:0], sc_n_q)) begin
          ready_d[i] = 1'b0;
          fault_d[i] = 1'b0;
        end
      end
      ptr_d[sc_q_q]   = sc_next_q;
      wr_d            = wr_q + sc_n_q;
      busy_d[rd_id_o] = 1'b1;
    end
    for (int unsigned k = 0; k < 2; k++) begin
      if (busy_q[k] && (rd_err_i[k] || !rd_busy_i[k])) begin
        // The read is done, or it failed: its entries fail in turn (the job unit stops their
        // queue), and no other read goes out until the FIFO is refetched.
        for (int unsigned i = 0; i < SqSlots; i++) begin
          if (in_run(SW'(i), first_q[k], n_q[k])) begin
            ready_d[i] = 1'b1;
            fault_d[i] = rd_err_i[k];
          end
        end
        if (rd_err_i[k]) begin
          halt_d = 1'b1;
        end
        busy_d[k] = 1'b0;
      end
    end
    for (int unsigned q = 0; q < NumQueues; q++) begin
      if (queue_enable_rise_i[q]) begin
        sq_head_d[q] = '0;
      end
    end
    // Refetch: empty the FIFO, abandon its reads, and fetch again from the SQ heads. An entry
    // the job unit holds but has not taken yet goes too.
    if (flush_o) begin
      wr_d    = rd_d;
      ready_d = '0;
      fault_d = '0;
      busy_d  = '0;
      halt_d  = 1'b0;
      kill_o  = '1;
      ptr_d   = sq_head_d;
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      sq_head_q <= '0;
      ptr_q     <= '0;
      en_q      <= '0;
      rr_q      <= QW'(NumQueues - 1);
      wr_q      <= '0;
      rd_q      <= '0;
      ready_q   <= '0;
      fault_q   <= '0;
      busy_q    <= '0;
      halt_q    <= 1'b0;
    end else begin
      sq_head_q <= sq_head_d;
      ptr_q     <= ptr_d;
      en_q      <= en_now;
      rr_q      <= rd_go_i ? sc_q_q : rr_q;
      wr_q      <= wr_d;
      rd_q      <= rd_d;
      ready_q   <= ready_d;
      fault_q   <= fault_d;
      busy_q    <= busy_d;
      halt_q    <= halt_d;
    end
    // What a slot or a read records is read only while it is valid: no reset needed.
    if (rd_go_i) begin
      for (int unsigned i = 0; i < SqSlots; i++) begin
        if (in_run(SW'(i), wr_q[SW-1:0], sc_n_q)) begin
          qid_q[i] <= sc_q_q;
          trk_q[i] <= rd_id_o;
        end
      end
      first_q[rd_id_o] <= wr_q[SW-1:0];
      n_q[rd_id_o]     <= sc_n_q;
    end
    for (int unsigned k = 0; k < 2; k++) begin
      if (busy_q[k] && rd_err_i[k]) begin
        st_q[k] <= err_status_i;
        ea_q[k] <= err_addr_i;
      end
    end
  end

  assign sq_head_o    = sq_head_q;
  assign reads_busy_o = |busy_q;
  assign work_o       = (|q_ready) || rd_q != wr_q;

endmodule

`default_nettype wire
