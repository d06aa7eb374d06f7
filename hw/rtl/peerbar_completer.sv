// peerbar_completer: decodes completer requests (CQ) and dispatches them.
//
// - BAR2 MemWr: payload written straight into the banked memory, one beat per cycle, no bubbles.
// - BAR0 MemWr (1-2 DWORDs): written into the register file.
// - MemRd to BAR0/BAR2 and every refused non-posted request: a job for peerbar_cc_gen; CQ is
//   back-pressured (tready low) until the answer has left on CC.
// - Refused posted requests: payload consumed and dropped.
// Refusals are counted and the first one logged by peerbar_regs.
//
// tready depends only on the state register, never combinationally on tvalid.

`default_nettype none

module peerbar_completer
  import peerbar_pkg::*;
#(
  // log2 of the BAR2 size in bytes (12 = 4 KiB .. 32 = 4 GiB).
  parameter int unsigned Bar2SizeLog2 = 20,
  // DWORD address width within BAR2 (derived, do not override).
  localparam int unsigned DwW = Bar2SizeLog2 - 2,
  // Row address width of one BAR2 bank (derived, do not override).
  localparam int unsigned RowW = Bar2SizeLog2 - 5
) (
  input  wire logic                  clk_i,
  input  wire logic                  rst_i,              // synchronous, active high

  // Completer request (CQ), dword-aligned, no straddle
  input  wire logic [255:0]          cq_tdata_i,
  input  wire logic                  cq_tlast_i,
  input  wire logic [7:0]            cq_be_i,            // tuser[7:0]: last_be, first_be
  input  wire logic                  cq_tvalid_i,
  output      logic                  cq_tready_o,

  // BAR2 memory write port
  output      logic [7:0][RowW-1:0]  mem_wr_row_o,
  output      logic [7:0][31:0]      mem_wr_data_o,
  output      logic [7:0][3:0]       mem_wr_be_o,

  // BAR0 register file
  output      logic                  reg_wr_valid_o,
  output      logic [13:0]           reg_wr_dw_addr_o,
  output      logic [1:0][31:0]      reg_wr_data_o,
  output      logic [1:0][3:0]       reg_wr_be_o,
  output      logic [13:0]           reg_rd_dw_addr_o,
  input  wire logic [1:0][31:0]      reg_rd_data_i,

  // Error accounting events
  output      logic                  dropped_write_o,
  output      logic                  unsupported_request_o,
  output      logic                  error_valid_o,
  output      logic [3:0]            error_cause_o,
  output      logic [3:0]            error_req_type_o,
  output      logic [2:0]            error_bar_id_o,
  output      logic [10:0]           error_dword_count_o,
  output      logic [63:0]           error_offset_o,

  // Completion job for peerbar_cc_gen
  output      logic                  job_valid_o,
  output      cc_job_t               job_o,
  input  wire logic                  job_done_i
);

  if (Bar2SizeLog2 < 12 || Bar2SizeLog2 > 32) begin : gen_check_size
    $error("peerbar_completer: Bar2SizeLog2 must be in 12..32");
  end

  //////////////////////
  // Descriptor decode //
  //////////////////////

  // Only meaningful on the first beat of a request (state StIdle).
  logic [61:0] d_addr;       // address[63:2]
  logic [10:0] d_dw_count;
  req_type_e   d_type;
  logic [15:0] d_req_id;
  logic [7:0]  d_tag;
  logic [2:0]  d_bar_id;
  logic [2:0]  d_tc;
  logic [2:0]  d_attr;
  logic [1:0]  d_at;
  logic [3:0]  first_be, last_be;

  always_comb begin
    d_at       = cq_tdata_i[1:0];
    d_addr     = cq_tdata_i[63:2];
    d_dw_count = cq_tdata_i[74:64];
    d_type     = req_type_e'(cq_tdata_i[78:75]);
    d_req_id   = cq_tdata_i[95:80];
    d_tag      = cq_tdata_i[103:96];
    d_bar_id   = cq_tdata_i[114:112];
    d_tc       = cq_tdata_i[123:121];
    d_attr     = cq_tdata_i[126:124];
    first_be   = cq_be_i[3:0];
    last_be    = cq_be_i[7:4];
  end

  // Descriptor fields this block does not need: [79] reserved, target function [111:104],
  // BAR aperture [120:115] (the BAR sizes are known here), [127] reserved.
  logic unused_desc;
  assign unused_desc = ^{cq_tdata_i[79], cq_tdata_i[111:104], cq_tdata_i[120:115], cq_tdata_i[127]};

  // Offsets within the BARs (DWORDs); nothing ever wraps around a BAR end.
  logic [13:0]    off0;        // BAR0: 64 KiB
  logic [DwW-1:0] off2;        // BAR2: 2**Bar2SizeLog2 bytes
  logic           past_end0, past_end2;
  always_comb begin
    off0      = d_addr[13:0];
    off2      = d_addr[DwW-1:0];
    past_end0 = (15'(off0) + 15'(d_dw_count)) > 15'h4000;
    past_end2 = (33'(off2) + 33'(d_dw_count)) > (33'(1) << DwW);
  end

  // Classification
  logic          is_mem_rd, is_mem_wr, is_mem_read_type, is_posted;
  error_cause_e  cause;
  always_comb begin
    is_mem_rd        = d_type == ReqMemRd;
    is_mem_wr        = d_type == ReqMemWr;
    // Memory reads (incl. locked) get a computed lower address / byte count in a UR.
    is_mem_read_type = d_type == ReqMemRd || d_type == ReqMemRdLk;
    // Posted: MemWr and messages. The reserved type F is dropped rather than answered: a
    // completion nobody asked for would be worse than none.
    is_posted        = is_mem_wr || d_type inside {ReqMsg, ReqMsgVendor, ReqMsgAts, ReqReserved};

    if (!(is_mem_rd || is_mem_wr) || d_dw_count == '0) begin
      cause = CauseUnsupported;
    end else if (d_bar_id != 3'd0 && d_bar_id != 3'd2) begin
      cause = CauseNoBar;
    end else if (d_bar_id == 3'd0 && d_dw_count > 11'd2) begin
      cause = CauseTooWide;
    end else if (d_bar_id == 3'd0 ? past_end0 : past_end2) begin
      cause = CausePastEnd;
    end else begin
      cause = CauseNone;
    end
  end

  // Byte-enable arithmetic (PCIe byte count rules)
  logic [1:0]  first_lo_gap, first_hi_gap, last_hi_gap;
  logic [12:0] byte_count;
  always_comb begin
    unique casez (first_be)
      4'b???1: first_lo_gap = 2'd0;
      4'b??10: first_lo_gap = 2'd1;
      4'b?100: first_lo_gap = 2'd2;
      4'b1000: first_lo_gap = 2'd3;
      default: first_lo_gap = 2'd0;  // zero-length request
    endcase
    unique casez (first_be)
      4'b1???: first_hi_gap = 2'd0;
      4'b01??: first_hi_gap = 2'd1;
      4'b001?: first_hi_gap = 2'd2;
      4'b0001: first_hi_gap = 2'd3;
      default: first_hi_gap = 2'd0;
    endcase
    unique casez (last_be)
      4'b1???: last_hi_gap = 2'd0;
      4'b01??: last_hi_gap = 2'd1;
      4'b001?: last_hi_gap = 2'd2;
      4'b0001: last_hi_gap = 2'd3;
      default: last_hi_gap = 2'd0;
    endcase
    if (d_dw_count == 11'd1) begin
      byte_count = (first_be == '0) ? 13'd1
                 : 13'd4 - 13'(first_lo_gap) - 13'(first_hi_gap);
    end else begin
      byte_count = {d_dw_count, 2'b00} - 13'(first_lo_gap) - 13'(last_hi_gap);
    end
  end

  ///////////
  // FSM   //
  ///////////

  typedef enum logic [1:0] {
    StIdle,     // waiting for the first beat of a request
    StWrite,    // BAR2 MemWr payload beats after the first
    StSink,     // consuming the payload of a refused or single-beat request
    StRespond   // CQ held off while peerbar_cc_gen answers job_q
  } state_e;

  state_e         state_q, state_d;
  logic           respond_q, respond_d;    // StSink: answer job_q once the payload is consumed
  cc_job_t        job_q, job_d;
  logic [DwW-1:0] wr_addr_q, wr_addr_d;    // first DWORD of the BAR2 write
  logic [10:0]    wr_count_q, wr_count_d;
  logic [3:0]     wr_first_be_q, wr_first_be_d, wr_last_be_q, wr_last_be_d;
  logic [11:0]    wr_pos_q, wr_pos_d;      // payload position of lane 0 of this beat, plus 4

  logic beat;
  assign beat = cq_tvalid_i && cq_tready_o;

  logic refused, sop_bar2_wr, sop_bar0_wr;
  assign refused     = cause != CauseNone;
  assign sop_bar2_wr = state_q == StIdle && beat && !refused && is_mem_wr && d_bar_id == 3'd2;
  assign sop_bar0_wr = state_q == StIdle && beat && !refused && is_mem_wr && d_bar_id == 3'd0;

  always_comb begin
    state_d       = state_q;
    respond_d     = respond_q;
    job_d         = job_q;
    wr_addr_d     = wr_addr_q;
    wr_count_d    = wr_count_q;
    wr_first_be_d = wr_first_be_q;
    wr_last_be_d  = wr_last_be_q;
    wr_pos_d      = wr_pos_q;

    cq_tready_o           = 1'b1;
    job_valid_o           = 1'b0;
    dropped_write_o       = 1'b0;
    unsupported_request_o = 1'b0;
    error_valid_o         = 1'b0;

    unique case (state_q)
      StIdle: begin
        if (beat) begin
          // Latch what a continuing write needs.
          wr_addr_d     = off2;
          wr_count_d    = d_dw_count;
          wr_first_be_d = first_be;
          wr_last_be_d  = last_be;
          wr_pos_d      = 12'd8;

          // The job, in case this request is answered.
          job_d            = '0;
          job_d.ur         = refused;
          job_d.locked     = d_type == ReqMemRdLk;  // always refused: CplLk with UR
          job_d.bar0       = d_bar_id == 3'd0;
          job_d.dw_addr    = (d_bar_id == 3'd0) ? 30'(off0) : 30'(off2);
          job_d.dw_count   = d_dw_count;
          job_d.byte_count = (refused && !is_mem_read_type) ? 13'd4 : byte_count;
          job_d.last_gap   = last_hi_gap;
          job_d.lower_addr = (refused && !is_mem_read_type) ? 7'd0
                                                            : {d_addr[4:0], first_lo_gap};
          job_d.at         = d_at;
          job_d.req_id     = d_req_id;
          job_d.tag        = d_tag;
          job_d.tc         = d_tc;
          job_d.attr       = d_attr;
          job_d.ur_dws     = {cq_tdata_i[127:0], 24'd0, cq_be_i};
          job_d.reg_data   = reg_rd_data_i;

          if (refused) begin
            error_valid_o = 1'b1;
            if (is_posted) begin
              dropped_write_o = 1'b1;
            end else begin
              unsupported_request_o = 1'b1;
            end
          end

          if (is_posted) begin
            respond_d = 1'b0;
            if (!cq_tlast_i) begin
              state_d = (sop_bar2_wr) ? StWrite : StSink;
            end
          end else begin
            respond_d = 1'b1;
            state_d   = cq_tlast_i ? StRespond : StSink;
          end
        end
      end

      StWrite: begin
        if (beat) begin
          wr_pos_d = wr_pos_q + 12'd8;
          if (cq_tlast_i) begin
            state_d = StIdle;
          end
        end
      end

      StSink: begin
        if (beat && cq_tlast_i) begin
          state_d = respond_q ? StRespond : StIdle;
        end
      end

      StRespond: begin
        cq_tready_o = 1'b0;
        job_valid_o = 1'b1;
        if (job_done_i) begin
          state_d = StIdle;
        end
      end

      default: state_d = StIdle;
    endcase
  end

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      state_q       <= StIdle;
      respond_q     <= 1'b0;
      job_q         <= '0;
      wr_addr_q     <= '0;
      wr_count_q    <= '0;
      wr_first_be_q <= '0;
      wr_last_be_q  <= '0;
      wr_pos_q      <= '0;
    end else begin
      state_q       <= state_d;
      respond_q     <= respond_d;
      job_q         <= job_d;
      wr_addr_q     <= wr_addr_d;
      wr_count_q    <= wr_count_d;
      wr_first_be_q <= wr_first_be_d;
      wr_last_be_q  <= wr_last_be_d;
      wr_pos_q      <= wr_pos_d;
    end
  end

  assign job_o = job_q;

  //////////////////////
  // Error accounting //
  //////////////////////

  always_comb begin
    error_cause_o       = cause;
    error_req_type_o    = d_type;
    error_bar_id_o      = d_bar_id;
    error_dword_count_o = d_dw_count;
    if (d_type inside {ReqMemRd, ReqMemWr} && d_bar_id == 3'd0) begin
      error_offset_o = 64'({off0, 2'b00});
    end else if (d_type inside {ReqMemRd, ReqMemWr} && d_bar_id == 3'd2) begin
      error_offset_o = 64'({off2, 2'b00});
    end else begin
      error_offset_o = {d_addr, 2'b00};  // no BAR to be relative to
    end
  end

  ///////////////////
  // BAR2 write    //
  ///////////////////

  // Lane i of the beat carries payload DWORD (pos + i - 4): lanes 0-3 of the first beat hold the
  // descriptor and fall out of range naturally (pos = 0).
  logic [DwW-1:0]  cur_addr;
  logic [10:0]     cur_count;
  logic [3:0]      cur_first_be, cur_last_be;
  logic [11:0]     cur_pos;
  logic            mem_write;
  logic [DwW-1:0]  wr_base;           // BAR2 DWORD address of lane 0
  logic [7:0][3:0] lane_be;
  always_comb begin
    if (state_q == StIdle) begin
      cur_addr     = off2;
      cur_count    = d_dw_count;
      cur_first_be = first_be;
      cur_last_be  = last_be;
      cur_pos      = '0;
    end else begin
      cur_addr     = wr_addr_q;
      cur_count    = wr_count_q;
      cur_first_be = wr_first_be_q;
      cur_last_be  = wr_last_be_q;
      cur_pos      = wr_pos_q;
    end
    mem_write = sop_bar2_wr || (state_q == StWrite && beat);
    wr_base   = cur_addr + DwW'(cur_pos) - DwW'(4);

    for (int unsigned i = 0; i < 8; i++) begin
      logic [11:0] pos;
      pos = cur_pos + 12'(i);
      if (!mem_write || pos < 12'd4 || pos >= 12'(cur_count) + 12'd4) begin
        lane_be[i] = 4'h0;
      end else if (pos == 12'd4) begin
        lane_be[i] = cur_first_be;
      end else if (pos == 12'(cur_count) + 12'd3) begin
        lane_be[i] = cur_last_be;
      end else begin
        lane_be[i] = 4'hF;
      end
    end

    // Bank b holds the lane whose DWORD address is b modulo 8.
    for (int unsigned b = 0; b < 8; b++) begin
      logic [2:0] lane;
      lane             = 3'(b) - wr_base[2:0];
      mem_wr_be_o[b]   = lane_be[lane];
      mem_wr_data_o[b] = cq_tdata_i[32*lane +: 32];
      mem_wr_row_o[b]  = wr_base[DwW-1:3] + ((3'(b) < wr_base[2:0]) ? RowW'(1) : RowW'(0));
    end
  end

  ///////////////////
  // BAR0 access   //
  ///////////////////

  always_comb begin
    reg_wr_valid_o   = sop_bar0_wr;
    reg_wr_dw_addr_o = off0;
    reg_wr_data_o    = {cq_tdata_i[191:160], cq_tdata_i[159:128]};
    reg_wr_be_o      = {(d_dw_count == 11'd2) ? last_be : 4'h0, first_be};
    reg_rd_dw_addr_o = off0;
  end

endmodule

`default_nettype wire
