//! The project's own device trait: everything the driver needs from a PCIe function.
//!
//! pci-driver's `PciDevice` is sealed, so peerbar owns this trait and has several backends:
//! - [`vfio`]: real hardware through VFIO (wrapping pci-driver);
//! - `peerbar_sim::SimDevice`: the Verilator simulation of the RTL (in the peerbar-sim crate);
//! - [`fake`]: a small in-memory device for unit tests of code above the trait.
//!
//! Driver code above this trait cannot tell which backend it runs on.

pub mod fake;
pub mod vfio;

use crate::address::{BarIndex, BarOffset};
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

/// Checks a config-space access against the 4 KiB extended config space.
pub fn check_config_access(offset: u16, len: usize) -> Result<()> {
    if usize::from(offset) + len > CONFIG_SPACE_LEN {
        return Err(Error::ConfigOutOfRange { offset, len });
    }
    Ok(())
}

/// Size of PCIe extended configuration space.
pub const CONFIG_SPACE_LEN: usize = 4096;
