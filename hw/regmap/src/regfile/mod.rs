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
//!
//! The parts: `members` (the struct members of a group's registers, the package's structs),
//! `scopes` (the plain registers and the arrays of a group, the decode trees over them),
//! `values` (the module's names and values of a field or register), and the module writer:
//! `module` (header, ports, storage declarations), `write` (the storage's software and
//! hardware writes, reg2hw) and `read` (the read stages).

mod members;
mod module;
mod read;
mod scopes;
mod values;
mod write;

pub use members::package_types;

use crate::model::RegMap;

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

/// Every generated register file: (path relative to the workspace root, contents).
pub fn generate(map: &RegMap, source: &str) -> Vec<(String, String)> {
    map.groups
        .iter()
        .map(|g| {
            (
                format!("hw/rtl/{}_{g}_reg_file.sv", map.name),
                module::module(map, g, source),
            )
        })
        .collect()
}
