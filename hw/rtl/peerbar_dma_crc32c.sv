// peerbar_dma_crc32c: one step of CRC32C (Castagnoli, reflected polynomial 0x82F63B78) over up
// to 32 bytes, combinational. Byte k of data_i (bits 8k+7:8k) is processed in order k = 0..31
// when mask_i[k] is set and skipped otherwise. The caller supplies the running CRC (initial
// FFFFFFFFh) and inverts the final value.

`default_nettype none

module peerbar_dma_crc32c (
  input  wire logic [31:0]  crc_i,
  input  wire logic [255:0] data_i,
  input  wire logic [31:0]  mask_i,
  output      logic [31:0]  crc_o
);

  localparam logic [31:0] Poly = 32'h82F6_3B78;

  always_comb begin
    logic [31:0] c;
    c = crc_i;
    for (int unsigned k = 0; k < 32; k++) begin
      if (mask_i[k]) begin
        c = c ^ {24'd0, data_i[8*k +: 8]};
        for (int unsigned b = 0; b < 8; b++) begin
          c = (c >> 1) ^ (c[0] ? Poly : 32'd0);
        end
      end
    end
    crc_o = c;
  end

endmodule

`default_nettype wire
