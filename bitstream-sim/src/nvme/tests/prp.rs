// SPDX-License-Identifier: MIT OR Apache-2.0
//! Read, Write and Flush with PRPs: every PRP shape, malformed PRPs, range and field checks,
//! DMA faults, data through a peer BAR.

use super::*;

const PAGE: u64 = 4096;

#[test]
fn prp_shapes_round_trip() {
    let mut h = Host::ready(test_config());
    // One page; part of a page (an unused PRP2 is ignored, whatever it holds).
    h.round_trip(0, &[(DATA, 4096)], |c| c.prp(DATA, 0));
    h.round_trip(8, &[(DATA + 0x200, 1024)], |c| c.prp(DATA + 0x200, 0xdead));
    // Two pages: PRP1 at an offset, PRP2 the second page.
    h.round_trip(16, &[(DATA + 0x800, 2048), (DATA + 0x5000, 2048)], |c| {
        c.prp(DATA + 0x800, DATA + 0x5000)
    });
    // A PRP list of scattered pages, out of address order.
    let pages = [4, 1, 3, 0, 2].map(|k| DATA + 0x10_000 + k * 0x3000);
    h.bus.put_u64s(LISTS, &pages[1..]);
    let pieces = [
        (pages[0] + 0x400, 3072),
        (pages[1], 4096),
        (pages[2], 4096),
        (pages[3], 4096),
        (pages[4], 1024),
    ];
    h.round_trip(100, &pieces, |c| c.prp(pages[0] + 0x400, LISTS));
}

#[test]
fn prp_list_chains_through_the_last_entry() {
    // A list pointer two entries before the end of its page: one data entry, then the chain.
    let mut h = Host::ready(test_config());
    let first = LISTS + PAGE - 16;
    let second = LISTS + 3 * PAGE;
    let pages: Vec<u64> = (0..5).map(|k| DATA + k * 2 * PAGE).collect();
    h.bus.put_u64s(first, &[pages[1], second]);
    h.bus.put_u64s(second, &pages[2..]);
    let pieces: Vec<(u64, usize)> = pages.iter().map(|&p| (p, 4096)).collect();
    h.round_trip(40, &pieces, |c| c.prp(pages[0], first));

    // Full list pages: 600 entries after PRP1 take 511 + chain, then 89.
    let mut h = Host::ready(NvmeConfig {
        mdts: 0,
        namespace: NamespaceBacking::Memory { bytes: 4 << 20 },
        ..test_config()
    });
    let pages: Vec<u64> = (0..601).map(|k| DATA + k * PAGE).collect();
    let second = LISTS + 8 * PAGE;
    let mut list: Vec<u64> = pages[1..512].to_vec();
    list.push(second);
    h.bus.put_u64s(LISTS, &list);
    h.bus.put_u64s(second, &pages[512..]);
    let pieces: Vec<(u64, usize)> = pages.iter().map(|&p| (p, 4096)).collect();
    h.round_trip(0, &pieces, |c| c.prp(pages[0], LISTS));
    assert_eq!(h.ctrl.stats().bytes_written, 601 * PAGE);
    assert_eq!(h.ctrl.stats().bytes_read, 601 * PAGE);
}

#[test]
fn malformed_prps_move_nothing() {
    let mut h = Host::ready(test_config());
    let prp = (0, 0x13, true);
    let misaligned_chain = LISTS + 2 * PAGE - 8;
    h.bus.put_u64s(
        LISTS,
        &[DATA + PAGE, DATA + 2 * PAGE + 0x10, DATA + 3 * PAGE],
    );
    h.bus.put_u64s(misaligned_chain, &[DATA + 0x1_0008]);
    for (op, base) in [("Write", Cmd::write(0, 24)), ("Read", Cmd::read(0, 24))] {
        let cases = [
            (
                "PRP1 not dword aligned",
                base.prp(DATA + 2, DATA + PAGE),
                prp,
            ),
            (
                "PRP2 second page not aligned",
                Cmd::write(0, 8).prp(DATA + 0x800, DATA + 0x1800),
                prp,
            ),
            (
                "list pointer not qword aligned",
                base.prp(DATA, LISTS + 4),
                prp,
            ),
            ("list entry not page aligned", base.prp(DATA, LISTS), prp),
            (
                "chain entry not page aligned",
                base.prp(DATA, misaligned_chain),
                prp,
            ),
            (
                "list in unmapped memory",
                base.prp(DATA, UNMAPPED),
                (0, 0x04, false),
            ),
        ];
        for (what, mut cmd, status) in cases {
            cmd.0[0] = base.0[0];
            let faults = h.ctrl.stats().dma_faults;
            h.expect_refused(&format!("{op}: {what}"), cmd, status);
            let fault = u64::from(status.1 == 0x04);
            assert_eq!(h.ctrl.stats().dma_faults, faults + fault, "{op}: {what}");
        }
    }
}

#[test]
fn range_field_and_namespace_checks() {
    let mut h = Host::ready(test_config());
    let blocks = (1u64 << 20) / 512;
    let invalid_field = (0, 0x02, true);
    let cases = [
        (
            "past the end",
            Cmd::read(blocks - 7, 8).prp(DATA, DATA + PAGE),
            (0, 0x80, true),
        ),
        (
            "starts at the end",
            Cmd::write(blocks, 1).prp(DATA, 0),
            (0, 0x80, true),
        ),
        (
            "SLBA + NLB overflows",
            Cmd::read(u64::MAX, 1).prp(DATA, 0),
            (0, 0x80, true),
        ),
        (
            "above MDTS (1 MiB)",
            Cmd::read(0, 2049).prp(DATA, LISTS),
            invalid_field,
        ),
        (
            "namespace 2",
            Cmd::read(0, 1).prp(DATA, 0).nsid(2),
            (0, 0x0b, true),
        ),
        (
            "namespace 0",
            Cmd::write(0, 1).prp(DATA, 0).nsid(0),
            (0, 0x0b, true),
        ),
        (
            "broadcast namespace",
            Cmd::new(0x00).nsid(0xffff_ffff),
            (0, 0x0b, true),
        ),
        (
            "Compare (not implemented)",
            Cmd::new(0x05).nsid(1),
            (0, 0x01, true),
        ),
        ("vendor opcode", Cmd::new(0x80).nsid(1), (0, 0x01, true)),
        (
            "PSDT 11b",
            Cmd::read(0, 1).prp(DATA, 0).psdt(3),
            invalid_field,
        ),
        (
            "fused",
            Cmd::read(0, 1).prp(DATA, 0).cdw(0, 0x0102),
            invalid_field,
        ),
        (
            "reserved CDW0 bits",
            Cmd::read(0, 1).prp(DATA, 0).cdw(0, 0x0402),
            invalid_field,
        ),
    ];
    for (what, cmd, status) in cases {
        h.expect_refused(what, cmd, status);
    }
    // The last block and exactly MDTS are fine, and so is Flush.
    h.exec(1, Cmd::read(blocks - 1, 1).prp(DATA, 0)).assert_ok();
    let list: Vec<u64> = (1..256).map(|k| DATA + k * PAGE).collect();
    h.bus.put_u64s(LISTS, &list);
    h.exec(1, Cmd::read(0, 2048).prp(DATA, LISTS)).assert_ok();
    h.exec(1, Cmd::new(0x00).nsid(1)).assert_ok();
    let s = h.ctrl.stats();
    assert_eq!(s.commands_failed, 12);
    assert_eq!(s.commands_completed - s.admin_commands, 15);
}

#[test]
fn data_dma_faults_fail_the_command_and_stop_its_data() {
    let mut h = Host::ready(test_config());
    let cqe = h.exec(1, Cmd::read(0, 8).prp(UNMAPPED, 0));
    assert_eq!(
        cqe.status(),
        (0, 0x04, false),
        "Data Transfer Error, retry allowed"
    );
    assert_eq!(h.bus.faults, [UNMAPPED]);
    assert_eq!(h.ctrl.stats().dma_faults, 1);
    assert_eq!(h.ctrl.stats().bytes_read, 0);

    // The third page of five is unmapped: the first two move, the rest does not.
    let pages = [
        DATA,
        DATA + PAGE,
        UNMAPPED,
        DATA + 3 * PAGE,
        DATA + 4 * PAGE,
    ];
    h.bus.put_u64s(LISTS, &pages[1..]);
    let old = pattern(1, 5 * 4096);
    let new = pattern(2, 5 * 4096);
    h.ctrl.namespace_write(0, &old).unwrap();
    h.bus.put(DATA, &new);
    let cqe = h.exec(1, Cmd::write(0, 40).prp(DATA, LISTS));
    assert_eq!(cqe.status(), (0, 0x04, false));
    assert!(h.ns(0, 8192) == new[..8192], "before the fault");
    assert!(
        h.ns(8192, 3 * 4096) == old[8192..],
        "at and after the fault"
    );
    assert_eq!(h.ctrl.stats().bytes_written, 8192);

    h.bus.put(DATA, &vec![0; 5 * 4096]);
    let cqe = h.exec(1, Cmd::read(0, 40).prp(DATA, LISTS));
    assert_eq!(cqe.status(), (0, 0x04, false));
    assert!(h.bus.mem(DATA, 8192) == &new[..8192]);
    assert!(
        h.bus.mem(DATA + 3 * PAGE, 8192).iter().all(|&b| b == 0),
        "after the fault"
    );
    assert_eq!(h.ctrl.stats().dma_faults, 3);
    assert_eq!(h.ctrl.stats().commands_failed, 3);
}

#[test]
fn write_from_the_peer_bar_assembles_out_of_order_reads() {
    let mut h = Host::ready(test_config());
    h.bus.peer_delay = 30;
    // 128 KiB from the peer BAR through a PRP list.
    let pages: Vec<u64> = (0..32).map(|k| PEER_BASE + 0x1_0000 + k * PAGE).collect();
    h.bus.put_u64s(LISTS, &pages[1..]);
    let pieces: Vec<(u64, usize)> = pages.iter().map(|&p| (p, 4096)).collect();
    h.round_trip(64, &pieces, |c| c.prp(pages[0], LISTS));
    assert_eq!(h.bus.max_reads_seen, 16, "reads overlap, at most 16 tags");
}

#[test]
fn an_error_completion_stops_the_write_at_its_chunk() {
    let mut h = Host::ready(test_config());
    h.bus.peer_delay = 30;
    // Page 2 of 8 comes back with an error after the pages behind it have arrived.
    let pages: Vec<u64> = (0..8).map(|k| PEER_BASE + k * PAGE).collect();
    h.bus.put_u64s(LISTS, &pages[1..]);
    h.bus.poison = Some(pages[2] + 100);
    let old = pattern(1, 8 * 4096);
    let new = pattern(2, 8 * 4096);
    h.ctrl.namespace_write(0, &old).unwrap();
    h.bus.peer[..8 * 4096].copy_from_slice(&new);
    let cqe = h.exec(1, Cmd::write(0, 64).prp(pages[0], LISTS));
    assert_eq!(cqe.status(), (0, 0x04, false));
    assert!(h.ns(0, 8192) == new[..8192], "before the failed chunk");
    assert!(
        h.ns(8192, 6 * 4096) == old[8192..],
        "from the failed chunk on"
    );
    assert_eq!(h.ctrl.stats().dma_faults, 1);
    assert_eq!(h.bus.outstanding_reads(), 0, "every read was collected");
}

#[test]
fn read_to_the_peer_completes_after_its_writes_land() {
    let mut h = Host::ready(test_config());
    h.bus.peer_delay = 200;
    let data = pattern(7, 16 << 10);
    h.ctrl.namespace_write(0, &data).unwrap();
    let pages: Vec<u64> = (0..4).map(|k| PEER_BASE + k * PAGE).collect();
    h.bus.put_u64s(LISTS, &pages[1..]);
    h.bus.data_writes.clear();
    let cid = h.submit(1, Cmd::read(0, 32).prp(pages[0], LISTS));
    let cqe = loop {
        h.tick();
        if let Some(c) = h.poll_cqe(1) {
            break c;
        }
    };
    assert_eq!(cqe.cid, cid);
    cqe.assert_ok();
    assert!(
        h.bus.peer[..16 << 10] == data,
        "the data is in the BAR before the CQE"
    );
    let last_post = h.bus.data_writes.iter().map(|w| w.0).max().unwrap();
    assert!(
        h.now >= last_post + 200,
        "CQE at {} before the writes landed",
        h.now
    );
    assert!(
        h.now <= last_post + 203,
        "CQE at {} long after they landed",
        h.now
    );
}

#[test]
fn back_pressure_delays_but_loses_nothing() {
    let mut h = Host::ready(test_config());
    h.bus.max_pending_writes = 1;
    h.bus.max_reads = 2;
    h.bus.peer_delay = 5;
    let pages: Vec<u64> = (0..8).map(|k| PEER_BASE + k * PAGE).collect();
    h.bus.put_u64s(LISTS, &pages[1..]);
    let pieces: Vec<(u64, usize)> = pages.iter().map(|&p| (p, 4096)).collect();
    h.round_trip(0, &pieces, |c| c.prp(pages[0], LISTS));
    assert_eq!(h.bus.max_reads_seen, 2);
}
