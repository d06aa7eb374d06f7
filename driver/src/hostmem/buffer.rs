// SPDX-License-Identifier: MIT OR Apache-2.0
//! Host memory the endpoint can DMA to and from.
//!
//! [`DmaMemory`] hands out [`DmaBuffer`]s: page-aligned anonymous memory (mmap), mapped for the
//! device through [`Device::map_dma`] at a bus address (IOVA) from an [`IovaAllocator`] over
//! [`Device::iova_ranges`]. Dropping a buffer unmaps it from the IOMMU first and only then frees
//! the IOVA range and the memory; if the unmap fails the memory is leaked on purpose (the device
//! could still write it).
//!
//! The device writes this memory behind the CPU's back, so the CPU never holds a `&[u8]` into
//! it: reads and writes are volatile copies ([`DmaBuffer::read`], [`DmaBuffer::write`]). The one
//! exception is [`DmaBuffer::volatile_u16`], a `&volatile_register::RO<u16>` for polling a word
//! the device writes (a CQ entry's phase word): `RO` wraps an `UnsafeCell`, so a shared reference
//! to memory that changes under it is sound, and every read through it is volatile.
//!
//! This is one of the two modules (with `mmio`) where the driver uses `unsafe`.

use std::collections::BTreeMap;
use std::ops::Range;
use std::ptr::NonNull;
use std::sync::{Arc, Mutex, MutexGuard};

use zerocopy::{FromBytes, Immutable, IntoBytes};

use crate::address::{BarIndex, BusAddr};
use crate::device::Device;
use crate::error::{Error, Result};
use crate::hostmem::HostMemError;

/// The IOMMU page size the driver maps with.
pub const PAGE_SIZE: usize = 4096;

fn round_up_page(len: usize) -> Option<usize> {
    len.checked_add(PAGE_SIZE - 1).map(|l| l & !(PAGE_SIZE - 1))
}

/// First-fit allocator of bus address (IOVA) ranges, page granular.
#[derive(Debug)]
pub struct IovaAllocator {
    /// Free ranges, start -> end (exclusive), disjoint and coalesced.
    free: Mutex<BTreeMap<u64, u64>>,
}

impl IovaAllocator {
    /// An allocator over `ranges` (shrunk to whole pages). Page 0 is never handed out, so a
    /// zero bus address always means "none".
    pub fn new(ranges: &[Range<u64>]) -> IovaAllocator {
        let allocator = IovaAllocator {
            free: Mutex::new(BTreeMap::new()),
        };
        for r in ranges {
            let page = PAGE_SIZE as u64;
            let start = BusAddr::new(r.start.max(page)).align_up(page);
            let end = BusAddr::new(r.end).align_down(page).get();
            if let Some(start) = start.map(BusAddr::get) {
                if start < end {
                    allocator.insert_free(start, end);
                }
            }
        }
        allocator
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<u64, u64>> {
        self.free.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Removes `range` from the free space (e.g. BAR windows that a DMA must not alias).
    pub fn reserve(&self, range: Range<u64>) {
        let mut free = self.lock();
        let overlapping: Vec<(u64, u64)> = free
            .iter()
            .filter(|&(&s, &e)| s < range.end && range.start < e)
            .map(|(&s, &e)| (s, e))
            .collect();
        for (s, e) in overlapping {
            free.remove(&s);
            if s < range.start {
                free.insert(s, range.start);
            }
            if range.end < e {
                free.insert(range.end, e);
            }
        }
    }

    /// Allocates `len` bytes (rounded up to whole pages) aligned to `align` (a power of two,
    /// at least a page), first fit from the lowest address.
    pub fn alloc(&self, len: usize, align: u64) -> Result<BusAddr> {
        let align = align.max(PAGE_SIZE as u64);
        let size = round_up_page(len.max(1)).ok_or(HostMemError::IovaExhausted { len })? as u64;
        if !align.is_power_of_two() {
            return Err(HostMemError::IovaExhausted { len }.into());
        }
        let mut free = self.lock();
        let found = free.iter().find_map(|(&s, &e)| {
            let start = BusAddr::new(s).align_up(align)?.get();
            let end = start.checked_add(size)?;
            (end <= e).then_some((s, e, start, end))
        });
        let (s, e, start, end) = found.ok_or(HostMemError::IovaExhausted { len })?;
        free.remove(&s);
        if s < start {
            free.insert(s, start);
        }
        if end < e {
            free.insert(end, e);
        }
        Ok(BusAddr::new(start))
    }

    /// Returns a range from [`IovaAllocator::alloc`] (same `len`).
    pub(crate) fn free(&self, addr: BusAddr, len: usize) {
        let size = round_up_page(len.max(1)).expect("freed length came from alloc") as u64;
        self.insert_free(addr.get(), addr.get() + size);
    }

    fn insert_free(&self, mut start: u64, mut end: u64) {
        let mut free = self.lock();
        if let Some((&ps, &pe)) = free.range(..=start).next_back() {
            debug_assert!(
                pe <= start || ps == start && pe == end,
                "double free of IOVA"
            );
            if pe == start {
                free.remove(&ps);
                start = ps;
            }
        }
        if let Some(&ne) = free.get(&end) {
            free.remove(&end);
            end = ne;
        }
        free.insert(start, end);
    }

    /// Free ranges, lowest first (for tests and diagnostics).
    pub fn free_ranges(&self) -> Vec<Range<u64>> {
        self.lock().iter().map(|(&s, &e)| s..e).collect()
    }
}

/// Allocates DMA buffers for one device: the device and its IOVA allocator (cheap to clone).
#[derive(Clone)]
pub struct DmaMemory {
    device: Arc<dyn Device>,
    iova: Arc<IovaAllocator>,
}

impl std::fmt::Debug for DmaMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DmaMemory")
            .field("device", &self.device.describe())
            .field("iova", &self.iova)
            .finish()
    }
}

impl DmaMemory {
    /// DMA memory for `device`: IOVAs from [`Device::iova_ranges`], minus the bus address
    /// windows of the device's BAR0 and BAR2 (a DMA to such an address would reach the BAR
    /// peer-to-peer instead of host memory). A device in a shared IOMMU address space
    /// ([`Device::shared_iova_allocator`]) allocates from the space's one allocator instead,
    /// which its backend already keeps clear of every BAR.
    pub fn new(device: Arc<dyn Device>) -> Result<DmaMemory> {
        if let Some(iova) = device.shared_iova_allocator() {
            return Ok(DmaMemory { device, iova });
        }
        let iova = IovaAllocator::new(&device.iova_ranges()?);
        for bar in [BarIndex::BAR0, BarIndex::BAR2] {
            if let Some(len) = device.bar_len(bar) {
                if let Ok(base) = device.bar_bus_addr(bar) {
                    iova.reserve(base.get()..base.get().saturating_add(len));
                }
            }
        }
        Ok(DmaMemory {
            device,
            iova: Arc::new(iova),
        })
    }

    pub fn device(&self) -> &Arc<dyn Device> {
        &self.device
    }

    pub fn iova_allocator(&self) -> &Arc<IovaAllocator> {
        &self.iova
    }

    /// A zeroed buffer of at least `len` bytes (whole pages), mapped for the device.
    ///
    /// The device reaches it at [`DmaBuffer::bus_addr`]; the CPU reads and writes it with
    /// [`DmaBuffer::read`] and [`DmaBuffer::write`]. Dropping the buffer unmaps it. This
    /// example maps it for the fake device of the `test-utils` feature; a real program uses
    /// the endpoint's memory ([`crate::dma::DmaEngine::memory`]) on VFIO or the simulation.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use peerbar::hostmem::DmaMemory;
    /// # use peerbar::device::fake::FakeDevice;
    /// # fn main() -> peerbar::Result<()> {
    /// # let device = Arc::new(FakeDevice::peerbar_endpoint(1 << 20));
    /// let memory = DmaMemory::new(device)?;
    /// let buffer = memory.alloc(6000)?;
    /// assert_eq!(buffer.len(), 6000);
    /// assert_eq!(buffer.bus_addr().get() % 4096, 0); // page aligned
    /// buffer.write(100, b"for the device")?;
    /// let mut back = [0u8; 14];
    /// buffer.read(100, &mut back)?;
    /// assert_eq!(&back, b"for the device");
    /// println!("the device sees byte 100 at bus address {}", buffer.bus_addr_at(100)?);
    /// # Ok(())
    /// # }
    /// ```
    pub fn alloc(&self, len: usize) -> Result<DmaBuffer> {
        DmaBuffer::new(self.clone(), len)
    }
}

/// Page-aligned host memory mapped for the device. See the [module docs](crate::hostmem).
pub struct DmaBuffer {
    memory: DmaMemory,
    host: NonNull<u8>,
    /// Mapped length: `len` rounded up to whole pages.
    mapped: usize,
    /// Requested length: what `read`/`write` may touch.
    len: usize,
    iova: BusAddr,
}

// SAFETY: the buffer owns its mapping; `host` is only dereferenced through volatile raw-pointer
// copies (or `RO` cells) that are valid from any thread, and nothing in it is thread-local.
unsafe impl Send for DmaBuffer {}
// SAFETY: every `&self` method performs volatile accesses only, like another bus master would;
// concurrent accesses to the same bytes give unspecified values, never undefined behaviour.
unsafe impl Sync for DmaBuffer {}

impl std::fmt::Debug for DmaBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DmaBuffer")
            .field("bus_addr", &self.iova)
            .field("len", &self.len)
            .finish()
    }
}

impl DmaBuffer {
    fn new(memory: DmaMemory, len: usize) -> Result<DmaBuffer> {
        let mapped = round_up_page(len.max(1)).ok_or(HostMemError::IovaExhausted { len })?;
        let host = match memory.device.alloc_dma_host_memory(mapped)? {
            Some(host) => host,
            None => anonymous_memory(mapped)?,
        };
        let unmap_host = || {
            // SAFETY: `host`/`mapped` is the mapping made above, not yet shared with anyone.
            unsafe { libc::munmap(host.as_ptr().cast(), mapped) };
        };
        let iova = match memory.iova.alloc(mapped, PAGE_SIZE as u64) {
            Ok(iova) => iova,
            Err(e) => {
                unmap_host();
                return Err(e);
            }
        };
        // SAFETY: `host` is a page-aligned mapping of `mapped` bytes owned by the DmaBuffer we
        // are building; it is neither freed nor moved before `unmap_dma(iova, mapped)` has
        // returned (see `Drop`, which leaks it when the unmap fails).
        if let Err(e) = unsafe { memory.device.map_dma(host.as_ptr(), mapped, iova) } {
            memory.iova.free(iova, mapped);
            unmap_host();
            return Err(e);
        }
        log::trace!("DMA buffer of {len} bytes at {iova}");
        Ok(DmaBuffer {
            memory,
            host,
            mapped,
            len,
            iova,
        })
    }

    /// The buffer's bus address (what an SGL or a ring base register names).
    pub fn bus_addr(&self) -> BusAddr {
        self.iova
    }

    /// Bus address of byte `offset` (`offset <= len`).
    pub fn bus_addr_at(&self, offset: usize) -> Result<BusAddr> {
        self.check(offset, 0)?;
        Ok(BusAddr::new(self.iova.get() + offset as u64))
    }

    /// Usable length in bytes (as requested).
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn check(&self, offset: usize, len: usize) -> Result<()> {
        match offset.checked_add(len) {
            Some(end) if end <= self.len => Ok(()),
            _ => Err(Error::OutOfBuffer {
                offset,
                len,
                buffer_len: self.len,
            }),
        }
    }

    /// Copies `buf.len()` bytes at `offset` out of the buffer (volatile reads: the device may
    /// have written them behind the CPU's back).
    pub fn read(&self, offset: usize, buf: &mut [u8]) -> Result<()> {
        self.check(offset, buf.len())?;
        for (i, b) in buf.iter_mut().enumerate() {
            // SAFETY: `check` proved `offset + i < len <= mapped`: the byte lies inside our live
            // mapping. Volatile, because the device writes this memory outside Rust's view.
            *b = unsafe { self.host.as_ptr().add(offset + i).read_volatile() };
        }
        Ok(())
    }

    /// Copies `data` into the buffer at `offset` (volatile writes).
    pub fn write(&self, offset: usize, data: &[u8]) -> Result<()> {
        self.check(offset, data.len())?;
        for (i, &b) in data.iter().enumerate() {
            // SAFETY: as in `read`: in bounds of our live mapping; volatile because the device
            // reads it outside Rust's view.
            unsafe { self.host.as_ptr().add(offset + i).write_volatile(b) };
        }
        Ok(())
    }

    /// Fills `len` bytes at `offset` with `byte`.
    pub fn fill(&self, offset: usize, len: usize, byte: u8) -> Result<()> {
        self.check(offset, len)?;
        self.write(offset, &vec![byte; len])
    }

    /// A copy of the whole buffer. There is deliberately no `as_slice`: a `&[u8]` would assert
    /// that nobody changes the bytes while it lives, which the device may do at any time.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut v = vec![0; self.len];
        self.read(0, &mut v).expect("whole buffer is in range");
        v
    }

    /// Reads a wire-format value (SQ/CQ entry, descriptor) at `offset`.
    pub(crate) fn read_obj<T: FromBytes + IntoBytes>(&self, offset: usize) -> Result<T> {
        let mut value = T::new_zeroed();
        self.read(offset, value.as_mut_bytes())?;
        Ok(value)
    }

    /// Writes a wire-format value at `offset`.
    pub(crate) fn write_obj<T: IntoBytes + Immutable>(
        &self,
        offset: usize,
        value: &T,
    ) -> Result<()> {
        self.write(offset, value.as_bytes())
    }

    /// A volatile cell over the little-endian 16-bit word at `offset` (2-byte aligned), for
    /// polling a word the device writes (a CQ entry's phase/status word).
    pub(crate) fn volatile_u16(&self, offset: usize) -> Result<&volatile_register::RO<u16>> {
        self.check(offset, 2)?;
        if offset % 2 != 0 {
            return Err(Error::OutOfBuffer {
                offset,
                len: 2,
                buffer_len: self.len,
            });
        }
        // SAFETY: in bounds (checked) and 2-byte aligned (the mapping is page-aligned, `offset`
        // is even). `RO<u16>` is `repr(transparent)` over `VolatileCell<u16>` (an `UnsafeCell`),
        // so a shared reference to memory the device changes is sound, and it only reads
        // volatile. The reference borrows `self`, so it cannot outlive the mapping.
        Ok(unsafe {
            &*self
                .host
                .as_ptr()
                .add(offset)
                .cast::<volatile_register::RO<u16>>()
        })
    }
}

/// `len` bytes of private anonymous memory (what a buffer is unless the device says otherwise).
fn anonymous_memory(len: usize) -> Result<NonNull<u8>> {
    // SAFETY: an anonymous private mapping at an address the kernel chooses: no existing
    // memory is affected. The result is checked against MAP_FAILED below.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if ptr == libc::MAP_FAILED {
        return Err(HostMemError::Alloc {
            len,
            source: std::io::Error::last_os_error(),
        }
        .into());
    }
    Ok(NonNull::new(ptr.cast::<u8>()).expect("mmap never returns NULL on success"))
}

impl Drop for DmaBuffer {
    fn drop(&mut self) {
        if let Err(e) = self.memory.device.unmap_dma(self.iova, self.mapped) {
            // The device may still reach the memory: leak it (and its IOVA range) rather than
            // hand it back to the allocator.
            log::error!(
                "unmapping DMA buffer {} ({} bytes) failed, leaking it: {e}",
                self.iova,
                self.mapped
            );
            return;
        }
        self.memory.iova.free(self.iova, self.mapped);
        // SAFETY: `host`/`mapped` is the mapping made in `new`; the device mapping is gone
        // (unmap_dma returned Ok) and no reference into it outlives `self`.
        unsafe { libc::munmap(self.host.as_ptr().cast(), self.mapped) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::fake::FakeDevice;
    use crate::dma::wire::{CqEntry, StatusCode};

    fn fake() -> Arc<FakeDevice> {
        Arc::new(FakeDevice::peerbar_endpoint(1 << 20))
    }

    #[test]
    fn iova_first_fit_aligns_coalesces_and_skips_page_zero() {
        let a = IovaAllocator::new(&[0..0x10_000, 0x20_000..0x40_000]);
        assert_eq!(a.free_ranges(), vec![0x1000..0x10_000, 0x20_000..0x40_000]);
        let x = a.alloc(1, 4096).unwrap();
        assert_eq!(x.get(), 0x1000);
        let y = a.alloc(0x8000, 0x8000).unwrap();
        assert_eq!(y.get(), 0x8000);
        let z = a.alloc(0x10_000, 4096).unwrap();
        assert_eq!(z.get(), 0x20_000);
        assert!(matches!(
            a.alloc(0x20_000, 4096),
            Err(Error::HostMem(HostMemError::IovaExhausted { .. }))
        ));
        a.free(y, 0x8000);
        a.free(x, 1);
        a.free(z, 0x10_000);
        assert_eq!(a.free_ranges(), vec![0x1000..0x10_000, 0x20_000..0x40_000]);
        a.reserve(0x3000..0x5000);
        assert_eq!(
            a.free_ranges(),
            vec![0x1000..0x3000, 0x5000..0x10_000, 0x20_000..0x40_000]
        );
    }

    #[test]
    fn buffers_are_mapped_zeroed_and_unmapped_on_drop() {
        let dev = fake();
        let mem = DmaMemory::new(dev.clone()).unwrap();
        let a = mem.alloc(100).unwrap();
        let b = mem.alloc(5000).unwrap();
        assert_eq!(a.bus_addr().get() % 4096, 0);
        assert_ne!(a.bus_addr(), b.bus_addr());
        assert_eq!(a.len(), 100);
        assert_eq!(a.to_vec(), vec![0; 100]);
        assert_eq!(
            dev.dma_windows(),
            vec![(a.bus_addr(), 4096), (b.bus_addr(), 8192)]
        );
        a.write(10, b"hello").unwrap();
        let mut got = [0u8; 5];
        dev.dma_read(BusAddr::new(a.bus_addr().get() + 10), &mut got)
            .unwrap();
        assert_eq!(&got, b"hello");
        dev.dma_write(b.bus_addr_at(4999).unwrap(), &[7]).unwrap();
        assert_eq!(b.to_vec()[4999], 7);
        assert!(matches!(
            a.write(98, b"xyz"),
            Err(Error::OutOfBuffer { .. })
        ));
        assert!(a.bus_addr_at(101).is_err());
        let freed = b.bus_addr();
        drop(b);
        assert_eq!(dev.dma_windows(), vec![(a.bus_addr(), 4096)]);
        assert!(dev.dma_read(freed, &mut got).is_err());
        drop(a);
        assert!(dev.dma_windows().is_empty());
        // The whole IOVA space is free again.
        assert_eq!(mem.iova_allocator().free_ranges().len(), 1);
    }

    #[test]
    fn bar_windows_are_not_handed_out() {
        let dev = fake();
        let bar2 = dev.bar_bus_addr(BarIndex::BAR2).unwrap();
        let dev = Arc::new(
            FakeDevice::peerbar_endpoint(1 << 20)
                .with_iova_ranges(std::iter::once(bar2.get()..bar2.get() + (2 << 20))),
        );
        let mem = DmaMemory::new(dev).unwrap();
        assert_eq!(
            mem.alloc(1).unwrap().bus_addr().get(),
            bar2.get() + (1 << 20)
        );
    }

    #[test]
    fn devices_sharing_an_iova_space_never_get_the_same_iova() {
        // Two functions in one VFIO container, and a peer-BAR window taken from the same
        // allocator (what VfioDevice::map_bar_for_peers does).
        let space = 0x1000..0x40_000;
        let shared = Arc::new(IovaAllocator::new(std::slice::from_ref(&space)));
        let window = shared.alloc(0x10_000, 0x10_000).unwrap();
        let a = Arc::new(
            FakeDevice::peerbar_endpoint(1 << 20)
                .with_iova_ranges(std::iter::once(space.clone()))
                .with_shared_iova_allocator(shared.clone()),
        );
        let b = Arc::new(
            FakeDevice::peerbar_endpoint(1 << 20)
                .with_iova_ranges(std::iter::once(space.clone()))
                .with_shared_iova_allocator(shared.clone()),
        );
        let (mem_a, mem_b) = (DmaMemory::new(a).unwrap(), DmaMemory::new(b).unwrap());
        assert!(Arc::ptr_eq(mem_a.iova_allocator(), &shared));
        let bufs: Vec<DmaBuffer> = (0..4)
            .flat_map(|_| [mem_a.alloc(0x4000).unwrap(), mem_b.alloc(0x4000).unwrap()])
            .collect();
        let mut ranges: Vec<(u64, u64)> = bufs
            .iter()
            .map(|b| (b.bus_addr().get(), b.bus_addr().get() + 0x4000))
            .chain(std::iter::once((window.get(), window.get() + 0x10_000)))
            .collect();
        ranges.sort();
        assert!(ranges.windows(2).all(|w| w[0].1 <= w[1].0), "{ranges:x?}");
        drop(bufs);
        shared.free(window, 0x10_000);
        assert_eq!(shared.free_ranges(), vec![0x1000..0x40_000]);
    }

    #[test]
    fn typed_and_volatile_access() {
        let mem = DmaMemory::new(fake()).unwrap();
        let cq = mem.alloc(64).unwrap();
        let word = cq.volatile_u16(16 + CqEntry::STATUS_OFFSET).unwrap();
        assert_eq!(word.read(), 0);
        let e = CqEntry::new(9, 1, 0, 5, StatusCode::Success, true);
        cq.write_obj(16, &e).unwrap();
        assert_eq!(word.read(), 1);
        assert_eq!(cq.read_obj::<CqEntry>(16).unwrap(), e);
        assert!(cq.volatile_u16(63).is_err());
        assert!(cq.volatile_u16(3).is_err());
    }
}
