// SPDX-License-Identifier: MIT OR Apache-2.0
//! The struct members of a group's registers (a register, or a pair of registers as one
//! 64-bit value) and the package's `reg2hw` / `hw2reg` structs made of them.

use std::fmt::Write;

use super::lower;
use super::scopes::scopes;
use crate::model::{Access, Field, Hw, RegMap, Register};

/// The bits of one register (`reg`: 0 = the member's first, 1 = a pair's high half) a member
/// field occupies: register bits `lsb..lsb + w`, field bits `at..at + w`.
pub(super) struct Part {
    pub(super) reg: usize,
    pub(super) lsb: u32,
    pub(super) w: u32,
    pub(super) at: u32,
}

/// One field of a struct member: a register field, or a pair's two fields as one.
pub(super) struct MField<'a> {
    /// None when the member has only this field (its q/d/.. are the member's own).
    pub(super) name: Option<String>,
    pub(super) width: u32,
    pub(super) access: Access,
    pub(super) hw: Hw,
    pub(super) reset: u64,
    pub(super) parts: Vec<Part>,
    /// The register field (a pair's low half).
    pub(super) field: &'a Field,
}

impl MField<'_> {
    pub(super) fn in_reg2hw(&self) -> bool {
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
    pub(super) fn stored(&self) -> bool {
        match self.access {
            Access::ReadWrite => true,
            Access::ReadOnly => matches!(self.hw, Hw::Write | Hw::ReadWrite),
            Access::Const | Access::WriteOnePulse => false,
        }
    }

    pub(super) fn has_de(&self) -> bool {
        matches!(self.hw, Hw::Write | Hw::ReadWrite)
    }

    pub(super) fn has_wd(&self) -> bool {
        self.access == Access::ReadWrite && self.hw == Hw::ReadWrite
    }
}

/// One member of a group's (or array element's) struct: a register, or a pair of registers.
pub(super) struct Member<'a> {
    pub(super) name: String,
    pub(super) regs: Vec<&'a Register>,
    pub(super) fields: Vec<MField<'a>>,
}

pub(super) fn members<'a>(regs: &[&'a Register]) -> Vec<Member<'a>> {
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
pub(super) fn struct_body(members: &[Member], to_hw: bool, ind: &str) -> String {
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
