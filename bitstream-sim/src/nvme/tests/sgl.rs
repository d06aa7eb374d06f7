// SPDX-License-Identifier: MIT OR Apache-2.0
//! Read and Write with SGLs: inline Data Block, Last Segment lists, Segment chains, Bit
//! Buckets, and every malformed-SGL class of the status table.

use peerbar::dma::wire::SglType;

use super::*;

fn raw(ty: SglType, subtype: u8, address: u64, len: u32) -> SglDescriptor {
    SglDescriptor::with_identifier((ty.nibble() << 4) | subtype, BusAddr::new(address), len)
}

#[test]
fn inline_data_block_at_any_byte_address() {
    let mut h = Host::ready(test_config());
    for (slba, address) in [(0u64, DATA), (8, DATA + 3), (16, DATA + 0xffd)] {
        h.round_trip(slba, &[(address, 8192)], |c| c.sgl(sgl_data(address, 8192)));
    }
}

#[test]
fn last_segment_list_skips_zero_length_blocks() {
    let mut h = Host::ready(test_config());
    let pieces = [
        (DATA + 0x2_0001, 100),
        (DATA + 0x1_0000, 3000),
        (DATA + 0x3_0ff0, 1),
        (PEER_BASE + 0x777, 3043),
    ];
    let mut list: Vec<SglDescriptor> = pieces.iter().map(|&(a, l)| sgl_data(a, l as u32)).collect();
    list.insert(2, sgl_data(UNMAPPED, 0));
    h.bus.put_sgl(LISTS, &list);
    h.round_trip(3, &pieces, |c| c.sgl(sgl_last_segment(LISTS, 5)));
    assert!(
        h.bus.faults.is_empty(),
        "the zero-length block at an unmapped address is skipped"
    );
}

#[test]
fn segment_chain() {
    let mut h = Host::ready(test_config());
    let (seg1, seg2, seg3) = (LISTS, LISTS + 0x1000, LISTS + 0x2008);
    let pieces: Vec<(u64, usize)> = (0..5).map(|k| (DATA + 0x5000 * k + 7 * k, 1024)).collect();
    let d = |k: usize| sgl_data(pieces[k].0, 1024);
    h.bus.put_sgl(seg1, &[d(0), d(1), sgl_segment(seg2, 2)]);
    h.bus.put_sgl(seg2, &[d(2), sgl_last_segment(seg3, 2)]);
    h.bus.put_sgl(seg3, &[d(3), d(4)]);
    h.round_trip(50, &pieces, |c| c.sgl(sgl_segment(seg1, 3)));
    // A Segment list may also just end without a Last Segment.
    h.bus.put_sgl(seg1, &[d(0), d(1), sgl_segment(seg2, 3)]);
    h.bus.put_sgl(seg2, &[d(2), d(3), d(4)]);
    h.round_trip(60, &pieces, |c| c.sgl(sgl_segment(seg1, 3)));
}

#[test]
fn psdt_10b_ignores_the_metadata_pointer() {
    let mut h = Host::ready(test_config());
    h.round_trip(0, &[(DATA, 512)], |c| {
        c.sgl(sgl_data(DATA, 512))
            .psdt(2)
            .cdw(4, 0xdead_beef)
            .cdw(5, 0x1)
    });
}

#[test]
fn bit_buckets_in_a_read_are_not_transferred() {
    let mut h = Host::ready(test_config());
    let data = pattern(9, 4096);
    h.ctrl.namespace_write(0, &data).unwrap();
    h.bus.mem_mut(DATA, 8192).fill(0xee);
    let list = [
        sgl_data(DATA, 1000),
        SglDescriptor::bit_bucket(2000),
        sgl_data(DATA + 0x1000, 1096),
    ];
    h.bus.put_sgl(LISTS, &list);
    h.bus.data_writes.clear();
    h.exec(1, Cmd::read(0, 8).sgl(sgl_last_segment(LISTS, 3)))
        .assert_ok();
    assert!(h.bus.mem(DATA, 1000) == &data[..1000]);
    assert!(h
        .bus
        .mem(DATA + 1000, 0x1000 - 1000)
        .iter()
        .all(|&b| b == 0xee));
    assert!(h.bus.mem(DATA + 0x1000, 1096) == &data[3000..]);
    let moved: usize = h.bus.data_writes.iter().map(|w| w.2).sum();
    assert_eq!(moved, 2096);
    assert_eq!(h.ctrl.stats().bytes_read, 2096);
}

#[test]
fn malformed_sgls_move_nothing() {
    let mut h = Host::ready(test_config());
    let seg_desc = (0, 0x0d, true);
    let count = (0, 0x0e, true);
    let length = (0, 0x0f, true);
    let kind = (0, 0x11, true);
    let (a, b) = (LISTS, LISTS + 0x1000);
    // Lists used below, each at its own address.
    let data = |k: u64, len: u32| sgl_data(DATA + k * 0x1000, len);
    let ends_in_segment = place(&mut h, 0x2000, &[data(0, 512), sgl_segment(b, 1)]);
    let segment_not_last = place(&mut h, 0x3000, &[sgl_segment(b, 1), data(0, 4096)]);
    let self_loop = LISTS + 0x4000;
    place(&mut h, 0x4000, &[data(0, 0), sgl_segment(self_loop, 2)]);
    let short = place(&mut h, 0x5000, &[data(0, 2048), data(1, 2047)]);
    let long = place(&mut h, 0x6000, &[data(0, 2048), data(1, 2049)]);
    let overflow = place(&mut h, 0x7000, &[sgl_data(u64::MAX - 100, 4096)]);
    let mut typed = |ty: SglType, subtype: u8| {
        let at = 0x8000 + u64::from(ty.nibble()) * 0x100 + u64::from(subtype) * 0x20;
        place(
            &mut h,
            at,
            &[data(0, 2048), raw(ty, subtype, DATA + 0x1000, 2048)],
        )
    };
    let keyed = typed(SglType::KeyedDataBlock, 0);
    let transport = typed(SglType::TransportDataBlock, 0);
    let vendor = typed(SglType::Vendor, 0);
    let reserved = typed(SglType::Reserved(7), 0);
    let data_subtype = typed(SglType::DataBlock, 1);
    let segment_subtype = place(
        &mut h,
        0x9000,
        &[data(0, 4096), raw(SglType::LastSegment, 1, b, 16)],
    );
    let bucket = place(
        &mut h,
        0xa000,
        &[data(0, 2048), SglDescriptor::bit_bucket(2048)],
    );
    let last = |at: u64, n: usize| sgl_last_segment(at, n);
    let cases: Vec<(&str, bool, SglDescriptor, Status)> = vec![
        (
            "DPTR Bit Bucket",
            false,
            SglDescriptor::bit_bucket(4096),
            seg_desc,
        ),
        (
            "DPTR Keyed Data Block",
            false,
            raw(SglType::KeyedDataBlock, 0, DATA, 4096),
            seg_desc,
        ),
        (
            "DPTR Data Block subtype 1",
            false,
            raw(SglType::DataBlock, 1, DATA, 4096),
            seg_desc,
        ),
        (
            "DPTR Last Segment subtype 1",
            false,
            raw(SglType::LastSegment, 1, a, 16),
            seg_desc,
        ),
        (
            "segment length 0",
            false,
            raw(SglType::LastSegment, 0, a, 0),
            seg_desc,
        ),
        (
            "segment length 24",
            false,
            raw(SglType::LastSegment, 0, a, 24),
            seg_desc,
        ),
        (
            "segment address not qword aligned",
            false,
            last(a + 4, 1),
            seg_desc,
        ),
        (
            "segment address + length overflows",
            false,
            last(u64::MAX - 7, 1),
            seg_desc,
        ),
        (
            "Last Segment's segment ends in a Segment",
            false,
            last(ends_in_segment, 2),
            seg_desc,
        ),
        (
            "Segment not last in its segment",
            false,
            last(segment_not_last, 2),
            count,
        ),
        (
            "Segment pointing to itself",
            true,
            sgl_segment(self_loop, 2),
            count,
        ),
        (
            "Data Blocks short of the transfer",
            false,
            last(short, 2),
            length,
        ),
        (
            "Data Blocks longer than the transfer",
            false,
            last(long, 2),
            length,
        ),
        ("DPTR Data Block short", true, sgl_data(DATA, 4095), length),
        ("DPTR Data Block long", false, sgl_data(DATA, 4097), length),
        (
            "Data Block address + length overflows",
            false,
            last(overflow, 1),
            length,
        ),
        (
            "DPTR Data Block address + length overflows",
            true,
            sgl_data(u64::MAX - 100, 4096),
            length,
        ),
        ("Keyed Data Block in a list", false, last(keyed, 2), kind),
        (
            "Transport Data Block in a list",
            true,
            last(transport, 2),
            kind,
        ),
        ("vendor descriptor in a list", false, last(vendor, 2), kind),
        ("reserved type in a list", false, last(reserved, 2), kind),
        (
            "Data Block subtype 1 in a list",
            true,
            last(data_subtype, 2),
            kind,
        ),
        (
            "Last Segment subtype 1 in a list",
            false,
            sgl_segment(segment_subtype, 2),
            kind,
        ),
        ("Bit Bucket in a Write", true, last(bucket, 2), kind),
        (
            "segment in unmapped memory",
            false,
            last(UNMAPPED, 1),
            (0, 0x04, false),
        ),
    ];
    for (what, write, dptr, status) in cases {
        let cmd = if write {
            Cmd::write(0, 8)
        } else {
            Cmd::read(0, 8)
        };
        h.expect_refused(what, cmd.sgl(dptr), status);
    }
    assert_eq!(h.ctrl.stats().dma_faults, 1);
    assert_eq!(h.bus.faults, [UNMAPPED]);
}

/// Puts an SGL segment at `LISTS + offset`; returns its address.
fn place(h: &mut Host, offset: u64, descriptors: &[SglDescriptor]) -> u64 {
    h.bus.put_sgl(LISTS + offset, descriptors);
    LISTS + offset
}

#[test]
fn sgl_commands_are_refused_when_sgls_are_not_advertised() {
    let mut h = Host::ready(NvmeConfig {
        sgl: false,
        ..test_config()
    });
    h.expect_refused(
        "SGL read",
        Cmd::read(0, 1).sgl(sgl_data(DATA, 512)),
        (0, 0x02, true),
    );
    h.expect_refused(
        "SGL write",
        Cmd::write(0, 1).sgl(sgl_data(DATA, 512)).psdt(2),
        (0, 0x02, true),
    );
    h.round_trip(0, &[(DATA, 512)], |c| c.prp(DATA, 0));
}
