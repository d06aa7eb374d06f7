// SPDX-License-Identifier: MIT OR Apache-2.0
//! The module writer: [`module`] writes a group's register file section by section. Here the
//! header, the declaration (parameters, ports) and the storage's declarations; the writes and
//! reg2hw in `write`, the read stages in `read`.

use std::fmt::Write;

use super::members::struct_body;
use super::read::{driven, driven_regs, read_stage1, read_stage2, READ_DECODE};
use super::scopes::{scopes, Scope};
use super::values::{has_reg2hw, per_instance, store};
use super::write::{reg2hw, storage_flops, WRITE_DECODE};
use super::{lower, pascal};
use crate::model::{Access, RegMap};

/// Generates the register file module of group `g`.
pub(super) fn module(map: &RegMap, g: &str, source: &str) -> String {
    let scopes = scopes(map, g);
    let name = format!("{}_{g}_reg_file", map.name);
    let mut o = String::new();
    header(&mut o, &name, g, source);
    declaration(&mut o, map, g, &name, &scopes);
    count_checks(&mut o, &name, &scopes);
    storage(&mut o, g, &scopes);
    o.push_str(WRITE_DECODE);
    storage_flops(&mut o, &scopes);
    reg2hw(&mut o, &scopes);
    let ext = driven(&scopes);
    o.push_str(READ_DECODE);
    read_stage1(&mut o, &scopes, &ext);
    driven_regs(&mut o, &ext);
    read_stage2(&mut o, &ext);
    let _ = writeln!(o);
    let _ = writeln!(o, "endmodule");
    let _ = writeln!(o);
    let _ = writeln!(o, "`default_nettype wire");
    o
}

/// The file's header: the licence, what the module is and how it works, `default_nettype`.
fn header(w: &mut String, name: &str, g: &str, source: &str) {
    let _ = writeln!(w, "{}", crate::SPDX_LINE);
    let _ = writeln!(
        w,
        "// {name}: storage, write decode and read mux of the registers of group {g}."
    );
    let _ = writeln!(w, "//");
    let _ = writeln!(w, "// Generated from {source} by peerbar-regmap.");
    let _ = writeln!(
        w,
        "// Do not edit; regenerate with cargo run -p peerbar-regmap"
    );
    let _ = writeln!(w, "//");
    for line in [
        "// The access port is the completer's (1-2 DWORDs per access, a 2-DWORD access covers two",
        "// consecutive registers). Writes honour byte enables; their two DWORD addresses are decoded",
        "// in the cycle before, from wr_dw_addr_next_i, into one-hot fields (reg_decode), so that",
        "// \"lane p writes DWORD dw\" is an AND of four registered bits. A read takes three cycles:",
        "// stage 0 registers the decoded offsets; stage 1 the storage and constants at them, and",
        "// beside them the values hardware drives (hw2reg .d without storage); stage 2 adds those.",
        "// So rd_data_o shows, three cycles after rd_dw_addr_i, the registers as they were one",
        "// cycle after it. Offsets this group does not own read as 0 (the groups' data are ORed).",
        "// The logic-level budget of these stages: docs/synthesis.md. The decodes are walked as",
        "// trees of ifs on the one-hot fields, and work is done only when there is a write or a",
        "// value to read, so that a simulator that evaluates every process every cycle does little",
        "// in an idle one (docs/regmap-generator.md).",
    ] {
        let _ = writeln!(w, "{line}");
    }
    let _ = writeln!(w);
    let _ = writeln!(w, "`default_nettype none");
    let _ = writeln!(w);
}

/// The module's declaration: its name, the package import, the parameters and the ports.
fn declaration(w: &mut String, map: &RegMap, g: &str, name: &str, scopes: &[Scope]) {
    let pkg = format!("{}_reg_pkg", map.name);
    let _ = writeln!(w, "module {name}");
    let _ = writeln!(w, "  import {pkg}::*;");
    let params = parameters(scopes);
    if params.is_empty() {
        let _ = writeln!(w, "(");
    } else {
        let _ = writeln!(w, "#(");
        let _ = writeln!(w, "{}", params.join(",\n"));
        let _ = writeln!(w, ") (");
    }
    let _ = writeln!(w, "{}", ports(g, scopes).join(",\n"));
    let _ = writeln!(w, ");");
}

/// Parameters: array counts, values of const registers.
fn parameters(scopes: &[Scope]) -> Vec<String> {
    let mut params = Vec::new();
    for s in scopes {
        if let (Some(a), Some(c)) = (s.array, s.count()) {
            params.push(format!(
                "  // Elements of array {} implemented (1..{}); the others read as 0.\n  parameter int unsigned {c} = {}_COUNT",
                a.name, a.count, a.name
            ));
        }
    }
    for s in scopes.iter().filter(|s| s.array.is_none()) {
        for m in &s.members {
            if m.fields.iter().any(|f| f.access == Access::Const) {
                let r = &m.regs[0].name;
                params.push(format!(
                    "  // Value of {r}'s const fields (default: their reset value).\n  parameter logic [31:0] {}Value = {r}_RESET",
                    pascal(r)
                ));
            }
        }
    }
    params
}

/// The ports: the access port, then each scope's reg2hw output and hw2reg input (where its
/// struct has members).
fn ports(g: &str, scopes: &[Scope]) -> Vec<String> {
    let mut lines: Vec<String> = [
        "  input  wire logic             clk_i",
        "  input  wire logic             rst_i",
        "  input  wire logic             wr_valid_i",
        "  input  wire logic [13:0]      wr_dw_addr_next_i",
        "  input  wire logic [1:0][31:0] wr_data_i",
        "  input  wire logic [1:0][3:0]  wr_be_i",
        "  input  wire logic [13:0]      rd_dw_addr_i",
        "  output      logic [1:0][31:0] rd_data_o",
    ]
    .map(str::to_owned)
    .to_vec();
    for s in scopes {
        let dims = s.count().map(|c| format!(" [{c}-1:0]")).unwrap_or_default();
        for (to_hw, dir) in [(true, "reg2hw"), (false, "hw2reg")] {
            if struct_body(&s.members, to_hw, "").is_empty() {
                continue;
            }
            let t = s.type_name(g, dir);
            if to_hw {
                lines.push(format!("  output      {t}{dims} {}", s.port(dir, true)));
            } else {
                lines.push(format!("  input  wire {t}{dims} {}", s.port(dir, false)));
            }
        }
    }
    lines
}

/// The elaboration checks that the arrays' count parameters are in range.
fn count_checks(w: &mut String, name: &str, scopes: &[Scope]) {
    for s in scopes {
        if let (Some(a), Some(c)) = (s.array, s.count()) {
            let _ = writeln!(w);
            let _ = writeln!(
                w,
                "  if ({c} < 1 || {c} > {}_COUNT) begin : gen_check_{}",
                a.name,
                lower(&a.name)
            );
            let _ = writeln!(w, "    $error(\"{name}: {c} must be in 1..{}\");", a.count);
            let _ = writeln!(w, "  end");
        }
    }
}

/// The storage's declarations: each scope's r2h_q struct and the signals of the stored fields
/// hardware does not read.
fn storage(w: &mut String, g: &str, scopes: &[Scope]) {
    let _ = writeln!(w);
    for line in [
        "  // Storage. The fields hardware reads are held in the scope's reg2hw struct itself",
        "  // (r2h_q; its wd and pulse members are unused), so that reg2hw_o is one copy of it with",
        "  // wd and the pulses laid over; the other stored fields in signals of their own (s_*_q).",
    ] {
        let _ = writeln!(w, "{line}");
    }
    for s in scopes {
        let dims = s.count().map(|c| format!(" [{c}-1:0]")).unwrap_or_default();
        if has_reg2hw(s) {
            let _ = writeln!(
                w,
                "  {}{dims} {}r2h_q;",
                s.type_name(g, "reg2hw"),
                s.prefix()
            );
        }
        for m in &s.members {
            for f in m.fields.iter().filter(|f| f.stored() && !f.in_reg2hw()) {
                let dims = per_instance(s.count());
                let _ = writeln!(w, "  logic {dims}[{}:0] {}_q;", f.width - 1, store(s, m, f));
            }
        }
    }
}
