// SPDX-License-Identifier: MIT OR Apache-2.0
//! The scopes of a group's registers (its plain registers, each of its arrays) and the decode
//! trees over them: a decode's statements per register, nested in ifs on the one-hot fields.

use std::fmt::Write;

use super::members::{members, Member};
use super::{lower, pascal};
use crate::model::{RegArray, RegMap, Register};

/// A scope of registers in a group: the plain registers, or one array.
pub(super) struct Scope<'a> {
    /// None for the plain registers.
    pub(super) array: Option<&'a RegArray>,
    pub(super) members: Vec<Member<'a>>,
}

impl Scope<'_> {
    /// Struct type name of this scope in group `g`, direction `dir` (reg2hw / hw2reg).
    pub(super) fn type_name(&self, g: &str, dir: &str) -> String {
        match self.array {
            None => format!("{g}_{dir}_t"),
            Some(a) => format!("{g}_{}_{dir}_t", lower(&a.name)),
        }
    }

    /// Port name, direction `dir`.
    pub(super) fn port(&self, dir: &str, out: bool) -> String {
        let sfx = if out { "o" } else { "i" };
        match self.array {
            None => format!("{dir}_{sfx}"),
            Some(a) => format!("{}_{dir}_{sfx}", lower(&a.name)),
        }
    }

    /// `[i]` inside an array's loop.
    pub(super) fn idx(&self) -> &'static str {
        if self.array.is_some() {
            "[i]"
        } else {
            ""
        }
    }

    /// Prefix of the module's signals of this scope.
    pub(super) fn prefix(&self) -> String {
        match self.array {
            None => String::new(),
            Some(a) => format!("{}_", lower(&a.name)),
        }
    }

    /// The count parameter of an array.
    pub(super) fn count(&self) -> Option<String> {
        self.array.map(|a| format!("{}Count", pascal(&a.name)))
    }

    /// DWORD address of register `reg` (of element i in an array).
    pub(super) fn dw(&self, reg: &Register) -> String {
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
    pub(super) fn ident(&self, reg: &Register) -> String {
        match self.array {
            None => reg.name.clone(),
            Some(a) => a.ident(reg),
        }
    }
}

pub(super) fn scopes<'a>(map: &'a RegMap, g: &str) -> Vec<Scope<'a>> {
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

/// One register of a scope where the decode trees reach it (an array's: of element `i`).
pub(super) struct Reg<'s, 'a> {
    pub(super) s: &'s Scope<'a>,
    pub(super) m: &'s Member<'a>,
    /// Its place in the member (1: a pair's high half).
    pub(super) k: usize,
    pub(super) r: &'a Register,
}

impl Reg<'_, '_> {
    /// `[i]` in an array (the trees' element loop), "" outside one.
    pub(super) fn ix(&self) -> &'static str {
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
pub(super) fn trees(
    dec: &str,
    scopes: &[Scope],
    body: impl Fn(&Reg) -> Vec<String>,
    ind: &str,
) -> String {
    let mut o = String::new();
    for s in scopes {
        let l = leaves(s, &body);
        if !l.is_empty() {
            tree(&mut o, dec, s, &l, ind);
        }
    }
    o
}
