// SPDX-License-Identifier: MIT OR Apache-2.0
//! Fuzzing `parse_json`: arbitrary and mutated documents, and round trips of rendered lists.

use super::*;

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
