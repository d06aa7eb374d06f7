// SPDX-License-Identifier: MIT OR Apache-2.0
// peerbar_reg_pkg: peerbar endpoint registers (BAR0, 64 KiB)
//
// Generated from hw/regmap/peerbar.toml by peerbar-regmap.
// Do not edit; regenerate with cargo run -p peerbar-regmap
//
// Per register REG: REG_OFFSET (byte offset in the block) and REG_RESET (reset value).
// Per field FIELD: REG_FIELD_LSB, REG_FIELD_WIDTH and REG_FIELD_MASK (in register position).
// Per register array ARR: ARR_BASE, ARR_STRIDE and ARR_COUNT; its registers are named
// ARR_REG_... like the others, but ARR_REG_OFFSET is relative to the element start.

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
  localparam logic [31:0] VERSION_RESET = 32'h0000_0200;
  // VERSION.PATCH [7:0] (const, reset 0x0): Patch level: fixes with no interface change.
  localparam int unsigned VERSION_PATCH_LSB = 0;
  localparam int unsigned VERSION_PATCH_WIDTH = 8;
  localparam logic [31:0] VERSION_PATCH_MASK = 32'h0000_00ff;
  // VERSION.MINOR [15:8] (const, reset 0x2): Minor version: backwards-compatible additions.
  localparam int unsigned VERSION_MINOR_LSB = 8;
  localparam int unsigned VERSION_MINOR_WIDTH = 8;
  localparam logic [31:0] VERSION_MINOR_MASK = 32'h0000_ff00;
  // VERSION.MAJOR [31:16] (const, reset 0x0): Major version: incompatible changes.
  localparam int unsigned VERSION_MAJOR_LSB = 16;
  localparam int unsigned VERSION_MAJOR_WIDTH = 16;
  localparam logic [31:0] VERSION_MAJOR_MASK = 32'hffff_0000;

  // CAPABILITIES @ 0x008 (const): What this build of the endpoint implements.
  localparam logic [15:0] CAPABILITIES_OFFSET = 16'h0008;
  localparam logic [31:0] CAPABILITIES_RESET = 32'h0003_0420;
  // CAPABILITIES.DATAPATH_BYTES [7:0] (const, reset 0x20): Width of the PCIe user interface in bytes (32 = 256 bits).
  localparam int unsigned CAPABILITIES_DATAPATH_BYTES_LSB = 0;
  localparam int unsigned CAPABILITIES_DATAPATH_BYTES_WIDTH = 8;
  localparam logic [31:0] CAPABILITIES_DATAPATH_BYTES_MASK = 32'h0000_00ff;
  // CAPABILITIES.DMA_QUEUES [15:8] (const, reset 0x4): Number of DMA queue pairs (RTL parameter NumQueues; reset value shown for the default build).
  localparam int unsigned CAPABILITIES_DMA_QUEUES_LSB = 8;
  localparam int unsigned CAPABILITIES_DMA_QUEUES_WIDTH = 8;
  localparam logic [31:0] CAPABILITIES_DMA_QUEUES_MASK = 32'h0000_ff00;
  // CAPABILITIES.DMA_ENGINE [16] (const, reset 0x1): 1 when the SGL DMA engine is present.
  localparam int unsigned CAPABILITIES_DMA_ENGINE_LSB = 16;
  localparam int unsigned CAPABILITIES_DMA_ENGINE_WIDTH = 1;
  localparam logic [31:0] CAPABILITIES_DMA_ENGINE_MASK = 32'h0001_0000;
  // CAPABILITIES.MSIX [17] (const, reset 0x1): 1 when the endpoint raises MSI-X interrupts.
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

  // DMA_CONTROL @ 0x040 (rw): DMA engine control.
  localparam logic [15:0] DMA_CONTROL_OFFSET = 16'h0040;
  localparam logic [31:0] DMA_CONTROL_RESET = 32'h0000_0000;
  // DMA_CONTROL.ENABLE [0] (rw, reset 0x0): 1: the engine fetches from enabled queues. 0: it finishes the jobs in flight and fetches nothing new.
  localparam int unsigned DMA_CONTROL_ENABLE_LSB = 0;
  localparam int unsigned DMA_CONTROL_ENABLE_WIDTH = 1;
  localparam logic [31:0] DMA_CONTROL_ENABLE_MASK = 32'h0000_0001;
  // DMA_CONTROL.RESET [1] (w1p, reset 0x0): Write 1: abort every job, drop in-flight reads (their late completions are discarded and counted), disable every queue and clear DMA_ERROR_LOG.
  localparam int unsigned DMA_CONTROL_RESET_LSB = 1;
  localparam int unsigned DMA_CONTROL_RESET_WIDTH = 1;
  localparam logic [31:0] DMA_CONTROL_RESET_MASK = 32'h0000_0002;
  // DMA_CONTROL.EXT_TAGS [2] (rw, reset 0x0): 1: reads use 8-bit tags (generations of the tag slots, docs/dma-engine.md "Tag rules"). Set it only when the host enabled 8-bit tags (Device Control bit 8, Extended Tag Field Enable); the driver does so in enable(). 0: 5-bit tags, and every tag waits out its quarantine before reuse (slower).
  localparam int unsigned DMA_CONTROL_EXT_TAGS_LSB = 2;
  localparam int unsigned DMA_CONTROL_EXT_TAGS_WIDTH = 1;
  localparam logic [31:0] DMA_CONTROL_EXT_TAGS_MASK = 32'h0000_0004;

  // DMA_STATUS @ 0x044 (ro): DMA engine state.
  localparam logic [15:0] DMA_STATUS_OFFSET = 16'h0044;
  localparam logic [31:0] DMA_STATUS_RESET = 32'h0000_0000;
  // DMA_STATUS.BUSY [0] (ro, reset 0x0): 1 while any job is in flight or any enabled queue has unfetched entries.
  localparam int unsigned DMA_STATUS_BUSY_LSB = 0;
  localparam int unsigned DMA_STATUS_BUSY_WIDTH = 1;
  localparam logic [31:0] DMA_STATUS_BUSY_MASK = 32'h0000_0001;
  // DMA_STATUS.TAGS_IN_FLIGHT [14:8] (ro, reset 0x0): Read tags the PCIe block holds (reads not yet ended by their last completion or the block's completion timeout, abandoned ones included); saturates at 127.
  localparam int unsigned DMA_STATUS_TAGS_IN_FLIGHT_LSB = 8;
  localparam int unsigned DMA_STATUS_TAGS_IN_FLIGHT_WIDTH = 7;
  localparam logic [31:0] DMA_STATUS_TAGS_IN_FLIGHT_MASK = 32'h0000_7f00;

  // DMA_COMPLETION_TIMEOUT @ 0x048 (rw): Completion timeout of the engine's reads, in user_clk cycles (250 MHz). A read whose data has not all arrived after this long fails its job with status C5h.
  localparam logic [15:0] DMA_COMPLETION_TIMEOUT_OFFSET = 16'h0048;
  localparam logic [31:0] DMA_COMPLETION_TIMEOUT_RESET = 32'h0000_30d4;
  // DMA_COMPLETION_TIMEOUT.CYCLES [31:0] (rw, reset 0x30d4): Timeout in cycles (reset: 12 500 = 50 us). 0 is treated as 1.
  localparam int unsigned DMA_COMPLETION_TIMEOUT_CYCLES_LSB = 0;
  localparam int unsigned DMA_COMPLETION_TIMEOUT_CYCLES_WIDTH = 32;
  localparam logic [31:0] DMA_COMPLETION_TIMEOUT_CYCLES_MASK = 32'hffff_ffff;

  // DMA_BYTES_IN_LO @ 0x060 (ro): Payload bytes PULL jobs wrote into BAR2, low 32 bits (64-bit counter; read LO then HI).
  localparam logic [15:0] DMA_BYTES_IN_LO_OFFSET = 16'h0060;
  localparam logic [31:0] DMA_BYTES_IN_LO_RESET = 32'h0000_0000;
  // DMA_BYTES_IN_LO.VALUE [31:0] (ro, reset 0x0): Bits 31:0.
  localparam int unsigned DMA_BYTES_IN_LO_VALUE_LSB = 0;
  localparam int unsigned DMA_BYTES_IN_LO_VALUE_WIDTH = 32;
  localparam logic [31:0] DMA_BYTES_IN_LO_VALUE_MASK = 32'hffff_ffff;

  // DMA_BYTES_IN_HI @ 0x064 (ro): Payload bytes PULL jobs wrote into BAR2, high 32 bits.
  localparam logic [15:0] DMA_BYTES_IN_HI_OFFSET = 16'h0064;
  localparam logic [31:0] DMA_BYTES_IN_HI_RESET = 32'h0000_0000;
  // DMA_BYTES_IN_HI.VALUE [31:0] (ro, reset 0x0): Bits 63:32.
  localparam int unsigned DMA_BYTES_IN_HI_VALUE_LSB = 0;
  localparam int unsigned DMA_BYTES_IN_HI_VALUE_WIDTH = 32;
  localparam logic [31:0] DMA_BYTES_IN_HI_VALUE_MASK = 32'hffff_ffff;

  // DMA_BYTES_OUT_LO @ 0x068 (ro): Payload bytes PUSH jobs sent from BAR2, low 32 bits.
  localparam logic [15:0] DMA_BYTES_OUT_LO_OFFSET = 16'h0068;
  localparam logic [31:0] DMA_BYTES_OUT_LO_RESET = 32'h0000_0000;
  // DMA_BYTES_OUT_LO.VALUE [31:0] (ro, reset 0x0): Bits 31:0.
  localparam int unsigned DMA_BYTES_OUT_LO_VALUE_LSB = 0;
  localparam int unsigned DMA_BYTES_OUT_LO_VALUE_WIDTH = 32;
  localparam logic [31:0] DMA_BYTES_OUT_LO_VALUE_MASK = 32'hffff_ffff;

  // DMA_BYTES_OUT_HI @ 0x06c (ro): Payload bytes PUSH jobs sent from BAR2, high 32 bits.
  localparam logic [15:0] DMA_BYTES_OUT_HI_OFFSET = 16'h006c;
  localparam logic [31:0] DMA_BYTES_OUT_HI_RESET = 32'h0000_0000;
  // DMA_BYTES_OUT_HI.VALUE [31:0] (ro, reset 0x0): Bits 63:32.
  localparam int unsigned DMA_BYTES_OUT_HI_VALUE_LSB = 0;
  localparam int unsigned DMA_BYTES_OUT_HI_VALUE_WIDTH = 32;
  localparam logic [31:0] DMA_BYTES_OUT_HI_VALUE_MASK = 32'hffff_ffff;

  // DMA_JOBS @ 0x070 (ro): Jobs completed (CQ entry written), any status. Saturates.
  localparam logic [15:0] DMA_JOBS_OFFSET = 16'h0070;
  localparam logic [31:0] DMA_JOBS_RESET = 32'h0000_0000;
  // DMA_JOBS.COUNT [31:0] (ro, reset 0x0): Count.
  localparam int unsigned DMA_JOBS_COUNT_LSB = 0;
  localparam int unsigned DMA_JOBS_COUNT_WIDTH = 32;
  localparam logic [31:0] DMA_JOBS_COUNT_MASK = 32'hffff_ffff;

  // DMA_JOB_ERRORS @ 0x074 (ro): Jobs completed with a non-zero status. Saturates.
  localparam logic [15:0] DMA_JOB_ERRORS_OFFSET = 16'h0074;
  localparam logic [31:0] DMA_JOB_ERRORS_RESET = 32'h0000_0000;
  // DMA_JOB_ERRORS.COUNT [31:0] (ro, reset 0x0): Count.
  localparam int unsigned DMA_JOB_ERRORS_COUNT_LSB = 0;
  localparam int unsigned DMA_JOB_ERRORS_COUNT_WIDTH = 32;
  localparam logic [31:0] DMA_JOB_ERRORS_COUNT_MASK = 32'hffff_ffff;

  // DMA_ERR_SGL @ 0x078 (ro): Jobs failed by SGL validation (status 0Dh, 0Eh, 0Fh, 11h, C1h). Saturates.
  localparam logic [15:0] DMA_ERR_SGL_OFFSET = 16'h0078;
  localparam logic [31:0] DMA_ERR_SGL_RESET = 32'h0000_0000;
  // DMA_ERR_SGL.COUNT [31:0] (ro, reset 0x0): Count.
  localparam int unsigned DMA_ERR_SGL_COUNT_LSB = 0;
  localparam int unsigned DMA_ERR_SGL_COUNT_WIDTH = 32;
  localparam logic [31:0] DMA_ERR_SGL_COUNT_MASK = 32'hffff_ffff;

  // DMA_ERR_BAR_RANGE @ 0x07c (ro): Jobs failed because their BAR2 range runs past the end of BAR2 (C0h). Saturates.
  localparam logic [15:0] DMA_ERR_BAR_RANGE_OFFSET = 16'h007c;
  localparam logic [31:0] DMA_ERR_BAR_RANGE_RESET = 32'h0000_0000;
  // DMA_ERR_BAR_RANGE.COUNT [31:0] (ro, reset 0x0): Count.
  localparam int unsigned DMA_ERR_BAR_RANGE_COUNT_LSB = 0;
  localparam int unsigned DMA_ERR_BAR_RANGE_COUNT_WIDTH = 32;
  localparam logic [31:0] DMA_ERR_BAR_RANGE_COUNT_MASK = 32'hffff_ffff;

  // DMA_ERR_LINK @ 0x080 (ro): Read completions with UR, CA or poisoned data, and completion timeouts (C2h-C5h). Saturates.
  localparam logic [15:0] DMA_ERR_LINK_OFFSET = 16'h0080;
  localparam logic [31:0] DMA_ERR_LINK_RESET = 32'h0000_0000;
  // DMA_ERR_LINK.COUNT [31:0] (ro, reset 0x0): Count.
  localparam int unsigned DMA_ERR_LINK_COUNT_LSB = 0;
  localparam int unsigned DMA_ERR_LINK_COUNT_WIDTH = 32;
  localparam logic [31:0] DMA_ERR_LINK_COUNT_MASK = 32'hffff_ffff;

  // DMA_ERR_BAD_COMPLETION @ 0x084 (ro): Completions discarded because they matched no outstanding read, or their tag, byte count or address did not fit it (stale, duplicated or malformed). Saturates.
  localparam logic [15:0] DMA_ERR_BAD_COMPLETION_OFFSET = 16'h0084;
  localparam logic [31:0] DMA_ERR_BAD_COMPLETION_RESET = 32'h0000_0000;
  // DMA_ERR_BAD_COMPLETION.COUNT [31:0] (ro, reset 0x0): Count.
  localparam int unsigned DMA_ERR_BAD_COMPLETION_COUNT_LSB = 0;
  localparam int unsigned DMA_ERR_BAD_COMPLETION_COUNT_WIDTH = 32;
  localparam logic [31:0] DMA_ERR_BAD_COMPLETION_COUNT_MASK = 32'hffff_ffff;

  // DMA_ERROR_LOG @ 0x0a0 (ro): The first failed job since reset or DMA_CONTROL.RESET (sticky).
  localparam logic [15:0] DMA_ERROR_LOG_OFFSET = 16'h00a0;
  localparam logic [31:0] DMA_ERROR_LOG_RESET = 32'h0000_0000;
  // DMA_ERROR_LOG.CID [15:0] (ro, reset 0x0): Command identifier of the job.
  localparam int unsigned DMA_ERROR_LOG_CID_LSB = 0;
  localparam int unsigned DMA_ERROR_LOG_CID_WIDTH = 16;
  localparam logic [31:0] DMA_ERROR_LOG_CID_MASK = 32'h0000_ffff;
  // DMA_ERROR_LOG.STATUS [23:16] (ro, reset 0x0): Its status code (docs/dma-engine.md).
  localparam int unsigned DMA_ERROR_LOG_STATUS_LSB = 16;
  localparam int unsigned DMA_ERROR_LOG_STATUS_WIDTH = 8;
  localparam logic [31:0] DMA_ERROR_LOG_STATUS_MASK = 32'h00ff_0000;
  // DMA_ERROR_LOG.QUEUE [27:24] (ro, reset 0x0): Its queue.
  localparam int unsigned DMA_ERROR_LOG_QUEUE_LSB = 24;
  localparam int unsigned DMA_ERROR_LOG_QUEUE_WIDTH = 4;
  localparam logic [31:0] DMA_ERROR_LOG_QUEUE_MASK = 32'h0f00_0000;
  // DMA_ERROR_LOG.VALID [31] (ro, reset 0x0): 1 when the log holds a failed job.
  localparam int unsigned DMA_ERROR_LOG_VALID_LSB = 31;
  localparam int unsigned DMA_ERROR_LOG_VALID_WIDTH = 1;
  localparam logic [31:0] DMA_ERROR_LOG_VALID_MASK = 32'h8000_0000;

  // DMA_ERROR_ADDR_LO @ 0x0a4 (ro): Bus address involved in the logged failure (descriptor or data address), low 32 bits.
  localparam logic [15:0] DMA_ERROR_ADDR_LO_OFFSET = 16'h00a4;
  localparam logic [31:0] DMA_ERROR_ADDR_LO_RESET = 32'h0000_0000;
  // DMA_ERROR_ADDR_LO.VALUE [31:0] (ro, reset 0x0): Bits 31:0.
  localparam int unsigned DMA_ERROR_ADDR_LO_VALUE_LSB = 0;
  localparam int unsigned DMA_ERROR_ADDR_LO_VALUE_WIDTH = 32;
  localparam logic [31:0] DMA_ERROR_ADDR_LO_VALUE_MASK = 32'hffff_ffff;

  // DMA_ERROR_ADDR_HI @ 0x0a8 (ro): Bus address involved in the logged failure, high 32 bits.
  localparam logic [15:0] DMA_ERROR_ADDR_HI_OFFSET = 16'h00a8;
  localparam logic [31:0] DMA_ERROR_ADDR_HI_RESET = 32'h0000_0000;
  // DMA_ERROR_ADDR_HI.VALUE [31:0] (ro, reset 0x0): Bits 63:32.
  localparam int unsigned DMA_ERROR_ADDR_HI_VALUE_LSB = 0;
  localparam int unsigned DMA_ERROR_ADDR_HI_VALUE_WIDTH = 32;
  localparam logic [31:0] DMA_ERROR_ADDR_HI_VALUE_MASK = 32'hffff_ffff;

  // MSIX_PBA @ 0x9000 (ro): MSI-X Pending Bit Array, bits 31:0 (one bit per vector; the upper DWORD of its QWORD, offset 0x9004, reads as zero).
  localparam logic [15:0] MSIX_PBA_OFFSET = 16'h9000;
  localparam logic [31:0] MSIX_PBA_RESET = 32'h0000_0000;
  // MSIX_PBA.PENDING [15:0] (ro, reset 0x0): Bit q: vector q has a message pending (raised while the vector, the function or MSI-X was masked or disabled). Bits of vectors past CAPABILITIES.DMA_QUEUES read as 0.
  localparam int unsigned MSIX_PBA_PENDING_LSB = 0;
  localparam int unsigned MSIX_PBA_PENDING_WIDTH = 16;
  localparam logic [31:0] MSIX_PBA_PENDING_MASK = 32'h0000_ffff;

  // Array QUEUE @ 0x1000: 16 elements, stride 0x40: Queue pair registers: SQ and CQ rings in host or peer memory, doorbells.
  // Element i's register REG is at QUEUE_BASE + i * QUEUE_STRIDE + QUEUE_REG_OFFSET.
  localparam logic [15:0] QUEUE_BASE = 16'h1000;
  localparam logic [15:0] QUEUE_STRIDE = 16'h0040;
  localparam int unsigned QUEUE_COUNT = 16;

  // QUEUE[i].SQ_BASE_LO @ +0x00 (rw): Submission queue ring bus address, low 32 bits (64-byte aligned: bits 5:0 ignored).
  localparam logic [15:0] QUEUE_SQ_BASE_LO_OFFSET = 16'h0000;
  localparam logic [31:0] QUEUE_SQ_BASE_LO_RESET = 32'h0000_0000;
  // QUEUE_SQ_BASE_LO.VALUE [31:0] (rw, reset 0x0): Bits 31:0.
  localparam int unsigned QUEUE_SQ_BASE_LO_VALUE_LSB = 0;
  localparam int unsigned QUEUE_SQ_BASE_LO_VALUE_WIDTH = 32;
  localparam logic [31:0] QUEUE_SQ_BASE_LO_VALUE_MASK = 32'hffff_ffff;

  // QUEUE[i].SQ_BASE_HI @ +0x04 (rw): Submission queue ring bus address, high 32 bits.
  localparam logic [15:0] QUEUE_SQ_BASE_HI_OFFSET = 16'h0004;
  localparam logic [31:0] QUEUE_SQ_BASE_HI_RESET = 32'h0000_0000;
  // QUEUE_SQ_BASE_HI.VALUE [31:0] (rw, reset 0x0): Bits 63:32.
  localparam int unsigned QUEUE_SQ_BASE_HI_VALUE_LSB = 0;
  localparam int unsigned QUEUE_SQ_BASE_HI_VALUE_WIDTH = 32;
  localparam logic [31:0] QUEUE_SQ_BASE_HI_VALUE_MASK = 32'hffff_ffff;

  // QUEUE[i].CQ_BASE_LO @ +0x08 (rw): Completion queue ring bus address, low 32 bits (16-byte aligned: bits 3:0 ignored).
  localparam logic [15:0] QUEUE_CQ_BASE_LO_OFFSET = 16'h0008;
  localparam logic [31:0] QUEUE_CQ_BASE_LO_RESET = 32'h0000_0000;
  // QUEUE_CQ_BASE_LO.VALUE [31:0] (rw, reset 0x0): Bits 31:0.
  localparam int unsigned QUEUE_CQ_BASE_LO_VALUE_LSB = 0;
  localparam int unsigned QUEUE_CQ_BASE_LO_VALUE_WIDTH = 32;
  localparam logic [31:0] QUEUE_CQ_BASE_LO_VALUE_MASK = 32'hffff_ffff;

  // QUEUE[i].CQ_BASE_HI @ +0x0c (rw): Completion queue ring bus address, high 32 bits.
  localparam logic [15:0] QUEUE_CQ_BASE_HI_OFFSET = 16'h000c;
  localparam logic [31:0] QUEUE_CQ_BASE_HI_RESET = 32'h0000_0000;
  // QUEUE_CQ_BASE_HI.VALUE [31:0] (rw, reset 0x0): Bits 63:32.
  localparam int unsigned QUEUE_CQ_BASE_HI_VALUE_LSB = 0;
  localparam int unsigned QUEUE_CQ_BASE_HI_VALUE_WIDTH = 32;
  localparam logic [31:0] QUEUE_CQ_BASE_HI_VALUE_MASK = 32'hffff_ffff;

  // QUEUE[i].SIZE @ +0x10 (rw): Ring sizes, in entries minus one (a ring of 1 entry is invalid: 1..=65535).
  localparam logic [15:0] QUEUE_SIZE_OFFSET = 16'h0010;
  localparam logic [31:0] QUEUE_SIZE_RESET = 32'h0000_0000;
  // QUEUE_SIZE.SQ_ENTRIES_M1 [15:0] (rw, reset 0x0): SQ entries minus one.
  localparam int unsigned QUEUE_SIZE_SQ_ENTRIES_M1_LSB = 0;
  localparam int unsigned QUEUE_SIZE_SQ_ENTRIES_M1_WIDTH = 16;
  localparam logic [31:0] QUEUE_SIZE_SQ_ENTRIES_M1_MASK = 32'h0000_ffff;
  // QUEUE_SIZE.CQ_ENTRIES_M1 [31:16] (rw, reset 0x0): CQ entries minus one.
  localparam int unsigned QUEUE_SIZE_CQ_ENTRIES_M1_LSB = 16;
  localparam int unsigned QUEUE_SIZE_CQ_ENTRIES_M1_WIDTH = 16;
  localparam logic [31:0] QUEUE_SIZE_CQ_ENTRIES_M1_MASK = 32'hffff_0000;

  // QUEUE[i].CONTROL @ +0x14 (rw): Queue control. Setting ENABLE (0 to 1) resets the SQ head, the CQ tail and the CQ phase (to 1).
  localparam logic [15:0] QUEUE_CONTROL_OFFSET = 16'h0014;
  localparam logic [31:0] QUEUE_CONTROL_RESET = 32'h0000_0000;
  // QUEUE_CONTROL.ENABLE [0] (rw, reset 0x0): 1: fetch entries from this SQ.
  localparam int unsigned QUEUE_CONTROL_ENABLE_LSB = 0;
  localparam int unsigned QUEUE_CONTROL_ENABLE_WIDTH = 1;
  localparam logic [31:0] QUEUE_CONTROL_ENABLE_MASK = 32'h0000_0001;
  // QUEUE_CONTROL.IRQ_ENABLE [1] (rw, reset 0x0): 1: jobs with FLAGS bit 0 raise MSIX_VECTOR on completion.
  localparam int unsigned QUEUE_CONTROL_IRQ_ENABLE_LSB = 1;
  localparam int unsigned QUEUE_CONTROL_IRQ_ENABLE_WIDTH = 1;
  localparam logic [31:0] QUEUE_CONTROL_IRQ_ENABLE_MASK = 32'h0000_0002;
  // QUEUE_CONTROL.MSIX_VECTOR [12:8] (rw, reset 0x0): MSI-X vector of this queue's completions.
  localparam int unsigned QUEUE_CONTROL_MSIX_VECTOR_LSB = 8;
  localparam int unsigned QUEUE_CONTROL_MSIX_VECTOR_WIDTH = 5;
  localparam logic [31:0] QUEUE_CONTROL_MSIX_VECTOR_MASK = 32'h0000_1f00;

  // QUEUE[i].STATUS @ +0x18 (ro): Queue state.
  localparam logic [15:0] QUEUE_STATUS_OFFSET = 16'h0018;
  localparam logic [31:0] QUEUE_STATUS_RESET = 32'h0000_0000;
  // QUEUE_STATUS.SQ_HEAD [15:0] (ro, reset 0x0): Next SQ entry the engine fetches.
  localparam int unsigned QUEUE_STATUS_SQ_HEAD_LSB = 0;
  localparam int unsigned QUEUE_STATUS_SQ_HEAD_WIDTH = 16;
  localparam logic [31:0] QUEUE_STATUS_SQ_HEAD_MASK = 32'h0000_ffff;
  // QUEUE_STATUS.BUSY [16] (ro, reset 0x0): 1 while a job of this queue is in flight, until its last write (CQ entry, MSI-X) has left the engine: BUSY 0 on a disabled queue means the engine will not touch its memory again.
  localparam int unsigned QUEUE_STATUS_BUSY_LSB = 16;
  localparam int unsigned QUEUE_STATUS_BUSY_WIDTH = 1;
  localparam logic [31:0] QUEUE_STATUS_BUSY_MASK = 32'h0001_0000;
  // QUEUE_STATUS.FULL [17] (ro, reset 0x0): 1 while the CQ is full (the engine waits for CQ_HEAD).
  localparam int unsigned QUEUE_STATUS_FULL_LSB = 17;
  localparam int unsigned QUEUE_STATUS_FULL_WIDTH = 1;
  localparam logic [31:0] QUEUE_STATUS_FULL_MASK = 32'h0002_0000;

  // QUEUE[i].SQ_TAIL @ +0x1c (rw): SQ tail doorbell: index of the slot after the last entry software wrote.
  localparam logic [15:0] QUEUE_SQ_TAIL_OFFSET = 16'h001c;
  localparam logic [31:0] QUEUE_SQ_TAIL_RESET = 32'h0000_0000;
  // QUEUE_SQ_TAIL.VALUE [15:0] (rw, reset 0x0): SQ tail index.
  localparam int unsigned QUEUE_SQ_TAIL_VALUE_LSB = 0;
  localparam int unsigned QUEUE_SQ_TAIL_VALUE_WIDTH = 16;
  localparam logic [31:0] QUEUE_SQ_TAIL_VALUE_MASK = 32'h0000_ffff;

  // QUEUE[i].CQ_HEAD @ +0x20 (rw): CQ head doorbell: index of the next CQ entry software will consume.
  localparam logic [15:0] QUEUE_CQ_HEAD_OFFSET = 16'h0020;
  localparam logic [31:0] QUEUE_CQ_HEAD_RESET = 32'h0000_0000;
  // QUEUE_CQ_HEAD.VALUE [15:0] (rw, reset 0x0): CQ head index.
  localparam int unsigned QUEUE_CQ_HEAD_VALUE_LSB = 0;
  localparam int unsigned QUEUE_CQ_HEAD_VALUE_WIDTH = 16;
  localparam logic [31:0] QUEUE_CQ_HEAD_VALUE_MASK = 32'h0000_ffff;

  // Array MSIX_TABLE @ 0x8000: 16 elements, stride 0x10: MSI-X table: one 16-byte entry per vector; vector q carries queue pair q's completions. Entries past CAPABILITIES.DMA_QUEUES read as zero and ignore writes.
  // Element i's register REG is at MSIX_TABLE_BASE + i * MSIX_TABLE_STRIDE + MSIX_TABLE_REG_OFFSET.
  localparam logic [15:0] MSIX_TABLE_BASE = 16'h8000;
  localparam logic [15:0] MSIX_TABLE_STRIDE = 16'h0010;
  localparam int unsigned MSIX_TABLE_COUNT = 16;

  // MSIX_TABLE[i].ADDR_LO @ +0x00 (rw): Message Address, low 32 bits (DWORD aligned).
  localparam logic [15:0] MSIX_TABLE_ADDR_LO_OFFSET = 16'h0000;
  localparam logic [31:0] MSIX_TABLE_ADDR_LO_RESET = 32'h0000_0000;
  // MSIX_TABLE_ADDR_LO.ADDRESS [31:2] (rw, reset 0x0): Bits 31:2 of the address the message writes to (bits 1:0 read as 0).
  localparam int unsigned MSIX_TABLE_ADDR_LO_ADDRESS_LSB = 2;
  localparam int unsigned MSIX_TABLE_ADDR_LO_ADDRESS_WIDTH = 30;
  localparam logic [31:0] MSIX_TABLE_ADDR_LO_ADDRESS_MASK = 32'hffff_fffc;

  // MSIX_TABLE[i].ADDR_HI @ +0x04 (rw): Message Upper Address: the high 32 bits of the message address.
  localparam logic [15:0] MSIX_TABLE_ADDR_HI_OFFSET = 16'h0004;
  localparam logic [31:0] MSIX_TABLE_ADDR_HI_RESET = 32'h0000_0000;
  // MSIX_TABLE_ADDR_HI.VALUE [31:0] (rw, reset 0x0): Bits 63:32.
  localparam int unsigned MSIX_TABLE_ADDR_HI_VALUE_LSB = 0;
  localparam int unsigned MSIX_TABLE_ADDR_HI_VALUE_WIDTH = 32;
  localparam logic [31:0] MSIX_TABLE_ADDR_HI_VALUE_MASK = 32'hffff_ffff;

  // MSIX_TABLE[i].DATA @ +0x08 (rw): Message Data: the DWORD the message writes.
  localparam logic [15:0] MSIX_TABLE_DATA_OFFSET = 16'h0008;
  localparam logic [31:0] MSIX_TABLE_DATA_RESET = 32'h0000_0000;
  // MSIX_TABLE_DATA.VALUE [31:0] (rw, reset 0x0): Message data.
  localparam int unsigned MSIX_TABLE_DATA_VALUE_LSB = 0;
  localparam int unsigned MSIX_TABLE_DATA_VALUE_WIDTH = 32;
  localparam logic [31:0] MSIX_TABLE_DATA_VALUE_MASK = 32'hffff_ffff;

  // MSIX_TABLE[i].VECTOR_CONTROL @ +0x0c (rw): Vector Control. Vectors reset masked.
  localparam logic [15:0] MSIX_TABLE_VECTOR_CONTROL_OFFSET = 16'h000c;
  localparam logic [31:0] MSIX_TABLE_VECTOR_CONTROL_RESET = 32'h0000_0001;
  // MSIX_TABLE_VECTOR_CONTROL.MASK [0] (rw, reset 0x1): 1: the vector is masked: a message for it is not sent but held pending (MSIX_PBA) and sent once it is unmasked.
  localparam int unsigned MSIX_TABLE_VECTOR_CONTROL_MASK_LSB = 0;
  localparam int unsigned MSIX_TABLE_VECTOR_CONTROL_MASK_WIDTH = 1;
  localparam logic [31:0] MSIX_TABLE_VECTOR_CONTROL_MASK_MASK = 32'h0000_0001;

  // The register files' address decode (peerbar_GROUP_reg_file): one-hot fields of a
  // DWORD address (bits 13:10, 9:6, 5:3, 2:0), so that "the access is at DWORD dw" is
  // an AND of four bits of a registered decode.
  typedef struct packed {
    logic [15:0] f3;
    logic [15:0] f2;
    logic [7:0]  f1;
    logic [7:0]  f0;
  } reg_dec_t;

  function automatic reg_dec_t reg_decode(logic [13:0] a);
    reg_dec_t d;
    d = '0;
    d.f3[a[13:10]] = 1'b1;
    d.f2[a[9:6]]   = 1'b1;
    d.f1[a[5:3]]   = 1'b1;
    d.f0[a[2:0]]   = 1'b1;
    return d;
  endfunction

  function automatic logic reg_hit(reg_dec_t d, logic [13:0] dw);
    return d.f3[dw[13:10]] && d.f2[dw[9:6]] && d.f1[dw[5:3]] && d.f0[dw[2:0]];
  endfunction

  // old with the bytes of data that be enables.
  function automatic logic [31:0] reg_merge_be(logic [31:0] old, logic [31:0] data,
                                              logic [3:0] be);
    logic [31:0] r;
    r = old;
    for (int unsigned i = 0; i < 4; i++) begin
      if (be[i]) begin
        r[8*i +: 8] = data[8*i +: 8];
      end
    end
    return r;
  endfunction

  // The structs' member names come from the register map; C++ words among them are
  // harmless (Verilator renames its C++ symbols).
  // verilator lint_off SYMRSVDWORD

  // reg2hw of the plain registers of group regs (peerbar_regs_reg_file)
  typedef struct packed {
    // CONTROL
    struct packed {
      logic q;  // pulse: software wrote 1
    } control;
    // DROPPED_WRITES
    struct packed {
      logic [31:0] q;  // the stored value
    } dropped_writes;
    // UNSUPPORTED_REQUESTS
    struct packed {
      logic [31:0] q;  // the stored value
    } unsupported_requests;
    // ERROR_LOG
    struct packed {
      struct packed {
        logic q;  // the stored value
      } valid;
    } error_log;
  } regs_reg2hw_t;

  // hw2reg of the plain registers of group regs (peerbar_regs_reg_file)
  typedef struct packed {
    // BAR2_SIZE_LO + BAR2_SIZE_HI
    struct packed {
      logic [63:0] d;
    } bar2_size;
    // STATUS
    struct packed {
      struct packed {
        logic d;
      } link_up;
      struct packed {
        logic d;
      } bus_master;
      struct packed {
        logic [1:0] d;
      } max_payload;
      struct packed {
        logic [2:0] d;
      } max_read_req;
      struct packed {
        logic d;
      } rcb_128;
    } status;
    // DROPPED_WRITES
    struct packed {
      logic [31:0] d;
      logic de;  // write d into the storage
    } dropped_writes;
    // UNSUPPORTED_REQUESTS
    struct packed {
      logic [31:0] d;
      logic de;  // write d into the storage
    } unsupported_requests;
    // ERROR_LOG
    struct packed {
      struct packed {
        logic [3:0] d;
        logic de;  // write d into the storage
      } cause;
      struct packed {
        logic [3:0] d;
        logic de;  // write d into the storage
      } req_type;
      struct packed {
        logic [2:0] d;
        logic de;  // write d into the storage
      } bar_id;
      struct packed {
        logic [10:0] d;
        logic de;  // write d into the storage
      } dword_count;
      struct packed {
        logic d;
        logic de;  // write d into the storage
      } valid;
    } error_log;
    // ERROR_ADDR_LO + ERROR_ADDR_HI
    struct packed {
      logic [63:0] d;
      logic de;  // write d into the storage
    } error_addr;
  } regs_hw2reg_t;

  // reg2hw of the plain registers of group dma (peerbar_dma_reg_file)
  typedef struct packed {
    // DMA_CONTROL
    struct packed {
      struct packed {
        logic q;  // the stored value
      } enable;
      struct packed {
        logic q;  // pulse: software wrote 1
      } reset;
      struct packed {
        logic q;  // the stored value
      } ext_tags;
    } dma_control;
    // DMA_COMPLETION_TIMEOUT
    struct packed {
      logic [31:0] q;  // the stored value
    } dma_completion_timeout;
    // DMA_BYTES_IN_LO + DMA_BYTES_IN_HI
    struct packed {
      logic [63:0] q;  // the stored value
    } dma_bytes_in;
    // DMA_BYTES_OUT_LO + DMA_BYTES_OUT_HI
    struct packed {
      logic [63:0] q;  // the stored value
    } dma_bytes_out;
    // DMA_JOBS
    struct packed {
      logic [31:0] q;  // the stored value
    } dma_jobs;
    // DMA_JOB_ERRORS
    struct packed {
      logic [31:0] q;  // the stored value
    } dma_job_errors;
    // DMA_ERR_SGL
    struct packed {
      logic [31:0] q;  // the stored value
    } dma_err_sgl;
    // DMA_ERR_BAR_RANGE
    struct packed {
      logic [31:0] q;  // the stored value
    } dma_err_bar_range;
    // DMA_ERR_LINK
    struct packed {
      logic [31:0] q;  // the stored value
    } dma_err_link;
    // DMA_ERR_BAD_COMPLETION
    struct packed {
      logic [31:0] q;  // the stored value
    } dma_err_bad_completion;
    // DMA_ERROR_LOG
    struct packed {
      struct packed {
        logic q;  // the stored value
      } valid;
    } dma_error_log;
  } dma_reg2hw_t;

  // hw2reg of the plain registers of group dma (peerbar_dma_reg_file)
  typedef struct packed {
    // DMA_STATUS
    struct packed {
      struct packed {
        logic d;
      } busy;
      struct packed {
        logic [6:0] d;
      } tags_in_flight;
    } dma_status;
    // DMA_BYTES_IN_LO + DMA_BYTES_IN_HI
    struct packed {
      logic [63:0] d;
      logic de;  // write d into the storage
    } dma_bytes_in;
    // DMA_BYTES_OUT_LO + DMA_BYTES_OUT_HI
    struct packed {
      logic [63:0] d;
      logic de;  // write d into the storage
    } dma_bytes_out;
    // DMA_JOBS
    struct packed {
      logic [31:0] d;
      logic de;  // write d into the storage
    } dma_jobs;
    // DMA_JOB_ERRORS
    struct packed {
      logic [31:0] d;
      logic de;  // write d into the storage
    } dma_job_errors;
    // DMA_ERR_SGL
    struct packed {
      logic [31:0] d;
      logic de;  // write d into the storage
    } dma_err_sgl;
    // DMA_ERR_BAR_RANGE
    struct packed {
      logic [31:0] d;
      logic de;  // write d into the storage
    } dma_err_bar_range;
    // DMA_ERR_LINK
    struct packed {
      logic [31:0] d;
      logic de;  // write d into the storage
    } dma_err_link;
    // DMA_ERR_BAD_COMPLETION
    struct packed {
      logic [31:0] d;
      logic de;  // write d into the storage
    } dma_err_bad_completion;
    // DMA_ERROR_LOG
    struct packed {
      struct packed {
        logic [15:0] d;
        logic de;  // write d into the storage
      } cid;
      struct packed {
        logic [7:0] d;
        logic de;  // write d into the storage
      } status;
      struct packed {
        logic [3:0] d;
        logic de;  // write d into the storage
      } queue;
      struct packed {
        logic d;
        logic de;  // write d into the storage
      } valid;
    } dma_error_log;
    // DMA_ERROR_ADDR_LO + DMA_ERROR_ADDR_HI
    struct packed {
      logic [63:0] d;
      logic de;  // write d into the storage
    } dma_error_addr;
    // MSIX_PBA
    struct packed {
      logic [15:0] d;
    } msix_pba;
  } dma_hw2reg_t;

  // reg2hw of one element of array QUEUE (peerbar_dma_reg_file)
  typedef struct packed {
    // SQ_BASE_LO + SQ_BASE_HI
    struct packed {
      logic [63:0] q;  // the stored value
    } sq_base;
    // CQ_BASE_LO + CQ_BASE_HI
    struct packed {
      logic [63:0] q;  // the stored value
    } cq_base;
    // SIZE
    struct packed {
      struct packed {
        logic [15:0] q;  // the stored value
      } sq_entries_m1;
      struct packed {
        logic [15:0] q;  // the stored value
      } cq_entries_m1;
    } size;
    // CONTROL
    struct packed {
      struct packed {
        logic q;  // the stored value
        logic wd;  // the value after this cycle's software write
      } enable;
      struct packed {
        logic q;  // the stored value
      } irq_enable;
      struct packed {
        logic [4:0] q;  // the stored value
      } msix_vector;
    } control;
    // SQ_TAIL
    struct packed {
      logic [15:0] q;  // the stored value
      logic [15:0] wd;  // the value after this cycle's software write
    } sq_tail;
    // CQ_HEAD
    struct packed {
      logic [15:0] q;  // the stored value
      logic [15:0] wd;  // the value after this cycle's software write
    } cq_head;
  } dma_queue_reg2hw_t;

  // hw2reg of one element of array QUEUE (peerbar_dma_reg_file)
  typedef struct packed {
    // CONTROL
    struct packed {
      struct packed {
        logic d;
        logic de;  // write d into the storage
      } enable;
    } control;
    // STATUS
    struct packed {
      struct packed {
        logic [15:0] d;
      } sq_head;
      struct packed {
        logic d;
      } busy;
      struct packed {
        logic d;
      } full;
    } status;
    // SQ_TAIL
    struct packed {
      logic [15:0] d;
      logic de;  // write d into the storage
    } sq_tail;
    // CQ_HEAD
    struct packed {
      logic [15:0] d;
      logic de;  // write d into the storage
    } cq_head;
  } dma_queue_hw2reg_t;

  // reg2hw of one element of array MSIX_TABLE (peerbar_dma_reg_file)
  typedef struct packed {
    // ADDR_LO + ADDR_HI
    struct packed {
      logic [63:0] q;  // the stored value
    } addr;
    // DATA
    struct packed {
      logic [31:0] q;  // the stored value
    } data;
    // VECTOR_CONTROL
    struct packed {
      logic q;  // the stored value
    } vector_control;
  } dma_msix_table_reg2hw_t;
  // verilator lint_on SYMRSVDWORD

  // verilator lint_on UNUSEDPARAM

endpackage : peerbar_reg_pkg

`default_nettype wire
