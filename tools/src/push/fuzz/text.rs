// SPDX-License-Identifier: MIT OR Apache-2.0
//! Fuzzing `parse_text`: arbitrary and mutated text, and round trips of rendered lists.

use super::*;

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
