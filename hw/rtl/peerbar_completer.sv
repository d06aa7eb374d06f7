// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_completer: decodes completer requests (CQ) and dispatches them.
//
// - BAR2 MemWr: payload written into the banked memory, one beat per cycle, no bubbles.
// - BAR0 MemWr (1-2 DWORDs): written into the register file.
// - MemRd to BAR0/BAR2 and every refused non-posted request: a job for peerbar_cc_gen, handed
//   over as soon as peerbar_cc_gen takes it (in the cycle it issues the previous job's last
//   beat), after which the next request is taken while the completion is still being sent.
//   Jobs are handed over one at a time in request order, so completions leave in request order.
// - A MemWr that is carried out (BAR2 or BAR0) is not taken while peerbar_cc_gen is busy with an
//   earlier read (busy: BAR2 reads still to issue, or a read's data in the memory's output
//   register, which a side-A write would overwrite). So a read returns BAR2 as it was when the
//   read was taken and a later write never meets a read on the memory's side A. PCIe would let
//   the write pass the read (Base Spec, "Transaction Ordering": a posted request may pass a
//   non-posted one). Holding the write costs it the read's remaining beats and waits only on CC
//   back-pressure, as every request did before reads were overlapped (the completer then held
//   CQ until the completion had left on CC).
// - Refused posted requests: payload consumed and dropped.
// Refusals are counted and the first one logged by peerbar_regs.
//
// Two register stages keep every path within the logic-level budget (docs/synthesis.md):
// - input stage: an accepted CQ beat is registered (in_*_q) together with what its descriptor
//   decodes to (refusal cause, classification, the job it would get), decoded as it arrives;
// - dispatch stage: the state machine takes the registered beat. Its outputs to the BAR2
//   memory, the register files and the error accounting are registered, so they act in the
//   cycle after the beat is taken.
// A BAR0 read takes three more cycles: the register files register the read offsets, then the
// data at them, then (peerbar_dma_csr) the engine's status fields (peerbar_regs registers its
// data once more to keep step). The registers are read in the cycle after the read is taken,
// when every write taken before it has reached them, so the read returns what was written
// before it (PCIe: a read does not pass a posted write).
//
// tready depends only on registers, never combinationally on tvalid.

`default_nettype none

module peerbar_completer
  import peerbar_pkg::*;
  import peerbar_wire_pkg::*;
#(
  // log2 of the BAR2 size in bytes (12 = 4 KiB .. 32 = 4 GiB).
  parameter int unsigned Bar2SizeLog2 = 20,
  // DWORD address width within BAR2 (derived, do not override).
  localparam int unsigned DwW = Bar2SizeLog2 - 2,
  // Row address width of one BAR2 bank (derived, do not override).
  localparam int unsigned RowW = Bar2SizeLog2 - 5
) (
  input  wire logic                         clk_i,
  input  wire logic                         rst_i,              // synchronous, active high

  // Completer request (CQ), dword-aligned, no straddle
  input  wire logic [255:0]                 cq_tdata_i,
  input  wire logic                         cq_tlast_i,
  input  wire logic [7:0]                   cq_be_i,            // tuser[7:0]: last_be, first_be
  input  wire logic                         cq_tvalid_i,
  output      logic                         cq_tready_o,

  // BAR2 memory write port
  output      logic [7:0][RowW-1:0]         mem_wr_row_o,
  output      logic [7:0][31:0]             mem_wr_data_o,
  output      logic [7:0][3:0]              mem_wr_be_o,

  // BAR0 register file
  output      logic                         reg_wr_valid_o,
  // The DWORD address of the register write of the next cycle (reg_wr_valid_o and data then):
  // the register files decode it a cycle early (peerbar_GROUP_reg_file).
  output      logic [13:0]                  reg_wr_dw_addr_next_o,
  output      logic [1:0][31:0]             reg_wr_data_o,
  output      logic [1:0][3:0]              reg_wr_be_o,
  output      logic [13:0]                  reg_rd_dw_addr_o,
  input  wire logic [1:0][31:0]             reg_rd_data_i,

  // Error accounting events
  output      logic                         dropped_write_o,
  output      logic                         unsupported_request_o,
  output      logic                         error_valid_o,
  output      logic [3:0]                   error_cause_o,
  output      logic [CqDescReqTypeW-1:0]    error_req_type_o,
  output      logic [CqDescBarIdW-1:0]      error_bar_id_o,
  output      logic [CqDescDwordCountW-1:0] error_dword_count_o,
  output      logic [63:0]                  error_offset_o,

  // Completion job for peerbar_cc_gen
  output      logic                         job_valid_o,
  output      cc_job_t                      job_o,
  input  wire logic                         job_ready_i,        // job_o is taken in this cycle
  input  wire logic                         cc_busy_i           // peerbar_cc_gen's busy_o
);

  if (Bar2SizeLog2 < 12 || Bar2SizeLog2 > 32) begin : gen_check_size
    $error("peerbar_completer: Bar2SizeLog2 must be in 12..32");
  end

  // The CQ descriptor's bar_id of the two BARs peerbar has.
  localparam logic [CqDescBarIdW-1:0] Bar0Id = CqDescBarIdW'(0);  // registers
  localparam logic [CqDescBarIdW-1:0] Bar2Id = CqDescBarIdW'(2);  // memory

  ////////////////////////////////////////////
  // Input stage: the beat and its decode    //
  ////////////////////////////////////////////

  // Descriptor fields of the arriving beat (meaningful on the first beat of a request only;
  // layout: peerbar_wire_pkg::cq_desc_t, PG213 "Completer Request Descriptor Format").
  // The decode below is worked out in the process that registers it, under the beat's
  // handshake: the input register loads only with a beat (a clock enable), and a simulation
  // decodes nothing while CQ is idle.
  cq_desc_t    a_desc;
  logic [3:0]  a_first_be, a_last_be;
  assign a_desc     = cq_desc_t'(cq_tdata_i[CqDescW-1:0]);
  assign a_first_be = cq_be_i[3:0];
  assign a_last_be  = cq_be_i[7:4];

  // Bank b of the BAR2 memory takes the lane whose DWORD address is b modulo 8: with base the
  // BAR2 address of lane 0 of a beat, lane (b - base) mod 8 (the same rotation for every beat of
  // a request, whose bases differ by multiples of 8).
  function automatic logic [7:0] lanes_to_banks(logic [7:0] lanes, logic [2:0] base);
    logic [7:0] banks;
    for (int unsigned b = 0; b < 8; b++) begin
      banks[b] = lanes[3'(b) - base];
    end
    return banks;
  endfunction

  // Worked out as the first beat arrives, so that the dispatch stage takes the byte enables
  // from registers:
  // - the banks the first beat writes (its lanes 4-7 carry payload DWORDs 0-3, so its base is
  //   the first address - 4), the one with the first DWORD (first_be) and the one with the last
  //   (last_be, when it is a later one);
  // - the banks the last beat writes when it is a later beat, and the one with the last DWORD.
  //   A later beat's lanes all carry payload but the last beat's, which carries the rest:
  //   (count - 5) mod 8 + 1 DWORDs. These depend on the count's and the address' low 3 bits only.
  // (in_bank_*_q, in_tail_*_q below.)

  // The registered beat
  logic         in_valid_q;
  logic [255:0] in_data_q;
  logic         in_last_q;
  logic [7:0]   in_be_q;
  // Its decode (first beat of a request only)
  error_cause_e in_cause_q;
  logic         in_posted_q;
  logic         in_bar2_wr_q, in_bar0_wr_q;  // a MemWr that is carried out
  logic         in_write_q;                  // either of them
  cc_job_t      in_job_q;
  logic [7:0]   in_bank_on_q, in_bank_first_q, in_bank_last_q, in_tail_on_q, in_tail_last_q;

  ///////////////////////////
  // Dispatch stage (FSM)  //
  ///////////////////////////

  typedef enum logic [2:0] {
    StIdle,     // the registered beat (if any) is the first beat of a request
    StWrite,    // BAR2 MemWr payload beats after the first
    StSink,     // consuming the payload of a refused or single-beat request
    StRegRead,  // BAR0 read: the register files read at the offsets they registered
    StRegMux,   // BAR0 read: peerbar_dma_csr adds the engine's status to its data
    StRegData,  // BAR0 read: their data is taken into job_q.reg_data
    StRespond   // job_q waits for peerbar_cc_gen to take it
  } state_e;

  state_e         state_q;
  logic           respond_q;               // StSink: answer job_q once the payload is consumed
  cc_job_t        job_q;
  logic [DwW-1:0] wr_base_q;               // BAR2 DWORD address of lane 0 of the next beat
  logic [CqDescDwordCountW-1:0] wr_left_q; // payload DWORDs of the BAR2 write still to come
  logic [3:0]     wr_last_be_q;
  // Whether the next beat carries payload and whether it is the request's last (worked out by
  // comparing the count or wr_left_q with constants, not from the next wr_left_q), and the banks
  // a later last beat writes (from the input stage), so that the byte enables of a beat come
  // from registers in few LUT levels. (A beat past the count, which the PCIe core does not
  // deliver, writes nothing.)
  logic           wr_more_q, wr_tail_q;
  logic [7:0]     wr_tail_on_q, wr_tail_last_q;

  // The state machine takes the registered beat in the states that consume CQ beats (a write's
  // first beat only once no read is pending: above); the input register accepts a new beat
  // whenever its beat is taken or it is empty.
  logic fsm_ready, take;
  assign fsm_ready   = (state_q == StIdle && !(in_write_q && cc_busy_i))
                    || state_q inside {StWrite, StSink};
  assign take        = in_valid_q && fsm_ready;
  assign cq_tready_o = !in_valid_q || fsm_ready;

  // The first beat's fields, from the input register
  cq_desc_t                     in_desc;
  logic [13:0]                  in_off0;
  logic [DwW-1:0]               in_off2;
  logic [CqDescDwordCountW-1:0] in_dw_count;
  assign in_desc     = cq_desc_t'(in_data_q[CqDescW-1:0]);
  assign in_off0     = in_desc.address[13:0];
  assign in_off2     = in_desc.address[DwW-1:0];
  assign in_dw_count = in_desc.dword_count;

  // Descriptor fields the completer does not use: of the arriving beat's, those the decode does
  // not need (the fields the job copies are taken from the registered beat when the job is
  // taken); of the registered beat's, the rest.
  logic unused_desc;
  assign unused_desc = ^{a_desc.rsvd_127_127, a_desc.attr, a_desc.tc, a_desc.bar_aperture,
                         a_desc.target_function, a_desc.tag, a_desc.requester_id,
                         a_desc.rsvd_79_79, a_desc.addr_type, in_desc.rsvd_127_127,
                         in_desc.bar_aperture, in_desc.target_function, in_desc.rsvd_79_79};

  // After a non-posted request's last beat: a BAR0 read fetches its registers first.
  function automatic state_e answer_state(logic bar0, logic ur);
    return (bar0 && !ur) ? StRegRead : StRespond;
  endfunction

  // The registers of every stage below load only when they change (a taken beat, a BAR0 read's
  // states, peerbar_cc_gen taking the job): the same clock enables as before, and nothing for a
  // simulation to evaluate or copy while CQ is idle.
  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      state_q   <= StIdle;
      respond_q <= 1'b0;
      job_q     <= '0;
    end else begin
      unique case (state_q)
        StIdle: begin
          if (take) begin
            job_q          <= in_job_q;
            job_q.dw_count <= in_dw_count;
            job_q.dw_addr[13:0] <= in_off0;  // either BAR's (the rest: in_job_q)
            job_q.at       <= in_desc.addr_type;
            job_q.req_id   <= in_desc.requester_id;
            job_q.tag      <= in_desc.tag;
            job_q.tc       <= in_desc.tc;
            job_q.attr     <= in_desc.attr;
            job_q.ur_dws   <= {in_data_q[CqDescW-1:0], 24'd0, in_be_q};
            if (in_posted_q) begin
              respond_q <= 1'b0;
              if (!in_last_q) begin
                state_q <= in_bar2_wr_q ? StWrite : StSink;
              end
            end else begin
              respond_q <= 1'b1;
              state_q   <= in_last_q ? answer_state(in_job_q.bar0, in_job_q.ur) : StSink;
            end
          end
        end

        StWrite: begin
          if (take && in_last_q) begin
            state_q <= StIdle;
          end
        end

        StSink: begin
          if (take && in_last_q) begin
            state_q <= respond_q ? answer_state(job_q.bar0, job_q.ur) : StIdle;
          end
        end

        StRegRead: state_q <= StRegMux;

        StRegMux: state_q <= StRegData;

        StRegData: begin
          job_q.reg_data <= reg_rd_data_i;
          state_q        <= StRespond;
        end

        StRespond: begin
          if (job_ready_i) begin
            state_q <= StIdle;
          end
        end

        default: state_q <= StIdle;
      endcase
    end
  end

  // What the payload beats after a BAR2 write's first one need (no reset needed: qualified by
  // the state).
  always_ff @(posedge clk_i) begin
    if (take && state_q == StIdle) begin
      // Lanes 4-7 of this beat carry payload DWORDs 0-3, the next beat starts at payload DWORD 4.
      wr_base_q      <= in_off2 + DwW'(4);
      wr_left_q      <= (in_dw_count > CqDescDwordCountW'(4))
                        ? in_dw_count - CqDescDwordCountW'(4) : '0;
      wr_last_be_q   <= in_be_q[7:4];
      // Payload DWORDs after this beat: count - 4; the next beat is the last with 8 or less.
      wr_more_q      <= in_dw_count > CqDescDwordCountW'(4);
      wr_tail_q      <= in_dw_count <= CqDescDwordCountW'(12);
      wr_tail_on_q   <= in_tail_on_q;
      wr_tail_last_q <= in_tail_last_q;
    end else if (take && state_q == StWrite) begin
      wr_base_q <= wr_base_q + DwW'(8);
      wr_left_q <= (wr_left_q > CqDescDwordCountW'(8)) ? wr_left_q - CqDescDwordCountW'(8) : '0;
      wr_more_q <= wr_left_q > CqDescDwordCountW'(8);
      wr_tail_q <= wr_left_q <= CqDescDwordCountW'(16);
    end
  end

  assign job_valid_o      = state_q == StRespond;
  assign job_o            = job_q;
  // The BAR0 read address, in the cycle the state machine moves to StRegRead: from StIdle (the
  // request's only beat is taken) or from StSink (its last beat is).
  assign reg_rd_dw_addr_o = (state_q == StIdle) ? in_off0 : job_q.dw_addr[13:0];

  ///////////////////
  // BAR2 write    //
  ///////////////////

  // Lane i of a beat carries the payload DWORD at BAR2 address base + i, base being the address
  // of lane 0 (on the first beat lanes 0-3 hold the descriptor: base = first address - 4).
  // Bank b takes lane (b - base) mod 8, in row base / 8 + (b < base mod 8). The rows and data
  // load with a write only: the memory takes them only with a byte enable.
  logic mem_write;
  assign mem_write = take && ((state_q == StIdle && in_bar2_wr_q) || state_q == StWrite);

  always_ff @(posedge clk_i) begin
    if (!mem_write) begin
      mem_wr_be_o <= '0;
    end else begin
      logic [DwW-1:0]       wr_base;
      logic [7:0]           bank_on, bank_first, bank_last;
      logic [3:0]           last_be;
      logic [7:0][RowW-1:0] row;
      logic [7:0][31:0]     data;
      logic [7:0][3:0]      be;
      // Payload DWORD j of the request: first_be for j = 0, last_be for the last, all bytes for
      // the others; the banks that take them were worked out a beat ahead.
      if (state_q == StIdle) begin
        wr_base    = in_off2 - DwW'(4);
        bank_on    = in_bank_on_q;
        bank_first = in_bank_first_q;
        bank_last  = in_bank_last_q;
        last_be    = in_be_q[7:4];
      end else begin
        wr_base    = wr_base_q;
        bank_on    = !wr_more_q ? '0 : wr_tail_q ? wr_tail_on_q : '1;
        bank_first = '0;
        bank_last  = wr_tail_q ? wr_tail_last_q : '0;
        last_be    = wr_last_be_q;
      end

      // Bank b holds the lane whose DWORD address is b modulo 8.
      for (int unsigned b = 0; b < 8; b++) begin
        logic [2:0] lane;
        lane = 3'(b) - wr_base[2:0];
        if (!bank_on[b]) begin
          be[b] = 4'h0;
        end else if (bank_first[b]) begin
          be[b] = in_be_q[3:0];
        end else if (bank_last[b]) begin
          be[b] = last_be;
        end else begin
          be[b] = 4'hF;
        end
        data[b] = in_data_q[32*lane +: 32];
        row[b]  = wr_base[DwW-1:3] + ((3'(b) < wr_base[2:0]) ? RowW'(1) : RowW'(0));
      end
      mem_wr_be_o   <= rst_i ? '0 : be;
      mem_wr_data_o <= data;
      mem_wr_row_o  <= row;
    end
  end

  //////////////////////////////////////
  // BAR0 write and error accounting //
  //////////////////////////////////////

  // The address of the next cycle's register write: in_off0 in every cycle, for the register
  // files, which decode the address a cycle early.
  assign reg_wr_dw_addr_next_o = in_off0;

  logic first_beat_taken;
  assign first_beat_taken = take && state_q == StIdle;

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      in_valid_q            <= 1'b0;
      reg_wr_valid_o        <= 1'b0;
      dropped_write_o       <= 1'b0;
      unsupported_request_o <= 1'b0;
      error_valid_o         <= 1'b0;
    end else begin
      if (cq_tvalid_i && cq_tready_o) begin
        in_valid_q <= 1'b1;
      end else if (take) begin
        in_valid_q <= 1'b0;
      end
      reg_wr_valid_o        <= first_beat_taken && in_bar0_wr_q;
      dropped_write_o       <= first_beat_taken && in_cause_q != CauseNone && in_posted_q;
      unsupported_request_o <= first_beat_taken && in_cause_q != CauseNone && !in_posted_q;
      error_valid_o         <= first_beat_taken && in_cause_q != CauseNone;
    end
  end

  // The register write's data and the error log's fields: used only with reg_wr_valid_o and
  // error_valid_o, so loaded with a first beat only (no reset needed).
  always_ff @(posedge clk_i) begin
    if (first_beat_taken) begin
      reg_wr_data_o       <= in_data_q[CqDescW +: 64];  // the two DWORDs after the descriptor
      reg_wr_be_o         <= {(in_dw_count == CqDescDwordCountW'(2)) ? in_be_q[7:4] : 4'h0,
                              in_be_q[3:0]};
      error_cause_o       <= in_cause_q;
      error_req_type_o    <= in_desc.req_type;
      error_bar_id_o      <= in_desc.bar_id;
      error_dword_count_o <= in_dw_count;
      if (in_desc.req_type inside {ReqMemRd, ReqMemWr} && in_desc.bar_id == Bar0Id) begin
        error_offset_o <= 64'({in_off0, 2'b00});
      end else if (in_desc.req_type inside {ReqMemRd, ReqMemWr} && in_desc.bar_id == Bar2Id) begin
        error_offset_o <= 64'({in_off2, 2'b00});
      end else begin
        error_offset_o <= {in_desc.address, 2'b00};  // no BAR to be relative to
      end
    end
  end

  // The input register: the beat, loaded with a beat only, and its decode, loaded with the first
  // beat of a request only: the dispatch stage uses the decode in StIdle, whose beat is always
  // a request's first (the state machine returns to StIdle after taking a request's last beat,
  // and is there after reset), so the later beats of a write need not be decoded. No reset
  // needed: qualified by in_valid_q and the state.
  logic cq_first_q;                            // the next CQ beat starts a request
  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      cq_first_q <= 1'b1;
    end else if (cq_tvalid_i && cq_tready_o) begin
      cq_first_q <= cq_tlast_i;
    end
  end

  always_ff @(posedge clk_i) begin
    if (cq_tvalid_i && cq_tready_o) begin
      in_data_q <= cq_tdata_i;
      in_last_q <= cq_tlast_i;
      in_be_q   <= cq_be_i;
    end
  end

  always_ff @(posedge clk_i) begin
    if (cq_tvalid_i && cq_tready_o && cq_first_q) begin
      logic [CqDescDwordCountW-1:0] a_dw_count;
      req_type_e                    a_type;
      logic [CqDescBarIdW-1:0]      a_bar_id;
      // Offsets within the BARs (DWORDs); nothing ever wraps around a BAR end.
      logic [13:0]                  a_off0;      // BAR0: 64 KiB
      logic [DwW-1:0]               a_off2;      // BAR2: 2**Bar2SizeLog2 bytes
      logic                         past_end0, past_end2;
      // Classification
      logic                         is_mem_rd, is_mem_wr, is_mem_read_type, is_posted, refused;
      error_cause_e                 cause;
      // Byte-enable arithmetic (PCIe byte count rules)
      logic [1:0]                   first_lo_gap, first_hi_gap, last_hi_gap;
      logic [CcDescByteCountW-1:0]  byte_count;
      // The job this request gets if it is answered (reg_data is filled in by a BAR0 read).
      cc_job_t                      a_job;
      logic [7:0]                   on, last, tail_on;
      logic [2:0]                   tail_n;      // DWORDs in a later last beat, minus one

      a_dw_count = a_desc.dword_count;
      a_type     = req_type_e'(a_desc.req_type);
      a_bar_id   = a_desc.bar_id;
      a_off0     = a_desc.address[13:0];
      a_off2     = a_desc.address[DwW-1:0];
      past_end0  = (15'(a_off0) + 15'(a_dw_count)) > 15'h4000;
      past_end2  = (33'(a_off2) + 33'(a_dw_count)) > (33'(1) << DwW);

      is_mem_rd        = a_type == ReqMemRd;
      is_mem_wr        = a_type == ReqMemWr;
      // Memory reads (incl. locked) get a computed lower address / byte count in a UR.
      is_mem_read_type = a_type == ReqMemRd || a_type == ReqMemRdLk;
      // Posted: MemWr and messages. The reserved type F is dropped rather than answered: a
      // completion nobody asked for would be worse than none.
      is_posted        = is_mem_wr || a_type inside {ReqMsg, ReqMsgVendor, ReqMsgAts, ReqReserved};
      if (!(is_mem_rd || is_mem_wr) || a_dw_count == '0) begin
        cause = CauseUnsupported;
      end else if (a_bar_id != Bar0Id && a_bar_id != Bar2Id) begin
        cause = CauseNoBar;
      end else if (a_bar_id == Bar0Id && a_dw_count > CqDescDwordCountW'(2)) begin
        cause = CauseTooWide;
      end else if (a_bar_id == Bar0Id ? past_end0 : past_end2) begin
        cause = CausePastEnd;
      end else begin
        cause = CauseNone;
      end
      refused = cause != CauseNone;

      unique casez (a_first_be)
        4'b???1: first_lo_gap = 2'd0;
        4'b??10: first_lo_gap = 2'd1;
        4'b?100: first_lo_gap = 2'd2;
        4'b1000: first_lo_gap = 2'd3;
        default: first_lo_gap = 2'd0;  // zero-length request
      endcase
      unique casez (a_first_be)
        4'b1???: first_hi_gap = 2'd0;
        4'b01??: first_hi_gap = 2'd1;
        4'b001?: first_hi_gap = 2'd2;
        4'b0001: first_hi_gap = 2'd3;
        default: first_hi_gap = 2'd0;
      endcase
      unique casez (a_last_be)
        4'b1???: last_hi_gap = 2'd0;
        4'b01??: last_hi_gap = 2'd1;
        4'b001?: last_hi_gap = 2'd2;
        4'b0001: last_hi_gap = 2'd3;
        default: last_hi_gap = 2'd0;
      endcase
      if (a_dw_count == CqDescDwordCountW'(1)) begin
        byte_count = (a_first_be == '0) ? CcDescByteCountW'(1)
                   : CcDescByteCountW'(4) - CcDescByteCountW'(first_lo_gap)
                                          - CcDescByteCountW'(first_hi_gap);
      end else begin
        byte_count = {a_dw_count, 2'b00} - CcDescByteCountW'(first_lo_gap)
                                         - CcDescByteCountW'(last_hi_gap);
      end

      a_job            = '0;
      a_job.ur         = refused;
      a_job.locked     = a_type == ReqMemRdLk;  // always refused: CplLk with UR
      a_job.bar0       = a_bar_id == Bar0Id;
      a_job.dw_addr    = (a_bar_id == Bar0Id) ? 30'(a_off0) : 30'(a_off2);
      a_job.byte_count = (refused && !is_mem_read_type) ? CcDescByteCountW'(4) : byte_count;
      a_job.last_gap   = last_hi_gap;
      a_job.lower_addr = (refused && !is_mem_read_type)
                         ? '0 : CcDescLowerAddressW'({a_desc.address, first_lo_gap});
      // (The fields copied from the descriptor, and ur_dws, the descriptor and byte enables
      // themselves, are filled in from in_data_q and in_be_q when the job is taken.)

      // The banks of the first beat and of a later last beat (above lanes_to_banks).
      tail_n = a_dw_count[2:0] - 3'd5;
      for (int unsigned i = 0; i < 8; i++) begin
        on[i]      = i >= 4 && a_dw_count >= CqDescDwordCountW'(i - 3);
        last[i]    = i > 4 && a_dw_count == CqDescDwordCountW'(i - 3);
        tail_on[i] = 3'(i) <= tail_n;
      end

      in_cause_q      <= cause;
      in_posted_q     <= is_posted;
      in_bar2_wr_q    <= !refused && is_mem_wr && a_bar_id == Bar2Id;
      in_bar0_wr_q    <= !refused && is_mem_wr && a_bar_id == Bar0Id;
      in_write_q      <= !refused && is_mem_wr;
      in_job_q        <= a_job;
      in_bank_on_q    <= lanes_to_banks(on, a_off2[2:0] - 3'd4);
      in_bank_first_q <= lanes_to_banks(8'h10, a_off2[2:0] - 3'd4);
      in_bank_last_q  <= lanes_to_banks(last, a_off2[2:0] - 3'd4);
      in_tail_on_q    <= lanes_to_banks(tail_on, a_off2[2:0] - 3'd4);
      in_tail_last_q  <= lanes_to_banks(8'(1) << tail_n, a_off2[2:0] - 3'd4);
    end
  end

endmodule

`default_nettype wire
