// SPDX-License-Identifier: MIT OR Apache-2.0
//! Rust (tock-registers 0.10) generator for `driver/src/regs/map.rs`.

use std::fmt::Write;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{bail, Context};

use crate::model::{RegMap, Register};

/// `0x5045_4552`-style literal.
fn hex32(v: u32) -> String {
    format!("0x{:04x}_{:04x}", v >> 16, v & 0xffff)
}

/// `0x01C`-style offset literal.
fn offset(v: u64) -> String {
    format!("0x{v:03X}")
}

/// Doc-comment lines (`/// ...`) at `indent` for a description.
fn doc(o: &mut String, indent: &str, text: &str) {
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            let _ = writeln!(o, "{indent}///");
        } else {
            let _ = writeln!(o, "{indent}/// {line}");
        }
    }
}

/// One `register_bitfields!` entry: module `ident`, `place` says where the register is.
fn bitfields(o: &mut String, reg: &Register, ident: &str, place: &str) {
    doc(o, "    ", &reg.description);
    let _ = writeln!(o, "    ///");
    let _ = writeln!(
        o,
        "    /// {place}, access {}, reset {}.",
        reg.access(),
        hex32(reg.reset())
    );
    let _ = writeln!(o, "    pub {ident} [");
    for f in &reg.fields {
        doc(o, "        ", &f.description);
        let _ = writeln!(o, "        ///");
        let _ = writeln!(
            o,
            "        /// Bits {}, access {}, reset {:#x}.",
            f.bits(),
            f.access,
            f.reset
        );
        let _ = writeln!(
            o,
            "        {} OFFSET({}) NUMBITS({}) [],",
            f.name, f.lsb, f.width
        );
    }
    let _ = writeln!(o, "    ],");
}

/// One `RegisterInfo { .. }` literal (followed by a comma), indented by `ind`. rustfmt leaves
/// these long literals as they are, so they are indented here.
fn register_info(o: &mut String, reg: &Register, ind: &str) {
    let _ = writeln!(o, "{ind}RegisterInfo {{");
    let _ = writeln!(o, "{ind}    name: {:?},", reg.name);
    let _ = writeln!(o, "{ind}    offset: {},", offset(reg.offset));
    let _ = writeln!(o, "{ind}    reset: {},", hex32(reg.reset()));
    let _ = writeln!(
        o,
        "{ind}    access: Access::{},",
        reg.access().rust_variant()
    );
    let _ = writeln!(o, "{ind}    description: {:?},", reg.description);
    let _ = writeln!(o, "{ind}    fields: &[");
    for f in &reg.fields {
        let _ = writeln!(o, "{ind}        FieldInfo {{");
        let _ = writeln!(o, "{ind}            name: {:?},", f.name);
        let _ = writeln!(o, "{ind}            lsb: {},", f.lsb);
        let _ = writeln!(o, "{ind}            width: {},", f.width);
        let _ = writeln!(
            o,
            "{ind}            access: Access::{},",
            f.access.rust_variant()
        );
        let _ = writeln!(o, "{ind}            reset: {:#x},", f.reset);
        let _ = writeln!(o, "{ind}            description: {:?},", f.description);
        let _ = writeln!(o, "{ind}        }},");
    }
    let _ = writeln!(o, "{ind}    ],");
    let _ = writeln!(o, "{ind}}},");
}

/// Generates the unformatted source of `map.rs`.
pub fn generate_unformatted(map: &RegMap, source: &str) -> String {
    let mut o = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(o, "{}", crate::SPDX_LINE);
    let _ = writeln!(
        o,
        "// Generated from {source} by peerbar-regmap.\n\
         // Do not edit; regenerate with cargo run -p peerbar-regmap"
    );
    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "//! Register map ({}): {}.\n//!\n\
         //! One `register_bitfields!` entry per register (named like the register), one\n\
         //! `<REG>_REG` descriptor per register, and [`ALL_REGISTERS`] for tools and docs.\n\
         //! A 64-bit quantity `X` kept in `X_LO` and `X_HI` (`width = 64` in the source) has\n\
         //! an `X_REG64` [`Register64Def`] too (an array's pair: `ARR_X_REG64`, a\n\
         //! [`Register64ArrayDef`]).\n\
         //! Registers of an array `ARR` are named `ARR_REG` (bitfields) and have an\n\
         //! `ARR_REG_REG` [`RegisterArrayDef`] descriptor (use `.at(index)`), the array has\n\
         //! `ARR_BASE`, `ARR_STRIDE` and `ARR_COUNT` (as in the SystemVerilog package); [`ALL_ARRAYS`]\n\
         //! describes the arrays, with element register offsets relative to the element start.",
        map.name, map.description
    );
    let _ = writeln!(o);
    let has_array_regs = map.arrays.iter().any(|a| !a.registers.is_empty());
    let has_pairs = map.registers.iter().any(|r| r.wide);
    let has_array_pairs = map
        .arrays
        .iter()
        .any(|a| a.registers.iter().any(|r| r.wide));
    let _ = writeln!(
        o,
        "use super::{{Access, ArrayInfo, FieldInfo, {}{}RegisterDef, {}RegisterInfo}};",
        if has_array_pairs {
            "Register64ArrayDef, "
        } else {
            ""
        },
        if has_array_regs {
            "RegisterArrayDef, "
        } else {
            ""
        },
        if has_pairs { "Register64Def, " } else { "" }
    );
    let _ = writeln!(o);

    let _ = writeln!(o, "tock_registers::register_bitfields![");
    let _ = writeln!(o, "    u32,");
    for reg in &map.registers {
        bitfields(
            &mut o,
            reg,
            &reg.name,
            &format!("Offset {}", offset(reg.offset)),
        );
    }
    for arr in &map.arrays {
        for reg in &arr.registers {
            bitfields(
                &mut o,
                reg,
                &arr.ident(reg),
                &format!(
                    "Array {}: offset {} in each element (element i at {} + i * {:#x})",
                    arr.name,
                    offset(reg.offset),
                    offset(arr.base),
                    arr.stride
                ),
            );
        }
    }
    let _ = writeln!(o, "];");

    for reg in &map.registers {
        let _ = writeln!(o);
        let _ = writeln!(o, "/// {} (offset {}).", reg.name, offset(reg.offset));
        let _ = writeln!(o, "///");
        doc(&mut o, "", &reg.description);
        let _ = writeln!(
            o,
            "pub const {n}_REG: RegisterDef<{n}::Register> = RegisterDef::new({off}, {n:?}, {reset}, Access::{acc});",
            n = reg.name,
            off = offset(reg.offset),
            reset = hex32(reg.reset()),
            acc = reg.access().rust_variant()
        );
    }

    for reg in map.registers.iter().filter(|r| r.wide) {
        let n = reg.name.trim_end_matches("_LO");
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "/// {n}_LO and {n}_HI (offset {}) as one 64-bit value: `regs::read64`.",
            offset(reg.offset)
        );
        let _ = writeln!(
            o,
            "pub const {n}_REG64: Register64Def = Register64Def::new({}, {n:?}, Access::{});",
            offset(reg.offset),
            reg.access().rust_variant()
        );
    }

    for arr in &map.arrays {
        let a = &arr.name;
        let _ = writeln!(o);
        let _ = writeln!(
            o,
            "/// Array {a}: element i at `{a}_BASE + i * {a}_STRIDE`, i < `{a}_COUNT`.\n\
             ///\n\
             /// Byte offset in BAR0 of element 0."
        );
        let _ = writeln!(o, "pub const {a}_BASE: u64 = {};", offset(arr.base));
        let _ = writeln!(o, "/// Bytes from one element of {a} to the next.");
        let _ = writeln!(o, "pub const {a}_STRIDE: u64 = {:#x};", arr.stride);
        let _ = writeln!(o, "/// Number of elements of {a}.");
        let _ = writeln!(o, "pub const {a}_COUNT: u32 = {};", arr.count);
        for reg in &arr.registers {
            let n = arr.ident(reg);
            let _ = writeln!(o);
            let _ = writeln!(
                o,
                "/// `{}[i].{}` (offset {} + i * {:#x} + {}, i < {}).",
                arr.name,
                reg.name,
                offset(arr.base),
                arr.stride,
                offset(reg.offset),
                arr.count
            );
            let _ = writeln!(o, "///");
            doc(&mut o, "", &reg.description);
            let _ = writeln!(
                o,
                "pub const {n}_REG: RegisterArrayDef<{n}::Register> = RegisterArrayDef::new({base}, {stride:#x}, {count}, {off}, {n:?}, {reset}, Access::{acc});",
                base = offset(arr.base),
                stride = arr.stride,
                count = arr.count,
                off = offset(reg.offset),
                reset = hex32(reg.reset()),
                acc = reg.access().rust_variant()
            );
        }
        for reg in arr.registers.iter().filter(|r| r.wide) {
            let n = arr.ident(reg);
            let n = n.trim_end_matches("_LO");
            let _ = writeln!(o);
            let _ = writeln!(
                o,
                "/// `{}[i]`'s {n}_LO and {n}_HI as one 64-bit value: `regs::read64` / `regs::write64`\n\
                 /// on `.at(i)`.",
                arr.name
            );
            let _ = writeln!(
                o,
                "pub const {n}_REG64: Register64ArrayDef = Register64ArrayDef::new({base}, {stride:#x}, {count}, {off}, {n:?}, Access::{acc});",
                base = offset(arr.base),
                stride = arr.stride,
                count = arr.count,
                off = offset(reg.offset),
                acc = reg.access().rust_variant()
            );
        }
    }

    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "/// Every register of the block, by increasing offset (array registers are in\n\
         /// [`ALL_ARRAYS`])."
    );
    let _ = writeln!(o, "pub const ALL_REGISTERS: &[RegisterInfo] = &[");
    for reg in &map.registers {
        register_info(&mut o, reg, "    ");
    }
    let _ = writeln!(o, "];");

    let _ = writeln!(o);
    let _ = writeln!(
        o,
        "/// Every register array of the block, by increasing base. Element register names are\n\
         /// the short ones (`CONTROL`, not `QUEUE_CONTROL`) and their offsets are relative to\n\
         /// the element start."
    );
    let _ = writeln!(o, "pub const ALL_ARRAYS: &[ArrayInfo] = &[");
    for arr in &map.arrays {
        let _ = writeln!(o, "    ArrayInfo {{");
        let _ = writeln!(o, "        name: {:?},", arr.name);
        let _ = writeln!(o, "        base: {},", offset(arr.base));
        let _ = writeln!(o, "        stride: {:#x},", arr.stride);
        let _ = writeln!(o, "        count: {},", arr.count);
        let _ = writeln!(o, "        description: {:?},", arr.description);
        let _ = writeln!(o, "        registers: &[");
        for reg in &arr.registers {
            register_info(&mut o, reg, "            ");
        }
        let _ = writeln!(o, "        ],");
        let _ = writeln!(o, "    }},");
    }
    let _ = writeln!(o, "];");
    o
}

/// Formats Rust source with `rustfmt --edition 2021`, run in `dir` so that a rustfmt.toml of
/// the workspace applies as it does for `cargo fmt`.
pub fn rustfmt(src: &str, dir: &Path) -> anyhow::Result<String> {
    let mut child = Command::new(std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into()))
        .args(["--edition", "2021", "--emit", "stdout"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running rustfmt (install it with: rustup component add rustfmt)")?;
    // Feed stdin from a thread so a large output cannot deadlock against a full stdout pipe.
    let mut stdin = child.stdin.take().context("rustfmt stdin")?;
    let input = src.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().context("waiting for rustfmt")?;
    writer
        .join()
        .map_err(|_| anyhow::anyhow!("rustfmt stdin writer panicked"))?
        .context("writing to rustfmt")?;
    if !out.status.success() {
        bail!(
            "rustfmt failed on the generated map.rs ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    String::from_utf8(out.stdout).context("rustfmt output is not UTF-8")
}

/// Generates the formatted `driver/src/regs/map.rs`.
pub fn generate(map: &RegMap, source: &str, root: &Path) -> anyhow::Result<String> {
    rustfmt(&generate_unformatted(map, source), root)
}
