// SPDX-License-Identifier: MIT OR Apache-2.0
// Unit test of peerbar_dma_push_mover (run: bash hw/test/run.sh push_mover). The bench plays
// what surrounds the mover in peerbar_dma_engine:
// - BAR2: a peerbar_bar2_mem of 16 KiB with random contents (port B read by the mover's rows,
//   port A rewriting random rows between jobs, as the completer may);
// - the job unit running PUSH jobs (states StDesc, StPushSetup, StPushPrime, StPushBeats):
//   each job a list of 1..6 Data Blocks (any 64-bit address and byte alignment, 1 byte to
//   5 KiB, some of length 0, which the walker skips) whose payload lies back to back in BAR2
//   from any byte offset (some starting below byte 19, where the first chunk's rows wrap round
//   BAR2's end, some ending at BAR2's last byte); MPS 128, 256 or 512 per job. The plan's
//   inputs are the job unit's registers, moved as the engine moves them: the walker's
//   descriptor (plan_from_desc_i in StDesc and while the Data Block's rest is 0), ready after a
//   random time (garbage and plan_chg_i every cycle until then), the Data Block's rest and
//   the BAR2 pointer taken from plan_next_addr_o / plan_rest_o / plan_next_ptr_o at each load;
//   the candidate not chosen changes at random without plan_chg_i (as the engine's may);
//   plan_chg_i also at random in other cycles. A packet is loaded only with plan_ok_o (from
//   StDesc at once or after going to StPushSetup), with BAR2 read in the load cycle, the prime
//   cycle and each beat taken (StDesc reads in every cycle); chained (load_i with the last beat
//   taken) when the second-to-last beat was taken with can_chain_o, plan_ok_o and a next packet
//   there (the same Data Block's rest, or the next Data Block's descriptor ready and the
//   engine's next_ok, random), and plan_ok_o at the last beat; ready_i random (50..100 % by
//   phase), in every cycle.
// Checks at every clock edge, against references written from the rules:
// - each packet, as it is loaded: its bus address is the next byte of the job's Data Block and
//   its BAR2 offset that byte's; its length is as PCI Express (Base Specification 2.2.7) and
//   peerbar's split allow: the rest of the Data Block, or up to the end of the MPS-aligned
//   block holding its address, whichever is less (so at most MPS bytes and MPS / 4 DWORDs,
//   never across 4 KiB, every split on an MPS boundary: peerbar_dma_tlp_pkg's split_at), so
//   the packets cover each Data Block exactly, in order;
// - plan outputs, in every cycle with plan_ok_o: the packet of the chosen candidate (address,
//   last, next address, rest, next BAR2 offset); plan_ok_o itself is 1 exactly when plan_chg_i
//   was 0 at the edge before;
// - each beat offered: the descriptor in beat 0's low 16 bytes (PG213 "Requester Request
//   Descriptor Format for Memory Requests", literal bit ranges: DWORD address, DWORD count,
//   request type MemWr, all else 0); every payload lane (byte 16 + addr % 4 + j of the TLP is
//   payload byte j) equal to BAR2's byte ptr + j; keep_o (all ones but in the last beat: the
//   DWORDs that carry descriptor or payload); last_o exactly on the last beat, at2_o exactly on
//   the second-to-last, beats = ceil((16 + 4 * DWORDs) / 32); be_o (PCIe First/Last DW BE
//   rules: a one-DWORD packet has Last BE 0000b); len_o; pl_off_o (lane i is payload byte
//   pl_off_o + i, modulo 2**(B+2)) and pl_lo_o..pl_hi_o exactly the payload lanes;
//   can_chain_o exactly when the packet has 2 beats or more and no kept lane of its last beat
//   lies in the BAR2 chunk after the last beat's own (chunks: 8 DWORDs from the one holding
//   TLP lane 0's byte, as the mover reads them);
// - while a beat is not taken, everything about it holds (data, keep, last, be, ...); data_o is
//   0 with no beat offered (what the RTL drives; only an offered beat is used);
// - coverage (the run fails if any never happened): each MPS, splits at MPS and at 4 KiB,
//   1-beat and 1-DWORD packets, every last-beat keep, all 4 x 4 combinations of addr % 4 and
//   ptr % 4, chaining within a Data Block and into the next, packets that could not chain,
//   chaining declined for plan_ok_o = 0, ready stalls on a single beat and on the first,
//   middle, second-to-last and last beat and on a chained packet's first, cycles with
//   plan_ok_o = 0, addresses above 4 GiB, BAR2 wrap of the first chunk and a payload ending
//   at BAR2's end.
// Simplified against the engine: no aborts or errors; the walker always moves past a Data
// Block's descriptor as its last packet is loaded. A descriptor, once ready, stays ready (the
// engine's ring keeps it), so the plan's inputs never change between the chaining decision
// and the chained load. The mover relies on that (a plan that changed and settled again while
// the last beat waited would be loaded with the old plan's first chunk), and the job unit
// also drops its decision in any cycle without plan_ok_o, as this bench does.

`default_nettype none

module tb;

  import peerbar_pkg::*;   // tlp_bytes_t

  localparam int unsigned B = 14;                 // BAR2 of 16 KiB
  localparam int unsigned RowW = B - 5;
  localparam int unsigned Rows = 2 ** RowW;
  localparam int Bar2Bytes = 2 ** B;

  logic                 clk = 1'b0;
  logic                 rst = 1'b1;
  tlp_bytes_t           mps = 13'd128;
  logic                 plan_en = 1'b0, from_desc = 1'b0, plan_chg = 1'b0;
  logic [63:0]          desc_addr = '0, blk_addr = '0;
  logic [31:0]          desc_len = '0, blk_len = '0;
  logic [B-1:0]         ptr = '0;
  logic                 plan_ok, plan_last;
  logic [63:0]          plan_addr, plan_next_addr;
  logic [31:0]          plan_rest;
  logic [B-1:0]         plan_next_ptr;
  logic                 load = 1'b0, prime = 1'b0, beats = 1'b0, ready = 1'b0;
  logic [7:0][RowW-1:0] rd_row;
  logic [7:0][31:0]     rd_data;
  logic [255:0]         data;
  logic [7:0]           keep, be;
  logic                 last, at2, can_chain;
  tlp_bytes_t           len;
  logic [B+1:0]         pl_off;
  logic [4:0]           pl_lo, pl_hi;

  peerbar_dma_push_mover #(.Bar2SizeLog2 (B)) dut (
    .clk_i            (clk),
    .rst_i            (rst),
    .mps_i            (mps),
    .plan_en_i        (plan_en),
    .plan_from_desc_i (from_desc),
    .desc_addr_i      (desc_addr),
    .desc_len_i       (desc_len),
    .blk_addr_i       (blk_addr),
    .blk_len_i        (blk_len),
    .ptr_i            (ptr),
    .plan_chg_i       (plan_chg),
    .plan_ok_o        (plan_ok),
    .plan_addr_o      (plan_addr),
    .plan_last_o      (plan_last),
    .plan_next_addr_o (plan_next_addr),
    .plan_rest_o      (plan_rest),
    .plan_next_ptr_o  (plan_next_ptr),
    .load_i           (load),
    .prime_i          (prime),
    .beats_i          (beats),
    .ready_i          (ready),
    .rd_row_o         (rd_row),
    .rd_data_i        (rd_data),
    .data_o           (data),
    .keep_o           (keep),
    .last_o           (last),
    .be_o             (be),
    .len_o            (len),
    .at2_o            (at2),
    .can_chain_o      (can_chain),
    .pl_off_o         (pl_off),
    .pl_lo_o          (pl_lo),
    .pl_hi_o          (pl_hi)
  );

  // BAR2: port B as the engine drives it (the mover's rows, or other rows between jobs),
  // never written; port A writes random contents (the bench keeps a byte copy, bar2).
  logic [7:0][RowW-1:0] a_row = '0, other_rows = '0, b_row;
  logic [7:0][3:0]      a_be = '0;
  logic [7:0][31:0]     a_data = '0;
  logic [7:0][31:0]     unused_a_rd;
  logic                 b_rd_en = 1'b0, use_other_rows = 1'b1;
  logic [7:0]           bar2 [Bar2Bytes];
  assign b_row = use_other_rows ? other_rows : rd_row;

  peerbar_bar2_mem #(.Bar2SizeLog2 (B)) u_bar2 (
    .clk_i       (clk),
    .a_row_i     (a_row),
    .a_wr_be_i   (a_be),
    .a_wr_data_i (a_data),
    .a_rd_en_i   (1'b0),
    .a_rd_data_o (unused_a_rd),
    .b_row_i     (b_row),
    .b_wr_be_i   ('0),
    .b_wr_data_i ('0),
    .b_rd_en_i   (b_rd_en),
    .b_rd_data_o (rd_data)
  );

  // A testbench clock, models and counters, not logic: blocking assignments are what they
  // need.
  /* verilator lint_off BLKSEQ */
  always #5 clk = ~clk;

  int     errors = 0;
  longint cycle = 0;

  function automatic void err(input string s);
    $display("FAIL cycle %0d: %s", cycle, s);
    errors++;
    if (errors >= 10) $fatal(1, "FAIL push_mover: too many errors");
  endfunction

  // Port A writes bank b's DWORD at row r (at the next edge) and the copy now: the mover never
  // reads it before then.
  function automatic void bar2_write(input int r, input logic [7:0][3:0] bes);
    for (int b = 0; b < 8; b++) begin
      a_row[b] = RowW'(r);
      a_data[b] = $urandom;
      for (int i = 0; i < 4; i++) begin
        if (bes[b][i]) bar2[32 * r + 4 * b + i] = a_data[b][8 * i +: 8];
      end
    end
    a_be = bes;
  endfunction

  ////////////////
  // Reference  //
  ////////////////

  // A packet as the rules make it, from its Data Block's rest (xlen bytes at addr), the BAR2
  // offset of its first byte and MPS.
  typedef struct packed {
    logic [63:0]  addr;
    logic [31:0]  xlen;
    logic [B-1:0] ptr;
    logic [12:0]  len;        // payload bytes
    logic [10:0]  dwc;        // DWORD count
    logic [3:0]   fbe, lbe;   // first / last DW byte enables
    logic [127:0] desc;       // RQ descriptor
    logic [8:0]   beats;
    logic [7:0]   keep;       // the last beat's DWORD keep
    logic         can_chain;
  } pkt_t;

  function automatic pkt_t ref_pkt(input logic [63:0] addr, input logic [31:0] xlen,
                                   input logic [B-1:0] p, input tlp_bytes_t m);
    pkt_t            r;
    longint unsigned room, n, a, bytes, nb, ldw, rot;
    bit              beyond;
    r = '0;
    r.addr = addr;
    r.xlen = xlen;
    r.ptr  = p;
    // PCIe Base Specification 2.2.7: a MemWr's payload is at most MPS (in DWORDs, so an
    // unaligned one of MPS bytes would be too long) and does not cross a 4 KiB boundary.
    // peerbar splits a Data Block where the MPS-aligned block holding the address ends (MPS
    // divides 4096, so 4 KiB boundaries are among those).
    room = 64'(m) - (addr % 64'(m));
    n    = (64'(xlen) < room) ? 64'(xlen) : room;
    a    = 64'(addr[1:0]);
    r.len = 13'(n);
    r.dwc = 11'((a + n + 3) / 4);
    // First/Last DW BE: the bytes of the first and of the last DWORD the payload covers (TLP
    // byte positions from the address's DWORD); a one-DWORD packet has Last DW BE 0000b.
    for (int q = 0; q < 4; q++) begin
      longint unsigned lpos;       // byte q of the last DWORD, from the address's DWORD
      lpos = 4 * (64'(r.dwc) - 1) + 64'(q);
      r.fbe[q] = 64'(q) >= a && 64'(q) < a + n;
      r.lbe[q] = r.dwc > 11'd1 && lpos < a + n;
    end
    // PG213 "Requester Request Descriptor Format for Memory Requests": Address Type 00b in
    // bits 1:0, address 63:2 in 63:2, DWORD count in 74:64, request type 0001b (memory write)
    // in 78:75; poisoned, requester ID, tag, completer ID, ID enable, TC, attributes and
    // force ECRC 0.
    r.desc[63:2]  = addr[63:2];
    r.desc[74:64] = r.dwc;
    r.desc[78:75] = 4'b0001;
    // The TLP on the 256-bit bus: the 16-byte descriptor, then the payload's DWORDs.
    bytes   = 16 + 4 * 64'(r.dwc);
    nb      = (bytes + 31) / 32;
    ldw     = (bytes - 32 * (nb - 1)) / 4;
    r.beats = 9'(nb);
    r.keep  = 8'((64'd1 << ldw) - 1);
    // The mover reads chunks of 8 DWORDs, the first from the DWORD holding the BAR2 byte of
    // TLP byte 0 (ptr - 16 - addr % 4): TLP byte t lies in chunk (rot + t) / 32. The next
    // packet may follow at once when the last beat's kept lanes need no chunk past its own.
    rot    = (64'(p) + 64'(Bar2Bytes) - 16 - a) % 4;
    beyond = 1'b0;
    for (longint unsigned i = 0; i < 4 * ldw; i++) begin
      if ((rot + 32 * (nb - 1) + i) / 32 > nb - 1) beyond = 1'b1;
    end
    r.can_chain = nb >= 2 && !beyond;
    // The rules, said once more on the result.
    if (n == 0 || 4 * 64'(r.dwc) > 64'(m) || 64'(addr[11:0]) + n > 4096) begin
      $fatal(1, "push_mover bench: reference packet %h + %0d (MPS %0d) breaks the rules", addr,
             n, m);
    end
    return r;
  endfunction

  // The plan outputs (in a cycle with plan_ok_o) against the packet of the chosen candidate.
  // (Of the packet, its address, its Data Block's rest, BAR2 offset and length.)
  function automatic void check_plan(input logic [63:0] addr, input logic [31:0] xlen,
                                     input logic [B-1:0] p, input logic [12:0] n);
    if (plan_addr != addr || plan_last != (32'(n) == xlen) ||
        plan_next_addr != addr + 64'(n) || plan_rest != xlen - 32'(n) ||
        plan_next_ptr != p + B'(n)) begin
      err($sformatf("plan of %h + %0d (BAR2 %0d, MPS %0d): addr %h last %0d next %h rest %0d next_ptr %0d, want %h %0d %h %0d %0d",
                    addr, xlen, p, mps, plan_addr, plan_last, plan_next_addr, plan_rest,
                    plan_next_ptr, addr, 32'(n) == xlen, addr + 64'(n), xlen - 32'(n),
                    p + B'(n)));
    end
  endfunction

  //////////////////////////
  // Jobs and the job unit //
  //////////////////////////

  typedef struct packed {
    logic [63:0]  addr;
    logic [31:0]  len;
    logic [B-1:0] ptr;   // BAR2 offset of its first byte
  } blk_t;
  blk_t        blks [$];             // the job's Data Blocks, in list order
  tlp_bytes_t  job_mps = 13'd128;

  typedef enum int { SIdle, SDesc, SSetup, SPrime, SBeats } st_e;
  st_e          st = SIdle;
  // The engine's registers: the Data Block's rest (x_addr_q, x_len_q, x_zero_q), ptr_q; the
  // walker's descriptor (index into blks; past the list: tail) and whether it is ready.
  logic [63:0]  x_addr = '0;
  logic [31:0]  x_len = '0;
  logic         x_zero = 1'b1;
  logic [B-1:0] ptr_q = '0;
  int           di = 0, d_wait = 0;
  bit           d_ready = 1'b0;
  logic [63:0]  tail_addr = '0;
  logic [31:0]  tail_len = '0;
  bit           chain_q = 1'b0;
  int           idle_left = 4;
  // The model: the Data Block being sent and its bytes loaded; the packet whose beats are
  // offered (or next) and the beat.
  int           cur = 0;
  longint       sent = 0;
  pkt_t         pk = '0;
  int           bk = 0;
  bit           pk_chained = 1'b0;
  // The cycle before: plan_chg_i, and the beat offered and not taken.
  bit           prev_chg = 1'b1, prev_stall = 1'b0;
  logic [255+8+1+8+13+1+1+(B+2)+5+5:0] held = '0;

  // Phase parameters: % of cycles ready_i, % of cycles the RQ register is free (a load may
  // go), % of chances the engine's next_ok allows chaining into the next Data Block, the
  // longest wait for a descriptor, spurious plan_chg_i per mille, Data Block sizes (0 small,
  // 1 mixed, 2 large).
  int p_ready = 100, p_grant = 100, p_next = 100, p_dwait = 2, p_chg = 0, p_size = 1;

  // Counts (coverage)
  int unsigned n_jobs = 0, n_pkts = 0, n_beats = 0, n_chain_in = 0, n_chain_x = 0;
  int unsigned n_plan_wait = 0, n_declined = 0, n_flag_dropped = 0, n_nochain_need = 0;
  int unsigned n_split4k = 0, n_splitmps = 0, n_one_beat = 0, n_one_dw = 0, n_high = 0;
  int unsigned n_wrap_lo = 0, n_top = 0, n_cant_chain = 0, n_skip = 0;
  int unsigned n_mps [3] = '{0, 0, 0};
  int unsigned n_combo [16];
  int unsigned n_keep [8];
  // Ready stalls: a single beat, the first, a middle one, the second-to-last (of 3 or more),
  // the last, a chained packet's first.
  int unsigned n_stall [6] = '{0, 0, 0, 0, 0, 0};

  function automatic logic [31:0] blk_len_gen();
    int r;
    r = $urandom_range(99);
    if (r < 5) return 32'd0;                                   // skipped by the walker
    if (p_size == 0 || r < 25) return 32'($urandom_range(20, 1));
    if (p_size == 1 && r < 60) return 32'($urandom_range(600, 21));
    if (p_size == 2 && r < 40) return 32'($urandom_range(5000, 3000));
    return 32'($urandom_range(2500, 1));
  endfunction

  // A bus address for a Data Block of l bytes: near a 4 KiB or MPS boundary, at any byte, low
  // or high in the 64-bit space (near 2^64 too), never wrapping past 2^64.
  function automatic logic [63:0] addr_gen(input logic [31:0] l);
    logic [63:0] a, mps_m1;
    int          r;
    r = $urandom_range(99);
    a = {$urandom, $urandom};
    mps_m1 = 64'(job_mps) - 64'd1;
    if (r < 40) begin
      a[63:32] = '0;                                               // below 4 GiB
    end else if (r < 60) begin
      a = (a | 64'hFFF) + 64'd1 - 64'($urandom_range(700, 1));     // just below a page's end
    end else if (r < 75) begin
      a = (a | mps_m1) + 64'd1 - 64'($urandom_range(40, 1));       // just below an MPS boundary
    end else if (r < 85) begin
      a = (a & ~64'hFFF) + 64'($urandom_range(3));                 // at a page's start
    end else if (r < 90) begin
      a = 64'd0 - 64'(l) - 64'($urandom_range(6000, 1));           // near 2^64
    end
    if (a > ~64'(l)) a = ~64'(l) - 64'($urandom_range(100));       // no wrap past 2^64
    return a;
  endfunction

  // A new job: MPS, Data Blocks, their BAR2 bytes back to back from a random offset.
  function automatic void new_job();
    int     n;
    longint total;
    logic [31:0] l;
    blk_t   bl;
    logic [B-1:0] p0;
    int     r;
    blks.delete();
    r = $urandom_range(2);
    job_mps = 13'(128 << r);
    n = $urandom_range(6, 1);
    total = 0;
    for (int k = 0; k < n; k++) begin
      l = blk_len_gen();
      if (total + longint'(l) > longint'(Bar2Bytes) - 1024) l = 32'($urandom_range(64, 1));
      if (total + longint'(l) > longint'(Bar2Bytes)) break;
      bl.addr = addr_gen(l);
      bl.len  = l;
      bl.ptr  = '0;
      blks.push_back(bl);
      total = total + longint'(l);
    end
    r = $urandom_range(99);
    if (r < 10) p0 = B'($urandom_range(18));                     // first chunk wraps
    else if (r < 20) p0 = B'(longint'(Bar2Bytes) - total);        // ends at BAR2's end
    else p0 = B'($urandom_range(32'(longint'(Bar2Bytes) - total)));
    ptr_q = p0;                                                   // the SQ entry's BAR2_OFFSET
    for (int k = 0; k < blks.size(); k++) begin
      blks[k].ptr = p0;
      p0 = p0 + B'(blks[k].len);
    end
    // The ring's descriptor past the list (a Data Block the engine will not take).
    tail_len  = 32'($urandom_range(100000, 1));
    tail_addr = addr_gen(tail_len);
    di = 0;
    d_ready = 1'b0;
    d_wait = $urandom_range(p_dwait);
    x_zero = 1'b1;
    x_len = '0;
    chain_q = 1'b0;
  endfunction

  // The walker moves on to the next descriptor (consume): ready at once or after a while.
  function automatic void walker_next();
    di++;
    d_ready = $urandom_range(2) == 0;
    d_wait = $urandom_range(p_dwait);
  endfunction

  // Load the planned packet (push_load): the engine's registers from the plan outputs.
  function automatic void do_load(input pkt_t w);
    longint unsigned a;
    if (from_desc) begin
      cur = di;
      sent = 0;
    end
    // The packet is the next bytes of the job's Data Block.
    if (w.addr != blks[cur].addr + 64'(sent) || w.xlen != blks[cur].len - 32'(sent) ||
        w.ptr != blks[cur].ptr + B'(sent)) begin
      err($sformatf("load of %h + %0d (BAR2 %0d): Data Block %0d's next bytes are %h + %0d (BAR2 %0d)",
                    w.addr, w.xlen, w.ptr, cur, blks[cur].addr + 64'(sent),
                    blks[cur].len - 32'(sent), blks[cur].ptr + B'(sent)));
    end
    load = 1'b1;
    x_addr = plan_next_addr;
    x_len = plan_rest;
    x_zero = plan_last;
    ptr_q = plan_next_ptr;
    sent = sent + longint'(w.len);
    if (plan_last) walker_next();
    pk = w;
    bk = 0;
    // Coverage
    a = 64'(w.addr[1:0]);
    n_pkts++;
    n_mps[(job_mps == 13'd128) ? 0 : (job_mps == 13'd256) ? 1 : 2]++;
    if (32'(w.len) != w.xlen) begin
      if (((w.addr + 64'(w.len)) & 64'hFFF) == '0) n_split4k++;
      else n_splitmps++;
    end
    if (w.beats == 9'd1) n_one_beat++;
    if (w.dwc == 11'd1) n_one_dw++;
    if (w.beats >= 9'd2 && !w.can_chain) n_cant_chain++;
    n_combo[4 * int'(a) + int'(w.ptr[1:0])]++;
    n_keep[$countones(w.keep) - 1]++;
    if (w.addr[63:32] != '0) n_high++;
    if (64'(w.ptr) < 16 + a) n_wrap_lo++;
    if (32'(w.ptr) + 32'(w.len) == 32'(Bar2Bytes)) n_top++;
  endfunction

  // The beat offered (beats_i): beat bk of packet pk.
  function automatic void check_beat();
    logic [255:0] want, mask;
    int           lo, hi, t, j, a;
    logic [B+1:0] want_off;
    string        what;
    want = '0;
    mask = '0;
    lo = -1;
    hi = -1;
    a = int'(pk.addr[1:0]);
    for (int i = 0; i < 32; i++) begin
      t = 32 * bk + i;               // the TLP's byte
      j = t - 16 - a;                // the payload's byte
      if (t < 16) begin
        want[8 * i +: 8] = pk.desc[8 * t +: 8];
        mask[8 * i +: 8] = 8'hFF;
      end else if (j >= 0 && j < int'(pk.len)) begin
        want[8 * i +: 8] = bar2[(int'(pk.ptr) + j) % Bar2Bytes];
        mask[8 * i +: 8] = 8'hFF;
        if (lo < 0) lo = i;
        hi = i;
      end
    end
    want_off = (B + 2)'(32 * bk - 16 - a);
    if ((data & mask) != (want & mask)) begin
      for (int i = 0; i < 32; i++) begin
        if ((data[8 * i +: 8] & mask[8 * i +: 8]) != want[8 * i +: 8]) begin
          what = (32 * bk + i < 16) ? "descriptor" : "payload";
          err($sformatf("packet %h + %0d (BAR2 %0d) beat %0d of %0d: lane %0d is %h, want %h (%s)",
                        pk.addr, pk.len, pk.ptr, bk, pk.beats, i, data[8 * i +: 8],
                        want[8 * i +: 8], what));
          break;
        end
      end
    end
    if (keep != ((bk == int'(pk.beats) - 1) ? pk.keep : 8'hFF) ||
        last != (bk == int'(pk.beats) - 1) || at2 != (bk == int'(pk.beats) - 2)) begin
      err($sformatf("packet %h + %0d beat %0d of %0d: keep %h last %0d at2 %0d, want %h %0d %0d",
                    pk.addr, pk.len, bk, pk.beats, keep, last, at2,
                    (bk == int'(pk.beats) - 1) ? pk.keep : 8'hFF, bk == int'(pk.beats) - 1,
                    bk == int'(pk.beats) - 2));
    end
    if (be != {pk.lbe, pk.fbe} || len != pk.len || can_chain != pk.can_chain) begin
      err($sformatf("packet %h + %0d (%0d DWORDs, BAR2 %0d, of a Data Block rest of %0d) beat %0d: be %h len %0d can_chain %0d, want %h %0d %0d",
                    pk.addr, pk.len, pk.dwc, pk.ptr, pk.xlen, bk, be, len, can_chain,
                    {pk.lbe, pk.fbe}, pk.len, pk.can_chain));
    end
    if (pl_off != want_off || int'(pl_lo) != lo || int'(pl_hi) != hi) begin
      err($sformatf("packet %h + %0d beat %0d of %0d: pl_off %0d lo %0d hi %0d, want %0d %0d %0d",
                    pk.addr, pk.len, bk, pk.beats, pl_off, pl_lo, pl_hi, want_off, lo, hi));
    end
  endfunction

  // One cycle: the job unit's registers drive the mover; then (settled) the checks and the
  // job unit's decisions, which move the model as the edge will.
  task automatic step();
    st_e         st_n;
    logic [63:0] sa;
    logic [31:0] sl;
    pkt_t        want;
    bit          next_there;
    @(negedge clk);
    cycle++;
    plan_en   = st != SIdle;
    from_desc = st == SDesc || x_zero;
    if (!d_ready) begin
      desc_addr = {$urandom, $urandom};        // the ring's copy is not there yet
      desc_len  = $urandom;
    end else if (di < blks.size()) begin
      desc_addr = blks[di].addr;
      desc_len  = blks[di].len;
    end else begin
      desc_addr = tail_addr;
      desc_len  = tail_len;
    end
    blk_addr = x_addr;
    blk_len  = x_len;
    // The candidate not chosen may change without plan_chg_i.
    if (!from_desc && $urandom_range(99) < 30) begin
      desc_addr = {$urandom, $urandom};
      desc_len  = $urandom;
    end
    if (from_desc && $urandom_range(99) < 30) begin
      blk_addr = {$urandom, $urandom};
      blk_len  = $urandom;
    end
    ptr      = ptr_q;
    mps      = job_mps;
    prime    = st == SPrime;
    beats    = st == SBeats;
    ready    = $urandom_range(99) < p_ready;
    load     = 1'b0;
    plan_chg = 1'b0;
    b_rd_en  = 1'b0;
    use_other_rows = 1'b0;
    a_be     = '0;
    #1;

    // Checks
    sa = from_desc ? desc_addr : blk_addr;
    sl = from_desc ? desc_len : blk_len;
    want = '0;
    if (plan_en) begin
      if (plan_ok != !prev_chg) begin
        err($sformatf("plan_ok_o %0d after plan_chg_i %0d", plan_ok, prev_chg));
      end
      if (!plan_ok) n_plan_wait++;
      // (A Data Block's rest of 0, a skipped descriptor: no packet to plan.)
      if (plan_ok && sl != '0) begin
        want = ref_pkt(sa, sl, ptr, mps);
        check_plan(want.addr, want.xlen, want.ptr, want.len);
      end
    end
    if (beats) begin
      check_beat();
    end else if (data != '0) begin
      // (The RTL drives 0 here; the engine uses data_o only with beats_i.)
      err("data_o is not 0 with no beat offered");
    end
    // A beat not taken holds (all of it: the RQ stream's rule).
    if (prev_stall &&
        held != {data, keep, last, be, len, at2, can_chain, pl_off, pl_lo, pl_hi}) begin
      err($sformatf("packet %h + %0d beat %0d changed while not taken", pk.addr, pk.len, bk));
    end
    prev_stall = beats && !ready;
    held = {data, keep, last, be, len, at2, can_chain, pl_off, pl_lo, pl_hi};

    // The job unit
    st_n = st;
    unique case (st)
      SIdle: begin
        // Other jobs' BAR2 reads, the completer's writes.
        use_other_rows = 1'b1;
        for (int b = 0; b < 8; b++) other_rows[b] = RowW'($urandom);
        b_rd_en = $urandom_range(1) == 1;
        bar2_write($urandom_range(Rows - 1), 32'($urandom));
        idle_left--;
        if (idle_left <= 0) begin
          // StDecode: the plan's inputs change.
          new_job();
          plan_chg = 1'b1;
          st_n = SDesc;
        end
      end
      SDesc: begin
        b_rd_en = 1'b1;        // the plan's first chunk, in every StDesc cycle
        if (!d_ready) begin
          // Wait for the descriptor.
        end else if (di >= blks.size()) begin
          // The list ends: StDrain, then StIdle.
          n_jobs++;
          plan_chg = 1'b1;
          idle_left = ($urandom_range(3) == 0) ? $urandom_range(6, 2) : 1;
          st_n = SIdle;
        end else if (blks[di].len == '0) begin
          n_skip++;
          walker_next();       // a zero-length Data Block is skipped
          plan_chg = 1'b1;
        end else if (!plan_ok) begin
          // The first packet's plan is worked out.
        end else if ($urandom_range(99) < p_grant) begin
          do_load(want);       // the first packet starts at once
          st_n = SPrime;
        end else begin
          x_addr = desc_addr;  // on to StPushSetup with the Data Block
          x_len = desc_len;
          x_zero = 1'b0;
          cur = di;
          sent = 0;
          plan_chg = 1'b1;
          st_n = SSetup;
        end
      end
      SSetup: begin
        if (plan_ok && $urandom_range(99) < p_grant) begin
          b_rd_en = 1'b1;      // the packet's first chunk
          do_load(want);
          st_n = SPrime;
        end
      end
      SPrime: begin
        b_rd_en = 1'b1;        // its second chunk
        st_n = SBeats;
      end
      SBeats: begin
        // The engine drops its chaining decision in any cycle its plan is not ok (chain_d).
        if (chain_q && !plan_ok) begin
          chain_q = 1'b0;
          n_flag_dropped++;
        end
        if (!ready) begin
          if (pk.beats == 9'd1) n_stall[0]++;
          else if (bk == 0) n_stall[pk_chained ? 5 : 1]++;
          else if (bk == int'(pk.beats) - 1) n_stall[4]++;
          else if (bk == int'(pk.beats) - 2) n_stall[3]++;
          else n_stall[2]++;
        end else begin
          b_rd_en = 1'b1;      // the chunk after
          n_beats++;
          // A next packet: the Data Block's rest, or the next Data Block if next_ok.
          next_there = !x_zero || (d_ready && di < blks.size() && blks[di].len != '0 &&
                                   $urandom_range(99) < p_next);
          if (at2 && can_chain && next_there) begin
            if (plan_ok) chain_q = 1'b1;
            else n_declined++;
          end
          if (last) begin
            if (!can_chain && pk.beats >= 9'd2 && (!x_zero || di < blks.size())) begin
              n_nochain_need++;  // a next packet, which must wait for its prime cycle
            end
            if (chain_q && plan_ok) begin
              if (from_desc) n_chain_x++;
              else n_chain_in++;
              do_load(want);   // back to back: its first beat on the next cycle
              pk_chained = 1'b1;
            end else if (x_zero) begin
              plan_chg = 1'b1; // the Data Block is done: StDesc
              st_n = SDesc;
            end else begin
              st_n = SSetup;
            end
            chain_q = 1'b0;
          end else begin
            bk++;
          end
        end
      end
      default: ;
    endcase
    if (st_n != SBeats) pk_chained = 1'b0;
    // The descriptor arrives after d_wait cycles; until then its copy changes (StDesc or a Data
    // Block's rest of 0: the engine's n_chg).
    if (!d_ready) begin
      if (from_desc) plan_chg = 1'b1;
      if (d_wait == 0) d_ready = 1'b1;
      else d_wait--;
    end
    if (plan_en && $urandom_range(999) < p_chg) plan_chg = 1'b1;
    if (load) plan_chg = 1'b1;
    prev_chg = plan_chg;
    st = st_n;
  endtask

  // The phases: jobs, % ready, % RQ register free, % next_ok, descriptor wait, spurious
  // plan_chg_i per mille, Data Block sizes.
  localparam int NumPhases = 6;
  typedef struct packed {
    int jobs, ready, grant, next, dwait, chg, size;
  } phase_t;
  localparam phase_t Phases [NumPhases] = '{
    //  jobs ready grant next dwait chg size
    '{  1500,  100,  100, 100,    1,   0,   1},  // the engine at full speed
    '{  1500,   50,   70,  80,    3,  20,   1},  // RQ half ready
    '{  1500,   80,  100,  90,    2,  10,   0},  // small Data Blocks
    '{  1000,   90,   90, 100,    2,   5,   2},  // large Data Blocks
    '{  1500,   70,   50,  60,    6,  40,   1},  // slow walker, busy RQ register
    '{  1500,   95,  100, 100,    0,   0,   1}   // nearly full speed
  };

  initial begin
    int ph;
    int unsigned j0, p0, c0;
    bit set;
    foreach (n_combo[i]) n_combo[i] = 0;
    foreach (n_keep[i]) n_keep[i] = 0;
    // BAR2's contents, every row through port A.
    for (int r = 0; r < int'(Rows); r++) begin
      @(negedge clk);
      bar2_write(r, '1);
    end
    @(negedge clk);
    a_be = '0;
    rst = 1'b0;
    // One loop, one step() (Verilator inlines tasks: each call site is a copy). A phase's
    // parameters change between jobs.
    ph = 0;
    set = 1'b0;
    j0 = 0;
    p0 = 0;
    c0 = 0;
    while (ph < NumPhases) begin
      if (!set && st == SIdle) begin
        p_ready = Phases[ph].ready;
        p_grant = Phases[ph].grant;
        p_next = Phases[ph].next;
        p_dwait = Phases[ph].dwait;
        p_chg = Phases[ph].chg;
        p_size = Phases[ph].size;
        j0 = n_jobs;
        p0 = n_pkts;
        c0 = n_chain_in + n_chain_x;
        set = 1'b1;
      end
      if (set && st == SIdle && n_jobs - j0 >= Phases[ph].jobs) begin
        $display("phase %0d (ready %0d%%, RQ free %0d%%, next_ok %0d%%, spurious plan_chg %0d/1000): %0d jobs, %0d packets, %0d chained",
                 ph, Phases[ph].ready, Phases[ph].grant, Phases[ph].next, Phases[ph].chg,
                 n_jobs - j0, n_pkts - p0, n_chain_in + n_chain_x - c0);
        ph++;
        set = 1'b0;
      end else begin
        step();
      end
    end
    begin
      bit covered;
      covered = n_mps[0] != 0 && n_mps[1] != 0 && n_mps[2] != 0 && n_split4k != 0 &&
                n_splitmps != 0 && n_one_beat != 0 && n_one_dw != 0 && n_chain_in != 0 &&
                n_chain_x != 0 && n_cant_chain != 0 && n_nochain_need != 0 &&
                n_declined != 0 && n_flag_dropped != 0 && n_plan_wait != 0 && n_high != 0 &&
                n_wrap_lo != 0 && n_top != 0 && n_skip != 0;
      foreach (n_combo[i]) if (n_combo[i] == 0) covered = 1'b0;
      foreach (n_keep[i]) if (n_keep[i] == 0) covered = 1'b0;
      foreach (n_stall[i]) if (n_stall[i] == 0) covered = 1'b0;
      if (!covered) begin
        $display("FAIL coverage: MPS 128/256/512 %0d/%0d/%0d, splits at 4 KiB %0d at MPS %0d, 1-beat %0d, 1-DWORD %0d, chained within %0d across %0d, could not chain %0d (before a next packet %0d), declined for plan_ok_o %0d, chain flag dropped %0d, plan_ok_o = 0 cycles %0d, above 4 GiB %0d, first chunk wrapping %0d, ending at BAR2's end %0d, skipped %0d",
                 n_mps[0], n_mps[1], n_mps[2], n_split4k, n_splitmps, n_one_beat, n_one_dw,
                 n_chain_in, n_chain_x, n_cant_chain, n_nochain_need, n_declined, n_flag_dropped,
                 n_plan_wait, n_high, n_wrap_lo, n_top, n_skip);
        $display("  addr %% 4 x ptr %% 4 (4 * addr %% 4 + ptr %% 4): %p; last keep of 1..8 DWORDs: %p; ready stalls (single, first, middle, second-to-last, last, chained first): %p",
                 n_combo, n_keep, n_stall);
        errors++;
      end
    end
    if (errors != 0) begin
      $fatal(1, "FAIL push_mover: %0d error(s)", errors);
    end
    $display("  coverage: MPS 128/256/512 %0d/%0d/%0d packets, 1-DWORD %0d, above 4 GiB %0d, first chunk wrapping %0d, ending at BAR2's end %0d, zero-length skipped %0d, chain flag dropped for plan_ok_o %0d, plan_ok_o = 0 cycles %0d; ready stalls on a single beat %0d, first %0d, middle %0d, second-to-last %0d, last %0d, chained first %0d",
             n_mps[0], n_mps[1], n_mps[2], n_one_dw, n_high, n_wrap_lo, n_top, n_skip,
             n_flag_dropped, n_plan_wait, n_stall[0], n_stall[1], n_stall[2], n_stall[3],
             n_stall[4], n_stall[5]);
    $display("PASS push_mover: %0d jobs, %0d packets (%0d 1-beat, %0d splits at 4 KiB, %0d at MPS), %0d beats, %0d chained (%0d within a Data Block, %0d into the next), %0d that could not chain (%0d before a next packet), %0d chains declined for plan_ok_o, %0d cycles",
             n_jobs, n_pkts, n_one_beat, n_split4k, n_splitmps, n_beats,
             n_chain_in + n_chain_x, n_chain_in, n_chain_x, n_cant_chain, n_nochain_need,
             n_declined, cycle);
    $finish;
  end
  /* verilator lint_on BLKSEQ */

endmodule

`default_nettype wire
