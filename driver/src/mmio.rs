// SPDX-License-Identifier: MIT OR Apache-2.0
//! Raw-pointer volatile access to mapped device memory: the ONE module that touches a BAR
//! mapping.
//!
//! Device memory is never reached through a Rust reference (`&T` / `&mut T`): the compiler may
//! assume a referenced location is ordinary memory (spurious or merged reads, writes elided),
//! which is wrong for MMIO, where every read and write is a bus transaction with side effects.
//! [`MmioRegion`] holds a raw base pointer and a length, and every access:
//!
//! 1. is checked against the region's length and for natural alignment first
//!    ([`check_bar_access`]), so a bad offset is an error and nothing reaches the device;
//! 2. is one `core::ptr::read_volatile` / `write_volatile` of exactly the requested width, so a
//!    32-bit register read is one 32-bit load (one TLP), never split or merged.
//!
//! PCIe is little-endian: sized accesses convert between the bus byte order and the CPU's.
//! Bulk copies move bytes unchanged, using the widest naturally aligned access (8, 4 or 1 bytes)
//! that fits at each position.
//!
//! Ordering: volatile accesses are not reordered with each other by the compiler, and on the
//! platforms peerbar runs on (x86-64, AArch64 with device memory attributes from the mmap of a
//! BAR) uncached MMIO is not reordered by the CPU either. Code that orders MMIO against DMA
//! memory (a doorbell after filling a queue entry) adds its own fence.

use pci_driver::regions::{MappedOwningPciRegion, PciRegion, Permissions};

use crate::address::{BarIndex, BarOffset};
use crate::device::check_bar_access;
use crate::error::{Error, Result};

/// A mapped BAR (or part of one): a raw base pointer and a length in bytes.
///
/// `MmioRegion` does not own the mapping: whoever creates it (see [`MmioRegion::new`]) keeps
/// the mapping alive for as long as the `MmioRegion` exists, typically by storing both in the
/// same struct.
#[derive(Debug)]
pub struct MmioRegion {
    bar: BarIndex,
    base: *mut u8,
    len: u64,
    /// The mapping `base` points into, when this region owns it (VFIO); dropped (unmapped)
    /// with the region, never before.
    _mapping: Option<MappedOwningPciRegion>,
}

// SAFETY: `MmioRegion` holds no reference to thread-local state; it is a base pointer into a
// shared device mapping that [`MmioRegion::new`]'s contract keeps valid. Every access is a single
// volatile load or store, which device memory handles from any thread.
unsafe impl Send for MmioRegion {}
// SAFETY: all methods take `&self` and perform independent volatile accesses; there is no
// Rust-visible state to race on (the device serialises concurrent bus transactions itself).
unsafe impl Sync for MmioRegion {}

impl MmioRegion {
    /// Wraps `len` bytes of mapped device memory starting at `base`, accessed as `bar` (the BAR
    /// index only names the region in errors).
    ///
    /// # Safety
    ///
    /// - `base` must be valid for volatile reads and writes of `len` bytes for the whole life of
    ///   the returned `MmioRegion` (the mapping must outlive it);
    /// - `base` must be aligned to 8 bytes (a BAR mapping is page-aligned);
    /// - the memory must not be accessed through Rust references while the `MmioRegion` exists
    ///   (other raw-pointer volatile accesses, e.g. by another `MmioRegion`, are fine).
    pub unsafe fn new(bar: BarIndex, base: *mut u8, len: usize) -> MmioRegion {
        debug_assert!(
            base.align_offset(8) == 0,
            "MMIO base must be 8-byte aligned"
        );
        MmioRegion {
            bar,
            base,
            len: len as u64,
            _mapping: None,
        }
    }

    /// Takes ownership of a BAR mapped read/write through pci-driver (an mmap of the VFIO
    /// device file); the mapping lives, and stays mapped, exactly as long as the region.
    ///
    /// Fails with [`Error::Vfio`] when the mapping is not read/write or not 8-byte aligned
    /// (an mmap is page-aligned, so this does not happen in practice).
    pub(crate) fn from_pci_mapping(
        bar: BarIndex,
        mapping: MappedOwningPciRegion,
    ) -> Result<MmioRegion> {
        let base = mapping.as_mut_ptr();
        let len = mapping.len();
        let invalid = |why: &str| Error::Vfio {
            operation: format!("mapping {bar}"),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, why.to_owned()),
        };
        if PciRegion::permissions(&mapping) != Permissions::ReadWrite {
            return Err(invalid("the mapping is not read/write"));
        }
        if base.is_null() || base.align_offset(8) != 0 {
            return Err(invalid("the mapping is not 8-byte aligned"));
        }
        // SAFETY: `mapping` is a live mmap of `len` bytes at `base`, readable and writable
        // (checked above), 8-byte aligned (checked above); it is moved into the region, so it is
        // unmapped only when the region is dropped. The region is its only user: nothing creates
        // a reference into it.
        let mut region = unsafe { MmioRegion::new(bar, base, len) };
        region._mapping = Some(mapping);
        Ok(region)
    }

    /// The CPU address of offset 0, for handing the mapping to the IOMMU (VFIO maps a BAR's
    /// mmap for peers by its virtual address). Not for access: that goes through the methods.
    pub(crate) fn base_ptr(&self) -> *mut u8 {
        self.base
    }

    /// Which BAR this region maps.
    pub fn bar(&self) -> BarIndex {
        self.bar
    }

    /// Length of the region in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// True for an empty region.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Checks an access of `len` bytes at `offset` with the given alignment and returns the
    /// device pointer for it.
    fn checked_ptr(&self, offset: BarOffset, len: u64, align: u64) -> Result<*mut u8> {
        check_bar_access(Some(self.len), self.bar, offset, len, align)?;
        // `check_bar_access` proved offset + len <= self.len, and self.len came from a usize.
        let index = usize::try_from(offset.get()).map_err(|_| Error::OutOfRange {
            bar: self.bar,
            offset,
            len,
            bar_len: self.len,
        })?;
        let ptr = self.base.wrapping_add(index);
        // The offset is aligned; check the address too, in case the base is not (it always is
        // for a real mapping: page-aligned).
        if ptr.align_offset(align as usize) != 0 {
            return Err(Error::Misaligned {
                bar: self.bar,
                offset,
                size: align,
            });
        }
        Ok(ptr)
    }

    /// One 8-bit volatile read.
    pub(crate) fn read8(&self, offset: BarOffset) -> Result<u8> {
        let ptr = self.checked_ptr(offset, 1, 1)?;
        // SAFETY: `checked_ptr` proved the byte lies inside the region, which `new`'s contract
        // makes valid for volatile reads.
        Ok(unsafe { core::ptr::read_volatile(ptr) })
    }

    /// One naturally aligned 16-bit volatile read (little-endian on the bus).
    pub(crate) fn read16(&self, offset: BarOffset) -> Result<u16> {
        let ptr = self.checked_ptr(offset, 2, 2)?.cast::<u16>();
        // SAFETY: `checked_ptr` proved the 2 bytes lie inside the region (valid for volatile
        // reads per `new`'s contract) and that the pointer is 2-byte aligned.
        Ok(u16::from_le(unsafe { core::ptr::read_volatile(ptr) }))
    }

    /// One naturally aligned 32-bit volatile read (little-endian on the bus).
    pub fn read32(&self, offset: BarOffset) -> Result<u32> {
        let ptr = self.checked_ptr(offset, 4, 4)?.cast::<u32>();
        // SAFETY: `checked_ptr` proved the 4 bytes lie inside the region (valid for volatile
        // reads per `new`'s contract) and that the pointer is 4-byte aligned.
        Ok(u32::from_le(unsafe { core::ptr::read_volatile(ptr) }))
    }

    /// One naturally aligned 64-bit volatile read (little-endian on the bus).
    pub(crate) fn read64(&self, offset: BarOffset) -> Result<u64> {
        let ptr = self.checked_ptr(offset, 8, 8)?.cast::<u64>();
        // SAFETY: `checked_ptr` proved the 8 bytes lie inside the region (valid for volatile
        // reads per `new`'s contract) and that the pointer is 8-byte aligned.
        Ok(u64::from_le(unsafe { core::ptr::read_volatile(ptr) }))
    }

    /// One 8-bit volatile write.
    pub(crate) fn write8(&self, offset: BarOffset, value: u8) -> Result<()> {
        let ptr = self.checked_ptr(offset, 1, 1)?;
        // SAFETY: `checked_ptr` proved the byte lies inside the region, which `new`'s contract
        // makes valid for volatile writes.
        unsafe { core::ptr::write_volatile(ptr, value) };
        Ok(())
    }

    /// One naturally aligned 16-bit volatile write (little-endian on the bus).
    pub(crate) fn write16(&self, offset: BarOffset, value: u16) -> Result<()> {
        let ptr = self.checked_ptr(offset, 2, 2)?.cast::<u16>();
        // SAFETY: `checked_ptr` proved the 2 bytes lie inside the region (valid for volatile
        // writes per `new`'s contract) and that the pointer is 2-byte aligned.
        unsafe { core::ptr::write_volatile(ptr, value.to_le()) };
        Ok(())
    }

    /// One naturally aligned 32-bit volatile write (little-endian on the bus).
    pub(crate) fn write32(&self, offset: BarOffset, value: u32) -> Result<()> {
        let ptr = self.checked_ptr(offset, 4, 4)?.cast::<u32>();
        // SAFETY: `checked_ptr` proved the 4 bytes lie inside the region (valid for volatile
        // writes per `new`'s contract) and that the pointer is 4-byte aligned.
        unsafe { core::ptr::write_volatile(ptr, value.to_le()) };
        Ok(())
    }

    /// One naturally aligned 64-bit volatile write (little-endian on the bus).
    pub(crate) fn write64(&self, offset: BarOffset, value: u64) -> Result<()> {
        let ptr = self.checked_ptr(offset, 8, 8)?.cast::<u64>();
        // SAFETY: `checked_ptr` proved the 8 bytes lie inside the region (valid for volatile
        // writes per `new`'s contract) and that the pointer is 8-byte aligned.
        unsafe { core::ptr::write_volatile(ptr, value.to_le()) };
        Ok(())
    }

    /// Copies `buf.len()` bytes from the region at `offset` (any offset and length) into `buf`.
    ///
    /// The whole range is checked first; the copy then uses 8-byte volatile reads where the
    /// device address is 8-byte aligned and 8 bytes remain, else 4-byte, else 1-byte reads.
    pub(crate) fn read_bulk(&self, offset: BarOffset, buf: &mut [u8]) -> Result<()> {
        self.checked_ptr(offset, buf.len() as u64, 1)?;
        for chunk in BulkChunks::new(offset.get(), buf.len()) {
            let at = BarOffset::new(chunk.offset);
            let dst = &mut buf[chunk.index..chunk.index + chunk.size];
            // Bytes are copied as they sit on the bus (no byte swapping): native-endian round
            // trip of the little-endian conversion in the sized accessors.
            match chunk.size {
                8 => dst.copy_from_slice(&self.read64(at)?.to_le_bytes()),
                4 => dst.copy_from_slice(&self.read32(at)?.to_le_bytes()),
                _ => dst[0] = self.read8(at)?,
            }
        }
        Ok(())
    }

    /// Copies `data` into the region at `offset` (any offset and length).
    ///
    /// The whole range is checked first, so an out-of-range copy writes nothing; the copy then
    /// uses 8-byte volatile writes where the device address is 8-byte aligned and 8 bytes remain,
    /// else 4-byte, else 1-byte writes.
    pub(crate) fn write_bulk(&self, offset: BarOffset, data: &[u8]) -> Result<()> {
        self.checked_ptr(offset, data.len() as u64, 1)?;
        for chunk in BulkChunks::new(offset.get(), data.len()) {
            let at = BarOffset::new(chunk.offset);
            let src = &data[chunk.index..chunk.index + chunk.size];
            match chunk.size {
                8 => self.write64(at, u64::from_le_bytes(to_array(src)))?,
                4 => self.write32(at, u32::from_le_bytes(to_array(src)))?,
                _ => self.write8(at, src[0])?,
            }
        }
        Ok(())
    }
}

fn to_array<const N: usize>(src: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    a.copy_from_slice(src);
    a
}

/// One access of a bulk copy: `size` bytes at device `offset`, buffer position `index`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct BulkChunk {
    offset: u64,
    index: usize,
    size: usize,
}

/// Splits a bulk copy into naturally aligned 8-, 4- and 1-byte accesses.
struct BulkChunks {
    offset: u64,
    index: usize,
    len: usize,
}

impl BulkChunks {
    fn new(offset: u64, len: usize) -> BulkChunks {
        BulkChunks {
            offset,
            index: 0,
            len,
        }
    }
}

impl Iterator for BulkChunks {
    type Item = BulkChunk;

    fn next(&mut self) -> Option<BulkChunk> {
        let remaining = self.len - self.index;
        if remaining == 0 {
            return None;
        }
        let size = [8usize, 4]
            .into_iter()
            .find(|&s| remaining >= s && self.offset % s as u64 == 0)
            .unwrap_or(1);
        let chunk = BulkChunk {
            offset: self.offset,
            index: self.index,
            size,
        };
        self.offset += size as u64;
        self.index += size;
        Some(chunk)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Heap memory standing in for a BAR mapping, only ever accessed through the raw pointer
    /// while an `MmioRegion` exists.
    struct Backing {
        ptr: *mut u64,
        words: usize,
    }

    impl Backing {
        fn new(len: usize) -> Backing {
            let words = len.div_ceil(8);
            let boxed: Box<[u64]> = vec![0u64; words].into_boxed_slice();
            Backing {
                ptr: Box::into_raw(boxed).cast::<u64>(),
                words,
            }
        }

        fn region(&self, len: usize) -> MmioRegion {
            assert!(len <= self.words * 8);
            // SAFETY: `ptr` is a live, 8-byte aligned heap allocation of at least `len` bytes
            // that outlives the region (each test drops the region before the backing) and is
            // never referenced while the region exists.
            unsafe { MmioRegion::new(BarIndex::BAR2, self.ptr.cast::<u8>(), len) }
        }
    }

    impl Drop for Backing {
        fn drop(&mut self) {
            let slice = core::ptr::slice_from_raw_parts_mut(self.ptr, self.words);
            // SAFETY: `ptr`/`words` came from `Box::into_raw` of a `Box<[u64]>` of that length
            // and are released exactly once, here.
            drop(unsafe { Box::from_raw(slice) });
        }
    }

    #[test]
    fn sized_accesses_round_trip_little_endian() {
        let backing = Backing::new(64);
        let r = backing.region(64);
        r.write32(BarOffset::new(0), 0x1122_3344).unwrap();
        assert_eq!(r.read8(BarOffset::new(0)).unwrap(), 0x44);
        assert_eq!(r.read8(BarOffset::new(3)).unwrap(), 0x11);
        assert_eq!(r.read16(BarOffset::new(2)).unwrap(), 0x1122);
        r.write64(BarOffset::new(8), 0x0102_0304_0506_0708).unwrap();
        assert_eq!(r.read32(BarOffset::new(8)).unwrap(), 0x0506_0708);
        assert_eq!(r.read32(BarOffset::new(12)).unwrap(), 0x0102_0304);
        r.write16(BarOffset::new(16), 0xbeef).unwrap();
        r.write8(BarOffset::new(18), 0x7f).unwrap();
        assert_eq!(r.read64(BarOffset::new(16)).unwrap(), 0x007f_beef);
    }

    #[test]
    fn out_of_range_is_refused() {
        let backing = Backing::new(64);
        let r = backing.region(64);
        assert!(matches!(
            r.read32(BarOffset::new(64)),
            Err(Error::OutOfRange { len: 4, .. })
        ));
        assert!(matches!(
            r.write64(BarOffset::new(60), 0),
            Err(Error::OutOfRange { .. })
        ));
        assert!(matches!(
            r.read8(BarOffset::new(u64::MAX)),
            Err(Error::OutOfRange { .. })
        ));
        // A bulk write that runs past the end writes nothing at all.
        assert!(matches!(
            r.write_bulk(BarOffset::new(60), &[0xff; 8]),
            Err(Error::OutOfRange { .. })
        ));
        assert_eq!(r.read32(BarOffset::new(60)).unwrap(), 0);
    }

    #[test]
    fn misaligned_sized_access_is_refused() {
        let backing = Backing::new(64);
        let r = backing.region(64);
        assert!(matches!(
            r.read16(BarOffset::new(1)),
            Err(Error::Misaligned { size: 2, .. })
        ));
        assert!(matches!(
            r.read32(BarOffset::new(2)),
            Err(Error::Misaligned { size: 4, .. })
        ));
        assert!(matches!(
            r.write64(BarOffset::new(4), 0),
            Err(Error::Misaligned { size: 8, .. })
        ));
    }

    #[test]
    fn bulk_copies_any_offset_and_length() {
        let backing = Backing::new(256);
        let r = backing.region(256);
        for start in 0..12u64 {
            for len in [0usize, 1, 3, 4, 7, 8, 9, 15, 16, 17, 33] {
                let data: Vec<u8> = (0..len).map(|i| (i as u8).wrapping_mul(7) ^ 0x5a).collect();
                r.write_bulk(BarOffset::new(start), &data).unwrap();
                let mut back = vec![0u8; len];
                r.read_bulk(BarOffset::new(start), &mut back).unwrap();
                assert_eq!(back, data, "start {start} len {len}");
            }
        }
    }

    #[test]
    fn bulk_splits_into_naturally_aligned_accesses() {
        let chunks: Vec<_> = BulkChunks::new(3, 18).map(|c| (c.offset, c.size)).collect();
        assert_eq!(
            chunks,
            vec![(3, 1), (4, 4), (8, 8), (16, 4), (20, 1)],
            "3..21 = 1 @3, 4 @4, 8 @8, 4 @16, 1 @20"
        );
        for c in BulkChunks::new(5, 100) {
            assert_eq!(c.offset % c.size as u64, 0);
        }
        assert_eq!(BulkChunks::new(7, 0).count(), 0);
    }
}
