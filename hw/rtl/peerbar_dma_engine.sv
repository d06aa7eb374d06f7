// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_dma_engine: the SGL DMA engine (contract: docs/dma-engine.md).
//
// Jobs overlap in three units:
// - SQ fetch (peerbar_dma_sq_fetch): SQ entries are read ahead into an 8-entry FIFO, up to 8 per
//   MemRd, queues taken round robin per read, two reads in flight at most; refetched from each
//   queue's SQ head whenever a queue is enabled or disabled so that no job is lost or run twice.
// - The job unit (the main FSM) takes the FIFO's entries in order, decodes one and moves its
//   data; it hands the job to a job slot (NumJobs of them) once its last request is out and
//   takes the next entry at once. A job whose BAR2 range overlaps that of an earlier PULL still
//   in a slot waits for it, so jobs take effect in order.
// - Retire (peerbar_dma_retire): slots complete in order. The oldest writes its CQ entry once its
//   data is in BAR2 (PULL: every read answered; a failed read fails it at once), then its MSI-X
//   message.
// The job unit runs a job so:
// - PULL: walks the SGL (DPTR, then segments prefetched into a 512-byte ring, which
//   peerbar_dma_sgl_prefetch keeps and fills: several reads in
//   flight, each within 4 KiB, MRRS and the segment, issued whenever 128 bytes or the rest of
//   the segment are free, going on into the next segment as soon as the pointer to it has
//   arrived, and after the job's last segment into the next job's first; a descriptor is used
//   once all its DWORDs have arrived) and issues
//   MemRd requests split at 4 KiB and MRRS, up to NumTags in flight; completions are written
//   into BAR2 by peerbar_dma_rc as they arrive (any order across tags).
// - PUSH: walks the SGL the same way and sends MemWr split at 4 KiB and MPS; payload read from
//   BAR2 (port B) one 8-DWORD chunk ahead and byte-rotated onto the TLP's DWORD lanes; honours
//   tready (the packets' plan and beats: peerbar_dma_push_mover). Packets of one Data Block go
//   back to back (the last two beats of a packet read the next packet's first chunks) unless
//   the last beat needs a 9th DWORD.
// - CHECKSUM: CRC32C of the BAR2 range, 32 bytes per cycle (peerbar_dma_crc32c, pipelined: the
//   CRC comes 5 cycles after the last block is fed to it).
// Then (retire) the CQ entry (MemWr, after every data write of the job on the same RQ stream,
// i.e. in PCIe posted order; for PULL after every byte is in BAR2), then the MSI-X message
// (MemWr of the table entry) or its PBA bit. Any SGL, range or read error ends the job with its
// status: live reads are abandoned (their tags stay reserved until they complete or time out).
// Every read carries its owner (a job slot, or the SQ fetch) to peerbar_dma_rc, which reports
// busy, failures and bytes per owner.
//
// RQ (peerbar_dma_rq_port): one 256-bit beat register for single-beat TLPs (MemRd, CQ entry,
// MSI-X), or the PUSH beat path; never both at once. Retire loads it first, then the SQ fetch,
// then the job unit. Both feed a register slice whose registers drive the hard block's RQ
// inputs; RC beats pass through another slice before peerbar_dma_rc. So no input of the block
// reaches the engine's logic in the same cycle, and no output to the block comes from logic.

`default_nettype none

module peerbar_dma_engine
  import peerbar_pkg::*;
  import peerbar_wire_pkg::*;
  import peerbar_reg_pkg::*;
  import peerbar_dma_tlp_pkg::*;
#(
  // log2 of the BAR2 size in bytes (12..32).
  parameter int unsigned Bar2SizeLog2 = 20,
  // Number of queue pairs (4..16).
  parameter int unsigned NumQueues = 4,
  // Number of read tags (power of two, 32..256).
  parameter int unsigned NumTags = 32,
  // Row address width of one BAR2 bank (derived, do not override).
  localparam int unsigned RowW = Bar2SizeLog2 - 5
) (
  input  wire logic                         clk_i,
  input  wire logic                         rst_i,

  // Configuration status
  input  wire logic [1:0]                   max_payload_i,
  input  wire logic [2:0]                   max_read_req_i,
  input  wire logic                         bus_master_i,
  input  wire logic                         msix_enable_i,   // function 0 MSI-X enable
  input  wire logic                         msix_fmask_i,    // function 0 MSI-X function mask
  input  wire logic [3:0]                   tfc_nph_av_i,

  // Registers (peerbar_dma_csr)
  input  wire logic                         dma_enable_i,
  input  wire logic                         dma_ext_tags_i,  // DMA_CONTROL.EXT_TAGS
  input  wire logic                         dma_reset_i,
  input  wire logic [31:0]                  timeout_i,
  input  wire dma_queue_cfg_t [NumQueues-1:0] queue_cfg_i,
  input  wire logic [NumQueues-1:0]         queue_enable_rise_i,
  output      logic [NumQueues-1:0]         queue_disable_o,
  input  wire msix_vec_t [NumQueues-1:0]    msix_i,
  input  wire logic [NumQueues-1:0]         pba_i,
  output      logic [NumQueues-1:0]         pba_set_o,
  output      logic [NumQueues-1:0]         pba_clr_o,
  output      logic                         busy_o,
  output      logic [6:0]                   tags_in_flight_o,
  output      logic [NumQueues-1:0][SqIdxW-1:0] sq_head_o,
  output      logic [NumQueues-1:0]         queue_busy_o,
  output      logic [NumQueues-1:0]         queue_full_o,
  output      dma_events_t                  ev_o,

  // Requester request (RQ)
  output      logic [255:0]                 rq_tdata_o,
  output      logic [7:0]                   rq_tkeep_o,
  output      logic                         rq_tlast_o,
  output      logic [61:0]                  rq_tuser_o,
  output      logic                         rq_tvalid_o,
  input  wire logic                         rq_tready_i,

  // Requester completion (RC)
  input  wire logic [255:0]                 rc_tdata_i,
  input  wire logic                         rc_tlast_i,
  input  wire logic                         rc_tvalid_i,
  output      logic                         rc_tready_o,

  // BAR2 memory port B
  output      logic [7:0][RowW-1:0]         mem_wr_row_o,
  output      logic [7:0][31:0]             mem_wr_data_o,
  output      logic [7:0][3:0]              mem_wr_be_o,
  output      logic                         mem_rd_en_o,
  output      logic [7:0][RowW-1:0]         mem_rd_row_o,
  input  wire logic [7:0][31:0]             mem_rd_data_i
);

  if (NumQueues < 4 || NumQueues > 16) begin : gen_check_queues
    $error("peerbar_dma_engine: NumQueues must be in 4..16");
  end
  if (Bar2SizeLog2 < 12 || Bar2SizeLog2 > 32) begin : gen_check_size
    $error("peerbar_dma_engine: Bar2SizeLog2 must be in 12..32");
  end

  localparam int unsigned QW   = $clog2(NumQueues);
  localparam int unsigned TagW = $clog2(NumTags);
  localparam int unsigned B    = Bar2SizeLog2;
  // SGL prefetch ring: 2**FL bytes (32 descriptors), fetch buffer region 0; the SQ entry FIFO
  // (SqSlots entries of 64 bytes) is region 1 (peerbar_dma_rc).
  localparam int unsigned FL   = 9;
  localparam int unsigned FbDw = 2 ** (FL - 1);
  localparam int unsigned RingDw = 2 ** (FL - 2);
  localparam int unsigned SqSlots = 8;
  localparam int unsigned SW = 3;  // log2(SqSlots)
  // Job slots: jobs handed over by the job unit and not yet retired.
  localparam int unsigned NumJobs = 8;
  localparam int unsigned JW = 3;  // log2(NumJobs)
  // SQ reads in flight at once, each its own read owner (peerbar_dma_sq_fetch has two).
  localparam int unsigned SqReads = 2;
  // Read owners (peerbar_dma_rc): job slot j is owner j, SQ read k is owner NumJobs + k, and
  // the job unit's reads of the next SGL segment, fetched before the walker reaches it, are
  // LookOwner until the walker moves into that segment (their failures wait until then).
  localparam int unsigned OwnW = 4;
  localparam int unsigned LookOwner = NumJobs + SqReads;

  ///////////////
  // Helpers   //
  ///////////////

  // (The requests' DWORD counts, byte enables and RQ descriptors, and the SGL pointer checks:
  // peerbar_dma_tlp_pkg.)


  /////////////////////
  // State           //
  /////////////////////

  typedef enum logic [4:0] {
    StIdle,
    StRingFault,
    StDecode,
    StDesc,
    StPullReq,
    StPushSetup,
    StPushPrime,
    StPushBeats,
    StCrc,
    StDrain,
    StFinish
  } state_e;

  state_e state_q, state_d;

  logic [B:0]              job_lo_q, job_lo_d, job_hi_q, job_hi_d;  // the job unit's BAR2 range

  // Job
  logic [QW-1:0]   jq_q, jq_d;
  logic [SqEntryOpcodeW-1:0] opcode_q, opcode_d;
  logic            irq_flag_q, irq_flag_d;
  logic            crc_flag_q, crc_flag_d;  // FLAGS.CRC on a PULL or PUSH
  logic [SqEntryCidW-1:0] cid_q, cid_d;
  logic [CqEntrySqHeadW-1:0] head_q, head_d;  // SQ head after the fetch
  sgl_desc_t       dptr_q, dptr_d;
  logic [StatusW-1:0] status_q, status_d;
  logic [CqEntryResultW-1:0] result_q, result_d;
  logic [63:0]     eaddr_q, eaddr_d;
  logic [SqEntryLengthW-1:0] rem_q, rem_d;  // LENGTH bytes not yet covered by the SGL
  logic [B-1:0]    ptr_q, ptr_d;          // BAR2 offset of the next byte

  // SGL walker
  logic            in_list_q, in_list_d;
  // Segment bytes not yet consumed (from the current)
  logic [SglDescLengthW-1:0]  seg_left_q, seg_left_d;
  logic            seg_last_q, seg_last_d; // the segment is a Last Segment
  logic [16:0]     dcount_q, dcount_d;
  logic            err_pend_q, err_pend_d; // a read failed while a PUSH packet was on the wire
  logic            blk_adv_q, blk_adv_d;   // PUSH: the walker has moved past the Data Block
  logic            chain_q, chain_d;       // PUSH: the next packet's first chunk was read (beats - 2)
  logic [StatusW-1:0] err_st_q, err_st_d;
  logic [63:0]     err_ea_q, err_ea_d;    // bus address of that failed read

  // Current data transfer (one Data Block)
  logic [SglDescAddressW-1:0] x_addr_q, x_addr_d;
  logic [SglDescLengthW-1:0]  x_len_q, x_len_d;
  logic            x_zero_q, x_zero_d;    // x_len_q is 0 (kept beside it: a 32-bit zero test
                                          // is three LUT levels on the job unit's decisions)

  // PUSH packet (its registers: peerbar_dma_push_mover)
  logic             abort_q, abort_d;      // DMA reset during a PUSH packet

  //////////////////////////
  // Completion side (RC) //
  //////////////////////////

  logic                alloc_valid, alloc_buf;
  logic                tag_avail;  // a read tag slot is free (peerbar_dma_tag_pick) ...
  logic [TagW-1:0]     free_tag;   // ... this one, which an allocation takes
  logic [OwnW-1:0]     alloc_owner;
  logic [2**OwnW-1:0]  kill;
  logic [63:0]         alloc_addr;
  tlp_bytes_t          alloc_len;
  logic [B-1:0]        alloc_dest;
  logic [NumTags-1:0]  tag_usable;
  logic [NumTags-1:0][RqDescTagW-1:0] slot_tag;
  logic [2**OwnW-1:0]  owner_busy;
  logic                rc_bar2_busy;
  logic                rc_err_valid, rc_bad;
  logic [OwnW-1:0]     rc_err_owner, rc_bytes_owner;
  logic [StatusW-1:0]  rc_err_status;
  logic [63:0]         rc_err_addr;
  logic [FbDw-1:0]     fbuf_we;
  logic [7:0]          fbuf_lane_we;
  logic [7:0][FL-2:0]  fbuf_idx;
  logic [7:0][31:0]    fbuf_data;
  logic                rc_busy;
  tlp_bytes_t          rc_bytes_in;
  logic [1:0]          rc_err_link;
  logic [OwnW-1:0]     mem_wr_owner;   // a job slot: only jobs' reads write BAR2

  // RC slice: the block's completion beats are registered before the tag lookup and the byte
  // rotators of peerbar_dma_rc; the block sees the slice's registered ready.
  logic         rc_out_valid, rc_out_ready, rc_out_last;
  logic [255:0] rc_out_data;
  peerbar_axis_slice #(.W (256 + 1)) u_rc_slice (
    .clk_i     (clk_i),
    .rst_i     (rst_i),
    .s_valid_i (rc_tvalid_i),
    .s_ready_o (rc_tready_o),
    .s_data_i  ({rc_tdata_i, rc_tlast_i}),
    .m_valid_o (rc_out_valid),
    .m_ready_i (rc_out_ready),
    .m_data_o  ({rc_out_data, rc_out_last})
  );

  peerbar_dma_rc #(
    .Bar2SizeLog2 (Bar2SizeLog2),
    .NumTags      (NumTags),
    .FetchLog2    (FL),
    .OwnW         (OwnW)
  ) u_rc (
    .clk_i            (clk_i),
    .rst_i            (rst_i),
    .rc_tdata_i       (rc_out_data),
    .rc_tlast_i       (rc_out_last),
    .rc_tvalid_i      (rc_out_valid),
    .rc_tready_o      (rc_out_ready),
    .ext_tags_i       (dma_ext_tags_i),
    .alloc_valid_i    (alloc_valid),
    .alloc_tag_i      (free_tag),
    .alloc_buf_i      (alloc_buf),
    .alloc_addr_i     (alloc_addr),
    .alloc_len_i      (alloc_len),
    .alloc_dest_i     (alloc_dest),
    .alloc_owner_i    (alloc_owner),
    .kill_i           (kill),
    .timeout_i        (timeout_i),
    .tag_usable_o     (tag_usable),
    .slot_tag_o       (slot_tag),
    .owner_busy_o     (owner_busy),
    .bar2_wr_busy_o   (rc_bar2_busy),
    .busy_o           (rc_busy),
    .tags_in_flight_o (tags_in_flight_o),
    .err_valid_o      (rc_err_valid),
    .err_owner_o      (rc_err_owner),
    .err_status_o     (rc_err_status),
    .err_addr_o       (rc_err_addr),
    .fbuf_lane_we_o   (fbuf_lane_we),
    .fbuf_idx_o       (fbuf_idx),
    .fbuf_we_o        (fbuf_we),
    .fbuf_data_o      (fbuf_data),
    .bytes_in_o       (rc_bytes_in),
    .bytes_in_owner_o (rc_bytes_owner),
    .bad_completion_o (rc_bad),
    .err_link_o       (rc_err_link),
    .mem_wr_row_o     (mem_wr_row_o),
    .mem_wr_data_o    (mem_wr_data_o),
    .mem_wr_be_o      (mem_wr_be_o),
    .mem_wr_owner_o   (mem_wr_owner)
  );

  // The read tag slot the next MemRd takes (free_tag, if tag_avail; declared above):
  // round robin among the slots the RC side offers, picked a cycle ahead.
  peerbar_dma_tag_pick #(
    .NumTags (NumTags)
  ) u_tag_pick (
    .clk_i    (clk_i),
    .rst_i    (rst_i),
    .usable_i (tag_usable),
    .avail_o  (tag_avail),
    .tag_o    (free_tag),
    .alloc_i  (alloc_valid)
  );

  //////////////////////////
  // RQ port              //
  //////////////////////////

  // The RQ beat register, the PUSH beat path's way out, the RQ slice and the NP credit rule are
  // peerbar_dma_rq_port (below the PUSH beat path). reg_free: the register may be loaded now
  // (empty, no PUSH packet on the beat path, no DMA reset); rq_ready: the slice takes a beat in
  // this cycle (a flop, so the engine's next state does not wait for the block's tready);
  // nph_ok: a MemRd has its non-posted header credit.
  logic          reg_free, rq_ready, nph_ok;
  // The beat loaded into the register this cycle (Main FSM: retire, then the SQ fetch, then
  // the job unit), and whose it is for QUEUE_STATUS.BUSY: a job's (not a PBA message), of
  // queue ld_jq.
  logic          ld_valid, ld_np, ld_job;
  logic [255:0]  ld_data;
  logic [7:0]    ld_keep, ld_be;
  logic [QW-1:0] ld_jq;
  logic [NumQueues-1:0] rq_queue_busy;
  logic          rq_busy;

  // Retire or the SQ fetch loads the beat register this cycle (they go before the job unit:
  // below).
  logic rq_taken;

  // A MemRd may be loaded now: usable tag, free RQ register, NP header credit (the rule at
  // peerbar_dma_rq_port); can_read is the job unit's turn.
  logic can_read_base, can_read;
  assign can_read_base = tag_avail && reg_free && nph_ok;
  assign can_read      = can_read_base && !rq_taken;

  ///////////////////////
  // PUSH beat path    //
  ///////////////////////

  // A PUSH packet's beats (peerbar_dma_push_mover, below the walker's descriptor) are offered in
  // StPushBeats.
  logic [255:0]     push_data;
  logic             push_valid, push_last;
  logic [7:0]       push_keep, push_be;
  assign push_valid = state_q == StPushBeats;

  peerbar_dma_rq_port #(
    .NumQueues (NumQueues)
  ) u_rq_port (
    .clk_i        (clk_i),
    .rst_i        (rst_i),
    .dma_reset_i  (dma_reset_i),
    .reg_free_o   (reg_free),
    .nph_ok_o     (nph_ok),
    .ld_valid_i   (ld_valid),
    .ld_data_i    (ld_data),
    .ld_keep_i    (ld_keep),
    .ld_be_i      (ld_be),
    .ld_np_i      (ld_np),
    .ld_job_i     (ld_job),
    .ld_jq_i      (ld_jq),
    .push_run_i   (state_q inside {StPushPrime, StPushBeats}),
    .push_valid_i (push_valid),
    .push_data_i  (push_data),
    .push_keep_i  (push_keep),
    .push_last_i  (push_last),
    .push_be_i    (push_be),
    .push_jq_i    (jq_q),
    .ready_o      (rq_ready),
    .queue_busy_o (rq_queue_busy),
    .busy_o       (rq_busy),
    .tfc_nph_av_i (tfc_nph_av_i),
    .rq_tdata_o   (rq_tdata_o),
    .rq_tkeep_o   (rq_tkeep_o),
    .rq_tlast_o   (rq_tlast_o),
    .rq_tuser_o   (rq_tuser_o),
    .rq_tvalid_o  (rq_tvalid_o),
    .rq_tready_i  (rq_tready_i)
  );

  ///////////////////////////////
  // SQ fetch                  //
  ///////////////////////////////

  // Largest read and write payloads (Device Control: Max_Read_Request_Size, Max_Payload_Size,
  // from the block's configuration status outputs). Registered: they change only when software
  // writes Device Control, and a request's size is then worked out from a register instead of
  // from the block's outputs through the decode.
  tlp_bytes_t mrrs, mps;
  always_ff @(posedge clk_i) begin
    mrrs <= tlp_bytes_t'(128) << ((max_read_req_i > 3'd5) ? 3'd5 : max_read_req_i);
    mps  <= tlp_bytes_t'(128) << max_payload_i;
  end

  // The queue scheduler and SQ read-ahead (peerbar_dma_sq_fetch): its read goes out through the
  // beat register when retire does not need it (sf_go, below); its entries land in the fetch
  // buffer's region 1 and the job unit takes them in order (StIdle, StDecode).
  logic                 sf_flush, sf_busy, sf_work, sf_want, sf_go, sf_id, sf_take;
  logic [QW-1:0]        sf_qid, sf_head_qid;
  logic [63:0]          sf_addr, sf_head_eaddr;
  logic [SW:0]          sf_n;
  logic [SW-1:0]        sf_slot, sf_head_slot;
  logic [1:0]           sf_rd_busy, sf_rd_err, sf_kill;
  logic                 sf_head_valid, sf_head_fault;
  logic [StatusW-1:0]   sf_head_status;
  logic [SqIdxW-1:0]    sf_take_head;
  always_comb begin
    for (int unsigned k = 0; k < SqReads; k++) begin
      sf_rd_busy[k] = owner_busy[NumJobs + k];
      sf_rd_err[k]  = rc_err_valid && rc_err_owner == OwnW'(NumJobs + k);
    end
  end

  peerbar_dma_sq_fetch #(
    .NumQueues (NumQueues),
    .SqSlots   (SqSlots)
  ) u_sq_fetch (
    .clk_i               (clk_i),
    .rst_i               (rst_i),
    .queue_cfg_i         (queue_cfg_i),
    .queue_enable_rise_i (queue_enable_rise_i),
    .mrrs_entries_i      (mrrs[12:6]),
    .run_i               (dma_enable_i && bus_master_i),
    .dma_reset_i         (dma_reset_i),
    .ring_fault_i        (state_q == StRingFault),
    .flush_o             (sf_flush),
    .sq_head_o           (sq_head_o),
    .reads_busy_o        (sf_busy),
    .work_o              (sf_work),
    .rd_want_o           (sf_want),
    .rd_go_i             (sf_go),
    .rd_qid_o            (sf_qid),
    .rd_addr_o           (sf_addr),
    .rd_n_o              (sf_n),
    .rd_slot_o           (sf_slot),
    .rd_id_o             (sf_id),
    .rd_busy_i           (sf_rd_busy),
    .rd_err_i            (sf_rd_err),
    .err_status_i        (rc_err_status),
    .err_addr_i          (rc_err_addr),
    .kill_o              (sf_kill),
    .head_valid_o        (sf_head_valid),
    .head_slot_o         (sf_head_slot),
    .head_qid_o          (sf_head_qid),
    .head_fault_o        (sf_head_fault),
    .head_status_o       (sf_head_status),
    .head_eaddr_o        (sf_head_eaddr),
    .take_i              (sf_take),
    .take_qid_i          (jq_q),
    .take_head_o         (sf_take_head)
  );

  ///////////////////////
  // Main FSM          //
  ///////////////////////

  // The SGL fetch ring (peerbar_dma_sgl_prefetch): list bytes read ahead of the walker, the
  // next segment followed as soon as its pointer arrives, and the next job's list after the
  // current one's. Its reads go out through the RQ beat register when the job unit has it
  // (f_go, below, beside own_err: a job that fails in this cycle issues no read).
  logic          consume;    // the walker is done with the current ring descriptor
  logic          walk_move;  // ... which was the pointer to the next segment
  logic          f_need, f_want, f_go;
  tlp_bytes_t    f_len;
  logic [SglDescAddressW-1:0] f_addr;
  logic [FL-1:0] f_dest;
  logic          look_pending;  // the fetch is in the next segment already (lookahead owner)
  logic          look_err;      // a read of the next segment, fetched ahead, failed now
  logic          look_held;     // one of its reads failed (now or before)
  logic [StatusW-1:0] look_held_st;
  logic [63:0]   look_held_ea;
  logic          xj_q;          // the next job's list is read ahead (until its StDecode)
  logic          xj_tried;      // ... it was started during this job
  logic          ahead_ok, ahead_drop;
  logic [SglDescAddressW-1:0] nh_addr_q;
  logic [SglDescLengthW-1:0]  nh_len_q;
  logic          nh_last_q;
  sgl_desc_t     desc_q;        // the ring's descriptor at the walker
  logic          desc_rdy, desc_wraps_q, desc_over_q, desc_zero_q;
  // The walker's current descriptor (below)
  sgl_desc_t     cur_desc;
  logic [SglDescAddressW-1:0] d_addr;
  logic [SglDescLengthW-1:0]  d_len;
  logic [3:0]    d_type, d_sub;
  logic          d_last_in_seg, d_ovf, d_over, d_zero;
  logic          d_ready;
  logic          dp_wraps_q, dp_over_q, dp_zero_q;
  assign look_err = rc_err_valid && rc_err_owner == OwnW'(LookOwner);
  peerbar_dma_sgl_prefetch #(
    .FL (FL)
  ) u_prefetch (
    .clk_i             (clk_i),
    .rst_i             (rst_i),
    .mrrs_i            (mrrs),
    .job_i             (state_q != StIdle),
    .decode_i          (state_q == StDecode),
    .start_i           (state_q == StDecode && sf_take),
    .fetch_i           (state_q inside {StDesc, StPullReq, StPushSetup}),
    .moving_i          (state_q inside {StDesc, StPullReq, StPushSetup, StPushPrime, StPushBeats}),
    .in_list_i         (in_list_q),
    .seg_last_i        (seg_last_q),
    .rem_i             (rem_q),
    .enter_i           (walk_move),
    .enter_addr_i      (d_addr),
    .enter_len_i       (d_len),
    .consume_i         (consume),
    .desc_o            (desc_q),
    .desc_ready_o      (desc_rdy),
    .desc_wraps_o      (desc_wraps_q),
    .desc_over_o       (desc_over_q),
    .desc_zero_o       (desc_zero_q),
    .need_o            (f_need),
    .want_o            (f_want),
    .addr_o            (f_addr),
    .len_o             (f_len),
    .dest_o            (f_dest),
    .look_o            (look_pending),
    .go_i              (f_go),
    .look_busy_i       (owner_busy[LookOwner]),
    .look_fail_i       (look_err),
    .fail_status_i     (rc_err_status),
    .fail_addr_i       (rc_err_addr),
    .look_err_o        (look_held),
    .look_err_status_o (look_held_st),
    .look_err_addr_o   (look_held_ea),
    .ahead_ok_i        (ahead_ok),
    .ahead_addr_i      (nh_addr_q),
    .ahead_len_i       (nh_len_q),
    .ahead_last_i      (nh_last_q),
    .ahead_drop_i      (ahead_drop),
    .ahead_o           (xj_q),
    .ahead_tried_o     (xj_tried),
    .lane_we_i         (fbuf_lane_we),
    .lane_idx_i        (fbuf_idx),
    .lane_data_i       (fbuf_data),
    .ring_we_i         (fbuf_we[RingDw-1:0])
  );

  // The walker's current descriptor: the DPTR, then the ring's (a copy made a cycle before,
  // with its length and address checks: peerbar_dma_sgl_prefetch). For the DPTR the checks are
  // made when the SQ entry is copied (dp_*, below). So the walker's decisions start from
  // registers, not from a 65-bit adder and 32-bit compares.
  always_comb begin
    cur_desc      = in_list_q ? desc_q : dptr_q;
    d_ready       = !in_list_q || desc_rdy;
    d_addr        = cur_desc.address;
    d_len         = cur_desc.length;
    d_type        = cur_desc.identifier[7:4];
    d_sub         = cur_desc.identifier[3:0];
    d_last_in_seg = seg_left_q == SglDescLengthW'(16);
    d_ovf         = in_list_q ? desc_wraps_q : dp_wraps_q;
    d_over        = in_list_q ? desc_over_q : dp_over_q;     // d_len > rem_q
    d_zero        = in_list_q ? desc_zero_q : dp_zero_q;     // d_len == 0
  end


  // The next PULL MemRd of the current Data Block (x_addr_q, x_len_q), split at MRRS
  // (peerbar_dma_tlp_pkg::split_at). Its size and byte enables are worked out into registers
  // (pr_*), and the MemRd goes out from them, so that the size's compares and the byte
  // enables' adder are not on the path of the job unit's decisions: in StDesc for a Data
  // Block's first MemRd (from the descriptor, taken when StDesc starts the block), in StPullReq
  // for the next one after each MemRd. pr_ok_q: they are those of x_addr_q, x_len_q. So a Data
  // Block's MemRds after its first leave every other cycle at most.
  tlp_bytes_t  pr_len_q;
  logic        pr_last_q;     // ... it is the Data Block's last
  logic [18:0] pr_dbe_q;      // its DWORD count and first/last byte enables (dw_be)
  logic        pr_ok_q, pr_issue;
  logic        pull_start;    // StDesc starts a PULL Data Block (its first MemRd's split)
  always_ff @(posedge clk_i) begin
    split_t sp, sp_desc, sp_blk;
    if (state_q inside {StDesc, StPullReq}) begin
      // Both candidates, then the state's choice (choosing first put the state's decode in
      // front of the split: 10 LUT levels into pr_dbe_q).
      sp_desc   = split_at(d_addr[11:0], d_len, mrrs);
      sp_blk    = split_at(x_addr_q[11:0], x_len_q, mrrs);
      sp        = (state_q == StDesc) ? sp_desc : sp_blk;
      pr_len_q  <= sp.len;
      pr_last_q <= sp.last;
      pr_dbe_q  <= sp.dbe;
    end
    // (pull_start, not state_d: a job that fails or is reset in this cycle goes to StFinish or
    // StIdle, which clear pr_ok_q before any StPullReq; so the failure's owner compare stays off
    // this path.)
    pr_ok_q <= !rst_i && ((state_q == StPullReq && !pr_issue) || pull_start);
  end

  // The PUSH write mover (peerbar_dma_push_mover): the next packet of the current Data Block
  // (x_addr_q, x_len_q, ptr_q; in StDesc, and during the last packet of a Data Block, the first
  // packet of the ring's current descriptor) is planned into its registers every cycle of a
  // PUSH job; they are the next packet's while nothing they depend on changed in the cycle
  // before (pm_ok: n_chg, below: a packet loaded, the walker moved, the job unit changed state,
  // or the descriptor they were worked out from was not ready). The job unit loads a packet
  // from them (push_load), and the mover reads its payload from BAR2 and puts its beats out.
  logic                       blk_end;    // the walker is done with a Data Block or skips a descriptor
  logic                       rem_none;   // ... and no byte of LENGTH is left (rem_d == 0 then)
  logic                       push_load;  // load the next PUSH packet
  logic                       n_chg;
  logic                       pm_ok, pm_last, pm_at2, pm_can_chain;
  logic [SglDescAddressW-1:0] pm_addr, pm_next_addr;
  logic [SglDescLengthW-1:0]  pm_rest;
  logic [B-1:0]               pm_next_ptr;
  logic [7:0][RowW-1:0]       pm_rd_row;
  tlp_bytes_t                 pm_len;
  logic [B+1:0]               pm_pl_off;
  logic [4:0]                 pm_pl_lo, pm_pl_hi;
  peerbar_dma_push_mover #(
    .Bar2SizeLog2 (Bar2SizeLog2)
  ) u_push (
    .clk_i            (clk_i),
    .rst_i            (rst_i),
    .mps_i            (mps),
    .plan_en_i        (opcode_q == OpPush &&
                       state_q inside {StDesc, StPushSetup, StPushPrime, StPushBeats}),
    .plan_from_desc_i (state_q == StDesc || x_zero_q),
    .desc_addr_i      (d_addr),
    .desc_len_i       (d_len),
    .blk_addr_i       (x_addr_q),
    .blk_len_i        (x_len_q),
    .ptr_i            (ptr_q),
    .plan_chg_i       (n_chg),
    .plan_ok_o        (pm_ok),
    .plan_addr_o      (pm_addr),
    .plan_last_o      (pm_last),
    .plan_next_addr_o (pm_next_addr),
    .plan_rest_o      (pm_rest),
    .plan_next_ptr_o  (pm_next_ptr),
    .load_i           (push_load),
    .prime_i          (state_q == StPushPrime),
    .beats_i          (push_valid),
    .ready_i          (rq_ready),
    .rd_row_o         (pm_rd_row),
    .rd_data_i        (mem_rd_data_i),
    .data_o           (push_data),
    .keep_o           (push_keep),
    .last_o           (push_last),
    .be_o             (push_be),
    .len_o            (pm_len),
    .at2_o            (pm_at2),
    .can_chain_o      (pm_can_chain),
    .pl_off_o         (pm_pl_off),
    .pl_lo_o          (pm_pl_lo),
    .pl_hi_o          (pm_pl_hi)
  );

  // Back-to-back PUSH packets: when the last beat needs no BAR2 chunk beyond its own, the
  // second-to-last and last beats read the next packet's first two chunks instead
  // (peerbar_dma_push_mover). The next packet is the Data Block's next one, or, after its
  // last, the first of the next descriptor in the ring: the walker moves past a Data Block's
  // descriptor as its last packet is loaded (blk_adv_q), so that descriptor is the ring's
  // current one during that packet. It follows at once only when it is a Data Block that
  // StDesc would start right away (next_ok) and the ring needs no refill (a MemRd goes out
  // between packets, in StDesc).
  logic p_chain_ok, next_ok;
  assign p_chain_ok = pm_can_chain && !abort_q && !err_pend_q;
  assign next_ok = in_list_q && blk_adv_q && x_zero_q && !dcount_q[16] && d_ready &&
                   d_sub == 4'd0 && d_type == 4'h0 && !d_zero && !d_over && !d_ovf &&
                   !f_need;

  // The SQ entry being decoded, copied from the fetch buffer (region 1) in StIdle from the FIFO's
  // oldest slot, with its BAR2 range: StDecode starts from registers, not from a 8-way choice of
  // 64-byte slots. The slot's bytes are in the buffer by then: the SQ fetch marks a slot arrived
  // only after peerbar_dma_rc reports its read done, which is after its last write to the
  // buffer. (Loaded only then: the simulation skips the copy in other cycles.)
  // The fetch buffer takes a completion beat's DWORDs where peerbar_dma_rc says: region 0 is
  // the SGL ring (peerbar_dma_sgl_prefetch keeps it), region 1 the SQ entry slots
  // (peerbar_dma_fbuf_banks, read here at the FIFO's oldest slot: a slot is two rows of the 8
  // banks).
  sq_entry_t head_entry;
  peerbar_dma_fbuf_banks #(
    .RowW   (FL - 5),
    .Reads  (2),
    .Region (1'b1)
  ) u_sq_slots (
    .clk_i       (clk_i),
    .lane_we_i   (fbuf_lane_we),
    .lane_idx_i  (fbuf_idx),
    .lane_data_i (fbuf_data),
    .rd_row_i    ({sf_head_slot, 1'b1, sf_head_slot, 1'b0}),
    .rd_data_o   (head_entry)
  );

  // Its checks are made on the copy's way in too (sqe_out_q: the range runs past BAR2's end;
  // sqe_zero_q: LENGTH is 0), so StDecode's decisions start from registers, not from a 65-bit
  // adder and compare.
  // (Its BAR2 range is the order check's, hd_lo_q / hd_hi_q below: the same entry's whenever
  // StDecode takes it.)
  sq_entry_t  sqe;
  logic       sqe_out_q, sqe_zero_q;
  always_ff @(posedge clk_i) begin
    if (state_q == StIdle && sf_head_valid) begin
      sq_entry_t e;
      e      = head_entry;
      sqe    <= e;
      sqe_out_q  <= ({1'b0, e.bar2_offset} + 65'(e.length)) > (65'(1) << B);
      sqe_zero_q <= e.length == '0;
      dp_wraps_q <= wraps(e.dptr.address, e.dptr.length);
      dp_over_q  <= e.dptr.length > e.length;
      dp_zero_q  <= e.dptr.length == '0;
    end
  end

  // The next job's list, fetched ahead. While a job runs, the FIFO's oldest entry is the next
  // job's. When the current job's list is all in the ring (its Last Segment fetched to the
  // end) and that entry is a PULL or PUSH whose DPTR is a Segment / Last Segment pointer, the
  // fetch goes on with that segment as a lookahead (nx_*, the reads owned by LookOwner), into
  // the ring after the current job's list: the next job's walker then finds its first
  // descriptors there, instead of waiting a host read latency after the current job ends
  // (a PUSH job moves its data itself until its end). Whether the entry qualifies is worked
  // out into registers a cycle ahead (nh_*, for the FIFO slot nh_slot_q); it is started only
  // while that slot is still the FIFO's oldest, once per job. The current job ending, with or
  // without an error, leaves it; a DMA reset or a refetch of the FIFO abandons it (its reads
  // killed, xj_q cleared), and the next job then fetches its list itself.
  logic          nh_ok_q;
  logic [SW-1:0] nh_slot_q;
  always_ff @(posedge clk_i) begin
    if (!rst_i && !xj_tried &&
        state_q inside {StDesc, StPullReq, StPushSetup, StPushPrime, StPushBeats}) begin
      // Of the entry, only its opcode and DPTR are looked at here.
      /* verilator lint_off UNUSEDSIGNAL */
      sq_entry_t e;
      /* verilator lint_on UNUSEDSIGNAL */
      e         = head_entry;
      nh_addr_q <= e.dptr.address;
      nh_len_q  <= e.dptr.length;
      nh_last_q <= e.dptr.identifier[7:4] == 4'h3;
      nh_slot_q <= sf_head_slot;
      nh_ok_q   <= sf_head_valid && !sf_head_fault && e.opcode inside {OpPull, OpPush} &&
                   seg_ptr_ok(e.dptr.identifier, e.dptr.length, e.dptr.address);
    end else begin
      nh_ok_q <= 1'b0;
    end
  end
  // (It starts when, besides, the current job's list is all fetched: peerbar_dma_sgl_prefetch.)
  assign ahead_ok = nh_ok_q && sf_head_valid && sf_head_slot == nh_slot_q && !sf_flush &&
                    !err_pend_q && !abort_q && !dma_reset_i;

  ///////////////////////
  // CHECKSUM          //
  ///////////////////////

  // peerbar_dma_checksum reads the range's rows through port B (the job unit gives it the port
  // in StCrc) and returns the CRC some cycles after the last row; StCrc waits for it.
  logic            ck_start, ck_rd_en, crc_valid;
  logic [RowW-1:0] ck_rd_row;
  logic [31:0]     crc;
  peerbar_dma_checksum #(
    .Bar2SizeLog2 (Bar2SizeLog2)
  ) u_checksum (
    .clk_i       (clk_i),
    .rst_i       (rst_i),
    .abort_i     (dma_reset_i),
    .start_i     (ck_start),
    .start_off_i (sqe.bar2_offset[B-1:0]),
    .start_len_i (sqe.length),
    .rd_en_o     (ck_rd_en),
    .rd_row_o    (ck_rd_row),
    .rd_data_i   (mem_rd_data_i),
    .crc_valid_o (crc_valid),
    .crc_o       (crc)
  );

  // Inline CRC unit (below): a slot's CRC still in the making, and the CRCs.
  logic [NumJobs-1:0]       crc_busy;
  logic [NumJobs-1:0][31:0] crc_inline;

  // Retire (peerbar_dma_retire, below): the job slots; the job unit's job takes slot jw.
  logic [JW-1:0]       jw;
  logic                jobs_full, handoff;
  logic                rt_beat_valid, rt_beat_job, rt_busy;
  logic [RqDescAddressW-1:0] rt_beat_addr;
  logic [2:0]          rt_beat_dwc;
  logic [CqEntryW-1:0]       rt_beat_payload;
  logic [QW-1:0]       rt_beat_jq;
  logic [NumJobs-1:0]  rt_kill;
  logic [NumQueues-1:0] rt_queue_busy, rt_queue_full;
  dma_events_t         rt_ev;

  // The job unit's read owner: its job slot.
  logic [OwnW-1:0] own;
  assign own = OwnW'(jw);

  // Jobs take effect in order, and BAR2's port B does one read or one write per cycle:
  // - a PULL waits while an earlier PULL still writing BAR2 overlaps its range [lo, hi);
  // - a PUSH or CHECKSUM (which read BAR2 through port B) waits until no earlier PULL is still
  //   writing and no completion is being written.
  // The check is made a cycle ahead, on the FIFO's oldest entry (hd_*: its opcode and range,
  // registered in every cycle), into hz_q, which StDecode uses when it was made for the entry
  // it holds (hz_ok_q: the same FIFO slot in the two cycles before, no refetch). So retire's
  // slot pointers and the range compares are not in front of StDecode's decisions. hz_q is
  // never stale low: what it checks against rises only when a job lands in a slot (a handoff,
  // two cycles or more before the next StDecode); a PULL's completions are written only while
  // it is pending. A hazard that clears costs at most one more cycle, and so does an entry
  // that became the oldest in the cycle the job unit copied it. (The simulation checks StDecode
  // against the check made in its own cycle.)
  logic                      overlap, pull_pending, hazard;
  logic [SqEntryOpcodeW-1:0] hd_op_q;
  logic [B:0]                hd_lo_q, hd_hi_q;
  logic [SW-1:0]             hd_slot_q;
  logic                      hd_ok_q, hz_q, hz_ok_q;
  always_comb begin
    unique case (hd_op_q)
      OpPull:             hazard = overlap;
      OpPush, OpChecksum: hazard = pull_pending || rc_bar2_busy;
      default:            hazard = 1'b0;
    endcase
  end
  always_ff @(posedge clk_i) begin
    // (Only with an entry there: the simulation skips the copy in other cycles.)
    if (sf_head_valid) begin
      /* verilator lint_off UNUSEDSIGNAL */
      sq_entry_t e;
      /* verilator lint_on UNUSEDSIGNAL */
      e         = head_entry;
      hd_op_q   <= e.opcode;
      hd_lo_q   <= (B + 1)'(e.bar2_offset[B-1:0]);
      hd_hi_q   <= (B + 1)'(e.bar2_offset[B-1:0]) + (B + 1)'(e.length);
      hd_slot_q <= sf_head_slot;
    end
    hd_ok_q <= !rst_i && sf_head_valid && !sf_flush;
    hz_q    <= hazard;
    hz_ok_q <= !rst_i && hd_ok_q && sf_head_valid && !sf_flush && sf_head_slot == hd_slot_q;
  end

  ///////////////////////////////
  // Inline CRC (FLAGS.CRC)    //
  ///////////////////////////////

  // Every job's slot starts the unit when the job unit takes the job (it drops the inputs of
  // jobs without FLAGS.CRC). It sees PULL data as peerbar_dma_rc writes it into BAR2 and PUSH
  // data as each payload beat leaves for the RQ slice; retire waits until the slot's last term
  // is in (crc_busy) and returns crc_inline in RESULT. The order rules keep PULL writes and PUSH
  // beats in different cycles.
  logic                     crc_start, crc_pl_valid;
  logic                     sqe_crc;   // the entry being decoded wants an inline CRC
  logic [B+1:0]             crc_pl_pos;
  logic [4:0]               crc_pl_lo, crc_pl_hi;
  // The job unit's slot still has an inline CRC in the making, as of the cycle before. StDecode
  // waits on this register instead of crc_busy[jw] (so the slot choice is not in front of its
  // decisions): the slot's flag rises only when a job takes the slot (crc_start, leaving
  // StDecode), and jw moves only at a handoff, two cycles or more before the next StDecode;
  // so the register is never low where crc_busy[jw] is high, and a flag that falls costs at
  // most one more cycle of waiting. (The simulation checks it below.)
  logic                     slot_crc_busy_q;
  always_ff @(posedge clk_i) begin
    slot_crc_busy_q <= !rst_i && crc_busy[jw];
  end
  always_comb begin
    sqe_crc      = (sqe.flags & FlagCrc) != '0 && sqe.opcode inside {OpPull, OpPush};
    crc_start    = state_q == StDecode && hz_ok_q && !hz_q && !slot_crc_busy_q;
    crc_pl_valid = push_valid && rq_ready;
    // The packet's payload byte i is job byte result_q + i (result_q: the bytes of the job's
    // earlier packets).
    crc_pl_pos   = (B + 2)'(result_q) + pm_pl_off;
    crc_pl_lo    = pm_pl_lo;
    crc_pl_hi    = pm_pl_hi;
  end

  peerbar_dma_crc_inline #(
    .Bar2SizeLog2 (Bar2SizeLog2),
    .NumJobs      (NumJobs)
  ) u_crc_inline (
    .clk_i        (clk_i),
    .rst_i        (rst_i),
    .start_i      (crc_start),
    .start_slot_i (jw),
    .start_en_i   (sqe_crc),
    .start_base_i (sqe.bar2_offset[B-1:0]),
    .start_len_i  ((B + 1)'(sqe.length)),
    .wr_valid_i   (|mem_wr_be_o),
    .wr_slot_i    (mem_wr_owner[JW-1:0]),
    .wr_row_i     (mem_wr_row_o),
    .wr_data_i    (mem_wr_data_o),
    .wr_be_i      (mem_wr_be_o),
    .pl_valid_i   (crc_pl_valid),
    .pl_slot_i    (jw),
    .pl_pos_i     (crc_pl_pos),
    .pl_data_i    (push_data),
    .pl_lo_i      (crc_pl_lo),
    .pl_hi_i      (crc_pl_hi),
    .busy_o       (crc_busy),
    .crc_o        (crc_inline)
  );

  // Reserved descriptor bytes 14:12 and SQ entry fields are ignored (declared after sqe:
  // SystemVerilog wants a name declared before its use, which Verilator does not check but
  // yosys-slang does).
  logic unused_owner;
  assign unused_owner = ^mem_wr_owner[OwnW-1:JW];
  logic unused_desc;
  assign unused_desc = ^{fbuf_we[FbDw-1:RingDw], cur_desc.rsvd_119_96, sqe.rsvd_511_320,
                         sqe.rsvd_191_160, sqe.rsvd_63_32};

  peerbar_dma_retire #(
    .Bar2SizeLog2 (Bar2SizeLog2),
    .NumQueues    (NumQueues),
    .NumJobs      (NumJobs),
    .OwnW         (OwnW)
  ) u_retire (
    .clk_i               (clk_i),
    .rst_i               (rst_i),
    .queue_cfg_i         (queue_cfg_i),
    .queue_enable_rise_i (queue_enable_rise_i),
    .dma_reset_i         (dma_reset_i),
    .bus_master_i        (bus_master_i),
    .msix_enable_i       (msix_enable_i),
    .msix_fmask_i        (msix_fmask_i),
    .msix_i              (msix_i),
    .pba_i               (pba_i),
    .pba_set_o           (pba_set_o),
    .pba_clr_o           (pba_clr_o),
    .slot_o              (jw),
    .full_o              (jobs_full),
    .add_i               (handoff),
    .add_qid_i           (jq_q),
    .add_cid_i           (cid_q),
    .add_head_i          (head_q),
    .add_status_i        (status_q),
    .add_result_i        (result_d),
    .add_eaddr_i         (eaddr_q),
    .add_irq_i           (irq_flag_q),
    .add_crc_i           (crc_flag_q),
    .add_fin_i           (state_q == StFinish),
    .add_pull_i          (opcode_q == OpPull),
    .add_lo_i            (job_lo_q),
    .add_hi_i            (job_hi_q),
    .chk_i               (hd_ok_q && state_q inside {StIdle, StDecode}),
    .chk_lo_i            (hd_lo_q),
    .chk_hi_i            (hd_hi_q),
    .pull_pending_o      (pull_pending),
    .overlap_o           (overlap),
    .bytes_owner_i       (rc_bytes_owner),
    .bytes_i             (rc_bytes_in),
    .err_valid_i         (rc_err_valid),
    .err_owner_i         (rc_err_owner),
    .err_status_i        (rc_err_status),
    .err_addr_i          (rc_err_addr),
    .owner_busy_i        (owner_busy[NumJobs-1:0]),
    .kill_o              (rt_kill),
    .crc_busy_i          (crc_busy),
    .crc_i               (crc_inline),
    .reg_free_i          (reg_free),
    .block_cq_i          (state_q == StRingFault),  // one error log entry per cycle
    .beat_valid_o        (rt_beat_valid),
    .beat_addr_o         (rt_beat_addr),
    .beat_dwc_o          (rt_beat_dwc),
    .beat_payload_o      (rt_beat_payload),
    .beat_job_o          (rt_beat_job),
    .beat_jq_o           (rt_beat_jq),
    .ev_o                (rt_ev),
    .busy_o              (rt_busy),
    .queue_busy_o        (rt_queue_busy),
    .queue_full_o        (rt_queue_full)
  );

  // Who loads the RQ beat register this cycle: retire (CQ entry, MSI-X message, a pending
  // message), then the SQ fetch, then the job unit (can_read, PUSH packets).
  assign sf_go    = sf_want && can_read_base && !rt_beat_valid;
  assign rq_taken = rt_beat_valid || sf_go;

  logic own_err;  // a read of the job unit's job failed
  assign own_err  = rc_err_valid && (rc_err_owner == own || (look_err && !look_pending));
  // A fetch read goes out unless the job fails in this cycle (its read error, or one held
  // during a PUSH packet: the job unit's error step below then takes the RQ register back and
  // allocates nothing). The fetch's own registers (next byte, bytes left, ring fill) move only
  // with a read that went out: a read of the next job's list read ahead, cancelled so, would
  // otherwise count as fetched with its bytes never coming, and that job would wait for them
  // for ever (seen in the soak, docs/verification.md).
  assign f_go = f_want && can_read && !own_err && !err_pend_q;
  // The RQ register is free for a PUSH packet: nothing else loads it and the fetch does not want
  // it. (Not f_go: in a cycle where the job fails, the error step ends the job whatever StDesc
  // or StPushSetup decide, so their decisions need not wait for the failure's owner compare.)
  logic pkt_free;
  assign pkt_free = reg_free && !rq_taken && !(f_want && can_read);

  always_comb begin
    state_d       = state_q;
    sf_take       = 1'b0;
    ck_start      = 1'b0;
    job_lo_d      = job_lo_q;
    job_hi_d      = job_hi_q;
    jq_d          = jq_q;
    opcode_d      = opcode_q;
    irq_flag_d    = irq_flag_q;
    crc_flag_d    = crc_flag_q;
    cid_d         = cid_q;
    head_d        = head_q;
    dptr_d        = dptr_q;
    status_d      = status_q;
    result_d      = result_q;
    eaddr_d       = eaddr_q;
    rem_d         = rem_q;
    ptr_d         = ptr_q;
    in_list_d     = in_list_q;
    seg_left_d    = seg_left_q;
    seg_last_d    = seg_last_q;
    dcount_d      = dcount_q;
    err_pend_d    = err_pend_q;
    blk_adv_d     = blk_adv_q;
    // (A chaining decision holds while the mover's plan does: the chained packet uses the
    // first chunk read at the second-to-last beat, peerbar_dma_push_mover.)
    chain_d       = chain_q && state_q == StPushBeats && pm_ok;
    err_st_d      = err_st_q;
    err_ea_d      = err_ea_q;
    x_addr_d      = x_addr_q;
    x_len_d       = x_len_q;
    x_zero_d      = x_zero_q;
    abort_d       = abort_q;

    ld_valid = 1'b0;
    ld_data  = '0;
    ld_keep  = '0;
    ld_be    = '0;
    ld_np    = 1'b0;

    alloc_valid = 1'b0;
    alloc_buf   = 1'b0;
    alloc_addr  = '0;
    alloc_len   = '0;
    alloc_dest  = '0;
    alloc_owner = own;
    kill        = '0;
    handoff     = 1'b0;
    ld_job      = 1'b1;
    ld_jq       = jq_q;
    consume     = 1'b0;
    walk_move   = 1'b0;
    pr_issue    = 1'b0;
    pull_start  = 1'b0;
    push_load   = 1'b0;
    blk_end     = 1'b0;

    mem_rd_en_o  = 1'b0;
    mem_rd_row_o = '0;

    queue_disable_o = '0;
    ev_o            = rt_ev;   // retire's job and log events (a ring fault's log waits: block_cq_i)
    ev_o.bytes_in       = rc_bytes_in;
    ev_o.bad_completion = rc_bad;
    ev_o.err_link       = rc_err_link;

    // PULL accounting: bytes this job put into BAR2 (the job slots count theirs below)
    if (opcode_q == OpPull && state_q != StIdle && rc_bytes_owner == own) begin
      result_d = result_q + CqEntryResultW'(rc_bytes_in);
    end

    unique case (state_q)
      StIdle: begin
        // The FIFO's oldest entry, when a job slot is free for it.
        if (dma_enable_i && bus_master_i && !dma_reset_i && !sf_flush && sf_head_valid &&
            !jobs_full) begin
          jq_d = sf_head_qid;
          if (sf_head_fault) begin
            status_d = sf_head_status;
            eaddr_d  = sf_head_eaddr;
            state_d  = StRingFault;
          end else begin
            state_d = StDecode;
          end
        end
      end

      StRingFault: begin
        // The SQ entry cannot be read: no CID to complete. Stop the queue and log it (the FIFO
        // is refetched: sf_flush). Earlier entries of the queue have all been taken.
        queue_disable_o[jq_q] = 1'b1;
        ev_o.log_valid       = 1'b1;
        ev_o.log_status      = status_q;
        ev_o.log_queue       = DMA_ERROR_LOG_QUEUE_WIDTH'(jq_q);
        ev_o.log_addr        = eaddr_q;
        state_d              = StIdle;
      end

      StDecode: begin
        logic [SqEntryBar2OffsetW-1:0] off;
        logic [SqEntryLengthW-1:0]     len;
        if (!hz_ok_q || hz_q || slot_crc_busy_q) begin
          // Wait for an earlier PULL (above), or for the slot's last inline CRC to drain.
        end else begin
          sf_take    = 1'b1;
          job_lo_d   = hd_lo_q;
          job_hi_d   = hd_hi_q;
          off        = sqe.bar2_offset;
          len        = sqe.length;
          opcode_d   = sqe.opcode;
          irq_flag_d = (sqe.flags & FlagInterrupt) != '0;
          crc_flag_d = sqe_crc;
          cid_d      = sqe.cid;
          dptr_d     = sqe.dptr;
          head_d     = sf_take_head;
          status_d   = StSuccess;
          result_d   = '0;
          rem_d      = len;
          ptr_d      = B'(off);
          in_list_d  = 1'b0;
          seg_left_d = '0;
          // (The ring keeps the job's list if it was fetched ahead, and starts empty if not:
          // peerbar_dma_sgl_prefetch.)
          err_pend_d = 1'b0;
          blk_adv_d  = 1'b0;
          dcount_d   = '0;
          eaddr_d    = '0;
          state_d    = StFinish;
          unique case (sqe.opcode)
            OpNop: ;
            OpPull, OpPush, OpChecksum: begin
              if (sqe_out_q) begin
                status_d = StBarRange;
                eaddr_d  = off;
              end else if (sqe_zero_q) begin
                status_d = StSuccess;
              end else if (sqe.opcode == OpChecksum) begin
                ck_start = 1'b1;
                state_d  = StCrc;
              end else begin
                state_d = StDesc;
              end
            end
            default: status_d = StInvalidOpcode;
          endcase
        end
      end

      StDesc: begin
        logic fail, next;
        logic [StatusW-1:0] st;
        fail = 1'b0;
        next = 1'b0;
        st   = StSuccess;
        // PUSH: the first chunk of the packet the mover plans is read in every StDesc cycle,
        // whatever the walker decides, so that the BAR2 read address does not wait for the
        // descriptor's checks (a read has no effect; no PULL writes BAR2 while a PUSH runs).
        if (opcode_q == OpPush) begin
          mem_rd_en_o  = 1'b1;
          mem_rd_row_o = pm_rd_row;
        end
        if (in_list_q && dcount_q[16]) begin
          fail = 1'b1;
          st   = StSglLimit;
        end else if (!d_ready) begin
          // Wait for the descriptor's bytes in the fetch ring.
        end else begin
          if (in_list_q) begin
            dcount_d = dcount_q + 17'd1;
          end
          if (d_sub == 4'd0 && (d_type == 4'h2 || d_type == 4'h3) &&
              (!in_list_q || (d_last_in_seg && !seg_last_q))) begin
            // Segment / Last Segment pointer
            if (d_zero || d_len[3:0] != '0 || d_addr[2:0] != '0 || d_ovf) begin
              fail = 1'b1;
              st   = StSglSegment;
            end else begin
              // The current segment is used up: the ring continues with the next one, fetched
              // ahead already (lookahead) or from now on. A read of it that failed meanwhile
              // fails the job now, in list order.
              consume    = in_list_q;
              walk_move  = 1'b1;
              in_list_d  = 1'b1;
              seg_left_d = d_len;
              seg_last_d = d_type == 4'h3;
              state_d    = StDesc;
              if (look_pending && look_held) begin
                err_pend_d = 1'b1;
                err_st_d   = look_held_st;
                err_ea_d   = look_held_ea;
              end
            end
          end else if (!in_list_q && !(d_sub == 4'd0 && d_type == 4'h0)) begin
            fail = 1'b1;
            st   = StSglSegment;                      // not a valid DPTR
          end else if (d_sub == 4'd0 && (d_type == 4'h2 || d_type == 4'h3)) begin
            fail = 1'b1;
            st   = d_last_in_seg ? StSglSegment       // ends a Last Segment
                                 : StSglCount;        // not in last position
          end else if (d_sub != 4'd0 || d_type > 4'h1 ||
                       (d_type == 4'h1 && opcode_q == OpPush)) begin
            fail = 1'b1;
            st   = StSglType;
          end else if (d_zero) begin
            next = 1'b1;                              // zero-length: skipped
          end else if (d_over || d_ovf) begin
            fail = 1'b1;
            st   = StSglLength;
          end else if (d_type == 4'h1) begin
            ptr_d = ptr_q + B'(d_len);                // Bit Bucket on PULL: skip
            rem_d = rem_q - d_len;
            next  = 1'b1;
          end else if (opcode_q == OpPush && !pm_ok) begin
            // PUSH: the first packet's plan is worked out in this cycle.
          end else if (opcode_q == OpPush && pkt_free) begin
            // PUSH: the first packet starts at once (as in StPushSetup).
            // Its first chunk is read now (above).
            rem_d     = rem_q - d_len;
            push_load = 1'b1;
            state_d   = StPushPrime;
          end else begin
            x_addr_d = d_addr;
            x_len_d  = d_len;
            x_zero_d = 1'b0;                          // d_len is not 0 (skipped above)
            rem_d    = rem_q - d_len;
            state_d  = (opcode_q == OpPull) ? StPullReq : StPushSetup;
            pull_start = opcode_q == OpPull;           // (pr_*, above)
          end
        end
        if (fail) begin
          status_d = st;
          eaddr_d  = d_addr;
          state_d  = StFinish;
        end else if (next) begin
          blk_end = 1'b1;                             // on to the next descriptor (below)
        end
      end

      StPullReq: begin
        // (Entered with x_len_q > 0; left with the Data Block's last read. pr_*: above.)
        if (pr_ok_q && can_read && !f_want) begin
          pr_issue    = 1'b1;
          ld_valid    = 1'b1;
          ld_data     = 256'(rq_desc(x_addr_q[63:2], pr_dbe_q[18:8], 1'b0, slot_tag[free_tag]));
          ld_keep     = 8'h0F;
          ld_be       = pr_dbe_q[7:0];
          ld_np       = 1'b1;
          alloc_valid = 1'b1;
          alloc_buf   = 1'b0;
          alloc_addr  = x_addr_q;
          alloc_len   = pr_len_q;
          alloc_dest  = ptr_q;
          eaddr_d     = x_addr_q;
          x_addr_d    = x_addr_q + SglDescAddressW'(pr_len_q);
          x_len_d     = x_len_q - SglDescLengthW'(pr_len_q);
          x_zero_d    = pr_last_q;
          ptr_d       = ptr_q + B'(pr_len_q);
          // The Data Block's last read: the walker moves on in the same cycle (the next ring
          // descriptor's copy, desc_q, takes a cycle).
          blk_end = pr_last_q;
        end
      end

      StPushSetup: begin
        if (x_zero_q) begin
          blk_end = 1'b1;                             // the Data Block is done (below)
        end else if (pm_ok && pkt_free) begin
          // The packet's first chunk is read now.
          push_load    = 1'b1;
          mem_rd_en_o  = 1'b1;
          mem_rd_row_o = pm_rd_row;
          state_d      = StPushPrime;
        end
      end

      StPushPrime: begin
        // Its second chunk is read now.
        mem_rd_en_o  = 1'b1;
        mem_rd_row_o = pm_rd_row;
        state_d      = StPushBeats;
      end

      StPushBeats: begin
        if (rq_ready) begin
          // A beat is taken: the mover reads the chunk after.
          if (p_chain_ok && pm_ok && (!x_zero_q || next_ok) && pm_at2) begin
            chain_d = 1'b1;
          end
          if (push_last) begin
            chain_d        = 1'b0;
            ev_o.bytes_out = pm_len;
            result_d       = result_q + CqEntryResultW'(pm_len);
            state_d        = abort_q ? StIdle : StPushSetup;
            abort_d        = 1'b0;
            if (p_chain_ok && chain_q && pm_ok) begin
              // The next packet follows on the next cycle (the mover has read its first chunk
              // and reads its second now). Into the next descriptor: what StDesc does when it
              // starts a Data Block.
              push_load = 1'b1;
              if (x_zero_q) begin
                rem_d    = rem_q - d_len;
                dcount_d = dcount_q + 17'd1;
              end
              state_d = StPushBeats;
            end else if (!abort_q && x_zero_q) begin
              blk_end = 1'b1;                   // the Data Block is done (below)
            end
          end
          mem_rd_en_o  = 1'b1;
          mem_rd_row_o = pm_rd_row;
        end
      end

      StCrc: begin
        if (ck_rd_en) begin
          mem_rd_en_o  = 1'b1;
          mem_rd_row_o = {8{ck_rd_row}};
        end else if (crc_valid) begin
          result_d = crc;
          state_d  = StFinish;
        end
      end

      StDrain: begin
        // Every request of the job is out: its slot takes it over (and waits for its reads);
        // the job unit goes on with the next entry. A segment fetched ahead that the walker
        // never entered (the list ended before its pointer) is abandoned.
        handoff = 1'b1;
        kill[LookOwner] = !xj_q;
      end

      StFinish: begin
        // The job ended without its data (an error, a NOP, nothing to move): abandon whatever
        // it still has outstanding (but the next job's list fetched ahead); its slot
        // completes it.
        kill[own]       = 1'b1;
        kill[LookOwner] = !xj_q;
        handoff         = 1'b1;
      end

      default: state_d = StIdle;
    endcase

    // Load the next PUSH packet (the mover's plan): the Data Block advances past it.
    if (push_load) begin
      eaddr_d   = pm_addr;
      x_addr_d  = pm_next_addr;
      x_len_d   = pm_rest;
      x_zero_d  = pm_last;
      ptr_d     = pm_next_ptr;
      // The packet ends its Data Block: the walker moves past the descriptor now.
      blk_adv_d = 1'b0;
      if (pm_last && in_list_q && !d_last_in_seg) begin
        consume    = 1'b1;
        seg_left_d = seg_left_q - SglDescLengthW'(16);
        blk_adv_d  = 1'b1;
      end
    end

    // A cycle that ends a Data Block leaves rem_q as it is, but for a Bit Bucket skipped in StDesc
    // (rem_q - its length; one of length 0 is skipped too, with the same result). Worked out so
    // from registers, not from rem_d, whose StDecode branch would put the SQ entry and the
    // ordering checks in front of this decision.
    // (Only in such a cycle: the simulation skips the compare in others.)
    rem_none = 1'b0;
    if (blk_end) begin
      rem_none = rem_q == ((state_q == StDesc && d_type == 4'h1) ? SqEntryLengthW'(d_len) : '0);
    end
    // The walker is done with the current Data Block (its last MemRd or PUSH packet is out) or
    // skips the current descriptor (zero length, a Bit Bucket): on to the next descriptor, or
    // the list ends here (short of LENGTH: the error names a skipped descriptor's address, or
    // keeps the last request's).
    if (blk_end) begin
      state_d   = StDesc;
      blk_adv_d = 1'b0;
      if (blk_adv_q) begin
        // PUSH: the walker moved past the Data Block when its last packet was loaded.
      end else if (in_list_q && !d_last_in_seg) begin
        consume    = 1'b1;
        seg_left_d = seg_left_q - SglDescLengthW'(16);
      end else if (rem_none) begin
        state_d = StDrain;
      end else begin
        status_d = StSglLength;
        eaddr_d  = (state_q == StDesc) ? d_addr : eaddr_d;
        state_d  = StFinish;
      end
    end

    // SGL prefetch: the ring's read (its registers move in peerbar_dma_sgl_prefetch)
    if (f_go) begin
      logic [18:0] dbe;
      dbe         = dw_be(f_addr[1:0], f_len);
      ld_valid    = 1'b1;
      ld_data     = 256'(rq_desc(f_addr[63:2], dbe[18:8], 1'b0, slot_tag[free_tag]));
      ld_keep     = 8'h0F;
      ld_be       = dbe[7:0];
      ld_np       = 1'b1;
      // The next job's list read ahead is its queue's request (QUEUE_STATUS.BUSY).
      ld_jq       = xj_q ? sf_head_qid : jq_q;
      alloc_valid = 1'b1;
      alloc_buf   = 1'b1;
      alloc_owner = look_pending ? OwnW'(LookOwner) : own;
      alloc_addr  = f_addr;
      alloc_len   = f_len;
      alloc_dest  = B'(f_dest);
    end
    // What the next PUSH packet's plan depends on changes (pm_ok).
    n_chg = push_load || consume || walk_move || state_q == StDecode ||
            ((state_d == StDesc) != (state_q == StDesc)) ||
            ((state_q == StDesc || x_zero_q) && !d_ready);

    // A failed read of the job ends it (PULL data, SGL segments). One that fails while a PUSH
    // packet is on the wire ends the job after the packet.
    if (own_err && state_q inside {StPushPrime, StPushBeats}) begin
      err_pend_d = 1'b1;
      err_st_d   = rc_err_status;
      err_ea_d   = rc_err_addr;
    end
    if ((own_err || err_pend_q) &&
        state_q inside {StDesc, StPullReq, StPushSetup, StDrain}) begin
      status_d    = own_err ? rc_err_status : err_st_q;
      eaddr_d     = own_err ? rc_err_addr : err_ea_q;
      err_pend_d  = 1'b0;
      state_d     = StFinish;
      alloc_valid = 1'b0;
      handoff     = 1'b0;
      ld_valid    = 1'b0;
    end

    // DMA_CONTROL.RESET: abort the job (a PUSH packet on the wire is finished first).
    if (dma_reset_i) begin
      kill = '1;
      if (state_q == StPushBeats && !(rq_ready && push_last)) begin
        abort_d = 1'b1;
      end else if (state_q != StIdle) begin
        state_d     = StIdle;
        alloc_valid = 1'b0;
        handoff     = 1'b0;
        ld_valid    = 1'b0;
      end
    end

    // The next job's list fetched ahead is abandoned with the lookahead owner's reads (the job
    // ended without handing over, a DMA reset) or when the FIFO is refetched (the entry may be
    // gone; a refetch in the cycle its StDecode takes it leaves it).
    ahead_drop = kill[LookOwner] || (sf_flush && !(state_q == StDecode && sf_take));
    if (xj_q && ahead_drop) begin
      kill[LookOwner] = 1'b1;
    end

    // Hand the job unit's job over to its slot (peerbar_dma_retire).
    if (handoff) begin
      state_d = StIdle;
    end

    ////////////
    // Retire //
    ////////////

    // The oldest slot's CQ entry or MSI-X message, or a pending MSI-X message (PBA), goes out
    // first; a failed read of a slot kills the slot's other reads.
    if (rt_beat_valid) begin
      ld_valid   = 1'b1;
      ld_data    = {rt_beat_payload,
                    rq_desc(rt_beat_addr, RqDescDwordCountW'(rt_beat_dwc), 1'b1, RqDescTagW'(0))};
      ld_keep    = (rt_beat_dwc == 3'd4) ? 8'hFF : 8'h1F;
      ld_be      = (rt_beat_dwc == 3'd4) ? 8'hFF : 8'h0F;
      ld_np      = 1'b0;
      ld_job     = rt_beat_job;
      ld_jq      = rt_beat_jq;
    end
    kill[NumJobs-1:0] = kill[NumJobs-1:0] | rt_kill;

    //////////////
    // SQ fetch //
    //////////////

    if (sf_go) begin
      ld_valid    = 1'b1;
      ld_data     = 256'(rq_desc(sf_addr[63:2], RqDescDwordCountW'({sf_n, 4'd0}), 1'b0,
                                 slot_tag[free_tag]));
      ld_keep     = 8'h0F;
      ld_be       = 8'hFF;
      ld_np       = 1'b1;
      ld_jq       = sf_qid;
      alloc_valid = 1'b1;
      alloc_buf   = 1'b1;
      alloc_owner = OwnW'(NumJobs) + OwnW'(sf_id);
      alloc_addr  = sf_addr;
      alloc_len   = tlp_bytes_t'({sf_n, 6'd0});
      alloc_dest  = B'(2 ** FL) + B'({sf_slot, 6'd0});
    end
    kill[NumJobs +: SqReads] = kill[NumJobs +: SqReads] | sf_kill;

    // Refetch (peerbar_dma_sq_fetch empties the FIFO): an entry the job unit holds but has not
    // taken yet goes too.
    if (sf_flush && state_q == StDecode && !sf_take) begin
      state_d = StIdle;
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      state_q       <= StIdle;
      job_lo_q      <= '0;
      job_hi_q      <= '0;
      jq_q          <= '0;
      opcode_q      <= '0;
      irq_flag_q    <= 1'b0;
      crc_flag_q    <= 1'b0;
      cid_q         <= '0;
      head_q        <= '0;
      dptr_q        <= '0;
      status_q      <= '0;
      result_q      <= '0;
      eaddr_q       <= '0;
      rem_q         <= '0;
      ptr_q         <= '0;
      in_list_q     <= 1'b0;
      seg_left_q    <= '0;
      seg_last_q    <= 1'b0;
      dcount_q      <= '0;
      err_pend_q    <= 1'b0;
      blk_adv_q     <= 1'b0;
      chain_q       <= 1'b0;
      err_st_q      <= '0;
      err_ea_q      <= '0;
      x_addr_q      <= '0;
      x_len_q       <= '0;
      x_zero_q      <= 1'b1;
      abort_q       <= 1'b0;
    end else begin
      state_q       <= state_d;
      job_lo_q      <= job_lo_d;
      job_hi_q      <= job_hi_d;
      jq_q          <= jq_d;
      opcode_q      <= opcode_d;
      irq_flag_q    <= irq_flag_d;
      crc_flag_q    <= crc_flag_d;
      cid_q         <= cid_d;
      head_q        <= head_d;
      dptr_q        <= dptr_d;
      status_q      <= status_d;
      result_q      <= result_d;
      eaddr_q       <= eaddr_d;
      rem_q         <= rem_d;
      ptr_q         <= ptr_d;
      in_list_q     <= in_list_d;
      seg_left_q    <= seg_left_d;
      seg_last_q    <= seg_last_d;
      dcount_q      <= dcount_d;
      err_pend_q    <= err_pend_d;
      blk_adv_q     <= blk_adv_d;
      chain_q       <= chain_d;
      err_st_q      <= err_st_d;
      err_ea_q      <= err_ea_d;
      x_addr_q      <= x_addr_d;
      x_len_q       <= x_len_d;
      x_zero_q      <= x_zero_d;
      abort_q       <= abort_d;
    end
  end

  // Status
  always_comb begin
    // A job of the queue in the job unit or in a slot.
    queue_busy_o = rt_queue_busy | rq_queue_busy;
    queue_full_o = rt_queue_full;
    if (state_q != StIdle) begin
      queue_busy_o[jq_q] = 1'b1;
    end
    // BUSY promises that no request of the queue's jobs is left to go out, so it also covers a
    // beat still held in the RQ register or the RQ slice after its slot retired
    // (peerbar_dma_rq_port) and an SQ read not yet sent. Status only: arbitration does not wait.
    // A beat in either slice is work too: the simulation clocks the model while busy.
    busy_o = state_q != StIdle || rt_busy || sf_busy || rq_busy ||
             rc_out_valid || rc_busy || (|owner_busy) || (dma_enable_i && bus_master_i && sf_work);
  end

`ifndef SYNTHESIS
  // Simulation-only checks: each register kept beside what it stands for (a flag, a check made
  // ahead) against a fresh computation (the ring's own: peerbar_dma_sgl_prefetch). The
  // simulation stops on a difference. Each check's cheap condition is tested first, in its own
  // if: the simulation then works out the wide comparisons only in the cycles that need them.
  always_ff @(posedge clk_i) begin
    // The descriptor checks made on the copy's way in are those of the descriptor and of rem_q
    // wherever the walker looks at them.
    if (!rst_i && d_ready && (state_q == StDesc || (in_list_q && blk_adv_q && x_zero_q))) begin
      if (d_ovf != wraps(d_addr, d_len) || d_over != (d_len > rem_q) || d_zero != (d_len == '0)) begin
        $fatal(1, "peerbar_dma_engine: descriptor checks %0d%0d%0d stale (length %0d, rem %0d)",
               d_ovf, d_over, d_zero, d_len, rem_q);
      end
    end
    // The SQ entry's checks made on the copy's way in are those of the entry.
    if (!rst_i && state_q == StDecode) begin
      if (sqe_out_q != (({1'b0, sqe.bar2_offset} + 65'(sqe.length)) > (65'(1) << B)) ||
          sqe_zero_q != (sqe.length == '0)) begin
        $fatal(1, "peerbar_dma_engine: SQ entry checks %0d%0d stale", sqe_out_q, sqe_zero_q);
      end
    end
    // The end of a Data Block sees the bytes of LENGTH left as they will be.
    if (!rst_i && blk_end && rem_none != (rem_d == '0)) begin
      $fatal(1, "peerbar_dma_engine: rem_none %0d with rem_d %0d", rem_none, rem_d);
    end
    // StDecode takes its entry only when the order check made in this cycle, on the same entry,
    // finds no hazard (hd_* are the entry's then).
    if (!rst_i && state_q == StDecode && sf_take) begin
      logic [B:0] lo, hi;
      lo = (B + 1)'(sqe.bar2_offset[B-1:0]);
      hi = lo + (B + 1)'(sqe.length);
      if (hazard || hd_op_q != sqe.opcode || hd_lo_q != lo || hd_hi_q != hi) begin
        $fatal(1, "peerbar_dma_engine: entry taken with hazard %0d, checked %0d [%0d, %0d) for %0d [%0d, %0d)",
               hazard, hd_op_q, hd_lo_q, hd_hi_q, sqe.opcode, lo, hi);
      end
    end
    // StDecode's wait for the slot's inline CRC is never shorter than crc_busy[jw]'s.
    if (!rst_i && state_q == StDecode && crc_busy[jw] && !slot_crc_busy_q) begin
      $fatal(1, "peerbar_dma_engine: slot %0d's inline CRC busy, slot_crc_busy_q low", jw);
    end
    // A PULL MemRd goes out from the split worked out ahead: it is the Data Block's.
    if (!rst_i && state_q == StPullReq && pr_ok_q) begin
      split_t sp;
      sp = split_at(x_addr_q[11:0], x_len_q, mrrs);
      if (sp.len != pr_len_q || sp.last != pr_last_q || sp.dbe != pr_dbe_q) begin
        $fatal(1, "peerbar_dma_engine: PULL split %0d/%0d/%h stale (%0d/%0d/%h)", pr_len_q,
               pr_last_q, pr_dbe_q, sp.len, sp.last, sp.dbe);
      end
    end
    if (!rst_i && state_q != StIdle) begin
      if (x_zero_q != (x_len_q == '0)) begin
        $fatal(1, "peerbar_dma_engine: x_zero_q %0d with x_len_q %0d", x_zero_q, x_len_q);
      end
    end
  end
`endif

endmodule

`default_nettype wire
