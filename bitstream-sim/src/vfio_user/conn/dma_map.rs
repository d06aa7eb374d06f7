// SPDX-License-Identifier: MIT OR Apache-2.0
//! DMA_MAP and DMA_UNMAP: client memory the fabric reaches, mapped here or by message.

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;

use peerbar::device::vfio_user::wire::{self, Header};
use peerbar::{BusAddr, Device};
use zerocopy::IntoBytes;

use super::super::peer::RemoteWindow;
use super::{args, device_refusal, refuse, Connection, Mapping, Refusal};

impl Connection {
    pub(super) fn dma_map(
        &mut self,
        header: &Header,
        payload: &[u8],
        mut fds: Vec<OwnedFd>,
    ) -> Result<Vec<u8>, Refusal> {
        let (map, _) = args::<wire::DmaMap>(header, payload)?;
        let fd = match fds.len() {
            0 => None,
            1 => fds.pop(),
            n => {
                return refuse(
                    libc::EINVAL,
                    format!("DMA_MAP with {n} file descriptors: one at most"),
                )
            }
        };
        let page = 4096u64;
        let end = map.address.checked_add(map.size);
        if map.size == 0
            || map.size % page != 0
            || map.address % page != 0
            || map.offset % page != 0
            || end.is_none()
            || usize::try_from(map.size).is_err()
        {
            return refuse(
                libc::EINVAL,
                format!(
                    "DMA_MAP of {:#x} bytes at IOVA {:#x} (file offset {:#x}): all must be 4 KiB multiples, size not 0",
                    map.size, map.address, map.offset
                ),
            );
        }
        let range = map.address..end.expect("checked");
        // Read and write: shared with the client. Read only (QEMU maps ROM so): a private
        // copy-on-write mapping, so a device write never reaches the client's memory. Write
        // only cannot be enforced by the fabric.
        let sharing = match map.flags & (wire::DMA_FLAG_READ | wire::DMA_FLAG_WRITE) {
            f if f == wire::DMA_FLAG_READ | wire::DMA_FLAG_WRITE => wire::Sharing::Shared,
            wire::DMA_FLAG_READ => wire::Sharing::Private,
            _ => {
                return refuse(
                    libc::ENOTSUP,
                    format!(
                        "DMA_MAP flags {:#x}: READ, or READ and WRITE, are supported",
                        map.flags
                    ),
                )
            }
        };
        if let Some((_, window)) = &self.window {
            if range.start < window.start || range.end > window.end {
                return refuse(
                    libc::EINVAL,
                    format!(
                        "IOVA {:#x}..{:#x} is outside this client's window {:#x}..{:#x}",
                        range.start, range.end, window.start, window.end
                    ),
                );
            }
        }
        if let Some((s, l)) = self
            .state
            .sim
            .iommu_mappings()
            .into_iter()
            .find(|&(s, l)| s < range.end && range.start < s + l)
        {
            return refuse(
                libc::EEXIST,
                format!(
                    "IOVA {:#x}..{:#x} overlaps the mapping {s:#x}..{:#x} (this or another client's)",
                    range.start,
                    range.end,
                    s + l
                ),
            );
        }
        let len = map.size as usize;
        let Some(fd) = fd else {
            return self.map_remote(map.address, len, sharing == wire::Sharing::Shared);
        };
        check_shared_fd(&fd, map.offset, map.size)?;
        // The file cannot shrink under the mapping (F_SEAL_SHRINK, checked above), so every
        // byte of it stays accessible.
        let host = match wire::map_fd(fd.as_raw_fd(), map.offset, len, sharing) {
            Ok(host) => host.as_ptr(),
            Err(e) => {
                return refuse(
                    e.raw_os_error().unwrap_or(libc::EINVAL),
                    format!("cannot mmap the client's memory: {e}"),
                )
            }
        };
        // SAFETY: `host..host+len` is our own mapping, valid for reads and writes; it stays
        // until `unmap_one` has removed it from the fabric (in `dma_unmap` or on drop).
        if let Err(e) = unsafe { self.state.sim.map_dma(host, len, BusAddr::new(map.address)) } {
            // SAFETY: the mapping made above, never handed to the fabric.
            unsafe { libc::munmap(host.cast(), len) };
            return Err(device_refusal(e));
        }
        self.maps.insert(
            map.address,
            Mapping {
                host: Some(host),
                len,
            },
        );
        log::debug!(
            "vfio-user: client {} mapped {:#x}..{:#x}",
            self.id,
            range.start,
            range.end
        );
        Ok(Vec::new())
    }

    /// A DMA_MAP without an fd: the fabric reaches the region by DMA_READ/DMA_WRITE messages
    /// to the client (writes refused when the client mapped it read-only).
    fn map_remote(&mut self, iova: u64, len: usize, writable: bool) -> Result<Vec<u8>, Refusal> {
        let Some(peer) = &self.peer else {
            return refuse(
                libc::ENOTSUP,
                "DMA_MAP without an fd needs a connection the server can send DMA_READ/DMA_WRITE on",
            );
        };
        let window = RemoteWindow {
            peer: Arc::clone(peer),
            iova,
            writable,
        };
        self.state
            .sim
            .map_remote(BusAddr::new(iova), len, Arc::new(window))
            .map_err(device_refusal)?;
        self.maps.insert(iova, Mapping { host: None, len });
        log::debug!(
            "vfio-user: client {} mapped {iova:#x}..{:#x} (DMA_READ/DMA_WRITE)",
            self.id,
            iova + len as u64
        );
        Ok(Vec::new())
    }

    pub(super) fn dma_unmap(
        &mut self,
        header: &Header,
        payload: &[u8],
    ) -> Result<Vec<u8>, Refusal> {
        let (unmap, _) = args::<wire::DmaUnmap>(header, payload)?;
        if unmap.flags & wire::DMA_UNMAP_FLAG_ALL != 0 {
            self.unmap_all();
            return Ok(unmap.as_bytes().to_vec());
        }
        if unmap.flags != 0 {
            return refuse(libc::ENOTSUP, format!("DMA_UNMAP flags {:#x}", unmap.flags));
        }
        // As the kernel's type1 VFIO_IOMMU_UNMAP_DMA: a size of 0 or a range not in whole
        // pages is invalid.
        if unmap.size == 0 || unmap.size % 4096 != 0 || unmap.address % 4096 != 0 {
            return refuse(
                libc::EINVAL,
                format!(
                    "DMA_UNMAP of {:#x} bytes at {:#x}: not whole 4 KiB pages",
                    unmap.size, unmap.address
                ),
            );
        }
        let Some(end) = unmap.address.checked_add(unmap.size) else {
            return refuse(libc::EINVAL, "DMA_UNMAP range overflows");
        };
        let inside: Vec<u64> = self
            .maps
            .range(unmap.address..end)
            .filter(|(&s, m)| s + m.len as u64 <= end)
            .map(|(&s, _)| s)
            .collect();
        let partial = self.maps.iter().any(|(&s, m)| {
            let e = s + m.len as u64;
            s < end && unmap.address < e && (s < unmap.address || e > end)
        });
        if partial {
            return refuse(
                libc::EINVAL,
                format!(
                    "DMA_UNMAP {:#x}..{end:#x} cuts a mapping in two",
                    unmap.address
                ),
            );
        }
        // A range that holds no mapping unmaps nothing and succeeds, as the kernel's type1
        // VFIO_IOMMU_UNMAP_DMA does (QEMU unmaps whole power-of-two blocks of its address
        // space when the guest's IOMMU mappings change, most of them empty).
        if inside.is_empty() {
            log::debug!(
                "vfio-user: client {}: DMA_UNMAP {:#x}..{end:#x}: nothing mapped there",
                self.id,
                unmap.address
            );
        }
        for iova in inside {
            self.unmap_one(iova);
        }
        Ok(unmap.as_bytes().to_vec())
    }

    /// Removes one mapping from the fabric, then from this process.
    fn unmap_one(&mut self, iova: u64) {
        let Some(m) = self.maps.remove(&iova) else {
            return;
        };
        match self.state.sim.unmap_dma(BusAddr::new(iova), m.len) {
            Ok(()) => {
                if let Some(host) = m.host {
                    // SAFETY: the fabric no longer reaches the mapping; it is ours to release.
                    unsafe { libc::munmap(host.cast(), m.len) };
                }
            }
            Err(e) => log::error!(
                "vfio-user: client {}: unmapping {iova:#x} from the fabric failed ({e}); keeping its memory mapped",
                self.id
            ),
        }
    }

    pub(super) fn unmap_all(&mut self) {
        let all: Vec<u64> = self.maps.keys().copied().collect();
        for iova in all {
            self.unmap_one(iova);
        }
    }
}

/// Checks that the client's file may be mapped: its size covers `offset + size` and it cannot
/// shrink (F_SEAL_SHRINK: a file cut short under the mapping would kill the server with SIGBUS
/// at the device's next DMA).
fn check_shared_fd(fd: &OwnedFd, offset: u64, size: u64) -> Result<(), Refusal> {
    // SAFETY: fcntl on a descriptor we own; no pointers.
    let seals = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GET_SEALS) };
    if seals < 0 || seals & libc::F_SEAL_SHRINK == 0 {
        return refuse(
            libc::EINVAL,
            "the DMA memory's fd must be a memfd sealed against shrinking (F_SEAL_SHRINK; \
             QEMU: memory-backend-memfd, seal=on)",
        );
    }
    // SAFETY: fstat writes into `st`, a live local of the right type.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } != 0 {
        return refuse(libc::EINVAL, "cannot fstat the DMA memory's fd");
    }
    if offset
        .checked_add(size)
        .is_none_or(|end| end > st.st_size as u64)
    {
        return refuse(
            libc::EINVAL,
            format!(
                "{size:#x} bytes at offset {offset:#x} run past the end of the fd ({:#x} bytes)",
                st.st_size
            ),
        );
    }
    Ok(())
}
