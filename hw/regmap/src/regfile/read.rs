// SPDX-License-Identifier: MIT OR Apache-2.0
//! The module's read stages: 0 the decoded offsets, 1 the storage and constants at them and
//! which lane reads a value hardware drives (with those values registered beside), 2 the
//! driven values added.

use std::fmt::Write;

use super::members::MField;
use super::scopes::{trees, Reg, Scope};
use super::values::{held, path, per_instance, reg_value};
use super::{lower, pascal};
use crate::model::{Access, Hw};

/// Read stage 0 of every register file.
pub(super) const READ_DECODE: &str = r#"
  // Read stage 0: the decoded offsets of the two DWORDs.
  reg_dec_t [1:0] rd_dec_q;
  always_ff @(posedge clk_i) begin
    rd_dec_q[0] <= reg_decode(rd_dw_addr_i);
    rd_dec_q[1] <= reg_decode(rd_dw_addr_i + 14'd1);
  end

"#;

/// A register with fields hardware drives (no storage): its value is registered beside read
/// stage 1, when a lane reads it.
pub(super) struct Driven<'s, 'a> {
    s: &'s Scope<'a>,
    /// Stem of its signals (`x_` and the register's name): `_rd` which lanes read it, `_q` its
    /// registered value.
    x: String,
    /// Its value, from the driven fields' d.
    v: String,
}

/// The driven values (no storage), registered beside stage 1, with their hits.
pub(super) fn driven<'s, 'a>(scopes: &'s [Scope<'a>]) -> Vec<Driven<'s, 'a>> {
    let mut ext = Vec::new();
    for s in scopes {
        for m in &s.members {
            for (k, r) in m.regs.iter().enumerate() {
                let v = reg_value(
                    m,
                    k,
                    |f| f.hw == Hw::Drive,
                    |f| path(s, m, f, "hw2reg", false, s.idx(), "d"),
                );
                if !v.is_empty() {
                    ext.push(Driven {
                        s,
                        x: format!("x_{}{}", s.prefix(), lower(&r.name)),
                        v,
                    });
                }
            }
        }
    }
    ext
}

/// Read stage 1: what each lane's decode tree reads, the storage and constants ORed into
/// rd_own, and which driven values it reads.
pub(super) fn read_stage1(w: &mut String, scopes: &[Scope], ext: &[Driven]) {
    let _ = writeln!(
        w,
        "  // Read stage 1: storage and constants at the offsets (a tree of ifs on the one-hot"
    );
    let _ = writeln!(
        w,
        "  // fields; the registers are exclusive: ORed), and which DWORD reads a driven value."
    );
    let _ = writeln!(w, "  logic [1:0][31:0] rd_own, rd_own_q;");
    for Driven { s, x, .. } in ext {
        let _ = writeln!(
            w,
            "  logic [1:0]{} {x}_rd, {x}_rd_q;",
            per_instance(s.count())
        );
    }
    let _ = writeln!(w, "  always_comb begin");
    let _ = writeln!(w, "    rd_own = '0;");
    for Driven { x, .. } in ext {
        let _ = writeln!(w, "    {x}_rd = '0;");
    }
    let t = trees("rd_dec_q[p]", scopes, read_leaf, "      ");
    let _ = writeln!(w, "    for (int unsigned p = 0; p < 2; p++) begin");
    w.push_str(&t);
    let _ = writeln!(w, "    end");
    let _ = writeln!(w, "  end");
}

/// Read stage 1 at register `rg`: its stored and const fields into rd_own, and the hit of its
/// driven value.
fn read_leaf(rg: &Reg) -> Vec<String> {
    let own_pick = |f: &MField| f.stored() || f.access == Access::Const;
    let (s, m, r, ix) = (rg.s, rg.m, rg.r, rg.ix());
    let mut body = Vec::new();
    let v = reg_value(m, rg.k, own_pick, |f| {
        if f.access == Access::Const {
            let id = s.ident(r);
            let fname = &f.field.name;
            match s.array {
                None => format!(
                    "{}Value[{id}_{fname}_LSB +: {id}_{fname}_WIDTH]",
                    pascal(&r.name)
                ),
                Some(_) => {
                    format!("{id}_RESET[{id}_{fname}_LSB +: {id}_{fname}_WIDTH]")
                }
            }
        } else {
            held(s, m, f, ix, "q")
        }
    });
    if !v.is_empty() {
        body.push(format!("rd_own[p] = rd_own[p] | {v};"));
    }
    let driven = |f: &MField| f.hw == Hw::Drive && f.parts.iter().any(|p| p.reg == rg.k);
    if m.fields.iter().any(driven) {
        body.push(format!(
            "x_{}{}_rd[p]{ix} = 1'b1;",
            s.prefix(),
            lower(&r.name)
        ));
    }
    body
}

/// The registers after read stage 1: rd_own_q, and of each driven value its hits and, when a
/// lane is to read it, the value.
pub(super) fn driven_regs(w: &mut String, ext: &[Driven]) {
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "  // The values hardware drives, registered (with them the logic that drives them and the"
    );
    let _ = writeln!(w, "  // read mux are two paths, not one), when a lane is to read them: only then are they looked");
    let _ = writeln!(w, "  // at.");
    for Driven { s, x, .. } in ext {
        let _ = writeln!(w, "  logic {}[31:0] {x}_q;", per_instance(s.count()));
    }
    let _ = writeln!(w, "  always_ff @(posedge clk_i) begin");
    let _ = writeln!(w, "    rd_own_q <= rd_own;");
    for Driven { s, x, v } in ext {
        let _ = writeln!(w, "    {x}_rd_q <= {x}_rd;");
        match s.count() {
            None => {
                let _ = writeln!(w, "    if (|{x}_rd) begin");
                let _ = writeln!(w, "      {x}_q <= {v};");
                let _ = writeln!(w, "    end");
            }
            Some(c) => {
                let _ = writeln!(w, "    for (int unsigned i = 0; i < {c}; i++) begin");
                let _ = writeln!(w, "      if ({x}_rd[0][i] || {x}_rd[1][i]) begin");
                let _ = writeln!(w, "        {x}_q[i] <= {v};");
                let _ = writeln!(w, "      end");
                let _ = writeln!(w, "    end");
            }
        }
    }
    let _ = writeln!(w, "  end");
}

/// Read stage 2: rd_data_o, the storage's and constants' value ORed with the driven values read.
pub(super) fn read_stage2(w: &mut String, ext: &[Driven]) {
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "  // Read stage 2: the driven values (looked at only when a lane reads one)."
    );
    let _ = writeln!(w, "  always_ff @(posedge clk_i) begin");
    let _ = writeln!(w, "    for (int unsigned p = 0; p < 2; p++) begin");
    if ext.is_empty() {
        let _ = writeln!(w, "      rd_data_o[p] <= rd_own_q[p];");
    } else {
        let any = ext
            .iter()
            .map(|Driven { s, x, .. }| match s.count() {
                None => format!("{x}_rd_q[p]"),
                Some(_) => format!("(|{x}_rd_q[p])"),
            })
            .collect::<Vec<_>>()
            .join(" || ");
        let _ = writeln!(w, "      logic [31:0] x;");
        let _ = writeln!(w, "      x = rd_own_q[p];");
        let _ = writeln!(w, "      if ({any}) begin");
        for Driven { s, x, .. } in ext {
            match s.count() {
                None => {
                    let _ = writeln!(w, "        x = x | ({x}_rd_q[p] ? {x}_q : '0);");
                }
                Some(c) => {
                    let _ = writeln!(w, "        for (int unsigned i = 0; i < {c}; i++) begin");
                    let _ = writeln!(w, "          x = x | ({x}_rd_q[p][i] ? {x}_q[i] : '0);");
                    let _ = writeln!(w, "        end");
                }
            }
        }
        let _ = writeln!(w, "      end");
        let _ = writeln!(w, "      rd_data_o[p] <= x;");
    }
    let _ = writeln!(w, "    end");
    let _ = writeln!(w, "  end");
}
