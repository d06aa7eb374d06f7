// SPDX-License-Identifier: MIT OR Apache-2.0
//! Data pointers: a [`DataList`] turned into a command's DPTR (PRP1/PRP2 or one SGL
//! descriptor) plus the host memory holding its PRP list or SGL segments.
//!
//! - SGL ([`sgl`]): built by the DMA engine's [`SglBuilder`] through [`PreparedSgl::build`], the
//!   same NVMe descriptor format: one Data entry goes inline in DPTR as a Data Block, more go
//!   to a Last Segment list in a new [`DmaBuffer`], chained with Segment descriptors beyond the
//!   builder's per-segment limit.
//! - PRP ([`prp`]): one entry per memory page (4 KiB, CC.MPS = 0). PRP1 may start anywhere
//!   dword aligned; every other page starts page aligned. So the first entry of the list may
//!   start at any dword, every later entry must start page aligned, and every entry but the
//!   last must end page aligned; anything else cannot be described by PRPs and is refused
//!   before submitting. One page: PRP1 only; two: PRP2 is the second page; more: PRP2 points
//!   to a PRP list in host memory whose full pages chain to the next list page through their
//!   last entry.
//!
//! Shape errors are [`NvmeError::BadTransfer`](crate::nvme::NvmeError::BadTransfer) with command `"data pointer"`; the I/O queue
//! relabels them with the command being built.

use std::sync::Arc;

use crate::address::BusAddr;
use crate::dma::sgl::{SglBuilder, SglEntry, DESCRIPTOR_LIMIT};
use crate::dma::wire::{SglDescriptor, SglType};
use crate::error::{Error, Result};
use crate::hostmem::{DataList, Held, PreparedSgl};
use crate::hostmem::{DmaBuffer, DmaMemory};
use crate::nvme::SglSupport;

/// Memory page size of PRP entries and PRP lists (CC.MPS = 0).
pub(crate) const PRP_PAGE: u64 = 4096;
/// PRP entries per list page.
pub(crate) const PRP_ENTRIES_PER_PAGE: usize = (PRP_PAGE / 8) as usize;

/// A command's data pointer (DPTR).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataPointer {
    /// PSDT 00b: PRP entries 1 and 2.
    Prp {
        /// The first page, possibly with a (dword-aligned) offset.
        prp1: BusAddr,
        /// 0 (one page), the second page, or a pointer to a PRP list.
        prp2: BusAddr,
    },
    /// PSDT 01b: SGL Descriptor 1.
    Sgl(SglDescriptor),
}

/// A built data pointer and everything it names: the list memory (PRP list pages or SGL
/// segments) and the data list's own buffers and slices. Keep it alive until the command's
/// completion has been consumed (the queue does).
#[derive(Debug)]
pub struct PreparedData {
    pointer: DataPointer,
    held: Vec<Held>,
    /// The caller's list, kept for the buffers and slices it holds (a `DataList` hands out
    /// its entries but not its held resources, so the list itself is kept).
    data: Option<DataList>,
}

impl PreparedData {
    /// The DPTR to put in the command ([`crate::nvme::SubmissionEntry::set_data_pointer`]).
    pub(crate) fn pointer(&self) -> DataPointer {
        self.pointer
    }

    /// What must stay alive until the command completes.
    pub(crate) fn into_keep(self) -> crate::nvme::queue::Keep {
        crate::nvme::queue::Keep {
            _held: self.held,
            _data: self.data,
        }
    }
}

fn bad(reason: String) -> Error {
    crate::nvme::NvmeError::BadTransfer {
        command: "data pointer",
        reason,
    }
    .into()
}

/// The memory pages a PRP list must name for `entries`, in order: the first with its offset,
/// the others page aligned. Zero-length entries are skipped. Fails, naming the entry (its
/// index in `entries`), when PRPs cannot describe the list.
pub(crate) fn prp_pages(entries: &[SglEntry]) -> Result<Vec<BusAddr>> {
    let data: Vec<(usize, BusAddr, u32)> = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.is_empty())
        .map(|(i, e)| match *e {
            SglEntry::Data { addr, len } => Ok((i, addr, len)),
            SglEntry::BitBucket { .. } => Err(bad(format!(
                "entry {i} is a bit bucket, which PRPs cannot express: use SGL on a controller that supports SGL bit buckets"
            ))),
        })
        .collect::<Result<_>>()?;
    if data.is_empty() {
        return Err(bad("the data list is empty".to_owned()));
    }
    let mut pages = Vec::new();
    let last = data.len() - 1;
    for (k, &(i, addr, len)) in data.iter().enumerate() {
        let a = addr.get();
        if k == 0 {
            if a % 4 != 0 {
                return Err(bad(format!(
                    "entry {i} at {addr} is not dword aligned (PRP1 must be): use SGL or align the buffers"
                )));
            }
        } else if a % PRP_PAGE != 0 {
            return Err(bad(format!(
                "entry {i} at {addr} is not page aligned: use SGL or align the buffers"
            )));
        }
        let end = a.checked_add(u64::from(len)).ok_or_else(|| {
            bad(format!(
                "entry {i} at {addr} + {len} bytes overflows 64 bits"
            ))
        })?;
        if k != last && end % PRP_PAGE != 0 {
            return Err(bad(format!(
                "entry {i} at {addr} ends at {end:#x}, not on a page boundary (only the last entry may): use SGL or align the buffers"
            )));
        }
        pages.push(addr);
        let mut page = addr.align_down(PRP_PAGE).get() + PRP_PAGE;
        while page < end {
            pages.push(BusAddr::new(page));
            page += PRP_PAGE;
        }
    }
    Ok(pages)
}

/// Number of PRP list pages needed for `pages` memory pages (0 when PRP1/PRP2 suffice).
pub(crate) fn prp_list_pages(pages: usize) -> usize {
    if pages <= 2 {
        return 0;
    }
    // Entries after PRP1; every full list page but the last gives one slot to the chain.
    let mut left = pages - 1;
    let mut list_pages = 1;
    while left > PRP_ENTRIES_PER_PAGE {
        left -= PRP_ENTRIES_PER_PAGE - 1;
        list_pages += 1;
    }
    list_pages
}

/// PRP1, PRP2 and the PRP list image for `pages` (from [`prp_pages`]), the list to be
/// written contiguously at `list_base` (page aligned). The image is empty when no list is
/// needed.
pub(crate) fn prp_layout(pages: &[BusAddr], list_base: BusAddr) -> (BusAddr, BusAddr, Vec<u8>) {
    let none = BusAddr::new(0);
    match pages {
        [] => (none, none, Vec::new()),
        [one] => (*one, none, Vec::new()),
        [first, second] => (*first, *second, Vec::new()),
        [first, rest @ ..] => {
            let list_pages = prp_list_pages(pages.len());
            let mut image = Vec::with_capacity(list_pages * PRP_PAGE as usize);
            let mut rest = rest;
            for page in 0..list_pages {
                let last_page = page + 1 == list_pages;
                let take = if last_page {
                    rest.len()
                } else {
                    PRP_ENTRIES_PER_PAGE - 1
                };
                for p in &rest[..take] {
                    image.extend_from_slice(&p.get().to_le_bytes());
                }
                rest = &rest[take..];
                if !last_page {
                    let next = list_base.get() + (page as u64 + 1) * PRP_PAGE;
                    image.extend_from_slice(&next.to_le_bytes());
                }
            }
            debug_assert!(rest.is_empty());
            (*first, list_base, image)
        }
    }
}

/// Builds a PRP data pointer for `data`; a PRP list, when needed, goes to a new
/// [`DmaBuffer`] from `memory`. Fails before allocating anything when PRPs cannot describe the
/// list (see the [module docs](self)).
pub fn prp(memory: &DmaMemory, data: &DataList) -> Result<PreparedData> {
    let pages = prp_pages(data.entries())?;
    let list_pages = prp_list_pages(pages.len());
    let mut held = Vec::new();
    let list_base = if list_pages > 0 {
        let buf = memory.alloc(list_pages * PRP_PAGE as usize)?;
        let base = buf.bus_addr();
        held.push(Held::Buffer(Arc::new(buf)));
        base
    } else {
        BusAddr::new(0)
    };
    let (prp1, prp2, image) = prp_layout(&pages, list_base);
    if let Some(Held::Buffer(buf)) = held.first() {
        buf.write(0, &image)?;
    }
    Ok(PreparedData {
        pointer: DataPointer::Prp { prp1, prp2 },
        held,
        data: Some(data.clone()),
    })
}

/// Checks `data` against what the controller's SGL support allows: SGLs at all, bit buckets
/// (Identify SGLS bit 16), dword granularity, the descriptor count.
pub fn check_sgl(
    data: &DataList,
    builder: &SglBuilder,
    support: SglSupport,
    bit_bucket: bool,
) -> Result<()> {
    if support == SglSupport::None {
        return Err(bad(
            "the controller does not support SGLs (Identify SGLS bits 1:0 = 00b): use PRPs"
                .to_owned(),
        ));
    }
    if data.entries().iter().all(SglEntry::is_empty) {
        return Err(bad("the data list is empty".to_owned()));
    }
    for (i, e) in data.entries().iter().enumerate() {
        match *e {
            SglEntry::BitBucket { .. } if !bit_bucket => {
                return Err(bad(format!(
                    "entry {i} is a bit bucket, which the controller does not support (Identify SGLS bit 16 = 0)"
                )))
            }
            SglEntry::Data { addr, len }
                if support == SglSupport::DwordAligned && (!addr.is_aligned(4) || len % 4 != 0) =>
            {
                return Err(bad(format!(
                    "entry {i} ({len} bytes at {addr}) is not dword aligned, and the controller's SGL support is dword-granular"
                )))
            }
            _ => {}
        }
    }
    let descriptors = (builder.list_len(data.entries()) / SglDescriptor::SIZE) as u64;
    if descriptors > DESCRIPTOR_LIMIT {
        return Err(bad(format!(
            "{descriptors} SGL descriptors for one command (at most {DESCRIPTOR_LIMIT}): merge entries or split the transfer"
        )));
    }
    Ok(())
}

/// Builds an SGL data pointer for `data` with `builder` (segments in a new [`DmaBuffer`] from
/// `memory` unless one Data entry fits inline), after [`check_sgl`].
pub fn sgl(
    memory: &DmaMemory,
    data: &DataList,
    builder: &SglBuilder,
    support: SglSupport,
    bit_bucket: bool,
) -> Result<PreparedData> {
    check_sgl(data, builder, support, bit_bucket)?;
    let prepared = PreparedSgl::build(memory, data, builder)?;
    Ok(PreparedData {
        pointer: DataPointer::Sgl(prepared.dptr()),
        // The prepared list holds the data list's resources and its own segment buffer.
        held: vec![Held::Sgl(Arc::new(prepared))],
        data: None,
    })
}

/// The segment or list buffer of a prepared data pointer, if any (for tests and diagnostics).
pub fn list_buffer(prepared: &PreparedData) -> Option<Arc<DmaBuffer>> {
    match prepared.pointer {
        // An inline Data Block: the prepared list holds only the data's own resources.
        DataPointer::Sgl(d) if d.sgl_type() == SglType::DataBlock => None,
        // PreparedSgl::build pushes its segment buffer after the data list's resources.
        DataPointer::Sgl(_) => prepared.held.iter().find_map(|h| match h {
            Held::Sgl(s) => s.held().iter().rev().find_map(|h| match h {
                Held::Buffer(b) => Some(Arc::clone(b)),
                _ => None,
            }),
            _ => None,
        }),
        // PRP: the list page(s) are the only thing held besides the data list.
        DataPointer::Prp { .. } => prepared.held.iter().find_map(|h| match h {
            Held::Buffer(b) => Some(Arc::clone(b)),
            _ => None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::fake::FakeDevice;
    use crate::dma::sgl::{validate, SglWalkError};
    use crate::dma::wire::Opcode;

    const P: u64 = PRP_PAGE;

    fn setup() -> (Arc<FakeDevice>, DmaMemory) {
        let dev = Arc::new(FakeDevice::peerbar_endpoint(1 << 20));
        let mem = DmaMemory::new(dev.clone()).unwrap();
        (dev, mem)
    }

    fn bus(list: &mut DataList, addr: u64, len: u32) {
        list.push_bus(BusAddr::new(addr), len);
    }

    /// Reads the PRP entries a controller would follow for `total` bytes: PRP1, then PRP2 as a
    /// page or a list (following chain entries), through the fake device's DMA.
    fn walk_prps(dev: &FakeDevice, prp1: BusAddr, prp2: BusAddr, total: u64) -> Vec<u64> {
        let first_len = P - prp1.get() % P;
        let mut pages = vec![prp1.get()];
        if total <= first_len {
            assert_eq!(prp2.get(), 0, "PRP2 unused for one page");
            return pages;
        }
        let needed = (total - first_len).div_ceil(P) as usize;
        if needed == 1 {
            pages.push(prp2.get());
            return pages;
        }
        let mut list = prp2.get();
        let mut left = needed;
        while left > 0 {
            let slot = (list % P) / 8;
            let mut b = [0u8; 8];
            dev.dma_read(BusAddr::new(list), &mut b).unwrap();
            let entry = u64::from_le_bytes(b);
            if slot == (P / 8) - 1 && left > 1 {
                list = entry; // chain to the next list page
                continue;
            }
            pages.push(entry);
            left -= 1;
            list += 8;
        }
        pages
    }

    #[test]
    fn one_page_uses_prp1_only_and_allows_an_offset() {
        let (_dev, mem) = setup();
        let mut l = DataList::new();
        bus(&mut l, 0x10_0204, 512);
        let p = prp(&mem, &l).unwrap();
        assert_eq!(
            p.pointer(),
            DataPointer::Prp {
                prp1: BusAddr::new(0x10_0204),
                prp2: BusAddr::new(0)
            }
        );
        assert!(list_buffer(&p).is_none());
    }

    #[test]
    fn two_pages_use_prp2_as_the_second_page() {
        let (_dev, mem) = setup();
        // Offset first page: 0x200 bytes in page 0x10_0000 + all of 0x10_1000..
        let mut l = DataList::new();
        bus(&mut l, 0x10_0e00, 0x200 + 0x1000);
        let p = prp(&mem, &l).unwrap();
        assert_eq!(
            p.pointer(),
            DataPointer::Prp {
                prp1: BusAddr::new(0x10_0e00),
                prp2: BusAddr::new(0x10_1000)
            }
        );
        // Two page-aligned entries, the second ending mid-page.
        let mut l = DataList::new();
        bus(&mut l, 0x20_0000, 4096);
        bus(&mut l, 0x50_0000, 100);
        assert_eq!(
            prp(&mem, &l).unwrap().pointer(),
            DataPointer::Prp {
                prp1: BusAddr::new(0x20_0000),
                prp2: BusAddr::new(0x50_0000)
            }
        );
    }

    #[test]
    fn a_list_names_every_page_in_order() {
        let (dev, mem) = setup();
        // Offset first entry over 3 pages, then a 2-page entry elsewhere, then a short tail.
        let mut l = DataList::new();
        bus(&mut l, 0x10_0800, 0x800 + 2 * 4096);
        bus(&mut l, 0x80_0000, 2 * 4096);
        bus(&mut l, 0x90_0000, 1000);
        let total = l.total_len();
        let p = prp(&mem, &l).unwrap();
        let DataPointer::Prp { prp1, prp2 } = p.pointer() else {
            panic!("PRP expected")
        };
        assert_eq!(prp1, BusAddr::new(0x10_0800));
        let list = list_buffer(&p).expect("a PRP list");
        assert_eq!(prp2, list.bus_addr());
        assert_eq!(
            walk_prps(&dev, prp1, prp2, total),
            vec![0x10_0800, 0x10_1000, 0x10_2000, 0x80_0000, 0x80_1000, 0x90_0000]
        );
        // Nothing after the five list entries.
        assert_eq!(list.to_vec()[40..], vec![0u8; list.len() - 40][..]);
    }

    #[test]
    fn big_transfers_chain_list_pages() {
        let (dev, mem) = setup();
        for pages in [513usize, 514, 1024, 1025, 2000] {
            let mut l = DataList::new();
            let base = 0x1_0000_0000u64;
            bus(&mut l, base, (pages as u64 * P) as u32);
            let p = prp(&mem, &l).unwrap();
            let DataPointer::Prp { prp1, prp2 } = p.pointer() else {
                panic!("PRP expected")
            };
            let expected: Vec<u64> = (0..pages as u64).map(|i| base + i * P).collect();
            assert_eq!(
                walk_prps(&dev, prp1, prp2, pages as u64 * P),
                expected,
                "{pages} pages"
            );
            let list = list_buffer(&p).unwrap();
            assert_eq!(list.len(), prp_list_pages(pages) * P as usize);
        }
        // 513 pages = PRP1 + 512 list entries: exactly one full list page, no chain.
        assert_eq!(prp_list_pages(513), 1);
        assert_eq!(prp_list_pages(514), 2);
        assert_eq!(prp_list_pages(3), 1);
        assert_eq!(prp_list_pages(2), 0);
        // The chain entry is the last slot of the full page and names the next list page.
        let pages: Vec<BusAddr> = (0..600).map(|i| BusAddr::new(i * P)).collect();
        let (_, prp2, image) = prp_layout(&pages, BusAddr::new(0x7000_0000));
        assert_eq!(prp2, BusAddr::new(0x7000_0000));
        let entry = |i: usize| u64::from_le_bytes(image[i * 8..i * 8 + 8].try_into().unwrap());
        assert_eq!(entry(510), 511 * P);
        assert_eq!(entry(511), 0x7000_1000, "chain pointer");
        assert_eq!(entry(512), 512 * P);
        assert_eq!(image.len(), (512 + 599 - 511) * 8);
    }

    #[test]
    fn misaligned_entries_are_refused_naming_the_entry() {
        let (dev, mem) = setup();
        let windows = dev.dma_windows().len();
        let err = |l: &DataList| prp(&mem, l).unwrap_err().to_string();
        let mut l = DataList::new();
        bus(&mut l, 0x10_0002, 512);
        let e = err(&l);
        assert!(
            e.contains("entry 0 at 0x100002 is not dword aligned"),
            "{e}"
        );
        let mut l = DataList::new();
        bus(&mut l, 0x10_0000, 4096);
        bus(&mut l, 0x20_0000, 4096);
        bus(&mut l, 0x30_0200, 512);
        let e = err(&l);
        assert!(
            e.contains("entry 2 at 0x300200 is not page aligned: use SGL or align the buffers"),
            "{e}"
        );
        let mut l = DataList::new();
        bus(&mut l, 0x10_0000, 4000);
        bus(&mut l, 0x20_0000, 4096);
        let e = err(&l);
        assert!(e.contains("entry 0 at 0x100000 ends at 0x100fa0"), "{e}");
        let mut l = DataList::new();
        bus(&mut l, 0x10_0000, 512);
        l.push_bit_bucket(512);
        let e = err(&l);
        assert!(e.contains("entry 1 is a bit bucket"), "{e}");
        assert!(err(&DataList::new()).contains("empty"));
        assert_eq!(dev.dma_windows().len(), windows, "nothing allocated");
    }

    #[test]
    fn zero_length_entries_are_skipped_by_prp() {
        let mut l = DataList::new();
        bus(&mut l, 0x10_0000, 4096);
        bus(&mut l, 0x55_5555, 0);
        bus(&mut l, 0x20_0000, 10);
        assert_eq!(
            prp_pages(l.entries()).unwrap(),
            vec![BusAddr::new(0x10_0000), BusAddr::new(0x20_0000)]
        );
    }

    #[test]
    fn sgl_dptr_inline_and_in_a_list() {
        let (dev, mem) = setup();
        let b = SglBuilder::default();
        let buf = Arc::new(mem.alloc(8192).unwrap());
        let mut one = DataList::new();
        one.push_buffer(&buf, 100, 1000).unwrap();
        let p = sgl(&mem, &one, &b, SglSupport::ByteAligned, false).unwrap();
        assert_eq!(
            p.pointer(),
            DataPointer::Sgl(SglDescriptor::data_block(
                buf.bus_addr_at(100).unwrap(),
                1000
            ))
        );
        assert!(list_buffer(&p).is_none());

        let mut three = DataList::new();
        three.push_buffer(&buf, 0, 512).unwrap();
        three.push_bit_bucket(512);
        three.push_bus(BusAddr::new(0x38_0000_0000), 1024);
        let p = sgl(&mem, &three, &b, SglSupport::ByteAligned, true).unwrap();
        let DataPointer::Sgl(d) = p.pointer() else {
            panic!("SGL expected")
        };
        assert_eq!(d.sgl_type(), SglType::LastSegment);
        assert_eq!(d.length(), 48);
        assert_eq!(d.address(), list_buffer(&p).unwrap().bus_addr());
        // A Read (bit buckets allowed) walks back to the same entries.
        let walked = validate(d, 2048, Opcode::Pull, |a, out: &mut [u8]| {
            dev.dma_read(a, out)
        })
        .map_err(|e| match e {
            SglWalkError::Invalid { violation, .. } => format!("{violation:?}"),
            SglWalkError::Read { addr, .. } => format!("read {addr}"),
        })
        .unwrap();
        assert_eq!(walked, three.entries());
    }

    #[test]
    fn sgl_refusals() {
        let (_dev, mem) = setup();
        let b = SglBuilder::default();
        let mut l = DataList::new();
        l.push_bus(BusAddr::new(0x1000), 512);
        let e = sgl(&mem, &l, &b, SglSupport::None, true).unwrap_err();
        assert!(e.to_string().contains("does not support SGLs"), "{e}");
        l.push_bit_bucket(512);
        let e = sgl(&mem, &l, &b, SglSupport::ByteAligned, false).unwrap_err();
        assert!(e.to_string().contains("entry 1 is a bit bucket"), "{e}");
        let mut l = DataList::new();
        l.push_bus(BusAddr::new(0x1000), 512);
        l.push_bus(BusAddr::new(0x2002), 512);
        sgl(&mem, &l, &b, SglSupport::ByteAligned, false).unwrap();
        let e = sgl(&mem, &l, &b, SglSupport::DwordAligned, false).unwrap_err();
        assert!(
            e.to_string().contains("entry 1 (512 bytes at 0x2002)"),
            "{e}"
        );
        let mut many = DataList::new();
        for i in 0..70_000u64 {
            many.push_bus(BusAddr::new(0x10_0000 + i * 16), 16);
        }
        let e = check_sgl(&many, &b, SglSupport::ByteAligned, false).unwrap_err();
        assert!(
            e.to_string().contains("SGL descriptors for one command"),
            "{e}"
        );
    }
}
