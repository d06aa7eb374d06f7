// SPDX-License-Identifier: MIT OR Apache-2.0
//! Admin commands: Identify, queue creation and deletion with every error status, Number of
//! Queues, unknown opcodes.

use super::*;

fn u16_at(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes(b[off..off + 2].try_into().unwrap())
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(b[off..off + 8].try_into().unwrap())
}

/// Identify into two pages: PRP1 at an offset, the rest through PRP2; returns the 4 KiB.
fn identify(h: &mut Host, cns: u32, nsid: u32) -> Vec<u8> {
    let (prp1, prp2) = (DATA + 0x400, DATA + 0x10_000);
    h.bus.mem_mut(DATA, 0x20_000).fill(0xee);
    h.admin(Cmd::identify(cns, nsid, prp1, prp2)).assert_ok();
    let mut data = h.bus.mem(prp1, 0xc00).to_vec();
    data.extend_from_slice(h.bus.mem(prp2, 0x400));
    assert!(
        h.bus.mem(prp2 + 0x400, 0x100).iter().all(|&b| b == 0xee),
        "nothing past the 4 KiB"
    );
    data
}

#[test]
fn identify_controller_reports_the_configuration() {
    let mut h = Host::new(NvmeConfig {
        serial: "SN123".into(),
        model: "model x".into(),
        firmware: "fw9".into(),
        mdts: 5,
        ..test_config()
    });
    h.enable();
    let d = identify(&mut h, 1, 0);
    assert_eq!(u16_at(&d, 0), 0x10ee, "VID");
    assert_eq!(u16_at(&d, 2), 0x10ee, "SSVID");
    assert_eq!(&d[4..24], b"SN123               ");
    assert_eq!(&d[24..64], format!("{:<40}", "model x").as_bytes());
    assert_eq!(&d[64..72], b"fw9     ");
    assert_eq!(d[77], 5, "MDTS");
    assert_eq!(u16_at(&d, 78), 1, "CNTLID");
    assert_eq!(u32_at(&d, 80), 0x0001_0400, "VER");
    assert_eq!((d[512], d[513]), (0x66, 0x44), "SQES, CQES");
    assert_eq!(u32_at(&d, 516), 1, "NN");
    assert_eq!(
        u32_at(&d, 536),
        0x0001_0001,
        "SGLS: byte aligned + bit bucket"
    );
    assert!(d[768..].starts_with(b"nqn.2014.08.org.nvmexpress:10ee10eeSN123"));

    let mut h = Host::new(NvmeConfig {
        sgl: false,
        ..test_config()
    });
    h.enable();
    let d = identify(&mut h, 1, 0);
    assert_eq!(u32_at(&d, 536), 0, "no SGL support advertised");
}

#[test]
fn identify_namespace_and_namespace_list() {
    for (lba_size, lbads) in [(512u32, 9u32), (4096, 12)] {
        let mut h = Host::new(NvmeConfig {
            lba_size,
            namespace: NamespaceBacking::Memory { bytes: 8 << 20 },
            ..test_config()
        });
        h.enable();
        let d = identify(&mut h, 0, 1);
        let blocks = (8u64 << 20) / u64::from(lba_size);
        assert_eq!(u64_at(&d, 0), blocks, "NSZE");
        assert_eq!(u64_at(&d, 8), blocks, "NCAP");
        assert_eq!(u64_at(&d, 16), blocks, "NUSE");
        assert_eq!((d[25], d[26]), (0, 0), "NLBAF, FLBAS");
        assert_eq!(u32_at(&d, 128), lbads << 16, "LBAF0: LBADS, no metadata");
        assert!(d[132..].iter().all(|&b| b == 0));

        let list = identify(&mut h, 2, 0);
        assert_eq!(u32_at(&list, 0), 1);
        assert!(list[4..].iter().all(|&b| b == 0));
        let list = identify(&mut h, 2, 1);
        assert!(list.iter().all(|&b| b == 0), "no namespace above 1");

        // Namespace Identification Descriptors: the CSI descriptor (NIDT 04h, NIDL 1) names
        // the NVM command set (00h); a zero header ends the list.
        let descriptors = identify(&mut h, 3, 1);
        assert_eq!(&descriptors[..5], &[0x04, 1, 0, 0, 0x00]);
        assert!(descriptors[5..].iter().all(|&b| b == 0));
    }
}

#[test]
fn identify_errors() {
    let mut h = Host::new(test_config());
    h.enable();
    let cases = [
        ("namespace 2", Cmd::identify(0, 2, DATA, 0), (0, 0x0b, true)),
        ("namespace 0", Cmd::identify(0, 0, DATA, 0), (0, 0x0b, true)),
        (
            "list above FFFFFFFEh",
            Cmd::identify(2, 0xffff_fffe, DATA, 0),
            (0, 0x0b, true),
        ),
        ("CNS 4", Cmd::identify(4, 1, DATA, 0), (0, 0x02, true)),
        (
            "descriptors of namespace 2",
            Cmd::identify(3, 2, DATA, 0),
            (0, 0x0b, true),
        ),
        (
            "SGL in an admin command",
            Cmd::identify(1, 0, DATA, 0).psdt(1),
            (0, 0x02, true),
        ),
        (
            "fused",
            Cmd::identify(1, 0, DATA, 0).cdw(0, 0x0106),
            (0, 0x02, true),
        ),
        (
            "PRP1 not dword aligned",
            Cmd::identify(1, 0, DATA + 2, 0),
            (0, 0x13, true),
        ),
        (
            "PRP2 not page aligned",
            Cmd::identify(1, 0, DATA + 0x800, DATA + 0x2008),
            (0, 0x13, true),
        ),
        (
            "unmapped buffer",
            Cmd::identify(1, 0, UNMAPPED, 0),
            (0, 0x04, false),
        ),
        ("unknown opcode 0x7f", Cmd::new(0x7f), (0, 0x01, true)),
        ("Abort (not implemented)", Cmd::new(0x08), (0, 0x01, true)),
    ];
    for (what, cmd, status) in cases {
        let faults = h.ctrl.stats().dma_faults;
        let cqe = h.admin(cmd);
        assert_eq!(cqe.status(), status, "{what}");
        assert_eq!((cqe.crd, cqe.more), (0, false), "{what}");
        let expected_faults = faults + u64::from(status.1 == 0x04);
        assert_eq!(h.ctrl.stats().dma_faults, expected_faults, "{what}");
    }
    assert_eq!(h.bus.faults, [UNMAPPED]);
    assert_eq!(h.ctrl.stats().admin_commands, 12);
    assert_eq!(h.ctrl.stats().commands_failed, 12);
}

fn create_cq(qid: u16, entries: u32, flags: u32, vector: u32, base: u64) -> Cmd {
    Cmd::new(0x05)
        .prp(base, 0)
        .cdw(10, u32::from(qid) | ((entries - 1) << 16))
        .cdw(11, flags | (vector << 16))
}

fn create_sq(qid: u16, entries: u32, cq: u16, base: u64) -> Cmd {
    Cmd::new(0x01)
        .prp(base, 0)
        .cdw(10, u32::from(qid) | ((entries - 1) << 16))
        .cdw(11, 1 | (u32::from(cq) << 16))
}

fn delete(opcode: u8, qid: u16) -> Cmd {
    Cmd::new(opcode).cdw(10, u32::from(qid))
}

const INVALID_QID: Status = (1, 0x01, true);
const INVALID_SIZE: Status = (1, 0x02, true);
const INVALID_FIELD: Status = (0, 0x02, true);

#[test]
fn queue_creation_and_deletion_statuses() {
    let mut h = Host::new(NvmeConfig {
        max_io_queues: 4,
        max_queue_entries: 256,
        ..test_config()
    });
    h.enable();
    let base = IO_QUEUES;
    let cases = [
        ("CQ id 0", create_cq(0, 16, 0b11, 1, base), INVALID_QID),
        (
            "CQ id above max_io_queues",
            create_cq(5, 16, 0b11, 1, base),
            INVALID_QID,
        ),
        (
            "CQ of one entry",
            create_cq(1, 1, 0b11, 1, base),
            INVALID_SIZE,
        ),
        (
            "CQ above MQES",
            create_cq(1, 257, 0b11, 1, base),
            INVALID_SIZE,
        ),
        (
            "CQ not contiguous",
            create_cq(1, 16, 0b10, 1, base),
            INVALID_FIELD,
        ),
        (
            "CQ vector 8 of 8",
            create_cq(1, 16, 0b11, 8, base),
            (1, 0x08, true),
        ),
        (
            "CQ base not page aligned",
            create_cq(1, 16, 0b11, 1, base + 16),
            (0, 0x13, true),
        ),
        (
            "good CQ 1 (vector ignored without IEN)",
            create_cq(1, 16, 0b01, 99, base),
            (0, 0, false),
        ),
        ("CQ 1 again", create_cq(1, 16, 0b11, 1, base), INVALID_QID),
        ("SQ id 0", create_sq(0, 16, 1, base + 0x1000), INVALID_QID),
        (
            "SQ on CQ 2, which does not exist",
            create_sq(1, 16, 2, base + 0x1000),
            (1, 0x00, true),
        ),
        (
            "SQ on the admin CQ",
            create_sq(1, 16, 0, base + 0x1000),
            (1, 0x00, true),
        ),
        (
            "SQ of 0x10000 entries",
            create_sq(1, 0x10000, 1, base + 0x1000),
            INVALID_SIZE,
        ),
        (
            "SQ base not page aligned",
            create_sq(1, 16, 1, base + 0x1040),
            (0, 0x13, true),
        ),
        (
            "SQ past the end of the bus",
            create_sq(1, 65, 1, u64::MAX - 0xfff),
            INVALID_FIELD,
        ),
        (
            "CQ 2 ending at the end of the bus",
            create_cq(2, 256, 0b01, 0, u64::MAX - 0xfff),
            (0, 0, false),
        ),
        ("delete CQ 2", delete(0x04, 2), (0, 0, false)),
        (
            "good SQ 1",
            create_sq(1, 16, 1, base + 0x1000),
            (0, 0, false),
        ),
        (
            "SQ 1 again",
            create_sq(1, 16, 1, base + 0x2000),
            INVALID_QID,
        ),
        (
            "delete CQ 1 with SQ 1 on it",
            delete(0x04, 1),
            (1, 0x0c, true),
        ),
        ("delete SQ 0", delete(0x00, 0), INVALID_QID),
        (
            "delete SQ 2, which does not exist",
            delete(0x00, 2),
            INVALID_QID,
        ),
        ("delete CQ 0", delete(0x04, 0), INVALID_QID),
        (
            "delete CQ 3, which does not exist",
            delete(0x04, 3),
            INVALID_QID,
        ),
        ("delete SQ 1", delete(0x00, 1), (0, 0, false)),
        ("delete SQ 1 again", delete(0x00, 1), INVALID_QID),
        ("delete CQ 1", delete(0x04, 1), (0, 0, false)),
    ];
    for (what, cmd, status) in cases {
        assert_eq!(h.admin(cmd).status(), status, "{what}");
    }
    // CC.IOSQES / IOCQES must be set before I/O queues are created.
    h.set_reg32(0x14, 0);
    h.start_enable_with(ADMIN_SQ, ADMIN_CQ, 1);
    h.run(10);
    assert_eq!(
        h.admin(create_cq(1, 16, 0b11, 1, base)).status(),
        INVALID_FIELD,
        "IOCQES 0"
    );
    h.set_reg32(0x14, 1 | (4 << 20));
    h.admin(create_cq(1, 16, 0b11, 1, base)).assert_ok();
    assert_eq!(
        h.admin(create_sq(1, 16, 1, base + 0x1000)).status(),
        INVALID_FIELD,
        "IOSQES 0"
    );
}

#[test]
fn number_of_queues_feature() {
    let mut h = Host::new(test_config());
    h.enable();
    let set = |nsq: u32, ncq: u32| {
        Cmd::new(0x09)
            .cdw(10, 7)
            .cdw(11, (nsq - 1) | ((ncq - 1) << 16))
    };
    let get = |sel: u32| Cmd::new(0x0a).cdw(10, 7 | (sel << 8));
    // Before any Set Features: the maximum.
    assert_eq!(h.admin(get(0)).result, 15 | (15 << 16));
    let cqe = h.admin(set(32, 2));
    cqe.assert_ok();
    assert_eq!(cqe.result, 15 | (1 << 16), "at most 16; 2 CQs as asked");
    assert_eq!(h.admin(get(0)).result, 15 | (1 << 16));
    assert_eq!(h.admin(get(1)).result, 15 | (15 << 16), "default");
    assert_eq!(h.admin(get(3)).result, 1 << 2, "changeable, not saveable");
    assert_eq!(h.admin(get(4)).status(), INVALID_FIELD, "reserved select");
    assert_eq!(
        h.admin(Cmd::new(0x0a).cdw(10, 2)).status(),
        INVALID_FIELD,
        "other feature"
    );
    assert_eq!(
        h.admin(Cmd::new(0x09).cdw(10, 7).cdw(11, 0xffff)).status(),
        INVALID_FIELD
    );
    assert_eq!(
        h.admin(Cmd::new(0x09).cdw(10, 7 | (1 << 31))).status(),
        (1, 0x0d, true),
        "save"
    );
    // CQ 3 is above the negotiated 2.
    assert_eq!(
        h.admin(create_cq(3, 16, 0b11, 1, IO_QUEUES)).status(),
        INVALID_QID
    );
    h.admin(create_cq(2, 16, 0b11, 1, IO_QUEUES)).assert_ok();
    assert_eq!(
        h.admin(set(4, 4)).status(),
        (0, 0x0c, true),
        "after a queue exists"
    );
    // A reset returns to the default count.
    h.set_reg32(0x14, 0);
    h.enable();
    assert_eq!(h.admin(get(0)).result, 15 | (15 << 16));
}

#[test]
fn delete_sq_completes_after_the_queues_commands() {
    let mut h = Host::ready(NvmeConfig {
        latency_cycles: 300,
        ..test_config()
    });
    let cid = h.submit(1, Cmd::read(0, 8).prp(DATA, 0));
    h.run(5);
    let del = h.submit(0, delete(0x00, 1));
    // The read completes normally, then the deletion.
    let read = h.wait_cqe(1);
    assert_eq!(read.cid, cid);
    read.assert_ok();
    let done = h.wait_cqe(0);
    assert_eq!(done.cid, del);
    done.assert_ok();
    assert_eq!(
        h.admin(delete(0x04, 1)).status(),
        (0, 0, false),
        "CQ 1 is free now"
    );
}

#[test]
fn admin_interrupts_use_vector_zero_and_io_cqs_their_own() {
    let mut h = Host::ready(test_config());
    assert!(!h.bus.interrupts.is_empty() && h.bus.interrupts.iter().all(|&v| v == 0));
    h.bus.interrupts.clear();
    h.exec(1, Cmd::new(0x00).nsid(1)).assert_ok();
    assert_eq!(h.bus.interrupts, [1], "CQ 1 was created with IEN, vector 1");
    // A CQ without IEN raises nothing.
    h.admin(create_cq(2, 16, 0b01, 0, IO_QUEUES + 0x4_0000))
        .assert_ok();
    h.admin(create_sq(2, 16, 2, IO_QUEUES + 0x5_0000))
        .assert_ok();
    h.bus.interrupts.clear();
    h.track_queue(2, IO_QUEUES + 0x5_0000, 16, IO_QUEUES + 0x4_0000, 16);
    h.exec(2, Cmd::new(0x00).nsid(1)).assert_ok();
    assert!(h.bus.interrupts.is_empty());
}
