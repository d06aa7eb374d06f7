// SPDX-License-Identifier: MIT OR Apache-2.0
//! The storage both simulated functions' config spaces share: 4 KiB of bytes plus, per byte,
//! which bits software may write (read-only bits keep their value, as on hardware).

use peerbar::device::CONFIG_SPACE_LEN;

#[derive(Clone)]
pub struct ConfigBytes {
    pub bytes: [u8; CONFIG_SPACE_LEN],
    write_mask: [u8; CONFIG_SPACE_LEN],
}

impl Default for ConfigBytes {
    fn default() -> ConfigBytes {
        ConfigBytes {
            bytes: [0; CONFIG_SPACE_LEN],
            write_mask: [0; CONFIG_SPACE_LEN],
        }
    }
}

impl ConfigBytes {
    /// Reads bytes; bytes past the 4 KiB read 0.
    pub fn read(&self, offset: usize, buf: &mut [u8]) {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = offset
                .checked_add(i)
                .and_then(|at| self.bytes.get(at))
                .copied()
                .unwrap_or(0);
        }
    }

    /// Writes through the per-byte write masks; bytes past the 4 KiB are dropped.
    pub fn write(&mut self, offset: usize, data: &[u8]) {
        for (i, &b) in data.iter().enumerate() {
            let Some(at) = offset.checked_add(i).filter(|&a| a < CONFIG_SPACE_LEN) else {
                break;
            };
            let m = self.write_mask[at];
            self.bytes[at] = (self.bytes[at] & !m) | (b & m);
        }
    }

    pub fn get16(&self, off: usize) -> u16 {
        u16::from_le_bytes([self.bytes[off], self.bytes[off + 1]])
    }

    pub fn get32(&self, off: usize) -> u32 {
        u32::from_le_bytes(self.bytes[off..off + 4].try_into().expect("4 bytes"))
    }

    pub fn put16(&mut self, off: usize, v: u16) {
        self.bytes[off..off + 2].copy_from_slice(&v.to_le_bytes());
    }

    pub fn put32(&mut self, off: usize, v: u32) {
        self.bytes[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }

    /// Makes the bits set in `m` of the 16-bit field at `off` writable.
    pub fn mask16(&mut self, off: usize, m: u16) {
        self.write_mask[off..off + 2].copy_from_slice(&m.to_le_bytes());
    }

    /// Makes the bits set in `m` of the 32-bit field at `off` writable.
    pub fn mask32(&mut self, off: usize, m: u32) {
        self.write_mask[off..off + 4].copy_from_slice(&m.to_le_bytes());
    }
}
