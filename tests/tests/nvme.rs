// SPDX-License-Identifier: MIT OR Apache-2.0
//! The NVMe peer end to end: the project's NVMe host driver (peerbar::nvme) against the
//! simulated controller on the same fabric and IOMMU as the RTL (docs/nvme-peer.md).
//!
//! What users rely on: Identify tells the truth; Read and Write move exactly the bytes asked,
//! with PRPs and with SGLs, into host memory and into BAR2 (peer to peer, through the RTL's
//! completer); every malformed data pointer gets its documented NVMe status and changes
//! nothing; a peer write aimed past BAR2 is caught (the fabric records it, the command fails
//! with Data Transfer Error) and the driver refuses such a range before submitting.

use std::sync::Arc;
use std::time::Duration;

use peerbar::copy::{
    CopyDestination, CopyDirection, CopyError, CopyObserver, CopyOptions, CopyStop, LegFigures,
    P2pCopy, Passes, SizeOption,
};
use peerbar::dma::{
    CompletionMode, DmaEngine, Job, PeerRange, QueueConfig, SglDescriptor, SglType,
};
use peerbar::hostmem::{DataList, DmaBuffer, Held};
use peerbar::nvme::{IoQueue, Nvme, NvmeOptions, NvmeStatus, Psdt, SubmissionEntry, TransferMode};
use peerbar::pattern::Pattern;
use peerbar::{BusAddr, Device, Endpoint};
use peerbar_sim::nvme::{NamespaceBacking, NvmeConfig};
use peerbar_sim::{SimConfig, SimDevice, SimNvme, NVME_ID};

const WAIT: Duration = Duration::from_secs(30);
const LBA: u64 = 512;

struct World {
    sim: SimDevice,
    sim_nvme: SimNvme,
    engine: DmaEngine,
    nvme: Nvme,
    io: IoQueue,
}

fn world(config: NvmeConfig, transfer: TransferMode) -> World {
    let sim = SimDevice::new(SimConfig::default()).expect("simulation");
    let sim_nvme = sim.attach_nvme(config).expect("attach the NVMe controller");
    let endpoint = Endpoint::open_shared(Arc::new(sim.clone())).expect("endpoint");
    let engine = endpoint.dma().expect("engine");
    engine.enable().expect("enable engine");
    let nvme = Nvme::open(
        Arc::new(sim_nvme.clone()),
        engine.memory().clone(),
        NvmeOptions {
            transfer,
            ..NvmeOptions::default()
        },
    )
    .expect("NVMe bring-up");
    let io = nvme.io_queue().expect("I/O queue");
    World {
        sim,
        sim_nvme,
        engine,
        nvme,
        io,
    }
}

fn small_ssd() -> NvmeConfig {
    NvmeConfig {
        namespace: NamespaceBacking::Memory { bytes: 8 << 20 },
        latency_cycles: 200,
        ..NvmeConfig::default()
    }
}

impl World {
    fn buffer(&self, len: usize) -> Arc<DmaBuffer> {
        Arc::new(self.engine.memory().alloc(len).expect("DMA buffer"))
    }

    fn namespace(&self, offset: u64, len: usize) -> Vec<u8> {
        let mut v = vec![0u8; len];
        self.sim_nvme
            .namespace_read(offset, &mut v)
            .expect("namespace");
        v
    }
}

#[test]
fn identify_reports_the_controller_and_namespace_as_configured() {
    let w = world(
        NvmeConfig {
            namespace: NamespaceBacking::Memory { bytes: 4 << 20 },
            lba_size: 4096,
            serial: "PB-SERIAL-7".into(),
            model: "peerbar test SSD".into(),
            ..NvmeConfig::default()
        },
        TransferMode::Auto,
    );
    let c = w.nvme.controller();
    assert_eq!(c.serial, "PB-SERIAL-7");
    assert_eq!(c.model, "peerbar test SSD");
    assert_eq!(c.mdts_bytes, Some(1 << 20));
    assert_eq!(c.sgl, peerbar::nvme::SglSupport::ByteAligned);
    assert_eq!(w.io.transfer_mode(), TransferMode::Sgl);
    let ns = w.nvme.namespace();
    assert_eq!((ns.lba_size, ns.lba_count), (4096, 1024));

    let prp_only = world(
        NvmeConfig {
            sgl: false,
            ..small_ssd()
        },
        TransferMode::Auto,
    );
    assert_eq!(
        prp_only.nvme.controller().sgl,
        peerbar::nvme::SglSupport::None
    );
    assert_eq!(prp_only.io.transfer_mode(), TransferMode::Prp);
}

/// Write then Read through host buffers, scattered over three pieces, with PRPs and with SGLs;
/// the namespace holds exactly the bytes written and nothing around them changed.
#[test]
fn read_and_write_host_buffers_with_prp_and_with_sgl() {
    for transfer in [TransferMode::Prp, TransferMode::Sgl] {
        let w = world(small_ssd(), transfer);
        let pattern = Pattern::new(5, 512);
        let lba = 40;
        let len = 96 * 1024;
        let at = lba * LBA;
        // Page-shaped pieces (what PRPs can express): 8 KiB + 64 KiB + 24 KiB.
        let src = w.buffer(len);
        src.write(0, &pattern.bytes(at, len)).unwrap();
        let mut list = DataList::new();
        list.push_buffer(&src, 0, 8192).unwrap();
        list.push_buffer(&src, 8192, 65536).unwrap();
        list.push_buffer(&src, 73728, 24576).unwrap();
        w.io.write(lba, &list)
            .unwrap()
            .wait(WAIT)
            .unwrap()
            .check()
            .unwrap();
        let stored = w.namespace(at - 4096, len + 8192);
        assert!(
            stored[..4096].iter().all(|&b| b == 0),
            "{transfer:?}: before"
        );
        pattern
            .verify(at, &stored[4096..4096 + len])
            .unwrap_or_else(|m| panic!("{transfer:?}: namespace: {m}"));
        assert!(
            stored[4096 + len..].iter().all(|&b| b == 0),
            "{transfer:?}: after"
        );

        let dst = w.buffer(len + 8192);
        dst.fill(0, len + 8192, 0xa5).unwrap();
        let mut back = DataList::new();
        back.push_buffer(&dst, 4096, len as u32).unwrap();
        let c =
            w.io.read(lba, &back)
                .unwrap()
                .wait(WAIT)
                .unwrap()
                .check()
                .unwrap();
        assert!(c.status.is_success());
        let got = dst.to_vec();
        assert!(got[..4096].iter().all(|&b| b == 0xa5), "{transfer:?}");
        pattern
            .verify(at, &got[4096..4096 + len])
            .unwrap_or_else(|m| panic!("{transfer:?}: read back: {m}"));
        assert!(got[4096 + len..].iter().all(|&b| b == 0xa5), "{transfer:?}");
        w.io.flush().unwrap().wait(WAIT).unwrap().check().unwrap();
        assert!(w.sim.faults().is_empty(), "{:?}", w.sim.faults());
    }
}

/// SGLs express what PRPs cannot: byte-aligned pieces, and a bit bucket on a Read.
#[test]
fn sgl_reads_take_unaligned_pieces_and_bit_buckets() {
    let w = world(small_ssd(), TransferMode::Sgl);
    let pattern = Pattern::new(9, 512);
    w.sim_nvme
        .namespace_write(0, &pattern.bytes(0, 8192))
        .unwrap();
    let dst = w.buffer(16384);
    let mut list = DataList::new();
    list.push_buffer(&dst, 3, 1000).unwrap(); // bytes 0..1000
    list.push_bit_bucket(1048); // bytes 1000..2048 dropped
    list.push_buffer(&dst, 5001, 6144).unwrap(); // bytes 2048..8192
    w.io.read(0, &list)
        .unwrap()
        .wait(WAIT)
        .unwrap()
        .check()
        .unwrap();
    let got = dst.to_vec();
    pattern.verify(0, &got[3..1003]).unwrap();
    pattern.verify(2048, &got[5001..5001 + 6144]).unwrap();
    assert!(got[..3].iter().all(|&b| b == 0));
    assert!(
        got[1003..5001].iter().all(|&b| b == 0),
        "the bit bucket's bytes landed"
    );
    assert!(got[5001 + 6144..].iter().all(|&b| b == 0));
}

/// The mission's data path, several MiB each way: host -> (engine PULL) -> BAR2 -> (NVMe
/// Write, the controller reading BAR2 peer to peer) -> namespace, and namespace -> (NVMe Read,
/// the controller writing BAR2 peer to peer) -> BAR2 -> (engine PUSH) -> host. Every chunk's
/// CRC is checked in BAR2 by the engine, every byte compared at the end.
#[test]
fn multi_mib_through_bar2_both_ways_with_prp_and_sgl() {
    for transfer in [TransferMode::Sgl, TransferMode::Prp] {
        let w = world(
            NvmeConfig {
                namespace: NamespaceBacking::Memory { bytes: 16 << 20 },
                ..small_ssd()
            },
            transfer,
        );
        let queue = w.engine.create_queue(QueueConfig::new(0)).unwrap();
        let pattern = Pattern::new(21, 512);
        let total = 3 << 20;
        let chunk = 256 * 1024;
        let first_lba = 2048;
        let slot = Arc::new(w.engine.peer_memory().alloc(chunk, 4096).unwrap());
        let host = w.buffer(chunk as usize);
        let peer = || PeerRange::whole(&slot).unwrap();
        let host_list = || {
            let mut l = DataList::new();
            l.push_buffer(&host, 0, chunk as u32).unwrap();
            peerbar::dma::Sgl::List(l)
        };
        let mut slot_list = DataList::new();
        slot_list.push_peer(&slot, 0, chunk as u32).unwrap();
        let stats0 = w.sim.stats();
        for i in 0..total / chunk {
            let at = first_lba * LBA + i * chunk;
            let lba = at / LBA;
            host.write(0, &pattern.bytes(at, chunk as usize)).unwrap();
            let run = |job| {
                queue
                    .submit(job)
                    .unwrap()
                    .wait(WAIT)
                    .unwrap()
                    .check()
                    .unwrap()
            };
            run(Job::Pull {
                peer: peer(),
                list: host_list(),
            });
            let crc = run(Job::Checksum { peer: peer() }).result;
            assert_eq!(crc, crc32c::crc32c(&pattern.bytes(at, chunk as usize)));
            w.io.write(lba, &slot_list)
                .unwrap()
                .wait(WAIT)
                .unwrap()
                .check()
                .unwrap();
        }
        pattern
            .verify(
                first_lba * LBA,
                &w.namespace(first_lba * LBA, total as usize),
            )
            .unwrap_or_else(|m| panic!("{transfer:?}: namespace after the P2P writes: {m}"));
        for i in 0..total / chunk {
            let at = first_lba * LBA + i * chunk;
            host.fill(0, chunk as usize, 0).unwrap();
            slot.write(0, &vec![0u8; chunk as usize]).unwrap();
            w.io.read(at / LBA, &slot_list)
                .unwrap()
                .wait(WAIT)
                .unwrap()
                .check()
                .unwrap();
            let run = |job| {
                queue
                    .submit(job)
                    .unwrap()
                    .wait(WAIT)
                    .unwrap()
                    .check()
                    .unwrap()
            };
            let crc = run(Job::Checksum { peer: peer() }).result;
            assert_eq!(
                crc,
                crc32c::crc32c(&pattern.bytes(at, chunk as usize)),
                "{transfer:?} chunk {i}"
            );
            run(Job::Push {
                peer: peer(),
                list: host_list(),
            });
            pattern
                .verify(at, &host.to_vec()[..chunk as usize])
                .unwrap_or_else(|m| panic!("{transfer:?}: host after NVMe -> BAR2 -> PUSH: {m}"));
        }
        let stats = w.sim.stats();
        // Real TLPs through the RTL's completer: MemWr of at most MPS (256) bytes for the
        // NVMe Reads, MemRd of at most MRRS (512) bytes for the NVMe Writes.
        assert!(stats.nvme_p2p_writes - stats0.nvme_p2p_writes >= total / 256);
        assert!(stats.nvme_p2p_reads - stats0.nvme_p2p_reads >= total / 512);
        assert!(w.sim.faults().is_empty(), "{:?}", w.sim.faults());
    }
}

/// A raw Read or Write of `blocks` at LBA 0 with `dptr`, its segment memory in `list`.
fn raw(write: bool, blocks: u32, psdt: Psdt) -> SubmissionEntry {
    let mut e = SubmissionEntry::read_write(write, 1, 0, blocks);
    e.set_psdt(psdt);
    e
}

fn sgl_entry(write: bool, blocks: u32, dptr: SglDescriptor) -> SubmissionEntry {
    let mut e = raw(write, blocks, Psdt::SglContiguousMetadata);
    e.set_sgl(dptr);
    e
}

/// Every malformed data pointer class gets the status of docs/nvme-peer.md (with DNR), moves
/// nothing (the data buffer and the namespace stay as they were), and the queue goes on.
#[test]
fn malformed_data_pointers_get_their_nvme_status_and_change_nothing() {
    let w = world(small_ssd(), TransferMode::Sgl);
    let list = w.buffer(8192);
    let data = w.buffer(16384);
    let l = list.bus_addr().get();
    let d = data.bus_addr().get();
    let desc = |ty: SglType, addr: u64, len: u32| SglDescriptor::new(ty, BusAddr::new(addr), len);
    let with_subtype = |ty: SglType, addr: u64, len: u32, subtype: u8| {
        SglDescriptor::with_identifier((ty.nibble() << 4) | subtype, BusAddr::new(addr), len)
    };
    let data_block = |off: u64, len: u32| desc(SglType::DataBlock, d + off, len);
    let sgl_memory = |descs: Vec<SglDescriptor>| -> Vec<u8> {
        descs.iter().flat_map(|x| x.to_bytes()).collect()
    };
    // (name, entry, the list memory at `l`, expected SC; SCT 0 and DNR always)
    type Case = (&'static str, SubmissionEntry, Vec<u8>, u8);
    let mut cases: Vec<Case> = Vec::new();
    let mut sgl = |name, write, blocks, dptr, list: Vec<SglDescriptor>, sc| {
        cases.push((name, sgl_entry(write, blocks, dptr), sgl_memory(list), sc));
    };
    sgl(
        "bit bucket in DPTR",
        false,
        1,
        desc(SglType::BitBucket, 0, 512),
        vec![],
        0x0d,
    );
    sgl(
        "keyed data block in DPTR",
        false,
        1,
        desc(SglType::KeyedDataBlock, d, 512),
        vec![],
        0x0d,
    );
    sgl(
        "non-zero subtype in DPTR",
        false,
        1,
        with_subtype(SglType::DataBlock, d, 512, 1),
        vec![],
        0x0d,
    );
    sgl(
        "segment of length 0",
        false,
        1,
        desc(SglType::LastSegment, l, 0),
        vec![],
        0x0d,
    );
    sgl(
        "segment length not a multiple of 16",
        false,
        1,
        desc(SglType::LastSegment, l, 24),
        vec![data_block(0, 512), data_block(512, 0)],
        0x0d,
    );
    sgl(
        "segment address not 8-byte aligned",
        false,
        1,
        desc(SglType::LastSegment, l + 4, 16),
        vec![],
        0x0d,
    );
    sgl(
        "last segment ending in a segment descriptor",
        false,
        2,
        desc(SglType::LastSegment, l, 32),
        vec![data_block(0, 512), desc(SglType::Segment, l + 4096, 16)],
        0x0d,
    );
    sgl(
        "segment descriptor not last",
        false,
        2,
        desc(SglType::LastSegment, l, 32),
        vec![
            desc(SglType::LastSegment, l + 4096, 16),
            data_block(0, 1024),
        ],
        0x0e,
    );
    sgl(
        "data shorter than the transfer",
        false,
        2,
        desc(SglType::LastSegment, l, 16),
        vec![data_block(0, 512)],
        0x0f,
    );
    sgl(
        "data longer than the transfer",
        false,
        1,
        data_block(0, 1024),
        vec![],
        0x0f,
    );
    sgl(
        "data block address overflows",
        false,
        1,
        desc(SglType::LastSegment, l, 32),
        vec![
            desc(SglType::DataBlock, u64::MAX - 100, 256),
            data_block(0, 256),
        ],
        0x0f,
    );
    sgl(
        "reserved type in a list",
        false,
        1,
        desc(SglType::LastSegment, l, 16),
        vec![desc(SglType::Reserved(6), d, 512)],
        0x11,
    );
    sgl(
        "keyed data block in a list",
        false,
        1,
        desc(SglType::LastSegment, l, 16),
        vec![desc(SglType::KeyedDataBlock, d, 512)],
        0x11,
    );
    sgl(
        "non-zero subtype in a list",
        false,
        1,
        desc(SglType::LastSegment, l, 16),
        vec![with_subtype(SglType::DataBlock, d, 512, 2)],
        0x11,
    );
    sgl(
        "bit bucket in a Write",
        true,
        1,
        desc(SglType::LastSegment, l, 32),
        vec![data_block(0, 256), desc(SglType::BitBucket, 0, 256)],
        0x11,
    );
    let mut prp = |name, write, blocks, prp1: u64, prp2: u64, list: Vec<u64>| {
        let mut e = raw(write, blocks, Psdt::Prp);
        e.set_prp(BusAddr::new(prp1), BusAddr::new(prp2));
        let memory = list.iter().flat_map(|a| a.to_le_bytes()).collect();
        cases.push((name, e, memory, 0x13));
    };
    prp("PRP1 not dword aligned", false, 1, d + 2, 0, vec![]);
    // 4 KiB from the middle of a page: two pages, PRP2 is the second page itself.
    prp(
        "PRP2 (second page) not page aligned",
        true,
        8,
        d + 2048,
        d + 4096 + 512,
        vec![],
    );
    // 12 KiB from a page start: three pages, PRP2 points to a list of the other two.
    prp(
        "PRP list entry not page aligned",
        false,
        24,
        d,
        l,
        vec![d + 4096, d + 8192 + 8],
    );

    let pattern = Pattern::new(77, 512);
    w.sim_nvme
        .namespace_write(0, &pattern.bytes(0, 16384))
        .unwrap();
    for (name, entry, memory, sc) in cases {
        list.fill(0, 8192, 0).unwrap();
        list.write(0, &memory).unwrap();
        data.fill(0, 16384, 0x3c).unwrap();
        let c =
            w.io.submit_raw(
                entry,
                vec![
                    Held::Buffer(Arc::clone(&list)),
                    Held::Buffer(Arc::clone(&data)),
                ],
            )
            .unwrap()
            .wait(WAIT)
            .unwrap();
        assert_eq!(
            c.status,
            NvmeStatus::new(0, sc, true),
            "{name}: got {}",
            c.status
        );
        assert!(
            data.to_vec().iter().all(|&b| b == 0x3c),
            "{name}: the data buffer changed"
        );
        pattern
            .verify(0, &w.namespace(0, 16384))
            .unwrap_or_else(|m| panic!("{name}: the namespace changed: {m}"));
        // The queue goes on: a good Read right after.
        let mut ok = DataList::new();
        ok.push_buffer(&data, 0, 512).unwrap();
        w.io.read(3, &ok)
            .unwrap()
            .wait(WAIT)
            .unwrap()
            .check()
            .unwrap();
        pattern.verify(3 * 512, &data.to_vec()[..512]).unwrap();
    }
    assert!(w.sim.faults().is_empty(), "{:?}", w.sim.faults());
}

/// A Read whose data pointer runs past the end of BAR2: the part inside lands, the rest is a
/// DMA the fabric refuses and records (requester = the NVMe function), and the command fails
/// with Data Transfer Error. The driver itself refuses a BAR2 slice range past the slice.
#[test]
fn a_p2p_write_past_bar2_is_caught_and_reported() {
    let w = world(small_ssd(), TransferMode::Sgl);
    let pattern = Pattern::new(3, 512);
    w.sim_nvme
        .namespace_write(0, &pattern.bytes(0, 8192))
        .unwrap();
    let bar2 = w.engine.peer_memory();
    let bar2_end = bar2.bus_base().get() + bar2.bar_len();

    let mut list = DataList::new();
    list.push_bus(BusAddr::new(bar2_end - 512), 4096);
    let c = w.io.read(0, &list).unwrap().wait(WAIT).unwrap();
    assert_eq!((c.status.sct, c.status.sc), (0, 0x04), "{}", c.status);
    let err = c.check().unwrap_err().to_string();
    assert!(err.contains("Data Transfer Error"), "{err}");
    let faults = w.sim.take_faults();
    assert!(!faults.is_empty(), "no fault recorded");
    assert!(
        faults.iter().all(|f| f.requester_id == NVME_ID
            && f.address >= bar2_end
            && f.address < bar2_end + 3584),
        "{faults:?}"
    );

    // Through the driver's typed path the same mistake never leaves the host.
    let slot = Arc::new(bar2.alloc(4096, 4096).unwrap());
    let mut bad = DataList::new();
    assert!(bad.push_peer(&slot, 512, 4096).is_err());
    // The queue and the fabric are fine afterwards.
    let mut ok = DataList::new();
    ok.push_peer(&slot, 0, 4096).unwrap();
    w.io.read(0, &ok)
        .unwrap()
        .wait(WAIT)
        .unwrap()
        .check()
        .unwrap();
    let mut got = vec![0u8; 4096];
    slot.read(0, &mut got).unwrap();
    pattern.verify(0, &got).unwrap();
    assert!(w.sim.faults().is_empty());
    let _ = w.sim_nvme.describe();
}

/// The controller's MSI-X: with MSI-X enabled (the table programmed as the OS would), an admin
/// completion raises vector 0 (the admin CQ always interrupts); with the vector masked in the
/// table nothing arrives, and the command still completes (the driver polls).
#[test]
fn admin_completions_raise_msix_vector_0_unless_masked() {
    let w = world(small_ssd(), TransferMode::Auto);
    let irq = w.sim_nvme.enable_msix(2).expect("MSI-X");
    let identify = |w: &World| {
        let buf = w.buffer(4096);
        let e = SubmissionEntry::identify(1, 0, buf.bus_addr());
        w.nvme
            .submit_admin_raw(e, vec![Held::Buffer(buf)])
            .unwrap()
            .wait(WAIT)
            .unwrap()
            .check()
            .unwrap();
    };
    identify(&w);
    assert_eq!(
        irq.recv_timeout(WAIT),
        Ok(0),
        "no interrupt for the admin completion"
    );
    assert!(
        irq.try_recv().is_err(),
        "more than one interrupt for one completion"
    );

    // Mask vector 0 (Vector Control bit 0 of table entry 0), as the OS would.
    let control = peerbar::BarOffset::new(
        peerbar_sim::nvme::MSIX_TABLE_OFFSET + peerbar_sim::nvme::MSIX_VECTOR_CONTROL,
    );
    w.sim_nvme
        .bar_write32(peerbar::BarIndex::BAR0, control, 1)
        .unwrap();
    identify(&w);
    assert!(
        irq.recv_timeout(Duration::from_millis(200)).is_err(),
        "an interrupt arrived on a masked vector"
    );
}

/// Counts what the copy reports while a leg runs.
#[derive(Default)]
struct CountingObserver {
    chunks: u64,
    bytes: u64,
}

impl CopyObserver for CountingObserver {
    fn chunk_done(&mut self, _leg: &'static str, bytes: u64) {
        self.chunks += 1;
        self.bytes += bytes;
    }
}

#[test]
fn the_library_copy_goes_to_the_ssd_and_back_through_bar2_and_names_damaged_data() {
    let w = world(small_ssd(), TransferMode::Sgl);
    let queue = w
        .engine
        .create_queue(QueueConfig {
            mode: CompletionMode::Polling,
            ..QueueConfig::new(0)
        })
        .expect("queue");
    let options = CopyOptions {
        size: 256 << 10,
        chunk: 64 << 10,
        depth: 2,
        direction: CopyDirection::Both,
        destination: CopyDestination::Host,
        first_lba: 8,
        seed: 5,
        verify: true,
        timeout: WAIT,
    };
    let odd = CopyOptions {
        chunk: 1000,
        ..options.clone()
    };
    match P2pCopy::new(&w.engine, &queue, &w.nvme, &w.io, odd) {
        Err(CopyError::NotWholeLbas {
            what: SizeOption::Chunk,
            value: 1000,
            lba_size: LBA,
        }) => {}
        Err(e) => panic!("wrong refusal: {e}"),
        Ok(_) => panic!("a chunk of 1000 bytes was accepted on 512-byte LBAs"),
    }

    let mut copy = P2pCopy::new(&w.engine, &queue, &w.nvme, &w.io, options).expect("copy");
    assert_eq!(
        copy.leg_names(),
        ["host -> BAR2 -> NVMe", "NVMe -> BAR2 -> host"]
    );
    assert_eq!((copy.depth(), copy.transfer()), (2, "SGL"));
    for leg in 0..2 {
        let mut figures = LegFigures::default();
        let mut seen = CountingObserver::default();
        let stop = copy.run_leg(leg, &mut figures, &mut seen).expect("leg");
        assert_eq!(stop, None, "leg {leg}");
        assert_eq!(
            (figures.chunks, figures.bytes, figures.checksums),
            (4, 256 << 10, 4)
        );
        assert_eq!((seen.chunks, seen.bytes), (4, 256 << 10));
        assert_eq!(figures.latencies_ms.len(), 4);
        // Only the way back compares the bytes end to end.
        assert_eq!(figures.compared, if leg == 1 { 256 << 10 } else { 0 });
    }
    let expected = Pattern::new(5, 512).bytes(8 * LBA, 256 << 10);
    assert!(w.namespace(8 * LBA, 256 << 10) == expected, "namespace");

    // Damage one byte of the third chunk on the SSD: the way back stops at its PUSH's CRC.
    let at = 8 * LBA + (128 << 10) + 77;
    w.sim_nvme
        .namespace_write(at, &[!expected[(128 << 10) + 77]])
        .unwrap();
    let mut figures = LegFigures::default();
    let stop = copy
        .run_leg(1, &mut figures, &mut CountingObserver::default())
        .expect("leg");
    match stop {
        Some(CopyStop::Mismatch(m)) => {
            assert!(m.starts_with("CRC32C of the PUSH of chunk 2 "), "{m}")
        }
        other => panic!("damaged data not reported: {other:?}"),
    }

    // run: every leg in order, once (the way out writes the pattern again over the damage).
    let mut seen = CountingObserver::default();
    let run = copy.run(Passes::Once, &mut seen).expect("run");
    assert_eq!((run.passes, run.stop, run.stopped), (1, None, false));
    let legs: Vec<&str> = run.legs.iter().map(|(name, _)| *name).collect();
    assert_eq!(legs, copy.leg_names());
    assert!(run.legs.iter().all(|(_, f)| f.chunks == 4));
    assert_eq!(seen.chunks, 8);
    // Asked to stop before it starts, it runs no leg.
    let run = copy.run(Passes::UntilStopped, &mut Stopped).expect("run");
    assert!(run.stopped && run.legs.is_empty() && run.passes == 0);
}

/// Asks the copy to stop at once.
struct Stopped;

impl CopyObserver for Stopped {
    fn stop_requested(&self) -> bool {
        true
    }
}
