// SPDX-License-Identifier: MIT OR Apache-2.0
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
// anywhere.
//
// A tag belongs to the core, not to us, until the core says it is done with the read
// (PG213 "Requester Completion Descriptor Format", bit 30 Request Completed; "Handling of
// Completion Errors"). The core keeps every MemRd in its Split Completion Table until its last
// completion, a completion that terminates it (UR/CA, byte count mismatch, ...) or the core's
// own completion timeout (error code 9), and marks that completion Request Completed. A tag is
// therefore "held" from its MemRd to such a completion, whatever the engine did meanwhile:
// - a failed read (UR/CA/poisoned/timeout, or the job aborted by kill_i) stops being "live":
//   its later completions are discarded and counted, but the tag stays held;
// - the engine's own timeout (timeout_i cycles, DMA_COMPLETION_TIMEOUT) fails the job with C5h
//   and likewise only stops the read being live;
// - a completion with error code 6 (invalid tag: the core has no request with that tag) never
//   touches a tag's state: it is not ours.
// A new MemRd on a tag the core still holds would make its completions ambiguous; the tag
// table never allows it.
//

// Tag reuse (stale completions). The core matches a completion against its Split Completion
// Table by tag and byte count and hands us a 12-bit lower address whose bits 11:7 come from the
// table (the request now holding the tag) and only bits 6:0 from the wire. So a stale copy of a
// tag's previous read (a duplicate, or data later than the core's timeout) that arrives once the
// tag carries a new read of the same length and end bits 6:0 passes every check: nothing on the
// wire tells it apart. Only time does. The tag table therefore has NumTags slots, each a read in
// flight, and a slot issues its reads under 8-bit tags {generation, slot} (2**(8-TagW)
// generations) when ext_tags_i says the host enabled 8-bit tags (Extended Tag Field Enable,
// Device Control bit 8), under {0, slot} otherwise. A tag is offered again (tag_usable_o) only
// when the core has released it and at least TagQuarantine cycles have passed since (an age
// counter per 8-bit tag, stepped every TagQuarantine/2 cycles). A slot whose read is done moves
// on to its next free generation at once; with 8 generations a tag comes back only after its
// slot's next 7 reads, so the quarantine rarely waits. With 5-bit tags every reuse waits it out.
// A stale completion later than the quarantine cannot be told from the live read's
// (docs/dma-engine.md, "Tag rules").
//
// Owners. Every read carries an owner (alloc_owner_i: the DMA engine's job slot, or its SQ fetch)
// so that several jobs' reads can be in flight at once: busy, failure, the bytes delivered and
// kill are per owner.
//
// Fetch buffer (kept by the engine; this module drives its write port): two regions of 2**FetchLog2 bytes (bit FetchLog2 of the destination picks the
// region); a read's bytes wrap around within its region, never into the other (region 0 is the
// engine's SGL ring, region 1 its SQ entries).
//
// BAR2 write path: each beat's bytes are rotated to their BAR2 byte address and written as 8
// consecutive DWORDs (one per bank); the up to 3 bytes that spill into a 9th DWORD are held as a
// residue and merged into the next beat's first DWORD. After a completion's last beat a
// non-empty residue is written in one extra cycle (tready low for that cycle only).

`default_nettype none

module peerbar_dma_rc
  import peerbar_pkg::*;
  import peerbar_wire_pkg::*;
#(
  // log2 of the BAR2 size in bytes (12..32).
  parameter int unsigned Bar2SizeLog2 = 20,
  // Number of tag slots (reads in flight at once; 32..128, a power of two).
  parameter int unsigned NumTags = 32,
  // log2 of the fetch buffer size in bytes (6..10).
  parameter int unsigned FetchLog2 = 9,
  // Cycles a tag stays unused after the core released it (an even number >= 2).
  parameter int unsigned TagQuarantine = 2048,
  // Owner width: reads are tagged with one of 2**OwnW owners.
  parameter int unsigned OwnW = 3,
  // Fetch buffer DWORDs, both regions (derived, do not override).
  localparam int unsigned FbDw = 2 ** (FetchLog2 - 1),
  // Row address width of one BAR2 bank (derived, do not override).
  localparam int unsigned RowW = Bar2SizeLog2 - 5,
  // DWORD address width within BAR2 (derived, do not override).
  localparam int unsigned DwW = Bar2SizeLog2 - 2,
  // Tag slot index width (derived, do not override).
  localparam int unsigned TagW = $clog2(NumTags),
  // Generation bits of an 8-bit tag (derived, do not override).
  localparam int unsigned GenW = 8 - TagW
) (
  input  wire logic                     clk_i,
  input  wire logic                     rst_i,

  // Requester completion (RC), dword-aligned, no straddle
  input  wire logic [255:0]             rc_tdata_i,
  input  wire logic                     rc_tlast_i,
  input  wire logic                     rc_tvalid_i,
  output      logic                     rc_tready_o,

  // Tag allocation by the request issuer
  input  wire logic                     ext_tags_i,        // the host enabled 8-bit tags
  input  wire logic                     alloc_valid_i,
  input  wire logic [TagW-1:0]          alloc_tag_i,       // slot
  input  wire logic                     alloc_buf_i,       // 1: fetch buffer, 0: BAR2
  input  wire logic [63:0]              alloc_addr_i,      // bus address of the first byte
  input  wire logic [12:0]              alloc_len_i,       // bytes (1..4096)
  input  wire logic [Bar2SizeLog2-1:0]  alloc_dest_i,      // BAR2 byte offset / buffer byte index
  input  wire logic [OwnW-1:0]          alloc_owner_i,
  input  wire logic [2**OwnW-1:0]       kill_i,            // abort: these owners' live reads die
  input  wire logic [31:0]              timeout_i,         // cycles, >= 1

  // State for the issuer
  output      logic [NumTags-1:0]       tag_usable_o,      // slot free, with a usable tag
  output      logic [NumTags-1:0][7:0]  slot_tag_o,        // the tag a slot's next read uses
  // An owner has a live read, or the residue of its last completion is still to be written.
  output      logic [2**OwnW-1:0]       owner_busy_o,
  // A completion is being written into BAR2, or its residue.
  output      logic                     bar2_wr_busy_o,
  output      logic [6:0]               tags_in_flight_o,
  output      logic                     err_valid_o,       // a live read failed (pulse)
  output      logic [OwnW-1:0]          err_owner_o,
  output      logic [7:0]               err_status_o,
  output      logic [63:0]              err_addr_o,        // bus address of the failed read
  // Fetch buffer write port (the buffer is the engine's): lane i of rc_tdata_i goes to DWORD
  // fbuf_idx_o[i] when fbuf_lane_we_o[i]; fbuf_we_o has the DWORDs written this cycle.
  output      logic [7:0]               fbuf_lane_we_o,
  output      logic [7:0][FetchLog2-2:0] fbuf_idx_o,
  output      logic [FbDw-1:0]          fbuf_we_o,

  // Accounting
  output      logic [12:0]              bytes_in_o,        // BAR2 bytes of a read completed
  output      logic [OwnW-1:0]          bytes_in_owner_o,  // ... whose owner
  output      logic                     bad_completion_o,
  output      logic [1:0]               err_link_o,

  // BAR2 memory write port (engine side)
  output      logic [7:0][RowW-1:0]     mem_wr_row_o,
  output      logic [7:0][31:0]         mem_wr_data_o,
  output      logic [7:0][3:0]          mem_wr_be_o,
  output      logic [OwnW-1:0]          mem_wr_owner_o     // the owner of this cycle's write
);

  if (NumTags < 32 || NumTags > 128 || (NumTags & (NumTags - 1)) != 0) begin : gen_check_tags
    $error("peerbar_dma_rc: NumTags must be a power of two in 32..128");
  end
  if (FetchLog2 < 6 || FetchLog2 > 10 || FetchLog2 >= Bar2SizeLog2) begin : gen_check_fetch
    $error("peerbar_dma_rc: FetchLog2 must be in 6..10 and below Bar2SizeLog2");
  end
  if (TagQuarantine < 2 || TagQuarantine % 2 != 0) begin : gen_check_quarantine
    $error("peerbar_dma_rc: TagQuarantine must be an even number >= 2");
  end

  // One slot: the read it carries now.
  typedef struct packed {
    logic [GenW-1:0]         gen;     // generation of its tag
    logic                    buf_dst; // destination is the fetch buffer
    logic [OwnW-1:0]         owner;
    logic [11:0]             cur;     // bus address bits 11:0 of the next expected byte
    logic [12:0]             rem;     // bytes still due
    logic [Bar2SizeLog2-1:0] dest;    // where the next expected byte goes
    logic [31:0]             ts;      // issue time
    logic [63:0]             addr;    // bus address of the read (DMA_ERROR_ADDR)
  } tag_t;

  // The table is an unpacked array written field by field where something changes (below):
  // the simulation then touches only the slots that change, not a copy of the whole table
  // every cycle. The same holds for the fetch buffer and the quarantine ages.
  tag_t               tags_q [NumTags];
  // Per slot: its read's data is still wanted (read neither done nor failed). A vector of its
  // own, so that the free slots are a word-wide operation.
  logic [NumTags-1:0] live_q;
  logic [31:0]        now_q;
  logic [TagW-1:0]    scan_q;

  // Per 8-bit tag: the core holds a read with it; quarantine age since its release, 0..3
  // (3: over), kept as two bit planes (age_hi_q, age_lo_q) so that stepping every age and
  // finding the free tags are word-wide operations.
  localparam int unsigned EpochCycles = TagQuarantine / 2;
  logic [255:0]      held_q;
  logic [255:0]      age_hi_q, age_lo_q;
  logic [255:0]      tag_free;   // not held, quarantine over
  logic [$clog2(EpochCycles + 1)-1:0] epoch_q;
  logic              tick;
  logic [8:0]        held_count_q;
  assign tick     = 32'(epoch_q) == EpochCycles - 1;
  assign tag_free = ~held_q & age_hi_q & age_lo_q;

  // Packet state (latched from the first beat)
  logic                    in_pkt_q, in_pkt_d;
  logic                    pkt_ok_q, pkt_ok_d;        // commit at the last beat
  logic                    pkt_rel_q, pkt_rel_d;      // the core releases the tag (Request Completed)
  logic                    pkt_hit_q, pkt_hit_d;      // for the slot's live read
  logic                    pkt_err_q, pkt_err_d;      // the completion failed its read
  logic [7:0]              pkt_wtag_q, pkt_wtag_d;    // its 8-bit tag
  logic                    pkt_wr_q, pkt_wr_d;        // write data (live, BAR2)
  logic                    pkt_buf_q, pkt_buf_d;      // write data (live, buffer)
  logic [TagW-1:0]         pkt_tag_q, pkt_tag_d;
  logic                    pkt_region_q, pkt_region_d; // fetch buffer region
  logic [OwnW-1:0]         pkt_owner_q, pkt_owner_d;   // owner of the tag's read
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
  logic [OwnW-1:0]         res_owner_q, res_owner_d;  // owner of the residue being flushed

  assign rc_tready_o = !flush_q;
  logic beat;
  assign beat = rc_tvalid_i && rc_tready_o;
  logic first;
  assign first = beat && !in_pkt_q;

  // First-beat descriptor decode (the RC descriptor, PG213: peerbar_wire_pkg::rc_desc_t)
  rc_desc_t    desc;
  logic [11:0] d_la;
  logic [3:0]  d_ec;
  logic [12:0] d_bc;
  logic [10:0] d_dwc;
  logic [2:0]  d_st;
  logic        d_poison;
  logic        d_done;
  logic [7:0]  d_tag;
  always_comb begin
    desc     = rc_desc_t'(rc_tdata_i[95:0]);
    d_la     = desc.lower_address;
    d_ec     = desc.error_code;
    d_bc     = desc.byte_count;
    d_done   = desc.request_completed;
    d_dwc    = desc.dword_count;
    d_st     = desc.status;
    d_poison = desc.poisoned;
    d_tag    = desc.tag;
  end

  tag_t        t;
  logic        known, tag_hit, is_err, fits;
  logic [13:0] avail, deliver, dw_bytes;
  logic [7:0]  err_code;
  logic [8:0]  beats_exp;
  always_comb begin
    t        = tags_q[d_tag[TagW-1:0]];
    // Error code 6 (invalid tag): the core holds no request with this tag, so it is not ours.
    known    = held_q[d_tag] && d_ec != 4'd6;
    tag_hit  = known && live_q[d_tag[TagW-1:0]] && t.gen == d_tag[7:TagW];
    is_err   = d_st != 3'd0 || d_poison || d_ec != 4'd0;
    dw_bytes = {1'b0, d_dwc, 2'b00};
    avail    = dw_bytes - 14'(t.cur[1:0]);
    deliver  = (avail < 14'(t.rem)) ? avail : 14'(t.rem);
    fits     = d_dwc != '0 && d_ec == 4'd0 &&
               d_la == t.cur && d_bc == t.rem &&
               dw_bytes <= 14'(t.cur[1:0]) + 14'(t.rem) + 14'd3 &&
               (deliver == 14'(t.rem) || ((7'(t.cur) + 7'(deliver)) & 7'h3F) == 7'd0);
    beats_exp = 9'((12'(d_dwc) + 12'd3 + 12'd7) >> 3);
    // PG213 "Handling of Completion Errors": 1 poisoned, 2 UR/CA/CRS status, 9 the core's
    // completion timeout; 3 (byte count), 4 (attributes), 5 and the rest terminate the read
    // on a malformed completion (C6h).
    if (d_poison || d_ec == 4'd1) begin
      err_code = StPoisoned;
    end else if (d_ec == 4'd9) begin
      err_code = StTimeout;
    end else if (d_ec == 4'd2 || (d_ec == 4'd0 && d_st != 3'd0)) begin
      err_code = (d_st == 3'd1) ? StUr : StCa;
    end else begin
      err_code = StBadCompletion;
    end
  end

  // The issue time of the addressed slot and the descriptor's IDs, TC, attributes and
  // reserved bits are not needed here.
  logic unused_rc;
  assign unused_rc = ^{t.ts, desc.locked_read, desc.requester_id, desc.completer_id, desc.tc,
                       desc.attr, desc.rsvd_31_31, desc.rsvd_47_47, desc.rsvd_88_88,
                       desc.rsvd_95_95};

  // The read of the packet in progress is still live (the same read: live, same generation).
  logic pkt_live;
  assign pkt_live = live_q[pkt_tag_q] && tags_q[pkt_tag_q].gen == pkt_wtag_q[7:TagW];

  // Beat parameters (first beat: from the decode; later beats: latched)
  logic                    cur_wr, cur_buf;
  logic [13:0]             cur_start, cur_end;
  logic [Bar2SizeLog2-1:0] cur_base;
  logic [8:0]              cur_beat;
  logic                    cur_region;
  always_comb begin
    if (!in_pkt_q) begin
      cur_region = t.dest[FetchLog2];
      cur_wr    = tag_hit && !is_err && fits && !t.buf_dst;
      cur_buf   = tag_hit && !is_err && fits && t.buf_dst;
      cur_start = 14'd12 + 14'(t.cur[1:0]);
      cur_end   = 14'd12 + 14'(t.cur[1:0]) + deliver;
      cur_base  = t.dest - Bar2SizeLog2'(t.cur[1:0]) - Bar2SizeLog2'(12);
      cur_beat  = '0;
    end else begin
      cur_region = pkt_region_q;
      // Later beats land only while the read is still live: one abandoned during the packet
      // (kill_i, a timeout) writes nothing more, since its job's owner may already be a new
      // job with a new fetch ring, or its SQ slots refilled (the slot's new read, if any, has
      // another generation).
      cur_wr    = pkt_wr_q && pkt_live;
      cur_buf   = pkt_buf_q && pkt_live;
      cur_start = pkt_start_q;
      cur_end   = pkt_end_q;
      cur_base  = pkt_base_q;
      cur_beat  = beat_q;
    end
  end

  // Byte validity of this beat (only looked at with a beat; worked out only then, which the
  // simulation notices and the hardware does not)
  logic [31:0] byte_ok;
  always_comb begin
    byte_ok = '0;
    if (beat) begin
      for (int unsigned k = 0; k < 32; k++) begin
        byte_ok[k] = {cur_beat, 5'(k)} >= cur_start && {cur_beat, 5'(k)} < cur_end;
      end
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
  // Without a write (no beat for BAR2, no residue to flush) the port's rows and data are left
  // at zero: with no byte enable set they are not used (peerbar_top, the inline CRC), and the
  // simulation skips the rotation.
  always_comb begin
    d0        = cur_base + Bar2SizeLog2'({cur_beat, 5'd0});
    w         = d0[Bar2SizeLog2-1:2];
    rot       = d0[1:0];
    ext_data  = '0;
    ext_be    = '0;
    lane_data = '0;
    lane_be   = '0;
    if (beat && cur_wr) begin
      ext_data = {32'd0, rc_tdata_i} << (8 * rot);
      ext_be   = {4'd0, byte_ok} << rot;
      for (int unsigned j = 0; j < 8; j++) begin
        lane_data[j] = ext_data[32*j +: 32];
        lane_be[j]   = ext_be[4*j +: 4];
      end
    end
    // The residue belongs to this beat's first DWORD (disjoint byte enables). Only with a
    // beat: in a cycle without one (the block's tvalid low inside a packet) nothing is written,
    // so each byte is written once (the inline CRC, peerbar_dma_crc_inline, counts writes).
    if (!flush_q && in_pkt_q && cur_wr && beat) begin
      for (int unsigned i = 0; i < 4; i++) begin
        if (res_be_q[i]) begin
          lane_data[0][8*i +: 8] = res_data_q[8*i +: 8];
        end
      end
      lane_be[0] = lane_be[0] | res_be_q;
    end

    mem_wr_be_o    = '0;
    mem_wr_data_o  = '0;
    mem_wr_row_o   = '0;
    mem_wr_owner_o = flush_q ? res_owner_q : (in_pkt_q ? pkt_owner_q : t.owner);
    for (int unsigned b = 0; b < 8; b++) begin
      bank_lane[b] = 3'(b) - w[2:0];
    end
    if (flush_q) begin
      for (int unsigned b = 0; b < 8; b++) begin
        mem_wr_row_o[b]  = res_dw_q[DwW-1:3];
        mem_wr_data_o[b] = res_data_q;
        mem_wr_be_o[b]   = (3'(b) == res_dw_q[2:0]) ? res_be_q : 4'h0;
      end
    end else if (beat && cur_wr) begin
      for (int unsigned b = 0; b < 8; b++) begin
        mem_wr_be_o[b]   = lane_be[bank_lane[b]];
        mem_wr_data_o[b] = lane_data[bank_lane[b]];
        mem_wr_row_o[b]  = w[DwW-1:3] + ((3'(b) < w[2:0]) ? RowW'(1) : RowW'(0));
      end
    end
  end

  // Fetch buffer write (SQ entries, SGL segments): DWORD-aligned destinations
  always_comb begin
    fbuf_we_o      = '0;
    fbuf_lane_we_o = '0;
    for (int unsigned i = 0; i < 8; i++) begin
      fbuf_idx_o[i] = {cur_region, cur_base[FetchLog2-1:2] + (FetchLog2 - 2)'({cur_beat, 3'd0}) +
                                   (FetchLog2 - 2)'(i)};
    end
    if (beat && cur_buf) begin
      for (int unsigned i = 0; i < 8; i++) begin
        if (byte_ok[4*i]) begin
          fbuf_lane_we_o[i]        = 1'b1;
          fbuf_we_o[fbuf_idx_o[i]] = 1'b1;
        end
      end
    end
  end

  // Packet tracking, commit, errors, release, timeouts
  logic            c_ok, c_rel, c_hit, c_err;
  logic [7:0]      c_wtag;
  logic [TagW-1:0] ct;
  logic [12:0]     dl;
  // What this cycle changes in the tag table, applied in the always_ff below in this order:
  logic            upd_fail_first;  // the first beat failed the read of its slot: not live
  logic            upd_commit;      // slot ct took dl bytes (cur, rem, dest; live off at the end)
  logic            upd_rel_fail;    // the core ended slot ct's read early: not live
  logic            upd_timeout;     // slot scan_q timed out: not live
  logic            upd_release;     // the core released tag c_wtag
  always_comb begin
    upd_fail_first = 1'b0;
    upd_commit     = 1'b0;
    upd_rel_fail   = 1'b0;
    upd_timeout    = 1'b0;
    upd_release    = 1'b0;
    in_pkt_d      = in_pkt_q;
    pkt_ok_d      = pkt_ok_q;
    pkt_rel_d     = pkt_rel_q;
    pkt_hit_d     = pkt_hit_q;
    pkt_err_d     = pkt_err_q;
    pkt_wtag_d    = pkt_wtag_q;
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
    res_owner_d   = res_owner_q;
    pkt_region_d  = pkt_region_q;
    pkt_owner_d   = pkt_owner_q;

    err_valid_o      = 1'b0;
    err_owner_o      = '0;
    bytes_in_owner_o = '0;
    err_status_o     = StSuccess;
    err_addr_o       = '0;
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
      pkt_region_d  = cur_region;
      pkt_owner_d   = t.owner;
      pkt_start_d   = cur_start;
      pkt_end_d     = cur_end;
      pkt_base_d    = cur_base;
      pkt_deliver_d = 13'(deliver);
      pkt_beats_d   = beats_exp;
      pkt_ok_d      = tag_hit && !is_err && fits;
      pkt_rel_d     = known && d_done;
      pkt_hit_d     = tag_hit;
      pkt_err_d     = tag_hit && is_err;
      pkt_wtag_d    = d_tag;
      beat_d        = 9'd1;
      if (tag_hit && is_err) begin
        // The read failed: report it; the tag stays held until the core releases it.
        err_valid_o  = 1'b1;
        err_owner_o  = t.owner;
        err_status_o = err_code;
        err_addr_o   = t.addr;
        err_link_o   = (err_code == StBadCompletion) ? 2'd0 : 2'd1;
        bad_completion_o = err_code == StBadCompletion;
        upd_fail_first = 1'b1;
      end else if (!(tag_hit && fits)) begin
        // Not ours (invalid tag), late for a read that failed or was abandoned, or it does not
        // fit the live read.
        bad_completion_o = 1'b1;
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
      res_owner_d = first ? t.owner : pkt_owner_q;
      if (rc_tlast_i) begin
        flush_d = ext_be[35:32] != '0;
      end
    end else if (beat && rc_tlast_i) begin
      res_be_d = '0;
    end

    // Commit and release at the last beat
    c_ok   = first ? (tag_hit && !is_err && fits && beats_exp == 9'd1)
                   : (pkt_ok_q && beat_q == pkt_beats_q - 9'd1);
    c_rel  = first ? (known && d_done) : pkt_rel_q;
    c_hit  = first ? tag_hit : pkt_hit_q;
    c_err  = first ? (tag_hit && is_err) : pkt_err_q;
    c_wtag = first ? d_tag : pkt_wtag_q;
    ct     = first ? d_tag[TagW-1:0] : pkt_tag_q;
    dl     = first ? 13'(deliver) : pkt_deliver_q;
    // A slot abandoned during the packet (timeout, abort) may carry a new read by now: only
    // a completion for the read the slot still carries updates it.
    c_hit = c_hit && live_q[ct] && tags_q[ct].gen == c_wtag[7:TagW];
    c_ok  = c_ok && c_hit;
    if (beat && rc_tlast_i) begin
      if (c_ok) begin
        if (!tags_q[ct].buf_dst) begin
          bytes_in_o       = dl;
          bytes_in_owner_o = tags_q[ct].owner;
        end
        upd_commit = 1'b1;
      end else if (!first && pkt_ok_q) begin
        bad_completion_o = 1'b1;  // beat count did not match the DWORD count
      end
      if (c_rel) begin
        // The core is done with the read. If it ended the slot's live read before its bytes
        // were all in and no error said why (a completion we could not accept was its last),
        // the read failed with a malformed completion.
        if (c_hit && !c_err && !(c_ok && tags_q[ct].rem == dl)) begin
          err_valid_o  = 1'b1;
          err_owner_o  = tags_q[ct].owner;
          err_status_o = StBadCompletion;
          err_addr_o   = tags_q[ct].addr;
          upd_rel_fail = 1'b1;
        end
        upd_release = 1'b1;
      end
    end

    // The engine's own timeout, one slot per cycle: the owner fails with C5h, the tag stays
    // held by the core (and here) until the core releases it; the slot moves on. Only one
    // failure is reported per cycle: when a completion already failed a read in this cycle, the
    // timeout waits for the scan's next round (the read may belong to another owner, which must
    // hear of it).
    if (live_q[scan_q] && !err_valid_o &&
        (now_q - tags_q[scan_q].ts) >= timeout_i &&
        !(first && d_tag[TagW-1:0] == scan_q) && !(beat && rc_tlast_i && ct == scan_q)) begin
      err_valid_o  = 1'b1;
      err_owner_o  = tags_q[scan_q].owner;
      err_status_o = StTimeout;
      err_addr_o   = tags_q[scan_q].addr;
      err_link_o   = err_link_o + 2'd1;
      upd_timeout  = 1'b1;
    end

  end

  // The tag each slot's next read would use: the next generation after its current one whose
  // tag the core does not hold and whose quarantine is over (generation 0 only with 5-bit
  // tags, for slots 0..31).
  logic [NumTags-1:0][GenW-1:0] next_gen;
  logic [GenW-1:0]              cand_gen;
  logic [7:0]                   cand_tag;
  always_comb begin
    cand_gen = '0;
    cand_tag = '0;
    next_gen = '0;
    if (!ext_tags_i) begin
      tag_usable_o = NumTags'(tag_free[31:0]) & ~live_q;
    end else begin
      for (int unsigned s = 0; s < NumTags; s++) begin
        tag_usable_o[s] = 1'b0;
        // Generations after the current one, the nearest last so that it wins.
        for (int k = 2 ** GenW; k >= 1; k--) begin
          cand_gen = tags_q[s].gen + GenW'(k);
          cand_tag = {cand_gen, TagW'(s)};
          if (tag_free[cand_tag]) begin
            tag_usable_o[s] = 1'b1;
            next_gen[s]     = cand_gen;
          end
        end
      end
      tag_usable_o = tag_usable_o & ~live_q;
    end
    for (int unsigned s = 0; s < NumTags; s++) begin
      slot_tag_o[s] = {next_gen[s], TagW'(s)};
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      for (int unsigned i = 0; i < NumTags; i++) begin
        tags_q[i] <= '0;
      end
      live_q        <= '0;
      now_q         <= '0;
      scan_q        <= '0;
      in_pkt_q      <= 1'b0;
      pkt_ok_q      <= 1'b0;
      pkt_rel_q     <= 1'b0;
      pkt_hit_q     <= 1'b0;
      pkt_err_q     <= 1'b0;
      pkt_wtag_q    <= '0;
      held_q        <= '0;
      age_hi_q      <= '1;
      age_lo_q      <= '1;
      epoch_q       <= '0;
      held_count_q  <= '0;
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
      res_owner_q   <= '0;
      pkt_region_q  <= 1'b0;
      pkt_owner_q   <= '0;
    end else begin
      now_q         <= now_q + 32'd1;
      scan_q        <= scan_q + TagW'(1);
      in_pkt_q      <= in_pkt_d;
      pkt_ok_q      <= pkt_ok_d;
      pkt_rel_q     <= pkt_rel_d;
      pkt_hit_q     <= pkt_hit_d;
      pkt_err_q     <= pkt_err_d;
      pkt_wtag_q    <= pkt_wtag_d;
      epoch_q       <= tick ? '0 : epoch_q + 1'b1;
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
      res_owner_q   <= res_owner_d;
      pkt_region_q  <= pkt_region_d;
      pkt_owner_q   <= pkt_owner_d;


      // The tag table: the completion side's changes first, then an allocation, then an
      // abort (kill_i, by the owner a slot has after this cycle's allocation). A slot is
      // allocated only when its read is not live and its new tag not held, so no completion-side
      // change touches it in the same cycle; later writes of the same field win.
      if (upd_commit) begin
        tags_q[ct].cur <= tags_q[ct].cur + 12'(dl);
        tags_q[ct].rem <= tags_q[ct].rem - dl;
        if (tags_q[ct].buf_dst) begin
          // Within its fetch buffer region (the index wraps, the region bit stays).
          tags_q[ct].dest[FetchLog2-1:0] <= tags_q[ct].dest[FetchLog2-1:0] + FetchLog2'(dl);
        end else begin
          tags_q[ct].dest <= tags_q[ct].dest + Bar2SizeLog2'(dl);
        end
        if (tags_q[ct].rem == dl) begin
          live_q[ct] <= 1'b0;  // every byte is in
        end
      end
      if (upd_fail_first) begin
        live_q[d_tag[TagW-1:0]] <= 1'b0;
      end
      if (upd_rel_fail) begin
        live_q[ct] <= 1'b0;
      end
      if (upd_timeout) begin
        live_q[scan_q] <= 1'b0;
      end
      if (alloc_valid_i) begin
        live_q[alloc_tag_i] <= 1'b1;
        tags_q[alloc_tag_i] <= '{gen:     next_gen[alloc_tag_i],
                                 buf_dst: alloc_buf_i,
                                 owner:   alloc_owner_i,
                                 cur:     alloc_addr_i[11:0],
                                 rem:     alloc_len_i,
                                 dest:    alloc_dest_i,
                                 ts:      now_q,
                                 addr:    alloc_addr_i};
      end
      if (kill_i != '0) begin
        for (int unsigned i = 0; i < NumTags; i++) begin
          if (kill_i[(alloc_valid_i && TagW'(i) == alloc_tag_i) ? alloc_owner_i
                                                                 : tags_q[i].owner]) begin
            live_q[i] <= 1'b0;
          end
        end
      end

      // Held tags and quarantine ages: every age steps (saturating at 3) on a tick; a released
      // tag starts again from 0, or from 1 when the tick is in the same cycle.
      if (tick) begin
        age_hi_q <= age_hi_q | age_lo_q;
        age_lo_q <= ~age_lo_q | age_hi_q;
      end
      if (upd_release) begin
        held_q[c_wtag]   <= 1'b0;
        age_hi_q[c_wtag] <= 1'b0;
        age_lo_q[c_wtag] <= tick;
      end
      if (alloc_valid_i) begin
        held_q[slot_tag_o[alloc_tag_i]] <= 1'b1;
      end
      held_count_q <= held_count_q - 9'(upd_release) + 9'(alloc_valid_i);
    end
  end

  // Outputs
  always_comb begin
    owner_busy_o = '0;
    for (int unsigned i = 0; i < NumTags; i++) begin
      if (live_q[i]) begin
        owner_busy_o[tags_q[i].owner] = 1'b1;
      end
    end
    if (flush_q) begin
      owner_busy_o[res_owner_q] = 1'b1;
    end
    bar2_wr_busy_o = (in_pkt_q && pkt_wr_q && pkt_live) || flush_q;
    // Tags the core holds (reads abandoned by a failed job included), saturating.
    tags_in_flight_o = (held_count_q > 9'd127) ? 7'd127 : 7'(held_count_q);
  end

endmodule

`default_nettype wire
