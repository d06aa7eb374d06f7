// SPDX-License-Identifier: MIT OR Apache-2.0
//! Fuzzing the list checks: lists near every limit of the length total and of BAR2.

use super::*;

fn entry_of(data: Option<Location>, len: u32, i: usize) -> Entry {
    Entry {
        data,
        len,
        origin: Origin::Line(i + 1),
    }
}

/// Entries near every limit: lengths up to 4 GiB - 1, host offsets around the host
/// buffer limit (ending one byte before, at or after it), offsets near 2^64.
fn extreme_entry(rng: &mut ChaCha8Rng) -> (Option<Location>, u32) {
    let len = match rng.gen_range(0..5) {
        0 => rng.gen_range(1..=4096),
        1 => u32::MAX - rng.gen_range(0..4096),
        2 => 1 << rng.gen_range(0..32),
        3 => (rng.gen_range(1..=u32::MAX) >> rng.gen_range(0..32)).max(1),
        _ => rng.gen_range(1..=u32::MAX),
    };
    let off = |rng: &mut ChaCha8Rng| match rng.gen_range(0..5) {
        0 => rng.gen_range(0..1 << 20),
        1 => (MAX_HOST_BUFFER + 1)
            .wrapping_sub(u64::from(len))
            .wrapping_sub(rng.gen_range(0..=2)),
        2 => MAX_HOST_BUFFER - rng.gen_range(0..=8192),
        3 => u64::MAX - rng.gen_range(0..=8192),
        _ => rng.gen(),
    };
    let data = match rng.gen_range(0..4) {
        0 => None,
        1 => Some(Location::Bus(off(rng))),
        2 => Some(Location::Bar2(off(rng))),
        _ => Some(Location::Host(off(rng))),
    };
    (data, len)
}

/// Up to 5 extreme entries; often the last one brings the total to 4 GiB - 2, - 1 or 4 GiB.
fn extreme_list(rng: &mut ChaCha8Rng) -> Vec<Entry> {
    let n = rng.gen_range(0..6);
    let mut entries: Vec<Entry> = (0..n)
        .map(|i| {
            let (d, l) = extreme_entry(rng);
            entry_of(d, l, i)
        })
        .collect();
    if n >= 2 && rng.gen_bool(0.4) {
        let before: u64 = entries[..n - 1].iter().map(|e| u64::from(e.len)).sum();
        let want = (u64::from(u32::MAX) + 1 - rng.gen_range(0..=2)).checked_sub(before);
        if let Some(len) = want.and_then(|w| u32::try_from(w).ok()).filter(|&l| l > 0) {
            entries[n - 1].len = len;
        }
    }
    entries
}

#[test]
fn fuzz_check_list_accepts_exactly_the_lists_that_fit() {
    fuzz(
        "check_list",
        5000,
        |rng| {
            let op = if rng.gen_bool(0.5) {
                Op::Pull
            } else {
                Op::Push
            };
            (extreme_list(rng), op)
        },
        |(entries, op)| {
            let total: u128 = entries.iter().map(|e| u128::from(e.len)).sum();
            let host_end = entries
                .iter()
                .filter_map(|e| match e.data {
                    Some(Location::Host(o)) => Some(u128::from(o) + u128::from(e.len)),
                    _ => None,
                })
                .max()
                .unwrap_or(0);
            let bus_overflow = entries.iter().any(|e| match e.data {
                Some(Location::Bus(a)) => a.checked_add(u64::from(e.len)).is_none(),
                _ => false,
            });
            let fits = !entries.is_empty()
                && !bus_overflow
                && total <= u128::from(u32::MAX)
                && host_end <= u128::from(MAX_HOST_BUFFER)
                && !(*op == Op::Push && entries.iter().any(|e| e.data.is_none()));
            match check_list(entries.clone(), *op).map_err(|e| e.to_string()) {
                Ok(list) => check(
                    fits && u128::from(list.total) == total
                        && u128::from(list.host_len) == host_end
                        && list.entries == *entries,
                    || format!("accepted: total {}, host_len {}", list.total, list.host_len),
                ),
                Err(e) => check(!fits, || format!("refused a list that fits: {e}")),
            }
        },
    );
}

#[test]
fn fuzz_check_bar2_never_accepts_a_range_past_bar2_or_overflowing() {
    fuzz(
        "check_bar2",
        5000,
        |rng| {
            let mut entries = extreme_list(rng);
            let total: u64 = entries.iter().map(|e| u64::from(e.len)).sum();
            let bar2_len = 1u64 << rng.gen_range(12..=40);
            // Around the edges: the job's range ending one byte before, at or after the
            // end of BAR2; a bar2: entry ending there, or touching or overlapping the
            // job's range on either side.
            let near =
                |rng: &mut ChaCha8Rng, x: u64| x.wrapping_add(rng.gen_range(0..=2)).wrapping_sub(1);
            let offset = match rng.gen_range(0..5) {
                0 => rng.gen_range(0..bar2_len),
                1 => near(rng, bar2_len.wrapping_sub(total)),
                2 => bar2_len - rng.gen_range(0..=4096.min(bar2_len)),
                3 => u64::MAX - rng.gen_range(0..=8192),
                _ => rng.gen(),
            };
            for e in &mut entries {
                if let Some(Location::Bar2(o)) = &mut e.data {
                    let len = u64::from(e.len);
                    *o = match rng.gen_range(0..5) {
                        0 => near(rng, bar2_len.wrapping_sub(len)),
                        1 => near(rng, offset.wrapping_add(total)),
                        2 => near(rng, offset.wrapping_sub(len)),
                        _ => *o,
                    };
                }
            }
            (entries, offset, bar2_len)
        },
        |(entries, offset, bar2_len)| {
            let Ok(list) = check_list(entries.clone(), Op::Pull) else {
                return Ok(());
            };
            let (offset, bar2_len) = (*offset, *bar2_len);
            let target = u128::from(offset)..u128::from(offset) + u128::from(list.total);
            let target_ok = target.end <= u128::from(bar2_len);
            let bad_entry = list.entries.iter().find(|e| match e.data {
                Some(Location::Bar2(o)) => {
                    let r = u128::from(o)..u128::from(o) + u128::from(e.len);
                    r.end > u128::from(bar2_len) || (r.start < target.end && target.start < r.end)
                }
                _ => false,
            });
            match check_bar2(&list, offset, bar2_len).map_err(|e| e.to_string()) {
                Ok(()) => check(target_ok && bad_entry.is_none(), || {
                    format!("accepted: target {target:x?}, entry {bad_entry:?}")
                }),
                Err(e) => {
                    check(!target_ok || bad_entry.is_some(), || {
                        format!("refused: {e}")
                    })?;
                    match bad_entry {
                        Some(b) if target_ok => check(e.contains(&b.origin.to_string()), || {
                            format!("error does not name {}: {e}", b.origin)
                        }),
                        _ => Ok(()),
                    }
                }
            }
        },
    );
}
