// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_dma_tlp_pkg: the fields of the DMA engine's requests (MemRd, MemWr) worked out from
// an access's address and length: DWORD count and byte enables (PCI Express Base
// Specification, "First/Last DW Byte Enables Rules"), the RQ descriptor (PG213, "Requester
// Request Descriptor Format for Memory Requests", as peerbar_wire_pkg::rq_desc_t lays it out),
// a PUSH MemWr's split at MPS and its beats, and the SGL pointer checks the walker makes before
// it follows a segment (NVMe Base Specification, "SGL Segment"). Unit test: hw/test/tlp_fields
// (exhaustive for the byte enables).

`default_nettype none

package peerbar_dma_tlp_pkg;

  import peerbar_wire_pkg::*;
  import peerbar_pkg::*;   // req_type_e (ReqMemRd, ReqMemWr)

  // DWORD count and first/last byte enables of an access of len (1..4096) bytes at addr.
  // The byte enables come from the length's low bits and a compare, not from the DWORD
  // count's adder (they are on the path of the next request's registers).
  function automatic logic [18:0] dw_be(logic [1:0] addr_lo, tlp_bytes_t len);
    logic [13:0] end_b;
    logic [RqDescDwordCountW-1:0] dwc;
    logic [3:0]  fbe, lbe;
    end_b = 14'(addr_lo) + 14'(len);
    dwc   = RqDescDwordCountW'((end_b + 14'd3) >> 2);
    fbe   = 4'hF << addr_lo;
    lbe   = 4'hF >> (2'd3 - (addr_lo + len[1:0] - 2'd1));
    // One DWORD (dwc == 1): 1 <= addr_lo + len <= 4.
    if ((len != '0 || addr_lo != '0) && len <= tlp_bytes_t'(4) - tlp_bytes_t'(addr_lo)) begin
      fbe = fbe & lbe;
      lbe = 4'h0;
    end
    return {dwc, lbe, fbe};
  endfunction

  // The same for an access from addr up to the next boundary of size bytes (a power of two,
  // 128..4096; the access is the rest of the size block). It ends on a DWORD boundary, so its
  // enables and DWORD count come from the address bits alone, off the path of the subtraction
  // that gives its length: the last DWORD's enables are all set unless the access is one DWORD
  // (the address is in the block's last DWORD). Equal to dw_be(addr[1:0], size - addr % size)
  // for every address and size (hw/test/tlp_fields checks both against the bytes they cover).
  function automatic logic [18:0] dw_be_to(logic [11:0] addr, tlp_bytes_t size);
    logic [9:0] mask, in_dw;  // DWORDs in the block - 1; the address's DWORD in the block
    mask  = 10'((size - tlp_bytes_t'(1)) >> 2);
    in_dw = addr[11:2] & mask;
    return {RqDescDwordCountW'(size[12:2]) - RqDescDwordCountW'(in_dw),
            (in_dw == mask) ? 4'h0 : 4'hF, 4'hF << addr[1:0]};
  endfunction

  // The len bytes at addr go past the end of the 64-bit bus address space.
  function automatic logic wraps(logic [SglDescAddressW-1:0] addr,
                                 logic [SglDescLengthW-1:0] len);
    return ({1'b0, addr} + 65'(len)) >= {1'b1, 64'd0};
  endfunction

  // A Segment or Last Segment descriptor the walker may follow: subtype 0, a non-zero length
  // that is a multiple of 16, an 8-byte aligned address, and no wrap past 2^64 (NVMe Base
  // Specification, "SGL Segment"; docs/dma-engine.md).
  function automatic logic seg_ptr_ok(logic [SglDescIdentifierW-1:0] id,
                                      logic [SglDescLengthW-1:0] len,
                                      logic [SglDescAddressW-1:0] addr);
    return id[3:0] == 4'd0 && (id[7:4] == 4'h2 || id[7:4] == 4'h3) && len != '0 &&
           len[3:0] == '0 && addr[2:0] == '0 && !wraps(addr, len);
  endfunction

  // 128-bit RQ descriptor (PG213: peerbar_wire_pkg::rq_desc_t): memory request, requester ID
  // 0 (not enabled), TC/attr 0.
  function automatic logic [RqDescW-1:0] rq_desc(logic [RqDescAddressW-1:0] addr_dw,
                                                 logic [RqDescDwordCountW-1:0] dwc, logic write,
                                                 logic [RqDescTagW-1:0] tag);
    rq_desc_t d;
    d             = '0;
    d.address     = addr_dw;
    d.dword_count = dwc;
    d.req_type    = write ? ReqMemWr : ReqMemRd;
    d.tag         = tag;
    return d;
  endfunction

  // The next request of an access of xlen bytes (1..2^32 - 1) at addr, split where a block of
  // size bytes (MPS or MRRS: a power of two, 128..4096) ends: then no request carries more
  // than size bytes (an unaligned start would otherwise need size/4 + 1 DWORDs) and none
  // crosses 4 KiB (size divides 4096). Its length, whether it is the access's last, and its
  // DWORD count and byte enables (dw_be's layout).
  typedef struct packed {
    tlp_bytes_t  len;
    logic        last;
    logic [18:0] dbe;
  } split_t;

  function automatic split_t split_at(logic [11:0] addr, logic [SglDescLengthW-1:0] xlen,
                                      tlp_bytes_t size);
    tlp_bytes_t  to_end;
    split_t      r;
    to_end = size - (tlp_bytes_t'(addr) & (size - tlp_bytes_t'(1)));
    r.last = xlen <= SglDescLengthW'(to_end);
    r.len  = r.last ? tlp_bytes_t'(xlen) : to_end;
    // Both sizes' byte enables and DWORD count, then the one that is (the compare would come
    // before the adder otherwise).
    r.dbe  = r.last ? dw_be(addr[1:0], tlp_bytes_t'(xlen)) : dw_be_to(addr, size);
    return r;
  endfunction

  // One PUSH MemWr of a Data Block: the packet from addr (bus address) of the block's xlen
  // bytes left, split at MPS (split_at), with what sending it needs. Its payload is read from BAR2 at a byte
  // whose address has ptr_lo as its two low bits.
  typedef struct packed {
    logic [SglDescAddressW-1:0] next_addr;  // the Data Block's next byte after the packet
    logic [SglDescLengthW-1:0]  rest;       // the Data Block's bytes after the packet
    logic                       last;       // ... none: the packet ends the Data Block
    tlp_bytes_t                 len;        // payload bytes
    logic [RqDescW-1:0]         desc;       // its RQ descriptor
    logic [7:0]                 be;         // last and first DW byte enables (RQ tuser[7:0])
    logic [8:0]                 beats;      // 256-bit beats: the descriptor's 4 DWORDs, then
                                            // the payload's
    logic [7:0]                 last_keep;  // the last beat's DWORD keep
    logic [4:0]                 hi;         // the last payload byte's lane in the last beat
    logic [1:0]                 rot;        // the payload's BAR2 bytes lie this many lanes
                                            // past their TLP lanes (BAR2 address of TLP lane
                                            // 0, mod 4)
    logic                       need_hi;    // the last beat may need BAR2 bytes past its chunk
  } memwr_t;

  function automatic memwr_t memwr(logic [SglDescAddressW-1:0] addr,
                                   logic [SglDescLengthW-1:0] xlen, logic [1:0] ptr_lo,
                                   tlp_bytes_t mps);
    tlp_bytes_t  len, lanes;
    logic        last;
    logic [18:0] dbe;
    split_t      sp;
    memwr_t      w;
    sp     = split_at(addr[11:0], xlen, mps);
    len    = sp.len;
    last   = sp.last;
    dbe    = sp.dbe;
    lanes  = tlp_bytes_t'(4) + tlp_bytes_t'(dbe[18:8]);
    w.next_addr = addr + SglDescAddressW'(len);
    w.rest      = xlen - SglDescLengthW'(len);
    w.last      = last;
    w.len       = len;
    w.desc      = rq_desc(addr[63:2], dbe[18:8], 1'b1, RqDescTagW'(0));
    w.be        = dbe[7:0];
    w.beats     = 9'((lanes + tlp_bytes_t'(7)) >> 3);
    w.last_keep = 8'hFF >> (4'd7 - 4'(3'(lanes - tlp_bytes_t'(1))));
    w.hi        = 5'(len + tlp_bytes_t'(addr[1:0]) + tlp_bytes_t'(15));
    // TLP byte 16 + addr[1:0] (the payload's first) is BAR2 byte ptr: TLP lane 0 is at
    // ptr - 16 - addr[1:0].
    w.rot       = ptr_lo - addr[1:0];
    w.need_hi   = lanes[2:0] == '0 && w.rot != '0;
    return w;
  endfunction

endpackage

`default_nettype wire
