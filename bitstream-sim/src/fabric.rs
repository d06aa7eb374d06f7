// SPDX-License-Identifier: MIT OR Apache-2.0
//! The PCIe world around the FPGA: host memory behind an IOMMU, the MSI window, and the BARs of
//! the devices on the fabric (peer-to-peer targets).
//!
//! Bus address map (fixed, documented in docs/simulation.md):
//! - IOVA ranges the IOMMU accepts ([`IOVA_RANGES`]): 1 MiB..3 GiB and 4 GiB..224 GiB. Host
//!   memory is reachable only through windows `map_dma` placed inside them.
//! - MSI window [`MSI_RANGE`] (0xFEE0_0000..0xFEF0_0000): a MemWr there is an interrupt.
//! - Device BARs where config space puts them (the endpoint's BAR0 at 0xFE00_0000 and BAR2 at
//!   0x38_0000_0000 by default): a request there is peer-to-peer.
//!
//! A DMA that touches a byte outside every window is a recorded [`DmaFault`]; a read fault is
//! answered with UR, a write fault is dropped. Never a silent zero read or a stray write.

use std::collections::BTreeMap;
use std::ops::Range;
use std::ptr::NonNull;

use crate::SimError;

/// IOVA ranges the simulated IOMMU accepts, as VFIO would report them: below the 32-bit MMIO
/// hole (where BAR0 and the MSI window live) and above 4 GiB up to the 64-bit BAR window.
pub const IOVA_RANGES: [Range<u64>; 2] = [0x10_0000..0xc000_0000, 0x1_0000_0000..0x38_0000_0000];
/// Writes here are MSI/MSI-X messages (x86 interrupt address range).
pub const MSI_RANGE: Range<u64> = 0xfee0_0000..0xfef0_0000;
/// IOMMU page size: windows are aligned to it.
pub const PAGE_SIZE: u64 = 4096;

/// Direction of a faulting DMA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DmaDirection {
    Read,
    Write,
}

/// A DMA the fabric could not deliver: it touched bytes outside every mapped window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DmaFault {
    /// Bus address of the first byte of the access.
    pub address: u64,
    /// Bytes the access covers.
    pub len: u64,
    pub direction: DmaDirection,
    /// Requester ID of the device that issued it.
    pub requester_id: u16,
    /// Tag of a read (None for writes).
    pub tag: Option<u8>,
    /// Why it was refused, e.g. "no IOMMU mapping".
    pub reason: &'static str,
}

impl std::fmt::Display for DmaFault {
    /// e.g. `read of 16 bytes at 0x3000000000 by 0100h (tag 0x03): no IOMMU mapping`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let dir = match self.direction {
            DmaDirection::Read => "read",
            DmaDirection::Write => "write",
        };
        write!(
            f,
            "{dir} of {} bytes at {:#x} by {:04x}h",
            self.len, self.address, self.requester_id
        )?;
        if let Some(tag) = self.tag {
            write!(f, " (tag {tag:#04x})")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// A device on the fabric whose BARs take peer-to-peer requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerId {
    /// The FPGA endpoint itself: its own completer answers (through CQ/CC).
    Endpoint,
    /// The simulated NVMe controller (registers in BAR0, controller memory buffer in BAR2).
    Nvme,
}

/// One BAR window on the fabric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerBar {
    pub device: PeerId,
    pub bar: u8,
    pub base: u64,
    pub size_log2: u32,
}

impl PeerBar {
    pub fn contains(&self, address: u64) -> bool {
        address >= self.base && address - self.base < (1u64 << self.size_log2)
    }
}

/// Where a request goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// Host memory behind the IOMMU (mapped or not: the access itself finds out).
    Memory,
    /// The MSI window.
    Msi,
    /// A device's BAR: `offset` bytes into BAR `bar`.
    Peer { bar: PeerBar, offset: u64 },
}

/// Pointer into this process's memory that the driver promised stays valid while mapped.
#[derive(Clone, Copy, Debug)]
struct HostPtr(NonNull<u8>);

// SAFETY: the pointer is only dereferenced by the fabric under the `map_dma` contract (the
// memory stays allocated until unmap), from whichever single thread holds the simulation lock;
// the memory is plain bytes with no thread affinity.
unsafe impl Send for HostPtr {}

/// Memory of another process the fabric reaches by messages rather than by a pointer: a
/// vfio-user client's DMA region mapped without a file descriptor (DMA_READ/DMA_WRITE). Called
/// with the simulation's lock held: an implementation must answer in bounded time.
pub trait RemoteMemory: Send + Sync {
    /// Reads `buf.len()` bytes at byte `offset` of the window.
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), String>;
    /// Writes `data` at byte `offset` of the window.
    fn write(&self, offset: u64, data: &[u8]) -> Result<(), String>;
}

/// What a window maps onto.
#[derive(Clone)]
enum Backing {
    Host(HostPtr),
    Remote(std::sync::Arc<dyn RemoteMemory>),
}

#[derive(Clone)]
struct Window {
    backing: Backing,
    len: u64,
}

/// Part of a DMA inside one window.
enum Piece {
    Host(NonNull<u8>, usize),
    /// The window, the offset into it, bytes.
    Remote(std::sync::Arc<dyn RemoteMemory>, u64, usize),
}

impl Piece {
    fn len(&self) -> usize {
        match self {
            Piece::Host(_, n) | Piece::Remote(_, _, n) => *n,
        }
    }
}

/// Host memory behind the IOMMU, and the fabric's address map.
#[derive(Default)]
pub struct Fabric {
    /// IOVA -> window, non-overlapping.
    windows: BTreeMap<u64, Window>,
    faults: Vec<DmaFault>,
    peers: Vec<PeerBar>,
    /// IOVA ranges the IOMMU accepts when they are not [`IOVA_RANGES`] (a vfio-user client's
    /// own address space: see [`Fabric::set_iova_ranges`]).
    iova_ranges: Option<Vec<Range<u64>>>,
}

impl Fabric {
    /// The IOVA ranges the IOMMU accepts: [`IOVA_RANGES`] unless set otherwise.
    pub fn iova_ranges(&self) -> Vec<Range<u64>> {
        self.iova_ranges
            .clone()
            .unwrap_or_else(|| IOVA_RANGES.to_vec())
    }

    /// Replaces the IOVA ranges the IOMMU accepts. A vfio-user server does this for a client
    /// whose address space it does not choose: QEMU maps guest RAM at its guest-physical
    /// addresses from 0 until the guest turns its IOMMU on.
    pub fn set_iova_ranges(&mut self, ranges: Vec<Range<u64>>) {
        self.iova_ranges = Some(ranges);
    }

    /// Maps `len` bytes at `host` to bus address `iova`.
    ///
    /// # Safety
    /// `host..host+len` must be valid for reads and writes and stay allocated (not moved) until
    /// `unmap(iova, len)`; the fabric reads and writes it whenever a DMA targets the window.
    pub unsafe fn map(&mut self, host: *mut u8, len: usize, iova: u64) -> Result<(), SimError> {
        let Some(host) = NonNull::new(host) else {
            return Err(SimError::DmaMapping("host pointer is null".into()));
        };
        if host.as_ptr() as usize % PAGE_SIZE as usize != 0 {
            return Err(SimError::DmaMapping(format!(
                "host address {:p} is not 4 KiB aligned",
                host.as_ptr()
            )));
        }
        self.insert(iova, len as u64, Backing::Host(HostPtr(host)))
    }

    /// Maps `len` bytes of another process's memory, reached through `remote`, to bus address
    /// `iova` (same rules as [`Fabric::map`]). A DMA there calls `remote`; its failure is a
    /// fault, like a DMA outside every window.
    pub fn map_remote(
        &mut self,
        iova: u64,
        len: u64,
        remote: std::sync::Arc<dyn RemoteMemory>,
    ) -> Result<(), SimError> {
        self.insert(iova, len, Backing::Remote(remote))
    }

    fn insert(&mut self, iova: u64, len: u64, backing: Backing) -> Result<(), SimError> {
        let bad = |why: String| Err(SimError::DmaMapping(why));
        if len == 0 || len % PAGE_SIZE != 0 {
            return bad(format!(
                "length {len:#x} is not a non-zero multiple of 4 KiB"
            ));
        }
        if iova % PAGE_SIZE != 0 {
            return bad(format!("IOVA {iova:#x} is not 4 KiB aligned"));
        }
        let Some(end) = iova.checked_add(len) else {
            return bad(format!("IOVA {iova:#x} + {len:#x} overflows"));
        };
        let ranges = self.iova_ranges();
        if !ranges.iter().any(|r| r.start <= iova && end <= r.end) {
            return bad(format!(
                "IOVA {iova:#x}..{end:#x} is not inside one of the IOMMU's ranges {ranges:x?}"
            ));
        }
        if let Some((&start, w)) = self.windows.range(..end).next_back() {
            if start + w.len > iova {
                return bad(format!(
                    "IOVA {iova:#x}..{end:#x} overlaps the mapping {start:#x}..{:#x}",
                    start + w.len
                ));
            }
        }
        self.windows.insert(iova, Window { backing, len });
        Ok(())
    }

    /// Removes the mapping `map` made with the same `iova` and `len`.
    pub fn unmap(&mut self, iova: u64, len: usize) -> Result<(), SimError> {
        match self.windows.get(&iova) {
            Some(w) if w.len == len as u64 => {
                self.windows.remove(&iova);
                Ok(())
            }
            Some(w) => Err(SimError::DmaMapping(format!(
                "unmap of {len:#x} bytes at IOVA {iova:#x}, but that mapping is {:#x} bytes",
                w.len
            ))),
            None => Err(SimError::DmaMapping(format!(
                "unmap at IOVA {iova:#x}: no mapping starts there"
            ))),
        }
    }

    /// Drops every mapping (the process's memory is no longer reachable).
    pub fn unmap_all(&mut self) {
        self.windows.clear();
    }

    /// Mapped windows: (IOVA, length).
    pub fn mappings(&self) -> Vec<(u64, u64)> {
        self.windows.iter().map(|(&a, w)| (a, w.len)).collect()
    }

    /// Replaces the BAR windows of `device` (called when config space may have moved them; an
    /// empty list when the device does not decode memory).
    pub fn set_peer_bars(&mut self, device: PeerId, bars: &[PeerBar]) {
        self.peers.retain(|p| p.device != device);
        self.peers.extend_from_slice(bars);
    }

    pub fn route(&self, address: u64) -> Route {
        if MSI_RANGE.contains(&address) {
            return Route::Msi;
        }
        if let Some(bar) = self.peers.iter().find(|p| p.contains(address)) {
            return Route::Peer {
                bar: *bar,
                offset: address - bar.base,
            };
        }
        Route::Memory
    }

    /// Faults recorded so far.
    pub fn faults(&self) -> &[DmaFault] {
        &self.faults
    }

    pub fn take_faults(&mut self) -> Vec<DmaFault> {
        std::mem::take(&mut self.faults)
    }

    /// Records a fault the caller detected (e.g. a read of the MSI window).
    pub fn record_fault(&mut self, fault: DmaFault) {
        log::warn!("DMA fault: {fault}");
        self.faults.push(fault);
    }

    /// Pieces of `address..address+len` inside windows (host pointer + offset, or remote window
    /// + offset; bytes), or None when any byte lies outside every window.
    fn pieces(&self, address: u64, len: u64) -> Option<Vec<Piece>> {
        let mut out = Vec::new();
        let mut at = address;
        let end = address.checked_add(len)?;
        while at < end {
            let (&start, w) = self.windows.range(..=at).next_back()?;
            if at >= start + w.len {
                return None;
            }
            let n = (start + w.len).min(end) - at;
            out.push(match &w.backing {
                Backing::Host(host) => {
                    // Offset inside the window, < w.len, so it stays inside the allocation.
                    let ptr = host.0.as_ptr().wrapping_add((at - start) as usize);
                    Piece::Host(NonNull::new(ptr)?, n as usize)
                }
                Backing::Remote(r) => Piece::Remote(r.clone(), at - start, n as usize),
            });
            at += n;
        }
        Some(out)
    }

    /// Reads `len` bytes of host memory at bus address `address` for a DMA read.
    pub fn read(
        &mut self,
        address: u64,
        len: u64,
        requester_id: u16,
        tag: u8,
    ) -> Result<Vec<u8>, DmaFault> {
        let fault = |reason| DmaFault {
            address,
            len,
            direction: DmaDirection::Read,
            requester_id,
            tag: Some(tag),
            reason,
        };
        let Some(pieces) = self.pieces(address, len.max(1)) else {
            self.record_fault(fault("no IOMMU mapping"));
            return Err(fault("no IOMMU mapping"));
        };
        let mut out = vec![0u8; len as usize];
        let mut pos = 0;
        for piece in pieces {
            let n = piece.len().min(out.len() - pos);
            match piece {
                // SAFETY: `ptr..ptr+n` lies inside a window mapped with `map`, whose contract
                // keeps it allocated and valid for reads until unmapped; `out` is a distinct
                // Vec. The device may race with the CPU on this memory exactly as real DMA
                // does: a plain byte copy of possibly changing bytes, no references to it.
                Piece::Host(ptr, _) => unsafe {
                    std::ptr::copy_nonoverlapping(ptr.as_ptr(), out.as_mut_ptr().add(pos), n);
                },
                Piece::Remote(remote, offset, _) => {
                    if let Err(why) = remote.read(offset, &mut out[pos..pos + n]) {
                        log::warn!("DMA read of {n} bytes at {address:#x}: {why}");
                        let reason = "the memory's owner did not answer (vfio-user DMA_READ)";
                        self.record_fault(fault(reason));
                        return Err(fault(reason));
                    }
                }
            }
            pos += n;
        }
        Ok(out)
    }

    /// Writes `runs` of bytes (bus address, bytes) for one DMA write. The whole write is
    /// checked first: if any byte falls outside every window nothing is written.
    pub fn write(&mut self, runs: &[(u64, Vec<u8>)], requester_id: u16) -> Result<(), DmaFault> {
        let mut all = Vec::new();
        for (address, bytes) in runs {
            match self.pieces(*address, bytes.len() as u64) {
                Some(p) => all.push((p, bytes)),
                None => {
                    let first = runs.first().map_or(*address, |r| r.0);
                    // Saturating: a malformed write may end at the top of the address space.
                    let last = runs
                        .last()
                        .map_or(first, |r| r.0.saturating_add(r.1.len() as u64));
                    let fault = DmaFault {
                        address: first,
                        len: last - first,
                        direction: DmaDirection::Write,
                        requester_id,
                        tag: None,
                        reason: "no IOMMU mapping",
                    };
                    self.record_fault(fault.clone());
                    return Err(fault);
                }
            }
        }
        for ((pieces, bytes), (address, _)) in all.into_iter().zip(runs) {
            let mut pos = 0;
            for piece in pieces {
                let n = piece.len();
                match piece {
                    // SAFETY: `ptr..ptr+n` lies inside a window mapped with `map`, valid for
                    // writes until unmapped by its contract; `bytes` is a distinct Vec. No
                    // reference to the target memory is created.
                    Piece::Host(ptr, _) => unsafe {
                        std::ptr::copy_nonoverlapping(bytes.as_ptr().add(pos), ptr.as_ptr(), n);
                    },
                    Piece::Remote(remote, offset, _) => {
                        // Bytes before this piece have landed: a remote write cannot be undone.
                        if let Err(why) = remote.write(offset, &bytes[pos..pos + n]) {
                            log::warn!("DMA write of {n} bytes at {address:#x}: {why}");
                            let fault = DmaFault {
                                address: *address,
                                len: bytes.len() as u64,
                                direction: DmaDirection::Write,
                                requester_id,
                                tag: None,
                                reason: "the memory's owner did not answer (vfio-user DMA_WRITE)",
                            };
                            self.record_fault(fault.clone());
                            return Err(fault);
                        }
                    }
                }
                pos += n;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Page-aligned memory for the tests.
    #[repr(C, align(4096))]
    struct Page([u8; 4096]);

    fn pages(n: usize) -> Vec<Page> {
        (0..n).map(|_| Page([0; 4096])).collect()
    }

    #[test]
    fn windows_must_be_aligned_inside_ranges_and_disjoint() {
        let mut mem = pages(4);
        let host = mem.as_mut_ptr().cast::<u8>();
        let mut f = Fabric::default();
        // SAFETY: `mem` (4 contiguous aligned pages) outlives every use of the windows below.
        unsafe {
            assert!(f.map(host, 8192, 0x1_0000_0000).is_ok());
            let e = f.map(host, 4096, 0x1_0000_1000).unwrap_err();
            assert!(e.to_string().contains("overlaps"), "{e}");
            let e = f.map(host.add(8192), 4096, 0x1_0000_0800).unwrap_err();
            assert!(e.to_string().contains("aligned"), "{e}");
            let e = f.map(host.add(8192), 100, 0x1_0001_0000).unwrap_err();
            assert!(e.to_string().contains("multiple of 4 KiB"), "{e}");
            let e = f.map(host.add(8192), 4096, 0xfee0_0000).unwrap_err();
            assert!(e.to_string().contains("ranges"), "{e}");
            let e = f.map(host.add(8192), 4096, 0x38_0000_0000).unwrap_err();
            assert!(e.to_string().contains("ranges"), "{e}");
            assert!(f.map(host.add(8192), 8192, 0x1_0000_2000).is_ok());
        }
        assert_eq!(f.mappings().len(), 2);
        assert!(f.unmap(0x1_0000_0000, 4096).is_err(), "length must match");
        assert!(
            f.unmap(0x1_0000_3000, 4096).is_err(),
            "no mapping starts there"
        );
        f.unmap(0x1_0000_0000, 8192).unwrap();
        assert_eq!(f.mappings(), vec![(0x1_0000_2000, 8192)]);
        drop(f);
        drop(mem);
    }

    #[test]
    fn reads_and_writes_reach_host_memory_across_adjacent_windows() {
        let mut a = pages(1);
        let mut b = pages(1);
        let mut f = Fabric::default();
        // SAFETY: `a` and `b` outlive every access through `f` (f is dropped first).
        unsafe {
            f.map(a.as_mut_ptr().cast(), 4096, 0x2000_0000).unwrap();
            f.map(b.as_mut_ptr().cast(), 4096, 0x2000_1000).unwrap();
        }
        let data: Vec<u8> = (0..32).collect();
        f.write(&[(0x2000_0ff0, data.clone())], 0x0100).unwrap();
        assert_eq!(f.read(0x2000_0ff0, 32, 0x0100, 1).unwrap(), data);
        drop(f);
        assert_eq!(&a[0].0[0xff0..], &data[..16]);
        assert_eq!(&b[0].0[..16], &data[16..]);
    }

    #[test]
    fn accesses_outside_windows_are_recorded_faults() {
        let mut a = pages(1);
        let mut f = Fabric::default();
        // SAFETY: `a` outlives every access through `f`.
        unsafe { f.map(a.as_mut_ptr().cast(), 4096, 0x2000_0000).unwrap() };
        // One byte past the window: refused, nothing written.
        let err = f
            .write(&[(0x2000_0ffc, vec![1, 2, 3, 4, 5])], 0x0100)
            .unwrap_err();
        assert_eq!(err.direction, DmaDirection::Write);
        assert_eq!((err.address, err.len), (0x2000_0ffc, 5));
        assert_eq!(
            f.read(0x2000_0ffc, 4, 0, 0).unwrap(),
            vec![0; 4],
            "write dropped"
        );
        let err = f.read(0x1fff_fffe, 4, 0x0100, 9).unwrap_err();
        assert_eq!(err.tag, Some(9));
        assert_eq!(err.direction, DmaDirection::Read);
        assert!(
            err.to_string()
                .starts_with("read of 4 bytes at 0x1ffffffe by 0100h (tag 0x09): "),
            "{err}"
        );
        assert_eq!(f.faults().len(), 2);
        assert_eq!(f.take_faults().len(), 2);
        assert!(f.faults().is_empty());
        // After unmap the window is gone.
        f.unmap(0x2000_0000, 4096).unwrap();
        assert!(f.read(0x2000_0000, 4, 0, 0).is_err());
        drop(f);
        drop(a);
    }

    #[test]
    fn routing_prefers_msi_then_bars_then_memory() {
        let mut f = Fabric::default();
        let bar2 = PeerBar {
            device: PeerId::Endpoint,
            bar: 2,
            base: 0x38_0000_0000,
            size_log2: 20,
        };
        f.set_peer_bars(PeerId::Endpoint, &[bar2]);
        assert_eq!(f.route(0xfee0_0010), Route::Msi);
        assert_eq!(
            f.route(0x38_0000_1234),
            Route::Peer {
                bar: bar2,
                offset: 0x1234
            }
        );
        assert_eq!(f.route(0x38_0010_0000), Route::Memory);
        f.set_peer_bars(PeerId::Endpoint, &[]);
        assert_eq!(f.route(0x38_0000_1234), Route::Memory);
    }
}
