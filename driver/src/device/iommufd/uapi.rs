// SPDX-License-Identifier: MIT OR Apache-2.0
//! The ioctl numbers and calls of include/uapi/linux/{vfio,iommufd}.h this backend uses.

use std::io;
use std::os::fd::RawFd;

use iommufd_bindings::iommufd as iofd;
use vfio_bindings::bindings::vfio as vb;

/// `_IO(type, nr)` of include/uapi/asm-generic/ioctl.h: no direction, no size.
const fn io(kind: u8, nr: u32) -> libc::c_ulong {
    ((kind as libc::c_ulong) << 8) | nr as libc::c_ulong
}

// include/uapi/linux/vfio.h
pub(super) const VFIO_DEVICE_GET_REGION_INFO: libc::c_ulong = io(vb::VFIO_TYPE, vb::VFIO_BASE + 8);
pub(super) const VFIO_DEVICE_GET_IRQ_INFO: libc::c_ulong = io(vb::VFIO_TYPE, vb::VFIO_BASE + 9);
pub(super) const VFIO_DEVICE_SET_IRQS: libc::c_ulong = io(vb::VFIO_TYPE, vb::VFIO_BASE + 10);
pub(super) const VFIO_DEVICE_RESET: libc::c_ulong = io(vb::VFIO_TYPE, vb::VFIO_BASE + 11);
pub(super) const VFIO_DEVICE_FEATURE: libc::c_ulong = io(vb::VFIO_TYPE, vb::VFIO_BASE + 17);
pub(super) const VFIO_DEVICE_BIND_IOMMUFD: libc::c_ulong = io(vb::VFIO_TYPE, vb::VFIO_BASE + 18);
pub(super) const VFIO_DEVICE_ATTACH_IOMMUFD_PT: libc::c_ulong =
    io(vb::VFIO_TYPE, vb::VFIO_BASE + 19);
// include/uapi/linux/iommufd.h
pub(super) const IOMMU_IOAS_ALLOC: libc::c_ulong =
    io(iofd::IOMMUFD_TYPE, iofd::IOMMUFD_CMD_IOAS_ALLOC);
pub(super) const IOMMU_IOAS_IOVA_RANGES: libc::c_ulong =
    io(iofd::IOMMUFD_TYPE, iofd::IOMMUFD_CMD_IOAS_IOVA_RANGES);
pub(super) const IOMMU_IOAS_MAP: libc::c_ulong = io(iofd::IOMMUFD_TYPE, iofd::IOMMUFD_CMD_IOAS_MAP);
pub(super) const IOMMU_IOAS_MAP_FILE: libc::c_ulong =
    io(iofd::IOMMUFD_TYPE, iofd::IOMMUFD_CMD_IOAS_MAP_FILE);
pub(super) const IOMMU_IOAS_UNMAP: libc::c_ulong =
    io(iofd::IOMMUFD_TYPE, iofd::IOMMUFD_CMD_IOAS_UNMAP);

pub(super) const MAP_READ_WRITE: u32 = iofd::iommufd_ioas_map_flags_IOMMU_IOAS_MAP_FIXED_IOVA
    | iofd::iommufd_ioas_map_flags_IOMMU_IOAS_MAP_READABLE
    | iofd::iommufd_ioas_map_flags_IOMMU_IOAS_MAP_WRITEABLE;

/// `size_of::<T>()` as the `u32` the uapi's `argsz`/`size` fields take.
pub(super) fn size32<T>() -> u32 {
    std::mem::size_of::<T>() as u32
}

/// `ioctl(fd, request, arg)`, its error as `io::Error`; returns the ioctl's non-negative value.
///
/// # Safety
/// `arg` must point to memory laid out as the uapi struct `request` takes, valid for reads and
/// writes of the size the struct (and its `argsz`/`size` field) says, for the whole call.
pub(super) unsafe fn ioctl(
    fd: RawFd,
    request: libc::c_ulong,
    arg: *mut libc::c_void,
) -> io::Result<i32> {
    // SAFETY: the caller guarantees `arg` (this function's contract); `fd` is an open
    // descriptor the caller owns.
    let ret = unsafe { libc::ioctl(fd, request as _, arg) };
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// `ioctl` of a plain uapi struct holding no pointer (the kernel reads and writes only `arg`).
pub(super) fn ioctl_struct<T>(fd: RawFd, request: libc::c_ulong, arg: &mut T) -> io::Result<i32> {
    // SAFETY: `arg` is a live, exclusively borrowed `T`, the struct `request` takes (every
    // caller pairs them as include/uapi/linux/{vfio,iommufd}.h define), of its full size.
    unsafe { ioctl(fd, request, (arg as *mut T).cast()) }
}
