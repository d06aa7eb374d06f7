// peerbar_reg_pkg: peerbar endpoint registers (BAR0, 64 KiB)
//
// Generated from hw/regmap/peerbar.toml by peerbar-regmap.
// Do not edit; regenerate with cargo run -p peerbar-regmap
//
// Per register REG: REG_OFFSET (byte offset in the block) and REG_RESET (reset value).
// Per field FIELD: REG_FIELD_LSB, REG_FIELD_WIDTH and REG_FIELD_MASK (in register position).

`default_nettype none

package peerbar_reg_pkg;

  // A design uses only some of these constants; Verilator would flag the rest.
  // verilator lint_off UNUSEDPARAM

  // MAGIC @ 0x000 (const): Identifies a peerbar endpoint. Reads 0x50454552 ("PEER" as a big-endian ASCII word).
  localparam logic [15:0] MAGIC_OFFSET = 16'h0000;
  localparam logic [31:0] MAGIC_RESET = 32'h5045_4552;
  // MAGIC.VALUE [31:0] (const, reset 0x50454552): Magic number.
  localparam int unsigned MAGIC_VALUE_LSB = 0;
  localparam int unsigned MAGIC_VALUE_WIDTH = 32;
  localparam logic [31:0] MAGIC_VALUE_MASK = 32'hffff_ffff;

  // VERSION @ 0x004 (const): Version of the register interface. A driver accepts the major version it was written for.
  localparam logic [15:0] VERSION_OFFSET = 16'h0004;
  localparam logic [31:0] VERSION_RESET = 32'h0000_0100;
  // VERSION.PATCH [7:0] (const, reset 0x0): Patch level: fixes with no interface change.
  localparam int unsigned VERSION_PATCH_LSB = 0;
  localparam int unsigned VERSION_PATCH_WIDTH = 8;
  localparam logic [31:0] VERSION_PATCH_MASK = 32'h0000_00ff;
  // VERSION.MINOR [15:8] (const, reset 0x1): Minor version: backwards-compatible additions.
  localparam int unsigned VERSION_MINOR_LSB = 8;
  localparam int unsigned VERSION_MINOR_WIDTH = 8;
  localparam logic [31:0] VERSION_MINOR_MASK = 32'h0000_ff00;
  // VERSION.MAJOR [31:16] (const, reset 0x0): Major version: incompatible changes.
  localparam int unsigned VERSION_MAJOR_LSB = 16;
  localparam int unsigned VERSION_MAJOR_WIDTH = 16;
  localparam logic [31:0] VERSION_MAJOR_MASK = 32'hffff_0000;

  // CAPABILITIES @ 0x008 (const): What this build of the endpoint implements.
  localparam logic [15:0] CAPABILITIES_OFFSET = 16'h0008;
  localparam logic [31:0] CAPABILITIES_RESET = 32'h0000_0020;
  // CAPABILITIES.DATAPATH_BYTES [7:0] (const, reset 0x20): Width of the PCIe user interface in bytes (32 = 256 bits).
  localparam int unsigned CAPABILITIES_DATAPATH_BYTES_LSB = 0;
  localparam int unsigned CAPABILITIES_DATAPATH_BYTES_WIDTH = 8;
  localparam logic [31:0] CAPABILITIES_DATAPATH_BYTES_MASK = 32'h0000_00ff;
  // CAPABILITIES.DMA_QUEUES [15:8] (const, reset 0x0): Number of DMA queue pairs (0: no DMA engine in this build).
  localparam int unsigned CAPABILITIES_DMA_QUEUES_LSB = 8;
  localparam int unsigned CAPABILITIES_DMA_QUEUES_WIDTH = 8;
  localparam logic [31:0] CAPABILITIES_DMA_QUEUES_MASK = 32'h0000_ff00;
  // CAPABILITIES.DMA_ENGINE [16] (const, reset 0x0): 1 when the SGL DMA engine is present.
  localparam int unsigned CAPABILITIES_DMA_ENGINE_LSB = 16;
  localparam int unsigned CAPABILITIES_DMA_ENGINE_WIDTH = 1;
  localparam logic [31:0] CAPABILITIES_DMA_ENGINE_MASK = 32'h0001_0000;
  // CAPABILITIES.MSIX [17] (const, reset 0x0): 1 when the endpoint raises MSI-X interrupts.
  localparam int unsigned CAPABILITIES_MSIX_LSB = 17;
  localparam int unsigned CAPABILITIES_MSIX_WIDTH = 1;
  localparam logic [31:0] CAPABILITIES_MSIX_MASK = 32'h0002_0000;

  // BAR2_SIZE_LO @ 0x010 (ro): Size of BAR2 (peer memory) in bytes, low 32 bits. Set by the RTL parameter Bar2SizeLog2.
  localparam logic [15:0] BAR2_SIZE_LO_OFFSET = 16'h0010;
  localparam logic [31:0] BAR2_SIZE_LO_RESET = 32'h0010_0000;
  // BAR2_SIZE_LO.VALUE [31:0] (ro, reset 0x100000): BAR2 size, bits 31:0 (reset value shown for the default 1 MiB build).
  localparam int unsigned BAR2_SIZE_LO_VALUE_LSB = 0;
  localparam int unsigned BAR2_SIZE_LO_VALUE_WIDTH = 32;
  localparam logic [31:0] BAR2_SIZE_LO_VALUE_MASK = 32'hffff_ffff;

  // BAR2_SIZE_HI @ 0x014 (ro): Size of BAR2 (peer memory) in bytes, high 32 bits.
  localparam logic [15:0] BAR2_SIZE_HI_OFFSET = 16'h0014;
  localparam logic [31:0] BAR2_SIZE_HI_RESET = 32'h0000_0000;
  // BAR2_SIZE_HI.VALUE [31:0] (ro, reset 0x0): BAR2 size, bits 63:32.
  localparam int unsigned BAR2_SIZE_HI_VALUE_LSB = 0;
  localparam int unsigned BAR2_SIZE_HI_VALUE_WIDTH = 32;
  localparam logic [31:0] BAR2_SIZE_HI_VALUE_MASK = 32'hffff_ffff;

  // SCRATCH @ 0x018 (rw): Free for software: a read/write register for bring-up tests.
  localparam logic [15:0] SCRATCH_OFFSET = 16'h0018;
  localparam logic [31:0] SCRATCH_RESET = 32'h0000_0000;
  // SCRATCH.VALUE [31:0] (rw, reset 0x0): Any value.
  localparam int unsigned SCRATCH_VALUE_LSB = 0;
  localparam int unsigned SCRATCH_VALUE_WIDTH = 32;
  localparam logic [31:0] SCRATCH_VALUE_MASK = 32'hffff_ffff;

  // CONTROL @ 0x01c (w1p): Actions.
  localparam logic [15:0] CONTROL_OFFSET = 16'h001c;
  localparam logic [31:0] CONTROL_RESET = 32'h0000_0000;
  // CONTROL.CLEAR_ERRORS [0] (w1p, reset 0x0): Write 1: clear DROPPED_WRITES, UNSUPPORTED_REQUESTS and the error log.
  localparam int unsigned CONTROL_CLEAR_ERRORS_LSB = 0;
  localparam int unsigned CONTROL_CLEAR_ERRORS_WIDTH = 1;
  localparam logic [31:0] CONTROL_CLEAR_ERRORS_MASK = 32'h0000_0001;

  // STATUS @ 0x020 (ro): Link and configuration state as the endpoint sees it (from the PCIe block's cfg outputs).
  localparam logic [15:0] STATUS_OFFSET = 16'h0020;
  localparam logic [31:0] STATUS_RESET = 32'h0000_0000;
  // STATUS.LINK_UP [0] (ro, reset 0x0): 1 while the PCIe link is up (user_lnk_up).
  localparam int unsigned STATUS_LINK_UP_LSB = 0;
  localparam int unsigned STATUS_LINK_UP_WIDTH = 1;
  localparam logic [31:0] STATUS_LINK_UP_MASK = 32'h0000_0001;
  // STATUS.BUS_MASTER [1] (ro, reset 0x0): 1 when the host enabled bus mastering for function 0.
  localparam int unsigned STATUS_BUS_MASTER_LSB = 1;
  localparam int unsigned STATUS_BUS_MASTER_WIDTH = 1;
  localparam logic [31:0] STATUS_BUS_MASTER_MASK = 32'h0000_0002;
  // STATUS.MAX_PAYLOAD [5:4] (ro, reset 0x0): Max Payload Size the host configured: 0=128 B, 1=256 B, 2=512 B, 3=1024 B (cfg_max_payload).
  localparam int unsigned STATUS_MAX_PAYLOAD_LSB = 4;
  localparam int unsigned STATUS_MAX_PAYLOAD_WIDTH = 2;
  localparam logic [31:0] STATUS_MAX_PAYLOAD_MASK = 32'h0000_0030;
  // STATUS.MAX_READ_REQ [10:8] (ro, reset 0x0): Max Read Request Size: 0=128 B, 1=256 B, 2=512 B, 3=1 KiB, 4=2 KiB, 5=4 KiB (cfg_max_read_req).
  localparam int unsigned STATUS_MAX_READ_REQ_LSB = 8;
  localparam int unsigned STATUS_MAX_READ_REQ_WIDTH = 3;
  localparam logic [31:0] STATUS_MAX_READ_REQ_MASK = 32'h0000_0700;
  // STATUS.RCB_128 [12] (ro, reset 0x0): Read Completion Boundary: 0=64 B, 1=128 B (cfg_rcb_status, function 0).
  localparam int unsigned STATUS_RCB_128_LSB = 12;
  localparam int unsigned STATUS_RCB_128_WIDTH = 1;
  localparam logic [31:0] STATUS_RCB_128_MASK = 32'h0000_1000;

  // DROPPED_WRITES @ 0x024 (ro): Posted writes the endpoint could not serve and dropped (past the end of a BAR, unknown BAR, too wide for BAR0, unsupported message). Saturates at all ones.
  localparam logic [15:0] DROPPED_WRITES_OFFSET = 16'h0024;
  localparam logic [31:0] DROPPED_WRITES_RESET = 32'h0000_0000;
  // DROPPED_WRITES.COUNT [31:0] (ro, reset 0x0): Number of dropped posted requests.
  localparam int unsigned DROPPED_WRITES_COUNT_LSB = 0;
  localparam int unsigned DROPPED_WRITES_COUNT_WIDTH = 32;
  localparam logic [31:0] DROPPED_WRITES_COUNT_MASK = 32'hffff_ffff;

  // UNSUPPORTED_REQUESTS @ 0x028 (ro): Non-posted requests answered with an Unsupported Request completion. Saturates at all ones.
  localparam logic [15:0] UNSUPPORTED_REQUESTS_OFFSET = 16'h0028;
  localparam logic [31:0] UNSUPPORTED_REQUESTS_RESET = 32'h0000_0000;
  // UNSUPPORTED_REQUESTS.COUNT [31:0] (ro, reset 0x0): Number of UR completions sent.
  localparam int unsigned UNSUPPORTED_REQUESTS_COUNT_LSB = 0;
  localparam int unsigned UNSUPPORTED_REQUESTS_COUNT_WIDTH = 32;
  localparam logic [31:0] UNSUPPORTED_REQUESTS_COUNT_MASK = 32'hffff_ffff;

  // ERROR_LOG @ 0x02c (ro): The first request refused since reset or CONTROL.CLEAR_ERRORS (sticky until cleared).
  localparam logic [15:0] ERROR_LOG_OFFSET = 16'h002c;
  localparam logic [31:0] ERROR_LOG_RESET = 32'h0000_0000;
  // ERROR_LOG.CAUSE [3:0] (ro, reset 0x0): Why it was refused: 0=none, 1=past the end of the BAR, 2=unsupported request type, 3=too wide for BAR0 (more than 2 DWORDs), 4=BAR not implemented.
  localparam int unsigned ERROR_LOG_CAUSE_LSB = 0;
  localparam int unsigned ERROR_LOG_CAUSE_WIDTH = 4;
  localparam logic [31:0] ERROR_LOG_CAUSE_MASK = 32'h0000_000f;
  // ERROR_LOG.REQ_TYPE [7:4] (ro, reset 0x0): Request type from the CQ descriptor (0=MemRd, 1=MemWr, ...).
  localparam int unsigned ERROR_LOG_REQ_TYPE_LSB = 4;
  localparam int unsigned ERROR_LOG_REQ_TYPE_WIDTH = 4;
  localparam logic [31:0] ERROR_LOG_REQ_TYPE_MASK = 32'h0000_00f0;
  // ERROR_LOG.BAR_ID [10:8] (ro, reset 0x0): BAR the request hit.
  localparam int unsigned ERROR_LOG_BAR_ID_LSB = 8;
  localparam int unsigned ERROR_LOG_BAR_ID_WIDTH = 3;
  localparam logic [31:0] ERROR_LOG_BAR_ID_MASK = 32'h0000_0700;
  // ERROR_LOG.DWORD_COUNT [26:16] (ro, reset 0x0): Length of the request in DWORDs.
  localparam int unsigned ERROR_LOG_DWORD_COUNT_LSB = 16;
  localparam int unsigned ERROR_LOG_DWORD_COUNT_WIDTH = 11;
  localparam logic [31:0] ERROR_LOG_DWORD_COUNT_MASK = 32'h07ff_0000;
  // ERROR_LOG.VALID [31] (ro, reset 0x0): 1 when the log holds a refused request.
  localparam int unsigned ERROR_LOG_VALID_LSB = 31;
  localparam int unsigned ERROR_LOG_VALID_WIDTH = 1;
  localparam logic [31:0] ERROR_LOG_VALID_MASK = 32'h8000_0000;

  // ERROR_ADDR_LO @ 0x030 (ro): Offset within the BAR of the logged request, low 32 bits.
  localparam logic [15:0] ERROR_ADDR_LO_OFFSET = 16'h0030;
  localparam logic [31:0] ERROR_ADDR_LO_RESET = 32'h0000_0000;
  // ERROR_ADDR_LO.VALUE [31:0] (ro, reset 0x0): Bits 31:0 of the request's offset (DWORD aligned).
  localparam int unsigned ERROR_ADDR_LO_VALUE_LSB = 0;
  localparam int unsigned ERROR_ADDR_LO_VALUE_WIDTH = 32;
  localparam logic [31:0] ERROR_ADDR_LO_VALUE_MASK = 32'hffff_ffff;

  // ERROR_ADDR_HI @ 0x034 (ro): Offset within the BAR of the logged request, high 32 bits.
  localparam logic [15:0] ERROR_ADDR_HI_OFFSET = 16'h0034;
  localparam logic [31:0] ERROR_ADDR_HI_RESET = 32'h0000_0000;
  // ERROR_ADDR_HI.VALUE [31:0] (ro, reset 0x0): Bits 63:32 of the request's offset.
  localparam int unsigned ERROR_ADDR_HI_VALUE_LSB = 0;
  localparam int unsigned ERROR_ADDR_HI_VALUE_WIDTH = 32;
  localparam logic [31:0] ERROR_ADDR_HI_VALUE_MASK = 32'hffff_ffff;

  // verilator lint_on UNUSEDPARAM

endpackage : peerbar_reg_pkg

`default_nettype wire
