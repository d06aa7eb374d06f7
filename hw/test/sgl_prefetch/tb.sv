// SPDX-License-Identifier: MIT OR Apache-2.0
// Unit test of peerbar_dma_sgl_prefetch (run: bash hw/test/run.sh sgl_prefetch). The bench plays
// what surrounds the ring in peerbar_dma_engine:
// - host memory holding random NVMe SGL lists (1..5 segments of 16..640 bytes, 8-byte aligned,
//   some at 8 mod 16, some across a 4 KiB boundary; random Data Block descriptors, some of
//   length 0, some whose address + length wraps 2^64); some lists end early on an invalid
//   chaining pointer (length 0 or not a multiple of 16, address not 8-aligned, a subtype, a wrap)
//   or on a Data Block in a segment's last place;
// - the job unit's walker as StDecode / StDesc run it: job_i, decode_i for one or more cycles
//   with start_i in the last, the DPTR taken with enter_i, then each ring descriptor once
//   desc_ready_o: a Data Block consumed after a random time moving data (rem_i counts down as the
//   engine's rem_q; a zero length skipped at once; a wrap or a length over rem_i ends the job), a
//   valid pointer in a segment's last place taken with enter_i and consume_i together, the list's
//   end or an invalid pointer ends the job (StDrain / StFinish, then StIdle); fetch_i, moving_i
//   as the engine's states; go_i = want_o and a random grant of the RQ register;
// - peerbar_dma_rc's write port: each read returns after a random latency, reads out of order,
//   each in pieces of 1..8 DWORDs on consecutive lanes (lane i writes lane 0's DWORD + i, as
//   peerbar_dma_rc's beats), sometimes back to back; junk writes to the
//   buffer's other region; look_busy_i while a lookahead-owned read is out; a lookahead-owned
//   read that fails (look_fail_i) writes nothing more; kills as the engine's (StFinish: the job's
//   own reads; StDrain / StFinish: the lookahead owner's unless ahead_o; ahead_drop_i: a random
//   SQ refetch in any cycle but a start_i); a lookahead read failing after the walker entered
//   its segment fails the job at once (the engine's own_err);
// - the next job's DPTR offered on ahead_*_i, ahead_ok_i random while the job moves.
// Checks at every clock edge:
// - every descriptor the walker looks at (desc_o when desc_ready_o) is host memory's at that place
//   of the list, with desc_wraps_o / desc_over_o / desc_zero_o against fresh computations (rem_i
//   as driven in that cycle, as the engine's own check);
// - every read: 0 < len_o <= MRRS, within 4 KiB, DWORD aligned, no smaller than the rest of the
//   segment, the 4 KiB boundary or 128 bytes allow, the next bytes of the segment
//   being fetched (the current job's, in list order, or the next job's first while ahead_o), no
//   gap or overlap; only segments reached by valid pointers (none past an invalid one); look_o
//   exactly when the walker has not entered the segment yet; dest_o the ring byte after the last
//   read's (0 after a fresh start);
// - the ring: bytes requested and not consumed never exceed 2**FL; a completion DWORD lands only
//   on ring DWORDs its own read holds, never on one the walker has consumed or a later read took;
// - the read-ahead: ahead_o rises only after ahead_ok_i, once the current job's Last Segment is
//   all fetched; the next job then walks its list from the ring; ahead_tried_o as the model;
// - lookahead failures: at every enter_i while look_o, look_err_o (with its status and address)
//   is exactly whether one of the segment's reads failed (the first failure); while look_o, no
//   lookahead-owned read of a segment the walker already entered is out (a failure is held for
//   the right segment);
// - liveness: every job ends within JobBound cycles of its start;
// - coverage: some lookahead, read-aheads used and dropped, failures checked at an enter, invalid
//   pointers, over / wrap / zero flags, reads up to a 4 KiB boundary.
// Simplified against the engine: the walker does nothing in the cycle of an own_err or with an
// error pending (the engine may still move it; the job ends either way); a PUSH packet does not
// finish before such an error ends the job; a job always passes one StIdle cycle at least.

`default_nettype none

module tb;

  import peerbar_wire_pkg::*;
  import peerbar_dma_tlp_pkg::*;

  localparam int unsigned FL = 9;
  localparam int unsigned RingB = 2 ** FL;
  localparam int unsigned RingDw = 2 ** (FL - 2);
  localparam int MaxSeg = 5;
  localparam longint JobBound = 20000;

  logic              clk = 1'b0;
  logic              rst = 1'b1;
  logic [12:0]       mrrs = 13'd512;
  logic              job = 1'b0, decode = 1'b0, start = 1'b0, fetch = 1'b0, moving = 1'b0;
  logic              in_list = 1'b0, seg_last = 1'b0;
  logic [31:0]       rem = '0;
  logic              enter = 1'b0;
  logic [63:0]       enter_addr = '0;
  logic [31:0]       enter_len = '0;
  logic              consume = 1'b0;
  sgl_desc_t         desc;
  logic              desc_ready, desc_wraps, desc_over, desc_zero;
  logic              need, want, look;
  logic [63:0]       addr;
  logic [12:0]       len;
  logic [FL-1:0]     dest;
  logic              go = 1'b0;
  logic              look_busy = 1'b0, look_fail = 1'b0;
  logic [StatusW-1:0] fail_status = '0;
  logic [63:0]       fail_addr = '0;
  logic              look_err;
  logic [StatusW-1:0] look_err_status;
  logic [63:0]       look_err_addr;
  logic              ahead_ok = 1'b0, ahead_last = 1'b0, ahead_drop = 1'b0;
  logic [63:0]       ahead_addr = '0;
  logic [31:0]       ahead_len = '0;
  logic              ahead, ahead_tried;
  logic [7:0]        lane_we = '0;
  logic [7:0][FL-2:0] lane_idx = '0;
  logic [7:0][31:0]  lane_data = '0;
  logic [RingDw-1:0] ring_we = '0;
  int                errors = 0;

  peerbar_dma_sgl_prefetch #(.FL (FL)) dut (
    .clk_i             (clk),
    .rst_i             (rst),
    .mrrs_i            (mrrs),
    .job_i             (job),
    .decode_i          (decode),
    .start_i           (start),
    .fetch_i           (fetch),
    .moving_i          (moving),
    .in_list_i         (in_list),
    .seg_last_i        (seg_last),
    .rem_i             (rem),
    .enter_i           (enter),
    .enter_addr_i      (enter_addr),
    .enter_len_i       (enter_len),
    .consume_i         (consume),
    .desc_o            (desc),
    .desc_ready_o      (desc_ready),
    .desc_wraps_o      (desc_wraps),
    .desc_over_o       (desc_over),
    .desc_zero_o       (desc_zero),
    .need_o            (need),
    .want_o            (want),
    .addr_o            (addr),
    .len_o             (len),
    .dest_o            (dest),
    .look_o            (look),
    .go_i              (go),
    .look_busy_i       (look_busy),
    .look_fail_i       (look_fail),
    .fail_status_i     (fail_status),
    .fail_addr_i       (fail_addr),
    .look_err_o        (look_err),
    .look_err_status_o (look_err_status),
    .look_err_addr_o   (look_err_addr),
    .ahead_ok_i        (ahead_ok),
    .ahead_addr_i      (ahead_addr),
    .ahead_len_i       (ahead_len),
    .ahead_last_i      (ahead_last),
    .ahead_drop_i      (ahead_drop),
    .ahead_o           (ahead),
    .ahead_tried_o     (ahead_tried),
    .lane_we_i         (lane_we),
    .lane_idx_i        (lane_idx),
    .lane_data_i       (lane_data),
    .ring_we_i         (ring_we)
  );

  // A testbench clock, models and counters, not logic: blocking assignments are what they
  // need.
  /* verilator lint_off BLKSEQ */
  always #5 clk = ~clk;

  // Kinds of job: a good list; LENGTH short of the list's (a descriptor is over rem_i); some
  // descriptors near the top of the address space (some wrap); an invalid chaining pointer ends
  // the list; the list's last segment is reached by a Segment (not Last Segment) pointer and
  // ends with a Data Block.
  localparam int KGood = 0, KRemShort = 1, KWrap = 2, KBadPtr = 3, KDataEnd = 4;

  // (Verilator 5.006 flags class members as unused.)
  /* verilator lint_off DECLFILENAME */
  /* verilator lint_off UNUSEDSIGNAL */
  class Job;
    int              id;
    int              kind;
    int              nseg;              // segments the list reaches by valid pointers
    longint unsigned saddr [MaxSeg];
    int              slen [MaxSeg];
    bit              slast [MaxSeg];    // reached by a Last Segment pointer
    bit              ptr_ok [MaxSeg];   // ends with a valid pointer to the next
    sgl_desc_t       dptr;
    logic [31:0]     sq_len;            // the SQ entry's LENGTH
    bit              may_ahead;         // a PULL / PUSH the engine may read ahead
    int              fseg, foff;        // the fetch: segment, bytes of it requested
  endclass

  class Rd;
    Job              j;
    int              seg;               // the segment of j it reads
    bit              lk;                // lookahead owner's (look_o)
    longint          g;                 // its first byte in the ring's stream (model)
    int              rdest;
    longint unsigned raddr;
    int              ndw, sent;
    logic [31:0]     data [128];
    longint          next_at;           // its next piece may come from this cycle
    bit              fail;
    int              fail_at;           // ... after this many DWORDs
    bit              gone;              // done, failed or killed: dropped at the cycle's end
  endclass
  /* verilator lint_on UNUSEDSIGNAL */
  /* verilator lint_on DECLFILENAME */

  // Host memory, by DWORD address.
  logic [31:0]     hmem [longint unsigned];
  longint unsigned heap = 64'h0000_0042_0000_0f00;
  int              job_seq = 0;

  function automatic void put_desc(longint unsigned a, sgl_desc_t d);
    logic [127:0] b;
    b = 128'(d);
    for (int i = 0; i < 4; i++) hmem[(a >> 2) + longint'(i)] = b[32 * i +: 32];
  endfunction

  function automatic sgl_desc_t get_desc(longint unsigned a);
    logic [127:0] b;
    for (int i = 0; i < 4; i++) b[32 * i +: 32] = hmem[(a >> 2) + longint'(i)];
    return sgl_desc_t'(b);
  endfunction

  // A segment's address: 8-byte aligned, a quarter of them across a 4 KiB boundary.
  function automatic longint unsigned place(int slen);
    longint unsigned base;
    if ($urandom_range(3) == 0) begin
      base = ((heap + 64'd4095) & ~64'd4095) + 64'd4096 -
             64'(8 * $urandom_range(slen / 8 - 1, 1));
    end else begin
      base = heap + 64'(8 * $urandom_range(40));
    end
    heap = base + 64'(slen) + 64'd64;
    return base;
  endfunction

  function automatic sgl_desc_t data_desc(bit near_top);
    sgl_desc_t d;
    int        r;
    r = $urandom_range(9);
    d.identifier  = 8'h00;
    d.rsvd_119_96 = 24'($urandom);
    d.length      = (r == 0) ? 32'd0 : (r < 7) ? 32'($urandom_range(4096, 1))
                                               : 32'($urandom_range(65535, 1));
    d.address     = {1'b0, 31'($urandom), 32'($urandom)};
    if (near_top && d.length != '0 && $urandom_range(9) == 0) begin
      // wraps when the offset from 2^64 - length is >= 0
      d.address = 64'd0 - 64'(d.length) + 64'($urandom_range(4)) - 64'd2;
    end
    return d;
  endfunction

  function automatic sgl_desc_t ptr_desc(bit last, longint unsigned a, int l);
    sgl_desc_t d;
    d.identifier  = last ? 8'h30 : 8'h20;
    d.rsvd_119_96 = 24'($urandom);
    d.length      = 32'(l);
    d.address     = a;
    return d;
  endfunction

  function automatic Job gen_job();
    Job              j;
    int              v, n_list, kbad, nd, l;
    longint unsigned sum, cut;
    sgl_desc_t       d;
    j = new;
    j.id = job_seq;
    job_seq++;
    v = $urandom_range(99);
    j.kind = (v < 60) ? KGood : (v < 70) ? KRemShort : (v < 78) ? KWrap :
             (v < 92) ? KBadPtr : KDataEnd;
    n_list = $urandom_range(5, 1);
    if (j.kind == KBadPtr && n_list == 1) n_list = 2;
    kbad = (j.kind == KBadPtr) ? $urandom_range(n_list - 2, 0) : -1;
    j.nseg = (j.kind == KBadPtr) ? kbad + 1 : n_list;
    for (int k = 0; k < MaxSeg; k++) begin
      j.saddr[k] = '0;
      j.slen[k] = 0;
      j.slast[k] = 1'b0;
      j.ptr_ok[k] = 1'b0;
    end
    for (int k = 0; k < j.nseg; k++) begin
      v = $urandom_range(9);
      j.slen[k]   = (v < 2) ? 16 * $urandom_range(4, 1) : (v < 8) ? 16 * $urandom_range(30, 1)
                                                        : 16 * $urandom_range(40, 30);
      j.saddr[k]  = place(j.slen[k]);
      j.slast[k]  = k == j.nseg - 1 && j.kind != KDataEnd && j.kind != KBadPtr;
      j.ptr_ok[k] = k < j.nseg - 1;
    end
    sum = 0;
    for (int k = 0; k < j.nseg; k++) begin
      nd = j.slen[k] / 16;
      for (int i = 0; i < nd; i++) begin
        if (i == nd - 1 && k < j.nseg - 1) begin
          d = ptr_desc(j.slast[k + 1], j.saddr[k + 1], j.slen[k + 1]);
        end else if (i == nd - 1 && k == kbad) begin
          // An invalid chaining pointer (to memory that holds no list).
          l = 16 * $urandom_range(10, 1);
          v = $urandom_range(5);
          d = ptr_desc($urandom_range(1) == 1, heap + 64'h10_0000, l);
          case (v)
            0: d.length = 32'(l + 8);
            1: d.length = '0;
            2: d.address = d.address + 64'd4;
            3: d.identifier = d.identifier | 8'(1 + $urandom_range(14));
            4: begin
              d = data_desc(1'b0);
              sum = sum + longint'(d.length);
            end
            default: begin
              l = l / 2;
              d.address = 64'd0 - 64'(l);
            end
          endcase
        end else begin
          d = data_desc(j.kind == KWrap);
          sum = sum + longint'(d.length);
        end
        put_desc(j.saddr[k] + 64'(16 * i), d);
      end
    end
    j.dptr = ptr_desc(j.slast[0], j.saddr[0], j.slen[0]);
    if (j.kind == KRemShort && sum > 0) begin
      cut = 64'($urandom_range((sum > 30000) ? 30000 : 32'(sum), 1));
      j.sq_len = 32'(sum - cut);
    end else begin
      j.sq_len = 32'(sum);
    end
    j.may_ahead = $urandom_range(99) < 85;
    j.fseg = 0;
    j.foff = 0;
    return j;
  endfunction

  function automatic void free_job(Job j);
    for (int k = 0; k < j.nseg; k++) begin
      for (int i = 0; i < j.slen[k] / 4; i++) hmem.delete((j.saddr[k] >> 2) + longint'(i));
    end
  endfunction

  // The job unit's walker (StIdle, StDecode, StDesc on the DPTR, StDesc in a segment, moving a
  // Data Block, StDesc with an error pending, StDrain / StFinish).
  typedef enum int { WIdle, WDecode, WDptr, WDesc, WMove, WErrPend, WEnd } ws_e;
  typedef enum int { FjNone, FjCur, FjNxt } fj_e;

  ws_e             ws = WIdle, ws_n;
  int              idle_left = 2, dec_left = 0, move_left = 0;
  bit              move_end = 1'b0;     // the Data Block moving is the list's last
  bit              end_normal = 1'b0;   // the job ends at its list's end (StDrain)
  Job              cur = null, nxt = null;
  int              wseg = -1;           // the walker's segment (-1: at the DPTR)
  int              seg_left = 0;        // its bytes from the walker's descriptor on
  bit              in_list_q = 1'b0, seg_last_q = 1'b0;
  logic [31:0]     rem_q = '0;
  longint          cycle = 0, job_t0 = 0;
  fj_e             fj = FjNone;         // whose list the fetch is in
  longint          wr_g = 0, rd_g = 0, xj_at_g = 0;  // ring stream: next fetched, walker, read-ahead
  longint          ring_g [RingDw];     // the stream byte each ring DWORD was last requested for
  bit              model_xj = 1'b0, model_tried = 1'b0, prev_ahead_ok = 1'b0;
  bit              pend_fail = 1'b0;    // a read of the lookahead's segment failed
  logic [StatusW-1:0] pend_st = '0;
  logic [63:0]     pend_ea = '0;
  Rd               rds [$];

  // Phase parameters
  int p_lat_min = 4, p_lat_max = 20, p_grant = 100, p_fetch = 70, p_delay = 4, p_fail = 0;
  int p_drop = 0, p_aok = 90, p_comp = 90, p_idle = 2;

  // Counts
  int unsigned n_jobs = 0, n_lists = 0, n_desc = 0, n_reads = 0, n_look = 0, n_look_enter = 0;
  int unsigned n_tried = 0, n_used = 0, n_dropped = 0, n_fail = 0, n_fail_checked = 0;
  int unsigned n_fail_now = 0, n_bad_ptr = 0, n_zero = 0, n_over = 0, n_wraps = 0, n_split4k = 0;
  int unsigned n_pieces = 0;

  task automatic err(input string s);
    $display("FAIL cycle %0d job %0d: %s", cycle, (cur == null) ? -1 : cur.id, s);
    errors++;
    if (errors > 20) $fatal(1, "FAIL sgl_prefetch: too many errors");
  endtask

  // A read goes out (go_i): is it the fetch's next bytes?
  task automatic issue_read();
    Job j;
    Rd  r;
    int s, off;
    bit exp_look;
    if (len == '0 || len > mrrs) err($sformatf("read of %0d bytes, MRRS %0d", len, mrrs));
    if (32'(addr[11:0]) + 32'(len) > 32'd4096) err($sformatf("read %h + %0d crosses 4 KiB", addr, len));
    if (32'(addr[11:0]) + 32'(len) == 32'd4096) n_split4k++;
    if (addr[1:0] != '0 || len[1:0] != '0) err($sformatf("read %h + %0d not DWORD aligned", addr, len));
    if (32'(dest) != 32'(wr_g % longint'(RingB))) err($sformatf("read to ring byte %0d, want %0d", dest, wr_g % longint'(RingB)));
    if (wr_g + longint'(len) - rd_g > longint'(RingB)) begin
      err($sformatf("ring overflow: %0d bytes requested, %0d not consumed", len, wr_g - rd_g));
    end
    n_reads++;
    if (fj == FjNone) begin
      err($sformatf("read %h + %0d with no list to fetch", addr, len));
      return;
    end
    if (fj == FjNxt) j = nxt;
    else j = cur;
    s = j.fseg;
    off = j.foff;
    if (off == j.slen[s]) begin
      if (s + 1 >= j.nseg || !j.ptr_ok[s]) begin
        err($sformatf("read %h + %0d past the list's reachable segments", addr, len));
        return;
      end
      s++;
      off = 0;
    end
    if (addr != j.saddr[s] + 64'(off) || int'(len) > j.slen[s] - off) begin
      err($sformatf("read %h + %0d, want segment %0d at %h, %0d bytes left", addr, len, s,
                    j.saddr[s] + 64'(off), j.slen[s] - off));
      return;
    end
    exp_look = fj == FjNxt || s > wseg;
    if (look != exp_look) err($sformatf("read of segment %0d: look_o %0d, want %0d", s, look, exp_look));
    if (off == 0 && look && fj == FjCur && s > 0) n_look++;
    j.fseg = s;
    j.foff = off + int'(len);
    // No smaller than the rules make it: the rest of the segment, up to the 4 KiB boundary, at
    // most 128 bytes (a read waits until that much of the ring is free; MRRS >= 128).
    if (int'(len) < j.slen[s] - off && int'(len) < 4096 - int'(addr[11:0]) && len < 13'd128) begin
      err($sformatf("read %h + %0d smaller than needed (%0d left in the segment)", addr, len, j.slen[s] - off));
    end
    r = new;
    r.j = j;
    r.seg = s;
    r.lk = look;
    r.g = wr_g;
    r.rdest = int'(dest);
    r.raddr = addr;
    r.ndw = int'(len) / 4;
    r.sent = 0;
    for (int k = 0; k < r.ndw; k++) begin
      if (hmem.exists((addr >> 2) + longint'(k)) == 0) begin
        err($sformatf("read %h + %0d: DWORD %0d holds no list", addr, len, k));
        r.data[k] = '0;
      end else begin
        r.data[k] = hmem[(addr >> 2) + longint'(k)];
      end
    end
    r.next_at = cycle + longint'($urandom_range(p_lat_max, p_lat_min));
    r.fail = look && p_fail > 0 && $urandom_range(999) < p_fail;
    r.fail_at = $urandom_range(r.ndw - 1);
    r.gone = 1'b0;
    rds.push_back(r);
    for (int k = 0; k < r.ndw; k++) begin
      ring_g[(FL - 2)'((wr_g >> 2) + longint'(k))] = wr_g + longint'(4 * k);
    end
    wr_g = wr_g + longint'(len);
  endtask

  // The walker takes a segment pointer (enter_i): the DPTR or a ring descriptor.
  task automatic do_enter(input int s, input logic [63:0] a, input logic [31:0] l, input bit last);
    enter = 1'b1;
    enter_addr = a;
    enter_len = l;
    ws_n = WDesc;
    if (look) begin
      n_look_enter++;
      if (look_err != pend_fail ||
          (pend_fail && (look_err_status != pend_st || look_err_addr != pend_ea))) begin
        err($sformatf("enter segment %0d: look_err_o %0d %h %h, want %0d %h %h", s, look_err,
                      look_err_status, look_err_addr, pend_fail, pend_st, pend_ea));
      end
      if (pend_fail) n_fail_checked++;
      if (look_err) ws_n = WErrPend;   // the engine fails the job (err_pend)
      pend_fail = 1'b0;
    end
    if (s >= cur.nseg) err($sformatf("enter segment %0d of %0d", s, cur.nseg));
    wseg = s;
    seg_left = int'(l);
    in_list_q = 1'b1;
    seg_last_q = last;
  endtask

  task automatic do_consume();
    consume = 1'b1;
    seg_left = seg_left - 16;
    rd_g = rd_g + 64'd16;
    if (rd_g > wr_g) err("the walker consumed bytes never requested");
    ws_n = WDesc;
  endtask

  // The walker is done with a data descriptor: the list ends with its segment's last one
  // (never consumed), or the walker moves on.
  task automatic desc_done(input bit last);
    if (last) begin
      end_normal = 1'b1;
      ws_n = WEnd;
    end else begin
      do_consume();
    end
  endtask

  // A Data Block (or any descriptor StDesc takes as data): skipped, ends the job, or moves.
  task automatic data_desc_walk(input logic [63:0] a, input logic [31:0] l, input bit last);
    int dly;
    if (l == '0) begin
      n_zero++;
      desc_done(last);
    end else if (wraps(a, l) || l > rem_q) begin
      if (wraps(a, l)) n_wraps++;
      else n_over++;
      ws_n = WEnd;                       // StSglLength: the job fails
    end else begin
      rem_q = rem_q - l;           // rem_q's next value
      dly = ($urandom_range(19) == 0) ? $urandom_range(40) : $urandom_range(p_delay);
      if (dly == 0) begin
        desc_done(last);
      end else begin
        ws_n = WMove;
        move_left = dly;
        move_end = last;
      end
    end
  endtask

  // The SQ FIFO's oldest entry (the next job), its DPTR kept aside for ahead_*_i.
  logic [63:0] nx_addr = '0;
  logic [31:0] nx_len = '0;
  bit          nx_last = 1'b0, nx_may = 1'b0;
  task automatic new_next();
    nxt = gen_job();
    nx_addr = nxt.dptr.address;
    nx_len = nxt.dptr.length;
    nx_last = nxt.dptr.identifier[7:4] == 4'h3;
    nx_may = nxt.may_ahead;
  endtask

  task automatic do_start();
    bit used;
    used = model_xj;
    cur = nxt;
    new_next();
    if (used) begin
      n_used++;
      if (fj != FjNxt) err("the read-ahead's job starts, the fetch was not in it");
      rd_g = xj_at_g;
      foreach (rds[i]) begin
        if (rds[i].j != cur || !rds[i].lk) err("a read other than the read-ahead's is out at its start");
      end
    end else begin
      if (rds.size() != 0) err($sformatf("%0d reads out at a fresh start", rds.size()));
      cur.fseg = 0;
      cur.foff = 0;
      wr_g = 0;
      rd_g = 0;
      foreach (ring_g[i]) ring_g[i] = -1;
      pend_fail = 1'b0;
    end
    fj = FjCur;
    model_xj = 1'b0;
    model_tried = 1'b0;
    rem_q = cur.sq_len;
    in_list_q = 1'b0;
    wseg = -1;
    seg_left = 0;
    end_normal = 1'b0;
    job_t0 = cycle;
  endtask

  // One cycle: the job unit's registers, peerbar_dma_rc's writes, then (settled) the read and
  // the walker's decisions with the checks; the model moves as the edge will.
  task automatic step();
    Rd         r;
    int        cand [$];
    int        n, t, ix, idx, lane;
    bit        fail_now, own_err, kill_look, drop_now, any_gone;
    longint    gb;
    sgl_desc_t exp_d;
    Rd         keep [$];
    // (Verilator 5.006 keeps a timed task's local queues from call to call: emptied here.)
    cand.delete();
    keep.delete();
    @(negedge clk);
    cycle++;
    fail_now = 1'b0;
    own_err = 1'b0;
    any_gone = 1'b0;

    // The read-ahead started at the last edge?
    if (ahead && !model_xj) begin
      n_tried++;
      if (!prev_ahead_ok) err("read-ahead started without ahead_ok_i");
      if (model_tried) err("read-ahead started twice in a job");
      if (!(fj == FjCur && cur.fseg == cur.nseg - 1 && cur.foff == cur.slen[cur.fseg] &&
            cur.slast[cur.fseg])) begin
        err("read-ahead started before the job's list was all fetched");
      end
      fj = FjNxt;
      nxt.fseg = 0;
      nxt.foff = 0;
      xj_at_g = wr_g;
      model_xj = 1'b1;
      model_tried = 1'b1;
    end
    if (ahead != model_xj) err($sformatf("ahead_o %0d, want %0d", ahead, model_xj));
    if (ahead_tried != model_tried) err($sformatf("ahead_tried_o %0d, want %0d", ahead_tried, model_tried));
    if (ws != WIdle && cycle - job_t0 > JobBound) begin
      $fatal(1, "FAIL sgl_prefetch: job %0d not done %0d cycles after its start (walker state %0d, segment %0d, %0d bytes left)",
             cur.id, JobBound, ws, wseg, seg_left);
    end

    // The job unit's registered state
    job      = ws != WIdle;
    decode   = ws == WDecode;
    start    = ws == WDecode && dec_left == 0;
    moving   = ws inside {WDptr, WDesc, WMove, WErrPend};
    fetch    = ws inside {WDptr, WDesc, WErrPend} || (ws == WMove && $urandom_range(99) < p_fetch);
    in_list  = in_list_q;
    seg_last = seg_last_q;
    rem      = rem_q;
    enter    = 1'b0;
    enter_addr = {$urandom, $urandom};
    enter_len  = $urandom;
    consume  = 1'b0;
    go       = 1'b0;
    ahead_addr = nx_addr;
    ahead_len  = nx_len;
    ahead_last = nx_last;
    ahead_ok   = moving && ws != WErrPend && nx_may && $urandom_range(99) < p_aok;
    kill_look  = ws == WEnd && !ahead;
    // An SQ refetch: any cycle but a start_i. (In any cycle of a read-ahead, also the cycle
    // before a read of it goes out: the RTL once sent that read after the drop, from the
    // dropped segment's address, and then more reads past it.)
    ahead_drop = kill_look || (!start && $urandom_range(999) < p_drop);
    drop_now   = ahead_drop && ahead;

    // peerbar_dma_rc's writes
    lane_we = '0;
    ring_we = '0;
    look_fail = 1'b0;
    fail_status = 8'($urandom);
    fail_addr = {$urandom, $urandom};
    for (int i = 0; i < 8; i++) begin
      lane_idx[i] = (FL - 1)'($urandom);
      lane_data[i] = $urandom;
    end
    look_busy = 1'b0;
    for (int i = 0; i < rds.size(); i++) begin
      r = rds[i];
      if (r.lk) look_busy = 1'b1;
      // While a segment is fetched ahead (look_o), every read of the lookahead owner is that
      // segment's (its failures are held for it): none of a segment the walker is in.
      if (r.lk && look && r.j == cur && r.seg <= wseg) begin
        err($sformatf("look_o while a lookahead read of segment %0d (entered) is out", r.seg));
      end
      if (r.next_at <= cycle) cand.push_back(i);
    end
    if (cand.size() > 0 && $urandom_range(99) < p_comp) begin
      r = rds[cand[$urandom_range(cand.size() - 1)]];
      if (r.fail && r.sent >= r.fail_at) begin
        look_fail = 1'b1;
        t = $urandom_range(3);
        fail_status = (t == 0) ? StUr : (t == 1) ? StCa : (t == 2) ? StPoisoned : StTimeout;
        fail_addr = r.raddr;
        r.gone = 1'b1;
        any_gone = 1'b1;
        fail_now = 1'b1;
      end else begin
        n = $urandom_range(8, 1);
        if (n > r.ndw - r.sent) n = r.ndw - r.sent;
        if (r.fail && n > r.fail_at - r.sent) n = r.fail_at - r.sent;
        // As peerbar_dma_rc's beats: the piece's DWORDs on lanes t..t + n - 1 (t random), and
        // every lane's index that of lane 0's DWORD plus the lane (ring DWORDs going round).
        t = $urandom_range(8 - n);
        for (int i = 0; i < 8; i++) begin
          lane_idx[i] = {1'b0, (FL - 2)'(r.rdest / 4 + r.sent - t + i)};
        end
        for (int k = 0; k < n; k++) begin
          lane = t + k;
          idx = (r.rdest / 4 + r.sent + k) % int'(RingDw);
          ix = 4 * (r.sent + k);
          gb = r.g + longint'(ix);
          lane_we[lane] = 1'b1;
          lane_idx[lane] = {1'b0, (FL - 2)'(idx)};
          lane_data[lane] = r.data[r.sent + k];
          ring_we[idx] = 1'b1;
          if (ring_g[idx] != gb) err($sformatf("completion DWORD for stream byte %0d lands on ring DWORD %0d, requested since for byte %0d",
                                               gb, idx, ring_g[idx]));
          if (gb < rd_g) err($sformatf("completion DWORD for stream byte %0d lands after the walker consumed it (at %0d)", gb, rd_g));
        end
        n_pieces++;
        r.sent = r.sent + n;
        r.next_at = cycle + (($urandom_range(2) == 0) ? longint'($urandom_range(3, 1)) : 64'd1);
        if (r.sent == r.ndw) begin
          r.gone = 1'b1;
          any_gone = 1'b1;
        end
      end
    end else if ($urandom_range(4) == 0) begin
      // A write to the fetch buffer's other region (SQ entries): not the ring's.
      n = $urandom_range(8, 1);
      ix = $urandom;
      for (int i = 0; i < 8; i++) begin
        lane_idx[i] = {1'b1, (FL - 2)'(ix + i)};
      end
      for (int k = 0; k < n; k++) begin
        lane_we[k] = 1'b1;
      end
    end
    if (fail_now) begin
      n_fail++;
      if (look) begin
        if (!pend_fail) begin
          pend_fail = 1'b1;
          pend_st = fail_status;
          pend_ea = fail_addr;
        end
      end else if (ws inside {WDptr, WDesc, WMove, WErrPend}) begin
        own_err = 1'b1;                  // the walker is in the segment: the job fails now
        n_fail_now++;
      end
    end
    #1;

    // The read
    if (want != (need && fetch)) err("want_o is not need_o && fetch_i");
    if (want && !own_err && ws != WErrPend && $urandom_range(99) < p_grant) begin
      go = 1'b1;
      issue_read();
    end

    // The walker
    ws_n = ws;
    unique case (ws)
      WIdle: begin
        idle_left--;
        if (idle_left <= 0) begin
          ws_n = WDecode;
          dec_left = ($urandom_range(2) == 0) ? $urandom_range(3, 1) : 0;
        end
      end
      WDecode: begin
        if (dec_left == 0) begin
          do_start();
          ws_n = WDptr;
        end else begin
          dec_left--;
        end
      end
      WDptr: begin
        if (own_err) ws_n = WEnd;
        else do_enter(0, cur.dptr.address, cur.dptr.length, cur.dptr.identifier[7:4] == 4'h3);
      end
      WDesc: begin
        if (own_err) begin
          ws_n = WEnd;
        end else if (desc_ready) begin
          idx = (cur.slen[wseg] - seg_left) / 16;
          exp_d = get_desc(cur.saddr[wseg] + 64'(16 * idx));
          n_desc++;
          if (desc != exp_d) begin
            err($sformatf("segment %0d descriptor %0d: desc_o %h, want %h", wseg, idx, desc, exp_d));
          end
          if (desc_wraps != wraps(exp_d.address, exp_d.length) || desc_over != (exp_d.length > rem_q) ||
              desc_zero != (exp_d.length == '0)) begin
            err($sformatf("segment %0d descriptor %0d: flags wraps %0d over %0d zero %0d (length %0d, rem %0d)",
                          wseg, idx, desc_wraps, desc_over, desc_zero, exp_d.length, rem_q));
          end
          if (seg_left == 16 && !seg_last_q) begin
            if (seg_ptr_ok(exp_d.identifier, exp_d.length, exp_d.address)) begin
              do_consume();
              do_enter(wseg + 1, exp_d.address, exp_d.length, exp_d.identifier[7:4] == 4'h3);
            end else if (exp_d.identifier == 8'h00) begin
              n_bad_ptr++;
              data_desc_walk(exp_d.address, exp_d.length, 1'b1);
            end else begin
              n_bad_ptr++;
              ws_n = WEnd;                 // StSglSegment / StSglType: the job fails
            end
          end else begin
            data_desc_walk(exp_d.address, exp_d.length, seg_left == 16);
          end
        end
      end
      WMove: begin
        if (own_err) begin
          ws_n = WEnd;
        end else begin
          move_left--;
          if (move_left == 0) begin
            if (move_end) begin
              end_normal = 1'b1;
              ws_n = WEnd;
            end else begin
              do_consume();
            end
          end
        end
      end
      WErrPend: ws_n = WEnd;
      WEnd: begin
        // StDrain / StFinish: the job's own reads die (StFinish; none is out at the list's end),
        // the lookahead owner's too unless the next job's list is read ahead.
        foreach (rds[i]) begin
          if (!rds[i].lk && !rds[i].gone) begin
            if (end_normal) err("a read of the job is out at its list's end");
            rds[i].gone = 1'b1;
            any_gone = 1'b1;
          end
          if (rds[i].lk && kill_look) begin
            rds[i].gone = 1'b1;
            any_gone = 1'b1;
          end
        end
        if (end_normal) n_lists++;
        if (fj == FjCur) fj = FjNone;
        free_job(cur);
        n_jobs++;
        ws_n = WIdle;
        idle_left = ($urandom_range(1) == 0) ? 1 : $urandom_range(p_idle, 1);
      end
      default: ;
    endcase

    // The read-ahead dropped (an SQ refetch): its reads die, the next job fetches its list.
    if (drop_now) begin
      n_dropped++;
      foreach (rds[i]) begin
        if (rds[i].lk) begin
          rds[i].gone = 1'b1;
          any_gone = 1'b1;
        end
      end
      fj = FjNone;
      nxt.fseg = 0;
      nxt.foff = 0;
      pend_fail = 1'b0;
      model_xj = 1'b0;
    end
    prev_ahead_ok = ahead_ok;

    if (any_gone) begin
      for (int i = 0; i < rds.size(); i++) begin
        r = rds[i];
        if (!r.gone) keep.push_back(r);
      end
      rds = keep;
    end
    ws = ws_n;
  endtask

  // The phases: MRRS, jobs, read latency (min, max), % of cycles the RQ register is free, % of
  // data-moving cycles with fetch_i, the walker's longest usual Data Block time, lookahead read
  // failures per mille, SQ refetches per mille of cycles, % of moving cycles with ahead_ok_i (for
  // a job that qualifies), % of cycles a ready completion piece comes.
  localparam int NumPhases = 7;
  typedef struct packed {
    logic [12:0] mrrs;
    int          jobs, lat_min, lat_max, grant, fetch_pct, delay, fail_pm, drop_pm, aok, comp;
  } phase_t;
  localparam phase_t Phases [NumPhases] = '{
    //       MRRS  jobs lat      grant fetch delay fail drop aok comp
    '{13'd512, 400,   4,  20, 100,  70,   4,    0,   0,  90,  90},  // fast host
    '{13'd128, 400,   4,  80,  50,  50,   6,    0,   0,  90,  60},  // RQ register often busy
    '{13'd256, 250,  10, 250,  70,  60,   3,    0,   0,  90,  40},  // slow host
    '{13'd512, 400,   4,  60,  80,  60,  10,   40,   0,  90,  80},  // lookahead reads fail
    '{13'd128, 400,   4, 120, 100,  80,  10,    0,  12, 100,  70},  // read-aheads dropped
    '{13'd256, 300,   4,  40,  90,  20,  30,   30,   4,  70,  90},  // slow walker, failures, drops
    '{13'd512, 400,   4,  10, 100, 100,   0,    0,   0, 100, 100}   // walker at full speed
  };

  initial begin
    int          ph;
    bit          set;
    int unsigned j0, r0;
    foreach (ring_g[i]) ring_g[i] = -1;
    new_next();
    repeat (3) @(negedge clk);
    rst = 1'b0;
    // One loop, one step() (Verilator inlines tasks: each call site is a copy). The phase's
    // parameters change between jobs (the engine's MRRS comes from a configuration register).
    ph = 0;
    set = 1'b0;
    j0 = 0;
    r0 = 0;
    while (ph < NumPhases) begin
      if (!set && ws == WIdle) begin
        mrrs = Phases[ph].mrrs;
        p_lat_min = Phases[ph].lat_min;
        p_lat_max = Phases[ph].lat_max;
        p_grant = Phases[ph].grant;
        p_fetch = Phases[ph].fetch_pct;
        p_delay = Phases[ph].delay;
        p_fail = Phases[ph].fail_pm;
        p_drop = Phases[ph].drop_pm;
        p_aok = Phases[ph].aok;
        p_comp = Phases[ph].comp;
        j0 = n_jobs;
        r0 = n_reads;
        set = 1'b1;
      end
      if (set && n_jobs - j0 >= Phases[ph].jobs) begin
        $display("phase %0d (MRRS %0d, latency %0d..%0d, grant %0d%%, failures %0d/1000, refetches %0d/1000): %0d jobs, %0d reads",
                 ph, Phases[ph].mrrs, Phases[ph].lat_min, Phases[ph].lat_max, Phases[ph].grant,
                 Phases[ph].fail_pm, Phases[ph].drop_pm, n_jobs - j0, n_reads - r0);
        ph++;
        set = 1'b0;
      end else begin
        step();
      end
    end
    if (n_look == 0 || n_used == 0 || n_dropped == 0 || n_fail_checked == 0 || n_bad_ptr == 0 ||
        n_over == 0 || n_wraps == 0 || n_zero == 0 || n_split4k == 0) begin
      $display("FAIL coverage: lookahead %0d, read-aheads used %0d dropped %0d, failures checked %0d, bad pointers %0d, over %0d, wraps %0d, zero %0d, 4 KiB splits %0d",
               n_look, n_used, n_dropped, n_fail_checked, n_bad_ptr, n_over, n_wraps, n_zero, n_split4k);
      errors++;
    end
    if (errors != 0) begin
      $fatal(1, "FAIL sgl_prefetch: %0d error(s)", errors);
    end
    $display("PASS sgl_prefetch: %0d jobs (%0d lists walked to the end, %0d ended without a valid chaining pointer, %0d on a length over rem_i, %0d on a wrap), %0d descriptors checked (%0d zero length), %0d reads (%0d up to a 4 KiB boundary) in %0d completion pieces, %0d lookahead segments followed and %0d entered, %0d read-aheads started, %0d used, %0d dropped, %0d lookahead read failures (%0d checked at the walker's enter, %0d failing the job at once), %0d cycles",
             n_jobs, n_lists, n_bad_ptr, n_over, n_wraps, n_desc, n_zero, n_reads, n_split4k,
             n_pieces, n_look, n_look_enter, n_tried, n_used, n_dropped, n_fail, n_fail_checked,
             n_fail_now, cycle);
    $finish;
  end
  /* verilator lint_on BLKSEQ */

endmodule

`default_nettype wire
