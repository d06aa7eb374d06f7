// SPDX-License-Identifier: MIT OR Apache-2.0
//! Self-locating test data: a seeded pattern in which every 16-byte cell says where it belongs.
//!
//! A plain random or XOR pattern can only say "these bytes differ". Here the cell at byte
//! offset `o` (a multiple of 16, counted from the start of the device or namespace) holds
//! `o ^ key(seed)` and a check word `mix(seed, o)`. When a verification finds wrong bytes it
//! decodes the cell it found there: zeros (never written), the cell of another offset (data
//! landed in the wrong place: a wrong address, a stale or misdirected chunk, and by how much),
//! a cell of another seed (an earlier run's data), or unrecognisable bytes (corruption).
//! With the logical block size the report names the LBA and the offset inside it.

use std::fmt;

/// Bytes per self-describing cell.
pub(crate) const CELL: u64 = 16;

/// A seeded pattern over a byte-addressed space (a namespace, BAR2, a buffer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pattern {
    seed: u64,
    block_size: u32,
}

/// splitmix64's finaliser: a cheap bijective mixer.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Pattern {
    /// The pattern of `seed`; reports name LBAs of `block_size` bytes (non-zero).
    pub fn new(seed: u64, block_size: u32) -> Pattern {
        Pattern {
            seed,
            block_size: block_size.max(1),
        }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    fn key(&self) -> u64 {
        mix(self.seed ^ 0x5045_4552_4241_5221)
    }

    /// The 16 bytes of the cell at `cell_offset` (a multiple of [`CELL`]).
    fn cell(&self, cell_offset: u64) -> [u8; 16] {
        let mut c = [0u8; 16];
        c[..8].copy_from_slice(&(cell_offset ^ self.key()).to_le_bytes());
        c[8..].copy_from_slice(&mix(self.seed.wrapping_add(cell_offset)).to_le_bytes());
        c
    }

    /// Fills `buf` with the pattern's bytes for offsets `offset..offset + buf.len()` (any
    /// alignment).
    pub fn fill(&self, offset: u64, buf: &mut [u8]) {
        let mut i = 0;
        while i < buf.len() {
            let at = offset + i as u64;
            let cell_offset = at - at % CELL;
            let cell = self.cell(cell_offset);
            let from = (at - cell_offset) as usize;
            let n = (16 - from).min(buf.len() - i);
            buf[i..i + n].copy_from_slice(&cell[from..from + n]);
            i += n;
        }
    }

    /// The pattern's bytes for `offset..offset + len`.
    pub fn bytes(&self, offset: u64, len: usize) -> Vec<u8> {
        let mut v = vec![0u8; len];
        self.fill(offset, &mut v);
        v
    }

    /// Checks `data`, which should hold the pattern for `offset..offset + data.len()`.
    /// `Err` describes the first wrong byte and what is there instead.
    pub fn verify(&self, offset: u64, data: &[u8]) -> Result<(), Mismatch> {
        let mut expected = [0u8; 4096];
        let mut first_bad = None;
        let mut bad_bytes = 0u64;
        let mut last_bad = 0u64;
        for (chunk_index, chunk) in data.chunks(expected.len()).enumerate() {
            let at = offset + (chunk_index * expected.len()) as u64;
            let expected = &mut expected[..chunk.len()];
            self.fill(at, expected);
            if expected == chunk {
                continue;
            }
            for (i, (&e, &f)) in expected.iter().zip(chunk).enumerate() {
                if e != f {
                    let pos = at + i as u64;
                    first_bad.get_or_insert((pos, e, f));
                    bad_bytes += 1;
                    last_bad = pos;
                }
            }
        }
        let Some((at, expected, found)) = first_bad else {
            return Ok(());
        };
        let cell_offset = at - at % CELL;
        let found_cell =
            if cell_offset >= offset && cell_offset + CELL <= offset + data.len() as u64 {
                let start = (cell_offset - offset) as usize;
                let mut cell = [0u8; 16];
                cell.copy_from_slice(&data[start..start + 16]);
                Some(self.identify(cell_offset, &cell))
            } else {
                None
            };
        Err(Mismatch {
            offset: at,
            block_size: self.block_size,
            expected,
            found,
            bad_bytes,
            bad_span_end: last_bad + 1,
            found_cell,
        })
    }

    /// What the 16 bytes found where the cell of `cell_offset` belongs are.
    fn identify(&self, cell_offset: u64, cell: &[u8; 16]) -> CellContent {
        if cell.iter().all(|&b| b == 0) {
            return CellContent::Zeros;
        }
        if cell.iter().all(|&b| b == 0xff) {
            return CellContent::AllOnes;
        }
        let word0 = u64::from_le_bytes(cell[..8].try_into().expect("8 bytes"));
        let word1 = u64::from_le_bytes(cell[8..].try_into().expect("8 bytes"));
        let claimed = word0 ^ self.key();
        if claimed % CELL == 0 && mix(self.seed.wrapping_add(claimed)) == word1 {
            return CellContent::PatternOf {
                offset: claimed,
                displacement: cell_offset as i128 - claimed as i128,
            };
        }
        CellContent::Unrecognised
    }

    /// LBA and offset inside it of byte `offset`.
    pub fn locate(&self, offset: u64) -> (u64, u32) {
        let bs = u64::from(self.block_size);
        (offset / bs, (offset % bs) as u32)
    }
}

/// What a verification found in the cell of the first wrong byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellContent {
    /// All zeros: never written (or written with zeros).
    Zeros,
    /// All ones: typically a read that no device answered.
    AllOnes,
    /// This pattern's cell for another offset: data landed `displacement` bytes away from
    /// where it belongs (positive: too far).
    PatternOf { offset: u64, displacement: i128 },
    /// Neither: corrupted bytes, or data of another seed.
    Unrecognised,
}

/// The first wrong byte of a verification, and what is there instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// Offset of the first wrong byte (same origin as the pattern).
    pub offset: u64,
    pub block_size: u32,
    pub expected: u8,
    pub found: u8,
    /// How many bytes of the checked range are wrong.
    pub bad_bytes: u64,
    /// One past the last wrong byte.
    pub bad_span_end: u64,
    /// The cell around the first wrong byte, decoded (None when the checked range does not
    /// cover the whole cell).
    pub found_cell: Option<CellContent>,
}

impl Mismatch {
    pub fn lba(&self) -> u64 {
        self.offset / u64::from(self.block_size)
    }

    pub(crate) fn offset_in_lba(&self) -> u32 {
        (self.offset % u64::from(self.block_size)) as u32
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "byte {:#x} (LBA {}, offset {} of {}-byte blocks) is {:#04x}, expected {:#04x}; {} byte(s) wrong in {:#x}..{:#x}",
            self.offset,
            self.lba(),
            self.offset_in_lba(),
            self.block_size,
            self.found,
            self.expected,
            self.bad_bytes,
            self.offset,
            self.bad_span_end
        )?;
        match self.found_cell {
            Some(CellContent::Zeros) => write!(f, "; that cell is all zeros (never written?)"),
            Some(CellContent::AllOnes) => {
                write!(f, "; that cell is all ones (an unanswered read?)")
            }
            Some(CellContent::PatternOf {
                offset,
                displacement,
            }) => {
                let bs = u64::from(self.block_size);
                write!(
                    f,
                    "; that cell holds the data of byte {offset:#x} (LBA {}, offset {}): it landed {displacement:+} bytes from where it belongs",
                    offset / bs,
                    offset % bs
                )
            }
            Some(CellContent::Unrecognised) => {
                write!(
                    f,
                    "; that cell is not this pattern (corrupted, or another seed's data)"
                )
            }
            None => Ok(()),
        }
    }
}

impl std::error::Error for Mismatch {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_is_position_determined_at_any_alignment() {
        let p = Pattern::new(7, 512);
        let whole = p.bytes(1000, 300);
        for start in [0usize, 1, 15, 16, 17, 250] {
            let part = p.bytes(1000 + start as u64, 300 - start);
            assert_eq!(part[..], whole[start..], "start {start}");
        }
        assert_ne!(Pattern::new(8, 512).bytes(1000, 300), whole, "seed matters");
        assert!(p.verify(1000, &whole).is_ok());
    }

    #[test]
    fn a_misplaced_chunk_is_reported_with_its_origin_and_displacement() {
        let p = Pattern::new(3, 512);
        let mut data = p.bytes(0, 8192);
        // The data of bytes 0..512 (LBA 0) landed at 4096 (LBA 8).
        let lba0 = p.bytes(0, 512);
        data[4096..4608].copy_from_slice(&lba0);
        let m = p.verify(0, &data).unwrap_err();
        // Bytes that happen to agree are not wrong: the first wrong one is in the first cell.
        assert!((4096..4096 + CELL).contains(&m.offset), "{m}");
        assert_eq!(m.lba(), 8);
        assert!(
            m.bad_span_end > 4608 - CELL && m.bad_span_end <= 4608,
            "{m}"
        );
        assert_eq!(
            m.found_cell,
            Some(CellContent::PatternOf {
                offset: 0,
                displacement: 4096
            })
        );
        let text = m.to_string();
        assert!(text.contains("(LBA 8, offset "), "{text}");
        assert!(text.contains("LBA 0, offset 0"), "{text}");
        assert!(text.contains("+4096"), "{text}");
    }

    #[test]
    fn zeros_ones_and_garbage_are_told_apart() {
        let p = Pattern::new(11, 4096);
        let base = 1 << 20;
        let good = p.bytes(base, 256);
        let at = |fill: &dyn Fn(&mut [u8])| {
            let mut d = good.clone();
            fill(&mut d[64..80]);
            p.verify(base, &d).unwrap_err()
        };
        let m = at(&|c| c.fill(0));
        assert_eq!(m.found_cell, Some(CellContent::Zeros));
        assert_eq!(m.offset, base + 64);
        assert_eq!(at(&|c| c.fill(0xff)).found_cell, Some(CellContent::AllOnes));
        let flipped = at(&|c| c[5] ^= 0x10);
        assert_eq!(flipped.offset, base + 69);
        assert_eq!(flipped.bad_bytes, 1);
        assert_eq!(flipped.found_cell, Some(CellContent::Unrecognised));
        let other_seed = Pattern::new(12, 4096).bytes(base + 64, 16);
        assert_eq!(
            at(&|c| c.copy_from_slice(&other_seed)).found_cell,
            Some(CellContent::Unrecognised)
        );
    }

    #[test]
    fn a_partial_cell_at_the_edge_is_reported_without_decoding() {
        let p = Pattern::new(1, 512);
        let mut d = p.bytes(8, 16);
        d[0] ^= 1;
        let m = p.verify(8, &d).unwrap_err();
        assert_eq!(m.offset, 8);
        assert_eq!(m.found_cell, None);
    }
}
