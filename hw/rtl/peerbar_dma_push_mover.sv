// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_dma_push_mover: a PUSH job's write mover (contract: docs/dma-engine.md, "PUSH"). It
// plans the next MemWr of the Data Block being sent, reads its payload from BAR2 (port B) and
// puts its beats out; the job unit (peerbar_dma_engine) walks the list and says when a packet
// is loaded and when its beats may move.
//
// - Plan: the next packet, split at 4 KiB and MPS (peerbar_dma_tlp_pkg::memwr; PCIe Base Spec
//   2.2.7), with what loading it needs (descriptor, byte enables, beats, last keep, the Data
//   Block after it, the BAR2 rows of its first two chunks), is worked out into registers every
//   cycle of a PUSH job from the job unit's registers: for the ring's current descriptor and for
//   the Data Block being sent, then chosen (choosing first put the job unit's state decode and
//   an address multiplexer in front of the MPS split: 11 LUT levels into the byte enables).
//   plan_ok_o: they are the next packet's (nothing they depend on changed in the cycle before,
//   plan_chg_i). A Data Block's first packet waits a cycle for them; packets that follow back to
//   back do not.
// - Beats: the payload is read one 8-DWORD chunk ahead (BAR2 DWORD d is in bank d mod 8), and
//   each beat is the previous chunk's lanes and the current one's, rotated by the bus address's
//   byte offset onto the TLP's lanes; beat 0's low 16 bytes are the descriptor (PG213,
//   "Requester Request Interface": the 128-bit descriptor, then the payload, Dword-aligned
//   mode). A beat moves when the RQ side takes it (ready_i).
// - Back to back: when the last beat needs no chunk beyond its own, the second-to-last and last
//   beats read the next packet's first two chunks, and the job unit may load the next packet
//   in the last beat's cycle (load_i while beats_i): its first beat follows on the next cycle.
//   That packet's first chunk is the one read at the second-to-last beat, so the job unit
//   chains only if plan_ok_o held from then on (the plan did not change in between).
// - plan_ok_o is worked out in every cycle, plan_en_i or not: the job unit raises plan_chg_i in
//   the cycle before a job's plan_en_i rises (its decode step), so a stale plan never counts.

`default_nettype none

module peerbar_dma_push_mover
  import peerbar_pkg::*;
  import peerbar_wire_pkg::*;
  import peerbar_dma_tlp_pkg::*;
#(
  // log2 of the BAR2 size in bytes.
  parameter int unsigned Bar2SizeLog2 = 20,
  localparam int unsigned B    = Bar2SizeLog2,
  localparam int unsigned RowW = B - 5,   // row address of one BAR2 bank (8 banks of DWORDs)
  localparam int unsigned DwW  = B - 2    // DWORD address within BAR2
) (
  input  wire logic                       clk_i,
  input  wire logic                       rst_i,
  input  wire tlp_bytes_t                 mps_i,          // Max_Payload_Size, bytes

  // The plan, from the job unit's registers
  input  wire logic                       plan_en_i,      // a PUSH job walks or moves data
  input  wire logic                       plan_from_desc_i, // the next packet starts the
                                                          // ring's current descriptor
  input  wire logic [SglDescAddressW-1:0] desc_addr_i,    // that descriptor's Data Block ...
  input  wire logic [SglDescLengthW-1:0]  desc_len_i,
  input  wire logic [SglDescAddressW-1:0] blk_addr_i,     // ... or the rest of the one being sent
  input  wire logic [SglDescLengthW-1:0]  blk_len_i,
  input  wire logic [B-1:0]               ptr_i,          // BAR2 offset of the next byte
  input  wire logic                       plan_chg_i,     // what the plan depends on changes
  output      logic                       plan_ok_o,      // the plan is the next packet's
  output      logic [SglDescAddressW-1:0] plan_addr_o,    // its bus address
  output      logic                       plan_last_o,    // it ends its Data Block ...
  output      logic [SglDescAddressW-1:0] plan_next_addr_o, // ... or the rest starts here
  output      logic [SglDescLengthW-1:0]  plan_rest_o,
  output      logic [B-1:0]               plan_next_ptr_o, // BAR2 offset after its payload

  // The job unit
  input  wire logic                       load_i,         // load the planned packet
  input  wire logic                       prime_i,        // the payload's second chunk is read
  input  wire logic                       beats_i,        // the packet's beats are offered
  input  wire logic                       ready_i,        // ... and the RQ side takes one

  // BAR2 port B: the row of each bank to read, in a cycle the job unit reads (its read enable:
  // the first chunk as a packet is loaded, or before, while its plan is made; the second in
  // prime_i; one per beat taken)
  output      logic [7:0][RowW-1:0]       rd_row_o,
  input  wire logic [7:0][31:0]           rd_data_i,      // the banks' DWORDs read a cycle ago

  // The beat offered (beats_i)
  output      logic [255:0]               data_o,
  output      logic [7:0]                 keep_o,
  output      logic                       last_o,         // the packet's last beat
  output      logic [7:0]                 be_o,           // first / last DWORD byte enables
  output      tlp_bytes_t                 len_o,          // the packet's payload bytes
  output      logic                       at2_o,          // the second-to-last beat
  output      logic                       can_chain_o,    // the next packet may follow at once
  // Where the beat's payload is (the inline CRC): lane 0 is payload byte pl_off_o (modulo
  // 2**(B+2); the packet's first byte is 0), lanes pl_lo_o..pl_hi_o hold payload.
  output      logic [B+1:0]               pl_off_o,
  output      logic [4:0]                 pl_lo_o,
  output      logic [4:0]                 pl_hi_o
);

  // The BAR2 rows of the eight banks that hold the 8 DWORDs from DWORD c on (a chunk: bank b
  // holds DWORD c + k where (c + k) mod 8 = b, one row further for the banks below c's).
  function automatic logic [7:0][RowW-1:0] chunk_rows(logic [DwW-1:0] c);
    for (int unsigned b = 0; b < 8; b++) begin
      chunk_rows[b] = c[DwW-1:3] + ((3'(b) < c[2:0]) ? RowW'(1) : RowW'(0));
    end
  endfunction

  ///////////
  // Plan  //
  ///////////

  // A packet, and what loading it needs, from its address and its Data Block's bytes left:
  // the MemWr and where its payload is in BAR2.
  typedef struct packed {
    logic [SglDescAddressW-1:0] addr;
    memwr_t                     w;
    logic [DwW-1:0]             c0;         // DWORD of BAR2 holding TLP lane 0's byte
    logic [7:0][RowW-1:0]       rows0;      // chunk_rows(c0)
    logic [7:0][RowW-1:0]       rows8;      // chunk_rows(c0 + 8)
    logic [B-1:0]               next_ptr;
  } push_pkt_t;
  function automatic push_pkt_t push_pkt(logic [SglDescAddressW-1:0] addr,
                                         logic [SglDescLengthW-1:0] xlen, logic [B-1:0] ptr,
                                         tlp_bytes_t mps_b);
    logic [DwW-1:0] c0;
    memwr_t         w;
    w  = memwr(addr, xlen, ptr[1:0], mps_b);
    c0 = DwW'((ptr - B'(16) - B'(addr[1:0])) >> 2);  // TLP lane 0 is BAR2 byte ptr - 16 - a
    push_pkt.addr     = addr;
    push_pkt.w        = w;
    push_pkt.c0       = c0;
    push_pkt.rows0    = chunk_rows(c0);
    push_pkt.rows8    = chunk_rows(c0 + DwW'(8));
    push_pkt.next_ptr = ptr + B'(w.len);
  endfunction

  push_pkt_t n_desc_pkt_q, n_blk_pkt_q, n_pkt;
  logic      n_from_desc_q;
  always_ff @(posedge clk_i) begin
    if (plan_en_i) begin
      n_from_desc_q <= plan_from_desc_i;
      n_desc_pkt_q  <= push_pkt(desc_addr_i, desc_len_i, ptr_i, mps_i);
      n_blk_pkt_q   <= push_pkt(blk_addr_i, blk_len_i, ptr_i, mps_i);
    end
    plan_ok_o <= !rst_i && !plan_chg_i;
  end
  assign n_pkt            = n_from_desc_q ? n_desc_pkt_q : n_blk_pkt_q;
  assign plan_addr_o      = n_pkt.addr;
  assign plan_last_o      = n_pkt.w.last;
  assign plan_next_addr_o = n_pkt.w.next_addr;
  assign plan_rest_o      = n_pkt.w.rest;
  assign plan_next_ptr_o  = n_pkt.next_ptr;

  /////////////
  // Packet  //
  /////////////

  logic [DwW-1:0]     p_chunk_q;      // DWORD address of the next chunk to read
  logic [2:0]         p_lane0_q;      // bank of lane 0 of every chunk
  logic [1:0]         p_rot_q;
  logic [8:0]         p_beat_q;
  logic [8:0]         p_beats_q;
  logic               p_multi_q;      // p_beats_q >= 2 (registered: the chaining decision goes
                                      // into the BAR2 read address)
  logic               p_at1_q;        // p_beat_q is the packet's last beat
  logic               p_at2_q;        // ... its second-to-last (registered: no 9-bit compare
                                      // before the beat's BAR2 read)
  logic [7:0]         p_last_keep_q;
  logic [RqDescW-1:0] p_desc_q;
  logic [7:0]         p_be_q;
  tlp_bytes_t         p_len_q;
  logic [7:0][31:0]   p_lo_q;         // the previous chunk's lanes
  logic               p_need_hi_q;    // the last beat needs the chunk after it
  logic [1:0]         p_a_q;          // bus address bits 1:0: payload byte of the first lane
  logic [4:0]         p_hi_q;         // lane of the last payload byte in the last beat

  // The chunk on the memory output, lane 0 first (also the next beat's low lanes).
  logic [7:0][31:0] hi_lanes;
  always_comb begin
    for (int unsigned j = 0; j < 8; j++) begin
      hi_lanes[j] = rd_data_i[3'(p_lane0_q + 3'(j))];
    end
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      p_chunk_q     <= '0;
      p_lane0_q     <= '0;
      p_rot_q       <= '0;
      p_beat_q      <= '0;
      p_beats_q     <= '0;
      p_multi_q     <= 1'b0;
      p_at1_q       <= 1'b0;
      p_at2_q       <= 1'b0;
      p_last_keep_q <= '0;
      p_desc_q      <= '0;
      p_be_q        <= '0;
      p_len_q       <= '0;
      p_lo_q        <= '0;
      p_need_hi_q   <= 1'b0;
      p_a_q         <= '0;
      p_hi_q        <= '0;
    end else if (load_i || prime_i || beats_i) begin
      // (Nothing moves in other cycles; tested first, so that the simulation skips the rest.)
      if (beats_i && ready_i) begin
        p_beat_q <= p_beat_q + 9'd1;
        p_at1_q  <= p_beat_q + 9'd2 == p_beats_q;
        p_at2_q  <= p_beat_q + 9'd3 == p_beats_q;
        if (load_i) begin
          // Chained: the next packet's first chunk is on the memory output now, its second is
          // read now.
          p_chunk_q <= n_pkt.c0 + DwW'(16);
          for (int unsigned j = 0; j < 8; j++) begin
            p_lo_q[j] <= rd_data_i[3'(n_pkt.c0[2:0] + 3'(j))];
          end
        end else begin
          p_chunk_q <= p_chunk_q + DwW'(8);
          p_lo_q    <= hi_lanes;
        end
      end else if (prime_i) begin
        p_chunk_q <= p_chunk_q + DwW'(8);
        p_lo_q    <= hi_lanes;
      end else if (load_i) begin
        // The first chunk is read as the packet is loaded.
        p_chunk_q <= n_pkt.c0 + DwW'(8);
      end
      if (load_i) begin
        p_desc_q      <= n_pkt.w.desc;
        p_be_q        <= n_pkt.w.be;
        p_len_q       <= n_pkt.w.len;
        p_rot_q       <= n_pkt.w.rot;
        p_lane0_q     <= n_pkt.c0[2:0];
        p_beat_q      <= '0;
        p_beats_q     <= n_pkt.w.beats;
        p_multi_q     <= n_pkt.w.beats != 9'd1;
        p_at1_q       <= n_pkt.w.beats == 9'd1;
        p_at2_q       <= n_pkt.w.beats == 9'd2;
        p_last_keep_q <= n_pkt.w.last_keep;
        p_need_hi_q   <= n_pkt.w.need_hi;
        p_a_q         <= n_pkt.addr[1:0];
        p_hi_q        <= n_pkt.w.hi;
      end
    end
  end

  // The BAR2 rows read, each worked out apart from the job unit's decisions, which only choose
  // among them: the packet's next chunk (p_rows), the next packet's first and second (rows0,
  // rows8, registered). The second-to-last beat reads the next packet's first chunk whenever
  // the last beat needs no chunk beyond its own, chained or not (the read address then does not
  // wait for the chaining decision; unchained, the chunk is not used). (keep: Yosys's opt_share
  // would otherwise move the choice in front of one row adder, after the decisions.)
  (* keep *) logic [7:0][RowW-1:0] p_rows;
  assign p_rows = chunk_rows(p_chunk_q);
  always_comb begin
    if (beats_i) begin
      if (load_i) begin
        rd_row_o = n_pkt.rows8;
      end else if (p_at2_q && !p_need_hi_q) begin
        rd_row_o = n_pkt.rows0;
      end else begin
        rd_row_o = p_rows;
      end
    end else if (prime_i) begin
      rd_row_o = p_rows;
    end else begin
      rd_row_o = n_pkt.rows0;
    end
  end

  always_comb begin
    // Only a beat offered is ever used (the RQ slice, the inline CRC); the simulation skips the
    // rotation in other cycles.
    data_o = '0;
    if (beats_i) begin
      data_o = 256'({hi_lanes, p_lo_q} >> (8 * p_rot_q));
      if (p_beat_q == '0) begin
        data_o[RqDescW-1:0] = p_desc_q;
      end
    end
    last_o      = p_at1_q;
    keep_o      = p_at1_q ? p_last_keep_q : 8'hFF;
    be_o        = p_be_q;
    len_o       = p_len_q;
    at2_o       = p_at2_q;
    can_chain_o = !p_need_hi_q && p_multi_q;
    // Beat k's lane 0 is payload byte 32k - 16 - a (the descriptor comes first, and the payload
    // starts at byte a of its first DWORD).
    pl_off_o    = (B + 2)'({p_beat_q, 5'd0}) - (B + 2)'(16) - (B + 2)'(p_a_q);
    pl_lo_o     = (p_beat_q == '0) ? 5'd16 + 5'(p_a_q) : 5'd0;
    pl_hi_o     = p_at1_q ? p_hi_q : 5'd31;
  end

`ifndef SYNTHESIS
  // Simulation-only check: the flags kept beside the beat count are the count's.
  always_ff @(posedge clk_i) begin
    if (!rst_i && (prime_i || beats_i)) begin
      if (p_at1_q != (p_beat_q == p_beats_q - 9'd1) || p_at2_q != (p_beat_q == p_beats_q - 9'd2) ||
          p_multi_q != (p_beats_q >= 9'd2)) begin
        $fatal(1, "peerbar_dma_push_mover: p_at1_q %0d p_at2_q %0d p_multi_q %0d at beat %0d of %0d",
               p_at1_q, p_at2_q, p_multi_q, p_beat_q, p_beats_q);
      end
    end
  end
`endif

endmodule

`default_nettype wire
