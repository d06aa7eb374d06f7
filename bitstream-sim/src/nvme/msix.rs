// SPDX-License-Identifier: MIT OR Apache-2.0
//! The MSI-X table and PBA of the NVMe function, in BAR0 above the doorbells: the table at
//! 3000h (16 bytes a vector), the PBA at 3800h. The controller raises vector numbers through
//! [`NvmeBus::interrupt`](super::bus::NvmeBus::interrupt); whoever delivers the message reads
//! its address and data here ([`super::NvmeController::msix_message`]).

/// BAR0 offset of the MSI-X table.
pub const MSIX_TABLE_OFFSET: u64 = 0x3000;
/// BAR0 offset of the Pending Bit Array.
pub const MSIX_PBA_OFFSET: u64 = 0x3800;
/// Bytes of one table entry (PCI Express Base Specification, "MSI-X Table Structure").
pub const MSIX_ENTRY_BYTES: u64 = 16;
/// Offset of Vector Control in a table entry (same structure).
pub const MSIX_VECTOR_CONTROL: u64 = 12;
/// The table has room for this many vectors below the PBA.
pub(super) const MAX_VECTORS: u16 =
    ((MSIX_PBA_OFFSET - MSIX_TABLE_OFFSET) / MSIX_ENTRY_BYTES) as u16;

/// Vector Control bit 0.
const MASKED: u32 = 1;

/// Where and what to write to raise one vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsixMessage {
    pub address: u64,
    pub data: u32,
}

/// Table entries: Message Address low, high, Message Data, Vector Control.
pub(super) struct MsixTable {
    entries: Vec<[u32; 4]>,
}

impl MsixTable {
    /// Every vector masked, as after reset.
    pub fn new(vectors: u16) -> MsixTable {
        MsixTable {
            entries: vec![[0, 0, 0, MASKED]; usize::from(vectors)],
        }
    }

    /// The dword at BAR0 `offset` inside the table or PBA. The PBA reads 0: a vector raised
    /// while masked is dropped, not held pending.
    pub fn read_dword(&self, offset: u64) -> u32 {
        self.slot(offset).map_or(0, |(v, d)| self.entries[v][d])
    }

    /// A write under the byte-lane `mask`: address (low 2 bits read-only 0), data, and the
    /// mask bit of Vector Control are writable.
    pub fn write_dword(&mut self, offset: u64, value: u32, mask: u32) {
        let Some((v, d)) = self.slot(offset) else {
            return;
        };
        let writable = match d {
            0 => !0x3,
            1 | 2 => !0,
            _ => MASKED,
        };
        let old = self.entries[v][d];
        self.entries[v][d] = (old & !(mask & writable)) | (value & mask & writable);
    }

    /// The message of `vector`, or `None` while it is masked (or does not exist).
    pub fn message(&self, vector: u16) -> Option<MsixMessage> {
        let e = self.entries.get(usize::from(vector))?;
        (e[3] & MASKED == 0).then(|| MsixMessage {
            address: u64::from(e[0]) | (u64::from(e[1]) << 32),
            data: e[2],
        })
    }

    /// (vector, dword) of a table offset.
    fn slot(&self, offset: u64) -> Option<(usize, usize)> {
        let rel = offset.checked_sub(MSIX_TABLE_OFFSET)?;
        let vector = usize::try_from(rel / MSIX_ENTRY_BYTES).ok()?;
        (vector < self.entries.len()).then_some((vector, (rel % MSIX_ENTRY_BYTES / 4) as usize))
    }
}
