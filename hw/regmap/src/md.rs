// SPDX-License-Identifier: MIT OR Apache-2.0
//! Markdown generator for `docs/registers.md`.

use std::fmt::Write;

use crate::model::{Access, RegMap, Register};

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

/// GitHub-style anchor of an array heading (`## Array QUEUE` -> `array-queue`).
fn array_anchor(name: &str) -> String {
    format!("array-{}", name.to_ascii_lowercase())
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

    if !map.arrays.is_empty() {
        let _ = writeln!(o, "## Register arrays");
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "An array repeats the same registers in `count` elements, `stride` bytes apart: \
             register REG of element i is at base + i * stride + REG's offset. Offsets in the \
             array tables are relative to the element start."
        );
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "| Base | Name | Stride | Count | Ends before | Description |"
        );
        let _ = writeln!(
            o,
            "|------|------|--------|-------|-------------|-------------|"
        );
        for arr in &map.arrays {
            let _ = writeln!(
                o,
                "| 0x{:03X} | [{}](#{}) | 0x{:X} | {} | 0x{:03X} | {} |",
                arr.base,
                arr.name,
                array_anchor(&arr.name),
                arr.stride,
                arr.count,
                arr.end(),
                cell(&arr.description)
            );
        }
        let _ = writeln!(o);
    }
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
        field_table(&mut o, reg);
    }

    for arr in &map.arrays {
        let a = &arr.name;
        let _ = writeln!(o);
        let _ = writeln!(o, "## Array {a}");
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "Base 0x{:03X}, stride 0x{:X}, {} element(s) (0x{:03X} up to 0x{:03X}). \
             Register REG of element i is at 0x{:03X} + i * 0x{:X} + REG's offset.",
            arr.base,
            arr.stride,
            arr.count,
            arr.base,
            arr.end(),
            arr.base,
            arr.stride
        );
        let _ = writeln!(o);
        let _ = writeln!(o, "{}", arr.description.trim());
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "| Offset in element | Name | Access | Reset | Description |"
        );
        let _ = writeln!(
            o,
            "|-------------------|------|--------|-------|-------------|"
        );
        for reg in &arr.registers {
            let _ = writeln!(
                o,
                "| +0x{:02X} | [{}](#{}) | {} | {} | {} |",
                reg.offset,
                reg.name,
                anchor(&arr.ident(reg)),
                reg.access(),
                hex32(reg.reset()),
                cell(&reg.description)
            );
        }
        for reg in &arr.registers {
            let _ = writeln!(o);
            let _ = writeln!(o, "### {}", arr.ident(reg));
            let _ = writeln!(o);
            let _ = writeln!(
                o,
                "{a}[i].{}: offset +0x{:02X} in each element (0x{:03X} + i * 0x{:X} + 0x{:02X}), \
                 access {}, reset {}.",
                reg.name,
                reg.offset,
                arr.base,
                arr.stride,
                reg.offset,
                reg.access(),
                hex32(reg.reset())
            );
            let _ = writeln!(o);
            let _ = writeln!(o, "{}", reg.description.trim());
            let _ = writeln!(o);
            field_table(&mut o, reg);
        }
    }
    o
}

/// The bit-field table of a register.
fn field_table(o: &mut String, reg: &Register) {
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
