// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_dma_crc_inline: the CRC32C of each job's bytes as the job moves them (SQ entry
// FLAGS.CRC on PULL and PUSH), in BAR2 order, whatever order the bytes pass in.
//
// Contract: a job in slot s starts with start_i (its BAR2 offset and length N, and whether it
// wants a CRC: start_en_i). From then on every byte of the job passes once, through one of two
// inputs, with its place in the job:
// - wr_*: a write into BAR2 (PULL data, from peerbar_dma_rc): 8 banks of one DWORD, bank b at
//   BAR2 byte 32 * wr_row_i[b] + 4 * b; the rows are those of one rotated 32-byte window (banks
//   below the window's first bank are one row up), as peerbar_dma_rc writes them;
// - pl_*: an RQ payload beat (PUSH data): lanes pl_lo_i..pl_hi_i are job bytes pl_pos_i + lane.
// Bytes pass in any order and with gaps; at most one input is valid per cycle. busy_o[s] stays
// high while anything of slot s is still in the pipeline (from the cycle after its input);
// once it is low, crc_o[s] is the CRC32C (reflected polynomial 82F63B78h, initial value
// FFFFFFFFh, final XOR FFFFFFFFh) of the job's N bytes, bytes that never passed counting as
// zero bytes. A slot may start again only while not busy. Inputs of slots that do not want a
// CRC are dropped.
//
// Why it is shaped like this: CRC32C is affine over GF(2). With Z the matrix of one zero byte
// through the CRC register, the register after the N bytes b_0..b_N-1 is
//   Z^N * FFFFFFFFh  ^  XOR over i of Z^(N-i) * b_i
// (b_i in the register's low byte). Each term depends on its own byte and its place only, so
// the terms of a beat whose lane 0 is job byte q add up to Z^(N-q) * (XOR over lanes j of
// Z^-j * b_j): a constant matrix (Z^-j per lane, with Z^-(j+32) for banks one row up) applied
// to the beat, then multiplied by Z^e, e = N - q. Z^e is a product of the precomputed powers
// Z^(4^k), Z^(2 * 4^k), Z^(3 * 4^k) that the digits of e (base 4) select: one digit per
// pipeline stage, each stage an XOR of at most 32 register bits per output bit. The slot's
// accumulator takes the XOR of the results; the initial-value term Z^N * FFFFFFFFh goes through
// a second ladder of the same shape when the job starts (sharing the beats' ladder would make it
// wait for a cycle without a beat, which a busy PULL stream may not have for hundreds of
// cycles). The order of arrival does not matter,
// so neither out-of-order completions across tags nor overlapping PUSH chunks need a reorder
// buffer.
//
// Stages (each a register):
//   in     the input, masked (bytes outside the job's lanes zeroed), its slot
//   pos    the place of lane 0 in the job (q) and the banks one row up
//   dat    the beat's value X(beat) = XOR Z^-j * b_j, and e = N - q (the initial-value term
//          enters its own ladder at the job's start)
//   ladder one stage per base-4 digit of e: value times Z^(d * 4^k)
//   acc    XOR into the slot's accumulator

`default_nettype none

module peerbar_dma_crc_inline
  import peerbar_crc32c_pkg::*;
#(
  // log2 of the BAR2 size in bytes (12..32).
  parameter int unsigned Bar2SizeLog2 = 20,
  // Job slots (power of two).
  parameter int unsigned NumJobs = 8,
  localparam int unsigned JW   = $clog2(NumJobs),
  localparam int unsigned RowW = Bar2SizeLog2 - 5
) (
  input  wire logic                      clk_i,
  input  wire logic                      rst_i,

  input  wire logic                      start_i,
  input  wire logic [JW-1:0]             start_slot_i,
  input  wire logic                      start_en_i,
  input  wire logic [Bar2SizeLog2-1:0]   start_base_i,   // BAR2 offset of the job's first byte
  input  wire logic [Bar2SizeLog2:0]     start_len_i,    // N, with offset + N <= BAR2 size

  input  wire logic                      wr_valid_i,
  input  wire logic [JW-1:0]             wr_slot_i,
  input  wire logic [7:0][RowW-1:0]      wr_row_i,
  input  wire logic [7:0][31:0]          wr_data_i,
  input  wire logic [7:0][3:0]           wr_be_i,

  input  wire logic                      pl_valid_i,
  input  wire logic [JW-1:0]             pl_slot_i,
  input  wire logic [Bar2SizeLog2+1:0]   pl_pos_i,       // job byte of lane 0 (two's complement)
  input  wire logic [255:0]              pl_data_i,
  input  wire logic [4:0]                pl_lo_i,
  input  wire logic [4:0]                pl_hi_i,

  output      logic [NumJobs-1:0]        busy_o,
  output      logic [NumJobs-1:0][31:0]  crc_o
);

  localparam int unsigned B  = Bar2SizeLog2;
  localparam int unsigned PW = B + 2;          // places: q in [-63, N), two's complement
  localparam int unsigned EW = B + 1;          // e = N - q in [1, N + 63]
  localparam int unsigned Digits = (EW + 1) / 2;

  typedef logic [31:0][255:0] beat_mat_t;      // [output bit] -> mask of the beat's bits
  typedef mat_t [Digits-1:0][2:0] ladder_t;    // [digit][d - 1]: Z^(d * 4^k)

  // a * b (apply b, then a): row i of the product XORs the rows of b that row i of a names.
  function automatic mat_t mat_mul(input mat_t a, input mat_t b);
    mat_t p;
    p = '0;
    for (int unsigned i = 0; i < 32; i++) begin
      for (int unsigned k = 0; k < 32; k++) begin
        if (a[i][k]) begin
          p[i] = p[i] ^ b[k];
        end
      end
    end
    return p;
  endfunction

  // Z^(d * 4^k) for every digit k and d = 1..3, by squaring from Z (eight bit steps).
  function automatic ladder_t ladder();
    ladder_t t;
    mat_t    z;
    for (int unsigned j = 0; j < 32; j++) begin
      logic [31:0] col;
      col = 32'd1 << j;
      for (int unsigned s = 0; s < 8; s++) begin
        col = bit_step(col);
      end
      for (int unsigned i = 0; i < 32; i++) begin
        z[i][j] = col[i];
      end
    end
    for (int unsigned k = 0; k < Digits; k++) begin
      t[k][0] = z;                                   // Z^(4^k)
      t[k][1] = mat_mul(z, z);                       // Z^(2 * 4^k)
      t[k][2] = mat_mul(t[k][1], z);                 // Z^(3 * 4^k)
      z       = mat_mul(t[k][1], t[k][1]);           // Z^(4^(k+1))
    end
    return t;
  endfunction

  // X: lane j (byte j of the beat) enters as Z^-(j + 32 * up) * b_j, up = 1 for the banks one
  // row up (wr input only).
  function automatic beat_mat_t beat_matrix(input bit up);
    beat_mat_t   x;
    logic [7:0][31:0] cols;   // the 8 columns of the current lane
    for (int unsigned j = 0; j < 8; j++) begin
      cols[j] = 32'd1 << j;
      for (int unsigned s = 0; s < (up ? 256 : 0); s++) begin
        cols[j] = bit_unstep(cols[j]);
      end
    end
    for (int unsigned lane = 0; lane < 32; lane++) begin
      for (int unsigned j = 0; j < 8; j++) begin
        for (int unsigned i = 0; i < 32; i++) begin
          x[i][8*lane+j] = cols[j][i];
        end
        for (int unsigned s = 0; s < 8; s++) begin
          cols[j] = bit_unstep(cols[j]);
        end
      end
    end
    return x;
  endfunction

  localparam ladder_t   Ladder  = ladder();
  localparam beat_mat_t XSame   = beat_matrix(1'b0);
  localparam beat_mat_t XUp     = beat_matrix(1'b1);

  // Per slot: the job's place in BAR2, and the CRC in the making.
  logic [NumJobs-1:0]          en_q;
  logic [NumJobs-1:0][B-1:0]   base_q;
  logic [NumJobs-1:0][B:0]     len_q;
  logic [NumJobs-1:0][4:0]     cnt_q;          // pipeline entries of the slot
  logic [NumJobs-1:0][31:0]    acc_q;

  ////////////////////////////
  // in: the masked input   //
  ////////////////////////////

  logic            in_v_q, in_wr_q;
  logic [JW-1:0]   in_slot_q;
  logic [255:0]    in_data_q;
  logic [7:0]      in_bank_q;                  // wr: banks holding job bytes
  logic [7:0][RowW-1:0] in_row_q;
  logic [PW-1:0]   in_pos_q;
  logic            take_wr, take_pl;
  assign take_wr = wr_valid_i && en_q[wr_slot_i];
  assign take_pl = pl_valid_i && en_q[pl_slot_i];

  // The data registers of every stage load only with a term (a clock enable): nothing toggles,
  // and nothing is evaluated in simulation, while no job with FLAGS.CRC moves data.
  always_ff @(posedge clk_i) begin
    in_v_q <= (take_wr || take_pl) && !rst_i;
  end
  always_ff @(posedge clk_i) begin
    if (take_wr || take_pl) begin
      in_wr_q   <= wr_valid_i;
      in_slot_q <= wr_valid_i ? wr_slot_i : pl_slot_i;
      in_row_q  <= wr_row_i;
      in_pos_q  <= pl_pos_i;
      for (int unsigned b = 0; b < 8; b++) begin
        in_bank_q[b] <= |wr_be_i[b];
        for (int unsigned k = 0; k < 4; k++) begin
          logic keep;
          keep = wr_valid_i ? wr_be_i[b][k]
                            : (5'(4 * b + k) >= pl_lo_i && 5'(4 * b + k) <= pl_hi_i);
          in_data_q[32*b+8*k +: 8] <= keep ? (wr_valid_i ? wr_data_i[b][8*k +: 8]
                                                         : pl_data_i[32*b+8*k +: 8]) : 8'd0;
        end
      end
    end
  end

  //////////////////////////////////////
  // pos: lane 0's place in the job   //
  //////////////////////////////////////

  // wr: bank 7 is never below the window's first bank, so its row is the window's row R, and
  // lane 0 is BAR2 byte 32 * R; the banks one row up are those whose row differs. The row above
  // the last one is row 0: bytes there (a window starting just below BAR2 byte 0, as the first
  // packet of a job at offset 0 has) put R at -1.
  logic            pos_v_q;
  logic [JW-1:0]   pos_slot_q;
  logic [255:0]    pos_data_q;
  logic [7:0]      pos_up_q;
  logic [PW-1:0]   pos_q;
  always_ff @(posedge clk_i) begin
    pos_v_q <= in_v_q && !rst_i;
  end
  always_ff @(posedge clk_i) begin
    logic [7:0]    up;
    logic          wraps;
    logic [PW-1:0] lane0;
    if (in_v_q) begin
      for (int unsigned b = 0; b < 8; b++) begin
        up[b] = in_wr_q && in_row_q[b] != in_row_q[7];
      end
      wraps = in_wr_q && (&in_row_q[7]) && |(up & in_bank_q);
      lane0 = {2'b00, in_row_q[7], 5'd0} - (wraps ? (PW'(1) << B) : PW'(0));
      pos_q      <= in_wr_q ? lane0 - PW'(base_q[in_slot_q]) : in_pos_q;
      pos_up_q   <= up;
      pos_data_q <= in_data_q;
      pos_slot_q <= in_slot_q;
    end
  end

  ////////////////////////////////////////////////
  // dat: X(beat) and e; or an initial value    //
  ////////////////////////////////////////////////

  // Two ladders of the same shape: lane 0 takes the beats (from pos), lane 1 a job's
  // initial-value term when the job starts (value FFFFFFFFh, e = N). So no term waits for
  // another: the register bits of a term are [lane][stage].
  localparam int unsigned Beats = 0, Inits = 1;
  logic [1:0][Digits:0]              lad_v_q;
  logic [1:0][Digits:0][JW-1:0]      lad_slot_q;
  logic [1:0][Digits:0][31:0]        lad_val_q;
  // The digits still to apply, lowest first: each stage shifts its digit out, so the top bits
  // of the later stages (and the last stage's e) are zero and unused.
  /* verilator lint_off UNUSEDSIGNAL */
  logic [1:0][Digits:0][2*Digits-1:0] lad_e_q;
  /* verilator lint_on UNUSEDSIGNAL */
  logic            init_go;            // a job that wants a CRC starts: its initial-value term
  logic [1:0]      lad_in;             // a term enters the lane's first stage
  assign init_go = start_i && start_en_i;
  assign lad_in  = {init_go, pos_v_q};

  always_ff @(posedge clk_i) begin
    for (int unsigned l = 0; l < 2; l++) begin
      lad_v_q[l] <= {lad_v_q[l][Digits-1:0], lad_in[l]} & {(Digits + 1){!rst_i}};
    end
  end

  ///////////////////////////////
  // ladder: value * Z^e       //
  ///////////////////////////////

  // The dat stage and every ladder stage in one process, which runs only while a term enters or
  // moves: each stage register still loads only with its own term (a clock enable), and the next
  // contents are worked out in variables and stored whole, so that a simulation neither
  // evaluates a stage without a term nor copies the idle ladder every cycle.
  always_ff @(posedge clk_i) begin
    if (|lad_in || |{lad_v_q[Inits][Digits-1:0], lad_v_q[Beats][Digits-1:0]}) begin
      logic [1:0][Digits:0][31:0]          val;
      logic [1:0][Digits:0][2*Digits-1:0]  e;
      logic [1:0][Digits:0][JW-1:0]        slot;
      val  = lad_val_q;
      e    = lad_e_q;
      slot = lad_slot_q;
      if (pos_v_q) begin
        logic [31:0] x;
        x = '0;
        for (int unsigned i = 0; i < 32; i++) begin
          for (int unsigned b = 0; b < 8; b++) begin
            x[i] = x[i] ^ (^((pos_up_q[b] ? XUp[i][32*b +: 32] : XSame[i][32*b +: 32]) &
                             pos_data_q[32*b +: 32]));
          end
        end
        val[Beats][0]  = x;
        e[Beats][0]    = (2 * Digits)'(EW'(PW'(len_q[pos_slot_q]) - pos_q));
        slot[Beats][0] = pos_slot_q;
      end
      if (init_go) begin
        val[Inits][0]  = 32'hFFFF_FFFF;
        e[Inits][0]    = (2 * Digits)'(start_len_i);
        slot[Inits][0] = start_slot_i;
      end
      for (int unsigned l = 0; l < 2; l++) begin
        for (int unsigned k = 0; k < Digits; k++) begin
          if (lad_v_q[l][k]) begin
            // Z^(d * 4^k) * value, the products written out (a function with a matrix argument
            // would have its copy cleared in every simulated cycle).
            for (int unsigned i = 0; i < 32; i++) begin
              unique case (lad_e_q[l][k][1:0])
                2'd0:    val[l][k+1][i] = lad_val_q[l][k][i];
                2'd1:    val[l][k+1][i] = ^(Ladder[k][0][i] & lad_val_q[l][k]);
                2'd2:    val[l][k+1][i] = ^(Ladder[k][1][i] & lad_val_q[l][k]);
                default: val[l][k+1][i] = ^(Ladder[k][2][i] & lad_val_q[l][k]);
              endcase
            end
            e[l][k+1]    = lad_e_q[l][k] >> 2;
            slot[l][k+1] = lad_slot_q[l][k];
          end
        end
      end
      lad_val_q  <= val;
      lad_e_q    <= e;
      lad_slot_q <= slot;
    end
  end

  ////////////////////////////////////////
  // acc: per slot, and the slot state  //
  ////////////////////////////////////////

  // A job's place, and whether it wants a CRC, change only at its start (and reset).
  always_ff @(posedge clk_i) begin
    if (start_i || rst_i) begin
      logic [NumJobs-1:0]        en;
      logic [NumJobs-1:0][B-1:0] base;
      logic [NumJobs-1:0][B:0]   len;
      en   = en_q;
      base = base_q;
      len  = len_q;
      for (int unsigned s = 0; s < NumJobs; s++) begin
        if (start_i && start_slot_i == JW'(s)) begin
          en[s]   = start_en_i;
          base[s] = start_base_i;
          len[s]  = start_len_i;
        end
      end
      en_q   <= rst_i ? '0 : en;
      base_q <= base;
      len_q  <= len;
    end
  end

  // The terms in flight and the accumulators change only in a cycle with a start, an input or a
  // term leaving (or reset): the next state is worked out in variables and stored whole.
  logic [1:0] lad_out;                 // the lane's last stage holds a term
  assign lad_out = {lad_v_q[Inits][Digits], lad_v_q[Beats][Digits]};

  always_ff @(posedge clk_i) begin
    if (rst_i || start_i || take_wr || take_pl || |lad_out) begin
      logic [NumJobs-1:0][4:0]   cnt;
      logic [NumJobs-1:0][31:0]  acc;
      for (int unsigned s = 0; s < NumJobs; s++) begin
        // Terms of a slot enter (a beat at in, the initial value at its start) and leave (the
        // two lanes' last stages) independently, up to two at a time each way.
        logic       in_s, init_s;
        logic [1:0] out_s;
        in_s   = (take_wr && wr_slot_i == JW'(s)) || (take_pl && pl_slot_i == JW'(s));
        init_s = init_go && start_slot_i == JW'(s);
        for (int unsigned l = 0; l < 2; l++) begin
          out_s[l] = lad_out[l] && lad_slot_q[l][Digits] == JW'(s);
        end
        if (start_i && start_slot_i == JW'(s)) begin
          acc[s] = '0;
        end else begin
          acc[s] = acc_q[s] ^ (out_s[Beats] ? lad_val_q[Beats][Digits] : 32'd0)
                            ^ (out_s[Inits] ? lad_val_q[Inits][Digits] : 32'd0);
        end
        cnt[s] = rst_i ? 5'd0
                       : cnt_q[s] + 5'(in_s) + 5'(init_s) - 5'(out_s[Beats]) - 5'(out_s[Inits]);
      end
      cnt_q <= cnt;
      acc_q <= acc;
    end
  end

  always_comb begin
    for (int unsigned s = 0; s < NumJobs; s++) begin
      busy_o[s] = cnt_q[s] != '0;
      crc_o[s]  = ~acc_q[s];
    end
  end

`ifndef SYNTHESIS
  // One input per cycle (the engine's order rules keep PULL writes and PUSH beats apart), a
  // slot starts only when idle, and every term that leaves was counted in. The simulation stops
  // on a break (an immediate assert would need --assert in every build).
  always_ff @(posedge clk_i) begin
    if (!rst_i && wr_valid_i && pl_valid_i) begin
      $fatal(1, "peerbar_dma_crc_inline: a BAR2 write and a payload beat in one cycle");
    end
    if (!rst_i && start_i && (busy_o[start_slot_i] || (take_wr && wr_slot_i == start_slot_i) ||
                              (take_pl && pl_slot_i == start_slot_i))) begin
      $fatal(1, "peerbar_dma_crc_inline: slot %0d started while busy", start_slot_i);
    end
    for (int unsigned l = 0; l < 2; l++) begin
      if (!rst_i && lad_v_q[l][Digits] && cnt_q[lad_slot_q[l][Digits]] == '0) begin
        $fatal(1, "peerbar_dma_crc_inline: slot %0d: a term left that was not counted",
               lad_slot_q[l][Digits]);
      end
    end
  end
`endif

endmodule

`default_nettype wire
