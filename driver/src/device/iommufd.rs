// SPDX-License-Identifier: MIT OR Apache-2.0
//! VFIO backend on the device cdev and iommufd (Linux >= 6.19 for the BAR dma-buf export).
//!
//! The steps, with the uapi each comes from:
//!
//! | step | ioctl | header |
//! |---|---|---|
//! | open `/dev/iommu` and the function's `/dev/vfio/devices/vfioN` | - | - |
//! | bind the function to the iommufd | `VFIO_DEVICE_BIND_IOMMUFD` | include/uapi/linux/vfio.h |
//! | one IO address space for every function opened together | `IOMMU_IOAS_ALLOC` | include/uapi/linux/iommufd.h |
//! | attach each function to it | `VFIO_DEVICE_ATTACH_IOMMUFD_PT` | vfio.h |
//! | the IOVA ranges the IOAS accepts (after every attach) | `IOMMU_IOAS_IOVA_RANGES` | iommufd.h |
//! | config space, BARs | `VFIO_DEVICE_GET_REGION_INFO`, then `pread`/`pwrite`/`mmap` of the device fd | vfio.h |
//! | DMA memory | `IOMMU_IOAS_MAP` (`IOMMU_IOAS_MAP_FIXED_IOVA`) / `IOMMU_IOAS_UNMAP` | iommufd.h |
//! | a BAR for peers | `VFIO_DEVICE_FEATURE` (`VFIO_DEVICE_FEATURE_GET \| VFIO_DEVICE_FEATURE_DMA_BUF`), then `IOMMU_IOAS_MAP_FILE` of the dma-buf | vfio.h, iommufd.h |
//! | MSI-X | `VFIO_DEVICE_GET_IRQ_INFO`, `VFIO_DEVICE_SET_IRQS` with eventfds (`device/msix.rs`) | vfio.h |
//! | reset | `VFIO_DEVICE_RESET` | vfio.h |
//!
//! The structs and constants come from rust-vmm's `vfio-bindings` (0.7, which has the cdev
//! and `VFIO_DEVICE_FEATURE_DMA_BUF` structs) and Cloud Hypervisor's `iommufd-bindings` (0.2,
//! `IOMMU_IOAS_MAP_FILE` included); the ioctl calls are this module's own (`uapi`:
//! `_IO(type, nr)`, as the headers define every one of them). `iommufd-ioctls` 0.4 would wrap some of them but
//! not `IOMMU_IOAS_IOVA_RANGES`, and it needs Rust 1.88 (let chains), above this workspace's
//! rust-version; `vfio-ioctls` speaks the group + container path and pulls in a VMM's
//! dependencies.
//!
//! ## Peer BARs and revoke
//! [`IommufdDevice::map_bar_for_peers`] exports the BAR as a dma-buf and maps that file into
//! the IOAS at an IOVA from the shared allocator: that IOVA is what
//! [`Device::bar_bus_addr`] returns. The kernel revokes the dma-buf when the function is reset
//! or its memory decoding goes off (drivers/vfio/pci/vfio_pci_dmabuf.c,
//! `vfio_pci_dma_buf_move`), and iommufd then unmaps the IOVA range and keeps the area revoked
//! even after vfio-pci un-revokes the dma-buf (drivers/iommu/iommufd/pages.c,
//! `iopt_revoke_notify`): a DMA to the old IOVA faults in the IOMMU instead of reaching the BAR.
//! This backend sees both events pass through it ([`Device::reset`], a config write of the
//! Command register) and then unmaps the area, exports the BAR again and maps it again at the
//! same IOVA, saying so in the log; when that fails (memory decoding off), the window is marked
//! revoked and [`Device::bar_bus_addr`] is [`Error::PeerWindowRevoked`] until it is re-made.

use std::fs::{File, OpenOptions};
use std::io;
use std::ops::Range;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::sync::{Arc, Mutex};

use iommufd_bindings::iommufd as iofd;
use vfio_bindings::bindings::vfio as vb;

use crate::address::{BarIndex, BarOffset, BusAddr};
use crate::device::backend::{IommufdMissing, VfioBackend, VfioFunction};
use crate::device::msix::Msix;
use crate::device::vfio::{open_error, probe_sysfs, Bdf, SysfsPaths, VfioOpen};
use crate::device::{bar_bus_addr_from_config, check_config_access, for_each_config_piece, Device};
use crate::error::{DmaMapFault, Error, Result};
use crate::hostmem::IovaAllocator;
use crate::mmio::MmioRegion;

mod peer_window;
mod uapi;

use peer_window::{touches_command, PeerWindow};
use uapi::*;

/// One iommufd and one IOAS shared by every function opened together, with the one IOVA
/// allocator over the ranges the IOAS accepts.
pub struct IommufdContext {
    iommufd: OwnedFd,
    ioas: u32,
    iova: Arc<IovaAllocator>,
    ranges: Vec<Range<u64>>,
}

impl std::fmt::Debug for IommufdContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IommufdContext")
            .field("ioas", &self.ioas)
            .field("ranges", &self.ranges)
            .finish_non_exhaustive()
    }
}

impl IommufdContext {
    /// The IOAS id.
    pub fn ioas(&self) -> u32 {
        self.ioas
    }

    /// What the IOAS accepts (`IOMMU_IOAS_IOVA_RANGES`, after every function was attached).
    pub fn valid_iova_ranges(&self) -> &[Range<u64>] {
        &self.ranges
    }

    fn iommufd_error(operation: String) -> impl FnOnce(io::Error) -> Error {
        move |source| Error::Vfio { operation, source }
    }

    /// `IOMMU_IOAS_IOVA_RANGES`: first asks how many, then reads them (`last` is inclusive).
    fn read_iova_ranges(iommufd: RawFd, ioas: u32) -> io::Result<Vec<Range<u64>>> {
        let mut query = iofd::iommu_ioas_iova_ranges {
            size: size32::<iofd::iommu_ioas_iova_ranges>(),
            ioas_id: ioas,
            ..Default::default()
        };
        // With no room the kernel answers EMSGSIZE and the count.
        match ioctl_struct(iommufd, IOMMU_IOAS_IOVA_RANGES, &mut query) {
            Ok(_) => return Ok(Vec::new()),
            Err(e) if e.raw_os_error() == Some(libc::EMSGSIZE) => {}
            Err(e) => return Err(e),
        }
        let mut ranges = vec![iofd::iommu_iova_range::default(); query.num_iovas as usize];
        query.allowed_iovas = ranges.as_mut_ptr() as u64;
        // SAFETY: `query` is a live iommu_ioas_iova_ranges; its `allowed_iovas` points at
        // `num_iovas` live, writable iommu_iova_range entries (`ranges`) for the whole call.
        unsafe {
            ioctl(
                iommufd,
                IOMMU_IOAS_IOVA_RANGES,
                (&mut query as *mut iofd::iommu_ioas_iova_ranges).cast(),
            )?
        };
        ranges.truncate(query.num_iovas as usize);
        Ok(ranges
            .iter()
            .map(|r| r.start..r.last.saturating_add(1))
            .collect())
    }

    fn unmap(&self, iova: u64, length: u64) -> io::Result<()> {
        let mut unmap = iofd::iommu_ioas_unmap {
            size: size32::<iofd::iommu_ioas_unmap>(),
            ioas_id: self.ioas,
            iova,
            length,
        };
        ioctl_struct(self.iommufd.as_raw_fd(), IOMMU_IOAS_UNMAP, &mut unmap).map(drop)
    }

    fn map_file(&self, fd: RawFd, length: u64, iova: u64) -> io::Result<()> {
        let mut map = iofd::iommu_ioas_map_file {
            size: size32::<iofd::iommu_ioas_map_file>(),
            flags: MAP_READ_WRITE,
            ioas_id: self.ioas,
            fd,
            start: 0,
            length,
            iova,
        };
        ioctl_struct(self.iommufd.as_raw_fd(), IOMMU_IOAS_MAP_FILE, &mut map).map(drop)
    }
}

/// A region of the device fd (`VFIO_DEVICE_GET_REGION_INFO`).
#[derive(Clone, Copy, Debug)]
struct RegionInfo {
    flags: u32,
    size: u64,
    offset: u64,
}

/// An mmap of a BAR, unmapped on drop.
struct Mmap {
    ptr: *mut libc::c_void,
    len: usize,
}

// SAFETY: the mapping is process-wide memory; the pointer is only handed to `munmap` on drop.
unsafe impl Send for Mmap {}
// SAFETY: `Mmap` has no methods that access the memory; accesses go through `MmioRegion`.
unsafe impl Sync for Mmap {}

impl Drop for Mmap {
    fn drop(&mut self) {
        // SAFETY: `ptr`/`len` is a mapping this struct made and owns; the `MmioRegion` over it
        // is declared before it in `Bar` and so is dropped first.
        unsafe { libc::munmap(self.ptr, self.len) };
    }
}

/// A mapped BAR: the accessor and the mapping it points into (dropped in this order).
struct Bar {
    mmio: MmioRegion,
    _map: Mmap,
}

/// A PCIe function driven through its VFIO device cdev and iommufd. See the [module docs](self).
pub struct IommufdDevice {
    bdf: Bdf,
    iommu_group: u32,
    cdev: String,
    ctx: Arc<IommufdContext>,
    config: RegionInfo,
    bars: [Option<Bar>; 6],
    peer_windows: Mutex<[Option<PeerWindow>; 6]>,
    msix: Msix,
    /// Declared last: the BAR mmaps above go first.
    file: File,
}

impl std::fmt::Debug for IommufdDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IommufdDevice")
            .field("bdf", &self.bdf)
            .field("cdev", &self.cdev)
            .field("ioas", &self.ctx.ioas)
            .finish_non_exhaustive()
    }
}

impl IommufdDevice {
    /// Opens every function in `devices` through its VFIO cdev, bound to ONE iommufd and
    /// attached to ONE IOAS, in order. The sysfs checks of the legacy backend run first for
    /// every function (exists, IOMMU group, bound to vfio-pci).
    pub fn open_set(devices: &[VfioOpen<'_>], paths: &SysfsPaths) -> Result<Vec<IommufdDevice>> {
        let dev_root = paths
            .dev_vfio
            .parent()
            .unwrap_or(&paths.dev_vfio)
            .to_owned();
        let mut found = Vec::with_capacity(devices.len());
        for request in devices {
            let (bdf, sysfs_path, group) = probe_sysfs(request.bdf, paths)?;
            let cdev = super::backend::vfio_cdev(&sysfs_path).ok_or(Error::IommufdUnavailable {
                missing: IommufdMissing::Cdev { bdf },
            })?;
            found.push((bdf, group, cdev));
        }
        let iommu_path = dev_root.join("iommu");
        let iommufd = open_rw(&iommu_path).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                Error::IommufdUnavailable {
                    missing: IommufdMissing::Iommufd,
                }
            } else {
                open_error(&iommu_path, e)
            }
        })?;
        let iommufd: OwnedFd = iommufd.into();
        let mut alloc = iofd::iommu_ioas_alloc {
            size: size32::<iofd::iommu_ioas_alloc>(),
            ..Default::default()
        };
        ioctl_struct(iommufd.as_raw_fd(), IOMMU_IOAS_ALLOC, &mut alloc).map_err(
            IommufdContext::iommufd_error(format!("IOMMU_IOAS_ALLOC on {}", iommu_path.display())),
        )?;
        let ioas = alloc.out_ioas_id;

        // Bind and attach every function before the IOVA ranges are read: each attach takes
        // the function's reserved regions out of the IOAS.
        let mut files = Vec::with_capacity(found.len());
        for (bdf, _, cdev) in &found {
            let path = paths.dev_vfio.join("devices").join(cdev);
            let file = open_rw(&path).map_err(|e| open_error(&path, e))?;
            let mut bind = vb::vfio_device_bind_iommufd {
                argsz: size32::<vb::vfio_device_bind_iommufd>(),
                iommufd: iommufd.as_raw_fd(),
                ..Default::default()
            };
            ioctl_struct(file.as_raw_fd(), VFIO_DEVICE_BIND_IOMMUFD, &mut bind).map_err(
                IommufdContext::iommufd_error(format!(
                    "VFIO_DEVICE_BIND_IOMMUFD of {bdf} ({})",
                    path.display()
                )),
            )?;
            let mut attach = vb::vfio_device_attach_iommufd_pt {
                argsz: size32::<vb::vfio_device_attach_iommufd_pt>(),
                pt_id: ioas,
                ..Default::default()
            };
            ioctl_struct(file.as_raw_fd(), VFIO_DEVICE_ATTACH_IOMMUFD_PT, &mut attach).map_err(
                IommufdContext::iommufd_error(format!(
                    "VFIO_DEVICE_ATTACH_IOMMUFD_PT of {bdf} to IOAS {ioas}"
                )),
            )?;
            log::debug!(
                "{bdf}: {} bound to iommufd (device id {}), attached to IOAS {ioas}",
                path.display(),
                bind.out_devid
            );
            files.push(file);
        }
        let ranges = IommufdContext::read_iova_ranges(iommufd.as_raw_fd(), ioas).map_err(
            IommufdContext::iommufd_error(format!("IOMMU_IOAS_IOVA_RANGES of IOAS {ioas}")),
        )?;
        log::debug!("iommufd IOAS {ioas}: valid IOVA ranges {ranges:x?}");
        let ctx = Arc::new(IommufdContext {
            iova: Arc::new(IovaAllocator::new(&ranges)),
            iommufd,
            ioas,
            ranges,
        });

        let mut opened = Vec::with_capacity(found.len());
        for (((bdf, group, cdev), file), request) in found.into_iter().zip(files).zip(devices) {
            let device =
                IommufdDevice::open_regions(bdf, group, cdev, file, &ctx, request.required_bars)?;
            crate::device::reserve_raw_bar_windows(&device, &ctx.iova);
            opened.push(device);
        }
        Ok(opened)
    }

    fn open_regions(
        bdf: Bdf,
        iommu_group: u32,
        cdev: String,
        file: File,
        ctx: &Arc<IommufdContext>,
        required_bars: &[BarIndex],
    ) -> Result<IommufdDevice> {
        let region = |index: u32| -> io::Result<RegionInfo> {
            let mut info = vb::vfio_region_info {
                argsz: size32::<vb::vfio_region_info>(),
                index,
                ..Default::default()
            };
            ioctl_struct(file.as_raw_fd(), VFIO_DEVICE_GET_REGION_INFO, &mut info)?;
            Ok(RegionInfo {
                flags: info.flags,
                size: info.size,
                offset: info.offset,
            })
        };
        let config = region(vb::VFIO_PCI_CONFIG_REGION_INDEX).map_err(|source| Error::Vfio {
            operation: format!("VFIO_DEVICE_GET_REGION_INFO of {bdf}'s config space"),
            source,
        })?;
        let mut bars: [Option<Bar>; 6] = Default::default();
        for (index, slot) in bars.iter_mut().enumerate() {
            let bar = BarIndex::new(index as u8).expect("0..6 are BAR indices");
            let required = required_bars.contains(&bar);
            let refuse = |why: String, source: Option<io::Error>| Error::Vfio {
                operation: format!("mapping {bar} of {bdf}"),
                source: source.unwrap_or_else(|| io::Error::new(io::ErrorKind::Unsupported, why)),
            };
            let info = region(index as u32).map_err(|e| refuse(String::new(), Some(e)))?;
            let rw = vb::VFIO_REGION_INFO_FLAG_READ | vb::VFIO_REGION_INFO_FLAG_WRITE;
            let mappable = info.size > 0
                && info.flags & vb::VFIO_REGION_INFO_FLAG_MMAP != 0
                && info.flags & rw == rw;
            if !mappable {
                if required {
                    return Err(refuse(
                        format!(
                            "the region is not mappable read/write (size {}, flags {:#x})",
                            info.size, info.flags
                        ),
                        None,
                    ));
                }
                continue;
            }
            let len = info.size as usize;
            // SAFETY: a fresh shared mapping of `len` bytes of the device fd at the region's
            // offset; the kernel picks the address. Checked for MAP_FAILED below.
            let ptr = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    len,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_SHARED,
                    file.as_raw_fd(),
                    info.offset as libc::off_t,
                )
            };
            if ptr == libc::MAP_FAILED {
                let e = io::Error::last_os_error();
                if required {
                    return Err(refuse(String::new(), Some(e)));
                }
                log::debug!("{bdf}: mmap of {bar} failed, skipped: {e}");
                continue;
            }
            let map = Mmap { ptr, len };
            // SAFETY: `ptr` is a live, page-aligned read/write mapping of `len` bytes that
            // `map` owns; `Bar` keeps `map` alive as long as the region and drops it after.
            let mmio = unsafe { MmioRegion::new(bar, ptr.cast(), len) };
            log::debug!("{bdf}: mapped {bar}, {len} bytes");
            *slot = Some(Bar { mmio, _map: map });
        }
        Ok(IommufdDevice {
            bdf,
            iommu_group,
            cdev,
            ctx: Arc::clone(ctx),
            config,
            bars,
            peer_windows: Mutex::new(Default::default()),
            msix: Msix::default(),
            file,
        })
    }

    /// The iommufd and IOAS this function is attached to.
    pub fn context(&self) -> &Arc<IommufdContext> {
        &self.ctx
    }

    /// The function's cdev, `vfio3`.
    pub fn cdev(&self) -> &str {
        &self.cdev
    }

    fn bar(&self, bar: BarIndex) -> Result<&MmioRegion> {
        self.bars[usize::from(bar.get())]
            .as_ref()
            .map(|b| &b.mmio)
            .ok_or(Error::NoSuchBar { bar })
    }

    fn config_error(&self, what: &str, offset: u16, source: io::Error) -> Error {
        Error::Vfio {
            operation: format!("config space {what} at {offset:#x} of {}", self.bdf),
            source,
        }
    }

    fn irq_count(&self) -> io::Result<u32> {
        let mut info = vb::vfio_irq_info {
            argsz: size32::<vb::vfio_irq_info>(),
            index: vb::VFIO_PCI_MSIX_IRQ_INDEX,
            ..Default::default()
        };
        ioctl_struct(self.file.as_raw_fd(), VFIO_DEVICE_GET_IRQ_INFO, &mut info)?;
        Ok(info.count)
    }

    /// `VFIO_DEVICE_SET_IRQS` on the MSI-X index: eventfds for vectors 0.., or none (disable).
    fn set_msix(&self, fds: &[RawFd]) -> io::Result<()> {
        let header = std::mem::size_of::<vb::vfio_irq_set>();
        let argsz = header + 4 * fds.len();
        let mut words = vec![0u32; argsz.div_ceil(4)];
        let base = words.as_mut_ptr().cast::<u8>();
        let data = if fds.is_empty() {
            vb::VFIO_IRQ_SET_DATA_NONE
        } else {
            vb::VFIO_IRQ_SET_DATA_EVENTFD
        };
        let set = vb::vfio_irq_set {
            argsz: argsz as u32,
            flags: data | vb::VFIO_IRQ_SET_ACTION_TRIGGER,
            index: vb::VFIO_PCI_MSIX_IRQ_INDEX,
            start: 0,
            count: fds.len() as u32,
            ..Default::default()
        };
        // SAFETY: `words` holds `argsz` bytes, 4-byte aligned (vfio_irq_set has only u32
        // fields); the header goes at 0 and the `count` s32 descriptors right after it.
        unsafe {
            base.cast::<vb::vfio_irq_set>().write(set);
            std::ptr::copy_nonoverlapping(
                fds.as_ptr(),
                base.add(header).cast::<RawFd>(),
                fds.len(),
            );
        }
        // SAFETY: `words` is the `argsz`-byte argument VFIO_DEVICE_SET_IRQS reads, live for
        // the call.
        unsafe { ioctl(self.file.as_raw_fd(), VFIO_DEVICE_SET_IRQS, base.cast()) }.map(drop)
    }
}

fn open_rw(path: &std::path::Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)
}

impl VfioFunction for IommufdDevice {
    fn bdf(&self) -> Bdf {
        self.bdf
    }

    fn iommu_group(&self) -> Option<u32> {
        Some(self.iommu_group)
    }

    fn backend(&self) -> VfioBackend {
        VfioBackend::Iommufd
    }

    fn address_space(&self) -> String {
        format!("one iommufd IOAS (id {})", self.ctx.ioas)
    }

    /// Exports `bar` as a dma-buf and maps it with `IOMMU_IOAS_MAP_FILE` at an IOVA from the
    /// shared allocator (aligned to the BAR's size, at most 1 GiB, as the legacy backend does).
    fn map_bar_for_peers(&self, bar: BarIndex) -> Result<BusAddr> {
        let len = self.bar(bar)?.len() as usize;
        let mut windows = self.lock_windows();
        let slot = &mut windows[usize::from(bar.get())];
        if let Some(window) = slot {
            return match window.dmabuf {
                Some(_) => Ok(window.iova),
                None => Err(Error::PeerWindowRevoked {
                    device: self.describe(),
                    bar,
                }),
            };
        }
        let align = (len as u64).next_power_of_two().min(1 << 30);
        let iova = self.ctx.iova.alloc(len, align)?;
        match self.export_and_map(bar, len, iova) {
            Ok(dmabuf) => {
                log::debug!(
                    "{}: {bar} exported as a dma-buf and mapped for peers at IOVA {iova}, {len} bytes",
                    self.bdf
                );
                *slot = Some(PeerWindow {
                    iova,
                    len,
                    dmabuf: Some(dmabuf),
                });
                Ok(iova)
            }
            Err(e) => {
                self.ctx.iova.free(iova, len);
                Err(e)
            }
        }
    }

    fn bar_raw_bus_addr(&self, bar: BarIndex) -> Result<BusAddr> {
        self.bar(bar)?;
        bar_bus_addr_from_config(self, bar)
    }

    fn into_device(self: Box<Self>) -> Box<dyn Device> {
        self
    }

    fn into_arc_device(self: Arc<Self>) -> Arc<dyn Device> {
        self
    }
}

impl Device for IommufdDevice {
    fn describe(&self) -> String {
        format!("{} (vfio-pci, /dev/vfio/devices/{})", self.bdf, self.cdev)
    }

    fn config_read(&self, offset: u16, buf: &mut [u8]) -> Result<()> {
        check_config_access(offset, buf.len())?;
        self.file
            .read_exact_at(buf, self.config.offset + u64::from(offset))
            .map_err(|e| self.config_error("read", offset, e))
    }

    /// Naturally aligned pieces of 4, 2 or 1 bytes, as the legacy backend writes them (vfio-pci
    /// virtualizes config space per register). A write covering the Command register makes
    /// the peer windows follow Memory Space Enable (see the [module docs](self)).
    fn config_write(&self, offset: u16, data: &[u8]) -> Result<()> {
        check_config_access(offset, data.len())?;
        for_each_config_piece(offset, data, |at, piece| {
            self.file
                .write_all_at(piece, self.config.offset + u64::from(at))
                .map_err(|e| self.config_error("write", at, e))
        })?;
        if touches_command(offset, data.len()) {
            self.follow_memory_enable()?;
        }
        Ok(())
    }

    crate::device::mmio_bar_methods!();

    /// `VFIO_DEVICE_RESET`; the kernel revokes the function's dma-bufs around it, so every peer
    /// window is then made again (or reported revoked: [`Error::PeerWindowRevoked`]).
    fn reset(&self) -> Result<()> {
        log::info!("{}: function reset (VFIO_DEVICE_RESET)", self.bdf);
        let mut windows = self.lock_windows();
        // SAFETY: VFIO_DEVICE_RESET takes no argument.
        unsafe {
            ioctl(
                self.file.as_raw_fd(),
                VFIO_DEVICE_RESET,
                std::ptr::null_mut(),
            )
        }
        .map_err(|source| Error::Vfio {
            operation: format!("VFIO_DEVICE_RESET of {}", self.bdf),
            source,
        })?;
        self.remap_windows(&mut windows, "the function reset")
    }

    fn iova_ranges(&self) -> Result<Vec<Range<u64>>> {
        Ok(self.ctx.ranges.clone())
    }

    unsafe fn map_dma(&self, host: *mut u8, len: usize, iova: BusAddr) -> Result<()> {
        const PAGE: usize = 4096;
        if (host as usize | len | iova.get() as usize) % PAGE != 0 {
            return Err(Error::DmaMapRejected {
                iova,
                len,
                fault: DmaMapFault::Misaligned { align: PAGE },
            });
        }
        let mut map = iofd::iommu_ioas_map {
            size: size32::<iofd::iommu_ioas_map>(),
            flags: MAP_READ_WRITE,
            ioas_id: self.ctx.ioas,
            user_va: host as u64,
            length: len as u64,
            iova: iova.get(),
            ..Default::default()
        };
        // SAFETY: `map` is a live iommu_ioas_map; the caller guarantees (this method's
        // contract) that `host..host + len`, which it names, stays allocated and in place until
        // `unmap_dma(iova, len)` returns (iommufd pins those pages).
        unsafe {
            ioctl(
                self.ctx.iommufd.as_raw_fd(),
                IOMMU_IOAS_MAP,
                (&mut map as *mut iofd::iommu_ioas_map).cast(),
            )
        }
        .map_err(|source| Error::Vfio {
            operation: format!(
                "IOMMU_IOAS_MAP of {len} bytes at IOVA {iova} in IOAS {}",
                self.ctx.ioas
            ),
            source,
        })
        .map(drop)
    }

    fn unmap_dma(&self, iova: BusAddr, len: usize) -> Result<()> {
        self.ctx
            .unmap(iova.get(), len as u64)
            .map_err(|source| Error::Vfio {
                operation: format!(
                    "IOMMU_IOAS_UNMAP of {len} bytes at IOVA {iova} in IOAS {}",
                    self.ctx.ioas
                ),
                source,
            })
    }

    fn bar_bus_addr(&self, bar: BarIndex) -> Result<BusAddr> {
        self.bar(bar)?;
        match &self.lock_windows()[usize::from(bar.get())] {
            Some(PeerWindow {
                iova,
                dmabuf: Some(_),
                ..
            }) => Ok(*iova),
            Some(_) => Err(Error::PeerWindowRevoked {
                device: self.describe(),
                bar,
            }),
            None => Err(Error::BarNotMappedForPeers {
                device: self.describe(),
                bar,
            }),
        }
    }

    fn shared_iova_allocator(&self) -> Option<Arc<IovaAllocator>> {
        Some(Arc::clone(&self.ctx.iova))
    }

    fn enable_msix(&self, vectors: u16) -> Result<crossbeam_channel::Receiver<u16>> {
        let max = self.irq_count().map_err(|source| Error::Msix {
            operation: format!("VFIO_DEVICE_GET_IRQ_INFO of {}", self.bdf),
            source,
        })?;
        self.msix
            .enable(self.bdf, vectors, max, |fds| self.set_msix(fds))
    }

    fn disable_msix(&self) -> Result<()> {
        self.msix.disable(self.bdf, || self.set_msix(&[]))
    }
}

impl Drop for IommufdDevice {
    fn drop(&mut self) {
        let enabled = self.msix.is_enabled();
        if enabled {
            if let Err(e) = self.disable_msix() {
                log::warn!("{}: {e}", self.bdf);
            }
        }
        let windows = std::mem::take(&mut *self.lock_windows());
        for window in windows.into_iter().flatten() {
            if window.dmabuf.is_none() {
                // Revoked and already taken out of the IOAS.
                self.ctx.iova.free(window.iova, window.len);
                continue;
            }
            match self.ctx.unmap(window.iova.get(), window.len as u64) {
                Ok(()) => self.ctx.iova.free(window.iova, window.len),
                Err(e) => log::warn!(
                    "{}: IOMMU_IOAS_UNMAP of the peer window at IOVA {}: {e}",
                    self.bdf,
                    window.iova
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests;
