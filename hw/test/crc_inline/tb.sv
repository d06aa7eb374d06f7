// SPDX-License-Identifier: MIT OR Apache-2.0
// Unit test of peerbar_dma_crc_inline (run: bash hw/test/run.sh crc_inline), with a 4 KiB BAR2
// (Bar2SizeLog2 = 12, so windows wrap) and 8 job slots. Every CRC is checked against a
// bit-serial CRC32C of the job's N bytes in BAR2 order, bytes never passed counting as zeros:
// - the catalogue check value "123456789" -> E3069283h, in one payload beat (lanes 16..24)
//   and through BAR2 writes;
// - jobs split into random packets, each delivered as BAR2 writes (rotated 32-byte windows of
//   8 one-DWORD banks, as peerbar_dma_rc writes them: bank b of window start DWORD w at row
//   (w >> 3) + (b < w % 8), byte enables only on the packet's bytes, garbage elsewhere; the
//   first window may start up to 7 DWORDs below the packet) or as payload beats (lanes lo..hi
//   at place pl_pos_i + lane, the first beat of a packet at lane 16..19 as a PCIe payload has
//   it, or anywhere; pl_pos_i negative where lane 0 is before the job), or a mix;
// - directed edges: jobs at BAR2 offset 0 whose first window starts below BAR2 byte 0 (the low
//   banks' row wraps to the last row), jobs ending exactly at the end of BAR2, jobs of the
//   whole BAR2, length 0 (CRC 0), jobs with gaps and jobs without any beat;
// - a few thousand random jobs with up to 8 in flight, beats shuffled across and within jobs,
//   random idle cycles, random start times (a slot restarts only when the bench has seen it
//   not busy and checked it);
// - slots that do not want a CRC (start_en_i = 0): busy_o stays low and crc_o does not move
//   while their beats pass;
// - busy_o: high the cycle after a start that wants a CRC and after every beat taken; the CRC
//   is read only once busy_o is low, and must then stay unchanged (and busy_o low) until the
//   slot starts again; busy_o falls within 40 cycles of the job's last input (or of its start),
//   alone or under load (the initial-value terms have their own ladder: they wait for
//   nothing).

`default_nettype none

module tb;

  localparam int unsigned B       = 12;
  localparam int unsigned NJ      = 8;
  localparam int unsigned JW      = $clog2(NJ);
  localparam int unsigned RowW    = B - 5;
  localparam int unsigned Rows    = 1 << RowW;
  localparam int unsigned Bar2    = 1 << B;
  localparam int unsigned MaxLat  = 40;
  localparam int unsigned Jobs    = 3000;
  localparam logic [31:0] Poly    = 32'h82F6_3B78;

  logic                    clk = 1'b0;
  logic                    rst = 1'b1;
  logic                    start = 1'b0, start_en = 1'b0;
  logic [JW-1:0]           start_slot = '0;
  logic [B-1:0]            start_base = '0;
  logic [B:0]              start_len = '0;
  logic                    wr_valid = 1'b0;
  logic [JW-1:0]           wr_slot = '0;
  logic [7:0][RowW-1:0]    wr_row = '0;
  logic [7:0][31:0]        wr_data = '0;
  logic [7:0][3:0]         wr_be = '0;
  logic                    pl_valid = 1'b0;
  logic [JW-1:0]           pl_slot = '0;
  logic [B+1:0]            pl_pos = '0;
  logic [255:0]            pl_data = '0;
  logic [4:0]              pl_lo = '0, pl_hi = '0;
  logic [NJ-1:0]           busy;
  logic [NJ-1:0][31:0]     crc;

  peerbar_dma_crc_inline #(.Bar2SizeLog2 (B), .NumJobs (NJ)) dut (
    .clk_i        (clk),
    .rst_i        (rst),
    .start_i      (start),
    .start_slot_i (start_slot),
    .start_en_i   (start_en),
    .start_base_i (start_base),
    .start_len_i  (start_len),
    .wr_valid_i   (wr_valid),
    .wr_slot_i    (wr_slot),
    .wr_row_i     (wr_row),
    .wr_data_i    (wr_data),
    .wr_be_i      (wr_be),
    .pl_valid_i   (pl_valid),
    .pl_slot_i    (pl_slot),
    .pl_pos_i     (pl_pos),
    .pl_data_i    (pl_data),
    .pl_lo_i      (pl_lo),
    .pl_hi_i      (pl_hi),
    .busy_o       (busy),
    .crc_o        (crc)
  );

  // A testbench's clock and bookkeeping are blocking assignments in timed processes; the style
  // warning is for synthesizable RTL.
  /* verilator lint_off BLKSEQ */
  always #5 clk = !clk;

  // One input beat, as the bench queues it.
  typedef struct packed {
    logic                 wr;
    logic [7:0][RowW-1:0] row;
    logic [7:0][3:0]      be;
    logic [B+1:0]         pos;
    logic [4:0]           lo;
    logic [4:0]           hi;
    logic [255:0]         data;
  } beat_t;

  // A job to run: mode 0 BAR2 writes, 1 payload beats, 2 a mix per packet; k >= 0 puts every
  // packet's first window k DWORDs below the packet's first DWORD, k < 0 picks one per packet.
  typedef struct packed {
    int  base;
    int  len;
    bit  en;
    int  mode;
    int  k;
    bit  gaps;
    bit  inorder;
  } job_t;

  // The CRC32C of the bytes, one bit at a time: the definition the module must match.
  function automatic logic [31:0] crc_ref(input byte unsigned bytes[$]);
    logic [31:0] c;
    c = 32'hFFFF_FFFF;
    foreach (bytes[i]) begin
      c = c ^ {24'd0, bytes[i]};
      for (int b = 0; b < 8; b++) begin
        c = (c >> 1) ^ (c[0] ? Poly : 32'd0);
      end
    end
    return ~c;
  endfunction

  // Per slot: 0 idle (a result, if any, is held and checked every cycle), 1 sending, 2 sent
  // (waiting for busy_o to fall).
  localparam int Idle = 0, Sending = 1, Draining = 2;
  int              st[NJ];
  beat_t           bq[NJ][$];
  job_t            job_of[NJ];
  bit              inorder_of[NJ];
  bit              has_result[NJ];
  logic [31:0]     want[NJ];
  bit              held_valid[NJ];      // en = 0: crc_o seen after the start
  logic [31:0]     held[NJ];
  int unsigned     since[NJ];
  job_t            todo[$];

  // Checker state and counts.
  longint unsigned cycle = 0;
  int              beat_slot = -1, start_slot_d = -1;
  bit              beat_en = 1'b0, start_en_d = 1'b0;
  bit              strict = 1'b0;
  int unsigned     n_crc = 0, n_zero_len = 0, n_en0 = 0, n_wr = 0, n_pl = 0, n_below0 = 0;
  int unsigned     n_gap_jobs = 0, n_end_jobs = 0, n_base0_jobs = 0, n_busy_checks = 0;
  int unsigned     max_lat = 0, max_lat_load = 0, max_conc = 0;

  function automatic logic [255:0] rnd256();
    return {$urandom(), $urandom(), $urandom(), $urandom(),
            $urandom(), $urandom(), $urandom(), $urandom()};
  endfunction

  // Idle inputs: valid low, garbage everywhere else.
  task automatic garbage();
    start      = 1'b0;
    start_en   = 1'($urandom());
    start_slot = JW'($urandom());
    start_base = B'($urandom());
    start_len  = (B + 1)'($urandom());
    wr_valid   = 1'b0;
    wr_slot    = JW'($urandom());
    for (int b = 0; b < 8; b++) wr_row[b] = RowW'($urandom());
    wr_data    = rnd256();
    wr_be      = $urandom();
    pl_valid   = 1'b0;
    pl_slot    = JW'($urandom());
    pl_pos     = (B + 2)'($urandom());
    pl_data    = rnd256();
    pl_lo      = 5'($urandom());
    pl_hi      = 5'($urandom());
  endtask

  // Only the low bits of a slot number index anything.
  /* verilator lint_off UNUSEDSIGNAL */
  // The beats of job bytes [p0, p1) as BAR2 writes, the first window k DWORDs below the
  // packet's first DWORD (below BAR2 byte 0 if the packet starts there: rows wrap).
  task automatic wr_packet(input int s, input int base, input byte unsigned mem[$],
                           input int p0, input int p1, input int k);
    int a0, a1, w;
    beat_t bt;
    a0 = base + p0;
    a1 = base + p1;
    w  = (a0 >>> 2) - k;
    while (4 * w < a1) begin
      bt      = '0;
      bt.wr   = 1'b1;
      bt.data = rnd256();
      for (int i = 0; i < 8; i++) begin
        int d, bank;
        d    = w + i;
        bank = d & 7;
        bt.row[bank] = RowW'((d >>> 3) & (Rows - 1));
        for (int y = 0; y < 4; y++) begin
          int addr;
          addr = 4 * d + y;
          if (addr >= a0 && addr < a1) begin
            bt.be[bank][y] = 1'b1;
            bt.data[32*bank+8*y +: 8] = mem[addr-base];
          end
        end
      end
      bq[s].push_back(bt);
      n_below0 += (w < 0) ? 1 : 0;
      w += 8;
    end
  endtask

  // The beats of job bytes [p0, p1) as payload beats: the first at lane lane0, the next ones
  // full; or (scatter) each beat a random run of up to 32 bytes at a random lane.
  task automatic pl_packet(input int s, input byte unsigned mem[$], input int p0, input int p1,
                           input bit scatter);
    beat_t bt;
    int p, lo, hi, pos, run;
    p = p0;
    lo = ($urandom_range(1) != 0) ? 16 + $urandom_range(3) : $urandom_range(31);
    while (p < p1) begin
      if (scatter) begin
        run = $urandom_range(1, 32);
        if (run > p1 - p) run = p1 - p;
        lo = $urandom_range(32 - run);
      end
      pos = p - lo;
      hi  = (p1 - 1 - pos > 31) ? 31 : p1 - 1 - pos;
      bt      = '0;
      bt.wr   = 1'b0;
      bt.pos  = (B + 2)'(pos);
      bt.lo   = 5'(lo);
      bt.hi   = 5'(hi);
      bt.data = rnd256();
      for (int j = lo; j <= hi; j++) bt.data[8*j +: 8] = mem[pos+j];
      bq[s].push_back(bt);
      p  = pos + hi + 1;
      lo = 0;
    end
  endtask

  /* verilator lint_on UNUSEDSIGNAL */

  // Makes the job's beats and its CRC, and drives its start.
  task automatic launch(input int s, input job_t j);
    byte unsigned mem[$];
    int p, p1, size, mode, k;
    bit drop;
    mem = {};
    repeat (j.len) mem.push_back(8'($urandom()));
    bq[s] = {};
    p = 0;
    while (p < j.len) begin
      case ($urandom_range(2))
        0:       size = $urandom_range(1, 8);
        1:       size = $urandom_range(1, 64);
        default: size = $urandom_range(1, 300);
      endcase
      p1   = (p + size > j.len) ? j.len : p + size;
      drop = j.gaps && $urandom_range(4) == 0;
      mode = (j.mode == 2) ? $urandom_range(1) : j.mode;
      k    = (j.k >= 0) ? j.k : (($urandom_range(9) < 6) ? 0 : $urandom_range(7));
      if (drop) begin
        for (int i = p; i < p1; i++) mem[i] = 8'd0;
      end else if (mode == 0) begin
        wr_packet(s, j.base, mem, p, p1, k);
      end else begin
        pl_packet(s, mem, p, p1, $urandom_range(3) == 0);
      end
      p = p1;
    end
    job_of[s]     = j;
    inorder_of[s] = j.inorder;
    want[s]       = crc_ref(mem);
    has_result[s] = 1'b0;
    held_valid[s] = 1'b0;
    since[s]      = 0;
    if (j.len == 0 && want[s] !== 32'd0) $fatal(1, "FAIL: the reference of no bytes is not 0");
    n_zero_len += (j.len == 0) ? 1 : 0;
    n_en0      += j.en ? 0 : 1;
    n_gap_jobs += j.gaps ? 1 : 0;
    n_end_jobs += (j.len > 0 && j.base + j.len == int'(Bar2)) ? 1 : 0;
    n_base0_jobs += (j.base == 0) ? 1 : 0;
    start      = 1'b1;
    start_slot = JW'(s);
    start_en   = j.en;
    start_base = B'(j.base);
    start_len  = (B + 1)'(j.len);
    start_slot_d = s;
    start_en_d   = j.en;
    st[s] = (bq[s].size() != 0) ? Sending : (j.en ? Draining : Idle);
    has_result[s] = (st[s] == Idle);
  endtask

  task automatic drive_beat(input int s, input beat_t bt);
    if (bt.wr) begin
      wr_valid = 1'b1;
      wr_slot  = JW'(s);
      wr_row   = bt.row;
      wr_be    = bt.be;
      wr_data  = bt.data;
      n_wr++;
    end else begin
      pl_valid = 1'b1;
      pl_slot  = JW'(s);
      pl_pos   = bt.pos;
      pl_lo    = bt.lo;
      pl_hi    = bt.hi;
      pl_data  = bt.data;
      n_pl++;
    end
    beat_slot = s;
    beat_en   = job_of[s].en;
  endtask

  function automatic string job_str(input int s);
    return $sformatf("slot %0d base %0d len %0d en %0d mode %0d k %0d gaps %0d", s,
                     job_of[s].base, job_of[s].len, job_of[s].en, job_of[s].mode, job_of[s].k,
                     job_of[s].gaps);
  endfunction

  // After the clock edge that took the inputs: the checks.
  task automatic tick();
    @(negedge clk);
    cycle++;
    if (start_slot_d >= 0) begin
      n_busy_checks++;
      if (busy[start_slot_d] !== start_en_d) begin
        $fatal(1, "FAIL cycle %0d: busy %b the cycle after the start of %s", cycle,
               busy[start_slot_d], job_str(start_slot_d));
      end
    end
    if (beat_slot >= 0) begin
      n_busy_checks++;
      if (busy[beat_slot] !== beat_en) begin
        $fatal(1, "FAIL cycle %0d: busy %b the cycle after a beat of %s", cycle,
               busy[beat_slot], job_str(beat_slot));
      end
    end
    for (int s = 0; s < NJ; s++) begin
      if (!job_of[s].en && (st[s] == Sending || has_result[s])) begin
        if (busy[s] !== 1'b0) begin
          $fatal(1, "FAIL cycle %0d: busy high for %s", cycle, job_str(s));
        end
        if (!held_valid[s]) begin
          held[s]       = crc[s];
          held_valid[s] = 1'b1;
        end else if (crc[s] !== held[s]) begin
          $fatal(1, "FAIL cycle %0d: crc %08h moved (was %08h) for %s", cycle, crc[s], held[s],
                 job_str(s));
        end
      end else if (st[s] == Draining) begin
        since[s]++;
        if (busy[s] === 1'b0) begin
          if (crc[s] !== want[s]) begin
            $fatal(1, "FAIL cycle %0d: %s: got %08h, want %08h", cycle, job_str(s), crc[s],
                   want[s]);
          end
          n_crc++;
          if (strict && since[s] > max_lat) max_lat = since[s];
          if (since[s] > max_lat_load) max_lat_load = since[s];
          st[s]         = Idle;
          has_result[s] = 1'b1;
        end else if (busy[s] !== 1'b1 || since[s] > MaxLat) begin
          $fatal(1, "FAIL cycle %0d: busy %b %0d cycles after the last input of %s",
                 cycle, busy[s], since[s], job_str(s));
        end
      end else if (has_result[s]) begin
        if (busy[s] !== 1'b0 || crc[s] !== want[s]) begin
          $fatal(1, "FAIL cycle %0d: after the result, busy %b crc %08h (want %08h) for %s",
                 cycle, busy[s], crc[s], want[s], job_str(s));
        end
      end
    end
    beat_slot    = -1;
    start_slot_d = -1;
  endtask

  function automatic int n_active();
    int n;
    n = 0;
    for (int s = 0; s < NJ; s++) n += (st[s] != Idle) ? 1 : 0;
    return n;
  endfunction

  // Runs the jobs of todo, at most conc at a time, a beat in (100 - idle_pct) % of cycles.
  task automatic run(input int conc, input int idle_pct, input int start_pct);
    int s, i, tries, started;
    beat_t bt;
    while (todo.size() != 0 || n_active() != 0) begin
      garbage();
      started = -1;
      if (todo.size() != 0 && n_active() < conc && $urandom_range(99) < start_pct) begin
        s = $urandom_range(NJ - 1);
        for (tries = 0; tries < NJ && st[s] != Idle; tries++) s = (s + 1) % NJ;
        if (st[s] == Idle) begin
          launch(s, todo.pop_front());
          started = s;
          if (n_active() > int'(max_conc)) max_conc = n_active();
        end
      end
      if ($urandom_range(99) >= idle_pct) begin
        s = $urandom_range(NJ - 1);
        for (tries = 0; tries < NJ && !(st[s] == Sending && s != started); tries++) begin
          s = (s + 1) % NJ;
        end
        if (st[s] == Sending && s != started) begin
          i  = inorder_of[s] ? 0 : $urandom_range(bq[s].size() - 1);
          bt = bq[s][i];
          bq[s].delete(i);
          drive_beat(s, bt);
          if (bq[s].size() == 0) begin
            st[s]         = job_of[s].en ? Draining : Idle;
            has_result[s] = !job_of[s].en;
            since[s]      = 0;
          end
        end
      end
      tick();
    end
  endtask

  function automatic job_t mk(input int base, input int len, input bit en, input int mode,
                              input int k, input bit gaps, input bit inorder);
    job_t j;
    j.base = base;
    j.len = len;
    j.en = en;
    j.mode = mode;
    j.k = k;
    j.gaps = gaps;
    j.inorder = inorder;
    return j;
  endfunction

  function automatic job_t rnd_job();
    int r, len, base;
    r = $urandom_range(99);
    len = ($urandom_range(9) < 3) ? $urandom_range(1, 40) : $urandom_range(1, 600);
    if (r < 3) begin
      len  = 0;
      base = $urandom_range(Bar2 - 1);
    end else if (r < 13) begin
      base = 0;
    end else if (r < 23) begin
      base = Bar2 - len;
    end else begin
      base = $urandom_range(Bar2 - len);
    end
    r = $urandom_range(9);
    return mk(base, len, $urandom_range(19) != 0, (r < 4) ? 0 : (r < 8) ? 1 : 2, -1,
              $urandom_range(9) == 0, $urandom_range(4) == 0);
  endfunction

  initial begin
    byte unsigned check[$];
    beat_t bt;
    check = {"1", "2", "3", "4", "5", "6", "7", "8", "9"};
    if (crc_ref(check) !== 32'hE306_9283) begin
      $fatal(1, "FAIL: the reference itself is wrong: %08h", crc_ref(check));
    end
    for (int s = 0; s < NJ; s++) begin
      st[s]         = Idle;
      has_result[s] = 1'b0;
      job_of[s]     = mk(0, 0, 1'b1, 0, 0, 1'b0, 1'b0);
    end
    garbage();
    repeat (3) @(negedge clk);
    rst = 1'b0;
    garbage();
    @(negedge clk);

    // The check value, one payload beat: lanes 16..24, lane 0 at place -16.
    strict = 1'b1;
    garbage();
    launch(3, mk(100, 9, 1'b1, 1, 0, 1'b0, 1'b0));
    bt      = '0;
    bt.pos  = (B + 2)'(-16);
    bt.lo   = 5'd16;
    bt.hi   = 5'd24;
    bt.data = rnd256();
    for (int j = 0; j < 9; j++) bt.data[8*(16+j) +: 8] = check[j];
    bq[3]   = {};
    bq[3].push_back(bt);
    want[3] = 32'hE306_9283;
    tick();
    run(1, 0, 100);
    if (crc[3] !== 32'hE306_9283) $fatal(1, "FAIL: check value %08h", crc[3]);
    // The same through BAR2 writes, at a window 3 DWORDs below the first byte's.
    garbage();
    launch(5, mk(1234, 9, 1'b1, 0, 0, 1'b0, 1'b0));
    bq[5] = {};
    wr_packet(5, 1234, check, 0, 9, 3);
    want[5] = 32'hE306_9283;
    tick();
    run(1, 0, 100);
    if (crc[5] !== 32'hE306_9283) $fatal(1, "FAIL: check value %08h", crc[5]);

    // Offset 0, first window up to 7 DWORDs below BAR2 byte 0 (the wraps case); and any
    // offset in the first 32 bytes.
    for (int base = 0; base < 32; base++) begin
      for (int k = 0; k < 8; k++) begin
        todo.push_back(mk(base, $urandom_range(1, 120), 1'b1, 0, k, 1'b0, k % 2 == 0));
      end
    end
    // The end of BAR2.
    for (int len = 1; len <= 70; len++) begin
      todo.push_back(mk(Bar2 - len, len, 1'b1, len % 3, -1, 1'b0, 1'b0));
    end
    // The whole BAR2, all ways; a job with no beat, one with only gaps; length 0 at the ends.
    for (int mode = 0; mode < 3; mode++) begin
      todo.push_back(mk(0, Bar2, 1'b1, mode, -1, 1'b0, 1'b0));
      todo.push_back(mk(0, Bar2, 1'b1, mode, 5, 1'b1, 1'b0));
    end
    todo.push_back(mk(0, Bar2, 1'b1, 0, 7, 1'b0, 1'b1));
    todo.push_back(mk(17, 300, 1'b1, 0, 0, 1'b1, 1'b0));
    todo.push_back(mk(0, 0, 1'b1, 0, 0, 1'b0, 1'b0));
    todo.push_back(mk(Bar2 - 1, 0, 1'b1, 1, 0, 1'b0, 1'b0));
    // Slots that want no CRC.
    for (int i = 0; i < 6; i++) begin
      todo.push_back(mk(0, $urandom_range(1, 200), 1'b0, i % 3, i, 1'b0, 1'b0));
    end
    run(1, 20, 100);
    // A job with no beat at all: the CRC of N zero bytes.
    garbage();
    launch(6, mk(40, 50, 1'b1, 0, 0, 1'b0, 1'b0));
    bq[6] = {};
    st[6] = Draining;
    check = {};
    repeat (50) check.push_back(8'd0);
    want[6] = crc_ref(check);
    tick();
    run(1, 0, 100);
    strict = 1'b0;

    // Random jobs, up to 8 in flight, in three loads.
    repeat (Jobs / 3) todo.push_back(rnd_job());
    run(NJ, 25, 40);
    repeat (Jobs / 3) todo.push_back(rnd_job());
    run(NJ, 5, 60);
    repeat (Jobs / 3) todo.push_back(rnd_job());
    run(NJ, 60, 20);
    // Let the held results be checked a little longer.
    repeat (20) begin
      garbage();
      tick();
    end

    $display("PASS crc_inline: %0d CRCs checked (%0d of length 0, %0d with gaps, %0d at offset 0, %0d ending at the end of BAR2), %0d jobs without CRC, %0d BAR2-write beats (%0d of windows starting below BAR2 byte 0), %0d payload beats, %0d busy checks after an input, up to %0d jobs in flight, busy fell at most %0d cycles after a lone job's last input (%0d under load), %0d cycles",
             n_crc, n_zero_len, n_gap_jobs, n_base0_jobs, n_end_jobs, n_en0, n_wr, n_below0,
             n_pl, n_busy_checks, max_conc, max_lat, max_lat_load, cycle);
    $finish;
  end

  /* verilator lint_on BLKSEQ */

endmodule

`default_nettype wire
