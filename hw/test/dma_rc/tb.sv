// SPDX-License-Identifier: MIT OR Apache-2.0
// Unit test of peerbar_dma_rc (run: bash hw/test/run.sh dma_rc), with a 4 KiB BAR2
// (Bar2SizeLog2 = 12, destinations wrap), 32 tag slots, a 2 x 512-byte fetch buffer, a
// 64-cycle tag quarantine and 16 owners. The bench plays the PCIe block: it allocates reads on
// the tags the module offers and answers them with requester completions split at 64-byte
// (RCB) boundaries as PCIe allows (lower address = next byte, byte count = bytes still due,
// Request Completed on the last), 32-byte beats (descriptor in bytes 0..11, the first DWORD at
// byte 12), completions of different tags in any order, random TVALID gaps, TREADY honoured.
// A fixed-seed xorshift generator makes the run deterministic. The module has two stages: a
// beat taken in cycle N is looked at in N + 1 (N + 2 after a residue cycle) and its writes,
// counts and failures are on the outputs one cycle after that; the bench keeps its records of
// the beats in the same stages and checks each output against the beat it belongs to. Often
// a completion follows the one before of the same read in the next cycle (stage 1 then looks
// the slot up before the first one's update lands; at least 100 such pairs accepted).
// Checked every cycle:
// - BAR2 writes (8 banks of DWORDs, DWORD j in bank j % 8 at row j / 8) and fetch buffer writes
//   (lane i to DWORD fbuf_idx_o[i]) only on beats of accepted completions or the residue cycle,
//   with the read's owner on mem_wr_owner_o, fbuf_we_o consistent with the lanes; the images
//   compared with the model's every 50 completions and at the end of each phase (every byte at
//   its destination, nothing else changed, each BAR2 byte written once);
// - the residue cycle (rc_tready_o low) exactly after stage 2 looked at a BAR2 completion's
//   last beat whose rotated bytes spill into a 9th DWORD; bar2_wr_busy_o; busy_o; fbuf_data_o
//   the beat's lanes;
// - bytes_in_o / bytes_in_owner_o exactly on each accepted BAR2 completion's last beat (summed
//   per owner at the end); owner_busy_o exactly (live reads of the owner, its residue, or its
//   writes, bytes or failure on the outputs);
//   tags_in_flight_o = tags the core holds;
// - every byte written into BAR2 or the fetch buffer, as it is written: a byte of the completion
//   being written (of the beats it had), at its place in its read's destination, with the
//   read's value (nothing outside a read's destination changes);
// - malformed completions (3 % of a live read's completions that fit it, their beat count not
//   what their DWORD count says: 1-3 garbage beats more, 512-515 beats in all (the module's beat
//   index must not wrap; not in phase 3), tlast early, one beat): its bytes of the beats it had
//   may be written (above), it is counted once at its last beat and not taken (no bytes_in_o);
//   with Request Completed it fails its read with C6h at once (err_link_o 0), without, the read's
//   later completions are discarded and its last one fails it with C6h;
// - bad_completion_o exactly on the first beat of each discarded completion (on the last beat
//   of a malformed one): wrong lower address, wrong byte count, unknown tag (Request Completed
//   or not), error code 6 on a held tag (which must not release it), a duplicate of a
//   completion already taken, completions of reads that failed or were killed, a copy of a completion that released its tag right behind
//   it (a core breaking PG213's error code 6 rule; looked up while stage 2 releases the tag:
//   the release bypass), which must not release the tag again;
// - err_valid_o with owner, status (C2h UR, C3h CA, C4h poisoned, C5h the core's timeout
//   (error code 9), C6h error code 3 which also counts as a bad completion) and the read's
//   bus address on the first beat of an error completion; the read's later completions (a
//   poisoned one need not end it) are discarded;
// - kill_i of an owner (also in the cycle a read of that owner is allocated): its reads stop
//   being live and write nothing more, their tags stay held until the core's last completion;
// - tag_usable_o: a slot is offered only when its read is not live and the tag slot_tag_o
//   names is not held and was released at least TagQuarantine cycles ago; with 5-bit tags
//   (ext_tags_i low) an idle slot must be offered again within 1.5 x TagQuarantine;
// - the engine's own timeout (phase 3, timeout_i = 300): reads left unanswered fail with C5h,
//   the owner and their address, not before timeout_i cycles and within timeout_i + 2 x
//   NumTags; their late completions are discarded.
// Phases: 1) 8-bit tags, 2) 5-bit tags with more kills, 3) engine timeout; each drained to
// tags_in_flight_o = 0, no owner busy.

`default_nettype none

module tb;
  import peerbar_wire_pkg::*;

  localparam int B        = 12;
  localparam int NT       = 32;
  localparam int FL       = 9;
  localparam int Q        = 64;
  localparam int OW       = 4;
  localparam int NO       = 1 << OW;
  localparam int RowW     = B - 5;
  localparam int FbDw     = 2 ** (FL - 1);
  localparam int Bar2     = 1 << B;
  localparam int FbBytes  = 4 * FbDw;
  localparam int MaxReads = 8192;
  localparam int TimeoutC = 300;

  logic                   clk = 1'b0;
  logic                   rst = 1'b1;
  logic [255:0]           rc_tdata = '0;
  logic                   rc_tlast = 1'b0, rc_tvalid = 1'b0;
  logic                   rc_tready;
  logic                   ext_tags = 1'b1;
  logic                   alloc_valid = 1'b0;
  logic [4:0]             alloc_tag = '0;
  logic                   alloc_buf = 1'b0;
  logic [63:0]            alloc_addr = '0;
  logic [12:0]            alloc_len = '0;
  logic [B-1:0]           alloc_dest = '0;
  logic [OW-1:0]          alloc_owner = '0;
  logic [NO-1:0]          kill = '0;
  logic [31:0]            timeout = '1;
  logic [NT-1:0]          tag_usable;
  logic [NT-1:0][7:0]     slot_tag;
  logic [NO-1:0]          owner_busy;
  logic                   bar2_wr_busy;
  logic [6:0]             tags_in_flight;
  logic                   err_valid;
  logic [OW-1:0]          err_owner;
  logic [7:0]             err_status;
  logic [63:0]            err_addr;
  logic [7:0]             fbuf_lane_we;
  logic [7:0][FL-2:0]     fbuf_idx;
  logic [FbDw-1:0]        fbuf_we;
  logic [7:0][31:0]       fbuf_data;
  logic                   busy;
  logic [12:0]            bytes_in;
  logic [OW-1:0]          bytes_in_owner;
  logic                   bad_completion;
  logic [1:0]             err_link;
  logic [7:0][RowW-1:0]   mem_wr_row;
  logic [7:0][31:0]       mem_wr_data;
  logic [7:0][3:0]        mem_wr_be;
  logic [OW-1:0]          mem_wr_owner;

  peerbar_dma_rc #(
    .Bar2SizeLog2  (B),
    .NumTags       (NT),
    .FetchLog2     (FL),
    .TagQuarantine (Q),
    .OwnW          (OW)
  ) dut (
    .clk_i            (clk),
    .rst_i            (rst),
    .rc_tdata_i       (rc_tdata),
    .rc_tlast_i       (rc_tlast),
    .rc_tvalid_i      (rc_tvalid),
    .rc_tready_o      (rc_tready),
    .ext_tags_i       (ext_tags),
    .alloc_valid_i    (alloc_valid),
    .alloc_tag_i      (alloc_tag),
    .alloc_buf_i      (alloc_buf),
    .alloc_addr_i     (alloc_addr),
    .alloc_len_i      (alloc_len),
    .alloc_dest_i     (alloc_dest),
    .alloc_owner_i    (alloc_owner),
    .kill_i           (kill),
    .timeout_i        (timeout),
    .tag_usable_o     (tag_usable),
    .slot_tag_o       (slot_tag),
    .owner_busy_o     (owner_busy),
    .bar2_wr_busy_o   (bar2_wr_busy),
    .busy_o           (busy),
    .tags_in_flight_o (tags_in_flight),
    .err_valid_o      (err_valid),
    .err_owner_o      (err_owner),
    .err_status_o     (err_status),
    .err_addr_o       (err_addr),
    .fbuf_lane_we_o   (fbuf_lane_we),
    .fbuf_idx_o       (fbuf_idx),
    .fbuf_we_o        (fbuf_we),
    .fbuf_data_o      (fbuf_data),
    .bytes_in_o       (bytes_in),
    .bytes_in_owner_o (bytes_in_owner),
    .bad_completion_o (bad_completion),
    .err_link_o       (err_link),
    .mem_wr_row_o     (mem_wr_row),
    .mem_wr_data_o    (mem_wr_data),
    .mem_wr_be_o      (mem_wr_be),
    .mem_wr_owner_o   (mem_wr_owner)
  );

  // The package's codes the module does not use (UNUSEDPARAM otherwise).
  logic unused_pkg;
  assign unused_pkg = ^{StSuccess, OpNop, OpPull, OpPush, OpChecksum, FlagInterrupt, FlagCrc,
                        StInvalidOpcode, StSglSegment, StSglCount, StSglLength, StSglType,
                        StBarRange, StSglLimit};

  // Everything below is the testbench's clock, model and scoreboard, not logic: blocking
  // assignments, int arithmetic mixed with the ports' widths (every value is in range by
  // construction) and int variables of which only the low bits matter are what it needs.
  /* verilator lint_off BLKSEQ */
  /* verilator lint_off WIDTH */
  /* verilator lint_off UNUSEDSIGNAL */
  always #5 clk = ~clk;

  // Deterministic generator (xorshift32, fixed seed).
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
  // The bytes of read r (a scramble of its number and the byte's offset).
  function automatic logic [7:0] dbyte(input int r, input int i);
    logic [31:0] h;
    h = r * 32'h9E37_79B1 ^ i * 32'h85EB_CA6B ^ 32'h5bd1_e995;
    h = h ^ (h >> 15);
    h = h * 32'h2C1B_3C6D;
    h = h ^ (h >> 12);
    return h[7:0];
  endfunction

  // --- The model ---------------------------------------------------------------------------
  logic [7:0]  bar2_act [Bar2];
  logic [7:0]  bar2_exp [Bar2];
  logic [7:0]  fb_act   [FbBytes];
  logic [7:0]  fb_exp   [FbBytes];
  int          slot_rd  [NT];     // read last allocated on the slot, -1 none
  bit          held8    [256];    // the core holds this 8-bit tag
  int          rel_t    [256];    // cycle the core released it
  int          held_cnt;
  int          live_cnt [NO];
  longint      bytes_exp [NO];    // BAR2 bytes of accepted completions per owner
  longint      bytes_got [NO];    // bytes_in_o per owner

  // Reads
  logic [7:0]  r_tag   [MaxReads];
  int          r_owner [MaxReads];
  logic [63:0] r_addr  [MaxReads];
  int          r_a12   [MaxReads];  // address bits 11:0
  int          r_len   [MaxReads];
  bit          r_buf   [MaxReads];
  int          r_dest  [MaxReads];
  bit          r_live  [MaxReads];  // the read's data is still wanted (as the stream has it)
  bit          r_lc    [MaxReads];  // ... as the module's tag table has it (counted in live_cnt)
  bit          r_slow  [MaxReads];  // phase 3: left unanswered until it times out
  // A malformed completion of the read was not taken and did not end it: the module still
  // expects the bytes it brought, so the read's later completions do not fit (discarded) and
  // the last one (Request Completed) fails it with C6h.
  bit          r_mal   [MaxReads];
  int          r_sent  [MaxReads];  // bytes the core has sent completions for
  int          r_done  [MaxReads];  // bytes accepted
  int          r_alloc_t [MaxReads];
  int          r_kill_t  [MaxReads];
  int          r_lastoff [MaxReads];  // last accepted completion (for duplicates), -1 none
  int          r_lastn   [MaxReads];
  int          nreads;
  int          pend[$];             // reads the core still owes completions for
  int          now;

  // The completion being sent
  // Mal: a completion of a live read that fits it by its descriptor but whose beat count is
  // not what its DWORD count says (more beats, or tlast early), found only at its last beat.
  localparam int Good = 0, Bad = 1, Err = 2, Mal = 3;
  bit          p_active;
  int          p_rd, p_kind, p_nbeats, p_beat, p_off, p_n;
  int          p_nsend;        // beats sent (p_nbeats but for Mal; beats past p_nbeats garbage)
  int          p_nw;           // Good, Mal: its bytes the module writes (from offset p_off)
  bit          p_c6last;       // its last beat fails the read with C6h (Request Completed on
                               // a live read whose bytes it does not deliver)
  bit          p_rc;           // Request Completed: the core releases the tag at its last beat
  logic [7:0]  p_tag;
  logic [7:0]  p_status;       // Err: the status expected
  bit          p_c6;           // Err: also a bad completion
  bit          p_spill;        // Good, Mal BAR2: its last beat leaves a residue
  logic [7:0]  pbytes [4224];

  bit          beat_taken;     // the last clock edge took a beat
  bit          exp_flush;      // the module writes a residue this cycle (tready low)
  int          flush_owner;
  int          flush_rd, flush_off, flush_nw;  // the residue's completion: read, bytes
  logic [1:0]  flush_kind;

  // The module's two stages: a beat taken in cycle N is in its stage 1 register in cycle
  // N + 1, where stage 2 looks at it (and updates the tag table at the edge), unless stage 2
  // writes a residue in that cycle (then in cycle N + 2); what stage 2 did is on the outputs
  // one cycle later. The bench keeps the same records: s1 the beat stage 2 works on next,
  // outr what stage 2 did in the cycle before (the outputs of this cycle).
  typedef struct packed {
    logic        v;       // a beat
    logic        flush;   // the residue write
    logic        first, last, c6, rc, spill, fin;
    logic        relcopy, c6last;
    logic [1:0]  kind;
    logic [31:0] rd, n, off, fowner, nw;
    logic [7:0]  status, tag;
    logic [255:0] data;
  } rec_t;
  rec_t        s1, outr;
  bit          s2_in_wr;       // stage 2 is inside a BAR2 completion it writes
  bit          p_b2b;          // the completion being sent goes right behind the last one
  int          last_rd, last_t;  // read of the last beat taken that ended a completion, when
  // The release bypass: the last completion taken that releases its tag (Request Completed),
  // when and its tag; the completion being sent is a copy of it, right behind it; when stage 2
  // last looked at such a copy's last beat.
  int          relb_t, relb_s2_t;
  logic [7:0]  relb_tag;
  bit          p_relcopy;

  // Phase settings
  int          max_live, len_max, p_alloc, p_kill, p_errinj, p_badinj, p_start, p_valid;
  int          p_relinj, p_malinj;
  int          slow_pct;
  bit          allow_alloc;

  // Statistics
  int          st_reads, st_good, st_bad, st_err, st_kills, st_killed, st_timeouts, st_flush;
  int          st_held_after_kill, st_fb_reads, st_kill_alloc, st_b2b, st_relb;
  longint      st_bar2_bytes, st_fb_bytes, st_bar2_written;
  int          st_bad_kind [9];
  // Malformed completions: more beats (1-3), more beats up to and past 512 (the beat index
  // must not wrap), fewer beats (at least 2), one beat; ending their read (C6h at once); reads
  // failed with C6h at a later completion; BAR2 bytes written by them
  int          st_mal [4];
  int          st_mal_rc, st_c6late;
  longint      st_mal_bar2;
  int          cmp_count;
  bit          cmp_due;

  function automatic int min2(input int a, input int b);
    return (a < b) ? a : b;
  endfunction

  // Fill pbytes: descriptor d, then dwc DWORDs from the one holding address cur of read r,
  // the read's bytes at offsets off..off+n-1 and garbage elsewhere; garbage to the beat's end.
  task automatic fill_pkt(input rc_desc_t d, input int r, input int off, input int n,
                          input int dwc);
    logic [95:0] dv;
    int cur, a, o;
    dv = d;
    p_nbeats = (dwc + 10) >> 3;
    p_nsend = p_nbeats;
    for (int i = 0; i < 32 * p_nbeats; i++) pbytes[i] = rnd();
    for (int i = 0; i < 12; i++) pbytes[i] = dv[8 * i +: 8];
    cur = (r >= 0) ? r_a12[r] + off : 0;
    for (int j = 0; j < 4 * dwc; j++) begin
      a = (cur & ~3) + j;
      o = (r >= 0) ? a - r_a12[r] : -1;
      if (r >= 0 && o >= off && o < off + n) pbytes[12 + j] = dbyte(r, o);
    end
    p_beat = 0;
    p_active = 1;
  endtask

  // A descriptor with random don't-care fields.
  function automatic rc_desc_t rand_desc();
    rc_desc_t d;
    d = rc_desc_t'({rnd(), rnd(), rnd()});
    d.error_code = 4'd0;
    d.status = 3'd0;
    d.poisoned = 1'b0;
    return d;
  endfunction

  // The next completion of read r as the core would send it: from its next byte to a random
  // 64-byte boundary ahead or to its end.
  task automatic next_cpl(input int r, output rc_desc_t d, output int n, output int dwc,
                          output bit last);
    int cur, e, endb;
    cur  = r_a12[r] + r_sent[r];
    endb = r_a12[r] + r_len[r];
    if (urange(4) == 0) e = endb;
    else e = min2(((cur >> 6) + 1 + urange(4)) << 6, endb);
    n    = e - cur;
    dwc  = ((e + 3) >> 2) - (cur >> 2);
    last = e == endb;
    d = rand_desc();
    d.lower_address = cur[11:0];
    d.byte_count = r_len[r] - r_sent[r];
    d.dword_count = dwc;
    d.request_completed = last;
    d.tag = r_tag[r];
  endtask

  // Build the next completion to send (or none).
  task automatic build_packet();
    rc_desc_t d;
    int r, n, dwc, x, k, i, t8;
    bit last;
    p_relcopy = 0;
    p_c6last = 0;
    // A completion for a tag the core has just released, right behind the completion that
    // released it: a copy of that one (descriptor and payload, its error code, 0 for data, and
    // Request Completed as it was). A core that keeps to PG213 ("Handling of Completion Errors",
    // error code 6 Invalid Tag) marks every completion whose tag its Split Completion Table no
    // longer holds with error code 6, which the module discards whatever its tag table says;
    // only a core that breaks that rule (or a duplicate from a misbehaving completer that the
    // core passes on as if the tag were still held) delivers this one. Its first beat is taken
    // while stage 2 releases the tag (the module's stage 1 looks the tag up before the release
    // lands in held_q: the release bypass); it must be discarded and counted, write nothing, and
    // must not release the tag a second time (tags_in_flight_o, the quarantine).
    if (relb_t == now - 1 && urange(100) < p_relinj) begin
      p_kind = Bad;
      p_rd = -1;
      p_rc = 0;
      p_c6 = 0;
      p_tag = relb_tag;
      p_beat = 0;
      p_active = 1;
      p_b2b = 1;
      p_relcopy = 1;
      st_bad_kind[6]++;
      st_bad++;
      return;
    end
    if (pend.size() == 0) begin
      // Only unknown tags to send.
      if (urange(100) >= p_badinj) return;
    end
    x = urange(100);
    if (pend.size() != 0) begin
      r = pend[urange(pend.size())];
      // Often the read whose completion ended in the last cycle, its next completion right
      // behind (the module's stage 1 looks the slot up before that one's update lands).
      p_b2b = 0;
      if (last_rd >= 0 && last_t == now - 1 && urange(2) == 0) begin
        foreach (pend[j]) if (pend[j] == last_rd) p_b2b = 1;
        if (p_b2b) r = last_rd;
      end
      if (r_slow[r] && r_live[r]) return;
    end else begin
      r = -1;
    end
    p_rd = r;
    p_rc = 0;
    if (r >= 0 && x < p_errinj && r_live[r]) begin
      // An error completion: fails the read.
      p_kind = Err;
      p_c6 = 0;
      k = urange(5);
      next_cpl(r, d, n, dwc, last);
      if (k == 0 || k == 1) begin
        d.status = (k == 0) ? 3'd1 : 3'd4;
        d.error_code = 4'd2;
        p_status = (k == 0) ? StUr : StCa;
      end else if (k == 2) begin
        d.poisoned = 1'b1;
        d.error_code = 4'd1;
        p_status = StPoisoned;
      end else if (k == 3) begin
        d.error_code = 4'd9;
        p_status = StTimeout;
      end else begin
        d.error_code = 4'd3;
        p_status = StBadCompletion;
        p_c6 = 1;
      end
      if (k != 2) begin
        // The core ends the request with it, without data.
        d.dword_count = 0;
        d.request_completed = 1'b1;
        dwc = 0;
        n = 0;
        r_sent[r] = r_len[r];
        p_rc = 1;
      end else begin
        r_sent[r] += n;
        p_rc = last;
      end
      p_tag = r_tag[r];
      fill_pkt(d, r, r_sent[r] - n, n, dwc);
      st_err++;
    end else if (x < p_errinj + p_badinj) begin
      // A completion to discard; the core's own requests are unchanged.
      p_kind = Bad;
      k = urange(5);
      if (r < 0) k = 2;
      if (k == 4 && r_lastoff[r] < 0) k = 0;
      if (k == 0 || k == 1) begin
        next_cpl(r, d, n, dwc, last);
        if (k == 0) d.lower_address = d.lower_address ^ (12'd1 << urange(12));
        else d.byte_count = d.byte_count + 1 + urange(8);
        d.request_completed = 1'b0;
        fill_pkt(d, r, r_sent[r], n, dwc);
      end else if (k == 2 || k == 3) begin
        // An unknown tag (k 2), or error code 6 on a held one (k 3, not ours either): neither
        // may release a tag.
        d = rand_desc();
        if (k == 2) begin
          i = 0;
          do begin
            t8 = urange(256);
            i++;
          end while (held8[t8] && i < 1000);
          if (held8[t8]) return;
          d.tag = t8;
        end else begin
          d.tag = r_tag[r];
          d.error_code = 4'd6;
          if (urange(2) == 0) begin
            d.lower_address = r_a12[r] + r_sent[r];
            d.byte_count = r_len[r] - r_sent[r];
          end
        end
        d.dword_count = 1 + urange(40);
        d.request_completed = urange(2);
        fill_pkt(d, -1, 0, 0, d.dword_count);
      end else if (k == 4) begin
        // A duplicate of the read's last accepted completion.
        d = rand_desc();
        d.lower_address = r_a12[r] + r_lastoff[r];
        d.byte_count = r_len[r] - r_lastoff[r];
        dwc = ((r_a12[r] + r_lastoff[r] + r_lastn[r] + 3) >> 2) - ((r_a12[r] + r_lastoff[r]) >> 2);
        d.dword_count = dwc;
        d.request_completed = 1'b0;
        d.tag = r_tag[r];
        fill_pkt(d, r, r_lastoff[r], r_lastn[r], dwc);
      end
      st_bad_kind[k]++;
      st_bad++;
    end else begin
      if (r < 0) return;
      next_cpl(r, d, n, dwc, last);
      p_kind = r_live[r] ? Good : Bad;
      p_rc = last;
      p_off = r_sent[r];
      p_n = n;
      p_nw = n;
      p_tag = r_tag[r];
      r_sent[r] += n;
      fill_pkt(d, r, p_off, n, dwc);
      if (p_kind == Good && r_mal[r]) begin
        // After a malformed completion of it: does not fit; the last one fails the read.
        p_kind = Bad;
        p_c6last = last;
        p_status = StBadCompletion;
      end else if (p_kind == Good && urange(100) < p_malinj) begin
        // Malformed: the beat count is wrong. More beats (garbage; up to and past 512 beats
        // now and then), or tlast early (the bytes of the beats sent are written).
        p_kind = Mal;
        k = urange(8);
        if (k >= 4 && p_nbeats < 2) k = 1;
        // (Not with the engine's timeout on: a 515-beat packet outlives it, and the bench does
        // not model a read timing out while its completion streams in.)
        if (k == 0 && timeout != '1) k = 2;
        if (k == 0) begin
          p_nsend = 512 + urange(4);
          st_mal[1]++;
        end else if (k < 4) begin
          p_nsend = p_nbeats + k;
          st_mal[0]++;
        end else begin
          p_nsend = (k < 6) ? 1 + urange(p_nbeats - 1) : 1;
          st_mal[(p_nsend == 1) ? 3 : 2]++;
          p_nw = min2(n, 32 * p_nsend - 12 - ((r_a12[r] + p_off) & 3));
        end
        p_c6last = last;
        p_status = StBadCompletion;
        if (last) st_mal_rc++;
        else r_mal[r] = 1;
      end
      if (p_kind == Good || p_kind == Mal) begin
        if (p_kind == Good) st_good++;
        p_spill = 0;
        if (!r_buf[r] && p_nsend <= p_nbeats) begin
          // Residue: the last valid byte's place in the last beat, rotated to BAR2. (A
          // completion with more beats than its DWORD count merges it into the next beat.)
          int cur, rot, lastpos;
          cur = r_a12[r] + p_off;
          rot = (r_dest[r] + p_off - (cur & 3) - 12) & 3;
          lastpos = 12 + (cur & 3) + p_nw - 1 - 32 * (p_nsend - 1);
          p_spill = lastpos + rot >= 32;
        end
      end
      if (p_kind != Good) begin
        st_bad++;
        st_bad_kind[(p_kind == Mal) ? 8 : (r_live[r] ? 7 : 5)]++;
      end
    end
    if (p_kind == Bad) p_tag = pbytes[8];
  endtask

  task automatic compare_images(input string where);
    for (int i = 0; i < Bar2; i++) begin
      if (bar2_act[i] !== bar2_exp[i]) begin
        $fatal(1, "FAIL %s: BAR2 byte %0d is %h, want %h (cycle %0d)", where, i, bar2_act[i],
               bar2_exp[i], now);
      end
    end
    for (int i = 0; i < FbBytes; i++) begin
      if (fb_act[i] !== fb_exp[i]) begin
        $fatal(1, "FAIL %s: fetch buffer byte %0d is %h, want %h (cycle %0d)", where, i,
               fb_act[i], fb_exp[i], now);
      end
    end
    cmp_count++;
  endtask

  // A byte written into BAR2 (fb 0) or the fetch buffer (fb 1) at byte address a with value v,
  // by a beat or residue of completion o (accepted, or malformed: found only at its last beat):
  // it must be a byte of o's own bytes (those of its beats sent), at its place in the read's
  // destination, with the read's value. Nothing outside the read's destination may change.
  task automatic check_byte(input rec_t o, input bit fb, input int a, input logic [7:0] v);
    int r, sz, rel;
    string what;
    r = o.rd;
    sz = fb ? FbBytes / 2 : Bar2;
    what = fb ? "fetch buffer" : "BAR2";
    rel = ((a % sz) - (r_dest[r] % sz) + sz) % sz;
    if ((fb && a / sz != r_dest[r] / sz) || rel >= r_len[r]) begin
      $fatal(1, "FAIL cycle %0d: %s byte %0d written outside the destination of its read %0d (%0d bytes at %0d) by %s completion",
             now, what, a, r, r_len[r], r_dest[r], (o.kind == Mal) ? "a malformed" : "an accepted");
    end
    if (rel < o.off || rel >= o.off + o.nw) begin
      $fatal(1, "FAIL cycle %0d: %s byte %0d (byte %0d of read %0d) written by %s completion of its bytes %0d..%0d",
             now, what, a, rel, r, (o.kind == Mal) ? "a malformed" : "an accepted", o.off,
             o.off + o.nw - 1);
    end
    if (v !== dbyte(r, rel)) begin
      $fatal(1, "FAIL cycle %0d: %s byte %0d (byte %0d of read %0d) written with %h, want %h (%s completion)",
             now, what, a, rel, r, v, dbyte(r, rel), (o.kind == Mal) ? "a malformed" : "an accepted");
    end
  endtask

  task automatic release_tag(input int t8);
    if (!held8[t8]) $fatal(1, "FAIL bench: release of tag %h not held", t8);
    held8[t8] = 0;
    rel_t[t8] = now;
    held_cnt--;
  endtask

  // Bytes off .. off + n - 1 of read r are in: the expected BAR2 or fetch buffer (a read into
  // the buffer wraps within its region) takes the read's data there.
  task automatic expect_bytes(input int r, input int off, input int n);
    int a;
    for (int i = 0; i < n; i++) begin
      if (r_buf[r]) begin
        a = (r_dest[r] & ~(FbBytes / 2 - 1)) | ((r_dest[r] + off + i) & (FbBytes / 2 - 1));
        fb_exp[a] = dbyte(r, off + i);
      end else begin
        bar2_exp[(r_dest[r] + off + i) % Bar2] = dbyte(r, off + i);
      end
    end
  endtask

  // The read stops being live: for the stream (what the next completions are) and for the
  // module's table (lc_dies, when the module's update lands).
  task automatic read_dies(input int r);
    r_live[r] = 0;
  endtask
  task automatic lc_dies(input int r);
    r_live[r] = 0;
    if (r_lc[r]) begin
      r_lc[r] = 0;
      live_cnt[r_owner[r]]--;
    end
  endtask

  // The outputs of the module's stage 2 in the cycle before (outr) keep the owner busy.
  function automatic bit out_busy(input int o);
    if (outr.flush) return outr.fowner == o;
    if (outr.v && (outr.kind == Good || outr.kind == Mal || (outr.first && outr.kind == Err) ||
                   (outr.last && outr.c6last))) begin
      return r_owner[outr.rd] == o;
    end
    return 0;
  endfunction
  function automatic bit pipe_empty();
    return !s1.v && !outr.v && !outr.flush && !exp_flush;
  endfunction

  // --- One clock cycle ---------------------------------------------------------------------
  // Three tasks, each called from one place (Verilator inlines tasks: one call site keeps the
  // simulation code small).
  task automatic cycle();
    @(negedge clk);
    now++;
    check_state();
    drive_inputs();
    #1;
    take_outputs();
  endtask

  task automatic check_state();
    bit usable_ok;
    int r, s, t8, o;
    // 1. Registered state against the model (it holds every edge so far).
    if (rc_tready !== !exp_flush) begin
      $fatal(1, "FAIL cycle %0d: rc_tready_o %0d, residue expected %0d", now, rc_tready,
             exp_flush);
    end
    if (tags_in_flight !== held_cnt) begin
      $fatal(1, "FAIL cycle %0d: tags_in_flight_o %0d, the core holds %0d%s", now,
             tags_in_flight, held_cnt,
             (now - relb_s2_t <= 2)
               ? $sformatf(" (tag %h: a copy of the completion that released it, right behind it, released it again: the release bypass)",
                           relb_tag)
               : "");
    end
    for (o = 0; o < NO; o++) begin
      if (owner_busy[o] !== (live_cnt[o] > 0 || (exp_flush && flush_owner == o) ||
                             out_busy(o))) begin
        $fatal(1, "FAIL cycle %0d: owner_busy_o[%0d] %0d, live reads %0d, residue %0d, output %0d",
               now, o, owner_busy[o], live_cnt[o], exp_flush && flush_owner == o, out_busy(o));
      end
    end
    if (bar2_wr_busy !== (s2_in_wr || exp_flush || outr.flush ||
                          (outr.v && (outr.kind == Good || outr.kind == Mal) &&
                           !r_buf[outr.rd]))) begin
      $fatal(1, "FAIL cycle %0d: bar2_wr_busy_o %0d (in a write %0d residue %0d)",
             now, bar2_wr_busy, s2_in_wr, exp_flush);
    end
    for (s = 0; s < NT; s++) begin
      r = slot_rd[s];
      t8 = slot_tag[s];
      if (tag_usable[s]) begin
        // (The engine's timeout ends a read in the cycle before it is reported.)
        if (r >= 0 && r_lc[r] && !(err_valid && err_status == StTimeout && err_addr == r_addr[r])) begin
          $fatal(1, "FAIL cycle %0d: slot %0d offered, read live", now, s);
        end
        if (t8 % NT != s || (!ext_tags && t8 >= NT)) begin
          $fatal(1, "FAIL cycle %0d: slot %0d offers tag %h", now, s, t8);
        end
        if (held8[t8]) $fatal(1, "FAIL cycle %0d: slot %0d offers held tag %h", now, s, t8);
        if (now - rel_t[t8] < Q) begin
          $fatal(1, "FAIL cycle %0d: slot %0d offers tag %h released %0d cycles ago", now, s,
                 t8, now - rel_t[t8]);
        end
      end else if (!(r >= 0 && (r_lc[r] || r_alloc_t[r] == now - 1))) begin
        // An idle slot with a tag free for 1.5 quarantines must be offered (the module works
        // out its offers a cycle ahead: not in the cycle after it took a read, which a kill in
        // the same cycle may have ended already).
        usable_ok = 0;
        for (int g = 0; g < (ext_tags ? 8 : 1); g++) begin
          if (!held8[g * NT + s] && now - rel_t[g * NT + s] > Q + Q / 2 + 2) usable_ok = 1;
        end
        if (usable_ok) $fatal(1, "FAIL cycle %0d: slot %0d idle with a free tag, not offered",
                              now, s);
      end
    end
    // Phase 3: an unanswered read must have timed out by now.
    if (timeout != '1) begin
      for (s = 0; s < NT; s++) begin
        r = slot_rd[s];
        if (r >= 0 && r_lc[r] && now - r_alloc_t[r] > TimeoutC + 2 * NT + 2) begin
          $fatal(1, "FAIL cycle %0d: read %0d (slot %0d) live %0d cycles, timeout %0d", now, r,
                 s, now - r_alloc_t[r], TimeoutC);
        end
      end
    end
    if (cmp_due && !p_active && pipe_empty()) begin
      compare_images("periodic compare");
      cmp_due = 0;
    end

  endtask

  // 2. Inputs: a completion beat, an allocation, a kill.
  task automatic drive_inputs();
    int r, s, o, a, n, cand [NT];
    // The inputs stay as they are until the clock edge; a beat taken there is gone.
    if (beat_taken) rc_tvalid = 0;
    if (!p_active && urange(100) < p_start) build_packet();
    if (p_active) begin
      if (!rc_tvalid) rc_tvalid = p_b2b || urange(100) < p_valid;
      for (int k = 0; k < 32; k++) begin
        rc_tdata[8 * k +: 8] = (p_beat < p_nbeats) ? pbytes[32 * p_beat + k] : 8'(rnd());
      end
      rc_tlast = p_beat == p_nsend - 1;
    end else begin
      rc_tvalid = 0;
      rc_tdata = {rnd(), rnd(), rnd(), rnd(), rnd(), rnd(), rnd(), rnd()};
      rc_tlast = rnd();
    end

    alloc_valid = 0;
    if (allow_alloc && urange(100) < p_alloc) begin
      n = 0;
      a = 0;
      for (s = 0; s < NT; s++) begin
        if (slot_rd[s] >= 0 && r_live[slot_rd[s]]) a++;
        if (tag_usable[s]) begin
          cand[n] = s;
          n++;
        end
      end
      if (n != 0 && a < max_live && nreads < MaxReads) begin
        s = cand[urange(n)];
        r = nreads++;
        r_buf[r] = urange(4) == 0;
        if (r_buf[r]) begin
          // SQ entries and SGL segments: DWORD-aligned, within one region.
          r_len[r]  = 4 * (1 + urange(min2(len_max, FbBytes / 2) / 4));
          r_a12[r]  = 4 * urange((Bar2 - r_len[r]) / 4 + 1);
          r_dest[r] = (urange(2) << FL) | (4 * urange(FbBytes / 8));
          st_fb_reads++;
        end else begin
          case (urange(3))
            0: r_len[r] = 1 + urange(min2(len_max, 64));
            1: r_len[r] = 1 + urange(min2(len_max, 512));
            default: r_len[r] = 1 + urange(len_max);
          endcase
          r_a12[r]  = urange(Bar2 - r_len[r] + 1);
          r_dest[r] = urange(Bar2);
        end
        r_addr[r]  = {16'(r), rnd(), 4'(rnd()), 12'(r_a12[r])};
        r_owner[r] = urange(NO);
        r_tag[r]   = slot_tag[s];
        r_live[r]  = 1;
        r_lc[r]    = 1;
        r_slow[r]  = urange(100) < slow_pct;
        r_sent[r]  = 0;
        r_done[r]  = 0;
        r_alloc_t[r] = now;
        r_kill_t[r]  = -1;
        r_lastoff[r] = -1;
        r_lastn[r]   = 0;
        r_mal[r]     = 0;
        slot_rd[s] = r;
        held8[r_tag[r]] = 1;
        held_cnt++;
        live_cnt[r_owner[r]]++;
        pend.push_back(r);
        st_reads++;
        alloc_valid = 1;
        alloc_tag   = s;
        alloc_buf   = r_buf[r];
        alloc_addr  = r_addr[r];
        alloc_len   = r_len[r];
        alloc_dest  = r_dest[r];
        alloc_owner = r_owner[r];
      end
    end
    if (!alloc_valid) begin
      alloc_tag = rnd();
      alloc_buf = rnd();
      alloc_addr = {rnd(), rnd()};
      alloc_len = rnd();
      alloc_dest = rnd();
      alloc_owner = rnd();
    end

    kill = '0;
    if (urange(1000) < p_kill) begin
      o = urange(NO);
      // Not while one of its reads' completions is being sent (the bench models whole
      // completions).
      if (!(p_active && p_rd >= 0 && r_owner[p_rd] == o && r_live[p_rd])) begin
        kill[o] = 1;
        st_kills++;
        for (s = 0; s < NT; s++) begin
          r = slot_rd[s];
          if (r >= 0 && r_live[r] && r_owner[r] == o) begin
            lc_dies(r);
            r_kill_t[r] = now;
            st_killed++;
            if (alloc_valid && r == nreads - 1) st_kill_alloc++;
          end
        end
      end
    end

  endtask

  // 3. This cycle's outputs (what stage 2 did in the cycle before, outr); then the model takes
  // the coming edge: stage 2's work of this cycle, the beat taken.
  task automatic take_outputs();
    bit taken, first, last, exp_bad, found, any, exp_busy;
    int r, s, dw, a;
    logic [12:0] exp_bytes;
    logic [FbDw-1:0] we;
    rec_t s2, rec;
    taken = rc_tvalid && rc_tready;
    first = taken && p_beat == 0;
    last  = taken && p_beat == p_nsend - 1;

    // Outputs of stage 2's work in the cycle before
    // (A malformed completion is found only at its last beat.)
    exp_bad = outr.v && ((outr.first && (outr.kind == Bad || (outr.kind == Err && outr.c6))) ||
                         (outr.last && outr.kind == Mal));
    if (bad_completion !== exp_bad) begin
      $fatal(1, "FAIL cycle %0d: bad_completion_o %0d, want %0d (kind %0d tag %h, first beat %0d, last beat %0d)",
             now, bad_completion, exp_bad, outr.kind, outr.tag, outr.first, outr.last);
    end
    if (outr.v && ((outr.first && outr.kind == Err) || (outr.last && outr.c6last))) begin
      r = outr.rd;
      if (err_valid !== 1'b1 || err_owner !== r_owner[r] || err_status !== outr.status ||
          err_addr !== r_addr[r] || err_link !== ((outr.c6 || outr.c6last) ? 2'd0 : 2'd1)) begin
        $fatal(1, "FAIL cycle %0d: error of read %0d: valid %0d owner %0d/%0d status %h/%h addr %h/%h link %0d",
               now, r, err_valid, err_owner, r_owner[r], err_status, outr.status, err_addr,
               r_addr[r], err_link);
      end
    end else if (err_valid) begin
      // Only the engine's own timeout may fail a read otherwise.
      found = 0;
      for (s = 0; s < NT; s++) begin
        r = slot_rd[s];
        if (r >= 0 && r_lc[r] && r_addr[r] == err_addr) begin
          found = 1;
          if (timeout == '1 || err_status !== StTimeout || err_owner !== r_owner[r] ||
              now - r_alloc_t[r] < TimeoutC || err_link !== 2'd1 ||
              (p_active && p_rd == r) || (s1.v && s1.rd == r) || (outr.v && outr.rd == r)) begin
            $fatal(1, "FAIL cycle %0d: unexpected failure of read %0d: status %h owner %0d age %0d",
                   now, r, err_status, err_owner, now - r_alloc_t[r]);
          end
          lc_dies(r);
          st_timeouts++;
        end
      end
      if (!found) $fatal(1, "FAIL cycle %0d: err_valid_o for no live read (addr %h status %h)",
                         now, err_addr, err_status);
    end

    exp_bytes = (outr.v && outr.last && outr.kind == Good && !r_buf[outr.rd]) ? outr.n : 0;
    if (bytes_in !== exp_bytes || (exp_bytes != 0 && bytes_in_owner !== r_owner[outr.rd])) begin
      $fatal(1, "FAIL cycle %0d: bytes_in_o %0d owner %0d, want %0d", now, bytes_in,
             bytes_in_owner, exp_bytes);
    end
    if (bytes_in != 0) bytes_got[bytes_in_owner] += bytes_in;

    // BAR2 writes
    any = mem_wr_be != '0;
    if (any) begin
      if (!((outr.v && (outr.kind == Good || outr.kind == Mal) && !r_buf[outr.rd]) ||
            outr.flush)) begin
        $fatal(1, "FAIL cycle %0d: BAR2 write outside an accepted completion (kind %0d)", now,
               outr.kind);
      end
      if (mem_wr_owner !== (outr.flush ? outr.fowner : r_owner[outr.rd])) begin
        $fatal(1, "FAIL cycle %0d: mem_wr_owner_o %0d", now, mem_wr_owner);
      end
      for (int b = 0; b < 8; b++) begin
        dw = mem_wr_row[b] * 8 + b;
        for (int k = 0; k < 4; k++) begin
          if (mem_wr_be[b][k]) begin
            check_byte(outr, 0, 4 * dw + k, mem_wr_data[b][8 * k +: 8]);
            bar2_act[4 * dw + k] = mem_wr_data[b][8 * k +: 8];
            st_bar2_written++;
          end
        end
      end
    end
    // Fetch buffer writes
    we = '0;
    for (int i = 0; i < 8; i++) if (fbuf_lane_we[i]) we[fbuf_idx[i]] = 1'b1;
    if (fbuf_we !== we) $fatal(1, "FAIL cycle %0d: fbuf_we_o does not match the lanes", now);
    if (fbuf_lane_we != '0) begin
      if (!(outr.v && (outr.kind == Good || outr.kind == Mal) && r_buf[outr.rd])) begin
        $fatal(1, "FAIL cycle %0d: fetch buffer write outside an accepted completion", now);
      end
      for (int i = 0; i < 8; i++) begin
        if (fbuf_lane_we[i]) begin
          if (fbuf_data[i] !== outr.data[32 * i +: 32]) begin
            $fatal(1, "FAIL cycle %0d: fbuf_data_o lane %0d is not the beat's", now, i);
          end
          for (int k = 0; k < 4; k++) begin
            check_byte(outr, 1, 4 * fbuf_idx[i] + k, fbuf_data[i][8 * k +: 8]);
            fb_act[4 * fbuf_idx[i] + k] = fbuf_data[i][8 * k +: 8];
          end
        end
      end
    end
    // busy_o: a beat in the module, its residue, or outputs of stage 2 to be seen.
    exp_busy = s1.v || exp_flush || outr.flush ||
               (outr.v && (outr.kind == Good || outr.kind == Mal || outr.first)) || err_valid;
    if (busy !== exp_busy) begin
      $fatal(1, "FAIL cycle %0d: busy_o %0d, want %0d", now, busy, exp_busy);
    end

    // Stage 2 in this cycle: the residue, or the beat in s1 (its table update at the edge).
    s2 = '0;
    if (exp_flush) begin
      s2.flush  = 1;
      s2.fowner = flush_owner;
      s2.rd     = flush_rd;
      s2.off    = flush_off;
      s2.nw     = flush_nw;
      s2.kind   = flush_kind;
    end else if (s1.v) begin
      s2 = s1;
    end
    exp_flush = 0;
    if (s2.v) begin
      r = s2.rd;
      if (s2.last && s2.relcopy) relb_s2_t = now;
      if (s2.first && s2.kind == Err) lc_dies(r);
      if (s2.first && !s2.last && (s2.kind == Good || s2.kind == Mal) && !r_buf[r]) begin
        s2_in_wr = 1;
      end
      if (s2.last) begin
        s2_in_wr = 0;
        if (s2.kind == Mal) begin
          // Not taken; the bytes of the beats it had are in (at their place, the read's data).
          expect_bytes(r, s2.off, s2.nw);
          if (!r_buf[r]) begin
            st_mal_bar2 += s2.nw;
            exp_flush = s2.spill;
            flush_owner = r_owner[r];
            if (s2.spill) st_flush++;
          end
        end
        if (s2.c6last) begin
          lc_dies(r);
          if (s2.kind != Mal) st_c6late++;
        end
        if (s2.kind == Good) begin
          expect_bytes(r, s2.off, s2.n);
          if (r_buf[r]) st_fb_bytes += s2.n;
          else begin
            st_bar2_bytes += s2.n;
            bytes_exp[r_owner[r]] += s2.n;
            exp_flush = s2.spill;
            flush_owner = r_owner[r];
            if (s2.spill) st_flush++;
          end
          if (s2.fin) lc_dies(r);
          if (st_good % 50 == 0) cmp_due = 1;
        end
        if (s2.rc) begin
          release_tag(s2.tag);
          if (r >= 0 && r_kill_t[r] >= 0 && now - r_kill_t[r] > Q) st_held_after_kill++;
        end
      end
    end
    if (exp_flush) begin
      flush_rd   = r;
      flush_off  = s2.off;
      flush_nw   = s2.nw;
      flush_kind = s2.kind;
    end
    outr = s2;

    // The beat taken at this edge: into s1 (kept while stage 2 writes a residue)
    if (taken) begin
      rec = '0;
      rec.v      = 1;
      rec.first  = first;
      rec.last   = last;
      rec.kind   = p_kind;
      rec.rd     = p_rd;
      rec.c6     = p_c6;
      rec.status = p_status;
      rec.n      = p_n;
      rec.off    = p_off;
      rec.rc     = p_rc;
      rec.tag    = p_tag;
      rec.spill  = p_spill;
      rec.relcopy = p_relcopy;
      rec.c6last = p_c6last;
      rec.nw     = p_nw;
      rec.data   = rc_tdata;
      if (first && p_kind == Err) read_dies(p_rd);
      if (last && p_c6last) read_dies(p_rd);
      if (last && p_kind == Good) begin
        r_done[p_rd] += p_n;
        r_lastoff[p_rd] = p_off;
        r_lastn[p_rd] = p_n;
        rec.fin = r_done[p_rd] == r_len[p_rd];
        if (rec.fin) read_dies(p_rd);
      end
      // Coverage: a completion right behind one of the same read, both accepted.
      if (first && p_kind == Good && last_rd == p_rd && last_t == now - 1) st_b2b++;
      // Coverage: a copy of a releasing completion looked up while stage 2 releases the tag.
      if (first && p_relcopy && s2.v && s2.last && s2.rc && s2.tag == p_tag) st_relb++;
      p_b2b = 0;
      if (last) begin
        last_rd = (p_kind == Good) ? p_rd : -1;
        last_t  = now;
        if (p_rc) begin
          relb_t   = now;
          relb_tag = p_tag;
        end
        p_active = 0;
      end
      s1 = rec;
    end else if (!outr.flush) begin
      s1 = '0;
    end
    if (taken) p_beat++;
    beat_taken = taken;
    // The core is done with a read once its last completion is sent.
    for (int i = 0; i < pend.size(); i++) begin
      if (r_sent[pend[i]] == r_len[pend[i]] && !(p_active && p_rd == pend[i])) begin
        pend.delete(i);
        break;
      end
    end
  endtask

  // After a phase's drain: everything in, every tag back.
  task automatic drain_checks(input string what);
    compare_images(what);
    if (held_cnt != 0 || tags_in_flight != 0 || owner_busy != '0) begin
      $fatal(1, "FAIL %s: after the drain %0d tags in flight, owners busy %h", what,
             tags_in_flight, owner_busy);
    end
    for (int o = 0; o < NO; o++) begin
      if (bytes_got[o] != bytes_exp[o]) begin
        $fatal(1, "FAIL %s: owner %0d: bytes_in_o summed %0d, want %0d", what, o, bytes_got[o],
               bytes_exp[o]);
      end
    end
    if (st_bar2_written != st_bar2_bytes + st_mal_bar2) begin
      $fatal(1, "FAIL %s: %0d BAR2 bytes written, %0d delivered, %0d of malformed completions",
             what, st_bar2_written, st_bar2_bytes, st_mal_bar2);
    end
    $display("%s: %0d reads (%0d fetch buffer), %0d accepted completions, %0d discarded, %0d error completions, %0d kills (%0d reads), %0d engine timeouts, cycle %0d",
             what, st_reads, st_fb_reads, st_good, st_bad, st_err, st_kills, st_killed,
             st_timeouts, now);
  endtask

  // Phases: settings, then reads until the phase's count, then a drain (no allocation until
  // every completion is in and 2 quarantines have passed).
  int phase, stage, target, wait_cnt;
  bit finished;
  string phase_name;
  task automatic start_phase(input int ph);
    phase = ph;
    stage = 0;
    allow_alloc = 1;
    case (ph)
      1: begin
        // 8-bit tags, many reads in flight.
        phase_name = "phase 1 (8-bit tags)";
        ext_tags = 1'b1; timeout = '1;
        max_live = 24; len_max = 4096; p_alloc = 30; p_kill = 2; p_errinj = 3; p_badinj = 8;
        p_start = 60; p_valid = 75; slow_pct = 0; p_relinj = 30; p_malinj = 3;
        target = st_reads + 2500;
      end
      2: begin
        // 5-bit tags (every reuse waits out the quarantine), more kills, shorter reads.
        phase_name = "phase 2 (5-bit tags)";
        ext_tags = 1'b0;
        max_live = 32; len_max = 1024; p_alloc = 40; p_kill = 8; p_errinj = 3; p_badinj = 8;
        p_start = 50; p_valid = 60; p_relinj = 30; p_malinj = 3;
        target = st_reads + 1200;
      end
      default: begin
        // The engine's own timeout on reads left unanswered.
        phase_name = "phase 3 (engine timeout)";
        ext_tags = 1'b1; timeout = TimeoutC;
        max_live = 4; len_max = 256; p_alloc = 10; p_kill = 0; p_errinj = 2; p_badinj = 5;
        p_start = 80; p_valid = 90; slow_pct = 30; p_relinj = 30; p_malinj = 3;
        target = st_reads + 300;
      end
    endcase
  endtask

  task automatic control();
    if (stage == 0) begin
      if (st_reads >= target) begin
        allow_alloc = 0;
        stage = 1;
      end
    end else if (stage == 1) begin
      if (pend.size() == 0 && !p_active && pipe_empty()) begin
        stage = 2;
        wait_cnt = 2 * Q;
      end else begin
        wait_cnt++;
        if (wait_cnt > 2000000) $fatal(1, "FAIL %s: the drain does not end", phase_name);
      end
    end else begin
      wait_cnt--;
      if (wait_cnt == 0) begin
        wait_cnt = 0;
        drain_checks(phase_name);
        if (phase == 3) finished = 1;
        else start_phase(phase + 1);
      end
    end
  endtask
  /* verilator lint_on UNUSEDSIGNAL */
  /* verilator lint_on WIDTH */
  /* verilator lint_on BLKSEQ */

  initial begin
    for (int i = 0; i < Bar2; i++) begin
      bar2_act[i] = 8'(rnd());
      bar2_exp[i] = bar2_act[i];
    end
    for (int i = 0; i < FbBytes; i++) begin
      fb_act[i] = 8'(rnd());
      fb_exp[i] = fb_act[i];
    end
    for (int s = 0; s < NT; s++) slot_rd[s] = -1;
    for (int t = 0; t < 256; t++) begin
      held8[t] = 0;
      rel_t[t] = -1000000;
    end
    for (int o = 0; o < NO; o++) begin
      live_cnt[o] = 0;
      bytes_exp[o] = 0;
      bytes_got[o] = 0;
    end
    held_cnt = 0;
    nreads = 0;
    now = 0;
    p_active = 0;
    exp_flush = 0;
    s1 = '0;
    outr = '0;
    s2_in_wr = 0;
    last_rd = -1;
    last_t = -10;
    p_b2b = 0;
    relb_t = -10;
    relb_s2_t = -10;
    relb_tag = 0;
    p_relcopy = 0;
    flush_owner = 0;
    cmp_due = 0;
    repeat (3) @(negedge clk);
    rst = 1'b0;

    wait_cnt = 0;
    finished = 0;
    start_phase(1);
    while (!finished) begin
      cycle();
      control();
    end

    if (st_timeouts == 0 || st_held_after_kill == 0 || st_flush == 0 || st_b2b < 100 ||
        st_relb < 100) begin
      $fatal(1, "FAIL coverage: %0d timeouts, %0d tags held > quarantine after a kill, %0d residues, %0d back to back completions of a read, %0d copies of a releasing completion looked up in its release cycle",
             st_timeouts, st_held_after_kill, st_flush, st_b2b, st_relb);
    end
    if (st_mal[0] < 20 || st_mal[1] < 5 || st_mal[2] < 10 || st_mal[3] < 20 || st_mal_rc < 20 ||
        st_c6late < 20) begin
      $fatal(1, "FAIL coverage: malformed completions: %0d with 1-3 beats more, %0d with 512-515 beats, %0d with fewer (> 1), %0d of one beat; %0d ending their read, %0d reads failed at a later completion",
             st_mal[0], st_mal[1], st_mal[2], st_mal[3], st_mal_rc, st_c6late);
    end
    $display("malformed completions (beat count): %0d with 1-3 beats more, %0d with 512-515 beats, %0d with fewer beats (> 1), %0d of one beat (fewer); %0d ended their read (C6h at once), %0d reads failed with C6h at a later completion; %0d BAR2 bytes written by them",
             st_mal[0], st_mal[1], st_mal[2], st_mal[3], st_mal_rc, st_c6late, st_mal_bar2);
    $display("discarded by kind: wrong lower address %0d, wrong byte count %0d, unknown tag %0d, error code 6 %0d, duplicate %0d, of a dead read %0d, copy right behind the completion that released its tag %0d (%0d in the release cycle), after a malformed completion of its read %0d, malformed %0d",
             st_bad_kind[0], st_bad_kind[1], st_bad_kind[2], st_bad_kind[3], st_bad_kind[4],
             st_bad_kind[5], st_bad_kind[6], st_relb, st_bad_kind[7], st_bad_kind[8]);
    $display("PASS dma_rc: %0d reads, %0d completions accepted (%0d BAR2 bytes, %0d fetch buffer bytes, %0d residues), %0d discarded, %0d error completions, %0d engine timeouts, %0d kills (%0d of a read allocated in the same cycle, %0d tags held over a quarantine after one), %0d back to back completions of a read accepted, %0d image compares, %0d cycles",
             st_reads, st_good, st_bar2_bytes, st_fb_bytes, st_flush, st_bad, st_err,
             st_timeouts, st_kills, st_kill_alloc, st_held_after_kill, st_b2b, cmp_count, now);
    $finish;
  end

endmodule

`default_nettype wire
