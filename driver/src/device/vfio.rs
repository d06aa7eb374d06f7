// SPDX-License-Identifier: MIT OR Apache-2.0
//! VFIO backend: a real PCIe function bound to `vfio-pci`, through the `pci-driver` crate.
//!
//! [`VfioDevice::open`] first checks sysfs and `/dev/vfio` itself, so that the common setup
//! mistakes are reported as what they are rather than as a bare `ENOENT` from an ioctl:
//!
//! | situation | error |
//! |---|---|
//! | malformed address | [`Error::InvalidBdf`] |
//! | no such device in `/sys/bus/pci/devices` | [`Error::DeviceNotFound`] |
//! | no `iommu_group` link (IOMMU off; checked first, as vfio-pci cannot bind then) | [`Error::NoIommuGroup`] |
//! | bound to another driver (`nvme`, `xdma`, ...) | [`Error::NotBoundToVfio`] (names it) |
//! | bound to no driver | [`Error::NoDriver`] |
//! | `/dev/vfio/<group>` or `/dev/vfio/vfio` not accessible | [`Error::PermissionDenied`] |
//! | the container refused with EPERM although the nodes opened, `allow_unsafe_interrupts` off | [`Error::NoInterruptRemapping`] |
//!
//! It then opens the device with pci-driver, mmaps every memory BAR it can (the caller says
//! which must be mappable: the FPGA's BAR0 and BAR2, an NVMe SSD's BAR0) and does all BAR
//! access through [`MmioRegion`]. Config space goes through pci-driver's config region
//! (`pread`/`pwrite` on the VFIO device file), reset through its function reset
//! (`VFIO_DEVICE_RESET`). A BAR holding the MSI-X table (an NVMe SSD's BAR0) is mappable whole:
//! since Linux 4.16 (commit a32295c612c5, "vfio-pci: Allow mapping MSIX BAR") vfio-pci offers
//! the whole BAR and says so with `VFIO_REGION_INFO_CAP_MSIX_MAPPABLE`, with or without
//! interrupt remapping (the QEMU guest proves both: docs/vfio-qemu.md).
//!
//! ## One container, one IOVA space
//! A VFIO container is one IOMMU address space. [`VfioDevice::open_set`] opens several
//! functions (an FPGA and the SSD that DMAs into it; two NVMe controllers) into ONE container
//! ([`VfioContainerHandle`], shared by `Arc`), so that a bus address one of them names is
//! translated by the same IOMMU mappings for all of them. The container owns the one
//! [`IovaAllocator`] over its `valid_iova_ranges`: DMA buffers ([`crate::hostmem::DmaMemory`], via
//! [`Device::shared_iova_allocator`]) and peer-BAR windows ([`VfioDevice::map_bar_for_peers`])
//! all come from it, so they never overlap. The raw bus addresses of every opened BAR are
//! reserved in it too: without ACS, a switch routes a DMA to such an address straight to the
//! BAR, before it reaches the IOMMU. [`VfioDevice::open`] is `open_set` of one FPGA, with its
//! BAR2 then mapped for peers.
//!
//! ## Peer BARs
//! Behind an IOMMU a peer cannot name a BAR by its raw bus address: its DMA is translated like
//! any other. [`VfioDevice::map_bar_for_peers`] maps the BAR's own mmap (a `VM_PFNMAP` vma,
//! which vfio type-1 accepts as the vaddr of `VFIO_IOMMU_MAP_DMA`) at an IOVA from the
//! container's allocator; from then on [`Device::bar_bus_addr`] is that IOVA, before then it
//! is [`Error::BarNotMappedForPeers`]. The window is unmapped when the device is dropped,
//! before the BAR's mmap goes.
//!
//! DMA: IOVA ranges, IOMMU map/unmap and MSI-X go through pci-driver's `iommu()` and
//! `interrupts().msi_x()` (VFIO type-1 IOMMU, `VFIO_DEVICE_SET_IRQS` with one eventfd per
//! vector); a thread polls the eventfds and forwards each interrupt's vector number to the
//! channel [`Device::enable_msix`] returns. None of this can run without a real device bound
//! to vfio-pci, so it is not covered by the unit tests; `scripts/test-vfio.sh` runs it in a
//! QEMU guest (docs/vfio-qemu.md).
//!
//! The sysfs checks take the sysfs root and the VFIO device directory as parameters
//! ([`SysfsPaths`]) so that they are unit-tested against a fake tree.

use std::fmt;
use std::fs::OpenOptions;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use pci_driver::backends::vfio::{VfioContainer, VfioPciDevice};
use pci_driver::device::PciDevice;
use pci_driver::regions::{PciRegion, Permissions};

use crate::address::{BarIndex, BarOffset, BusAddr};
use crate::device::backend::{VfioBackend, VfioFunction};
use crate::device::msix::Msix;
use crate::device::{bar_bus_addr_from_config, check_config_access, for_each_config_piece, Device};
use crate::error::{DmaMapFault, Error, Result};
use crate::hostmem::IovaAllocator;
use crate::mmio::MmioRegion;

/// A PCI address: domain, bus, device, function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bdf {
    pub domain: u16,
    pub bus: u8,
    pub device: u8,
    pub function: u8,
}

impl FromStr for Bdf {
    type Err = Error;

    /// Parses `0000:01:00.0` or `01:00.0` (domain 0), hexadecimal, any case.
    fn from_str(s: &str) -> Result<Bdf> {
        let invalid = || Error::InvalidBdf { bdf: s.to_owned() };
        let text = s.trim();
        let (rest, function) = text.rsplit_once('.').ok_or_else(invalid)?;
        let parts: Vec<&str> = rest.split(':').collect();
        let (domain, bus, device) = match parts.as_slice() {
            [domain, bus, device] => (*domain, *bus, *device),
            [bus, device] => ("0000", *bus, *device),
            _ => return Err(invalid()),
        };
        let hex = |field: &str, digits: usize| -> Result<u32> {
            if field.len() != digits || !field.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(invalid());
            }
            u32::from_str_radix(field, 16).map_err(|_| invalid())
        };
        let domain = hex(domain, 4)?;
        let bus = hex(bus, 2)?;
        let device = hex(device, 2)?;
        let function = hex(function, 1)?;
        if device > 0x1f || function > 7 {
            return Err(invalid());
        }
        Ok(Bdf {
            domain: domain as u16,
            bus: bus as u8,
            device: device as u8,
            function: function as u8,
        })
    }
}

impl fmt::Display for Bdf {
    /// The sysfs form, `0000:01:00.0`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04x}:{:02x}:{:02x}.{:x}",
            self.domain, self.bus, self.device, self.function
        )
    }
}

/// Where to look for sysfs and the VFIO device nodes (`/sys`, `/dev/vfio` on a real system).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SysfsPaths {
    pub sysfs: PathBuf,
    pub dev_vfio: PathBuf,
}

impl Default for SysfsPaths {
    fn default() -> SysfsPaths {
        SysfsPaths {
            sysfs: PathBuf::from("/sys"),
            dev_vfio: PathBuf::from("/dev/vfio"),
        }
    }
}

/// What the pre-open checks found: a device bound to vfio-pci, its IOMMU group, and a group
/// device node this process may open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VfioLocation {
    pub bdf: Bdf,
    /// `<sysfs>/bus/pci/devices/<bdf>`.
    pub sysfs_path: PathBuf,
    pub iommu_group: u32,
    /// `<dev_vfio>/<group>`.
    pub group_path: PathBuf,
}

/// Checks that `bdf` names a device bound to vfio-pci, in an IOMMU group whose VFIO node this
/// process may open. See the [module docs](self) for the errors.
pub fn probe(bdf: &str, paths: &SysfsPaths) -> Result<VfioLocation> {
    probe_with(bdf, paths, &open_read_write)
}

fn open_read_write(path: &Path) -> io::Result<()> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .map(drop)
}

/// [`probe`] with the function that test-opens the VFIO nodes injected (tests run as root,
/// where a mode-000 file opens fine).
fn probe_with(
    bdf: &str,
    paths: &SysfsPaths,
    open: &dyn Fn(&Path) -> io::Result<()>,
) -> Result<VfioLocation> {
    let (parsed, sysfs_path, iommu_group) = probe_sysfs(bdf, paths)?;
    let name = parsed.to_string();
    let group_path = paths.dev_vfio.join(iommu_group.to_string());
    for node in [paths.dev_vfio.join("vfio"), group_path.clone()] {
        open(&node).map_err(|e| open_error(&node, e))?;
    }

    log::debug!("{name}: bound to vfio-pci, IOMMU group {iommu_group}");
    Ok(VfioLocation {
        bdf: parsed,
        sysfs_path,
        iommu_group,
        group_path,
    })
}

/// The sysfs half of [`probe`], shared with the iommufd backend (which opens no group node):
/// the device exists, has an IOMMU group and is bound to vfio-pci. Returns its address, sysfs
/// directory and IOMMU group.
pub(crate) fn probe_sysfs(bdf: &str, paths: &SysfsPaths) -> Result<(Bdf, PathBuf, u32)> {
    let parsed: Bdf = bdf.parse()?;
    let sysfs_path = paths.sysfs.join("bus/pci/devices").join(parsed.to_string());
    if !sysfs_path.exists() {
        return Err(Error::DeviceNotFound {
            bdf: parsed,
            path: paths.sysfs.join("bus/pci/devices"),
        });
    }

    // The IOMMU first: without one, vfio-pci refuses to bind, so advice to bind would not help.
    let group_link = sysfs_path.join("iommu_group");
    let group_name = link_name(&group_link)?.ok_or(Error::NoIommuGroup { bdf: parsed })?;

    match link_name(&sysfs_path.join("driver"))? {
        None => return Err(Error::NoDriver { bdf: parsed }),
        Some(driver) if driver != "vfio-pci" => {
            return Err(Error::NotBoundToVfio {
                bdf: parsed,
                driver,
            })
        }
        Some(_) => {}
    }

    let iommu_group: u32 = group_name.parse().map_err(|_| Error::Sysfs {
        path: group_link.clone(),
        source: io::Error::new(
            io::ErrorKind::InvalidData,
            format!("IOMMU group {group_name:?} is not a number"),
        ),
    })?;

    Ok((parsed, sysfs_path, iommu_group))
}

/// What an EPERM from creating the container means. [`probe`] has opened `/dev/vfio/vfio` and
/// every group node by then, so it is not the files' permissions: the type-1 IOMMU driver
/// refuses to attach a group whose IOMMU does no interrupt remapping unless its
/// `allow_unsafe_interrupts` parameter is on (`vfio_iommu_type1_attach_group` in
/// drivers/vfio/vfio_iommu_type1.c). With the parameter on, the cause is something else and the
/// plain permission error stands.
fn container_permission_error(
    groups: &[u32],
    paths: &SysfsPaths,
    group_path: PathBuf,
    source: io::Error,
) -> Error {
    let parameter = paths
        .sysfs
        .join("module/vfio_iommu_type1/parameters/allow_unsafe_interrupts");
    let unsafe_allowed = std::fs::read_to_string(&parameter)
        .map(|v| matches!(v.trim(), "Y" | "y" | "1"))
        .unwrap_or(false);
    if unsafe_allowed {
        Error::PermissionDenied {
            path: group_path,
            source,
        }
    } else {
        Error::NoInterruptRemapping {
            groups: groups.to_vec(),
            source,
        }
    }
}

/// The last path component of the symlink at `link`, `None` when there is no such link.
fn link_name(link: &Path) -> Result<Option<String>> {
    match std::fs::read_link(link) {
        Ok(target) => Ok(target.file_name().map(|n| n.to_string_lossy().into_owned())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Sysfs {
            path: link.to_owned(),
            source,
        }),
    }
}

/// Maps a failure to open a VFIO node to the crate's error.
pub(crate) fn open_error(path: &Path, source: io::Error) -> Error {
    match source.kind() {
        io::ErrorKind::PermissionDenied => Error::PermissionDenied {
            path: path.to_owned(),
            source,
        },
        io::ErrorKind::NotFound => Error::Vfio {
            operation: format!(
                "opening {} (is the vfio-pci module loaded? modprobe vfio-pci)",
                path.display()
            ),
            source,
        },
        // EBUSY: another process (or a VM) holds the group.
        _ if source.raw_os_error() == Some(16) => Error::Vfio {
            operation: format!(
                "opening {} (the group is in use by another process or VM)",
                path.display()
            ),
            source,
        },
        _ => Error::Vfio {
            operation: format!("opening {}", path.display()),
            source,
        },
    }
}

/// The BARs an FPGA endpoint must have mappable: registers (BAR0) and peer memory (BAR2).
pub const ENDPOINT_BARS: &[BarIndex] = &[BarIndex::BAR0, BarIndex::BAR2];

/// One function to open with [`VfioDevice::open_set`].
#[derive(Clone, Copy, Debug)]
pub struct VfioOpen<'a> {
    /// `0000:01:00.0` or `01:00.0`.
    pub bdf: &'a str,
    /// BARs that must be mappable read/write; opening fails otherwise. Other BARs are mapped
    /// when they can be and skipped when not.
    pub required_bars: &'a [BarIndex],
}

/// A VFIO container (one IOMMU address space) and its one IOVA allocator, shared by `Arc`
/// among the devices opened into it. See the [module docs](self#one-container-one-iova-space).
pub struct VfioContainerHandle {
    container: Arc<VfioContainer>,
    iova: Arc<IovaAllocator>,
    /// `valid_iova_ranges` as the kernel reported them when the container was set up.
    ranges: Vec<Range<u64>>,
}

impl VfioContainerHandle {
    /// The IOMMU groups in the container.
    pub(crate) fn groups(&self) -> &[u32] {
        self.container.groups()
    }

    /// The allocator every IOVA in this container comes from.
    pub fn iova_allocator(&self) -> &Arc<IovaAllocator> {
        &self.iova
    }

    /// What the IOMMU accepts (`VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE`).
    pub(crate) fn valid_iova_ranges(&self) -> &[Range<u64>] {
        &self.ranges
    }
}

impl fmt::Debug for VfioContainerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VfioContainerHandle")
            .field("groups", &self.groups())
            .field("iova", &self.iova)
            .finish()
    }
}

/// A BAR mapped into the container's IOMMU for peers: `len` bytes at `iova`.
#[derive(Clone, Copy, Debug)]
struct PeerWindow {
    iova: BusAddr,
    len: usize,
}

/// A PCIe function driven through VFIO. See the [module docs](self).
pub struct VfioDevice {
    location: VfioLocation,
    container: Arc<VfioContainerHandle>,
    /// BARs mapped for peers, by index (see [`VfioDevice::map_bar_for_peers`]).
    peer_windows: Mutex<[Option<PeerWindow>; 6]>,
    /// Mapped memory BARs, by index.
    bars: [Option<MmioRegion>; 6],
    /// MSI-X eventfds and the thread forwarding them, while MSI-X is enabled.
    msix: Msix,
    /// Declared last: the BAR mappings above hold their own references to the device, but
    /// dropping them first keeps the order obvious.
    pci: VfioPciDevice,
}

impl fmt::Debug for VfioDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VfioDevice")
            .field("location", &self.location)
            .field(
                "bars",
                &self
                    .bars
                    .iter()
                    .map(|b| b.as_ref().map(MmioRegion::len))
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl VfioDevice {
    /// Opens the FPGA endpoint at `bdf` (`0000:01:00.0` or `01:00.0`) through VFIO in a
    /// container of its own, with BAR0 and BAR2 mapped, and maps BAR2 (its peer memory) for
    /// peers, so that [`Device::bar_bus_addr`] of BAR2 is the IOVA a peer in the container
    /// names. To let another device (the SSD) DMA into BAR2, open both with
    /// [`VfioDevice::open_set`] instead.
    pub fn open(bdf: &str) -> Result<VfioDevice> {
        VfioDevice::open_with_paths(bdf, &SysfsPaths::default())
    }

    /// [`VfioDevice::open`] with sysfs and `/dev/vfio` elsewhere (pci-driver itself always
    /// opens `/dev/vfio/<group>`, so only the checks use `paths.dev_vfio`).
    pub(crate) fn open_with_paths(bdf: &str, paths: &SysfsPaths) -> Result<VfioDevice> {
        let request = VfioOpen {
            bdf,
            required_bars: ENDPOINT_BARS,
        };
        let device = VfioDevice::open_set_with_paths(&[request], paths)?
            .pop()
            .expect("one device per request");
        if let Err(e) = device.map_bar_for_peers(BarIndex::BAR2) {
            // The registers still work; only what names BAR2's bus address will say why not.
            log::warn!("{}: BAR2 not mapped for peers: {e}", device.location.bdf);
        }
        Ok(device)
    }

    /// Opens every function in `devices` into ONE VFIO container (the union of their IOMMU
    /// groups), in order. Every check of [`probe`] runs for every device before anything is
    /// opened.
    pub fn open_set(devices: &[VfioOpen<'_>]) -> Result<Vec<VfioDevice>> {
        VfioDevice::open_set_with_paths(devices, &SysfsPaths::default())
    }

    /// [`VfioDevice::open_set`] with sysfs and `/dev/vfio` elsewhere.
    pub(crate) fn open_set_with_paths(
        devices: &[VfioOpen<'_>],
        paths: &SysfsPaths,
    ) -> Result<Vec<VfioDevice>> {
        let locations = devices
            .iter()
            .map(|d| probe(d.bdf, paths))
            .collect::<Result<Vec<_>>>()?;
        let groups: Vec<u32> = locations.iter().map(|l| l.iommu_group).collect();
        let container = VfioContainer::new(&groups).map_err(|source| {
            let names: Vec<String> = locations.iter().map(|l| l.bdf.to_string()).collect();
            if source.kind() == io::ErrorKind::PermissionDenied {
                container_permission_error(&groups, paths, locations[0].group_path.clone(), source)
            } else {
                Error::Vfio {
                    operation: format!(
                        "creating a VFIO container for {} (IOMMU groups {groups:?}; every device in each group must be bound to vfio-pci or unbound, and no other process may hold a group)",
                        names.join(", ")
                    ),
                    source,
                }
            }
        })?;
        let ranges = container.iommu().valid_iova_ranges().to_vec();
        log::debug!(
            "VFIO container for groups {:?}: valid IOVA ranges {:x?}, alignment {}",
            container.groups(),
            ranges,
            container.iommu().alignment()
        );
        let handle = Arc::new(VfioContainerHandle {
            iova: Arc::new(IovaAllocator::new(&ranges)),
            container: Arc::new(container),
            ranges,
        });
        let mut opened = Vec::with_capacity(devices.len());
        for (request, location) in devices.iter().zip(locations) {
            let device = VfioDevice::open_in(location, &handle, request.required_bars)?;
            crate::device::reserve_raw_bar_windows(&device, &handle.iova);
            opened.push(device);
        }
        Ok(opened)
    }

    /// Opens one probed function into `handle`'s container and maps its BARs.
    fn open_in(
        location: VfioLocation,
        handle: &Arc<VfioContainerHandle>,
        required_bars: &[BarIndex],
    ) -> Result<VfioDevice> {
        let pci =
            VfioPciDevice::open_in_container(&location.sysfs_path, Arc::clone(&handle.container))
                .map_err(|source| Error::Vfio {
                operation: format!(
                    "opening {} in the VFIO container (IOMMU group {})",
                    location.bdf, location.iommu_group
                ),
                source,
            })?;

        let mut bars: [Option<MmioRegion>; 6] = Default::default();
        for (index, slot) in bars.iter_mut().enumerate() {
            let bar = BarIndex::new(index as u8).expect("0..6 are BAR indices");
            let required = required_bars.contains(&bar);
            let Some(region) = pci.bar(index) else {
                if required {
                    return Err(Error::Vfio {
                        operation: format!("mapping {bar} of {}", location.bdf),
                        source: io::Error::new(
                            io::ErrorKind::NotFound,
                            "the function has no such memory BAR",
                        ),
                    });
                }
                continue;
            };
            if !region.is_mappable() || region.permissions() != Permissions::ReadWrite {
                if required {
                    return Err(Error::Vfio {
                        operation: format!("mapping {bar} of {}", location.bdf),
                        source: io::Error::new(
                            io::ErrorKind::Unsupported,
                            "the BAR is not mappable read/write (an I/O BAR, or a BAR holding the MSI-X table without interrupt remapping: the kernel then only offers a sparse mmap)",
                        ),
                    });
                }
                log::debug!("{}: {bar} is not mappable, skipped", location.bdf);
                continue;
            }
            let mapping = region
                .map(.., Permissions::ReadWrite)
                .map_err(|source| Error::Vfio {
                    operation: format!("mmap of {bar} of {}", location.bdf),
                    source,
                })?;
            let mmio = MmioRegion::from_pci_mapping(bar, mapping)?;
            log::debug!("{}: mapped {bar}, {} bytes", location.bdf, mmio.len());
            *slot = Some(mmio);
        }

        Ok(VfioDevice {
            location,
            container: Arc::clone(handle),
            peer_windows: Mutex::new(Default::default()),
            bars,
            msix: Msix::default(),
            pci,
        })
    }

    /// The container this device was opened into.
    pub fn container(&self) -> &Arc<VfioContainerHandle> {
        &self.container
    }

    /// The BAR's address as config space holds it: what the CPU's MMIO goes to, and what a
    /// peer would name without an IOMMU (diagnostics only; see [`Device::bar_bus_addr`]).
    pub fn bar_raw_bus_addr(&self, bar: BarIndex) -> Result<BusAddr> {
        self.bar(bar)?;
        bar_bus_addr_from_config(self, bar)
    }

    /// Maps all of `bar` into the container's IOMMU at an IOVA from the container's allocator,
    /// so that every device in the container reaches it by DMA at that IOVA (what
    /// [`Device::bar_bus_addr`] returns from now on). Mapping a BAR already mapped returns
    /// its IOVA. The window stays until the device is dropped.
    pub fn map_bar_for_peers(&self, bar: BarIndex) -> Result<BusAddr> {
        let region = self.bar(bar)?;
        let mut windows = self.lock_windows();
        let slot = &mut windows[usize::from(bar.get())];
        if let Some(window) = slot {
            return Ok(window.iova);
        }
        // The length of an mmap, so it fits a usize.
        let len = region.len() as usize;
        // Aligned to its own size (BARs are powers of two), as the BAR itself is on the bus,
        // so that the IOMMU can use large pages for it; never more than 1 GiB.
        let align = (len as u64).next_power_of_two().min(1 << 30);
        let iova = self.container.iova.alloc(len, align)?;
        // SAFETY: `region` is this device's live mmap of `bar`, `len` bytes; the window is
        // unmapped (`Drop for VfioDevice`) before `self.bars`, and with it the mmap, is
        // dropped, so the IOMMU never points at a stale mapping.
        let mapped = unsafe {
            self.pci
                .iommu()
                .map(iova.get(), len, region.base_ptr(), Permissions::ReadWrite)
        };
        if let Err(source) = mapped {
            self.container.iova.free(iova, len);
            return Err(Error::Vfio {
                operation: format!(
                    "IOMMU map of {bar} of {} ({len} bytes, the BAR's mmap) at IOVA {iova} for peers",
                    self.location.bdf
                ),
                source,
            });
        }
        log::debug!(
            "{}: {bar} mapped for peers at IOVA {iova}, {len} bytes",
            self.location.bdf
        );
        *slot = Some(PeerWindow { iova, len });
        Ok(iova)
    }

    fn lock_windows(&self) -> std::sync::MutexGuard<'_, [Option<PeerWindow>; 6]> {
        self.peer_windows.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Where the device was found.
    pub fn location(&self) -> &VfioLocation {
        &self.location
    }

    fn bar(&self, bar: BarIndex) -> Result<&MmioRegion> {
        self.bars[usize::from(bar.get())]
            .as_ref()
            .ok_or(Error::NoSuchBar { bar })
    }

    fn config_error(&self, what: &str, offset: u16, source: io::Error) -> Error {
        Error::Vfio {
            operation: format!(
                "config space {what} at {offset:#x} of {}",
                self.location.bdf
            ),
            source,
        }
    }
}

impl VfioFunction for VfioDevice {
    fn bdf(&self) -> Bdf {
        self.location.bdf
    }

    fn iommu_group(&self) -> Option<u32> {
        Some(self.location.iommu_group)
    }

    fn backend(&self) -> VfioBackend {
        VfioBackend::Legacy
    }

    fn address_space(&self) -> String {
        format!("one VFIO container (groups {:?})", self.container.groups())
    }

    fn map_bar_for_peers(&self, bar: BarIndex) -> Result<BusAddr> {
        VfioDevice::map_bar_for_peers(self, bar)
    }

    fn bar_raw_bus_addr(&self, bar: BarIndex) -> Result<BusAddr> {
        VfioDevice::bar_raw_bus_addr(self, bar)
    }

    fn into_device(self: Box<Self>) -> Box<dyn Device> {
        self
    }

    fn into_arc_device(self: Arc<Self>) -> Arc<dyn Device> {
        self
    }
}

impl Device for VfioDevice {
    fn describe(&self) -> String {
        format!("{} (vfio-pci)", self.location.bdf)
    }

    fn config_read(&self, offset: u16, buf: &mut [u8]) -> Result<()> {
        check_config_access(offset, buf.len())?;
        self.pci
            .config()
            .read_bytes(u64::from(offset), buf)
            .map_err(|e| self.config_error("read", offset, e))
    }

    fn config_write(&self, offset: u16, data: &[u8]) -> Result<()> {
        check_config_access(offset, data.len())?;
        let config = self.pci.config();
        for_each_config_piece(offset, data, |at, piece| {
            let pos = u64::from(at);
            match *piece {
                [a, b, c, d] => config.write_le_u32(pos, u32::from_le_bytes([a, b, c, d])),
                [a, b] => config.write_le_u16(pos, u16::from_le_bytes([a, b])),
                [a] => config.write_u8(pos, a),
                // for_each_config_piece hands out 1, 2 or 4 bytes only.
                _ => Err(io::Error::from(io::ErrorKind::InvalidInput)),
            }
            .map_err(|e| self.config_error("write", at, e))
        })
    }

    crate::device::mmio_bar_methods!();

    fn iova_ranges(&self) -> Result<Vec<Range<u64>>> {
        Ok(self.container.valid_iova_ranges().to_vec())
    }

    unsafe fn map_dma(&self, host: *mut u8, len: usize, iova: BusAddr) -> Result<()> {
        let iommu = self.pci.iommu();
        let align = iommu.alignment();
        if (host as usize | len | iova.get() as usize) % align != 0 {
            return Err(Error::DmaMapRejected {
                iova,
                len,
                fault: DmaMapFault::Misaligned { align },
            });
        }
        // SAFETY: the caller guarantees (this method's contract) that `host..host + len` stays
        // allocated and in place until `unmap_dma(iova, len)` returns.
        unsafe { iommu.map(iova.get(), len, host, Permissions::ReadWrite) }.map_err(|source| {
            Error::Vfio {
                operation: format!("IOMMU map of {len} bytes at IOVA {iova}"),
                source,
            }
        })
    }

    fn unmap_dma(&self, iova: BusAddr, len: usize) -> Result<()> {
        self.pci
            .iommu()
            .unmap(iova.get(), len)
            .map_err(|source| Error::Vfio {
                operation: format!("IOMMU unmap of {len} bytes at IOVA {iova}"),
                source,
            })
    }

    fn bar_bus_addr(&self, bar: BarIndex) -> Result<BusAddr> {
        self.bar(bar)?;
        self.lock_windows()[usize::from(bar.get())]
            .map(|w| w.iova)
            .ok_or_else(|| Error::BarNotMappedForPeers {
                device: self.describe(),
                bar,
            })
    }

    fn shared_iova_allocator(&self) -> Option<Arc<IovaAllocator>> {
        Some(Arc::clone(&self.container.iova))
    }

    fn enable_msix(&self, vectors: u16) -> Result<crossbeam_channel::Receiver<u16>> {
        let max = self.pci.interrupts().msi_x().max();
        let max = u32::try_from(max).unwrap_or(u32::MAX);
        self.msix.enable(self.location.bdf, vectors, max, |fds| {
            self.pci.interrupts().msi_x().enable(fds)
        })
    }

    fn disable_msix(&self) -> Result<()> {
        self.msix.disable(self.location.bdf, || {
            self.pci.interrupts().msi_x().disable()
        })
    }

    fn reset(&self) -> Result<()> {
        log::info!("{}: function reset", self.location.bdf);
        self.pci.reset().map_err(|source| Error::Vfio {
            operation: format!("function reset of {}", self.location.bdf),
            source,
        })
    }
}

impl Drop for VfioDevice {
    fn drop(&mut self) {
        let enabled = self.msix.is_enabled();
        if enabled {
            if let Err(e) = self.disable_msix() {
                log::warn!("{}: {e}", self.location.bdf);
            }
        }
        // Peer windows go before the BAR mmaps they point into (fields drop after this).
        let windows = std::mem::take(&mut *self.lock_windows());
        for window in windows.into_iter().flatten() {
            match self.pci.iommu().unmap(window.iova.get(), window.len) {
                Ok(()) => self.container.iova.free(window.iova, window.len),
                // The IOVA stays allocated: the IOMMU may still map it.
                Err(e) => log::warn!(
                    "{}: IOMMU unmap of the peer window at IOVA {}: {e}",
                    self.location.bdf,
                    window.iova
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests;
