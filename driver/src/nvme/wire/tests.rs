// SPDX-License-Identifier: MIT OR Apache-2.0
use super::*;

#[test]
fn namespace_command_set_is_found_after_other_descriptors() {
    // EUI64 (NIDT 1, 8 bytes), NGUID (2, 16), CSI (4, 1), end.
    let mut list = vec![0u8; 4096];
    list[0..2].copy_from_slice(&[0x01, 8]);
    list[12..14].copy_from_slice(&[0x02, 16]);
    list[32..34].copy_from_slice(&[0x04, 1]);
    list[36] = csi::ZONED;
    assert_eq!(namespace_command_set(&list), Some(csi::ZONED));
    // No CSI descriptor (an NVMe 1.3/1.4 controller): unknown, not NVM.
    list[32] = 0;
    assert_eq!(namespace_command_set(&list), None);
    // A descriptor that claims to run past the page: malformed, not a panic.
    let mut bad = vec![0u8; 8];
    bad[0..2].copy_from_slice(&[0x03, 16]);
    assert_eq!(namespace_command_set(&bad), None);
    assert_eq!(csi::name(csi::ZONED), "Zoned Namespace");
}

#[test]
fn submission_entry_fields_sit_at_their_bytes() {
    let mut e = SubmissionEntry::read_write(true, 1, 0x1_2345_6789, 8);
    e.set_cid(0xbeef)
        .set_mptr(BusAddr::new(0x1111_2222_3333_4444))
        .set_prp(BusAddr::new(0xaaaa_0004), BusAddr::new(0xbbbb_0000))
        .set_cdw2(0x22)
        .set_cdw3(0x33)
        .set_cdw13(0x13)
        .set_cdw14(0x14)
        .set_cdw15(0x15);
    let b = e.as_bytes();
    assert_eq!(b[0], 0x01);
    assert_eq!(b[1], 0x00, "PRP: PSDT 00b, FUSE 00b");
    assert_eq!(&b[2..4], &[0xef, 0xbe]);
    assert_eq!(&b[4..8], &1u32.to_le_bytes());
    assert_eq!(&b[8..12], &0x22u32.to_le_bytes());
    assert_eq!(&b[12..16], &0x33u32.to_le_bytes());
    assert_eq!(&b[16..24], &0x1111_2222_3333_4444u64.to_le_bytes());
    assert_eq!(&b[24..32], &0xaaaa_0004u64.to_le_bytes());
    assert_eq!(&b[32..40], &0xbbbb_0000u64.to_le_bytes());
    assert_eq!(&b[40..44], &0x2345_6789u32.to_le_bytes(), "SLBA low");
    assert_eq!(&b[44..48], &1u32.to_le_bytes(), "SLBA high");
    assert_eq!(&b[48..52], &7u32.to_le_bytes(), "NLB is 0-based");
    assert_eq!(&b[52..56], &0x13u32.to_le_bytes());
    assert_eq!(&b[60..64], &0x15u32.to_le_bytes());
    let back = SubmissionEntry::read_from_bytes(b).unwrap();
    assert_eq!(back, e);
    assert_eq!(back.slba(), 0x1_2345_6789);
    assert_eq!(back.blocks(), 8);
    assert_eq!(back.prp1(), BusAddr::new(0xaaaa_0004));
    assert_eq!(back.prp2(), BusAddr::new(0xbbbb_0000));
    assert_eq!(back.psdt(), Psdt::Prp);
    assert_eq!(back.cdw14(), 0x14);
    assert_eq!(
        SubmissionEntry::read_write(false, 1, 0, 65536).cdw12(),
        0xffff
    );
}

#[test]
fn sgl_dptr_and_psdt() {
    let d = SglDescriptor::last_segment(BusAddr::new(0x1234_5000), 0x40);
    let mut e = SubmissionEntry::new(io_opcode::READ);
    e.set_sgl(d);
    let b = e.as_bytes();
    assert_eq!(b[1] >> 6, 0b01, "PSDT 01b");
    assert_eq!(&b[24..40], &d.to_bytes());
    assert_eq!(e.sgl(), d);
    assert_eq!(e.psdt(), Psdt::SglContiguousMetadata);
    e.set_psdt(Psdt::Reserved);
    assert_eq!(e.as_bytes()[1], 0xc0);
    assert_eq!(e.sgl(), d, "PSDT leaves DPTR alone");
    e.set_data_pointer(&DataPointer::Prp {
        prp1: BusAddr::new(8),
        prp2: BusAddr::new(0),
    });
    assert_eq!(e.psdt(), Psdt::Prp);
    assert_eq!(e.prp1(), BusAddr::new(8));
    for bits in 0..4 {
        assert_eq!(Psdt::from_bits(bits).bits(), bits);
    }
}

#[test]
fn admin_command_builders() {
    let e = SubmissionEntry::create_io_cq(3, 256, BusAddr::new(0x10_0000));
    assert_eq!(e.opcode(), 0x05);
    assert_eq!(e.cdw10(), (255 << 16) | 3);
    assert_eq!(e.cdw11(), 1, "PC = 1, IEN = 0, IV = 0");
    assert_eq!(e.prp1(), BusAddr::new(0x10_0000));
    let e = SubmissionEntry::create_io_sq(3, 64, BusAddr::new(0x20_0000), 3);
    assert_eq!(
        SubmissionEntry::create_io_sq(1, 65536, BusAddr::new(0), 1).cdw10() >> 16,
        0xffff
    );
    assert_eq!(e.opcode(), 0x01);
    assert_eq!(e.cdw10(), (63 << 16) | 3);
    assert_eq!(e.cdw11(), (3 << 16) | 1);
    assert_eq!(SubmissionEntry::delete_io_sq(7).cdw10(), 7);
    assert_eq!(SubmissionEntry::delete_io_cq(7).opcode(), 0x04);
    let e = SubmissionEntry::set_number_of_queues(4, 2);
    assert_eq!((e.opcode(), e.cdw10(), e.cdw11()), (0x09, 7, (1 << 16) | 3));
    let e = SubmissionEntry::identify(cns::CONTROLLER, 0, BusAddr::new(0x3000));
    assert_eq!((e.opcode(), e.cdw10(), e.nsid()), (0x06, 1, 0));
    assert_eq!(command_name(true, 0x06), "Identify");
    assert_eq!(command_name(false, 0x01), "Write");
    assert_eq!(command_name(true, 0x01), "Create I/O SQ");
}

#[test]
fn completion_entry_fields() {
    let e = CompletionEntry::new(
        0xdead_beef,
        5,
        2,
        0x77,
        NvmeStatus::new(0, 0x0d, true),
        true,
    );
    let b = e.as_bytes();
    assert_eq!(&b[0..4], &0xdead_beefu32.to_le_bytes());
    assert_eq!(&b[4..8], &[0; 4]);
    assert_eq!(&b[8..10], &5u16.to_le_bytes());
    assert_eq!(&b[10..12], &2u16.to_le_bytes());
    assert_eq!(&b[12..14], &0x77u16.to_le_bytes());
    let dw3 = u32::from_le_bytes([b[12], b[13], b[14], b[15]]);
    assert_eq!(dw3, 0x77 | (1 << 16) | (0x0d << 17) | (1 << 31));
    assert_eq!(e.dw3(), dw3);
    assert!(e.phase());
    assert_eq!(e.status(), NvmeStatus::new(0, 0x0d, true));
    let back = CompletionEntry::read_from_bytes(b).unwrap();
    assert_eq!(back, e);
    assert!(!CompletionEntry::new(0, 0, 0, 0, NvmeStatus::SUCCESS, false).phase());
}

#[test]
fn identify_fields_decode_from_their_offsets() {
    let mut c = [0u8; 4096];
    c[0..2].copy_from_slice(&0x10eeu16.to_le_bytes());
    c[2..4].copy_from_slice(&0x1234u16.to_le_bytes());
    c[4..24].copy_from_slice(b"SN0001              ");
    c[24..64].copy_from_slice(&[b' '; 40]);
    c[24..37].copy_from_slice(b"peerbar model");
    c[64..72].copy_from_slice(b"1.0\0\0\0\0\0");
    c[77] = 5;
    c[80..84].copy_from_slice(&0x0001_0400u32.to_le_bytes());
    c[512] = 0x66;
    c[513] = 0x44;
    c[516..520].copy_from_slice(&1u32.to_le_bytes());
    c[536..540].copy_from_slice(&0x1_0001u32.to_le_bytes());
    let id = IdentifyController::read_from_bytes(&c[..]).unwrap();
    assert_eq!((id.vid(), id.ssvid()), (0x10ee, 0x1234));
    assert_eq!(id.serial(), "SN0001");
    assert_eq!(id.model(), "peerbar model");
    assert_eq!(id.firmware(), "1.0");
    assert_eq!(id.mdts(), 5);
    assert_eq!(id.ver(), 0x0001_0400);
    assert_eq!((id.sqes(), id.cqes(), id.nn()), (0x66, 0x44, 1));
    assert_eq!(id.sgls(), 0x1_0001);

    let mut n = [0u8; 4096];
    n[0..8].copy_from_slice(&1000u64.to_le_bytes());
    n[8..16].copy_from_slice(&900u64.to_le_bytes());
    n[25] = 1;
    n[26] = 1;
    n[128..132].copy_from_slice(&(9u32 << 16).to_le_bytes());
    n[132..136].copy_from_slice(&((12u32 << 16) | 8 | (2 << 24)).to_le_bytes());
    let ns = IdentifyNamespace::read_from_bytes(&n[..]).unwrap();
    assert_eq!((ns.nsze(), ns.ncap(), ns.nlbaf()), (1000, 900, 1));
    assert_eq!(
        ns.current_format(),
        LbaFormat {
            metadata_size: 8,
            lbads: 12,
            relative_performance: 2
        }
    );
    assert_eq!(ns.lba_format(0).unwrap().lbads, 9);
    assert!(ns.lba_format(16).is_none());
}
