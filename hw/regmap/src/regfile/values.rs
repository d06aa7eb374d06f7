// SPDX-License-Identifier: MIT OR Apache-2.0
//! The module's names of a field's signals, and the values of a register made of its fields.

use super::members::{struct_body, MField, Member};
use super::scopes::Scope;
use super::slice;

/// `.member.field.sig` (`.member.sig` for a member's only field).
fn member(m: &Member, f: &MField, sig: &str) -> String {
    match &f.name {
        None => format!(".{}.{sig}", m.name),
        Some(n) => format!(".{}.{n}.{sig}", m.name),
    }
}

/// Module path of one struct signal: `reg2hw_o.member.field.sig` (`ix`: `[i]`, `[5]` in an
/// array, "" outside one).
pub(super) fn path(
    s: &Scope,
    m: &Member,
    f: &MField,
    dir: &str,
    out: bool,
    ix: &str,
    sig: &str,
) -> String {
    format!("{}{ix}{}", s.port(dir, out), member(m, f, sig))
}

/// Storage signal of a field that hardware does not read (without `_q`).
pub(super) fn store(s: &Scope, m: &Member, f: &MField) -> String {
    match &f.name {
        None => format!("s_{}{}", s.prefix(), m.name),
        Some(n) => format!("s_{}{}_{n}", s.prefix(), m.name),
    }
}

/// The storage of a stored field: its `sig` (q, or the wd that holds q) in the scope's reg2hw
/// struct when hardware reads it, else its own signal.
pub(super) fn held(s: &Scope, m: &Member, f: &MField, ix: &str, sig: &str) -> String {
    if f.in_reg2hw() {
        format!("{}r2h_q{ix}{}", s.prefix(), member(m, f, sig))
    } else {
        format!("{}_q{ix}", store(s, m, f))
    }
}

/// The scope has a reg2hw struct (and port).
pub(super) fn has_reg2hw(s: &Scope) -> bool {
    !struct_body(&s.members, true, "").is_empty()
}

/// The packed dimension that makes a declaration one per instance of a register set: empty
/// for a single set, `[count-1:0]` for an array of them.
pub(super) fn per_instance(count: Option<String>) -> String {
    count.map(|c| format!("[{c}-1:0]")).unwrap_or_default()
}

/// A register's value in register position from its fields `pick` selects, each through `val`
/// (the field's whole value); "" when none is picked.
pub(super) fn reg_value(
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
