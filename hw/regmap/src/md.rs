//! Markdown generator for `docs/registers.md`.

use std::fmt::Write;

use crate::model::{Access, RegMap};

/// Makes text safe for a table cell.
fn cell(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('|', "\\|")
}

fn hex32(v: u32) -> String {
    format!("0x{:04X}_{:04X}", v >> 16, v & 0xffff)
}

/// GitHub-style heading anchor for a register heading (`STATUS` -> `status`).
fn anchor(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// Generates `docs/registers.md`.
pub fn generate(map: &RegMap, source: &str) -> String {
    let mut o = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        o,
        "<!-- Generated from {source} by peerbar-regmap.\n     \
         Do not edit; regenerate with cargo run -p peerbar-regmap -->"
    );
    let _ = writeln!(o);
    let _ = writeln!(o, "# {} registers", map.name);
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "{}. Block size: {:#x} bytes. Source: `{source}`.",
        map.description.trim_end_matches('.'),
        map.size
    );
    let _ = writeln!(o);

    if !map.rules.is_empty() {
        let _ = writeln!(o, "## General rules");
        let _ = writeln!(o);
        for r in &map.rules {
            let _ = writeln!(o, "- {}", cell(r));
        }
        let _ = writeln!(o);
    }

    let _ = writeln!(o, "## Access types");
    let _ = writeln!(o);
    let _ = writeln!(o, "| Access | Driver `Access` | Meaning |");
    let _ = writeln!(o, "|--------|-----------------|---------|");
    for a in Access::ALL {
        let _ = writeln!(
            o,
            "| `{}` | `{}` | {} |",
            a.keyword(),
            a.rust_variant(),
            a.meaning()
        );
    }
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "A register's access is the strongest of its fields' (rw > w1p > ro > const); \
         its reset value is assembled from its fields' reset values."
    );
    let _ = writeln!(o);

    let _ = writeln!(o, "## Register summary");
    let _ = writeln!(o);
    let _ = writeln!(o, "| Offset | Name | Access | Reset | Description |");
    let _ = writeln!(o, "|--------|------|--------|-------|-------------|");
    for reg in &map.registers {
        let _ = writeln!(
            o,
            "| 0x{:03X} | [{}](#{}) | {} | {} | {} |",
            reg.offset,
            reg.name,
            anchor(&reg.name),
            reg.access(),
            hex32(reg.reset()),
            cell(&reg.description)
        );
    }
    let _ = writeln!(o);

    let _ = writeln!(o, "## Registers");
    for reg in &map.registers {
        let _ = writeln!(o);
        let _ = writeln!(o, "### {}", reg.name);
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "Offset 0x{:03X}, access {}, reset {}.",
            reg.offset,
            reg.access(),
            hex32(reg.reset())
        );
        let _ = writeln!(o);
        let _ = writeln!(o, "{}", reg.description.trim());
        let _ = writeln!(o);
        let _ = writeln!(o, "| Bits | Name | Access | Reset | Description |");
        let _ = writeln!(o, "|------|------|--------|-------|-------------|");
        for f in reg.fields.iter().rev() {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {:#x} | {} |",
                f.bits(),
                f.name,
                f.access,
                f.reset,
                cell(&f.description)
            );
        }
    }
    o
}
