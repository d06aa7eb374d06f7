// SPDX-License-Identifier: MIT OR Apache-2.0
// Generated from hw/regmap/wire.toml: do not edit (regenerate with cargo run -p peerbar-regmap).
//! The UltraScale+ PCIe block's descriptors (hw/regmap/wire.toml) as little-endian 32-bit
//! words with a getter and a setter per field: what the RTL slices out of tdata, by name.

/// Requester request (RQ) descriptor (16 bytes): AMD PG213, "Requester Request Descriptor Format".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RqDesc(pub [u32; 4]);

impl RqDesc {
    /// Size in bytes.
    pub const BYTES: usize = 16;

    /// Bits 1:0: Address type (AT): 0 untranslated.
    pub fn addr_type(&self) -> u64 {
        get_bits(&self.0, 0, 1)
    }
    /// Sets bits 1:0 (the value's higher bits are dropped).
    pub fn set_addr_type(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 0, 1, value);
        self
    }

    /// Bits 63:2: Address bits 63:2 (memory requests).
    pub fn address(&self) -> u64 {
        get_bits(&self.0, 2, 63)
    }
    /// Sets bits 63:2 (the value's higher bits are dropped).
    pub fn set_address(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 2, 63, value);
        self
    }

    /// Bits 74:64: Payload or read length in DWORDs.
    pub fn dword_count(&self) -> u64 {
        get_bits(&self.0, 64, 74)
    }
    /// Sets bits 74:64 (the value's higher bits are dropped).
    pub fn set_dword_count(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 64, 74, value);
        self
    }

    /// Bits 78:75: Request type: 0 MemRd, 1 MemWr, ...
    pub fn req_type(&self) -> u64 {
        get_bits(&self.0, 75, 78)
    }
    /// Sets bits 78:75 (the value's higher bits are dropped).
    pub fn set_req_type(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 75, 78, value);
        self
    }

    /// Bits 79:79: Poisoned request.
    pub fn poisoned(&self) -> u64 {
        get_bits(&self.0, 79, 79)
    }
    /// Sets bits 79:79 (the value's higher bits are dropped).
    pub fn set_poisoned(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 79, 79, value);
        self
    }

    /// Bits 95:80: Requester ID (used when requester_id_enable).
    pub fn requester_id(&self) -> u64 {
        get_bits(&self.0, 80, 95)
    }
    /// Sets bits 95:80 (the value's higher bits are dropped).
    pub fn set_requester_id(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 80, 95, value);
        self
    }

    /// Bits 103:96: Tag (user-managed tags).
    pub fn tag(&self) -> u64 {
        get_bits(&self.0, 96, 103)
    }
    /// Sets bits 103:96 (the value's higher bits are dropped).
    pub fn set_tag(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 96, 103, value);
        self
    }

    /// Bits 119:104: Completer ID (configuration and ID-routed requests).
    pub fn completer_id(&self) -> u64 {
        get_bits(&self.0, 104, 119)
    }
    /// Sets bits 119:104 (the value's higher bits are dropped).
    pub fn set_completer_id(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 104, 119, value);
        self
    }

    /// Bits 120:120: Use requester_id instead of the function's own.
    pub fn requester_id_enable(&self) -> u64 {
        get_bits(&self.0, 120, 120)
    }
    /// Sets bits 120:120 (the value's higher bits are dropped).
    pub fn set_requester_id_enable(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 120, 120, value);
        self
    }

    /// Bits 123:121: Traffic class.
    pub fn tc(&self) -> u64 {
        get_bits(&self.0, 121, 123)
    }
    /// Sets bits 123:121 (the value's higher bits are dropped).
    pub fn set_tc(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 121, 123, value);
        self
    }

    /// Bits 126:124: Attributes.
    pub fn attr(&self) -> u64 {
        get_bits(&self.0, 124, 126)
    }
    /// Sets bits 126:124 (the value's higher bits are dropped).
    pub fn set_attr(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 124, 126, value);
        self
    }

    /// Bits 127:127: Force ECRC.
    pub fn force_ecrc(&self) -> u64 {
        get_bits(&self.0, 127, 127)
    }
    /// Sets bits 127:127 (the value's higher bits are dropped).
    pub fn set_force_ecrc(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 127, 127, value);
        self
    }
}

/// Requester completion (RC) descriptor (12 bytes): AMD PG213, "Requester Completion Descriptor Format" and "Handling of Completion Errors".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RcDesc(pub [u32; 3]);

impl RcDesc {
    /// Size in bytes.
    pub const BYTES: usize = 12;

    /// Bits 11:0: Address bits 11:0 of the first byte: 11:7 from the Split Completion Table, 6:0 from the TLP (only 6:0 valid on an error).
    pub fn lower_address(&self) -> u64 {
        get_bits(&self.0, 0, 11)
    }
    /// Sets bits 11:0 (the value's higher bits are dropped).
    pub fn set_lower_address(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 0, 11, value);
        self
    }

    /// Bits 15:12: 0 none, 1 poisoned, 2 UR/CA/CRS, 3 byte count, 4 attributes, 5 address, 6 invalid tag, 8 FLR, 9 completion timeout.
    pub fn error_code(&self) -> u64 {
        get_bits(&self.0, 12, 15)
    }
    /// Sets bits 15:12 (the value's higher bits are dropped).
    pub fn set_error_code(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 12, 15, value);
        self
    }

    /// Bits 28:16: Bytes still owed, this completion's included.
    pub fn byte_count(&self) -> u64 {
        get_bits(&self.0, 16, 28)
    }
    /// Sets bits 28:16 (the value's higher bits are dropped).
    pub fn set_byte_count(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 16, 28, value);
        self
    }

    /// Bits 29:29: Locked read completion.
    pub fn locked_read(&self) -> u64 {
        get_bits(&self.0, 29, 29)
    }
    /// Sets bits 29:29 (the value's higher bits are dropped).
    pub fn set_locked_read(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 29, 29, value);
        self
    }

    /// Bits 30:30: The block is done with the request: its tag is free.
    pub fn request_completed(&self) -> u64 {
        get_bits(&self.0, 30, 30)
    }
    /// Sets bits 30:30 (the value's higher bits are dropped).
    pub fn set_request_completed(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 30, 30, value);
        self
    }

    /// Bits 42:32: Payload DWORDs.
    pub fn dword_count(&self) -> u64 {
        get_bits(&self.0, 32, 42)
    }
    /// Sets bits 42:32 (the value's higher bits are dropped).
    pub fn set_dword_count(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 32, 42, value);
        self
    }

    /// Bits 45:43: Completion status: 0 SC, 1 UR, 2 CRS, 4 CA.
    pub fn status(&self) -> u64 {
        get_bits(&self.0, 43, 45)
    }
    /// Sets bits 45:43 (the value's higher bits are dropped).
    pub fn set_status(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 43, 45, value);
        self
    }

    /// Bits 46:46: Poisoned completion (EP).
    pub fn poisoned(&self) -> u64 {
        get_bits(&self.0, 46, 46)
    }
    /// Sets bits 46:46 (the value's higher bits are dropped).
    pub fn set_poisoned(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 46, 46, value);
        self
    }

    /// Bits 63:48: Requester ID.
    pub fn requester_id(&self) -> u64 {
        get_bits(&self.0, 48, 63)
    }
    /// Sets bits 63:48 (the value's higher bits are dropped).
    pub fn set_requester_id(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 48, 63, value);
        self
    }

    /// Bits 71:64: Tag.
    pub fn tag(&self) -> u64 {
        get_bits(&self.0, 64, 71)
    }
    /// Sets bits 71:64 (the value's higher bits are dropped).
    pub fn set_tag(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 64, 71, value);
        self
    }

    /// Bits 87:72: Completer ID.
    pub fn completer_id(&self) -> u64 {
        get_bits(&self.0, 72, 87)
    }
    /// Sets bits 87:72 (the value's higher bits are dropped).
    pub fn set_completer_id(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 72, 87, value);
        self
    }

    /// Bits 91:89: Traffic class.
    pub fn tc(&self) -> u64 {
        get_bits(&self.0, 89, 91)
    }
    /// Sets bits 91:89 (the value's higher bits are dropped).
    pub fn set_tc(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 89, 91, value);
        self
    }

    /// Bits 94:92: Attributes.
    pub fn attr(&self) -> u64 {
        get_bits(&self.0, 92, 94)
    }
    /// Sets bits 94:92 (the value's higher bits are dropped).
    pub fn set_attr(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 92, 94, value);
        self
    }
}

/// Completer request (CQ) descriptor (16 bytes): AMD PG213, "Completer Request Descriptor Format".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CqDesc(pub [u32; 4]);

impl CqDesc {
    /// Size in bytes.
    pub const BYTES: usize = 16;

    /// Bits 1:0: Address type (AT).
    pub fn addr_type(&self) -> u64 {
        get_bits(&self.0, 0, 1)
    }
    /// Sets bits 1:0 (the value's higher bits are dropped).
    pub fn set_addr_type(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 0, 1, value);
        self
    }

    /// Bits 63:2: Address bits 63:2.
    pub fn address(&self) -> u64 {
        get_bits(&self.0, 2, 63)
    }
    /// Sets bits 63:2 (the value's higher bits are dropped).
    pub fn set_address(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 2, 63, value);
        self
    }

    /// Bits 74:64: Length in DWORDs.
    pub fn dword_count(&self) -> u64 {
        get_bits(&self.0, 64, 74)
    }
    /// Sets bits 74:64 (the value's higher bits are dropped).
    pub fn set_dword_count(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 64, 74, value);
        self
    }

    /// Bits 78:75: Request type: 0 MemRd, 1 MemWr, ...
    pub fn req_type(&self) -> u64 {
        get_bits(&self.0, 75, 78)
    }
    /// Sets bits 78:75 (the value's higher bits are dropped).
    pub fn set_req_type(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 75, 78, value);
        self
    }

    /// Bits 95:80: Requester ID.
    pub fn requester_id(&self) -> u64 {
        get_bits(&self.0, 80, 95)
    }
    /// Sets bits 95:80 (the value's higher bits are dropped).
    pub fn set_requester_id(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 80, 95, value);
        self
    }

    /// Bits 103:96: Tag.
    pub fn tag(&self) -> u64 {
        get_bits(&self.0, 96, 103)
    }
    /// Sets bits 103:96 (the value's higher bits are dropped).
    pub fn set_tag(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 96, 103, value);
        self
    }

    /// Bits 111:104: Target function.
    pub fn target_function(&self) -> u64 {
        get_bits(&self.0, 104, 111)
    }
    /// Sets bits 111:104 (the value's higher bits are dropped).
    pub fn set_target_function(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 104, 111, value);
        self
    }

    /// Bits 114:112: BAR the request hit.
    pub fn bar_id(&self) -> u64 {
        get_bits(&self.0, 112, 114)
    }
    /// Sets bits 114:112 (the value's higher bits are dropped).
    pub fn set_bar_id(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 112, 114, value);
        self
    }

    /// Bits 120:115: log2 of the BAR's size.
    pub fn bar_aperture(&self) -> u64 {
        get_bits(&self.0, 115, 120)
    }
    /// Sets bits 120:115 (the value's higher bits are dropped).
    pub fn set_bar_aperture(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 115, 120, value);
        self
    }

    /// Bits 123:121: Traffic class.
    pub fn tc(&self) -> u64 {
        get_bits(&self.0, 121, 123)
    }
    /// Sets bits 123:121 (the value's higher bits are dropped).
    pub fn set_tc(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 121, 123, value);
        self
    }

    /// Bits 126:124: Attributes.
    pub fn attr(&self) -> u64 {
        get_bits(&self.0, 124, 126)
    }
    /// Sets bits 126:124 (the value's higher bits are dropped).
    pub fn set_attr(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 124, 126, value);
        self
    }
}

/// Completer completion (CC) descriptor (12 bytes): AMD PG213, "Completer Completion Descriptor Format".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CcDesc(pub [u32; 3]);

impl CcDesc {
    /// Size in bytes.
    pub const BYTES: usize = 12;

    /// Bits 6:0: Address bits 6:0 of the first byte (memory reads).
    pub fn lower_address(&self) -> u64 {
        get_bits(&self.0, 0, 6)
    }
    /// Sets bits 6:0 (the value's higher bits are dropped).
    pub fn set_lower_address(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 0, 6, value);
        self
    }

    /// Bits 9:8: Address type.
    pub fn addr_type(&self) -> u64 {
        get_bits(&self.0, 8, 9)
    }
    /// Sets bits 9:8 (the value's higher bits are dropped).
    pub fn set_addr_type(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 8, 9, value);
        self
    }

    /// Bits 28:16: Bytes still owed, this completion's included.
    pub fn byte_count(&self) -> u64 {
        get_bits(&self.0, 16, 28)
    }
    /// Sets bits 28:16 (the value's higher bits are dropped).
    pub fn set_byte_count(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 16, 28, value);
        self
    }

    /// Bits 29:29: Locked read completion.
    pub fn locked_read(&self) -> u64 {
        get_bits(&self.0, 29, 29)
    }
    /// Sets bits 29:29 (the value's higher bits are dropped).
    pub fn set_locked_read(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 29, 29, value);
        self
    }

    /// Bits 42:32: Payload DWORDs.
    pub fn dword_count(&self) -> u64 {
        get_bits(&self.0, 32, 42)
    }
    /// Sets bits 42:32 (the value's higher bits are dropped).
    pub fn set_dword_count(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 32, 42, value);
        self
    }

    /// Bits 45:43: Completion status: 0 SC, 1 UR, 2 CRS, 4 CA.
    pub fn status(&self) -> u64 {
        get_bits(&self.0, 43, 45)
    }
    /// Sets bits 45:43 (the value's higher bits are dropped).
    pub fn set_status(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 43, 45, value);
        self
    }

    /// Bits 46:46: Poisoned completion.
    pub fn poisoned(&self) -> u64 {
        get_bits(&self.0, 46, 46)
    }
    /// Sets bits 46:46 (the value's higher bits are dropped).
    pub fn set_poisoned(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 46, 46, value);
        self
    }

    /// Bits 63:48: Requester ID (from the request).
    pub fn requester_id(&self) -> u64 {
        get_bits(&self.0, 48, 63)
    }
    /// Sets bits 63:48 (the value's higher bits are dropped).
    pub fn set_requester_id(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 48, 63, value);
        self
    }

    /// Bits 71:64: Tag (from the request).
    pub fn tag(&self) -> u64 {
        get_bits(&self.0, 64, 71)
    }
    /// Sets bits 71:64 (the value's higher bits are dropped).
    pub fn set_tag(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 64, 71, value);
        self
    }

    /// Bits 87:72: Completer ID (used when completer_id_enable).
    pub fn completer_id(&self) -> u64 {
        get_bits(&self.0, 72, 87)
    }
    /// Sets bits 87:72 (the value's higher bits are dropped).
    pub fn set_completer_id(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 72, 87, value);
        self
    }

    /// Bits 88:88: Use completer_id instead of the function's own.
    pub fn completer_id_enable(&self) -> u64 {
        get_bits(&self.0, 88, 88)
    }
    /// Sets bits 88:88 (the value's higher bits are dropped).
    pub fn set_completer_id_enable(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 88, 88, value);
        self
    }

    /// Bits 91:89: Traffic class.
    pub fn tc(&self) -> u64 {
        get_bits(&self.0, 89, 91)
    }
    /// Sets bits 91:89 (the value's higher bits are dropped).
    pub fn set_tc(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 89, 91, value);
        self
    }

    /// Bits 94:92: Attributes.
    pub fn attr(&self) -> u64 {
        get_bits(&self.0, 92, 94)
    }
    /// Sets bits 94:92 (the value's higher bits are dropped).
    pub fn set_attr(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 92, 94, value);
        self
    }

    /// Bits 95:95: Force ECRC.
    pub fn force_ecrc(&self) -> u64 {
        get_bits(&self.0, 95, 95)
    }
    /// Sets bits 95:95 (the value's higher bits are dropped).
    pub fn set_force_ecrc(&mut self, value: u64) -> &mut Self {
        set_bits(&mut self.0, 95, 95, value);
        self
    }
}

/// Bits `hi..=lo` of little-endian words `w` (at most 64).
fn get_bits(w: &[u32], lo: u32, hi: u32) -> u64 {
    (lo..=hi).rev().fold(0u64, |acc, b| {
        (acc << 1) | u64::from((w[(b / 32) as usize] >> (b % 32)) & 1)
    })
}

fn set_bits(w: &mut [u32], lo: u32, hi: u32, value: u64) {
    for b in lo..=hi {
        let bit = ((value >> (b - lo)) & 1) as u32;
        let word = &mut w[(b / 32) as usize];
        *word = (*word & !(1 << (b % 32))) | (bit << (b % 32));
    }
}
