// SPDX-License-Identifier: MIT OR Apache-2.0
//! The human-readable form of a bar-test report (`--json` prints the report itself).

use super::Report;
use crate::units::{hex, human_seconds, render_table};

pub(super) fn render(r: &Report) -> String {
    let sim = r.results.iter().any(|p| p.sim_cycles.is_some());
    let mut headers = vec![
        "pattern",
        "access",
        "bytes",
        "write",
        "read",
        "write MB/s",
        "read MB/s",
    ];
    if sim {
        headers.extend(["sim cycles", "cycles/s"]);
    }
    headers.push("mismatches");
    let rows: Vec<Vec<String>> = r
        .results
        .iter()
        .map(|p| {
            let mut row = vec![
                p.pattern.to_owned(),
                p.access.to_owned(),
                p.bytes.to_string(),
                human_seconds(p.write_seconds),
                human_seconds(p.read_seconds),
                format!("{:.2}", p.write_mb_per_s),
                format!("{:.2}", p.read_mb_per_s),
            ];
            if sim {
                row.push(p.sim_cycles.map_or("-".to_owned(), |c| c.to_string()));
                row.push(
                    p.sim_cycles_per_second
                        .map_or("-".to_owned(), |c| format!("{c:.0}")),
                );
            }
            row.push(p.mismatches.to_string());
            row
        })
        .collect();
    let mut out = String::from("\n");
    out.push_str(&render_table(&headers, &rows));
    if !r.mismatches.is_empty() {
        out.push_str(&format!(
            "\nMismatches (first {} of {}):\n",
            r.mismatches.len(),
            r.total_mismatches
        ));
        let rows: Vec<Vec<String>> = r
            .mismatches
            .iter()
            .map(|m| {
                let bar = if m.pattern == "scratch" {
                    "BAR0"
                } else {
                    "BAR2"
                };
                vec![
                    m.pattern.to_owned(),
                    m.access.to_owned(),
                    format!("{bar} {}", hex(m.offset, 8)),
                    m.expected.clone(),
                    m.actual.clone(),
                ]
            })
            .collect();
        out.push_str(&render_table(
            &["pattern", "access", "offset", "expected", "actual"],
            &rows,
        ));
    }
    for w in &r.warnings {
        out.push_str(&format!("\nwarning: {w}\n"));
    }
    let failed = r.results.iter().filter(|p| p.mismatches > 0).count();
    if r.passed {
        out.push_str(&format!(
            "\nPASS: {} pass(es), no mismatches\n",
            r.results.len()
        ));
    } else {
        out.push_str(&format!(
            "\nFAIL: {} mismatched unit(s) in {} of {} pass(es); reproduce with --seed {}\n",
            r.total_mismatches,
            failed,
            r.results.len(),
            r.seed
        ));
    }
    out
}
