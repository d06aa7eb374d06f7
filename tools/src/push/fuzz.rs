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

/// `entries` as a text file in a random style (spacing, comments, blank lines, number
/// forms, optional `data`), and the line number of each entry.
fn render_text(rng: &mut ChaCha8Rng, entries: &[(Option<Location>, u32)]) -> (String, Vec<usize>) {
    let mut out = String::new();
    let mut lines = Vec::new();
    let mut line = 1;
    let space = |rng: &mut ChaCha8Rng| [" ", "  ", "\t", " \t "].choose(rng).unwrap().to_string();
    for &(data, len) in entries {
        while rng.gen_bool(0.2) {
            out.push_str(
                ["", "# a comment: host:+0 4k", "   ", "\t# -"]
                    .choose(rng)
                    .unwrap(),
            );
            out.push('\n');
            line += 1;
        }
        if rng.gen_bool(0.3) {
            out.push_str(&space(rng));
        }
        out.push_str(&render_address(rng, data));
        out.push_str(&space(rng));
        out.push_str(&render_number(rng, u64::from(len), true));
        match data {
            None => {
                out.push_str(&space(rng));
                out.push_str(["bitbucket", "BITBUCKET", "BitBucket"].choose(rng).unwrap());
            }
            Some(_) if rng.gen_bool(0.5) => {
                out.push_str(&space(rng));
                out.push_str(["data", "DATA", "Data"].choose(rng).unwrap());
            }
            Some(_) => {}
        }
        if rng.gen_bool(0.2) {
            out.push_str(" # trailing: - 4k bitbucket");
        }
        out.push_str(if rng.gen_bool(0.1) { "\r\n" } else { "\n" });
        lines.push(line);
        line += 1;
    }
    (out, lines)
}

fn render_json(rng: &mut ChaCha8Rng, entries: &[(Option<Location>, u32)]) -> Value {
    let items: Vec<Value> = entries
        .iter()
        .map(|&(data, len)| {
            let mut obj = serde_json::Map::new();
            match data {
                None => {
                    obj.insert("type".into(), Value::from("bitbucket"));
                    if rng.gen_bool(0.3) {
                        obj.insert("address".into(), Value::from("-"));
                    }
                }
                Some(loc) => {
                    let address = match loc {
                        Location::Bus(a) if rng.gen_bool(0.5) => Value::from(a),
                        _ => Value::from(render_address(rng, Some(loc))),
                    };
                    obj.insert("address".into(), address);
                    if rng.gen_bool(0.5) {
                        obj.insert("type".into(), Value::from("data"));
                    }
                }
            }
            let length = if rng.gen_bool(0.5) {
                Value::from(len)
            } else {
                Value::from(render_number(rng, u64::from(len), true))
            };
            obj.insert("length".into(), length);
            Value::Object(obj)
        })
        .collect();
    serde_json::json!({ "entries": items })
}

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

fn pairs(entries: &[Entry]) -> Vec<(Option<Location>, u32)> {
    entries.iter().map(|e| (e.data, e.len)).collect()
}

/// The line number an error or origin starts with ("line N").
fn line_of(msg: &str) -> Option<usize> {
    msg.strip_prefix("line ")?
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// What any parse_text verdict must satisfy: errors and entries name a line of the file.
fn text_verdict_is_sound(text: &str) -> Result<(), String> {
    let lines = text.lines().count();
    match parse_text(text).map_err(|e| e.to_string()) {
        Err(e) => {
            let n = line_of(&e).ok_or_else(|| format!("error names no line: {e:?}"))?;
            check(
                (1..=lines).contains(&n) && e.starts_with(&format!("line {n}: ")),
                || format!("error names line {n} of {lines}: {e:?}"),
            )
        }
        Ok(entries) => {
            let mut last = 0;
            for e in &entries {
                let n = line_of(&e.origin.to_string())
                    .ok_or_else(|| format!("origin {:?}", e.origin))?;
                check(n > last && n <= lines && e.len > 0, || {
                    format!("entry {e:?}")
                })?;
                last = n;
            }
            // A parsed list renders back to the same entries.
            let mut rng = ChaCha8Rng::seed_from_u64(entries.len() as u64);
            let (again, _) = render_text(&mut rng, &pairs(&entries));
            let reparsed = parse_text(&again).map_err(|e| format!("re-render: {e}"))?;
            check(pairs(&reparsed) == pairs(&entries), || {
                format!("re-rendered as {again:?}: {reparsed:?}")
            })
        }
    }
}

#[test]
fn fuzz_parse_text_arbitrary_and_mutated_input() {
    fuzz("parse_text, random tokens", 3000, random_text, |t| {
        text_verdict_is_sound(t)
    });
    fuzz(
        "parse_text, mutated valid files",
        3000,
        |rng| {
            let n = rng.gen_range(1..8);
            let entries: Vec<_> = (0..n).map(|_| random_entry(rng)).collect();
            let (text, _) = render_text(rng, &entries);
            mutate_text(rng, &text)
        },
        |t| text_verdict_is_sound(t),
    );
    fuzz(
        "parse_text, random bytes as text",
        2000,
        |rng| {
            let n = rng.gen_range(0..64);
            let bytes: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
            String::from_utf8_lossy(&bytes).into_owned()
        },
        |t| text_verdict_is_sound(t),
    );
}

#[test]
fn fuzz_text_round_trip() {
    fuzz(
        "text round trip",
        3000,
        |rng| {
            let n = rng.gen_range(0..30);
            let entries: Vec<_> = (0..n).map(|_| random_entry(rng)).collect();
            let (text, lines) = render_text(rng, &entries);
            (entries, text, lines)
        },
        |(entries, text, lines)| {
            let parsed = parse_text(text).map_err(|e| e.to_string())?;
            check(pairs(&parsed) == *entries, || format!("parsed {parsed:?}"))?;
            let origins: Vec<String> = lines.iter().map(|n| format!("line {n}")).collect();
            let got: Vec<String> = parsed.iter().map(|e| e.origin.to_string()).collect();
            check(got == origins, || {
                format!("origins {got:?}, expected {origins:?}")
            })
        },
    );
}

/// What any parse_json verdict must satisfy: errors name the document or an entry index
/// that exists; entries are named entries[0], entries[1], ... in order.
fn json_verdict_is_sound(text: &str) -> Result<(), String> {
    let doc: Option<Value> = serde_json::from_str(text).ok();
    let count = doc
        .as_ref()
        .and_then(|d| d.get("entries"))
        .and_then(Value::as_array)
        .map(Vec::len);
    match parse_json(text).map_err(|e| e.to_string()) {
        Err(e) => {
            if let Some(rest) = e.strip_prefix("entries[") {
                let i: usize = rest
                    .split(']')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| format!("bad entry index in {e:?}"))?;
                check(count.is_some_and(|c| i < c), || {
                    format!("error names entry {i} of {count:?}: {e:?}")
                })
            } else {
                check(
                    e.starts_with("not valid JSON") || e.starts_with("expected an object"),
                    || format!("error names neither the document nor an entry: {e:?}"),
                )?;
                check(doc.is_none() || count.is_none(), || {
                    format!("a document error for a document with entries: {e:?}")
                })
            }
        }
        Ok(entries) => {
            check(Some(entries.len()) == count, || {
                format!("{} entries of {count:?}", entries.len())
            })?;
            for (i, e) in entries.iter().enumerate() {
                check(
                    e.origin.to_string() == format!("entries[{i}]") && e.len > 0,
                    || format!("{e:?}"),
                )?;
            }
            Ok(())
        }
    }
}

const JSON_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ":",
    ",",
    "\"entries\"",
    "\"address\"",
    "\"length\"",
    "\"type\"",
    "\"data\"",
    "\"bitbucket\"",
    "\"host:+0x10\"",
    "\"bar2:+4k\"",
    "\"-\"",
    "\"4KiB\"",
    "0",
    "1",
    "-1",
    "1.5",
    "1e3",
    "4294967296",
    "18446744073709551616",
    "null",
    "true",
    " ",
    "\"\\u0000\"",
    "\"é\"",
];

/// Replaces one value of a valid document with another JSON value of any kind.
fn mutate_json(rng: &mut ChaCha8Rng, doc: &mut Value) {
    let junk = |rng: &mut ChaCha8Rng| -> Value {
        match rng.gen_range(0..10) {
            0 => Value::Null,
            1 => Value::from(rng.gen_bool(0.5)),
            2 => Value::from(-rng.gen_range(0..100i64)),
            3 => Value::from(rng.gen::<f64>() * 1e6),
            4 => serde_json::from_str("18446744073709551616").unwrap(),
            5 => Value::from(rng.gen::<u64>()),
            6 => Value::from(random_text(rng)),
            7 => serde_json::json!([]),
            8 => serde_json::json!({"x": 1}),
            _ => Value::from(0),
        }
    };
    let Some(items) = doc.get_mut("entries").and_then(Value::as_array_mut) else {
        return;
    };
    if items.is_empty() || rng.gen_bool(0.1) {
        *doc = match rng.gen_range(0..3) {
            0 => junk(rng),
            1 => serde_json::json!({ "entries": junk(rng) }),
            _ => serde_json::json!({ "list": [] }),
        };
        return;
    }
    let i = rng.gen_range(0..items.len());
    let key = *["address", "length", "type", "extra"].choose(rng).unwrap();
    match (rng.gen_range(0..4), items[i].as_object_mut()) {
        (0, Some(obj)) => {
            obj.remove(key);
        }
        (1, _) => items[i] = junk(rng),
        (_, Some(obj)) => {
            obj.insert(key.to_owned(), junk(rng));
        }
        (_, None) => {}
    }
}

#[test]
fn fuzz_parse_json_arbitrary_and_mutated_input() {
    fuzz(
        "parse_json, random tokens",
        3000,
        |rng| {
            let n = rng.gen_range(0..30);
            (0..n)
                .map(|_| *JSON_TOKENS.choose(rng).unwrap())
                .collect::<Vec<_>>()
                .concat()
        },
        |t| json_verdict_is_sound(t),
    );
    fuzz(
        "parse_json, mutated valid documents",
        3000,
        |rng| {
            let n = rng.gen_range(0..8);
            let entries: Vec<_> = (0..n).map(|_| random_entry(rng)).collect();
            let mut doc = render_json(rng, &entries);
            mutate_json(rng, &mut doc);
            let text = doc.to_string();
            if rng.gen_bool(0.3) {
                mutate_text(rng, &text)
            } else {
                text
            }
        },
        |t| json_verdict_is_sound(t),
    );
}

#[test]
fn fuzz_json_round_trip() {
    fuzz(
        "json round trip",
        3000,
        |rng| {
            let n = rng.gen_range(0..30);
            let entries: Vec<_> = (0..n).map(|_| random_entry(rng)).collect();
            let doc = render_json(rng, &entries);
            let text = if rng.gen_bool(0.5) {
                serde_json::to_string_pretty(&doc).unwrap()
            } else {
                doc.to_string()
            };
            (entries, text)
        },
        |(entries, text)| {
            let parsed = parse_json(text).map_err(|e| e.to_string())?;
            check(pairs(&parsed) == *entries, || format!("parsed {parsed:?}"))
        },
    );
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
