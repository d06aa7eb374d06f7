// SPDX-License-Identifier: MIT OR Apache-2.0
//! The module's writes: the write decode, the storage's `always_ff` (reset, this cycle's
//! software write, hardware's writes) and reg2hw (the storage with the write laid over).

use std::fmt::Write;

use super::members::MField;
use super::scopes::{trees, Reg, Scope};
use super::slice;
use super::values::{has_reg2hw, held, path, reg_value, store};
use crate::model::Access;

/// The write decode of every register file: the addresses of the next cycle's write, decoded
/// into one-hot fields, and the merge of a register with the write.
pub(super) const WRITE_DECODE: &str = r#"
  // Write decode, a cycle early (the completer registers the address).
  reg_dec_t [1:0] wr_dec_q;
  always_ff @(posedge clk_i) begin
    wr_dec_q[0] <= reg_decode(wr_dw_addr_next_i);
    wr_dec_q[1] <= reg_decode(wr_dw_addr_next_i + 14'd1);
  end

  // The register at DWORD address dw after this cycle's write (old if it is not written).
  function automatic logic [31:0] wr_merge(logic [31:0] old, logic [13:0] dw);
    logic [3:0] be;
    be = '0;
    if (wr_valid_i) begin
      be = (reg_hit(wr_dec_q[0], dw) ? wr_be_i[0] : 4'h0) |
           (reg_hit(wr_dec_q[1], dw) ? wr_be_i[1] : 4'h0);
    end
    return reg_merge_be(old, reg_hit(wr_dec_q[0], dw) ? wr_data_i[0] : wr_data_i[1], be);
  endfunction

  // The byte enables of this cycle's write at DWORD address dw, and its data there (the
  // storage takes the enabled bytes of wr_data: wr_merge without reading the storage).
  function automatic logic [3:0] wr_be(logic [13:0] dw);
    return (reg_hit(wr_dec_q[0], dw) ? wr_be_i[0] : 4'h0) |
           (reg_hit(wr_dec_q[1], dw) ? wr_be_i[1] : 4'h0);
  endfunction

  function automatic logic [31:0] wr_data(logic [13:0] dw);
    return reg_hit(wr_dec_q[0], dw) ? wr_data_i[0] : wr_data_i[1];
  endfunction
"#;

/// The storage's `always_ff`: the reset values, then this cycle's software write, then
/// hardware's writes.
pub(super) fn storage_flops(w: &mut String, scopes: &[Scope]) {
    let _ = writeln!(w);
    for line in [
        "  // The storage: this cycle's software write (its decode a tree of ifs on the one-hot",
        "  // fields, entered only when there is a write), then hardware's writes (de wins).",
    ] {
        let _ = writeln!(w, "{line}");
    }
    let _ = writeln!(w, "  always_ff @(posedge clk_i) begin");
    let _ = writeln!(
        w,
        "    // The write's byte enables and data at a register (bits no field covers unused)."
    );
    let _ = writeln!(w, "    logic [3:0] be;");
    let _ = writeln!(w, "    // verilator lint_off UNUSEDSIGNAL");
    let _ = writeln!(w, "    logic [31:0] wr;");
    let _ = writeln!(w, "    // verilator lint_on UNUSEDSIGNAL");
    let _ = writeln!(w, "    if (rst_i) begin");
    reset(w, scopes);
    let _ = writeln!(w, "    end else begin");
    software_writes(w, scopes);
    hardware_writes(w, scopes);
    let _ = writeln!(w, "    end");
    let _ = writeln!(w, "  end");
}

/// The storage's reset values: the stored fields' reset values, r2h_q's other bits 0.
fn reset(w: &mut String, scopes: &[Scope]) {
    for s in scopes {
        if has_reg2hw(s) {
            let _ = writeln!(w, "      {}r2h_q <= '0;", s.prefix());
        }
        // The stored fields hardware reads with a reset value other than 0, in r2h_q.
        let mut nonzero = Vec::new();
        for m in &s.members {
            for f in m.fields.iter().filter(|f| f.stored()) {
                let v = format!("{}'h{:x}", f.width, f.reset);
                if !f.in_reg2hw() {
                    let v = match s.count() {
                        None => v,
                        Some(c) => format!("{{{c}{{{v}}}}}"),
                    };
                    let _ = writeln!(w, "      {}_q <= {v};", store(s, m, f));
                } else if f.reset != 0 {
                    nonzero.push((m, f, v));
                }
            }
        }
        if nonzero.is_empty() {
            continue;
        }
        let (ind, ix) = match s.count() {
            None => ("      ", ""),
            Some(c) => {
                let _ = writeln!(w, "      for (int unsigned i = 0; i < {c}; i++) begin");
                ("        ", "[i]")
            }
        };
        for (m, f, v) in nonzero {
            let _ = writeln!(w, "{ind}{} <= {v};", held(s, m, f, ix, "q"));
        }
        if s.count().is_some() {
            let _ = writeln!(w, "      end");
        }
    }
}

/// Software writes: the stored rw fields, in the lanes' decode trees, entered only when there
/// is a write.
fn software_writes(w: &mut String, scopes: &[Scope]) {
    let t = trees("wr_dec_q[p]", scopes, write_leaf, "          ");
    if !t.is_empty() {
        let _ = writeln!(w, "      if (wr_valid_i) begin");
        let _ = writeln!(w, "        for (int unsigned p = 0; p < 2; p++) begin");
        w.push_str(&t);
        let _ = writeln!(w, "        end");
        let _ = writeln!(w, "      end");
    }
}

/// The software write at register `rg`: its byte enables and data, then the enabled bytes of
/// its stored rw fields; nothing when it has none.
fn write_leaf(rg: &Reg) -> Vec<String> {
    let (s, m, k, ix) = (rg.s, rg.m, rg.k, rg.ix());
    let rw = |f: &MField| f.access == Access::ReadWrite;
    // Per byte enabled, its bits of the rw fields (the storage is not read here: a
    // simulator would keep a copy of it from before the block's writes).
    let mut bytes = Vec::new();
    for b in 0..4u32 {
        let mut stmts = Vec::new();
        for f in m.fields.iter().filter(|f| rw(f)) {
            for p in f.parts.iter().filter(|p| p.reg == k) {
                let lo = p.lsb.max(8 * b);
                let hi = (p.lsb + p.w).min(8 * b + 8);
                if lo < hi {
                    let dst = held(s, m, f, ix, "q");
                    stmts.push(format!(
                        "{} <= {};",
                        slice(&dst, p.at + lo - p.lsb, hi - lo, f.width),
                        slice("wr", lo, hi - lo, 32)
                    ));
                }
            }
        }
        match stmts.len() {
            0 => {}
            1 => bytes.push(format!("if (be[{b}]) {}", stmts[0])),
            _ => {
                bytes.push(format!("if (be[{b}]) begin"));
                bytes.extend(stmts.into_iter().map(|st| format!("  {st}")));
                bytes.push("end".to_owned());
            }
        }
    }
    if bytes.is_empty() {
        return Vec::new();
    }
    let dw = s.dw(rg.r);
    let mut body = vec![format!("be = wr_be({dw});"), format!("wr = wr_data({dw});")];
    body.extend(bytes);
    body
}

/// Hardware writes: the stored fields with a de take their d.
fn hardware_writes(w: &mut String, scopes: &[Scope]) {
    for s in scopes {
        let (ind, ix) = match s.count() {
            None => ("      ", ""),
            Some(c) => {
                if !s
                    .members
                    .iter()
                    .any(|m| m.fields.iter().any(|f| f.stored() && f.has_de()))
                {
                    continue;
                }
                let _ = writeln!(w, "      for (int unsigned i = 0; i < {c}; i++) begin");
                ("        ", "[i]")
            }
        };
        for m in &s.members {
            for f in m.fields.iter().filter(|f| f.stored() && f.has_de()) {
                let de = path(s, m, f, "hw2reg", false, ix, "de");
                let d = path(s, m, f, "hw2reg", false, ix, "d");
                let _ = writeln!(w, "{ind}if ({de}) begin");
                let _ = writeln!(w, "{ind}  {} <= {d};", held(s, m, f, ix, "q"));
                let _ = writeln!(w, "{ind}end");
            }
        }
        if s.count().is_some() {
            let _ = writeln!(w, "      end");
        }
    }
}

/// reg2hw: the storage, with this cycle's software write in wd and the pulses (w1p).
pub(super) fn reg2hw(w: &mut String, scopes: &[Scope]) {
    if !scopes.iter().any(has_reg2hw) {
        return;
    }
    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "  // reg2hw: the storage, with this cycle's software write in wd and the pulses (w1p)."
    );
    let _ = writeln!(w, "  always_comb begin");
    let _ = writeln!(
        w,
        "    // A whole DWORD after the write: bits no field covers are not used."
    );
    let _ = writeln!(w, "    // verilator lint_off UNUSEDSIGNAL");
    let _ = writeln!(w, "    logic [31:0] wr;");
    let _ = writeln!(w, "    // verilator lint_on UNUSEDSIGNAL");
    let _ = writeln!(w, "    wr = '0;");
    for s in scopes.iter().filter(|s| has_reg2hw(s)) {
        reg2hw_unwritten(w, s);
    }
    let t = reg2hw_written(scopes);
    if !t.is_empty() {
        let _ = writeln!(w, "    if (wr_valid_i) begin");
        w.push_str(&t);
        let _ = writeln!(w, "    end");
    }
    let _ = writeln!(w, "  end");
}

/// Scope `s`'s reg2hw without a write: the storage; wd is q, a pulse 0.
fn reg2hw_unwritten(w: &mut String, s: &Scope) {
    let port = s.port("reg2hw", true);
    let _ = writeln!(w, "    {port} = {}r2h_q;", s.prefix());
    let over: Vec<_> = s
        .members
        .iter()
        .flat_map(|m| m.fields.iter().map(move |f| (m, f)))
        .filter(|(_, f)| f.has_wd() || f.access == Access::WriteOnePulse)
        .collect();
    if over.is_empty() {
        return;
    }
    let (ind, ix) = match s.count() {
        None => ("    ", ""),
        Some(c) => {
            let _ = writeln!(w, "    for (int unsigned i = 0; i < {c}; i++) begin");
            ("      ", "[i]")
        }
    };
    for (m, f) in over {
        if f.has_wd() {
            let wd = path(s, m, f, "reg2hw", true, ix, "wd");
            let _ = writeln!(w, "{ind}{wd} = {};", held(s, m, f, ix, "q"));
        } else {
            let _ = writeln!(w, "{ind}{} = '0;", path(s, m, f, "reg2hw", true, ix, "q"));
        }
    }
    if s.count().is_some() {
        let _ = writeln!(w, "    end");
    }
}

/// With a write: the registers with a wd or a pulse merged with it, as the storage's
/// next value is (wr_merge), whatever the lane.
fn reg2hw_written(scopes: &[Scope]) -> String {
    let mut t = String::new();
    for s in scopes {
        let body = reg2hw_merges(s);
        if body.is_empty() {
            continue;
        }
        let ind = match s.count() {
            None => "      ",
            Some(c) => {
                let _ = writeln!(t, "      for (int unsigned i = 0; i < {c}; i++) begin");
                "        "
            }
        };
        for line in body.lines() {
            let _ = writeln!(t, "{ind}{line}");
        }
        if s.count().is_some() {
            let _ = writeln!(t, "      end");
        }
    }
    t
}

/// Scope `s`'s registers with a wd or a pulse merged with the write, one statement a line (an
/// array's: of element `i`); "" when it has none.
fn reg2hw_merges(s: &Scope) -> String {
    let mut body = String::new();
    for m in &s.members {
        for (k, r) in m.regs.iter().enumerate() {
            let over = |f: &MField| {
                (f.has_wd() || f.access == Access::WriteOnePulse)
                    && f.parts.iter().any(|p| p.reg == k)
            };
            if !m.fields.iter().any(over) {
                continue;
            }
            let ix = s.idx();
            let old = reg_value(m, k, |f| f.has_wd(), |f| held(s, m, f, ix, "q"));
            let old = if old.is_empty() {
                "32'h0".to_owned()
            } else {
                old
            };
            let _ = writeln!(body, "wr = wr_merge({old}, {});", s.dw(r));
            for f in m.fields.iter().filter(|f| over(f)) {
                let sig = if f.has_wd() { "wd" } else { "q" };
                let dst = path(s, m, f, "reg2hw", true, ix, sig);
                for p in f.parts.iter().filter(|p| p.reg == k) {
                    let _ = writeln!(
                        body,
                        "{} = {};",
                        slice(&dst, p.at, p.w, f.width),
                        slice("wr", p.lsb, p.w, 32)
                    );
                }
            }
        }
    }
    body
}
