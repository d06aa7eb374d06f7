// SPDX-License-Identifier: MIT OR Apache-2.0
use std::collections::BTreeMap;

use super::*;
use crate::tlp::{dword_span, RequestType};

const LIMITS: RqLimits = RqLimits {
    max_payload: 256,
    max_read_req: 512,
    bus_master: true,
    extended_tags: true,
};

fn request(kind: RequestType, addr: u64, len: u64, tag: u8) -> RqRequest {
    let (dw_address, dw_count, first_be, last_be) = dword_span(addr, len);
    let payload = if kind == RequestType::MemWrite {
        (0..u32::from(dw_count)).collect()
    } else {
        Vec::new()
    };
    RqRequest {
        kind,
        dw_address,
        dw_count,
        first_be,
        last_be,
        requester_id: None,
        tag,
        traffic_class: 0,
        attr: 0,
        seq_num: 5,
        payload,
    }
}

fn feed(req: &RqRequest, limits: RqLimits, busy: &[u8]) -> Result<RqRequest, String> {
    let mut c = RqChecker::default();
    let beats = rq_beats(req);
    let mut out = None;
    for b in &beats {
        out = c.push(b, limits, |t| busy.contains(&t))?;
    }
    Ok(out.expect("last beat closes the request"))
}

#[test]
fn legal_requests_round_trip() {
    let w = request(RequestType::MemWrite, 0x1_0000_0ff3, 13, 0);
    assert_eq!(feed(&w, LIMITS, &[]).unwrap(), w);
    let r = request(RequestType::MemRead, 0x1_0000_0e00, 512, 9);
    let got = feed(&r, LIMITS, &[1, 2]).unwrap();
    assert_eq!((got.seq_num, got.byte_count()), (5, 512));
    // Zero-length read and a QW-aligned 2-DW write with a gap in its byte enables.
    let z = request(RequestType::MemRead, 0x2000, 0, 3);
    assert!(feed(&z, LIMITS, &[]).is_ok());
    let mut gap = request(RequestType::MemWrite, 0x2000, 8, 3);
    gap.first_be = 0b1001;
    gap.last_be = 0b0101;
    assert!(feed(&gap, LIMITS, &[]).is_ok());
    let runs = gap.write_runs();
    assert_eq!(
        runs.iter().map(|r| r.0).collect::<Vec<_>>(),
        [0x2000, 0x2003, 0x2006]
    );
}

fn rule_broken(req: &RqRequest, limits: RqLimits, busy: &[u8], rule: &str) {
    let err = feed(req, limits, busy).expect_err("must be refused");
    assert!(err.contains(rule), "expected '{rule}' in: {err}");
    assert!(
        err.contains(&format!("tag {:#04x}", req.tag)),
        "names the request: {err}"
    );
}

#[test]
fn each_rule_violation_is_named() {
    // 4 KiB crossing.
    let r = request(RequestType::MemRead, 0x1_0000_0ff0, 32, 1);
    rule_broken(&r, LIMITS, &[], "crosses a 4 KiB boundary");
    // MemWr payload > MPS.
    let w = request(RequestType::MemWrite, 0x1000, 260, 2);
    rule_broken(&w, LIMITS, &[], "exceed Max Payload Size 256");
    // MemRd > MRRS.
    let r = request(RequestType::MemRead, 0x1000, 516, 3);
    rule_broken(&r, LIMITS, &[], "exceed Max Read Request Size 512");
    // Tag reuse while outstanding.
    let r = request(RequestType::MemRead, 0x1000, 64, 4);
    rule_broken(&r, LIMITS, &[4], "tag 0x04 is reused");
    // DWORD count vs payload.
    let mut w = request(RequestType::MemWrite, 0x1000, 64, 5);
    w.payload.pop();
    rule_broken(&w, LIMITS, &[], "DWORD count 16 but the packet carries 15");
    let mut r = request(RequestType::MemRead, 0x1000, 64, 6);
    r.payload = vec![0; 2];
    rule_broken(&r, LIMITS, &[], "DWORD count mismatch");
    // Byte enables.
    let mut r = request(RequestType::MemRead, 0x1000, 64, 7);
    r.first_be = 0;
    rule_broken(&r, LIMITS, &[], "first_be 0");
    let mut r = request(RequestType::MemRead, 0x1000, 64, 8);
    r.first_be = 0b1011;
    rule_broken(&r, LIMITS, &[], "not contiguous");
    let mut r = request(RequestType::MemRead, 0x1004, 8, 9);
    r.last_be = 0b0100;
    rule_broken(&r, LIMITS, &[], "not contiguous");
    let mut r = request(RequestType::MemRead, 0x1000, 4, 10);
    r.last_be = 0xf;
    rule_broken(&r, LIMITS, &[], "last_be");
    // Bus mastering disabled.
    let r = request(RequestType::MemRead, 0x1000, 4, 11);
    let off = RqLimits {
        bus_master: false,
        ..LIMITS
    };
    rule_broken(&r, off, &[], "bus mastering is disabled");
    // 8-bit tag without Extended Tag Field Enable.
    let r = request(RequestType::MemRead, 0x1000, 4, 0x45);
    let five_bit = RqLimits {
        extended_tags: false,
        ..LIMITS
    };
    rule_broken(&r, five_bit, &[], "Extended Tag Field Enable");
    assert!(feed(&r, LIMITS, &[]).is_ok());
}

#[test]
fn reserved_fields_and_framing_are_checked() {
    let r = request(RequestType::MemRead, 0x1000, 64, 12);
    let mut beats = rq_beats(&r);
    beats[0].data[0] |= 1; // AT = 01b
    let mut c = RqChecker::default();
    let err = c.push(&beats[0], LIMITS, |_| false).unwrap_err();
    assert!(err.contains("reserved: address type 1"), "{err}");
    let mut beats = rq_beats(&r);
    beats[0].user |= 3 << 8;
    let err = c.push(&beats[0], LIMITS, |_| false).unwrap_err();
    assert!(err.contains("addr_offset"), "{err}");
    let mut beats = rq_beats(&r);
    beats[0].data[3] |= 1 << 8; // completer ID without requester ID enable
    let err = c.push(&beats[0], LIMITS, |_| false).unwrap_err();
    assert!(err.contains("completer ID"), "{err}");
    let mut beats = rq_beats(&r);
    beats[0].data[2] |= 0x2 << 11; // IORd
    let err = c.push(&beats[0], LIMITS, |_| false).unwrap_err();
    assert!(err.contains("not a memory read or write"), "{err}");
    let w = request(RequestType::MemWrite, 0x1000, 64, 13);
    let mut beats = rq_beats(&w);
    beats[0].keep = 0x7f;
    let err = c.push(&beats[0], LIMITS, |_| false).unwrap_err();
    assert!(err.contains("not the last beat"), "{err}");
    let mut beats = rq_beats(&w);
    beats[1].user |= 1 << 11;
    assert!(c.push(&beats[0], LIMITS, |_| false).unwrap().is_none());
    let err = c.push(&beats[1], LIMITS, |_| false).unwrap_err();
    assert!(err.contains("discontinue"), "{err}");
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + 3) as u8).collect()
}

/// Reassembles completions of one read the way the RTL must, checking every field the
/// Split Completion Table delivers.
fn reassemble(
    req: &RqRequest,
    answer: &ReadAnswer,
    packets: &[RcPacket],
    mps: u32,
    rcb: u32,
) -> Vec<u8> {
    let mut sct = SplitCompletionTable::new(1_000_000);
    sct.issue(req, 0);
    let mut next = answer.first_byte;
    let mut remaining = answer.byte_count;
    let mut out = Vec::new();
    for (i, wire) in packets.iter().enumerate() {
        assert!(wire.desc.lower_address < 0x80, "#{i}: 7 bits on the link");
        let p = &sct.receive(wire.clone());
        let d = &p.desc;
        assert_eq!(d.error_code, 0, "#{i}");
        assert_eq!(u64::from(d.lower_address), next & 0xfff, "#{i}");
        assert_eq!(u32::from(d.byte_count), remaining, "#{i}");
        assert_eq!(usize::from(d.dw_count), p.payload.len());
        assert!(u32::from(d.dw_count) * 4 <= mps);
        assert_eq!(d.tag, answer.tag);
        let skew = (next & 3) as u32;
        let bytes = (u32::from(d.dw_count) * 4 - skew).min(remaining);
        let last = bytes == remaining;
        assert_eq!(d.request_completed, last, "#{i}");
        assert_eq!(last, i + 1 == packets.len());
        if !last {
            assert_eq!(
                (next + u64::from(bytes)) % u64::from(rcb),
                0,
                "#{i} ends on RCB"
            );
        }
        let raw: Vec<u8> = p.payload.iter().flat_map(|d| d.to_le_bytes()).collect();
        out.extend_from_slice(&raw[skew as usize..(skew + bytes) as usize]);
        // Byte enables mark exactly the bytes carried.
        let be_bits: u32 = p.payload_be.iter().map(|b| b.count_ones()).sum();
        assert_eq!(be_bits, bytes);
        next += u64::from(bytes);
        remaining -= bytes;
    }
    assert_eq!(remaining, 0);
    assert!(sct.is_empty(), "the last completion released the tag");
    out
}

#[test]
fn completions_split_at_rcb_and_mps_and_reassemble() {
    for &(addr, len, mps, rcb) in &[
        (0x1000u64, 512u32, 256u32, 64u32),
        (0x1003, 509, 128, 64),
        (0x10fe, 1000, 256, 128),
        (0x2040, 4, 128, 64),
        (0x3ffd, 3, 128, 64),
    ] {
        let mut req = request(RequestType::MemRead, addr, u64::from(len), 1);
        req.requester_id = Some(0x0100);
        let answer = ReadAnswer::for_request(&req, 0x0100, 0);
        let data = pattern(len as usize);
        let plain = answer.split(&data, mps, rcb, None);
        assert_eq!(reassemble(&req, &answer, &plain, mps, rcb), data);
        // Default splitting uses as few completions as the rules allow.
        let max_chunks = (u64::from(len) + 3).div_ceil(u64::from(mps)) + 1;
        assert!(plain.len() as u64 <= max_chunks, "{addr:#x} {len}");
        let mut rng = SimRng::new(7);
        for _ in 0..20 {
            let random = answer.split(&data, mps, rcb, Some(&mut rng));
            assert_eq!(reassemble(&req, &answer, &random, mps, rcb), data);
        }
    }
    // Random splitting does split.
    let req = request(RequestType::MemRead, 0x1000, 512, 1);
    let answer = ReadAnswer::for_request(&req, 0x0100, 0);
    let mut rng = SimRng::new(1);
    let counts: Vec<usize> = (0..10)
        .map(|_| answer.split(&pattern(512), 256, 64, Some(&mut rng)).len())
        .collect();
    assert!(counts.iter().any(|&c| c > 2), "{counts:?}");
}

#[test]
fn rc_beats_carry_descriptor_payload_and_sideband() {
    let req = request(RequestType::MemRead, 0x1002, 30, 0x21);
    let answer = ReadAnswer::for_request(&req, 0x0100, 0);
    let packets = answer.split(&pattern(30), 256, 64, None);
    assert_eq!(packets.len(), 1);
    let beats = packets[0].beats();
    // 3 descriptor DWs + 8 payload DWs = 11 DWs: two beats.
    assert_eq!(beats.len(), 2);
    assert_eq!(beats[0].keep, 0xff);
    assert_eq!(beats[1].keep, 0x07);
    assert!(beats[1].last && !beats[0].last);
    let d = RcDescriptor::decode([beats[0].data[0], beats[0].data[1], beats[0].data[2]]);
    assert_eq!(
        (d.lower_address, d.byte_count, d.dw_count, d.tag),
        (0x002, 30, 8, 0x21)
    );
    // byte_en: descriptor lanes 0, first payload DW (lane 3) has bytes 2-3.
    assert_eq!(beats[0].user[0] & 0xffff, 0xc000);
    assert_eq!(beats[0].user[1] & 1, 1, "is_sof_0");
    assert_eq!((beats[0].user[1] >> 2) & 1, 0, "no eof in beat 0");
    assert_eq!((beats[1].user[1] >> 2) & 0xf, 1 | (2 << 1), "eof at DW2");
    let mut sct = SplitCompletionTable::new(1_000);
    sct.issue(&req, 0);
    let err = sct.receive(answer.error(crate::tlp::STATUS_UR));
    let d = RcDescriptor::decode(err.desc.encode());
    assert_eq!(
        (d.error_code, d.status, d.dw_count, d.byte_count),
        (RC_ERROR_STATUS, 1, 0, 30)
    );
    assert!(d.request_completed && sct.is_empty());
}

#[test]
fn scheduler_reorders_across_tags_in_order_within_a_tag() {
    let mut s = RcScheduler::new(true, 42, 1_000_000);
    let mut expect: BTreeMap<u8, Vec<u16>> = BTreeMap::new();
    for tag in 0..8u8 {
        let req = request(RequestType::MemRead, 0x1000 * u64::from(tag + 1), 512, tag);
        s.issue(&req, 0);
        let answer = ReadAnswer::for_request(&req, 0x0100, 0);
        let packets = answer.split(&pattern(512), 128, 64, None);
        expect.insert(tag, packets.iter().map(|p| p.desc.byte_count).collect());
        s.push(tag, 10, packets);
    }
    assert!(s.head(5).is_none(), "latency respected");
    let mut order = Vec::new();
    let mut seen: BTreeMap<u8, Vec<u16>> = BTreeMap::new();
    let mut freed = Vec::new();
    let mut now = 10;
    while !s.is_empty() {
        let beat = s.head(now).expect("ready").clone();
        if beat.user[1] & 1 == 1 {
            let d = RcDescriptor::decode([beat.data[0], beat.data[1], beat.data[2]]);
            assert_eq!(d.error_code, 0);
            order.push(d.tag);
            seen.entry(d.tag).or_default().push(d.byte_count);
            if d.request_completed {
                freed.push(d.tag);
            }
        }
        s.accept();
        now += 1;
    }
    assert_eq!(seen, expect, "in order within each tag");
    let grouped: Vec<u8> = {
        let mut g = order.clone();
        g.sort_unstable();
        g
    };
    assert_ne!(order, grouped, "completions of different tags interleave");
    assert_eq!(freed.len(), 8);
    assert!(s.table().is_empty());
    // Without reordering: arrival order.
    let mut s = RcScheduler::new(false, 42, 1_000_000);
    for tag in [3u8, 1, 2] {
        let req = request(RequestType::MemRead, 0x1000, 64, tag);
        s.push(tag, 0, vec![ReadAnswer::for_request(&req, 0, 0).error(1)]);
    }
    let mut tags = Vec::new();
    while let Some(b) = s.head(0) {
        tags.push(RcDescriptor::decode([b.data[0], b.data[1], b.data[2]]).tag);
        s.accept();
    }
    assert_eq!(tags, [3, 1, 2]);
}

/// The block's view of a stale completion (issue scenario): read A (0xE00 + 512 B) on tag
/// 5 completes; tag 5 then holds read B (0xD200 + 512 B: the same end bits 6:0, another
/// end). A copy of A's first completion now arrives with B's lower address bits 11:7 and
/// passes the block's byte-count check: only the user logic can tell (and only by when it
/// reused the tag). Without B, the same copy is an invalid-tag completion.
#[test]
fn split_completion_table_hands_a_stale_copy_the_live_reads_address() {
    let a = request(RequestType::MemRead, 0x1_0000_0e00, 512, 5);
    let b = request(RequestType::MemRead, 0x2_0000_d200, 512, 5);
    let answer_a = ReadAnswer::for_request(&a, 0x0100, 0);
    let wire_a = answer_a.split(&pattern(512), 256, 64, None);
    let mut sct = SplitCompletionTable::new(10_000);
    sct.issue(&a, 0);
    for p in &wire_a {
        assert_eq!(sct.receive(p.clone()).desc.error_code, 0);
    }
    assert!(!sct.holds(5), "A's last completion released the tag");
    let stale = sct.receive(wire_a[0].clone());
    assert_eq!(stale.desc.error_code, RC_ERROR_INVALID_TAG);
    assert_eq!(stale.desc.lower_address, 0x00, "only bits 6:0 on an error");
    sct.issue(&b, 100);
    let stale = sct.receive(wire_a[0].clone()).desc;
    assert_eq!(
        (stale.error_code, stale.lower_address, stale.byte_count),
        (0, 0x200, 512),
        "indistinguishable from B's first completion"
    );
    // B's genuine completions then no longer fit what the table expects.
    let answer_b = ReadAnswer::for_request(&b, 0x0100, 0);
    let wire_b = answer_b.split(&pattern(512), 256, 64, None);
    let genuine = sct.receive(wire_b[0].clone()).desc;
    assert_eq!(genuine.error_code, RC_ERROR_BYTE_COUNT);
    assert!(genuine.request_completed && !sct.holds(5));
    let rest = sct.receive(wire_b[1].clone()).desc;
    assert_eq!(rest.error_code, RC_ERROR_INVALID_TAG);
}

#[test]
fn split_completion_table_times_out_and_reports_on_rc() {
    let r = request(RequestType::MemRead, 0x1_0000_0e04, 100, 7);
    let mut sct = SplitCompletionTable::new(1_000);
    sct.issue(&r, 50);
    assert!(sct.expire(1_049).is_empty());
    let reports = sct.expire(1_050);
    assert_eq!(reports.len(), 1);
    let d = &reports[0].desc;
    assert_eq!(
        (d.error_code, d.tag, d.dw_count, d.lower_address),
        (RC_ERROR_TIMEOUT, 7, 0, 0x04)
    );
    assert!(d.request_completed && reports[0].payload.is_empty());
    assert!(!sct.holds(7));
    // The genuine data after the report is not the block's any more.
    let late = ReadAnswer::for_request(&r, 0x0100, 0).split(&pattern(100), 256, 64, None);
    assert_eq!(
        sct.receive(late[0].clone()).desc.error_code,
        RC_ERROR_INVALID_TAG
    );
}

#[test]
fn split_completion_table_poisoned_data_keeps_the_read_until_its_end() {
    let r = request(RequestType::MemRead, 0x3000, 512, 1);
    let mut sct = SplitCompletionTable::new(1_000);
    sct.issue(&r, 0);
    let mut wire = ReadAnswer::for_request(&r, 0x0100, 0).split(&pattern(512), 256, 64, None);
    wire[0].desc.poisoned = true;
    let first = sct.receive(wire[0].clone()).desc;
    assert_eq!(first.error_code, RC_ERROR_POISONED);
    assert!(!first.request_completed && sct.holds(1));
    let last = sct.receive(wire[1].clone()).desc;
    assert_eq!((last.error_code, last.lower_address), (0, 0x100));
    assert!(last.request_completed && !sct.holds(1));
}
