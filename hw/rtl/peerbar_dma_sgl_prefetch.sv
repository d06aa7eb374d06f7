// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_dma_sgl_prefetch: the SGL walker's fetch ring (contract: docs/dma-engine.md, "SGL
// walk"). It holds the ring of list bytes and decides the list reads; the job unit's walker
// (peerbar_dma_engine) decides what the descriptors mean and tells it when it moves.
//
// - Segment bytes are read into a ring of 2**FL bytes ahead of the walker: several reads in
//   flight, each within 4 KiB, MRRS and the segment, whenever at least 128 bytes (or the rest of
//   the segment) are free (want_o, len_o, addr_o, dest_o; the job unit sends the read and says
//   so with go_i). peerbar_dma_rc writes the completions' DWORDs into the ring (lane_*_i).
// - The walker's current descriptor (at the ring's read offset) comes out of a register, copied
//   a cycle earlier, with its length and address checks (desc_*_o).
// - Lookahead: the segment descriptor that ends the segment being fetched (its chaining
//   descriptor) is caught as its bytes land in the ring; if it is a valid Segment / Last Segment
//   pointer, the fetch goes on into that segment before the walker gets there (look_o: the reads
//   are the lookahead owner's; their failures wait until the walker enters the segment).
// - Read-ahead of the next job's list: once the current job's list is all fetched (its Last
//   Segment to the end), the fetch goes on with the next job's first segment (ahead_*_i, from
//   the SQ FIFO's oldest entry), into the ring after the current job's list; the next job starts
//   on it (start_i) instead of fetching it then.
//
// Every read of the list is a MemRd for PCIe; its size rules (4 KiB, MRRS: PCIe Base Spec
// 2.2.7) are the requester's, and the ring's bytes are only used once every DWORD of a
// descriptor has arrived, whatever the order of the completions (PG213, "Requester Completion
// Interface": completions of different tags come in any order).

`default_nettype none

module peerbar_dma_sgl_prefetch
  import peerbar_pkg::*;
  import peerbar_wire_pkg::*;
  import peerbar_dma_tlp_pkg::*;
#(
  // log2 of the ring's size in bytes (32 descriptors at 9).
  parameter int unsigned FL = 9,
  localparam int unsigned RingDw = 2 ** (FL - 2)
) (
  input  wire logic                         clk_i,
  input  wire logic                         rst_i,
  input  wire tlp_bytes_t                   mrrs_i,       // Max_Read_Request_Size, bytes

  // The job unit's state (registered there)
  input  wire logic                         job_i,        // a job is in the job unit
  input  wire logic                         decode_i,     // it decodes an SQ entry ...
  input  wire logic                         start_i,      // ... and the job starts now
  input  wire logic                         fetch_i,      // a list read may go out now
  input  wire logic                         moving_i,     // the job walks its list or moves data

  // The walker
  input  wire logic                         in_list_i,    // the walker is in a segment
  input  wire logic                         seg_last_i,   // ... a Last Segment
  input  wire logic [SqEntryLengthW-1:0]    rem_i,        // the job's bytes no descriptor covers yet
  input  wire logic                         enter_i,      // the walker takes a segment pointer ...
  input  wire logic [SglDescAddressW-1:0]   enter_addr_i, // ... to this segment
  input  wire logic [SglDescLengthW-1:0]    enter_len_i,
  input  wire logic                         consume_i,    // the walker is done with desc_o
  output      sgl_desc_t                    desc_o,       // the descriptor at the walker
  output      logic                         desc_ready_o, // ... all four DWORDs of it arrived
  output      logic                         desc_wraps_o, // its address + length wraps 2**64
  output      logic                         desc_over_o,  // its length > rem_i
  output      logic                         desc_zero_o,  // its length is 0

  // The list reads
  output      logic                         need_o,       // a read is due
  output      logic                         want_o,       // ... and may go out now (fetch_i)
  output      logic [SglDescAddressW-1:0]   addr_o,       // its bus address
  output      tlp_bytes_t                   len_o,        // its bytes
  output      logic [FL-1:0]                dest_o,       // its first ring byte
  output      logic                         look_o,       // it is the lookahead's (read owner)
  input  wire logic                         go_i,         // the read goes out now

  // Failures of the lookahead owner's reads, held for the walker: when it enters the segment
  // they were fetched for (enter_i while look_o), look_err_o says whether one failed.
  input  wire logic                         look_busy_i,  // the lookahead owner has reads out
  input  wire logic                         look_fail_i,  // one failed in this cycle ...
  input  wire logic [StatusW-1:0]           fail_status_i,
  input  wire logic [63:0]                  fail_addr_i,  // ... reading this bus address
  output      logic                         look_err_o,
  output      logic [StatusW-1:0]           look_err_status_o,
  output      logic [63:0]                  look_err_addr_o,

  // The next job's list read ahead: its first segment (the SQ FIFO's oldest entry's DPTR), and
  // whether the job unit lets it start (ahead_ok_i: it qualifies, still the FIFO's oldest, no
  // error pending). ahead_o: it is in the ring (until the next start_i); ahead_drop_i drops it.
  input  wire logic                         ahead_ok_i,
  input  wire logic [SglDescAddressW-1:0]   ahead_addr_i,
  input  wire logic [SglDescLengthW-1:0]    ahead_len_i,
  input  wire logic                         ahead_last_i,
  input  wire logic                         ahead_drop_i,
  output      logic                         ahead_o,
  output      logic                         ahead_tried_o, // it was started during this job

  // peerbar_dma_rc's fetch buffer write port (region 0 of the buffer is this ring): DWORD
  // lane_idx_i[i] takes lane_data_i[i] when lane_we_i[i]; in a cycle that writes, lane i's
  // DWORD is lane 0's + i in the same region, going round (peerbar_dma_fbuf_banks checks it);
  // ring_we_i has the ring DWORDs written.
  input  wire logic [7:0]                   lane_we_i,
  input  wire logic [7:0][FL-2:0]           lane_idx_i,
  input  wire logic [7:0][31:0]             lane_data_i,
  input  wire logic [RingDw-1:0]            ring_we_i
);

  function automatic logic [31:0] min32(logic [31:0] a, logic [31:0] b);
    return (a < b) ? a : b;
  endfunction

  // The ring DWORDs from a up to b (not included), going round; none if a == b.
  function automatic logic [RingDw-1:0] ring_span(logic [FL-3:0] a, logic [FL-3:0] b);
    logic [RingDw-1:0] from_a, below_b;
    from_a  = ~((RingDw'(1) << a) - RingDw'(1));
    below_b = (RingDw'(1) << b) - RingDw'(1);
    return (a <= b) ? (from_a & below_b) : (from_a | below_b);
  endfunction

  logic [SglDescAddressW-1:0] seg_addr_q, seg_addr_d; // next byte of the segment to fetch
  logic [SglDescLengthW-1:0]  seg_rem_q, seg_rem_d;   // segment bytes not yet fetched
  logic [FL-1:0]   f_rd_q, f_rd_d;         // ring offset of the walker's descriptor
  logic [FL-1:0]   f_wr_q, f_wr_d;         // ring offset of the next fetched byte
  logic [FL:0]     f_fill_q, f_fill_d;     // ring bytes requested and not yet consumed
  logic [RingDw-1:0] f_valid_q, f_valid_d; // ring DWORDs holding fetched bytes
  logic            ch_armed_q, ch_armed_d; // a read covering the chaining descriptor is out
  logic [FL-3:0]   ch_dw_q, ch_dw_d;       // its first ring DWORD
  logic [3:0]      ch_got_q;               // its DWORDs caught
  logic [3:0][31:0] ch_q;                  // ... and their values
  logic            nx_pending_q, nx_pending_d; // the fetch is in the next segment already
  logic            nx_last_q, nx_last_d;   // ... it is a Last Segment
  logic            nx_err_q, nx_err_d;     // one of its reads failed (held until the walker)
  logic [StatusW-1:0] nx_st_q, nx_st_d;
  logic [63:0]     nx_ea_q, nx_ea_d;
  logic            xj_q, xj_d;             // the next segment is the next job's first
  logic            xj_tried_q, xj_tried_d; // ... it was started during this job
  logic [FL-1:0]   xj_at_q, xj_at_d;       // its first ring byte

  // The ring's bytes (peerbar_dma_fbuf_banks: 8 banks of distributed RAM, DWORD d in bank d % 8,
  // row d / 8, written by peerbar_dma_rc's lanes). A descriptor (16-byte aligned in the ring) is
  // one row of banks 0-3 or 4-7; bk_rd is the row of the walker's descriptor.
  logic [7:0][31:0] bk_rd;
  peerbar_dma_fbuf_banks #(
    .RowW   (FL - 5),
    .Reads  (1),
    .Region (1'b0)
  ) u_ring (
    .clk_i       (clk_i),
    .lane_we_i   (lane_we_i),
    .lane_idx_i  (lane_idx_i),
    .lane_data_i (lane_data_i),
    .rd_row_i    (f_rd_q[FL-1:5]),
    .rd_data_o   (bk_rd)
  );

  // The walker's descriptor comes from a register, not from a 32-way choice of the ring in the
  // cycle it is used: desc_q is a copy of the ring's descriptor at f_rd_q as it was a cycle ago
  // (desc_at_q: which one), desc_rdy_q whether all four of its DWORDs were in the ring
  // (f_valid_q) then. So the walker sees a descriptor one cycle after it moves onto it, and a
  // DWORD one cycle later than it arrives; nothing the walker decides reaches the copy. Its
  // length and address checks are made on the copy's way in (rem_i changes only when the
  // walker takes a descriptor it does not check again). Copied only while a job runs: the
  // simulation skips it otherwise.
  sgl_desc_t     desc_q;
  logic          desc_rdy_q;
  logic [FL-5:0] desc_at_q;
  logic          desc_wraps_q, desc_over_q, desc_zero_q;
  always_ff @(posedge clk_i) begin
    sgl_desc_t nd;
    if (rst_i) begin
      desc_rdy_q <= 1'b0;
    end else begin
      desc_rdy_q <= &f_valid_q[{f_rd_q[FL-1:4], 2'd0} +: 4];
    end
    desc_at_q <= f_rd_q[FL-1:4];
    if (job_i) begin
      nd = sgl_desc_t'(f_rd_q[4] ? bk_rd[7:4] : bk_rd[3:0]);
      desc_q       <= nd;
      desc_wraps_q <= wraps(nd.address, nd.length);
      desc_over_q  <= nd.length > rem_i;
      desc_zero_q  <= nd.length == '0;
    end
  end
  assign desc_o       = desc_q;
  assign desc_ready_o = desc_rdy_q && desc_at_q == f_rd_q[FL-1:4];
  assign desc_wraps_o = desc_wraps_q;
  assign desc_over_o  = desc_over_q;
  assign desc_zero_o  = desc_zero_q;

  // Whether a read is due and its size are worked out into registers (f_need_q, f_len_q) from
  // the cycle before; they count while nothing they depend on has changed since (f_ok_q) but
  // for the ring's free space, which only grows then (the walker consumes; only a read takes
  // space, and it clears f_ok_q), so the size is at most what fits. A read can leave every
  // other cycle at most.
  logic        f_need_q, f_ok_q, f_chg;
  tlp_bytes_t  f_len_q;
  always_ff @(posedge clk_i) begin
    tlp_bytes_t free, to4k, want;
    if (job_i) begin
      free     = tlp_bytes_t'(1 << FL) - tlp_bytes_t'(f_fill_q);
      to4k     = tlp_bytes_t'(4096) - tlp_bytes_t'(seg_addr_q[11:0]);
      want     = tlp_bytes_t'(min32(seg_rem_q, 32'd128));
      f_len_q  <= tlp_bytes_t'(min32(min32(seg_rem_q, 32'(to4k)), min32(32'(mrrs_i), 32'(free))));
      f_need_q <= in_list_i && seg_rem_q != '0 && free >= want;
    end
    f_ok_q <= !rst_i && !f_chg;
  end
  assign need_o = f_ok_q && f_need_q;
  assign want_o = need_o && fetch_i;
  assign len_o  = f_len_q;
  assign addr_o = seg_addr_q;
  assign dest_o = f_wr_q;
  assign look_o = nx_pending_q;

  assign look_err_o        = nx_err_q || look_fail_i;
  assign look_err_status_o = nx_err_q ? nx_st_q : fail_status_i;
  assign look_err_addr_o   = nx_err_q ? nx_ea_q : fail_addr_i;
  assign ahead_o           = xj_q;
  assign ahead_tried_o     = xj_tried_q;

  // The caught chaining descriptor: the fetch may go on into its segment once every read of
  // the lookahead owner is done (they belong to the segment the walker is in by then), the
  // segment being fetched is complete and no lookahead is pending. The walker checks the same
  // descriptor again when it gets there; an invalid one is never followed early.
  sgl_desc_t ch_desc;
  logic      ch_ok, look_go;
  always_comb begin
    ch_desc = sgl_desc_t'(ch_q);
    ch_ok   = 1'b0;
    if (ch_armed_q && (&ch_got_q)) begin
      ch_ok = seg_ptr_ok(ch_desc.identifier, ch_desc.length, ch_desc.address);
    end
    look_go = ch_armed_q && (&ch_got_q) && ch_ok && in_list_i && seg_rem_q == '0 &&
              !nx_pending_q && !look_busy_i && moving_i;
  end

  // Catch the chaining descriptor's DWORDs as peerbar_dma_rc writes them into the ring. The
  // lanes hold consecutive DWORDs, so its DWORD k arrives on lane j = ch_dw_q + k - (lane 0's
  // DWORD), if j < 8: one subtraction and a choice of lanes per DWORD, not a compare per lane.
  always_ff @(posedge clk_i) begin
    if (rst_i || !ch_armed_q) begin
      ch_got_q <= '0;
    end else begin
      for (int unsigned k = 0; k < 4; k++) begin
        logic [FL-3:0] j;
        j = ch_dw_q + (FL - 2)'(k) - lane_idx_i[0][FL-3:0];
        if (!lane_idx_i[0][FL-2] && j[FL-3:3] == '0 && lane_we_i[j[2:0]]) begin
          ch_got_q[k] <= 1'b1;
          ch_q[k]     <= lane_data_i[j[2:0]];
        end
      end
    end
  end

  // The next job's list read ahead starts when the current job's list is all fetched and
  // nothing of the lookahead is pending or out.
  logic xj_go;
  assign xj_go = ahead_ok_i && !xj_tried_q && in_list_i && seg_last_i && seg_rem_q == '0 &&
                 !nx_pending_q && !ch_armed_q && !look_busy_i && moving_i;

  // The ring DWORDs of the next job's list read ahead (xj_at_q up to f_wr_q), registered: at the
  // next job's start the ring keeps only those (the ring span's shift and subtraction are then
  // off the job unit's path). One cycle late, as f_wr_q may have moved on in the cycle before;
  // DWORDs requested that recently cannot have arrived (a read comes back through the RQ and RC
  // slices and peerbar_dma_rc's stages), so masking them out drops nothing. The simulation
  // checks it. (Worked out only during a read-ahead: xj_q is set in the cycle before any
  // start_i that uses it.)
  logic [RingDw-1:0] xj_span_q;
  always_ff @(posedge clk_i) begin
    if (xj_q) begin
      xj_span_q <= ring_span(xj_at_q[FL-1:2], f_wr_q[FL-1:2]);
    end
  end

  always_comb begin
    seg_addr_d   = seg_addr_q;
    seg_rem_d    = seg_rem_q;
    f_rd_d       = f_rd_q;
    f_wr_d       = f_wr_q;
    f_fill_d     = f_fill_q;
    f_valid_d    = f_valid_q | ring_we_i;
    ch_armed_d   = ch_armed_q;
    ch_dw_d      = ch_dw_q;
    nx_pending_d = nx_pending_q;
    xj_d         = xj_q;
    xj_tried_d   = xj_tried_q;
    xj_at_d      = xj_at_q;
    nx_last_d    = nx_last_q;
    nx_err_d     = nx_err_q || (look_fail_i && nx_pending_q);
    nx_st_d      = (look_fail_i && nx_pending_q && !nx_err_q) ? fail_status_i : nx_st_q;
    nx_ea_d      = (look_fail_i && nx_pending_q && !nx_err_q) ? fail_addr_i : nx_ea_q;

    if (start_i) begin
      xj_d       = 1'b0;
      xj_tried_d = 1'b0;
      if (xj_q) begin
        // The job's list was fetched ahead: the ring keeps it, and drops what the last job
        // left of its own (from its walker's descriptor to the end of its list); the fetch
        // goes on in that segment.
        f_rd_d    = xj_at_q;
        f_fill_d  = (FL + 1)'(FL'(f_wr_q - xj_at_q));
        f_valid_d = f_valid_d & xj_span_q;
      end else begin
        seg_rem_d    = '0;
        f_rd_d       = '0;
        f_wr_d       = '0;
        f_fill_d     = '0;
        f_valid_d    = '0;
        ch_armed_d   = 1'b0;
        nx_pending_d = 1'b0;
        nx_err_d     = 1'b0;
      end
    end

    // The walker takes a segment pointer: the ring continues with that segment, fetched ahead
    // already (lookahead; a failure of its reads goes to the walker now, look_err_o) or from
    // now on.
    if (enter_i) begin
      if (nx_pending_q) begin
        nx_pending_d = 1'b0;
        nx_err_d     = 1'b0;
      end else begin
        seg_addr_d = enter_addr_i;
        seg_rem_d  = enter_len_i;
        ch_armed_d = 1'b0;
      end
    end

    if (go_i) begin
      seg_addr_d = seg_addr_q + SglDescAddressW'(f_len_q);
      seg_rem_d  = seg_rem_q - SglDescLengthW'(f_len_q);
      f_wr_d     = f_wr_q + FL'(f_len_q);
      // The first read that covers the segment's last 16 bytes: if the segment being fetched
      // is not a Last Segment, they are its chaining descriptor; catch them.
      if (!ch_armed_q && seg_rem_q - SglDescLengthW'(f_len_q) < SglDescLengthW'(16) &&
          !(nx_pending_q ? nx_last_q : seg_last_i)) begin
        ch_armed_d = 1'b1;
        ch_dw_d    = (FL - 2)'((f_wr_q + FL'(seg_rem_q) - FL'(16)) >> 2);
      end
    end
    if (look_go && !enter_i) begin
      ch_armed_d   = 1'b0;
      nx_pending_d = 1'b1;
      nx_last_d    = ch_desc.identifier[7:4] == 4'h3;
      seg_addr_d   = ch_desc.address;
      seg_rem_d    = ch_desc.length;
    end
    if (xj_go) begin
      xj_d         = 1'b1;
      xj_tried_d   = 1'b1;
      xj_at_d      = f_wr_q;
      nx_pending_d = 1'b1;
      nx_err_d     = 1'b0;
      nx_last_d    = ahead_last_i;
      seg_addr_d   = ahead_addr_i;
      seg_rem_d    = ahead_len_i;
    end
    if (consume_i) begin
      f_rd_d                                = f_rd_q + FL'(16);
      f_valid_d[{f_rd_q[FL-1:4], 2'd0} +: 4] = '0;
    end
    f_fill_d = f_fill_d + (go_i ? (FL + 1)'(f_len_q) : '0) - (consume_i ? (FL + 1)'(16) : '0);
    // What the read's registers depend on changes (f_ok_q): a new job, a new segment, a read,
    // the lookahead going on into the next segment, the read-ahead dropped. (Without the last,
    // a read worked out before a drop went out after it, from the dropped segment's address,
    // with seg_rem_q going below 0 and more reads after it: found by the unit bench.)
    f_chg = decode_i || enter_i || go_i || look_go || xj_go || (xj_q && ahead_drop_i);

    // The next job's list read ahead is dropped (its reads are killed).
    if (xj_q && ahead_drop_i) begin
      xj_d         = 1'b0;
      nx_pending_d = 1'b0;
      nx_err_d     = 1'b0;
      seg_rem_d    = '0;
      ch_armed_d   = 1'b0;
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      seg_addr_q   <= '0;
      seg_rem_q    <= '0;
      f_rd_q       <= '0;
      f_wr_q       <= '0;
      f_fill_q     <= '0;
      f_valid_q    <= '0;
      ch_armed_q   <= 1'b0;
      ch_dw_q      <= '0;
      nx_pending_q <= 1'b0;
      xj_q         <= 1'b0;
      xj_tried_q   <= 1'b0;
      xj_at_q      <= '0;
      nx_last_q    <= 1'b0;
      nx_err_q     <= 1'b0;
      nx_st_q      <= '0;
      nx_ea_q      <= '0;
    end else begin
      seg_addr_q   <= seg_addr_d;
      seg_rem_q    <= seg_rem_d;
      f_rd_q       <= f_rd_d;
      f_wr_q       <= f_wr_d;
      f_fill_q     <= f_fill_d;
      f_valid_q    <= f_valid_d;
      ch_armed_q   <= ch_armed_d;
      ch_dw_q      <= ch_dw_d;
      nx_pending_q <= nx_pending_d;
      xj_q         <= xj_d;
      xj_tried_q   <= xj_tried_d;
      xj_at_q      <= xj_at_d;
      nx_last_q    <= nx_last_d;
      nx_err_q     <= nx_err_d;
      nx_st_q      <= nx_st_d;
      nx_ea_q      <= nx_ea_d;
    end
  end

  // Reserved bytes of the caught descriptor are not looked at.
  logic unused;
  assign unused = ^ch_desc.rsvd_119_96;

`ifndef SYNTHESIS
  // Simulation-only checks: the ring's layout when the next job starts on its list read ahead
  // (what is left of the last job's list, then the next job's bytes), and the registered span
  // of the read-ahead (xj_span_q) against a fresh one wherever a DWORD is valid. The cheap
  // condition is tested first, in its own if.
  always_ff @(posedge clk_i) begin
    if (!rst_i && decode_i && xj_q) begin
      if (xj_at_q[3:0] != '0 || f_rd_q[3:0] != '0 ||
          FL'(xj_at_q - f_rd_q) + FL'(f_wr_q - xj_at_q) != FL'(f_fill_q)) begin
        $fatal(1, "peerbar_dma_sgl_prefetch: the next job's list at ring byte %0d, the last job's walker at %0d, fill %0d, next byte %0d",
               xj_at_q, f_rd_q, f_fill_q, f_wr_q);
      end
      if (((f_valid_q | ring_we_i) &
           (xj_span_q ^ ring_span(xj_at_q[FL-1:2], f_wr_q[FL-1:2]))) != '0) begin
        $fatal(1, "peerbar_dma_sgl_prefetch: the read-ahead's ring span is stale for a valid DWORD");
      end
    end
  end
`endif

endmodule

`default_nettype wire
