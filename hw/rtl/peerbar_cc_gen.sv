// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_cc_gen: answers the completer's jobs on CC (completer completion), one after the
// other in the order it takes them.
//
// Reads are split at MPS-aligned address boundaries: the first completion runs from the start to
// the first boundary (or the end), then full MPS chunks, then the remainder. Each CC beat is one
// read of 8 consecutive DWORDs from the banked BAR2 memory (one row per bank), rotated into lanes.
// Pipeline: issue (memory read) -> B (memory output held while stalled) -> output register.
// One beat per cycle once started; any cycle may see cc_tready_i low. The issue stage takes the
// next job (job_ready_o) in the cycle it issues the current job's last beat and issues the new
// job's first beat in the cycle after, so back-to-back jobs leave on CC without an idle cycle
// while the earlier job's last beats are still in stage B and the output register. The job is
// copied into job_q when taken, and everything a beat needs after issue travels with it (the
// descriptor and the lanes that do not come from memory in b_fixed_q), so the completer can
// prepare the next job while this one is sent. Completions leave in the order the jobs were
// taken, i.e. in request order, and a request's completions in address order (PCIe Base Spec,
// "Transaction Ordering": completions of one request must not pass each other; this keeps all
// completions in order, which that table always allows). The size of the next
// completion is worked out one completion ahead (cpl_dw_q, last_cpl_q: when the job starts for
// the first completion, when a completion starts for the one after it), so the issue stage only
// compares registers with small constants (the logic-level budget of docs/synthesis.md).
// A UR job is one 8-DWORD beat: descriptor, tuser first/last BE, CQ descriptor.

`default_nettype none

module peerbar_cc_gen
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
  input  wire logic                  clk_i,
  input  wire logic                  rst_i,            // synchronous, active high

  // Configuration
  input  wire logic [1:0]            max_payload_i,    // MPS: 0=128 B .. 3=1024 B

  // Job from the completer (held stable until job_ready_o)
  input  wire logic                  job_valid_i,
  input  wire cc_job_t               job_i,
  output      logic                  job_ready_o,      // the job is taken in this cycle
  // A taken job still has BAR2 reads to issue, or a read's data waits in the memory's output
  // register (stage B), which a write to the memory's side A would overwrite (READ_FIRST).
  output      logic                  busy_o,

  // BAR2 memory read port (data one cycle after mem_rd_en_o, held otherwise)
  output      logic                  mem_rd_en_o,
  output      logic [7:0][RowW-1:0]  mem_rd_row_o,
  input  wire logic [7:0][31:0]      mem_rd_data_i,

  // Completer completion (CC)
  output      logic [255:0]          cc_tdata_o,
  output      logic [7:0]            cc_tkeep_o,
  output      logic                  cc_tlast_o,
  output      logic                  cc_tvalid_o,
  input  wire logic                  cc_tready_i
);

  if (Bar2SizeLog2 < 12 || Bar2SizeLog2 > 32) begin : gen_check_size
    $error("peerbar_cc_gen: Bar2SizeLog2 must be in 12..32");
  end

  ///////////////////
  // Issue stage   //
  ///////////////////

  // Counts of DWORDs: of the request (rem_q) as wide as the CQ descriptor's, of a completion as
  // the CC descriptor's dword_count.
  logic                         run_q;        // job_q has beats to issue
  cc_job_t                      job_q;        // the job being issued
  logic [CcDescDwordCountW-1:0] mps_dw_q;     // MPS in DWORDs, sampled at the start of the job
  logic [29:0]                  cpl_addr_q;   // DWORD address of the next completion
  logic [CqDescDwordCountW-1:0] rem_q;        // DWORDs from cpl_addr_q to the end of the request
  logic [CcDescDwordCountW-1:0] cpl_dw_q;     // DWORDs of the next completion
  logic                         last_cpl_q;   // the next completion is the job's last
  logic [CcDescDwordCountW-1:0] cpl_left_q;   // DWORDs of the current completion not yet issued
  logic [29:0]                  base_q;       // DWORD address of lane 0 of the next beat
  logic                         first_beat_q; // next beat starts a completion
  logic                         first_cpl_q;  // that completion is the job's first

  // Pipeline stage B (memory output) and the output register
  logic         b_valid_q;
  logic [255:0] b_fixed_q;                    // the lanes not from memory, zero where not kept
  logic [7:0]   b_mem_q;                      // lanes from memory (kept ones only)
  logic [2:0]   b_base_q;                     // DWORD address of lane 0, modulo 8
  logic [7:0]   b_keep_q;
  logic         b_last_q;
  logic         out_valid_q;

  logic        out_ready, b_advance, can_issue, issue, take_job;
  assign out_ready = !out_valid_q || cc_tready_i;
  assign b_advance = b_valid_q && out_ready;
  assign can_issue = !b_valid_q || out_ready;
  assign issue     = run_q && can_issue;

  // The beat the issue stage would issue now: where it starts and how much of it is kept (the
  // state machine and the memory read need these in this cycle; the rest of the beat is worked
  // out as it is issued, below).
  logic [3:0]   lanes;                        // payload DWORDs in this beat
  logic [29:0]  beat_base;
  logic [7:0]   beat_keep;
  logic         beat_last, beat_final;

  always_comb begin
    if (job_q.ur) begin
      beat_base   = '0;
      lanes       = 4'd5;
      beat_keep   = 8'hFF;
      beat_last   = 1'b1;
      beat_final  = 1'b1;
    end else if (first_beat_q) begin
      beat_base   = cpl_addr_q - 30'd3;   // payload starts at lane 3
      lanes       = (cpl_dw_q < CcDescDwordCountW'(5)) ? 4'(cpl_dw_q) : 4'd5;
      beat_keep   = 8'((16'd1 << (4'd3 + lanes)) - 16'd1);
      beat_last   = cpl_dw_q <= CcDescDwordCountW'(5);
      beat_final  = beat_last && last_cpl_q;
    end else begin
      beat_base   = base_q;
      lanes       = (cpl_left_q < CcDescDwordCountW'(8)) ? 4'(cpl_left_q) : 4'd8;
      beat_keep   = 8'((16'd1 << lanes) - 16'd1);
      beat_last   = cpl_left_q <= CcDescDwordCountW'(8);
      beat_final  = beat_last && rem_q == '0;
    end
  end

  // The next job is taken when none is being issued or in the cycle the current one's last beat
  // is issued (after which the completer may change job_i).
  assign take_job    = job_valid_i && (!run_q || (issue && beat_final));
  assign job_ready_o = take_job;
  assign busy_o      = run_q || b_valid_q;

  // The issue stage's registers change only when a job is taken or a beat issued; everything is
  // worked out under those conditions (the same clock enables), so that a simulation evaluates
  // nothing of it while CC is idle.
  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      run_q        <= 1'b0;
      mps_dw_q     <= '0;
      cpl_addr_q   <= '0;
      rem_q        <= '0;
      cpl_dw_q     <= '0;
      last_cpl_q   <= 1'b0;
      cpl_left_q   <= '0;
      base_q       <= '0;
      first_beat_q <= 1'b0;
      first_cpl_q  <= 1'b0;
    end else if (take_job) begin
      // A new job starts (the current one, if any, has just issued its last beat). Its first
      // completion runs from the start to the first MPS-aligned boundary, or to the end.
      logic [CcDescDwordCountW-1:0] start_mps_dw, start_space;
      start_mps_dw = CcDescDwordCountW'(32) << max_payload_i;
      start_space  = start_mps_dw - (job_i.dw_addr[CcDescDwordCountW-1:0]
                                     & (start_mps_dw - CcDescDwordCountW'(1)));
      run_q        <= 1'b1;
      mps_dw_q     <= start_mps_dw;
      cpl_addr_q   <= job_i.dw_addr;
      rem_q        <= job_i.dw_count;
      cpl_dw_q     <= (job_i.dw_count < start_space) ? job_i.dw_count : start_space;
      last_cpl_q   <= job_i.dw_count <= start_space;
      first_beat_q <= 1'b1;
      first_cpl_q  <= 1'b1;
    end else if (issue) begin
      base_q       <= beat_base + 30'd8;
      first_beat_q <= beat_last;
      if (first_beat_q) begin
        // Every later completion starts on a boundary: MPS DWORDs, or the rest.
        logic [CqDescDwordCountW-1:0] rem_after;
        rem_after    = rem_q - cpl_dw_q;
        rem_q       <= rem_after;
        cpl_addr_q  <= cpl_addr_q + 30'(cpl_dw_q);
        cpl_left_q  <= cpl_dw_q - CcDescDwordCountW'(lanes);
        first_cpl_q <= 1'b0;
        cpl_dw_q    <= (rem_after < mps_dw_q) ? rem_after : mps_dw_q;
        last_cpl_q  <= rem_after <= mps_dw_q;
      end else begin
        cpl_left_q  <= cpl_left_q - CcDescDwordCountW'(lanes);
      end
      if (beat_final) begin
        run_q <= 1'b0;
      end
    end
  end

  // Memory read: bank b supplies the lane whose DWORD address is b modulo 8.
  always_comb begin
    mem_rd_en_o = issue;
    for (int unsigned b = 0; b < 8; b++) begin
      mem_rd_row_o[b] = beat_base[DwW-1:3] + ((3'(b) < beat_base[2:0]) ? RowW'(1) : RowW'(0));
    end
  end

  // High DWORD address bits above BAR2 only matter for BAR0 jobs, whose data is not read here.
  if (DwW < 30) begin : gen_unused_base_hi
    logic unused_beat_base;
    assign unused_beat_base = ^beat_base[29:DwW];
  end
  // The job's address and length are taken from job_i when it starts (cpl_addr_q, rem_q); the
  // copy keeps the fields its beats need.
  logic unused_job_range;
  assign unused_job_range = ^{job_q.dw_addr, job_q.dw_count};

  ///////////////////////////////
  // Stage B and output stage  //
  ///////////////////////////////

  always_ff @(posedge clk_i) begin
    if (rst_i) begin
      b_valid_q   <= 1'b0;
      out_valid_q <= 1'b0;
    end else begin
      b_valid_q   <= issue ? 1'b1 : (b_advance ? 1'b0 : b_valid_q);
      out_valid_q <= out_ready ? b_valid_q : out_valid_q;
    end
  end

  // Data registers: no reset needed, qualified by the valid bits.
  always_ff @(posedge clk_i) begin
    if (take_job) begin
      job_q <= job_i;
    end
  end

  // The beat as it is issued: its descriptor and the lanes that do not come from memory.
  always_ff @(posedge clk_i) begin
    if (issue) begin
      logic [CcDescByteCountW-1:0]    byte_count;
      logic [CcDescLowerAddressW-1:0] lower_addr;
      cc_desc_t                       desc;
      logic [255:0]                   beat_fixed;
      logic [7:0]                     beat_mem;
      byte_count = first_cpl_q ? job_q.byte_count
                               : {rem_q, 2'b00} - CcDescByteCountW'(job_q.last_gap);
      lower_addr = first_cpl_q ? job_q.lower_addr : CcDescLowerAddressW'({cpl_addr_q, 2'b00});

      desc               = '0;
      desc.lower_address = lower_addr;
      desc.addr_type     = job_q.at;
      desc.byte_count    = byte_count;
      desc.dword_count   = cpl_dw_q;
      desc.status        = CplSc;
      desc.requester_id  = job_q.req_id;
      desc.tag           = job_q.tag;
      desc.tc            = job_q.tc;
      desc.attr          = job_q.attr;
      if (job_q.ur) begin
        desc.dword_count = '0;
        desc.status      = CplUr;
        desc.locked_read = job_q.locked;
      end

      // The lanes that do not come from memory: the descriptor in lanes 0-2 of a completion's
      // first beat; a UR's DW3-7 (tuser BEs, CQ descriptor); a BAR0 read's registers from lane 3
      // on (its first completion starts with the register at dw_addr; a second one, when the
      // two DWORDs straddle an MPS boundary, with the one after it).
      beat_fixed              = '0;
      beat_fixed[CcDescW-1:0] = desc;
      if (job_q.ur) begin
        beat_fixed[255:CcDescW] = job_q.ur_dws;
      end else if (first_cpl_q) begin
        beat_fixed[CcDescW +: 64] = job_q.reg_data;
      end else begin
        beat_fixed[CcDescW +: 32] = job_q.reg_data[1];
      end
      if (job_q.ur || job_q.bar0) begin
        beat_mem = '0;
      end else begin
        beat_mem = first_beat_q ? 8'hF8 : 8'hFF;
      end
      for (int unsigned i = 0; i < 8; i++) begin
        if (!beat_keep[i]) begin
          beat_fixed[32*i +: 32] = '0;
          beat_mem[i]            = 1'b0;
        end
      end

      b_fixed_q <= beat_fixed;
      b_mem_q   <= beat_mem;
      b_base_q  <= beat_base[2:0];
      b_keep_q  <= beat_keep;
      b_last_q  <= beat_last;
    end
  end

  // The output register loads with a beat only: lane i is memory lane (base + i) mod 8, or what
  // the issue stage fixed. (Without a beat, out_valid_q falls and CC ignores the rest.)
  always_ff @(posedge clk_i) begin
    if (b_advance) begin
      for (int unsigned i = 0; i < 8; i++) begin
        logic [2:0] bank;
        bank                   = b_base_q + 3'(i);
        cc_tdata_o[32*i +: 32] <= b_mem_q[i] ? mem_rd_data_i[bank] : b_fixed_q[32*i +: 32];
      end
      cc_tkeep_o <= b_keep_q;
      cc_tlast_o <= b_last_q;
    end
  end

  assign cc_tvalid_o = out_valid_q;

endmodule

`default_nettype wire
