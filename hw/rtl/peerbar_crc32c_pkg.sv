// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_crc32c_pkg: CRC32C arithmetic shared by the engine's two CRC pipelines
// (peerbar_dma_crc32c for CHECKSUM, peerbar_dma_crc_inline for FLAGS.CRC). CRC32C is
// Castagnoli's CRC (RFC 3720, appendix B.4), reflected: polynomial 82F63B78h, initial value
// FFFFFFFFh, final XOR FFFFFFFFh. Every step of the CRC register is linear over GF(2), so the
// pipelines work with constant 32 x 32 matrices computed here at elaboration.

package peerbar_crc32c_pkg;

  localparam logic [31:0] Poly = 32'h82F6_3B78;

  typedef logic [31:0][31:0] mat_t;    // [output bit] -> mask of the input bits it XORs

  // One zero bit through the reflected CRC register, and its inverse (Poly[31] is set, so the
  // bit shifted out is bit 31 of the result).
  function automatic logic [31:0] bit_step(input logic [31:0] c);
    return (c >> 1) ^ (c[0] ? Poly : 32'd0);
  endfunction

  function automatic logic [31:0] bit_unstep(input logic [31:0] c);
    logic b;
    b = c[31];
    return ((c ^ (b ? Poly : 32'd0)) << 1) | {31'd0, b};
  endfunction

  // m * v: output bit i is the XOR of the bits of v that row i of m names.
  function automatic logic [31:0] mat_mul_vec(input mat_t m, input logic [31:0] v);
    logic [31:0] r;
    for (int unsigned i = 0; i < 32; i++) begin
      r[i] = ^(m[i] & v);
    end
    return r;
  endfunction

endpackage
