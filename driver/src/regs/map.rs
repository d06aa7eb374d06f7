// SPDX-License-Identifier: MIT OR Apache-2.0
// Generated from hw/regmap/peerbar.toml by peerbar-regmap.
// Do not edit; regenerate with cargo run -p peerbar-regmap

//! Register map (peerbar): peerbar endpoint registers (BAR0, 64 KiB).
//!
//! One `register_bitfields!` entry per register (named like the register), one
//! `<REG>_REG` descriptor per register, and [`ALL_REGISTERS`] for tools and docs.
//! A 64-bit quantity `X` kept in `X_LO` and `X_HI` (`width = 64` in the source) has
//! an `X_REG64` [`Register64Def`] too (an array's pair: `ARR_X_REG64`, a
//! [`Register64ArrayDef`]).
//! Registers of an array `ARR` are named `ARR_REG` (bitfields) and have an
//! `ARR_REG_REG` [`RegisterArrayDef`] descriptor (use `.at(index)`), the array has
//! `ARR_BASE`, `ARR_STRIDE` and `ARR_COUNT` (as in the SystemVerilog package); [`ALL_ARRAYS`]
//! describes the arrays, with element register offsets relative to the element start.

use super::{
    Access, ArrayInfo, FieldInfo, Register64ArrayDef, Register64Def, RegisterArrayDef, RegisterDef,
    RegisterInfo,
};

tock_registers::register_bitfields![
    u32,
    /// Identifies a peerbar endpoint. Reads 0x50454552 ("PEER" as a big-endian ASCII word).
    ///
    /// Offset 0x000, access const, reset 0x5045_4552.
    pub MAGIC [
        /// Magic number.
        ///
        /// Bits 31:0, access const, reset 0x50454552.
        VALUE OFFSET(0) NUMBITS(32) [],
    ],
    /// Version of the register interface. A driver accepts the major version it was written for.
    ///
    /// Offset 0x004, access const, reset 0x0000_0200.
    pub VERSION [
        /// Patch level: fixes with no interface change.
        ///
        /// Bits 7:0, access const, reset 0x0.
        PATCH OFFSET(0) NUMBITS(8) [],
        /// Minor version: backwards-compatible additions.
        ///
        /// Bits 15:8, access const, reset 0x2.
        MINOR OFFSET(8) NUMBITS(8) [],
        /// Major version: incompatible changes.
        ///
        /// Bits 31:16, access const, reset 0x0.
        MAJOR OFFSET(16) NUMBITS(16) [],
    ],
    /// What this build of the endpoint implements.
    ///
    /// Offset 0x008, access const, reset 0x0003_0420.
    pub CAPABILITIES [
        /// Width of the PCIe user interface in bytes (32 = 256 bits).
        ///
        /// Bits 7:0, access const, reset 0x20.
        DATAPATH_BYTES OFFSET(0) NUMBITS(8) [],
        /// Number of DMA queue pairs (RTL parameter NumQueues; reset value shown for the default build).
        ///
        /// Bits 15:8, access const, reset 0x4.
        DMA_QUEUES OFFSET(8) NUMBITS(8) [],
        /// 1 when the SGL DMA engine is present.
        ///
        /// Bits 16, access const, reset 0x1.
        DMA_ENGINE OFFSET(16) NUMBITS(1) [],
        /// 1 when the endpoint raises MSI-X interrupts.
        ///
        /// Bits 17, access const, reset 0x1.
        MSIX OFFSET(17) NUMBITS(1) [],
    ],
    /// Size of BAR2 (peer memory) in bytes, low 32 bits. Set by the RTL parameter Bar2SizeLog2.
    ///
    /// Offset 0x010, access ro, reset 0x0010_0000.
    pub BAR2_SIZE_LO [
        /// BAR2 size, bits 31:0 (reset value shown for the default 1 MiB build).
        ///
        /// Bits 31:0, access ro, reset 0x100000.
        VALUE OFFSET(0) NUMBITS(32) [],
    ],
    /// Size of BAR2 (peer memory) in bytes, high 32 bits.
    ///
    /// Offset 0x014, access ro, reset 0x0000_0000.
    pub BAR2_SIZE_HI [
        /// BAR2 size, bits 63:32.
        ///
        /// Bits 31:0, access ro, reset 0x0.
        VALUE OFFSET(0) NUMBITS(32) [],
    ],
    /// Free for software: a read/write register for bring-up tests.
    ///
    /// Offset 0x018, access rw, reset 0x0000_0000.
    pub SCRATCH [
        /// Any value.
        ///
        /// Bits 31:0, access rw, reset 0x0.
        VALUE OFFSET(0) NUMBITS(32) [],
    ],
    /// Actions.
    ///
    /// Offset 0x01C, access w1p, reset 0x0000_0000.
    pub CONTROL [
        /// Write 1: clear DROPPED_WRITES, UNSUPPORTED_REQUESTS and the error log.
        ///
        /// Bits 0, access w1p, reset 0x0.
        CLEAR_ERRORS OFFSET(0) NUMBITS(1) [],
    ],
    /// Link and configuration state as the endpoint sees it (from the PCIe block's cfg outputs).
    ///
    /// Offset 0x020, access ro, reset 0x0000_0000.
    pub STATUS [
        /// 1 while the PCIe link is up (user_lnk_up).
        ///
        /// Bits 0, access ro, reset 0x0.
        LINK_UP OFFSET(0) NUMBITS(1) [],
        /// 1 when the host enabled bus mastering for function 0.
        ///
        /// Bits 1, access ro, reset 0x0.
        BUS_MASTER OFFSET(1) NUMBITS(1) [],
        /// Max Payload Size the host configured: 0=128 B, 1=256 B, 2=512 B, 3=1024 B (cfg_max_payload).
        ///
        /// Bits 5:4, access ro, reset 0x0.
        MAX_PAYLOAD OFFSET(4) NUMBITS(2) [],
        /// Max Read Request Size: 0=128 B, 1=256 B, 2=512 B, 3=1 KiB, 4=2 KiB, 5=4 KiB (cfg_max_read_req).
        ///
        /// Bits 10:8, access ro, reset 0x0.
        MAX_READ_REQ OFFSET(8) NUMBITS(3) [],
        /// Read Completion Boundary: 0=64 B, 1=128 B (cfg_rcb_status, function 0).
        ///
        /// Bits 12, access ro, reset 0x0.
        RCB_128 OFFSET(12) NUMBITS(1) [],
    ],
    /// Posted writes the endpoint could not serve and dropped (past the end of a BAR, unknown BAR, too wide for BAR0, unsupported message). Saturates at all ones.
    ///
    /// Offset 0x024, access ro, reset 0x0000_0000.
    pub DROPPED_WRITES [
        /// Number of dropped posted requests.
        ///
        /// Bits 31:0, access ro, reset 0x0.
        COUNT OFFSET(0) NUMBITS(32) [],
    ],
    /// Non-posted requests answered with an Unsupported Request completion. Saturates at all ones.
    ///
    /// Offset 0x028, access ro, reset 0x0000_0000.
    pub UNSUPPORTED_REQUESTS [
        /// Number of UR completions sent.
        ///
        /// Bits 31:0, access ro, reset 0x0.
        COUNT OFFSET(0) NUMBITS(32) [],
    ],
    /// The first request refused since reset or CONTROL.CLEAR_ERRORS (sticky until cleared).
    ///
    /// Offset 0x02C, access ro, reset 0x0000_0000.
    pub ERROR_LOG [
        /// Why it was refused: 0=none, 1=past the end of the BAR, 2=unsupported request type, 3=too wide for BAR0 (more than 2 DWORDs), 4=BAR not implemented.
        ///
        /// Bits 3:0, access ro, reset 0x0.
        CAUSE OFFSET(0) NUMBITS(4) [],
        /// Request type from the CQ descriptor (0=MemRd, 1=MemWr, ...).
        ///
        /// Bits 7:4, access ro, reset 0x0.
        REQ_TYPE OFFSET(4) NUMBITS(4) [],
        /// BAR the request hit.
        ///
        /// Bits 10:8, access ro, reset 0x0.
        BAR_ID OFFSET(8) NUMBITS(3) [],
        /// Length of the request in DWORDs.
        ///
        /// Bits 26:16, access ro, reset 0x0.
        DWORD_COUNT OFFSET(16) NUMBITS(11) [],
        /// 1 when the log holds a refused request.
        ///
        /// Bits 31, access ro, reset 0x0.
        VALID OFFSET(31) NUMBITS(1) [],
    ],
    /// Offset within the BAR of the logged request, low 32 bits.
    ///
    /// Offset 0x030, access ro, reset 0x0000_0000.
    pub ERROR_ADDR_LO [
        /// Bits 31:0 of the request's offset (DWORD aligned).
        ///
        /// Bits 31:0, access ro, reset 0x0.
        VALUE OFFSET(0) NUMBITS(32) [],
    ],
    /// Offset within the BAR of the logged request, high 32 bits.
    ///
    /// Offset 0x034, access ro, reset 0x0000_0000.
    pub ERROR_ADDR_HI [
        /// Bits 63:32 of the request's offset.
        ///
        /// Bits 31:0, access ro, reset 0x0.
        VALUE OFFSET(0) NUMBITS(32) [],
    ],
    /// DMA engine control.
    ///
    /// Offset 0x040, access rw, reset 0x0000_0000.
    pub DMA_CONTROL [
        /// 1: the engine fetches from enabled queues. 0: it finishes the jobs in flight and fetches nothing new.
        ///
        /// Bits 0, access rw, reset 0x0.
        ENABLE OFFSET(0) NUMBITS(1) [],
        /// Write 1: abort every job, drop in-flight reads (their late completions are discarded and counted), disable every queue and clear DMA_ERROR_LOG.
        ///
        /// Bits 1, access w1p, reset 0x0.
        RESET OFFSET(1) NUMBITS(1) [],
        /// 1: reads use 8-bit tags (generations of the tag slots, docs/dma-engine.md "Tag rules"). Set it only when the host enabled 8-bit tags (Device Control bit 8, Extended Tag Field Enable); the driver does so in enable(). 0: 5-bit tags, and every tag waits out its quarantine before reuse (slower).
        ///
        /// Bits 2, access rw, reset 0x0.
        EXT_TAGS OFFSET(2) NUMBITS(1) [],
    ],
    /// DMA engine state.
    ///
    /// Offset 0x044, access ro, reset 0x0000_0000.
    pub DMA_STATUS [
        /// 1 while any job is in flight or any enabled queue has unfetched entries.
        ///
        /// Bits 0, access ro, reset 0x0.
        BUSY OFFSET(0) NUMBITS(1) [],
        /// Read tags the PCIe block holds (reads not yet ended by their last completion or the block's completion timeout, abandoned ones included); saturates at 127.
        ///
        /// Bits 14:8, access ro, reset 0x0.
        TAGS_IN_FLIGHT OFFSET(8) NUMBITS(7) [],
    ],
    /// Completion timeout of the engine's reads, in user_clk cycles (250 MHz). A read whose data has not all arrived after this long fails its job with status C5h.
    ///
    /// Offset 0x048, access rw, reset 0x0000_30d4.
    pub DMA_COMPLETION_TIMEOUT [
        /// Timeout in cycles (reset: 12 500 = 50 us). 0 is treated as 1.
        ///
        /// Bits 31:0, access rw, reset 0x30d4.
        CYCLES OFFSET(0) NUMBITS(32) [],
    ],
    /// Payload bytes PULL jobs wrote into BAR2, low 32 bits (64-bit counter; read LO then HI).
    ///
    /// Offset 0x060, access ro, reset 0x0000_0000.
    pub DMA_BYTES_IN_LO [
        /// Bits 31:0.
        ///
        /// Bits 31:0, access ro, reset 0x0.
        VALUE OFFSET(0) NUMBITS(32) [],
    ],
    /// Payload bytes PULL jobs wrote into BAR2, high 32 bits.
    ///
    /// Offset 0x064, access ro, reset 0x0000_0000.
    pub DMA_BYTES_IN_HI [
        /// Bits 63:32.
        ///
        /// Bits 31:0, access ro, reset 0x0.
        VALUE OFFSET(0) NUMBITS(32) [],
    ],
    /// Payload bytes PUSH jobs sent from BAR2, low 32 bits.
    ///
    /// Offset 0x068, access ro, reset 0x0000_0000.
    pub DMA_BYTES_OUT_LO [
        /// Bits 31:0.
        ///
        /// Bits 31:0, access ro, reset 0x0.
        VALUE OFFSET(0) NUMBITS(32) [],
    ],
    /// Payload bytes PUSH jobs sent from BAR2, high 32 bits.
    ///
    /// Offset 0x06C, access ro, reset 0x0000_0000.
    pub DMA_BYTES_OUT_HI [
        /// Bits 63:32.
        ///
        /// Bits 31:0, access ro, reset 0x0.
        VALUE OFFSET(0) NUMBITS(32) [],
    ],
    /// Jobs completed (CQ entry written), any status. Saturates.
    ///
    /// Offset 0x070, access ro, reset 0x0000_0000.
    pub DMA_JOBS [
        /// Count.
        ///
        /// Bits 31:0, access ro, reset 0x0.
        COUNT OFFSET(0) NUMBITS(32) [],
    ],
    /// Jobs completed with a non-zero status. Saturates.
    ///
    /// Offset 0x074, access ro, reset 0x0000_0000.
    pub DMA_JOB_ERRORS [
        /// Count.
        ///
        /// Bits 31:0, access ro, reset 0x0.
        COUNT OFFSET(0) NUMBITS(32) [],
    ],
    /// Jobs failed by SGL validation (status 0Dh, 0Eh, 0Fh, 11h, C1h). Saturates.
    ///
    /// Offset 0x078, access ro, reset 0x0000_0000.
    pub DMA_ERR_SGL [
        /// Count.
        ///
        /// Bits 31:0, access ro, reset 0x0.
        COUNT OFFSET(0) NUMBITS(32) [],
    ],
    /// Jobs failed because their BAR2 range runs past the end of BAR2 (C0h). Saturates.
    ///
    /// Offset 0x07C, access ro, reset 0x0000_0000.
    pub DMA_ERR_BAR_RANGE [
        /// Count.
        ///
        /// Bits 31:0, access ro, reset 0x0.
        COUNT OFFSET(0) NUMBITS(32) [],
    ],
    /// Read completions with UR, CA or poisoned data, and completion timeouts (C2h-C5h). Saturates.
    ///
    /// Offset 0x080, access ro, reset 0x0000_0000.
    pub DMA_ERR_LINK [
        /// Count.
        ///
        /// Bits 31:0, access ro, reset 0x0.
        COUNT OFFSET(0) NUMBITS(32) [],
    ],
    /// Completions discarded because they matched no outstanding read, or their tag, byte count or address did not fit it (stale, duplicated or malformed). Saturates.
    ///
    /// Offset 0x084, access ro, reset 0x0000_0000.
    pub DMA_ERR_BAD_COMPLETION [
        /// Count.
        ///
        /// Bits 31:0, access ro, reset 0x0.
        COUNT OFFSET(0) NUMBITS(32) [],
    ],
    /// The first failed job since reset or DMA_CONTROL.RESET (sticky).
    ///
    /// Offset 0x0A0, access ro, reset 0x0000_0000.
    pub DMA_ERROR_LOG [
        /// Command identifier of the job.
        ///
        /// Bits 15:0, access ro, reset 0x0.
        CID OFFSET(0) NUMBITS(16) [],
        /// Its status code (docs/dma-engine.md).
        ///
        /// Bits 23:16, access ro, reset 0x0.
        STATUS OFFSET(16) NUMBITS(8) [],
        /// Its queue.
        ///
        /// Bits 27:24, access ro, reset 0x0.
        QUEUE OFFSET(24) NUMBITS(4) [],
        /// 1 when the log holds a failed job.
        ///
        /// Bits 31, access ro, reset 0x0.
        VALID OFFSET(31) NUMBITS(1) [],
    ],
    /// Bus address involved in the logged failure (descriptor or data address), low 32 bits.
    ///
    /// Offset 0x0A4, access ro, reset 0x0000_0000.
    pub DMA_ERROR_ADDR_LO [
        /// Bits 31:0.
        ///
        /// Bits 31:0, access ro, reset 0x0.
        VALUE OFFSET(0) NUMBITS(32) [],
    ],
    /// Bus address involved in the logged failure, high 32 bits.
    ///
    /// Offset 0x0A8, access ro, reset 0x0000_0000.
    pub DMA_ERROR_ADDR_HI [
        /// Bits 63:32.
        ///
        /// Bits 31:0, access ro, reset 0x0.
        VALUE OFFSET(0) NUMBITS(32) [],
    ],
    /// MSI-X Pending Bit Array, bits 31:0 (one bit per vector; the upper DWORD of its QWORD, offset 0x9004, reads as zero).
    ///
    /// Offset 0x9000, access ro, reset 0x0000_0000.
    pub MSIX_PBA [
        /// Bit q: vector q has a message pending (raised while the vector, the function or MSI-X was masked or disabled). Bits of vectors past CAPABILITIES.DMA_QUEUES read as 0.
        ///
        /// Bits 15:0, access ro, reset 0x0.
        PENDING OFFSET(0) NUMBITS(16) [],
    ],
    /// Submission queue ring bus address, low 32 bits (64-byte aligned: bits 5:0 ignored).
    ///
    /// Array QUEUE: offset 0x000 in each element (element i at 0x1000 + i * 0x40), access rw, reset 0x0000_0000.
    pub QUEUE_SQ_BASE_LO [
        /// Bits 31:0.
        ///
        /// Bits 31:0, access rw, reset 0x0.
        VALUE OFFSET(0) NUMBITS(32) [],
    ],
    /// Submission queue ring bus address, high 32 bits.
    ///
    /// Array QUEUE: offset 0x004 in each element (element i at 0x1000 + i * 0x40), access rw, reset 0x0000_0000.
    pub QUEUE_SQ_BASE_HI [
        /// Bits 63:32.
        ///
        /// Bits 31:0, access rw, reset 0x0.
        VALUE OFFSET(0) NUMBITS(32) [],
    ],
    /// Completion queue ring bus address, low 32 bits (16-byte aligned: bits 3:0 ignored).
    ///
    /// Array QUEUE: offset 0x008 in each element (element i at 0x1000 + i * 0x40), access rw, reset 0x0000_0000.
    pub QUEUE_CQ_BASE_LO [
        /// Bits 31:0.
        ///
        /// Bits 31:0, access rw, reset 0x0.
        VALUE OFFSET(0) NUMBITS(32) [],
    ],
    /// Completion queue ring bus address, high 32 bits.
    ///
    /// Array QUEUE: offset 0x00C in each element (element i at 0x1000 + i * 0x40), access rw, reset 0x0000_0000.
    pub QUEUE_CQ_BASE_HI [
        /// Bits 63:32.
        ///
        /// Bits 31:0, access rw, reset 0x0.
        VALUE OFFSET(0) NUMBITS(32) [],
    ],
    /// Ring sizes, in entries minus one (a ring of 1 entry is invalid: 1..=65535).
    ///
    /// Array QUEUE: offset 0x010 in each element (element i at 0x1000 + i * 0x40), access rw, reset 0x0000_0000.
    pub QUEUE_SIZE [
        /// SQ entries minus one.
        ///
        /// Bits 15:0, access rw, reset 0x0.
        SQ_ENTRIES_M1 OFFSET(0) NUMBITS(16) [],
        /// CQ entries minus one.
        ///
        /// Bits 31:16, access rw, reset 0x0.
        CQ_ENTRIES_M1 OFFSET(16) NUMBITS(16) [],
    ],
    /// Queue control. Setting ENABLE (0 to 1) resets the SQ head, the CQ tail and the CQ phase (to 1).
    ///
    /// Array QUEUE: offset 0x014 in each element (element i at 0x1000 + i * 0x40), access rw, reset 0x0000_0000.
    pub QUEUE_CONTROL [
        /// 1: fetch entries from this SQ.
        ///
        /// Bits 0, access rw, reset 0x0.
        ENABLE OFFSET(0) NUMBITS(1) [],
        /// 1: jobs with FLAGS bit 0 raise MSIX_VECTOR on completion.
        ///
        /// Bits 1, access rw, reset 0x0.
        IRQ_ENABLE OFFSET(1) NUMBITS(1) [],
        /// MSI-X vector of this queue's completions.
        ///
        /// Bits 12:8, access rw, reset 0x0.
        MSIX_VECTOR OFFSET(8) NUMBITS(5) [],
    ],
    /// Queue state.
    ///
    /// Array QUEUE: offset 0x018 in each element (element i at 0x1000 + i * 0x40), access ro, reset 0x0000_0000.
    pub QUEUE_STATUS [
        /// Next SQ entry the engine fetches.
        ///
        /// Bits 15:0, access ro, reset 0x0.
        SQ_HEAD OFFSET(0) NUMBITS(16) [],
        /// 1 while a job of this queue is in flight, until its last write (CQ entry, MSI-X) has left the engine: BUSY 0 on a disabled queue means the engine will not touch its memory again.
        ///
        /// Bits 16, access ro, reset 0x0.
        BUSY OFFSET(16) NUMBITS(1) [],
        /// 1 while the CQ is full (the engine waits for CQ_HEAD).
        ///
        /// Bits 17, access ro, reset 0x0.
        FULL OFFSET(17) NUMBITS(1) [],
    ],
    /// SQ tail doorbell: index of the slot after the last entry software wrote.
    ///
    /// Array QUEUE: offset 0x01C in each element (element i at 0x1000 + i * 0x40), access rw, reset 0x0000_0000.
    pub QUEUE_SQ_TAIL [
        /// SQ tail index.
        ///
        /// Bits 15:0, access rw, reset 0x0.
        VALUE OFFSET(0) NUMBITS(16) [],
    ],
    /// CQ head doorbell: index of the next CQ entry software will consume.
    ///
    /// Array QUEUE: offset 0x020 in each element (element i at 0x1000 + i * 0x40), access rw, reset 0x0000_0000.
    pub QUEUE_CQ_HEAD [
        /// CQ head index.
        ///
        /// Bits 15:0, access rw, reset 0x0.
        VALUE OFFSET(0) NUMBITS(16) [],
    ],
    /// Message Address, low 32 bits (DWORD aligned).
    ///
    /// Array MSIX_TABLE: offset 0x000 in each element (element i at 0x8000 + i * 0x10), access rw, reset 0x0000_0000.
    pub MSIX_TABLE_ADDR_LO [
        /// Bits 31:2 of the address the message writes to (bits 1:0 read as 0).
        ///
        /// Bits 31:2, access rw, reset 0x0.
        ADDRESS OFFSET(2) NUMBITS(30) [],
    ],
    /// Message Upper Address: the high 32 bits of the message address.
    ///
    /// Array MSIX_TABLE: offset 0x004 in each element (element i at 0x8000 + i * 0x10), access rw, reset 0x0000_0000.
    pub MSIX_TABLE_ADDR_HI [
        /// Bits 63:32.
        ///
        /// Bits 31:0, access rw, reset 0x0.
        VALUE OFFSET(0) NUMBITS(32) [],
    ],
    /// Message Data: the DWORD the message writes.
    ///
    /// Array MSIX_TABLE: offset 0x008 in each element (element i at 0x8000 + i * 0x10), access rw, reset 0x0000_0000.
    pub MSIX_TABLE_DATA [
        /// Message data.
        ///
        /// Bits 31:0, access rw, reset 0x0.
        VALUE OFFSET(0) NUMBITS(32) [],
    ],
    /// Vector Control. Vectors reset masked.
    ///
    /// Array MSIX_TABLE: offset 0x00C in each element (element i at 0x8000 + i * 0x10), access rw, reset 0x0000_0001.
    pub MSIX_TABLE_VECTOR_CONTROL [
        /// 1: the vector is masked: a message for it is not sent but held pending (MSIX_PBA) and sent once it is unmasked.
        ///
        /// Bits 0, access rw, reset 0x1.
        MASK OFFSET(0) NUMBITS(1) [],
    ],
];

/// MAGIC (offset 0x000).
///
/// Identifies a peerbar endpoint. Reads 0x50454552 ("PEER" as a big-endian ASCII word).
pub const MAGIC_REG: RegisterDef<MAGIC::Register> =
    RegisterDef::new(0x000, "MAGIC", 0x5045_4552, Access::Const);

/// VERSION (offset 0x004).
///
/// Version of the register interface. A driver accepts the major version it was written for.
pub const VERSION_REG: RegisterDef<VERSION::Register> =
    RegisterDef::new(0x004, "VERSION", 0x0000_0200, Access::Const);

/// CAPABILITIES (offset 0x008).
///
/// What this build of the endpoint implements.
pub const CAPABILITIES_REG: RegisterDef<CAPABILITIES::Register> =
    RegisterDef::new(0x008, "CAPABILITIES", 0x0003_0420, Access::Const);

/// BAR2_SIZE_LO (offset 0x010).
///
/// Size of BAR2 (peer memory) in bytes, low 32 bits. Set by the RTL parameter Bar2SizeLog2.
pub const BAR2_SIZE_LO_REG: RegisterDef<BAR2_SIZE_LO::Register> =
    RegisterDef::new(0x010, "BAR2_SIZE_LO", 0x0010_0000, Access::ReadOnly);

/// BAR2_SIZE_HI (offset 0x014).
///
/// Size of BAR2 (peer memory) in bytes, high 32 bits.
pub const BAR2_SIZE_HI_REG: RegisterDef<BAR2_SIZE_HI::Register> =
    RegisterDef::new(0x014, "BAR2_SIZE_HI", 0x0000_0000, Access::ReadOnly);

/// SCRATCH (offset 0x018).
///
/// Free for software: a read/write register for bring-up tests.
pub const SCRATCH_REG: RegisterDef<SCRATCH::Register> =
    RegisterDef::new(0x018, "SCRATCH", 0x0000_0000, Access::ReadWrite);

/// CONTROL (offset 0x01C).
///
/// Actions.
pub const CONTROL_REG: RegisterDef<CONTROL::Register> =
    RegisterDef::new(0x01C, "CONTROL", 0x0000_0000, Access::WriteOnePulse);

/// STATUS (offset 0x020).
///
/// Link and configuration state as the endpoint sees it (from the PCIe block's cfg outputs).
pub const STATUS_REG: RegisterDef<STATUS::Register> =
    RegisterDef::new(0x020, "STATUS", 0x0000_0000, Access::ReadOnly);

/// DROPPED_WRITES (offset 0x024).
///
/// Posted writes the endpoint could not serve and dropped (past the end of a BAR, unknown BAR, too wide for BAR0, unsupported message). Saturates at all ones.
pub const DROPPED_WRITES_REG: RegisterDef<DROPPED_WRITES::Register> =
    RegisterDef::new(0x024, "DROPPED_WRITES", 0x0000_0000, Access::ReadOnly);

/// UNSUPPORTED_REQUESTS (offset 0x028).
///
/// Non-posted requests answered with an Unsupported Request completion. Saturates at all ones.
pub const UNSUPPORTED_REQUESTS_REG: RegisterDef<UNSUPPORTED_REQUESTS::Register> =
    RegisterDef::new(0x028, "UNSUPPORTED_REQUESTS", 0x0000_0000, Access::ReadOnly);

/// ERROR_LOG (offset 0x02C).
///
/// The first request refused since reset or CONTROL.CLEAR_ERRORS (sticky until cleared).
pub const ERROR_LOG_REG: RegisterDef<ERROR_LOG::Register> =
    RegisterDef::new(0x02C, "ERROR_LOG", 0x0000_0000, Access::ReadOnly);

/// ERROR_ADDR_LO (offset 0x030).
///
/// Offset within the BAR of the logged request, low 32 bits.
pub const ERROR_ADDR_LO_REG: RegisterDef<ERROR_ADDR_LO::Register> =
    RegisterDef::new(0x030, "ERROR_ADDR_LO", 0x0000_0000, Access::ReadOnly);

/// ERROR_ADDR_HI (offset 0x034).
///
/// Offset within the BAR of the logged request, high 32 bits.
pub const ERROR_ADDR_HI_REG: RegisterDef<ERROR_ADDR_HI::Register> =
    RegisterDef::new(0x034, "ERROR_ADDR_HI", 0x0000_0000, Access::ReadOnly);

/// DMA_CONTROL (offset 0x040).
///
/// DMA engine control.
pub const DMA_CONTROL_REG: RegisterDef<DMA_CONTROL::Register> =
    RegisterDef::new(0x040, "DMA_CONTROL", 0x0000_0000, Access::ReadWrite);

/// DMA_STATUS (offset 0x044).
///
/// DMA engine state.
pub const DMA_STATUS_REG: RegisterDef<DMA_STATUS::Register> =
    RegisterDef::new(0x044, "DMA_STATUS", 0x0000_0000, Access::ReadOnly);

/// DMA_COMPLETION_TIMEOUT (offset 0x048).
///
/// Completion timeout of the engine's reads, in user_clk cycles (250 MHz). A read whose data has not all arrived after this long fails its job with status C5h.
pub const DMA_COMPLETION_TIMEOUT_REG: RegisterDef<DMA_COMPLETION_TIMEOUT::Register> =
    RegisterDef::new(
        0x048,
        "DMA_COMPLETION_TIMEOUT",
        0x0000_30d4,
        Access::ReadWrite,
    );

/// DMA_BYTES_IN_LO (offset 0x060).
///
/// Payload bytes PULL jobs wrote into BAR2, low 32 bits (64-bit counter; read LO then HI).
pub const DMA_BYTES_IN_LO_REG: RegisterDef<DMA_BYTES_IN_LO::Register> =
    RegisterDef::new(0x060, "DMA_BYTES_IN_LO", 0x0000_0000, Access::ReadOnly);

/// DMA_BYTES_IN_HI (offset 0x064).
///
/// Payload bytes PULL jobs wrote into BAR2, high 32 bits.
pub const DMA_BYTES_IN_HI_REG: RegisterDef<DMA_BYTES_IN_HI::Register> =
    RegisterDef::new(0x064, "DMA_BYTES_IN_HI", 0x0000_0000, Access::ReadOnly);

/// DMA_BYTES_OUT_LO (offset 0x068).
///
/// Payload bytes PUSH jobs sent from BAR2, low 32 bits.
pub const DMA_BYTES_OUT_LO_REG: RegisterDef<DMA_BYTES_OUT_LO::Register> =
    RegisterDef::new(0x068, "DMA_BYTES_OUT_LO", 0x0000_0000, Access::ReadOnly);

/// DMA_BYTES_OUT_HI (offset 0x06C).
///
/// Payload bytes PUSH jobs sent from BAR2, high 32 bits.
pub const DMA_BYTES_OUT_HI_REG: RegisterDef<DMA_BYTES_OUT_HI::Register> =
    RegisterDef::new(0x06C, "DMA_BYTES_OUT_HI", 0x0000_0000, Access::ReadOnly);

/// DMA_JOBS (offset 0x070).
///
/// Jobs completed (CQ entry written), any status. Saturates.
pub const DMA_JOBS_REG: RegisterDef<DMA_JOBS::Register> =
    RegisterDef::new(0x070, "DMA_JOBS", 0x0000_0000, Access::ReadOnly);

/// DMA_JOB_ERRORS (offset 0x074).
///
/// Jobs completed with a non-zero status. Saturates.
pub const DMA_JOB_ERRORS_REG: RegisterDef<DMA_JOB_ERRORS::Register> =
    RegisterDef::new(0x074, "DMA_JOB_ERRORS", 0x0000_0000, Access::ReadOnly);

/// DMA_ERR_SGL (offset 0x078).
///
/// Jobs failed by SGL validation (status 0Dh, 0Eh, 0Fh, 11h, C1h). Saturates.
pub const DMA_ERR_SGL_REG: RegisterDef<DMA_ERR_SGL::Register> =
    RegisterDef::new(0x078, "DMA_ERR_SGL", 0x0000_0000, Access::ReadOnly);

/// DMA_ERR_BAR_RANGE (offset 0x07C).
///
/// Jobs failed because their BAR2 range runs past the end of BAR2 (C0h). Saturates.
pub const DMA_ERR_BAR_RANGE_REG: RegisterDef<DMA_ERR_BAR_RANGE::Register> =
    RegisterDef::new(0x07C, "DMA_ERR_BAR_RANGE", 0x0000_0000, Access::ReadOnly);

/// DMA_ERR_LINK (offset 0x080).
///
/// Read completions with UR, CA or poisoned data, and completion timeouts (C2h-C5h). Saturates.
pub const DMA_ERR_LINK_REG: RegisterDef<DMA_ERR_LINK::Register> =
    RegisterDef::new(0x080, "DMA_ERR_LINK", 0x0000_0000, Access::ReadOnly);

/// DMA_ERR_BAD_COMPLETION (offset 0x084).
///
/// Completions discarded because they matched no outstanding read, or their tag, byte count or address did not fit it (stale, duplicated or malformed). Saturates.
pub const DMA_ERR_BAD_COMPLETION_REG: RegisterDef<DMA_ERR_BAD_COMPLETION::Register> =
    RegisterDef::new(
        0x084,
        "DMA_ERR_BAD_COMPLETION",
        0x0000_0000,
        Access::ReadOnly,
    );

/// DMA_ERROR_LOG (offset 0x0A0).
///
/// The first failed job since reset or DMA_CONTROL.RESET (sticky).
pub const DMA_ERROR_LOG_REG: RegisterDef<DMA_ERROR_LOG::Register> =
    RegisterDef::new(0x0A0, "DMA_ERROR_LOG", 0x0000_0000, Access::ReadOnly);

/// DMA_ERROR_ADDR_LO (offset 0x0A4).
///
/// Bus address involved in the logged failure (descriptor or data address), low 32 bits.
pub const DMA_ERROR_ADDR_LO_REG: RegisterDef<DMA_ERROR_ADDR_LO::Register> =
    RegisterDef::new(0x0A4, "DMA_ERROR_ADDR_LO", 0x0000_0000, Access::ReadOnly);

/// DMA_ERROR_ADDR_HI (offset 0x0A8).
///
/// Bus address involved in the logged failure, high 32 bits.
pub const DMA_ERROR_ADDR_HI_REG: RegisterDef<DMA_ERROR_ADDR_HI::Register> =
    RegisterDef::new(0x0A8, "DMA_ERROR_ADDR_HI", 0x0000_0000, Access::ReadOnly);

/// MSIX_PBA (offset 0x9000).
///
/// MSI-X Pending Bit Array, bits 31:0 (one bit per vector; the upper DWORD of its QWORD, offset 0x9004, reads as zero).
pub const MSIX_PBA_REG: RegisterDef<MSIX_PBA::Register> =
    RegisterDef::new(0x9000, "MSIX_PBA", 0x0000_0000, Access::ReadOnly);

/// BAR2_SIZE_LO and BAR2_SIZE_HI (offset 0x010) as one 64-bit value: `regs::read64`.
pub const BAR2_SIZE_REG64: Register64Def = Register64Def::new(0x010, "BAR2_SIZE", Access::ReadOnly);

/// ERROR_ADDR_LO and ERROR_ADDR_HI (offset 0x030) as one 64-bit value: `regs::read64`.
pub const ERROR_ADDR_REG64: Register64Def =
    Register64Def::new(0x030, "ERROR_ADDR", Access::ReadOnly);

/// DMA_BYTES_IN_LO and DMA_BYTES_IN_HI (offset 0x060) as one 64-bit value: `regs::read64`.
pub const DMA_BYTES_IN_REG64: Register64Def =
    Register64Def::new(0x060, "DMA_BYTES_IN", Access::ReadOnly);

/// DMA_BYTES_OUT_LO and DMA_BYTES_OUT_HI (offset 0x068) as one 64-bit value: `regs::read64`.
pub const DMA_BYTES_OUT_REG64: Register64Def =
    Register64Def::new(0x068, "DMA_BYTES_OUT", Access::ReadOnly);

/// DMA_ERROR_ADDR_LO and DMA_ERROR_ADDR_HI (offset 0x0A4) as one 64-bit value: `regs::read64`.
pub const DMA_ERROR_ADDR_REG64: Register64Def =
    Register64Def::new(0x0A4, "DMA_ERROR_ADDR", Access::ReadOnly);

/// Array QUEUE: element i at `QUEUE_BASE + i * QUEUE_STRIDE`, i < `QUEUE_COUNT`.
///
/// Byte offset in BAR0 of element 0.
pub const QUEUE_BASE: u64 = 0x1000;
/// Bytes from one element of QUEUE to the next.
pub const QUEUE_STRIDE: u64 = 0x40;
/// Number of elements of QUEUE.
pub const QUEUE_COUNT: u32 = 16;

/// `QUEUE[i].SQ_BASE_LO` (offset 0x1000 + i * 0x40 + 0x000, i < 16).
///
/// Submission queue ring bus address, low 32 bits (64-byte aligned: bits 5:0 ignored).
pub const QUEUE_SQ_BASE_LO_REG: RegisterArrayDef<QUEUE_SQ_BASE_LO::Register> =
    RegisterArrayDef::new(
        0x1000,
        0x40,
        16,
        0x000,
        "QUEUE_SQ_BASE_LO",
        0x0000_0000,
        Access::ReadWrite,
    );

/// `QUEUE[i].SQ_BASE_HI` (offset 0x1000 + i * 0x40 + 0x004, i < 16).
///
/// Submission queue ring bus address, high 32 bits.
pub const QUEUE_SQ_BASE_HI_REG: RegisterArrayDef<QUEUE_SQ_BASE_HI::Register> =
    RegisterArrayDef::new(
        0x1000,
        0x40,
        16,
        0x004,
        "QUEUE_SQ_BASE_HI",
        0x0000_0000,
        Access::ReadWrite,
    );

/// `QUEUE[i].CQ_BASE_LO` (offset 0x1000 + i * 0x40 + 0x008, i < 16).
///
/// Completion queue ring bus address, low 32 bits (16-byte aligned: bits 3:0 ignored).
pub const QUEUE_CQ_BASE_LO_REG: RegisterArrayDef<QUEUE_CQ_BASE_LO::Register> =
    RegisterArrayDef::new(
        0x1000,
        0x40,
        16,
        0x008,
        "QUEUE_CQ_BASE_LO",
        0x0000_0000,
        Access::ReadWrite,
    );

/// `QUEUE[i].CQ_BASE_HI` (offset 0x1000 + i * 0x40 + 0x00C, i < 16).
///
/// Completion queue ring bus address, high 32 bits.
pub const QUEUE_CQ_BASE_HI_REG: RegisterArrayDef<QUEUE_CQ_BASE_HI::Register> =
    RegisterArrayDef::new(
        0x1000,
        0x40,
        16,
        0x00C,
        "QUEUE_CQ_BASE_HI",
        0x0000_0000,
        Access::ReadWrite,
    );

/// `QUEUE[i].SIZE` (offset 0x1000 + i * 0x40 + 0x010, i < 16).
///
/// Ring sizes, in entries minus one (a ring of 1 entry is invalid: 1..=65535).
pub const QUEUE_SIZE_REG: RegisterArrayDef<QUEUE_SIZE::Register> = RegisterArrayDef::new(
    0x1000,
    0x40,
    16,
    0x010,
    "QUEUE_SIZE",
    0x0000_0000,
    Access::ReadWrite,
);

/// `QUEUE[i].CONTROL` (offset 0x1000 + i * 0x40 + 0x014, i < 16).
///
/// Queue control. Setting ENABLE (0 to 1) resets the SQ head, the CQ tail and the CQ phase (to 1).
pub const QUEUE_CONTROL_REG: RegisterArrayDef<QUEUE_CONTROL::Register> = RegisterArrayDef::new(
    0x1000,
    0x40,
    16,
    0x014,
    "QUEUE_CONTROL",
    0x0000_0000,
    Access::ReadWrite,
);

/// `QUEUE[i].STATUS` (offset 0x1000 + i * 0x40 + 0x018, i < 16).
///
/// Queue state.
pub const QUEUE_STATUS_REG: RegisterArrayDef<QUEUE_STATUS::Register> = RegisterArrayDef::new(
    0x1000,
    0x40,
    16,
    0x018,
    "QUEUE_STATUS",
    0x0000_0000,
    Access::ReadOnly,
);

/// `QUEUE[i].SQ_TAIL` (offset 0x1000 + i * 0x40 + 0x01C, i < 16).
///
/// SQ tail doorbell: index of the slot after the last entry software wrote.
pub const QUEUE_SQ_TAIL_REG: RegisterArrayDef<QUEUE_SQ_TAIL::Register> = RegisterArrayDef::new(
    0x1000,
    0x40,
    16,
    0x01C,
    "QUEUE_SQ_TAIL",
    0x0000_0000,
    Access::ReadWrite,
);

/// `QUEUE[i].CQ_HEAD` (offset 0x1000 + i * 0x40 + 0x020, i < 16).
///
/// CQ head doorbell: index of the next CQ entry software will consume.
pub const QUEUE_CQ_HEAD_REG: RegisterArrayDef<QUEUE_CQ_HEAD::Register> = RegisterArrayDef::new(
    0x1000,
    0x40,
    16,
    0x020,
    "QUEUE_CQ_HEAD",
    0x0000_0000,
    Access::ReadWrite,
);

/// `QUEUE[i]`'s QUEUE_SQ_BASE_LO and QUEUE_SQ_BASE_HI as one 64-bit value: `regs::read64` / `regs::write64`
/// on `.at(i)`.
pub const QUEUE_SQ_BASE_REG64: Register64ArrayDef =
    Register64ArrayDef::new(0x1000, 0x40, 16, 0x000, "QUEUE_SQ_BASE", Access::ReadWrite);

/// `QUEUE[i]`'s QUEUE_CQ_BASE_LO and QUEUE_CQ_BASE_HI as one 64-bit value: `regs::read64` / `regs::write64`
/// on `.at(i)`.
pub const QUEUE_CQ_BASE_REG64: Register64ArrayDef =
    Register64ArrayDef::new(0x1000, 0x40, 16, 0x008, "QUEUE_CQ_BASE", Access::ReadWrite);

/// Array MSIX_TABLE: element i at `MSIX_TABLE_BASE + i * MSIX_TABLE_STRIDE`, i < `MSIX_TABLE_COUNT`.
///
/// Byte offset in BAR0 of element 0.
pub const MSIX_TABLE_BASE: u64 = 0x8000;
/// Bytes from one element of MSIX_TABLE to the next.
pub const MSIX_TABLE_STRIDE: u64 = 0x10;
/// Number of elements of MSIX_TABLE.
pub const MSIX_TABLE_COUNT: u32 = 16;

/// `MSIX_TABLE[i].ADDR_LO` (offset 0x8000 + i * 0x10 + 0x000, i < 16).
///
/// Message Address, low 32 bits (DWORD aligned).
pub const MSIX_TABLE_ADDR_LO_REG: RegisterArrayDef<MSIX_TABLE_ADDR_LO::Register> =
    RegisterArrayDef::new(
        0x8000,
        0x10,
        16,
        0x000,
        "MSIX_TABLE_ADDR_LO",
        0x0000_0000,
        Access::ReadWrite,
    );

/// `MSIX_TABLE[i].ADDR_HI` (offset 0x8000 + i * 0x10 + 0x004, i < 16).
///
/// Message Upper Address: the high 32 bits of the message address.
pub const MSIX_TABLE_ADDR_HI_REG: RegisterArrayDef<MSIX_TABLE_ADDR_HI::Register> =
    RegisterArrayDef::new(
        0x8000,
        0x10,
        16,
        0x004,
        "MSIX_TABLE_ADDR_HI",
        0x0000_0000,
        Access::ReadWrite,
    );

/// `MSIX_TABLE[i].DATA` (offset 0x8000 + i * 0x10 + 0x008, i < 16).
///
/// Message Data: the DWORD the message writes.
pub const MSIX_TABLE_DATA_REG: RegisterArrayDef<MSIX_TABLE_DATA::Register> = RegisterArrayDef::new(
    0x8000,
    0x10,
    16,
    0x008,
    "MSIX_TABLE_DATA",
    0x0000_0000,
    Access::ReadWrite,
);

/// `MSIX_TABLE[i].VECTOR_CONTROL` (offset 0x8000 + i * 0x10 + 0x00C, i < 16).
///
/// Vector Control. Vectors reset masked.
pub const MSIX_TABLE_VECTOR_CONTROL_REG: RegisterArrayDef<MSIX_TABLE_VECTOR_CONTROL::Register> =
    RegisterArrayDef::new(
        0x8000,
        0x10,
        16,
        0x00C,
        "MSIX_TABLE_VECTOR_CONTROL",
        0x0000_0001,
        Access::ReadWrite,
    );

/// `MSIX_TABLE[i]`'s MSIX_TABLE_ADDR_LO and MSIX_TABLE_ADDR_HI as one 64-bit value: `regs::read64` / `regs::write64`
/// on `.at(i)`.
pub const MSIX_TABLE_ADDR_REG64: Register64ArrayDef = Register64ArrayDef::new(
    0x8000,
    0x10,
    16,
    0x000,
    "MSIX_TABLE_ADDR",
    Access::ReadWrite,
);

/// Every register of the block, by increasing offset (array registers are in
/// [`ALL_ARRAYS`]).
pub const ALL_REGISTERS: &[RegisterInfo] = &[
    RegisterInfo {
        name: "MAGIC",
        offset: 0x000,
        reset: 0x5045_4552,
        access: Access::Const,
        description: "Identifies a peerbar endpoint. Reads 0x50454552 (\"PEER\" as a big-endian ASCII word).",
        fields: &[
            FieldInfo {
                name: "VALUE",
                lsb: 0,
                width: 32,
                access: Access::Const,
                reset: 0x50454552,
                description: "Magic number.",
            },
        ],
    },
    RegisterInfo {
        name: "VERSION",
        offset: 0x004,
        reset: 0x0000_0200,
        access: Access::Const,
        description: "Version of the register interface. A driver accepts the major version it was written for.",
        fields: &[
            FieldInfo {
                name: "PATCH",
                lsb: 0,
                width: 8,
                access: Access::Const,
                reset: 0x0,
                description: "Patch level: fixes with no interface change.",
            },
            FieldInfo {
                name: "MINOR",
                lsb: 8,
                width: 8,
                access: Access::Const,
                reset: 0x2,
                description: "Minor version: backwards-compatible additions.",
            },
            FieldInfo {
                name: "MAJOR",
                lsb: 16,
                width: 16,
                access: Access::Const,
                reset: 0x0,
                description: "Major version: incompatible changes.",
            },
        ],
    },
    RegisterInfo {
        name: "CAPABILITIES",
        offset: 0x008,
        reset: 0x0003_0420,
        access: Access::Const,
        description: "What this build of the endpoint implements.",
        fields: &[
            FieldInfo {
                name: "DATAPATH_BYTES",
                lsb: 0,
                width: 8,
                access: Access::Const,
                reset: 0x20,
                description: "Width of the PCIe user interface in bytes (32 = 256 bits).",
            },
            FieldInfo {
                name: "DMA_QUEUES",
                lsb: 8,
                width: 8,
                access: Access::Const,
                reset: 0x4,
                description: "Number of DMA queue pairs (RTL parameter NumQueues; reset value shown for the default build).",
            },
            FieldInfo {
                name: "DMA_ENGINE",
                lsb: 16,
                width: 1,
                access: Access::Const,
                reset: 0x1,
                description: "1 when the SGL DMA engine is present.",
            },
            FieldInfo {
                name: "MSIX",
                lsb: 17,
                width: 1,
                access: Access::Const,
                reset: 0x1,
                description: "1 when the endpoint raises MSI-X interrupts.",
            },
        ],
    },
    RegisterInfo {
        name: "BAR2_SIZE_LO",
        offset: 0x010,
        reset: 0x0010_0000,
        access: Access::ReadOnly,
        description: "Size of BAR2 (peer memory) in bytes, low 32 bits. Set by the RTL parameter Bar2SizeLog2.",
        fields: &[
            FieldInfo {
                name: "VALUE",
                lsb: 0,
                width: 32,
                access: Access::ReadOnly,
                reset: 0x100000,
                description: "BAR2 size, bits 31:0 (reset value shown for the default 1 MiB build).",
            },
        ],
    },
    RegisterInfo {
        name: "BAR2_SIZE_HI",
        offset: 0x014,
        reset: 0x0000_0000,
        access: Access::ReadOnly,
        description: "Size of BAR2 (peer memory) in bytes, high 32 bits.",
        fields: &[
            FieldInfo {
                name: "VALUE",
                lsb: 0,
                width: 32,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "BAR2 size, bits 63:32.",
            },
        ],
    },
    RegisterInfo {
        name: "SCRATCH",
        offset: 0x018,
        reset: 0x0000_0000,
        access: Access::ReadWrite,
        description: "Free for software: a read/write register for bring-up tests.",
        fields: &[
            FieldInfo {
                name: "VALUE",
                lsb: 0,
                width: 32,
                access: Access::ReadWrite,
                reset: 0x0,
                description: "Any value.",
            },
        ],
    },
    RegisterInfo {
        name: "CONTROL",
        offset: 0x01C,
        reset: 0x0000_0000,
        access: Access::WriteOnePulse,
        description: "Actions.",
        fields: &[
            FieldInfo {
                name: "CLEAR_ERRORS",
                lsb: 0,
                width: 1,
                access: Access::WriteOnePulse,
                reset: 0x0,
                description: "Write 1: clear DROPPED_WRITES, UNSUPPORTED_REQUESTS and the error log.",
            },
        ],
    },
    RegisterInfo {
        name: "STATUS",
        offset: 0x020,
        reset: 0x0000_0000,
        access: Access::ReadOnly,
        description: "Link and configuration state as the endpoint sees it (from the PCIe block's cfg outputs).",
        fields: &[
            FieldInfo {
                name: "LINK_UP",
                lsb: 0,
                width: 1,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "1 while the PCIe link is up (user_lnk_up).",
            },
            FieldInfo {
                name: "BUS_MASTER",
                lsb: 1,
                width: 1,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "1 when the host enabled bus mastering for function 0.",
            },
            FieldInfo {
                name: "MAX_PAYLOAD",
                lsb: 4,
                width: 2,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Max Payload Size the host configured: 0=128 B, 1=256 B, 2=512 B, 3=1024 B (cfg_max_payload).",
            },
            FieldInfo {
                name: "MAX_READ_REQ",
                lsb: 8,
                width: 3,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Max Read Request Size: 0=128 B, 1=256 B, 2=512 B, 3=1 KiB, 4=2 KiB, 5=4 KiB (cfg_max_read_req).",
            },
            FieldInfo {
                name: "RCB_128",
                lsb: 12,
                width: 1,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Read Completion Boundary: 0=64 B, 1=128 B (cfg_rcb_status, function 0).",
            },
        ],
    },
    RegisterInfo {
        name: "DROPPED_WRITES",
        offset: 0x024,
        reset: 0x0000_0000,
        access: Access::ReadOnly,
        description: "Posted writes the endpoint could not serve and dropped (past the end of a BAR, unknown BAR, too wide for BAR0, unsupported message). Saturates at all ones.",
        fields: &[
            FieldInfo {
                name: "COUNT",
                lsb: 0,
                width: 32,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Number of dropped posted requests.",
            },
        ],
    },
    RegisterInfo {
        name: "UNSUPPORTED_REQUESTS",
        offset: 0x028,
        reset: 0x0000_0000,
        access: Access::ReadOnly,
        description: "Non-posted requests answered with an Unsupported Request completion. Saturates at all ones.",
        fields: &[
            FieldInfo {
                name: "COUNT",
                lsb: 0,
                width: 32,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Number of UR completions sent.",
            },
        ],
    },
    RegisterInfo {
        name: "ERROR_LOG",
        offset: 0x02C,
        reset: 0x0000_0000,
        access: Access::ReadOnly,
        description: "The first request refused since reset or CONTROL.CLEAR_ERRORS (sticky until cleared).",
        fields: &[
            FieldInfo {
                name: "CAUSE",
                lsb: 0,
                width: 4,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Why it was refused: 0=none, 1=past the end of the BAR, 2=unsupported request type, 3=too wide for BAR0 (more than 2 DWORDs), 4=BAR not implemented.",
            },
            FieldInfo {
                name: "REQ_TYPE",
                lsb: 4,
                width: 4,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Request type from the CQ descriptor (0=MemRd, 1=MemWr, ...).",
            },
            FieldInfo {
                name: "BAR_ID",
                lsb: 8,
                width: 3,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "BAR the request hit.",
            },
            FieldInfo {
                name: "DWORD_COUNT",
                lsb: 16,
                width: 11,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Length of the request in DWORDs.",
            },
            FieldInfo {
                name: "VALID",
                lsb: 31,
                width: 1,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "1 when the log holds a refused request.",
            },
        ],
    },
    RegisterInfo {
        name: "ERROR_ADDR_LO",
        offset: 0x030,
        reset: 0x0000_0000,
        access: Access::ReadOnly,
        description: "Offset within the BAR of the logged request, low 32 bits.",
        fields: &[
            FieldInfo {
                name: "VALUE",
                lsb: 0,
                width: 32,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Bits 31:0 of the request's offset (DWORD aligned).",
            },
        ],
    },
    RegisterInfo {
        name: "ERROR_ADDR_HI",
        offset: 0x034,
        reset: 0x0000_0000,
        access: Access::ReadOnly,
        description: "Offset within the BAR of the logged request, high 32 bits.",
        fields: &[
            FieldInfo {
                name: "VALUE",
                lsb: 0,
                width: 32,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Bits 63:32 of the request's offset.",
            },
        ],
    },
    RegisterInfo {
        name: "DMA_CONTROL",
        offset: 0x040,
        reset: 0x0000_0000,
        access: Access::ReadWrite,
        description: "DMA engine control.",
        fields: &[
            FieldInfo {
                name: "ENABLE",
                lsb: 0,
                width: 1,
                access: Access::ReadWrite,
                reset: 0x0,
                description: "1: the engine fetches from enabled queues. 0: it finishes the jobs in flight and fetches nothing new.",
            },
            FieldInfo {
                name: "RESET",
                lsb: 1,
                width: 1,
                access: Access::WriteOnePulse,
                reset: 0x0,
                description: "Write 1: abort every job, drop in-flight reads (their late completions are discarded and counted), disable every queue and clear DMA_ERROR_LOG.",
            },
            FieldInfo {
                name: "EXT_TAGS",
                lsb: 2,
                width: 1,
                access: Access::ReadWrite,
                reset: 0x0,
                description: "1: reads use 8-bit tags (generations of the tag slots, docs/dma-engine.md \"Tag rules\"). Set it only when the host enabled 8-bit tags (Device Control bit 8, Extended Tag Field Enable); the driver does so in enable(). 0: 5-bit tags, and every tag waits out its quarantine before reuse (slower).",
            },
        ],
    },
    RegisterInfo {
        name: "DMA_STATUS",
        offset: 0x044,
        reset: 0x0000_0000,
        access: Access::ReadOnly,
        description: "DMA engine state.",
        fields: &[
            FieldInfo {
                name: "BUSY",
                lsb: 0,
                width: 1,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "1 while any job is in flight or any enabled queue has unfetched entries.",
            },
            FieldInfo {
                name: "TAGS_IN_FLIGHT",
                lsb: 8,
                width: 7,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Read tags the PCIe block holds (reads not yet ended by their last completion or the block's completion timeout, abandoned ones included); saturates at 127.",
            },
        ],
    },
    RegisterInfo {
        name: "DMA_COMPLETION_TIMEOUT",
        offset: 0x048,
        reset: 0x0000_30d4,
        access: Access::ReadWrite,
        description: "Completion timeout of the engine's reads, in user_clk cycles (250 MHz). A read whose data has not all arrived after this long fails its job with status C5h.",
        fields: &[
            FieldInfo {
                name: "CYCLES",
                lsb: 0,
                width: 32,
                access: Access::ReadWrite,
                reset: 0x30d4,
                description: "Timeout in cycles (reset: 12 500 = 50 us). 0 is treated as 1.",
            },
        ],
    },
    RegisterInfo {
        name: "DMA_BYTES_IN_LO",
        offset: 0x060,
        reset: 0x0000_0000,
        access: Access::ReadOnly,
        description: "Payload bytes PULL jobs wrote into BAR2, low 32 bits (64-bit counter; read LO then HI).",
        fields: &[
            FieldInfo {
                name: "VALUE",
                lsb: 0,
                width: 32,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Bits 31:0.",
            },
        ],
    },
    RegisterInfo {
        name: "DMA_BYTES_IN_HI",
        offset: 0x064,
        reset: 0x0000_0000,
        access: Access::ReadOnly,
        description: "Payload bytes PULL jobs wrote into BAR2, high 32 bits.",
        fields: &[
            FieldInfo {
                name: "VALUE",
                lsb: 0,
                width: 32,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Bits 63:32.",
            },
        ],
    },
    RegisterInfo {
        name: "DMA_BYTES_OUT_LO",
        offset: 0x068,
        reset: 0x0000_0000,
        access: Access::ReadOnly,
        description: "Payload bytes PUSH jobs sent from BAR2, low 32 bits.",
        fields: &[
            FieldInfo {
                name: "VALUE",
                lsb: 0,
                width: 32,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Bits 31:0.",
            },
        ],
    },
    RegisterInfo {
        name: "DMA_BYTES_OUT_HI",
        offset: 0x06C,
        reset: 0x0000_0000,
        access: Access::ReadOnly,
        description: "Payload bytes PUSH jobs sent from BAR2, high 32 bits.",
        fields: &[
            FieldInfo {
                name: "VALUE",
                lsb: 0,
                width: 32,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Bits 63:32.",
            },
        ],
    },
    RegisterInfo {
        name: "DMA_JOBS",
        offset: 0x070,
        reset: 0x0000_0000,
        access: Access::ReadOnly,
        description: "Jobs completed (CQ entry written), any status. Saturates.",
        fields: &[
            FieldInfo {
                name: "COUNT",
                lsb: 0,
                width: 32,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Count.",
            },
        ],
    },
    RegisterInfo {
        name: "DMA_JOB_ERRORS",
        offset: 0x074,
        reset: 0x0000_0000,
        access: Access::ReadOnly,
        description: "Jobs completed with a non-zero status. Saturates.",
        fields: &[
            FieldInfo {
                name: "COUNT",
                lsb: 0,
                width: 32,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Count.",
            },
        ],
    },
    RegisterInfo {
        name: "DMA_ERR_SGL",
        offset: 0x078,
        reset: 0x0000_0000,
        access: Access::ReadOnly,
        description: "Jobs failed by SGL validation (status 0Dh, 0Eh, 0Fh, 11h, C1h). Saturates.",
        fields: &[
            FieldInfo {
                name: "COUNT",
                lsb: 0,
                width: 32,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Count.",
            },
        ],
    },
    RegisterInfo {
        name: "DMA_ERR_BAR_RANGE",
        offset: 0x07C,
        reset: 0x0000_0000,
        access: Access::ReadOnly,
        description: "Jobs failed because their BAR2 range runs past the end of BAR2 (C0h). Saturates.",
        fields: &[
            FieldInfo {
                name: "COUNT",
                lsb: 0,
                width: 32,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Count.",
            },
        ],
    },
    RegisterInfo {
        name: "DMA_ERR_LINK",
        offset: 0x080,
        reset: 0x0000_0000,
        access: Access::ReadOnly,
        description: "Read completions with UR, CA or poisoned data, and completion timeouts (C2h-C5h). Saturates.",
        fields: &[
            FieldInfo {
                name: "COUNT",
                lsb: 0,
                width: 32,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Count.",
            },
        ],
    },
    RegisterInfo {
        name: "DMA_ERR_BAD_COMPLETION",
        offset: 0x084,
        reset: 0x0000_0000,
        access: Access::ReadOnly,
        description: "Completions discarded because they matched no outstanding read, or their tag, byte count or address did not fit it (stale, duplicated or malformed). Saturates.",
        fields: &[
            FieldInfo {
                name: "COUNT",
                lsb: 0,
                width: 32,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Count.",
            },
        ],
    },
    RegisterInfo {
        name: "DMA_ERROR_LOG",
        offset: 0x0A0,
        reset: 0x0000_0000,
        access: Access::ReadOnly,
        description: "The first failed job since reset or DMA_CONTROL.RESET (sticky).",
        fields: &[
            FieldInfo {
                name: "CID",
                lsb: 0,
                width: 16,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Command identifier of the job.",
            },
            FieldInfo {
                name: "STATUS",
                lsb: 16,
                width: 8,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Its status code (docs/dma-engine.md).",
            },
            FieldInfo {
                name: "QUEUE",
                lsb: 24,
                width: 4,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Its queue.",
            },
            FieldInfo {
                name: "VALID",
                lsb: 31,
                width: 1,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "1 when the log holds a failed job.",
            },
        ],
    },
    RegisterInfo {
        name: "DMA_ERROR_ADDR_LO",
        offset: 0x0A4,
        reset: 0x0000_0000,
        access: Access::ReadOnly,
        description: "Bus address involved in the logged failure (descriptor or data address), low 32 bits.",
        fields: &[
            FieldInfo {
                name: "VALUE",
                lsb: 0,
                width: 32,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Bits 31:0.",
            },
        ],
    },
    RegisterInfo {
        name: "DMA_ERROR_ADDR_HI",
        offset: 0x0A8,
        reset: 0x0000_0000,
        access: Access::ReadOnly,
        description: "Bus address involved in the logged failure, high 32 bits.",
        fields: &[
            FieldInfo {
                name: "VALUE",
                lsb: 0,
                width: 32,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Bits 63:32.",
            },
        ],
    },
    RegisterInfo {
        name: "MSIX_PBA",
        offset: 0x9000,
        reset: 0x0000_0000,
        access: Access::ReadOnly,
        description: "MSI-X Pending Bit Array, bits 31:0 (one bit per vector; the upper DWORD of its QWORD, offset 0x9004, reads as zero).",
        fields: &[
            FieldInfo {
                name: "PENDING",
                lsb: 0,
                width: 16,
                access: Access::ReadOnly,
                reset: 0x0,
                description: "Bit q: vector q has a message pending (raised while the vector, the function or MSI-X was masked or disabled). Bits of vectors past CAPABILITIES.DMA_QUEUES read as 0.",
            },
        ],
    },
];

/// Every register array of the block, by increasing base. Element register names are
/// the short ones (`CONTROL`, not `QUEUE_CONTROL`) and their offsets are relative to
/// the element start.
pub const ALL_ARRAYS: &[ArrayInfo] = &[
    ArrayInfo {
        name: "QUEUE",
        base: 0x1000,
        stride: 0x40,
        count: 16,
        description: "Queue pair registers: SQ and CQ rings in host or peer memory, doorbells.",
        registers: &[
            RegisterInfo {
                name: "SQ_BASE_LO",
                offset: 0x000,
                reset: 0x0000_0000,
                access: Access::ReadWrite,
                description: "Submission queue ring bus address, low 32 bits (64-byte aligned: bits 5:0 ignored).",
                fields: &[
                    FieldInfo {
                        name: "VALUE",
                        lsb: 0,
                        width: 32,
                        access: Access::ReadWrite,
                        reset: 0x0,
                        description: "Bits 31:0.",
                    },
                ],
            },
            RegisterInfo {
                name: "SQ_BASE_HI",
                offset: 0x004,
                reset: 0x0000_0000,
                access: Access::ReadWrite,
                description: "Submission queue ring bus address, high 32 bits.",
                fields: &[
                    FieldInfo {
                        name: "VALUE",
                        lsb: 0,
                        width: 32,
                        access: Access::ReadWrite,
                        reset: 0x0,
                        description: "Bits 63:32.",
                    },
                ],
            },
            RegisterInfo {
                name: "CQ_BASE_LO",
                offset: 0x008,
                reset: 0x0000_0000,
                access: Access::ReadWrite,
                description: "Completion queue ring bus address, low 32 bits (16-byte aligned: bits 3:0 ignored).",
                fields: &[
                    FieldInfo {
                        name: "VALUE",
                        lsb: 0,
                        width: 32,
                        access: Access::ReadWrite,
                        reset: 0x0,
                        description: "Bits 31:0.",
                    },
                ],
            },
            RegisterInfo {
                name: "CQ_BASE_HI",
                offset: 0x00C,
                reset: 0x0000_0000,
                access: Access::ReadWrite,
                description: "Completion queue ring bus address, high 32 bits.",
                fields: &[
                    FieldInfo {
                        name: "VALUE",
                        lsb: 0,
                        width: 32,
                        access: Access::ReadWrite,
                        reset: 0x0,
                        description: "Bits 63:32.",
                    },
                ],
            },
            RegisterInfo {
                name: "SIZE",
                offset: 0x010,
                reset: 0x0000_0000,
                access: Access::ReadWrite,
                description: "Ring sizes, in entries minus one (a ring of 1 entry is invalid: 1..=65535).",
                fields: &[
                    FieldInfo {
                        name: "SQ_ENTRIES_M1",
                        lsb: 0,
                        width: 16,
                        access: Access::ReadWrite,
                        reset: 0x0,
                        description: "SQ entries minus one.",
                    },
                    FieldInfo {
                        name: "CQ_ENTRIES_M1",
                        lsb: 16,
                        width: 16,
                        access: Access::ReadWrite,
                        reset: 0x0,
                        description: "CQ entries minus one.",
                    },
                ],
            },
            RegisterInfo {
                name: "CONTROL",
                offset: 0x014,
                reset: 0x0000_0000,
                access: Access::ReadWrite,
                description: "Queue control. Setting ENABLE (0 to 1) resets the SQ head, the CQ tail and the CQ phase (to 1).",
                fields: &[
                    FieldInfo {
                        name: "ENABLE",
                        lsb: 0,
                        width: 1,
                        access: Access::ReadWrite,
                        reset: 0x0,
                        description: "1: fetch entries from this SQ.",
                    },
                    FieldInfo {
                        name: "IRQ_ENABLE",
                        lsb: 1,
                        width: 1,
                        access: Access::ReadWrite,
                        reset: 0x0,
                        description: "1: jobs with FLAGS bit 0 raise MSIX_VECTOR on completion.",
                    },
                    FieldInfo {
                        name: "MSIX_VECTOR",
                        lsb: 8,
                        width: 5,
                        access: Access::ReadWrite,
                        reset: 0x0,
                        description: "MSI-X vector of this queue's completions.",
                    },
                ],
            },
            RegisterInfo {
                name: "STATUS",
                offset: 0x018,
                reset: 0x0000_0000,
                access: Access::ReadOnly,
                description: "Queue state.",
                fields: &[
                    FieldInfo {
                        name: "SQ_HEAD",
                        lsb: 0,
                        width: 16,
                        access: Access::ReadOnly,
                        reset: 0x0,
                        description: "Next SQ entry the engine fetches.",
                    },
                    FieldInfo {
                        name: "BUSY",
                        lsb: 16,
                        width: 1,
                        access: Access::ReadOnly,
                        reset: 0x0,
                        description: "1 while a job of this queue is in flight, until its last write (CQ entry, MSI-X) has left the engine: BUSY 0 on a disabled queue means the engine will not touch its memory again.",
                    },
                    FieldInfo {
                        name: "FULL",
                        lsb: 17,
                        width: 1,
                        access: Access::ReadOnly,
                        reset: 0x0,
                        description: "1 while the CQ is full (the engine waits for CQ_HEAD).",
                    },
                ],
            },
            RegisterInfo {
                name: "SQ_TAIL",
                offset: 0x01C,
                reset: 0x0000_0000,
                access: Access::ReadWrite,
                description: "SQ tail doorbell: index of the slot after the last entry software wrote.",
                fields: &[
                    FieldInfo {
                        name: "VALUE",
                        lsb: 0,
                        width: 16,
                        access: Access::ReadWrite,
                        reset: 0x0,
                        description: "SQ tail index.",
                    },
                ],
            },
            RegisterInfo {
                name: "CQ_HEAD",
                offset: 0x020,
                reset: 0x0000_0000,
                access: Access::ReadWrite,
                description: "CQ head doorbell: index of the next CQ entry software will consume.",
                fields: &[
                    FieldInfo {
                        name: "VALUE",
                        lsb: 0,
                        width: 16,
                        access: Access::ReadWrite,
                        reset: 0x0,
                        description: "CQ head index.",
                    },
                ],
            },
        ],
    },
    ArrayInfo {
        name: "MSIX_TABLE",
        base: 0x8000,
        stride: 0x10,
        count: 16,
        description: "MSI-X table: one 16-byte entry per vector; vector q carries queue pair q's completions. Entries past CAPABILITIES.DMA_QUEUES read as zero and ignore writes.",
        registers: &[
            RegisterInfo {
                name: "ADDR_LO",
                offset: 0x000,
                reset: 0x0000_0000,
                access: Access::ReadWrite,
                description: "Message Address, low 32 bits (DWORD aligned).",
                fields: &[
                    FieldInfo {
                        name: "ADDRESS",
                        lsb: 2,
                        width: 30,
                        access: Access::ReadWrite,
                        reset: 0x0,
                        description: "Bits 31:2 of the address the message writes to (bits 1:0 read as 0).",
                    },
                ],
            },
            RegisterInfo {
                name: "ADDR_HI",
                offset: 0x004,
                reset: 0x0000_0000,
                access: Access::ReadWrite,
                description: "Message Upper Address: the high 32 bits of the message address.",
                fields: &[
                    FieldInfo {
                        name: "VALUE",
                        lsb: 0,
                        width: 32,
                        access: Access::ReadWrite,
                        reset: 0x0,
                        description: "Bits 63:32.",
                    },
                ],
            },
            RegisterInfo {
                name: "DATA",
                offset: 0x008,
                reset: 0x0000_0000,
                access: Access::ReadWrite,
                description: "Message Data: the DWORD the message writes.",
                fields: &[
                    FieldInfo {
                        name: "VALUE",
                        lsb: 0,
                        width: 32,
                        access: Access::ReadWrite,
                        reset: 0x0,
                        description: "Message data.",
                    },
                ],
            },
            RegisterInfo {
                name: "VECTOR_CONTROL",
                offset: 0x00C,
                reset: 0x0000_0001,
                access: Access::ReadWrite,
                description: "Vector Control. Vectors reset masked.",
                fields: &[
                    FieldInfo {
                        name: "MASK",
                        lsb: 0,
                        width: 1,
                        access: Access::ReadWrite,
                        reset: 0x1,
                        description: "1: the vector is masked: a message for it is not sent but held pending (MSIX_PBA) and sent once it is unmasked.",
                    },
                ],
            },
        ],
    },
];
