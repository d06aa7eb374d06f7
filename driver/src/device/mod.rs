// SPDX-License-Identifier: MIT OR Apache-2.0
//! The project's own device trait: everything the driver needs from a PCIe function.
//!
//! pci-driver's `PciDevice` is sealed, so peerbar owns this trait and has several backends:
//! - [`vfio`]: real hardware through the legacy VFIO group + type-1 container (wrapping
//!   pci-driver);
//! - [`iommufd`]: real hardware through the VFIO device cdev and iommufd, peer BARs as dma-bufs;
//!   [`backend`] chooses between the two (`--vfio`);
//! - [`vfio_user`]: a function served by another process over vfio-user (the simulated
//!   endpoint served by `peerbar sim serve`);
//! - `peerbar_sim::SimDevice`: the Verilator simulation of the RTL (in the peerbar-sim crate);
//! - `fake` (feature `test-utils`): a small in-memory device for unit tests of code above the
//!   trait.
//!
//! Driver code above this trait cannot tell which backend it runs on.

pub mod backend;
#[cfg(feature = "test-utils")]
pub mod fake;
pub mod iommufd;
mod msix;
pub mod vfio;
pub mod vfio_user;

pub use msix::write_eventfd;

use crate::address::{BarIndex, BarOffset, BusAddr};
use crate::error::{Error, Result};

/// A PCIe function: config space, BAR (MMIO) access and reset.
///
/// Accesses of 1, 2, 4 and 8 bytes must be naturally aligned (one TLP each, as a CPU issues
/// them); bulk accesses take any offset and length. Every access is checked against the BAR's
/// length before anything reaches the device: an access past the end is
/// [`Error::OutOfRange`] and changes nothing.
pub trait Device: Send + Sync {
    /// A short human-readable name, e.g. `0000:01:00.0 (vfio-pci)`.
    fn describe(&self) -> String;

    /// Reads `buf.len()` bytes of config space at `offset`.
    fn config_read(&self, offset: u16, buf: &mut [u8]) -> Result<()>;
    /// Writes `data` to config space at `offset`.
    fn config_write(&self, offset: u16, data: &[u8]) -> Result<()>;

    /// Length in bytes of a memory BAR, `None` when the BAR is absent.
    fn bar_len(&self, bar: BarIndex) -> Option<u64>;

    fn bar_read8(&self, bar: BarIndex, offset: BarOffset) -> Result<u8>;
    fn bar_read16(&self, bar: BarIndex, offset: BarOffset) -> Result<u16>;
    fn bar_read32(&self, bar: BarIndex, offset: BarOffset) -> Result<u32>;
    fn bar_read64(&self, bar: BarIndex, offset: BarOffset) -> Result<u64>;
    fn bar_write8(&self, bar: BarIndex, offset: BarOffset, value: u8) -> Result<()>;
    fn bar_write16(&self, bar: BarIndex, offset: BarOffset, value: u16) -> Result<()>;
    fn bar_write32(&self, bar: BarIndex, offset: BarOffset, value: u32) -> Result<()>;
    fn bar_write64(&self, bar: BarIndex, offset: BarOffset, value: u64) -> Result<()>;

    /// Bulk read of `buf.len()` bytes at any offset.
    fn bar_read(&self, bar: BarIndex, offset: BarOffset, buf: &mut [u8]) -> Result<()>;
    /// Bulk write of `data` at any offset.
    fn bar_write(&self, bar: BarIndex, offset: BarOffset, data: &[u8]) -> Result<()>;

    /// Resets the function (function-level reset where the backend supports it).
    fn reset(&self) -> Result<()>;

    /// IOVA ranges the IOMMU accepts for DMA mappings of this device (VFIO:
    /// `VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE`). An IOVA allocator must stay inside them.
    fn iova_ranges(&self) -> Result<Vec<std::ops::Range<u64>>>;

    /// Makes `len` bytes of this process's memory at `host` reachable by the device (and its
    /// peers in the same IOMMU domain) at bus address `iova`. `host`, `len` and `iova` must be
    /// page aligned (4 KiB).
    ///
    /// # Safety
    /// The memory must stay allocated, and must not be moved, until `unmap_dma(iova, len)` has
    /// returned: the device may read or write it at any time until then.
    unsafe fn map_dma(&self, host: *mut u8, len: usize, iova: BusAddr) -> Result<()>;

    /// Host memory for a DMA buffer of `len` bytes (a multiple of 4 KiB): page aligned,
    /// zeroed, readable and writable, released by the caller with `munmap(ptr, len)` after
    /// `unmap_dma`. `None` (the default) lets the caller allocate private anonymous memory;
    /// a backend whose device lives in another process (vfio-user) returns memory it can
    /// share with that process.
    fn alloc_dma_host_memory(&self, _len: usize) -> Result<Option<std::ptr::NonNull<u8>>> {
        Ok(None)
    }

    /// Removes a mapping made by `map_dma` (the same `iova` and `len`).
    fn unmap_dma(&self, iova: BusAddr, len: usize) -> Result<()>;

    /// Bus address at which peers reach `bar` (what a P2P DMA names). Behind an IOMMU (VFIO)
    /// that is the IOVA at which the BAR is mapped into the device's container or iommufd IOAS,
    /// and asking before it is mapped is [`Error::BarNotMappedForPeers`]; on iommufd, while the
    /// kernel has revoked the BAR's dma-buf and the mapping is not re-made,
    /// [`Error::PeerWindowRevoked`].
    fn bar_bus_addr(&self, bar: BarIndex) -> Result<BusAddr>;

    /// The IOVA allocator of the IOMMU address space this device shares with others (a VFIO
    /// container holding several devices), `None` when the device has an address space of its
    /// own. [`crate::hostmem::DmaMemory::new`] allocates from it, so that every DMA buffer and every
    /// peer-BAR window in one container gets a distinct IOVA.
    fn shared_iova_allocator(&self) -> Option<std::sync::Arc<crate::hostmem::IovaAllocator>> {
        None
    }

    /// Enables MSI-X with `vectors` vectors (the backend programs the table: on VFIO the kernel
    /// does). Each interrupt arrives on the returned channel as its vector number. Calling it
    /// again replaces the previous channel.
    fn enable_msix(&self, vectors: u16) -> Result<crossbeam_channel::Receiver<u16>>;

    /// Disables MSI-X; the channel returned by `enable_msix` disconnects.
    fn disable_msix(&self) -> Result<()>;

    /// Little-endian 16-bit config read.
    fn config_read16(&self, offset: u16) -> Result<u16> {
        let mut b = [0u8; 2];
        self.config_read(offset, &mut b)?;
        Ok(u16::from_le_bytes(b))
    }

    /// Little-endian 32-bit config read.
    fn config_read32(&self, offset: u16) -> Result<u32> {
        let mut b = [0u8; 4];
        self.config_read(offset, &mut b)?;
        Ok(u32::from_le_bytes(b))
    }
}

/// Checks that `len` bytes at `offset` lie inside `bar` and, for sized accesses, that `offset`
/// is a multiple of `align`. Backends call this before touching the device.
pub fn check_bar_access(
    bar_len: Option<u64>,
    bar: BarIndex,
    offset: BarOffset,
    len: u64,
    align: u64,
) -> Result<()> {
    let bar_len = bar_len.ok_or(Error::NoSuchBar { bar })?;
    let end = offset.checked_add(len);
    if end.is_none_or(|end| end.get() > bar_len) {
        return Err(Error::OutOfRange {
            bar,
            offset,
            len,
            bar_len,
        });
    }
    if !offset.is_aligned(align) {
        return Err(Error::Misaligned {
            bar,
            offset,
            size: align,
        });
    }
    Ok(())
}

/// The bus address of a memory BAR as its config-space Base Address Register holds it (bits
/// 3:0 masked; a 64-bit BAR's high half from the next register). On VFIO the kernel shows the
/// BAR's resource address, which is the bus address on platforms without a host bridge
/// address translation (x86-64 and most arm64 servers).
pub(crate) fn bar_bus_addr_from_config(dev: &dyn Device, bar: BarIndex) -> Result<BusAddr> {
    let reg = 0x10 + 4 * u16::from(bar.get());
    let low = dev.config_read32(reg)?;
    if low & 1 != 0 {
        return Err(Error::NoSuchBar { bar });
    }
    let is_64 = (low >> 1) & 0b11 == 0b10;
    let high = if is_64 && bar.get() < 5 {
        dev.config_read32(reg + 4)?
    } else {
        0
    };
    Ok(BusAddr::new(
        (u64::from(high) << 32) | u64::from(low & !0xf),
    ))
}

/// Splits a config-space write into naturally aligned pieces of 4, 2 or 1 bytes, as a CPU
/// issues them (VFIO virtualizes config space per register), and hands each to `write` with
/// its offset. Both VFIO backends write config space this way.
pub(crate) fn for_each_config_piece(
    offset: u16,
    data: &[u8],
    mut write: impl FnMut(u16, &[u8]) -> Result<()>,
) -> Result<()> {
    let mut at = usize::from(offset);
    let mut rest = data;
    while !rest.is_empty() {
        let n = if at % 4 == 0 && rest.len() >= 4 {
            4
        } else if at % 2 == 0 && rest.len() >= 2 {
            2
        } else {
            1
        };
        write(at as u16, &rest[..n])?;
        at += n;
        rest = &rest[n..];
    }
    Ok(())
}

/// The [`Device`] BAR methods of a backend whose BARs are [`crate::mmio::MmioRegion`]s, found by
/// its `fn bar(&self, BarIndex) -> Result<&MmioRegion>` (both VFIO backends).
macro_rules! mmio_bar_methods {
    () => {
        fn bar_len(&self, bar: BarIndex) -> Option<u64> {
            self.bar(bar).ok().map(MmioRegion::len)
        }

        fn bar_read8(&self, bar: BarIndex, offset: BarOffset) -> Result<u8> {
            self.bar(bar)?.read8(offset)
        }

        fn bar_read16(&self, bar: BarIndex, offset: BarOffset) -> Result<u16> {
            self.bar(bar)?.read16(offset)
        }

        fn bar_read32(&self, bar: BarIndex, offset: BarOffset) -> Result<u32> {
            self.bar(bar)?.read32(offset)
        }

        fn bar_read64(&self, bar: BarIndex, offset: BarOffset) -> Result<u64> {
            self.bar(bar)?.read64(offset)
        }

        fn bar_write8(&self, bar: BarIndex, offset: BarOffset, value: u8) -> Result<()> {
            self.bar(bar)?.write8(offset, value)
        }

        fn bar_write16(&self, bar: BarIndex, offset: BarOffset, value: u16) -> Result<()> {
            self.bar(bar)?.write16(offset, value)
        }

        fn bar_write32(&self, bar: BarIndex, offset: BarOffset, value: u32) -> Result<()> {
            self.bar(bar)?.write32(offset, value)
        }

        fn bar_write64(&self, bar: BarIndex, offset: BarOffset, value: u64) -> Result<()> {
            self.bar(bar)?.write64(offset, value)
        }

        fn bar_read(&self, bar: BarIndex, offset: BarOffset, buf: &mut [u8]) -> Result<()> {
            let region = self.bar(bar)?;
            $crate::device::check_bar_access(Some(region.len()), bar, offset, buf.len() as u64, 1)?;
            region.read_bulk(offset, buf)
        }

        fn bar_write(&self, bar: BarIndex, offset: BarOffset, data: &[u8]) -> Result<()> {
            let region = self.bar(bar)?;
            $crate::device::check_bar_access(
                Some(region.len()),
                bar,
                offset,
                data.len() as u64,
                1,
            )?;
            region.write_bulk(offset, data)
        }
    };
}
pub(crate) use mmio_bar_methods;

/// Keeps the raw bus address of every BAR `dev` has out of `iova`: a switch without ACS routes
/// a DMA to such an address straight to the BAR, before it reaches the IOMMU. Both VFIO
/// backends call it for every function they open.
pub(crate) fn reserve_raw_bar_windows(dev: &dyn Device, iova: &crate::hostmem::IovaAllocator) {
    for index in 0..6u8 {
        let Some(bar) = BarIndex::new(index) else {
            continue;
        };
        if let (Some(len), Ok(base)) = (dev.bar_len(bar), bar_bus_addr_from_config(dev, bar)) {
            iova.reserve(base.get()..base.get().saturating_add(len));
        }
    }
}

/// Checks a config-space access against the 4 KiB extended config space.
pub fn check_config_access(offset: u16, len: usize) -> Result<()> {
    if usize::from(offset) + len > CONFIG_SPACE_LEN {
        return Err(Error::ConfigOutOfRange { offset, len });
    }
    Ok(())
}

/// Size of PCIe extended configuration space.
pub const CONFIG_SPACE_LEN: usize = 4096;
