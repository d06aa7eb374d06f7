// SPDX-License-Identifier: MIT OR Apache-2.0
//! BAR0 registers: reset values, access widths, enable / disable / shutdown sequencing,
//! controller fatal status, doorbell validation, the MSI-X table, configuration checks.

use super::*;
use crate::SimError;

#[test]
fn capabilities_version_and_power_on_values() {
    let mut h = Host::new(test_config());
    let cap = h.reg64(0x00);
    assert_eq!(cap & 0xffff, 1023, "MQES = max_queue_entries - 1");
    assert_eq!((cap >> 16) & 1, 1, "CQR");
    assert_eq!((cap >> 17) & 0x3, 0, "AMS: round robin only");
    assert_eq!((cap >> 24) & 0xff, 1, "TO: 500 ms");
    assert_eq!((cap >> 32) & 0xf, 0, "DSTRD");
    assert_eq!((cap >> 37) & 0xff, 1, "CSS: NVM command set");
    assert_eq!((cap >> 48) & 0xff, 0, "MPSMIN = MPSMAX = 0");
    assert_eq!(h.reg32(0x08), 0x0001_0400, "VS 1.4");
    for off in [0x14, 0x1c, 0x24, 0x38, 0x3c] {
        assert_eq!(h.reg32(off), 0, "register {off:#x} after power-on");
    }
    assert_eq!(h.reg64(0x28), 0);
    // Narrow reads see the same bytes a CPU would.
    let mut b = [0u8; 2];
    h.ctrl.read_register(0x00, &mut b);
    assert_eq!(u16::from_le_bytes(b), 1023);
    let mut one = [0u8; 1];
    h.ctrl.read_register(0x0a, &mut one);
    assert_eq!(one[0], 0x01, "VS major, byte 2");
    assert_eq!(h.reg32(0x04), (cap >> 32) as u32, "CAP high dword alone");
    // Doorbells, unimplemented offsets and bytes past BAR0 read 0.
    assert_eq!(h.reg32(0x1000), 0);
    assert_eq!(h.reg32(0x0f00), 0);
    let mut past = [0xaau8; 4];
    h.ctrl
        .read_register(NvmeController::BAR0_LEN - 2, &mut past);
    assert_eq!(past, [0; 4]);
    // Read-only registers ignore writes.
    h.set_reg64(0x00, 0);
    h.set_reg32(0x08, 0);
    h.set_reg32(0x1c, 0xffff_ffff);
    assert_eq!(h.reg64(0x00), cap);
    assert_eq!(h.reg32(0x08), 0x0001_0400);
    assert_eq!(h.reg32(0x1c), 0);
    assert!(!h.ctrl.busy(), "nothing to do before an enable");
}

#[test]
fn cmb_registers_describe_bar2() {
    let mut h = Host::new(NvmeConfig {
        cmb_bytes: 1 << 20,
        ..test_config()
    });
    assert_eq!(h.reg32(0x38), 2, "CMBLOC: BIR 2, offset 0");
    let sz = h.reg32(0x3c);
    assert_eq!(sz >> 12, 256, "SZ in 4 KiB units");
    assert_eq!((sz >> 8) & 0xf, 0, "SZU 4 KiB");
    assert_eq!(
        sz & 0x1f,
        0b11000,
        "RDS and WDS, no queues or lists in the CMB"
    );
    h.ctrl.cmb_write(0xffe, &[1, 2, 3, 4]);
    let mut b = [0u8; 4];
    h.ctrl.cmb_read(0xffe, &mut b);
    assert_eq!(b, [1, 2, 3, 4]);
}

#[test]
fn registers_merge_partial_writes() {
    let mut h = Host::new(test_config());
    // ASQ one byte at a time, then ACQ as two dwords.
    for (i, b) in 0x0000_0012_3456_7000u64.to_le_bytes().iter().enumerate() {
        h.ctrl.write_register(0x28 + i as u64, &[*b], 0);
    }
    assert_eq!(h.reg64(0x28), 0x12_3456_7000);
    h.set_reg32(0x30, 0x0008_9000);
    h.set_reg32(0x34, 0x1);
    assert_eq!(h.reg64(0x30), 0x1_0008_9000);
    // AQA keeps only its two 12-bit fields.
    h.set_reg32(0x24, 0xffff_ffff);
    assert_eq!(h.reg32(0x24), 0x0fff_0fff);
    // A 2-byte write into CC's upper half sets IOSQES/IOCQES without enabling.
    h.ctrl.write_register(0x16, &0x0046u16.to_le_bytes(), 0);
    assert_eq!(h.reg32(0x14), 0x0046_0000);
    assert_eq!(h.reg32(0x1c) & 1, 0);
    // INTMS sets mask bits, INTMC clears them; both read the mask.
    h.set_reg32(0x0c, 0b1010);
    h.set_reg32(0x10, 0b0010);
    assert_eq!((h.reg32(0x0c), h.reg32(0x10)), (0b1000, 0b1000));
}

#[test]
fn enable_raises_ready_after_ready_cycles_and_disable_clears_it() {
    let mut h = Host::new(NvmeConfig {
        ready_cycles: 100,
        ..test_config()
    });
    h.start_enable(ADMIN_SQ, ADMIN_CQ);
    assert!(h.ctrl.busy(), "the ready transition is pending");
    h.run(99);
    assert_eq!(h.reg32(0x1c) & 1, 0, "not ready before ready_cycles");
    h.tick();
    assert_eq!(h.reg32(0x1c), 1, "RDY at enable + ready_cycles, no CFS");
    assert!(!h.ctrl.busy(), "idle once ready with empty queues");
    h.set_reg32(0x14, 0);
    assert_eq!(h.reg32(0x1c), 0, "CC.EN = 0 clears RDY");
    // The admin queues are gone: their doorbells are ignored.
    h.set_reg32(0x1000, 1);
    assert!(!h.ctrl.busy());
}

#[test]
fn bad_admin_queue_setup_sets_fatal_status() {
    let bad: [(&str, u32, u64, u64, u32); 6] = [
        ("AQA zero", 0, ADMIN_SQ, ADMIN_CQ, 1),
        ("one-entry admin CQ", 31, ADMIN_SQ, ADMIN_CQ, 1),
        (
            "ASQ not 4 KiB aligned",
            0x001f_001f,
            ADMIN_SQ + 0x40,
            ADMIN_CQ,
            1,
        ),
        (
            "ACQ not 4 KiB aligned",
            0x001f_001f,
            ADMIN_SQ,
            ADMIN_CQ + 8,
            1,
        ),
        ("CC.MPS 1", 0x001f_001f, ADMIN_SQ, ADMIN_CQ, 1 | (1 << 7)),
        ("CC.CSS 7", 0x001f_001f, ADMIN_SQ, ADMIN_CQ, 1 | (7 << 4)),
    ];
    for (what, aqa, asq, acq, cc) in bad {
        let mut h = Host::new(test_config());
        h.set_reg32(0x24, aqa);
        h.set_reg64(0x28, asq);
        h.set_reg64(0x30, acq);
        h.set_reg32(0x14, cc);
        h.run(20);
        assert_eq!(h.reg32(0x1c) & 0b11, 0b10, "{what}: CFS set, never RDY");
        assert!(!h.ctrl.busy(), "{what}: a fatal controller does nothing");
        // CC.EN = 0 clears CFS; a good setup then works.
        h.set_reg32(0x14, 0);
        assert_eq!(h.reg32(0x1c), 0, "{what}");
        h.enable();
        let id = Cmd::identify(1, 0, DATA, 0);
        h.admin(id).assert_ok();
    }
}

#[test]
fn unreachable_admin_queues_are_fatal() {
    // The SQ entry fetch fails.
    let mut h = Host::new(test_config());
    h.start_enable(UNMAPPED, ADMIN_CQ);
    h.run(10);
    assert_eq!(h.reg32(0x1c), 1);
    h.set_reg32(0x1000, 1);
    h.run_until_idle();
    assert_eq!(h.reg32(0x1c) & 0b10, 0b10, "CFS after a refused SQ fetch");
    assert_eq!(h.bus.faults, [UNMAPPED]);

    // The CQ entry write fails.
    let mut h = Host::new(test_config());
    h.start_enable(ADMIN_SQ, UNMAPPED);
    h.run(10);
    h.submit(0, Cmd::identify(1, 0, DATA, 0));
    h.run_until_idle();
    assert_eq!(h.reg32(0x1c) & 0b10, 0b10, "CFS after a refused CQ write");
    assert_eq!(h.bus.faults, [UNMAPPED]);
    assert_eq!(h.ctrl.stats().commands_completed, 0);
}

#[test]
fn invalid_doorbell_writes_are_ignored() {
    let mut h = Host::ready(test_config());
    let before = h.ctrl.stats();
    // SQ tail beyond the 64-entry queue, a queue that does not exist, a doorbell write that
    // misses the low 16 bits: no fetch.
    h.set_reg32(0x1008, 64);
    h.set_reg32(0x1010, 1);
    h.ctrl.write_register(0x100a, &[1, 0], h.now);
    h.run(50);
    assert!(!h.ctrl.busy());
    assert_eq!(h.ctrl.stats(), before);
    // A CQ head doorbell releasing entries the controller never posted is ignored: the CQ
    // keeps all its room, so 63 completions still fit and none is overwritten.
    h.set_reg32(0x100c, 10);
    for _ in 0..63 {
        h.queue_command(1, Cmd::new(0x00).nsid(1));
    }
    h.ring_sq(1);
    h.run_until_idle();
    assert_eq!(
        h.ctrl.stats().commands_completed - before.commands_completed,
        63
    );
    for _ in 0..63 {
        h.poll_cqe(1).expect("posted").assert_ok();
    }
}

#[test]
fn shutdown_completes_once_nothing_is_in_flight() {
    let mut h = Host::ready(NvmeConfig {
        latency_cycles: 500,
        ..test_config()
    });
    h.submit(1, Cmd::new(0x00).nsid(1));
    h.run(10);
    let cc = h.reg32(0x14);
    h.set_reg32(0x14, cc | (1 << 14));
    assert_eq!((h.reg32(0x1c) >> 2) & 0x3, 0b01, "shutdown occurring");
    h.run(100);
    assert_eq!(
        (h.reg32(0x1c) >> 2) & 0x3,
        0b01,
        "the flush is still in flight"
    );
    // Commands submitted now are not fetched.
    h.submit(1, Cmd::new(0x00).nsid(1));
    h.run_until_idle();
    assert_eq!((h.reg32(0x1c) >> 2) & 0x3, 0b10, "shutdown complete");
    h.wait_cqe(1).assert_ok();
    assert!(
        h.poll_cqe(1).is_none(),
        "the later command was not processed"
    );
    // A reset (CC.EN = 0) clears SHST.
    h.set_reg32(0x14, 0);
    assert_eq!(h.reg32(0x1c), 0);
}

#[test]
fn msix_table_lives_in_bar0() {
    let mut h = Host::new(test_config());
    assert_eq!(h.reg32(0x300c), 1, "vectors start masked");
    assert_eq!(h.ctrl.msix_message(0), None);
    h.set_reg64(0x3010, 0xfee0_1003);
    h.set_reg32(0x3018, 0x4321);
    h.set_reg32(0x301c, 0);
    assert_eq!(h.reg64(0x3010), 0xfee0_1000, "address bits 1:0 read 0");
    assert_eq!(
        h.ctrl.msix_message(1),
        Some(super::super::MsixMessage {
            address: 0xfee0_1000,
            data: 0x4321
        })
    );
    assert_eq!(h.ctrl.msix_message(8), None, "only 8 vectors");
    assert_eq!(h.reg32(0x3080), 0, "past the table");
    assert_eq!(h.reg32(0x3800), 0, "PBA");
    h.ctrl.reset();
    assert_eq!(h.ctrl.msix_message(1), None, "FLR masks every vector");
}

#[test]
fn function_level_reset_restores_power_on_values_and_keeps_data() {
    let mut h = Host::ready(test_config());
    h.ctrl.namespace_write(4096, b"kept").unwrap();
    h.ctrl.reset();
    for off in [0x14, 0x1c, 0x24] {
        assert_eq!(h.reg32(off), 0, "register {off:#x}");
    }
    assert_eq!((h.reg64(0x28), h.reg64(0x30)), (0, 0));
    assert_eq!(h.ns(4096, 4), b"kept");
    assert!(!h.ctrl.busy());
    h.set_reg32(0x1008, 1);
    h.run(10);
    assert!(!h.ctrl.busy(), "the I/O queues are gone");
}

#[test]
fn invalid_configurations_are_refused() {
    let bad = [
        NvmeConfig {
            lba_size: 1024,
            ..test_config()
        },
        NvmeConfig {
            namespace: NamespaceBacking::Memory { bytes: 1000 },
            ..test_config()
        },
        NvmeConfig {
            namespace: NamespaceBacking::Memory { bytes: 0 },
            ..test_config()
        },
        NvmeConfig {
            msix_vectors: 0,
            ..test_config()
        },
        NvmeConfig {
            msix_vectors: 129,
            ..test_config()
        },
        NvmeConfig {
            max_io_queues: 1024,
            ..test_config()
        },
        NvmeConfig {
            max_queue_entries: 1,
            ..test_config()
        },
        NvmeConfig {
            cmb_bytes: 3 << 12,
            ..test_config()
        },
        NvmeConfig {
            cmb_bytes: 2048,
            ..test_config()
        },
        NvmeConfig {
            serial: "x".repeat(21),
            ..test_config()
        },
        NvmeConfig {
            model: "caf\u{e9}".into(),
            ..test_config()
        },
    ];
    for config in bad {
        let what = format!("{config:?}");
        assert!(
            matches!(NvmeController::new(config), Err(SimError::InvalidConfig(_))),
            "{what}"
        );
    }
    let ctrl = NvmeController::new(NvmeConfig::default()).unwrap();
    assert_eq!(ctrl.config().latency_cycles, 2_500);
    assert!(
        ctrl.namespace_read(64 << 20, &mut [0u8; 1]).is_err(),
        "past the end"
    );
}
