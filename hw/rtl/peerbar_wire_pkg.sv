// SPDX-License-Identifier: MIT OR Apache-2.0
// Generated from hw/regmap/wire.toml: do not edit (regenerate with cargo run -p peerbar-regmap).
// peerbar's wire formats as packed structs (bit 0 = bit 0 of byte 0: cast a little-endian
// bus or tdata slice to the type) and their code values. Width constants, for what holds a
// field, slices one or casts to its width (names: the TOML names in CamelCase):
//   <Format><Field>W  a field's width in bits (RqDescDwordCountW: rq_desc_t's dword_count)
//   <Format>W         a format's width in bits (CqEntryW: $bits(cq_entry_t))
//   <Codes>W          a code set's width in bits (StatusW: the St* values)

`default_nettype none

package peerbar_wire_pkg;

  // A design uses only some of these constants; Verilator would flag the rest.
  // verilator lint_off UNUSEDPARAM

  // NVMe SGL descriptor (16 bytes): NVMe Base Specification, "SGL Descriptor" (figure "Generic SGL Descriptor Format")
  typedef struct packed {
    logic [7:0] identifier; // [127:120] SGL Identifier: type in bits 7:4, subtype in bits 3:0.
    logic [23:0] rsvd_119_96; // reserved
    logic [31:0] length; // [95:64] Bytes (Segment, Last Segment: of the segment, a multiple of 16).
    logic [63:0] address; // [63:0] Bus address (Data Block, Bit Bucket: ignored; Segment, Last Segment: of the next segment).
  } sgl_desc_t;
  // Widths in bits: the format's, its fields'.
  localparam int unsigned SglDescW = 128;
  localparam int unsigned SglDescAddressW = 64;
  localparam int unsigned SglDescLengthW = 32;
  localparam int unsigned SglDescIdentifierW = 8;

  // SQ entry (64 bytes): peerbar (docs/dma-engine.md); DPTR as NVMe's
  typedef struct packed {
    logic [191:0] rsvd_511_320; // reserved
    sgl_desc_t dptr; // [319:192] One NVMe SGL descriptor; ignored by NOP and CHECKSUM.
    logic [31:0] rsvd_191_160; // reserved
    logic [31:0] length; // [159:128] Bytes to move or checksum (0: nothing, success).
    logic [63:0] bar2_offset; // [127:64] Byte offset in BAR2 (any alignment).
    logic [31:0] rsvd_63_32; // reserved
    logic [15:0] cid; // [31:16] Command identifier, echoed in the CQ entry.
    logic [7:0] flags; // [15:8] FLAGS (bits below); other bits reserved.
    logic [7:0] opcode; // [7:0] Opcode (below).
  } sq_entry_t;
  // Widths in bits: the format's, its fields'.
  localparam int unsigned SqEntryW = 512;
  localparam int unsigned SqEntryOpcodeW = 8;
  localparam int unsigned SqEntryFlagsW = 8;
  localparam int unsigned SqEntryCidW = 16;
  localparam int unsigned SqEntryBar2OffsetW = 64;
  localparam int unsigned SqEntryLengthW = 32;
  localparam int unsigned SqEntryDptrW = 128;

  // CQ entry (16 bytes): peerbar (docs/dma-engine.md)
  typedef struct packed {
    logic [15:0] status; // [127:112] Bit 0: phase tag; bits 15:1: status code (below).
    logic [15:0] cid; // [111:96] The command's CID.
    logic [15:0] sq_id; // [95:80] Queue number.
    logic [15:0] sq_head; // [79:64] SQ head after this command was fetched.
    logic [31:0] rsvd_63_32; // reserved
    logic [31:0] result; // [31:0] CHECKSUM: the CRC32C; PULL/PUSH with FLAGS.CRC and status Success: the CRC32C of the bytes moved; otherwise PULL/PUSH: bytes moved before completion.
  } cq_entry_t;
  // Widths in bits: the format's, its fields'.
  localparam int unsigned CqEntryW = 128;
  localparam int unsigned CqEntryResultW = 32;
  localparam int unsigned CqEntrySqHeadW = 16;
  localparam int unsigned CqEntrySqIdW = 16;
  localparam int unsigned CqEntryCidW = 16;
  localparam int unsigned CqEntryStatusW = 16;

  // Requester request (RQ) descriptor (16 bytes): AMD PG213, "Requester Request Descriptor Format"
  typedef struct packed {
    logic force_ecrc; // [127:127] Force ECRC.
    logic [2:0] attr; // [126:124] Attributes.
    logic [2:0] tc; // [123:121] Traffic class.
    logic requester_id_enable; // [120:120] Use requester_id instead of the function's own.
    logic [15:0] completer_id; // [119:104] Completer ID (configuration and ID-routed requests).
    logic [7:0] tag; // [103:96] Tag (user-managed tags).
    logic [15:0] requester_id; // [95:80] Requester ID (used when requester_id_enable).
    logic poisoned; // [79:79] Poisoned request.
    logic [3:0] req_type; // [78:75] Request type: 0 MemRd, 1 MemWr, ...
    logic [10:0] dword_count; // [74:64] Payload or read length in DWORDs.
    logic [61:0] address; // [63:2] Address bits 63:2 (memory requests).
    logic [1:0] addr_type; // [1:0] Address type (AT): 0 untranslated.
  } rq_desc_t;
  // Widths in bits: the format's, its fields'.
  localparam int unsigned RqDescW = 128;
  localparam int unsigned RqDescAddrTypeW = 2;
  localparam int unsigned RqDescAddressW = 62;
  localparam int unsigned RqDescDwordCountW = 11;
  localparam int unsigned RqDescReqTypeW = 4;
  localparam int unsigned RqDescPoisonedW = 1;
  localparam int unsigned RqDescRequesterIdW = 16;
  localparam int unsigned RqDescTagW = 8;
  localparam int unsigned RqDescCompleterIdW = 16;
  localparam int unsigned RqDescRequesterIdEnableW = 1;
  localparam int unsigned RqDescTcW = 3;
  localparam int unsigned RqDescAttrW = 3;
  localparam int unsigned RqDescForceEcrcW = 1;

  // Requester completion (RC) descriptor (12 bytes): AMD PG213, "Requester Completion Descriptor Format" and "Handling of Completion Errors"
  typedef struct packed {
    logic rsvd_95_95; // reserved
    logic [2:0] attr; // [94:92] Attributes.
    logic [2:0] tc; // [91:89] Traffic class.
    logic rsvd_88_88; // reserved
    logic [15:0] completer_id; // [87:72] Completer ID.
    logic [7:0] tag; // [71:64] Tag.
    logic [15:0] requester_id; // [63:48] Requester ID.
    logic rsvd_47_47; // reserved
    logic poisoned; // [46:46] Poisoned completion (EP).
    logic [2:0] status; // [45:43] Completion status: 0 SC, 1 UR, 2 CRS, 4 CA.
    logic [10:0] dword_count; // [42:32] Payload DWORDs.
    logic rsvd_31_31; // reserved
    logic request_completed; // [30:30] The block is done with the request: its tag is free.
    logic locked_read; // [29:29] Locked read completion.
    logic [12:0] byte_count; // [28:16] Bytes still owed, this completion's included.
    logic [3:0] error_code; // [15:12] 0 none, 1 poisoned, 2 UR/CA/CRS, 3 byte count, 4 attributes, 5 address, 6 invalid tag, 8 FLR, 9 completion timeout.
    logic [11:0] lower_address; // [11:0] Address bits 11:0 of the first byte: 11:7 from the Split Completion Table, 6:0 from the TLP (only 6:0 valid on an error).
  } rc_desc_t;
  // Widths in bits: the format's, its fields'.
  localparam int unsigned RcDescW = 96;
  localparam int unsigned RcDescLowerAddressW = 12;
  localparam int unsigned RcDescErrorCodeW = 4;
  localparam int unsigned RcDescByteCountW = 13;
  localparam int unsigned RcDescLockedReadW = 1;
  localparam int unsigned RcDescRequestCompletedW = 1;
  localparam int unsigned RcDescDwordCountW = 11;
  localparam int unsigned RcDescStatusW = 3;
  localparam int unsigned RcDescPoisonedW = 1;
  localparam int unsigned RcDescRequesterIdW = 16;
  localparam int unsigned RcDescTagW = 8;
  localparam int unsigned RcDescCompleterIdW = 16;
  localparam int unsigned RcDescTcW = 3;
  localparam int unsigned RcDescAttrW = 3;

  // Completer request (CQ) descriptor (16 bytes): AMD PG213, "Completer Request Descriptor Format"
  typedef struct packed {
    logic rsvd_127_127; // reserved
    logic [2:0] attr; // [126:124] Attributes.
    logic [2:0] tc; // [123:121] Traffic class.
    logic [5:0] bar_aperture; // [120:115] log2 of the BAR's size.
    logic [2:0] bar_id; // [114:112] BAR the request hit.
    logic [7:0] target_function; // [111:104] Target function.
    logic [7:0] tag; // [103:96] Tag.
    logic [15:0] requester_id; // [95:80] Requester ID.
    logic rsvd_79_79; // reserved
    logic [3:0] req_type; // [78:75] Request type: 0 MemRd, 1 MemWr, ...
    logic [10:0] dword_count; // [74:64] Length in DWORDs.
    logic [61:0] address; // [63:2] Address bits 63:2.
    logic [1:0] addr_type; // [1:0] Address type (AT).
  } cq_desc_t;
  // Widths in bits: the format's, its fields'.
  localparam int unsigned CqDescW = 128;
  localparam int unsigned CqDescAddrTypeW = 2;
  localparam int unsigned CqDescAddressW = 62;
  localparam int unsigned CqDescDwordCountW = 11;
  localparam int unsigned CqDescReqTypeW = 4;
  localparam int unsigned CqDescRequesterIdW = 16;
  localparam int unsigned CqDescTagW = 8;
  localparam int unsigned CqDescTargetFunctionW = 8;
  localparam int unsigned CqDescBarIdW = 3;
  localparam int unsigned CqDescBarApertureW = 6;
  localparam int unsigned CqDescTcW = 3;
  localparam int unsigned CqDescAttrW = 3;

  // Completer completion (CC) descriptor (12 bytes): AMD PG213, "Completer Completion Descriptor Format"
  typedef struct packed {
    logic force_ecrc; // [95:95] Force ECRC.
    logic [2:0] attr; // [94:92] Attributes.
    logic [2:0] tc; // [91:89] Traffic class.
    logic completer_id_enable; // [88:88] Use completer_id instead of the function's own.
    logic [15:0] completer_id; // [87:72] Completer ID (used when completer_id_enable).
    logic [7:0] tag; // [71:64] Tag (from the request).
    logic [15:0] requester_id; // [63:48] Requester ID (from the request).
    logic rsvd_47_47; // reserved
    logic poisoned; // [46:46] Poisoned completion.
    logic [2:0] status; // [45:43] Completion status: 0 SC, 1 UR, 2 CRS, 4 CA.
    logic [10:0] dword_count; // [42:32] Payload DWORDs.
    logic [1:0] rsvd_31_30; // reserved
    logic locked_read; // [29:29] Locked read completion.
    logic [12:0] byte_count; // [28:16] Bytes still owed, this completion's included.
    logic [5:0] rsvd_15_10; // reserved
    logic [1:0] addr_type; // [9:8] Address type.
    logic rsvd_7_7; // reserved
    logic [6:0] lower_address; // [6:0] Address bits 6:0 of the first byte (memory reads).
  } cc_desc_t;
  // Widths in bits: the format's, its fields'.
  localparam int unsigned CcDescW = 96;
  localparam int unsigned CcDescLowerAddressW = 7;
  localparam int unsigned CcDescAddrTypeW = 2;
  localparam int unsigned CcDescByteCountW = 13;
  localparam int unsigned CcDescLockedReadW = 1;
  localparam int unsigned CcDescDwordCountW = 11;
  localparam int unsigned CcDescStatusW = 3;
  localparam int unsigned CcDescPoisonedW = 1;
  localparam int unsigned CcDescRequesterIdW = 16;
  localparam int unsigned CcDescTagW = 8;
  localparam int unsigned CcDescCompleterIdW = 16;
  localparam int unsigned CcDescCompleterIdEnableW = 1;
  localparam int unsigned CcDescTcW = 3;
  localparam int unsigned CcDescAttrW = 3;
  localparam int unsigned CcDescForceEcrcW = 1;

  // SQ entry opcodes
  localparam int unsigned OpcodeW = 8;
  localparam logic [OpcodeW-1:0] OpNop = 8'h00; // Moves nothing; completes with success.
  localparam logic [OpcodeW-1:0] OpPull = 8'h01; // Bytes from the list's addresses into BAR2.
  localparam logic [OpcodeW-1:0] OpPush = 8'h02; // BAR2 out to the list's addresses.
  localparam logic [OpcodeW-1:0] OpChecksum = 8'h03; // CRC32C (Castagnoli, reflected, init FFFFFFFFh, final XOR FFFFFFFFh) of BAR2[BAR2_OFFSET .. + LENGTH], in RESULT.

  // SQ entry FLAGS bits
  localparam int unsigned SqFlagW = 8;
  localparam logic [SqFlagW-1:0] FlagInterrupt = 8'h01; // Raise the queue's MSI-X vector on completion.
  localparam logic [SqFlagW-1:0] FlagCrc = 8'h02; // PULL, PUSH: return the CRC32C (as CHECKSUM's) of the bytes moved, in BAR2 order, in RESULT; a Bit Bucket's bytes count as zeros. Ignored by NOP and CHECKSUM.

  // CQ entry status codes (STATUS bits 15:1)
  localparam int unsigned StatusW = 8;
  localparam logic [StatusW-1:0] StSuccess = 8'h00; // Success.
  localparam logic [StatusW-1:0] StInvalidOpcode = 8'h01; // Invalid opcode (NVMe Generic Command Status).
  localparam logic [StatusW-1:0] StSglSegment = 8'h0D; // Invalid SGL Segment Descriptor (NVMe).
  localparam logic [StatusW-1:0] StSglCount = 8'h0E; // Invalid Number of SGL Descriptors (NVMe).
  localparam logic [StatusW-1:0] StSglLength = 8'h0F; // Data SGL Length Invalid (NVMe).
  localparam logic [StatusW-1:0] StSglType = 8'h11; // SGL Descriptor Type Invalid (NVMe).
  localparam logic [StatusW-1:0] StBarRange = 8'hC0; // BAR2_OFFSET + LENGTH past the end of BAR2.
  localparam logic [StatusW-1:0] StSglLimit = 8'hC1; // SGL descriptor limit exceeded (loop or endless list).
  localparam logic [StatusW-1:0] StUr = 8'hC2; // Unsupported Request completion to one of the job's reads.
  localparam logic [StatusW-1:0] StCa = 8'hC3; // Completer Abort completion.
  localparam logic [StatusW-1:0] StPoisoned = 8'hC4; // Poisoned completion data.
  localparam logic [StatusW-1:0] StTimeout = 8'hC5; // Completion timeout (DMA_COMPLETION_TIMEOUT cycles without the data).
  localparam logic [StatusW-1:0] StBadCompletion = 8'hC6; // Bad completion: the PCIe block ended one of the job's reads on a completion that did not fit it (block error codes 3-5, or a last completion that could not be taken as data); counted in DMA_ERR_BAD_COMPLETION, never taken as data (one whose beat count disagrees with its DWORD count may have written its earlier beats inside the read's own destination, never outside it).

  // verilator lint_on UNUSEDPARAM

endpackage

`default_nettype wire
