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
// else (unknown/stale tag, mismatch) is discarded and counted once (bad_completion_o); its
// data is never written anywhere, but for one case: a beat count that does not match (tlast
// before the beat the DWORD count ends on, or not on it) is seen only at the packet's last
// beat, when its earlier beats are written already (holding them back would take a buffer of a
// whole completion, up to 129 beats). Such a completion passed every other check on its first
// beat, so what it wrote is its own bytes of the beats it had (from the read's next expected
// byte, at most the bytes still due; beats past the DWORD count carry none, and their index
// stops at 512 so that it never wraps back to the first beats' bytes) at their places in the
// read's own destination, which the read had yet to fill: nothing outside it changes. It is
// counted at its last beat (a one-beat packet at its first) and not taken: the read still
// expects those bytes, so it can no longer complete. If it carried Request Completed, the read
// fails at once with C6h; otherwise the read's later completions do not fit (discarded,
// counted) and its last one fails it with C6h (or the engine's timeout with C5h, if none
// comes), so what it wrote is never used as the read's data: its owner (a job, the SQ fetch)
// hears of the failure instead (or aborted the read first). The DWORD count is the size of
// the payload the packet carries (PG213 "Requester Completion Descriptor Format"), so only a
// broken block or link delivers such a packet.
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
//
// Two stages (docs/synthesis.md, "The RC side pipelined"). Stage 1, in the cycle a beat is
// taken: the descriptor decode, the tag table look-up and what depends on the descriptor alone
// (the bytes the completion brings, the slot's next address and bytes due after it, the beat's
// valid bytes, its BAR2 DWORD and rotation), into registers. Stage 2, in the next cycle: the
// checks against the slot, the tag table update, the byte rotation. The BAR2 and fetch buffer
// writes, bytes_in_o, bad_completion_o, err_link_o and the failures (err_*) come from
// registers, one cycle after stage 2 (two after the beat); owner_busy_o stays set for an owner
// until they are out, busy_o while a beat or an output is inside. Completions of one slot back
// to back: stage 1 looked the slot up before the previous completion's update landed; that
// completion's next address and bytes due after it (from its own descriptor: it was accepted
// only if they matched the table's) and its release of the tag stand in for the table's
// (bypass), and whether the slot still carries the read is kept up to date every cycle from
// what ends reads (s1_live_q), so such a completion takes no extra cycle. The tags offered
// (tag_usable_o, slot_tag_o) are worked out a cycle ahead into registers.

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
  localparam int unsigned GenW = RcDescTagW - TagW
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
  input  wire logic [RcDescByteCountW-1:0] alloc_len_i,       // bytes (1..4096)
  input  wire logic [Bar2SizeLog2-1:0]  alloc_dest_i,      // BAR2 byte offset / buffer byte index
  input  wire logic [OwnW-1:0]          alloc_owner_i,
  input  wire logic [2**OwnW-1:0]       kill_i,            // abort: these owners' live reads die
  input  wire logic [31:0]              timeout_i,         // cycles, >= 1

  // State for the issuer
  output      logic [NumTags-1:0]       tag_usable_o,      // slot free, with a usable tag
  // The tag a slot's next read uses
  output      logic [NumTags-1:0][RcDescTagW-1:0] slot_tag_o,
  // An owner has a live read, or the residue of its last completion is still to be written.
  output      logic [2**OwnW-1:0]       owner_busy_o,
  // A completion is being written into BAR2, or its residue.
  output      logic                     bar2_wr_busy_o,
  // A completion beat is in the module or its writes, counts or failure are still to be seen.
  output      logic                     busy_o,
  output      logic [6:0]               tags_in_flight_o,
  // A live read failed (pulse); owner, status and address mean something only with it.
  output      logic                     err_valid_o,
  output      logic [OwnW-1:0]          err_owner_o,
  output      logic [StatusW-1:0]       err_status_o,
  output      logic [63:0]              err_addr_o,        // bus address of the failed read
  // Fetch buffer write port (the buffer is the engine's): fbuf_data_o[i] (lane i of a beat)
  // goes to DWORD fbuf_idx_o[i] when fbuf_lane_we_o[i]; fbuf_we_o has the DWORDs written.
  output      logic [7:0]               fbuf_lane_we_o,
  output      logic [7:0][FetchLog2-2:0] fbuf_idx_o,
  output      logic [FbDw-1:0]          fbuf_we_o,
  output      logic [7:0][31:0]         fbuf_data_o,

  // Accounting
  output      logic [RcDescByteCountW-1:0] bytes_in_o,        // BAR2 bytes of a read completed
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
    logic [RcDescLowerAddressW-1:0] cur;     // bus address bits 11:0 of the next expected byte
    logic [RcDescByteCountW-1:0]    rem;     // bytes still due
    logic [Bar2SizeLog2-1:0] dest;    // where the read's first byte goes (fixed for the read)
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
  logic [2**RcDescTagW-1:0] held_q;
  logic [2**RcDescTagW-1:0] age_hi_q, age_lo_q;
  logic [2**RcDescTagW-1:0] tag_free;   // not held, quarantine over
  logic [$clog2(EpochCycles + 1)-1:0] epoch_q;
  logic              tick;
  logic [8:0]        held_count_q;
  assign tick     = 32'(epoch_q) == EpochCycles - 1;
  assign tag_free = ~held_q & age_hi_q & age_lo_q;

  // Two stages. Stage 1 (the cycle a beat is taken): the descriptor decode, the tag table
  // lookup, what depends on the descriptor alone, the beat's byte positions, into the s1_
  // registers. Stage 2 (the next cycle): the checks against the slot (still live, same
  // generation, next expected address, bytes still due), the writes and the table update;
  // the writes, the counters and the failures go into the o_ output registers, seen by the
  // engine one cycle later.
  //
  // The residue of a BAR2 completion's last beat takes stage 2 for one more cycle (flush_q):
  // tready is low then and stage 1 keeps its beat.
  logic flush_q;
  assign rc_tready_o = !flush_q;
  logic beat;
  assign beat = rc_tvalid_i && rc_tready_o;

  // Input side: the packet the taken beats belong to (latched from its first beat)
  logic                    ip_in_q;        // inside a packet (its first beat taken)
  // Index of the next beat, stopping at 512: a completion has at most 257 beats by its DWORD
  // count, so a longer packet (malformed) must not wrap the index back to byte positions of
  // its first beats (it would write its garbage beats 512 + i at beat i's place + 16 KiB).
  logic [9:0]              ip_beat_q;
  logic [8:0]              ip_beats_q;     // beats expected
  logic [13:0]             ip_end_q;       // one past the last valid byte position
  logic [DwW-1:0]          ip_w_q;         // BAR2 DWORD of the next beat's byte 0
  logic [FetchLog2-3:0]    ip_fidx_q;      // fetch buffer DWORD of the next beat's lane 0
  logic [1:0]              ip_rot_q;
  logic                    ip_region_q;
  logic [TagW-1:0]         ip_slot_q;
  logic [RcDescTagW-1:0]       ip_wtag_q;
  logic [OwnW-1:0]         ip_owner_q;
  logic [63:0]             ip_addr_q;
  logic                    ip_buf_dst_q;
  logic [RcDescByteCountW-1:0] ip_deliver_q;
  logic [RcDescLowerAddressW-1:0] ip_cur_new_q;
  logic [RcDescByteCountW-1:0] ip_rem_new_q;
  logic                    ip_fin_q;

  // Stage 1 registers: the beat stage 2 works on
  logic                    s1_v_q;         // a beat
  logic                    s1_first_q, s1_last_q;
  logic [255:0]            s1_data_q;
  logic [31:0]             s1_byte_ok_q;   // its bytes that belong to the completion
  logic [DwW-1:0]          s1_w_q;         // BAR2 DWORD of byte 0 after the rotation
  logic [1:0]              s1_rot_q;       // byte rotation onto BAR2
  logic [FetchLog2-3:0]    s1_fidx_q;      // fetch buffer DWORD of lane 0 (within the region)
  logic                    s1_region_q;
  logic [TagW-1:0]         s1_slot_q;
  logic [RcDescTagW-1:0]       s1_wtag_q;
  logic [OwnW-1:0]         s1_owner_q;
  logic [63:0]             s1_addr_q;
  logic                    s1_buf_dst_q;
  logic [RcDescByteCountW-1:0] s1_deliver_q;   // bytes the completion brings
  logic [RcDescLowerAddressW-1:0] s1_cur_new_q;   // the slot's next expected address after it
  logic [RcDescByteCountW-1:0] s1_rem_new_q;   // ... and bytes still due
  logic                    s1_fin_q;       // it ends the read
  logic                    s1_cnt_ok_q;    // last beat: the beat count matches the DWORD count
  // The slot still carries the read of the beat (live, same generation), kept up to date
  // every cycle from what ends a read (a completion's failure or last bytes, kill_i, the
  // engine's timeout) instead of a look at live_q: a slot is given a new read only after a
  // cycle not live, and then with another generation.
  logic                    s1_live_q;
  // First beat only
  // The core holds its tag (and stage 2's last beat in the same cycle did not release it), and
  // it is not error code 6 (invalid tag: the core holds no request with this tag, so it is
  // not ours)
  logic                    s1_known_q;
  logic                    s1_is_err_q;
  logic [StatusW-1:0]         s1_err_code_q;
  logic                    s1_done_q;      // Request Completed
  // It fits the slot's read (the descriptor's own checks, lower address and byte count):
  // against the table, or against the previous completion's update (bypass); and with it,
  // no error: it is accepted (if known and the read is still live). The fit_ bits (they decide
  // only whether it is counted as bad) also say that a first beat which is the packet's last
  // has the beat count its DWORD count says: a one-beat packet whose DWORD count wants more
  // beats is found malformed at its first beat, and counted there like a longer one at its last.
  logic                    s1_fitd_q, s1_okd_q;      // the descriptor's own checks (, no error)
  logic                    s1_eq_la_q, s1_eq_bc_q;   // lower address, byte count: the table's
  logic                    s1_fit_b_q, s1_ok_b_q;    // ... all against the bypass
  logic                    s1_byp_q;       // stage 2's last beat then took the same slot
  logic [NumTags-1:0]      s1_oh_q;        // s1_slot_q, one-hot
  // s1_slot_q, one-hot, if the beat is its packet's last and the beat count matches the DWORD
  // count (s1_last_q && s1_cnt_ok_q), else 0: the slot whose bytes it commits if accepted. The
  // tag table's write enables start from it, not from a decode of s1_slot_q and-ed with the
  // whole commit condition.
  logic [NumTags-1:0]      s1_ohc_q;
  logic                    s1_klate_q;     // kill_i ended the slot's read at the look-up's edge

  // Stage 2 packet state (latched from its first beat)
  logic                    p2_in_q;        // inside a packet
  logic                    p2_ok_q;        // commit at the last beat
  logic                    p2_rel_q;       // the core releases the tag (Request Completed)
  logic                    p2_hit_q;       // for the slot's live read
  logic                    p2_err_q;       // the completion failed its read
  logic                    p2_wr_q;        // write data (live, BAR2)
  logic                    p2_buf_q;       // write data (live, buffer)

  // Residue (bytes of the 9th DWORD of a rotated beat)
  logic [3:0]              res_be_q;
  logic [31:0]             res_data_q;
  logic [DwW-1:0]          res_dw_q;
  logic [OwnW-1:0]         res_owner_q;    // owner of the residue being flushed

  // Output registers
  logic [7:0][RowW-1:0]    o_row_q;
  logic [7:0][31:0]        o_data_q;
  logic [7:0][3:0]         o_be_q;
  logic [OwnW-1:0]         o_owner_q;
  logic                    o_wr_q;         // a BAR2 write
  logic                    o_act_q;        // a write, bytes or a failure of o_owner_q's read
  logic [7:0]              o_flane_q;
  logic [7:0][FetchLog2-2:0] o_fidx_q;
  logic [FbDw-1:0]         o_fwe_q;
  logic [7:0][31:0]        o_fdata_q;
  logic [RcDescByteCountW-1:0] o_bytes_q;
  logic [OwnW-1:0]         o_bytes_owner_q;
  logic                    o_bad_q;
  logic [1:0]              o_link_q;
  logic                    o_err_q;
  logic [OwnW-1:0]         o_err_owner_q;
  logic [StatusW-1:0]         o_err_status_q;
  logic [63:0]             o_err_addr_q;

  ///////////////////////////////////////////////////////////////////////////////////////////
  // Stage 1

  // Descriptor decode (the RC descriptor, PG213: peerbar_wire_pkg::rc_desc_t)
  rc_desc_t    desc;
  logic [RcDescLowerAddressW-1:0] d_la;
  logic [RcDescErrorCodeW-1:0]    d_ec;
  logic [RcDescByteCountW-1:0]    d_bc;
  logic [RcDescDwordCountW-1:0]   d_dwc;
  logic [RcDescStatusW-1:0]       d_st;
  logic        d_poison;
  logic        d_done;
  logic [RcDescTagW-1:0]          d_tag;
  always_comb begin
    desc     = rc_desc_t'(rc_tdata_i[RcDescW-1:0]);
    d_la     = desc.lower_address;
    d_ec     = desc.error_code;
    d_bc     = desc.byte_count;
    d_done   = desc.request_completed;
    d_dwc    = desc.dword_count;
    d_st     = desc.status;
    d_poison = desc.poisoned;
    d_tag    = desc.tag;
  end

  // A completion fits its read when its lower address is the next expected byte (la == cur)
  // and its byte count the bytes still due (bc == rem); the rest of the checks then depend on
  // the descriptor alone (cur, rem replaced by la, bc), and so do the bytes it brings and
  // the slot's next address and bytes due after it.
  //
  // The bytes it brings are min(avail, bc), avail = 4 dwc - la[1:0] its payload from its first
  // byte on. With n_dw = ceil((bc + la[1:0]) / 4), the DWORDs the rest of the read spans:
  // avail < bc exactly when dwc < n_dw (for dwc >= 1), and dwc <= n_dw is "at most 3 bytes
  // past the bytes due" (4 dwc <= la[1:0] + bc + 3). Short of the end (dwc < n_dw), the
  // completion ends at la - la[1:0] + 4 dwc, on the 64-byte RCB when bits 5:2 of la + 4 dwc
  // are 0. So every value below is one carry chain from the descriptor and the choice between
  // two of them by short (instead of a subtraction, a comparison, the minimum and an addition
  // after it, one after the other); checked equal to that chain for every dwc 1..2047, bc and
  // la[6:0] (and for every dwc, whether it fits).
  tag_t        t;
  logic        is_err, fits_d, short_d;
  logic [11:0] n_dw;
  logic [13:0] dw_bytes, d_start, d_end;
  // Its payload from its first byte on; the bytes it brings
  logic [RcDescByteCountW-1:0]    avail, deliver;
  logic [RcDescLowerAddressW-1:0] cur_new;  // the slot's next expected address after it
  logic [RcDescByteCountW-1:0]    rem_new;  // ... and bytes still due
  logic [StatusW-1:0] err_code;
  logic [8:0]  beats_exp;
  logic [Bar2SizeLog2-1:0] d_base;  // BAR2 byte address of tdata byte 0 of the first beat
  always_comb begin
    t        = tags_q[d_tag[TagW-1:0]];
    is_err   = d_st != '0 || d_poison || d_ec != '0;
    dw_bytes = {1'b0, d_dwc, 2'b00};
    avail    = RcDescByteCountW'(dw_bytes) - RcDescByteCountW'(d_la[1:0]);
    n_dw     = 12'((14'(d_bc) + 14'(d_la[1:0]) + 14'd3) >> 2);
    short_d  = 12'(d_dwc) < n_dw;
    deliver  = short_d ? avail : d_bc;
    fits_d   = d_dwc != '0 && d_ec == '0 &&
               (12'(d_dwc) == n_dw || (short_d && 4'(d_la[5:2] + d_dwc[3:0]) == 4'd0));
    beats_exp = 9'((12'(d_dwc) + 12'd3 + 12'd7) >> 3);
    d_start  = 14'd12 + 14'(d_la[1:0]);
    d_end    = short_d ? 14'd12 + dw_bytes : 14'd12 + 14'(d_la[1:0]) + 14'(d_bc);
    cur_new  = short_d ? {d_la[RcDescLowerAddressW-1:2], 2'b00} + RcDescLowerAddressW'(dw_bytes)
                       : d_la + RcDescLowerAddressW'(d_bc);
    rem_new  = short_d ? d_bc + RcDescByteCountW'(d_la[1:0]) - RcDescByteCountW'(dw_bytes) : '0;
    // The read's first byte goes to t.dest; the completion's first byte (address d_la, at
    // tdata byte 12 + d_la[1:0]) then to t.dest + (d_la - t.addr[11:0]).
    d_base   = t.dest - Bar2SizeLog2'(t.addr[RcDescLowerAddressW-1:0]) +
               Bar2SizeLog2'({d_la[RcDescLowerAddressW-1:2], 2'b00}) -
               Bar2SizeLog2'(12);
    // PG213 "Handling of Completion Errors": 1 poisoned, 2 UR/CA/CRS status, 9 the core's
    // completion timeout; 3 (byte count), 4 (attributes), 5 and the rest terminate the read
    // on a malformed completion (C6h).
    if (d_poison || d_ec == RcDescErrorCodeW'(1)) begin
      err_code = StPoisoned;
    end else if (d_ec == RcDescErrorCodeW'(9)) begin
      err_code = StTimeout;
    end else if (d_ec == RcDescErrorCodeW'(2) || (d_ec == '0 && d_st != '0)) begin
      err_code = (d_st == RcDescStatusW'(1)) ? StUr : StCa;
    end else begin
      err_code = StBadCompletion;
    end
  end

  // The issue time of the addressed slot (its generation, next address and bytes due are
  // compared below, every slot at once) and the descriptor's IDs, TC, attributes and reserved
  // bits are not needed here.
  logic unused_rc;
  assign unused_rc = ^{t.ts, t.gen, t.cur, t.rem, desc.locked_read, desc.requester_id,
                       desc.completer_id, desc.tc, desc.attr, desc.rsvd_31_31, desc.rsvd_47_47,
                       desc.rsvd_88_88, desc.rsvd_95_95};

  // The beat's byte validity: on a first beat from the descriptor, on later ones from the
  // packet's end.
  logic [31:0] byte_ok;
  always_comb begin
    byte_ok = '0;
    for (int unsigned k = 0; k < 32; k++) begin
      if (!ip_in_q) begin
        byte_ok[k] = 14'(k) >= d_start && 14'(k) < d_end;
      end else begin
        byte_ok[k] = {ip_beat_q, 5'(k)} < 15'(ip_end_q);
      end
    end
  end

  // Per slot: live with the tag's generation (worked out for every slot at once, then picked
  // by the tag; kill_i at this edge is s1_klate_q's). Likewise the lower address and byte count
  // compared with every slot's next address and bytes due, and the 1-bit results picked by the
  // tag: picking the slot's 12 and 13 bits first and comparing them after is two levels deeper.
  // (keep: without it Yosys's ABC9 merges the pick into the comparisons, 10 LUT levels deep.)
  // live_v only with a beat offered (rc_tvalid_i), else 0: it is used only when a first beat
  // is taken (beat && !ip_in_q loads s1_live_q), which implies rc_tvalid_i.
  logic [NumTags-1:0] live_v;
  (* keep *) logic [NumTags-1:0] eq_la_v, eq_bc_v;
  always_comb begin
    live_v = '0;
    if (rc_tvalid_i) begin
      for (int unsigned s = 0; s < NumTags; s++) begin
        live_v[s] = live_q[s] && tags_q[s].gen == d_tag[RcDescTagW-1:TagW];
      end
    end
    for (int unsigned s = 0; s < NumTags; s++) begin
      eq_la_v[s] = d_la == tags_q[s].cur;
      eq_bc_v[s] = d_bc == tags_q[s].rem;
    end
  end

  // Stage 2 works on the beat in s1 unless it writes a residue (s2_go_q: s1_v_q and not
  // flush_q, registered).
  logic s2_beat, s2_go_q;
  assign s2_beat = s2_go_q;

  ///////////////////////////////////////////////////////////////////////////////////////////
  // Stage 2

  // The slot's read is still the one of the beat (live, same generation): a failure, a kill,
  // the engine's timeout or the previous completion may have ended it since stage 1.
  logic live_now;
  assign live_now = s1_live_q && !s1_klate_q;

  // Back to back completions of one slot: stage 1 looked the slot up before the previous
  // completion's update (in stage 2 in the same cycle) landed; that completion's next
  // address and bytes due then stand for the table's, and its release for held_q.
  //
  // Every decision below is a function of registers, and-ed with live_now last.
  logic byp, known, fits, ok_pre;
  always_comb begin
    byp    = s1_byp_q;
    // Error code 6 (invalid tag): the core holds no request with this tag, so it is not ours.
    known  = s1_known_q;
    fits   = byp ? s1_fit_b_q : (s1_fitd_q && s1_eq_la_q && s1_eq_bc_q);
    // (= known && !s1_is_err_q && fits) with live_now: the completion is accepted
    ok_pre = known && (byp ? s1_ok_b_q : (s1_okd_q && s1_eq_la_q && s1_eq_bc_q));
  end

  // This beat's writes. Later beats land only while the read is still live: one abandoned
  // during the packet (kill_i, a timeout) writes nothing more, since its job's owner may
  // already be a new job with a new fetch ring, or its SQ slots refilled (the slot's new read,
  // if any, has another generation).
  logic wr_pre, buf_pre, cur_wr, cur_buf;
  always_comb begin
    wr_pre  = s2_beat && (s1_first_q ? (ok_pre && !s1_buf_dst_q) : p2_wr_q);
    buf_pre = s2_beat && (s1_first_q ? (ok_pre && s1_buf_dst_q) : p2_buf_q);
    cur_wr  = wr_pre && live_now;
    cur_buf = buf_pre && live_now;
  end

  // BAR2 write: rotate to the destination byte address
  logic [287:0]            ext_data;
  logic [35:0]             ext_be;
  logic [7:0][31:0]        lane_data;
  logic [7:0][3:0]         lane_be;
  logic [7:0][2:0]         bank_lane;  // lane written to bank b
  logic [RowW-1:0]         row1;
  logic [7:0][RowW-1:0]    wr_row;
  logic [7:0][31:0]        wr_data;
  logic [7:0][3:0]         wr_be;
  // Without a write (no beat for BAR2, no residue to flush) the port's rows and data are left
  // at zero: with no byte enable set they are not used (peerbar_top, the inline CRC), and the
  // simulation skips the rotation.
  always_comb begin
    ext_data  = '0;
    ext_be    = '0;
    lane_data = '0;
    lane_be   = '0;
    row1      = s1_w_q[DwW-1:3] + RowW'(1);
    // The rotation does not wait for the checks: worked out for every beat, written or not.
    if (s2_beat) begin
      ext_data = {32'd0, s1_data_q} << (8 * s1_rot_q);
      ext_be   = {4'd0, s1_byte_ok_q} << s1_rot_q;
      for (int unsigned j = 0; j < 8; j++) begin
        lane_data[j] = ext_data[32*j +: 32];
        lane_be[j]   = ext_be[4*j +: 4];
      end
      // The residue belongs to a later beat's first DWORD (disjoint byte enables). Only with
      // a beat: in a cycle without one nothing is written, so each byte is written once (the
      // inline CRC, peerbar_dma_crc_inline, counts writes).
      if (!s1_first_q) begin
        for (int unsigned i = 0; i < 4; i++) begin
          if (res_be_q[i]) begin
            lane_data[0][8*i +: 8] = res_data_q[8*i +: 8];
          end
        end
        lane_be[0] = lane_be[0] | res_be_q;
      end
    end

    wr_be   = '0;
    wr_data = '0;
    wr_row  = '0;
    for (int unsigned b = 0; b < 8; b++) begin
      bank_lane[b] = 3'(b) - s1_w_q[2:0];
    end
    if (flush_q) begin
      for (int unsigned b = 0; b < 8; b++) begin
        wr_row[b]  = res_dw_q[DwW-1:3];
        wr_data[b] = res_data_q;
        wr_be[b]   = (3'(b) == res_dw_q[2:0]) ? res_be_q : 4'h0;
      end
    end else if (cur_wr) begin
      for (int unsigned b = 0; b < 8; b++) begin
        wr_be[b]   = lane_be[bank_lane[b]];
        wr_data[b] = lane_data[bank_lane[b]];
        wr_row[b]  = (3'(b) < s1_w_q[2:0]) ? row1 : s1_w_q[DwW-1:3];
      end
    end
  end

  // The last beat of a BAR2 write leaves a residue: written in the next cycle.
  logic flush_d;
  assign flush_d = cur_wr && s1_last_q && ext_be[35:32] != '0;

  // Fetch buffer write (SQ entries, SGL segments): DWORD-aligned destinations
  logic [7:0]                fb_lane;
  logic [7:0][FetchLog2-2:0] fb_idx;
  logic [FbDw-1:0]           fb_we;
  logic [FbDw/2-1:0]         fb_reg;
  always_comb begin
    fb_we   = '0;
    fb_lane = '0;
    fb_reg  = '0;
    for (int unsigned i = 0; i < 8; i++) begin
      fb_idx[i] = {s1_region_q, s1_fidx_q + (FetchLog2 - 2)'(i)};
    end
    // The DWORDs the beat writes (its 8 lanes rotated to lane 0's DWORD within the region),
    // only when it does (0 otherwise, as before: the simulation skips the rotation then).
    if (cur_buf) begin
      for (int unsigned i = 0; i < 8; i++) begin
        fb_lane[i] = s1_byte_ok_q[4*i];
      end
      fb_reg = {{(FbDw / 2 - 8){1'b0}}, fb_lane};
      fb_reg = (fb_reg << s1_fidx_q) | (fb_reg >> ((FbDw / 2) - 32'(s1_fidx_q)));
      fb_we  = s1_region_q ? {fb_reg, {(FbDw / 2){1'b0}}} : {{(FbDw / 2){1'b0}}, fb_reg};
    end
  end

  // Commit, errors, release, timeouts
  logic            c_ok_pre, c_rel, c_hit_pre, c_err_pre, com_any;
  logic            err_first, cerr, tmo_fire, err_valid, bad, act;
  logic            s2_clear;        // stage 2 ends the read of slot s1_slot_q
  logic [OwnW-1:0] err_owner;
  logic [StatusW-1:0] err_status;
  logic [63:0]     err_addr;
  logic [RcDescByteCountW-1:0] bytes_in;
  logic [1:0]      err_link;
  // What this cycle changes in the tag table, applied in the always_ff below in this order:
  logic            upd_fail_first;  // the first beat failed the read of its slot: not live
  logic            upd_commit;      // slot s1_slot_q took its bytes (cur, rem; live off at the end)
  logic            upd_rel_fail;    // the core ended the slot's read early: not live
  logic            upd_timeout;     // slot tmo_slot_q timed out: not live
  logic            upd_release;     // the core released tag s1_wtag_q
  // The engine's own timeout, one slot per cycle, looked at in two steps: the slot scan_q's
  // age and liveness into tmo_q, with what holds it back (the beat stage 2 will look at) into
  // tmo_block_q; then its failure.
  logic            tmo_q;
  logic            tmo_block_q;     // stage 2's beat may fail a read, or is of slot tmo_slot_q
  logic            clr_q;           // stage 2 ended the read of slot clr_slot_q at the last edge
  logic [TagW-1:0] clr_slot_q;
  logic [TagW-1:0] tmo_slot_q;
  logic [OwnW-1:0] tmo_owner_q;
  logic [63:0]     tmo_addr_q;
  always_comb begin
    // Commit and release at the last beat. A slot abandoned during the packet (timeout, abort)
    // may carry a new read by now: only a completion for the read the slot still carries
    // updates it (live_now).
    c_ok_pre  = (s1_first_q ? ok_pre : p2_ok_q) && s1_cnt_ok_q;
    // The tag table's write: slot i takes the bytes when s1_ohc_q[i] (its last beat, the beat
    // count right) and com_any (= upd_commit without s1_last_q && s1_cnt_ok_q)
    com_any   = s2_beat && (s1_first_q ? ok_pre : p2_ok_q) && live_now;
    c_rel     = s1_first_q ? (known && s1_done_q) : p2_rel_q;
    c_hit_pre = s1_first_q ? known : p2_hit_q;
    c_err_pre = s1_first_q ? (known && s1_is_err_q) : p2_err_q;

    // A first beat with an error fails the slot's live read: report it; the tag stays held
    // until the core releases it.
    err_first      = s2_beat && s1_first_q && known && s1_is_err_q && live_now;
    upd_fail_first = err_first;
    upd_commit     = s2_beat && s1_last_q && c_ok_pre && live_now;
    bytes_in       = (upd_commit && !s1_buf_dst_q) ? s1_deliver_q : '0;
    // The core is done with the read (Request Completed). If it ended the slot's live read
    // before its bytes were all in and no error said why (a completion we could not accept was
    // its last), the read failed with a malformed completion.
    upd_release    = s2_beat && s1_last_q && c_rel;
    upd_rel_fail   = s2_beat && s1_last_q && c_rel && c_hit_pre && !c_err_pre &&
                     !(c_ok_pre && s1_fin_q) && live_now;
    cerr           = err_first || upd_rel_fail;
    s2_clear       = upd_fail_first || (upd_commit && s1_fin_q) || upd_rel_fail;

    // Discarded and counted: a first beat not ours (invalid tag), late for a read that failed
    // or was abandoned, or that does not fit the live read; an error completion with C6h; the
    // last beat of an accepted first beat whose beat count did not match the DWORD count.
    bad = 1'b0;
    if (s2_beat && s1_first_q) begin
      if (known && live_now) begin
        bad = s1_is_err_q ? (s1_err_code_q == StBadCompletion) : !fits;
      end else begin
        bad = 1'b1;
      end
    end
    if (s2_beat && s1_last_q && !s1_first_q && p2_ok_q && !(c_ok_pre && live_now)) begin
      bad = 1'b1;
    end
    act = cur_wr || cur_buf || cerr;

    // The engine's timeout: the owner fails with C5h, the tag stays held by the core (and
    // here) until the core releases it; the slot moves on. Only one failure is reported per
    // cycle: when stage 2's beat may fail a read in this cycle (a first beat with an error, a
    // last beat with Request Completed), the timeout waits for the scan's next round (the read
    // may belong to another owner, which must hear of it). Not for a slot whose completion is
    // being looked at (a first beat taken, stage 2's beat).
    tmo_fire = tmo_q && !tmo_block_q && !(beat && !ip_in_q && d_tag[TagW-1:0] == tmo_slot_q) &&
               !(clr_q && clr_slot_q == tmo_slot_q);
    upd_timeout = tmo_fire;
    err_valid   = cerr || tmo_fire;
    if (tmo_fire) begin
      err_owner  = tmo_owner_q;
      err_status = StTimeout;
      err_addr   = tmo_addr_q;
      err_link   = 2'd1;
    end else begin
      // A completion's failure (its fields chosen from registers; used only with cerr)
      err_owner  = s1_owner_q;
      err_addr   = s1_addr_q;
      if (s1_first_q && s1_is_err_q) begin
        err_status = s1_err_code_q;
        err_link   = (cerr && s1_err_code_q != StBadCompletion) ? 2'd1 : 2'd0;
      end else begin
        err_status = StBadCompletion;
        err_link   = 2'd0;
      end
    end
  end

  // The tag each slot's next read would use: the next generation after its current one whose
  // tag the core does not hold and whose quarantine is over (generation 0 only with 5-bit
  // tags, for slots 0..31). Worked out into registers (usable_q, slot_tag_q: the whole tag,
  // {generation, slot}, so that slot_tag_o is the register itself) one cycle ahead:
  // a tag free in one cycle is still free in the next unless its slot took a read in that
  // cycle (alloc_q: not offered; the read may already be dead by kill_i), and ext_tags_i must
  // not have changed.
  // The tags {0, slot}: the slot bits of slot_tag_q (constant), and its generations at reset
  // and with 5-bit tags.
  function automatic logic [NumTags-1:0][RcDescTagW-1:0] slot_ids();
    logic [NumTags-1:0][RcDescTagW-1:0] ids;
    for (int unsigned s = 0; s < NumTags; s++) begin
      ids[s] = RcDescTagW'(s);
    end
    return ids;
  endfunction
  localparam logic [NumTags-1:0][RcDescTagW-1:0] SlotIds = slot_ids();
  logic [NumTags-1:0][RcDescTagW-1:0] next_tag, slot_tag_q;
  logic [NumTags-1:0]           usable, usable_q;
  logic                         ext_q;
  logic [NumTags-1:0]           alloc_q;
  logic [2**GenW-1:0]           gfree, grot;
  logic [GenW-1:0]              gstep;
  always_comb begin
    gfree    = '0;
    grot     = '0;
    gstep    = '0;
    next_tag = SlotIds;
    if (!ext_tags_i) begin
      usable = NumTags'(tag_free[31:0]);
    end else begin
      for (int unsigned s = 0; s < NumTags; s++) begin
        // The slot's free generations, rotated so that bit k - 1 is generation gen + k
        // (k = 1 .. 2**GenW); the lowest set bit is the nearest.
        for (int unsigned g = 0; g < 2 ** GenW; g++) begin
          gfree[g] = tag_free[{GenW'(g), TagW'(s)}];
        end
        for (int unsigned k = 0; k < 2 ** GenW; k++) begin
          grot[k] = gfree[GenW'(tags_q[s].gen + GenW'(k + 1))];
        end
        gstep = '0;
        for (int k = 2 ** GenW - 1; k >= 0; k--) begin
          if (grot[k]) begin
            gstep = GenW'(k);
          end
        end
        usable[s]   = grot != '0;
        next_tag[s] = {usable[s] ? tags_q[s].gen + gstep + GenW'(1) : GenW'(0), TagW'(s)};
      end
    end
    tag_usable_o = (ext_tags_i == ext_q) ? (usable_q & ~live_q & ~alloc_q) : '0;
    slot_tag_o   = slot_tag_q;
  end

  // Live slots, in this order: stage 2 ends its slot's read (a failure, the last bytes in),
  // the engine's timeout ends one, an allocation, then an abort (kill_i, by the owner a slot
  // has after this cycle's allocation).
  // (The loop only when one of them happens: the simulation evaluates this block every cycle.)
  logic [NumTags-1:0] live_d;
  always_comb begin
    live_d = live_q;
    if (s2_clear || upd_timeout || alloc_valid_i || (|kill_i)) begin
      for (int unsigned i = 0; i < NumTags; i++) begin
        if ((s2_clear && s1_oh_q[i]) || (upd_timeout && tmo_slot_q == TagW'(i))) begin
          live_d[i] = 1'b0;
        end
        if (alloc_valid_i && alloc_tag_i == TagW'(i)) begin
          live_d[i] = 1'b1;
        end
        if (kill_i[(alloc_valid_i && TagW'(i) == alloc_tag_i) ? alloc_owner_i
                                                               : tags_q[i].owner]) begin
          live_d[i] = 1'b0;
        end
      end
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      for (int unsigned i = 0; i < NumTags; i++) begin
        tags_q[i] <= '0;
      end
      live_q        <= '0;
      usable_q      <= '0;
      slot_tag_q    <= SlotIds;
      ext_q         <= 1'b0;
      alloc_q       <= '0;
      now_q         <= '0;
      scan_q        <= '0;
      held_q        <= '0;
      age_hi_q      <= '1;
      age_lo_q      <= '1;
      epoch_q       <= '0;
      held_count_q  <= '0;
      flush_q       <= 1'b0;
      ip_in_q       <= 1'b0;
      ip_beat_q     <= '0;
      ip_beats_q    <= '0;
      ip_end_q      <= '0;
      ip_w_q        <= '0;
      ip_fidx_q     <= '0;
      ip_rot_q      <= '0;
      ip_region_q   <= 1'b0;
      ip_slot_q     <= '0;
      ip_wtag_q     <= '0;
      ip_owner_q    <= '0;
      ip_addr_q     <= '0;
      ip_buf_dst_q  <= 1'b0;
      ip_deliver_q  <= '0;
      ip_cur_new_q  <= '0;
      ip_rem_new_q  <= '0;
      ip_fin_q      <= 1'b0;
      s1_live_q     <= 1'b0;
      s1_v_q        <= 1'b0;
      s2_go_q       <= 1'b0;
      s1_first_q    <= 1'b0;
      s1_last_q     <= 1'b0;
      s1_data_q     <= '0;
      s1_byte_ok_q  <= '0;
      s1_w_q        <= '0;
      s1_rot_q      <= '0;
      s1_fidx_q     <= '0;
      s1_region_q   <= 1'b0;
      s1_slot_q     <= '0;
      s1_wtag_q     <= '0;
      s1_owner_q    <= '0;
      s1_addr_q     <= '0;
      s1_buf_dst_q  <= 1'b0;
      s1_deliver_q  <= '0;
      s1_cur_new_q  <= '0;
      s1_rem_new_q  <= '0;
      s1_fin_q      <= 1'b0;
      s1_cnt_ok_q   <= 1'b0;
      s1_known_q    <= 1'b0;
      s1_is_err_q   <= 1'b0;
      s1_err_code_q <= '0;
      s1_done_q     <= 1'b0;
      s1_fitd_q     <= 1'b0;
      s1_eq_la_q    <= 1'b0;
      s1_eq_bc_q    <= 1'b0;
      s1_oh_q       <= '0;
      s1_ohc_q      <= '0;
      s1_klate_q    <= 1'b0;
      s1_fit_b_q    <= 1'b0;
      s1_okd_q      <= 1'b0;
      s1_ok_b_q     <= 1'b0;
      s1_byp_q      <= 1'b0;
      p2_in_q       <= 1'b0;
      p2_ok_q       <= 1'b0;
      p2_rel_q      <= 1'b0;
      p2_hit_q      <= 1'b0;
      p2_err_q      <= 1'b0;
      p2_wr_q       <= 1'b0;
      p2_buf_q      <= 1'b0;
      res_be_q      <= '0;
      res_data_q    <= '0;
      res_dw_q      <= '0;
      res_owner_q   <= '0;
      tmo_q         <= 1'b0;
      tmo_block_q   <= 1'b0;
      clr_q         <= 1'b0;
      clr_slot_q    <= '0;
      tmo_slot_q    <= '0;
      tmo_owner_q   <= '0;
      tmo_addr_q    <= '0;
      o_row_q       <= '0;
      o_data_q      <= '0;
      o_be_q        <= '0;
      o_owner_q     <= '0;
      o_wr_q        <= 1'b0;
      o_act_q       <= 1'b0;
      o_flane_q     <= '0;
      o_fidx_q      <= '0;
      o_fwe_q       <= '0;
      o_fdata_q     <= '0;
      o_bytes_q     <= '0;
      o_bytes_owner_q <= '0;
      o_bad_q       <= 1'b0;
      o_link_q      <= '0;
      o_err_q       <= 1'b0;
      o_err_owner_q <= '0;
      o_err_status_q <= '0;
      o_err_addr_q  <= '0;
    end else begin
      now_q         <= now_q + 32'd1;
      scan_q        <= scan_q + TagW'(1);
      usable_q      <= usable;
      slot_tag_q    <= next_tag;
      ext_q         <= ext_tags_i;
      alloc_q       <= alloc_valid_i ? NumTags'(1) << alloc_tag_i : '0;
      epoch_q       <= tick ? '0 : epoch_q + 1'b1;

      // Stage 1: a taken beat into s1 (kept while stage 2 writes a residue)
      if (!flush_q) begin
        s1_v_q <= beat;
      end
      s2_go_q <= (flush_q ? s1_v_q : beat) && !flush_d;
      // The slot of s1 (also that of the packet's next beats): what ends its read at this edge
      s1_live_q  <= live_now && !s2_clear && !kill_i[s1_owner_q] &&
                    !(upd_timeout && tmo_slot_q == s1_slot_q);
      s1_klate_q <= 1'b0;
      if (beat) begin
        s1_first_q   <= !ip_in_q;
        s1_last_q    <= rc_tlast_i;
        s1_data_q    <= rc_tdata_i;
        s1_byte_ok_q <= byte_ok;
        ip_in_q      <= !rc_tlast_i;
        if (!ip_in_q) begin
          // First beat: the packet's parameters from the descriptor and the slot
          s1_w_q        <= d_base[Bar2SizeLog2-1:2];
          s1_rot_q      <= d_base[1:0];
          s1_fidx_q     <= d_base[FetchLog2-1:2];
          s1_region_q   <= t.dest[FetchLog2];
          s1_slot_q     <= d_tag[TagW-1:0];
          s1_wtag_q     <= d_tag;
          // (No timeout for this slot in this cycle; the previous completion in stage 2 may
          // end the read.)
          s1_live_q     <= live_v[d_tag[TagW-1:0]] &&
                           !(s2_clear && s1_slot_q == d_tag[TagW-1:0]);
          s1_klate_q    <= kill_i[t.owner];
          s1_owner_q    <= t.owner;
          s1_addr_q     <= t.addr;
          s1_buf_dst_q  <= t.buf_dst;
          s1_deliver_q  <= deliver;
          s1_cur_new_q  <= cur_new;
          s1_rem_new_q  <= rem_new;
          s1_fin_q      <= !short_d;
          s1_cnt_ok_q   <= beats_exp == 9'd1;
          s1_known_q    <= held_q[d_tag] && d_ec != RcDescErrorCodeW'(6) &&
                           !(upd_release && s1_wtag_q == d_tag);
          s1_is_err_q   <= is_err;
          s1_err_code_q <= err_code;
          s1_done_q     <= d_done;
          s1_fitd_q     <= fits_d && (!rc_tlast_i || beats_exp == 9'd1);
          s1_eq_la_q    <= eq_la_v[d_tag[TagW-1:0]];
          s1_eq_bc_q    <= eq_bc_v[d_tag[TagW-1:0]];
          s1_oh_q       <= NumTags'(1) << d_tag[TagW-1:0];
          s1_ohc_q      <= (rc_tlast_i && beats_exp == 9'd1) ? NumTags'(1) << d_tag[TagW-1:0]
                                                             : '0;
          s1_fit_b_q    <= fits_d && (!rc_tlast_i || beats_exp == 9'd1) &&
                           d_la == s1_cur_new_q && d_bc == s1_rem_new_q;
          s1_okd_q      <= !is_err && fits_d;
          s1_ok_b_q     <= !is_err && fits_d && d_la == s1_cur_new_q && d_bc == s1_rem_new_q;
          s1_byp_q      <= upd_commit && s1_slot_q == d_tag[TagW-1:0];
          ip_beat_q     <= 10'd1;
          ip_beats_q    <= beats_exp;
          ip_end_q      <= d_end;
          ip_w_q        <= d_base[Bar2SizeLog2-1:2] + DwW'(8);
          ip_fidx_q     <= d_base[FetchLog2-1:2] + (FetchLog2 - 2)'(8);
          ip_rot_q      <= d_base[1:0];
          ip_region_q   <= t.dest[FetchLog2];
          ip_slot_q     <= d_tag[TagW-1:0];
          ip_wtag_q     <= d_tag;
          ip_owner_q    <= t.owner;
          ip_addr_q     <= t.addr;
          ip_buf_dst_q  <= t.buf_dst;
          ip_deliver_q  <= deliver;
          ip_cur_new_q  <= cur_new;
          ip_rem_new_q  <= rem_new;
          ip_fin_q      <= !short_d;
        end else begin
          // Later beats: the packet's
          s1_w_q        <= ip_w_q;
          s1_rot_q      <= ip_rot_q;
          s1_fidx_q     <= ip_fidx_q;
          s1_region_q   <= ip_region_q;
          s1_slot_q     <= ip_slot_q;
          s1_wtag_q     <= ip_wtag_q;
          s1_owner_q    <= ip_owner_q;
          s1_addr_q     <= ip_addr_q;
          s1_buf_dst_q  <= ip_buf_dst_q;
          s1_deliver_q  <= ip_deliver_q;
          s1_cur_new_q  <= ip_cur_new_q;
          s1_rem_new_q  <= ip_rem_new_q;
          s1_fin_q      <= ip_fin_q;
          s1_cnt_ok_q   <= ip_beat_q == 10'(ip_beats_q) - 10'd1;
          s1_ohc_q      <= (rc_tlast_i && ip_beat_q == 10'(ip_beats_q) - 10'd1)
                           ? NumTags'(1) << ip_slot_q : '0;
          ip_beat_q     <= ip_beat_q + 10'(!ip_beat_q[9]);
          ip_w_q        <= ip_w_q + DwW'(8);
          ip_fidx_q     <= ip_fidx_q + (FetchLog2 - 2)'(8);
        end
      end

      // Stage 2: packet state, bypass, residue
      if (s2_beat) begin
        if (s1_first_q) begin
          p2_ok_q  <= ok_pre && live_now;
          p2_rel_q <= known && s1_done_q;
          p2_hit_q <= known;
          p2_err_q <= known && s1_is_err_q && live_now;
          p2_wr_q  <= ok_pre && live_now && !s1_buf_dst_q;
          p2_buf_q <= ok_pre && live_now && s1_buf_dst_q;
        end
        p2_in_q <= !s1_last_q;
      end
      flush_q <= flush_d;
      if (flush_q) begin
        res_be_q <= '0;
      end
      if (cur_wr) begin
        res_be_q    <= ext_be[35:32];
        res_data_q  <= ext_data[287:256];
        res_dw_q    <= s1_w_q + DwW'(8);
        res_owner_q <= s1_owner_q;
      end else if (s2_beat && s1_last_q) begin
        res_be_q <= '0;
      end

      // The timeout scan's first step
      // (Still live after this edge: not ended by kill_i or stage 2; scan_q is not tmo_slot_q.)
      // (kill_i ends a read at this edge; stage 2's end of one is clr_q's.)
      tmo_q       <= live_q[scan_q] && (now_q - tags_q[scan_q].ts) >= timeout_i &&
                     !kill_i[tags_q[scan_q].owner];
      clr_q       <= s2_clear;
      clr_slot_q  <= s1_slot_q;
      // The beat in s1 in the next cycle (kept over a residue cycle, or this cycle's): a first
      // beat with an error, a last beat with Request Completed (p2_rel_q as it may be by then),
      // or of slot scan_q. Counted also when the next cycle writes a residue.
      if (flush_q) begin
        tmo_block_q <= s1_v_q && ((s1_first_q && s1_is_err_q) ||
                                  (s1_last_q && (s1_first_q ? s1_done_q : p2_rel_q)) ||
                                  s1_slot_q == scan_q);
      end else begin
        tmo_block_q <= beat && ((!ip_in_q && is_err) ||
                                (rc_tlast_i && (!ip_in_q ? d_done
                                                         : (p2_rel_q || (s2_beat && s1_first_q &&
                                                                         s1_done_q)))) ||
                                (ip_in_q ? ip_slot_q : d_tag[TagW-1:0]) == scan_q);
      end
      tmo_slot_q  <= scan_q;
      tmo_owner_q <= tags_q[scan_q].owner;
      tmo_addr_q  <= tags_q[scan_q].addr;

      // Outputs
      o_row_q        <= wr_row;
      o_data_q       <= wr_data;
      o_be_q         <= wr_be;
      o_owner_q      <= flush_q ? res_owner_q : s1_owner_q;
      o_wr_q         <= flush_q || cur_wr;
      o_act_q        <= flush_q || act;
      o_flane_q      <= fb_lane;
      o_fidx_q       <= fb_idx;
      o_fwe_q        <= fb_we;
      o_fdata_q      <= s1_data_q;
      o_bytes_q      <= bytes_in;
      o_bytes_owner_q <= (upd_commit && !s1_buf_dst_q) ? s1_owner_q : '0;
      o_bad_q        <= bad;
      o_link_q       <= err_link;
      o_err_q        <= err_valid;
      o_err_owner_q  <= err_owner;
      o_err_status_q <= err_status;
      o_err_addr_q   <= err_addr;

      // The tag table: the completion side's changes first, then an allocation, then an
      // abort (kill_i, by the owner a slot has after this cycle's allocation). A slot is
      // allocated only when its read is not live and its new tag not held, so no completion-side
      // change touches it in the same cycle; later writes of the same field win.
      // (= upd_commit for slot i; the loop only under com_any, the same enables.)
      if (com_any) begin
        for (int unsigned i = 0; i < NumTags; i++) begin
          if (s1_ohc_q[i]) begin
            tags_q[i].cur <= s1_cur_new_q;
            tags_q[i].rem <= s1_rem_new_q;
          end
        end
      end
      live_q <= live_d;
      if (alloc_valid_i) begin
        tags_q[alloc_tag_i] <= '{gen:     slot_tag_q[alloc_tag_i][RcDescTagW-1:TagW],
                                 buf_dst: alloc_buf_i,
                                 owner:   alloc_owner_i,
                                 cur:     alloc_addr_i[RcDescLowerAddressW-1:0],
                                 rem:     alloc_len_i,
                                 dest:    alloc_dest_i,
                                 ts:      now_q,
                                 addr:    alloc_addr_i};
      end

      // Held tags and quarantine ages: every age steps (saturating at 3) on a tick; a released
      // tag starts again from 0, or from 1 when the tick is in the same cycle.
      if (tick) begin
        age_hi_q <= age_hi_q | age_lo_q;
        age_lo_q <= ~age_lo_q | age_hi_q;
      end
      if (upd_release) begin
        age_hi_q[s1_wtag_q] <= 1'b0;
        age_lo_q[s1_wtag_q] <= tick;
      end
      // Held tags: the release of this cycle's completion, then the tag of this cycle's
      // allocation (slot_tag_o of the slot, each slot's bit worked out on its own); written
      // bit by bit where they change, not copied whole every cycle.
      if (upd_release) begin
        held_q[s1_wtag_q] <= 1'b0;
      end
      if (alloc_valid_i) begin
        for (int unsigned s = 0; s < NumTags; s++) begin
          if (alloc_tag_i == TagW'(s)) begin
            held_q[{slot_tag_q[s][RcDescTagW-1:TagW], TagW'(s)}] <= 1'b1;
          end
        end
      end
      held_count_q <= held_count_q - 9'(upd_release) + 9'(alloc_valid_i);
    end
  end

  // Outputs
  always_comb begin
    mem_wr_row_o     = o_row_q;
    mem_wr_data_o    = o_data_q;
    mem_wr_be_o      = o_be_q;
    mem_wr_owner_o   = o_owner_q;
    fbuf_lane_we_o   = o_flane_q;
    fbuf_idx_o       = o_fidx_q;
    fbuf_we_o        = o_fwe_q;
    fbuf_data_o      = o_fdata_q;
    bytes_in_o       = o_bytes_q;
    bytes_in_owner_o = o_bytes_owner_q;
    bad_completion_o = o_bad_q;
    err_link_o       = o_link_q;
    err_valid_o      = o_err_q;
    err_owner_o      = o_err_owner_q;
    err_status_o     = o_err_status_q;
    err_addr_o       = o_err_addr_q;
    // Busy: a live read, or what the output registers still hold for the owner (a write, the
    // bytes landed, a failure), or its residue.
    owner_busy_o = '0;
    for (int unsigned i = 0; i < NumTags; i++) begin
      if (live_q[i]) begin
        owner_busy_o[tags_q[i].owner] = 1'b1;
      end
    end
    if (flush_q) begin
      owner_busy_o[res_owner_q] = 1'b1;
    end
    if (o_act_q) begin
      owner_busy_o[o_owner_q] = 1'b1;
    end
    if (o_err_q) begin
      owner_busy_o[o_err_owner_q] = 1'b1;
    end
    bar2_wr_busy_o = (p2_in_q && p2_wr_q && live_now) || flush_q || o_wr_q;
    busy_o = s1_v_q || flush_q || o_act_q || o_err_q || o_bad_q;
    // Tags the core holds (reads abandoned by a failed job included), saturating.
    tags_in_flight_o = (held_count_q > 9'd127) ? 7'd127 : 7'(held_count_q);
  end

endmodule

`default_nettype wire
