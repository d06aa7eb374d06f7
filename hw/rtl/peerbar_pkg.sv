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
  // stable until peerbar_cc_gen reports it done.
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

  // MSI-X table and PBA in BAR0 (hw/regmap/peerbar.toml rules; PCI MSI-X layout).
  localparam logic [15:0] MsixTableOffset = 16'h8000;
  localparam logic [15:0] MsixPbaOffset   = 16'h9000;

  // SQ entry opcodes (docs/dma-engine.md)
  localparam logic [7:0] OpNop      = 8'h00;
  localparam logic [7:0] OpPull     = 8'h01;
  localparam logic [7:0] OpPush     = 8'h02;
  localparam logic [7:0] OpChecksum = 8'h03;

  // CQ entry status codes (STATUS bits 15:1; all fit 8 bits)
  localparam logic [7:0] StSuccess       = 8'h00;
  localparam logic [7:0] StInvalidOpcode = 8'h01;
  localparam logic [7:0] StSglSegment    = 8'h0D;  // Invalid SGL Segment Descriptor
  localparam logic [7:0] StSglCount      = 8'h0E;  // Invalid Number of SGL Descriptors
  localparam logic [7:0] StSglLength     = 8'h0F;  // Data SGL Length Invalid
  localparam logic [7:0] StSglType       = 8'h11;  // SGL Descriptor Type Invalid
  localparam logic [7:0] StBarRange      = 8'hC0;
  localparam logic [7:0] StSglLimit      = 8'hC1;
  localparam logic [7:0] StUr            = 8'hC2;
  localparam logic [7:0] StCa            = 8'hC3;
  localparam logic [7:0] StPoisoned      = 8'hC4;
  localparam logic [7:0] StTimeout       = 8'hC5;
  // The core ended a read on a completion that did not fit it (PG213 error codes 3-5, or a
  // completion marked Request Completed that we could not accept): docs/dma-engine.md.
  localparam logic [7:0] StBadCompletion = 8'hC6;

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
