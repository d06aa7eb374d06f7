// peerbar_dma_rc: requester completions (RC) for the DMA engine's reads.
//
// Owns the read tag table (NumTags user-managed tags). Every MemRd the engine sends allocates a
// tag with what the read expects: the address of its next byte (low 12 bits), the bytes still
// due, and where they go (BAR2 byte offset, or a byte index in the fetch buffer for SQ entries
// and SGL segments: a ring of 2**FetchLog2 bytes, indices taken modulo its size). A completion
// is accepted only if its tag is live, its lower address (all 12 bits) is the next expected
// byte, its byte count equals the bytes still due, its DWORD count fits and it ends either the
// request or on a 64-byte (RCB) boundary, and its beat count matches its DWORD count. Anything
// else (unknown/stale tag, mismatch) is discarded and counted; its data is never written
// anywhere. UR/CA/poisoned/timed-out completions report a job error; the tag stays reserved
// ("dead") until its timeout. kill_i (job abort) turns every live tag dead: their late
// completions are discarded and counted.
//
// Tag reuse (stale completions of a tag's previous read): every completion of a read satisfies
// lower address + byte count = the read's end (bus address bits 11:0 + length, 1..4096), and
// the acceptance check above implies it equals the live read's end. So a completion of the
// tag's previous read can never be taken for a live read that ends elsewhere. tag_usable_o
// therefore offers a free tag for the next read (next_end_i) at once if its previous read
// ended elsewhere, and for a read with the same end only after a quarantine: TagQuarantine
// cycles after its release when all its completions arrived (what is left is a duplicate), or
// timeout_i cycles when it was released by its timeout (its genuine completions may still be
// on the way).
//
// BAR2 write path: each beat's bytes are rotated to their BAR2 byte address and written as 8
// consecutive DWORDs (one per bank); the up to 3 bytes that spill into a 9th DWORD are held as a
// residue and merged into the next beat's first DWORD. After a completion's last beat a
// non-empty residue is written in one extra cycle (tready low for that cycle only).

`default_nettype none

module peerbar_dma_rc
  import peerbar_pkg::*;
#(
  // log2 of the BAR2 size in bytes (12..32).
  parameter int unsigned Bar2SizeLog2 = 20,
  // Number of read tags (32: tags 0..31).
  parameter int unsigned NumTags = 32,
  // log2 of the fetch buffer size in bytes (6..10).
  parameter int unsigned FetchLog2 = 9,
  // Cycles a tag whose read completed stays unused for a read with the same end (>= 1).
  parameter int unsigned TagQuarantine = 2048,
  // Fetch buffer DWORDs (derived, do not override).
  localparam int unsigned FbDw = 2 ** (FetchLog2 - 2),
  // Row address width of one BAR2 bank (derived, do not override).
  localparam int unsigned RowW = Bar2SizeLog2 - 5,
  // DWORD address width within BAR2 (derived, do not override).
  localparam int unsigned DwW = Bar2SizeLog2 - 2,
  // Tag index width (derived, do not override).
  localparam int unsigned TagW = $clog2(NumTags)
) (
  input  wire logic                     clk_i,
  input  wire logic                     rst_i,

  // Requester completion (RC), dword-aligned, no straddle
  input  wire logic [255:0]             rc_tdata_i,
  input  wire logic                     rc_tlast_i,
  input  wire logic                     rc_tvalid_i,
  output      logic                     rc_tready_o,

  // Tag allocation by the request issuer
  input  wire logic                     alloc_valid_i,
  input  wire logic [TagW-1:0]          alloc_tag_i,
  input  wire logic                     alloc_buf_i,       // 1: fetch buffer, 0: BAR2
  input  wire logic [11:0]              alloc_addr_i,      // bus address bits 11:0
  input  wire logic [12:0]              alloc_len_i,       // bytes (1..4096)
  input  wire logic [Bar2SizeLog2-1:0]  alloc_dest_i,      // BAR2 byte offset / buffer byte index
  input  wire logic                     kill_i,            // abort: every live tag turns dead
  input  wire logic [31:0]              timeout_i,         // cycles, >= 1
  input  wire logic [12:0]              next_end_i,        // end (addr 11:0 + len) of the next read

  // State for the issuer
  output      logic [NumTags-1:0]       tag_usable_o,      // free, and usable for that read
  output      logic                     data_live_o,       // live BAR2 reads outstanding
  output      logic                     buf_live_o,        // live buffer reads outstanding
  output      logic                     wr_busy_o,         // a completion or residue in progress
  output      logic [6:0]               tags_in_flight_o,
  output      logic                     err_valid_o,       // a live read failed (pulse)
  output      logic [7:0]               err_status_o,
  output      logic [FbDw-1:0][31:0]    fbuf_o,            // fetch buffer
  output      logic [FbDw-1:0]          fbuf_we_o,         // its DWORDs written this cycle

  // Accounting
  output      logic [12:0]              bytes_in_o,
  output      logic                     bad_completion_o,
  output      logic [1:0]               err_link_o,

  // BAR2 memory write port (engine side)
  output      logic [7:0][RowW-1:0]     mem_wr_row_o,
  output      logic [7:0][31:0]         mem_wr_data_o,
  output      logic [7:0][3:0]          mem_wr_be_o
);

  if (NumTags < 32 || NumTags > 256 || (NumTags & (NumTags - 1)) != 0) begin : gen_check_tags
    $error("peerbar_dma_rc: NumTags must be a power of two in 32..256");
  end
  if (FetchLog2 < 6 || FetchLog2 > 10 || FetchLog2 > Bar2SizeLog2) begin : gen_check_fetch
    $error("peerbar_dma_rc: FetchLog2 must be in 6..10");
  end
  if (TagQuarantine < 1) begin : gen_check_quarantine
    $error("peerbar_dma_rc: TagQuarantine must be at least 1");
  end

  typedef struct packed {
    logic                    live;
    logic                    dead;    // job aborted or read failed: nothing is written
    logic                    buf_dst; // destination is the fetch buffer
    logic [11:0]             cur;     // bus address bits 11:0 of the next expected byte
    logic [12:0]             rem;     // bytes still due
    logic [Bar2SizeLog2-1:0] dest;    // where the next expected byte goes
    logic [12:0]             last_end; // end of the tag's latest read (addr 11:0 + len; 0: none)
    logic                    timed_out; // released by its timeout, not by its last completion
    logic [31:0]             ts;      // issue time while live, release time after
  } tag_t;

  tag_t [NumTags-1:0] tags_q, tags_d, tags_upd;
  logic [31:0]        now_q;
  logic [TagW-1:0]    scan_q;

  // Packet state (latched from the first beat)
  logic                    in_pkt_q, in_pkt_d;
  logic                    pkt_ok_q, pkt_ok_d;        // commit at the last beat
  logic                    pkt_wr_q, pkt_wr_d;        // write data (live, BAR2)
  logic                    pkt_buf_q, pkt_buf_d;      // write data (live, buffer)
  logic [TagW-1:0]         pkt_tag_q, pkt_tag_d;
  logic [13:0]             pkt_start_q, pkt_start_d;  // first valid byte position in the packet
  logic [13:0]             pkt_end_q, pkt_end_d;      // one past the last
  logic [Bar2SizeLog2-1:0] pkt_base_q, pkt_base_d;    // BAR2 byte address of tdata byte 0, beat 0
  logic [12:0]             pkt_deliver_q, pkt_deliver_d;
  logic [8:0]              pkt_beats_q, pkt_beats_d;  // beats expected
  logic [8:0]              beat_q, beat_d;            // index of the current beat

  // Residue (bytes of the 9th DWORD of a rotated beat)
  logic                    flush_q, flush_d;
  logic [3:0]              res_be_q, res_be_d;
  logic [31:0]             res_data_q, res_data_d;
  logic [DwW-1:0]          res_dw_q, res_dw_d;

  logic [FbDw-1:0][31:0]   fbuf_q, fbuf_d;

  assign rc_tready_o = !flush_q;
  logic beat;
  assign beat = rc_tvalid_i && rc_tready_o;
  logic first;
  assign first = beat && !in_pkt_q;

  // First-beat descriptor decode
  logic [11:0] d_la;
  logic [3:0]  d_ec;
  logic [12:0] d_bc;
  logic [10:0] d_dwc;
  logic [2:0]  d_st;
  logic        d_poison;
  logic [7:0]  d_tag;
  always_comb begin
    d_la     = rc_tdata_i[11:0];
    d_ec     = rc_tdata_i[15:12];
    d_bc     = rc_tdata_i[28:16];
    d_dwc    = rc_tdata_i[42:32];
    d_st     = rc_tdata_i[45:43];
    d_poison = rc_tdata_i[46];
    d_tag    = rc_tdata_i[71:64];
  end

  tag_t        t;
  logic        tag_hit, is_err, fits;
  logic [13:0] avail, deliver, dw_bytes;
  logic [7:0]  err_code;
  logic [8:0]  beats_exp;
  always_comb begin
    t        = tags_q[d_tag[TagW-1:0]];
    tag_hit  = (32'(d_tag) < NumTags) && t.live;
    is_err   = d_st != 3'd0 || d_poison || d_ec == 4'd1 || d_ec == 4'd2 || d_ec == 4'd9;
    dw_bytes = {1'b0, d_dwc, 2'b00};
    avail    = dw_bytes - 14'(t.cur[1:0]);
    deliver  = (avail < 14'(t.rem)) ? avail : 14'(t.rem);
    fits     = d_dwc != '0 && d_ec == 4'd0 &&
               d_la == t.cur && d_bc == t.rem &&
               dw_bytes <= 14'(t.cur[1:0]) + 14'(t.rem) + 14'd3 &&
               (deliver == 14'(t.rem) || ((7'(t.cur) + 7'(deliver)) & 7'h3F) == 7'd0);
    beats_exp = 9'((12'(d_dwc) + 12'd3 + 12'd7) >> 3);
    if (d_poison || d_ec == 4'd1) begin
      err_code = StPoisoned;
    end else if (d_ec == 4'd9) begin
      err_code = StTimeout;
    end else if (d_st == 3'd1) begin
      err_code = StUr;
    end else begin
      err_code = StCa;
    end
  end

  // The issue time and reuse state of the addressed tag are not needed here.
  logic unused_rc;
  assign unused_rc = ^{t.ts, t.last_end, t.timed_out};

  // Beat parameters (first beat: from the decode; later beats: latched)
  logic                    cur_wr, cur_buf;
  logic [13:0]             cur_start, cur_end;
  logic [Bar2SizeLog2-1:0] cur_base;
  logic [8:0]              cur_beat;
  always_comb begin
    if (!in_pkt_q) begin
      cur_wr    = tag_hit && !t.dead && !is_err && fits && !t.buf_dst;
      cur_buf   = tag_hit && !t.dead && !is_err && fits && t.buf_dst;
      cur_start = 14'd12 + 14'(t.cur[1:0]);
      cur_end   = 14'd12 + 14'(t.cur[1:0]) + deliver;
      cur_base  = t.dest - Bar2SizeLog2'(t.cur[1:0]) - Bar2SizeLog2'(12);
      cur_beat  = '0;
    end else begin
      cur_wr    = pkt_wr_q;
      cur_buf   = pkt_buf_q;
      cur_start = pkt_start_q;
      cur_end   = pkt_end_q;
      cur_base  = pkt_base_q;
      cur_beat  = beat_q;
    end
  end

  // Byte validity of this beat
  logic [31:0] byte_ok;
  always_comb begin
    for (int unsigned k = 0; k < 32; k++) begin
      logic [13:0] pos;
      pos = {cur_beat, 5'(k)};
      byte_ok[k] = pos >= cur_start && pos < cur_end;
    end
  end

  // BAR2 write: rotate to the destination byte address
  logic [Bar2SizeLog2-1:0] d0;
  logic [DwW-1:0]          w;
  logic [1:0]              rot;
  logic [287:0]            ext_data;
  logic [35:0]             ext_be;
  logic [7:0][31:0]        lane_data;
  logic [7:0][3:0]         lane_be;
  logic [7:0][2:0]         bank_lane;  // lane written to bank b
  always_comb begin
    d0       = cur_base + Bar2SizeLog2'({cur_beat, 5'd0});
    w        = d0[Bar2SizeLog2-1:2];
    rot      = d0[1:0];
    ext_data = {32'd0, rc_tdata_i} << (8 * rot);
    ext_be   = {4'd0, (beat && cur_wr) ? byte_ok : 32'd0} << rot;
    for (int unsigned j = 0; j < 8; j++) begin
      lane_data[j] = ext_data[32*j +: 32];
      lane_be[j]   = ext_be[4*j +: 4];
    end
    // The residue belongs to this beat's first DWORD (disjoint byte enables).
    if (!flush_q && in_pkt_q) begin
      for (int unsigned i = 0; i < 4; i++) begin
        if (res_be_q[i]) begin
          lane_data[0][8*i +: 8] = res_data_q[8*i +: 8];
        end
      end
      lane_be[0] = lane_be[0] | res_be_q;
    end

    mem_wr_be_o   = '0;
    mem_wr_data_o = '0;
    mem_wr_row_o  = '0;
    for (int unsigned b = 0; b < 8; b++) begin
      bank_lane[b] = 3'(b) - w[2:0];
    end
    if (flush_q) begin
      for (int unsigned b = 0; b < 8; b++) begin
        mem_wr_row_o[b]  = res_dw_q[DwW-1:3];
        mem_wr_data_o[b] = res_data_q;
        mem_wr_be_o[b]   = (3'(b) == res_dw_q[2:0]) ? res_be_q : 4'h0;
      end
    end else begin
      for (int unsigned b = 0; b < 8; b++) begin
        mem_wr_be_o[b]   = lane_be[bank_lane[b]];
        mem_wr_data_o[b] = lane_data[bank_lane[b]];
        mem_wr_row_o[b]  = w[DwW-1:3] + ((3'(b) < w[2:0]) ? RowW'(1) : RowW'(0));
      end
    end
  end

  // Fetch buffer write (SQ entries, SGL segments): DWORD-aligned destinations
  logic [7:0][FetchLog2-3:0] fbuf_idx;
  always_comb begin
    fbuf_d    = fbuf_q;
    fbuf_we_o = '0;
    for (int unsigned i = 0; i < 8; i++) begin
      fbuf_idx[i] = cur_base[FetchLog2-1:2] + (FetchLog2 - 2)'({cur_beat, 3'd0}) +
                    (FetchLog2 - 2)'(i);
      if (beat && cur_buf && byte_ok[4*i]) begin
        fbuf_d[fbuf_idx[i]]    = rc_tdata_i[32*i +: 32];
        fbuf_we_o[fbuf_idx[i]] = 1'b1;
      end
    end
  end

  // Packet tracking, commit, errors, timeouts
  logic            c_ok;
  logic [TagW-1:0] ct;
  logic [12:0]     dl;
  always_comb begin
    tags_upd        = tags_q;
    in_pkt_d      = in_pkt_q;
    pkt_ok_d      = pkt_ok_q;
    pkt_wr_d      = pkt_wr_q;
    pkt_buf_d     = pkt_buf_q;
    pkt_tag_d     = pkt_tag_q;
    pkt_start_d   = pkt_start_q;
    pkt_end_d     = pkt_end_q;
    pkt_base_d    = pkt_base_q;
    pkt_deliver_d = pkt_deliver_q;
    pkt_beats_d   = pkt_beats_q;
    beat_d        = beat_q;
    flush_d       = 1'b0;
    res_be_d      = res_be_q;
    res_data_d    = res_data_q;
    res_dw_d      = res_dw_q;

    err_valid_o      = 1'b0;
    err_status_o     = StSuccess;
    bytes_in_o       = '0;
    bad_completion_o = 1'b0;
    err_link_o       = '0;

    if (flush_q) begin
      res_be_d = '0;
    end

    if (first) begin
      in_pkt_d      = !rc_tlast_i;
      pkt_wr_d      = cur_wr;
      pkt_buf_d     = cur_buf;
      pkt_tag_d     = d_tag[TagW-1:0];
      pkt_start_d   = cur_start;
      pkt_end_d     = cur_end;
      pkt_base_d    = cur_base;
      pkt_deliver_d = 13'(deliver);
      pkt_beats_d   = beats_exp;
      pkt_ok_d      = tag_hit && !is_err && fits;
      beat_d        = 9'd1;
      if (tag_hit && is_err) begin
        // The read failed: report it (unless already abandoned), keep the tag reserved.
        if (!t.dead) begin
          err_valid_o  = 1'b1;
          err_status_o = err_code;
          err_link_o   = 2'd1;
        end else begin
          bad_completion_o = 1'b1;
        end
        tags_upd[d_tag[TagW-1:0]].dead = 1'b1;
      end else if (!(tag_hit && fits)) begin
        bad_completion_o = 1'b1;  // unknown tag or does not fit its read
      end else if (t.dead) begin
        bad_completion_o = 1'b1;  // late completion of an abandoned read
      end
    end else if (beat) begin
      beat_d = beat_q + 9'd1;
      if (rc_tlast_i) begin
        in_pkt_d = 1'b0;
      end
    end

    // Residue of a BAR2 write beat
    if (beat && cur_wr) begin
      res_be_d   = ext_be[35:32];
      res_data_d = ext_data[287:256];
      res_dw_d   = w + DwW'(8);
      if (rc_tlast_i) begin
        flush_d = ext_be[35:32] != '0;
      end
    end else if (beat && rc_tlast_i) begin
      res_be_d = '0;
    end

    // Commit at the last beat
    c_ok = first ? (tag_hit && !is_err && fits && beats_exp == 9'd1)
                 : (pkt_ok_q && beat_q == pkt_beats_q - 9'd1);
    ct   = first ? d_tag[TagW-1:0] : pkt_tag_q;
    dl   = first ? 13'(deliver) : pkt_deliver_q;
    if (beat && rc_tlast_i) begin
      if (c_ok) begin
        if (!tags_q[ct].dead && !tags_q[ct].buf_dst) begin
          bytes_in_o = dl;
        end
        tags_upd[ct].cur  = tags_q[ct].cur + 12'(dl);
        tags_upd[ct].rem  = tags_q[ct].rem - dl;
        tags_upd[ct].dest = tags_q[ct].dest + Bar2SizeLog2'(dl);
        if (tags_q[ct].rem == dl) begin
          tags_upd[ct].live      = 1'b0;
          tags_upd[ct].dead      = 1'b0;
          tags_upd[ct].timed_out = 1'b0;
          tags_upd[ct].ts        = now_q;
        end
      end else if (!first && pkt_ok_q) begin
        bad_completion_o = 1'b1;  // beat count did not match the DWORD count
      end
    end

    // Timeouts: one tag per cycle
    if (tags_q[scan_q].live && (now_q - tags_q[scan_q].ts) >= timeout_i &&
        !(beat && rc_tlast_i && ct == scan_q)) begin
      if (!tags_q[scan_q].dead) begin
        if (!err_valid_o) begin
          err_valid_o  = 1'b1;
          err_status_o = StTimeout;
        end
        err_link_o = err_link_o + 2'd1;
      end
      tags_upd[scan_q].live      = 1'b0;
      tags_upd[scan_q].dead      = 1'b0;
      tags_upd[scan_q].timed_out = 1'b1;
      tags_upd[scan_q].ts        = now_q;
    end

  end

  // Allocation and abort (after the completion-side updates; they never touch a live tag's
  // completion state in the same cycle)
  always_comb begin
    tags_d = tags_upd;
    if (alloc_valid_i) begin
      tags_d[alloc_tag_i].live     = 1'b1;
      tags_d[alloc_tag_i].dead     = 1'b0;
      tags_d[alloc_tag_i].buf_dst  = alloc_buf_i;
      tags_d[alloc_tag_i].cur      = alloc_addr_i;
      tags_d[alloc_tag_i].rem      = alloc_len_i;
      tags_d[alloc_tag_i].dest     = alloc_dest_i;
      tags_d[alloc_tag_i].last_end = 13'(alloc_addr_i) + alloc_len_i;
      tags_d[alloc_tag_i].ts       = now_q;
    end

    if (kill_i) begin
      for (int unsigned i = 0; i < NumTags; i++) begin
        if (tags_d[i].live) begin
          tags_d[i].dead = 1'b1;
        end
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      tags_q        <= '0;
      now_q         <= '0;
      scan_q        <= '0;
      in_pkt_q      <= 1'b0;
      pkt_ok_q      <= 1'b0;
      pkt_wr_q      <= 1'b0;
      pkt_buf_q     <= 1'b0;
      pkt_tag_q     <= '0;
      pkt_start_q   <= '0;
      pkt_end_q     <= '0;
      pkt_base_q    <= '0;
      pkt_deliver_q <= '0;
      pkt_beats_q   <= '0;
      beat_q        <= '0;
      flush_q       <= 1'b0;
      res_be_q      <= '0;
      res_data_q    <= '0;
      res_dw_q      <= '0;
      fbuf_q        <= '0;
    end else begin
      tags_q        <= tags_d;
      now_q         <= now_q + 32'd1;
      scan_q        <= scan_q + TagW'(1);
      in_pkt_q      <= in_pkt_d;
      pkt_ok_q      <= pkt_ok_d;
      pkt_wr_q      <= pkt_wr_d;
      pkt_buf_q     <= pkt_buf_d;
      pkt_tag_q     <= pkt_tag_d;
      pkt_start_q   <= pkt_start_d;
      pkt_end_q     <= pkt_end_d;
      pkt_base_q    <= pkt_base_d;
      pkt_deliver_q <= pkt_deliver_d;
      pkt_beats_q   <= pkt_beats_d;
      beat_q        <= beat_d;
      flush_q       <= flush_d;
      res_be_q      <= res_be_d;
      res_data_q    <= res_data_d;
      res_dw_q      <= res_dw_d;
      fbuf_q        <= fbuf_d;
    end
  end

  // Outputs
  always_comb begin
    data_live_o      = 1'b0;
    buf_live_o       = 1'b0;
    tags_in_flight_o = '0;
    for (int unsigned i = 0; i < NumTags; i++) begin
      tag_usable_o[i] = !tags_q[i].live &&
                        (tags_q[i].last_end != next_end_i ||
                         (now_q - tags_q[i].ts) >= (tags_q[i].timed_out ? timeout_i
                                                                         : TagQuarantine));
      if (tags_q[i].live && !tags_q[i].dead) begin
        if (tags_q[i].buf_dst) begin
          buf_live_o = 1'b1;
        end else begin
          data_live_o = 1'b1;
        end
      end
      tags_in_flight_o = tags_in_flight_o + 7'(tags_q[i].live);
    end
    wr_busy_o = in_pkt_q || flush_q;
    fbuf_o    = fbuf_q;
  end

endmodule

`default_nettype wire
