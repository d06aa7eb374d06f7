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

/// How hardware accesses a field (the `hw` key in the toml), for the generated register files'
/// `reg2hw` / `hw2reg` structs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hw {
    /// No hardware access (rw fields only): software's storage, not in `reg2hw`.
    None,
    /// Hardware reads the storage: `reg2hw.q` (rw fields; w1p fields: `q` is the pulse).
    Read,
    /// Hardware drives the value, no storage: `hw2reg.d` (ro fields; the default for them).
    Drive,
    /// Storage hardware writes: `hw2reg.d` and `.de` (ro fields: the log fields set on an event).
    Write,
    /// Storage hardware reads and writes: `reg2hw.q` and `hw2reg.d`/`.de`, and for rw fields
    /// `reg2hw.wd`, the value after this cycle's software write (`q` when not written). A
    /// hardware write (`de`) wins over a software write in the same cycle.
    ReadWrite,
}

impl Hw {
    /// Parses the toml spelling.
    fn parse(s: &str) -> Option<Hw> {
        match s {
            "none" => Some(Hw::None),
            "r" => Some(Hw::Read),
            "w" => Some(Hw::Drive),
            "we" => Some(Hw::Write),
            "rwe" => Some(Hw::ReadWrite),
            _ => None,
        }
    }

    /// The default of each access type: rw and w1p fields are read by hardware, ro fields
    /// driven by it, const fields not accessed.
    fn default_for(access: Access) -> Hw {
        match access {
            Access::Const => Hw::None,
            Access::ReadOnly => Hw::Drive,
            Access::ReadWrite | Access::WriteOnePulse => Hw::Read,
        }
    }

    /// Whether `access` allows this hardware access.
    fn allowed(self, access: Access) -> bool {
        match access {
            Access::Const => self == Hw::None,
            Access::ReadOnly => matches!(self, Hw::Drive | Hw::Write | Hw::ReadWrite),
            Access::ReadWrite => matches!(self, Hw::None | Hw::Read | Hw::ReadWrite),
            Access::WriteOnePulse => self == Hw::Read,
        }
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
    /// The generated register file the array belongs to (default: the block's `group`).
    group: Option<String>,
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
    /// The generated register file of registers and arrays that name none.
    group: String,
    #[serde(default)]
    rules: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegister {
    name: String,
    offset: u64,
    description: String,
    /// 64: this register (`X_LO`) and `X_HI` at the next offset are one 64-bit quantity.
    width: Option<u32>,
    /// The generated register file the register belongs to (plain registers only).
    group: Option<String>,
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
    hw: Option<String>,
    description: String,
}

/// The validated register block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegMap {
    pub name: String,
    pub description: String,
    /// Size of the block in bytes.
    pub size: u64,
    /// The generated register files, in the order of their first register.
    pub groups: Vec<String>,
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
    /// The generated register file that holds it.
    pub group: String,
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
    /// The low half (`X_LO`) of a 64-bit quantity; its high half `X_HI` follows at offset + 4.
    pub wide: bool,
    /// The generated register file that holds it (for an array's register: the array's).
    pub group: String,
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
    /// How hardware accesses it.
    pub hw: Hw,
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
    fn register(&mut self, r: RawRegister, who: &str, ident: &str, group: &str) -> Register {
        match r.width {
            None | Some(32) => {}
            Some(64) if r.name.ends_with("_LO") => {}
            Some(64) => self.err(format!(
                "{who}: width = 64 marks the low half of a pair, whose name ends in _LO"
            )),
            Some(w) => self.err(format!("{who}: width {w} is not 32 or 64")),
        }
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
            let access = access.unwrap_or(Access::Const);
            let hw = match f.hw.as_deref() {
                None => Hw::default_for(access),
                Some(s) => match Hw::parse(s) {
                    Some(hw) if hw.allowed(access) => hw,
                    Some(_) => {
                        self.err(format!("{fwho}: hw \"{s}\" does not fit access {access}"));
                        Hw::default_for(access)
                    }
                    None => {
                        self.err(format!(
                            "{fwho}: unknown hw access \"{s}\" (expected one of: none, r, w, \
                             we, rwe)"
                        ));
                        Hw::default_for(access)
                    }
                },
            };
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
            if access == Access::WriteOnePulse && f.reset != 0 {
                self.err(format!(
                    "{fwho}: a w1p field reads as 0, so its reset must be 0"
                ));
            }
            let field = Field {
                name: f.name,
                lsb,
                width,
                access,
                hw,
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
            wide: r.width == Some(64),
            group: group.to_owned(),
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
            let group = r.group.clone().unwrap_or_else(|| raw.block.group.clone());
            registers.push(c.register(r, &who, &reg, &group));
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

            let group = a.group.clone().unwrap_or_else(|| raw.block.group.clone());
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
                if r.group.is_some() {
                    c.err(format!(
                        "{rwho}: an array's registers are in the array's group (give it there)"
                    ));
                }
                elems.push(c.register(r, &rwho, &format!("{arr}_{reg}"), &group));
            }
            elems.sort_by_key(|r| r.offset);
            arrays.push(RegArray {
                name: a.name,
                base: a.base,
                stride: a.stride,
                count,
                description: a.description,
                group,
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

        registers.sort_by_key(|r| r.offset);
        arrays.sort_by_key(|a| a.base);
        check_pairs(&mut c, &registers, "register");
        for a in &arrays {
            check_pairs(&mut c, &a.registers, &format!("array {} register", a.name));
        }
        let mut groups: Vec<String> = Vec::new();
        let all = registers
            .iter()
            .map(|r| &r.group)
            .chain(arrays.iter().map(|a| &a.group));
        for g in all {
            if !groups.contains(g) {
                groups.push(g.clone());
            }
        }
        for g in &groups {
            let lower_snake = g.to_ascii_uppercase().to_ascii_lowercase() == *g
                && is_upper_snake(&g.to_ascii_uppercase());
            if !lower_snake {
                c.err(format!("group \"{g}\": name is not lower_snake"));
            }
        }
        if !c.errs.is_empty() {
            return Err(ValidationErrors(c.errs));
        }
        Ok(RegMap {
            name: raw.block.name,
            description: raw.block.description,
            size: block_size,
            groups,
            rules: raw.block.rules,
            registers,
            arrays,
        })
    }
}

/// Checks the pairs (`width = 64`) of `regs` (sorted by offset): the `X_LO` register is followed
/// by `X_HI` at the next offset, in its group; each half has one field, both of one access and
/// one hardware access. `who` names the registers in errors.
fn check_pairs(c: &mut Checker, regs: &[Register], who: &str) {
    for (i, lo) in regs.iter().enumerate().filter(|(_, r)| r.wide) {
        let base = lo.name.trim_end_matches("_LO");
        let hi_name = format!("{base}_HI");
        if regs.iter().any(|r| r.name == base) {
            c.err(format!(
                "{who} {}: the pair's name {base} is a register's too (one struct member each)",
                lo.name
            ));
        }
        let Some(hi) = regs.get(i + 1).filter(|hi| hi.name == hi_name) else {
            c.err(format!(
                "{who} {}: width = 64, but {hi_name} is not the next register",
                lo.name
            ));
            continue;
        };
        if hi.offset != lo.offset + 4 || hi.group != lo.group || hi.wide {
            c.err(format!(
                "{who} {}: {hi_name} must be at offset + 4, in the same group, not wide",
                lo.name
            ));
        }
        match (&lo.fields[..], &hi.fields[..]) {
            ([l], [h]) if l.access == h.access && l.hw == h.hw => {}
            _ => c.err(format!(
                "{who} {}: each half of a pair has one field, both of one access and hw",
                lo.name
            )),
        }
    }
}

#[cfg(test)]
mod tests;
