// SPDX-License-Identifier: MIT OR Apache-2.0
//! Accesses the endpoint cannot serve: the driver refuses them before anything is sent, and
//! the RTL answers a peer that sends them anyway the PCIe-correct way, never wrapping around.

use peerbar::{BarIndex, BarOffset, CompletionStatus, Device, Error};
use peerbar_sim::tlp::RequestType;
use peerbar_sim::{RawOutcome, RawRequest, SimDevice};
use peerbar_tests::{pattern, read_bar2, reg, sim};

const DROPPED_WRITES: u64 = peerbar::regs::DROPPED_WRITES_REG.offset;
const UNSUPPORTED_REQUESTS: u64 = peerbar::regs::UNSUPPORTED_REQUESTS_REG.offset;
const ERROR_LOG: u64 = peerbar::regs::ERROR_LOG_REG.offset;
const CONTROL: u64 = peerbar::regs::CONTROL_REG.offset;
const MAGIC: u64 = peerbar::regs::MAGIC_REG.offset;
const SCRATCH: u64 = peerbar::regs::SCRATCH_REG.offset;

fn bar2_len(dev: &SimDevice) -> u64 {
    dev.bar_len(BarIndex::BAR2).expect("BAR2")
}

#[test]
fn driver_refuses_accesses_past_the_end_and_sends_nothing() {
    let dev = sim(256, 512, 64);
    let len = bar2_len(&dev);
    let tail = pattern(5, 64);
    dev.bar_write(BarIndex::BAR2, BarOffset::new(len - 64), &tail)
        .unwrap();
    let head = read_bar2(&dev, 0, 64);
    let requests = dev.stats().requests;

    let mut buf = [0u8; 2];
    let cases: Vec<(&str, Result<(), Error>)> = vec![
        (
            "bulk write across the end",
            dev.bar_write(BarIndex::BAR2, BarOffset::new(len - 1), &[1, 2]),
        ),
        (
            "bulk read across the end",
            dev.bar_read(BarIndex::BAR2, BarOffset::new(len - 1), &mut buf),
        ),
        (
            "64-bit write at the end",
            dev.bar_write64(BarIndex::BAR2, BarOffset::new(len), 0),
        ),
        (
            "32-bit read past BAR0",
            dev.bar_read32(BarIndex::BAR0, BarOffset::new(0x1_0000))
                .map(|_| ()),
        ),
        (
            "offset overflow",
            dev.bar_write(BarIndex::BAR2, BarOffset::new(u64::MAX), &[0]),
        ),
    ];
    for (what, result) in cases {
        match result {
            Err(Error::OutOfRange { .. }) => {}
            other => panic!("{what}: expected OutOfRange, got {other:?}"),
        }
    }
    match dev.bar_read32(BarIndex::new(4).unwrap(), BarOffset::ZERO) {
        Err(Error::NoSuchBar { .. }) => {}
        other => panic!("BAR4: expected NoSuchBar, got {other:?}"),
    }
    match dev.bar_write32(BarIndex::BAR2, BarOffset::new(2), 0) {
        Err(Error::Misaligned { .. }) => {}
        other => panic!("misaligned: expected Misaligned, got {other:?}"),
    }
    assert_eq!(
        dev.stats().requests,
        requests,
        "a refused access reached the RTL"
    );
    assert_eq!(read_bar2(&dev, len - 64, 64), tail);
    assert_eq!(read_bar2(&dev, 0, 64), head);
    assert_eq!(reg(&dev, DROPPED_WRITES), 0);
    assert_eq!(reg(&dev, UNSUPPORTED_REQUESTS), 0);
}

fn raw(kind: RequestType, bar_id: u8, offset: u64, dw_count: u16, payload: Vec<u32>) -> RawRequest {
    RawRequest {
        kind,
        bar_id,
        offset,
        dw_count,
        first_be: 0xf,
        last_be: if dw_count > 1 { 0xf } else { 0 },
        payload,
    }
}

#[test]
fn rtl_answers_a_read_across_the_end_of_bar2_with_ur() {
    let dev = sim(256, 512, 64);
    let len = bar2_len(&dev);
    let out = dev
        .send_raw(raw(RequestType::MemRead, 2, len - 8, 4, vec![]))
        .unwrap();
    assert_eq!(
        out,
        RawOutcome::Status(CompletionStatus::UnsupportedRequest)
    );
    assert_eq!(reg(&dev, UNSUPPORTED_REQUESTS), 1);
    let log = reg(&dev, ERROR_LOG);
    assert_eq!(log >> 31, 1, "VALID");
    assert_eq!(log & 0xf, 1, "CAUSE = past the end of the BAR");
    assert_eq!((log >> 4) & 0xf, 0, "REQ_TYPE = MemRd");
    assert_eq!((log >> 8) & 0x7, 2, "BAR_ID");
    assert_eq!((log >> 16) & 0x7ff, 4, "DWORD_COUNT");
    assert_eq!(
        peerbar::regs::read64(&dev, &peerbar::regs::ERROR_ADDR_REG64).unwrap(),
        len - 8
    );
}

#[test]
fn rtl_drops_a_write_across_the_end_of_bar2_without_wrapping() {
    let dev = sim(256, 512, 64);
    let len = bar2_len(&dev);
    let head = read_bar2(&dev, 0, 64);
    let tail = read_bar2(&dev, len - 64, 64);
    let out = dev
        .send_raw(raw(
            RequestType::MemWrite,
            2,
            len - 8,
            16,
            vec![0xa5a5_a5a5; 16],
        ))
        .unwrap();
    assert_eq!(out, RawOutcome::Posted);
    assert_eq!(read_bar2(&dev, 0, 64), head, "wrapped to the start of BAR2");
    assert_eq!(
        read_bar2(&dev, len - 64, 64),
        tail,
        "partial write at the end"
    );
    assert_eq!(reg(&dev, DROPPED_WRITES), 1);
    assert_eq!(reg(&dev, ERROR_LOG) & 0xf, 1);
    // The next request is served normally.
    dev.bar_write32(BarIndex::BAR2, BarOffset::new(len - 4), 0x1234_5678)
        .unwrap();
    assert_eq!(
        dev.bar_read32(BarIndex::BAR2, BarOffset::new(len - 4))
            .unwrap(),
        0x1234_5678
    );
}

#[test]
fn rtl_answers_unsupported_requests_with_ur_and_logs_the_cause() {
    let dev = sim(256, 512, 64);
    let clear = |dev: &SimDevice| {
        dev.bar_write32(BarIndex::BAR0, BarOffset::new(CONTROL), 1)
            .unwrap()
    };
    // (request, ERROR_LOG.CAUSE)
    let cases = [
        (raw(RequestType::IoRead, 0, 0x18, 1, vec![]), 2u32),
        (raw(RequestType::LockedRead, 2, 0x40, 1, vec![]), 2),
        (raw(RequestType::FetchAdd, 2, 0x40, 1, vec![1]), 2),
        (raw(RequestType::MemRead, 0, 0x10, 3, vec![]), 3),
        (raw(RequestType::MemRead, 4, 0x0, 1, vec![]), 4),
    ];
    for (req, cause) in cases {
        clear(&dev);
        let what = format!("{:?} to BAR{}", req.kind, req.bar_id);
        let out = dev.send_raw(req).unwrap();
        assert_eq!(
            out,
            RawOutcome::Status(CompletionStatus::UnsupportedRequest),
            "{what}"
        );
        assert_eq!(reg(&dev, UNSUPPORTED_REQUESTS), 1, "{what}");
        assert_eq!(reg(&dev, ERROR_LOG) & 0xf, cause, "{what}");
    }
    // The log keeps the first refusal; the counter counts them all.
    clear(&dev);
    for req in [
        raw(RequestType::IoRead, 0, 0x18, 1, vec![]),
        raw(RequestType::MemRead, 4, 0x0, 1, vec![]),
    ] {
        dev.send_raw(req).unwrap();
    }
    assert_eq!(reg(&dev, ERROR_LOG) & 0xf, 2);
    assert_eq!(reg(&dev, UNSUPPORTED_REQUESTS), 2);
    clear(&dev);
    assert_eq!(reg(&dev, ERROR_LOG), 0);
    assert_eq!(reg(&dev, UNSUPPORTED_REQUESTS), 0);
    // The endpoint keeps serving.
    assert_eq!(reg(&dev, MAGIC), 0x5045_4552);
}

#[test]
fn rtl_drops_unservable_posted_requests() {
    let dev = sim(256, 512, 64);
    let before = reg(&dev, SCRATCH);
    // A 3-DWORD write to BAR0 (registers take 1-2) and a write to a BAR that does not exist.
    dev.send_raw(raw(RequestType::MemWrite, 0, SCRATCH, 3, vec![1, 2, 3]))
        .unwrap();
    dev.send_raw(raw(RequestType::MemWrite, 4, 0x0, 1, vec![7]))
        .unwrap();
    assert_eq!(reg(&dev, SCRATCH), before, "SCRATCH changed");
    assert_eq!(reg(&dev, DROPPED_WRITES), 2);
    assert_eq!(reg(&dev, ERROR_LOG) & 0xf, 3);
}

#[test]
fn zero_length_read_completes_with_one_dword() {
    let dev = sim(256, 512, 64);
    let mut req = raw(RequestType::MemRead, 2, 0x40, 1, vec![]);
    req.first_be = 0;
    assert_eq!(dev.send_raw(req).unwrap(), RawOutcome::Data(vec![]));
}
