// SPDX-License-Identifier: MIT OR Apache-2.0
//! Timing and flow control, measured in ticks: latency, bandwidth, FIFO sharing, CQ full,
//! phase tags, many commands in flight, resets in the middle of commands.

use super::*;

const PAGE: u64 = 4096;

/// Ticks from now until CQ `qid` shows an entry (which is consumed).
fn ticks_to_cqe(h: &mut Host, qid: u16) -> (u64, Cqe) {
    let start = h.now;
    let cqe = h.wait_cqe(qid);
    (h.now - start, cqe)
}

#[test]
fn latency_is_a_lower_bound_from_the_fetch() {
    let mut h = Host::ready(NvmeConfig {
        latency_cycles: 500,
        ..test_config()
    });
    // The doorbell is rung between ticks; the next tick fetches.
    h.submit(1, Cmd::new(0x00).nsid(1));
    let (ticks, cqe) = ticks_to_cqe(&mut h, 1);
    cqe.assert_ok();
    assert_eq!(
        ticks, 501,
        "fetch at the first tick, completion 500 cycles later"
    );
    h.submit(1, Cmd::read(0, 8).prp(DATA, 0));
    assert_eq!(
        ticks_to_cqe(&mut h, 1).0,
        501,
        "data moves within the latency"
    );
    // Errors wait for the latency too.
    h.submit(1, Cmd::read(0, 8).prp(DATA, 0).nsid(9));
    let (ticks, cqe) = ticks_to_cqe(&mut h, 1);
    assert_eq!((ticks, cqe.sc), (501, 0x0b));
}

/// 64 pages at DATA through a PRP list at LISTS: 256 KiB.
fn big_transfer(h: &mut Host, cmd: Cmd) -> Cmd {
    let list: Vec<u64> = (1..64).map(|k| DATA + k * PAGE).collect();
    h.bus.put_u64s(LISTS, &list);
    cmd.prp(DATA, LISTS)
}

#[test]
fn bandwidth_sets_the_transfer_time() {
    for bytes_per_cycle in [28u32, 56] {
        let mut h = Host::ready(NvmeConfig {
            bytes_per_cycle,
            latency_cycles: 1,
            ..test_config()
        });
        let expected = (256 << 10) / u64::from(bytes_per_cycle);
        for cmd in [Cmd::read(0, 512), Cmd::write(0, 512)] {
            let cmd = big_transfer(&mut h, cmd);
            h.submit(1, cmd);
            let (ticks, cqe) = ticks_to_cqe(&mut h, 1);
            cqe.assert_ok();
            assert!(
                ticks.abs_diff(expected) <= expected / 20,
                "{bytes_per_cycle} B/cycle: 256 KiB took {ticks} ticks, expected about {expected}"
            );
        }
    }
}

#[test]
fn commands_share_the_bandwidth_in_fetch_order() {
    let mut h = Host::ready(NvmeConfig {
        bytes_per_cycle: 32,
        latency_cycles: 1,
        ..test_config()
    });
    let list = |first: u64| -> Vec<u64> { (1..16).map(|k| first + k * PAGE).collect() };
    let (a, b) = (DATA, DATA + 0x10_0000);
    h.bus.put_u64s(LISTS, &list(a));
    h.bus.put_u64s(LISTS + PAGE, &list(b));
    let first = h.queue_command(1, Cmd::read(0, 128).prp(a, LISTS));
    let second = h.queue_command(1, Cmd::read(128, 128).prp(b, LISTS + PAGE));
    h.ring_sq(1);
    let start = h.now;
    let c1 = h.wait_cqe(1);
    let t1 = h.now - start;
    let c2 = h.wait_cqe(1);
    let t2 = h.now - start;
    assert_eq!((c1.cid, c2.cid), (first, second));
    // 64 KiB at 32 B/cycle is 2048 cycles: the second waits for the first.
    assert!(t1.abs_diff(2048) <= 100, "first after {t1}");
    assert!(t2.abs_diff(4096) <= 100, "second after {t2}");
}

#[test]
fn a_full_cq_holds_completions_until_the_host_releases_entries() {
    let mut h = Host::new(test_config());
    h.enable();
    h.create_io_queues(1, 16, 4);
    let cids: Vec<u16> = (0..6)
        .map(|_| h.queue_command(1, Cmd::new(0x00).nsid(1)))
        .collect();
    h.ring_sq(1);
    h.run_until_idle();
    assert!(!h.ctrl.busy(), "waiting for the host is idle");
    let cq = IO_QUEUES + 0x2_0000 + 0x1_0000;
    let posted: Vec<Cqe> = (0..4)
        .map(|i| Cqe::decode(h.bus.mem(cq + i * 16, 16)))
        .collect();
    assert!(
        posted[..3].iter().all(|c| c.phase),
        "3 entries fit a 4-entry CQ"
    );
    assert_eq!(
        h.bus.mem(cq + 48, 16),
        [0; 16],
        "the 4th slot is not written"
    );
    let mut seen = Vec::new();
    for _ in 0..3 {
        let c = h.poll_cqe(1).expect("posted");
        assert_eq!((c.sq_id, c.sq_head), (1, 6), "SQ head after fetching all 6");
        seen.push(c.cid);
    }
    // The head doorbell made room: the rest follows.
    assert!(h.ctrl.busy());
    for _ in 0..3 {
        seen.push(h.wait_cqe(1).cid);
    }
    assert_eq!(seen, cids, "completions in order, none lost or overwritten");
}

#[test]
fn the_phase_tag_flips_on_every_lap() {
    let mut h = Host::new(test_config());
    h.enable();
    h.create_io_queues(1, 4, 4);
    for _ in 0..10 {
        h.exec(1, Cmd::new(0x00).nsid(1)).assert_ok();
    }
    let cq = IO_QUEUES + 0x2_0000 + 0x1_0000;
    let phases: Vec<bool> = (0..4)
        .map(|i| Cqe::decode(h.bus.mem(cq + i * 16, 16)).phase)
        .collect();
    assert_eq!(
        phases,
        [true, true, false, false],
        "lap 3 in slots 0-1, lap 2 in 2-3"
    );
}

#[test]
fn many_commands_in_flight_across_queues() {
    let mut h = Host::new(NvmeConfig {
        latency_cycles: 2000,
        namespace: NamespaceBacking::Memory { bytes: 4 << 20 },
        ..test_config()
    });
    h.enable();
    let data = pattern(3, 128 * 4096);
    h.ctrl.namespace_write(0, &data).unwrap();
    for qid in 1..=4 {
        h.create_io_queues(qid, 64, 64);
    }
    let start = h.now;
    for qid in 1..=4u16 {
        for i in 0..32u64 {
            let k = u64::from(qid - 1) * 32 + i;
            h.queue_command(qid, Cmd::read(k * 8, 8).prp(DATA + k * PAGE, 0));
        }
        h.ring_sq(qid);
    }
    let mut done = 0;
    while done < 128 {
        h.tick();
        for qid in 1..=4 {
            while let Some(c) = h.poll_cqe(qid) {
                c.assert_ok();
                assert_eq!(c.sq_id, qid);
                done += 1;
            }
        }
        assert!(h.now - start <= 2005, "128 commands did not overlap");
    }
    assert!(h.bus.mem(DATA, 128 * 4096) == &data[..]);
}

#[test]
fn disabling_or_resetting_mid_command_drops_it() {
    for flr in [false, true] {
        let mut h = Host::ready(NvmeConfig {
            latency_cycles: 1000,
            ..test_config()
        });
        h.bus.peer_delay = 50;
        let old = pattern(4, 32 << 10);
        h.ctrl.namespace_write(0, &old).unwrap();
        let pages: Vec<u64> = (0..8).map(|k| PEER_BASE + k * PAGE).collect();
        h.bus.put_u64s(LISTS, &pages[1..]);
        h.bus.peer[..32 << 10].copy_from_slice(&pattern(5, 32 << 10));
        h.queue_command(1, Cmd::write(0, 64).prp(pages[0], LISTS));
        h.queue_command(1, Cmd::read(0, 8).prp(DATA, 0));
        h.ring_sq(1);
        h.run(20);
        assert!(
            !h.bus.data_reads.is_empty(),
            "the write's reads are on the bus"
        );
        let completed = h.ctrl.stats().commands_completed;
        if flr {
            h.ctrl.reset();
            assert_eq!(h.reg32(0x14), 0);
        } else {
            h.set_reg32(0x14, 0);
        }
        assert_eq!(h.reg32(0x1c) & 1, 0, "not ready");
        h.run_until_idle();
        assert_eq!(
            h.bus.outstanding_reads(),
            0,
            "reads of dropped commands are still collected (their tags freed)"
        );
        assert_eq!(
            h.ctrl.stats().commands_completed,
            completed,
            "no completion"
        );
        let cq = IO_QUEUES + 0x2_0000 + 0x1_0000;
        assert_eq!(h.bus.mem(cq, 16), [0; 16], "nothing posted");
        assert!(
            h.ns(0, 32 << 10) == old,
            "the dropped write changed nothing"
        );
        // The controller starts afresh.
        h.enable();
        h.create_io_queues(1, 64, 64);
        h.exec(1, Cmd::new(0x00).nsid(1)).assert_ok();
        h.run(2000);
        assert!(
            h.poll_cqe(1).is_none(),
            "the dropped commands never complete"
        );
    }
}
