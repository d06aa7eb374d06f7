// SPDX-License-Identifier: MIT OR Apache-2.0
//! SystemVerilog package generator.

use std::fmt::Write;

use crate::model::{RegMap, Register};

/// `32'h5045_4552`-style literal.
fn hex32(v: u32) -> String {
    format!("32'h{:04x}_{:04x}", v >> 16, v & 0xffff)
}

/// Makes a description safe for a one-line `//` comment.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Emits the constants of one register: `ident` prefixes its names, `title` heads its comment.
fn register(o: &mut String, reg: &Register, ident: &str, title: &str) {
    let r = ident;
    let _ = writeln!(
        o,
        "  // {title} ({}): {}",
        reg.access(),
        one_line(&reg.description)
    );
    let _ = writeln!(
        o,
        "  localparam logic [15:0] {r}_OFFSET = 16'h{:04x};",
        reg.offset
    );
    let _ = writeln!(
        o,
        "  localparam logic [31:0] {r}_RESET = {};",
        hex32(reg.reset())
    );
    for f in &reg.fields {
        let n = &f.name;
        let _ = writeln!(
            o,
            "  // {r}.{n} [{}] ({}, reset {:#x}): {}",
            f.bits(),
            f.access,
            f.reset,
            one_line(&f.description)
        );
        let _ = writeln!(o, "  localparam int unsigned {r}_{n}_LSB = {};", f.lsb);
        let _ = writeln!(o, "  localparam int unsigned {r}_{n}_WIDTH = {};", f.width);
        let _ = writeln!(
            o,
            "  localparam logic [31:0] {r}_{n}_MASK = {};",
            hex32(f.mask())
        );
    }
}

/// Generates `hw/rtl/peerbar_reg_pkg.sv`.
pub fn generate(map: &RegMap, source: &str) -> String {
    let mut o = String::new();
    let pkg = format!("{}_reg_pkg", map.name);
    // Writing to a String cannot fail.
    let _ = writeln!(o, "{}", crate::SPDX_LINE);
    let _ = writeln!(o, "// {pkg}: {}", one_line(&map.description));
    let _ = writeln!(o, "//");
    let _ = writeln!(o, "// Generated from {source} by peerbar-regmap.");
    let _ = writeln!(
        o,
        "// Do not edit; regenerate with cargo run -p peerbar-regmap"
    );
    let _ = writeln!(o, "//");
    let _ = writeln!(
        o,
        "// Per register REG: REG_OFFSET (byte offset in the block) and REG_RESET (reset value)."
    );
    let _ = writeln!(
        o,
        "// Per field FIELD: REG_FIELD_LSB, REG_FIELD_WIDTH and REG_FIELD_MASK (in register position)."
    );
    let _ = writeln!(
        o,
        "// Per register array ARR: ARR_BASE, ARR_STRIDE and ARR_COUNT; its registers are named"
    );
    let _ = writeln!(
        o,
        "// ARR_REG_... like the others, but ARR_REG_OFFSET is relative to the element start."
    );
    let _ = writeln!(o);
    let _ = writeln!(o, "`default_nettype none");
    let _ = writeln!(o);
    let _ = writeln!(o, "package {pkg};");
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "  // A design uses only some of these constants; Verilator would flag the rest."
    );
    let _ = writeln!(o, "  // verilator lint_off UNUSEDPARAM");
    for reg in &map.registers {
        let _ = writeln!(o);
        register(
            &mut o,
            reg,
            &reg.name,
            &format!("{} @ 0x{:03x}", reg.name, reg.offset),
        );
    }
    for arr in &map.arrays {
        let a = &arr.name;
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "  // Array {a} @ 0x{:03x}: {} elements, stride 0x{:x}: {}",
            arr.base,
            arr.count,
            arr.stride,
            one_line(&arr.description)
        );
        let _ = writeln!(
            o,
            "  // Element i's register REG is at {a}_BASE + i * {a}_STRIDE + {a}_REG_OFFSET."
        );
        let _ = writeln!(
            o,
            "  localparam logic [15:0] {a}_BASE = 16'h{:04x};",
            arr.base
        );
        let _ = writeln!(
            o,
            "  localparam logic [15:0] {a}_STRIDE = 16'h{:04x};",
            arr.stride
        );
        let _ = writeln!(o, "  localparam int unsigned {a}_COUNT = {};", arr.count);
        for reg in &arr.registers {
            let _ = writeln!(o);
            register(
                &mut o,
                reg,
                &arr.ident(reg),
                &format!("{a}[i].{} @ +0x{:02x}", reg.name, reg.offset),
            );
        }
    }
    o.push_str(&crate::regfile::package_types(map));
    let _ = writeln!(o);
    let _ = writeln!(o, "  // verilator lint_on UNUSEDPARAM");
    let _ = writeln!(o);
    let _ = writeln!(o, "endpackage : {pkg}");
    let _ = writeln!(o);
    let _ = writeln!(o, "`default_nettype wire");
    o
}
