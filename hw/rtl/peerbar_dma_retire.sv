// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_dma_retire: the DMA engine's job slots and completion writer (contract:
// docs/dma-engine.md, "Job order" and "CQ entry").
//
// The job unit hands each job, once its last request is out, to a job slot (NumJobs of them, a
// ring in the order the jobs were taken) with what its CQ entry needs. A PULL's slot then counts
// the bytes its reads put into BAR2 and records the first read that fails (status and bus
// address; the slot's other reads are killed). Slots retire in order: the oldest writes its CQ
// entry once nothing is left to wait for (every read answered or one failed, and its inline CRC
// out of peerbar_dma_crc_inline), then its MSI-X message, or sets the vector's PBA bit when the
// vector is masked or already pending. In between, and while the oldest slot waits for room in
// its CQ, a pending vector that may now be sent gets its message. Each of these is a posted write of one or four DWORDs that the engine loads into its
// RQ beat register (beat_valid_o, granted whenever reg_free_i), ahead of every other request.
//
// Each queue's next CQ entry (its address, the tail after it, whether the CQ is full) is worked
// out a cycle ahead, in registers, so that retire only selects the oldest slot's queue. A
// queue's values are stale for the cycle after its tail changed (a CQ entry written, the queue
// enabled), and retire writes no CQ entry of that queue then (cq_fresh_q); CQ entries leave at
// most every other cycle anyway (the beat register). A head doorbell shows a cycle later, which
// only delays a write to a CQ that was full.

`default_nettype none

module peerbar_dma_retire
  import peerbar_pkg::*;
  import peerbar_wire_pkg::*;
  import peerbar_reg_pkg::*;
#(
  // log2 of the BAR2 size in bytes (12..32).
  parameter int unsigned Bar2SizeLog2 = 20,
  // Number of queue pairs (4..16).
  parameter int unsigned NumQueues = 4,
  // Job slots (a power of two, 2..16); slot j's reads are read owner j (peerbar_dma_rc).
  parameter int unsigned NumJobs = 8,
  // Read owner width of peerbar_dma_rc.
  parameter int unsigned OwnW = 4,
  // Queue index width (derived, do not override).
  localparam int unsigned QW = $clog2(NumQueues),
  // Job slot index width (derived, do not override).
  localparam int unsigned JW = $clog2(NumJobs),
  localparam int unsigned B = Bar2SizeLog2
) (
  input  wire logic                           clk_i,
  input  wire logic                           rst_i,

  input  wire dma_queue_cfg_t [NumQueues-1:0] queue_cfg_i,
  input  wire logic [NumQueues-1:0]           queue_enable_rise_i,
  input  wire logic                           dma_reset_i,     // drops every slot, no CQ entry
  input  wire logic                           bus_master_i,
  input  wire logic                           msix_enable_i,
  input  wire logic                           msix_fmask_i,
  input  wire msix_vec_t [NumQueues-1:0]      msix_i,
  input  wire logic [NumQueues-1:0]           pba_i,
  output      logic [NumQueues-1:0]           pba_set_o,
  output      logic [NumQueues-1:0]           pba_clr_o,

  // The job unit's job, handed to slot slot_o (add_i; never while full_o). fin: nothing left to
  // wait for; pull: a PULL still writing BAR2 [lo, hi).
  output      logic [JW-1:0]                  slot_o,
  output      logic                           full_o,
  input  wire logic                           add_i,
  input  wire logic [QW-1:0]                  add_qid_i,
  input  wire logic [SqEntryCidW-1:0]         add_cid_i,
  input  wire logic [CqEntrySqHeadW-1:0]      add_head_i,      // SQ head after the job's entry
  input  wire logic [StatusW-1:0]             add_status_i,
  input  wire logic [CqEntryResultW-1:0]      add_result_i,
  input  wire logic [63:0]                    add_eaddr_i,
  input  wire logic                           add_irq_i,       // FLAGS.IRQ
  input  wire logic                           add_crc_i,       // FLAGS.CRC: RESULT is the inline CRC
  input  wire logic                           add_fin_i,
  input  wire logic                           add_pull_i,
  input  wire logic [B:0]                     add_lo_i,
  input  wire logic [B:0]                     add_hi_i,

  // The order check of the job unit's next entry (chk_i): an earlier PULL still writing BAR2,
  // and one whose range overlaps [chk_lo_i, chk_hi_i).
  input  wire logic                           chk_i,
  input  wire logic [B:0]                     chk_lo_i,
  input  wire logic [B:0]                     chk_hi_i,
  output      logic                           pull_pending_o,
  output      logic                           overlap_o,

  // The slots' reads (peerbar_dma_rc): bytes into BAR2, failures, busy; kill on a failure.
  input  wire logic [OwnW-1:0]                bytes_owner_i,
  input  wire tlp_bytes_t                     bytes_i,
  input  wire logic                           err_valid_i,
  input  wire logic [OwnW-1:0]                err_owner_i,
  input  wire logic [StatusW-1:0]             err_status_i,
  input  wire logic [63:0]                    err_addr_i,
  input  wire logic [NumJobs-1:0]             owner_busy_i,
  output      logic [NumJobs-1:0]             kill_o,
  // The slots' inline CRCs (peerbar_dma_crc_inline)
  input  wire logic [NumJobs-1:0]             crc_busy_i,
  input  wire logic [NumJobs-1:0][31:0]       crc_i,

  // A posted write for the RQ beat register: beat_dwc_o (1 or 4) DWORDs of beat_payload_o at
  // beat_addr_o; the engine loads it when reg_free_i. block_cq_i holds a CQ entry back for a
  // cycle (the engine logs a ring fault then: one error log entry per cycle).
  input  wire logic                           reg_free_i,
  input  wire logic                           block_cq_i,
  output      logic                           beat_valid_o,
  output      logic [RqDescAddressW-1:0]      beat_addr_o,
  output      logic [2:0]                     beat_dwc_o,
  output      logic [CqEntryW-1:0]            beat_payload_o,
  output      logic                           beat_job_o,      // a job's write (not a PBA message) ...
  output      logic [QW-1:0]                  beat_jq_o,       // ... of this queue

  // Status: the job done (ev_o's job and log fields), slots in use, queues with a job in a
  // slot, the oldest slot's CQ full.
  output      dma_events_t                    ev_o,
  output      logic                           busy_o,
  output      logic [NumQueues-1:0]           queue_busy_o,
  output      logic [NumQueues-1:0]           queue_full_o
);

  if (NumJobs < 2 || NumJobs > 16 || 2 ** JW != NumJobs) begin : gen_check_jobs
    $error("peerbar_dma_retire: NumJobs must be a power of two in 2..16");
  end

  // A job slot: the values of its CQ entry (as wide as the entry's fields) and its progress.
  typedef struct packed {
    logic [QW-1:0]             qid;
    logic [SqEntryCidW-1:0]    cid;
    logic [CqEntrySqHeadW-1:0] head;
    logic [StatusW-1:0]        status;
    logic [CqEntryResultW-1:0] result;
    logic [63:0]               eaddr;
    logic                      irq;
    logic                      crc;
    logic                      fin;
    logic                      pull;
    logic [B:0]                lo, hi;
  } job_slot_t;
  // Written where they change (the always_ff below), not copied whole every cycle.
  job_slot_t          js_q [NumJobs];
  logic [JW:0]        jw_q, jr_q, jr_d;   // ring pointers with a wrap bit
  logic               irq_q, irq_d;       // the oldest slot's CQ entry is out, MSI-X next
  logic [NumQueues-1:0][CqIdxW-1:0] cq_tail_q, cq_tail_d;
  logic [NumQueues-1:0]       phase_q, phase_d;
  // Slot j holds a job (it is between the ring's read and write pointers): a register of its own,
  // set when a job lands in the slot and cleared when it leaves, so the order check and the
  // status start from it instead of from a compare of the pointers. (The simulation checks it
  // against the pointers.)
  logic [NumJobs-1:0] in_ring;
  assign slot_o = jw_q[JW-1:0];
  assign full_o = (jw_q - jr_q) == (JW + 1)'(NumJobs);

  // Jobs take effect in order, and BAR2's port B does one read or one write per cycle (the job
  // unit's order check, docs/dma-engine.md "Job order"). Both are 0 without chk_i: the loop
  // over the slots only with it.
  always_comb begin
    overlap_o      = 1'b0;
    pull_pending_o = 1'b0;
    if (chk_i) begin
      for (int unsigned j = 0; j < NumJobs; j++) begin
        if (in_ring[j] && js_q[j].pull && !js_q[j].fin) begin
          pull_pending_o = 1'b1;
          if (chk_lo_i < js_q[j].hi && js_q[j].lo < chk_hi_i) begin
            overlap_o = 1'b1;
          end
        end
      end
    end
  end

  // Slots waiting for their reads: bytes that land and reads that fail.
  logic [NumJobs-1:0] js_add, js_fail;
  always_comb begin
    js_add  = '0;
    js_fail = '0;
    for (int unsigned j = 0; j < NumJobs; j++) begin
      if (in_ring[j] && !js_q[j].fin) begin
        js_add[j]  = bytes_owner_i == OwnW'(j);
        js_fail[j] = err_valid_i && err_owner_i == OwnW'(j);
      end
    end
  end
  assign kill_o = js_fail;

  // Each queue's next CQ entry (below)
  logic [NumQueues-1:0][63:0] cq_addr_q;
  logic [NumQueues-1:0][CqIdxW-1:0] cq_next_q;
  logic [NumQueues-1:0]       cq_full_q, cq_fresh_q;

  // MSI-X: a pending vector that may be sent now
  logic          msix_ok, pend_valid;
  logic [QW-1:0] pend_vec;
  always_comb begin
    msix_ok    = msix_enable_i && !msix_fmask_i && bus_master_i;
    pend_valid = 1'b0;
    pend_vec   = '0;
    for (int i = NumQueues - 1; i >= 0; i--) begin
      if (pba_i[i] && !msix_i[i].mask && msix_ok) begin
        pend_valid = 1'b1;
        pend_vec   = QW'(i);
      end
    end
  end

  // The oldest slot: whether it may complete, its queue (registered: rq_id, valid when the oldest
  // slot and its contents are those of the last cycle, rq_id_ok_q), its vector.
  logic [JW-1:0] rh;
  logic          any, has, done, cq_go, irq_go, pend_go, irq_want, irq_now, rq_id_ok_q;
  logic          jr_move;  // the oldest slot leaves in this cycle (its message is done)
  logic [QW-1:0] rq_id;
  logic [4:0]    vec;
  // No write in a DMA reset's cycle: it drops the slots (the engine's beat register takes nothing
  // then either).
  logic free;
  assign free = reg_free_i && !dma_reset_i;
  always_comb begin
    rh       = jr_q[JW-1:0];
    any      = jr_q != jw_q;
    has      = any && rq_id_ok_q;
    done     = (js_q[rh].fin || !owner_busy_i[rh]) && !crc_busy_i[rh];
    cq_go    = has && !irq_q && done && !cq_full_q[rq_id] && cq_fresh_q[rq_id] && free &&
               !block_cq_i;
    vec      = queue_cfg_i[rq_id].msix_vector;
    irq_want = js_q[rh].irq && queue_cfg_i[rq_id].irq_enable && 32'(vec) < NumQueues;
    irq_now  = msix_ok && !msix_i[QW'(vec)].mask && !pba_i[QW'(vec)];
    irq_go   = has && irq_q && irq_want && irq_now && free;
    // A pending message waits only for the oldest slot's own CQ entry and message, not behind
    // a CQ with no room (that entry may wait until software consumes one, and the pending
    // message may be what makes it do so).
    pend_go  = !(has && (irq_q || (done && !cq_full_q[rq_id]))) && pend_valid && free;
  end

  // Each queue's next CQ entry, a cycle ahead (header comment).
  always_ff @(posedge clk_i) begin
    for (int unsigned q = 0; q < NumQueues; q++) begin
      logic [CqIdxW-1:0] next;
      next = (cq_tail_q[q] == queue_cfg_i[q].cq_size_m1) ? '0 : cq_tail_q[q] + CqIdxW'(1);
      cq_addr_q[q]  <= {queue_cfg_i[q].cq_base[63:4], 4'd0} + {44'd0, cq_tail_q[q], 4'd0};
      cq_next_q[q]  <= next;
      cq_full_q[q]  <= next == queue_cfg_i[q].cq_head;
      cq_fresh_q[q] <= !rst_i && !(cq_go && rq_id == QW'(q)) && !queue_enable_rise_i[q];
    end
  end

  // Its CQ entry, then its MSI-X message or PBA bit; else a pending MSI-X message.
  always_comb begin
    cq_entry_t cqe;
    jr_move   = 1'b0;
    irq_d     = irq_q;
    cq_tail_d = cq_tail_q;
    phase_d   = phase_q;
    pba_set_o = '0;
    pba_clr_o = '0;
    ev_o      = '0;
    cqe       = '0;
    beat_valid_o   = cq_go || irq_go || pend_go;
    beat_addr_o    = '0;
    beat_dwc_o     = 3'd1;
    beat_payload_o = '0;
    beat_job_o     = 1'b1;
    beat_jq_o      = rq_id;

    if (cq_go) begin
      cqe.result  = (js_q[rh].crc && js_q[rh].status == StSuccess) ? crc_i[rh] : js_q[rh].result;
      cqe.sq_head = js_q[rh].head;
      cqe.sq_id   = CqEntrySqIdW'(rq_id);
      cqe.cid     = js_q[rh].cid;
      cqe.status  = CqEntryStatusW'({js_q[rh].status, phase_q[rq_id]});
      beat_addr_o    = cq_addr_q[rq_id][63:2];
      beat_dwc_o     = 3'd4;
      beat_payload_o = cqe;
      cq_tail_d[rq_id] = cq_next_q[rq_id];
      if (cq_next_q[rq_id] == '0) begin
        phase_d[rq_id] = !phase_q[rq_id];
      end
      ev_o.job_done      = 1'b1;
      ev_o.job_status    = js_q[rh].status;
      ev_o.err_sgl       = js_q[rh].status inside {StSglSegment, StSglCount, StSglLength,
                                                   StSglType, StSglLimit};
      ev_o.err_bar_range = js_q[rh].status == StBarRange;
      ev_o.log_valid     = js_q[rh].status != StSuccess;
      ev_o.log_cid       = js_q[rh].cid;
      ev_o.log_status    = js_q[rh].status;
      ev_o.log_queue     = DMA_ERROR_LOG_QUEUE_WIDTH'(rq_id);
      ev_o.log_addr      = js_q[rh].eaddr;
      irq_d              = 1'b1;
    end else if (has && irq_q) begin
      if (!irq_want) begin
        irq_d   = 1'b0;
        jr_move = 1'b1;
      end else if (!irq_now) begin
        pba_set_o[QW'(vec)] = 1'b1;
        irq_d               = 1'b0;
        jr_move             = 1'b1;
      end else if (irq_go) begin
        beat_addr_o    = msix_i[QW'(vec)].addr[63:2];
        beat_payload_o = CqEntryW'(msix_i[QW'(vec)].data);
        irq_d          = 1'b0;
        jr_move        = 1'b1;
      end
    end else if (pend_go) begin
      beat_addr_o    = msix_i[pend_vec].addr[63:2];
      beat_payload_o = CqEntryW'(msix_i[pend_vec].data);
      beat_job_o     = 1'b0;
      pba_clr_o[pend_vec] = 1'b1;
    end

    for (int unsigned q = 0; q < NumQueues; q++) begin
      if (queue_enable_rise_i[q]) begin
        cq_tail_d[q] = '0;
        phase_d[q]   = 1'b1;
      end
    end
    jr_d = jr_q + (JW + 1)'(jr_move);
    // DMA_CONTROL.RESET drops every slot: no CQ entry for the jobs in flight.
    if (dma_reset_i) begin
      jr_d  = jw_q + (JW + 1)'(add_i);
      irq_d = 1'b0;
    end
  end

  // The oldest slot's queue selects the CQ registers and the vector: registered, so that the slot
  // choice and the queue choice are not one path. It is a cycle old after retire moves on or a job
  // lands in the empty ring; the oldest slot waits that cycle (rq_id_ok_q low). (From jr_move
  // and the reset, not from jr_d == jr_q: the same wherever it matters, since a DMA reset leaves
  // the ring empty, a job added in its cycle included; and whether a job lands in this cycle
  // stays off the path through the pointers' adder and compare.)
  always_ff @(posedge clk_i) begin
    rq_id      <= js_q[rh].qid;
    rq_id_ok_q <= !rst_i && !jr_move && !dma_reset_i && !(add_i && slot_o == rh);
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      for (int unsigned j = 0; j < NumJobs; j++) begin
        js_q[j] <= '0;
      end
      jw_q      <= '0;
      jr_q      <= '0;
      in_ring   <= '0;
      irq_q     <= 1'b0;
      cq_tail_q <= '0;
      phase_q   <= '1;
    end else begin
      if (add_i) begin
        js_q[slot_o] <= '{qid: add_qid_i, cid: add_cid_i, head: add_head_i,
                          status: add_status_i, result: add_result_i, eaddr: add_eaddr_i,
                          irq: add_irq_i, crc: add_crc_i, fin: add_fin_i, pull: add_pull_i,
                          lo: add_lo_i, hi: add_hi_i};
      end
      for (int unsigned j = 0; j < NumJobs; j++) begin
        if (js_add[j]) begin
          js_q[j].result <= js_q[j].result + CqEntryResultW'(bytes_i);
        end
        if (js_fail[j]) begin
          js_q[j].status <= err_status_i;
          js_q[j].eaddr  <= err_addr_i;
          js_q[j].fin    <= 1'b1;
        end
      end
      jw_q      <= jw_q + (JW + 1)'(add_i);
      jr_q      <= jr_d;
      // A DMA reset drops every slot, one added in its cycle included (jr_d).
      for (int unsigned j = 0; j < NumJobs; j++) begin
        if (dma_reset_i || (jr_move && rh == JW'(j))) begin
          in_ring[j] <= 1'b0;
        end else if (add_i && slot_o == JW'(j)) begin
          in_ring[j] <= 1'b1;
        end
      end
      irq_q     <= irq_d;
      cq_tail_q <= cq_tail_d;
      phase_q   <= phase_d;
    end
  end

  // Status
  always_comb begin
    queue_busy_o = '0;
    queue_full_o = '0;
    for (int unsigned j = 0; j < NumJobs; j++) begin
      if (in_ring[j]) begin
        queue_busy_o[js_q[j].qid] = 1'b1;
      end
    end
    if (has && !irq_q && done && cq_full_q[rq_id]) begin
      queue_full_o[rq_id] = 1'b1;
    end
  end
  assign busy_o = any || pend_valid;

`ifndef SYNTHESIS
  // Simulation-only check: the slots held are those between the ring's pointers (with the
  // ring empty and no slot held, in an idle engine's cycles, there is nothing to compare: the
  // cheap test first).
  always_ff @(posedge clk_i) begin
    if (!rst_i && (jr_q != jw_q || in_ring != '0)) begin
      for (int unsigned j = 0; j < NumJobs; j++) begin
        if (in_ring[j] != ((JW + 1)'(JW'(JW'(j) - jr_q[JW-1:0])) < (jw_q - jr_q))) begin
          $fatal(1, "peerbar_dma_retire: in_ring[%0d] %0d with pointers %0d, %0d", j, in_ring[j],
                 jr_q, jw_q);
        end
      end
    end
  end
`endif

endmodule

`default_nettype wire
