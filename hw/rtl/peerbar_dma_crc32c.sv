// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_dma_crc32c: CRC32C (Castagnoli, reflected polynomial 82F63B78h, initial value
// FFFFFFFFh, final XOR FFFFFFFFh) of a byte stream, one 32-byte beat per cycle, pipelined.
//
// Contract: a stream is a sequence of beats (valid_i), gaps allowed, the first marked first_i,
// the last last_i (one beat may be both). Byte k of data_i (bits 8k+7:8k) is the k-th byte of
// the beat in stream order. Bytes first_byte_i..last_byte_i of a beat are the stream's; the
// others are skipped. Only the first beat may start after byte 0 (first_byte_i is ignored on
// other beats) and only the last may end before byte 31 (last_byte_i likewise): the contiguous
// range CHECKSUM reads. crc_valid_o is high for one cycle from the 5th clock edge after the one
// that takes the last beat (stage out below), with crc_o the final CRC (inverted). A new stream
// may start in the cycle after a last beat; rst_i drops whatever is in flight.
//
// Why it is shaped like this: CRC is affine over GF(2), so a beat's step is
//   state' = A * state ^ L * data      (A = 32 zero-byte steps, L = the data's contribution)
// with constant matrices (below, computed at elaboration). Only A * state is in the feedback
// loop (an XOR of at most 32 state bits and one precomputed data bit per output bit); L * data,
// an XOR of up to 256 data bits per output bit, is computed a stage earlier. Skipped bytes are
// zeroed instead of skipped:
// - leading bytes: a zero byte is a linear step of the state, so the first beat starts from
//   M^-8s * FFFFFFFFh (s = first_byte_i, M = one zero-bit step) and the s zero bytes bring it to
//   FFFFFFFFh exactly where the stream's first byte is folded in;
// - trailing bytes: t zero bytes after the last byte leave M^8t * crc; three stages after the
//   loop multiply by M^-8t (t = 31 - last_byte_i), each by a matrix chosen by two bits of t
//   (the last by one).
//
// Stages (registers), loaded by the clock edge that takes a beat (edge 0) and the ones after:
//   in   the masked beat, flags, first/last byte           (edge 0: byte mask, AND)
//   dat  L * data, the first beat's start value A * init   (1: 256-input XOR, table)
//   st   the running state                                 (2: loop)
//   c0   M^-8d * st,      d = t mod 4                     (3: undo 0..3 trailing bytes)
//   c1   M^-32d * c0,     d = (t / 4) mod 4               (4: 0, 4, 8 or 12 bytes)
//   out  ~(M^-128d * c1), d = t / 16                      (5: 0 or 16 bytes; final XOR)

`default_nettype none

module peerbar_dma_crc32c
  import peerbar_crc32c_pkg::*;
(
  input  wire logic         clk_i,
  input  wire logic         rst_i,
  input  wire logic         valid_i,
  input  wire logic         first_i,
  input  wire logic         last_i,
  input  wire logic [4:0]   first_byte_i,
  input  wire logic [4:0]   last_byte_i,
  input  wire logic [255:0] data_i,
  output      logic         crc_valid_o,
  output      logic [31:0]  crc_o
);

  // Matrix of n zero bits (n >= 0) or of -n bits undone (n < 0).
  function automatic mat_t zero_bits(input int n);
    mat_t m;
    m = '0;
    for (int unsigned j = 0; j < 32; j++) begin
      logic [31:0] col;
      col = 32'd1 << j;
      for (int k = 0; k < (n < 0 ? -n : n); k++) begin
        col = (n < 0) ? bit_unstep(col) : bit_step(col);
      end
      for (int unsigned i = 0; i < 32; i++) begin
        m[i][j] = col[i];
      end
    end
    return m;
  endfunction

  // L: data bit 8k+j enters the state at bit j before byte k's 8 steps and the 8(31-k) steps of
  // the bytes after it. Built from the last byte backwards, one byte step per byte.
  typedef logic [31:0][255:0] data_mat_t;
  function automatic data_mat_t data_matrix();
    data_mat_t l;
    logic [7:0][31:0] cols;   // the 8 columns of the current byte
    for (int unsigned j = 0; j < 8; j++) begin
      cols[j] = 32'd1 << j;
    end
    for (int k = 31; k >= 0; k--) begin
      for (int unsigned j = 0; j < 8; j++) begin
        for (int unsigned b = 0; b < 8; b++) begin
          cols[j] = bit_step(cols[j]);
        end
        for (int unsigned i = 0; i < 32; i++) begin
          l[i][8*k+j] = cols[j][i];
        end
      end
    end
    return l;
  endfunction

  // The first beat's state after its step when it starts at byte s, before the data term:
  // A * M^-8s * FFFFFFFFh = M^(256-8s) * FFFFFFFFh.
  typedef logic [31:0][31:0] start_tab_t;   // [s]
  function automatic start_tab_t start_table();
    start_tab_t t;
    for (int unsigned s = 0; s < 32; s++) begin
      t[s] = mat_mul_vec(zero_bits(256 - 8 * int'(s)), 32'hFFFF_FFFF);
    end
    return t;
  endfunction

  localparam mat_t       BeatA = zero_bits(256);
  localparam data_mat_t  BeatL = data_matrix();
  localparam start_tab_t Start = start_table();
  // Undo trailing zero bytes: UndoN undoes N bytes.
  localparam mat_t Undo1 = zero_bits(-8), Undo2 = zero_bits(-16), Undo3 = zero_bits(-24);
  localparam mat_t Undo4 = zero_bits(-32), Undo8 = zero_bits(-64), Undo12 = zero_bits(-96);
  localparam mat_t Undo16 = zero_bits(-128);

  // Every stage's data registers load only with a beat (a clock enable), so an idle unit does
  // not toggle, and a simulation evaluates none of its XOR trees while no CHECKSUM job runs.
  // crc_o loads only with crc_valid_o (it holds the last CRC otherwise).

  // in: the beat with its skipped bytes zeroed.
  logic         in_v_q, in_first_q, in_last_q;
  logic [4:0]   in_start_q, in_trail_q;
  logic [255:0] in_data_q;
  always_ff @(posedge clk_i) begin
    in_v_q <= valid_i && !rst_i;
    if (valid_i) begin
      logic [4:0] lo, hi;
      lo = first_i ? first_byte_i : 5'd0;
      hi = last_i ? last_byte_i : 5'd31;
      for (int unsigned k = 0; k < 32; k++) begin
        in_data_q[8*k +: 8] <= (5'(k) >= lo && 5'(k) <= hi) ? data_i[8*k +: 8] : 8'd0;
      end
      in_start_q <= lo;
    end
    in_first_q <= first_i;
    in_last_q  <= last_i;
    in_trail_q <= ~(last_i ? last_byte_i : 5'd31);   // 31 - hi
  end

  // dat: the data term, and the start value for a first beat.
  logic         dat_v_q, dat_first_q, dat_last_q;
  logic [4:0]   dat_trail_q;
  logic [31:0]  dat_l_q, dat_start_q;
  always_ff @(posedge clk_i) begin
    dat_v_q <= in_v_q && !rst_i;
    if (in_v_q) begin
      for (int unsigned i = 0; i < 32; i++) begin
        dat_l_q[i] <= ^(BeatL[i] & in_data_q);
      end
      dat_start_q <= Start[in_start_q];
    end
    // The flags and t move along without an enable, as shift registers (SRL in synthesis).
    dat_first_q <= in_first_q;
    dat_last_q  <= in_last_q;
    dat_trail_q <= in_trail_q;
  end

  // st: the loop. The matrix products of this stage and the next are written out bit by bit: a
  // function with a matrix argument would have its copy cleared in every simulated cycle.
  logic         st_done_q;
  logic [4:0]   st_trail_q;
  logic [31:0]  st_q;
  always_ff @(posedge clk_i) begin
    st_done_q <= dat_v_q && dat_last_q && !rst_i;
    if (dat_v_q) begin
      for (int unsigned i = 0; i < 32; i++) begin
        st_q[i] <= (dat_first_q ? dat_start_q[i] : ^(BeatA[i] & st_q)) ^ dat_l_q[i];
      end
    end
    st_trail_q <= dat_trail_q;
  end

  // c0, c1, out: undo the trailing zero bytes (the identity or one of three matrices, as two
  // bits of t say), then the final XOR.
  logic         c0_v_q, c1_v_q;
  logic [2:0]   c0_trail_q;
  logic         c1_trail_q;
  logic [31:0]  c0_q, c1_q;
  always_ff @(posedge clk_i) begin
    c0_v_q <= st_done_q && !rst_i;
    if (st_done_q) begin
      for (int unsigned i = 0; i < 32; i++) begin
        unique case (st_trail_q[1:0])
          2'd0:    c0_q[i] <= st_q[i];
          2'd1:    c0_q[i] <= ^(Undo1[i] & st_q);
          2'd2:    c0_q[i] <= ^(Undo2[i] & st_q);
          default: c0_q[i] <= ^(Undo3[i] & st_q);
        endcase
      end
    end
    c0_trail_q <= st_trail_q[4:2];
  end

  always_ff @(posedge clk_i) begin
    c1_v_q <= c0_v_q && !rst_i;
    if (c0_v_q) begin
      for (int unsigned i = 0; i < 32; i++) begin
        unique case (c0_trail_q[1:0])
          2'd0:    c1_q[i] <= c0_q[i];
          2'd1:    c1_q[i] <= ^(Undo4[i] & c0_q);
          2'd2:    c1_q[i] <= ^(Undo8[i] & c0_q);
          default: c1_q[i] <= ^(Undo12[i] & c0_q);
        endcase
      end
    end
    c1_trail_q <= c0_trail_q[2];
  end

  always_ff @(posedge clk_i) begin
    crc_valid_o <= c1_v_q && !rst_i;
    if (c1_v_q) begin
      for (int unsigned i = 0; i < 32; i++) begin
        crc_o[i] <= ~(c1_trail_q ? ^(Undo16[i] & c1_q) : c1_q[i]);
      end
    end
  end

endmodule

`default_nettype wire
