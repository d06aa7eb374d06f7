// SPDX-License-Identifier: MIT OR Apache-2.0
//! The register map: parsing `peerbar.toml` and validating it.
//!
//! Parsing is two-step: serde reads the raw TOML shape ([`RawMap`]), then [`RegMap::from_toml`]
//! checks every rule and builds the validated model the generators use. All problems found are
//! reported together, each naming the register (and field) concerned.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Deserialize;

/// How software may access a field (the `access` key in the toml).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// Read-only constant: always reads as its reset value.
    Const,
    /// Read-only status driven by hardware.
    ReadOnly,
    /// Write 1 to pulse an action; reads as 0.
    WriteOnePulse,
    /// Read/write storage, byte enables honoured.
    ReadWrite,
}

impl Access {
    /// All access types, in legend order.
    pub const ALL: [Access; 4] = [
        Access::Const,
        Access::ReadOnly,
        Access::ReadWrite,
        Access::WriteOnePulse,
    ];

    /// Parses the toml spelling.
    pub fn parse(s: &str) -> Option<Access> {
        match s {
            "const" => Some(Access::Const),
            "ro" => Some(Access::ReadOnly),
            "rw" => Some(Access::ReadWrite),
            "w1p" => Some(Access::WriteOnePulse),
            _ => None,
        }
    }

    /// The toml spelling (also used in the docs).
    pub fn keyword(self) -> &'static str {
        match self {
            Access::Const => "const",
            Access::ReadOnly => "ro",
            Access::ReadWrite => "rw",
            Access::WriteOnePulse => "w1p",
        }
    }

    /// The variant name of the driver's `regs::Access` enum.
    pub fn rust_variant(self) -> &'static str {
        match self {
            Access::Const => "Const",
            Access::ReadOnly => "ReadOnly",
            Access::ReadWrite => "ReadWrite",
            Access::WriteOnePulse => "WriteOnePulse",
        }
    }

    /// One-line meaning, for the docs legend.
    pub fn meaning(self) -> &'static str {
        match self {
            Access::Const => "read-only constant: always reads as its reset value",
            Access::ReadOnly => "read-only status driven by hardware",
            Access::ReadWrite => "read/write storage, byte enables honoured",
            Access::WriteOnePulse => "write 1 to pulse an action; reads as 0",
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMap {
    block: RawBlock,
    #[serde(default)]
    register: Vec<RawRegister>,
    #[serde(default)]
    array: Vec<RawArray>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArray {
    name: String,
    base: u64,
    stride: u64,
    count: u64,
    description: String,
    /// The `[[array.register]]` tables: offsets relative to the element start.
    #[serde(default)]
    register: Vec<RawRegister>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBlock {
    name: String,
    description: String,
    size: u64,
    #[serde(default)]
    rules: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegister {
    name: String,
    offset: u64,
    description: String,
    fields: Vec<RawField>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    name: String,
    bits: String,
    access: String,
    #[serde(default)]
    reset: u64,
    description: String,
}

/// The validated register block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegMap {
    pub name: String,
    pub description: String,
    /// Size of the block in bytes.
    pub size: u64,
    /// General rules that apply to every register (prose, one paragraph each).
    pub rules: Vec<String>,
    /// Registers sorted by offset.
    pub registers: Vec<Register>,
    /// Register arrays sorted by base.
    pub arrays: Vec<RegArray>,
}

/// A register array: `count` elements of `stride` bytes from `base`, each holding the same
/// registers (their offsets relative to the element start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegArray {
    pub name: String,
    /// Byte offset of element 0 in the block.
    pub base: u64,
    /// Bytes from one element to the next.
    pub stride: u64,
    /// Number of elements (at least 1).
    pub count: u32,
    pub description: String,
    /// The element's registers, sorted by (relative) offset.
    pub registers: Vec<Register>,
}

impl RegArray {
    /// One past the last byte of the array.
    pub fn end(&self) -> u64 {
        // Saturating: also called on arrays that failed validation.
        self.base
            .saturating_add(u64::from(self.count).saturating_mul(self.stride))
    }

    /// True when block offset `offset` lies inside the array.
    pub fn contains(&self, offset: u64) -> bool {
        offset >= self.base && offset < self.end()
    }

    /// `"0x1000..0x1400"`: the byte range the array occupies (end exclusive).
    pub fn span(&self) -> String {
        format!("{:#05x}..{:#05x}", self.base, self.end())
    }

    /// The generated-name prefix of element register `reg` (`QUEUE_CONTROL`).
    pub fn ident(&self, reg: &Register) -> String {
        format!("{}_{}", self.name, reg.name)
    }
}

/// One 32-bit register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Register {
    pub name: String,
    pub offset: u64,
    pub description: String,
    /// Fields sorted by LSB.
    pub fields: Vec<Field>,
}

/// One bit field of a register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub lsb: u32,
    pub width: u32,
    pub access: Access,
    /// Reset value of the field, right-aligned (not shifted into register position).
    pub reset: u32,
    pub description: String,
}

impl Field {
    /// Most significant bit.
    pub fn msb(&self) -> u32 {
        self.lsb + self.width - 1
    }

    /// Mask of the field's bits in register position.
    pub fn mask(&self) -> u32 {
        let ones = if self.width >= 32 {
            u32::MAX
        } else {
            (1u32 << self.width) - 1
        };
        ones << self.lsb
    }

    /// `"msb:lsb"`, or `"bit"` for a one-bit field.
    pub fn bits(&self) -> String {
        if self.width == 1 {
            self.lsb.to_string()
        } else {
            format!("{}:{}", self.msb(), self.lsb)
        }
    }
}

impl Register {
    /// Reset value of the whole register, assembled from its fields.
    pub fn reset(&self) -> u32 {
        self.fields
            .iter()
            .fold(0, |acc, f| acc | (f.reset << f.lsb))
    }

    /// The strongest access of the fields: rw > w1p > ro > const.
    pub fn access(&self) -> Access {
        self.fields
            .iter()
            .map(|f| f.access)
            .max()
            .unwrap_or(Access::Const)
    }
}

/// Every validation problem found, one per line.
#[derive(Debug)]
pub struct ValidationErrors(pub Vec<String>);

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} problem(s) in the register map:", self.0.len())?;
        for e in &self.0 {
            writeln!(f, "  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

/// `UPPER_SNAKE`: starts with an uppercase letter, then uppercase letters, digits and single
/// underscores, not ending in an underscore.
pub fn is_upper_snake(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_uppercase()
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
        && !s.ends_with('_')
        && !s.contains("__")
}

/// Parses `"msb:lsb"` or `"bit"` into (lsb, width).
fn parse_bits(bits: &str) -> Result<(u32, u32), String> {
    let num = |s: &str| -> Result<u32, String> {
        s.trim()
            .parse::<u32>()
            .map_err(|_| format!("bits \"{bits}\": \"{}\" is not a bit number", s.trim()))
    };
    let (msb, lsb) = match bits.split_once(':') {
        Some((m, l)) => (num(m)?, num(l)?),
        None => {
            let b = num(bits)?;
            (b, b)
        }
    };
    if msb < lsb {
        return Err(format!("bits \"{bits}\": write msb:lsb with msb >= lsb"));
    }
    if msb > 31 {
        return Err(format!("bits \"{bits}\" lie outside 31:0"));
    }
    Ok((lsb, msb - lsb + 1))
}

/// Collects validation problems and the identifiers the SystemVerilog package will declare.
struct Checker {
    errs: Vec<String>,
    /// Every identifier the SystemVerilog package will declare, and who declares it.
    sv_idents: BTreeMap<String, String>,
}

impl Checker {
    fn err(&mut self, e: String) {
        self.errs.push(e);
    }

    /// Records a generated SystemVerilog identifier; reports a clash with an earlier one.
    fn sv_ident(&mut self, ident: String, owner: &str) {
        if let Some(prev) = self.sv_idents.get(&ident) {
            self.errs.push(format!(
                "{owner}: generated name {ident} clashes with the one generated for {prev}"
            ));
        } else {
            self.sv_idents.insert(ident, owner.to_owned());
        }
    }

    /// Validates what every register has, plain or array element: name, description, fields.
    /// `who` names it in errors (`"register STATUS"`, `"array QUEUE register CONTROL"`);
    /// `ident` is the prefix of its generated names (`"STATUS"`, `"QUEUE_CONTROL"`). The
    /// caller checks the offset.
    fn register(&mut self, r: RawRegister, who: &str, ident: &str) -> Register {
        if !is_upper_snake(&r.name) {
            self.err(format!("{who}: name is not UPPER_SNAKE"));
        }
        if r.description.trim().is_empty() {
            self.err(format!("{who}: empty description"));
        }
        if r.fields.is_empty() {
            self.err(format!("{who}: has no fields"));
        }
        self.sv_ident(format!("{ident}_OFFSET"), who);
        self.sv_ident(format!("{ident}_RESET"), who);

        let mut fields: Vec<Field> = Vec::new();
        let mut field_names = BTreeSet::new();
        for f in r.fields {
            let fwho = format!("{who} field {}", f.name);
            if !is_upper_snake(&f.name) {
                self.err(format!("{fwho}: name is not UPPER_SNAKE"));
            }
            if !field_names.insert(f.name.clone()) {
                self.err(format!("{fwho}: duplicate field name"));
            }
            if f.description.trim().is_empty() {
                self.err(format!("{fwho}: empty description"));
            }
            for suffix in ["LSB", "WIDTH", "MASK"] {
                self.sv_ident(format!("{ident}_{}_{suffix}", f.name), &fwho);
            }
            let access = Access::parse(&f.access);
            if access.is_none() {
                self.err(format!(
                    "{fwho}: unknown access type \"{}\" (expected one of: const, ro, rw, w1p)",
                    f.access
                ));
            }
            let (lsb, width) = match parse_bits(&f.bits) {
                Ok(v) => v,
                Err(e) => {
                    self.err(format!("{fwho}: {e}"));
                    continue;
                }
            };
            let max = if width >= 32 {
                u64::from(u32::MAX)
            } else {
                (1u64 << width) - 1
            };
            if f.reset > max {
                self.err(format!(
                    "{fwho}: reset value {:#x} does not fit in {width} bit(s) (max {max:#x})",
                    f.reset
                ));
            }
            if access == Some(Access::WriteOnePulse) && f.reset != 0 {
                self.err(format!(
                    "{fwho}: a w1p field reads as 0, so its reset must be 0"
                ));
            }
            let field = Field {
                name: f.name,
                lsb,
                width,
                access: access.unwrap_or(Access::Const),
                reset: (f.reset & max) as u32,
                description: f.description,
            };
            for other in &fields {
                if other.mask() & field.mask() != 0 {
                    self.err(format!(
                        "{fwho}: bits {} overlap field {} (bits {})",
                        field.bits(),
                        other.name,
                        other.bits()
                    ));
                }
            }
            fields.push(field);
        }
        fields.sort_by_key(|f| f.lsb);
        Register {
            name: r.name,
            offset: r.offset,
            description: r.description,
            fields,
        }
    }
}

impl RegMap {
    /// Parses and validates the toml text. `source` names the file in error messages.
    pub fn from_toml(text: &str, source: &str) -> anyhow::Result<RegMap> {
        let raw: RawMap =
            toml::from_str(text).map_err(|e| anyhow::anyhow!("{source}: TOML error: {e}"))?;
        Self::validate(raw).map_err(|e| anyhow::anyhow!("{source}: {e}"))
    }

    fn validate(raw: RawMap) -> Result<RegMap, ValidationErrors> {
        let mut c = Checker {
            errs: Vec::new(),
            sv_idents: BTreeMap::new(),
        };
        let block_size = raw.block.size;
        if block_size == 0 || block_size > 0x1_0000 || block_size % 4 != 0 {
            c.err(format!(
                "block {}: size {block_size:#x} must be a non-zero multiple of 4, at most 0x10000 \
                 (offsets are 16 bits in the SystemVerilog package)",
                raw.block.name
            ));
        }

        // Register and array names share one namespace (who uses the name).
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        let mut offsets: BTreeMap<u64, String> = BTreeMap::new();

        let mut registers = Vec::new();
        for r in raw.register {
            let reg = r.name.clone();
            let who = format!("register {reg}");
            if let Some(prev) = names.get(&reg) {
                if prev == &who {
                    c.err(format!("{who}: duplicate register name"));
                } else {
                    c.err(format!("{who}: name already used by {prev}"));
                }
            } else {
                names.insert(reg.clone(), who.clone());
            }
            if r.offset % 4 != 0 {
                c.err(format!(
                    "{who}: offset {:#05x} is not 4-byte aligned",
                    r.offset
                ));
            }
            if r.offset.saturating_add(4) > block_size {
                c.err(format!(
                    "{who}: offset {:#05x} lies outside the block (size {block_size:#x})",
                    r.offset
                ));
            }
            if let Some(prev) = offsets.get(&r.offset) {
                c.err(format!(
                    "{who}: offset {:#05x} is already used by register {prev}",
                    r.offset
                ));
            } else {
                offsets.insert(r.offset, reg.clone());
            }
            registers.push(c.register(r, &who, &reg));
        }

        let mut arrays = Vec::new();
        for a in raw.array {
            let arr = a.name.clone();
            let who = format!("array {arr}");
            if !is_upper_snake(&arr) {
                c.err(format!("{who}: name is not UPPER_SNAKE"));
            }
            if let Some(prev) = names.get(&arr) {
                c.err(format!("{who}: name already used by {prev}"));
            } else {
                names.insert(arr.clone(), who.clone());
            }
            if a.description.trim().is_empty() {
                c.err(format!("{who}: empty description"));
            }
            for suffix in ["BASE", "STRIDE", "COUNT"] {
                c.sv_ident(format!("{arr}_{suffix}"), &who);
            }
            if a.base % 4 != 0 {
                c.err(format!("{who}: base {:#05x} is not 4-byte aligned", a.base));
            }
            if a.stride == 0 || a.stride % 4 != 0 || a.stride > 0xfffc {
                c.err(format!(
                    "{who}: stride {:#x} must be a non-zero multiple of 4, at most 0xfffc \
                     (16 bits in the SystemVerilog package)",
                    a.stride
                ));
            }
            let count = match u32::try_from(a.count) {
                Ok(n) if n >= 1 => n,
                _ => {
                    c.err(format!(
                        "{who}: count {} must be at least 1 (and fit in 32 bits)",
                        a.count
                    ));
                    0
                }
            };
            let end = a
                .stride
                .checked_mul(a.count)
                .and_then(|len| len.checked_add(a.base));
            match end {
                Some(end) if end <= block_size => {}
                _ => c.err(format!(
                    "{who}: base {:#05x} + count {} * stride {:#x} runs past the end of the \
                     block (size {block_size:#x})",
                    a.base, a.count, a.stride
                )),
            }
            if a.register.is_empty() {
                c.err(format!("{who}: has no registers"));
            }

            let mut elem_names = BTreeSet::new();
            let mut elem_offsets: BTreeMap<u64, String> = BTreeMap::new();
            let mut elems = Vec::new();
            for r in a.register {
                let reg = r.name.clone();
                let rwho = format!("array {arr} register {reg}");
                if !elem_names.insert(reg.clone()) {
                    c.err(format!("{rwho}: duplicate register name in the array"));
                }
                if r.offset % 4 != 0 {
                    c.err(format!(
                        "{rwho}: offset {:#04x} is not 4-byte aligned",
                        r.offset
                    ));
                }
                if r.offset.saturating_add(4) > a.stride {
                    c.err(format!(
                        "{rwho}: offset {:#04x} lies outside the array element (stride {:#x}; \
                         offsets are relative to the element start)",
                        r.offset, a.stride
                    ));
                }
                if let Some(prev) = elem_offsets.get(&r.offset) {
                    c.err(format!(
                        "{rwho}: offset {:#04x} is already used by array {arr} register {prev}",
                        r.offset
                    ));
                } else {
                    elem_offsets.insert(r.offset, reg.clone());
                }
                elems.push(c.register(r, &rwho, &format!("{arr}_{reg}")));
            }
            elems.sort_by_key(|r| r.offset);
            arrays.push(RegArray {
                name: a.name,
                base: a.base,
                stride: a.stride,
                count,
                description: a.description,
                registers: elems,
            });
        }

        // No plain register inside an array, no two arrays overlapping.
        for (i, a) in arrays.iter().enumerate() {
            for r in &registers {
                if a.contains(r.offset) {
                    c.err(format!(
                        "register {}: offset {:#05x} lies inside array {} ({})",
                        r.name,
                        r.offset,
                        a.name,
                        a.span()
                    ));
                }
            }
            for b in &arrays[..i] {
                if a.base < b.end() && b.base < a.end() {
                    c.err(format!(
                        "array {} ({}) overlaps array {} ({})",
                        a.name,
                        a.span(),
                        b.name,
                        b.span()
                    ));
                }
            }
        }

        if !c.errs.is_empty() {
            return Err(ValidationErrors(c.errs));
        }
        registers.sort_by_key(|r| r.offset);
        arrays.sort_by_key(|a| a.base);
        Ok(RegMap {
            name: raw.block.name,
            description: raw.block.description,
            size: block_size,
            rules: raw.block.rules,
            registers,
            arrays,
        })
    }
}

#[cfg(test)]
mod tests;
