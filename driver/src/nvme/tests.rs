// SPDX-License-Identifier: MIT OR Apache-2.0
//! Controller and queue tests against the fake controller in [`super::fake`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::address::{BarIndex, BusAddr};
use crate::device::Device;
use crate::dma::wire::{SglDescriptor, SglType};
use crate::error::Error;
use crate::hostmem::{DataList, Held};
use crate::nvme::fake::{nvme_function, Behaviour, FakeNvme, FAKE_NVME_BAR0, FAKE_NVME_BAR0_LEN};
use crate::nvme::regs;
use crate::nvme::wire::{admin_opcode, Psdt, SubmissionEntry};
use crate::nvme::{CommandRef, NvmeError, Step};
use crate::nvme::{Nvme, NvmeOptions, NvmeStatus, NvmeVersion, SglSupport, TransferMode};

const WAIT: Duration = Duration::from_secs(5);

fn open_with(fake: &FakeNvme, options: NvmeOptions) -> crate::error::Result<Nvme> {
    Nvme::open(
        fake.dev.clone() as Arc<dyn Device>,
        fake.memory.clone(),
        options,
    )
}

fn open(fake: &FakeNvme) -> Nvme {
    open_with(fake, NvmeOptions::default()).unwrap()
}

fn quick() -> NvmeOptions {
    NvmeOptions {
        timeout: Duration::from_millis(300),
        ..NvmeOptions::default()
    }
}

/// Polls `cond` for up to 5 s.
fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_micros(200));
    }
}

#[test]
fn open_brings_the_controller_up_and_drop_shuts_it_down() {
    let fake = FakeNvme::start(Behaviour::default());
    let nvme = open(&fake);
    let info = nvme.controller();
    assert_eq!((info.vid, info.ssvid), (0x10ee, 0x10ee));
    assert_eq!(info.serial, "FAKE0001");
    assert_eq!(info.model, "peerbar fake nvme");
    assert_eq!(info.firmware, "0.1");
    assert_eq!(
        info.version,
        NvmeVersion {
            major: 1,
            minor: 4,
            tertiary: 0
        }
    );
    assert_eq!(info.mdts_bytes, Some(32 * 4096));
    assert_eq!(info.sgl, SglSupport::ByteAligned);
    assert!(info.sgl_bit_bucket);
    assert_eq!(info.namespaces, 1);
    assert_eq!(info.max_queue_entries, 1024);
    assert_eq!(info.io_queues, 4, "granted 4 of the 8 asked for");
    assert_eq!(info.transfer, TransferMode::Sgl);
    assert_eq!(info.cmb, None);
    assert_eq!(info.doorbell_stride, 4);
    assert_eq!(info.ready_timeout, Duration::from_millis(500));
    let ns = *nvme.namespace();
    assert_eq!((ns.nsid, ns.lba_size, ns.lba_count), (1, 512, 512));
    assert_eq!(ns.bytes(), 256 * 1024);

    // Registers as the driver left them.
    assert_eq!(fake.reg(regs::CC_OFFSET), 1 | (6 << 16) | (4 << 20));
    assert_eq!(fake.reg(regs::AQA_OFFSET), 31 | (31 << 16));
    let asq =
        u64::from(fake.reg(regs::ASQ_OFFSET)) | (u64::from(fake.reg(regs::ASQ_OFFSET + 4)) << 32);
    assert!(asq != 0 && asq % 4096 == 0);
    assert_eq!(
        fake.dev.config_read16(0x04).unwrap() & 0b110,
        0b110,
        "memory + bus master"
    );
    assert_eq!(
        fake.admin_log(),
        vec![
            admin_opcode::IDENTIFY,
            admin_opcode::IDENTIFY,
            admin_opcode::IDENTIFY,
            admin_opcode::SET_FEATURES
        ]
    );
    assert_eq!(
        fake.set_features(),
        Some((7 << 16) | 7),
        "8 SQs and 8 CQs, 0-based"
    );

    // The controller's BAR0 is out of the IOVA allocator's reach.
    let bar0 = FAKE_NVME_BAR0..FAKE_NVME_BAR0 + FAKE_NVME_BAR0_LEN;
    for r in fake.memory.iova_allocator().free_ranges() {
        assert!(
            r.end <= bar0.start || r.start >= bar0.end,
            "{r:x?} overlaps BAR0"
        );
    }
    let bufs: Vec<_> = (0..40).map(|_| fake.memory.alloc(4096).unwrap()).collect();
    assert!(bufs.iter().all(|b| !bar0.contains(&b.bus_addr().get())));
    assert!(
        bufs.iter().any(|b| b.bus_addr().get() > bar0.end),
        "allocated past BAR0"
    );
    drop(bufs);

    assert_eq!(fake.shutdowns(), 0);
    drop(nvme);
    assert_eq!(fake.shutdowns(), 1, "CC.SHN notified");
    assert_eq!(fake.reg(regs::CC_OFFSET) & 1, 0, "CC.EN = 0");
    assert_eq!(fake.reg(regs::CSTS_OFFSET) & 1, 0, "CSTS.RDY = 0");
    assert!(
        fake.dma.dma_windows().is_empty(),
        "admin rings and Identify pages unmapped"
    );
}

#[test]
fn a_function_that_is_not_nvme_is_refused_by_class_code() {
    let dev = nvme_function(Behaviour::default().cap);
    dev.poke_config(0x09, &[0x00, 0x80, 0x05]);
    let memory = crate::hostmem::DmaMemory::new(Arc::new(nvme_function(0))).unwrap();
    let err = Nvme::open(Arc::new(dev), memory, NvmeOptions::default()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Nvme(NvmeError::NotNvme {
                class: 0x05_80_00,
                ..
            })
        ),
        "{err}"
    );
    let msg = err.to_string();
    assert!(msg.contains("058000h") && msg.contains("010802h"), "{msg}");
}

#[test]
fn page_size_and_options_are_checked_before_enabling() {
    let fake = FakeNvme::start(Behaviour {
        cap: Behaviour::default().cap | 1 << 48, // MPSMIN 1: 8 KiB pages minimum
        ..Behaviour::default()
    });
    let err = open_with(&fake, NvmeOptions::default()).unwrap_err();
    assert!(
        matches!(err, Error::Nvme(NvmeError::Unsupported { .. })),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("4 KiB memory pages are not supported"),
        "{err}"
    );
    assert_eq!(fake.reg(regs::CC_OFFSET), 0, "CC never written");

    let fake = FakeNvme::start(Behaviour::default());
    for (options, name) in [
        (
            NvmeOptions {
                admin_entries: 1,
                ..quick()
            },
            "admin_entries",
        ),
        (
            NvmeOptions {
                admin_entries: 4097,
                ..quick()
            },
            "admin_entries",
        ),
        (
            NvmeOptions {
                io_entries: 1,
                ..quick()
            },
            "io_entries",
        ),
        (
            NvmeOptions {
                io_queues: 0,
                ..quick()
            },
            "io_queues",
        ),
    ] {
        let err = open_with(&fake, options).unwrap_err();
        assert!(
            matches!(err, Error::Nvme(NvmeError::InvalidOption { option, .. }) if option == name),
            "{err}"
        );
    }
    assert_eq!(fake.reg(regs::CC_OFFSET), 0);
}

#[test]
fn a_controller_that_never_gets_ready_times_out_and_is_left_disabled() {
    let fake = FakeNvme::start(Behaviour {
        becomes_ready: false,
        cap: Behaviour::default().cap & !(0xff << 24), // CAP.TO = 0: the options' timeout bounds the wait
        ..Behaviour::default()
    });
    let started = Instant::now();
    let err = open_with(&fake, quick()).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        matches!(err, Error::Nvme(NvmeError::Timeout { .. })),
        "{err}"
    );
    let msg = err.to_string();
    assert!(
        msg.contains("CSTS.RDY = 1 after enabling") && msg.contains("300ms"),
        "{msg}"
    );
    assert_eq!(fake.reg(regs::CC_OFFSET) & 1, 0, "disabled again");
    assert!(fake.dma.dma_windows().is_empty(), "admin rings freed");
}

#[test]
fn fatal_status_on_enable_is_reported() {
    let b = Behaviour {
        fatal_on_enable: true,
        ..Behaviour::default()
    };
    let fake = FakeNvme::start(b);
    let err = open_with(&fake, quick()).unwrap_err();
    assert!(
        matches!(err, Error::Nvme(NvmeError::ControllerFatal { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("CSTS.CFS"), "{err}");
    assert_eq!(fake.reg(regs::CC_OFFSET) & 1, 0);
}

#[test]
fn inactive_namespace_and_forced_sgl_are_refused() {
    let b = Behaviour {
        lba_count: 0,
        ..Behaviour::default()
    };
    let fake = FakeNvme::start(b);
    let err = open_with(&fake, quick()).unwrap_err();
    assert!(
        err.to_string().contains("namespace 1 is not active"),
        "{err}"
    );

    let b = Behaviour {
        sgls: 0,
        ..Behaviour::default()
    };
    let fake = FakeNvme::start(b);
    let err = open_with(
        &fake,
        NvmeOptions {
            transfer: TransferMode::Sgl,
            ..quick()
        },
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::Nvme(NvmeError::Unsupported { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("does not support SGLs"), "{err}");
    let nvme = open_with(&fake, quick()).unwrap();
    assert_eq!(
        nvme.controller().transfer,
        TransferMode::Prp,
        "Auto falls back to PRP"
    );
    assert_eq!(nvme.controller().sgl, SglSupport::None);
}

#[test]
fn a_namespace_of_another_command_set_or_number_is_refused_at_open() {
    // Zoned (CSI 02h): driven as NVM, every write would fail with Zone Invalid Write.
    let fake = FakeNvme::start(Behaviour {
        csi: Some(0x02),
        ..Behaviour::default()
    });
    let err = open_with(&fake, quick()).unwrap_err();
    assert!(
        matches!(err, Error::Nvme(NvmeError::Unsupported { .. })),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("namespace 1 uses the Zoned Namespace command set (CSI 02h)"),
        "{text}"
    );
    assert_eq!(
        fake.reg(regs::CC_OFFSET) & 1,
        0,
        "the controller is left disabled"
    );

    // No descriptor list (Invalid Field for CNS 03h): an older controller, taken as NVM.
    let fake = FakeNvme::start(Behaviour {
        csi: None,
        ..Behaviour::default()
    });
    assert_eq!(open_with(&fake, quick()).unwrap().namespace().nsid, 1);

    // A namespace number the controller does not have, and ones that name no namespace.
    let fake = FakeNvme::start(Behaviour::default());
    let err = open_with(&fake, NvmeOptions { nsid: 2, ..quick() }).unwrap_err();
    assert!(
        err.to_string().contains("namespace 2 does not exist"),
        "{err}"
    );
    for nsid in [0, u32::MAX] {
        let err = open_with(&fake, NvmeOptions { nsid, ..quick() }).unwrap_err();
        assert!(
            matches!(err, Error::Nvme(NvmeError::InvalidOption { .. })),
            "{err}"
        );
    }
}

#[test]
fn io_queues_are_created_cq_first_and_deleted_sq_first() {
    let fake = FakeNvme::start(Behaviour::default());
    let nvme = open(&fake);
    let queues: Vec<_> = (0..4).map(|_| nvme.io_queue().unwrap()).collect();
    assert_eq!(
        queues.iter().map(|q| q.id()).collect::<Vec<_>>(),
        vec![1, 2, 3, 4]
    );
    assert_eq!(queues[0].entries(), 256);
    let err = nvme.io_queue().unwrap_err();
    assert!(
        matches!(err, Error::Nvme(NvmeError::NoIoQueue { granted: 4 })),
        "{err}"
    );
    assert_eq!(fake.queues(), (vec![1, 2, 3, 4], vec![1, 2, 3, 4]));
    let log = fake.admin_log();
    assert_eq!(
        &log[4..],
        &[5, 1, 5, 1, 5, 1, 5, 1],
        "Create I/O CQ before Create I/O SQ"
    );
    let mut queues = queues.into_iter();
    let q1 = queues.next().unwrap();
    let q2 = queues.next().unwrap();
    let shared = q2.clone();
    drop(q2);
    assert_eq!(fake.queues().0.len(), 4, "a clone keeps the queue");
    drop(shared);
    assert_eq!(&fake.admin_log()[12..], &[0, 4], "Delete I/O SQ, then CQ");
    assert_eq!(fake.queues(), (vec![1, 3, 4], vec![1, 3, 4]));
    assert_eq!(nvme.io_queue().unwrap().id(), 2, "the id is free again");
    drop(q1);
}

#[test]
fn a_refused_create_releases_the_queue_id() {
    let b = Behaviour {
        queues_granted: 2,
        ..Behaviour::default()
    };
    let fake = FakeNvme::start(b);
    let nvme = open(&fake);
    // Create a CQ with id 1 behind the driver's back: its Create I/O CQ will be refused.
    let t = nvme
        .submit_admin_raw(
            SubmissionEntry::create_io_cq(1, 16, fake.memory.alloc(4096).unwrap().bus_addr()),
            Vec::new(),
        )
        .unwrap();
    t.wait(WAIT).unwrap().check().unwrap();
    let err = nvme.io_queue().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Nvme(NvmeError::Command {
                command: "Create I/O CQ",
                status: NvmeStatus { sct: 1, sc: 1, .. },
                ..
            })
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("Invalid Queue Identifier (SCT 1h, SC 01h, DNR)"),
        "{err}"
    );
    // Id 1 is free again: the next attempt fails the same way, and id 2 is never claimed.
    assert!(nvme.io_queue().is_err());
    assert_eq!(fake.queues().0, Vec::<u16>::new());
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn sgl_write_then_read_moves_the_bytes_the_list_names() {
    let fake = FakeNvme::start(Behaviour::default());
    let nvme = open(&fake);
    let q = nvme.io_queue().unwrap();
    let mem = nvme.memory().clone();
    let src = Arc::new(mem.alloc(3 * 4096).unwrap());
    let data = pattern(3 * 4096, 5);
    src.write(0, &data).unwrap();
    // 4 LBAs from three odd pieces: 100 + 1000 + 948 bytes.
    let mut list = DataList::new();
    list.push_buffer(&src, 4000, 100).unwrap();
    list.push_buffer(&src, 7, 1000).unwrap();
    list.push_buffer(&src, 9000, 948).unwrap();
    q.write(10, &list)
        .unwrap()
        .wait(WAIT)
        .unwrap()
        .check()
        .unwrap();
    let expected: Vec<u8> = [&data[4000..4100], &data[7..1007], &data[9000..9948]].concat();
    assert_eq!(fake.namespace(10 * 512, 2048), expected);
    let (_, e) = fake.io_log()[0];
    assert_eq!(
        (e.opcode(), e.slba(), e.blocks(), e.nsid()),
        (0x01, 10, 4, 1)
    );
    assert_eq!(e.psdt(), Psdt::SglContiguousMetadata);
    assert_eq!(e.sgl().sgl_type(), SglType::LastSegment);

    // Read it back: 1 KiB, skip 512 (bit bucket), 512 into a second buffer.
    let dst = Arc::new(mem.alloc(4096).unwrap());
    dst.fill(0, 4096, 0xee).unwrap();
    let mut back = DataList::new();
    back.push_buffer(&dst, 1, 1024).unwrap();
    back.push_bit_bucket(512);
    back.push_buffer(&dst, 2048, 512).unwrap();
    let c = q
        .read(10, &back)
        .unwrap()
        .wait(WAIT)
        .unwrap()
        .check()
        .unwrap();
    assert_eq!(c.sq_id, 1);
    assert_eq!(c.command, "Read");
    let got = dst.to_vec();
    assert_eq!(&got[1..1025], &expected[..1024]);
    assert_eq!(&got[2048..2560], &expected[1536..]);
    assert_eq!(got[0], 0xee);
    assert!(
        got[1025..2048].iter().all(|&b| b == 0xee),
        "bit bucket wrote nothing"
    );
    assert!(got[2560..].iter().all(|&b| b == 0xee));

    // One entry: inline Data Block, no list memory.
    let mut one = DataList::new();
    one.push_buffer(&dst, 0, 512).unwrap();
    q.read(0, &one)
        .unwrap()
        .wait(WAIT)
        .unwrap()
        .check()
        .unwrap();
    let (_, e) = fake.io_log()[2];
    assert_eq!(e.sgl(), SglDescriptor::data_block(dst.bus_addr(), 512));
    assert_eq!(dst.to_vec()[..512], fake.namespace(0, 512)[..]);
    q.flush().unwrap().wait(WAIT).unwrap().check().unwrap();
    assert_eq!(fake.io_log()[3].1.opcode(), 0x00);
}

#[test]
fn chained_sgl_segments_are_valid_nvme() {
    let b = Behaviour {
        mdts: 0,
        ..Behaviour::default()
    };
    let fake = FakeNvme::start(b);
    let nvme = open(&fake);
    assert_eq!(nvme.controller().mdts_bytes, None);
    let q = nvme.io_queue().unwrap();
    let buf = Arc::new(nvme.memory().alloc(300 * 512).unwrap());
    // 300 entries, reversed order: the default builder needs two chained segments.
    let mut list = DataList::new();
    for i in (0..300).rev() {
        list.push_buffer(&buf, i * 512, 512).unwrap();
    }
    q.read(100, &list)
        .unwrap()
        .wait(WAIT)
        .unwrap()
        .check()
        .unwrap();
    let (_, e) = fake.io_log()[0];
    assert_eq!(e.sgl().sgl_type(), SglType::Segment);
    let ns = fake.namespace(100 * 512, 300 * 512);
    let got = buf.to_vec();
    for i in 0..300 {
        let lba = 299 - i;
        assert_eq!(
            got[i * 512..(i + 1) * 512],
            ns[lba * 512..(lba + 1) * 512],
            "entry {lba}"
        );
    }
}

#[test]
fn prp_write_then_read_through_a_prp_list() {
    let fake = FakeNvme::start(Behaviour::default());
    let nvme = open_with(
        &fake,
        NvmeOptions {
            transfer: TransferMode::Prp,
            ..NvmeOptions::default()
        },
    )
    .unwrap();
    let q = nvme.io_queue().unwrap();
    assert_eq!(q.transfer_mode(), TransferMode::Prp);
    let mem = nvme.memory().clone();
    let a = Arc::new(mem.alloc(4 * 4096).unwrap());
    let b = Arc::new(mem.alloc(2 * 4096).unwrap());
    let data_a = pattern(4 * 4096, 1);
    let data_b = pattern(2 * 4096, 2);
    a.write(0, &data_a).unwrap();
    b.write(0, &data_b).unwrap();
    // Offset first entry (3.5 pages), then 1.5 pages: 5 pages = 40 LBAs, a PRP list.
    let mut list = DataList::new();
    list.push_buffer(&a, 2048, 3 * 4096 + 2048).unwrap();
    list.push_buffer(&b, 0, 4096 + 2048).unwrap();
    q.write(20, &list)
        .unwrap()
        .wait(WAIT)
        .unwrap()
        .check()
        .unwrap();
    let (_, e) = fake.io_log()[0];
    assert_eq!(e.psdt(), Psdt::Prp);
    assert_eq!(e.prp1(), a.bus_addr_at(2048).unwrap());
    let expected = [&data_a[2048..], &data_b[..6144]].concat();
    assert_eq!(fake.namespace(20 * 512, expected.len()), expected);

    let c = Arc::new(mem.alloc(8 * 4096).unwrap());
    let mut back = DataList::new();
    back.push_buffer(&c, 0, expected.len() as u32).unwrap();
    q.read(20, &back)
        .unwrap()
        .wait(WAIT)
        .unwrap()
        .check()
        .unwrap();
    assert_eq!(c.to_vec()[..expected.len()], expected[..]);
    assert!(c.to_vec()[expected.len()..].iter().all(|&x| x == 0));

    // Two pages: PRP2 is the second page, no list.
    let mut two = DataList::new();
    two.push_buffer(&c, 4096, 8192).unwrap();
    q.read(0, &two)
        .unwrap()
        .wait(WAIT)
        .unwrap()
        .check()
        .unwrap();
    let (_, e) = fake.io_log()[2];
    assert_eq!(e.prp2(), c.bus_addr_at(8192).unwrap());
}

#[test]
fn bad_transfer_shapes_are_refused_before_anything_is_submitted() {
    let fake = FakeNvme::start(Behaviour::default());
    let nvme = open(&fake);
    let q = nvme.io_queue().unwrap();
    let buf = Arc::new(nvme.memory().alloc(256 * 1024).unwrap());
    let windows = fake.dma.dma_windows().len();
    let list = |pieces: &[(usize, u32)]| {
        let mut l = DataList::new();
        for &(at, len) in pieces {
            l.push_buffer(&buf, at, len).unwrap();
        }
        l
    };
    let refused = |r: crate::error::Result<crate::nvme::NvmeTicket>, command: &str, text: &str| {
        let err = r.unwrap_err();
        assert!(
            matches!(&err, Error::Nvme(NvmeError::BadTransfer { command: c, .. }) if *c == command),
            "{err}"
        );
        assert!(err.to_string().contains(text), "{err}");
    };
    refused(
        q.read(0, &list(&[(0, 700)])),
        "Read",
        "not a whole number of 512-byte LBAs",
    );
    refused(q.read(0, &DataList::new()), "Read", "empty");
    refused(
        q.write(510, &list(&[(0, 2048)])),
        "Write",
        "LBAs 510 ..= 513 run past the end of namespace 1 (512 LBAs)",
    );
    refused(q.read(u64::MAX, &list(&[(0, 512)])), "Read", "past the end");
    refused(
        q.read(0, &list(&[(0, 132 * 1024)])),
        "Read",
        "maximum data transfer size (MDTS) of 131072 bytes",
    );
    let mut huge = DataList::new();
    huge.push_bus(BusAddr::new(0x1000_0000), (65537 * 512) as u32);
    refused(
        q.read(0, &huge),
        "Read",
        "65537 LBAs in one command, at most 65536",
    );
    let mut bucket = list(&[(0, 512)]);
    bucket.push_bit_bucket(512);
    refused(
        q.write(0, &bucket),
        "Write",
        "entry 1 is a bit bucket: bit buckets are only allowed in reads",
    );
    assert!(fake.io_log().is_empty(), "nothing reached the controller");
    assert_eq!(q.in_flight(), 0);
    assert_eq!(
        fake.dma.dma_windows().len(),
        windows,
        "no list memory left behind"
    );
    drop(q);

    // PRP-specific refusals.
    drop(nvme);
    let nvme = open_with(
        &fake,
        NvmeOptions {
            transfer: TransferMode::Prp,
            ..NvmeOptions::default()
        },
    )
    .unwrap();
    let q = nvme.io_queue().unwrap();
    refused(
        q.read(0, &list(&[(0, 4096), (4096, 4096), (16384 + 512, 512)])),
        "Read",
        &format!(
            "entry 2 at {} is not page aligned: use SGL or align the buffers",
            buf.bus_addr_at(16384 + 512).unwrap()
        ),
    );
    refused(q.read(0, &list(&[(2, 512)])), "Read", "not dword aligned");
    refused(q.read(0, &bucket), "Read", "PRPs cannot express");
    assert!(fake.io_log().is_empty());
}

#[test]
fn completions_out_of_order_reach_their_tickets_and_release_memory_then() {
    let b = Behaviour {
        hold_io: true,
        ..Behaviour::default()
    };
    let fake = FakeNvme::start(b);
    let nvme = open(&fake);
    let q = nvme.io_queue().unwrap();
    let buf = Arc::new(nvme.memory().alloc(4096).unwrap());
    let addr = buf.bus_addr();
    let mut l = DataList::new();
    l.push_buffer(&buf, 0, 512).unwrap();
    let tickets: Vec<_> = (0..3).map(|i| q.read(i, &l).unwrap()).collect();
    drop(l);
    drop(buf);
    assert_eq!(q.in_flight(), 3);
    eventually("three fetched commands", || fake.held().len() == 3);
    let cids: Vec<u16> = tickets.iter().map(|t| t.cid()).collect();
    assert_eq!(cids, vec![0, 1, 2]);
    assert!(fake.complete(1, 2, NvmeStatus::new(0, 0x0d, true)));
    assert!(fake.complete(1, 0, NvmeStatus::new(2, 0x81, false)));
    // An entry for a CID nobody submitted is consumed and ignored.
    assert!(fake.post_raw(1, 0x1234, NvmeStatus::SUCCESS));
    let c2 = tickets[2].wait(WAIT).unwrap();
    assert_eq!(c2.cid, 2);
    let err = c2.check().unwrap_err();
    assert_eq!(
        err.to_string(),
        "NVMe Read (queue 1, CID 2) failed: Invalid SGL Segment Descriptor (SCT 0h, SC 0Dh, DNR)"
    );
    assert_eq!(
        tickets[0].wait(WAIT).unwrap().status,
        NvmeStatus::new(2, 0x81, false)
    );
    assert_eq!(q.in_flight(), 1);
    assert!(
        fake.dma.dma_windows().iter().any(|&(a, _)| a == addr),
        "still held by the command in flight"
    );
    assert_eq!(tickets[1].try_get().unwrap(), None);
    assert!(fake.complete(1, 1, NvmeStatus::SUCCESS));
    let c1 = tickets[1].wait(WAIT).unwrap().check().unwrap();
    assert_eq!(c1.sq_head, 3, "all three fetched");
    assert_eq!(q.in_flight(), 0);
    assert!(
        !fake.dma.dma_windows().iter().any(|&(a, _)| a == addr),
        "released with the last completion"
    );
}

#[test]
fn the_cq_phase_wraps_and_a_full_queue_is_an_error() {
    let fake = FakeNvme::start(Behaviour::default());
    let nvme = open_with(
        &fake,
        NvmeOptions {
            io_entries: 4,
            // Two admin entries: one command at a time, and the admin CQ wraps every other.
            admin_entries: 2,
            ..NvmeOptions::default()
        },
    )
    .unwrap();
    for _ in 0..3 {
        drop(nvme.io_queue().unwrap());
    }
    assert_eq!(
        fake.admin_log().len(),
        4 + 3 * 4,
        "admin commands all completed"
    );
    assert_eq!(fake.reg(regs::cq_head_doorbell(0, 0).get()), 16 % 2);
    let q = nvme.io_queue().unwrap();
    assert_eq!(q.entries(), 4);
    let cq_head = regs::cq_head_doorbell(1, 0).get();
    for i in 0..11u32 {
        let c = q.flush().unwrap().wait(WAIT).unwrap().check().unwrap();
        assert_eq!(u32::from(c.sq_head), (i + 1) % 4);
        assert_eq!(
            fake.reg(cq_head),
            (i + 1) % 4,
            "CQ head doorbell after consuming"
        );
    }
    fake.behave(|b| b.hold_io = true);
    let held: Vec<_> = (0..3).map(|_| q.flush().unwrap()).collect();
    let err = q.flush().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Nvme(NvmeError::QueueFull {
                queue: 1,
                entries: 4,
                in_flight: 3
            })
        ),
        "{err}"
    );
    eventually("fetched", || fake.held().len() == 3);
    for t in &held {
        assert!(fake.complete(1, t.cid(), NvmeStatus::SUCCESS));
    }
    for t in &held {
        t.wait(WAIT).unwrap().check().unwrap();
    }
    // Slots are free again.
    let t = q.flush().unwrap();
    eventually("fetched", || fake.held().len() == 1);
    assert!(fake.complete(1, t.cid(), NvmeStatus::SUCCESS));
    t.wait(WAIT).unwrap().check().unwrap();
}

#[test]
fn waiting_reports_timeouts_fatal_status_and_a_vanished_controller() {
    let b = Behaviour {
        hold_io: true,
        ..Behaviour::default()
    };
    let fake = FakeNvme::start(b);
    let nvme = open_with(&fake, quick()).unwrap();
    let q = nvme.io_queue().unwrap();
    let t = q.flush().unwrap();
    let err = t.wait(Duration::from_millis(30)).unwrap_err();
    assert!(
        matches!(err, Error::Nvme(NvmeError::Timeout { .. })),
        "{err}"
    );
    assert!(
        err.to_string().contains("Flush (CID 0) on I/O queue 1"),
        "{err}"
    );

    eventually("fetched", || fake.held().len() == 1);
    fake.freeze(true);
    let csts = fake.reg(regs::CSTS_OFFSET);
    fake.dev
        .poke_bar32(BarIndex::BAR0, regs::CSTS_OFFSET, csts | 0b10);
    let started = Instant::now();
    let err = t.wait(WAIT).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "found by the periodic check"
    );
    assert!(
        matches!(err, Error::Nvme(NvmeError::ControllerFatal { .. })),
        "{err}"
    );
    assert!(
        err.to_string().contains("while waiting for Flush (CID 0)"),
        "{err}"
    );
    fake.dev
        .poke_bar32(BarIndex::BAR0, regs::CSTS_OFFSET, u32::MAX);
    let err = t.wait(WAIT).unwrap_err();
    // What the driver was waiting for is a value, not only text.
    let flush = CommandRef {
        command: "Flush",
        cid: 0,
        admin: false,
        qid: 1,
    };
    assert!(
        matches!(&err, Error::Nvme(NvmeError::DeviceGone { during: Step::Waiting(c), .. }) if *c == flush),
        "{err}"
    );

    // Back to life, so that the queue and the controller go down cleanly.
    fake.dev.poke_bar32(BarIndex::BAR0, regs::CSTS_OFFSET, csts);
    fake.freeze(false);
    assert!(fake.complete(1, t.cid(), NvmeStatus::SUCCESS));
    t.wait(WAIT).unwrap().check().unwrap();
}

#[test]
fn dropping_a_queue_with_commands_in_flight_deletes_it_and_closes_their_tickets() {
    let b = Behaviour {
        hold_io: true,
        ..Behaviour::default()
    };
    let fake = FakeNvme::start(b);
    let nvme = open_with(&fake, quick()).unwrap();
    let q = nvme.io_queue().unwrap();
    let buf = Arc::new(nvme.memory().alloc(4096).unwrap());
    let addr = buf.bus_addr();
    let mut l = DataList::new();
    l.push_buffer(&buf, 0, 4096).unwrap();
    let t = q.write(0, &l).unwrap();
    drop((l, buf));
    eventually("fetched", || fake.held().len() == 1);
    let started = Instant::now();
    drop(q);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "waited for the command first"
    );
    assert_eq!(fake.queues(), (vec![], vec![]), "deleted");
    let err = t.wait(WAIT).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Nvme(NvmeError::QueueClosed { queue: 1, cid: 0 })
        ),
        "{err}"
    );
    assert!(
        !fake.dma.dma_windows().iter().any(|&(a, _)| a == addr),
        "the SQ is deleted: the command's memory is released"
    );
}

#[test]
fn raw_entries_reach_the_controller_as_built() {
    let fake = FakeNvme::start(Behaviour::default());
    let nvme = open(&fake);
    let q = nvme.io_queue().unwrap();
    let buf = Arc::new(nvme.memory().alloc(4096).unwrap());
    let mut e = SubmissionEntry::read_write(false, 1, 0, 1);
    e.set_sgl(SglDescriptor::data_block(buf.bus_addr(), 512))
        .set_psdt(Psdt::Reserved);
    let t = q.submit_raw(e, vec![Held::Buffer(buf.clone())]).unwrap();
    let err = t.wait(WAIT).unwrap().check().unwrap_err();
    assert!(
        err.to_string()
            .contains("Invalid Field in Command (SCT 0h, SC 02h, DNR)"),
        "{err}"
    );
    // A Keyed Data Block in DPTR: Invalid SGL Segment Descriptor.
    let mut e = SubmissionEntry::read_write(false, 1, 0, 1);
    e.set_sgl(SglDescriptor::new(
        SglType::KeyedDataBlock,
        buf.bus_addr(),
        512,
    ));
    let c = q.submit_raw(e, vec![]).unwrap().wait(WAIT).unwrap();
    assert_eq!(c.status, NvmeStatus::new(0, 0x0d, true));
    // Namespace 2: Invalid Namespace or Format.
    let mut e = SubmissionEntry::read_write(false, 2, 0, 1);
    e.set_sgl(SglDescriptor::data_block(buf.bus_addr(), 512));
    let c = q.submit_raw(e, vec![]).unwrap().wait(WAIT).unwrap();
    assert_eq!(c.status.name(), "Invalid Namespace or Format");
    let (_, logged) = fake.io_log()[2];
    assert_eq!(logged.nsid(), 2);
    assert_eq!(logged.cid(), c.cid);
}

#[test]
fn a_doorbell_stride_and_a_controller_memory_buffer_are_honoured() {
    let fake = FakeNvme::start(Behaviour {
        cap: Behaviour::default().cap | (1 << 32), // DSTRD 1: 8-byte doorbells
        ..Behaviour::default()
    });
    // A 16 KiB CMB (SZU 4 KiB, SZ 4) at offset 2 * 4 KiB of BAR0.
    fake.dev
        .poke_bar32(BarIndex::BAR0, regs::CMBSZ_OFFSET, 4 << 12);
    fake.dev
        .poke_bar32(BarIndex::BAR0, regs::CMBLOC_OFFSET, 2 << 12);
    let nvme = open(&fake);
    assert_eq!(nvme.controller().doorbell_stride, 8);
    assert_eq!(
        nvme.controller().cmb,
        Some((BusAddr::new(FAKE_NVME_BAR0 + 0x2000), 16 * 1024))
    );
    let q = nvme.io_queue().unwrap();
    for _ in 0..5 {
        q.flush().unwrap().wait(WAIT).unwrap().check().unwrap();
    }
    // Queue 1's CQ head doorbell is the 4th doorbell: 1000h + 3 * 8.
    assert_eq!(fake.reg(0x1000 + 3 * 8), 5, "5 of 256 entries consumed");
}

#[test]
fn a_prp_transfer_with_chained_list_pages_round_trips() {
    let fake = FakeNvme::start(Behaviour {
        mdts: 0,
        lba_count: 8192,
        ..Behaviour::default()
    });
    let nvme = open_with(
        &fake,
        NvmeOptions {
            transfer: TransferMode::Prp,
            ..NvmeOptions::default()
        },
    )
    .unwrap();
    let q = nvme.io_queue().unwrap();
    // 514 pages: PRP1 + 513 entries, more than one list page holds.
    let len = 514 * 4096;
    let src = Arc::new(nvme.memory().alloc(len).unwrap());
    let data = pattern(len, 9);
    src.write(0, &data).unwrap();
    let mut out = DataList::new();
    out.push_buffer(&src, 0, len as u32).unwrap();
    q.write(7, &out)
        .unwrap()
        .wait(WAIT)
        .unwrap()
        .check()
        .unwrap();
    assert!(
        fake.namespace(7 * 512, len) == data,
        "written through the chained list"
    );
    let dst = Arc::new(nvme.memory().alloc(len).unwrap());
    let mut back = DataList::new();
    back.push_buffer(&dst, 0, len as u32).unwrap();
    q.read(7, &back)
        .unwrap()
        .wait(WAIT)
        .unwrap()
        .check()
        .unwrap();
    assert!(dst.to_vec() == data, "read back through the chained list");
}

#[test]
fn handles_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Nvme>();
    check::<crate::nvme::IoQueue>();
    check::<crate::nvme::NvmeTicket>();
}

#[test]
fn several_threads_share_one_queue() {
    let fake = FakeNvme::start(Behaviour::default());
    let nvme = open(&fake);
    let q = nvme.io_queue().unwrap();
    let mem = nvme.memory().clone();
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let q = q.clone();
            let mem = mem.clone();
            std::thread::spawn(move || {
                let buf = Arc::new(mem.alloc(4096).unwrap());
                for i in 0..20u64 {
                    let mut l = DataList::new();
                    l.push_buffer(&buf, 0, 512).unwrap();
                    q.read(t * 20 + i, &l)
                        .unwrap()
                        .wait(WAIT)
                        .unwrap()
                        .check()
                        .unwrap();
                }
                buf.to_vec()[..512].to_vec()
            })
        })
        .collect();
    for (t, h) in threads.into_iter().enumerate() {
        let last = t * 20 + 19;
        assert_eq!(h.join().unwrap(), fake.namespace(last * 512, 512));
    }
    assert_eq!(fake.io_log().len(), 80);
    assert_eq!(q.in_flight(), 0);
}

#[test]
fn the_controller_outlives_the_nvme_handle_while_queues_live() {
    let fake = FakeNvme::start(Behaviour::default());
    let nvme = open(&fake);
    let q = nvme.io_queue().unwrap();
    drop(nvme);
    assert_eq!(fake.shutdowns(), 0, "a queue is still in use");
    q.flush().unwrap().wait(WAIT).unwrap().check().unwrap();
    drop(q);
    assert_eq!(fake.shutdowns(), 1);
    assert_eq!(fake.reg(regs::CC_OFFSET) & 1, 0);
    assert!(fake.dma.dma_windows().is_empty(), "every ring unmapped");
}

#[test]
fn a_refused_sq_creation_deletes_the_new_cq() {
    let fake = FakeNvme::start(Behaviour::default());
    let nvme = open(&fake);
    let ring = Arc::new(fake.memory.alloc(4096).unwrap());
    // Behind the driver's back: CQ 2 and SQ 1 on it, so that Create I/O SQ 1 is refused.
    for e in [
        SubmissionEntry::create_io_cq(2, 16, ring.bus_addr()),
        SubmissionEntry::create_io_sq(1, 16, ring.bus_addr(), 2),
    ] {
        let t = nvme
            .submit_admin_raw(e, vec![Held::Buffer(ring.clone())])
            .unwrap();
        t.wait(WAIT).unwrap().check().unwrap();
    }
    let err = nvme.io_queue().unwrap_err();
    assert!(
        matches!(
            err,
            Error::Nvme(NvmeError::Command {
                command: "Create I/O SQ",
                ..
            })
        ),
        "{err}"
    );
    assert_eq!(
        &fake.admin_log()[6..],
        &[
            admin_opcode::CREATE_IO_CQ,
            admin_opcode::CREATE_IO_SQ,
            admin_opcode::DELETE_IO_CQ
        ]
    );
    assert_eq!(
        fake.queues(),
        (vec![1], vec![2]),
        "the driver's CQ 1 is gone again"
    );
}
