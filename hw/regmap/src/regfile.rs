// SPDX-License-Identifier: MIT OR Apache-2.0
//! The generated register files: the `reg2hw` / `hw2reg` structs (in the SystemVerilog
//! package) and one module per group, `peerbar_GROUP_reg_file`, with the storage, the write
//! decode and the read mux of the group's registers.
//!
//! The module's access port is the one the completer drives (1-2 DWORDs per access):
//! - a write's two DWORD addresses are decoded in the cycle before it, from the write address's
//!   next value, into one-hot fields of the address (bits 13:10, 9:6, 5:3, 2:0), so "lane p
//!   writes DWORD dw" is an AND of four registered bits;
//! - a read takes three cycles: the one-hot fields of its two addresses are registered (stage
//!   0); then the storage and constants at them (stage 1), with the values hardware drives
//!   (`hw2reg.d` without storage) registered beside them; then those values (stage 2). So the
//!   read data shows, three cycles after the address, the registers as they were one cycle
//!   after it. Offsets the group does not own read as 0 (the top ORs the groups).
//!
//! The module is shaped for a cycle-based simulator (Verilator), which evaluates every
//! process every cycle whether its inputs changed or not, while keeping the logic a
//! synthesis tool sees: the decodes are walked as trees of ifs on the one-hot fields (the
//! same AND of four decode bits per register, but a simulator tests only the bits on the way
//! to the address), a write is entered only under `wr_valid_i` and stored by the `always_ff`
//! itself (no next-value copies of the storage), the storage of what hardware reads is the
//! `reg2hw` struct itself (one whole copy to the port), and a driven value is registered
//! only when a lane is to read it. docs/regmap-generator.md says why.

use std::fmt::Write;

use crate::model::{Access, Field, Hw, RegMap, Register};

/// `MSIX_TABLE` -> `MsixTable`.
fn pascal(s: &str) -> String {
    s.split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + &c.as_str().to_ascii_lowercase(),
                None => String::new(),
            }
        })
        .collect()
}

fn lower(s: &str) -> String {
    s.to_ascii_lowercase()
}

/// `sig[at +: w]`, or `sig` when that is all of it.
fn slice(sig: &str, at: u32, w: u32, total: u32) -> String {
    if at == 0 && w == total {
        sig.to_owned()
    } else {
        format!("{sig}[{at} +: {w}]")
    }
}

/// The bits of one register (`reg`: 0 = the member's first, 1 = a pair's high half) a member
/// field occupies: register bits `lsb..lsb + w`, field bits `at..at + w`.
struct Part {
    reg: usize,
    lsb: u32,
    w: u32,
    at: u32,
}

/// One field of a struct member: a register field, or a pair's two fields as one.
struct MField<'a> {
    /// None when the member has only this field (its q/d/.. are the member's own).
    name: Option<String>,
    width: u32,
    access: Access,
    hw: Hw,
    reset: u64,
    parts: Vec<Part>,
    /// The register field (a pair's low half).
    field: &'a Field,
}

impl MField<'_> {
    fn in_reg2hw(&self) -> bool {
        match self.access {
            Access::ReadWrite => self.hw != Hw::None,
            Access::WriteOnePulse => true,
            Access::ReadOnly => self.hw == Hw::ReadWrite,
            Access::Const => false,
        }
    }

    fn in_hw2reg(&self) -> bool {
        matches!(self.hw, Hw::Drive | Hw::Write | Hw::ReadWrite)
    }

    /// Held in a register of the module.
    fn stored(&self) -> bool {
        match self.access {
            Access::ReadWrite => true,
            Access::ReadOnly => matches!(self.hw, Hw::Write | Hw::ReadWrite),
            Access::Const | Access::WriteOnePulse => false,
        }
    }

    fn has_de(&self) -> bool {
        matches!(self.hw, Hw::Write | Hw::ReadWrite)
    }

    fn has_wd(&self) -> bool {
        self.access == Access::ReadWrite && self.hw == Hw::ReadWrite
    }
}

/// One member of a group's (or array element's) struct: a register, or a pair of registers.
struct Member<'a> {
    name: String,
    regs: Vec<&'a Register>,
    fields: Vec<MField<'a>>,
}

fn members<'a>(regs: &[&'a Register]) -> Vec<Member<'a>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < regs.len() {
        let lo = regs[i];
        if lo.wide {
            // Validated: the next register is the high half, each half has one field.
            let hi = regs[i + 1];
            let (l, h) = (&lo.fields[0], &hi.fields[0]);
            out.push(Member {
                name: lower(lo.name.trim_end_matches("_LO")),
                regs: vec![lo, hi],
                fields: vec![MField {
                    name: None,
                    width: 64,
                    access: l.access,
                    hw: l.hw,
                    reset: (u64::from(h.reset) << (32 + h.lsb)) | (u64::from(l.reset) << l.lsb),
                    parts: vec![
                        Part {
                            reg: 0,
                            lsb: l.lsb,
                            w: l.width,
                            at: l.lsb,
                        },
                        Part {
                            reg: 1,
                            lsb: h.lsb,
                            w: h.width,
                            at: 32 + h.lsb,
                        },
                    ],
                    field: l,
                }],
            });
            i += 2;
            continue;
        }
        let single = lo.fields.len() == 1;
        out.push(Member {
            name: lower(&lo.name),
            regs: vec![lo],
            fields: lo
                .fields
                .iter()
                .map(|f| MField {
                    name: (!single).then(|| lower(&f.name)),
                    width: f.width,
                    access: f.access,
                    hw: f.hw,
                    reset: u64::from(f.reset),
                    parts: vec![Part {
                        reg: 0,
                        lsb: f.lsb,
                        w: f.width,
                        at: 0,
                    }],
                    field: f,
                })
                .collect(),
        });
        i += 1;
    }
    out
}

fn logic(w: u32) -> String {
    if w == 1 {
        "logic".to_owned()
    } else {
        format!("logic [{}:0]", w - 1)
    }
}

/// The struct member declarations of `members` for one direction (`to_hw`: reg2hw), each line
/// indented by `ind`; empty when no member has anything in that direction.
fn struct_body(members: &[Member], to_hw: bool, ind: &str) -> String {
    let mut o = String::new();
    for m in members {
        let mut inner = Vec::new();
        for f in &m.fields {
            let t = logic(f.width);
            let mut sigs = Vec::new();
            if to_hw && f.in_reg2hw() {
                let what = if f.access == Access::WriteOnePulse {
                    "pulse: software wrote 1"
                } else {
                    "the stored value"
                };
                sigs.push(format!("{t} q;  // {what}"));
                if f.has_wd() {
                    sigs.push(format!(
                        "{t} wd;  // the value after this cycle's software write"
                    ));
                }
            }
            if !to_hw && f.in_hw2reg() {
                sigs.push(format!("{t} d;"));
                if f.has_de() {
                    sigs.push("logic de;  // write d into the storage".to_owned());
                }
            }
            if !sigs.is_empty() {
                inner.push((f.name.clone(), sigs));
            }
        }
        if inner.is_empty() {
            continue;
        }
        let title = m.regs.iter().map(|r| r.name.as_str()).collect::<Vec<_>>();
        let _ = writeln!(o, "{ind}// {}", title.join(" + "));
        let _ = writeln!(o, "{ind}struct packed {{");
        for (name, sigs) in inner {
            match name {
                None => {
                    for s in sigs {
                        let _ = writeln!(o, "{ind}  {s}");
                    }
                }
                Some(n) => {
                    let _ = writeln!(o, "{ind}  struct packed {{");
                    for s in sigs {
                        let _ = writeln!(o, "{ind}    {s}");
                    }
                    let _ = writeln!(o, "{ind}  }} {n};");
                }
            }
        }
        let _ = writeln!(o, "{ind}}} {};", m.name);
    }
    o
}

/// A scope of registers in a group: the plain registers, or one array.
struct Scope<'a> {
    /// None for the plain registers.
    array: Option<&'a crate::model::RegArray>,
    members: Vec<Member<'a>>,
}

impl Scope<'_> {
    /// Struct type name of this scope in group `g`, direction `dir` (reg2hw / hw2reg).
    fn type_name(&self, g: &str, dir: &str) -> String {
        match self.array {
            None => format!("{g}_{dir}_t"),
            Some(a) => format!("{g}_{}_{dir}_t", lower(&a.name)),
        }
    }

    /// Port name, direction `dir`.
    fn port(&self, dir: &str, out: bool) -> String {
        let sfx = if out { "o" } else { "i" };
        match self.array {
            None => format!("{dir}_{sfx}"),
            Some(a) => format!("{}_{dir}_{sfx}", lower(&a.name)),
        }
    }

    /// `[i]` inside an array's loop.
    fn idx(&self) -> &'static str {
        if self.array.is_some() {
            "[i]"
        } else {
            ""
        }
    }

    /// Prefix of the module's signals of this scope.
    fn prefix(&self) -> String {
        match self.array {
            None => String::new(),
            Some(a) => format!("{}_", lower(&a.name)),
        }
    }

    /// The count parameter of an array.
    fn count(&self) -> Option<String> {
        self.array.map(|a| format!("{}Count", pascal(&a.name)))
    }

    /// DWORD address of register `reg` (of element i in an array).
    fn dw(&self, reg: &Register) -> String {
        match self.array {
            None => format!("14'h{:04x}", reg.offset >> 2),
            Some(a) => format!(
                "14'h{:04x} + 14'(i) * 14'h{:04x}",
                (a.base + reg.offset) >> 2,
                a.stride >> 2
            ),
        }
    }

    /// Generated-name prefix of `reg` in the package (`QUEUE_CONTROL`).
    fn ident(&self, reg: &Register) -> String {
        match self.array {
            None => reg.name.clone(),
            Some(a) => a.ident(reg),
        }
    }
}

fn scopes<'a>(map: &'a RegMap, g: &str) -> Vec<Scope<'a>> {
    let mut out = Vec::new();
    // A pair's halves are adjacent in the map and in one group (validated).
    let regs: Vec<&Register> = map.registers.iter().filter(|r| r.group == g).collect();
    if !regs.is_empty() {
        out.push(Scope {
            array: None,
            members: members(&regs),
        });
    }
    for a in map.arrays.iter().filter(|a| a.group == g) {
        let regs: Vec<&Register> = a.registers.iter().collect();
        out.push(Scope {
            array: Some(a),
            members: members(&regs),
        });
    }
    out
}

/// The access helpers every register file uses, in the package.
const HELPERS: &str = r#"
  // The register files' address decode (peerbar_GROUP_reg_file): one-hot fields of a
  // DWORD address (bits 13:10, 9:6, 5:3, 2:0), so that "the access is at DWORD dw" is
  // an AND of four bits of a registered decode.
  typedef struct packed {
    logic [15:0] f3;
    logic [15:0] f2;
    logic [7:0]  f1;
    logic [7:0]  f0;
  } reg_dec_t;

  function automatic reg_dec_t reg_decode(logic [13:0] a);
    reg_dec_t d;
    d = '0;
    d.f3[a[13:10]] = 1'b1;
    d.f2[a[9:6]]   = 1'b1;
    d.f1[a[5:3]]   = 1'b1;
    d.f0[a[2:0]]   = 1'b1;
    return d;
  endfunction

  function automatic logic reg_hit(reg_dec_t d, logic [13:0] dw);
    return d.f3[dw[13:10]] && d.f2[dw[9:6]] && d.f1[dw[5:3]] && d.f0[dw[2:0]];
  endfunction

  // old with the bytes of data that be enables.
  function automatic logic [31:0] reg_merge_be(logic [31:0] old, logic [31:0] data,
                                              logic [3:0] be);
    logic [31:0] r;
    r = old;
    for (int unsigned i = 0; i < 4; i++) begin
      if (be[i]) begin
        r[8*i +: 8] = data[8*i +: 8];
      end
    end
    return r;
  endfunction

  // The structs' member names come from the register map; C++ words among them are
  // harmless (Verilator renames its C++ symbols).
  // verilator lint_off SYMRSVDWORD
"#;

/// The package part: the access helpers every register file uses, then each group's structs.
pub fn package_types(map: &RegMap) -> String {
    let mut o = HELPERS.to_owned();
    for g in &map.groups {
        for s in scopes(map, g) {
            for (to_hw, dir) in [(true, "reg2hw"), (false, "hw2reg")] {
                let body = struct_body(&s.members, to_hw, "    ");
                if body.is_empty() {
                    continue;
                }
                let what = match s.array {
                    None => format!("the plain registers of group {g}"),
                    Some(a) => format!("one element of array {}", a.name),
                };
                let _ = writeln!(o);
                let _ = writeln!(o, "  // {dir} of {what} (peerbar_{g}_reg_file)");
                let _ = writeln!(o, "  typedef struct packed {{");
                o.push_str(&body);
                let _ = writeln!(o, "  }} {};", s.type_name(g, dir));
            }
        }
    }
    let _ = writeln!(o, "  // verilator lint_on SYMRSVDWORD");
    o
}

/// `.member.field.sig` (`.member.sig` for a member's only field).
fn member(m: &Member, f: &MField, sig: &str) -> String {
    match &f.name {
        None => format!(".{}.{sig}", m.name),
        Some(n) => format!(".{}.{n}.{sig}", m.name),
    }
}

/// Module path of one struct signal: `reg2hw_o.member.field.sig` (`ix`: `[i]`, `[5]` in an
/// array, "" outside one).
fn path(s: &Scope, m: &Member, f: &MField, dir: &str, out: bool, ix: &str, sig: &str) -> String {
    format!("{}{ix}{}", s.port(dir, out), member(m, f, sig))
}

/// Storage signal of a field that hardware does not read (without `_q`).
fn store(s: &Scope, m: &Member, f: &MField) -> String {
    match &f.name {
        None => format!("s_{}{}", s.prefix(), m.name),
        Some(n) => format!("s_{}{}_{n}", s.prefix(), m.name),
    }
}

/// The storage of a stored field: its `sig` (q, or the wd that holds q) in the scope's reg2hw
/// struct when hardware reads it, else its own signal.
fn held(s: &Scope, m: &Member, f: &MField, ix: &str, sig: &str) -> String {
    if f.in_reg2hw() {
        format!("{}r2h_q{ix}{}", s.prefix(), member(m, f, sig))
    } else {
        format!("{}_q{ix}", store(s, m, f))
    }
}

/// The scope has a reg2hw struct (and port).
fn has_reg2hw(s: &Scope) -> bool {
    !struct_body(&s.members, true, "").is_empty()
}

/// One register of a scope where the decode trees reach it (an array's: of element `i`).
struct Reg<'s, 'a> {
    s: &'s Scope<'a>,
    m: &'s Member<'a>,
    /// Its place in the member (1: a pair's high half).
    k: usize,
    r: &'a Register,
}

impl Reg<'_, '_> {
    /// `[i]` in an array (the trees' element loop), "" outside one.
    fn ix(&self) -> &'static str {
        self.s.idx()
    }
}

/// Statements run when a decode is at one register.
struct Leaf {
    /// DWORD address of the register (in an array: of element 0's).
    dw: u64,
    label: String,
    body: Vec<String>,
}

/// The leaves of scope `s`: `body` of each register, where it has statements.
fn leaves(s: &Scope, body: impl Fn(&Reg) -> Vec<String>) -> Vec<Leaf> {
    let mut out = Vec::new();
    for m in &s.members {
        for (k, r) in m.regs.iter().enumerate() {
            let b = body(&Reg { s, m, k, r });
            if b.is_empty() {
                continue;
            }
            let (dw, label) = match s.array {
                None => (r.offset >> 2, r.name.clone()),
                Some(a) => (
                    (a.base + r.offset) >> 2,
                    format!("{}[i].{}", a.name, r.name),
                ),
            };
            out.push(Leaf { dw, label, body: b });
        }
    }
    out.sort_by_key(|l| l.dw);
    out
}

/// The one-hot fields of reg_dec_t, high to low: name, lsb and width of the address bits.
const DEC_FIELDS: [(&str, u32, u32); 4] = [("f3", 10, 4), ("f2", 6, 4), ("f1", 3, 3), ("f0", 0, 3)];

/// The leaves of scope `s` in nested ifs on the one-hot fields of the decode `dec`, one level
/// per field: per register the same AND of four decode bits as a flat list of hits, but a
/// simulator tests only the bits on the way to the address, not every register's. An array's
/// levels that differ between elements are inside a loop over its elements (`i`).
fn tree(w: &mut String, dec: &str, s: &Scope, leaves: &[Leaf], ind: &str) {
    let refs: Vec<&Leaf> = leaves.iter().collect();
    tree_level(w, dec, s, &refs, 0, false, ind);
}

fn tree_level(
    w: &mut String,
    dec: &str,
    s: &Scope,
    leaves: &[&Leaf],
    level: usize,
    in_loop: bool,
    ind: &str,
) {
    let (f, lsb, width) = DEC_FIELDS[level];
    let (elems, stride) = s
        .array
        .map_or((1, 0), |a| (u64::from(a.count), a.stride >> 2));
    // The field's value at the leaf, element by element.
    let vals = |l: &Leaf| -> Vec<u64> {
        (0..elems)
            .map(|i| ((l.dw + i * stride) >> lsb) & ((1 << width) - 1))
            .collect()
    };
    if !in_loop
        && leaves
            .iter()
            .any(|l| vals(l).iter().any(|v| *v != vals(l)[0]))
    {
        let c = s.count().unwrap_or_default();
        let _ = writeln!(w, "{ind}for (int unsigned i = 0; i < {c}; i++) begin");
        tree_level(w, dec, s, leaves, level, true, &format!("{ind}  "));
        let _ = writeln!(w, "{ind}end");
        return;
    }
    let mut i = 0;
    while i < leaves.len() {
        let v = vals(leaves[i]);
        let j = i + leaves[i..].iter().take_while(|l| vals(l) == v).count();
        let at = if v.iter().all(|x| *x == v[0]) {
            v[0].to_string()
        } else {
            let dw = format!("14'h{:04x} + 14'(i) * 14'h{:04x}", leaves[i].dw, stride);
            if lsb == 0 {
                format!("{width}'({dw})")
            } else {
                format!("{width}'(({dw}) >> {lsb})")
            }
        };
        if level + 1 == DEC_FIELDS.len() {
            // One leaf: the registers' addresses differ.
            let l = leaves[i];
            let _ = writeln!(w, "{ind}if ({dec}.{f}[{at}]) begin  // {}", l.label);
            for b in &l.body {
                let _ = writeln!(w, "{ind}  {b}");
            }
            let _ = writeln!(w, "{ind}end");
        } else {
            let _ = writeln!(w, "{ind}if ({dec}.{f}[{at}]) begin");
            tree_level(
                w,
                dec,
                s,
                &leaves[i..j],
                level + 1,
                in_loop,
                &format!("{ind}  "),
            );
            let _ = writeln!(w, "{ind}end");
        }
        i = j;
    }
}

/// The trees of every scope, for lane p's decode `dec` (`body` of each register); "" when no
/// register has statements.
/// The packed dimension that makes a declaration one per instance of a register set: empty
/// for a single set, `[count-1:0]` for an array of them.
fn per_instance(count: Option<String>) -> String {
    count.map(|c| format!("[{c}-1:0]")).unwrap_or_default()
}

fn trees(dec: &str, scopes: &[Scope], body: impl Fn(&Reg) -> Vec<String>, ind: &str) -> String {
    let mut o = String::new();
    for s in scopes {
        let l = leaves(s, &body);
        if !l.is_empty() {
            tree(&mut o, dec, s, &l, ind);
        }
    }
    o
}

/// A register's value in register position from its fields `pick` selects, each through `val`
/// (the field's whole value); "" when none is picked.
fn reg_value(
    m: &Member,
    k: usize,
    pick: impl Fn(&MField) -> bool,
    val: impl Fn(&MField) -> String,
) -> String {
    let mut terms = Vec::new();
    for f in m.fields.iter().filter(|f| pick(f)) {
        for p in f.parts.iter().filter(|p| p.reg == k) {
            let v = slice(&val(f), p.at, p.w, f.width);
            if p.lsb == 0 {
                terms.push(format!("32'({v})"));
            } else {
                terms.push(format!("(32'({v}) << {})", p.lsb));
            }
        }
    }
    terms.join(" | ")
}

/// The write decode of every register file: the addresses of the next cycle's write, decoded
/// into one-hot fields, and the merge of a register with the write.
const WRITE_DECODE: &str = r#"
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

/// Read stage 0 of every register file.
const READ_DECODE: &str = r#"
  // Read stage 0: the decoded offsets of the two DWORDs.
  reg_dec_t [1:0] rd_dec_q;
  always_ff @(posedge clk_i) begin
    rd_dec_q[0] <= reg_decode(rd_dw_addr_i);
    rd_dec_q[1] <= reg_decode(rd_dw_addr_i + 14'd1);
  end

"#;

/// Generates the register file module of group `g`.
pub fn module(map: &RegMap, g: &str, source: &str) -> String {
    let scopes = scopes(map, g);
    let name = format!("{}_{g}_reg_file", map.name);
    let pkg = format!("{}_reg_pkg", map.name);
    let mut o = String::new();
    let w = &mut o;
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
    let _ = writeln!(w, "module {name}");
    let _ = writeln!(w, "  import {pkg}::*;");
    // Parameters: array counts, values of const registers.
    let mut params = Vec::new();
    for s in &scopes {
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
    if params.is_empty() {
        let _ = writeln!(w, "(");
    } else {
        let _ = writeln!(w, "#(");
        let _ = writeln!(w, "{}", params.join(",\n"));
        let _ = writeln!(w, ") (");
    }
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
    for s in &scopes {
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
    let _ = writeln!(w, "{}", lines.join(",\n"));
    let _ = writeln!(w, ");");
    for s in &scopes {
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

    // Storage
    let _ = writeln!(w);
    for line in [
        "  // Storage. The fields hardware reads are held in the scope's reg2hw struct itself",
        "  // (r2h_q; its wd and pulse members are unused), so that reg2hw_o is one copy of it with",
        "  // wd and the pulses laid over; the other stored fields in signals of their own (s_*_q).",
    ] {
        let _ = writeln!(w, "{line}");
    }
    for s in &scopes {
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

    w.push_str(WRITE_DECODE);

    // Storage flops
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
    for s in &scopes {
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
    let _ = writeln!(w, "    end else begin");
    // Software writes: the stored rw fields.
    let t = trees(
        "wr_dec_q[p]",
        &scopes,
        |rg| {
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
        },
        "          ",
    );
    if !t.is_empty() {
        let _ = writeln!(w, "      if (wr_valid_i) begin");
        let _ = writeln!(w, "        for (int unsigned p = 0; p < 2; p++) begin");
        w.push_str(&t);
        let _ = writeln!(w, "        end");
        let _ = writeln!(w, "      end");
    }
    // Hardware writes.
    for s in &scopes {
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
    let _ = writeln!(w, "    end");
    let _ = writeln!(w, "  end");

    // reg2hw
    if scopes.iter().any(has_reg2hw) {
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
            let port = s.port("reg2hw", true);
            let _ = writeln!(w, "    {port} = {}r2h_q;", s.prefix());
            // Without a write: wd is q, a pulse 0.
            let over: Vec<_> = s
                .members
                .iter()
                .flat_map(|m| m.fields.iter().map(move |f| (m, f)))
                .filter(|(_, f)| f.has_wd() || f.access == Access::WriteOnePulse)
                .collect();
            if over.is_empty() {
                continue;
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
        // With a write: the registers with a wd or a pulse merged with it, as the storage's
        // next value is (wr_merge), whatever the lane.
        let mut t = String::new();
        for s in &scopes {
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
        if !t.is_empty() {
            let _ = writeln!(w, "    if (wr_valid_i) begin");
            w.push_str(&t);
            let _ = writeln!(w, "    end");
        }
        let _ = writeln!(w, "  end");
    }

    // Driven values (no storage), registered beside stage 1, with their hits.
    let mut ext = Vec::new();
    for s in &scopes {
        for m in &s.members {
            for (k, r) in m.regs.iter().enumerate() {
                let v = reg_value(
                    m,
                    k,
                    |f| f.hw == Hw::Drive,
                    |f| path(s, m, f, "hw2reg", false, s.idx(), "d"),
                );
                if !v.is_empty() {
                    ext.push((s, *r, format!("x_{}{}", s.prefix(), lower(&r.name)), v));
                }
            }
        }
    }

    w.push_str(READ_DECODE);
    let _ = writeln!(
        w,
        "  // Read stage 1: storage and constants at the offsets (a tree of ifs on the one-hot"
    );
    let _ = writeln!(
        w,
        "  // fields; the registers are exclusive: ORed), and which DWORD reads a driven value."
    );
    let _ = writeln!(w, "  logic [1:0][31:0] rd_own, rd_own_q;");
    for (s, _, x, _) in &ext {
        let _ = writeln!(
            w,
            "  logic [1:0]{} {x}_rd, {x}_rd_q;",
            per_instance(s.count())
        );
    }
    let _ = writeln!(w, "  always_comb begin");
    let _ = writeln!(w, "    rd_own = '0;");
    for (_, _, x, _) in &ext {
        let _ = writeln!(w, "    {x}_rd = '0;");
    }
    let own_pick = |f: &MField| f.stored() || f.access == Access::Const;
    let t = trees(
        "rd_dec_q[p]",
        &scopes,
        |rg| {
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
        },
        "      ",
    );
    let _ = writeln!(w, "    for (int unsigned p = 0; p < 2; p++) begin");
    w.push_str(&t);
    let _ = writeln!(w, "    end");
    let _ = writeln!(w, "  end");

    let _ = writeln!(w);
    let _ = writeln!(
        w,
        "  // The values hardware drives, registered (with them the logic that drives them and the"
    );
    let _ = writeln!(w, "  // read mux are two paths, not one), when a lane is to read them: only then are they looked");
    let _ = writeln!(w, "  // at.");
    for (s, _, x, _) in &ext {
        let _ = writeln!(w, "  logic {}[31:0] {x}_q;", per_instance(s.count()));
    }
    let _ = writeln!(w, "  always_ff @(posedge clk_i) begin");
    let _ = writeln!(w, "    rd_own_q <= rd_own;");
    for (s, _, x, v) in &ext {
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
            .map(|(s, _, x, _)| match s.count() {
                None => format!("{x}_rd_q[p]"),
                Some(_) => format!("(|{x}_rd_q[p])"),
            })
            .collect::<Vec<_>>()
            .join(" || ");
        let _ = writeln!(w, "      logic [31:0] x;");
        let _ = writeln!(w, "      x = rd_own_q[p];");
        let _ = writeln!(w, "      if ({any}) begin");
        for (s, _, x, _) in &ext {
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
    let _ = writeln!(w);
    let _ = writeln!(w, "endmodule");
    let _ = writeln!(w);
    let _ = writeln!(w, "`default_nettype wire");
    o
}

/// Every generated register file: (path relative to the workspace root, contents).
pub fn generate(map: &RegMap, source: &str) -> Vec<(String, String)> {
    map.groups
        .iter()
        .map(|g| {
            (
                format!("hw/rtl/{}_{g}_reg_file.sv", map.name),
                module(map, g, source),
            )
        })
        .collect()
}
