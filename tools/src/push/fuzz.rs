// SPDX-License-Identifier: MIT OR Apache-2.0
//! Fuzzing the list-file parsers and the list checks.
//!
//! Property tests over seeded ChaCha8 streams (this crate has no proptest dependency):
//! `PROPTEST_CASES` sets the number of inputs per property (default below),
//! `PEERBAR_FUZZ_SEED` the seed (default fixed). A failure names the property, the seed,
//! the iteration and the input.

use peerbar::dma::wire::{SglDescriptor, SglType};
use peerbar::BusAddr;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::parse::*;
use super::*;

mod checks;
mod json;
mod sgl;
mod text;

const FUZZ_SEED: u64 = 0x9a45_e7f1;

fn fuzz_cases(default: u64) -> u64 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn fuzz_seed() -> u64 {
    std::env::var("PEERBAR_FUZZ_SEED")
        .ok()
        .and_then(|v| {
            let v = v.replace('_', "");
            match v.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16).ok(),
                None => v.parse().ok(),
            }
        })
        .unwrap_or(FUZZ_SEED)
}

/// Runs `property` on `cases` inputs made by `make` from per-input RNGs; a panic or a
/// failed check (`Err`) fails the test with the seed, the iteration and the input.
fn fuzz<T: std::fmt::Debug>(
    name: &str,
    default_cases: u64,
    make: impl Fn(&mut ChaCha8Rng) -> T,
    property: impl Fn(&T) -> Result<(), String>,
) {
    let seed = fuzz_seed();
    for i in 0..fuzz_cases(default_cases) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        let input = make(&mut rng);
        let verdict = catch_unwind(AssertUnwindSafe(|| property(&input)))
            .unwrap_or_else(|_| Err("panicked".to_owned()));
        if let Err(why) = verdict {
            panic!(
                "{name}: seed {seed:#x} (PEERBAR_FUZZ_SEED) iteration {i}: {why}\ninput: \
                 {input:?}"
            );
        }
    }
}

fn check(ok: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(why())
    }
}

/// Tokens the text format is made of, and some it is not.
const TEXT_TOKENS: &[&str] = &[
    "host:+",
    "bar2:+",
    "HOST:+",
    "Bar2:",
    "foo:+",
    ":",
    "+",
    "-",
    "0x",
    "0X",
    "_",
    "#",
    " ",
    " ",
    "\t",
    "\n",
    "\n",
    "\r\n",
    "data",
    "bitbucket",
    "BITBUCKET",
    "Data",
    "k",
    "KiB",
    "kb",
    "M",
    "MiB",
    "G",
    "gib",
    "b",
    "q",
    "0",
    "1",
    "7",
    "16",
    "4096",
    "0x1000",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999",
    "0xffffffffffffffff",
    "0x1_0000_0000_0000_0000",
    "é",
    "\u{0}",
    "\u{feff}",
    "💥",
    "=",
    "\"",
    "{",
    "}",
];

fn random_text(rng: &mut ChaCha8Rng) -> String {
    let n = rng.gen_range(0..40);
    (0..n)
        .map(|_| *TEXT_TOKENS.choose(rng).unwrap())
        .collect::<Vec<_>>()
        .concat()
}

/// Text-level mutations of a valid input: delete, insert a token, duplicate or swap
/// lines, truncate.
fn mutate_text(rng: &mut ChaCha8Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..rng.gen_range(1..4) {
        match rng.gen_range(0..4) {
            0 if !chars.is_empty() => {
                let at = rng.gen_range(0..chars.len());
                let n = rng.gen_range(1..=4).min(chars.len() - at);
                chars.drain(at..at + n);
            }
            1 => {
                let at = rng.gen_range(0..=chars.len());
                let tok: Vec<char> = TEXT_TOKENS.choose(rng).unwrap().chars().collect();
                chars.splice(at..at, tok);
            }
            2 if !chars.is_empty() => {
                let at = rng.gen_range(0..chars.len());
                chars.truncate(at);
            }
            _ => {
                let mut lines: Vec<String> = chars
                    .iter()
                    .collect::<String>()
                    .lines()
                    .map(str::to_owned)
                    .collect();
                if !lines.is_empty() {
                    let i = rng.gen_range(0..lines.len());
                    let j = rng.gen_range(0..lines.len());
                    if rng.gen_bool(0.5) {
                        lines.swap(i, j);
                    } else {
                        let l = lines[i].clone();
                        lines.insert(j, l);
                    }
                }
                chars = lines.join("\n").chars().collect();
            }
        }
    }
    chars.into_iter().collect()
}

/// A valid entry: any location kind, lengths from 1 byte to 4 GiB - 1.
fn random_entry(rng: &mut ChaCha8Rng) -> (Option<Location>, u32) {
    let len = match rng.gen_range(0..5) {
        0 => rng.gen_range(1..=16),
        1 => rng.gen_range(1..=1 << 20),
        2 => rng.gen_range(1..=64u32) << rng.gen_range(10..=25),
        3 => u32::MAX - rng.gen_range(0..3),
        _ => rng.gen_range(1..=u32::MAX),
    };
    let off = |rng: &mut ChaCha8Rng| match rng.gen_range(0..3) {
        0 => rng.gen_range(0..1 << 20),
        1 => rng.gen_range(0..1024u64) << 10,
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

/// `value` in one of the number forms the parsers take: decimal, hex, `_` groups, and
/// (`units`) a binary-unit suffix when it divides.
fn render_number(rng: &mut ChaCha8Rng, value: u64, units: bool) -> String {
    let choice = rng.gen_range(0..5);
    if units && choice == 4 {
        for (shift, names) in [
            (30, &["G", "g", "GiB", "gib", "GB"][..]),
            (20, &["M", "m", "MiB", "MB"]),
            (10, &["K", "k", "KiB", "kb", "KB"]),
        ] {
            if value != 0 && value % (1 << shift) == 0 {
                return format!("{}{}", value >> shift, names.choose(rng).unwrap());
            }
        }
    }
    match choice {
        0 => format!("{value:#x}"),
        1 => format!("0X{value:X}"),
        2 => {
            // Hex in `_`-separated groups of 4 digits.
            let hex = format!("{value:x}");
            let mut out = String::new();
            for (i, c) in hex.chars().enumerate() {
                if i > 0 && (hex.len() - i) % 4 == 0 {
                    out.push('_');
                }
                out.push(c);
            }
            format!("0x{out}")
        }
        _ => value.to_string(),
    }
}

fn render_address(rng: &mut ChaCha8Rng, data: Option<Location>) -> String {
    match data {
        None => "-".to_owned(),
        Some(Location::Bus(a)) => render_number(rng, a, false),
        Some(Location::Bar2(o)) => format!(
            "{}:+{}",
            ["bar2", "BAR2", "Bar2"].choose(rng).unwrap(),
            render_number(rng, o, true)
        ),
        Some(Location::Host(o)) => format!(
            "{}:+{}",
            ["host", "HOST"].choose(rng).unwrap(),
            render_number(rng, o, true)
        ),
    }
}

fn pairs(entries: &[Entry]) -> Vec<(Option<Location>, u32)> {
    entries.iter().map(|e| (e.data, e.len)).collect()
}
