// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_dma_rq_port: the DMA engine's requester request (RQ) side, between the engine's units
// and the hard block's RQ interface (PG213, "Requester Request Interface").
//
// - A beat register for single-beat TLPs (MemRd, CQ entry, MSI-X message), loaded by one unit
//   at a time (the engine arbitrates: retire, then the SQ fetch, then the job unit), and the
//   PUSH beat path (a PUSH packet's beats, straight from the job unit's payload registers);
//   never both at once: the register is loaded only while no PUSH packet runs (reg_free_o), and
//   a packet is started only with the register empty.
// - A register slice (peerbar_axis_slice) whose registers drive the block's RQ inputs: no input
//   of the block reaches the engine's logic in the same cycle, no output comes from logic.
// - The non-posted header credit rule (nph_ok_o): a MemRd is loaded only while the block has a
//   credit for it and every MemRd not yet on its count.
// - What is in flight, per queue, for QUEUE_STATUS.BUSY.

`default_nettype none

module peerbar_dma_rq_port #(
  parameter int unsigned NumQueues = 4,
  // Queue number width (derived, do not override).
  localparam int unsigned QW = $clog2(NumQueues)
) (
  input  wire logic                 clk_i,
  input  wire logic                 rst_i,
  input  wire logic                 dma_reset_i,    // DMA_CONTROL.RESET: no load while set

  // The beat register: loaded with ld_valid_i only when reg_free_o (and, for a MemRd,
  // nph_ok_o) is set; ld_job_i / ld_jq_i: the beat is a job's (not a PBA message) and of
  // which queue (QUEUE_STATUS.BUSY).
  output      logic                 reg_free_o,
  output      logic                 nph_ok_o,
  input  wire logic                 ld_valid_i,
  input  wire logic [255:0]         ld_data_i,
  input  wire logic [7:0]           ld_keep_i,
  input  wire logic [7:0]           ld_be_i,
  input  wire logic                 ld_np_i,        // the beat is a MemRd
  input  wire logic                 ld_job_i,
  input  wire logic [QW-1:0]        ld_jq_i,

  // The PUSH beat path: push_run_i while a packet is being set up or sent (the register is not
  // loaded then), push_valid_i with each beat (a MemWr of queue push_jq_i), held until ready_o.
  input  wire logic                 push_run_i,
  input  wire logic                 push_valid_i,
  input  wire logic [255:0]         push_data_i,
  input  wire logic [7:0]           push_keep_i,
  input  wire logic                 push_last_i,
  input  wire logic [7:0]           push_be_i,
  input  wire logic [QW-1:0]        push_jq_i,
  // The slice takes a beat (from the register or the PUSH path) in this cycle if one is
  // offered: a flop.
  output      logic                 ready_o,

  // Status
  output      logic [NumQueues-1:0] queue_busy_o,   // a job's beat of the queue is held here
  output      logic                 busy_o,         // a beat is held here

  // The hard block
  input  wire logic [3:0]           tfc_nph_av_i,
  output      logic [255:0]         rq_tdata_o,
  output      logic [7:0]           rq_tkeep_o,
  output      logic                 rq_tlast_o,
  output      logic [61:0]          rq_tuser_o,
  output      logic                 rq_tvalid_o,
  input  wire logic                 rq_tready_i
);

  // The beat register. Owner of its beat (rq_job_q, rq_jq_q), for QUEUE_STATUS.BUSY only: a
  // job's last write (its CQ entry or MSI-X message) may still wait here after the job left
  // the engine's units. Recorded when a beat is loaded (every load finds the register empty).
  logic         rq_valid_q;
  logic [255:0] rq_data_q;
  logic [7:0]   rq_keep_q, rq_be_q;
  logic         rq_np_q, rq_job_q;
  logic [QW-1:0] rq_jq_q;

  // What the slice is offered: the PUSH beat, or the register.
  logic         s_valid, s_last;
  logic [255:0] s_data;
  logic [7:0]   s_keep;
  logic [61:0]  s_user;
  always_comb begin
    if (push_valid_i) begin
      s_data  = push_data_i;
      s_keep  = push_keep_i;
      s_last  = push_last_i;
      s_user  = 62'(push_be_i);
      s_valid = 1'b1;
    end else begin
      s_data  = rq_data_q;
      s_keep  = rq_keep_q;
      s_last  = 1'b1;
      s_user  = 62'(rq_be_q);
      s_valid = rq_valid_q;
    end
  end

  logic out_valid;
  peerbar_axis_slice #(.W (256 + 8 + 1 + 62)) u_slice (
    .clk_i     (clk_i),
    .rst_i     (rst_i),
    .s_valid_i (s_valid),
    .s_ready_o (ready_o),
    .s_data_i  ({s_data, s_keep, s_last, s_user}),
    .m_valid_o (out_valid),
    .m_ready_i (rq_tready_i),
    .m_data_o  ({rq_tdata_o, rq_tkeep_o, rq_tlast_o, rq_tuser_o})
  );
  assign rq_tvalid_o = out_valid;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      rq_valid_q <= 1'b0;
    end else begin
      rq_valid_q <= ld_valid_i || (rq_valid_q && !ready_o);
    end
    if (ld_valid_i) begin
      rq_data_q <= ld_data_i;
      rq_keep_q <= ld_keep_i;
      rq_be_q   <= ld_be_i;
      rq_np_q   <= ld_np_i;
      rq_job_q  <= ld_job_i;
      rq_jq_q   <= ld_jq_i;
    end
  end

  // The register may be loaded now: empty, no PUSH packet on the beat path, no DMA reset.
  assign reg_free_o = !rq_valid_q && !push_run_i && !dma_reset_i;

  // The slice holds the last m_valid + !s_ready beats it was given (peerbar_axis_slice), so a
  // record of the last two beats given tells what it holds: whether each is a MemRd (NP
  // credits) and whose job it is (QUEUE_STATUS.BUSY). Index 0 is the last beat given.
  typedef struct packed {
    logic          np;    // a MemRd
    logic          job;   // a job's beat (not a PBA message)
    logic [QW-1:0] jq;    // that job's queue
  } rq_rec_t;
  rq_rec_t [1:0] rec_q;
  logic    [1:0] held;       // rec_q[i] is in the slice
  logic          head_np;    // the beat on the block's RQ inputs is a MemRd
  assign held    = {out_valid && !ready_o, out_valid};
  assign head_np = held[1] ? rec_q[1].np : rec_q[0].np;

  // Non-posted header credits (PG213, "Transmit Flow Control Interface": pcie_tfc_nph_av, the
  // non-posted header credits available to the user, 4 bits; a MemRd needs one). When a MemRd
  // the core has taken comes off the count is not stated there; the least convenient reading:
  // in the cycle after the handshake the count may not show it yet, from the one after that it
  // does (the model, bitstream-sim/src/device/requester.rs, takes it off at once, so it is more
  // generous than this). The count is registered here (nph_av_q: the input no longer reaches
  // the engine's logic, one cycle more of lag), so the MemRds that may still be on it are those
  // in the slice and those the core took in the last two cycles (np_taken_q). The rule: a
  // MemRd is loaded only while nph_av_q exceeds them all; the register is empty when it is
  // checked (reg_free_o), so every MemRd not on the count is among them.
  logic [3:0] nph_av_q;
  logic [1:0] np_taken_q;
  // nph_ok_o: nph_av_q exceeds the count of those (0..4). Written as "the count is k and the
  // credits exceed k" over the ten register bits it depends on, so that it maps to a few LUTs;
  // an adder and a comparison took 8 levels before the job unit's decisions even started.
  logic [3:0] np_pend;  // the MemRds that may not be on the count yet
  logic [4:0] av_gt;    // av_gt[k]: nph_av_q > k
  always_comb begin
    np_pend = {held[0] && rec_q[0].np, held[1] && rec_q[1].np, np_taken_q};
    av_gt   = {nph_av_q[3] || (nph_av_q[2] && (nph_av_q[1] || nph_av_q[0])),
               nph_av_q[3] || nph_av_q[2],
               nph_av_q[3] || nph_av_q[2] || (nph_av_q[1] && nph_av_q[0]),
               nph_av_q[3] || nph_av_q[2] || nph_av_q[1],
               nph_av_q != '0};
    unique case (np_pend)
      4'b0000:                                     nph_ok_o = av_gt[0];
      4'b0001, 4'b0010, 4'b0100, 4'b1000:          nph_ok_o = av_gt[1];
      4'b0111, 4'b1011, 4'b1101, 4'b1110:          nph_ok_o = av_gt[3];
      4'b1111:                                     nph_ok_o = av_gt[4];
      default:                                     nph_ok_o = av_gt[2];  // two of them
    endcase
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      nph_av_q   <= '0;
      np_taken_q <= '0;
    end else begin
      nph_av_q   <= tfc_nph_av_i;
      np_taken_q <= {np_taken_q[0], out_valid && rq_tready_i && head_np};
    end
    if (s_valid && ready_o) begin
      rec_q[1] <= rec_q[0];
      rec_q[0] <= push_valid_i ? '{np: 1'b0, job: 1'b1, jq: push_jq_i}
                               : '{np: rq_np_q, job: rq_job_q, jq: rq_jq_q};
    end
  end

  // BUSY promises that no request of the queue's jobs is left to go out, so it covers a beat
  // still held in the register or the slice after its job retired (a CQ entry or MSI-X
  // message; the driver then unmaps the rings).
  always_comb begin
    queue_busy_o = '0;
    if (rq_valid_q && rq_job_q) begin
      queue_busy_o[rq_jq_q] = 1'b1;
    end
    for (int unsigned i = 0; i < 2; i++) begin
      if (held[i] && rec_q[i].job) begin
        queue_busy_o[rec_q[i].jq] = 1'b1;
      end
    end
    busy_o = rq_valid_q || out_valid;
  end

`ifndef SYNTHESIS
  // The users' side of the contract: a load only into a free register, never with a PUSH beat.
  always_ff @(posedge clk_i) begin
    if (!rst_i && ld_valid_i) begin
      if (!reg_free_o || (ld_np_i && !nph_ok_o) || push_valid_i) begin
        $fatal(1, "peerbar_dma_rq_port: a load with the register busy (%0d), no NP credit (%0d) or a PUSH beat (%0d)",
               !reg_free_o, ld_np_i && !nph_ok_o, push_valid_i);
      end
    end
  end
`endif

endmodule

`default_nettype wire
