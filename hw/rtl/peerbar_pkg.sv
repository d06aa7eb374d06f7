// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_pkg: types and constants shared by the peerbar completer and DMA engine blocks.

`default_nettype none

package peerbar_pkg;

  // CQ descriptor request types (PG213)
  typedef enum logic [3:0] {
    ReqMemRd     = 4'h0,
    ReqMemWr     = 4'h1,
    ReqIoRd      = 4'h2,
    ReqIoWr      = 4'h3,
    ReqFetchAdd  = 4'h4,
    ReqSwap      = 4'h5,
    ReqCas       = 4'h6,
    ReqMemRdLk   = 4'h7,
    ReqCfgRd0    = 4'h8,
    ReqCfgRd1    = 4'h9,
    ReqCfgWr0    = 4'hA,
    ReqCfgWr1    = 4'hB,
    ReqMsg       = 4'hC,
    ReqMsgVendor = 4'hD,
    ReqMsgAts    = 4'hE,
    ReqReserved  = 4'hF
  } req_type_e;

  // Completion status (CC descriptor [45:43])
  typedef enum logic [2:0] {
    CplSc = 3'd0,  // successful completion
    CplUr = 3'd1,  // unsupported request
    CplCa = 3'd4   // completer abort
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
  typedef struct packed {
    logic             ur;          // answer with a UR completion (one 8-DWORD beat, no data)
    logic             locked;      // UR to a locked read: a CplLk (locked read completion bit)
    logic             bar0;        // payload from reg_data (BAR0) instead of BAR2 memory
    logic [29:0]      dw_addr;     // DWORD offset of the first DWORD within the BAR
    logic [10:0]      dw_count;    // DWORDs requested (1..1024)
    logic [12:0]      byte_count;  // byte count of the first completion (the whole request)
    logic [1:0]       last_gap;    // disabled high bytes of last_be (requests of > 1 DWORD)
    logic [6:0]       lower_addr;  // lower address of the first completion
    logic [1:0]       at;          // address type, copied
    logic [15:0]      req_id;      // requester ID, copied
    logic [7:0]       tag;         // tag, copied
    logic [2:0]       tc;          // traffic class, copied
    logic [2:0]       attr;        // attributes, copied
    logic [4:0][31:0] ur_dws;      // UR only: DW3 (tuser first/last BE) and DW4-7 (CQ descriptor)
    logic [1:0][31:0] reg_data;    // BAR0 only: the registers at dw_addr and dw_addr + 1
  } cc_job_t;

  ////////////////
  // DMA engine //
  ////////////////

  // The MSI-X table's and PBA's offsets and fields (MSIX_TABLE_*, MSIX_PBA_*): peerbar_reg_pkg,
  // generated from hw/regmap/peerbar.toml.

  // SQ entry opcodes (Op*) and CQ status codes (St*): peerbar_wire_pkg, generated from
  // hw/regmap/wire.toml.

  // One queue pair's software-written registers
  typedef struct packed {
    logic [63:0] sq_base;
    logic [63:0] cq_base;
    logic [15:0] sq_size_m1;
    logic [15:0] cq_size_m1;
    logic        enable;
    logic        irq_enable;
    logic [4:0]  msix_vector;
    logic [15:0] sq_tail;
    logic [15:0] cq_head;
  } dma_queue_cfg_t;

  // One MSI-X table entry
  typedef struct packed {
    logic [63:0] addr;
    logic [31:0] data;
    logic        mask;
  } msix_vec_t;

  // Per-cycle accounting events from the engine to its registers
  typedef struct packed {
    logic [12:0] bytes_in;        // payload bytes written into BAR2 this cycle
    logic [12:0] bytes_out;       // payload bytes of a PUSH MemWr sent this cycle
    logic        job_done;        // a CQ entry was sent
    logic [7:0]  job_status;
    logic        err_sgl;
    logic        err_bar_range;
    logic [1:0]  err_link;        // UR/CA/poisoned completions and timeouts this cycle
    logic        bad_completion;
    logic        log_valid;       // a failed job (or ring fault) to log
    logic [15:0] log_cid;
    logic [7:0]  log_status;
    logic [3:0]  log_queue;
    logic [63:0] log_addr;
  } dma_events_t;

endpackage

`default_nettype wire
