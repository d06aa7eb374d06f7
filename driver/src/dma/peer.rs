// SPDX-License-Identifier: MIT OR Apache-2.0
//! Peer memory: an allocator of BAR2 slices.
//!
//! [`PeerMemory`] hands out [`PeerSlice`]s of BAR2, first fit with coalescing of freed
//! neighbours; a slice returns to the pool when dropped. A slice knows its BAR2 offset (what an
//! SQ entry's BAR2_OFFSET names) and its bus address (what a peer's DMA or an SGL names).
//! Jobs hold slices by `Arc`, so a slice cannot return to the pool while a job uses it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::address::{BarIndex, BarOffset, BusAddr};
use crate::device::Device;
use crate::dma::DmaError;
use crate::error::{Error, Result};

#[derive(Debug)]
struct Pool {
    /// Free ranges of BAR2, offset -> end (exclusive), disjoint and coalesced.
    free: BTreeMap<u64, u64>,
}

impl Pool {
    fn release(&mut self, mut start: u64, mut end: u64) {
        if let Some((&ps, &pe)) = self.free.range(..=start).next_back() {
            if pe == start {
                self.free.remove(&ps);
                start = ps;
            }
        }
        if let Some(&ne) = self.free.get(&end) {
            self.free.remove(&end);
            end = ne;
        }
        self.free.insert(start, end);
    }
}

/// Allocator of BAR2 slices (cheap to clone; clones share the pool).
#[derive(Clone)]
pub struct PeerMemory {
    device: Arc<dyn Device>,
    pool: Arc<Mutex<Pool>>,
    bar_len: u64,
    bus_base: BusAddr,
}

impl std::fmt::Debug for PeerMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerMemory")
            .field("bar_len", &self.bar_len)
            .field("bus_base", &self.bus_base)
            .field("free", &self.lock().free)
            .finish()
    }
}

impl PeerMemory {
    /// A pool over all of the device's BAR2, at the bus address [`Device::bar_bus_addr`] gives.
    pub fn new(device: Arc<dyn Device>) -> Result<PeerMemory> {
        let bar_len = device.bar_len(BarIndex::BAR2).ok_or(Error::NoSuchBar {
            bar: BarIndex::BAR2,
        })?;
        let bus_base = device.bar_bus_addr(BarIndex::BAR2)?;
        let mut free = BTreeMap::new();
        if bar_len > 0 {
            free.insert(0, bar_len);
        }
        Ok(PeerMemory {
            device,
            pool: Arc::new(Mutex::new(Pool { free })),
            bar_len,
            bus_base,
        })
    }

    fn lock(&self) -> MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Size of BAR2.
    pub fn bar_len(&self) -> u64 {
        self.bar_len
    }

    /// Bus address of BAR2 offset 0.
    pub fn bus_base(&self) -> BusAddr {
        self.bus_base
    }

    /// Allocates `len` bytes (> 0) of BAR2 at an offset that is a multiple of `align` (a power
    /// of two), first fit from offset 0.
    pub fn alloc(&self, len: u64, align: u64) -> Result<PeerSlice> {
        let exhausted = |pool: &Pool| {
            Error::Dma(DmaError::PeerMemoryExhausted {
                len,
                align,
                largest_free: pool.free.iter().map(|(s, e)| e - s).max().unwrap_or(0),
            })
        };
        let mut pool = self.lock();
        if len == 0 || !align.is_power_of_two() {
            return Err(exhausted(&pool));
        }
        let found = pool.free.iter().find_map(|(&s, &e)| {
            let start = BarOffset::new(s).align_up(align)?.get();
            let end = start.checked_add(len)?;
            (end <= e).then_some((s, e, start, end))
        });
        let Some((s, e, start, end)) = found else {
            return Err(exhausted(&pool));
        };
        pool.free.remove(&s);
        if s < start {
            pool.free.insert(s, start);
        }
        if end < e {
            pool.free.insert(end, e);
        }
        Ok(PeerSlice {
            offset: BarOffset::new(start),
            len,
            bus_addr: BusAddr::new(self.bus_base.get() + start),
            memory: self.clone(),
        })
    }

    /// Free ranges as (offset, len), lowest first.
    pub fn free_ranges(&self) -> Vec<(BarOffset, u64)> {
        self.lock()
            .free
            .iter()
            .map(|(&s, &e)| (BarOffset::new(s), e - s))
            .collect()
    }
}

/// A slice of BAR2, returned to its [`PeerMemory`] when dropped.
pub struct PeerSlice {
    offset: BarOffset,
    len: u64,
    bus_addr: BusAddr,
    memory: PeerMemory,
}

impl std::fmt::Debug for PeerSlice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerSlice")
            .field("offset", &self.offset)
            .field("len", &self.len)
            .field("bus_addr", &self.bus_addr)
            .finish()
    }
}

impl PeerSlice {
    /// Offset of the slice in BAR2.
    pub fn offset(&self) -> BarOffset {
        self.offset
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bus address of the slice's first byte.
    pub fn bus_addr(&self) -> BusAddr {
        self.bus_addr
    }

    fn check(&self, at: u64, len: u64) -> Result<BarOffset> {
        match at.checked_add(len) {
            Some(end) if end <= self.len => Ok(BarOffset::new(self.offset.get() + at)),
            _ => Err(Error::OutOfBuffer {
                offset: at as usize,
                len: len as usize,
                buffer_len: self.len as usize,
            }),
        }
    }

    /// BAR2 offset of byte `at` of the slice (`at <= len`).
    pub(crate) fn offset_at(&self, at: u64) -> Result<BarOffset> {
        self.check(at, 0)
    }

    /// Bus address of byte `at` of the slice (`at <= len`).
    pub fn bus_addr_at(&self, at: u64) -> Result<BusAddr> {
        self.check(at, 0)?;
        Ok(BusAddr::new(self.bus_addr.get() + at))
    }

    /// CPU read of slice bytes through the BAR mapping (slow on real hardware: prefer a PUSH
    /// or CHECKSUM job for bulk data).
    pub fn read(&self, at: u64, buf: &mut [u8]) -> Result<()> {
        let offset = self.check(at, buf.len() as u64)?;
        self.memory.device.bar_read(BarIndex::BAR2, offset, buf)
    }

    /// CPU write of slice bytes through the BAR mapping.
    pub fn write(&self, at: u64, data: &[u8]) -> Result<()> {
        let offset = self.check(at, data.len() as u64)?;
        self.memory.device.bar_write(BarIndex::BAR2, offset, data)
    }
}

impl Drop for PeerSlice {
    fn drop(&mut self) {
        let start = self.offset.get();
        self.memory.lock().release(start, start + self.len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::fake::FakeDevice;

    fn pool(len: u64) -> PeerMemory {
        PeerMemory::new(Arc::new(FakeDevice::peerbar_endpoint(len))).unwrap()
    }

    #[test]
    fn first_fit_with_alignment_and_coalescing() {
        let p = pool(0x10000);
        let a = p.alloc(100, 1).unwrap();
        assert_eq!(a.offset(), BarOffset::new(0));
        let b = p.alloc(0x1000, 0x1000).unwrap();
        assert_eq!(b.offset(), BarOffset::new(0x1000));
        let c = p.alloc(10, 64).unwrap();
        assert_eq!(c.offset(), BarOffset::new(128));
        assert_eq!(b.bus_addr().get(), p.bus_base().get() + 0x1000);
        assert!(matches!(
            p.alloc(0x10000, 1),
            Err(Error::Dma(DmaError::PeerMemoryExhausted {
                largest_free: 0xe000,
                ..
            }))
        ));
        drop(a);
        drop(c);
        // a's hole (0..100) and c's (128..138) coalesce with the gap up to b.
        assert_eq!(p.free_ranges()[0], (BarOffset::new(0), 0x1000));
        drop(b);
        assert_eq!(p.free_ranges(), vec![(BarOffset::new(0), 0x10000)]);
        assert!(p.alloc(0, 1).is_err());
        assert!(p.alloc(1, 3).is_err());
    }

    #[test]
    fn slices_read_and_write_bar2_in_bounds() {
        let dev = Arc::new(FakeDevice::peerbar_endpoint(0x10000));
        let p = PeerMemory::new(dev.clone()).unwrap();
        let _pad = p.alloc(16, 1).unwrap();
        let s = p.alloc(32, 16).unwrap();
        s.write(4, b"peer").unwrap();
        assert_eq!(&dev.peek_bar(BarIndex::BAR2).unwrap()[20..24], b"peer");
        let mut back = [0u8; 4];
        s.read(4, &mut back).unwrap();
        assert_eq!(&back, b"peer");
        assert!(matches!(
            s.write(30, b"xyz"),
            Err(Error::OutOfBuffer { .. })
        ));
        assert_eq!(s.offset_at(32).unwrap(), BarOffset::new(48));
        assert!(s.bus_addr_at(33).is_err());
    }
}
