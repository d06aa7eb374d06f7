// SPDX-License-Identifier: MIT OR Apache-2.0
use super::*;

#[test]
fn walking_ones_has_one_bit_per_word() {
    let mut buf = vec![0u8; 8 * 70];
    Pattern::WalkingOnes.fill(0, 0, 0, &mut buf);
    for (i, w) in buf.chunks(8).enumerate() {
        let v = u64::from_le_bytes(to_array(w));
        assert_eq!(v, 1u64 << (i % 64));
    }
    // A sub-range gives the same bytes as the full range.
    let mut part = vec![0u8; 13];
    Pattern::WalkingOnes.fill(0, 0, 21, &mut part);
    assert_eq!(part, buf[21..34]);
}

#[test]
fn address_pattern_holds_each_words_offset() {
    let mut buf = vec![0u8; 16];
    Pattern::Address.fill(0, 0x1000, 0x1000, &mut buf);
    let words: Vec<u32> = buf
        .chunks(4)
        .map(|c| u32::from_le_bytes(to_array(c)))
        .collect();
    assert_eq!(words, vec![0x1000, 0x1004, 0x1008, 0x100c]);
}

#[test]
fn random_pattern_is_reproducible_and_seekable() {
    let mut whole = vec![0u8; 3 * CHUNK as usize / 2];
    Pattern::Random.fill(42, 0x100, 0x100, &mut whole);
    let mut again = vec![0u8; whole.len()];
    Pattern::Random.fill(42, 0x100, 0x100, &mut again);
    assert_eq!(whole, again);
    // The second chunk, generated on its own, continues the stream.
    let mut second = vec![0u8; CHUNK as usize / 2];
    Pattern::Random.fill(42, 0x100, 0x100 + CHUNK, &mut second);
    assert_eq!(second, whole[CHUNK as usize..]);
    let mut other = vec![0u8; 64];
    Pattern::Random.fill(43, 0x100, 0x100, &mut other);
    assert_ne!(other, whole[..64]);
}

fn args(offset: u64, length: Option<u64>, access: Vec<Access>) -> BarTestArgs {
    BarTestArgs {
        pattern: vec![Pattern::WalkingOnes, Pattern::Random],
        access,
        seed: Some(1),
        offset,
        length,
        max_mismatches: 16,
        scratch: false,
    }
}

#[test]
fn plan_checks_the_range() {
    let all = vec![Access::B1, Access::B8, Access::Bulk];
    let p = plan(&args(0, None, all.clone()), 4096).unwrap();
    assert_eq!((p.start, p.length, p.passes.len()), (0, 4096, 6));
    let p = plan(&args(0x800, None, all.clone()), 4096).unwrap();
    assert_eq!(p.length, 0x800);
    for bad in [
        args(4096, None, all.clone()),
        args(0, Some(0), all.clone()),
        args(8, Some(4096), all.clone()),
        args(4, Some(8), all.clone()),
        args(0, Some(12), all.clone()),
    ] {
        let err = plan(&bad, 4096).unwrap_err();
        assert!(err.downcast_ref::<crate::UsageError>().is_some(), "{err}");
    }
    // Unaligned ranges are fine for bulk and byte accesses.
    let p = plan(&args(3, Some(5), vec![Access::B1, Access::Bulk]), 4096).unwrap();
    assert_eq!((p.start, p.length), (3, 5));
}

#[test]
fn le_hex_prints_little_endian_values() {
    assert_eq!(le_hex(&[0x01, 0x00, 0x00, 0x00]), "0x00000001");
    assert_eq!(le_hex(&[0xab]), "0xab");
}
