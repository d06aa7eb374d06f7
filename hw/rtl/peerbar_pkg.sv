// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_pkg: types and constants shared by the peerbar completer and DMA engine blocks.

`default_nettype none

package peerbar_pkg;

  // The wire formats' field widths (CqDescReqTypeW, ...): generated from hw/regmap/wire.toml.
  import peerbar_wire_pkg::*;
  import peerbar_reg_pkg::*;

  // CQ descriptor request types (PG213)
  typedef enum logic [CqDescReqTypeW-1:0] {
    ReqMemRd     = 'h0,
    ReqMemWr     = 'h1,
    ReqIoRd      = 'h2,
    ReqIoWr      = 'h3,
    ReqFetchAdd  = 'h4,
    ReqSwap      = 'h5,
    ReqCas       = 'h6,
    ReqMemRdLk   = 'h7,
    ReqCfgRd0    = 'h8,
    ReqCfgRd1    = 'h9,
    ReqCfgWr0    = 'hA,
    ReqCfgWr1    = 'hB,
    ReqMsg       = 'hC,
    ReqMsgVendor = 'hD,
    ReqMsgAts    = 'hE,
    ReqReserved  = 'hF
  } req_type_e;

  // Completion status (CC descriptor status)
  typedef enum logic [CcDescStatusW-1:0] {
    CplSc = 'd0,  // successful completion
    CplUr = 'd1,  // unsupported request
    CplCa = 'd4   // completer abort
  } cpl_status_e;

  // ERROR_LOG.CAUSE codes
  typedef enum logic [3:0] {
    CauseNone        = 4'd0,
    CausePastEnd     = 4'd1,
    CauseUnsupported = 4'd2,
    CauseTooWide     = 4'd3,
    CauseNoBar       = 4'd4
  } error_cause_e;

  // One non-posted request to answer on CC, handed from the completer to peerbar_cc_gen and held
  // stable until peerbar_cc_gen takes it (a copy).
  // The fields copied from the CQ descriptor or meant for the CC descriptor have their widths.
  typedef struct packed {
    // answer with a UR completion (one 8-DWORD beat, no data)
    logic                           ur;
    // UR to a locked read: a CplLk (locked read completion bit)
    logic                           locked;
    // payload from reg_data (BAR0) instead of BAR2 memory
    logic                           bar0;
    logic [29:0]                    dw_addr;     // DWORD offset of the first DWORD within the BAR
    logic [CqDescDwordCountW-1:0]   dw_count;    // DWORDs requested (1..1024)
    // byte count of the first completion (the whole request)
    logic [CcDescByteCountW-1:0]    byte_count;
    // disabled high bytes of last_be (requests of > 1 DWORD)
    logic [1:0]                     last_gap;
    logic [CcDescLowerAddressW-1:0] lower_addr;  // lower address of the first completion
    logic [CcDescAddrTypeW-1:0]     at;          // address type, copied
    logic [CcDescRequesterIdW-1:0]  req_id;      // requester ID, copied
    logic [CcDescTagW-1:0]          tag;         // tag, copied
    logic [CcDescTcW-1:0]           tc;          // traffic class, copied
    logic [CcDescAttrW-1:0]         attr;        // attributes, copied
    // UR only: DW3 (tuser first/last BE) and DW4-7 (CQ descriptor)
    logic [4:0][31:0]               ur_dws;
    // BAR0 only: the registers at dw_addr and dw_addr + 1
    logic [1:0][31:0]               reg_data;
  } cc_job_t;

  ////////////////
  // DMA engine //
  ////////////////

  // The MSI-X table's and PBA's offsets and fields (MSIX_TABLE_*, MSIX_PBA_*): peerbar_reg_pkg,
  // generated from hw/regmap/peerbar.toml.

  // SQ entry opcodes (Op*) and CQ status codes (St*): peerbar_wire_pkg, generated from
  // hw/regmap/wire.toml.

  // An SQ or a CQ entry's index in its ring (QUEUE_SQ_TAIL, QUEUE_STATUS.SQ_HEAD; QUEUE_CQ_HEAD).
  // (Each unit uses one of them or both, as the generated packages' constants: a unit bench that
  // compiles one unit leaves the other unused.)
  // verilator lint_off UNUSEDPARAM
  localparam int unsigned SqIdxW = QUEUE_SQ_TAIL_VALUE_WIDTH;
  localparam int unsigned CqIdxW = QUEUE_CQ_HEAD_VALUE_WIDTH;
  // verilator lint_on UNUSEDPARAM

  // One queue pair's software-written registers (widths: the register map's fields; a base
  // address is one 64-bit value to software, QUEUE_*_BASE)
  typedef struct packed {
    logic [63:0]                                 sq_base;
    logic [63:0]                                 cq_base;
    logic [QUEUE_SIZE_SQ_ENTRIES_M1_WIDTH-1:0]   sq_size_m1;
    logic [QUEUE_SIZE_CQ_ENTRIES_M1_WIDTH-1:0]   cq_size_m1;
    logic                                        enable;
    logic                                        irq_enable;
    logic [QUEUE_CONTROL_MSIX_VECTOR_WIDTH-1:0]  msix_vector;
    logic [QUEUE_SQ_TAIL_VALUE_WIDTH-1:0]        sq_tail;
    logic [QUEUE_CQ_HEAD_VALUE_WIDTH-1:0]        cq_head;
  } dma_queue_cfg_t;

  // One MSI-X table entry (MSIX_TABLE_*)
  typedef struct packed {
    logic [63:0]                             addr;
    logic [MSIX_TABLE_DATA_VALUE_WIDTH-1:0]  data;
    logic                                    mask;
  } msix_vec_t;

  // A request's or a TLP payload's byte count, 0..4096 (PCI Express: at most 4 KiB in one
  // request or payload), as wide as the completion descriptor's Byte Count (PG213).
  typedef logic [RcDescByteCountW-1:0] tlp_bytes_t;

  // Per-cycle accounting events from the engine to its registers
  typedef struct packed {
    tlp_bytes_t             bytes_in;        // payload bytes written into BAR2 this cycle
    tlp_bytes_t             bytes_out;       // payload bytes of a PUSH MemWr sent this cycle
    logic                   job_done;        // a CQ entry was sent
    logic [StatusW-1:0]     job_status;
    logic                   err_sgl;
    logic                   err_bar_range;
    logic [1:0]             err_link;        // UR/CA/poisoned completions and timeouts this cycle
    logic                   bad_completion;
    logic                   log_valid;       // a failed job (or ring fault) to log
    logic [SqEntryCidW-1:0] log_cid;
    logic [StatusW-1:0]     log_status;
    logic [DMA_ERROR_LOG_QUEUE_WIDTH-1:0] log_queue;  // DMA_ERROR_LOG.QUEUE
    logic [63:0]            log_addr;
  } dma_events_t;

endpackage

`default_nettype wire
