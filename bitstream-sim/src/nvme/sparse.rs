// SPDX-License-Identifier: MIT OR Apache-2.0
//! Byte storage that allocates 4 KiB pages on first write: a memory-backed namespace or a CMB
//! of any size costs host memory only for what was written, and unwritten bytes read as zero.

use std::collections::HashMap;

const PAGE: u64 = 4096;

pub(super) struct SparseMemory {
    size: u64,
    pages: HashMap<u64, Box<[u8]>>,
}

impl SparseMemory {
    pub fn new(size: u64) -> SparseMemory {
        SparseMemory {
            size,
            pages: HashMap::new(),
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Fills `buf` from `offset`; bytes past the end read as zero (callers check ranges).
    pub fn read(&self, offset: u64, buf: &mut [u8]) {
        let mut done = 0usize;
        while done < buf.len() {
            let Some(at) = offset.checked_add(done as u64).filter(|&a| a < self.size) else {
                buf[done..].fill(0);
                return;
            };
            let in_page = (at % PAGE) as usize;
            let n = (PAGE as usize - in_page).min(buf.len() - done);
            match self.pages.get(&(at / PAGE)) {
                Some(page) => buf[done..done + n].copy_from_slice(&page[in_page..in_page + n]),
                None => buf[done..done + n].fill(0),
            }
            done += n;
        }
    }

    /// Stores `data` at `offset`; bytes past the end are dropped (callers check ranges).
    pub fn write(&mut self, offset: u64, data: &[u8]) {
        let mut done = 0usize;
        while done < data.len() {
            let Some(at) = offset.checked_add(done as u64).filter(|&a| a < self.size) else {
                return;
            };
            let in_page = (at % PAGE) as usize;
            let n = (PAGE as usize - in_page).min(data.len() - done);
            let page = self
                .pages
                .entry(at / PAGE)
                .or_insert_with(|| vec![0u8; PAGE as usize].into_boxed_slice());
            page[in_page..in_page + n].copy_from_slice(&data[done..done + n]);
            done += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unwritten_bytes_read_zero_and_writes_span_pages() {
        let mut m = SparseMemory::new(3 * PAGE);
        let data: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8 + 1).collect();
        m.write(100, &data);
        let mut back = vec![0xaa; 5000];
        m.read(100, &mut back);
        assert_eq!(back, data);
        let mut edge = [0xaa; 8];
        m.read(96, &mut edge);
        assert_eq!(edge, [0, 0, 0, 0, 1, 2, 3, 4]);
        // Past the end: reads zero, writes dropped, no panic even at u64::MAX.
        m.write(3 * PAGE - 2, &[9, 9, 9, 9]);
        let mut tail = [0xaa; 4];
        m.read(3 * PAGE - 2, &mut tail);
        assert_eq!(tail, [9, 9, 0, 0]);
        m.write(u64::MAX, &[1, 2]);
        m.read(u64::MAX, &mut tail);
        assert_eq!(tail, [0; 4]);
    }
}
