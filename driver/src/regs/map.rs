// Generated from hw/regmap/peerbar.toml by peerbar-regmap.
// Do not edit; regenerate with cargo run -p peerbar-regmap

//! Register map (peerbar): peerbar endpoint registers (BAR0, 64 KiB).
//!
//! One `register_bitfields!` entry per register (named like the register), one
//! `<REG>_REG` descriptor per register, and [`ALL_REGISTERS`] for tools and docs.

use super::{Access, FieldInfo, RegisterDef, RegisterInfo};

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
    /// Offset 0x004, access const, reset 0x0000_0100.
    pub VERSION [
        /// Patch level: fixes with no interface change.
        ///
        /// Bits 7:0, access const, reset 0x0.
        PATCH OFFSET(0) NUMBITS(8) [],
        /// Minor version: backwards-compatible additions.
        ///
        /// Bits 15:8, access const, reset 0x1.
        MINOR OFFSET(8) NUMBITS(8) [],
        /// Major version: incompatible changes.
        ///
        /// Bits 31:16, access const, reset 0x0.
        MAJOR OFFSET(16) NUMBITS(16) [],
    ],
    /// What this build of the endpoint implements.
    ///
    /// Offset 0x008, access const, reset 0x0000_0020.
    pub CAPABILITIES [
        /// Width of the PCIe user interface in bytes (32 = 256 bits).
        ///
        /// Bits 7:0, access const, reset 0x20.
        DATAPATH_BYTES OFFSET(0) NUMBITS(8) [],
        /// Number of DMA queue pairs (0: no DMA engine in this build).
        ///
        /// Bits 15:8, access const, reset 0x0.
        DMA_QUEUES OFFSET(8) NUMBITS(8) [],
        /// 1 when the SGL DMA engine is present.
        ///
        /// Bits 16, access const, reset 0x0.
        DMA_ENGINE OFFSET(16) NUMBITS(1) [],
        /// 1 when the endpoint raises MSI-X interrupts.
        ///
        /// Bits 17, access const, reset 0x0.
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
    RegisterDef::new(0x004, "VERSION", 0x0000_0100, Access::Const);

/// CAPABILITIES (offset 0x008).
///
/// What this build of the endpoint implements.
pub const CAPABILITIES_REG: RegisterDef<CAPABILITIES::Register> =
    RegisterDef::new(0x008, "CAPABILITIES", 0x0000_0020, Access::Const);

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

/// Every register of the block, by increasing offset.
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
        reset: 0x0000_0100,
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
                reset: 0x1,
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
        reset: 0x0000_0020,
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
                reset: 0x0,
                description: "Number of DMA queue pairs (0: no DMA engine in this build).",
            },
            FieldInfo {
                name: "DMA_ENGINE",
                lsb: 16,
                width: 1,
                access: Access::Const,
                reset: 0x0,
                description: "1 when the SGL DMA engine is present.",
            },
            FieldInfo {
                name: "MSIX",
                lsb: 17,
                width: 1,
                access: Access::Const,
                reset: 0x0,
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
];
