// SPDX-License-Identifier: MIT OR Apache-2.0
//! A command's data: a [`DataList`] of entries (host buffers, BAR2 peer slices, bus addresses,
//! bit buckets), the same list laid out as an SGL in device-reachable memory ([`PreparedSgl`]),
//! and what either keeps alive until the device is done with it ([`Held`]).

use std::sync::Arc;

use crate::address::BusAddr;
use crate::dma::peer::PeerSlice;
use crate::dma::sgl::{SglBuilder, SglEntry};
use crate::dma::wire::SglDescriptor;
use crate::error::{Error, Result};
use crate::hostmem::buffer::{DmaBuffer, DmaMemory};
use crate::hostmem::{AddressSpace, HostMemError};

/// Something a job names and keeps alive until its completion has been consumed.
#[derive(Clone, Debug)]
pub enum Held {
    Buffer(Arc<DmaBuffer>),
    Peer(Arc<PeerSlice>),
    Sgl(Arc<PreparedSgl>),
}

/// The list side of a PULL or PUSH: entries in order, plus the resources they name.
///
/// Every entry is a bus address and a length (never a CPU pointer); the list keeps the
/// buffers and BAR2 slices it names alive until the job's completion has been consumed.
///
/// ```
/// use std::sync::Arc;
/// use peerbar::dma::{PeerMemory, SglEntry};
/// use peerbar::hostmem::{DataList, DmaMemory};
/// # use peerbar::device::fake::FakeDevice;
/// # fn main() -> peerbar::Result<()> {
/// # let device = Arc::new(FakeDevice::peerbar_endpoint(1 << 20));
/// let host = Arc::new(DmaMemory::new(device.clone())?.alloc(8192)?);
/// let bar2 = Arc::new(PeerMemory::new(device)?.alloc(4096, 4096)?);
///
/// let mut list = DataList::new();
/// list.push_buffer(&host, 512, 1024)? // 1 KiB of host memory
///     .push_peer(&bar2, 0, 2048)? // 2 KiB of BAR2, by its bus address
///     .push_bit_bucket(512); // on a PULL: 512 bytes of BAR2 skipped
/// assert_eq!(list.total_len(), 3584);
/// assert_eq!(
///     list.entries()[0],
///     SglEntry::Data { addr: host.bus_addr_at(512)?, len: 1024 }
/// );
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct DataList {
    entries: Vec<SglEntry>,
    held: Vec<Held>,
    /// Entries added by [`DataList::push_bus_unchecked`], by index: not checked at submit.
    unchecked: Vec<usize>,
}

impl DataList {
    pub fn new() -> DataList {
        DataList::default()
    }

    /// `len` bytes at byte `offset` of `buf` (kept alive by the job).
    pub fn push_buffer(
        &mut self,
        buf: &Arc<DmaBuffer>,
        offset: usize,
        len: u32,
    ) -> Result<&mut DataList> {
        let end = offset.checked_add(len as usize).ok_or(Error::OutOfBuffer {
            offset,
            len: len as usize,
            buffer_len: buf.len(),
        })?;
        buf.bus_addr_at(end)?;
        self.entries
            .push(SglEntry::data(buf.bus_addr_at(offset)?, len));
        self.held.push(Held::Buffer(Arc::clone(buf)));
        Ok(self)
    }

    /// `len` bytes at byte `at` of a BAR2 slice, by bus address (a peer-to-peer access of the
    /// endpoint to its own BAR2 through the fabric). Kept alive by the job.
    pub fn push_peer(
        &mut self,
        slice: &Arc<PeerSlice>,
        at: u64,
        len: u32,
    ) -> Result<&mut DataList> {
        slice.bus_addr_at(at.saturating_add(u64::from(len)))?;
        self.entries
            .push(SglEntry::data(slice.bus_addr_at(at)?, len));
        self.held.push(Held::Peer(Arc::clone(slice)));
        Ok(self)
    }

    /// `len` bytes at a bus address this driver does not own (another device's BAR, an NVMe
    /// CMB): the caller keeps it valid until the job completes. An address nobody mapped makes
    /// the engine's access fail (IOMMU fault / UR), it cannot corrupt this process's memory.
    ///
    /// Checked at submit: if the range touches this driver's own address space (the IOVA
    /// ranges its DMA buffers come from, or the endpoint's BAR2) it must lie inside a buffer or
    /// slice the list holds ([`DataList::hold`]), else
    /// [`QueuePair::submit`](crate::dma::QueuePair::submit) refuses the job with
    /// [`HostMemError::UnmappedListEntry`] (an unmapped or freed buffer, or memory another job owns).
    /// Addresses outside both are not checked.
    pub fn push_bus(&mut self, addr: BusAddr, len: u32) -> &mut DataList {
        self.entries.push(SglEntry::data(addr, len));
        self
    }

    /// Like [`DataList::push_bus`] without the submit-time check: the engine gets the address
    /// as given (tests of the IOMMU, raw addresses a user typed). The IOMMU is then the only
    /// guard.
    pub fn push_bus_unchecked(&mut self, addr: BusAddr, len: u32) -> &mut DataList {
        self.unchecked.push(self.entries.len());
        self.entries.push(SglEntry::data(addr, len));
        self
    }

    /// A Bit Bucket: on PULL, `len` bytes of BAR2 are skipped (rejected on PUSH).
    pub fn push_bit_bucket(&mut self, len: u32) -> &mut DataList {
        self.entries.push(SglEntry::BitBucket { len });
        self
    }

    /// Keeps `held` alive for the job's lifetime.
    pub fn hold(&mut self, held: Held) -> &mut DataList {
        self.held.push(held);
        self
    }

    pub fn entries(&self) -> &[SglEntry] {
        &self.entries
    }

    /// Sum of the entries' lengths.
    pub fn total_len(&self) -> u64 {
        self.entries.iter().map(|e| u64::from(e.len())).sum()
    }

    /// Bus ranges of everything the list holds (lists held by it included).
    fn held_ranges(&self) -> Vec<std::ops::Range<u64>> {
        fn add(held: &[Held], out: &mut Vec<std::ops::Range<u64>>) {
            for h in held {
                match h {
                    Held::Buffer(b) => {
                        let start = b.bus_addr().get();
                        out.push(start..start + b.len() as u64);
                    }
                    Held::Peer(p) => {
                        let start = p.bus_addr().get();
                        out.push(start..start + p.len());
                    }
                    Held::Sgl(s) => add(s.held(), out),
                }
            }
        }
        let mut out = Vec::new();
        add(&self.held, &mut out);
        out
    }

    /// The submit-time check of [`DataList::push_bus`]: every non-empty Data entry that
    /// touches `own` (name, range) lies inside something the list holds.
    pub(crate) fn check_mapped(&self, own: &[(AddressSpace, std::ops::Range<u64>)]) -> Result<()> {
        let held = self.held_ranges();
        for (index, entry) in self.entries.iter().enumerate() {
            let SglEntry::Data { addr, len } = *entry else {
                continue;
            };
            if len == 0 || self.unchecked.contains(&index) {
                // The engine skips zero-length Data Blocks without reading them.
                continue;
            }
            let start = addr.get();
            let end = start.saturating_add(u64::from(len));
            if held.iter().any(|r| r.start <= start && end <= r.end) {
                continue;
            }
            if let Some((space, _)) = own.iter().find(|(_, r)| start < r.end && r.start < end) {
                return Err(HostMemError::UnmappedListEntry {
                    index,
                    addr,
                    len,
                    space: *space,
                }
                .into());
            }
        }
        Ok(())
    }
}

/// A list already in device-reachable memory: DPTR plus everything it names. Build it once and
/// reuse it (`Arc`) for many jobs.
#[derive(Debug)]
pub struct PreparedSgl {
    dptr: SglDescriptor,
    held: Vec<Held>,
}

impl PreparedSgl {
    /// Builds `list` with `builder` into a new [`DmaBuffer`] (none for an inline Data Block).
    pub fn build(memory: &DmaMemory, list: &DataList, builder: &SglBuilder) -> Result<PreparedSgl> {
        let mut held = list.held.clone();
        let dptr = if SglBuilder::is_inline(&list.entries) {
            builder.build(&list.entries, BusAddr::new(0))?.dptr
        } else {
            let buf = memory.alloc(builder.list_len(&list.entries))?;
            let built = builder.build(&list.entries, buf.bus_addr())?;
            buf.write(0, &built.list)?;
            held.push(Held::Buffer(Arc::new(buf)));
            built.dptr
        };
        Ok(PreparedSgl { dptr, held })
    }

    /// A list the caller laid out itself (in DMA buffers or BAR2 slices named by `held`).
    pub fn from_parts(dptr: SglDescriptor, held: Vec<Held>) -> PreparedSgl {
        PreparedSgl { dptr, held }
    }

    pub fn dptr(&self) -> SglDescriptor {
        self.dptr
    }

    /// What the list names (kept alive as long as the list).
    pub fn held(&self) -> &[Held] {
        &self.held
    }
}
