// SPDX-License-Identifier: MIT OR Apache-2.0
//! Parsing and printing sizes, durations, rates and hex values.

use std::time::Duration;

/// Parses a byte count or offset: decimal (`4096`), hexadecimal (`0x1000`), or with a binary
/// suffix (`4k`, `4KiB`, `1m`, `1MiB`, `1g`, `1GiB`; case-insensitive).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let err = || {
        format!("{text:?} is not a size: use decimal (4096), hex (0x1000) or a suffix (4k, 1MiB)")
    };
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(&hex.replace('_', ""), 16).map_err(|_| err());
    }
    let lower = t.to_ascii_lowercase();
    let split = lower
        .find(|c: char| !c.is_ascii_digit() && c != '_')
        .unwrap_or(lower.len());
    let (digits, suffix) = lower.split_at(split);
    if digits.is_empty() {
        return Err(err());
    }
    let value: u64 = digits.replace('_', "").parse().map_err(|_| err())?;
    let shift = match suffix {
        "" | "b" => 0,
        "k" | "kib" | "kb" => 10,
        "m" | "mib" | "mb" => 20,
        "g" | "gib" | "gb" => 30,
        _ => return Err(err()),
    };
    value.checked_mul(1 << shift).ok_or_else(err)
}

/// Longest duration a `SECONDS` option takes: one week. Longer is surely a typo, and it keeps
/// every deadline (`Instant::now() + duration`) far from overflowing.
const MAX_SECONDS: f64 = 7.0 * 24.0 * 3600.0;

/// Parses a positive number of seconds (`10`, `0.5`, `1e-3`) up to [`MAX_SECONDS`].
pub fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds (e.g. 10 or 0.5)"))?;
    if seconds.is_nan() || seconds <= 0.0 {
        return Err(format!("{text}: give a positive number of seconds"));
    }
    if seconds > MAX_SECONDS {
        return Err(format!(
            "{text} seconds is too long: at most {MAX_SECONDS} seconds (one week)"
        ));
    }
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("{text}: {e}"))
}

/// Serializes a u64 that JSON readers must not round: a number up to 2^53 (what an IEEE double,
/// jq's and JavaScript's number, holds exactly), a decimal string above.
pub fn serialize_u64_lossless<S: serde::Serializer>(value: &u64, s: S) -> Result<S::Ok, S::Error> {
    const EXACT_IN_DOUBLE: u64 = 1 << 53;
    if *value <= EXACT_IN_DOUBLE {
        s.serialize_u64(*value)
    } else {
        s.serialize_str(&value.to_string())
    }
}

/// `n` and the noun for that many: "1 pass", "2 passes".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `1048576` -> `1 MiB`, `1536` -> `1.5 KiB`, `100` -> `100 B`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `1.23 s`, `45.6 ms`, `789 us`.
pub fn human_seconds(seconds: f64) -> String {
    if seconds >= 1.0 {
        format!("{seconds:.2} s")
    } else if seconds >= 1e-3 {
        format!("{:.1} ms", seconds * 1e3)
    } else {
        format!("{:.0} us", seconds * 1e6)
    }
}

/// `0x10ee` style, fixed width in hex digits.
pub fn hex(value: u64, digits: usize) -> String {
    format!("{value:#0width$x}", width = digits + 2)
}

/// Decimal megabytes (10^6) per second; 0 for a zero duration.
pub fn mb_per_s(bytes: u64, seconds: f64) -> f64 {
    if seconds > 0.0 {
        bytes as f64 / seconds / 1e6
    } else {
        0.0
    }
}

/// A left-aligned text table: a header row, a rule, then the rows; columns separated by two
/// spaces.
pub fn render_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            s.push_str(&format!("{cell:<w$}"));
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut out = line(headers.to_vec());
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&line(rule.iter().map(String::as_str).collect()));
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("0x1000"), Ok(4096));
        assert_eq!(parse_size("0X10_00"), Ok(4096));
        assert_eq!(parse_size("4k"), Ok(4096));
        assert_eq!(parse_size("4KiB"), Ok(4096));
        assert_eq!(parse_size("1M"), Ok(1 << 20));
        assert_eq!(parse_size("1mib"), Ok(1 << 20));
        assert_eq!(parse_size("2g"), Ok(2 << 30));
        assert_eq!(parse_size("1_000"), Ok(1000));
        for bad in [
            "",
            "k",
            "-1",
            "0x",
            "12q",
            "1.5M",
            "0xzz",
            "99999999999999999999",
        ] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn seconds_parse() {
        assert_eq!(parse_seconds("10"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_seconds("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_seconds("604800"), Ok(Duration::from_secs(604_800)));
        for bad in [
            "", "x", "0", "-1", "nan", "NaN", "inf", "-inf", "1e30", "604801",
        ] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn u64_serializes_losslessly() {
        let json = |v: u64| {
            let mut out = Vec::new();
            serialize_u64_lossless(&v, &mut serde_json::Serializer::new(&mut out)).unwrap();
            String::from_utf8(out).unwrap()
        };
        assert_eq!(json(7), "7");
        assert_eq!(json(1 << 53), "9007199254740992");
        assert_eq!(json((1 << 53) + 1), "\"9007199254740993\"");
        assert_eq!(json(u64::MAX), "\"18446744073709551615\"");
    }

    #[test]
    fn bytes_print() {
        assert_eq!(human_bytes(100), "100 B");
        assert_eq!(human_bytes(1024), "1 KiB");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(1 << 20), "1 MiB");
        assert_eq!(hex(0x10ee, 4), "0x10ee");
        assert_eq!(human_seconds(2.5), "2.50 s");
        assert_eq!(human_seconds(0.0456), "45.6 ms");
        assert_eq!(plural(1, "vector", "vectors"), "1 vector");
        assert_eq!(plural(2, "vector", "vectors"), "2 vectors");
        assert_eq!(human_seconds(0.000789), "789 us");
        assert_eq!(hex(0x5_8000, 6), "0x058000");
    }

    #[test]
    fn table_aligns_columns() {
        let t = render_table(
            &["a", "long header"],
            &[vec!["wide cell".into(), "x".into()]],
        );
        assert_eq!(
            t,
            "a          long header\n---------  -----------\nwide cell  x\n"
        );
    }
}
