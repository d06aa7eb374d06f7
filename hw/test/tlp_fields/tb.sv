// SPDX-License-Identifier: MIT OR Apache-2.0
// Unit test of peerbar_dma_tlp_pkg (run: bash hw/test/run.sh tlp_fields): the request fields
// the DMA engine puts on the wire, each against a reference written from the rule itself.
// - dw_be, every address offset 0..3 and length 1..4096: the DWORD count and first/last byte
//   enables from the bytes the access covers; and the PCI Express Base Specification's rules
//   on their own (a one-DWORD request has Last DW BE 0000b and a first BE that is not; a longer
//   one has neither 0000b; the enabled bytes number the length).
// - dw_be_to, every address 0..4095 and size 128..4096 (powers of two): the same for the
//   access from the address to the size's next boundary.
// - rq_desc: every field at its bit position in PG213's "Requester Request Descriptor Format
//   for Memory Requests" (written here as literal bit ranges, not through rq_desc_t), for
//   random addresses, DWORD counts, tags and both request types.
// - split_at: random Data Blocks (1 to 40 000 bytes, MRRS 128 to 4 096, any address) split
//   into MemRds read by read: none over MRRS, across an MRRS-aligned boundary or across 4 KiB,
//   every split at such a boundary, the reads covering the block exactly, each one's DWORD
//   count and byte enables.
// - memwr: random Data Blocks (1 to 20 000 bytes, MPS 128 to 1 024, any address and BAR2
//   byte) split packet by packet: no packet over MPS or across an MPS-aligned boundary (so
//   none across 4 KiB), every split at such a boundary, the packets covering the block
//   exactly; each packet's descriptor (a MemWr at its address, its DWORD count) and byte
//   enables; its beats and last keep for the descriptor's 4 DWORDs and the payload's; the
//   last payload byte's lane; the BAR2 rotation; and need_hi set whenever the last beat's
//   bytes reach past its chunk.
// - wraps and seg_ptr_ok (the walker's checks before it follows a Segment / Last Segment
//   pointer): the NVMe rules (subtype 0, type 2h or 3h, a length that is a non-zero multiple
//   of 16, an 8-byte aligned address, an end that fits 64 bits) on random and edge inputs,
//   the 64-bit end worked out without a 65th bit.

`default_nettype none

module tb;
  import peerbar_wire_pkg::*;
  import peerbar_dma_tlp_pkg::*;

  int errors = 0;
  int unsigned checks = 0;

  // The reference: the bytes [a, a + len) with a in 0..3 (the address within its DWORD).
  task automatic ref_be(input int a, input int len, output int dwc, output logic [3:0] fbe,
                        output logic [3:0] lbe);
    int last;
    last = a + len - 1;
    dwc = last / 4 + 1;
    fbe = '0;
    lbe = '0;
    for (int b = 0; b < 4; b++) begin
      if (b >= a && b <= last) fbe[b] = 1'b1;
      if (dwc > 1 && 4 * (dwc - 1) + b <= last) lbe[b] = 1'b1;
    end
  endtask

  task automatic check_be(input string what, input logic [18:0] got, input int a,
                          input int len);
    int          dwc, n;
    logic [3:0]  fbe, lbe;
    ref_be(a, len, dwc, fbe, lbe);
    checks++;
    if (int'(got[18:8]) != (dwc % 2048) || got[7:4] != lbe || got[3:0] != fbe) begin
      if (errors < 20) begin
        $display("FAIL %s(addr %0d, %0d bytes): DWORDs %0d BE %h/%h, want %0d %h/%h", what, a,
                 len, got[18:8], got[7:4], got[3:0], dwc, lbe, fbe);
      end
      errors++;
    end
    // The specification's rules, apart from the reference.
    n = $countones(got[3:0]) + $countones(got[7:4]) +
        ((got[18:8] > 2) ? 4 * (int'(got[18:8]) - 2) : 0);
    if (got[3:0] == '0 || (got[18:8] == 1 && got[7:4] != '0) ||
        (got[18:8] > 1 && got[7:4] == '0) || n != len) begin
      if (errors < 20) begin
        $display("FAIL %s(addr %0d, %0d bytes): BE %h/%h over %0d DWORDs break the rules",
                 what, a, len, got[7:4], got[3:0], got[18:8]);
      end
      errors++;
    end
  endtask

  function automatic logic ref_wraps(logic [63:0] addr, logic [31:0] len);
    // The end, addr + len, does not fit 64 bits: addr > (2^64 - 1) - len.
    return addr > (64'hFFFF_FFFF_FFFF_FFFF - 64'(len));
  endfunction

  task automatic check_ptr(input logic [7:0] id, input logic [31:0] len, input logic [63:0] addr);
    logic want;
    want = id[3:0] == 4'h0 && (id[7:4] == 4'h2 || id[7:4] == 4'h3) && len != 0 &&
           len % 16 == 0 && addr % 8 == 0 && !ref_wraps(addr, len);
    checks += 2;
    if (wraps(addr, len) != ref_wraps(addr, len) || seg_ptr_ok(id, len, addr) != want) begin
      if (errors < 20) begin
        $display("FAIL id %h len %0d addr %h: wraps %0d seg_ptr_ok %0d, want %0d %0d", id, len,
                 addr, wraps(addr, len), seg_ptr_ok(id, len, addr), ref_wraps(addr, len), want);
      end
      errors++;
    end
  endtask

  initial begin
    // dw_be: every offset and length.
    for (int a = 0; a < 4; a++) begin
      for (int len = 1; len <= 4096; len++) begin
        check_be("dw_be", dw_be(2'(a), 13'(len)), a, len);
      end
    end
    // dw_be_to: every address and size.
    for (int s = 128; s <= 4096; s *= 2) begin
      for (int addr = 0; addr < 4096; addr++) begin
        check_be($sformatf("dw_be_to/%0d", s), dw_be_to(12'(addr), 13'(s)), addr % 4,
                 s - addr % s);
      end
    end
    // rq_desc: the fields at PG213's bit positions.
    for (int i = 0; i < 100000; i++) begin
      logic [61:0]  a;
      logic [10:0]  dwc;
      logic [7:0]   tag;
      logic         wr;
      logic [127:0] d;
      a   = 62'({$urandom, $urandom});
      dwc = 11'($urandom);
      tag = 8'($urandom);
      wr  = 1'($urandom);
      d   = rq_desc(a, dwc, wr, tag);
      checks++;
      if (d[1:0] != 2'b00 || d[63:2] != a || d[74:64] != dwc || d[78:75] != {3'b000, wr} ||
          d[79] != 1'b0 || d[95:80] != '0 || d[103:96] != tag || d[119:104] != '0 ||
          d[120] != 1'b0 || d[123:121] != '0 || d[126:124] != '0 || d[127] != 1'b0) begin
        if (errors < 20) begin
          $display("FAIL rq_desc(%h, %0d, %0d, %h) = %h", a, dwc, wr, tag, d);
        end
        errors++;
      end
    end
    // wraps, seg_ptr_ok: edges at the top of the address space, then random.
    for (int k = 0; k <= 80; k++) begin
      for (int j = 0; j < 7; j++) begin
        logic [31:0] len;
        len = (j == 0) ? 0 : (j == 1) ? 1 : (j == 2) ? 8 : (j == 3) ? 16 : (j == 4) ? 48 :
              (j == 5) ? 64 : 32'hFFFF_FFF0;
        check_ptr(8'h20, len, 64'hFFFF_FFFF_FFFF_FFFF - 64'(k) + 1);
        check_ptr(8'h30, len, 64'hFFFF_FFFF_FFFF_FFFF - 64'(len) - 64'(k) + 8);
        check_ptr(8'h30, len, 64'(k) * 8);
      end
    end
    for (int i = 0; i < 200000; i++) begin
      logic [7:0]  id;
      logic [31:0] len;
      logic [63:0] addr;
      id   = ($urandom_range(3) == 0) ? 8'($urandom) : {2'b00, 1'b1, 1'($urandom), 3'b000,
                                                       1'($urandom_range(7) == 0)};
      len  = ($urandom_range(3) == 0) ? $urandom : 32'($urandom_range(64)) * 16;
      addr = ($urandom_range(3) == 0) ? {$urandom, $urandom} :
             64'hFFFF_FFFF_FFFF_FFFF - 64'($urandom_range(8192)) - 64'(len) + 64'($urandom_range(16)) & ~64'(7);
      check_ptr(id, len, addr);
    end
    // split_at at MRRS: random Data Blocks split into MemRds, read by read.
    for (int i = 0; i < 20000; i++) begin
      logic [63:0] addr;
      logic [31:0] xlen, left;
      int          mrrs, reads;
      split_t      r;
      int          dwc;
      logic [3:0]  fbe, lbe;
      mrrs = 128 << $urandom_range(5);
      xlen = ($urandom_range(3) == 0) ? 32'($urandom_range(8, 1)) : 32'($urandom_range(40000, 1));
      addr = {$urandom, $urandom};
      left = xlen;
      for (reads = 0; left != 0 && reads < 1000; reads++) begin
        r = split_at(addr[11:0], left, 13'(mrrs));
        ref_be(int'(addr[1:0]), int'(r.len), dwc, fbe, lbe);
        checks++;
        if (r.len == 0 || int'(r.len) > mrrs || int'(addr % 64'(mrrs)) + int'(r.len) > mrrs ||
            (addr % 4096) + 64'(r.len) > 4096 ||
            (!r.last && (addr + 64'(r.len)) % 64'(mrrs) != 0) || r.last != (32'(r.len) == left) ||
            int'(r.dbe[18:8]) != dwc || r.dbe[7:0] != {lbe, fbe}) begin
          if (errors < 20) begin
            $display("FAIL split_at(%h, %0d left, MRRS %0d): %0d bytes, last %0d, DWORDs %0d BE %h",
                     addr, left, mrrs, r.len, r.last, r.dbe[18:8], r.dbe[7:0]);
          end
          errors++;
        end
        addr = addr + 64'(r.len);
        left = left - 32'(r.len);
      end
      if (left != 0) begin
        $display("FAIL split_at: a Data Block of %0d bytes not done after 1000 reads", xlen);
        errors++;
      end
    end
    // memwr: random Data Blocks split into packets, packet by packet.
    for (int i = 0; i < 20000; i++) begin
      logic [63:0] addr;
      logic [31:0] xlen, left;
      logic [1:0]  ptr_lo;
      int          mps, packets;
      memwr_t       w;
      int           a, dwc, n, lanes, beats;
      logic [3:0]   fbe, lbe;
      logic [127:0] d;
      mps    = 128 << $urandom_range(3);
      xlen   = ($urandom_range(3) == 0) ? 32'($urandom_range(8, 1)) : 32'($urandom_range(20000, 1));
      addr   = {$urandom, $urandom};
      if (addr > 64'hFFFF_FFFF_FFFF_FFFF - 64'(xlen)) addr = addr - 64'(xlen);
      ptr_lo = 2'($urandom);
      left   = xlen;
      for (packets = 0; left != 0 && packets < 1000; packets++) begin
        w = memwr(addr, left, ptr_lo, 13'(mps));
        a = int'(addr[1:0]);
        ref_be(a, int'(w.len), dwc, fbe, lbe);
        d = w.desc;
        lanes = 4 + dwc;
        beats = (lanes + 7) / 8;
        n = lanes - 8 * (beats - 1);
        checks++;
        if (w.len == 0 || int'(w.len) > mps || int'(addr % 64'(mps)) + int'(w.len) > mps ||
            (!w.last && (addr + 64'(w.len)) % 64'(mps) != 0) ||
            w.last != (32'(w.len) == left) || w.rest != left - 32'(w.len) ||
            w.next_addr != addr + 64'(w.len)) begin
          if (errors < 20) begin
            $display("FAIL memwr(%h, %0d left, MPS %0d): %0d bytes, last %0d, rest %0d, next %h",
                     addr, left, mps, w.len, w.last, w.rest, w.next_addr);
          end
          errors++;
        end
        if (d[1:0] != 2'b00 || d[63:2] != addr[63:2] || int'(d[74:64]) != dwc ||
            d[78:75] != 4'b0001 || d[127:79] != '0 || w.be != {lbe, fbe} ||
            int'(w.beats) != beats || w.last_keep != 8'((1 << n) - 1) ||
            int'(w.hi) != (16 + a + int'(w.len) - 1) % 32 || w.rot != ptr_lo - addr[1:0] ||
            (int'(w.rot) + int'(w.hi) >= 32 && !w.need_hi)) begin
          if (errors < 20) begin
            $display("FAIL memwr(%h, %0d bytes, BAR2 at ..%0d): desc %h BE %h beats %0d keep %h hi %0d rot %0d need_hi %0d",
                     addr, w.len, ptr_lo, d, w.be, w.beats, w.last_keep, w.hi, w.rot, w.need_hi);
          end
          errors++;
        end
        addr   = w.next_addr;
        left   = w.rest;
        ptr_lo = ptr_lo + 2'(w.len);
      end
      if (left != 0) begin
        $display("FAIL memwr: a Data Block of %0d bytes not done after 1000 packets", xlen);
        errors++;
      end
    end
    if (errors != 0) begin
      $fatal(1, "FAIL tlp_fields: %0d of %0d checks", errors, checks);
    end
    $display("PASS tlp_fields: %0d checks (dw_be every offset and length 1..4096, dw_be_to every address and size, rq_desc fields at PG213's positions, SGL pointer checks at the top of the address space, 20000 Data Blocks split into MemRds and 20000 into MemWrs)",
             checks);
    $finish;
  end

endmodule

`default_nettype wire
