// SPDX-License-Identifier: MIT OR Apache-2.0
//! Peer windows: a BAR exported as a dma-buf and mapped into the IOAS, and how the backend
//! re-makes it after the kernel revokes it (see the parent module's docs, "Peer BARs and
//! revoke").

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::MutexGuard;

use vfio_bindings::bindings::vfio as vb;

use super::uapi::{ioctl, VFIO_DEVICE_FEATURE};
use super::IommufdDevice;
use crate::address::{BarIndex, BusAddr};
use crate::device::Device;
use crate::error::{Error, Result};

/// The Command register and its Memory Space Enable bit (PCI Local Bus 3.0, 6.2.2).
const PCI_COMMAND: u16 = 0x04;
const PCI_COMMAND_MEMORY: u16 = 1 << 1;

/// A BAR exported as a dma-buf and mapped into the IOAS for peers.
pub(super) struct PeerWindow {
    pub(super) iova: BusAddr,
    pub(super) len: usize,
    /// The dma-buf, `None` while revoked and not re-made.
    pub(super) dmabuf: Option<OwnedFd>,
}

impl IommufdDevice {
    pub(super) fn lock_windows(&self) -> MutexGuard<'_, [Option<PeerWindow>; 6]> {
        self.peer_windows.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `VFIO_DEVICE_FEATURE(GET | DMA_BUF)`: the whole of `bar` as one dma-buf range.
    fn export_dmabuf(&self, bar: BarIndex, len: usize) -> io::Result<OwnedFd> {
        // struct vfio_device_feature, then struct vfio_device_feature_dma_buf, then one
        // struct vfio_region_dma_range (all u32/u64, so u64 words hold them aligned).
        let header = std::mem::size_of::<vb::vfio_device_feature>();
        let payload = std::mem::size_of::<vb::vfio_device_feature_dma_buf>();
        let range = std::mem::size_of::<vb::vfio_region_dma_range>();
        let argsz = header + payload + range;
        let mut words = vec![0u64; argsz.div_ceil(8)];
        let base = words.as_mut_ptr().cast::<u8>();
        let feature = vb::vfio_device_feature {
            argsz: argsz as u32,
            flags: vb::VFIO_DEVICE_FEATURE_GET | vb::VFIO_DEVICE_FEATURE_DMA_BUF,
            ..Default::default()
        };
        let dma_buf = vb::vfio_device_feature_dma_buf {
            region_index: u32::from(bar.get()),
            open_flags: (libc::O_RDWR | libc::O_CLOEXEC) as u32,
            flags: 0,
            nr_ranges: 1,
            ..Default::default()
        };
        let ranges = vb::vfio_region_dma_range {
            offset: 0,
            length: len as u64,
        };
        // SAFETY: `words` holds `argsz` bytes, 8-byte aligned; the three structs are written
        // at their offsets (header, header + payload: both multiples of 8) inside it.
        unsafe {
            base.cast::<vb::vfio_device_feature>().write(feature);
            base.add(header)
                .cast::<vb::vfio_device_feature_dma_buf>()
                .write(dma_buf);
            base.add(header + payload)
                .cast::<vb::vfio_region_dma_range>()
                .write(ranges);
        }
        // SAFETY: `words` is the `argsz`-byte argument VFIO_DEVICE_FEATURE reads, live for the
        // call. On success the return value is a new dma-buf descriptor.
        let fd = unsafe { ioctl(self.file.as_raw_fd(), VFIO_DEVICE_FEATURE, base.cast())? };
        // SAFETY: `fd` is a fresh descriptor (dma_buf_fd) that nothing else owns.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// Exports `bar` and maps the dma-buf at `iova`; the new dma-buf on success.
    pub(super) fn export_and_map(
        &self,
        bar: BarIndex,
        len: usize,
        iova: BusAddr,
    ) -> Result<OwnedFd> {
        let dmabuf = self.export_dmabuf(bar, len).map_err(|source| Error::Vfio {
            operation: format!(
                "VFIO_DEVICE_FEATURE_DMA_BUF export of {bar} of {} ({len} bytes){}",
                self.bdf,
                self.memory_off_hint()
            ),
            source,
        })?;
        self.ctx
            .map_file(dmabuf.as_raw_fd(), len as u64, iova.get())
            .map_err(|source| Error::Vfio {
                operation: format!(
                    "IOMMU_IOAS_MAP_FILE of {bar} of {} ({len} bytes, its dma-buf) at IOVA {iova} in IOAS {}{}",
                    self.bdf,
                    self.ctx.ioas,
                    self.memory_off_hint()
                ),
                source,
            })?;
        Ok(dmabuf)
    }

    /// Why an export or map-file may have failed with ENODEV: memory decoding off revokes it.
    fn memory_off_hint(&self) -> &'static str {
        match self.config_read16(PCI_COMMAND) {
            Ok(command) if command & PCI_COMMAND_MEMORY == 0 => {
                " (memory decoding is off in the Command register: vfio-pci revokes a BAR's dma-buf then)"
            }
            _ => "",
        }
    }

    /// Re-makes every revoked or possibly revoked window at its IOVA: unmaps the area (the
    /// kernel keeps a revoked dma-buf area in the IOAS, mapped to nothing), exports the BAR
    /// again and maps the new dma-buf. `why` names the event for the log.
    pub(super) fn remap_windows(
        &self,
        windows: &mut [Option<PeerWindow>; 6],
        why: &str,
    ) -> Result<()> {
        let mut first_error = None;
        for (index, slot) in windows.iter_mut().enumerate() {
            let Some(window) = slot else { continue };
            let bar = BarIndex::new(index as u8).expect("0..6 are BAR indices");
            self.revoke_window(bar, window);
            match self.export_and_map(bar, window.len, window.iova) {
                Ok(dmabuf) => {
                    window.dmabuf = Some(dmabuf);
                    log::info!(
                        "{}: {bar}'s dma-buf was revoked by {why}; exported again and mapped for peers at the same IOVA {}",
                        self.bdf,
                        window.iova
                    );
                }
                Err(e) => {
                    log::warn!(
                        "{}: {bar}'s dma-buf was revoked by {why} and cannot be mapped again: {e}; peers may not use IOVA {} until it is",
                        self.bdf,
                        window.iova
                    );
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Takes a window's revoked mapping out of the IOAS (its IOVA stays allocated) and closes
    /// its dma-buf.
    fn revoke_window(&self, bar: BarIndex, window: &mut PeerWindow) {
        if window.dmabuf.take().is_none() {
            return;
        }
        if let Err(e) = self.ctx.unmap(window.iova.get(), window.len as u64) {
            log::warn!(
                "{}: IOMMU_IOAS_UNMAP of {bar}'s revoked window at IOVA {}: {e}",
                self.bdf,
                window.iova
            );
        }
    }

    /// After a write that may have changed the Command register: memory decoding off revokes
    /// the windows (the kernel already did); on again re-makes them.
    pub(super) fn follow_memory_enable(&self) -> Result<()> {
        let mut windows = self.lock_windows();
        if windows.iter().all(Option::is_none) {
            return Ok(());
        }
        let command = self.config_read16(PCI_COMMAND)?;
        if command & PCI_COMMAND_MEMORY == 0 {
            for (index, slot) in windows.iter_mut().enumerate() {
                if let Some(window) = slot {
                    if window.dmabuf.is_some() {
                        let bar = BarIndex::new(index as u8).expect("0..6 are BAR indices");
                        self.revoke_window(bar, window);
                        log::info!(
                            "{}: memory decoding off: vfio-pci revoked {bar}'s dma-buf; IOVA {} is unmapped until decoding is on again",
                            self.bdf,
                            window.iova
                        );
                    }
                }
            }
            Ok(())
        } else if windows.iter().flatten().any(|w| w.dmabuf.is_none()) {
            self.remap_windows(&mut windows, "memory decoding going off")
        } else {
            Ok(())
        }
    }
}

/// Whether a config write of `len` bytes at `offset` covers a byte of the Command register.
pub(super) fn touches_command(offset: u16, len: usize) -> bool {
    let (start, end) = (usize::from(offset), usize::from(offset) + len);
    start < usize::from(PCI_COMMAND) + 2 && end > usize::from(PCI_COMMAND)
}
