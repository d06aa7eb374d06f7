// SPDX-License-Identifier: MIT OR Apache-2.0
//! Fuzzing `parse_sgl`: arbitrary and mutated descriptor files, and round trips.

use super::*;

fn render_sgl(entries: &[(Option<Location>, u32)]) -> Vec<u8> {
    entries
        .iter()
        .flat_map(|&(data, len)| {
            match data {
                Some(Location::Bus(a)) => SglDescriptor::data_block(BusAddr::new(a), len),
                None => SglDescriptor::bit_bucket(len),
                Some(other) => panic!("{other:?} has no SGL form"),
            }
            .to_bytes()
        })
        .collect()
}

/// What any parse_sgl verdict must satisfy: errors name a descriptor of the file (or the
/// cut-short one just past it); entries are the file's descriptors, in order.
fn sgl_verdict_is_sound(bytes: &[u8]) -> Result<(), String> {
    match parse_sgl(bytes).map_err(|e| e.to_string()) {
        Err(e) => {
            let i: usize = e
                .strip_prefix("descriptor ")
                .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| format!("error names no descriptor: {e:?}"))?;
            check(i <= bytes.len() / 16, || {
                format!("descriptor {i} of {}: {e:?}", bytes.len())
            })?;
            check(bytes.len() % 16 != 0 || i < bytes.len() / 16, || e.clone())
        }
        Ok(entries) => {
            check(entries.len() * 16 == bytes.len(), || {
                format!("{} entries", entries.len())
            })?;
            for (i, (e, chunk)) in entries.iter().zip(bytes.chunks_exact(16)).enumerate() {
                let d = SglDescriptor::from_bytes(chunk.try_into().unwrap());
                let want = match d.sgl_type() {
                    SglType::DataBlock => Some(Location::Bus(d.address().get())),
                    _ => None,
                };
                check(
                    d.subtype() == 0
                        && matches!(d.sgl_type(), SglType::DataBlock | SglType::BitBucket)
                        && e.data == want
                        && e.len == d.length()
                        && e.len > 0
                        && e.origin.to_string() == format!("descriptor {i} (byte {:#x})", i * 16),
                    || format!("entry {e:?} from {d:?}"),
                )?;
            }
            Ok(())
        }
    }
}

#[test]
fn fuzz_parse_sgl_arbitrary_and_mutated_input() {
    fuzz(
        "parse_sgl, random bytes",
        3000,
        |rng| {
            let n = if rng.gen_bool(0.7) {
                rng.gen_range(0..8) * 16
            } else {
                rng.gen_range(0..130)
            };
            (0..n).map(|_| rng.gen()).collect::<Vec<u8>>()
        },
        |b| sgl_verdict_is_sound(b),
    );
    fuzz(
        "parse_sgl, mutated valid files",
        3000,
        |rng| {
            let n = rng.gen_range(1..10);
            let entries: Vec<_> = (0..n)
                .map(|_| match random_entry(rng) {
                    (Some(_), len) => (Some(Location::Bus(rng.gen())), len),
                    bb => bb,
                })
                .collect();
            let mut bytes = render_sgl(&entries);
            for _ in 0..rng.gen_range(1..4) {
                let whole = bytes.len() / 16;
                match rng.gen_range(0..4) {
                    0 if whole > 0 => {
                        // The identifier byte of a descriptor: any type and subtype.
                        let i = rng.gen_range(0..whole) * 16 + 15;
                        bytes[i] = rng.gen();
                    }
                    1 if whole > 0 => {
                        let i = rng.gen_range(0..whole) * 16 + 8;
                        bytes[i..i + 4].copy_from_slice(&[0; 4]); // length 0
                    }
                    2 if !bytes.is_empty() => {
                        let cut = rng.gen_range(0..bytes.len());
                        bytes.truncate(cut);
                    }
                    _ if !bytes.is_empty() => {
                        let i = rng.gen_range(0..bytes.len());
                        bytes[i] ^= 1 << rng.gen_range(0..8);
                    }
                    _ => {}
                }
            }
            bytes
        },
        |b| sgl_verdict_is_sound(b),
    );
}

#[test]
fn fuzz_sgl_round_trip() {
    fuzz(
        "sgl round trip",
        3000,
        |rng| {
            let n = rng.gen_range(0..40);
            (0..n)
                .map(|_| match random_entry(rng) {
                    (Some(_), len) => (Some(Location::Bus(rng.gen())), len),
                    bb => bb,
                })
                .collect::<Vec<_>>()
        },
        |entries| {
            let parsed = parse_sgl(&render_sgl(entries)).map_err(|e| e.to_string())?;
            check(pairs(&parsed) == *entries, || format!("parsed {parsed:?}"))
        },
    );
}
